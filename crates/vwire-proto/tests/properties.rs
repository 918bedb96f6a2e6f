//! Property tests: whatever a peer sends, parsing neither panics nor trusts anything invalid, and what
//! the writer and encoders produce the other side reads back unchanged.

use proptest::collection::vec;
use proptest::prelude::*;
use vwire_proto::control::is_group_address;
use vwire_proto::*;

fn frame() -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), MIN_FRAME_LEN..=MAX_FRAME_LEN)
}

fn frames() -> impl Strategy<Value = Vec<Vec<u8>>> {
    vec(frame(), 0..24)
}

/// Writes `frames` into a buffer of exactly the size they need.
fn write_batch(frames: &[Vec<u8>]) -> Vec<u8> {
    let size = BATCH_HEADER_LEN + frames.iter().map(|f| record_len(f.len()).unwrap()).sum::<usize>();
    let mut buf = vec![0x5a; size];
    let mut writer = BatchWriter::new(&mut buf).unwrap();
    for f in frames {
        writer.push(f).unwrap();
    }
    assert_eq!(writer.finish(), size);
    buf
}

/// What must hold of any batch `parse` accepted from `buf`.
fn check_trusted_batch(buf: &[u8], batch: &Batch<'_>) {
    assert!(batch.total_length() >= BATCH_HEADER_LEN && batch.total_length() <= buf.len());
    assert!(batch.frame_count() <= MAX_BATCH_FRAMES);
    assert_eq!(batch.frames().count(), batch.frame_count());
    let used = buf[..batch.total_length()].as_ptr_range();
    for f in batch.frames() {
        assert!((MIN_FRAME_LEN..=MAX_FRAME_LEN).contains(&f.len()));
        let r = f.as_ptr_range();
        assert!(used.start <= r.start && r.end <= used.end, "frame outside the batch");
    }
}

/// Writes the frames of `batch` again with the writer.
fn rewrite(batch: &Batch<'_>) -> Vec<u8> {
    let mut out = vec![0; batch.total_length()];
    let mut writer = BatchWriter::new(&mut out).unwrap();
    for f in batch.frames() {
        writer.push(f).unwrap();
    }
    assert_eq!(writer.finish(), batch.total_length());
    out
}

fn mac() -> impl Strategy<Value = MacAddress> {
    any::<[u8; 6]>()
}

fn group_mac() -> impl Strategy<Value = MacAddress> {
    any::<[u8; 6]>().prop_map(|mut m| {
        m[0] |= 1;
        m
    })
}

fn link_state() -> impl Strategy<Value = LinkState> {
    (any::<u32>(), any::<bool>(), any::<bool>(), any::<u64>())
        .prop_map(|(g, up, fd, speed)| LinkState::new(g, up, fd, speed))
}

fn counters() -> impl Strategy<Value = PortCounters> {
    any::<[u64; 9]>().prop_map(|c| PortCounters {
        rx_frames: c[0],
        rx_bytes: c[1],
        tx_frames: c[2],
        tx_bytes: c[3],
        rx_dropped_queue_full: c[4],
        tx_dropped_fault: c[5],
        rx_corrupted_fault: c[6],
        tx_errors: c[7],
        rx_errors: c[8],
    })
}

/// Decodes `input` as every control structure; whatever decodes must encode to a message that decodes
/// to the same value.
fn decode_all(input: &[u8]) {
    let mut out = [0u8; 256];
    macro_rules! check {
        ($t:ty) => {
            if let Ok(v) = <$t>::decode(input) {
                let n = v.encode(&mut out).unwrap();
                assert!(n <= input.len());
                assert_eq!(<$t>::decode(&out[..n]), Ok(v));
            }
        };
    }
    check!(DeviceInfo);
    check!(PacketFilter);
    check!(MulticastList);
    check!(PortCounters);
    check!(LinkWait);
    check!(LinkState);
    if let Ok(list) = MulticastList::decode(input) {
        assert!(list.addresses().len() <= MAX_MULTICAST);
        assert!(list.addresses().iter().all(is_group_address));
    }
    let _ = ControlHeader::decode(input);
}

proptest! {
    #[test]
    fn frames_round_trip_through_writer_and_parse(frames in frames()) {
        let buf = write_batch(&frames);
        let batch = Batch::parse(&buf).unwrap();
        prop_assert_eq!(batch.frame_count(), frames.len());
        prop_assert!(batch.frames().eq(frames.iter().map(Vec::as_slice)));
        // The spans name the same bytes, in the buffer the batch was parsed from.
        prop_assert_eq!(batch.frame_spans().len(), frames.len());
        prop_assert!(batch.frame_spans().map(|span| &buf[span]).eq(frames.iter().map(Vec::as_slice)));
    }

    #[test]
    fn a_writer_takes_frames_until_full_and_keeps_exactly_those(
        frames in frames(),
        size in BATCH_HEADER_LEN..8192usize,
    ) {
        let mut buf = vec![0xa5; size];
        let mut writer = BatchWriter::new(&mut buf).unwrap();
        let mut taken = 0;
        for f in &frames {
            let fits = writer.fits(f.len());
            match writer.push(f) {
                Ok(()) => { prop_assert!(fits); taken += 1; }
                Err(e) => { prop_assert!(!fits); prop_assert_eq!(e, PushError::Full); break; }
            }
        }
        let total = writer.finish();
        prop_assert!(total <= size);
        let batch = Batch::parse(&buf).unwrap();
        prop_assert_eq!(batch.total_length(), total);
        prop_assert!(batch.frames().eq(frames[..taken].iter().map(Vec::as_slice)));
    }

    #[test]
    fn arbitrary_bytes_never_panic_parse(buf in vec(any::<u8>(), 0..2048)) {
        if let Ok(batch) = Batch::parse(&buf) {
            check_trusted_batch(&buf, &batch);
        }
    }

    #[test]
    fn a_valid_header_over_arbitrary_records_never_panics_parse(
        count in 0u16..300,
        total in 0u32..2100,
        body in vec(any::<u8>(), 0..2048),
    ) {
        let mut buf = Vec::new();
        buf.extend_from_slice(&BATCH_MAGIC.to_le_bytes());
        buf.extend_from_slice(&1u16.to_le_bytes());
        buf.extend_from_slice(&count.to_le_bytes());
        buf.extend_from_slice(&total.to_le_bytes());
        buf.extend_from_slice(&0u32.to_le_bytes());
        buf.extend_from_slice(&body);
        if let Ok(batch) = Batch::parse(&buf) {
            check_trusted_batch(&buf, &batch);
        }
    }

    #[test]
    fn a_damaged_batch_is_refused_or_still_sound(
        frames in vec(vec(any::<u8>(), MIN_FRAME_LEN..100), 0..8),
        damage in vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut buf = write_batch(&frames);
        for (at, value) in damage {
            let i = at.index(buf.len());
            buf[i] = value;
        }
        let len = buf.len();
        buf.truncate(len - cut.index(len / 4 + 1));
        if let Ok(batch) = Batch::parse(&buf) {
            check_trusted_batch(&buf, &batch);
            prop_assert_eq!(rewrite(&batch), batch.as_bytes());
        }
    }

    #[test]
    fn re_encoding_a_parsed_batch_reproduces_it(frames in frames(), slack in vec(any::<u8>(), 0..64)) {
        let mut buf = write_batch(&frames);
        buf.extend_from_slice(&slack);
        let batch = Batch::parse(&buf).unwrap();
        prop_assert_eq!(rewrite(&batch), &buf[..buf.len() - slack.len()]);
    }

    #[test]
    fn arbitrary_bytes_never_panic_decode(input in vec(any::<u8>(), 0..256)) {
        decode_all(&input);
    }

    #[test]
    fn a_valid_control_header_over_arbitrary_bytes_never_panics_decode(
        length in 0u16..300,
        body in vec(any::<u8>(), 0..256),
    ) {
        let mut input = Vec::new();
        input.extend_from_slice(&1u16.to_le_bytes());
        input.extend_from_slice(&length.to_le_bytes());
        input.extend_from_slice(&body);
        decode_all(&input);
    }

    #[test]
    fn control_structures_round_trip(
        info in (mac(), any::<u16>(), any::<u32>(), any::<u16>(), any::<u16>()),
        filter in any::<u32>(),
        groups in vec(group_mac(), 0..=MAX_MULTICAST),
        counters in counters(),
        known_generation in any::<u32>(),
        state in link_state(),
    ) {
        let mut out = [0u8; 256];
        let (mac, mtu, max_batch_bytes, max_batch_frames, protocol_version) = info;
        let info = DeviceInfo { mac, mtu, max_batch_bytes, max_batch_frames, protocol_version };
        let n = info.encode(&mut out).unwrap();
        prop_assert_eq!(DeviceInfo::decode(&out[..n]), Ok(info));

        let n = PacketFilter { filter }.encode(&mut out).unwrap();
        prop_assert_eq!(PacketFilter::decode(&out[..n]), Ok(PacketFilter { filter }));

        let list = MulticastList::from_addresses(&groups).unwrap();
        let n = list.encode(&mut out).unwrap();
        prop_assert_eq!(n, 8 + 6 * groups.len());
        let back = MulticastList::decode(&out[..n]).unwrap();
        prop_assert_eq!(back.addresses(), &groups[..]);

        let n = counters.encode(&mut out).unwrap();
        prop_assert_eq!(PortCounters::decode(&out[..n]), Ok(counters));

        let n = LinkWait { known_generation }.encode(&mut out).unwrap();
        prop_assert_eq!(LinkWait::decode(&out[..n]), Ok(LinkWait { known_generation }));

        let n = state.encode(&mut out).unwrap();
        prop_assert_eq!(LinkState::decode(&out[..n]), Ok(state));
    }
}
