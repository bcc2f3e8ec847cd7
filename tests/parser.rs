//! The parser against the WHATWG standard's own examples and a table of edge cases. Runs
//! natively and, with `cargo xtask test browser`, in the browser too.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use typed_eventsource::core::parser::{Event, Item, Parser, ParserConfig};

fn feed_all(parser: &mut Parser, chunks: &[&[u8]]) -> Vec<Item> {
    let mut items = Vec::new();
    for c in chunks {
        parser.feed(c, |i| items.push(i));
    }
    items
}

fn parse(input: &str) -> Vec<Item> {
    feed_all(&mut Parser::default(), &[input.as_bytes()])
}

fn ev(event_type: &str, data: &str, id: &str) -> Item {
    Item::Event(Event {
        event_type: event_type.to_owned(),
        data: data.to_owned(),
        last_event_id: id.to_owned(),
    })
}

fn msg(data: &str) -> Item {
    ev("message", data, "")
}

// The examples of WHATWG HTML 9.2.5 "Event stream format".

#[test]
fn spec_example_stock_ticker_joins_data_lines_with_lf() {
    assert_eq!(
        parse("data: YHOO\ndata: +2\ndata: 10\n\n"),
        vec![msg("YHOO\n+2\n10")]
    );
}

#[test]
fn spec_example_ids_comments_and_an_unterminated_last_event() {
    let items = parse(
        ": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n",
    );
    assert_eq!(
        items,
        vec![
            Item::Comment(" test stream".to_owned()),
            ev("message", "first event", "1"),
            // "id" alone resets the last event ID to the empty string.
            ev("message", "second event", ""),
            // The third event has no blank line after it, so it is never dispatched.
        ]
    );
}

#[test]
fn spec_example_empty_data_fields() {
    // "The first block fires events with the data set to the empty string, as would the last
    // block if it was followed by a blank line. The middle block fires an event with the data
    // set to a single newline character."
    assert_eq!(
        parse("data\n\ndata\ndata\n\ndata:"),
        vec![msg(""), msg("\n")]
    );
}

#[test]
fn spec_example_one_leading_space_is_removed() {
    assert_eq!(
        parse("data:test\n\ndata: test\n\n"),
        vec![msg("test"), msg("test")]
    );
}

// Edge cases of 9.2.6 "Interpreting an event stream".

#[test]
fn only_one_space_is_removed_after_the_colon() {
    assert_eq!(parse("data:  two\n\n"), vec![msg(" two")]);
}

#[test]
fn all_three_line_ends_are_recognised_and_can_be_mixed() {
    let expected = vec![msg("a\nb"), msg("c")];
    assert_eq!(parse("data: a\rdata: b\r\rdata: c\r\r"), expected);
    assert_eq!(parse("data: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n"), expected);
    assert_eq!(parse("data: a\ndata: b\r\n\rdata: c\n\r\n"), expected);
}

#[test]
fn a_cr_at_the_end_of_a_chunk_and_an_lf_at_the_start_of_the_next_are_one_line_end() {
    let mut p = Parser::default();
    let items = feed_all(&mut p, &[b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"]);
    assert_eq!(items, vec![msg("a\nb")]);
}

#[test]
fn one_leading_bom_is_removed_even_when_split_but_not_a_second() {
    let bom = "\u{feff}";
    assert_eq!(parse(&format!("{bom}data: x\n\n")), vec![msg("x")]);
    let mut p = Parser::default();
    let items = feed_all(&mut p, &[b"\xEF", b"\xBB", b"\xBFdata: y\n\n"]);
    assert_eq!(items, vec![msg("y")]);
    // A second BOM is part of the line, so the field name is "\u{feff}data": ignored.
    assert_eq!(parse(&format!("{bom}{bom}data: x\n\n")), vec![]);
    // A BOM later in the stream is data like any other character.
    assert_eq!(
        parse(&format!("data: {bom}x\n\n")),
        vec![msg(&format!("{bom}x"))]
    );
}

#[test]
fn field_names_are_case_sensitive_and_unknown_fields_ignored() {
    assert_eq!(
        parse("Data: x\nDATA: y\nfoo: z\ndata: w\n\n"),
        vec![msg("w")]
    );
}

#[test]
fn event_type_defaults_to_message_and_resets_after_each_event() {
    assert_eq!(
        parse("event: price\ndata: 1\n\ndata: 2\n\nevent:\ndata: 3\n\n"),
        vec![ev("price", "1", ""), msg("2"), msg("3")]
    );
}

#[test]
fn a_block_without_data_is_not_dispatched_and_its_type_is_forgotten() {
    assert_eq!(parse("event: a\n\ndata: x\n\n"), vec![msg("x")]);
}

#[test]
fn ids_persist_across_events_and_an_id_only_block_still_sets_the_last_event_id() {
    let mut p = Parser::default();
    let items = feed_all(&mut p, &[b"id: 1\ndata: a\n\ndata: b\n\nid: 7\n\n"]);
    assert_eq!(
        items,
        vec![ev("message", "a", "1"), ev("message", "b", "1")]
    );
    assert_eq!(p.last_event_id(), "7");
    // The id takes effect at dispatch, not when the field is read.
    p.feed(b"id: 8\ndata: c\n", |_| {});
    assert_eq!(p.last_event_id(), "7");
}

#[test]
fn an_id_containing_nul_is_ignored() {
    assert_eq!(
        parse("id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n"),
        vec![ev("message", "a", "1"), ev("message", "b", "1")]
    );
}

#[test]
fn retry_is_accepted_only_when_all_ascii_digits() {
    assert_eq!(
        parse("retry: 1500\nretry: 15a\nretry: -1\nretry:\nretry:  20\nretry: 0\nretry: 99999999999999999999999\n"),
        vec![Item::Retry(1500), Item::Retry(0), Item::Retry(u64::MAX)]
    );
}

#[test]
fn a_block_with_only_retry_reports_it() {
    // eventsource-stream drops such blocks; the standard applies the field at once.
    assert_eq!(parse("retry: 10\n\n"), vec![Item::Retry(10)]);
}

#[test]
fn comments_are_reported_without_their_colon() {
    assert_eq!(
        parse(":ka\n: hello\n:\ndata: x\n\n"),
        vec![
            Item::Comment("ka".to_owned()),
            Item::Comment(" hello".to_owned()),
            Item::Comment(String::new()),
            msg("x"),
        ]
    );
}

#[test]
fn a_line_without_a_colon_is_a_field_with_an_empty_value() {
    assert_eq!(parse("data\n\n"), vec![msg("")]);
    assert_eq!(parse("event\ndata\n\n"), vec![msg("")]);
}

#[test]
fn only_the_first_colon_separates_the_field() {
    assert_eq!(parse("data: a: b:c\n\n"), vec![msg("a: b:c")]);
}

#[test]
fn invalid_utf8_becomes_replacement_characters() {
    let mut p = Parser::default();
    let items = feed_all(
        &mut p,
        &[b"data: a\xFFb\xE2\x82\ndata: \xF0\x9F\x98", b"\x80\n\n"],
    );
    assert_eq!(items, vec![msg("a\u{FFFD}b\u{FFFD}\n\u{1F600}")]);
}

#[test]
fn a_utf8_sequence_split_across_chunks_is_decoded_whole() {
    let text = "data: héllo €\n\n".as_bytes();
    for cut in 0..text.len() {
        let mut p = Parser::default();
        let items = feed_all(&mut p, &[&text[..cut], &text[cut..]]);
        assert_eq!(items, vec![msg("héllo €")], "cut at {cut}");
    }
}

#[test]
fn the_unfinished_event_at_the_end_of_the_stream_is_discarded() {
    let mut p = Parser::default();
    let items = feed_all(&mut p, &[b"data: a\n\ndata: b\n"]);
    assert_eq!(items, vec![msg("a")]);
    assert!(p.finish(), "something was pending");
    assert_eq!(
        feed_all(&mut p, &[b"\n"]),
        vec![],
        "the pending data is gone"
    );
    assert!(!p.finish());
}

#[test]
fn restart_discards_the_old_stream_but_keeps_the_last_event_id() {
    let mut p = Parser::default();
    feed_all(&mut p, &[b"id: 5\ndata: a\n\nid: 6\ndata: half"]);
    p.restart();
    assert_eq!(p.last_event_id(), "5");
    assert_eq!(
        feed_all(&mut p, &[b"\xEF\xBB\xBFdata: b\n\n"]),
        vec![ev("message", "b", "5")]
    );
}

#[test]
fn an_event_over_the_limit_is_reported_once_and_the_stream_goes_on() {
    let mut p = Parser::new(ParserConfig::default().max_event_size(10));
    let items = feed_all(
        &mut p,
        &[b"id: 1\ndata: 12345\ndata: 67890\ndata: x\n\nid: 2\ndata: ok\n\n"],
    );
    assert_eq!(
        items,
        vec![Item::TooLarge { limit: 10 }, ev("message", "ok", "2")]
    );
}

#[test]
fn a_huge_line_is_dropped_without_being_buffered() {
    let limit = 1024;
    let mut p = Parser::new(ParserConfig::default().max_event_size(limit));
    let mut items = Vec::new();
    p.feed(b"data: ", |i| items.push(i));
    let chunk = vec![b'x'; 100];
    for _ in 0..10_000 {
        p.feed(&chunk, |i| items.push(i));
    }
    p.feed(b"\n\ndata: after\n\n", |i| items.push(i));
    assert_eq!(items, vec![Item::TooLarge { limit }, msg("after")]);
    // A huge comment is dropped too, but spoils nothing.
    let mut items = Vec::new();
    p.feed(b":", |i| items.push(i));
    for _ in 0..100 {
        p.feed(&chunk, |i| items.push(i));
    }
    p.feed(b"\ndata: y\n\n", |i| items.push(i));
    assert_eq!(items, vec![msg("y")]);
}

#[test]
fn an_event_exactly_at_the_limit_is_kept() {
    // The limit is on the data as dispatched: LFs between lines count, the last one does not.
    let mut p = Parser::new(ParserConfig::default().max_event_size(6));
    let items = feed_all(
        &mut p,
        &[b"data: abcdef

data: abc
data: de

data: abc
data: def

data: abcdefg

"],
    );
    assert_eq!(
        items,
        vec![
            msg("abcdef"),
            msg("abc\nde"),
            Item::TooLarge { limit: 6 },
            Item::TooLarge { limit: 6 },
        ]
    );
}

/// Found by the fuzz target: a line at the size limit was judged differently when it arrived
/// in pieces, because the pieces counted the leading BOM and missed the comment's colon.
#[test]
fn a_long_line_after_a_bom_is_judged_the_same_whole_or_split() {
    let config = ParserConfig::default().max_event_size(4);
    for stream in [
        &b"\xEF\xBB\xBF: a comment longer than the limit\ndata: ok\n\n"[..],
        &b": another long comment, no BOM this time\ndata: ok\n\n"[..],
        &b"\xEF\xBB\xBFdata: 01234567890123456789\n\ndata: ok\n\n"[..],
    ] {
        let whole = feed_all(&mut Parser::new(config.clone()), &[stream]);
        let bytewise: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(
            feed_all(&mut Parser::new(config.clone()), &bytewise),
            whole,
            "{:?}",
            String::from_utf8_lossy(stream)
        );
        assert_eq!(whole.last(), Some(&msg("ok")));
    }
}
