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

// Calls an `addEventListener` listener or an `on...` attribute as EventTarget does: a function
// with `this` the source, an object through its `handleEvent`.
function invoke(f, source, event) {
  try {
    if (typeof f === "function") f.call(source, event);
    else f.handleEvent(event);
  } catch (e) {
    console.error(e);
  }
}

// Events reach their receivers with `target` and `currentTarget` the source, as an
// EventSource's do (code reads `e.target.readyState` in an error listener, say). They are not
// dispatched through an EventTarget, which would set them, so they are set on each event.
function aim(event, source) {
  const at = { value: source, configurable: true };
  return Object.defineProperties(event, { target: at, currentTarget: at, srcElement: at });
}

// `addEventListener`'s third argument, an options object or the capture flag alone. A listener
// is the same listener only with the same capture flag.
function flags(options) {
  const o = typeof options === "object" && options !== null ? options : { capture: options };
  return { capture: !!o.capture, once: !!o.once, signal: o.signal };
}

// The listeners of one TypedEventSource: `addEventListener`'s and `on()`'s by type, in the
// order added, and the `on...` attributes. Kept on the TypedEventSource itself (see `own`).
const LISTENERS = Symbol("listeners");

// As on EventSource, `onmessage`, `onopen` and `onerror` are listeners for their type, so a
// server's events named `open` or `error` reach them too, as MessageEvents.
function attributeOf(all, type) {
  return type === "message" ? all.onmessage : type === "open" ? all.onopen : type === "error" ? all.onerror : null;
}

export class Dispatcher {
  constructor(origin) {
    this.origin = origin;
    // Set by close(): the rest of a batch is not delivered.
    this.stopped = false;
    // The TypedEventSource (see `own`): weakly, and strongly while its stream is not closed.
    this.source = null;
    this.held = null;
    // The batch being delivered, and where in it the current event's ID is.
    this.batch = null;
    this.idStart = 0;
    this.idEnd = 0;
  }

  // Wasm holds this object for as long as the TypedEventSource lives, so what this object
  // holds strongly lives as long. The source's listeners are kept on the source, not here: a
  // listener that refers to the source (to close it, say) would keep it alive for ever. The
  // source itself is held here while its stream is not closed, so that, as with EventSource,
  // an open stream that nothing else references goes on for its listeners. Once it is
  // closed, it is held only weakly: when the page lets go of it, it is collected, and its
  // wasm memory freed.
  own(source) {
    Object.defineProperty(source, LISTENERS, {
      value: { listeners: new Map(), handlers: new Map(), onopen: null, onmessage: null, onerror: null, onstatechange: null },
    });
    this.source = new WeakRef(source);
    this.held = source;
  }

  set live(live) {
    this.held = live ? this.source?.deref() ?? null : null;
  }

  // The TypedEventSource; undefined before `own` and once it is gone.
  get target() {
    return this.held ?? this.source?.deref();
  }

  // The source's listeners; undefined before `own` and once the source is gone.
  get all() {
    return this.target?.[LISTENERS];
  }

  attribute(name) {
    return this.all?.[name] ?? null;
  }

  setAttribute(name, f) {
    const all = this.all;
    if (all) all[name] = f;
  }

  addHandler(type, f) {
    const map = this.all.handlers;
    const list = map.get(type);
    if (!list) map.set(type, [f]);
    else if (!list.includes(f)) list.push(f);
  }

  removeHandler(type, f) {
    const list = this.all.handlers.get(type);
    const i = list ? list.indexOf(f) : -1;
    if (i >= 0) list.splice(i, 1);
  }

  // `addEventListener(type, listener, options)` as EventTarget takes it: a function or an
  // object with `handleEvent`; `capture`, `once` and `signal`; a listener already added with
  // the same capture flag is not added again.
  addListener(type, f, options) {
    const { capture, once, signal } = flags(options);
    if (signal?.aborted) return;
    const map = this.all.listeners;
    let list = map.get(type);
    if (!list) map.set(type, (list = []));
    const entry = { f, capture, once, removed: false };
    if (list.some((l) => l.f === f && l.capture === capture)) return;
    list.push(entry);
    signal?.addEventListener("abort", () => this.drop(list, entry), { once: true });
  }

  removeListener(type, f, options) {
    const list = this.all.listeners.get(type);
    const { capture } = flags(options);
    const entry = list?.find((l) => l.f === f && l.capture === capture);
    if (entry) this.drop(list, entry);
  }

  drop(list, entry) {
    entry.removed = true;
    const i = list.indexOf(entry);
    if (i >= 0) list.splice(i, 1);
  }

  // Calls the listeners of one event, then the `on...` attribute for its type if any, as
  // EventTarget does: in the order added, on a copy of the list (a listener may add others),
  // skipping any removed meanwhile, and a `once` listener removed before it is called.
  fire(list, attribute, event) {
    const source = this.target;
    if (list?.length) {
      for (const l of list.slice()) {
        if (l.removed) continue;
        if (l.once) this.drop(list, l);
        invoke(l.f, source, event);
      }
    }
    if (attribute) invoke(attribute, source, event);
  }

  // `dispatchEvent`: to the listeners and attribute of `event.type`, not to on()'s handlers.
  dispatchEvent(event) {
    const all = this.all;
    aim(event, this.target);
    if (all) this.fire(all.listeners.get(event.type), attributeOf(all, event.type), event);
    return !event.defaultPrevented;
  }

  // The last event ID of the event being handled, while a batch is delivered (the stream
  // itself is already past the whole batch); cut from the batch only when asked for.
  get current() {
    return this.batch === null ? undefined : this.batch.slice(this.idStart, this.idEnd);
  }

  // `batch` holds events as `type \r id \r data \r`, repeated: none of the three can hold a
  // CR, since the stream's lines end at one.
  events(batch) {
    const all = this.all;
    if (!all) return;
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
        this.event(all, type, batch.slice(b + 1, c));
        i = c + 1;
      }
    } finally {
      this.batch = null;
    }
  }

  messageEvent(type, data) {
    const event = new MessageEvent(type, { data, lastEventId: this.current, origin: this.origin });
    return aim(event, this.target);
  }

  event(all, type, data) {
    const listeners = all.listeners.get(type);
    const attribute = attributeOf(all, type);
    const handlers = all.handlers.get(type);
    // A MessageEvent costs more than the rest of the dispatch: it is built only for whoever can
    // receive it, which an on() handler declaring exactly one parameter cannot.
    let event = null;
    if (listeners?.length || attribute) {
      event = this.messageEvent(type, data);
      this.fire(listeners, attribute, event);
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

  open() {
    this.dispatchEvent(new Event("open"));
  }

  error(error) {
    if (this.stopped) return;
    this.dispatchEvent(new ErrorEvent("error", { message: error.message, error }));
  }

  state(state) {
    const f = this.all?.onstatechange;
    if (f) call(f, state);
  }
}
