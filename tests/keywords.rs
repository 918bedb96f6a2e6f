//! The adapter's registry keywords (`src/adapter/settings.rs`): what each does at its bounds, just
//! outside them and malformed. A refused value leaves the INF default in force, raises the
//! `config_rejected` counter (`OID_VWIRE_DRIVER_COUNTERS`) and is written to the event log.

mod common;

use common::*;
use kernel_sim::{AdapterId, ErrorLogEntry, NblShape, RegValue, Sim};
use ndis_types::config::NDIS_ERROR_CODE_NETWORK_ADDRESS;
use ndis_types::miniport::{
    MEDIA_CONNECT_STATE_CONNECTED, MEDIA_CONNECT_STATE_DISCONNECTED, MEDIA_DUPLEX_STATE_FULL,
    MEDIA_DUPLEX_STATE_UNKNOWN, NDIS_LINK_SPEED_UNKNOWN,
};
use ndis_types::oid::*;
use ndis_types::*;

const OID_VWIRE_DRIVER_COUNTERS: u32 = 0xFF76_0001;
const DRIVER_COUNTERS_LEN: usize = 13 * 8;
const SEND_QUEUE_FULL: usize = 11;
const CONFIG_REJECTED: usize = 12;
/// The event log value that names the `NetworkAddress` keyword (`settings::LOG_NETWORK_ADDRESS`).
const LOG_NETWORK_ADDRESS: u32 = 2;

/// The driver's counter at `index` of `OID_VWIRE_DRIVER_COUNTERS`.
fn driver_counter(sim: &Sim, adapter: AdapterId, index: usize) -> u64 {
    let result = sim.oid_query(adapter, OID_VWIRE_DRIVER_COUNTERS, DRIVER_COUNTERS_LEN);
    assert_eq!(result.status, NDIS_STATUS_SUCCESS);
    let at = index * 8;
    u64::from_le_bytes(result.data[at..at + 8].try_into().unwrap())
}

fn config_rejected(sim: &Sim, adapter: AdapterId) -> u64 {
    driver_counter(sim, adapter, CONFIG_REJECTED)
}

fn address(sim: &Sim, adapter: AdapterId, oid: u32) -> [u8; 6] {
    let result = sim.oid_query(adapter, oid, 6);
    assert_eq!(result.status, NDIS_STATUS_SUCCESS);
    result.data[..6].try_into().unwrap()
}

/// An adapter added with `NetworkAddress` set to `value` (None: not in the registry).
fn adapter_with_network_address(seed: u64, value: Option<&str>) -> (Sim, AdapterId) {
    let sim = loaded(seed);
    sim.set_registry("NetworkAddress", value.map(|v| RegValue::String(v.into())));
    let adapter = sim.add_adapter().expect("initialize");
    (sim, adapter)
}

#[test]
fn network_address_overrides_the_current_address_and_receives_for_it() {
    let (sim, a) = adapter_with_network_address(500, Some("02AABBCCDDEE"));
    sim.set_registry("NetworkAddress", None);
    let b = sim.add_adapter().expect("initialize");
    let wanted = [0x02, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE];
    assert_eq!(address(&sim, a, OID_802_3_CURRENT_ADDRESS), wanted);
    assert_eq!(address(&sim, a, OID_802_3_PERMANENT_ADDRESS), sim.port_mac(a), "the permanent address stays");
    assert_eq!(sim.general_attributes(a).unwrap().current_mac_address[..6], wanted);
    assert_eq!(address(&sim, b, OID_802_3_CURRENT_ADDRESS), sim.port_mac(b));
    assert_eq!(config_rejected(&sim, a), 0);
    assert!(sim.error_log(a).is_empty());

    // Frames to the new address are received; frames to the old one are not the adapter's.
    for adapter in [a, b] {
        assert_eq!(sim.restart(adapter), NDIS_STATUS_SUCCESS);
        let filter = NDIS_PACKET_TYPE_DIRECTED;
        let set = sim.oid_set(adapter, OID_GEN_CURRENT_PACKET_FILTER, &filter.to_ne_bytes());
        assert_eq!(set.status, NDIS_STATUS_SUCCESS);
    }
    let frame = |destination: [u8; 6], tag: u8| {
        let mut frame = vec![tag; 100];
        frame[..6].copy_from_slice(&destination);
        frame[6..12].copy_from_slice(&sim.port_mac(b));
        frame[12..14].copy_from_slice(&[0x88, 0xB5]);
        frame
    };
    let frames = [frame(wanted, 1), frame(sim.port_mac(a), 2)];
    let ids = sim.send_frames(b, &frames, NblShape::default());
    sim.run_until_idle();
    assert!(ids.iter().all(|&id| sim.send_completion(id) == Some(NDIS_STATUS_SUCCESS)));
    assert_eq!(sim.received_frames(a), frames[..1]);
    finish(sim, &[a, b]);
}

#[test]
fn a_network_address_that_is_not_a_locally_administered_unicast_one_is_refused_counted_and_logged() {
    for (seed, value) in [
        (510, "03AABBCCDDEE"), // multicast
        (511, "FFFFFFFFFFFF"), // broadcast
        (512, "00155D000001"), // universally administered
        (513, "02AABBCCDD"),   // too short: NDIS cannot parse it
        (514, "02AABBCCDDEEFF"),
        (515, "not an address"),
    ] {
        let (sim, a) = adapter_with_network_address(seed, Some(value));
        assert_eq!(
            address(&sim, a, OID_802_3_CURRENT_ADDRESS),
            sim.port_mac(a),
            "{value}: the default stays"
        );
        assert_eq!(config_rejected(&sim, a), 1, "{value}");
        assert_eq!(
            sim.error_log(a),
            [ErrorLogEntry { code: NDIS_ERROR_CODE_NETWORK_ADDRESS, values: vec![LOG_NETWORK_ADDRESS] }],
            "{value}"
        );
        finish(sim, &[a]);
    }
}

#[test]
fn no_network_address_or_an_empty_one_keeps_the_permanent_address_silently() {
    for (seed, value) in [(520, None), (521, Some("")), (522, Some("  "))] {
        let (sim, a) = adapter_with_network_address(seed, value);
        assert_eq!(address(&sim, a, OID_802_3_CURRENT_ADDRESS), sim.port_mac(a), "{value:?}");
        assert_eq!(config_rejected(&sim, a), 0, "{value:?}");
        assert!(sim.error_log(a).is_empty(), "{value:?}");
        finish(sim, &[a]);
    }
}

#[test]
fn a_hyphenated_network_address_is_taken_as_ndis_parses_it() {
    let (sim, a) = adapter_with_network_address(523, Some("06-00-00-00-00-2A"));
    assert_eq!(address(&sim, a, OID_802_3_CURRENT_ADDRESS), [0x06, 0, 0, 0, 0, 0x2A]);
    assert_eq!(config_rejected(&sim, a), 0);
    finish(sim, &[a]);
}

/// The INX declares exactly the keywords the driver reads, each as the Advanced tab needs it.
#[test]
fn the_inx_declares_the_keywords_the_driver_reads() {
    let inx = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/inx/kmdf_miniport.inx")).unwrap();
    let mut params: Vec<(String, String, String)> = inx
        .lines()
        .map(|line| line.split(';').next().unwrap_or("").trim())
        .filter_map(|line| line.strip_prefix("HKR,"))
        .filter_map(|rest| {
            let fields: Vec<&str> = rest.split(',').map(str::trim).collect();
            let keyword = fields.first()?.strip_prefix("Ndi\\params\\")?;
            Some((
                keyword.to_owned(),
                fields.get(1)?.to_string(),
                fields.get(3)?.trim_matches('"').to_owned(),
            ))
        })
        .collect();
    params.sort();
    let expected: Vec<(String, String, String)> = [
        ("*JumboPacket", "ParamDesc", "%JumboPacket%"),
        ("*JumboPacket", "default", "1514"),
        ("*JumboPacket", "max", "9014"),
        ("*JumboPacket", "min", "1514"),
        ("*JumboPacket", "step", "1"),
        ("*JumboPacket", "type", "int"),
        ("*PriorityVLANTag", "ParamDesc", "%PriorityVLANTag%"),
        ("*PriorityVLANTag", "default", "3"),
        ("*PriorityVLANTag", "type", "enum"),
        ("*PriorityVLANTag\\enum", "\"0\"", "%PriorityVLANDisabled%"),
        ("*PriorityVLANTag\\enum", "\"1\"", "%PriorityEnabled%"),
        ("*PriorityVLANTag\\enum", "\"2\"", "%VLANEnabled%"),
        ("*PriorityVLANTag\\enum", "\"3\"", "%PriorityVLANEnabled%"),
        ("*ReceiveBuffers", "ParamDesc", "%ReceiveBuffers%"),
        ("*ReceiveBuffers", "default", "64"),
        ("*ReceiveBuffers", "max", "64"),
        ("*ReceiveBuffers", "min", "16"),
        ("*ReceiveBuffers", "step", "1"),
        ("*ReceiveBuffers", "type", "int"),
        ("*SpeedDuplex", "ParamDesc", "%SpeedDuplex%"),
        ("*SpeedDuplex", "default", "0"),
        ("*SpeedDuplex", "type", "enum"),
        ("*SpeedDuplex\\enum", "\"0\"", "%SpeedDuplex.Auto%"),
        ("*SpeedDuplex\\enum", "\"2\"", "%SpeedDuplex.10Full%"),
        ("*SpeedDuplex\\enum", "\"4\"", "%SpeedDuplex.100Full%"),
        ("*SpeedDuplex\\enum", "\"6\"", "%SpeedDuplex.1000Full%"),
        ("*SpeedDuplex\\enum", "\"7\"", "%SpeedDuplex.10GFull%"),
        ("*TransmitBuffers", "ParamDesc", "%TransmitBuffers%"),
        ("*TransmitBuffers", "default", "1024"),
        ("*TransmitBuffers", "max", "4096"),
        ("*TransmitBuffers", "min", "64"),
        ("*TransmitBuffers", "step", "1"),
        ("*TransmitBuffers", "type", "int"),
        ("NetworkAddress", "LimitText", "12"),
        ("NetworkAddress", "Optional", "1"),
        ("NetworkAddress", "ParamDesc", "%NetworkAddress%"),
        ("NetworkAddress", "UpperCase", "1"),
        ("NetworkAddress", "default", ""),
        ("NetworkAddress", "type", "edit"),
        ("VlanID", "ParamDesc", "%VlanID%"),
        ("VlanID", "default", "0"),
        ("VlanID", "max", "4094"),
        ("VlanID", "min", "0"),
        ("VlanID", "step", "1"),
        ("VlanID", "type", "int"),
    ]
    .iter()
    .map(|(k, n, v)| (k.to_string(), n.to_string(), v.to_string()))
    .collect();
    assert_eq!(params, expected);
}

/// The event log value that names `*ReceiveBuffers` (`settings::LOG_RECEIVE_BUFFERS`).
const LOG_RECEIVE_BUFFERS: u32 = 3;

/// Two Running adapters that receive what is addressed to them, the first added with `keyword` =
/// `value` (None: not in the registry), the second without it.
fn pair_with_keyword(seed: u64, keyword: &str, value: Option<RegValue>) -> (Sim, AdapterId, AdapterId) {
    let sim = loaded(seed);
    sim.set_registry(keyword, value);
    let a = sim.add_adapter().expect("initialize");
    sim.set_registry(keyword, None);
    let b = sim.add_adapter().expect("initialize");
    for adapter in [a, b] {
        assert_eq!(sim.restart(adapter), NDIS_STATUS_SUCCESS);
        let filter = NDIS_PACKET_TYPE_DIRECTED;
        let set = sim.oid_set(adapter, OID_GEN_CURRENT_PACKET_FILTER, &filter.to_ne_bytes());
        assert_eq!(set.status, NDIS_STATUS_SUCCESS);
    }
    (sim, a, b)
}

/// Two Running adapters, the first added with `*ReceiveBuffers` = `value`.
fn pair_with_receive_buffers(seed: u64, value: Option<RegValue>) -> (Sim, AdapterId, AdapterId) {
    pair_with_keyword(seed, "*ReceiveBuffers", value)
}

/// `OID_GEN_RECEIVE_BUFFER_SPACE`: frames arrive in, and are indicated from, 16 read buffers of
/// 16 KiB.
const READ_BUFFER_SPACE: u32 = 16 * 16384;

fn receive_buffer_space(sim: &Sim, adapter: AdapterId) -> u32 {
    let result = sim.oid_query(adapter, OID_GEN_RECEIVE_BUFFER_SPACE, 4);
    assert_eq!(result.status, NDIS_STATUS_SUCCESS);
    u32::from_ne_bytes(result.data[..4].try_into().unwrap())
}

/// How many receive NBLs NDIS ends up holding when it returns none and 100 frames arrive: the
/// adapter can lend no more than it has.
fn nbls_ndis_can_hold(sim: &Sim, a: AdapterId, b: AdapterId) -> u64 {
    sim.hold_returns(a, true);
    let frames: Vec<Vec<u8>> = (0..100u8)
        .map(|tag| {
            let mut frame = vec![tag; 200];
            frame[..6].copy_from_slice(&sim.port_mac(a));
            frame[6..12].copy_from_slice(&sim.port_mac(b));
            frame[12..14].copy_from_slice(&[0x88, 0xB5]);
            frame
        })
        .collect();
    for chunk in frames.chunks(10) {
        sim.send_frames(b, chunk, NblShape::default());
        sim.run_until_idle();
    }
    let counts = sim.receive_counts(a);
    sim.hold_returns(a, false);
    sim.run_until_idle();
    counts.indicated_nbls - counts.returned_nbls
}

#[test]
fn receive_buffers_at_their_bounds_size_the_receive_pool() {
    for (seed, count) in [(530, 16u32), (531, 64)] {
        let (sim, a, b) = pair_with_receive_buffers(seed, Some(RegValue::String(count.to_string())));
        assert_eq!(sim.nbls_allocated(a), count as usize);
        assert_eq!(receive_buffer_space(&sim, a), READ_BUFFER_SPACE, "the read buffers, whatever the NBLs");
        assert_eq!(config_rejected(&sim, a), 0);
        let held = nbls_ndis_can_hold(&sim, a, b);
        // NDIS keeps NBLs only while 8 stay free (the low-resources reserve): with 16, a batch of
        // 10 frames already goes up with NDIS_RECEIVE_FLAGS_RESOURCES and comes back at once; with
        // 64, far more than 16 stay with NDIS, never the reserve.
        assert_eq!(sim.receive_counts(a).frames, 100, "none of the 100 frames dropped for want of an NBL");
        if count == 16 {
            assert!(held <= 16 - 8, "{held} of 16");
            assert!(sim.receive_counts(a).resources_nbls > 0);
        } else {
            assert!(held > 16 && held <= u64::from(count) - 8, "{held} of {count}");
        }
        finish(sim, &[a, b]);
    }
    // A REG_DWORD is read as well as the INF's REG_SZ.
    let (sim, a, b) = pair_with_receive_buffers(532, Some(RegValue::Dword(32)));
    assert_eq!(sim.nbls_allocated(a), 32);
    finish(sim, &[a, b]);
}

#[test]
fn receive_buffers_outside_their_range_or_malformed_keep_the_default_and_are_logged() {
    // NDIS converts as RtlUnicodeStringToInteger: "sixty-four" is 0 and 2^32 wraps to 0.
    for (seed, value) in
        [(540, "15"), (541, "65"), (542, "0"), (543, "4294967296"), (544, "sixty-four"), (545, "-32")]
    {
        let (sim, a, b) = pair_with_receive_buffers(seed, Some(RegValue::String(value.into())));
        assert_eq!(sim.nbls_allocated(a), 64, "{value:?}: the default, 64");
        assert_eq!(config_rejected(&sim, a), 1, "{value:?}");
        assert_eq!(
            sim.error_log(a),
            [ErrorLogEntry {
                code: ndis_types::config::NDIS_ERROR_CODE_UNSUPPORTED_CONFIGURATION,
                values: vec![LOG_RECEIVE_BUFFERS]
            }],
            "{value:?}"
        );
        finish(sim, &[a, b]);
    }
    // Missing or empty: the default, silently. Digits then junk: the digits, as NDIS reads them.
    for (seed, value, buffers) in [(546, None, 64), (547, Some(""), 64), (548, Some("32 buffers"), 32)] {
        let (sim, a, b) = pair_with_receive_buffers(seed, value.map(|v| RegValue::String(v.into())));
        assert_eq!(sim.nbls_allocated(a), buffers as usize, "{value:?}");
        assert_eq!(config_rejected(&sim, a), 0, "{value:?}");
        assert!(sim.error_log(a).is_empty(), "{value:?}");
        finish(sim, &[a, b]);
    }
}

/// The event log value that names `*TransmitBuffers` (`settings::LOG_TRANSMIT_BUFFERS`).
const LOG_TRANSMIT_BUFFERS: u32 = 4;

/// NBLs refused with RESOURCES when 300 one-frame sends meet a device that holds every write.
fn sends_refused_for_a_stalled_device(
    seed: u64,
    transmit_buffers: Option<&str>,
) -> (usize, u64, Vec<ErrorLogEntry>) {
    let sim = loaded(seed);
    sim.set_registry("*TransmitBuffers", transmit_buffers.map(|v| RegValue::String(v.into())));
    let a = sim.add_adapter().expect("initialize");
    assert_eq!(sim.restart(a), NDIS_STATUS_SUCCESS);
    sim.lower(a).set_write_completion(kernel_sim::WriteCompletion::Hold);
    let ids = sim.send(a, 300, 100);
    sim.run_until_idle();
    let refused = ids.iter().filter(|&&id| sim.send_completion(id) == Some(NDIS_STATUS_RESOURCES)).count();
    let (rejected, log) = (config_rejected(&sim, a), sim.error_log(a));
    assert_eq!(
        driver_counter(&sim, a, SEND_QUEUE_FULL),
        refused as u64,
        "each refusal counted as queue full"
    );
    sim.lower(a).set_write_completion(kernel_sim::WriteCompletion::Immediate);
    sim.lower(a).complete_writes(usize::MAX, STATUS_SUCCESS);
    sim.run_until_idle();
    assert!(ids.iter().all(|&id| sim.send_completion(id).is_some()), "every send completed");
    finish(sim, &[a]);
    (refused, rejected, log)
}

#[test]
fn transmit_buffers_bound_the_sends_held_for_a_stalled_device() {
    let (at_min, rejected, _) = sends_refused_for_a_stalled_device(550, Some("64"));
    assert_eq!((at_min, rejected), (300 - 64, 0), "64 held, the rest refused with RESOURCES");
    let (at_128, _, _) = sends_refused_for_a_stalled_device(551, Some("128"));
    assert_eq!(at_128, 300 - 128);
    let (default, _, _) = sends_refused_for_a_stalled_device(552, None);
    assert_eq!(default, 0, "1024 by default: all 300 held");
    for (seed, value) in [(553, "63"), (554, "4097"), (555, "many")] {
        let (refused, rejected, log) = sends_refused_for_a_stalled_device(seed, Some(value));
        assert_eq!((refused, rejected), (0, 1), "{value}: the default, counted");
        let logged = ErrorLogEntry {
            code: ndis_types::config::NDIS_ERROR_CODE_UNSUPPORTED_CONFIGURATION,
            values: vec![LOG_TRANSMIT_BUFFERS],
        };
        assert_eq!(log, [logged], "{value}");
    }
}

/// The event log value that names `*JumboPacket` (`settings::LOG_JUMBO_PACKET`).
const LOG_JUMBO_PACKET: u32 = 6;

fn oid_u32(sim: &Sim, adapter: AdapterId, oid: u32) -> u32 {
    let result = sim.oid_query(adapter, oid, 4);
    assert_eq!(result.status, NDIS_STATUS_SUCCESS, "{oid:#x}");
    u32::from_ne_bytes(result.data[..4].try_into().unwrap())
}

fn oid_u64(sim: &Sim, adapter: AdapterId, oid: u32) -> u64 {
    let result = sim.oid_query(adapter, oid, 8);
    assert_eq!(result.status, NDIS_STATUS_SUCCESS, "{oid:#x}");
    u64::from_ne_bytes(result.data[..8].try_into().unwrap())
}

/// Every size the adapter states for an MTU: the general attributes and the size OIDs agree.
fn assert_sizes(sim: &Sim, adapter: AdapterId, mtu: u32) {
    let attributes = sim.general_attributes(adapter).unwrap();
    assert_eq!(attributes.mtu_size, mtu);
    assert_eq!(oid_u32(sim, adapter, OID_GEN_MAXIMUM_FRAME_SIZE), mtu);
    assert_eq!(oid_u32(sim, adapter, OID_GEN_MAXIMUM_TOTAL_SIZE), mtu + 14);
    assert_eq!(oid_u32(sim, adapter, OID_GEN_TRANSMIT_BLOCK_SIZE), mtu + 14);
    assert_eq!(oid_u32(sim, adapter, OID_GEN_RECEIVE_BLOCK_SIZE), mtu + 14);
    assert_eq!(oid_u32(sim, adapter, OID_GEN_MAXIMUM_LOOKAHEAD), mtu + 14, "the receive block size");
    assert_eq!(attributes.lookahead_size, mtu + 14);
    assert_eq!(oid_u32(sim, adapter, OID_GEN_RECEIVE_BUFFER_SPACE), READ_BUFFER_SPACE, "the read buffers");
    assert_eq!(sim.nbls_allocated(adapter), 64, "the default *ReceiveBuffers");
}

/// Adapters whose `*JumboPacket` is each of `values` (None: not in the registry), Running, with a
/// directed and broadcast filter.
fn adapters_with_jumbo_packet(seed: u64, values: &[Option<RegValue>]) -> (Sim, Vec<AdapterId>) {
    let sim = loaded(seed);
    let adapters: Vec<AdapterId> = values
        .iter()
        .map(|value| {
            sim.set_registry("*JumboPacket", value.clone());
            sim.add_adapter().expect("initialize")
        })
        .collect();
    sim.set_registry("*JumboPacket", None);
    for &adapter in &adapters {
        assert_eq!(sim.restart(adapter), NDIS_STATUS_SUCCESS);
        let filter = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST;
        let set = sim.oid_set(adapter, OID_GEN_CURRENT_PACKET_FILTER, &filter.to_ne_bytes());
        assert_eq!(set.status, NDIS_STATUS_SUCCESS);
    }
    (sim, adapters)
}

/// A frame of `len` bytes from `source` to `destination`, its payload counting from `seed`.
fn frame_of(destination: [u8; 6], source: [u8; 6], len: usize, seed: u8) -> Vec<u8> {
    let mut frame: Vec<u8> = (0..len).map(|i| seed.wrapping_add(i as u8)).collect();
    frame[..6].copy_from_slice(&destination);
    frame[6..12].copy_from_slice(&source);
    frame[12..14].copy_from_slice(&[0x88, 0xB5]);
    frame
}

#[test]
fn jumbo_packet_sets_the_mtu_the_sizes_and_carries_jumbo_frames_end_to_end() {
    let dword = |v: u32| Some(RegValue::Dword(v));
    let (sim, adapters) = adapters_with_jumbo_packet(
        530,
        &[dword(9014), Some(RegValue::String("9014".into())), None, dword(4088)],
    );
    let [a, b, standard, mid] = adapters[..] else { unreachable!() };
    assert_sizes(&sim, a, 9000);
    assert_sizes(&sim, b, 9000);
    assert_sizes(&sim, standard, 1500);
    assert_sizes(&sim, mid, 4074);
    for adapter in [a, b, standard, mid] {
        assert_eq!(config_rejected(&sim, adapter), 0);
    }

    // A 9014-byte frame, in several MDLs, crosses intact; so does the largest tagged one.
    let jumbo = frame_of(sim.port_mac(b), sim.port_mac(a), 9014, 1);
    let shape = NblShape { mdl_split: vec![14, 4000], ..NblShape::default() };
    let ids = sim.send_frames(a, std::slice::from_ref(&jumbo), shape);
    sim.run_until_idle();
    assert_eq!(sim.send_completion(ids[0]), Some(NDIS_STATUS_SUCCESS));
    assert_eq!(sim.take_received_frames(b), std::slice::from_ref(&jumbo));

    // The standard adapter cannot send it, and drops it when it arrives (a giant: a receive
    // error); the 4088 one the same for anything above 4092 with a tag.
    let ids = sim.send_frames(standard, std::slice::from_ref(&jumbo), NblShape::default());
    sim.run_until_idle();
    assert_eq!(sim.send_completion(ids[0]), Some(NDIS_STATUS_INVALID_LENGTH));
    // What each receiver indicates is at most its OID_GEN_MAXIMUM_TOTAL_SIZE: longer is a receive
    // error. For the 4088 adapter: 4088 bytes, or 4092 with a tag it strips, but not 4089 untagged.
    let errors_standard = oid_u64(&sim, standard, OID_GEN_RCV_ERROR);
    let errors_mid = oid_u64(&sim, mid, OID_GEN_RCV_ERROR);
    let broadcast = frame_of([0xFF; 6], sim.port_mac(a), 9014, 2);
    let fits_mid = frame_of([0xFF; 6], sim.port_mac(a), 4088, 3);
    let one_over_mid = frame_of([0xFF; 6], sim.port_mac(a), 4089, 4);
    let frames = [broadcast.clone(), fits_mid.clone(), one_over_mid.clone()];
    let ids = sim.send_frames(a, &frames, NblShape::default());
    let tagged_ids = sim.send_frames(
        a,
        std::slice::from_ref(&fits_mid),
        NblShape { ieee8021q_info: 5 << 4, ..NblShape::default() },
    );
    sim.run_until_idle();
    assert!(ids.iter().chain(&tagged_ids).all(|&id| sim.send_completion(id) == Some(NDIS_STATUS_SUCCESS)));
    assert_eq!(sim.take_received_frames(b), [broadcast, fits_mid.clone(), one_over_mid, fits_mid.clone()]);
    assert_eq!(
        sim.take_received_frames(mid),
        [fits_mid.clone(), fits_mid],
        "4092 on the wire, 4088 once stripped"
    );
    assert_eq!(oid_u64(&sim, mid, OID_GEN_RCV_ERROR), errors_mid + 2, "the 9014 and the 4089");
    assert!(sim.take_received_frames(standard).is_empty());
    assert_eq!(oid_u64(&sim, standard, OID_GEN_RCV_ERROR), errors_standard + 4);
    finish(sim, &adapters);
}

#[test]
fn jumbo_packet_outside_its_range_or_malformed_keeps_1514_counted_and_logged() {
    for (seed, value) in [
        (540, RegValue::Dword(1513)),
        (541, RegValue::Dword(9015)),
        (542, RegValue::Dword(0)),
        (543, RegValue::Dword(u32::MAX)),
        (544, RegValue::String("jumbo".into())),
        (545, RegValue::String("-9014".into())),
    ] {
        let (sim, adapters) = adapters_with_jumbo_packet(seed, &[Some(value.clone())]);
        let a = adapters[0];
        assert_sizes(&sim, a, 1500);
        assert_eq!(config_rejected(&sim, a), 1, "{value:?}");
        assert_eq!(
            sim.error_log(a),
            [ErrorLogEntry {
                code: ndis_types::config::NDIS_ERROR_CODE_UNSUPPORTED_CONFIGURATION,
                values: vec![LOG_JUMBO_PACKET]
            }],
            "{value:?}"
        );
        finish(sim, &adapters);
    }
    // The bounds themselves are taken.
    for (seed, value, mtu) in [(546, 1514, 1500), (547, 9014, 9000), (548, 1515, 1501), (549, 9013, 8999)] {
        let (sim, adapters) = adapters_with_jumbo_packet(seed, &[Some(RegValue::Dword(value))]);
        assert_sizes(&sim, adapters[0], mtu);
        assert_eq!(config_rejected(&sim, adapters[0]), 0);
        finish(sim, &adapters);
    }
}

#[test]
fn a_jumbo_packet_the_port_cannot_carry_is_clamped_to_what_it_can_counted_and_logged() {
    let sim = loaded(550);
    sim.edit_device_info(Some(|info| info.mtu = 4000));
    sim.set_registry("*JumboPacket", Some(RegValue::Dword(9014)));
    let a = sim.add_adapter().expect("initialize");
    sim.set_registry("*JumboPacket", Some(RegValue::Dword(4014)));
    let b = sim.add_adapter().expect("initialize");
    sim.edit_device_info(Some(|info| info.max_batch_bytes = 16 + 6024));
    sim.set_registry("*JumboPacket", Some(RegValue::Dword(9014)));
    let c = sim.add_adapter().expect("initialize");
    sim.edit_device_info(None);
    assert_sizes(&sim, a, 4000);
    assert_eq!(config_rejected(&sim, a), 1);
    assert_eq!(
        sim.error_log(a),
        [ErrorLogEntry {
            code: ndis_types::config::NDIS_ERROR_CODE_UNSUPPORTED_CONFIGURATION,
            values: vec![LOG_JUMBO_PACKET]
        }]
    );
    assert_sizes(&sim, b, 4000);
    assert_eq!(config_rejected(&sim, b), 0, "what the port carries exactly is taken");
    // A batch of 6040 bytes holds one record of a 6020-byte frame: a tagged 6002-byte MTU.
    assert_sizes(&sim, c, 6002);
    assert_eq!(config_rejected(&sim, c), 1);
    finish(sim, &[a, b, c]);
}

// ---------------------------------------------------------------------------------------------
// *SpeedDuplex

/// The event log value that names `*SpeedDuplex` (`settings::LOG_SPEED_DUPLEX`).
const LOG_SPEED_DUPLEX: u32 = 5;
const MBPS: u64 = 1_000_000;
const GBPS: u64 = 1_000_000_000;
/// The adapter's `MaxXmitLinkSpeed` and `MaxRcvLinkSpeed`, and a port's speed until the bus sets another.
const TEN_GBPS: u64 = 10 * GBPS;

/// Two Running adapters that receive what is addressed to them, the first added with
/// `*SpeedDuplex` = `value` (None: not in the registry).
fn pair_with_speed_duplex(seed: u64, value: Option<RegValue>) -> (Sim, AdapterId, AdapterId) {
    pair_with_keyword(seed, "*SpeedDuplex", value)
}

fn query_u32(sim: &Sim, adapter: AdapterId, oid: u32) -> u32 {
    let result = sim.oid_query(adapter, oid, 4);
    assert_eq!(result.status, NDIS_STATUS_SUCCESS);
    u32::from_ne_bytes(result.data[..4].try_into().unwrap())
}

/// What the adapter says of its link: `OID_GEN_MEDIA_CONNECT_STATUS` (0 connected) and
/// `OID_GEN_LINK_SPEED` (in 100 bit/s).
fn oid_link(sim: &Sim, adapter: AdapterId) -> (u32, u32) {
    (query_u32(sim, adapter, OID_GEN_MEDIA_CONNECT_STATUS), query_u32(sim, adapter, OID_GEN_LINK_SPEED))
}

/// The `NDIS_STATUS_LINK_STATE` indications: (connect state, duplex, transmit and receive speed).
fn link_indications(sim: &Sim, adapter: AdapterId) -> Vec<(i32, i32, u64, u64)> {
    sim.status_indications(adapter).iter().filter_map(|s| s.link_state).collect()
}

const fn connected_at(speed: u64) -> (i32, i32, u64, u64) {
    (MEDIA_CONNECT_STATE_CONNECTED, MEDIA_DUPLEX_STATE_FULL, speed, speed)
}

const DISCONNECTED: (i32, i32, u64, u64) = (
    MEDIA_CONNECT_STATE_DISCONNECTED,
    MEDIA_DUPLEX_STATE_UNKNOWN,
    NDIS_LINK_SPEED_UNKNOWN,
    NDIS_LINK_SPEED_UNKNOWN,
);

/// Frames from `from` to `to`'s address, tagged so they can be told apart.
fn frames_to(sim: &Sim, from: AdapterId, to: AdapterId, tags: std::ops::Range<u8>) -> Vec<Vec<u8>> {
    tags.map(|tag| {
        let mut frame = vec![tag; 100];
        frame[..6].copy_from_slice(&sim.port_mac(to));
        frame[6..12].copy_from_slice(&sim.port_mac(from));
        frame[12..14].copy_from_slice(&[0x88, 0xB5]);
        frame
    })
    .collect()
}

/// `from` sends `frames`; each completes with the status returned.
fn send_all(sim: &Sim, from: AdapterId, frames: &[Vec<u8>]) -> Vec<Option<NdisStatus>> {
    let ids = sim.send_frames(from, frames, NblShape::default());
    sim.run_until_idle();
    ids.iter().map(|&id| sim.send_completion(id)).collect()
}

#[test]
fn each_listed_speed_duplex_value_is_the_speed_the_attributes_and_the_oids_report() {
    let values = [
        (560, RegValue::String("0".into()), TEN_GBPS),
        (561, RegValue::String("2".into()), 10 * MBPS),
        (562, RegValue::String("4".into()), 100 * MBPS),
        (563, RegValue::String("6".into()), GBPS),
        (564, RegValue::String("7".into()), TEN_GBPS),
        // A REG_DWORD is read as well as the INF's REG_SZ.
        (565, RegValue::Dword(4), 100 * MBPS),
        (566, RegValue::Dword(0), TEN_GBPS),
    ];
    for (seed, value, speed) in values {
        let (sim, a, b) = pair_with_speed_duplex(seed, Some(value.clone()));
        let attributes = sim.general_attributes(a).unwrap();
        assert_eq!(
            (attributes.media_connect_state, attributes.media_duplex_state),
            (MEDIA_CONNECT_STATE_CONNECTED, MEDIA_DUPLEX_STATE_FULL),
            "{value:?}"
        );
        assert_eq!((attributes.xmit_link_speed, attributes.rcv_link_speed), (speed, speed), "{value:?}");
        assert_eq!(
            (attributes.max_xmit_link_speed, attributes.max_rcv_link_speed),
            (TEN_GBPS, TEN_GBPS),
            "{value:?}: the maximum stays the adapter's"
        );
        assert_eq!(oid_link(&sim, a), (0, (speed / 100) as u32), "{value:?}");
        assert_eq!(config_rejected(&sim, a), 0, "{value:?}");
        assert!(sim.error_log(a).is_empty(), "{value:?}");
        // The peer, on its defaults, negotiates the port's 10 Gb/s.
        assert_eq!(sim.general_attributes(b).unwrap().xmit_link_speed, TEN_GBPS);
        // Frames cross at whatever speed is reported.
        let frames = frames_to(&sim, b, a, 1..4);
        assert!(send_all(&sim, b, &frames).iter().all(|&s| s == Some(NDIS_STATUS_SUCCESS)), "{value:?}");
        assert_eq!(sim.received_frames(a), frames, "{value:?}");
        finish(sim, &[a, b]);
    }
}

#[test]
fn speed_duplex_unlisted_or_malformed_negotiates_and_is_counted_and_logged() {
    let values = [
        // Half duplex: documented values the adapter does not list, having no half-duplex mode.
        (570, RegValue::String("1".into())),
        (571, RegValue::String("3".into())),
        (572, RegValue::String("5".into())),
        // Just past the highest listed (and 20 Gbps, above the adapter's 10 Gb/s); 40 Gbps and a
        // speed given directly in Mbps.
        (573, RegValue::String("8".into())),
        (574, RegValue::String("9".into())),
        (575, RegValue::String("1000".into())),
        (576, RegValue::String("-1".into())),
        (577, RegValue::String("4294967295".into())),
        // Not a number: NDIS would read "fast" as 0 (Auto), "6 Gbps" as 6.
        (578, RegValue::String("fast".into())),
        (579, RegValue::String("6 Gbps".into())),
        (580, RegValue::Dword(8)),
        (581, RegValue::Dword(u32::MAX)),
    ];
    for (seed, value) in values {
        let (sim, a, b) = pair_with_speed_duplex(seed, Some(value.clone()));
        assert_eq!(
            sim.general_attributes(a).unwrap().xmit_link_speed,
            TEN_GBPS,
            "{value:?}: Auto, the port's"
        );
        assert_eq!(oid_link(&sim, a), (0, (TEN_GBPS / 100) as u32), "{value:?}");
        assert_eq!(config_rejected(&sim, a), 1, "{value:?}");
        assert_eq!(
            sim.error_log(a),
            [ErrorLogEntry {
                code: ndis_types::config::NDIS_ERROR_CODE_UNSUPPORTED_CONFIGURATION,
                values: vec![LOG_SPEED_DUPLEX]
            }],
            "{value:?}"
        );
        // Auto: it follows the port (a forced setting would not).
        sim.set_port_speed(a, 100 * MBPS);
        assert_eq!(link_indications(&sim, a).last(), Some(&connected_at(100 * MBPS)), "{value:?}");
        finish(sim, &[a, b]);
    }
    // Missing or empty: Auto, silently.
    for (seed, value) in [(582, None), (583, Some(RegValue::String(String::new())))] {
        let (sim, a, b) = pair_with_speed_duplex(seed, value.clone());
        assert_eq!(sim.general_attributes(a).unwrap().xmit_link_speed, TEN_GBPS, "{value:?}");
        assert_eq!(config_rejected(&sim, a), 0, "{value:?}");
        assert!(sim.error_log(a).is_empty(), "{value:?}");
        finish(sim, &[a, b]);
    }
}

#[test]
fn auto_negotiation_follows_the_speed_the_bus_gives_the_port_up_to_the_adapters_maximum() {
    let (sim, a, b) = pair_with_speed_duplex(590, None);
    let before = link_indications(&sim, a).len();
    let b_before = link_indications(&sim, b).len();

    sim.set_port_speed(a, 100 * MBPS);
    assert_eq!(link_indications(&sim, a)[before..], [connected_at(100 * MBPS)]);
    assert_eq!(oid_link(&sim, a), (0, 1_000_000));
    sim.set_port_speed(a, 2_500 * MBPS);
    assert_eq!(link_indications(&sim, a)[before..], [connected_at(100 * MBPS), connected_at(2_500 * MBPS)]);
    assert_eq!(oid_link(&sim, a), (0, 25_000_000));
    // A port faster than the adapter: the adapter's 10 Gb/s, as a 10 Gb/s NIC on a faster switch.
    sim.set_port_speed(a, 40 * GBPS);
    assert_eq!(link_indications(&sim, a).last(), Some(&connected_at(TEN_GBPS)));
    assert_eq!(oid_link(&sim, a), (0, (TEN_GBPS / 100) as u32));
    assert_eq!(link_indications(&sim, a).len(), before + 3);
    // Only the port whose speed changed: the peer heard nothing.
    assert_eq!(link_indications(&sim, b).len(), b_before);
    assert_eq!(sim.port_speed(b), Some(TEN_GBPS));

    // While the link is down the new speed waits, and comes up with it.
    sim.lower(a).set_link(false);
    sim.lower(a).set_speed(GBPS);
    sim.lower(a).set_link(true);
    assert_eq!(link_indications(&sim, a)[before + 3..], [DISCONNECTED, connected_at(GBPS)]);
    finish(sim, &[a, b]);
}

#[test]
fn a_forced_speed_reports_itself_and_has_no_link_while_the_port_offers_less() {
    // 1.0 Gbps Full Duplex on a port of 10 Gb/s.
    let (sim, a, b) = pair_with_speed_duplex(600, Some(RegValue::String("6".into())));
    assert_eq!(oid_link(&sim, a), (0, (GBPS / 100) as u32));
    let before = link_indications(&sim, a).len();

    // The port changes but still offers 1 Gb/s: the link stays what it was, nothing to indicate.
    sim.set_port_speed(a, 2_500 * MBPS);
    sim.set_port_speed(a, GBPS);
    assert_eq!(link_indications(&sim, a).len(), before);
    assert_eq!(oid_link(&sim, a), (0, (GBPS / 100) as u32));

    // 100 Mb/s cannot carry a forced 1 Gb/s: no link.
    sim.set_port_speed(a, 100 * MBPS);
    assert_eq!(link_indications(&sim, a)[before..], [DISCONNECTED]);
    assert_eq!(oid_link(&sim, a), (1, 0), "disconnected, speed 0");
    // Nothing crosses it: sends are refused, and what the peer sends is not indicated.
    let refused = send_all(&sim, a, &frames_to(&sim, a, b, 1..3));
    assert_eq!(refused, [Some(NDIS_STATUS_MEDIA_DISCONNECTED); 2]);
    assert!(send_all(&sim, b, &frames_to(&sim, b, a, 3..5)).iter().all(|&s| s == Some(NDIS_STATUS_SUCCESS)));
    assert!(sim.received_frames(a).is_empty(), "no frames without a link");
    assert_eq!(sim.received_frames(b), Vec::<Vec<u8>>::new());

    // The port offers 1 Gb/s again: the link is back at the forced speed, and frames cross.
    sim.set_port_speed(a, GBPS);
    assert_eq!(link_indications(&sim, a)[before..], [DISCONNECTED, connected_at(GBPS)]);
    let frames = frames_to(&sim, b, a, 5..7);
    assert!(send_all(&sim, b, &frames).iter().all(|&s| s == Some(NDIS_STATUS_SUCCESS)));
    assert_eq!(sim.received_frames(a), frames);
    let sent = frames_to(&sim, a, b, 7..8);
    assert_eq!(send_all(&sim, a, &sent), [Some(NDIS_STATUS_SUCCESS)]);
    assert_eq!(sim.received_frames(b), sent);
    finish(sim, &[a, b]);
}

/// `NetworkAddress` on the wire: the adapter's frames carry it (the protocol takes the current
/// address from the adapter), the switch learns it on the adapter's port, and a unicast to it then
/// goes to that port alone; the permanent address is not learned.
#[test]
fn an_overriding_network_address_is_what_the_switch_learns() {
    let (sim, a) = adapter_with_network_address(560, Some("06-00-5E-00-00-0A"));
    sim.set_registry("NetworkAddress", None);
    let b = sim.add_adapter().expect("initialize");
    let watcher = sim.add_adapter().expect("initialize");
    for (adapter, filter) in [
        (a, NDIS_PACKET_TYPE_DIRECTED),
        (b, NDIS_PACKET_TYPE_DIRECTED),
        (watcher, NDIS_PACKET_TYPE_PROMISCUOUS),
    ] {
        assert_eq!(sim.restart(adapter), NDIS_STATUS_SUCCESS);
        let set = sim.oid_set(adapter, OID_GEN_CURRENT_PACKET_FILTER, &filter.to_ne_bytes());
        assert_eq!(set.status, NDIS_STATUS_SUCCESS);
    }
    let current = address(&sim, a, OID_802_3_CURRENT_ADDRESS);
    assert_eq!(current, [0x06, 0x00, 0x5E, 0x00, 0x00, 0x0A]);
    let frame = |destination: [u8; 6], source: [u8; 6], tag: u8| {
        let mut frame = vec![tag; 80];
        frame[..6].copy_from_slice(&destination);
        frame[6..12].copy_from_slice(&source);
        frame[12..14].copy_from_slice(&[0x88, 0xB5]);
        frame
    };
    // Before the switch has seen the address, a unicast to it is flooded: the watcher sees it.
    let first = frame(current, mac(&sim, b), 1);
    sim.send_frames(b, std::slice::from_ref(&first), NblShape::default());
    sim.run_until_idle();
    assert_eq!(sim.take_received_frames(a), std::slice::from_ref(&first));
    assert_eq!(sim.take_received_frames(watcher), [first]);
    // The adapter speaks from its current address; the switch learns it on the adapter's port.
    let hello = frame([0xFF; 6], current, 2);
    sim.send_frames(a, std::slice::from_ref(&hello), NblShape::default());
    sim.run_until_idle();
    assert_eq!(sim.take_received_frames(watcher), [hello]);
    // Now a unicast to it reaches the adapter alone.
    let second = frame(current, mac(&sim, b), 3);
    sim.send_frames(b, std::slice::from_ref(&second), NblShape::default());
    sim.run_until_idle();
    assert_eq!(sim.take_received_frames(a), [second]);
    assert!(sim.take_received_frames(watcher).is_empty(), "switched, not flooded");
    // The permanent address was never on the wire: frames to it are still flooded, and the
    // adapter's filter drops them (it answers only to its current address).
    let old = frame(sim.port_mac(a), mac(&sim, b), 4);
    sim.send_frames(b, std::slice::from_ref(&old), NblShape::default());
    sim.run_until_idle();
    assert_eq!(sim.take_received_frames(watcher), [old]);
    assert!(sim.take_received_frames(a).is_empty());
    finish(sim, &[a, b, watcher]);
}

/// `AutoNegotiationFlags` say how the link came about: speed and duplex negotiated under Auto,
/// none when `*SpeedDuplex` forces them, in the general attributes and in every link indication.
#[test]
fn auto_negotiation_flags_say_whether_speed_and_duplex_were_negotiated() {
    // NDIS_LINK_STATE_{XMIT,RCV}_LINK_SPEED_AUTO_NEGOTIATED | NDIS_LINK_STATE_DUPLEX_AUTO_NEGOTIATED.
    const NEGOTIATED: u32 = 0x1 | 0x2 | 0x4;
    // NDIS_LINK_STATE.AutoNegotiationFlags: after the header, states, speeds and pause functions.
    let indicated = |sim: &Sim, adapter: AdapterId| -> Vec<u32> {
        sim.status_indications(adapter)
            .iter()
            .filter(|s| s.link_state.is_some())
            .map(|s| u32::from_ne_bytes(s.buffer[36..40].try_into().unwrap()))
            .collect()
    };
    for (seed, setting, flags) in [(700, None, NEGOTIATED), (701, Some(RegValue::Dword(6)), 0)] {
        let (sim, a, b) = pair_with_speed_duplex(seed, setting.clone());
        assert_eq!(sim.general_attributes(a).unwrap().auto_negotiation_flags, flags, "{setting:?}");
        // No link: nothing negotiated; back up: as the setting says.
        sim.lower(a).set_link(false);
        assert_eq!(indicated(&sim, a).last(), Some(&0), "{setting:?}");
        sim.lower(a).set_link(true);
        assert_eq!(indicated(&sim, a).last(), Some(&flags), "{setting:?}");
        finish(sim, &[a, b]);
    }
}
