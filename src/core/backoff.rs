//! The retry policy: how long to wait before each reconnection attempt.
//!
//! Delays grow exponentially from [`Backoff::initial`] by [`Backoff::factor`] up to
//! [`Backoff::max`], with [`Jitter`] drawn from a generator the caller seeds, so that tests can
//! assert exact delays. The server's `retry:` field replaces the initial delay (never below
//! [`Backoff::retry_floor`]) and is then a floor under every delay: as the specification
//! says, the client waits the reconnection time and optionally longer, so growth and jitter
//! go on top of it, never below. A `Retry-After` header lengthens a delay, never shortens it;
//! neither can ask for more than [`Backoff::server_max`].

use std::time::Duration;

/// How randomness spreads out the clients that lost their connection at the same moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Jitter {
    /// Exactly the computed delay.
    None,
    /// Uniform between zero and the computed delay ("full jitter").
    Full,
    /// Uniform between half the computed delay and all of it ("equal jitter"): spreads clients
    /// out while keeping half of the back-off. The default.
    #[default]
    Equal,
}

/// The reconnection policy. Every field is documented with its default; start from
/// [`Backoff::default()`] and change what you need with the setter of the same name.
///
/// ```
/// use std::time::Duration;
/// use typed_eventsource::core::backoff::{Backoff, Jitter};
///
/// let policy = Backoff::default()
///     .initial(Duration::from_millis(500))
///     .jitter(Jitter::None)
///     .max_attempts(Some(5));
/// assert!(policy.validate().is_ok());
/// assert_eq!(policy.base_delay(3, None), Duration::from_secs(2));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Backoff {
    /// The delay before the first reconnection attempt. Default: 1 s, about what browsers wait
    /// (their default reconnection time is 3 s in Chromium and 5 s in Firefox) while being
    /// quicker to recover from a blip.
    pub initial: Duration,
    /// Each further attempt waits this many times longer. Default: 2.
    pub factor: f64,
    /// The longest delay between two attempts (unless the server asks for longer with
    /// `retry:` or `Retry-After`). Default: 30 s: a client that comes back within half a
    /// minute of an outage ending, without hammering a server that is down.
    pub max: Duration,
    /// Random spread of each delay. Default: [`Jitter::Equal`].
    pub jitter: Jitter,
    /// Give up after this many consecutive failed attempts. Default: `None` (never): a live feed
    /// on a page should come back whenever the server does.
    pub max_attempts: Option<u32>,
    /// Give up when the connection has been failing for this long. Default: `None` (never).
    pub max_elapsed: Option<Duration>,
    /// A connection must stay open this long before the delays start again from the initial
    /// one. Default: 5 s: a server that accepts and drops at once keeps backing off, and a
    /// connection that worked for a while reconnects quickly.
    pub reset_after: Duration,
    /// The smallest initial delay that a server's `retry:` field can set. Default: 200 ms, so
    /// `retry: 0` cannot cause a storm of reconnections, while the short waits servers do ask
    /// for (the web-platform-tests use `retry: 200`) are kept, as the browser keeps them. Must
    /// be greater than zero.
    pub retry_floor: Duration,
    /// The longest wait a server can ask for, with `retry:` or `Retry-After`. Default: 1 hour:
    /// long enough for any pause a server asks for on purpose, short enough that one bad line
    /// (`retry: 99999999999`) cannot park every client for years. Must be at least
    /// [`Backoff::retry_floor`].
    pub server_max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_secs(1),
            factor: 2.0,
            max: Duration::from_secs(30),
            jitter: Jitter::Equal,
            max_attempts: None,
            max_elapsed: None,
            reset_after: Duration::from_secs(5),
            retry_floor: Duration::from_millis(200),
            server_max: Duration::from_secs(3600),
        }
    }
}

/// A [`Backoff`] that makes no sense, and which field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid backoff option `{option}`: {reason}")]
pub struct InvalidBackoff {
    /// The field's name.
    pub option: &'static str,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl Backoff {
    /// Sets [`Backoff::initial`].
    pub fn initial(mut self, value: Duration) -> Self {
        self.initial = value;
        self
    }

    /// Sets [`Backoff::factor`].
    pub fn factor(mut self, value: f64) -> Self {
        self.factor = value;
        self
    }

    /// Sets [`Backoff::max`].
    pub fn max(mut self, value: Duration) -> Self {
        self.max = value;
        self
    }

    /// Sets [`Backoff::jitter`].
    pub fn jitter(mut self, value: Jitter) -> Self {
        self.jitter = value;
        self
    }

    /// Sets [`Backoff::max_attempts`].
    pub fn max_attempts(mut self, value: Option<u32>) -> Self {
        self.max_attempts = value;
        self
    }

    /// Sets [`Backoff::max_elapsed`].
    pub fn max_elapsed(mut self, value: Option<Duration>) -> Self {
        self.max_elapsed = value;
        self
    }

    /// Sets [`Backoff::reset_after`].
    pub fn reset_after(mut self, value: Duration) -> Self {
        self.reset_after = value;
        self
    }

    /// Sets [`Backoff::retry_floor`].
    pub fn retry_floor(mut self, value: Duration) -> Self {
        self.retry_floor = value;
        self
    }

    /// Sets [`Backoff::server_max`].
    pub fn server_max(mut self, value: Duration) -> Self {
        self.server_max = value;
        self
    }

    /// Checks that the policy cannot loop tightly or overflow.
    pub fn validate(&self) -> Result<(), InvalidBackoff> {
        let bad = |option, reason| Err(InvalidBackoff { option, reason });
        if self.initial.is_zero() {
            return bad("initial", "must be greater than zero");
        }
        if !(self.factor.is_finite() && self.factor >= 1.0) {
            return bad("factor", "must be a finite number of at least 1");
        }
        if self.max < self.initial {
            return bad("max", "must be at least `initial`");
        }
        if self.max_attempts == Some(0) {
            return bad("max_attempts", "must be at least 1 (or None for no limit)");
        }
        if self.retry_floor.is_zero() {
            return bad("retry_floor", "must be greater than zero");
        }
        if self.server_max < self.retry_floor {
            return bad("server_max", "must be at least `retry_floor`");
        }
        Ok(())
    }

    /// The delay before attempt `attempt` (1 for the first reconnection) before jitter, given
    /// the server's `retry:` value if it sent one.
    pub fn base_delay(&self, attempt: u32, server_retry: Option<Duration>) -> Duration {
        let (initial, max) = match server_retry {
            Some(r) => {
                let r = r.min(self.server_max).max(self.retry_floor);
                (r, self.max.max(r))
            }
            None => (self.initial, self.max),
        };
        let exp = i32::try_from(attempt.saturating_sub(1)).unwrap_or(i32::MAX);
        let secs = initial.as_secs_f64() * self.factor.powi(exp);
        if !secs.is_finite() || secs >= max.as_secs_f64() {
            max
        } else {
            Duration::from_secs_f64(secs)
        }
    }

    /// The delay before attempt `attempt`, with jitter drawn from `rng`, never shorter than the
    /// server's `retry:` (as clamped by [`Backoff::base_delay`]), lengthened to a `Retry-After`
    /// the server sent with its last answer.
    pub fn delay(
        &self,
        attempt: u32,
        server_retry: Option<Duration>,
        retry_after: Option<Duration>,
        rng: &mut fastrand::Rng,
    ) -> Duration {
        let base = self.base_delay(attempt, server_retry);
        let jittered = match self.jitter {
            Jitter::None => base,
            Jitter::Full => base.mul_f64(rng.f64()),
            Jitter::Equal => base / 2 + (base / 2).mul_f64(rng.f64()),
        };
        let jittered = match server_retry {
            Some(r) => jittered.max(r.min(self.server_max).max(self.retry_floor)),
            None => jittered,
        };
        match retry_after {
            Some(ra) => jittered.max(ra.min(self.server_max)),
            None => jittered,
        }
    }
}
