//! One minimal app, three builds: open `url`, decode every `message` event's JSON into a
//! struct with serde_json and pass its `seq` to `on_event`. Exactly one client feature is on.
//! Every typed-eventsource build but `typed-fetch` uses the EventSource transport.
#![allow(missing_docs)]

use serde::Deserialize;
use wasm_bindgen::prelude::*;

/// The server's JSON payload (`data=demo` and the bench stream share these fields).
#[derive(Deserialize)]
struct Payload {
    seq: u64,
}

#[cfg(any(
    feature = "typed-eventsource",
    feature = "typed-default",
    feature = "typed-fetch"
))]
thread_local! {
    static SOURCE: std::cell::RefCell<Option<typed_eventsource::EventSource>> =
        const { std::cell::RefCell::new(None) };
}

/// Opens the stream; `on_event` is called with each event's `seq`.
#[cfg(any(
    feature = "typed-eventsource",
    feature = "typed-default",
    feature = "typed-fetch"
))]
#[wasm_bindgen]
pub fn start(url: String, on_event: js_sys::Function) -> Result<(), JsValue> {
    use typed_eventsource::{EventSource, Transport};
    #[cfg(feature = "typed-fetch")]
    let transport = Transport::Fetch;
    #[cfg(not(feature = "typed-fetch"))]
    let transport = Transport::EventSource;
    let source = EventSource::builder(url)
        .transport(transport)
        .on::<Payload>("message", move |p| {
            if let Ok(p) = p {
                let _ = on_event.call1(&JsValue::NULL, &JsValue::from(p.seq as f64));
            }
        })
        .open()
        .map_err(|e| JsValue::from_str(&e.to_string()))?;
    SOURCE.with(|s| *s.borrow_mut() = Some(source));
    Ok(())
}

/// Opens the stream; `on_event` is called with each event's `seq`.
#[cfg(feature = "gloo")]
#[wasm_bindgen]
pub fn start(url: String, on_event: js_sys::Function) -> Result<(), JsValue> {
    use futures_util::StreamExt;
    let mut es = gloo_net::eventsource::futures::EventSource::new(&url)
        .map_err(|e| JsValue::from_str(&e.to_string()))?;
    let mut stream = es
        .subscribe("message")
        .map_err(|e| JsValue::from_str(&e.to_string()))?;
    wasm_bindgen_futures::spawn_local(async move {
        while let Some(Ok((_, msg))) = stream.next().await {
            let data = msg.data().as_string().unwrap_or_default();
            if let Ok(p) = serde_json::from_str::<Payload>(&data) {
                let _ = on_event.call1(&JsValue::NULL, &JsValue::from(p.seq as f64));
            }
        }
        es.close();
    });
    Ok(())
}
