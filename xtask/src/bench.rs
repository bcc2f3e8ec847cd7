//! `cargo xtask bench` and `cargo xtask fuzz`.
//!
//! The parser's results are read from criterion's own files
//! (`target/criterion/**/new/{benchmark,estimates}.json`), turned into MB/s and ratios against
//! the peer measured in the same run, written to `target/bench/parser.json` (machine-readable)
//! and into the marked section of BENCHMARKS.md. The wasm parser, dispatch and class harnesses
//! print JSON, kept as `target/bench/wasm-parser.json`, `dispatch.json` and `class-node.json`,
//! and their tables go to BENCHMARKS.md too.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::cmd::{self, cargo, command, output, run, step, Result};

const OURS: &str = "typed-eventsource";
const PEER: &str = "eventsource-stream";
const BEGIN: &str = "<!-- parser:begin (written by `cargo xtask bench`) -->";
const END: &str = "<!-- parser:end -->";

/// One measured case: group, function, bytes per iteration, mean nanoseconds per iteration.
struct Measurement {
    group: String,
    function: String,
    bytes: u64,
    mean_ns: f64,
}

impl Measurement {
    fn mb_per_s(&self) -> f64 {
        self.bytes as f64 / self.mean_ns * 1e9 / 1e6
    }
}

/// `cargo xtask bench [--smoke]`: the smoke run checks that every case works, measuring
/// nothing.
pub fn bench(args: &[String]) -> Result {
    let smoke = match args {
        [] => false,
        [flag] if flag == "--smoke" => true,
        _ => return Err("usage: cargo xtask bench [--smoke]".to_owned()),
    };
    if smoke {
        step("dispatch benchmark in Chromium (smoke run)", || {
            dispatch(true).map(|_| ())
        })?;
        // The line is made and dropped: the harness's output must have what it needs.
        step("the npm class's parse in Node (smoke run)", || {
            class_node(true)
                .and_then(|r| class_node_line(&r))
                .map(|_| ())
        })?;
        step("parser benchmark in wasm (smoke run)", || {
            wasm_parser(true).map(|_| ())
        })?;
        return step("parser benchmark (smoke run)", || {
            run(cargo().args([
                "bench",
                "-p",
                "typed-eventsource",
                "--bench",
                "parser",
                "--",
                "--test",
            ]))
        });
    }
    let criterion = cmd::root().join("target/criterion");
    // Stale results from cases that no longer exist must not reach the table.
    let _ = std::fs::remove_dir_all(&criterion);
    step("parser benchmark (criterion)", || {
        run(cargo().args(["bench", "-p", "typed-eventsource", "--bench", "parser"]))
    })?;
    let mut found = Vec::new();
    collect(&criterion, &mut found)?;
    if found.is_empty() {
        return Err("criterion wrote no results".to_owned());
    }
    let table = table(&found);
    println!("\n{table}");
    write_json(&found)?;
    update_benchmarks_md(&table)?;
    let wasm = step("parser benchmark in wasm (Node)", || wasm_parser(false))?;
    let table = wasm_parser_table(&wasm, &found)?;
    println!("\n{table}");
    write_json_file("wasm-parser.json", &wasm)?;
    crate::pkg::replace_section(
        WASM_PARSER_BEGIN,
        WASM_PARSER_END,
        &format!(
            "Machine: {}; Node {}.\n\n{table}",
            machine(),
            wasm["node"].as_str().unwrap_or("?")
        ),
    )?;
    let results = step("dispatch benchmark in Chromium", || dispatch(false))?;
    let table = dispatch_table(&results)?;
    println!("\n{table}");
    let sizes = sizes_table(&results)?;
    println!("\n{sizes}");
    crate::pkg::replace_section(SIZES_BEGIN, SIZES_END, &sizes)?;
    write_json_file("dispatch.json", &results)?;
    crate::pkg::replace_section(
        DISPATCH_BEGIN,
        DISPATCH_END,
        &format!(
            "Machine: {}; Chromium {}.\n\n{table}",
            machine(),
            chromium_version()
        ),
    )?;
    // The package the dispatch benchmark built.
    let class = step("the npm class's parse in Node", || class_node(false))?;
    let line = class_node_line(&class)?;
    println!("\n{line}");
    write_json_file("class-node.json", &class)?;
    crate::pkg::replace_section(CLASS_NODE_BEGIN, CLASS_NODE_END, &line)
}

const CLASS_NODE_BEGIN: &str = "<!-- class-node:begin (written by `cargo xtask bench`) -->";
const CLASS_NODE_END: &str = "<!-- class-node:end -->";

/// Times the npm package's class (its web build, as `crate::pkg::build` left it) against
/// eventsource-parser on the same reads in Node; returns the harness's JSON. The smoke run
/// parses 2,000 events once each.
fn class_node(smoke: bool) -> Result<Value> {
    let (events, runs) = if smoke {
        ("2000", "1")
    } else {
        ("100000", "25")
    };
    harness(
        "class",
        command("node")
            .arg("tests/bench/class-node.mjs")
            .env("PKG", crate::pkg::dir("web"))
            .env("EVENTS", events)
            .env("RUNS", runs),
    )
}

/// Runs a Node harness (its progress on our stderr) and returns the JSON it prints.
fn harness(name: &str, node: &mut std::process::Command) -> Result<Value> {
    // The browsers a harness starts keep their temporary files there, removed after it.
    let tmp = crate::cmd::Scratch::new(&format!("bench-{}", name.replace(' ', "-")))?;
    let out = node
        .env("TMPDIR", tmp.path())
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run node: {e}"))?;
    if !out.status.success() {
        return Err(format!("the {name} harness failed ({})", out.status));
    }
    let json = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(json.trim()).map_err(|e| format!("{name} harness output: {e}"))
}

/// The class harness's result as the sentence BENCHMARKS.md shows.
fn class_node_line(r: &Value) -> Result<String> {
    let num = |k: &str| r[k].as_f64().ok_or(format!("class harness: no {k}"));
    let (ours, peer) = (num("class_ms")?, num("peer_ms")?);
    Ok(format!(
        "Machine: {}; Node {}.\n\n{} events ({:.1} MB in reads of {:.0} KB), median of {} runs \
         each, taking turns: the npm class over `fromReadableStream` with an `on()` handler \
         {ours:.1} ms, eventsource-parser with `JSON.parse` {peer:.1} ms; the class at \
         **{:.2}×** its speed.\n",
        machine(),
        r["node"].as_str().unwrap_or("?"),
        num("events")?,
        num("bytes")? / 1e6,
        num("read_bytes")? / 1e3,
        num("runs")?,
        peer / ours
    ))
}

const DISPATCH_BEGIN: &str = "<!-- dispatch:begin (written by `cargo xtask bench`) -->";
const DISPATCH_END: &str = "<!-- dispatch:end -->";

fn chromium_version() -> String {
    output(command("/usr/bin/chromium").arg("--version"))
        .map(|v| v.trim().trim_start_matches("Chromium ").to_owned())
        .unwrap_or_default()
}

/// Builds the npm package and the Rust dispatch app, serves both, and runs the Chromium
/// harness; returns its JSON. The smoke run streams 2,000 events once per variant.
fn dispatch(smoke: bool) -> Result<Value> {
    let root = cmd::root();
    crate::pkg::build()?;
    let target_dir = root.join("target/dispatch");
    run(&mut crate::pkg::wasm_build(
        "benches/dispatch/Cargo.toml",
        &target_dir,
    ))?;
    let www = root.join("target/bench-www/pkg");
    let _ = std::fs::remove_dir_all(&www);
    copy_dir(&crate::pkg::dir("web"), &www)?;
    // The JavaScript peers (eventsource-parser, fetch-event-source), bundled for the page.
    run(
        command(crate::tasks::path(&root.join("node_modules/.bin/esbuild"))?)
            .arg(root.join("tests/bench/peers.mjs"))
            .args([
                "--bundle",
                "--minify",
                "--format=esm",
                "--log-level=warning",
            ])
            .arg(format!("--outfile={}", www.join("peers.js").display())),
    )?;
    let out = www.join("dispatch");
    crate::pkg::bind_for_web(
        &crate::pkg::built_wasm(&target_dir, "dispatch_bench"),
        &out,
        "dispatch_bench",
    )?;
    let sizes = step("size benchmark apps (wasm)", || size_apps(&www))?;
    // An optimized server: a debug build cannot stream fast enough to measure the clients.
    run(cargo().args([
        "build",
        "--quiet",
        "--release",
        "-p",
        "typed-eventsource-server",
    ]))?;
    let server = crate::cmd::Server::start(
        &root.join("target/release/sse-server"),
        &["--port", "0", "--pkg", crate::tasks::path(&www)?],
    )?;
    let (events, runs) = if smoke {
        ("2000", "1")
    } else {
        ("100000", "15")
    };
    let mut results = harness(
        "dispatch",
        command("node")
            .arg("tests/bench/dispatch.mjs")
            .env("SERVER", &server.url)
            .env("EVENTS", events)
            .env("RUNS", runs)
            .env("SIZE_APPS", SIZE_APPS.map(|(feature, _)| feature).join(",")),
    )?;
    results["sizes"] = sizes;
    Ok(results)
}

const WASM_PARSER_BEGIN: &str = "<!-- wasm-parser:begin (written by `cargo xtask bench`) -->";
const WASM_PARSER_END: &str = "<!-- wasm-parser:end -->";

/// The wasm parser benchmark's builds: label, and the `RUSTFLAGS` that make it. Each replaces
/// the flags of `.cargo/config.toml` (the first is what they hold), so that neither depends on
/// them or on the caller's environment.
const WASM_PARSER_BUILDS: [(&str, &str); 2] = [
    ("simd", "-C target-feature=+simd128"),
    ("no-simd", "-C target-feature=-simd128"),
];

/// Builds `benches/wasm-parser` with and without SIMD, binds and optimizes each as the npm
/// package is, and times the parser's cases in Node; returns the harness's JSON. The smoke run
/// parses each case once per build (the harness checks the builds agree).
fn wasm_parser(smoke: bool) -> Result<Value> {
    let root = cmd::root();
    let mut builds = Vec::new();
    for (label, rustflags) in WASM_PARSER_BUILDS {
        let target_dir = root.join("target/wasm-parser").join(label);
        run(
            crate::pkg::wasm_build("benches/wasm-parser/Cargo.toml", &target_dir)
                .env("RUSTFLAGS", rustflags),
        )?;
        let out = root.join("target/bench-www/wasm-parser").join(label);
        crate::pkg::bind_for_web(
            &crate::pkg::built_wasm(&target_dir, "wasm_parser_bench"),
            &out,
            "wasm_parser",
        )?;
        builds.push(format!("{label}={}", path(&out)?));
    }
    harness(
        "wasm parser",
        command("node")
            .arg("tests/bench/wasm-parser.mjs")
            .env("BUILDS", builds.join(","))
            .env("RUNS", if smoke { "1" } else { "15" }),
    )
}

/// The wasm parser's MB/s with and without SIMD, next to the native figure of the same case
/// from this run's criterion results.
fn wasm_parser_table(results: &Value, native: &[Measurement]) -> Result<String> {
    let cases = results["cases"].as_array().ok_or("no wasm parser cases")?;
    let mut s = format!(
        "Median of {} runs per case and build, after warming up.\n\n\
         | case | input | wasm, SIMD | wasm, no SIMD | SIMD gain | native | SIMD vs native |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
        results["runs"]
    );
    for c in cases {
        let name = c["case"].as_str().unwrap_or("?");
        let bytes = c["bytes"].as_u64().unwrap_or(0);
        let rate = |label: &str| c["mb_per_s"][label].as_f64();
        let (simd, plain) = (rate("simd"), rate("no-simd"));
        let native = native
            .iter()
            .find(|m| m.group == name && m.bytes == bytes && m.function == OURS)
            .map(Measurement::mb_per_s);
        let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => format!("{:.2}×", a / b),
            _ => String::new(),
        };
        s.push_str(&format!(
            "| {name} | {:.1} MB | {} | {} | {} | {} | {} |\n",
            bytes as f64 / 1e6,
            mb_s(simd),
            mb_s(plain),
            ratio(simd, plain),
            mb_s(native),
            ratio(simd, native)
        ));
    }
    Ok(s)
}

/// Writes `value` to `target/bench/NAME`.
fn write_json_file(name: &str, value: &Value) -> Result {
    let dir = cmd::root().join("target/bench");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join(name);
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!("    wrote {}", path.display());
    Ok(())
}

/// The size benchmark's builds: cargo feature of `benches/size`, and what it holds.
const SIZE_APPS: [(&str, &str); 4] = [
    (
        "typed-eventsource",
        "typed-eventsource, EventSource transport",
    ),
    (
        "typed-default",
        "typed-eventsource, EventSource transport, default features (both transports)",
    ),
    ("typed-fetch", "typed-eventsource, fetch transport"),
    ("gloo", "gloo-net 0.6 EventSource"),
];

/// Builds the same minimal app with each client, binds and optimizes it as every module
/// loaded here is, into `www/size/FEATURE/` (the harness checks each one works), and returns
/// `{ feature: { label, wasm, gzipped } }`.
fn size_apps(www: &Path) -> Result<Value> {
    let root = cmd::root();
    let mut sizes = serde_json::Map::new();
    for (feature, label) in SIZE_APPS {
        let target_dir = root.join("target/size");
        run(
            crate::pkg::wasm_build("benches/size/Cargo.toml", &target_dir)
                .args(["--features", feature]),
        )?;
        let out = www.join("size").join(feature);
        crate::pkg::bind_for_web(
            &crate::pkg::built_wasm(&target_dir, "size_bench"),
            &out,
            "app",
        )?;
        let wasm = out.join("app_bg.wasm");
        let raw = std::fs::metadata(&wasm)
            .map_err(|e| format!("{}: {e}", wasm.display()))?
            .len();
        let gz = crate::pkg::gzipped_size(&wasm)?;
        eprintln!("    {label}: {raw} bytes, {gz} gzipped");
        sizes.insert(
            feature.to_owned(),
            serde_json::json!({ "label": label, "wasm": raw, "gzipped": gz }),
        );
    }
    Ok(Value::Object(sizes))
}

fn sizes_table(results: &Value) -> Result<String> {
    let sizes = results["sizes"].as_object().ok_or("no sizes")?;
    let gz = |f: &str| sizes.get(f).and_then(|v| v["gzipped"].as_f64());
    let gloo = gz("gloo");
    let mut s = String::from(
        "| minimal app (serde_json, wasm-opt -Oz) | wasm | gzipped | vs gloo-net |\n\
         |---|---:|---:|---:|\n",
    );
    for (feature, _) in SIZE_APPS {
        let v = &sizes[feature];
        let (raw, g) = (
            v["wasm"].as_f64().unwrap_or(0.0),
            v["gzipped"].as_f64().unwrap_or(0.0),
        );
        let vs = gloo.map_or(String::new(), |b| format!("{:.2}×", g / b));
        s.push_str(&format!(
            "| {} | {:.1} KB | {:.1} KB | {vs} |
",
            v["label"].as_str().unwrap_or(feature),
            raw / 1000.0,
            g / 1000.0
        ));
    }
    Ok(s)
}

const SIZES_BEGIN: &str = "<!-- size-apps:begin (written by `cargo xtask bench`) -->";
const SIZES_END: &str = "<!-- size-apps:end -->";

fn copy_dir(from: &Path, to: &Path) -> Result {
    std::fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    for entry in std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))? {
        let entry = entry.map_err(|e| e.to_string())?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if src.is_dir() {
            copy_dir(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst).map_err(|e| format!("{}: {e}", src.display()))?;
        }
    }
    Ok(())
}

fn dispatch_table(results: &Value) -> Result<String> {
    let all = results["results"].as_object().ok_or("no results")?;
    let mut s = format!(
        "{} events of about 100 bytes, median of {} runs; the spread is the middle half of the runs. \
         A ratio is the median of the per-run ratios: each run of a variant against the same run \
         of (a) or (e) (each run goes through the variants in turn). Main thread: the page's \
         main-thread CPU time for the whole stream (median), the variant's own cost apart from \
         waiting for the server.\n\n\
         | variant | events/s | spread | vs (a) | vs (e) | main thread |\n|---|---:|---:|---:|---:|---:|\n",
        results["events"], results["runs"]
    );
    let events = results["events"].as_f64().unwrap_or(0.0);
    for (name, v) in all.iter().filter(|(_, v)| v.get("events_per_s").is_some()) {
        let r = v["events_per_s"].as_f64().unwrap_or(0.0);
        let vs = |key: &str| {
            v[key]
                .as_f64()
                .map_or(String::new(), |x| format!("{x:.2}×"))
        };
        // Run times in ms, sorted: the quartiles as events/s, slowest first.
        let mut runs: Vec<f64> = v["runs"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default();
        runs.sort_by(f64::total_cmp);
        let spread = match runs.len() {
            0 => String::new(),
            n => format!(
                "{:.0}–{:.0}",
                events / runs[(3 * n) / 4].max(f64::MIN_POSITIVE) * 1000.0,
                events / runs[n / 4].max(f64::MIN_POSITIVE) * 1000.0
            ),
        };
        let busy = v["main_thread_ms"]
            .as_f64()
            .map_or(String::new(), |ms| format!("{ms:.0} ms"));
        s.push_str(&format!(
            "| {name} | {r:.0} | {spread} | {} | {} | {busy} |\n",
            vs("vs_a"),
            vs("vs_e")
        ));
    }
    let m = &all["memory"];
    let kb = |v: &Value| {
        v.as_f64()
            .map_or("?".to_owned(), |b| format!("{:.0} KB", b / 1024.0))
    };
    s.push_str(
        "\nMemory (npm facade; JS heap after a forced GC, and wasm linear memory):\n\n\
         | moment | JS heap | wasm memory |\n|---|---:|---:|\n",
    );
    for (label, key) in [
        ("before", "before"),
        (
            "after 10,000 open/close cycles (both transports)",
            "afterCycles",
        ),
        ("after 10,000 more", "afterMoreCycles"),
        (
            "after 20,000 cycles closed and let go, without `free()`",
            "afterDroppedCycles",
        ),
        ("after 10,000 more of those", "afterMoreDroppedCycles"),
        ("after 1,000 forced reconnections", "afterReconnects"),
    ] {
        s.push_str(&format!(
            "| {label} | {} | {} |\n",
            kb(&m[key]["jsHeap"]),
            kb(&m[key]["wasm"])
        ));
    }
    let r = &all["recovery"];
    s.push_str(&format!(
        "\nRecovery (fetch transport, resume by `Last-Event-ID`): {} forced drops, {} events lost, \
         {} repeated; open again a median {:.1} ms (max {:.1} ms) after the scheduled 50 ms delay.\n",
        r["drops"], r["lost"], r["repeated"],
        r["medianMsAfterDelay"].as_f64().unwrap_or(f64::NAN),
        r["maxMsAfterDelay"].as_f64().unwrap_or(f64::NAN),
    ));
    let t = &all["tabs"];
    let num = |key: &str| t[key].as_f64().unwrap_or(f64::NAN);
    s.push_str(&format!(
        "\nAcross tabs (`share: \"tabs\"`, fetch transport; two tabs of one browser, one holding the \
         connection, one following): an event reached the follower's handler a median {:.2} ms \
         after the holder's (99th percentile {:.2} ms; an event every 5 ms, {} runs of 400). \
         {} events as fast as the server sends them: the holder handled {:.0} events/s, the \
         follower {:.0} ({:.2}× the holder, median of the runs' ratios).\n",
        num("latency_median_ms"),
        num("latency_p99_ms"),
        t["runs"],
        t["events"],
        num("holder_events_per_s"),
        num("follower_events_per_s"),
        num("follower_vs_holder"),
    ));
    Ok(s)
}

fn collect(dir: &Path, out: &mut Vec<Measurement>) -> Result {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "new") {
                out.push(read_measurement(&path)?);
            } else {
                collect(&path, out)?;
            }
        }
    }
    Ok(())
}

fn read_json(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn read_measurement(dir: &Path) -> Result<Measurement> {
    let bench = read_json(&dir.join("benchmark.json"))?;
    let est = read_json(&dir.join("estimates.json"))?;
    let field = |v: &Value, k: &str| -> Result<String> {
        v[k].as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("{}: no `{k}`", dir.display()))
    };
    Ok(Measurement {
        group: field(&bench, "group_id")?,
        function: field(&bench, "function_id")?,
        bytes: bench["throughput"]["Bytes"]
            .as_u64()
            .ok_or_else(|| format!("{}: no byte throughput", dir.display()))?,
        mean_ns: est["mean"]["point_estimate"]
            .as_f64()
            .ok_or_else(|| format!("{}: no mean", dir.display()))?,
    })
}

fn table(found: &[Measurement]) -> String {
    let mut groups: BTreeMap<(&str, u64), BTreeMap<&str, &Measurement>> = BTreeMap::new();
    for m in found {
        groups
            .entry((&m.group, m.bytes))
            .or_default()
            .insert(&m.function, m);
    }
    let mut s = String::from(
        "| case | input | typed-eventsource | eventsource-stream | ratio |\n|---|---:|---:|---:|---:|\n",
    );
    for ((group, bytes), by) in &groups {
        let ours = by.get(OURS).map(|m| m.mb_per_s());
        let peer = by.get(PEER).map(|m| m.mb_per_s());
        let ratio = match (ours, peer) {
            (Some(o), Some(p)) => format!("{:.1}×", o / p),
            _ => "".to_owned(),
        };
        s.push_str(&format!(
            "| {group} | {:.1} MB | {} | {} | {ratio} |\n",
            *bytes as f64 / 1e6,
            mb_s(ours),
            mb_s(peer)
        ));
    }
    s
}

/// A throughput for a table: `123 MB/s`, or `not run`.
fn mb_s(v: Option<f64>) -> String {
    v.map_or("not run".to_owned(), |v| format!("{v:.0} MB/s"))
}

fn write_json(found: &[Measurement]) -> Result {
    let rows: Vec<Value> = found
        .iter()
        .map(|m| {
            serde_json::json!({
                "case": m.group, "parser": m.function, "bytes": m.bytes,
                "mean_ns": m.mean_ns, "mb_per_s": m.mb_per_s(),
            })
        })
        .collect();
    let doc = serde_json::json!({ "machine": machine(), "parser": rows });
    write_json_file("parser.json", &doc)
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|r| r.trim_start_matches([' ', '\t', ':']).to_owned())
            })
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let rustc = output(command("rustc").arg("--version")).unwrap_or_default();
    format!("{cpu}, {cores} cores, {}", rustc.trim())
}

fn update_benchmarks_md(table: &str) -> Result {
    crate::pkg::replace_section(BEGIN, END, &format!("Machine: {}.\n\n{table}", machine()))
}

/// Coverage instrumentation that libFuzzer needs, as stable rustc flags (what `cargo fuzz`
/// passes, without needing a nightly compiler for sanitizers).
const SANCOV: &str = "-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
    -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
    -Cllvm-args=-sanitizer-coverage-pc-table \
    -Cllvm-args=-sanitizer-coverage-trace-compares -Cdebug-assertions -Coverflow-checks";

/// `cargo xtask fuzz [SECONDS]`: runs the parser's fuzz target for that long (default 60 s).
pub fn fuzz(args: &[String]) -> Result {
    let secs: u32 = match args {
        [] => 60,
        [n] => n.parse().map_err(|e| format!("bad SECONDS {n}: {e}"))?,
        _ => return Err("usage: cargo xtask fuzz [SECONDS]".to_owned()),
    };
    fuzz_for(secs)
}

/// Builds the fuzz target and runs it for `secs` seconds; a crash fails the task and leaves
/// the input in `target/fuzz/`.
pub fn fuzz_for(secs: u32) -> Result {
    let root = cmd::root();
    let target_dir = root.join("target/fuzz");
    // With an explicit --target, RUSTFLAGS reach only the target's crates, not build scripts
    // (which cannot link the coverage hooks).
    let host = output(command("rustc").arg("-vV"))
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        })
        .ok_or("cannot read the host triple from `rustc -vV`")?;
    step("build the parser fuzz target", || {
        run(cargo()
            .args([
                "build",
                "--quiet",
                "--release",
                "--manifest-path",
                "fuzz/Cargo.toml",
            ])
            .args(["--target", &host, "--target-dir"])
            .arg(&target_dir)
            .env("RUSTFLAGS", SANCOV))
    })?;
    let binary = target_dir.join(&host).join("release/parser");
    let corpus: PathBuf = target_dir.join("corpus");
    std::fs::create_dir_all(&corpus).map_err(|e| e.to_string())?;
    step(&format!("fuzz the parser for {secs} s"), || {
        run(command(path(&binary)?)
            .arg(format!("-max_total_time={secs}"))
            .arg("-max_len=4096")
            .arg("-print_final_stats=1")
            .arg(format!("-artifact_prefix={}/", path(&target_dir)?))
            .arg(&corpus)
            .arg(root.join("fuzz/seeds")))
    })
}

fn path(p: &Path) -> Result<&str> {
    p.to_str()
        .ok_or_else(|| format!("non-UTF-8 path {}", p.display()))
}
