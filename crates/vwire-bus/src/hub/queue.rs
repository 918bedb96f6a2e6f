//! A port's receive queue: a bounded FIFO of frames waiting for the miniport's next read.
//!
//! The storage is one allocation made when the port is added: a ring of bytes holding each frame
//! as one contiguous record (its length, the time it was enqueued, its bytes), so a frame takes the
//! room it needs and no more. A queue sized for `capacity` standard frames then holds the same
//! bytes of jumbo frames, and a 9000-byte MTU costs a port no more memory than a 1500-byte one.
//! Enqueueing copies the frame in; nothing allocates per frame. The bytes are reserved up front but
//! written (zeroed) only as the tail first reaches them, so an idle port's queue costs no page of
//! memory a host process would have to fault in and clear.

use alloc::vec::Vec;

use super::HubError;

/// Bytes in front of each frame: its length (`u16`) and when it was enqueued (`u64`), little-endian.
const RECORD_HEADER: usize = 10;
/// The length a record header gives to mark "the ring continues at offset 0": the rest of the
/// buffer after it is unused. Longer than any frame.
const WRAP_MARK: u16 = u16::MAX;
/// What a queue is sized by: `capacity` frames of a standard Ethernet frame with an 802.1Q tag.
const STANDARD_FRAME: usize = 1518;

/// A bounded ring of frames, each with the (virtual) time it was enqueued.
pub(crate) struct FrameQueue {
    /// The ring: records from `head` on, in the order they were pushed, wrapping at a
    /// [`WRAP_MARK`], where fewer than [`RECORD_HEADER`] bytes are left, or at its written length
    /// (no mark is written past it: reading a header there fails, which is a wrap). Its capacity is
    /// `size`, reserved when the queue is made; its length is how far records have reached, and
    /// grows within that capacity (never reallocating).
    ring: Vec<u8>,
    /// The ring's size in bytes.
    size: usize,
    /// The longest frame the queue takes.
    max_frame: usize,
    /// The most frames it holds.
    capacity: usize,
    /// Offset of the oldest record (meaningful while `len > 0`).
    head: usize,
    /// Offset where the next record goes.
    tail: usize,
    /// Number of frames queued.
    len: usize,
}

impl FrameQueue {
    /// Allocates the whole queue: room for `capacity` standard frames (and at least one of
    /// `max_frame` bytes, so that the longest frame always fits an empty queue); `OutOfMemory`
    /// instead of an abort if the allocator refuses.
    pub(crate) fn with_capacity(capacity: usize, max_frame: usize) -> Result<Self, HubError> {
        let record = |frame: usize| frame.checked_add(RECORD_HEADER).ok_or(HubError::OutOfMemory);
        let bytes = if capacity == 0 {
            0
        } else {
            capacity
                .checked_mul(record(STANDARD_FRAME)?)
                .ok_or(HubError::OutOfMemory)?
                .max(record(max_frame)?)
        };
        let mut ring = Vec::new();
        ring.try_reserve_exact(bytes).map_err(|_| HubError::OutOfMemory)?;
        Ok(Self { ring, size: bytes, max_frame, capacity, head: 0, tail: 0, len: 0 })
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// No more frames fit by count; a frame may still not fit by bytes ([`FrameQueue::push`]).
    pub(crate) fn is_full(&self) -> bool {
        self.len >= self.capacity
    }

    /// Copies `frame` in at the tail and returns the stored copy (for fault injection), or `None` if
    /// the queue is full (by count or by bytes) or the frame is longer than the queue takes (the
    /// caller counts the drop).
    pub(crate) fn push(&mut self, frame: &[u8], now: u64) -> Option<&mut [u8]> {
        if self.is_full() || frame.len() > self.max_frame {
            return None;
        }
        let length = u16::try_from(frame.len()).ok().filter(|&l| l != WRAP_MARK)?;
        let record = frame.len().checked_add(RECORD_HEADER)?;
        if self.len == 0 {
            self.head = 0;
            self.tail = 0;
        }
        let at = self.room_for(record)?;
        let record_end = at.checked_add(record)?;
        if record_end > self.ring.capacity() {
            // `room_for` keeps records inside `size`, which `with_capacity` reserved: never taken,
            // and it keeps the resize below from ever reallocating (no allocation in a DPC).
            return None;
        }
        if self.ring.len() < record_end {
            self.ring.resize(record_end, 0);
        }
        let header = self.ring.get_mut(at..at.checked_add(RECORD_HEADER)?)?;
        let (length_bytes, time_bytes) = header.split_at_mut_checked(2)?;
        length_bytes.copy_from_slice(&length.to_le_bytes());
        time_bytes.copy_from_slice(&now.to_le_bytes());
        let start = at.checked_add(RECORD_HEADER)?;
        let end = start.checked_add(frame.len())?;
        self.ring.get_mut(start..end)?.copy_from_slice(frame);
        self.tail = end;
        self.len = self.len.checked_add(1)?;
        self.ring.get_mut(start..end)
    }

    /// Where a record of `record` bytes goes, wrapping the tail to the start (and marking the
    /// wrap) if it does not fit at the end; None if there is no room.
    fn room_for(&mut self, record: usize) -> Option<usize> {
        let behind_head = self.len > 0 && self.tail <= self.head;
        if behind_head {
            // The free bytes are between the tail and the oldest record.
            return (self.head.checked_sub(self.tail)? >= record).then_some(self.tail);
        }
        if self.size.checked_sub(self.tail)? >= record {
            return Some(self.tail);
        }
        // Wrap: the start of the ring up to the oldest record (all of it when empty) must hold it.
        let free_at_start = if self.len == 0 { self.size } else { self.head };
        if free_at_start < record {
            return None;
        }
        if let Some(mark) = self.ring.get_mut(self.tail..self.tail.checked_add(2)?) {
            mark.copy_from_slice(&WRAP_MARK.to_le_bytes());
        }
        self.tail = 0;
        Some(0)
    }

    /// The offset of the oldest record, past a wrap: a wrap mark at `head`, or a header that cannot
    /// be read there (too close to the end, or past what was ever written), sends it to 0.
    fn head_record(&self) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let header = self.ring.get(self.head..self.head.checked_add(RECORD_HEADER)?);
        match header.and_then(|h| h.get(..2)) {
            Some(&[low, high]) if u16::from_le_bytes([low, high]) != WRAP_MARK => Some(self.head),
            _ => Some(0),
        }
    }

    /// The record at `at`: its frame's range in the ring and its time.
    fn record_at(&self, at: usize) -> Option<(core::ops::Range<usize>, u64)> {
        let header = self.ring.get(at..at.checked_add(RECORD_HEADER)?)?;
        let (length, time) = header.split_at_checked(2)?;
        let length = usize::from(u16::from_le_bytes(length.try_into().ok()?));
        let time = u64::from_le_bytes(time.try_into().ok()?);
        let start = at.checked_add(RECORD_HEADER)?;
        Some((start..start.checked_add(length)?, time))
    }

    /// The oldest frame and the time it was enqueued.
    pub(crate) fn front(&self) -> Option<(&[u8], u64)> {
        let (range, time) = self.record_at(self.head_record()?)?;
        Some((self.ring.get(range)?, time))
    }

    /// Drops every frame.
    pub(crate) fn clear(&mut self) {
        self.head = 0;
        self.tail = 0;
        self.len = 0;
    }

    /// Drops the oldest frame.
    pub(crate) fn pop(&mut self) {
        let Some((range, _)) = self.head_record().and_then(|at| self.record_at(at)) else {
            return;
        };
        self.head = range.end;
        self.len = self.len.saturating_sub(1);
        if self.len == 0 {
            self.head = 0;
            self.tail = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::FrameQueue;
    use std::collections::VecDeque;
    use std::vec::Vec;

    #[test]
    fn fifo_wraps_around_and_refuses_when_full() {
        let mut q = FrameQueue::with_capacity(3, 1518).unwrap();
        for round in 0u8..5 {
            assert!(q.push(&[round; 60], u64::from(round)).is_some());
            assert!(q.push(&[round.wrapping_add(100); 61], 0).is_some());
            let (f, at) = q.front().unwrap();
            assert_eq!((f, at), (&[round; 60][..], u64::from(round)));
            q.pop();
            assert_eq!(q.front().unwrap().0, &[round.wrapping_add(100); 61][..]);
            q.pop();
            assert_eq!(q.len(), 0);
        }
        for _ in 0..3 {
            assert!(q.push(&[1; 64], 0).is_some());
        }
        assert!(q.is_full());
        assert!(q.push(&[1; 64], 0).is_none());
    }

    #[test]
    fn zero_capacity_queue_is_always_full() {
        let mut q = FrameQueue::with_capacity(0, 1518).unwrap();
        assert!(q.push(&[0; 60], 0).is_none());
        assert!(q.front().is_none());
        q.pop();
    }

    #[test]
    fn oversized_frame_is_refused() {
        let mut q = FrameQueue::with_capacity(1, 1518).unwrap();
        assert!(q.push(&[0; 1519], 0).is_none());
        assert_eq!(q.len(), 0);
        let mut jumbo = FrameQueue::with_capacity(2, 9018).unwrap();
        assert!(jumbo.push(&[0; 9019], 0).is_none());
        assert!(jumbo.push(&[7; 9018], 0).is_some());
        assert_eq!(jumbo.front().unwrap().0, &[7; 9018][..]);
    }

    #[test]
    fn a_queue_holds_bytes_not_slots_so_jumbo_frames_cost_no_more_memory() {
        // Four standard frames' worth of bytes: four 1518-byte frames, or one 9018-byte frame
        // (the longest always fits an empty queue), or many small ones up to the count.
        let mut q = FrameQueue::with_capacity(4, 9018).unwrap();
        assert_eq!(q.size, 9028, "a jumbo record, more than 4 x 1528");
        assert!(q.push(&[1; 9018], 0).is_some());
        assert!(q.push(&[2; 60], 0).is_none(), "no bytes left");
        q.pop();
        for i in 0..4u8 {
            assert!(q.push(&[i; 1518], 0).is_some(), "{i}");
        }
        assert!(q.push(&[9; 14], 0).is_none(), "four frames: full by count");
        let standard = FrameQueue::with_capacity(256, 9018).unwrap();
        assert_eq!(standard.size, 256 * 1528, "the memory of 256 standard slots");
        assert_eq!(standard.ring.len(), 0, "reserved, not yet written");
    }

    /// Frames of mixed sizes pushed and popped in a seeded order come out as a plain FIFO would
    /// give them, wherever the ring wraps; a refused push is a queue truly out of room.
    #[test]
    fn mixed_sizes_behave_as_a_fifo_across_every_wrap() {
        let mut q = FrameQueue::with_capacity(8, 9018).unwrap();
        let storage = q.ring.as_ptr();
        let mut model: VecDeque<(Vec<u8>, u64)> = VecDeque::new();
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for step in 0..20_000u64 {
            if next() % 3 != 0 {
                let len = [14, 60, 61, 1514, 1518, 4088, 9018][(next() % 7) as usize];
                let frame: Vec<u8> = (0..len).map(|i| (i as u64 ^ step) as u8).collect();
                let bytes_used: usize = model.iter().map(|(f, _)| f.len() + 10).sum();
                match q.push(&frame, step) {
                    Some(copy) => {
                        assert_eq!(copy, &frame[..]);
                        model.push_back((frame, step));
                    }
                    // Refused only when full by count, or when neither free stretch (after the
                    // tail, before the head) holds the record, so together they are less than
                    // two records, beside at most one record's worth left unused at a wrap.
                    None => assert!(
                        model.len() == 8 || bytes_used + 9028 + 2 * (len + 10) > q.size,
                        "step {step}: refused {len} with {} frames, {bytes_used} bytes",
                        model.len()
                    ),
                }
            } else {
                match (q.front(), model.front()) {
                    (Some((f, at)), Some((m, m_at))) => assert_eq!((f, at), (&m[..], *m_at), "step {step}"),
                    (None, None) => {}
                    (got, want) => panic!("step {step}: {got:?} != {want:?}"),
                }
                q.pop();
                model.pop_front();
            }
            assert_eq!(q.len(), model.len());
            assert!(q.ring.len() <= q.size, "step {step}: written past the ring");
            assert_eq!(q.ring.as_ptr(), storage, "step {step}: the ring was reallocated");
        }
        assert!(q.size - q.ring.len() < 9028, "20 000 steps write up to the ring's last record");
    }
}
