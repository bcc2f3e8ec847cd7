//! One connection for the tabs of a browser ([`Builder::share_tabs`]).
//!
//! Each tab's shared connection (its [`Hub`]) asks for a Web Lock named after the stream. The
//! tab that holds it connects, and its hub posts every event (with the holder's term), state
//! and error on a `BroadcastChannel` of the same name; the other tabs' hubs follow: they hand
//! what arrives to their own subscribers, and keep the last event id. When the holder goes
//! (closed, reloaded, crashed: the browser frees its lock) or its last subscriber leaves, the
//! next tab in the lock's queue is granted it; it first lets the messages already posted to it
//! arrive ([`DRAIN_MS`]), then connects, resuming after the last event it delivered. A
//! follower drops the events of a new term that it already delivered (their ids are among its
//! last ones), so no tab sees an event twice. Each tab announces the event types its
//! subscribers handle, so that whichever holds the connection listens for all of them.
//!
//! [`Builder::share_tabs`]: super::Builder::share_tabs

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use js_sys::Function;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::browser::{self, Listener, Timer};
use super::share::{Hub, Relay};
use super::Sharing;
use crate::core::error::Error;
use crate::core::machine::State;
use crate::core::parser::Event;
use crate::core::wire::{Reader, Writer};

#[wasm_bindgen(module = "/src/web/native.js")]
extern "C" {
    #[wasm_bindgen(js_name = tabsAvailable)]
    fn tabs_available() -> bool;
    #[wasm_bindgen(js_name = requestLock)]
    fn request_lock(name: &str, signal: &web_sys::AbortSignal, granted: &Function);
}

/// How long a tab granted the lock waits before it connects: the messages its predecessor
/// posted before it went arrive first, so it resumes after the last of them.
const DRAIN_MS: u32 = 100;

/// How many of the last event ids a tab keeps, to drop the events a new holder repeats.
const RECENT: usize = 64;

/// A holder's term: its tab and how many times that tab has held the connection.
type Term = (u64, u32);

/// What the tabs of one stream say to each other, written as text (`core::wire`).
enum Message {
    /// The holder's connection handed out events (those of one task, in one message),
    Events(Term, Vec<Event>),
    /// changed state,
    State(Term, State),
    /// or failed.
    Error(Term, Error),
    /// A tab's subscribers handle these event types.
    Types(Vec<String>),
    /// A tab came: the others say which types they handle, and the holder its state.
    Hello,
    /// A follower's subscriber reopened a connection that closed for good.
    Reopen,
}

const EVENTS: u64 = 0;
const STATE: u64 = 1;
const ERROR: u64 = 2;
const TYPES: u64 = 3;
const HELLO: u64 = 4;
const REOPEN: u64 = 5;

impl Message {
    fn write(&self) -> String {
        let mut w = Writer::default();
        let term = |w: &mut Writer, (tab, n): Term| {
            w.num(tab);
            w.num(u64::from(n));
        };
        match self {
            Message::Events(t, events) => {
                w.num(EVENTS);
                term(&mut w, *t);
                w.num(events.len() as u64);
                events.iter().for_each(|e| w.event(e));
            }
            Message::State(t, state) => {
                w.num(STATE);
                term(&mut w, *t);
                w.state(state);
            }
            Message::Error(t, error) => {
                w.num(ERROR);
                term(&mut w, *t);
                w.error(error);
            }
            Message::Types(types) => {
                w.num(TYPES);
                w.num(types.len() as u64);
                types.iter().for_each(|t| w.text(t));
            }
            Message::Hello => w.num(HELLO),
            Message::Reopen => w.num(REOPEN),
        }
        w.finish()
    }

    fn read(text: &str) -> Option<Message> {
        let mut r = Reader::new(text);
        let kind = r.num()?;
        let term = |r: &mut Reader| Some((r.num()?, u32::try_from(r.num()?).ok()?));
        let message = match kind {
            EVENTS => {
                let t = term(&mut r)?;
                let n = r.num()?;
                // Grown by what the text holds, not by what it claims.
                let mut events = Vec::new();
                for _ in 0..n {
                    events.push(r.event()?);
                }
                Message::Events(t, events)
            }
            STATE => Message::State(term(&mut r)?, r.state()?),
            ERROR => Message::Error(term(&mut r)?, r.error()?),
            TYPES => {
                let n = r.num()?;
                let mut types = Vec::new();
                for _ in 0..n {
                    types.push(r.text()?);
                }
                Message::Types(types)
            }
            HELLO => Message::Hello,
            REOPEN => Message::Reopen,
            _ => return None,
        };
        r.at_end().then_some(message)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// No subscriber of this tab is active (or the page is frozen): not in the lock's queue.
    Off,
    /// In the lock's queue: following the holder.
    Waiting,
    /// Granted the lock, waiting [`DRAIN_MS`] before it connects.
    Draining,
    /// Holding the connection.
    Holding,
}

/// One tab's side of a stream shared across tabs.
pub(crate) struct Tabs {
    me: Weak<Tabs>,
    hub: RefCell<Weak<Hub>>,
    name: String,
    channel: web_sys::BroadcastChannel,
    listeners: RefCell<Vec<Listener>>,
    tab: u64,
    term: Cell<u32>,
    role: Cell<Role>,
    frozen: Cell<bool>,
    granted: Closure<dyn FnMut(Function)>,
    release: RefCell<Option<Function>>,
    withdraw: RefCell<Option<web_sys::AbortController>>,
    start: RefCell<Option<Timer>>,
    /// The state the holder last relayed.
    state: RefCell<State>,
    /// The term of the last event relayed, and whether one of it was delivered (until then,
    /// events it repeats are dropped).
    from: Cell<Option<Term>>,
    settled: Cell<bool>,
    recent: RefCell<VecDeque<String>>,
    /// The event types the subscribers of every tab handle.
    types: RefCell<Vec<String>>,
    /// The holder's events not yet posted, and what posts them once the current task's code
    /// has run (one message per task rather than per event).
    batch: RefCell<Vec<Event>>,
    flusher: Closure<dyn FnMut()>,
}

/// The relay of a stream whose key is `key`, if this browser can share across tabs.
pub(crate) fn relay(key: &str) -> Option<Rc<dyn Relay>> {
    if cfg!(not(target_arch = "wasm32")) || !tabs_available() {
        return None;
    }
    // Names of Web Locks that start with "-" are reserved; this one does not.
    let name = format!("typed-eventsource {key}");
    let channel = web_sys::BroadcastChannel::new(&name).ok()?;
    let tabs = Rc::new_cyclic(|me: &Weak<Tabs>| {
        let w = me.clone();
        let granted = Closure::new(move |release: Function| match w.upgrade() {
            Some(tabs) => tabs.granted(release),
            None => drop(release.call0(&JsValue::NULL)),
        });
        let w = me.clone();
        let flusher = Closure::new(move || {
            if let Some(tabs) = w.upgrade() {
                tabs.flush();
            }
        });
        Tabs {
            me: me.clone(),
            batch: RefCell::new(Vec::new()),
            flusher,
            hub: RefCell::new(Weak::new()),
            name,
            channel,
            listeners: RefCell::new(Vec::new()),
            tab: super::random_seed(),
            term: Cell::new(0),
            role: Cell::new(Role::Off),
            frozen: Cell::new(false),
            granted,
            release: RefCell::new(None),
            withdraw: RefCell::new(None),
            start: RefCell::new(None),
            state: RefCell::new(State::Connecting { attempt: 0 }),
            from: Cell::new(None),
            settled: Cell::new(false),
            recent: RefCell::new(VecDeque::new()),
            types: RefCell::new(Vec::new()),
        }
    });
    let mut listeners = Vec::new();
    let w = Rc::downgrade(&tabs);
    listeners.push(Listener::new(&tabs.channel, "message", move |e| {
        let data = e
            .unchecked_into::<web_sys::MessageEvent>()
            .data()
            .as_string();
        let message = data.and_then(|t| Message::read(&t));
        if let (Some(tabs), Some(message)) = (w.upgrade(), message) {
            tabs.receive(message);
        }
    }));
    // A frozen page (or one in the back-forward cache) gives the connection up and follows
    // again when it returns.
    let lifecycle = [
        (browser::document(), "freeze", true),
        (browser::document(), "resume", false),
        (browser::global_target(), "pagehide", true),
        (browser::global_target(), "pageshow", false),
    ];
    for (target, event_type, leaving) in lifecycle {
        let Some(target) = target else { continue };
        let w = Rc::downgrade(&tabs);
        listeners.push(Listener::new(&target, event_type, move |e| {
            let persisted = js_sys::Reflect::get(&e, &"persisted".into())
                .map(|p| p.as_bool() != Some(false))
                .unwrap_or(true);
            if let (Some(tabs), true) = (w.upgrade(), persisted) {
                tabs.frozen(leaving);
            }
        }));
    }
    *tabs.listeners.borrow_mut() = listeners;
    Some(tabs)
}

impl Tabs {
    fn hub(&self) -> Option<Rc<Hub>> {
        self.hub.borrow().upgrade()
    }

    fn post(&self, message: &Message) {
        // What follows a batch of events comes after them.
        self.flush();
        let _ = self.channel.post_message(&message.write().into());
    }

    /// Posts the events batched so far.
    fn flush(&self) {
        let events = std::mem::take(&mut *self.batch.borrow_mut());
        if !events.is_empty() {
            let message = Message::Events(self.current_term(), events);
            let _ = self.channel.post_message(&message.write().into());
        }
    }

    fn holding(&self) -> bool {
        self.role.get() == Role::Holding
    }

    fn current_term(&self) -> Term {
        (self.tab, self.term.get())
    }

    fn remember(&self, id: &str) {
        let mut recent = self.recent.borrow_mut();
        if !id.is_empty() && recent.back().is_none_or(|last| last != id) {
            if recent.len() == RECENT {
                recent.pop_front();
            }
            recent.push_back(id.to_owned());
        }
    }

    fn add_types(&self, types: &[String]) {
        let mut known = self.types.borrow_mut();
        for t in types {
            if !known.contains(t) {
                known.push(t.clone());
            }
        }
    }

    fn receive(&self, message: Message) {
        let Some(hub) = self.hub() else { return };
        match message {
            Message::Types(types) => {
                self.add_types(&types);
                if self.holding() {
                    types.iter().for_each(|t| hub.listen(t));
                }
            }
            Message::Hello => {
                if hub.any_active() {
                    self.post(&Message::Types(hub.local_types()));
                }
                if self.holding() {
                    self.post(&Message::State(self.current_term(), hub.source_state()));
                }
            }
            Message::Reopen => {
                if self.holding() {
                    hub.reopen_source();
                }
            }
            // A holder hears no other (a predecessor's last messages were handled before it
            // connected); a tab that is off has nobody to hand them to.
            _ if self.holding() || self.role.get() == Role::Off => {}
            Message::State(_, state) => {
                *self.state.borrow_mut() = state.clone();
                hub.deliver_state(&state);
            }
            Message::Error(_, error) => hub.deliver_error(&error),
            Message::Events(term, events) => {
                if self.from.get() != Some(term) {
                    self.from.set(Some(term));
                    self.settled.set(false);
                }
                for event in &events {
                    if !self.settled.get() {
                        let id = &event.last_event_id;
                        if !id.is_empty() && self.recent.borrow().contains(id) {
                            // A new holder repeats what this tab already delivered.
                            continue;
                        }
                        self.settled.set(true);
                    }
                    self.remember(&event.last_event_id);
                    hub.deliver_event(event);
                }
                hub.delivered();
            }
        }
    }

    /// The lock is this tab's: once the messages already posted to it are in, it connects.
    fn granted(&self, release: Function) {
        *self.release.borrow_mut() = Some(release);
        self.withdraw.borrow_mut().take();
        if self.role.get() != Role::Waiting {
            return self.give_up_lock();
        }
        self.role.set(Role::Draining);
        let me = self.me.clone();
        let timer = Timer::new(DRAIN_MS, move || {
            if let Some(tabs) = me.upgrade() {
                tabs.hold();
            }
        });
        *self.start.borrow_mut() = Some(timer);
    }

    fn hold(&self) {
        self.start.borrow_mut().take();
        let Some(hub) = self.hub() else { return };
        if self.role.get() != Role::Draining {
            return;
        }
        self.role.set(Role::Holding);
        self.term.set(self.term.get() + 1);
        for t in self.types.borrow().clone() {
            hub.listen(&t);
        }
        hub.reopen_source();
    }

    fn give_up_lock(&self) {
        self.start.borrow_mut().take();
        if let Some(controller) = self.withdraw.borrow_mut().take() {
            controller.abort();
        }
        if let Some(release) = self.release.borrow_mut().take() {
            let _ = release.call0(&JsValue::NULL);
        }
    }

    /// Leaves the lock's queue, or gives the connection up (the next tab takes it over).
    fn stop(&self) {
        if self.role.replace(Role::Off) == Role::Holding {
            // What its subscribers had, the others get.
            self.flush();
            if let Some(hub) = self.hub() {
                // Not relayed, and not seen by this tab's subscribers: the role is off.
                hub.close_source();
            }
        }
        self.give_up_lock();
    }

    /// Joins the lock's queue, if it is not in it.
    fn start(&self) {
        if self.role.get() != Role::Off || self.frozen.get() {
            return;
        }
        let Some(hub) = self.hub() else { return };
        let Ok(controller) = web_sys::AbortController::new() else {
            return;
        };
        self.role.set(Role::Waiting);
        *self.state.borrow_mut() = State::Connecting { attempt: 0 };
        request_lock(
            &self.name,
            &controller.signal(),
            self.granted.as_ref().unchecked_ref(),
        );
        *self.withdraw.borrow_mut() = Some(controller);
        let types = hub.local_types();
        self.add_types(&types);
        self.post(&Message::Types(types));
        self.post(&Message::Hello);
    }

    fn frozen(&self, leaving: bool) {
        if leaving {
            self.frozen.set(true);
            self.stop();
        } else if self.frozen.replace(false) {
            // What it missed is gone: it takes the next event of whichever holder, dropping
            // only those it had.
            self.from.set(None);
            if self.hub().is_some_and(|h| h.any_active()) {
                self.start();
            }
        }
    }
}

impl Relay for Tabs {
    fn attach(&self, hub: Weak<Hub>) {
        *self.hub.borrow_mut() = hub;
    }

    fn holding(&self) -> bool {
        Tabs::holding(self)
    }

    fn sharing(&self) -> Sharing {
        if self.holding() {
            Sharing::Holder
        } else {
            Sharing::Follower
        }
    }

    fn state(&self) -> State {
        self.state.borrow().clone()
    }

    fn holder_event(&self, event: &Event) -> bool {
        if !self.holding() {
            return false;
        }
        self.remember(&event.last_event_id);
        let mut batch = self.batch.borrow_mut();
        batch.push(event.clone());
        if batch.len() == 1 {
            browser::queue_microtask(self.flusher.as_ref());
        }
        true
    }

    fn holder_state(&self, state: &State) -> bool {
        if !self.holding() {
            return false;
        }
        self.post(&Message::State(self.current_term(), state.clone()));
        true
    }

    fn holder_error(&self, error: &Error) -> bool {
        if !self.holding() {
            return false;
        }
        self.post(&Message::Error(self.current_term(), error.clone()));
        true
    }

    fn announce(&self, event_type: &str) {
        let types = vec![event_type.to_owned()];
        self.add_types(&types);
        if self.role.get() != Role::Off {
            self.post(&Message::Types(types));
        }
    }

    fn active(&self) {
        self.start();
    }

    fn idle(&self) {
        self.stop();
    }

    fn reopen(&self) {
        self.post(&Message::Reopen);
    }
}

impl Drop for Tabs {
    fn drop(&mut self) {
        self.stop();
        self.channel.close();
    }
}
