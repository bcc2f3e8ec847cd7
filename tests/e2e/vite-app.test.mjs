// The Vite app built from the bundler package: typed events arrive in headless Chromium.
import { test } from "node:test";
import assert from "node:assert/strict";
import { launch } from "./chromium.mjs";

const VITE_URL = process.env.VITE_URL;
const DEMO_URL = process.env.DEMO_URL;

test("the Vite app receives typed events through the bundler package", { timeout: 60_000 }, async () => {
  assert.ok(VITE_URL && DEMO_URL, "VITE_URL and DEMO_URL are set by `cargo xtask test`");
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const key = `vite-${Date.now()}`;
    // The app is served by one server; the stream comes from the other origin (CORS).
    const sse = `${DEMO_URL}/sse?scenario=${key}&event=price&count=4&end=hold`;
    await page.goto(`${VITE_URL}/?sse=${encodeURIComponent(sse)}`);
    await page.waitForFunction(() => document.querySelectorAll("#prices li").length >= 4, null, { timeout: 15_000 });
    const items = await page.$$eval("#prices li", (lis) => lis.map((li) => li.textContent));
    assert.deepEqual(items, ["1: event 1", "2: event 2", "3: event 3", "4: event 4"]);
    assert.equal(await page.textContent("#state"), "open");
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
