//! Feature `js`: the JavaScript facade, a `TypedEventSource` class for the npm package.
//!
//! It mirrors the browser's `EventSource` (`addEventListener`, `onmessage`, `readyState`,
//! `close()`) and adds `on(type, handler)`, which hands the handler the event's data parsed with
//! the browser's `JSON.parse`, and `onstatechange`.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, Object, Reflect, JSON};
use wasm_bindgen::prelude::*;

use crate::core::machine::State;
use crate::web::{EventSource, Transport};

/// A typed, reconnecting `EventSource`.
#[wasm_bindgen(js_name = TypedEventSource)]
pub struct TypedEventSource {
    source: EventSource,
    on_state: Rc<RefCell<Option<Function>>>,
}

fn option_str(options: &JsValue, name: &str) -> Result<Option<String>, JsValue> {
    if options.is_undefined() || options.is_null() {
        return Ok(None);
    }
    let v = Reflect::get(options, &name.into())?;
    if v.is_undefined() {
        return Ok(None);
    }
    v.as_string()
        .map(Some)
        .ok_or_else(|| js_sys::TypeError::new(&format!("option `{name}` must be a string")).into())
}

fn state_object(state: &State) -> JsValue {
    let o = Object::new();
    let (name, attempt, delay) = match state {
        State::Connecting { attempt } => ("connecting", *attempt, None),
        State::Open => ("open", 0, None),
        State::Reconnecting { attempt, delay } => ("reconnecting", *attempt, Some(*delay)),
        State::Paused { .. } => ("paused", 0, None),
        _ => ("closed", 0, None),
    };
    let _ = Reflect::set(&o, &"state".into(), &name.into());
    let _ = Reflect::set(&o, &"attempt".into(), &attempt.into());
    let delay = delay.map_or(JsValue::NULL, |d| (d.as_millis() as f64).into());
    let _ = Reflect::set(&o, &"delayMs".into(), &delay);
    o.into()
}

#[wasm_bindgen(js_class = TypedEventSource)]
impl TypedEventSource {
    /// `new TypedEventSource(url, { transport: "eventsource" | "fetch", lastEventIdParam })`
    #[wasm_bindgen(constructor)]
    pub fn new(url: &str, options: JsValue) -> Result<TypedEventSource, JsValue> {
        let transport = match option_str(&options, "transport")?.as_deref() {
            None | Some("eventsource") => Transport::EventSource,
            Some("fetch") => Transport::Fetch,
            Some(other) => {
                return Err(js_sys::TypeError::new(&format!(
                    "option `transport` must be \"eventsource\" or \"fetch\", not {other:?}"
                ))
                .into())
            }
        };
        let mut builder = EventSource::builder(url).transport(transport);
        if let Some(param) = option_str(&options, "lastEventIdParam")? {
            builder = builder.last_event_id_param(param);
        }
        let on_state: Rc<RefCell<Option<Function>>> = Rc::default();
        let slot = on_state.clone();
        builder = builder.on_state(move |state| {
            let f = slot.borrow().clone();
            if let Some(f) = f {
                let _ = f.call1(&JsValue::NULL, &state_object(state));
            }
        });
        let source = builder
            .open()
            .map_err(|e| JsValue::from(js_sys::TypeError::new(&e.to_string())))?;
        Ok(TypedEventSource { source, on_state })
    }

    /// Calls `handler(data, lastEventId)` with each event of `type`, its data parsed as JSON.
    pub fn on(&self, event_type: &str, handler: Function) {
        self.source
            .on_raw(event_type, move |event| match JSON::parse(&event.data) {
                Ok(value) => {
                    let _ =
                        handler.call2(&JsValue::NULL, &value, &event.last_event_id.as_str().into());
                }
                Err(e) => web_sys::console::warn_2(&"typed-eventsource: bad JSON".into(), &e),
            });
    }

    /// Called with `{ state, attempt, delayMs }` on every state change.
    #[wasm_bindgen(setter)]
    pub fn set_onstatechange(&self, handler: Option<Function>) {
        *self.on_state.borrow_mut() = handler;
    }

    /// The current state, as `onstatechange` reports it.
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> JsValue {
        state_object(&self.source.state())
    }

    /// The id of the last event received.
    #[wasm_bindgen(getter, js_name = lastEventId)]
    pub fn last_event_id(&self) -> String {
        self.source.last_event_id()
    }

    /// The stream's URL.
    #[wasm_bindgen(getter)]
    pub fn url(&self) -> String {
        self.source.url()
    }

    /// Closes the stream for good.
    pub fn close(&self) {
        self.source.close();
    }
}
