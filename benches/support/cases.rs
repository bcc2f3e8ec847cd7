//! The parser benchmark's inputs, shared by the native criterion benchmark (`benches/parser.rs`)
//! and the same cases compiled to WebAssembly (`benches/wasm-parser`), so that both measure
//! the same bytes fed in the same chunks.

use typed_eventsource::core::parser::{Item, Parser, ParserConfig};

/// One input: a byte stream and the chunk size it is fed in.
pub struct Case {
    pub name: &'static str,
    pub stream: Vec<u8>,
    pub chunk: usize,
}

/// 20,000 JSON events of about 110 bytes with `event:` and `id:` fields, in 4 KiB chunks.
pub fn small_json_events() -> Case {
    let mut s = Vec::new();
    for i in 0..20_000 {
        s.extend_from_slice(
            format!(
                "event: price\nid: {i}\ndata: {{\"symbol\":\"ACME\",\"price\":{}.{:02},\"seq\":{i},\"venue\":\"XNAS\"}}\n\n",
                100 + i % 50,
                i % 100
            )
            .as_bytes(),
        );
    }
    Case {
        name: "small JSON events (~110 B), 4 KiB chunks",
        stream: s,
        chunk: 4096,
    }
}

/// 64 events of 64 KiB, in 16 KiB chunks.
pub fn large_events() -> Case {
    let mut s = Vec::new();
    let payload = "x".repeat(64 * 1024);
    for i in 0..64 {
        s.extend_from_slice(format!("id: {i}\ndata: {payload}\n\n").as_bytes());
    }
    Case {
        name: "large events (64 KiB), 16 KiB chunks",
        stream: s,
        chunk: 16 * 1024,
    }
}

/// A single `data:` line of `mib` MiB, in 1 KiB chunks.
pub fn huge_line(mib: usize) -> Case {
    let mut s = b"data: ".to_vec();
    s.extend(std::iter::repeat_n(b'y', mib * 1024 * 1024));
    s.extend_from_slice(b"\n\n");
    Case {
        name: "one huge line, 1 KiB chunks",
        stream: s,
        chunk: 1024,
    }
}

/// Feeds `case` to this crate's parser in its chunks; returns the bytes of data it dispatched.
pub fn ours(case: &Case) -> usize {
    let mut parser = Parser::new(ParserConfig::default().max_event_size(16 * 1024 * 1024));
    let mut n = 0;
    for chunk in case.stream.chunks(case.chunk) {
        parser.feed(chunk, |item| {
            if let Item::Event(e) = item {
                n += e.data.len();
            }
        });
    }
    n
}
