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
  // Vitest (ticker.test.tsx): the package is run through Vite rather than by Node as it is, so
  // that the test's `vi.mock("typed-eventsource", ...)` reaches the hook's own import of it.
  test: { server: { deps: { inline: ["typed-eventsource"] } } },
});
