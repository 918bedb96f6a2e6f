//! `Batch::parse`: every read and write buffer the device and the miniport exchange.
//! Properties: no panic; an accepted batch describes itself consistently (frame count, lengths in
//! bounds, views inside the buffer), and the batch is canonical: `BatchWriter` re-encodes exactly the
//! same bytes from its frames (flags and padding zero), and parsing that gives the same frames.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vwire_proto::{Batch, BatchWriter, MAX_BATCH_FRAMES, MAX_FRAME_LEN, MIN_FRAME_LEN};

fuzz_target!(|data: &[u8]| {
    let Ok(batch) = Batch::parse(data) else { return };
    let total = batch.total_length();
    assert!(total <= data.len());
    assert_eq!(batch.as_bytes(), &data[..total]);
    assert!(batch.frame_count() <= MAX_BATCH_FRAMES);
    assert_eq!(batch.frames().len(), batch.frame_count());
    assert_eq!(batch.frames().count(), batch.frame_count());
    for frame in batch.frames() {
        assert!((MIN_FRAME_LEN..=MAX_FRAME_LEN).contains(&frame.len()), "frame of {} bytes", frame.len());
    }
    let mut buf = vec![0u8; total];
    let mut writer = BatchWriter::new(&mut buf).expect("a buffer that held a batch holds its header");
    for frame in batch.frames() {
        writer.push(frame).expect("the frames of a valid batch fit the same length again");
    }
    let written = writer.finish();
    assert_eq!(written, total, "re-encoded length");
    assert_eq!(&buf[..], batch.as_bytes(), "the accepted batch is not canonical");
    let again = Batch::parse(&buf).expect("a re-encoded batch parses");
    assert!(again.frames().eq(batch.frames()));
});
