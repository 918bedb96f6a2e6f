//! OID requests as NDIS issues them: mandatory OIDs, exact buffer semantics, and a supported list
//! that is exactly what the driver answers.

mod common;

use common::*;
use ndis_types::oid::*;
use ndis_types::*;

fn u32_of(data: &[u8]) -> u32 {
    u32::from_ne_bytes(data[..4].try_into().unwrap())
}

/// OIDs that only make sense as a set.
const SET_ONLY: [u32; 1] = [OID_PNP_SET_POWER];

#[test]
fn every_supported_oid_is_answered_and_nothing_else() {
    let (sim, ids) = with_adapters(40, 1);
    let adapter = ids[0];
    let supported = sim.general_attributes(adapter).expect("general attributes").supported_oids;
    assert!(!supported.is_empty());
    for &oid in &supported {
        if SET_ONLY.contains(&oid) {
            continue;
        }
        let result = if oid == OID_PNP_QUERY_POWER {
            // A query that carries the target device state (D3 = 4).
            sim.oid_query_with(adapter, oid, &4u32.to_ne_bytes())
        } else {
            sim.oid_query(adapter, oid, 256)
        };
        assert_eq!(result.status, NDIS_STATUS_SUCCESS, "query of supported OID {oid:#x}");
        assert!(result.bytes_written_or_read as usize <= 256);
    }
    for oid in [OID_PNP_CAPABILITIES, OID_GEN_MINIPORT_RESTART_ATTRIBUTES, 0xDEAD_BEEF] {
        assert!(!supported.contains(&oid));
        assert_eq!(sim.oid_query(adapter, oid, 64).status, NDIS_STATUS_NOT_SUPPORTED, "{oid:#x}");
    }
    for oid in [OID_GEN_CURRENT_PACKET_FILTER, OID_GEN_CURRENT_LOOKAHEAD, OID_802_3_MULTICAST_LIST] {
        assert!(supported.contains(&oid), "mandatory set OID {oid:#x} missing");
    }
    sim.remove_adapter(adapter);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn sixty_four_bit_counters_answer_zero_four_and_eight_byte_buffers() {
    let (sim, adapter) = running(41);
    for oid in [OID_GEN_XMIT_OK, OID_GEN_RCV_OK] {
        let empty = sim.oid_query(adapter, oid, 0);
        assert!(empty.status == NDIS_STATUS_BUFFER_TOO_SHORT || empty.status == NDIS_STATUS_INVALID_LENGTH);
        assert_eq!(empty.bytes_needed, 8);
        assert_eq!(empty.bytes_written_or_read, 0);
        let four = sim.oid_query(adapter, oid, 4);
        assert_eq!(four.status, NDIS_STATUS_SUCCESS);
        assert_eq!(four.bytes_written_or_read, 4);
        let eight = sim.oid_query(adapter, oid, 8);
        assert_eq!(eight.status, NDIS_STATUS_SUCCESS);
        assert_eq!(eight.bytes_written_or_read, 8);
    }
    sim.remove_adapter(adapter);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn statistics_come_as_a_versioned_ndis_statistics_info() {
    let (sim, ids) = with_adapters(42, 1);
    let adapter = ids[0];
    sim.send(adapter, 5, 60);
    sim.run_until_idle();
    let short = sim.oid_query(adapter, OID_GEN_STATISTICS, 100);
    assert_eq!(short.status, NDIS_STATUS_BUFFER_TOO_SHORT);
    assert_eq!(short.bytes_needed, 152);
    let stats = sim.oid_query(adapter, OID_GEN_STATISTICS, 200);
    assert_eq!(stats.status, NDIS_STATUS_SUCCESS);
    assert_eq!(stats.bytes_written_or_read, 152);
    assert_eq!(&stats.data[..4], &[0x80, 1, 152, 0], "NDIS_OBJECT_TYPE_DEFAULT, revision 1, size 152");
    let out_discards = u64::from_ne_bytes(stats.data[96..104].try_into().unwrap());
    assert_eq!(out_discards, 5, "ifOutDiscards counts the sends refused while paused");
    sim.remove_adapter(adapter);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn addresses_and_sizes() {
    let (sim, ids) = with_adapters(43, 1);
    let adapter = ids[0];
    let attributes = sim.general_attributes(adapter).expect("general attributes");
    let current = sim.oid_query(adapter, ndis_types::oid::OID_802_3_CURRENT_ADDRESS, 6);
    assert_eq!(current.status, NDIS_STATUS_SUCCESS);
    assert_eq!(current.data[..6], attributes.current_mac_address[..6]);
    let short = sim.oid_query(adapter, OID_802_3_PERMANENT_ADDRESS, 5);
    assert_eq!(short.status, NDIS_STATUS_BUFFER_TOO_SHORT);
    assert_eq!(short.bytes_needed, 6);
    assert_eq!(u32_of(&sim.oid_query(adapter, OID_GEN_MAXIMUM_TOTAL_SIZE, 4).data), 1514);
    assert_eq!(u32_of(&sim.oid_query(adapter, OID_GEN_MAXIMUM_FRAME_SIZE, 4).data), 1500);
    assert_eq!(u32_of(&sim.oid_query(adapter, OID_802_3_MAXIMUM_LIST_SIZE, 4).data), 32);
    sim.remove_adapter(adapter);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn packet_filter_lookahead_and_multicast_sets() {
    let (sim, ids) = with_adapters(44, 1);
    let adapter = ids[0];
    let filter = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST | NDIS_PACKET_TYPE_MULTICAST;
    let set = sim.oid_set(adapter, OID_GEN_CURRENT_PACKET_FILTER, &filter.to_ne_bytes());
    assert_eq!((set.status, set.bytes_written_or_read), (NDIS_STATUS_SUCCESS, 4));
    assert_eq!(u32_of(&sim.oid_query(adapter, OID_GEN_CURRENT_PACKET_FILTER, 4).data), filter);
    let short = sim.oid_set(adapter, OID_GEN_CURRENT_PACKET_FILTER, &[1, 0]);
    assert_eq!((short.status, short.bytes_needed), (NDIS_STATUS_INVALID_LENGTH, 4));
    // An unsupported filter bit (source routing) is refused, and the filter stays.
    assert_eq!(
        sim.oid_set(adapter, OID_GEN_CURRENT_PACKET_FILTER, &0x10u32.to_ne_bytes()).status,
        NDIS_STATUS_NOT_SUPPORTED
    );
    assert_eq!(u32_of(&sim.oid_query(adapter, OID_GEN_CURRENT_PACKET_FILTER, 4).data), filter);

    assert_eq!(
        sim.oid_set(adapter, OID_GEN_CURRENT_LOOKAHEAD, &128u32.to_ne_bytes()).status,
        NDIS_STATUS_SUCCESS
    );
    assert_eq!(u32_of(&sim.oid_query(adapter, OID_GEN_CURRENT_LOOKAHEAD, 4).data), 128);
    assert_eq!(
        sim.oid_set(adapter, OID_GEN_CURRENT_LOOKAHEAD, &9000u32.to_ne_bytes()).status,
        NDIS_STATUS_INVALID_DATA
    );

    let list = [0x01, 0x00, 0x5E, 0, 0, 1, 0x33, 0x33, 0, 0, 0, 1];
    let set = sim.oid_set(adapter, OID_802_3_MULTICAST_LIST, &list);
    assert_eq!((set.status, set.bytes_written_or_read), (NDIS_STATUS_SUCCESS, 12));
    let query = sim.oid_query(adapter, OID_802_3_MULTICAST_LIST, 64);
    assert_eq!(&query.data[..query.bytes_written_or_read as usize], &list);
    let ragged = sim.oid_set(adapter, OID_802_3_MULTICAST_LIST, &list[..7]);
    assert_eq!((ragged.status, ragged.bytes_needed), (NDIS_STATUS_INVALID_LENGTH, 12));
    let unicast = sim.oid_set(adapter, OID_802_3_MULTICAST_LIST, &[0x02, 0, 0, 0, 0, 1]);
    assert_eq!(unicast.status, NDIS_STATUS_INVALID_DATA);
    let too_many = vec![0x01u8; 6 * 33];
    assert_eq!(sim.oid_set(adapter, OID_802_3_MULTICAST_LIST, &too_many).status, NDIS_STATUS_MULTICAST_FULL);
    // The accepted list is untouched by the refused ones.
    let query = sim.oid_query(adapter, OID_802_3_MULTICAST_LIST, 64);
    assert_eq!(query.bytes_written_or_read, 12);

    assert_eq!(
        sim.oid_set(adapter, OID_GEN_INTERRUPT_MODERATION, &[0x80, 1, 12, 0, 0, 0, 0, 0, 2, 0, 0, 0]).status,
        NDIS_STATUS_INVALID_DATA
    );
    for state in 1u32..=4 {
        assert_eq!(sim.oid_set(adapter, OID_PNP_SET_POWER, &state.to_ne_bytes()).status, NDIS_STATUS_SUCCESS);
    }
    assert_eq!(sim.oid_set(adapter, OID_PNP_SET_POWER, &[1]).status, NDIS_STATUS_NOT_ACCEPTED);
    // Not supported: a set would have to reconfigure the link, which *SpeedDuplex does.
    let mut link = [0u8; 32];
    link[..4].copy_from_slice(&[0x80, 1, 32, 0]);
    assert_eq!(sim.oid_set(adapter, OID_GEN_LINK_PARAMETERS, &link).status, NDIS_STATUS_NOT_SUPPORTED);
    sim.remove_adapter(adapter);
    sim.unload();
    sim.assert_clean();
}

/// What a set OID configures reaches the device below: the port's own filter and multicast list
/// (`IOCTL_VWIRE_SET_PACKET_FILTER`, `IOCTL_VWIRE_SET_MULTICAST_LIST`) equal what NDIS set, and a
/// refused set changes neither. The multicast list at its bounds ("OID_802_3_MULTICAST_LIST"):
/// exactly `OID_802_3_MAXIMUM_LIST_SIZE` entries is accepted, one more is
/// NDIS_STATUS_MULTICAST_FULL, an empty list clears it, and a length that is not a multiple of 6 is
/// NDIS_STATUS_INVALID_LENGTH.
#[test]
fn the_packet_filter_and_multicast_list_reach_the_device() {
    let (sim, ids) = with_adapters(45, 1);
    let adapter = ids[0];
    let max = u32_of(&sim.oid_query(adapter, OID_802_3_MAXIMUM_LIST_SIZE, 4).data) as usize;
    assert_eq!(max, 32);

    for filter in [
        NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST,
        NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_MULTICAST | NDIS_PACKET_TYPE_BROADCAST,
        NDIS_PACKET_TYPE_PROMISCUOUS,
        0,
        NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_ALL_MULTICAST,
    ] {
        let set = sim.oid_set(adapter, OID_GEN_CURRENT_PACKET_FILTER, &filter.to_ne_bytes());
        assert_eq!(set.status, NDIS_STATUS_SUCCESS, "filter {filter:#x}");
        assert_eq!(sim.hub_packet_filter(adapter), Some(filter), "the device has filter {filter:#x}");
    }
    let kept = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_ALL_MULTICAST;
    assert_eq!(
        sim.oid_set(adapter, OID_GEN_CURRENT_PACKET_FILTER, &0x10u32.to_ne_bytes()).status,
        NDIS_STATUS_NOT_SUPPORTED
    );
    assert_eq!(
        sim.oid_set(adapter, OID_GEN_CURRENT_PACKET_FILTER, &[1, 0]).status,
        NDIS_STATUS_INVALID_LENGTH
    );
    assert_eq!(sim.hub_packet_filter(adapter), Some(kept), "a refused filter does not reach the device");

    let group = |i: usize| [0x01, 0x00, 0x5E, 0x00, (i >> 8) as u8, i as u8];
    let list = |n: usize| (0..n).flat_map(group).collect::<Vec<u8>>();
    let on_device = |n: usize| (0..n).map(group).collect::<Vec<[u8; 6]>>();
    let full = sim.oid_set(adapter, OID_802_3_MULTICAST_LIST, &list(max));
    assert_eq!((full.status, full.bytes_written_or_read), (NDIS_STATUS_SUCCESS, 6 * max as u32));
    assert_eq!(sim.hub_multicast_list(adapter), Some(on_device(max)), "exactly the maximum is kept");
    let query = sim.oid_query(adapter, OID_802_3_MULTICAST_LIST, 6 * max);
    assert_eq!(query.data[..query.bytes_written_or_read as usize], list(max)[..]);

    let over = sim.oid_set(adapter, OID_802_3_MULTICAST_LIST, &list(max + 1));
    assert_eq!(over.status, NDIS_STATUS_MULTICAST_FULL);
    assert_eq!(sim.hub_multicast_list(adapter), Some(on_device(max)), "a refused list changes nothing below");

    let three = sim.oid_set(adapter, OID_802_3_MULTICAST_LIST, &list(3));
    assert_eq!(three.status, NDIS_STATUS_SUCCESS);
    assert_eq!(sim.hub_multicast_list(adapter), Some(on_device(3)));

    for ragged in [1usize, 5, 7, 6 * max + 1] {
        let set = sim.oid_set(adapter, OID_802_3_MULTICAST_LIST, &vec![0x01; ragged]);
        assert_eq!(set.status, NDIS_STATUS_INVALID_LENGTH, "{ragged} bytes");
        assert_eq!(set.bytes_needed as usize, ragged.div_ceil(6) * 6, "{ragged} bytes");
        assert_eq!(sim.hub_multicast_list(adapter), Some(on_device(3)), "{ragged} bytes");
    }

    let empty = sim.oid_set(adapter, OID_802_3_MULTICAST_LIST, &[]);
    assert_eq!((empty.status, empty.bytes_written_or_read), (NDIS_STATUS_SUCCESS, 0));
    assert_eq!(sim.hub_multicast_list(adapter), Some(Vec::new()), "an empty list clears the device's");
    assert_eq!(sim.oid_query(adapter, OID_802_3_MULTICAST_LIST, 6 * max).bytes_written_or_read, 0);

    sim.remove_adapter(adapter);
    sim.unload();
    sim.assert_clean();
}
