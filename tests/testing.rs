//! The test kit (feature `testing`): the real client over a scripted network and a virtual
//! clock, with no server and no waiting: in headless Chromium, and in a native `cargo test`
//! (the same tests, for an app's logic tested without a browser).
#![cfg(feature = "testing")]

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use serde::Deserialize;
use typed_eventsource::testing::Script;
use typed_eventsource::web::live_resources;
use typed_eventsource::{Backoff, CloseReason, Error, EventSource, Jitter, State, Transport};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::{wasm_bindgen_test as test, wasm_bindgen_test_configure};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test_configure!(run_in_browser);

#[derive(Debug, Deserialize, PartialEq)]
struct Tick {
    n: u64,
}

/// What the app's handlers saw.
#[derive(Default)]
struct Seen {
    ticks: Vec<u64>,
    errors: Vec<Error>,
    states: Vec<State>,
}

/// A stream over `script` with a fixed back-off (1 s, doubling, no jitter) that records what
/// its handlers see.
fn open(
    script: &Script,
    configure: impl FnOnce(typed_eventsource::Builder) -> typed_eventsource::Builder,
) -> (EventSource, Rc<RefCell<Seen>>) {
    let seen = Rc::new(RefCell::new(Seen::default()));
    let (a, b, c) = (seen.clone(), seen.clone(), seen.clone());
    let builder = EventSource::builder("/ticks")
        .transport(Transport::Fetch)
        .backoff(
            Backoff::default()
                .initial(Duration::from_secs(1))
                .factor(2.0)
                .max(Duration::from_secs(60))
                .jitter(Jitter::None),
        )
        .script(script)
        .on::<Tick>("tick", move |t| a.borrow_mut().ticks.push(t.unwrap().n))
        .on_error(move |e| b.borrow_mut().errors.push(e.clone()))
        .on_state(move |s| c.borrow_mut().states.push(s.clone()));
    let source = configure(builder).open().unwrap();
    (source, seen)
}

fn tick(script: &Script, n: u64) {
    script.event("tick", Some(&n.to_string()), &format!("{{\"n\":{n}}}"));
}

#[test]
fn a_drop_reconnects_after_the_back_off_and_resumes_from_the_last_id() {
    let script = Script::new();
    let (source, seen) = open(&script, |b| b);
    assert_eq!(script.attempts().len(), 1);
    assert_eq!(script.attempts()[0].last_event_id, None);
    script.open();
    assert_eq!(source.state(), State::Open);
    for n in 1..=3 {
        tick(&script, n);
    }
    script.drop_connection();
    assert!(matches!(
        source.state(),
        State::Reconnecting { attempt: 1, .. }
    ));
    // Nothing before the delay has passed on the virtual clock.
    script.advance(Duration::from_millis(999));
    assert_eq!(script.attempts().len(), 1);
    script.advance(Duration::from_millis(1));
    let attempts = script.attempts();
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[1].last_event_id.as_deref(), Some("3"));
    assert_eq!(attempts[1].at, Duration::from_secs(1));
    script.open();
    tick(&script, 4);
    assert_eq!(seen.borrow().ticks, [1, 2, 3, 4]);
    assert!(matches!(seen.borrow().errors[..], [Error::Network { .. }]));
}

#[test]
fn two_503s_with_retry_after_wait_what_the_server_asked_then_the_stream_resumes() {
    let script = Script::new();
    let (source, seen) = open(&script, |b| b);
    script.open();
    tick(&script, 1);
    script.drop_connection();
    script.advance(Duration::from_secs(1));
    for _ in 0..2 {
        script.status_retry_after(503, Duration::from_secs(5));
        let before = script.attempts().len();
        script.advance(Duration::from_millis(4_999));
        assert_eq!(
            script.attempts().len(),
            before,
            "reconnected before Retry-After"
        );
        script.advance(Duration::from_millis(1));
        assert_eq!(script.attempts().len(), before + 1);
    }
    let attempts = script.attempts();
    assert_eq!(attempts.len(), 4);
    assert!(attempts[1..]
        .iter()
        .all(|a| a.last_event_id.as_deref() == Some("1")));
    assert_eq!(
        attempts.iter().map(|a| a.at.as_secs()).collect::<Vec<_>>(),
        [0, 1, 6, 11]
    );
    script.open();
    tick(&script, 2);
    assert_eq!(source.state(), State::Open);
    assert_eq!(seen.borrow().ticks, [1, 2]);
    let statuses: Vec<u16> = seen
        .borrow()
        .errors
        .iter()
        .filter_map(|e| match e {
            Error::HttpStatus { status, .. } => Some(*status),
            _ => None,
        })
        .collect();
    assert_eq!(statuses, [503, 503]);
}

#[test]
fn a_stall_trips_the_idle_watchdog_on_the_virtual_clock_and_comments_keep_it_fed() {
    let script = Script::new();
    let (_source, seen) = open(&script, |b| b.idle_timeout(Duration::from_secs(10)));
    script.open();
    for _ in 0..5 {
        script.advance(Duration::from_secs(9));
        script.comment("keep-alive");
    }
    assert_eq!(script.attempts().len(), 1, "a fed connection was replaced");
    script.advance(Duration::from_secs(10));
    assert!(matches!(
        seen.borrow().errors[..],
        [Error::IdleTimeout { .. }]
    ));
    script.advance(Duration::from_secs(1));
    assert_eq!(script.attempts().len(), 2);
}

#[test]
fn a_server_retry_line_sets_the_reconnection_delay() {
    let script = Script::new();
    let (_source, _seen) = open(&script, |b| b);
    script.open().retry(Duration::from_secs(7));
    tick(&script, 1);
    script.end();
    script.advance(Duration::from_millis(6_999));
    assert_eq!(script.attempts().len(), 1);
    script.advance(Duration::from_millis(1));
    assert_eq!(script.attempts().len(), 2);
}

#[test]
fn a_204_closes_for_good_and_nothing_is_left_armed() {
    // Counted over every stream of the page (a test that panics leaves its stream behind).
    let connections = live_resources().connections;
    let script = Script::new();
    let (source, seen) = open(&script, |b| b);
    script.status(204);
    assert_eq!(
        source.state(),
        State::Closed {
            reason: CloseReason::ServerRequested
        }
    );
    script.advance(Duration::from_secs(3600));
    assert_eq!(script.attempts().len(), 1);
    assert!(!script.connected());
    drop(source);
    assert_eq!(live_resources().connections, connections);
    assert!(seen.borrow().ticks.is_empty());
}

#[test]
fn closing_during_a_pending_reconnect_disarms_it() {
    let script = Script::new();
    let (source, _seen) = open(&script, |b| b);
    script.open().drop_connection();
    source.close();
    script.advance(Duration::from_secs(3600));
    assert_eq!(script.attempts().len(), 1);
    assert!(!script.connected());
}

#[test]
fn the_attempts_carry_the_request() {
    let script = Script::new();
    let (_source, _seen) = open(&script, |b| {
        b.method("POST")
            .body("{\"q\":1}")
            .header("Authorization", "Bearer t")
    });
    let a = &script.attempts()[0];
    assert_eq!(a.method, "POST");
    assert_eq!(a.body.as_deref(), Some("{\"q\":1}"));
    assert_eq!(
        a.headers,
        [("Authorization".to_owned(), "Bearer t".to_owned())]
    );
    assert!(a.url.ends_with("/ticks"), "{}", a.url);
}

#[test]
#[should_panic(expected = "no connection is waiting or open")]
fn answering_when_nothing_waits_fails_the_test() {
    let script = Script::new();
    let (source, _seen) = open(&script, |b| b);
    source.close();
    script.open();
}

/// The README's example ("Testing your app"), with the default back-off and its jitter.
#[test]
fn the_readme_example() {
    for _ in 0..20 {
        let script = Script::new();
        let seen = Rc::new(RefCell::new(Vec::new()));
        let log = seen.clone();
        let _source = EventSource::builder("/prices")
            .transport(Transport::Fetch)
            .script(&script)
            .on_raw("price", move |e| log.borrow_mut().push(e.data.clone()))
            .open()
            .unwrap();
        script.open();
        for n in 1..=3 {
            script.event("price", Some(&n.to_string()), &n.to_string());
        }
        script.drop_connection();
        for _ in 0..2 {
            script.advance(Duration::from_secs(5));
            script.status_retry_after(503, Duration::from_secs(2));
        }
        script.advance(Duration::from_secs(5));
        assert_eq!(script.attempts().len(), 4);
        assert_eq!(script.attempts()[3].last_event_id.as_deref(), Some("3"));
        script.open().event("price", Some("4"), "4");
        assert_eq!(*seen.borrow(), ["1", "2", "3", "4"]);
    }
}

/// The issue's own script: the test reads like the fault it checks.
#[test]
fn a_played_script_reads_like_the_fault() {
    let script = Script::new();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let log = seen.clone();
    let _source = EventSource::builder("/feed")
        .transport(Transport::Fetch)
        .backoff(Backoff::default().jitter(Jitter::None))
        .script(&script)
        .on_raw("message", move |e| log.borrow_mut().push(e.data.clone()))
        .open()
        .unwrap();
    script.play(
        "fresh, open, 3 events, drop,
         503 retry-after 2, 503 retry-after 2,
         resume from 3, open, 1 event",
    );
    assert_eq!(*seen.borrow(), ["1", "2", "3", "4"]);
    let at: Vec<u128> = script.attempts().iter().map(|a| a.at.as_millis()).collect();
    // The back-off (1 s, then 2 s, then 4 s, the longer of it and Retry-After each time).
    assert_eq!(at, [0, 1_000, 3_000, 7_000]);
}

#[test]
#[should_panic(expected = "resume from 2")]
fn a_played_script_checks_the_resumption() {
    let script = Script::new();
    let (_source, _seen) = open(&script, |b| b);
    script.play("open, 3 events, drop, resume from 2");
}

#[test]
#[should_panic(expected = "unknown step `teleport`")]
fn a_played_script_refuses_what_it_does_not_know() {
    Script::new().play("teleport");
}

#[test]
#[should_panic(expected = "asks for no connection")]
fn waiting_for_an_attempt_that_never_comes_fails_the_test() {
    let script = Script::new();
    let (_source, _seen) = open(&script, |b| b);
    script.play("204, open");
}
