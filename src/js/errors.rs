//! Errors as real JavaScript `Error` objects: instances of `TypedEventSourceError` (a subclass
//! of `Error`) with a `kind` and the details of their cause.

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::core::error::{millis, CloseReason, Error};

#[wasm_bindgen(module = "/src/js/typed_eventsource.js")]
extern "C" {
    /// The class, exported by the package as its own.
    #[wasm_bindgen(js_name = TypedEventSourceError, reexport)]
    type JsErrorClass;
    #[wasm_bindgen(constructor, js_class = TypedEventSourceError)]
    fn new(kind: &str, message: &str, details: &JsValue) -> JsErrorClass;
}

fn set(o: &Object, k: &str, v: impl Into<JsValue>) {
    let _ = Reflect::set(o, &k.into(), &v.into());
}

/// A `TypedEventSourceError` for `e`.
pub(crate) fn to_js(e: &Error) -> JsValue {
    let d = Object::new();
    match e {
        Error::HttpStatus {
            status,
            retry_after,
        } => {
            set(&d, "status", *status);
            if let Some(r) = retry_after {
                set(&d, "retryAfter", millis(*r) as f64);
            }
        }
        Error::ContentType { content_type } => set(&d, "contentType", content_type.as_str()),
        Error::IdleTimeout { after } => set(&d, "after", millis(*after) as f64),
        Error::EventTooLarge { limit } => set(&d, "limit", *limit as f64),
        Error::GaveUp { attempts, last } => {
            set(&d, "attempts", *attempts);
            set(&d, "cause", to_js(last));
        }
        Error::Decode {
            event_type, data, ..
        } => {
            set(&d, "eventType", event_type.as_str());
            set(&d, "data", data.as_str());
        }
        Error::InvalidOption { option, .. } => set(&d, "option", *option),
        Error::Interrupted {
            events,
            last_event_id,
            cause,
        } => {
            set(&d, "events", *events as f64);
            set(&d, "lastEventId", last_event_id.as_str());
            set(&d, "cause", to_js(cause));
        }
        _ => {}
    }
    JsErrorClass::new(e.kind(), &e.to_string(), &d).into()
}

/// `{ kind: "user" | "server" | "failed" | "completed", error?, midEvent? }`
pub(crate) fn reason_to_js(r: &CloseReason) -> JsValue {
    let o = Object::new();
    match r {
        CloseReason::UserClosed => set(&o, "kind", "user"),
        CloseReason::ServerRequested => set(&o, "kind", "server"),
        CloseReason::Failed(e) => {
            set(&o, "kind", "failed");
            set(&o, "error", to_js(e));
        }
        CloseReason::Completed { mid_event } => {
            set(&o, "kind", "completed");
            set(&o, "midEvent", *mid_event);
        }
    }
    o.into()
}
