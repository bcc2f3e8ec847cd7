//! Feature `yew`: hooks for Yew function components.
//!
//! The stream lives as long as the component (or until its URL or options change, when it is
//! replaced once): the handle is dropped on unmount, which closes the connection and frees
//! every listener and timer.
//!
//! ```no_run
//! use serde::Deserialize;
//! use typed_eventsource::yew::use_event_source;
//! use yew::prelude::*;
//!
//! #[derive(Deserialize)]
//! struct Price { symbol: String, price: f64 }
//!
//! #[function_component]
//! fn Ticker() -> Html {
//!     let prices = use_event_source::<Price>("/prices");
//!     html! {
//!         <p>
//!             { format!("{:?} ", prices.state) }
//!             { prices.data.as_ref().map(|p| format!("{} {:.2}", p.symbol, p.price)).unwrap_or_default() }
//!             <button onclick={prices.close.reform(|_| ())}>{ "stop" }</button>
//!         </p>
//!     }
//! }
//! ```

use std::cell::RefCell;
use std::rc::Rc;

use serde::de::DeserializeOwned;
use yew::prelude::*;

use crate::core::error::Error;
use crate::core::machine::State;
use crate::web::{Builder, EventSource, Transport};

/// Options of [`use_event_source_with_options`]. Start from `Default` and set what you need.
#[derive(Clone)]
#[non_exhaustive]
pub struct UseEventSourceOptions {
    /// The event types decoded into `T`. Default: `["message"]`.
    pub event_types: Vec<String>,
    /// Which browser API carries the stream. Default: [`Transport::EventSource`].
    pub transport: Transport,
    /// Any other option, applied to the builder when the stream opens. Default: none.
    ///
    /// A closure written inline is a new value on every render, and closures cannot be
    /// compared, so it takes no part in deciding whether to reopen: a re-render never
    /// reconnects. To reopen with a changed configuration (a new token, say), change
    /// [`UseEventSourceOptions::key`] too.
    pub configure: Option<Rc<dyn Fn(Builder) -> Builder>>,
    /// Names the configuration: when it changes, the stream is reopened with the current
    /// `configure`. Default: none.
    pub key: Option<String>,
}

impl Default for UseEventSourceOptions {
    fn default() -> Self {
        UseEventSourceOptions {
            event_types: vec!["message".to_owned()],
            transport: Transport::default(),
            configure: None,
            key: None,
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
    pub fn configure(mut self, f: impl Fn(Builder) -> Builder + 'static) -> Self {
        self.configure = Some(Rc::new(f));
        self
    }

    /// Sets [`UseEventSourceOptions::key`].
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }
}

/// Equal when the stream they open is the same: `configure` is left out (see its docs), and
/// `key` stands for it.
impl PartialEq for UseEventSourceOptions {
    fn eq(&self, other: &Self) -> bool {
        self.event_types == other.event_types
            && self.transport == other.transport
            && self.configure.is_some() == other.configure.is_some()
            && self.key == other.key
    }
}

/// What the hooks return: the latest values, the connection state, the last error, and
/// controls.
pub struct UseEventSourceReturn<T> {
    /// The latest value of any of the event types.
    pub data: Option<Rc<T>>,
    /// The latest value of each event type that has had one.
    pub latest: Rc<Vec<(String, Rc<T>)>>,
    /// The connection state (with attempt and delay while reconnecting).
    pub state: State,
    /// The last failure, including decode failures (which keep the raw data).
    pub error: Option<Error>,
    /// Closes the stream.
    pub close: Callback<()>,
    /// Opens a closed stream again, resuming after the last event id.
    pub reopen: Callback<()>,
}

impl<T> UseEventSourceReturn<T> {
    /// The latest value of this event type.
    pub fn latest_of(&self, event_type: &str) -> Option<Rc<T>> {
        self.latest
            .iter()
            .find(|(t, _)| t == event_type)
            .map(|(_, v)| v.clone())
    }
}

struct Latest<T> {
    last: Option<Rc<T>>,
    by_type: Rc<Vec<(String, Rc<T>)>>,
}

impl<T> Reducible for Latest<T> {
    type Action = (String, Rc<T>);

    fn reduce(self: Rc<Self>, (event_type, value): Self::Action) -> Rc<Self> {
        let mut by_type: Vec<_> = (*self.by_type).clone();
        match by_type.iter_mut().find(|(t, _)| *t == event_type) {
            Some(slot) => slot.1 = value.clone(),
            None => by_type.push((event_type, value.clone())),
        }
        Rc::new(Latest {
            last: Some(value),
            by_type: Rc::new(by_type),
        })
    }
}

/// [`use_event_source_with_options`] with the default options: `message` events decoded from
/// JSON into `T` over the browser's `EventSource`.
#[hook]
pub fn use_event_source<T>(url: &str) -> UseEventSourceReturn<T>
where
    T: DeserializeOwned + 'static,
{
    use_event_source_with_options(url, UseEventSourceOptions::default())
}

/// A stream for the component's lifetime: reopened once when `url` or `options` change,
/// closed on unmount. Components that show the same stream share one connection
/// ([`Builder::share`]; `configure` with `share(false)` gives a component its own, and with
/// [`Builder::share_tabs`]`(true)` the browser's tabs share it too): a component mounted later
/// sees its state at once.
#[hook]
pub fn use_event_source_with_options<T>(
    url: &str,
    options: UseEventSourceOptions,
) -> UseEventSourceReturn<T>
where
    T: DeserializeOwned + 'static,
{
    let latest = use_reducer(|| Latest::<T> {
        last: None,
        by_type: Rc::new(Vec::new()),
    });
    let state = use_state(|| State::Connecting { attempt: 0 });
    let error = use_state(|| None::<Error>);
    let handle = use_mut_ref(|| None::<EventSource>);
    {
        let (latest, state, error, handle) = (
            latest.dispatcher(),
            state.setter(),
            error.setter(),
            handle.clone(),
        );
        use_effect_with((url.to_owned(), options), move |(url, options)| {
            // Components that show one stream share its connection (`configure` may say
            // otherwise).
            let mut b = EventSource::builder(url.clone())
                .transport(options.transport)
                .share_if_possible()
                .replay_latest(true);
            for t in &options.event_types {
                let (latest, error, t2) = (latest.clone(), error.clone(), t.clone());
                b = b.on::<T>(t, move |r| match r {
                    Ok(v) => latest.dispatch((t2.clone(), Rc::new(v))),
                    Err(e) => error.set(Some(e)),
                });
            }
            let on_error = error.clone();
            b = b
                .on_state(move |s| state.set(s.clone()))
                .on_error(move |e| on_error.set(Some(e.clone())));
            if let Some(f) = &options.configure {
                b = f(b);
            }
            match b.open() {
                Ok(source) => *handle.borrow_mut() = Some(source),
                Err(e) => error.set(Some(e)),
            }
            move || drop(handle.borrow_mut().take())
        });
    }
    let control = |f: fn(&EventSource)| {
        let handle: Rc<RefCell<Option<EventSource>>> = handle.clone();
        Callback::from(move |()| {
            if let Some(s) = handle.borrow().as_ref() {
                f(s)
            }
        })
    };
    UseEventSourceReturn {
        data: latest.last.clone(),
        latest: latest.by_type.clone(),
        state: (*state).clone(),
        error: (*error).clone(),
        close: control(EventSource::close),
        reopen: control(EventSource::reopen),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Options written inline in a component: a new closure every render.
    fn inline() -> UseEventSourceOptions {
        UseEventSourceOptions::default()
            .event_types(["news"])
            .configure(|b| b.idle_timeout(std::time::Duration::from_secs(30)))
    }

    #[test]
    fn options_written_inline_are_equal_from_render_to_render() {
        assert!(inline() == inline());
        assert!(inline().key("token-1") != inline().key("token-2"));
        assert!(inline() != UseEventSourceOptions::default().event_types(["news"]));
    }
}
