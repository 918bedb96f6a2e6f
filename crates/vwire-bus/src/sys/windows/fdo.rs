//! The bus FDO on the root-enumerated `Root\VWireBus` device: it owns the portable
//! [`crate::bus::BusState`] (the hub and the table of ports; in its context, under a WDFSPINLOCK,
//! since every path that touches it runs at <= DISPATCH_LEVEL), the default child list, the serving
//! DPC that completes parked reads, the timer that releases delayed frames, and the administrator's
//! control interface. The port table's rules and the admin dispatch are `crate::bus`'s, tested on
//! every host; this module takes the lock, calls them, and turns what they return into WDF calls.
//!
//! ## The serving DPC
//! A parked read that becomes servable because of anything but its own arrival (a peer port's write,
//! the delivery timer, a changed fault) is completed by [`evt_serve_dpc`], one WDFDPC per bus, never
//! inline in the event's own call. Inline, a write of port A would run port B's read completion
//! routine, hence B's receive indication and possibly TCP/IP's reply send, which re-enters the bus's
//! `EvtIoWrite` for B and serves A's reads inline in turn: the two adapters nest inside each other's
//! `MiniportSendNetBufferLists` without bound and overflow the 24 KiB kernel stack (issue 7). The
//! write only enqueues the DPC; the system runs it at DISPATCH_LEVEL once the processor's IRQL drops
//! below DISPATCH_LEVEL, not as a call from the write. Its chain (DPC -> B's completion -> receive ->
//! reply send -> bus write) runs at DISPATCH_LEVEL, where no other DPC can start on that processor,
//! so the writes in it only enqueue the DPC again and return (the system removes a DPC from its queue
//! before it calls `EvtDpcFunc`, so an enqueue during a run queues the next run: ddi wdfdpcenqueue,
//! Remarks). The nesting is one chain deep, whatever the traffic.
//! - A write copies each frame once where it can: into a read parked on the destination port, taken
//!   out of that port's queue under the lock (cut-through: `crate::bus` module doc, `io.rs`). The
//!   filled read is completed by this DPC like any other, before the port's queued frames are
//!   served. Until then the bus owns it (no cancel routine), so the framework's removal of the port's
//!   PDO, which waits for the requests its queues delivered, waits for this DPC.
//! - One per bus, not per port: the writer does not have to know which ports its frames reached, one
//!   run serves every port (`io::serve_parked_reads`), and the DPC never holds a PDO handle, so a
//!   port's removal needs nothing from it: it reaches a port's read queue only through the port table,
//!   under the spin lock, and the queue's cleanup (`pdo::evt_parked_queue_cleanup`) and the port's
//!   unplugging (`BusState::remove_port`) change that table under the same lock.
//! - Created in `create` (EvtDriverDeviceAdd), parented to the FDO (mandatory parent, ddi
//!   wdfdpccreate), with `AutomaticSerialization = FALSE`: the spin lock serializes what it touches.
//! - Bounded work: a run completes at most one [`Completions`] batch and re-enqueues itself for the
//!   rest, so no run holds the processor long and other DPCs get their turn.
//! - Every decision to enqueue it or to arm the timer is made under the spin lock and checks
//!   `BusState::serving_allowed` / `BusState::arm_timer` ([`BusContext::kick`],
//!   [`BusContext::arm_timer`]).
//! - An injected frame (`IOCTL_VWIRE_BUS_INJECT_FRAME`) is a frame from the wire like a peer's
//!   write: the administrator's thread queues it in the hub and enqueues this DPC, which completes
//!   the port's parked read ([`run_admin`]).
//! - Still completed inline, by choice: a read's own arrival (`io` module doc); and, from the
//!   administrator's IOCTLs at PASSIVE_LEVEL, the reads and link waits a port's removal fails
//!   ([`fail_parked_then_report_missing`]) and the link waits a link change answers
//!   ([`answer_link_waits`]). Those run in the administrator's thread with no driver frame
//!   below them, the miniport sends nothing from a failed completion, and a link wait's completion
//!   re-sends one wait, which parks (its generation is now current): bounded, and not a peer's write.
//!
//! ## Teardown
//! The DPC enqueues nothing but itself and arms the timer; the timer enqueues the DPC; writers and the
//! control path enqueue it. So the rundown is explicit, in the FDO's `EvtDeviceSelfManagedIoCleanup`
//! ([`evt_bus_self_managed_io_cleanup`], PASSIVE_LEVEL): KMDF calls it in the Removed state after every
//! child PDO has been removed and after the FDO's queues were purged (WDF-SRC
//! src/framework/shared/irphandlers/pnp/pnpstatemachine.cpp `PnpEventRemoved` :2104-2128, "all children are cleaned up before the parent"; then
//! `FxPkgFdo::PnpEventFdoRemovedOverload`, fxpkgfdo.cpp:1221-1240, -> `PnpEventRemovedCommonCode`,
//! pnpstatemachine.cpp:1995-2020), and before it deletes the device and so disposes the DPC and
//! timer. It records the rundown under the lock (`BusState::begin_rundown`; from then on nothing
//! enqueues the DPC or arms the timer), stops the timer and waits for its callback
//! (`WdfTimerStop(TRUE)`), then cancels the DPC and waits for a running one (`WdfDpcCancel(TRUE)`). Parenting is the second line:
//! the framework deletes the DPC with the device (ddi wdfdpccreate) and its passive-level dispose
//! flushes queued DPCs (`FxDpc::Dispose` -> `KeFlushQueuedDpcs`, fxdpc.cpp:371-411), but disposal alone
//! would not order the DPC against the timer it arms (a started timer that is running down is a crash,
//! `FxTimer::Start`, fxtimer.cpp:557-610).
//!
//! Creation follows the toaster dynamic bus `Bus_EvtDeviceAdd` (Windows-driver-samples
//! general/toaster/toastDrv/kmdf/bus/dynamic/busenum.c, "busenum.c" below): device type,
//! child-list configuration before `WdfDeviceCreate`, context, default queue for the control IOCTLs,
//! device interface, bus information for the children.

use core::cell::UnsafeCell;
use core::mem::{MaybeUninit, size_of};
use core::ops::{Deref, DerefMut};
use core::ptr::{self, NonNull};

use wdk_sys::{
    _INTERFACE_TYPE, _WDF_EXECUTION_LEVEL, _WDF_IO_QUEUE_DISPATCH_TYPE, GUID, NT_SUCCESS, NTSTATUS,
    PNP_BUS_INFORMATION, PWDF_CHILD_IDENTIFICATION_DESCRIPTION_HEADER, PWDFDEVICE_INIT, STATUS_CANCELLED,
    STATUS_INVALID_DEVICE_STATE, STATUS_NO_SUCH_DEVICE, STATUS_OBJECT_NAME_COLLISION,
    STATUS_OBJECT_NAME_EXISTS, STATUS_SUCCESS, ULONG, WDF_CHILD_IDENTIFICATION_DESCRIPTION_HEADER,
    WDF_CHILD_LIST_CONFIG, WDF_NO_OBJECT_ATTRIBUTES, WDFCHILDLIST, WDFDEVICE, WDFDPC, WDFOBJECT, WDFQUEUE,
    WDFQUEUE__, WDFREQUEST, WDFREQUEST__, WDFSPINLOCK, WDFTIMER, call_unsafe_wdf_function_binding,
};

use super::wdf::{
    Completions, SpinLockGuard, complete, declare_context_type, dpc_config, io_queue_config_default_queue,
    object_attributes, object_attributes_with_context, pnp_power_event_callbacks, relative_due_time,
    timer_config, typed_context, wdf_size,
};
use super::{io, now, pdo};
use crate::bus::{
    ADMIN_COPY_MAX, AdminEffect, BusStatus, MAX_PORTS, PortSlot, check_admin_input_length, decode_admin,
    reply_port_added,
};
use crate::control::{self, AdminRequest, FILE_DEVICE_BUS_EXTENDER, PortAdded};
use crate::hub::{DevicePower, Hub, HubConfig, PortId};

/// The handle of a port's manual queue as the port table stores it: a WDFQUEUE is never NULL once
/// `WdfIoQueueCreate` succeeded, so `None` in the table means "no queue" (`crate::bus` module doc,
/// "Handles").
pub(super) type QueueHandle = NonNull<WDFQUEUE__>;

/// The handle of a read the bus holds, filled by cut-through, until the serving DPC completes it
/// (`crate::bus` module doc, "Reads filled by cut-through"): a WDFREQUEST retrieved from a port's
/// read queue is never NULL.
pub(super) type RequestHandle = NonNull<WDFREQUEST__>;

/// The portable bus state over WDF queue and request handles: everything the spin lock guards.
pub(super) type BusState = crate::bus::BusState<QueueHandle, RequestHandle>;

// A row is 440 bytes (an `Option<NonNull>` is one pointer wide; most of it is the ring of
// `FILLED_READS_PER_PORT` filled reads), so the table is 27.5 KiB of the FDO's nonpaged context,
// never on a stack (`init_context`).
const _: () = assert!(size_of::<PortSlot<QueueHandle, RequestHandle>>() == 440 && MAX_PORTS == 64);

/// A WDFQUEUE as the port table stores it (`None` for NULL).
pub(super) fn queue_handle(queue: WDFQUEUE) -> Option<QueueHandle> {
    NonNull::new(queue)
}

/// The WDFQUEUE a port-table handle stands for.
pub(super) fn wdf_queue(queue: QueueHandle) -> WDFQUEUE {
    queue.as_ptr()
}

/// The identification description of a child: `{ WDF_CHILD_IDENTIFICATION_DESCRIPTION_HEADER, port }`,
/// the header first and its size counting the whole description (ddi
/// "WDF_CHILD_IDENTIFICATION_DESCRIPTION_HEADER structure (wdfchildlist.h)"). No pointers and no
/// padding, so the framework's default RtlCopyMemory/RtlCompareMemory serve and no
/// Copy/Duplicate/Compare/Cleanup callback is needed (h:wdfchildlist.h:350-386). Port ids are never
/// reused while the bus runs (`hub::PortId`), so a child that is still being removed never collides
/// with a new one.
#[repr(C)]
pub(super) struct PortIdentification {
    pub(super) header: WDF_CHILD_IDENTIFICATION_DESCRIPTION_HEADER,
    pub(super) port: u32,
}

const _: () = assert!(size_of::<PortIdentification>() == 8, "no padding: every byte is compared");

impl PortIdentification {
    /// `WDF_CHILD_IDENTIFICATION_DESCRIPTION_HEADER_INIT(&id.header, sizeof(id))` (zero the whole
    /// description, set its size; h:wdfchildlist.h:81-90) and the port. Both fields are written, and
    /// there is no padding, so nothing is left unset.
    pub(super) fn new(port: u32) -> Self {
        Self {
            header: WDF_CHILD_IDENTIFICATION_DESCRIPTION_HEADER {
                IdentificationDescriptionSize: wdf_size::<PortIdentification>(),
            },
            port,
        }
    }

    /// The `PWDF_CHILD_IDENTIFICATION_DESCRIPTION_HEADER` the child-list calls take: the header is the
    /// first member (`#[repr(C)]`), and the pointer covers the whole description.
    pub(super) fn header_ptr(&mut self) -> PWDF_CHILD_IDENTIFICATION_DESCRIPTION_HEADER {
        ptr::from_mut(self).cast()
    }
}

/// The FDO's context. The framework zeroes it; `create` writes it once, in place (the port table
/// alone is 2 KiB, 64 rows of 32 bytes: never built on the stack), before anything else can reach
/// the device, and
/// `evt_bus_cleanup` drops it. Only `state` changes afterwards, under `lock`.
pub(super) struct BusContext {
    /// False in the zeroed memory until `create` has written the rest.
    initialized: bool,
    lock: WDFSPINLOCK,
    child_list: WDFCHILDLIST,
    timer: WDFTIMER,
    /// The serving DPC (module doc).
    dpc: WDFDPC,
    state: MaybeUninit<UnsafeCell<BusState>>,
}

declare_context_type!(BUS_CONTEXT_TYPE, BusContext, c"VWIRE_BUS_CONTEXT");

impl BusContext {
    /// The context of the bus FDO, once `create` has initialized it.
    ///
    /// The lifetime is the FDO's: callers use it only inside a callback of the FDO or of one of its
    /// PDOs, queues or timer, all of which the framework runs before it deletes the FDO (children are
    /// removed before their bus: doc "Removing a Device in a Bus Driver").
    ///
    /// # Safety
    /// `fdo` is the live bus FDO.
    pub(super) unsafe fn of(fdo: WDFDEVICE) -> Option<&'static BusContext> {
        // SAFETY: the caller guarantees a live FDO, which was created with this context type.
        let context = unsafe { typed_context::<BusContext>(fdo.cast(), &BUS_CONTEXT_TYPE) };
        // SAFETY: non-NULL context memory of the FDO, zeroed by the framework (`initialized` false)
        // or written whole by `create`; shared access only (`state` is behind the lock).
        let context = unsafe { context.as_ref() }?;
        context.initialized.then_some(context)
    }

    /// Acquires the spin lock (raising to DISPATCH_LEVEL) for access to the state.
    pub(super) fn lock(&self) -> BusGuard<'_> {
        // SAFETY: `lock` is the FDO's live spin lock (initialized), callers run at <= DISPATCH_LEVEL
        // and never acquire it twice (every path completes requests only after releasing it).
        let guard = unsafe { SpinLockGuard::acquire(self.lock) };
        // SAFETY: `initialized` means `state` was written; holding the lock makes this the only
        // reference to it until the guard drops.
        let state = unsafe { &mut *self.state.assume_init_ref().get() };
        BusGuard { state, _guard: guard }
    }

    /// Arms the delivery timer for hub time `due` if it is not armed for an earlier time
    /// (`BusState::arm_timer` decides). `state` is the locked state: the decision and the call happen
    /// under the lock, so none follows the rundown.
    pub(super) fn arm_timer(&self, state: &mut BusState, due: u64, now: u64) {
        if !state.arm_timer(due) {
            return;
        }
        // SAFETY: the FDO's live timer; `WdfTimerStart` (h:wdftimer.h:173-196) is callable at
        // <= DISPATCH_LEVEL and re-arms a queued timer. Its BOOLEAN (was it queued) is not needed.
        let _already_queued = unsafe {
            call_unsafe_wdf_function_binding!(
                WdfTimerStart,
                self.timer,
                relative_due_time(due.saturating_sub(now))
            )
        };
    }

    /// Enqueues the serving DPC: parked reads may have become servable. Under the lock (`state`), like
    /// [`Self::arm_timer`]. `WdfDpcEnqueue` (h:wdfdpc.h:130-153) is callable up to HIGH_LEVEL, so
    /// under a spin lock too, and returns FALSE without queuing it twice if it is queued already
    /// (ddi wdfdpcenqueue): the queued run serves this event too, since it reads the hub when it runs.
    pub(super) fn kick(&self, state: &mut BusState) {
        if !state.serving_allowed() {
            return;
        }
        // SAFETY: the FDO's live DPC (created in `create`, deleted with the FDO only after the rundown
        // that `BusState::begin_rundown` records, which the caller's lock orders before or after this).
        let _newly_queued = unsafe { call_unsafe_wdf_function_binding!(WdfDpcEnqueue, self.dpc) };
    }
}

/// The locked state; the lock is released when this drops.
pub(super) struct BusGuard<'a> {
    state: &'a mut BusState,
    _guard: SpinLockGuard,
}

impl Deref for BusGuard<'_> {
    type Target = BusState;
    fn deref(&self) -> &BusState {
        self.state
    }
}

impl DerefMut for BusGuard<'_> {
    fn deref_mut(&mut self) -> &mut BusState {
        self.state
    }
}

/// A `control::Guid` as the `GUID` the WDF calls take.
fn guid(g: control::Guid) -> GUID {
    GUID { Data1: g.data1, Data2: g.data2, Data3: g.data3, Data4: g.data4 }
}

/// `EvtDriverDeviceAdd`'s work: create the bus FDO.
pub(super) fn create(device_init: PWDFDEVICE_INIT) -> NTSTATUS {
    match create_bus(device_init) {
        Ok(()) => STATUS_SUCCESS,
        Err(status) => status,
    }
}

/// `NT_SUCCESS` as a `Result`, for `?`.
fn ok(status: NTSTATUS) -> Result<(), NTSTATUS> {
    if NT_SUCCESS(status) { Ok(()) } else { Err(status) }
}

/// The steps of [`create`]. The WDF configuration structures live in the helpers' frames: in one
/// function they add up past clippy's `large_stack_frames` threshold (lib.rs).
fn create_bus(device_init: PWDFDEVICE_INIT) -> Result<(), NTSTATUS> {
    // The hub first (its MAC table is its one allocation before ports exist): if the pool refuses,
    // there is no device to undo.
    let hub = Hub::try_new(HubConfig { max_ports: MAX_PORTS, ..HubConfig::default() })
        .map_err(|error| BusStatus::from(error).ntstatus())?;

    // SAFETY: `device_init` is the framework's WDFDEVICE_INIT for this device, not yet consumed;
    // PASSIVE_LEVEL (EvtDriverDeviceAdd).
    let fdo = unsafe { create_fdo(device_init) }?;
    // From here on a failure status makes the framework delete the FDO; `evt_bus_cleanup` then
    // drops the context only if it was written.
    let (lock, dpc, timer) = create_fdo_objects(fdo)?;

    // SAFETY: WdfFdoGetDefaultChildList (h:wdffdo.h:497-516) on the FDO just created with a
    // default child list configuration.
    let child_list: WDFCHILDLIST =
        unsafe { call_unsafe_wdf_function_binding!(WdfFdoGetDefaultChildList, fdo) };

    // SAFETY: the FDO was created with this context type.
    let context = unsafe { typed_context::<BusContext>(fdo.cast(), &BUS_CONTEXT_TYPE) };
    if context.is_null() {
        return Err(STATUS_INVALID_DEVICE_STATE);
    }
    // SAFETY: the context memory is the FDO's (size_of::<BusContext>() bytes, suitably aligned by the
    // framework), zeroed and not yet referenced by anyone: no queue, interface or child exists yet.
    unsafe { init_context(context, lock, child_list, timer, dpc, hub) };

    create_control_interface(fdo)?;

    // The ports the bus starts with, so that two adapters form a network as soon as the bus is
    // installed (the toaster enumerates its static children at this point, busenum.c:294). Outside a
    // scan the framework reports them to PnP when the FDO starts. A failure here leaves the bus
    // without them; ports can still be added through the control interface.
    // SAFETY: `fdo` is the live FDO whose context was written above.
    if let Some(bus) = unsafe { BusContext::of(fdo) } {
        for _ in 0..INITIAL_PORTS {
            if plug_port(bus).is_err() {
                break;
            }
        }
    }

    Ok(())
}

/// The FDO itself: device type, default child list, PnP callbacks, context; `WdfDeviceCreate`.
///
/// # Safety
/// `device_init` is the framework's WDFDEVICE_INIT for this device, not yet consumed; PASSIVE_LEVEL.
unsafe fn create_fdo(mut device_init: PWDFDEVICE_INIT) -> Result<WDFDEVICE, NTSTATUS> {
    // WdfDeviceInitSetDeviceType (h:wdfdevice.h:3309-3332): DEVICE_TYPE is ULONG.
    // SAFETY: `device_init` is the caller's unconsumed WDFDEVICE_INIT; PASSIVE_LEVEL.
    unsafe {
        call_unsafe_wdf_function_binding!(WdfDeviceInitSetDeviceType, device_init, FILE_DEVICE_BUS_EXTENDER)
    };

    // WDF_CHILD_LIST_CONFIG_INIT(&config, sizeof(PortIdentification), EvtChildListCreateDevice)
    // (h:wdfchildlist.h:413-426), then WdfFdoInitSetDefaultChildListConfig before WdfDeviceCreate
    // (h:wdffdo.h:417-444; ddi: must precede WdfDeviceCreate).
    let mut child_list_config = WDF_CHILD_LIST_CONFIG {
        Size: wdf_size::<WDF_CHILD_LIST_CONFIG>(),
        IdentificationDescriptionSize: wdf_size::<PortIdentification>(),
        EvtChildListCreateDevice: Some(pdo::evt_child_list_create_device),
        ..Default::default()
    };
    // SAFETY: `device_init` as above; the config is a live local the framework copies.
    unsafe {
        call_unsafe_wdf_function_binding!(
            WdfFdoInitSetDefaultChildListConfig,
            device_init,
            &mut child_list_config,
            WDF_NO_OBJECT_ATTRIBUTES
        )
    };

    // EvtDeviceSelfManagedIoCleanup: the rundown of the DPC and the timer (module doc, "Teardown").
    // WDF_PNPPOWER_EVENT_CALLBACKS_INIT, then WdfDeviceInitSetPnpPowerEventCallbacks (KMDF 1.31
    // wdfdevice.h:2950-2978) before WdfDeviceCreate; the framework copies the table.
    let mut pnp_power_callbacks = pnp_power_event_callbacks();
    pnp_power_callbacks.EvtDeviceSelfManagedIoCleanup = Some(evt_bus_self_managed_io_cleanup);
    // SAFETY: `device_init` as above; the table is a live local.
    unsafe {
        call_unsafe_wdf_function_binding!(
            WdfDeviceInitSetPnpPowerEventCallbacks,
            device_init,
            &mut pnp_power_callbacks
        )
    };

    let mut attributes = object_attributes_with_context(&BUS_CONTEXT_TYPE);
    attributes.EvtCleanupCallback = Some(evt_bus_cleanup);
    let mut fdo: WDFDEVICE = ptr::null_mut();
    // SAFETY: WdfDeviceCreate (h:wdfdevice.h:3632-3661) takes `PWDFDEVICE_INIT*` and consumes it;
    // attributes and out-handle are live locals; PASSIVE_LEVEL.
    let status: NTSTATUS = unsafe {
        call_unsafe_wdf_function_binding!(WdfDeviceCreate, &mut device_init, &mut attributes, &mut fdo)
    };
    ok(status)?;
    Ok(fdo)
}

/// The FDO's spin lock, serving DPC and delivery timer, all parented to it. The DPC is created before
/// the timer; the rundown does not rely on that order (module doc, "Teardown").
fn create_fdo_objects(fdo: WDFDEVICE) -> Result<(WDFSPINLOCK, WDFDPC, WDFTIMER), NTSTATUS> {
    let mut lock_attributes = object_attributes();
    lock_attributes.ParentObject = fdo.cast();
    let mut lock: WDFSPINLOCK = ptr::null_mut();
    // SAFETY: WdfSpinLockCreate (h:wdfsync.h:218-243) with a live attributes local whose parent is
    // the FDO (the default parent would be the driver: the lock would outlive the device,
    // ddi wdfspinlockcreate).
    let status: NTSTATUS =
        unsafe { call_unsafe_wdf_function_binding!(WdfSpinLockCreate, &mut lock_attributes, &mut lock) };
    ok(status)?;

    // The serving DPC. WDF_DPC_CONFIG_INIT sets AutomaticSerialization; it is turned off: the spin
    // lock serializes what the callback touches, and with the device's default synchronization scope
    // (None) it would have no effect anyway (same rule as for the timer, ddi _WDF_TIMER_CONFIG).
    let mut dpc_config = dpc_config(Some(evt_serve_dpc));
    dpc_config.AutomaticSerialization = u8::from(false);
    let mut dpc_attributes = object_attributes();
    dpc_attributes.ParentObject = fdo.cast();
    let mut dpc: WDFDPC = ptr::null_mut();
    // SAFETY: WdfDpcCreate (h:wdfdpc.h:95-128, <= DISPATCH_LEVEL): config and attributes are live
    // locals; the parent (mandatory, a device or an object leading to one: ddi wdfdpccreate) is the
    // FDO, so the framework deletes the DPC with it.
    let status: NTSTATUS = unsafe {
        call_unsafe_wdf_function_binding!(WdfDpcCreate, &mut dpc_config, &mut dpc_attributes, &mut dpc)
    };
    ok(status)?;

    let mut config = timer_config(Some(evt_delivery_timer));
    // The spin lock serializes everything the callback touches; with the device's default
    // synchronization scope (None) automatic serialization has no effect anyway
    // (ddi _WDF_TIMER_CONFIG), so it is turned off explicitly.
    config.AutomaticSerialization = u8::from(false);
    let mut timer_attributes = object_attributes();
    timer_attributes.ParentObject = fdo.cast();
    let mut timer: WDFTIMER = ptr::null_mut();
    // SAFETY: WdfTimerCreate (h:wdftimer.h:138-167): config and attributes are live locals; the
    // parent (mandatory) is the FDO.
    let status: NTSTATUS = unsafe {
        call_unsafe_wdf_function_binding!(WdfTimerCreate, &mut config, &mut timer_attributes, &mut timer)
    };
    ok(status)?;
    Ok((lock, dpc, timer))
}

/// The administrator's side: the control queue, the device interface, the children's bus
/// information.
fn create_control_interface(fdo: WDFDEVICE) -> Result<(), NTSTATUS> {
    // The control IOCTLs: the default queue, parallel, only EvtIoDeviceControl (toaster busenum.c:
    // 218-252). Its callbacks run at PASSIVE_LEVEL (queue ExecutionLevel, KMDF 1.9+), which the
    // child-list and PnP work of the control path is happiest at.
    let mut queue_config =
        io_queue_config_default_queue(_WDF_IO_QUEUE_DISPATCH_TYPE::WdfIoQueueDispatchParallel);
    queue_config.EvtIoDeviceControl = Some(evt_io_device_control);
    let mut queue_attributes = object_attributes();
    queue_attributes.ExecutionLevel = _WDF_EXECUTION_LEVEL::WdfExecutionLevelPassive;
    // SAFETY: WdfIoQueueCreate (h:wdfio.h:602-640) on the live FDO; config and attributes are live
    // locals; the queue handle is not needed (WDF_NO_HANDLE).
    let status: NTSTATUS = unsafe {
        call_unsafe_wdf_function_binding!(
            WdfIoQueueCreate,
            fdo,
            &mut queue_config,
            &mut queue_attributes,
            ptr::null_mut::<WDFQUEUE>()
        )
    };
    ok(status)?;

    // Created in EvtDriverDeviceAdd, the interface is enabled at start and disabled at removal
    // (ddi wdfdevicecreatedeviceinterface). Who may open it is the INF's business (DACL in
    // DDInstall.HW, as the toaster's dynambus.inx sets it): an interface's security descriptor comes
    // from the PDO and the INF's registry entries, not from this FDO (doc "Controlling Device Access
    // in KMDF Drivers").
    let interface = guid(control::INTERFACE_GUID);
    // SAFETY: WdfDeviceCreateDeviceInterface (h:wdfdevice.h:3696-3725): live FDO, a live GUID local,
    // no reference string.
    let status: NTSTATUS = unsafe {
        call_unsafe_wdf_function_binding!(WdfDeviceCreateDeviceInterface, fdo, &interface, ptr::null())
    };
    ok(status)?;

    // What the children get for IRP_MN_QUERY_BUS_INFORMATION (toaster busenum.c:279-283): the bus
    // type GUID is the enumerator GUID of the child IDs; PNPBus, bus 0.
    let mut bus_information = PNP_BUS_INFORMATION {
        BusTypeGuid: guid(control::BUS_TYPE_GUID),
        LegacyBusType: _INTERFACE_TYPE::PNPBus,
        BusNumber: 0,
    };
    // SAFETY: WdfDeviceSetBusInformationForChildren (h:wdfdevice.h:4030-4053): live FDO, live local
    // (the framework copies it).
    unsafe {
        call_unsafe_wdf_function_binding!(WdfDeviceSetBusInformationForChildren, fdo, &mut bus_information)
    };
    Ok(())
}

/// Writes the whole [`BusContext`] field by field into the FDO's context memory: built by value it
/// would be a temporary of more than 2 KiB on the stack (the port table), which clippy's `large_stack_frames`
/// refuses (lib.rs). `initialized` is written last.
///
/// # Safety
/// `context` is the FDO's zeroed, suitably aligned context memory of `size_of::<BusContext>()` bytes,
/// not yet referenced by anyone.
unsafe fn init_context(
    context: *mut BusContext,
    lock: WDFSPINLOCK,
    child_list: WDFCHILDLIST,
    timer: WDFTIMER,
    dpc: WDFDPC,
    hub: Hub,
) {
    // `MaybeUninit<T>` and `UnsafeCell<T>` have the layout of `T` (both `repr(transparent)`).
    // SAFETY: (all writes) in-bounds fields of the caller's valid context memory, no reference made.
    let state = unsafe { ptr::addr_of_mut!((*context).state) }.cast::<BusState>();
    // SAFETY: as above.
    unsafe {
        ptr::addr_of_mut!((*state).hub).write(hub);
        ptr::addr_of_mut!((*state).next_serial).write(0);
        ptr::addr_of_mut!((*state).timer_due).write(None);
        ptr::addr_of_mut!((*state).running_down).write(false);
        ptr::addr_of_mut!((*state).filled_waiting).write(0);
    }
    // SAFETY: as above.
    let slots = unsafe { ptr::addr_of_mut!((*state).slots) }.cast::<PortSlot<QueueHandle, RequestHandle>>();
    for index in 0..MAX_PORTS {
        // SAFETY: `index < MAX_PORTS`, the length of the array `slots` points at.
        unsafe { slots.add(index).write(PortSlot::FREE) };
    }
    // SAFETY: as above.
    unsafe {
        ptr::addr_of_mut!((*context).lock).write(lock);
        ptr::addr_of_mut!((*context).child_list).write(child_list);
        ptr::addr_of_mut!((*context).timer).write(timer);
        ptr::addr_of_mut!((*context).dpc).write(dpc);
        ptr::addr_of_mut!((*context).initialized).write(true);
    }
}

/// Ports the bus creates when it starts.
const INITIAL_PORTS: usize = 2;

/// `EvtCleanupCallback` of the FDO (PASSIVE_LEVEL for a device; the FDO's children, its queue, lock
/// and timer, were cleaned up first, and its PDOs were removed before it): drop the hub and the table.
extern "C" fn evt_bus_cleanup(object: WDFOBJECT) {
    // SAFETY: the framework passes the FDO being deleted, created with this context type.
    let context = unsafe { typed_context::<BusContext>(object, &BUS_CONTEXT_TYPE) };
    // SAFETY: the FDO's context memory, zeroed or written by `create`; nothing else runs on this
    // device any more, so this is the only reference.
    let Some(context) = (unsafe { context.as_mut() }) else { return };
    if context.initialized {
        context.initialized = false;
        // SAFETY: `initialized` was true, so `state` holds a value, dropped exactly once here.
        unsafe { context.state.assume_init_drop() };
    }
}

/// `EvtTimerFunc` of the delivery timer (DISPATCH_LEVEL): a delayed frame has become readable. The
/// serving DPC completes the reads, as for every event other than a read's own arrival.
extern "C" fn evt_delivery_timer(timer: WDFTIMER) {
    // SAFETY: WdfTimerGetParentObject (h:wdftimer.h:233-252) of the live timer: the FDO.
    let parent: WDFOBJECT = unsafe { call_unsafe_wdf_function_binding!(WdfTimerGetParentObject, timer) };
    // SAFETY: the timer's parent is the live bus FDO (set in `create`).
    let Some(bus) = (unsafe { BusContext::of(parent.cast()) }) else { return };
    let mut state = bus.lock();
    state.timer_fired();
    bus.kick(&mut state);
}

/// `EvtDpcFunc` of the serving DPC (`EVT_WDF_DPC`, h:wdfdpc.h:49-64, DISPATCH_LEVEL; module doc):
/// completes up to one [`Completions`] batch of reads, first those the hub filled by cut-through
/// (`crate::bus` module doc), then parked reads the hub has a batch for, and enqueues itself again
/// if more are waiting. Every call here is allowed at DISPATCH_LEVEL:
/// `WdfDpcGetParentObject` (any IRQL), `WdfSpinLockAcquire`/`Release` (<= DISPATCH),
/// `WdfIoQueueRetrieveNextRequest`, `WdfRequestRetrieveOutputBuffer`, `WdfRequestRequeue`,
/// `WdfRequestCompleteWithInformation`, `WdfTimerStart` (<= DISPATCH, h:wdfio.h:791-816,
/// h:wdfrequest.h, h:wdftimer.h:173-196), `WdfDpcEnqueue` (<= HIGH), `KeQueryUnbiasedInterruptTime`
/// (any IRQL).
extern "C" fn evt_serve_dpc(dpc: WDFDPC) {
    // SAFETY: WdfDpcGetParentObject (h:wdfdpc.h:186-209) of the live DPC: the FDO.
    let parent: WDFOBJECT = unsafe { call_unsafe_wdf_function_binding!(WdfDpcGetParentObject, dpc) };
    // SAFETY: the DPC's parent is the live bus FDO (set in `create`); it outlives the DPC.
    let Some(bus) = (unsafe { BusContext::of(parent.cast()) }) else { return };
    let now = now();
    let mut done = Completions::new();
    {
        let mut guard = bus.lock();
        let state = &mut *guard;
        if !state.serving_allowed() {
            return;
        }
        // The reads the hub filled by cut-through first: their frames are older than any queued.
        if io::complete_filled_reads(state, &mut done) || io::serve_parked_reads(bus, state, now, &mut done) {
            // `done` filled up: the rest in the next run, after the other DPCs queued meanwhile.
            bus.kick(state);
        }
    }
    // Outside the lock: each completion runs the miniport's completion routine (`crate::bus` module
    // doc, "Effects instead of calls"), which may re-send a read (served inline by
    // `io::evt_io_read`, its own arrival) or a write (which only enqueues this DPC).
    done.complete_all();
}

/// `EvtDeviceSelfManagedIoCleanup` of the FDO (KMDF 1.31 wdfdevice.h:955-966, PASSIVE_LEVEL): the
/// rundown of the serving DPC and the delivery timer (module doc, "Teardown"). The children are
/// removed and the queues purged already; the FDO's objects are not yet deleted.
extern "C" fn evt_bus_self_managed_io_cleanup(device: WDFDEVICE) {
    // SAFETY: the framework passes the bus FDO, which exists until after this returns.
    let Some(bus) = (unsafe { BusContext::of(device) }) else { return };
    bus.lock().begin_rundown();
    // From here nothing enqueues the DPC or arms the timer (`kick`, `arm_timer`). A callback that ran
    // its locked part before the flag may have done either: stop the timer and wait for its callback,
    // then cancel the DPC and wait for a run in progress (`FxDpc::Cancel`: KeRemoveQueueDpc, and
    // KeFlushQueuedDpcs if it was not queued, fxdpc.cpp:260-292).
    // SAFETY: WdfTimerStop (h:wdftimer.h:202-229): the FDO's live timer; Wait = TRUE at PASSIVE_LEVEL.
    let _was_queued = unsafe { call_unsafe_wdf_function_binding!(WdfTimerStop, bus.timer, u8::from(true)) };
    // SAFETY: WdfDpcCancel (h:wdfdpc.h:155-184): the FDO's live DPC; Wait = TRUE at PASSIVE_LEVEL.
    let _was_queued = unsafe { call_unsafe_wdf_function_binding!(WdfDpcCancel, bus.dpc, u8::from(true)) };
}

/// Moves parked requests of `queue` into `done` with `status` until the queue is empty or `done` is
/// full; true if `done` filled up (the caller goes round again).
fn drain(queue: QueueHandle, status: NTSTATUS, done: &mut Completions) -> bool {
    while !done.is_full() {
        let Some(request) = io::retrieve_next(wdf_queue(queue)) else { return false };
        // Room was checked above.
        let _recorded = done.push(request, status, 0);
    }
    true
}

// ---------------------------------------------------------------------------------------------
// The administrator's control interface: `crate::bus` decides, this makes the WDF calls.

/// `EvtIoDeviceControl` of the FDO's default queue (PASSIVE_LEVEL): one administrator request.
extern "C" fn evt_io_device_control(
    queue: WDFQUEUE,
    request: WDFREQUEST,
    output_buffer_length: usize,
    input_buffer_length: usize,
    io_control_code: ULONG,
) {
    let (status, information) =
        admin(queue, request, output_buffer_length, input_buffer_length, io_control_code);
    complete(request, status, information);
}

fn admin(
    queue: WDFQUEUE,
    request: WDFREQUEST,
    output_buffer_length: usize,
    input_buffer_length: usize,
    io_control_code: ULONG,
) -> (NTSTATUS, usize) {
    // SAFETY: WdfIoQueueGetDevice (h:wdfio.h:766-785) of the live queue presenting this request.
    let fdo: WDFDEVICE = unsafe { call_unsafe_wdf_function_binding!(WdfIoQueueGetDevice, queue) };
    // SAFETY: the default queue's device is the bus FDO.
    let Some(bus) = (unsafe { BusContext::of(fdo) }) else { return (STATUS_INVALID_DEVICE_STATE, 0) };

    // Strict: an input longer than any structure is refused before it is read.
    if let Err(status) = check_admin_input_length(input_buffer_length) {
        return (status.ntstatus(), 0);
    }
    if input_buffer_length > ADMIN_COPY_MAX {
        // Only `IOCTL_VWIRE_BUS_INJECT_FRAME` has inputs this long (up to 1526 bytes, too much to copy
        // onto the kernel stack), and it has no output: it is decoded where it lies, in the system
        // buffer, and no output slice into that buffer is ever made for it.
        // SAFETY: `request` is the live request presented to this callback; no reference into its
        // output exists, and none is made while `input` lives (checked below: no output).
        let input = match unsafe { io::input_buffer(request) } {
            Ok(input) => input.get(..input_buffer_length).unwrap_or(input),
            Err(status) => return (status, 0),
        };
        let order = match decode_admin(io_control_code, input, output_buffer_length) {
            Ok(order) => order,
            Err(status) => return (status.ntstatus(), 0),
        };
        if order.output_len() != 0 {
            return (BusStatus::InvalidParameter.ntstatus(), 0);
        }
        return run_admin(bus, order, &mut []);
    }
    // METHOD_BUFFERED: input and output share one system buffer, so the input is copied out before
    // the output is written.
    let mut input_copy = [0u8; ADMIN_COPY_MAX];
    // SAFETY: `request` is the live request presented to this callback.
    let input = match unsafe { io::copy_input(request, input_buffer_length, &mut input_copy) } {
        Ok(input) => input,
        Err(status) => return (status, 0),
    };
    let order = match decode_admin(io_control_code, input, output_buffer_length) {
        Ok(order) => order,
        Err(status) => return (status.ntstatus(), 0),
    };
    // The reply buffer is retrieved before the request is carried out: a port is added only if its
    // number can be reported, frames are taken from a capture only if they can be returned. Only
    // add-port and capture-read have output.
    let mut no_output = [0u8; 0];
    let output: &mut [u8] = if order.output_len() == 0 {
        &mut no_output
    } else {
        // SAFETY: the live request, not completed before `admin` returns; the input was copied out
        // and `order` borrows only the copy. The whole output buffer (at least `output_len` bytes,
        // checked by `decode_admin` and by the framework against `minimum`) is returned.
        match unsafe { io::output_buffer(request, order.output_len()) } {
            Ok(output) => output,
            Err(status) => return (status, 0),
        }
    };
    run_admin(bus, order, output)
}

/// Carries out a decoded administrator request ([`BusState::admin`], under the lock) and makes the
/// calls its [`AdminEffect`] asks for (outside it); returns the status and information to complete
/// the request with. `output` is the request's output buffer (empty for requests without one).
///
/// A capture read's reply is written into `output` under the spin lock, as a read's batch is
/// (`io::read_into`): METHOD_BUFFERED output is the system buffer the I/O manager allocated from
/// nonpaged pool (doc "Using Buffered I/O"), so it may be touched at DISPATCH_LEVEL. An injected
/// frame is copied into the hub's slot under the lock from the copied input or the system buffer,
/// both nonpaged. The frame reaches a parked read only through the serving DPC (module doc), never
/// from this thread.
fn run_admin(bus: &BusContext, order: AdminRequest<'_>, output: &mut [u8]) -> (NTSTATUS, usize) {
    let capacity = output.len();
    let effect = {
        let mut guard = bus.lock();
        let state = &mut *guard;
        let effect = state.admin(order, output, now());
        if let Ok(AdminEffect::KickServingDpc) = effect {
            // Under the same lock as the change, so no rundown slips in between.
            bus.kick(state);
        }
        effect
    };
    match effect {
        Err(status) => (status.ntstatus(), 0),
        Ok(AdminEffect::Done | AdminEffect::KickServingDpc) => (STATUS_SUCCESS, 0),
        // Never more than the buffer: the I/O manager copies `Information` bytes back to the caller.
        Ok(AdminEffect::Reply { information }) => (STATUS_SUCCESS, information.min(capacity)),
        Ok(AdminEffect::ReportPresent(added)) => match report_present(bus, PortId(added.port)) {
            Ok(()) => {
                let (status, written) = reply_port_added(&added, output);
                (status.ntstatus(), written)
            }
            Err(status) => (status, 0),
        },
        Ok(AdminEffect::FailParkedThenReportMissing { port, .. }) => {
            (fail_parked_then_report_missing(bus, port), 0)
        }
        Ok(AdminEffect::AnswerLinkWaits { port }) => {
            answer_link_waits(bus, port);
            (STATUS_SUCCESS, 0)
        }
    }
}

/// A new port ([`BusState::plug_port`]) reported present: the ports the bus starts with.
fn plug_port(bus: &BusContext) -> Result<PortAdded, NTSTATUS> {
    let added = bus.lock().plug_port().map_err(BusStatus::ntstatus)?;
    report_present(bus, PortId(added.port))?;
    Ok(added)
}

/// Reports a port [`BusState::plug_port`] made as a child present on the default child list
/// (ddi "WdfChildListAddOrUpdateChildDescriptionAsPresent function (wdfchildlist.h)";
/// h:wdfchildlist.h:740-769). Outside a scan the framework reports it to PnP at once and later
/// calls `EvtChildListCreateDevice`. If the child list refuses, the port is forgotten again.
fn report_present(bus: &BusContext, port: PortId) -> Result<(), NTSTATUS> {
    let mut id = PortIdentification::new(port.0);
    // SAFETY: the live default child list; the description is a live local of the configured size
    // (the framework copies it); no address description. The header pointer is derived from the
    // whole description (the framework reads all `IdentificationDescriptionSize` bytes through it, as
    // C passes `&description.Header`), not from the 4-byte header field alone.
    let status: NTSTATUS = unsafe {
        call_unsafe_wdf_function_binding!(
            WdfChildListAddOrUpdateChildDescriptionAsPresent,
            bus.child_list,
            id.header_ptr(),
            ptr::null_mut()
        )
    };
    // STATUS_OBJECT_NAME_EXISTS passes NT_SUCCESS but means "already a child" (same page, Return
    // value): impossible for a never-reused id, and treated as a failure, as the toaster's
    // `Bus_PlugInDevice` does (Windows-driver-samples general/toaster/toastDrv/kmdf/bus/dynamic/
    // busenum.c).
    if status != STATUS_SUCCESS {
        bus.lock().forget_port(port);
        return Err(if status == STATUS_OBJECT_NAME_EXISTS { STATUS_OBJECT_NAME_COLLISION } else { status });
    }
    Ok(())
}

/// `IOCTL_VWIRE_BUS_REMOVE_PORT` after [`BusState::remove_port`] unplugged `port`: a real surprise
/// removal for the stack above. Its parked reads and link waits are failed at once, in rounds of
/// one [`Completions`] batch (the port is unplugged, so nothing new parks between rounds), then the
/// child is reported missing (ddi "WdfChildListUpdateChildDescriptionAsMissing function
/// (wdfchildlist.h)"; h:wdfchildlist.h:775-800). The hub port lives on until the PDO is deleted.
/// Returns the status of that report.
fn fail_parked_then_report_missing(bus: &BusContext, port: PortId) -> NTSTATUS {
    let mut done = Completions::new();
    loop {
        let more = {
            let state = bus.lock();
            // Gone between rounds (the PDO was deleted): nothing left to fail.
            let Some(queues) = state.queues(port) else { break };
            queues.read.is_some_and(|queue| drain(queue, STATUS_NO_SUCH_DEVICE, &mut done))
                || queues.link.is_some_and(|queue| drain(queue, STATUS_NO_SUCH_DEVICE, &mut done))
        };
        done.complete_all();
        if !more {
            break;
        }
    }

    let mut id = PortIdentification::new(port.0);
    // SAFETY: the live default child list and a live description local (whole-description pointer,
    // as in `report_present`).
    unsafe {
        call_unsafe_wdf_function_binding!(
            WdfChildListUpdateChildDescriptionAsMissing,
            bus.child_list,
            id.header_ptr()
        )
    }
}

/// `IOCTL_VWIRE_BUS_SET_LINK` or `IOCTL_VWIRE_BUS_SET_SPEED` changed `port`'s link generation:
/// finish its parked `IOCTL_VWIRE_WAIT_LINK_CHANGE` requests, one [`Completions`] batch per round.
fn answer_link_waits(bus: &BusContext, port: PortId) {
    let mut done = Completions::new();
    loop {
        let more = {
            let state = bus.lock();
            match state.queues(port).and_then(|queues| queues.link) {
                Some(link_queue) => complete_link_waits(&state, port, link_queue, &mut done),
                None => false,
            }
        };
        done.complete_all();
        if !more {
            break;
        }
    }
}

/// Under the lock: moves the parked link waits of `port` that can now be answered
/// ([`BusState::answer_link_wait`]) into `done`; true if `done` filled up first. A wait that must
/// stay pending is requeued (to the head of its queue), and the walk stops there, so a round never
/// meets the same request twice.
fn complete_link_waits(
    state: &BusState,
    port: PortId,
    link_queue: QueueHandle,
    done: &mut Completions,
) -> bool {
    while !done.is_full() {
        let Some(request) = io::retrieve_next(wdf_queue(link_queue)) else { return false };
        // SAFETY: a request just retrieved from this driver's manual queue: owned by the driver.
        let known = unsafe { io::link_wait_generation(request) };
        // SAFETY: as above; completed (or requeued) below, before the buffer could go away.
        let output = unsafe { io::output_buffer(request, 1) };
        let answer = match (known, output) {
            (Some(known), Ok(output)) => state
                .answer_link_wait(port, known, output)
                .map(|(status, information)| (status.ntstatus(), information)),
            (None, _) => Some((STATUS_INVALID_DEVICE_STATE, 0)),
            (_, Err(status)) => Some((status, 0)),
        };
        match answer {
            Some((status, information)) => {
                // Room was checked above.
                let _recorded = done.push(request, status, information);
            }
            None => {
                if !NT_SUCCESS(io::requeue(request)) {
                    let _recorded = done.push(request, STATUS_CANCELLED, 0);
                }
                return false;
            }
        }
    }
    true
}

// ---------------------------------------------------------------------------------------------
// The child device's life (`crate::bus` module doc, "A port's life"), each under the lock.

/// Frees the row and the hub port of `port` if it never got a PDO (its creation failed before
/// `WdfDeviceCreate`); afterwards the PDO's cleanup does this.
pub(super) fn forget_pending_port(bus: &BusContext, port: PortId) {
    bus.lock().forget_pending_port(port);
}

/// The PDO of `port` was deleted: free its row and its hub port.
pub(super) fn forget_port(bus: &BusContext, port: PortId) {
    bus.lock().forget_port(port);
}

/// The PDO of `port` exists with its queues: route I/O to it. False if the port was forgotten
/// meanwhile (the caller fails the creation; the framework then deletes the PDO).
pub(super) fn attach_port(
    bus: &BusContext,
    port: PortId,
    read_queue: WDFQUEUE,
    link_queue: WDFQUEUE,
) -> bool {
    bus.lock().attach_port(port, queue_handle(read_queue), queue_handle(link_queue))
}

/// The PDO of `port` exists (recorded before its queues are created, so its cleanup finds the row).
pub(super) fn set_port_pdo(bus: &BusContext, port: PortId) {
    bus.lock().set_port_pdo(port);
}

/// Whether `port` is waiting for its PDO.
pub(super) fn is_pending(bus: &BusContext, port: PortId) -> bool {
    bus.lock().is_pending(port)
}

/// The PDO of `port` left D0 for the sleep state `power` (`pdo::evt_port_d0_exit`, PASSIVE_LEVEL):
/// the hub port powers down under the lock ([`BusState::set_port_power`]), then the reads parked
/// on it are failed with STATUS_DEVICE_POWERED_OFF outside the lock, one [`Completions`] batch per
/// round, as a removal fails them ([`fail_parked_then_report_missing`]). Nothing parks between
/// rounds: a read that reaches the port now is refused (`io::evt_io_read`). A port that is not
/// present (pending, unplugged) changes nothing.
pub(super) fn power_down_port(bus: &BusContext, port: PortId, power: DevicePower) {
    let Ok(Some(read_queue)) = bus.lock().set_port_power(port, power) else { return };
    let status = BusStatus::DevicePoweredOff.ntstatus();
    let mut done = Completions::new();
    loop {
        let more = {
            let state = bus.lock();
            // Unrouted between rounds (the queue's cleanup ran: the PDO is being deleted, and the
            // framework cancels what is left): stop.
            if state.queues(port).and_then(|queues| queues.read) != Some(read_queue) {
                break;
            }
            drain(read_queue, status, &mut done)
        };
        done.complete_all();
        if !more {
            break;
        }
    }
}

/// The PDO of `port` is back in D0 (`pdo::evt_port_d0_entry`, PASSIVE_LEVEL): the hub port powers
/// up under the lock and delivers again from the next frame on.
pub(super) fn power_up_port(bus: &BusContext, port: PortId) {
    // `NoSuchDevice`: pending or unplugged, nothing to power (`BusState::set_port_power`).
    let _not_present = bus.lock().set_port_power(port, DevicePower::D0);
}

/// One of the PDO's manual queues is being deleted: stop routing requests to it.
pub(super) fn detach_queue(bus: &BusContext, port: PortId, queue: WDFQUEUE) {
    if let Some(queue) = queue_handle(queue) {
        bus.lock().detach_queue(port, queue);
    }
}
