// The Yew and Leptos example apps in headless Chromium: events render through the hooks, a
// server drop is recovered, a new URL reconnects once, and unmounting the component closes
// its connection (the server sees the client go).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch } from "./chromium.mjs";

const EXAMPLES_URL = process.env.EXAMPLES_URL;

let browser;
before(async () => {
  assert.ok(EXAMPLES_URL, "EXAMPLES_URL is set by `cargo xtask test`");
  browser = await launch();
});
after(async () => browser?.close());

const log = async (key) => (await fetch(`${EXAMPLES_URL}/log?scenario=${key}`)).json();
const control = (key, action) => fetch(`${EXAMPLES_URL}/control?scenario=${key}&action=${action}`, { method: "POST" });
const seq = (page) => page.$eval("#seq", (e) => Number(e.textContent));

for (const app of ["yew-dashboard", "leptos-dashboard"]) {
  test(`${app}: renders events, recovers from a drop, reconnects once on a new URL, closes on unmount`, { timeout: 60_000 }, async () => {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const key = `${app}-${Date.now()}`;
    await page.goto(`${EXAMPLES_URL}/${app}/?scenario=${key}`);
    await page.waitForSelector("#state:text('open')", { timeout: 15_000 });
    await page.waitForFunction(() => Number(document.querySelector("#seq")?.textContent) >= 4, null, { timeout: 15_000 });
    assert.match(await page.textContent("li[data-type=news]"), /^news: event \d+$/);
    assert.match(await page.textContent("li[data-type=price]"), /^price: event \d+$/);

    // The server breaks the stream: the hook reconnects and resumes where it was.
    const before = await seq(page);
    await control(key, "drop");
    await page.waitForFunction((n) => Number(document.querySelector("#seq")?.textContent) > n + 5, before, { timeout: 15_000 });
    let l = await log(key);
    assert.ok(l.requests >= 2, JSON.stringify(l));
    assert.ok(l.records[1].resumed_after >= before, JSON.stringify(l.records[1]));

    // A new URL: the old stream ends and the new one is opened once.
    const closed = async (k) => {
      let l;
      for (let i = 0; i < 50; i += 1) {
        l = await log(k);
        if (l.open === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(l.open, 0, JSON.stringify(l));
      assert.equal(l.records.at(-1).end, "client_closed");
      return l.requests;
    };
    const switched = `${key}-switched`;
    const oldRequests = (await log(key)).requests;
    await page.click("#switch");
    await closed(key);
    await page.waitForFunction(() => document.querySelector("#state")?.textContent === "open", null, { timeout: 15_000 });
    await new Promise((r) => setTimeout(r, 700));
    l = await log(switched);
    assert.equal(l.requests, 1, `one connection to the new URL: ${JSON.stringify(l)}`);
    assert.equal(l.open, 1, JSON.stringify(l));
    assert.equal((await log(key)).requests, oldRequests, "nothing more to the old URL");

    // Unmount: the component's stream ends, seen by the server.
    await page.click("#toggle");
    await page.waitForSelector("#unmounted");
    const requests = await closed(switched);
    await new Promise((r) => setTimeout(r, 700));
    assert.equal((await log(switched)).requests, requests, "no reconnection after unmount");
    assert.deepEqual(errors, []);
    await page.close();
  });
}
