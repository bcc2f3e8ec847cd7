//! The client inside a dedicated Web Worker, where there is no `window` and no `document`.
#![cfg(target_arch = "wasm32")]

mod support;

use std::cell::RefCell;
use std::rc::Rc;

use typed_eventsource::{EventSource, State, Transport};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

#[wasm_bindgen_test]
async fn both_transports_work_in_a_worker() {
    assert!(
        js_sys::Reflect::get(&js_sys::global(), &"window".into())
            .expect("reads")
            .is_undefined(),
        "this test runs in a worker"
    );
    for transport in [Transport::EventSource, Transport::Fetch] {
        let key = support::scenario("worker");
        let got = Rc::new(RefCell::new(Vec::<String>::new()));
        let sink = got.clone();
        let source = EventSource::builder(support::sse_url(&key, "count=3&data=text&end=hold"))
            .transport(transport)
            .on_raw("message", move |e| sink.borrow_mut().push(e.data.clone()))
            .open()
            .expect("opens in a worker");
        support::eventually("three events", 5_000, || {
            (got.borrow().len() >= 3).then_some(())
        })
        .await;
        assert_eq!(source.state(), State::Open);
        assert_eq!(
            *got.borrow(),
            ["event 1", "event 2", "event 3"],
            "{transport:?}"
        );
    }
}
