//! Installs what the project needs on a machine, and only what is missing.
//!
//! Every check is cheap, so a second run installs nothing and takes about a second.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::cmd::{self, command, output, run, Result};

/// Where the tools that the tasks use are.
pub struct Tools {
    /// ChromeDriver, for wasm-bindgen-test-runner.
    pub chromedriver: PathBuf,
    /// Chromium, for Playwright.
    pub chromium: PathBuf,
}

const CHROMIUM: &str = "/usr/bin/chromium";
/// The wasm-pack that `cargo xtask pkg` runs.
const WASM_PACK: &str = "0.15.1";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The `wasm-bindgen` version that Cargo.toml pins with `=`.
pub fn pinned_wasm_bindgen() -> Result<String> {
    let manifest = std::fs::read_to_string(cmd::root().join("Cargo.toml"))
        .map_err(|e| format!("cannot read Cargo.toml: {e}"))?;
    manifest
        .lines()
        .find_map(|l| l.trim().strip_prefix("wasm-bindgen = \"="))
        .and_then(|rest| rest.split('"').next())
        .map(str::to_owned)
        .ok_or_else(|| {
            "Cargo.toml does not pin wasm-bindgen as `wasm-bindgen = \"=X.Y.Z\"`".to_owned()
        })
}

/// Installs whatever is missing and says what it did.
pub fn ensure_all() -> Result<Tools> {
    cmd::step("setup", || {
        let mut installed = Vec::new();
        let mut install = |what: &str, f: &dyn Fn() -> Result| -> Result {
            eprintln!("    installing {what}");
            let start = Instant::now();
            f()?;
            installed.push(format!("{what} ({:.0} s)", start.elapsed().as_secs_f64()));
            Ok(())
        };

        let has_target = output(command("rustup").args(["target", "list", "--installed"]))
            .is_some_and(|o| o.lines().any(|l| l.trim() == "wasm32-unknown-unknown"));
        if !has_target {
            install("the wasm32-unknown-unknown target", &|| {
                run(command("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
            })?;
        }

        // The standard library's source, which the npm package's build compiles for size
        // (`pkg::std_flags`). Without it that build falls back to the prebuilt library, so a
        // failed download is a warning, not an error.
        if !crate::pkg::has_rust_src() {
            let r = install("the rust-src component", &|| {
                run(command("rustup").args(["component", "add", "rust-src"]))
            });
            if let Err(e) = r {
                eprintln!("    warning: no rust-src ({e}); the npm package is built larger");
            }
        }

        let version = pinned_wasm_bindgen()?;
        // Each binary prints its own name and version: `wasm-bindgen-test-runner 0.2.130`.
        let have = |bin: &str| {
            output(command(bin).arg("--version"))
                .is_some_and(|o| o.trim() == format!("{bin} {version}"))
        };
        if !have("wasm-bindgen") || !have("wasm-bindgen-test-runner") {
            // No `--locked`: the registry here lacks one of the CLI's locked dependency versions.
            install(&format!("wasm-bindgen-cli {version}"), &|| {
                run(cmd::cargo().args(["install", "wasm-bindgen-cli", "--version", &version]))
            })?;
        }

        let want = format!("wasm-pack {WASM_PACK}");
        if output(command("wasm-pack").arg("--version")).is_none_or(|o| o.trim() != want) {
            // No `--locked`, as for wasm-bindgen-cli.
            install(&format!("wasm-pack {WASM_PACK}"), &|| {
                run(cmd::cargo().args(["install", "wasm-pack", "--version", WASM_PACK]))
            })?;
        }

        if !Path::new(CHROMIUM).exists() || !Path::new(CHROMEDRIVER).exists() {
            install("chromium and chromium-driver (apt-get)", &|| {
                apt(&["update"])?;
                apt(&[
                    "install",
                    "-y",
                    "--no-install-recommends",
                    "chromium",
                    "chromium-driver",
                ])
            })?;
        }

        let root = cmd::root();
        let stamp = root.join("node_modules/.package-lock.json");
        if newer(&root.join("package-lock.json"), &stamp)
            || newer(&root.join("package.json"), &stamp)
        {
            install("npm dev tools (npm ci)", &|| {
                run(command("npm").args(["ci", "--no-audit", "--no-fund"]))
            })?;
        }

        if installed.is_empty() {
            eprintln!("    nothing to install");
        } else {
            eprintln!("    installed: {}", installed.join(", "));
        }
        // wasm-pack runs the first wasm-opt on PATH; `cargo xtask pkg` puts this one first.
        let wasm_opt = root.join("node_modules/.bin/wasm-opt");
        if !wasm_opt.exists() {
            return Err(format!("{} is missing after npm ci", wasm_opt.display()));
        }
        Ok(Tools {
            chromedriver: CHROMEDRIVER.into(),
            chromium: CHROMIUM.into(),
        })
    })
}

/// Whether `a` was modified after `b` (or `b` does not exist).
fn newer(a: &Path, b: &Path) -> bool {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    match (modified(a), modified(b)) {
        (Some(a), Some(b)) => a > b,
        (_, None) => true,
        (None, Some(_)) => false,
    }
}

/// Runs apt-get non-interactively, through sudo when not root.
fn apt(args: &[&str]) -> Result {
    let root_user = output(command("id").arg("-u")).is_some_and(|o| o.trim() == "0");
    let mut c = if root_user {
        command("apt-get")
    } else {
        let mut c = command("sudo");
        c.arg("apt-get");
        c
    };
    c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
    run(&mut c)
}
