// The Vite build of the app, with Vite's defaults: no plugin for wasm, no alias. The package
// comes from node_modules, where `npm install` of the packed tarball put it.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  // Served from /vite/dist/.
  base: "./",
  build: { outDir: "dist", emptyOutDir: true },
});
