//! What a stream is configured with: the machine's settings, the page's situation when it
//! starts, and the rule that decides which failures are retried.

use std::fmt;
use std::rc::Rc;
use std::time::Duration;

use super::backoff::Backoff;
use super::error::Error;
use super::parser::ParserConfig;

/// Whether a failure is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Reconnect after the back-off delay.
    Retry,
    /// Close the stream with the failure as the reason.
    Stop,
}

/// The default decision for each failure:
///
/// - network errors, the end of the stream and idle timeouts are retried;
/// - a refusal by the browser's `EventSource` ([`Error::Refused`]: a status other than 200, a
///   wrong content type or a CORS failure, which that transport cannot tell apart) stops, as
///   the browser's own `EventSource` stops. To retry it under the back-off instead, as for a
///   server that answers 503 while it restarts, give a retry policy that says so:
///   `RetryPolicy::new(|e, d| if matches!(e, Error::Refused) { Decision::Retry } else { d })`
///   (in JavaScript, `retry: (e, retry) => e.kind === "refused" || retry`);
/// - HTTP 5xx, 429 (too many requests) and 408 (request timeout) are retried, honouring
///   `Retry-After`;
/// - any other status stops: 204 closes with [`CloseReason::ServerRequested`](crate::core::error::CloseReason::ServerRequested) as the standard
///   asks, and 4xx closes with the status in the reason (retrying a 401 or a 404 cannot help);
/// - a content type other than `text/event-stream` stops, as the standard asks.
pub fn default_decision(failure: &Error) -> Decision {
    match failure {
        Error::HttpStatus { status, .. } => match status {
            408 | 429 | 500..=599 => Decision::Retry,
            _ => Decision::Stop,
        },
        Error::ContentType { .. }
        | Error::Refused
        | Error::InvalidOption { .. }
        | Error::GaveUp { .. } => Decision::Stop,
        _ => Decision::Retry,
    }
}

/// A user's override of [`default_decision`]: called with each failure and the default
/// decision, it returns the decision to take.
///
/// It runs while the machine decides, before the failure is reported to any handler. It may
/// read the stream (its state is the one before the failure) and may close it: the close takes
/// effect once the decision is made, and the stream then closes as the user asked, whatever
/// the policy returned. It is the same function for Rust and JavaScript (where the npm class
/// calls the `retry(error, retry)` option with the default as a boolean).
#[derive(Clone)]
pub struct RetryPolicy(Rc<DecideFn>);

type DecideFn = dyn Fn(&Error, Decision) -> Decision;

impl RetryPolicy {
    /// Wraps a decision function.
    pub fn new(f: impl Fn(&Error, Decision) -> Decision + 'static) -> Self {
        RetryPolicy(Rc::new(f))
    }

    pub(crate) fn decide(&self, failure: &Error) -> Decision {
        self.decide_given(failure, default_decision(failure))
    }

    /// The user's decision, given a default other than [`default_decision`]'s.
    pub(crate) fn decide_given(&self, failure: &Error, default: Decision) -> Decision {
        (self.0)(failure, default)
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy::new(|_, d| d)
    }
}

impl fmt::Debug for RetryPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RetryPolicy(..)")
    }
}

/// Tells an event the client already has, replayed by a server that resumes from an earlier
/// point: `f(id, last)` is whether the event with `id` comes at or before `last`, the id of
/// the last event delivered (numeric ids: `id.parse::<u64>() <= last.parse()`). See
/// [`MachineConfig::skip_replays`].
#[derive(Clone)]
pub struct ReplayCheck(Rc<IsReplayFn>);

type IsReplayFn = dyn Fn(&str, &str) -> bool;

impl ReplayCheck {
    /// Wraps a comparison.
    pub fn new(f: impl Fn(&str, &str) -> bool + 'static) -> Self {
        ReplayCheck(Rc::new(f))
    }

    pub(crate) fn is_replay(&self, id: &str, last: &str) -> bool {
        (self.0)(id, last)
    }
}

impl fmt::Debug for ReplayCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReplayCheck(..)")
    }
}

/// The machine's settings.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct MachineConfig {
    /// Delays between attempts. Default: [`Backoff::default()`].
    pub backoff: Backoff,
    /// Parser limits (used when the machine parses bytes itself). Default:
    /// [`ParserConfig::default()`].
    pub parser: ParserConfig,
    /// Presume a connection dead when nothing arrives for this long. Default: `None`. Set it a
    /// little above the server's keep-alive interval.
    pub idle_timeout: Option<Duration>,
    /// Disconnect while the page is hidden and reconnect when it is shown. Default: `false`.
    pub pause_when_hidden: bool,
    /// Which failures are retried. Default: [`default_decision`].
    pub retry_policy: RetryPolicy,
    /// The id to resume from on the first connection. Default: `None`.
    pub last_event_id: Option<String>,
    /// The stream is one response that ends, as a POST that streams a model's answer does:
    /// its end closes the stream with [`CloseReason::Completed`](crate::core::error::CloseReason::Completed)
    /// rather than reconnecting. A failure before it is retried only once the stream can be
    /// resumed, that is once an event with an id has arrived (or an id was given to start
    /// from): until then the default decision is [`Decision::Stop`], which a retry policy may
    /// still overrule. Default: `false`.
    pub one_shot: bool,
    /// What the end of a one-shot stream does with an event it cut short (data without the
    /// blank line that ends an event): `false` discards it, as the standard says of any stream;
    /// `true` dispatches it, as several model APIs' clients do. Either way the close reason
    /// says so. Default: `false`.
    pub dispatch_unfinished: bool,
    /// Drops the events a server replays that the client already has (parsed by the machine,
    /// the fetch transport): each event that brings a new id, and the first event of each
    /// connection, is judged against the id of the last event delivered; one judged a replay
    /// is dropped with the events without an id of their own that follow it, and the stream
    /// resumes after the last event delivered. Default: `None` (every event is delivered).
    pub skip_replays: Option<ReplayCheck>,
}

impl MachineConfig {
    /// Sets [`MachineConfig::backoff`].
    pub fn backoff(mut self, value: Backoff) -> Self {
        self.backoff = value;
        self
    }

    /// Sets [`MachineConfig::parser`].
    pub fn parser(mut self, value: ParserConfig) -> Self {
        self.parser = value;
        self
    }

    /// Sets [`MachineConfig::idle_timeout`].
    pub fn idle_timeout(mut self, value: Option<Duration>) -> Self {
        self.idle_timeout = value;
        self
    }

    /// Sets [`MachineConfig::pause_when_hidden`].
    pub fn pause_when_hidden(mut self, value: bool) -> Self {
        self.pause_when_hidden = value;
        self
    }

    /// Sets [`MachineConfig::retry_policy`].
    pub fn retry_policy(mut self, value: RetryPolicy) -> Self {
        self.retry_policy = value;
        self
    }

    /// Sets [`MachineConfig::last_event_id`].
    pub fn last_event_id(mut self, value: Option<String>) -> Self {
        self.last_event_id = value;
        self
    }

    /// Sets [`MachineConfig::one_shot`].
    pub fn one_shot(mut self, value: bool) -> Self {
        self.one_shot = value;
        self
    }

    /// Sets [`MachineConfig::skip_replays`].
    pub fn skip_replays(mut self, value: Option<ReplayCheck>) -> Self {
        self.skip_replays = value;
        self
    }

    /// Sets [`MachineConfig::dispatch_unfinished`].
    pub fn dispatch_unfinished(mut self, value: bool) -> Self {
        self.dispatch_unfinished = value;
        self
    }
}

/// The page's situation when the machine starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Environment {
    /// `navigator.onLine`.
    pub online: bool,
    /// `document.visibilityState == "visible"` (true in a worker).
    pub visible: bool,
}

impl Default for Environment {
    fn default() -> Self {
        Environment {
            online: true,
            visible: true,
        }
    }
}
