// The React app's Vite build. React's development build, in which StrictMode mounts each
// component twice, so that the test sees the hook survive it.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  // Served from /react/dist/.
  base: "./",
  mode: "development",
  define: { "process.env.NODE_ENV": JSON.stringify("development") },
  build: { outDir: "dist", emptyOutDir: true, minify: false },
});
