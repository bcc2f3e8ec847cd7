//! The HTTP routes.

use std::collections::HashMap;
use std::path::PathBuf;

use axum::body::Body;
use axum::extract::{FromRef, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tower_http::cors::{AllowHeaders, AllowMethods, AllowOrigin, CorsLayer};
use tower_http::services::ServeDir;

use crate::control::{Action, Controls};
use crate::log::{Logs, Record};
use crate::scenario::{BadRequest, Scenario};
use crate::stream;

/// What the handlers share.
#[derive(Clone)]
struct AppState {
    logs: Logs,
    controls: Controls,
}

impl FromRef<AppState> for Logs {
    fn from_ref(s: &AppState) -> Logs {
        s.logs.clone()
    }
}

impl FromRef<AppState> for Controls {
    fn from_ref(s: &AppState) -> Controls {
        s.controls.clone()
    }
}

/// The server's routes, with CORS for test pages served from another origin.
pub fn router(www: Option<PathBuf>, pkg: Option<PathBuf>) -> Router {
    let cors = CorsLayer::new()
        // Echo the origin rather than `*`, so that requests with credentials are allowed too.
        .allow_origin(AllowOrigin::mirror_request())
        .allow_credentials(true)
        .allow_headers(AllowHeaders::mirror_request())
        .allow_methods(AllowMethods::mirror_request())
        .expose_headers([header::RETRY_AFTER, header::CONTENT_TYPE]);
    let logs = Logs::new();
    let mut app = Router::new()
        .route("/sse", get(sse).post(sse).put(sse))
        .route("/log", get(log))
        .route("/control", post(control))
        .route("/health", get(|| async { "ok" }))
        .with_state(AppState {
            logs: logs.clone(),
            controls: Controls::default(),
        });
    if let Some(pkg) = pkg {
        app = app.nest_service("/pkg", ServeDir::new(pkg));
    }
    if let Some(www) = www {
        app = app.fallback_service(ServeDir::new(www));
    }
    // The web-platform-tests' handlers answer CORS themselves (`cors`), so they sit outside
    // the layer that allows every origin.
    app.layer(cors).nest("/wpt", crate::wpt::router(logs))
}

impl IntoResponse for BadRequest {
    fn into_response(self) -> Response {
        (StatusCode::BAD_REQUEST, format!("{self}\n")).into_response()
    }
}

/// The id to resume after: the `Last-Event-ID` header, else the scenario's query parameter.
fn resumed_after(
    s: &Scenario,
    headers: &HeaderMap,
    q: &HashMap<String, String>,
) -> Result<Option<u64>, BadRequest> {
    let (source, value) = match headers.get("last-event-id") {
        Some(v) => (
            "header Last-Event-ID",
            v.to_str()
                .map_err(|_| BadRequest("header Last-Event-ID is not visible ASCII".to_owned()))?
                .to_owned(),
        ),
        None => match q.get(&s.resume_param) {
            Some(v) => ("query parameter", v.clone()),
            None => return Ok(None),
        },
    };
    if value.is_empty() {
        return Ok(None);
    }
    value.trim().parse().map(Some).map_err(|_| {
        BadRequest(format!(
            "{source} `{value}` is not an event id of this server (a number)"
        ))
    })
}

async fn sse(
    State(logs): State<Logs>,
    State(controls): State<Controls>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, BadRequest> {
    let s = Scenario::parse(&q)?;
    let after = resumed_after(&s, &headers, &q)?;
    let header_map = crate::log::header_map(&headers);
    let finished = s.total.is_some_and(|t| after.unwrap_or(0) >= t);
    let injected_failure = controls.failing(&s.key);
    let record = logs.begin(&s.key, |n| {
        let failing =
            (s.status.is_some() || s.content_type.is_some()) && s.fail_first.is_none_or(|k| n <= k);
        let status = match (failing, s.status) {
            _ if injected_failure => 500,
            (true, Some(code)) => code,
            _ if finished => 204,
            _ => 200,
        };
        Record {
            n,
            at_ms: 0,
            method: method.to_string(),
            uri: uri.to_string(),
            headers: header_map,
            resumed_after: after,
            status,
            events: 0,
            end: if status == 200 { "open" } else { "refused" },
        }
    });
    let failing_ct = s.content_type.is_some() && s.fail_first.is_none_or(|k| record.n <= k);
    if record.status != 200 {
        let mut res = (
            StatusCode::from_u16(record.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            format!("scenario {} answered {}\n", s.key, record.status),
        )
            .into_response();
        if record.status == 204 {
            *res.body_mut() = Body::empty();
        }
        if let Some(secs) = s.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        return Ok(res);
    }
    let content_type = match (&s.content_type, failing_ct) {
        (Some(ct), true) => ct.clone(),
        _ => "text/event-stream; charset=utf-8".to_owned(),
    };
    let (tx, rx) = mpsc::channel::<stream::Chunk>(16);
    let mut res = Response::new(Body::from_stream(ReceiverStream::new(rx)));
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&content_type)
            .map_err(|_| BadRequest(format!("bad parameter `content_type={content_type}`")))?,
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    let drops = controls.watch_drops(&s.key);
    // A replaying server starts before the resume point.
    let start = after.map_or(0, |a| a.saturating_sub(s.replay));
    tokio::spawn(stream::run(
        s,
        start,
        logs,
        record.n,
        tx,
        stream::Faults { controls, drops },
    ));
    Ok(res)
}

async fn log(
    State(logs): State<Logs>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, BadRequest> {
    let key = q
        .get("scenario")
        .ok_or_else(|| BadRequest("missing parameter `scenario`".to_owned()))?;
    Ok(Json(logs.get(key)).into_response())
}

/// `POST /control?scenario=KEY&action=drop|fail|stall&ms=N`
async fn control(
    State(controls): State<Controls>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, BadRequest> {
    let (key, action) = Action::parse(&q)?;
    controls.apply(&key, action);
    Ok(Json(serde_json::json!({ "ok": true })).into_response())
}
