//! What a transport is given: where its inputs go. A transport holds a weak reference to a
//! sink and knows nothing of the stream that owns it, so the modules depend downward only: the
//! stream (`shared`) opens transports, and transports feed a sink.
//!
//! Each transport has a trait of its own for what only it hands over ([`EventSink`],
//! [`BodySink`]): a trait object's table refers to every method of its trait, so one trait for
//! all would put the parser (behind [`BodySink::bytes`]) into a build whose streams all use the
//! browser's `EventSource`.

use std::rc::Weak;

use web_time::Instant;

#[cfg(feature = "eventsource")]
use super::browser::SourceEvent;
use crate::core::machine::{ConnectionId, Machine};

/// The receiving end of a transport: the stream that owns it.
pub(crate) trait Sink {
    /// Gives the machine an input, then acts on what it asks for.
    fn input(&self, f: &mut dyn FnMut(&mut Machine, Instant));

    /// The origin of the response's final URL, after redirects: what events report as theirs.
    fn origin(&self, origin: String);
}

/// The sink of the transport over the browser's `EventSource`.
#[cfg(feature = "eventsource")]
pub(crate) trait EventSink: Sink {
    /// An event of the browser's `EventSource` on connection `id`, as the listener for
    /// `event_type` received it.
    fn source_event(&self, id: ConnectionId, event_type: &str, event: SourceEvent);
}

/// The sink of the transports that parse a body (fetch, and the app's own stream).
#[cfg(feature = "fetch")]
pub(crate) trait BodySink: Sink {
    /// A chunk of the body on connection `id`; returns whether the connection is still
    /// wanted.
    fn bytes(&self, id: ConnectionId, bytes: &[u8]) -> bool;
}

/// Gives the machine an input through `sink`, then acts on what it asks for; returns what
/// `f` returned, or `None` once the stream is gone.
pub(crate) fn input<S: Sink + ?Sized, R>(
    sink: &Weak<S>,
    f: impl FnOnce(&mut Machine, Instant) -> R,
) -> Option<R> {
    let sink = sink.upgrade()?;
    let mut f = Some(f);
    let mut out = None;
    sink.input(&mut |m, now| {
        if let Some(f) = f.take() {
            out = Some(f(m, now));
        }
    });
    out
}

/// Hands the sink the origin of `url`, when it parses (the fetch transport sees the final URL).
#[cfg(feature = "fetch")]
pub(crate) fn origin_of(sink: &Weak<dyn BodySink>, url: &str) {
    if let (Some(sink), Some(origin)) = (sink.upgrade(), super::browser::origin(url)) {
        sink.origin(origin);
    }
}
