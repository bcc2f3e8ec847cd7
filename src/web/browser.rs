//! The browser's globals, through the global object (a window or a worker), and the two things
//! this crate registers with them: event listeners and timers. Each is owned by a value whose
//! `Drop` removes it, and each is counted, so tests (and users) can check that nothing leaks.

use std::cell::Cell;

use js_sys::{Function, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::EventTarget;

#[wasm_bindgen]
extern "C" {
    // Bound as free functions, so they resolve on the global object: window or worker alike.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: i32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
    /// Runs `f` once the current task's code has run, before any other task.
    #[wasm_bindgen(js_name = queueMicrotask)]
    pub(crate) fn queue_microtask(f: &JsValue);
    #[wasm_bindgen(js_name = fetch)]
    pub(crate) fn fetch_with_request(request: &web_sys::Request) -> js_sys::Promise;
}

#[cfg(feature = "eventsource")]
#[wasm_bindgen]
extern "C" {
    /// An event from an `EventSource`: a `MessageEvent` whose data is always a string, read
    /// in one call (web-sys's `data()` then `as_string()` takes two).
    pub(crate) type SourceEvent;
    #[wasm_bindgen(method, getter)]
    pub(crate) fn data(this: &SourceEvent) -> Option<String>;
    #[wasm_bindgen(method, getter, js_name = lastEventId)]
    pub(crate) fn last_event_id(this: &SourceEvent) -> String;
    #[wasm_bindgen(method, getter)]
    pub(crate) fn origin(this: &SourceEvent) -> String;
}

#[wasm_bindgen(module = "/src/web/native.js")]
extern "C" {
    /// `new EventSource(url, init)` with the browser's own class as it was when the module
    /// loaded, whatever the page has put in its place since.
    #[cfg(feature = "eventsource")]
    #[wasm_bindgen(js_name = openEventSource, catch)]
    pub(crate) fn open_event_source(
        url: &str,
        init: &web_sys::EventSourceInit,
    ) -> Result<web_sys::EventSource, JsValue>;
    /// Resolves with whether the server of `url` refuses this page (see `native.js`): after
    /// `fetch` failed, whether that was CORS rather than the network.
    #[cfg(feature = "fetch")]
    pub(crate) fn refused(
        url: &str,
        with_credentials: bool,
        signal: &web_sys::AbortSignal,
    ) -> js_sys::Promise;
}

thread_local! {
    static LISTENERS: Cell<usize> = const { Cell::new(0) };
    static TIMERS: Cell<usize> = const { Cell::new(0) };
    static CONNECTIONS: Cell<usize> = const { Cell::new(0) };
}

/// What this crate holds in the browser right now, over all its streams: event listeners (each
/// with its closure), armed timers and open connections. Every one is released when the stream
/// that owns it closes or is dropped, so these return to zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LiveResources {
    /// Event listeners registered (with their closures).
    pub listeners: usize,
    /// Timers armed.
    pub timers: usize,
    /// Connections (an `EventSource` object or a fetch in flight) not yet closed or aborted.
    pub connections: usize,
}

/// Counts what this crate holds in the browser right now (see [`LiveResources`]).
pub fn live_resources() -> LiveResources {
    LiveResources {
        listeners: LISTENERS.with(Cell::get),
        timers: TIMERS.with(Cell::get),
        connections: CONNECTIONS.with(Cell::get),
    }
}

fn bump(counter: &'static std::thread::LocalKey<Cell<usize>>, up: bool) {
    counter.with(|c| {
        c.set(if up {
            c.get() + 1
        } else {
            c.get().saturating_sub(1)
        })
    });
}

/// Counts one connection for as long as it lives.
#[derive(Debug)]
pub(crate) struct ConnectionToken(());

impl ConnectionToken {
    pub(crate) fn new() -> Self {
        bump(&CONNECTIONS, true);
        ConnectionToken(())
    }
}

impl Drop for ConnectionToken {
    fn drop(&mut self) {
        bump(&CONNECTIONS, false);
    }
}

/// An event listener, removed when dropped.
pub(crate) struct Listener {
    target: EventTarget,
    event_type: String,
    closure: Closure<dyn FnMut(web_sys::Event)>,
}

impl Listener {
    pub(crate) fn new(
        target: &EventTarget,
        event_type: &str,
        f: impl FnMut(web_sys::Event) + 'static,
    ) -> Self {
        let closure = Closure::<dyn FnMut(web_sys::Event)>::new(f);
        // Adding a listener only fails for a target that is not an EventTarget, which the
        // types rule out.
        let _ =
            target.add_event_listener_with_callback(event_type, closure.as_ref().unchecked_ref());
        bump(&LISTENERS, true);
        Listener {
            target: target.clone(),
            event_type: event_type.to_owned(),
            closure,
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.target.remove_event_listener_with_callback(
            &self.event_type,
            self.closure.as_ref().unchecked_ref(),
        );
        bump(&LISTENERS, false);
    }
}

/// A one-shot timer on the global `setTimeout`, cleared when dropped.
pub(crate) struct Timer {
    handle: JsValue,
    _closure: Closure<dyn FnMut()>,
}

impl Timer {
    pub(crate) fn new(ms: u32, f: impl FnMut() + 'static) -> Self {
        let closure = Closure::<dyn FnMut()>::new(f);
        let ms = i32::try_from(ms).unwrap_or(i32::MAX);
        let handle = set_timeout(closure.as_ref().unchecked_ref(), ms);
        bump(&TIMERS, true);
        Timer {
            handle,
            _closure: closure,
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        clear_timeout(&self.handle);
        bump(&TIMERS, false);
    }
}

/// A property of the global object (`window` or the worker's `self`); none outside wasm,
/// where the test kit runs in a native `cargo test`.
pub(crate) fn global_get(name: &str) -> Option<JsValue> {
    if cfg!(not(target_arch = "wasm32")) {
        return None;
    }
    Reflect::get(&js_sys::global(), &JsValue::from_str(name))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

/// The global object as an event target (for `online`, `offline`, `pageshow`); none where
/// the global object is not one (Node, where the test kit runs).
pub(crate) fn global_target() -> Option<EventTarget> {
    global_get("addEventListener").map(|_| js_sys::global().unchecked_into())
}

/// The document, when there is one (not in a worker).
pub(crate) fn document() -> Option<EventTarget> {
    global_get("document").map(JsCast::unchecked_into)
}

/// `navigator.onLine`, true when the browser does not say.
pub(crate) fn online() -> bool {
    global_get("navigator")
        .and_then(|n| Reflect::get(&n, &"onLine".into()).ok())
        .and_then(|v| v.as_bool())
        .unwrap_or(true)
}

/// `document.visibilityState == "visible"`; true in a worker.
pub(crate) fn visible() -> bool {
    document()
        .and_then(|d| Reflect::get(&d, &"visibilityState".into()).ok())
        .and_then(|v| v.as_string())
        .is_none_or(|s| s != "hidden")
}

/// `location.href` of the page or worker, the base for relative URLs. With the test kit
/// (feature `testing`), `http://localhost/` where there is no location (Node), so that an
/// app's relative URLs resolve there as in its pages.
pub(crate) fn base_url() -> Option<String> {
    let href = global_get("location")
        .and_then(|l| Reflect::get(&l, &"href".into()).ok())
        .and_then(|v| v.as_string());
    #[cfg(feature = "testing")]
    let href = href.or_else(|| Some("http://localhost/".to_owned()));
    href
}

/// `url` resolved as the browser resolves it, against the page's (or worker's) location;
/// the error message when it is not a URL.
#[cfg(target_arch = "wasm32")]
pub(crate) fn resolve(url: &str) -> Result<String, String> {
    match base_url() {
        Some(base) => web_sys::Url::new_with_base(url, &base),
        None => web_sys::Url::new(url),
    }
    .map(|u| u.href())
    .map_err(|e| js_message(&e))
}

/// The origin of absolute URL `url` (`scheme://host:port`), if it parses.
#[cfg(target_arch = "wasm32")]
pub(crate) fn origin(url: &str) -> Option<String> {
    web_sys::Url::new(url).ok().map(|u| u.origin())
}

/// `encodeURIComponent(text)`.
#[cfg(target_arch = "wasm32")]
pub(crate) fn encode_uri_component(text: &str) -> String {
    js_sys::encode_uri_component(text).into()
}

/// Outside wasm (the test kit in a native `cargo test`, feature `testing`), the WHATWG URL
/// parser of the `url` crate resolves and takes origins as the browser does.
#[cfg(all(not(target_arch = "wasm32"), feature = "testing"))]
pub(crate) fn resolve(url: &str) -> Result<String, String> {
    let base = base_url().and_then(|b| url::Url::parse(&b).ok());
    url::Url::options()
        .base_url(base.as_ref())
        .parse(url)
        .map(String::from)
        .map_err(|e| format!("{url:?}: {e}"))
}

/// The origin of absolute URL `url`, if it parses.
#[cfg(all(not(target_arch = "wasm32"), feature = "testing"))]
pub(crate) fn origin(url: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()
        .map(|u| u.origin().ascii_serialization())
}

/// What `encodeURIComponent` leaves as it is: letters, digits and `-_.!~*'()`.
#[cfg(all(not(target_arch = "wasm32"), feature = "testing"))]
const URI_COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// `encodeURIComponent(text)`.
#[cfg(all(not(target_arch = "wasm32"), feature = "testing"))]
pub(crate) fn encode_uri_component(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, URI_COMPONENT).to_string()
}

/// Outside wasm without the test kit, nothing connects: there is no browser.
#[cfg(all(not(target_arch = "wasm32"), not(feature = "testing")))]
pub(crate) fn resolve(url: &str) -> Result<String, String> {
    Err(format!(
        "{url:?}: a stream runs in a browser (or on the test kit, feature `testing`)"
    ))
}

/// Outside wasm without the test kit: no origin.
#[cfg(all(not(target_arch = "wasm32"), not(feature = "testing")))]
pub(crate) fn origin(_url: &str) -> Option<String> {
    None
}

/// Outside wasm without the test kit: unused (nothing connects).
#[cfg(all(not(target_arch = "wasm32"), not(feature = "testing")))]
pub(crate) fn encode_uri_component(text: &str) -> String {
    text.to_owned()
}

/// The message of a thrown JavaScript value.
pub(crate) fn js_message(value: &JsValue) -> String {
    if let Some(e) = value.dyn_ref::<js_sys::Error>() {
        return String::from(e.message());
    }
    value
        .as_string()
        .unwrap_or_else(|| String::from(js_sys::JsString::from(value.clone())))
}
