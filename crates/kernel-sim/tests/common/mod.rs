//! A tiny, correct-by-default fake miniport (the NDISEDGE shape: KMDF lower edge with one
//! pre-allocated read and one write request), plus switches that make it misbehave and hooks that
//! run arbitrary OS calls inside its handlers. Handlers never panic (they are `extern "system"`).
#![allow(dead_code, clippy::missing_safety_doc)]

use core::ffi::c_void;
use core::ptr;
use kernel_sim::{Sim, Violation};
use ndis_types::host::{Kernel, current};
use ndis_types::miniport::*;
use ndis_types::nbl::*;
use ndis_types::object::*;
use ndis_types::oid::*;
use ndis_types::wdf::*;
use ndis_types::*;
use std::cell::RefCell;
use std::rc::Rc;

pub const TAG: u32 = u32::from_le_bytes(*b"KsTt");
pub const POOL_TAG: u32 = u32::from_le_bytes(*b"KsPl");
pub const MAC: [u8; 6] = [0x02, 0x11, 0x22, 0x33, 0x44, 0x55];

/// Ways the fake driver misbehaves (all off: a correct driver).
#[derive(Clone, Copy, Debug, Default)]
pub struct Cfg {
    pub no_dispatch_override: bool,
    pub skip_general_attrs: bool,
    pub leak_in_init: bool,
    pub skip_device_delete: bool,
    pub skip_stop_target: bool,
    pub skip_wdf_unload: bool,
    pub skip_deregister: bool,
    pub pause_status: Option<NdisStatus>,
    pub pause_pending_never: bool,
    /// Keep sends until pause (then complete them with `held_status`, or PAUSED if `None`).
    pub hold_sends: bool,
    pub held_status: Option<NdisStatus>,
    /// Complete sends with this status (SUCCESS if `None`).
    pub send_status: Option<NdisStatus>,
    pub wrong_dispatch_flag: bool,
    pub double_complete_send: bool,
    /// Return PENDING from OIDs and complete them later from a hook.
    pub oid_pend: bool,
    pub oid_status: Option<NdisStatus>,
    pub oid_bytes_written: Option<u32>,
    pub no_read: bool,
    pub fail_init_after_device: bool,
    pub reset_pending: bool,
    pub restart_pending: bool,
    /// What restart and reset return, or complete with when pending (SUCCESS if `None`).
    pub restart_status: Option<NdisStatus>,
    /// Register `NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND` (the fake's power OID does nothing).
    pub no_halt_on_suspend: bool,
    /// `NDIS_STATISTICS_INFO.SupportedStatistics` the fake reports (bytes sent only if `None`).
    pub statistics_valid: Option<u32>,
    /// MAC options beyond `NDIS_MAC_OPTION_NO_LOOPBACK` the fake declares.
    pub extra_mac_options: u32,
    pub reset_status: Option<NdisStatus>,
    pub pause_without_flush: bool,
    pub general_first: bool,
    /// With `oid_pend`: complete with this instead of the computed status.
    pub oid_complete_status: Option<NdisStatus>,
    /// `MiniportCancelSend` completes the held sends whose cancel id matches with this status.
    pub cancel_status: Option<NdisStatus>,
    /// Advance the first NB of each sent NBL by one byte and never retreat it.
    pub advance_nb: bool,
}

thread_local! {
    /// (ReturnFlags, IRQL) of every `MiniportReturnNetBufferLists` call.
    pub static RETURNS: RefCell<Vec<(u32, Kirql)>> = const { RefCell::new(Vec::new()) };
}

pub struct Ad {
    pub handle: NdisHandle,
    pub ctx: *mut c_void,
    pub device: WdfDevice,
    pub target: WdfIoTarget,
    pub read: WdfRequest,
    pub read_mem: WdfMemory,
    pub write: WdfRequest,
    pub write_mem: WdfMemory,
    pub pool: NdisHandle,
    pub stopping: bool,
    pub held_sends: Vec<*mut NetBufferList>,
    pub pending_oid: *mut NdisOidRequest,
    pub pending_oid_status: NdisStatus,
    pub last_oid: *mut NdisOidRequest,
    pub pending_restart: bool,
    pub pending_reset: bool,
    pub surprise_removed: bool,
    pub leak: *mut c_void,
}

#[derive(Default)]
pub struct Drv {
    pub wdf: WdfDriver,
    pub ndis: NdisHandle,
    pub ads: Vec<Ad>,
}

type Hook = Box<dyn FnMut(&'static str, NdisHandle)>;

thread_local! {
    pub static CFG: RefCell<Cfg> = RefCell::new(Cfg::default());
    pub static DRV: RefCell<Drv> = RefCell::new(Drv::default());
    static HOOK: RefCell<Option<Hook>> = const { RefCell::new(None) };
}

pub fn cfg() -> Cfg {
    CFG.with(|c| *c.borrow())
}
pub fn set_cfg(f: impl FnOnce(&mut Cfg)) {
    CFG.with(|c| f(&mut c.borrow_mut()));
}
pub fn set_hook(h: impl FnMut(&'static str, NdisHandle) + 'static) {
    HOOK.with(|k| *k.borrow_mut() = Some(Box::new(h)));
}
/// Run the hook (if any) at `point`; never holds a borrow across it.
fn hook(point: &'static str, handle: NdisHandle) {
    let taken = HOOK.with(|k| k.borrow_mut().take());
    if let Some(mut h) = taken {
        h(point, handle);
        HOOK.with(|k| {
            let mut slot = k.borrow_mut();
            if slot.is_none() {
                *slot = Some(h);
            }
        });
    }
}

pub fn k() -> Rc<dyn Kernel> {
    current()
}
pub fn drv<R>(f: impl FnOnce(&mut Drv) -> R) -> R {
    DRV.with(|d| f(&mut d.borrow_mut()))
}
/// The adapter whose context (or miniport handle) is `key`.
pub fn ad<R>(key: NdisHandle, f: impl FnOnce(&mut Ad) -> R) -> Option<R> {
    drv(|d| d.ads.iter_mut().find(|a| a.ctx == key.0 || a.handle == key).map(f))
}
pub fn first_ad<R>(f: impl FnOnce(&mut Ad) -> R) -> R {
    drv(|d| f(d.ads.first_mut().expect("an adapter")))
}
fn at_dispatch() -> bool {
    k().ke_get_current_irql() == DISPATCH_LEVEL
}

pub fn characteristics() -> NdisMiniportDriverCharacteristics {
    NdisMiniportDriverCharacteristics {
        Header: NdisObjectHeader::new(
            NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS,
            NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2,
            NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2,
        ),
        MajorNdisVersion: 6,
        MinorNdisVersion: 30,
        MajorDriverVersion: 1,
        MinorDriverVersion: 0,
        Flags: NDIS_WDM_DRIVER,
        SetOptionsHandler: None,
        InitializeHandlerEx: Some(initialize),
        HaltHandlerEx: Some(halt),
        UnloadHandler: Some(unload),
        PauseHandler: Some(pause),
        RestartHandler: Some(restart),
        OidRequestHandler: Some(oid_request),
        SendNetBufferListsHandler: Some(send),
        ReturnNetBufferListsHandler: Some(return_nbls),
        CancelSendHandler: Some(cancel_send),
        CheckForHangHandlerEx: None,
        ResetHandlerEx: Some(reset),
        DevicePnPEventNotifyHandler: Some(pnp),
        ShutdownHandlerEx: Some(shutdown),
        CancelOidRequestHandler: Some(cancel_oid),
        DirectOidRequestHandler: None,
        CancelDirectOidRequestHandler: None,
    }
}

thread_local! {
    pub static CHARACTERISTICS: RefCell<Option<NdisMiniportDriverCharacteristics>> = const { RefCell::new(None) };
}

pub extern "system" fn driver_entry(driver_object: DriverObject, registry_path: RegistryPath) -> NtStatus {
    drv(|d| *d = Drv::default());
    let flags = if cfg().no_dispatch_override { 0 } else { WDF_DRIVER_INIT_NO_DISPATCH_OVERRIDE };
    let config = WdfDriverConfig { driver_init_flags: flags, driver_pool_tag: TAG };
    let wdf = match k().wdf_driver_create(driver_object, registry_path, &config) {
        Ok(w) => w,
        Err(status) => return status,
    };
    drv(|d| d.wdf = wdf);
    let c = CHARACTERISTICS.with(|c| c.borrow().unwrap_or_else(characteristics));
    match k().ndis_m_register_miniport_driver(driver_object, registry_path, NdisHandle::NULL, &c) {
        Ok(h) => {
            drv(|d| d.ndis = h);
            hook("driver_entry", h);
            STATUS_SUCCESS
        }
        Err(status) => {
            k().wdf_driver_miniport_unload(wdf);
            NtStatus::from_ndis(status)
        }
    }
}

pub fn registration_attributes(ctx: *mut c_void) -> NdisMiniportAdapterRegistrationAttributes {
    NdisMiniportAdapterRegistrationAttributes {
        Header: NdisObjectHeader::new(
            NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES,
            NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2,
            NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2,
        ),
        MiniportAdapterContext: NdisHandle(ctx),
        AttributeFlags: NDIS_MINIPORT_ATTRIBUTES_NDIS_WDM
            | NDIS_MINIPORT_ATTRIBUTES_SURPRISE_REMOVE_OK
            | if cfg().no_halt_on_suspend { NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND } else { 0 },
        CheckForHangTimeInSeconds: 0,
        InterfaceType: NDIS_INTERFACE_INTERNAL,
    }
}

pub static OIDS: [u32; 4] = [OID_GEN_XMIT_OK, OID_GEN_RCV_OK, OID_GEN_STATISTICS, OID_PNP_SET_POWER];
/// What the fake declares in `SupportedStatistics` (and reports valid unless `statistics_valid`).
pub const FAKE_STATISTICS: u32 = NDIS_STATISTICS_XMIT_OK_SUPPORTED
    | NDIS_STATISTICS_BYTES_XMIT_SUPPORTED
    | NDIS_STATISTICS_GEN_STATISTICS_SUPPORTED;

pub fn general_attributes(pm: *mut NdisPmCapabilities) -> NdisMiniportAdapterGeneralAttributes {
    let mut mac = [0u8; NDIS_MAX_PHYS_ADDRESS_LENGTH];
    mac[..6].copy_from_slice(&MAC);
    NdisMiniportAdapterGeneralAttributes {
        Header: NdisObjectHeader::new(
            NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES,
            NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2,
            NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2,
        ),
        Flags: 0,
        MediaType: NDIS_MEDIUM_802_3,
        PhysicalMediumType: NDIS_PHYSICAL_MEDIUM_802_3,
        MtuSize: 1500,
        MaxXmitLinkSpeed: 1_000_000_000,
        XmitLinkSpeed: 1_000_000_000,
        MaxRcvLinkSpeed: 1_000_000_000,
        RcvLinkSpeed: 1_000_000_000,
        MediaConnectState: MEDIA_CONNECT_STATE_CONNECTED,
        MediaDuplexState: MEDIA_DUPLEX_STATE_FULL,
        LookaheadSize: 1500,
        PowerManagementCapabilities: ptr::null_mut(),
        MacOptions: NDIS_MAC_OPTION_NO_LOOPBACK,
        SupportedPacketFilters: NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST,
        MaxMulticastListSize: 32,
        MacAddressLength: 6,
        PermanentMacAddress: mac,
        CurrentMacAddress: mac,
        RecvScaleCapabilities: ptr::null_mut(),
        AccessType: NET_IF_ACCESS_BROADCAST,
        DirectionType: NET_IF_DIRECTION_SENDRECEIVE,
        ConnectionType: NET_IF_CONNECTION_DEDICATED,
        IfType: IF_TYPE_ETHERNET_CSMACD,
        IfConnectorPresent: FALSE,
        SupportedStatistics: FAKE_STATISTICS,
        SupportedPauseFunctions: NDIS_PAUSE_FUNCTIONS_UNSUPPORTED,
        DataBackFillSize: 0,
        ContextBackFillSize: 0,
        SupportedOidList: OIDS.as_ptr(),
        SupportedOidListLength: (OIDS.len() * 4) as u32,
        AutoNegotiationFlags: 0,
        PowerManagementCapabilitiesEx: pm,
    }
}

pub fn pm_capabilities() -> NdisPmCapabilities {
    NdisPmCapabilities {
        Header: NdisObjectHeader::new(
            NDIS_OBJECT_TYPE_DEFAULT,
            NDIS_PM_CAPABILITIES_REVISION_2,
            NDIS_SIZEOF_NDIS_PM_CAPABILITIES_REVISION_2,
        ),
        ..Default::default()
    }
}

pub fn pool_parameters() -> NetBufferListPoolParameters {
    NetBufferListPoolParameters {
        Header: NdisObjectHeader::new(
            NDIS_OBJECT_TYPE_DEFAULT,
            NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
            NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
        ),
        ProtocolId: NDIS_PROTOCOL_ID_DEFAULT,
        fAllocateNetBuffer: TRUE,
        ContextSize: 0,
        PoolTag: POOL_TAG,
        DataSize: 0,
    }
}

pub fn set_general(handle: NdisHandle) -> NdisStatus {
    let mut pm = pm_capabilities();
    let mut g = general_attributes(&mut pm);
    g.MacOptions |= cfg().extra_mac_options;
    k().ndis_m_set_miniport_attributes(handle, &g.Header)
}

/// Arm the read: reuse, format for the whole buffer, set the completion routine, send.
pub fn arm_read(ctx: NdisHandle) -> bool {
    let Some((target, read, mem, stopping)) = ad(ctx, |a| (a.target, a.read, a.read_mem, a.stopping)) else {
        return false;
    };
    if stopping || read.is_null() {
        return false;
    }
    let k = k();
    k.wdf_request_reuse(read, WDF_REQUEST_REUSE_NO_FLAGS, STATUS_SUCCESS);
    if !nt_success(k.wdf_io_target_format_request_for_read(target, read, mem)) {
        return false;
    }
    k.wdf_request_set_completion_routine(read, Some(read_complete), WdfContext(ctx.0));
    k.wdf_request_send(read, target, None)
}

pub unsafe extern "C" fn read_complete(
    _request: WdfRequest,
    _target: WdfIoTarget,
    _params: *mut c_void,
    context: WdfContext,
) {
    let status = k().wdf_request_get_status(_request);
    hook("read_complete", NdisHandle(context.0));
    if status != STATUS_CANCELLED && nt_success(status) {
        arm_read(NdisHandle(context.0));
    }
}

/// Send one 60-byte write (the "hardware round trip" a pended operation waits for).
pub fn issue_write(ctx: NdisHandle) -> bool {
    let Some((target, write, mem)) = ad(ctx, |a| (a.target, a.write, a.write_mem)) else { return false };
    let k = k();
    k.wdf_request_reuse(write, WDF_REQUEST_REUSE_NO_FLAGS, STATUS_SUCCESS);
    if !nt_success(k.wdf_io_target_format_request_for_write(target, write, mem, 60)) {
        return false;
    }
    k.wdf_request_set_completion_routine(write, Some(write_complete), WdfContext(ctx.0));
    k.wdf_request_send(write, target, None)
}

/// A write came back: finish whatever operation waited for it.
pub unsafe extern "C" fn write_complete(
    _request: WdfRequest,
    _target: WdfIoTarget,
    _params: *mut c_void,
    context: WdfContext,
) {
    let ctx = NdisHandle(context.0);
    hook("write_complete", ctx);
    let Some((handle, oid, oid_status, restart, reset)) = ad(ctx, |a| {
        let r = (a.handle, a.pending_oid, a.pending_oid_status, a.pending_restart, a.pending_reset);
        a.pending_oid = ptr::null_mut();
        a.pending_restart = false;
        a.pending_reset = false;
        r
    }) else {
        return;
    };
    let k = k();
    if !oid.is_null() {
        k.ndis_m_oid_request_complete(handle, oid, cfg().oid_complete_status.unwrap_or(oid_status));
    }
    if restart {
        k.ndis_m_restart_complete(handle, cfg().restart_status.unwrap_or(NDIS_STATUS_SUCCESS));
    }
    if reset {
        k.ndis_m_reset_complete(handle, cfg().reset_status.unwrap_or(NDIS_STATUS_SUCCESS), FALSE);
    }
}

/// Undo whatever initialize built so far (the unwind a failed init must do).
fn teardown(ctx: NdisHandle, stop: bool) {
    let Some((device, target, pool, leak, handle)) = ad(ctx, |a| {
        a.stopping = true;
        (a.device, a.target, a.pool, a.leak, a.handle)
    }) else {
        return;
    };
    let k = k();
    let c = cfg();
    if stop && !c.skip_stop_target && !target.is_null() {
        k.wdf_io_target_stop(target, WDF_IO_TARGET_CANCEL_SENT_IO);
    }
    if !device.is_null() && !c.skip_device_delete {
        k.wdf_object_delete(device.into());
    }
    if !pool.is_null() {
        k.ndis_free_net_buffer_list_pool(pool);
    }
    if !leak.is_null() && !c.leak_in_init {
        k.ndis_free_memory_with_tag_priority(handle, leak, TAG);
    }
    drv(|d| d.ads.retain(|a| a.ctx != ctx.0));
    k.ndis_free_memory_with_tag_priority(handle, ctx.0, TAG);
}

unsafe extern "system" fn initialize(
    handle: NdisHandle,
    _driver_ctx: NdisHandle,
    _params: *mut NdisMiniportInitParameters,
) -> NdisStatus {
    let k = k();
    let c = cfg();
    let ctx = k.ndis_allocate_memory_with_tag_priority(handle, 64, TAG, NORMAL_POOL_PRIORITY);
    if ctx.is_null() {
        return NDIS_STATUS_RESOURCES;
    }
    drv(|d| {
        d.ads.push(Ad {
            handle,
            ctx,
            device: WdfDevice::NULL,
            target: WdfIoTarget::NULL,
            read: WdfRequest::NULL,
            read_mem: WdfMemory::NULL,
            write: WdfRequest::NULL,
            write_mem: WdfMemory::NULL,
            pool: NdisHandle::NULL,
            stopping: false,
            held_sends: Vec::new(),
            pending_oid: ptr::null_mut(),
            pending_oid_status: NDIS_STATUS_SUCCESS,
            last_oid: ptr::null_mut(),
            pending_restart: false,
            pending_reset: false,
            surprise_removed: false,
            leak: ptr::null_mut(),
        })
    });
    let key = NdisHandle(ctx);
    let fail = |status: NdisStatus| {
        teardown(key, true);
        status
    };
    if c.general_first {
        let status = set_general(handle);
        if status != NDIS_STATUS_SUCCESS {
            return fail(status);
        }
    }
    let reg = registration_attributes(ctx);
    let status = k.ndis_m_set_miniport_attributes(handle, &reg.Header);
    if status != NDIS_STATUS_SUCCESS {
        return fail(status);
    }
    let dp = k.ndis_m_get_device_property(handle);
    let attrs = WdfObjectAttributes::default();
    let device = match k.wdf_device_miniport_create(
        drv(|d| d.wdf),
        &attrs,
        dp.functional_device_object,
        dp.next_device_object,
        dp.physical_device_object,
    ) {
        Ok(d) => d,
        Err(_) => return fail(NDIS_STATUS_FAILURE),
    };
    let target = k.wdf_device_get_io_target(device);
    ad(key, |a| {
        a.device = device;
        a.target = target;
    });
    let child = WdfObjectAttributes { parent: Some(device.into()), context_type: None };
    let Ok(read) = k.wdf_request_create(&child, target) else { return fail(NDIS_STATUS_RESOURCES) };
    let Ok((read_mem, _)) = k.wdf_memory_create(&child, NON_PAGED_POOL_NX, TAG, 2048) else {
        return fail(NDIS_STATUS_RESOURCES);
    };
    let Ok(write) = k.wdf_request_create(&child, target) else { return fail(NDIS_STATUS_RESOURCES) };
    let Ok((write_mem, _)) = k.wdf_memory_create(&child, NON_PAGED_POOL_NX, TAG, 2048) else {
        return fail(NDIS_STATUS_RESOURCES);
    };
    ad(key, |a| {
        a.read = read;
        a.read_mem = read_mem;
        a.write = write;
        a.write_mem = write_mem;
    });
    let pool = k.ndis_allocate_net_buffer_list_pool(handle, &pool_parameters());
    if pool.is_null() {
        return fail(NDIS_STATUS_RESOURCES);
    }
    ad(key, |a| a.pool = pool);
    if c.leak_in_init {
        let leak = k.ndis_allocate_memory_with_tag_priority(handle, 100, TAG, NORMAL_POOL_PRIORITY);
        ad(key, |a| a.leak = leak);
    }
    if c.fail_init_after_device {
        return fail(NDIS_STATUS_FAILURE);
    }
    if !c.skip_general_attrs {
        let status = set_general(handle);
        if status != NDIS_STATUS_SUCCESS {
            return fail(status);
        }
    }
    if !c.no_read && !arm_read(key) {
        return fail(NDIS_STATUS_FAILURE);
    }
    hook("initialize", handle);
    NDIS_STATUS_SUCCESS
}

unsafe extern "system" fn halt(ctx: NdisHandle, _action: NdisHaltAction) {
    hook("halt", ctx);
    teardown(ctx, true);
}

unsafe extern "system" fn unload(_driver_object: DriverObject) {
    let c = cfg();
    let (wdf, ndis) = drv(|d| (d.wdf, d.ndis));
    hook("unload", ndis);
    if !c.skip_wdf_unload {
        k().wdf_driver_miniport_unload(wdf);
    }
    if !c.skip_deregister {
        k().ndis_m_deregister_miniport_driver(ndis);
    }
}

fn complete_chain(handle: NdisHandle, head: *mut NetBufferList, status: NdisStatus) {
    let mut nbl = head;
    while !nbl.is_null() {
        // SAFETY: NBLs NDIS sent; the miniport owns them until it completes them.
        unsafe {
            (*nbl).Status = status;
            nbl = (*nbl).Next;
        }
    }
    let mut flags = if at_dispatch() { NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL } else { 0 };
    if cfg().wrong_dispatch_flag {
        flags ^= NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL;
    }
    k().ndis_m_send_net_buffer_lists_complete(handle, head, flags);
    if cfg().double_complete_send {
        k().ndis_m_send_net_buffer_lists_complete(handle, head, flags);
    }
}

unsafe extern "system" fn send(ctx: NdisHandle, head: *mut NetBufferList, _port: u32, _flags: u32) {
    hook("send", ctx);
    let c = cfg();
    let Some(handle) = ad(ctx, |a| a.handle) else { return };
    if c.advance_nb {
        // SAFETY: NBLs NDIS sent; the miniport owns them until it completes them.
        unsafe {
            let nb = (*head).FirstNetBuffer;
            (*nb).DataOffset += 1;
            (*nb).DataLength -= 1;
            (*nb).CurrentMdlOffset += 1;
        }
    }
    if c.hold_sends {
        let mut nbl = head;
        while !nbl.is_null() {
            // SAFETY: as in complete_chain; unlinked one by one to hold them separately.
            let next = unsafe { (*nbl).Next };
            unsafe { (*nbl).Next = ptr::null_mut() };
            ad(ctx, |a| a.held_sends.push(nbl));
            nbl = next;
        }
        return;
    }
    complete_chain(handle, head, c.send_status.unwrap_or(NDIS_STATUS_SUCCESS));
}

/// Complete every held send with `status`.
pub fn flush_held(ctx: NdisHandle, status: NdisStatus) {
    let Some((handle, held)) = ad(ctx, |a| (a.handle, std::mem::take(&mut a.held_sends))) else { return };
    for nbl in held {
        complete_chain(handle, nbl, status);
    }
}

unsafe extern "system" fn return_nbls(ctx: NdisHandle, head: *mut NetBufferList, flags: u32) {
    RETURNS.with(|r| r.borrow_mut().push((flags, k().ke_get_current_irql())));
    hook("return", ctx);
    let mut nbl = head;
    while !nbl.is_null() {
        // SAFETY: NBLs the miniport indicated and NDIS returned.
        let next = unsafe { (*nbl).Next };
        k().ndis_free_net_buffer_list(nbl);
        nbl = next;
    }
}

unsafe extern "system" fn cancel_send(ctx: NdisHandle, cancel_id: *mut c_void) {
    let Some(status) = cfg().cancel_status else { return };
    let Some((handle, held)) = ad(ctx, |a| (a.handle, std::mem::take(&mut a.held_sends))) else { return };
    let mut keep = Vec::new();
    for nbl in held {
        // SAFETY: an NBL the miniport holds; NetBufferListInfo is NDIS's array.
        let id = unsafe { (*nbl).NetBufferListInfo[NET_BUFFER_LIST_CANCEL_ID] };
        if id == cancel_id {
            complete_chain(handle, nbl, status);
        } else {
            keep.push(nbl);
        }
    }
    ad(ctx, |a| a.held_sends.extend(keep));
}
unsafe extern "system" fn cancel_oid(_ctx: NdisHandle, _request_id: *mut c_void) {}

unsafe extern "system" fn pause(ctx: NdisHandle, _params: *mut NdisMiniportPauseParameters) -> NdisStatus {
    hook("pause", ctx);
    let c = cfg();
    if c.pause_pending_never {
        return NDIS_STATUS_PENDING;
    }
    if !c.pause_without_flush {
        flush_held(ctx, c.held_status.unwrap_or(NDIS_STATUS_PAUSED));
    }
    c.pause_status.unwrap_or(NDIS_STATUS_SUCCESS)
}

unsafe extern "system" fn restart(
    ctx: NdisHandle,
    _params: *mut NdisMiniportRestartParameters,
) -> NdisStatus {
    hook("restart", ctx);
    if cfg().restart_pending {
        ad(ctx, |a| a.pending_restart = true);
        issue_write(ctx);
        return NDIS_STATUS_PENDING;
    }
    cfg().restart_status.unwrap_or(NDIS_STATUS_SUCCESS)
}

unsafe extern "system" fn oid_request(ctx: NdisHandle, request: *mut NdisOidRequest) -> NdisStatus {
    hook("oid", ctx);
    let c = cfg();
    // SAFETY: NDIS owns the request and passes it for the call.
    let r = unsafe { &mut *request };
    let status = match (r.RequestType, r.DATA.oid()) {
        (NDIS_REQUEST_QUERY_INFORMATION, OID_GEN_XMIT_OK | OID_GEN_RCV_OK) => {
            let q = r.DATA.query_mut();
            if q.InformationBufferLength < 4 {
                q.BytesNeeded = if c.oid_bytes_written == Some(0) { 0 } else { 8 };
                NDIS_STATUS_BUFFER_TOO_SHORT
            } else {
                let n = if q.InformationBufferLength >= 8 { 8 } else { 4 };
                // SAFETY: NDIS gave a buffer of InformationBufferLength bytes.
                unsafe {
                    ptr::copy_nonoverlapping(
                        42u64.to_le_bytes().as_ptr(),
                        q.InformationBuffer.cast::<u8>(),
                        n,
                    )
                };
                q.BytesWritten = c.oid_bytes_written.unwrap_or(n as u32);
                NDIS_STATUS_SUCCESS
            }
        }
        (NDIS_REQUEST_QUERY_INFORMATION, OID_GEN_STATISTICS) => {
            let q = r.DATA.query_mut();
            let size = core::mem::size_of::<NdisStatisticsInfo>();
            if (q.InformationBufferLength as usize) < size {
                q.BytesNeeded = size as u32;
                NDIS_STATUS_BUFFER_TOO_SHORT
            } else {
                let info = NdisStatisticsInfo {
                    SupportedStatistics: c.statistics_valid.unwrap_or(NDIS_STATISTICS_FLAGS_VALID_BYTES_XMIT),
                    ..NdisStatisticsInfo::default()
                };
                // SAFETY: NDIS gave a buffer of InformationBufferLength bytes, at least `size`.
                unsafe { q.InformationBuffer.cast::<NdisStatisticsInfo>().write_unaligned(info) };
                q.BytesWritten = size as u32;
                NDIS_STATUS_SUCCESS
            }
        }
        (NDIS_REQUEST_SET_INFORMATION, OID_PNP_SET_POWER) => {
            r.DATA.set_mut().BytesRead = 4;
            NDIS_STATUS_SUCCESS
        }
        _ => NDIS_STATUS_NOT_SUPPORTED,
    };
    let status = c.oid_status.unwrap_or(status);
    ad(ctx, |a| a.last_oid = request);
    if c.oid_pend {
        ad(ctx, |a| {
            a.pending_oid = request;
            a.pending_oid_status = status;
        });
        issue_write(ctx);
        return NDIS_STATUS_PENDING;
    }
    status
}

unsafe extern "system" fn reset(ctx: NdisHandle, addressing: *mut Boolean) -> NdisStatus {
    hook("reset", ctx);
    // SAFETY: NDIS passes a BOOLEAN to fill.
    unsafe { addressing.write(FALSE) };
    if cfg().reset_pending {
        ad(ctx, |a| a.pending_reset = true);
        issue_write(ctx);
        return NDIS_STATUS_PENDING;
    }
    cfg().reset_status.unwrap_or(NDIS_STATUS_SUCCESS)
}

unsafe extern "system" fn pnp(ctx: NdisHandle, event: *mut NetDevicePnpEvent) {
    // SAFETY: NDIS passes the event for the call.
    let e = unsafe { (*event).DevicePnPEvent };
    if e == NDIS_DEVICE_PNP_EVENT_SURPRISE_REMOVED {
        ad(ctx, |a| a.surprise_removed = true);
    }
    hook("pnp", ctx);
}

unsafe extern "system" fn shutdown(ctx: NdisHandle, _action: NdisShutdownAction) {
    hook("shutdown", ctx);
}

/// Reset the switches, hook and characteristics for a new scenario.
pub fn fresh() {
    set_cfg(|c| *c = Cfg::default());
    HOOK.with(|k| *k.borrow_mut() = None);
    RETURNS.with(|r| r.borrow_mut().clear());
    CHARACTERISTICS.with(|c| *c.borrow_mut() = None);
}

/// A Sim with the fake driver loaded and one adapter initialized (Paused).
pub fn loaded(seed: u64) -> Sim {
    let sim = Sim::new(kernel_sim::SimConfig { seed, ..Default::default() });
    assert_eq!(sim.load(driver_entry), STATUS_SUCCESS);
    sim
}

/// Take the recorded violations and check that they are exactly of the `expected` rules (each at
/// least once, nothing else).
#[track_caller]
pub fn expect_only(sim: &Sim, expected: &[&str]) -> Vec<Violation> {
    let got = sim.take_violations();
    for rule in expected {
        assert!(got.iter().any(|v| v.rule == *rule), "expected a violation of {rule}, got {got:#?}");
    }
    for v in &got {
        assert!(
            expected.contains(&v.rule),
            "unexpected violation {v}; expected only {expected:?}; all: {got:#?}"
        );
    }
    got
}

/// The full, orderly life of one adapter: add, restart, remove; then unload.
pub fn lifecycle(sim: &Sim) {
    let a = sim.add_adapter().expect("initialize succeeds");
    assert_eq!(sim.restart(a), NDIS_STATUS_SUCCESS);
    sim.remove_adapter(a);
    sim.unload();
}
