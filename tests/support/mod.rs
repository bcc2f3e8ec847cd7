//! Helpers shared by the browser tests: the real server's URL, unique scenario keys, the
//! server's request log, and sleeping on the browser's clock.
#![allow(dead_code)]

use std::cell::Cell;

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The base URL of the `sse-server` that `cargo xtask test` started for this run.
pub fn server() -> &'static str {
    match option_env!("SSE_SERVER") {
        Some(url) => url,
        None => panic!(
            "SSE_SERVER is not set: run the browser tests through `cargo xtask test browser`, \
             which starts the real server and hands its URL to the build"
        ),
    }
}

thread_local!(static NEXT: Cell<u32> = const { Cell::new(0) });

/// A scenario key no other test (or earlier run against the same server) uses.
pub fn scenario(name: &str) -> String {
    let n = NEXT.with(|c| {
        c.set(c.get() + 1);
        c.get()
    });
    let salt = (js_sys::Math::random() * 1e9) as u64;
    format!("{name}-{n}-{salt}")
}

/// `SERVER/sse?scenario=KEY&QUERY`
pub fn sse_url(key: &str, query: &str) -> String {
    if query.is_empty() {
        format!("{}/sse?scenario={key}", server())
    } else {
        format!("{}/sse?scenario={key}&{query}", server())
    }
}

/// The global scope's `fetch`, in a window or a worker.
fn global_fetch(url: &str) -> js_sys::Promise {
    let global = js_sys::global();
    let fetch: js_sys::Function = js_sys::Reflect::get(&global, &"fetch".into())
        .expect("fetch exists")
        .unchecked_into();
    fetch
        .call1(&global, &url.into())
        .expect("fetch returns a promise")
        .unchecked_into()
}

/// The server's log of a scenario, as JSON.
pub async fn log(key: &str) -> serde_json::Value {
    let url = format!("{}/log?scenario={key}", server());
    let res: web_sys::Response = JsFuture::from(global_fetch(&url))
        .await
        .expect("the log is reachable")
        .unchecked_into();
    let text = JsFuture::from(res.text().expect("a body"))
        .await
        .expect("the log is text")
        .as_string()
        .expect("a string");
    serde_json::from_str(&text).expect("the log is JSON")
}

/// Resolves after `ms` milliseconds of the browser's clock.
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let global = js_sys::global();
        let set_timeout: js_sys::Function = js_sys::Reflect::get(&global, &"setTimeout".into())
            .expect("setTimeout exists")
            .unchecked_into();
        set_timeout
            .call2(&global, &resolve, &JsValue::from(ms))
            .expect("setTimeout accepts a function");
    });
    JsFuture::from(promise).await.expect("a timer resolves");
}

/// Polls `check` every 20 ms until it returns `Some`, or panics with `what` after `ms`.
pub async fn eventually<T>(what: &str, ms: i32, mut check: impl FnMut() -> Option<T>) -> T {
    let mut waited = 0;
    loop {
        if let Some(v) = check() {
            return v;
        }
        if waited >= ms {
            panic!("timed out after {ms} ms waiting for {what}");
        }
        sleep(20).await;
        waited += 20;
    }
}
