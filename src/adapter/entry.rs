//! The miniport's NDIS handlers and its KMDF completion routine, with their C signatures
//! (W:km/ndis.h:10596-10842). Each shim turns the context NDIS or KMDF hands back into `&Adapter` and
//! calls safe code. The callback signatures force raw pointers on us: this is the only `unsafe` of
//! the adapter (the rest lives in the modules that own OS objects and in `sys`).
#![allow(unsafe_code)]

use super::{ADAPTER_TAG, Adapter, HandlerOutcome, bump, oid};
use crate::lower::requests::CompletionRoutines;
use crate::nbl::receive::ReturnedChain;
use crate::nbl::send::SendNbl;
use crate::oid_request::{oid_request_finish, oid_request_view};
use crate::pool::{PoolBox, context_ref};
use crate::sys::send_complete_flags_here;
use crate::work_item::IoWorkItem;
use core::ffi::c_void;
use ndis_types::handles::{NdisHandle, WdfContext, WdfIoTarget, WdfRequest};
use ndis_types::miniport::{
    NdisHaltAction, NdisMiniportInitParameters, NdisMiniportPauseParameters, NdisMiniportRestartParameters,
    NdisShutdownAction, NetDevicePnpEvent,
};
use ndis_types::nbl::NetBufferList;
use ndis_types::oid::NdisOidRequest;
use ndis_types::status::{
    NDIS_STATUS_FAILURE, NDIS_STATUS_INVALID_PARAMETER, NDIS_STATUS_PENDING, NDIS_STATUS_SUCCESS, NdisStatus,
};
use ndis_types::{Boolean, FALSE};

/// The adapter behind a `MiniportAdapterContext`.
///
/// # Safety
/// `context` is what `miniport_initialize_ex` returned to NDIS for an adapter not yet halted.
unsafe fn adapter<'a>(context: NdisHandle) -> Option<&'a Adapter> {
    // SAFETY: guaranteed by the caller: the adapter lives in pool memory until MiniportHaltEx.
    unsafe { context_ref::<Adapter>(context) }
}

/// Run `work` on the adapter behind `context` as one callback of the rundown
/// ([`Adapter::callback`]); `None` if there is no adapter. Nothing of the adapter escapes: `work`
/// gets a borrow for its own duration only and returns an owned value, so no caller can touch the
/// adapter after the pause this callback may complete (NDIS may halt and free it at once).
///
/// # Safety
/// As [`adapter`].
unsafe fn in_callback<R: 'static>(
    context: NdisHandle,
    work: impl for<'a> FnOnce(&'a Adapter) -> R,
) -> Option<R> {
    // SAFETY: guaranteed by the caller.
    let adapter = unsafe { adapter(context) }?;
    Some(adapter.callback(work))
}

/// The completion routines of the lower edge's requests, with the adapter as their context.
pub(super) fn completion_routines(adapter: &Adapter) -> CompletionRoutines {
    // SAFETY: each routine below expects the adapter's own context, which this is; the adapter
    // outlives every request of the lower edge (halt stops the target, waits for every completion
    // routine and deletes the requests before it frees the adapter).
    unsafe {
        CompletionRoutines::new(
            read_completion,
            write_completion,
            link_completion,
            adapter.completion_context(),
        )
    }
}

/// The adapter's deferred-work item, whose runs call [`deferred_work_item`] with the adapter.
pub(super) fn allocate_deferred_work_item(adapter: &Adapter) -> Result<IoWorkItem, NdisStatus> {
    // SAFETY: `deferred_work_item` expects the adapter's own context, which this is; the adapter
    // outlives every run (a pause waits for every queued or running one, and halt follows the
    // pause; the item is freed in halt).
    unsafe { IoWorkItem::allocate(adapter.miniport, deferred_work_item, adapter.context()) }
}

/// What `MiniportPause` and `MiniportResetEx` return for how their handler ended.
fn handler_status(outcome: HandlerOutcome) -> NdisStatus {
    match outcome {
        HandlerOutcome::Finished => NDIS_STATUS_SUCCESS,
        HandlerOutcome::Pending => NDIS_STATUS_PENDING,
    }
}

/// `MiniportInitializeEx` (PASSIVE_LEVEL).
///
/// # Safety
/// Called by NDIS with a valid `NDIS_MINIPORT_INIT_PARAMETERS` for the duration of the call.
pub unsafe extern "system" fn miniport_initialize_ex(
    miniport_adapter_handle: NdisHandle,
    _miniport_driver_context: NdisHandle,
    miniport_init_parameters: *mut NdisMiniportInitParameters,
) -> NdisStatus {
    // SAFETY: NDIS passes a valid init-parameters structure that outlives this call.
    let Some(parameters) = (unsafe { miniport_init_parameters.as_ref() }) else {
        return NDIS_STATUS_INVALID_PARAMETER;
    };
    match super::initialize(miniport_adapter_handle, parameters) {
        // NDIS learned the context from the registration attributes; nothing else to hand back.
        Ok(_context) => NDIS_STATUS_SUCCESS,
        Err(status) => status,
    }
}

/// `MiniportHaltEx` (PASSIVE_LEVEL): from Paused, or after a surprise removal.
///
/// # Safety
/// `miniport_adapter_context` is a live adapter's context; NDIS calls no other handler for it
/// during or after halt.
pub unsafe extern "system" fn miniport_halt_ex(
    miniport_adapter_context: NdisHandle,
    _halt_action: NdisHaltAction,
) {
    // SAFETY: guaranteed by NDIS for the adapter being halted.
    let Some(miniport) = (unsafe { adapter(miniport_adapter_context) }).map(|adapter| adapter.miniport)
    else {
        return;
    };
    // SAFETY: the context is the PoolBox<Adapter> that initialize gave away, allocated with this
    // miniport handle and ADAPTER_TAG; halt is its last user.
    let owned = unsafe { PoolBox::<Adapter>::from_handle(miniport_adapter_context, miniport, ADAPTER_TAG) };
    if let Some(mut adapter) = owned {
        // Stop the target (cancel and wait for sent I/O), delete the requests and the miniport
        // device, free the receive resources; dropping the box frees the adapter.
        Adapter::release_resources(&mut adapter);
    }
}

/// `MiniportPause` (PASSIVE_LEVEL).
///
/// # Safety
/// `miniport_adapter_context` is a live adapter's context.
pub unsafe extern "system" fn miniport_pause(
    miniport_adapter_context: NdisHandle,
    _pause_parameters: *mut NdisMiniportPauseParameters,
) -> NdisStatus {
    // SAFETY: NDIS passes the context of a live adapter.
    match unsafe { adapter(miniport_adapter_context) } {
        Some(adapter) => handler_status(adapter.pause()),
        // Pause cannot fail.
        None => NDIS_STATUS_SUCCESS,
    }
}

/// `MiniportRestart` (PASSIVE_LEVEL).
///
/// # Safety
/// `miniport_adapter_context` is a live adapter's context.
pub unsafe extern "system" fn miniport_restart(
    miniport_adapter_context: NdisHandle,
    _restart_parameters: *mut NdisMiniportRestartParameters,
) -> NdisStatus {
    // SAFETY: NDIS passes the context of a live adapter.
    match unsafe { adapter(miniport_adapter_context) } {
        Some(adapter) => adapter.restart(),
        None => NDIS_STATUS_FAILURE,
    }
}

/// `MiniportOidRequest` (PASSIVE_LEVEL). Every OID is answered before this returns.
///
/// # Safety
/// `miniport_adapter_context` is a live adapter's context and `oid_request` a request NDIS owns
/// until it is completed (here, by returning).
pub unsafe extern "system" fn miniport_oid_request(
    miniport_adapter_context: NdisHandle,
    oid_request: *mut NdisOidRequest,
) -> NdisStatus {
    // SAFETY: NDIS passes the context of a live adapter.
    let Some(adapter) = (unsafe { adapter(miniport_adapter_context) }) else {
        return NDIS_STATUS_FAILURE;
    };
    // SAFETY: NDIS owns the request and its information buffer for the duration of the call.
    let Some(view) = (unsafe { oid_request_view(oid_request) }) else {
        bump(&adapter.counters.malformed_oid_requests, 1);
        return NDIS_STATUS_INVALID_PARAMETER;
    };
    let outcome = oid::oid_request(adapter, view);
    // SAFETY: same request; the view borrowed from it is gone.
    unsafe { oid_request_finish(oid_request, outcome.bytes_transferred, outcome.bytes_needed) };
    outcome.status
}

/// `MiniportSendNetBufferLists` (<= DISPATCH_LEVEL).
///
/// # Safety
/// `miniport_adapter_context` is a live adapter's context and `net_buffer_list` a chain NDIS
/// hands to the miniport until it is completed.
pub unsafe extern "system" fn miniport_send_net_buffer_lists(
    miniport_adapter_context: NdisHandle,
    net_buffer_list: *mut NetBufferList,
    _port_number: u32,
    send_flags: u32,
) {
    // SAFETY: NDIS passes the chain it sends; the miniport owns it until it completes each NBL,
    // which the send path does exactly once.
    let chain = unsafe { SendNbl::unlink_chain(net_buffer_list) };
    // SAFETY: NDIS passes the context of a live adapter.
    if unsafe { adapter(miniport_adapter_context) }.is_none() {
        chain.complete(miniport_adapter_context, Some(NDIS_STATUS_FAILURE), send_complete_flags_here());
        return;
    }
    // SAFETY: as above.
    unsafe {
        in_callback(miniport_adapter_context, move |adapter| adapter.send_net_buffer_lists(chain, send_flags))
    };
}

/// `MiniportReturnNetBufferLists` (<= DISPATCH_LEVEL).
///
/// # Safety
/// `miniport_adapter_context` is a live adapter's context and `net_buffer_lists` NBLs it
/// indicated, now returned.
pub unsafe extern "system" fn miniport_return_net_buffer_lists(
    miniport_adapter_context: NdisHandle,
    net_buffer_lists: *mut NetBufferList,
    _return_flags: u32,
) {
    // SAFETY: NDIS returns a chain of NBLs the miniport indicated.
    let returned = unsafe { ReturnedChain::from_return(net_buffer_lists) };
    // SAFETY: NDIS passes the context of a live adapter.
    unsafe {
        in_callback(miniport_adapter_context, move |adapter| adapter.return_net_buffer_lists(returned))
    };
}

/// `MiniportCancelSend` (<= DISPATCH_LEVEL).
///
/// # Safety
/// `miniport_adapter_context` is a live adapter's context.
pub unsafe extern "system" fn miniport_cancel_send(
    miniport_adapter_context: NdisHandle,
    cancel_id: *mut c_void,
) {
    // SAFETY: NDIS passes the context of a live adapter.
    unsafe { in_callback(miniport_adapter_context, move |adapter| adapter.cancel_send(cancel_id)) };
}

/// `MiniportResetEx` (<= DISPATCH_LEVEL).
///
/// # Safety
/// `miniport_adapter_context` is a live adapter's context; `addressing_reset` is writable.
pub unsafe extern "system" fn miniport_reset_ex(
    miniport_adapter_context: NdisHandle,
    addressing_reset: *mut Boolean,
) -> NdisStatus {
    // SAFETY: NDIS passes the context of a live adapter.
    let Some(adapter) = (unsafe { adapter(miniport_adapter_context) }) else {
        return NDIS_STATUS_FAILURE;
    };
    // The filter, multicast list and lookahead survive a reset: no addressing reset.
    // SAFETY: NDIS passes a writable BOOLEAN for the answer.
    if let Some(addressing_reset) = unsafe { addressing_reset.as_mut() } {
        *addressing_reset = FALSE;
    }
    // Last use of the adapter: the reset counts itself as a callback and may complete a pause.
    handler_status(adapter.reset())
}

/// `MiniportDevicePnPEventNotify` (PASSIVE_LEVEL).
///
/// # Safety
/// `miniport_adapter_context` is a live adapter's context; `net_device_pnp_event` is valid for
/// the call.
pub unsafe extern "system" fn miniport_device_pnp_event_notify(
    miniport_adapter_context: NdisHandle,
    net_device_pnp_event: *mut NetDevicePnpEvent,
) {
    // SAFETY: NDIS passes a valid event structure for the duration of the call.
    let Some(event) = (unsafe { net_device_pnp_event.as_ref() }) else {
        return;
    };
    // SAFETY: NDIS passes the context of a live adapter.
    if let Some(adapter) = unsafe { adapter(miniport_adapter_context) } {
        adapter.device_pnp_event(event.DevicePnPEvent);
    }
}

/// `MiniportShutdownEx`: PASSIVE_LEVEL for `NdisShutdownPowerOff`, HIGH_LEVEL for
/// `NdisShutdownBugCheck`.
///
/// # Safety
/// `miniport_adapter_context` is a live adapter's context.
pub unsafe extern "system" fn miniport_shutdown_ex(
    miniport_adapter_context: NdisHandle,
    shutdown_action: NdisShutdownAction,
) {
    // SAFETY: NDIS passes the context of a live adapter.
    if let Some(adapter) = unsafe { adapter(miniport_adapter_context) } {
        adapter.shutdown(shutdown_action);
    }
}

/// `MiniportCancelOidRequest` (<= DISPATCH_LEVEL). OIDs are answered before
/// `MiniportOidRequest` returns, so none is ever pending here to cancel.
///
/// # Safety
/// `miniport_adapter_context` is a live adapter's context.
pub unsafe extern "system" fn miniport_cancel_oid_request(
    _miniport_adapter_context: NdisHandle,
    _request_id: *mut c_void,
) {
}

/// `EVT_WDF_REQUEST_COMPLETION_ROUTINE` for the batch writes (<= DISPATCH_LEVEL).
///
/// # Safety
/// Called by KMDF for a request the adapter sent with its own context; the adapter outlives every
/// request it sends (halt stops the target and waits before freeing it).
pub unsafe extern "C" fn write_completion(
    request: WdfRequest,
    _target: WdfIoTarget,
    _params: *mut c_void,
    context: WdfContext,
) {
    // SAFETY: the completion context is the adapter's own context handle.
    unsafe { in_callback(NdisHandle(context.0), move |adapter| adapter.write_completed(request)) };
}

/// `EVT_WDF_REQUEST_COMPLETION_ROUTINE` for the link watch (<= DISPATCH_LEVEL).
///
/// # Safety
/// As [`write_completion`].
pub unsafe extern "C" fn link_completion(
    request: WdfRequest,
    _target: WdfIoTarget,
    _params: *mut c_void,
    context: WdfContext,
) {
    // SAFETY: the completion context is the adapter's own context handle.
    unsafe { in_callback(NdisHandle(context.0), move |adapter| adapter.link_completed(request)) };
}

/// `EVT_WDF_REQUEST_COMPLETION_ROUTINE` for the receive reads (<= DISPATCH_LEVEL).
///
/// # Safety
/// Called by KMDF for a request the adapter sent with its own context; the adapter outlives every
/// request it sends (halt stops the target and waits before freeing it).
pub unsafe extern "C" fn read_completion(
    request: WdfRequest,
    _target: WdfIoTarget,
    _params: *mut c_void,
    context: WdfContext,
) {
    // SAFETY: the completion context is the adapter's own context handle.
    unsafe { in_callback(NdisHandle(context.0), move |adapter| adapter.read_completed(request)) };
}

/// `NDIS_IO_WORKITEM_FUNCTION` of the adapter's deferred-work item (PASSIVE_LEVEL, a system
/// thread).
///
/// # Safety
/// Called by NDIS for a work item the adapter queued with its own context; the adapter outlives
/// every run (a pause waits for `deferred_runs` to reach zero, and halt follows the pause).
pub unsafe extern "C" fn deferred_work_item(context: *mut c_void, _work_item: NdisHandle) {
    // SAFETY: the work item context is the adapter's own context handle.
    unsafe { in_callback(NdisHandle(context), Adapter::run_deferred_work) };
}
