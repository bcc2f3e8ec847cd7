//! The options object of `new TypedEventSource(url, options)`, checked field by field: a wrong
//! type, a negative delay or an unknown name throws a `TypeError` naming the option, and
//! nothing is opened.

use std::time::Duration;

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use super::errors;
use crate::core::backoff::{Backoff, Jitter};
use crate::core::machine::{Decision, RetryPolicy};
use crate::web::{Builder, Credentials, Transport};

const KNOWN: &[&str] = &[
    "transport",
    "withCredentials",
    "credentials",
    "headers",
    "method",
    "body",
    "backoff",
    "retry",
    "idleTimeout",
    "lastEventIdParam",
    "lastEventId",
    "maxEventSize",
    "pauseWhenHidden",
];

const BACKOFF_KNOWN: &[&str] = &[
    "initialDelay",
    "factor",
    "maxDelay",
    "jitter",
    "maxAttempts",
    "maxElapsed",
    "resetAfter",
    "retryFloor",
];

pub(crate) fn type_error(msg: &str) -> JsValue {
    js_sys::TypeError::new(msg).into()
}

struct Reader<'a> {
    obj: &'a JsValue,
    prefix: &'a str,
}

impl Reader<'_> {
    fn get(&self, name: &str) -> Result<Option<JsValue>, JsValue> {
        let v = Reflect::get(self.obj, &name.into())?;
        Ok((!v.is_undefined()).then_some(v))
    }

    fn bad(&self, name: &str, what: &str) -> JsValue {
        type_error(&format!("option `{}{name}` must be {what}", self.prefix))
    }

    fn string(&self, name: &str) -> Result<Option<String>, JsValue> {
        self.get(name)?
            .map(|v| v.as_string().ok_or_else(|| self.bad(name, "a string")))
            .transpose()
    }

    fn boolean(&self, name: &str) -> Result<Option<bool>, JsValue> {
        self.get(name)?
            .map(|v| v.as_bool().ok_or_else(|| self.bad(name, "a boolean")))
            .transpose()
    }

    /// A non-negative finite number.
    fn number(&self, name: &str) -> Result<Option<f64>, JsValue> {
        self.get(name)?
            .map(|v| {
                v.as_f64()
                    .filter(|n| n.is_finite() && *n >= 0.0)
                    .ok_or_else(|| self.bad(name, "a finite number, not negative"))
            })
            .transpose()
    }

    /// Milliseconds.
    fn millis(&self, name: &str) -> Result<Option<Duration>, JsValue> {
        Ok(self
            .number(name)?
            .map(|ms| Duration::from_secs_f64(ms / 1000.0)))
    }

    fn whole(&self, name: &str) -> Result<Option<u32>, JsValue> {
        self.number(name)?
            .map(|n| {
                (n.fract() == 0.0 && n <= f64::from(u32::MAX))
                    .then_some(n as u32)
                    .ok_or_else(|| self.bad(name, "a whole number"))
            })
            .transpose()
    }

    fn check_known(&self, known: &[&str]) -> Result<(), JsValue> {
        for key in Object::keys(self.obj.unchecked_ref::<Object>()).iter() {
            let key = key.as_string().unwrap_or_default();
            if !known.contains(&key.as_str()) {
                return Err(type_error(&format!(
                    "unknown option `{}{key}`; known: {}",
                    self.prefix,
                    known.join(", ")
                )));
            }
        }
        Ok(())
    }
}

/// Header pairs from a plain object of strings.
fn header_pairs(v: &JsValue) -> Result<Vec<(String, String)>, JsValue> {
    if !v.is_object() {
        return Err(type_error(
            "option `headers` must be an object of strings or a function",
        ));
    }
    let mut out = Vec::new();
    for entry in Object::entries(v.unchecked_ref::<Object>()).iter() {
        let pair: js_sys::Array = entry.unchecked_into();
        let (k, val) = (pair.get(0).as_string(), pair.get(1).as_string());
        match (k, val) {
            (Some(k), Some(val)) => out.push((k, val)),
            _ => return Err(type_error("option `headers` must map names to strings")),
        }
    }
    Ok(out)
}

/// What the facade keeps from its options besides the builder.
pub(crate) struct Parsed {
    pub(crate) builder: Builder,
    pub(crate) with_credentials: bool,
    /// The `headers` option as given (checked): an object of strings or a function, which
    /// `facade.js` calls before every attempt.
    pub(crate) headers: JsValue,
}

pub(crate) fn parse(url: &str, options: &JsValue) -> Result<Parsed, JsValue> {
    let mut b = crate::web::EventSource::builder(url);
    let mut with_credentials = false;
    let mut headers = JsValue::UNDEFINED;
    if options.is_undefined() || options.is_null() {
        return Ok(Parsed {
            builder: b,
            with_credentials,
            headers,
        });
    }
    if !options.is_object() {
        return Err(type_error("options must be an object"));
    }
    let r = Reader {
        obj: options,
        prefix: "",
    };
    r.check_known(KNOWN)?;
    let transport = match r.string("transport")?.as_deref() {
        None | Some("eventsource") => Transport::EventSource,
        Some("fetch") => Transport::Fetch,
        Some(other) => {
            return Err(type_error(&format!(
                "option `transport` must be \"eventsource\" or \"fetch\", not \"{other}\""
            )))
        }
    };
    b = b.transport(transport);
    if r.boolean("withCredentials")? == Some(true) {
        with_credentials = true;
        b = b.credentials(Credentials::Include);
    }
    match r.string("credentials")?.as_deref() {
        None => {}
        Some("omit") => b = b.credentials(Credentials::Omit),
        Some("same-origin") => b = b.credentials(Credentials::SameOrigin),
        Some("include") => {
            with_credentials = true;
            b = b.credentials(Credentials::Include);
        }
        Some(other) => {
            return Err(type_error(&format!(
            "option `credentials` must be \"omit\", \"same-origin\" or \"include\", not \"{other}\""
        )))
        }
    }
    if let Some(h) = r.get("headers")? {
        if h.is_function() {
            // Called by `facade.js`; the builder only learns that headers are sent, so that
            // it turns them down over the browser's EventSource.
            b = b.headers_with(|| std::future::ready(Vec::new()));
        } else {
            for (k, v) in header_pairs(&h)? {
                b = b.header(k, v);
            }
        }
        headers = h;
    }
    if let Some(m) = r.string("method")? {
        b = b.method(m);
    }
    if let Some(body) = r.string("body")? {
        b = b.body(body);
    }
    if let Some(o) = r.get("backoff")? {
        if !o.is_object() {
            return Err(type_error("option `backoff` must be an object"));
        }
        b = b.backoff(backoff(&o)?);
    }
    if let Some(f) = r.get("retry")? {
        let f: Function = f
            .dyn_into()
            .map_err(|_| type_error("option `retry` must be a function"))?;
        b = b.retry_policy(RetryPolicy::new(move |error, default| {
            match f.call1(&JsValue::NULL, &errors::to_js(error)) {
                Ok(v) if v.as_bool() == Some(true) => Decision::Retry,
                Ok(v) if v.as_bool() == Some(false) => Decision::Stop,
                _ => default,
            }
        }));
    }
    if let Some(t) = r.millis("idleTimeout")? {
        b = b.idle_timeout(t);
    }
    if let Some(p) = r.string("lastEventIdParam")? {
        b = b.last_event_id_param(p);
    }
    if let Some(id) = r.string("lastEventId")? {
        b = b.last_event_id(id);
    }
    if let Some(n) = r.whole("maxEventSize")? {
        b = b.max_event_size(n as usize);
    }
    if let Some(p) = r.boolean("pauseWhenHidden")? {
        b = b.pause_when_hidden(p);
    }
    Ok(Parsed {
        builder: b,
        with_credentials,
        headers,
    })
}

fn backoff(o: &JsValue) -> Result<Backoff, JsValue> {
    let r = Reader {
        obj: o,
        prefix: "backoff.",
    };
    r.check_known(BACKOFF_KNOWN)?;
    let mut p = Backoff::default();
    if let Some(v) = r.millis("initialDelay")? {
        p = p.initial(v);
    }
    if let Some(v) = r.number("factor")? {
        p = p.factor(v);
    }
    if let Some(v) = r.millis("maxDelay")? {
        p = p.max(v);
    }
    match r.string("jitter")?.as_deref() {
        None => {}
        Some("none") => p = p.jitter(Jitter::None),
        Some("full") => p = p.jitter(Jitter::Full),
        Some("equal") => p = p.jitter(Jitter::Equal),
        Some(other) => {
            return Err(type_error(&format!(
                "option `backoff.jitter` must be \"none\", \"full\" or \"equal\", not \"{other}\""
            )))
        }
    }
    if let Some(v) = r.whole("maxAttempts")? {
        p = p.max_attempts(Some(v));
    }
    if let Some(v) = r.millis("maxElapsed")? {
        p = p.max_elapsed(Some(v));
    }
    if let Some(v) = r.millis("resetAfter")? {
        p = p.reset_after(v);
    }
    if let Some(v) = r.millis("retryFloor")? {
        p = p.retry_floor(v);
    }
    p.validate().map_err(|e| {
        let name = match e.option {
            "initial" => "initialDelay",
            "max" => "maxDelay",
            "max_attempts" => "maxAttempts",
            other => other,
        };
        type_error(&format!("option `backoff.{name}` {}", e.reason))
    })?;
    Ok(p)
}
