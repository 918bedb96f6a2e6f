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
