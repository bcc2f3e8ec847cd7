// @ts-check
// `typed-eventsource/react`: `useEventSource`, a TypedEventSource tied to a component's life.
// It imports the package (and its wasm) only in an effect, so server rendering never loads it,
// and it opens one stream per URL and options: options written inline, a new object each
// render, are compared by what they say, and their functions are called as of the latest
// render without reopening anything.
import { useCallback, useEffect, useRef, useState } from "react";

/** @typedef {import("./react.js").UseEventSourceOptions<Record<string, unknown>>} Options */

/**
 * What the options say: their JSON, with each function a placeholder (so adding or removing
 * one reopens, and a new arrow function each render does not).
 * @param {string} url @param {Options} options
 */
const keyOf = (url, options) =>
  JSON.stringify([url, options], (_key, v) => (typeof v === "function" ? "(function)" : v));

/**
 * The options for the stream, with each function calling the latest render's.
 * @param {Options} options @param {{ current: Options }} latest
 */
function stable(options, latest) {
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const [name, value] of Object.entries(options)) {
    out[name] = typeof value === "function"
      ? (/** @type {unknown[]} */ ...args) => /** @type {Record<string, Function>} */ (latest.current)[name](...args)
      : value;
  }
  return out;
}

/** @returns {import("./react.js").UseEventSourceResult<Record<string, unknown>>["state"]} */
const connecting = () => ({ state: "connecting", attempt: 0, delay: null });

/**
 * @param {string | URL} url
 * @param {Options} [options]
 */
export function useEventSource(url, options = {}) {
  const href = String(url);
  const { events = ["message"], ...init } = options;
  const key = keyOf(href, options);
  const latest = useRef(init);
  latest.current = init;
  const [snapshot, setSnapshot] = useState(() => ({ key, data: {}, state: connecting(), error: null }));
  /** @type {{ current: import("./index.js").TypedEventSource | null }} */
  const source = useRef(null);

  useEffect(() => {
    let gone = false;
    /** @type {import("./index.js").TypedEventSource | null} */
    let es = null;
    // What a stream under another URL or options said does not carry over.
    setSnapshot((s) => (s.key === key ? s : { key, data: {}, state: connecting(), error: null }));
    import("./index.js").then(
      ({ TypedEventSource }) => {
        // Unmounted (or remounted, as StrictMode does) before the module was ready.
        if (gone) return;
        // Components that show one stream share its connection (unless `share: false`; a
        // one-shot stream is one request of its own), and one mounted late shows the latest
        // values at once.
        es = new TypedEventSource(href, { share: !init.oneShot, replayLatest: true, ...stable(init, latest) });
        source.current = es;
        const update = (/** @type {(s: any) => object} */ f) => setSnapshot((s) => ({ ...s, ...f(s) }));
        for (const type of events) es.on(type, (value) => update((s) => ({ data: { ...s.data, [type]: value } })));
        es.onstatechange = (state) => update(() => ({ state }));
        // A connection this component shares may be open already: its state, at once.
        const now = es.state;
        update(() => ({ state: now }));
        const failed = (/** @type {Event} */ e) => {
          // A server's event named "error" is a MessageEvent, not a failure.
          if (e instanceof ErrorEvent) update(() => ({ error: e.error }));
        };
        es.addEventListener("error", failed);
        es.addEventListener("decodeerror", failed);
      },
      (error) => setSnapshot((s) => ({ ...s, error })),
    );
    return () => {
      gone = true;
      es?.close();
      source.current = null;
    };
    // `key` stands for the URL and the options.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);

  const close = useCallback(() => source.current?.close(), []);
  const reopen = useCallback(() => source.current?.reopen(), []);
  const current = snapshot.key === key ? snapshot : { data: {}, state: connecting(), error: null };
  return { data: current.data, state: current.state, error: current.error, close, reopen };
}
