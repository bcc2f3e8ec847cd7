// One connection for the tabs of a browser (`share: "tabs"`), through the npm class, in
// headless Chromium: several pages of one browser context against the real server, which
// counts the connections. The pages are served from `localhost` and the stream from
// `127.0.0.1`, so that the six connections per host of HTTP/1.1 bind the streams and not the
// pages' own loads.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, loadPackage, packagePage } from "./chromium.mjs";

const DEMO_URL = process.env.DEMO_URL;
const PAGES = DEMO_URL.replace("127.0.0.1", "localhost");
const PORT = new URL(DEMO_URL).port;

let browser;
before(async () => {
  // `insecure.test` is this server too, but not a secure context: no Web Locks there.
  browser = await launch(["--host-resolver-rules=MAP insecure.test 127.0.0.1"]);
});
after(async () => browser?.close());

const log = async (key) => (await fetch(`${DEMO_URL}/log?scenario=${key}`)).json();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const until = async (what, check, ms = 10_000) => {
  for (let waited = 0; waited < ms; waited += 25) {
    const v = await check();
    if (v) return v;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
};

/**
 * Gives a page with the package `window.open(url, options, types)`, which opens a source and
 * records the ids of the events of those types it receives.
 */
const recorder = (page) => page.evaluate(() => {
  window.open = (url, options, types = ["message"]) => {
    window.es = new window.TES(url, options);
    window.ids = [];
    window.errors = [];
    for (const t of types) window.es.addEventListener(t, (e) => window.ids.push(Number(e.lastEventId)));
    window.es.onerror = (e) => window.errors.push(e.error?.kind ?? "error");
  };
});

/** A tab of `context` at `base`, with the package and `window.open`. */
async function tab(context, base = PAGES) {
  const page = await packagePage(context, base);
  await recorder(page);
  return page;
}

/** `n` tabs of `context` at `base`, opened one after the other, each with a source to `url`. */
async function openTabs(context, n, url, options, base = PAGES) {
  const tabs = [];
  for (let i = 0; i < n; i++) {
    const page = await tab(context, base);
    await page.evaluate(({ url, options }) => window.open(url, options), { url, options });
    tabs.push(page);
  }
  return tabs;
}

/**
 * `n` tabs of a new browser context, each with a source to `url` with `options`, once each has
 * events: the tab that holds the connection, and the others.
 */
async function sharingTabs(n, url, options) {
  const context = await browser.newContext();
  const tabs = await openTabs(context, n, url, options);
  await until("events in every tab", async () => (await Promise.all(tabs.map(ids))).every((l) => l.length >= 5));
  const roles = await Promise.all(tabs.map(sharing));
  assert.equal(roles.filter((r) => r === "holder").length, 1, JSON.stringify(roles));
  const holder = tabs[roles.indexOf("holder")];
  return { context, holder, rest: tabs.filter((p) => p !== holder) };
}

const stream = (key, query = "interval_ms=40") => `${DEMO_URL}/sse?scenario=${key}&${query}&end=hold`;
const ids = (page) => page.evaluate(() => window.ids);
const sharing = (page) => page.evaluate(() => window.es.sharing);

/** Each id one more than the one before: nothing lost, nothing twice. */
function assertWhole(list, what) {
  const gaps = list.flatMap((id, i) => (i > 0 && id !== list[i - 1] + 1 ? [[list[i - 1], id]] : []));
  assert.deepEqual(gaps, [], `${what}: ${JSON.stringify(list)}`);
}

test("eight tabs over HTTP/1.1: each with its own connection, the seventh and eighth get nothing", async () => {
  const context = await browser.newContext();
  const key = `tabs-own-${Math.random()}`;
  const tabs = await openTabs(context, 8, stream(key), {});
  await until("six connections", async () => (await log(key)).open === 6);
  await sleep(1500);
  const counts = await Promise.all(tabs.map(async (p) => (await ids(p)).length));
  assert.ok(counts.slice(0, 6).every((n) => n > 0), JSON.stringify(counts));
  assert.deepEqual(counts.slice(6), [0, 0], JSON.stringify(counts));
  assert.deepEqual(await Promise.all(tabs.slice(6).map((p) => p.evaluate(() => window.es.readyState))), [0, 0]);
  assert.equal((await log(key)).open, 6);
  await context.close();
  await until("none", async () => (await log(key)).open === 0);
});

test("eight tabs sharing one connection: each gets every event once, in order; the server sees one connection", async () => {
  const context = await browser.newContext();
  const key = `tabs-eight-${Math.random()}`;
  const tabs = await openTabs(context, 8, stream(key), { share: "tabs", transport: "fetch" });
  await until("twenty events in the last tab", async () => (await ids(tabs[7])).length >= 20);
  const roles = await Promise.all(tabs.map(sharing));
  assert.deepEqual(roles.filter((r) => r === "holder").length, 1, JSON.stringify(roles));
  assert.deepEqual(roles.filter((r) => r === "follower").length, 7, JSON.stringify(roles));
  const l = await log(key);
  assert.equal(l.requests, 1, JSON.stringify(l));
  assert.equal(l.open, 1);
  const latest = Math.max(...(await ids(tabs[0])));
  for (const [i, page] of tabs.entries()) {
    const list = await ids(page);
    assertWhole(list, `tab ${i}`);
    assert.ok(list.at(-1) >= latest - 2, `tab ${i} is behind: ${list.at(-1)} of ${latest}`);
  }
  // The first tab, which opened the connection, has every event from the first.
  assert.equal((await ids(tabs[0]))[0], 1);
  await context.close();
  await until("none", async () => (await log(key)).open === 0);
});

for (const transport of ["fetch", "eventsource"]) {
  for (const how of ["close", "reload", "crash"]) {
    test(`the holding tab goes (${how}, ${transport}): another takes over within a second and resumes; no tab loses or repeats an event`, async () => {
      const key = `tabs-${how}-${transport}-${Math.random()}`;
      // The browser's EventSource sends Last-Event-ID on its own reconnections only: a new
      // connection resumes through the query.
      const options = { share: "tabs", transport, lastEventIdParam: "lastEventId" };
      const url = stream(key, "interval_ms=25");
      const { context, holder, rest } = await sharingTabs(4, url, options);
      const before = await Promise.all(rest.map(async (p) => (await ids(p)).length));
      const start = Date.now();
      if (how === "close") {
        await holder.close();
      } else if (how === "reload") {
        await holder.reload();
      } else {
        // Gone without unload handlers, as a crash goes.
        const crashed = new Promise((resolve) => holder.once("crash", resolve));
        const cdp = await context.newCDPSession(holder);
        cdp.send("Page.crash").catch(() => {});
        await crashed;
      }
      const next = await until("a new holder", async () => {
        const r = await Promise.all(rest.map(sharing));
        return r.includes("holder") && rest[r.indexOf("holder")];
      });
      const took = Date.now() - start;
      assert.ok(took < 1000, `a new holder after ${took} ms`);
      await until("more events in every tab", async () =>
        (await Promise.all(rest.map(ids))).every((l, i) => l.length >= before[i] + 15));
      const l = await log(key);
      assert.equal(l.requests, 2, JSON.stringify(l.records.map((r) => r.resumed_after)));
      assert.equal(l.open, 1);
      const resumed = l.records[1].resumed_after;
      assert.ok(resumed > 0, `resumed after ${resumed}`);
      for (const [i, page] of rest.entries()) {
        const list = await ids(page);
        assertWhole(list, `tab ${i}${page === next ? " (the new holder)" : ""}`);
        assert.ok(list.includes(resumed) && list.includes(resumed + 1), `tab ${i} crosses ${resumed}: ${JSON.stringify(list)}`);
      }
      if (how === "reload") {
        // The reloaded tab follows the new holder.
        await loadPackage(holder);
        await recorder(holder);
        await holder.evaluate(({ url, options }) => window.open(url, options), { url, options });
        await until("events in the reloaded tab", async () => (await ids(holder)).length >= 5);
        assert.equal(await sharing(holder), "follower");
        assertWhole(await ids(holder), "the reloaded tab");
        assert.equal((await log(key)).requests, 2);
      }
      await context.close();
      await until("none", async () => (await log(key)).open === 0);
    });
  }
}

for (const [leave, back] of [["freeze", "resume"], ["pagehide", "pageshow"]]) {
  test(`the holding tab is ${leave === "freeze" ? "frozen" : "put in the back-forward cache"} (${leave}, then ${back}): another takes over; back, it follows, with no event twice`, async () => {
    // Chromium's own freezing (CDP Page.setWebLifecycleState) fires no event on a visible
    // headless page, so the page's lifecycle events are dispatched as the browser would.
    const key = `tabs-${leave}-${Math.random()}`;
    const { context, holder, rest } = await sharingTabs(3, stream(key, "interval_ms=25"), { share: "tabs", transport: "fetch" });
    const fire = (type) => holder.evaluate((type) => {
      const event = type.startsWith("page") ? new PageTransitionEvent(type, { persisted: true }) : new Event(type);
      (type.startsWith("page") ? window : document).dispatchEvent(event);
    }, type);
    await fire(leave);
    await until("a new holder", async () => (await Promise.all(rest.map(sharing))).includes("holder"), 1000);
    const n = (await ids(holder)).length;
    await until("more events in the others", async () => (await Promise.all(rest.map(ids))).every((l) => l.length >= n + 10));
    assert.equal((await ids(holder)).length, n, "nothing reaches a frozen tab");
    await fire(back);
    await until("events again in the tab that came back", async () => (await ids(holder)).length >= n + 5);
    assert.equal(await sharing(holder), "follower");
    const list = await ids(holder);
    assert.deepEqual(list.filter((id, i) => i > 0 && id <= list[i - 1]), [], `in order, none twice: ${list}`);
    for (const page of rest) assertWhole(await ids(page), "a tab that stayed");
    const l = await log(key);
    assert.equal(l.requests, 2, JSON.stringify(l.records.map((r) => r.resumed_after)));
    assert.equal(l.open, 1);
    await context.close();
    await until("none", async () => (await log(key)).open === 0);
  });
}

test("tabs with different event types: the holder relays the followers' types; the last to close closes the connection", async () => {
  const context = await browser.newContext();
  const key = `tabs-types-${Math.random()}`;
  const url = stream(key, "event=a,b&interval_ms=30");
  const options = { share: "tabs", transport: "fetch" };
  const a = await tab(context);
  await a.evaluate(({ url, options }) => window.open(url, options, ["a"]), { url, options });
  await until("a holds", async () => (await sharing(a)) === "holder");
  const b = await tab(context);
  await b.evaluate(({ url, options }) => window.open(url, options, ["b"]), { url, options });
  await until("b events in the follower", async () => (await ids(b)).length >= 5);
  assert.equal(await sharing(b), "follower");
  assert.ok((await ids(a)).every((id) => id % 2 === 1), "a only");
  const bIds = await ids(b);
  assert.ok(bIds.every((id) => id % 2 === 0), `b only: ${bIds}`);
  assert.equal((await log(key)).requests, 1);

  // The holder closes its source: the follower takes over, and still gets its type.
  await a.evaluate(() => window.es.close());
  await until("b holds", async () => (await sharing(b)) === "holder");
  const n = (await ids(b)).length;
  await until("more b events", async () => (await ids(b)).length >= n + 5);
  const list = await ids(b);
  assert.deepEqual(list.filter((id, i) => i > 0 && id !== list[i - 1] + 2), [], `every b once: ${list}`);
  let l = await log(key);
  assert.equal(l.requests, 2);
  assert.equal(l.open, 1);

  // The last closes: the server sees the connection go, and none opens.
  await b.evaluate(() => window.es.close());
  await until("the connection closed", async () => (await log(key)).open === 0);
  await sleep(300);
  l = await log(key);
  assert.equal(l.requests, 2, JSON.stringify(l.records.map((r) => r.n)));
  await context.close();
});

test("sharing across tabs where the browser cannot (not a secure context): each tab has its own connection, and says so", async () => {
  const context = await browser.newContext();
  const key = `tabs-fallback-${Math.random()}`;
  const tabs = await openTabs(context, 2, stream(key), { share: "tabs" }, `http://insecure.test:${PORT}`);
  assert.deepEqual(await Promise.all(tabs.map((p) => p.evaluate(() => window.isSecureContext))), [false, false]);
  await until("events in both", async () => (await Promise.all(tabs.map(ids))).every((l) => l.length >= 3));
  assert.deepEqual(await Promise.all(tabs.map(sharing)), ["unavailable", "unavailable"]);
  for (const page of tabs) assertWhole(await ids(page), "a tab");
  assert.equal((await log(key)).open, 2);
  await context.close();
  await until("none", async () => (await log(key)).open === 0);
});
