//! Feature `js`: the JavaScript facade, `TypedEventSource`, a drop-in for the browser's
//! `EventSource` with typed JSON handlers, a back-off policy and visible connection state.
//!
//! Its TypeScript declarations are hand-written (`typed_eventsource.d.ts`, included below) so
//! that an event map types `on("price", p => ...)`.

mod errors;
mod options;

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::core::error::Error;
use crate::core::machine::State;
use crate::core::parser::Event;
use crate::web::EventSource;

#[wasm_bindgen(typescript_custom_section)]
const TS: &str = include_str!("typed_eventsource.d.ts");

#[wasm_bindgen(module = "/src/js/facade.js")]
extern "C" {
    /// The listeners, and the dispatch of events to them, in JavaScript (`facade.js`).
    type Dispatcher;
    #[wasm_bindgen(constructor)]
    fn new(origin: &str) -> Dispatcher;
    #[wasm_bindgen(method, js_name = addListener)]
    fn add_listener(this: &Dispatcher, event_type: &str, f: &JsValue, options: &JsValue);
    #[wasm_bindgen(method, js_name = removeListener)]
    fn remove_listener(this: &Dispatcher, event_type: &str, f: &JsValue, options: &JsValue);
    #[wasm_bindgen(method, js_name = dispatchEvent)]
    fn dispatch_event(this: &Dispatcher, event: &JsValue) -> bool;
    #[wasm_bindgen(method, js_name = addHandler)]
    fn add_handler(this: &Dispatcher, event_type: &str, f: &Function);
    #[wasm_bindgen(method, js_name = removeHandler)]
    fn remove_handler(this: &Dispatcher, event_type: &str, f: &Function);
    #[wasm_bindgen(method)]
    fn events(this: &Dispatcher, batch: &str);
    #[wasm_bindgen(method)]
    fn open(this: &Dispatcher);
    #[wasm_bindgen(method)]
    fn error(this: &Dispatcher, error: &JsValue);
    #[wasm_bindgen(method)]
    fn state(this: &Dispatcher, state: &JsValue);
    #[wasm_bindgen(method, setter)]
    fn set_stopped(this: &Dispatcher, stopped: bool);
    #[wasm_bindgen(method)]
    fn own(this: &Dispatcher, source: &JsValue);
    #[wasm_bindgen(method, setter)]
    fn set_live(this: &Dispatcher, live: bool);
    #[wasm_bindgen(method, getter)]
    fn current(this: &Dispatcher) -> Option<String>;
    /// An `on...` attribute: `onopen`, `onmessage`, `onerror` or `onstatechange`.
    #[wasm_bindgen(method)]
    fn attribute(this: &Dispatcher, name: &str) -> Option<Function>;
    #[wasm_bindgen(method, js_name = setAttribute)]
    fn set_attribute(this: &Dispatcher, name: &str, f: Option<Function>);
}

/// `EventSource`'s `readyState` values.
const CONNECTING: u16 = 0;
const OPEN: u16 = 1;
const CLOSED: u16 = 2;

/// What the callbacks share with the object.
struct Facade {
    js: Dispatcher,
    /// Events not yet handed to `js`, as `type \r id \r data \r` each (none of the three
    /// can hold a CR). They cross to JavaScript once per input the stream handles (a chunk,
    /// say), and before any state change or error, so that order is kept.
    pending: RefCell<String>,
    /// Errors not yet dispatched. An error waits for the state change that follows it, so
    /// that its listeners see `readyState` as it will be, as an EventSource's do (`CLOSED`
    /// when the stream gives up); an event the machine queued after it, or the end of the
    /// input, delivers it too. (The fetch transport's sink never finds one waiting: once the
    /// machine has queued anything, the rest of the input queues behind it.)
    errors: RefCell<Vec<JsValue>>,
    ready_state: Cell<u16>,
    /// Event types the source delivers to this facade.
    types: RefCell<Vec<String>>,
}

impl Facade {
    fn event(&self, e: &Event) {
        let mut pending = self.pending.borrow_mut();
        for part in [&e.event_type, &e.last_event_id, &e.data] {
            pending.push_str(part);
            pending.push('\r');
        }
    }

    /// Hands the pending errors and events to JavaScript; whether there were any.
    fn flush(&self) -> bool {
        let errors = self.dispatch_errors();
        self.flush_events() || errors
    }

    /// Hands the pending events to JavaScript; whether there were any.
    fn flush_events(&self) -> bool {
        let mut batch = std::mem::take(&mut *self.pending.borrow_mut());
        if batch.is_empty() {
            return false;
        }
        self.js.events(&batch);
        // Keep the buffer's capacity for the next batch, unless a handler started another.
        batch.clear();
        let mut pending = self.pending.borrow_mut();
        if pending.is_empty() {
            *pending = batch;
        }
        true
    }

    /// Dispatches the errors waiting; whether there were any.
    fn dispatch_errors(&self) -> bool {
        if self.errors.borrow().is_empty() {
            return false;
        }
        let errors = std::mem::take(&mut *self.errors.borrow_mut());
        for e in &errors {
            self.js.error(e);
        }
        true
    }

    fn error(&self, e: &Error) {
        self.flush();
        self.errors.borrow_mut().push(errors::to_js(e));
    }

    fn state(&self, s: &State) {
        // Events before the change, in the state they arrived in; errors after it.
        self.flush_events();
        let ready = match s {
            State::Open => OPEN,
            State::Closed { .. } => CLOSED,
            _ => CONNECTING,
        };
        let was = self.ready_state.replace(ready);
        if ready == CLOSED {
            self.js.set_live(false);
        }
        self.dispatch_errors();
        if ready == OPEN && was != OPEN {
            self.js.open();
        }
        self.js.state(&state_to_js(s));
    }

    /// Drops what is pending: nothing is delivered after `close()`.
    fn stop(&self, stopped: bool) {
        self.js.set_stopped(stopped);
        self.js.set_live(!stopped);
        if stopped {
            self.pending.borrow_mut().clear();
            self.errors.borrow_mut().clear();
        }
    }
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

/// A typed, reconnecting `EventSource`. See the package's README and `.d.ts`.
#[wasm_bindgen(js_name = TypedEventSource, skip_typescript)]
pub struct TypedEventSource {
    source: EventSource,
    facade: Rc<Facade>,
    url: String,
    with_credentials: bool,
}

#[wasm_bindgen(js_class = TypedEventSource)]
impl TypedEventSource {
    /// `new TypedEventSource(url, options?)`
    ///
    /// Returns the object wrapped for JavaScript already, so that its dispatcher can hold it
    /// while the stream is open (see `own` in `facade.js`).
    #[wasm_bindgen(constructor)]
    pub fn construct(url: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
        // A string or a URL object, as `EventSource` accepts.
        let url = match url.as_string() {
            Some(s) => s,
            None => String::from(url.unchecked_ref::<js_sys::Object>().to_string()),
        };
        let url = url.as_str();
        let parsed = options::parse(url, &options)?;
        let facade = Rc::new(Facade {
            js: Dispatcher::new(&crate::web::origin_of(url)),
            pending: RefCell::new(String::new()),
            errors: RefCell::new(Vec::new()),
            ready_state: Cell::new(CONNECTING),
            types: RefCell::new(Vec::new()),
        });
        let weak: Weak<Facade> = Rc::downgrade(&facade);
        let b = parsed
            .builder
            .on_state({
                let weak = weak.clone();
                move |s| {
                    if let Some(f) = weak.upgrade() {
                        f.state(s)
                    }
                }
            })
            .on_error({
                let weak = weak.clone();
                move |e| {
                    if let Some(f) = weak.upgrade() {
                        f.error(e)
                    }
                }
            });
        let source = b.open().map_err(|e| match e {
            Error::InvalidOption { option: "url", .. } => JsValue::from(js_sys::SyntaxError::new(
                &format!("TypedEventSource: \"{url}\" is not a valid URL"),
            )),
            e => options::type_error(&format!("TypedEventSource: {e}")),
        })?;
        let url = source.url();
        let me = TypedEventSource {
            source,
            facade,
            url,
            with_credentials: parsed.with_credentials,
        };
        {
            let weak = weak.clone();
            me.source.on_sink(move |e| {
                if let Some(f) = weak.upgrade() {
                    f.event(e)
                }
            });
        }
        me.source
            .on_flush(move || weak.upgrade().is_some_and(|f| f.flush()));
        me.deliver("message");
        let facade = me.facade.clone();
        let me = JsValue::from(me);
        facade.js.own(&me);
        Ok(me)
    }

    /// Makes the source deliver events of `t` to the facade.
    fn deliver(&self, t: &str) {
        {
            let mut types = self.facade.types.borrow_mut();
            if types.iter().any(|k| k == t) {
                return;
            }
            types.push(t.to_owned());
        }
        let weak = Rc::downgrade(&self.facade);
        self.source.on_raw(t, move |e| {
            if let Some(f) = weak.upgrade() {
                f.dispatch_errors();
                f.event(e)
            }
        });
    }

    /// `EventTarget.addEventListener`: `open`, `error`, `message` or any event type; a function
    /// or an object with `handleEvent`; options `capture`, `once` and `signal`.
    #[wasm_bindgen(js_name = addEventListener)]
    pub fn add_event_listener(&self, event_type: &str, listener: JsValue, options: JsValue) {
        if listener.is_null() || listener.is_undefined() {
            return;
        }
        // For `open` and `error` too: a server's events of those names reach their listeners,
        // besides the stream's own open and errors.
        self.deliver(event_type);
        self.facade.js.add_listener(event_type, &listener, &options);
    }

    /// `EventTarget.removeEventListener`.
    #[wasm_bindgen(js_name = removeEventListener)]
    pub fn remove_event_listener(&self, event_type: &str, listener: JsValue, options: JsValue) {
        self.facade
            .js
            .remove_listener(event_type, &listener, &options);
    }

    /// `EventTarget.dispatchEvent`: `event` goes to the listeners and `on...` attribute of its
    /// type (not to `on()`'s handlers, which take the stream's JSON).
    #[wasm_bindgen(js_name = dispatchEvent)]
    pub fn dispatch_event(&self, event: JsValue) -> bool {
        self.facade.js.dispatch_event(&event)
    }

    /// Calls `handler(data, event)` with each event of `type`, its data parsed with
    /// `JSON.parse`. Data that is not JSON is reported as an `error` with kind `decode`.
    /// `event` is left out for a handler declaring exactly one parameter.
    pub fn on(&self, event_type: &str, handler: Function) {
        self.deliver(event_type);
        self.facade.js.add_handler(event_type, &handler);
    }

    /// Removes a handler added with `on`.
    pub fn off(&self, event_type: &str, handler: Function) {
        self.facade.js.remove_handler(event_type, &handler);
    }

    /// `EventSource.onopen`
    #[wasm_bindgen(getter)]
    pub fn onopen(&self) -> Option<Function> {
        self.facade.js.attribute("onopen")
    }
    /// `EventSource.onopen`
    #[wasm_bindgen(setter)]
    pub fn set_onopen(&self, f: Option<Function>) {
        if f.is_some() {
            self.deliver("open");
        }
        self.facade.js.set_attribute("onopen", f);
    }
    /// `EventSource.onmessage`
    #[wasm_bindgen(getter)]
    pub fn onmessage(&self) -> Option<Function> {
        self.facade.js.attribute("onmessage")
    }
    /// `EventSource.onmessage`
    #[wasm_bindgen(setter)]
    pub fn set_onmessage(&self, f: Option<Function>) {
        self.facade.js.set_attribute("onmessage", f);
    }
    /// `EventSource.onerror`: an `ErrorEvent` whose `error` is a `TypedEventSourceError`, or
    /// a server's event named `error`.
    #[wasm_bindgen(getter)]
    pub fn onerror(&self) -> Option<Function> {
        self.facade.js.attribute("onerror")
    }
    /// `EventSource.onerror`
    #[wasm_bindgen(setter)]
    pub fn set_onerror(&self, f: Option<Function>) {
        if f.is_some() {
            self.deliver("error");
        }
        self.facade.js.set_attribute("onerror", f);
    }
    /// Called with `{ state, attempt, delay, reason? }` on every state change.
    #[wasm_bindgen(getter)]
    pub fn onstatechange(&self) -> Option<Function> {
        self.facade.js.attribute("onstatechange")
    }
    /// See the getter.
    #[wasm_bindgen(setter)]
    pub fn set_onstatechange(&self, f: Option<Function>) {
        self.facade.js.set_attribute("onstatechange", f);
    }

    /// `EventSource.readyState`: 0 connecting (or waiting to reconnect), 1 open, 2 closed.
    #[wasm_bindgen(getter, js_name = readyState)]
    pub fn ready_state(&self) -> u16 {
        self.facade.ready_state.get()
    }

    /// The state with its attempt and next delay.
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> JsValue {
        state_to_js(&self.source.state())
    }

    /// The resolved URL.
    #[wasm_bindgen(getter)]
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Whether cross-origin requests carry credentials.
    #[wasm_bindgen(getter, js_name = withCredentials)]
    pub fn with_credentials(&self) -> bool {
        self.with_credentials
    }

    /// The id of the last event received.
    #[wasm_bindgen(getter, js_name = lastEventId)]
    pub fn last_event_id(&self) -> String {
        // Inside a handler: the event's own, though the stream has read past it.
        self.facade
            .js
            .current()
            .unwrap_or_else(|| self.source.last_event_id())
    }

    /// Closes the stream for good.
    pub fn close(&self) {
        // Inside a handler, the rest of its batch is dropped: a reopen resumes after the
        // event being handled, so that none is lost.
        let resume = self.facade.js.current();
        self.facade.stop(true);
        self.source.close();
        if let Some(id) = resume {
            self.source.resume_after(&id);
        }
        self.facade.ready_state.set(CLOSED);
    }

    /// Opens a closed stream again, resuming after the last event id.
    pub fn reopen(&self) {
        self.facade.stop(false);
        self.source.reopen();
    }

    /// `EventSource.CONNECTING`
    #[wasm_bindgen(getter = CONNECTING)]
    pub fn connecting() -> u16 {
        CONNECTING
    }

    /// `EventSource.OPEN`
    #[wasm_bindgen(getter = OPEN)]
    pub fn open() -> u16 {
        OPEN
    }

    /// `EventSource.CLOSED`
    #[wasm_bindgen(getter = CLOSED)]
    pub fn closed() -> u16 {
        CLOSED
    }

    /// `EventSource.prototype.CONNECTING`: the constants are on instances too.
    #[wasm_bindgen(getter = CONNECTING)]
    pub fn connecting_of(&self) -> u16 {
        CONNECTING
    }

    /// `EventSource.prototype.OPEN`
    #[wasm_bindgen(getter = OPEN)]
    pub fn open_of(&self) -> u16 {
        OPEN
    }

    /// `EventSource.prototype.CLOSED`
    #[wasm_bindgen(getter = CLOSED)]
    pub fn closed_of(&self) -> u16 {
        CLOSED
    }
}

impl Drop for TypedEventSource {
    /// `free()` inside a handler ends the batch being delivered, as `close()` does.
    fn drop(&mut self) {
        self.facade.stop(true);
    }
}
