//! A live dashboard: the latest headline and price from the demo server's stream, the
//! connection state, a button that switches to another stream (a new URL: the hook reconnects
//! once) and one that unmounts the panel (closing its stream).

use serde::Deserialize;
use typed_eventsource::yew::{use_event_source_with_options, UseEventSourceOptions};
use typed_eventsource::{Backoff, State, Transport};
use yew::prelude::*;

/// The demo server's payloads carry at least these fields.
#[derive(Deserialize)]
struct Item {
    seq: u64,
    text: String,
}

fn scenario() -> String {
    let search = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    search
        .trim_start_matches('?')
        .split('&')
        .find_map(|kv| kv.strip_prefix("scenario="))
        .unwrap_or("yew-dashboard")
        .to_owned()
}

fn state_name(s: &State) -> &'static str {
    match s {
        State::Connecting { .. } => "connecting",
        State::Open => "open",
        State::Reconnecting { .. } => "reconnecting",
        State::Paused { .. } => "paused",
        _ => "closed",
    }
}

#[function_component]
fn Panel() -> Html {
    let switched = use_state(|| false);
    let switch = {
        let switched = switched.clone();
        Callback::from(move |_| switched.set(true))
    };
    let url = format!(
        "/sse?scenario={}{}&data=demo&event=news,price&interval_ms=100&keepalive_ms=1000&end=hold",
        scenario(),
        if *switched { "-switched" } else { "" }
    );
    // Written inline, as components do: a re-render (one per event) must not reconnect.
    let options = UseEventSourceOptions::default()
        .event_types(["news", "price"])
        .transport(Transport::Fetch)
        .configure(|b| {
            let b = b.backoff(Backoff::default().initial(std::time::Duration::from_millis(200)));
            // In this app's own tests the stream runs over a scripted network (see `tests`).
            #[cfg(test)]
            let b = tests::scripted(b);
            b
        });
    let feed = use_event_source_with_options::<Item>(&url, options);
    let row = |t: &str| {
        feed.latest_of(t)
            .map(|u| html! { <li data-type={t.to_owned()}>{ format!("{t}: {}", u.text) }</li> })
            .unwrap_or_default()
    };
    html! {
        <section id="panel">
            <button id="switch" onclick={switch}>{ "Switch stream" }</button>
            <p>{ "State: " }<strong id="state">{ state_name(&feed.state) }</strong></p>
            <p>{ "Last id: " }<strong id="seq">{ feed.data.as_ref().map(|u| u.seq).unwrap_or(0) }</strong></p>
            <ul>{ row("news") }{ row("price") }</ul>
        </section>
    }
}

#[function_component]
fn App() -> Html {
    let shown = use_state(|| true);
    let toggle = {
        let shown = shown.clone();
        Callback::from(move |_| shown.set(!*shown))
    };
    html! {
        <main>
            <h1>{ "Yew dashboard" }</h1>
            <button id="toggle" onclick={toggle}>{ if *shown { "Unmount" } else { "Mount" } }</button>
            if *shown { <Panel /> } else { <p id="unmounted">{ "unmounted" }</p> }
        </main>
    }
}

fn main() {
    yew::Renderer::<App>::new().render();
}

/// The panel tested as a user sees it, over a scripted network and a virtual clock
/// (typed-eventsource's feature `testing`): no server, no waiting. `cargo xtask test` runs it
/// in headless Chromium.
#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::time::Duration;

    use typed_eventsource::testing::Script;
    use typed_eventsource::Builder;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

    use super::Panel;

    wasm_bindgen_test_configure!(run_in_browser);

    thread_local! {
        static SCRIPT: RefCell<Option<Script>> = const { RefCell::new(None) };
    }

    /// The builder of the panel's stream, over the test's script.
    pub(super) fn scripted(b: Builder) -> Builder {
        match SCRIPT.with(|s| s.borrow().clone()) {
            Some(script) => b.script(&script),
            None => b,
        }
    }

    /// Lets Yew render what changed.
    async fn rendered() {
        yew::platform::time::sleep(Duration::from_millis(5)).await;
    }

    fn text(root: &web_sys::Element, selector: &str) -> String {
        root.query_selector(selector)
            .unwrap()
            .and_then(|e| e.text_content())
            .unwrap_or_default()
    }

    #[wasm_bindgen_test]
    async fn the_panel_shows_the_latest_items_and_follows_a_reconnection() {
        let script = Script::new();
        SCRIPT.with(|s| *s.borrow_mut() = Some(script.clone()));
        let document = web_sys::window().unwrap().document().unwrap();
        let root = document.create_element("div").unwrap();
        document.body().unwrap().append_child(&root).unwrap();
        yew::Renderer::<Panel>::with_root(root.clone().unchecked_into()).render();
        rendered().await;
        assert_eq!(text(&root, "#state"), "connecting");

        script
            .open()
            .event("news", Some("1"), r#"{"seq":1,"text":"markets open"}"#)
            .event("price", Some("2"), r#"{"seq":2,"text":"ACME 10.50"}"#);
        rendered().await;
        assert_eq!(text(&root, "#state"), "open");
        assert_eq!(text(&root, "#seq"), "2");
        assert_eq!(text(&root, "li[data-type=news]"), "news: markets open");
        assert_eq!(text(&root, "li[data-type=price]"), "price: ACME 10.50");

        // The connection drops: the panel says so, and the stream resumes after event 2 once
        // the back-off (200 ms here) has passed on the virtual clock.
        script.drop_connection();
        rendered().await;
        assert_eq!(text(&root, "#state"), "reconnecting");
        let attempt = script.next_attempt();
        assert_eq!(attempt.last_event_id.as_deref(), Some("2"));
        assert!(attempt.at <= Duration::from_millis(200), "{:?}", attempt.at);
        script
            .open()
            .event("price", Some("3"), r#"{"seq":3,"text":"ACME 10.75"}"#);
        rendered().await;
        assert_eq!(text(&root, "#state"), "open");
        assert_eq!(text(&root, "li[data-type=price]"), "price: ACME 10.75");
        // The re-renders (one per event) kept one stream: two attempts in all.
        assert_eq!(script.attempts().len(), 2);
    }

    /// Renders a panel into a new element of the page.
    fn mount() -> (web_sys::Element, yew::AppHandle<Panel>) {
        let document = web_sys::window().unwrap().document().unwrap();
        let root = document.create_element("div").unwrap();
        document.body().unwrap().append_child(&root).unwrap();
        let app = yew::Renderer::<Panel>::with_root(root.clone().unchecked_into()).render();
        (root, app)
    }

    #[wasm_bindgen_test]
    async fn two_panels_of_one_stream_share_its_connection() {
        let script = Script::new();
        SCRIPT.with(|s| *s.borrow_mut() = Some(script.clone()));
        let (first, first_app) = mount();
        rendered().await;
        script
            .open()
            .event("news", Some("1"), r#"{"seq":1,"text":"markets open"}"#);
        // A second panel, mounted once events have flowed: the state and the latest news at
        // once, one connection.
        let (second, second_app) = mount();
        rendered().await;
        assert_eq!(text(&second, "#state"), "open");
        assert_eq!(text(&second, "li[data-type=news]"), "news: markets open");
        script.event("price", Some("2"), r#"{"seq":2,"text":"ACME 10.50"}"#);
        rendered().await;
        assert_eq!(text(&first, "li[data-type=price]"), "price: ACME 10.50");
        assert_eq!(text(&second, "li[data-type=price]"), "price: ACME 10.50");
        assert_eq!(script.attempts().len(), 1, "one connection for both panels");

        // One unmounts: the other goes on over the same connection.
        first_app.destroy();
        rendered().await;
        assert!(script.connected());
        script.event("price", Some("3"), r#"{"seq":3,"text":"ACME 10.75"}"#);
        rendered().await;
        assert_eq!(text(&second, "#seq"), "3");
        // The last one unmounts: the connection goes.
        second_app.destroy();
        rendered().await;
        assert!(!script.connected(), "the last panel closed the connection");
        assert_eq!(script.attempts().len(), 1);
        first.remove();
        second.remove();
    }
}
