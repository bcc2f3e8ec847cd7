// The ticker: the latest price of a stream, its state and its last error, with buttons that
// close and reopen it; and a panel of another event type of the same stream, which shares the
// ticker's connection. The ticker's test (ticker.test.tsx) runs it on the package's test kit.
import { useEventSource } from "typed-eventsource/react";

export interface Price { seq: number; type: "price"; text: string }

export function Ticker({ url }: { url: string }) {
  const { data, state, error, close, reopen } = useEventSource<{ price: Price }>(url, {
    transport: "fetch",
    events: ["price"],
    backoff: { initialDelay: 100 },
    retry: (_error, retry) => retry,
  });
  return (
    <div>
      <p>State: <span id="state">{state.state}</span></p>
      <p>Price: <span id="price">{data.price ? `${data.price.seq}: ${data.price.text}` : ""}</span></p>
      <p>Error: <span id="error">{error ? error.message : ""}</span></p>
      <button id="close" onClick={close}>close</button>
      <button id="reopen" onClick={reopen}>reopen</button>
    </div>
  );
}


export interface Volume { seq: number; type: "volume"; text: string }

/** The latest `volume` event of the same stream: the hook shares the ticker's connection. */
export function VolumePanel({ url }: { url: string }) {
  const { data, state } = useEventSource<{ volume: Volume }>(url, { transport: "fetch", events: ["volume"] });
  return (
    <p>Volume (<span id="volume-state">{state.state}</span>): <span id="volume">{data.volume ? `${data.volume.seq}` : ""}</span></p>
  );
}
