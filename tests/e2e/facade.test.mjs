// The npm facade's drop-in EventSource surface and its option checks, in headless Chromium
// against the real server (the page imports the web package the demo serves at /pkg/).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, packagePage } from "./chromium.mjs";

const DEMO_URL = process.env.DEMO_URL;

let browser, page;
before(async () => {
  browser = await launch();
  page = await packagePage(browser, DEMO_URL);
  await page.evaluate(() => {
    // Runs `record(Source, options)` on the browser's EventSource, then on the facade over
    // each transport: what the drop-in must match.
    window.onEach = async (record) => ({
      native: await record(EventSource),
      eventsource: await record(window.TES, { transport: "eventsource" }),
      fetch: await record(window.TES, { transport: "fetch" }),
    });
  });
});
after(async () => browser?.close());

test("bad options throw a TypeError or SyntaxError naming the option", async () => {
  const results = await page.evaluate(() => {
    const attempt = (url, options) => {
      try {
        new window.TES(url, options).close();
        return "no error";
      } catch (e) {
        return `${e.constructor.name}: ${e.message}`;
      }
    };
    return {
      url: attempt("http://[::1", {}),
      transport: attempt("/sse", { transport: "websocket" }),
      delay: attempt("/sse", { backoff: { initialDelay: -5 } }),
      zero: attempt("/sse", { backoff: { initialDelay: 0 } }),
      unknown: attempt("/sse", { retries: 3 }),
      headers: attempt("/sse", { headers: { "X-A": "b" } }),
      jitter: attempt("/sse", { backoff: { jitter: "lots" } }),
      maxDelay: attempt("/sse", { backoff: { initialDelay: 5000, maxDelay: 1000 } }),
      attempts: attempt("/sse", { backoff: { maxAttempts: 0 } }),
      idle: attempt("/sse", { idleTimeout: 0 }),
      size: attempt("/sse", { maxEventSize: 1.5 }),
      method: attempt("/sse", { method: "POST" }),
      credentials: attempt("/sse", { transport: "fetch", credentials: "sometimes" }),
      headerName: attempt("/sse", { transport: "fetch", headers: { "bad name": "x" } }),
      headerValue: attempt("/sse", { transport: "fetch", headers: { "X-A": 1 } }),
      retry: attempt("/sse", { retry: 5 }),
      floor: attempt("/sse", { backoff: { retryFloor: 0 } }),
      options: attempt("/sse", "fetch"),
    };
  });
  assert.match(results.url, /^DOMException: .*is not a valid URL/);
  assert.match(results.transport, /^TypeError: .*`transport`/);
  assert.match(results.delay, /^TypeError: .*`backoff\.initialDelay`/);
  assert.match(results.zero, /^TypeError: .*`backoff\.initialDelay`/);
  // Unknown names are ignored (with a warning), as the browser's EventSource ignores them.
  assert.equal(results.unknown, "no error");
  assert.match(results.headers, /^TypeError: .*`headers`.*Transport::Fetch|^TypeError: .*headers/);
  assert.match(results.jitter, /^TypeError: .*`backoff\.jitter`/);
  assert.equal(results.maxDelay, "TypeError: option `backoff.maxDelay` must be at least `backoff.initialDelay`");
  assert.equal(results.attempts, "TypeError: option `backoff.maxAttempts` must be at least 1 (or left out for no limit)");
  assert.match(results.idle, /^TypeError: .*`idleTimeout`: must be greater than zero/);
  assert.equal(results.size, "TypeError: option `maxEventSize` must be a whole number");
  assert.match(results.method, /^TypeError: .*`method`: the browser's EventSource cannot do this/);
  assert.equal(results.credentials, 'TypeError: option `credentials` must be "omit", "same-origin" or "include", not "sometimes"');
  assert.match(results.headerName, /^TypeError: .*invalid option `headers`: /);
  assert.equal(results.headerValue, "TypeError: option `headers` must map names to strings");
  assert.equal(results.retry, "TypeError: option `retry` must be a function");
  // A zero floor would let a server's `retry: 0` reconnect about every millisecond.
  assert.equal(results.floor, "TypeError: option `backoff.retryFloor` must be greater than zero");
  assert.equal(results.options, "TypeError: options must be an object");
  // Nothing was half-opened: the server saw no request at all.
  const log = await (await fetch(`${DEMO_URL}/log?scenario=never`)).json();
  assert.equal(log.requests, 0);
});

test("code written for EventSource works unchanged", async () => {
  const r = await page.evaluate(async () => {
    const key = `dropin-${Math.random()}`;
    const es = new window.TES(`/sse?scenario=${key}&count=2&data=text&end=hold`);
    const seen = {
      constants: [window.TES.CONNECTING, window.TES.OPEN, window.TES.CLOSED, es.CONNECTING, es.OPEN, es.CLOSED],
      states: [es.readyState],
    };
    await new Promise((resolve) => {
      es.onopen = () => seen.states.push(es.readyState);
      const got = [];
      es.addEventListener("message", (e) => {
        got.push([e.type, e.data, e.lastEventId, e instanceof MessageEvent]);
        if (got.length === 2) { seen.got = got; resolve(); }
      });
    });
    es.close();
    seen.states.push(es.readyState);
    seen.url = es.url;
    seen.withCredentials = es.withCredentials;
    return seen;
  });
  assert.deepEqual(r.constants, [0, 1, 2, 0, 1, 2]);
  assert.deepEqual(r.states, [0, 1, 2]);
  assert.deepEqual(r.got, [["message", "event 1", "1", true], ["message", "event 2", "2", true]]);
  assert.match(r.url, /^http:\/\/127\.0\.0\.1:\d+\/sse\?scenario=dropin-/);
  assert.equal(r.withCredentials, false);
});

test("addEventListener takes what EventTarget takes: listener objects, capture, once, signal", async () => {
  const r = await page.evaluate(async () => {
    // The same listeners on the browser's EventSource and on the facade over either transport:
    // what each is called with, in order, over three events and one dispatched by hand.
    const record = (Source, options) => new Promise((resolve) => {
      const es = new Source(`/sse?scenario=listeners-${Math.random()}&count=3&data=text&end=hold`, options);
      const seen = [];
      const note = (who) => (e) => seen.push([e.data, who]);
      es.addEventListener("message", note("once"), { once: true });
      es.addEventListener("message", { handleEvent: note("object") });
      const both = note("capture and not");
      es.addEventListener("message", both);
      es.addEventListener("message", both, true);
      const dup = note("added twice");
      es.addEventListener("message", dup);
      es.addEventListener("message", dup, { capture: false });
      const abort = new AbortController();
      es.addEventListener("message", note("until aborted"), { signal: abort.signal });
      const aborted = new AbortController();
      aborted.abort();
      es.addEventListener("message", note("aborted before"), { signal: aborted.signal });
      let later;
      es.addEventListener("message", function (e) {
        seen.push([e.data, this === es ? "this is the source" : "this is not the source", e.target === es]);
        if (e.data === "event 1") {
          es.removeEventListener("message", both, true);
          es.removeEventListener("message", later);
          abort.abort();
        }
        if (e.data === "event 3") {
          seen.push(["dispatched", es.dispatchEvent(new MessageEvent("message", { data: "by hand" }))]);
          es.close();
          resolve(seen);
        }
      });
      later = note("removed by an earlier one");
      es.addEventListener("message", later);
      setTimeout(() => { es.close(); resolve(seen); }, 5000);
    });
    return window.onEach(record);
  });
  assert.deepEqual(r.native.slice(0, 7), [
    ["event 1", "once"], ["event 1", "object"], ["event 1", "capture and not"], ["event 1", "capture and not"],
    ["event 1", "added twice"], ["event 1", "until aborted"], ["event 1", "this is the source", true],
  ]);
  assert.ok(r.native.some(([d]) => d === "by hand"));
  assert.deepEqual(r.eventsource, r.native);
  assert.deepEqual(r.fetch, r.native);
});

test("a server's events named open and error reach onopen, onerror and their listeners, as on EventSource", async () => {
  const r = await page.evaluate(async () => {
    // What each receiver sees, from the browser's EventSource and from the facade on either
    // transport, over the same stream: four events alternating `open` and `error`.
    const record = (Source, options, how) => new Promise((resolve) => {
      const key = `open-error-${Math.random()}`;
      const es = new Source(`/sse?scenario=${key}&count=4&event=open,error&data=text&end=hold`, options);
      const seen = [];
      const note = (e) => {
        seen.push([e.type, e.constructor.name, e.data ?? null, e.lastEventId ?? null, e.target === es && e.currentTarget === es]);
        if (e.lastEventId === "4") { es.close(); resolve(seen); }
      };
      // Each way on its own: either one alone must make the source listen for these types.
      if (how === "listeners") {
        es.addEventListener("open", note);
        es.addEventListener("error", note);
      } else {
        es.onopen = note;
        es.onerror = note;
      }
      setTimeout(() => { es.close(); resolve(seen); }, 5000);
    });
    const r = {};
    for (const how of ["listeners", "attributes"]) {
      r[how] = await window.onEach((Source, options) => record(Source, options, how));
    }
    return r;
  });
  for (const how of ["listeners", "attributes"]) {
    const { native, eventsource, fetch } = r[how];
    // The browser's own open first, then each server event.
    assert.deepEqual(native, [
      ["open", "Event", null, null, true],
      ["open", "MessageEvent", "event 1", "1", true],
      ["error", "MessageEvent", "event 2", "2", true],
      ["open", "MessageEvent", "event 3", "3", true],
      ["error", "MessageEvent", "event 4", "4", true],
    ], how);
    assert.deepEqual(eventsource, native, how);
    assert.deepEqual(fetch, native, how);
  }
});

test("an open stream that nothing references goes on, as EventSource does, and is collected once closed", async () => {
  const cdp = await page.context().newCDPSession(page);
  const gc = async () => {
    for (let i = 0; i < 3; i++) {
      await cdp.send("HeapProfiler.collectGarbage");
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await page.evaluate(() => {
    window.gcSeen = { eventsource: [], fetch: [], "close()": [] };
    window.gcClosed = [];
    window.gcCollected = [];
    // Kept on window: a registry that is itself collected never calls back.
    const registry = window.gcRegistry = new FinalizationRegistry((t) => window.gcCollected.push(t));
    for (const name of Object.keys(window.gcSeen)) {
      // Twenty events, then a clean end; the reconnect gets 204 and the stream closes (the
      // EventSource transport cannot see the status: it closes after its last attempt). The
      // third closes itself from a listener that refers to it.
      const key = `gc-${Math.random()}`;
      const transport = name === "eventsource" ? "eventsource" : "fetch";
      const es = new window.TES(`/sse?scenario=${key}&total=20&interval_ms=25&end=close`, {
        transport, lastEventIdParam: "lastEventId", backoff: { initialDelay: 10, maxAttempts: 2 },
      });
      es.onmessage = (e) => {
        window.gcSeen[name].push(Number(e.lastEventId));
        if (name === "close()" && e.lastEventId === "3") es.close();
      };
      es.onstatechange = (s) => { if (s.state === "closed") window.gcClosed.push(name); };
      registry.register(es, name);
      // Nothing else keeps `es` once this function returns.
    }
  });
  await page.waitForFunction(() => window.gcSeen.eventsource.length > 0 && window.gcSeen.fetch.length > 0);
  // Collections while the streams are open do not end them.
  await gc();
  await page.waitForFunction(() => window.gcClosed.length === 3, null, { timeout: 10_000 }).catch(() => {});
  const open = await page.evaluate(() => ({ seen: window.gcSeen, closed: window.gcClosed.slice().sort(), collected: window.gcCollected.slice() }));
  const all = Array.from({ length: 20 }, (_, i) => i + 1);
  assert.deepEqual(open.seen, { eventsource: all, fetch: all, "close()": [1, 2, 3] });
  assert.deepEqual(open.closed, ["close()", "eventsource", "fetch"]);
  // Closed, they are collected (and their wasm memory freed) without free().
  for (let i = 0; i < 20; i++) {
    await gc();
    if (await page.evaluate(() => window.gcCollected.length === 3)) break;
  }
  assert.deepEqual(await page.evaluate(() => window.gcCollected.slice().sort()), ["close()", "eventsource", "fetch"]);
});

test("on() hands parsed JSON; data that is not JSON is a decodeerror, never an error that closes EventSource code", async () => {
  const r = await page.evaluate(async () => {
    const key = `json-${Math.random()}`;
    const ok = new window.TES(`/sse?scenario=${key}&event=price&count=2&end=hold`, { transport: "fetch" });
    const prices = await new Promise((resolve) => {
      const got = [];
      // Two parameters, one, and a rest parameter: the event reaches those that can take it.
      ok.on("price", (p, e) => got.push([p.seq, p.type, e.lastEventId]));
      ok.on("price", (p) => got.push(["one", p.seq, ok.lastEventId]));
      ok.on("price", (...args) => {
        got.push(["rest", args[1].lastEventId]);
        if (got.length === 6) resolve(got);
      });
    });
    ok.close();
    const bad = new window.TES(`/sse?scenario=${key}-text&count=1&data=text&end=hold`, { transport: "fetch" });
    // Code written for EventSource closes in onerror: one bad payload must not close it.
    let onerror = 0;
    bad.onerror = () => { onerror++; bad.close(); };
    const error = await new Promise((resolve) => {
      bad.on("message", () => resolve("parsed?!"));
      bad.addEventListener("decodeerror", (e) => resolve({
        isError: e.error instanceof Error, name: e.error.name, kind: e.error.kind,
        eventType: e.error.eventType, data: e.error.data, message: e.error.message,
      }));
    });
    const readyState = bad.readyState;
    bad.close();
    // Without a decodeerror listener, the failure is reported as a listener's exception is.
    const reported = await new Promise((resolve) => {
      const quiet = new window.TES(`/sse?scenario=${key}-quiet&count=1&data=text&end=hold`, { transport: "fetch" });
      window.addEventListener("error", (e) => { quiet.close(); resolve(e.error?.kind); }, { once: true });
      quiet.on("message", () => resolve("parsed?!"));
    });
    return { prices, error, onerror, readyState, reported };
  });
  assert.equal(r.onerror, 0);
  assert.equal(r.readyState, 1);
  assert.equal(r.reported, "decode");
  assert.deepEqual(r.prices, [
    [1, "price", "1"], ["one", 1, "1"], ["rest", "1"],
    [2, "price", "2"], ["one", 2, "2"], ["rest", "2"],
  ]);
  // The parser's own words, not an empty object.
  assert.match(r.error.message, /JSON/);
  delete r.error.message;
  assert.deepEqual(r.error, { isError: true, name: "TypedEventSourceError", kind: "decode", eventType: "message", data: "event 1" });
});

test("close() in a handler drops the rest of its chunk, and reopen() resumes after that event", async () => {
  const r = await page.evaluate(async () => {
    const key = `close-in-handler-${Math.random()}`;
    // Five back-to-back events: the server sends them in one chunk, one batch here.
    const es = new window.TES(`/sse?scenario=${key}&total=5&end=hold`, { transport: "fetch" });
    const got = [];
    const until = (last) => new Promise((resolve) => {
      es.onmessage = (e) => {
        got.push(e.lastEventId);
        if (e.lastEventId === "2" && got.length === 2) {
          es.close();
          inside = [es.lastEventId, es.readyState];
          setTimeout(resolve, 200);
        }
        if (e.lastEventId === last) resolve();
      };
      setTimeout(resolve, 3000);
    });
    let inside;
    await until("5");
    const beforeReopen = got.slice();
    const resumeFrom = es.lastEventId;
    es.reopen();
    await until("5");
    es.close();
    return { beforeReopen, inside, resumeFrom, got };
  });
  assert.deepEqual(r.beforeReopen, ["1", "2"]);
  assert.deepEqual(r.inside, ["2", 2]);
  assert.equal(r.resumeFrom, "2");
  assert.deepEqual(r.got, ["1", "2", "3", "4", "5"]);
});

test("an error's durations are in milliseconds: Retry-After and the idle timeout", async () => {
  const r = await page.evaluate(async () => {
    const firstError = (url, options) => new Promise((resolve) => {
      const es = new window.TES(url, { transport: "fetch", ...options });
      es.onerror = (e) => { es.close(); resolve({ kind: e.error.kind, retryAfter: e.error.retryAfter, after: e.error.after, message: e.error.message }); };
    });
    return {
      status: await firstError(`/sse?scenario=retry-after-${Math.random()}&status=503&retry_after=2`),
      idle: await firstError(`/sse?scenario=idle-${Math.random()}&count=1&end=hold`, { idleTimeout: 250 }),
    };
  });
  assert.equal(r.status.kind, "http-status");
  assert.equal(r.status.retryAfter, 2000);
  assert.equal(r.idle.kind, "idle-timeout");
  assert.equal(r.idle.after, 250);
  assert.match(r.idle.message, /no data for 250 ms/);
});

test("failures are Errors with a kind, and state says what happens next", async () => {
  const r = await page.evaluate(async () => {
    const key = `status-${Math.random()}`;
    const es = new window.TES(`/sse?scenario=${key}&status=404`, { transport: "fetch" });
    const states = [];
    return await new Promise((resolve) => {
      let error;
      es.onerror = (e) => { error = { kind: e.error.kind, status: e.error.status, target: e.target === es && e.target.readyState }; };
      es.onstatechange = (s) => {
        states.push(s.state);
        if (s.state === "closed") resolve({ error, states, reason: s.reason.kind, reasonStatus: s.reason.error.status, ready: es.readyState });
      };
    });
  });
  // `e.target.readyState` in an error listener, as EventSource code reads it: closed for good.
  assert.deepEqual(r, { error: { kind: "http-status", status: 404, target: 2 }, states: ["closed"], reason: "failed", reasonStatus: 404, ready: 2 });
  // A dropped stream: connecting again, by the time its error is dispatched, on both.
  const dropped = await page.evaluate(async () => {
    const readyStateOnError = (Source, options) => new Promise((resolve) => {
      const es = new Source(`/sse?scenario=drop-${Math.random()}&count=1&end=drop`, options);
      es.onerror = (e) => { resolve(e.target.readyState); es.close(); };
    });
    return window.onEach(readyStateOnError);
  });
  assert.deepEqual(dropped, { native: 0, eventsource: 0, fetch: 0 });
});

// The requests the facade makes, from the server's log.
const requests = async (key) => (await (await fetch(`${DEMO_URL}/log?scenario=${key}`)).json()).records;

test("each attempt sends what the options ask for, and resumes after the last event", async () => {
  const logged = [];
  const onConsole = (m) => logged.push(m.text());
  page.on("console", onConsole);
  const keys = await page.evaluate(async () => {
    const key = (name) => `${name}-${Math.random()}`;
    // Two events, then a clean end; the stream reconnects after 10 ms and resumes.
    const twice = (url, options) => new Promise((resolve) => {
      const es = new window.TES(url, { backoff: { initialDelay: 10, jitter: "none" }, ...options });
      const ids = [];
      es.onmessage = (e) => {
        ids.push(e.lastEventId);
        if (ids.length === 3) { es.close(); resolve(ids); }
      };
    });
    const keys = { fn: key("headers-fn"), fixed: key("headers-fixed"), param: key("param"), failing: key("headers-fail") };
    let n = 0;
    const ids = await Promise.all([
      twice(`/sse?scenario=${keys.fn}&count=2&end=close`, {
        transport: "fetch", method: "POST", body: "{}",
        headers: async () => ({ "X-Token": `t${++n}` }),
      }),
      twice(`/sse?scenario=${keys.fixed}&count=2&end=close`, { transport: "fetch", headers: { "X-Fixed": "yes" } }),
      twice(`/sse?scenario=${keys.param}&count=2&end=close`, { transport: "eventsource", lastEventIdParam: "lastEventId" }),
      twice(`/sse?scenario=${keys.failing}&count=2&end=close`, {
        transport: "fetch", headers: () => { throw new Error("no token"); },
      }),
    ]);
    return { keys, ids };
  });
  page.off("console", onConsole);
  for (const ids of keys.ids) assert.deepEqual(ids, ["1", "2", "3"]);
  const fn = await requests(keys.keys.fn);
  assert.deepEqual(fn.slice(0, 2).map((r) => [r.method, r.headers["x-token"], r.headers.accept, r.resumed_after]), [
    ["POST", "t1", "text/event-stream", null],
    ["POST", "t2", "text/event-stream", 2],
  ]);
  assert.equal(fn[1].headers["last-event-id"], "2");
  const fixed = await requests(keys.keys.fixed);
  assert.deepEqual(fixed.slice(0, 2).map((r) => [r.method, r.headers["x-fixed"], r.resumed_after]), [["GET", "yes", null], ["GET", "yes", 2]]);
  // Over the browser's EventSource, the id to resume after rides in the query.
  const param = await requests(keys.keys.param);
  assert.match(param[1].uri, /[?&]lastEventId=2$/);
  assert.equal(param[1].resumed_after, 2);
  // A headers function that throws is reported, and the request goes without its headers.
  const failing = await requests(keys.keys.failing);
  assert.equal(failing[0].headers["x-token"], undefined);
  assert.ok(logged.some((t) => t.includes("the headers function failed")), logged.join("\n"));
});

test("the stream follows the page: offline pauses a reconnection, online, pageshow and visibility resume it", async () => {
  const r = await page.evaluate(async () => {
    const key = `lifecycle-${Math.random()}`;
    // One event per connection, then a clean end, then a long back-off: only the page's
    // lifecycle brings the next connection sooner.
    const es = new window.TES(`/sse?scenario=${key}&count=1&end=close`, {
      transport: "fetch", pauseWhenHidden: true, backoff: { initialDelay: 60_000, maxDelay: 60_000, jitter: "none" },
    });
    const states = [];
    let waiting = null;
    const next = (want) => new Promise((resolve, reject) => {
      waiting = { want, resolve };
      setTimeout(() => reject(new Error(`no ${want}; states: ${states.join(", ")}`)), 5000);
    });
    es.onstatechange = (s) => {
      states.push(s.reason && typeof s.reason === "string" ? `${s.state}:${s.reason}` : s.state);
      if (waiting && states.at(-1) === waiting.want) waiting.resolve();
    };
    // Fires `event` at `target` and waits for the state `want` (which may come at once).
    const fire = (target, event, want) => {
      const reached = next(want);
      target.dispatchEvent(event);
      return reached;
    };
    await next("reconnecting");
    await fire(window, new Event("offline"), "paused:offline");
    await fire(window, new Event("online"), "reconnecting");
    await fire(window, new PageTransitionEvent("pageshow", { persisted: true }), "reconnecting");
    let visibility = "hidden";
    Object.defineProperty(document, "visibilityState", { get: () => visibility, configurable: true });
    await fire(document, new Event("visibilitychange"), "paused:hidden");
    visibility = "visible";
    await fire(document, new Event("visibilitychange"), "reconnecting");
    delete document.visibilityState;
    es.close();
    return { key, states };
  });
  assert.deepEqual(r.states, [
    "open", "reconnecting", "paused:offline",
    "connecting", "open", "reconnecting",
    "connecting", "open", "reconnecting",
    "paused:hidden", "connecting", "open", "reconnecting", "closed",
  ]);
  // Four connections, each resuming after the one before.
  const log = await requests(r.key);
  assert.deepEqual(log.map((x) => x.resumed_after), [null, 1, 2, 3]);
});

test("a server's huge retry: waits at most an hour; an option too long for a clock is a century, not a crash", async () => {
  const r = await page.evaluate(async () => {
    const reconnecting = (url, options) => new Promise((resolve) => {
      const es = new window.TES(url, { transport: "fetch", ...options });
      es.onstatechange = (s) => {
        if (s.state === "reconnecting") { es.close(); resolve(s.delay); }
      };
    });
    const delays = {
      retry: await reconnecting(`/sse?scenario=huge-retry-${Math.random()}&count=1&retry=18446744073709551615&end=close`, {}),
      options: await reconnecting(`/sse?scenario=huge-options-${Math.random()}&count=1&end=close`, {
        idleTimeout: 1e300, backoff: { initialDelay: 1e300, maxDelay: 1e300, jitter: "none" },
      }),
    };
    // The module goes on working.
    const es = new window.TES(`/sse?scenario=after-huge-${Math.random()}&count=1&end=hold`, { transport: "fetch" });
    const data = await new Promise((resolve) => { es.onmessage = (e) => resolve(e.data); });
    es.close();
    return { delays, data };
  });
  const century = 100 * 365 * 86_400_000;
  // Backoff::server_max, an hour by default (equal jitter takes it down to half).
  assert.ok(r.delays.retry >= 1_800_000 && r.delays.retry <= 3_600_000, JSON.stringify(r.delays));
  assert.ok(r.delays.options > century, JSON.stringify(r.delays));
  assert.equal(typeof r.data, "string");
});

test("the class is a real EventTarget: instanceof, prototype methods before the first new, subclasses", async () => {
  const r = await page.evaluate(async () => {
    const TES = window.TES;
    const before = ["close", "reopen", "on", "off", "addEventListener"].every((m) => typeof TES.prototype[m] === "function");
    class Ticker extends TES {
      constructor(url) {
        super(url, { transport: "fetch" });
        this.seen = [];
        this.addEventListener("message", (e) => this.seen.push(e.data));
      }
      get count() { return this.seen.length; }
    }
    const t = new Ticker(`/sse?scenario=subclass-${Math.random()}&count=2&data=text&end=hold`);
    await new Promise((resolve) => {
      const check = () => (t.count === 2 ? resolve() : setTimeout(check, 10));
      check();
      setTimeout(resolve, 3000);
    });
    t.close();
    return { before, isTarget: t instanceof EventTarget, isTES: t instanceof TES, count: t.count, seen: t.seen };
  });
  assert.deepEqual(r, { before: true, isTarget: true, isTES: true, count: 2, seen: ["event 1", "event 2"] });
});

test("events carry the stream's origin, as the browser's EventSource sets it", async () => {
  const r = await page.evaluate(() => window.onEach((Source, options) => new Promise((resolve) => {
    const es = new Source(`/sse?scenario=origin-${Math.random()}&count=1&data=text&end=hold`, options);
    es.onmessage = (e) => { es.close(); resolve(e.origin); };
  })));
  assert.match(r.native, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.deepEqual(r, { native: r.native, eventsource: r.native, fetch: r.native });
});

test("close() and reopen() in one handler: no event twice, and the page's lifecycle still followed", async () => {
  const r = await page.evaluate(async () => {
    const out = {};
    for (const transport of ["fetch", "eventsource"]) {
      const key = `close-reopen-${transport}-${Math.random()}`;
      // Five events in one chunk, then a clean end, then a long back-off.
      const es = new window.TES(`/sse?scenario=${key}&total=5&end=close`, {
        transport, lastEventIdParam: "lastEventId", backoff: { initialDelay: 60_000, maxDelay: 60_000, jitter: "none" },
      });
      const got = [];
      const states = [];
      let reopened = false;
      await new Promise((resolve) => {
        es.onmessage = (e) => {
          got.push(e.lastEventId);
          if (e.lastEventId === "2" && !reopened) { reopened = true; es.close(); es.reopen(); }
        };
        es.onstatechange = (s) => { states.push(s.state); if (s.state === "reconnecting") resolve(); };
        setTimeout(resolve, 5000);
      });
      // The reopened stream still listens to the page: online cuts the long back-off short.
      const reconnected = new Promise((resolve) => {
        es.onstatechange = (s) => { if (s.state === "connecting") resolve(true); };
        setTimeout(() => resolve(false), 2000);
      });
      window.dispatchEvent(new Event("online"));
      out[transport] = { got, reconnected: await reconnected };
      es.close();
    }
    return out;
  });
  for (const transport of ["fetch", "eventsource"]) {
    assert.deepEqual(r[transport].got, ["1", "2", "3", "4", "5"], transport);
    assert.equal(r[transport].reconnected, true, transport);
  }
});

test("the retry function may read the source and close it; one that throws is reported", async () => {
  const logged = [];
  const onConsole = (m) => logged.push(m.text());
  page.on("console", onConsole);
  const r = await page.evaluate(async () => {
    const key = `retry-reads-${Math.random()}`;
    const seen = [];
    const es = new window.TES(`/sse?scenario=${key}&status=503`, {
      transport: "fetch", backoff: { initialDelay: 10 },
      retry: (error, retry) => {
        seen.push([error.kind, error.status, retry, es.state.state, es.readyState]);
        es.close();
        return true;
      },
    });
    const closed = await new Promise((resolve) => {
      es.onstatechange = (s) => { if (s.state === "closed") resolve(s.reason.kind); };
      setTimeout(() => resolve("not closed"), 3000);
    });
    // One that throws: the default (stop a 404) applies, and the failure is logged.
    const thrower = new window.TES(`/sse?scenario=${key}-throws&status=404`, {
      transport: "fetch", retry: () => { throw new Error("boom"); },
    });
    const reason = await new Promise((resolve) => {
      thrower.onstatechange = (s) => { if (s.state === "closed") resolve(s.reason.error.status); };
      setTimeout(() => resolve("not closed"), 3000);
    });
    return { seen, closed, reason, key };
  });
  page.off("console", onConsole);
  assert.deepEqual(r.seen, [["http-status", 503, true, "connecting", 0]]);
  assert.equal(r.closed, "user");
  assert.equal(r.reason, 404);
  assert.ok(logged.some((t) => t.includes("the retry function failed")), logged.join("\n"));
  // The close won: one request, no retry.
  assert.equal((await requests(r.key)).length, 1);
});

test("on() with something other than a function throws at once, and the stream goes on", async () => {
  const r = await page.evaluate(async () => {
    const es = new window.TES(`/sse?scenario=on-null-${Math.random()}&count=3&data=text&end=hold`, { transport: "fetch" });
    let thrown;
    try { es.on("message", null); } catch (e) { thrown = `${e.constructor.name}: ${e.message}`; }
    const got = await new Promise((resolve) => {
      const ids = [];
      es.onmessage = (e) => { ids.push(e.lastEventId); if (ids.length === 3) resolve(ids); };
      setTimeout(() => resolve(ids), 3000);
    });
    es.close();
    return { thrown, got };
  });
  assert.match(r.thrown, /^TypeError: .*must be a function/);
  assert.deepEqual(r.got, ["1", "2", "3"]);
});

test("polyfill-style use: with globalThis.EventSource = TypedEventSource, both transports still connect", async () => {
  // A page of its own: the assignment must not reach the other tests.
  const p = await browser.newPage();
  try {
    await p.goto(`${DEMO_URL}/health`);
    const got = await p.evaluate(async () => {
      const m = await import("/pkg/typed_eventsource.js");
      await m.default();
      globalThis.EventSource = m.TypedEventSource;
      const first = (transport) =>
        new Promise((resolve) => {
          const es = new EventSource(`/wpt/message?message=${encodeURIComponent("id: 7\ndata: hi")}`, { transport });
          const timer = setTimeout(() => { es.close(); resolve("no message"); }, 5000);
          es.onerror = (e) => { clearTimeout(timer); es.close(); resolve(`error: ${e.error ?? e.type}`); };
          es.onmessage = (e) => {
            clearTimeout(timer);
            es.close();
            resolve({ data: e.data, id: e.lastEventId, ours: es instanceof m.TypedEventSource });
          };
        });
      return { eventsource: await first("eventsource"), fetch: await first("fetch") };
    });
    const want = { data: "hi", id: "7", ours: true };
    assert.deepEqual(got, { eventsource: want, fetch: want });
  } finally {
    await p.close();
  }
});

test("in a dedicated worker, the package loads and both transports deliver", async () => {
  const got = await page.evaluate(async () => {
    const code = `
      const origin = ${JSON.stringify(location.origin)};
      const m = await import(origin + "/pkg/typed_eventsource.js");
      await m.default();
      const first = (transport) => new Promise((resolve) => {
        const es = new m.TypedEventSource(origin + "/wpt/message?message=" + encodeURIComponent("id: 5\\ndata: from a worker"), { transport });
        const timer = setTimeout(() => { es.close(); resolve("no message"); }, 5000);
        es.onerror = (e) => { clearTimeout(timer); es.close(); resolve("error: " + (e.error && e.error.kind)); };
        es.onmessage = (e) => { clearTimeout(timer); es.close(); resolve({ data: e.data, id: e.lastEventId, origin: e.origin }); };
      });
      postMessage({ eventsource: await first("eventsource"), fetch: await first("fetch") });
    `;
    const url = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
    const worker = new Worker(url, { type: "module" });
    try {
      return await new Promise((resolve, reject) => {
        worker.onmessage = (e) => resolve(e.data);
        worker.onerror = (e) => reject(new Error(e.message));
      });
    } finally {
      worker.terminate();
      URL.revokeObjectURL(url);
    }
  });
  const want = { data: "from a worker", id: "5", origin: new URL(DEMO_URL).origin };
  assert.deepEqual(got, { eventsource: want, fetch: want });
});

test("fromReadableStream refuses what it cannot read, with a TypeError", async () => {
  const got = await page.evaluate(() => {
    const attempt = (f) => {
      try {
        f().close();
        return "no error";
      } catch (e) {
        return `${e.constructor.name}: ${e.message}`;
      }
    };
    const locked = new ReadableStream();
    locked.getReader();
    return {
      url: attempt(() => window.TES.fromReadableStream("/sse")),
      locked: attempt(() => window.TES.fromReadableStream(locked)),
      headers: attempt(() => window.TES.fromReadableStream(new ReadableStream(), { headers: { "X-A": "b" } })),
      fine: attempt(() => window.TES.fromReadableStream(new ReadableStream())),
    };
  });
  assert.match(got.url, /^TypeError: .*must be a ReadableStream/);
  assert.match(got.locked, /^TypeError: .*`stream`: is locked/);
  assert.match(got.headers, /^TypeError: .*`headers`: a stream the app reads sends no request/);
  assert.equal(got.fine, "no error");
});

test("events() and for await: typed events one step at a time, ending with the source or throwing its failure; leaving the loop or aborting `signal` closes it", { timeout: 30_000 }, async () => {
  const key = `iterate-${Date.now()}`;
  const r = await page.evaluate(async (key) => {
    const out = {};
    // The server ends the stream after event 3 for good (a resumption past it gets 204).
    const a = new window.TES(`/sse?scenario=${key}-end&event=price&count=3&total=3&end=close`, { transport: "fetch", backoff: { initialDelay: 50 } });
    out.ended = [];
    for await (const p of a.events("price")) out.ended.push(p.seq);
    out.endedState = a.readyState;
    // Leaving the loop closes the source.
    const b = new window.TES(`/sse?scenario=${key}-break&event=price&end=hold`, { transport: "fetch" });
    out.broke = [];
    for await (const p of b.events("price")) {
      out.broke.push(p.seq);
      if (p.seq === 2) break;
    }
    out.brokeState = b.readyState;
    // A 404 stops the source, and the step throws its error.
    const c = new window.TES(`/sse?scenario=${key}-404&status=404`, { transport: "fetch" });
    try {
      for await (const m of c) out.unexpected = m;
      out.failed = "no error";
    } catch (e) {
      out.failed = `${e.name} ${e.kind} ${e.status}`;
    }
    // Aborting `signal` closes the source: the loop ends with nothing after the abort.
    const ctrl = new AbortController();
    const d = new window.TES(`/sse?scenario=${key}-signal&end=hold`, { signal: ctrl.signal });
    out.signalled = [];
    for await (const m of d) {
      out.signalled.push(m.seq);
      if (m.seq === 2) ctrl.abort();
    }
    out.signalState = d.readyState;
    // Aborted before: closed at once, nothing requested.
    out.aborted = new window.TES(`/sse?scenario=${key}-aborted`, { signal: AbortSignal.abort() }).readyState;
    try {
      new window.TES("/sse", { signal: "soon" });
    } catch (e) {
      out.badSignal = `${e.name}: ${e.message}`;
    }
    return out;
  }, key);
  assert.deepEqual(r.ended, [1, 2, 3]);
  assert.equal(r.endedState, 2);
  assert.deepEqual(r.broke, [1, 2]);
  assert.equal(r.brokeState, 2);
  assert.equal(r.failed, "TypedEventSourceError http-status 404");
  assert.deepEqual(r.signalled, [1, 2]);
  assert.equal(r.signalState, 2);
  assert.equal(r.aborted, 2);
  assert.equal(r.badSignal, "TypeError: option `signal` must be an AbortSignal");
  // The server saw the client go when the loop was left and when the signal was aborted, and
  // no request at all for the source aborted before it was made.
  for (const k of ["break", "signal"]) {
    let log;
    for (let i = 0; i < 50; i += 1) {
      log = await (await fetch(`${DEMO_URL}/log?scenario=${key}-${k}`)).json();
      if (log.open === 0) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(log.open, 0, `${k}: ${JSON.stringify(log)}`);
    assert.equal(log.records.at(-1).end, "client_closed");
  }
  assert.equal((await requests(`${key}-aborted`)).length, 0);
});

test("post(): a one-shot stream completes at its end, resumes once it has an id, stops without one, and says when it ended mid-event", { timeout: 30_000 }, async () => {
  const key = `post-${Date.now()}`;
  const r = await page.evaluate(async (key) => {
    const seqs = async (es) => {
      const got = [];
      for await (const m of es) got.push(m.seq);
      return got;
    };
    const out = {};
    // 50 events, then the end of the answer: completed, never reconnected.
    const whole = window.TES.post(`/sse?scenario=${key}-whole&count=50&end=close`, '{"q":"whole"}');
    out.whole = { got: await seqs(whole), reason: whole.state.reason, ready: whole.readyState };
    // Broken after event 20: resumed by a GET after the last id received, to the end.
    const broken = window.TES.post(`/sse?scenario=${key}-broken&total=50&end=close&interval_ms=5`, "{}", {
      backoff: { initialDelay: 50 },
      resume: () => ({ method: "GET" }),
    });
    const got = [];
    for await (const m of broken) {
      got.push(m.seq);
      if (m.seq === 20) await fetch(`/control?scenario=${key}-broken&action=drop`, { method: "POST" });
    }
    out.broken = { got, reason: broken.state.reason };
    // Broken before any id: nothing to resume from, so it stops with the failure.
    const noId = window.TES.post(`/sse?scenario=${key}-noid&ids=0&count=5&end=drop`, "{}", { backoff: { initialDelay: 50 } });
    const before = [];
    try {
      for await (const m of noId) before.push(m.seq);
      out.noId = "no error";
    } catch (e) {
      out.noId = { got: before, kind: e.kind, events: e.events, lastEventId: e.lastEventId, cause: e.cause.kind, reason: noId.state.reason.kind };
    }
    // An answer that ends in the middle of an event, under both policies.
    const cut = `/wpt/message?message=${encodeURIComponent('data: "whole"\n\ndata: "half"')}&newline=none`;
    for (const unfinished of ["discard", "dispatch"]) {
      const es = window.TES.post(cut, "{}", { unfinished });
      const data = [];
      for await (const d of es) data.push(d);
      out[unfinished] = { data, reason: es.state.reason };
    }
    try {
      new window.TES("/sse", { oneShot: true });
    } catch (e) {
      out.overEventSource = `${e.name}: ${e.message}`;
    }
    return out;
  }, key);
  const upTo = (n) => Array.from({ length: n }, (_, i) => i + 1);
  assert.deepEqual(r.whole, { got: upTo(50), reason: { kind: "completed", midEvent: false }, ready: 2 });
  assert.deepEqual(r.broken, { got: upTo(50), reason: { kind: "completed", midEvent: false } });
  // The failure says how far the answer got.
  assert.deepEqual(r.noId, { got: upTo(5), kind: "interrupted", events: 5, lastEventId: "", cause: "network", reason: "failed" });
  assert.deepEqual(r.discard, { data: ["whole"], reason: { kind: "completed", midEvent: true } });
  assert.deepEqual(r.dispatch, { data: ["whole", "half"], reason: { kind: "completed", midEvent: true } });
  assert.match(r.overEventSource, /^TypeError: .*`oneShot`: the browser's EventSource cannot do this/);
  // What the server saw: one POST for the whole answer and for the one without ids; the broken
  // one was resumed by a GET after the last event it had.
  const whole = await requests(`${key}-whole`);
  assert.deepEqual(whole.map((q) => [q.method, q.end]), [["POST", "closed"]]);
  assert.equal((await requests(`${key}-noid`)).length, 1);
  const broken = await requests(`${key}-broken`);
  assert.deepEqual(broken.map((q) => q.method), ["POST", "GET"]);
  assert.ok(broken[1].resumed_after >= 20, JSON.stringify(broken[1]));
});

test("resume: a stream started by a POST is resumed by the request the function makes from the last id; a function that throws fails it", { timeout: 30_000 }, async () => {
  const key = `resume-${Date.now()}`;
  const r = await page.evaluate(async (key) => {
    const es = window.TES.post(`/sse?scenario=${key}&total=6&count=3&end=drop`, '{"jsonrpc":"2.0"}', {
      backoff: { initialDelay: 20 },
      resume: (after) => ({ headers: { "X-Resumed-After": after } }),
    });
    const got = [];
    for await (const m of es) {
      got.push(m.seq);
      if (got.length === 6) break;
    }
    const bad = window.TES.post(`/sse?scenario=${key}-bad&count=2&end=drop`, "{}", {
      backoff: { initialDelay: 20 },
      resume: () => {
        throw new Error("no session to resume");
      },
    });
    const before = [];
    let failure;
    try {
      for await (const m of bad) before.push(m.seq);
    } catch (e) {
      failure = { kind: e.kind, events: e.events, cause: e.cause.kind, option: e.cause.option, message: e.message };
    }
    let refused;
    try {
      new window.TES("/sse", { resume: () => ({}) });
    } catch (e) {
      refused = `${e.name}: ${e.message}`;
    }
    return { got, before, failure, refused };
  }, key);
  assert.deepEqual(r.got, [1, 2, 3, 4, 5, 6]);
  const log = await requests(key);
  assert.deepEqual(log.slice(0, 2).map((q) => [q.method, q.headers["x-resumed-after"] ?? null, q.headers["last-event-id"] ?? null]), [
    ["POST", null, null],
    ["GET", "3", "3"],
  ]);
  assert.deepEqual(r.before, [1, 2]);
  // The answer broke after two events and could not be resumed: how far it got, and why.
  assert.equal(r.failure.kind, "interrupted");
  assert.equal(r.failure.events, 2);
  assert.equal(r.failure.cause, "invalid-option");
  assert.equal(r.failure.option, "resume");
  assert.match(r.failure.message, /no session to resume/);
  assert.equal((await requests(`${key}-bad`)).length, 1, "nothing sent once the function failed");
  assert.match(r.refused, /^TypeError: .*`resume`: the browser's EventSource cannot do this/);
});

test("a stream resumes after a page reload from the id the app stored, by the resume request", { timeout: 30_000 }, async () => {
  const key = `reload-${Date.now()}`;
  const url = `/sse?scenario=${key}&count=3&end=hold`;
  const tab = await packagePage(browser, DEMO_URL);
  try {
    // Before the reload: a POST answer, its last id stored as each event arrives.
    const before = await tab.evaluate(async (url) => {
      const es = window.TES.post(url, "{}", { resume: () => ({ method: "GET" }) });
      const got = [];
      for await (const m of es) {
        got.push(m.seq);
        sessionStorage.setItem("last-id", es.lastEventId);
        if (got.length === 3) break;
      }
      return got;
    }, url);
    await tab.reload();
    const after = await tab.evaluate(async (url) => {
      const m = await import("/pkg/typed_eventsource.js");
      await m.default();
      const es = m.TypedEventSource.post(url, "{}", {
        lastEventId: sessionStorage.getItem("last-id") ?? undefined,
        resume: () => ({ method: "GET" }),
      });
      const got = [];
      for await (const e of es) {
        got.push(e.seq);
        if (got.length === 3) break;
      }
      return got;
    }, url);
    assert.deepEqual(before, [1, 2, 3]);
    assert.deepEqual(after, [4, 5, 6], "resumed after the stored id, nothing lost or repeated");
    const log = await requests(key);
    assert.deepEqual(log.map((q) => [q.method, q.resumed_after]), [["POST", null], ["GET", 3]]);
  } finally {
    await tab.close();
  }
});

test("isReplay drops the events a replaying server sends again; without it they arrive twice", { timeout: 30_000 }, async () => {
  const key = `replay-${Date.now()}`;
  const r = await page.evaluate(async (key) => {
    const run = async (name, options) => {
      const es = new window.TES(`/sse?scenario=${key}-${name}&total=9&count=3&end=drop&replay=2`, { transport: "fetch", backoff: { initialDelay: 20 }, ...options });
      const got = [];
      for await (const m of es) got.push(m.seq);
      return got;
    };
    return {
      skipped: await run("skip", { isReplay: (id, last) => Number(id) <= Number(last) }),
      kept: await run("keep", {}),
    };
  }, key);
  assert.deepEqual(r.skipped, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.ok(r.kept.length > 9, `replays delivered without the option: ${r.kept}`);
  assert.deepEqual((await requests(`${key}-skip`)).map((q) => q.resumed_after).slice(0, 3), [null, 3, 4]);
});

test("using and await using close the source when the scope ends", async () => {
  // As text: Node's own parser (this file's) does not know `using` yet; Chromium's does.
  const states = await page.evaluate(`(async () => {
    let a;
    let b;
    {
      using s = new window.TES("/sse?scenario=using-${Date.now()}&end=hold");
      a = s;
    }
    {
      await using s = new window.TES("/sse?scenario=await-using-${Date.now()}&end=hold", { transport: "fetch" });
      b = s;
    }
    return [a.readyState, b.readyState, typeof window.TES.prototype[Symbol.dispose]];
  })()`);
  assert.deepEqual(states, [2, 2, "function"]);
});
