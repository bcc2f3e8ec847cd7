// The Vite app built from the bundler package: typed events arrive in headless Chromium.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const VITE_URL = process.env.VITE_URL;
const DEMO_URL = process.env.DEMO_URL;
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const ARGS = [
  "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--no-first-run", "--disable-quic",
];

test("the Vite app receives typed events through the bundler package", { timeout: 60_000 }, async () => {
  assert.ok(VITE_URL && DEMO_URL, "VITE_URL and DEMO_URL are set by `cargo xtask test`");
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
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
