//! Faults a visitor (or a test) injects into a running scenario:
//! `POST /control?scenario=KEY&action=drop|fail|stall&ms=N`.
//!
//! - `drop`: every open stream of the scenario breaks now, in the middle of an event;
//! - `fail`: new requests of the scenario are answered 500 for `ms` milliseconds;
//! - `stall`: open streams send nothing at all (not even keep-alives) for `ms` milliseconds.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::scenario::BadRequest;

/// Scenarios with controls kept at most; past this, ones that no stream watches are forgotten.
const MAX_SCENARIOS: usize = 1_000;
/// The longest `fail` or `stall`.
pub const MAX_MS: u64 = 60_000;

#[derive(Clone, Default)]
pub struct Controls(Arc<Mutex<HashMap<String, Control>>>);

struct Control {
    /// Bumped by every `drop`; streams watch it.
    drops: watch::Sender<u64>,
    fail_until: Option<Instant>,
    stall_until: Option<Instant>,
}

/// A validated request to `/control`.
#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    Drop,
    Fail(Duration),
    Stall(Duration),
}

impl Action {
    pub fn parse(q: &HashMap<String, String>) -> Result<(String, Action), BadRequest> {
        let key = q
            .get("scenario")
            .filter(|k| !k.is_empty())
            .ok_or_else(|| BadRequest("missing parameter `scenario`".to_owned()))?;
        let ms = || -> Result<Duration, BadRequest> {
            let v = q
                .get("ms")
                .ok_or_else(|| BadRequest("missing parameter `ms`".to_owned()))?;
            match v.parse::<u64>() {
                Ok(n) if (1..=MAX_MS).contains(&n) => Ok(Duration::from_millis(n)),
                _ => Err(BadRequest(format!(
                    "bad parameter `ms={v}`: expected 1 to {MAX_MS}"
                ))),
            }
        };
        let action = match q.get("action").map(String::as_str) {
            Some("drop") => Action::Drop,
            Some("fail") => Action::Fail(ms()?),
            Some("stall") => Action::Stall(ms()?),
            Some(v) => {
                return Err(BadRequest(format!(
                    "bad parameter `action={v}`: expected drop, fail or stall"
                )))
            }
            None => return Err(BadRequest("missing parameter `action`".to_owned())),
        };
        Ok((key.clone(), action))
    }
}

impl Controls {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Control>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn with<R>(&self, key: &str, f: impl FnOnce(&mut Control) -> R) -> R {
        let mut map = self.lock();
        if !map.contains_key(key) && map.len() >= MAX_SCENARIOS {
            map.retain(|_, c| c.drops.receiver_count() > 0);
        }
        let c = map.entry(key.to_owned()).or_insert_with(|| Control {
            drops: watch::channel(0).0,
            fail_until: None,
            stall_until: None,
        });
        f(c)
    }

    pub fn apply(&self, key: &str, action: Action) {
        let now = Instant::now();
        self.with(key, |c| match action {
            Action::Drop => {
                c.drops.send_modify(|n| *n += 1);
            }
            Action::Fail(d) => c.fail_until = Some(now + d),
            Action::Stall(d) => c.stall_until = Some(now + d),
        });
    }

    /// Notified by every `drop` from now on.
    pub fn watch_drops(&self, key: &str) -> watch::Receiver<u64> {
        self.with(key, |c| c.drops.subscribe())
    }

    /// Whether new requests are to be answered 500.
    pub fn failing(&self, key: &str) -> bool {
        let now = Instant::now();
        self.lock()
            .get(key)
            .and_then(|c| c.fail_until)
            .is_some_and(|t| t > now)
    }

    /// When a stall in force ends.
    pub fn stalled_until(&self, key: &str) -> Option<Instant> {
        let now = Instant::now();
        self.lock()
            .get(key)
            .and_then(|c| c.stall_until)
            .filter(|t| *t > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn actions_are_validated() {
        assert_eq!(
            Action::parse(&q(&[("scenario", "a"), ("action", "fail"), ("ms", "500")])),
            Ok(("a".to_owned(), Action::Fail(Duration::from_millis(500))))
        );
        for bad in [
            q(&[("action", "drop")]),
            q(&[("scenario", "a"), ("action", "explode")]),
            q(&[("scenario", "a"), ("action", "stall")]),
            q(&[("scenario", "a"), ("action", "stall"), ("ms", "600000")]),
        ] {
            assert!(Action::parse(&bad).is_err(), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn fail_and_stall_last_as_long_as_asked() {
        let c = Controls::default();
        assert!(!c.failing("k"));
        c.apply("k", Action::Fail(Duration::from_millis(50)));
        c.apply("k", Action::Stall(Duration::from_millis(50)));
        assert!(c.failing("k") && c.stalled_until("k").is_some());
        assert!(!c.failing("other"));
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(!c.failing("k") && c.stalled_until("k").is_none());
    }
}
