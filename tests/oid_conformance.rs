//! OID conformance: for every supported OID a valid, a short, a long and a garbage buffer, with the
//! exact status and byte counts NDIS expects (Doc "mandatory OIDs"; NDIS test 1c_64BitOIDs), and
//! NOT_SUPPORTED for everything else.

mod common;

use common::*;
use ndis_types::oid::*;
use ndis_types::*;

/// Driver vendor OID: the driver's lower-edge counters, 12 × u64.
const OID_VWIRE_DRIVER_COUNTERS: u32 = 0xFF76_0001;

/// Query OIDs and the exact size of their answer.
const QUERIES: &[(u32, usize)] = &[
    (OID_GEN_SUPPORTED_LIST, 38 * 4),
    (OID_GEN_HARDWARE_STATUS, 4),
    (OID_GEN_MEDIA_SUPPORTED, 4),
    (OID_GEN_MEDIA_IN_USE, 4),
    (OID_GEN_PHYSICAL_MEDIUM, 4),
    (OID_GEN_MAXIMUM_LOOKAHEAD, 4),
    (OID_GEN_CURRENT_LOOKAHEAD, 4),
    (OID_GEN_MAXIMUM_FRAME_SIZE, 4),
    (OID_GEN_MAXIMUM_TOTAL_SIZE, 4),
    (OID_GEN_TRANSMIT_BLOCK_SIZE, 4),
    (OID_GEN_RECEIVE_BLOCK_SIZE, 4),
    (OID_GEN_TRANSMIT_BUFFER_SPACE, 4),
    (OID_GEN_RECEIVE_BUFFER_SPACE, 4),
    (OID_GEN_VENDOR_ID, 4),
    (OID_GEN_VENDOR_DESCRIPTION, 39),
    (OID_GEN_VENDOR_DRIVER_VERSION, 4),
    (OID_GEN_DRIVER_VERSION, 2),
    (OID_GEN_MAC_OPTIONS, 4),
    (OID_GEN_LINK_SPEED, 4),
    (OID_GEN_MEDIA_CONNECT_STATUS, 4),
    (OID_GEN_CURRENT_PACKET_FILTER, 4),
    (OID_GEN_INTERRUPT_MODERATION, 12),
    (OID_GEN_STATISTICS, 152),
    (OID_802_3_PERMANENT_ADDRESS, 6),
    (OID_802_3_CURRENT_ADDRESS, 6),
    (OID_802_3_MAXIMUM_LIST_SIZE, 4),
    (OID_802_3_MAC_OPTIONS, 4),
    (OID_GEN_VLAN_ID, 4),
    (OID_VWIRE_DRIVER_COUNTERS, 104),
];

/// 64-bit counters: 8 bytes, or the low 4 with BytesNeeded 8.
const COUNTERS: &[u32] = &[
    OID_GEN_XMIT_OK,
    OID_GEN_RCV_OK,
    OID_GEN_XMIT_ERROR,
    OID_GEN_RCV_ERROR,
    OID_GEN_RCV_NO_BUFFER,
    OID_GEN_RCV_DISCARDS,
    OID_GEN_XMIT_DISCARDS,
];

#[test]
fn query_table_valid_short_long_and_garbage() {
    let (sim, adapter) = running(200);
    for &(oid, size) in QUERIES {
        let valid = sim.oid_query(adapter, oid, size);
        assert_eq!(
            (valid.status, valid.bytes_written_or_read),
            (NDIS_STATUS_SUCCESS, size as u32),
            "{oid:#x} valid"
        );
        let short = sim.oid_query(adapter, oid, size - 1);
        assert_eq!(
            (short.status, short.bytes_written_or_read, short.bytes_needed),
            (NDIS_STATUS_BUFFER_TOO_SHORT, 0, size as u32),
            "{oid:#x} short"
        );
        let long = sim.oid_query(adapter, oid, size + 16);
        assert_eq!(
            (long.status, long.bytes_written_or_read),
            (NDIS_STATUS_SUCCESS, size as u32),
            "{oid:#x} long"
        );
        assert_eq!(long.data[..size], valid.data[..size], "{oid:#x}: the same answer whatever the room");
        // Garbage in a query buffer is overwritten, never read.
        let garbage = sim.oid_query_with(adapter, oid, &vec![0xA5; size + 3]);
        assert_eq!(
            (garbage.status, garbage.bytes_written_or_read),
            (NDIS_STATUS_SUCCESS, size as u32),
            "{oid:#x} garbage"
        );
    }
    for &oid in COUNTERS {
        let eight = sim.oid_query(adapter, oid, 8);
        assert_eq!((eight.status, eight.bytes_written_or_read), (NDIS_STATUS_SUCCESS, 8), "{oid:#x}");
        let four = sim.oid_query(adapter, oid, 4);
        assert_eq!(
            (four.status, four.bytes_written_or_read, four.bytes_needed),
            (NDIS_STATUS_SUCCESS, 4, 8),
            "{oid:#x}"
        );
        let three = sim.oid_query(adapter, oid, 3);
        assert_eq!((three.status, three.bytes_needed), (NDIS_STATUS_BUFFER_TOO_SHORT, 8), "{oid:#x}");
        let long = sim.oid_query(adapter, oid, 64);
        assert_eq!(long.bytes_written_or_read, 8, "{oid:#x}");
    }
    // The multicast list is as long as it is: empty now.
    let list = sim.oid_query(adapter, OID_802_3_MULTICAST_LIST, 0);
    assert_eq!((list.status, list.bytes_written_or_read), (NDIS_STATUS_SUCCESS, 0));
    sim.remove_adapter(adapter);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn set_table_valid_short_long_and_garbage() {
    let (sim, adapter) = running(201);
    let filter = (NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST).to_ne_bytes();
    let group = [0x01, 0x00, 0x5E, 0x00, 0x00, 0x01];
    let moderation = [0x80, 1, 12, 0, 0, 0, 0, 0, 2, 0, 0, 0];
    // (OID, valid buffer, status for valid, status for garbage, garbage)
    type Row = (u32, Vec<u8>, NdisStatus, NdisStatus, Vec<u8>);
    let table: Vec<Row> = vec![
        (
            OID_GEN_CURRENT_PACKET_FILTER,
            filter.to_vec(),
            NDIS_STATUS_SUCCESS,
            NDIS_STATUS_NOT_SUPPORTED,
            vec![0xFF; 4],
        ),
        (
            OID_GEN_CURRENT_LOOKAHEAD,
            256u32.to_ne_bytes().to_vec(),
            NDIS_STATUS_SUCCESS,
            NDIS_STATUS_INVALID_DATA,
            vec![0xFF; 4],
        ),
        (
            OID_802_3_MULTICAST_LIST,
            group.to_vec(),
            NDIS_STATUS_SUCCESS,
            NDIS_STATUS_INVALID_DATA,
            vec![0x02, 0, 0, 0, 0, 1],
        ),
        (
            OID_GEN_INTERRUPT_MODERATION,
            moderation.to_vec(),
            NDIS_STATUS_INVALID_DATA,
            NDIS_STATUS_INVALID_DATA,
            vec![0xEE; 12],
        ),
        (
            OID_GEN_VLAN_ID,
            42u32.to_ne_bytes().to_vec(),
            NDIS_STATUS_SUCCESS,
            NDIS_STATUS_INVALID_DATA,
            vec![0xFF; 4],
        ),
        (
            OID_PNP_SET_POWER,
            1u32.to_ne_bytes().to_vec(),
            NDIS_STATUS_SUCCESS,
            NDIS_STATUS_NOT_ACCEPTED,
            9u32.to_ne_bytes().to_vec(),
        ),
    ];
    for (oid, valid, valid_status, garbage_status, garbage) in table {
        let result = sim.oid_set(adapter, oid, &valid);
        assert_eq!(result.status, valid_status, "{oid:#x} valid");
        if valid_status == NDIS_STATUS_SUCCESS {
            assert_eq!(result.bytes_written_or_read as usize, valid.len(), "{oid:#x} BytesRead");
        }
        if oid != OID_PNP_SET_POWER {
            let short = sim.oid_set(adapter, oid, &valid[..valid.len() - 1]);
            assert_eq!(short.status, NDIS_STATUS_INVALID_LENGTH, "{oid:#x} short");
            assert!(short.bytes_needed as usize >= valid.len(), "{oid:#x} BytesNeeded");
        }
        let mut long = valid.clone();
        long.extend_from_slice(&[0; 8]);
        let long_result = sim.oid_set(adapter, oid, &long);
        if oid == OID_802_3_MULTICAST_LIST {
            // 14 bytes is not a whole number of addresses.
            assert_eq!((long_result.status, long_result.bytes_needed), (NDIS_STATUS_INVALID_LENGTH, 18));
        } else {
            assert_eq!(long_result.status, valid_status, "{oid:#x} long");
        }
        assert_eq!(sim.oid_set(adapter, oid, &garbage).status, garbage_status, "{oid:#x} garbage");
    }
    // Sets of query-only OIDs and queries of set-only ones are not supported.
    assert_eq!(sim.oid_set(adapter, OID_GEN_STATISTICS, &[0; 152]).status, NDIS_STATUS_NOT_SUPPORTED);
    for oid in [OID_GEN_LINK_PARAMETERS, OID_PNP_CAPABILITIES, 0x0101_0208, 0xFF76_00FF, 0] {
        assert_eq!(sim.oid_query(adapter, oid, 64).status, NDIS_STATUS_NOT_SUPPORTED, "{oid:#x}");
        assert_eq!(sim.oid_set(adapter, oid, &[0; 8]).status, NDIS_STATUS_NOT_SUPPORTED, "{oid:#x}");
    }
    sim.remove_adapter(adapter);
    sim.unload();
    sim.assert_clean();
}

/// What the adapter declares about itself (`adapter/initialize.rs`): the MAC options NDIS reads
/// through `OID_GEN_MAC_OPTIONS`, and the registration attribute flags. Losing one changes what
/// NDIS does with the adapter (loop back for it, or refuse its surprise removal).
#[test]
fn declared_mac_options_and_attribute_flags() {
    let (sim, adapter) = running(41);
    let options = sim.oid_query(adapter, OID_GEN_MAC_OPTIONS, 4);
    assert_eq!(options.status, NDIS_STATUS_SUCCESS);
    let options = u32::from_ne_bytes(options.data[..4].try_into().unwrap());
    // Exactly these; 802.1p and 802.1Q because the default `*PriorityVLANTag` enables both
    // (tests/vlan.rs checks each setting).
    assert_eq!(
        options,
        NDIS_MAC_OPTION_COPY_LOOKAHEAD_DATA
            | NDIS_MAC_OPTION_TRANSFERS_NOT_PEND
            | NDIS_MAC_OPTION_NO_LOOPBACK
            | NDIS_MAC_OPTION_8021P_PRIORITY
            | NDIS_MAC_OPTION_8021Q_VLAN,
        "MAC options {options:#x}"
    );
    let flags = sim.registration_attributes(adapter).expect("registered").attribute_flags;
    use ndis_types::miniport::{
        NDIS_MINIPORT_ATTRIBUTES_NDIS_WDM, NDIS_MINIPORT_ATTRIBUTES_SURPRISE_REMOVE_OK,
    };
    for flag in [NDIS_MINIPORT_ATTRIBUTES_NDIS_WDM, NDIS_MINIPORT_ATTRIBUTES_SURPRISE_REMOVE_OK] {
        assert_eq!(flags & flag, flag, "attribute flag {flag:#x} in {flags:#x}");
    }
    sim.remove_adapter(adapter);
    sim.unload();
    sim.assert_clean();
}

/// The values of the identity and speed OIDs, not only their lengths: the NDIS version as a USHORT
/// (major in the high byte), the driver's version (major in the high word), the link speed in
/// units of 100 bit/s, and the lookahead bounds.
#[test]
fn versions_speed_and_lookahead_have_their_documented_values() {
    let (sim, adapter) = running(42);
    let u32_of = |oid| {
        let result = sim.oid_query(adapter, oid, 4);
        assert_eq!(result.status, NDIS_STATUS_SUCCESS, "{oid:#x}");
        u32::from_ne_bytes(result.data[..4].try_into().unwrap())
    };
    let ndis_version = sim.oid_query(adapter, OID_GEN_DRIVER_VERSION, 2);
    assert_eq!(u16::from_ne_bytes(ndis_version.data[..2].try_into().unwrap()), 0x061E, "NDIS 6.30");
    let major: u32 = env!("CARGO_PKG_VERSION_MAJOR").parse().unwrap();
    let minor: u32 = env!("CARGO_PKG_VERSION_MINOR").parse().unwrap();
    assert_eq!(u32_of(OID_GEN_VENDOR_DRIVER_VERSION), (major << 16) | minor);
    // The hub's ports run at 10 Gb/s: 10^10 / 100.
    assert_eq!(u32_of(OID_GEN_LINK_SPEED), 100_000_000);
    let lookahead = |value: u32| sim.oid_set(adapter, OID_GEN_CURRENT_LOOKAHEAD, &value.to_ne_bytes()).status;
    // The largest lookahead is OID_GEN_RECEIVE_BLOCK_SIZE (Doc oid-gen-maximum-lookahead): the
    // largest frame indicated, 1514 (a tag is stripped before).
    assert_eq!(u32_of(OID_GEN_MAXIMUM_LOOKAHEAD), u32_of(OID_GEN_RECEIVE_BLOCK_SIZE));
    assert_eq!(lookahead(1514), NDIS_STATUS_SUCCESS, "the largest frame is a valid lookahead");
    assert_eq!(u32_of(OID_GEN_CURRENT_LOOKAHEAD), 1514);
    assert_eq!(lookahead(1515), NDIS_STATUS_INVALID_DATA);
    assert_eq!(u32_of(OID_GEN_CURRENT_LOOKAHEAD), 1514, "a refused lookahead changes nothing");
    sim.remove_adapter(adapter);
    sim.unload();
    sim.assert_clean();
}
