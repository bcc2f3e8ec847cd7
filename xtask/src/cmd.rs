//! Running commands, finding the project and timing steps.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

/// What a task returns: an error says what failed, for a person to read.
pub type Result<T = ()> = std::result::Result<T, String>;

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// A command run from the workspace root.
pub fn command(program: &str) -> Command {
    let mut c = Command::new(program);
    c.current_dir(root());
    c
}

/// `cargo` as the one running this task.
pub fn cargo() -> Command {
    command(&std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
}

fn describe(c: &Command) -> String {
    let mut s = c.get_program().to_string_lossy().into_owned();
    for a in c.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Runs a command to completion; a failure names the command.
pub fn run(c: &mut Command) -> Result {
    let what = describe(c);
    eprintln!("    $ {what}");
    let status = c
        .status()
        .map_err(|e| format!("cannot run `{what}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{what}` failed ({status})"))
    }
}

/// Runs a command and returns its standard output, or `None` when it cannot run or fails.
pub fn output(c: &mut Command) -> Option<String> {
    let out = c.stderr(Stdio::null()).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs a named step and prints how long it took.
pub fn step<T>(name: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    eprintln!("==> {name}");
    let start = Instant::now();
    let r = f();
    let secs = start.elapsed().as_secs_f64();
    match &r {
        Ok(_) => eprintln!("    {name}: ok ({secs:.1} s)"),
        Err(_) => eprintln!("    {name}: FAILED ({secs:.1} s)"),
    }
    r
}

/// A folder under `target/tmp` that browsers get as their `TMPDIR`, emptied when made and
/// removed when dropped. chromedriver makes a profile of about 40 MB in `TMPDIR` for each
/// session and leaves it behind when wasm-bindgen's test runner stops it: every run of the
/// wasm tests left a dozen in `/tmp`, where nothing removes them.
pub struct Scratch(PathBuf);

impl Scratch {
    /// `target/tmp/NAME`, empty but for a `package.json` that makes its scripts CommonJS,
    /// as in `/tmp`: wasm-bindgen's test runner writes a CommonJS script there for Node, and
    /// the repository's own `package.json` (`"type": "module"`) would otherwise apply to it.
    pub fn new(name: &str) -> Result<Scratch> {
        let dir = root().join("target/tmp").join(name);
        empty_dir(&dir)?;
        std::fs::write(dir.join("package.json"), "{}\n")
            .map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
        Ok(Scratch(dir))
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Err(e) = remove(&self.0) {
            eprintln!("    {e}");
        }
    }
}

/// Makes `dir` an empty folder: removes what it held, makes it and its parents if missing.
pub fn empty_dir(dir: &Path) -> Result {
    remove(dir)?;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot make {}: {e}", dir.display()))
}

fn remove(dir: &Path) -> Result {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(format!("cannot remove {}: {e}", dir.display()))
        }
        _ => Ok(()),
    }
}

/// A running `sse-server`, stopped when dropped.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub url: String,
}

impl Server {
    /// Starts the server binary (built beforehand) with extra arguments and waits until it
    /// listens.
    pub fn start(binary: &Path, args: &[&str]) -> Result<Server> {
        let mut child = Command::new(binary)
            .args(args)
            .current_dir(root())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| format!("sse-server printed nothing readable: {e}"))?;
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .ok_or_else(|| format!("sse-server did not start: {line:?}"))?
            .to_owned();
        Ok(Server { child, url })
    }

    /// Waits for the server to exit (the demo runs until interrupted).
    pub fn wait(mut self) -> Result {
        let status = self.child.wait().map_err(|e| e.to_string())?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("sse-server exited with {status}"))
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
