// `typed-eventsource/testing`: the package built with the test kit (a module of its own, so
// that a page never loads it), for an app's tests in Vitest or another runner of ES modules on
// Node, with or without a DOM environment. It exports what `typed-eventsource` does, and
// `Script`: installed, every TypedEventSource the app opens connects through it (README,
// "Testing your app"). An app's test points its imports of `typed-eventsource` here:
//   vi.mock("typed-eventsource", () => import("typed-eventsource/testing"));
import init, { initSync } from "./testing/typed_eventsource.js";

if (typeof process === "object" && process.versions?.node) {
  // Node, and test runners on it (in a DOM environment too), where fetch() reads no files: the
  // module is read beside this file. (Not `new URL(..., import.meta.url)` written out, which
  // Vite, running the package for Vitest, would turn into a dev server's address.)
  const { readFileSync } = await import("node:fs");
  const here = import.meta.url;
  initSync({ module: readFileSync(new URL("./testing/typed_eventsource_bg.wasm", here)) });
} else {
  await init();
}

// Node before 22 has no ErrorEvent, which the class fires its errors as: a minimal one, with
// the fields the class sets, where the environment lacks it.
globalThis.ErrorEvent ??= class ErrorEvent extends Event {
  /** @param {string} type @param {ErrorEventInit} [init] */
  constructor(type, init) {
    super(type, init);
    this.message = init?.message ?? "";
    this.error = init?.error;
  }
};

export * from "./testing/typed_eventsource.js";
