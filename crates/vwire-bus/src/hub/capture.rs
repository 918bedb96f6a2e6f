//! A port's capture buffer: copies of the frames the port's adapter writes, kept for the
//! administrator's `IOCTL_VWIRE_BUS_CAPTURE_READ` (`vwire_proto::admin`, "Injecting and capturing
//! frames").
//!
//! A bounded ring of fixed slots ([`FrameQueue`]) allocated with the port, so recording a frame
//! copies and never allocates. When it is full the oldest frame is dropped and counted: a capture
//! that nobody reads keeps the most recent traffic, which is what a smoke test waits for.

use vwire_proto::{BATCH_HEADER_LEN, BatchWriter};

use super::HubError;
use super::queue::FrameQueue;

/// What one [`CaptureRing::read`] took.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CaptureRead {
    /// Bytes of the batch written at the start of the output.
    pub written: usize,
    /// Frames in that batch.
    pub frames: usize,
    /// Frames dropped because the buffer was full, since the capture started.
    pub dropped: u64,
    /// Frames left in the buffer (they did not fit).
    pub pending: usize,
}

/// One port's capture: the ring, whether it records, and what it lost.
pub(crate) struct CaptureRing {
    frames: FrameQueue,
    on: bool,
    dropped: u64,
}

impl CaptureRing {
    /// Allocates the ring; `OutOfMemory` if the allocator refuses.
    pub(crate) fn with_capacity(capacity: usize, max_frame_len: usize) -> Result<Self, HubError> {
        Ok(Self { frames: FrameQueue::with_capacity(capacity, max_frame_len)?, on: false, dropped: 0 })
    }

    pub(crate) fn is_on(&self) -> bool {
        self.on
    }

    /// Starts a fresh capture: the buffer emptied, the drop count zeroed.
    pub(crate) fn start(&mut self) {
        self.frames.clear();
        self.dropped = 0;
        self.on = true;
    }

    /// Stops recording; what was recorded stays readable.
    pub(crate) fn stop(&mut self) {
        self.on = false;
    }

    /// Records `frame` if the capture is on: `None` if it is off, else how many frames were
    /// dropped: the oldest ones, to make room by count or by bytes, or, in a ring with no room or
    /// for a frame longer than it takes, the frame itself.
    pub(crate) fn record(&mut self, frame: &[u8], now: u64) -> Option<u64> {
        if !self.on {
            return None;
        }
        // The oldest frames make room, by count and by bytes (a jumbo frame may need several).
        let mut lost = 0u64;
        while self.frames.push(frame, now).is_none() {
            lost = lost.saturating_add(1);
            self.dropped = self.dropped.saturating_add(1);
            if self.frames.len() == 0 {
                // A ring of no room, or a frame longer than it takes: the frame itself is lost.
                return Some(lost);
            }
            self.frames.pop();
        }
        Some(lost)
    }

    /// Moves the oldest frames that fit into a batch at the start of `out`, oldest first.
    pub(crate) fn read(&mut self, out: &mut [u8]) -> Result<CaptureRead, HubError> {
        if out.len() < BATCH_HEADER_LEN {
            return Err(HubError::BufferTooSmall);
        }
        let mut writer = BatchWriter::new(out).map_err(HubError::Batch)?;
        let mut frames = 0usize;
        while let Some((frame, _)) = self.frames.front() {
            // A refused push leaves the batch as it was (full, or MAX_BATCH_FRAMES reached).
            if writer.push(frame).is_err() {
                break;
            }
            self.frames.pop();
            frames = frames.saturating_add(1);
        }
        Ok(CaptureRead {
            written: writer.finish(),
            frames,
            dropped: self.dropped,
            pending: self.frames.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::CaptureRing;
    use alloc::vec;
    use alloc::vec::Vec;
    use vwire_proto::Batch;

    fn read_all(ring: &mut CaptureRing) -> Vec<Vec<u8>> {
        let mut out = vec![0u8; 16384];
        let read = ring.read(&mut out).unwrap();
        Batch::parse(&out[..read.written]).unwrap().frames().map(<[u8]>::to_vec).collect()
    }

    #[test]
    fn records_only_while_on_and_keeps_frames_after_stop() {
        let mut ring = CaptureRing::with_capacity(4, 1518).unwrap();
        assert_eq!(ring.record(&[1; 60], 0), None, "off: nothing recorded");
        ring.start();
        assert_eq!(ring.record(&[2; 60], 0), Some(0));
        ring.stop();
        assert_eq!(ring.record(&[3; 60], 0), None);
        assert_eq!(read_all(&mut ring), vec![vec![2u8; 60]]);
        assert!(read_all(&mut ring).is_empty(), "a read takes what it returns");
    }

    #[test]
    fn a_full_ring_drops_the_oldest_and_counts_it_and_start_resets() {
        let mut ring = CaptureRing::with_capacity(3, 1518).unwrap();
        ring.start();
        for i in 0..5u8 {
            let dropped = ring.record(&[i; 20], 0).unwrap();
            assert_eq!(dropped, u64::from(i >= 3), "frame {i}");
        }
        let mut out = vec![0u8; 16384];
        let read = ring.read(&mut out).unwrap();
        assert_eq!((read.frames, read.dropped, read.pending), (3, 2, 0));
        let frames: Vec<_> = Batch::parse(&out[..read.written]).unwrap().frames().map(|f| f[0]).collect();
        assert_eq!(frames, [2, 3, 4], "the newest three, oldest first");
        ring.record(&[9; 20], 0);
        ring.start();
        let read = ring.read(&mut out).unwrap();
        assert_eq!((read.frames, read.dropped), (0, 0), "start empties and zeroes");
    }

    #[test]
    fn a_read_takes_what_fits_and_leaves_the_rest_pending() {
        let mut ring = CaptureRing::with_capacity(8, 1518).unwrap();
        ring.start();
        for _ in 0..3 {
            ring.record(&[7; 1514], 0);
        }
        // Header 16 + two records of 4 + 1514 rounded to 1520.
        let mut out = vec![0u8; 16 + 2 * 1520];
        let read = ring.read(&mut out).unwrap();
        assert_eq!((read.frames, read.pending), (2, 1));
        assert_eq!(read_all(&mut ring).len(), 1);
        assert!(ring.read(&mut [0u8; 15]).is_err(), "no room for a batch header");
    }

    #[test]
    fn a_ring_without_slots_counts_every_frame_as_dropped() {
        let mut ring = CaptureRing::with_capacity(0, 1518).unwrap();
        ring.start();
        assert_eq!(ring.record(&[1; 60], 0), Some(1));
        let mut out = vec![0u8; 64];
        assert_eq!(ring.read(&mut out).unwrap().dropped, 1);
    }

    #[test]
    fn a_jumbo_frame_makes_room_by_dropping_as_many_of_the_oldest_as_it_needs() {
        // Room for 4 standard frames' bytes (6112) or one 9018-byte frame (the ring's minimum).
        let mut ring = CaptureRing::with_capacity(4, 9018).unwrap();
        ring.start();
        for i in 0..4u8 {
            assert_eq!(ring.record(&[i; 1518], 0), Some(0));
        }
        assert_eq!(ring.record(&[9; 9018], 0), Some(4), "every standard frame goes");
        assert_eq!(ring.record(&[8; 1518], 0), Some(1), "and the jumbo one for the next");
        let mut out = vec![0u8; 16384];
        let read = ring.read(&mut out).unwrap();
        assert_eq!((read.frames, read.dropped), (1, 5));
    }
}
