// The demo page: events from the server's stream, through the library, shown as text.
import init, { TypedEventSource } from "/pkg/typed_eventsource.js";

const KEEP = 50;
const stateEl = document.getElementById("state");
const list = document.getElementById("events");

function show(type, data, id) {
  const li = document.createElement("li");
  li.dataset.type = type;
  li.dataset.seq = String(data.seq);
  // Event text is inserted as text, never as HTML.
  li.textContent = `#${id} ${type}: ${data.text}`;
  list.prepend(li);
  while (list.children.length > KEEP) list.lastElementChild.remove();
}

await init();
const url = "/sse?scenario=demo&event=news,price,chat,stats&interval_ms=400&keepalive_ms=5000&end=hold";
const source = new TypedEventSource(url, { transport: "fetch", lastEventIdParam: "lastEventId" });
source.onstatechange = (s) => {
  stateEl.textContent = s.state;
  document.body.dataset.state = s.state;
};
stateEl.textContent = source.state.state;
for (const type of ["news", "price", "chat", "stats"]) {
  source.on(type, (data, id) => show(type, data, id));
}
window.demoSource = source;
