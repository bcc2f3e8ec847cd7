//! `cargo xtask pkg`: the npm package, built by wasm-pack (`--target web`) with the current
//! wasm-opt and completed with its entry point (`npm/`), and its size.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::cmd::{self, command, output, run, step, Result};
use crate::tasks::WASM;

/// One package for every setup: wasm-pack's `web` output loads its wasm through
/// `new URL(..., import.meta.url)`, which bundlers and plain pages both understand.
const TARGETS: [&str; 1] = ["web"];
const SIZE_BEGIN: &str = "<!-- size:begin (written by `cargo xtask pkg`) -->";
const SIZE_END: &str = "<!-- size:end -->";

/// Where wasm-pack writes the package for `target`.
pub fn dir(target: &str) -> PathBuf {
    cmd::root().join("target/pkg").join(target)
}

/// `PATH` with the npm tools (wasm-opt from `binaryen`) first.
fn path_with_npm_tools() -> String {
    let bin = cmd::root().join("node_modules/.bin");
    match std::env::var("PATH") {
        Ok(p) => format!("{}:{p}", bin.display()),
        Err(_) => bin.display().to_string(),
    }
}

/// Builds both packages and returns the gzipped size of the wasm in bytes.
pub fn build() -> Result<u64> {
    let small_std = has_rust_src();
    if !small_std {
        eprintln!(
            "    warning: no rust-src; the package is built with the prebuilt standard library"
        );
    }
    for target in TARGETS {
        let out = dir(target);
        step(&format!("wasm-pack --target {target}"), || {
            wasm_pack(target, "js,talc", &out, small_std)?;
            type_reexports(&out)?;
            // `typed-eventsource/testing`: the same with the test kit, a module of its own so
            // that a page never loads it.
            let kit = cmd::root().join("target/pkg/testing-build");
            wasm_pack(target, "js,talc,testing", &kit, small_std)?;
            type_reexports(&kit)?;
            let testing = out.join("testing");
            cmd::empty_dir(&testing)?;
            run(command("cp")
                .arg("-r")
                .args(KIT_FILES.map(|f| kit.join(f)))
                .arg(&testing))?;
            for f in NPM_FILES {
                std::fs::copy(cmd::root().join("npm").join(f), out.join(f))
                    .map_err(|e| format!("npm/{f}: {e}"))?;
            }
            complete_manifest(&out)
        })?;
    }
    let wasm = dir("web").join("typed_eventsource_bg.wasm");
    let raw = std::fs::metadata(&wasm)
        .map_err(|e| format!("{}: {e}", wasm.display()))?
        .len();
    let gz = gzipped_size(&wasm)?;
    eprintln!("    package wasm: {raw} bytes, {gz} bytes gzipped (gzip -9)");
    Ok(gz)
}

/// The package's hand-written files, from `npm/`.
const NPM_FILES: [&str; 6] = [
    "index.js",
    "index.d.ts",
    "react.js",
    "react.d.ts",
    "testing.js",
    "testing.d.ts",
];

/// What the test kit's build puts in the package's `testing/` folder.
const KIT_FILES: [&str; 4] = [
    "typed_eventsource.js",
    "typed_eventsource.d.ts",
    "typed_eventsource_bg.wasm",
    "snippets",
];

/// wasm-pack for `target` with `features`, into `out`, with the standard library built for
/// size if `small_std` (and the prebuilt one if that build fails).
fn wasm_pack(target: &str, features: &str, out: &Path, small_std: bool) -> Result {
    let pack = |small_std: bool| {
        let mut c = command("wasm-pack");
        c.args([
            "build",
            "--release",
            "--target",
            target,
            "--out-name",
            "typed_eventsource",
            "--out-dir",
        ])
        .arg(out)
        .args(["--", "--features", features])
        .env("PATH", path_with_npm_tools());
        if small_std {
            std_from_source(&mut c);
        }
        run(&mut c)
    };
    if let Err(e) = pack(small_std) {
        if !small_std {
            return Err(e);
        }
        // Unstable flags may change with the toolchain: a package built larger is better than
        // none.
        eprintln!("    warning: the build with the standard library from source failed; building with the prebuilt one");
        pack(false)?;
    }
    Ok(())
}

/// Whether the standard library's source (the `rust-src` component) is installed.
pub fn has_rust_src() -> bool {
    output(command("rustc").args(["--print", "sysroot"])).is_some_and(|s| {
        Path::new(s.trim())
            .join("lib/rustlib/src/rust/library/std/Cargo.toml")
            .exists()
    })
}

/// Makes the package's build compile the standard library from source with panics that
/// abort at once: no panic message is formatted and no source location is kept, which takes
/// `core::fmt`'s panic paths and their strings out of the module (4.2 KB less gzipped, the
/// small-event parse 2 to 5% slower in Node; BENCHMARKS.md, "Size"). Rust apps that use the
/// crate build it as they choose; this is the npm package's build only. `-Z build-std` and
/// `-C panic=immediate-abort` are unstable, so the stable compiler is told to accept them
/// (`RUSTC_BOOTSTRAP`), in a target folder of their own so that they rebuild nothing else.
/// Under the same permission, MIR inlining (off at `opt-level = "s"`) is turned on with a
/// higher threshold: the standard library's small generic helpers (`push_str`, `clone_from`,
/// `Cow`'s deref) are then inlined into the parser's loop rather than called per event, which
/// made the module 1.5 KB smaller gzipped and the npm class's parse 7% faster (BENCHMARKS.md).
fn std_from_source(c: &mut std::process::Command) {
    c.args(["-Z", "build-std=std,panic_abort"])
        .env("RUSTC_BOOTSTRAP", "1")
        // In place of .cargo/config.toml's target flags, which RUSTFLAGS overrides.
        .env(
            "RUSTFLAGS",
            "-C target-feature=+simd128 -Z unstable-options -C panic=immediate-abort \
             -C symbol-mangling-version=legacy -Z inline-mir=yes -Z inline-mir-threshold=100 \
             -Z inline-mir-hint-threshold=200",
        )
        .env("CARGO_TARGET_DIR", cmd::root().join("target/pkg-build"));
}

/// `cargo xtask pkg`: builds, then records the size in BENCHMARKS.md.
pub fn pkg() -> Result {
    let gz = build()?;
    let raw = std::fs::metadata(dir("web").join("typed_eventsource_bg.wasm"))
        .map_err(|e| e.to_string())?
        .len();
    // The JavaScript a page loads with it (the entry point, wasm-bindgen's glue, the class and
    // its option reader), as a page pays it: bundled and minified by esbuild, then gzipped.
    let min = cmd::root().join("target/pkg/typed_eventsource.min.js");
    run(command(crate::tasks::path(
        &cmd::root().join("node_modules/.bin/esbuild"),
    )?)
    .arg(dir("web").join("index.js"))
    .args([
        "--bundle",
        "--minify",
        "--format=esm",
        "--log-level=warning",
    ])
    .arg(format!("--outfile={}", min.display())))?;
    let js_raw = std::fs::metadata(&min).map_err(|e| e.to_string())?.len();
    let js_gz = gzipped_size(&min)?;
    eprintln!("    package JavaScript: {js_raw} bytes minified, {js_gz} bytes gzipped");
    let kb = |n: u64| n as f64 / 1000.0;
    let table = format!(
        "| npm package wasm (features `js` and `talc`, wasm-opt -Oz) | {:.1} KB | {:.1} KB |\n\
         | npm package JavaScript (its entry point, wasm-bindgen's glue, `typed_eventsource.js` and `options.js`; esbuild --bundle --minify) | {:.1} KB | {:.1} KB |\n\
         | **what a page pays** | {:.1} KB | **{:.1} KB** |\n",
        kb(raw),
        kb(gz),
        kb(js_raw),
        kb(js_gz),
        kb(raw + js_raw),
        kb(gz + js_gz)
    );
    replace_section(
        SIZE_BEGIN,
        SIZE_END,
        &format!("| build | size | gzipped |\n|---|---:|---:|\n{table}"),
    )
}

/// `gzip -9` size of a file, in bytes.
pub(crate) fn gzipped_size(path: &Path) -> Result<u64> {
    let out = output(
        command("sh")
            .arg("-c")
            .arg(format!("gzip -9 -c '{}' | wc -c", path.display())),
    )
    .ok_or("gzip failed")?;
    out.trim()
        .parse()
        .map_err(|e| format!("gzip size {out:?}: {e}"))
}

/// wasm-bindgen declares each class the package re-exports from its JavaScript as
/// `export let Name: unknown;`; the hand-written declarations (`typed_eventsource.d.ts`)
/// type them, so those lines go.
fn type_reexports(out: &Path) -> Result {
    let path = out.join("typed_eventsource.d.ts");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !(l.starts_with("export let ") && l.ends_with(": unknown;")))
        .collect();
    std::fs::write(&path, kept.join("\n") + "\n").map_err(|e| format!("{}: {e}", path.display()))
}

/// wasm-pack writes most of package.json from Cargo.toml; this adds what it leaves out.
fn complete_manifest(out: &Path) -> Result {
    let path = out.join("package.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut m: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let obj = m.as_object_mut().ok_or("package.json is not an object")?;
    obj.insert(
        "keywords".into(),
        serde_json::json!([
            "eventsource",
            "sse",
            "server-sent-events",
            "wasm",
            "typescript"
        ]),
    );
    // The entry point initialises the module (`npm/index.js`); the React hook
    // (`npm/react.js`) is a subpath, and so is the wasm file, for a build that copies it.
    obj.insert("main".into(), "index.js".into());
    obj.insert("types".into(), "index.d.ts".into());
    obj.insert("exports".into(), EXPORTS_MARK.into());
    // React is the hook's, and the app's own: never bundled in the package, and needed only
    // by an app that imports `typed-eventsource/react`.
    obj.insert(
        "peerDependencies".into(),
        serde_json::json!({ "react": "^18.0.0 || ^19.0.0" }),
    );
    obj.insert(
        "peerDependenciesMeta".into(),
        serde_json::json!({ "react": { "optional": true } }),
    );
    // The entry points run the initialisation (the test kit's too), and the snippets are the
    // class.
    obj.insert(
        "sideEffects".into(),
        serde_json::json!(["./index.js", "./snippets/*", "./testing.js", "./testing/**"]),
    );
    let files = obj.entry("files").or_insert_with(|| serde_json::json!([]));
    if let Some(list) = files.as_array_mut() {
        let others = ["testing/", "README.md", "LICENSE-MIT", "LICENSE-APACHE"];
        for f in NPM_FILES.into_iter().chain(others) {
            if !list.iter().any(|v| v == f) {
                list.push(f.into());
            }
        }
    }
    for field in [
        "name",
        "version",
        "description",
        "license",
        "repository",
        "types",
        "files",
    ] {
        if !obj.contains_key(field) {
            return Err(format!("{}: no `{field}`", path.display()));
        }
    }
    for f in ["README.md", "LICENSE-MIT", "LICENSE-APACHE"] {
        if !out.join(f).exists() {
            std::fs::copy(cmd::root().join(f), out.join(f)).map_err(|e| format!("{f}: {e}"))?;
        }
    }
    let text = with_exports(&serde_json::to_string_pretty(&m).map_err(|e| e.to_string())?)?;
    std::fs::write(&path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))
}

/// Where [`EXPORTS`] goes in the manifest.
const EXPORTS_MARK: &str = "@exports@";

/// The package's entry points. Written as text: the order of an entry's conditions matters
/// (`types` before `default`, or TypeScript never sees it), and serde_json's maps sort their
/// keys (its `preserve_order` feature would change every JSON the workspace writes, the
/// server's events included).
const EXPORTS: &str = r#"{
    ".": { "types": "./index.d.ts", "default": "./index.js" },
    "./react": { "types": "./react.d.ts", "default": "./react.js" },
    "./testing": { "types": "./testing.d.ts", "default": "./testing.js" },
    "./typed_eventsource_bg.wasm": "./typed_eventsource_bg.wasm",
    "./package.json": "./package.json"
  }"#;

/// `manifest` with [`EXPORTS`] in place of its mark, checked to be JSON still.
fn with_exports(manifest: &str) -> Result<String> {
    let text = manifest.replacen(&format!("\"{EXPORTS_MARK}\""), EXPORTS, 1);
    let parsed: Value = serde_json::from_str(&text).map_err(|e| format!("package.json: {e}"))?;
    if parsed["exports"]["."]["types"] != "./index.d.ts" {
        return Err("package.json: the exports map did not go in".to_owned());
    }
    Ok(text)
}

/// Replaces the text between two markers of BENCHMARKS.md.
pub fn replace_section(begin: &str, end: &str, body: &str) -> Result {
    let path = cmd::root().join("BENCHMARKS.md");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (Some(a), Some(b)) = (text.find(begin), text.find(end)) else {
        return Err(format!("BENCHMARKS.md lacks the markers {begin} … {end}"));
    };
    let new = format!("{}{begin}\n{body}{}", &text[..a], &text[b..]);
    std::fs::write(&path, new).map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!("    updated {}", path.display());
    Ok(())
}

/// `cargo build --quiet --release --target wasm32-unknown-unknown` of a crate outside the
/// workspace (`manifest`, relative to the root) into `target_dir`, for the caller to add
/// features or flags to and run. The module lands at [`built_wasm`].
pub fn wasm_build(
    manifest: impl AsRef<std::ffi::OsStr>,
    target_dir: &Path,
) -> std::process::Command {
    let mut c = crate::cmd::cargo();
    c.args([
        "build",
        "--quiet",
        "--release",
        "--target",
        WASM,
        "--manifest-path",
    ])
    .arg(manifest)
    .arg("--target-dir")
    .arg(target_dir);
    c
}

/// The module `name` that [`wasm_build`] into `target_dir` writes (a library's is its crate
/// name with `_` for `-`; a binary's, its own name).
pub fn built_wasm(target_dir: &Path, name: &str) -> PathBuf {
    target_dir
        .join(WASM)
        .join("release")
        .join(format!("{name}.wasm"))
}

/// Binds a wasm module built for the web with wasm-bindgen (`--target web`) into `out` as
/// `NAME.js` and `NAME_bg.wasm`, then optimizes it with the current wasm-opt, as every module
/// loaded in a browser here must be.
pub fn bind_for_web(wasm: &Path, out: &Path, name: &str) -> Result {
    run(command("wasm-bindgen")
        .arg(wasm)
        .args(["--target", "web", "--out-name", name, "--out-dir"])
        .arg(out))?;
    let bg = out.join(format!("{name}_bg.wasm"));
    let wasm_opt = cmd::root().join("node_modules/.bin/wasm-opt");
    run(command(crate::tasks::path(&wasm_opt)?)
        .args([
            "-Oz",
            "--enable-bulk-memory",
            "--enable-nontrapping-float-to-int",
        ])
        .args([
            "--enable-sign-ext",
            "--enable-reference-types",
            "--enable-multivalue",
            "--enable-simd",
        ])
        .arg(&bg)
        .arg("-o")
        .arg(&bg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exports_map_keeps_types_before_default() {
        let text = with_exports(&format!("{{\n  \"exports\": \"{EXPORTS_MARK}\"\n}}")).unwrap();
        let dot = &text[text.find("\".\"").unwrap()..];
        assert!(
            dot.find("\"types\"").unwrap() < dot.find("\"default\"").unwrap(),
            "{text}"
        );
        assert!(with_exports("{}").is_err(), "a manifest without the mark");
    }
}
