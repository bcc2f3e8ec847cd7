//! The browser client: [`EventSource::builder`], then typed handlers, over either transport.
//!
//! ```no_run
//! use serde::Deserialize;
//! use typed_eventsource::web::{EventSource, Transport};
//!
//! #[derive(Deserialize)]
//! struct Price { symbol: String, price: f64 }
//!
//! # fn main() -> Result<(), typed_eventsource::Error> {
//! let source = EventSource::builder("/prices")
//!     .transport(Transport::Fetch)
//!     .header("Authorization", "Bearer 123")
//!     .on::<Price>("price", |result| match result {
//!         Ok(p) => println!("{} {}", p.symbol, p.price),
//!         Err(e) => eprintln!("{e}"),
//!     })
//!     .on_state(|state| println!("{state:?}"))
//!     .open()?;
//! // Keep `source` as long as the stream should run: dropping it closes the stream.
//! # drop(source); Ok(()) }
//! ```
//!
//! Typed handlers decode with serde_json inside the wasm module rather than with the browser's
//! `JSON.parse` and serde-wasm-bindgen: no string crosses to JavaScript per event and no
//! JavaScript object is walked back into Rust. In BENCHMARKS.md the fetch transport with
//! serde_json keeps pace with a hand-written JavaScript parser using `JSON.parse`, while the
//! npm class, which hands each event to `JSON.parse`, runs below both. The EventSource
//! transport, whose every event arrives as a JavaScript string, is bound by the
//! browser's own dispatch either way.

pub(crate) mod browser;
#[cfg(feature = "eventsource")]
mod eventsource;
#[cfg(feature = "fetch")]
mod fetch;
mod handlers;
#[cfg(feature = "fetch")]
mod readable;
mod share;
mod shared;
mod sink;
#[cfg(feature = "stream")]
mod stream;
mod tabs;
#[cfg(feature = "testing")]
pub mod testing;

use std::fmt;
#[cfg(feature = "fetch")]
use std::future::Future;
#[cfg(feature = "fetch")]
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use web_time::Instant;

pub use browser::{live_resources, LiveResources};
pub use handlers::{decode, HandlerId};
#[cfg(feature = "stream")]
pub use stream::EventStream;

use crate::core::backoff::Backoff;
use crate::core::error::Error;
use crate::core::machine::{Environment, Machine, MachineConfig, RetryPolicy, State};
use crate::core::parser::{Event, ParserConfig};
use handlers::Handlers;
#[cfg(feature = "eventsource")]
use shared::Connection;
use shared::Shared;

/// Which browser API carries the stream. Each has a crate feature of the same name in lower
/// case (both on by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Transport {
    /// The browser's own `EventSource`, which parses the stream itself. The default: it is what
    /// servers and proxies are tested with, and it is all that most streams need. It cannot
    /// send headers, a method or a body; it hides the status and content type of a refused
    /// response ([`Error::Refused`], which stops by default as the browser's does) and never
    /// shows this crate the server's `retry:` or comments. After an open stream drops, the
    /// browser's own reconnection runs (it honours `retry:` and sends `Last-Event-ID`); when
    /// that fails, reconnections are new `EventSource`s under the back-off, which resume only
    /// through [`Builder::last_event_id_param`] (see [`Machine::handle_error_reconnecting`]
    /// for the rules).
    #[cfg(feature = "eventsource")]
    #[default]
    EventSource,
    /// `fetch` with a streamed body, parsed by this crate. Sends headers, a method and a body,
    /// sees the HTTP status and `Retry-After`, sends `Last-Event-ID` as a header, and feeds the
    /// idle watchdog with comments. Also much faster: the browser's `EventSource` dispatch is
    /// the bottleneck for busy streams. The default when the `eventsource` feature is off.
    #[cfg(feature = "fetch")]
    #[cfg_attr(not(feature = "eventsource"), default)]
    Fetch,
}

/// Whether the request carries cookies and HTTP authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Credentials {
    /// Never (fetch only).
    Omit,
    /// Only to the page's own origin. The default, as for both browser APIs.
    #[default]
    SameOrigin,
    /// Also across origins (`withCredentials` for `EventSource`); the server must answer with
    /// `Access-Control-Allow-Credentials: true` and echo the origin.
    Include,
}

/// An asynchronous source of request headers, called before every connection attempt.
#[cfg(feature = "fetch")]
pub type HeadersFn = dyn Fn() -> Pin<Box<dyn Future<Output = Vec<(String, String)>>>>;

/// The request that resumes a stream after an event id, when it is not the request that
/// started it (fetch transport; feature `fetch`): MCP's Streamable HTTP, say, starts a stream
/// with a POST and resumes it with a GET. Given by [`Builder::resume_with`]. The builder's
/// fixed and computed headers and credentials are sent too, and `Last-Event-ID` always.
#[cfg(feature = "fetch")]
#[derive(Debug, Clone)]
pub struct Resume {
    pub(crate) method: String,
    pub(crate) url: Option<String>,
    pub(crate) body: Option<String>,
    pub(crate) headers: Vec<(String, String)>,
}

#[cfg(feature = "fetch")]
impl Resume {
    /// A `GET` of the stream's URL without a body.
    pub fn get() -> Self {
        Resume {
            method: "GET".to_owned(),
            url: None,
            body: None,
            headers: Vec::new(),
        }
    }

    /// The method. Default: `GET`.
    pub fn method(mut self, method: impl Into<String>) -> Self {
        self.method = method.into();
        self
    }

    /// Another URL (absolute, or relative to the page). Default: the stream's.
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// A body. Default: none.
    pub fn body(mut self, body: impl Into<String>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// Adds a header, after the builder's own.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// What makes the resuming request from the last event id; an error fails the connection.
#[cfg(feature = "fetch")]
pub(crate) type ResumeFn = dyn Fn(&str) -> Result<Resume, Error>;

/// What a connection needs; fixed when the stream opens.
pub(crate) struct Options {
    pub(crate) url: String,
    pub(crate) transport: Transport,
    /// How a connection is opened: the transport's, or the app's stream's.
    pub(crate) connect: shared::Connector,
    pub(crate) credentials: Credentials,
    #[cfg(feature = "fetch")]
    pub(crate) fetch: FetchOptions,
    pub(crate) last_event_id_param: Option<String>,
    /// The app's own stream, read in place of a connection
    /// ([`EventSource::from_readable_stream`]).
    #[cfg(feature = "fetch")]
    pub(crate) readable: Option<web_sys::ReadableStream>,
    /// The scripted network and clock in place of the browser's ([`Builder::script`]).
    #[cfg(feature = "testing")]
    pub(crate) script: Option<testing::Script>,
}

/// What only the fetch transport can send.
#[cfg(feature = "fetch")]
pub(crate) struct FetchOptions {
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) headers_fn: Option<Rc<HeadersFn>>,
    pub(crate) method: String,
    pub(crate) body: Option<String>,
    pub(crate) resume: Option<Rc<ResumeFn>>,
}

#[cfg(feature = "fetch")]
impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            headers: Vec::new(),
            headers_fn: None,
            method: "GET".to_owned(),
            body: None,
            resume: None,
        }
    }
}

#[cfg(feature = "fetch")]
impl FetchOptions {
    /// The first option set that the browser's `EventSource` cannot send (nor a stream the
    /// app reads), if any.
    fn first_set(&self) -> Option<&'static str> {
        if !self.headers.is_empty() || self.headers_fn.is_some() {
            Some("headers")
        } else if self.method != "GET" {
            Some("method")
        } else if self.body.is_some() {
            Some("body")
        } else if self.resume.is_some() {
            Some("resume_with")
        } else {
            None
        }
    }
}

/// Options for a stream, then [`Builder::open`]. Every option states its default.
#[must_use = "a builder does nothing until `open()`"]
pub struct Builder {
    options: Options,
    config: MachineConfig,
    max_event_size: Option<usize>,
    seed: Option<u64>,
    handlers: Handlers,
    share: Share,
    replay_latest: bool,
    /// How a shared stream opens, set by [`Builder::share`]: a function, so that an app that
    /// never shares links none of it.
    sharer: Option<fn(Builder) -> Result<EventSource, Error>>,
    /// How a shared connection follows the other tabs, set by [`Builder::share_tabs`]; none
    /// where the browser cannot.
    tabber: Option<share::MakeRelay>,
}

/// How a stream's connection is shared ([`EventSource::sharing`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Sharing {
    /// The stream has a connection of its own.
    Own,
    /// It shares its page's connection ([`Builder::share`]).
    Page,
    /// It shares one connection across tabs ([`Builder::share_tabs`]), and this tab holds it:
    /// it relays to the others.
    Holder,
    /// It shares one connection across tabs, and another tab holds it: this one follows.
    Follower,
    /// Sharing across tabs was asked for where the browser cannot (no Web Locks or
    /// `BroadcastChannel`: a page that is not a secure context, an old browser): the page has
    /// a connection of its own, shared by its subscribers.
    Unavailable,
}

/// Whether a stream shares its connection ([`Builder::share`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Share {
    No,
    /// As the app asked: a stream that cannot share is refused.
    Yes,
    /// As the hooks do by default: a stream that cannot share (one-shot) has its own.
    IfPossible,
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("url", &self.options.url)
            .field("transport", &self.options.transport)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Builder {
    /// Which API carries the stream. Default: [`Transport::EventSource`].
    // Inlined so that a constant transport links only its own code (`shared::Connector`).
    #[inline(always)]
    pub fn transport(mut self, transport: Transport) -> Self {
        self.options.transport = transport;
        self.options.connect = shared::connector(transport);
        self
    }

    /// Cookies and HTTP authentication. Default: [`Credentials::SameOrigin`].
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.options.credentials = credentials;
        self
    }

    /// Adds a request header (fetch transport only; feature `fetch`). Default: none besides
    /// `Accept: text/event-stream` and, on reconnection, `Last-Event-ID`.
    #[cfg(feature = "fetch")]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.options.fetch.headers.push((name.into(), value.into()));
        self
    }

    /// Headers computed before every connection attempt, after the fixed ones (fetch transport
    /// only; feature `fetch`): a token refreshed between attempts is used at once. Default:
    /// none.
    #[cfg(feature = "fetch")]
    pub fn headers_with<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn() -> Fut + 'static,
        Fut: Future<Output = Vec<(String, String)>> + 'static,
    {
        self.options.fetch.headers_fn = Some(Rc::new(move || Box::pin(f())));
        self
    }

    /// The request method (fetch transport only; feature `fetch`). Default: `GET`.
    #[cfg(feature = "fetch")]
    pub fn method(mut self, method: impl Into<String>) -> Self {
        self.options.fetch.method = method.into();
        self
    }

    /// The request body (fetch transport only; feature `fetch`). Default: none.
    #[cfg(feature = "fetch")]
    pub fn body(mut self, body: impl Into<String>) -> Self {
        self.options.fetch.body = Some(body.into());
        self
    }

    /// The request that resumes the stream after an event id, made from that id (fetch
    /// transport only; feature `fetch`): a stream started by a POST and resumed by a GET, as
    /// MCP's Streamable HTTP asks, is `.resume_with(|_| Resume::get())`. It is used for every
    /// connection that resumes, the first one too when it starts from
    /// [`last_event_id`](Builder::last_event_id). Default: the same request again.
    #[cfg(feature = "fetch")]
    pub fn resume_with(mut self, f: impl Fn(&str) -> Resume + 'static) -> Self {
        self.options.fetch.resume = Some(Rc::new(move |id| Ok(f(id))));
        self
    }

    /// [`Builder::resume_with`] with a function that may fail, failing the connection (the
    /// npm class's `resume` option).
    #[cfg(all(feature = "fetch", feature = "js"))]
    pub(crate) fn try_resume_with(mut self, f: Rc<ResumeFn>) -> Self {
        self.options.fetch.resume = Some(f);
        self
    }

    /// Drops the events a server replays that the stream already delivered (fetch transport
    /// only; feature `fetch`): `f(id, last)` says whether the event with `id` comes at or
    /// before `last`, the id of the last event delivered. See
    /// [`MachineConfig::skip_replays`] for which events are judged. Default: every event is
    /// delivered, as the standard has it.
    #[cfg(feature = "fetch")]
    pub fn skip_replays(mut self, f: impl Fn(&str, &str) -> bool + 'static) -> Self {
        self.config.skip_replays = Some(crate::core::machine::ReplayCheck::new(f));
        self
    }

    /// A stream that ends (fetch transport only; feature `fetch`), as a POST that streams a
    /// model's answer does: its end closes it with
    /// [`CloseReason::Completed`](crate::CloseReason::Completed), not a reconnection, and a
    /// failure is retried only once an event with an id has arrived (before that there is
    /// nothing to resume from). See [`MachineConfig::one_shot`]. Default: `false`.
    #[cfg(feature = "fetch")]
    pub fn one_shot(mut self, one_shot: bool) -> Self {
        self.config.one_shot = one_shot;
        self
    }

    /// Whether the end of a [one-shot](Builder::one_shot) stream dispatches an event it cut
    /// short (`true`, as several model APIs' clients do) or discards it as the standard says
    /// (`false`); either way the close reason says it ended mid-event. Default: `false`.
    #[cfg(feature = "fetch")]
    pub fn dispatch_unfinished(mut self, dispatch: bool) -> Self {
        self.config.dispatch_unfinished = dispatch;
        self
    }

    /// The reconnection policy. Default: [`Backoff::default()`] (1 s doubling to 30 s, equal
    /// jitter, never giving up).
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.config.backoff = backoff;
        self
    }

    /// Which failures are retried: `f(failure, default)` returns the decision. Default:
    /// [`default_decision`](crate::core::machine::default_decision).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.config.retry_policy = policy;
        self
    }

    /// Replace a connection that stays silent (no byte, no event) this long. Default: none.
    /// Set it above the server's keep-alive interval. With [`Transport::EventSource`] only
    /// events count (the browser swallows comments), so set it above the longest gap between
    /// events.
    pub fn idle_timeout(mut self, after: Duration) -> Self {
        self.config.idle_timeout = Some(after);
        self
    }

    /// Disconnect while the page is hidden, and reconnect (resuming) when it is shown.
    /// Default: `false`.
    pub fn pause_when_hidden(mut self, pause: bool) -> Self {
        self.config.pause_when_hidden = pause;
        self
    }

    /// Resume after this event id on the first connection. Default: none.
    pub fn last_event_id(mut self, id: impl Into<String>) -> Self {
        self.config.last_event_id = Some(id.into());
        self
    }

    /// Send the last event id on reconnection as this query parameter too. Default: none. The
    /// [`Transport::EventSource`] transport needs it to resume once the browser's own
    /// reconnection has failed: a new browser `EventSource` cannot send the `Last-Event-ID`
    /// header. With it set, that transport makes every reconnection itself, so that the
    /// parameter is never stale.
    pub fn last_event_id_param(mut self, name: impl Into<String>) -> Self {
        self.options.last_event_id_param = Some(name.into());
        self
    }

    /// The largest event kept, in bytes (fetch transport). Default: 4 MiB. A larger event is
    /// discarded with [`Error::EventTooLarge`] and the stream goes on.
    pub fn max_event_size(mut self, bytes: usize) -> Self {
        self.max_event_size = Some(bytes);
        self
    }

    /// Connects through `script` (feature `testing`): a scripted network and a virtual clock
    /// in place of the browser's, for tests (see [`testing`]). The stream's connections wait
    /// for the script's answers, and its timers for the script's clock.
    #[cfg(feature = "testing")]
    pub fn script(mut self, script: &testing::Script) -> Self {
        self.options.script = Some(script.clone());
        self
    }

    /// Shares one connection with the page's other shared streams to the same URL with the
    /// same transport and request options (method, body, fixed headers, credentials,
    /// `last_event_id_param`). Default: `false`; the Yew and Leptos hooks share (unless
    /// `configure` says `share(false)`, or the stream is one-shot).
    ///
    /// Each subscriber has its own handlers and event types, and [`EventSource::state`] at
    /// once. Its [`EventSource::close`] (or drop) leaves and the others go on; when the last
    /// one leaves, the connection closes, and the next to come (or [`EventSource::reopen`])
    /// opens it again, resuming after the last event id. The options that cannot be compared
    /// (a headers function, the retry policy, `resume_with`) and the back-off are the first
    /// subscriber's. A one-shot stream, or one the app reads, is one request: it is refused.
    pub fn share(mut self, share: bool) -> Self {
        self.share = if share { Share::Yes } else { Share::No };
        self.sharer = Some(share::open);
        self
    }

    /// Shares one connection with the other tabs of the browser (same origin) too, as
    /// [`Builder::share`] shares it in a page. Default: `false`.
    ///
    /// One tab, elected with the Web Locks API, holds the connection and relays its events,
    /// states and errors to the others over a `BroadcastChannel`: each tab gets every event
    /// once, in order, with its id. When the holder goes (closed, reloaded, crashed, frozen)
    /// or its last subscriber leaves, another tab takes it over within a fraction of a second
    /// and resumes after the last event relayed; a tab drops an event it had already had, so
    /// none sees one twice. [`EventSource::sharing`] says which tab holds it.
    ///
    /// The request is the holder's: what [`Builder::share`] lets the first subscriber decide
    /// (a headers function, credentials sent with it, the back-off and retry policy) the
    /// holding tab decides, whichever tab it is. A tab that follows cannot have request
    /// options of its own: put what differs between users into the URL or fixed headers,
    /// which make another stream. Where the browser has no Web Locks or
    /// `BroadcastChannel`, each page has its own connection ([`Sharing::Unavailable`]).
    pub fn share_tabs(mut self, share: bool) -> Self {
        self = self.share(share);
        self.tabber = if share { Some(tabs::relay) } else { None };
        self
    }

    /// With [`Builder::share`]: when it joins a connection that has run, and when it starts
    /// handling a type later, this stream gets at once (before any other event) the latest
    /// event of each type it handles, as a component mounted late shows the latest value.
    /// Default: `false`; the hooks ask for it.
    pub fn replay_latest(mut self, replay: bool) -> Self {
        self.replay_latest = replay;
        self
    }

    /// Shares the connection if the stream can be shared (the hooks' default).
    #[cfg(any(feature = "yew", feature = "leptos"))]
    pub(crate) fn share_if_possible(mut self) -> Self {
        self.share = Share::IfPossible;
        self.sharer = Some(share::open);
        self
    }

    /// Seeds the back-off jitter, for reproducible delays. Default: a random seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Calls `f` with each event of this type, its data decoded from JSON into `T`. A failure
    /// to decode arrives as [`Error::Decode`], which keeps the type and raw data.
    pub fn on<T: DeserializeOwned>(
        self,
        event_type: &str,
        f: impl FnMut(Result<T, Error>) + 'static,
    ) -> Self {
        self.handlers.on(event_type, f);
        self
    }

    /// Calls `f` with each event of this type, undecoded.
    pub fn on_raw(self, event_type: &str, f: impl FnMut(&Event) + 'static) -> Self {
        self.handlers.on_raw(event_type, true, f);
        self
    }

    /// Calls `f` with each state change, from the first `Connecting` on.
    pub fn on_state(self, f: impl FnMut(&State) + 'static) -> Self {
        self.handlers.on_state(f);
        self
    }

    /// Calls `f` with each failure (before the state change it causes).
    pub fn on_error(self, f: impl FnMut(&Error) + 'static) -> Self {
        self.handlers.on_error(f);
        self
    }

    fn check(&mut self) -> Result<(), Error> {
        let bad = |option, reason: &str| {
            Err(Error::InvalidOption {
                option,
                reason: reason.to_owned(),
            })
        };
        if let Err(e) = self.config.backoff.validate() {
            return bad("backoff", &e.to_string());
        }
        if self.config.idle_timeout.is_some_and(|t| t.is_zero()) {
            return bad("idle_timeout", "must be greater than zero");
        }
        if self.max_event_size == Some(0) {
            return bad("max_event_size", "must be greater than zero");
        }
        if self.options.last_event_id_param.as_deref() == Some("") {
            return bad("last_event_id_param", "must not be empty");
        }
        let o = &self.options;
        #[cfg(feature = "fetch")]
        if o.readable
            .as_ref()
            .is_some_and(web_sys::ReadableStream::locked)
        {
            return bad(
                "stream",
                "is locked: something reads it already, and a stream can be read only once",
            );
        }
        #[cfg(feature = "testing")]
        if o.readable.is_some() && o.script.is_some() {
            return bad(
                "script",
                "a stream the app reads has no network to script (from_readable_stream)",
            );
        }
        #[cfg(feature = "fetch")]
        if o.readable.is_some() {
            let option = o.fetch.first_set().or_else(|| {
                if o.last_event_id_param.is_some() {
                    Some("last_event_id_param")
                } else if o.credentials != Credentials::default() {
                    Some("credentials")
                } else {
                    None
                }
            });
            if let Some(option) = option {
                return bad(
                    option,
                    "a stream the app reads sends no request (from_readable_stream)",
                );
            }
        }
        #[cfg(feature = "eventsource")]
        if o.transport == Transport::EventSource {
            let one_shot = if self.reads_a_stream() {
                None
            } else if self.config.one_shot {
                Some("one_shot")
            } else {
                self.config.skip_replays.is_some().then_some("skip_replays")
            };
            if let Some(option) = fetch_only(o).or(one_shot) {
                return bad(
                    option,
                    "the browser's EventSource cannot do this; use Transport::Fetch",
                );
            }
        }
        // Resolve the URL as the browser will, so that a bad one fails here, not later.
        match browser::resolve(&o.url) {
            Ok(url) => self.options.url = url,
            Err(e) => return bad("url", &e),
        }
        #[cfg(all(feature = "fetch", target_arch = "wasm32"))]
        if let Err(e) = fetch::headers(&self.options.fetch.headers, &[], None) {
            return bad("headers", &browser::js_message(&e));
        }
        #[cfg(all(feature = "fetch", not(target_arch = "wasm32")))]
        if let Some((name, _)) = self.options.fetch.headers.iter().find(|h| !valid_header(h)) {
            return bad("headers", &format!("{name:?} is not a valid header"));
        }
        Ok(())
    }

    /// Validates the options and connects. Nothing is opened when an option is invalid
    /// ([`Error::InvalidOption`] names it).
    pub fn open(self) -> Result<EventSource, Error> {
        let can_share = !self.config.one_shot && !self.reads_a_stream();
        if let Some(sharer) = self.sharer {
            if self.share == Share::Yes || (self.share == Share::IfPossible && can_share) {
                return sharer(self);
            }
        }
        self.open_own(false)
    }

    /// Opens a stream of its own (a shared connection's too). A `parked` one is made closed,
    /// without connecting: a connection shared across tabs that another tab holds.
    fn open_own(mut self, parked: bool) -> Result<EventSource, Error> {
        let mut machine = self.machine()?;
        if parked {
            machine.close();
            while machine.poll().is_some() {}
        }
        #[cfg(feature = "testing")]
        if self.options.script.is_some() {
            self.options.connect = shared::connect_scripted;
        }
        let shared = Shared::new(machine, self.options, self.handlers);
        shared.pump();
        Ok(EventSource { shared, sub: None })
    }

    /// Whether the stream is the app's own ([`EventSource::from_readable_stream`]).
    fn reads_a_stream(&self) -> bool {
        #[cfg(feature = "fetch")]
        return self.options.readable.is_some();
        #[cfg(not(feature = "fetch"))]
        false
    }

    /// Validates the options and builds the machine, which asks for its first connection.
    fn machine(&mut self) -> Result<Machine, Error> {
        self.check()?;
        let mut config = std::mem::take(&mut self.config);
        if let Some(size) = self.max_event_size {
            config.parser = ParserConfig::default().max_event_size(size);
        }
        let env = if self.reads_a_stream() {
            // The app's stream is read as it is: the page's network and visibility are the
            // app's business, and a stream cannot be read again.
            config.retry_policy = RetryPolicy::new(|_, _| crate::core::machine::Decision::Stop);
            config.pause_when_hidden = false;
            Environment::default()
        } else {
            Environment {
                online: browser::online(),
                visible: browser::visible(),
            }
        };
        let seed = self.seed.unwrap_or_else(random_seed);
        #[cfg(feature = "testing")]
        if let Some(script) = &self.options.script {
            return Ok(Machine::new(config, env, script.now(), seed));
        }
        Ok(Machine::new(config, env, Instant::now(), seed))
    }
}

/// Whether a header is one the browser's `Headers` takes (outside wasm, where there is none):
/// a name of token characters, a value without NUL, CR or LF.
#[cfg(all(feature = "fetch", not(target_arch = "wasm32")))]
fn valid_header((name, value): &(String, String)) -> bool {
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    !name.is_empty()
        && name.bytes().all(token)
        && !value.bytes().any(|b| matches!(b, 0 | b'\r' | b'\n'))
}

/// A seed for the back-off's jitter, from `Math.random()`.
#[cfg(target_arch = "wasm32")]
pub(crate) fn random_seed() -> u64 {
    (js_sys::Math::random() * 9_007_199_254_740_992.0) as u64
}

/// A seed for the back-off's jitter outside wasm (the test kit in a native `cargo test`): the
/// standard library's per-process random hashing keys.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn random_seed() -> u64 {
    use std::hash::BuildHasher;
    std::collections::hash_map::RandomState::new().hash_one(0u8)
}

/// A Server-Sent Events stream with typed handlers and a reconnection policy.
///
/// It owns every listener, closure and timer it registers: dropping it closes the connection
/// and frees them all (so it is not `Clone`; share it with `Rc` if needed).
#[must_use = "dropping an EventSource closes it at once"]
pub struct EventSource {
    /// The stream; a subscriber's is its shared connection's.
    shared: Rc<Shared>,
    /// A subscriber of a shared connection ([`Builder::share`]).
    sub: Option<Rc<dyn share::Member>>,
}

impl fmt::Debug for EventSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventSource")
            .field("url", &self.url())
            .field("state", &self.state())
            .finish()
    }
}

/// The first option set that only the fetch transport can carry out, if any.
#[cfg(feature = "eventsource")]
fn fetch_only(o: &Options) -> Option<&'static str> {
    #[cfg(feature = "fetch")]
    if let Some(option) = o.fetch.first_set() {
        return Some(option);
    }
    (o.credentials == Credentials::Omit).then_some("credentials")
}

impl EventSource {
    /// Starts building a stream from `url` (absolute, or relative to the page).
    pub fn builder(url: impl Into<String>) -> Builder {
        Builder {
            options: Options {
                url: url.into(),
                transport: Transport::default(),
                connect: shared::connector(Transport::default()),
                credentials: Credentials::default(),
                #[cfg(feature = "fetch")]
                fetch: FetchOptions::default(),
                last_event_id_param: None,
                #[cfg(feature = "fetch")]
                readable: None,
                #[cfg(feature = "testing")]
                script: None,
            },
            config: MachineConfig::default(),
            max_event_size: None,
            seed: None,
            handlers: Handlers::default(),
            share: Share::No,
            replay_latest: false,
            sharer: None,
            tabber: None,
        }
    }

    /// Starts building a stream that parses what `stream` carries (bytes, or strings) and
    /// dispatches it to the handlers, as the WHATWG proposal `EventSource.fromReadableStream()`
    /// does: the app does the networking (a `fetch` with headers of its own, say), this crate
    /// the parsing and the typed handlers. Its URL is `about:event-stream`. It opens as soon as
    /// it is read; its end or its error is reported once and closes it, with no reconnection
    /// (a stream is read only once: for a reconnection of its own, the app opens another from
    /// a new stream, resuming after [`EventSource::last_event_id`] and waiting
    /// [`EventSource::reconnection_time`]). Request options (headers, method, body,
    /// credentials, `last_event_id_param`) are refused: there is no request.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), wasm_bindgen::JsValue> {
    /// use typed_eventsource::EventSource;
    /// use wasm_bindgen::JsCast;
    /// use wasm_bindgen_futures::JsFuture;
    ///
    /// let window = web_sys::window().unwrap();
    /// let response: web_sys::Response = JsFuture::from(window.fetch_with_str("/answer"))
    ///     .await?
    ///     .dyn_into()?;
    /// let source = EventSource::from_readable_stream(response.body().unwrap())
    ///     .on_raw("message", |e| println!("{}", e.data))
    ///     .open()
    ///     .map_err(|e| wasm_bindgen::JsValue::from_str(&e.to_string()))?;
    /// # drop(source); Ok(()) }
    /// ```
    #[cfg(feature = "fetch")]
    pub fn from_readable_stream(stream: web_sys::ReadableStream) -> Builder {
        let mut b = EventSource::builder("about:event-stream");
        // What the options allow is the fetch transport's (no request, though: the checks).
        b.options.transport = Transport::Fetch;
        b.options.connect = shared::connect_readable;
        b.options.readable = Some(stream);
        b
    }

    /// The stream's URL, resolved against the page.
    pub fn url(&self) -> String {
        self.shared.options.url.clone()
    }

    /// The origin of the stream's events: that of the last response's final URL, after
    /// redirects (before any response, that of [`EventSource::url`]). It is what the browser's
    /// `EventSource` puts in each `MessageEvent.origin`.
    pub fn origin(&self) -> String {
        self.shared.origin.borrow().clone()
    }

    /// The current state. Inside a [`RetryPolicy`], the state before the failure being decided.
    pub fn state(&self) -> State {
        match &self.sub {
            Some(sub) => sub.state(),
            None => self.shared.state(),
        }
    }

    /// The reconnection time: the server's last `retry:` as it sent it, else the back-off's
    /// initial delay. What the proposal's `reconnectionTime` reports, for an app that
    /// reconnects a [`EventSource::from_readable_stream`] stream itself. Inside a
    /// [`RetryPolicy`], as of before the failure being decided.
    pub fn reconnection_time(&self) -> Duration {
        self.shared.reconnection_time()
    }

    /// Discards what the parser holds of an event not yet complete, as a broken connection
    /// does: for an app that pipes a fresh stream of events into the same
    /// [`EventSource::from_readable_stream`] source (the proposal's `reset()`).
    pub fn reset(&self) {
        self.shared.apply(|m, _| m.reset());
    }

    /// The id of the last event received: where the next connection resumes. Inside a
    /// handler, it is the id as of the event being handled, even when later events of the
    /// same chunk are already parsed, so a handler may save it to resume from later.
    pub fn last_event_id(&self) -> String {
        self.shared.last_event_id()
    }

    /// The browser's `EventSource` in use, if the transport is [`Transport::EventSource`] and
    /// a connection is open or being made. It is replaced on every reconnection.
    #[cfg(feature = "eventsource")]
    pub fn as_web_sys(&self) -> Option<web_sys::EventSource> {
        match &self.shared.core.borrow().connection {
            Some((_, Connection::EventSource(c))) => Some(c.source().clone()),
            _ => None,
        }
    }

    /// See [`Builder::on`]. Returns an id for [`EventSource::off`].
    pub fn on<T: DeserializeOwned>(
        &self,
        event_type: &str,
        f: impl FnMut(Result<T, Error>) + 'static,
    ) -> HandlerId {
        self.listen_for(event_type);
        self.handlers().on(event_type, f)
    }

    /// See [`Builder::on_raw`]. Returns an id for [`EventSource::off`].
    pub fn on_raw(&self, event_type: &str, f: impl FnMut(&Event) + 'static) -> HandlerId {
        self.add_raw(event_type, true, f)
    }

    /// See [`Builder::on_state`]. Returns an id for [`EventSource::off`].
    pub fn on_state(&self, f: impl FnMut(&State) + 'static) -> HandlerId {
        self.handlers().on_state(f)
    }

    /// See [`Builder::on_error`]. Returns an id for [`EventSource::off`].
    pub fn on_error(&self, f: impl FnMut(&Error) + 'static) -> HandlerId {
        self.handlers().on_error(f)
    }

    /// Removes a handler that [`EventSource::on`], `on_raw`, `on_state` or `on_error` added;
    /// returns whether it was there. From inside a dispatch, a handler removed before its turn
    /// is not called. The connection goes on either way (a stream with no handlers still
    /// resumes where it was): close it with [`EventSource::close`].
    pub fn off(&self, id: HandlerId) -> bool {
        self.handlers().off(id)
    }

    /// Adds a callback for raw events of this type, `reads_id` when it looks at their
    /// `last_event_id` (see `Handlers::on_raw`).
    pub(crate) fn add_raw(
        &self,
        event_type: &str,
        reads_id: bool,
        f: impl FnMut(&Event) + 'static,
    ) -> HandlerId {
        self.listen_for(event_type);
        self.handlers().on_raw(event_type, reads_id, f)
    }

    /// This stream's handlers: a subscriber's own, not its connection's.
    fn handlers(&self) -> &Handlers {
        match &self.sub {
            Some(sub) => sub.handlers(),
            None => &self.shared.handlers,
        }
    }

    /// A browser `EventSource` only delivers the types it listens for.
    fn listen_for(&self, event_type: &str) {
        if let Some(sub) = &self.sub {
            // The connection hands the type to its members, and listens for it.
            sub.listen(event_type);
            return;
        }
        #[cfg(feature = "eventsource")]
        if event_type != "message" && !self.shared.handlers.has_event_type(event_type) {
            if let Some((_, Connection::EventSource(c))) =
                &mut self.shared.core.borrow_mut().connection
            {
                c.listen(event_type);
            }
        }
        #[cfg(not(feature = "eventsource"))]
        let _ = event_type;
    }

    /// Closes the stream: the connection is aborted, a pending reconnection is cancelled, and
    /// nothing is delivered after this returns (not an event, not an error; the state handlers
    /// see `Closed`). [`EventSource::reopen`] starts again. Inside a [`RetryPolicy`], the
    /// close takes effect once the decision is made.
    pub fn close(&self) {
        match &self.sub {
            Some(sub) => sub.leave(),
            None => self.shared.apply(|m, _| m.close()),
        }
    }

    /// Opens a closed stream again with a fresh back-off, resuming after the last event id.
    /// Does nothing unless the stream is closed.
    pub fn reopen(&self) {
        match &self.sub {
            Some(sub) => sub.reopen(),
            None => self.shared.apply(|m, now| m.reopen(now)),
        }
    }

    /// How its connection is shared: its own, its page's, or across tabs, held by this tab or
    /// another ([`Builder::share`], [`Builder::share_tabs`]).
    pub fn sharing(&self) -> Sharing {
        match &self.sub {
            Some(sub) => sub.sharing(),
            None => Sharing::Own,
        }
    }

    /// For the npm class, which delivers events in batches after the stream has handed them
    /// out: `f` runs whenever the stream has run every output of an input.
    #[cfg(feature = "js")]
    pub(crate) fn on_drained(&self, f: impl Fn() + 'static) {
        self.handlers().on_drained(f);
    }

    /// For the npm class: `f` takes a copy of each event the fetch transport parses, as it is
    /// parsed, in place of the handlers (see `Machine::handle_bytes_into`).
    #[cfg(all(feature = "js", feature = "fetch"))]
    pub(crate) fn on_copy(&self, f: impl Fn(&Event) + 'static) {
        // A subscriber's events come through its handlers: the connection's copy is its own.
        if self.sub.is_none() {
            self.shared.handlers.on_copy(f);
        }
    }

    /// Where the next connection resumes: for the npm class, the event being handled when a
    /// handler closed the stream, when later ones of its batch were dropped; for a tab that
    /// follows another's connection, the last event relayed.
    pub(crate) fn resume_after(&self, id: &str) {
        // A subscriber that leaves does not move its connection back under the others.
        if self.sub.is_some() {
            return;
        }
        self.shared.apply({
            let id = id.to_owned();
            move |m, _| m.set_last_event_id(&id)
        });
    }
}

impl Drop for EventSource {
    fn drop(&mut self) {
        if let Some(sub) = &self.sub {
            // It leaves; the connection goes with its last subscriber.
            sub.leave();
            return;
        }
        // Handlers see the stream close (a `Stream` of events ends), then everything goes.
        self.shared.apply(|m, _| m.close());
        self.shared.release();
    }
}
