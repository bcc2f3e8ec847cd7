// The npm package's entry point (index.js): the module, already initialised.
export * from "./typed_eventsource.js";
export { default, initSync } from "./typed_eventsource.js";
