//! The reconnect state machine.
//!
//! Inputs are `handle_*` calls that carry the time; outputs are read with [`Machine::poll`],
//! and the next moment the machine wants to be woken is [`Machine::poll_timeout`], after which
//! the caller calls [`Machine::handle_timeout`]. The machine never touches a clock, a timer or
//! the network itself, so a test can drive it through hours of reconnections in microseconds
//! and assert every delay exactly.
//!
//! Every connection the machine asks for has a [`ConnectionId`]; inputs about any other
//! connection (one that was replaced or closed) are ignored, so an event from a connection that
//! was replaced is never delivered.

use std::collections::VecDeque;
use std::time::Duration;

use web_time::Instant;

pub use super::config::{
    default_decision, Decision, Environment, MachineConfig, ReplayCheck, RetryPolicy,
};
use super::error::{CloseReason, Error};
use super::parser::{Event, Item, Parser};

/// Identifies one connection attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId(pub u64);

/// What a stream is doing, as a user sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum State {
    /// A connection is being made. `attempt` is 0 for the first connection and counts
    /// consecutive failures after that.
    Connecting {
        /// Consecutive failed attempts before this one.
        attempt: u32,
    },
    /// The server accepted the stream; events flow.
    Open,
    /// The last connection failed; the next attempt starts after `delay`.
    Reconnecting {
        /// The number of the coming attempt (1 for the first reconnection).
        attempt: u32,
        /// How long the machine waits before it.
        delay: Duration,
    },
    /// Waiting for the network to come back or the page to become visible.
    Paused {
        /// What it waits for.
        reason: PauseReason,
    },
    /// Closed for good: no connection is ever made again (unless reopened).
    Closed {
        /// Why.
        reason: CloseReason,
    },
}

/// What a paused stream waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PauseReason {
    /// `navigator.onLine` is false.
    Offline,
    /// The page is hidden and the stream is set to pause then.
    Hidden,
}

/// What the machine asks its caller to do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Output {
    /// Open a new connection, sending `last_event_id` (when there is one) to resume.
    Connect {
        /// The connection's id, to pass back with its inputs.
        id: ConnectionId,
        /// The id to resume after.
        last_event_id: Option<String>,
    },
    /// Tear this connection down: the machine is done with it.
    Abort {
        /// The connection.
        id: ConnectionId,
    },
    /// Deliver an event to the user.
    Event(Event),
    /// Tell the user about a failure. It comes before the state change it causes.
    Error(Error),
    /// The state changed.
    State(State),
}

/// The reconnect state machine. See the [module docs](self).
#[derive(Debug)]
pub struct Machine {
    config: MachineConfig,
    state: State,
    parser: Parser,
    rng: fastrand::Rng,
    outputs: VecDeque<Output>,
    next_id: u64,
    /// The connection in use, if any.
    current: Option<ConnectionId>,
    /// When the current connection opened.
    opened_at: Option<Instant>,
    /// Whether the current connection delivered an event since it opened.
    progressed: bool,
    /// Events received over the stream's life, for the error of a one-shot stream that breaks.
    events_received: u64,
    /// With [`MachineConfig::skip_replays`]: the id of the last event delivered, the id of the
    /// last event parsed (an event that keeps it brought no id of its own), and whether the
    /// events being parsed are a replay.
    replay: ReplayState,
    /// When the transport was left to reconnect by itself (see
    /// [`Machine::handle_error_reconnecting`]), until that connection opens.
    reconnecting_since: Option<Instant>,
    /// Whether the transport's own last reconnection came sooner than
    /// [`Backoff::retry_floor`](crate::core::backoff::Backoff::retry_floor) (a server's
    /// `retry: 0`): it is not left to reconnect by itself again until a connection is healthy.
    reconnected_too_soon: bool,
    /// Consecutive failures.
    attempt: u32,
    /// When the current run of failures began.
    failing_since: Option<Instant>,
    /// The server's `retry:`.
    server_retry: Option<Duration>,
    /// When the pending reconnection starts.
    reconnect_at: Option<Instant>,
    /// When the current connection is presumed dead.
    idle_at: Option<Instant>,
    env: Environment,
    /// The last event ID of the last event [`Machine::poll`] handed out: where a close that
    /// drops events not yet handed out makes the next connection resume.
    delivered_id: String,
}

/// The longest the machine waits for anything, about 136 years. A server's `retry:` or
/// `Retry-After`, or a setting, may ask for longer than a clock can count to; added to the
/// time, that would overflow it.
const LONGEST_WAIT: Duration = Duration::from_secs(1 << 32);

/// A `Retry-After` header's value in seconds, as both transports that see headers read it
/// (the HTTP-date form is not honoured).
#[cfg(feature = "fetch")]
pub(crate) fn retry_after(value: &str) -> Option<Duration> {
    value.trim_ascii().parse().ok().map(Duration::from_secs)
}

fn is_event_stream(content_type: &str) -> bool {
    content_type.split(';').next().is_some_and(|essence| {
        essence
            .trim_ascii()
            .eq_ignore_ascii_case("text/event-stream")
    })
}

impl Machine {
    /// A machine that connects at once (or pauses, when `env` says the page is offline or
    /// hidden). `seed` seeds the jitter.
    pub fn new(config: MachineConfig, env: Environment, now: Instant, seed: u64) -> Self {
        let mut parser = Parser::new(config.parser.clone());
        if let Some(id) = &config.last_event_id {
            parser.set_last_event_id(id.clone());
        }
        let mut m = Machine {
            config,
            state: State::Connecting { attempt: 0 },
            parser,
            rng: fastrand::Rng::with_seed(seed),
            outputs: VecDeque::new(),
            next_id: 0,
            current: None,
            opened_at: None,
            progressed: false,
            events_received: 0,
            replay: ReplayState::default(),
            reconnecting_since: None,
            reconnected_too_soon: false,
            attempt: 0,
            failing_since: None,
            server_retry: None,
            reconnect_at: None,
            idle_at: None,
            env,
            delivered_id: String::new(),
        };
        m.delivered_id = m.parser.last_event_id().to_owned();
        m.replay.delivered.clone_from(&m.delivered_id);
        m.connect_or_pause(now);
        m
    }

    /// The current state.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The last event ID string: what the next connection resumes after. While parsed events
    /// wait to be polled, it is the ID as of the last event polled (the one being handled):
    /// a [`Machine::close`] now drops the rest, and a reopen resumes there.
    pub fn last_event_id(&self) -> &str {
        if self.outputs.iter().any(|o| matches!(o, Output::Event(_))) {
            &self.delivered_id
        } else {
            self.parser.last_event_id()
        }
    }

    /// Sets where the next connection resumes: for a caller that queues events past
    /// [`Machine::poll`] and drops some of them on a close, as the npm class does.
    pub fn set_last_event_id(&mut self, id: &str) {
        self.parser.set_last_event_id(id);
        self.delivered_id = id.to_owned();
        self.replay.delivered = id.to_owned();
    }

    /// The reconnection time: the server's last `retry:` as it sent it (before the back-off's
    /// floor and cap), else [`Backoff::initial`](crate::core::backoff::Backoff::initial).
    pub fn reconnection_time(&self) -> Duration {
        self.server_retry.unwrap_or(self.config.backoff.initial)
    }

    /// Discards what the parser holds of an event not yet complete (the last event ID stays),
    /// as a broken connection does: before a fresh stream is fed to the same connection.
    pub fn reset(&mut self) {
        self.parser.restart();
    }

    /// The connection in use, if any.
    pub fn current(&self) -> Option<ConnectionId> {
        self.current
    }

    /// The settings.
    pub fn config(&self) -> &MachineConfig {
        &self.config
    }

    /// The next output, if any.
    pub fn poll(&mut self) -> Option<Output> {
        let output = self.outputs.pop_front();
        if let Some(Output::Event(e)) = &output {
            delivered(&mut self.delivered_id, e);
        }
        output
    }

    /// Whether outputs wait to be polled.
    pub fn has_outputs(&self) -> bool {
        !self.outputs.is_empty()
    }

    /// When the machine wants [`Machine::handle_timeout`] called: a pending reconnection or the
    /// idle watchdog.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match (self.reconnect_at, self.idle_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn is(&self, id: ConnectionId) -> bool {
        self.current == Some(id)
    }

    fn set_state(&mut self, state: State) {
        if self.state != state {
            self.state = state.clone();
            self.outputs.push_back(Output::State(state));
        }
    }

    fn touch(&mut self, now: Instant) {
        self.idle_at = self.config.idle_timeout.map(|t| now + t.min(LONGEST_WAIT));
    }

    /// The response arrived: `status` and `content_type` as far as the transport sees them
    /// (the browser's `EventSource` only reports success, as 200 `text/event-stream`), and the
    /// `Retry-After` header in seconds.
    pub fn handle_response(
        &mut self,
        id: ConnectionId,
        status: u16,
        content_type: Option<&str>,
        retry_after: Option<Duration>,
        now: Instant,
    ) {
        if !self.is(id) {
            return;
        }
        if status != 200 {
            return self.fail(
                Error::HttpStatus {
                    status,
                    retry_after,
                },
                now,
            );
        }
        let content_type = content_type.unwrap_or("");
        if !is_event_stream(content_type) {
            return self.fail(
                Error::ContentType {
                    content_type: content_type.to_owned(),
                },
                now,
            );
        }
        self.opened_at = Some(now);
        self.progressed = false;
        if let Some(since) = self.reconnecting_since.take() {
            self.reconnected_too_soon =
                now.saturating_duration_since(since) < self.config.backoff.retry_floor;
        }
        self.touch(now);
        self.set_state(State::Open);
    }

    /// Bytes of the response body (fetch transport): the machine parses them.
    pub fn handle_bytes(&mut self, id: ConnectionId, bytes: &[u8], now: Instant) {
        self.feed(id, bytes, now, None);
    }

    /// Like [`Machine::handle_bytes`], but the events go to `sink` as they are parsed rather
    /// than out of [`Machine::poll`], which saves their allocations. `sink` runs while the
    /// machine is borrowed, so it may only keep a copy (the npm class appends each to its batch).
    /// The order stays that of the stream: once an output is queued (an event too large, say),
    /// the events after it queue behind it.
    #[cfg(all(feature = "js", feature = "fetch"))]
    pub(crate) fn handle_bytes_into(
        &mut self,
        id: ConnectionId,
        bytes: &[u8],
        now: Instant,
        sink: &mut dyn FnMut(&Event),
    ) {
        self.feed(id, bytes, now, Some(sink));
    }

    fn feed(
        &mut self,
        id: ConnectionId,
        bytes: &[u8],
        now: Instant,
        mut sink: Option<&mut dyn FnMut(&Event)>,
    ) {
        if !self.is(id) {
            return;
        }
        self.touch(now);
        if !self.outputs.is_empty() {
            sink = None;
        }
        let outputs = &mut self.outputs;
        let server_retry = &mut self.server_retry;
        let delivered_id = &mut self.delivered_id;
        let events_received = &mut self.events_received;
        let check = self.config.skip_replays.as_ref();
        let replay = &mut self.replay;
        self.parser.feed_recycling(bytes, |item| {
            match item {
                Item::Event(e) => {
                    if let Some(check) = check {
                        if replay.skips(check, &e) {
                            return Some(e);
                        }
                    }
                    *events_received += 1;
                    match sink.as_mut() {
                        Some(sink) => {
                            sink(&e);
                            delivered(delivered_id, &e);
                            return Some(e);
                        }
                        None => outputs.push_back(Output::Event(e)),
                    }
                }
                Item::Retry(ms) => *server_retry = Some(Duration::from_millis(ms)),
                Item::Comment(_) => {}
                Item::TooLarge { limit } => {
                    sink = None;
                    outputs.push_back(Output::Error(Error::EventTooLarge { limit }));
                }
            }
            None
        });
        // Dropped replays moved the parser's id back: resume after the last event delivered.
        if self.replay.skipping && self.parser.last_event_id() != self.replay.delivered {
            self.parser
                .set_last_event_id(self.replay.delivered.as_str());
        }
    }

    /// An event that the browser parsed (`EventSource` transport).
    pub fn handle_event(&mut self, id: ConnectionId, event: Event, now: Instant) {
        if !self.is(id) {
            return;
        }
        self.touch(now);
        self.progressed = true;
        self.events_received += 1;
        if self.parser.last_event_id() != event.last_event_id {
            self.parser.set_last_event_id(event.last_event_id.clone());
        }
        self.outputs.push_back(Output::Event(event));
    }

    /// The server finished the response: a lost connection to reconnect, or, for a
    /// [one-shot](MachineConfig::one_shot) stream, its completion.
    pub fn handle_end(&mut self, id: ConnectionId, now: Instant) {
        if !self.is(id) {
            return;
        }
        if !self.config.one_shot {
            return self.fail(Error::Ended, now);
        }
        let mid_event = if self.config.dispatch_unfinished {
            // As if the stream had gone on to finish the event (through the one feed path).
            let completion = self.parser.completion();
            if let Some(bytes) = completion {
                self.feed(id, bytes, now, None);
            }
            completion.is_some()
        } else {
            self.parser.finish()
        };
        self.close_with(CloseReason::Completed { mid_event });
    }

    /// The connection failed (a network error, or [`Error::Refused`] from the browser's
    /// `EventSource`).
    pub fn handle_error(&mut self, id: ConnectionId, error: Error, now: Instant) {
        if self.is(id) {
            self.fail(error, now);
        }
    }

    /// The connection broke and its transport would reconnect by itself: the browser's
    /// `EventSource`, which waits the server's `retry:` (or its own default) and resumes with
    /// a `Last-Event-ID` header, as a new `EventSource` cannot. Returns whether the transport
    /// may: when the stream was open and either delivered an event or starts a new run of
    /// failures, when the retry policy retries and the page is online, the error is reported,
    /// the state becomes [`State::Connecting`] and the connection stays current. Otherwise
    /// this is [`Machine::handle_error`]: the connection is aborted and the back-off decides
    /// when to connect again. That is the case for a reconnection that failed (the back-off
    /// wants its own, growing wait), for a server that accepts and drops without an event,
    /// and after the transport's own reconnection came sooner than
    /// [`Backoff::retry_floor`](crate::core::backoff::Backoff::retry_floor) (a `retry: 0`),
    /// until a connection stays open for `reset_after`.
    pub fn handle_error_reconnecting(
        &mut self,
        id: ConnectionId,
        error: Error,
        now: Instant,
    ) -> bool {
        if !self.is(id) {
            return false;
        }
        let Some(opened_at) = self.opened_at else {
            self.fail(error, now);
            return false;
        };
        let healthy = now.saturating_duration_since(opened_at) >= self.config.backoff.reset_after;
        if healthy {
            self.reconnected_too_soon = false;
        }
        let fresh = healthy || self.progressed || self.attempt == 0;
        let max_attempts = self.config.backoff.max_attempts;
        if !fresh || self.reconnected_too_soon || !self.env.online || max_attempts == Some(0) {
            self.fail(error, now);
            return false;
        }
        let decision = self.config.retry_policy.decide(&error);
        if decision == Decision::Stop {
            self.fail_as(error, decision, now);
            return false;
        }
        self.opened_at = None;
        self.attempt = 1;
        self.failing_since = Some(now);
        self.reconnecting_since = Some(now);
        self.touch(now);
        self.outputs.push_back(Output::Error(error));
        self.set_state(State::Connecting {
            attempt: self.attempt,
        });
        true
    }

    /// Time passed: starts a due reconnection, or fails a connection that went idle.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.idle_at.is_some_and(|t| now >= t) && self.current.is_some() {
            let after = self.config.idle_timeout.unwrap_or_default();
            return self.fail(Error::IdleTimeout { after }, now);
        }
        if self.reconnect_at.is_some_and(|t| now >= t) {
            self.reconnect_at = None;
            self.connect(now);
        }
    }

    /// The browser went online or offline.
    pub fn handle_online(&mut self, online: bool, now: Instant) {
        self.env.online = online;
        match self.state {
            State::Reconnecting { .. } if !online => {
                self.reconnect_at = None;
                self.set_state(State::Paused {
                    reason: PauseReason::Offline,
                });
            }
            // "Reconnect at once when the network comes back."
            State::Reconnecting { .. } | State::Paused { .. } if online => {
                self.reconnect_at = None;
                self.connect_or_pause(now);
            }
            _ => {}
        }
    }

    /// The page became visible or hidden (only acted on with
    /// [`MachineConfig::pause_when_hidden`]).
    pub fn handle_visibility(&mut self, visible: bool, now: Instant) {
        self.env.visible = visible;
        if !self.config.pause_when_hidden {
            return;
        }
        match self.state {
            State::Closed { .. } => {}
            State::Paused { .. } if visible => self.connect_or_pause(now),
            _ if !visible => {
                self.drop_connection();
                self.reconnect_at = None;
                self.set_state(State::Paused {
                    reason: PauseReason::Hidden,
                });
            }
            _ => {}
        }
    }

    /// The page came back from the back-forward cache, where the browser killed its
    /// connections: reconnect at once.
    pub fn handle_page_restored(&mut self, now: Instant) {
        match self.state {
            State::Closed { .. } | State::Paused { .. } => {}
            _ => {
                self.drop_connection();
                self.reconnect_at = None;
                self.connect_or_pause(now);
            }
        }
    }

    /// The user closes the stream: any connection is aborted, any pending reconnection is
    /// cancelled, and no connection is made again.
    pub fn close(&mut self) {
        // Events already parsed but not yet delivered are dropped, and so are failures not
        // yet reported: nothing reaches a handler after a close. A reopen resumes after the
        // last event delivered, so none is lost.
        let had_events = self.outputs.iter().any(|o| matches!(o, Output::Event(_)));
        self.outputs
            .retain(|o| !matches!(o, Output::Event(_) | Output::Error(_)));
        if had_events {
            self.parser.set_last_event_id(self.delivered_id.as_str());
            self.replay.delivered.clone_from(&self.delivered_id);
        }
        self.close_with(CloseReason::UserClosed);
    }

    /// Opens a closed stream again, with a fresh back-off. Does nothing unless closed.
    pub fn reopen(&mut self, now: Instant) {
        if matches!(self.state, State::Closed { .. }) {
            self.attempt = 0;
            self.failing_since = None;
            self.connect_or_pause(now);
        }
    }

    fn close_with(&mut self, reason: CloseReason) {
        if matches!(self.state, State::Closed { .. }) {
            return;
        }
        self.drop_connection();
        self.reconnect_at = None;
        self.set_state(State::Closed { reason });
    }

    fn drop_connection(&mut self) {
        if let Some(id) = self.current.take() {
            self.outputs.push_back(Output::Abort { id });
        }
        self.idle_at = None;
        self.parser.restart();
    }

    fn connect_or_pause(&mut self, now: Instant) {
        if !self.env.online {
            self.set_state(State::Paused {
                reason: PauseReason::Offline,
            });
        } else if !self.env.visible && self.config.pause_when_hidden {
            self.set_state(State::Paused {
                reason: PauseReason::Hidden,
            });
        } else {
            self.connect(now);
        }
    }

    fn connect(&mut self, now: Instant) {
        self.drop_connection();
        // A replay starts with a connection: its first event is judged, whatever its id.
        self.replay.parsed = None;
        self.replay.skipping = false;
        self.next_id += 1;
        let id = ConnectionId(self.next_id);
        self.current = Some(id);
        self.opened_at = None;
        self.reconnecting_since = None;
        self.touch(now);
        let last = self.parser.last_event_id();
        self.outputs.push_back(Output::Connect {
            id,
            last_event_id: (!last.is_empty()).then(|| last.to_owned()),
        });
        self.set_state(State::Connecting {
            attempt: self.attempt,
        });
    }

    fn fail(&mut self, error: Error, now: Instant) {
        // A one-shot stream with no id to resume from would start over: not by default.
        let decision = if self.config.one_shot && self.parser.last_event_id().is_empty() {
            self.config
                .retry_policy
                .decide_given(&error, Decision::Stop)
        } else {
            self.config.retry_policy.decide(&error)
        };
        // A one-shot stream that stops after events says how far it got (a 204 is the
        // server's own stop, not a break).
        let stops_broken =
            decision == Decision::Stop && !matches!(error, Error::HttpStatus { status: 204, .. });
        let error = if self.config.one_shot && stops_broken && self.events_received > 0 {
            Error::Interrupted {
                events: self.events_received,
                last_event_id: self.parser.last_event_id().to_owned(),
                cause: Box::new(error),
            }
        } else {
            error
        };
        self.fail_as(error, decision, now);
    }

    /// [`Machine::fail`] once the retry policy has decided: it is asked once per failure.
    fn fail_as(&mut self, error: Error, decision: Decision, now: Instant) {
        let healthy = self
            .opened_at
            .is_some_and(|t| now.saturating_duration_since(t) >= self.config.backoff.reset_after);
        self.drop_connection();
        if healthy {
            self.attempt = 0;
            self.failing_since = None;
        }
        if decision == Decision::Stop {
            // The error is reported either way, as the browser's EventSource fires `error`
            // when a 204 closes it; the reason says the server asked.
            self.outputs.push_back(Output::Error(error.clone()));
            if matches!(error, Error::HttpStatus { status: 204, .. }) {
                return self.close_with(CloseReason::ServerRequested);
            }
            return self.close_with(CloseReason::Failed(error));
        }
        self.attempt = self.attempt.saturating_add(1);
        let since = *self.failing_since.get_or_insert(now);
        let backoff = &self.config.backoff;
        let retry_after = match &error {
            Error::HttpStatus { retry_after, .. } => *retry_after,
            _ => None,
        };
        let delay = backoff
            .delay(self.attempt, self.server_retry, retry_after, &mut self.rng)
            .min(LONGEST_WAIT);
        let out_of_attempts = backoff.max_attempts.is_some_and(|m| self.attempt > m);
        let out_of_time = backoff
            .max_elapsed
            .is_some_and(|m| (now + delay).saturating_duration_since(since) > m);
        self.outputs.push_back(Output::Error(error.clone()));
        if out_of_attempts || out_of_time {
            let gave_up = Error::GaveUp {
                attempts: self.attempt - 1,
                last: Box::new(error),
            };
            self.outputs.push_back(Output::Error(gave_up.clone()));
            return self.close_with(CloseReason::Failed(gave_up));
        }
        if !self.env.online {
            return self.set_state(State::Paused {
                reason: PauseReason::Offline,
            });
        }
        self.reconnect_at = Some(now + delay);
        self.set_state(State::Reconnecting {
            attempt: self.attempt,
            delay,
        });
    }
}

/// What [`MachineConfig::skip_replays`] keeps between events.
#[derive(Debug, Default)]
struct ReplayState {
    /// The id of the last event delivered.
    delivered: String,
    /// The id of the last event parsed on this connection; `None` before the first.
    parsed: Option<String>,
    /// Whether the events being parsed are a replay.
    skipping: bool,
}

impl ReplayState {
    /// Whether `e` is to be dropped as a replay: an event that brings a new id (or the first
    /// of a connection) is judged; one without an id of its own goes with the one before it.
    fn skips(&mut self, check: &ReplayCheck, e: &Event) -> bool {
        if self.parsed.as_deref() != Some(e.last_event_id.as_str()) {
            self.parsed = Some(e.last_event_id.clone());
            self.skipping = !self.delivered.is_empty()
                && !e.last_event_id.is_empty()
                && check.is_replay(&e.last_event_id, &self.delivered);
        }
        if !self.skipping && self.delivered != e.last_event_id {
            self.delivered.clone_from(&e.last_event_id);
        }
        self.skipping
    }
}

/// Records `e` as the last event delivered, which a `close()` that drops queued events
/// resumes after.
fn delivered(delivered_id: &mut String, e: &Event) {
    if *delivered_id != e.last_event_id {
        delivered_id.clone_from(&e.last_event_id);
    }
}

#[cfg(all(test, feature = "js", feature = "fetch"))]
mod tests {
    use super::*;
    use crate::core::parser::ParserConfig;

    /// A machine with an open connection, and that connection.
    fn open(max_event_size: usize) -> (Machine, ConnectionId, Instant) {
        let now = Instant::now();
        let config =
            MachineConfig::default().parser(ParserConfig::default().max_event_size(max_event_size));
        let mut m = Machine::new(config, Environment::default(), now, 7);
        let id = std::iter::from_fn(|| m.poll())
            .find_map(|o| match o {
                Output::Connect { id, .. } => Some(id),
                _ => None,
            })
            .expect("a connection");
        m.handle_response(id, 200, Some("text/event-stream"), None, now);
        while m.poll().is_some() {}
        (m, id, now)
    }

    fn queued(m: &mut Machine) -> Vec<Output> {
        std::iter::from_fn(|| m.poll()).collect()
    }

    #[test]
    fn the_sink_gets_the_events_the_queue_would() {
        // Types, ids, multi-line data, events of very different sizes (the parser builds each
        // in the last one's buffers), an id-only block and a comment, split at odd places.
        let mut stream = String::new();
        for i in 0..200 {
            if i % 3 == 0 {
                stream.push_str("event: price\n");
            }
            if i % 4 != 1 {
                stream.push_str(&format!("id: {i}\n"));
            }
            stream.push_str(&format!("data: {}\n", "x".repeat(i * 37 % 300)));
            if i % 5 == 0 {
                stream.push_str(": keep-alive\ndata: second line\n");
            }
            stream.push('\n');
            if i % 7 == 0 {
                stream.push_str("id: lone\n\n");
            }
        }
        stream.push_str(&format!("data: {}\n\ndata: small\n\n", "y".repeat(70_000)));
        let (mut queue, qid, now) = open(1 << 20);
        let (mut sunk, sid, _) = open(1 << 20);
        let mut got = Vec::new();
        for chunk in stream.as_bytes().chunks(97) {
            queue.handle_bytes(qid, chunk, now);
            sunk.handle_bytes_into(sid, chunk, now, &mut |e| got.push(e.clone()));
        }
        let want: Vec<Event> = queued(&mut queue)
            .into_iter()
            .filter_map(|o| match o {
                Output::Event(e) => Some(e),
                _ => None,
            })
            .collect();
        assert_eq!(want.len(), 202);
        assert_eq!(got, want);
        assert!(queued(&mut sunk).is_empty());
        assert_eq!(sunk.last_event_id(), queue.last_event_id());
    }

    #[test]
    fn events_after_a_queued_error_queue_behind_it() {
        let (mut m, id, now) = open(8);
        let mut got = Vec::new();
        m.handle_bytes_into(
            id,
            b"id: 1\ndata: a\n\nid: 2\ndata: far too large\n\nid: 3\ndata: c\n\n",
            now,
            &mut |e| got.push(e.data.clone()),
        );
        assert_eq!(got, ["a"]);
        let outs = queued(&mut m);
        assert!(
            matches!(
                &outs[..],
                [Output::Error(Error::EventTooLarge { limit: 8 }), Output::Event(e)] if e.data == "c"
            ),
            "{outs:?}"
        );
    }

    #[test]
    fn a_close_before_queued_events_resumes_after_the_last_sunk_one() {
        let (mut m, id, now) = open(8);
        m.handle_bytes_into(
            id,
            b"id: 1\ndata: a\n\nid: 2\ndata: far too large\n\nid: 3\ndata: c\n\n",
            now,
            &mut |_| {},
        );
        // The error is delivered, and its handler closes the stream before `c` is.
        assert!(matches!(m.poll(), Some(Output::Error(_))));
        m.close();
        assert_eq!(m.last_event_id(), "1");
    }
}
