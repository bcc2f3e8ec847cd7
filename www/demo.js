// The demo page: one stream, four typed handlers, the connection's state and a timeline of
// attempts and delays, and controls that break the server. All event text is inserted as text
// (textContent), never as HTML.
import init, { TypedEventSource } from "/pkg/typed_eventsource.js";

const $ = (id) => document.getElementById(id);
const KEEP = 8;
// The tabs opened with "Open another tab" show the same stream (its key in the address), and
// share its connection.
const scenario = new URLSearchParams(location.search).get("stream") ?? `demo-${Math.random().toString(36).slice(2, 10)}`;
const url = `/sse?scenario=${scenario}&data=demo&event=news,price,chat,stats&interval_ms=250&keepalive_ms=1000&end=hold`;

function item(list, text) {
  const li = document.createElement("li");
  li.textContent = text;
  list.prepend(li);
  while (list.children.length > KEEP) list.lastElementChild.remove();
}

function log(text, kind) {
  const li = document.createElement("li");
  li.textContent = `${new Date().toISOString().slice(11, 23)}  ${text}`;
  li.dataset.kind = kind;
  $("timeline").prepend(li);
  while ($("timeline").children.length > 60) $("timeline").lastElementChild.remove();
}

// Every event carries its sequence number: count what is lost or repeated across reconnects.
let last = 0, received = 0, lost = 0, repeated = 0;
function seen(seq) {
  // A tab that joins a stream other tabs have followed starts where it is.
  if (received === 0 && source.sharing === "follower") last = seq - 1;
  received += 1;
  if (seq <= last) repeated += 1;
  else { lost += seq - last - 1; last = seq; }
  $("received").textContent = received;
  $("lost").textContent = lost;
  $("repeated").textContent = repeated;
  $("last-id").textContent = String(last);
}

await init();
const source = new TypedEventSource(url, {
  transport: "fetch",
  share: "tabs",
  idleTimeout: 2500,
  backoff: { initialDelay: 400, maxDelay: 3000 },
});

source.on("news", (n) => { seen(n.seq); item($("news"), n.headline); });
source.on("chat", (c) => { seen(c.seq); item($("chat"), `${c.from}: ${c.message}`); });
const rows = new Map();
source.on("price", (p) => {
  seen(p.seq);
  let row = rows.get(p.symbol);
  if (!row) {
    row = $("prices").tBodies[0].insertRow();
    row.insertCell().textContent = p.symbol;
    row.insertCell(); row.insertCell();
    rows.set(p.symbol, row);
  }
  row.cells[1].textContent = p.price.toFixed(2);
  row.cells[2].textContent = `${p.change >= 0 ? "+" : ""}${p.change.toFixed(2)}%`;
  row.cells[2].className = p.change >= 0 ? "up" : "down";
});
source.on("stats", (s) => {
  seen(s.seq);
  $("cpu").textContent = `${s.cpu}%`;
  $("mem").textContent = `${s.memMb} MB`;
  $("conns").textContent = String(s.connections);
});

source.onstatechange = (s) => {
  $("state").textContent = s.state;
  $("state").dataset.state = s.state;
  if (s.state === "reconnecting") log(`reconnecting: attempt ${s.attempt} in ${Math.round(s.delay)} ms`, "reconnecting");
  else if (s.state === "connecting") log(`connecting (attempt ${s.attempt}), resuming after ${source.lastEventId || "nothing"}`, "connecting");
  else log(s.state, s.state);
};
$("state").textContent = source.state.state;
$("state").dataset.state = source.state.state;
source.onerror = (e) => log(`error (${e.error.kind}): ${e.error.message}`, "error");

// Which tab holds the connection, and how many connections the server has for the stream.
const SHARING = { holder: "holds the connection", follower: "follows the tab that holds it", unavailable: "has its own connection (this browser cannot share across tabs)" };
let role = "";
async function tabs() {
  if (role && role !== source.sharing) log(`this tab ${SHARING[source.sharing] ?? source.sharing}`, "tabs");
  role = source.sharing;
  $("sharing").textContent = SHARING[source.sharing] ?? source.sharing;
  $("sharing").dataset.sharing = source.sharing;
  const l = await (await fetch(`/log?scenario=${scenario}`)).json().catch(() => null);
  if (l) $("server-connections").textContent = String(l.open);
}
setInterval(tabs, 500);
tabs();
$("another-tab").onclick = () => window.open(`${location.pathname}?stream=${scenario}`, "_blank");

async function control(action, ms) {
  const q = new URLSearchParams({ scenario, action });
  if (ms) q.set("ms", String(ms));
  log(`control: ${action}${ms ? ` ${ms} ms` : ""}`, "control");
  await fetch(`/control?${q}`, { method: "POST" });
}
$("drop").onclick = () => control("drop");
// New requests fail for 4 s; dropping the stream makes the client meet them.
$("fail").onclick = async () => { await control("fail", 4000); await control("drop"); };
$("stall").onclick = () => control("stall", 4000);

// A model's answer: one POST whose streamed words end with the answer; breaking it halfway
// shows it resume after the last word it had.
let answerKey = "";
$("ask").onclick = async () => {
  answerKey = `${scenario}-answer-${Date.now()}`;
  const words = 31;
  const answer = TypedEventSource.post(
    `/sse?scenario=${answerKey}&data=demo&event=token&total=${words}&interval_ms=120&end=close`,
    JSON.stringify({ prompt: "How does SSE carry a model's answer?" }),
    { backoff: { initialDelay: 300, jitter: "none" } },
  );
  // The first request is under way; each later "connecting" is a resumption.
  let requests = 1;
  $("answer-requests").textContent = "1";
  $("answer").textContent = "";
  $("ask").disabled = true;
  $("break-answer").disabled = false;
  answer.onstatechange = (s) => {
    if (s.state === "connecting") $("answer-requests").textContent = String((requests += 1));
    $("answer-state").textContent = s.state === "closed" ? s.reason.kind : s.state;
    log(`answer: ${s.state === "closed" ? `closed (${s.reason.kind})` : s.state}`, s.state);
  };
  try {
    for await (const t of answer.events("token")) $("answer").textContent += `${t.text} `;
  } catch (e) {
    log(`answer failed (${e.kind}): ${e.message}`, "error");
  } finally {
    $("ask").disabled = false;
    $("break-answer").disabled = true;
  }
};
$("break-answer").onclick = async () => {
  log("control: break the answer", "control");
  await fetch(`/control?scenario=${answerKey}&action=drop`, { method: "POST" });
};

window.demo = { source, scenario, counts: () => ({ received, lost, repeated, last }), answerKey: () => answerKey };
