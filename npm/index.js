// The npm package's entry point: the module, initialised. Importing it loads the wasm once,
// through top-level await, from `typed_eventsource_bg.wasm` beside the module, found with
// `new URL(..., import.meta.url)`: Vite and webpack 5 see that and emit the file with the
// bundle, a page without a bundler fetches it from where the package is served, and after
// esbuild the file is copied beside the bundle (README, "Installing from npm").
import init from "./typed_eventsource.js";

await init();

export * from "./typed_eventsource.js";
// `init()` again resolves at once; it stays exported for code written for an explicit init.
export { default, initSync } from "./typed_eventsource.js";
