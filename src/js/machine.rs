//! The reconnect machine as the facade's JavaScript drives it: each input is a method, and
//! [`JsMachine::poll`] hands out what to do next. JavaScript owns the browser's side (the
//! connection, the timer, the page's lifecycle and the listeners); this object owns every
//! decision, as [`crate::web`] leaves them to the same machine.

use wasm_bindgen::prelude::*;
use web_time::Instant;

use super::{errors, state_to_js};
use crate::core::error::Error;
use crate::core::machine::{self, ConnectionId, Machine, Output};
use crate::core::parser::Event;

/// The facade's machine (exported for `facade.js` only; not in the `.d.ts`).
#[wasm_bindgen(js_name = TypedEventSourceMachine, skip_typescript)]
pub struct JsMachine {
    machine: Machine,
    /// Events not yet handed out, as `type \r id \r data \r` each (none of the three can hold
    /// a CR). They go to JavaScript as one string, because a call across costs more than
    /// parsing the stream does.
    batch: String,
    /// An output that waits for the batch before it to be handed out.
    held: Option<Output>,
}

fn conn(n: f64) -> ConnectionId {
    ConnectionId(n as u64)
}

fn push(batch: &mut String, e: &Event) {
    for part in [&e.event_type, &e.last_event_id, &e.data] {
        batch.push_str(part);
        batch.push('\r');
    }
}

impl JsMachine {
    pub(crate) fn new(machine: Machine) -> Self {
        JsMachine {
            machine,
            batch: String::new(),
            held: None,
        }
    }

    fn take_batch(&mut self) -> Option<JsValue> {
        (!self.batch.is_empty()).then(|| JsValue::from(std::mem::take(&mut self.batch)))
    }
}

#[wasm_bindgen(js_class = TypedEventSourceMachine)]
impl JsMachine {
    /// What to do next, in order: `undefined` when there is nothing; a string of events
    /// (see `batch`); `[id, lastEventId]` to connect; a number, the connection to abort; a
    /// `TypedEventSourceError` to report; or a state object (`state_to_js`).
    pub fn poll(&mut self) -> JsValue {
        loop {
            let output = match self.held.take() {
                Some(o) => o,
                None => match self.machine.poll() {
                    Some(Output::Event(e)) => {
                        push(&mut self.batch, &e);
                        continue;
                    }
                    Some(o) => o,
                    None => return self.take_batch().unwrap_or(JsValue::UNDEFINED),
                },
            };
            if let Some(batch) = self.take_batch() {
                self.held = Some(output);
                return batch;
            }
            return match output {
                Output::Connect { id, last_event_id } => {
                    let a = js_sys::Array::new();
                    a.push(&JsValue::from(id.0 as f64));
                    a.push(&last_event_id.map_or(JsValue::NULL, JsValue::from));
                    a.into()
                }
                Output::Abort { id } => JsValue::from(id.0 as f64),
                Output::Error(e) => errors::to_js(&e),
                Output::State(s) => state_to_js(&s),
                Output::Event(_) => unreachable!("events go to the batch"),
            };
        }
    }

    /// The response of connection `id` arrived (`retryAfter`: the header, in seconds). Returns
    /// whether the connection is still wanted.
    pub fn response(
        &mut self,
        id: f64,
        status: u16,
        content_type: Option<String>,
        retry_after: Option<String>,
    ) -> bool {
        let retry_after = retry_after.as_deref().and_then(machine::retry_after);
        let c = conn(id);
        self.machine.handle_response(
            c,
            status,
            content_type.as_deref(),
            retry_after,
            Instant::now(),
        );
        self.machine.current() == Some(c)
    }

    /// A chunk of connection `id`'s body. Its events go straight to the batch. Returns
    /// whether the connection is still wanted.
    pub fn bytes(&mut self, id: f64, chunk: &[u8]) -> bool {
        let c = conn(id);
        let batch = &mut self.batch;
        self.machine
            .handle_bytes_into(c, chunk, Instant::now(), &mut |e| push(batch, e));
        self.machine.current() == Some(c)
    }

    /// An event that the browser's `EventSource` parsed.
    pub fn event(&mut self, id: f64, event_type: String, data: String, last_event_id: String) {
        let event = Event {
            event_type,
            data,
            last_event_id,
        };
        self.machine.handle_event(conn(id), event, Instant::now());
    }

    /// Connection `id`'s response ended.
    pub fn end(&mut self, id: f64) {
        self.machine.handle_end(conn(id), Instant::now());
    }

    /// Connection `id` failed: refused by the browser's `EventSource`, or a network error.
    pub fn fail(&mut self, id: f64, refused: bool, message: String) {
        let error = if refused {
            Error::Refused
        } else {
            Error::Network { message }
        };
        self.machine.handle_error(conn(id), error, Instant::now());
    }

    /// The timer fired.
    pub fn timeout(&mut self) {
        self.machine.handle_timeout(Instant::now());
    }

    /// `online` or `offline`.
    pub fn online(&mut self, online: bool) {
        self.machine.handle_online(online, Instant::now());
    }

    /// `visibilitychange`.
    pub fn visible(&mut self, visible: bool) {
        self.machine.handle_visibility(visible, Instant::now());
    }

    /// `pageshow` from the back-forward cache.
    pub fn restored(&mut self) {
        self.machine.handle_page_restored(Instant::now());
    }

    /// Closes for good; the events not yet handed out are dropped, as the machine drops what
    /// it queued.
    pub fn close(&mut self) {
        self.batch.clear();
        self.machine.close();
    }

    /// Opens a closed stream again.
    pub fn reopen(&mut self) {
        self.machine.reopen(Instant::now());
    }

    /// Makes the next connection resume after `id`.
    #[wasm_bindgen(js_name = resumeAfter)]
    pub fn resume_after(&mut self, id: &str) {
        self.machine.set_last_event_id(id);
    }

    /// Milliseconds until the machine wants the timer, if it does.
    pub fn wait(&self) -> Option<f64> {
        let deadline = self.machine.poll_timeout()?;
        Some(
            deadline
                .saturating_duration_since(Instant::now())
                .as_secs_f64()
                * 1000.0,
        )
    }

    /// The state with its attempt and next delay.
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> JsValue {
        state_to_js(self.machine.state())
    }

    /// Where the next connection resumes.
    #[wasm_bindgen(getter, js_name = lastEventId)]
    pub fn last_event_id(&self) -> String {
        self.machine.last_event_id().to_owned()
    }
}
