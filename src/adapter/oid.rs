//! OID requests (Doc `mandatory-oids-for-miniport-drivers`, `802-3-oids`).
//!
//! Every request is answered before `MiniportOidRequest` returns, from the adapter's state. Buffer
//! rules: a query whose buffer is too small gets `NDIS_STATUS_BUFFER_TOO_SHORT` and `BytesNeeded`;
//! a set whose buffer is too short gets `NDIS_STATUS_INVALID_LENGTH` and `BytesNeeded`; 64-bit
//! counters are answered in 4 bytes when that is all the buffer holds (NDIS test `1c_64BitOIDs`);
//! an OID not in [`SUPPORTED_OIDS`] gets `NDIS_STATUS_NOT_SUPPORTED`, except the vendor OID
//! [`OID_VWIRE_DRIVER_COUNTERS`]: answered, not listed, since a listed vendor OID without a WMI
//! GUID mapping fails the HLK's `1c_WMICoverage` (virtio-win's NetKVM stopped listing its own).

use super::vlan::MAX_VLAN_ID;
use super::{Adapter, MAX_MULTICAST_ADDRESSES, SUPPORTED_PACKET_FILTERS, load};
use crate::lower::{BATCH_BUFFER_SIZE, READ_REQUESTS, WRITE_REQUESTS};
use crate::oid_request::OidRequestView;
use crate::version::{DRIVER_MAJOR_VERSION, DRIVER_MINOR_VERSION, NDIS_MAJOR_VERSION, NDIS_MINOR_VERSION};
use ndis_types::miniport::{ETH_LENGTH_OF_ADDRESS, NDIS_MEDIUM_802_3, NDIS_PHYSICAL_MEDIUM_802_3};
use ndis_types::object::{
    NDIS_INTERRUPT_MODERATION_PARAMETERS_REVISION_1, NDIS_OBJECT_TYPE_DEFAULT,
    NDIS_SIZEOF_INTERRUPT_MODERATION_PARAMETERS_REVISION_1, NDIS_SIZEOF_STATISTICS_INFO_REVISION_1,
    NDIS_STATISTICS_INFO_REVISION_1, NdisObjectHeader,
};
use ndis_types::oid::{
    NDIS_INTERRUPT_MODERATION_NOT_SUPPORTED, NDIS_REQUEST_QUERY_INFORMATION, NDIS_REQUEST_QUERY_STATISTICS,
    NDIS_REQUEST_SET_INFORMATION, NDIS_STATISTICS_FLAGS_VALID_BROADCAST_BYTES_RCV,
    NDIS_STATISTICS_FLAGS_VALID_BROADCAST_BYTES_XMIT, NDIS_STATISTICS_FLAGS_VALID_BROADCAST_FRAMES_RCV,
    NDIS_STATISTICS_FLAGS_VALID_BROADCAST_FRAMES_XMIT, NDIS_STATISTICS_FLAGS_VALID_BYTES_RCV,
    NDIS_STATISTICS_FLAGS_VALID_BYTES_XMIT, NDIS_STATISTICS_FLAGS_VALID_DIRECTED_BYTES_RCV,
    NDIS_STATISTICS_FLAGS_VALID_DIRECTED_BYTES_XMIT, NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_RCV,
    NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_XMIT, NDIS_STATISTICS_FLAGS_VALID_MULTICAST_BYTES_RCV,
    NDIS_STATISTICS_FLAGS_VALID_MULTICAST_BYTES_XMIT, NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_RCV,
    NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_XMIT, NDIS_STATISTICS_FLAGS_VALID_RCV_DISCARDS,
    NDIS_STATISTICS_FLAGS_VALID_RCV_ERROR, NDIS_STATISTICS_FLAGS_VALID_XMIT_DISCARDS,
    NDIS_STATISTICS_FLAGS_VALID_XMIT_ERROR, NdisOid, OID_802_3_CURRENT_ADDRESS, OID_802_3_MAC_OPTIONS,
    OID_802_3_MAXIMUM_LIST_SIZE, OID_802_3_MULTICAST_LIST, OID_802_3_PERMANENT_ADDRESS,
    OID_GEN_CURRENT_LOOKAHEAD, OID_GEN_CURRENT_PACKET_FILTER, OID_GEN_DRIVER_VERSION,
    OID_GEN_HARDWARE_STATUS, OID_GEN_INTERRUPT_MODERATION, OID_GEN_LINK_SPEED, OID_GEN_MAC_OPTIONS,
    OID_GEN_MAXIMUM_FRAME_SIZE, OID_GEN_MAXIMUM_LOOKAHEAD, OID_GEN_MAXIMUM_TOTAL_SIZE,
    OID_GEN_MEDIA_CONNECT_STATUS, OID_GEN_MEDIA_IN_USE, OID_GEN_MEDIA_SUPPORTED, OID_GEN_PHYSICAL_MEDIUM,
    OID_GEN_RCV_DISCARDS, OID_GEN_RCV_ERROR, OID_GEN_RCV_NO_BUFFER, OID_GEN_RCV_OK,
    OID_GEN_RECEIVE_BLOCK_SIZE, OID_GEN_RECEIVE_BUFFER_SPACE, OID_GEN_STATISTICS, OID_GEN_SUPPORTED_LIST,
    OID_GEN_TRANSMIT_BLOCK_SIZE, OID_GEN_TRANSMIT_BUFFER_SPACE, OID_GEN_VENDOR_DESCRIPTION,
    OID_GEN_VENDOR_DRIVER_VERSION, OID_GEN_VENDOR_ID, OID_GEN_VLAN_ID, OID_GEN_XMIT_DISCARDS,
    OID_GEN_XMIT_ERROR, OID_GEN_XMIT_OK, OID_PNP_QUERY_POWER, OID_PNP_SET_POWER,
};
use ndis_types::status::{
    NDIS_STATUS_BUFFER_TOO_SHORT, NDIS_STATUS_INVALID_DATA, NDIS_STATUS_INVALID_LENGTH,
    NDIS_STATUS_MULTICAST_FULL, NDIS_STATUS_NOT_ACCEPTED, NDIS_STATUS_NOT_SUPPORTED, NDIS_STATUS_SUCCESS,
    NdisStatus,
};
use vwire_proto::MulticastList;

/// Exactly the OIDs this module answers; NDIS publishes it as `OID_GEN_SUPPORTED_LIST`. The last,
/// `OID_GEN_VLAN_ID`, only with VLANs enabled ([`supported_oids`]). Not `OID_GEN_LINK_PARAMETERS`
/// (optional, Doc `oid-gen-link-parameters`): a set must reconfigure the link, and speed and duplex
/// come from `*SpeedDuplex`, which NDIS applies by restarting the adapter.
pub static SUPPORTED_OIDS: [NdisOid; 38] = [
    OID_GEN_SUPPORTED_LIST,
    OID_GEN_HARDWARE_STATUS,
    OID_GEN_MEDIA_SUPPORTED,
    OID_GEN_MEDIA_IN_USE,
    OID_GEN_PHYSICAL_MEDIUM,
    OID_GEN_MAXIMUM_LOOKAHEAD,
    OID_GEN_CURRENT_LOOKAHEAD,
    OID_GEN_MAXIMUM_FRAME_SIZE,
    OID_GEN_MAXIMUM_TOTAL_SIZE,
    OID_GEN_TRANSMIT_BLOCK_SIZE,
    OID_GEN_RECEIVE_BLOCK_SIZE,
    OID_GEN_TRANSMIT_BUFFER_SPACE,
    OID_GEN_RECEIVE_BUFFER_SPACE,
    OID_GEN_VENDOR_ID,
    OID_GEN_VENDOR_DESCRIPTION,
    OID_GEN_VENDOR_DRIVER_VERSION,
    OID_GEN_DRIVER_VERSION,
    OID_GEN_MAC_OPTIONS,
    OID_GEN_LINK_SPEED,
    OID_GEN_MEDIA_CONNECT_STATUS,
    OID_GEN_CURRENT_PACKET_FILTER,
    OID_GEN_INTERRUPT_MODERATION,
    OID_GEN_XMIT_OK,
    OID_GEN_RCV_OK,
    OID_GEN_XMIT_ERROR,
    OID_GEN_RCV_ERROR,
    OID_GEN_RCV_NO_BUFFER,
    OID_GEN_RCV_DISCARDS,
    OID_GEN_XMIT_DISCARDS,
    OID_GEN_STATISTICS,
    OID_802_3_PERMANENT_ADDRESS,
    OID_802_3_CURRENT_ADDRESS,
    OID_802_3_MULTICAST_LIST,
    OID_802_3_MAXIMUM_LIST_SIZE,
    OID_802_3_MAC_OPTIONS,
    OID_PNP_QUERY_POWER,
    OID_PNP_SET_POWER,
    OID_GEN_VLAN_ID,
];

// `supported_oids` leaves out the last entry without VLANs: it must be OID_GEN_VLAN_ID.
const _: () = assert!(matches!(SUPPORTED_OIDS.last(), Some(&OID_GEN_VLAN_ID)));

/// The supported list: all of [`SUPPORTED_OIDS`] with VLANs enabled, else without its last.
pub fn supported_oids(vlan: bool) -> &'static [NdisOid] {
    let without_vlan = SUPPORTED_OIDS.len().saturating_sub(1);
    SUPPORTED_OIDS.get(..if vlan { SUPPORTED_OIDS.len() } else { without_vlan }).unwrap_or(&[])
}

/// `OID_GEN_VENDOR_DESCRIPTION`: a NUL-terminated ANSI string.
const VENDOR_DESCRIPTION: &[u8] = b"kmdf-miniport virtual Ethernet adapter\0";
/// `OID_GEN_VENDOR_ID`: the low 3 bytes are an IEEE OUI, the high byte a vendor NIC id. The
/// adapter's addresses are locally administered; 0xFFFFFF is "no OUI".
const VENDOR_ID: u32 = 0x00FF_FFFF;
/// `NDIS_HARDWARE_STATUS::NdisHardwareStatusReady`.
const HARDWARE_STATUS_READY: u32 = 0;
/// `NDIS_MEDIA_STATE`: connected 0, disconnected 1.
const MEDIA_STATE_CONNECTED: u32 = 0;
const MEDIA_STATE_DISCONNECTED: u32 = 1;
use super::power::{DEVICE_STATE_D0, DEVICE_STATE_D3};

/// What the request comes to: the status and the counts written back into it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OidOutcome {
    pub status: NdisStatus,
    /// `BytesWritten` for a query, `BytesRead` for a set.
    pub bytes_transferred: u32,
    pub bytes_needed: u32,
}

impl OidOutcome {
    pub(super) fn done(bytes: usize) -> Self {
        Self { status: NDIS_STATUS_SUCCESS, bytes_transferred: to_u32(bytes), bytes_needed: 0 }
    }

    pub(super) fn failed(status: NdisStatus) -> Self {
        Self { status, bytes_transferred: 0, bytes_needed: 0 }
    }

    fn needs(status: NdisStatus, bytes: usize) -> Self {
        Self { status, bytes_transferred: 0, bytes_needed: to_u32(bytes) }
    }
}

fn to_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// Dispatch on the request type.
pub fn oid_request(adapter: &Adapter, request: OidRequestView<'_>) -> OidOutcome {
    if adapter.state.lock().surprise_removed {
        return OidOutcome::failed(NDIS_STATUS_NOT_ACCEPTED);
    }
    match request.request_type {
        NDIS_REQUEST_QUERY_INFORMATION | NDIS_REQUEST_QUERY_STATISTICS => {
            query(adapter, request.oid, request.buffer)
        }
        NDIS_REQUEST_SET_INFORMATION => set(adapter, request.oid, request.buffer),
        _ => OidOutcome::failed(NDIS_STATUS_NOT_SUPPORTED),
    }
}

/// Copy `value` into the buffer, or say how much room it needs.
fn answer(buffer: &mut [u8], value: &[u8]) -> OidOutcome {
    match buffer.get_mut(..value.len()) {
        Some(destination) => {
            destination.copy_from_slice(value);
            OidOutcome::done(value.len())
        }
        None => OidOutcome::needs(NDIS_STATUS_BUFFER_TOO_SHORT, value.len()),
    }
}

/// Fill the first `length` bytes of the buffer in place with `fill`, or say how much room it needs.
/// Large answers are written straight into NDIS's buffer, never built on the stack first.
fn answer_with(buffer: &mut [u8], length: usize, fill: impl FnOnce(&mut [u8])) -> OidOutcome {
    match buffer.get_mut(..length) {
        Some(destination) => {
            destination.fill(0);
            fill(destination);
            OidOutcome::done(length)
        }
        None => OidOutcome::needs(NDIS_STATUS_BUFFER_TOO_SHORT, length),
    }
}

fn answer_u32(buffer: &mut [u8], value: u32) -> OidOutcome {
    answer(buffer, &value.to_ne_bytes())
}

/// A 64-bit counter: 8 bytes when the buffer holds them, else the low 32 bits in 4 bytes with
/// `BytesNeeded` 8, else too short.
fn answer_counter(buffer: &mut [u8], value: u64) -> OidOutcome {
    if buffer.len() >= 8 {
        return answer(buffer, &value.to_ne_bytes());
    }
    let low = u32::try_from(value & u64::from(u32::MAX)).unwrap_or(u32::MAX);
    match buffer.get_mut(..4) {
        Some(destination) => {
            destination.copy_from_slice(&low.to_ne_bytes());
            OidOutcome { status: NDIS_STATUS_SUCCESS, bytes_transferred: 4, bytes_needed: 8 }
        }
        None => OidOutcome::needs(NDIS_STATUS_BUFFER_TOO_SHORT, 8),
    }
}

fn read_u32(buffer: &[u8]) -> Option<u32> {
    let bytes: [u8; 4] = buffer.get(..4)?.try_into().ok()?;
    Some(u32::from_ne_bytes(bytes))
}

fn query(adapter: &Adapter, oid: NdisOid, buffer: &mut [u8]) -> OidOutcome {
    let counters = &adapter.counters;
    let (link, packet_filter, lookahead) = {
        let state = adapter.state.lock();
        (state.link, state.filter.packet_filter, state.lookahead)
    };
    let media_connected = link.up;
    let max_total = adapter.max_total_size();
    let buffer_space = u32::try_from(BATCH_BUFFER_SIZE.saturating_mul(WRITE_REQUESTS)).unwrap_or(u32::MAX);
    // Frames are received into the read buffers and indicated from there.
    let receive_space = u32::try_from(BATCH_BUFFER_SIZE.saturating_mul(READ_REQUESTS)).unwrap_or(u32::MAX);
    match oid {
        OID_GEN_SUPPORTED_LIST => {
            answer_with(buffer, adapter.supported_oids().len().saturating_mul(4), |bytes| {
                for (chunk, oid) in bytes.chunks_exact_mut(4).zip(adapter.supported_oids().iter()) {
                    chunk.copy_from_slice(&oid.to_ne_bytes());
                }
            })
        }
        OID_GEN_HARDWARE_STATUS => answer_u32(buffer, HARDWARE_STATUS_READY),
        OID_GEN_MEDIA_SUPPORTED | OID_GEN_MEDIA_IN_USE => answer_u32(buffer, NDIS_MEDIUM_802_3 as u32),
        OID_GEN_PHYSICAL_MEDIUM => answer_u32(buffer, NDIS_PHYSICAL_MEDIUM_802_3 as u32),
        OID_GEN_MAXIMUM_LOOKAHEAD => answer_u32(buffer, adapter.max_total_size()),
        OID_GEN_CURRENT_LOOKAHEAD => answer_u32(buffer, lookahead),
        OID_GEN_MAXIMUM_FRAME_SIZE => answer_u32(buffer, adapter.mtu),
        OID_GEN_MAXIMUM_TOTAL_SIZE | OID_GEN_TRANSMIT_BLOCK_SIZE | OID_GEN_RECEIVE_BLOCK_SIZE => {
            answer_u32(buffer, max_total)
        }
        OID_GEN_TRANSMIT_BUFFER_SPACE => answer_u32(buffer, buffer_space),
        OID_GEN_RECEIVE_BUFFER_SPACE => answer_u32(buffer, receive_space),
        OID_GEN_VENDOR_ID => answer_u32(buffer, VENDOR_ID),
        OID_GEN_VENDOR_DESCRIPTION => answer(buffer, VENDOR_DESCRIPTION),
        OID_GEN_VENDOR_DRIVER_VERSION => {
            answer_u32(buffer, (u32::from(DRIVER_MAJOR_VERSION) << 16) | u32::from(DRIVER_MINOR_VERSION))
        }
        // A USHORT: major in the high byte, minor in the low byte.
        OID_GEN_DRIVER_VERSION => {
            let version = (u16::from(NDIS_MAJOR_VERSION) << 8) | u16::from(NDIS_MINOR_VERSION);
            answer(buffer, &version.to_ne_bytes())
        }
        OID_GEN_MAC_OPTIONS => answer_u32(buffer, adapter.mac_options()),
        OID_GEN_VLAN_ID if adapter.tagging.vlan => {
            let vlan_id = adapter.state.lock().filter.vlan_id;
            answer_u32(buffer, u32::from(vlan_id))
        }
        // In units of 100 bit/s; 0 while there is no link.
        OID_GEN_LINK_SPEED => {
            let speed =
                if media_connected { u32::try_from(link.speed_bps / 100).unwrap_or(u32::MAX) } else { 0 };
            answer_u32(buffer, speed)
        }
        OID_GEN_MEDIA_CONNECT_STATUS => {
            answer_u32(buffer, if media_connected { MEDIA_STATE_CONNECTED } else { MEDIA_STATE_DISCONNECTED })
        }
        OID_GEN_CURRENT_PACKET_FILTER => answer_u32(buffer, packet_filter),
        OID_GEN_INTERRUPT_MODERATION => {
            let mut parameters = [0u8; 12];
            let header = NdisObjectHeader::new(
                NDIS_OBJECT_TYPE_DEFAULT,
                NDIS_INTERRUPT_MODERATION_PARAMETERS_REVISION_1,
                NDIS_SIZEOF_INTERRUPT_MODERATION_PARAMETERS_REVISION_1,
            );
            write_header(&mut parameters, header);
            put_u32(&mut parameters, 4, 0);
            put_u32(&mut parameters, 8, NDIS_INTERRUPT_MODERATION_NOT_SUPPORTED as u32);
            answer(buffer, &parameters)
        }
        OID_GEN_XMIT_OK => answer_counter(buffer, load(&counters.xmit_ok)),
        OID_GEN_RCV_OK => answer_counter(buffer, load(&counters.rcv_ok)),
        OID_GEN_XMIT_ERROR => answer_counter(buffer, load(&counters.xmit_error)),
        OID_GEN_RCV_ERROR => answer_counter(buffer, load(&counters.rcv_error)),
        OID_GEN_RCV_NO_BUFFER => answer_counter(buffer, load(&counters.rcv_no_buffer)),
        OID_GEN_RCV_DISCARDS => answer_counter(buffer, load(&counters.rcv_discards)),
        OID_GEN_XMIT_DISCARDS => answer_counter(buffer, load(&counters.xmit_discards)),
        OID_GEN_STATISTICS => answer_with(buffer, STATISTICS_INFO_SIZE, |bytes| statistics(adapter, bytes)),
        OID_VWIRE_DRIVER_COUNTERS => {
            answer_with(buffer, DRIVER_COUNTERS * 8, |bytes| driver_counters(adapter, bytes))
        }
        OID_802_3_PERMANENT_ADDRESS => answer(buffer, &adapter.permanent_address),
        OID_802_3_CURRENT_ADDRESS => answer(buffer, &adapter.current_address),
        OID_802_3_MULTICAST_LIST => query_multicast_list(adapter, buffer),
        OID_802_3_MAXIMUM_LIST_SIZE => answer_u32(buffer, MAX_MULTICAST_ADDRESSES as u32),
        OID_802_3_MAC_OPTIONS => answer_u32(buffer, 0),
        // NDIS asks before a power transition; the adapter holds nothing that would stop one (NDIS
        // pauses it first). The buffer carries the target NDIS_DEVICE_POWER_STATE.
        OID_PNP_QUERY_POWER => match read_u32(buffer) {
            Some(DEVICE_STATE_D0..=DEVICE_STATE_D3) => OidOutcome::done(0),
            Some(_) => OidOutcome::failed(NDIS_STATUS_INVALID_DATA),
            None => OidOutcome::needs(NDIS_STATUS_BUFFER_TOO_SHORT, 4),
        },
        _ => OidOutcome::failed(NDIS_STATUS_NOT_SUPPORTED),
    }
}

/// `OID_802_3_MULTICAST_LIST` query. The list is copied out of the lock first: NDIS's buffer may be
/// pageable, and is never touched at DISPATCH_LEVEL.
fn query_multicast_list(adapter: &Adapter, buffer: &mut [u8]) -> OidOutcome {
    let multicast = adapter.state.lock().filter.multicast;
    let list = multicast.addresses();
    answer_with(buffer, list.len().saturating_mul(ETH_LENGTH_OF_ADDRESS), |bytes| {
        for (chunk, address) in bytes.chunks_exact_mut(ETH_LENGTH_OF_ADDRESS).zip(list) {
            chunk.copy_from_slice(address);
        }
    })
}

fn set(adapter: &Adapter, oid: NdisOid, buffer: &[u8]) -> OidOutcome {
    match oid {
        OID_GEN_CURRENT_PACKET_FILTER => {
            let Some(filter) = read_u32(buffer) else {
                return OidOutcome::needs(NDIS_STATUS_INVALID_LENGTH, 4);
            };
            if filter & !SUPPORTED_PACKET_FILTERS != 0 {
                return OidOutcome::failed(NDIS_STATUS_NOT_SUPPORTED);
            }
            // The port learns it too (its "hardware" filter); the miniport filters regardless.
            if let Err(status) = adapter.lower.set_packet_filter(filter) {
                return OidOutcome::failed(status);
            }
            adapter.state.lock().filter.packet_filter = filter;
            OidOutcome::done(4)
        }
        // NDIS_VLAN_ID: the ID in the low 12 bits, the rest reserved and zero (Doc oid-gen-vlan-id).
        OID_GEN_VLAN_ID if adapter.tagging.vlan => {
            let Some(value) = read_u32(buffer) else {
                return OidOutcome::needs(NDIS_STATUS_INVALID_LENGTH, 4);
            };
            match u16::try_from(value).ok().filter(|id| *id <= MAX_VLAN_ID) {
                Some(vlan_id) => {
                    adapter.state.lock().filter.vlan_id = vlan_id;
                    OidOutcome::done(4)
                }
                None => OidOutcome::failed(NDIS_STATUS_INVALID_DATA),
            }
        }
        OID_GEN_CURRENT_LOOKAHEAD => {
            let Some(lookahead) = read_u32(buffer) else {
                return OidOutcome::needs(NDIS_STATUS_INVALID_LENGTH, 4);
            };
            if lookahead > adapter.max_total_size() {
                return OidOutcome::failed(NDIS_STATUS_INVALID_DATA);
            }
            adapter.state.lock().lookahead = lookahead;
            OidOutcome::done(4)
        }
        OID_802_3_MULTICAST_LIST => {
            if !buffer.len().is_multiple_of(ETH_LENGTH_OF_ADDRESS) {
                let whole = buffer.len().saturating_add(ETH_LENGTH_OF_ADDRESS - 1) / ETH_LENGTH_OF_ADDRESS;
                return OidOutcome::needs(
                    NDIS_STATUS_INVALID_LENGTH,
                    whole.saturating_mul(ETH_LENGTH_OF_ADDRESS),
                );
            }
            let count = buffer.len() / ETH_LENGTH_OF_ADDRESS;
            if count > MAX_MULTICAST_ADDRESSES {
                return OidOutcome::failed(NDIS_STATUS_MULTICAST_FULL);
            }
            let mut list = MulticastList::new();
            for address in buffer.chunks_exact(ETH_LENGTH_OF_ADDRESS) {
                // Only group addresses belong in a multicast list.
                let Ok(address) = <[u8; ETH_LENGTH_OF_ADDRESS]>::try_from(address) else {
                    return OidOutcome::failed(NDIS_STATUS_INVALID_DATA);
                };
                if list.push(address).is_err() {
                    return OidOutcome::failed(NDIS_STATUS_INVALID_DATA);
                }
            }
            if let Err(status) = adapter.lower.set_multicast_list(&list) {
                return OidOutcome::failed(status);
            }
            adapter.state.lock().filter.multicast = list;
            OidOutcome::done(buffer.len())
        }
        // A virtual wire has no interrupts to moderate (Doc oid-gen-interrupt-moderation: reject a
        // set with INVALID_DATA when the query says NotSupported).
        OID_GEN_INTERRUPT_MODERATION => {
            if buffer.len() < 12 {
                return OidOutcome::needs(NDIS_STATUS_INVALID_LENGTH, 12);
            }
            OidOutcome::failed(NDIS_STATUS_INVALID_DATA)
        }
        // The only completion Driver Verifier allows besides SUCCESS is NOT_ACCEPTED (rule
        // NdisOidComplete), the answer to a malformed request (`power`).
        OID_PNP_SET_POWER => match read_u32(buffer) {
            Some(device_state) => adapter.set_power(device_state),
            None => OidOutcome::failed(NDIS_STATUS_NOT_ACCEPTED),
        },
        _ => OidOutcome::failed(NDIS_STATUS_NOT_SUPPORTED),
    }
}

fn write_header(bytes: &mut [u8], header: NdisObjectHeader) {
    if let Some(destination) = bytes.get_mut(..4) {
        let size = header.Size.to_ne_bytes();
        destination.copy_from_slice(&[header.Type, header.Revision, size[0], size[1]]);
    }
}

fn put_u32(bytes: &mut [u8], offset: usize, value: u32) {
    if let Some(destination) = bytes.get_mut(offset..offset.saturating_add(4)) {
        destination.copy_from_slice(&value.to_ne_bytes());
    }
}

fn put_u64(bytes: &mut [u8], offset: usize, value: u64) {
    if let Some(destination) = bytes.get_mut(offset..offset.saturating_add(8)) {
        destination.copy_from_slice(&value.to_ne_bytes());
    }
}

/// `sizeof(NDIS_STATISTICS_INFO)` (S:shared/ntddndis.h:306-329).
const STATISTICS_INFO_SIZE: usize = 152;

/// `NDIS_STATISTICS_INFO` written into `bytes` (`STATISTICS_INFO_SIZE` zeroed bytes).
fn statistics(adapter: &Adapter, bytes: &mut [u8]) {
    let c = &adapter.counters;
    write_header(
        bytes,
        NdisObjectHeader::new(
            NDIS_OBJECT_TYPE_DEFAULT,
            NDIS_STATISTICS_INFO_REVISION_1,
            NDIS_SIZEOF_STATISTICS_INFO_REVISION_1,
        ),
    );
    put_u32(bytes, 4, STATISTICS_VALID);
    // One store per counter, straight into the answer (a table of them would sit on the stack).
    put_u64(bytes, 8, load(&c.rcv_discards));
    put_u64(bytes, 16, load(&c.rcv_error));
    put_u64(bytes, 24, load(&c.bytes_rcv));
    put_u64(bytes, 32, load(&c.directed_frames_rcv));
    put_u64(bytes, 40, load(&c.multicast_frames_rcv));
    put_u64(bytes, 48, load(&c.broadcast_frames_rcv));
    put_u64(bytes, 56, load(&c.bytes_xmit));
    put_u64(bytes, 64, load(&c.directed_frames_xmit));
    put_u64(bytes, 72, load(&c.multicast_frames_xmit));
    put_u64(bytes, 80, load(&c.broadcast_frames_xmit));
    put_u64(bytes, 88, load(&c.xmit_error));
    put_u64(bytes, 96, load(&c.xmit_discards));
    put_u64(bytes, 104, load(&c.directed_bytes_rcv));
    put_u64(bytes, 112, load(&c.multicast_bytes_rcv));
    put_u64(bytes, 120, load(&c.broadcast_bytes_rcv));
    put_u64(bytes, 128, load(&c.directed_bytes_xmit));
    put_u64(bytes, 136, load(&c.multicast_bytes_xmit));
    put_u64(bytes, 144, load(&c.broadcast_bytes_xmit));
}

/// Every counter of `NDIS_STATISTICS_INFO` is kept.
const STATISTICS_VALID: u32 = NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_RCV
    | NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_RCV
    | NDIS_STATISTICS_FLAGS_VALID_BROADCAST_FRAMES_RCV
    | NDIS_STATISTICS_FLAGS_VALID_BYTES_RCV
    | NDIS_STATISTICS_FLAGS_VALID_RCV_DISCARDS
    | NDIS_STATISTICS_FLAGS_VALID_RCV_ERROR
    | NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_XMIT
    | NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_XMIT
    | NDIS_STATISTICS_FLAGS_VALID_BROADCAST_FRAMES_XMIT
    | NDIS_STATISTICS_FLAGS_VALID_BYTES_XMIT
    | NDIS_STATISTICS_FLAGS_VALID_XMIT_ERROR
    | NDIS_STATISTICS_FLAGS_VALID_XMIT_DISCARDS
    | NDIS_STATISTICS_FLAGS_VALID_DIRECTED_BYTES_RCV
    | NDIS_STATISTICS_FLAGS_VALID_MULTICAST_BYTES_RCV
    | NDIS_STATISTICS_FLAGS_VALID_BROADCAST_BYTES_RCV
    | NDIS_STATISTICS_FLAGS_VALID_DIRECTED_BYTES_XMIT
    | NDIS_STATISTICS_FLAGS_VALID_MULTICAST_BYTES_XMIT
    | NDIS_STATISTICS_FLAGS_VALID_BROADCAST_BYTES_XMIT;

/// `OID_VWIRE_DRIVER_COUNTERS` (vendor OID, query): the driver's own lower-edge and receive-path
/// counters, each a little-endian u64, in this order.
pub const OID_VWIRE_DRIVER_COUNTERS: NdisOid = 0xFF76_0001;
pub const DRIVER_COUNTERS: usize = 13;

fn driver_counters(adapter: &Adapter, bytes: &mut [u8]) {
    let c = &adapter.counters;
    let values = [
        load(&c.lower_read_batches),
        load(&c.lower_read_bytes),
        load(&c.lower_malformed_batches),
        load(&c.lower_read_errors),
        load(&c.lower_write_errors),
        load(&c.lower_send_failures),
        load(&c.lower_unknown_completions),
        load(&c.lower_link_errors),
        load(&c.rcv_no_buffer),
        load(&c.rcv_filtered),
        load(&c.foreign_returns),
        load(&c.send_queue_full),
        load(&c.config_rejected),
    ];
    for (chunk, value) in bytes.chunks_exact_mut(8).zip(values) {
        chunk.copy_from_slice(&value.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_fits_eight_or_four_bytes_and_says_what_it_needs() {
        let value = 0x1_0000_0002u64;
        let mut eight = [0u8; 8];
        assert_eq!(answer_counter(&mut eight, value), OidOutcome::done(8));
        assert_eq!(u64::from_ne_bytes(eight), value);

        let mut four = [0u8; 6];
        let outcome = answer_counter(&mut four, value);
        assert_eq!(
            outcome,
            OidOutcome { status: NDIS_STATUS_SUCCESS, bytes_transferred: 4, bytes_needed: 8 }
        );
        assert_eq!(four[..4], 2u32.to_ne_bytes());

        let mut none = [0u8; 3];
        assert_eq!(answer_counter(&mut none, value), OidOutcome::needs(NDIS_STATUS_BUFFER_TOO_SHORT, 8));
        assert_eq!(answer_counter(&mut [], value), OidOutcome::needs(NDIS_STATUS_BUFFER_TOO_SHORT, 8));
    }

    #[test]
    fn short_query_buffer_writes_nothing() {
        let mut buffer = [0xEEu8; 5];
        assert_eq!(
            answer(&mut buffer, &[1, 2, 3, 4, 5, 6]),
            OidOutcome::needs(NDIS_STATUS_BUFFER_TOO_SHORT, 6)
        );
        assert_eq!(buffer, [0xEE; 5]);
        let mut exact = [0u8; 6];
        assert_eq!(answer(&mut exact, &[1, 2, 3, 4, 5, 6]), OidOutcome::done(6));
    }

    #[test]
    fn supported_list_has_no_duplicates() {
        for (index, oid) in SUPPORTED_OIDS.iter().enumerate() {
            assert!(!SUPPORTED_OIDS[index + 1..].contains(oid), "OID {oid:#x} listed twice");
        }
    }
}
