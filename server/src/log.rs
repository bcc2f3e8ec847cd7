//! Per-scenario state: how many requests a scenario has had, what they carried and how each
//! response ended. Tests read it over HTTP (`GET /log?scenario=KEY`).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use serde::Serialize;

/// Records kept per scenario; older ones are dropped (the counters keep counting).
const MAX_RECORDS: usize = 10_000;
/// Scenarios kept; past this the least recently created is forgotten, so a long-running demo
/// server stays bounded.
const MAX_SCENARIOS: usize = 10_000;

/// A request's headers as the log keeps them: names to values, the values read as UTF-8.
pub fn header_map(headers: &axum::http::HeaderMap) -> BTreeMap<String, String> {
    headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// One request to `/sse`.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    /// 1-based number of this request within its scenario.
    pub n: u64,
    /// Milliseconds since the server started.
    pub at_ms: u128,
    pub method: String,
    pub uri: String,
    /// Header names in lower case.
    pub headers: BTreeMap<String, String>,
    /// The id the request resumed after, from the header or the query parameter.
    pub resumed_after: Option<u64>,
    /// The status the server answered with.
    pub status: u16,
    /// Events sent on this response.
    pub events: u64,
    /// `open`, `closed` (the server finished), `dropped` (the server aborted it) or
    /// `client_closed` (the client went away first).
    pub end: &'static str,
}

/// What `GET /log` returns.
#[derive(Debug, Default, Clone, Serialize)]
pub struct ScenarioLog {
    /// Requests received, including the ones no longer in `records`.
    pub requests: u64,
    /// Responses still streaming.
    pub open: u64,
    pub records: Vec<Record>,
}

/// All scenarios, shared by the handlers.
#[derive(Clone)]
pub struct Logs {
    started: Instant,
    inner: Arc<Mutex<Inner>>,
}

#[derive(Default)]
struct Inner {
    scenarios: HashMap<String, ScenarioLog>,
    order: std::collections::VecDeque<String>,
}

impl Logs {
    pub fn new() -> Self {
        Logs {
            started: Instant::now(),
            inner: Arc::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A handler that panicked while holding the lock leaves consistent data behind (every
        // update is a single assignment), so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a new request; `make` gets its 1-based number within the scenario and returns the
    /// record to keep, which is also returned.
    pub fn begin(&self, key: &str, make: impl FnOnce(u64) -> Record) -> Record {
        let mut inner = self.lock();
        if !inner.scenarios.contains_key(key) {
            if inner.order.len() >= MAX_SCENARIOS {
                if let Some(old) = inner.order.pop_front() {
                    inner.scenarios.remove(&old);
                }
            }
            inner.order.push_back(key.to_owned());
        }
        let log = inner.scenarios.entry(key.to_owned()).or_default();
        log.requests += 1;
        let mut record = make(log.requests);
        record.n = log.requests;
        record.at_ms = self.started.elapsed().as_millis();
        if record.end == "open" {
            log.open += 1;
        }
        if log.records.len() >= MAX_RECORDS {
            log.records.remove(0);
        }
        log.records.push(record.clone());
        record
    }

    /// Notes that a response sent one more event.
    pub fn event_sent(&self, key: &str, n: u64) {
        self.update(key, n, |r| r.events += 1);
    }

    /// Notes how a streaming response ended.
    pub fn end(&self, key: &str, n: u64, how: &'static str) {
        let mut inner = self.lock();
        if let Some(log) = inner.scenarios.get_mut(key) {
            log.open = log.open.saturating_sub(1);
            if let Some(r) = log.records.iter_mut().rev().find(|r| r.n == n) {
                r.end = how;
            }
        }
    }

    fn update(&self, key: &str, n: u64, f: impl FnOnce(&mut Record)) {
        let mut inner = self.lock();
        if let Some(r) = inner
            .scenarios
            .get_mut(key)
            .and_then(|log| log.records.iter_mut().rev().find(|r| r.n == n))
        {
            f(r);
        }
    }

    /// The log of one scenario (empty when it has had no request).
    pub fn get(&self, key: &str) -> ScenarioLog {
        self.lock().scenarios.get(key).cloned().unwrap_or_default()
    }
}
