//! The transport over the browser's own `EventSource`: the browser connects and parses, this
//! crate decides when to reconnect.
//!
//! The browser reconnects by itself when a stream ends or breaks, after its own delay (3 s in
//! Chromium, or the server's `retry:`), forever, and never tells why. So on every `error` this
//! transport closes the browser's object at once and reports to the core, which applies the
//! back-off policy and asks for a new connection: a new `EventSource`, whose URL carries the
//! last event id in a query parameter when [`Builder::last_event_id_param`] names one (a new
//! `EventSource` cannot be given a `Last-Event-ID` header).
//!
//! What the browser still does by itself: it parses the stream (so `retry:` fields and comments
//! never reach this crate, and [`Builder::max_event_size`] does not apply), and it hides the
//! status and content type of a refused response, which arrives as [`Error::Refused`].
//!
//! [`Builder::last_event_id_param`]: super::Builder::last_event_id_param
//! [`Builder::max_event_size`]: super::Builder::max_event_size

use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{EventSourceInit, MessageEvent};

use super::browser::{ConnectionToken, Listener};
use super::shared::Shared;
use crate::core::error::Error;
use crate::core::machine::ConnectionId;
use crate::core::parser::Event;

#[wasm_bindgen]
extern "C" {
    /// An event from an `EventSource`: a `MessageEvent` whose data is always a string, read
    /// in one call (web-sys's `data()` then `as_string()` takes two).
    type SourceEvent;
    #[wasm_bindgen(method, getter)]
    fn data(this: &SourceEvent) -> Option<String>;
    #[wasm_bindgen(method, getter, js_name = lastEventId)]
    fn last_event_id(this: &SourceEvent) -> String;
}

/// Whether `e` is an event the server sent rather than the browser's own `open` or `error`,
/// which arrive on the same object under the same names: the server's are MessageEvents, the
/// browser's plain events.
fn from_server(e: &web_sys::Event) -> bool {
    e.is_instance_of::<MessageEvent>()
}

/// One browser `EventSource`, closed when dropped.
pub(crate) struct EsConnection {
    source: web_sys::EventSource,
    listeners: Vec<Listener>,
    id: ConnectionId,
    _token: ConnectionToken,
}

impl EsConnection {
    pub(crate) fn open(
        shared: &Rc<Shared>,
        id: ConnectionId,
        url: &str,
        with_credentials: bool,
        event_types: &[String],
    ) -> Result<Self, Error> {
        let init = EventSourceInit::new();
        init.set_with_credentials(with_credentials);
        let source =
            web_sys::EventSource::new_with_event_source_init_dict(url, &init).map_err(|e| {
                Error::Network {
                    message: super::browser::js_message(&e),
                }
            })?;
        let token = ConnectionToken::new();
        let weak = Rc::downgrade(shared);
        let mut listeners = Vec::with_capacity(event_types.len() + 3);
        {
            let weak = weak.clone();
            listeners.push(Listener::new(&source, "open", move |e| {
                if from_server(&e) {
                    return;
                }
                Shared::input(&weak, |m, now| {
                    m.handle_response(id, 200, Some("text/event-stream"), None, now)
                });
            }));
        }
        {
            let weak = weak.clone();
            let source2 = source.clone();
            listeners.push(Listener::new(&source, "error", move |e| {
                if from_server(&e) {
                    return;
                }
                // CLOSED: the browser refused the response and gives up. CONNECTING: the
                // stream ended or broke and the browser would reconnect on its own schedule;
                // it is closed here so that the back-off policy decides instead.
                let refused = source2.ready_state() == web_sys::EventSource::CLOSED;
                source2.close();
                let error = if refused {
                    Error::Refused
                } else {
                    Error::Network {
                        message: "the EventSource connection was lost".to_owned(),
                    }
                };
                Shared::input(&weak, |m, now| m.handle_error(id, error, now));
            }));
        }
        let mut connection = EsConnection {
            source,
            listeners,
            id,
            _token: token,
        };
        connection.listen(&weak, "message");
        for t in event_types.iter().filter(|t| *t != "message") {
            connection.listen(&weak, t);
        }
        Ok(connection)
    }

    /// Listens for events of this type too (a handler for a new type other than `message` was
    /// added).
    pub(crate) fn listen(&mut self, weak: &Weak<Shared>, event_type: &str) {
        let weak = weak.clone();
        let id = self.id;
        let owned_type = event_type.to_owned();
        // Only `open` and `error` can be the browser's own; an event of any other type is the
        // server's and is not checked (a check is one more call into JavaScript per event).
        let check = matches!(event_type, "open" | "error");
        self.listeners
            .push(Listener::new(&self.source, event_type, move |e| {
                if check && !from_server(&e) {
                    return;
                }
                let e: &SourceEvent = e.unchecked_ref();
                let event = Event {
                    event_type: owned_type.clone(),
                    data: e.data().unwrap_or_default(),
                    last_event_id: e.last_event_id(),
                };
                Shared::input(&weak, |m, now| m.handle_event(id, event, now));
            }));
    }

    /// The browser's object.
    pub(crate) fn source(&self) -> &web_sys::EventSource {
        &self.source
    }
}

impl Drop for EsConnection {
    fn drop(&mut self) {
        self.source.close();
    }
}
