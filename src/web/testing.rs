//! Feature `testing`: a scripted network and a virtual clock, for testing an app that uses
//! this crate without a server and without waiting.
//!
//! A [`Script`] stands in for the network under a real [`EventSource`] and its handlers
//! ([`Builder::script`]): every connection the stream asks for is recorded as an [`Attempt`]
//! (with its URL and `Last-Event-ID`) and waits for the test to answer it; the test sends a
//! status, events, comments, `retry:` lines, an end or a broken connection, and moves a
//! virtual clock with [`Script::advance`], which fires the stream's timers (back-off delays,
//! `Retry-After`, the idle watchdog) as they fall due. Everything else is the crate's own:
//! the parser, the reconnection machine, the back-off and the dispatch to handlers, so that
//! a test sees what the app would see.
//!
//! The script answers as the fetch transport meets the network (a status, a content type,
//! `Retry-After`, the body's bytes), whichever transport the builder names; the options that
//! only the fetch transport can carry out are still refused over the EventSource transport.
//! Page events (`online`, `offline`, visibility) are the browser's own, so a test can fire
//! them at `window`.
//!
//! The kit runs in `wasm-bindgen-test` and in a native `cargo test` alike (the example below
//! is a doc test). Outside a browser, relative URLs resolve against `http://localhost/` (with
//! the `url` crate's WHATWG parser) and there are no page events.
//!
//! ```
//! use std::time::Duration;
//! use typed_eventsource::testing::Script;
//! use typed_eventsource::{EventSource, State};
//!
//! # fn main() -> Result<(), typed_eventsource::Error> {
//! let script = Script::new();
//! let source = EventSource::builder("/prices")
//!     .script(&script)
//!     .on_raw("message", |e| println!("{}", e.data))
//!     .open()?;
//! script.open().event("message", Some("1"), "one").drop_connection();
//! assert!(matches!(source.state(), State::Reconnecting { .. }));
//! script.advance(Duration::from_secs(1));
//! assert_eq!(script.attempts()[1].last_event_id.as_deref(), Some("1"));
//! # Ok(()) }
//! ```
//!
//! [`EventSource`]: super::EventSource
//! [`Builder::script`]: super::Builder::script

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::{Rc, Weak};
use std::time::Duration;

use web_time::Instant;

use super::browser::ConnectionToken;
use super::sink::{self, BodySink};
use crate::core::error::Error;
use crate::core::machine::ConnectionId;

/// One connection the stream asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Attempt {
    /// The URL requested (with the last event ID in the query when
    /// [`Builder::last_event_id_param`](super::Builder::last_event_id_param) asks for it).
    pub url: String,
    /// The `Last-Event-ID` the request carries: `None` on a first connection.
    pub last_event_id: Option<String>,
    /// The request method.
    pub method: String,
    /// The request body, if any.
    pub body: Option<String>,
    /// The fixed request headers.
    pub headers: Vec<(String, String)>,
    /// When it was asked for, on the script's virtual clock.
    pub at: Duration,
}

/// A scripted network and a virtual clock for one stream (see the [module](self) docs).
///
/// Cloning it gives another handle to the same script. The methods that answer a connection
/// panic when there is none waiting or open, as an assertion would: the test expected one.
#[derive(Clone)]
pub struct Script {
    inner: Rc<Inner>,
}

struct Inner {
    /// The real instant the virtual clock starts from.
    start: Instant,
    elapsed: Cell<Duration>,
    attempts: RefCell<Vec<Attempt>>,
    /// The stream's current connection: its id, its sink, and whether it has been answered.
    current: RefCell<Option<Current>>,
    /// Armed timers: their number, deadline and callback.
    timers: RefCell<Vec<(u64, Instant, Fire)>>,
    next_timer: Cell<u64>,
    /// The id of the last event [`Script::play`] sent.
    sent: Cell<u64>,
}

/// What a timer does when it fires.
type Fire = Box<dyn FnOnce()>;

struct Current {
    id: ConnectionId,
    sink: Weak<dyn BodySink>,
    answered: bool,
}

impl Default for Script {
    fn default() -> Self {
        Script::new()
    }
}

impl fmt::Debug for Script {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Script")
            .field("elapsed", &self.elapsed())
            .field("attempts", &self.inner.attempts.borrow())
            .field("connected", &self.connected())
            .finish()
    }
}

impl Script {
    /// A script with its clock at zero and no connection yet.
    pub fn new() -> Script {
        Script {
            inner: Rc::new(Inner {
                start: Instant::now(),
                elapsed: Cell::new(Duration::ZERO),
                attempts: RefCell::new(Vec::new()),
                current: RefCell::new(None),
                timers: RefCell::new(Vec::new()),
                next_timer: Cell::new(0),
                sent: Cell::new(0),
            }),
        }
    }

    /// What tells this script from another (its address), for the key of a shared stream.
    pub(crate) fn id(&self) -> *const () {
        Rc::as_ptr(&self.inner).cast()
    }

    /// Whether `other` is a handle to this script.
    #[cfg(feature = "js")]
    pub(crate) fn same(&self, other: &Script) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }

    /// Every connection the stream has asked for, in order.
    pub fn attempts(&self) -> Vec<Attempt> {
        self.inner.attempts.borrow().clone()
    }

    /// Whether a connection is waiting or open (asked for, and not yet ended, broken or
    /// aborted by the stream).
    pub fn connected(&self) -> bool {
        self.inner.current.borrow().is_some()
    }

    /// The time on the virtual clock since the script was made.
    pub fn elapsed(&self) -> Duration {
        self.inner.elapsed.get()
    }

    /// Answers the waiting connection `200` with `text/event-stream`: it opens.
    pub fn open(&self) -> &Self {
        self.respond(200, "text/event-stream", None)
    }

    /// Answers the waiting connection with `status` (and `text/event-stream`).
    pub fn status(&self, status: u16) -> &Self {
        self.respond(status, "text/event-stream", None)
    }

    /// Answers the waiting connection with `status` and a `Retry-After` header.
    pub fn status_retry_after(&self, status: u16, retry_after: Duration) -> &Self {
        self.respond(status, "text/event-stream", Some(retry_after))
    }

    /// Answers the waiting connection with `status`, `content_type` and, if given,
    /// `Retry-After`.
    ///
    /// # Panics
    /// When no connection is waiting for an answer.
    pub fn respond(&self, status: u16, content_type: &str, retry_after: Option<Duration>) -> &Self {
        or_panic(self.try_respond(status, content_type, retry_after));
        self
    }

    pub(crate) fn try_respond(
        &self,
        status: u16,
        content_type: &str,
        retry_after: Option<Duration>,
    ) -> Result<(), String> {
        let (id, sink) = self.connection("respond", false)?;
        if let Some(c) = self.inner.current.borrow_mut().as_mut() {
            c.answered = true;
        }
        let go_on = sink::input(&sink, |m, now| {
            m.handle_response(id, status, Some(content_type), retry_after, now);
            m.current() == Some(id)
        });
        if go_on != Some(true) {
            self.gone(id);
        }
        Ok(())
    }

    /// Sends `text` as the next bytes of the open connection's body, as it is: whole events,
    /// parts of one, comments, `retry:` lines.
    ///
    /// # Panics
    /// When no connection is open.
    pub fn send(&self, text: &str) -> &Self {
        or_panic(self.try_send(text));
        self
    }

    pub(crate) fn try_send(&self, text: &str) -> Result<(), String> {
        let (id, sink) = self.connection("send", true)?;
        let go_on = sink.upgrade().is_some_and(|s| s.bytes(id, text.as_bytes()));
        if !go_on {
            self.gone(id);
        }
        Ok(())
    }

    /// Sends one event: its type (left out for `message`), its id if given, and its data, one
    /// `data:` line per line.
    pub fn event(&self, event_type: &str, id: Option<&str>, data: &str) -> &Self {
        self.send(&event_text(event_type, id, data))
    }

    /// Sends a comment line (`: text`), which feeds the idle watchdog.
    pub fn comment(&self, text: &str) -> &Self {
        or_panic(self.try_comment(text));
        self
    }

    pub(crate) fn try_comment(&self, text: &str) -> Result<(), String> {
        self.try_send(&format!(": {text}\n"))
    }

    /// Sends a `retry:` line: the server's reconnection time.
    pub fn retry(&self, after: Duration) -> &Self {
        or_panic(self.try_retry(after));
        self
    }

    pub(crate) fn try_retry(&self, after: Duration) -> Result<(), String> {
        self.try_send(&format!("retry: {}\n", after.as_millis()))
    }

    /// The server ends the open connection's response.
    pub fn end(&self) -> &Self {
        or_panic(self.try_end());
        self
    }

    pub(crate) fn try_end(&self) -> Result<(), String> {
        let (id, sink) = self.connection("end", true)?;
        self.gone(id);
        sink::input(&sink, |m, now| m.handle_end(id, now));
        Ok(())
    }

    /// The waiting or open connection breaks: a network error.
    pub fn drop_connection(&self) -> &Self {
        or_panic(self.try_drop_connection());
        self
    }

    pub(crate) fn try_drop_connection(&self) -> Result<(), String> {
        let (id, sink) = self.connection("drop_connection", false)?;
        self.gone(id);
        let error = Error::Network {
            message: "the scripted connection was dropped".to_owned(),
        };
        sink::input(&sink, |m, now| m.handle_error(id, error, now));
        Ok(())
    }

    /// Moves the clock on, timer by timer, until the stream asks for a connection (at once if
    /// one waits), and returns that attempt: the reconnection after a failure, however long
    /// the back-off waits.
    ///
    /// # Panics
    /// When the stream asks for none: it is closed, or paused (offline), or has no timer.
    pub fn next_attempt(&self) -> Attempt {
        or_panic(self.try_next_attempt())
    }

    pub(crate) fn try_next_attempt(&self) -> Result<Attempt, String> {
        loop {
            if let Some(c) = self.inner.current.borrow().as_ref() {
                if !c.answered {
                    let attempts = self.inner.attempts.borrow();
                    if let Some(a) = attempts.last() {
                        return Ok(a.clone());
                    }
                }
            }
            let next = self
                .inner
                .timers
                .borrow()
                .iter()
                .map(|(_, at, _)| *at)
                .min();
            let Some(at) = next else {
                return Err(format!(
                    "Script::next_attempt: the stream asks for no connection and has no timer \
                     armed (closed, or paused); {} attempts so far",
                    self.inner.attempts.borrow().len()
                ));
            };
            self.advance(at.saturating_duration_since(self.now()));
        }
    }

    /// Plays a script of steps, separated by commas, semicolons or new lines, so that a test
    /// reads like the fault it checks:
    ///
    /// ```text
    /// open, 3 events, drop, 503 retry-after 2, 503 retry-after 2, resume from 3, open, 1 event
    /// ```
    ///
    /// - `open`: answers `200 text/event-stream`.
    /// - `STATUS` or `STATUS retry-after SECONDS`: answers with that status.
    /// - `content-type TYPE`: answers `200` with another content type.
    /// - `N events` (or `1 event`): sends N `message` events whose id and data count on from
    ///   the last one this way sent (1, 2, 3, ...), each in a chunk of its own; `N events
    ///   together`: in one chunk.
    /// - `drop`: the connection breaks. `end`: the server ends the response.
    /// - `wait SECONDS`: moves the clock on (a stall, when nothing is sent).
    /// - `comment`: a comment line. `retry MS`: a `retry:` line.
    /// - `resume from ID`: checks that the next attempt carries `Last-Event-ID: ID` (the
    ///   events sent next count on from a numeric ID, as a server resumes); `fresh`: that it
    ///   carries none.
    ///
    /// A step that answers a connection when none waits first moves the clock on to the next
    /// attempt ([`Script::next_attempt`]), so reconnection delays need no `wait`.
    ///
    /// # Panics
    /// On a step it does not know, and when a step cannot happen (as an assertion would).
    pub fn play(&self, steps: &str) -> &Self {
        or_panic(self.try_play(steps));
        self
    }

    pub(crate) fn try_play(&self, steps: &str) -> Result<(), String> {
        steps
            .split([',', ';', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .try_for_each(|step| self.step(step))
    }

    fn step(&self, step: &str) -> Result<(), String> {
        let words: Vec<&str> = step.split_whitespace().collect();
        let number = |w: &str| -> Result<u64, String> {
            w.parse()
                .map_err(|_| format!("Script::play: `{w}` in `{step}` is not a number"))
        };
        let waiting = || self.try_next_attempt();
        match words[..] {
            ["open"] => {
                waiting()?;
                self.try_respond(200, "text/event-stream", None)
            }
            [status] if status.parse::<u16>().is_ok() => {
                waiting()?;
                self.try_respond(number(status)? as u16, "text/event-stream", None)
            }
            [status, "retry-after", secs] if status.parse::<u16>().is_ok() => {
                waiting()?;
                let after = Some(Duration::from_secs(number(secs)?));
                self.try_respond(number(status)? as u16, "text/event-stream", after)
            }
            [n, "events" | "event"] => {
                (0..number(n)?).try_for_each(|_| self.try_send(&self.next_event()))
            }
            [n, "events" | "event", "together"] => {
                let text: String = (0..number(n)?).map(|_| self.next_event()).collect();
                self.try_send(&text)
            }
            ["content-type", content_type] => {
                waiting()?;
                self.try_respond(200, content_type, None)
            }
            ["drop"] => self.try_drop_connection(),
            ["end"] => self.try_end(),
            ["wait", secs] => {
                self.advance(Duration::from_secs(number(secs)?));
                Ok(())
            }
            ["comment"] => self.try_comment("scripted"),
            ["retry", ms] => self.try_retry(Duration::from_millis(number(ms)?)),
            ["resume", "from", id] => {
                let got = waiting()?.last_event_id;
                if got.as_deref() != Some(id) {
                    return Err(format!(
                        "Script::play: `{step}`: the attempt carries Last-Event-ID {got:?}"
                    ));
                }
                // The server resumes after it: the next events count on from there.
                if let Ok(n) = id.parse() {
                    self.inner.sent.set(n);
                }
                Ok(())
            }
            ["fresh"] => match waiting()?.last_event_id {
                None => Ok(()),
                Some(got) => Err(format!(
                    "Script::play: `{step}`: the attempt carries Last-Event-ID {got:?}"
                )),
            },
            _ => Err(format!("Script::play: unknown step `{step}`")),
        }
    }

    /// The next event [`Script::play`] sends, as text: a `message` whose id and data count on.
    fn next_event(&self) -> String {
        let id = self.inner.sent.get() + 1;
        self.inner.sent.set(id);
        let id = id.to_string();
        event_text("message", Some(&id), &id)
    }

    /// Moves the virtual clock on by `by`, firing the stream's timers that fall due on the
    /// way, in order, each at its own deadline.
    pub fn advance(&self, by: Duration) -> &Self {
        let target = self.inner.start + self.elapsed() + by;
        loop {
            let due = {
                let mut timers = self.inner.timers.borrow_mut();
                let next = timers
                    .iter()
                    .enumerate()
                    .filter(|(_, (_, at, _))| *at <= target)
                    .min_by_key(|(_, (n, at, _))| (*at, *n))
                    .map(|(i, _)| i);
                next.map(|i| timers.remove(i))
            };
            let Some((_, at, fire)) = due else { break };
            if at > self.now() {
                self.inner.elapsed.set(at - self.inner.start);
            }
            fire();
        }
        self.inner.elapsed.set(target - self.inner.start);
        self
    }

    /// The virtual clock's reading.
    pub(crate) fn now(&self) -> Instant {
        self.inner.start + self.elapsed()
    }

    /// Calls `fire` once the virtual clock reaches `deadline`, unless the timer is dropped
    /// first.
    pub(crate) fn arm(&self, deadline: Instant, fire: impl FnOnce() + 'static) -> VirtualTimer {
        let n = self.inner.next_timer.get();
        self.inner.next_timer.set(n + 1);
        self.inner
            .timers
            .borrow_mut()
            .push((n, deadline, Box::new(fire)));
        VirtualTimer {
            script: Rc::downgrade(&self.inner),
            n,
        }
    }

    /// Records the attempt and makes it the waiting connection.
    pub(crate) fn connect(
        &self,
        sink: Weak<dyn BodySink>,
        id: ConnectionId,
        mut attempt: Attempt,
    ) -> ScriptedConnection {
        attempt.at = self.elapsed();
        self.inner.attempts.borrow_mut().push(attempt);
        *self.inner.current.borrow_mut() = Some(Current {
            id,
            sink,
            answered: false,
        });
        ScriptedConnection {
            script: Rc::downgrade(&self.inner),
            id,
            _token: ConnectionToken::new(),
        }
    }

    /// The current connection, answered or not as `answered` asks.
    fn connection(
        &self,
        what: &str,
        answered: bool,
    ) -> Result<(ConnectionId, Weak<dyn BodySink>), String> {
        match self.inner.current.borrow().as_ref() {
            Some(c) if c.answered || !answered => Ok((c.id, c.sink.clone())),
            Some(_) => Err(format!(
                "Script::{what}: the connection has not been answered (open())"
            )),
            None => Err(format!(
                "Script::{what}: no connection is waiting or open ({} attempts so far)",
                self.inner.attempts.borrow().len()
            )),
        }
    }

    /// Forgets connection `id`: it ended, broke, or the stream let it go.
    fn gone(&self, id: ConnectionId) {
        forget(&self.inner, id);
    }
}

/// A failed step of a script, as a failed assertion: the test expected it to happen.
#[track_caller]
fn or_panic<T>(result: Result<T, String>) -> T {
    result.unwrap_or_else(|message| panic!("{message}"))
}

/// One event as a stream carries it: its type (left out for `message`), its id if given, and
/// its data, one `data:` line per line, then the blank line that dispatches it.
pub(crate) fn event_text(event_type: &str, id: Option<&str>, data: &str) -> String {
    let mut text = String::new();
    if event_type != "message" {
        text.push_str("event: ");
        text.push_str(event_type);
        text.push('\n');
    }
    if let Some(id) = id {
        text.push_str("id: ");
        text.push_str(id);
        text.push('\n');
    }
    for line in data.split('\n') {
        text.push_str("data: ");
        text.push_str(line);
        text.push('\n');
    }
    text.push('\n');
    text
}

fn forget(inner: &Inner, id: ConnectionId) {
    let mut current = inner.current.borrow_mut();
    if current.as_ref().is_some_and(|c| c.id == id) {
        *current = None;
    }
}

/// A scripted connection held by the stream; the stream dropping it (an abort) ends it.
pub(crate) struct ScriptedConnection {
    script: Weak<Inner>,
    id: ConnectionId,
    _token: ConnectionToken,
}

impl Drop for ScriptedConnection {
    fn drop(&mut self) {
        if let Some(inner) = self.script.upgrade() {
            forget(&inner, self.id);
        }
    }
}

/// A timer on a script's virtual clock, disarmed when dropped.
pub(crate) struct VirtualTimer {
    script: Weak<Inner>,
    n: u64,
}

impl Drop for VirtualTimer {
    fn drop(&mut self) {
        if let Some(inner) = self.script.upgrade() {
            // Not while `advance` holds the list (a timer dropped from inside a fired one).
            if let Ok(mut timers) = inner.timers.try_borrow_mut() {
                timers.retain(|(n, _, _)| *n != self.n);
            }
        }
    }
}
