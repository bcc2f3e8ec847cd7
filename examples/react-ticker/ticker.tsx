// The ticker: the latest price of a stream, its state and its last error, with buttons that
// close and reopen it. Its test (ticker.test.tsx) runs it on the package's test kit.
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

