//! The options of `new TypedEventSource(url, options)`: `options.js` reads them field by field
//! (a wrong type or an unknown name throws a `TypeError` naming the option), and here they
//! become a [`Builder`], whose own checks (the same as for Rust apps) say what is not
//! possible, in the names a JavaScript caller gave. Nothing is opened when one is wrong.

use std::time::Duration;

#[cfg(feature = "fetch")]
use js_sys::Promise;
use js_sys::{Array, Function};
use wasm_bindgen::prelude::*;
#[cfg(feature = "fetch")]
use wasm_bindgen::JsCast;

use super::errors;
use crate::core::backoff::{Backoff, Jitter};
use crate::core::error::Error;
use crate::core::machine::{Decision, RetryPolicy};
#[cfg(feature = "fetch")]
use crate::web::Transport;
use crate::web::{Builder, Credentials, EventSource};

#[wasm_bindgen(module = "/src/js/options.js")]
extern "C" {
    /// The options as `options.js` read them.
    pub(crate) type Checked;
    #[wasm_bindgen(catch)]
    fn check(options: &JsValue) -> Result<Checked, JsValue>;
    #[wasm_bindgen(catch)]
    fn pairs(v: &JsValue) -> Result<Array, JsValue>;
    #[wasm_bindgen(method, getter)]
    fn fetch(this: &Checked) -> bool;
    #[wasm_bindgen(method, getter)]
    fn credentials(this: &Checked) -> String;
    #[wasm_bindgen(method, getter)]
    fn headers(this: &Checked) -> Array;
    #[wasm_bindgen(method, getter, js_name = headersFn)]
    fn headers_fn(this: &Checked) -> Option<Function>;
    #[wasm_bindgen(method, getter)]
    fn method(this: &Checked) -> Option<String>;
    #[wasm_bindgen(method, getter)]
    fn body(this: &Checked) -> Option<String>;
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
    #[wasm_bindgen(method, getter, js_name = serverMax)]
    fn server_max(this: &Checked) -> Option<f64>;
    #[wasm_bindgen(method, getter)]
    fn retry(this: &Checked) -> Option<Function>;
    #[wasm_bindgen(method, getter, js_name = idleTimeout)]
    fn idle_timeout(this: &Checked) -> Option<f64>;
    #[wasm_bindgen(method, getter)]
    fn param(this: &Checked) -> Option<String>;
    #[wasm_bindgen(method, getter, js_name = lastEventId)]
    fn last_event_id(this: &Checked) -> Option<String>;
    #[wasm_bindgen(method, getter, js_name = maxEventSize)]
    fn max_event_size(this: &Checked) -> Option<u32>;
    #[wasm_bindgen(method, getter, js_name = pauseWhenHidden)]
    fn pause_when_hidden(this: &Checked) -> bool;
    #[wasm_bindgen(method, getter, js_name = oneShot)]
    fn one_shot(this: &Checked) -> bool;
    /// `true`, `false` or `"tabs"`.
    #[wasm_bindgen(method, getter)]
    fn share(this: &Checked) -> JsValue;
    #[wasm_bindgen(method, getter, js_name = replayLatest)]
    fn replay_latest(this: &Checked) -> bool;
    #[wasm_bindgen(method, getter)]
    fn unfinished(this: &Checked) -> Option<String>;
    #[wasm_bindgen(method, getter)]
    fn resume(this: &Checked) -> Option<Function>;
    #[wasm_bindgen(method, getter, js_name = isReplay)]
    fn is_replay(this: &Checked) -> Option<Function>;

    /// What the `resume` option's function returned, as `options.js` read it.
    #[cfg(feature = "fetch")]
    type ResumeRequest;
    #[cfg(feature = "fetch")]
    #[wasm_bindgen(catch, js_name = resumeRequest)]
    fn resume_request(v: &JsValue) -> Result<ResumeRequest, JsValue>;
    #[cfg(feature = "fetch")]
    #[wasm_bindgen(method, getter, js_name = method)]
    fn resume_method(this: &ResumeRequest) -> String;
    #[cfg(feature = "fetch")]
    #[wasm_bindgen(method, getter, js_name = url)]
    fn resume_url(this: &ResumeRequest) -> Option<String>;
    #[cfg(feature = "fetch")]
    #[wasm_bindgen(method, getter, js_name = body)]
    fn resume_body(this: &ResumeRequest) -> Option<String>;
    #[cfg(feature = "fetch")]
    #[wasm_bindgen(method, getter, js_name = headers)]
    fn resume_headers(this: &ResumeRequest) -> Array;
}

pub(crate) fn type_error(msg: &str) -> JsValue {
    js_sys::TypeError::new(msg).into()
}

/// Milliseconds (checked finite and not negative); more than a `Duration` holds is the
/// longest one, which the machine caps at what its clock can count to.
fn millis(ms: Option<f64>) -> Option<Duration> {
    ms.map(|ms| Duration::try_from_secs_f64(ms / 1000.0).unwrap_or(Duration::MAX))
}

/// The back-off, checked, with its errors in the names a JavaScript caller gave.
fn backoff(c: &Checked) -> Result<Backoff, JsValue> {
    let mut p = Backoff::default();
    let set = |p: Backoff, v: Option<f64>, f: fn(Backoff, Duration) -> Backoff| match millis(v) {
        Some(v) => f(p, v),
        None => p,
    };
    p = set(p, c.initial_delay(), Backoff::initial);
    p = set(p, c.max_delay(), Backoff::max);
    p = set(p, c.reset_after(), Backoff::reset_after);
    p = set(p, c.retry_floor(), Backoff::retry_floor);
    p = set(p, c.server_max(), Backoff::server_max);
    if let Some(v) = c.factor() {
        p = p.factor(v);
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
    p.validate().map_err(|e| {
        let (name, reason) = match e.option {
            "initial" => ("initialDelay", e.reason),
            "max" => ("maxDelay", "must be at least `backoff.initialDelay`"),
            "max_attempts" => (
                "maxAttempts",
                "must be at least 1 (or left out for no limit)",
            ),
            "retry_floor" => ("retryFloor", e.reason),
            "server_max" => ("serverMax", "must be at least `backoff.retryFloor`"),
            other => (other, e.reason),
        };
        type_error(&format!("option `backoff.{name}` {reason}"))
    })?;
    Ok(p)
}

/// The `retry` option as the machine's policy: `retry(error, retry)` with the default decision
/// as a boolean returns `true` (retry), `false` (stop) or anything else (the default). A
/// function that throws is reported, and the default applies.
fn retry_policy(f: Function) -> RetryPolicy {
    RetryPolicy::new(move |error, default| {
        let retry = JsValue::from_bool(default == Decision::Retry);
        match f.call2(&JsValue::NULL, &errors::to_js(error), &retry) {
            Ok(v) if v.as_bool() == Some(true) => Decision::Retry,
            Ok(v) if v.as_bool() == Some(false) => Decision::Stop,
            Ok(_) => default,
            Err(e) => {
                web_sys::console::error_2(
                    &"typed-eventsource: the retry function failed:".into(),
                    &e,
                );
                default
            }
        }
    })
}

/// Header pairs from what `pairs` returned.
#[cfg(feature = "fetch")]
fn to_pairs(a: &Array) -> Vec<(String, String)> {
    a.iter()
        .map(|p| {
            let p: Array = p.unchecked_into();
            (
                p.get(0).as_string().unwrap_or_default(),
                p.get(1).as_string().unwrap_or_default(),
            )
        })
        .collect()
}

/// Calls the `headers` function before an attempt, awaiting a promise it returns. When it
/// throws or returns something else than an object of strings, the failure is logged and the
/// request goes without those headers (the server's answer, a 401 say, then decides).
#[cfg(feature = "fetch")]
async fn call_headers(f: Function) -> Vec<(String, String)> {
    let result = async {
        let mut v = f.call0(&JsValue::NULL)?;
        if let Some(p) = v.dyn_ref::<Promise>() {
            v = wasm_bindgen_futures::JsFuture::from(p.clone()).await?;
        }
        pairs(&v)
    };
    match result.await {
        Ok(a) => to_pairs(&a),
        Err(e) => {
            web_sys::console::error_2(
                &"typed-eventsource: the headers function failed:".into(),
                &e,
            );
            Vec::new()
        }
    }
}

/// The `resume` option: `resume(lastEventId)` returns the request that resumes after it. A
/// function that throws, or returns something that is not such a request, fails the
/// connection with an `invalid-option` error naming it.
#[cfg(feature = "fetch")]
fn resume_with(f: Function) -> std::rc::Rc<crate::web::ResumeFn> {
    std::rc::Rc::new(move |after| {
        let r = f
            .call1(&JsValue::NULL, &after.into())
            .and_then(|v| resume_request(&v))
            .map_err(|e| Error::InvalidOption {
                option: "resume",
                reason: crate::web::browser::js_message(&e),
            })?;
        Ok(crate::web::Resume {
            method: r.resume_method(),
            url: r.resume_url(),
            body: r.resume_body(),
            headers: to_pairs(&r.resume_headers()),
        })
    })
}

/// The options only the fetch transport carries out.
#[cfg(feature = "fetch")]
fn fetch_options(mut b: Builder, c: &Checked) -> Result<Builder, JsValue> {
    if c.fetch() {
        b = b.transport(Transport::Fetch);
    }
    for (name, value) in to_pairs(&c.headers()) {
        b = b.header(name, value);
    }
    if let Some(f) = c.headers_fn() {
        b = b.headers_with(move || call_headers(f.clone()));
    }
    if let Some(m) = c.method() {
        b = b.method(m);
    }
    if let Some(body) = c.body() {
        b = b.body(body);
    }
    if c.one_shot() {
        b = b.one_shot(true);
    }
    if let Some(f) = c.resume() {
        b = b.try_resume_with(resume_with(f));
    }
    if let Some(f) = c.is_replay() {
        // `isReplay(id, lastEventId)`: truthy drops the event. One that throws is reported,
        // and the event delivered.
        b = b.skip_replays(move |id, last| {
            f.call2(&JsValue::NULL, &id.into(), &last.into())
                .map_err(|e| {
                    web_sys::console::error_2(
                        &"typed-eventsource: the isReplay function failed:".into(),
                        &e,
                    )
                })
                .is_ok_and(|v| v.is_truthy())
        });
    }
    if c.unfinished().as_deref() == Some("dispatch") {
        b = b.dispatch_unfinished(true);
    }
    Ok(b)
}

/// Without the fetch transport (a build without the feature `fetch`), asking for it or for
/// what only it can send is refused.
#[cfg(not(feature = "fetch"))]
fn fetch_options(b: Builder, c: &Checked) -> Result<Builder, JsValue> {
    let asked = if c.fetch() {
        Some("transport")
    } else if c.headers().length() > 0 || c.headers_fn().is_some() {
        Some("headers")
    } else if c.method().is_some() || c.body().is_some() {
        Some("method")
    } else if c.one_shot() {
        Some("oneShot")
    } else if c.resume().is_some() {
        Some("resume")
    } else if c.is_replay().is_some() {
        Some("isReplay")
    } else {
        None
    };
    match asked {
        Some(option) => Err(type_error(&format!(
            "TypedEventSource: invalid option `{option}`: this build has no fetch transport"
        ))),
        None => Ok(b),
    }
}

/// What a [`Builder`]'s option is called in JavaScript.
fn js_name(option: &str) -> &str {
    match option {
        "idle_timeout" => "idleTimeout",
        "max_event_size" => "maxEventSize",
        "last_event_id_param" => "lastEventIdParam",
        "one_shot" => "oneShot",
        "resume_with" => "resume",
        "skip_replays" => "isReplay",
        "transport" => "transport",
        other => other,
    }
}

/// Reads the options and opens the stream with the handlers `handlers` adds; whether it
/// sends cookies across origins comes back with it.
pub(crate) fn open(
    url: &str,
    options: &JsValue,
    readable: Option<web_sys::ReadableStream>,
    handlers: impl FnOnce(Builder) -> Builder,
) -> Result<(EventSource, bool), JsValue> {
    let c = check(options)?;
    #[cfg(feature = "testing")]
    let from_readable = readable.is_some();
    let b = match readable {
        #[cfg(feature = "fetch")]
        Some(stream) => EventSource::from_readable_stream(stream),
        _ => EventSource::builder(url),
    };
    let mut b = b.backoff(backoff(&c)?);
    let credentials = match c.credentials().as_str() {
        "omit" => Credentials::Omit,
        "include" => Credentials::Include,
        _ => Credentials::SameOrigin,
    };
    b = b.credentials(credentials);
    b = fetch_options(b, &c)?;
    if let Some(f) = c.retry() {
        b = b.retry_policy(retry_policy(f));
    }
    if let Some(t) = millis(c.idle_timeout()) {
        b = b.idle_timeout(t);
    }
    if let Some(p) = c.param() {
        b = b.last_event_id_param(p);
    }
    if let Some(id) = c.last_event_id() {
        b = b.last_event_id(id);
    }
    if let Some(n) = c.max_event_size() {
        b = b.max_event_size(n as usize);
    }
    b = b
        .pause_when_hidden(c.pause_when_hidden())
        .replay_latest(c.replay_latest());
    let share = c.share();
    if share.as_string().is_some() {
        b = b.share_tabs(true);
    } else if share.is_truthy() {
        b = b.share(true);
    }
    // The test kit's build (`typed-eventsource/testing`): the installed script is the network.
    #[cfg(feature = "testing")]
    if !from_readable {
        b = b.script(&super::testing::installed()?);
    }
    let source = handlers(b).open().map_err(|e| match e {
        // A DOMException named SyntaxError, as the browser's EventSource throws.
        Error::InvalidOption { option: "url", .. } => {
            let message = format!("TypedEventSource: \"{url}\" is not a valid URL");
            web_sys::DomException::new_with_message_and_name(&message, "SyntaxError")
                .map_or_else(|e| e, JsValue::from)
        }
        Error::InvalidOption { option, reason } => type_error(&format!(
            "TypedEventSource: invalid option `{}`: {reason}",
            js_name(option)
        )),
        e => type_error(&format!("TypedEventSource: {e}")),
    })?;
    Ok((source, credentials == Credentials::Include))
}
