//! Scenarios: a peer sends a batch, possibly damaged in one place; the receiver must accept exactly the
//! good ones and name what is wrong with the others.
#![allow(clippy::arithmetic_side_effects)]

use std::vec;
use std::vec::Vec;

use super::*;

/// A frame of `len` bytes whose content tells where it came from.
fn frame(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| seed.wrapping_add(i as u8)).collect()
}

/// A batch of `frames`, in a buffer exactly `total_length` long.
fn batch_of(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut buf = vec![0u8; DEFAULT_MAX_BATCH_BYTES * 32];
    let mut writer = BatchWriter::new(&mut buf).unwrap();
    for f in frames {
        writer.push(f).unwrap();
    }
    let total = writer.finish();
    buf.truncate(total);
    buf
}

/// A valid batch of three frames: 60 bytes (no padding), 61 bytes (3 padding), 14 bytes (2 padding).
/// Records start at 16, 80, 148; total_length is 168.
fn valid() -> Vec<u8> {
    batch_of(&[frame(60, 1), frame(61, 2), frame(14, 3)])
}

const REC0: usize = 16;
const REC1: usize = 80;
const REC2: usize = 148;
const TOTAL: usize = 168;

fn set_u16(buf: &mut [u8], offset: usize, value: u16) {
    buf[offset..offset + 2].copy_from_slice(&value.to_le_bytes());
}

fn set_u32(buf: &mut [u8], offset: usize, value: u32) {
    buf[offset..offset + 4].copy_from_slice(&value.to_le_bytes());
}

fn parse_err(buf: &[u8]) -> BatchError {
    Batch::parse(buf).unwrap_err()
}

#[test]
fn the_valid_batch_has_the_layout_the_tests_assume() {
    let buf = valid();
    assert_eq!(buf.len(), TOTAL);
    assert_eq!(&buf[..4], b"VWB1");
    assert_eq!(u16::from_le_bytes([buf[REC1], buf[REC1 + 1]]), 61);
    assert_eq!(u16::from_le_bytes([buf[REC2], buf[REC2 + 1]]), 14);
    let batch = Batch::parse(&buf).unwrap();
    assert_eq!(batch.frame_count(), 3);
    assert_eq!(batch.total_length(), TOTAL);
    let frames: Vec<&[u8]> = batch.frames().collect();
    assert_eq!(frames, [&frame(60, 1)[..], &frame(61, 2)[..], &frame(14, 3)[..]]);
}

#[test]
fn a_buffer_shorter_than_a_header_is_refused() {
    let buf = valid();
    assert_eq!(parse_err(&buf[..15]), BatchError::BufferTooShort { len: 15 });
    assert_eq!(parse_err(&[]), BatchError::BufferTooShort { len: 0 });
}

#[test]
fn a_bad_magic_is_refused() {
    let mut buf = valid();
    buf[3] = b'2';
    assert_eq!(parse_err(&buf), BatchError::BadMagic { found: 0x3242_5756 });
}

#[test]
fn an_unknown_version_is_refused_and_reported() {
    let mut buf = valid();
    set_u16(&mut buf, 4, 2);
    assert_eq!(parse_err(&buf), BatchError::BadVersion { found: 2 });
}

#[test]
fn nonzero_header_flags_are_refused() {
    let mut buf = valid();
    set_u32(&mut buf, 12, 0x8000_0000);
    assert_eq!(parse_err(&buf), BatchError::NonzeroFlags { flags: 0x8000_0000 });
}

#[test]
fn a_total_length_inside_the_header_is_refused() {
    let mut buf = valid();
    set_u32(&mut buf, 8, 15);
    assert_eq!(parse_err(&buf), BatchError::TotalLengthTooSmall { total_length: 15 });
}

#[test]
fn a_total_length_past_the_buffer_is_refused() {
    let mut buf = valid();
    set_u32(&mut buf, 8, TOTAL as u32 + 4);
    assert_eq!(
        parse_err(&buf),
        BatchError::TotalLengthExceedsBuffer { total_length: TOTAL as u32 + 4, buffer_len: TOTAL }
    );
    set_u32(&mut buf, 8, u32::MAX);
    assert_eq!(
        parse_err(&buf),
        BatchError::TotalLengthExceedsBuffer { total_length: u32::MAX, buffer_len: TOTAL }
    );
}

#[test]
fn more_frames_than_the_limit_are_refused() {
    let mut buf = valid();
    set_u16(&mut buf, 6, 257);
    assert_eq!(parse_err(&buf), BatchError::TooManyFrames { count: 257 });
}

#[test]
fn a_record_header_cut_by_total_length_is_refused() {
    // Two spare bytes inside total_length where a fourth record header would start.
    let mut buf = valid();
    buf.extend_from_slice(&[0, 0]);
    set_u32(&mut buf, 8, TOTAL as u32 + 2);
    set_u16(&mut buf, 6, 4);
    assert_eq!(parse_err(&buf), BatchError::RecordHeaderTruncated { index: 3 });
}

#[test]
fn nonzero_record_flags_are_refused() {
    let mut buf = valid();
    set_u16(&mut buf, REC1 + 2, 1);
    assert_eq!(parse_err(&buf), BatchError::NonzeroRecordFlags { index: 1, flags: 1 });
}

#[test]
fn a_frame_shorter_than_an_ethernet_header_is_refused() {
    let mut buf = valid();
    set_u16(&mut buf, REC0, 13);
    assert_eq!(parse_err(&buf), BatchError::FrameTooShort { index: 0, len: 13 });
    set_u16(&mut buf, REC0, 0);
    assert_eq!(parse_err(&buf), BatchError::FrameTooShort { index: 0, len: 0 });
}

#[test]
fn a_frame_longer_than_a_tagged_jumbo_frame_is_refused() {
    let mut buf = valid();
    set_u16(&mut buf, REC1, 9019);
    assert_eq!(parse_err(&buf), BatchError::FrameTooLong { index: 1, len: 9019 });
    set_u16(&mut buf, REC1, u16::MAX);
    assert_eq!(parse_err(&buf), BatchError::FrameTooLong { index: 1, len: u16::MAX });
}

#[test]
fn frame_data_past_total_length_is_refused() {
    let mut buf = valid();
    set_u16(&mut buf, REC2, 20);
    assert_eq!(parse_err(&buf), BatchError::RecordOverflow { index: 2 });
}

#[test]
fn padding_past_total_length_is_refused() {
    // The last frame (14 bytes) needs 2 padding bytes; total_length stops right after its data.
    let mut buf = valid();
    set_u32(&mut buf, 8, TOTAL as u32 - 2);
    assert_eq!(parse_err(&buf), BatchError::RecordOverflow { index: 2 });
}

#[test]
fn nonzero_padding_is_refused() {
    let mut buf = valid();
    buf[REC1 + 4 + 61 + 2] = 0xff;
    assert_eq!(parse_err(&buf), BatchError::NonzeroPadding { index: 1 });
}

#[test]
fn a_count_above_the_records_present_is_refused() {
    let mut buf = valid();
    set_u16(&mut buf, 6, 4);
    assert_eq!(parse_err(&buf), BatchError::CountMismatch { declared: 4, found: 3 });
}

#[test]
fn a_count_below_the_records_present_is_refused() {
    let mut buf = valid();
    set_u16(&mut buf, 6, 1);
    assert_eq!(parse_err(&buf), BatchError::CountMismatch { declared: 1, found: 3 });
    set_u16(&mut buf, 6, 0);
    assert_eq!(parse_err(&buf), BatchError::CountMismatch { declared: 0, found: 3 });
}

#[test]
fn bytes_after_the_last_record_are_refused() {
    let mut buf = valid();
    buf.extend_from_slice(&[0; 8]);
    set_u32(&mut buf, 8, TOTAL as u32 + 8);
    assert_eq!(parse_err(&buf), BatchError::TrailingBytes { offset: TOTAL, len: 8 });

    // An empty batch followed by one stray byte.
    let mut empty = batch_of(&[]);
    empty.push(0);
    set_u32(&mut empty, 8, 17);
    assert_eq!(parse_err(&empty), BatchError::TrailingBytes { offset: 16, len: 1 });
}

#[test]
fn bytes_after_total_length_are_not_read() {
    let mut buf = valid();
    buf.extend_from_slice(&[0xee; 100]);
    let batch = Batch::parse(&buf).unwrap();
    assert_eq!(batch.total_length(), TOTAL);
    assert_eq!(batch.as_bytes(), &valid()[..]);
}

#[test]
fn every_error_has_a_message() {
    use std::string::ToString;
    let errors = [
        BatchError::BufferTooShort { len: 3 },
        BatchError::CountMismatch { declared: 1, found: 2 },
        BatchError::TrailingBytes { offset: 16, len: 1 },
    ];
    for e in errors {
        assert!(!e.to_string().is_empty());
    }
    assert_eq!(PushError::Full.to_string(), "batch buffer is full");
}

#[test]
fn an_empty_batch_is_a_bare_header() {
    let mut buf = [0xaau8; 16];
    let writer = BatchWriter::new(&mut buf).unwrap();
    assert!(writer.is_empty());
    assert_eq!(writer.finish(), 16);
    assert_eq!(buf, [0x56, 0x57, 0x42, 0x31, 1, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0]);
    let batch = Batch::parse(&buf).unwrap();
    assert_eq!(batch.frame_count(), 0);
    assert_eq!(batch.frames().next(), None);
}

#[test]
fn a_writer_needs_room_for_a_header() {
    let mut buf = [0u8; 15];
    assert_eq!(BatchWriter::new(&mut buf).unwrap_err(), BatchError::BufferTooShort { len: 15 });
}

#[test]
fn record_len_covers_header_frame_and_padding() {
    assert_eq!(record_len(13), None);
    assert_eq!(record_len(14), Some(20));
    assert_eq!(record_len(60), Some(64));
    assert_eq!(record_len(61), Some(68));
    assert_eq!(record_len(1514), Some(1520));
    assert_eq!(record_len(1518), Some(1524));
    assert_eq!(record_len(1519), Some(1524));
    assert_eq!(record_len(9018), Some(9024));
    assert_eq!(record_len(9019), None);
    assert_eq!(record_len(usize::MAX), None);
}

#[test]
fn largest_frame_in_is_the_inverse_of_record_len() {
    assert_eq!(largest_frame_in(16 + 20), Some(16));
    assert_eq!(largest_frame_in(16 + 17), None, "no room for 14 bytes");
    assert_eq!(largest_frame_in(16 + 1524), Some(1520));
    assert_eq!(largest_frame_in(16 + 1523), Some(1516));
    assert_eq!(largest_frame_in(DEFAULT_MAX_BATCH_BYTES), Some(MAX_FRAME_LEN));
    assert_eq!(largest_frame_in(0), None);
    for bytes in 36..12_000 {
        if let Some(frame) = largest_frame_in(bytes) {
            assert!(16 + record_len(frame).unwrap() <= bytes, "{bytes}");
            if frame < MAX_FRAME_LEN {
                assert!(
                    record_len(frame + 1).is_none_or(|r| 16 + r > bytes),
                    "{bytes}: {frame} is the largest"
                );
            }
        }
    }
}

#[test]
fn the_writer_fills_its_buffer_exactly_and_then_refuses() {
    let mut buf = vec![0u8; 16 + 1524 + 64];
    let mut writer = BatchWriter::new(&mut buf).unwrap();
    writer.push(&frame(1518, 7)).unwrap();
    assert_eq!(writer.remaining(), 64);
    assert!(writer.fits(60));
    assert!(!writer.fits(61), "61 bytes need a 68-byte record");
    assert_eq!(writer.push(&frame(61, 0)), Err(PushError::Full));
    writer.push(&frame(60, 8)).unwrap();
    assert_eq!(writer.remaining(), 0);
    assert!(!writer.fits(MIN_FRAME_LEN));
    assert_eq!(writer.push(&frame(14, 0)), Err(PushError::Full));
    assert_eq!(writer.frame_count(), 2);
    assert_eq!(writer.finish(), buf.len());
    let batch = Batch::parse(&buf).unwrap();
    let frames: Vec<&[u8]> = batch.frames().collect();
    assert_eq!(frames, [&frame(1518, 7)[..], &frame(60, 8)[..]]);
}

#[test]
fn the_writer_refuses_frames_outside_the_limits() {
    let mut buf = vec![0u8; 4096];
    let mut writer = BatchWriter::new(&mut buf).unwrap();
    assert_eq!(writer.push(&frame(13, 0)), Err(PushError::FrameTooShort));
    assert_eq!(writer.push(&frame(9019, 0)), Err(PushError::FrameTooLong));
    assert!(!writer.fits(0) && !writer.fits(4077) && writer.fits(4076));
    assert_eq!(writer.finish(), 16);
    let mut jumbo = vec![0u8; 16 + 9024];
    let mut writer = BatchWriter::new(&mut jumbo).unwrap();
    assert!(!writer.fits(9019) && writer.fits(9018));
    writer.push(&frame(9018, 3)).unwrap();
    assert_eq!(writer.remaining(), 0);
}

#[test]
fn the_writer_stops_at_the_frame_limit() {
    let mut buf = vec![0u8; 16 + 20 * 257];
    let mut writer = BatchWriter::new(&mut buf).unwrap();
    for i in 0..MAX_BATCH_FRAMES {
        writer.push(&frame(14, i as u8)).unwrap();
    }
    assert!(!writer.fits(14));
    assert_eq!(writer.push(&frame(14, 0)), Err(PushError::TooManyFrames));
    let total = writer.finish();
    let batch = Batch::parse(&buf[..total]).unwrap();
    assert_eq!(batch.frame_count(), MAX_BATCH_FRAMES);
    assert_eq!(batch.frames().len(), MAX_BATCH_FRAMES);
    assert!(batch.frames().enumerate().all(|(i, f)| f == frame(14, i as u8)));
}

#[test]
fn a_refused_push_leaves_the_batch_unchanged_and_does_not_call_fill() {
    let mut buf = vec![0u8; 16 + 20];
    let mut writer = BatchWriter::new(&mut buf).unwrap();
    let mut called = false;
    assert_eq!(writer.push_with(60, |_| called = true), Err(PushError::Full));
    assert!(!called);
    assert_eq!((writer.frame_count(), writer.len()), (0, 16));
    writer.push(&frame(14, 0)).unwrap();
    assert_eq!(writer.finish(), 36);
}

#[test]
fn push_with_gathers_a_frame_in_place_from_pieces() {
    // Like copying an NET_BUFFER's MDL chain: three pieces written into the reserved space.
    let pieces: [&[u8]; 3] = [&[1; 14], &[2; 20], &[3; 27]];
    let mut buf = vec![0xccu8; 256];
    let mut writer = BatchWriter::new(&mut buf).unwrap();
    writer
        .push_with(61, |dst| {
            let mut at = 0;
            for p in pieces {
                dst[at..at + p.len()].copy_from_slice(p);
                at += p.len();
            }
        })
        .unwrap();
    let total = writer.finish();
    let batch = Batch::parse(&buf[..total]).unwrap();
    assert_eq!(batch.frames().next().unwrap(), pieces.concat());
}

#[test]
fn try_push_with_adds_nothing_when_the_fill_fails() {
    let mut buf = vec![0xccu8; 256];
    let mut writer = BatchWriter::new(&mut buf).unwrap();
    writer.push(&frame(20, 1)).unwrap();
    let before = (writer.frame_count(), writer.len());
    assert_eq!(
        writer.try_push_with(60, |dst| {
            dst.fill(9);
            Err("unreadable")
        }),
        Ok(Err("unreadable"))
    );
    assert_eq!((writer.frame_count(), writer.len()), before, "a failed fill leaves no record");
    assert_eq!(
        writer.try_push_with(30, |dst| {
            dst.fill(7);
            Ok::<(), ()>(())
        }),
        Ok(Ok(()))
    );
    assert_eq!(writer.try_push_with(500, |_| Ok::<(), ()>(())), Err(PushError::Full));
    let total = writer.finish();
    let batch = Batch::parse(&buf[..total]).unwrap();
    let frames: Vec<&[u8]> = batch.frames().collect();
    assert_eq!(frames, [&frame(20, 1)[..], &[7u8; 30][..]]);
}

#[test]
fn every_ethernet_frame_size_round_trips() {
    let mut buf = vec![0xa5u8; 16 + 2 * 9024];
    for len in (60..=1514).chain([14, 1518, 4088, 9014, 9018]) {
        let f = frame(len, len as u8);
        let mut writer = BatchWriter::new(&mut buf).unwrap();
        writer.push(&f).unwrap();
        writer.push(&f).unwrap();
        let total = writer.finish();
        assert_eq!(total, 16 + 2 * record_len(len).unwrap());
        let batch = Batch::parse(&buf).unwrap();
        assert_eq!(batch.total_length(), total);
        assert!(batch.frames().all(|g| g == f), "len {len}");
    }
}

#[test]
fn a_full_default_batch_of_maximum_frames_round_trips() {
    let mut buf = vec![0u8; DEFAULT_MAX_BATCH_BYTES];
    let mut writer = BatchWriter::new(&mut buf).unwrap();
    let mut n = 0;
    while writer.fits(1514) {
        writer.push(&frame(1514, n)).unwrap();
        n += 1;
    }
    assert_eq!(n, 10, "(16384 - 16) / 1520");
    let total = writer.finish();
    let batch = Batch::parse(&buf).unwrap();
    assert_eq!((batch.frame_count(), batch.total_length()), (10, total));
}

#[test]
fn a_resumed_writer_appends_after_the_records_already_written() {
    let frames = [frame(60, 1), frame(1514, 2), frame(14, 3)];
    let mut buf = vec![0u8; 4096];
    let progress = {
        let mut writer = BatchWriter::new(&mut buf).unwrap();
        writer.push(&frames[0]).unwrap();
        writer.progress()
    };
    assert_eq!((progress.frame_count(), progress.is_empty()), (1, false));
    let progress = {
        let mut writer = BatchWriter::resume(&mut buf, progress).unwrap();
        writer.push(&frames[1]).unwrap();
        writer.progress()
    };
    let mut writer = BatchWriter::resume(&mut buf, progress).unwrap();
    writer.push(&frames[2]).unwrap();
    let n = writer.finish();
    assert_eq!(n, progress.len() + record_len(14).unwrap());
    let batch = Batch::parse(&buf[..n]).unwrap();
    assert!(batch.frames().eq(frames.iter().map(Vec::as_slice)));
}

#[test]
fn a_progress_past_the_buffer_is_refused() {
    let mut long = vec![0u8; 4096];
    let mut writer = BatchWriter::new(&mut long).unwrap();
    writer.push(&frame(1514, 1)).unwrap();
    let progress = writer.progress();
    let mut short = vec![0u8; 1024];
    assert_eq!(
        BatchWriter::resume(&mut short, progress).unwrap_err(),
        BatchError::BufferTooShort { len: 1024 }
    );
    let mut tiny = vec![0u8; 4];
    assert!(BatchWriter::resume(&mut tiny, progress).is_err());
}
