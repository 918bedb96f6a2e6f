//! ABI conformance of the hand-written mirrors against the WDK and SDK headers.
//!
//! Every number below is a literal read from the header named next to it, or worked out from its
//! declaration with the x64 MSVC layout rules, for an NDIS 6.30 client; none of these declarations
//! differs between x64 and ARM64. `W:` and `S:` are the WDK 10.0.22621 and SDK 10.0.22000 headers as
//! keyed in `docs/wdk-items.md`; the Windows build also asserts each mirror against bindgen's output
//! of those headers (`src/sys/windows/layout.rs`). Nothing is compared against a value computed from
//! the mirrors themselves.
//!
//! These tests run on the host (x86_64 Linux in CI). That is a valid stand-in for
//! `x86_64-pc-windows-msvc`: pointers and `usize` are 8 bytes, `u64`/`i64` are 8-aligned on both, and
//! none of the mirrors uses a type whose `repr(C)` layout differs between the SysV and MSVC ABIs
//! (no `c_long`, no bit-fields, no `u128`, no `bool`, no zero-length/flexible arrays, no packed
//! structs). On a 32-bit host the pointer-sized figures would not hold, so the layout tests only run
//! on 64-bit targets.
#![cfg(target_pointer_width = "64")]

use core::ffi::c_void;
use core::mem::{align_of, offset_of, size_of};

use ndis_types::miniport::*;
use ndis_types::nbl::*;
use ndis_types::oid::*;
use ndis_types::wdf::*;
use ndis_types::*;

/// `size_of` of the type a field projection yields: lets the tests check each field's width against
/// the document's "Size" column without constructing a value.
fn field_size<T, F>(_projection: fn(&T) -> &F) -> usize {
    size_of::<F>()
}

/// `layout!(Type, size S, align A; Field @ offset : size, ...)` asserts `size_of`, `align_of`, and the
/// offset and width of every listed field. `Field @ offset` (no width) is for paths through unions.
macro_rules! layout {
    ($ty:ty, size $size:expr, align $align:expr; $($rest:tt)*) => {{
        assert_eq!(size_of::<$ty>(), $size, concat!("size_of::<", stringify!($ty), ">"));
        assert_eq!(align_of::<$ty>(), $align, concat!("align_of::<", stringify!($ty), ">"));
        layout!(@fields $ty; $($rest)*);
    }};
    (@fields $ty:ty;) => {};
    (@fields $ty:ty; $field:ident @ $off:literal, $($rest:tt)*) => {
        assert_eq!(
            offset_of!($ty, $field),
            $off,
            concat!("offset_of!(", stringify!($ty), ", ", stringify!($field), ")")
        );
        layout!(@fields $ty; $($rest)*);
    };
    (@fields $ty:ty; $field:ident @ $off:literal : $fsize:literal, $($rest:tt)*) => {
        assert_eq!(
            offset_of!($ty, $field),
            $off,
            concat!("offset_of!(", stringify!($ty), ", ", stringify!($field), ")")
        );
        assert_eq!(
            field_size(|s: &$ty| &s.$field),
            $fsize,
            concat!("size of ", stringify!($ty), ".", stringify!($field))
        );
        layout!(@fields $ty; $($rest)*);
    };
    (@fields $ty:ty; $($field:ident).+ @ $off:literal, $($rest:tt)*) => {
        assert_eq!(
            offset_of!($ty, $($field).+),
            $off,
            concat!("offset_of!(", stringify!($ty), ", ", stringify!($($field).+), ")")
        );
        layout!(@fields $ty; $($rest)*);
    };
}

/// `consts!(NAME = literal, ...)`: each constant equals the document's value.
macro_rules! consts {
    ($($name:ident = $value:expr),* $(,)?) => {
        $( assert_eq!($name, $value, stringify!($name)); )*
    };
}

/// `statuses!(NAME = hex, decimal_i32, ...)`: the document gives every `NDIS_STATUS` both as the
/// unsigned hex pattern and as the signed `int` value; check both.
macro_rules! statuses {
    ($($name:ident = $hex:literal, $dec:literal),* $(,)?) => {
        $(
            assert_eq!($name.to_raw() as u32, $hex, concat!(stringify!($name), " (hex)"));
            assert_eq!($name.to_raw(), $dec, concat!(stringify!($name), " (i32)"));
        )*
    };
}

// ---------------------------------------------------------------------------------------------
// Scalar and auxiliary types (S:shared/ntdef.h, S:shared/ifdef.h, W:km/wdm.h)
// ---------------------------------------------------------------------------------------------

#[test]
fn scalar_types() {
    // UCHAR/BOOLEAN = 1 (BOOLEAN is u8, not bool), KIRQL = 1, NDIS_STATUS/NTSTATUS = 4 (int),
    // NDIS_OID = 4, C enums = 4.
    assert_eq!((size_of::<Boolean>(), align_of::<Boolean>()), (1, 1));
    assert_eq!((size_of::<Kirql>(), align_of::<Kirql>()), (1, 1));
    assert_eq!((size_of::<NdisStatus>(), align_of::<NdisStatus>()), (4, 4));
    assert_eq!((size_of::<NtStatus>(), align_of::<NtStatus>()), (4, 4));
    // The status newtypes are `#[repr(transparent)]` over the host's i32 (C `int` / `LONG`).
    assert_eq!((size_of::<NdisStatus>(), align_of::<NdisStatus>()), (size_of::<i32>(), align_of::<i32>()));
    assert_eq!((size_of::<NtStatus>(), align_of::<NtStatus>()), (size_of::<i32>(), align_of::<i32>()));
    assert_eq!((size_of::<NdisOid>(), align_of::<NdisOid>()), (4, 4));
    for (size, align) in [
        (size_of::<NdisRequestType>(), align_of::<NdisRequestType>()),
        (size_of::<NdisHaltAction>(), align_of::<NdisHaltAction>()),
        (size_of::<NdisShutdownAction>(), align_of::<NdisShutdownAction>()),
        (size_of::<NdisDevicePnpEvent>(), align_of::<NdisDevicePnpEvent>()),
        (size_of::<NdisInterfaceType>(), align_of::<NdisInterfaceType>()),
        (size_of::<WdfIoTargetSentIoAction>(), align_of::<WdfIoTargetSentIoAction>()),
    ] {
        assert_eq!((size, align), (4, 4), "C enum is 4 bytes, 4-aligned");
    }
    // NDIS_STATUS is a signed int: values above 0x7FFFFFFF are negative.
    const { assert!(NDIS_STATUS_FAILURE.to_raw() < 0) };

    // PVOID / NDIS_HANDLE and every handle type: 8 bytes, 8-aligned.
    for (size, align) in [
        (size_of::<NdisHandle>(), align_of::<NdisHandle>()),
        (size_of::<DriverObject>(), align_of::<DriverObject>()),
        (size_of::<DeviceObject>(), align_of::<DeviceObject>()),
        (size_of::<RegistryPath>(), align_of::<RegistryPath>()),
        (size_of::<WdfDriver>(), align_of::<WdfDriver>()),
        (size_of::<WdfDevice>(), align_of::<WdfDevice>()),
        (size_of::<WdfIoTarget>(), align_of::<WdfIoTarget>()),
        (size_of::<WdfRequest>(), align_of::<WdfRequest>()),
        (size_of::<WdfMemory>(), align_of::<WdfMemory>()),
        (size_of::<WdfObject>(), align_of::<WdfObject>()),
        (size_of::<WdfContext>(), align_of::<WdfContext>()),
    ] {
        assert_eq!((size, align), (8, 8), "handle is pointer-sized");
    }
    assert!(NdisHandle::NULL.is_null() && NdisHandle::default().is_null());

    // Function pointers (nullable handler slots): 8 bytes, 8-aligned.
    for (size, align) in [
        (size_of::<SetOptionsHandler>(), align_of::<SetOptionsHandler>()),
        (size_of::<MiniportInitializeHandler>(), align_of::<MiniportInitializeHandler>()),
        (size_of::<MiniportHaltHandler>(), align_of::<MiniportHaltHandler>()),
        (size_of::<MiniportDriverUnload>(), align_of::<MiniportDriverUnload>()),
        (size_of::<MiniportPauseHandler>(), align_of::<MiniportPauseHandler>()),
        (size_of::<MiniportRestartHandler>(), align_of::<MiniportRestartHandler>()),
        (size_of::<MiniportOidRequestHandler>(), align_of::<MiniportOidRequestHandler>()),
        (size_of::<MiniportSendNetBufferListsHandler>(), align_of::<MiniportSendNetBufferListsHandler>()),
        (size_of::<MiniportReturnNetBufferListsHandler>(), align_of::<MiniportReturnNetBufferListsHandler>()),
        (size_of::<MiniportCancelSendHandler>(), align_of::<MiniportCancelSendHandler>()),
        (size_of::<MiniportCheckForHangHandler>(), align_of::<MiniportCheckForHangHandler>()),
        (size_of::<MiniportResetHandler>(), align_of::<MiniportResetHandler>()),
        (size_of::<MiniportDevicePnpEventNotifyHandler>(), align_of::<MiniportDevicePnpEventNotifyHandler>()),
        (size_of::<MiniportShutdownHandler>(), align_of::<MiniportShutdownHandler>()),
        (size_of::<MiniportCancelOidRequestHandler>(), align_of::<MiniportCancelOidRequestHandler>()),
        (size_of::<MiniportDirectOidRequestHandler>(), align_of::<MiniportDirectOidRequestHandler>()),
        (
            size_of::<MiniportCancelDirectOidRequestHandler>(),
            align_of::<MiniportCancelDirectOidRequestHandler>(),
        ),
        (size_of::<EvtWdfRequestCompletionRoutine>(), align_of::<EvtWdfRequestCompletionRoutine>()),
    ] {
        assert_eq!((size, align), (8, 8), "function pointer is pointer-sized");
    }
}

#[test]
fn guid() {
    // GUID: 16 bytes, align 4: {u32, u16, u16, [u8; 8]}.
    layout!(Guid, size 16, align 4;
        Data1 @ 0 : 4,
        Data2 @ 4 : 2,
        Data3 @ 6 : 2,
        Data4 @ 8 : 8,
    );
}

#[test]
fn memory_allocation_alignment() {
    // MEMORY_ALLOCATION_ALIGNMENT = 16 (S:shared/ntdef.h:160-163, _WIN64); the DECLSPEC_ALIGN(16)
    // wrapper used for the reserved arrays of NB/NBL (W:km/ndis/nbl.h:91-132, 171-208).
    consts!(MEMORY_ALLOCATION_ALIGNMENT = 16);
    assert_eq!(align_of::<Aligned16<[*mut c_void; 2]>>(), 16);
    assert_eq!(size_of::<Aligned16<[*mut c_void; 2]>>(), 16);
    assert_eq!(size_of::<Aligned16<[*mut c_void; 4]>>(), 32);
    assert_eq!(size_of::<Aligned16<[*mut c_void; 6]>>(), 48);
}

// ---------------------------------------------------------------------------------------------
// NDIS_OBJECT_HEADER, object types, revisions, NDIS_SIZEOF_* header sizes
// ---------------------------------------------------------------------------------------------

#[test]
fn object_header() {
    // S:shared/ndis/objectheader.h:14-25 (asserted 4 bytes at :28): 4 bytes, align 2.
    layout!(NdisObjectHeader, size 4, align 2;
        Type @ 0 : 1,
        Revision @ 1 : 1,
        Size @ 2 : 2,
    );
}

#[test]
fn object_types() {
    // NDIS_OBJECT_TYPE_* (S:shared/ntddndis.h:190-272, S:shared/ndis/oidtypes.h:44).
    consts!(
        NDIS_OBJECT_TYPE_DEFAULT = 0x80,
        NDIS_OBJECT_TYPE_MINIPORT_INIT_PARAMETERS = 0x81,
        NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS = 0x8A,
        NDIS_OBJECT_TYPE_OID_REQUEST = 0x96,
        NDIS_OBJECT_TYPE_STATUS_INDICATION = 0x98,
        NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES = 0x9E,
        NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES = 0x9F,
        NDIS_OBJECT_TYPE_RESTART_GENERAL_ATTRIBUTES = 0xA2,
    );
}

#[test]
fn revisions_and_header_sizes() {
    // The revision constants and NDIS_SIZEOF_*_REVISION_n follow each structure's declaration in
    // the header cited at its layout test below. NDIS_SIZEOF_*_REVISION_n is RTL_SIZEOF_THROUGH_FIELD of the
    // revision's last field, i.e. WITHOUT tail padding: it is what goes in Header.Size.
    consts!(
        NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1 = 1,
        NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2 = 2,
        NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2 = 152,
        NDIS_MINIPORT_INIT_PARAMETERS_REVISION_1 = 1,
        NDIS_SIZEOF_MINIPORT_INIT_PARAMETER_REVISION_1 = 64,
        NDIS_MINIPORT_PAUSE_PARAMETERS_REVISION_1 = 1,
        NDIS_SIZEOF_MINIPORT_PAUSE_PARAMETERS_REVISION_1 = 12,
        NDIS_MINIPORT_RESTART_PARAMETERS_REVISION_1 = 1,
        NDIS_SIZEOF_MINIPORT_RESTART_PARAMETERS_REVISION_1 = 20,
        NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2 = 2,
        NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2 = 28,
        NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2 = 2,
        NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2 = 224,
        NDIS_PM_CAPABILITIES_REVISION_2 = 2,
        NDIS_SIZEOF_NDIS_PM_CAPABILITIES_REVISION_2 = 60,
        NDIS_OID_REQUEST_REVISION_1 = 1,
        NDIS_SIZEOF_OID_REQUEST_REVISION_1 = 236,
        NDIS_STATUS_INDICATION_REVISION_1 = 1,
        NDIS_SIZEOF_STATUS_INDICATION_REVISION_1 = 112,
        NDIS_LINK_STATE_REVISION_1 = 1,
        NDIS_SIZEOF_LINK_STATE_REVISION_1 = 40,
        NDIS_STATISTICS_INFO_REVISION_1 = 1,
        NDIS_SIZEOF_STATISTICS_INFO_REVISION_1 = 152,
        NDIS_INTERRUPT_MODERATION_PARAMETERS_REVISION_1 = 1,
        NDIS_SIZEOF_INTERRUPT_MODERATION_PARAMETERS_REVISION_1 = 12,
        NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1 = 1,
        NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1 = 16,
        NET_DEVICE_PNP_EVENT_REVISION_1 = 1,
        NDIS_SIZEOF_NET_DEVICE_PNP_EVENT_REVISION_1 = 44,
        NDIS_RESTART_GENERAL_ATTRIBUTES_REVISION_2 = 2,
        NDIS_SIZEOF_RESTART_GENERAL_ATTRIBUTES_REVISION_2 = 88,
    );

    // The trap: where sizeof(X) (with tail padding) differs from NDIS_SIZEOF_X, the mirror's size_of
    // must be sizeof(X), and the constant NDIS_SIZEOF_X.
    assert_eq!(size_of::<NdisMiniportRestartParameters>(), 24); // Header.Size 20
    assert_eq!(size_of::<NdisMiniportAdapterRegistrationAttributes>(), 32); // Header.Size 28
    assert_eq!(size_of::<NetDevicePnpEvent>(), 48); // Header.Size 44
    assert_eq!(size_of::<NdisOidRequest>(), 240); // Header.Size 236 (< 6.50)
}

// ---------------------------------------------------------------------------------------------
// MDL (W:km/wdm.h)
// ---------------------------------------------------------------------------------------------

#[test]
fn mdl() {
    // W:km/wdm.h:17719-17732: 48 bytes, align 8, padding 12..15; the PFN array starts at 48.
    layout!(Mdl, size 48, align 8;
        Next @ 0 : 8,
        Size @ 8 : 2,
        MdlFlags @ 10 : 2,
        Process @ 16 : 8,
        MappedSystemVa @ 24 : 8,
        StartVa @ 32 : 8,
        ByteCount @ 40 : 4,
        ByteOffset @ 44 : 4,
    );
}

#[test]
fn mdl_flags() {
    // MdlFlags bits (W:km/wdm.h:17736-17761), CSHORT.
    consts!(MDL_MAPPED_TO_SYSTEM_VA = 0x0001, MDL_SOURCE_IS_NONPAGED_POOL = 0x0004, MDL_PARTIAL = 0x0010,);
    // MmGetSystemAddressForMdlSafe (W:km/wdm.h:29097) tests (MDL_MAPPED_TO_SYSTEM_VA |
    // MDL_SOURCE_IS_NONPAGED_POOL) = 0x0005.
    assert_eq!(MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL, 0x0005);
}

// ---------------------------------------------------------------------------------------------
// NET_BUFFER, NET_BUFFER_LIST (W:km/ndis/nbl.h)
// ---------------------------------------------------------------------------------------------

#[test]
fn net_buffer() {
    // W:km/ndis/nbl.h:91-132: 176 bytes, align 16 (16-aligned SLIST_HEADER/reserved arrays). Padding 20..23,
    // 44..47, 52..55. DataLength is the low 4 bytes of the {ULONG DataLength; SIZE_T stDataLength} union at
    // 24.
    layout!(NetBuffer, size 176, align 16;
        Next @ 0 : 8,
        CurrentMdl @ 8 : 8,
        CurrentMdlOffset @ 16 : 4,
        Padding0 @ 20 : 4,          // padding 20..23
        DataLength @ 24 : 4,        // union with stDataLength (8 bytes at 24)
        DataLengthHigh @ 28 : 4,    // high half of stDataLength
        MdlChain @ 32 : 8,
        DataOffset @ 40 : 4,
        Padding1 @ 44 : 4,          // padding 44..47 (end of the 48-byte head union)
        ChecksumBias @ 48 : 2,
        Reserved @ 50 : 2,
        NdisPoolHandle @ 56 : 8,
        NdisReserved @ 64 : 16,     // DECLSPEC_ALIGN(16) PVOID[2]
        ProtocolReserved @ 80 : 48, // DECLSPEC_ALIGN(16) PVOID[6]
        MiniportReserved @ 128 : 32, // DECLSPEC_ALIGN(16) PVOID[4]
        DataPhysicalAddress @ 160 : 8,
        SharedMemoryInfo @ 168 : 8, // union with ScatterGatherList (6.20+)
    );
    // W:km/ndis/nbl.h:53-62: the legacy NET_BUFFER_HEADER alias covers bytes 0..47 and SLIST_HEADER Link
    // bytes 0..15: with Next at 0 and DataOffset ending at 44 the head occupies exactly the first 48 bytes.
    assert_eq!(offset_of!(NetBuffer, ChecksumBias), 48);
}

#[test]
fn net_buffer_list() {
    // W:km/ndis/nbl.h:171-208, NDIS 6.30 client: 24 NetBufferListInfo slots, 336 bytes, align 16. Padding
    // 40..47 before the 16-aligned NdisReserved.
    layout!(NetBufferList, size 336, align 16;
        Next @ 0 : 8,
        FirstNetBuffer @ 8 : 8,
        Context @ 16 : 8,
        ParentNetBufferList @ 24 : 8,
        NdisPoolHandle @ 32 : 8,
        NdisReserved @ 48 : 16,     // NOT 40: 8 bytes of padding for DECLSPEC_ALIGN(16)
        ProtocolReserved @ 64 : 32,
        MiniportReserved @ 96 : 16,
        Scratch @ 112 : 8,
        SourceHandle @ 120 : 8,
        NblFlags @ 128 : 4,
        ChildRefCount @ 132 : 4,
        Flags @ 136 : 4,
        Status @ 140 : 4,           // union with NdisReserved2
        NetBufferListInfo @ 144 : 192, // PVOID[24]
    );
}

#[test]
fn net_buffer_list_info() {
    // W:km/ndis/nblinfo.h:14-141: MaxNetBufferListInfo = 24 for 6.30/6.40 on x64/ARM64;
    // Ieee8021QNetBufferListInfo = 4, NetBufferListCancelId = 5.
    consts!(
        MAX_NET_BUFFER_LIST_INFO = 24,
        IEEE_8021Q_NET_BUFFER_LIST_INFO = 4,
        NET_BUFFER_LIST_CANCEL_ID = 5,
    );
    // NDIS_GET/SET_NET_BUFFER_LIST_VLAN_ID (W:km/ndis/nbl8021q.h:45) touches NBL+176.
    assert_eq!(
        offset_of!(NetBufferList, NetBufferListInfo)
            + IEEE_8021Q_NET_BUFFER_LIST_INFO * size_of::<*mut c_void>(),
        176
    );
}

#[test]
fn nbl_flags() {
    // NBL_FLAGS_MINIPORT_RESERVED (W:km/ndis/nbl.h:218-254).
    consts!(NBL_FLAGS_MINIPORT_RESERVED = 0x0000_F000);
}

// ---------------------------------------------------------------------------------------------
// Pools (W:km/ndis/nblapi.h)
// ---------------------------------------------------------------------------------------------

#[test]
fn net_buffer_list_pool_parameters() {
    // W:km/ndis/nblapi.h:27-51, revision 1 (no 6.87 Flags): 16 bytes, align 4.
    layout!(NetBufferListPoolParameters, size 16, align 4;
        Header @ 0 : 4,
        ProtocolId @ 4 : 1,
        fAllocateNetBuffer @ 5 : 1, // BOOLEAN = u8
        ContextSize @ 6 : 2,
        PoolTag @ 8 : 4,
        DataSize @ 12 : 4,
    );
    // NDIS_PROTOCOL_ID_DEFAULT = 0 (S:shared/ntddndis.h:2323).
    consts!(NDIS_PROTOCOL_ID_DEFAULT = 0);
}

// ---------------------------------------------------------------------------------------------
// NDIS_MINIPORT_DRIVER_CHARACTERISTICS and handler enums (W:km/ndis.h)
// ---------------------------------------------------------------------------------------------

#[test]
fn miniport_driver_characteristics() {
    // W:km/ndis.h:10868-10898, revision 2 (NDIS 6.1-6.70): 152 bytes, align 8, padding 12..15.
    layout!(NdisMiniportDriverCharacteristics, size 152, align 8;
        Header @ 0 : 4,
        MajorNdisVersion @ 4 : 1,
        MinorNdisVersion @ 5 : 1,
        MajorDriverVersion @ 6 : 1,
        MinorDriverVersion @ 7 : 1,
        Flags @ 8 : 4,
        SetOptionsHandler @ 16 : 8,
        InitializeHandlerEx @ 24 : 8,
        HaltHandlerEx @ 32 : 8,
        UnloadHandler @ 40 : 8,
        PauseHandler @ 48 : 8,
        RestartHandler @ 56 : 8,
        OidRequestHandler @ 64 : 8,
        SendNetBufferListsHandler @ 72 : 8,
        ReturnNetBufferListsHandler @ 80 : 8,
        CancelSendHandler @ 88 : 8,
        CheckForHangHandlerEx @ 96 : 8,
        ResetHandlerEx @ 104 : 8,
        DevicePnPEventNotifyHandler @ 112 : 8,
        ShutdownHandlerEx @ 120 : 8,
        CancelOidRequestHandler @ 128 : 8,
        DirectOidRequestHandler @ 136 : 8,
        CancelDirectOidRequestHandler @ 144 : 8,
    );
    // Flags (W:km/ndis.h:10849-10855).
    consts!(NDIS_WDM_DRIVER = 0x0000_0002);
}

#[test]
fn handler_enums() {
    // NDIS_HALT_ACTION (W:km/ndis.h:10608-10617).
    consts!(
        NDIS_HALT_DEVICE_DISABLED = 0,
        NDIS_HALT_DEVICE_INSTANCE_DEINITIALIZED = 1,
        NDIS_HALT_DEVICE_POWERED_DOWN = 2,
        NDIS_HALT_DEVICE_SURPRISE_REMOVED = 3,
        NDIS_HALT_DEVICE_FAILED = 4,
        NDIS_HALT_DEVICE_INITIALIZATION_FAILED = 5,
        NDIS_HALT_DEVICE_STOPPED = 6,
    );
    // NDIS_SHUTDOWN_ACTION (W:km/ndis.h:10688-10691).
    consts!(NDIS_SHUTDOWN_POWER_OFF = 0, NDIS_SHUTDOWN_BUG_CHECK = 1);
    // NDIS_DEVICE_PNP_EVENT (W:km/ndis.h:9300-9311).
    consts!(
        NDIS_DEVICE_PNP_EVENT_QUERY_REMOVED = 0,
        NDIS_DEVICE_PNP_EVENT_REMOVED = 1,
        NDIS_DEVICE_PNP_EVENT_SURPRISE_REMOVED = 2,
        NDIS_DEVICE_PNP_EVENT_QUERY_STOPPED = 3,
        NDIS_DEVICE_PNP_EVENT_STOPPED = 4,
        NDIS_DEVICE_PNP_EVENT_POWER_PROFILE_CHANGED = 5,
        NDIS_DEVICE_PNP_EVENT_FILTER_LIST_CHANGED = 6,
    );
    // Pause reasons (W:km/ndis.h:4648-4655).
    consts!(
        NDIS_PAUSE_NDIS_INTERNAL = 0x1,
        NDIS_PAUSE_LOW_POWER = 0x2,
        NDIS_PAUSE_BIND_PROTOCOL = 0x4,
        NDIS_PAUSE_UNBIND_PROTOCOL = 0x8,
        NDIS_PAUSE_MINIPORT_DEVICE_REMOVE = 0x80,
    );
}

// ---------------------------------------------------------------------------------------------
// Initialization-time structures (W:km/ndis.h)
// ---------------------------------------------------------------------------------------------

#[test]
fn miniport_init_parameters() {
    // W:km/ndis.h:10152-10163: 64 bytes, align 8, padding 36..39 before the 8-aligned NetLuid.
    layout!(NdisMiniportInitParameters, size 64, align 8;
        Header @ 0 : 4,
        Flags @ 4 : 4,
        AllocatedResources @ 8 : 8,
        IMDeviceInstanceContext @ 16 : 8,
        MiniportAddDeviceContext @ 24 : 8,
        IfIndex @ 32 : 4,
        NetLuid @ 40 : 8,
        DefaultPortAuthStates @ 48 : 8,
        PciDeviceCustomProperties @ 56 : 8,
    );
}

#[test]
fn miniport_pause_parameters() {
    // W:km/ndis.h:10633-10638: 12 bytes, align 4.
    layout!(NdisMiniportPauseParameters, size 12, align 4;
        Header @ 0 : 4,
        Flags @ 4 : 4,
        PauseReason @ 8 : 4,
    );
}

#[test]
fn miniport_restart_parameters() {
    // W:km/ndis.h:10173-10178: 24 bytes, align 8, padding 4..7, tail 20..23 (Header.Size 20).
    layout!(NdisMiniportRestartParameters, size 24, align 8;
        Header @ 0 : 4,
        RestartAttributes @ 8 : 8,
        Flags @ 16 : 4,
    );
    // NDIS_RESTART_ATTRIBUTES (W:km/ndis.h:4120-4126): 32 bytes, align 16, Data (DECLSPEC_ALIGN(16) UCHAR[1])
    // at 16.
    layout!(NdisRestartAttributes, size 32, align 16;
        Next @ 0 : 8,
        Oid @ 8 : 4,
        DataLength @ 12 : 4,
        Data @ 16 : 1,
    );
}

#[test]
fn miniport_adapter_registration_attributes() {
    // W:km/ndis.h:10189-10196: 32 bytes, align 8, padding 4..7, tail 28..31 (Header.Size 28 for both
    // revisions).
    layout!(NdisMiniportAdapterRegistrationAttributes, size 32, align 8;
        Header @ 0 : 4,
        MiniportAdapterContext @ 8 : 8,
        AttributeFlags @ 16 : 4,
        CheckForHangTimeInSeconds @ 20 : 4,
        InterfaceType @ 24 : 4,
    );
    // AttributeFlags (W:km/ndis.h:10568-10579).
    consts!(
        NDIS_MINIPORT_ATTRIBUTES_HARDWARE_DEVICE = 0x0000_0001,
        NDIS_MINIPORT_ATTRIBUTES_NDIS_WDM = 0x0000_0002,
        NDIS_MINIPORT_ATTRIBUTES_SURPRISE_REMOVE_OK = 0x0000_0004,
        NDIS_MINIPORT_ATTRIBUTES_NOT_CO_NDIS = 0x0000_0008,
        NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND = 0x0000_0020,
        NDIS_MINIPORT_ATTRIBUTES_BUS_MASTER = 0x0000_0040,
        NDIS_MINIPORT_ATTRIBUTES_NO_PAUSE_ON_SUSPEND = 0x0000_0100,
        NDIS_MINIPORT_ATTRIBUTES_REGISTER_BUGCHECK_CALLBACK = 0x0000_0400,
    );
    // NDIS_INTERFACE_TYPE (W:km/ndis.h:1222-1242).
    consts!(NDIS_INTERFACE_INTERNAL = 0, NDIS_INTERFACE_PNP_BUS = 15);
}

#[test]
fn miniport_adapter_general_attributes() {
    // W:km/ndis.h:10256-10294, revision 2 (NDIS 6.20+): 224 bytes, align 8. Padding 20..23, 68..71, 158..159,
    // 183. Traps: MAC arrays are UCHAR[32] at the unaligned offsets 94/126; IfType is a UINT16 at 180
    // followed by the 1-byte BOOLEAN IfConnectorPresent at 182.
    layout!(NdisMiniportAdapterGeneralAttributes, size 224, align 8;
        Header @ 0 : 4,
        Flags @ 4 : 4,
        MediaType @ 8 : 4,
        PhysicalMediumType @ 12 : 4,
        MtuSize @ 16 : 4,
        MaxXmitLinkSpeed @ 24 : 8,
        XmitLinkSpeed @ 32 : 8,
        MaxRcvLinkSpeed @ 40 : 8,
        RcvLinkSpeed @ 48 : 8,
        MediaConnectState @ 56 : 4,
        MediaDuplexState @ 60 : 4,
        LookaheadSize @ 64 : 4,
        PowerManagementCapabilities @ 72 : 8,
        MacOptions @ 80 : 4,
        SupportedPacketFilters @ 84 : 4,
        MaxMulticastListSize @ 88 : 4,
        MacAddressLength @ 92 : 2,
        PermanentMacAddress @ 94 : 32,
        CurrentMacAddress @ 126 : 32,
        RecvScaleCapabilities @ 160 : 8,
        AccessType @ 168 : 4,
        DirectionType @ 172 : 4,
        ConnectionType @ 176 : 4,
        IfType @ 180 : 2,
        IfConnectorPresent @ 182 : 1,
        SupportedStatistics @ 184 : 4,
        SupportedPauseFunctions @ 188 : 4,
        DataBackFillSize @ 192 : 4,
        ContextBackFillSize @ 196 : 4,
        SupportedOidList @ 200 : 8,
        SupportedOidListLength @ 208 : 4,
        AutoNegotiationFlags @ 212 : 4,
        PowerManagementCapabilitiesEx @ 216 : 8,
    );
}

#[test]
fn statistics_supported_bits() {
    // NDIS_STATISTICS_*_SUPPORTED for the general attributes (W:km/ndis.h:10210-10233).
    consts!(
        NDIS_STATISTICS_XMIT_OK_SUPPORTED = 0x1,
        NDIS_STATISTICS_RCV_OK_SUPPORTED = 0x2,
        NDIS_STATISTICS_XMIT_ERROR_SUPPORTED = 0x4,
        NDIS_STATISTICS_RCV_ERROR_SUPPORTED = 0x8,
        NDIS_STATISTICS_RCV_NO_BUFFER_SUPPORTED = 0x10,
        NDIS_STATISTICS_DIRECTED_BYTES_XMIT_SUPPORTED = 0x20,
        NDIS_STATISTICS_DIRECTED_FRAMES_XMIT_SUPPORTED = 0x40,
        NDIS_STATISTICS_MULTICAST_BYTES_XMIT_SUPPORTED = 0x80,
        NDIS_STATISTICS_MULTICAST_FRAMES_XMIT_SUPPORTED = 0x100,
        NDIS_STATISTICS_BROADCAST_BYTES_XMIT_SUPPORTED = 0x200,
        NDIS_STATISTICS_BROADCAST_FRAMES_XMIT_SUPPORTED = 0x400,
        NDIS_STATISTICS_DIRECTED_BYTES_RCV_SUPPORTED = 0x800,
        NDIS_STATISTICS_DIRECTED_FRAMES_RCV_SUPPORTED = 0x1000,
        NDIS_STATISTICS_MULTICAST_BYTES_RCV_SUPPORTED = 0x2000,
        NDIS_STATISTICS_MULTICAST_FRAMES_RCV_SUPPORTED = 0x4000,
        NDIS_STATISTICS_BROADCAST_BYTES_RCV_SUPPORTED = 0x8000,
        NDIS_STATISTICS_BROADCAST_FRAMES_RCV_SUPPORTED = 0x10000,
        NDIS_STATISTICS_RCV_CRC_ERROR_SUPPORTED = 0x20000,
        NDIS_STATISTICS_TRANSMIT_QUEUE_LENGTH_SUPPORTED = 0x40000,
        NDIS_STATISTICS_BYTES_RCV_SUPPORTED = 0x80000,
        NDIS_STATISTICS_BYTES_XMIT_SUPPORTED = 0x100000,
        NDIS_STATISTICS_RCV_DISCARDS_SUPPORTED = 0x200000,
        NDIS_STATISTICS_GEN_STATISTICS_SUPPORTED = 0x400000,
        NDIS_STATISTICS_XMIT_DISCARDS_SUPPORTED = 0x8000000,
    );
}

#[test]
fn pm_capabilities() {
    // NDIS_PM_CAPABILITIES (S:shared/ntddndis.h:4278), revision 2 (NDIS 6.30+): 60 bytes, align 4.
    layout!(NdisPmCapabilities, size 60, align 4;
        Header @ 0 : 4,
        Flags @ 4 : 4,
        SupportedWoLPacketPatterns @ 8 : 4,
        NumTotalWoLPatterns @ 12 : 4,
        MaxWoLPatternSize @ 16 : 4,
        MaxWoLPatternOffset @ 20 : 4,
        MaxWoLPacketSaveBuffer @ 24 : 4,
        SupportedProtocolOffloads @ 28 : 4,
        NumArpOffloadIPv4Addresses @ 32 : 4,
        NumNSOffloadIPv6Addresses @ 36 : 4,
        MinMagicPacketWakeUp @ 40 : 4,
        MinPatternWakeUp @ 44 : 4,
        MinLinkChangeWakeUp @ 48 : 4,
        SupportedWakeUpEvents @ 52 : 4,
        MediaSpecificWakeUpEvents @ 56 : 4,
    );
    // NDIS_DEVICE_POWER_STATE (S:shared/ntddndis.h:2454).
    consts!(NDIS_DEVICE_STATE_UNSPECIFIED = 0);
}

// ---------------------------------------------------------------------------------------------
// Run-time structures
// ---------------------------------------------------------------------------------------------

#[test]
fn status_indication() {
    // NDIS_STATUS_INDICATION, W:km/ndis.h:4429-4442: 112 bytes, align 8, padding 4..7, 28..31, 76..79.
    layout!(NdisStatusIndication, size 112, align 8;
        Header @ 0 : 4,
        SourceHandle @ 8 : 8,
        PortNumber @ 16 : 4,
        StatusCode @ 20 : 4,
        Flags @ 24 : 4,
        DestinationHandle @ 32 : 8,
        RequestId @ 40 : 8,
        StatusBuffer @ 48 : 8,
        StatusBufferSize @ 56 : 4,
        Guid @ 60 : 16,
        NdisReserved @ 80 : 32,
    );
}

#[test]
fn link_state() {
    // NDIS_LINK_STATE, S:shared/ntddndis.h:2852-2861: 40 bytes, align 8, padding 12..15.
    layout!(NdisLinkState, size 40, align 8;
        Header @ 0 : 4,
        MediaConnectState @ 4 : 4,
        MediaDuplexState @ 8 : 4,
        XmitLinkSpeed @ 16 : 8,
        RcvLinkSpeed @ 24 : 8,
        PauseFunctions @ 32 : 4,
        AutoNegotiationFlags @ 36 : 4,
    );
    // NDIS_LINK_SPEED_UNKNOWN = ((ULONG64)(-1)) (S:shared/ntddndis.h:2669, S:shared/ifdef.h:247).
    consts!(NDIS_LINK_SPEED_UNKNOWN = 0xFFFF_FFFF_FFFF_FFFF);
}

#[test]
fn statistics_info() {
    // NDIS_STATISTICS_INFO, S:shared/ntddndis.h:306-329: 152 bytes, align 8.
    layout!(NdisStatisticsInfo, size 152, align 8;
        Header @ 0 : 4,
        SupportedStatistics @ 4 : 4,
        ifInDiscards @ 8 : 8,
        ifInErrors @ 16 : 8,
        ifHCInOctets @ 24 : 8,
        ifHCInUcastPkts @ 32 : 8,
        ifHCInMulticastPkts @ 40 : 8,
        ifHCInBroadcastPkts @ 48 : 8,
        ifHCOutOctets @ 56 : 8,
        ifHCOutUcastPkts @ 64 : 8,
        ifHCOutMulticastPkts @ 72 : 8,
        ifHCOutBroadcastPkts @ 80 : 8,
        ifOutErrors @ 88 : 8,
        ifOutDiscards @ 96 : 8,
        ifHCInUcastOctets @ 104 : 8,
        ifHCInMulticastOctets @ 112 : 8,
        ifHCInBroadcastOctets @ 120 : 8,
        ifHCOutUcastOctets @ 128 : 8,
        ifHCOutMulticastOctets @ 136 : 8,
        ifHCOutBroadcastOctets @ 144 : 8,
    );
    // NDIS_STATISTICS_FLAGS_VALID_* (S:shared/ntddndis.h:281-298).
    consts!(
        NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_RCV = 0x0000_0001,
        NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_RCV = 0x0000_0002,
        NDIS_STATISTICS_FLAGS_VALID_BROADCAST_FRAMES_RCV = 0x0000_0004,
        NDIS_STATISTICS_FLAGS_VALID_BYTES_RCV = 0x0000_0008,
        NDIS_STATISTICS_FLAGS_VALID_RCV_DISCARDS = 0x0000_0010,
        NDIS_STATISTICS_FLAGS_VALID_RCV_ERROR = 0x0000_0020,
        NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_XMIT = 0x0000_0040,
        NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_XMIT = 0x0000_0080,
        NDIS_STATISTICS_FLAGS_VALID_BROADCAST_FRAMES_XMIT = 0x0000_0100,
        NDIS_STATISTICS_FLAGS_VALID_BYTES_XMIT = 0x0000_0200,
        NDIS_STATISTICS_FLAGS_VALID_XMIT_ERROR = 0x0000_0400,
        NDIS_STATISTICS_FLAGS_VALID_XMIT_DISCARDS = 0x0000_8000,
        NDIS_STATISTICS_FLAGS_VALID_DIRECTED_BYTES_RCV = 0x0001_0000,
        NDIS_STATISTICS_FLAGS_VALID_MULTICAST_BYTES_RCV = 0x0002_0000,
        NDIS_STATISTICS_FLAGS_VALID_BROADCAST_BYTES_RCV = 0x0004_0000,
        NDIS_STATISTICS_FLAGS_VALID_DIRECTED_BYTES_XMIT = 0x0008_0000,
        NDIS_STATISTICS_FLAGS_VALID_MULTICAST_BYTES_XMIT = 0x0010_0000,
        NDIS_STATISTICS_FLAGS_VALID_BROADCAST_BYTES_XMIT = 0x0020_0000,
    );
}

#[test]
fn oid_request() {
    // NDIS_OID_REQUEST, W:km/ndis/oidrequest.h:23-91, NDIS 6.30 client (< 6.50, no SwitchId/VPortId/Flags):
    // 240 bytes, align 8. Padding 36..39 (inside DATA, before InformationBuffer) and tail 236..239.
    layout!(NdisOidRequest, size 240, align 8;
        Header @ 0 : 4,
        RequestType @ 4 : 4,
        PortNumber @ 8 : 4,
        Timeout @ 12 : 4,
        RequestId @ 16 : 8,
        RequestHandle @ 24 : 8,
        DATA @ 32 : 40,
        NdisReserved @ 72 : 128,
        MiniportReserved @ 200 : 16,
        SourceReserved @ 216 : 16,
        SupportedRevision @ 232 : 1,
        Reserved1 @ 233 : 1,
        Reserved2 @ 234 : 2,
        // The arms of union _REQUEST_DATA, as nested offsets from the start of NDIS_OID_REQUEST.
        DATA.Oid @ 32,
        DATA.QUERY_INFORMATION.Oid @ 32,
        DATA.QUERY_INFORMATION.InformationBuffer @ 40,
        DATA.QUERY_INFORMATION.InformationBufferLength @ 48,
        DATA.QUERY_INFORMATION.BytesWritten @ 52,
        DATA.QUERY_INFORMATION.BytesNeeded @ 56,
        DATA.SET_INFORMATION.Oid @ 32,
        DATA.SET_INFORMATION.InformationBuffer @ 40,
        DATA.SET_INFORMATION.InformationBufferLength @ 48,
        DATA.SET_INFORMATION.BytesRead @ 52,
        DATA.SET_INFORMATION.BytesNeeded @ 56,
        DATA.METHOD_INFORMATION.Oid @ 32,
        DATA.METHOD_INFORMATION.InformationBuffer @ 40,
        DATA.METHOD_INFORMATION.InputBufferLength @ 48,
        DATA.METHOD_INFORMATION.OutputBufferLength @ 52,
        DATA.METHOD_INFORMATION.MethodId @ 56,
        DATA.METHOD_INFORMATION.BytesWritten @ 60,
        DATA.METHOD_INFORMATION.BytesRead @ 64,
        DATA.METHOD_INFORMATION.BytesNeeded @ 68,
    );

    // The union itself: 40 bytes (METHOD is the largest arm), QUERY and SET arms 32 bytes. Arm
    // offsets here are relative to DATA (document offset minus 32).
    layout!(OidRequestData, size 40, align 8;
        Oid @ 0,
        QUERY_INFORMATION @ 0,
        SET_INFORMATION @ 0,
        METHOD_INFORMATION @ 0,
    );
    layout!(OidQueryInformation, size 32, align 8;
        Oid @ 0 : 4,
        InformationBuffer @ 8 : 8,
        InformationBufferLength @ 16 : 4,
        BytesWritten @ 20 : 4,
        BytesNeeded @ 24 : 4,
    );
    layout!(OidSetInformation, size 32, align 8;
        Oid @ 0 : 4,
        InformationBuffer @ 8 : 8,
        InformationBufferLength @ 16 : 4,
        BytesRead @ 20 : 4,
        BytesNeeded @ 24 : 4,
    );
    layout!(OidMethodInformation, size 40, align 8;
        Oid @ 0 : 4,
        InformationBuffer @ 8 : 8,
        InputBufferLength @ 16 : 4,
        OutputBufferLength @ 20 : 4,
        MethodId @ 24 : 4,
        BytesWritten @ 28 : 4,
        BytesRead @ 32 : 4,
        BytesNeeded @ 36 : 4,
    );

    // NDIS_REQUEST_TYPE (S:shared/ndis/oidtypes.h:23-42); NdisRequestMethod is an explicit 12.
    consts!(
        NDIS_REQUEST_QUERY_INFORMATION = 0,
        NDIS_REQUEST_SET_INFORMATION = 1,
        NDIS_REQUEST_QUERY_STATISTICS = 2,
        NDIS_REQUEST_METHOD = 12,
    );
}

#[test]
fn net_device_pnp_event() {
    // NET_DEVICE_PNP_EVENT, W:km/ndis.h:10708-10717: 48 bytes, align 8, padding 12..15, tail 44..47
    // (Header.Size 44).
    layout!(NetDevicePnpEvent, size 48, align 8;
        Header @ 0 : 4,
        PortNumber @ 4 : 4,
        DevicePnPEvent @ 8 : 4,
        InformationBuffer @ 16 : 8,
        InformationBufferLength @ 24 : 4,
        NdisReserved @ 28 : 16,
    );
}

#[test]
fn interrupt_moderation() {
    // NDIS_INTERRUPT_MODERATION_PARAMETERS, S:shared/ntddndis.h:384-389: 12 bytes, align 4.
    layout!(NdisInterruptModerationParameters, size 12, align 4;
        Header @ 0 : 4,
        Flags @ 4 : 4,
        InterruptModeration @ 8 : 4,
    );
    // NDIS_INTERRUPT_MODERATION (S:shared/ntddndis.h:363-369).
    consts!(
        NDIS_INTERRUPT_MODERATION_UNKNOWN = 0,
        NDIS_INTERRUPT_MODERATION_NOT_SUPPORTED = 1,
        NDIS_INTERRUPT_MODERATION_ENABLED = 2,
        NDIS_INTERRUPT_MODERATION_DISABLED = 3,
    );
}

// ---------------------------------------------------------------------------------------------
// Flags for send/receive/return, ports; EX_POOL_PRIORITY
// ---------------------------------------------------------------------------------------------

#[test]
fn send_receive_return_flags() {
    // (W:km/ndis/nblsend.h, W:km/ndis/nblreceive.h, S:shared/ndis/ndisport.h:18).
    consts!(
        NDIS_SEND_FLAGS_DISPATCH_LEVEL = 0x0000_0001,
        NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK = 0x0000_0002,
        NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL = 0x0000_0001,
        NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL = 0x0000_0001,
        NDIS_RECEIVE_FLAGS_RESOURCES = 0x0000_0002,
        NDIS_RECEIVE_FLAGS_SINGLE_ETHER_TYPE = 0x0000_0100,
        NDIS_RECEIVE_FLAGS_PERFECT_FILTERED = 0x0000_0400,
        NDIS_RETURN_FLAGS_DISPATCH_LEVEL = 0x0000_0001,
        NDIS_DEFAULT_PORT_NUMBER = 0,
    );
}

#[test]
fn pool_priority() {
    // EX_POOL_PRIORITY (W:km/wdm.h:24296-24306): NormalPoolPriority = 16.
    consts!(NORMAL_POOL_PRIORITY = 16);
}

// ---------------------------------------------------------------------------------------------
// NDIS_STATUS values (S:shared/ndis/status.h)
// ---------------------------------------------------------------------------------------------

#[test]
fn ndis_status_values() {
    // S:shared/ndis/status.h, as hex and as the signed i32 an NDIS_STATUS holds.
    statuses!(
        NDIS_STATUS_SUCCESS = 0x0000_0000,
        0,
        NDIS_STATUS_PENDING = 0x0000_0103,
        259,
        NDIS_STATUS_NOT_RECOGNIZED = 0x0001_0001,
        65537,
        NDIS_STATUS_NOT_ACCEPTED = 0x0001_0003,
        65539,
        NDIS_STATUS_BUFFER_OVERFLOW = 0x8000_0005,
        -2147483643,
        NDIS_STATUS_FAILURE = 0xC000_0001,
        -1073741823,
        NDIS_STATUS_RESOURCES = 0xC000_009A,
        -1073741670,
        NDIS_STATUS_CLOSING = 0xC001_0002,
        -1073676286,
        NDIS_STATUS_BAD_VERSION = 0xC001_0004,
        -1073676284,
        NDIS_STATUS_BAD_CHARACTERISTICS = 0xC001_0005,
        -1073676283,
        NDIS_STATUS_ADAPTER_NOT_FOUND = 0xC001_0006,
        -1073676282,
        NDIS_STATUS_DEVICE_FAILED = 0xC001_0008,
        -1073676280,
        NDIS_STATUS_MULTICAST_FULL = 0xC001_0009,
        -1073676279,
        NDIS_STATUS_REQUEST_ABORTED = 0xC001_000C,
        -1073676276,
        NDIS_STATUS_RESET_IN_PROGRESS = 0xC001_000D,
        -1073676275,
        NDIS_STATUS_NOT_SUPPORTED = 0xC000_00BB,
        -1073741637,
        NDIS_STATUS_INVALID_PACKET = 0xC001_000F,
        -1073676273,
        NDIS_STATUS_ADAPTER_NOT_READY = 0xC001_0011,
        -1073676271,
        NDIS_STATUS_INVALID_LENGTH = 0xC001_0014,
        -1073676268,
        NDIS_STATUS_INVALID_DATA = 0xC001_0015,
        -1073676267,
        NDIS_STATUS_BUFFER_TOO_SHORT = 0xC001_0016,
        -1073676266,
        NDIS_STATUS_INVALID_OID = 0xC001_0017,
        -1073676265,
        NDIS_STATUS_ADAPTER_REMOVED = 0xC001_0018,
        -1073676264,
        NDIS_STATUS_INVALID_DEVICE_REQUEST = 0xC000_0010,
        -1073741808,
        NDIS_STATUS_SEND_ABORTED = 0xC023_000C,
        -1071448052,
        NDIS_STATUS_PAUSED = 0xC023_002A,
        -1071448022,
        NDIS_STATUS_INVALID_PARAMETER = 0xC000_000D,
        -1073741811,
        NDIS_STATUS_INVALID_STATE = 0xC000_0184,
        -1073741436,
        NDIS_STATUS_MEDIA_DISCONNECTED = 0xC023_001F,
        -1071448033,
        NDIS_STATUS_LOW_POWER_STATE = 0xC023_002F,
        -1071448017,
    );
    // Trap: NDIS_STATUS_SEND_ABORTED (0xC023000C) != NDIS_STATUS_REQUEST_ABORTED (0xC001000C).
    assert_ne!(NDIS_STATUS_SEND_ABORTED, NDIS_STATUS_REQUEST_ABORTED);

    // Status-indication codes (W:km/ndis.h:1886-1920).
    statuses!(
        NDIS_STATUS_MEDIA_CONNECT = 0x4001_000B,
        1073807371,
        NDIS_STATUS_MEDIA_DISCONNECT = 0x4001_000C,
        1073807372,
        NDIS_STATUS_LINK_STATE = 0x4001_0017,
        1073807383,
    );
}

#[test]
fn ntstatus_values() {
    // The NTSTATUS codes the NDIS statuses above are defined as (S:shared/ndis/status.h casts them; values
    // from S:shared/ntstatus.h): STATUS_SUCCESS, STATUS_PENDING, STATUS_UNSUCCESSFUL,
    // STATUS_INVALID_PARAMETER, STATUS_INVALID_DEVICE_REQUEST, STATUS_INSUFFICIENT_RESOURCES,
    // STATUS_NOT_SUPPORTED, STATUS_INVALID_DEVICE_STATE.
    statuses!(
        STATUS_SUCCESS = 0x0000_0000,
        0,
        STATUS_PENDING = 0x0000_0103,
        259,
        STATUS_UNSUCCESSFUL = 0xC000_0001,
        -1073741823,
        STATUS_INVALID_PARAMETER = 0xC000_000D,
        -1073741811,
        STATUS_INVALID_DEVICE_REQUEST = 0xC000_0010,
        -1073741808,
        STATUS_INSUFFICIENT_RESOURCES = 0xC000_009A,
        -1073741670,
        STATUS_NOT_SUPPORTED = 0xC000_00BB,
        -1073741637,
        STATUS_INVALID_DEVICE_STATE = 0xC000_0184,
        -1073741436,
    );
    // What the lower edge and KMDF complete requests with: S:shared/ntstatus.h:7612
    // (STATUS_DEVICE_REMOVED), :2141 (STATUS_NO_SUCH_DEVICE), :4685 (STATUS_CANCELLED), :3947
    // (STATUS_REQUEST_NOT_ACCEPTED, an unformatted request under the KMDF verifier).
    consts!(
        STATUS_DEVICE_REMOVED = NtStatus::from_raw(0xC000_02B6_u32 as i32),
        STATUS_NO_SUCH_DEVICE = NtStatus::from_raw(0xC000_000E_u32 as i32),
        STATUS_CANCELLED = NtStatus::from_raw(0xC000_0120_u32 as i32),
        STATUS_REQUEST_NOT_ACCEPTED = NtStatus::from_raw(0xC000_00D0_u32 as i32),
        // S:shared/ntstatus.h:3698; what KMDF completes a request with when its send-options timeout
        // expires.
        STATUS_IO_TIMEOUT = NtStatus::from_raw(0xC000_00B5_u32 as i32),
        STATUS_BUFFER_TOO_SMALL = NtStatus::from_raw(0xC000_0023_u32 as i32),
    );
    assert!(nt_success(STATUS_SUCCESS) && nt_success(STATUS_PENDING));
    assert!(!nt_success(STATUS_UNSUCCESSFUL));
}

// ---------------------------------------------------------------------------------------------
// OIDs (S:shared/ntddndis.h)
// ---------------------------------------------------------------------------------------------

#[test]
fn oids() {
    // S:shared/ntddndis.h.
    consts!(
        OID_GEN_SUPPORTED_LIST = 0x0001_0101,
        OID_GEN_HARDWARE_STATUS = 0x0001_0102,
        OID_GEN_MEDIA_SUPPORTED = 0x0001_0103,
        OID_GEN_MEDIA_IN_USE = 0x0001_0104,
        OID_GEN_MAXIMUM_LOOKAHEAD = 0x0001_0105,
        OID_GEN_MAXIMUM_FRAME_SIZE = 0x0001_0106,
        OID_GEN_LINK_SPEED = 0x0001_0107,
        OID_GEN_TRANSMIT_BUFFER_SPACE = 0x0001_0108,
        OID_GEN_RECEIVE_BUFFER_SPACE = 0x0001_0109,
        OID_GEN_TRANSMIT_BLOCK_SIZE = 0x0001_010A,
        OID_GEN_RECEIVE_BLOCK_SIZE = 0x0001_010B,
        OID_GEN_VENDOR_ID = 0x0001_010C,
        OID_GEN_VENDOR_DESCRIPTION = 0x0001_010D,
        OID_GEN_CURRENT_PACKET_FILTER = 0x0001_010E,
        OID_GEN_CURRENT_LOOKAHEAD = 0x0001_010F,
        OID_GEN_DRIVER_VERSION = 0x0001_0110,
        OID_GEN_MAXIMUM_TOTAL_SIZE = 0x0001_0111,
        OID_GEN_MAC_OPTIONS = 0x0001_0113,
        OID_GEN_MEDIA_CONNECT_STATUS = 0x0001_0114,
        OID_GEN_MAXIMUM_SEND_PACKETS = 0x0001_0115,
        OID_GEN_VENDOR_DRIVER_VERSION = 0x0001_0116,
        OID_GEN_PHYSICAL_MEDIUM = 0x0001_0202,
        OID_GEN_MAX_LINK_SPEED = 0x0001_0206,
        OID_GEN_LINK_STATE = 0x0001_0207,
        OID_GEN_LINK_PARAMETERS = 0x0001_0208,
        OID_GEN_INTERRUPT_MODERATION = 0x0001_0209,
        OID_GEN_VLAN_ID = 0x0001_021C,
        OID_GEN_MINIPORT_RESTART_ATTRIBUTES = 0x0001_021D,
        OID_GEN_XMIT_OK = 0x0002_0101,
        OID_GEN_RCV_OK = 0x0002_0102,
        OID_GEN_XMIT_ERROR = 0x0002_0103,
        OID_GEN_RCV_ERROR = 0x0002_0104,
        OID_GEN_RCV_NO_BUFFER = 0x0002_0105,
        OID_GEN_STATISTICS = 0x0002_0106,
        OID_GEN_RCV_DISCARDS = 0x0002_021B,
        OID_GEN_XMIT_DISCARDS = 0x0002_021C,
        OID_802_3_PERMANENT_ADDRESS = 0x0101_0101,
        OID_802_3_CURRENT_ADDRESS = 0x0101_0102,
        OID_802_3_MULTICAST_LIST = 0x0101_0103,
        OID_802_3_MAXIMUM_LIST_SIZE = 0x0101_0104,
        OID_802_3_MAC_OPTIONS = 0x0101_0105,
        OID_802_3_RCV_ERROR_ALIGNMENT = 0x0102_0101,
        OID_802_3_XMIT_ONE_COLLISION = 0x0102_0102,
        OID_802_3_XMIT_MORE_COLLISIONS = 0x0102_0103,
        OID_PNP_CAPABILITIES = 0xFD01_0100,
        OID_PNP_SET_POWER = 0xFD01_0101,
        OID_PNP_QUERY_POWER = 0xFD01_0102,
    );
}

// ---------------------------------------------------------------------------------------------
// Other constants and enums
// ---------------------------------------------------------------------------------------------

#[test]
fn mac_options() {
    // NDIS_MAC_OPTION_* (S:shared/ntddndis.h:2759-2776).
    consts!(
        NDIS_MAC_OPTION_COPY_LOOKAHEAD_DATA = 0x0000_0001,
        NDIS_MAC_OPTION_TRANSFERS_NOT_PEND = 0x0000_0004,
        NDIS_MAC_OPTION_NO_LOOPBACK = 0x0000_0008,
        NDIS_MAC_OPTION_8021P_PRIORITY = 0x0000_0040,
        NDIS_MAC_OPTION_8021Q_VLAN = 0x0000_0200,
    );
}

#[test]
fn packet_types() {
    // NDIS_PACKET_TYPE_* (S:shared/ntddndis.h:2718-2730).
    consts!(
        NDIS_PACKET_TYPE_DIRECTED = 0x0000_0001,
        NDIS_PACKET_TYPE_MULTICAST = 0x0000_0002,
        NDIS_PACKET_TYPE_ALL_MULTICAST = 0x0000_0004,
        NDIS_PACKET_TYPE_BROADCAST = 0x0000_0008,
        NDIS_PACKET_TYPE_PROMISCUOUS = 0x0000_0020,
        NDIS_PACKET_TYPE_ALL_LOCAL = 0x0000_0080,
    );
}

#[test]
fn enums_and_misc() {
    // S:shared/ntddndis.h:2260 (NdisMedium802_3), :2295 and :2309 (physical media),
    // S:shared/ifdef.h:178 (NET_IF_CONNECTION_DEDICATED), S:shared/ipifcons.h:49 (IF_TYPE_ETHERNET_CSMACD).
    consts!(
        NDIS_MEDIUM_802_3 = 0,
        NDIS_PHYSICAL_MEDIUM_UNSPECIFIED = 0,
        NDIS_PHYSICAL_MEDIUM_802_3 = 14,
        MEDIA_CONNECT_STATE_UNKNOWN = 0,
        MEDIA_CONNECT_STATE_CONNECTED = 1,
        MEDIA_CONNECT_STATE_DISCONNECTED = 2,
        MEDIA_DUPLEX_STATE_UNKNOWN = 0,
        MEDIA_DUPLEX_STATE_HALF = 1,
        MEDIA_DUPLEX_STATE_FULL = 2,
        NDIS_PAUSE_FUNCTIONS_UNSUPPORTED = 0,
        NET_IF_ACCESS_BROADCAST = 2,
        NET_IF_DIRECTION_SENDRECEIVE = 0,
        NET_IF_CONNECTION_DEDICATED = 1,
        IF_TYPE_ETHERNET_CSMACD = 6,
    );
    // NDIS_MAX_PHYS_ADDRESS_LENGTH = IF_MAX_PHYS_ADDRESS_LENGTH = 32 (S:shared/ntddndis.h:2817,
    // S:shared/ifdef.h:284), ETH_LENGTH_OF_ADDRESS = 6 (W:km/xfilter.h:30).
    consts!(NDIS_MAX_PHYS_ADDRESS_LENGTH = 32, ETH_LENGTH_OF_ADDRESS = 6);
}

// ---------------------------------------------------------------------------------------------
// KMDF and kernel constants, checked against the public headers named in each comment.
// ---------------------------------------------------------------------------------------------

#[test]
fn irql_and_boolean() {
    // W:km/wdm.h:210-221 (AMD64; ARM64 the same): PASSIVE_LEVEL 0, APC_LEVEL 1, DISPATCH_LEVEL 2, HIGH_LEVEL
    // 15.
    consts!(PASSIVE_LEVEL = 0, APC_LEVEL = 1, DISPATCH_LEVEL = 2, HIGH_LEVEL = 15);
    // S:shared/ntdef.h:1892-1893: TRUE 1, FALSE 0 (BOOLEAN is UCHAR, :1639).
    consts!(TRUE = 1, FALSE = 0);
}

#[test]
fn kmdf_constants() {
    // WDF-SRC wdfdriver.h:51-52 _WDF_DRIVER_INIT_FLAGS: NonPnpDriver 1, NoDispatchOverride 2.
    consts!(WDF_DRIVER_INIT_NON_PNP_DRIVER = 1, WDF_DRIVER_INIT_NO_DISPATCH_OVERRIDE = 2);
    // WDF-SRC wdfiotarget.h:71-73 _WDF_IO_TARGET_SENT_IO_ACTION: Undefined 0, CancelSentIo 1,
    // WaitForSentIoToComplete 2, LeaveSentIoPending 3.
    consts!(
        WDF_IO_TARGET_CANCEL_SENT_IO = 1,
        WDF_IO_TARGET_WAIT_FOR_SENT_IO_TO_COMPLETE = 2,
        WDF_IO_TARGET_LEAVE_SENT_IO_PENDING = 3,
    );
    // WDF-SRC wdfrequest.h:92 _WDF_REQUEST_REUSE_FLAGS: WDF_REQUEST_REUSE_NO_FLAGS = 0.
    consts!(WDF_REQUEST_REUSE_NO_FLAGS = 0);
    // W:km/wdm.h:24066 POOL_TYPE: NonPagedPoolNx = 512.
    consts!(NON_PAGED_POOL_NX = 512);
}

#[test]
fn wdf_object_context_type_info() {
    // WDF_OBJECT_CONTEXT_TYPE_INFO (microsoft/Windows-Driver-Frameworks
    // src/publicinc/wdf/kmdf/1.33/wdfobject.h:183-216):
    // { ULONG Size; LPCSTR ContextName; size_t ContextSize; PCWDF_OBJECT_CONTEXT_TYPE_INFO UniqueType;
    //   PFN_GET_UNIQUE_CONTEXT_TYPE EvtDriverGetUniqueContextType; } -> x64: 40 bytes, align 8,
    // padding 4..7.
    layout!(WdfObjectContextTypeInfo, size 40, align 8;
        Size @ 0 : 4,
        ContextName @ 8 : 8,
        ContextSize @ 16 : 8,
        UniqueType @ 24 : 8,
        EvtDriverGetUniqueContextType @ 32 : 8,
    );
}

#[test]
fn request_send_options_are_wdf_rel_timeout_in_ms() {
    use ndis_types::wdf::{WDF_REQUEST_SEND_OPTION_TIMEOUT, WdfRequestSendOptions};
    // wdfrequest.h: WDF_REQUEST_SEND_OPTION_TIMEOUT = 0x00000001; WDF_REL_TIMEOUT_IN_MS(ms) is
    // -(ms * 10 000) in 100 ns units (wdfcore.h).
    assert_eq!(WDF_REQUEST_SEND_OPTION_TIMEOUT, 0x0000_0001);
    let options = WdfRequestSendOptions::relative_timeout_ms(5_000);
    assert_eq!(options, WdfRequestSendOptions { flags: 1, timeout: -50_000_000 });
}
