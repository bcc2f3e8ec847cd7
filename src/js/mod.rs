//! Feature `js`: the JavaScript facade, `TypedEventSource`, a drop-in for the browser's
//! `EventSource` with typed JSON handlers, a back-off policy and visible connection state.
//!
//! Its TypeScript declarations are hand-written (`typed_eventsource.d.ts`, included below) so
//! that an event map types `on("price", p => ...)`.

mod errors;
mod options;

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use js_sys::{Function, Object, Reflect, JSON};
use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, ErrorEventInit, MessageEvent, MessageEventInit};

use crate::core::error::Error;
use crate::core::machine::State;
use crate::core::parser::Event;
use crate::web::EventSource;

#[wasm_bindgen(typescript_custom_section)]
const TS: &str = include_str!("typed_eventsource.d.ts");

/// Listeners by event type, as `addEventListener` keeps them (no duplicates).
#[derive(Default)]
struct Listeners(RefCell<Vec<(String, Vec<Function>)>>);

impl Listeners {
    fn add(&self, t: &str, f: Function) {
        let mut all = self.0.borrow_mut();
        match all.iter_mut().find(|(k, _)| k == t) {
            Some((_, list)) if !list.iter().any(|g| g == &f) => list.push(f),
            Some(_) => {}
            None => all.push((t.to_owned(), vec![f])),
        }
    }

    fn remove(&self, t: &str, f: &Function) {
        if let Some((_, list)) = self.0.borrow_mut().iter_mut().find(|(k, _)| k == t) {
            list.retain(|g| g != f);
        }
    }

    fn get(&self, t: &str) -> Vec<Function> {
        let all = self.0.borrow();
        all.iter()
            .find(|(k, _)| k == t)
            .map(|(_, l)| l.clone())
            .unwrap_or_default()
    }
}

/// What the callbacks share with the object.
#[derive(Default)]
struct Facade {
    listeners: Listeners,
    json: Listeners,
    onopen: RefCell<Option<Function>>,
    onmessage: RefCell<Option<Function>>,
    onerror: RefCell<Option<Function>>,
    onstatechange: RefCell<Option<Function>>,
    ready_state: Cell<u16>,
    /// Event types the source delivers to this facade.
    types: RefCell<Vec<String>>,
    origin: String,
}

fn call(f: &Function, arg: &JsValue) {
    if let Err(e) = f.call1(&JsValue::UNDEFINED, arg) {
        // As with the browser's listeners, an exception is reported, not swallowed, and does
        // not stop the other listeners.
        web_sys::console::error_1(&e);
    }
}

impl Facade {
    fn dispatch(&self, t: &str, event: &JsValue, handler: Option<Function>) {
        for f in self.listeners.get(t) {
            call(&f, event);
        }
        if let Some(f) = handler {
            call(&f, event);
        }
    }

    fn event(&self, e: &Event) {
        let init = MessageEventInit::new();
        init.set_data(&JsValue::from_str(&e.data));
        init.set_last_event_id(&e.last_event_id);
        init.set_origin(&self.origin);
        if let Ok(m) = MessageEvent::new_with_event_init_dict(&e.event_type, &init) {
            let handler = if e.event_type == "message" {
                self.onmessage.borrow().clone()
            } else {
                None
            };
            self.dispatch(&e.event_type, &m, handler);
            let json = self.json.get(&e.event_type);
            if !json.is_empty() {
                match JSON::parse(&e.data) {
                    Ok(value) => {
                        for f in json {
                            if let Err(err) = f.call2(&JsValue::UNDEFINED, &value, &m) {
                                web_sys::console::error_1(&err);
                            }
                        }
                    }
                    Err(err) => self.error(&Error::Decode {
                        event_type: e.event_type.clone(),
                        data: e.data.clone(),
                        message: JSON::stringify(&err)
                            .ok()
                            .and_then(|s| s.as_string())
                            .unwrap_or_else(|| errors_message(&err)),
                    }),
                }
            }
        }
    }

    fn error(&self, e: &Error) {
        let init = ErrorEventInit::new();
        init.set_message(&e.to_string());
        init.set_error(&errors::to_js(e));
        if let Ok(ev) = ErrorEvent::new_with_event_init_dict("error", &init) {
            self.dispatch("error", &ev, self.onerror.borrow().clone());
        }
    }

    fn state(&self, s: &State) {
        let ready = match s {
            State::Open => 1,
            State::Closed { .. } => 2,
            _ => 0,
        };
        let was = self.ready_state.replace(ready);
        if ready == 1 && was != 1 {
            if let Ok(ev) = web_sys::Event::new("open") {
                self.dispatch("open", &ev, self.onopen.borrow().clone());
            }
        }
        if let Some(f) = self.onstatechange.borrow().clone() {
            call(&f, &state_to_js(s));
        }
    }
}

fn errors_message(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .unwrap_or_else(|| "invalid JSON".to_owned())
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
    #[wasm_bindgen(constructor)]
    pub fn new(url: JsValue, options: JsValue) -> Result<TypedEventSource, JsValue> {
        // A string or a URL object, as `EventSource` accepts.
        let url = match url.as_string() {
            Some(s) => s,
            None => String::from(url.unchecked_ref::<js_sys::Object>().to_string()),
        };
        let url = url.as_str();
        let parsed = options::parse(url, &options)?;
        let origin = crate::web::origin_of(url);
        let facade = Rc::new(Facade {
            origin,
            ..Facade::default()
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
        me.deliver("message");
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
                f.event(e)
            }
        });
    }

    /// Like `EventTarget.addEventListener`: `open`, `error`, `message` or any event type.
    #[wasm_bindgen(js_name = addEventListener)]
    pub fn add_event_listener(&self, event_type: &str, listener: Option<Function>) {
        if let Some(f) = listener {
            if !matches!(event_type, "open" | "error") {
                self.deliver(event_type);
            }
            self.facade.listeners.add(event_type, f);
        }
    }

    /// Like `EventTarget.removeEventListener`.
    #[wasm_bindgen(js_name = removeEventListener)]
    pub fn remove_event_listener(&self, event_type: &str, listener: Option<Function>) {
        if let Some(f) = listener {
            self.facade.listeners.remove(event_type, &f);
        }
    }

    /// Calls `handler(data, event)` with each event of `type`, its data parsed with
    /// `JSON.parse`. Data that is not JSON is reported as an `error` with kind `decode`.
    pub fn on(&self, event_type: &str, handler: Function) {
        self.deliver(event_type);
        self.facade.json.add(event_type, handler);
    }

    /// Removes a handler added with `on`.
    pub fn off(&self, event_type: &str, handler: Function) {
        self.facade.json.remove(event_type, &handler);
    }

    /// `EventSource.onopen`
    #[wasm_bindgen(getter)]
    pub fn onopen(&self) -> Option<Function> {
        self.facade.onopen.borrow().clone()
    }
    /// `EventSource.onopen`
    #[wasm_bindgen(setter)]
    pub fn set_onopen(&self, f: Option<Function>) {
        *self.facade.onopen.borrow_mut() = f;
    }
    /// `EventSource.onmessage`
    #[wasm_bindgen(getter)]
    pub fn onmessage(&self) -> Option<Function> {
        self.facade.onmessage.borrow().clone()
    }
    /// `EventSource.onmessage`
    #[wasm_bindgen(setter)]
    pub fn set_onmessage(&self, f: Option<Function>) {
        *self.facade.onmessage.borrow_mut() = f;
    }
    /// `EventSource.onerror`: an `ErrorEvent` whose `error` is a `TypedEventSourceError`.
    #[wasm_bindgen(getter)]
    pub fn onerror(&self) -> Option<Function> {
        self.facade.onerror.borrow().clone()
    }
    /// `EventSource.onerror`
    #[wasm_bindgen(setter)]
    pub fn set_onerror(&self, f: Option<Function>) {
        *self.facade.onerror.borrow_mut() = f;
    }
    /// Called with `{ state, attempt, delay, reason? }` on every state change.
    #[wasm_bindgen(getter)]
    pub fn onstatechange(&self) -> Option<Function> {
        self.facade.onstatechange.borrow().clone()
    }
    /// See the getter.
    #[wasm_bindgen(setter)]
    pub fn set_onstatechange(&self, f: Option<Function>) {
        *self.facade.onstatechange.borrow_mut() = f;
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
        self.source.last_event_id()
    }

    /// Closes the stream for good.
    pub fn close(&self) {
        self.source.close();
        self.facade.ready_state.set(2);
    }

    /// Opens a closed stream again, resuming after the last event id.
    pub fn reopen(&self) {
        self.source.reopen();
    }

    /// `EventSource.CONNECTING`
    #[wasm_bindgen(getter = CONNECTING)]
    pub fn connecting() -> u16 {
        0
    }

    /// `EventSource.OPEN`
    #[wasm_bindgen(getter = OPEN)]
    pub fn open() -> u16 {
        1
    }

    /// `EventSource.CLOSED`
    #[wasm_bindgen(getter = CLOSED)]
    pub fn closed() -> u16 {
        2
    }
}
