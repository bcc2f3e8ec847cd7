//! typed-eventsource
#![deny(missing_docs)]

pub mod core;
