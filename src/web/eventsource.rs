//! The transport over the browser's own `EventSource`: the browser connects and parses, this
//! crate decides when to reconnect.
//!
//! The browser reconnects by itself when a stream ends or breaks, after its reconnection time
//! (the server's `retry:`, or 3 s in Chromium), sending the last event id in a
//! `Last-Event-ID` header, forever, and never tells why. This transport lets it do so when a
//! stream that was open breaks, when the retry policy retries (the rules are
//! `Machine::handle_error_reconnecting`'s): that reconnection is exactly the browser's, so it
//! resumes and honours `retry:` as the browser's does. When that reconnection fails too (the
//! back-off now wants waits of its own), the browser's object is closed and the core applies
//! the back-off policy, then asks for a new connection: a new `EventSource`, which cannot be
//! given a `Last-Event-ID` header, so its URL carries the last event id in a query parameter
//! when [`Builder::last_event_id_param`] names one. With that parameter set, the browser is
//! never left to reconnect by itself (its reconnection would repeat the first URL's
//! parameter): every reconnection is a new `EventSource`.
//!
//! What the browser still does by itself: it parses the stream (so `retry:` fields and comments
//! never reach this crate, and [`Builder::max_event_size`] does not apply), and it hides the
//! status and content type of a refused response (a status other than 200, a content type
//! other than `text/event-stream`), which arrives as [`Error::Refused`] and stops the stream
//! by default, as the browser's does.
//!
//! Each event's last event ID is read from the browser only when something needs it (the
//! stream keeps the event, see `Sink::source_event`): a typed handler never sees it, and
//! reading it costs a call per event.
//!
//! [`Builder::last_event_id_param`]: super::Builder::last_event_id_param
//! [`Builder::max_event_size`]: super::Builder::max_event_size

use std::cell::Cell;
use std::rc::{Rc, Weak};

use wasm_bindgen::JsCast;
use web_sys::{EventSourceInit, MessageEvent};

use super::browser::{ConnectionToken, Listener, SourceEvent};
use super::sink::{self, EventSink};
use crate::core::error::Error;
use crate::core::machine::ConnectionId;

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
    sink: Weak<dyn EventSink>,
    /// Whether the origin of this connection's events has been read (once per connection:
    /// it is one more call into the browser).
    origin_read: Rc<Cell<bool>>,
    _token: ConnectionToken,
}

impl EsConnection {
    pub(crate) fn open(
        sink: Weak<dyn EventSink>,
        id: ConnectionId,
        url: &str,
        with_credentials: bool,
        native_reconnect: bool,
        event_types: &[String],
    ) -> Result<Self, Error> {
        let init = EventSourceInit::new();
        init.set_with_credentials(with_credentials);
        let source = super::browser::open_event_source(url, &init).map_err(|e| Error::Network {
            message: super::browser::js_message(&e),
        })?;
        let token = ConnectionToken::new();
        let mut listeners = Vec::with_capacity(event_types.len() + 3);
        {
            let sink = sink.clone();
            listeners.push(Listener::new(&source, "open", move |e| {
                if from_server(&e) {
                    return;
                }
                sink::input(&sink, |m, now| {
                    m.handle_response(id, 200, Some("text/event-stream"), None, now)
                });
            }));
        }
        {
            let sink = sink.clone();
            let source2 = source.clone();
            listeners.push(Listener::new(&source, "error", move |e| {
                if from_server(&e) {
                    return;
                }
                // CLOSED: the browser refused the response and gives up. CONNECTING: the
                // stream ended or broke and the browser reconnects on its own schedule, which
                // the machine allows or not (see `Machine::handle_error_reconnecting`); when it
                // does not, the machine aborts this connection, which closes the browser's.
                if source2.ready_state() == web_sys::EventSource::CLOSED {
                    sink::input(&sink, |m, now| m.handle_error(id, Error::Refused, now));
                    return;
                }
                let error = Error::Network {
                    message: "the EventSource connection was lost".to_owned(),
                };
                let kept = sink::input(&sink, |m, now| {
                    if native_reconnect {
                        m.handle_error_reconnecting(id, error, now)
                    } else {
                        m.handle_error(id, error, now);
                        false
                    }
                });
                if kept != Some(true) {
                    source2.close();
                }
            }));
        }
        let mut connection = EsConnection {
            source,
            listeners,
            id,
            sink,
            origin_read: Rc::new(Cell::new(false)),
            _token: token,
        };
        connection.listen("message");
        for t in event_types.iter().filter(|t| *t != "message") {
            connection.listen(t);
        }
        Ok(connection)
    }

    /// Listens for events of this type too (a handler for a new type other than `message` was
    /// added).
    pub(crate) fn listen(&mut self, event_type: &str) {
        let sink = self.sink.clone();
        let id = self.id;
        let owned_type = event_type.to_owned();
        let origin_read = self.origin_read.clone();
        // Only `open` and `error` can be the browser's own; an event of any other type is the
        // server's and is not checked (a check is one more call into JavaScript per event).
        let check = matches!(event_type, "open" | "error");
        self.listeners
            .push(Listener::new(&self.source, event_type, move |e| {
                if check && !from_server(&e) {
                    return;
                }
                let Some(sink) = sink.upgrade() else { return };
                let e: SourceEvent = e.unchecked_into();
                if !origin_read.replace(true) {
                    sink.origin(e.origin());
                }
                sink.source_event(id, &owned_type, e);
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
