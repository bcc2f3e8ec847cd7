// The conformance suite: every case of tests/conformance/cases.js (what the web-platform-tests
// for EventSource check) against the browser's own EventSource, then TypedEventSource over
// each transport, in headless Chromium against the server's /wpt/ routes. Native is the
// reference: a case it fails is a wrong case. TypedEventSource must pass every case native
// passes, except those tests/conformance/expected.json lists with a reason; a listed case that
// passes fails too, so the list cannot go stale. The cases from the web-platform-tests' `.any.js`
// files, which run in workers too, run again in a dedicated worker. The run writes
// CONFORMANCE.md.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { launch, packagePage } from "./chromium.mjs";

const DEMO_URL = process.env.DEMO_URL;
const root = new URL("../../", import.meta.url);
const expected = JSON.parse(readFileSync(new URL("tests/conformance/expected.json", root), "utf8"));
const IMPLS = ["native", "eventsource", "fetch"];

let browser, page, cases;
const results = new Map();
const workerResults = new Map();
/** The cases a dedicated worker runs too: those of the `.any.js` files. */
const inWorker = (c) => c.wpt.endsWith(".any.js");

// The worker's script, served by the server's /wpt/message route (a worker needs an http URL
// for `location` to be the server's): it loads the cases it is sent, then runs one case on
// each implementation per request.
const WORKER = `
let ready;
onmessage = async ({ data }) => {
  ready ??= (async () => {
    (0, eval)(data.cases);
    const m = await import("/pkg/typed_eventsource.js");
    await m.default();
    return m.TypedEventSource;
  })();
  const TES = await ready;
  const row = {};
  for (const impl of ["native", "eventsource", "fetch"]) {
    row[impl] = impl === "native" ? await runCase(data.id, EventSource) : await runCase(data.id, TES, { transport: impl });
  }
  postMessage(row);
};`;

before(async () => {
  // other.test is a second origin of the same server, for the cross-origin cases.
  browser = await launch(["--host-resolver-rules=MAP other.test 127.0.0.1"]);
  page = await packagePage(browser, DEMO_URL);
  await page.evaluate(() => { window.NativeEventSource = EventSource; });
  const source = readFileSync(new URL("tests/conformance/cases.js", root), "utf8");
  await page.addScriptTag({ content: source });
  cases = await page.evaluate(() => window.CASES);
  await page.evaluate(({ script, source }) => {
    const url = `/wpt/message?mime=text/javascript&newline=none&message=${encodeURIComponent(script)}`;
    const worker = new Worker(url, { type: "module" });
    let pending = Promise.resolve();
    // One case at a time: each waits for the one before.
    window.inWorker = (id) => (pending = pending.then(() => new Promise((resolve, reject) => {
      worker.onmessage = (e) => resolve(e.data);
      worker.onerror = (e) => reject(new Error(`the worker failed: ${e.message}`));
      worker.postMessage({ id, cases: source });
    })));
  }, { script: WORKER, source });
});
after(async () => {
  await browser?.close();
  if (results.size === cases?.length && workerResults.size === cases.filter(inWorker).length) writeReport();
});

/** What is wrong with a row of results for case `id` (empty when it is as expected). */
function problems(id, row) {
  const found = [];
  const chromium = expected.native[id];
  if (chromium && row.native.ok) found.push("native passes, but tests/conformance/expected.json lists it as failing in Chromium; remove it from the list");
  if (!chromium && !row.native.ok) found.push(`native fails this case, so the case is wrong: ${row.native.error}`);
  for (const impl of ["eventsource", "fetch"]) {
    const known = listed(id, impl);
    if (known && row[impl].ok) found.push(`${impl}: passes, but tests/conformance/expected.json lists it (${known.kind}); remove it from the list`);
    if (!known && !row[impl].ok) found.push(`${impl}: ${row[impl].error}`);
  }
  return found;
}

/** What the list says TypedEventSource over `impl` does with case `id`, or undefined. */
function listed(id, impl) {
  if (impl === "native") return undefined;
  for (const kind of ["platform", "deliberate", "gap"]) {
    const entry = expected[kind][id];
    if (entry && (entry.all ?? entry[impl])) return { kind, reason: entry.all ?? entry[impl] };
  }
  return undefined;
}

test("every case runs against native and both transports", async (t) => {
  for (const c of cases) {
    await t.test(`${c.id} (${c.wpt})`, async () => {
      const row = {};
      for (const impl of IMPLS) {
        row[impl] = await page.evaluate(({ id, impl }) => impl === "native"
          ? window.runCase(id, window.NativeEventSource)
          : window.runCase(id, window.TES, { transport: impl }), { id: c.id, impl });
      }
      results.set(c.id, row);
      assert.deepEqual(problems(c.id, row), []);
    });
  }
});

test("the .any.js cases again in a dedicated worker", async (t) => {
  for (const c of cases.filter(inWorker)) {
    await t.test(`${c.id} (${c.wpt}, worker)`, async () => {
      const row = await page.evaluate((id) => window.inWorker(id), c.id);
      workerResults.set(c.id, row);
      assert.deepEqual(problems(c.id, row), []);
    });
  }
});

function writeReport() {
  const mark = (r, id, impl) => {
    if (r.ok) return "pass";
    const known = listed(id, impl);
    return known ? `fail (${known.kind})` : "**FAIL**";
  };
  const count = (impl, from = results) => [...from.values()].filter((r) => r[impl].ok).length;
  const lines = [
    "# Conformance",
    "",
    "Written by `cargo xtask test` (tests/e2e/conformance.test.mjs); do not edit by hand.",
    "",
    "Each case is what one file of the web-platform-tests' `eventsource/` directory checks, written",
    "again in `tests/conformance/cases.js` against this repository's server (`server/src/wpt.rs`",
    "answers as the tests' `resources/*.py` do). Every case runs against the browser's own",
    "`EventSource` (the reference: a case it fails is a wrong case), then `TypedEventSource` over",
    "the EventSource transport and over the fetch transport, in headless Chromium.",
    "",
    `Passed: native ${count("native")} of ${results.size}, over EventSource ${count("eventsource")}, over fetch ${count("fetch")}.`,
    "",
    "| case | web-platform-test | native | TypedEventSource over EventSource | over fetch |",
    "|---|---|---|---|---|",
  ];
  const rows = (from) => {
    for (const c of cases.filter((c) => from.has(c.id))) {
      const r = from.get(c.id);
      const native = r.native.ok ? "pass" : expected.native[c.id] ? "fail (Chromium)" : "**FAIL**";
      lines.push(`| ${c.id} | ${c.wpt} | ${native} | ${mark(r.eventsource, c.id, "eventsource")} | ${mark(r.fetch, c.id, "fetch")} |`);
    }
  };
  rows(results);
  lines.push(
    "",
    "### In a dedicated worker",
    "",
    "The cases of the `.any.js` files, which the web-platform-tests run in workers too, run again in a dedicated worker (a module worker of the server's origin that imports the package).",
    "",
    `Passed: native ${count("native", workerResults)} of ${workerResults.size}, over EventSource ${count("eventsource", workerResults)}, over fetch ${count("fetch", workerResults)}.`,
    "",
    "| case | web-platform-test | native | TypedEventSource over EventSource | over fetch |",
    "|---|---|---|---|---|",
  );
  rows(workerResults);
  const section = (kind, title, intro) => {
    const entries = Object.entries(expected[kind]).filter(([k]) => !k.startsWith("//"));
    if (!entries.length) return;
    lines.push("", `## ${title}`, "", intro, "");
    for (const [id, entry] of entries) {
      for (const [impl, reason] of Object.entries(entry)) {
        const r = results.get(id)?.[impl === "all" ? "fetch" : impl];
        const error = r && !r.ok ? ` (seen: ${r.error})` : "";
        lines.push(`- **${id}**, ${impl === "all" ? "both transports" : `over ${impl}`}: ${reason}${error}`);
      }
    }
  };
  const chromium = Object.entries(expected.native);
  if (chromium.length) {
    lines.push("", "## Where Chromium itself fails", "", "Cases that follow the web-platform-tests and the specification, which Chromium's own EventSource fails. Both transports are still held to their lists below.", "");
    for (const [id, reason] of chromium) lines.push(`- **${id}**: ${reason}`);
  }
  section("platform", "What no library can change", "What a script cannot do, and, over the EventSource transport, what Chromium's own EventSource does.");
  section("deliberate", "Deliberate deviations", "Where the default means to do better than the browser, and the option that restores the browser's behaviour.");
  section("gap", "Gaps still open", "Cases the browser passes and TypedEventSource does not yet: each is work to do, not a choice.");
  lines.push("", "## Not covered yet", "", ...expected.uncovered.map((u) => `- ${u}`), "");
  writeFileSync(new URL("CONFORMANCE.md", root), lines.join("\n"));
}
