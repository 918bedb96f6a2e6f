//! One child PDO per port: created in `EvtChildListCreateDevice` (PASSIVE_LEVEL) in the order of the
//! toaster's `Bus_CreatePdo` and serialhcibus's `PdoCreateDynamic` (Windows-driver-samples
//! general/toaster/toastDrv/kmdf/bus/dynamic/buspdo.c, bluetooth/serialhcibus/pdo.c): device type,
//! IDs, device text, I/O type, request context, `WdfDeviceCreate`, capabilities, queues.
//!
//! Its queues:
//! - the default queue, parallel: `EvtIoRead`, `EvtIoWrite`, `EvtIoInternalDeviceControl` (`io`);
//! - a manual queue of parked reads and a manual queue of parked `IOCTL_VWIRE_WAIT_LINK_CHANGE`
//!   requests. Two manual queues, not one, so a writer retrieves only reads and a link change only
//!   waits (a manual queue hands out requests in arrival order, whatever their type). Requests
//!   there are framework-owned, so the framework cancels them when the miniport cancels its sent
//!   I/O in its surprise-removal and halt paths, with no cancel routine of ours (doc "Canceling I/O
//!   Requests": the framework cancels the requests in its queues; doc "Processing the Surprise
//!   Removal of a NIC (Windows 7 and Later Versions)": NDIS halts the miniport before the PDO sees
//!   IRP_MN_SURPRISE_REMOVAL).
//!
//! All three queues are not power-managed (`PowerManaged = WdfFalse`): requests are delivered in
//! any power state (doc "Power Management for I/O Queues": a queue that is not power-managed
//! delivers requests in any power state), the producer never meets STATUS_WDF_PAUSED, and removal
//! and power are handled by the port's own state.
//!
//! ## Power
//! The port's device follows the PDO's device power state, which KMDF reports through
//! `EvtDeviceD0Exit` and `EvtDeviceD0Entry` ([`evt_port_d0_exit`], [`evt_port_d0_entry`]; doc
//! "EVT_WDF_DEVICE_D0_EXIT callback function (wdfdevice.h)": called each time the device leaves
//! D0, at PASSIVE_LEVEL). In D1-D3 the hub port is powered down (`Hub::set_power`: what reaches it
//! is dropped and counted, what was queued is discarded, its reads and writes are refused with
//! STATUS_DEVICE_POWERED_OFF, its link as reported is unchanged), and the reads parked on it are
//! failed with that status. The miniport above declares NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND,
//! so across a system sleep it stays initialized: NDIS sends it `OID_PNP_SET_POWER` (D3) before the
//! device power IRP comes down to this PDO (doc "Handling Device Power-Down IRPs": higher drivers
//! handle a power-down IRP before lower ones), and on wake this PDO's D0 completes before NDIS sends
//! `OID_PNP_SET_POWER` (D0) (doc "Handling IRP_MN_SET_POWER for Device Power States": power-up
//! IRPs are handled on the way back up, the bus first). So nothing of the miniport's should reach
//! a powered-down port; what does is refused, not held: a power-managed queue would hold it
//! until D0 and the miniport would never see its own mistake.

use core::ptr;

use wdk_sys::{
    _WDF_DEVICE_IO_TYPE, _WDF_IO_QUEUE_DISPATCH_TYPE, _WDF_POWER_DEVICE_STATE, _WDF_TRI_STATE, NT_SUCCESS,
    NTSTATUS, PWDF_CHILD_IDENTIFICATION_DESCRIPTION_HEADER, PWDFDEVICE_INIT, STATUS_INVALID_DEVICE_STATE,
    STATUS_NO_SUCH_DEVICE, STATUS_SUCCESS, ULONG, WDF_NO_OBJECT_ATTRIBUTES, WDF_POWER_DEVICE_STATE,
    WDFCHILDLIST, WDFDEVICE, WDFOBJECT, WDFQUEUE, call_unsafe_wdf_function_binding,
};

use super::fdo::{self, BusContext, PortIdentification};
use super::io;
use super::wdf::{
    Utf16Text, declare_context_type, device_pnp_capabilities, io_queue_config, io_queue_config_default_queue,
    object_attributes, object_attributes_with_context, pnp_power_event_callbacks, typed_context,
};
use crate::control::{CHILD_HARDWARE_ID, FILE_DEVICE_BUS_EXTENDER};
use crate::hub::{DevicePower, PortId};

/// US English, the locale of the device text (toaster `Bus_CreatePdo`; `LCID` is `ULONG`).
const LOCALE_EN_US: ULONG = 0x409;

/// Room for the hardware ID (49 characters) and its NUL.
const HARDWARE_ID_CAPACITY: usize = 64;
const _: () = assert!(CHILD_HARDWARE_ID.len() < HARDWARE_ID_CAPACITY);

/// The PDO's context: which port it is, and its bus.
pub(super) struct PortDeviceContext {
    /// False in the framework's zeroed memory until written right after `WdfDeviceCreate`.
    initialized: bool,
    pub(super) port: PortId,
    pub(super) fdo: WDFDEVICE,
}

declare_context_type!(PORT_DEVICE_CONTEXT_TYPE, PortDeviceContext, c"VWIRE_PORT_DEVICE_CONTEXT");

impl PortDeviceContext {
    /// The port and bus of a PDO this driver created.
    ///
    /// # Safety
    /// `pdo` is a live PDO of this driver.
    pub(super) unsafe fn of(pdo: WDFDEVICE) -> Option<(&'static BusContext, PortId)> {
        // SAFETY: the caller guarantees a live PDO, created with this context type.
        let context = unsafe { typed_context::<PortDeviceContext>(pdo.cast(), &PORT_DEVICE_CONTEXT_TYPE) };
        // SAFETY: the PDO's context memory, zeroed or written once in `create_pdo`, read only.
        let context = unsafe { context.as_ref() }.filter(|context| context.initialized)?;
        // SAFETY: a PDO's bus FDO outlives it (children are removed first).
        let bus = unsafe { BusContext::of(context.fdo) }?;
        Some((bus, context.port))
    }
}

/// The context of every request the PDO receives (`WdfDeviceInitSetRequestAttributes`): the link
/// generation a parked `IOCTL_VWIRE_WAIT_LINK_CHANGE` waits to see change. Kept here because the
/// hub writes its answer into the METHOD_BUFFERED system buffer, which also held the input.
pub(super) struct LinkWaitContext {
    pub(super) known_generation: u32,
}

declare_context_type!(LINK_WAIT_CONTEXT_TYPE, LinkWaitContext, c"VWIRE_LINK_WAIT_CONTEXT");

/// `EvtChildListCreateDevice` (h:wdfchildlist.h:114-129, PASSIVE_LEVEL): make the PDO of the port the
/// identification description names.
pub(super) extern "C" fn evt_child_list_create_device(
    child_list: WDFCHILDLIST,
    identification_description: PWDF_CHILD_IDENTIFICATION_DESCRIPTION_HEADER,
    child_init: PWDFDEVICE_INIT,
) -> NTSTATUS {
    // SAFETY: the framework passes a description of the configured size (sizeof PortIdentification)
    // whose first member is this header (CONTAINING_RECORD in C, toaster buspdo.c:221-223).
    let port = PortId(unsafe { (*identification_description.cast::<PortIdentification>()).port });
    // SAFETY: WdfChildListGetDevice (h:wdfchildlist.h:502-521) of the live child list: the bus FDO.
    let fdo: WDFDEVICE = unsafe { call_unsafe_wdf_function_binding!(WdfChildListGetDevice, child_list) };
    // SAFETY: the child list's device is the live bus FDO.
    let Some(bus) = (unsafe { BusContext::of(fdo) }) else { return STATUS_INVALID_DEVICE_STATE };

    // Only a port the control path added and has not removed gets a PDO.
    if !fdo::is_pending(bus, port) {
        return STATUS_NO_SUCH_DEVICE;
    }
    // SAFETY: `child_init` is the framework's WDFDEVICE_INIT for this child, not yet consumed;
    // PASSIVE_LEVEL.
    let status = unsafe { create_pdo(bus, fdo, port, child_init) };
    if !NT_SUCCESS(status) {
        // Before WdfDeviceCreate nothing else will free the port; after it, the PDO's cleanup does
        // (and this finds the row taken by that PDO and leaves it).
        fdo::forget_pending_port(bus, port);
    }
    status
}

/// # Safety
/// `child_init` is the framework's live, unconsumed WDFDEVICE_INIT of a child; PASSIVE_LEVEL.
unsafe fn create_pdo(
    bus: &BusContext,
    fdo: WDFDEVICE,
    port: PortId,
    mut child_init: PWDFDEVICE_INIT,
) -> NTSTATUS {
    // Every WdfPdoInit*/WdfDeviceInit* call below takes the live `child_init` before WdfDeviceCreate
    // (they fail on an FDO's init, ddi wdfpdoinitassigndeviceid); the UNICODE_STRINGs are locals
    // over locals that outlive the calls, and the framework copies them (ddi
    // "WdfPdoInitAssignDeviceID function (wdfpdo.h)": the string's buffer may even be paged).

    // SAFETY: as above. WdfDeviceInitSetDeviceType (h:wdfdevice.h:3309-3332); the toaster and
    // serialhcibus give their PDOs FILE_DEVICE_BUS_EXTENDER too.
    unsafe {
        call_unsafe_wdf_function_binding!(WdfDeviceInitSetDeviceType, child_init, FILE_DEVICE_BUS_EXTENDER)
    };

    // Device ID = the one hardware ID = what the miniport's INF matches (doc "Device IDs": the
    // device ID is the first hardware ID; doc "Hardware IDs" for the `<enumerator>\<id>` form).
    let mut hardware_id = Utf16Text::<HARDWARE_ID_CAPACITY>::new();
    hardware_id.push_ascii(CHILD_HARDWARE_ID);
    let hardware_id = hardware_id.unicode_string();
    // SAFETY: as above. WdfPdoInitAssignDeviceID (h:wdfpdo.h:264-289).
    let status: NTSTATUS =
        unsafe { call_unsafe_wdf_function_binding!(WdfPdoInitAssignDeviceID, child_init, &hardware_id) };
    if !NT_SUCCESS(status) {
        return status;
    }
    // SAFETY: as above. WdfPdoInitAddHardwareID (h:wdfpdo.h:326-351).
    let status: NTSTATUS =
        unsafe { call_unsafe_wdf_function_binding!(WdfPdoInitAddHardwareID, child_init, &hardware_id) };
    if !NT_SUCCESS(status) {
        return status;
    }

    // Instance ID = the port number in decimal (the device ID must not tell identical devices apart,
    // the instance ID does; no `\`; PnP makes it unique system-wide since UniqueID stays default).
    let mut instance_id = Utf16Text::<16>::new();
    instance_id.push_decimal(port.0);
    let instance_id = instance_id.unicode_string();
    // SAFETY: as above. WdfPdoInitAssignInstanceID (h:wdfpdo.h:295-320).
    let status: NTSTATUS =
        unsafe { call_unsafe_wdf_function_binding!(WdfPdoInitAssignInstanceID, child_init, &instance_id) };
    if !NT_SUCCESS(status) {
        return status;
    }

    let mut description = Utf16Text::<48>::new();
    description.push_ascii("vwire port ").push_decimal(port.0);
    let description = description.unicode_string();
    let mut location = Utf16Text::<48>::new();
    location.push_ascii("vwire bus, port ").push_decimal(port.0);
    let location = location.unicode_string();
    // SAFETY: as above. WdfPdoInitAddDeviceText (h:wdfpdo.h:419-452).
    let status: NTSTATUS = unsafe {
        call_unsafe_wdf_function_binding!(
            WdfPdoInitAddDeviceText,
            child_init,
            &description,
            &location,
            LOCALE_EN_US
        )
    };
    if !NT_SUCCESS(status) {
        return status;
    }
    // SAFETY: as above. WdfPdoInitSetDefaultLocale (h:wdfpdo.h:458-481).
    unsafe { call_unsafe_wdf_function_binding!(WdfPdoInitSetDefaultLocale, child_init, LOCALE_EN_US) };

    // Direct I/O for reads and writes: the miniport's KMDF I/O target then sends an MDL over its own
    // nonpaged WDFMEMORY (no per-request double buffer allocated and copied by the target), and the
    // hub reads and writes the miniport's buffer in place; Neither would rely on the RequestorMode of
    // driver-built IRPs (WDF-SRC src/framework/shared/inc/private/common/fxrequest.hpp:1456-1463 hands
    // out a Neither buffer only for KernelMode), which is UNCONFIRMED. Internal IOCTLs follow their
    // METHOD_BUFFERED codes whatever this says. WdfDeviceInitSetIoType (h:wdfdevice.h:3205-3228),
    // still valid on 1.13+ next to the ...Ex form.
    // SAFETY: as above.
    unsafe {
        call_unsafe_wdf_function_binding!(
            WdfDeviceInitSetIoType,
            child_init,
            _WDF_DEVICE_IO_TYPE::WdfDeviceIoDirect
        )
    };

    let mut request_attributes = object_attributes_with_context(&LINK_WAIT_CONTEXT_TYPE);
    // SAFETY: as above. WdfDeviceInitSetRequestAttributes (h:wdfdevice.h, PFN with
    // (PWDFDEVICE_INIT, PWDF_OBJECT_ATTRIBUTES)): a context on every request of this device.
    unsafe {
        call_unsafe_wdf_function_binding!(
            WdfDeviceInitSetRequestAttributes,
            child_init,
            &mut request_attributes
        )
    };

    // SAFETY: as above.
    unsafe { set_power_callbacks(child_init) };

    let mut attributes = object_attributes_with_context(&PORT_DEVICE_CONTEXT_TYPE);
    attributes.EvtCleanupCallback = Some(evt_port_device_cleanup);
    let mut pdo: WDFDEVICE = ptr::null_mut();
    // SAFETY: WdfDeviceCreate (h:wdfdevice.h:3632-3661) consumes the child's init; live locals.
    let status: NTSTATUS = unsafe {
        call_unsafe_wdf_function_binding!(WdfDeviceCreate, &mut child_init, &mut attributes, &mut pdo)
    };
    if !NT_SUCCESS(status) {
        return status;
    }
    // From here a failure makes the framework delete the PDO, and its cleanup frees the port.
    fdo::set_port_pdo(bus, port);

    // SAFETY: the PDO was just created with this context type.
    let context = unsafe { typed_context::<PortDeviceContext>(pdo.cast(), &PORT_DEVICE_CONTEXT_TYPE) };
    if context.is_null() {
        return STATUS_INVALID_DEVICE_STATE;
    }
    // SAFETY: the PDO's zeroed context memory, not yet seen by anyone (no queue exists yet).
    unsafe { ptr::write(context, PortDeviceContext { initialized: true, port, fdo }) };

    // WDF_DEVICE_PNP_CAPABILITIES_INIT, then: removable and surprise-removal OK (the bus pulls ports
    // without asking; the miniport handles NdisDevicePnPEventSurpriseRemoved), Address and UINumber
    // the port number (ddi "DEVICE_CAPABILITIES structure (wdm.h)"). Power capabilities stay the
    // parent's (optional: WDF-SRC src/framework/shared/irphandlers/pnp/fxpkgpdo.cpp reports the
    // parent's value for a state left unset).
    let mut capabilities = device_pnp_capabilities();
    capabilities.Removable = _WDF_TRI_STATE::WdfTrue;
    capabilities.SurpriseRemovalOK = _WDF_TRI_STATE::WdfTrue;
    capabilities.Address = port.0;
    capabilities.UINumber = port.0;
    // SAFETY: WdfDeviceSetPnpCapabilities (h:wdfdevice.h:3972-3995): live PDO, live local.
    unsafe { call_unsafe_wdf_function_binding!(WdfDeviceSetPnpCapabilities, pdo, &mut capabilities) };

    let mut default_queue =
        io_queue_config_default_queue(_WDF_IO_QUEUE_DISPATCH_TYPE::WdfIoQueueDispatchParallel);
    default_queue.PowerManaged = _WDF_TRI_STATE::WdfFalse;
    default_queue.EvtIoRead = Some(io::evt_io_read);
    default_queue.EvtIoWrite = Some(io::evt_io_write);
    default_queue.EvtIoInternalDeviceControl = Some(io::evt_io_internal_device_control);
    // SAFETY: WdfIoQueueCreate (h:wdfio.h:602-640): live PDO, live config; no attributes, no handle.
    let status: NTSTATUS = unsafe {
        call_unsafe_wdf_function_binding!(
            WdfIoQueueCreate,
            pdo,
            &mut default_queue,
            WDF_NO_OBJECT_ATTRIBUTES,
            ptr::null_mut::<WDFQUEUE>()
        )
    };
    if !NT_SUCCESS(status) {
        return status;
    }

    // SAFETY: live PDO (both calls).
    let read_queue = match unsafe { create_parked_queue(pdo) } {
        Ok(queue) => queue,
        Err(status) => return status,
    };
    // SAFETY: as above.
    let link_queue = match unsafe { create_parked_queue(pdo) } {
        Ok(queue) => queue,
        Err(status) => return status,
    };

    if fdo::attach_port(bus, port, read_queue, link_queue) { STATUS_SUCCESS } else { STATUS_NO_SUCH_DEVICE }
}

/// Registers [`evt_port_d0_entry`] and [`evt_port_d0_exit`] on the child's init (module doc,
/// "Power"): `WDF_PNPPOWER_EVENT_CALLBACKS_INIT`, then `WdfDeviceInitSetPnpPowerEventCallbacks`
/// (KMDF 1.31 wdfdevice.h:2952-2978) before `WdfDeviceCreate`; the framework copies the table. In
/// a helper of its own so the table does not add to `create_pdo`'s frame (`large_stack_frames`,
/// lib.rs).
///
/// # Safety
/// `child_init` is the framework's live, unconsumed WDFDEVICE_INIT of a child; PASSIVE_LEVEL.
unsafe fn set_power_callbacks(child_init: PWDFDEVICE_INIT) {
    let mut pnp_power_callbacks = pnp_power_event_callbacks();
    pnp_power_callbacks.EvtDeviceD0Entry = Some(evt_port_d0_entry);
    pnp_power_callbacks.EvtDeviceD0Exit = Some(evt_port_d0_exit);
    // SAFETY: the caller's unconsumed `child_init`; the table is a live local.
    unsafe {
        call_unsafe_wdf_function_binding!(
            WdfDeviceInitSetPnpPowerEventCallbacks,
            child_init,
            &mut pnp_power_callbacks
        )
    };
}

/// `EvtDeviceD0Entry` of a port's PDO (`EVT_WDF_DEVICE_D0_ENTRY`, KMDF 1.31 wdfdevice.h:833-846:
/// `NTSTATUS (WDFDEVICE Device, WDF_POWER_DEVICE_STATE PreviousState)`,
/// `_IRQL_requires_max_(PASSIVE_LEVEL)`): the device is back in D0, at start or on wake, before
/// the D0 IRP travels back up to NDIS. The hub port powers up (a no-op at start, where it is
/// powered already), under the bus spin lock, which may be taken at PASSIVE_LEVEL (it raises to
/// DISPATCH_LEVEL and back). Always STATUS_SUCCESS: a virtual port cannot fail to power up, and a
/// port that is pending or unplugged has nothing to power; a failure would make the framework
/// remove the device (doc "EVT_WDF_DEVICE_D0_ENTRY callback function (wdfdevice.h)").
extern "C" fn evt_port_d0_entry(device: WDFDEVICE, _previous_state: WDF_POWER_DEVICE_STATE) -> NTSTATUS {
    // SAFETY: the framework passes the PDO whose callback this is, one of this driver's, live for
    // the call; its context was written in `create_pdo` before PnP could start it.
    if let Some((bus, port)) = unsafe { PortDeviceContext::of(device) } {
        fdo::power_up_port(bus, port);
    }
    STATUS_SUCCESS
}

/// `EvtDeviceD0Exit` of a port's PDO (`EVT_WDF_DEVICE_D0_EXIT`, KMDF 1.31 wdfdevice.h:878-891:
/// `NTSTATUS (WDFDEVICE Device, WDF_POWER_DEVICE_STATE TargetState)`,
/// `_IRQL_requires_max_(PASSIVE_LEVEL)`): the device leaves D0 for `target_state`.
///
/// - `WdfPowerDeviceD1`/`D2`/`D3` (a sleep, KMDF 1.31 wdfdevice.h:470-479): the hub port powers
///   down and the reads parked on it are failed ([`fdo::power_down_port`]).
/// - `WdfPowerDeviceD3Final` is removal (or shutdown, or a resource rebalance), not sleep: nothing
///   extra is done here. The removal path already handles the port: `IOCTL_VWIRE_BUS_REMOVE_PORT`
///   unplugs it and fails its I/O, and the PDO's cleanup frees the hub port; and the DDI page
///   says removal work does not belong in D0Exit ("EVT_WDF_DEVICE_D0_EXIT callback function
///   (wdfdevice.h)", Remarks: a device that idled into Dx and is then surprise-removed gets no
///   second D0Exit). A child that is disabled but stays present keeps a powered port, as before.
/// - `WdfPowerDevicePrepareForHibernation`: the device must stay on (same page); nothing is done.
///
/// Always STATUS_SUCCESS: a virtual port cannot fail to power down.
extern "C" fn evt_port_d0_exit(device: WDFDEVICE, target_state: WDF_POWER_DEVICE_STATE) -> NTSTATUS {
    let Some(power) = sleep_state(target_state) else { return STATUS_SUCCESS };
    // SAFETY: as in `evt_port_d0_entry`.
    if let Some((bus, port)) = unsafe { PortDeviceContext::of(device) } {
        fdo::power_down_port(bus, port, power);
    }
    STATUS_SUCCESS
}

/// The low-power state a D0Exit goes to, for a sleep; `None` for `WdfPowerDeviceD3Final`,
/// `WdfPowerDevicePrepareForHibernation` and anything else (`evt_port_d0_exit`).
fn sleep_state(target_state: WDF_POWER_DEVICE_STATE) -> Option<DevicePower> {
    if target_state == _WDF_POWER_DEVICE_STATE::WdfPowerDeviceD1 {
        Some(DevicePower::D1)
    } else if target_state == _WDF_POWER_DEVICE_STATE::WdfPowerDeviceD2 {
        Some(DevicePower::D2)
    } else if target_state == _WDF_POWER_DEVICE_STATE::WdfPowerDeviceD3 {
        Some(DevicePower::D3)
    } else {
        None
    }
}

/// A manual queue (no handlers: requests only arrive by `WdfRequestForwardToIoQueue`;
/// `WDF_IO_QUEUE_CONFIG_INIT(&c, WdfIoQueueDispatchManual)`, NumberOfPresentedRequests stays 0 as a
/// manual queue requires: WDF-SRC src/framework/shared/irphandlers/io/fxioqueue.cpp:356-375) whose
/// cleanup unroutes it.
///
/// # Safety
/// `pdo` is a live PDO of this driver, PASSIVE_LEVEL.
unsafe fn create_parked_queue(pdo: WDFDEVICE) -> Result<WDFQUEUE, NTSTATUS> {
    let mut config = io_queue_config(_WDF_IO_QUEUE_DISPATCH_TYPE::WdfIoQueueDispatchManual);
    config.PowerManaged = _WDF_TRI_STATE::WdfFalse;
    let mut attributes = object_attributes();
    attributes.EvtCleanupCallback = Some(evt_parked_queue_cleanup);
    let mut queue: WDFQUEUE = ptr::null_mut();
    // SAFETY: WdfIoQueueCreate on the caller's live PDO; live locals.
    let status: NTSTATUS = unsafe {
        call_unsafe_wdf_function_binding!(WdfIoQueueCreate, pdo, &mut config, &mut attributes, &mut queue)
    };
    if NT_SUCCESS(status) { Ok(queue) } else { Err(status) }
}

/// `EvtCleanupCallback` of a parked-request queue (the queue is being deleted with its PDO; its
/// PDO still exists): no request may be forwarded to or retrieved from it any more.
extern "C" fn evt_parked_queue_cleanup(object: WDFOBJECT) {
    let queue: WDFQUEUE = object.cast();
    // SAFETY: WdfIoQueueGetDevice (h:wdfio.h:766-785) of the queue being cleaned up: its parent
    // still exists during a child's cleanup (doc "Framework Object Life Cycle").
    let pdo: WDFDEVICE = unsafe { call_unsafe_wdf_function_binding!(WdfIoQueueGetDevice, queue) };
    // SAFETY: the queue's device is one of this driver's PDOs.
    if let Some((bus, port)) = unsafe { PortDeviceContext::of(pdo) } {
        fdo::detach_queue(bus, port, queue);
    }
}

/// `EvtCleanupCallback` of the PDO (PASSIVE_LEVEL for a device): the PDO is being deleted, which
/// KMDF does only once the child was reported missing and removed, or its bus is going away (doc
/// "Power-Down and Removal Sequence for a Bus Driver": a disabled but present child keeps its PDO).
/// NDIS has halted the miniport above long before. Now the hub port goes.
extern "C" fn evt_port_device_cleanup(object: WDFOBJECT) {
    // SAFETY: the framework passes the PDO being deleted, one of this driver's.
    if let Some((bus, port)) = unsafe { PortDeviceContext::of(object.cast()) } {
        fdo::forget_port(bus, port);
    }
}
