//! Reads an event stream on stdin as it arrives and writes one JSON object per line:
//! `{"type":"price","data":"...","lastEventId":"..."}` for each dispatched event and
//! `{"retry":1500}` for each accepted `retry:` field, in stream order.
//!
//! ```sh
//! curl -sN http://127.0.0.1:8080/sse | cargo run --example sse_parse
//! ```
//!
//! Events larger than the limit are reported as `{"error":"..."}` and skipped.

use std::io::{self, Read, Write};

use typed_eventsource::core::parser::{Item, Parser};

fn main() -> io::Result<()> {
    let mut stdin = io::stdin().lock();
    let mut stdout = io::stdout().lock();
    let mut parser = Parser::default();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        // `read` returns what has arrived so far, so events are printed as they come.
        let n = match stdin.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let mut result = Ok(());
        parser.feed(&buf[..n], |item| {
            let line = match item {
                Item::Event(e) => format!(
                    r#"{{"type":{},"data":{},"lastEventId":{}}}"#,
                    quote(&e.event_type),
                    quote(&e.data),
                    quote(&e.last_event_id)
                ),
                Item::Retry(ms) => format!(r#"{{"retry":{ms}}}"#),
                Item::Comment(_) => return,
                Item::TooLarge { limit } => {
                    format!(r#"{{"error":"event larger than {limit} bytes discarded"}}"#)
                }
            };
            if result.is_ok() {
                result = writeln!(stdout, "{line}");
            }
        });
        result?;
        stdout.flush()?;
    }
    Ok(())
}

/// A JSON string literal.
fn quote(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}
