// @vitest-environment happy-dom
// The ticker's test, as an app tests its own components: Vitest renders it in happy-dom, and the
// package's test kit (`typed-eventsource/testing`) stands in for the network, with a clock of its
// own, so that a drop, a server's 503 with Retry-After and the back-off take no time. Run by
// `cargo xtask test` against the installed npm package (vite.config.mjs has the settings).
import { act } from "react";
import { createRoot, type Root } from "react-dom/client";
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { Script } from "typed-eventsource/testing";
import { Ticker, type Price } from "./ticker";

// The app's imports of the package, the hook's among them, get the test kit's build.
vi.mock("typed-eventsource", () => import("typed-eventsource/testing"));

// React's act() settles each render before the test reads the page.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let script: Script;
let root: Root;
let page: HTMLElement;

beforeEach(() => {
  // Every TypedEventSource opened from now on connects through this script.
  script = Script.install();
  page = document.createElement("div");
  document.body.append(page);
  root = createRoot(page);
});

afterEach(() => {
  act(() => root.unmount());
  script.uninstall();
  page.remove();
});

/** Runs `f` as React's act() does, and returns what it returns. */
function acting<T>(f: () => T): T {
  let result: T | undefined;
  act(() => {
    result = f();
  });
  return result as T;
}

const text = (id: string) => page.querySelector(`#${id}`)?.textContent;
const price = (seq: number, text: string): string => JSON.stringify({ seq, type: "price", text } satisfies Price);

/** Renders the ticker and waits for its stream to ask for a connection (the hook loads the package in an effect). */
async function mount(url: string) {
  await act(async () => root.render(<Ticker url={url} />));
  await vi.waitFor(() => expect(script.connected).toBe(true));
}

test("shows each price, and after a drop reconnects and resumes after the last one", async () => {
  await mount("/prices");
  expect(text("state")).toBe("connecting");
  act(() => script.open().event("price", "1", price(1, "1.00")).event("price", "2", price(2, "1.05")));
  expect(text("state")).toBe("open");
  expect(text("price")).toBe("2: 1.05");

  act(() => script.drop());
  expect(text("state")).toBe("reconnecting");
  expect(text("error")).toMatch(/dropped/);
  expect(text("price")).toBe("2: 1.05");

  // The back-off's delay (up to 100 ms, jittered) passes on the script's clock, at once; the
  // new request resumes after event 2.
  const again = acting(() => script.nextAttempt());
  expect(again.lastEventId).toBe("2");
  expect(again.at).toBeGreaterThan(0);
  expect(again.at).toBeLessThanOrEqual(100);
  act(() => script.open().event("price", "3", price(3, "1.10")));
  expect(text("state")).toBe("open");
  expect(text("price")).toBe("3: 1.10");
  // Both requests went to the ticker's URL, resolved against the page's.
  const url = new URL("/prices", location.href).href;
  expect(script.attempts.map((a) => a.url)).toEqual([url, url]);
});

test("waits as long as a server's Retry-After asks, and closes for good on the button", async () => {
  await mount("/prices");
  act(() => script.status(503, 2_000));
  expect(text("state")).toBe("reconnecting");
  expect(text("error")).toMatch(/503/);
  const again = acting(() => script.nextAttempt());
  expect(again.at).toBeGreaterThanOrEqual(2_000);
  act(() => script.play("open, 1 event"));
  expect(text("state")).toBe("open");

  act(() => page.querySelector<HTMLButtonElement>("#close")!.click());
  expect(text("state")).toBe("closed");
  expect(script.connected).toBe(false);
  // Closed, the stream asks for nothing, however long the test waits.
  expect(() => script.nextAttempt()).toThrow(/asks for no connection/);
});

test("a payload that is not the app's JSON is an error on the page, and the stream goes on", async () => {
  await mount("/prices");
  act(() => script.open().event("price", "1", "not json"));
  expect(text("error")).not.toBe("");
  expect(text("state")).toBe("open");
  act(() => script.event("price", "2", price(2, "2.00")));
  expect(text("price")).toBe("2: 2.00");
});
