//! Feature `js`: the JavaScript facade, `TypedEventSource`, a drop-in for the browser's
//! `EventSource` with typed JSON handlers, a back-off policy and visible connection state.
//!
//! Its TypeScript declarations are hand-written (`typed_eventsource.d.ts`, included below) so
//! that an event map types `on("price", p => ...)`.
//!
//! The wasm half holds the parser and the reconnect machine ([`JsMachine`]), which decide
//! everything, and checks the back-off. The JavaScript half (`facade.js`) checks the options,
//! does what the machine asks (connect, abort, arm the timer), feeds it what happens and
//! dispatches to the listeners: the job `crate::web` does for Rust apps, done in JavaScript
//! so that the package's wasm carries no browser bindings, closures, futures or option
//! parsing (BENCHMARKS.md: 44.3 KB gzipped with them, 25.3 KB without).

mod errors;
mod machine;
mod options;

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::core::machine::State;
use machine::JsMachine;

#[wasm_bindgen(typescript_custom_section)]
const TS: &str = include_str!("typed_eventsource.d.ts");

#[wasm_bindgen(module = "/src/js/facade.js")]
extern "C" {
    /// A stream's JavaScript half (`facade.js`): its connections, timer, page-lifecycle
    /// listeners and listeners, driven by its [`JsMachine`].
    #[derive(Clone)]
    type Driver;
    #[wasm_bindgen(constructor)]
    fn new(machine: JsMachine, settings: &options::Checked) -> Driver;
    /// Gives the driver its `TypedEventSource`, and the class its methods (on first use).
    #[wasm_bindgen(method)]
    fn own(this: &Driver, source: &JsValue);
    /// Closes the stream and lets go of everything (`free()`).
    #[wasm_bindgen(method)]
    fn release(this: &Driver);
}

/// `EventSource`'s `readyState` values.
const CONNECTING: u16 = 0;
const OPEN: u16 = 1;
const CLOSED: u16 = 2;

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
///
/// Its methods and accessors are `facade.js`'s (see `Driver::own`): here are only its
/// constructor, which builds the machine from the checked options, and its constants.
#[wasm_bindgen(js_name = TypedEventSource, skip_typescript)]
pub struct TypedEventSource {
    driver: Driver,
}

#[wasm_bindgen(js_class = TypedEventSource)]
impl TypedEventSource {
    /// `new TypedEventSource(url, options?)`
    ///
    /// Returns the object wrapped for JavaScript already, so that its driver can hold it
    /// while the stream is open (see `own` in `facade.js`).
    #[wasm_bindgen(constructor)]
    pub fn construct(url: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
        let (machine, checked) = options::machine(&url, &options)?;
        let driver = Driver::new(JsMachine::new(machine), &checked);
        let me = JsValue::from(TypedEventSource {
            driver: driver.clone(),
        });
        driver.own(&me);
        Ok(me)
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
}

impl Drop for TypedEventSource {
    /// `free()`: closes the stream (inside a handler, the rest of its batch is not delivered)
    /// and lets go of its connection, timer, listeners and machine.
    fn drop(&mut self) {
        self.driver.release();
    }
}
