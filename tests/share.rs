//! One connection for many subscribers in a page (`Builder::share`), and across tabs
//! (`Builder::share_tabs`), in headless Chromium against the real server, which counts the
//! connections.
#![cfg(target_arch = "wasm32")]

mod support;

use std::cell::RefCell;
use std::rc::Rc;

use typed_eventsource::web::live_resources;
use typed_eventsource::{
    Backoff, CloseReason, Error, EventSource, Jitter, Sharing, State, Transport,
};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

type Log = Rc<RefCell<Vec<String>>>;

/// A shared stream to `url` over `transport` that logs the ids of its events of `types`.
fn subscriber(url: &str, transport: Transport, types: &[&str]) -> (EventSource, Log) {
    let log: Log = Rc::default();
    let mut b = EventSource::builder(url)
        .transport(transport)
        .share(true)
        .last_event_id_param("lastEventId")
        .backoff(
            Backoff::default()
                .initial(std::time::Duration::from_millis(20))
                .jitter(Jitter::None),
        );
    for t in types {
        let l = log.clone();
        let t = t.to_string();
        b = b.on_raw(&t.clone(), move |e| {
            l.borrow_mut().push(format!("{t}{}", e.last_event_id))
        });
    }
    (b.open().expect("opens"), log)
}

/// The id in a log entry (`TYPE` then the id).
fn id_of(entry: &str) -> u64 {
    entry
        .trim_start_matches(char::is_alphabetic)
        .parse()
        .unwrap()
}

async fn requests(key: &str) -> (u64, u64) {
    let log = support::log(key).await;
    (
        log["requests"].as_u64().unwrap(),
        log["open"].as_u64().unwrap(),
    )
}

/// Two subscribers with their own event types share one connection; one leaves and the other
/// goes on; the last to leave closes it; the next to come opens it again, resuming after the
/// last event.
async fn one_connection_for_the_page(transport: Transport) {
    let key = support::scenario("share");
    let url = support::sse_url(&key, "event=a,b&interval_ms=30&total=400&end=hold");
    let (first, a) = subscriber(&url, transport, &["a"]);
    support::eventually("events of a", 5_000, || {
        (a.borrow().len() >= 2).then_some(())
    })
    .await;
    // Mounted after events have flowed: it sees the state at once.
    let (second, b) = subscriber(&url, transport, &["b"]);
    assert_eq!(second.state(), State::Open);
    support::eventually("events of b", 5_000, || {
        (b.borrow().len() >= 2).then_some(())
    })
    .await;
    assert_eq!(requests(&key).await, (1, 1), "one connection for both");
    assert!(
        a.borrow().iter().all(|e| e.starts_with('a')),
        "{:?}",
        a.borrow()
    );
    assert!(
        b.borrow().iter().all(|e| e.starts_with('b')),
        "{:?}",
        b.borrow()
    );
    // Each event once, in order, to the subscriber of its type.
    let ids = |log: &Log| -> Vec<u64> { log.borrow().iter().map(|e| id_of(e)).collect() };
    let ia = ids(&a);
    assert!(ia.windows(2).all(|w| w[1] == w[0] + 2), "{ia:?}");

    // The first leaves: the second goes on, on the same connection.
    first.close();
    assert_eq!(
        first.state(),
        State::Closed {
            reason: CloseReason::UserClosed
        }
    );
    let (na, nb) = (a.borrow().len(), b.borrow().len());
    support::sleep(150).await;
    assert_eq!(a.borrow().len(), na, "nothing after close()");
    assert!(b.borrow().len() > nb, "the other goes on");
    assert_eq!(second.state(), State::Open);
    assert_eq!(requests(&key).await, (1, 1));

    // The last leaves: the connection closes.
    drop(second);
    support::eventually("the connection closed", 5_000, || {
        (live_resources().connections == 0).then_some(())
    })
    .await;
    // Where the connection stopped: the last event it received, of either type.
    let last: u64 = first.last_event_id().parse().unwrap();
    assert!(last >= ids(&b).last().copied().unwrap());
    // The first comes back: one new connection, resuming after the last event any got.
    first.reopen();
    support::eventually("events again", 5_000, || {
        (a.borrow().len() > na).then_some(())
    })
    .await;
    let log = support::log(&key).await;
    assert_eq!(log["requests"], 2, "{log}");
    assert_eq!(log["records"][1]["resumed_after"], serde_json::json!(last));
    assert!(ids(&a)[na] > last, "{:?} after {last}", ids(&a));
    drop(first);
}

#[wasm_bindgen_test]
async fn subscribers_share_one_fetch_connection() {
    one_connection_for_the_page(Transport::Fetch).await;
}

#[wasm_bindgen_test]
async fn subscribers_share_one_eventsource_connection() {
    one_connection_for_the_page(Transport::EventSource).await;
}

#[wasm_bindgen_test]
async fn streams_that_differ_do_not_share() {
    let key = support::scenario("share-differ");
    let url = support::sse_url(&key, "interval_ms=30&end=hold");
    let (one, _) = subscriber(&url, Transport::Fetch, &["message"]);
    let (two, _) = subscriber(&url, Transport::EventSource, &["message"]);
    let three = EventSource::builder(&url)
        .transport(Transport::Fetch)
        .share(true)
        .header("x-other", "1")
        .open()
        .unwrap();
    let unshared = EventSource::builder(&url)
        .transport(Transport::Fetch)
        .open()
        .unwrap();
    support::eventually("four connections", 5_000, || {
        (live_resources().connections == 4).then_some(())
    })
    .await;
    drop((one, two, three, unshared));
    assert_eq!(live_resources().connections, 0);
}

#[wasm_bindgen_test]
async fn a_page_that_drops_every_subscriber_resumes_when_one_comes() {
    let key = support::scenario("share-resume");
    let url = support::sse_url(&key, "interval_ms=20&total=50&end=hold");
    let (first, log) = subscriber(&url, Transport::Fetch, &["message"]);
    support::eventually("events", 5_000, || (log.borrow().len() >= 3).then_some(())).await;
    drop(first);
    let last = id_of(log.borrow().last().unwrap());
    assert_eq!(live_resources().connections, 0);
    let (again, log2) = subscriber(&url, Transport::Fetch, &["message"]);
    support::eventually("events again", 5_000, || {
        (!log2.borrow().is_empty()).then_some(())
    })
    .await;
    let first_again = id_of(&log2.borrow()[0]);
    assert_eq!(first_again, last + 1, "no event lost or repeated");
    drop(again);
}

#[wasm_bindgen_test]
fn a_one_shot_stream_is_not_shared() {
    let e = EventSource::builder("/answer")
        .transport(Transport::Fetch)
        .one_shot(true)
        .share(true)
        .open()
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidOption {
                option: "share",
                ..
            }
        ),
        "{e:?}"
    );
}

#[wasm_bindgen_test]
async fn a_handler_that_leaves_mid_dispatch_gets_nothing_more_and_the_other_goes_on() {
    let key = support::scenario("share-mid");
    let url = support::sse_url(&key, "count=5&end=hold");
    let slot: Rc<RefCell<Option<EventSource>>> = Rc::default();
    let got: Log = Rc::default();
    let (s, g) = (slot.clone(), got.clone());
    let leaving = EventSource::builder(&url)
        .transport(Transport::Fetch)
        .share(true)
        .on_raw("message", move |e| {
            g.borrow_mut().push(e.last_event_id.clone());
            // Leaves on its first event: the rest of the chunk is not its.
            if let Some(me) = s.borrow().as_ref() {
                me.close();
            }
        })
        .open()
        .unwrap();
    *slot.borrow_mut() = Some(leaving);
    let (other, log) = subscriber(&url, Transport::Fetch, &["message"]);
    support::eventually("five events", 5_000, || {
        (log.borrow().len() == 5).then_some(())
    })
    .await;
    assert_eq!(got.borrow().len(), 1, "{:?}", got.borrow());
    drop(other);
    slot.borrow_mut().take();
}

#[wasm_bindgen_test]
async fn a_subscriber_that_joins_late_gets_the_latest_event_of_each_of_its_types_first() {
    let key = support::scenario("share-latest");
    let url = support::sse_url(&key, "event=a,b,c&count=9&end=hold");
    let (first, log) = subscriber(&url, Transport::Fetch, &["a", "b", "c"]);
    support::eventually("nine events", 5_000, || {
        (log.borrow().len() == 9).then_some(())
    })
    .await;
    // Joins with the replay: the latest `a` and `b` (ids 7 and 8), then a type added later.
    let seen: Log = Rc::default();
    let (s1, s2, s3) = (seen.clone(), seen.clone(), seen.clone());
    let late = EventSource::builder(&url)
        .transport(Transport::Fetch)
        .share(true)
        .last_event_id_param("lastEventId")
        .replay_latest(true)
        .on_raw("a", move |e| {
            s1.borrow_mut().push(format!("a{}", e.last_event_id))
        })
        .on_raw("b", move |e| {
            s2.borrow_mut().push(format!("b{}", e.last_event_id))
        })
        .open()
        .unwrap();
    assert!(
        seen.borrow().is_empty(),
        "after the code that made it has run"
    );
    support::sleep(0).await;
    assert_eq!(*seen.borrow(), ["a7", "b8"]);
    late.on_raw("c", move |e| {
        s3.borrow_mut().push(format!("c{}", e.last_event_id))
    });
    support::sleep(0).await;
    assert_eq!(*seen.borrow(), ["a7", "b8", "c9"]);
    // Without it, nothing is replayed.
    let (plain, plain_log) = subscriber(&url, Transport::Fetch, &["a"]);
    support::sleep(50).await;
    assert!(plain_log.borrow().is_empty(), "{:?}", plain_log.borrow());
    assert_eq!(requests(&key).await, (1, 1));
    drop((first, late, plain));
}

/// Another tab, as far as Web Locks see it: holds the lock `name` from when it is granted until
/// the returned function is called. Resolves when granted.
async fn hold_lock(name: &str) -> js_sys::Function {
    let request = js_sys::Function::new_with_args(
        "name",
        "return new Promise((granted) => navigator.locks.request(name, \
         () => new Promise((release) => granted(() => release()))))",
    );
    let granted = request.call1(&JsValue::NULL, &name.into()).unwrap();
    JsFuture::from(js_sys::Promise::from(granted))
        .await
        .unwrap()
        .into()
}

/// The names of the Web Locks held in this origin.
async fn held_locks() -> Vec<String> {
    let query = js_sys::Function::new_no_args(
        "return navigator.locks.query().then((s) => s.held.map((l) => l.name))",
    );
    let names = JsFuture::from(js_sys::Promise::from(query.call0(&JsValue::NULL).unwrap()))
        .await
        .unwrap();
    js_sys::Array::from(&names)
        .iter()
        .filter_map(|n| n.as_string())
        .collect()
}

fn across_tabs(url: &str) -> (EventSource, Log) {
    let log: Log = Rc::default();
    let l = log.clone();
    let source = EventSource::builder(url)
        .transport(Transport::Fetch)
        .share_tabs(true)
        .on_raw("message", move |e| {
            l.borrow_mut().push(e.last_event_id.clone())
        })
        .open()
        .expect("opens");
    (source, log)
}

/// Shared across tabs: the stream that holds the stream's Web Lock connects; one that waits
/// for it (another tab holds it) follows and does not connect; when the lock is free, it holds
/// the connection and resumes after the last event the page had.
#[wasm_bindgen_test]
async fn across_tabs_the_stream_that_holds_the_lock_connects_and_the_next_takes_over() {
    let key = support::scenario("tabs");
    let url = support::sse_url(&key, "interval_ms=20&end=hold");
    let (first, log) = across_tabs(&url);
    support::eventually("the lock", 5_000, || {
        (first.sharing() == Sharing::Holder).then_some(())
    })
    .await;
    support::eventually("events", 5_000, || (log.borrow().len() >= 3).then_some(())).await;
    assert_eq!(requests(&key).await, (1, 1));
    let name = held_locks()
        .await
        .into_iter()
        .find(|n| n.starts_with("typed-eventsource ") && n.contains(&key))
        .expect("the stream holds a lock named after it");

    // Dropped, it lets the lock go: "another tab" gets it.
    drop(first);
    let last: u64 = log.borrow().last().unwrap().parse().unwrap();
    let release = hold_lock(&name).await;

    // While that tab holds it, a new stream follows: no connection of its own.
    let (second, log2) = across_tabs(&url);
    support::sleep(400).await;
    assert_eq!(second.sharing(), Sharing::Follower);
    assert_eq!(second.state(), State::Connecting { attempt: 0 });
    assert!(log2.borrow().is_empty());
    assert_eq!(requests(&key).await, (1, 0), "no second connection");

    // That tab goes: this one takes over and resumes after the last event the page had.
    release.call0(&JsValue::NULL).unwrap();
    support::eventually("a new holder", 5_000, || {
        (second.sharing() == Sharing::Holder).then_some(())
    })
    .await;
    support::eventually("events again", 5_000, || {
        (!log2.borrow().is_empty()).then_some(())
    })
    .await;
    assert_eq!(
        log2.borrow()[0],
        (last + 1).to_string(),
        "no event lost or repeated"
    );
    let server = support::log(&key).await;
    assert_eq!(server["records"][1]["resumed_after"].as_u64(), Some(last));
    drop(second);
    let mut waited = 0;
    while held_locks().await.contains(&name) {
        assert!(
            waited < 5_000,
            "the lock is let go when the last stream goes"
        );
        support::sleep(20).await;
        waited += 20;
    }
}
