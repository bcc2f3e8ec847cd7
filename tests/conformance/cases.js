// The conformance suite's cases: what each file of the web-platform-tests' eventsource/
// directory checks, written again as plain page code (inputs and expected results from those
// files; the handlers they use are the server's /wpt/ routes). Loaded into a page of the
// server's origin, and into a dedicated worker for the `.any.js` cases;
// tests/e2e/conformance.test.mjs runs every case against the browser's own EventSource and
// against TypedEventSource over each transport.
//
// A case is `async (t) => void` and throws on failure. `t.open(url, init)` constructs the
// implementation under test (and closes it after the case); `t.Source` is its constructor.
"use strict";

/** @type {{ id: string, wpt: string, run: (t: any) => Promise<void>, timeout?: number }[]} */
const CASES = [];
const ORIGIN = location.origin;
/** Another origin of the same server (the browser maps other.test to 127.0.0.1). */
const OTHER = `http://other.test:${location.port}`;

function test(id, wpt, run, timeout) {
  CASES.push({ id, wpt, run, timeout });
}

function fail(message) {
  throw new Error(message);
}
function eq(actual, expected, what) {
  const a = JSON.stringify(actual), e = JSON.stringify(expected);
  if (a !== e) fail(`${what}: got ${a}, expected ${e}`);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let serial = 0;
const uid = () => `${Date.now().toString(36)}${(serial++).toString(36)}`;
/** The /wpt/message route with `message` (and more parameters). */
const message = (msg, extra = "") =>
  `/wpt/message?message=${encodeURIComponent(msg)}${extra}`;

/** The first `n` message events' data (and lastEventId), then closes. */
function messages(es, n, type = "message") {
  return new Promise((resolve, reject) => {
    const seen = [];
    es.addEventListener(type, (e) => {
      seen.push({ data: e.data, id: e.lastEventId });
      if (seen.length === n) { es.close(); resolve(seen); }
    });
    es.addEventListener("error", () => {
      if (es.readyState === 2) reject(new Error(`error and CLOSED after ${JSON.stringify(seen)}`));
    });
  });
}
const datas = async (es, n, type) => (await messages(es, n, type)).map((m) => m.data);

/** Resolves at the first `type` event, with it and the readyState at that moment. */
const next = (es, type) => new Promise((resolve) => {
  es.addEventListener(type, (e) => resolve({ e, state: es.readyState }), { once: true });
});

/** Expects the connection to fail: one error with CLOSED, no message, nothing after. */
async function failsWithClose(es) {
  let messages = 0, errors = 0;
  es.addEventListener("message", () => messages++);
  const { e, state } = await new Promise((resolve) => {
    es.addEventListener("error", (e) => { errors++; resolve({ e, state: es.readyState }); });
  });
  eq(state, 2, "readyState at the error");
  await sleep(300);
  eq({ messages, errors }, { messages: 0, errors: 1 }, "events");
  return e;
}

/** Milliseconds between the first two `open` events. */
async function reopenDelay(es) {
  const { } = await next(es, "open");
  const t0 = performance.now();
  await next(es, "open");
  return performance.now() - t0;
}

// ---- format-*: the stream format --------------------------------------------------------

test("format-bom", "format-bom.any.js", async (t) => {
  eq(await datas(t.open(message("\uFEFFdata:1\n\n\uFEFFdata:2\n\ndata:3")), 2), ["1", "3"], "data");
});
test("format-bom-2", "format-bom-2.any.js", async (t) => {
  eq(await datas(t.open(message("\uFEFF\uFEFFdata:1\n\ndata:2\n\ndata:3")), 2), ["2", "3"], "data");
});
test("format-comments", "format-comments.any.js", async (t) => {
  const long = "x".repeat(2048);
  const msg = `data:1\r:\0\n:\r\ndata:2\n:${long}\rdata:3\n:data:fail\r:${long}\ndata:4\n`;
  eq(await datas(t.open(message(msg, "&newline=none")), 1), ["1\n2\n3\n4"], "data");
});
test("format-data-before-final-empty-line", "format-data-before-final-empty-line.any.js", async (t) => {
  const msg = "retry:1000\ndata:test1\n\nid:test\ndata:test2";
  eq(await datas(t.open(message(msg, "&newline=none")), 2), ["test1", "test1"], "data");
}, 8000);
test("format-field-data", "format-field-data.any.js", async (t) => {
  eq(await datas(t.open(message("data:\n\ndata\ndata\n\ndata:test")), 3), ["", "\n", "test"], "data");
});
test("format-field-event", "format-field-event.any.js", async (t) => {
  const es = t.open(message("event:test\ndata:x\n\ndata:y"));
  const test = datas(es, 1, "test");
  const seen = [];
  es.addEventListener("message", (e) => seen.push(e.data));
  eq(await test, ["x"], "the test event");
  await sleep(50);
  eq(seen, [], "messages before the test event");
});
test("format-field-event-empty", "format-field-event-empty.any.js", async (t) => {
  eq(await datas(t.open(message("event: \ndata:data")), 1), ["data"], "data");
});
test("format-field-id", "format-field-id.any.js", async (t) => {
  const got = await messages(t.open("/wpt/last-event-id"), 2);
  eq(got, [{ data: "hello", id: "\u2026" }, { data: "\u2026", id: "\u2026" }], "events");
}, 8000);
test("format-field-id-2", "format-field-id-2.any.js", async (t) => {
  const got = await messages(t.open("/wpt/last-event-id"), 3);
  eq(got.map((m) => m.id), ["\u2026", "\u2026", "\u2026"], "ids");
  eq(got.slice(1).map((m) => m.data), ["\u2026", "\u2026"], "data after reconnecting");
}, 8000);
test("format-field-id-reset", "format-field-id-3.window.js", async (t) => {
  const got = await messages(t.open(message("id:1\ndata:a\n\nid\ndata:b\n\nid:2\ndata:c\n\nid:\ndata:d")), 4);
  eq(got.map((m) => m.id), ["1", "", "2", ""], "ids");
});
for (const [i, value] of ["\0\0", "x\0", "\0x", "x\0x", " \0"].entries()) {
  test(`format-field-id-null-${i}`, "format-field-id-null.window.js", async (t) => {
    const got = await messages(t.open(`/wpt/last-event-id?idvalue=${encodeURIComponent(value)}`), 2);
    eq(got, [{ data: "hello", id: "" }, { data: "hello", id: "" }], "events (the id is ignored)");
  }, 8000);
}
test("format-field-parsing", "format-field-parsing.any.js", async (t) => {
  const msg = "data:\0\ndata:  2\rData:1\ndata\0:2\ndata:1\r\0data:4\nda-ta:3\rdata_5\ndata:3\rdata:\r\n data:32\ndata:4\n";
  eq(await datas(t.open(message(msg, "&newline=none")), 1), ["\0\n 2\n1\n3\n\n4"], "data");
});
test("format-field-retry", "format-field-retry.any.js", async (t) => {
  const ms = await reopenDelay(t.open(message("retry:02000\ndata:x")));
  if (Math.abs(ms - 2000) > 500) fail(`reconnected after ${Math.round(ms)} ms, expected 2000 ± 500`);
}, 10000);
test("format-field-retry-bogus", "format-field-retry-bogus.any.js", async (t) => {
  const ms = await reopenDelay(t.open(message("retry:3000\nretry:1000x\ndata:x")));
  if (Math.abs(ms - 3000) > 750) fail(`reconnected after ${Math.round(ms)} ms, expected 3000 ± 750`);
}, 10000);
test("format-field-retry-empty", "format-field-retry-empty.any.js", async (t) => {
  eq(await datas(t.open(message("retry\ndata:test")), 1), ["test"], "data");
});
test("format-field-unknown", "format-field-unknown.any.js", async (t) => {
  const msg = "data:test\n data\ndata\nfoobar:xxx\njustsometext\n:thisisacommentyay\ndata:test";
  eq(await datas(t.open(message(msg)), 1), ["test\n\ntest"], "data");
});
test("format-leading-space", "format-leading-space.any.js", async (t) => {
  eq(await datas(t.open(message("data:\ttest\rdata: \ndata:  test")), 1), ["\ttest\n\n test"], "data");
});
test("format-mime-bogus", "format-mime-bogus.any.js", async (t) => {
  await failsWithClose(t.open(message("data:x", "&mime=x/x")));
});
test("format-mime-trailing-semicolon", "format-mime-trailing-semicolon.any.js", async (t) => {
  const es = t.open(message("data:x", "&mime=text/event-stream%3B"));
  const { state } = await next(es, "open");
  eq(state, 1, "readyState at open");
});
test("format-mime-valid-bogus", "format-mime-valid-bogus.any.js", async (t) => {
  const e = await failsWithClose(t.open(message("data:x", "&mime=text/x-bogus")));
  eq(["data" in e, e.bubbles, e.cancelable], [false, false, false], "the error event: data, bubbles, cancelable");
});
test("format-newlines", "format-newlines.any.js", async (t) => {
  eq(await datas(t.open(message("data:test\r\ndata\ndata:test\r\n\r")), 1), ["test\n\ntest"], "data");
});
test("format-null-character", "format-null-character.any.js", async (t) => {
  eq(await datas(t.open(message("data:\0\n\n\n\n")), 1), ["\0"], "data");
});
test("format-utf-8", "format-utf-8.any.js", async (t) => {
  eq(await datas(t.open(message("data:ok\u2026", "&mime=text/event-stream%3Bcharset%3Dwindows-1252")), 1), ["ok\u2026"], "data");
});
test("event-data", "event-data.any.js", async (t) => {
  eq(await datas(t.open("/wpt/message2"), 3), ["msg\nmsg", "", "end"], "data");
});

// ---- the interface ----------------------------------------------------------------------

test("constructor-url-bogus", "eventsource-constructor-url-bogus.any.js", async (t) => {
  try {
    t.open("http://[bogus/");
  } catch (e) {
    if (!(e instanceof DOMException) || e.name !== "SyntaxError") fail(`threw ${e?.constructor?.name} ${e?.name}: ${e?.message}`);
    return;
  }
  fail("no exception");
});
test("constructor-empty-url", "eventsource-constructor-empty-url.any.js", async (t) => {
  eq(t.open("").url, location.href, "url");
});
test("constructor-stringify", "eventsource-constructor-stringify.window.js", async (t) => {
  eq(t.open({ toString: () => "/wpt/message" }).url, `${ORIGIN}/wpt/message`, "url of an object");
  eq(t.open(1).url, new URL("1", location.href).href, "url of a number");
});
test("constructor-no-new", "eventsource-constructor-no-new.any.js", async (t) => {
  try {
    t.Source("/wpt/message");
  } catch (e) {
    if (!(e instanceof TypeError)) fail(`threw ${e?.constructor?.name}`);
    return;
  }
  fail("called without new, it did not throw");
});
for (const scheme of ["ftp://example.not/", "about:blank", "mailto:whatever@example.not", "javascript:alert('FAIL')"]) {
  test(`non-http-scheme ${scheme.split(":")[0]}`, "eventsource-constructor-non-same-origin.window.js", async (t) => {
    await failsWithClose(t.open(scheme));
  });
}
test("url", "eventsource-url.any.js", async (t) => {
  eq(t.open("/wpt/message?x=%20").url, `${ORIGIN}/wpt/message?x=%20`, "url");
});
test("prototype", "eventsource-prototype.any.js", async (t) => {
  t.Source.prototype.returnTrue = function () { return true; };
  try {
    eq(t.open("/wpt/message").returnTrue(), true, "a method added to the prototype");
  } finally {
    delete t.Source.prototype.returnTrue;
  }
});
test("constants", "eventsource-prototype.any.js", async (t) => {
  const es = t.open("/wpt/message");
  eq([t.Source.CONNECTING, t.Source.OPEN, t.Source.CLOSED], [0, 1, 2], "on the constructor");
  eq([es.CONNECTING, es.OPEN, es.CLOSED], [0, 1, 2], "on an instance");
  eq(es.readyState, 0, "readyState after new");
  eq(es.withCredentials, false, "withCredentials");
});
test("eventtarget", "eventsource-eventtarget.any.js", async (t) => {
  const es = t.open("/wpt/message");
  if (!(es instanceof EventTarget)) fail("not an EventTarget");
  const [e, target] = await new Promise((resolve) => es.addEventListener("message", {
    handleEvent(e) { resolve([e, e.currentTarget]); },
  }));
  eq(e.data, "data", "data");
  if (target !== es) fail("currentTarget is not the source");
});
test("onmessage", "eventsource-onmessage.any.js", async (t) => {
  const es = t.open("/wpt/message");
  const e = await new Promise((resolve) => { es.onmessage = resolve; });
  eq(e.data, "data", "data");
  if (!(e instanceof MessageEvent)) fail("not a MessageEvent");
  eq([e.type, e.origin, e.bubbles, e.cancelable], ["message", ORIGIN, false, false], "type, origin, bubbles, cancelable");
});
test("onopen", "eventsource-onopen.any.js", async (t) => {
  const es = t.open("/wpt/message");
  const { e, state } = await new Promise((resolve) => { es.onopen = (e) => resolve({ e, state: es.readyState }); });
  eq(state, 1, "readyState");
  eq([e.type, "data" in e, e.bubbles, e.cancelable], ["open", false, false, false], "type, data, bubbles, cancelable");
});
test("onerror-attribute", "eventsource-onmessage.any.js", async (t) => {
  const es = t.open("/wpt/status-error?status=404");
  const e = await new Promise((resolve) => { es.onerror = resolve; });
  eq([e.type, e.bubbles, e.cancelable, es.readyState], ["error", false, false, 2], "type, bubbles, cancelable, readyState");
});
test("close", "eventsource-close.window.js", async (t) => {
  const es = t.open("/wpt/message");
  eq(es.readyState, 0, "readyState after new");
  await next(es, "open");
  eq(es.readyState, 1, "readyState at open");
  es.close();
  eq(es.readyState, 2, "readyState after close()");
});
test("close-events", "eventsource-close.window.js", async (t) => {
  const es = t.open(`/wpt/reconnect-fail?id=${uid()}`);
  const log = [];
  es.onmessage = (e) => log.push(`message ${e.data}`);
  await new Promise((resolve) => {
    es.onerror = () => {
      log.push(`error ${es.readyState}`);
      if (es.readyState === 2) resolve();
    };
  });
  await sleep(100);
  eq(log, ["message opened", "error 0", "message reconnected", "error 0", "error 2"], "events");
}, 8000);
test("reconnect-200", "eventsource-reconnect.window.js", async (t) => {
  eq(await datas(t.open(`/wpt/status-reconnect?status=200&id=${uid()}`), 1), ["data"], "data");
}, 8000);
test("reconnect-events", "eventsource-reconnect.window.js", async (t) => {
  const es = t.open(`/wpt/status-reconnect?status=200&ok_first&id=${uid()}`);
  const log = [];
  es.onerror = () => log.push(`error ${es.readyState}`);
  const got = await datas(es, 2);
  eq(got, ["ok", "data"], "data");
  eq(log, ["error 0"], "errors between");
}, 8000);

// ---- requests -----------------------------------------------------------------------------

for (const status of [204, 205, 210, 299, 404, 410, 503]) {
  test(`status-error-${status}`, "request-status-error.window.js", async (t) => {
    await failsWithClose(t.open(`/wpt/status-error?status=${status}`));
  });
}
for (const status of [301, 302, 303, 307]) {
  test(`redirect-${status}`, "request-redirect.any.window.js", async (t) => {
    const es = t.open(`/wpt/redirect?status=${status}&location=${encodeURIComponent("/wpt/message")}`);
    let errors = 0;
    es.onerror = () => errors++;
    const { state } = await next(es, "open");
    eq([state, errors], [1, 0], "readyState at open, errors");
  });
}
test("redirect-origin", "eventsource-cross-origin.window.js", async (t) => {
  const to = `${OTHER}/wpt/message?cors`;
  const es = t.open(`/wpt/redirect?status=307&location=${encodeURIComponent(to)}&cors`);
  const e = await new Promise((resolve) => { es.onmessage = resolve; });
  eq(e.origin, OTHER, "origin after the redirect");
});
test("request-accept", "request-accept.any.js", async (t) => {
  eq(await datas(t.open("/wpt/echo?header=accept"), 1), ["text/event-stream"], "Accept");
});
test("request-cache-control", "request-cache-control.any.js", async (t) => {
  eq(await datas(t.open("/wpt/echo?header=cache-control"), 1), ["no-cache"], "Cache-Control");
});

// ---- cross-origin ---------------------------------------------------------------------------

test("cross-origin-message", "eventsource-cross-origin.window.js", async (t) => {
  const es = t.open(`${OTHER}/wpt/message?cors`);
  const e = await new Promise((resolve) => { es.onmessage = resolve; });
  eq([e.data, e.origin], ["data", OTHER], "data, origin");
});
test("cross-origin-no-cors", "eventsource-cross-origin.window.js", async (t) => {
  await failsWithClose(t.open(`${OTHER}/wpt/message`));
});
test("cross-origin-wrong-origin", "eventsource-cross-origin.window.js", async (t) => {
  await failsWithClose(t.open(`${OTHER}/wpt/message?cors&origin=${encodeURIComponent("http://example.org")}`));
});
test("cross-origin-credentials-false", "eventsource-cross-origin.window.js", async (t) => {
  eq(await datas(t.open(`${OTHER}/wpt/message?cors&credentials=false`), 1), ["data"], "data");
});
test("cross-origin-with-credentials-refused", "request-credentials.any.window.js", async (t) => {
  await failsWithClose(t.open(`${OTHER}/wpt/message?cors&credentials=false`, { withCredentials: true }));
});
test("cross-origin-last-event-id", "eventsource-cross-origin.window.js", async (t) => {
  const got = await messages(t.open(`${OTHER}/wpt/last-event-id?cors`), 2);
  eq(got.map((m) => m.data), ["hello", "\u2026"], "data (the reconnect carried Last-Event-ID)");
}, 8000);
test("cross-origin-status-reconnect", "eventsource-cross-origin.window.js", async (t) => {
  const es = t.open(`${OTHER}/wpt/status-reconnect?cors&status=200&ok_first&id=${uid()}`);
  eq(await datas(es, 2), ["ok", "data"], "data");
}, 8000);

// ---- EventSource.fromReadableStream() (whatwg/html#12272, web-platform-tests/wpt#58550) --------

const WPT_RS = "eventsource-from-readable-stream (wpt#58550)";
/** A stream that the case feeds by hand: `chunks` now, then `c.enqueue`, `c.close`, `c.error`. */
function feed(...chunks) {
  const c = { cancelled: null };
  const stream = new ReadableStream({
    start(controller) {
      Object.assign(c, {
        enqueue: (x) => controller.enqueue(typeof x === "string" ? new TextEncoder().encode(x) : x),
        close: () => controller.close(),
        error: (e) => controller.error(e),
      });
    },
    cancel(reason) { c.cancelled = reason ?? "cancelled"; },
  });
  for (const x of chunks) c.enqueue(x);
  return { stream, c };
}
/** Resolves with the `error` events seen until `ms` after the first, and the state then. */
function errorsAfter(es, ms = 300) {
  return new Promise((resolve) => {
    let n = 0;
    es.addEventListener("error", () => {
      if (n++ === 0) setTimeout(() => resolve({ errors: n, readyState: es.readyState }), ms);
    });
  });
}

test("from-readable-stream-construction", WPT_RS, async (t) => {
  const { stream } = feed();
  const es = t.fromStream(stream);
  eq([es.url, es.withCredentials, es.lastEventId], ["about:event-stream", false, ""], "url, withCredentials, lastEventId");
  if (es.readyState === es.CLOSED) fail("CLOSED at construction");
  if (typeof es.reconnectionTime !== "number") fail(`reconnectionTime is ${typeof es.reconnectionTime}`);
  await new Promise((resolve) => { es.onopen = resolve; });
  eq(es.readyState, es.OPEN, "readyState at open");
});
test("from-readable-stream-parsing", WPT_RS, async (t) => {
  // A BOM, a comment, a custom event over two data lines, every newline form, and chunks
  // split inside a field name and inside a multi-byte character.
  const bytes = new TextEncoder().encode("\uFEFFdata: a\n\n: note\nevent: custom\ndata: b\ndata: c\r\n\r\ndata: d\r\rid: 7\ndata: \u2026\n\n");
  const { stream, c } = feed();
  const es = t.fromStream(stream);
  const seen = [];
  const done = new Promise((resolve) => {
    const record = (e) => { seen.push([e.type, e.data, e.lastEventId]); if (seen.length === 4) resolve(); };
    es.addEventListener("message", record);
    es.addEventListener("custom", record);
  });
  for (const at of [[0, 5], [5, 30], [30, bytes.length - 3], [bytes.length - 3, bytes.length - 2], [bytes.length - 2, bytes.length]]) {
    c.enqueue(bytes.slice(...at));
  }
  await done;
  eq(seen, [["message", "a", ""], ["custom", "b\nc", ""], ["message", "d", ""], ["message", "\u2026", "7"]], "events");
});
test("from-readable-stream-id-retry", WPT_RS, async (t) => {
  const { stream } = feed("retry: 2500\nid: x\ndata: 1\n\n");
  const es = t.fromStream(stream);
  await new Promise((resolve) => { es.onmessage = resolve; });
  eq([es.lastEventId, es.reconnectionTime], ["x", 2500], "lastEventId, reconnectionTime");
});
test("from-readable-stream-done", WPT_RS, async (t) => {
  const { stream, c } = feed("data: 1\n\ndata: never dispatched");
  const es = t.fromStream(stream);
  await new Promise((resolve) => { es.onmessage = resolve; });
  const after = errorsAfter(es);
  const late = [];
  es.onmessage = (e) => late.push(e.data);
  c.close();
  eq(await after, { errors: 1, readyState: es.CLOSED }, "one error, then CLOSED and no reconnection");
  eq(late, [], "the incomplete event at the end");
});
test("from-readable-stream-error", WPT_RS, async (t) => {
  const { stream, c } = feed("data: 1\n\n");
  const es = t.fromStream(stream);
  await new Promise((resolve) => { es.onmessage = resolve; });
  const after = errorsAfter(es);
  c.error(new Error("boom"));
  eq(await after, { errors: 1, readyState: es.CLOSED }, "one error, then CLOSED");
});
test("from-readable-stream-close", WPT_RS, async (t) => {
  const { stream, c } = feed("data: 1\n\n");
  const es = t.fromStream(stream);
  await new Promise((resolve) => { es.onmessage = resolve; });
  let errors = 0;
  es.onerror = () => errors++;
  es.close();
  await sleep(100);
  eq([es.readyState, errors, c.cancelled !== null], [es.CLOSED, 0, true], "readyState, errors, stream cancelled");
});
test("from-readable-stream-fetch", WPT_RS, async (t) => {
  const response = await fetch(message("id: 3\ndata: hello"));
  const es = t.fromStream(response.body);
  const e = await new Promise((resolve) => { es.onmessage = resolve; });
  eq([e.data, e.lastEventId], ["hello", "3"], "data, lastEventId");
  eq((await errorsAfter(es)).readyState, es.CLOSED, "readyState at the end of the body");
});
test("from-readable-stream-reconnect-by-hand", WPT_RS, async (t) => {
  // The app's own reconnection: bodies piped into one TransformStream, reset() between them
  // drops the incomplete event the first one ended in.
  const { readable, writable } = new TransformStream();
  const es = t.fromStream(readable);
  const got = [];
  let one;
  const two = new Promise((resolve) => {
    es.onmessage = (e) => { got.push(e.data); if (got.length === 1) one(); if (got.length === 2) resolve(); };
  });
  const first = await fetch(message("data: one\n\ndata: cut", "&newline=none"));
  await first.body.pipeTo(writable, { preventClose: true });
  // The body is one chunk: once its event is out, so is the start of the one it cut.
  await new Promise((resolve) => { one = resolve; if (got.length) resolve(); });
  es.reset();
  const second = await fetch(message("data: two"));
  await second.body.pipeTo(writable, { preventClose: true });
  await two;
  eq(got, ["one", "two"], "data");
});

// ---- what a JavaScript class cannot do --------------------------------------------------------

test("onmessage-trusted", "eventsource-onmessage-trusted.any.js", async (t) => {
  const es = t.open("/wpt/message");
  const e = await new Promise((resolve) => { es.onmessage = resolve; });
  eq(e.isTrusted, true, "isTrusted");
});

/** Runs case `id` with `Source` (constructed with `options` merged into every init). */
globalThis.runCase = async (id, Source, options) => {
  const c = CASES.find((c) => c.id === id);
  const opened = [];
  const t = {
    Source,
    open(url, init) {
      const es = options ? new Source(url, { ...init, ...options }) : new Source(url, init);
      opened.push(es);
      return es;
    },
    fromStream(stream, init) {
      if (typeof Source.fromReadableStream !== "function") fail("no EventSource.fromReadableStream()");
      // The transport does not apply: the stream is read as it is.
      const es = Source.fromReadableStream(stream, init);
      opened.push(es);
      return es;
    },
  };
  let timer;
  try {
    await Promise.race([
      c.run(t),
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error("timed out")), c.timeout ?? 4000); }),
    ]);
    return { ok: true };
  } catch (e) {
    return { ok: false, error: String(e?.message ?? e) };
  } finally {
    clearTimeout(timer);
    for (const es of opened) es.close();
  }
};
globalThis.CASES = CASES.map(({ id, wpt }) => ({ id, wpt }));
