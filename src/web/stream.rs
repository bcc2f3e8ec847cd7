//! Feature `stream`: the typed events of one type as a `futures_core::Stream`, built on the
//! callback layer.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::marker::PhantomData;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use futures_core::Stream;
use serde::de::DeserializeOwned;

use super::handlers::decode;
use super::EventSource;
use crate::core::error::{CloseReason, Error};
use crate::core::machine::State;
use crate::core::parser::Event;

#[derive(Default)]
struct Queue {
    items: VecDeque<Event>,
    /// The failure the source gave up on, yielded after the events before it.
    failure: Option<Error>,
    ended: bool,
    waker: Option<Waker>,
}

/// The events of one type, decoded into `T`; it ends when the stream closes, with the failure
/// it gave up on (if any) as its last item. Made by [`EventSource::stream`].
///
/// Events wait in the stream until polled, so poll it as long as the source runs.
#[must_use = "streams do nothing unless polled"]
pub struct EventStream<T> {
    queue: Rc<RefCell<Queue>>,
    _type: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for EventStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream")
            .field("queued", &self.queue.borrow().items.len())
            .finish()
    }
}

impl EventSource {
    /// The events of `event_type` as a stream of `Result<T, Error>` (decode failures keep the
    /// raw data). It ends when the source closes for good or is dropped, and stays ended if
    /// the source is reopened: take a new stream then. When the source gave up on a failure
    /// (a 404, a [one-shot](super::Builder::one_shot) stream broken before it could resume),
    /// that failure is the last item, after the events that came before it; a source closed by
    /// the program, by the server (204) or by a one-shot stream's end just ends.
    pub fn stream<T: DeserializeOwned>(&self, event_type: &str) -> EventStream<T> {
        let queue = Rc::new(RefCell::new(Queue {
            ended: matches!(self.state(), State::Closed { .. }),
            ..Queue::default()
        }));
        let q = queue.clone();
        // Kept raw and decoded when polled; the id is never looked at.
        self.add_raw(event_type, false, move |event| {
            push(&q, Some(event.clone()));
        });
        let q = queue.clone();
        self.on_state(move |state| {
            if let State::Closed { reason } = state {
                if let CloseReason::Failed(e) = reason {
                    let mut q = q.borrow_mut();
                    if !q.ended {
                        q.failure = Some(e.clone());
                    }
                }
                push(&q, None);
            }
        });
        EventStream {
            queue,
            _type: PhantomData,
        }
    }
}

fn push(queue: &RefCell<Queue>, item: Option<Event>) {
    let mut q = queue.borrow_mut();
    match item {
        // An ended stream stays ended: a reopened source does not feed it again (make a new
        // stream for that).
        Some(_) if q.ended => return,
        Some(item) => q.items.push_back(item),
        None => q.ended = true,
    }
    if let Some(w) = q.waker.take() {
        w.wake();
    }
}

impl<T: DeserializeOwned> Stream for EventStream<T> {
    type Item = Result<T, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut q = self.queue.borrow_mut();
        if let Some(event) = q.items.pop_front() {
            return Poll::Ready(Some(decode(&event)));
        }
        if let Some(failure) = q.failure.take() {
            return Poll::Ready(Some(Err(failure)));
        }
        // The source's handlers hold the other end; when the source is dropped they are
        // cleared, which leaves this the only owner.
        if q.ended || Rc::strong_count(&self.queue) == 1 {
            return Poll::Ready(None);
        }
        q.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}
