// One connection for many subscribers in a page, through the npm class (`share: true`), over
// each transport, in headless Chromium against the real server, which counts the connections.
// tests/share.rs runs the same through the Rust client.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, packagePage } from "./chromium.mjs";

const DEMO_URL = process.env.DEMO_URL;

let browser, page;
before(async () => {
  browser = await launch();
  page = await packagePage(browser, DEMO_URL);
});
after(async () => browser?.close());

const log = async (key) => (await fetch(`${DEMO_URL}/log?scenario=${key}`)).json();
const until = async (what, check) => {
  for (let waited = 0; waited < 10_000; waited += 50) {
    const v = await check();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
};

for (const transport of ["eventsource", "fetch"]) {
  test(`sources that share one connection, each with its own event types; the last to leave closes it; the next resumes (${transport})`, async () => {
    const key = `share-js-${transport}-${Math.random()}`;
    await page.evaluate(({ key, transport }) => {
      const url = `/sse?scenario=${key}&event=a,b&interval_ms=30&total=400&end=hold`;
      const options = { transport, share: true, lastEventIdParam: "lastEventId", backoff: { initialDelay: 20, jitter: "none" } };
      window.seen = { a: [], b: [], states: [] };
      window.first = new window.TES(url, options);
      window.first.addEventListener("a", (e) => window.seen.a.push(Number(e.lastEventId)));
      window.open2 = () => {
        window.second = new window.TES(url, options);
        window.seen.secondState = window.second.readyState;
        window.second.addEventListener("b", (e) => window.seen.b.push(Number(e.lastEventId)));
      };
    }, { key, transport });
    await page.waitForFunction(() => window.seen.a.length >= 2);
    // Opened after events have flowed: open at once.
    await page.evaluate(() => window.open2());
    assert.equal(await page.evaluate(() => window.seen.secondState), 1, "OPEN at once");
    await page.waitForFunction(() => window.seen.b.length >= 2);
    let l = await log(key);
    assert.equal(l.requests, 1, JSON.stringify(l));
    const { a, b } = await page.evaluate(() => window.seen);
    assert.ok(a.every((id) => id % 2 === 1) && b.every((id) => id % 2 === 0), JSON.stringify({ a, b }));

    // The first leaves; the second goes on over the same connection.
    const na = await page.evaluate(() => { window.first.close(); return window.seen.a.length; });
    assert.equal(await page.evaluate(() => window.first.readyState), 2);
    const nb = await page.evaluate(() => window.seen.b.length);
    await page.waitForFunction((nb) => window.seen.b.length > nb + 2, nb);
    assert.equal(await page.evaluate(() => window.seen.a.length), na, "nothing after close()");
    assert.equal(await page.evaluate(() => window.second.readyState), 1);
    assert.equal((await log(key)).requests, 1);

    // The last leaves: the server sees the connection go.
    await page.evaluate(() => window.second.close());
    await until("the connection closed", async () => (await log(key)).open === 0);
    const last = Number(await page.evaluate(() => window.first.lastEventId));
    // The first comes back: one new connection, resuming after the last event received.
    await page.evaluate(() => window.first.reopen());
    await page.waitForFunction((na) => window.seen.a.length > na, na);
    l = await log(key);
    assert.equal(l.requests, 2, JSON.stringify(l));
    assert.equal(l.records[1].resumed_after, last);
    const again = await page.evaluate((na) => window.seen.a[na], na);
    assert.ok(again > last, `${again} after ${last}`);
    await page.evaluate(() => window.first.close());
  });
}

test("sources that differ in transport, headers or sharing have their own connections", async () => {
  const key = `share-js-differ-${Math.random()}`;
  await page.evaluate((key) => {
    const url = `/sse?scenario=${key}&interval_ms=50&end=hold`;
    window.differ = [
      new window.TES(url, { share: true }),
      new window.TES(url, { share: true }),
      new window.TES(url, { share: true, transport: "fetch" }),
      new window.TES(url, { share: true, transport: "fetch", headers: { "x-a": "1" } }),
      new window.TES(url),
    ];
  }, key);
  await until("four connections", async () => (await log(key)).open === 4);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal((await log(key)).requests, 4);
  await page.evaluate(() => window.differ.forEach((s) => s.close()));
  await until("none", async () => (await log(key)).open === 0);
});

test("share is refused with oneShot, as a TypeError naming it; share: \"yes\" too", async () => {
  const errors = await page.evaluate(() => {
    const attempt = (options) => {
      try {
        new window.TES("/sse", options).close();
        return "no error";
      } catch (e) {
        return `${e.constructor.name}: ${e.message}`;
      }
    };
    return [attempt({ share: true, transport: "fetch", oneShot: true }), attempt({ share: "yes" })];
  });
  assert.match(errors[0], /share/);
  assert.match(errors[1], /^TypeError: .*`share`/);
});

test("replayLatest: a source that joins late gets the latest event of each type it listens to, once", async () => {
  const key = `share-js-latest-${Math.random()}`;
  await page.evaluate(async (key) => {
    const url = `/sse?scenario=${key}&event=a,b&count=6&end=hold`;
    window.lfirst = new window.TES(url, { share: true });
    const got = [];
    window.lfirst.addEventListener("a", () => got.push(1));
    window.lfirst.addEventListener("b", () => got.push(1));
    await new Promise((resolve) => { const t = setInterval(() => { if (got.length === 6) { clearInterval(t); resolve(); } }, 20); });
  }, key);
  const seen = await page.evaluate(async (key) => {
    const url = `/sse?scenario=${key}&event=a,b&count=6&end=hold`;
    const seen = [];
    const late = new window.TES(url, { share: true, replayLatest: true });
    late.on("a", (v) => seen.push(`a${v.seq}`));
    late.addEventListener("b", (e) => seen.push(`b${e.lastEventId}`));
    const plain = new window.TES(url, { share: true });
    plain.addEventListener("a", () => seen.push("plain"));
    await new Promise((r) => setTimeout(r, 100));
    late.close();
    plain.close();
    window.lfirst.close();
    return seen;
  }, key);
  assert.deepEqual(seen, ["a5", "b6"]);
  assert.equal((await log(key)).requests, 1);
});
