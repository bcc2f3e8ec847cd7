// Type-checked by `tsc --noEmit` in `cargo xtask test`, against the installed package: code
// written for EventSource keeps compiling, and the event map types `on`. Each @ts-expect-error must be an error, so a
// declaration that turned to `any` fails the check.
import { TypedEventSource, TypedEventSourceError, type ConnectionState } from "typed-eventsource";

interface Price { symbol: string; price: number }
interface News { headline: string }

const es = new TypedEventSource<{ price: Price; news: News }>("/sse", {
  transport: "fetch",
  headers: async () => ({ Authorization: "Bearer x" }),
  backoff: { initialDelay: 500, jitter: "full", maxAttempts: 10 },
  retry: (e: TypedEventSourceError, retry: boolean) => (e.kind === "http-status" && e.status === 401 ? false : retry),
  idleTimeout: 30_000,
  lastEventIdParam: "lastEventId",
});

es.on("price", (p) => {
  const s: string = p.symbol;
  const n: number = p.price;
  void s; void n;
});
es.on("news", (n, ev) => {
  const h: string = n.headline;
  const raw: string = ev.data;
  void h; void raw;
});
// @ts-expect-error: no such event type in the map
es.on("weather", () => {});
// @ts-expect-error: a price has no headline
es.on("price", (p) => p.headline);

// The EventSource surface.
es.onmessage = (e) => { const d: string = e.data; void d; };
es.onopen = () => {};
es.onerror = (e) => {
  // A server's event named `error` arrives here too, as a MessageEvent.
  if (e instanceof ErrorEvent) { const k: TypedEventSourceError["kind"] = e.error.kind; void k; }
  else { const d: string = e.data; void d; }
};
// @ts-expect-error: an `error` listener must tell a server's MessageEvent from a failure
es.addEventListener("error", (e) => e.error.kind);
es.addEventListener("price", (e) => { void e.lastEventId; });
const controller = new AbortController();
es.addEventListener("news", { handleEvent: (e) => { const d: string = e.data; void d; } }, { once: true, signal: controller.signal });
es.removeEventListener("news", () => {}, true);
const delivered: boolean = es.dispatchEvent(new MessageEvent("news", { data: "{}" }));
void delivered;
// @ts-expect-error: a listener object needs handleEvent
es.addEventListener("news", { handle: () => {} });
const open: boolean = es.readyState === TypedEventSource.OPEN;
const closed: boolean = es.readyState === es.CLOSED;
void closed;
void open;
es.onstatechange = (s: ConnectionState) => {
  if (s.state === "reconnecting") { const d: number = s.delay; void d; }
};
// Shared by the page's sources, or by the browser's tabs too; which tab holds the connection.
const shared = new TypedEventSource("/sse", { share: "tabs" });
const role: "own" | "page" | "holder" | "follower" | "unavailable" = shared.sharing;
void role;
// @ts-expect-error: share is true, false or "tabs"
new TypedEventSource("/sse", { share: "window" });
// @ts-expect-error: transport is a closed set
new TypedEventSource("/sse", { transport: "websocket" });
// @ts-expect-error: unknown option
new TypedEventSource("/sse", { retries: 3 });
// A real EventTarget, and a class to extend.
const target: EventTarget = es;
void target;
class Ticker extends TypedEventSource<{ price: Price }> {
  latest: Price | null = null;
  constructor() {
    super("/prices");
    this.on("price", (p) => { this.latest = p; });
  }
}
void new Ticker().latest;
// A decode failure is its own event, with the raw data.
es.addEventListener("decodeerror", (e) => { const raw: string = e.error.data; void raw; });
const made: TypedEventSourceError = new TypedEventSourceError("network", "lost");
void made;
// @ts-expect-error: a handler must be a function
es.on("price", null);
es.close();
// A stream the app fetched itself, typed as any source is; the reconnection time is a number.
async function fromBody(): Promise<void> {
  const response = await fetch("/answer", { headers: { Authorization: "Bearer x" } });
  const answer = TypedEventSource.fromReadableStream<{ token: { text: string } }>(response.body!);
  answer.on("token", (t) => { const text: string = t.text; void text; });
  const wait: number = answer.reconnectionTime;
  void wait;
  answer.reset();
  // @ts-expect-error: a stream, not a URL
  TypedEventSource.fromReadableStream("/answer");
}
void fromBody;

// Iteration is typed by the map too; `signal` takes an AbortSignal.
export async function iterate(): Promise<number> {
  let n = 0;
  for await (const p of es.events("price")) n += p.price;
  // @ts-expect-error: not a type of the map
  es.events("weather");
  const plain = new TypedEventSource<{ message: { seq: number } }>("/sse", { signal: new AbortController().signal });
  for await (const m of plain) n += m.seq;
  // @ts-expect-error: a signal is an AbortSignal
  new TypedEventSource("/sse", { signal: "soon" });
  return n;
}

// `using` and `await using` close the source at the end of the scope.
export async function scoped(): Promise<void> {
  {
    using source = new TypedEventSource("/sse");
    source.on("message", () => {});
  }
  await using other = new TypedEventSource("/sse");
  other.close();
}
