/// <reference lib="esnext.disposable" />
// `typed-eventsource/testing` (testing.js): what `typed-eventsource` exports, and `Script`.
export * from "./testing/typed_eventsource.js";
