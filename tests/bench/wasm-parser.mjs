// Parser benchmark in WebAssembly, run by `cargo xtask bench` (not a test: it prints
// measurements as JSON and asserts nothing about speed). The native benchmark's cases
// (benches/support/cases.rs), compiled to wasm by benches/wasm-parser in several builds, are
// timed in Node's V8 after warming up, the builds taking turns case by case.
//
// env: BUILDS ("label=dir,...": each dir holds wasm_parser.js and wasm_parser_bg.wasm from
//      wasm-bindgen --target web), RUNS (timed runs per case and build, default 15)
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const BUILDS = (process.env.BUILDS ?? "").split(",").filter(Boolean).map((b) => b.split("="));
const RUNS = Number(process.env.RUNS ?? 15);
const WARMUP = RUNS > 1 ? 3 : 0;

const builds = [];
for (const [label, dir] of BUILDS) {
  const m = await import(pathToFileURL(`${dir}/wasm_parser.js`).href);
  await m.default({ module_or_path: readFileSync(`${dir}/wasm_parser_bg.wasm`) });
  builds.push({ label, m });
}
if (builds.length === 0) throw new Error("no BUILDS");

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cases = [];
for (let i = 0; ; i++) {
  const each = builds.map((b) => ({ label: b.label, c: b.m.caseAt(i), ms: [] }));
  if (!each[0].c) break;
  // Every build must parse the same data out of the same bytes.
  const data = each.map((b) => b.c.run());
  if (data[0] === 0 || data.some((d) => d !== data[0])) {
    throw new Error(`case ${i}: the builds disagree on the data parsed (${data})`);
  }
  for (let w = 0; w < WARMUP; w++) for (const b of each) b.c.run();
  for (let r = 0; r < RUNS; r++) {
    for (const b of each) {
      const t0 = performance.now();
      b.c.run();
      b.ms.push(performance.now() - t0);
    }
  }
  const bytes = each[0].c.bytes;
  cases.push({
    case: each[0].c.name,
    bytes,
    mb_per_s: Object.fromEntries(each.map((b) => [b.label, bytes / median(b.ms) / 1000])),
  });
  for (const b of each) b.c.free();
}
console.log(JSON.stringify({ node: process.version, runs: RUNS, cases }));
