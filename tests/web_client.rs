//! The browser client in headless Chromium against the real server, over both transports
//! wherever the transport can do what is tested.
#![cfg(target_arch = "wasm32")]

mod support;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use serde::Deserialize;
use typed_eventsource::web::{live_resources, Builder};
use typed_eventsource::{
    Backoff, CloseReason, Credentials, Decision, Error, EventSource, Jitter, Resume, RetryPolicy,
    State, Transport,
};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const BOTH: [Transport; 2] = [Transport::EventSource, Transport::Fetch];

/// The server's JSON payload.
#[derive(Debug, Deserialize, PartialEq)]
struct Payload {
    seq: u64,
    #[serde(rename = "type")]
    kind: String,
    text: String,
}

/// What a stream reported: events by (type, seq), decode errors, every error and state.
#[derive(Default)]
struct Seen {
    events: Vec<(String, u64)>,
    errors: Vec<Error>,
    states: Vec<State>,
}

type Shared = Rc<RefCell<Seen>>;

/// A builder that records typed events of `types`, errors and states into `seen`.
fn recording(url: &str, transport: Transport, types: &[&str], seen: &Shared) -> Builder {
    let mut b = EventSource::builder(url)
        .transport(transport)
        .last_event_id_param("lastEventId")
        .backoff(fast());
    for t in types {
        let s = seen.clone();
        b = b.on::<Payload>(t, move |r| match r {
            Ok(p) => s.borrow_mut().events.push((p.kind, p.seq)),
            Err(e) => s.borrow_mut().errors.push(e),
        });
    }
    let s = seen.clone();
    let b = b.on_error(move |e| s.borrow_mut().errors.push(e.clone()));
    let s = seen.clone();
    b.on_state(move |st| s.borrow_mut().states.push(st.clone()))
}

/// Quick, exact delays so that tests reconnect fast.
fn fast() -> Backoff {
    Backoff::default()
        .initial(Duration::from_millis(20))
        .max(Duration::from_millis(40))
        .jitter(Jitter::None)
}

fn seqs(seen: &Shared) -> Vec<u64> {
    seen.borrow().events.iter().map(|(_, s)| *s).collect()
}

async fn until(what: &str, ms: i32, seen: &Shared, check: impl Fn(&Seen) -> bool) {
    support::eventually(what, ms, || check(&seen.borrow()).then_some(())).await
}

fn is_open(s: &Seen) -> bool {
    s.states.last() == Some(&State::Open)
}

fn closed(s: &Seen) -> Option<CloseReason> {
    s.states.iter().rev().find_map(|st| match st {
        State::Closed { reason } => Some(reason.clone()),
        _ => None,
    })
}

/// Opens a stream whose server sends `count` events alternating between the two `types`
/// (its `event=a,b`), waits for them all, and returns them with what was expected.
async fn alternating(
    transport: Transport,
    types: [&str; 2],
    count: u64,
) -> (EventSource, Shared, Vec<(String, u64)>) {
    let key = support::scenario(&format!("{}-{}", types[0], types[1]));
    let url = support::sse_url(
        &key,
        &format!("count={count}&event={},{}&end=hold", types[0], types[1]),
    );
    let seen = Shared::default();
    let source = recording(&url, transport, &types, &seen)
        .open()
        .expect("opens");
    until(&format!("{count} events"), 5_000, &seen, |s| {
        s.events.len() >= count as usize
    })
    .await;
    let want = (1..=count)
        .map(|i| (types[(i as usize - 1) % 2].to_owned(), i))
        .collect();
    (source, seen, want)
}

/// The retry policy the docs give for retrying a refusal by the browser's EventSource (a 5xx
/// over that transport), which stops by default as the browser's own EventSource stops.
fn retry_refused() -> RetryPolicy {
    RetryPolicy::new(|e, d| {
        if matches!(e, Error::Refused) {
            Decision::Retry
        } else {
            d
        }
    })
}

#[wasm_bindgen_test]
async fn named_events_reach_their_typed_handlers() {
    for transport in BOTH {
        let (source, seen, want) = alternating(transport, ["price", "news"], 6).await;
        assert_eq!(seen.borrow().events, want, "{transport:?}");
        assert_eq!(source.last_event_id(), "6");
        assert_eq!(source.state(), State::Open);
    }
}

/// The browser's `EventSource` fires plain `open` and `error` events of its own on the same
/// object as a server's events of those names: only the server's reach the handlers.
#[wasm_bindgen_test]
async fn server_events_named_open_and_error_reach_their_handlers() {
    for transport in BOTH {
        let (_source, seen, want) = alternating(transport, ["open", "error"], 4).await;
        let seen = seen.borrow();
        assert_eq!(seen.events, want, "{transport:?}");
        assert!(seen.errors.is_empty(), "{transport:?}: {:?}", seen.errors);
    }
}

/// The last event ID is exact wherever it shows: on each event a raw handler gets, from the
/// source inside a typed handler (the event being handled), and after a close inside a
/// handler, where a reopen resumes after the event being handled. (The browser's
/// `EventSource` transport reads it only when something asks: here the types alternate between
/// a raw handler, which reads every ID, and a typed one, which does not.)
#[wasm_bindgen_test]
async fn the_last_event_id_is_exact_in_handlers_and_across_a_close_in_one() {
    for transport in BOTH {
        let key = support::scenario("ids");
        let url = support::sse_url(&key, "total=6&event=price,news&end=hold");
        let seen = Shared::default();
        let source = recording(&url, transport, &[], &seen)
            .open()
            .expect("opens");
        let source = Rc::new(source);
        let raw_ids = Rc::new(RefCell::new(Vec::new()));
        let r = raw_ids.clone();
        source.on_raw("news", move |e| {
            let seq = serde_json::from_str::<Payload>(&e.data).map(|p| p.seq);
            r.borrow_mut().push((e.last_event_id.clone(), seq.ok()));
        });
        let typed_ids = Rc::new(RefCell::new(Vec::new()));
        let (t, weak) = (typed_ids.clone(), Rc::downgrade(&source));
        source.on::<Payload>("price", move |p| {
            let (Ok(p), Some(source)) = (p, weak.upgrade()) else {
                return;
            };
            t.borrow_mut().push((source.last_event_id(), p.seq));
            if p.seq == 3 {
                source.close();
            }
        });
        until("closed in the handler", 5_000, &seen, |s| {
            closed(s).is_some()
        })
        .await;
        source.reopen();
        until("the rest", 5_000, &seen, |_| typed_ids.borrow().len() == 3).await;
        assert_eq!(
            *typed_ids.borrow(),
            [
                ("1".to_owned(), 1),
                ("3".to_owned(), 3),
                ("5".to_owned(), 5)
            ],
            "{transport:?}"
        );
        until("news 6", 5_000, &seen, |_| raw_ids.borrow().len() == 3).await;
        assert_eq!(
            *raw_ids.borrow(),
            [2, 4, 6].map(|i: u64| (i.to_string(), Some(i))),
            "{transport:?}"
        );
        assert_eq!(source.last_event_id(), "6", "{transport:?}");
        let log = support::log(&key).await;
        assert_eq!(log["records"][1]["resumed_after"], 3, "{transport:?} {log}");
    }
}

#[wasm_bindgen_test]
async fn a_decode_failure_keeps_the_type_and_raw_data() {
    for transport in BOTH {
        let key = support::scenario("decode");
        let url = support::sse_url(&key, "count=1&data=text&end=hold");
        let seen = Shared::default();
        let _source = recording(&url, transport, &["message"], &seen)
            .open()
            .expect("opens");
        until("a decode error", 5_000, &seen, |s| !s.errors.is_empty()).await;
        let first = seen.borrow().errors[0].clone();
        match &first {
            Error::Decode {
                event_type, data, ..
            } => {
                assert_eq!((event_type.as_str(), data.as_str()), ("message", "event 1"));
            }
            other => panic!("{transport:?}: expected a decode error, got {other:?}"),
        }
    }
}

#[wasm_bindgen_test]
async fn twenty_forced_drops_lose_and_repeat_no_event() {
    for transport in BOTH {
        let key = support::scenario("resume");
        // Each connection sends 3 events, half of a fourth, then breaks.
        let url = support::sse_url(&key, "total=63&count=3&end=drop");
        let seen = Shared::default();
        let _source = recording(&url, transport, &["message"], &seen)
            .open()
            .expect("opens");
        until("63 events", 30_000, &seen, |s| s.events.len() >= 63).await;
        assert_eq!(seqs(&seen), (1..=63).collect::<Vec<_>>(), "{transport:?}");
        let log = support::log(&key).await;
        let records = log["records"].as_array().expect("records");
        assert!(records.len() >= 21, "{log}");
        // Every reconnection resumed after the last event the client had.
        for (k, r) in records.iter().take(21).enumerate().skip(1) {
            assert_eq!(r["resumed_after"], 3 * k as u64, "{transport:?} {log}");
        }
        if transport == Transport::Fetch {
            assert_eq!(records[1]["headers"]["last-event-id"], "3", "{log}");
        }
    }
}

/// Over the EventSource transport without `last_event_id_param`, a stream that drops after
/// its events is reconnected by the browser itself, which waits the server's `retry:` and
/// resumes with the `Last-Event-ID` header, as the browser's own `EventSource` does.
#[wasm_bindgen_test]
async fn the_browsers_own_reconnection_resumes_with_the_header_and_waits_retry() {
    let key = support::scenario("native-resume");
    let url = support::sse_url(&key, "total=9&count=3&end=drop&retry=400");
    let seen = Shared::default();
    let s = seen.clone();
    let s2 = seen.clone();
    let _source = EventSource::builder(&url)
        .on::<Payload>("message", move |r| {
            if let Ok(p) = r {
                s.borrow_mut().events.push((p.kind, p.seq));
            }
        })
        .on_state(move |st| s2.borrow_mut().states.push(st.clone()))
        .open()
        .expect("opens");
    until("9 events", 10_000, &seen, |s| s.events.len() >= 9).await;
    assert_eq!(seqs(&seen), (1..=9).collect::<Vec<_>>());
    let log = support::log(&key).await;
    let records = log["records"].as_array().expect("records");
    assert_eq!(records.len(), 3, "{log}");
    for (k, r) in records.iter().enumerate().skip(1) {
        assert_eq!(r["headers"]["last-event-id"], *(3 * k).to_string(), "{log}");
        let waited =
            r["at_ms"].as_u64().unwrap_or(0) - records[k - 1]["at_ms"].as_u64().unwrap_or(0);
        assert!(
            waited >= 400,
            "reconnected after {waited} ms, before the server's retry: {log}"
        );
    }
    // The state said it was connecting again, never that this crate was waiting to.
    let states = seen.borrow().states.clone();
    assert!(
        !states
            .iter()
            .any(|st| matches!(st, State::Reconnecting { .. })),
        "{states:?}"
    );
}

/// A stream the app fetched itself is parsed into the typed handlers; its end is reported
/// once and closes the source, which never reconnects.
#[wasm_bindgen_test]
async fn a_readable_stream_the_app_fetched_is_parsed_and_its_end_closes_the_source() {
    use wasm_bindgen::JsCast;
    let key = support::scenario("readable");
    let url = support::sse_url(&key, "count=3&retry=1500&end=close");
    let promise = web_sys::window().expect("a window").fetch_with_str(&url);
    let response: web_sys::Response = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .expect("fetched")
        .dyn_into()
        .expect("a Response");
    let seen = Shared::default();
    let mut b = EventSource::from_readable_stream(response.body().expect("a body"));
    let s = seen.clone();
    b = b.on::<Payload>("message", move |r| match r {
        Ok(p) => s.borrow_mut().events.push((p.kind, p.seq)),
        Err(e) => s.borrow_mut().errors.push(e),
    });
    let s = seen.clone();
    b = b.on_error(move |e| s.borrow_mut().errors.push(e.clone()));
    let s = seen.clone();
    let source = b
        .on_state(move |st| s.borrow_mut().states.push(st.clone()))
        .open()
        .expect("opens");
    assert_eq!(source.url(), "about:event-stream");
    until("closed", 5_000, &seen, |s| closed(s).is_some()).await;
    support::sleep(300).await;
    assert_eq!(seqs(&seen), [1, 2, 3]);
    assert_eq!(source.last_event_id(), "3");
    assert_eq!(source.reconnection_time(), Duration::from_millis(1500));
    let log = support::log(&key).await;
    assert_eq!(log["records"].as_array().map(Vec::len), Some(1), "{log}");
    let seen = seen.borrow();
    assert_eq!(seen.errors, [Error::Ended]);
    assert_eq!(closed(&seen), Some(CloseReason::Failed(Error::Ended)));
    assert!(
        !seen
            .states
            .iter()
            .any(|st| matches!(st, State::Reconnecting { .. })),
        "{:?}",
        seen.states
    );
}

/// A cross-origin server that does not allow this page (no CORS headers: the server's `/wpt`
/// routes without `cors`, and the tests run on another origin than the server's) fails the
/// connection for good over both transports, as the browser's `EventSource` does. Over fetch,
/// it is told from a lost network, which would be retried, by the server answering a request
/// without CORS: the server is asked twice (the request and that probe), and never again.
#[wasm_bindgen_test]
async fn a_cors_failure_stops_the_stream_and_is_not_retried() {
    for transport in BOTH {
        let id = support::scenario("cors");
        let url = format!("{}/wpt/message?id={id}", support::server());
        let seen = Shared::default();
        let _source = recording(&url, transport, &["message"], &seen)
            .open()
            .expect("opens");
        until(&format!("{transport:?} closed"), 5_000, &seen, |s| {
            closed(s).is_some()
        })
        .await;
        support::sleep(300).await;
        let log = support::log(&format!("wpt-message-{id}")).await;
        let asked = if transport == Transport::Fetch { 2 } else { 1 };
        assert_eq!(log["requests"], asked, "{transport:?} {log}");
        let seen = seen.borrow();
        assert_eq!(seen.errors, [Error::Refused], "{transport:?}");
        assert_eq!(
            closed(&seen),
            Some(CloseReason::Failed(Error::Refused)),
            "{transport:?}"
        );
        assert!(seen.events.is_empty(), "{transport:?}");
    }
}

/// Request options make no sense for a stream the app reads, and a stream being read cannot be
/// read again: both are refused, by name.
#[wasm_bindgen_test]
fn request_options_are_refused_for_a_readable_stream() {
    // The option a builder is refused for.
    let refused = |b: Builder| match b.open() {
        Err(Error::InvalidOption { option, .. }) => option,
        other => panic!("expected an invalid option, got {other:?}"),
    };
    let stream = web_sys::ReadableStream::new().expect("a stream");
    let b = EventSource::from_readable_stream(stream).header("Authorization", "x");
    assert_eq!(refused(b), "headers");
    // A stream something else reads already.
    let stream = web_sys::ReadableStream::new().expect("a stream");
    let _reader = stream.get_reader();
    assert_eq!(refused(EventSource::from_readable_stream(stream)), "stream");
}

#[wasm_bindgen_test]
async fn the_servers_retry_sets_the_delay_for_fetch() {
    let key = support::scenario("retry");
    let url = support::sse_url(&key, "count=1&retry=700&end=close");
    let seen = Shared::default();
    let _source = recording(&url, Transport::Fetch, &["message"], &seen)
        .open()
        .expect("opens");
    until("a reconnection", 5_000, &seen, |s| {
        s.states
            .iter()
            .any(|st| matches!(st, State::Reconnecting { .. }))
    })
    .await;
    let delay = seen.borrow().states.iter().find_map(|st| match st {
        State::Reconnecting { delay, .. } => Some(*delay),
        _ => None,
    });
    assert_eq!(delay, Some(Duration::from_millis(700)));
}

#[wasm_bindgen_test]
async fn status_204_closes_the_stream_with_one_error() {
    let key = support::scenario("no-content");
    let seen = Shared::default();
    let _source = recording(
        &support::sse_url(&key, "status=204"),
        Transport::Fetch,
        &["message"],
        &seen,
    )
    .open()
    .expect("opens");
    until("closed", 5_000, &seen, |s| closed(s).is_some()).await;
    assert_eq!(closed(&seen.borrow()), Some(CloseReason::ServerRequested));
    assert!(
        matches!(
            seen.borrow().errors[..],
            [Error::HttpStatus { status: 204, .. }]
        ),
        "{:?}",
        seen.borrow().errors
    );
}

#[wasm_bindgen_test]
async fn status_404_stops_with_the_status_and_never_retries() {
    let key = support::scenario("not-found");
    let seen = Shared::default();
    let _source = recording(
        &support::sse_url(&key, "status=404"),
        Transport::Fetch,
        &["message"],
        &seen,
    )
    .open()
    .expect("opens");
    until("closed", 5_000, &seen, |s| closed(s).is_some()).await;
    assert!(matches!(
        closed(&seen.borrow()),
        Some(CloseReason::Failed(Error::HttpStatus { status: 404, .. }))
    ));
    support::sleep(300).await;
    assert_eq!(support::log(&key).await["requests"], 1);
}

#[wasm_bindgen_test]
async fn three_500s_are_retried_with_growing_delays_then_the_stream_recovers() {
    for transport in BOTH {
        let key = support::scenario("five-hundred");
        let url = support::sse_url(&key, "status=500&fail_first=3&count=2&end=hold");
        let seen = Shared::default();
        let _source = recording(&url, transport, &["message"], &seen)
            .backoff(
                Backoff::default()
                    .initial(Duration::from_millis(50))
                    .jitter(Jitter::None),
            )
            // Over the EventSource transport a 500 is a refusal, which stops by default as the
            // browser's EventSource stops; the documented policy retries it.
            .retry_policy(retry_refused())
            .open()
            .expect("opens");
        until("two events", 10_000, &seen, |s| s.events.len() >= 2).await;
        let delays: Vec<Duration> = seen
            .borrow()
            .states
            .iter()
            .filter_map(|st| match st {
                State::Reconnecting { delay, .. } => Some(*delay),
                _ => None,
            })
            .collect();
        let ms = Duration::from_millis;
        assert_eq!(delays, [ms(50), ms(100), ms(200)], "{transport:?}");
        let expected = match transport {
            Transport::Fetch => Error::HttpStatus {
                status: 500,
                retry_after: None,
            },
            _ => Error::Refused,
        };
        assert_eq!(
            seen.borrow().errors[..3],
            [expected.clone(), expected.clone(), expected]
        );
        assert_eq!(seqs(&seen), [1, 2]);
    }
}

#[wasm_bindgen_test]
async fn status_429_waits_for_retry_after() {
    let key = support::scenario("too-many");
    let url = support::sse_url(
        &key,
        "status=429&fail_first=1&retry_after=1&count=1&end=hold",
    );
    let seen = Shared::default();
    let _source = recording(&url, Transport::Fetch, &["message"], &seen)
        .open()
        .expect("opens");
    until("an event", 5_000, &seen, |s| !s.events.is_empty()).await;
    let s = seen.borrow();
    assert_eq!(
        s.errors[0],
        Error::HttpStatus {
            status: 429,
            retry_after: Some(Duration::from_secs(1))
        }
    );
    assert!(s.states.contains(&State::Reconnecting {
        attempt: 1,
        delay: Duration::from_secs(1)
    }));
}

#[wasm_bindgen_test]
async fn a_wrong_content_type_stops_the_fetch_transport() {
    let key = support::scenario("content-type");
    let seen = Shared::default();
    let _source = recording(
        &support::sse_url(&key, "content_type=text/plain"),
        Transport::Fetch,
        &["message"],
        &seen,
    )
    .open()
    .expect("opens");
    until("closed", 5_000, &seen, |s| closed(s).is_some()).await;
    assert!(matches!(
        closed(&seen.borrow()),
        Some(CloseReason::Failed(Error::ContentType { content_type })) if content_type == "text/plain"
    ));
}

#[wasm_bindgen_test]
async fn a_stalled_connection_is_replaced_but_keepalives_keep_one_alive() {
    // Stalls for 3 s after the first event, sending nothing.
    let key = support::scenario("stall");
    let url = support::sse_url(&key, "count=2&stall_after=1&stall_ms=3000&end=hold");
    let seen = Shared::default();
    let _source = recording(&url, Transport::Fetch, &["message"], &seen)
        .idle_timeout(Duration::from_millis(500))
        .open()
        .expect("opens");
    until("an idle timeout", 5_000, &seen, |s| {
        s.errors
            .iter()
            .any(|e| matches!(e, Error::IdleTimeout { .. }))
    })
    .await;
    until("a second connection", 5_000, &seen, |s| {
        s.states.iter().filter(|st| **st == State::Open).count() >= 2
    })
    .await;

    // The same stall with a keep-alive comment every 100 ms: never idle.
    let key = support::scenario("stall-ka");
    let url = support::sse_url(
        &key,
        "count=2&stall_after=1&stall_ms=1500&keepalive_ms=100&end=hold",
    );
    let seen = Shared::default();
    let _source = recording(&url, Transport::Fetch, &["message"], &seen)
        .idle_timeout(Duration::from_millis(500))
        .open()
        .expect("opens");
    until("both events", 5_000, &seen, |s| s.events.len() >= 2).await;
    assert!(
        seen.borrow().errors.is_empty(),
        "{:?}",
        seen.borrow().errors
    );
    assert_eq!(support::log(&key).await["requests"], 1);
}

#[wasm_bindgen_test]
async fn bytes_one_at_a_time_and_every_line_end_parse_the_same() {
    for transport in BOTH {
        for query in [
            "bytewise_ms=0",
            "eol=crlf",
            "eol=cr",
            "bom=1&eol=crlf&bytewise_ms=0",
        ] {
            let key = support::scenario("wire");
            let url = support::sse_url(&key, &format!("count=3&end=hold&event=news&{query}"));
            let seen = Shared::default();
            let _source = recording(&url, transport, &["news"], &seen)
                .open()
                .expect("opens");
            until("three events", 5_000, &seen, |s| s.events.len() >= 3).await;
            assert_eq!(seqs(&seen), [1, 2, 3], "{transport:?} {query}");
        }
    }
}

#[wasm_bindgen_test]
async fn an_event_over_the_size_limit_is_reported_and_the_stream_goes_on() {
    let key = support::scenario("too-large");
    // The payload is padded to 2,000 bytes; the limit is 1,000.
    let url = support::sse_url(&key, "count=2&size=2000&end=hold");
    let seen = Shared::default();
    let _source = recording(&url, Transport::Fetch, &["message"], &seen)
        .max_event_size(1000)
        .open()
        .expect("opens");
    until("two errors", 5_000, &seen, |s| s.errors.len() >= 2).await;
    let s = seen.borrow();
    assert_eq!(
        s.errors,
        [
            Error::EventTooLarge { limit: 1000 },
            Error::EventTooLarge { limit: 1000 }
        ]
    );
    assert_eq!(s.states.last(), Some(&State::Open));
}

#[wasm_bindgen_test]
async fn close_during_a_pending_reconnect_never_reconnects() {
    for transport in BOTH {
        let key = support::scenario("close-pending");
        let seen = Shared::default();
        let source = recording(&support::sse_url(&key, "status=503"), transport, &[], &seen)
            .backoff(
                Backoff::default()
                    .initial(Duration::from_millis(300))
                    .jitter(Jitter::None),
            )
            .retry_policy(retry_refused())
            .open()
            .expect("opens");
        until("reconnecting", 5_000, &seen, |s| {
            matches!(s.states.last(), Some(State::Reconnecting { .. }))
        })
        .await;
        source.close();
        assert_eq!(live_resources().timers, 0, "the pending timer is cleared");
        support::sleep(800).await;
        assert_eq!(support::log(&key).await["requests"], 1, "{transport:?}");
        assert_eq!(closed(&seen.borrow()), Some(CloseReason::UserClosed));
    }
}

#[wasm_bindgen_test]
async fn dropping_the_handle_frees_every_listener_and_ends_the_connection() {
    let before = live_resources();
    for transport in BOTH {
        let key = support::scenario("drop");
        let seen = Shared::default();
        let source = recording(
            &support::sse_url(&key, "count=1&end=hold"),
            transport,
            &["message", "price", "news"],
            &seen,
        )
        .idle_timeout(Duration::from_secs(30))
        .open()
        .expect("opens");
        until("open", 5_000, &seen, is_open).await;
        let during = live_resources();
        assert!(during.listeners > before.listeners, "{during:?}");
        assert_eq!(during.connections, before.connections + 1);
        assert_eq!(during.timers, before.timers + 1, "the idle watchdog");
        drop(source);
        assert_eq!(live_resources(), before, "{transport:?}");
        let mut ended = false;
        for _ in 0..50 {
            let log = support::log(&key).await;
            if log["records"][0]["end"] == "client_closed" {
                ended = true;
                break;
            }
            support::sleep(50).await;
        }
        assert!(ended, "{transport:?}: the server saw the connection end");
    }
}

#[wasm_bindgen_test]
async fn a_thousand_open_close_cycles_leave_nothing_behind() {
    let before = live_resources();
    let key = support::scenario("cycles");
    let url = support::sse_url(&key, "count=1&end=hold");
    for i in 0..1000 {
        let transport = if i % 2 == 0 {
            Transport::EventSource
        } else {
            Transport::Fetch
        };
        let source = EventSource::builder(&url)
            .transport(transport)
            .on::<Payload>("message", |_| {})
            .on_state(|_| {})
            .open()
            .expect("opens");
        if i % 100 == 0 {
            assert!(live_resources().listeners > before.listeners);
        }
        drop(source);
    }
    assert_eq!(live_resources(), before);
}

#[wasm_bindgen_test]
async fn the_headers_function_is_called_before_every_attempt() {
    let key = support::scenario("headers");
    let calls = Rc::new(RefCell::new(0u32));
    let c = calls.clone();
    let seen = Shared::default();
    let _source = recording(
        &support::sse_url(&key, "count=1&end=close"),
        Transport::Fetch,
        &["message"],
        &seen,
    )
    .header("X-Fixed", "yes")
    .headers_with(move || {
        *c.borrow_mut() += 1;
        let n = *c.borrow();
        async move {
            support::sleep(5).await;
            vec![("Authorization".to_owned(), format!("Bearer token-{n}"))]
        }
    })
    .open()
    .expect("opens");
    until("three events", 5_000, &seen, |s| s.events.len() >= 3).await;
    let log = support::log(&key).await;
    for k in 0..3 {
        let h = &log["records"][k]["headers"];
        assert_eq!(
            h["authorization"],
            format!("Bearer token-{}", k + 1),
            "{log}"
        );
        assert_eq!(h["x-fixed"], "yes");
    }
}

#[wasm_bindgen_test]
async fn method_body_and_credentials_reach_the_server() {
    let key = support::scenario("post");
    let seen = Shared::default();
    let _source = recording(
        &support::sse_url(&key, "count=1&end=hold"),
        Transport::Fetch,
        &["message"],
        &seen,
    )
    .method("POST")
    .body("{\"subscribe\":\"prices\"}")
    .credentials(Credentials::Include)
    .open()
    .expect("opens");
    until("an event", 5_000, &seen, |s| !s.events.is_empty()).await;
    let log = support::log(&key).await;
    assert_eq!(log["records"][0]["method"], "POST");
    // A credentialed cross-origin request only succeeds when the server echoes the origin.
    assert!(log["records"][0]["headers"]["origin"].is_string(), "{log}");

    let key = support::scenario("with-credentials");
    let seen = Shared::default();
    let _source = recording(
        &support::sse_url(&key, "count=1&end=hold"),
        Transport::EventSource,
        &["message"],
        &seen,
    )
    .credentials(Credentials::Include)
    .open()
    .expect("opens");
    until("an event", 5_000, &seen, |s| !s.events.is_empty()).await;
}

#[wasm_bindgen_test]
fn bad_options_are_refused_and_nothing_is_opened() {
    let before = live_resources();
    let url = support::sse_url("never", "");
    let cases: Vec<(&str, Builder)> = vec![
        ("headers", EventSource::builder(&url).header("X-A", "b")),
        ("method", EventSource::builder(&url).method("POST")),
        ("url", EventSource::builder("http://[::1")),
        (
            "backoff",
            EventSource::builder(&url).backoff(Backoff::default().initial(Duration::ZERO)),
        ),
        (
            "headers",
            EventSource::builder(&url)
                .transport(Transport::Fetch)
                .header("bad header", "x"),
        ),
        (
            "idle_timeout",
            EventSource::builder(&url).idle_timeout(Duration::ZERO),
        ),
    ];
    for (want, builder) in cases {
        match builder.open() {
            Err(Error::InvalidOption { option, .. }) => assert_eq!(option, want),
            other => panic!("{want}: expected InvalidOption, got {other:?}"),
        }
        assert_eq!(live_resources(), before);
    }
}

#[cfg(feature = "stream")]
#[wasm_bindgen_test]
async fn events_arrive_as_a_stream_that_ends_when_the_source_closes() {
    use futures_core::Stream;
    use std::pin::Pin;

    let key = support::scenario("stream");
    let source = EventSource::builder(support::sse_url(&key, "count=3&end=hold"))
        .transport(Transport::Fetch)
        .open()
        .expect("opens");
    let mut stream = source.stream::<Payload>("message");
    let mut got = Vec::new();
    for _ in 0..3 {
        let item = std::future::poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)).await;
        got.push(item.expect("an item").expect("decodes").seq);
    }
    assert_eq!(got, [1, 2, 3]);
    drop(source);
    let end = std::future::poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)).await;
    assert!(end.is_none(), "the stream ends with its source");
}

/// Fires a plain event of this type at the global object, as the browser does.
fn fire_global(event: &web_sys::Event) {
    let global: web_sys::EventTarget = wasm_bindgen::JsCast::unchecked_into(js_sys::global());
    global.dispatch_event(event).expect("dispatches");
}

#[wasm_bindgen_test]
async fn the_network_coming_back_reconnects_at_once() {
    for transport in BOTH {
        let key = support::scenario("online");
        let seen = Shared::default();
        let _source = recording(
            &support::sse_url(&key, "status=503&fail_first=1&count=1&end=hold"),
            transport,
            &["message"],
            &seen,
        )
        .backoff(
            Backoff::default()
                .initial(Duration::from_secs(60))
                .max(Duration::from_secs(60))
                .jitter(Jitter::None),
        )
        .retry_policy(retry_refused())
        .open()
        .expect("opens");
        until("reconnecting in a minute", 5_000, &seen, |s| {
            matches!(s.states.last(), Some(State::Reconnecting { .. }))
        })
        .await;
        fire_global(&web_sys::Event::new("online").expect("an event"));
        until("the event, long before a minute", 5_000, &seen, |s| {
            !s.events.is_empty()
        })
        .await;
        assert_eq!(support::log(&key).await["requests"], 2, "{transport:?}");
    }
}

#[wasm_bindgen_test]
async fn going_offline_pauses_a_pending_reconnection() {
    let key = support::scenario("offline");
    let seen = Shared::default();
    let _source = recording(
        &support::sse_url(&key, "status=503&fail_first=1&count=1&end=hold"),
        Transport::Fetch,
        &["message"],
        &seen,
    )
    .backoff(
        Backoff::default()
            .initial(Duration::from_millis(300))
            .jitter(Jitter::None),
    )
    .open()
    .expect("opens");
    until("reconnecting", 5_000, &seen, |s| {
        matches!(s.states.last(), Some(State::Reconnecting { .. }))
    })
    .await;
    fire_global(&web_sys::Event::new("offline").expect("an event"));
    assert!(matches!(
        seen.borrow().states.last(),
        Some(State::Paused { .. })
    ));
    support::sleep(700).await;
    assert_eq!(
        support::log(&key).await["requests"],
        1,
        "no attempt while offline"
    );
    fire_global(&web_sys::Event::new("online").expect("an event"));
    until("the event", 5_000, &seen, |s| !s.events.is_empty()).await;
}

#[wasm_bindgen_test]
async fn a_page_restored_from_the_back_forward_cache_reconnects() {
    let key = support::scenario("bfcache");
    let seen = Shared::default();
    let _source = recording(
        &support::sse_url(&key, "count=2&interval_ms=50&end=hold"),
        Transport::Fetch,
        &["message"],
        &seen,
    )
    .open()
    .expect("opens");
    until("two events", 5_000, &seen, |s| s.events.len() >= 2).await;
    let init = web_sys::PageTransitionEventInit::new();
    init.set_persisted(true);
    let event = web_sys::PageTransitionEvent::new_with_event_init_dict("pageshow", &init)
        .expect("an event");
    fire_global(&event);
    until("a second connection", 5_000, &seen, |s| {
        s.states.iter().filter(|st| **st == State::Open).count() >= 2
    })
    .await;
    let log = support::log(&key).await;
    assert_eq!(log["records"][1]["resumed_after"], 2, "{log}");
    assert_eq!(log["records"][1]["headers"]["last-event-id"], "2", "{log}");
}

#[cfg(feature = "stream")]
#[wasm_bindgen_test]
async fn an_ended_event_stream_stays_ended_when_its_source_reopens() {
    use futures_core::Stream;
    use std::pin::Pin;

    let key = support::scenario("stream-reopen");
    let source = EventSource::builder(support::sse_url(&key, "count=2&end=hold"))
        .transport(Transport::Fetch)
        .open()
        .expect("opens");
    let mut stream = source.stream::<Payload>("message");
    let first = std::future::poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)).await;
    assert!(matches!(first, Some(Ok(_))));
    source.close();
    source.reopen();
    // Let the reopened connection deliver its events.
    let seen = Rc::new(RefCell::new(Seen::default()));
    let s = seen.clone();
    source.on::<Payload>("message", move |r| {
        if let Ok(p) = r {
            s.borrow_mut().events.push((p.kind, p.seq));
        }
    });
    until("events after the reopen", 5000, &seen, |s| {
        !s.events.is_empty()
    })
    .await;
    // The stream ended at the close: what is left in it (the second event of the first
    // connection, if it came before the close) and then the end, never the reopened events.
    let mut rest = Vec::new();
    while let Some(item) = std::future::poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)).await {
        rest.push(item.expect("decodes").seq);
    }
    assert!(rest.len() <= 1, "the ended stream yielded again: {rest:?}");
}

#[wasm_bindgen_test]
async fn off_removes_a_handler_and_the_stream_goes_on() {
    for transport in BOTH {
        let key = support::scenario("off");
        let seen = Rc::new(RefCell::new(Seen::default()));
        let source =
            EventSource::builder(support::sse_url(&key, "total=20&interval_ms=20&end=hold"))
                .transport(transport)
                .open()
                .expect("opens");
        let kept = seen.clone();
        source.on::<Payload>("message", move |r| {
            if let Ok(p) = r {
                kept.borrow_mut().events.push(("kept".into(), p.seq));
            }
        });
        let removed = seen.clone();
        let id = source.on::<Payload>("message", move |r| {
            if let Ok(p) = r {
                removed.borrow_mut().events.push(("removed".into(), p.seq));
            }
        });
        until("two events", 5000, &seen, |s| s.events.len() >= 4).await;
        assert!(source.off(id), "{transport:?}");
        assert!(!source.off(id), "removed once only");
        let at = seen.borrow().events.len();
        until("more events", 5000, &seen, |s| s.events.len() >= at + 3).await;
        let after: Vec<_> = seen.borrow().events[at..]
            .iter()
            .map(|(who, _)| who.clone())
            .collect();
        assert!(
            after.iter().all(|w| w == "kept"),
            "{transport:?}: {after:?}"
        );
    }
}

#[wasm_bindgen_test]
async fn close_and_reopen_in_one_callback_keep_following_the_page() {
    for transport in BOTH {
        let key = support::scenario("close-reopen");
        let seen = Rc::new(RefCell::new(Seen::default()));
        let slot: Rc<RefCell<Option<EventSource>>> = Rc::new(RefCell::new(None));
        let s = slot.clone();
        let done = Rc::new(std::cell::Cell::new(false));
        let d = done.clone();
        let source = recording(
            &support::sse_url(&key, "count=2&end=hold"),
            transport,
            &["message"],
            &seen,
        )
        .on_raw("message", move |_| {
            if !d.replace(true) {
                if let Some(src) = s.borrow().as_ref() {
                    src.close();
                    src.reopen();
                }
            }
        })
        .open()
        .expect("opens");
        let fresh = live_resources().listeners;
        *slot.borrow_mut() = Some(source);
        until("open after the reopen", 5000, &seen, |s| {
            s.states.iter().filter(|st| **st == State::Open).count() >= 2
        })
        .await;
        // The same listeners as a stream that never closed: its connection's and the page's.
        assert_eq!(live_resources().listeners, fresh, "{transport:?}");
        slot.borrow_mut().take();
    }
}

#[wasm_bindgen_test]
async fn a_retry_policy_may_read_the_stream_and_close_it() {
    let key = support::scenario("policy-reads");
    let seen = Rc::new(RefCell::new(Seen::default()));
    let slot: Rc<RefCell<Option<EventSource>>> = Rc::new(RefCell::new(None));
    let s = slot.clone();
    let read = Rc::new(RefCell::new(Vec::new()));
    let r = read.clone();
    let policy = typed_eventsource::RetryPolicy::new(move |_, default| {
        if let Some(src) = s.borrow().as_ref() {
            r.borrow_mut()
                .push((src.state(), src.last_event_id(), src.reconnection_time()));
            src.close();
        }
        default
    });
    let source = recording(
        &support::sse_url(&key, "count=1&retry=700&end=close"),
        Transport::Fetch,
        &["message"],
        &seen,
    )
    .retry_policy(policy)
    .open()
    .expect("opens");
    *slot.borrow_mut() = Some(source);
    until("closed", 5000, &seen, |s| closed(s).is_some()).await;
    assert_eq!(closed(&seen.borrow()), Some(CloseReason::UserClosed));
    assert_eq!(
        *read.borrow(),
        [(State::Open, "1".to_owned(), Duration::from_millis(700))]
    );
    assert_eq!(
        support::log(&key).await["requests"],
        1,
        "the close won: no reconnection"
    );
}

/// A one-shot POST (a model's streamed answer): its end completes the stream, with no error
/// and no reconnection; broken before any id, it stops with the failure; an event the end cut
/// short is dispatched when asked, and the reason says the end came mid-event.
#[wasm_bindgen_test]
async fn a_one_shot_post_completes_at_its_end_and_is_not_resumed_without_an_id() {
    let one_shot = |url: &str, seen: &Shared| {
        recording(url, Transport::Fetch, &["message"], seen)
            .method("POST")
            .body(r#"{"q":"answer"}"#)
            .one_shot(true)
    };
    let key = support::scenario("one-shot");
    let seen = Shared::default();
    let _answer = one_shot(&support::sse_url(&key, "count=5&end=close"), &seen)
        .open()
        .expect("opens");
    until("the end of the answer", 5_000, &seen, |s| {
        closed(s).is_some()
    })
    .await;
    assert_eq!(seqs(&seen), [1, 2, 3, 4, 5]);
    assert_eq!(
        closed(&seen.borrow()),
        Some(CloseReason::Completed { mid_event: false })
    );
    assert!(
        seen.borrow().errors.is_empty(),
        "{:?}",
        seen.borrow().errors
    );
    let log = support::log(&key).await;
    assert_eq!(log["requests"], 1, "{log}");
    assert_eq!(log["records"][0]["method"], "POST", "{log}");

    let key = support::scenario("one-shot-no-id");
    let seen = Shared::default();
    let _broken = one_shot(&support::sse_url(&key, "ids=0&count=3&end=drop"), &seen)
        .open()
        .expect("opens");
    until("the failure", 5_000, &seen, |s| closed(s).is_some()).await;
    assert_eq!(seqs(&seen), [1, 2, 3]);
    // The failure says how far the stream got.
    assert!(
        matches!(
            closed(&seen.borrow()),
            Some(CloseReason::Failed(Error::Interrupted { events: 3, ref last_event_id, ref cause }))
                if last_event_id.is_empty() && matches!(**cause, Error::Network { .. })
        ),
        "{:?}",
        closed(&seen.borrow())
    );
    support::sleep(300).await;
    assert_eq!(support::log(&key).await["requests"], 1, "not resumed");

    // Two events, then a third without the blank line that would end it: discarded, as the
    // standard says, or dispatched when asked; either way the reason says so.
    for (dispatch, want) in [(false, vec![1, 2]), (true, vec![1, 2, 3])] {
        let key = support::scenario("one-shot-cut");
        let seen = Shared::default();
        let url = support::sse_url(&key, "count=2&end=cut");
        let _cut = one_shot(&url, &seen)
            .dispatch_unfinished(dispatch)
            .open()
            .expect("opens");
        until("the end of the answer", 5_000, &seen, |s| {
            closed(s).is_some()
        })
        .await;
        assert_eq!(seqs(&seen), want);
        assert_eq!(
            closed(&seen.borrow()),
            Some(CloseReason::Completed { mid_event: true })
        );
    }
}

#[wasm_bindgen_test]
fn one_shot_needs_the_fetch_transport() {
    let e = EventSource::builder("/sse")
        .one_shot(true)
        .open()
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidOption {
                option: "one_shot",
                ..
            }
        ),
        "{e}"
    );
}

/// The stream of a one-shot answer ends with the answer; that of a source that gave up yields
/// the failure as its last item.
#[cfg(feature = "stream")]
#[wasm_bindgen_test]
async fn an_event_stream_ends_with_a_one_shot_answer_and_yields_the_failure_it_gave_up_on() {
    use futures_core::Stream;
    use std::pin::Pin;

    async fn items(source: &EventSource) -> Vec<Result<u64, Error>> {
        let mut stream = source.stream::<Payload>("message");
        let mut items = Vec::new();
        while let Some(item) = std::future::poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)).await
        {
            items.push(item.map(|p| p.seq));
        }
        items
    }
    let key = support::scenario("stream-one-shot");
    let answer = EventSource::builder(support::sse_url(&key, "count=3&end=close"))
        .transport(Transport::Fetch)
        .one_shot(true)
        .open()
        .expect("opens");
    assert_eq!(items(&answer).await, [Ok(1), Ok(2), Ok(3)]);

    let key = support::scenario("stream-404");
    let missing = EventSource::builder(support::sse_url(&key, "status=404"))
        .transport(Transport::Fetch)
        .open()
        .expect("opens");
    let got = items(&missing).await;
    assert!(
        matches!(got.as_slice(), [Err(Error::HttpStatus { status: 404, .. })]),
        "{got:?}"
    );
}

/// A stream started by a POST and resumed by a GET, as MCP's Streamable HTTP asks: the
/// resumption is the request `resume_with` makes from the last id, with the builder's headers
/// and `Last-Event-ID`; an id given to start from makes the first request a resumption too.
#[wasm_bindgen_test]
async fn a_stream_started_by_a_post_is_resumed_by_the_request_resume_with_makes() {
    let key = support::scenario("resume-get");
    let url = support::sse_url(&key, "total=6&count=3&end=drop");
    let seen = Shared::default();
    let _stream = recording(&url, Transport::Fetch, &["message"], &seen)
        .method("POST")
        .body(r#"{"jsonrpc":"2.0"}"#)
        .header("X-Session", "s1")
        .one_shot(true)
        .resume_with(|after| Resume::get().header("X-Resumed-After", after))
        .open()
        .expect("opens");
    until("6 events", 10_000, &seen, |s| s.events.len() >= 6).await;
    assert_eq!(seqs(&seen), [1, 2, 3, 4, 5, 6]);
    let log = support::log(&key).await;
    let r = &log["records"];
    assert_eq!(r[0]["method"], "POST", "{log}");
    assert_eq!(r[1]["method"], "GET", "{log}");
    assert_eq!(r[1]["resumed_after"], 3, "{log}");
    assert_eq!(r[1]["headers"]["last-event-id"], "3", "{log}");
    assert_eq!(r[1]["headers"]["x-resumed-after"], "3", "{log}");
    assert_eq!(r[1]["headers"]["x-session"], "s1", "{log}");

    // Starting from a stored id (after a reload, say): the first request resumes.
    let key = support::scenario("resume-stored");
    let seen = Shared::default();
    let _stream = recording(
        &support::sse_url(&key, "count=2&end=hold"),
        Transport::Fetch,
        &["message"],
        &seen,
    )
    .method("POST")
    .body("{}")
    .last_event_id("10")
    .resume_with(|_| Resume::get())
    .open()
    .expect("opens");
    until("2 events", 5_000, &seen, |s| s.events.len() >= 2).await;
    assert_eq!(seqs(&seen), [11, 12]);
    let log = support::log(&key).await;
    assert_eq!(log["records"][0]["method"], "GET", "{log}");
}

/// A server that replays from two events before the resume point: with `skip_replays`, every
/// event arrives once; without, the replays arrive again, as the standard has it.
#[wasm_bindgen_test]
async fn replays_of_delivered_events_are_dropped_when_asked() {
    for skip in [true, false] {
        let key = support::scenario("replay");
        let url = support::sse_url(&key, "total=9&count=3&end=drop&replay=2");
        let seen = Shared::default();
        let mut b = recording(&url, Transport::Fetch, &["message"], &seen);
        if skip {
            b = b.skip_replays(|id, last| id.parse::<u64>().ok() <= last.parse::<u64>().ok());
        }
        let _source = b.open().expect("opens");
        until("the stream's end", 10_000, &seen, |s| closed(s).is_some()).await;
        if skip {
            assert_eq!(seqs(&seen), (1..=9).collect::<Vec<_>>());
        } else {
            assert!(
                seqs(&seen).len() > 9,
                "replays delivered: {:?}",
                seqs(&seen)
            );
        }
        // Each resumption asked for what follows the last event delivered.
        let log = support::log(&key).await;
        assert_eq!(log["records"][1]["resumed_after"], 3, "{log}");
        if skip {
            assert_eq!(log["records"][2]["resumed_after"], 4, "{log}");
        }
    }
}
