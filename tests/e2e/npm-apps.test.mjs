// The npm package as a user installs it (`npm pack`, then `npm install` of the tarball into
// target/npm-apps): the same app built by Vite, webpack 5 and esbuild, and loaded by a page with no
// bundler receives its typed events in headless Chromium.
import { test } from "node:test";
import assert from "node:assert/strict";
import { launch } from "./chromium.mjs";

const APPS_URL = process.env.NPM_APPS_URL;
const DEMO_URL = process.env.DEMO_URL;

for (const [setup, page] of [
  ["Vite", "vite/dist/index.html"],
  ["webpack", "webpack/index.html"],
  ["esbuild", "esbuild/index.html"],
  ["no bundler", "plain/index.html"],
]) {
  test(`the installed package works in an app built with ${setup}`, { timeout: 60_000 }, async () => {
    assert.ok(APPS_URL && DEMO_URL, "NPM_APPS_URL and DEMO_URL are set by `cargo xtask test`");
    const browser = await launch();
    try {
      const tab = await browser.newPage();
      const errors = [];
      tab.on("pageerror", (e) => errors.push(e.message));
      // Every file the app asks for is there (the browser asks for a favicon by itself).
      tab.on("response", (r) => r.status() >= 400 && !r.url().endsWith("/favicon.ico") && errors.push(`${r.status()} ${r.url()}`));
      const key = `npm-${setup.replace(/ /g, "-")}-${Date.now()}`;
      // The app is served by one server; the stream comes from the other origin (CORS).
      const sse = `${DEMO_URL}/sse?scenario=${key}&event=price&count=4&end=hold`;
      await tab.goto(`${APPS_URL}/${page}?sse=${encodeURIComponent(sse)}`);
      await tab.waitForFunction(() => document.querySelectorAll("#prices li").length >= 4, null, { timeout: 15_000 });
      const items = await tab.$$eval("#prices li", (lis) => lis.map((li) => li.textContent));
      assert.deepEqual(items, ["1: event 1", "2: event 2", "3: event 3", "4: event 4"]);
      assert.equal(await tab.textContent("#state"), "open");
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });
}
