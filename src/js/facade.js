// The JavaScript half of the `TypedEventSource` facade (feature `js`): its error class, its
// option checks, its methods, and each stream's driver. The wasm module holds the parser and
// the reconnect machine, which decides everything; the driver does what the machine asks
// (connect, abort, arm the timer), feeds it what happens (responses, bytes, events, failures,
// the timer, the page's lifecycle), and dispatches to the listeners. This is `src/web`'s job
// for Rust apps, done in JavaScript so that the package's wasm carries no browser layer.
// Events cross from wasm in batches, one string per batch, because crossing costs more per
// call than parsing the stream does.

export class TypedEventSourceError extends Error {
  constructor(kind, message, details) {
    super(message);
    this.name = "TypedEventSourceError";
    this.kind = kind;
    Object.assign(this, details);
  }
}

// A listener's exception is reported, as the browser reports one from an `EventSource`
// listener, and does not stop the other listeners.
function call(f, a, b) {
  try {
    f(a, b);
  } catch (e) {
    console.error(e);
  }
}

// Calls an `addEventListener` listener or an `on...` attribute as EventTarget does: a function
// with `this` the source, an object through its `handleEvent`.
function invoke(f, source, event) {
  try {
    if (typeof f === "function") f.call(source, event);
    else f.handleEvent(event);
  } catch (e) {
    console.error(e);
  }
}

// Events reach their receivers with `target` and `currentTarget` the source, as an
// EventSource's do (code reads `e.target.readyState` in an error listener, say). They are not
// dispatched through an EventTarget, which would set them, so they are set on each event.
function aim(event, source) {
  const at = { value: source, configurable: true };
  return Object.defineProperties(event, { target: at, currentTarget: at, srcElement: at });
}

// `addEventListener`'s third argument, an options object or the capture flag alone. A listener
// is the same listener only with the same capture flag.
function flags(options) {
  const o = typeof options === "object" && options !== null ? options : { capture: options };
  return { capture: !!o.capture, once: !!o.once, signal: o.signal };
}

// The listeners of one TypedEventSource: `addEventListener`'s and `on()`'s by type, in the
// order added, and the `on...` attributes. Kept on the TypedEventSource itself (see `own`).
const LISTENERS = Symbol("listeners");

// As on EventSource, `onmessage`, `onopen` and `onerror` are listeners for their type, so a
// server's events named `open` or `error` reach them too, as MessageEvents.
function attributeOf(all, type) {
  return type === "message" ? all.onmessage : type === "open" ? all.onopen : type === "error" ? all.onerror : null;
}

// Each source's driver, kept on the source as its listeners are (above).
const DRIVER = Symbol("driver");

function driverOf(source) {
  const d = source?.[DRIVER];
  if (!d) throw new TypeError("Illegal invocation");
  return d;
}

// The message of a thrown value.
function message(e) {
  return e instanceof Error ? e.message : String(e);
}

// Header pairs from an object of strings: the `headers` option, or what its function returns.
function pairs(v) {
  if (typeof v !== "object" || v === null) throw new TypeError("option `headers` must be an object of strings or a function");
  const out = Object.entries(v);
  if (out.some(([, value]) => typeof value !== "string")) throw new TypeError("option `headers` must map names to strings");
  return out;
}

// Calls the headers function before an attempt; a returned promise is awaited. When it throws
// or returns something else than an object of strings, the failure is logged and the request
// goes without those headers (the server's answer, a 401 say, then decides).
async function callHeaders(f) {
  try {
    return pairs(await f.call(null));
  } catch (e) {
    console.error("typed-eventsource: the headers function failed:", e);
    return [];
  }
}

// `url` with `name=value` added to its query (before any fragment).
function withQuery(url, name, value) {
  const hash = url.indexOf("#");
  const base = hash < 0 ? url : url.slice(0, hash);
  const fragment = hash < 0 ? "" : url.slice(hash);
  const sep = base.includes("?") ? "&" : "?";
  return `${base}${sep}${encodeURIComponent(name)}=${encodeURIComponent(value)}${fragment}`;
}

// The names `new TypedEventSource(url, options)` takes, and those of `options.backoff`.
const KNOWN = ["transport", "withCredentials", "credentials", "headers", "method", "body", "backoff", "retry",
  "idleTimeout", "lastEventIdParam", "lastEventId", "maxEventSize", "pauseWhenHidden"];
const BACKOFF_KNOWN = ["initialDelay", "factor", "maxDelay", "jitter", "maxAttempts", "maxElapsed", "resetAfter", "retryFloor"];

// `"a", "b" or "c"`
const either = (list) => list.map((v) => `"${v}"`).join(", ").replace(/, ([^,]*)$/, " or $1");

// Reads the fields of one options object, each checked: a wrong type, a negative or infinite
// number, or a name not in `known` throws a TypeError naming the option.
function reader(obj, prefix, known) {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) throw new TypeError(`unknown option \`${prefix}${key}\`; known: ${known.join(", ")}`);
  }
  const bad = (name, what) => new TypeError(`option \`${prefix}${name}\` must be ${what}`);
  const get = (name, ok, what) => {
    const v = obj[name];
    if (v !== undefined && !ok(v)) throw bad(name, what);
    return v;
  };
  const r = {
    string: (name) => get(name, (v) => typeof v === "string", "a string"),
    boolean: (name) => get(name, (v) => typeof v === "boolean", "a boolean"),
    number: (name) => get(name, (v) => typeof v === "number" && Number.isFinite(v) && v >= 0, "a finite number, not negative"),
    whole: (name) => {
      const v = r.number(name);
      if (v !== undefined && !(Number.isInteger(v) && v <= 0xffffffff)) throw bad(name, "a whole number");
      return v;
    },
    oneOf: (name, list) => {
      const v = r.string(name);
      if (v !== undefined && !list.includes(v)) throw bad(name, `${either(list)}, not "${v}"`);
      return v;
    },
  };
  return r;
}

// A TypeError for an option that is well-formed but not possible.
const invalid = (option, reason) => new TypeError(`TypedEventSource: invalid option \`${option}\`: ${reason}`);

// Checks the options of `new TypedEventSource(url, options)` and resolves the URL; returns
// what the driver and the machine take (the back-off's own rules are the machine's, checked
// in wasm). Throws before anything is opened.
export function check(url, options) {
  // A string or a URL object, as EventSource takes.
  url = `${url}`;
  const o = options ?? {};
  if (typeof o !== "object") throw new TypeError("options must be an object");
  const r = reader(o, "", KNOWN);
  const transport = r.oneOf("transport", ["eventsource", "fetch"]) ?? "eventsource";
  const wantsCredentials = r.boolean("withCredentials") === true;
  const credentials = r.oneOf("credentials", ["omit", "same-origin", "include"]) ?? (wantsCredentials ? "include" : "same-origin");
  const headers = o.headers;
  const fixed = headers === undefined || typeof headers === "function" ? [] : pairs(headers);
  const method = r.string("method") ?? "GET";
  const body = r.string("body");
  let b = {};
  if (o.backoff !== undefined) {
    if (typeof o.backoff !== "object" || o.backoff === null) throw new TypeError("option `backoff` must be an object");
    const br = reader(o.backoff, "backoff.", BACKOFF_KNOWN);
    b = {
      initialDelay: br.number("initialDelay"), factor: br.number("factor"), maxDelay: br.number("maxDelay"),
      jitter: br.oneOf("jitter", ["none", "full", "equal"]), maxAttempts: br.whole("maxAttempts"),
      maxElapsed: br.number("maxElapsed"), resetAfter: br.number("resetAfter"), retryFloor: br.number("retryFloor"),
    };
  }
  if (o.retry !== undefined && typeof o.retry !== "function") throw new TypeError("option `retry` must be a function");
  const idleTimeout = r.number("idleTimeout");
  const param = r.string("lastEventIdParam");
  const lastEventId = r.string("lastEventId");
  const maxEventSize = r.whole("maxEventSize");
  const pauseWhenHidden = r.boolean("pauseWhenHidden") ?? false;
  if (idleTimeout === 0) throw invalid("idleTimeout", "must be greater than zero");
  if (maxEventSize === 0) throw invalid("maxEventSize", "must be greater than zero");
  if (param === "") throw invalid("lastEventIdParam", "must not be empty");
  if (transport === "eventsource") {
    const fetchOnly = fixed.length || typeof headers === "function" ? "headers"
      : method !== "GET" ? "method" : body !== undefined ? "body" : credentials === "omit" ? "credentials" : null;
    if (fetchOnly) throw invalid(fetchOnly, "the browser's EventSource cannot do this; use the transport \"fetch\"");
  }
  // Resolved as the browser will, so that a bad URL fails here, not later.
  let resolved;
  try {
    const base = globalThis.location?.href;
    resolved = base === undefined ? new URL(url) : new URL(url, base);
  } catch {
    throw new SyntaxError(`TypedEventSource: "${url}" is not a valid URL`);
  }
  try {
    new Headers(fixed);
  } catch (e) {
    throw invalid("headers", message(e));
  }
  return {
    url: resolved.href, origin: resolved.origin, fetch: transport === "fetch", credentials,
    withCredentials: wantsCredentials || credentials === "include", method, body, param,
    headers: fixed, headersFn: typeof headers === "function" ? headers : undefined,
    ...b, retry: o.retry, idleTimeout, lastEventId, maxEventSize, pauseWhenHidden,
    online: globalThis.navigator?.onLine !== false,
    visible: globalThis.document?.visibilityState !== "hidden",
  };
}

// `EventSource`'s readyState values.
const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 2;

// The methods and accessors of `TypedEventSource`, put on the class the wasm module exports
// (see `install`); each goes to the source's driver.
class Methods {
  addEventListener(type, listener, options) {
    if (listener === null || listener === undefined) return;
    const d = driverOf(this);
    // For `open` and `error` too: a server's events of those names reach their listeners,
    // besides the stream's own open and errors.
    d.deliver(`${type}`);
    d.addListener(`${type}`, listener, options);
  }

  removeEventListener(type, listener, options) {
    driverOf(this).removeListener(`${type}`, listener, options);
  }

  // `event` goes to the listeners and `on...` attribute of its type (not to on()'s handlers,
  // which take the stream's JSON).
  dispatchEvent(event) {
    return driverOf(this).dispatchEvent(event);
  }

  // Calls `handler(data, event)` with each event of `type`, its data parsed with JSON.parse.
  on(type, handler) {
    const d = driverOf(this);
    d.deliver(`${type}`);
    d.addHandler(`${type}`, handler);
  }

  off(type, handler) {
    driverOf(this).removeHandler(`${type}`, handler);
  }

  get readyState() {
    return driverOf(this).readyState;
  }

  // The state with its attempt and next delay.
  get state() {
    const d = driverOf(this);
    return d.machine ? d.machine.state : d.lastState;
  }

  get url() {
    return driverOf(this).settings.url;
  }

  get withCredentials() {
    return driverOf(this).settings.withCredentials;
  }

  // The id of the last event received; inside a handler, the event's own, though the stream
  // has read past it.
  get lastEventId() {
    const d = driverOf(this);
    return d.current ?? (d.machine ? d.machine.lastEventId : d.lastId);
  }

  close() {
    driverOf(this).close();
  }

  reopen() {
    driverOf(this).reopen();
  }

  get CONNECTING() {
    return CONNECTING;
  }
  get OPEN() {
    return OPEN;
  }
  get CLOSED() {
    return CLOSED;
  }
}

// The `on...` attributes, each with the type of the server's events it makes the connection
// deliver (`onmessage`'s is always delivered; `onstatechange` takes no events).
for (const [name, type] of [["onopen", "open"], ["onmessage", "message"], ["onerror", "error"], ["onstatechange", null]]) {
  Object.defineProperty(Methods.prototype, name, {
    get() {
      return driverOf(this).attribute(name);
    },
    set(f) {
      driverOf(this).setAttribute(name, f, type);
    },
    configurable: true,
  });
}

// Puts `Methods` on the exported class's prototype, once.
let installed = false;
function install(proto) {
  if (installed) return;
  installed = true;
  const all = Object.getOwnPropertyDescriptors(Methods.prototype);
  delete all.constructor;
  Object.defineProperties(proto, all);
}

export class Driver {
  constructor(machine, settings) {
    this.machine = machine;
    // What `check` returned: `url`, `origin`, `fetch`, `credentials`, `withCredentials`,
    // `headers` (the fixed ones, as pairs), `headersFn`, `method`, `body` and `param` (the
    // last-event-id query parameter) among others.
    this.settings = settings;
    this.readyState = CONNECTING;
    this.lastState = null;
    this.lastId = "";
    // Event types delivered: a browser EventSource only dispatches those it listens for.
    this.types = ["message"];
    // The connection in use: `{ id, close, es? }`.
    this.conn = null;
    this.timer = null;
    this.timerAt = 0;
    // Removes the page-lifecycle listeners, while they are added.
    this.lifecycle = null;
    this.pumping = false;
    // Errors not yet dispatched. An error waits for the state change that follows it, so that
    // its listeners see `readyState` as it will be, as an EventSource's do (CLOSED when the
    // stream gives up); events after it, or the end of the input, deliver it too.
    this.errors = [];
    // Set by close(): the rest of a batch is not delivered.
    this.stopped = false;
    // The TypedEventSource (see `own`): weakly, and strongly while its stream is not closed.
    this.source = null;
    this.held = null;
    // The batch being delivered, and where in it the current event's ID is.
    this.batch = null;
    this.idStart = 0;
    this.idEnd = 0;
  }

  // The wasm module holds this object for as long as the TypedEventSource lives, so what this
  // object holds strongly lives as long. The source's listeners are kept on the source, not
  // here: a listener that refers to the source (to close it, say) would keep it alive for
  // ever. The source itself is held here while its stream is not closed, so that, as with
  // EventSource, an open stream that nothing else references goes on for its listeners. Once
  // it is closed, it is held only weakly: when the page lets go of it, it is collected, and
  // its wasm memory freed.
  own(source) {
    install(Object.getPrototypeOf(source));
    Object.defineProperty(source, LISTENERS, {
      value: { listeners: new Map(), handlers: new Map(), onopen: null, onmessage: null, onerror: null, onstatechange: null },
    });
    Object.defineProperty(source, DRIVER, { value: this });
    this.source = new WeakRef(source);
    this.held = source;
    this.watch();
    this.pump();
  }

  set live(live) {
    this.held = live ? this.source?.deref() ?? null : null;
  }

  // Gives the machine an input, then does what it asks; returns the input's result, or
  // undefined once the stream is released.
  input(f) {
    const m = this.machine;
    if (!m) return undefined;
    const r = f(m);
    this.pump();
    return r;
  }

  // Runs the machine's outputs in order. Not re-entrant: what a handler causes (a close, say)
  // is left to the loop that called it, so that no handler runs inside another.
  pump() {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (let m; (m = this.machine);) {
        const o = m.poll();
        if (o === undefined) break;
        if (typeof o === "string") {
          this.dispatchErrors();
          this.events(o);
        } else if (typeof o === "number") {
          if (this.conn?.id === o) this.teardown();
        } else if (Array.isArray(o)) {
          this.connect(o[0], o[1]);
        } else if (o instanceof Error) {
          this.errors.push(o);
        } else {
          this.changed(o);
        }
      }
      this.dispatchErrors();
    } finally {
      this.pumping = false;
    }
    this.rearm();
  }

  changed(state) {
    const ready = state.state === "open" ? OPEN : state.state === "closed" ? CLOSED : CONNECTING;
    const was = this.readyState;
    this.readyState = ready;
    this.lastState = state;
    if (ready === CLOSED) {
      this.live = false;
      this.unwatch();
    }
    this.dispatchErrors();
    if (ready === OPEN && was !== OPEN) this.open();
    this.state(state);
  }

  dispatchErrors() {
    if (!this.errors.length) return;
    const errors = this.errors;
    this.errors = [];
    for (const e of errors) this.error(e);
  }

  connect(id, lastEventId) {
    this.teardown();
    const s = this.settings;
    const url = s.param != null && lastEventId !== null ? withQuery(s.url, s.param, lastEventId) : s.url;
    try {
      this.conn = s.fetch ? this.fetch(id, url, lastEventId) : this.eventSource(id, url);
    } catch (e) {
      this.machine.fail(id, false, message(e));
    }
  }

  teardown() {
    const c = this.conn;
    this.conn = null;
    c?.close();
  }

  // The browser's own EventSource, closed at its first error: the machine decides whether and
  // when to reconnect, not the browser.
  eventSource(id, url) {
    const es = new EventSource(url, { withCredentials: this.settings.withCredentials });
    const conn = { id, es, types: new Set(), close: () => es.close() };
    // The browser's own `open` and `error` are plain events; a server's are MessageEvents.
    es.addEventListener("open", (e) => {
      if (!(e instanceof MessageEvent)) this.input((m) => m.response(id, 200, "text/event-stream", null));
    });
    es.addEventListener("error", (e) => {
      if (e instanceof MessageEvent) return;
      // CLOSED: the browser refused the response and gives up. CONNECTING: the stream ended
      // or broke and the browser would reconnect on its own schedule.
      const refused = es.readyState === CLOSED;
      es.close();
      this.input((m) => m.fail(id, refused, "the EventSource connection was lost"));
    });
    for (const t of this.types) this.listen(conn, t);
    return conn;
  }

  listen(conn, type) {
    if (conn.types.has(type)) return;
    conn.types.add(type);
    const check = type === "open" || type === "error";
    conn.es.addEventListener(type, (e) => {
      if (check && !(e instanceof MessageEvent)) return;
      this.input((m) => m.event(conn.id, type, e.data, e.lastEventId));
    });
  }

  // Makes the connection deliver events of `type` (a browser EventSource only dispatches the
  // types it listens for).
  deliver(type) {
    if (this.types.includes(type)) return;
    this.types.push(type);
    if (this.conn?.es) this.listen(this.conn, type);
  }

  // fetch with a streamed body, parsed by the machine; aborted through its controller.
  fetch(id, url, lastEventId) {
    const controller = new AbortController();
    const { signal } = controller;
    this.request(id, url, lastEventId, signal).catch((e) => {
      // An abort is the machine's own doing (the connection was replaced or closed).
      if (!signal.aborted) this.input((m) => m.fail(id, false, message(e)));
    });
    return { id, close: () => controller.abort() };
  }

  async request(id, url, lastEventId, signal) {
    const s = this.settings;
    const headers = new Headers({ Accept: "text/event-stream" });
    const dynamic = s.headersFn ? await callHeaders(s.headersFn) : [];
    if (signal.aborted) return;
    for (const [name, value] of [...s.headers, ...dynamic]) headers.set(name, value);
    if (lastEventId !== null) headers.set("Last-Event-ID", lastEventId);
    const response = await fetch(url, {
      method: s.method, headers, body: s.body, signal, cache: "no-store", credentials: s.credentials,
    });
    const h = response.headers;
    const wanted = this.input((m) => m.response(id, response.status, h.get("content-type"), h.get("retry-after")));
    if (!wanted) return;
    if (!response.body) {
      this.input((m) => m.end(id));
      return;
    }
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        this.input((m) => m.end(id));
        return;
      }
      if (!this.input((m) => m.bytes(id, value))) {
        reader.cancel().catch(() => {});
        return;
      }
    }
  }

  // Arms the timer for the machine's next deadline. A timer armed for an earlier deadline is
  // kept (it fires, finds nothing due and re-arms): the idle deadline moves with every chunk,
  // and re-arming on each would cost a setTimeout per event.
  rearm() {
    const wait = this.machine?.wait();
    if (wait === undefined) {
      this.clearTimer();
      return;
    }
    const at = performance.now() + wait;
    if (this.timer !== null && this.timerAt <= at) return;
    this.clearTimer();
    this.timerAt = at;
    // setTimeout may fire up to a millisecond early by `performance.now()`: round up.
    this.timer = setTimeout(() => {
      this.timer = null;
      this.input((m) => m.timeout());
    }, Math.min(Math.floor(wait) + 1, 2147483647));
  }

  clearTimer() {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  // Listens for the page's lifecycle: the network going and coming back, the page hidden and
  // shown, and its return from the back-forward cache.
  watch() {
    if (this.lifecycle) return;
    const offs = [];
    const on = (target, type, f) => {
      target.addEventListener(type, f);
      offs.push(() => target.removeEventListener(type, f));
    };
    on(globalThis, "online", () => this.input((m) => m.online(true)));
    on(globalThis, "offline", () => this.input((m) => m.online(false)));
    on(globalThis, "pageshow", (e) => {
      if (e.persisted) this.input((m) => m.restored());
    });
    const doc = globalThis.document;
    if (doc) on(doc, "visibilitychange", () => this.input((m) => m.visible(doc.visibilityState !== "hidden")));
    this.lifecycle = offs;
  }

  unwatch() {
    const offs = this.lifecycle;
    this.lifecycle = null;
    if (offs) for (const off of offs) off();
  }

  close() {
    // Inside a handler, the rest of its batch is dropped: a reopen resumes after the event
    // being handled, so that none is lost.
    const resume = this.current;
    this.stop(true);
    const m = this.machine;
    if (m) {
      m.close();
      this.pump();
      if (resume !== undefined) m.resumeAfter(resume);
    }
    this.readyState = CLOSED;
  }

  reopen() {
    const m = this.machine;
    if (!m) return;
    this.stop(false);
    this.watch();
    m.reopen();
    this.pump();
  }

  // `free()`: closes the stream, then lets go of everything, the machine's memory included.
  release() {
    const m = this.machine;
    if (!m) return;
    this.stop(true);
    m.close();
    this.pump();
    this.lastId = m.lastEventId;
    this.lastState = m.state;
    this.machine = null;
    this.teardown();
    this.clearTimer();
    this.unwatch();
    this.readyState = CLOSED;
    m.free();
  }

  // Nothing is delivered after close(); reopen() undoes it.
  stop(stopped) {
    this.stopped = stopped;
    this.live = !stopped;
    if (stopped) this.errors = [];
  }

  // The TypedEventSource; undefined before `own` and once it is gone.
  get target() {
    return this.held ?? this.source?.deref();
  }

  // The source's listeners; undefined before `own` and once the source is gone.
  get all() {
    return this.target?.[LISTENERS];
  }

  attribute(name) {
    return this.all?.[name] ?? null;
  }

  // Sets an `on...` attribute as EventTarget does: anything but an object or a function is
  // null. One for `open` or `error` makes the connection deliver a server's events of that type.
  setAttribute(name, f, type) {
    if (typeof f !== "function" && (typeof f !== "object" || f === null)) f = null;
    if (f && type) this.deliver(type);
    const all = this.all;
    if (all) all[name] = f;
  }

  addHandler(type, f) {
    const map = this.all.handlers;
    const list = map.get(type);
    if (!list) map.set(type, [f]);
    else if (!list.includes(f)) list.push(f);
  }

  removeHandler(type, f) {
    const list = this.all.handlers.get(type);
    const i = list ? list.indexOf(f) : -1;
    if (i >= 0) list.splice(i, 1);
  }

  // `addEventListener(type, listener, options)` as EventTarget takes it: a function or an
  // object with `handleEvent`; `capture`, `once` and `signal`; a listener already added with
  // the same capture flag is not added again.
  addListener(type, f, options) {
    const { capture, once, signal } = flags(options);
    if (signal?.aborted) return;
    const map = this.all.listeners;
    let list = map.get(type);
    if (!list) map.set(type, (list = []));
    const entry = { f, capture, once, removed: false };
    if (list.some((l) => l.f === f && l.capture === capture)) return;
    list.push(entry);
    signal?.addEventListener("abort", () => this.drop(list, entry), { once: true });
  }

  removeListener(type, f, options) {
    const list = this.all.listeners.get(type);
    const { capture } = flags(options);
    const entry = list?.find((l) => l.f === f && l.capture === capture);
    if (entry) this.drop(list, entry);
  }

  drop(list, entry) {
    entry.removed = true;
    const i = list.indexOf(entry);
    if (i >= 0) list.splice(i, 1);
  }

  // Calls the listeners of one event, then the `on...` attribute for its type if any, as
  // EventTarget does: in the order added, on a copy of the list (a listener may add others),
  // skipping any removed meanwhile, and a `once` listener removed before it is called.
  fire(list, attribute, event) {
    const source = this.target;
    if (list?.length) {
      for (const l of list.slice()) {
        if (l.removed) continue;
        if (l.once) this.drop(list, l);
        invoke(l.f, source, event);
      }
    }
    if (attribute) invoke(attribute, source, event);
  }

  // `dispatchEvent`: to the listeners and attribute of `event.type`, not to on()'s handlers.
  dispatchEvent(event) {
    const all = this.all;
    aim(event, this.target);
    if (all) this.fire(all.listeners.get(event.type), attributeOf(all, event.type), event);
    return !event.defaultPrevented;
  }

  // The last event ID of the event being handled, while a batch is delivered (the stream
  // itself is already past the whole batch); cut from the batch only when asked for.
  get current() {
    return this.batch === null ? undefined : this.batch.slice(this.idStart, this.idEnd);
  }

  // `batch` holds events as `type \r id \r data \r`, repeated: none of the three can hold a
  // CR, since the stream's lines end at one.
  events(batch) {
    const all = this.all;
    if (!all) return;
    let type = "";
    this.batch = batch;
    try {
      for (let i = 0; i < batch.length && !this.stopped;) {
        const a = batch.indexOf("\r", i);
        const b = batch.indexOf("\r", a + 1);
        const c = batch.indexOf("\r", b + 1);
        if (c < 0) break;
        // Most events share their type with the one before: keep that string.
        if (a - i !== type.length || !batch.startsWith(type, i)) type = batch.slice(i, a);
        this.idStart = a + 1;
        this.idEnd = b;
        this.event(all, type, batch.slice(b + 1, c));
        i = c + 1;
      }
    } finally {
      this.batch = null;
    }
  }

  messageEvent(type, data) {
    const event = new MessageEvent(type, { data, lastEventId: this.current, origin: this.origin });
    return aim(event, this.target);
  }

  event(all, type, data) {
    const listeners = all.listeners.get(type);
    const attribute = attributeOf(all, type);
    const handlers = all.handlers.get(type);
    // A MessageEvent costs more than the rest of the dispatch: it is built only for whoever can
    // receive it, which an on() handler declaring exactly one parameter cannot.
    let event = null;
    if (listeners?.length || attribute) {
      event = this.messageEvent(type, data);
      this.fire(listeners, attribute, event);
    }
    if (!handlers?.length) return;
    let value;
    try {
      value = JSON.parse(data);
    } catch (e) {
      this.error(new TypedEventSourceError("decode", `could not decode a \`${type}\` event: ${e.message}`, { eventType: type, data }));
      return;
    }
    // The common case, one handler, needs no copy of the list.
    if (handlers.length === 1) this.handle(handlers[0], type, data, value, event);
    else for (const f of handlers.slice()) event = this.handle(f, type, data, value, event);
  }

  // Calls an on() handler; returns the MessageEvent if one was built for it.
  handle(f, type, data, value, event) {
    if (f.length === 1) {
      call(f, value);
      return event;
    }
    event ??= this.messageEvent(type, data);
    call(f, value, event);
    return event;
  }

  open() {
    this.dispatchEvent(new Event("open"));
  }

  error(error) {
    if (this.stopped) return;
    this.dispatchEvent(new ErrorEvent("error", { message: error.message, error }));
  }

  state(state) {
    const f = this.all?.onstatechange;
    if (f) call(f, state);
  }
}
