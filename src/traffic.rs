//! Frames and bytes by destination (directed, multicast, broadcast): how a frame is addressed, and
//! a tally of frames gathered over one batch or one write request. A leaf: the receive path, the
//! send path and the write requests' context (`nbl::send::WriteRefs`) count with it, and the adapter
//! adds a tally to its counters once (`adapter::traffic`).

/// Bytes of a MAC address.
const ADDRESS_LEN: usize = 6;

/// How a frame is addressed, for the packet filter and the statistics.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Destination {
    Directed,
    Multicast,
    Broadcast,
}

/// The destination class of a frame; None if it is shorter than an address.
pub fn destination_of(frame: &[u8]) -> Option<Destination> {
    let address = frame.get(..ADDRESS_LEN)?;
    Some(if address.iter().all(|byte| *byte == 0xFF) {
        Destination::Broadcast
    } else if address.first().is_some_and(|byte| byte & 0x01 != 0) {
        Destination::Multicast
    } else {
        Destination::Directed
    })
}

/// Frames and bytes by destination. All-zero is "nothing counted".
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq, bytemuck::Zeroable)]
pub struct TrafficTally {
    pub directed: (u64, u64),
    pub multicast: (u64, u64),
    pub broadcast: (u64, u64),
}

impl TrafficTally {
    /// One frame, as it is (or was) on the wire.
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

    pub fn frames(&self) -> u64 {
        self.directed.0.saturating_add(self.multicast.0).saturating_add(self.broadcast.0)
    }

    pub fn bytes(&self) -> u64 {
        self.directed.1.saturating_add(self.multicast.1).saturating_add(self.broadcast.1)
    }
}
