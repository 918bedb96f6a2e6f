//! Cut-through (`Hub::write_batch_into`): a frame for a port with a read parked and nothing queued
//! goes straight into that read; everything else keeps the queue's order and faults.

mod parked_reads;

use parked_reads::TestReads;
use vwire_bus::{DevicePower, Faults, Hub, HubConfig, PortId};
use vwire_proto::{Batch, BatchWriter, DEFAULT_MAX_BATCH_BYTES, record_len};

const BROADCAST: [u8; 6] = [0xff; 6];

fn mac(n: u8) -> [u8; 6] {
    [0x02, 0x56, 0x57, 0x00, 0x00, n]
}

/// A `len`-byte frame from `src` to `dst` whose payload carries `tag`.
fn eth(dst: [u8; 6], src: [u8; 6], tag: u16, len: usize) -> Vec<u8> {
    let mut f = Vec::with_capacity(len);
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&[0x88, 0xb5]);
    f.extend_from_slice(&tag.to_be_bytes());
    f.resize(len, 0xa5);
    f
}

fn batch(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut buf = vec![0u8; DEFAULT_MAX_BATCH_BYTES];
    let mut writer = BatchWriter::new(&mut buf).unwrap();
    for f in frames {
        writer.push(f).unwrap();
    }
    let len = writer.finish();
    buf.truncate(len);
    buf
}

/// Reads until nothing is ready: the frames queued for `port`.
fn drain(hub: &mut Hub, port: PortId) -> Vec<Vec<u8>> {
    let mut all = Vec::new();
    let mut buf = vec![0u8; DEFAULT_MAX_BATCH_BYTES];
    while let Ok(Some(n)) = hub.read_batch(port, &mut buf, 0) {
        all.extend(Batch::parse(&buf[..n]).unwrap().frames().map(<[u8]>::to_vec));
    }
    all
}

fn hub(n: u8) -> (Hub, Vec<PortId>) {
    let mut hub = Hub::new(HubConfig::default());
    let ports = (1..=n).map(|i| hub.add_port(mac(i)).unwrap()).collect();
    (hub, ports)
}

/// Writes `frames` from `from` with `reads` lent, and checks every read taken came back.
fn send(hub: &mut Hub, from: PortId, frames: &[Vec<u8>], reads: &mut TestReads) -> vwire_bus::WriteReport {
    let report = hub.write_batch_into(from, &batch(frames), 0, reads).unwrap();
    assert!(reads.none_taken(), "every read taken is handed back before the write returns");
    report
}

#[test]
fn frames_for_a_port_with_a_read_parked_go_straight_into_it_once() {
    let (mut hub, p) = hub(2);
    let mut reads = TestReads::default();
    reads.park(p[1], DEFAULT_MAX_BATCH_BYTES);
    reads.park(p[1], DEFAULT_MAX_BATCH_BYTES);
    let frames: Vec<_> = (0..3).map(|i| eth(BROADCAST, mac(1), i, 60 + usize::from(i))).collect();
    let r = send(&mut hub, p[0], &frames, &mut reads);
    assert_eq!((r.delivered, r.cut_through), (3, 3));
    assert_eq!(reads.filled.len(), 1, "one read per port per write");
    assert_eq!(reads.frames_of(p[1]), frames);
    assert_eq!(reads.parked(p[1]), 1, "the second read stays parked");
    assert_eq!(hub.pending_frames(p[1]), 0, "nothing was queued");
    let c = hub.counters(p[1]).unwrap();
    assert_eq!((c.rx_frames, c.rx_bytes), (3, 60 + 61 + 62), "counted as read out");
    // The sender's own parked reads are never touched.
    assert_eq!(reads.parked(p[0]), 0);
}

#[test]
fn a_full_read_sends_the_rest_to_the_queue_in_order() {
    let (mut hub, p) = hub(2);
    let mut reads = TestReads::default();
    // Room for exactly two 1000-byte frames.
    let room = 16 + 2 * record_len(1000).unwrap();
    reads.park(p[1], room);
    let frames: Vec<_> = (0..5).map(|i| eth(BROADCAST, mac(1), i, 1000)).collect();
    let r = send(&mut hub, p[0], &frames, &mut reads);
    assert_eq!((r.delivered, r.cut_through), (5, 2));
    assert_eq!(reads.frames_of(p[1]), frames[..2]);
    assert_eq!(drain(&mut hub, p[1]), frames[2..]);
}

#[test]
fn a_queue_with_frames_waiting_keeps_them_ahead_of_a_read_parked_later() {
    let (mut hub, p) = hub(2);
    let mut reads = TestReads::default();
    let first = eth(BROADCAST, mac(1), 1, 60);
    send(&mut hub, p[0], std::slice::from_ref(&first), &mut reads);
    assert_eq!(hub.pending_frames(p[1]), 1, "no read parked: queued");
    reads.park(p[1], DEFAULT_MAX_BATCH_BYTES);
    let second = eth(BROADCAST, mac(1), 2, 60);
    let r = send(&mut hub, p[0], std::slice::from_ref(&second), &mut reads);
    assert_eq!(r.cut_through, 0, "first in, first out: the read must not overtake the queue");
    assert_eq!((reads.parked(p[1]), reads.put_back), (1, 0), "not even taken");
    assert_eq!(drain(&mut hub, p[1]), [first, second]);
}

#[test]
fn faults_that_hold_frames_back_keep_them_in_the_queue() {
    let held = [
        Faults { delay_ticks: 5, ..Faults::default() },
        Faults { stall: true, ..Faults::default() },
        Faults { fail_reads: true, ..Faults::default() },
    ];
    for faults in held {
        let (mut hub, p) = hub(2);
        let mut reads = TestReads::default();
        reads.park(p[1], DEFAULT_MAX_BATCH_BYTES);
        hub.set_faults(p[1], faults).unwrap();
        let r = send(&mut hub, p[0], &[eth(BROADCAST, mac(1), 1, 60)], &mut reads);
        assert_eq!((r.delivered, r.cut_through), (1, 0), "{faults:?}");
        assert_eq!((hub.pending_frames(p[1]), reads.parked(p[1])), (1, 1), "{faults:?}");
    }
}

#[test]
fn corruption_applies_to_a_frame_written_into_a_read() {
    let (mut hub, p) = hub(2);
    let mut reads = TestReads::default();
    reads.park(p[1], DEFAULT_MAX_BATCH_BYTES);
    hub.set_faults(p[1], Faults { corrupt_ppm: 1_000_000, ..Faults::default() }).unwrap();
    let frame = eth(BROADCAST, mac(1), 7, 200);
    let r = send(&mut hub, p[0], std::slice::from_ref(&frame), &mut reads);
    assert_eq!(r.cut_through, 1);
    let got = reads.frames_of(p[1]);
    let flipped: u32 = got[0].iter().zip(&frame).map(|(a, b)| (a ^ b).count_ones()).sum();
    assert_eq!(flipped, 1);
    assert_eq!(hub.counters(p[1]).unwrap().rx_corrupted_fault, 1);
}

#[test]
fn a_read_that_cannot_hold_the_frame_goes_back_to_the_head_and_the_frame_is_queued() {
    for len in [8, 100] {
        let (mut hub, p) = hub(2);
        let mut reads = TestReads::default();
        reads.park(p[1], len);
        let frame = eth(BROADCAST, mac(1), 1, 1514);
        let r = send(&mut hub, p[0], std::slice::from_ref(&frame), &mut reads);
        assert_eq!((r.delivered, r.cut_through), (1, 0), "read of {len} bytes");
        assert_eq!((reads.put_back, reads.parked(p[1])), (1, 1), "read of {len} bytes");
        assert_eq!(hub.counters(p[1]).unwrap().rx_frames, 0);
        assert_eq!(drain(&mut hub, p[1]), [frame]);
    }
}

#[test]
fn a_flood_fills_one_read_on_every_receiving_port() {
    let (mut hub, p) = hub(4);
    let mut reads = TestReads::default();
    for &q in &p {
        reads.park(q, DEFAULT_MAX_BATCH_BYTES);
    }
    hub.set_link(p[3], false).unwrap();
    let frames: Vec<_> = (0..4).map(|i| eth(BROADCAST, mac(2), i, 64)).collect();
    let r = send(&mut hub, p[1], &frames, &mut reads);
    assert_eq!((r.delivered, r.cut_through), (8, 8));
    for q in [p[0], p[2]] {
        assert_eq!(reads.frames_of(q), frames);
    }
    assert_eq!((reads.parked(p[1]), reads.parked(p[3])), (1, 1), "the sender and a port whose link is down");
}

#[test]
fn a_powered_down_port_takes_no_read() {
    let (mut hub, p) = hub(2);
    let mut reads = TestReads::default();
    reads.park(p[1], DEFAULT_MAX_BATCH_BYTES);
    hub.set_power(p[1], DevicePower::D3).unwrap();
    let r = send(&mut hub, p[0], &[eth(BROADCAST, mac(1), 1, 60)], &mut reads);
    assert_eq!((r.delivered, r.dropped, r.cut_through), (0, 1, 0));
    assert_eq!(reads.parked(p[1]), 1);
}

#[test]
fn a_read_carries_no_more_than_max_batch_bytes() {
    let (mut hub, p) = hub(2);
    let mut reads = TestReads::default();
    reads.park(p[1], 4 * DEFAULT_MAX_BATCH_BYTES);
    let frames: Vec<_> = (0..10).map(|i| eth(BROADCAST, mac(1), i, 1514)).collect();
    let r = send(&mut hub, p[0], &frames, &mut reads);
    let batch_len = reads.filled[0].1.len();
    assert!(batch_len <= DEFAULT_MAX_BATCH_BYTES, "{batch_len}");
    assert_eq!(
        usize::try_from(r.cut_through).unwrap(),
        (DEFAULT_MAX_BATCH_BYTES - 16) / record_len(1514).unwrap()
    );
    let mut all = reads.frames_of(p[1]);
    all.extend(drain(&mut hub, p[1]));
    assert_eq!(all, frames);
}

#[test]
fn a_read_whose_buffer_cannot_be_had_is_handed_back_and_the_frame_queued() {
    let (mut hub, p) = hub(2);
    let mut reads = TestReads::default();
    reads.buffers_left = Some(0);
    reads.park(p[1], DEFAULT_MAX_BATCH_BYTES);
    let frame = eth(BROADCAST, mac(1), 1, 60);
    let r = send(&mut hub, p[0], std::slice::from_ref(&frame), &mut reads);
    assert_eq!((r.delivered, r.cut_through), (1, 0));
    assert_eq!((reads.put_back, reads.parked(p[1])), (1, 1), "taken, so handed back");
    assert_eq!(drain(&mut hub, p[1]), [frame]);
}

#[test]
fn frames_in_a_read_whose_buffer_is_gone_at_the_end_are_counted_lost() {
    let (mut hub, p) = hub(2);
    // The buffer is given for the two frames, then no more (for the header).
    let mut reads = TestReads::default();
    reads.buffers_left = Some(2);
    reads.park(p[1], DEFAULT_MAX_BATCH_BYTES);
    let frames: Vec<_> = (0..2).map(|i| eth(BROADCAST, mac(1), i, 60)).collect();
    let r = send(&mut hub, p[0], &frames, &mut reads);
    assert_eq!((r.delivered, r.cut_through, r.dropped), (0, 0, 2));
    assert_eq!(reads.put_back, 1);
    let c = hub.counters(p[1]).unwrap();
    assert_eq!((c.rx_frames, c.rx_bytes, c.rx_errors), (0, 0, 1));
}

#[test]
fn an_injected_frame_leaves_the_port_ready_for_cut_through() {
    let (mut hub, p) = hub(2);
    let injected = eth(mac(2), mac(9), 1, 60);
    assert_eq!(hub.inject(p[1], &injected, 0), Ok(vwire_bus::InjectOutcome::Queued));
    assert_eq!(drain(&mut hub, p[1]), [injected]);
    let mut reads = TestReads::default();
    reads.park(p[1], DEFAULT_MAX_BATCH_BYTES);
    let r = send(&mut hub, p[0], &[eth(BROADCAST, mac(1), 2, 60)], &mut reads);
    assert_eq!(r.cut_through, 1, "the next write cuts through as if nothing had been injected");
}

#[test]
fn an_empty_read_is_handed_back_with_the_reason() {
    let (mut hub, p) = hub(2);
    let mut reads = TestReads::default();
    reads.park(p[1], 8);
    send(&mut hub, p[0], &[eth(BROADCAST, mac(1), 1, 60)], &mut reads);
    reads.buffers_left = Some(0);
    drain(&mut hub, p[1]);
    send(&mut hub, p[0], &[eth(BROADCAST, mac(1), 2, 60)], &mut reads);
    assert_eq!(reads.unused, [vwire_bus::HandedBack::TooSmall, vwire_bus::HandedBack::NoBuffer]);
}
