//! The Leptos hook outside a browser (as under server rendering): it returns its initial
//! state, and neither it nor its controls touch the browser or panic.
#![cfg(all(feature = "leptos", not(target_arch = "wasm32")))]

use leptos::prelude::*;
use typed_eventsource::leptos::use_event_source;
use typed_eventsource::State;

#[test]
fn the_leptos_hook_does_nothing_outside_the_browser() {
    let owner = Owner::new();
    owner.with(|| {
        let feed = use_event_source::<serde_json::Value>("/sse");
        assert_eq!(feed.state.get_untracked(), State::Connecting { attempt: 0 });
        assert_eq!(feed.data.get_untracked(), None);
        (feed.close)();
        (feed.reopen)();
        assert_eq!(feed.error.get_untracked(), None);
    });
    drop(owner);
}
