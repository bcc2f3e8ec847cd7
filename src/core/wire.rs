//! The text that tabs sharing a connection send each other (`web/tabs.rs`): events, states and
//! errors, whole, written as a string of fields.
//!
//! A field is a number (decimal digits, then `;`) or a text (its length in bytes in decimal,
//! `:`, then the text). Each value starts with a number that says which variant it is. Written
//! by hand rather than derived with serde: a derive and a format (postcard) cost the npm package
//! 9 KB gzipped, this 1 KB. Each `match` below is exhaustive, so that a new variant of a core
//! type does not compile until it is written here too; the tests check every one round trips.

use std::time::Duration;

use super::error::{CloseReason, Error};
use super::machine::{PauseReason, State};
use super::parser::Event;

/// Writes fields.
#[derive(Default)]
pub(crate) struct Writer(String);

impl Writer {
    /// The text written.
    pub(crate) fn finish(self) -> String {
        self.0
    }

    pub(crate) fn num(&mut self, n: u64) {
        self.digits(n);
        self.0.push(';');
    }

    pub(crate) fn text(&mut self, s: &str) {
        self.digits(s.len() as u64);
        self.0.push(':');
        self.0.push_str(s);
    }

    /// `n` in decimal, without `core::fmt`.
    fn digits(&mut self, mut n: u64) {
        let mut buf = [0u8; 20];
        let mut i = buf.len();
        loop {
            i -= 1;
            buf[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        for &b in &buf[i..] {
            self.0.push(char::from(b));
        }
    }

    pub(crate) fn event(&mut self, e: &Event) {
        self.text(&e.event_type);
        self.text(&e.data);
        self.text(&e.last_event_id);
    }

    fn duration(&mut self, d: Duration) {
        self.num(d.as_secs());
        self.num(u64::from(d.subsec_nanos()));
    }

    pub(crate) fn state(&mut self, s: &State) {
        match s {
            State::Connecting { attempt } => {
                self.num(0);
                self.num(u64::from(*attempt));
            }
            State::Open => self.num(1),
            State::Reconnecting { attempt, delay } => {
                self.num(2);
                self.num(u64::from(*attempt));
                self.duration(*delay);
            }
            State::Paused { reason } => {
                self.num(3);
                self.num(match reason {
                    PauseReason::Offline => 0,
                    PauseReason::Hidden => 1,
                });
            }
            State::Closed { reason } => {
                self.num(4);
                match reason {
                    CloseReason::UserClosed => self.num(0),
                    CloseReason::ServerRequested => self.num(1),
                    CloseReason::Failed(e) => {
                        self.num(2);
                        self.error(e);
                    }
                    CloseReason::Completed { mid_event } => {
                        self.num(3);
                        self.num(u64::from(*mid_event));
                    }
                }
            }
        }
    }

    pub(crate) fn error(&mut self, e: &Error) {
        match e {
            Error::Network { message } => {
                self.num(0);
                self.text(message);
            }
            Error::Ended => self.num(1),
            Error::HttpStatus {
                status,
                retry_after,
            } => {
                self.num(2);
                self.num(u64::from(*status));
                match retry_after {
                    Some(d) => {
                        self.num(1);
                        self.duration(*d);
                    }
                    None => self.num(0),
                }
            }
            Error::ContentType { content_type } => {
                self.num(3);
                self.text(content_type);
            }
            Error::Refused => self.num(4),
            Error::IdleTimeout { after } => {
                self.num(5);
                self.duration(*after);
            }
            Error::EventTooLarge { limit } => {
                self.num(6);
                self.num(*limit as u64);
            }
            Error::GaveUp { attempts, last } => {
                self.num(7);
                self.num(u64::from(*attempts));
                self.error(last);
            }
            Error::Interrupted {
                events,
                last_event_id,
                cause,
            } => {
                self.num(8);
                self.num(*events);
                self.text(last_event_id);
                self.error(cause);
            }
            Error::Decode {
                event_type,
                data,
                message,
            } => {
                self.num(9);
                self.text(event_type);
                self.text(data);
                self.text(message);
            }
            Error::InvalidOption { option, reason } => {
                self.num(10);
                self.text(option);
                self.text(reason);
            }
        }
    }
}

/// Reads fields; `None` for text that is not what [`Writer`] writes.
pub(crate) struct Reader<'a>(&'a str);

impl<'a> Reader<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Reader(text)
    }

    pub(crate) fn at_end(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn num(&mut self) -> Option<u64> {
        let (n, rest) = self.0.split_once(';')?;
        self.0 = rest;
        n.parse().ok()
    }

    fn small<T: TryFrom<u64>>(&mut self) -> Option<T> {
        T::try_from(self.num()?).ok()
    }

    pub(crate) fn text(&mut self) -> Option<String> {
        let (len, rest) = self.0.split_once(':')?;
        let len: usize = len.parse().ok()?;
        let text = rest.get(..len)?;
        self.0 = &rest[len..];
        Some(text.to_owned())
    }

    pub(crate) fn event(&mut self) -> Option<Event> {
        Some(Event {
            event_type: self.text()?,
            data: self.text()?,
            last_event_id: self.text()?,
        })
    }

    fn duration(&mut self) -> Option<Duration> {
        Some(Duration::new(self.num()?, self.small()?))
    }

    fn flag(&mut self) -> Option<bool> {
        match self.num()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }

    pub(crate) fn state(&mut self) -> Option<State> {
        Some(match self.num()? {
            0 => State::Connecting {
                attempt: self.small()?,
            },
            1 => State::Open,
            2 => State::Reconnecting {
                attempt: self.small()?,
                delay: self.duration()?,
            },
            3 => State::Paused {
                reason: match self.num()? {
                    0 => PauseReason::Offline,
                    1 => PauseReason::Hidden,
                    _ => return None,
                },
            },
            4 => State::Closed {
                reason: match self.num()? {
                    0 => CloseReason::UserClosed,
                    1 => CloseReason::ServerRequested,
                    2 => CloseReason::Failed(self.error()?),
                    3 => CloseReason::Completed {
                        mid_event: self.flag()?,
                    },
                    _ => return None,
                },
            },
            _ => return None,
        })
    }

    pub(crate) fn error(&mut self) -> Option<Error> {
        Some(match self.num()? {
            0 => Error::Network {
                message: self.text()?,
            },
            1 => Error::Ended,
            2 => Error::HttpStatus {
                status: self.small()?,
                retry_after: match self.flag()? {
                    true => Some(self.duration()?),
                    false => None,
                },
            },
            3 => Error::ContentType {
                content_type: self.text()?,
            },
            4 => Error::Refused,
            5 => Error::IdleTimeout {
                after: self.duration()?,
            },
            6 => Error::EventTooLarge {
                limit: self.small()?,
            },
            7 => Error::GaveUp {
                attempts: self.small()?,
                last: Box::new(self.error()?),
            },
            8 => Error::Interrupted {
                events: self.num()?,
                last_event_id: self.text()?,
                cause: Box::new(self.error()?),
            },
            9 => Error::Decode {
                event_type: self.text()?,
                data: self.text()?,
                message: self.text()?,
            },
            10 => {
                // The option names are the crate's own: the name read is one of them, or none.
                let _ = self.text()?;
                Error::InvalidOption {
                    option: "",
                    reason: self.text()?,
                }
            }
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors() -> Vec<Error> {
        let network = Error::Network {
            message: "reset; 3:x ;; \u{1F600}".to_owned(),
        };
        vec![
            network.clone(),
            Error::Ended,
            Error::HttpStatus {
                status: 503,
                retry_after: Some(Duration::from_millis(2500)),
            },
            Error::HttpStatus {
                status: 404,
                retry_after: None,
            },
            Error::ContentType {
                content_type: "text/html; charset=utf-8".to_owned(),
            },
            Error::Refused,
            Error::IdleTimeout {
                after: Duration::new(u64::MAX, 999_999_999),
            },
            Error::EventTooLarge { limit: usize::MAX },
            Error::GaveUp {
                attempts: u32::MAX,
                last: Box::new(Error::GaveUp {
                    attempts: 0,
                    last: Box::new(network.clone()),
                }),
            },
            Error::Interrupted {
                events: u64::MAX,
                last_event_id: String::new(),
                cause: Box::new(Error::Ended),
            },
            Error::Decode {
                event_type: "price".to_owned(),
                data: "{\"a\":\n1}".to_owned(),
                message: "expected value at line 1".to_owned(),
            },
        ]
    }

    fn states() -> Vec<State> {
        let mut states = vec![
            State::Connecting { attempt: 0 },
            State::Connecting { attempt: u32::MAX },
            State::Open,
            State::Reconnecting {
                attempt: 3,
                delay: Duration::from_micros(1_234_567),
            },
            State::Paused {
                reason: PauseReason::Offline,
            },
            State::Paused {
                reason: PauseReason::Hidden,
            },
            State::Closed {
                reason: CloseReason::UserClosed,
            },
            State::Closed {
                reason: CloseReason::ServerRequested,
            },
            State::Closed {
                reason: CloseReason::Completed { mid_event: true },
            },
            State::Closed {
                reason: CloseReason::Completed { mid_event: false },
            },
        ];
        for e in errors() {
            states.push(State::Closed {
                reason: CloseReason::Failed(e),
            });
        }
        states
    }

    #[test]
    fn every_state_and_error_round_trips() {
        for s in states() {
            let mut w = Writer::default();
            w.state(&s);
            let text = w.finish();
            let mut r = Reader::new(&text);
            assert_eq!(r.state().as_ref(), Some(&s), "{text}");
            assert!(r.at_end());
        }
        for e in errors() {
            let mut w = Writer::default();
            w.error(&e);
            let text = w.finish();
            let mut r = Reader::new(&text);
            assert_eq!(r.error().as_ref(), Some(&e), "{text}");
            assert!(r.at_end());
        }
    }

    #[test]
    fn an_invalid_option_round_trips_without_its_name() {
        let mut w = Writer::default();
        w.error(&Error::InvalidOption {
            option: "url",
            reason: "not a URL".to_owned(),
        });
        let text = w.finish();
        let e = Reader::new(&text).error();
        assert_eq!(
            e,
            Some(Error::InvalidOption {
                option: "",
                reason: "not a URL".to_owned()
            })
        );
    }

    #[test]
    fn events_round_trip_in_sequence() {
        let events = [
            Event {
                event_type: "message".to_owned(),
                data: String::new(),
                last_event_id: "7".to_owned(),
            },
            Event {
                event_type: "näws".to_owned(),
                data: "line one\nline two: 12;34".to_owned(),
                last_event_id: String::new(),
            },
        ];
        let mut w = Writer::default();
        w.num(events.len() as u64);
        events.iter().for_each(|e| w.event(e));
        let text = w.finish();
        let mut r = Reader::new(&text);
        let n = r.num().unwrap();
        let read: Vec<Event> = (0..n).map(|_| r.event().unwrap()).collect();
        assert_eq!(read, events);
        assert!(r.at_end());
    }

    #[test]
    fn text_that_is_not_written_by_the_writer_reads_as_none() {
        for bad in ["", "x;", "9", "4:ab", "5;", "0;99:short", "2;503;2;", "11;"] {
            assert_eq!(Reader::new(bad).error(), None, "{bad:?}");
        }
        for bad in [
            "",
            "x;",
            "9",
            "5;",
            "0;99:short",
            "2;503;2;",
            "3;2;",
            "4;7;",
        ] {
            assert_eq!(Reader::new(bad).state(), None, "{bad:?}");
        }
        // A length that falls inside a character.
        assert_eq!(Reader::new("1:\u{e9}").text(), None);
    }
}
