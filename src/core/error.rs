//! Why a connection failed or closed.

use std::time::Duration;

/// What went wrong. Each variant is a cause a user acts on differently.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The connection could not be made or broke off (no network, DNS, TLS, reset, CORS, an
    /// aborted response).
    #[error("network error: {message}")]
    Network {
        /// What the browser said, as far as it says anything.
        message: String,
    },
    /// The server finished its response; a stream is expected to stay open.
    #[error("the server ended the stream")]
    Ended,
    /// The server answered with a status other than 200.
    #[error("the server answered HTTP {status}")]
    HttpStatus {
        /// The HTTP status.
        status: u16,
        /// The `Retry-After` header, when the server sent one in seconds.
        retry_after: Option<Duration>,
    },
    /// The server answered 200 with a content type other than `text/event-stream`.
    #[error("the server answered with content type \"{content_type}\", not text/event-stream")]
    ContentType {
        /// The content type it sent (empty when it sent none).
        content_type: String,
    },
    /// The browser refused the connection. Over the EventSource transport the browser does not
    /// say why: a status other than 200, a content type other than `text/event-stream`, a CORS
    /// failure or a URL scheme other than HTTP(S). (The fetch transport sees the status and
    /// reports [`Error::HttpStatus`] instead; it reports this for a scheme other than HTTP(S),
    /// and for a CORS failure: a cross-origin request that `fetch` rejects, where the browser's
    /// `EventSource` finds that the server refuses the page, which tells it from a lost
    /// network.)
    /// It stops the stream by default, as the browser's own `EventSource` stops.
    #[error("the browser refused the connection (a status other than 200, a content type other than text/event-stream, a CORS failure or a scheme other than HTTP)")]
    Refused,
    /// Nothing (no event, no comment, no byte) arrived for this long, so the connection was
    /// presumed dead and replaced.
    #[error("no data for {} ms: the connection was presumed dead", millis(*after))]
    IdleTimeout {
        /// The idle timeout that passed.
        after: Duration,
    },
    /// An event was larger than the configured limit and was discarded; the stream goes on.
    #[error("an event larger than {limit} bytes was discarded")]
    EventTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The retry policy gave up.
    #[error("gave up after {attempts} reconnection attempts; last failure: {last}")]
    GaveUp {
        /// Reconnection attempts made (all failed).
        attempts: u32,
        /// The last failure.
        last: Box<Error>,
    },
    /// A [one-shot](crate::core::config::MachineConfig::one_shot) stream broke before its end
    /// and is not resumed: how far it got, and why.
    #[error("the stream broke after {events} events (last id \"{last_event_id}\"): {cause}")]
    Interrupted {
        /// Events received before it broke (over all its connections).
        events: u64,
        /// The id of the last of them that had one (empty when none had).
        last_event_id: String,
        /// The failure.
        cause: Box<Error>,
    },
    /// An event's data did not decode into the handler's type. The event is not lost: its type
    /// and raw data are here.
    #[error("could not decode a `{event_type}` event: {message}")]
    Decode {
        /// The event type.
        event_type: String,
        /// The raw data.
        data: String,
        /// What the decoder said.
        message: String,
    },
    /// An option was invalid; nothing was opened.
    #[error("invalid option `{option}`: {reason}")]
    InvalidOption {
        /// The option's name.
        option: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

impl Error {
    /// A short, stable name of the cause, for logs and metrics: the same `kind` the npm
    /// package's `TypedEventSourceError` carries (`"network"`, `"http-status"`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Network { .. } => "network",
            Error::Ended => "ended",
            Error::HttpStatus { .. } => "http-status",
            Error::ContentType { .. } => "content-type",
            Error::Refused => "refused",
            Error::IdleTimeout { .. } => "idle-timeout",
            Error::EventTooLarge { .. } => "event-too-large",
            Error::GaveUp { .. } => "gave-up",
            Error::Interrupted { .. } => "interrupted",
            Error::Decode { .. } => "decode",
            Error::InvalidOption { .. } => "invalid-option",
        }
    }
}

/// Why a stream is closed for good.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// The program closed it (or dropped its handle).
    UserClosed,
    /// The server answered `204 No Content`: the standard's way to say "stop reconnecting".
    ServerRequested,
    /// A failure that the retry policy does not retry, or the policy gave up.
    Failed(Error),
    /// A one-shot stream ([`MachineConfig::one_shot`](crate::core::config::MachineConfig::one_shot))
    /// came to its end. `mid_event`: the end cut an event short (discarded, or dispatched as
    /// [`MachineConfig::dispatch_unfinished`](crate::core::config::MachineConfig::dispatch_unfinished)
    /// asks).
    Completed {
        /// Whether the stream ended in the middle of an event.
        mid_event: bool,
    },
}

impl std::fmt::Display for CloseReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CloseReason::UserClosed => f.write_str("closed by the user"),
            CloseReason::ServerRequested => {
                f.write_str("the server asked the client to stop (204)")
            }
            CloseReason::Failed(e) => write!(f, "failed: {e}"),
            CloseReason::Completed { mid_event: false } => f.write_str("the stream completed"),
            CloseReason::Completed { mid_event: true } => {
                f.write_str("the stream completed in the middle of an event")
            }
        }
    }
}

/// `d` in whole milliseconds, saturating. Unlike [`Duration::as_millis`], whose `u128` would
/// bring 128-bit formatting and conversion code into every wasm build that shows an error.
pub(crate) fn millis(d: Duration) -> u64 {
    d.as_secs()
        .saturating_mul(1000)
        .saturating_add(u64::from(d.subsec_millis()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_milliseconds() {
        let idle = |ms| Error::IdleTimeout {
            after: Duration::from_millis(ms),
        };
        assert_eq!(
            idle(1500).to_string(),
            "no data for 1500 ms: the connection was presumed dead"
        );
        assert!(idle(u64::MAX)
            .to_string()
            .contains(&format!("{} ms", u64::MAX)));
        assert_eq!(millis(Duration::from_micros(2999)), 2);
        assert_eq!(millis(Duration::MAX), u64::MAX);
    }
}
