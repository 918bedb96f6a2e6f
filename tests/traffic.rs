//! Frames through the real data path: adapters on one vwire hub exchange frames of every size, the
//! receive filter holds, and traffic survives pause, reset and surprise removal with every NBL
//! completed exactly once and nothing leaked.

mod common;

use common::*;
use kernel_sim::STATUS_IO_DEVICE_ERROR;
use kernel_sim::{AdapterId, NblShape, Sim};
use ndis_types::oid::*;
use ndis_types::status::STATUS_SUCCESS;
use ndis_types::*;

const ETHERTYPE_TEST: [u8; 2] = [0x88, 0xB5];
const FILTER: u32 = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_MULTICAST | NDIS_PACKET_TYPE_BROADCAST;

/// A frame `length` bytes long from `source` to `destination`, its payload numbered by `sequence`.
fn frame(destination: [u8; 6], source: [u8; 6], length: usize, sequence: u32) -> Vec<u8> {
    let mut frame = Vec::with_capacity(length);
    frame.extend_from_slice(&destination);
    frame.extend_from_slice(&source);
    frame.extend_from_slice(&ETHERTYPE_TEST);
    frame.extend_from_slice(&sequence.to_be_bytes());
    while frame.len() < length {
        frame.push((frame.len() as u32 ^ sequence) as u8);
    }
    frame
}

/// A VLAN-tagged 1518-byte frame (802.1Q tag after the source address).
fn vlan_frame(destination: [u8; 6], source: [u8; 6], sequence: u32) -> Vec<u8> {
    let mut frame = frame(destination, source, 1518, sequence);
    frame.splice(12..12, [0x81, 0x00, 0x00, 0x2A]);
    frame.truncate(1518);
    frame
}

fn set_filter(sim: &Sim, adapter: AdapterId, filter: u32) {
    let result = sim.oid_set(adapter, OID_GEN_CURRENT_PACKET_FILTER, &filter.to_ne_bytes());
    assert_eq!(result.status, NDIS_STATUS_SUCCESS);
}

fn counter(sim: &Sim, adapter: AdapterId, oid: u32) -> u64 {
    let result = sim.oid_query(adapter, oid, 8);
    assert_eq!(result.status, NDIS_STATUS_SUCCESS, "OID {oid:#x}");
    u64::from_ne_bytes(result.data[..8].try_into().unwrap())
}

/// Bring up `count` running adapters that accept directed, multicast and broadcast frames.
fn network(seed: u64, count: usize) -> (Sim, Vec<AdapterId>) {
    let (sim, adapters) = with_adapters(seed, count);
    for &adapter in &adapters {
        assert_eq!(sim.restart(adapter), NDIS_STATUS_SUCCESS);
        set_filter(&sim, adapter, FILTER);
    }
    (sim, adapters)
}

fn finish_present(sim: Sim, adapters: &[AdapterId]) {
    for &adapter in adapters {
        if !sim.surprise_removed(adapter) {
            sim.remove_adapter(adapter);
        }
    }
    sim.unload();
    sim.assert_clean();
}

fn exchange_every_size(seed: u64, count: usize) {
    let (sim, adapters) = network(seed, count);
    let macs: Vec<[u8; 6]> = adapters.iter().map(|&adapter| mac(&sim, adapter)).collect();
    let mut expected: Vec<Vec<Vec<u8>>> = vec![Vec::new(); count];
    let mut sent_ids = Vec::new();
    // Each adapter sends to the next one around the ring; sequence numbers are unique per frame.
    for (index, &adapter) in adapters.iter().enumerate() {
        let peer = (index + 1) % count;
        let base = (index as u32) * 10_000;
        let mut frames: Vec<Vec<u8>> =
            (60..=1514).map(|length| frame(macs[peer], macs[index], length, base + length as u32)).collect();
        frames.push(vlan_frame(macs[peer], macs[index], base + 9_999));
        for chunk in frames.chunks(37) {
            sent_ids.extend(sim.send_frames(adapter, chunk, NblShape::default()));
            sim.run_until_idle();
        }
        expected[peer].extend(frames);
    }
    sim.run_until_idle();
    for id in &sent_ids {
        assert_eq!(sim.send_completion(*id), Some(NDIS_STATUS_SUCCESS));
    }
    for (index, &adapter) in adapters.iter().enumerate() {
        // The tagged frame comes up without its tag, VLAN 42 in its NBL's 802.1Q info (the
        // default `*PriorityVLANTag` strips tags).
        let up: Vec<(Vec<u8>, usize)> = expected[index]
            .iter()
            .map(|frame| match frame[12..14] {
                [0x81, 0x00] => ([&frame[..12], &frame[16..]].concat(), 42 << 4),
                _ => (frame.clone(), 0),
            })
            .collect();
        let received = sim.take_received_with_8021q(adapter);
        assert_eq!(received.len(), up.len(), "adapter {index}: frames received");
        assert!(received == up, "adapter {index}: every byte, in order, nothing duplicated");
        let frames = expected[index].len() as u64;
        // Octets as the protocol receives them: the stripped tag is not counted.
        let bytes: u64 = up.iter().map(|(frame, _)| frame.len() as u64).sum();
        assert_eq!(counter(&sim, adapter, OID_GEN_RCV_OK), frames);
        assert_eq!(counter(&sim, adapter, OID_GEN_XMIT_OK), 1456, "adapter {index}: frames sent");
        let stats = sim.oid_query(adapter, OID_GEN_STATISTICS, 152);
        let in_octets = u64::from_ne_bytes(stats.data[24..32].try_into().unwrap());
        assert_eq!(in_octets, bytes, "adapter {index}: ifHCInOctets");
    }
    finish_present(sim, &adapters);
}

#[test]
fn two_adapters_exchange_every_frame_size() {
    exchange_every_size(100, 2);
}

#[test]
fn four_adapters_exchange_every_frame_size() {
    exchange_every_size(101, 4);
}

#[test]
fn nbl_shapes_many_nbs_split_mdls_and_offsets_arrive_intact() {
    let (sim, adapters) = network(102, 2);
    let (a, b) = (adapters[0], adapters[1]);
    let (mac_a, mac_b) = (mac(&sim, a), mac(&sim, b));
    let frames: Vec<Vec<u8>> = (0..48).map(|i| frame(mac_b, mac_a, 60 + i * 29, i as u32)).collect();
    let shapes = [
        NblShape { nbs_per_nbl: 4, mdl_split: vec![14, 20], data_offset: 0, ..NblShape::default() },
        NblShape { nbs_per_nbl: 1, mdl_split: vec![1, 1, 1, 7], data_offset: 6, ..NblShape::default() },
        NblShape { nbs_per_nbl: 8, mdl_split: vec![], data_offset: 3, ..NblShape::default() },
    ];
    let mut expected = Vec::new();
    for shape in shapes {
        let ids = sim.send_frames(a, &frames, shape);
        sim.run_until_idle();
        for id in ids {
            assert_eq!(sim.send_completion(id), Some(NDIS_STATUS_SUCCESS));
        }
        expected.extend(frames.iter().cloned());
    }
    assert!(sim.received_frames(b) == expected);
    finish_present(sim, &adapters);
}

#[test]
fn short_frames_are_padded_and_oversized_ones_refused() {
    let (sim, adapters) = network(103, 2);
    let (a, b) = (adapters[0], adapters[1]);
    let (mac_a, mac_b) = (mac(&sim, a), mac(&sim, b));
    let short = frame(mac_b, mac_a, 42, 1);
    let ids = sim.send_frames(a, std::slice::from_ref(&short), NblShape::default());
    let too_long = frame(mac_b, mac_a, 1600, 2);
    let refused = sim.send_frames(a, &[too_long], NblShape::default());
    sim.run_until_idle();
    assert_eq!(sim.send_completion(ids[0]), Some(NDIS_STATUS_SUCCESS));
    assert_eq!(sim.send_completion(refused[0]), Some(NDIS_STATUS_INVALID_LENGTH));
    let received = sim.received_frames(b);
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].len(), 60, "padded to the Ethernet minimum");
    assert_eq!(&received[0][..42], &short[..]);
    assert!(received[0][42..].iter().all(|byte| *byte == 0));
    finish_present(sim, &adapters);
}

#[test]
fn filters_unicast_broadcast_multicast_and_promiscuous() {
    let (sim, adapters) = network(104, 3);
    let (a, b, c) = (adapters[0], adapters[1], adapters[2]);
    let (mac_a, mac_b, mac_c) = (mac(&sim, a), mac(&sim, b), mac(&sim, c));
    let group = [0x01, 0x00, 0x5E, 0x00, 0x00, 0x7B];
    let other_group = [0x01, 0x00, 0x5E, 0x00, 0x00, 0x7C];
    assert_eq!(sim.oid_set(b, OID_802_3_MULTICAST_LIST, &group).status, NDIS_STATUS_SUCCESS);
    set_filter(&sim, c, NDIS_PACKET_TYPE_PROMISCUOUS);

    let to_b = frame(mac_b, mac_a, 100, 1);
    let broadcast = frame([0xFF; 6], mac_a, 100, 2);
    let to_group = frame(group, mac_a, 100, 3);
    let to_other_group = frame(other_group, mac_a, 100, 4);
    let to_nobody = frame([0x02, 0, 0, 0, 0, 0x99], mac_a, 100, 5);
    let all = [to_b.clone(), broadcast.clone(), to_group.clone(), to_other_group.clone(), to_nobody.clone()];
    sim.send_frames(a, &all, NblShape::default());
    sim.run_until_idle();
    // B: its own unicast, broadcast, and the group it joined.
    assert!(sim.received_frames(b) == vec![to_b.clone(), broadcast.clone(), to_group.clone()]);
    // C is promiscuous: everything the hub delivered to it (unknown unicast and groups are flooded,
    // B's address was not learned as C's, so the unicast to B reaches C only while B is unknown).
    let c_frames = sim.received_frames(c);
    for expected in [&broadcast, &to_group, &to_other_group, &to_nobody] {
        assert!(c_frames.contains(expected), "promiscuous C sees every flooded frame");
    }
    // A sent them all and sees none of its own frames back.
    assert!(sim.received_frames(a).is_empty());
    // Filter 0 stops everything.
    set_filter(&sim, b, 0);
    sim.send_frames(a, std::slice::from_ref(&broadcast), NblShape::default());
    sim.run_until_idle();
    assert_eq!(sim.received_frames(b).len(), 3);
    let _ = mac_c;
    finish_present(sim, &adapters);
}

/// Keep both directions busy, then run `disturb` in the middle of it; every NBL must complete
/// exactly once (kernel-sim checks) and the adapters must end clean.
fn under_load(seed: u64, disturb: impl Fn(&Sim, AdapterId, AdapterId)) {
    let (sim, adapters) = network(seed, 2);
    let (a, b) = (adapters[0], adapters[1]);
    let (mac_a, mac_b) = (mac(&sim, a), mac(&sim, b));
    let mut ids = Vec::new();
    for round in 0..6u32 {
        let ab: Vec<Vec<u8>> =
            (0..40).map(|i| frame(mac_b, mac_a, 200 + (i * 31) as usize, round * 100 + i)).collect();
        let ba: Vec<Vec<u8>> =
            (0..40).map(|i| frame(mac_a, mac_b, 1514 - (i * 13) as usize, round * 100 + i)).collect();
        // NDIS sends nothing to an adapter once it is surprise-removed and halted.
        if !sim.surprise_removed(a) {
            ids.extend(sim.send_frames(a, &ab, NblShape { nbs_per_nbl: 2, ..NblShape::default() }));
        }
        ids.extend(sim.send_frames(b, &ba, NblShape::default()));
        if round == 3 {
            disturb(&sim, a, b);
        }
    }
    sim.run_until_idle();
    for id in ids {
        assert!(sim.send_completion(id).is_some(), "every NBL is completed");
    }
    finish_present(sim, &adapters);
}

#[test]
fn pause_and_restart_under_load() {
    for seed in 110..116 {
        under_load(seed, |sim, a, b| {
            let status = sim.pause(a);
            assert!(status == NDIS_STATUS_SUCCESS || status == NDIS_STATUS_PENDING);
            assert_eq!(sim.lower(a).pending_reads(), 0);
            assert_eq!(sim.restart(a), NDIS_STATUS_SUCCESS);
            set_filter(sim, a, FILTER);
            let _ = b;
        });
    }
}

#[test]
fn reset_under_load() {
    for seed in 120..126 {
        under_load(seed, |sim, a, _| {
            let (status, addressing) = sim.reset(a);
            assert!(status == NDIS_STATUS_SUCCESS || status == NDIS_STATUS_PENDING);
            assert!(!addressing);
        });
    }
}

#[test]
fn surprise_removal_under_load() {
    for seed in 130..136 {
        under_load(seed, |sim, a, _| sim.surprise_remove(a));
    }
}

#[test]
fn link_changes_are_indicated_and_gate_sends() {
    let (sim, adapters) = network(140, 2);
    let (a, b) = (adapters[0], adapters[1]);
    let before = sim.status_indications(a).len();
    sim.lower(a).set_link(false);
    sim.run_until_idle();
    let indications = sim.status_indications(a);
    assert!(indications.len() > before, "a link change is indicated");
    let ids = sim.send_frames(a, &[frame(mac(&sim, b), mac(&sim, a), 100, 1)], NblShape::default());
    sim.run_until_idle();
    assert_eq!(sim.send_completion(ids[0]), Some(NDIS_STATUS_MEDIA_DISCONNECTED));
    sim.lower(a).set_link(true);
    sim.run_until_idle();
    let ids = sim.send_frames(a, &[frame(mac(&sim, b), mac(&sim, a), 100, 2)], NblShape::default());
    sim.run_until_idle();
    assert_eq!(sim.send_completion(ids[0]), Some(NDIS_STATUS_SUCCESS));
    finish_present(sim, &adapters);
}

#[test]
fn no_allocation_per_frame_once_traffic_flows() {
    let (sim, adapters) = network(150, 2);
    let (a, b) = (adapters[0], adapters[1]);
    let (mac_a, mac_b) = (mac(&sim, a), mac(&sim, b));
    let warmup: Vec<Vec<u8>> = (0..64).map(|i| frame(mac_b, mac_a, 1000, i)).collect();
    sim.send_frames(a, &warmup, NblShape::default());
    sim.run_until_idle();
    let before = sim.allocations();
    for round in 0..20u32 {
        let frames: Vec<Vec<u8>> =
            (0..50).map(|i| frame(mac_b, mac_a, 60 + (i as usize * 29), round * 50 + i)).collect();
        sim.send_frames(a, &frames, NblShape::default());
        let back: Vec<Vec<u8>> = (0..50).map(|i| frame(mac_a, mac_b, 1514, round * 50 + i)).collect();
        sim.send_frames(b, &back, NblShape::default());
        sim.run_until_idle();
        let _ = counter(&sim, a, OID_GEN_XMIT_OK);
    }
    assert_eq!(sim.allocations(), before, "2000 frames and 40 OIDs later, the driver allocated nothing");
    assert_eq!(sim.received_frames(b).len(), 64 + 1000);
    finish_present(sim, &adapters);
}

#[test]
fn a_batch_of_more_small_frames_than_receive_nbls_loses_nothing() {
    let (sim, adapters) = network(160, 2);
    let (a, b) = (adapters[0], adapters[1]);
    let (mac_a, mac_b) = (mac(&sim, a), mac(&sim, b));
    // B's reads are held off while A queues 200 minimum-size frames on the wire, so one read
    // returns a batch of far more frames than B has receive NBLs (64).
    sim.pause(b);
    let frames: Vec<Vec<u8>> = (0..200).map(|i| frame(mac_b, mac_a, 60, i)).collect();
    sim.send_frames(a, &frames, NblShape::default());
    sim.run_until_idle();
    assert_eq!(sim.restart(b), NDIS_STATUS_SUCCESS);
    sim.run_until_idle();
    assert!(sim.received_frames(b) == frames, "every frame indicated, in order");
    let resources = sim.receive_counts(b).resources_nbls;
    assert!(resources > 0, "the pool ran out mid-batch and NBLs went up with NDIS_RECEIVE_FLAGS_RESOURCES");
    finish_present(sim, &adapters);
}

/// Frames the packet filter turns away take a receive NBL's lease and must give it back: far more
/// filtered frames than the pool has NBLs (64) go by, batch after batch, and every directed frame
/// among them is still indicated, with no frame dropped for want of an NBL.
#[test]
fn filtered_frames_give_their_receive_nbls_back() {
    let (sim, adapters) = network(161, 2);
    let (a, b) = (adapters[0], adapters[1]);
    let (mac_a, mac_b) = (mac(&sim, a), mac(&sim, b));
    set_filter(&sim, b, NDIS_PACKET_TYPE_DIRECTED);
    let mut expected = Vec::new();
    let mut sequence = 0u32;
    for _ in 0..12 {
        let mut frames = Vec::new();
        for i in 0..40 {
            sequence += 1;
            if i % 10 == 9 {
                let directed = frame(mac_b, mac_a, 64, sequence);
                expected.push(directed.clone());
                frames.push(directed);
            } else {
                frames.push(frame([0xFF; 6], mac_a, 64, sequence));
            }
        }
        sim.send_frames(a, &frames, NblShape::default());
        sim.run_until_idle();
    }
    assert!(sim.received_frames(b) == expected, "every directed frame indicated, in order");
    assert_eq!(counter(&sim, b, OID_GEN_RCV_NO_BUFFER), 0, "no frame went without a receive NBL");
    assert_eq!(counter(&sim, b, OID_GEN_RCV_DISCARDS), 0);
    finish_present(sim, &adapters);
}

/// The 18 counters of `NDIS_STATISTICS_INFO` (S:shared/ntddndis.h:306-329): the member, its offset,
/// the `NDIS_STATISTICS_FLAGS_VALID_*` flag that says it is valid in the `OID_GEN_STATISTICS`
/// answer, and the `NDIS_STATISTICS_*_SUPPORTED` flag that declares the same counter in
/// `NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES.SupportedStatistics`.
const STATISTICS: [(&str, usize, u32, u32); 18] = [
    ("ifInDiscards", 8, NDIS_STATISTICS_FLAGS_VALID_RCV_DISCARDS, NDIS_STATISTICS_RCV_DISCARDS_SUPPORTED),
    ("ifInErrors", 16, NDIS_STATISTICS_FLAGS_VALID_RCV_ERROR, NDIS_STATISTICS_RCV_ERROR_SUPPORTED),
    ("ifHCInOctets", 24, NDIS_STATISTICS_FLAGS_VALID_BYTES_RCV, NDIS_STATISTICS_BYTES_RCV_SUPPORTED),
    (
        "ifHCInUcastPkts",
        32,
        NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_RCV,
        NDIS_STATISTICS_DIRECTED_FRAMES_RCV_SUPPORTED,
    ),
    (
        "ifHCInMulticastPkts",
        40,
        NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_RCV,
        NDIS_STATISTICS_MULTICAST_FRAMES_RCV_SUPPORTED,
    ),
    (
        "ifHCInBroadcastPkts",
        48,
        NDIS_STATISTICS_FLAGS_VALID_BROADCAST_FRAMES_RCV,
        NDIS_STATISTICS_BROADCAST_FRAMES_RCV_SUPPORTED,
    ),
    ("ifHCOutOctets", 56, NDIS_STATISTICS_FLAGS_VALID_BYTES_XMIT, NDIS_STATISTICS_BYTES_XMIT_SUPPORTED),
    (
        "ifHCOutUcastPkts",
        64,
        NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_XMIT,
        NDIS_STATISTICS_DIRECTED_FRAMES_XMIT_SUPPORTED,
    ),
    (
        "ifHCOutMulticastPkts",
        72,
        NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_XMIT,
        NDIS_STATISTICS_MULTICAST_FRAMES_XMIT_SUPPORTED,
    ),
    (
        "ifHCOutBroadcastPkts",
        80,
        NDIS_STATISTICS_FLAGS_VALID_BROADCAST_FRAMES_XMIT,
        NDIS_STATISTICS_BROADCAST_FRAMES_XMIT_SUPPORTED,
    ),
    ("ifOutErrors", 88, NDIS_STATISTICS_FLAGS_VALID_XMIT_ERROR, NDIS_STATISTICS_XMIT_ERROR_SUPPORTED),
    ("ifOutDiscards", 96, NDIS_STATISTICS_FLAGS_VALID_XMIT_DISCARDS, NDIS_STATISTICS_XMIT_DISCARDS_SUPPORTED),
    (
        "ifHCInUcastOctets",
        104,
        NDIS_STATISTICS_FLAGS_VALID_DIRECTED_BYTES_RCV,
        NDIS_STATISTICS_DIRECTED_BYTES_RCV_SUPPORTED,
    ),
    (
        "ifHCInMulticastOctets",
        112,
        NDIS_STATISTICS_FLAGS_VALID_MULTICAST_BYTES_RCV,
        NDIS_STATISTICS_MULTICAST_BYTES_RCV_SUPPORTED,
    ),
    (
        "ifHCInBroadcastOctets",
        120,
        NDIS_STATISTICS_FLAGS_VALID_BROADCAST_BYTES_RCV,
        NDIS_STATISTICS_BROADCAST_BYTES_RCV_SUPPORTED,
    ),
    (
        "ifHCOutUcastOctets",
        128,
        NDIS_STATISTICS_FLAGS_VALID_DIRECTED_BYTES_XMIT,
        NDIS_STATISTICS_DIRECTED_BYTES_XMIT_SUPPORTED,
    ),
    (
        "ifHCOutMulticastOctets",
        136,
        NDIS_STATISTICS_FLAGS_VALID_MULTICAST_BYTES_XMIT,
        NDIS_STATISTICS_MULTICAST_BYTES_XMIT_SUPPORTED,
    ),
    (
        "ifHCOutBroadcastOctets",
        144,
        NDIS_STATISTICS_FLAGS_VALID_BROADCAST_BYTES_XMIT,
        NDIS_STATISTICS_BROADCAST_BYTES_XMIT_SUPPORTED,
    ),
];

/// The `OID_GEN_STATISTICS` answer of `adapter`: its valid flags and the 18 counters by name.
fn statistics(sim: &Sim, adapter: AdapterId) -> (u32, std::collections::BTreeMap<&'static str, u64>) {
    let result = sim.oid_query(adapter, OID_GEN_STATISTICS, 152);
    assert_eq!(result.status, NDIS_STATUS_SUCCESS);
    let valid = u32::from_ne_bytes(result.data[4..8].try_into().unwrap());
    let counters = STATISTICS
        .iter()
        .map(|&(name, offset, _, _)| {
            (name, u64::from_ne_bytes(result.data[offset..offset + 8].try_into().unwrap()))
        })
        .collect();
    (valid, counters)
}

/// What the adapter declares and what it answers agree, and both are complete: "NDIS 6.0 and later
/// drivers must support all statistics and must report them when queried for OID_GEN_STATISTICS"
/// (OID_GEN_STATISTICS, SupportedStatistics), and `SupportedStatistics` of
/// NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES declares the same counters with its own flags. Each
/// counter reported valid is real: it moves by exactly what the traffic was.
#[test]
fn every_declared_statistic_is_reported_valid_and_counts_the_traffic() {
    let (sim, adapters) = network(162, 2);
    let (a, b) = (adapters[0], adapters[1]);
    let (mac_a, mac_b) = (mac(&sim, a), mac(&sim, b));
    for &adapter in &adapters {
        let declared = sim.general_attributes(adapter).expect("attributes").supported_statistics;
        let (valid, _) = statistics(&sim, adapter);
        assert_ne!(declared & NDIS_STATISTICS_GEN_STATISTICS_SUPPORTED, 0, "OID_GEN_STATISTICS is answered");
        for &(name, _, valid_flag, supported_flag) in &STATISTICS {
            assert_ne!(valid & valid_flag, 0, "{name} is reported valid by OID_GEN_STATISTICS");
            assert_ne!(declared & supported_flag, 0, "{name} is declared in SupportedStatistics");
        }
    }

    // The counters with OIDs of their own, declared too.
    let own_oids = [
        (OID_GEN_XMIT_OK, NDIS_STATISTICS_XMIT_OK_SUPPORTED),
        (OID_GEN_RCV_OK, NDIS_STATISTICS_RCV_OK_SUPPORTED),
        (OID_GEN_RCV_NO_BUFFER, NDIS_STATISTICS_RCV_NO_BUFFER_SUPPORTED),
    ];
    let declared = sim.general_attributes(a).expect("attributes").supported_statistics;
    for (oid, flag) in own_oids {
        assert_ne!(declared & flag, 0, "OID {oid:#x} is declared in SupportedStatistics");
    }

    let group = [0x01, 0x00, 0x5E, 0x00, 0x00, 0x42];
    assert_eq!(sim.oid_set(b, OID_802_3_MULTICAST_LIST, &group).status, NDIS_STATUS_SUCCESS);
    let (_, before_a) = statistics(&sim, a);
    let (_, before_b) = statistics(&sim, b);
    let (xmit_ok, rcv_ok) = (counter(&sim, a, OID_GEN_XMIT_OK), counter(&sim, b, OID_GEN_RCV_OK));
    let mut frames = Vec::new();
    for i in 0..3 {
        frames.push(frame(mac_b, mac_a, 100, i));
    }
    for i in 3..5 {
        frames.push(frame(group, mac_a, 200, i));
    }
    frames.push(frame([0xFF; 6], mac_a, 300, 5));
    sim.send_frames(a, &frames, NblShape::default());
    sim.run_until_idle();
    assert_eq!(sim.received_frames(b), frames);
    assert_eq!(counter(&sim, a, OID_GEN_XMIT_OK) - xmit_ok, 6);
    assert_eq!(counter(&sim, b, OID_GEN_RCV_OK) - rcv_ok, 6);
    assert_eq!(counter(&sim, b, OID_GEN_RCV_NO_BUFFER), 0);
    let (_, after_a) = statistics(&sim, a);
    let (_, after_b) = statistics(&sim, b);
    let moved = |before: &std::collections::BTreeMap<&str, u64>,
                 after: &std::collections::BTreeMap<&str, u64>| {
        STATISTICS
            .iter()
            .map(|&(name, _, _, _)| (name, after[name] - before[name]))
            .filter(|&(_, delta)| delta != 0)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        moved(&before_a, &after_a),
        vec![
            ("ifHCOutOctets", 1000),
            ("ifHCOutUcastPkts", 3),
            ("ifHCOutMulticastPkts", 2),
            ("ifHCOutBroadcastPkts", 1),
            ("ifHCOutUcastOctets", 300),
            ("ifHCOutMulticastOctets", 400),
            ("ifHCOutBroadcastOctets", 300),
        ],
        "the sender's counters"
    );
    assert_eq!(
        moved(&before_b, &after_b),
        vec![
            ("ifHCInOctets", 1000),
            ("ifHCInUcastPkts", 3),
            ("ifHCInMulticastPkts", 2),
            ("ifHCInBroadcastPkts", 1),
            ("ifHCInUcastOctets", 300),
            ("ifHCInMulticastOctets", 400),
            ("ifHCInBroadcastOctets", 300),
        ],
        "the receiver's counters"
    );

    // ifInErrors: a malformed batch from the device.
    assert!(sim.lower(b).inject_raw_read_completion(&[0xEE; 40], STATUS_SUCCESS));
    sim.run_until_idle();
    let (_, errors_b) = statistics(&sim, b);
    assert_eq!(moved(&after_b, &errors_b), vec![("ifInErrors", 1)]);
    // ifOutErrors: the device fails a write.
    sim.lower(a).set_write_completion(kernel_sim::WriteCompletion::Hold);
    sim.send_frames(a, &[frame(mac_b, mac_a, 100, 6)], NblShape::default());
    assert_eq!(sim.lower(a).complete_writes(1, STATUS_IO_DEVICE_ERROR), 1);
    sim.run_until_idle();
    let (_, errors_a) = statistics(&sim, a);
    let failed = moved(&after_a, &errors_a);
    assert!(failed.contains(&("ifOutErrors", 1)), "{failed:?}");
    // The frame was requested (the per-kind counters may count it, as IF-MIB's ifHCOutUcastPkts
    // does "including those that were discarded or not sent") but never transmitted.
    assert!(!failed.iter().any(|&(name, _)| name == "ifHCOutOctets"), "{failed:?}");
    // ifOutDiscards: sends refused while paused.
    sim.pause(a);
    sim.send(a, 2, 60);
    let (_, paused_a) = statistics(&sim, a);
    assert_eq!(moved(&errors_a, &paused_a), vec![("ifOutDiscards", 2)]);
    finish_present(sim, &adapters);
}

/// `MmGetSystemAddressForMdlSafe` as wdm.h writes it: the MDL's `MappedSystemVa` when its flags say
/// it is mapped (`MDL_MAPPED_TO_SYSTEM_VA`) or describes nonpaged pool
/// (`MDL_SOURCE_IS_NONPAGED_POOL`), else a new mapping with `MmMapLockedPagesSpecifyCache`. Locked
/// pages without a mapping come from protocols that build their own MDLs; their `MappedSystemVa`
/// is meaningless (null here), so every frame arriving intact shows the mapping was made, and the
/// count of mappings shows none was made where the flags said one exists.
#[test]
fn send_mdls_are_mapped_exactly_when_their_flags_say_so() {
    let (sim, adapters) = network(163, 2);
    let (a, b) = (adapters[0], adapters[1]);
    let (mac_a, mac_b) = (mac(&sim, a), mac(&sim, b));
    let shape = NblShape { nbs_per_nbl: 2, mdl_split: vec![14, 20], data_offset: 0, ..NblShape::default() };
    let mut expected = Vec::new();
    let mut sequence = 0u32;
    for (flags, mapped_by_the_driver) in [
        (Some(ndis_types::nbl::MDL_MAPPED_TO_SYSTEM_VA), false),
        (Some(ndis_types::nbl::MDL_SOURCE_IS_NONPAGED_POOL), false),
        (Some(0), true),
        (None, false),
    ] {
        sim.set_send_mdl_flags(flags);
        let frames: Vec<Vec<u8>> = (0..4)
            .map(|_| {
                sequence += 1;
                frame(mac_b, mac_a, 100, sequence)
            })
            .collect();
        let before = sim.mdl_mappings();
        for id in sim.send_frames(a, &frames, shape.clone()) {
            sim.run_until_idle();
            assert_eq!(sim.send_completion(id), Some(NDIS_STATUS_SUCCESS), "flags {flags:?}");
        }
        expected.extend(frames);
        assert!(sim.received_frames(b) == expected, "flags {flags:?}: every frame arrives intact");
        // 100-byte frames split 14 + 20 + 66: three MDLs each, each mapped once.
        let mappings = sim.mdl_mappings() - before;
        assert_eq!(mappings, if mapped_by_the_driver { 3 * 4 } else { 0 }, "flags {flags:?}");
    }
    finish_present(sim, &adapters);
}

/// `MiniportCancelSend` ("MINIPORT_CANCEL_SEND callback function (ndis.h)"): the NBLs of the
/// cancelled id that the miniport still queues are unlinked and completed with
/// NDIS_STATUS_SEND_ABORTED inside the call; those whose frames already went to the device finish
/// normally. The device holds every write, so all write requests are busy and later NBLs stay
/// queued in the driver.
#[test]
fn cancel_send_aborts_the_queued_nbls_of_its_id_within_the_call() {
    let (sim, adapters) = network(164, 2);
    let (a, b) = (adapters[0], adapters[1]);
    let (mac_a, mac_b) = (mac(&sim, a), mac(&sim, b));
    sim.lower(a).set_write_completion(kernel_sim::WriteCompletion::Hold);
    let mut sequence = 0u32;
    let mut frames = |n: usize| -> Vec<Vec<u8>> {
        (0..n)
            .map(|_| {
                sequence += 1;
                frame(mac_b, mac_a, 1514, sequence)
            })
            .collect()
    };
    // Cancel id 0x41 goes down at once, in the first write.
    let early_frames = frames(2);
    let early = sim.send_frames_cancelable(a, &early_frames, NblShape::default(), 0x41);
    assert!(sim.lower(a).pending_writes() > 0);
    // Fill every write request.
    let mut filler_frames = Vec::new();
    let mut filler = Vec::new();
    while sim.lower(a).pending_writes() < 8 {
        assert!(filler_frames.len() < 2000, "the writes never filled");
        let more = frames(20);
        filler.extend(sim.send_frames(a, &more, NblShape::default()));
        filler_frames.extend(more);
    }
    // These stay queued in the driver: no write request is free.
    let queued_frames = frames(6);
    let queued = sim.send_frames_cancelable(
        a,
        &queued_frames,
        NblShape { nbs_per_nbl: 2, ..NblShape::default() },
        0x42,
    );
    let kept_frames = frames(2);
    let kept = sim.send_frames_cancelable(a, &kept_frames, NblShape::default(), 0x43);
    assert!(queued.iter().chain(&kept).chain(&early).all(|&id| sim.send_completion(id).is_none()));

    sim.cancel_send(a, 0x42);
    for &id in &queued {
        assert_eq!(sim.send_completion(id), Some(NDIS_STATUS_SEND_ABORTED), "completed inside the cancel");
    }
    assert!(kept.iter().all(|&id| sim.send_completion(id).is_none()), "another id stays queued");
    // Already at the device: not aborted, finishes normally (the model checks the rule
    // Ndis.CancelSendAbortsQueued at every cancel).
    sim.cancel_send(a, 0x41);
    assert!(early.iter().all(|&id| sim.send_completion(id).is_none()));

    sim.lower(a).set_write_completion(kernel_sim::WriteCompletion::Seeded);
    while sim.lower(a).release_writes(usize::MAX) > 0 {
        sim.run_until_idle();
    }
    sim.run_until_idle();
    for &id in early.iter().chain(&filler).chain(&kept) {
        assert_eq!(sim.send_completion(id), Some(NDIS_STATUS_SUCCESS));
    }
    let expected: Vec<Vec<u8>> = early_frames.into_iter().chain(filler_frames).chain(kept_frames).collect();
    assert!(sim.received_frames(b) == expected, "everything but the aborted frames arrives, in order");
    finish_present(sim, &adapters);
}

/// Found by fuzzing (`fuzz/corpus/send_shapes/regression-*`): a NET_BUFFER whose `DataLength` runs
/// past its MDL chain cannot be copied. It used to go down as a frame of zeros and complete with
/// `NDIS_STATUS_INVALID_PACKET`, which is not a send status. Now nothing of it goes on the wire, it
/// completes with INVALID_LENGTH, and the good NET_BUFFERs around it still go.
#[test]
fn a_net_buffer_longer_than_its_chain_is_not_sent_and_fails_with_invalid_length() {
    let (sim, adapters) = network(171, 2);
    let (a, b) = (adapters[0], adapters[1]);
    let (mac_a, mac_b) = (mac(&sim, a), mac(&sim, b));
    let good = frame(mac_b, mac_a, 200, 1);
    let short_chain = NblShape { data_length_excess: 40, tail_slack: 8, ..NblShape::default() };
    let bad = sim.send_frames(a, &[frame(mac_b, mac_a, 300, 2)], short_chain);
    let fine = sim.send_frames(a, std::slice::from_ref(&good), NblShape::default());
    sim.run_until_idle();
    assert_eq!(sim.send_completion(bad[0]), Some(NDIS_STATUS_INVALID_LENGTH));
    assert_eq!(sim.send_completion(fine[0]), Some(NDIS_STATUS_SUCCESS));
    assert!(sim.received_frames(b) == vec![good], "only the good frame, and no stand-in of zeros");
    finish_present(sim, &adapters);
}
