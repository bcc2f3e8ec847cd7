//! Feature `leptos`: hooks for Leptos components.
//!
//! The stream opens in an effect, so it only ever runs in the browser: compiled for server
//! rendering, the hooks return their initial state and do nothing. It is replaced once when the
//! URL signal changes and closed when the owning component is cleaned up.
//!
//! ```no_run
//! use leptos::prelude::*;
//! use serde::Deserialize;
//! use typed_eventsource::leptos::use_event_source;
//!
//! #[derive(Clone, Deserialize)]
//! struct Price { symbol: String, price: f64 }
//!
//! #[component]
//! fn Ticker() -> impl IntoView {
//!     let prices = use_event_source::<Price>("/prices");
//!     let close = prices.close.clone();
//!     view! {
//!         <p>
//!             {move || format!("{:?}", prices.state.get())}
//!             {move || prices.data.get().map(|p| format!(" {} {:.2}", p.symbol, p.price))}
//!             <button on:click=move |_| close()>"stop"</button>
//!         </p>
//!     }
//! }
//! ```

use std::sync::Arc;

use leptos::prelude::*;
use serde::de::DeserializeOwned;

use crate::core::error::Error;
use crate::core::machine::State;
use crate::web::{Builder, EventSource, Transport};

type Configure = Arc<dyn Fn(Builder) -> Builder + Send + Sync>;

/// Options of [`use_event_source_with_options`]. Start from `Default` and set what you need.
#[derive(Clone)]
#[non_exhaustive]
pub struct UseEventSourceOptions {
    /// The event types decoded into `T`. Default: `["message"]`.
    pub event_types: Vec<String>,
    /// Which browser API carries the stream. Default: [`Transport::EventSource`].
    pub transport: Transport,
    /// Any other option, applied to the builder before it opens. Default: none.
    pub configure: Option<Configure>,
}

impl Default for UseEventSourceOptions {
    fn default() -> Self {
        UseEventSourceOptions {
            event_types: vec!["message".to_owned()],
            transport: Transport::default(),
            configure: None,
        }
    }
}

impl UseEventSourceOptions {
    /// Sets [`UseEventSourceOptions::event_types`].
    pub fn event_types<S: Into<String>>(mut self, types: impl IntoIterator<Item = S>) -> Self {
        self.event_types = types.into_iter().map(Into::into).collect();
        self
    }

    /// Sets [`UseEventSourceOptions::transport`].
    pub fn transport(mut self, transport: Transport) -> Self {
        self.transport = transport;
        self
    }

    /// Sets [`UseEventSourceOptions::configure`].
    pub fn configure(mut self, f: impl Fn(Builder) -> Builder + Send + Sync + 'static) -> Self {
        self.configure = Some(Arc::new(f));
        self
    }
}

/// What the hooks return: signals of the latest values, the connection state and the last
/// error, and controls.
pub struct UseEventSourceReturn<T: Send + Sync + 'static> {
    /// The latest value of any of the event types.
    pub data: ReadSignal<Option<T>>,
    /// The latest value of each event type that has had one.
    pub latest: ReadSignal<Vec<(String, T)>>,
    /// The connection state (with attempt and delay while reconnecting).
    pub state: ReadSignal<State>,
    /// The last failure, including decode failures (which keep the raw data).
    pub error: ReadSignal<Option<Error>>,
    /// Closes the stream.
    pub close: Arc<dyn Fn() + Send + Sync>,
    /// Opens a closed stream again, resuming after the last event id.
    pub reopen: Arc<dyn Fn() + Send + Sync>,
}

/// [`use_event_source_with_options`] with the default options: `message` events decoded from
/// JSON into `T` over the browser's `EventSource`.
pub fn use_event_source<T>(url: impl Into<Signal<String>>) -> UseEventSourceReturn<T>
where
    T: DeserializeOwned + Clone + Send + Sync + 'static,
{
    use_event_source_with_options(url, UseEventSourceOptions::default())
}

/// A stream for the owner's lifetime: reopened once whenever `url` changes, closed on cleanup.
/// Components that show the same stream share one connection ([`Builder::share`]; `configure`
/// with `share(false)` gives a component its own, and with [`Builder::share_tabs`]`(true)` the
/// browser's tabs share it too): a component mounted later sees its state at once.
pub fn use_event_source_with_options<T>(
    url: impl Into<Signal<String>>,
    options: UseEventSourceOptions,
) -> UseEventSourceReturn<T>
where
    T: DeserializeOwned + Clone + Send + Sync + 'static,
{
    let url = url.into();
    let data = RwSignal::new(None::<T>);
    let latest = RwSignal::new(Vec::<(String, T)>::new());
    let state = RwSignal::new(State::Connecting { attempt: 0 });
    let error = RwSignal::new(None::<Error>);
    // The handle is not Send: it stays in this thread's arena, and is dropped (closing the
    // stream) when replaced or cleaned up.
    let handle = StoredValue::new_local(None::<EventSource>);

    Effect::new(move |_| {
        let url = url.get();
        // Components that show one stream share its connection (`configure` may say otherwise).
        let mut b = EventSource::builder(url)
            .transport(options.transport)
            .share_if_possible()
            .replay_latest(true);
        for t in &options.event_types {
            let t2 = t.clone();
            b = b.on::<T>(t, move |r| match r {
                Ok(v) => {
                    data.try_set(Some(v.clone()));
                    latest.try_update(|all| match all.iter_mut().find(|(k, _)| *k == t2) {
                        Some(slot) => slot.1 = v,
                        None => all.push((t2.clone(), v)),
                    });
                }
                Err(e) => {
                    error.try_set(Some(e));
                }
            });
        }
        b = b
            .on_state(move |s| {
                state.try_set(s.clone());
            })
            .on_error(move |e| {
                error.try_set(Some(e.clone()));
            });
        if let Some(f) = &options.configure {
            b = f(b);
        }
        // Replacing the old handle drops it, which closes the old stream first.
        handle.try_update_value(|h| *h = None);
        match b.open() {
            Ok(source) => {
                handle.try_update_value(|h| *h = Some(source));
            }
            Err(e) => {
                error.try_set(Some(e));
            }
        }
    });
    on_cleanup(move || {
        handle.try_update_value(|h| *h = None);
    });

    let control = move |f: fn(&EventSource)| -> Arc<dyn Fn() + Send + Sync> {
        Arc::new(move || {
            handle.try_with_value(|h| {
                if let Some(s) = h {
                    f(s)
                }
            });
        })
    };
    UseEventSourceReturn {
        data: data.read_only(),
        latest: latest.read_only(),
        state: state.read_only(),
        error: error.read_only(),
        close: control(EventSource::close),
        reopen: control(EventSource::reopen),
    }
}
