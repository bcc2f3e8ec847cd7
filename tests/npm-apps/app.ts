// One small app, built from the installed npm package in each setup a user has (Vite,
// esbuild, a page without a bundler) and type-checked against its declarations: the stream
// named by `?sse=` is listed as its typed events arrive.
import { TypedEventSource } from "typed-eventsource";

interface Price { seq: number; type: "price"; text: string }

const params = new URLSearchParams(location.search);
const sse = params.get("sse") ?? "/sse";
const source = new TypedEventSource<{ price: Price }>(sse, { transport: "fetch" });
const list = document.getElementById("prices")!;
source.on("price", (p) => {
  const li = document.createElement("li");
  li.textContent = `${p.seq}: ${p.text}`;
  li.dataset.seq = String(p.seq);
  list.append(li);
});
source.onstatechange = (s) => {
  document.getElementById("state")!.textContent = s.state;
};
