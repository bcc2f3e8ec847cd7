//! typed-eventsource
#![deny(missing_docs)]
