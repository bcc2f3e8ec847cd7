// The webpack 5 build of the app (types stripped by esbuild into ../app.js), with webpack's
// defaults: the package's `new URL(..., import.meta.url)` becomes an emitted asset and its
// top-level await an async module, with no loader or plugin for wasm.
import { fileURLToPath } from "node:url";
import webpack from "webpack";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

webpack({
  mode: "production",
  entry: here("../app.js"),
  output: { path: here("dist"), filename: "app.js", clean: true },
  performance: { hints: false },
}).run((err, stats) => {
  if (err || stats.hasErrors() || stats.hasWarnings()) {
    console.error(err ?? stats.toString({ all: false, errors: true, warnings: true }));
    process.exit(1);
  }
});
