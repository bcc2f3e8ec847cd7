//! Feature `js`: the npm package's `TypedEventSource`, a drop-in for the browser's
//! `EventSource` with typed JSON handlers, a back-off policy and visible connection state.
//!
//! The class is JavaScript (`typed_eventsource.js`), because only a real class that extends
//! `EventTarget` gives listener options, `dispatchEvent`, `instanceof` and listener order as
//! the browser does. Everything it does to the network and the page goes through a [`Stream`]:
//! the crate's own [`EventSource`], the one browser layer Rust apps use too, with handlers
//! that hand its events to the class in batches. Its TypeScript declarations are hand-written
//! (`typed_eventsource.d.ts`, included below) so that an event map types `on("price", ...)`.
//!
//! The module's start function gives `typed_eventsource.js` the way to open a stream, so the
//! class is usable once the module is initialised. (An app that enables `js` and has a start
//! function of its own would have two.)

mod errors;
mod options;
#[cfg(feature = "testing")]
mod testing;

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::core::machine::State;
use crate::core::parser::Event;
use crate::web::{EventSource, Sharing};

#[wasm_bindgen(typescript_custom_section)]
const TS: &str = include_str!("typed_eventsource.d.ts");

#[wasm_bindgen(module = "/src/js/typed_eventsource.js")]
extern "C" {
    /// The class, exported by the package as its own.
    #[wasm_bindgen(reexport)]
    type TypedEventSource;
    /// Gives the class the function that opens a stream.
    fn provide(open: &JsValue);
}

#[wasm_bindgen(start, skip_typescript)]
fn start() {
    let open =
        Closure::<dyn Fn(Function, JsValue, JsValue, JsValue) -> Result<JsValue, JsValue>>::new(
            |sink, url, options, readable: JsValue| {
                // A ReadableStream from `fromReadableStream()`, which has checked it.
                let readable = readable.dyn_into::<web_sys::ReadableStream>().ok();
                Stream::open(sink, &url, &options, readable).map(JsValue::from)
            },
        );
    provide(&open.into_js_value());
}

fn set(o: &Object, k: &str, v: impl Into<JsValue>) {
    let _ = Reflect::set(o, &k.into(), &v.into());
}

fn state_to_js(s: &State) -> JsValue {
    let o = Object::new();
    let (name, attempt) = match s {
        State::Connecting { attempt } => ("connecting", *attempt),
        State::Open => ("open", 0),
        State::Reconnecting { attempt, .. } => ("reconnecting", *attempt),
        State::Paused { .. } => ("paused", 0),
        State::Closed { .. } => ("closed", 0),
    };
    set(&o, "state", name);
    set(&o, "attempt", attempt);
    let delay = match s {
        State::Reconnecting { delay, .. } => JsValue::from(delay.as_secs_f64() * 1000.0),
        _ => JsValue::NULL,
    };
    set(&o, "delay", delay);
    match s {
        State::Paused { reason } => set(
            &o,
            "reason",
            match reason {
                crate::core::machine::PauseReason::Offline => "offline",
                crate::core::machine::PauseReason::Hidden => "hidden",
            },
        ),
        State::Closed { reason } => set(&o, "reason", errors::reason_to_js(reason)),
        _ => {}
    }
    o.into()
}

/// What a stream hands the class (see `Sink` in `typed_eventsource.js`).
const EVENTS: u8 = 0;
const ERRORS: u8 = 1;
const STATE: u8 = 2;

/// The way to the class: its sink, and what waits to go through it.
struct Link {
    sink: Function,
    /// Events not yet handed over. They cross once the stream has run an input's outputs, or
    /// before a state change or an error, so that order is kept: a call across costs more
    /// than an event.
    batch: RefCell<Batch>,
    /// Errors not yet handed over. An error waits for the state change that follows it, so
    /// that its listeners see `readyState` as it will be, as an `EventSource`'s do (`CLOSED`
    /// when the stream gives up); an event after it, or the end of the input, sends it too.
    errors: RefCell<Vec<JsValue>>,
    /// The event types the class takes.
    types: RefCell<Vec<String>>,
}

impl Link {
    fn send(&self, kind: u8, value: &JsValue) {
        // The class reports its listeners' exceptions itself.
        let _ = self.sink.call2(&JsValue::NULL, &kind.into(), value);
    }

    fn send_errors(&self) {
        let errors = std::mem::take(&mut *self.errors.borrow_mut());
        if !errors.is_empty() {
            self.send(ERRORS, &errors.into_iter().collect::<Array>());
        }
    }

    fn flush(&self) {
        self.send_errors();
        self.send_batch();
    }

    /// Hands the batch over, if it holds events, and keeps its buffer for the next one (a
    /// batch grows to about a read's size, and growing it again for every read would copy it
    /// again and again), unless it grew large.
    fn send_batch(&self) {
        let mut text = {
            let mut batch = self.batch.borrow_mut();
            if batch.text.is_empty() {
                return;
            }
            std::mem::take(&mut batch.text)
        };
        // Not borrowed while the class runs its listeners, which may close the stream.
        self.send(EVENTS, &JsValue::from_str(&text));
        text.clear();
        let mut batch = self.batch.borrow_mut();
        if text.capacity() <= KEPT_BATCH_CAPACITY && batch.text.capacity() == 0 {
            batch.text = text;
        }
    }

    fn event(&self, e: &Event) {
        self.send_errors();
        self.append(e);
    }

    /// Appends a copy of an event the fetch transport parsed, if the class takes its type.
    /// It runs while the machine is borrowed, so it calls nothing in JavaScript (no error
    /// waits then: they go out at the end of each input).
    #[cfg(feature = "fetch")]
    fn copy(&self, e: &Event) {
        let mut batch = self.batch.borrow_mut();
        if batch.kind == e.event_type || self.types.borrow().contains(&e.event_type) {
            batch.push(e);
        }
    }

    fn append(&self, e: &Event) {
        self.batch.borrow_mut().push(e);
    }

    fn state(&self, s: &State) {
        // Events before the change, in the state they arrived in; errors with it.
        self.send_batch();
        let errors: Array = std::mem::take(&mut *self.errors.borrow_mut())
            .into_iter()
            .collect();
        let _ = self
            .sink
            .call3(&JsValue::NULL, &STATE.into(), &state_to_js(s), &errors);
    }
}

/// The largest batch buffer kept for the next batch.
const KEPT_BATCH_CAPACITY: usize = 256 * 1024;

/// Events on their way to the class, as text: `id \r data \r` for each event (none of the
/// fields can hold a CR or an LF but the data, which cannot hold a CR), each event of a type
/// other than the one before it in the batch preceded by `\n type \r`, so that a run of events
/// of one type (most streams' every event) names it once.
#[derive(Default)]
struct Batch {
    text: String,
    /// The type of the last event pushed (a type the class takes); it names the batch's last
    /// event only while `text` holds events.
    kind: String,
}

impl Batch {
    fn push(&mut self, e: &Event) {
        let text = &mut self.text;
        if text.is_empty() || self.kind != e.event_type {
            self.kind.clone_from(&e.event_type);
            text.push('\n');
            text.push_str(&e.event_type);
            text.push('\r');
        }
        text.reserve(e.last_event_id.len() + e.data.len() + 2);
        text.push_str(&e.last_event_id);
        text.push('\r');
        text.push_str(&e.data);
        text.push('\r');
    }
}

/// A `TypedEventSource`'s stream: the crate's [`EventSource`] with handlers that hand its
/// events, errors and states to the class (exported for `typed_eventsource.js` only; not in
/// the `.d.ts`).
#[wasm_bindgen(js_name = TypedEventSourceStream, skip_typescript)]
pub struct Stream {
    source: EventSource,
    link: Rc<Link>,
    with_credentials: bool,
}

impl Stream {
    fn open(
        sink: Function,
        url: &JsValue,
        options: &JsValue,
        readable: Option<web_sys::ReadableStream>,
    ) -> Result<Stream, JsValue> {
        // A string or a URL object, as `EventSource` takes.
        let url = String::from(js_sys::JsString::from(url.clone()));
        let link = Rc::new(Link {
            sink,
            batch: RefCell::default(),
            errors: RefCell::new(Vec::new()),
            types: RefCell::new(vec!["message".to_owned()]),
        });
        let (source, with_credentials) = options::open(&url, options, readable, |b| {
            let (l, m, e) = (link.clone(), link.clone(), link.clone());
            b.on_raw("message", move |ev| l.event(ev))
                .on_state(move |s| m.state(s))
                .on_error(move |err| {
                    e.flush();
                    e.errors.borrow_mut().push(errors::to_js(err));
                })
        })?;
        let l = link.clone();
        source.on_drained(move || l.flush());
        #[cfg(feature = "fetch")]
        {
            let l = link.clone();
            source.on_copy(move |ev| l.copy(ev));
        }
        Ok(Stream {
            source,
            link,
            with_credentials,
        })
    }
}

#[wasm_bindgen(js_class = TypedEventSourceStream)]
impl Stream {
    /// Hands over the events of this type too.
    pub fn listen(&self, event_type: &str) {
        self.link.types.borrow_mut().push(event_type.to_owned());
        let l = self.link.clone();
        self.source.on_raw(event_type, move |ev| l.event(ev));
    }

    /// Closes the stream; `resume`, the id of the event being handled when a handler closed
    /// it (the rest of its batch is dropped, so a reopen resumes after it).
    pub fn close(&self, resume: Option<String>) {
        self.link.batch.borrow_mut().text.clear();
        self.link.errors.borrow_mut().clear();
        self.source.close();
        if let Some(id) = resume {
            self.source.resume_after(&id);
        }
    }

    /// Opens a closed stream again.
    pub fn reopen(&self) {
        self.source.reopen();
    }

    /// Discards a partly received event (see [`EventSource::reset`]).
    pub fn reset(&self) {
        self.source.reset();
    }

    /// The reconnection time in milliseconds (see [`EventSource::reconnection_time`]).
    #[wasm_bindgen(getter, js_name = reconnectionTime)]
    pub fn reconnection_time(&self) -> f64 {
        self.source.reconnection_time().as_secs_f64() * 1000.0
    }

    /// The state with its attempt and next delay.
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> JsValue {
        state_to_js(&self.source.state())
    }

    /// How the connection is shared: `"own"`, `"page"`, `"holder"`, `"follower"` or
    /// `"unavailable"` (see [`Sharing`]).
    #[wasm_bindgen(getter)]
    pub fn sharing(&self) -> String {
        match self.source.sharing() {
            Sharing::Own => "own",
            Sharing::Page => "page",
            Sharing::Holder => "holder",
            Sharing::Follower => "follower",
            _ => "unavailable",
        }
        .to_owned()
    }

    /// Where the next connection resumes.
    #[wasm_bindgen(getter, js_name = lastEventId)]
    pub fn last_event_id(&self) -> String {
        self.source.last_event_id()
    }

    /// The resolved URL.
    #[wasm_bindgen(getter)]
    pub fn url(&self) -> String {
        self.source.url()
    }

    /// The origin of the events.
    #[wasm_bindgen(getter)]
    pub fn origin(&self) -> String {
        self.source.origin()
    }

    /// Whether cross-origin requests carry credentials.
    #[wasm_bindgen(getter, js_name = withCredentials)]
    pub fn with_credentials(&self) -> bool {
        self.with_credentials
    }
}
