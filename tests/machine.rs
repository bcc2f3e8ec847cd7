//! The reconnect state machine, driven by hand: the test owns the clock, so every delay is
//! asserted exactly.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use std::time::Duration;

use typed_eventsource::core::backoff::{Backoff, Jitter};
use typed_eventsource::core::error::{CloseReason, Error};
use typed_eventsource::core::machine::{
    ConnectionId, Decision, Environment, Machine, MachineConfig, Output, PauseReason, RetryPolicy,
    State,
};
use typed_eventsource::core::parser::{Event, ParserConfig};
use web_time::Instant;

const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A machine and the clock it is driven by.
struct Pair {
    m: Machine,
    start: Instant,
    now: Instant,
}

fn exact() -> MachineConfig {
    MachineConfig::default().backoff(Backoff::default().jitter(Jitter::None))
}

impl Pair {
    fn new(config: MachineConfig) -> Self {
        Self::with_env(config, Environment::default())
    }

    fn with_env(config: MachineConfig, env: Environment) -> Self {
        // Instant::now() is only the origin; every later moment is origin + a chosen offset.
        let start = Instant::now();
        Pair {
            m: Machine::new(config, env, start, 42),
            start,
            now: start,
        }
    }

    fn outputs(&mut self) -> Vec<Output> {
        std::iter::from_fn(|| self.m.poll()).collect()
    }

    /// The id of the connection the machine just asked for (and the id it resumes after).
    fn connect(&mut self) -> (ConnectionId, Option<String>) {
        let outs = self.outputs();
        outs.iter()
            .find_map(|o| match o {
                Output::Connect { id, last_event_id } => Some((*id, last_event_id.clone())),
                _ => None,
            })
            .unwrap_or_else(|| panic!("expected a Connect in {outs:?}"))
    }

    fn open(&mut self, id: ConnectionId) {
        self.m.handle_response(
            id,
            200,
            Some("text/event-stream; charset=utf-8"),
            None,
            self.now,
        );
    }

    fn advance(&mut self, d: Duration) {
        self.now += d;
    }

    /// Moves the clock to the machine's next deadline and fires it; returns how far that was.
    fn fire(&mut self) -> Duration {
        let at = self.m.poll_timeout().expect("a deadline is armed");
        let waited = at - self.now;
        self.now = at;
        self.m.handle_timeout(self.now);
        waited
    }

    fn elapsed(&self) -> Duration {
        self.now - self.start
    }
}

fn event(data: &str, id: &str) -> Event {
    Event {
        event_type: "message".to_owned(),
        data: data.to_owned(),
        last_event_id: id.to_owned(),
    }
}

fn events(outs: &[Output]) -> Vec<String> {
    outs.iter()
        .filter_map(|o| match o {
            Output::Event(e) => Some(e.data.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn connects_at_once_then_opens_and_delivers_parsed_events() {
    let mut p = Pair::new(exact());
    assert_eq!(p.m.state(), &State::Connecting { attempt: 0 });
    let (id, resume) = p.connect();
    assert_eq!(resume, None);
    p.open(id);
    assert_eq!(p.m.state(), &State::Open);
    p.m.handle_bytes(id, b"id: 1\ndata: a\n\ndata: b", p.now);
    p.m.handle_bytes(id, b"\n\n", p.now);
    let outs = p.outputs();
    assert_eq!(events(&outs), ["a", "b"]);
    assert_eq!(p.m.last_event_id(), "1");
    assert_eq!(
        p.m.poll_timeout(),
        None,
        "nothing armed while open without idle timeout"
    );
}

#[test]
fn network_errors_back_off_exponentially_and_resume_from_the_last_id() {
    let mut p = Pair::new(exact());
    let (id, _) = p.connect();
    p.open(id);
    p.m.handle_bytes(id, b"id: 41\ndata: x\n\n", p.now);
    p.m.handle_error(
        id,
        Error::Network {
            message: "reset".into(),
        },
        p.now,
    );
    let mut delays = Vec::new();
    for attempt in 1..=6 {
        assert!(matches!(p.m.state(), State::Reconnecting { attempt: a, .. } if *a == attempt));
        delays.push(p.fire());
        let (id, resume) = p.connect();
        assert_eq!(resume.as_deref(), Some("41"));
        assert_eq!(p.m.state(), &State::Connecting { attempt });
        p.m.handle_error(
            id,
            Error::Network {
                message: "refused".into(),
            },
            p.now,
        );
    }
    assert_eq!(
        delays,
        [ms(1000), ms(2000), ms(4000), ms(8000), ms(16000), ms(30000)]
    );
}

#[test]
fn the_end_of_the_stream_is_retried_and_reported() {
    let mut p = Pair::new(exact());
    let (id, _) = p.connect();
    p.open(id);
    p.m.handle_end(id, p.now);
    let outs = p.outputs();
    assert!(outs.contains(&Output::Error(Error::Ended)), "{outs:?}");
    assert_eq!(
        p.m.state(),
        &State::Reconnecting {
            attempt: 1,
            delay: ms(1000)
        }
    );
}

fn one_shot() -> MachineConfig {
    exact().one_shot(true)
}

fn closed(p: &Pair) -> &CloseReason {
    match p.m.state() {
        State::Closed { reason } => reason,
        other => panic!("expected Closed, not {other:?}"),
    }
}

#[test]
fn a_one_shot_stream_completes_at_its_end_and_does_not_reconnect() {
    let mut p = Pair::new(one_shot());
    let (id, _) = p.connect();
    p.open(id);
    p.m.handle_bytes(id, b"data: a\n\ndata: b\n\n", p.now);
    p.m.handle_end(id, p.now);
    let outs = p.outputs();
    assert_eq!(events(&outs), ["a", "b"]);
    assert!(
        !outs
            .iter()
            .any(|o| matches!(o, Output::Error(_) | Output::Connect { .. })),
        "a completion is no error and no reconnection: {outs:?}"
    );
    assert_eq!(closed(&p), &CloseReason::Completed { mid_event: false });
    assert_eq!(p.m.poll_timeout(), None);
}

#[test]
fn an_event_cut_short_by_the_end_is_discarded_or_dispatched_and_said_either_way() {
    for dispatch in [false, true] {
        let mut p = Pair::new(one_shot().dispatch_unfinished(dispatch));
        let (id, _) = p.connect();
        p.open(id);
        p.m.handle_bytes(id, b"data: whole\n\nevent: token\nid: 7\ndata: half", p.now);
        p.m.handle_end(id, p.now);
        let outs = p.outputs();
        let mut want = vec!["whole"];
        if dispatch {
            want.push("half");
            let last = outs.iter().rev().find_map(|o| match o {
                Output::Event(e) => Some(e),
                _ => None,
            });
            assert_eq!(
                last.map(|e| (e.event_type.as_str(), e.last_event_id.as_str())),
                Some(("token", "7"))
            );
        }
        assert_eq!(events(&outs), want, "dispatch: {dispatch}");
        assert_eq!(closed(&p), &CloseReason::Completed { mid_event: true });
    }
    // A stream that ends between events did not end mid-event, however it ended its lines.
    let mut p = Pair::new(one_shot().dispatch_unfinished(true));
    let (id, _) = p.connect();
    p.open(id);
    p.m.handle_bytes(id, b"data: a\r\n\r\n", p.now);
    p.m.handle_end(id, p.now);
    assert_eq!(events(&p.outputs()), ["a"]);
    assert_eq!(closed(&p), &CloseReason::Completed { mid_event: false });
}

#[test]
fn a_one_shot_stream_is_retried_only_once_it_can_resume() {
    // Before any id there is nothing to resume from: a failure stops it, reported.
    let mut p = Pair::new(one_shot());
    let (id, _) = p.connect();
    p.open(id);
    p.m.handle_bytes(id, b"data: no id\n\ndata: nor this\n\n", p.now);
    p.m.handle_error(id, lost(), p.now);
    // The failure says how far the stream got.
    let interrupted = Error::Interrupted {
        events: 2,
        last_event_id: String::new(),
        cause: Box::new(lost()),
    };
    let outs = p.outputs();
    assert!(
        outs.contains(&Output::Error(interrupted.clone())),
        "{outs:?}"
    );
    assert_eq!(closed(&p), &CloseReason::Failed(interrupted));
    // Before any event, it is the failure itself.
    let mut p = Pair::new(one_shot());
    let (id, _) = p.connect();
    p.m.handle_error(id, lost(), p.now);
    assert_eq!(closed(&p), &CloseReason::Failed(lost()));

    // After one, it reconnects under the back-off and resumes after it.
    let mut p = Pair::new(one_shot());
    let (id, _) = p.connect();
    p.open(id);
    p.m.handle_bytes(id, b"id: 20\ndata: x\n\n", p.now);
    p.m.handle_error(id, lost(), p.now);
    assert!(matches!(
        p.m.state(),
        State::Reconnecting { attempt: 1, .. }
    ));
    p.fire();
    let (id, resume) = p.connect();
    assert_eq!(resume.as_deref(), Some("20"));
    p.open(id);
    p.m.handle_end(id, p.now);
    assert_eq!(closed(&p), &CloseReason::Completed { mid_event: false });

    // An id alone (no data, as MCP servers send first) makes it resumable, dispatching nothing.
    let mut p = Pair::new(one_shot());
    let (id, _) = p.connect();
    p.open(id);
    p.m.handle_bytes(id, b"id: 0\n\n", p.now);
    assert_eq!(events(&p.outputs()), Vec::<String>::new());
    p.m.handle_error(id, lost(), p.now);
    p.fire();
    assert_eq!(p.connect().1.as_deref(), Some("0"));

    // An id to start from counts, and a retry policy may still retry without one.
    let mut p = Pair::new(one_shot().last_event_id(Some("5".into())));
    let (id, resume) = p.connect();
    assert_eq!(resume.as_deref(), Some("5"));
    p.m.handle_error(id, lost(), p.now);
    assert!(matches!(p.m.state(), State::Reconnecting { .. }));
    let mut p = Pair::new(one_shot().retry_policy(RetryPolicy::new(|_, default| {
        assert_eq!(default, Decision::Stop, "the default without an id");
        Decision::Retry
    })));
    let (id, _) = p.connect();
    p.m.handle_error(id, lost(), p.now);
    assert!(matches!(p.m.state(), State::Reconnecting { .. }));
}

fn lost() -> Error {
    Error::Network {
        message: "lost".into(),
    }
}

#[test]
fn a_transport_that_reconnects_by_itself_may_once_after_an_open_stream_drops() {
    let mut p = Pair::new(exact());
    let (id, _) = p.connect();
    p.open(id);
    p.m.handle_event(id, event("x", "41"), p.now);
    p.outputs();
    // The browser's EventSource reconnects by itself: the machine lets it, once.
    assert!(p.m.handle_error_reconnecting(id, lost(), p.now));
    assert_eq!(
        p.outputs(),
        [
            Output::Error(lost()),
            Output::State(State::Connecting { attempt: 1 })
        ],
        "reported, no Abort and no Connect of its own"
    );
    assert_eq!(p.m.current(), Some(id));
    assert_eq!(p.m.poll_timeout(), None, "the browser keeps the time");
    p.advance(ms(600));
    p.open(id);
    assert_eq!(p.m.state(), &State::Open);
    // The stream drops again before it was healthy: the back-off takes over and grows.
    p.advance(ms(100));
    assert!(!p.m.handle_error_reconnecting(id, lost(), p.now));
    let outs = p.outputs();
    assert!(outs.contains(&Output::Abort { id }), "{outs:?}");
    assert_eq!(
        p.m.state(),
        &State::Reconnecting {
            attempt: 2,
            delay: ms(2000)
        }
    );
    assert_eq!(p.fire(), ms(2000));
    let (id, resume) = p.connect();
    assert_eq!(resume.as_deref(), Some("41"));
    // A connection that never opened is never left to the browser.
    assert!(!p.m.handle_error_reconnecting(id, lost(), p.now));
    assert!(matches!(
        p.m.state(),
        State::Reconnecting { attempt: 3, .. }
    ));
    p.fire();
    let (id, _) = p.connect();
    // Open for reset_after: a fresh run of failures, which the browser may start again.
    p.open(id);
    p.advance(ms(5000));
    assert!(p.m.handle_error_reconnecting(id, lost(), p.now));
    assert_eq!(p.m.state(), &State::Connecting { attempt: 1 });
    // A stream that delivers an event before each drop (a server that closes after every
    // event and counts on `retry:`) is left to the browser every time.
    for n in 0..3 {
        p.advance(ms(600));
        p.open(id);
        p.m.handle_event(id, event("y", &n.to_string()), p.now);
        p.advance(ms(10));
        assert!(p.m.handle_error_reconnecting(id, lost(), p.now), "drop {n}");
    }
    // One whose reconnection came sooner than the floor (`retry: 0`) is not, until healthy.
    p.advance(ms(5));
    p.open(id);
    p.m.handle_event(id, event("z", "9"), p.now);
    assert!(!p.m.handle_error_reconnecting(id, lost(), p.now));
    assert!(matches!(
        p.m.state(),
        State::Reconnecting { attempt: 2, .. }
    ));
}

#[test]
fn a_reconnection_by_the_transport_still_obeys_the_policy_and_the_network() {
    let open = |config: MachineConfig, env: Environment| {
        let mut p = Pair::with_env(config, env);
        let (id, _) = p.connect();
        p.open(id);
        p.outputs();
        (p, id)
    };
    // A policy that stops, asked once for the one failure (a user's policy may count).
    let asked = std::rc::Rc::new(std::cell::Cell::new(0));
    let a = asked.clone();
    let stop = exact().retry_policy(RetryPolicy::new(move |_, _| {
        a.set(a.get() + 1);
        Decision::Stop
    }));
    let (mut p, id) = open(stop, Environment::default());
    assert!(!p.m.handle_error_reconnecting(id, lost(), p.now));
    assert!(matches!(p.m.state(), State::Closed { .. }));
    assert_eq!(asked.get(), 1, "the policy decides each failure once");
    // No attempts allowed.
    let none = MachineConfig::default().backoff(Backoff::default().max_attempts(Some(0)));
    let (mut p, id) = open(none, Environment::default());
    assert!(!p.m.handle_error_reconnecting(id, lost(), p.now));
    assert!(matches!(
        p.m.state(),
        State::Closed {
            reason: CloseReason::Failed(Error::GaveUp { .. })
        }
    ));
    // Offline: paused until the network comes back, not left to the browser.
    let (mut p, id) = open(exact(), Environment::default());
    p.m.handle_online(false, p.now);
    assert!(!p.m.handle_error_reconnecting(id, lost(), p.now));
    assert_eq!(
        p.m.state(),
        &State::Paused {
            reason: PauseReason::Offline
        }
    );
    // A connection that is no longer current is ignored.
    let (mut p, id) = open(exact(), Environment::default());
    p.m.close();
    assert!(!p.m.handle_error_reconnecting(id, lost(), p.now));
}

#[test]
fn backoff_resets_only_after_a_connection_stayed_open_long_enough() {
    let mut p = Pair::new(exact());
    let (mut id, _) = p.connect();
    // A server that accepts and drops at once keeps backing off.
    let mut delays = Vec::new();
    for _ in 0..4 {
        p.open(id);
        p.advance(ms(100));
        p.m.handle_end(id, p.now);
        delays.push(p.fire());
        id = p.connect().0;
    }
    assert_eq!(delays, [ms(1000), ms(2000), ms(4000), ms(8000)]);
    // One that stays open for reset_after (5 s) earns a fresh start.
    p.open(id);
    p.advance(ms(5000));
    p.m.handle_end(id, p.now);
    assert_eq!(p.fire(), ms(1000));
}

#[test]
fn the_servers_retry_sets_the_base_with_a_floor() {
    let mut p = Pair::new(exact());
    let (id, _) = p.connect();
    p.open(id);
    p.m.handle_bytes(id, b"retry: 2500\n\n", p.now);
    p.m.handle_end(id, p.now);
    assert_eq!(p.fire(), ms(2500));
    let id = p.connect().0;
    p.open(id);
    p.m.handle_bytes(id, b"retry: 0\n", p.now);
    p.m.handle_end(id, p.now);
    // Second consecutive failure: floor 200 ms, doubled.
    assert_eq!(p.fire(), ms(400));
}

#[test]
fn status_204_closes_as_the_server_asks_with_one_error() {
    let mut p = Pair::new(exact());
    let (id, _) = p.connect();
    p.m.handle_response(id, 204, None, None, p.now);
    let outs = p.outputs();
    // One error, as the browser's EventSource fires one, and the reason says the server asked.
    let errors: Vec<_> = outs
        .iter()
        .filter(|o| matches!(o, Output::Error(_)))
        .collect();
    assert!(
        matches!(
            errors[..],
            [Output::Error(Error::HttpStatus { status: 204, .. })]
        ),
        "{outs:?}"
    );
    assert_eq!(
        p.m.state(),
        &State::Closed {
            reason: CloseReason::ServerRequested
        }
    );
    assert_eq!(p.m.poll_timeout(), None);
}

#[test]
fn client_errors_stop_with_the_status_in_the_reason() {
    for status in [400, 401, 403, 404, 410] {
        let mut p = Pair::new(exact());
        let (id, _) = p.connect();
        p.m.handle_response(id, status, Some("text/html"), None, p.now);
        let err = Error::HttpStatus {
            status,
            retry_after: None,
        };
        assert!(p.outputs().contains(&Output::Error(err.clone())));
        assert_eq!(
            p.m.state(),
            &State::Closed {
                reason: CloseReason::Failed(err)
            }
        );
        assert_eq!(p.m.poll_timeout(), None);
    }
}

#[test]
fn server_errors_retry_with_growing_delays_then_recover() {
    let mut p = Pair::new(exact());
    let mut delays = Vec::new();
    for status in [500, 502, 503] {
        let (id, _) = p.connect();
        p.m.handle_response(id, status, Some("text/plain"), None, p.now);
        delays.push(p.fire());
    }
    assert_eq!(delays, [ms(1000), ms(2000), ms(4000)]);
    let (id, _) = p.connect();
    p.open(id);
    assert_eq!(p.m.state(), &State::Open);
}

#[test]
fn too_many_requests_waits_for_retry_after() {
    let mut p = Pair::new(exact());
    let (id, _) = p.connect();
    p.m.handle_response(id, 429, None, Some(ms(7000)), p.now);
    assert_eq!(
        p.m.state(),
        &State::Reconnecting {
            attempt: 1,
            delay: ms(7000)
        }
    );
    assert_eq!(p.fire(), ms(7000));
    let (id, _) = p.connect();
    p.m.handle_response(id, 503, None, None, p.now);
    assert_eq!(p.fire(), ms(2000));
}

#[test]
fn a_wrong_content_type_stops() {
    let mut p = Pair::new(exact());
    let (id, _) = p.connect();
    p.m.handle_response(id, 200, Some("text/html; charset=utf-8"), None, p.now);
    assert_eq!(
        p.m.state(),
        &State::Closed {
            reason: CloseReason::Failed(Error::ContentType {
                content_type: "text/html; charset=utf-8".into()
            })
        }
    );
    // The essence is compared case-insensitively, parameters ignored.
    let mut p = Pair::new(exact());
    let (id, _) = p.connect();
    p.m.handle_response(
        id,
        200,
        Some("Text/Event-Stream;charset=UTF-8"),
        None,
        p.now,
    );
    assert_eq!(p.m.state(), &State::Open);
    // HTTP whitespace around the essence is trimmed, as a MIME type parser does; other
    // whitespace (a no-break space) is part of it.
    for (content_type, open) in [
        (" text/event-stream\t; charset=utf-8", true),
        ("\u{a0}text/event-stream", false),
    ] {
        let mut p = Pair::new(exact());
        let (id, _) = p.connect();
        p.m.handle_response(id, 200, Some(content_type), None, p.now);
        assert_eq!(p.m.state() == &State::Open, open, "{content_type:?}");
    }
}

#[test]
fn a_user_policy_overrides_the_default_decision() {
    // Retry 404 (a feed that appears later), stop on the end of the stream.
    let policy = RetryPolicy::new(|e, default| match e {
        Error::HttpStatus { status: 404, .. } => Decision::Retry,
        Error::Ended => Decision::Stop,
        _ => default,
    });
    let mut p = Pair::new(exact().retry_policy(policy));
    let (id, _) = p.connect();
    p.m.handle_response(id, 404, None, None, p.now);
    assert_eq!(p.fire(), ms(1000));
    let (id, _) = p.connect();
    p.open(id);
    p.m.handle_end(id, p.now);
    assert_eq!(
        p.m.state(),
        &State::Closed {
            reason: CloseReason::Failed(Error::Ended)
        }
    );
}

#[test]
fn an_idle_connection_is_replaced_and_comments_keep_it_alive() {
    let mut p = Pair::new(exact().idle_timeout(Some(ms(3000))));
    let (id, _) = p.connect();
    p.open(id);
    // Keep-alive comments every 2 s keep the connection.
    for _ in 0..5 {
        p.advance(ms(2000));
        p.m.handle_timeout(p.now);
        p.m.handle_bytes(id, b":ka\n", p.now);
    }
    assert_eq!(p.m.state(), &State::Open);
    assert_eq!(
        p.fire(),
        ms(3000),
        "the watchdog fires 3 s after the last byte"
    );
    let outs = p.outputs();
    assert!(outs.contains(&Output::Abort { id }), "{outs:?}");
    assert!(outs.contains(&Output::Error(Error::IdleTimeout { after: ms(3000) })));
    assert_eq!(
        p.m.state(),
        &State::Reconnecting {
            attempt: 1,
            delay: ms(1000)
        }
    );
    // A connection that never answers is presumed dead as well.
    p.fire();
    let (id2, _) = p.connect();
    assert_ne!(id, id2);
    assert_eq!(p.fire(), ms(3000));
    assert!(matches!(
        p.m.state(),
        State::Reconnecting { attempt: 2, .. }
    ));
}

#[test]
fn close_during_a_pending_reconnect_never_reconnects() {
    let mut p = Pair::new(exact());
    let (id, _) = p.connect();
    p.m.handle_error(
        id,
        Error::Network {
            message: "x".into(),
        },
        p.now,
    );
    assert!(p.m.poll_timeout().is_some());
    p.outputs();
    p.m.close();
    assert_eq!(
        p.m.state(),
        &State::Closed {
            reason: CloseReason::UserClosed
        }
    );
    assert_eq!(p.m.poll_timeout(), None, "the timer is cancelled");
    p.advance(Duration::from_secs(3600));
    p.m.handle_timeout(p.now);
    p.m.handle_online(true, p.now);
    p.m.handle_page_restored(p.now);
    assert!(p
        .outputs()
        .iter()
        .all(|o| !matches!(o, Output::Connect { .. })));
}

#[test]
fn close_aborts_the_open_connection_and_ignores_it_afterwards() {
    let mut p = Pair::new(exact());
    let (id, _) = p.connect();
    p.open(id);
    p.m.close();
    assert!(p.outputs().contains(&Output::Abort { id }));
    p.m.handle_bytes(id, b"data: late\n\n", p.now);
    p.m.handle_event(id, event("late", "9"), p.now);
    p.m.handle_end(id, p.now);
    assert_eq!(p.outputs(), vec![]);
    assert_eq!(p.m.last_event_id(), "");
}

#[test]
fn events_from_a_replaced_connection_are_never_delivered() {
    let mut p = Pair::new(exact().idle_timeout(Some(ms(1000))));
    let (old, _) = p.connect();
    p.open(old);
    p.fire(); // idle: old is replaced
    p.fire(); // reconnect
    let (new, _) = p.connect();
    p.m.handle_event(old, event("stale", "1"), p.now);
    p.m.handle_bytes(old, b"data: stale\n\n", p.now);
    p.m.handle_error(
        old,
        Error::Network {
            message: "late".into(),
        },
        p.now,
    );
    p.open(new);
    p.m.handle_event(new, event("fresh", "2"), p.now);
    assert_eq!(events(&p.outputs()), ["fresh"]);
    assert_eq!(p.m.state(), &State::Open);
}

#[test]
fn gives_up_after_max_attempts() {
    let mut p = Pair::new(
        exact().backoff(
            Backoff::default()
                .jitter(Jitter::None)
                .max_attempts(Some(3)),
        ),
    );
    let (mut id, _) = p.connect();
    for _ in 0..3 {
        p.m.handle_error(
            id,
            Error::Network {
                message: "down".into(),
            },
            p.now,
        );
        p.fire();
        id = p.connect().0;
    }
    p.m.handle_error(
        id,
        Error::Network {
            message: "down".into(),
        },
        p.now,
    );
    let gave_up = Error::GaveUp {
        attempts: 3,
        last: Box::new(Error::Network {
            message: "down".into(),
        }),
    };
    assert!(p.outputs().contains(&Output::Error(gave_up.clone())));
    assert_eq!(
        p.m.state(),
        &State::Closed {
            reason: CloseReason::Failed(gave_up)
        }
    );
    assert_eq!(p.elapsed(), ms(1000 + 2000 + 4000));
}

#[test]
fn gives_up_when_failing_for_longer_than_max_elapsed() {
    let b = Backoff::default()
        .jitter(Jitter::None)
        .max_elapsed(Some(ms(10_000)));
    let mut p = Pair::new(exact().backoff(b));
    let (mut id, _) = p.connect();
    let mut delays = Vec::new();
    while !matches!(p.m.state(), State::Closed { .. }) {
        p.m.handle_error(
            id,
            Error::Network {
                message: "down".into(),
            },
            p.now,
        );
        if p.m.poll_timeout().is_some() {
            delays.push(p.fire());
            id = p.connect().0;
        }
    }
    // 1 + 2 + 4 = 7 s; the next 8 s would end past 10 s.
    assert_eq!(delays, [ms(1000), ms(2000), ms(4000)]);
}

#[test]
fn offline_pauses_and_online_reconnects_at_once() {
    let mut p = Pair::new(exact());
    let (id, _) = p.connect();
    p.open(id);
    p.m.handle_online(false, p.now);
    assert_eq!(
        p.m.state(),
        &State::Open,
        "a connection may survive going offline"
    );
    p.m.handle_error(
        id,
        Error::Network {
            message: "offline".into(),
        },
        p.now,
    );
    assert_eq!(
        p.m.state(),
        &State::Paused {
            reason: PauseReason::Offline
        }
    );
    assert_eq!(p.m.poll_timeout(), None, "no attempt while offline");
    p.advance(ms(60_000));
    p.m.handle_online(true, p.now);
    let (_, _) = p.connect();
    assert_eq!(p.m.state(), &State::Connecting { attempt: 1 });
}

#[test]
fn online_cuts_a_pending_delay_short() {
    let mut p = Pair::new(exact());
    let (id, _) = p.connect();
    p.m.handle_error(
        id,
        Error::Network {
            message: "x".into(),
        },
        p.now,
    );
    p.m.handle_online(false, p.now);
    assert_eq!(
        p.m.state(),
        &State::Paused {
            reason: PauseReason::Offline
        }
    );
    p.m.handle_online(true, p.now);
    p.connect();
}

#[test]
fn starting_offline_waits_for_the_network() {
    let env = Environment {
        online: false,
        visible: true,
    };
    let mut p = Pair::with_env(exact(), env);
    assert_eq!(
        p.m.state(),
        &State::Paused {
            reason: PauseReason::Offline
        }
    );
    assert!(p
        .outputs()
        .iter()
        .all(|o| !matches!(o, Output::Connect { .. })));
    p.m.handle_online(true, p.now);
    p.connect();
}

#[test]
fn hidden_pages_pause_only_when_asked() {
    let mut p = Pair::new(exact());
    let (id, _) = p.connect();
    p.open(id);
    p.m.handle_visibility(false, p.now);
    assert_eq!(p.m.state(), &State::Open, "not asked to pause");

    let mut p = Pair::new(exact().pause_when_hidden(true));
    let (id, _) = p.connect();
    p.open(id);
    p.m.handle_bytes(id, b"id: 3\ndata: x\n\n", p.now);
    p.m.handle_visibility(false, p.now);
    assert!(p.outputs().contains(&Output::Abort { id }));
    assert_eq!(
        p.m.state(),
        &State::Paused {
            reason: PauseReason::Hidden
        }
    );
    p.m.handle_visibility(true, p.now);
    let (_, resume) = p.connect();
    assert_eq!(resume.as_deref(), Some("3"));
}

#[test]
fn a_page_restored_from_the_back_forward_cache_reconnects_at_once() {
    let mut p = Pair::new(exact());
    let (id, _) = p.connect();
    p.open(id);
    p.m.handle_page_restored(p.now);
    let outs = p.outputs();
    assert!(outs.contains(&Output::Abort { id }));
    assert!(outs
        .iter()
        .any(|o| matches!(o, Output::Connect { id: new, .. } if *new != id)));
}

#[test]
fn an_oversized_event_is_reported_and_the_stream_goes_on() {
    let mut p = Pair::new(exact().parser(ParserConfig::default().max_event_size(8)));
    let (id, _) = p.connect();
    p.open(id);
    p.m.handle_bytes(id, b"data: far too large\n\ndata: ok\n\n", p.now);
    let outs: Vec<_> = p
        .outputs()
        .into_iter()
        .filter(|o| matches!(o, Output::Error(_) | Output::Event(_)))
        .collect();
    assert_eq!(outs[0], Output::Error(Error::EventTooLarge { limit: 8 }));
    assert_eq!(events(&outs), ["ok"]);
    assert_eq!(p.m.state(), &State::Open);
}

#[test]
fn the_configured_last_event_id_is_sent_on_the_first_connection() {
    let mut p = Pair::new(exact().last_event_id(Some("17".into())));
    assert_eq!(p.connect().1.as_deref(), Some("17"));
}

#[test]
fn reopen_starts_afresh_after_a_close() {
    let mut p = Pair::new(exact());
    let (id, _) = p.connect();
    p.m.handle_error(
        id,
        Error::Network {
            message: "x".into(),
        },
        p.now,
    );
    p.m.close();
    p.m.reopen(p.now);
    let (new, _) = p.connect();
    assert_eq!(p.m.state(), &State::Connecting { attempt: 0 });
    p.m.handle_error(
        new,
        Error::Network {
            message: "x".into(),
        },
        p.now,
    );
    assert_eq!(p.fire(), ms(1000));
}

#[test]
fn jittered_delays_are_reproducible_from_the_seed() {
    let run = || {
        let mut p = Pair::new(MachineConfig::default());
        let (mut id, _) = p.connect();
        (0..5)
            .map(|_| {
                p.m.handle_error(
                    id,
                    Error::Network {
                        message: "x".into(),
                    },
                    p.now,
                );
                let d = p.fire();
                id = p.connect().0;
                d
            })
            .collect::<Vec<_>>()
    };
    let a = run();
    assert_eq!(a, run());
    assert!(a[1] >= ms(1000) && a[1] <= ms(2000));
    assert!(
        a.iter()
            .zip([1000, 2000, 4000, 8000, 16000])
            .any(|(d, b)| *d != ms(b)),
        "jittered"
    );
}

#[test]
fn events_parsed_but_not_yet_delivered_are_dropped_by_close() {
    let mut p = Pair::new(exact());
    let (id, _) = p.connect();
    p.open(id);
    p.outputs();
    p.m.handle_bytes(id, b"id: 1\ndata: a\n\nid: 2\ndata: b\n\n", p.now);
    // The caller delivers `a`, and its handler closes the stream: `b` must not follow.
    assert_eq!(events(&[p.m.poll().expect("an output")]), ["a"]);
    p.m.close();
    let outs = p.outputs();
    assert_eq!(events(&outs), Vec::<String>::new(), "{outs:?}");
    assert!(outs.contains(&Output::Abort { id }));
    // Nor is it lost: a reopen resumes after `a`, so the server sends `b` again.
    assert_eq!(p.m.last_event_id(), "1");
    p.m.reopen(p.now);
    assert_eq!(p.connect().1.as_deref(), Some("1"));
}

#[test]
fn a_failure_queued_behind_the_event_whose_handler_closes_is_not_reported() {
    let config = exact().parser(ParserConfig::default().max_event_size(8));
    let mut p = Pair::new(config);
    let (id, _) = p.connect();
    p.open(id);
    p.outputs();
    // `a`, then an event over the size limit, whose error queues behind `a`.
    p.m.handle_bytes(
        id,
        b"id: 1\ndata: a\n\nid: 2\ndata: far too large\n\n",
        p.now,
    );
    assert_eq!(events(&[p.m.poll().expect("an output")]), ["a"]);
    p.m.close();
    let outs = p.outputs();
    assert!(
        !outs.iter().any(|o| matches!(o, Output::Error(_))),
        "an error after close(): {outs:?}"
    );
    assert!(outs.contains(&Output::State(State::Closed {
        reason: CloseReason::UserClosed
    })));
}

#[test]
fn the_last_event_id_follows_the_events_polled_not_those_parsed() {
    let mut p = Pair::new(exact());
    let (id, _) = p.connect();
    p.open(id);
    p.outputs();
    p.m.handle_bytes(id, b"id: 1\ndata: a\n\nid: 2\ndata: b\n\nid: 3\n\n", p.now);
    // `b` is parsed but not yet handled: a handler of `a` that saves the ID to resume from
    // later must get `a`'s.
    assert_eq!(events(&[p.m.poll().expect("an output")]), ["a"]);
    assert_eq!(p.m.last_event_id(), "1");
    assert_eq!(events(&[p.m.poll().expect("an output")]), ["b"]);
    // Nothing waits now, so the ID of the block without data (which dispatches no event)
    // applies.
    assert_eq!(p.m.last_event_id(), "3");
}

#[test]
fn a_close_with_nothing_undelivered_keeps_the_last_event_id() {
    let mut p = Pair::new(exact());
    let (id, _) = p.connect();
    p.open(id);
    // An id without data applies, though no event is dispatched.
    p.m.handle_bytes(id, b"id: 1\ndata: a\n\nid: 2\n\n", p.now);
    p.outputs();
    p.m.close();
    assert_eq!(p.m.last_event_id(), "2");
}

#[test]
fn a_huge_retry_or_idle_timeout_waits_long_and_never_overflows_the_clock() {
    let mut p = Pair::new(exact());
    let (id, _) = p.connect();
    p.open(id);
    // u64::MAX milliseconds and more: the parser saturates, the wait must not overflow.
    p.m.handle_bytes(id, b"retry: 99999999999999999999999\n\n", p.now);
    p.m.handle_end(id, p.now);
    // A server's wait is capped (Backoff::server_max, an hour by default).
    assert!(
        matches!(p.m.state(), State::Reconnecting { delay, .. } if *delay == Duration::from_secs(3600)),
        "{:?}",
        p.m.state()
    );
    // A user's own setting is not, but saturates rather than overflows.
    let century = Duration::from_secs(100 * 365 * 86_400);
    let mut p = Pair::new(
        exact().backoff(
            Backoff::default()
                .jitter(Jitter::None)
                .initial(Duration::MAX)
                .max(Duration::MAX),
        ),
    );
    let (id, _) = p.connect();
    p.m.handle_end(id, p.now);
    assert!(p.m.poll_timeout().is_some_and(|t| t > p.now + century));
    let mut p = Pair::new(exact().idle_timeout(Some(Duration::MAX)));
    let (id, _) = p.connect();
    p.open(id);
    p.m.handle_bytes(id, b"data: x\n\n", p.now);
    assert!(p.m.poll_timeout().is_some_and(|t| t > p.now + century));
}

#[test]
fn each_error_has_the_kind_the_npm_package_names() {
    let kinds: Vec<&str> = [
        Error::Ended,
        Error::Refused,
        Error::HttpStatus {
            status: 503,
            retry_after: None,
        },
    ]
    .iter()
    .map(Error::kind)
    .collect();
    assert_eq!(kinds, ["ended", "refused", "http-status"]);
}

#[test]
fn replays_of_events_already_delivered_are_dropped_when_asked() {
    use typed_eventsource::core::machine::ReplayCheck;
    let numeric = ReplayCheck::new(|id, last| id.parse::<u64>().ok() <= last.parse::<u64>().ok());
    let mut p = Pair::new(exact().skip_replays(Some(numeric)));
    let (id, _) = p.connect();
    p.open(id);
    p.m.handle_bytes(
        id,
        b"id: 1\ndata: a\n\nid: 2\ndata: b\n\ndata: b2\n\n",
        p.now,
    );
    assert_eq!(
        events(&p.outputs()),
        ["a", "b", "b2"],
        "an event without an id is delivered"
    );
    p.m.handle_error(id, lost(), p.now);
    p.fire();
    let (id, resume) = p.connect();
    assert_eq!(resume.as_deref(), Some("2"));
    p.open(id);
    // The server replays from 1: 1, 2 and the id-less event after 2 go; 3 is new.
    p.m.handle_bytes(
        id,
        b"id: 1\ndata: a\n\nid: 2\ndata: b\n\ndata: b2\n\nid: 3\ndata: c\n\n",
        p.now,
    );
    assert_eq!(events(&p.outputs()), ["c"]);
    assert_eq!(p.m.last_event_id(), "3");
    // A connection that breaks in the middle of a replay resumes after the last delivered.
    p.m.handle_error(id, lost(), p.now);
    p.fire();
    let (id, resume) = p.connect();
    assert_eq!(resume.as_deref(), Some("3"));
    p.open(id);
    p.m.handle_bytes(id, b"id: 3\ndata: c\n\n", p.now);
    assert_eq!(
        events(&p.outputs()),
        Vec::<String>::new(),
        "the first event, id 3 as the last, is a replay"
    );
    p.m.handle_error(id, lost(), p.now);
    p.fire();
    assert_eq!(p.connect().1.as_deref(), Some("3"));

    // Without the option, replays are delivered, as the standard has it.
    let mut p = Pair::new(exact());
    let (id, _) = p.connect();
    p.open(id);
    p.m.handle_bytes(id, b"id: 2\ndata: b\n\nid: 1\ndata: a\n\n", p.now);
    assert_eq!(events(&p.outputs()), ["b", "a"]);
}
