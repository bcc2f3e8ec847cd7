//! The event stream parser: bytes in, events out.
//!
//! This follows the WHATWG HTML standard, section 9.2.6 "Interpreting an event stream", step
//! by step; the quoted sentences below are the standard's. It is incremental (feed chunks of any
//! size, split anywhere), linear in its input (each byte is scanned a fixed number of times and
//! copied at most twice, however long a line is and however finely it is split), and bounded:
//! no line and no event grows past [`ParserConfig::max_event_size`].

use std::borrow::Cow;

/// One event, as the standard dispatches it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Event {
    /// The event type: the last `event:` field of the block, or `message` when there was none.
    pub event_type: String,
    /// The `data:` lines of the block joined with LF (the last LF removed).
    pub data: String,
    /// The stream's last event ID string at the time the event was dispatched.
    pub last_event_id: String,
}

/// What the parser reports, in stream order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A dispatched event.
    Event(Event),
    /// A `retry:` field whose value was all ASCII digits: the new reconnection time in
    /// milliseconds (saturating at `u64::MAX`).
    Retry(u64),
    /// A comment line, without its leading colon. Servers send these as keep-alives.
    Comment(String),
    /// A line or an event grew past the size limit; its event is discarded, and parsing goes
    /// on with the next event.
    TooLarge {
        /// The limit in bytes that was passed.
        limit: usize,
    },
}

/// Parser settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParserConfig {
    /// The largest event, in bytes of its `data` (and the longest line), that the parser keeps.
    ///
    /// Default: 4 MiB. Large enough for any event a page should receive in one piece, small
    /// enough that a runaway or hostile stream cannot make a tab hold gigabytes.
    pub max_event_size: usize,
}

impl Default for ParserConfig {
    fn default() -> Self {
        ParserConfig {
            max_event_size: DEFAULT_MAX_EVENT_SIZE,
        }
    }
}

impl ParserConfig {
    /// Sets [`ParserConfig::max_event_size`].
    pub fn max_event_size(mut self, bytes: usize) -> Self {
        self.max_event_size = bytes;
        self
    }
}

/// The default [`ParserConfig::max_event_size`]: 4 MiB.
pub const DEFAULT_MAX_EVENT_SIZE: usize = 4 * 1024 * 1024;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The largest data buffer [`Parser::feed_recycling`] keeps for the next event.
const RECYCLED_DATA_CAPACITY: usize = 64 * 1024;

/// An incremental, spec-exact event stream parser.
///
/// ```
/// use typed_eventsource::core::parser::{Item, Parser};
///
/// let mut parser = Parser::default();
/// let mut items = Vec::new();
/// // The stream may be split anywhere, even inside a CRLF.
/// parser.feed(b"event: price\r", |i| items.push(i));
/// parser.feed(b"\nid: 7\ndata: {\"usd\":", |i| items.push(i));
/// parser.feed(b"1}\n\n", |i| items.push(i));
/// let Item::Event(event) = &items[0] else { panic!() };
/// assert_eq!((event.event_type.as_str(), event.data.as_str()), ("price", "{\"usd\":1}"));
/// assert_eq!(event.last_event_id, "7");
/// ```
#[derive(Debug, Clone, Default)]
pub struct Parser {
    config: ParserConfig,
    /// The start of a line whose end has not arrived yet.
    line: Vec<u8>,
    /// The line being received is too long: its bytes are dropped until its end.
    skipping_line: bool,
    /// The event being received is too large: its fields are ignored until the blank line.
    skipping_event: bool,
    /// The previous chunk ended with CR: an LF at the start of the next one belongs to it.
    after_cr: bool,
    /// Whether the stream's first line (which may start with a BOM) has been seen.
    started: bool,
    data: String,
    event_type: String,
    /// The standard's "last event ID buffer".
    id_buffer: String,
    /// The standard's "last event ID string" of the event source.
    last_event_id: String,
    /// An event handed back by [`Parser::feed_recycling`]'s consumer: its buffers are reused.
    spare: Option<Event>,
}

impl Parser {
    /// A parser with these settings.
    pub fn new(config: ParserConfig) -> Self {
        Parser {
            config,
            ..Parser::default()
        }
    }

    /// The settings.
    pub fn config(&self) -> &ParserConfig {
        &self.config
    }

    /// The event source's last event ID string: the id of the last event block dispatched
    /// (with or without data), which a reconnection sends as `Last-Event-ID`.
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// Sets the last event ID string, as when resuming from an id stored elsewhere.
    pub fn set_last_event_id(&mut self, id: impl Into<String>) {
        self.last_event_id = id.into();
        self.id_buffer.clone_from(&self.last_event_id);
    }

    /// Starts a new stream (a new connection's response body): whatever was pending from the
    /// old one is discarded, and the last event ID carries over.
    ///
    /// The standard initializes a new stream's last event ID buffer to the empty string, so an
    /// event without an `id:` field on a new connection would clear the id; browsers (Chromium,
    /// Firefox) carry the id over instead, and so does this parser.
    pub fn restart(&mut self) {
        self.finish();
        self.started = false;
    }

    /// The stream ended. "Once the end of the file is reached, any pending data must be
    /// discarded. (If the file ends in the middle of an event, before the final empty line, the
    /// incomplete event is not dispatched.)" Returns whether anything was discarded.
    pub fn finish(&mut self) -> bool {
        let pending = !self.line.is_empty() || !self.data.is_empty() || !self.event_type.is_empty();
        self.line.clear();
        self.data.clear();
        self.event_type.clear();
        self.skipping_line = false;
        self.skipping_event = false;
        self.after_cr = false;
        self.id_buffer.clone_from(&self.last_event_id);
        pending
    }

    /// The stream ended, and an event it cut short is dispatched rather than discarded (as
    /// several model APIs' clients do): a partial last line is taken as a whole line, then the
    /// event as if the blank line had come. Returns whether anything was pending.
    pub fn flush(&mut self, emit: impl FnMut(Item)) -> bool {
        let completion = self.completion();
        if let Some(bytes) = completion {
            self.feed(bytes, emit);
        }
        self.finish();
        completion.is_some()
    }

    /// What completes an event the stream's end cut short, fed as if the stream had gone on:
    /// a line end for a partial last line, then the blank line. `None` when nothing is pending.
    pub(crate) fn completion(&mut self) -> Option<&'static [u8]> {
        let pending = !self.line.is_empty() || !self.data.is_empty() || !self.event_type.is_empty();
        if !pending {
            return None;
        }
        // A CR just before the end is a line end of its own, not half of a CRLF.
        self.after_cr = false;
        Some(if self.line.is_empty() && !self.skipping_line {
            b"\n"
        } else {
            b"\n\n"
        })
    }

    /// Feeds the next bytes of the stream; `emit` receives what they complete, in order.
    pub fn feed(&mut self, chunk: &[u8], mut emit: impl FnMut(Item)) {
        self.feed_recycling(chunk, |item| {
            emit(item);
            None
        });
    }

    /// Like [`Parser::feed`], but `emit` may hand an event back once done with it, and the
    /// parser builds later events in its buffers: a consumer that copies each event somewhere
    /// else leaves the parser allocating nothing per event.
    pub(crate) fn feed_recycling(
        &mut self,
        mut chunk: &[u8],
        mut emit: impl FnMut(Item) -> Option<Event>,
    ) {
        if self.after_cr && !chunk.is_empty() {
            self.after_cr = false;
            if chunk[0] == b'\n' {
                chunk = &chunk[1..];
            }
        }
        // Checked when the first line that starts in this chunk ends in it (a line begun in
        // an earlier chunk may end in a part of a character).
        let mut checked = None;
        let mut pos = 0;
        // "Lines must be separated by either a U+000D CARRIAGE RETURN U+000A LINE FEED (CRLF)
        // character pair, a single U+000A LINE FEED (LF) character, or a single U+000D CARRIAGE
        // RETURN (CR) character."
        while let Some(found) = memchr::memchr2(b'\r', b'\n', &chunk[pos..]) {
            let at = pos + found;
            if self.skipping_line {
                self.skipping_line = false;
            } else if self.line.is_empty() {
                let text = checked
                    .get_or_insert_with(|| Self::checked_text(chunk, pos))
                    .and_then(|(from, text)| text.get(pos - from..at - from));
                self.line_complete(&chunk[pos..at], text, &mut emit);
            } else {
                let mut line = std::mem::take(&mut self.line);
                line.extend_from_slice(&chunk[pos..at]);
                self.line_complete(&line, None, &mut emit);
                line.clear();
                self.line = line;
            }
            let crlf = chunk[at] == b'\r' && chunk.get(at + 1) == Some(&b'\n');
            if chunk[at] == b'\r' && at + 1 == chunk.len() {
                self.after_cr = true;
            }
            pos = at + 1 + usize::from(crlf);
        }
        chunk = &chunk[pos..];
        if !chunk.is_empty() && !self.skipping_line {
            let bom = self.pending_bom(chunk);
            if self.line.len() + chunk.len() - bom > self.line_limit() {
                // Judge the line by its first byte after any BOM, as a whole line would be.
                let comment = self.line.iter().chain(chunk).nth(bom) == Some(&b':');
                self.line_too_long(comment, &mut emit);
            } else {
                self.line.extend_from_slice(chunk);
            }
        }
    }

    /// The chunk's lines from `start` to its last line end as text, checked as UTF-8 in one
    /// pass rather than line by line (each short line would be a call of its own), with its
    /// offset in the chunk; `None` when they hold bytes that are not UTF-8, and are then
    /// decoded one by one.
    fn checked_text(chunk: &[u8], start: usize) -> Option<(usize, &str)> {
        let end = memchr::memrchr2(b'\r', b'\n', chunk)?;
        let text = std::str::from_utf8(chunk.get(start..end)?).ok()?;
        Some((start, text))
    }

    /// A line may carry the field name, a colon and a space besides an event's worth of data.
    fn line_limit(&self) -> usize {
        self.config.max_event_size.saturating_add(16)
    }

    /// How many bytes at the start of the pending line (`self.line` then `chunk`) are the
    /// stream's leading BOM, which does not count towards the line's length.
    fn pending_bom(&self, chunk: &[u8]) -> usize {
        if self.started {
            return 0;
        }
        let start = self.line.iter().chain(chunk).take(BOM.len());
        if start.eq(BOM.iter()) {
            BOM.len()
        } else {
            0
        }
    }

    fn line_too_long(&mut self, comment: bool, emit: &mut impl FnMut(Item) -> Option<Event>) {
        // A comment that is too long costs nothing but its own bytes; any other line spoils its
        // event. The skipped line is still the stream's first line if it was.
        self.started = true;
        self.line = Vec::new();
        self.skipping_line = true;
        if !comment {
            self.spoil_event(emit);
        }
    }

    fn spoil_event(&mut self, emit: &mut impl FnMut(Item) -> Option<Event>) {
        if !self.skipping_event {
            emit(Item::TooLarge {
                limit: self.config.max_event_size,
            });
        }
        self.skipping_event = true;
        self.data = String::new();
    }

    /// Handles one line; `text` is the line as text when [`Parser::checked_text`] has checked it.
    fn line_complete(
        &mut self,
        mut line: &[u8],
        text: Option<&str>,
        emit: &mut impl FnMut(Item) -> Option<Event>,
    ) {
        if !self.started {
            self.started = true;
            // "One leading U+FEFF BYTE ORDER MARK character must be ignored if any are present."
            line = line.strip_prefix(BOM).unwrap_or(line);
        }
        // "If the line is empty (a blank line): Dispatch the event."
        if line.is_empty() {
            return self.dispatch(emit);
        }
        if line.len() > self.line_limit() {
            if line[0] != b':' {
                self.spoil_event(emit);
            }
            return;
        }
        // "If the line starts with a U+003A COLON character (:): Ignore the line." We report it.
        if line[0] == b':' {
            emit(Item::Comment(decode_end(text, &line[1..]).into_owned()));
            return;
        }
        // "If the line contains a U+003A COLON character (:): Collect the characters on the line
        // before the first U+003A COLON character (:), and let field be that string. Collect the
        // characters on the line after the first U+003A COLON character (:), and let value be
        // that string. If value starts with a U+0020 SPACE character, remove it from value."
        // "Otherwise, the string is not empty but does not contain a U+003A COLON character (:):
        // Process the field using the whole line as the field name, and the empty string as the
        // field value."
        let (field, value) = match memchr::memchr(b':', line) {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        // Field names are compared byte for byte: they are case-sensitive, and UTF-8 decoding
        // never turns other bytes into these ASCII names.
        match field {
            // "If the field name is "event": Set the event type buffer to field value."
            b"event" if !self.skipping_event => {
                self.event_type = decode_end(text, value).into_owned()
            }
            // "If the field name is "data": Append the field value to the data buffer, then
            // append a single U+000A LINE FEED (LF) character to the data buffer."
            b"data" if !self.skipping_event => {
                let value = decode_end(text, value);
                if self.data.len() + value.len() > self.config.max_event_size {
                    return self.spoil_event(emit);
                }
                // One allocation for the usual single-line event, not one per push.
                self.data.reserve(value.len() + 1);
                self.data.push_str(&value);
                self.data.push('\n');
            }
            // "If the field name is "id": If the field value does not contain U+0000 NULL, then
            // set the last event ID buffer to the field value. Otherwise, ignore the field."
            b"id" if !self.skipping_event && !value.contains(&0) => {
                self.id_buffer.clear();
                self.id_buffer.push_str(&decode_end(text, value));
            }
            // "If the field name is "retry": If the field value consists of only ASCII digits,
            // then interpret the field value as an integer in base ten, and set the event
            // stream's reconnection time to that integer. Otherwise, ignore the field."
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                let ms = value.iter().fold(0u64, |n, d| {
                    n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
                });
                emit(Item::Retry(ms));
            }
            // "Otherwise: The field is ignored."
            _ => {}
        }
    }

    fn dispatch(&mut self, emit: &mut impl FnMut(Item) -> Option<Event>) {
        // "1. Set the last event ID string of the event source to the value of the last event ID
        // buffer. The buffer does not get reset, so the last event ID string of the event source
        // remains set to this value until the next time it is set by the server."
        if self.skipping_event {
            // A spoiled event is not dispatched; its id is not applied either, because its
            // fields were not read.
            self.skipping_event = false;
            self.event_type.clear();
            self.id_buffer.clone_from(&self.last_event_id);
            return;
        }
        self.last_event_id.clone_from(&self.id_buffer);
        // "2. If the data buffer is an empty string, set the data buffer and the event type
        // buffer to the empty string and return."
        if self.data.is_empty() {
            self.event_type.clear();
            return;
        }
        // "3. If the data buffer's last character is a U+000A LINE FEED (LF) character, then
        // remove the last character from the data buffer."
        let mut data = std::mem::take(&mut self.data);
        if data.ends_with('\n') {
            data.pop();
        }
        // "4. Let event be the result of creating an event using MessageEvent ... Initialize
        // event's type attribute to "message", its data attribute to data, ... and its
        // lastEventId attribute to the last event ID string of the event source."
        // "5. If the event type buffer has a value other than the empty string, change the type
        // of the newly created event to equal the value of the event type buffer."
        let (mut event_type, mut last_event_id) = match self.spare.take() {
            Some(e) => (e.event_type, e.last_event_id),
            None => (String::new(), String::new()),
        };
        if self.event_type.is_empty() {
            event_type.push_str("message");
        } else {
            event_type = std::mem::take(&mut self.event_type);
        }
        last_event_id.clone_from(&self.last_event_id);
        // "6. Set the data buffer and the event type buffer to the empty string."
        let back = emit(Item::Event(Event {
            event_type,
            data,
            last_event_id,
        }));
        if let Some(mut back) = back {
            // The data buffer is empty here: the next event's data goes into the old one's,
            // unless that one is large (freed now: a rare big event should not pin its memory).
            let mut data = std::mem::take(&mut back.data);
            if data.capacity() <= RECYCLED_DATA_CAPACITY {
                data.clear();
                self.data = data;
            }
            back.event_type.clear();
            self.spare = Some(back);
        }
    }
}

/// "Streams must be decoded using the UTF-8 decode algorithm." Decoding line by line is the
/// same as decoding the whole stream: CR and LF never occur inside a UTF-8 sequence, and an
/// incomplete sequence before a line end becomes one U+FFFD either way.
fn decode(bytes: &[u8]) -> Cow<'_, str> {
    // Valid UTF-8 (nearly every line) takes the standard library's fast validation; only a
    // line with bad bytes pays for the lossy walk.
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// The text of `end`, the end of a line whose text is `line` if it was checked already (cut
/// from it then, without a second check), else decoded.
fn decode_end<'a>(line: Option<&'a str>, end: &'a [u8]) -> Cow<'a, str> {
    match line.and_then(|t| t.get(t.len().checked_sub(end.len())?..)) {
        Some(text) => Cow::Borrowed(text),
        None => decode(end),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `stream`, handing every event back, and returns the events.
    fn recycle_all(p: &mut Parser, stream: &[u8]) -> Vec<Event> {
        let mut got = Vec::new();
        p.feed_recycling(stream, |item| match item {
            Item::Event(e) => {
                got.push(e.clone());
                Some(e)
            }
            _ => None,
        });
        got
    }

    #[test]
    fn recycling_keeps_a_small_data_buffer_and_frees_a_large_one() {
        let mut p = Parser::default();
        recycle_all(&mut p, b"data: small\n\n");
        assert!(p.data.capacity() > 0, "the small buffer is reused");
        let big = format!("data: {}\n\n", "x".repeat(RECYCLED_DATA_CAPACITY + 1));
        let got = recycle_all(&mut p, big.as_bytes());
        assert_eq!(got[0].data.len(), RECYCLED_DATA_CAPACITY + 1);
        let held = p.data.capacity() + p.spare.as_ref().map_or(0, |e| e.data.capacity());
        assert!(
            held <= RECYCLED_DATA_CAPACITY,
            "{held} bytes held after a large event"
        );
    }
}
