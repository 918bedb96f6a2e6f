//! 802.1Q priority and VLAN tagging (`src/adapter/vlan.rs`): what `*PriorityVLANTag` and `VlanID`
//! make the adapter do on the wire, in the NBLs it indicates, and in what it declares.

mod common;

use common::*;
use kernel_sim::{AdapterId, CapturedFrame, ErrorLogEntry, NblShape, RegValue, Sim};
use ndis_types::config::NDIS_ERROR_CODE_UNSUPPORTED_CONFIGURATION;
use ndis_types::oid::*;
use ndis_types::*;
use std::cell::RefCell;
use std::rc::Rc;

const OID_VWIRE_DRIVER_COUNTERS: u32 = 0xFF76_0001;
const CONFIG_REJECTED: usize = 12;
/// The event log values of `settings::LOG_PRIORITY_VLAN_TAG` and `LOG_VLAN_ID`.
const LOG_PRIORITY_VLAN_TAG: u32 = 7;
const LOG_VLAN_ID: u32 = 8;
const BOTH: u32 = NDIS_MAC_OPTION_8021P_PRIORITY | NDIS_MAC_OPTION_8021Q_VLAN;

/// `Ieee8021QNetBufferListInfo` for a priority and a VLAN ID.
fn info(priority: usize, vlan_id: usize) -> usize {
    priority | (vlan_id << 4)
}

/// Running adapters, each added with the given `*PriorityVLANTag` and `VlanID` (None: not set),
/// taking directed and broadcast frames.
fn adapters(seed: u64, settings: &[(Option<RegValue>, Option<RegValue>)]) -> (Sim, Vec<AdapterId>) {
    let sim = loaded(seed);
    let adapters: Vec<AdapterId> = settings
        .iter()
        .map(|(tagging, vlan_id)| {
            sim.set_registry("*PriorityVLANTag", tagging.clone());
            sim.set_registry("VlanID", vlan_id.clone());
            sim.add_adapter().expect("initialize")
        })
        .collect();
    sim.set_registry("*PriorityVLANTag", None);
    sim.set_registry("VlanID", None);
    for &adapter in &adapters {
        assert_eq!(sim.restart(adapter), NDIS_STATUS_SUCCESS);
        let filter = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST;
        assert_eq!(
            sim.oid_set(adapter, OID_GEN_CURRENT_PACKET_FILTER, &filter.to_ne_bytes()).status,
            NDIS_STATUS_SUCCESS
        );
    }
    (sim, adapters)
}

fn dword(value: u32) -> Option<RegValue> {
    Some(RegValue::Dword(value))
}

/// An untagged broadcast frame of `len` bytes from `source`, its payload starting at `seed`.
fn broadcast(source: [u8; 6], len: usize, seed: u8) -> Vec<u8> {
    let mut frame: Vec<u8> = (0..len).map(|i| seed.wrapping_add(i as u8)).collect();
    frame[..6].copy_from_slice(&[0xFF; 6]);
    frame[6..12].copy_from_slice(&source);
    frame[12..14].copy_from_slice(&[0x08, 0x00]);
    frame
}

/// `frame` with an 802.1Q tag of `tci` after its addresses.
fn tagged(frame: &[u8], tci: u16) -> Vec<u8> {
    let mut out = frame[..12].to_vec();
    out.extend_from_slice(&[0x81, 0x00]);
    out.extend_from_slice(&tci.to_be_bytes());
    out.extend_from_slice(&frame[12..]);
    out
}

/// Every frame the adapters write to the hub from now on, as it goes on the wire.
fn wire(sim: &Sim) -> Rc<RefCell<Vec<Vec<u8>>>> {
    let frames = Rc::new(RefCell::new(Vec::new()));
    let sink = frames.clone();
    sim.set_capture(Some(Box::new(move |f: CapturedFrame<'_>| {
        if f.adapter.is_some() {
            sink.borrow_mut().push(f.frame.to_vec());
        }
    })));
    frames
}

fn send(sim: &Sim, from: AdapterId, frames: &[Vec<u8>], ieee8021q_info: usize) -> NdisStatus {
    let shape = NblShape { ieee8021q_info, ..NblShape::default() };
    let ids = sim.send_frames(from, frames, shape);
    sim.run_until_idle();
    sim.send_completion(ids[0]).expect("completed")
}

fn oid_u32(sim: &Sim, adapter: AdapterId, oid: u32) -> OidResultU32 {
    let result = sim.oid_query(adapter, oid, 4);
    OidResultU32 {
        status: result.status,
        value: (result.status == NDIS_STATUS_SUCCESS)
            .then(|| u32::from_ne_bytes(result.data[..4].try_into().unwrap())),
    }
}

#[derive(Debug, PartialEq, Eq)]
struct OidResultU32 {
    status: NdisStatus,
    value: Option<u32>,
}

fn supported(sim: &Sim, adapter: AdapterId) -> Vec<u32> {
    let result = sim.oid_query(adapter, OID_GEN_SUPPORTED_LIST, 4096);
    assert_eq!(result.status, NDIS_STATUS_SUCCESS);
    result.data[..result.bytes_written_or_read as usize]
        .chunks_exact(4)
        .map(|c| u32::from_ne_bytes(c.try_into().unwrap()))
        .collect()
}

fn config_rejected(sim: &Sim, adapter: AdapterId) -> u64 {
    let result = sim.oid_query(adapter, OID_VWIRE_DRIVER_COUNTERS, 13 * 8);
    assert_eq!(result.status, NDIS_STATUS_SUCCESS);
    u64::from_le_bytes(result.data[CONFIG_REJECTED * 8..][..8].try_into().unwrap())
}

#[test]
fn each_setting_declares_exactly_what_it_does() {
    let (sim, list) = adapters(600, &[(None, None), (dword(0), None), (dword(1), None), (dword(2), None)]);
    let [default, neither, priority, vlan] = list[..] else { unreachable!() };
    for (adapter, options, vlan_oid) in [
        (default, BOTH, true),
        (neither, 0, false),
        (priority, NDIS_MAC_OPTION_8021P_PRIORITY, false),
        (vlan, NDIS_MAC_OPTION_8021Q_VLAN, true),
    ] {
        let declared = sim.general_attributes(adapter).unwrap().mac_options;
        assert_eq!(declared & BOTH, options, "general attributes");
        assert_eq!(oid_u32(&sim, adapter, OID_GEN_MAC_OPTIONS).value.unwrap() & BOTH, options);
        assert_eq!(supported(&sim, adapter).contains(&OID_GEN_VLAN_ID), vlan_oid);
        let query = oid_u32(&sim, adapter, OID_GEN_VLAN_ID);
        if vlan_oid {
            assert_eq!(query, OidResultU32 { status: NDIS_STATUS_SUCCESS, value: Some(0) });
        } else {
            assert_eq!(query.status, NDIS_STATUS_NOT_SUPPORTED);
            assert_eq!(
                sim.oid_set(adapter, OID_GEN_VLAN_ID, &5u32.to_ne_bytes()).status,
                NDIS_STATUS_NOT_SUPPORTED
            );
        }
        assert_eq!(config_rejected(&sim, adapter), 0);
    }
    finish(sim, &list);
}

#[test]
fn a_send_is_tagged_from_its_nbl_info_and_a_receive_is_stripped_into_it() {
    let (sim, list) = adapters(610, &[(None, None), (None, None), (dword(0), None), (dword(1), None)]);
    let [a, b, raw, priority] = list[..] else { unreachable!() };
    let wire = wire(&sim);
    // Priority 5, VLAN 10: tagged on the wire, stripped at every receiver (Doc "Enumeration
    // Keywords": from all receive packets regardless of the setting), into the info as far as each
    // receiver's setting reports it.
    let frame = broadcast(sim.port_mac(a), 1514, 1);
    assert_eq!(send(&sim, a, std::slice::from_ref(&frame), info(5, 10)), NDIS_STATUS_SUCCESS);
    let tagged_frame = tagged(&frame, 0xA00A);
    assert_eq!(tagged_frame.len(), 1518, "a full-size frame and its tag");
    assert_eq!(wire.borrow_mut().split_off(0), [tagged_frame]);
    assert_eq!(sim.take_received_with_8021q(b), [(frame.clone(), info(5, 10))]);
    assert_eq!(sim.take_received_with_8021q(raw), [(frame.clone(), 0)]);
    assert_eq!(sim.take_received_with_8021q(priority), [(frame, info(5, 0))]);

    // Priority only (VLAN 0).
    let frame = broadcast(sim.port_mac(a), 60, 2);
    assert_eq!(send(&sim, a, std::slice::from_ref(&frame), info(3, 0)), NDIS_STATUS_SUCCESS);
    assert_eq!(wire.borrow_mut().split_off(0), [tagged(&frame, 0x6000)]);
    assert_eq!(sim.take_received_with_8021q(b), [(frame.clone(), info(3, 0))]);
    assert_eq!(sim.take_received_with_8021q(priority), [(frame.clone(), info(3, 0))]);
    assert_eq!(sim.take_received_with_8021q(raw), [(frame.clone(), 0)]);

    // No info: untagged, and nothing in the info on the way up (the NBL's last tag is cleared).
    assert_eq!(send(&sim, a, std::slice::from_ref(&frame), 0), NDIS_STATUS_SUCCESS);
    assert_eq!(wire.borrow_mut().split_off(0), std::slice::from_ref(&frame));
    for adapter in [b, raw, priority] {
        assert_eq!(sim.take_received_with_8021q(adapter), [(frame.clone(), 0)]);
    }
    // The adapter that does no tagging sends its NBL's info nowhere.
    assert_eq!(send(&sim, raw, std::slice::from_ref(&frame), info(5, 10)), NDIS_STATUS_SUCCESS);
    assert_eq!(wire.borrow_mut().split_off(0), std::slice::from_ref(&frame));
    assert_eq!(sim.take_received_with_8021q(b), [(frame.clone(), 0)]);
    sim.set_capture(None);
    finish(sim, &list);
}

#[test]
fn a_vlan_id_tags_every_send_and_receives_only_its_vlan() {
    let (sim, list) =
        adapters(620, &[(None, dword(10)), (None, dword(10)), (None, dword(20)), (dword(0), None)]);
    let [a, b, other, raw] = list[..] else { unreachable!() };
    let wire = wire(&sim);
    assert_eq!(oid_u32(&sim, a, OID_GEN_VLAN_ID).value, Some(10));
    let frame = broadcast(sim.port_mac(a), 200, 3);
    assert_eq!(send(&sim, a, std::slice::from_ref(&frame), 0), NDIS_STATUS_SUCCESS);
    assert_eq!(wire.borrow_mut().split_off(0), [tagged(&frame, 10)]);
    assert_eq!(sim.take_received_with_8021q(b), [(frame.clone(), info(0, 10))]);
    assert!(sim.take_received_with_8021q(other).is_empty(), "VLAN 20 does not see VLAN 10");
    assert_eq!(sim.take_received_with_8021q(raw), [(frame.clone(), 0)], "stripped, VLAN not reported");
    sim.set_capture(None);
    // Untagged frames are the native VLAN: not received on VLAN 10.
    assert_eq!(send(&sim, raw, std::slice::from_ref(&frame), 0), NDIS_STATUS_SUCCESS);
    assert!(sim.take_received_with_8021q(b).is_empty());
    // Naming its own VLAN is fine; naming another is refused and counted as a send error.
    assert_eq!(send(&sim, a, std::slice::from_ref(&frame), info(2, 10)), NDIS_STATUS_SUCCESS);
    assert_eq!(sim.take_received_with_8021q(b), [(frame.clone(), info(2, 10))]);
    let errors = oid_counter(&sim, a, OID_GEN_XMIT_ERROR);
    assert_eq!(send(&sim, a, &[frame.clone(), frame.clone()], info(0, 20)), NDIS_STATUS_FAILURE);
    assert_eq!(oid_counter(&sim, a, OID_GEN_XMIT_ERROR), errors + 2);
    assert!(sim.take_received_with_8021q(b).is_empty());

    // OID_GEN_VLAN_ID moves b to VLAN 20: now it hears `other`, not `a`.
    assert_eq!(sim.oid_set(b, OID_GEN_VLAN_ID, &20u32.to_ne_bytes()).status, NDIS_STATUS_SUCCESS);
    assert_eq!(oid_u32(&sim, b, OID_GEN_VLAN_ID).value, Some(20));
    assert_eq!(send(&sim, a, std::slice::from_ref(&frame), 0), NDIS_STATUS_SUCCESS);
    assert!(sim.take_received_with_8021q(b).is_empty());
    assert_eq!(send(&sim, other, std::slice::from_ref(&frame), 0), NDIS_STATUS_SUCCESS);
    assert_eq!(sim.take_received_with_8021q(b), [(frame.clone(), info(0, 20))]);
    // 0 leaves the VLAN: untagged again, everything received.
    assert_eq!(sim.oid_set(b, OID_GEN_VLAN_ID, &0u32.to_ne_bytes()).status, NDIS_STATUS_SUCCESS);
    assert_eq!(send(&sim, raw, std::slice::from_ref(&frame), 0), NDIS_STATUS_SUCCESS);
    assert_eq!(sim.take_received_with_8021q(b), [(frame, 0)]);
    // Bad sets change nothing.
    for (data, status) in [
        (4095u32.to_ne_bytes().to_vec(), NDIS_STATUS_INVALID_DATA),
        (0x1_000Au32.to_ne_bytes().to_vec(), NDIS_STATUS_INVALID_DATA),
        (vec![10, 0], NDIS_STATUS_INVALID_LENGTH),
    ] {
        assert_eq!(sim.oid_set(a, OID_GEN_VLAN_ID, &data).status, status, "{data:?}");
        assert_eq!(oid_u32(&sim, a, OID_GEN_VLAN_ID).value, Some(10));
    }
    finish(sim, &list);
}

fn oid_counter(sim: &Sim, adapter: AdapterId, oid: u32) -> u64 {
    let result = sim.oid_query(adapter, oid, 8);
    assert_eq!(result.status, NDIS_STATUS_SUCCESS);
    u64::from_ne_bytes(result.data[..8].try_into().unwrap())
}

#[test]
fn priority_vlan_tag_and_vlan_id_at_their_bounds_outside_them_and_malformed() {
    let bad = |value: RegValue| (Some(value), None);
    for (seed, setting, options, vlan_id, log) in [
        (630, bad(RegValue::Dword(4)), BOTH, 0, Some(LOG_PRIORITY_VLAN_TAG)),
        (631, bad(RegValue::Dword(u32::MAX)), BOTH, 0, Some(LOG_PRIORITY_VLAN_TAG)),
        // A REG_SZ is converted as RtlUnicodeStringToInteger does (Doc NdisReadConfiguration).
        (632, bad(RegValue::String("7".into())), BOTH, 0, Some(LOG_PRIORITY_VLAN_TAG)),
        (633, bad(RegValue::String("2".into())), NDIS_MAC_OPTION_8021Q_VLAN, 0, None),
        (634, bad(RegValue::Dword(3)), BOTH, 0, None),
        (635, (None, dword(4094)), BOTH, 4094, None),
        (636, (None, dword(1)), BOTH, 1, None),
        (637, (None, dword(4095)), BOTH, 0, Some(LOG_VLAN_ID)),
        (638, (None, Some(RegValue::String("4095".into()))), BOTH, 0, Some(LOG_VLAN_ID)),
        (639, (None, Some(RegValue::String("10".into()))), BOTH, 10, None),
    ] {
        let (sim, list) = adapters(seed, &[setting]);
        let a = list[0];
        assert_eq!(sim.general_attributes(a).unwrap().mac_options & BOTH, options, "seed {seed}");
        if options & NDIS_MAC_OPTION_8021Q_VLAN != 0 {
            assert_eq!(oid_u32(&sim, a, OID_GEN_VLAN_ID).value, Some(vlan_id), "seed {seed}");
        }
        assert_eq!(config_rejected(&sim, a), u64::from(log.is_some()), "seed {seed}");
        let expected: Vec<ErrorLogEntry> = log
            .map(|value| ErrorLogEntry {
                code: NDIS_ERROR_CODE_UNSUPPORTED_CONFIGURATION,
                values: vec![value],
            })
            .into_iter()
            .collect();
        assert_eq!(sim.error_log(a), expected, "seed {seed}");
        finish(sim, &list);
    }
}

#[test]
fn a_tagged_jumbo_frame_crosses_stripped_and_a_tag_never_makes_a_frame_too_long() {
    let sim = loaded(640);
    sim.set_registry("*JumboPacket", dword(9014));
    let a = sim.add_adapter().unwrap();
    let b = sim.add_adapter().unwrap();
    sim.set_registry("*JumboPacket", None);
    for adapter in [a, b] {
        assert_eq!(sim.restart(adapter), NDIS_STATUS_SUCCESS);
        let filter = NDIS_PACKET_TYPE_BROADCAST;
        assert_eq!(
            sim.oid_set(adapter, OID_GEN_CURRENT_PACKET_FILTER, &filter.to_ne_bytes()).status,
            NDIS_STATUS_SUCCESS
        );
    }
    let frame = broadcast(sim.port_mac(a), 9014, 4);
    assert_eq!(send(&sim, a, std::slice::from_ref(&frame), info(7, 4094)), NDIS_STATUS_SUCCESS);
    assert_eq!(sim.take_received_with_8021q(b), [(frame.clone(), info(7, 4094))]);
    // One byte more cannot take a tag: refused as too long for the medium.
    let too_long = broadcast(sim.port_mac(a), 9015, 5);
    assert_eq!(send(&sim, a, std::slice::from_ref(&too_long), info(7, 4094)), NDIS_STATUS_INVALID_LENGTH);
    assert!(sim.take_received_with_8021q(b).is_empty());
    finish(sim, &[a, b]);
}
