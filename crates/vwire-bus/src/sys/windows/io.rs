//! The PDO's I/O: what the miniport's KMDF I/O target sends down (how it builds each IRP: WDF-SRC
//! src/framework/shared/targets/general/km/fxiotargetkm.cpp, `FxIoTarget::FormatIoRequest`,
//! `FormatIoctlRequest`).
//!
//! - A **read** gets a batch at once if the hub has frames ready for the port; otherwise it is parked
//!   in the port's manual read queue, under the lock, so a concurrent write cannot slip a batch in
//!   between the check and the park (the pattern of Windows-driver-samples bluetooth/serialhcibus,
//!   which forwards reads to a manual queue under its spin lock: Fdo.c, io.c).
//! - A read or write that reaches a port whose device is powered down (`pdo` module doc, "Power")
//!   is refused with STATUS_DEVICE_POWERED_OFF (`Hub::admit_io`, `Hub::write_batch`).
//! - A **write** goes to the hub with the other ports' parked reads lent ([`BusState::write_through`],
//!   [`WdfReadQueue`]): a frame for a port with a read parked and nothing queued is written straight
//!   into that read's buffer (cut-through, one copy), and the filled read is held in the port's row;
//!   other frames are queued. The write completes at once. If it filled or queued anything for other
//!   ports, it enqueues the bus's serving DPC, which completes the filled reads
//!   ([`complete_filled_reads`]) and then the parked reads that now have a batch
//!   ([`serve_parked_reads`]; `fdo` module doc): never inline, where the peer's completion routine,
//!   receive indication and reply send would run inside this port's write and nest without bound.
//! - A read that arrives while its port has filled reads waiting for the DPC is parked, not served
//!   from the queue at once: it would overtake them with later frames
//!   (`BusState::serves_arriving_read`).
//! - A read the hub took but could not use (too small for the frame, or its buffer not to be had)
//!   is failed by the DPC as a read served from the queue would be, not requeued: a
//!   `WdfRequestRequeue` of a read cancelled meanwhile completes it right there, inside this
//!   port's `EvtIoWrite` and under the lock (`crate::bus` module doc).
//!
//! Why a read's own inline completion stays: it runs only the sender's own completion routine, inside
//! the sender's own `WdfRequestSend`, for the request it just sent. A lower driver may complete an IRP
//! in its dispatch routine, so every sender must already cope with that (IoCallDriver's contract);
//! the depth it can reach is the sender's to bound (the vwire miniport re-posts its reads through a
//! trampoline, issue 7 item 3), while a peer's nesting is not visible to the sender at all. Deferring
//! it too would cost a DPC per read whenever data is waiting, the common case under load, and bound
//! nothing the sender does not bound already.
//! - An **internal IOCTL** goes to `Hub::handle_ioctl`; `IOCTL_VWIRE_WAIT_LINK_CHANGE` with nothing new
//!   is parked in the port's manual link queue until a link change (`fdo::set_link`).
//!
//! Handlers run at <= DISPATCH_LEVEL (default execution level), take the bus spin lock around every
//! hub call, and complete requests only after releasing it. One exception is the framework's, not
//! ours: `WdfRequestForwardToIoQueue` and `WdfRequestRequeue` (called under the lock, so that parking
//! and the state check are atomic) complete a request that was canceled meanwhile right there, with
//! STATUS_CANCELLED (KMDF `FxIoQueue::InsertNewRequestLocked`, `Requeue` -> `CancelForQueue` ->
//! `DispatchEvents`), so the miniport's completion routine then runs under the bus lock. That is safe
//! only because the vwire miniport never sends anything to the bus from a failed completion
//! (`Adapter::read_completed`/`link_completed` re-send only after success); a lower-edge client that
//! re-sent synchronously on STATUS_CANCELLED would re-enter a handler here and spin on the lock.

use core::ptr::{self, NonNull};
use core::slice;

use wdk_sys::{
    NT_SUCCESS, NTSTATUS, PVOID, STATUS_CANCELLED, STATUS_INVALID_DEVICE_STATE, STATUS_NO_SUCH_DEVICE,
    STATUS_SUCCESS, ULONG, WDFDEVICE, WDFQUEUE, WDFREQUEST, call_unsafe_wdf_function_binding,
};

use super::fdo::{BusContext, BusState, QueueHandle, RequestHandle, wdf_queue};
use super::now;
use super::pdo::{LINK_WAIT_CONTEXT_TYPE, LinkWaitContext, PortDeviceContext};
use super::wdf::{Completions, complete, typed_context};
use crate::bus::{BusStatus, ReadQueue};
use crate::hub::{Hub, IoctlOutcome, PortId};

/// Bytes of an internal IOCTL's input copied out of the METHOD_BUFFERED system buffer before the hub
/// writes its answer there. Every vwire control structure fits (the largest, a full multicast list,
/// is `MulticastList::MAX_ENCODED_LEN` = 200); the decoders read only the `length` their header
/// states, so a longer input loses nothing a valid message holds.
const IOCTL_INPUT_MAX: usize = 256;
const _: () = assert!(vwire_proto::MulticastList::MAX_ENCODED_LEN <= IOCTL_INPUT_MAX);

/// The bus and port of the PDO that owns `queue`.
fn port_of_queue(queue: WDFQUEUE) -> Option<(&'static BusContext, PortId)> {
    // SAFETY: WdfIoQueueGetDevice (h:wdfio.h:766-785) of a live queue presenting a request.
    let pdo: WDFDEVICE = unsafe { call_unsafe_wdf_function_binding!(WdfIoQueueGetDevice, queue) };
    // SAFETY: the PDO queues' device is one of this driver's PDOs.
    unsafe { PortDeviceContext::of(pdo) }
}

/// `EvtIoRead` (h:wdfio.h:275-306) of a port's default queue.
pub(super) extern "C" fn evt_io_read(queue: WDFQUEUE, request: WDFREQUEST, _length: usize) {
    let Some((bus, port)) = port_of_queue(queue) else {
        return complete(request, STATUS_INVALID_DEVICE_STATE, 0);
    };
    let now = now();
    let outcome = {
        let mut guard = bus.lock();
        let state = &mut *guard;
        match state.present_queues(port).and_then(|queues| queues.read) {
            Some(read_queue) => match state.hub_mut().admit_io(port) {
                // Its device is powered down (`pdo::evt_port_d0_exit`): refused with
                // STATUS_DEVICE_POWERED_OFF, never parked (`Hub::set_power`).
                Err(error) => Some((BusStatus::from(error).ntstatus(), 0)),
                Ok(()) => {
                    // Behind filled reads it waits its turn (module doc).
                    let read = if state.serves_arriving_read(port, now) {
                        // SAFETY: the request was just presented to this callback: owned by the driver.
                        unsafe { read_into(state.hub_mut(), port, request, now) }
                    } else {
                        None
                    };
                    match read {
                        Some(result) => Some(result),
                        None => {
                            // Park it. The framework owns it there and cancels it on the miniport's
                            // behalf; forwarding needs a request that is not cancelable (it is not).
                            let parked = NT_SUCCESS(forward(request, wdf_queue(read_queue)));
                            if let Some(due) = state.hub().next_ready_time(port).filter(|&due| due > now) {
                                bus.arm_timer(state, due, now);
                            }
                            // STATUS_WDF_BUSY and the like: the queue no longer accepts (the port is going).
                            (!parked).then_some((STATUS_NO_SUCH_DEVICE, 0))
                        }
                    }
                }
            },
            // Unplugged, or its queue already gone: the hardware is gone (doc "Handling an
            // IRP_MN_SURPRISE_REMOVAL Request": fail new and outstanding I/O).
            None => Some((STATUS_NO_SUCH_DEVICE, 0)),
        }
    };
    if let Some((status, information)) = outcome {
        complete(request, status, information);
    }
}

/// `EvtIoWrite` (h:wdfio.h:275-306) of a port's default queue: one batch into the hub.
pub(super) extern "C" fn evt_io_write(queue: WDFQUEUE, request: WDFREQUEST, _length: usize) {
    let Some((bus, port)) = port_of_queue(queue) else {
        return complete(request, STATUS_INVALID_DEVICE_STATE, 0);
    };
    // SAFETY: the request was just presented to this callback; the slice is used only before the
    // request is completed below.
    let batch = match unsafe { input_buffer(request) } {
        Ok(batch) => batch,
        Err(status) => return complete(request, status, 0),
    };
    let now = now();
    let (status, information) = {
        let mut guard = bus.lock();
        let state = &mut *guard;
        if state.present_queues(port).is_some() {
            match state.write_through(port, batch, now, &mut WdfReadQueue::default()) {
                Ok(report) => {
                    // Reads filled, or copies queued (ready or delayed), for other ports: the
                    // serving DPC completes the filled reads and the parked reads that can now be
                    // served, or arms the timer for the delayed frames. Any row's filled read
                    // (an unusable one handed back too) gets the DPC it waits for.
                    if report.delivered > 0 || state.filled_waiting() {
                        bus.kick(state);
                    }
                    (STATUS_SUCCESS, batch.len())
                }
                Err(error) => (BusStatus::from(error).ntstatus(), 0),
            }
        } else {
            (STATUS_NO_SUCH_DEVICE, 0)
        }
    };
    complete(request, status, information);
}

/// `EvtIoInternalDeviceControl` (h:wdfio.h:309-348) of a port's default queue: the vwire control
/// IOCTLs (`vwire_proto::control`), all METHOD_BUFFERED.
pub(super) extern "C" fn evt_io_internal_device_control(
    queue: WDFQUEUE,
    request: WDFREQUEST,
    output_buffer_length: usize,
    input_buffer_length: usize,
    io_control_code: ULONG,
) {
    let Some((bus, port)) = port_of_queue(queue) else {
        return complete(request, STATUS_INVALID_DEVICE_STATE, 0);
    };
    // METHOD_BUFFERED: input and output are the same system buffer, so the input is copied out first
    // (a `&[u8]` and a `&mut [u8]` over one buffer may not coexist).
    let mut input_copy = [0u8; IOCTL_INPUT_MAX];
    // SAFETY: the request was just presented to this callback.
    let input = match unsafe { copy_input(request, input_buffer_length, &mut input_copy) } {
        Ok(input) => input,
        Err(status) => return complete(request, status, 0),
    };
    let mut no_output = [0u8; 0];
    let output: &mut [u8] = if output_buffer_length == 0 {
        &mut no_output
    } else {
        // SAFETY: as above; no reference into the system buffer is alive (the input was copied and
        // its slice dropped), and this one is not used after the request completes.
        match unsafe { output_buffer(request, 1) } {
            Ok(output) => output,
            Err(status) => return complete(request, status, 0),
        }
    };
    let outcome = {
        let mut guard = bus.lock();
        let state = &mut *guard;
        match state.present_queues(port).map(|queues| queues.link) {
            Some(link_queue) => match state.hub_mut().handle_ioctl(port, io_control_code, input, output) {
                IoctlOutcome::Complete { status, information } => {
                    Some((BusStatus::from(status).ntstatus(), information.min(output.len())))
                }
                IoctlOutcome::PendLinkChange { known_generation } => {
                    // SAFETY: the request is owned by the driver (presented, not yet forwarded).
                    let recorded = unsafe { set_link_wait_generation(request, known_generation) };
                    if !recorded {
                        Some((STATUS_INVALID_DEVICE_STATE, 0))
                    } else if let Some(link_queue) = link_queue
                        && NT_SUCCESS(forward(request, wdf_queue(link_queue)))
                    {
                        None
                    } else {
                        Some((STATUS_NO_SUCH_DEVICE, 0))
                    }
                }
            },
            None => Some((STATUS_NO_SUCH_DEVICE, 0)),
        }
    };
    if let Some((status, information)) = outcome {
        complete(request, status, information);
    }
}

/// Under the lock: a batch for `port` into the read `request`'s buffer. `Some((status, information))`
/// to complete it with; `None` if the hub had nothing ready (the caller parks or requeues it).
///
/// # Safety
/// `request` is a read owned by the driver.
unsafe fn read_into(hub: &mut Hub, port: PortId, request: WDFREQUEST, now: u64) -> Option<(NTSTATUS, usize)> {
    // SAFETY: guaranteed by the caller; the buffer is used only inside this call.
    let buffer = match unsafe { output_buffer(request, 1) } {
        Ok(buffer) => buffer,
        Err(status) => return Some((status, 0)),
    };
    let capacity = buffer.len();
    match hub.read_batch(port, buffer, now) {
        // Never report more than the read's length: the sender's target copies back `Information`
        // bytes unchecked for a buffered read (WDF-SRC src/framework/shared/inc/private/km/
        // fxiotargetkm.hpp:179-196: `RtlCopyMemory(..., irp->GetInformation())`, asserted against
        // the buffer's length only for IOCTLs).
        Ok(Some(length)) => Some((STATUS_SUCCESS, length.min(capacity))),
        Ok(None) => None,
        Err(error) => Some((BusStatus::from(error).ntstatus(), 0)),
    }
}

/// Under the lock: moves the reads the hub filled by cut-through into `done`, oldest first, whatever
/// their port's state (a port being removed gets its filled reads completed: its PDO's removal waits
/// for them). True if `done` filled up first (the caller goes round again). Called only by the
/// serving DPC (`fdo::evt_serve_dpc`), before [`serve_parked_reads`].
pub(super) fn complete_filled_reads(state: &mut BusState, done: &mut Completions) -> bool {
    while !done.is_full() {
        let Some(filled) = state.next_filled() else { return false };
        // Room was checked above.
        let _recorded = done.push(filled.request.as_ptr(), filled.status.ntstatus(), filled.length);
    }
    true
}

/// The framework's calls on the ports' read queues while a write lends their parked reads to the
/// hub ([`BusState::write_through`]), under the bus lock at <= DISPATCH_LEVEL. The buffer of the
/// last read asked for is kept, so a run of frames to one port costs one
/// `WdfRequestRetrieveOutputBuffer`.
#[derive(Default)]
struct WdfReadQueue {
    /// The last read whose buffer was retrieved: (read, address, length).
    buffer: Option<(RequestHandle, NonNull<u8>, usize)>,
}

impl ReadQueue<QueueHandle, RequestHandle> for WdfReadQueue {
    fn retrieve(&mut self, queue: QueueHandle) -> Option<RequestHandle> {
        retrieve_next(wdf_queue(queue)).and_then(NonNull::new)
    }

    fn buffer(&mut self, request: RequestHandle) -> Option<&mut [u8]> {
        let (address, length) = match self.buffer {
            Some((cached, address, length)) if cached == request => (address, length),
            _ => {
                // SAFETY: `request` is a read this write retrieved from its queue (`retrieve`),
                // owned by the driver until the DPC completes it; the slice is
                // dropped at once, and the address kept only while the read is the hub's.
                let buffer = unsafe { output_buffer(request.as_ptr(), 1) }.ok()?;
                let address = NonNull::new(buffer.as_mut_ptr())?;
                self.buffer = Some((request, address, buffer.len()));
                (address, buffer.len())
            }
        };
        // SAFETY: the framework's buffer of a read the driver owns (above), valid until the read is
        // completed, which happens only after this write returns; the one slice into it lives as
        // long as the `&mut self` borrow, so no other reference into it exists meanwhile. The
        // write's own batch (`evt_io_write`'s `&[u8]`, alive meanwhile) is another IRP's buffer:
        // the read came from a peer port's queue, never the writer's own (`Hub::write_batch_into`
        // never delivers to the sender), and each IRP has a buffer of its own (Direct I/O: an
        // MDL over the sending miniport's pool memory; the vwire miniport's reads and writes use
        // separate WDFMEMORY objects).
        Some(unsafe { slice::from_raw_parts_mut(address.as_ptr(), length) })
    }
}

/// Under the lock: completes (into `done`) the parked reads of every present port that the hub now
/// has a batch for, and arms the delivery timer for the earliest delayed frame a parked read waits
/// for. True if `done` filled up before the walk ended (the caller completes and goes round again).
/// Called only by the serving DPC (`fdo::evt_serve_dpc`).
pub(super) fn serve_parked_reads(
    bus: &BusContext,
    state: &mut BusState,
    now: u64,
    done: &mut Completions,
) -> bool {
    let mut earliest: Option<u64> = None;
    let (hub, read_queues) = state.hub_and_read_queues();
    for (port, read_queue) in read_queues {
        loop {
            match hub.next_ready_time(port) {
                None => break,
                Some(due) if due > now => {
                    earliest = Some(earliest.map_or(due, |e| e.min(due)));
                    break;
                }
                Some(_) => {}
            }
            if done.is_full() {
                return true;
            }
            let Some(request) = retrieve_next(wdf_queue(read_queue)) else { break };
            // SAFETY: a read just retrieved from this port's manual queue: owned by the driver.
            match unsafe { read_into(hub, port, request, now) } {
                Some((status, information)) => {
                    // Room was checked above.
                    let _recorded = done.push(request, status, information);
                }
                None => {
                    // Nothing after all: back to the head of its queue.
                    if !NT_SUCCESS(requeue(request)) {
                        let _recorded = done.push(request, STATUS_CANCELLED, 0);
                    }
                    break;
                }
            }
        }
    }
    if let Some(due) = earliest {
        bus.arm_timer(state, due, now);
    }
    false
}

// ---------------------------------------------------------------------------------------------
// Request calls

/// `WdfIoQueueRetrieveNextRequest(Queue, &Request)` (h:wdfio.h:791-816) on a manual queue: the oldest
/// parked request, now owned by the driver; `None` when empty (STATUS_NO_MORE_ENTRIES) or not
/// accepting.
pub(super) fn retrieve_next(queue: WDFQUEUE) -> Option<WDFREQUEST> {
    let mut request: WDFREQUEST = ptr::null_mut();
    // SAFETY: `queue` is a live manual queue of this driver (routable entries of the port table are
    // cleared by the queue's cleanup, under the lock the callers hold); live out-parameter.
    let status: NTSTATUS =
        unsafe { call_unsafe_wdf_function_binding!(WdfIoQueueRetrieveNextRequest, queue, &mut request) };
    (NT_SUCCESS(status) && !request.is_null()).then_some(request)
}

/// `WdfRequestForwardToIoQueue(Request, DestinationQueue)` (h:wdfrequest.h:1587-1612): the request
/// (owned by the driver, not cancelable) goes to another queue of the same device.
fn forward(request: WDFREQUEST, queue: WDFQUEUE) -> NTSTATUS {
    // SAFETY: the callers pass a request presented by the PDO's default queue and one of the same
    // PDO's live manual queues.
    unsafe { call_unsafe_wdf_function_binding!(WdfRequestForwardToIoQueue, request, queue) }
}

/// `WdfRequestRequeue(Request)` (h:wdfrequest.h:1643-1664): back to the head of the queue it was
/// retrieved from.
pub(super) fn requeue(request: WDFREQUEST) -> NTSTATUS {
    // SAFETY: the callers pass a request they just retrieved from a manual queue.
    unsafe { call_unsafe_wdf_function_binding!(WdfRequestRequeue, request) }
}

/// `WdfRequestRetrieveOutputBuffer(Request, MinimumRequiredSize, &Buffer, &Length)`
/// (h:wdfrequest.h:1226-1259): a read's buffer (Direct I/O: the mapped MDL) or an IOCTL's output
/// (METHOD_BUFFERED: the system buffer).
///
/// # Safety
/// `request` is owned by the driver; the slice is not used after the request is completed, requeued
/// or forwarded, and no other reference into the same buffer is alive while it is.
pub(super) unsafe fn output_buffer<'a>(
    request: WDFREQUEST,
    minimum: usize,
) -> Result<&'a mut [u8], NTSTATUS> {
    let mut buffer: PVOID = ptr::null_mut();
    let mut length: usize = 0;
    // SAFETY: guaranteed by the caller; live out-parameters.
    let status: NTSTATUS = unsafe {
        call_unsafe_wdf_function_binding!(
            WdfRequestRetrieveOutputBuffer,
            request,
            minimum,
            &mut buffer,
            &mut length
        )
    };
    if !NT_SUCCESS(status) {
        return Err(status);
    }
    if buffer.is_null() {
        return Err(STATUS_INVALID_DEVICE_STATE);
    }
    // SAFETY: the framework returned `length` writable bytes at `buffer`, valid until the request is
    // completed; exclusivity is the caller's guarantee.
    Ok(unsafe { slice::from_raw_parts_mut(buffer.cast::<u8>(), length) })
}

/// `WdfRequestRetrieveInputBuffer(Request, 1, &Buffer, &Length)` (h:wdfrequest.h:1187-1220): a
/// write's batch (Direct I/O: the mapped MDL of the miniport's buffer) or an IOCTL's input
/// (METHOD_BUFFERED: the system buffer, which the output shares).
///
/// # Safety
/// As [`output_buffer`].
pub(super) unsafe fn input_buffer<'a>(request: WDFREQUEST) -> Result<&'a [u8], NTSTATUS> {
    let mut buffer: PVOID = ptr::null_mut();
    let mut length: usize = 0;
    // SAFETY: guaranteed by the caller; live out-parameters.
    let status: NTSTATUS = unsafe {
        call_unsafe_wdf_function_binding!(
            WdfRequestRetrieveInputBuffer,
            request,
            1usize,
            &mut buffer,
            &mut length
        )
    };
    if !NT_SUCCESS(status) {
        return Err(status);
    }
    if buffer.is_null() {
        return Err(STATUS_INVALID_DEVICE_STATE);
    }
    // SAFETY: the framework returned `length` readable bytes at `buffer`, valid until completion.
    Ok(unsafe { slice::from_raw_parts(buffer.cast::<u8>().cast_const(), length) })
}

/// Copies up to `copy.len()` bytes of the request's input into `copy` and returns them (none for an
/// empty input, for which the framework's retrieve would fail with STATUS_BUFFER_TOO_SMALL).
///
/// # Safety
/// `request` is owned by the driver and no reference into its output buffer is alive.
pub(super) unsafe fn copy_input(
    request: WDFREQUEST,
    input_buffer_length: usize,
    copy: &mut [u8],
) -> Result<&[u8], NTSTATUS> {
    if input_buffer_length == 0 {
        return Ok(&[]);
    }
    // SAFETY: guaranteed by the caller; the slice is dropped at the end of this function.
    let input = unsafe { input_buffer(request) }?;
    let length = input.len().min(copy.len());
    let (Some(source), Some(target)) = (input.get(..length), copy.get_mut(..length)) else {
        return Err(STATUS_INVALID_DEVICE_STATE);
    };
    target.copy_from_slice(source);
    Ok(target)
}

/// Records the link generation a parked wait waits on in the request's context. False if the request
/// has no context (it always has: `WdfDeviceInitSetRequestAttributes` on every PDO).
///
/// # Safety
/// `request` is a live request of a port PDO, owned by the driver.
unsafe fn set_link_wait_generation(request: WDFREQUEST, known_generation: u32) -> bool {
    // SAFETY: guaranteed by the caller; the PDO gives every request this context.
    let context = unsafe { typed_context::<LinkWaitContext>(request.cast(), &LINK_WAIT_CONTEXT_TYPE) };
    // SAFETY: the request's own context memory, accessed only by its owner (the driver, now).
    match unsafe { context.as_mut() } {
        Some(context) => {
            context.known_generation = known_generation;
            true
        }
        None => false,
    }
}

/// The link generation a parked wait recorded with [`set_link_wait_generation`].
///
/// # Safety
/// As [`set_link_wait_generation`].
pub(super) unsafe fn link_wait_generation(request: WDFREQUEST) -> Option<u32> {
    // SAFETY: guaranteed by the caller.
    let context = unsafe { typed_context::<LinkWaitContext>(request.cast(), &LINK_WAIT_CONTEXT_TYPE) };
    // SAFETY: as in `set_link_wait_generation`.
    unsafe { context.as_ref() }.map(|context| context.known_generation)
}
