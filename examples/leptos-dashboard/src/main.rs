//! A live dashboard: the latest headline and price from the demo server's stream, the
//! connection state, a button that switches to another stream (a new URL: the hook reconnects
//! once) and one that unmounts the panel (closing its stream).

use leptos::prelude::*;
use serde::Deserialize;
use typed_eventsource::leptos::{use_event_source_with_options, UseEventSourceOptions};
use typed_eventsource::{Backoff, State, Transport};

/// The demo server's payloads carry at least these fields.
#[derive(Clone, Deserialize)]
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
        .unwrap_or("leptos-dashboard")
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

#[component]
fn Panel() -> impl IntoView {
    let switched = RwSignal::new(false);
    let url = Signal::derive(move || {
        format!(
            "/sse?scenario={}{}&data=demo&event=news,price&interval_ms=100&keepalive_ms=1000&end=hold",
            scenario(),
            if switched.get() { "-switched" } else { "" }
        )
    });
    let feed = use_event_source_with_options::<Item>(
        url,
        UseEventSourceOptions::default()
            .event_types(["news", "price"])
            .transport(Transport::Fetch)
            .configure(|b| {
                b.backoff(Backoff::default().initial(std::time::Duration::from_millis(200)))
            }),
    );
    let row = move |t: &'static str| {
        move || {
            feed.latest
                .get()
                .into_iter()
                .find(|(k, _)| k == t)
                .map(|(_, u)| view! { <li data-type=t>{format!("{t}: {}", u.text)}</li> })
        }
    };
    view! {
        <section id="panel">
            <button id="switch" on:click=move |_| switched.set(true)>"Switch stream"</button>
            <p>"State: "<strong id="state">{move || state_name(&feed.state.get())}</strong></p>
            <p>"Last id: "<strong id="seq">{move || feed.data.get().map(|u| u.seq).unwrap_or(0)}</strong></p>
            <ul>{row("news")}{row("price")}</ul>
        </section>
    }
}

#[component]
fn App() -> impl IntoView {
    let shown = RwSignal::new(true);
    view! {
        <main>
            <h1>"Leptos dashboard"</h1>
            <button id="toggle" on:click=move |_| shown.update(|s| *s = !*s)>
                {move || if shown.get() { "Unmount" } else { "Mount" }}
            </button>
            <Show when=move || shown.get() fallback=|| view! { <p id="unmounted">"unmounted"</p> }>
                <Panel/>
            </Show>
        </main>
    }
}

fn main() {
    leptos::mount::mount_to_body(App);
}
