//! Typed dispatch in the browser: how long until the n-th event has been decoded into a Rust
//! struct and handled, through typed-eventsource (either transport) and through gloo-net.
#![allow(missing_docs)]

use std::cell::RefCell;
use std::rc::Rc;

use futures_util::StreamExt;
use serde::Deserialize;
use typed_eventsource::{EventSource, Transport};
use wasm_bindgen::prelude::*;

/// The server's JSON payload.
#[derive(Deserialize)]
struct Payload {
    seq: u64,
    #[serde(rename = "type")]
    _kind: String,
    text: String,
}

fn now() -> f64 {
    js_sys::Date::now()
}

/// Milliseconds until `n` events arrived through typed-eventsource with this transport
/// ("eventsource" or "fetch"). Every event is decoded; the sum of seqs is checked.
#[wasm_bindgen]
pub async fn typed(url: String, transport: String, n: u32) -> Result<f64, JsValue> {
    let transport = if transport == "fetch" {
        Transport::Fetch
    } else {
        Transport::EventSource
    };
    let start = now();
    let state = Rc::new(RefCell::new((0u32, 0u64, 0usize, None::<js_sys::Function>)));
    let done = js_sys::Promise::new(&mut |resolve, _| state.borrow_mut().3 = Some(resolve));
    let s = state.clone();
    let source = EventSource::builder(url)
        .transport(transport)
        .on::<Payload>("message", move |p| {
            let mut st = s.borrow_mut();
            if let Ok(p) = p {
                st.0 += 1;
                st.1 += p.seq;
                st.2 += p.text.len();
                if st.0 == n {
                    if let Some(r) = st.3.take() {
                        let _ = r.call0(&JsValue::NULL);
                    }
                }
            }
        })
        .open()
        .map_err(|e| JsValue::from_str(&e.to_string()))?;
    wasm_bindgen_futures::JsFuture::from(done).await?;
    let elapsed = now() - start;
    drop(source);
    check(&state.borrow().1, n)?;
    Ok(elapsed)
}

/// The same through gloo-net's `EventSource` and serde_json.
#[wasm_bindgen]
pub async fn gloo(url: String, n: u32) -> Result<f64, JsValue> {
    let start = now();
    let mut es = gloo_net::eventsource::futures::EventSource::new(&url)
        .map_err(|e| JsValue::from_str(&e.to_string()))?;
    let mut stream = es
        .subscribe("message")
        .map_err(|e| JsValue::from_str(&e.to_string()))?;
    let (mut count, mut sum) = (0u32, 0u64);
    while let Some(Ok((_, msg))) = stream.next().await {
        let data = msg.data().as_string().unwrap_or_default();
        if let Ok(p) = serde_json::from_str::<Payload>(&data) {
            count += 1;
            sum += p.seq;
            if count == n {
                break;
            }
        }
    }
    let elapsed = now() - start;
    es.close();
    check(&sum, n)?;
    Ok(elapsed)
}

fn check(sum: &u64, n: u32) -> Result<(), JsValue> {
    let n = u64::from(n);
    if *sum == n * (n + 1) / 2 {
        Ok(())
    } else {
        Err(JsValue::from_str("events were lost or repeated"))
    }
}
