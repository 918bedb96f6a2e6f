//! OID requests, status indications and the OID payload structures (W:km/ndis/oidrequest.h,
//! W:km/ndis.h, S:shared/ntddndis.h; each structure's lines are cited in `tests/abi.rs`).

use crate::handles::NdisHandle;
use crate::object::NdisObjectHeader;
use crate::status::NdisStatus;
use core::ffi::c_void;

/// `NDIS_OID` (`ULONG`).
pub type NdisOid = u32;

/// `NDIS_REQUEST_TYPE` (S:shared/ndis/oidtypes.h:23-42).
pub type NdisRequestType = i32;
pub const NDIS_REQUEST_QUERY_INFORMATION: NdisRequestType = 0;
pub const NDIS_REQUEST_SET_INFORMATION: NdisRequestType = 1;
pub const NDIS_REQUEST_QUERY_STATISTICS: NdisRequestType = 2;
pub const NDIS_REQUEST_METHOD: NdisRequestType = 12;

/// `DATA.QUERY_INFORMATION` (and, with `BytesRead` in place of `BytesWritten`, `DATA.SET_INFORMATION`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct OidQueryInformation {
    pub Oid: NdisOid,
    pub InformationBuffer: *mut c_void,
    pub InformationBufferLength: u32,
    pub BytesWritten: u32,
    pub BytesNeeded: u32,
}

/// `DATA.SET_INFORMATION`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct OidSetInformation {
    pub Oid: NdisOid,
    pub InformationBuffer: *mut c_void,
    pub InformationBufferLength: u32,
    pub BytesRead: u32,
    pub BytesNeeded: u32,
}

/// `DATA.METHOD_INFORMATION`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct OidMethodInformation {
    pub Oid: NdisOid,
    pub InformationBuffer: *mut c_void,
    pub InputBufferLength: u32,
    pub OutputBufferLength: u32,
    pub MethodId: u32,
    pub BytesWritten: u32,
    pub BytesRead: u32,
    pub BytesNeeded: u32,
}

/// `union _REQUEST_DATA`: 40 bytes at offset 32 of `NDIS_OID_REQUEST`.
#[repr(C)]
#[derive(Clone, Copy)]
pub union OidRequestData {
    pub Oid: NdisOid,
    pub QUERY_INFORMATION: OidQueryInformation,
    pub SET_INFORMATION: OidSetInformation,
    pub METHOD_INFORMATION: OidMethodInformation,
}

impl core::fmt::Debug for OidRequestData {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OidRequestData").field("Oid", &self.oid()).finish_non_exhaustive()
    }
}

// Every arm is plain data (integers and a raw pointer), and every arm starts with the OID, so any
// bit pattern NDIS leaves is a valid value of each arm: reading any arm is sound.
#[allow(unsafe_code)]
impl OidRequestData {
    pub fn oid(&self) -> NdisOid {
        // SAFETY: all arms are plain data; see above.
        unsafe { self.Oid }
    }
    pub fn query(&self) -> &OidQueryInformation {
        // SAFETY: all arms are plain data; see above.
        unsafe { &self.QUERY_INFORMATION }
    }
    pub fn query_mut(&mut self) -> &mut OidQueryInformation {
        // SAFETY: all arms are plain data; see above.
        unsafe { &mut self.QUERY_INFORMATION }
    }
    pub fn set(&self) -> &OidSetInformation {
        // SAFETY: all arms are plain data; see above.
        unsafe { &self.SET_INFORMATION }
    }
    pub fn set_mut(&mut self) -> &mut OidSetInformation {
        // SAFETY: all arms are plain data; see above.
        unsafe { &mut self.SET_INFORMATION }
    }
    pub fn method(&self) -> &OidMethodInformation {
        // SAFETY: all arms are plain data; see above.
        unsafe { &self.METHOD_INFORMATION }
    }
}

/// `NDIS_OID_REQUEST` (W:km/ndis/oidrequest.h:23-91) for an NDIS 6.30 client: 240 bytes,
/// `Header.Size` 236 (revision 1).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct NdisOidRequest {
    pub Header: NdisObjectHeader,
    pub RequestType: NdisRequestType,
    pub PortNumber: u32,
    pub Timeout: u32,
    pub RequestId: *mut c_void,
    pub RequestHandle: NdisHandle,
    pub DATA: OidRequestData,
    pub NdisReserved: [u8; 128],
    pub MiniportReserved: [u8; 16],
    pub SourceReserved: [u8; 16],
    pub SupportedRevision: u8,
    pub Reserved1: u8,
    pub Reserved2: u16,
}

/// `NDIS_STATUS_INDICATION` (W:km/ndis.h:4429-4442): 112 bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct NdisStatusIndication {
    pub Header: NdisObjectHeader,
    pub SourceHandle: NdisHandle,
    pub PortNumber: u32,
    pub StatusCode: NdisStatus,
    pub Flags: u32,
    pub DestinationHandle: NdisHandle,
    pub RequestId: *mut c_void,
    pub StatusBuffer: *mut c_void,
    pub StatusBufferSize: u32,
    pub Guid: Guid,
    pub NdisReserved: [*mut c_void; 4],
}

/// `GUID`: 16 bytes, alignment 4.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Guid {
    pub Data1: u32,
    pub Data2: u16,
    pub Data3: u16,
    pub Data4: [u8; 8],
}

/// `NDIS_LINK_STATE` (S:shared/ntddndis.h:2852-2861): 40 bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct NdisLinkState {
    pub Header: NdisObjectHeader,
    pub MediaConnectState: i32,
    pub MediaDuplexState: i32,
    pub XmitLinkSpeed: u64,
    pub RcvLinkSpeed: u64,
    pub PauseFunctions: u32,
    pub AutoNegotiationFlags: u32,
}

/// `NDIS_STATISTICS_INFO` (S:shared/ntddndis.h:306-329): 152 bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct NdisStatisticsInfo {
    pub Header: NdisObjectHeader,
    pub SupportedStatistics: u32,
    pub ifInDiscards: u64,
    pub ifInErrors: u64,
    pub ifHCInOctets: u64,
    pub ifHCInUcastPkts: u64,
    pub ifHCInMulticastPkts: u64,
    pub ifHCInBroadcastPkts: u64,
    pub ifHCOutOctets: u64,
    pub ifHCOutUcastPkts: u64,
    pub ifHCOutMulticastPkts: u64,
    pub ifHCOutBroadcastPkts: u64,
    pub ifOutErrors: u64,
    pub ifOutDiscards: u64,
    pub ifHCInUcastOctets: u64,
    pub ifHCInMulticastOctets: u64,
    pub ifHCInBroadcastOctets: u64,
    pub ifHCOutUcastOctets: u64,
    pub ifHCOutMulticastOctets: u64,
    pub ifHCOutBroadcastOctets: u64,
}

/// `NDIS_INTERRUPT_MODERATION_PARAMETERS` (S:shared/ntddndis.h:384-389): 12 bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct NdisInterruptModerationParameters {
    pub Header: NdisObjectHeader,
    pub Flags: u32,
    pub InterruptModeration: i32,
}

/// `NDIS_INTERRUPT_MODERATION` (S:shared/ntddndis.h:363-369).
pub const NDIS_INTERRUPT_MODERATION_UNKNOWN: i32 = 0;
pub const NDIS_INTERRUPT_MODERATION_NOT_SUPPORTED: i32 = 1;
pub const NDIS_INTERRUPT_MODERATION_ENABLED: i32 = 2;
pub const NDIS_INTERRUPT_MODERATION_DISABLED: i32 = 3;

// OIDs (S:shared/ntddndis.h).
pub const OID_GEN_SUPPORTED_LIST: NdisOid = 0x0001_0101;
pub const OID_GEN_HARDWARE_STATUS: NdisOid = 0x0001_0102;
pub const OID_GEN_MEDIA_SUPPORTED: NdisOid = 0x0001_0103;
pub const OID_GEN_MEDIA_IN_USE: NdisOid = 0x0001_0104;
pub const OID_GEN_MAXIMUM_LOOKAHEAD: NdisOid = 0x0001_0105;
pub const OID_GEN_MAXIMUM_FRAME_SIZE: NdisOid = 0x0001_0106;
pub const OID_GEN_LINK_SPEED: NdisOid = 0x0001_0107;
pub const OID_GEN_TRANSMIT_BUFFER_SPACE: NdisOid = 0x0001_0108;
pub const OID_GEN_RECEIVE_BUFFER_SPACE: NdisOid = 0x0001_0109;
pub const OID_GEN_TRANSMIT_BLOCK_SIZE: NdisOid = 0x0001_010A;
pub const OID_GEN_RECEIVE_BLOCK_SIZE: NdisOid = 0x0001_010B;
pub const OID_GEN_VENDOR_ID: NdisOid = 0x0001_010C;
pub const OID_GEN_VENDOR_DESCRIPTION: NdisOid = 0x0001_010D;
pub const OID_GEN_CURRENT_PACKET_FILTER: NdisOid = 0x0001_010E;
pub const OID_GEN_CURRENT_LOOKAHEAD: NdisOid = 0x0001_010F;
pub const OID_GEN_DRIVER_VERSION: NdisOid = 0x0001_0110;
pub const OID_GEN_MAXIMUM_TOTAL_SIZE: NdisOid = 0x0001_0111;
pub const OID_GEN_MAC_OPTIONS: NdisOid = 0x0001_0113;
pub const OID_GEN_MEDIA_CONNECT_STATUS: NdisOid = 0x0001_0114;
pub const OID_GEN_MAXIMUM_SEND_PACKETS: NdisOid = 0x0001_0115;
pub const OID_GEN_VENDOR_DRIVER_VERSION: NdisOid = 0x0001_0116;
pub const OID_GEN_PHYSICAL_MEDIUM: NdisOid = 0x0001_0202;
pub const OID_GEN_MAX_LINK_SPEED: NdisOid = 0x0001_0206;
pub const OID_GEN_LINK_STATE: NdisOid = 0x0001_0207;
pub const OID_GEN_LINK_PARAMETERS: NdisOid = 0x0001_0208;
pub const OID_GEN_INTERRUPT_MODERATION: NdisOid = 0x0001_0209;
pub const OID_GEN_VLAN_ID: NdisOid = 0x0001_021C;
pub const OID_GEN_MINIPORT_RESTART_ATTRIBUTES: NdisOid = 0x0001_021D;
pub const OID_GEN_XMIT_OK: NdisOid = 0x0002_0101;
pub const OID_GEN_RCV_OK: NdisOid = 0x0002_0102;
pub const OID_GEN_XMIT_ERROR: NdisOid = 0x0002_0103;
pub const OID_GEN_RCV_ERROR: NdisOid = 0x0002_0104;
pub const OID_GEN_RCV_NO_BUFFER: NdisOid = 0x0002_0105;
pub const OID_GEN_STATISTICS: NdisOid = 0x0002_0106;
pub const OID_GEN_RCV_DISCARDS: NdisOid = 0x0002_021B;
pub const OID_GEN_XMIT_DISCARDS: NdisOid = 0x0002_021C;
pub const OID_802_3_PERMANENT_ADDRESS: NdisOid = 0x0101_0101;
pub const OID_802_3_CURRENT_ADDRESS: NdisOid = 0x0101_0102;
pub const OID_802_3_MULTICAST_LIST: NdisOid = 0x0101_0103;
pub const OID_802_3_MAXIMUM_LIST_SIZE: NdisOid = 0x0101_0104;
pub const OID_802_3_MAC_OPTIONS: NdisOid = 0x0101_0105;
pub const OID_802_3_RCV_ERROR_ALIGNMENT: NdisOid = 0x0102_0101;
pub const OID_802_3_XMIT_ONE_COLLISION: NdisOid = 0x0102_0102;
pub const OID_802_3_XMIT_MORE_COLLISIONS: NdisOid = 0x0102_0103;
pub const OID_PNP_CAPABILITIES: NdisOid = 0xFD01_0100;
pub const OID_PNP_SET_POWER: NdisOid = 0xFD01_0101;
pub const OID_PNP_QUERY_POWER: NdisOid = 0xFD01_0102;

// NDIS_PACKET_TYPE_* (S:shared/ntddndis.h:2718-2730).
pub const NDIS_PACKET_TYPE_DIRECTED: u32 = 0x0000_0001;
pub const NDIS_PACKET_TYPE_MULTICAST: u32 = 0x0000_0002;
pub const NDIS_PACKET_TYPE_ALL_MULTICAST: u32 = 0x0000_0004;
pub const NDIS_PACKET_TYPE_BROADCAST: u32 = 0x0000_0008;
pub const NDIS_PACKET_TYPE_PROMISCUOUS: u32 = 0x0000_0020;
pub const NDIS_PACKET_TYPE_ALL_LOCAL: u32 = 0x0000_0080;

// NDIS_MAC_OPTION_* (S:shared/ntddndis.h:2759-2776).
pub const NDIS_MAC_OPTION_COPY_LOOKAHEAD_DATA: u32 = 0x0000_0001;
pub const NDIS_MAC_OPTION_TRANSFERS_NOT_PEND: u32 = 0x0000_0004;
pub const NDIS_MAC_OPTION_NO_LOOPBACK: u32 = 0x0000_0008;
pub const NDIS_MAC_OPTION_8021P_PRIORITY: u32 = 0x0000_0040;
pub const NDIS_MAC_OPTION_8021Q_VLAN: u32 = 0x0000_0200;

// NDIS_LINK_STATE_*_AUTO_NEGOTIATED for NDIS_LINK_STATE.AutoNegotiationFlags and the general
// attributes' AutoNegotiationFlags (S:shared/ntddndis.h:2839-2841).
pub const NDIS_LINK_STATE_XMIT_LINK_SPEED_AUTO_NEGOTIATED: u32 = 0x0000_0001;
pub const NDIS_LINK_STATE_RCV_LINK_SPEED_AUTO_NEGOTIATED: u32 = 0x0000_0002;
pub const NDIS_LINK_STATE_DUPLEX_AUTO_NEGOTIATED: u32 = 0x0000_0004;

// NDIS_STATISTICS_FLAGS_VALID_* for NDIS_STATISTICS_INFO.SupportedStatistics (S:shared/ntddndis.h:281-298).
pub const NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_RCV: u32 = 0x0000_0001;
pub const NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_RCV: u32 = 0x0000_0002;
pub const NDIS_STATISTICS_FLAGS_VALID_BROADCAST_FRAMES_RCV: u32 = 0x0000_0004;
pub const NDIS_STATISTICS_FLAGS_VALID_BYTES_RCV: u32 = 0x0000_0008;
pub const NDIS_STATISTICS_FLAGS_VALID_RCV_DISCARDS: u32 = 0x0000_0010;
pub const NDIS_STATISTICS_FLAGS_VALID_RCV_ERROR: u32 = 0x0000_0020;
pub const NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_XMIT: u32 = 0x0000_0040;
pub const NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_XMIT: u32 = 0x0000_0080;
pub const NDIS_STATISTICS_FLAGS_VALID_BROADCAST_FRAMES_XMIT: u32 = 0x0000_0100;
pub const NDIS_STATISTICS_FLAGS_VALID_BYTES_XMIT: u32 = 0x0000_0200;
pub const NDIS_STATISTICS_FLAGS_VALID_XMIT_ERROR: u32 = 0x0000_0400;
pub const NDIS_STATISTICS_FLAGS_VALID_XMIT_DISCARDS: u32 = 0x0000_8000;
pub const NDIS_STATISTICS_FLAGS_VALID_DIRECTED_BYTES_RCV: u32 = 0x0001_0000;
pub const NDIS_STATISTICS_FLAGS_VALID_MULTICAST_BYTES_RCV: u32 = 0x0002_0000;
pub const NDIS_STATISTICS_FLAGS_VALID_BROADCAST_BYTES_RCV: u32 = 0x0004_0000;
pub const NDIS_STATISTICS_FLAGS_VALID_DIRECTED_BYTES_XMIT: u32 = 0x0008_0000;
pub const NDIS_STATISTICS_FLAGS_VALID_MULTICAST_BYTES_XMIT: u32 = 0x0010_0000;
pub const NDIS_STATISTICS_FLAGS_VALID_BROADCAST_BYTES_XMIT: u32 = 0x0020_0000;

// NDIS_STATISTICS_*_SUPPORTED for the general attributes' SupportedStatistics (W:km/ndis.h:10210-10233).
pub const NDIS_STATISTICS_XMIT_OK_SUPPORTED: u32 = 0x0000_0001;
pub const NDIS_STATISTICS_RCV_OK_SUPPORTED: u32 = 0x0000_0002;
pub const NDIS_STATISTICS_XMIT_ERROR_SUPPORTED: u32 = 0x0000_0004;
pub const NDIS_STATISTICS_RCV_ERROR_SUPPORTED: u32 = 0x0000_0008;
pub const NDIS_STATISTICS_RCV_NO_BUFFER_SUPPORTED: u32 = 0x0000_0010;
pub const NDIS_STATISTICS_DIRECTED_BYTES_XMIT_SUPPORTED: u32 = 0x0000_0020;
pub const NDIS_STATISTICS_DIRECTED_FRAMES_XMIT_SUPPORTED: u32 = 0x0000_0040;
pub const NDIS_STATISTICS_MULTICAST_BYTES_XMIT_SUPPORTED: u32 = 0x0000_0080;
pub const NDIS_STATISTICS_MULTICAST_FRAMES_XMIT_SUPPORTED: u32 = 0x0000_0100;
pub const NDIS_STATISTICS_BROADCAST_BYTES_XMIT_SUPPORTED: u32 = 0x0000_0200;
pub const NDIS_STATISTICS_BROADCAST_FRAMES_XMIT_SUPPORTED: u32 = 0x0000_0400;
pub const NDIS_STATISTICS_DIRECTED_BYTES_RCV_SUPPORTED: u32 = 0x0000_0800;
pub const NDIS_STATISTICS_DIRECTED_FRAMES_RCV_SUPPORTED: u32 = 0x0000_1000;
pub const NDIS_STATISTICS_MULTICAST_BYTES_RCV_SUPPORTED: u32 = 0x0000_2000;
pub const NDIS_STATISTICS_MULTICAST_FRAMES_RCV_SUPPORTED: u32 = 0x0000_4000;
pub const NDIS_STATISTICS_BROADCAST_BYTES_RCV_SUPPORTED: u32 = 0x0000_8000;
pub const NDIS_STATISTICS_BROADCAST_FRAMES_RCV_SUPPORTED: u32 = 0x0001_0000;
pub const NDIS_STATISTICS_RCV_CRC_ERROR_SUPPORTED: u32 = 0x0002_0000;
pub const NDIS_STATISTICS_TRANSMIT_QUEUE_LENGTH_SUPPORTED: u32 = 0x0004_0000;
pub const NDIS_STATISTICS_BYTES_RCV_SUPPORTED: u32 = 0x0008_0000;
pub const NDIS_STATISTICS_BYTES_XMIT_SUPPORTED: u32 = 0x0010_0000;
pub const NDIS_STATISTICS_RCV_DISCARDS_SUPPORTED: u32 = 0x0020_0000;
pub const NDIS_STATISTICS_GEN_STATISTICS_SUPPORTED: u32 = 0x0040_0000;
pub const NDIS_STATISTICS_XMIT_DISCARDS_SUPPORTED: u32 = 0x0800_0000;
