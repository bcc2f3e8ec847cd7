//! The sans-IO core: everything that decides, and nothing that touches the browser.
//!
//! [`parser`] turns bytes into events, [`backoff`] says how long to wait, [`config`] holds
//! what a stream is configured with, and [`machine`]
//! decides what to do with every input: it reads no clock (time comes in as an argument), draws
//! no random number of its own (it is seeded) and performs no I/O (it asks for it through
//! outputs). So it runs, and is tested, the same natively and in the browser.

pub mod backoff;
pub mod config;
pub mod error;
pub mod machine;
pub mod parser;
pub(crate) mod wire;
