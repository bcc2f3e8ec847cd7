// A live ticker on `typed-eventsource/react`: the latest price from the demo server's stream
// (or the stream named by `?sse=`), the connection state, and buttons that re-render, close,
// reopen, switch to another stream (a new URL: the hook reconnects once) and unmount the
// ticker (closing its stream), and a second panel of the same stream that shares its
// connection. Every event re-renders the ticker with options written inline,
// a new object each time, and the stream stays the same.
import { StrictMode, useState } from "react";
import { createRoot } from "react-dom/client";
import { Ticker, VolumePanel } from "./ticker";

const sse = new URLSearchParams(location.search).get("sse") ?? "/sse?scenario=react-ticker&event=price";

function App() {
  const [mounted, setMounted] = useState(true);
  const [volume, setVolume] = useState(false);
  const [renders, setRenders] = useState(0);
  const [url, setUrl] = useState(sse);
  return (
    <div>
      <button id="rerender" onClick={() => setRenders((n) => n + 1)}>re-render ({renders})</button>
      <button id="switch" onClick={() => setUrl(sse.replace("scenario=", "scenario=switched-"))}>switch stream</button>
      <button id="unmount" onClick={() => setMounted(false)}>unmount</button>
      <button id="show-volume" onClick={() => setVolume(true)}>show the volume</button>
      <button id="hide-volume" onClick={() => setVolume(false)}>hide the volume</button>
      {mounted ? <Ticker url={url} /> : null}
      {volume ? <VolumePanel url={url} /> : null}
    </div>
  );
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
