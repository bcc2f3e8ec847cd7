//! Server-Sent Events for Rust on WebAssembly: typed handlers and a reconnection policy over
//! the browser's `EventSource`, or over `fetch` with a spec-exact parser.
//!
//! # With the browser's `EventSource` (the default transport)
//!
//! The browser connects and parses, and after a drop reconnects as it would by itself
//! (honouring the server's `retry:`, resuming with `Last-Event-ID`); this crate decides every
//! reconnection after that (with back-off, resuming through a query parameter), decodes each
//! event type into its own Rust type, and closes everything when the handle is dropped.
//!
//! ```no_run
//! use serde::Deserialize;
//! use typed_eventsource::{Backoff, EventSource, State};
//! use std::time::Duration;
//!
//! #[derive(Deserialize)]
//! struct News { headline: String }
//!
//! # fn main() -> Result<(), typed_eventsource::Error> {
//! let source = EventSource::builder("https://example.com/news")
//!     .backoff(Backoff::default().max(Duration::from_secs(10)))
//!     .last_event_id_param("lastEventId")
//!     .on::<News>("news", |news| match news {
//!         Ok(news) => println!("{}", news.headline),
//!         Err(e) => eprintln!("{e}"), // a decode error keeps the raw data
//!     })
//!     .on_state(|state| {
//!         if let State::Reconnecting { attempt, delay } = state {
//!             println!("reconnecting (attempt {attempt}) in {delay:?}");
//!         }
//!     })
//!     .open()?;
//! // ... later: `drop(source)` or `source.close()` ends the stream for good.
//! # drop(source); Ok(()) }
//! ```
//!
//! # With fetch
//!
//! The fetch transport sends headers (fixed, or computed before each attempt), a method and a
//! body, sees the HTTP status (a 404 stops, a 503 with `Retry-After` waits as told), resumes
//! with the `Last-Event-ID` header, and keeps an idle watchdog fed with the server's comments.
//!
//! ```no_run
//! use serde::Deserialize;
//! use typed_eventsource::{EventSource, Transport};
//! use std::time::Duration;
//!
//! #[derive(Deserialize)]
//! struct Price { symbol: String, price: f64 }
//!
//! # async fn fresh_token() -> String { String::new() }
//! # fn main() -> Result<(), typed_eventsource::Error> {
//! let source = EventSource::builder("/prices")
//!     .transport(Transport::Fetch)
//!     .headers_with(|| async { vec![("Authorization".into(), format!("Bearer {}", fresh_token().await))] })
//!     .idle_timeout(Duration::from_secs(45))
//!     .on::<Price>("price", |p| {
//!         if let Ok(p) = p {
//!             println!("{} {}", p.symbol, p.price);
//!         }
//!     })
//!     .on_error(|e| eprintln!("{e}"))
//!     .open()?;
//! # drop(source); Ok(()) }
//! ```
//!
//! # Layers
//!
//! - [`core`]: the sans-IO parser, back-off policy and reconnection state machine, which read
//!   no clock and touch no browser API (they run and are tested natively).
//! - [`web`]: the browser client built on the core.
//! - `yew` and `leptos` (features of the same names): hooks, `use_event_source` and
//!   `use_event_source_with_options`, that tie a stream to a component's lifetime.
//! - Features `eventsource` and `fetch` (both on by default): the two transports. A build links
//!   only the transports its streams use; turning one off also refuses its options.
//! - [`testing`] (feature `testing`): a scripted network and a virtual clock under the real
//!   client, for an app's own tests.
//! - Feature `talc`: [talc](https://docs.rs/talc) as the global allocator on wasm32, in place
//!   of the standard library's dlmalloc (about 2 KB smaller gzipped; the npm package uses
//!   it). Leave it off in an app that sets a global allocator of its own.
#![deny(missing_docs)]

#[cfg(not(any(feature = "eventsource", feature = "fetch")))]
compile_error!(
    "typed-eventsource needs a transport: enable the feature `eventsource`, `fetch` or both"
);

#[cfg(all(
    feature = "talc",
    target_family = "wasm",
    not(target_feature = "atomics")
))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

pub mod core;
#[cfg(feature = "js")]
mod js;
#[cfg(feature = "leptos")]
pub mod leptos;
pub mod web;
#[cfg(feature = "testing")]
pub use crate::web::testing;
#[cfg(feature = "yew")]
pub mod yew;

pub use crate::core::backoff::{Backoff, Jitter};
pub use crate::core::error::{CloseReason, Error};
pub use crate::core::machine::{Decision, PauseReason, RetryPolicy, State};
pub use crate::core::parser::Event;
#[cfg(feature = "fetch")]
pub use crate::web::Resume;
pub use crate::web::{Builder, Credentials, EventSource, Sharing, Transport};

/// The README's Rust examples, compiled by `cargo test --doc` as they are written.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
