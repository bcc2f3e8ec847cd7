// The JavaScript peers of the dispatch benchmark, bundled by `cargo xtask bench` for the page:
// the most used SSE parser on npm, and Microsoft's fetch-based EventSource.
export { createParser } from "eventsource-parser";
export { fetchEventSource } from "@microsoft/fetch-event-source";
