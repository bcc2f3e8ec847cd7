//! `cargo run --example sse_parse`, checked from outside: it prints each event as soon as its
//! bytes arrive, not when stdin closes.
#![cfg(not(target_arch = "wasm32"))]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

fn example() -> std::path::PathBuf {
    // Make sure the binary is current even when only this test was asked for.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let built = Command::new(cargo)
        .args(["build", "--quiet", "--example", "sse_parse"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("cargo runs");
    assert!(built.success(), "the sse_parse example builds");
    // Examples are built next to the test binaries' `deps` folder.
    let exe = std::env::current_exe().expect("the test binary's path");
    let dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target/<profile>");
    dir.join("examples")
        .join(format!("sse_parse{}", std::env::consts::EXE_SUFFIX))
}

#[test]
fn prints_events_as_they_arrive_in_stream_order() {
    let mut child = Command::new(example())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the sse_parse example is built by cargo test");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();

    stdin
        .write_all(b"retry: 1500\n\nevent: price\nid: 3\ndata: {\"usd\":1}\r\n")
        .unwrap();
    stdin.flush().unwrap();
    // stdin is still open: the retry must already be out.
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line, "{\"retry\":1500}\n");

    stdin
        .write_all(b"\r\n: ka\ndata: a\ndata: \"b\"\n\n")
        .unwrap();
    stdin.flush().unwrap();
    line.clear();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(
        line,
        "{\"type\":\"price\",\"data\":\"{\\\"usd\\\":1}\",\"lastEventId\":\"3\"}\n"
    );
    line.clear();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(
        line,
        "{\"type\":\"message\",\"data\":\"a\\n\\\"b\\\"\",\"lastEventId\":\"3\"}\n"
    );

    // An unfinished event at the end is discarded.
    stdin.write_all(b"data: never\n").unwrap();
    drop(stdin);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert_eq!(rest, "");
    assert!(child.wait().unwrap().success());
}
