//! Feeds arbitrary bytes, split at arbitrary points, to the parser, and checks what must hold
//! for every input: no panic, the same items however the input is split, no event larger
//! than the limit, and a last event id without NUL.
#![no_main]

use libfuzzer_sys::fuzz_target;
use typed_eventsource::core::parser::{Item, Parser, ParserConfig};

fn parse(config: &ParserConfig, chunks: &[&[u8]]) -> Vec<Item> {
    let mut parser = Parser::new(config.clone());
    let mut items = Vec::new();
    for chunk in chunks {
        parser.feed(chunk, |item| items.push(item));
    }
    parser.finish();
    items
}

fuzz_target!(|input: &[u8]| {
    // The first two bytes choose the size limit and the split stride, the rest is the stream.
    let [limit, stride, stream @ ..] = input else {
        return;
    };
    let config = ParserConfig::default().max_event_size(usize::from(*limit) * 4 + 1);
    let whole = parse(&config, &[stream]);
    let stride = usize::from(*stride).max(1);
    let split: Vec<&[u8]> = stream.chunks(stride).collect();
    let bytewise: Vec<&[u8]> = stream.chunks(1).collect();
    assert_eq!(whole, parse(&config, &split), "split every {stride} bytes");
    assert_eq!(whole, parse(&config, &bytewise), "split into single bytes");
    for item in &whole {
        if let Item::Event(e) = item {
            assert!(e.data.len() <= config.max_event_size);
            assert!(!e.last_event_id.contains('\0'));
        }
    }
});
