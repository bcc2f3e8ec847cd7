//! The request handlers that the web-platform-tests for EventSource (`eventsource/resources/`)
//! run against, written again for this server, for the conformance suite in
//! `tests/conformance/`. Each answers as its namesake does; state that the originals keep in a
//! cookie (which connection of a sequence this is) is kept here per `id`, in the same
//! [`Logs`] as `/sse`, under the key `wpt-NAME-ID`, so a test can read what was asked too.
//!
//! Every route takes `cors`: when present, the answer carries
//! `Access-Control-Allow-Origin` (the `origin` parameter, else the request's `Origin`) and
//! `Access-Control-Allow-Credentials` (the `credentials` parameter, default `true`), as
//! `cors.py` does. Without it, nothing CORS is sent: these routes sit outside the server's CORS
//! layer, so a cross-origin request without `cors` fails as it should.

use std::collections::HashMap;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use crate::log::{Logs, Record};

type Params = Query<HashMap<String, String>>;

/// The routes, to be nested under `/wpt`.
pub fn router(logs: Logs) -> Router {
    Router::new()
        .route("/message", get(message).post(message))
        .route("/message2", get(message2))
        .route("/status-error", get(status_error))
        .route("/status-reconnect", get(status_reconnect))
        .route("/reconnect-fail", get(reconnect_fail))
        .route("/last-event-id", get(last_event_id))
        .route("/echo", get(echo))
        .route("/redirect", get(redirect))
        .with_state(logs)
}

/// An answer: status, content type and body, with the `cors` headers when asked for.
fn answer(
    q: &HashMap<String, String>,
    headers: &HeaderMap,
    status: u16,
    mime: &str,
    body: Vec<u8>,
) -> Response {
    let mut res = Response::new(Body::from(body));
    *res.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = HeaderValue::from_str(mime) {
        res.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if q.contains_key("cors") {
        let origin = q
            .get("origin")
            .and_then(|o| HeaderValue::from_str(o).ok())
            .or_else(|| headers.get(header::ORIGIN).cloned());
        if let Some(origin) = origin {
            res.headers_mut()
                .insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        }
        let credentials = q.get("credentials").map_or("true", String::as_str);
        if let Ok(v) = HeaderValue::from_str(credentials) {
            res.headers_mut()
                .insert(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, v);
        }
    }
    res
}

/// An event stream: [`answer`] with the content type `text/event-stream`.
fn event_stream(
    q: &HashMap<String, String>,
    headers: &HeaderMap,
    status: u16,
    body: Vec<u8>,
) -> Response {
    answer(q, headers, status, "text/event-stream", body)
}

/// Counts this request in the sequence `name`/`id` and returns its 1-based number.
fn count(
    logs: &Logs,
    name: &str,
    q: &HashMap<String, String>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    status: impl FnOnce(u64) -> u16,
) -> u64 {
    let id = q.get("id").map_or("", String::as_str);
    let key = format!("wpt-{name}-{id}");
    let header_map = crate::log::header_map(headers);
    logs.begin(&key, |n| Record {
        n,
        at_ms: 0,
        method: method.to_string(),
        uri: uri.to_string(),
        headers: header_map,
        resumed_after: None,
        status: status(n),
        events: 0,
        end: "closed",
    })
    .n
}

/// `message.py`: `message` (default `data: data`), then a blank line unless `newline=none`,
/// then a newline; as `mime` (default `text/event-stream`), after `sleep` milliseconds.
/// The request is logged under `wpt-message-ID` (method, headers) when it has an `id`.
async fn message(
    State(logs): State<Logs>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Query(q): Params,
) -> Response {
    if q.contains_key("id") {
        count(&logs, "message", &q, &method, &uri, &headers, |_| 200);
    }
    let mime = q.get("mime").map_or("text/event-stream", String::as_str);
    let mut body = q
        .get("message")
        .map_or("data: data", String::as_str)
        .as_bytes()
        .to_vec();
    if q.get("newline").map(String::as_str) != Some("none") {
        body.extend_from_slice(b"\n\n");
    }
    body.push(b'\n');
    if let Some(ms) = q.get("sleep").and_then(|s| s.parse::<u64>().ok()) {
        tokio::time::sleep(Duration::from_millis(ms.min(10_000))).await;
    }
    answer(&q, &headers, 200, mime, body)
}

/// `message2.py`: three events over mixed line endings (`msg\nmsg`, empty, `end`), with
/// comments and unknown fields between them.
async fn message2(headers: HeaderMap, Query(q): Params) -> Response {
    let body = b"data:msg\ndata: msg\r\n\r\n:\r\nfalse\n\r\ndata:\n\n:comment\r\nevent:message\rdata:end\n\n";
    event_stream(&q, &headers, 200, body.to_vec())
}

/// `status-error.py`: `status` (default 404), with an event in the body except for 204 and 205.
async fn status_error(headers: HeaderMap, Query(q): Params) -> Response {
    let status = q.get("status").and_then(|s| s.parse().ok()).unwrap_or(404);
    let body = if matches!(status, 204 | 205) {
        Vec::new()
    } else {
        b"data: data\n\n".to_vec()
    };
    event_stream(&q, &headers, status, body)
}

/// `status-reconnect.py`: the first request of `id` gets `status` with `retry: 2` (and
/// `data: ok` when `ok_first` is given), the next gets 200 with `data: data`, and so on
/// alternately.
async fn status_reconnect(
    State(logs): State<Logs>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Query(q): Params,
) -> Response {
    let status: u16 = q.get("status").and_then(|s| s.parse().ok()).unwrap_or(204);
    let n = count(
        &logs,
        "status-reconnect",
        &q,
        &method,
        &uri,
        &headers,
        |n| if n % 2 == 1 { status } else { 200 },
    );
    if n % 2 == 0 {
        return event_stream(&q, &headers, 200, b"data: data\n\n".to_vec());
    }
    let mut body = b"retry: 2\n".to_vec();
    if q.contains_key("ok_first") {
        body.extend_from_slice(b"data: ok\n\n");
    }
    event_stream(&q, &headers, status, body)
}

/// `reconnect-fail.py`: for one `id`, `retry: 2` and `opened`; then `reconnected`; then 204.
async fn reconnect_fail(
    State(logs): State<Logs>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Query(q): Params,
) -> Response {
    let n = count(&logs, "reconnect-fail", &q, &method, &uri, &headers, |n| {
        if n % 3 == 0 {
            204
        } else {
            200
        }
    });
    match n % 3 {
        1 => event_stream(&q, &headers, 200, b"retry: 2\ndata: opened\n\n".to_vec()),
        2 => event_stream(&q, &headers, 200, b"data: reconnected\n\n".to_vec()),
        _ => event_stream(&q, &headers, 204, Vec::new()),
    }
}

/// `last-event-id.py`: with a `Last-Event-ID` header, an event whose data is the header's
/// value (its bytes, as UTF-8); without, `id: IDVALUE` (default `…`), `retry: 200` and
/// `data: hello`.
async fn last_event_id(headers: HeaderMap, Query(q): Params) -> Response {
    let body = match headers.get("last-event-id") {
        Some(v) if !v.is_empty() => [b"data: ", v.as_bytes(), b"\n\n"].concat(),
        _ => {
            let id = q.get("idvalue").map_or("\u{2026}", String::as_str);
            [b"id: ", id.as_bytes(), b"\nretry: 200\ndata: hello\n\n"].concat()
        }
    };
    event_stream(&q, &headers, 200, body)
}

/// The request header `header` (lower case) as one event's data (empty when absent), as
/// `accept.event_stream` and `cache-control.event_stream` do.
async fn echo(headers: HeaderMap, Query(q): Params) -> Response {
    let name = q.get("header").map_or("accept", String::as_str);
    let value = headers
        .get(name.to_ascii_lowercase().as_str())
        .map_or(&b""[..], HeaderValue::as_bytes);
    let body = [b"data: ", value, b"\n\n"].concat();
    event_stream(&q, &headers, 200, body)
}

/// `/common/redirect.py`: `status` (default 302) to `location`.
async fn redirect(headers: HeaderMap, Query(q): Params) -> Response {
    let status = q.get("status").and_then(|s| s.parse().ok()).unwrap_or(302);
    let mut res = answer(&q, &headers, status, "text/plain", Vec::new());
    if let Some(v) = q
        .get("location")
        .and_then(|l| HeaderValue::from_str(l).ok())
    {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}
