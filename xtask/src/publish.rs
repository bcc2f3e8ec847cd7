//! The crate as crates.io gets it: what `cargo package` puts in it, whether its README's links
//! and image work away from the repository (on crates.io and docs.rs), and `cargo publish
//! --dry-run`, which builds the packaged crate on its own.

use crate::cmd::{cargo, command, output, run, Result};

/// Files a package holds besides the source: what Cargo adds, the example, the docs.
const OUTSIDE_SRC: &[&str] = &[
    ".cargo_vcs_info.json",
    "Cargo.toml",
    "Cargo.toml.orig",
    "Cargo.lock",
    "README.md",
    "CHANGELOG.md",
    "LICENSE-MIT",
    "LICENSE-APACHE",
    "examples/sse_parse.rs",
];

/// `cargo xtask test`'s check of the crate as it would be published.
pub fn check() -> Result {
    let list = output(cargo().args([
        "package",
        "--list",
        "--allow-dirty",
        "-p",
        "typed-eventsource",
    ]))
    .ok_or("`cargo package --list` failed")?;
    let tracked =
        output(command("git").args(["ls-files", "src"])).ok_or("`git ls-files src` failed")?;
    let packaged: Vec<&str> = list.lines().collect();
    check_files(&packaged, &tracked.lines().collect::<Vec<_>>())?;
    let readme = std::fs::read_to_string(crate::cmd::root().join("README.md"))
        .map_err(|e| format!("README.md: {e}"))?;
    check_links(&readme)?;
    // `--allow-dirty`: a run of the tests may have rewritten the figures in BENCHMARKS.md.
    run(cargo().args([
        "publish",
        "--dry-run",
        "--allow-dirty",
        "-p",
        "typed-eventsource",
    ]))
}

/// Everything under `src/` that git tracks is packaged (the bindings include JavaScript and
/// TypeScript files from there), and nothing else is but [`OUTSIDE_SRC`]: no tests, demo,
/// screenshots, benchmark or example apps, lock files of theirs, or npm files.
fn check_files(packaged: &[&str], tracked_src: &[&str]) -> Result {
    let missing: Vec<&str> = tracked_src
        .iter()
        .chain(OUTSIDE_SRC.iter().filter(|f| **f != ".cargo_vcs_info.json"))
        .filter(|f| !packaged.contains(f))
        .copied()
        .collect();
    let extra: Vec<&str> = packaged
        .iter()
        .filter(|f| !f.starts_with("src/") && !OUTSIDE_SRC.contains(f))
        .copied()
        .collect();
    if missing.is_empty() && extra.is_empty() {
        eprintln!(
            "    the package holds {} files, as it should",
            packaged.len()
        );
        Ok(())
    } else {
        Err(format!(
            "the crate's package is wrong: missing {missing:?}, not wanted {extra:?} \
             (Cargo.toml `include`)"
        ))
    }
}

/// Every link and image of the README is absolute (or an anchor): crates.io and docs.rs show
/// it away from the repository, where a relative path leads nowhere.
fn check_links(readme: &str) -> Result {
    let targets = readme
        .match_indices("](")
        .map(|(i, _)| &readme[i + 2..])
        .chain(
            readme
                .match_indices("src=\"")
                .map(|(i, _)| &readme[i + 5..]),
        );
    let relative: Vec<&str> = targets
        .filter(|t| !(t.starts_with("https://") || t.starts_with("http://") || t.starts_with('#')))
        .map(|t| t.split([')', '"', ' ']).next().unwrap_or(t))
        .collect();
    if relative.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "README.md has relative links, which crates.io and docs.rs cannot follow: {relative:?}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relative_link_or_image_is_refused() {
        assert!(check_links("see [a](https://x.y/a) and [b](#b)").is_ok());
        assert!(check_links("see [the table](BENCHMARKS.md)").is_err());
        assert!(check_links("![shot](docs/demo.png)").is_err());
        assert!(check_links("<img src=\"docs/demo.png\">").is_err());
    }

    #[test]
    fn the_file_list_must_be_the_source_and_the_docs() {
        let mut packaged: Vec<&str> = OUTSIDE_SRC.to_vec();
        packaged.push("src/lib.rs");
        assert!(check_files(&packaged, &["src/lib.rs"]).is_ok());
        assert!(check_files(&packaged, &["src/lib.rs", "src/js/options.js"]).is_err());
        packaged.push("docs/demo.png");
        assert!(check_files(&packaged, &["src/lib.rs"]).is_err());
    }
}
