//! The vwire lower-edge protocol: what the NDIS miniport (above) and a vwire bus PDO (below) exchange,
//! and what the host model speaks in place of the bus.
//!
//! - [`Batch`] / [`BatchWriter`]: the contents of one read or write request, many Ethernet frames in one
//!   buffer (the layout is in `docs/lower-edge-protocol.md`).
//! - [`control`]: the internal IOCTL codes and the structures they carry.
//!
//! Everything that arrives from the other side is untrusted: [`Batch::parse`] and every `decode` check
//! the whole message once and then hand out borrowed views or plain values ("views, not copies", as in
//! smoltcp's `wire`). Nothing here allocates, and no input can make it panic (in a driver a panic is a
//! bug check), which the restriction lints below hold the code to.
//!
//! Every multi-byte field on the wire is little-endian.
//!
//! ```
//! use vwire_proto::{Batch, BatchWriter, DEFAULT_MAX_BATCH_BYTES};
//!
//! // The miniport fills a write request's buffer ...
//! let mut buf = [0u8; DEFAULT_MAX_BATCH_BYTES];
//! let mut writer = BatchWriter::new(&mut buf)?;
//! writer.push(&[0xff; 60])?;
//! writer.push_with(64, |frame| frame.fill(0x11))?; // e.g. gathered from an MDL chain
//! let total_length = writer.finish();
//!
//! // ... and the device checks it once, then reads the frames in place.
//! let batch = Batch::parse(&buf[..total_length])?;
//! assert_eq!(batch.frame_count(), 2);
//! assert!(batch.frames().all(|frame| frame.len() >= 60));
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unreachable,
    clippy::todo,
    clippy::unimplemented
)]

#[cfg(test)]
extern crate std;

pub mod admin;
mod batch;
pub mod control;
mod wire;

pub use batch::{
    BATCH_HEADER_LEN, BATCH_MAGIC, Batch, BatchError, BatchProgress, BatchWriter, DEFAULT_MAX_BATCH_BYTES,
    FRAME_OVERHEAD, FrameSpans, Frames, JUMBO_MTU, MAX_BATCH_FRAMES, MAX_FRAME_LEN, MIN_FRAME_LEN, PushError,
    RECORD_ALIGN, RECORD_HEADER_LEN, STANDARD_MTU, largest_frame_in, record_len,
};
pub use control::{
    ControlError, ControlHeader, DeviceInfo, FILE_ANY_ACCESS, FILE_DEVICE_NETWORK,
    IOCTL_VWIRE_QUERY_COUNTERS, IOCTL_VWIRE_QUERY_DEVICE, IOCTL_VWIRE_SET_MULTICAST_LIST,
    IOCTL_VWIRE_SET_PACKET_FILTER, IOCTL_VWIRE_WAIT_LINK_CHANGE, LinkState, LinkWait, MAX_MULTICAST,
    METHOD_BUFFERED, MacAddress, MulticastList, PacketFilter, PortCounters, ctl_code,
};

/// The protocol version this crate speaks, carried by every batch header and every control header.
/// A peer rejects any other value: there is no negotiation, a change of layout is a new version.
pub const PROTOCOL_VERSION: u16 = 1;
