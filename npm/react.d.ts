// `typed-eventsource/react`: the `TypedEventSource` of this package as a React hook.
import type { ConnectionState, TypedEventSourceError, TypedEventSourceInit } from "./index.js";

/** The options of `new TypedEventSource`, and the event types whose latest value to keep. */
export interface UseEventSourceOptions<Events extends Record<string, unknown>> extends TypedEventSourceInit {
  /** The event types to decode and keep the latest value of. Default `["message"]`. */
  events?: (keyof Events & string)[];
}

/** What `useEventSource` returns, render after render. */
export interface UseEventSourceResult<Events extends Record<string, unknown>> {
  /** The latest value of each event type, parsed as JSON; absent until one arrives. */
  data: Partial<Events>;
  /** The connection state, with the attempt and the delay before the next one. */
  state: ConnectionState;
  /**
   * The last failure: a connection or decode error (a `TypedEventSourceError`, with its
   * `kind`), or, as a plain `Error`, the package's module failing to load.
   */
  error: TypedEventSourceError | Error | null;
  /** Closes the stream (it stays closed until `reopen()`, a new URL or new options). */
  close(): void;
  /** Opens a closed stream again, resuming after the last event id. */
  reopen(): void;
}

/**
 * A stream tied to the component: opened after the first render, once per URL and options
 * (options written inline compare by what they say; their functions are called as of the latest
 * render), closed on unmount. Safe under StrictMode's double mount and on the server, where it
 * renders the `connecting` state and loads nothing. Components that show the same stream share
 * one connection (`share`, true by default here; `share: false` gives a component its own,
 * `share: "tabs"` shares it with the browser's other tabs too, and a one-shot stream is its own
 * request).
 */
export function useEventSource<Events extends Record<string, unknown> = { message: unknown }>(
  url: string | URL,
  options?: UseEventSourceOptions<Events>,
): UseEventSourceResult<Events>;
