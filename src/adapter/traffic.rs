//! Frames and bytes by destination (directed, multicast, broadcast), gathered over one batch on its
//! way down or up and added to the adapter's counters once, for `OID_GEN_STATISTICS` and the
//! per-destination `OID_GEN_*` counters.

use super::receive::{Destination, destination_of};
use super::{Counters, bump};
use crate::sync::atomic::AtomicU64;

/// Frames and bytes by destination, gathered over a batch and added to the adapter's counters once.
#[derive(Default)]
pub struct TrafficTally {
    directed: (u64, u64),
    multicast: (u64, u64),
    broadcast: (u64, u64),
}

impl TrafficTally {
    pub fn count(&mut self, frame: &[u8]) {
        let bytes = u64::try_from(frame.len()).unwrap_or(u64::MAX);
        let entry = match destination_of(frame) {
            Some(Destination::Broadcast) => &mut self.broadcast,
            Some(Destination::Multicast) => &mut self.multicast,
            _ => &mut self.directed,
        };
        entry.0 = entry.0.saturating_add(1);
        entry.1 = entry.1.saturating_add(bytes);
    }

    fn frames(&self) -> u64 {
        self.directed.0.saturating_add(self.multicast.0).saturating_add(self.broadcast.0)
    }

    fn bytes(&self) -> u64 {
        self.directed.1.saturating_add(self.multicast.1).saturating_add(self.broadcast.1)
    }

    fn add(&self, counters: [(&AtomicU64, &AtomicU64); 3]) {
        let [directed, multicast, broadcast] = counters;
        for ((frames, bytes), (frame_counter, byte_counter)) in
            [self.directed, self.multicast, self.broadcast].into_iter().zip([directed, multicast, broadcast])
        {
            if frames > 0 {
                bump(frame_counter, frames);
                bump(byte_counter, bytes);
            }
        }
    }

    /// Frames indicated up: `OID_GEN_RCV_OK`, the octets and the per-destination counters.
    pub fn add_received(&self, c: &Counters) {
        if self.frames() == 0 {
            return;
        }
        bump(&c.rcv_ok, self.frames());
        bump(&c.bytes_rcv, self.bytes());
        self.add([
            (&c.directed_frames_rcv, &c.directed_bytes_rcv),
            (&c.multicast_frames_rcv, &c.multicast_bytes_rcv),
            (&c.broadcast_frames_rcv, &c.broadcast_bytes_rcv),
        ]);
    }

    /// Frames packed for sending: the per-destination transmit counters.
    pub fn add_transmitted(&self, c: &Counters) {
        self.add([
            (&c.directed_frames_xmit, &c.directed_bytes_xmit),
            (&c.multicast_frames_xmit, &c.multicast_bytes_xmit),
            (&c.broadcast_frames_xmit, &c.broadcast_bytes_xmit),
        ]);
    }
}
