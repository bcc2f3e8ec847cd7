// The JavaScript half of the `TypedEventSource` facade (feature `js`): its error class, and
// the listeners with the dispatch of events to them. Events cross from wasm in batches, one
// string per batch, because crossing costs more per call than parsing the stream does.

export class TypedEventSourceError extends Error {
  constructor(kind, message, details) {
    super(message);
    this.name = "TypedEventSourceError";
    this.kind = kind;
    Object.assign(this, details);
  }
}

// A listener's exception is reported, as the browser reports one from an `EventSource`
// listener, and does not stop the other listeners.
function call(f, a, b) {
  try {
    f(a, b);
  } catch (e) {
    console.error(e);
  }
}

export class Dispatcher {
  constructor(origin) {
    this.origin = origin;
    // addEventListener's listeners and on()'s handlers, by type, in the order added.
    this.listeners = new Map();
    this.handlers = new Map();
    this.onopen = null;
    this.onmessage = null;
    this.onerror = null;
    this.onstatechange = null;
    // Set by close(): the rest of a batch is not delivered.
    this.stopped = false;
    // The batch being delivered, and where in it the current event's ID is.
    this.batch = null;
    this.idStart = 0;
    this.idEnd = 0;
  }

  add(map, type, f) {
    const list = map.get(type);
    if (!list) map.set(type, [f]);
    else if (!list.includes(f)) list.push(f);
  }

  remove(map, type, f) {
    const list = map.get(type);
    const i = list ? list.indexOf(f) : -1;
    if (i >= 0) list.splice(i, 1);
  }

  addListener(type, f) { this.add(this.listeners, type, f); }
  removeListener(type, f) { this.remove(this.listeners, type, f); }
  addHandler(type, f) { this.add(this.handlers, type, f); }
  removeHandler(type, f) { this.remove(this.handlers, type, f); }

  // The last event ID of the event being handled, while a batch is delivered (the stream
  // itself is already past the whole batch); cut from the batch only when asked for.
  get current() {
    return this.batch === null ? undefined : this.batch.slice(this.idStart, this.idEnd);
  }

  // `batch` holds events as `type \r id \r data \r`, repeated: none of the three can hold a
  // CR, since the stream's lines end at one.
  events(batch) {
    let type = "";
    this.batch = batch;
    try {
      for (let i = 0; i < batch.length && !this.stopped;) {
        const a = batch.indexOf("\r", i);
        const b = batch.indexOf("\r", a + 1);
        const c = batch.indexOf("\r", b + 1);
        if (c < 0) break;
        // Most events share their type with the one before: keep that string.
        if (a - i !== type.length || !batch.startsWith(type, i)) type = batch.slice(i, a);
        this.idStart = a + 1;
        this.idEnd = b;
        this.event(type, batch.slice(b + 1, c));
        i = c + 1;
      }
    } finally {
      this.batch = null;
    }
  }

  messageEvent(type, data) {
    return new MessageEvent(type, { data, lastEventId: this.current, origin: this.origin });
  }

  event(type, data) {
    const listeners = this.listeners.get(type);
    // As on EventSource, `onmessage`, `onopen` and `onerror` are listeners for their type, so
    // a server's events named `open` or `error` reach them too, as MessageEvents.
    const attribute = type === "message" ? this.onmessage : type === "open" ? this.onopen : type === "error" ? this.onerror : null;
    const handlers = this.handlers.get(type);
    // A MessageEvent costs more than the rest of the dispatch: it is built only for whoever can
    // receive it, which an on() handler declaring exactly one parameter cannot.
    let event = null;
    if (listeners?.length || attribute) {
      event = this.messageEvent(type, data);
      // Copies: a listener may add or remove listeners while they run.
      if (listeners) for (const f of listeners.slice()) call(f, event);
      if (attribute) call(attribute, event);
    }
    if (!handlers?.length) return;
    let value;
    try {
      value = JSON.parse(data);
    } catch (e) {
      this.error(new TypedEventSourceError("decode", `could not decode a \`${type}\` event: ${e.message}`, { eventType: type, data }));
      return;
    }
    // The common case, one handler, needs no copy of the list.
    if (handlers.length === 1) this.handle(handlers[0], type, data, value, event);
    else for (const f of handlers.slice()) event = this.handle(f, type, data, value, event);
  }

  // Calls an on() handler; returns the MessageEvent if one was built for it.
  handle(f, type, data, value, event) {
    if (f.length === 1) {
      call(f, value);
      return event;
    }
    event ??= this.messageEvent(type, data);
    call(f, value, event);
    return event;
  }

  dispatch(type, event, handler) {
    const listeners = this.listeners.get(type)?.slice() ?? [];
    if (handler) listeners.push(handler);
    for (const f of listeners) call(f, event);
  }

  open() {
    this.dispatch("open", new Event("open"), this.onopen);
  }

  error(error) {
    this.dispatch("error", new ErrorEvent("error", { message: error.message, error }), this.onerror);
  }

  state(state) {
    if (this.onstatechange) call(this.onstatechange, state);
  }
}
