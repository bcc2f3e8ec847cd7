//! One connection for many subscribers in a page ([`Builder::share`]).
//!
//! The streams of a page that ask for the same URL with the same request options, each
//! [`Builder::share`]d, are subscribers of one connection: a stream of its own (the hub's),
//! whose handlers hand every event, state and error to each subscriber's handlers. Each
//! subscriber has its own handlers and event types. Its `close()` leaves (the others go on)
//! and its `reopen()` comes back; when the last one leaves, the connection closes, and when
//! one comes back, it opens again and resumes after the last event id. A hub that every
//! subscriber has dropped goes, and the page remembers where it was for the next one.
//!
//! [`Builder::share`]: super::Builder::share

use std::cell::{Cell, OnceCell, RefCell};
use std::rc::{Rc, Weak};

use super::handlers::Handlers;
use super::{Builder, EventSource, Sharing};
use crate::core::error::{CloseReason, Error};
use crate::core::machine::State;
use crate::core::parser::Event;

/// The subscribers of one connection, as its hub's handlers see them.
type Members = Rc<RefCell<Vec<Weak<Subscriber>>>>;

/// The latest event of each type the connection handed out, for the members that ask for
/// them when they join ([`Builder::replay_latest`]). Kept from the start, since a member may
/// join at any time: a copy per event into the same buffers (`clone_from`), one event per type.
type Latest = Rc<RefCell<Vec<Event>>>;

/// One shared connection.
pub(crate) struct Hub {
    key: String,
    /// The connection: a stream whose handlers hand everything to the members.
    source: EventSource,
    members: Members,
    latest: Latest,
    /// Across tabs ([`Builder::share_tabs`]): this tab's side, or none where the browser
    /// cannot share across tabs (then `wants_tabs`).
    tabs: Option<Rc<dyn Relay>>,
    wants_tabs: bool,
}

/// Makes a stream's [`Relay`] from its key; none where the browser cannot share across tabs.
pub(crate) type MakeRelay = fn(&str) -> Option<Rc<dyn Relay>>;

/// A shared connection's side across the tabs of a browser ([`Builder::share_tabs`]): a trait
/// object, made only by the function `share_tabs` sets, so that an app that does not share
/// across tabs links none of it (`tabs.rs`).
pub(crate) trait Relay {
    /// Its hub, once made.
    fn attach(&self, hub: Weak<Hub>);
    /// Whether this tab holds the connection.
    fn holding(&self) -> bool;
    fn sharing(&self) -> Sharing;
    /// The state the holder relayed, for a follower.
    fn state(&self) -> State;
    /// The connection handed out an event, changed state or failed: the holder posts it to
    /// the other tabs. Whether this tab's subscribers get it (the holder's only).
    fn holder_event(&self, event: &Event) -> bool;
    fn holder_state(&self, state: &State) -> bool;
    fn holder_error(&self, error: &Error) -> bool;
    /// This tab's subscribers handle a new event type: whichever tab holds the connection
    /// listens for it too.
    fn announce(&self, event_type: &str);
    /// A subscriber of this tab is active: the tab follows, or holds when its turn comes.
    fn active(&self);
    /// None is: the tab gives the connection up, or leaves the queue.
    fn idle(&self);
    /// A follower's subscriber reopens a connection that closed for good.
    fn reopen(&self);
}

/// What an [`EventSource`] made with [`Builder::share`] holds: a trait object, made only by
/// [`open`], so that an app that never shares links none of this.
pub(crate) trait Member {
    /// Its own handlers.
    fn handlers(&self) -> &Handlers;
    /// Its state: the connection's, or closed once it left.
    fn state(&self) -> State;
    /// How its connection is shared.
    fn sharing(&self) -> Sharing;
    /// Makes the connection hand it events of this type.
    fn listen(&self, event_type: &str);
    /// Leaves: its state handlers see it close, nothing more reaches it, and the connection
    /// closes if no member is left.
    fn leave(&self);
    /// Comes back after leaving, or opens again the connection that closed.
    fn reopen(&self);
}

/// One subscriber of a shared connection.
pub(crate) struct Subscriber {
    me: Weak<Subscriber>,
    hub: OnceCell<Rc<Hub>>,
    pub(crate) handlers: Handlers,
    /// Whether it is subscribed: not closed, not dropped.
    active: Cell<bool>,
    /// Whether it gets the latest event of each of its types when it joins or starts handling
    /// one ([`Builder::replay_latest`]), and the types it got so far.
    replay: bool,
    replayed: RefCell<Vec<String>>,
    /// The types whose latest event it gets when the current code has run, and what runs
    /// then (one closure, made the first time: a closure per replay would bring in the
    /// machinery of one-shot closures, 0.3 KB).
    pending: RefCell<Vec<String>>,
    replayer: OnceCell<wasm_bindgen::closure::Closure<dyn FnMut()>>,
}

thread_local! {
    /// The page's shared connections.
    static HUBS: RefCell<Vec<Weak<Hub>>> = const { RefCell::new(Vec::new()) };
    /// Where the connection of a key that every subscriber dropped resumes when a new one
    /// comes: its last event id.
    static RESUME: RefCell<Vec<(String, String)>> = const { RefCell::new(Vec::new()) };
}

/// What makes two streams the same: the transport, the URL and the request options. (The
/// function options, the back-off and the retry policy are the first subscriber's.) Written
/// field by field, each ended by a NUL that none holds (a body by its length): `format!` with
/// `Debug` would bring the string escaping tables into every build (6 KB gzipped).
fn key(b: &Builder) -> String {
    let o = &b.options;
    let mut key = String::new();
    let mut field = |s: &str| {
        key.push_str(s);
        key.push('\0');
    };
    field(match o.transport {
        #[cfg(feature = "eventsource")]
        super::Transport::EventSource => "eventsource",
        #[cfg(feature = "fetch")]
        super::Transport::Fetch => "fetch",
    });
    field(match o.credentials {
        super::Credentials::Omit => "omit",
        super::Credentials::SameOrigin => "same-origin",
        super::Credentials::Include => "include",
    });
    match &o.last_event_id_param {
        Some(param) => {
            field("param");
            field(param);
        }
        None => field("no param"),
    }
    field(&o.url);
    #[cfg(feature = "fetch")]
    {
        field(&o.fetch.method);
        match &o.fetch.body {
            Some(body) => {
                field("body");
                field(&body.len().to_string());
                field(body);
            }
            None => field("no body"),
        }
        for (name, value) in &o.fetch.headers {
            field(name);
            field(value);
        }
    }
    #[cfg(feature = "testing")]
    if let Some(script) = &o.script {
        field(&(script.id() as usize).to_string());
    }
    field(if b.tabber.is_some() { "tabs" } else { "page" });
    key
}

/// Opens a shared stream: joins the page's connection with the same key, or makes it.
#[inline(never)]
pub(crate) fn open(mut b: Builder) -> Result<EventSource, Error> {
    b.share = super::Share::No;
    if b.config.one_shot || b.reads_a_stream() {
        return Err(Error::InvalidOption {
            option: "share",
            reason: "a one-shot stream, or one the app reads, is one request: it cannot be shared"
                .to_owned(),
        });
    }
    // Resolves the URL, which the key holds, and refuses a bad option before anything opens.
    b.check()?;
    let key = key(&b);
    let handlers = std::mem::take(&mut b.handlers);
    let subscriber = Rc::new_cyclic(|me| Subscriber {
        me: me.clone(),
        hub: OnceCell::new(),
        handlers,
        active: Cell::new(true),
        replay: b.replay_latest,
        replayed: RefCell::new(Vec::new()),
        pending: RefCell::new(Vec::new()),
        replayer: OnceCell::new(),
    });
    let found = HUBS.with(|h| {
        h.borrow()
            .iter()
            .filter_map(Weak::upgrade)
            .find(|hub| hub.key == key)
    });
    let hub = match found {
        Some(hub) => {
            let _ = subscriber.hub.set(hub.clone());
            hub.members.borrow_mut().push(Rc::downgrade(&subscriber));
            hub.listen_all(&subscriber.handlers);
            hub.arrived(&subscriber);
            subscriber.replay_latest(subscriber.handlers.event_types());
            hub
        }
        None => {
            let hub = Hub::open(b, key, &subscriber)?;
            let _ = subscriber.hub.set(hub.clone());
            hub
        }
    };
    Ok(EventSource {
        shared: hub.source.shared.clone(),
        sub: Some(subscriber as Rc<dyn Member>),
    })
}

impl Hub {
    /// Opens the connection with `b`'s options, `first` its first member.
    fn open(mut b: Builder, key: String, first: &Rc<Subscriber>) -> Result<Rc<Hub>, Error> {
        let wants_tabs = b.tabber.is_some();
        let tabs = b.tabber.and_then(|relay| relay(&key));
        if b.config.last_event_id.is_none() {
            let id = RESUME.with(|r| {
                let mut r = r.borrow_mut();
                let i = r.iter().position(|(k, _)| *k == key)?;
                Some(r.swap_remove(i).1)
            });
            b.config.last_event_id = id;
        }
        let members: Members = Rc::new(RefCell::new(vec![Rc::downgrade(first)]));
        let (m, r) = (members.clone(), tabs.clone());
        b.handlers.on_state(move |s| {
            if r.as_ref().is_none_or(|r| r.holder_state(s)) {
                each(&m, &|h| h.state(s));
            }
        });
        let (m, r) = (members.clone(), tabs.clone());
        b.handlers.on_error(move |e| {
            if r.as_ref().is_none_or(|r| r.holder_error(e)) {
                each(&m, &|h| h.error(e));
            }
        });
        #[cfg(feature = "js")]
        {
            let m = members.clone();
            b.handlers.on_drained(move || each(&m, &Handlers::drained));
        }
        // Across tabs, the connection opens when this tab holds it.
        let source = b.open_own(tabs.is_some())?;
        let hub = Rc::new(Hub {
            key,
            source,
            members,
            latest: Rc::default(),
            tabs,
            wants_tabs,
        });
        // Before any event: the connection's come from tasks of their own.
        hub.listen_all(&first.handlers);
        if let Some(tabs) = &hub.tabs {
            tabs.attach(Rc::downgrade(&hub));
            tabs.active();
        }
        HUBS.with(|h| {
            let mut hubs = h.borrow_mut();
            hubs.retain(|w| w.strong_count() > 0);
            hubs.push(Rc::downgrade(&hub));
        });
        Ok(hub)
    }

    /// Hands events of `event_type` to the members too, if it does not yet.
    pub(crate) fn listen(&self, event_type: &str) {
        if !self.source.shared.handlers.has_event_type(event_type) {
            self.source.add_raw(
                event_type,
                true,
                fan_out(self.members.clone(), self.latest.clone(), self.tabs.clone()),
            );
        }
    }

    /// A member handles this type: the connection hands it out, whichever tab holds it.
    fn listen_for(&self, event_type: &str) {
        self.listen(event_type);
        if let Some(tabs) = &self.tabs {
            tabs.announce(event_type);
        }
    }

    fn listen_all(&self, handlers: &Handlers) {
        for event_type in handlers.event_types() {
            self.listen_for(&event_type);
        }
    }

    /// A member arrived or came back: it sees the state at once, and a closed connection opens
    /// again (every member then sees it connect).
    fn arrived(&self, member: &Subscriber) {
        if let Some(tabs) = self.following() {
            tabs.active();
            return match tabs.state() {
                State::Closed { .. } => tabs.reopen(),
                state => member.handlers.state(&state),
            };
        }
        match self.source.state() {
            State::Closed { .. } => self.source.reopen(),
            state => member.handlers.state(&state),
        }
    }

    /// This tab's side across tabs, when another tab holds the connection.
    fn following(&self) -> Option<&Rc<dyn Relay>> {
        self.tabs.as_ref().filter(|t| !t.holding())
    }

    /// The members' state: the connection's, or the one a holding tab relayed.
    fn state(&self) -> State {
        match self.following() {
            Some(tabs) => tabs.state(),
            None => self.source.state(),
        }
    }

    fn sharing(&self) -> Sharing {
        match &self.tabs {
            Some(tabs) => tabs.sharing(),
            None if self.wants_tabs => Sharing::Unavailable,
            None => Sharing::Page,
        }
    }

    /// No member is active: the connection closes, or this tab gives it up.
    fn idle(&self) {
        match &self.tabs {
            Some(tabs) => tabs.idle(),
            None => self.source.close(),
        }
    }

    /// A member reopens: the connection, or the holding tab's.
    fn reopen(&self) {
        match self.following() {
            Some(tabs) => tabs.reopen(),
            None => self.source.reopen(),
        }
    }

    /// The event types this tab's members handle.
    pub(crate) fn local_types(&self) -> Vec<String> {
        let mut types: Vec<String> = Vec::new();
        for s in self.members.borrow().iter().filter_map(Weak::upgrade) {
            for t in s.handlers.event_types() {
                if !types.contains(&t) {
                    types.push(t);
                }
            }
        }
        types
    }

    /// For the holding tab: its connection's state, and opening or closing it.
    pub(crate) fn source_state(&self) -> State {
        self.source.state()
    }

    pub(crate) fn reopen_source(&self) {
        self.source.reopen();
    }

    pub(crate) fn close_source(&self) {
        self.source.close();
    }

    /// For a following tab: what the holder relayed, handed to the members as the
    /// connection's would be. The event's id is where this tab resumes if it comes to hold
    /// the connection.
    pub(crate) fn deliver_event(&self, event: &Event) {
        let id = &event.last_event_id;
        if !self.source.shared.set_closed_last_event_id(id) {
            self.source.resume_after(id);
        }
        keep_latest(&self.latest, event);
        each(&self.members, &|h| h.event(event));
    }

    /// After the events of one relayed message: the npm class hands its batch to JavaScript.
    pub(crate) fn delivered(&self) {
        each(&self.members, &Handlers::drained);
    }

    pub(crate) fn deliver_state(&self, state: &State) {
        each(&self.members, &|h| h.state(state));
    }

    pub(crate) fn deliver_error(&self, error: &Error) {
        each(&self.members, &|h| h.error(error));
    }

    pub(crate) fn any_active(&self) -> bool {
        self.members
            .borrow()
            .iter()
            .filter_map(Weak::upgrade)
            .any(|s| s.active.get())
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        let id = self.source.last_event_id();
        if !id.is_empty() {
            RESUME.with(|r| {
                let mut r = r.borrow_mut();
                r.retain(|(k, _)| *k != self.key);
                r.push((self.key.clone(), id));
            });
        }
        HUBS.with(|h| {
            if let Ok(mut hubs) = h.try_borrow_mut() {
                hubs.retain(|w| w.strong_count() > 0);
            }
        });
    }
}

/// The connection's handler of one event type: it keeps the latest, and hands each event to
/// the members (and, holding it across tabs, to the other tabs).
fn fan_out(
    members: Members,
    latest: Latest,
    tabs: Option<Rc<dyn Relay>>,
) -> impl FnMut(&Event) + 'static {
    move |e| {
        if tabs.as_ref().is_none_or(|t| t.holder_event(e)) {
            keep_latest(&latest, e);
            each(&members, &|h| h.event(e));
        }
    }
}

fn keep_latest(latest: &Latest, e: &Event) {
    let mut list = latest.borrow_mut();
    match list.iter_mut().find(|l| l.event_type == e.event_type) {
        Some(slot) => slot.clone_from(e),
        None => list.push(e.clone()),
    }
}

/// Calls `f` with the handlers of each member still subscribed, checked just before its turn
/// (one that leaves during a dispatch gets nothing more).
fn each(members: &Members, f: &dyn Fn(&Handlers)) {
    let list: Vec<Rc<Subscriber>> = members.borrow().iter().filter_map(Weak::upgrade).collect();
    for s in list {
        if s.active.get() {
            f(&s.handlers);
        }
    }
}

impl Subscriber {
    fn hub(&self) -> &Rc<Hub> {
        self.hub
            .get()
            .expect("a subscriber has its hub once opened")
    }

    /// Hands it, once the current code has run (so that the handlers an app adds right after
    /// are there), the latest event of each of these types that it has not had yet, if it
    /// asked for them.
    fn replay_latest(&self, types: Vec<String>) {
        if !self.replay {
            return;
        }
        let was_idle = self.pending.borrow().is_empty();
        for t in types {
            let mut replayed = self.replayed.borrow_mut();
            if !replayed.contains(&t) {
                replayed.push(t.clone());
                self.pending.borrow_mut().push(t);
            }
        }
        if !was_idle || self.pending.borrow().is_empty() {
            return;
        }
        if cfg!(not(target_arch = "wasm32")) {
            // The test kit in a native `cargo test`: no microtasks, so at once.
            return self.replay_pending();
        }
        let replayer = self.replayer.get_or_init(|| {
            let me = self.me.clone();
            wasm_bindgen::closure::Closure::new(move || {
                if let Some(me) = me.upgrade() {
                    me.replay_pending();
                }
            })
        });
        super::browser::queue_microtask(replayer.as_ref());
    }

    fn replay_pending(&self) {
        let types = std::mem::take(&mut *self.pending.borrow_mut());
        let events: Vec<Event> = self
            .hub()
            .latest
            .borrow()
            .iter()
            .filter(|e| types.contains(&e.event_type))
            .cloned()
            .collect();
        for e in &events {
            if self.active.get() {
                self.handlers.event(e);
            }
        }
        if !events.is_empty() {
            self.handlers.drained();
        }
    }
}

impl Member for Subscriber {
    fn handlers(&self) -> &Handlers {
        &self.handlers
    }

    fn listen(&self, event_type: &str) {
        self.hub().listen_for(event_type);
        self.replay_latest(vec![event_type.to_owned()]);
    }

    fn sharing(&self) -> Sharing {
        self.hub().sharing()
    }

    fn state(&self) -> State {
        if self.active.get() {
            self.hub().state()
        } else {
            State::Closed {
                reason: CloseReason::UserClosed,
            }
        }
    }

    fn leave(&self) {
        if !self.active.replace(false) {
            return;
        }
        self.handlers.state(&State::Closed {
            reason: CloseReason::UserClosed,
        });
        let hub = self.hub();
        if !hub.any_active() {
            hub.idle();
        }
    }

    fn reopen(&self) {
        let hub = self.hub();
        if self.active.replace(true) {
            hub.reopen();
        } else {
            hub.arrived(self);
        }
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        if let Some(hub) = self.hub.get() {
            hub.members.borrow_mut().retain(|w| w.strong_count() > 0);
        }
    }
}
