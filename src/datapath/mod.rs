//! Send and receive: what frames need on their way through the miniport.
//!
//! The frame transport over the lower edge arrives with the lower-edge protocol; until then the
//! receive side is its pre-allocated resources and the send side completes every NBL with the
//! status the adapter's state dictates.

pub mod receive;
pub mod send;
