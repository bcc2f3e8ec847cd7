//! The scripted Server-Sent Events server for typed-eventsource's demo, tests and benchmarks.
//!
//! `sse-server [--port N] [--www DIR] [--pkg DIR]` listens on 127.0.0.1 (port 0 picks a free
//! one) and prints `listening on http://127.0.0.1:PORT` once it accepts connections.
//!
//! Routes:
//! - `GET /sse?...`: an event stream scripted by the query (see [`scenario::Scenario`]).
//! - `GET /log?scenario=KEY`: JSON log of the scenario's requests and how each ended.
//! - `POST /control?scenario=KEY&action=drop|fail|stall&ms=N`: faults injected into a running
//!   scenario (see [`control`]).
//! - `/wpt/*`: the web-platform-tests' EventSource handlers, for the conformance suite (see
//!   [`wpt`]).
//! - `GET /health`: `ok`.
//! - `/pkg/*` from `--pkg`, everything else from `--www` (when given).

mod app;
mod control;
mod log;
mod scenario;
mod stream;
mod wpt;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

fn usage() -> &'static str {
    "usage: sse-server [--port N] [--www DIR] [--pkg DIR]"
}

#[derive(Default)]
struct Args {
    port: u16,
    www: Option<PathBuf>,
    pkg: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args::default();
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{a} needs a value\n{}", usage()))
        };
        match a.as_str() {
            "--port" => {
                let v = value()?;
                args.port = v.parse().map_err(|e| format!("bad --port {v}: {e}"))?;
            }
            "--www" => args.www = Some(value()?.into()),
            "--pkg" => args.pkg = Some(value()?.into()),
            "-h" | "--help" => return Err(usage().to_owned()),
            other => return Err(format!("unknown argument {other}\n{}", usage())),
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let listener =
        match tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], args.port))).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("sse-server: cannot listen on 127.0.0.1:{}: {e}", args.port);
                return ExitCode::from(1);
            }
        };
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    println!("listening on http://{addr}");
    let app = app::router(args.www, args.pkg);
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if let Err(e) = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
    {
        eprintln!("sse-server: {e}");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
