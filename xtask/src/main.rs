//! typed-eventsource's task runner. `cargo xtask <task>`:
//!
//! - `setup`: installs what is missing (wasm target, wasm-bindgen CLI at the pinned version,
//!   Chromium and ChromeDriver, the npm tools) and nothing else; a second run installs nothing.
//! - `demo [--port N]`: builds the wasm package and serves the live demo.
//! - `test`: formatting, clippy (host and wasm32), docs, native tests (with the README's
//!   examples and the crate as it would be published), browser tests against the real server,
//!   and the demo checked in headless Chromium.
//! - `pkg`: the npm package (wasm-pack for the web, with its entry point) and its gzipped size.
//! - `bench [--smoke]`: the benchmarks, written to BENCHMARKS.md (the smoke run only checks
//!   that they work).
//! - `fuzz [SECONDS]`: the parser's fuzz target.

mod bench;
mod cmd;
mod pkg;
mod publish;
mod setup;
mod tasks;

use std::process::ExitCode;

const USAGE: &str =
    "usage: cargo xtask <setup | demo [--port N] | test [PART...] | pkg | bench [--smoke] | fuzz [SECONDS]>";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup::ensure_all().map(|_| ()),
        Some("demo") => tasks::demo(&args[1..]),
        Some("test") => tasks::test(&args[1..]),
        Some("bench") => bench::bench(&args[1..]),
        Some("pkg") if args.len() == 1 => setup::ensure_all().and_then(|_| pkg::pkg()),
        Some("fuzz") => bench::fuzz(&args[1..]),
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
