//! A scenario: what one request to `/sse` asks the server to do, parsed from the query string.
//!
//! Every parameter is validated; an unknown or malformed one is a `400 Bad Request` whose body
//! names it, so a typo in a test fails loudly instead of silently testing the default.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

/// How the text of each event's `data` is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload {
    /// `{"seq":N,"type":"...","text":"event N"}` padded with `pad` to `size` bytes.
    Json,
    /// `event N` as plain text.
    Text,
    /// Three `data:` lines, so the client must join them with LF.
    Multiline,
    /// Typed JSON for the demo, by event type: `news`, `price`, `chat`, `stats`.
    Demo,
}

/// What happens after the last event of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Finish the response cleanly (the terminating chunk is sent).
    Close,
    /// Send half an event, then abort the connection: a network error for the client.
    Drop,
    /// Keep the response open and send nothing more (keep-alives still go out).
    Hold,
    /// Send the next event without the blank line that would end it, then finish the response
    /// cleanly: a stream that ends in the middle of an event.
    Cut,
}

/// Line ends used on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Eol {
    /// `\n`
    Lf,
    /// `\r\n`
    Crlf,
    /// `\r`
    Cr,
}

impl Eol {
    pub fn as_str(self) -> &'static str {
        match self {
            Eol::Lf => "\n",
            Eol::Crlf => "\r\n",
            Eol::Cr => "\r",
        }
    }
}

/// A parsed `/sse` request.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Key of the per-scenario state (request counter and log).
    pub key: String,
    /// Events per connection before `end` happens; `None` means unlimited.
    pub count: Option<u64>,
    /// Id of the last event of the whole stream: a request resuming at or past it gets `204`.
    pub total: Option<u64>,
    /// Pause before each event.
    pub interval: Duration,
    /// Event types, used in turn; empty means unnamed (`message`) events.
    pub types: Vec<String>,
    /// Whether events carry `id:` fields.
    pub ids: bool,
    /// A `retry:` field sent first (as its own block, without data).
    pub retry: Option<u64>,
    /// A comment line sent first.
    pub comment: Option<String>,
    /// Interval of keep-alive comments (`:ka`) while nothing else is sent.
    pub keepalive: Option<Duration>,
    /// How `data` is made.
    pub payload: Payload,
    /// Pad each event's data to about this many bytes.
    pub size: usize,
    /// What happens after `count` events.
    pub end: End,
    /// After this many events of a connection, send nothing for `stall`.
    pub stall_after: Option<u64>,
    /// How long a stall lasts.
    pub stall: Duration,
    /// Send every byte as its own chunk, with this pause between them.
    pub bytewise: Option<Duration>,
    /// Line ends on the wire.
    pub eol: Eol,
    /// Start the stream with a UTF-8 byte order mark.
    pub bom: bool,
    /// Answer with this status (and no stream) ...
    pub status: Option<u16>,
    /// ... or with `200` and this content type ...
    pub content_type: Option<String>,
    /// ... for this many requests of the scenario (all of them when `None`), then recover.
    pub fail_first: Option<u64>,
    /// A `Retry-After` header (seconds) on failing answers.
    pub retry_after: Option<u64>,
    /// Name of the query parameter that carries the last event id when resuming.
    pub resume_param: String,
    /// On a resumed request, start this many events before the resume point: a server that
    /// replays events the client may already have.
    pub replay: u64,
}

/// Why a query was refused.
#[derive(Debug, PartialEq, Eq)]
pub struct BadRequest(pub String);

impl fmt::Display for BadRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

const KNOWN: &[&str] = &[
    "scenario",
    "count",
    "total",
    "interval_ms",
    "event",
    "ids",
    "retry",
    "comment",
    "keepalive_ms",
    "data",
    "size",
    "end",
    "stall_after",
    "stall_ms",
    "bytewise_ms",
    "eol",
    "bom",
    "status",
    "content_type",
    "fail_first",
    "retry_after",
    "resume_param",
    "replay",
    // Cache busters and the like are accepted and ignored.
    "t",
];

/// The largest `size` accepted: enough to test a client's event size limit, small enough that
/// a mistaken query cannot exhaust the server.
pub const MAX_SIZE: usize = 64 * 1024 * 1024;

fn number<T: std::str::FromStr>(
    q: &HashMap<String, String>,
    name: &str,
) -> Result<Option<T>, BadRequest>
where
    T::Err: fmt::Display,
{
    q.get(name)
        .map(|v| {
            v.parse::<T>()
                .map_err(|e| BadRequest(format!("bad parameter `{name}={v}`: {e}")))
        })
        .transpose()
}

fn flag(q: &HashMap<String, String>, name: &str, default: bool) -> Result<bool, BadRequest> {
    match q.get(name).map(String::as_str) {
        None => Ok(default),
        Some("1" | "true" | "") => Ok(true),
        Some("0" | "false") => Ok(false),
        Some(v) => Err(BadRequest(format!(
            "bad parameter `{name}={v}`: expected 1, 0, true or false"
        ))),
    }
}

impl Scenario {
    /// Parses and validates a query string's parameters.
    pub fn parse(q: &HashMap<String, String>) -> Result<Self, BadRequest> {
        let resume_param = q
            .get("resume_param")
            .cloned()
            .unwrap_or_else(|| "lastEventId".to_owned());
        if let Some(unknown) = q
            .keys()
            .find(|k| !KNOWN.contains(&k.as_str()) && **k != resume_param)
        {
            return Err(BadRequest(format!(
                "unknown parameter `{unknown}`; known: {}",
                KNOWN.join(", ")
            )));
        }
        let payload = match q.get("data").map(String::as_str) {
            None | Some("json") => Payload::Json,
            Some("text") => Payload::Text,
            Some("multiline") => Payload::Multiline,
            Some("demo") => Payload::Demo,
            Some(v) => {
                return Err(BadRequest(format!(
                    "bad parameter `data={v}`: expected json, text, multiline or demo"
                )))
            }
        };
        let end = match q.get("end").map(String::as_str) {
            None | Some("close") => End::Close,
            Some("drop") => End::Drop,
            Some("hold") => End::Hold,
            Some("cut") => End::Cut,
            Some(v) => {
                return Err(BadRequest(format!(
                    "bad parameter `end={v}`: expected close, drop, hold or cut"
                )))
            }
        };
        let eol = match q.get("eol").map(String::as_str) {
            None | Some("lf") => Eol::Lf,
            Some("crlf") => Eol::Crlf,
            Some("cr") => Eol::Cr,
            Some(v) => {
                return Err(BadRequest(format!(
                    "bad parameter `eol={v}`: expected lf, crlf or cr"
                )))
            }
        };
        let size = number::<usize>(q, "size")?.unwrap_or(0);
        if size > MAX_SIZE {
            return Err(BadRequest(format!(
                "bad parameter `size={size}`: at most {MAX_SIZE}"
            )));
        }
        let status = number::<u16>(q, "status")?;
        if let Some(s) = status {
            if !(100..=599).contains(&s) || s == 101 {
                return Err(BadRequest(format!(
                    "bad parameter `status={s}`: expected an HTTP status from 100 to 599 other than 101"
                )));
            }
        }
        let types = q
            .get("event")
            .map(|v| v.split(',').map(str::to_owned).collect::<Vec<_>>())
            .unwrap_or_default();
        if types
            .iter()
            .any(|t| t.is_empty() || t.contains(['\r', '\n']))
        {
            return Err(BadRequest(
                "bad parameter `event`: event types must be non-empty and contain no line end"
                    .to_owned(),
            ));
        }
        let comment = q.get("comment").cloned();
        if comment.as_deref().is_some_and(|c| c.contains(['\r', '\n'])) {
            return Err(BadRequest(
                "bad parameter `comment`: must contain no line end".to_owned(),
            ));
        }
        if let Some(ct) = q.get("content_type") {
            if ct.is_empty() || !ct.bytes().all(|b| (0x20..0x7f).contains(&b)) {
                return Err(BadRequest(format!(
                    "bad parameter `content_type={ct}`: expected visible ASCII"
                )));
            }
        }
        let ms = |name: &str| -> Result<Option<Duration>, BadRequest> {
            Ok(number::<u64>(q, name)?.map(Duration::from_millis))
        };
        Ok(Scenario {
            key: q
                .get("scenario")
                .cloned()
                .unwrap_or_else(|| "default".to_owned()),
            count: number(q, "count")?,
            total: number(q, "total")?,
            interval: ms("interval_ms")?.unwrap_or_default(),
            types,
            ids: flag(q, "ids", true)?,
            retry: number(q, "retry")?,
            comment,
            keepalive: ms("keepalive_ms")?.filter(|d| !d.is_zero()),
            payload,
            size,
            end,
            stall_after: number(q, "stall_after")?,
            stall: ms("stall_ms")?.unwrap_or_default(),
            bytewise: ms("bytewise_ms")?,
            eol,
            bom: flag(q, "bom", false)?,
            status,
            content_type: q.get("content_type").cloned(),
            fail_first: number(q, "fail_first")?,
            retry_after: number(q, "retry_after")?,
            resume_param,
            replay: number(q, "replay")?.unwrap_or(0),
        })
    }

    /// The event type of the event with this id.
    pub fn event_type(&self, seq: u64) -> Option<&str> {
        if self.types.is_empty() {
            None
        } else {
            Some(&self.types[(seq as usize - 1) % self.types.len()])
        }
    }

    /// The wire form of the event with id `seq` (ids start at 1).
    pub fn event(&self, seq: u64) -> String {
        let eol = self.eol.as_str();
        let mut out = String::new();
        if let Some(t) = self.event_type(seq) {
            out.push_str("event: ");
            out.push_str(t);
            out.push_str(eol);
        }
        if self.ids {
            out.push_str(&format!("id: {seq}{eol}"));
        }
        let kind = self.event_type(seq).unwrap_or("message");
        match self.payload {
            Payload::Json => {
                let pad_len = self.size.saturating_sub(48 + kind.len());
                let line = serde_json::json!({
                    "seq": seq,
                    "type": kind,
                    "text": format!("event {seq}"),
                    "pad": "x".repeat(pad_len),
                });
                out.push_str(&format!("data: {line}{eol}"));
            }
            Payload::Text => {
                let mut text = format!("event {seq}");
                if self.size > text.len() {
                    let n = self.size - text.len();
                    text.push(' ');
                    text.push_str(&"x".repeat(n.saturating_sub(1)));
                }
                out.push_str(&format!("data: {text}{eol}"));
            }
            Payload::Demo => {
                let line = demo_payload(kind, seq);
                out.push_str(&format!("data: {line}{eol}"));
            }
            Payload::Multiline => {
                out.push_str(&format!(
                    "data: event {seq}{eol}data: line 2{eol}data: line 3{eol}"
                ));
            }
        }
        out.push_str(eol);
        out
    }
}

/// The demo's streamed answer, one word per `token` event.
pub const ANSWER: &[&str] = &[
    "Server-Sent",
    "Events",
    "stream",
    "an",
    "answer",
    "word",
    "by",
    "word",
    "over",
    "one",
    "HTTP",
    "response.",
    "When",
    "the",
    "connection",
    "breaks,",
    "the",
    "client",
    "resumes",
    "after",
    "the",
    "last",
    "event",
    "id,",
    "so",
    "no",
    "word",
    "is",
    "lost",
    "or",
    "repeated.",
];

/// The demo's data: plausible, deterministic values for each kind of live update.
fn demo_payload(kind: &str, seq: u64) -> serde_json::Value {
    const HEADLINES: &[&str] = &[
        "Central bank holds rates steady",
        "Rust 2027 edition enters beta",
        "Heatwave breaks records across the south",
        "Local team wins the cup after extra time",
        "New exoplanet found in the habitable zone",
    ];
    const SYMBOLS: &[&str] = &["ACME", "GLOBX", "INIT", "WASM"];
    const NAMES: &[&str] = &["ana", "bo", "chen", "dara"];
    const MESSAGES: &[&str] = &[
        "deploy is green",
        "who broke the build?",
        "<b>not bold</b>: markup arrives as text",
        "lunch at noon?",
    ];
    // Kinds take turns, so index by the kind's own count, not by `seq` (which would give each
    // kind the same entry every time).
    let i = (seq / 4) as usize;
    match kind {
        "news" => serde_json::json!({
            "seq": seq, "headline": HEADLINES[i % HEADLINES.len()], "text": format!("event {seq}"),
        }),
        "price" => {
            let cents = 10_000 + ((seq * 7_919) % 2_000) as i64 - 1_000;
            serde_json::json!({
                "seq": seq, "symbol": SYMBOLS[i % SYMBOLS.len()], "price": cents as f64 / 100.0,
                "change": (((seq * 31) % 200) as f64 - 100.0) / 100.0, "text": format!("event {seq}"),
            })
        }
        "chat" => serde_json::json!({
            "seq": seq, "from": NAMES[i % NAMES.len()], "message": MESSAGES[i % MESSAGES.len()],
            "text": format!("event {seq}"),
        }),
        // A model's answer, a word per event: `total=ANSWER.len()` ends it with its last word.
        "token" => serde_json::json!({
            "seq": seq, "text": ANSWER[(seq as usize + ANSWER.len() - 1) % ANSWER.len()],
        }),
        "stats" => serde_json::json!({
            "seq": seq, "cpu": (seq * 13) % 100, "memMb": 200 + (seq * 7) % 300,
            "connections": 10 + seq % 20, "text": format!("event {seq}"),
        }),
        _ => serde_json::json!({ "seq": seq, "text": format!("event {seq}") }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> HashMap<String, String> {
        s.split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (k.to_owned(), v.to_owned())
            })
            .collect()
    }

    #[test]
    fn unknown_and_malformed_parameters_are_named() {
        assert!(Scenario::parse(&q("cuont=3"))
            .unwrap_err()
            .0
            .contains("`cuont`"));
        assert!(Scenario::parse(&q("count=x"))
            .unwrap_err()
            .0
            .contains("`count=x`"));
        assert!(Scenario::parse(&q("status=999"))
            .unwrap_err()
            .0
            .contains("status"));
        assert!(Scenario::parse(&q("eol=crcr"))
            .unwrap_err()
            .0
            .contains("eol"));
        assert!(Scenario::parse(&q("size=999999999999"))
            .unwrap_err()
            .0
            .contains("size"));
    }

    #[test]
    fn the_resume_parameter_is_accepted_under_its_chosen_name() {
        assert!(Scenario::parse(&q("resume_param=from&from=3")).is_ok());
        assert!(Scenario::parse(&q("from=3")).is_err());
    }

    #[test]
    fn events_are_deterministic_and_use_the_chosen_line_end() {
        let s = Scenario::parse(&q("event=a,b&data=text&eol=crlf")).unwrap();
        assert_eq!(s.event(1), "event: a\r\nid: 1\r\ndata: event 1\r\n\r\n");
        assert_eq!(s.event(2), "event: b\r\nid: 2\r\ndata: event 2\r\n\r\n");
        let j = Scenario::parse(&q("size=300")).unwrap().event(7);
        assert!(j.starts_with("id: 7\ndata: {\"pad\":\"xx"), "{j}");
        assert!((290..=320).contains(&j.len()), "{}", j.len());
    }
}
