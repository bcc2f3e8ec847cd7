//! The options of `new TypedEventSource(url, options)`: `facade.js` checks them field by field
//! (a wrong type, a negative delay or an unknown name throws a `TypeError` naming the option,
//! a bad URL a `SyntaxError`), and here they become the machine's settings, with the back-off
//! checked by [`Backoff::validate`] as for Rust apps. Nothing is opened when one is wrong.

use std::time::Duration;

use js_sys::Function;
use wasm_bindgen::prelude::*;
use web_time::Instant;

use super::errors;
use crate::core::backoff::{Backoff, Jitter};
use crate::core::machine::{Decision, Environment, Machine, MachineConfig, RetryPolicy};
use crate::core::parser::ParserConfig;

#[wasm_bindgen(module = "/src/js/facade.js")]
extern "C" {
    /// The options as `facade.js` checked them, with the page's situation: what the driver
    /// and the machine take.
    pub(crate) type Checked;
    #[wasm_bindgen(catch)]
    fn check(url: &JsValue, options: &JsValue) -> Result<Checked, JsValue>;
    #[wasm_bindgen(method, getter, js_name = initialDelay)]
    fn initial_delay(this: &Checked) -> Option<f64>;
    #[wasm_bindgen(method, getter)]
    fn factor(this: &Checked) -> Option<f64>;
    #[wasm_bindgen(method, getter, js_name = maxDelay)]
    fn max_delay(this: &Checked) -> Option<f64>;
    #[wasm_bindgen(method, getter)]
    fn jitter(this: &Checked) -> Option<String>;
    #[wasm_bindgen(method, getter, js_name = maxAttempts)]
    fn max_attempts(this: &Checked) -> Option<u32>;
    #[wasm_bindgen(method, getter, js_name = maxElapsed)]
    fn max_elapsed(this: &Checked) -> Option<f64>;
    #[wasm_bindgen(method, getter, js_name = resetAfter)]
    fn reset_after(this: &Checked) -> Option<f64>;
    #[wasm_bindgen(method, getter, js_name = retryFloor)]
    fn retry_floor(this: &Checked) -> Option<f64>;
    #[wasm_bindgen(method, getter)]
    fn retry(this: &Checked) -> Option<Function>;
    #[wasm_bindgen(method, getter, js_name = idleTimeout)]
    fn idle_timeout(this: &Checked) -> Option<f64>;
    #[wasm_bindgen(method, getter, js_name = lastEventId)]
    fn last_event_id(this: &Checked) -> Option<String>;
    #[wasm_bindgen(method, getter, js_name = maxEventSize)]
    fn max_event_size(this: &Checked) -> Option<u32>;
    #[wasm_bindgen(method, getter, js_name = pauseWhenHidden)]
    fn pause_when_hidden(this: &Checked) -> bool;
    #[wasm_bindgen(method, getter)]
    fn online(this: &Checked) -> bool;
    #[wasm_bindgen(method, getter)]
    fn visible(this: &Checked) -> bool;
}

fn type_error(msg: &str) -> JsValue {
    js_sys::TypeError::new(msg).into()
}

/// Milliseconds (checked finite and not negative); more than a `Duration` holds is the
/// longest one, which the machine caps at what its clock can count to.
fn millis(ms: Option<f64>) -> Option<Duration> {
    ms.map(|ms| Duration::try_from_secs_f64(ms / 1000.0).unwrap_or(Duration::MAX))
}

/// Checks the options and builds the machine, which asks for its first connection.
pub(crate) fn machine(url: &JsValue, options: &JsValue) -> Result<(Machine, Checked), JsValue> {
    let c = check(url, options)?;
    let mut p = Backoff::default();
    if let Some(v) = millis(c.initial_delay()) {
        p = p.initial(v);
    }
    if let Some(v) = c.factor() {
        p = p.factor(v);
    }
    if let Some(v) = millis(c.max_delay()) {
        p = p.max(v);
    }
    match c.jitter().as_deref() {
        Some("none") => p = p.jitter(Jitter::None),
        Some("full") => p = p.jitter(Jitter::Full),
        _ => {}
    }
    if let Some(v) = c.max_attempts() {
        p = p.max_attempts(Some(v));
    }
    if let Some(v) = millis(c.max_elapsed()) {
        p = p.max_elapsed(Some(v));
    }
    if let Some(v) = millis(c.reset_after()) {
        p = p.reset_after(v);
    }
    if let Some(v) = millis(c.retry_floor()) {
        p = p.retry_floor(v);
    }
    // In the names a JavaScript caller gave.
    p.validate().map_err(|e| {
        let (name, reason) = match e.option {
            "initial" => ("initialDelay", e.reason),
            "max" => ("maxDelay", "must be at least `backoff.initialDelay`"),
            "max_attempts" => (
                "maxAttempts",
                "must be at least 1 (or left out for no limit)",
            ),
            other => (other, e.reason),
        };
        type_error(&format!("option `backoff.{name}` {reason}"))
    })?;
    let mut config = MachineConfig::default()
        .backoff(p)
        .idle_timeout(millis(c.idle_timeout()))
        .pause_when_hidden(c.pause_when_hidden())
        .last_event_id(c.last_event_id());
    if let Some(f) = c.retry() {
        config = config.retry_policy(RetryPolicy::new(move |error, default| {
            match f.call1(&JsValue::NULL, &errors::to_js(error)) {
                Ok(v) if v.as_bool() == Some(true) => Decision::Retry,
                Ok(v) if v.as_bool() == Some(false) => Decision::Stop,
                _ => default,
            }
        }));
    }
    if let Some(n) = c.max_event_size() {
        config = config.parser(ParserConfig::default().max_event_size(n as usize));
    }
    let env = Environment {
        online: c.online(),
        visible: c.visible(),
    };
    let machine = Machine::new(config, env, Instant::now(), crate::web::random_seed());
    Ok((machine, c))
}
