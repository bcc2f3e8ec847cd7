//! Property tests: however a stream is split into chunks, the parser yields what it yields for
//! the whole stream, and that is what a plain, obviously-correct reading of the standard
//! yields (decode everything, split into lines, apply the rules).
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use typed_eventsource::core::parser::{Event, Item, Parser};

/// The standard read naively, for whole inputs only.
fn reference(input: &[u8]) -> (Vec<Item>, String) {
    let text = String::from_utf8_lossy(input);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut items = Vec::new();
    let (mut data, mut event_type, mut id_buffer, mut last_id) =
        (String::new(), String::new(), String::new(), String::new());
    // Split on CRLF, CR or LF; the text after the last line end is an unfinished line.
    let mut lines = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(['\r', '\n']) {
        lines.push(&rest[..at]);
        let skip = if rest[at..].starts_with("\r\n") { 2 } else { 1 };
        rest = &rest[at + skip..];
    }
    for line in lines {
        if line.is_empty() {
            last_id = id_buffer.clone();
            if !data.is_empty() {
                data.pop();
                let t = if event_type.is_empty() {
                    "message".to_owned()
                } else {
                    event_type.clone()
                };
                items.push(Item::Event(Event {
                    event_type: t,
                    data: std::mem::take(&mut data),
                    last_event_id: last_id.clone(),
                }));
            }
            data.clear();
            event_type.clear();
            continue;
        }
        if let Some(c) = line.strip_prefix(':') {
            items.push(Item::Comment(c.to_owned()));
            continue;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => event_type = value.to_owned(),
            "data" => {
                data.push_str(value);
                data.push('\n');
            }
            "id" if !value.contains('\0') => id_buffer = value.to_owned(),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                items.push(Item::Retry(value.parse().unwrap_or(u64::MAX)))
            }
            _ => {}
        }
    }
    (items, last_id)
}

fn token() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"data".to_vec()),
        Just(b"data: ".to_vec()),
        Just(b"event: ".to_vec()),
        Just(b"id: ".to_vec()),
        Just(b"id".to_vec()),
        Just(b"retry: ".to_vec()),
        Just(b"Data:".to_vec()),
        Just(b":".to_vec()),
        Just(b" ".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\n\n".to_vec()),
        Just(b"\xEF\xBB\xBF".to_vec()),
        Just("€é😀".as_bytes().to_vec()),
        Just(b"\xFF\xE2\x82".to_vec()),
        Just(b"\0".to_vec()),
        Just(b"123".to_vec()),
        "[a-z0-9 ]{1,8}".prop_map(String::into_bytes),
    ]
}

fn stream() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(token(), 0..60).prop_map(|t| t.concat())
}

fn parse_chunks(input: &[u8], cuts: &[usize]) -> (Vec<Item>, String) {
    let mut parser = Parser::default();
    let mut items = Vec::new();
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
    cuts.sort_unstable();
    let mut from = 0;
    for cut in cuts.into_iter().chain([input.len()]) {
        parser.feed(&input[from..cut], |i| items.push(i));
        from = cut;
    }
    (items, parser.last_event_id().to_owned())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    #[test]
    fn any_split_gives_the_same_items_as_the_whole(
        input in stream(),
        cuts in prop::collection::vec(any::<usize>(), 0..12),
    ) {
        let whole = parse_chunks(&input, &[]);
        prop_assert_eq!(parse_chunks(&input, &cuts), whole.clone());
        prop_assert_eq!(whole, reference(&input));
    }

    #[test]
    fn byte_by_byte_is_the_same_as_the_whole(input in stream()) {
        let all: Vec<usize> = (0..=input.len()).collect();
        prop_assert_eq!(parse_chunks(&input, &all), parse_chunks(&input, &[]));
    }
}
