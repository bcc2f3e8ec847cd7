//! The tasks behind `cargo xtask demo` and `cargo xtask test`.

use std::path::PathBuf;

use crate::cmd::{self, cargo, command, run, step, Result, Scratch, Server};
use crate::setup::{self, Tools};

pub const WASM: &str = "wasm32-unknown-unknown";
/// The demo's port unless `--port` says otherwise.
const DEMO_PORT: u16 = 8080;

pub(crate) fn server_binary() -> PathBuf {
    cmd::root().join("target/debug/sse-server")
}

pub(crate) fn build_server() -> Result {
    run(cargo().args(["build", "--quiet", "-p", "typed-eventsource-server"]))
}

/// `cargo xtask demo [--port N]`
pub fn demo(args: &[String]) -> Result {
    let port = match args {
        [] => DEMO_PORT,
        [flag, n] if flag == "--port" => n.parse().map_err(|e| format!("bad --port {n}: {e}"))?,
        _ => return Err("usage: cargo xtask demo [--port N]".to_owned()),
    };
    setup::ensure_all()?;
    crate::pkg::build()?;
    let pkg = crate::pkg::dir("web");
    step("build the server", build_server)?;
    let www = cmd::root().join("www");
    let server = Server::start(
        &server_binary(),
        &[
            "--port",
            &port.to_string(),
            "--www",
            path(&www)?,
            "--pkg",
            path(&pkg)?,
        ],
    )?;
    println!(
        "\ntyped-eventsource demo: open {}/ (Ctrl-C stops it)\n",
        server.url
    );
    server.wait()
}

pub(crate) fn path(p: &std::path::Path) -> Result<&str> {
    p.to_str()
        .ok_or_else(|| format!("non-UTF-8 path {}", p.display()))
}

/// The parts of `cargo xtask test`, in the order they run.
const PARTS: &[&str] = &["lint", "native", "browser", "e2e"];

/// `cargo xtask test [PART...]`: everything, or only the parts named.
pub fn test(args: &[String]) -> Result {
    if let Some(bad) = args.iter().find(|a| !PARTS.contains(&a.as_str())) {
        return Err(format!("unknown part `{bad}`; parts: {}", PARTS.join(", ")));
    }
    let wanted = |part: &str| args.is_empty() || args.iter().any(|a| a == part);
    let tools = setup::ensure_all()?;
    if wanted("lint") {
        lint()?;
    }
    if wanted("native") {
        step("native tests", || {
            // Doc tests run on their own: built in the same invocation as every other target
            // of the workspace, rustdoc can pick a second build of serde_core for them and
            // fail with "multiple different versions of crate serde_core".
            run(cargo().args([
                "test",
                "--workspace",
                "--all-features",
                "--lib",
                "--bins",
                "--tests",
                "--examples",
            ]))?;
            run(cargo().args(["test", "--all-features", "--doc", "-p", "typed-eventsource"]))
        })?;
        step(
            "the crate as published (cargo package, cargo publish --dry-run)",
            crate::publish::check,
        )?;
        crate::bench::bench(&["--smoke".to_owned()])?;
        crate::bench::fuzz_for(20)?;
    }
    if wanted("browser") {
        step("browser tests (headless Chromium, real server)", || {
            browser(&tools)
        })?;
    }
    if wanted("e2e") {
        step("demo in headless Chromium (Playwright)", || e2e(&tools))?;
    }
    eprintln!("xtask test: all passed");
    Ok(())
}

fn lint() -> Result {
    step("cargo fmt --check", || {
        run(cargo().args(["fmt", "--all", "--check"]))
    })?;
    step("clippy (host)", || {
        clippy(&["--workspace", "--all-targets", "--all-features"])?;
        // The test kit without the npm class, as an app's native `cargo test` builds it.
        clippy(&["-p", "typed-eventsource", "--lib", "--features", "testing"])
    })?;
    step("clippy (wasm32)", || {
        clippy(&[
            "-p",
            "typed-eventsource",
            "--all-targets",
            "--all-features",
            "--target",
            WASM,
        ])
    })?;
    // Each transport alone: code that only the other uses must be left out cleanly.
    step("clippy (wasm32, one transport at a time)", || {
        // With the npm class too: `js` needs no particular transport.
        for features in ["eventsource", "fetch", "eventsource,js", "fetch,js"] {
            clippy(&[
                "-p",
                "typed-eventsource",
                "--lib",
                "--no-default-features",
                "--features",
                features,
                "--target",
                WASM,
            ])?;
        }
        Ok(())
    })?;
    step("cargo doc (host and wasm32, warnings denied)", || {
        for target in [None, Some(WASM)] {
            let mut c = cargo();
            c.args([
                "doc",
                "--no-deps",
                "-p",
                "typed-eventsource",
                "--all-features",
            ])
            .env("RUSTDOCFLAGS", "-D warnings");
            if let Some(t) = target {
                c.args(["--target", t]);
            }
            run(&mut c)?;
        }
        Ok(())
    })
}

/// `cargo clippy` with these arguments, every warning an error.
fn clippy(args: &[&str]) -> Result {
    run(cargo()
        .arg("clippy")
        .args(args)
        .args(["--", "-D", "warnings"]))
}

fn browser(tools: &Tools) -> Result {
    build_server()?;
    let server = Server::start(&server_binary(), &["--port", "0"])?;
    eprintln!("    server at {}", server.url);
    let tmp = Scratch::new("browser-tests")?;
    run(cargo()
        .args([
            "test",
            "-p",
            "typed-eventsource",
            "--all-features",
            "--target",
            WASM,
        ])
        .env("SSE_SERVER", &server.url)
        .env("CHROMEDRIVER", &tools.chromedriver)
        .env("TMPDIR", tmp.path())
        .env("WASM_BINDGEN_TEST_TIMEOUT", "300"))?;
    // An app's own component test over the test kit (no server): the Yew example's panel.
    run(cargo()
        .args(["test", "--target", WASM, "--manifest-path"])
        .arg(cmd::root().join("examples/yew-dashboard/Cargo.toml"))
        .arg("--target-dir")
        .arg(cmd::root().join("target/examples"))
        .env("CHROMEDRIVER", &tools.chromedriver)
        .env("TMPDIR", tmp.path())
        .env("WASM_BINDGEN_TEST_TIMEOUT", "300"))
}

fn e2e(tools: &Tools) -> Result {
    crate::pkg::build()?;
    let root = cmd::root();
    let npm_apps = step(
        "the npm package installed in apps (npm pack; Vite, webpack, esbuild, no bundler, React, tsc; Vitest on the test kit)",
        npm_apps,
    )?;
    let examples = step("Yew and Leptos example apps (wasm)", build_examples)?;
    build_server()?;
    let www = root.join("www");
    let apps = Server::start(
        &server_binary(),
        &["--port", "0", "--www", path(&examples)?],
    )?;
    let demo = Server::start(
        &server_binary(),
        &[
            "--port",
            "0",
            "--www",
            path(&www)?,
            "--pkg",
            path(&crate::pkg::dir("web"))?,
        ],
    )?;
    let npm_apps = Server::start(
        &server_binary(),
        &["--port", "0", "--www", path(&npm_apps)?],
    )?;
    let tmp = Scratch::new("e2e")?;
    run(command("node")
        .args([
            "--test",
            "--test-reporter=spec",
            "--test-concurrency=1",
            // A test that waits for an event that never comes fails after ten minutes rather
            // than holding the run until CI stops it: a broken event batch did just that.
            "--test-timeout=600000",
            "tests/e2e/",
        ])
        .env("DEMO_URL", &demo.url)
        .env("NPM_APPS_URL", &npm_apps.url)
        .env("EXAMPLES_URL", &apps.url)
        .env("SCREENSHOT", root.join("target/screenshots/demo.png"))
        .env("CHROMIUM", &tools.chromium)
        .env("TMPDIR", tmp.path()))
}

/// Packs the npm package as it would be published, installs the tarball into a copy of
/// `tests/npm-apps` as a user installs it, type-checks the app against the installed
/// declarations and builds it four ways: by Vite and by webpack 5 with their defaults, by
/// esbuild (the wasm copied beside the bundle, as the README says), and for a page without a
/// bundler (types stripped, the package found through an import map); builds the React
/// example (`examples/react-ticker`) on `typed-eventsource/react` with Vite; and runs the tests
/// on the package's test kit in Vitest. Returns the folder to serve.
fn npm_apps() -> Result<PathBuf> {
    let root = cmd::root();
    let bin = |tool: &str| root.join("node_modules/.bin").join(tool);
    let packed = root.join("target/npm");
    let dir = root.join("target/npm-apps");
    for d in [&packed, &dir] {
        cmd::empty_dir(d)?;
    }
    let name = cmd::output(
        command("npm")
            .args(["pack", "--silent", "--pack-destination"])
            .arg(&packed)
            .current_dir(crate::pkg::dir("web")),
    )
    .ok_or("npm pack failed")?;
    let tarball = packed.join(name.trim());
    run(command("cp").args(["-r", "tests/npm-apps/."]).arg(&dir))?;
    run(command("cp")
        .args(["-r", "examples/react-ticker"])
        .arg(dir.join("react")))?;
    run(command("npm")
        .args(["install", "--no-audit", "--no-fund", "--no-package-lock"])
        .arg(&tarball)
        .current_dir(&dir))?;
    readme_examples(&dir.join("readme"))?;
    // The kit's scenario test plays the library's scenario table.
    std::fs::copy(
        root.join("tests/scenarios/table.json"),
        dir.join("kit/table.json"),
    )
    .map_err(|e| format!("tests/scenarios/table.json: {e}"))?;
    run(command(path(&bin("tsc"))?)
        .arg("-p")
        .arg(dir.join("tsconfig.json")))?;
    // The test kit (`typed-eventsource/testing`) in Vitest: the scenario table through the npm
    // class in Node, the React example's component test in happy-dom, and the README's.
    for project in ["kit", "react", "readme"] {
        run(command(path(&bin("vitest"))?)
            .args(["run", "--root"])
            .arg(dir.join(project)))?;
    }
    run(command(path(&bin("vite"))?)
        .args(["build", "--logLevel", "warn", "--config"])
        .arg(dir.join("vite/vite.config.mjs")))?;
    // The React example on `typed-eventsource/react`, by Vite too, with React's development
    // build (where StrictMode mounts twice).
    run(command(path(&bin("vite"))?)
        .args(["build", "--logLevel", "warn", "--config"])
        .arg(dir.join("react/vite.config.mjs"))
        .env("NODE_ENV", "development"))?;
    let esbuild = |args: &[&str], out: &str| {
        run(command(path(&bin("esbuild"))?)
            .arg(dir.join("app.ts"))
            .args(["--format=esm", "--log-level=warning"])
            .args(args)
            .arg(format!("--outfile={}", dir.join(out).display())))
    };
    esbuild(&["--bundle"], "esbuild/dist/app.js")?;
    let wasm = "typed_eventsource_bg.wasm";
    std::fs::copy(
        dir.join("node_modules/typed-eventsource").join(wasm),
        dir.join("esbuild/dist").join(wasm),
    )
    .map_err(|e| format!("{wasm}: {e}"))?;
    // Types stripped, not bundled: for the page without a bundler, and webpack's entry.
    esbuild(&[], "app.js")?;
    run(command("node").arg(dir.join("webpack/build.mjs")))?;
    Ok(dir)
}

/// Writes the README's TypeScript examples (its `ts` and `tsx` blocks) into `dir`, one module
/// each, for tsc to check as they are written against the installed package (with
/// `readme/env.d.ts`, what they take from the app around them).
fn readme_examples(dir: &std::path::Path) -> Result {
    let readme = std::fs::read_to_string(cmd::root().join("README.md"))
        .map_err(|e| format!("README.md: {e}"))?;
    let blocks = code_blocks(&readme, &["ts", "tsx"]);
    if blocks.len() < 3 {
        return Err(format!(
            "README.md: {} TypeScript examples found, expected at least 3",
            blocks.len()
        ));
    }
    for (i, (lang, code)) in blocks.iter().enumerate() {
        // Each a module (top-level await, no names shared between examples). An example that
        // names itself a test file on its first line (`// prices.test.ts`) is written under
        // that name, for Vitest to run as well.
        let name = code
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("// "))
            .filter(|n| n.ends_with(&format!(".test.{lang}")) && !n.contains('/'));
        let file = match name {
            Some(n) => dir.join(n),
            None => dir.join(format!("example-{}.{lang}", i + 1)),
        };
        std::fs::write(&file, format!("{code}export {{}};\n"))
            .map_err(|e| format!("{}: {e}", file.display()))?;
    }
    eprintln!("    {} TypeScript examples from README.md", blocks.len());
    Ok(())
}

/// The fenced code blocks of a Markdown text in one of `langs`, with their language.
fn code_blocks<'a>(text: &'a str, langs: &[&'a str]) -> Vec<(&'a str, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(&str, String)> = None;
    for line in text.lines() {
        match (&mut open, line.strip_prefix("```")) {
            (Some(_), Some("")) => blocks.extend(open.take()),
            (Some((_, code)), _) => {
                code.push_str(line);
                code.push('\n');
            }
            (None, Some(info)) => {
                if let Some(lang) = langs.iter().find(|l| **l == info.trim()) {
                    open = Some((lang, String::new()));
                }
            }
            (None, None) => {}
        }
    }
    blocks
}

/// The example apps, each built for wasm, bound by wasm-bindgen and optimized into
/// `target/examples-www/<name>/` beside its `index.html`.
fn build_examples() -> Result<PathBuf> {
    let root = cmd::root();
    let www = root.join("target/examples-www");
    for name in ["yew-dashboard", "leptos-dashboard"] {
        let dir = root.join("examples").join(name);
        let target_dir = root.join("target/examples");
        run(&mut crate::pkg::wasm_build(
            dir.join("Cargo.toml"),
            &target_dir,
        ))?;
        let out = www.join(name);
        let wasm = crate::pkg::built_wasm(&target_dir, name);
        crate::pkg::bind_for_web(&wasm, &out, "app")?;
        std::fs::copy(dir.join("index.html"), out.join("index.html"))
            .map_err(|e| format!("{name}/index.html: {e}"))?;
    }
    Ok(www)
}

#[cfg(test)]
mod tests {
    use super::code_blocks;

    #[test]
    fn code_blocks_takes_the_languages_asked_for() {
        let md =
            "text\n```ts\nconst a = 1;\n```\n```sh\nls\n```\n```tsx\n<p/>\n```\n```diff\n-x\n```\n";
        assert_eq!(
            code_blocks(md, &["ts", "tsx"]),
            vec![
                ("ts", "const a = 1;\n".to_owned()),
                ("tsx", "<p/>\n".to_owned())
            ]
        );
    }
}
