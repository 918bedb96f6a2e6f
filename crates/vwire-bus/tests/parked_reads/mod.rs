//! The reads a test parks for the hub's ports ([`vwire_bus::ParkedReads`]), with the checks every
//! caller's contract asks of the hub: at most one read taken per port at a time, every read handed
//! back before `write_batch_into` returns, and a filled one holding a batch that parses.

// Shared by two test crates, each of which uses a part of it.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};

use vwire_bus::{HandedBack, ParkedReads, PortId};
use vwire_proto::Batch;

#[derive(Default)]
pub struct TestReads {
    parked: HashMap<PortId, VecDeque<Vec<u8>>>,
    taken: HashMap<PortId, Vec<u8>>,
    /// The batches the hub filled, in the order it handed them back.
    pub filled: Vec<(PortId, Vec<u8>)>,
    /// Reads handed back empty (parked again at the head, this helper's choice), and why.
    pub put_back: usize,
    pub unused: Vec<HandedBack>,
    /// `Some(n)`: the next `n` calls of `buffer` give the buffer, the ones after fail (the OS
    /// cannot map it).
    pub buffers_left: Option<usize>,
}

impl TestReads {
    /// Parks a read of `len` bytes on `port`, behind those parked already.
    pub fn park(&mut self, port: PortId, len: usize) {
        self.parked.entry(port).or_default().push_back(vec![0xcc; len]);
    }

    /// Reads still parked on `port`.
    pub fn parked(&self, port: PortId) -> usize {
        self.parked.get(&port).map_or(0, VecDeque::len)
    }

    /// Every read taken has been handed back (checked after each write).
    pub fn none_taken(&self) -> bool {
        self.taken.is_empty()
    }

    /// The frames of the filled batches of `port`, in order.
    pub fn frames_of(&self, port: PortId) -> Vec<Vec<u8>> {
        self.filled
            .iter()
            .filter(|(p, _)| *p == port)
            .flat_map(|(_, batch)| {
                Batch::parse(batch).unwrap().frames().map(<[u8]>::to_vec).collect::<Vec<_>>()
            })
            .collect()
    }
}

impl ParkedReads for TestReads {
    fn take(&mut self, port: PortId) -> bool {
        assert!(!self.taken.contains_key(&port), "the hub took a second read for {port:?} in one write");
        match self.parked.get_mut(&port).and_then(VecDeque::pop_front) {
            Some(read) => {
                self.taken.insert(port, read);
                true
            }
            None => false,
        }
    }

    fn buffer(&mut self, port: PortId) -> Option<&mut [u8]> {
        if let Some(left) = &mut self.buffers_left {
            if *left == 0 {
                return None;
            }
            *left -= 1;
        }
        self.taken.get_mut(&port).map(Vec::as_mut_slice)
    }

    fn finish(&mut self, port: PortId, handed_back: HandedBack) {
        let read =
            self.taken.remove(&port).unwrap_or_else(|| panic!("{port:?} handed back a read it never took"));
        match handed_back {
            HandedBack::Filled(length) => {
                let batch = read[..length].to_vec();
                let parsed = Batch::parse(&batch).expect("a filled read holds a batch");
                assert!(parsed.frame_count() > 0, "a read handed back as filled holds frames");
                self.filled.push((port, batch));
            }
            why @ (HandedBack::NoBuffer | HandedBack::TooSmall) => {
                self.put_back += 1;
                self.unused.push(why);
                self.parked.entry(port).or_default().push_front(read);
            }
        }
    }
}
