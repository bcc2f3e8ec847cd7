//! What a transport is given: where its inputs go. A transport holds a `Weak<dyn Sink>` and
//! knows nothing of the stream that owns it, so the modules depend downward only: the stream
//! (`shared`) opens transports, and transports feed a sink.

use std::rc::Weak;

use web_time::Instant;

#[cfg(feature = "eventsource")]
use super::browser::SourceEvent;
use crate::core::machine::{ConnectionId, Machine};

/// The receiving end of a transport: the stream that owns it.
pub(crate) trait Sink {
    /// Gives the machine an input, then acts on what it asks for.
    fn input(&self, f: &mut dyn FnMut(&mut Machine, Instant));

    /// An event of the browser's `EventSource` on connection `id`, as the listener for
    /// `event_type` received it.
    #[cfg(feature = "eventsource")]
    fn source_event(&self, id: ConnectionId, event_type: &str, event: SourceEvent);

    /// A chunk of the fetch transport's body on connection `id`; returns whether the
    /// connection is still wanted.
    #[cfg(feature = "fetch")]
    fn bytes(&self, id: ConnectionId, bytes: &[u8]) -> bool;

    /// The origin of the response's final URL, after redirects: what events report as theirs.
    fn origin(&self, origin: String);
}

/// Gives the machine an input through `sink`, then acts on what it asks for; returns what
/// `f` returned, or `None` once the stream is gone.
pub(crate) fn input<R>(
    sink: &Weak<dyn Sink>,
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
pub(crate) fn origin_of(sink: &Weak<dyn Sink>, url: &str) {
    if let (Some(sink), Ok(url)) = (sink.upgrade(), web_sys::Url::new(url)) {
        sink.origin(url.origin());
    }
}
