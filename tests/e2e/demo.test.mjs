// The demo page in headless Chromium (Playwright driving Debian's Chromium): events from the
// server arrive live through the library and are shown as text.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const DEMO_URL = process.env.DEMO_URL;
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

const ARGS = [
  "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--no-first-run", "--disable-quic",
];

test("the demo shows live events from the server", { timeout: 60_000 }, async () => {
  assert.ok(DEMO_URL, "DEMO_URL is set by `cargo xtask test`");
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${DEMO_URL}/`);
    await page.waitForSelector("body[data-state=open]", { timeout: 15_000 });
    // Events keep arriving: wait for several, then for more than that.
    await page.waitForFunction(() => document.querySelectorAll("#events li").length >= 3,
      null, { timeout: 15_000 });
    const first = await page.$$eval("#events li", (lis) => lis.length);
    await page.waitForFunction((n) => document.querySelectorAll("#events li").length > n,
      first, { timeout: 15_000 });
    const items = await page.$$eval("#events li", (lis) =>
      lis.map((li) => ({ type: li.dataset.type, seq: Number(li.dataset.seq), text: li.textContent })));
    // Newest first, in order, each of the four types through its own handler.
    const seqs = items.map((i) => i.seq).reverse();
    assert.deepEqual(seqs, seqs.map((_, k) => seqs[0] + k), "no event lost or repeated");
    for (const item of items) {
      assert.match(item.text, new RegExp(`^#${item.seq} ${item.type}: event ${item.seq}$`));
    }
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
