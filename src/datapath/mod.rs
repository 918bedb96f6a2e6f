//! Send and receive: what frames need on their way through the miniport.
//!
//! - [`send`]: NBLs queue without allocation, one context at a time packs their NET_BUFFERs into
//!   pre-allocated write requests (a batch of frames per request), and each NBL completes exactly
//!   once, when the last request carrying one of its frames has.
//! - [`receive`]: reads stay pending below; a completed read's batch is validated whole, filtered,
//!   copied once into pre-allocated receive NBLs and indicated as a chain.

pub mod receive;
pub mod send;
