/** How delays between reconnection attempts grow. Every field is optional; times in ms. */
export interface BackoffOptions {
  /** Delay before the first reconnection. Default 1000. */
  initialDelay?: number;
  /** Each further attempt waits this many times longer. Default 2. */
  factor?: number;
  /** The longest delay (unless the server asks for longer). Default 30000. */
  maxDelay?: number;
  /** Random spread of each delay. Default "equal" (between half and all of it). */
  jitter?: "none" | "full" | "equal";
  /** Give up after this many consecutive failed attempts. Default: never. */
  maxAttempts?: number;
  /** Give up when failing for this long. Default: never. */
  maxElapsed?: number;
  /** A connection must stay open this long before delays start over. Default 5000. */
  resetAfter?: number;
  /** The smallest delay a server's `retry:` field can set; above 0. Default 200. */
  retryFloor?: number;
  /** The longest wait a server can ask for with `retry:` or `Retry-After`. Default 3600000 (an hour). */
  serverMax?: number;
}

/** Why a connection failed. */
export type ErrorKind =
  | "network"
  | "ended"
  | "http-status"
  | "content-type"
  | "refused"
  | "idle-timeout"
  | "event-too-large"
  | "gave-up"
  | "interrupted"
  | "decode"
  | "invalid-option";

/** The errors this package reports: real `Error`s with a `kind` and the cause's details. */
export interface TypedEventSourceError extends Error {
  name: "TypedEventSourceError";
  kind: ErrorKind;
  /** HTTP status (`http-status`). */
  status?: number;
  /** `Retry-After` in ms (`http-status`). */
  retryAfter?: number;
  /** The content type received (`content-type`). */
  contentType?: string;
  /** The idle timeout that passed, in ms (`idle-timeout`). */
  after?: number;
  /** The size limit in bytes (`event-too-large`). */
  limit?: number;
  /** Attempts made before giving up (`gave-up`). */
  attempts?: number;
  /** The last failure (`gave-up`), or the one that broke the stream (`interrupted`). */
  cause?: TypedEventSourceError;
  /** How far a one-shot stream got before it broke (`interrupted`): events, and the last id. */
  events?: number;
  lastEventId?: string;
  /** The event's type and raw data (`decode`). */
  eventType?: string;
  data?: string;
}

/** Why a stream closed for good. */
export type CloseReason =
  | { kind: "user" }
  | { kind: "server" }
  | { kind: "failed"; error: TypedEventSourceError }
  /** A one-shot stream came to its end (`midEvent`: in the middle of an event). */
  | { kind: "completed"; midEvent: boolean };

/** The connection state, with the attempt and the delay before the next one. */
export type ConnectionState =
  | { state: "connecting"; attempt: number; delay: null }
  | { state: "open"; attempt: 0; delay: null }
  | { state: "reconnecting"; attempt: number; delay: number }
  | { state: "paused"; attempt: 0; delay: null; reason: "offline" | "hidden" }
  | { state: "closed"; attempt: 0; delay: null; reason: CloseReason };

/** A function that returns request headers, called before every connection attempt. */
export type HeadersFunction = () => Record<string, string> | Promise<Record<string, string>>;

/** Options of `new TypedEventSource(url, options)`. All optional. */
export interface TypedEventSourceInit {
  /** "eventsource" (the browser's, the default) or "fetch" (headers, status, faster). */
  transport?: "eventsource" | "fetch";
  /** As for `EventSource`: send cookies cross-origin. */
  withCredentials?: boolean;
  /** Credentials mode ("omit" needs the fetch transport). Default "same-origin". */
  credentials?: "omit" | "same-origin" | "include";
  /** Request headers, fixed or computed before every attempt (fetch transport). */
  headers?: Record<string, string> | HeadersFunction;
  /** Request method (fetch transport). Default "GET". */
  method?: string;
  /** Request body (fetch transport). */
  body?: string;
  /** The reconnection policy. */
  backoff?: BackoffOptions;
  /**
   * Decides whether a failure is retried, given the default decision (`retry`): true retries,
   * false stops, anything else keeps the default. It runs before the error is dispatched; it
   * may read the source (its `state` is the one before the failure) and close it (the close
   * wins). If it throws, the error is logged and the default applies.
   */
  retry?: (error: TypedEventSourceError, retry: boolean) => boolean | undefined;
  /** Replace a connection silent for this many ms. Default: none. */
  idleTimeout?: number;
  /**
   * Query parameter carrying the last event id on reconnection. Default: none. The
   * EventSource transport needs it to resume once the browser's own reconnection (which sends
   * `Last-Event-ID`) has failed; with it set, every reconnection is a new connection.
   */
  lastEventIdParam?: string;
  /** Resume after this id on the first connection. */
  lastEventId?: string;
  /** Largest event kept, in bytes (fetch transport). Default 4 MiB. */
  maxEventSize?: number;
  /** Disconnect while the page is hidden. Default false. */
  pauseWhenHidden?: boolean;
  /**
   * Share one connection with the page's other sharing sources of the same URL, transport and
   * request options (method, body, fixed headers, credentials, `lastEventIdParam`). Each has
   * its own listeners and event types, and its state at once; its `close()` leaves and the
   * others go on. The last to leave closes the connection; the next to come opens it again,
   * resuming after the last event id. Functions (headers, `retry`, `resume`) and the back-off
   * are the first source's. Not with `oneShot` or `fromReadableStream`. Default false
   * (`useEventSource` shares).
   *
   * `"tabs"`: the same across the browser's tabs of this origin too. One tab (elected with Web
   * Locks) holds the connection and relays events, states and errors to the others over a
   * `BroadcastChannel`; each tab gets every event once, in order, with its id. When the holder
   * goes (closed, reloaded, crashed, frozen), another takes over within a fraction of a second
   * and resumes after the last event relayed. The request options that are functions, the
   * credentials sent and the back-off are the holding tab's: put what differs between users in
   * the URL or fixed headers. Where Web Locks or `BroadcastChannel` are missing (not a secure
   * context), each page has its own connection and `sharing` is `"unavailable"`.
   */
  share?: boolean | "tabs";
  /**
   * With `share`: when this source joins a connection that has run, and when it starts
   * listening to a type later, it gets (after the code that made it has run, before any other
   * event) the latest event of each type it listens to, as a component mounted late shows the
   * latest value. Default false (`useEventSource` sets it).
   */
  replayLatest?: boolean;
  /** Aborting it closes the source, as it cancels a `fetch` (an aborted one: closed at once). */
  signal?: AbortSignal;
  /**
   * The stream is one response that ends (fetch transport), as a POST that streams a model's
   * answer: its end closes the source with the reason `completed`, not a reconnection; a
   * failure is retried only once an event with an id has arrived. Default false.
   */
  oneShot?: boolean;
  /**
   * What the end of a one-shot stream does with an event it cut short: "discard" it, as the
   * standard says (the default), or "dispatch" it. The close reason's `midEvent` says so.
   */
  unfinished?: "discard" | "dispatch";
  /**
   * The request that resumes the stream after an event id, made from it (fetch transport),
   * when it is not the request that started it: a stream started by a POST and resumed by a
   * GET, as MCP's Streamable HTTP asks, is `resume: () => ({ method: "GET" })`. Each field
   * may be left out: `method` is "GET", `url` the stream's, no body, no extra headers (the
   * `headers` option's and `Last-Event-ID` are sent too). A function that throws fails the
   * connection with an `invalid-option` error.
   */
  /**
   * Drops the events a server replays that the source already delivered (fetch transport):
   * `isReplay(id, lastEventId)` says whether the event with `id` comes at or before the last
   * one delivered, e.g. `(id, last) => Number(id) <= Number(last)`. Each event that brings a
   * new id, and the first of each connection, is judged; events without an id of their own go
   * with the one before. Default: every event is delivered, as the standard has it.
   */
  isReplay?: (id: string, lastEventId: string) => boolean;
  resume?: (lastEventId: string) => { method?: string; url?: string | URL; headers?: Record<string, string>; body?: string };
}

/** A listener as `addEventListener` takes it; a function is called with `this` the source. */
export type SourceListener<S, E> = ((this: S, event: E) => void) | { handleEvent(event: E): void };

/** An error event: `error` is the cause. */
export interface TypedEventSourceErrorEvent extends ErrorEvent {
  readonly error: TypedEventSourceError;
}

/** The failure to decode one event's data for `on()`: about that event, not the connection. */
export interface TypedEventSourceDecodeErrorEvent extends ErrorEvent {
  readonly type: "decodeerror";
  readonly error: TypedEventSourceError & { kind: "decode"; eventType: string; data: string };
}

/** The class of the errors this package reports. */
export declare const TypedEventSourceError: {
  new (kind: ErrorKind, message: string, details?: object): TypedEventSourceError;
  readonly prototype: TypedEventSourceError;
};

/**
 * A drop-in, typed `EventSource`, and a real `EventTarget`. `Events` maps event types to the
 * JSON their data holds: `new TypedEventSource<{ price: Price }>(url).on("price", p => p.symbol)`.
 * It can be subclassed.
 */
export class TypedEventSource<Events extends Record<string, unknown> = Record<string, unknown>> extends EventTarget {
  constructor(url: string | URL, options?: TypedEventSourceInit);
  /**
   * A source that parses what `stream` carries (bytes, or strings) and dispatches it, as the
   * WHATWG proposal `EventSource.fromReadableStream()` does: the app does the networking (a
   * `fetch` with its own headers, say). Its `url` is `about:event-stream`. The stream's end or
   * error fires one `error` and closes the source: there is no reconnection (for one of its
   * own, the app makes a new source from a new stream, resuming after `lastEventId` and
   * waiting `reconnectionTime`). Request options (headers, method, body, credentials,
   * `lastEventIdParam`) throw a `TypeError`: there is no request.
   */
  static fromReadableStream<E extends Record<string, unknown> = Record<string, unknown>>(
    stream: ReadableStream<Uint8Array | string>,
    options?: TypedEventSourceInit,
  ): TypedEventSource<E>;
  /**
   * A one-shot POST: sends `body` over the fetch transport and dispatches the events of the
   * streamed answer; its end closes the source (`state.reason.kind === "completed"`), and a
   * broken connection is resumed only once an event with an id has arrived.
   */
  static post<E extends Record<string, unknown> = Record<string, unknown>>(
    url: string | URL,
    body: string,
    options?: Omit<TypedEventSourceInit, "transport" | "method" | "body" | "oneShot">,
  ): TypedEventSource<E>;
  static readonly CONNECTING: 0;
  static readonly OPEN: 1;
  static readonly CLOSED: 2;
  readonly CONNECTING: 0;
  readonly OPEN: 1;
  readonly CLOSED: 2;
  /** 0 connecting (or waiting to reconnect), 1 open, 2 closed. */
  readonly readyState: 0 | 1 | 2;
  readonly url: string;
  readonly withCredentials: boolean;
  readonly lastEventId: string;
  /** The server's last `retry:` in ms, as it sent it; before one, the back-off's initial delay. */
  readonly reconnectionTime: number;
  readonly state: ConnectionState;
  /**
   * How the connection is shared: its own, its page's (`share: true`), or across tabs
   * (`share: "tabs"`), held by this tab or followed, or `"unavailable"` where the browser
   * cannot share across tabs.
   */
  readonly sharing: "own" | "page" | "holder" | "follower" | "unavailable";
  /**
   * As on `EventSource`, `onopen` and `onerror` (and their listeners) also receive the
   * server's own events named `open` or `error`, as `MessageEvent`s.
   */
  onopen: ((event: Event) => void) | null;
  onmessage: ((event: MessageEvent<string>) => void) | null;
  onerror: ((event: TypedEventSourceErrorEvent | MessageEvent<string>) => void) | null;
  onstatechange: ((state: ConnectionState) => void) | null;
  /** As on `EventTarget`: a function or an object with `handleEvent`; `capture`, `once`, `signal`. */
  addEventListener(type: "open", listener: SourceListener<this, Event>, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: "error", listener: SourceListener<this, TypedEventSourceErrorEvent | MessageEvent<string>>, options?: boolean | AddEventListenerOptions): void;
  /**
   * Data that `on()` could not parse as JSON. Without a listener for it, the failure is
   * reported as a listener's exception is (`reportError`); it never fires `error`.
   */
  addEventListener(type: "decodeerror", listener: SourceListener<this, TypedEventSourceDecodeErrorEvent>, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: SourceListener<this, MessageEvent<string>>, options?: boolean | AddEventListenerOptions): void;
  removeEventListener(type: string, listener: SourceListener<this, any>, options?: boolean | EventListenerOptions): void;
  /**
   * Calls `handler` with each event of `type`, its data parsed as JSON. The `MessageEvent` is
   * built only for a handler that can receive it: one declaring exactly one parameter,
   * `(data) => ...`, skips that cost (use `lastEventId` on the source during the call).
   * Throws a `TypeError` if `handler` is not a function.
   */
  on<K extends keyof Events & string>(type: K, handler: (data: Events[K], event: MessageEvent<string>) => void): void;
  /** Removes a handler added with `on`. */
  off<K extends keyof Events & string>(type: K, handler: (data: Events[K], event: MessageEvent<string>) => void): void;
  /**
   * The events of `type`, their data parsed as JSON, one step at a time:
   * `for await (const price of source.events("price"))`. Events that arrive between steps
   * wait. It ends when the source closes, after the events that came before; if the source gave
   * up on a failure, the step throws that `TypedEventSourceError`. Leaving the loop closes the
   * source; `close()` ends it at once.
   */
  events<K extends keyof Events & string>(type: K): AsyncIterableIterator<Events[K]>;
  /** `for await (const data of source)`: the `message` events, as `events("message")`. */
  [Symbol.asyncIterator](): AsyncIterableIterator<Events extends { message: infer M } ? M : unknown>;
  /**
   * `using source = new TypedEventSource(...)` (or `await using`): leaving the scope closes
   * the source. Present where the engine has explicit resource management's symbols.
   */
  [Symbol.dispose](): void;
  [Symbol.asyncDispose](): Promise<void>;
  /** Closes the stream for good. */
  close(): void;
  /** Opens a closed stream again, resuming after `lastEventId`. */
  reopen(): void;
  /**
   * Discards what the parser holds of an event not yet complete, as a broken connection does:
   * before a fresh stream of events is piped into a `fromReadableStream` source.
   */
  reset(): void;
  /**
   * Closes the stream and frees its wasm memory at once. Not needed: as with `EventSource`, a
   * stream that nothing references goes on while it is open, and once closed it is
   * garbage-collected, its memory with it.
   */
  free(): void;
}
