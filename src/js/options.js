// @ts-check
// Reads the options object of `new TypedEventSource(url, options)`, field by field: a wrong
// type or a negative number throws a TypeError naming the option. An unknown name is ignored
// with a warning, as the browser's EventSource ignores members it does not know (code written
// for other EventSource libraries passes their options). What the
// values mean (a zero timeout, headers the browser's EventSource cannot send, a bad URL) is
// checked once, by the Rust builder the stream is made with (src/js/options.rs).

// The names the options take, and those of `options.backoff`.
const KNOWN = ["transport", "withCredentials", "credentials", "headers", "method", "body", "backoff", "retry",
  "idleTimeout", "lastEventIdParam", "lastEventId", "maxEventSize", "pauseWhenHidden", "signal",
  "oneShot", "unfinished", "resume", "isReplay", "share", "replayLatest"];
const BACKOFF = ["initialDelay", "factor", "maxDelay", "jitter", "maxAttempts", "maxElapsed", "resetAfter", "retryFloor",
  "serverMax"];

/** `"a", "b" or "c"` @param {string[]} list */
const either = (list) => list.map((v) => `"${v}"`).join(", ").replace(/, ([^,]*)$/, " or $1");

/**
 * The fields of one options object, each read and checked.
 * @param {Record<string, any>} obj @param {string} prefix @param {string[]} known
 */
function reader(obj, prefix, known) {
  const unknown = Object.keys(obj).filter((k) => !known.includes(k) && obj[k] !== undefined);
  if (unknown.length) console.warn(`TypedEventSource: ignored unknown option ${unknown.map((k) => `\`${prefix}${k}\``).join(", ")}; known: ${known.join(", ")}`);
  /** @param {string} name @param {string} what */
  const bad = (name, what) => new TypeError(`option \`${prefix}${name}\` must be ${what}`);
  /** @param {string} name @param {(v: any) => boolean} ok @param {string} what */
  const get = (name, ok, what) => {
    const v = obj[name];
    if (v !== undefined && !ok(v)) throw bad(name, what);
    return v;
  };
  const r = {
    value: get,
    /** @param {string} name */
    string: (name) => get(name, (v) => typeof v === "string", "a string"),
    /** @param {string} name */
    boolean: (name) => get(name, (v) => typeof v === "boolean", "a boolean"),
    /** @param {string} name */
    number: (name) => get(name, (v) => typeof v === "number" && Number.isFinite(v) && v >= 0, "a finite number, not negative"),
    /** @param {string} name */
    whole: (name) => get(name, (v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff, "a whole number"),
    /** @param {string} name @param {string[]} list */
    oneOf: (name, list) => {
      const v = r.string(name);
      if (v !== undefined && !list.includes(v)) throw bad(name, `${either(list)}, not "${v}"`);
      return v;
    },
  };
  return r;
}

/**
 * Header pairs from an object of strings: the `headers` option, or what its function returns.
 * @param {unknown} v @returns {[string, string][]}
 */
export function pairs(v) {
  if (typeof v !== "object" || v === null) throw new TypeError("option `headers` must be an object of strings or a function");
  const out = Object.entries(v);
  if (out.some(([, value]) => typeof value !== "string")) throw new TypeError("option `headers` must map names to strings");
  return out;
}

/**
 * The request the `resume` option's function returned for a resumption, read: each of
 * `method` (default "GET"), `url`, `headers` and `body` may be left out.
 * @param {unknown} v
 */
export function resumeRequest(v) {
  if (typeof v !== "object" || v === null) throw new TypeError("the `resume` function must return an object: { method, url, headers, body }");
  const r = reader(v, "resume().", ["method", "url", "headers", "body"]);
  const o = /** @type {Record<string, unknown>} */ (v);
  return {
    method: r.string("method") ?? "GET", url: o.url === undefined ? undefined : `${o.url}`, body: r.string("body"),
    headers: o.headers === undefined ? [] : pairs(o.headers),
  };
}

/**
 * The options, read; throws before anything is opened.
 * @param {unknown} options
 */
export function check(options) {
  const o = options ?? {};
  if (typeof o !== "object") throw new TypeError("options must be an object");
  const r = reader(o, "", KNOWN);
  const credentials = r.oneOf("credentials", ["omit", "same-origin", "include"]) ??
    // Converted as the browser's EventSourceInit converts it: any truthy value.
    (o.withCredentials ? "include" : "same-origin");
  const headers = o.headers;
  /** @type {Record<string, any>} */
  let backoff = {};
  if (o.backoff !== undefined) {
    if (typeof o.backoff !== "object" || o.backoff === null) throw new TypeError("option `backoff` must be an object");
    const b = reader(o.backoff, "backoff.", BACKOFF);
    backoff = Object.fromEntries(BACKOFF.map((k) => [k, k === "jitter" ? b.oneOf(k, ["none", "full", "equal"])
      : k === "maxAttempts" ? b.whole(k) : b.number(k)]));
  }
  if (o.retry !== undefined && typeof o.retry !== "function") throw new TypeError("option `retry` must be a function");
  if (o.resume !== undefined && typeof o.resume !== "function") throw new TypeError("option `resume` must be a function");
  if (o.isReplay !== undefined && typeof o.isReplay !== "function") throw new TypeError("option `isReplay` must be a function");
  // Read by the class itself (typed_eventsource.js): aborting it closes the source.
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new TypeError("option `signal` must be an AbortSignal");
  return {
    ...backoff, fetch: r.oneOf("transport", ["eventsource", "fetch"]) === "fetch", credentials,
    headers: headers === undefined || typeof headers === "function" ? [] : pairs(headers),
    headersFn: typeof headers === "function" ? headers : undefined, method: r.string("method"), body: r.string("body"),
    retry: o.retry, idleTimeout: r.number("idleTimeout"), param: r.string("lastEventIdParam"),
    lastEventId: r.string("lastEventId"), maxEventSize: r.whole("maxEventSize"), pauseWhenHidden: r.boolean("pauseWhenHidden") ?? false,
    oneShot: r.boolean("oneShot") ?? false,
    share: r.value("share", (v) => typeof v === "boolean" || v === "tabs", 'true, false or "tabs"') ?? false,
    replayLatest: r.boolean("replayLatest") ?? false, unfinished: r.oneOf("unfinished", ["discard", "dispatch"]), resume: o.resume, isReplay: o.isReplay,
  };
}
