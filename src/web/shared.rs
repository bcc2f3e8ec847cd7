//! The state one stream shares with its callbacks: the core machine, the connection, the timer
//! and the page-lifecycle listeners. Callbacks hold a `Weak` to it, so dropping the handle
//! frees it all; every input goes through [`Shared::run`], and then [`Shared::pump`] runs the
//! machine's outputs in order.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};
use std::time::Duration;

use wasm_bindgen::JsCast;
use web_time::Instant;

#[cfg(feature = "eventsource")]
use super::browser::SourceEvent;
use super::browser::{self, Listener, Timer};
#[cfg(feature = "eventsource")]
use super::eventsource::EsConnection;
#[cfg(feature = "fetch")]
use super::fetch::FetchConnection;
use super::handlers::Handlers;
#[cfg(feature = "fetch")]
use super::readable::ReadableConnection;
#[cfg(feature = "fetch")]
use super::sink::BodySink;
#[cfg(feature = "eventsource")]
use super::sink::EventSink;
use super::sink::Sink;
use super::{Options, Transport};
use crate::core::error::Error;
use crate::core::machine::{ConnectionId, Machine, Output, State};
#[cfg(feature = "eventsource")]
use crate::core::parser::Event;

pub(crate) enum Connection {
    #[cfg(feature = "eventsource")]
    EventSource(EsConnection),
    #[cfg(feature = "fetch")]
    Fetch(
        #[expect(dead_code, reason = "held for its Drop, which aborts the request")]
        FetchConnection,
    ),
    #[cfg(feature = "fetch")]
    Readable(
        #[expect(dead_code, reason = "held for its Drop, which cancels the stream")]
        ReadableConnection,
    ),
    #[cfg(feature = "testing")]
    Scripted(
        #[expect(dead_code, reason = "held for its Drop, which tells the script")]
        super::testing::ScriptedConnection,
    ),
}

/// An armed timer: the browser's, or a script's virtual one (feature `testing`).
enum Armed {
    #[expect(dead_code, reason = "held for its Drop, which clears it")]
    Real(Timer),
    #[cfg(feature = "testing")]
    #[expect(dead_code, reason = "held for its Drop, which disarms it")]
    Virtual(super::testing::VirtualTimer),
}

pub(crate) struct Core {
    pub(crate) machine: Machine,
    pub(crate) connection: Option<(ConnectionId, Connection)>,
    /// The armed timer and the deadline it was armed for.
    timer: Option<(Instant, Armed)>,
    lifecycle: Vec<Listener>,
    /// The last event of the browser's `EventSource`, when its ID has not been read yet.
    #[cfg(feature = "eventsource")]
    unread_id: Option<SourceEvent>,
}

impl Core {
    /// Gives the machine the last event ID, if it was left unread.
    pub(crate) fn settle_id(&mut self) {
        #[cfg(feature = "eventsource")]
        if let Some(unread) = self.unread_id.take() {
            self.machine.set_last_event_id(&unread.last_event_id());
        }
    }
}

/// An input that arrived while the machine was busy deciding (a retry policy that closes the
/// stream): applied as soon as it is free.
type Deferred = Box<dyn FnOnce(&mut Machine, Instant)>;

pub(crate) struct Shared {
    /// Itself, for the transports' inputs, which reach it as a `&dyn Sink`.
    me: Weak<Shared>,
    pub(crate) core: RefCell<Core>,
    pub(crate) options: Rc<Options>,
    pub(crate) handlers: Handlers,
    pumping: Cell<bool>,
    deferred: RefCell<VecDeque<Deferred>>,
    /// The state, the last event ID and the reconnection time as of the last input: what the
    /// stream reports while the machine is busy deciding (to a retry policy that reads them).
    state: RefCell<State>,
    last_event_id: RefCell<String>,
    reconnection_time: Cell<Duration>,
    /// The origin of the last response's final URL (after redirects).
    pub(crate) origin: RefCell<String>,
}

impl Shared {
    pub(crate) fn new(machine: Machine, options: Options, handlers: Handlers) -> Rc<Shared> {
        let origin = browser::origin(&options.url).unwrap_or_default();
        Rc::new_cyclic(|me| Shared {
            me: me.clone(),
            state: RefCell::new(machine.state().clone()),
            last_event_id: RefCell::new(machine.last_event_id().to_owned()),
            reconnection_time: Cell::new(machine.reconnection_time()),
            core: RefCell::new(Core {
                machine,
                connection: None,
                timer: None,
                lifecycle: Vec::new(),
                #[cfg(feature = "eventsource")]
                unread_id: None,
            }),
            options: Rc::new(options),
            handlers,
            pumping: Cell::new(false),
            deferred: RefCell::new(VecDeque::new()),
            origin: RefCell::new(origin),
        })
    }

    /// The current state; while the machine is deciding, the state before the input.
    pub(crate) fn state(&self) -> State {
        match self.core.try_borrow() {
            Ok(core) => core.machine.state().clone(),
            Err(_) => self.state.borrow().clone(),
        }
    }

    /// The reconnection time; while the machine is deciding, as of before the input.
    pub(crate) fn reconnection_time(&self) -> Duration {
        match self.core.try_borrow() {
            Ok(core) => core.machine.reconnection_time(),
            Err(_) => self.reconnection_time.get(),
        }
    }

    /// Where the next connection resumes; while the machine is deciding, as of before the
    /// input.
    pub(crate) fn last_event_id(&self) -> String {
        match self.core.try_borrow_mut() {
            Ok(mut core) => {
                core.settle_id();
                core.machine.last_event_id().to_owned()
            }
            Err(_) => self.last_event_id.borrow().clone(),
        }
    }

    /// Sets where the next connection resumes, on a stream that is closed (a connection shared
    /// across tabs that another tab holds): nothing follows from it, so nothing is pumped.
    /// False while the machine is busy deciding.
    pub(crate) fn set_closed_last_event_id(&self, id: &str) -> bool {
        let Ok(mut core) = self.core.try_borrow_mut() else {
            return false;
        };
        core.settle_id();
        core.machine.set_last_event_id(id);
        true
    }

    /// Gives the machine an input from the user (close, reopen), then acts on what it asks
    /// for. While the machine is busy deciding (the user's retry policy runs inside it), the
    /// input waits until it is free.
    pub(crate) fn apply(self: &Rc<Self>, f: impl FnOnce(&mut Machine, Instant) + 'static) {
        self.apply_boxed(Box::new(f));
    }

    /// [`Shared::apply`] once for every input: boxing each costs an allocation per user call,
    /// where a copy of this per call site cost the wasm about 600 bytes each.
    fn apply_boxed(self: &Rc<Self>, f: Deferred) {
        if self.core.try_borrow_mut().is_err() {
            self.deferred.borrow_mut().push_back(f);
            return;
        }
        self.run(|core, now| {
            core.settle_id();
            f(&mut core.machine, now)
        });
        self.pump();
    }

    /// The time inputs are given: the browser's clock, or the script's (feature `testing`).
    fn now(&self) -> Instant {
        #[cfg(feature = "testing")]
        if let Some(script) = &self.options.script {
            return script.now();
        }
        Instant::now()
    }

    /// Runs `f` on the whole state, then the inputs that arrived meanwhile; the caller pumps.
    pub(crate) fn run<R>(&self, f: impl FnOnce(&mut Core, Instant) -> R) -> R {
        let r = {
            let mut core = self.core.borrow_mut();
            #[cfg(feature = "eventsource")]
            let unread = core.unread_id.is_some();
            #[cfg(not(feature = "eventsource"))]
            let unread = false;
            let id = core.machine.last_event_id();
            if !unread && *self.last_event_id.borrow() != id {
                *self.last_event_id.borrow_mut() = id.to_owned();
            }
            self.reconnection_time.set(core.machine.reconnection_time());
            f(&mut core, self.now())
        };
        loop {
            let next = self.deferred.borrow_mut().pop_front();
            let Some(input) = next else { break };
            let mut core = self.core.borrow_mut();
            core.settle_id();
            input(&mut core.machine, self.now());
        }
        r
    }

    /// Runs the machine's outputs. Not re-entrant: a handler that feeds the machine (by
    /// closing the stream, say) leaves the new outputs to the loop that called it, so they
    /// run in order and no handler runs inside another.
    pub(crate) fn pump(self: &Rc<Self>) {
        if self.pumping.replace(true) {
            return;
        }
        loop {
            let output = self.core.borrow_mut().machine.poll();
            let Some(output) = output else {
                self.handlers.drained();
                if self.core.borrow().machine.has_outputs() {
                    continue;
                }
                break;
            };
            match output {
                Output::Connect { id, last_event_id } => self.connect(id, last_event_id),
                Output::Abort { id } => {
                    let mut core = self.core.borrow_mut();
                    let old = if core.connection.as_ref().is_some_and(|(c, _)| *c == id) {
                        core.connection.take()
                    } else {
                        None
                    };
                    drop(core);
                    drop(old);
                }
                Output::Event(event) => self.handlers.event(&event),
                Output::Error(error) => self.handlers.error(&error),
                Output::State(state) => {
                    self.state.replace(state.clone());
                    self.handlers.state(&state);
                }
            }
        }
        self.follow_lifecycle();
        self.rearm();
        self.pumping.set(false);
    }

    fn connect(self: &Rc<Self>, id: ConnectionId, last_event_id: Option<String>) {
        let connection = (self.options.connect)(self, id, last_event_id);
        self.run(|core, now| match connection {
            Ok(c) => core.connection = Some((id, c)),
            Err(e) => core.machine.handle_error(id, e, now),
        });
    }

    /// Arms the timer for the machine's next deadline. A timer armed for an earlier deadline
    /// is kept (it fires, finds nothing due and re-arms): the idle deadline moves with every
    /// chunk, and re-arming on each would cost a `setTimeout` per event.
    fn rearm(self: &Rc<Self>) {
        let mut core = self.core.borrow_mut();
        let Some(deadline) = core.machine.poll_timeout() else {
            core.timer = None;
            return;
        };
        if core.timer.as_ref().is_some_and(|(t, _)| *t <= deadline) {
            return;
        }
        let weak = Rc::downgrade(self);
        let fire = move || {
            if let Some(shared) = weak.upgrade() {
                let fired = shared.core.borrow_mut().timer.take();
                shared.apply(|m, now| m.handle_timeout(now));
                drop(fired);
            }
        };
        #[cfg(feature = "testing")]
        if let Some(script) = &self.options.script {
            core.timer = Some((deadline, Armed::Virtual(script.arm(deadline, fire))));
            return;
        }
        let wait = deadline.saturating_duration_since(Instant::now());
        // setTimeout may fire up to a millisecond early by `performance.now()`: round up.
        let ms = u32::try_from(crate::core::error::millis(wait))
            .unwrap_or(u32::MAX)
            .saturating_add(1);
        let timer = Armed::Real(Timer::new(ms, fire));
        core.timer = Some((deadline, timer));
    }

    /// Listens for the page's lifecycle while the stream is not closed (the network going and
    /// coming back, the page hidden and shown, its return from the back-forward cache), and
    /// only then. Read from the machine's state once every output has run, so that a close
    /// and a reopen in one callback leave the stream listening.
    fn follow_lifecycle(self: &Rc<Self>) {
        // A stream the app reads follows no page event (see `EventSource::from_readable_stream`).
        #[cfg(feature = "fetch")]
        let closed = self.options.readable.is_some()
            || matches!(self.core.borrow().machine.state(), State::Closed { .. });
        #[cfg(not(feature = "fetch"))]
        let closed = matches!(self.core.borrow().machine.state(), State::Closed { .. });
        let listening = !self.core.borrow().lifecycle.is_empty();
        if closed && listening {
            let listeners = std::mem::take(&mut self.core.borrow_mut().lifecycle);
            drop(listeners);
        } else if !closed && !listening {
            let listeners = self.lifecycle_listeners();
            self.core.borrow_mut().lifecycle = listeners;
        }
    }

    fn lifecycle_listeners(self: &Rc<Self>) -> Vec<Listener> {
        let mut listeners = Vec::with_capacity(4);
        if let Some(global) = browser::global_target() {
            for (event, online) in [("online", true), ("offline", false)] {
                let weak = Rc::downgrade(self);
                listeners.push(Listener::new(&global, event, move |_| {
                    if let Some(s) = weak.upgrade() {
                        s.apply(move |m, now| m.handle_online(online, now));
                    }
                }));
            }
            let weak = Rc::downgrade(self);
            listeners.push(Listener::new(&global, "pageshow", move |e| {
                let persisted = e
                    .dyn_ref::<web_sys::PageTransitionEvent>()
                    .is_some_and(|e| e.persisted());
                if let (true, Some(s)) = (persisted, weak.upgrade()) {
                    s.apply(|m, now| m.handle_page_restored(now));
                }
            }));
        }
        if let Some(document) = browser::document() {
            let weak = Rc::downgrade(self);
            listeners.push(Listener::new(&document, "visibilitychange", move |_| {
                let visible = browser::visible();
                if let Some(s) = weak.upgrade() {
                    s.apply(move |m, now| m.handle_visibility(visible, now));
                }
            }));
        }
        listeners
    }

    /// Releases everything: the connection, the timer, the listeners and the handlers.
    pub(crate) fn release(&self) {
        let (connection, timer, lifecycle) = {
            let mut core = self.core.borrow_mut();
            core.machine.close();
            (
                core.connection.take(),
                core.timer.take(),
                std::mem::take(&mut core.lifecycle),
            )
        };
        drop((connection, timer, lifecycle));
        self.handlers.clear();
    }
}

/// Opens connection `id` of a stream, resuming after `last_event_id`: the transport's way,
/// fixed when the stream is built ([`connector`], [`connect_readable`]). A function rather
/// than a `match` on the transport, so that a build links the transports its streams use, not
/// every one its features allow (with the default features, an app over the browser's
/// `EventSource` leaves out the fetch transport, its parser and the futures glue).
pub(crate) type Connector =
    fn(&Rc<Shared>, ConnectionId, Option<String>) -> Result<Connection, Error>;

/// The connector of `transport`. Inlined, so that a constant transport leaves the other out.
#[inline(always)]
pub(crate) fn connector(transport: Transport) -> Connector {
    match transport {
        #[cfg(feature = "eventsource")]
        Transport::EventSource => connect_eventsource,
        #[cfg(feature = "fetch")]
        Transport::Fetch => connect_fetch,
    }
}

/// The URL of an attempt: the stream's, with the last event ID as a query parameter when
/// the options ask for one.
fn attempt_url(options: &Options, last_event_id: Option<&str>) -> String {
    match (&options.last_event_id_param, last_event_id) {
        (Some(param), Some(last)) => with_query(&options.url, param, last),
        _ => options.url.clone(),
    }
}

#[cfg(feature = "eventsource")]
fn connect_eventsource(
    shared: &Rc<Shared>,
    id: ConnectionId,
    last_event_id: Option<String>,
) -> Result<Connection, Error> {
    let options = &shared.options;
    EsConnection::open(
        Rc::downgrade(shared) as Weak<dyn EventSink>,
        id,
        &attempt_url(options, last_event_id.as_deref()),
        options.credentials == super::Credentials::Include,
        options.last_event_id_param.is_none(),
        &shared.handlers.event_types(),
    )
    .map(Connection::EventSource)
}

#[cfg(feature = "fetch")]
fn connect_fetch(
    shared: &Rc<Shared>,
    id: ConnectionId,
    last_event_id: Option<String>,
) -> Result<Connection, Error> {
    let options = shared.options.clone();
    let url = attempt_url(&options, last_event_id.as_deref());
    let sink = Rc::downgrade(shared) as Weak<dyn BodySink>;
    FetchConnection::open(sink, id, options, url, last_event_id).map(Connection::Fetch)
}

/// The connector of a stream the app reads ([`EventSource::from_readable_stream`]).
///
/// [`EventSource::from_readable_stream`]: super::EventSource::from_readable_stream
#[cfg(feature = "fetch")]
pub(crate) fn connect_readable(
    shared: &Rc<Shared>,
    id: ConnectionId,
    _: Option<String>,
) -> Result<Connection, Error> {
    let Some(stream) = &shared.options.readable else {
        return Err(Error::Refused);
    };
    let sink = Rc::downgrade(shared) as Weak<dyn BodySink>;
    ReadableConnection::open(sink, id, stream).map(Connection::Readable)
}

/// The connector of a stream with a script (feature `testing`): the attempt is recorded and
/// waits for the script's answer.
#[cfg(feature = "testing")]
pub(crate) fn connect_scripted(
    shared: &Rc<Shared>,
    id: ConnectionId,
    last_event_id: Option<String>,
) -> Result<Connection, Error> {
    let options = &shared.options;
    let Some(script) = &options.script else {
        return Err(Error::Refused);
    };
    let sent = &options.fetch;
    let mut attempt = super::testing::Attempt {
        url: attempt_url(options, last_event_id.as_deref()),
        last_event_id: None,
        method: sent.method.clone(),
        body: sent.body.clone(),
        headers: sent.headers.clone(),
        at: std::time::Duration::ZERO,
    };
    // A resumption with a request of its own (`Builder::resume_with`), as the fetch
    // transport makes it (`fetch::request`). Kept apart: one function for both cost the npm
    // package 0.2 KB gzipped, which only the test kit would gain from.
    if let (Some(resume), Some(after)) = (&sent.resume, &last_event_id) {
        let r = resume(after)?;
        attempt.method = r.method;
        attempt.body = r.body;
        attempt.headers.extend(r.headers);
        if let Some(url) = r.url {
            attempt.url = browser::resolve(&url).map_err(|reason| Error::InvalidOption {
                option: "resume_with",
                reason,
            })?;
        }
    }
    attempt.last_event_id = last_event_id;
    let sink = Rc::downgrade(shared) as Weak<dyn BodySink>;
    Ok(Connection::Scripted(script.connect(sink, id, attempt)))
}

impl Sink for Shared {
    fn input(&self, f: &mut dyn FnMut(&mut Machine, Instant)) {
        self.run(|core, now| {
            core.settle_id();
            f(&mut core.machine, now)
        });
        // The sink is reached through a `Weak` the caller upgraded, so `self` is in an `Rc`.
        if let Some(me) = self.me.upgrade() {
            me.pump();
        }
    }

    fn origin(&self, origin: String) {
        *self.origin.borrow_mut() = origin;
    }
}

#[cfg(feature = "eventsource")]
impl EventSink for Shared {
    fn source_event(&self, id: ConnectionId, event_type: &str, e: SourceEvent) {
        let data = e.data().unwrap_or_default();
        let reads_id = self.handlers.reads_id(event_type);
        self.run(|core, now| {
            // The event's last event ID is read now only for a callback that looks at it.
            // Otherwise the event is kept and its ID read when something needs it (before any
            // other input, or when asked), and the machine keeps the one it has until then.
            let last_event_id = if reads_id {
                core.unread_id = None;
                e.last_event_id()
            } else {
                if core.machine.current() == Some(id) {
                    core.unread_id = Some(e);
                }
                core.machine.last_event_id().to_owned()
            };
            let event = Event {
                event_type: event_type.to_owned(),
                data,
                last_event_id,
            };
            core.machine.handle_event(id, event, now);
        });
        if let Some(me) = self.me.upgrade() {
            me.pump();
        }
    }
}

#[cfg(feature = "fetch")]
impl BodySink for Shared {
    fn bytes(&self, id: ConnectionId, bytes: &[u8]) -> bool {
        // The npm class takes a copy of each event as it is parsed (see `Handlers::on_copy`).
        #[cfg(feature = "js")]
        let copy = self.handlers.copier();
        let go_on = self.run(|core, now| {
            core.settle_id();
            let m = &mut core.machine;
            #[cfg(feature = "js")]
            if let Some(copy) = &copy {
                m.handle_bytes_into(id, bytes, now, &mut |e| copy(e));
                return m.current() == Some(id);
            }
            m.handle_bytes(id, bytes, now);
            m.current() == Some(id)
        });
        if let Some(me) = self.me.upgrade() {
            me.pump();
        }
        go_on
    }
}

/// `url` with `name=value` added to its query (before any fragment).
pub(crate) fn with_query(url: &str, name: &str, value: &str) -> String {
    let (base, fragment) = match url.find('#') {
        Some(i) => url.split_at(i),
        None => (url, ""),
    };
    let sep = if base.contains('?') { '&' } else { '?' };
    format!(
        "{base}{sep}{}={}{fragment}",
        browser::encode_uri_component(name),
        browser::encode_uri_component(value)
    )
}
