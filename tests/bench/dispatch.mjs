// Dispatch benchmark in headless Chromium, run by `cargo xtask bench` (not a test: it prints
// measurements as JSON and asserts nothing about speed). The server streams N JSON events of
// about 100 bytes as fast as it can; each variant's time runs until the N-th event is handled.
//
// env: SERVER (serves /pkg/typed_eventsource.js and /pkg/dispatch/dispatch_bench.js), CHROMIUM,
//      EVENTS (default 100000), RUNS (default 3)
import { chromium } from "playwright-core";

const SERVER = process.env.SERVER;
const N = Number(process.env.EVENTS ?? 100_000);
const RUNS = Number(process.env.RUNS ?? 3);
const ARGS = [
  "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--no-first-run", "--disable-quic",
];

// Each variant runs in the page: (url, n) => milliseconds. Each checks that it saw every
// event exactly once (the sum of the sequence numbers).
const VARIANTS = {
  "a: EventSource + JSON.parse (JS)": async (url, n) => {
    const t0 = performance.now();
    let c = 0, sum = 0;
    await new Promise((resolve) => {
      const es = new EventSource(url);
      es.onmessage = (e) => {
        const p = JSON.parse(e.data);
        c += 1; sum += p.seq;
        if (c === n) { es.close(); resolve(); }
      };
    });
    const ms = performance.now() - t0;
    if (sum !== n * (n + 1) / 2) throw new Error("lost or repeated events");
    return ms;
  },
  "b: typed-eventsource, EventSource transport, serde": async (url, n) =>
    window.bench.typed(url, "eventsource", n),
  "c: typed-eventsource, fetch transport, serde": async (url, n) =>
    window.bench.typed(url, "fetch", n),
  "d: gloo-net EventSource + serde_json": async (url, n) => window.bench.gloo(url, n),
  "e: fetch + line parser + JSON.parse (JS ceiling)": async (url, n) => {
    const t0 = performance.now();
    const ctrl = new AbortController();
    const res = await fetch(url, { signal: ctrl.signal });
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = "", data = "", c = 0, sum = 0;
    outer: for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let start = 0, i;
      while ((i = buf.indexOf("\n", start)) >= 0) {
        const line = buf.slice(start, i);
        start = i + 1;
        if (line === "") {
          if (data) {
            const p = JSON.parse(data);
            c += 1; sum += p.seq;
            if (c === n) break outer;
          }
          data = "";
        } else if (line.startsWith("data: ")) data = line.slice(6);
      }
      buf = buf.slice(start);
    }
    ctrl.abort();
    const ms = performance.now() - t0;
    if (sum !== n * (n + 1) / 2) throw new Error("lost or repeated events");
    return ms;
  },
  "f: npm TypedEventSource, fetch transport": async (url, n) => {
    const t0 = performance.now();
    let c = 0, sum = 0;
    const es = new window.TES(url, { transport: "fetch" });
    await new Promise((resolve) => es.on("message", (p) => {
      c += 1; sum += p.seq;
      if (c === n) resolve();
    }));
    const ms = performance.now() - t0;
    es.close(); es.free();
    if (sum !== n * (n + 1) / 2) throw new Error("lost or repeated events");
    return ms;
  },
};

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ARGS });
const results = {};
try {
  for (const [name, fn] of Object.entries(VARIANTS)) {
    const times = [];
    for (let run = 0; run < RUNS; run += 1) {
      const page = await browser.newPage();
      await page.goto(`${SERVER}/health`);
      await page.evaluate(async () => {
        const m = await import("/pkg/typed_eventsource.js");
        await m.default();
        window.TES = m.TypedEventSource;
        const b = await import("/pkg/dispatch/dispatch_bench.js");
        await b.default();
        window.bench = b;
      });
      const url = `/sse?scenario=bench-${Date.now()}-${run}&count=${N}&size=100&end=hold`;
      times.push(await page.evaluate(`(${fn.toString()})(${JSON.stringify(url)}, ${N})`));
      await page.close();
    }
    times.sort((x, y) => x - y);
    const median = times[Math.floor(times.length / 2)];
    results[name] = { ms: median, events_per_s: N / (median / 1000), runs: times };
    process.stderr.write(`    ${name}: ${Math.round(N / (median / 1000))} events/s\n`);
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify({ events: N, runs: RUNS, results }));
