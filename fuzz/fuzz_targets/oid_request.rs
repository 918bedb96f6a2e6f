//! `MiniportOidRequest` through kernel-sim: any OID (each one the driver knows, or any 32-bit value),
//! any request type (query, set, statistics, method or anything else), any information buffer and
//! length, on a running or paused adapter, then halt and unload.
//! Properties: no panic; kernel-sim's verifier reports no violation (an OID completed once, at the
//! right IRQL, within the buffer it was given; nothing leaked, every lock released); a query never
//! claims to have written, and a set to have read, more than the buffer held.
#![no_main]

use arbitrary::Arbitrary;
use kernel_sim::{RegValue, Sim, SimConfig};
use libfuzzer_sys::fuzz_target;
use ndis_types::oid::*;
use ndis_types::*;

const OIDS: &[u32] = &[
    OID_GEN_SUPPORTED_LIST,
    OID_GEN_HARDWARE_STATUS,
    OID_GEN_MEDIA_SUPPORTED,
    OID_GEN_MEDIA_IN_USE,
    OID_GEN_MAXIMUM_LOOKAHEAD,
    OID_GEN_MAXIMUM_FRAME_SIZE,
    OID_GEN_LINK_SPEED,
    OID_GEN_TRANSMIT_BUFFER_SPACE,
    OID_GEN_RECEIVE_BUFFER_SPACE,
    OID_GEN_TRANSMIT_BLOCK_SIZE,
    OID_GEN_RECEIVE_BLOCK_SIZE,
    OID_GEN_VENDOR_ID,
    OID_GEN_VENDOR_DESCRIPTION,
    OID_GEN_CURRENT_PACKET_FILTER,
    OID_GEN_CURRENT_LOOKAHEAD,
    OID_GEN_DRIVER_VERSION,
    OID_GEN_MAXIMUM_TOTAL_SIZE,
    OID_GEN_MAC_OPTIONS,
    OID_GEN_MEDIA_CONNECT_STATUS,
    OID_GEN_MAXIMUM_SEND_PACKETS,
    OID_GEN_VENDOR_DRIVER_VERSION,
    OID_GEN_PHYSICAL_MEDIUM,
    OID_GEN_MAX_LINK_SPEED,
    OID_GEN_LINK_STATE,
    OID_GEN_LINK_PARAMETERS,
    OID_GEN_INTERRUPT_MODERATION,
    OID_GEN_VLAN_ID,
    OID_GEN_MINIPORT_RESTART_ATTRIBUTES,
    OID_GEN_XMIT_OK,
    OID_GEN_RCV_OK,
    OID_GEN_XMIT_ERROR,
    OID_GEN_RCV_ERROR,
    OID_GEN_RCV_NO_BUFFER,
    OID_GEN_STATISTICS,
    OID_GEN_RCV_DISCARDS,
    OID_GEN_XMIT_DISCARDS,
    OID_802_3_PERMANENT_ADDRESS,
    OID_802_3_CURRENT_ADDRESS,
    OID_802_3_MULTICAST_LIST,
    OID_802_3_MAXIMUM_LIST_SIZE,
    OID_802_3_MAC_OPTIONS,
    OID_802_3_RCV_ERROR_ALIGNMENT,
    OID_802_3_XMIT_ONE_COLLISION,
    OID_802_3_XMIT_MORE_COLLISIONS,
    OID_PNP_CAPABILITIES,
    OID_PNP_SET_POWER,
    OID_PNP_QUERY_POWER,
];
const TYPES: [NdisRequestType; 4] = [
    NDIS_REQUEST_QUERY_INFORMATION,
    NDIS_REQUEST_SET_INFORMATION,
    NDIS_REQUEST_QUERY_STATISTICS,
    NDIS_REQUEST_METHOD,
];

#[derive(Arbitrary, Debug)]
enum Oid {
    Known(u8),
    Raw(u32),
}

#[derive(Arbitrary, Debug)]
enum Kind {
    Known(u8),
    Raw(i32),
}

#[derive(Arbitrary, Debug)]
struct Request {
    kind: Kind,
    oid: Oid,
    input: Vec<u8>,
    /// The information buffer's length: the input's, or another one (shorter cuts the input).
    buffer_len: Option<u16>,
    /// Pause the adapter before the request (and restart it after).
    paused: bool,
}

fuzz_target!(|input: (u64, Vec<Request>)| {
    let (seed, requests) = input;
    let sim = Sim::new(SimConfig { seed, ..SimConfig::default() });
    // No call trace: formatting it is a third of an execution (replay a crash in a test to see it).
    sim.set_call_log_limit(Some(0));
    assert_eq!(sim.load(kmdf_miniport::driver_entry), STATUS_SUCCESS);
    // The fewest receive buffers the keyword allows (`settings::RECEIVE_BUFFERS.min`, 16): the OID
    // path does not depend on them, and each
    // pause and restart cancels and re-posts every read, which at the default 64 is most of an
    // execution's time.
    sim.set_registry("*ReceiveBuffers", Some(RegValue::String("16".into())));
    let adapter = sim.add_adapter().expect("initialize");
    assert_eq!(sim.restart(adapter), NDIS_STATUS_SUCCESS);
    for request in requests.iter().take(32) {
        let oid = match request.oid {
            Oid::Known(i) => OIDS[usize::from(i) % OIDS.len()],
            Oid::Raw(oid) => oid,
        };
        let kind = match request.kind {
            Kind::Known(i) => TYPES[usize::from(i) % TYPES.len()],
            Kind::Raw(kind) => kind,
        };
        let buffer_len = request.buffer_len.map_or(request.input.len(), usize::from).min(1 << 16);
        if request.paused {
            let status = sim.pause(adapter);
            assert!(status == NDIS_STATUS_SUCCESS || status == NDIS_STATUS_PENDING);
            sim.run_until_idle();
        }
        let result = sim.oid_request(adapter, kind, oid, &request.input, buffer_len);
        assert_ne!(result.status, NDIS_STATUS_PENDING, "OID {oid:#010x} never completed");
        if result.status == NDIS_STATUS_SUCCESS {
            assert!(
                result.bytes_written_or_read as usize <= buffer_len,
                "OID {oid:#010x} type {kind}: {} bytes of a {buffer_len}-byte buffer",
                result.bytes_written_or_read
            );
        }
        sim.assert_no_violations();
        if request.paused {
            assert_eq!(sim.restart(adapter), NDIS_STATUS_SUCCESS);
        }
    }
    sim.run_until_idle();
    sim.remove_adapter(adapter);
    sim.unload();
    sim.assert_clean();
});
