// The scenario table (tests/scenarios/table.json) through the npm class, over each transport a
// row lists, in headless Chromium against the real server. tests/scenarios.rs runs the same
// table through the Rust client: a behaviour that differs between the surfaces fails a row.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { launch, packagePage } from "./chromium.mjs";

const DEMO_URL = process.env.DEMO_URL;
const { rows } = JSON.parse(readFileSync(new URL("../scenarios/table.json", import.meta.url), "utf8"));

let browser, page;
before(async () => {
  browser = await launch();
  page = await packagePage(browser, DEMO_URL);
});
after(async () => browser?.close());

/** Runs one row over one transport in the page; returns what it observed. */
const run = (row, transport, key) => page.evaluate(({ row, transport, key }) => new Promise((resolve) => {
  const o = row.options ?? {};
  const es = new window.TES(`/sse?scenario=${key}&${row.query}`, {
    transport,
    lastEventIdParam: o.no_param ? undefined : "lastEventId",
    idleTimeout: o.idle_timeout_ms,
    retry: o.retry_refused ? (e, retry) => e.kind === "refused" || retry : undefined,
    backoff: { initialDelay: o.initial_delay_ms ?? 20, maxDelay: Math.max(o.initial_delay_ms ?? 20, 40), jitter: "none", maxAttempts: o.max_attempts },
  });
  const seen = { events: [], errors: [], closed: null, firstDelay: null };
  let reopened = false;
  const finish = () => setTimeout(() => resolve(seen), 300);
  es.onmessage = (e) => {
    seen.events.push(e.lastEventId);
    if (e.lastEventId === row.reopen_at_event && !reopened) { reopened = true; es.close(); es.reopen(); }
    if (seen.events.length === row.stop_after_events) es.close();
  };
  es.onerror = (e) => { if (e instanceof ErrorEvent) seen.errors.push(e.error.kind); };
  es.onstatechange = (s) => {
    if (s.state === "reconnecting" && seen.firstDelay === null) seen.firstDelay = s.delay;
    if (s.state === row.close_when) es.close();
    if (s.state === "closed") { seen.closed = s.reason.kind; if (!reopened || seen.events.length >= (row.stop_after_events ?? 0)) finish(); }
  };
  setTimeout(() => { es.close(); resolve(seen); }, 10_000);
}), { row, transport, key });

for (const row of rows) {
  for (const transport of row.transports) {
    test(`${row.name} (npm class, ${transport})`, async () => {
      const key = `table-js-${transport}-${Math.random()}`;
      const seen = await run(row, transport, key);
      const want = { ...row.expect, ...(row.by_transport?.[transport] ?? {}) };
      assert.deepEqual(seen.events, want.events);
      assert.deepEqual(seen.errors, want.errors);
      assert.equal(seen.closed, want.closed);
      const log = await (await fetch(`${DEMO_URL}/log?scenario=${key}`)).json();
      assert.equal(log.requests, want.requests, JSON.stringify(log.records.map((r) => r.uri)));
      if (want.resumed_after) assert.deepEqual(log.records.map((r) => r.resumed_after), want.resumed_after);
      if (want.first_delay_at_least_ms) assert.ok(seen.firstDelay >= want.first_delay_at_least_ms, `${seen.firstDelay}`);
    });
  }
}
