// The scenario table (tests/scenarios/table.json, copied beside this file by `cargo xtask test`)
// through the npm class on the installed package's test kit, in Node with no browser and no
// server: each fetch row's `script` plays the row's fault, and the class must see what the same
// row sees against the real server (tests/e2e/scenarios.test.mjs) and what the Rust client sees
// on the kit (tests/scenarios.rs). Also the kit's own promises to a JavaScript test: its
// failures are thrown errors, not a stopped module.
import { afterEach, expect, test, vi } from "vitest";
import { Script, TypedEventSource, type TypedEventSourceError } from "typed-eventsource/testing";
import table from "./table.json";

interface Row {
  name: string;
  query: string;
  script?: string;
  transports: string[];
  stop_after_events?: number;
  reopen_at_event?: string;
  close_when?: string;
  options?: { no_param?: boolean; idle_timeout_ms?: number; retry_refused?: boolean; initial_delay_ms?: number; max_attempts?: number };
  expect: { events: string[]; errors: string[]; closed: string | null; requests: number; resumed_after?: (number | null)[]; first_delay_at_least_ms?: number };
  by_transport?: Record<string, { errors?: string[] }>;
}

let open: TypedEventSource[] = [];
afterEach(() => {
  for (const es of open) es.close();
  open = [];
});

/** The row's source, with the options and handlers every surface gives it; what it saw. */
function source(row: Row) {
  const o = row.options ?? {};
  const es = new TypedEventSource(`/sse?${row.query}`, {
    transport: "fetch",
    lastEventIdParam: o.no_param ? undefined : "lastEventId",
    idleTimeout: o.idle_timeout_ms,
    retry: o.retry_refused ? (e: TypedEventSourceError, retry: boolean) => e.kind === "refused" || retry : undefined,
    backoff: { initialDelay: o.initial_delay_ms ?? 20, maxDelay: Math.max(o.initial_delay_ms ?? 20, 40), jitter: "none", maxAttempts: o.max_attempts },
  });
  open.push(es);
  const seen = { events: [] as string[], errors: [] as string[], closed: null as string | null, firstDelay: null as number | null, done: false };
  let reopened = false;
  es.onmessage = (e) => {
    seen.events.push(e.lastEventId);
    if (e.lastEventId === row.reopen_at_event && !reopened) {
      reopened = true;
      es.close();
      es.reopen();
    }
    if (seen.events.length === row.stop_after_events) es.close();
  };
  es.onerror = (e) => {
    if (e instanceof ErrorEvent) seen.errors.push(e.error.kind);
  };
  es.onstatechange = (s) => {
    if (s.state === "reconnecting" && seen.firstDelay === null) seen.firstDelay = s.delay;
    if (s.state === row.close_when) es.close();
    if (s.state === "closed") {
      seen.closed = s.reason.kind;
      if (!reopened || seen.events.length >= (row.stop_after_events ?? 0)) seen.done = true;
    }
  };
  return seen;
}

const rows = (table.rows as Row[]).filter((r) => r.transports.includes("fetch"));

test("the table has fetch rows to play", () => {
  expect(rows.length).toBeGreaterThanOrEqual(10);
});

for (const row of rows) {
  test(`${row.name} (npm class, test kit)`, () => {
    expect(row.script, "a fetch row needs a script").toBeTruthy();
    const script = Script.install();
    const seen = source(row);
    script.play(row.script!);
    expect(seen.done, "the script brought the stream to its end").toBe(true);
    const want = { ...row.expect, ...(row.by_transport?.fetch ?? {}) };
    expect(seen.events).toEqual(want.events);
    expect(seen.errors).toEqual(want.errors);
    expect(seen.closed).toBe(want.closed);
    const attempts = script.attempts;
    expect(attempts.length).toBe(want.requests);
    if (want.resumed_after) expect(attempts.map((a) => (a.lastEventId === null ? null : Number(a.lastEventId)))).toEqual(want.resumed_after);
    if (want.first_delay_at_least_ms) expect(seen.firstDelay).toBeGreaterThanOrEqual(want.first_delay_at_least_ms);
    script.uninstall();
  });
}

test("the issue's own script reads as the fault it plays, and the events arrive once, in order", () => {
  const script = Script.install();
  const es = new TypedEventSource("/prices", { transport: "fetch" });
  open.push(es);
  const ids: string[] = [];
  es.onmessage = (e) => ids.push(e.lastEventId);
  script.play("open, 3 events, drop, 503 retry-after 2, 503 retry-after 2, resume from 3, open, 1 event");
  expect(ids).toEqual(["1", "2", "3", "4"]);
  const attempts = script.attempts;
  expect(attempts.map((a) => a.lastEventId)).toEqual([null, "3", "3", "3"]);
  // The second 503's Retry-After: 2 s on the script's clock, and no real time.
  expect(attempts[3].at - attempts[2].at).toBeGreaterThanOrEqual(2_000);
  expect(es.readyState).toBe(TypedEventSource.OPEN);
});

test("a request's method, body and headers are recorded, and data split in chunks arrives whole", () => {
  const script = Script.install();
  const es = TypedEventSource.post("/answer", '{"q":"why"}', { headers: { "x-app": "kit" } });
  open.push(es);
  const got: string[] = [];
  es.addEventListener("token", (e) => got.push((e as MessageEvent).data));
  script.open().send("event: tok").send("en\ndata: hel").send("lo\n\n").event("token", null, "a\nb").end();
  expect(got).toEqual(["hello", "a\nb"]);
  const [a] = script.attempts;
  expect([a.method, a.body]).toEqual(["POST", '{"q":"why"}']);
  expect(a.headers).toContainEqual(["x-app", "kit"]);
  expect(es.state).toMatchObject({ state: "closed", reason: { kind: "completed" } });
});

test("a step that cannot happen throws, and the module goes on", () => {
  const script = Script.install();
  expect(() => script.send("data: x\n\n")).toThrow(/no connection is waiting or open|not been answered/);
  expect(() => script.play("teleport")).toThrow(/unknown step `teleport`/);
  const es = new TypedEventSource("/x", { transport: "fetch" });
  open.push(es);
  expect(() => script.send("data: x\n\n")).toThrow(/not been answered/);
  expect(() => script.play("open, drop, resume from 7")).toThrow(/resume from 7/);
  script.uninstall();
  expect(() => new TypedEventSource("/y")).toThrow(/no Script is installed/);
  // Still working after all that.
  const again = Script.install();
  const es2 = new TypedEventSource("/z");
  open.push(es2);
  const data: string[] = [];
  es2.onmessage = (e) => data.push(e.data);
  again.play("open, 2 events together");
  expect(data).toEqual(["1", "2"]);
});

test("fake timers change nothing: the script's clock is its own", () => {
  vi.useFakeTimers();
  try {
    const script = Script.install();
    const es = new TypedEventSource("/feed", { transport: "fetch", backoff: { initialDelay: 30_000, jitter: "none" } });
    open.push(es);
    const ids: string[] = [];
    es.onmessage = (e) => ids.push(e.lastEventId);
    script.play("open, 2 events, drop");
    // Neither the runner's clock nor its timers move the back-off's 30 s.
    vi.advanceTimersByTime(60_000);
    expect(script.attempts.length).toBe(1);
    expect(es.state).toMatchObject({ state: "reconnecting", delay: 30_000 });
    script.advance(29_999);
    expect(script.attempts.length).toBe(1);
    script.advance(1);
    expect(script.attempts.map((a) => [a.lastEventId, a.at])).toEqual([[null, 0], ["2", 30_000]]);
    script.play("open, 1 event");
    expect(ids).toEqual(["1", "2", "3"]);
  } finally {
    vi.useRealTimers();
  }
});

test("what the class itself fails to do is reported, not lost (here: no ErrorEvent to fire)", () => {
  const script = Script.install();
  const es = new TypedEventSource("/feed", { transport: "fetch" });
  open.push(es);
  const saved = globalThis.ErrorEvent;
  const reported = vi.spyOn(console, "error").mockImplementation(() => {});
  try {
    delete (globalThis as { ErrorEvent?: unknown }).ErrorEvent;
    script.open().drop();
    expect(reported).toHaveBeenCalledWith(expect.any(ReferenceError));
  } finally {
    globalThis.ErrorEvent = saved;
    reported.mockRestore();
  }
  // The stream went on: it reconnects.
  expect(script.nextAttempt().url).toBe("http://localhost/feed");
});
