//! `MDL`, `NET_BUFFER`, `NET_BUFFER_LIST` and their pools (W:km/wdm.h:17719-17732, W:km/ndis/nbl.h,
//! W:km/ndis/nblapi.h), as compiled for an NDIS 6.30 miniport on x64 and ARM64.
//!
//! NDIS allocates these; a driver only ever touches them through pointers (NDIS's own
//! `NET_BUFFER_LIST` is longer than any client's view: `MaxNetBufferListInfo`, the length of its
//! `NetBufferListInfo` array, grows with the NDIS version a client is compiled for, and NDIS itself
//! (`NDIS_WRAPPER`) adds reserved entries, W:km/ndis/nblinfo.h:14-141, :134-137).

use crate::handles::NdisHandle;
use crate::object::NdisObjectHeader;
use crate::status::NdisStatus;
use core::ffi::c_void;

/// `DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT)` wrapper: the reserved arrays of NB and NBL are
/// 16-byte aligned, which is what puts 8 bytes of padding before `NET_BUFFER_LIST.NdisReserved`.
#[repr(C, align(16))]
#[derive(Clone, Copy, Debug)]
pub struct Aligned16<T>(pub T);

/// `MEMORY_ALLOCATION_ALIGNMENT` on 64-bit Windows.
pub const MEMORY_ALLOCATION_ALIGNMENT: usize = 16;

/// `MDL` (W:km/wdm.h:17719-17732): 48 bytes, followed in memory by its PFN array.
#[repr(C)]
#[derive(Debug)]
pub struct Mdl {
    pub Next: *mut Mdl,
    pub Size: i16,
    pub MdlFlags: i16,
    pub Process: *mut c_void,
    pub MappedSystemVa: *mut c_void,
    pub StartVa: *mut c_void,
    pub ByteCount: u32,
    pub ByteOffset: u32,
}

pub const MDL_MAPPED_TO_SYSTEM_VA: i16 = 0x0001;
pub const MDL_SOURCE_IS_NONPAGED_POOL: i16 = 0x0004;
pub const MDL_PARTIAL: i16 = 0x0010;
/// wdm.h `PAGE_SIZE` (every architecture Windows drivers target).
pub const PAGE_SIZE: usize = 0x1000;
/// A partial MDL the memory manager mapped to system space: `MmPrepareMdlForReuse` unmaps it.
pub const MDL_PARTIAL_HAS_BEEN_MAPPED: i16 = 0x0020;

/// `MM_PAGE_PRIORITY` (wdm.h): how much a system mapping may fail under PTE pressure.
pub const LOW_PAGE_PRIORITY: u32 = 0;
pub const NORMAL_PAGE_PRIORITY: u32 = 16;
pub const HIGH_PAGE_PRIORITY: u32 = 32;
/// ORed into a mapping's priority since Windows 8 (wdm.h `MdlMappingNoWrite`, `MdlMappingNoExecute`).
pub const MDL_MAPPING_NO_WRITE: u32 = 0x8000_0000;
pub const MDL_MAPPING_NO_EXECUTE: u32 = 0x4000_0000;

/// `NET_BUFFER` (W:km/ndis/nbl.h:91-132): 176 bytes, alignment 16.
///
/// `DataLength` is the low half of the C union `{ ULONG DataLength; SIZE_T stDataLength; }`; the
/// `NET_BUFFER_DATA_LENGTH` macro reads and writes exactly those 4 bytes.
#[repr(C, align(16))]
#[derive(Debug)]
pub struct NetBuffer {
    pub Next: *mut NetBuffer,
    pub CurrentMdl: *mut Mdl,
    pub CurrentMdlOffset: u32,
    /// Padding before the 8-byte-aligned data-length union (20..23).
    pub Padding0: u32,
    pub DataLength: u32,
    /// High half of `stDataLength`; NDIS 6 never sets it for an Ethernet frame.
    pub DataLengthHigh: u32,
    pub MdlChain: *mut Mdl,
    pub DataOffset: u32,
    /// Tail padding of the 48-byte head union (44..47).
    pub Padding1: u32,
    pub ChecksumBias: u16,
    pub Reserved: u16,
    pub NdisPoolHandle: NdisHandle,
    pub NdisReserved: Aligned16<[*mut c_void; 2]>,
    pub ProtocolReserved: Aligned16<[*mut c_void; 6]>,
    pub MiniportReserved: Aligned16<[*mut c_void; 4]>,
    pub DataPhysicalAddress: i64,
    /// Union of `SharedMemoryInfo` and `ScatterGatherList` (NDIS 6.20+).
    pub SharedMemoryInfo: *mut c_void,
}

/// `MaxNetBufferListInfo` for an NDIS 6.30 client on x64/ARM64 (W:km/ndis/nblinfo.h:14-141).
pub const MAX_NET_BUFFER_LIST_INFO: usize = 24;
/// `Ieee8021QNetBufferListInfo`.
pub const IEEE_8021Q_NET_BUFFER_LIST_INFO: usize = 4;
/// `NetBufferListCancelId`.
pub const NET_BUFFER_LIST_CANCEL_ID: usize = 5;

/// `NET_BUFFER_LIST` (W:km/ndis/nbl.h:171-208) for NDIS 6.30: 336 bytes, alignment 16.
/// `Status` is the `NDIS_STATUS` arm of the `{ Status; NdisReserved2; }` union at 140.
#[repr(C, align(16))]
#[derive(Debug)]
pub struct NetBufferList {
    pub Next: *mut NetBufferList,
    pub FirstNetBuffer: *mut NetBuffer,
    pub Context: *mut c_void,
    pub ParentNetBufferList: *mut NetBufferList,
    pub NdisPoolHandle: NdisHandle,
    pub NdisReserved: Aligned16<[*mut c_void; 2]>,
    pub ProtocolReserved: Aligned16<[*mut c_void; 4]>,
    pub MiniportReserved: Aligned16<[*mut c_void; 2]>,
    pub Scratch: *mut c_void,
    pub SourceHandle: NdisHandle,
    pub NblFlags: u32,
    pub ChildRefCount: i32,
    pub Flags: u32,
    pub Status: NdisStatus,
    pub NetBufferListInfo: [*mut c_void; MAX_NET_BUFFER_LIST_INFO],
}

/// `NET_BUFFER_LIST_POOL_PARAMETERS` (W:km/ndis/nblapi.h:27-51), revision 1: 16 bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct NetBufferListPoolParameters {
    pub Header: NdisObjectHeader,
    pub ProtocolId: u8,
    pub fAllocateNetBuffer: u8,
    pub ContextSize: u16,
    pub PoolTag: u32,
    pub DataSize: u32,
}

pub const NDIS_PROTOCOL_ID_DEFAULT: u8 = 0;

pub const NDIS_SEND_FLAGS_DISPATCH_LEVEL: u32 = 0x0000_0001;
pub const NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK: u32 = 0x0000_0002;
pub const NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL: u32 = 0x0000_0001;
pub const NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL: u32 = 0x0000_0001;
pub const NDIS_RECEIVE_FLAGS_RESOURCES: u32 = 0x0000_0002;
pub const NDIS_RECEIVE_FLAGS_SINGLE_ETHER_TYPE: u32 = 0x0000_0100;
pub const NDIS_RECEIVE_FLAGS_PERFECT_FILTERED: u32 = 0x0000_0400;
pub const NDIS_RETURN_FLAGS_DISPATCH_LEVEL: u32 = 0x0000_0001;
/// `NDIS_DEFAULT_PORT_NUMBER`.
pub const NDIS_DEFAULT_PORT_NUMBER: u32 = 0;
/// `NBL_FLAGS_MINIPORT_RESERVED`: the bits of `NET_BUFFER_LIST.Flags` a miniport may use.
pub const NBL_FLAGS_MINIPORT_RESERVED: u32 = 0x0000_F000;
