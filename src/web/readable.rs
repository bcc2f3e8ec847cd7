//! A stream the app reads itself: [`EventSource::from_readable_stream`](super::EventSource::from_readable_stream),
//! after the WHATWG proposal `EventSource.fromReadableStream()` (whatwg/html#12272). The app
//! does the networking (a `fetch` with its own authentication, a `WebTransport` stream, a
//! file); this crate parses what the stream carries and dispatches it as the fetch transport
//! would. There is no reconnection: a stream cannot be read twice, so its end or its error
//! fails the connection (one error, then `Closed`).
//!
//! The body reading loop is also the fetch transport's.

use std::rc::Weak;

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStream, ReadableStreamDefaultReader};

use super::browser::{js_message, ConnectionToken};
use super::sink::{self, BodySink};
use crate::core::error::Error;
use crate::core::machine::ConnectionId;

/// Reads `reader` to its end into the sink's connection `id`: each chunk (bytes, or a string,
/// which goes in as its UTF-8) is handed to [`BodySink::bytes`], and the end to
/// `Machine::handle_end`. Stops, cancelling the stream, once the connection is no longer
/// wanted. A read that fails (the stream errored, or the request was aborted) is the `Err`.
pub(crate) async fn read_body(
    sink: &Weak<dyn BodySink>,
    id: ConnectionId,
    reader: &ReadableStreamDefaultReader,
) -> Result<(), JsValue> {
    // One buffer for every chunk: the parser keeps what it needs of each.
    let mut bytes = Vec::new();
    loop {
        let chunk = JsFuture::from(reader.read()).await?;
        if Reflect::get(&chunk, &"done".into())?
            .as_bool()
            .unwrap_or(true)
        {
            sink::input(sink, |m, now| m.handle_end(id, now));
            return Ok(());
        }
        let value = Reflect::get(&chunk, &"value".into())?;
        if let Some(text) = value.as_string() {
            bytes.clear();
            bytes.extend_from_slice(text.as_bytes());
        } else if let Some(array) = value.dyn_ref::<Uint8Array>() {
            bytes.resize(array.length() as usize, 0);
            array.copy_to(&mut bytes);
        } else {
            let _ = reader.cancel();
            return Err(js_sys::TypeError::new(
                "a chunk of the stream is neither bytes (a Uint8Array) nor a string",
            )
            .into());
        }
        if sink.upgrade().map(|s| s.bytes(id, &bytes)) != Some(true) {
            let _ = reader.cancel();
            return Ok(());
        }
    }
}

/// The app's stream being read; cancelled when dropped (closed, or the handle dropped).
pub(crate) struct ReadableConnection {
    reader: ReadableStreamDefaultReader,
    _token: ConnectionToken,
}

impl ReadableConnection {
    pub(crate) fn open(
        sink: Weak<dyn BodySink>,
        id: ConnectionId,
        stream: &ReadableStream,
    ) -> Result<Self, Error> {
        if stream.locked() {
            // A reopen after a close, or a stream the app reads elsewhere.
            return Err(Error::Network {
                message: "the stream is locked: it is being read already, and a stream can be \
                          read only once"
                    .to_owned(),
            });
        }
        let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
        let read = reader.clone();
        wasm_bindgen_futures::spawn_local(async move {
            // The stream is the response: it is announced as one, after this task, as the
            // browser announces a connection.
            let go_on = sink::input(&sink, |m, now| {
                m.handle_response(id, 200, Some("text/event-stream"), None, now);
                m.current() == Some(id)
            });
            if go_on != Some(true) {
                let _ = read.cancel();
                return;
            }
            if let Err(e) = read_body(&sink, id, &read).await {
                // After a cancel, this connection is no longer current and this is ignored.
                let error = Error::Network {
                    message: js_message(&e),
                };
                sink::input(&sink, |m, now| m.handle_error(id, error, now));
            }
        });
        Ok(ReadableConnection {
            reader,
            _token: ConnectionToken::new(),
        })
    }
}

impl Drop for ReadableConnection {
    fn drop(&mut self) {
        let _ = self.reader.cancel();
    }
}
