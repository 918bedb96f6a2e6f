//! Scenarios: the miniport and the vwire PDO exchange control structures through METHOD_BUFFERED
//! system buffers; each side accepts exactly what the other encodes and names anything else.
#![allow(clippy::arithmetic_side_effects)]

use std::vec;
use std::vec::Vec;

use super::*;

fn encoded(f: impl Fn(&mut [u8]) -> Result<usize, ControlError>) -> Vec<u8> {
    let mut buf = vec![0xeeu8; 512];
    let n = f(&mut buf).unwrap();
    buf.truncate(n);
    buf
}

fn device_info() -> DeviceInfo {
    DeviceInfo {
        mac: [0x02, 0x56, 0x57, 0x00, 0x00, 0x01],
        mtu: 1500,
        max_batch_bytes: DEFAULT_MAX_BATCH_BYTES_U32,
        max_batch_frames: 256,
        protocol_version: PROTOCOL_VERSION,
    }
}

const DEFAULT_MAX_BATCH_BYTES_U32: u32 = crate::DEFAULT_MAX_BATCH_BYTES as u32;

fn counters() -> PortCounters {
    PortCounters {
        rx_frames: 1,
        rx_bytes: 2,
        tx_frames: 3,
        tx_bytes: 4,
        rx_dropped_queue_full: 5,
        tx_dropped_fault: 6,
        rx_corrupted_fault: 7,
        tx_errors: 8,
        rx_errors: u64::MAX,
    }
}

fn multicast() -> MulticastList {
    MulticastList::from_addresses(&[[0x01, 0x00, 0x5e, 0, 0, 1], [0x33, 0x33, 0, 0, 0, 1], [0xff; 6]])
        .unwrap()
}

fn link() -> LinkState {
    LinkState::new(7, true, true, 10_000_000_000)
}

fn set_u16(buf: &mut [u8], offset: usize, value: u16) {
    buf[offset..offset + 2].copy_from_slice(&value.to_le_bytes());
}

#[test]
fn ioctl_codes_are_ctl_code_of_the_network_device_type() {
    assert_eq!(IOCTL_VWIRE_QUERY_DEVICE, 0x0012_2000);
    assert_eq!(IOCTL_VWIRE_SET_PACKET_FILTER, 0x0012_2004);
    assert_eq!(IOCTL_VWIRE_SET_MULTICAST_LIST, 0x0012_2008);
    assert_eq!(IOCTL_VWIRE_QUERY_COUNTERS, 0x0012_200C);
    assert_eq!(IOCTL_VWIRE_WAIT_LINK_CHANGE, 0x0012_2010);
    // A well-known code as a check of the formula: IOCTL_DISK_GET_DRIVE_GEOMETRY = CTL_CODE(7, 0, 0, 0).
    assert_eq!(ctl_code(0x7, 0, METHOD_BUFFERED, FILE_ANY_ACCESS), 0x0007_0000);
    // FSCTL_LOCK_VOLUME = CTL_CODE(FILE_DEVICE_FILE_SYSTEM 9, 6, METHOD_BUFFERED, FILE_ANY_ACCESS).
    assert_eq!(ctl_code(9, 6, 0, 0), 0x0009_0018);
}

#[test]
fn every_structure_round_trips() {
    let buf = encoded(|o| device_info().encode(o));
    assert_eq!(buf.len(), DeviceInfo::ENCODED_LEN);
    assert_eq!(DeviceInfo::decode(&buf), Ok(device_info()));

    let buf = encoded(|o| PacketFilter { filter: 0x2b }.encode(o));
    assert_eq!(buf.len(), PacketFilter::ENCODED_LEN);
    assert_eq!(PacketFilter::decode(&buf), Ok(PacketFilter { filter: 0x2b }));

    let buf = encoded(|o| multicast().encode(o));
    assert_eq!(buf.len(), 8 + 3 * 6);
    assert_eq!(MulticastList::decode(&buf), Ok(multicast()));

    let buf = encoded(|o| MulticastList::new().encode(o));
    assert_eq!(buf.len(), MulticastList::HEADER_LEN);
    assert_eq!(MulticastList::decode(&buf), Ok(MulticastList::new()));

    let full: Vec<MacAddress> = (0..MAX_MULTICAST as u8).map(|i| [0x01, 0, 0x5e, 0, 0, i]).collect();
    let full = MulticastList::from_addresses(&full).unwrap();
    let buf = encoded(|o| full.encode(o));
    assert_eq!(buf.len(), MulticastList::MAX_ENCODED_LEN);
    assert_eq!(MulticastList::decode(&buf), Ok(full));

    let buf = encoded(|o| counters().encode(o));
    assert_eq!(buf.len(), PortCounters::ENCODED_LEN);
    assert_eq!(PortCounters::decode(&buf), Ok(counters()));

    let buf = encoded(|o| LinkWait { known_generation: 41 }.encode(o));
    assert_eq!(buf.len(), LinkWait::ENCODED_LEN);
    assert_eq!(LinkWait::decode(&buf), Ok(LinkWait { known_generation: 41 }));

    for state in [link(), LinkState::new(0, false, false, 0), LinkState::new(u32::MAX, true, false, 1)] {
        let buf = encoded(|o| state.encode(o));
        assert_eq!(buf.len(), LinkState::ENCODED_LEN);
        assert_eq!(LinkState::decode(&buf), Ok(state));
    }

    let buf = encoded(|o| ControlHeader { version: 1, length: 4 }.encode(o));
    assert_eq!(ControlHeader::decode(&buf), Ok(ControlHeader { version: 1, length: 4 }));
}

#[test]
fn layouts_are_the_documented_ones() {
    assert_eq!(
        encoded(|o| device_info().encode(o)),
        [1, 0, 20, 0, 0x02, 0x56, 0x57, 0, 0, 1, 0xdc, 0x05, 0, 0x40, 0, 0, 0, 1, 1, 0]
    );
    assert_eq!(encoded(|o| PacketFilter { filter: 0x0102_0304 }.encode(o)), [1, 0, 8, 0, 4, 3, 2, 1]);
    assert_eq!(
        encoded(|o| MulticastList::from_addresses(&[[1, 2, 3, 4, 5, 6]]).unwrap().encode(o)),
        [1, 0, 14, 0, 1, 0, 0, 0, 1, 2, 3, 4, 5, 6]
    );
    let c = encoded(|o| counters().encode(o));
    assert_eq!(&c[..8], [1, 0, 80, 0, 0, 0, 0, 0]);
    assert_eq!(&c[8..16], 1u64.to_le_bytes());
    assert_eq!(&c[72..80], u64::MAX.to_le_bytes());
    assert_eq!(
        encoded(|o| LinkWait { known_generation: 0x0a0b_0c0d }.encode(o)),
        [1, 0, 8, 0, 0xd, 0xc, 0xb, 0xa]
    );
    assert_eq!(
        encoded(|o| LinkState::new(5, true, false, 0x0102).encode(o)),
        [1, 0, 24, 0, 5, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 1, 0, 0, 0, 0, 0, 0]
    );
}

#[test]
fn a_truncated_structure_is_too_short() {
    let buf = encoded(|o| device_info().encode(o));
    assert_eq!(DeviceInfo::decode(&buf[..19]), Err(ControlError::TooShort { needed: 20, found: 19 }));
    assert_eq!(DeviceInfo::decode(&[]), Err(ControlError::TooShort { needed: 20, found: 0 }));
    assert_eq!(ControlHeader::decode(&[1, 0, 4]), Err(ControlError::TooShort { needed: 4, found: 3 }));
    let buf = encoded(|o| counters().encode(o));
    assert_eq!(PortCounters::decode(&buf[..79]), Err(ControlError::TooShort { needed: 80, found: 79 }));
    let buf = encoded(|o| link().encode(o));
    assert_eq!(LinkState::decode(&buf[..8]), Err(ControlError::TooShort { needed: 24, found: 8 }));
    let buf = encoded(|o| multicast().encode(o));
    assert_eq!(MulticastList::decode(&buf[..7]), Err(ControlError::TooShort { needed: 8, found: 7 }));
}

#[test]
fn an_unknown_version_is_refused() {
    type Decoder = fn(&[u8]) -> Result<(), ControlError>;
    let decoders: [Decoder; 6] = [
        |b| DeviceInfo::decode(b).map(drop),
        |b| PacketFilter::decode(b).map(drop),
        |b| MulticastList::decode(b).map(drop),
        |b| PortCounters::decode(b).map(drop),
        |b| LinkWait::decode(b).map(drop),
        |b| LinkState::decode(b).map(drop),
    ];
    let messages = [
        encoded(|o| device_info().encode(o)),
        encoded(|o| PacketFilter { filter: 1 }.encode(o)),
        encoded(|o| multicast().encode(o)),
        encoded(|o| counters().encode(o)),
        encoded(|o| LinkWait { known_generation: 1 }.encode(o)),
        encoded(|o| link().encode(o)),
    ];
    for (decode, mut msg) in decoders.into_iter().zip(messages) {
        assert_eq!(decode(&msg), Ok(()));
        set_u16(&mut msg, 0, 2);
        assert_eq!(decode(&msg), Err(ControlError::BadVersion { found: 2 }));
        set_u16(&mut msg, 0, 0);
        assert_eq!(decode(&msg), Err(ControlError::BadVersion { found: 0 }));
    }
}

#[test]
fn a_length_field_smaller_than_the_structure_is_refused() {
    let mut buf = encoded(|o| device_info().encode(o));
    set_u16(&mut buf, 2, 19);
    assert_eq!(DeviceInfo::decode(&buf), Err(ControlError::LengthTooSmall { length: 19, needed: 20 }));
    let mut buf = encoded(|o| LinkWait { known_generation: 1 }.encode(o));
    set_u16(&mut buf, 2, 0);
    assert_eq!(LinkWait::decode(&buf), Err(ControlError::LengthTooSmall { length: 0, needed: 8 }));
    // A multicast list whose length does not cover its count.
    let mut buf = encoded(|o| multicast().encode(o));
    set_u16(&mut buf, 2, 8 + 2 * 6);
    assert_eq!(MulticastList::decode(&buf), Err(ControlError::LengthTooSmall { length: 20, needed: 26 }));
    let mut buf = encoded(|o| multicast().encode(o));
    set_u16(&mut buf, 4, 4);
    buf.extend_from_slice(&[0x01; 6]);
    assert_eq!(MulticastList::decode(&buf), Err(ControlError::LengthTooSmall { length: 26, needed: 32 }));
}

#[test]
fn a_length_field_larger_than_the_buffer_is_refused() {
    let mut buf = encoded(|o| PacketFilter { filter: 1 }.encode(o));
    set_u16(&mut buf, 2, 9);
    assert_eq!(
        PacketFilter::decode(&buf),
        Err(ControlError::LengthExceedsBuffer { length: 9, buffer_len: 8 })
    );
    let mut buf = encoded(|o| link().encode(o));
    set_u16(&mut buf, 2, u16::MAX);
    assert_eq!(
        LinkState::decode(&buf),
        Err(ControlError::LengthExceedsBuffer { length: u16::MAX, buffer_len: 24 })
    );
}

#[test]
fn a_larger_buffer_and_length_are_accepted_and_the_excess_ignored() {
    // METHOD_BUFFERED buffers may be larger than the structure; `length` says how much is meant.
    let mut buf = encoded(|o| counters().encode(o));
    buf.extend_from_slice(&[0xff; 8]);
    assert_eq!(PortCounters::decode(&buf), Ok(counters()));
    set_u16(&mut buf, 2, 88);
    assert_eq!(PortCounters::decode(&buf), Ok(counters()));
}

#[test]
fn nonzero_reserved_fields_are_refused() {
    let mut buf = encoded(|o| counters().encode(o));
    buf[5] = 1;
    assert_eq!(PortCounters::decode(&buf), Err(ControlError::ReservedNonzero { offset: 4 }));
    let mut buf = encoded(|o| multicast().encode(o));
    buf[7] = 0x80;
    assert_eq!(MulticastList::decode(&buf), Err(ControlError::ReservedNonzero { offset: 6 }));
    let mut buf = encoded(|o| link().encode(o));
    buf[11] = 1;
    assert_eq!(LinkState::decode(&buf), Err(ControlError::ReservedNonzero { offset: 10 }));
    let mut buf = encoded(|o| link().encode(o));
    buf[15] = 1;
    assert_eq!(LinkState::decode(&buf), Err(ControlError::ReservedNonzero { offset: 12 }));
}

#[test]
fn a_boolean_byte_other_than_zero_or_one_is_refused() {
    let mut buf = encoded(|o| link().encode(o));
    buf[8] = 2;
    assert_eq!(LinkState::decode(&buf), Err(ControlError::BadBoolean { offset: 8, value: 2 }));
    let mut buf = encoded(|o| link().encode(o));
    buf[9] = 0xff;
    assert_eq!(LinkState::decode(&buf), Err(ControlError::BadBoolean { offset: 9, value: 0xff }));
}

#[test]
fn a_multicast_count_above_the_limit_is_refused() {
    let mut buf = encoded(|o| multicast().encode(o));
    set_u16(&mut buf, 4, 33);
    assert_eq!(MulticastList::decode(&buf), Err(ControlError::TooManyMulticast { count: 33 }));
    let many = [[0x01u8, 0, 0, 0, 0, 0]; 33];
    assert_eq!(MulticastList::from_addresses(&many), Err(ControlError::TooManyMulticast { count: 33 }));
    let mut full = MulticastList::from_addresses(&many[..32]).unwrap();
    assert_eq!(full.push([0x01; 6]), Err(ControlError::TooManyMulticast { count: 33 }));
    assert_eq!(full.count(), 32);
}

#[test]
fn an_individual_address_in_the_multicast_list_is_refused() {
    let mut buf = encoded(|o| multicast().encode(o));
    buf[8 + 6] = 0x32; // second entry 33:33:.. becomes 32:33:.., an individual address
    assert_eq!(MulticastList::decode(&buf), Err(ControlError::NotGroupAddress { index: 1 }));
    assert_eq!(
        MulticastList::from_addresses(&[[0x01; 6], [0x02; 6]]),
        Err(ControlError::NotGroupAddress { index: 1 })
    );
}

#[test]
fn encode_refuses_a_short_output_and_values_decode_would_refuse() {
    let mut small = [0u8; 25];
    assert_eq!(link().encode(&mut small[..23]), Err(ControlError::OutputTooSmall { needed: 24, found: 23 }));
    assert_eq!(multicast().encode(&mut small), Err(ControlError::OutputTooSmall { needed: 26, found: 25 }));
    let mut out = [0u8; 64];
    let bad_up = LinkState { up: 2, ..link() };
    assert_eq!(bad_up.encode(&mut out), Err(ControlError::BadBoolean { offset: 8, value: 2 }));
    let bad_duplex = LinkState { full_duplex: 3, ..link() };
    assert_eq!(bad_duplex.encode(&mut out), Err(ControlError::BadBoolean { offset: 9, value: 3 }));
    let bad_reserved = LinkState { reserved: 1, ..link() };
    assert_eq!(bad_reserved.encode(&mut out), Err(ControlError::ReservedNonzero { offset: 10 }));
}

#[test]
fn multicast_list_behaves_as_a_set_of_group_addresses() {
    let mut list = multicast();
    assert!(list.contains(&[0xff; 6]));
    assert!(!list.contains(&[0x01; 6]));
    assert_eq!(list.addresses().len(), 3);
    list.clear();
    assert!(list.is_empty());
    assert_eq!(list, MulticastList::default());
    assert!(is_group_address(&[0x01, 0, 0, 0, 0, 0]) && !is_group_address(&[0x02, 0, 0, 0, 0, 0]));
}

#[test]
fn link_state_booleans_read_as_bool() {
    assert!(link().is_up() && link().is_full_duplex());
    let down = LinkState::new(1, false, false, 0);
    assert!(!down.is_up() && !down.is_full_duplex());
    assert_eq!((down.up, down.full_duplex, down.reserved), (0, 0, 0));
}

#[test]
fn every_error_has_a_message() {
    use std::string::ToString;
    assert!(ControlError::NotGroupAddress { index: 3 }.to_string().contains('3'));
}
