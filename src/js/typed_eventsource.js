// @ts-check
// The npm package's TypedEventSource: a real EventTarget over the crate's Rust stream
// (src/web), which connects, arms the timer, follows the page's lifecycle and decides
// everything. This file turns what the stream hands it into DOM events and on() calls.

/**
 * The Rust stream behind a TypedEventSource (`Stream` in src/js/mod.rs).
 * @typedef {{ close(resume?: string): void, reopen(): void, listen(type: string): void,
 *   reset(): void, free(): void, readonly state: object, readonly lastEventId: string,
 *   readonly reconnectionTime: number, readonly url: string, readonly origin: string,
 *   readonly withCredentials: boolean }} Stream
 * What the stream hands over: 0, a batch of events; 1, errors; 2, a state and the errors
 * that led to it.
 * @typedef {(kind: number, value: any, errors?: Error[]) => void} Sink
 */

export class TypedEventSourceError extends Error {
  /** @param {string} kind @param {string} message @param {object} details */
  constructor(kind, message, details) {
    super(message);
    this.name = "TypedEventSourceError";
    this.kind = kind;
    Object.assign(this, details);
  }
}

/** @type {((sink: Sink, url: unknown, options: unknown, readable?: ReadableStream) => Stream) | undefined} */
let openStream;
/** The stream fromReadableStream() hands to the constructor it calls. @type {ReadableStream | undefined} */
let readableArg;

/** Called once by the wasm module as it starts (src/js/mod.rs). @param {typeof openStream} f */
export function provide(f) {
  openStream = f;
}

// Open sources are held here, as the browser holds an open EventSource: one that nothing else
// references goes on for its listeners. A closed one is not, so it is garbage-collected, and
// the wasm memory of its stream freed, once the page lets go of it.
const live = new Set();

const [CONNECTING, OPEN, CLOSED] = [0, 1, 2];

/** @param {unknown} e */
const report = (e) => (globalThis.reportError ?? console.error)(e);

export class TypedEventSource extends EventTarget {
  static CONNECTING = CONNECTING;
  static OPEN = OPEN;
  static CLOSED = CLOSED;

  /** @type {Stream | null} */ #stream = null;
  #ready = CONNECTING;
  /** @type {any} */ #lastState = null;
  #lastId = "";
  /** on()'s handlers by type. @type {Map<string, Function[]>} */ #handlers = new Map();
  /** Types whose events the stream hands over. */ #delivered = new Set(["message"]);
  /** Types with a listener or an attribute, for which a MessageEvent is built. */ #listened = new Set();
  /** @type {Record<string, any>} */ #attributes = {};
  /** @type {Record<string, EventListener>} */ #wrappers = {};
  /** The batch being delivered, and where the current event's id is in it. */
  /** @type {string | null} */ #batch = null;
  #idAt = 0;
  #idEnd = 0;
  /** Counts close() calls: a batch stops once its close has come. */ #closes = 0;
  /** What the iterators of events() watch: each state, and close(). @type {Set<(state: any) => void>} */
  #watchers = new Set();

  /**
   * @param {string | URL} url
   * @param {object} [options]
   */
  constructor(url, options) {
    super();
    if (!openStream) throw new Error("typed-eventsource: call init() before new TypedEventSource()");
    // The URL is converted to a string as the browser's EventSource converts it (an object's
    // toString(), a number), before anything else.
    const me = new WeakRef(this);
    const readable = readableArg;
    readableArg = undefined;
    // What escapes #receive (which reports its listeners' exceptions itself) would be lost in
    // the stream, which goes on: it is reported here instead.
    const sink = /** @type {Sink} */ ((kind, value, errors) => {
      try {
        me.deref()?.#receive(kind, value, errors);
      } catch (e) {
        report(e);
      }
    });
    this.#stream = openStream(sink, `${url}`, options, readable);
    live.add(this);
    // `signal` (checked by options.js): aborting it closes the source, as it cancels a fetch.
    /** @type {AbortSignal | undefined} */
    const signal = /** @type {any} */ (options)?.signal;
    if (signal?.aborted) this.close();
    else signal?.addEventListener("abort", () => me.deref()?.close(), { once: true });
  }

  /**
   * A source that parses what `stream` carries (bytes, or strings) and dispatches it, as the
   * WHATWG proposal `EventSource.fromReadableStream()` does: the app does the networking.
   * Its url is `about:event-stream`; the stream's end or error fires one `error` and closes
   * it, with no reconnection.
   * @param {ReadableStream} stream @param {object} [options]
   */
  static fromReadableStream(stream, options) {
    if (!(stream instanceof ReadableStream)) {
      throw new TypeError("TypedEventSource.fromReadableStream: the first argument must be a ReadableStream");
    }
    readableArg = stream;
    try {
      return new this("about:event-stream", options);
    } finally {
      readableArg = undefined;
    }
  }

  /**
   * A one-shot POST, as a model API streams its answer: sends `body` over the fetch transport
   * and dispatches the events of the response, whose end closes the source
   * (`state.reason.kind === "completed"`); a broken connection is resumed only once an event
   * with an id has arrived.
   * @param {string | URL} url @param {string} body @param {object} [options]
   */
  static post(url, body, options) {
    return new this(url, { ...options, transport: "fetch", method: "POST", body, oneShot: true });
  }

  get CONNECTING() { return CONNECTING; }
  get OPEN() { return OPEN; }
  get CLOSED() { return CLOSED; }
  get readyState() { return this.#ready; }
  get url() { return this.#stream?.url ?? ""; }
  get withCredentials() { return this.#stream?.withCredentials ?? false; }
  /** The state with its attempt and next delay. */
  get state() { return this.#stream?.state ?? this.#lastState; }
  /** How the connection is shared: "own", "page", "holder", "follower" or "unavailable". */
  get sharing() { return this.#stream?.sharing ?? "own"; }

  /** The server's last `retry:` in ms as it sent it, else the back-off's initial delay. */
  get reconnectionTime() { return this.#stream?.reconnectionTime ?? 0; }

  /** Discards what the parser holds of an event not yet complete, before a fresh stream is piped in. */
  reset() { this.#stream?.reset(); }

  /** The id of the last event received; inside a handler, that of the event being handled. */
  get lastEventId() {
    if (this.#batch !== null) return this.#batch.slice(this.#idAt, this.#idEnd);
    return this.#stream?.lastEventId ?? this.#lastId;
  }

  get onopen() { return this.#attributes.open ?? null; }
  set onopen(f) { this.#setAttribute("open", f); }
  get onmessage() { return this.#attributes.message ?? null; }
  set onmessage(f) { this.#setAttribute("message", f); }
  get onerror() { return this.#attributes.error ?? null; }
  set onerror(f) { this.#setAttribute("error", f); }
  get onstatechange() { return this.#attributes.statechange ?? null; }
  set onstatechange(f) { this.#setAttribute("statechange", f); }

  /** @type {EventTarget["addEventListener"]} */
  addEventListener(type, listener, options) {
    super.addEventListener(type, listener, options);
    if (listener != null) this.#listen(`${type}`);
  }

  /**
   * Calls `handler(data, event)` with each event of `type`, its data parsed with JSON.parse.
   * @param {string} type @param {Function} handler
   */
  on(type, handler) {
    if (typeof handler !== "function") throw new TypeError("TypedEventSource.on: the handler must be a function");
    type = `${type}`;
    this.#deliver(type);
    const list = this.#handlers.get(type);
    if (!list) this.#handlers.set(type, [handler]);
    else if (!list.includes(handler)) list.push(handler);
  }

  /** @param {string} type @param {Function} handler */
  off(type, handler) {
    const list = this.#handlers.get(`${type}`);
    const i = list ? list.indexOf(handler) : -1;
    if (list && i >= 0) list.splice(i, 1);
  }

  /**
   * The events of `type`, their data parsed with JSON.parse, as an async iterator:
   * `for await (const price of source.events("price"))`. Events that arrive between two steps
   * wait for the next. It ends when the source closes, after the events that came before; when
   * the source gave up on a failure, that error is thrown. Leaving the loop (`break`, `return`,
   * an exception) closes the source; close() ends it at once.
   * @param {string} [type]
   */
  events(type = "message") {
    /** @type {unknown[]} */
    const queue = [];
    let head = 0;
    /** @type {(() => void) | null} */
    let wake = null;
    let ended = false;
    /** @type {unknown} */
    let failure = null;
    const handler = (/** @type {unknown} */ value) => {
      queue.push(value);
      wake?.();
    };
    const watch = (/** @type {any} */ state) => {
      if (state === null) {
        // close(): nothing more, not even what waits.
        queue.length = head = 0;
      } else if (state.state !== "closed") {
        return;
      } else if (state.reason?.kind === "failed") {
        failure = state.reason.error;
      }
      ended = true;
      wake?.();
    };
    const stop = () => {
      ended = true;
      this.off(type, handler);
      this.#watchers.delete(watch);
    };
    this.on(type, handler);
    this.#watchers.add(watch);
    if (this.#ready === CLOSED) watch(null);
    const source = this;
    return {
      async next() {
        for (;;) {
          if (head < queue.length) {
            const value = queue[head++];
            if (head === queue.length) queue.length = head = 0;
            return { value, done: false };
          }
          if (ended) {
            stop();
            const f = failure;
            failure = null;
            if (f) throw f;
            return { value: undefined, done: true };
          }
          await new Promise((resolve) => (wake = () => resolve(undefined)));
          wake = null;
        }
      },
      async return() {
        stop();
        source.close();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  /** `for await (const data of source)`: the `message` events, as events("message"). */
  [Symbol.asyncIterator]() {
    return this.events("message");
  }

  close() {
    for (const watch of this.#watchers) watch(null);
    this.#closes++;
    this.#ready = CLOSED;
    live.delete(this);
    // Inside a handler the rest of its batch is dropped: a reopen resumes after this event.
    this.#stream?.close(this.#batch === null ? undefined : this.lastEventId);
  }

  reopen() {
    if (!this.#stream) return;
    live.add(this);
    this.#stream.reopen();
  }

  /** Closes the stream and frees its wasm memory at once. */
  free() {
    const s = this.#stream;
    if (!s) return;
    this.close();
    this.#lastState = s.state;
    this.#lastId = s.lastEventId;
    this.#stream = null;
    s.free();
  }

  /** @param {string} type */
  #listen(type) {
    this.#listened.add(type);
    this.#deliver(type);
  }

  /** @param {string} type */
  #deliver(type) {
    if (this.#delivered.has(type)) return;
    this.#delivered.add(type);
    this.#stream?.listen(type);
  }

  // An `on...` attribute is one listener, added when first set and removed when set to null,
  // as EventTarget's event handler attributes are. `onstatechange` takes states, not events.
  /** @param {string} type @param {any} f */
  #setAttribute(type, f) {
    f = typeof f === "function" || (typeof f === "object" && f !== null) ? f : null;
    const had = this.#attributes[type];
    this.#attributes[type] = f;
    if (type === "statechange" || !f === !had) return;
    const wrapper = (this.#wrappers[type] ??= (e) => this.#attributes[type]?.call(this, e));
    if (f) this.addEventListener(type, wrapper);
    else this.removeEventListener(type, wrapper);
  }

  /** @param {number} kind @param {any} value @param {Error[]} [errors] */
  #receive(kind, value, errors) {
    if (kind === 0) return this.#events(value);
    if (kind === 1) return this.#errors(value);
    // A state: its errors see readyState as it leaves them (CLOSED when the stream gave up).
    const ready = value.state === "open" ? OPEN : value.state === "closed" ? CLOSED : CONNECTING;
    const was = this.#ready;
    this.#ready = ready;
    if (ready === CLOSED) live.delete(this);
    else live.add(this);
    if (errors) this.#errors(errors);
    for (const watch of this.#watchers) watch(value);
    if (ready === OPEN && was !== OPEN) this.dispatchEvent(new Event("open"));
    try {
      this.#attributes.statechange?.call(this, value);
    } catch (e) {
      report(e);
    }
  }

  /** @param {Error[]} errors */
  #errors(errors) {
    for (const error of errors) this.dispatchEvent(new ErrorEvent("error", { message: error.message, error }));
  }

  // `batch` holds `id \r data \r` for each event, and `\n type \r` before each event of a type
  // other than the one before it (`Batch` in src/js/mod.rs).
  /** @param {string} batch */
  #events(batch) {
    const closes = this.#closes;
    const origin = this.#stream?.origin ?? "";
    let type = "";
    this.#batch = batch;
    try {
      for (let i = 0; i < batch.length && this.#closes === closes;) {
        if (batch.charCodeAt(i) === 10) {
          const a = batch.indexOf("\r", i);
          type = batch.slice(i + 1, a);
          i = a + 1;
          continue;
        }
        const b = batch.indexOf("\r", i);
        const c = batch.indexOf("\r", b + 1);
        if (c < 0) break;
        this.#idAt = i;
        this.#idEnd = b;
        this.#event(type, batch.slice(b + 1, c), origin, closes);
        i = c + 1;
      }
    } finally {
      this.#batch = null;
    }
  }

  /** @param {string} type @param {string} data @param {string} origin @param {number} closes */
  #event(type, data, origin, closes) {
    // A MessageEvent costs more than the rest of the dispatch: it is built only for whoever
    // can receive it, which an on() handler declaring exactly one parameter cannot.
    /** @type {MessageEvent | undefined} */
    let event;
    if (this.#listened.has(type)) this.dispatchEvent(event = new MessageEvent(type, { data, origin, lastEventId: this.lastEventId }));
    const handlers = this.#handlers.get(type);
    if (handlers === undefined || handlers.length === 0 || this.#closes !== closes) return;
    let value;
    try {
      value = JSON.parse(data);
    } catch (e) {
      // One event's data, not the connection: never an `error` event.
      const error = new TypedEventSourceError("decode", `could not decode a \`${type}\` event: ${/** @type {Error} */ (e).message}`, { eventType: type, data });
      if (this.#listened.has("decodeerror")) this.dispatchEvent(new ErrorEvent("decodeerror", { message: error.message, error }));
      else report(error);
      return;
    }
    if (handlers.length === 1) return this.#call(handlers[0], value, event, type, data, origin);
    for (const f of handlers.slice()) {
      if (this.#closes !== closes) return;
      event = this.#call(f, value, event, type, data, origin);
    }
  }

  /**
   * Calls one on() handler; returns the MessageEvent if one was built for it.
   * @param {Function} f @param {unknown} value @param {MessageEvent | undefined} event
   * @param {string} type @param {string} data @param {string} origin
   */
  #call(f, value, event, type, data, origin) {
    try {
      if (f.length === 1) f(value);
      else f(value, event ??= new MessageEvent(type, { data, origin, lastEventId: this.lastEventId }));
    } catch (e) {
      report(e);
    }
    return event;
  }
}

// Explicit resource management (`using`, `await using`), where the engine has its symbols:
// leaving the scope closes the source.
/** @type {any} */
const proto = TypedEventSource.prototype;
/** @this {TypedEventSource} */
function dispose() {
  this.close();
}
/** @this {TypedEventSource} */
async function asyncDispose() {
  this.close();
}
for (const [symbol, value] of /** @type {const} */ ([["dispose", dispose], ["asyncDispose", asyncDispose]])) {
  const key = /** @type {any} */ (Symbol)[symbol];
  if (typeof key === "symbol") Object.defineProperty(proto, key, { value, writable: true, configurable: true });
}
