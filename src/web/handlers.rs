//! The user's callbacks, by event type. Each is called outside every borrow of the stream's
//! state, so a callback may add or remove handlers, close the stream or drop it.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use serde::de::DeserializeOwned;

use crate::core::error::Error;
use crate::core::machine::State;
use crate::core::parser::Event;

type Callback<T> = Rc<RefCell<dyn FnMut(&T)>>;
/// What takes a copy of each event the fetch transport parses (the npm class).
#[cfg(all(feature = "js", feature = "fetch"))]
type Copier = Rc<dyn Fn(&Event)>;
/// The callbacks of one event type, each with its id.
type EventList = Rc<Vec<(HandlerId, Callback<Event>)>>;

/// Names one handler added to a stream, so that [`EventSource::off`] can remove it.
///
/// [`EventSource::off`]: super::EventSource::off
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HandlerId(u64);

/// Decodes an event's data as JSON into `T`; a failure keeps the event's type and raw data.
pub fn decode<T: DeserializeOwned>(event: &Event) -> Result<T, Error> {
    serde_json::from_str(&event.data).map_err(|e| Error::Decode {
        event_type: event.event_type.clone(),
        data: event.data.clone(),
        message: e.to_string(),
    })
}

#[derive(Default)]
pub(crate) struct Handlers {
    next: Cell<u64>,
    /// By event type. A page handles a few types, so a list beats a hash map (and keeps the
    /// hashing code out of the wasm).
    /// Each list is shared with a dispatch in progress (so a handler may add another) and
    /// copied only when it changes, not per event.
    events: RefCell<Vec<(String, EventList)>>,
    /// The event types with a callback that reads each event's last event ID (see
    /// [`Handlers::reads_id`]); usually none.
    #[cfg(feature = "eventsource")]
    id_readers: RefCell<Vec<String>>,
    states: RefCell<Vec<(HandlerId, Callback<State>)>>,
    errors: RefCell<Vec<(HandlerId, Callback<Error>)>>,
    /// Called when the stream has run every output of an input: the npm class hands its batch
    /// of events to JavaScript then.
    #[cfg(feature = "js")]
    drained: RefCell<Option<Rc<dyn Fn()>>>,
    /// Takes a copy of each event the fetch transport parses, as it is parsed, while the
    /// machine is borrowed (see `Machine::handle_bytes_into`): the npm class appends them to
    /// its batch, which saves each event its allocations and its way through the handlers.
    #[cfg(all(feature = "js", feature = "fetch"))]
    copier: RefCell<Option<Copier>>,
}

impl Handlers {
    fn id(&self) -> HandlerId {
        let n = self.next.get() + 1;
        self.next.set(n);
        HandlerId(n)
    }

    /// Adds a callback for events of this type; `reads_id` when it looks at their
    /// `last_event_id` (a callback that only decodes the data does not).
    pub(crate) fn on_raw(
        &self,
        event_type: &str,
        reads_id: bool,
        f: impl FnMut(&Event) + 'static,
    ) -> HandlerId {
        self.add_raw(event_type, reads_id, Rc::new(RefCell::new(f)))
    }

    /// [`Handlers::on_raw`] once for every kind of callback (a copy per closure type cost the
    /// wasm about 900 bytes each).
    fn add_raw(&self, event_type: &str, reads_id: bool, f: Callback<Event>) -> HandlerId {
        #[cfg(feature = "eventsource")]
        if reads_id && !self.reads_id(event_type) {
            self.id_readers.borrow_mut().push(event_type.to_owned());
        }
        #[cfg(not(feature = "eventsource"))]
        let _ = reads_id;
        let id = self.id();
        let mut events = self.events.borrow_mut();
        match events.iter_mut().find(|(t, _)| t == event_type) {
            Some((_, list)) => Rc::make_mut(list).push((id, f)),
            None => events.push((event_type.to_owned(), Rc::new(vec![(id, f)]))),
        }
        id
    }

    pub(crate) fn on<T: DeserializeOwned>(
        &self,
        event_type: &str,
        mut f: impl FnMut(Result<T, Error>) + 'static,
    ) -> HandlerId {
        self.on_raw(event_type, false, move |event| f(decode(event)))
    }

    pub(crate) fn on_state(&self, f: impl FnMut(&State) + 'static) -> HandlerId {
        let id = self.id();
        self.states
            .borrow_mut()
            .push((id, Rc::new(RefCell::new(f))));
        id
    }

    pub(crate) fn on_error(&self, f: impl FnMut(&Error) + 'static) -> HandlerId {
        let id = self.id();
        self.errors
            .borrow_mut()
            .push((id, Rc::new(RefCell::new(f))));
        id
    }

    #[cfg(feature = "js")]
    pub(crate) fn on_drained(&self, f: impl Fn() + 'static) {
        *self.drained.borrow_mut() = Some(Rc::new(f));
    }

    #[cfg(all(feature = "js", feature = "fetch"))]
    pub(crate) fn on_copy(&self, f: impl Fn(&Event) + 'static) {
        *self.copier.borrow_mut() = Some(Rc::new(f));
    }

    #[cfg(all(feature = "js", feature = "fetch"))]
    pub(crate) fn copier(&self) -> Option<Copier> {
        self.copier.borrow().clone()
    }

    /// Removes a handler; whether it was there. A dispatch in progress still calls the
    /// handlers it started with, but none that was removed before its turn.
    pub(crate) fn off(&self, id: HandlerId) -> bool {
        let mut events = self.events.borrow_mut();
        let found = events.iter_mut().any(|(_, list)| {
            let i = list.iter().position(|(h, _)| *h == id);
            i.map(|i| Rc::make_mut(list).remove(i)).is_some()
        });
        if found {
            events.retain(|(_, list)| !list.is_empty());
            return true;
        }
        drop(events);
        let mut states = self.states.borrow_mut();
        let before = states.len();
        states.retain(|(h, _)| *h != id);
        if states.len() != before {
            return true;
        }
        let mut errors = self.errors.borrow_mut();
        let before = errors.len();
        errors.retain(|(h, _)| *h != id);
        errors.len() != before
    }

    /// Whether the handler is still there (a dispatch skips those removed during it).
    fn has(&self, event_type: &str, id: HandlerId) -> bool {
        self.events
            .borrow()
            .iter()
            .any(|(t, list)| t == event_type && list.iter().any(|(h, _)| *h == id))
    }

    /// The event types that have handlers.
    pub(crate) fn event_types(&self) -> Vec<String> {
        self.events
            .borrow()
            .iter()
            .map(|(t, _)| t.clone())
            .collect()
    }

    pub(crate) fn has_event_type(&self, event_type: &str) -> bool {
        self.events.borrow().iter().any(|(t, _)| t == event_type)
    }

    /// Whether a callback for this type reads the events' `last_event_id`. The browser's
    /// `EventSource` transport reads it from each event only then: it is one more call into
    /// the browser per event, and a callback that only decodes the data never sees it.
    #[cfg(feature = "eventsource")]
    pub(crate) fn reads_id(&self, event_type: &str) -> bool {
        self.id_readers.borrow().iter().any(|t| t == event_type)
    }

    pub(crate) fn event(&self, event: &Event) {
        let list = self
            .events
            .borrow()
            .iter()
            .find(|(t, _)| *t == event.event_type)
            .map(|(_, l)| Rc::clone(l));
        let Some(list) = list else { return };
        // The common case, one handler, cannot have removed another before its turn.
        let check = list.len() > 1;
        for (id, f) in list.iter() {
            if check && !self.has(&event.event_type, *id) {
                continue;
            }
            call(f, event);
        }
    }

    pub(crate) fn state(&self, state: &State) {
        let list = self.states.borrow().clone();
        for (_, f) in &list {
            call(f, state);
        }
    }

    pub(crate) fn error(&self, error: &Error) {
        let list = self.errors.borrow().clone();
        for (_, f) in &list {
            call(f, error);
        }
    }

    /// Runs the `drained` callback, if any.
    pub(crate) fn drained(&self) {
        #[cfg(feature = "js")]
        {
            let f = self.drained.borrow().clone();
            if let Some(f) = f {
                f();
            }
        }
    }

    pub(crate) fn clear(&self) {
        self.events.borrow_mut().clear();
        #[cfg(feature = "eventsource")]
        self.id_readers.borrow_mut().clear();
        self.states.borrow_mut().clear();
        self.errors.borrow_mut().clear();
        #[cfg(feature = "js")]
        self.drained.borrow_mut().take();
        #[cfg(all(feature = "js", feature = "fetch"))]
        self.copier.borrow_mut().take();
    }
}

fn call<T>(f: &Callback<T>, value: &T) {
    // A callback that is already running (it closed the stream, say, and the close's state
    // change comes back to it) is not re-entered; the pump never does that, but a callback
    // that calls into another stream's pump could.
    if let Ok(mut f) = f.try_borrow_mut() {
        f(value);
    }
}
