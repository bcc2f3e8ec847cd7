// Dispatch benchmark in headless Chromium, run by `cargo xtask bench` (not a test: it prints
// measurements as JSON and asserts nothing about speed). The server streams N JSON events of
// about 100 bytes as fast as it can; each variant's time runs until the N-th event is handled.
//
// env: SERVER (serves /pkg/typed_eventsource.js and /pkg/dispatch/dispatch_bench.js), CHROMIUM,
//      EVENTS (default 100000), RUNS (default 15), ONLY (variant letters to run, e.g. "ef";
//      default all, and then memory and recovery too)
import { launch } from "../e2e/chromium.mjs";

const SERVER = process.env.SERVER;
const N = Number(process.env.EVENTS ?? 100_000);
const RUNS = Number(process.env.RUNS ?? 15);
const ONLY = process.env.ONLY ?? "";

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
  "g: fetch + eventsource-parser + JSON.parse (JS)": async (url, n) => {
    const t0 = performance.now();
    const ctrl = new AbortController();
    const res = await fetch(url, { signal: ctrl.signal });
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let c = 0, sum = 0;
    const parser = window.peers.createParser({
      onEvent: (e) => {
        const p = JSON.parse(e.data);
        c += 1; sum += p.seq;
      },
    });
    while (c < n) {
      const { value, done } = await reader.read();
      if (done) break;
      parser.feed(value);
    }
    ctrl.abort();
    const ms = performance.now() - t0;
    if (sum !== n * (n + 1) / 2) throw new Error("lost or repeated events");
    return ms;
  },
  "h: @microsoft/fetch-event-source + JSON.parse (JS)": async (url, n) => {
    const t0 = performance.now();
    const ctrl = new AbortController();
    let c = 0, sum = 0;
    await new Promise((resolve, reject) => {
      window.peers.fetchEventSource(url, {
        signal: ctrl.signal,
        openWhenHidden: true,
        onmessage: (e) => {
          const p = JSON.parse(e.data);
          c += 1; sum += p.seq;
          if (c === n) { ctrl.abort(); resolve(); }
        },
        onerror: (e) => { reject(e); throw e; },
      }).catch(reject);
    });
    const ms = performance.now() - t0;
    if (sum !== n * (n + 1) / 2) throw new Error("lost or repeated events");
    return ms;
  },
};

async function load(page) {
  await page.evaluate(async () => {
    const m = await import("/pkg/typed_eventsource.js");
    window.wasm = await m.default();
    window.TES = m.TypedEventSource;
    const b = await import("/pkg/dispatch/dispatch_bench.js");
    await b.default();
    window.bench = b;
    window.peers = await import("/pkg/peers.js");
  });
}

// Memory: JS heap (after a forced GC) and the facade's wasm memory, before and after many
// open/close cycles and many forced reconnections.
async function memory(page, cycles, reconnects) {
  return page.evaluate(async ([cycles, reconnects]) => {
    const sample = async () => {
      await new Promise((r) => setTimeout(r, 50));
      gc(); gc();
      return { jsHeap: performance.memory.usedJSHeapSize, wasm: window.wasm.memory.buffer.byteLength };
    };
    // Cycles in rounds of 100 with a turn of the event loop between (an aborted fetch settles
    // a task later, and only then frees its state), twice: growth from the first `cycles` to
    // the second would be a leak; wasm memory never shrinks, so the first round shows its
    // high-water mark.
    // With `free`, each is freed at once; without, as code written for EventSource does, it
    // is closed and let go (by a listener that refers to it, which must not keep it alive),
    // and the garbage collector frees it.
    const round = async (free) => {
      for (let i = 0; i < cycles; i += 1) {
        const es = new window.TES(`/sse?scenario=mem-cycles&count=1&end=hold`, { transport: i % 2 ? "fetch" : "eventsource" });
        es.on("message", () => es.close());
        es.close();
        if (free) es.free();
        if (i % 100 === 99) await new Promise((r) => setTimeout(r, 0));
      }
      // Finalizers run a task after the collection that found their objects.
      if (!free) for (let i = 0; i < 3; i += 1) { gc(); await new Promise((r) => setTimeout(r, 20)); }
      return sample();
    };
    const before = await sample();
    const afterCycles = await round(true);
    const afterMoreCycles = await round(true);
    // Objects wait for a major collection, so wasm memory climbs to a higher mark first; the
    // third round shows whether it stays there.
    await round(false);
    const afterDroppedCycles = await round(false);
    const afterMoreDroppedCycles = await round(false);
    let opens = 0;
    const es = new window.TES(`/sse?scenario=mem-reconnect-${Math.random()}&count=1&end=drop`, {
      transport: "fetch",
      backoff: { initialDelay: 1, maxDelay: 1, jitter: "none", retryFloor: 1 },
    });
    await new Promise((resolve) => {
      es.onstatechange = (s) => { if (s.state === "open" && ++opens > reconnects) resolve(); };
    });
    es.close(); es.free();
    const afterReconnects = await sample();
    return { before, afterCycles, afterMoreCycles, afterDroppedCycles, afterMoreDroppedCycles, afterReconnects };
  }, [cycles, reconnects]);
}

// Recovery: forced drops with resume through the fetch transport; events lost and repeated,
// and how long after its scheduled delay each reconnection was open again.
async function recovery(page, drops) {
  return page.evaluate(async (drops) => {
    const per = 10;
    const key = `recovery-${Math.random()}`;
    const es = new window.TES(`/sse?scenario=${key}&count=${per}&total=${per * (drops + 1)}&end=drop`, {
      transport: "fetch",
      backoff: { initialDelay: 50, maxDelay: 50, jitter: "none", resetAfter: 60000 },
    });
    const seen = new Map();
    const lateness = [];
    let pending = null;
    await new Promise((resolve) => {
      es.on("message", (p) => seen.set(p.seq, (seen.get(p.seq) ?? 0) + 1));
      es.onstatechange = (s) => {
        if (s.state === "reconnecting") pending = { at: performance.now(), delay: s.delay };
        if (s.state === "open" && pending) { lateness.push(performance.now() - pending.at - pending.delay); pending = null; }
        if (s.state === "closed") resolve();
      };
    });
    es.free();
    const total = per * (drops + 1);
    let lost = 0, repeated = 0;
    for (let i = 1; i <= total; i += 1) {
      const n = seen.get(i) ?? 0;
      if (n === 0) lost += 1; else repeated += n - 1;
    }
    lateness.sort((a, b) => a - b);
    return { drops: lateness.length, lost, repeated, medianMsAfterDelay: lateness[Math.floor(lateness.length / 2)], maxMsAfterDelay: lateness.at(-1) };
  }, drops);
}

// Across tabs (`share: "tabs"`): two tabs of one browser context, the first holding the
// connection and the second following. Each records when each event reached its handler, on
// the clock both share (`timeOrigin + now()`). Latency: a paced stream (an event every 5 ms),
// follower minus holder per event. Throughput: N events as fast as the server sends them, each
// tab's events/s from its first event to its last.
async function tabs(runs, n) {
  const open = (page, url, count) => page.evaluate(([url, count]) => {
    const at = new Float64Array(count + 1);
    window.tab = { at };
    window.tab.done = new Promise((resolve) => {
      window.tab.es = new window.TES(url, { transport: "fetch", share: "tabs" });
      window.tab.es.on("message", (p) => {
        at[p.seq] = performance.timeOrigin + performance.now();
        if (p.seq === count) resolve();
      });
    });
  }, [url, count]);
  const times = (page) => page.evaluate(async () => {
    await window.tab.done;
    const sharing = window.tab.es.sharing;
    window.tab.es.close(); window.tab.es.free();
    return { sharing, at: Array.from(window.tab.at) };
  });
  const one = async (query, count) => {
    const context = await browser.newContext();
    const pages = [await context.newPage(), await context.newPage()];
    for (const page of pages) { await page.goto(`${SERVER}/health`); await load(page); }
    const url = `/sse?scenario=tabs-${Date.now()}-${Math.random()}&${query}&end=hold`;
    // The second joins while the first waits for its lock's messages to drain. Which tab the
    // browser grants the lock to first is its choice (the requests come from two processes).
    await open(pages[0], url, count);
    await open(pages[1], url, count);
    const [a, b] = await Promise.all(pages.map(times));
    await context.close();
    const roles = [a.sharing, b.sharing].sort().join();
    if (roles !== "follower,holder") throw new Error(`the tabs were ${roles}`);
    const [holder, follower] = a.sharing === "holder" ? [a, b] : [b, a];
    if (follower.at.slice(1).some((t) => t === 0)) throw new Error("the follower missed events");
    return { holder: holder.at, follower: follower.at };
  };
  const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const delays = [];
  const rates = [];
  for (let run = 0; run < runs; run += 1) {
    const paced = await one("count=400&interval_ms=5&size=100", 400);
    for (let i = 1; i <= 400; i += 1) delays.push(paced.follower[i] - paced.holder[i]);
    const fast = await one(`count=${n}&size=100`, n);
    const rate = (at) => n / ((at[n] - at[1]) / 1000);
    rates.push({ holder: rate(fast.holder), follower: rate(fast.follower) });
  }
  delays.sort((x, y) => x - y);
  const holder = median(rates.map((r) => r.holder));
  const follower = median(rates.map((r) => r.follower));
  return {
    runs, events: n,
    latency_median_ms: delays[Math.floor(delays.length / 2)], latency_p99_ms: delays[Math.floor(delays.length * 0.99)],
    holder_events_per_s: holder, follower_events_per_s: follower,
    follower_vs_holder: median(rates.map((r) => r.follower / r.holder)),
  };
}

// The size benchmark's apps (built by `cargo xtask bench`) are measured only if they work:
// each must receive the first three events in order.
async function sizeApps() {
  const seen = {};
  for (const app of (process.env.SIZE_APPS ?? "").split(",").filter(Boolean)) {
    const page = await browser.newPage();
    await page.goto(`${SERVER}/health`);
    seen[app] = await page.evaluate(async (app) => {
      const m = await import(`/pkg/size/${app}/app.js`);
      await m.default();
      const got = [];
      await new Promise((resolve, reject) => {
        m.start(`/sse?scenario=size-${app}-${Math.random()}&count=3&end=hold`, (seq) => {
          got.push(seq);
          if (got.length === 3) resolve();
        });
        setTimeout(() => reject(new Error(`${app}: ${got.length} of 3 events`)), 10_000);
      });
      return got;
    }, app);
    await page.close();
    if (seen[app].join() !== "1,2,3") throw new Error(`${app} received ${seen[app]}`);
  }
  return seen;
}

const browser = await launch(["--js-flags=--expose-gc", "--enable-precise-memory-info"]);
const results = {};
try {
  // Runs interleave the variants (a..f, a..f, ...), so that a slow spell of this shared
  // machine falls on every variant alike rather than on one.
  const chosen = Object.entries(VARIANTS).filter(([name]) => !ONLY || ONLY.includes(name[0]));
  const times = Object.fromEntries(chosen.map(([name]) => [name, []]));
  // The page's main-thread time for the same run (CPU time of its tasks, from the DevTools
  // protocol): what the variant costs the page, apart from waiting for the server, which
  // shares this machine's cores.
  const busy = Object.fromEntries(chosen.map(([name]) => [name, []]));
  for (let run = 0; run < RUNS; run += 1) {
    for (const [name, fn] of chosen) {
      const page = await browser.newPage();
      await page.goto(`${SERVER}/health`);
      await load(page);
      const cdp = await page.context().newCDPSession(page);
      await cdp.send("Performance.enable", { timeDomain: "threadTicks" });
      const taskSeconds = async () =>
        (await cdp.send("Performance.getMetrics")).metrics.find((m) => m.name === "TaskDuration").value;
      const url = `/sse?scenario=bench-${Date.now()}-${run}&count=${N}&size=100&end=hold`;
      const before = await taskSeconds();
      times[name].push(await page.evaluate(`(${fn.toString()})(${JSON.stringify(url)}, ${N})`));
      busy[name].push((await taskSeconds() - before) * 1000);
      await page.close();
    }
  }
  // Ratios are paired: run i of a variant against run i of (a) and of (e), which ran minutes
  // apart at most, so that a slow spell cancels out; the median of those ratios is reported.
  const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const base = (letter) => chosen.find(([name]) => name[0] === letter)?.[0];
  const paired = (name, letter) => {
    const b = base(letter);
    return b ? median(times[name].map((t, i) => times[b][i] / t)) : undefined;
  };
  for (const [name] of chosen) {
    const ms = median(times[name]);
    results[name] = {
      ms, events_per_s: N / (ms / 1000), runs: times[name],
      main_thread_ms: median(busy[name]), main_thread_runs: busy[name],
      vs_a: paired(name, "a"), vs_e: paired(name, "e"),
    };
    const vs = ["a", "e"].filter((l) => results[name][`vs_${l}`] !== undefined)
      .map((l) => `${results[name][`vs_${l}`].toFixed(2)}x (${l})`).join(", ");
    process.stderr.write(`    ${name}: ${Math.round(N / (ms / 1000))} events/s ${vs}, main thread ${results[name].main_thread_ms.toFixed(0)} ms\n`);
  }
  if (!ONLY) {
    results.sizeApps = await sizeApps();
    process.stderr.write(`    size apps: ${JSON.stringify(results.sizeApps)}\n`);
    const page = await browser.newPage();
    await page.goto(`${SERVER}/health`);
    await load(page);
    const smoke = N < 10_000;
    results.memory = await memory(page, smoke ? 200 : 10_000, smoke ? 20 : 1_000);
    process.stderr.write(`    memory: ${JSON.stringify(results.memory)}\n`);
    results.recovery = await recovery(page, smoke ? 5 : 50);
    process.stderr.write(`    recovery: ${JSON.stringify(results.recovery)}\n`);
    results.tabs = await tabs(smoke ? 1 : 5, smoke ? 2000 : 20_000);
    process.stderr.write(`    tabs: ${JSON.stringify(results.tabs)}\n`);
    if (results.recovery.lost || results.recovery.repeated) throw new Error("events lost or repeated across reconnections");
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify({ events: N, runs: RUNS, results }));
