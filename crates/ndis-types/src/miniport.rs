//! Miniport driver registration, adapter initialization and the handler signatures
//! (W:km/ndis.h, keyed in `docs/wdk-items.md`; each structure's lines are cited in `tests/abi.rs`).

use crate::Boolean;
use crate::handles::{DriverObject, NdisHandle};
use crate::nbl::NetBufferList;
use crate::object::NdisObjectHeader;
use crate::oid::NdisOidRequest;
use crate::status::NdisStatus;
use core::ffi::c_void;

/// `NDIS_HALT_ACTION` (W:km/ndis.h:10608-10617).
pub type NdisHaltAction = i32;
pub const NDIS_HALT_DEVICE_DISABLED: NdisHaltAction = 0;
pub const NDIS_HALT_DEVICE_INSTANCE_DEINITIALIZED: NdisHaltAction = 1;
pub const NDIS_HALT_DEVICE_POWERED_DOWN: NdisHaltAction = 2;
pub const NDIS_HALT_DEVICE_SURPRISE_REMOVED: NdisHaltAction = 3;
pub const NDIS_HALT_DEVICE_FAILED: NdisHaltAction = 4;
pub const NDIS_HALT_DEVICE_INITIALIZATION_FAILED: NdisHaltAction = 5;
pub const NDIS_HALT_DEVICE_STOPPED: NdisHaltAction = 6;

/// `NDIS_SHUTDOWN_ACTION` (W:km/ndis.h:10688-10691).
pub type NdisShutdownAction = i32;
pub const NDIS_SHUTDOWN_POWER_OFF: NdisShutdownAction = 0;
pub const NDIS_SHUTDOWN_BUG_CHECK: NdisShutdownAction = 1;

/// `NDIS_DEVICE_PNP_EVENT` (W:km/ndis.h:9300-9311).
pub type NdisDevicePnpEvent = i32;
pub const NDIS_DEVICE_PNP_EVENT_QUERY_REMOVED: NdisDevicePnpEvent = 0;
pub const NDIS_DEVICE_PNP_EVENT_REMOVED: NdisDevicePnpEvent = 1;
pub const NDIS_DEVICE_PNP_EVENT_SURPRISE_REMOVED: NdisDevicePnpEvent = 2;
pub const NDIS_DEVICE_PNP_EVENT_QUERY_STOPPED: NdisDevicePnpEvent = 3;
pub const NDIS_DEVICE_PNP_EVENT_STOPPED: NdisDevicePnpEvent = 4;
pub const NDIS_DEVICE_PNP_EVENT_POWER_PROFILE_CHANGED: NdisDevicePnpEvent = 5;
pub const NDIS_DEVICE_PNP_EVENT_FILTER_LIST_CHANGED: NdisDevicePnpEvent = 6;

/// `NDIS_WDM_DRIVER` for `NDIS_MINIPORT_DRIVER_CHARACTERISTICS.Flags` (W:km/ndis.h:10849-10855).
pub const NDIS_WDM_DRIVER: u32 = 0x0000_0002;

pub type SetOptionsHandler = Option<unsafe extern "system" fn(NdisHandle, NdisHandle) -> NdisStatus>;
pub type MiniportInitializeHandler =
    Option<unsafe extern "system" fn(NdisHandle, NdisHandle, *mut NdisMiniportInitParameters) -> NdisStatus>;
pub type MiniportHaltHandler = Option<unsafe extern "system" fn(NdisHandle, NdisHaltAction)>;
pub type MiniportDriverUnload = Option<unsafe extern "system" fn(DriverObject)>;
pub type MiniportPauseHandler =
    Option<unsafe extern "system" fn(NdisHandle, *mut NdisMiniportPauseParameters) -> NdisStatus>;
pub type MiniportRestartHandler =
    Option<unsafe extern "system" fn(NdisHandle, *mut NdisMiniportRestartParameters) -> NdisStatus>;
pub type MiniportOidRequestHandler =
    Option<unsafe extern "system" fn(NdisHandle, *mut NdisOidRequest) -> NdisStatus>;
pub type MiniportSendNetBufferListsHandler =
    Option<unsafe extern "system" fn(NdisHandle, *mut NetBufferList, u32, u32)>;
pub type MiniportReturnNetBufferListsHandler =
    Option<unsafe extern "system" fn(NdisHandle, *mut NetBufferList, u32)>;
pub type MiniportCancelSendHandler = Option<unsafe extern "system" fn(NdisHandle, *mut c_void)>;
pub type MiniportCheckForHangHandler = Option<unsafe extern "system" fn(NdisHandle) -> Boolean>;
pub type MiniportResetHandler = Option<unsafe extern "system" fn(NdisHandle, *mut Boolean) -> NdisStatus>;
pub type MiniportDevicePnpEventNotifyHandler =
    Option<unsafe extern "system" fn(NdisHandle, *mut NetDevicePnpEvent)>;
pub type MiniportShutdownHandler = Option<unsafe extern "system" fn(NdisHandle, NdisShutdownAction)>;
pub type MiniportCancelOidRequestHandler = Option<unsafe extern "system" fn(NdisHandle, *mut c_void)>;
pub type MiniportDirectOidRequestHandler =
    Option<unsafe extern "system" fn(NdisHandle, *mut NdisOidRequest) -> NdisStatus>;
pub type MiniportCancelDirectOidRequestHandler = Option<unsafe extern "system" fn(NdisHandle, *mut c_void)>;
/// `NDIS_IO_WORKITEM_FUNCTION` (W:km/ndis.h:12526-12535): `VOID (PVOID WorkItemContext, NDIS_HANDLE
/// NdisIoWorkItemHandle)`, run by NDIS in a system thread at PASSIVE_LEVEL.
pub type NdisIoWorkItemRoutine = unsafe extern "C" fn(*mut c_void, NdisHandle);

/// `NDIS_MINIPORT_DRIVER_CHARACTERISTICS` (W:km/ndis.h:10868-10898), revision 2 (NDIS 6.1-6.70):
/// 152 bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct NdisMiniportDriverCharacteristics {
    pub Header: NdisObjectHeader,
    pub MajorNdisVersion: u8,
    pub MinorNdisVersion: u8,
    pub MajorDriverVersion: u8,
    pub MinorDriverVersion: u8,
    pub Flags: u32,
    pub SetOptionsHandler: SetOptionsHandler,
    pub InitializeHandlerEx: MiniportInitializeHandler,
    pub HaltHandlerEx: MiniportHaltHandler,
    pub UnloadHandler: MiniportDriverUnload,
    pub PauseHandler: MiniportPauseHandler,
    pub RestartHandler: MiniportRestartHandler,
    pub OidRequestHandler: MiniportOidRequestHandler,
    pub SendNetBufferListsHandler: MiniportSendNetBufferListsHandler,
    pub ReturnNetBufferListsHandler: MiniportReturnNetBufferListsHandler,
    pub CancelSendHandler: MiniportCancelSendHandler,
    pub CheckForHangHandlerEx: MiniportCheckForHangHandler,
    pub ResetHandlerEx: MiniportResetHandler,
    pub DevicePnPEventNotifyHandler: MiniportDevicePnpEventNotifyHandler,
    pub ShutdownHandlerEx: MiniportShutdownHandler,
    pub CancelOidRequestHandler: MiniportCancelOidRequestHandler,
    pub DirectOidRequestHandler: MiniportDirectOidRequestHandler,
    pub CancelDirectOidRequestHandler: MiniportCancelDirectOidRequestHandler,
}

/// `NDIS_MINIPORT_INIT_PARAMETERS` (W:km/ndis.h:10152-10163): 64 bytes, filled by NDIS.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct NdisMiniportInitParameters {
    pub Header: NdisObjectHeader,
    pub Flags: u32,
    pub AllocatedResources: *mut c_void,
    pub IMDeviceInstanceContext: NdisHandle,
    pub MiniportAddDeviceContext: NdisHandle,
    pub IfIndex: u32,
    /// `NET_LUID` (a `ULONG64` union): `NetLuidIndex` is bits 24..47, `IfType` bits 48..63.
    pub NetLuid: u64,
    pub DefaultPortAuthStates: *mut c_void,
    pub PciDeviceCustomProperties: *mut c_void,
}

/// `NDIS_MINIPORT_PAUSE_PARAMETERS` (W:km/ndis.h:10633-10638): 12 bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct NdisMiniportPauseParameters {
    pub Header: NdisObjectHeader,
    pub Flags: u32,
    pub PauseReason: u32,
}

pub const NDIS_PAUSE_NDIS_INTERNAL: u32 = 0x0000_0001;
pub const NDIS_PAUSE_LOW_POWER: u32 = 0x0000_0002;
pub const NDIS_PAUSE_BIND_PROTOCOL: u32 = 0x0000_0004;
pub const NDIS_PAUSE_UNBIND_PROTOCOL: u32 = 0x0000_0008;
pub const NDIS_PAUSE_MINIPORT_DEVICE_REMOVE: u32 = 0x0000_0080;

/// `NDIS_MINIPORT_RESTART_PARAMETERS` (W:km/ndis.h:10173-10178): 24 bytes (`Header.Size` 20).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct NdisMiniportRestartParameters {
    pub Header: NdisObjectHeader,
    pub RestartAttributes: *mut NdisRestartAttributes,
    pub Flags: u32,
}

/// `NDIS_RESTART_ATTRIBUTES` (W:km/ndis.h:4118-4126): list head; `Data` is 16-aligned and variable.
#[repr(C, align(16))]
#[derive(Debug)]
pub struct NdisRestartAttributes {
    pub Next: *mut NdisRestartAttributes,
    pub Oid: u32,
    pub DataLength: u32,
    pub Data: [u8; 1],
}

/// `NDIS_INTERFACE_TYPE` (W:km/ndis.h:1222-1242).
pub type NdisInterfaceType = i32;
pub const NDIS_INTERFACE_INTERNAL: NdisInterfaceType = 0;
pub const NDIS_INTERFACE_PNP_BUS: NdisInterfaceType = 15;

pub const NDIS_MINIPORT_ATTRIBUTES_HARDWARE_DEVICE: u32 = 0x0000_0001;
pub const NDIS_MINIPORT_ATTRIBUTES_NDIS_WDM: u32 = 0x0000_0002;
pub const NDIS_MINIPORT_ATTRIBUTES_SURPRISE_REMOVE_OK: u32 = 0x0000_0004;
pub const NDIS_MINIPORT_ATTRIBUTES_NOT_CO_NDIS: u32 = 0x0000_0008;
pub const NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND: u32 = 0x0000_0020;
pub const NDIS_MINIPORT_ATTRIBUTES_BUS_MASTER: u32 = 0x0000_0040;
pub const NDIS_MINIPORT_ATTRIBUTES_NO_PAUSE_ON_SUSPEND: u32 = 0x0000_0100;
pub const NDIS_MINIPORT_ATTRIBUTES_REGISTER_BUGCHECK_CALLBACK: u32 = 0x0000_0400;

/// `NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES` (W:km/ndis.h:10189-10196): 32 bytes,
/// `Header.Size` 28.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct NdisMiniportAdapterRegistrationAttributes {
    pub Header: NdisObjectHeader,
    pub MiniportAdapterContext: NdisHandle,
    pub AttributeFlags: u32,
    pub CheckForHangTimeInSeconds: u32,
    pub InterfaceType: NdisInterfaceType,
}

/// `NDIS_MEDIUM`.
pub const NDIS_MEDIUM_802_3: i32 = 0;
/// `NDIS_PHYSICAL_MEDIUM`.
pub const NDIS_PHYSICAL_MEDIUM_UNSPECIFIED: i32 = 0;
pub const NDIS_PHYSICAL_MEDIUM_802_3: i32 = 14;
/// `NDIS_MEDIA_CONNECT_STATE`.
pub const MEDIA_CONNECT_STATE_UNKNOWN: i32 = 0;
pub const MEDIA_CONNECT_STATE_CONNECTED: i32 = 1;
pub const MEDIA_CONNECT_STATE_DISCONNECTED: i32 = 2;
/// `NDIS_MEDIA_DUPLEX_STATE`.
pub const MEDIA_DUPLEX_STATE_UNKNOWN: i32 = 0;
pub const MEDIA_DUPLEX_STATE_HALF: i32 = 1;
pub const MEDIA_DUPLEX_STATE_FULL: i32 = 2;
/// `NET_IF_ACCESS_TYPE`, `NET_IF_DIRECTION_TYPE`, `NET_IF_CONNECTION_TYPE`.
pub const NET_IF_ACCESS_BROADCAST: i32 = 2;
pub const NET_IF_DIRECTION_SENDRECEIVE: i32 = 0;
pub const NET_IF_CONNECTION_DEDICATED: i32 = 1;
/// `IF_TYPE_ETHERNET_CSMACD` (S:shared/ipifcons.h:49).
pub const IF_TYPE_ETHERNET_CSMACD: u16 = 6;
/// `NDIS_SUPPORTED_PAUSE_FUNCTIONS`.
pub const NDIS_PAUSE_FUNCTIONS_UNSUPPORTED: u32 = 0;
/// `NDIS_LINK_SPEED_UNKNOWN`.
pub const NDIS_LINK_SPEED_UNKNOWN: u64 = u64::MAX;
/// `NDIS_MAX_PHYS_ADDRESS_LENGTH`.
pub const NDIS_MAX_PHYS_ADDRESS_LENGTH: usize = 32;
/// `ETH_LENGTH_OF_ADDRESS`.
pub const ETH_LENGTH_OF_ADDRESS: usize = 6;

/// `NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES` (W:km/ndis.h:10256-10294), revision 2: 224 bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct NdisMiniportAdapterGeneralAttributes {
    pub Header: NdisObjectHeader,
    pub Flags: u32,
    pub MediaType: i32,
    pub PhysicalMediumType: i32,
    pub MtuSize: u32,
    pub MaxXmitLinkSpeed: u64,
    pub XmitLinkSpeed: u64,
    pub MaxRcvLinkSpeed: u64,
    pub RcvLinkSpeed: u64,
    pub MediaConnectState: i32,
    pub MediaDuplexState: i32,
    pub LookaheadSize: u32,
    pub PowerManagementCapabilities: *mut c_void,
    pub MacOptions: u32,
    pub SupportedPacketFilters: u32,
    pub MaxMulticastListSize: u32,
    pub MacAddressLength: u16,
    pub PermanentMacAddress: [u8; NDIS_MAX_PHYS_ADDRESS_LENGTH],
    pub CurrentMacAddress: [u8; NDIS_MAX_PHYS_ADDRESS_LENGTH],
    pub RecvScaleCapabilities: *mut c_void,
    pub AccessType: i32,
    pub DirectionType: i32,
    pub ConnectionType: i32,
    pub IfType: u16,
    pub IfConnectorPresent: Boolean,
    pub SupportedStatistics: u32,
    pub SupportedPauseFunctions: u32,
    pub DataBackFillSize: u32,
    pub ContextBackFillSize: u32,
    pub SupportedOidList: *const u32,
    pub SupportedOidListLength: u32,
    pub AutoNegotiationFlags: u32,
    pub PowerManagementCapabilitiesEx: *mut NdisPmCapabilities,
}

/// `NDIS_PM_CAPABILITIES` (S:shared/ntddndis.h:4278-4307), revision 2 (NDIS 6.30): 60 bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct NdisPmCapabilities {
    pub Header: NdisObjectHeader,
    pub Flags: u32,
    pub SupportedWoLPacketPatterns: u32,
    pub NumTotalWoLPatterns: u32,
    pub MaxWoLPatternSize: u32,
    pub MaxWoLPatternOffset: u32,
    pub MaxWoLPacketSaveBuffer: u32,
    pub SupportedProtocolOffloads: u32,
    pub NumArpOffloadIPv4Addresses: u32,
    pub NumNSOffloadIPv6Addresses: u32,
    pub MinMagicPacketWakeUp: i32,
    pub MinPatternWakeUp: i32,
    pub MinLinkChangeWakeUp: i32,
    pub SupportedWakeUpEvents: u32,
    pub MediaSpecificWakeUpEvents: u32,
}

/// `NDIS_DEVICE_POWER_STATE::NdisDeviceStateUnspecified`.
pub const NDIS_DEVICE_STATE_UNSPECIFIED: i32 = 0;
/// `NdisDeviceStateD0` and `NdisDeviceStateD3` (S:shared/ntddndis.h:2454), as `OID_PNP_SET_POWER`'s
/// ULONG buffer carries them.
pub const NDIS_DEVICE_STATE_D0: u32 = 1;
pub const NDIS_DEVICE_STATE_D3: u32 = 4;

/// `NET_DEVICE_PNP_EVENT` (W:km/ndis.h:10708-10717): 48 bytes, `Header.Size` 44.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct NetDevicePnpEvent {
    pub Header: NdisObjectHeader,
    pub PortNumber: u32,
    pub DevicePnPEvent: NdisDevicePnpEvent,
    pub InformationBuffer: *mut c_void,
    pub InformationBufferLength: u32,
    pub NdisReserved: [u8; 16],
}
