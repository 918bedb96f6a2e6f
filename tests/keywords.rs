//! The adapter's registry keywords (`src/adapter/settings.rs`): what each does at its bounds, just
//! outside them and malformed. A refused value leaves the INF default in force, raises the
//! `config_rejected` counter (`OID_VWIRE_DRIVER_COUNTERS`) and is written to the event log.

mod common;

use common::*;
use kernel_sim::{AdapterId, ErrorLogEntry, NblShape, RegValue, Sim};
use ndis_types::config::NDIS_ERROR_CODE_NETWORK_ADDRESS;
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

/// Two Running adapters, the first added with `*ReceiveBuffers` = `value`.
fn pair_with_receive_buffers(seed: u64, value: Option<RegValue>) -> (Sim, AdapterId, AdapterId) {
    let sim = loaded(seed);
    sim.set_registry("*ReceiveBuffers", value);
    let a = sim.add_adapter().expect("initialize");
    sim.set_registry("*ReceiveBuffers", None);
    let b = sim.add_adapter().expect("initialize");
    for adapter in [a, b] {
        assert_eq!(sim.restart(adapter), NDIS_STATUS_SUCCESS);
        let filter = NDIS_PACKET_TYPE_DIRECTED;
        let set = sim.oid_set(adapter, OID_GEN_CURRENT_PACKET_FILTER, &filter.to_ne_bytes());
        assert_eq!(set.status, NDIS_STATUS_SUCCESS);
    }
    (sim, a, b)
}

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
        assert_eq!(receive_buffer_space(&sim, a), count * 1518);
        assert_eq!(config_rejected(&sim, a), 0);
        let held = nbls_ndis_can_hold(&sim, a, b);
        // 16: every buffer ends up in NDIS's hands and no more; 64: far more than 16 do.
        if count == 16 {
            assert_eq!(held, 16);
        } else {
            assert!(held > 16 && held <= u64::from(count), "{held} of {count}");
        }
        finish(sim, &[a, b]);
    }
    // A REG_DWORD is read as well as the INF's REG_SZ.
    let (sim, a, b) = pair_with_receive_buffers(532, Some(RegValue::Dword(32)));
    assert_eq!(receive_buffer_space(&sim, a), 32 * 1518);
    finish(sim, &[a, b]);
}

#[test]
fn receive_buffers_outside_their_range_or_malformed_keep_the_default_and_are_logged() {
    // NDIS converts as RtlUnicodeStringToInteger: "sixty-four" is 0 and 2^32 wraps to 0.
    for (seed, value) in
        [(540, "15"), (541, "65"), (542, "0"), (543, "4294967296"), (544, "sixty-four"), (545, "-32")]
    {
        let (sim, a, b) = pair_with_receive_buffers(seed, Some(RegValue::String(value.into())));
        assert_eq!(receive_buffer_space(&sim, a), 64 * 1518, "{value:?}: the default, 64");
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
        assert_eq!(receive_buffer_space(&sim, a), buffers * 1518, "{value:?}");
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
    assert_eq!(oid_u32(sim, adapter, OID_GEN_MAXIMUM_LOOKAHEAD), mtu + 18, "a tagged frame of the MTU");
    let slots = oid_u32(sim, adapter, OID_GEN_RECEIVE_BUFFER_SPACE) / (mtu + 18);
    assert_eq!(slots, 64, "the default *ReceiveBuffers, each holding the largest frame");
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
    let errors_before = oid_u64(&sim, standard, OID_GEN_RCV_ERROR);
    let broadcast = frame_of([0xFF; 6], sim.port_mac(a), 9014, 2);
    let fits_mid = frame_of([0xFF; 6], sim.port_mac(a), 4092, 3);
    let ids = sim.send_frames(a, &[broadcast.clone(), fits_mid.clone()], NblShape::default());
    sim.run_until_idle();
    assert!(ids.iter().all(|&id| sim.send_completion(id) == Some(NDIS_STATUS_SUCCESS)));
    assert_eq!(sim.take_received_frames(b), [broadcast.clone(), fits_mid.clone()]);
    assert_eq!(sim.take_received_frames(mid), [fits_mid]);
    assert!(sim.take_received_frames(standard).is_empty());
    assert_eq!(oid_u64(&sim, standard, OID_GEN_RCV_ERROR), errors_before + 2);
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
fn a_jumbo_packet_the_port_cannot_carry_falls_back_to_1514_counted_and_logged() {
    let sim = loaded(550);
    sim.edit_device_info(Some(|info| info.mtu = 4000));
    sim.set_registry("*JumboPacket", Some(RegValue::Dword(9014)));
    let a = sim.add_adapter().expect("initialize");
    sim.set_registry("*JumboPacket", Some(RegValue::Dword(4014)));
    let b = sim.add_adapter().expect("initialize");
    sim.edit_device_info(None);
    assert_sizes(&sim, a, 1500);
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
    finish(sim, &[a, b]);
}
