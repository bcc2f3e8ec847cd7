//! The scenario table (`tests/scenarios/table.json`) through the Rust client, over each
//! transport a row lists, in headless Chromium against the real server.
//! `tests/e2e/scenarios.test.mjs` runs the same table through the npm class: a behaviour that
//! differs between the surfaces fails a row.
#![cfg(target_arch = "wasm32")]

mod support;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use serde::Deserialize;
use typed_eventsource::{
    Backoff, CloseReason, Decision, Error, EventSource, Jitter, RetryPolicy, State, Transport,
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

async fn run(row: &Row, transport: Transport, key: &str) -> Rc<RefCell<Seen>> {
    let seen = Rc::new(RefCell::new(Seen::default()));
    let slot: Rc<RefCell<Option<EventSource>>> = Rc::new(RefCell::new(None));
    let initial = Duration::from_millis(row.options.initial_delay_ms.unwrap_or(20));
    let mut backoff = Backoff::default()
        .initial(initial)
        .max(initial.max(Duration::from_millis(40)))
        .jitter(Jitter::None);
    if let Some(n) = row.options.max_attempts {
        backoff = backoff.max_attempts(Some(n));
    }
    let mut b = EventSource::builder(support::sse_url(key, &row.query))
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
            let at = format!("{} ({t})", row.name);
            assert_eq!(seen.events, want.events, "{at}");
            assert_eq!(seen.errors, want.errors, "{at}");
            assert_eq!(seen.closed, want.closed, "{at}");
            assert_eq!(log["requests"], want.requests, "{at}");
            if let Some(resumed) = &want.resumed_after {
                let got: Vec<Option<u64>> = log["records"]
                    .as_array()
                    .expect("records")
                    .iter()
                    .map(|r| r["resumed_after"].as_u64())
                    .collect();
                assert_eq!(&got, resumed, "{at}");
            }
            if let Some(ms) = want.first_delay_at_least_ms {
                assert!(
                    seen.first_delay >= Some(Duration::from_millis(ms)),
                    "{at}: {:?}",
                    seen.first_delay
                );
            }
        }
    }
}
