// @ts-check
// The browser's own EventSource, kept as this module loads, before a page can put another
// class in its place: with `globalThis.EventSource = TypedEventSource` (polyfill-style use),
// the EventSource transport would otherwise construct the class itself, and recurse.
const Native = globalThis.EventSource;

/** @param {string} url @param {EventSourceInit} init */
export function openEventSource(url, init) {
  return new Native(url, init);
}
