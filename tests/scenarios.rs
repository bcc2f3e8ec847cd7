//! The scenario table (`tests/scenarios/table.json`) through the Rust client, over each
//! transport a row lists, in headless Chromium against the real server.
//! `tests/e2e/scenarios.test.mjs` runs the same table through the npm class: a behaviour that
//! differs between the surfaces fails a row. Each fetch row's `script` plays the same fault on
//! the test kit (feature `testing`), with no server: it must give the same observations.
#![cfg(target_arch = "wasm32")]

mod support;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use serde::Deserialize;
use typed_eventsource::{
    Backoff, Builder, CloseReason, Decision, Error, EventSource, Jitter, RetryPolicy, State,
    Transport,
};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[derive(Deserialize)]
struct Table {
    rows: Vec<Row>,
}

#[derive(Deserialize)]
struct Row {
    name: String,
    query: String,
    script: Option<String>,
    transports: Vec<String>,
    #[serde(default)]
    options: Options,
    stop_after_events: Option<usize>,
    close_when: Option<String>,
    reopen_at_event: Option<String>,
    expect: Expect,
    #[serde(default)]
    by_transport: HashMap<String, Override>,
}

#[derive(Deserialize, Default)]
struct Options {
    idle_timeout_ms: Option<u64>,
    initial_delay_ms: Option<u64>,
    max_attempts: Option<u32>,
    /// Retry a refusal by the browser's EventSource (by default it stops, as the browser's
    /// does), with the retry policy the docs give for it.
    #[serde(default)]
    retry_refused: bool,
    /// Leave out the `lastEventId` query parameter, so that the browser's EventSource is left
    /// to reconnect by itself (with the `Last-Event-ID` header).
    #[serde(default)]
    no_param: bool,
}

#[derive(Deserialize, Clone)]
struct Expect {
    events: Vec<String>,
    errors: Vec<String>,
    closed: Option<String>,
    requests: u64,
    resumed_after: Option<Vec<Option<u64>>>,
    first_delay_at_least_ms: Option<u64>,
}

#[derive(Deserialize)]
struct Override {
    errors: Option<Vec<String>>,
}

/// What a row's run observed.
#[derive(Default)]
struct Seen {
    events: Vec<String>,
    errors: Vec<String>,
    closed: Option<String>,
    first_delay: Option<Duration>,
    done: bool,
}

fn reason(r: &CloseReason) -> &'static str {
    match r {
        CloseReason::UserClosed => "user",
        CloseReason::ServerRequested => "server",
        _ => "failed",
    }
}

type Slot = Rc<RefCell<Option<EventSource>>>;

/// The row's stream to `url`: its options, and handlers that record what they see into the
/// returned `Seen` and act on the source put into the returned slot.
fn builder(row: &Row, transport: Transport, url: String) -> (Builder, Rc<RefCell<Seen>>, Slot) {
    let seen = Rc::new(RefCell::new(Seen::default()));
    let slot: Slot = Rc::new(RefCell::new(None));
    let initial = Duration::from_millis(row.options.initial_delay_ms.unwrap_or(20));
    let mut backoff = Backoff::default()
        .initial(initial)
        .max(initial.max(Duration::from_millis(40)))
        .jitter(Jitter::None);
    if let Some(n) = row.options.max_attempts {
        backoff = backoff.max_attempts(Some(n));
    }
    let mut b = EventSource::builder(url)
        .transport(transport)
        .backoff(backoff);
    if !row.options.no_param {
        b = b.last_event_id_param("lastEventId");
    }
    if let Some(ms) = row.options.idle_timeout_ms {
        b = b.idle_timeout(Duration::from_millis(ms));
    }
    if row.options.retry_refused {
        b = b.retry_policy(RetryPolicy::new(|e, d| {
            if matches!(e, Error::Refused) {
                Decision::Retry
            } else {
                d
            }
        }));
    }
    let (s, src) = (seen.clone(), slot.clone());
    let (reopen_at, stop_after) = (row.reopen_at_event.clone(), row.stop_after_events);
    let reopened = Rc::new(std::cell::Cell::new(false));
    let r = reopened.clone();
    b = b.on_raw("message", move |e| {
        s.borrow_mut().events.push(e.last_event_id.clone());
        let count = s.borrow().events.len();
        if let Some(source) = src.borrow().as_ref() {
            if reopen_at.as_deref() == Some(e.last_event_id.as_str()) && !r.replace(true) {
                source.close();
                source.reopen();
            }
            if Some(count) == stop_after {
                source.close();
            }
        }
    });
    let s = seen.clone();
    b = b.on_error(move |e| s.borrow_mut().errors.push(e.kind().to_owned()));
    let (s, src) = (seen.clone(), slot.clone());
    let close_when = row.close_when.clone();
    b = b.on_state(move |st| {
        let mut seen = s.borrow_mut();
        match st {
            State::Reconnecting { delay, .. } if seen.first_delay.is_none() => {
                seen.first_delay = Some(*delay)
            }
            State::Closed { reason: why } => {
                seen.closed = Some(reason(why).to_owned());
                let enough = seen.events.len() >= stop_after.unwrap_or(0);
                if !reopened.get() || enough {
                    seen.done = true;
                }
            }
            _ => {}
        }
        drop(seen);
        if close_when.as_deref() == Some("reconnecting") && matches!(st, State::Reconnecting { .. })
        {
            if let Some(source) = src.borrow().as_ref() {
                source.close();
            }
        }
    });
    (b, seen, slot)
}

async fn run(row: &Row, transport: Transport, key: &str) -> Rc<RefCell<Seen>> {
    let (b, seen, slot) = builder(row, transport, support::sse_url(key, &row.query));
    let source = b.open().expect("opens");
    *slot.borrow_mut() = Some(source);
    let s = seen.clone();
    support::eventually(&row.name, 10_000, || s.borrow().done.then_some(())).await;
    // Anything that would come after the close (it must not) has time to arrive.
    support::sleep(300).await;
    slot.borrow_mut().take();
    seen
}

#[wasm_bindgen_test]
async fn every_row_of_the_scenario_table() {
    let table: Table =
        serde_json::from_str(include_str!("scenarios/table.json")).expect("the table parses");
    for row in &table.rows {
        for t in &row.transports {
            let transport = match t.as_str() {
                "eventsource" => Transport::EventSource,
                _ => Transport::Fetch,
            };
            let key = support::scenario("table-rs");
            let seen = run(row, transport, &key).await;
            let log = support::log(&key).await;
            let seen = seen.borrow();
            let mut want = row.expect.clone();
            if let Some(errors) = row.by_transport.get(t).and_then(|o| o.errors.clone()) {
                want.errors = errors;
            }
            let resumed: Vec<Option<u64>> = log["records"]
                .as_array()
                .expect("records")
                .iter()
                .map(|r| r["resumed_after"].as_u64())
                .collect();
            let requests = log["requests"].as_u64().expect("requests");
            check(
                &format!("{} ({t})", row.name),
                &seen,
                &want,
                requests,
                &resumed,
            );
        }
    }
}

/// Checks what a row's run observed, and the requests it made, against what it expects.
fn check(at: &str, seen: &Seen, want: &Expect, requests: u64, resumed: &[Option<u64>]) {
    assert_eq!(seen.events, want.events, "{at}");
    assert_eq!(seen.errors, want.errors, "{at}");
    assert_eq!(seen.closed, want.closed, "{at}");
    assert_eq!(requests, want.requests, "{at}");
    if let Some(want) = &want.resumed_after {
        assert_eq!(resumed, &want[..], "{at}");
    }
    if let Some(ms) = want.first_delay_at_least_ms {
        assert!(
            seen.first_delay >= Some(Duration::from_millis(ms)),
            "{at}: {:?}",
            seen.first_delay
        );
    }
}

/// The fetch rows again, each over its `script` on the test kit instead of the server: the
/// same options, handlers and expectations, no network and no waiting.
#[cfg(feature = "testing")]
#[wasm_bindgen_test]
fn every_fetch_row_played_on_the_test_kit() {
    use typed_eventsource::testing::Script;

    let table: Table =
        serde_json::from_str(include_str!("scenarios/table.json")).expect("the table parses");
    let mut played = 0;
    for row in table
        .rows
        .iter()
        .filter(|r| r.transports.iter().any(|t| t == "fetch"))
    {
        let steps = row
            .script
            .as_deref()
            .unwrap_or_else(|| panic!("{}: a fetch row needs a script", row.name));
        let script = Script::new();
        let (b, seen, slot) = builder(row, Transport::Fetch, "/scripted".to_owned());
        *slot.borrow_mut() = Some(b.script(&script).open().expect("opens"));
        script.play(steps);
        let at = format!("{} (test kit)", row.name);
        assert!(
            seen.borrow().done,
            "{at}: the script did not bring the stream to its end"
        );
        let attempts = script.attempts();
        let resumed: Vec<Option<u64>> = attempts
            .iter()
            .map(|a| a.last_event_id.as_deref().and_then(|id| id.parse().ok()))
            .collect();
        let mut want = row.expect.clone();
        if let Some(errors) = row.by_transport.get("fetch").and_then(|o| o.errors.clone()) {
            want.errors = errors;
        }
        check(&at, &seen.borrow(), &want, attempts.len() as u64, &resumed);
        slot.borrow_mut().take();
        played += 1;
    }
    assert!(played >= 10, "{played} rows played");
}
