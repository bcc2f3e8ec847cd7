// A live ticker on `typed-eventsource/react`: the latest price from the demo server's stream
// (or the stream named by `?sse=`), the connection state, and buttons that re-render, close,
// reopen, switch to another stream (a new URL: the hook reconnects once) and unmount the
// ticker (closing its stream). Every event re-renders the ticker with options written inline,
// a new object each time, and the stream stays the same.
import { StrictMode, useState } from "react";
import { createRoot } from "react-dom/client";
import { Ticker } from "./ticker";

const sse = new URLSearchParams(location.search).get("sse") ?? "/sse?scenario=react-ticker&event=price";

function App() {
  const [mounted, setMounted] = useState(true);
  const [renders, setRenders] = useState(0);
  const [url, setUrl] = useState(sse);
  return (
    <div>
      <button id="rerender" onClick={() => setRenders((n) => n + 1)}>re-render ({renders})</button>
      <button id="switch" onClick={() => setUrl(sse.replace("scenario=", "scenario=switched-"))}>switch stream</button>
      <button id="unmount" onClick={() => setMounted(false)}>unmount</button>
      {mounted ? <Ticker url={url} /> : null}
    </div>
  );
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
