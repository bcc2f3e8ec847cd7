//! The state one stream shares with its callbacks: the core machine, the connection, the timer
//! and the page-lifecycle listeners. Callbacks hold a `Weak` to it, so dropping the handle
//! frees it all; every input goes through [`Shared::input`], which then runs the machine's
//! outputs in order ("the pump").

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use wasm_bindgen::JsCast;
use web_time::Instant;

use super::browser::{self, Listener, Timer};
#[cfg(feature = "eventsource")]
use super::eventsource::{EsConnection, UnreadId};
#[cfg(feature = "fetch")]
use super::fetch::FetchConnection;
use super::handlers::Handlers;
use super::{Options, Transport};
use crate::core::machine::{ConnectionId, Machine, Output, State};

pub(crate) enum Connection {
    #[cfg(feature = "eventsource")]
    EventSource(EsConnection),
    #[cfg(feature = "fetch")]
    Fetch(
        #[expect(dead_code, reason = "held for its Drop, which aborts the request")]
        FetchConnection,
    ),
}

pub(crate) struct Core {
    pub(crate) machine: Machine,
    pub(crate) options: Rc<Options>,
    pub(crate) connection: Option<(ConnectionId, Connection)>,
    /// The armed timer and the deadline it was armed for.
    timer: Option<(Instant, Timer)>,
    lifecycle: Vec<Listener>,
    /// The last event of the browser's `EventSource`, when its ID has not been read yet.
    #[cfg(feature = "eventsource")]
    pub(crate) unread_id: Option<UnreadId>,
}

impl Core {
    /// Gives the machine the last event ID, if it was left unread.
    pub(crate) fn settle_id(&mut self) {
        #[cfg(feature = "eventsource")]
        if let Some(unread) = self.unread_id.take() {
            self.machine.set_last_event_id(&unread.read());
        }
    }
}

pub(crate) struct Shared {
    pub(crate) core: RefCell<Core>,
    pub(crate) handlers: Handlers,
    pumping: Cell<bool>,
}

impl Shared {
    pub(crate) fn new(machine: Machine, options: Options, handlers: Handlers) -> Rc<Shared> {
        Rc::new(Shared {
            core: RefCell::new(Core {
                machine,
                options: Rc::new(options),
                connection: None,
                timer: None,
                lifecycle: Vec::new(),
                #[cfg(feature = "eventsource")]
                unread_id: None,
            }),
            handlers,
            pumping: Cell::new(false),
        })
    }

    /// Gives the machine an input, then acts on what it asks for. Returns `None` when the
    /// stream is gone (its handle was dropped).
    pub(crate) fn input<R>(
        weak: &Weak<Shared>,
        f: impl FnOnce(&mut Machine, Instant) -> R,
    ) -> Option<R> {
        let shared = weak.upgrade()?;
        Some(shared.apply(f))
    }

    pub(crate) fn apply<R>(self: &Rc<Self>, f: impl FnOnce(&mut Machine, Instant) -> R) -> R {
        self.apply_core(|core, now| {
            core.settle_id();
            f(&mut core.machine, now)
        })
    }

    /// [`Shared::apply`] with the whole state and without settling the last event ID first:
    /// for an event of the browser's `EventSource`, which brings the newer ID itself.
    pub(crate) fn apply_core<R>(self: &Rc<Self>, f: impl FnOnce(&mut Core, Instant) -> R) -> R {
        let r = f(&mut self.core.borrow_mut(), Instant::now());
        self.pump();
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
            let Some(output) = output else { break };
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
                    if matches!(state, State::Closed { .. }) {
                        let listeners = std::mem::take(&mut self.core.borrow_mut().lifecycle);
                        drop(listeners);
                    }
                    self.handlers.state(&state);
                }
            }
        }
        self.rearm();
        self.pumping.set(false);
    }

    fn connect(self: &Rc<Self>, id: ConnectionId, last_event_id: Option<String>) {
        let options = self.core.borrow().options.clone();
        let url = match (&options.last_event_id_param, &last_event_id) {
            (Some(param), Some(last)) => with_query(&options.url, param, last),
            _ => options.url.clone(),
        };
        let connection = match options.transport {
            #[cfg(feature = "eventsource")]
            Transport::EventSource => EsConnection::open(
                self,
                id,
                &url,
                options.credentials == super::Credentials::Include,
                &self.handlers.event_types(),
            )
            .map(Connection::EventSource),
            #[cfg(feature = "fetch")]
            Transport::Fetch => {
                FetchConnection::open(self, id, options, url, last_event_id).map(Connection::Fetch)
            }
        };
        let mut core = self.core.borrow_mut();
        match connection {
            Ok(c) => core.connection = Some((id, c)),
            Err(e) => core.machine.handle_error(id, e, Instant::now()),
        }
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
        let wait = deadline.saturating_duration_since(Instant::now());
        // setTimeout may fire up to a millisecond early by `performance.now()`: round up.
        let ms = u32::try_from(crate::core::error::millis(wait))
            .unwrap_or(u32::MAX)
            .saturating_add(1);
        let weak = Rc::downgrade(self);
        let timer = Timer::new(ms, move || {
            if let Some(shared) = weak.upgrade() {
                let fired = shared.core.borrow_mut().timer.take();
                shared.apply(|m, now| m.handle_timeout(now));
                drop(fired);
            }
        });
        core.timer = Some((deadline, timer));
    }

    /// Listens for the page's lifecycle: the network going and coming back, the page hidden
    /// and shown, and its return from the back-forward cache.
    pub(crate) fn watch_lifecycle(self: &Rc<Self>) {
        if !self.core.borrow().lifecycle.is_empty() {
            return;
        }
        let global = browser::global_target();
        let mut listeners = Vec::with_capacity(4);
        for (event, online) in [("online", true), ("offline", false)] {
            let weak = Rc::downgrade(self);
            listeners.push(Listener::new(&global, event, move |_| {
                Shared::input(&weak, |m, now| m.handle_online(online, now));
            }));
        }
        let weak = Rc::downgrade(self);
        listeners.push(Listener::new(&global, "pageshow", move |e| {
            let persisted = e
                .dyn_ref::<web_sys::PageTransitionEvent>()
                .is_some_and(|e| e.persisted());
            if persisted {
                Shared::input(&weak, |m, now| m.handle_page_restored(now));
            }
        }));
        if let Some(document) = browser::document() {
            let weak = Rc::downgrade(self);
            listeners.push(Listener::new(&document, "visibilitychange", move |_| {
                let visible = browser::visible();
                Shared::input(&weak, |m, now| m.handle_visibility(visible, now));
            }));
        }
        self.core.borrow_mut().lifecycle = listeners;
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

/// `url` with `name=value` added to its query (before any fragment).
pub(crate) fn with_query(url: &str, name: &str, value: &str) -> String {
    let (base, fragment) = match url.find('#') {
        Some(i) => url.split_at(i),
        None => (url, ""),
    };
    let sep = if base.contains('?') { '&' } else { '?' };
    format!(
        "{base}{sep}{}={}{fragment}",
        js_sys::encode_uri_component(name),
        js_sys::encode_uri_component(value)
    )
}
