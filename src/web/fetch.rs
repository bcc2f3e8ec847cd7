//! The transport over `fetch` and a `ReadableStream`: this crate sends the request, sees the
//! status and headers, and parses the body with the core parser.
//!
//! It adds what the browser's `EventSource` cannot do: request headers (fixed, or from a
//! function called before every attempt), a method and a body, a credentials mode, the status
//! and `Retry-After` for retry decisions, comments that keep the idle watchdog fed, and the
//! `Last-Event-ID` header on reconnection. A connection is torn down through its
//! `AbortController`.
//!
//! `fetch` rejects a CORS failure with the same `TypeError` as a lost network. When a
//! cross-origin request fails, the browser's own `EventSource` (or, where there is none, a
//! request without CORS) tells the two apart: if the server refuses the page, the stream stops
//! with [`Error::Refused`], as the browser's `EventSource` fails the connection; otherwise it
//! is a network error, retried.
//! Cross-origin, a `Last-Event-ID` header (a reconnection) makes `fetch` send a CORS
//! preflight, which the browser's `EventSource` does not: the server must allow the header.

use std::rc::{Rc, Weak};
use std::time::Duration;

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortController, AbortSignal, ReadableStreamDefaultReader, RequestCredentials, RequestInit,
    Response,
};

use super::browser::{fetch_with_request, js_message, ConnectionToken};
use super::sink::{self, BodySink};
use super::{Credentials, Options};
use crate::core::error::Error;
use crate::core::machine::ConnectionId;

/// One request in flight, aborted when dropped.
pub(crate) struct FetchConnection {
    controller: AbortController,
    _token: ConnectionToken,
}

impl FetchConnection {
    pub(crate) fn open(
        sink: Weak<dyn BodySink>,
        id: ConnectionId,
        options: Rc<Options>,
        url: String,
        last_event_id: Option<String>,
    ) -> Result<Self, Error> {
        let controller = AbortController::new().map_err(|e| Error::Network {
            message: js_message(&e),
        })?;
        let signal = controller.signal();
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(e) = run(&sink, id, &options, &url, last_event_id, &signal).await {
                // An abort is this crate's own doing (the connection was replaced or closed).
                if !signal.aborted() {
                    let error = Error::Network {
                        message: js_message(&e),
                    };
                    sink::input(&sink, |m, now| m.handle_error(id, error, now));
                }
            }
        });
        Ok(FetchConnection {
            controller,
            _token: ConnectionToken::new(),
        })
    }
}

impl Drop for FetchConnection {
    fn drop(&mut self) {
        self.controller.abort();
    }
}

/// Builds the request's headers: the fixed ones, then the function's, then `Accept` and
/// `Last-Event-ID`.
pub(crate) fn headers(
    fixed: &[(String, String)],
    dynamic: &[(String, String)],
    last_event_id: Option<&str>,
) -> Result<web_sys::Headers, JsValue> {
    let h = web_sys::Headers::new()?;
    h.set("Accept", "text/event-stream")?;
    for (name, value) in fixed.iter().chain(dynamic) {
        h.set(name, value)?;
    }
    if let Some(id) = last_event_id {
        // A header value is a byte string: the id's UTF-8 bytes, one per code unit, as the
        // browser's EventSource sends them (an id such as `…` would otherwise throw).
        let bytes: String = id.bytes().map(char::from).collect();
        h.set("Last-Event-ID", &bytes)?;
    }
    Ok(h)
}

/// The response's `Retry-After`, in seconds.
fn retry_after(response: &Response) -> Option<Duration> {
    crate::core::machine::retry_after(&response.headers().get("retry-after").ok()??)
}

/// Whether `url` is of another origin than the page (or worker).
fn cross_origin(url: &str) -> bool {
    let page = super::browser::base_url().and_then(|b| web_sys::Url::new(&b).ok());
    match (page, web_sys::Url::new(url)) {
        (Some(page), Ok(url)) => page.origin() != url.origin(),
        _ => false,
    }
}

/// Whether the server of `url` refuses this page, after `fetch` failed: a CORS failure rather
/// than a lost network, which `fetch` rejects with the same `TypeError` (see `native.js`). The
/// connection's abort ends the probe.
async fn refused(url: &str, credentials: RequestCredentials, signal: &AbortSignal) -> bool {
    let with_credentials = credentials == RequestCredentials::Include;
    JsFuture::from(super::browser::refused(url, with_credentials, signal))
        .await
        .is_ok_and(|answered| answered.is_truthy())
}

/// The request of one attempt, its URL and its credentials mode: the options' request, or,
/// when resuming after an id with [`Builder::resume_with`](super::Builder::resume_with) set,
/// the one it makes (an error when it fails or gives a bad URL).
#[allow(clippy::type_complexity)]
fn request(
    options: &Options,
    url: &str,
    last_event_id: Option<&str>,
    mut dynamic: Vec<(String, String)>,
    signal: &AbortSignal,
) -> Result<Result<(web_sys::Request, String, RequestCredentials), Error>, JsValue> {
    let sent = &options.fetch;
    let mut method = sent.method.as_str();
    let mut body = sent.body.as_deref();
    let mut url = url.to_owned();
    let resume = match (&sent.resume, last_event_id) {
        (Some(f), Some(after)) => match f(after) {
            Ok(r) => Some(r),
            Err(e) => return Ok(Err(e)),
        },
        _ => None,
    };
    if let Some(r) = &resume {
        method = &r.method;
        body = r.body.as_deref();
        dynamic.extend(r.headers.iter().cloned());
        if let Some(u) = &r.url {
            match super::browser::resolve(u) {
                Ok(u) => url = u,
                Err(reason) => {
                    return Ok(Err(Error::InvalidOption {
                        option: "resume_with",
                        reason,
                    }))
                }
            }
        }
    }
    let init = RequestInit::new();
    init.set_method(method);
    init.set_headers(&JsValue::from(headers(
        &sent.headers,
        &dynamic,
        last_event_id,
    )?));
    init.set_signal(Some(signal));
    init.set_cache(web_sys::RequestCache::NoStore);
    let credentials = match options.credentials {
        Credentials::Omit => RequestCredentials::Omit,
        Credentials::SameOrigin => RequestCredentials::SameOrigin,
        Credentials::Include => RequestCredentials::Include,
    };
    init.set_credentials(credentials);
    if let Some(body) = body {
        init.set_body(&JsValue::from_str(body));
    }
    let request = web_sys::Request::new_with_str_and_init(&url, &init)?;
    Ok(Ok((request, url, credentials)))
}

async fn run(
    sink: &Weak<dyn BodySink>,
    id: ConnectionId,
    options: &Options,
    url: &str,
    last_event_id: Option<String>,
    signal: &AbortSignal,
) -> Result<(), JsValue> {
    // Only HTTP(S) can carry an event stream: the browser's EventSource fails any other
    // scheme at once, without retrying, and so does this transport.
    let scheme = url.split(':').next().unwrap_or("").to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        sink::input(sink, |m, now| m.handle_error(id, Error::Refused, now));
        return Ok(());
    }
    let dynamic = match &options.fetch.headers_fn {
        Some(f) => f().await,
        None => Vec::new(),
    };
    if signal.aborted() {
        return Ok(());
    }
    let (request, url, credentials) =
        match request(options, url, last_event_id.as_deref(), dynamic, signal) {
            Ok(Ok(r)) => r,
            // The request that resumes could not be made (`Builder::resume_with`).
            Ok(Err(error)) => {
                sink::input(sink, |m, now| m.handle_error(id, error, now));
                return Ok(());
            }
            Err(e) => return Err(e),
        };
    let url = url.as_str();
    let response: Response = match JsFuture::from(fetch_with_request(&request)).await {
        Ok(response) => response.dyn_into()?,
        Err(_)
            if !signal.aborted()
                && cross_origin(url)
                && refused(url, credentials, signal).await =>
        {
            // The server answered, but not to this page: a CORS failure, which the browser's
            // EventSource fails the connection for, not a lost network to retry.
            sink::input(sink, |m, now| m.handle_error(id, Error::Refused, now));
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    sink::origin_of(sink, &response.url());
    let status = response.status();
    let content_type = response.headers().get("content-type")?;
    let retry_after = retry_after(&response);
    let go_on = sink::input(sink, |m, now| {
        m.handle_response(id, status, content_type.as_deref(), retry_after, now);
        m.current() == Some(id)
    });
    if go_on != Some(true) {
        // The machine turned the response down and aborted it (dropping this connection).
        return Ok(());
    }
    let Some(body) = response.body() else {
        sink::input(sink, |m, now| m.handle_end(id, now));
        return Ok(());
    };
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    super::readable::read_body(sink, id, &reader).await
}
