// The demo page in headless Chromium (Playwright driving Debian's Chromium): events arrive live
// through the npm facade into four typed panels, and the controls that break the server are
// each recovered from without losing or repeating an event.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { launch } from "./chromium.mjs";

const DEMO_URL = process.env.DEMO_URL;
const SCREENSHOT = process.env.SCREENSHOT;


let browser, page;
const pageErrors = [];

before(async () => {
  assert.ok(DEMO_URL, "DEMO_URL is set by `cargo xtask test`");
  browser = await launch();
  // A context of its own (not the page's), so that a tab the page opens outlives it.
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  page = await context.newPage();
  page.on("pageerror", (e) => pageErrors.push(e.message));
  await page.goto(`${DEMO_URL}/`);
  await page.waitForSelector("#state[data-state=open]", { timeout: 15_000 });
});

after(async () => {
  await browser?.close();
});

const counts = () => page.evaluate(() => window.demo.counts());
const timeline = () => page.$$eval("#timeline li", (lis) => lis.map((li) => ({ kind: li.dataset.kind, text: li.textContent })));

async function receivedMoreThan(n, timeout = 15_000) {
  await page.waitForFunction((n) => window.demo.counts().received > n, n, { timeout });
}

test("the four panels fill with typed events, inserted as text", async () => {
  await receivedMoreThan(12);
  for (const sel of ["#news li", "#chat li", "#prices tr"]) {
    assert.ok((await page.$$(sel)).length > 0, sel);
  }
  assert.match(await page.textContent("#cpu"), /^\d+%$/);
  assert.match(await page.textContent("#prices tr td:nth-child(2)"), /^\d+\.\d\d$/);
  // The server's chat includes markup; it must show as text.
  await page.waitForFunction(() => [...document.querySelectorAll("#chat li")].some((li) => li.textContent.includes("<b>")), null, { timeout: 15_000 });
  assert.equal(await page.$$eval("#chat b", (b) => b.length), 0, "no element made from event text");
});

test("a dropped stream reconnects and resumes with nothing lost or repeated", async () => {
  const { received } = await counts();
  await page.click("#drop");
  await page.waitForFunction(() => [...document.querySelectorAll("#timeline li")].some((li) => li.dataset.kind === "reconnecting"), null, { timeout: 10_000 });
  await page.waitForSelector("#state[data-state=open]", { timeout: 10_000 });
  await receivedMoreThan(received + 8);
  const c = await counts();
  assert.equal(c.lost, 0, JSON.stringify(c));
  assert.equal(c.repeated, 0, JSON.stringify(c));
});

test("a server answering 500 is retried with growing delays until it recovers", async () => {
  const { received } = await counts();
  const before = (await timeline()).length;
  await page.click("#fail");
  await page.waitForFunction((n) => document.querySelectorAll("#timeline li").length > n, before, { timeout: 5_000 });
  await receivedMoreThan(received + 8, 20_000);
  const entries = (await timeline()).slice(0, (await timeline()).length - before).reverse();
  const errors = entries.filter((e) => e.kind === "error" && e.text.includes("http-status"));
  assert.ok(errors.length >= 2, JSON.stringify(entries, null, 1));
  const delays = entries.filter((e) => e.kind === "reconnecting").map((e) => Number(/in (\d+) ms/.exec(e.text)[1]));
  assert.ok(delays.length >= 3, JSON.stringify(entries, null, 1));
  // Equal jitter keeps at least half of each doubling delay: later delays outgrow the first.
  assert.ok(Math.max(...delays.slice(2)) > delays[0], JSON.stringify(delays));
  const c = await counts();
  assert.deepEqual([c.lost, c.repeated], [0, 0], JSON.stringify(c));
});

test("a stalled stream is caught by the idle watchdog and replaced", async () => {
  const { received } = await counts();
  await page.click("#stall");
  await page.waitForFunction(() => [...document.querySelectorAll("#timeline li")].some((li) => li.textContent.includes("idle-timeout")), null, { timeout: 10_000 });
  await receivedMoreThan(received + 8, 20_000);
  const c = await counts();
  assert.deepEqual([c.lost, c.repeated], [0, 0], JSON.stringify(c));
  if (SCREENSHOT) {
    mkdirSync(SCREENSHOT.replace(/\/[^/]*$/, ""), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  }
  assert.deepEqual(pageErrors, []);
});

test("a model's answer streams over one POST to its end, and a break halfway resumes after the last word", { timeout: 40_000 }, async () => {
  const full = "Server-Sent Events stream an answer word by word over one HTTP response. When the connection breaks, the client resumes after the last event id, so no word is lost or repeated.";
  const ask = async (breakAfter) => {
    await page.click("#ask");
    if (breakAfter) {
      await page.waitForFunction((n) => document.querySelector("#answer").textContent.trim().split(" ").length >= n, breakAfter, { timeout: 15_000 });
      await page.click("#break-answer");
    }
    await page.waitForFunction(() => document.querySelector("#answer-state").textContent === "completed", null, { timeout: 20_000 });
    const key = await page.evaluate(() => window.demo.answerKey());
    const log = await (await fetch(`${DEMO_URL}/log?scenario=${key}`)).json();
    return { text: (await page.textContent("#answer")).trim(), methods: log.records.map((r) => r.method) };
  };
  assert.deepEqual(await ask(0), { text: full, methods: ["POST"] });
  // Broken halfway: resumed (the same POST, with Last-Event-ID), every word once.
  assert.deepEqual(await ask(8), { text: full, methods: ["POST", "POST"] });
  assert.equal(await page.textContent("#answer-requests"), "2");
});

test("another tab shares the connection; when this one closes, that one takes it over with nothing lost or repeated", async () => {
  await page.waitForSelector("#sharing[data-sharing=holder]", { timeout: 5_000 });
  const [other] = await Promise.all([page.context().waitForEvent("page"), page.click("#another-tab")]);
  other.on("pageerror", (e) => pageErrors.push(e.message));
  await other.waitForSelector("#sharing[data-sharing=follower]", { timeout: 10_000 });
  await other.waitForFunction(() => window.demo.counts().received > 8, null, { timeout: 15_000 });
  assert.equal(await other.evaluate(() => window.demo.scenario), await page.evaluate(() => window.demo.scenario));
  await other.waitForFunction(() => document.querySelector("#server-connections").textContent === "1", null, { timeout: 5_000 });
  await page.close();
  await other.waitForSelector("#sharing[data-sharing=holder]", { timeout: 5_000 });
  const { received } = await other.evaluate(() => window.demo.counts());
  await other.waitForFunction((n) => window.demo.counts().received > n + 8, received, { timeout: 15_000 });
  const c = await other.evaluate(() => window.demo.counts());
  assert.equal(c.lost, 0, JSON.stringify(c));
  assert.equal(c.repeated, 0, JSON.stringify(c));
  await other.waitForFunction(() => document.querySelector("#server-connections").textContent === "1", null, { timeout: 5_000 });
  assert.deepEqual(pageErrors, []);
});
