/// <reference lib="esnext.disposable" />
// The npm package's entry point (index.js): the module, already initialised. The reference
// above types `Symbol.dispose` for `using source = new TypedEventSource(...)`, as @types/node
// does, whatever the app's `lib`.
export * from "./typed_eventsource.js";
export { default, initSync } from "./typed_eventsource.js";
