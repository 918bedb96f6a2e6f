//! NDIS as the miniport's upper edge sees it: driver registration (characteristics validated and
//! copied), the adapters with their attributes and state machine (pnp.rs), NBL/NB/MDL pools and the
//! send/receive paths (datapath.rs), OID requests (oid.rs) and status indications.

pub(crate) mod config;
pub(crate) mod datapath;
pub(crate) mod oid;
pub(crate) mod pnp;
pub(crate) mod workitem;

use crate::lower::LowerDevice;
use crate::memory::{RawBlock, Scope};
use crate::state::State;
use crate::verifier::rules::*;
use crate::{AdapterId, AdapterState};
use core::ffi::c_void;
use ndis_types::host::DeviceProperty;
use ndis_types::miniport::*;
use ndis_types::object::*;
use ndis_types::oid::*;
use ndis_types::*;

/// What NDIS caches from `NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistrationAttributes {
    pub revision: u8,
    pub miniport_adapter_context: usize,
    pub attribute_flags: u32,
    pub check_for_hang_time_in_seconds: u32,
    pub interface_type: i32,
}

/// What NDIS caches from `NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES`, copied out of the driver's
/// memory during the call (the supported OID list included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneralAttributes {
    pub revision: u8,
    pub flags: u32,
    pub media_type: i32,
    pub physical_medium_type: i32,
    pub mtu_size: u32,
    pub max_xmit_link_speed: u64,
    pub xmit_link_speed: u64,
    pub max_rcv_link_speed: u64,
    pub rcv_link_speed: u64,
    pub media_connect_state: i32,
    pub media_duplex_state: i32,
    pub lookahead_size: u32,
    pub mac_options: u32,
    pub supported_packet_filters: u32,
    pub max_multicast_list_size: u32,
    pub permanent_mac_address: Vec<u8>,
    pub current_mac_address: Vec<u8>,
    pub access_type: i32,
    pub direction_type: i32,
    pub connection_type: i32,
    pub if_type: u16,
    pub if_connector_present: bool,
    pub supported_statistics: u32,
    pub supported_pause_functions: u32,
    pub data_back_fill_size: u32,
    pub context_back_fill_size: u32,
    pub supported_oids: Vec<u32>,
    pub auto_negotiation_flags: u32,
    /// `NDIS_PM_CAPABILITIES` header revision and flags, if given.
    pub pm_capabilities_revision: Option<u8>,
}

/// A status indication the miniport made (`NdisMIndicateStatusEx`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusIndicationRecord {
    pub status_code: NdisStatus,
    pub port_number: u32,
    /// A copy of `StatusBuffer` (`StatusBufferSize` bytes).
    pub buffer: Vec<u8>,
    /// For `NDIS_STATUS_LINK_STATE`: (MediaConnectState, MediaDuplexState, XmitLinkSpeed, RcvLinkSpeed).
    pub link_state: Option<(i32, i32, u64, u64)>,
}

/// A pause, restart or reset that NDIS is waiting for.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PendingOp {
    pub(crate) completed: bool,
    pub(crate) status: NdisStatus,
    pub(crate) addressing_reset: bool,
}

/// Not completed yet: `status` means nothing until `completed` (it reads SUCCESS, the zero value).
impl Default for PendingOp {
    fn default() -> Self {
        Self { completed: false, status: NDIS_STATUS_SUCCESS, addressing_reset: false }
    }
}

pub(crate) struct Adapter {
    pub(crate) id: AdapterId,
    /// `NdisMiniportHandle` / `MiniportAdapterHandle`.
    pub(crate) handle: usize,
    pub(crate) pdo: usize,
    pub(crate) fdo: usize,
    pub(crate) next: usize,
    pub(crate) state: AdapterState,
    pub(crate) surprise_removed: bool,
    /// `State::callbacks_entered` when the pause completed (cleared at restart): a send handed
    /// over by a call that began before it must not still be held (`Ndis.PauseCompleteWhenIdle`).
    pub(crate) pause_completed_at: Option<u64>,
    /// `State::callbacks_entered` when the surprise-removal notification's handler first released
    /// a spin lock: where a driver publishes "removed" to its other processors. A callback on
    /// another processor that began before then may still reach the device.
    pub(crate) surprise_published: Option<u64>,
    /// Restarts begun so far: a send whose handler overlapped one may have been taken for
    /// running (`SendRec::restarts_at_entry`).
    pub(crate) restarts_begun: u64,
    /// `State::callbacks_entered` when the current reset began, and when `MiniportResetEx`
    /// returned PENDING (`Ndis.NothingHeldAcrossReset`).
    pub(crate) reset_began: u64,
    pub(crate) reset_returned: Option<u64>,
    /// `State::callbacks_entered` when `MiniportPause` returned for the current pause. A callback
    /// entered after it finds the driver pausing; one that overlapped the call may not have.
    pub(crate) pause_returned: Option<u64>,
    /// The processor running `MiniportDevicePnPEventNotify(SurpriseRemoved)`, while it runs.
    pub(crate) surprise_notify_on: Option<usize>,
    /// Inside `MiniportInitializeEx` right now.
    pub(crate) in_initialize: bool,
    pub(crate) if_index: u32,
    pub(crate) net_luid: u64,
    pub(crate) registration: Option<RegistrationAttributes>,
    pub(crate) general: Option<GeneralAttributes>,
    /// The miniport WDFDEVICE, while alive.
    pub(crate) device: Option<usize>,
    pub(crate) lower: LowerDevice,
    pub(crate) pause: Option<PendingOp>,
    pub(crate) restart: Option<PendingOp>,
    pub(crate) reset: Option<PendingOp>,
    pub(crate) oid: Option<oid::PendingOid>,
    pub(crate) statuses: Vec<StatusIndicationRecord>,
    pub(crate) received: Vec<Vec<u8>>,
    /// The `Ieee8021QNetBufferListInfo` each of `received` was indicated with.
    pub(crate) received_8021q: Vec<usize>,
    /// Structures NDIS passed to handlers (init/pause/restart parameters...), kept for the run.
    pub(crate) blocks: Vec<RawBlock>,
    /// The adapter's driver key (`Sim::set_registry` when it was added).
    pub(crate) registry: Vec<(String, config::RegValue)>,
    /// What the driver wrote to the system event log for it.
    pub(crate) error_log: Vec<config::ErrorLogEntry>,
    /// The device power state NDIS last set (`NDIS_DEVICE_POWER_STATE`, D0 = 1, D3 = 4).
    pub(crate) device_power: u32,
}

#[derive(Default)]
pub(crate) struct NdisState {
    pub(crate) driver_handle: Option<usize>,
    pub(crate) driver_context: usize,
    pub(crate) characteristics: Option<NdisMiniportDriverCharacteristics>,
    pub(crate) deregistered: bool,
    pub(crate) adapters: Vec<Adapter>,
    pub(crate) registry: config::Registry,
}

const KNOWN_MINOR_VERSIONS: &[u8] = &[0, 1, 20, 30, 40, 50, 60, 70, 80, 81, 82, 83, 84, 85, 86, 87];
const KNOWN_CHARACTERISTICS_FLAGS: u32 = 0x1 | NDIS_WDM_DRIVER | 0x8;

/// Why `NdisMRegisterMiniportDriver` rejects these characteristics (required and paired handlers:
/// Microsoft page "NDIS_MINIPORT_DRIVER_CHARACTERISTICS structure (ndis.h)"), if it does.
pub(crate) fn characteristics_problems(c: &NdisMiniportDriverCharacteristics) -> Vec<String> {
    let mut p = Vec::new();
    let h = c.Header;
    if h.Type != NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS {
        p.push(format!(
            "Header.Type {:#x} is not NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS (0x8A)",
            h.Type
        ));
    }
    let expected_size = match h.Revision {
        1 => Some(136),
        2 => Some(152),
        3 => Some(160),
        _ => None,
    };
    match expected_size {
        None => p.push(format!("Header.Revision {} is not 1, 2 or 3", h.Revision)),
        Some(size) if size != h.Size => {
            p.push(format!("Header.Size {} does not match revision {} (expected {size})", h.Size, h.Revision))
        }
        _ => {}
    }
    if c.MajorNdisVersion != 6 {
        p.push(format!("MajorNdisVersion {} (an NDIS 6 miniport says 6)", c.MajorNdisVersion));
    }
    if !KNOWN_MINOR_VERSIONS.contains(&c.MinorNdisVersion) {
        p.push(format!("MinorNdisVersion {} is not an NDIS 6.x version", c.MinorNdisVersion));
    }
    if c.Flags & !KNOWN_CHARACTERISTICS_FLAGS != 0 {
        p.push(format!("Flags {:#x} has unknown bits", c.Flags));
    }
    let required = [
        ("InitializeHandlerEx", c.InitializeHandlerEx.is_some()),
        ("HaltHandlerEx", c.HaltHandlerEx.is_some()),
        ("UnloadHandler", c.UnloadHandler.is_some()),
        ("PauseHandler", c.PauseHandler.is_some()),
        ("RestartHandler", c.RestartHandler.is_some()),
        ("OidRequestHandler", c.OidRequestHandler.is_some()),
        ("SendNetBufferListsHandler", c.SendNetBufferListsHandler.is_some()),
        ("ReturnNetBufferListsHandler", c.ReturnNetBufferListsHandler.is_some()),
        ("CancelSendHandler", c.CancelSendHandler.is_some()),
        ("DevicePnPEventNotifyHandler", c.DevicePnPEventNotifyHandler.is_some()),
        ("ShutdownHandlerEx", c.ShutdownHandlerEx.is_some()),
        ("CancelOidRequestHandler", c.CancelOidRequestHandler.is_some()),
    ];
    for (name, present) in required {
        if !present {
            p.push(format!("required handler {name} is NULL"));
        }
    }
    if c.CheckForHangHandlerEx.is_some() && c.ResetHandlerEx.is_none() {
        p.push("CheckForHangHandlerEx without ResetHandlerEx".into());
    }
    if h.Revision >= 2 && c.DirectOidRequestHandler.is_some() != c.CancelDirectOidRequestHandler.is_some() {
        p.push(
            "DirectOidRequestHandler and CancelDirectOidRequestHandler must be both set or both NULL".into(),
        );
    }
    p
}

impl State {
    pub(crate) fn adapter(&self, a: AdapterId) -> &Adapter {
        self.ndis.adapters.get(a.0).unwrap_or_else(|| panic!("kernel-sim: no adapter {}", a.0))
    }

    pub(crate) fn adapter_mut(&mut self, a: AdapterId) -> &mut Adapter {
        self.ndis.adapters.get_mut(a.0).unwrap_or_else(|| panic!("kernel-sim: no adapter {}", a.0))
    }

    pub(crate) fn adapter_by_handle(&self, h: NdisHandle) -> Option<AdapterId> {
        self.ndis.adapters.iter().find(|a| a.handle == h.0 as usize).map(|a| a.id)
    }

    /// The adapter named by a miniport adapter handle, or a violation.
    pub(crate) fn adapter_handle(&mut self, api: &'static str, h: NdisHandle) -> Option<AdapterId> {
        let found = self.adapter_by_handle(h);
        if let Some(a) = found {
            self.check_not_touched_after_pause_complete(api, crate::irql::AdapterTouch::Adapter(a));
        }
        if found.is_none() {
            self.violate(
                NDIS_HANDLE_VALID,
                format!("{api}: {h:?} is not a miniport adapter handle NDIS gave this driver"),
            );
        }
        found
    }

    /// Owner scope of memory allocated with `handle` (driver handle or adapter handle).
    pub(crate) fn scope_of(&mut self, api: &'static str, handle: NdisHandle) -> Scope {
        if self.ndis.driver_handle == Some(handle.0 as usize) && !handle.is_null() {
            return Scope::Driver;
        }
        if let Some(a) = self.adapter_by_handle(handle) {
            return Scope::Adapter(a);
        }
        self.violate(
            NDIS_HANDLE_VALID,
            format!(
                "{api}: NdisHandle {handle:?} is neither the NDIS driver handle nor a miniport adapter handle"
            ),
        );
        Scope::Driver
    }

    pub(crate) fn ndis_m_register_miniport_driver(
        &mut self,
        driver_object: DriverObject,
        context: NdisHandle,
        characteristics: &NdisMiniportDriverCharacteristics,
    ) -> Result<NdisHandle, NdisStatus> {
        let api = "NdisMRegisterMiniportDriver";
        self.check_irql(api, PASSIVE_LEVEL);
        if self.current_phase() != crate::Phase::DriverEntry {
            self.violate(NDIS_REGISTER_IN_DRIVER_ENTRY, format!("{api} called outside DriverEntry"));
            return Err(NDIS_STATUS_FAILURE);
        }
        if self.ndis.driver_handle.is_some() {
            self.violate(NDIS_REGISTER_IN_DRIVER_ENTRY, format!("{api} called a second time"));
            return Err(NDIS_STATUS_FAILURE);
        }
        if driver_object.0 as usize != self.loader.driver_object {
            self.violate(
                NDIS_HANDLE_VALID,
                format!("{api}: {driver_object:?} is not the DRIVER_OBJECT passed to DriverEntry"),
            );
            return Err(NDIS_STATUS_FAILURE);
        }
        let problems = characteristics_problems(characteristics);
        if !problems.is_empty() {
            self.violate(NDIS_CHARACTERISTICS_VALID, format!("{api}: {}", problems.join("; ")));
            let version = characteristics.MajorNdisVersion != 6
                || !KNOWN_MINOR_VERSIONS.contains(&characteristics.MinorNdisVersion);
            return Err(if version { NDIS_STATUS_BAD_VERSION } else { NDIS_STATUS_BAD_CHARACTERISTICS });
        }
        if self.fallible(api) {
            return Err(NDIS_STATUS_RESOURCES);
        }
        let h = self.mint();
        self.ndis.driver_handle = Some(h);
        self.ndis.driver_context = context.0 as usize;
        self.ndis.characteristics = Some(*characteristics);
        self.log(format!(
            "{api}(NDIS {}.{}) = {h:#x}",
            characteristics.MajorNdisVersion, characteristics.MinorNdisVersion
        ));
        Ok(NdisHandle(h as *mut c_void))
    }

    pub(crate) fn ndis_m_deregister_miniport_driver(&mut self, handle: NdisHandle) {
        let api = "NdisMDeregisterMiniportDriver";
        self.check_irql(api, PASSIVE_LEVEL);
        if self.ndis.driver_handle != Some(handle.0 as usize) || handle.is_null() {
            self.violate(
                NDIS_HANDLE_VALID,
                format!("{api}: {handle:?} is not the handle NdisMRegisterMiniportDriver returned"),
            );
            return;
        }
        if self.ndis.deregistered {
            self.violate(NDIS_HANDLE_VALID, format!("{api} called twice"));
            return;
        }
        self.ndis.deregistered = true;
    }

    pub(crate) fn ndis_m_get_device_property(&mut self, handle: NdisHandle) -> DeviceProperty {
        let api = "NdisMGetDeviceProperty";
        self.check_irql_rule(api, PASSIVE_LEVEL, NDIS_GET_DEVICE_PROPERTY_CONTEXT);
        let Some(a) = self.adapter_handle(api, handle) else {
            return DeviceProperty::default();
        };
        if !self.adapter(a).in_initialize {
            self.violate(
                NDIS_GET_DEVICE_PROPERTY_CONTEXT,
                format!("{api} for adapter {} outside MiniportInitializeEx", a.0),
            );
        }
        let ad = self.adapter(a);
        DeviceProperty {
            physical_device_object: DeviceObject(ad.pdo as *mut c_void),
            functional_device_object: DeviceObject(ad.fdo as *mut c_void),
            next_device_object: DeviceObject(ad.next as *mut c_void),
        }
    }

    pub(crate) fn ndis_m_set_miniport_attributes(
        &mut self,
        handle: NdisHandle,
        attributes: *const NdisObjectHeader,
    ) -> NdisStatus {
        let api = "NdisMSetMiniportAttributes";
        self.check_irql(api, PASSIVE_LEVEL);
        let Some(a) = self.adapter_handle(api, handle) else {
            return NDIS_STATUS_INVALID_PARAMETER;
        };
        if !self.adapter(a).in_initialize {
            self.violate(
                NDIS_ATTRIBUTES_ONLY_IN_INITIALIZE,
                format!("{api} for adapter {} outside MiniportInitializeEx", a.0),
            );
            return NDIS_STATUS_NOT_ACCEPTED;
        }
        if attributes.is_null() {
            self.violate(NDIS_REGISTRATION_ATTRIBUTES_FIRST, format!("{api} with NULL attributes"));
            return NDIS_STATUS_INVALID_PARAMETER;
        }
        // SAFETY: the facade guarantees `Header.Size` readable bytes behind a valid header.
        let header = unsafe { attributes.read() };
        match header.Type {
            NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES => {
                self.set_registration_attributes(a, attributes.cast())
            }
            NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES => {
                self.set_general_attributes(a, attributes.cast())
            }
            0xA0 | 0xA1 | 0xAB | 0xAF | 0xB3 | 0xC5 => {
                if self.adapter(a).general.is_none() {
                    let msg = format!(
                        "{api}: attributes of type {:#x} before the registration and general attributes",
                        header.Type
                    );
                    self.violate(NDIS_REGISTRATION_ATTRIBUTES_FIRST, msg);
                    return NDIS_STATUS_INVALID_PARAMETER;
                }
                if self.fallible(api) {
                    return NDIS_STATUS_RESOURCES;
                }
                NDIS_STATUS_SUCCESS
            }
            other => {
                self.violate(
                    NDIS_REGISTRATION_ATTRIBUTES_FIRST,
                    format!("{api}: unknown attributes Header.Type {other:#x}"),
                );
                NDIS_STATUS_INVALID_PARAMETER
            }
        }
    }

    fn set_registration_attributes(
        &mut self,
        a: AdapterId,
        p: *const NdisMiniportAdapterRegistrationAttributes,
    ) -> NdisStatus {
        let api = "NdisMSetMiniportAttributes(registration)";
        // SAFETY: Header.Size (28) bytes readable, checked below before any field past the header.
        let header = unsafe { (*p).Header };
        if !(header.Revision == 1 || header.Revision == 2)
            || header.Size != NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2
        {
            let msg = format!(
                "{api}: header revision {} size {} (expected revision 1 or 2, size 28)",
                header.Revision, header.Size
            );
            self.violate(NDIS_REGISTRATION_ATTRIBUTES_FIRST, msg);
            return NDIS_STATUS_INVALID_PARAMETER;
        }
        // SAFETY: 28 bytes are readable: every field through InterfaceType.
        let r = unsafe {
            (
                (*p).MiniportAdapterContext,
                (*p).AttributeFlags,
                (*p).CheckForHangTimeInSeconds,
                (*p).InterfaceType,
            )
        };
        if self.adapter(a).registration.is_some() {
            self.violate(
                NDIS_REGISTRATION_ATTRIBUTES_FIRST,
                format!("{api} set a second time for adapter {}", a.0),
            );
            return NDIS_STATUS_INVALID_PARAMETER;
        }
        if r.0.is_null() {
            self.violate(
                NDIS_REGISTRATION_ATTRIBUTES_FIRST,
                format!("{api}: MiniportAdapterContext is NULL"),
            );
            return NDIS_STATUS_INVALID_PARAMETER;
        }
        if self.fallible("NdisMSetMiniportAttributes") {
            return NDIS_STATUS_RESOURCES;
        }
        self.adapter_mut(a).registration = Some(RegistrationAttributes {
            revision: header.Revision,
            miniport_adapter_context: r.0.0 as usize,
            attribute_flags: r.1,
            check_for_hang_time_in_seconds: r.2,
            interface_type: r.3,
        });
        NDIS_STATUS_SUCCESS
    }

    fn set_general_attributes(
        &mut self,
        a: AdapterId,
        p: *const NdisMiniportAdapterGeneralAttributes,
    ) -> NdisStatus {
        let api = "NdisMSetMiniportAttributes(general)";
        if self.adapter(a).registration.is_none() {
            self.violate(
                NDIS_REGISTRATION_ATTRIBUTES_FIRST,
                format!("{api} before the registration attributes (adapter {})", a.0),
            );
            return NDIS_STATUS_INVALID_PARAMETER;
        }
        // SAFETY: a valid header is readable.
        let header = unsafe { (*p).Header };
        let ok = matches!((header.Revision, header.Size), (1, 216) | (2, 224));
        if !ok {
            let msg = format!(
                "{api}: header revision {} size {} (expected revision 1 size 216 or revision 2 size 224)",
                header.Revision, header.Size
            );
            self.violate(NDIS_GENERAL_ATTRIBUTES_REQUIRED, msg);
            return NDIS_STATUS_INVALID_PARAMETER;
        }
        // SAFETY: Header.Size bytes are readable; each read below is of a field inside them
        // (PowerManagementCapabilitiesEx, at 216, only for revision 2).
        let g = unsafe {
            GeneralAttributes {
                revision: header.Revision,
                flags: (*p).Flags,
                media_type: (*p).MediaType,
                physical_medium_type: (*p).PhysicalMediumType,
                mtu_size: (*p).MtuSize,
                max_xmit_link_speed: (*p).MaxXmitLinkSpeed,
                xmit_link_speed: (*p).XmitLinkSpeed,
                max_rcv_link_speed: (*p).MaxRcvLinkSpeed,
                rcv_link_speed: (*p).RcvLinkSpeed,
                media_connect_state: (*p).MediaConnectState,
                media_duplex_state: (*p).MediaDuplexState,
                lookahead_size: (*p).LookaheadSize,
                mac_options: (*p).MacOptions,
                supported_packet_filters: (*p).SupportedPacketFilters,
                max_multicast_list_size: (*p).MaxMulticastListSize,
                permanent_mac_address: (*p).PermanentMacAddress.to_vec(),
                current_mac_address: (*p).CurrentMacAddress.to_vec(),
                access_type: (*p).AccessType,
                direction_type: (*p).DirectionType,
                connection_type: (*p).ConnectionType,
                if_type: (*p).IfType,
                if_connector_present: (*p).IfConnectorPresent != 0,
                supported_statistics: (*p).SupportedStatistics,
                supported_pause_functions: (*p).SupportedPauseFunctions,
                data_back_fill_size: (*p).DataBackFillSize,
                context_back_fill_size: (*p).ContextBackFillSize,
                supported_oids: Vec::new(),
                auto_negotiation_flags: (*p).AutoNegotiationFlags,
                pm_capabilities_revision: None,
            }
        };
        let mut g = g;
        let mut problems = Vec::new();
        // SAFETY: as above.
        let (mac_len, oid_list, oid_len) =
            unsafe { ((*p).MacAddressLength as usize, (*p).SupportedOidList, (*p).SupportedOidListLength) };
        if mac_len > NDIS_MAX_PHYS_ADDRESS_LENGTH {
            problems.push(format!("MacAddressLength {mac_len} > 32"));
        } else {
            g.permanent_mac_address.truncate(mac_len);
            g.current_mac_address.truncate(mac_len);
        }
        if oid_len % 4 != 0 || (oid_len > 0 && oid_list.is_null()) {
            problems.push(format!(
                "SupportedOidList {oid_list:p} / SupportedOidListLength {oid_len} (bytes, a multiple of 4)"
            ));
        } else if oid_len > 0 {
            // SAFETY: the driver says `oid_len` bytes of NDIS_OIDs are at `oid_list`; NDIS copies them now.
            g.supported_oids = unsafe { std::slice::from_raw_parts(oid_list, oid_len as usize / 4) }.to_vec();
        }
        if header.Revision == 2 {
            // SAFETY: revision 2 is 224 bytes: the field at 216 is readable.
            let pm = unsafe { (*p).PowerManagementCapabilitiesEx };
            if pm.is_null() {
                problems.push(
                    "PowerManagementCapabilitiesEx is NULL (revision 2 needs an NDIS_PM_CAPABILITIES)".into(),
                );
            } else {
                // SAFETY: the driver points at an NDIS_PM_CAPABILITIES whose header is readable.
                let pmh = unsafe { (*pm).Header };
                let valid = pmh.Type == NDIS_OBJECT_TYPE_DEFAULT
                    && matches!((pmh.Revision, pmh.Size), (1, 52) | (2, 60));
                if !valid {
                    problems.push(format!(
                        "NDIS_PM_CAPABILITIES header type {:#x} revision {} size {} (expected 0x80, 1/52 or 2/60)",
                        pmh.Type, pmh.Revision, pmh.Size
                    ));
                } else {
                    g.pm_capabilities_revision = Some(pmh.Revision);
                }
            }
        }
        if !problems.is_empty() {
            self.violate(NDIS_GENERAL_ATTRIBUTES_REQUIRED, format!("{api}: {}", problems.join("; ")));
            return NDIS_STATUS_INVALID_PARAMETER;
        }
        // "A miniport driver that sets the NDIS_MAC_OPTION_8021Q_VLAN flag must also set the
        // NDIS_MAC_OPTION_8021P_PRIORITY flag" (Doc oid-gen-mac-options).
        if g.mac_options & NDIS_MAC_OPTION_8021Q_VLAN != 0
            && g.mac_options & NDIS_MAC_OPTION_8021P_PRIORITY == 0
        {
            let msg = format!("{api}: MacOptions {:#x} declare 802.1Q without 802.1p", g.mac_options);
            self.violate(NDIS_IEEE8021Q_DECLARED, msg);
        }
        if self.fallible("NdisMSetMiniportAttributes") {
            return NDIS_STATUS_RESOURCES;
        }
        self.adapter_mut(a).general = Some(g);
        NDIS_STATUS_SUCCESS
    }

    pub(crate) fn ndis_m_indicate_status_ex(
        &mut self,
        handle: NdisHandle,
        indication: *const NdisStatusIndication,
    ) {
        let api = "NdisMIndicateStatusEx";
        self.check_irql(api, DISPATCH_LEVEL);
        let Some(a) = self.adapter_handle(api, handle) else { return };
        if indication.is_null() {
            self.violate(NDIS_STATUS_INDICATION_VALID, format!("{api}: NULL indication"));
            return;
        }
        // SAFETY: the facade passes a complete NDIS_STATUS_INDICATION (112 bytes).
        let s = unsafe { indication.read() };
        let mut problems = Vec::new();
        if s.Header.Type != NDIS_OBJECT_TYPE_STATUS_INDICATION
            || s.Header.Revision != NDIS_STATUS_INDICATION_REVISION_1
            || s.Header.Size != NDIS_SIZEOF_STATUS_INDICATION_REVISION_1
        {
            problems.push(format!(
                "header type {:#x} revision {} size {} (expected 0x98, 1, 112)",
                s.Header.Type, s.Header.Revision, s.Header.Size
            ));
        }
        if s.SourceHandle.0 as usize != self.adapter(a).handle {
            problems.push(format!("SourceHandle {:?} is not the miniport adapter handle", s.SourceHandle));
        }
        if s.StatusBufferSize > 0 && s.StatusBuffer.is_null() {
            problems.push(format!("StatusBuffer NULL with StatusBufferSize {}", s.StatusBufferSize));
        }
        let mut link_state = None;
        if s.StatusCode == NDIS_STATUS_LINK_STATE {
            if s.StatusBufferSize as usize != size_of::<NdisLinkState>() || s.StatusBuffer.is_null() {
                problems.push(format!(
                    "NDIS_STATUS_LINK_STATE with a {}-byte buffer (expected a 40-byte NDIS_LINK_STATE)",
                    s.StatusBufferSize
                ));
            } else {
                // SAFETY: 40 readable bytes, checked above.
                let ls = unsafe { s.StatusBuffer.cast::<NdisLinkState>().read_unaligned() };
                if ls.Header.Type != NDIS_OBJECT_TYPE_DEFAULT
                    || ls.Header.Revision != NDIS_LINK_STATE_REVISION_1
                    || ls.Header.Size != NDIS_SIZEOF_LINK_STATE_REVISION_1
                {
                    problems.push(format!(
                        "NDIS_LINK_STATE header type {:#x} revision {} size {} (expected 0x80, 1, 40)",
                        ls.Header.Type, ls.Header.Revision, ls.Header.Size
                    ));
                } else {
                    link_state =
                        Some((ls.MediaConnectState, ls.MediaDuplexState, ls.XmitLinkSpeed, ls.RcvLinkSpeed));
                }
            }
        }
        if matches!(self.adapter(a).state, AdapterState::Halted) {
            problems.push("adapter is halted".into());
        }
        if !problems.is_empty() {
            self.violate(
                NDIS_STATUS_INDICATION_VALID,
                format!("{api}(status {:#x}) for adapter {}: {}", s.StatusCode, a.0, problems.join("; ")),
            );
            return;
        }
        let buffer = if s.StatusBufferSize > 0 {
            // SAFETY: StatusBufferSize readable bytes at StatusBuffer (non-NULL, checked above).
            unsafe { std::slice::from_raw_parts(s.StatusBuffer.cast::<u8>(), s.StatusBufferSize as usize) }
                .to_vec()
        } else {
            Vec::new()
        };
        let adapter = self.adapter_mut(a);
        if let (Some(ls), Some(g)) = (link_state, adapter.general.as_mut()) {
            g.media_connect_state = ls.0;
        }
        adapter.statuses.push(StatusIndicationRecord {
            status_code: s.StatusCode,
            port_number: s.PortNumber,
            buffer,
            link_state,
        });
        // `LowerDeviceControl::flap_link_on_indication`: the wire changes again while the miniport
        // is still reporting the last change (a flapping cable), so its next watch is stale.
        if link_state.is_some() && adapter.lower.link_flaps > 0 {
            adapter.lower.link_flaps -= 1;
            if let Some(port) = adapter.lower.port {
                let up = ls_connected(link_state);
                let _ = self.hub.hub.set_link(port, !up);
            }
        }
    }
}

/// Whether a recorded `NDIS_LINK_STATE` says connected.
fn ls_connected(link_state: Option<(i32, i32, u64, u64)>) -> bool {
    link_state.is_some_and(|(connect, ..)| connect == MEDIA_CONNECT_STATE_CONNECTED)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> NdisMiniportDriverCharacteristics {
        unsafe extern "system" fn init(
            _: NdisHandle,
            _: NdisHandle,
            _: *mut NdisMiniportInitParameters,
        ) -> NdisStatus {
            NDIS_STATUS_SUCCESS
        }
        unsafe extern "system" fn halt(_: NdisHandle, _: NdisHaltAction) {}
        unsafe extern "system" fn unload(_: DriverObject) {}
        unsafe extern "system" fn pause(_: NdisHandle, _: *mut NdisMiniportPauseParameters) -> NdisStatus {
            NDIS_STATUS_SUCCESS
        }
        unsafe extern "system" fn restart(
            _: NdisHandle,
            _: *mut NdisMiniportRestartParameters,
        ) -> NdisStatus {
            NDIS_STATUS_SUCCESS
        }
        unsafe extern "system" fn oid(_: NdisHandle, _: *mut NdisOidRequest) -> NdisStatus {
            NDIS_STATUS_SUCCESS
        }
        unsafe extern "system" fn send(
            _: NdisHandle,
            _: *mut ndis_types::nbl::NetBufferList,
            _: u32,
            _: u32,
        ) {
        }
        unsafe extern "system" fn ret(_: NdisHandle, _: *mut ndis_types::nbl::NetBufferList, _: u32) {}
        unsafe extern "system" fn cancel(_: NdisHandle, _: *mut c_void) {}
        unsafe extern "system" fn pnp(_: NdisHandle, _: *mut NetDevicePnpEvent) {}
        unsafe extern "system" fn shutdown(_: NdisHandle, _: NdisShutdownAction) {}
        NdisMiniportDriverCharacteristics {
            Header: NdisObjectHeader::new(0x8A, 2, 152),
            MajorNdisVersion: 6,
            MinorNdisVersion: 30,
            Flags: NDIS_WDM_DRIVER,
            InitializeHandlerEx: Some(init),
            HaltHandlerEx: Some(halt),
            UnloadHandler: Some(unload),
            PauseHandler: Some(pause),
            RestartHandler: Some(restart),
            OidRequestHandler: Some(oid),
            SendNetBufferListsHandler: Some(send),
            ReturnNetBufferListsHandler: Some(ret),
            CancelSendHandler: Some(cancel),
            DevicePnPEventNotifyHandler: Some(pnp),
            ShutdownHandlerEx: Some(shutdown),
            CancelOidRequestHandler: Some(cancel),
            ..Default::default()
        }
    }

    #[test]
    fn characteristics_checks() {
        assert!(characteristics_problems(&valid()).is_empty());
        let mut c = valid();
        c.Header.Revision = 1;
        assert_eq!(characteristics_problems(&c).len(), 1, "revision 1 is 136 bytes");
        c.Header.Size = 136;
        assert!(characteristics_problems(&c).is_empty());
        let mut c = valid();
        c.MinorNdisVersion = 31;
        c.ShutdownHandlerEx = None;
        assert_eq!(characteristics_problems(&c).len(), 2);
    }
}
