// A small app built by Vite from the bundler package, as a front-end project would use it.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import wasm from "vite-plugin-wasm";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here("."),
  plugins: [wasm()],
  resolve: { alias: { "typed-eventsource": here("../../target/pkg/bundler") } },
  build: { outDir: here("../../target/vite-app"), emptyOutDir: true, target: "esnext" },
});
