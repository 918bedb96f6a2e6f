//! KMDF as a miniport sees it (Microsoft pages "Creating KMDF Miniport Drivers" and
//! "WdfDeviceMiniportCreate function (wdfminiport.h)"): the driver object created with
//! `WdfDriverInitNoDispatchOverride`, the miniport device from `WdfDeviceMiniportCreate` with its
//! default I/O target, the object tree (parents, deletion of children, handles checked after
//! delete), requests (format, send, complete, reuse) and I/O target states (Started sends, Stopped
//! queues, Closed fails).

use crate::AdapterId;
use crate::memory::RawBlock;
use crate::state::{Inner, State};
use crate::verifier::rules::*;
use core::ffi::c_void;
use ndis_types::wdf::*;
use ndis_types::*;
use std::collections::{BTreeMap, VecDeque};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ObjType {
    Driver,
    Device,
    IoTarget,
    Request,
    Memory,
    Any,
}

impl ObjType {
    pub(crate) fn name(self) -> &'static str {
        match self {
            ObjType::Driver => "WDFDRIVER",
            ObjType::Device => "WDFDEVICE",
            ObjType::IoTarget => "WDFIOTARGET",
            ObjType::Request => "WDFREQUEST",
            ObjType::Memory => "WDFMEMORY",
            ObjType::Any => "WDFOBJECT",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TargetState {
    Started,
    Stopped,
    /// `WdfIoTargetPurge`: new requests fail at once (`STATUS_INVALID_DEVICE_STATE`) instead of
    /// queuing, until the target is started again.
    Purged,
    Closed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IoKind {
    Read,
    Write,
    /// IRP_MJ_INTERNAL_DEVICE_CONTROL with this control code (METHOD_BUFFERED semantics: the device
    /// reads the whole input memory and writes up to the output memory's size).
    InternalIoctl(u32),
}

impl IoKind {
    /// `WDF_REQUEST_TYPE` (the IRP major function).
    pub(crate) fn request_type(self) -> u64 {
        match self {
            IoKind::Read => 3,
            IoKind::Write => 4,
            IoKind::InternalIoctl(_) => 0xF,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReqState {
    /// Created, or reused: must be formatted before it is sent.
    Unformatted,
    Formatted,
    /// Sent to a Stopped target: held in the target's queue.
    Queued,
    /// Sent to the device below.
    AtLower,
    Completed,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Format {
    pub(crate) kind: IoKind,
    /// The read buffer, the write buffer, or the IOCTL input buffer (0: none).
    pub(crate) memory: usize,
    /// Bytes of `memory` the request carries.
    pub(crate) length: usize,
    pub(crate) target: usize,
    /// The IOCTL output buffer (0: none) and its size.
    pub(crate) output: usize,
    pub(crate) output_length: usize,
}

pub(crate) struct Request {
    pub(crate) state: ReqState,
    pub(crate) format: Option<Format>,
    pub(crate) completion: Option<(EvtWdfRequestCompletionRoutine, WdfContext)>,
    pub(crate) status: NtStatus,
    pub(crate) information: usize,
    /// The target it was sent to (while Queued or AtLower).
    pub(crate) sent_to: usize,
    /// Bumped on every send; scheduled completions carry it so a stale one is ignored.
    pub(crate) seq: u64,
}

impl Request {
    pub(crate) fn is_pending(&self) -> bool {
        matches!(self.state, ReqState::Queued | ReqState::AtLower)
    }
}

pub(crate) struct Target {
    pub(crate) adapter: AdapterId,
    pub(crate) state: TargetState,
    pub(crate) queued: VecDeque<usize>,
    /// Completion routines of its requests running right now (on any processor): a stop that
    /// waits for sent I/O waits for them too.
    pub(crate) completing: u32,
}

pub(crate) struct Device {
    pub(crate) adapter: AdapterId,
    pub(crate) target: Option<usize>,
}

pub(crate) struct Memory {
    pub(crate) block: RawBlock,
    pub(crate) size: usize,
    pub(crate) tag: u32,
}

pub(crate) enum ObjKind {
    Driver,
    Device(Device),
    IoTarget(Target),
    Request(Request),
    Memory(Memory),
}

pub(crate) struct Object {
    pub(crate) kind: ObjKind,
    pub(crate) parent: Option<usize>,
    pub(crate) children: Vec<usize>,
    pub(crate) deleted: bool,
    /// Context type identity (`UniqueType`) and the zeroed context block.
    pub(crate) context: Option<(usize, RawBlock)>,
    /// The adapter whose operation created it (for leak reports at that adapter's halt).
    pub(crate) created_for: Option<AdapterId>,
}

impl Object {
    pub(crate) fn obj_type(&self) -> ObjType {
        match self.kind {
            ObjKind::Driver => ObjType::Driver,
            ObjKind::Device(_) => ObjType::Device,
            ObjKind::IoTarget(_) => ObjType::IoTarget,
            ObjKind::Request(_) => ObjType::Request,
            ObjKind::Memory(_) => ObjType::Memory,
        }
    }
}

#[derive(Default)]
pub(crate) struct KmdfState {
    pub(crate) driver: Option<usize>,
    pub(crate) driver_flags: u32,
    pub(crate) driver_deleted: bool,
    pub(crate) miniport_unload_called: bool,
    pub(crate) objects: BTreeMap<usize, Object>,
    next_seq: u64,
}

impl KmdfState {
    pub(crate) fn request(&self, h: usize) -> &Request {
        match &self.objects[&h].kind {
            ObjKind::Request(r) => r,
            _ => unreachable!("kernel-sim bug: {h:#x} is not a request"),
        }
    }
    pub(crate) fn request_mut(&mut self, h: usize) -> &mut Request {
        match &mut self.objects.get_mut(&h).expect("kernel-sim bug: no such request").kind {
            ObjKind::Request(r) => r,
            _ => unreachable!("kernel-sim bug: {h:#x} is not a request"),
        }
    }
    pub(crate) fn target(&self, h: usize) -> &Target {
        match &self.objects[&h].kind {
            ObjKind::IoTarget(t) => t,
            _ => unreachable!("kernel-sim bug: {h:#x} is not a target"),
        }
    }
    pub(crate) fn target_mut(&mut self, h: usize) -> &mut Target {
        match &mut self.objects.get_mut(&h).expect("kernel-sim bug: no such target").kind {
            ObjKind::IoTarget(t) => t,
            _ => unreachable!("kernel-sim bug: {h:#x} is not a target"),
        }
    }
    pub(crate) fn memory(&self, h: usize) -> &Memory {
        match &self.objects[&h].kind {
            ObjKind::Memory(m) => m,
            _ => unreachable!("kernel-sim bug: {h:#x} is not memory"),
        }
    }
    pub(crate) fn device(&self, h: usize) -> &Device {
        match &self.objects[&h].kind {
            ObjKind::Device(d) => d,
            _ => unreachable!("kernel-sim bug: {h:#x} is not a device"),
        }
    }

    /// Every live descendant of `h` (not `h` itself), depth first.
    pub(crate) fn live_descendants(&self, h: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut stack: Vec<usize> = self.objects.get(&h).map(|o| o.children.clone()).unwrap_or_default();
        while let Some(c) = stack.pop() {
            if let Some(o) = self.objects.get(&c)
                && !o.deleted
            {
                out.push(c);
                stack.extend(o.children.iter().copied());
            }
        }
        out
    }

    pub(crate) fn describe(&self, h: usize) -> String {
        match self.objects.get(&h) {
            None => format!("unknown handle {h:#x}"),
            Some(o) => {
                let extra = match &o.kind {
                    ObjKind::Request(r) => format!(" (state {:?})", r.state),
                    ObjKind::Memory(m) => {
                        format!(" ({} bytes, tag '{}')", m.size, crate::verifier::tag_string(m.tag))
                    }
                    ObjKind::IoTarget(t) => format!(" ({:?})", t.state),
                    _ => String::new(),
                };
                let parent = match o.parent {
                    Some(p) if Some(p) == self.driver => "driver".to_string(),
                    Some(p) => {
                        format!("{} {p:#x}", self.objects.get(&p).map(|o| o.obj_type().name()).unwrap_or("?"))
                    }
                    None => "none".into(),
                };
                format!("{} {h:#x}{extra}, parent {parent}", o.obj_type().name())
            }
        }
    }
}

/// APIs that take a full FX device; with a miniport device they bug check 0x10D: they look the
/// handle up as `FX_TYPE_DEVICE`, which an `FxMpDevice` is not (Windows-Driver-Frameworks
/// `src/framework/shared/object/handleapi.cpp:406-453`, `FxObjectHandleGetPtrQI`;
/// `src/framework/shared/inc/private/common/fxdevice.hpp:2285`). The list: the Remarks of
/// "WdfDeviceMiniportCreate function (wdfminiport.h)", plus the APIs whose source takes that type.
/// The facade offers none of them, so this is enforced by construction and checked here.
pub const RESTRICTED_DEVICE_APIS: &[&str] = &[
    "WdfIoQueueCreate",
    "WdfInterruptCreate",
    "WdfDeviceCreateDeviceInterface",
    "WdfDeviceCreateSymbolicLink",
    "WdfDeviceOpenRegistryKey",
    "WdfDeviceAssignS0IdleSettings",
    "WdfDeviceGetDefaultQueue",
    "WdfDeviceSetPnpCapabilities",
    "WdfDeviceConfigureRequestDispatching",
    "WdfDeviceGetDeviceState",
    "WdfDeviceSetDeviceState",
    "WdfDeviceQueryProperty",
    "WdfDeviceAllocAndQueryProperty",
    "WdfDeviceRetrieveDeviceName",
    "WdfChildListCreate",
    "WdfDeviceGetDriver",
    "WdfWmiProviderCreate",
];

/// Calls that create a full FX device: a miniport driver may make none ("Creating KMDF Miniport
/// Drivers"; Remarks of "WdfDeviceMiniportCreate function (wdfminiport.h)").
pub const DEVICE_CREATE_APIS: &[&str] =
    &["WdfDeviceCreate", "WdfControlDeviceInitAllocate", "WdfDeviceInitAllocate"];

fn status_name(status: NtStatus) -> String {
    format!("{status:#010x}")
}

impl State {
    /// Every WDF call but `WdfDriverCreate` and `WdfGetDriver` needs the driver object.
    pub(crate) fn wdf_ready(&mut self, api: &'static str) -> bool {
        if self.kmdf.driver.is_none() {
            self.violate(KMDF_DRIVER_CREATE_ONCE, format!("{api} called before WdfDriverCreate"));
            return false;
        }
        true
    }

    /// `h` must name a live object of type `want`.
    pub(crate) fn wdf_handle(&mut self, api: &'static str, h: usize, want: ObjType) -> bool {
        let problem = match self.kmdf.objects.get(&h) {
            None => Some((KMDF_INVALID_HANDLE, format!("{api}: {h:#x} is not a {} handle", want.name()))),
            Some(o) if o.deleted => Some((
                KMDF_HANDLE_AFTER_DELETE,
                format!("{api}: {} {h:#x} was already deleted", o.obj_type().name()),
            )),
            Some(o) if want != ObjType::Any && o.obj_type() != want => Some((
                KMDF_INVALID_HANDLE,
                format!("{api}: {h:#x} is a {}, not a {}", o.obj_type().name(), want.name()),
            )),
            Some(_) => None,
        };
        match problem {
            Some((rule, msg)) => {
                self.violate(rule, msg);
                false
            }
            None => true,
        }
    }

    fn create_object(
        &mut self,
        kind: ObjKind,
        parent: Option<usize>,
        context_type: Option<&'static WdfObjectContextTypeInfo>,
    ) -> usize {
        let h = self.mint();
        let context = context_type.map(|info| {
            let identity =
                if info.UniqueType.is_null() { info as *const _ as usize } else { info.UniqueType as usize };
            (identity, RawBlock::new(info.ContextSize, 16, 0))
        });
        if let Some(p) = parent {
            self.kmdf.objects.get_mut(&p).expect("kernel-sim bug: parent vanished").children.push(h);
        }
        let created_for = self.phase_adapter();
        self.allocations += 1;
        self.kmdf
            .objects
            .insert(h, Object { kind, parent, children: Vec::new(), deleted: false, context, created_for });
        h
    }

    /// The parent for an object created with `attributes`: the given one, or the driver.
    fn parent_for(&mut self, api: &'static str, attributes: &WdfObjectAttributes) -> Option<usize> {
        match attributes.parent {
            Some(p) if !self.wdf_handle(api, p.0 as usize, ObjType::Any) => None,
            Some(p) => Some(p.0 as usize),
            None => self.kmdf.driver,
        }
    }

    pub(crate) fn wdf_driver_create(
        &mut self,
        driver_object: DriverObject,
        config: &WdfDriverConfig,
    ) -> Result<WdfDriver, NtStatus> {
        let api = "WdfDriverCreate";
        self.check_irql(api, PASSIVE_LEVEL);
        if self.kmdf.driver.is_some() {
            self.violate(KMDF_DRIVER_CREATE_ONCE, format!("{api} called a second time"));
            return Err(STATUS_INVALID_DEVICE_REQUEST);
        }
        if driver_object.0 as usize != self.loader.driver_object {
            self.violate(
                KMDF_INVALID_HANDLE,
                format!("{api}: {driver_object:?} is not the DRIVER_OBJECT passed to DriverEntry"),
            );
            return Err(STATUS_INVALID_PARAMETER);
        }
        const KNOWN: u32 = WDF_DRIVER_INIT_NON_PNP_DRIVER | WDF_DRIVER_INIT_NO_DISPATCH_OVERRIDE | 0x4;
        if config.driver_init_flags & !KNOWN != 0 {
            return Err(STATUS_INVALID_PARAMETER);
        }
        if self.fallible(api) {
            return Err(STATUS_INSUFFICIENT_RESOURCES);
        }
        let h = self.create_object(ObjKind::Driver, None, None);
        self.kmdf.driver = Some(h);
        self.kmdf.driver_flags = config.driver_init_flags;
        self.log(format!("{api}(flags {:#x}) = {h:#x}", config.driver_init_flags));
        Ok(WdfDriver(h as *mut c_void))
    }

    pub(crate) fn wdf_get_driver(&mut self) -> WdfDriver {
        match self.kmdf.driver {
            Some(h) if !self.kmdf.driver_deleted => WdfDriver(h as *mut c_void),
            _ => WdfDriver::NULL,
        }
    }

    pub(crate) fn wdf_device_miniport_create(
        &mut self,
        driver: WdfDriver,
        attributes: &WdfObjectAttributes,
        device_object: DeviceObject,
        attached: DeviceObject,
        pdo: DeviceObject,
    ) -> Result<WdfDevice, NtStatus> {
        let api = "WdfDeviceMiniportCreate";
        if !self.check_irql_rule(api, PASSIVE_LEVEL, KMDF_MINIPORT_CREATE_IRQL) {
            return Err(STATUS_INVALID_DEVICE_REQUEST);
        }
        if !self.wdf_ready(api) || !self.wdf_handle(api, driver.0 as usize, ObjType::Driver) {
            return Err(STATUS_INVALID_PARAMETER);
        }
        if self.kmdf.driver_flags & WDF_DRIVER_INIT_NO_DISPATCH_OVERRIDE == 0 {
            self.violate(
                KMDF_NO_DISPATCH_OVERRIDE_REQUIRED,
                format!("{api} by a driver whose WdfDriverCreate flags ({:#x}) lack WdfDriverInitNoDispatchOverride", self.kmdf.driver_flags),
            );
        }
        if device_object.is_null() || attached.is_null() != pdo.is_null() {
            self.violate(
                KMDF_MINIPORT_ATTACHED_PDO_PAIR,
                format!("{api}(DeviceObject {device_object:?}, AttachedDeviceObject {attached:?}, Pdo {pdo:?}): DeviceObject must be set and the other two both set or both NULL (FxPointerNotNull bug check)"),
            );
            return Err(STATUS_INVALID_PARAMETER);
        }
        let (fdo, next, pdo_v) = (device_object.0 as usize, attached.0 as usize, pdo.0 as usize);
        let adapter =
            self.ndis.adapters.iter().find(|a| {
                a.in_initialize && a.fdo == fdo && (next == 0 || (a.next == next && a.pdo == pdo_v))
            });
        let Some(adapter) = adapter.map(|a| a.id) else {
            self.violate(
                KMDF_MINIPORT_ATTACHED_PDO_PAIR,
                format!("{api}: the device objects ({device_object:?}, {attached:?}, {pdo:?}) are not the FDO, NextDeviceObject and PDO NdisMGetDeviceProperty returned for an adapter being initialized"),
            );
            return Err(STATUS_INVALID_PARAMETER);
        };
        if self.fallible(api) {
            return Err(STATUS_INSUFFICIENT_RESOURCES);
        }
        let driver_h = self.kmdf.driver;
        let dev = self.create_object(
            ObjKind::Device(Device { adapter, target: None }),
            driver_h,
            attributes.context_type,
        );
        if next != 0 {
            let target =
                Target { adapter, state: TargetState::Started, queued: VecDeque::new(), completing: 0 };
            let t = self.create_object(ObjKind::IoTarget(target), Some(dev), None);
            if let ObjKind::Device(d) = &mut self.kmdf.objects.get_mut(&dev).expect("just created").kind {
                d.target = Some(t);
            }
        }
        self.adapter_mut(adapter).device = Some(dev);
        self.log(format!("{api} = {dev:#x} for adapter {}", adapter.0));
        Ok(WdfDevice(dev as *mut c_void))
    }

    pub(crate) fn wdf_object_get_typed_context(
        &mut self,
        handle: WdfObject,
        info: &'static WdfObjectContextTypeInfo,
    ) -> *mut c_void {
        let api = "WdfObjectGetTypedContextWorker";
        if !self.wdf_handle(api, handle.0 as usize, ObjType::Any) {
            return core::ptr::null_mut();
        }
        let identity =
            if info.UniqueType.is_null() { info as *const _ as usize } else { info.UniqueType as usize };
        match &self.kmdf.objects[&(handle.0 as usize)].context {
            Some((id, block)) if *id == identity => block.ptr.cast(),
            _ => core::ptr::null_mut(),
        }
    }

    pub(crate) fn wdf_device_get_io_target(&mut self, device: WdfDevice) -> WdfIoTarget {
        let api = "WdfDeviceGetIoTarget";
        self.check_irql(api, DISPATCH_LEVEL);
        if !self.wdf_ready(api) || !self.wdf_handle(api, device.0 as usize, ObjType::Device) {
            return WdfIoTarget::NULL;
        }
        match self.kmdf.device(device.0 as usize).target {
            Some(t) => WdfIoTarget(t as *mut c_void),
            None => WdfIoTarget::NULL,
        }
    }

    pub(crate) fn wdf_request_create(
        &mut self,
        attributes: &WdfObjectAttributes,
        target: WdfIoTarget,
    ) -> Result<WdfRequest, NtStatus> {
        let api = "WdfRequestCreate";
        self.check_irql(api, DISPATCH_LEVEL);
        if !self.wdf_ready(api) {
            return Err(STATUS_INVALID_DEVICE_STATE);
        }
        if !target.is_null() && !self.wdf_handle(api, target.0 as usize, ObjType::IoTarget) {
            return Err(STATUS_INVALID_PARAMETER);
        }
        let Some(parent) = self.parent_for(api, attributes) else {
            return Err(STATUS_INVALID_PARAMETER);
        };
        if self.fallible(api) {
            return Err(STATUS_INSUFFICIENT_RESOURCES);
        }
        let request = Request {
            state: ReqState::Unformatted,
            format: None,
            completion: None,
            status: STATUS_SUCCESS,
            information: 0,
            sent_to: 0,
            seq: 0,
        };
        let h = self.create_object(ObjKind::Request(request), Some(parent), attributes.context_type);
        Ok(WdfRequest(h as *mut c_void))
    }

    pub(crate) fn wdf_memory_create(
        &mut self,
        attributes: &WdfObjectAttributes,
        pool_type: i32,
        tag: u32,
        size: usize,
    ) -> Result<(WdfMemory, *mut c_void), NtStatus> {
        let api = "WdfMemoryCreate";
        // Paged pool (odd POOL_TYPE values) may only be allocated below DISPATCH.
        let max = if pool_type & 1 == 1 { APC_LEVEL } else { DISPATCH_LEVEL };
        self.check_irql(api, max);
        if !self.wdf_ready(api) {
            return Err(STATUS_INVALID_DEVICE_STATE);
        }
        if size == 0 {
            return Err(STATUS_INVALID_PARAMETER);
        }
        let Some(parent) = self.parent_for(api, attributes) else {
            return Err(STATUS_INVALID_PARAMETER);
        };
        if self.fallible(api) {
            return Err(STATUS_INSUFFICIENT_RESOURCES);
        }
        let block = RawBlock::new(size, 16, 0);
        let ptr = block.ptr;
        let h = self.create_object(
            ObjKind::Memory(Memory { block, size, tag }),
            Some(parent),
            attributes.context_type,
        );
        Ok((WdfMemory(h as *mut c_void), ptr.cast()))
    }

    /// The checks every `WdfIoTargetFormatRequestFor*` shares: handles, the request not pending,
    /// the target not closed.
    fn format_precheck(&mut self, api: &'static str, t: usize, r: usize) -> Result<(), NtStatus> {
        self.check_irql(api, DISPATCH_LEVEL);
        if !self.wdf_ready(api)
            || !self.wdf_handle(api, t, ObjType::IoTarget)
            || !self.wdf_handle(api, r, ObjType::Request)
        {
            return Err(STATUS_INVALID_PARAMETER);
        }
        if self.kmdf.request(r).is_pending() {
            let msg = format!(
                "{api}: {} is pending in a target; formatting it corrupts the IRP in flight",
                self.kmdf.describe(r)
            );
            self.violate(KMDF_REQUEST_CHANGED_WHILE_PENDING, msg);
            return Err(STATUS_INVALID_DEVICE_REQUEST);
        }
        Ok(())
    }

    fn set_format(&mut self, r: usize, format: Format) -> NtStatus {
        if self.kmdf.target(format.target).state == TargetState::Closed {
            return STATUS_INVALID_DEVICE_STATE;
        }
        let req = self.kmdf.request_mut(r);
        req.format = Some(format);
        req.state = ReqState::Formatted;
        STATUS_SUCCESS
    }

    pub(crate) fn wdf_format_request(
        &mut self,
        api: &'static str,
        target: WdfIoTarget,
        request: WdfRequest,
        memory: WdfMemory,
        kind: IoKind,
        length: Option<usize>,
    ) -> NtStatus {
        let (t, r, m) = (target.0 as usize, request.0 as usize, memory.0 as usize);
        if let Err(status) = self.format_precheck(api, t, r) {
            return status;
        }
        if !self.wdf_handle(api, m, ObjType::Memory) {
            return STATUS_INVALID_PARAMETER;
        }
        let size = self.kmdf.memory(m).size;
        let length = length.unwrap_or(size);
        if length > size || length == 0 {
            return STATUS_INVALID_PARAMETER;
        }
        self.set_format(r, Format { kind, memory: m, length, target: t, output: 0, output_length: 0 })
    }

    /// `WdfIoTargetFormatRequestForInternalIoctl(target, request, code, input, NULL, output, NULL)`.
    pub(crate) fn wdf_format_internal_ioctl(
        &mut self,
        target: WdfIoTarget,
        request: WdfRequest,
        code: u32,
        input: WdfMemory,
        output: WdfMemory,
    ) -> NtStatus {
        let api = "WdfIoTargetFormatRequestForInternalIoctl";
        let (t, r) = (target.0 as usize, request.0 as usize);
        if let Err(status) = self.format_precheck(api, t, r) {
            return status;
        }
        let (i, o) = (input.0 as usize, output.0 as usize);
        for m in [i, o] {
            if m != 0 && !self.wdf_handle(api, m, ObjType::Memory) {
                return STATUS_INVALID_PARAMETER;
            }
        }
        let input_length = if i == 0 { 0 } else { self.kmdf.memory(i).size };
        let output_length = if o == 0 { 0 } else { self.kmdf.memory(o).size };
        let format = Format {
            kind: IoKind::InternalIoctl(code),
            memory: i,
            length: input_length,
            target: t,
            output: o,
            output_length,
        };
        self.set_format(r, format)
    }

    pub(crate) fn wdf_request_set_completion_routine(
        &mut self,
        request: WdfRequest,
        routine: Option<EvtWdfRequestCompletionRoutine>,
        context: WdfContext,
    ) {
        let api = "WdfRequestSetCompletionRoutine";
        self.check_irql(api, DISPATCH_LEVEL);
        let r = request.0 as usize;
        if !self.wdf_ready(api) || !self.wdf_handle(api, r, ObjType::Request) {
            return;
        }
        if self.kmdf.request(r).is_pending() {
            let msg = format!(
                "{api}: {} is pending; its completion routine may already be running",
                self.kmdf.describe(r)
            );
            self.violate(KMDF_REQUEST_CHANGED_WHILE_PENDING, msg);
        }
        self.kmdf.request_mut(r).completion = routine.map(|f| (f, context));
    }

    pub(crate) fn wdf_request_get(
        &mut self,
        api: &'static str,
        request: WdfRequest,
    ) -> Option<(NtStatus, usize)> {
        self.check_irql(api, DISPATCH_LEVEL);
        let r = request.0 as usize;
        if !self.wdf_ready(api) || !self.wdf_handle(api, r, ObjType::Request) {
            return None;
        }
        let req = self.kmdf.request(r);
        Some((req.status, req.information))
    }

    pub(crate) fn wdf_request_reuse(&mut self, request: WdfRequest, status: NtStatus) -> NtStatus {
        let api = "WdfRequestReuse";
        self.check_irql(api, DISPATCH_LEVEL);
        let r = request.0 as usize;
        if !self.wdf_ready(api) || !self.wdf_handle(api, r, ObjType::Request) {
            return STATUS_INVALID_PARAMETER;
        }
        if self.kmdf.request(r).is_pending() {
            let msg = format!("{api}: {} has not completed", self.kmdf.describe(r));
            self.violate(KMDF_REQUEST_REUSE_WHILE_PENDING, msg);
            return STATUS_INVALID_DEVICE_REQUEST;
        }
        let req = self.kmdf.request_mut(r);
        req.state = ReqState::Unformatted;
        req.format = None;
        // FxRequestBase::ClearFieldsForReuse drops the completion routine: set it again per send.
        req.completion = None;
        req.status = status;
        req.information = 0;
        STATUS_SUCCESS
    }

    /// `WdfRequestSend`: decide what happens; the caller delivers and runs completions.
    /// `WDF_REQUEST_SEND_OPTION_TIMEOUT`: KMDF's timer cancels the request if it is still pending
    /// when the timeout expires, and the request completes with STATUS_IO_TIMEOUT. A device that
    /// does not honour cancellation keeps it anyway (as with WdfRequestCancelSentRequest).
    /// `timeout` is in 100 ns units; negative is relative, positive absolute system time, which the
    /// model reads as relative to its virtual clock.
    pub(crate) fn arm_send_timeout(&mut self, r: usize, timeout: i64) {
        let req = self.kmdf.request(r);
        if !req.is_pending() {
            return;
        }
        let (seq, target) = (req.seq, req.sent_to);
        let adapter = self.kmdf.target(target).adapter;
        if self.adapter(adapter).lower.uncancelable {
            return;
        }
        let after = std::time::Duration::from_nanos(timeout.unsigned_abs().saturating_mul(100));
        self.schedule(after, crate::sched::EventKind::SendTimeout { request: r, seq });
    }

    pub(crate) fn wdf_request_send_decide(
        &mut self,
        request: WdfRequest,
        target: WdfIoTarget,
    ) -> SendOutcome {
        let api = "WdfRequestSend";
        self.check_irql(api, DISPATCH_LEVEL);
        self.count_send_at_dispatch();
        let (r, t) = (request.0 as usize, target.0 as usize);
        if !self.wdf_ready(api) || !self.wdf_handle(api, r, ObjType::Request) {
            return SendOutcome::NotSent;
        }
        if !self.wdf_handle(api, t, ObjType::IoTarget) {
            self.kmdf.request_mut(r).status = STATUS_INVALID_DEVICE_STATE;
            return SendOutcome::NotSent;
        }
        let req = self.kmdf.request(r);
        if req.is_pending() {
            let msg = format!(
                "{api}: {} is already pending (bug check WDF_REQUEST_FATAL_ERROR / REQUEST_ALREADY_SENT)",
                self.kmdf.describe(r)
            );
            self.violate(KMDF_REQUEST_ALREADY_SENT, msg);
            return SendOutcome::NotSent;
        }
        let formatted_for = match (req.state, req.format) {
            (ReqState::Formatted, Some(f)) => Some(f.target),
            _ => None,
        };
        match formatted_for {
            None => {
                let msg = format!(
                    "{api}: {} was not formatted since it was created or last reused; the verifier fails it with STATUS_REQUEST_NOT_ACCEPTED",
                    self.kmdf.describe(r)
                );
                self.violate(KMDF_REQUEST_NOT_FORMATTED, msg);
                let req = self.kmdf.request_mut(r);
                req.status = STATUS_REQUEST_NOT_ACCEPTED;
                req.state = ReqState::Completed;
                return SendOutcome::NotSent;
            }
            Some(ft) if ft != t => {
                let msg = format!(
                    "{api}: {} was formatted for target {ft:#x} but sent to {t:#x}",
                    self.kmdf.describe(r)
                );
                self.violate(KMDF_REQUEST_NOT_FORMATTED, msg);
                let req = self.kmdf.request_mut(r);
                req.status = STATUS_REQUEST_NOT_ACCEPTED;
                req.state = ReqState::Completed;
                return SendOutcome::NotSent;
            }
            Some(_) => {}
        }
        if self.checks
            && let Some(format) = self.kmdf.request(r).format
            && format.kind == IoKind::Read
            && format.memory != 0
        {
            let start = self.kmdf.memory(format.memory).block.ptr as usize;
            if let Some(nbl) = self.indicated_within(start, format.length) {
                let msg = format!(
                    "{api}: {} reads into a buffer that holds the frame of NBL {nbl:#x}, which NDIS owns until \
                     MiniportReturnNetBufferLists: the device would overwrite what protocols are reading",
                    self.kmdf.describe(r)
                );
                self.violate(NDIS_RECEIVE_OWNERSHIP, msg);
            }
        }
        let target_state = self.kmdf.target(t).state;
        if matches!(target_state, TargetState::Closed | TargetState::Purged) {
            let req = self.kmdf.request_mut(r);
            req.status = STATUS_INVALID_DEVICE_STATE;
            req.state = ReqState::Completed;
            return SendOutcome::NotSent;
        }
        // Only while cancelable sends may be unstarted: the copy is an allocation per write, which
        // the data path's benchmark (allocs_per_frame) would otherwise count.
        if self.has_unstarted_cancelable_sends()
            && let Some(format) = self.kmdf.request(r).format
            && format.kind == IoKind::Write
            && format.memory != 0
        {
            let memory = self.kmdf.memory(format.memory);
            // SAFETY: the model owns the WDFMEMORY buffer; `length` was checked against its size
            // when the request was formatted.
            let bytes = unsafe { std::slice::from_raw_parts(memory.block.ptr, format.length) }.to_vec();
            self.note_write_sent(&bytes);
        }
        self.kmdf.next_seq += 1;
        let seq = self.kmdf.next_seq;
        let req = self.kmdf.request_mut(r);
        req.seq = seq;
        req.sent_to = t;
        req.status = STATUS_PENDING;
        req.information = 0;
        if target_state == TargetState::Stopped {
            req.state = ReqState::Queued;
            self.kmdf.target_mut(t).queued.push_back(r);
            self.log(format!("{api}({r:#x}) queued: target {t:#x} is stopped"));
            return SendOutcome::Sent(None);
        }
        SendOutcome::Sent(self.deliver_to_lower(r))
    }

    pub(crate) fn wdf_object_delete_decide(&mut self, object: WdfObject) -> bool {
        let api = "WdfObjectDelete";
        let h = object.0 as usize;
        let is_device = matches!(self.kmdf.objects.get(&h).map(|o| o.obj_type()), Some(ObjType::Device));
        if is_device {
            if !self.check_irql_rule(api, PASSIVE_LEVEL, KMDF_OBJECT_DELETE_IRQL) {
                // Deleting the miniport device waits for its children: it cannot be done above PASSIVE.
                return false;
            }
        } else {
            self.check_irql(api, DISPATCH_LEVEL);
        }
        if !self.wdf_ready(api) || !self.wdf_handle(api, h, ObjType::Any) {
            return false;
        }
        let obj = &self.kmdf.objects[&h];
        match obj.kind {
            ObjKind::Driver => {
                self.violate(
                    KMDF_DELETE_NOT_ALLOWED,
                    format!("{api} of the WDFDRIVER: a miniport calls WdfDriverMiniportUnload"),
                );
                return false;
            }
            ObjKind::IoTarget(_)
                if obj.parent.is_some_and(|p| matches!(self.kmdf.objects[&p].kind, ObjKind::Device(_))) =>
            {
                let msg =
                    format!("{api} of the device's default I/O target {h:#x}: it belongs to the device");
                self.violate(KMDF_DELETE_NOT_ALLOWED, msg);
                return false;
            }
            _ => {}
        }
        self.delete_tree(api, h);
        true
    }

    /// Delete `h` and its descendants, children first.
    pub(crate) fn delete_tree(&mut self, api: &'static str, h: usize) {
        let mut order = self.kmdf.live_descendants(h);
        order.reverse();
        order.push(h);
        for o in order {
            self.delete_one(api, o);
        }
    }

    fn delete_one(&mut self, api: &'static str, h: usize) {
        // Memory whose bytes an NBL NDIS owns still describes: freed under the protocols reading it.
        // Reported, not refused (the object goes as on Windows); NDIS's return of that NBL then
        // finds its bytes changed and reports it again.
        if self.checks
            && let Some(ObjKind::Memory(m)) =
                self.kmdf.objects.get(&h).filter(|o| !o.deleted).map(|o| &o.kind)
            && let Some(nbl) = self.indicated_within(m.block.ptr as usize, m.size)
        {
            let msg = format!(
                "{api} of WDFMEMORY {h:#x}, whose bytes NBL {nbl:#x} describes while NDIS owns it (indicated, not \
                 returned): the protocols would read freed memory"
            );
            self.violate(NDIS_RECEIVE_OWNERSHIP, msg);
        }
        // Described as it is before the deletion changes it, and only for the violation below.
        let pending = self
            .kmdf
            .objects
            .get(&h)
            .is_some_and(|o| matches!(&o.kind, ObjKind::Request(r) if r.is_pending()));
        let description = pending.then(|| self.kmdf.describe(h));
        let Some(obj) = self.kmdf.objects.get_mut(&h) else { return };
        if obj.deleted {
            return;
        }
        obj.deleted = true;
        if let Some((_, block)) = obj.context.take() {
            block.poison();
            self.initialized_locks.forget_range(block.ptr as usize, block.len());
            self.mem.quarantine.push(block);
        }
        let mut pending_request = None;
        let mut device_adapter = None;
        match &mut obj.kind {
            ObjKind::Memory(m) => {
                m.block.poison();
            }
            ObjKind::Request(r) if r.is_pending() => {
                pending_request = Some((r.sent_to, r.state));
                r.state = ReqState::Completed;
                r.status = STATUS_CANCELLED;
            }
            ObjKind::IoTarget(t) => {
                t.state = TargetState::Closed;
            }
            ObjKind::Device(d) => {
                device_adapter = Some(d.adapter);
            }
            _ => {}
        }
        if let Some((target, state)) = pending_request {
            let description = description.unwrap_or_default();
            self.violate(
                KMDF_OBJECT_LEAK,
                format!("{api} deletes {description} while it is pending ({state:?}) in target {target:#x}: stop the target and wait for the completion first"),
            );
            self.forget_pending_request(h, target);
        }
        if let Some(a) = device_adapter {
            let adapter = self.adapter_mut(a);
            if adapter.device == Some(h) {
                adapter.device = None;
            }
        }
    }

    /// Remove a request from every queue it may sit in (target queue, device below).
    pub(crate) fn forget_pending_request(&mut self, r: usize, target: usize) {
        if let Some(obj) = self.kmdf.objects.get_mut(&target)
            && let ObjKind::IoTarget(t) = &mut obj.kind
        {
            t.queued.retain(|&q| q != r);
            let a = t.adapter;
            self.adapter_mut(a).lower.forget(r);
        }
    }

    pub(crate) fn wdf_driver_miniport_unload(&mut self, driver: WdfDriver) {
        let api = "WdfDriverMiniportUnload";
        self.check_irql_rule(api, PASSIVE_LEVEL, KMDF_MINIPORT_UNLOAD_IRQL);
        let h = driver.0 as usize;
        if !self.wdf_ready(api) || !self.wdf_handle(api, h, ObjType::Driver) {
            return;
        }
        self.kmdf.miniport_unload_called = true;
        for d in self.kmdf.live_descendants(h) {
            if matches!(self.kmdf.objects[&d].kind, ObjKind::Device(_)) {
                let msg = format!(
                    "{api}: miniport {} is still alive; the driver must WdfObjectDelete it in MiniportHaltEx",
                    self.kmdf.describe(d)
                );
                self.violate(KMDF_MINIPORT_DEVICE_DELETED, msg);
            }
        }
        // FxDriver::Unload deletes the driver object and, with it, every object parented to it.
        self.delete_tree(api, h);
        self.kmdf.driver_deleted = true;
    }

    /// Live objects an adapter left behind: the device's tree, and driver-parented objects created
    /// during that adapter's operations.
    pub(crate) fn wdf_adapter_leaks(&self, a: AdapterId) -> Vec<String> {
        let mut out = Vec::new();
        for (h, o) in &self.kmdf.objects {
            if o.deleted {
                continue;
            }
            let under_device = {
                let mut p = o.parent;
                let mut found = false;
                while let Some(ph) = p {
                    let po = &self.kmdf.objects[&ph];
                    if let ObjKind::Device(d) = &po.kind
                        && d.adapter == a
                    {
                        found = true;
                        break;
                    }
                    p = po.parent;
                }
                found
            };
            let driver_parented_for_adapter = o.created_for == Some(a)
                && o.parent == self.kmdf.driver
                && !matches!(o.kind, ObjKind::Device(_));
            if under_device || driver_parented_for_adapter {
                let why = if under_device {
                    "child of the adapter's miniport device"
                } else {
                    "created for this adapter but parented to the driver (lives until unload)"
                };
                out.push(format!("{} — {why}", self.kmdf.describe(*h)));
            }
        }
        out
    }

    /// Requests pending at the device below an adapter, or queued in its target.
    pub(crate) fn pending_requests_of(&self, a: AdapterId) -> Vec<usize> {
        let mut out = Vec::new();
        for (h, o) in &self.kmdf.objects {
            if let ObjKind::Request(r) = &o.kind
                && r.is_pending()
                && let Some(t) = self.kmdf.objects.get(&r.sent_to)
                && let ObjKind::IoTarget(t) = &t.kind
                && t.adapter == a
            {
                out.push(*h);
            }
        }
        out
    }
}

/// What `WdfRequestSend` did.
pub(crate) enum SendOutcome {
    /// Returned FALSE: `WdfRequestGetStatus` says why; no completion routine.
    NotSent,
    /// Returned TRUE; `Some` when the device below completed it at once (status, information).
    Sent(Option<(NtStatus, usize)>),
}

/// What a cancel of a sent request does.
enum CancelOutcome {
    NotPending,
    Uncancelable,
    Nested(u64),
    Deferred,
}

impl Inner {
    /// Complete a pending request and run its completion routine at DISPATCH_LEVEL. `seq` must match
    /// the send it completes (a stale scheduled completion is dropped).
    pub(crate) fn complete_request(&self, r: usize, seq: u64, status: NtStatus, information: usize) {
        self.complete_request_at(r, seq, status, information, DISPATCH_LEVEL);
    }

    /// Complete a pending request and run its completion routine at `irql`: DISPATCH_LEVEL from a
    /// DPC, the caller's IRQL when the device completes inside the caller's own call (KMDF runs the
    /// routine from the IRP's completion, in whatever context completed it).
    pub(crate) fn complete_request_at(
        &self,
        r: usize,
        seq: u64,
        status: NtStatus,
        information: usize,
        irql: Kirql,
    ) {
        let call = self.with(|st| {
            let obj = st.kmdf.objects.get(&r)?;
            if obj.deleted {
                return None;
            }
            let req = st.kmdf.request(r);
            if !req.is_pending() || req.seq != seq {
                return None;
            }
            let (target, format) = (req.sent_to, req.format);
            let kind = format.map(|f| f.kind);
            st.cancel_send_timeout(r, seq);
            st.forget_pending_request(r, target);
            let adapter = st.kmdf.target(target).adapter;
            if kind == Some(IoKind::Write) {
                st.adapter_mut(adapter).lower.writes_completed += 1;
            }
            let req = st.kmdf.request_mut(r);
            req.state = ReqState::Completed;
            req.status = status;
            req.information = information;
            let completion = req.completion;
            if st.trace.enabled() {
                st.log(format!(
                    "request {r:#x} completed with {} information {information}",
                    status_name(status)
                ));
            }
            if completion.is_some() && st.kmdf.objects.contains_key(&target) {
                st.kmdf.target_mut(target).completing += 1;
            }
            completion.map(|(routine, context)| (routine, target, context, format))
        });
        if let Some((routine, target, context, format)) = call {
            // WDF_REQUEST_COMPLETION_PARAMS (x64, 72 bytes): Size@0, Type@4, IoStatus.Status@8,
            // IoStatus.Information@16, Parameters@24: Read/Write {Buffer, Length, Offset};
            // Ioctl {IoControlCode@24, Input {Buffer@32, Offset@40}, Output {Buffer@48, Offset@56,
            // Length@64}}. Drivers should read WdfRequestGetStatus/GetInformation.
            let mut params = [0u64; 16];
            let kind = format.map_or(IoKind::Read, |f| f.kind);
            params[0] = 72 | kind.request_type() << 32;
            params[1] = status.to_raw() as u32 as u64;
            params[2] = information as u64;
            if let Some(f) = format {
                match f.kind {
                    IoKind::Read | IoKind::Write => {
                        params[3] = f.memory as u64;
                        params[4] = f.length as u64;
                    }
                    IoKind::InternalIoctl(code) => {
                        params[3] = u64::from(code);
                        params[4] = f.memory as u64;
                        params[6] = f.output as u64;
                        params[8] = information as u64;
                    }
                }
            }
            let returned = |st: &mut State| {
                if let Some(ObjKind::IoTarget(t)) = st.kmdf.objects.get_mut(&target).map(|o| &mut o.kind) {
                    t.completing = t.completing.saturating_sub(1);
                }
            };
            self.invoke_then(
                "EvtWdfRequestCompletionRoutine",
                irql,
                || {
                    // SAFETY: the driver registered this routine for this request with
                    // WdfRequestSetCompletionRoutine; the arguments are the ones KMDF passes.
                    unsafe {
                        routine(
                            WdfRequest(r as *mut c_void),
                            WdfIoTarget(target as *mut c_void),
                            params.as_mut_ptr().cast(),
                            context,
                        )
                    }
                },
                returned,
            );
        }
    }

    pub(crate) fn wdf_request_send(
        &self,
        request: WdfRequest,
        target: WdfIoTarget,
        options: Option<&WdfRequestSendOptions>,
    ) -> bool {
        let outcome = self.with(|st| st.wdf_request_send_decide(request, target));
        let r = request.0 as usize;
        let sender_irql = self.with(|st| st.cpu.irql);
        // What the device below serves inside this send (`InlineService`): this read, or for a
        // write the peers' reads, their completion routines on this stack at this IRQL. Taken
        // from the hub now, before a completion routine can reuse `r`.
        if matches!(outcome, SendOutcome::NotSent) {
            return false;
        }
        let served = self.with(|st| st.inline_completions(r));
        // Usually the sender's IRQL; but a device that completes under its own spin lock does so
        // at DISPATCH_LEVEL even for a PASSIVE sender (the vwire bus's cancel-on-forward path),
        // which the seeded modes play too.
        let (write_irql, read_irql) = self.with(|st| st.inline_completion_irqls(r, sender_irql));
        match outcome {
            SendOutcome::NotSent => return false,
            SendOutcome::Sent(None) => {
                if let Some(options) = options.filter(|o| o.flags & WDF_REQUEST_SEND_OPTION_TIMEOUT != 0) {
                    self.with(|st| st.arm_send_timeout(r, options.timeout));
                }
            }
            SendOutcome::Sent(Some((status, information))) => {
                let (seq, inline) = self.with(|st| (st.kmdf.request(r).seq, st.may_complete_inline()));
                if inline {
                    self.complete_request_at(r, seq, status, information, write_irql);
                } else {
                    // Past the nesting bound (already reported): through the scheduler instead.
                    self.with(|st| {
                        st.schedule(
                            std::time::Duration::ZERO,
                            crate::sched::EventKind::CompleteRequest { request: r, seq, status, information },
                        )
                    });
                }
            }
        }
        for &(served, seq, status, information) in &served {
            self.complete_request_at(served, seq, status, information, read_irql);
        }
        self.with(|st| st.return_served(served));
        true
    }

    pub(crate) fn wdf_request_cancel_sent_request(&self, request: WdfRequest) -> bool {
        let api = "WdfRequestCancelSentRequest";
        let r = request.0 as usize;
        let outcome = self.with(|st| {
            st.check_irql(api, DISPATCH_LEVEL);
            if !st.wdf_ready(api) || !st.wdf_handle(api, r, ObjType::Request) {
                return CancelOutcome::NotPending;
            }
            let req = st.kmdf.request(r);
            if !req.is_pending() {
                return CancelOutcome::NotPending;
            }
            let seq = req.seq;
            let queued = req.state == ReqState::Queued;
            let adapter = st.kmdf.target(req.sent_to).adapter;
            // A read the hub filled is out of the bus's queue, owned by the bus with no cancel
            // routine, until its DPC completes it: IoCancelIrp finds nothing to call.
            let lower = &st.adapter(adapter).lower;
            if !queued && (lower.uncancelable || lower.is_filled(r)) {
                return CancelOutcome::Uncancelable;
            }
            if st.rng.coin() {
                CancelOutcome::Nested(seq)
            } else {
                st.schedule(
                    std::time::Duration::ZERO,
                    crate::sched::EventKind::CompleteRequest {
                        request: r,
                        seq,
                        status: STATUS_CANCELLED,
                        information: 0,
                    },
                );
                CancelOutcome::Deferred
            }
        });
        match outcome {
            CancelOutcome::NotPending | CancelOutcome::Uncancelable => false,
            CancelOutcome::Deferred => true,
            CancelOutcome::Nested(seq) => {
                self.complete_request(r, seq, STATUS_CANCELLED, 0);
                true
            }
        }
    }

    pub(crate) fn wdf_io_target_stop(&self, target: WdfIoTarget, action: WdfIoTargetSentIoAction) {
        let api = "WdfIoTargetStop";
        let t = target.0 as usize;
        let pending = self.with(|st| {
            match action {
                WDF_IO_TARGET_CANCEL_SENT_IO | WDF_IO_TARGET_WAIT_FOR_SENT_IO_TO_COMPLETE => {
                    st.check_irql_rule(api, PASSIVE_LEVEL, KMDF_IO_TARGET_STOP_IRQL);
                }
                WDF_IO_TARGET_LEAVE_SENT_IO_PENDING => {
                    st.check_irql(api, DISPATCH_LEVEL);
                }
                _ => return None,
            }
            if !st.wdf_ready(api) || !st.wdf_handle(api, t, ObjType::IoTarget) {
                return None;
            }
            let tgt = st.kmdf.target_mut(t);
            if tgt.state == TargetState::Started {
                tgt.state = TargetState::Stopped;
            }
            let adapter = tgt.adapter;
            let at_lower: Vec<(usize, u64)> = st
                .pending_requests_of(adapter)
                .into_iter()
                .filter(|&r| st.kmdf.request(r).state == ReqState::AtLower && st.kmdf.request(r).sent_to == t)
                .map(|r| (r, st.kmdf.request(r).seq))
                .collect();
            Some((adapter, at_lower))
        });
        let Some((adapter, at_lower)) = pending else { return };
        let still_sent = |st: &State, r: usize, seq: u64| {
            st.kmdf.objects.get(&r).is_some_and(|o| !o.deleted)
                && st.kmdf.request(r).is_pending()
                && st.kmdf.request(r).seq == seq
        };
        let waits_for = |inner: &Inner, r: usize, seq: u64| inner.with(|st| still_sent(st, r, seq));
        match action {
            WDF_IO_TARGET_CANCEL_SENT_IO => {
                for (r, seq) in at_lower {
                    if !waits_for(self, r, seq) {
                        continue;
                    }
                    let (uncancelable, scheduled, filled) = self.with(|st| {
                        let lower = &st.adapter(adapter).lower;
                        (lower.uncancelable, lower.completion_scheduled(r), lower.is_filled(r))
                    });
                    // A read the hub filled is the bus's, out of its cancelable queue, until the
                    // serving DPC completes it with its batch: the stop waits for that.
                    if filled {
                        self.run_until_or_deadlock(api, |st| !still_sent(st, r, seq));
                    } else if !uncancelable {
                        self.complete_request(r, seq, STATUS_CANCELLED, 0);
                    } else if scheduled {
                        self.run_until_or_deadlock(api, |st| !still_sent(st, r, seq));
                    } else {
                        self.with(|st| {
                            let msg = format!(
                                "{api}(WdfIoTargetCancelSentIo) on target {t:#x} never returns: request {r:#x} is held by the device below and cannot be cancelled"
                            );
                            st.violate_fatal(KMDF_IO_TARGET_STOP_DEADLOCK, msg)
                        });
                    }
                }
            }
            WDF_IO_TARGET_WAIT_FOR_SENT_IO_TO_COMPLETE => {
                for (r, seq) in at_lower {
                    self.run_until_or_deadlock(api, |st| !still_sent(st, r, seq));
                }
            }
            _ => return,
        }
        // KMDF calls a request's completion routine before it signals the stop's wait
        // (Windows-Driver-Frameworks `src/framework/shared/targets/general/fxiotarget.cpp`,
        // `CompleteCanceledRequest`: `CompleteRequest`, then `m_SentIoEvent.Set()`): a routine
        // still running on another processor is waited for.
        let mut waits = 0u32;
        while crate::mp::MULTIPROCESSOR && self.with(|st| st.kmdf.target(t).completing > 0) {
            waits += 1;
            if waits >= crate::mp::SPIN_LIMIT {
                self.with(|st| {
                    let msg = format!(
                        "{api} on target {t:#x} never returns: a completion routine of its I/O never does"
                    );
                    st.violate_fatal(KMDF_IO_TARGET_STOP_DEADLOCK, msg)
                });
            }
            crate::mp::spin_pause();
        }
    }

    /// Run the scheduler until `done`; if nothing is left to run first, the call never returns.
    /// Runs the scheduler until `done` holds ([`Inner::run_until`]: with nothing left to run, it
    /// waits while another processor is busy, which may be completing the I/O, as the bus's DPC
    /// completes a read the hub filled, and KMDF's wait blocks). The deadlock is declared only
    /// under the same lock as a last look at `done`, so a completion that landed meanwhile is seen.
    fn run_until_or_deadlock(&self, api: &'static str, done: impl Fn(&State) -> bool) {
        if self.run_until(&done) {
            return;
        }
        self.with(|st| {
            if !done(st) {
                st.violate_fatal(
                    KMDF_IO_TARGET_STOP_DEADLOCK,
                    format!("{api} waits for sent I/O that nothing will ever complete (reads held by the device below?)"),
                )
            }
        });
    }

    /// `WdfIoTargetPurge`: the target fails new requests from now on, the requests queued in it
    /// are cancelled, and what was sent is cancelled (and, with `PurgeIoAndWait`, waited for, with
    /// the completion routines) as `WdfIoTargetStop(CancelSentIo)` does (Windows-Driver-Frameworks
    /// `src/framework/shared/targets/general/fxiotarget.cpp`, `FxIoTarget::GotoPurgeState`:
    /// Started or Stopped becomes Purged, `DrainPendedRequestsLocked`, the sent list cancelled;
    /// `SubmitLocked` fails a request to a purged target with STATUS_INVALID_DEVICE_STATE).
    pub(crate) fn wdf_io_target_purge(&self, target: WdfIoTarget, action: WdfIoTargetPurgeIoAction) {
        let api = "WdfIoTargetPurge";
        let t = target.0 as usize;
        let queued = self.with(|st| {
            match action {
                WDF_IO_TARGET_PURGE_IO_AND_WAIT => {
                    st.check_irql_rule(api, PASSIVE_LEVEL, KMDF_IO_TARGET_STOP_IRQL);
                }
                WDF_IO_TARGET_PURGE_IO => {
                    st.check_irql(api, DISPATCH_LEVEL);
                }
                _ => return None,
            }
            if !st.wdf_ready(api) || !st.wdf_handle(api, t, ObjType::IoTarget) {
                return None;
            }
            let tgt = st.kmdf.target_mut(t);
            if matches!(tgt.state, TargetState::Started | TargetState::Stopped) {
                tgt.state = TargetState::Purged;
            }
            let queued: Vec<usize> = tgt.queued.drain(..).collect();
            Some(queued.into_iter().map(|r| (r, st.kmdf.request(r).seq)).collect::<Vec<_>>())
        });
        let Some(queued) = queued else { return };
        for (r, seq) in queued {
            self.complete_request(r, seq, STATUS_CANCELLED, 0);
        }
        let sent = if action == WDF_IO_TARGET_PURGE_IO_AND_WAIT {
            WDF_IO_TARGET_CANCEL_SENT_IO
        } else {
            WDF_IO_TARGET_LEAVE_SENT_IO_PENDING
        };
        self.wdf_io_target_stop(target, sent);
    }

    pub(crate) fn wdf_io_target_start(&self, target: WdfIoTarget) -> NtStatus {
        let api = "WdfIoTargetStart";
        let t = target.0 as usize;
        let result = self.with(|st| {
            st.check_irql(api, DISPATCH_LEVEL);
            if !st.wdf_ready(api) || !st.wdf_handle(api, t, ObjType::IoTarget) {
                return Err(STATUS_INVALID_DEVICE_STATE);
            }
            if st.kmdf.target(t).state == TargetState::Closed {
                return Err(STATUS_INVALID_DEVICE_STATE);
            }
            if st.fallible(api) {
                return Err(STATUS_INSUFFICIENT_RESOURCES);
            }
            let tgt = st.kmdf.target_mut(t);
            tgt.state = TargetState::Started;
            let queued: Vec<usize> = tgt.queued.drain(..).collect();
            let mut immediate = Vec::new();
            for r in queued {
                let seq = st.kmdf.request(r).seq;
                if let Some((status, info)) = st.deliver_to_lower(r) {
                    immediate.push((r, seq, status, info));
                }
            }
            Ok(immediate)
        });
        match result {
            Err(status) => status,
            Ok(immediate) => {
                for (r, seq, status, info) in immediate {
                    self.complete_request(r, seq, status, info);
                }
                STATUS_SUCCESS
            }
        }
    }

    pub(crate) fn wdf_object_delete(&self, object: WdfObject) {
        self.with(|st| st.wdf_object_delete_decide(object));
    }
}

/// Check the handle-type rule of [`RESTRICTED_DEVICE_APIS`] for `api` called with `device`.
pub(crate) fn check_device_api(st: &mut State, api: &'static str, device: WdfDevice) {
    let h = device.0 as usize;
    let is_miniport_device = matches!(st.kmdf.objects.get(&h).map(|o| o.obj_type()), Some(ObjType::Device));
    if is_miniport_device && RESTRICTED_DEVICE_APIS.contains(&api) {
        let msg = format!(
            "{api} called with miniport {}: it needs FX_TYPE_DEVICE, bug check 0x10D WDF_VIOLATION (P1 = 0x5)",
            st.kmdf.describe(h)
        );
        st.violate(KMDF_MINIPORT_DEVICE_RESTRICTED_API, msg);
    }
}

/// A miniport may not create a full FX device or a control device.
pub(crate) fn check_device_create_api(st: &mut State, api: &'static str) {
    if DEVICE_CREATE_APIS.contains(&api) {
        st.violate(
            KMDF_MINIPORT_NO_WDF_DEVICE_CREATE,
            format!(
                "{api} called by a miniport driver: NDIS owns the device; use WdfDeviceMiniportCreate only"
            ),
        );
    }
}
