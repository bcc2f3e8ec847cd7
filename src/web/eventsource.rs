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
//! Each event's last event ID is read from the browser only when something needs it (see
//! `UnreadId`): a typed handler never sees it, and reading it costs a call per event.
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

/// The last event the browser's `EventSource` delivered, whose last event ID has not been read
/// yet. Reading it is a call into the browser per event, which costs about as much as the
/// rest of an event's way into the machine, and a callback that only decodes an event's data
/// never sees it; so it is read only when something needs it: before any other input to the
/// machine (which may reconnect, and so send it), and when the stream is asked for it.
pub(crate) struct UnreadId(SourceEvent);

impl UnreadId {
    /// The ID, read from the event.
    pub(crate) fn read(self) -> String {
        self.0.last_event_id()
    }
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
                let Some(shared) = weak.upgrade() else { return };
                let e: SourceEvent = e.unchecked_into();
                let data = e.data().unwrap_or_default();
                let reads_id = shared.handlers.reads_id(&owned_type);
                shared.apply_core(|core, now| {
                    // The event's last event ID is read now only for a callback that looks at
                    // it. Otherwise the event is kept and its ID read when something needs it
                    // (see `UnreadId`), and the machine keeps the one it has until then.
                    let last_event_id = if reads_id {
                        core.unread_id = None;
                        e.last_event_id()
                    } else {
                        if core.machine.current() == Some(id) {
                            core.unread_id = Some(UnreadId(e));
                        }
                        core.machine.last_event_id().to_owned()
                    };
                    let event = Event {
                        event_type: owned_type.clone(),
                        data,
                        last_event_id,
                    };
                    core.machine.handle_event(id, event, now);
                });
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
