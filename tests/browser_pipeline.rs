//! The pipeline itself: a test page in headless Chromium reaches the real server and receives
//! events through the browser's own `EventSource`, and the server's log sees the request.
#![cfg(target_arch = "wasm32")]

mod support;

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn a_plain_event_source_receives_the_servers_events() {
    let key = support::scenario("pipeline");
    let es = web_sys::EventSource::new(&support::sse_url(&key, "count=3&data=text&end=hold"))
        .expect("an EventSource");
    let got = Rc::new(RefCell::new(Vec::<(String, String)>::new()));
    let sink = got.clone();
    let on_message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            sink.borrow_mut()
                .push((e.last_event_id(), e.data().as_string().unwrap_or_default()));
        });
    es.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    let events = support::eventually("three events", 5_000, || {
        (got.borrow().len() >= 3).then(|| got.borrow().clone())
    })
    .await;
    es.close();
    assert_eq!(
        events,
        vec![
            ("1".to_owned(), "event 1".to_owned()),
            ("2".to_owned(), "event 2".to_owned()),
            ("3".to_owned(), "event 3".to_owned()),
        ]
    );
    let log = support::log(&key).await;
    assert_eq!(log["requests"], 1, "{log}");
    assert_eq!(
        log["records"][0]["headers"]["accept"], "text/event-stream",
        "{log}"
    );
}
