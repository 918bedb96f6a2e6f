//! Batched frames: the buffer of one read or write request on the lower edge.
//!
//! ```text
//! offset 0   magic: u32 = "VWB1" | version: u16 | frame_count: u16 | total_length: u32 | flags: u32
//! offset 16  record 0: length: u16 | flags: u16 | length frame bytes | zero padding to 4
//!            record 1: ...
//!            (total_length ends after the last record's padding; bytes after it are not read)
//! ```
//!
//! One request carries many frames, as a USB NCM transfer block does, so the per-request cost (IRP,
//! completion, DPC) is paid once per batch instead of once per frame.

use core::fmt;

use crate::{PROTOCOL_VERSION, wire};

/// `magic` of every batch header: the bytes `"VWB1"`.
pub const BATCH_MAGIC: u32 = 0x3142_5756;
/// Size of the batch header.
pub const BATCH_HEADER_LEN: usize = 16;
/// Size of the header in front of every frame record (`length: u16`, `flags: u16`).
pub const RECORD_HEADER_LEN: usize = 4;
/// Every record starts on a multiple of this many bytes (relative to the start of the batch).
pub const RECORD_ALIGN: usize = 4;
/// Shortest frame a record may carry: an Ethernet header (destination, source, EtherType).
pub const MIN_FRAME_LEN: usize = 14;
/// The MTU of a standard Ethernet port: the payload of a 1514-byte frame.
pub const STANDARD_MTU: u16 = 1500;
/// The largest MTU a port may have: 9000-byte jumbo frames.
pub const JUMBO_MTU: u16 = 9000;
/// What a frame carries besides its payload: the 14-byte Ethernet header and a 4-byte 802.1Q tag.
pub const FRAME_OVERHEAD: u16 = 18;
/// Longest frame a record may carry: a 9014-byte jumbo frame (MTU 9000 + 14-byte header) plus an
/// 802.1Q tag. No FCS on the wire. A device carries at most its own `DeviceInfo::mtu` + 18.
pub const MAX_FRAME_LEN: usize = JUMBO_MTU as usize + FRAME_OVERHEAD as usize;
/// Most records one batch may hold.
pub const MAX_BATCH_FRAMES: usize = 256;
/// Batch buffer size a device uses unless its [`DeviceInfo`](crate::DeviceInfo) says otherwise.
pub const DEFAULT_MAX_BATCH_BYTES: usize = 16384;

// Field offsets of the batch header.
const OFF_MAGIC: usize = 0;
const OFF_VERSION: usize = 4;
const OFF_FRAME_COUNT: usize = 6;
const OFF_TOTAL_LENGTH: usize = 8;
const OFF_FLAGS: usize = 12;

/// Bytes one record of a `frame_len`-byte frame takes in a batch (header, frame, padding), or `None`
/// if no record may carry a frame of that length (outside `MIN_FRAME_LEN..=MAX_FRAME_LEN`).
pub fn record_len(frame_len: usize) -> Option<usize> {
    if !(MIN_FRAME_LEN..=MAX_FRAME_LEN).contains(&frame_len) {
        return None;
    }
    wire::align_up(RECORD_HEADER_LEN.checked_add(frame_len)?, RECORD_ALIGN)
}

/// The longest frame a batch of `batch_bytes` bytes can carry in one record (capped at
/// [`MAX_FRAME_LEN`]), or `None` if it cannot carry even a [`MIN_FRAME_LEN`] frame: the inverse of
/// [`record_len`] for a batch of one record.
pub fn largest_frame_in(batch_bytes: usize) -> Option<usize> {
    let record_room = batch_bytes.checked_sub(BATCH_HEADER_LEN)?;
    let aligned = record_room.checked_sub(record_room.checked_rem(RECORD_ALIGN)?)?;
    let frame = aligned.checked_sub(RECORD_HEADER_LEN)?.min(MAX_FRAME_LEN);
    (frame >= MIN_FRAME_LEN).then_some(frame)
}

/// Why a buffer is not a valid batch. A batch with any of these is rejected whole.
///
/// `index` is the position of the offending record (0-based); `len` a frame length as declared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchError {
    /// The buffer is shorter than a batch header.
    BufferTooShort {
        /// Length of the buffer.
        len: usize,
    },
    /// `magic` is not [`BATCH_MAGIC`].
    BadMagic {
        /// The value found.
        found: u32,
    },
    /// `version` is not [`PROTOCOL_VERSION`].
    BadVersion {
        /// The value found.
        found: u16,
    },
    /// The header's `flags` field is not zero.
    NonzeroFlags {
        /// The value found.
        flags: u32,
    },
    /// `total_length` is smaller than the batch header.
    TotalLengthTooSmall {
        /// The value found.
        total_length: u32,
    },
    /// `total_length` is larger than the buffer that holds the batch.
    TotalLengthExceedsBuffer {
        /// The value found.
        total_length: u32,
        /// Length of the buffer.
        buffer_len: usize,
    },
    /// `frame_count` is larger than [`MAX_BATCH_FRAMES`].
    TooManyFrames {
        /// The value found.
        count: u16,
    },
    /// Fewer than [`RECORD_HEADER_LEN`] bytes are left before `total_length` where a record must start.
    RecordHeaderTruncated {
        /// Record index.
        index: u16,
    },
    /// A record's `flags` field is not zero.
    NonzeroRecordFlags {
        /// Record index.
        index: u16,
        /// The value found.
        flags: u16,
    },
    /// A record's `length` is below [`MIN_FRAME_LEN`].
    FrameTooShort {
        /// Record index.
        index: u16,
        /// The declared frame length.
        len: u16,
    },
    /// A record's `length` is above [`MAX_FRAME_LEN`].
    FrameTooLong {
        /// Record index.
        index: u16,
        /// The declared frame length.
        len: u16,
    },
    /// A record's frame bytes or padding run past `total_length`.
    RecordOverflow {
        /// Record index.
        index: u16,
    },
    /// A record's padding bytes are not zero.
    NonzeroPadding {
        /// Record index.
        index: u16,
    },
    /// `frame_count` differs from the number of well-formed records that fill `total_length`.
    CountMismatch {
        /// `frame_count` from the header.
        declared: u16,
        /// Records actually found before `total_length`.
        found: u32,
    },
    /// Bytes after the last record (and its padding) within `total_length` that are not records.
    TrailingBytes {
        /// Offset of the first such byte.
        offset: usize,
        /// How many there are.
        len: usize,
    },
}

impl fmt::Display for BatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::BufferTooShort { len } => {
                write!(f, "batch buffer of {len} bytes is shorter than the {BATCH_HEADER_LEN}-byte header")
            }
            Self::BadMagic { found } => write!(f, "batch magic {found:#010x} is not {BATCH_MAGIC:#010x}"),
            Self::BadVersion { found } => write!(f, "batch version {found} is not {PROTOCOL_VERSION}"),
            Self::NonzeroFlags { flags } => write!(f, "batch flags {flags:#x} are not zero"),
            Self::TotalLengthTooSmall { total_length } => {
                write!(f, "batch total_length {total_length} is smaller than the header")
            }
            Self::TotalLengthExceedsBuffer { total_length, buffer_len } => {
                write!(f, "batch total_length {total_length} exceeds the {buffer_len}-byte buffer")
            }
            Self::TooManyFrames { count } => {
                write!(f, "batch frame_count {count} exceeds {MAX_BATCH_FRAMES}")
            }
            Self::RecordHeaderTruncated { index } => write!(f, "record {index}: header truncated"),
            Self::NonzeroRecordFlags { index, flags } => {
                write!(f, "record {index}: flags {flags:#x} are not zero")
            }
            Self::FrameTooShort { index, len } => {
                write!(f, "record {index}: frame length {len} is below {MIN_FRAME_LEN}")
            }
            Self::FrameTooLong { index, len } => {
                write!(f, "record {index}: frame length {len} is above {MAX_FRAME_LEN}")
            }
            Self::RecordOverflow { index } => write!(f, "record {index}: runs past total_length"),
            Self::NonzeroPadding { index } => write!(f, "record {index}: padding is not zero"),
            Self::CountMismatch { declared, found } => {
                write!(f, "batch declares {declared} frames but holds {found}")
            }
            Self::TrailingBytes { offset, len } => {
                write!(f, "{len} trailing bytes at offset {offset} after the last record")
            }
        }
    }
}

impl core::error::Error for BatchError {}

/// What is wrong with one record, before the caller knows which index it had.
enum RecordFault {
    HeaderTruncated,
    Flags(u16),
    TooShort(u16),
    TooLong(u16),
    Overflow,
    Padding,
}

impl RecordFault {
    fn at(self, index: u16) -> BatchError {
        match self {
            Self::HeaderTruncated => BatchError::RecordHeaderTruncated { index },
            Self::Flags(flags) => BatchError::NonzeroRecordFlags { index, flags },
            Self::TooShort(len) => BatchError::FrameTooShort { index, len },
            Self::TooLong(len) => BatchError::FrameTooLong { index, len },
            Self::Overflow => BatchError::RecordOverflow { index },
            Self::Padding => BatchError::NonzeroPadding { index },
        }
    }
}

/// Checks the record starting at `offset` of `used` (the batch up to `total_length`).
/// `Ok(None)`: no record there because `used` ends at `offset`. `Ok(Some(next))`: a good record,
/// the next one starts at `next`.
fn check_record(used: &[u8], offset: usize) -> Result<Option<usize>, RecordFault> {
    if offset == used.len() {
        return Ok(None);
    }
    let length = wire::u16_at(used, offset).ok_or(RecordFault::HeaderTruncated)?;
    let flags =
        offset.checked_add(2).and_then(|o| wire::u16_at(used, o)).ok_or(RecordFault::HeaderTruncated)?;
    if flags != 0 {
        return Err(RecordFault::Flags(flags));
    }
    let frame_len = usize::from(length);
    if frame_len < MIN_FRAME_LEN {
        return Err(RecordFault::TooShort(length));
    }
    if frame_len > MAX_FRAME_LEN {
        return Err(RecordFault::TooLong(length));
    }
    let data_end = offset
        .checked_add(RECORD_HEADER_LEN)
        .and_then(|start| start.checked_add(frame_len))
        .ok_or(RecordFault::Overflow)?;
    let next = wire::align_up(data_end, RECORD_ALIGN).ok_or(RecordFault::Overflow)?;
    let padding = used.get(data_end..next).ok_or(RecordFault::Overflow)?;
    if padding.iter().any(|&b| b != 0) {
        return Err(RecordFault::Padding);
    }
    Ok(Some(next))
}

/// A validated batch borrowed from a request buffer: [`Batch::parse`] has checked every header, record
/// and limit, so the frames can be read without further checks and without copying.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Batch<'a> {
    /// The batch up to `total_length`.
    used: &'a [u8],
    frame_count: u16,
}

impl<'a> Batch<'a> {
    /// Validates the batch at the start of `buf` (the whole buffer of a completed read or of a write
    /// the device received) and returns a view of it. Nothing of an invalid batch is trusted.
    pub fn parse(buf: &'a [u8]) -> Result<Self, BatchError> {
        let too_short = BatchError::BufferTooShort { len: buf.len() };
        let header: [u8; BATCH_HEADER_LEN] = wire::bytes(buf, 0).ok_or(too_short)?;
        let magic = wire::u32_at(&header, OFF_MAGIC).ok_or(too_short)?;
        let version = wire::u16_at(&header, OFF_VERSION).ok_or(too_short)?;
        let frame_count = wire::u16_at(&header, OFF_FRAME_COUNT).ok_or(too_short)?;
        let total_length = wire::u32_at(&header, OFF_TOTAL_LENGTH).ok_or(too_short)?;
        let flags = wire::u32_at(&header, OFF_FLAGS).ok_or(too_short)?;

        if magic != BATCH_MAGIC {
            return Err(BatchError::BadMagic { found: magic });
        }
        if version != PROTOCOL_VERSION {
            return Err(BatchError::BadVersion { found: version });
        }
        if flags != 0 {
            return Err(BatchError::NonzeroFlags { flags });
        }
        let exceeds = BatchError::TotalLengthExceedsBuffer { total_length, buffer_len: buf.len() };
        let total = usize::try_from(total_length).map_err(|_| exceeds)?;
        if total < BATCH_HEADER_LEN {
            return Err(BatchError::TotalLengthTooSmall { total_length });
        }
        let used = buf.get(..total).ok_or(exceeds)?;
        if usize::from(frame_count) > MAX_BATCH_FRAMES {
            return Err(BatchError::TooManyFrames { count: frame_count });
        }

        let mut offset = BATCH_HEADER_LEN;
        for index in 0..frame_count {
            match check_record(used, offset) {
                Ok(Some(next)) => offset = next,
                Ok(None) => {
                    return Err(BatchError::CountMismatch { declared: frame_count, found: index.into() });
                }
                Err(fault) => return Err(fault.at(index)),
            }
        }
        if offset < total {
            return Err(Self::classify_excess(used, offset, frame_count));
        }
        Ok(Batch { used, frame_count })
    }

    /// Bytes left after the declared records: more well-formed records up to exactly `total_length`
    /// mean the count is wrong; anything else is trailing garbage.
    fn classify_excess(used: &[u8], trailing_start: usize, declared: u16) -> BatchError {
        let trailing = BatchError::TrailingBytes {
            offset: trailing_start,
            len: used.len().saturating_sub(trailing_start),
        };
        let mut found = u32::from(declared);
        let mut offset = trailing_start;
        loop {
            match check_record(used, offset) {
                Ok(Some(next)) => {
                    offset = next;
                    found = found.saturating_add(1);
                }
                Ok(None) => return BatchError::CountMismatch { declared, found },
                Err(_) => return trailing,
            }
        }
    }

    /// Number of frames in the batch.
    pub fn frame_count(&self) -> usize {
        usize::from(self.frame_count)
    }

    /// Bytes the batch occupies (header, records, padding): the header's `total_length`.
    pub fn total_length(&self) -> usize {
        self.used.len()
    }

    /// The batch's bytes, `total_length` of them: what a forwarding hop sends on unchanged.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.used
    }

    /// The frames, in order, as views into the buffer.
    pub fn frames(&self) -> Frames<'a> {
        Frames {
            rest: self.used.get(BATCH_HEADER_LEN..).unwrap_or_default(),
            at: BATCH_HEADER_LEN,
            remaining: self.frame_count,
        }
    }

    /// Where each frame lies in the buffer the batch was parsed from, in order: for a receiver that
    /// hands the frames on in place and may rewrite them (strip a tag) once the batch is checked.
    pub fn frame_spans(&self) -> FrameSpans<'a> {
        FrameSpans(self.frames())
    }
}

impl<'a> IntoIterator for &Batch<'a> {
    type Item = &'a [u8];
    type IntoIter = Frames<'a>;

    fn into_iter(self) -> Frames<'a> {
        self.frames()
    }
}

/// Iterator over the frames of a [`Batch`], from [`Batch::frames`].
#[derive(Clone, Debug)]
pub struct Frames<'a> {
    /// Starts at the next record.
    rest: &'a [u8],
    /// Where `rest` starts in the batch.
    at: usize,
    remaining: u16,
}

impl<'a> Frames<'a> {
    /// The next frame and its offset in the batch.
    fn next_with_offset(&mut self) -> Option<(usize, &'a [u8])> {
        let remaining = self.remaining.checked_sub(1)?;
        // The batch was validated, so every step succeeds; a failure ends the iteration rather than
        // panicking.
        let frame = (|| {
            let len = usize::from(wire::u16_at(self.rest, 0)?);
            let end = RECORD_HEADER_LEN.checked_add(len)?;
            let frame = self.rest.get(RECORD_HEADER_LEN..end)?;
            let offset = self.at.checked_add(RECORD_HEADER_LEN)?;
            let next = wire::align_up(end, RECORD_ALIGN)?;
            self.rest = self.rest.get(next..)?;
            self.at = self.at.checked_add(next)?;
            Some((offset, frame))
        })();
        self.remaining = if frame.is_some() { remaining } else { 0 };
        frame
    }
}

impl<'a> Iterator for Frames<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        self.next_with_offset().map(|(_, frame)| frame)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::from(self.remaining);
        (n, Some(n))
    }
}

impl ExactSizeIterator for Frames<'_> {}

impl core::iter::FusedIterator for Frames<'_> {}

/// Iterator over where the frames of a [`Batch`] lie, from [`Batch::frame_spans`]: each frame's
/// offset from the start of the batch and its length.
#[derive(Clone, Debug)]
pub struct FrameSpans<'a>(Frames<'a>);

impl Iterator for FrameSpans<'_> {
    type Item = core::ops::Range<usize>;

    fn next(&mut self) -> Option<core::ops::Range<usize>> {
        let (offset, frame) = self.0.next_with_offset()?;
        Some(offset..offset.saturating_add(frame.len()))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl ExactSizeIterator for FrameSpans<'_> {}

impl core::iter::FusedIterator for FrameSpans<'_> {}

/// Why [`BatchWriter::push`] refused a frame. The batch is unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PushError {
    /// The record does not fit in the space left in the buffer; finish this batch and start another.
    Full,
    /// The frame is shorter than [`MIN_FRAME_LEN`].
    FrameTooShort,
    /// The frame is longer than [`MAX_FRAME_LEN`].
    FrameTooLong,
    /// The batch already holds [`MAX_BATCH_FRAMES`] frames.
    TooManyFrames,
}

impl fmt::Display for PushError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Full => "batch buffer is full",
            Self::FrameTooShort => "frame is shorter than the minimum frame length",
            Self::FrameTooLong => "frame is longer than the maximum frame length",
            Self::TooManyFrames => "batch already holds the maximum number of frames",
        })
    }
}

impl core::error::Error for PushError {}

/// Where a [`BatchWriter`] stands: enough to [`resume`](BatchWriter::resume) the batch over the
/// same buffer later. A writer that fills several buffers in turn (the hub writing one frame at a
/// time into the reads of several ports) keeps this instead of a borrow of each buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchProgress {
    used: usize,
    frame_count: u16,
}

impl BatchProgress {
    /// Frames pushed so far.
    pub fn frame_count(&self) -> usize {
        usize::from(self.frame_count)
    }

    /// Bytes the batch occupies so far, header included.
    pub fn len(&self) -> usize {
        self.used
    }

    /// Whether no frame has been pushed.
    pub fn is_empty(&self) -> bool {
        self.frame_count == 0
    }
}

/// Builds a batch in place in a request buffer: push frames, then [`finish`](BatchWriter::finish)
/// to write the header. Everything it writes passes [`Batch::parse`].
pub struct BatchWriter<'a> {
    buf: &'a mut [u8],
    /// Usable bytes: the buffer length, capped so `total_length` fits its `u32` field.
    capacity: usize,
    /// Bytes written so far, header included.
    used: usize,
    frame_count: u16,
}

impl fmt::Debug for BatchWriter<'_> {
    /// The buffer itself is left out: it can be many kilobytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchWriter")
            .field("capacity", &self.capacity)
            .field("used", &self.used)
            .field("frame_count", &self.frame_count)
            .finish_non_exhaustive()
    }
}

impl<'a> BatchWriter<'a> {
    /// Starts an empty batch at the start of `buf`, which must hold at least a header.
    pub fn new(buf: &'a mut [u8]) -> Result<Self, BatchError> {
        if buf.len() < BATCH_HEADER_LEN {
            return Err(BatchError::BufferTooShort { len: buf.len() });
        }
        let capacity = buf.len().min(usize::try_from(u32::MAX).unwrap_or(usize::MAX));
        Ok(BatchWriter { buf, capacity, used: BATCH_HEADER_LEN, frame_count: 0 })
    }

    /// Continues the batch `progress` describes in `buf`, the buffer it was started in, whose
    /// records are unchanged since: the next push appends after them. A `progress` that does not
    /// fit `buf` (another, shorter buffer) is [`BatchError::BufferTooShort`].
    pub fn resume(buf: &'a mut [u8], progress: BatchProgress) -> Result<Self, BatchError> {
        let mut writer = Self::new(buf)?;
        if progress.used < BATCH_HEADER_LEN || progress.used > writer.capacity {
            return Err(BatchError::BufferTooShort { len: writer.buf.len() });
        }
        writer.used = progress.used;
        writer.frame_count = progress.frame_count;
        Ok(writer)
    }

    /// Where the batch stands, to [`resume`](BatchWriter::resume) it later.
    pub fn progress(&self) -> BatchProgress {
        BatchProgress { used: self.used, frame_count: self.frame_count }
    }

    /// Bytes of the new record for a `len`-byte frame, or why it cannot be pushed.
    fn check(&self, len: usize) -> Result<usize, PushError> {
        if len < MIN_FRAME_LEN {
            return Err(PushError::FrameTooShort);
        }
        if len > MAX_FRAME_LEN {
            return Err(PushError::FrameTooLong);
        }
        if usize::from(self.frame_count) >= MAX_BATCH_FRAMES {
            return Err(PushError::TooManyFrames);
        }
        let record = record_len(len).ok_or(PushError::FrameTooLong)?;
        match self.used.checked_add(record) {
            Some(end) if end <= self.capacity => Ok(end),
            _ => Err(PushError::Full),
        }
    }

    /// Whether a `len`-byte frame can be pushed now.
    pub fn fits(&self, len: usize) -> bool {
        self.check(len).is_ok()
    }

    /// Appends a copy of `frame`.
    pub fn push(&mut self, frame: &[u8]) -> Result<(), PushError> {
        self.push_with(frame.len(), |dst| {
            // `dst` is exactly `frame.len()` bytes, so this always copies the whole frame.
            let _ = wire::copy(dst, frame);
        })
    }

    /// Reserves a record for a `len`-byte frame and lets `fill` write the frame in place (for example
    /// gathered from an MDL chain). `fill` gets exactly `len` bytes and must write all of them: the
    /// writer does not clear them first. `fill` is not called if the frame is refused.
    pub fn push_with(&mut self, len: usize, fill: impl FnOnce(&mut [u8])) -> Result<(), PushError> {
        let pushed = self.try_push_with(len, |frame| {
            fill(frame);
            Ok::<(), core::convert::Infallible>(())
        })?;
        pushed.map_err(|never| match never {})
    }

    /// As [`BatchWriter::push_with`], but `fill` may fail: then nothing is pushed (the record's
    /// bytes are left behind and overwritten by the next push), and `fill`'s error is returned as
    /// `Ok(Err(error))`. A writer that gathers a frame from memory it may not be able to read
    /// (an MDL chain shorter than it claims) adds a frame only once it has all of it.
    pub fn try_push_with<E>(
        &mut self,
        len: usize,
        fill: impl FnOnce(&mut [u8]) -> Result<(), E>,
    ) -> Result<Result<(), E>, PushError> {
        let end = self.check(len)?;
        let frame_count = self.frame_count.checked_add(1).ok_or(PushError::TooManyFrames)?;
        let length = u16::try_from(len).map_err(|_| PushError::FrameTooLong)?;
        let record = self.buf.get_mut(self.used..end).ok_or(PushError::Full)?;
        let (header, body) = record.split_at_mut_checked(RECORD_HEADER_LEN).ok_or(PushError::Full)?;
        let (frame, padding) = body.split_at_mut_checked(len).ok_or(PushError::Full)?;
        if let Err(error) = fill(frame) {
            return Ok(Err(error));
        }
        wire::put(header, 0, length.to_le_bytes()).ok_or(PushError::Full)?;
        wire::put(header, 2, 0u16.to_le_bytes()).ok_or(PushError::Full)?;
        padding.fill(0);
        self.used = end;
        self.frame_count = frame_count;
        Ok(Ok(()))
    }

    /// Frames pushed so far.
    pub fn frame_count(&self) -> usize {
        self.progress().frame_count()
    }

    /// Bytes the batch occupies so far, header included: what `finish` will return.
    pub fn len(&self) -> usize {
        self.progress().len()
    }

    /// Whether no frame has been pushed.
    pub fn is_empty(&self) -> bool {
        self.progress().is_empty()
    }

    /// Bytes still free for records.
    pub fn remaining(&self) -> usize {
        self.capacity.saturating_sub(self.used)
    }

    /// Writes the batch header and returns `total_length`, the number of bytes of the buffer to send.
    /// An empty batch is valid: a header with no records.
    pub fn finish(self) -> usize {
        let total_length = u32::try_from(self.used).unwrap_or(u32::MAX);
        // `new` checked the buffer holds a header, so these writes cannot fail.
        let _ = wire::put(self.buf, OFF_MAGIC, BATCH_MAGIC.to_le_bytes());
        let _ = wire::put(self.buf, OFF_VERSION, PROTOCOL_VERSION.to_le_bytes());
        let _ = wire::put(self.buf, OFF_FRAME_COUNT, self.frame_count.to_le_bytes());
        let _ = wire::put(self.buf, OFF_TOTAL_LENGTH, total_length.to_le_bytes());
        let _ = wire::put(self.buf, OFF_FLAGS, 0u32.to_le_bytes());
        self.used
    }
}

#[cfg(test)]
mod tests;
