//! A port's receive queue: a bounded FIFO of frames waiting for the miniport's next read.
//!
//! The storage is one allocation of `capacity` fixed slots of the hub's largest frame, made when the
//! port is added; enqueueing copies the frame into the next free slot, so nothing allocates per frame.

use alloc::vec::Vec;

use super::HubError;

/// A bounded ring of frames, each with the (virtual) time it was enqueued.
pub(crate) struct FrameQueue {
    /// `capacity * slot_len` bytes: slot `i` is `slots[i * slot_len..][..slot_len]`.
    slots: Vec<u8>,
    /// Bytes of one slot: the longest frame the queue holds.
    slot_len: usize,
    lens: Vec<u16>,
    enqueued_at: Vec<u64>,
    /// Index of the oldest frame.
    head: usize,
    /// Number of frames queued.
    len: usize,
}

impl FrameQueue {
    /// Allocates the whole queue; `OutOfMemory` instead of an abort if the allocator refuses.
    pub(crate) fn with_capacity(capacity: usize, slot_len: usize) -> Result<Self, HubError> {
        let bytes = capacity.checked_mul(slot_len).ok_or(HubError::OutOfMemory)?;
        Ok(Self {
            slots: zeroed(bytes)?,
            slot_len,
            lens: zeroed(capacity)?,
            enqueued_at: zeroed(capacity)?,
            head: 0,
            len: 0,
        })
    }

    pub(crate) fn capacity(&self) -> usize {
        self.lens.len()
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_full(&self) -> bool {
        self.len >= self.capacity()
    }

    /// Copies `frame` in at the tail and returns the stored copy (for fault injection), or `None` if the
    /// queue is full or the frame is longer than a slot (the caller counts the drop).
    pub(crate) fn push(&mut self, frame: &[u8], now: u64) -> Option<&mut [u8]> {
        if self.is_full() {
            return None;
        }
        let len = u16::try_from(frame.len()).ok().filter(|&l| usize::from(l) <= self.slot_len)?;
        let index = self.index(self.len)?;
        *self.lens.get_mut(index)? = len;
        *self.enqueued_at.get_mut(index)? = now;
        let slot = slot_mut(&mut self.slots, self.slot_len, index)?.get_mut(..frame.len())?;
        slot.copy_from_slice(frame);
        self.len = self.len.checked_add(1)?;
        Some(slot)
    }

    /// The oldest frame and the time it was enqueued.
    pub(crate) fn front(&self) -> Option<(&[u8], u64)> {
        if self.len == 0 {
            return None;
        }
        let len = usize::from(*self.lens.get(self.head)?);
        let at = *self.enqueued_at.get(self.head)?;
        let start = self.head.checked_mul(self.slot_len)?;
        let frame = self.slots.get(start..)?.get(..len)?;
        Some((frame, at))
    }

    /// Drops every frame.
    pub(crate) fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }

    /// Drops the oldest frame.
    pub(crate) fn pop(&mut self) {
        if self.len == 0 {
            return;
        }
        self.head = self.index(1).unwrap_or(0);
        self.len = self.len.saturating_sub(1);
    }

    /// Ring index of the frame `offset` places after the head.
    fn index(&self, offset: usize) -> Option<usize> {
        self.head.checked_add(offset)?.checked_rem(self.capacity())
    }
}

fn slot_mut(slots: &mut [u8], slot_len: usize, index: usize) -> Option<&mut [u8]> {
    let start = index.checked_mul(slot_len)?;
    slots.get_mut(start..)?.get_mut(..slot_len)
}

fn zeroed<T: Clone + Default>(len: usize) -> Result<Vec<T>, HubError> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| HubError::OutOfMemory)?;
    v.resize(len, T::default());
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::FrameQueue;

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
}
