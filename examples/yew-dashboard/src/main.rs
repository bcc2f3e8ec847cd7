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
            b.backoff(Backoff::default().initial(std::time::Duration::from_millis(200)))
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
