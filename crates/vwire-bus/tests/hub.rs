//! Scenarios on the hub as the bus PDOs and the host model drive it: miniports write batches, read
//! batches and send internal IOCTLs; an administrator adds and removes ports, sets links and faults.

use vwire_bus::{
    AdminCounters, DevicePower, Faults, Hub, HubConfig, HubError, InjectOutcome, IoctlOutcome, IoctlStatus,
    JUMBO_MTU, PortId, STANDARD_MTU, WriteReport,
};
use vwire_proto::{
    Batch, BatchWriter, DeviceInfo, IOCTL_VWIRE_QUERY_COUNTERS, IOCTL_VWIRE_QUERY_DEVICE,
    IOCTL_VWIRE_SET_MULTICAST_LIST, IOCTL_VWIRE_SET_PACKET_FILTER, IOCTL_VWIRE_WAIT_LINK_CHANGE, LinkState,
    LinkWait, MulticastList, PacketFilter, PortCounters,
};

const BROADCAST: [u8; 6] = [0xff; 6];
const MULTICAST: [u8; 6] = [0x01, 0x00, 0x5e, 0x00, 0x00, 0x01];
const UNKNOWN: [u8; 6] = [0x02, 0xee, 0xee, 0xee, 0xee, 0xee];

fn mac(n: u8) -> [u8; 6] {
    [0x02, 0x56, 0x57, 0x00, 0x00, n]
}

/// A 60-byte Ethernet frame whose payload carries `tag`, so tests can tell frames apart.
fn eth(dst: [u8; 6], src: [u8; 6], tag: u16) -> Vec<u8> {
    let mut f = Vec::with_capacity(60);
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&[0x88, 0xb5]);
    f.extend_from_slice(&tag.to_be_bytes());
    f.resize(60, 0xa5);
    f
}

fn tag_of(frame: &[u8]) -> u16 {
    u16::from_be_bytes([frame[14], frame[15]])
}

fn batch(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut buf = vec![0u8; 1 << 20];
    let mut writer = BatchWriter::new(&mut buf).unwrap();
    for f in frames {
        writer.push(f).unwrap();
    }
    let len = writer.finish();
    buf.truncate(len);
    buf
}

fn frames_in(buf: &[u8]) -> Vec<Vec<u8>> {
    Batch::parse(buf).unwrap().frames().map(<[u8]>::to_vec).collect()
}

/// One read with a buffer of `buf_len` bytes: the frames it returned.
fn read(hub: &mut Hub, port: PortId, buf_len: usize, now: u64) -> Vec<Vec<u8>> {
    let mut buf = vec![0u8; buf_len];
    match hub.read_batch(port, &mut buf, now).unwrap() {
        Some(n) => frames_in(&buf[..n]),
        None => Vec::new(),
    }
}

/// Reads until nothing is ready.
fn drain(hub: &mut Hub, port: PortId, now: u64) -> Vec<Vec<u8>> {
    let mut all = Vec::new();
    loop {
        let got = read(hub, port, 16384, now);
        if got.is_empty() {
            return all;
        }
        all.extend(got);
    }
}

fn send(hub: &mut Hub, from: PortId, frames: &[Vec<u8>]) -> WriteReport {
    hub.write_batch(from, &batch(frames), 0).unwrap()
}

fn hub_with(n: u8, config: HubConfig) -> (Hub, Vec<PortId>) {
    let mut hub = Hub::new(config);
    let ports = (1..=n).map(|i| hub.add_port(mac(i)).unwrap()).collect();
    (hub, ports)
}

fn hub(n: u8) -> (Hub, Vec<PortId>) {
    hub_with(n, HubConfig::default())
}

#[test]
fn unicast_to_a_learned_address_goes_to_that_port_only() {
    let (mut hub, p) = hub(3);
    // Port 1 speaks first, so the hub learns where mac(1) lives; the reply is unicast.
    let r = send(&mut hub, p[0], &[eth(BROADCAST, mac(1), 1)]);
    assert_eq!(
        r,
        WriteReport { frames: 1, bytes: 60, delivered: 2, dropped: 0, unrouted: 0, cut_through: 0 }
    );
    drain(&mut hub, p[1], 0);
    drain(&mut hub, p[2], 0);

    let r = send(&mut hub, p[1], &[eth(mac(1), mac(2), 2)]);
    assert_eq!(r.delivered, 1);
    assert_eq!(hub.pending_frames(p[2]), 0);
    assert_eq!(drain(&mut hub, p[0], 0), [eth(mac(1), mac(2), 2)]);
    // And back: mac(2) was learned from that reply.
    send(&mut hub, p[0], &[eth(mac(2), mac(1), 3)]);
    assert_eq!(hub.pending_frames(p[2]), 0);
    assert_eq!(drain(&mut hub, p[1], 0), [eth(mac(2), mac(1), 3)]);
}

#[test]
fn broadcast_multicast_and_unknown_unicast_flood_to_every_other_port() {
    let (mut hub, p) = hub(4);
    for (i, dst) in [BROADCAST, MULTICAST, UNKNOWN].into_iter().enumerate() {
        let frame = eth(dst, mac(2), i as u16);
        let r = send(&mut hub, p[1], std::slice::from_ref(&frame));
        assert_eq!(r.delivered, 3, "{dst:x?}");
        assert_eq!(hub.pending_frames(p[1]), 0, "never back to the sender");
        for &q in [p[0], p[2], p[3]].iter() {
            assert_eq!(drain(&mut hub, q, 0), std::slice::from_ref(&frame));
        }
    }
}

#[test]
fn a_station_moving_to_another_port_is_relearned() {
    let (mut hub, p) = hub(3);
    send(&mut hub, p[0], &[eth(BROADCAST, mac(9), 1)]);
    send(&mut hub, p[2], &[eth(BROADCAST, mac(9), 2)]);
    for &q in &p {
        drain(&mut hub, q, 0);
    }
    send(&mut hub, p[1], &[eth(mac(9), mac(2), 3)]);
    assert_eq!(hub.pending_frames(p[0]), 0);
    assert_eq!(hub.pending_frames(p[2]), 1);
}

#[test]
fn a_frame_to_a_station_on_the_senders_own_port_goes_nowhere() {
    let (mut hub, p) = hub(2);
    send(&mut hub, p[0], &[eth(BROADCAST, mac(1), 1)]);
    drain(&mut hub, p[1], 0);
    let r = send(&mut hub, p[0], &[eth(mac(1), mac(1), 2)]);
    assert_eq!(
        r,
        WriteReport { frames: 1, bytes: 60, delivered: 0, dropped: 0, unrouted: 1, cut_through: 0 }
    );
    assert_eq!(hub.pending_frames(p[0]) + hub.pending_frames(p[1]), 0);
}

#[test]
fn a_full_queue_drops_and_counts_and_the_sender_goes_on() {
    let (mut hub, p) = hub_with(3, HubConfig { queue_frames: 4, ..HubConfig::default() });
    let frames: Vec<_> = (0..10).map(|i| eth(BROADCAST, mac(1), i)).collect();
    let r = send(&mut hub, p[0], &frames);
    assert_eq!(
        r,
        WriteReport { frames: 10, bytes: 600, delivered: 8, dropped: 12, unrouted: 0, cut_through: 0 }
    );
    for &q in &p[1..] {
        assert_eq!(hub.counters(q).unwrap().rx_dropped_queue_full, 6);
        // The oldest four were kept, in order.
        let tags: Vec<u16> = drain(&mut hub, q, 0).iter().map(|f| tag_of(f)).collect();
        assert_eq!(tags, [0, 1, 2, 3]);
    }
    let c = hub.counters(p[0]).unwrap();
    assert_eq!((c.tx_frames, c.tx_bytes, c.tx_errors), (10, 600, 0));
}

#[test]
fn frames_are_read_in_the_order_they_were_written() {
    let (mut hub, p) = hub(2);
    for chunk in 0..5u16 {
        let frames: Vec<_> = (0..7).map(|i| eth(BROADCAST, mac(1), chunk * 7 + i)).collect();
        send(&mut hub, p[0], &frames);
    }
    let tags: Vec<u16> = drain(&mut hub, p[1], 0).iter().map(|f| tag_of(f)).collect();
    assert_eq!(tags, (0..35).collect::<Vec<_>>());
    let c = hub.counters(p[1]).unwrap();
    assert_eq!((c.rx_frames, c.rx_bytes), (35, 35 * 60));
}

#[test]
fn a_read_takes_what_fits_and_leaves_the_rest_queued() {
    let (mut hub, p) = hub(2);
    let frames: Vec<_> = (0..10).map(|i| eth(BROADCAST, mac(1), i)).collect();
    send(&mut hub, p[0], &frames);
    // Room for exactly three 60-byte records (header + 3 records, as the writer lays them out).
    let three = batch(&frames[..3]).len();
    let got = read(&mut hub, p[1], three + 10, 0);
    assert_eq!(got, frames[..3]);
    assert_eq!(hub.pending_frames(p[1]), 7);
    assert_eq!(drain(&mut hub, p[1], 0), frames[3..]);
}

#[test]
fn a_read_never_exceeds_max_batch_bytes() {
    let config = HubConfig { max_batch_bytes: 512, ..HubConfig::default() };
    let (mut hub, p) = hub_with(2, config);
    let frames: Vec<_> = (0..20).map(|i| eth(BROADCAST, mac(1), i)).collect();
    for f in &frames {
        send(&mut hub, p[0], std::slice::from_ref(f));
    }
    let mut buf = vec![0u8; 65536];
    let n = hub.read_batch(p[1], &mut buf, 0).unwrap().unwrap();
    assert!(n <= 512);
    assert!(!frames_in(&buf[..n]).is_empty());
    assert_eq!(hub.device_info(p[1]).unwrap().max_batch_bytes, 512);
}

#[test]
fn a_buffer_that_cannot_hold_one_frame_is_too_small_and_loses_nothing() {
    let (mut hub, p) = hub(2);
    send(&mut hub, p[0], &[eth(BROADCAST, mac(1), 1)]);
    for len in [0, 8, 16, 40] {
        let mut buf = vec![0u8; len];
        assert_eq!(hub.read_batch(p[1], &mut buf, 0), Err(HubError::BufferTooSmall), "{len}");
    }
    assert_eq!(hub.pending_frames(p[1]), 1);
    assert_eq!(hub.counters(p[1]).unwrap().rx_errors, 4);
    // With nothing queued a small buffer is not an error: there is nothing to put in it.
    drain(&mut hub, p[1], 0);
    assert_eq!(hub.read_batch(p[1], &mut [0u8; 4], 0), Ok(None));
}

#[test]
fn link_down_drops_sends_skips_floods_and_bumps_the_generation() {
    let (mut hub, p) = hub(3);
    assert_eq!(hub.link_state(p[0]).unwrap(), LinkState::new(1, true, true, 10_000_000_000));

    hub.set_link(p[0], false).unwrap();
    assert_eq!(hub.link_state(p[0]).unwrap(), LinkState::new(2, false, true, 0));
    hub.set_link(p[0], false).unwrap();
    assert_eq!(hub.link_state(p[0]).unwrap().generation, 2, "no change, no new generation");

    // The down port's own writes are lost and counted as transmit errors.
    let r = send(&mut hub, p[0], &[eth(BROADCAST, mac(1), 1), eth(BROADCAST, mac(1), 2)]);
    assert_eq!(
        r,
        WriteReport { frames: 2, bytes: 120, delivered: 0, dropped: 2, unrouted: 0, cut_through: 0 }
    );
    let c = hub.counters(p[0]).unwrap();
    assert_eq!((c.tx_frames, c.tx_errors), (2, 2));
    // A flood skips it.
    assert_eq!(send(&mut hub, p[1], &[eth(BROADCAST, mac(2), 3)]).delivered, 1);
    assert_eq!(hub.pending_frames(p[0]), 0);

    hub.set_link(p[0], true).unwrap();
    assert_eq!(hub.link_state(p[0]).unwrap(), LinkState::new(3, true, true, 10_000_000_000));
}

#[test]
fn link_down_forgets_the_addresses_learned_on_the_port() {
    let (mut hub, p) = hub(3);
    send(&mut hub, p[0], &[eth(BROADCAST, mac(1), 1)]);
    hub.set_link(p[0], false).unwrap();
    hub.set_link(p[0], true).unwrap();
    drain(&mut hub, p[1], 0);
    drain(&mut hub, p[2], 0);
    // mac(1) is unknown again: flooded.
    assert_eq!(send(&mut hub, p[1], &[eth(mac(1), mac(2), 2)]).delivered, 2);
}

#[test]
fn frames_queued_before_link_down_stay_readable() {
    let (mut hub, p) = hub(2);
    send(&mut hub, p[0], &[eth(BROADCAST, mac(1), 1)]);
    hub.set_link(p[1], false).unwrap();
    assert_eq!(drain(&mut hub, p[1], 0).len(), 1);
}

fn wait_input(known_generation: u32) -> Vec<u8> {
    let mut buf = vec![0u8; LinkWait::ENCODED_LEN];
    let n = LinkWait { known_generation }.encode(&mut buf).unwrap();
    buf.truncate(n);
    buf
}

#[test]
fn a_link_change_completes_a_pending_link_wait() {
    let (mut hub, p) = hub(2);
    let mut out = [0u8; 64];
    // The miniport knows generation 1, the current one: the wait pends.
    let outcome = hub.handle_ioctl(p[0], IOCTL_VWIRE_WAIT_LINK_CHANGE, &wait_input(1), &mut out);
    assert_eq!(outcome, IoctlOutcome::PendLinkChange { known_generation: 1 });
    assert_eq!(hub.complete_link_wait(p[0], 1, &mut out), None);
    hub.set_link(p[1], false).unwrap();
    assert_eq!(hub.complete_link_wait(p[0], 1, &mut out), None, "another port's link is not ours");

    hub.set_link(p[0], false).unwrap();
    let mut out = [0u8; 64];
    let done = hub.complete_link_wait(p[0], 1, &mut out).unwrap();
    let IoctlOutcome::Complete { status: IoctlStatus::Success, information } = done else {
        panic!("{done:?}")
    };
    assert_eq!(LinkState::decode(&out[..information]).unwrap(), LinkState::new(2, false, true, 0));

    // Waiting with an old generation completes at once.
    let outcome = hub.handle_ioctl(p[0], IOCTL_VWIRE_WAIT_LINK_CHANGE, &wait_input(0), &mut out);
    let IoctlOutcome::Complete { status: IoctlStatus::Success, information } = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(LinkState::decode(&out[..information]).unwrap().generation, 2);
}

#[test]
fn a_port_speed_change_is_that_ports_alone_and_completes_its_link_wait() {
    let (mut hub, p) = hub(2);
    let mut out = [0u8; 64];
    let outcome = hub.handle_ioctl(p[0], IOCTL_VWIRE_WAIT_LINK_CHANGE, &wait_input(1), &mut out);
    assert_eq!(outcome, IoctlOutcome::PendLinkChange { known_generation: 1 });

    hub.set_speed(p[0], 100_000_000).unwrap();
    assert_eq!(hub.link_state(p[0]).unwrap(), LinkState::new(2, true, true, 100_000_000));
    assert_eq!(hub.link_state(p[1]).unwrap(), LinkState::new(1, true, true, 10_000_000_000), "not port 1");
    let done = hub.complete_link_wait(p[0], 1, &mut out).unwrap();
    let IoctlOutcome::Complete { status: IoctlStatus::Success, information } = done else {
        panic!("{done:?}")
    };
    assert_eq!(LinkState::decode(&out[..information]).unwrap(), LinkState::new(2, true, true, 100_000_000));

    // The same speed again changes nothing; 0 is refused and changes nothing.
    hub.set_speed(p[0], 100_000_000).unwrap();
    assert_eq!(hub.set_speed(p[0], 0), Err(HubError::InvalidSpeed));
    assert_eq!(hub.link_state(p[0]).unwrap().generation, 2);
    assert_eq!(hub.speed(p[0]), Ok(100_000_000));

    // While down the speed is kept, reported 0, and reported again when the link comes back.
    hub.set_link(p[0], false).unwrap();
    hub.set_speed(p[0], 1_000_000_000).unwrap();
    assert_eq!(hub.link_state(p[0]).unwrap(), LinkState::new(4, false, true, 0));
    hub.set_link(p[0], true).unwrap();
    assert_eq!(hub.link_state(p[0]).unwrap(), LinkState::new(5, true, true, 1_000_000_000));
    assert_eq!(hub.speed(p[1]), Ok(10_000_000_000));
    hub.remove_port(p[0]).unwrap();
    assert_eq!(hub.set_speed(p[0], 1), Err(HubError::NoSuchPort));
}

#[test]
fn removing_a_port_completes_its_pending_link_wait() {
    let (mut hub, p) = hub(2);
    let mut out = [0u8; 64];
    hub.handle_ioctl(p[0], IOCTL_VWIRE_WAIT_LINK_CHANGE, &wait_input(1), &mut out);
    hub.remove_port(p[0]).unwrap();
    assert_eq!(
        hub.complete_link_wait(p[0], 1, &mut out),
        Some(IoctlOutcome::Complete { status: IoctlStatus::NoSuchDevice, information: 0 })
    );
}

#[test]
fn drop_fault_at_one_million_ppm_drops_everything_the_port_sends() {
    let (mut hub, p) = hub(2);
    hub.set_faults(p[0], Faults { drop_ppm: 1_000_000, ..Faults::default() }).unwrap();
    let frames: Vec<_> = (0..50).map(|i| eth(BROADCAST, mac(1), i)).collect();
    let r = send(&mut hub, p[0], &frames);
    assert_eq!((r.delivered, r.dropped), (0, 50));
    assert_eq!(hub.counters(p[0]).unwrap().tx_dropped_fault, 50);
    assert_eq!(hub.pending_frames(p[1]), 0);
    // The other direction is untouched.
    assert_eq!(send(&mut hub, p[1], &frames[..1]).delivered, 1);
}

#[test]
fn drop_fault_is_partial_and_replays_from_the_seed() {
    let run = |seed| {
        let (mut hub, p) = hub_with(2, HubConfig { seed, queue_frames: 1000, ..HubConfig::default() });
        hub.set_faults(p[0], Faults { drop_ppm: 300_000, ..Faults::default() }).unwrap();
        let frames: Vec<_> = (0..200).map(|i| eth(BROADCAST, mac(1), i)).collect();
        send(&mut hub, p[0], &frames);
        drain(&mut hub, p[1], 0).iter().map(|f| tag_of(f)).collect::<Vec<_>>()
    };
    let kept = run(42);
    assert!((100..180).contains(&kept.len()), "{}", kept.len());
    assert_eq!(kept, run(42));
    assert_ne!(kept, run(43));
}

#[test]
fn corrupt_fault_flips_exactly_one_bit_of_what_the_port_receives() {
    let (mut hub, p) = hub(3);
    hub.set_faults(p[1], Faults { corrupt_ppm: 1_000_000, ..Faults::default() }).unwrap();
    let frames: Vec<_> = (0..30).map(|i| eth(BROADCAST, mac(1), i)).collect();
    send(&mut hub, p[0], &frames);
    let got = drain(&mut hub, p[1], 0);
    assert_eq!(got.len(), 30);
    for (sent, got) in frames.iter().zip(&got) {
        let flipped: u32 = sent.iter().zip(got).map(|(a, b)| (a ^ b).count_ones()).sum();
        assert_eq!(flipped, 1);
    }
    assert_eq!(hub.counters(p[1]).unwrap().rx_corrupted_fault, 30);
    // The copy for the other receiver is intact.
    assert_eq!(drain(&mut hub, p[2], 0), frames);
    assert_eq!(hub.counters(p[2]).unwrap().rx_corrupted_fault, 0);
}

#[test]
fn delay_fault_holds_frames_until_their_time() {
    let (mut hub, p) = hub(2);
    hub.set_faults(p[1], Faults { delay_ticks: 100, ..Faults::default() }).unwrap();
    hub.write_batch(p[0], &batch(&[eth(BROADCAST, mac(1), 1)]), 10).unwrap();
    hub.write_batch(p[0], &batch(&[eth(BROADCAST, mac(1), 2)]), 50).unwrap();
    assert_eq!(hub.next_ready_time(p[1]), Some(110));
    assert!(read(&mut hub, p[1], 4096, 109).is_empty());
    // At 110 only the first is due; the second waits for 150.
    assert_eq!(read(&mut hub, p[1], 4096, 110).iter().map(|f| tag_of(f)).collect::<Vec<_>>(), [1]);
    assert_eq!(hub.next_ready_time(p[1]), Some(150));
    assert!(read(&mut hub, p[1], 4096, 149).is_empty());
    assert_eq!(read(&mut hub, p[1], 4096, 150).len(), 1);
    assert_eq!(hub.next_ready_time(p[1]), None);
}

#[test]
fn without_delay_a_frame_is_ready_when_written() {
    let (mut hub, p) = hub(2);
    hub.write_batch(p[0], &batch(&[eth(BROADCAST, mac(1), 1)]), 7).unwrap();
    assert_eq!(hub.next_ready_time(p[1]), Some(7));
    assert_eq!(read(&mut hub, p[1], 4096, 7).len(), 1);
}

#[test]
fn stall_fault_holds_reads_until_cleared() {
    let (mut hub, p) = hub(2);
    hub.set_faults(p[1], Faults { stall: true, ..Faults::default() }).unwrap();
    send(&mut hub, p[0], &[eth(BROADCAST, mac(1), 1)]);
    assert_eq!(hub.read_batch(p[1], &mut [0u8; 4096], 1000), Ok(None));
    assert_eq!(hub.next_ready_time(p[1]), None);
    assert_eq!(hub.pending_frames(p[1]), 1);
    hub.set_faults(p[1], Faults::default()).unwrap();
    assert_eq!(read(&mut hub, p[1], 4096, 1000).len(), 1);
}

#[test]
fn fail_write_fault_refuses_whole_batches_and_counts_them() {
    let (mut hub, p) = hub(2);
    hub.set_faults(p[0], Faults { fail_writes: true, ..Faults::default() }).unwrap();
    let b = batch(&[eth(BROADCAST, mac(1), 1), eth(BROADCAST, mac(1), 2)]);
    assert_eq!(hub.write_batch(p[0], &b, 0), Err(HubError::WriteFailed));
    assert_eq!(hub.pending_frames(p[1]), 0);
    let c = hub.counters(p[0]).unwrap();
    assert_eq!((c.tx_errors, c.tx_frames), (1, 0));
}

#[test]
fn fail_read_fault_fails_reads_and_keeps_the_frames() {
    let (mut hub, p) = hub(2);
    send(&mut hub, p[0], &[eth(BROADCAST, mac(1), 1)]);
    hub.set_faults(p[1], Faults { fail_reads: true, ..Faults::default() }).unwrap();
    assert!(hub.faults(p[1]).unwrap().fail_reads);
    assert_eq!(hub.read_batch(p[1], &mut [0u8; 4096], 0), Err(HubError::ReadFailed));
    assert_eq!(hub.counters(p[1]).unwrap().rx_errors, 1);
    hub.set_faults(p[1], Faults::default()).unwrap();
    assert_eq!(read(&mut hub, p[1], 4096, 0).len(), 1);
}

#[test]
fn a_malformed_batch_is_refused_whole_and_counted() {
    let (mut hub, p) = hub(2);
    let good = batch(&[eth(BROADCAST, mac(1), 1), eth(BROADCAST, mac(1), 2)]);
    let mut damaged = good.clone();
    // Make the last record's length run past the end of the batch.
    let last = good.len() - 64;
    damaged[last..last + 2].copy_from_slice(&1000u16.to_le_bytes());
    assert!(matches!(hub.write_batch(p[0], &damaged, 0), Err(HubError::Batch(_))));
    for bad in [&[][..], &good[..10], b"not a batch at all, not at all"] {
        assert!(matches!(hub.write_batch(p[0], bad, 0), Err(HubError::Batch(_))));
    }
    assert_eq!(hub.pending_frames(p[1]), 0, "not even the good first frame went out");
    let c = hub.counters(p[0]).unwrap();
    assert_eq!((c.tx_errors, c.tx_frames), (4, 0));
    // Nothing was learned either: the source address is still unknown.
    send(&mut hub, p[1], &[eth(mac(1), mac(2), 3)]);
    assert_eq!(hub.pending_frames(p[0]), 1);
}

#[test]
fn a_batch_larger_than_advertised_is_refused() {
    let config = HubConfig { max_batch_bytes: 256, ..HubConfig::default() };
    let (mut hub, p) = hub_with(2, config);
    let frames: Vec<_> = (0..5).map(|i| eth(BROADCAST, mac(1), i)).collect();
    assert_eq!(hub.write_batch(p[0], &batch(&frames), 0), Err(HubError::BatchTooLarge));
    assert_eq!(hub.counters(p[0]).unwrap().tx_errors, 1);
    // Exactly as large as advertised is fine: 16 + 3 records of 64 + one of 48 bytes.
    let mut exact: Vec<_> = frames[..3].to_vec();
    exact.push(eth(BROADCAST, mac(1), 9)[..44].to_vec());
    let exact = batch(&exact);
    assert_eq!(exact.len(), 256);
    assert_eq!(hub.write_batch(p[0], &exact, 0).map(|r| r.frames), Ok(4));
}

#[test]
fn removing_a_port_forgets_its_addresses_and_its_id() {
    let (mut hub, p) = hub(3);
    send(&mut hub, p[0], &[eth(BROADCAST, mac(1), 1)]);
    send(&mut hub, p[1], &[eth(BROADCAST, mac(2), 2)]);
    hub.remove_port(p[0]).unwrap();
    assert_eq!(hub.ports().collect::<Vec<_>>(), [p[1], p[2]]);
    drain(&mut hub, p[2], 0);
    // mac(1) is unknown again: flooded to the remaining other port.
    assert_eq!(send(&mut hub, p[1], &[eth(mac(1), mac(2), 3)]).delivered, 1);
    assert_eq!(hub.pending_frames(p[2]), 1);

    let b = batch(&[eth(BROADCAST, mac(1), 4)]);
    assert_eq!(hub.write_batch(p[0], &b, 0), Err(HubError::NoSuchPort));
    assert_eq!(hub.read_batch(p[0], &mut [0u8; 4096], 0), Err(HubError::NoSuchPort));
    assert_eq!(hub.remove_port(p[0]), Err(HubError::NoSuchPort));
    assert_eq!(hub.set_link(p[0], false), Err(HubError::NoSuchPort));
    assert_eq!(hub.set_faults(p[0], Faults::default()), Err(HubError::NoSuchPort));
    assert_eq!(hub.counters(p[0]), Err(HubError::NoSuchPort));
    assert_eq!(hub.link_state(p[0]), Err(HubError::NoSuchPort));
    assert_eq!(hub.device_info(p[0]), Err(HubError::NoSuchPort));
    assert_eq!(hub.pending_frames(p[0]), 0);
    assert_eq!(hub.next_ready_time(p[0]), None);

    // The same MAC can come back, under a new id.
    let again = hub.add_port(mac(1)).unwrap();
    assert_ne!(again, p[0]);
    assert_eq!(hub.pending_frames(again), 0);
}

#[test]
fn adding_ports_checks_the_limit_the_address_and_duplicates() {
    let (mut hub, p) = hub_with(2, HubConfig { max_ports: 2, ..HubConfig::default() });
    assert_eq!(hub.add_port(mac(3)), Err(HubError::TooManyPorts));
    hub.remove_port(p[1]).unwrap();
    assert_eq!(hub.add_port(mac(1)), Err(HubError::PortExists));
    assert_eq!(hub.add_port([0; 6]), Err(HubError::InvalidMac));
    assert_eq!(hub.add_port(MULTICAST), Err(HubError::InvalidMac));
    assert_eq!(hub.add_port(BROADCAST), Err(HubError::InvalidMac));
    let p3 = hub.add_port(mac(3)).unwrap();
    assert_eq!(hub.mac(p3), Ok(mac(3)));
}

#[test]
fn a_hub_without_ports_or_queue_room_does_not_fail() {
    let (mut no_room, p) = hub_with(2, HubConfig { queue_frames: 0, ..HubConfig::default() });
    let r = send(&mut no_room, p[0], &[eth(BROADCAST, mac(1), 1)]);
    assert_eq!((r.delivered, r.dropped), (0, 1));
    let (mut lonely, p) = hub(1);
    assert_eq!(send(&mut lonely, p[0], &[eth(BROADCAST, mac(1), 1)]).unrouted, 1);
}

// ---- IOCTLs ----------------------------------------------------------------------------------------

fn complete(status: IoctlStatus, information: usize) -> IoctlOutcome {
    IoctlOutcome::Complete { status, information }
}

#[test]
fn ioctl_query_device_reports_the_port() {
    let (mut hub, p) = hub(2);
    let mut out = [0u8; 64];
    let outcome = hub.handle_ioctl(p[1], IOCTL_VWIRE_QUERY_DEVICE, &[], &mut out);
    assert_eq!(outcome, complete(IoctlStatus::Success, DeviceInfo::ENCODED_LEN));
    let info = DeviceInfo::decode(&out[..DeviceInfo::ENCODED_LEN]).unwrap();
    assert_eq!(info, hub.device_info(p[1]).unwrap());
    assert_eq!(info.mac, mac(2));
    assert_eq!(info.mtu, JUMBO_MTU, "the default hub carries jumbo frames");
    let mut small = [0u8; DeviceInfo::ENCODED_LEN - 1];
    let outcome = hub.handle_ioctl(p[1], IOCTL_VWIRE_QUERY_DEVICE, &[], &mut small);
    assert_eq!(outcome, complete(IoctlStatus::BufferTooSmall, 0));
}

/// A frame of `len` bytes from `src` to `dst`, its payload counting up from `seed`.
fn long(dst: [u8; 6], src: [u8; 6], len: usize, seed: u8) -> Vec<u8> {
    let mut f = eth(dst, src, 0);
    f.resize(len, 0);
    for (i, byte) in f.iter_mut().enumerate().skip(14) {
        *byte = seed.wrapping_add(i as u8);
    }
    f
}

#[test]
fn a_port_carries_frames_up_to_its_mtu_plus_header_and_tag_and_drops_giants_at_the_sender() {
    for (mtu, reported) in
        [(STANDARD_MTU, 1500u16), (4070, 4070), (JUMBO_MTU, 9000), (9600, 9000), (576, 1500)]
    {
        let (mut hub, p) = hub_with(2, HubConfig { mtu, ..HubConfig::default() });
        assert_eq!(hub.device_info(p[0]).unwrap().mtu, reported, "an MTU outside 1500..=9000 is clamped");
        let longest = usize::from(reported) + 18;
        let fits = long(mac(2), mac(1), longest, 1);
        let r = send(&mut hub, p[0], std::slice::from_ref(&fits));
        assert_eq!((r.delivered, r.dropped), (1, 0), "mtu {mtu}");
        assert_eq!(drain(&mut hub, p[1], 0), vec![fits], "mtu {mtu}");
        if longest < vwire_proto::MAX_FRAME_LEN {
            let giant = long(mac(2), mac(1), longest + 1, 2);
            let before = hub.counters(p[0]).unwrap().tx_errors;
            let r = send(&mut hub, p[0], &[giant, eth(mac(2), mac(1), 7)]);
            assert_eq!((r.frames, r.delivered, r.dropped), (2, 1, 1), "mtu {mtu}: only the giant is lost");
            assert_eq!(hub.counters(p[0]).unwrap().tx_errors, before + 1);
            let got = drain(&mut hub, p[1], 0);
            assert_eq!(got.len(), 1);
            assert_eq!(tag_of(&got[0]), 7);
        }
    }
}

#[test]
fn ioctl_query_counters_reports_the_port_counters() {
    let (mut hub, p) = hub(2);
    send(&mut hub, p[0], &[eth(BROADCAST, mac(1), 1)]);
    let mut out = [0u8; 128];
    let outcome = hub.handle_ioctl(p[0], IOCTL_VWIRE_QUERY_COUNTERS, &[], &mut out);
    assert_eq!(outcome, complete(IoctlStatus::Success, PortCounters::ENCODED_LEN));
    let c = PortCounters::decode(&out[..PortCounters::ENCODED_LEN]).unwrap();
    assert_eq!((c.tx_frames, c.tx_bytes), (1, 60));
    assert_eq!(c, hub.counters(p[0]).unwrap());
    let mut small = [0u8; 8];
    let outcome = hub.handle_ioctl(p[0], IOCTL_VWIRE_QUERY_COUNTERS, &[], &mut small);
    assert_eq!(outcome, complete(IoctlStatus::BufferTooSmall, 0));
}

#[test]
fn ioctl_set_packet_filter_is_recorded_and_bad_input_refused() {
    let (mut hub, p) = hub(1);
    let mut input = [0u8; PacketFilter::ENCODED_LEN];
    PacketFilter { filter: 0x0b }.encode(&mut input).unwrap();
    let outcome = hub.handle_ioctl(p[0], IOCTL_VWIRE_SET_PACKET_FILTER, &input, &mut []);
    assert_eq!(outcome, complete(IoctlStatus::Success, 0));
    assert_eq!(hub.packet_filter(p[0]), 0x0b);
    for bad in [&input[..3], &[9u8; PacketFilter::ENCODED_LEN][..], &[]] {
        let outcome = hub.handle_ioctl(p[0], IOCTL_VWIRE_SET_PACKET_FILTER, bad, &mut []);
        assert_eq!(outcome, complete(IoctlStatus::InvalidParameter, 0));
    }
    assert_eq!(hub.packet_filter(p[0]), 0x0b, "a refused request changes nothing");
}

#[test]
fn ioctl_set_multicast_list_is_recorded_and_bad_input_refused() {
    let (mut hub, p) = hub(1);
    let list = MulticastList::from_addresses(&[MULTICAST, [0x33, 0x33, 0, 0, 0, 1]]).unwrap();
    let mut input = [0u8; MulticastList::MAX_ENCODED_LEN];
    let n = list.encode(&mut input).unwrap();
    let outcome = hub.handle_ioctl(p[0], IOCTL_VWIRE_SET_MULTICAST_LIST, &input[..n], &mut []);
    assert_eq!(outcome, complete(IoctlStatus::Success, 0));
    assert_eq!(hub.multicast_list(p[0]), list);
    let outcome = hub.handle_ioctl(p[0], IOCTL_VWIRE_SET_MULTICAST_LIST, &input[..n - 1], &mut []);
    assert_eq!(outcome, complete(IoctlStatus::InvalidParameter, 0));
    assert_eq!(hub.multicast_list(p[0]), list);
}

#[test]
fn ioctl_wait_link_change_refuses_bad_input_and_small_output() {
    let (mut hub, p) = hub(1);
    let outcome = hub.handle_ioctl(p[0], IOCTL_VWIRE_WAIT_LINK_CHANGE, &[1, 2, 3], &mut [0u8; 64]);
    assert_eq!(outcome, complete(IoctlStatus::InvalidParameter, 0));
    // An output buffer that could never hold the answer fails now, pending or not.
    for known in [0, 1] {
        let outcome = hub.handle_ioctl(p[0], IOCTL_VWIRE_WAIT_LINK_CHANGE, &wait_input(known), &mut [0u8; 8]);
        assert_eq!(outcome, complete(IoctlStatus::BufferTooSmall, 0));
    }
    hub.set_link(p[0], false).unwrap();
    assert_eq!(
        hub.complete_link_wait(p[0], 1, &mut [0u8; 8]),
        Some(complete(IoctlStatus::BufferTooSmall, 0))
    );
}

#[test]
fn ioctl_unknown_code_or_removed_port() {
    let (mut hub, p) = hub(1);
    let outcome = hub.handle_ioctl(p[0], 0x0012_2014, &[], &mut [0u8; 64]);
    assert_eq!(outcome, complete(IoctlStatus::InvalidDeviceRequest, 0));
    hub.remove_port(p[0]).unwrap();
    let outcome = hub.handle_ioctl(p[0], IOCTL_VWIRE_QUERY_DEVICE, &[], &mut [0u8; 64]);
    assert_eq!(outcome, complete(IoctlStatus::NoSuchDevice, 0));
    assert_eq!(hub.packet_filter(p[0]), 0);
    assert_eq!(hub.multicast_list(p[0]), MulticastList::new());
}

#[test]
fn a_read_never_carries_more_than_max_batch_frames() {
    let (mut hub, p) = hub_with(2, HubConfig { queue_frames: 600, ..HubConfig::default() });
    let small: Vec<_> = (0..300u16)
        .map(|i| [BROADCAST.to_vec(), mac(1).to_vec(), i.to_be_bytes().to_vec()].concat())
        .collect();
    for chunk in small.chunks(100) {
        send(&mut hub, p[0], chunk);
    }
    let first = read(&mut hub, p[1], 65536, 0);
    assert_eq!(first.len(), vwire_proto::MAX_BATCH_FRAMES);
    assert_eq!(first, small[..vwire_proto::MAX_BATCH_FRAMES]);
    assert_eq!(hub.pending_frames(p[1]), 300 - vwire_proto::MAX_BATCH_FRAMES);
}

// ---------------------------------------------------------------------------------------------
// A port's device power (`Hub::set_power`): what the bus does when its PDO leaves and re-enters D0.

#[test]
fn a_powered_down_port_drops_and_counts_what_is_switched_to_it() {
    let (mut hub, p) = hub(3);
    // p[1] and p[2] are learned, so unicast to them is switched, not flooded.
    send(&mut hub, p[1], &[eth(BROADCAST, mac(2), 0)]);
    send(&mut hub, p[2], &[eth(BROADCAST, mac(3), 0)]);
    drain(&mut hub, p[0], 0);
    drain(&mut hub, p[2], 0);
    assert_eq!(drain(&mut hub, p[1], 0).len(), 1, "the broadcast of p[2]");
    for power in [DevicePower::D1, DevicePower::D2, DevicePower::D3] {
        assert_eq!(hub.set_power(p[1], power), Ok(0));
        assert_eq!(hub.power(p[1]), Ok(power));
    }

    // Unicast to the sleeping port: the sender's report says dropped, not delivered nor unrouted.
    let report = send(&mut hub, p[0], &[eth(mac(2), mac(1), 1), eth(mac(2), mac(1), 2)]);
    assert_eq!((report.frames, report.delivered, report.dropped, report.unrouted), (2, 0, 2, 0));
    // A broadcast reaches the awake port only; the sleeping one drops its copy.
    let report = send(&mut hub, p[0], &[eth(BROADCAST, mac(1), 3)]);
    assert_eq!((report.delivered, report.dropped), (1, 1));
    assert_eq!(drain(&mut hub, p[2], 0).iter().map(|f| tag_of(f)).collect::<Vec<_>>(), [3]);
    // An injected frame is from the wire too.
    assert_eq!(hub.inject(p[1], &eth(mac(2), mac(9), 4), 0), Ok(InjectOutcome::PoweredDown));

    assert_eq!(hub.pending_frames(p[1]), 0, "nothing queued for a NIC without power");
    assert_eq!(hub.next_ready_time(p[1]), None);
    let admin = hub.admin_counters(p[1]).unwrap();
    assert_eq!(
        admin,
        AdminCounters { rx_dropped_powered_down: 4, ..AdminCounters::default() },
        "two unicasts, one broadcast copy, one injected frame; nothing refused or discarded"
    );
    // Not the adapter's traffic, not a full queue: the protocol's counters are untouched.
    let counters = hub.counters(p[1]).unwrap();
    assert_eq!((counters.rx_frames, counters.rx_dropped_queue_full), (1, 0));
}

#[test]
fn powering_down_discards_the_queued_frames_and_counts_them() {
    let (mut hub, p) = hub(2);
    send(&mut hub, p[0], &(0..5).map(|i| eth(BROADCAST, mac(1), i)).collect::<Vec<_>>());
    assert_eq!(hub.pending_frames(p[1]), 5);
    assert_eq!(hub.set_power(p[1], DevicePower::D3), Ok(5));
    assert_eq!(hub.pending_frames(p[1]), 0);
    assert_eq!(hub.admin_counters(p[1]).unwrap().rx_discarded_at_power_down, 5);
    // From one low-power state to another, or D3 again: nothing more to discard or count.
    assert_eq!(hub.set_power(p[1], DevicePower::D2), Ok(0));
    assert_eq!(hub.set_power(p[1], DevicePower::D3), Ok(0));
    assert_eq!(hub.admin_counters(p[1]).unwrap().rx_discarded_at_power_down, 5);
    // Powering up brings nothing back.
    assert_eq!(hub.set_power(p[1], DevicePower::D0), Ok(0));
    assert!(drain(&mut hub, p[1], 0).is_empty());
    // The awake port's queue was never touched.
    assert_eq!(hub.admin_counters(p[0]).unwrap(), AdminCounters::default());
}

#[test]
fn reads_and_writes_of_a_powered_down_port_are_refused_and_counted() {
    let (mut hub, p) = hub(2);
    send(&mut hub, p[1], &[eth(BROADCAST, mac(2), 0)]);
    let before = hub.counters(p[1]).unwrap();
    hub.set_power(p[1], DevicePower::D3).unwrap();

    let mut buf = vec![0u8; 16384];
    assert_eq!(hub.read_batch(p[1], &mut buf, 0), Err(HubError::PoweredDown));
    assert_eq!(hub.write_batch(p[1], &batch(&[eth(mac(1), mac(2), 1)]), 0), Err(HubError::PoweredDown));
    assert_eq!(hub.admit_io(p[1]), Err(HubError::PoweredDown));
    // Refused before anything else: not even a malformed batch gets further.
    assert_eq!(hub.write_batch(p[1], &[1, 2, 3], 0), Err(HubError::PoweredDown));
    assert_eq!(
        hub.admin_counters(p[1]).unwrap().io_refused_powered_down,
        4,
        "a read, an admission, two writes"
    );
    assert_eq!(hub.counters(p[1]).unwrap(), before, "nothing was sent or read");
    assert_eq!(drain(&mut hub, p[0], 0).len(), 1, "only the frame written while powered");
    // The awake port is not affected, and an unknown port is still unknown.
    assert_eq!(hub.admit_io(p[0]), Ok(()));
    assert_eq!(hub.admit_io(PortId(999)), Err(HubError::NoSuchPort));
    assert_eq!(hub.set_power(PortId(999), DevicePower::D3), Err(HubError::NoSuchPort));
}

#[test]
fn power_down_leaves_the_link_and_the_learned_addresses_as_they_were() {
    let (mut hub, p) = hub(2);
    send(&mut hub, p[1], &[eth(BROADCAST, mac(2), 0)]);
    let link = hub.link_state(p[1]).unwrap();
    hub.set_power(p[1], DevicePower::D3).unwrap();
    assert_eq!(hub.link_state(p[1]).unwrap(), link, "same generation, still up, same speed");
    // The internal IOCTLs still answer: they read the bus's record, not the NIC.
    let mut out = [0u8; 64];
    assert!(matches!(
        hub.handle_ioctl(p[1], IOCTL_VWIRE_QUERY_DEVICE, &[], &mut out),
        IoctlOutcome::Complete { status: IoctlStatus::Success, .. }
    ));
    assert!(matches!(
        hub.handle_ioctl(p[1], IOCTL_VWIRE_WAIT_LINK_CHANGE, &wait_input(link.generation), &mut out),
        IoctlOutcome::PendLinkChange { .. }
    ));
    hub.set_power(p[1], DevicePower::D0).unwrap();
    assert_eq!(hub.link_state(p[1]).unwrap(), link);
    // mac(2) is still learned on p[1]: unicast to it is not flooded back to the sender's side.
    drain(&mut hub, p[0], 0);
    let report = send(&mut hub, p[0], &[eth(mac(2), mac(1), 1)]);
    assert_eq!((report.delivered, report.unrouted), (1, 0));
    assert_eq!(drain(&mut hub, p[1], 0).iter().map(|f| tag_of(f)).collect::<Vec<_>>(), [1]);
}

#[test]
fn power_up_restores_delivery_reads_and_writes() {
    let (mut hub, p) = hub(2);
    hub.set_power(p[1], DevicePower::D3).unwrap();
    send(&mut hub, p[0], &[eth(BROADCAST, mac(1), 1)]);
    assert_eq!(hub.set_power(p[1], DevicePower::D0), Ok(0));
    assert_eq!(hub.power(p[1]), Ok(DevicePower::D0));
    let frames: Vec<_> = (10..20).map(|i| eth(BROADCAST, mac(1), i)).collect();
    let report = send(&mut hub, p[0], &frames);
    assert_eq!((report.delivered, report.dropped), (10, 0));
    assert_eq!(drain(&mut hub, p[1], 0), frames, "every frame sent after power-up, byte for byte");
    let report = send(&mut hub, p[1], &[eth(mac(1), mac(2), 30)]);
    assert_eq!(report.delivered, 1);
    assert_eq!(hub.inject(p[1], &eth(mac(2), mac(9), 31), 0), Ok(InjectOutcome::Queued));
    let admin = hub.admin_counters(p[1]).unwrap();
    assert_eq!((admin.rx_dropped_powered_down, admin.io_refused_powered_down), (1, 0));
}
