//! A tally of frames by destination (`crate::traffic`) added to the adapter's counters once per
//! batch or write request, for `OID_GEN_STATISTICS` and the per-destination `OID_GEN_*` counters.

use super::{Counters, bump};
use crate::sync::atomic::AtomicU64;
use crate::traffic::TrafficTally;

/// `tally` into its counters: the frame and octet totals, then per destination (directed,
/// multicast, broadcast). Nothing to add, nothing touched.
fn add(
    tally: &TrafficTally,
    total: (&AtomicU64, &AtomicU64),
    per_destination: [(&AtomicU64, &AtomicU64); 3],
) {
    if tally.frames() == 0 {
        return;
    }
    bump(total.0, tally.frames());
    bump(total.1, tally.bytes());
    for ((frames, bytes), (frame_counter, byte_counter)) in
        [tally.directed, tally.multicast, tally.broadcast].into_iter().zip(per_destination)
    {
        if frames > 0 {
            bump(frame_counter, frames);
            bump(byte_counter, bytes);
        }
    }
}

/// Frames indicated up: `OID_GEN_RCV_OK`, the octets and the per-destination counters.
pub fn add_received(tally: &TrafficTally, c: &Counters) {
    add(
        tally,
        (&c.rcv_ok, &c.bytes_rcv),
        [
            (&c.directed_frames_rcv, &c.directed_bytes_rcv),
            (&c.multicast_frames_rcv, &c.multicast_bytes_rcv),
            (&c.broadcast_frames_rcv, &c.broadcast_bytes_rcv),
        ],
    );
}

/// Frames a write request carried that the device took: `OID_GEN_XMIT_OK`, the octets and the
/// per-destination counters, all from the one tally, so that they agree (a failed write counts
/// in none of them, only in `OID_GEN_XMIT_ERROR`).
pub fn add_transmitted(tally: &TrafficTally, c: &Counters) {
    add(
        tally,
        (&c.xmit_ok, &c.bytes_xmit),
        [
            (&c.directed_frames_xmit, &c.directed_bytes_xmit),
            (&c.multicast_frames_xmit, &c.multicast_bytes_xmit),
            (&c.broadcast_frames_xmit, &c.broadcast_bytes_xmit),
        ],
    );
}
