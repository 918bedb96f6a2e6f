//! The hub's MAC address table (the 802.1D "filtering database"): which port a source address was last
//! seen on, so unicast to it goes to that port only.
//!
//! Fixed size, allocated with the hub: 4-way set-associative, a full set evicts its least recently
//! learned entry. Anyone can send any source address, so the table must stay bounded.

use alloc::vec::Vec;

use super::{HubError, PortId};

const WAYS: usize = 4;

#[derive(Clone, Copy, Default)]
struct Entry {
    mac: [u8; 6],
    /// `None` marks a free way.
    port: Option<PortId>,
    /// Learn order, for eviction.
    stamp: u64,
}

pub(crate) struct MacTable {
    entries: Vec<Entry>,
    sets: usize,
    clock: u64,
}

impl MacTable {
    /// A table with room for at least `capacity` addresses (at least one set).
    pub(crate) fn with_capacity(capacity: usize) -> Result<Self, HubError> {
        let sets = capacity.div_ceil(WAYS).max(1);
        let len = sets.checked_mul(WAYS).ok_or(HubError::OutOfMemory)?;
        let mut entries = Vec::new();
        entries.try_reserve_exact(len).map_err(|_| HubError::OutOfMemory)?;
        entries.resize(len, Entry::default());
        Ok(Self { entries, sets, clock: 0 })
    }

    /// The port `mac` was last learned on.
    pub(crate) fn lookup(&self, mac: &[u8; 6]) -> Option<PortId> {
        self.set(mac).iter().find(|e| e.port.is_some() && e.mac == *mac).and_then(|e| e.port)
    }

    /// Records that `mac` was seen as a source on `port` (a station that moved is updated).
    pub(crate) fn learn(&mut self, mac: &[u8; 6], port: PortId) {
        self.clock = self.clock.wrapping_add(1);
        let stamp = self.clock;
        let set = self.set_mut(mac);
        let way = match set.iter().position(|e| e.port.is_some() && e.mac == *mac) {
            Some(hit) => hit,
            None => match set.iter().position(|e| e.port.is_none()) {
                Some(free) => free,
                None => set.iter().enumerate().min_by_key(|(_, e)| e.stamp).map_or(0, |(i, _)| i),
            },
        };
        if let Some(entry) = set.get_mut(way) {
            *entry = Entry { mac: *mac, port: Some(port), stamp };
        }
    }

    /// Forgets every address learned on `port` (the port was removed or its link went down).
    pub(crate) fn forget_port(&mut self, port: PortId) {
        for entry in self.entries.iter_mut().filter(|e| e.port == Some(port)) {
            entry.port = None;
        }
    }

    fn set_index(&self, mac: &[u8; 6]) -> usize {
        // FNV-1a: cheap and spreads the low, usually sequential, bytes of locally administered MACs.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for &b in mac {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        let sets = u64::try_from(self.sets).unwrap_or(u64::MAX);
        let set = hash.checked_rem(sets).unwrap_or(0);
        usize::try_from(set).unwrap_or(0).saturating_mul(WAYS)
    }

    fn set(&self, mac: &[u8; 6]) -> &[Entry] {
        let start = self.set_index(mac);
        self.entries.get(start..).and_then(|s| s.get(..WAYS)).unwrap_or(&[])
    }

    fn set_mut(&mut self, mac: &[u8; 6]) -> &mut [Entry] {
        let start = self.set_index(mac);
        self.entries.get_mut(start..).and_then(|s| s.get_mut(..WAYS)).unwrap_or(&mut [])
    }
}

#[cfg(test)]
mod tests {
    use super::MacTable;
    use crate::PortId;

    fn mac(n: u16) -> [u8; 6] {
        let [hi, lo] = n.to_be_bytes();
        [0x02, 0, 0, 0, hi, lo]
    }

    #[test]
    fn learns_moves_and_forgets() {
        let mut t = MacTable::with_capacity(16).unwrap();
        t.learn(&mac(1), PortId(1));
        t.learn(&mac(2), PortId(2));
        assert_eq!(t.lookup(&mac(1)), Some(PortId(1)));
        t.learn(&mac(1), PortId(3));
        assert_eq!(t.lookup(&mac(1)), Some(PortId(3)));
        t.forget_port(PortId(3));
        assert_eq!(t.lookup(&mac(1)), None);
        assert_eq!(t.lookup(&mac(2)), Some(PortId(2)));
    }

    #[test]
    fn stays_bounded_and_keeps_the_most_recent() {
        let mut t = MacTable::with_capacity(1);
        let t = t.as_mut().unwrap();
        for n in 0..1000 {
            t.learn(&mac(n), PortId(u32::from(n)));
        }
        // One set of four ways: the last four learned are the ones kept.
        for n in 996..1000 {
            assert_eq!(t.lookup(&mac(n)), Some(PortId(u32::from(n))));
        }
        assert_eq!(t.lookup(&mac(0)), None);
    }
}
