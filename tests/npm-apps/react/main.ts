// A React app on `typed-eventsource/react`, built by Vite from the installed package and run
// under StrictMode (which mounts every component twice in development builds of React; the
// test builds it so, see vite.config.mjs). Every event re-renders the ticker with options
// written inline, a new object each time.
import { StrictMode, createElement as h, useState } from "react";
import { createRoot } from "react-dom/client";
import { useEventSource } from "typed-eventsource/react";

interface Price { seq: number; type: "price"; text: string }

const sse = new URLSearchParams(location.search).get("sse") ?? "/sse";

function Ticker({ url }: { url: string }) {
  const { data, state, error, close, reopen } = useEventSource<{ price: Price }>(url, {
    transport: "fetch",
    events: ["price"],
    backoff: { initialDelay: 100 },
    retry: (_error, retry) => retry,
  });
  return h(
    "div",
    null,
    h("p", null, "State: ", h("span", { id: "state" }, state.state)),
    h("p", null, "Price: ", h("span", { id: "price" }, data.price ? `${data.price.seq}: ${data.price.text}` : "")),
    h("p", null, "Error: ", h("span", { id: "error" }, error ? error.message : "")),
    h("button", { id: "close", onClick: close }, "close"),
    h("button", { id: "reopen", onClick: reopen }, "reopen"),
  );
}

function App() {
  const [mounted, setMounted] = useState(true);
  const [renders, setRenders] = useState(0);
  return h(
    "div",
    null,
    h("button", { id: "rerender", onClick: () => setRenders((n) => n + 1) }, `re-render (${renders})`),
    h("button", { id: "unmount", onClick: () => setMounted(false) }, "unmount"),
    mounted ? h(Ticker, { url: sse }) : null,
  );
}

createRoot(document.getElementById("root")!).render(h(StrictMode, null, h(App)));
