// The React ticker, built by Vite with its defaults. `cargo xtask test` builds it from the
// installed npm package with `NODE_ENV=development` (React's development build, where StrictMode
// mounts each component twice, so that the test sees the hook survive it).
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  // Served from any folder.
  base: "./",
  build: { outDir: "dist", emptyOutDir: true },
});
