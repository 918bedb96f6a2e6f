//! Compile-time proof that every hand-written mirror in `ndis-types` has the layout of the type the
//! WDK headers define, as bindgen generates it for this build (x64 or ARM64, NDIS 6.30, KMDF 1.31):
//! `size_of`, `align_of`, and the offset and size of every named field. A mismatch stops the Windows
//! build (docs/architecture.md, "The OS facade", rule 4). The figures these must equal are also written,
//! each with the header line it comes from, in `crates/ndis-types/tests/abi.rs`, which checks the
//! mirrors against them on every host.
//!
//! Anonymous members: bindgen names the N-th unnamed data member of a struct or union
//! `__bindgen_anon_N`, counting per enclosing type from 1 (bindgen 0.73.2 `ir/comp.rs`, the
//! `anon_field_counter` loop; `DEFAULT_ANON_FIELDS_PREFIX`). Fields that live inside anonymous
//! unions/structs in the C headers are reached through those names with nested `offset_of!`, and
//! each such case is commented with the C declaration it follows. Where a legacy named type exists
//! for the same bytes (`NET_BUFFER_DATA`, `NET_BUFFER_LIST_DATA`), the field is checked against it
//! too, so the check does not rest on the anonymous names alone.
//!
//! Constants: every ndis-types constant that bindgen can generate is compared with the generated
//! one (as `i128`, so the integer types may differ). Not generated, so not compared here (covered by
//! `tests/abi.rs` against the header values it cites): cast macros (`((NDIS_STATUS)0x00010003L)`
//! literals, `NDIS_STATUS_MEDIA_CONNECT`/`_DISCONNECT`/`_LINK_STATE`, `NDIS_DEFAULT_PORT_NUMBER`,
//! `NDIS_LINK_SPEED_UNKNOWN`) and `NDIS_SIZEOF_*` (`RTL_SIZEOF_THROUGH_FIELD`, an `offsetof`
//! expression), which are instead recomputed from the generated structures below. NTSTATUS-derived
//! `NDIS_STATUS_*` are compared with wdk-sys's `STATUS_*` they are defined as
//! (S:shared/ndis/status.h).
#![allow(clippy::cast_lossless, reason = "constants are compared as i128 whatever their C type")]
#![allow(
    clippy::arithmetic_side_effects,
    reason = "offset + size sums in `const` items only: an overflow is a compile error, not a run-time effect"
)]

use core::ffi::c_void;
use core::mem::{MaybeUninit, align_of, offset_of, size_of};

use ndis_types::config::*;
use ndis_types::miniport::*;
use ndis_types::nbl::*;
use ndis_types::oid::*;
use ndis_types::wdf::*;
use ndis_types::*;

use super::ndis;

/// `size_of` the pointee, from a raw pointer (no value needed).
const fn pointee_size<T>(_: *const T) -> usize {
    size_of::<T>()
}

/// `size_of` the field at `path` of `ty`, computed from a place, without a value.
macro_rules! field_size {
    ($ty:ty, $($path:ident).+) => {{
        let value = MaybeUninit::<$ty>::uninit();
        let base = value.as_ptr();
        // SAFETY: only the address of a field place inside `value` is formed; nothing is read, and
        // `&raw const` creates no reference to the (uninitialized) memory.
        pointee_size(unsafe { &raw const (*base).$($path).+ })
    }};
}

/// Same `size_of` and `align_of`.
macro_rules! same_layout {
    ($ours:ty, $theirs:ty) => {
        const _: () = assert!(
            size_of::<$ours>() == size_of::<$theirs>(),
            concat!("size_of ", stringify!($ours), " != ", stringify!($theirs))
        );
        const _: () = assert!(
            align_of::<$ours>() == align_of::<$theirs>(),
            concat!("align_of ", stringify!($ours), " != ", stringify!($theirs))
        );
    };
}

/// Same offset and same size of one field; the paths may differ (anonymous members).
macro_rules! same_field {
    ($ours:ty, $($o:ident).+ => $theirs:ty, $($t:ident).+) => {
        const _: () = assert!(
            offset_of!($ours, $($o).+) == offset_of!($theirs, $($t).+),
            concat!("offset of ", stringify!($ours), ".", stringify!($($o).+))
        );
        const _: () = assert!(
            field_size!($ours, $($o).+) == field_size!($theirs, $($t).+),
            concat!("size of ", stringify!($ours), ".", stringify!($($o).+))
        );
    };
}

/// `same_field!` for fields with the same name on both sides.
macro_rules! same_fields {
    ($ours:ty => $theirs:ty: $($f:ident),+ $(,)?) => {
        $( same_field!($ours, $f => $theirs, $f); )+
    };
}

/// `RTL_SIZEOF_THROUGH_FIELD(type, field)`: what every `NDIS_SIZEOF_*_REVISION_n` expands to.
macro_rules! sizeof_through_field {
    ($ty:ty, $($path:ident).+) => {
        offset_of!($ty, $($path).+) + field_size!($ty, $($path).+)
    };
}

/// Same integer value, whatever the two integer types are.
macro_rules! same_value {
    ($($ours:expr => $theirs:expr),+ $(,)?) => {
        $(const _: () = assert!(
            ($ours as i128) == ($theirs as i128),
            concat!(stringify!($ours), " != ", stringify!($theirs))
        );)+
    };
}

// ---------------------------------------------------------------------------------------------
// Handles and function pointers: a pointer each, as the C handle types and PFNs.

same_layout!(NdisHandle, ndis::NDIS_HANDLE);
same_layout!(DriverObject, wdk_sys::PDRIVER_OBJECT);
same_layout!(DeviceObject, wdk_sys::PDEVICE_OBJECT);
same_layout!(RegistryPath, wdk_sys::PCUNICODE_STRING);
same_layout!(WdfDriver, wdk_sys::WDFDRIVER);
same_layout!(WdfDevice, wdk_sys::WDFDEVICE);
same_layout!(WdfIoTarget, wdk_sys::WDFIOTARGET);
same_layout!(WdfRequest, wdk_sys::WDFREQUEST);
same_layout!(WdfMemory, wdk_sys::WDFMEMORY);
same_layout!(WdfObject, wdk_sys::WDFOBJECT);
same_layout!(WdfContext, wdk_sys::WDFCONTEXT);
same_layout!(Option<EvtWdfRequestCompletionRoutine>, wdk_sys::PFN_WDF_REQUEST_COMPLETION_ROUTINE);
same_layout!(wdk_sys::WDFFUNC, ndis::PFN_WDFDEVICEMINIPORTCREATE);
same_layout!(wdk_sys::WDFFUNC, ndis::PFN_WDFDRIVERMINIPORTUNLOAD);
// The status newtypes (`#[repr(transparent)]` over i32) against the C `int` and `LONG`: what lets
// them stand in callback signatures and in NET_BUFFER_LIST.Status / NDIS_STATUS_INDICATION.StatusCode.
same_layout!(NdisStatus, ndis::NDIS_STATUS);
same_layout!(NtStatus, wdk_sys::NTSTATUS);
same_layout!(Kirql, wdk_sys::KIRQL);
same_layout!(Boolean, wdk_sys::BOOLEAN);
same_layout!(NdisOid, ndis::NDIS_OID);

// ---------------------------------------------------------------------------------------------
// NDIS_OBJECT_HEADER (S:shared/ndis/objectheader.h:14-25)

same_layout!(NdisObjectHeader, ndis::NDIS_OBJECT_HEADER);
same_fields!(NdisObjectHeader => ndis::NDIS_OBJECT_HEADER: Type, Revision, Size);

// ---------------------------------------------------------------------------------------------
// NDIS_MINIPORT_DRIVER_CHARACTERISTICS (W:km/ndis.h:10868-10898), NDIS 6.30 = revision 2

same_layout!(NdisMiniportDriverCharacteristics, ndis::NDIS_MINIPORT_DRIVER_CHARACTERISTICS);
same_fields!(NdisMiniportDriverCharacteristics => ndis::NDIS_MINIPORT_DRIVER_CHARACTERISTICS:
    Header, MajorNdisVersion, MinorNdisVersion, MajorDriverVersion, MinorDriverVersion, Flags,
    SetOptionsHandler, InitializeHandlerEx, HaltHandlerEx, UnloadHandler, PauseHandler,
    RestartHandler, OidRequestHandler, SendNetBufferListsHandler, ReturnNetBufferListsHandler,
    CancelSendHandler, CheckForHangHandlerEx, ResetHandlerEx, DevicePnPEventNotifyHandler,
    ShutdownHandlerEx, CancelOidRequestHandler, DirectOidRequestHandler,
    CancelDirectOidRequestHandler,
);
same_value!(
    NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2
        => sizeof_through_field!(ndis::NDIS_MINIPORT_DRIVER_CHARACTERISTICS, CancelDirectOidRequestHandler),
);

// ---------------------------------------------------------------------------------------------
// Initialization-time structures (W:km/ndis.h:10152-10560)

same_layout!(NdisMiniportInitParameters, ndis::NDIS_MINIPORT_INIT_PARAMETERS);
same_fields!(NdisMiniportInitParameters => ndis::NDIS_MINIPORT_INIT_PARAMETERS:
    Header, Flags, AllocatedResources, IMDeviceInstanceContext, MiniportAddDeviceContext, IfIndex,
    NetLuid, DefaultPortAuthStates, PciDeviceCustomProperties,
);
same_value!(
    NDIS_SIZEOF_MINIPORT_INIT_PARAMETER_REVISION_1
        => sizeof_through_field!(ndis::NDIS_MINIPORT_INIT_PARAMETERS, PciDeviceCustomProperties),
);

same_layout!(NdisMiniportPauseParameters, ndis::NDIS_MINIPORT_PAUSE_PARAMETERS);
same_fields!(NdisMiniportPauseParameters => ndis::NDIS_MINIPORT_PAUSE_PARAMETERS:
    Header, Flags, PauseReason,
);
same_value!(
    NDIS_SIZEOF_MINIPORT_PAUSE_PARAMETERS_REVISION_1
        => sizeof_through_field!(ndis::NDIS_MINIPORT_PAUSE_PARAMETERS, PauseReason),
);

same_layout!(NdisMiniportRestartParameters, ndis::NDIS_MINIPORT_RESTART_PARAMETERS);
same_fields!(NdisMiniportRestartParameters => ndis::NDIS_MINIPORT_RESTART_PARAMETERS:
    Header, RestartAttributes, Flags,
);
same_value!(
    NDIS_SIZEOF_MINIPORT_RESTART_PARAMETERS_REVISION_1
        => sizeof_through_field!(ndis::NDIS_MINIPORT_RESTART_PARAMETERS, Flags),
);

// `Data` is `DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT) UCHAR Data[1]` (W:km/ndis.h:4118-4126).
same_layout!(NdisRestartAttributes, ndis::NDIS_RESTART_ATTRIBUTES);
same_fields!(NdisRestartAttributes => ndis::NDIS_RESTART_ATTRIBUTES: Next, Oid, DataLength, Data);

// No mirror (the driver never builds one), but ndis-types carries its revision size.
same_value!(
    NDIS_SIZEOF_RESTART_GENERAL_ATTRIBUTES_REVISION_2
        => sizeof_through_field!(ndis::NDIS_RESTART_GENERAL_ATTRIBUTES, MaxLookaheadSizeAccessed),
);

same_layout!(NdisMiniportAdapterRegistrationAttributes, ndis::NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES);
same_fields!(NdisMiniportAdapterRegistrationAttributes => ndis::NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES:
    Header, MiniportAdapterContext, AttributeFlags, CheckForHangTimeInSeconds, InterfaceType,
);
same_value!(
    NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2
        => sizeof_through_field!(ndis::NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES, InterfaceType),
);

same_layout!(NdisMiniportAdapterGeneralAttributes, ndis::NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES);
same_fields!(NdisMiniportAdapterGeneralAttributes => ndis::NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES:
    Header, Flags, MediaType, PhysicalMediumType, MtuSize, MaxXmitLinkSpeed, XmitLinkSpeed,
    MaxRcvLinkSpeed, RcvLinkSpeed, MediaConnectState, MediaDuplexState, LookaheadSize,
    PowerManagementCapabilities, MacOptions, SupportedPacketFilters, MaxMulticastListSize,
    MacAddressLength, PermanentMacAddress, CurrentMacAddress, RecvScaleCapabilities, AccessType,
    DirectionType, ConnectionType, IfType, IfConnectorPresent, SupportedStatistics,
    SupportedPauseFunctions, DataBackFillSize, ContextBackFillSize, SupportedOidList,
    SupportedOidListLength, AutoNegotiationFlags, PowerManagementCapabilitiesEx,
);
same_value!(
    NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2
        => sizeof_through_field!(ndis::NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES, PowerManagementCapabilitiesEx),
);

same_layout!(NdisPmCapabilities, ndis::NDIS_PM_CAPABILITIES);
same_fields!(NdisPmCapabilities => ndis::NDIS_PM_CAPABILITIES:
    Header, Flags, SupportedWoLPacketPatterns, NumTotalWoLPatterns, MaxWoLPatternSize,
    MaxWoLPatternOffset, MaxWoLPacketSaveBuffer, SupportedProtocolOffloads,
    NumArpOffloadIPv4Addresses, NumNSOffloadIPv6Addresses, MinMagicPacketWakeUp, MinPatternWakeUp,
    MinLinkChangeWakeUp, SupportedWakeUpEvents, MediaSpecificWakeUpEvents,
);
same_value!(
    NDIS_SIZEOF_NDIS_PM_CAPABILITIES_REVISION_2
        => sizeof_through_field!(ndis::NDIS_PM_CAPABILITIES, MediaSpecificWakeUpEvents),
);

same_layout!(NetDevicePnpEvent, ndis::NET_DEVICE_PNP_EVENT);
same_fields!(NetDevicePnpEvent => ndis::NET_DEVICE_PNP_EVENT:
    Header, PortNumber, DevicePnPEvent, InformationBuffer, InformationBufferLength, NdisReserved,
);
same_value!(
    NDIS_SIZEOF_NET_DEVICE_PNP_EVENT_REVISION_1
        => sizeof_through_field!(ndis::NET_DEVICE_PNP_EVENT, NdisReserved),
);

// ---------------------------------------------------------------------------------------------
// MDL (W:km/wdm.h:17719-17732): wdk-sys binds it.

same_layout!(Mdl, wdk_sys::MDL);
same_fields!(Mdl => wdk_sys::MDL:
    Next, Size, MdlFlags, Process, MappedSystemVa, StartVa, ByteCount, ByteOffset,
);

// ---------------------------------------------------------------------------------------------
// NET_BUFFER (W:km/ndis/nbl.h:91-132):
//
//   struct _NET_BUFFER {
//       union {                                     // __bindgen_anon_1 (1st unnamed member)
//           struct {                                //   .__bindgen_anon_1 (1st unnamed member)
//               NET_BUFFER *Next; MDL *CurrentMdl; ULONG CurrentMdlOffset;
//               union { ULONG DataLength; SIZE_T stDataLength; };   // .__bindgen_anon_1
//               MDL *MdlChain; ULONG DataOffset;
//           };
//           SLIST_HEADER Link;
//           NET_BUFFER_HEADER NetBufferHeader;      // legacy alias of the same 48 bytes
//       };
//       USHORT ChecksumBias; USHORT Reserved; NDIS_HANDLE NdisPoolHandle;
//       DECLSPEC_ALIGN(16) PVOID NdisReserved[2]; ... ProtocolReserved[6]; ... MiniportReserved[4];
//       PHYSICAL_ADDRESS DataPhysicalAddress;
//       union { NET_BUFFER_SHARED_MEMORY *SharedMemoryInfo; SCATTER_GATHER_LIST *ScatterGatherList; };
//                                                   // __bindgen_anon_2 (2nd unnamed member)
//   };

same_layout!(NetBuffer, ndis::NET_BUFFER);
same_field!(NetBuffer, Next => ndis::NET_BUFFER, __bindgen_anon_1.__bindgen_anon_1.Next);
same_field!(NetBuffer, CurrentMdl => ndis::NET_BUFFER, __bindgen_anon_1.__bindgen_anon_1.CurrentMdl);
same_field!(
    NetBuffer, CurrentMdlOffset => ndis::NET_BUFFER, __bindgen_anon_1.__bindgen_anon_1.CurrentMdlOffset
);
same_field!(
    NetBuffer, DataLength
        => ndis::NET_BUFFER, __bindgen_anon_1.__bindgen_anon_1.__bindgen_anon_1.DataLength
);
same_field!(NetBuffer, MdlChain => ndis::NET_BUFFER, __bindgen_anon_1.__bindgen_anon_1.MdlChain);
same_field!(NetBuffer, DataOffset => ndis::NET_BUFFER, __bindgen_anon_1.__bindgen_anon_1.DataOffset);
same_field!(NetBuffer, SharedMemoryInfo => ndis::NET_BUFFER, __bindgen_anon_2.SharedMemoryInfo);
same_fields!(NetBuffer => ndis::NET_BUFFER:
    ChecksumBias, Reserved, NdisPoolHandle, NdisReserved, ProtocolReserved, MiniportReserved,
    DataPhysicalAddress,
);
// The same head checked through the legacy named type, whose fields have plain names
// (`NET_BUFFER_DATA`, W:km/ndis/nbl.h:39-51, is the 48-byte head at offset 0 of NET_BUFFER). Its
// length union is the MS unnamed member `NET_BUFFER_DATA_LENGTH;` (nbl.h:45-47), which bindgen does
// not emit (the bindgen limit build.rs's `OPAQUE_TYPES` explains): those bytes are bindgen padding there, so `DataLength` is
// checked only through NET_BUFFER's anonymous members above.
same_fields!(NetBuffer => ndis::NET_BUFFER_DATA: Next, CurrentMdl, CurrentMdlOffset, MdlChain, DataOffset);
const _: () = assert!(size_of::<ndis::NET_BUFFER_DATA>() == offset_of!(NetBuffer, ChecksumBias));
// `NET_BUFFER_HEADER` (nbl.h:53-62, `union { NET_BUFFER_DATA; SLIST_HEADER Link; }`) is opaque in
// the bindings (build.rs `OPAQUE_TYPES`): a blob with clang's size and alignment. It is the
// `NetBufferHeader` arm of NET_BUFFER's first union, so that union, the blob and the mirror's head
// must all be the 48 bytes of `NET_BUFFER_DATA`, aligned as `SLIST_HEADER` (16 on x64 and ARM64).
const _: () = assert!(size_of::<ndis::NET_BUFFER_HEADER>() == size_of::<ndis::NET_BUFFER_DATA>());
const _: () = assert!(align_of::<ndis::NET_BUFFER_HEADER>() == align_of::<wdk_sys::SLIST_HEADER>());
const _: () = assert!(offset_of!(ndis::NET_BUFFER, __bindgen_anon_1.NetBufferHeader) == 0);
const _: () = assert!(
    field_size!(ndis::NET_BUFFER, __bindgen_anon_1.NetBufferHeader) == size_of::<ndis::NET_BUFFER_HEADER>()
);
const _: () =
    assert!(field_size!(ndis::NET_BUFFER, __bindgen_anon_1) == size_of::<ndis::NET_BUFFER_HEADER>());
const _: () = assert!(size_of::<ndis::NET_BUFFER_HEADER>() == offset_of!(NetBuffer, ChecksumBias));
// The mirror's fields with no C name: the 4 padding bytes before the 8-aligned length union, the
// high half of `stDataLength` (the union is `SIZE_T`-wide; `DataLength` is its low half on
// little-endian x64/ARM64), and the head's tail padding.
const _: () = assert!(offset_of!(NetBuffer, Padding0) == offset_of!(NetBuffer, CurrentMdlOffset) + 4);
const _: () = assert!(offset_of!(NetBuffer, DataLengthHigh) == offset_of!(NetBuffer, DataLength) + 4);
const _: () = assert!(
    field_size!(ndis::NET_BUFFER, __bindgen_anon_1.__bindgen_anon_1.__bindgen_anon_1.stDataLength)
        == field_size!(NetBuffer, DataLength) + field_size!(NetBuffer, DataLengthHigh)
);
const _: () = assert!(offset_of!(NetBuffer, Padding1) == offset_of!(NetBuffer, DataOffset) + 4);
const _: () = assert!(offset_of!(NetBuffer, Padding1) + 4 == offset_of!(NetBuffer, ChecksumBias));

// ---------------------------------------------------------------------------------------------
// NET_BUFFER_LIST (W:km/ndis/nbl.h:171-208), NDIS 6.30 client view (24 info slots):
//
//   struct _NET_BUFFER_LIST {
//       union {                                     // __bindgen_anon_1
//           struct { NET_BUFFER_LIST *Next; NET_BUFFER *FirstNetBuffer; };   // .__bindgen_anon_1
//           SLIST_HEADER Link;
//           NET_BUFFER_LIST_HEADER NetBufferListHeader;
//       };
//       NET_BUFFER_LIST_CONTEXT *Context; NET_BUFFER_LIST *ParentNetBufferList;
//       NDIS_HANDLE NdisPoolHandle; DECLSPEC_ALIGN(16) PVOID NdisReserved[2]; ... ProtocolReserved[4];
//       ... MiniportReserved[2]; PVOID Scratch; NDIS_HANDLE SourceHandle; ULONG NblFlags;
//       LONG ChildRefCount; ULONG Flags;
//       union { NDIS_STATUS Status; ULONG NdisReserved2; };                  // __bindgen_anon_2
//       PVOID NetBufferListInfo[MaxNetBufferListInfo];
//   };

same_layout!(NetBufferList, ndis::NET_BUFFER_LIST);
same_field!(NetBufferList, Next => ndis::NET_BUFFER_LIST, __bindgen_anon_1.__bindgen_anon_1.Next);
same_field!(
    NetBufferList, FirstNetBuffer => ndis::NET_BUFFER_LIST, __bindgen_anon_1.__bindgen_anon_1.FirstNetBuffer
);
same_field!(NetBufferList, Status => ndis::NET_BUFFER_LIST, __bindgen_anon_2.Status);
same_fields!(NetBufferList => ndis::NET_BUFFER_LIST:
    Context, ParentNetBufferList, NdisPoolHandle, NdisReserved, ProtocolReserved, MiniportReserved,
    Scratch, SourceHandle, NblFlags, ChildRefCount, Flags, NetBufferListInfo,
);
// Through the legacy named head (`NET_BUFFER_LIST_DATA`, W:km/ndis/nbl.h:153-157).
same_fields!(NetBufferList => ndis::NET_BUFFER_LIST_DATA: Next, FirstNetBuffer);
// `NET_BUFFER_LIST_HEADER` (nbl.h:159-167, `union { NET_BUFFER_LIST_DATA; SLIST_HEADER Link; }`) is
// opaque like `NET_BUFFER_HEADER` above: the blob, NET_BUFFER_LIST's first union and the mirror's
// head are one `SLIST_HEADER`-aligned size, at least `NET_BUFFER_LIST_DATA`.
const _: () = assert!(size_of::<ndis::NET_BUFFER_LIST_HEADER>() >= size_of::<ndis::NET_BUFFER_LIST_DATA>());
const _: () = assert!(size_of::<ndis::NET_BUFFER_LIST_HEADER>() == size_of::<wdk_sys::SLIST_HEADER>());
const _: () = assert!(align_of::<ndis::NET_BUFFER_LIST_HEADER>() == align_of::<wdk_sys::SLIST_HEADER>());
const _: () = assert!(offset_of!(ndis::NET_BUFFER_LIST, __bindgen_anon_1.NetBufferListHeader) == 0);
const _: () = assert!(
    field_size!(ndis::NET_BUFFER_LIST, __bindgen_anon_1.NetBufferListHeader)
        == size_of::<ndis::NET_BUFFER_LIST_HEADER>()
);
const _: () = assert!(
    field_size!(ndis::NET_BUFFER_LIST, __bindgen_anon_1) == size_of::<ndis::NET_BUFFER_LIST_HEADER>()
);
const _: () = assert!(size_of::<ndis::NET_BUFFER_LIST_HEADER>() == offset_of!(NetBufferList, Context));

same_layout!(NetBufferListPoolParameters, ndis::NET_BUFFER_LIST_POOL_PARAMETERS);
same_fields!(NetBufferListPoolParameters => ndis::NET_BUFFER_LIST_POOL_PARAMETERS:
    Header, ProtocolId, fAllocateNetBuffer, ContextSize, PoolTag, DataSize,
);
same_value!(
    NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1
        => sizeof_through_field!(ndis::NET_BUFFER_LIST_POOL_PARAMETERS, DataSize),
);

// ---------------------------------------------------------------------------------------------
// NDIS_OID_REQUEST (W:km/ndis/oidrequest.h:23-91). `DATA` is a *named* member of type
// `union _REQUEST_DATA`, whose arms are the named members `Oid`, `QUERY_INFORMATION`,
// `SET_INFORMATION`, `METHOD_INFORMATION`; every path below is made of C names only (the Rust type
// name bindgen gives the nested union is not needed, so it is not assumed).

same_layout!(NdisOidRequest, ndis::NDIS_OID_REQUEST);
same_fields!(NdisOidRequest => ndis::NDIS_OID_REQUEST:
    Header, RequestType, PortNumber, Timeout, RequestId, RequestHandle, DATA, NdisReserved,
    MiniportReserved, SourceReserved, SupportedRevision, Reserved1, Reserved2,
);
same_value!(
    NDIS_SIZEOF_OID_REQUEST_REVISION_1 => sizeof_through_field!(ndis::NDIS_OID_REQUEST, Reserved2),
);
same_field!(NdisOidRequest, DATA.Oid => ndis::NDIS_OID_REQUEST, DATA.Oid);
same_field!(NdisOidRequest, DATA.QUERY_INFORMATION => ndis::NDIS_OID_REQUEST, DATA.QUERY_INFORMATION);
same_field!(NdisOidRequest, DATA.SET_INFORMATION => ndis::NDIS_OID_REQUEST, DATA.SET_INFORMATION);
same_field!(NdisOidRequest, DATA.METHOD_INFORMATION => ndis::NDIS_OID_REQUEST, DATA.METHOD_INFORMATION);
same_field!(
    NdisOidRequest, DATA.QUERY_INFORMATION.Oid => ndis::NDIS_OID_REQUEST, DATA.QUERY_INFORMATION.Oid
);
same_field!(
    NdisOidRequest, DATA.QUERY_INFORMATION.InformationBuffer
        => ndis::NDIS_OID_REQUEST, DATA.QUERY_INFORMATION.InformationBuffer
);
same_field!(
    NdisOidRequest, DATA.QUERY_INFORMATION.InformationBufferLength
        => ndis::NDIS_OID_REQUEST, DATA.QUERY_INFORMATION.InformationBufferLength
);
same_field!(
    NdisOidRequest, DATA.QUERY_INFORMATION.BytesWritten
        => ndis::NDIS_OID_REQUEST, DATA.QUERY_INFORMATION.BytesWritten
);
same_field!(
    NdisOidRequest, DATA.QUERY_INFORMATION.BytesNeeded
        => ndis::NDIS_OID_REQUEST, DATA.QUERY_INFORMATION.BytesNeeded
);
same_field!(
    NdisOidRequest, DATA.SET_INFORMATION.Oid => ndis::NDIS_OID_REQUEST, DATA.SET_INFORMATION.Oid
);
same_field!(
    NdisOidRequest, DATA.SET_INFORMATION.InformationBuffer
        => ndis::NDIS_OID_REQUEST, DATA.SET_INFORMATION.InformationBuffer
);
same_field!(
    NdisOidRequest, DATA.SET_INFORMATION.InformationBufferLength
        => ndis::NDIS_OID_REQUEST, DATA.SET_INFORMATION.InformationBufferLength
);
same_field!(
    NdisOidRequest, DATA.SET_INFORMATION.BytesRead => ndis::NDIS_OID_REQUEST, DATA.SET_INFORMATION.BytesRead
);
same_field!(
    NdisOidRequest, DATA.SET_INFORMATION.BytesNeeded
        => ndis::NDIS_OID_REQUEST, DATA.SET_INFORMATION.BytesNeeded
);
same_field!(
    NdisOidRequest, DATA.METHOD_INFORMATION.Oid => ndis::NDIS_OID_REQUEST, DATA.METHOD_INFORMATION.Oid
);
same_field!(
    NdisOidRequest, DATA.METHOD_INFORMATION.InformationBuffer
        => ndis::NDIS_OID_REQUEST, DATA.METHOD_INFORMATION.InformationBuffer
);
same_field!(
    NdisOidRequest, DATA.METHOD_INFORMATION.InputBufferLength
        => ndis::NDIS_OID_REQUEST, DATA.METHOD_INFORMATION.InputBufferLength
);
same_field!(
    NdisOidRequest, DATA.METHOD_INFORMATION.OutputBufferLength
        => ndis::NDIS_OID_REQUEST, DATA.METHOD_INFORMATION.OutputBufferLength
);
same_field!(
    NdisOidRequest, DATA.METHOD_INFORMATION.MethodId
        => ndis::NDIS_OID_REQUEST, DATA.METHOD_INFORMATION.MethodId
);
same_field!(
    NdisOidRequest, DATA.METHOD_INFORMATION.BytesWritten
        => ndis::NDIS_OID_REQUEST, DATA.METHOD_INFORMATION.BytesWritten
);
same_field!(
    NdisOidRequest, DATA.METHOD_INFORMATION.BytesRead
        => ndis::NDIS_OID_REQUEST, DATA.METHOD_INFORMATION.BytesRead
);
same_field!(
    NdisOidRequest, DATA.METHOD_INFORMATION.BytesNeeded
        => ndis::NDIS_OID_REQUEST, DATA.METHOD_INFORMATION.BytesNeeded
);
// The union mirror and its arms on their own (the facade hands out `&OidQueryInformation`).
const _: () = assert!(size_of::<OidRequestData>() == field_size!(ndis::NDIS_OID_REQUEST, DATA));
const _: () =
    assert!(size_of::<OidQueryInformation>() == field_size!(ndis::NDIS_OID_REQUEST, DATA.QUERY_INFORMATION));
const _: () =
    assert!(size_of::<OidSetInformation>() == field_size!(ndis::NDIS_OID_REQUEST, DATA.SET_INFORMATION));
const _: () = assert!(
    size_of::<OidMethodInformation>() == field_size!(ndis::NDIS_OID_REQUEST, DATA.METHOD_INFORMATION)
);

// ---------------------------------------------------------------------------------------------
// Run-time structures (W:km/ndis.h, W:km/ndis/oidrequest.h, S:shared/ntddndis.h)

// Configuration (W:km/ndis.h:1161-1190, 2290-2306, 4308-4323)
same_layout!(UnicodeString, wdk_sys::UNICODE_STRING);
same_fields!(UnicodeString => wdk_sys::UNICODE_STRING: Length, MaximumLength, Buffer);
same_layout!(NdisConfigurationObject, ndis::NDIS_CONFIGURATION_OBJECT);
same_fields!(NdisConfigurationObject => ndis::NDIS_CONFIGURATION_OBJECT: Header, NdisHandle, Flags);
same_value!(
    NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1 => sizeof_through_field!(ndis::NDIS_CONFIGURATION_OBJECT, Flags),
    NDIS_CONFIGURATION_OBJECT_REVISION_1 => ndis::NDIS_CONFIGURATION_OBJECT_REVISION_1,
    NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT => ndis::NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT,
    NDIS_PARAMETER_INTEGER => ndis::_NDIS_PARAMETER_TYPE::NdisParameterInteger,
    NDIS_PARAMETER_HEX_INTEGER => ndis::_NDIS_PARAMETER_TYPE::NdisParameterHexInteger,
    NDIS_PARAMETER_STRING => ndis::_NDIS_PARAMETER_TYPE::NdisParameterString,
    NDIS_PARAMETER_MULTI_STRING => ndis::_NDIS_PARAMETER_TYPE::NdisParameterMultiString,
    NDIS_PARAMETER_BINARY => ndis::_NDIS_PARAMETER_TYPE::NdisParameterBinary,
    NDIS_ERROR_CODE_NETWORK_ADDRESS => ndis::NDIS_ERROR_CODE_NETWORK_ADDRESS,
    NDIS_ERROR_CODE_UNSUPPORTED_CONFIGURATION => ndis::NDIS_ERROR_CODE_UNSUPPORTED_CONFIGURATION,
    NDIS_ERROR_CODE_MISSING_CONFIGURATION_PARAMETER => ndis::NDIS_ERROR_CODE_MISSING_CONFIGURATION_PARAMETER,
);
same_layout!(BinaryData, ndis::BINARY_DATA);
same_fields!(BinaryData => ndis::BINARY_DATA: Length, Buffer);
same_layout!(NdisConfigurationParameter, ndis::NDIS_CONFIGURATION_PARAMETER);
same_fields!(NdisConfigurationParameter => ndis::NDIS_CONFIGURATION_PARAMETER: ParameterType, ParameterData);
same_field!(NdisConfigurationParameter, ParameterData.IntegerData
    => ndis::NDIS_CONFIGURATION_PARAMETER, ParameterData.IntegerData);
same_field!(NdisConfigurationParameter, ParameterData.StringData
    => ndis::NDIS_CONFIGURATION_PARAMETER, ParameterData.StringData);

same_layout!(NdisStatusIndication, ndis::NDIS_STATUS_INDICATION);
same_fields!(NdisStatusIndication => ndis::NDIS_STATUS_INDICATION:
    Header, SourceHandle, PortNumber, StatusCode, Flags, DestinationHandle, RequestId, StatusBuffer,
    StatusBufferSize, Guid, NdisReserved,
);
same_value!(
    NDIS_SIZEOF_STATUS_INDICATION_REVISION_1
        => sizeof_through_field!(ndis::NDIS_STATUS_INDICATION, NdisReserved),
);

same_layout!(NdisLinkState, ndis::NDIS_LINK_STATE);
same_fields!(NdisLinkState => ndis::NDIS_LINK_STATE:
    Header, MediaConnectState, MediaDuplexState, XmitLinkSpeed, RcvLinkSpeed, PauseFunctions,
    AutoNegotiationFlags,
);
same_value!(
    NDIS_SIZEOF_LINK_STATE_REVISION_1 => sizeof_through_field!(ndis::NDIS_LINK_STATE, AutoNegotiationFlags),
);

same_layout!(NdisStatisticsInfo, ndis::NDIS_STATISTICS_INFO);
same_fields!(NdisStatisticsInfo => ndis::NDIS_STATISTICS_INFO:
    Header, SupportedStatistics, ifInDiscards, ifInErrors, ifHCInOctets, ifHCInUcastPkts,
    ifHCInMulticastPkts, ifHCInBroadcastPkts, ifHCOutOctets, ifHCOutUcastPkts, ifHCOutMulticastPkts,
    ifHCOutBroadcastPkts, ifOutErrors, ifOutDiscards, ifHCInUcastOctets, ifHCInMulticastOctets,
    ifHCInBroadcastOctets, ifHCOutUcastOctets, ifHCOutMulticastOctets, ifHCOutBroadcastOctets,
);
same_value!(
    NDIS_SIZEOF_STATISTICS_INFO_REVISION_1
        => sizeof_through_field!(ndis::NDIS_STATISTICS_INFO, ifHCOutBroadcastOctets),
);

same_layout!(NdisInterruptModerationParameters, ndis::NDIS_INTERRUPT_MODERATION_PARAMETERS);
same_fields!(NdisInterruptModerationParameters => ndis::NDIS_INTERRUPT_MODERATION_PARAMETERS:
    Header, Flags, InterruptModeration,
);
same_value!(
    NDIS_SIZEOF_INTERRUPT_MODERATION_PARAMETERS_REVISION_1
        => sizeof_through_field!(ndis::NDIS_INTERRUPT_MODERATION_PARAMETERS, InterruptModeration),
);

same_layout!(Guid, wdk_sys::GUID);
same_fields!(Guid => wdk_sys::GUID: Data1, Data2, Data3, Data4);

// ---------------------------------------------------------------------------------------------
// WDF_OBJECT_CONTEXT_TYPE_INFO (WDF-SRC wdfobject.h): wdk-sys binds it.

same_layout!(WdfObjectContextTypeInfo, wdk_sys::WDF_OBJECT_CONTEXT_TYPE_INFO);
same_fields!(WdfObjectContextTypeInfo => wdk_sys::WDF_OBJECT_CONTEXT_TYPE_INFO:
    Size, ContextName, ContextSize, UniqueType, EvtDriverGetUniqueContextType,
);
same_layout!(*const c_void, wdk_sys::PCWDF_OBJECT_CONTEXT_TYPE_INFO);

// ---------------------------------------------------------------------------------------------
// Constants: object types and revisions (#defines in ntddndis.h, oidtypes.h, ndis.h, nblapi.h)

same_value!(
    NDIS_OBJECT_TYPE_DEFAULT => ndis::NDIS_OBJECT_TYPE_DEFAULT,
    NDIS_OBJECT_TYPE_MINIPORT_INIT_PARAMETERS => ndis::NDIS_OBJECT_TYPE_MINIPORT_INIT_PARAMETERS,
    NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS => ndis::NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS,
    NDIS_OBJECT_TYPE_OID_REQUEST => ndis::NDIS_OBJECT_TYPE_OID_REQUEST,
    NDIS_OBJECT_TYPE_STATUS_INDICATION => ndis::NDIS_OBJECT_TYPE_STATUS_INDICATION,
    NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES
        => ndis::NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES,
    NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES
        => ndis::NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES,
    NDIS_OBJECT_TYPE_RESTART_GENERAL_ATTRIBUTES => ndis::NDIS_OBJECT_TYPE_RESTART_GENERAL_ATTRIBUTES,
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1 => ndis::NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1,
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2 => ndis::NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2,
    NDIS_MINIPORT_INIT_PARAMETERS_REVISION_1 => ndis::NDIS_MINIPORT_INIT_PARAMETERS_REVISION_1,
    NDIS_MINIPORT_PAUSE_PARAMETERS_REVISION_1 => ndis::NDIS_MINIPORT_PAUSE_PARAMETERS_REVISION_1,
    NDIS_MINIPORT_RESTART_PARAMETERS_REVISION_1 => ndis::NDIS_MINIPORT_RESTART_PARAMETERS_REVISION_1,
    NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2
        => ndis::NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2,
    NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2
        => ndis::NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2,
    NDIS_PM_CAPABILITIES_REVISION_2 => ndis::NDIS_PM_CAPABILITIES_REVISION_2,
    NDIS_OID_REQUEST_REVISION_1 => ndis::NDIS_OID_REQUEST_REVISION_1,
    NDIS_STATUS_INDICATION_REVISION_1 => ndis::NDIS_STATUS_INDICATION_REVISION_1,
    NDIS_LINK_STATE_REVISION_1 => ndis::NDIS_LINK_STATE_REVISION_1,
    NDIS_STATISTICS_INFO_REVISION_1 => ndis::NDIS_STATISTICS_INFO_REVISION_1,
    NDIS_INTERRUPT_MODERATION_PARAMETERS_REVISION_1 => ndis::NDIS_INTERRUPT_MODERATION_PARAMETERS_REVISION_1,
    NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1 => ndis::NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
    NET_DEVICE_PNP_EVENT_REVISION_1 => ndis::NET_DEVICE_PNP_EVENT_REVISION_1,
    NDIS_RESTART_GENERAL_ATTRIBUTES_REVISION_2 => ndis::NDIS_RESTART_GENERAL_ATTRIBUTES_REVISION_2,
);

// Miniport constants: #defines
same_value!(
    NDIS_WDM_DRIVER => ndis::NDIS_WDM_DRIVER,
    NDIS_PAUSE_NDIS_INTERNAL => ndis::NDIS_PAUSE_NDIS_INTERNAL,
    NDIS_PAUSE_LOW_POWER => ndis::NDIS_PAUSE_LOW_POWER,
    NDIS_PAUSE_BIND_PROTOCOL => ndis::NDIS_PAUSE_BIND_PROTOCOL,
    NDIS_PAUSE_UNBIND_PROTOCOL => ndis::NDIS_PAUSE_UNBIND_PROTOCOL,
    NDIS_PAUSE_MINIPORT_DEVICE_REMOVE => ndis::NDIS_PAUSE_MINIPORT_DEVICE_REMOVE,
    NDIS_MINIPORT_ATTRIBUTES_HARDWARE_DEVICE => ndis::NDIS_MINIPORT_ATTRIBUTES_HARDWARE_DEVICE,
    NDIS_MINIPORT_ATTRIBUTES_NDIS_WDM => ndis::NDIS_MINIPORT_ATTRIBUTES_NDIS_WDM,
    NDIS_MINIPORT_ATTRIBUTES_SURPRISE_REMOVE_OK => ndis::NDIS_MINIPORT_ATTRIBUTES_SURPRISE_REMOVE_OK,
    NDIS_MINIPORT_ATTRIBUTES_NOT_CO_NDIS => ndis::NDIS_MINIPORT_ATTRIBUTES_NOT_CO_NDIS,
    NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND => ndis::NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND,
    NDIS_MINIPORT_ATTRIBUTES_BUS_MASTER => ndis::NDIS_MINIPORT_ATTRIBUTES_BUS_MASTER,
    NDIS_MINIPORT_ATTRIBUTES_NO_PAUSE_ON_SUSPEND => ndis::NDIS_MINIPORT_ATTRIBUTES_NO_PAUSE_ON_SUSPEND,
    NDIS_MINIPORT_ATTRIBUTES_REGISTER_BUGCHECK_CALLBACK
        => ndis::NDIS_MINIPORT_ATTRIBUTES_REGISTER_BUGCHECK_CALLBACK,
    IF_TYPE_ETHERNET_CSMACD => ndis::IF_TYPE_ETHERNET_CSMACD,
    NDIS_MAX_PHYS_ADDRESS_LENGTH => ndis::NDIS_MAX_PHYS_ADDRESS_LENGTH,
    ETH_LENGTH_OF_ADDRESS => ndis::ETH_LENGTH_OF_ADDRESS,
);

// Miniport constants: C enums (bindgen `ModuleConsts`: `mod _TAG { pub const Enumerator: Type }`;
// tags as in the headers, e.g. `typedef enum _NDIS_HALT_ACTION {...} NDIS_HALT_ACTION`).
same_value!(
    NDIS_HALT_DEVICE_DISABLED => ndis::_NDIS_HALT_ACTION::NdisHaltDeviceDisabled,
    NDIS_HALT_DEVICE_INSTANCE_DEINITIALIZED => ndis::_NDIS_HALT_ACTION::NdisHaltDeviceInstanceDeInitialized,
    NDIS_HALT_DEVICE_POWERED_DOWN => ndis::_NDIS_HALT_ACTION::NdisHaltDevicePoweredDown,
    NDIS_HALT_DEVICE_SURPRISE_REMOVED => ndis::_NDIS_HALT_ACTION::NdisHaltDeviceSurpriseRemoved,
    NDIS_HALT_DEVICE_FAILED => ndis::_NDIS_HALT_ACTION::NdisHaltDeviceFailed,
    NDIS_HALT_DEVICE_INITIALIZATION_FAILED => ndis::_NDIS_HALT_ACTION::NdisHaltDeviceInitializationFailed,
    NDIS_HALT_DEVICE_STOPPED => ndis::_NDIS_HALT_ACTION::NdisHaltDeviceStopped,
    NDIS_SHUTDOWN_POWER_OFF => ndis::_NDIS_SHUTDOWN_ACTION::NdisShutdownPowerOff,
    NDIS_SHUTDOWN_BUG_CHECK => ndis::_NDIS_SHUTDOWN_ACTION::NdisShutdownBugCheck,
    NDIS_DEVICE_PNP_EVENT_QUERY_REMOVED => ndis::_NDIS_DEVICE_PNP_EVENT::NdisDevicePnPEventQueryRemoved,
    NDIS_DEVICE_PNP_EVENT_REMOVED => ndis::_NDIS_DEVICE_PNP_EVENT::NdisDevicePnPEventRemoved,
    NDIS_DEVICE_PNP_EVENT_SURPRISE_REMOVED => ndis::_NDIS_DEVICE_PNP_EVENT::NdisDevicePnPEventSurpriseRemoved,
    NDIS_DEVICE_PNP_EVENT_QUERY_STOPPED => ndis::_NDIS_DEVICE_PNP_EVENT::NdisDevicePnPEventQueryStopped,
    NDIS_DEVICE_PNP_EVENT_STOPPED => ndis::_NDIS_DEVICE_PNP_EVENT::NdisDevicePnPEventStopped,
    NDIS_DEVICE_PNP_EVENT_POWER_PROFILE_CHANGED
        => ndis::_NDIS_DEVICE_PNP_EVENT::NdisDevicePnPEventPowerProfileChanged,
    NDIS_DEVICE_PNP_EVENT_FILTER_LIST_CHANGED
        => ndis::_NDIS_DEVICE_PNP_EVENT::NdisDevicePnPEventFilterListChanged,
    NDIS_INTERFACE_INTERNAL => ndis::_NDIS_INTERFACE_TYPE::NdisInterfaceInternal,
    NDIS_INTERFACE_PNP_BUS => ndis::_NDIS_INTERFACE_TYPE::NdisInterfacePNPBus,
    NDIS_MEDIUM_802_3 => ndis::_NDIS_MEDIUM::NdisMedium802_3,
    NDIS_PHYSICAL_MEDIUM_UNSPECIFIED => ndis::_NDIS_PHYSICAL_MEDIUM::NdisPhysicalMediumUnspecified,
    NDIS_PHYSICAL_MEDIUM_802_3 => ndis::_NDIS_PHYSICAL_MEDIUM::NdisPhysicalMedium802_3,
    MEDIA_CONNECT_STATE_UNKNOWN => ndis::_NET_IF_MEDIA_CONNECT_STATE::MediaConnectStateUnknown,
    MEDIA_CONNECT_STATE_CONNECTED => ndis::_NET_IF_MEDIA_CONNECT_STATE::MediaConnectStateConnected,
    MEDIA_CONNECT_STATE_DISCONNECTED => ndis::_NET_IF_MEDIA_CONNECT_STATE::MediaConnectStateDisconnected,
    MEDIA_DUPLEX_STATE_UNKNOWN => ndis::_NET_IF_MEDIA_DUPLEX_STATE::MediaDuplexStateUnknown,
    MEDIA_DUPLEX_STATE_HALF => ndis::_NET_IF_MEDIA_DUPLEX_STATE::MediaDuplexStateHalf,
    MEDIA_DUPLEX_STATE_FULL => ndis::_NET_IF_MEDIA_DUPLEX_STATE::MediaDuplexStateFull,
    NET_IF_ACCESS_BROADCAST => ndis::_NET_IF_ACCESS_TYPE::NET_IF_ACCESS_BROADCAST,
    NET_IF_DIRECTION_SENDRECEIVE => ndis::_NET_IF_DIRECTION_TYPE::NET_IF_DIRECTION_SENDRECEIVE,
    NET_IF_CONNECTION_DEDICATED => ndis::_NET_IF_CONNECTION_TYPE::NET_IF_CONNECTION_DEDICATED,
    NDIS_PAUSE_FUNCTIONS_UNSUPPORTED => ndis::_NDIS_SUPPORTED_PAUSE_FUNCTIONS::NdisPauseFunctionsUnsupported,
    NDIS_DEVICE_STATE_UNSPECIFIED => ndis::_NDIS_DEVICE_POWER_STATE::NdisDeviceStateUnspecified,
    NDIS_DEVICE_STATE_D0 => ndis::_NDIS_DEVICE_POWER_STATE::NdisDeviceStateD0,
    NDIS_DEVICE_STATE_D3 => ndis::_NDIS_DEVICE_POWER_STATE::NdisDeviceStateD3,
);

// NBL/NB constants
same_value!(
    MEMORY_ALLOCATION_ALIGNMENT => wdk_sys::MEMORY_ALLOCATION_ALIGNMENT,
    MDL_MAPPED_TO_SYSTEM_VA => wdk_sys::MDL_MAPPED_TO_SYSTEM_VA,
    MDL_SOURCE_IS_NONPAGED_POOL => wdk_sys::MDL_SOURCE_IS_NONPAGED_POOL,
    MDL_PARTIAL => wdk_sys::MDL_PARTIAL,
    MDL_PARTIAL_HAS_BEEN_MAPPED => wdk_sys::MDL_PARTIAL_HAS_BEEN_MAPPED,
    PAGE_SIZE => wdk_sys::PAGE_SIZE,
    LOW_PAGE_PRIORITY => wdk_sys::_MM_PAGE_PRIORITY::LowPagePriority,
    NORMAL_PAGE_PRIORITY => wdk_sys::_MM_PAGE_PRIORITY::NormalPagePriority,
    HIGH_PAGE_PRIORITY => wdk_sys::_MM_PAGE_PRIORITY::HighPagePriority,
    MDL_MAPPING_NO_WRITE => wdk_sys::MdlMappingNoWrite,
    MDL_MAPPING_NO_EXECUTE => wdk_sys::MdlMappingNoExecute,
    MAX_NET_BUFFER_LIST_INFO => ndis::_NDIS_NET_BUFFER_LIST_INFO::MaxNetBufferListInfo,
    IEEE_8021Q_NET_BUFFER_LIST_INFO => ndis::_NDIS_NET_BUFFER_LIST_INFO::Ieee8021QNetBufferListInfo,
    NET_BUFFER_LIST_CANCEL_ID => ndis::_NDIS_NET_BUFFER_LIST_INFO::NetBufferListCancelId,
    NDIS_PROTOCOL_ID_DEFAULT => ndis::NDIS_PROTOCOL_ID_DEFAULT,
    NDIS_SEND_FLAGS_DISPATCH_LEVEL => ndis::NDIS_SEND_FLAGS_DISPATCH_LEVEL,
    NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK => ndis::NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK,
    NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL => ndis::NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL,
    NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL => ndis::NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL,
    NDIS_RECEIVE_FLAGS_RESOURCES => ndis::NDIS_RECEIVE_FLAGS_RESOURCES,
    NDIS_RECEIVE_FLAGS_SINGLE_ETHER_TYPE => ndis::NDIS_RECEIVE_FLAGS_SINGLE_ETHER_TYPE,
    NDIS_RECEIVE_FLAGS_PERFECT_FILTERED => ndis::NDIS_RECEIVE_FLAGS_PERFECT_FILTERED,
    NDIS_RETURN_FLAGS_DISPATCH_LEVEL => ndis::NDIS_RETURN_FLAGS_DISPATCH_LEVEL,
    NBL_FLAGS_MINIPORT_RESERVED => ndis::NBL_FLAGS_MINIPORT_RESERVED,
);

// OID request types and interrupt moderation (enums)
same_value!(
    NDIS_REQUEST_QUERY_INFORMATION => ndis::_NDIS_REQUEST_TYPE::NdisRequestQueryInformation,
    NDIS_REQUEST_SET_INFORMATION => ndis::_NDIS_REQUEST_TYPE::NdisRequestSetInformation,
    NDIS_REQUEST_QUERY_STATISTICS => ndis::_NDIS_REQUEST_TYPE::NdisRequestQueryStatistics,
    NDIS_REQUEST_METHOD => ndis::_NDIS_REQUEST_TYPE::NdisRequestMethod,
    NDIS_INTERRUPT_MODERATION_UNKNOWN => ndis::_NDIS_INTERRUPT_MODERATION::NdisInterruptModerationUnknown,
    NDIS_INTERRUPT_MODERATION_NOT_SUPPORTED
        => ndis::_NDIS_INTERRUPT_MODERATION::NdisInterruptModerationNotSupported,
    NDIS_INTERRUPT_MODERATION_ENABLED => ndis::_NDIS_INTERRUPT_MODERATION::NdisInterruptModerationEnabled,
    NDIS_INTERRUPT_MODERATION_DISABLED => ndis::_NDIS_INTERRUPT_MODERATION::NdisInterruptModerationDisabled,
);

// OIDs (#defines in ntddndis.h)
same_value!(
    OID_GEN_SUPPORTED_LIST => ndis::OID_GEN_SUPPORTED_LIST,
    OID_GEN_HARDWARE_STATUS => ndis::OID_GEN_HARDWARE_STATUS,
    OID_GEN_MEDIA_SUPPORTED => ndis::OID_GEN_MEDIA_SUPPORTED,
    OID_GEN_MEDIA_IN_USE => ndis::OID_GEN_MEDIA_IN_USE,
    OID_GEN_MAXIMUM_LOOKAHEAD => ndis::OID_GEN_MAXIMUM_LOOKAHEAD,
    OID_GEN_MAXIMUM_FRAME_SIZE => ndis::OID_GEN_MAXIMUM_FRAME_SIZE,
    OID_GEN_LINK_SPEED => ndis::OID_GEN_LINK_SPEED,
    OID_GEN_TRANSMIT_BUFFER_SPACE => ndis::OID_GEN_TRANSMIT_BUFFER_SPACE,
    OID_GEN_RECEIVE_BUFFER_SPACE => ndis::OID_GEN_RECEIVE_BUFFER_SPACE,
    OID_GEN_TRANSMIT_BLOCK_SIZE => ndis::OID_GEN_TRANSMIT_BLOCK_SIZE,
    OID_GEN_RECEIVE_BLOCK_SIZE => ndis::OID_GEN_RECEIVE_BLOCK_SIZE,
    OID_GEN_VENDOR_ID => ndis::OID_GEN_VENDOR_ID,
    OID_GEN_VENDOR_DESCRIPTION => ndis::OID_GEN_VENDOR_DESCRIPTION,
    OID_GEN_CURRENT_PACKET_FILTER => ndis::OID_GEN_CURRENT_PACKET_FILTER,
    OID_GEN_CURRENT_LOOKAHEAD => ndis::OID_GEN_CURRENT_LOOKAHEAD,
    OID_GEN_DRIVER_VERSION => ndis::OID_GEN_DRIVER_VERSION,
    OID_GEN_MAXIMUM_TOTAL_SIZE => ndis::OID_GEN_MAXIMUM_TOTAL_SIZE,
    OID_GEN_MAC_OPTIONS => ndis::OID_GEN_MAC_OPTIONS,
    OID_GEN_MEDIA_CONNECT_STATUS => ndis::OID_GEN_MEDIA_CONNECT_STATUS,
    OID_GEN_MAXIMUM_SEND_PACKETS => ndis::OID_GEN_MAXIMUM_SEND_PACKETS,
    OID_GEN_VENDOR_DRIVER_VERSION => ndis::OID_GEN_VENDOR_DRIVER_VERSION,
    OID_GEN_PHYSICAL_MEDIUM => ndis::OID_GEN_PHYSICAL_MEDIUM,
    OID_GEN_MAX_LINK_SPEED => ndis::OID_GEN_MAX_LINK_SPEED,
    OID_GEN_LINK_STATE => ndis::OID_GEN_LINK_STATE,
    OID_GEN_LINK_PARAMETERS => ndis::OID_GEN_LINK_PARAMETERS,
    OID_GEN_INTERRUPT_MODERATION => ndis::OID_GEN_INTERRUPT_MODERATION,
    OID_GEN_VLAN_ID => ndis::OID_GEN_VLAN_ID,
    OID_GEN_MINIPORT_RESTART_ATTRIBUTES => ndis::OID_GEN_MINIPORT_RESTART_ATTRIBUTES,
    OID_GEN_XMIT_OK => ndis::OID_GEN_XMIT_OK,
    OID_GEN_RCV_OK => ndis::OID_GEN_RCV_OK,
    OID_GEN_XMIT_ERROR => ndis::OID_GEN_XMIT_ERROR,
    OID_GEN_RCV_ERROR => ndis::OID_GEN_RCV_ERROR,
    OID_GEN_RCV_NO_BUFFER => ndis::OID_GEN_RCV_NO_BUFFER,
    OID_GEN_STATISTICS => ndis::OID_GEN_STATISTICS,
    OID_GEN_RCV_DISCARDS => ndis::OID_GEN_RCV_DISCARDS,
    OID_GEN_XMIT_DISCARDS => ndis::OID_GEN_XMIT_DISCARDS,
    OID_802_3_PERMANENT_ADDRESS => ndis::OID_802_3_PERMANENT_ADDRESS,
    OID_802_3_CURRENT_ADDRESS => ndis::OID_802_3_CURRENT_ADDRESS,
    OID_802_3_MULTICAST_LIST => ndis::OID_802_3_MULTICAST_LIST,
    OID_802_3_MAXIMUM_LIST_SIZE => ndis::OID_802_3_MAXIMUM_LIST_SIZE,
    OID_802_3_MAC_OPTIONS => ndis::OID_802_3_MAC_OPTIONS,
    OID_802_3_RCV_ERROR_ALIGNMENT => ndis::OID_802_3_RCV_ERROR_ALIGNMENT,
    OID_802_3_XMIT_ONE_COLLISION => ndis::OID_802_3_XMIT_ONE_COLLISION,
    OID_802_3_XMIT_MORE_COLLISIONS => ndis::OID_802_3_XMIT_MORE_COLLISIONS,
    OID_PNP_CAPABILITIES => ndis::OID_PNP_CAPABILITIES,
    OID_PNP_SET_POWER => ndis::OID_PNP_SET_POWER,
    OID_PNP_QUERY_POWER => ndis::OID_PNP_QUERY_POWER,
);

// Packet filters, MAC options, statistics flags (#defines in ntddndis.h and ndis.h)
same_value!(
    NDIS_PACKET_TYPE_DIRECTED => ndis::NDIS_PACKET_TYPE_DIRECTED,
    NDIS_PACKET_TYPE_MULTICAST => ndis::NDIS_PACKET_TYPE_MULTICAST,
    NDIS_PACKET_TYPE_ALL_MULTICAST => ndis::NDIS_PACKET_TYPE_ALL_MULTICAST,
    NDIS_PACKET_TYPE_BROADCAST => ndis::NDIS_PACKET_TYPE_BROADCAST,
    NDIS_PACKET_TYPE_PROMISCUOUS => ndis::NDIS_PACKET_TYPE_PROMISCUOUS,
    NDIS_PACKET_TYPE_ALL_LOCAL => ndis::NDIS_PACKET_TYPE_ALL_LOCAL,
    NDIS_MAC_OPTION_COPY_LOOKAHEAD_DATA => ndis::NDIS_MAC_OPTION_COPY_LOOKAHEAD_DATA,
    NDIS_MAC_OPTION_TRANSFERS_NOT_PEND => ndis::NDIS_MAC_OPTION_TRANSFERS_NOT_PEND,
    NDIS_MAC_OPTION_NO_LOOPBACK => ndis::NDIS_MAC_OPTION_NO_LOOPBACK,
    NDIS_MAC_OPTION_8021P_PRIORITY => ndis::NDIS_MAC_OPTION_8021P_PRIORITY,
    NDIS_MAC_OPTION_8021Q_VLAN => ndis::NDIS_MAC_OPTION_8021Q_VLAN,
    NDIS_LINK_STATE_XMIT_LINK_SPEED_AUTO_NEGOTIATED => ndis::NDIS_LINK_STATE_XMIT_LINK_SPEED_AUTO_NEGOTIATED,
    NDIS_LINK_STATE_RCV_LINK_SPEED_AUTO_NEGOTIATED => ndis::NDIS_LINK_STATE_RCV_LINK_SPEED_AUTO_NEGOTIATED,
    NDIS_LINK_STATE_DUPLEX_AUTO_NEGOTIATED => ndis::NDIS_LINK_STATE_DUPLEX_AUTO_NEGOTIATED,
    NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_RCV => ndis::NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_RCV,
    NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_RCV => ndis::NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_RCV,
    NDIS_STATISTICS_FLAGS_VALID_BROADCAST_FRAMES_RCV => ndis::NDIS_STATISTICS_FLAGS_VALID_BROADCAST_FRAMES_RCV,
    NDIS_STATISTICS_FLAGS_VALID_BYTES_RCV => ndis::NDIS_STATISTICS_FLAGS_VALID_BYTES_RCV,
    NDIS_STATISTICS_FLAGS_VALID_RCV_DISCARDS => ndis::NDIS_STATISTICS_FLAGS_VALID_RCV_DISCARDS,
    NDIS_STATISTICS_FLAGS_VALID_RCV_ERROR => ndis::NDIS_STATISTICS_FLAGS_VALID_RCV_ERROR,
    NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_XMIT => ndis::NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_XMIT,
    NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_XMIT
        => ndis::NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_XMIT,
    NDIS_STATISTICS_FLAGS_VALID_BROADCAST_FRAMES_XMIT
        => ndis::NDIS_STATISTICS_FLAGS_VALID_BROADCAST_FRAMES_XMIT,
    NDIS_STATISTICS_FLAGS_VALID_BYTES_XMIT => ndis::NDIS_STATISTICS_FLAGS_VALID_BYTES_XMIT,
    NDIS_STATISTICS_FLAGS_VALID_XMIT_ERROR => ndis::NDIS_STATISTICS_FLAGS_VALID_XMIT_ERROR,
    NDIS_STATISTICS_FLAGS_VALID_XMIT_DISCARDS => ndis::NDIS_STATISTICS_FLAGS_VALID_XMIT_DISCARDS,
    NDIS_STATISTICS_FLAGS_VALID_DIRECTED_BYTES_RCV => ndis::NDIS_STATISTICS_FLAGS_VALID_DIRECTED_BYTES_RCV,
    NDIS_STATISTICS_FLAGS_VALID_MULTICAST_BYTES_RCV => ndis::NDIS_STATISTICS_FLAGS_VALID_MULTICAST_BYTES_RCV,
    NDIS_STATISTICS_FLAGS_VALID_BROADCAST_BYTES_RCV => ndis::NDIS_STATISTICS_FLAGS_VALID_BROADCAST_BYTES_RCV,
    NDIS_STATISTICS_FLAGS_VALID_DIRECTED_BYTES_XMIT => ndis::NDIS_STATISTICS_FLAGS_VALID_DIRECTED_BYTES_XMIT,
    NDIS_STATISTICS_FLAGS_VALID_MULTICAST_BYTES_XMIT => ndis::NDIS_STATISTICS_FLAGS_VALID_MULTICAST_BYTES_XMIT,
    NDIS_STATISTICS_FLAGS_VALID_BROADCAST_BYTES_XMIT => ndis::NDIS_STATISTICS_FLAGS_VALID_BROADCAST_BYTES_XMIT,
    NDIS_STATISTICS_XMIT_OK_SUPPORTED => ndis::NDIS_STATISTICS_XMIT_OK_SUPPORTED,
    NDIS_STATISTICS_RCV_OK_SUPPORTED => ndis::NDIS_STATISTICS_RCV_OK_SUPPORTED,
    NDIS_STATISTICS_XMIT_ERROR_SUPPORTED => ndis::NDIS_STATISTICS_XMIT_ERROR_SUPPORTED,
    NDIS_STATISTICS_RCV_ERROR_SUPPORTED => ndis::NDIS_STATISTICS_RCV_ERROR_SUPPORTED,
    NDIS_STATISTICS_RCV_NO_BUFFER_SUPPORTED => ndis::NDIS_STATISTICS_RCV_NO_BUFFER_SUPPORTED,
    NDIS_STATISTICS_DIRECTED_BYTES_XMIT_SUPPORTED => ndis::NDIS_STATISTICS_DIRECTED_BYTES_XMIT_SUPPORTED,
    NDIS_STATISTICS_DIRECTED_FRAMES_XMIT_SUPPORTED => ndis::NDIS_STATISTICS_DIRECTED_FRAMES_XMIT_SUPPORTED,
    NDIS_STATISTICS_MULTICAST_BYTES_XMIT_SUPPORTED => ndis::NDIS_STATISTICS_MULTICAST_BYTES_XMIT_SUPPORTED,
    NDIS_STATISTICS_MULTICAST_FRAMES_XMIT_SUPPORTED => ndis::NDIS_STATISTICS_MULTICAST_FRAMES_XMIT_SUPPORTED,
    NDIS_STATISTICS_BROADCAST_BYTES_XMIT_SUPPORTED => ndis::NDIS_STATISTICS_BROADCAST_BYTES_XMIT_SUPPORTED,
    NDIS_STATISTICS_BROADCAST_FRAMES_XMIT_SUPPORTED => ndis::NDIS_STATISTICS_BROADCAST_FRAMES_XMIT_SUPPORTED,
    NDIS_STATISTICS_DIRECTED_BYTES_RCV_SUPPORTED => ndis::NDIS_STATISTICS_DIRECTED_BYTES_RCV_SUPPORTED,
    NDIS_STATISTICS_DIRECTED_FRAMES_RCV_SUPPORTED => ndis::NDIS_STATISTICS_DIRECTED_FRAMES_RCV_SUPPORTED,
    NDIS_STATISTICS_MULTICAST_BYTES_RCV_SUPPORTED => ndis::NDIS_STATISTICS_MULTICAST_BYTES_RCV_SUPPORTED,
    NDIS_STATISTICS_MULTICAST_FRAMES_RCV_SUPPORTED => ndis::NDIS_STATISTICS_MULTICAST_FRAMES_RCV_SUPPORTED,
    NDIS_STATISTICS_BROADCAST_BYTES_RCV_SUPPORTED => ndis::NDIS_STATISTICS_BROADCAST_BYTES_RCV_SUPPORTED,
    NDIS_STATISTICS_BROADCAST_FRAMES_RCV_SUPPORTED => ndis::NDIS_STATISTICS_BROADCAST_FRAMES_RCV_SUPPORTED,
    NDIS_STATISTICS_RCV_CRC_ERROR_SUPPORTED => ndis::NDIS_STATISTICS_RCV_CRC_ERROR_SUPPORTED,
    NDIS_STATISTICS_TRANSMIT_QUEUE_LENGTH_SUPPORTED => ndis::NDIS_STATISTICS_TRANSMIT_QUEUE_LENGTH_SUPPORTED,
    NDIS_STATISTICS_BYTES_RCV_SUPPORTED => ndis::NDIS_STATISTICS_BYTES_RCV_SUPPORTED,
    NDIS_STATISTICS_BYTES_XMIT_SUPPORTED => ndis::NDIS_STATISTICS_BYTES_XMIT_SUPPORTED,
    NDIS_STATISTICS_RCV_DISCARDS_SUPPORTED => ndis::NDIS_STATISTICS_RCV_DISCARDS_SUPPORTED,
    NDIS_STATISTICS_GEN_STATISTICS_SUPPORTED => ndis::NDIS_STATISTICS_GEN_STATISTICS_SUPPORTED,
    NDIS_STATISTICS_XMIT_DISCARDS_SUPPORTED => ndis::NDIS_STATISTICS_XMIT_DISCARDS_SUPPORTED,
);

// NDIS_STATUS values defined as `((NDIS_STATUS)STATUS_X)` (S:shared/ndis/status.h) against the
// STATUS_X wdk-sys carries (its hand-written NTSTATUS list, wdk-sys 0.5.2 src/constants.rs); the
// newtypes compared through their raw C value.
same_value!(
    NDIS_STATUS_SUCCESS.to_raw() => wdk_sys::STATUS_SUCCESS,
    NDIS_STATUS_PENDING.to_raw() => wdk_sys::STATUS_PENDING,
    NDIS_STATUS_BUFFER_OVERFLOW.to_raw() => wdk_sys::STATUS_BUFFER_OVERFLOW,
    NDIS_STATUS_FAILURE.to_raw() => wdk_sys::STATUS_UNSUCCESSFUL,
    NDIS_STATUS_RESOURCES.to_raw() => wdk_sys::STATUS_INSUFFICIENT_RESOURCES,
    NDIS_STATUS_NOT_SUPPORTED.to_raw() => wdk_sys::STATUS_NOT_SUPPORTED,
    NDIS_STATUS_INVALID_DEVICE_REQUEST.to_raw() => wdk_sys::STATUS_INVALID_DEVICE_REQUEST,
    NDIS_STATUS_SEND_ABORTED.to_raw() => wdk_sys::STATUS_NDIS_REQUEST_ABORTED,
    NDIS_STATUS_PAUSED.to_raw() => wdk_sys::STATUS_NDIS_PAUSED,
    NDIS_STATUS_INVALID_PARAMETER.to_raw() => wdk_sys::STATUS_INVALID_PARAMETER,
    NDIS_STATUS_INVALID_STATE.to_raw() => wdk_sys::STATUS_INVALID_DEVICE_STATE,
    NDIS_STATUS_MEDIA_DISCONNECTED.to_raw() => wdk_sys::STATUS_NDIS_MEDIA_DISCONNECTED,
    NDIS_STATUS_LOW_POWER_STATE.to_raw() => wdk_sys::STATUS_NDIS_LOW_POWER_STATE,
    STATUS_SUCCESS.to_raw() => wdk_sys::STATUS_SUCCESS,
    STATUS_PENDING.to_raw() => wdk_sys::STATUS_PENDING,
    STATUS_UNSUCCESSFUL.to_raw() => wdk_sys::STATUS_UNSUCCESSFUL,
    STATUS_INVALID_PARAMETER.to_raw() => wdk_sys::STATUS_INVALID_PARAMETER,
    STATUS_INVALID_DEVICE_REQUEST.to_raw() => wdk_sys::STATUS_INVALID_DEVICE_REQUEST,
    STATUS_INSUFFICIENT_RESOURCES.to_raw() => wdk_sys::STATUS_INSUFFICIENT_RESOURCES,
    STATUS_NOT_SUPPORTED.to_raw() => wdk_sys::STATUS_NOT_SUPPORTED,
    STATUS_CANCELLED.to_raw() => wdk_sys::STATUS_CANCELLED,
    STATUS_INVALID_DEVICE_STATE.to_raw() => wdk_sys::STATUS_INVALID_DEVICE_STATE,
    STATUS_DEVICE_REMOVED.to_raw() => wdk_sys::STATUS_DEVICE_REMOVED,
    STATUS_NO_SUCH_DEVICE.to_raw() => wdk_sys::STATUS_NO_SUCH_DEVICE,
    STATUS_REQUEST_NOT_ACCEPTED.to_raw() => wdk_sys::STATUS_REQUEST_NOT_ACCEPTED,
);

// IRQLs (#defines in wdm.h, AMD64 and ARM64 sections)
same_value!(
    PASSIVE_LEVEL => wdk_sys::PASSIVE_LEVEL,
    APC_LEVEL => wdk_sys::APC_LEVEL,
    DISPATCH_LEVEL => wdk_sys::DISPATCH_LEVEL,
    HIGH_LEVEL => wdk_sys::HIGH_LEVEL,
);

// KMDF and pool values the facade passes through (enums in wdfdriver.h, wdfiotarget.h,
// wdfrequest.h, wdm.h).
same_value!(
    WDF_DRIVER_INIT_NON_PNP_DRIVER => wdk_sys::_WDF_DRIVER_INIT_FLAGS::WdfDriverInitNonPnpDriver,
    WDF_DRIVER_INIT_NO_DISPATCH_OVERRIDE => wdk_sys::_WDF_DRIVER_INIT_FLAGS::WdfDriverInitNoDispatchOverride,
    WDF_IO_TARGET_CANCEL_SENT_IO => wdk_sys::_WDF_IO_TARGET_SENT_IO_ACTION::WdfIoTargetCancelSentIo,
    WDF_IO_TARGET_WAIT_FOR_SENT_IO_TO_COMPLETE
        => wdk_sys::_WDF_IO_TARGET_SENT_IO_ACTION::WdfIoTargetWaitForSentIoToComplete,
    WDF_IO_TARGET_LEAVE_SENT_IO_PENDING => wdk_sys::_WDF_IO_TARGET_SENT_IO_ACTION::WdfIoTargetLeaveSentIoPending,
    WDF_IO_TARGET_PURGE_IO_AND_WAIT => wdk_sys::_WDF_IO_TARGET_PURGE_IO_ACTION::WdfIoTargetPurgeIoAndWait,
    WDF_IO_TARGET_PURGE_IO => wdk_sys::_WDF_IO_TARGET_PURGE_IO_ACTION::WdfIoTargetPurgeIo,
    WDF_REQUEST_REUSE_NO_FLAGS => wdk_sys::_WDF_REQUEST_REUSE_FLAGS::WDF_REQUEST_REUSE_NO_FLAGS,
    NON_PAGED_POOL_NX => wdk_sys::_POOL_TYPE::NonPagedPoolNx,
    NORMAL_POOL_PRIORITY => wdk_sys::_EX_POOL_PRIORITY::NormalPoolPriority,
);

// The NDIS contract the bindings were generated for (ndis.h derives these from NDIS630_MINIPORT,
// W:km/ndis.h:302-361), and proof that the architecture accepts it: the original
// `NDIS_API_VERSION_AVAILABLE(6, 30)` is `(0x6 << 8) + 0x30 = 0x630 >= NDIS_MIN_API` (0x400 on x64,
// 0x630 on ARM64; W:km/ndis.h:276-281); build.rs rewrites that macro for clang, so it is re-checked
// here from the generated values.
same_value!(
    ndis::NDIS_MINIPORT_MAJOR_VERSION => 6,
    ndis::NDIS_MINIPORT_MINOR_VERSION => 30,
);
const _: () = assert!(0x630 >= ndis::NDIS_MIN_API as i128);
