// `typed-eventsource/react` from the installed package (target/npm-apps, see npm-apps.test.mjs):
// the React example (examples/react-ticker) under StrictMode in headless Chromium opens one
// connection however often it renders, keeps the latest value, closes and reopens, reconnects
// once on a new URL, and closes on unmount (the server counts the connections); two components
// of one stream share its connection; rendered on the server, the hook loads nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { createElement as h } from "react";
import { renderToString } from "react-dom/server";
import { launch } from "./chromium.mjs";

const APPS_URL = process.env.NPM_APPS_URL;
const DEMO_URL = process.env.DEMO_URL;
const hook = fileURLToPath(new URL("../../target/npm-apps/node_modules/typed-eventsource/react.js", import.meta.url));

const log = async (key) => (await fetch(`${DEMO_URL}/log?scenario=${key}`)).json();
const until = async (what, f) => {
  for (let i = 0; i < 100; i += 1) {
    const v = await f();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
};

test("the React hook: one connection under StrictMode and re-renders, close, reopen, unmount", { timeout: 60_000 }, async () => {
  assert.ok(APPS_URL && DEMO_URL, "NPM_APPS_URL and DEMO_URL are set by `cargo xtask test`");
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const key = `react-${Date.now()}`;
    const sse = `${DEMO_URL}/sse?scenario=${key}&event=price&count=6&end=hold`;
    await page.goto(`${APPS_URL}/react/dist/index.html?sse=${encodeURIComponent(sse)}`);
    // Every event re-rendered the ticker with new inline options; the latest value shows.
    await page.waitForFunction(() => document.querySelector("#price")?.textContent === "6: event 6", null, { timeout: 15_000 });
    assert.equal(await page.textContent("#state"), "open");
    for (let i = 0; i < 3; i += 1) await page.click("#rerender");
    await new Promise((r) => setTimeout(r, 300));
    let l = await log(key);
    assert.equal(l.requests, 1, `one connection despite StrictMode and re-renders: ${JSON.stringify(l)}`);
    assert.equal(l.open, 1);

    await page.click("#close");
    await page.waitForFunction(() => document.querySelector("#state")?.textContent === "closed");
    await until("the server to see the stream closed", async () => (await log(key)).open === 0);

    await page.click("#reopen");
    await page.waitForFunction(() => document.querySelector("#state")?.textContent === "open");
    l = await log(key);
    assert.equal(l.requests, 2, JSON.stringify(l));
    assert.equal(l.records[1].resumed_after, 6, "the reopened stream resumes after the last event");

    assert.equal(await page.textContent("#error"), "", "closing is not an error");

    // A new URL: the old stream ends, the new one is opened once, and its values replace the old.
    const gone = async (k) => {
      const l = await until(`the server to see the client of ${k} go`, async () => {
        const l = await log(k);
        return l.open === 0 && l;
      });
      assert.equal(l.records.at(-1).end, "client_closed");
      return l;
    };
    await page.click("#switch");
    await gone(key);
    const switched = `switched-${key}`;
    await page.waitForFunction(() => document.querySelector("#price")?.textContent === "6: event 6", null, { timeout: 15_000 });
    assert.equal((await log(switched)).requests, 1, "one connection to the new URL");
    assert.equal((await log(key)).requests, 2, "none more to the old one");

    await page.click("#unmount");
    l = await gone(switched);
    assert.equal(l.requests, 1, "unmounting opens nothing");
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test("the React hook: two components of one stream share its connection, and each unmounts on its own", { timeout: 60_000 }, async () => {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const key = `react-share-${Date.now()}`;
    const sse = `${DEMO_URL}/sse?scenario=${key}&event=price,volume&interval_ms=40&total=3000&end=hold`;
    await page.goto(`${APPS_URL}/react/dist/index.html?sse=${encodeURIComponent(sse)}`);
    await page.waitForFunction(() => document.querySelector("#price")?.textContent !== "", null, { timeout: 15_000 });
    // A component mounted later, for another event type of the same stream.
    await page.click("#show-volume");
    await page.waitForFunction(() => document.querySelector("#volume")?.textContent !== "", null, { timeout: 15_000 });
    assert.equal(await page.textContent("#volume-state"), "open");
    let l = await log(key);
    assert.deepEqual([l.requests, l.open], [1, 1], `one connection for both: ${JSON.stringify(l)}`);
    const volume = async () => Number(await page.textContent("#volume"));
    assert.equal((await volume()) % 2, 0, "volume events are the even ids");

    // The ticker unmounts: the volume panel goes on over the same connection.
    await page.click("#unmount");
    const before = await volume();
    await page.waitForFunction((n) => Number(document.querySelector("#volume")?.textContent) > n + 4, before, { timeout: 15_000 });
    l = await log(key);
    assert.deepEqual([l.requests, l.open], [1, 1], JSON.stringify(l));

    // The last one unmounts: the connection goes.
    await page.click("#hide-volume");
    l = await until("the server to see the client go", async () => {
      const l = await log(key);
      return l.open === 0 && l;
    });
    assert.equal(l.requests, 1);
    assert.equal(l.records[0].end, "client_closed");
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test("the React hook renders on the server without loading the package or touching the network", async () => {
  const { useEventSource } = await import(hook);
  const fetches = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = (...args) => {
    fetches.push(String(args[0]));
    return realFetch(...args);
  };
  try {
    function Ticker() {
      const { state, data, error } = useEventSource("/sse", { events: ["price"], retry: () => true });
      return h("p", null, `${state.state} ${JSON.stringify(data)} ${error}`);
    }
    assert.equal(renderToString(h(Ticker)), "<p>connecting {} null</p>");
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(fetches, []);
  } finally {
    globalThis.fetch = realFetch;
  }
});
