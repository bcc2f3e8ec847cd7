// The npm class's parse in Node, run by `cargo xtask bench` (not a test: it prints
// measurements as JSON and asserts nothing about speed). The same bytes as the dispatch
// benchmark's stream (N events of about 110 bytes, in reads of 139 KB, the size Chromium's
// reads of that stream have) go through `TypedEventSource.fromReadableStream` with an on()
// handler, and through eventsource-parser with JSON.parse, the two taking turns. Without the
// browser's network and page around them, the two figures move less from run to run than the
// dispatch benchmark's, which is where a change of a few percent in the class's parse shows.
//
// env: PKG (the package's web build: typed_eventsource.js and its wasm), EVENTS (default
//      100000), RUNS (timed runs each, default 25)
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { createParser } from "eventsource-parser";

const PKG = process.env.PKG;
const N = Number(process.env.EVENTS ?? 100_000);
const RUNS = Number(process.env.RUNS ?? 25);
const WARMUP = RUNS > 1 ? 3 : 0;

// Node 20 has no ErrorEvent; the class builds one for the end of the stream.
globalThis.ErrorEvent ??= class ErrorEvent extends Event {
  constructor(type, init) {
    super(type);
    Object.assign(this, init);
  }
};
const m = await import(pathToFileURL(`${PKG}/typed_eventsource.js`).href);
m.initSync({ module: readFileSync(`${PKG}/typed_eventsource_bg.wasm`) });

let text = "";
for (let i = 1; i <= N; i++) {
  text += `id: ${i}\ndata: {"pad":"${"x".repeat(45)}","seq":${i},"text":"event ${i}","type":"message"}\n\n`;
}
const bytes = new TextEncoder().encode(text);
const READ = 139_000;
const chunks = [];
for (let i = 0; i < bytes.length; i += READ) chunks.push(bytes.subarray(i, i + READ));
const expected = (N * (N + 1)) / 2;

async function ours() {
  const t0 = performance.now();
  let next = 0;
  const stream = new ReadableStream({
    pull(c) {
      if (next < chunks.length) c.enqueue(chunks[next++]);
    },
  }, { highWaterMark: 0 });
  let c = 0, sum = 0;
  const es = m.TypedEventSource.fromReadableStream(stream);
  await new Promise((resolve) => es.on("message", (p) => {
    c += 1; sum += p.seq;
    if (c === N) resolve();
  }));
  const ms = performance.now() - t0;
  es.free();
  if (sum !== expected) throw new Error("the class lost or repeated events");
  return ms;
}

async function theirs() {
  const t0 = performance.now();
  let sum = 0;
  const decoder = new TextDecoder();
  const parser = createParser({ onEvent: (e) => { sum += JSON.parse(e.data).seq; } });
  for (const chunk of chunks) {
    // A read is a task of its own in both.
    await null;
    parser.feed(decoder.decode(chunk, { stream: true }));
  }
  const ms = performance.now() - t0;
  if (sum !== expected) throw new Error("eventsource-parser lost or repeated events");
  return ms;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (let i = 0; i < WARMUP; i++) { await ours(); await theirs(); }
const a = [], b = [];
for (let i = 0; i < RUNS; i++) { a.push(await ours()); b.push(await theirs()); }
console.log(JSON.stringify({
  node: process.version, events: N, bytes: bytes.length, read_bytes: READ, runs: RUNS,
  class_ms: median(a), peer_ms: median(b), class_runs: a, peer_runs: b,
}));
