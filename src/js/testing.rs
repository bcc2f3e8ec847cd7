//! Features `js` and `testing`: the test kit of the npm package (`typed-eventsource/testing`),
//! the Rust [`Script`] exported to JavaScript, with a script installed for every
//! `TypedEventSource` that the module opens, since an app's code opens its sources itself.
//!
//! The package's own build leaves this out; `cargo xtask pkg` builds a second module with it
//! for the `testing` entry, so a page never pays for it. A step that cannot happen throws an
//! `Error` (rather than panicking, which would stop the module).

use std::cell::RefCell;
use std::time::Duration;

use js_sys::{Array, Object};
use wasm_bindgen::prelude::*;

use super::set;
use crate::web::testing::{event_text, Attempt, Script};

thread_local! {
    /// The script every source opened now connects through.
    static INSTALLED: RefCell<Option<Script>> = const { RefCell::new(None) };
}

/// The installed script, for a `TypedEventSource` that opens (see `options::open`).
pub(super) fn installed() -> Result<Script, JsValue> {
    INSTALLED.with(|i| i.borrow().clone()).ok_or_else(|| {
        JsError::new(
            "typed-eventsource/testing: no Script is installed: call Script.install() before the \
             source opens",
        )
        .into()
    })
}

#[wasm_bindgen(typescript_custom_section)]
const TS: &str = r#"
/** One connection a source asked for (`Script.attempts`, `Script.nextAttempt()`). */
export interface Attempt {
  /** The URL requested, resolved (against `http://localhost/` where there is no page). */
  url: string;
  /** The `Last-Event-ID` the request carries: `null` on a first connection. */
  lastEventId: string | null;
  /** The request method. */
  method: string;
  /** The request body, if any. */
  body: string | null;
  /** The fixed request headers, as `[name, value]` pairs. */
  headers: [string, string][];
  /** When it was asked for, in milliseconds on the script's clock. */
  at: number;
}
"#;

/// A scripted network and a virtual clock under the real `TypedEventSource`: every connection
/// a source asks for waits for the test's answer, and its timers (back-off delays,
/// `Retry-After`, `idleTimeout`) wait for `advance()`. The parser, the reconnection policy and
/// the dispatch to listeners are the package's own.
///
/// `Script.install()` makes one and installs it: every `TypedEventSource` opened from then on
/// (until `uninstall()` or the next `install()`) connects through it, so an app's own code is
/// tested as it is. A script serves one source at a time: the latest connection is the one it
/// answers. The methods that answer return the script, so that calls chain; they throw when
/// there is nothing to answer, as a failed assertion would.
#[wasm_bindgen(js_name = Script)]
pub struct JsScript {
    script: Script,
}

type Chained = Result<JsScript, JsError>;

impl JsScript {
    fn chained(&self, step: Result<(), String>) -> Chained {
        step.map_err(|e| JsError::new(&e))?;
        Ok(JsScript {
            script: self.script.clone(),
        })
    }
}

fn millis(ms: f64) -> Duration {
    Duration::from_secs_f64(ms.max(0.0) / 1000.0)
}

fn attempt_to_js(a: &Attempt) -> JsValue {
    let o = Object::new();
    set(&o, "url", a.url.as_str());
    set(
        &o,
        "lastEventId",
        a.last_event_id
            .as_deref()
            .map_or(JsValue::NULL, JsValue::from),
    );
    set(&o, "method", a.method.as_str());
    set(
        &o,
        "body",
        a.body.as_deref().map_or(JsValue::NULL, JsValue::from),
    );
    let headers: Array = a
        .headers
        .iter()
        .map(|(k, v)| Array::of2(&k.into(), &v.into()))
        .collect();
    set(&o, "headers", headers);
    set(&o, "at", a.at.as_secs_f64() * 1000.0);
    o.into()
}

#[wasm_bindgen(js_class = Script)]
impl JsScript {
    /// Makes a script, with its clock at zero, and installs it: every `TypedEventSource`
    /// opened from now on connects through it (in place of one installed before).
    pub fn install() -> JsScript {
        let script = Script::new();
        INSTALLED.with(|i| *i.borrow_mut() = Some(script.clone()));
        JsScript { script }
    }

    /// Stops installing this script for the sources opened next (the ones open keep it).
    pub fn uninstall(&self) {
        INSTALLED.with(|i| {
            let mut installed = i.borrow_mut();
            if installed.as_ref().is_some_and(|s| s.same(&self.script)) {
                *installed = None;
            }
        });
    }

    /// Answers the waiting connection `200` with `text/event-stream`: it opens.
    pub fn open(&self) -> Chained {
        self.chained(self.script.try_respond(200, "text/event-stream", None))
    }

    /// Answers the waiting connection with `status` (and `text/event-stream`), and with a
    /// `Retry-After` header of `retryAfter` milliseconds if given.
    pub fn status(
        &self,
        status: u16,
        #[wasm_bindgen(js_name = retryAfter)] retry_after: Option<f64>,
    ) -> Chained {
        let after = retry_after.map(millis);
        self.chained(self.script.try_respond(status, "text/event-stream", after))
    }

    /// Answers the waiting connection with `status`, `contentType` and, if given, a
    /// `Retry-After` header of `retryAfter` milliseconds.
    pub fn respond(
        &self,
        status: u16,
        #[wasm_bindgen(js_name = contentType)] content_type: &str,
        #[wasm_bindgen(js_name = retryAfter)] retry_after: Option<f64>,
    ) -> Chained {
        let after = retry_after.map(millis);
        self.chained(self.script.try_respond(status, content_type, after))
    }

    /// Sends `text` as the next bytes of the open connection's body, as it is: whole events,
    /// parts of one, comments, `retry:` lines.
    pub fn send(&self, text: &str) -> Chained {
        self.chained(self.script.try_send(text))
    }

    /// Sends one event: its type (`"message"` is left out of the text), its id if given (not
    /// `null` or `undefined`), and its data, one `data:` line per line.
    pub fn event(
        &self,
        #[wasm_bindgen(js_name = type)] event_type: &str,
        id: Option<String>,
        data: &str,
    ) -> Chained {
        self.chained(
            self.script
                .try_send(&event_text(event_type, id.as_deref(), data)),
        )
    }

    /// Sends a comment line (`: text`), which keeps `idleTimeout` from firing.
    pub fn comment(&self, text: Option<String>) -> Chained {
        let text = text.as_deref().unwrap_or("scripted");
        self.chained(self.script.try_comment(text))
    }

    /// Sends a `retry:` line: the server's reconnection time, in milliseconds.
    pub fn retry(&self, ms: f64) -> Chained {
        let after = Duration::from_millis(ms.max(0.0) as u64);
        self.chained(self.script.try_retry(after))
    }

    /// The server ends the open connection's response.
    pub fn end(&self) -> Chained {
        self.chained(self.script.try_end())
    }

    /// The waiting or open connection breaks: a network error.
    #[wasm_bindgen(js_name = "drop")]
    pub fn drop_connection(&self) -> Chained {
        self.chained(self.script.try_drop_connection())
    }

    /// Moves the virtual clock on by `ms` milliseconds, firing the source's timers that fall
    /// due on the way, in order, each at its own deadline. (Fake timers do not move it: it is
    /// the script's own.)
    pub fn advance(&self, ms: f64) -> JsScript {
        self.script.advance(millis(ms));
        JsScript {
            script: self.script.clone(),
        }
    }

    /// Moves the clock on, timer by timer, until the source asks for a connection (at once if
    /// one waits), and returns that attempt; throws when it asks for none (closed, or paused).
    #[wasm_bindgen(js_name = nextAttempt, unchecked_return_type = "Attempt")]
    pub fn next_attempt(&self) -> Result<JsValue, JsError> {
        self.script
            .try_next_attempt()
            .map(|a| attempt_to_js(&a))
            .map_err(|e| JsError::new(&e))
    }

    /// Plays a script of steps, separated by commas, semicolons or new lines, so that a test
    /// reads like the fault it checks:
    /// `"open, 3 events, drop, 503 retry-after 2, 503 retry-after 2, resume from 3, open, 1 event"`.
    /// The steps are `open`, `STATUS`, `STATUS retry-after SECONDS`, `content-type TYPE`,
    /// `N events` (ids and data counting on: 1, 2, 3...), `N events together` (one chunk),
    /// `drop`, `end`, `wait SECONDS`, `comment`, `retry MS`, `resume from ID` (checks the
    /// attempt's `Last-Event-ID`) and `fresh` (checks it has none). A step that answers a
    /// connection first moves the clock on to the next attempt. Throws on a step it does not
    /// know, or one that cannot happen.
    pub fn play(&self, steps: &str) -> Chained {
        self.chained(self.script.try_play(steps))
    }

    /// Every connection the source asked for, in order.
    #[wasm_bindgen(getter, unchecked_return_type = "Attempt[]")]
    pub fn attempts(&self) -> Array {
        self.script.attempts().iter().map(attempt_to_js).collect()
    }

    /// Whether a connection is waiting or open.
    #[wasm_bindgen(getter)]
    pub fn connected(&self) -> bool {
        self.script.connected()
    }

    /// The time on the virtual clock since the script was made, in milliseconds.
    #[wasm_bindgen(getter)]
    pub fn elapsed(&self) -> f64 {
        self.script.elapsed().as_secs_f64() * 1000.0
    }
}
