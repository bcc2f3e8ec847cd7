// Launching Debian's Chromium through playwright-core, with the flags this machine needs (as
// root, on a closed network). Shared by the end-to-end tests and the benchmark harness.
import { chromium } from "playwright-core";

export const ARGS = [
  "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--no-first-run", "--disable-quic",
];

/** Starts Chromium (`CHROMIUM`, default /usr/bin/chromium) with `extra` flags besides ARGS. */
export function launch(extra = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [...ARGS, ...extra],
  });
}
