// @ts-check
// The browser's own EventSource, kept as this module loads, before a page can put another
// class in its place: with `globalThis.EventSource = TypedEventSource` (polyfill-style use),
// the EventSource transport would otherwise construct the class itself, and recurse.
const Native = globalThis.EventSource;

/** @param {string} url @param {EventSourceInit} init */
export function openEventSource(url, init) {
  return new Native(url, init);
}

/**
 * Whether the server of `url` refuses this page, after `fetch` failed with the TypeError it
 * gives a CORS failure and a lost network alike. The browser's EventSource tells them apart:
 * it fails the connection (CLOSED) when the server answered and refused it (CORS, or a status
 * or content type without CORS), and reconnects (CONNECTING) when the network failed. If it
 * opens, the server lets the page in and what failed was the request's own (a preflight for
 * its headers, or a moment's network error): not a refusal, so it is retried. Where there is
 * no EventSource (a service worker), a request without CORS asks whether the server answers
 * at all (unless the page requires CORP of what it loads). Resolves false once `signal`
 * aborts.
 * @param {string} url @param {boolean} withCredentials @param {AbortSignal} signal
 * @returns {Promise<boolean>}
 */
export function refused(url, withCredentials, signal) {
  if (typeof Native !== "function") {
    const credentials = withCredentials ? "include" : "same-origin";
    return fetch(url, { mode: "no-cors", cache: "no-store", credentials, signal }).then(() => true, () => false);
  }
  return new Promise((resolve) => {
    const es = new Native(url, { withCredentials });
    const done = (/** @type {boolean} */ answered) => {
      es.close();
      signal.removeEventListener("abort", aborted);
      resolve(answered);
    };
    const aborted = () => done(false);
    signal.addEventListener("abort", aborted);
    es.onopen = () => done(false);
    es.onerror = () => done(es.readyState === Native.CLOSED);
  });
}

/** Whether tabs can share a connection here: Web Locks and BroadcastChannel (a secure context). */
export function tabsAvailable() {
  return typeof BroadcastChannel === "function" && typeof navigator === "object" && !!navigator.locks;
}

/**
 * Asks for the Web Lock `name`. `granted(release)` runs once this tab holds it, and the tab holds
 * it until it calls `release()` or goes (closed, reloaded, crashed: the browser frees it).
 * Aborting `signal` withdraws a request not yet granted.
 * @param {string} name @param {AbortSignal} signal @param {(release: () => void) => void} granted
 */
export function requestLock(name, signal, granted) {
  navigator.locks.request(name, { signal }, () => new Promise((release) => granted(() => release(undefined))))
    .catch(() => {});
}
