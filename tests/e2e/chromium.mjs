// Launching Debian's Chromium through playwright-core, with the flags this machine needs (as
// root, on a closed network). Shared by the end-to-end tests and the benchmark harness.
import { chromium } from "playwright-core";

export const ARGS = [
  "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--no-first-run", "--disable-quic",
];

/**
 * A new page of `browser` (or of a browser context) at the server at `base` (its /health, a
 * blank page of its origin, so that /pkg/ and /sse are same-origin) with the web package
 * loaded: `window.TES` is TypedEventSource.
 */
export async function packagePage(browser, base) {
  const page = await browser.newPage();
  await page.goto(`${base}/health`);
  await loadPackage(page);
  return page;
}

/** Loads the web package into `page`, a page of the server: `window.TES` is TypedEventSource. */
export async function loadPackage(page) {
  await page.evaluate(async () => {
    const m = await import("/pkg/typed_eventsource.js");
    await m.default();
    window.TES = m.TypedEventSource;
  });
}

/** Starts Chromium (`CHROMIUM`, default /usr/bin/chromium) with `extra` flags besides ARGS. */
export function launch(extra = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [...ARGS, ...extra],
  });
}
