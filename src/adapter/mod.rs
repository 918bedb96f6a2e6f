//! One NDIS adapter: its resources, its state in the NDIS adapter state machine (Doc
//! `adapter-states-of-a-miniport-driver`) and the lifecycle handlers. `Adapter` is one type split
//! over child modules, each `impl Adapter` for one concern, so that every dependency points down
//! (to `lower`, `nbl`, `sync`, `sys`) and only this module and its children see the adapter's
//! fields:
//!
//! - [`entry`]: the NDIS and KMDF callback shims (the only `unsafe` here: their C signatures);
//! - `initialize`, `link`, `oid`: `MiniportInitializeEx`, the link watch, OID requests;
//! - `send`: NBLs queue without allocation, one context at a time packs their NET_BUFFERs into
//!   pre-allocated write requests (a batch of frames per request), and each NBL completes exactly
//!   once, when the last request carrying one of its frames has;
//! - `receive`: reads stay pending below; a completed read's batch is validated whole, filtered
//!   and indicated in place, each frame through a pre-allocated receive NBL whose MDL is built over
//!   it, and the read waits for its frames to come back before it goes below again;
//! - `deferred`: what one call may not finish (reads and writes the device keeps completing at
//!   once) continues in an NDIS I/O work item at PASSIVE_LEVEL;
//! - `rundown`: the one place that finds a pending pause or reset finished;
//! - `traffic`: the per-destination frame and byte counts of both directions.

pub(crate) mod deferred;
pub mod entry;
mod initialize;
mod link;
mod oid;
mod power;
pub(crate) mod receive;
mod rundown;
mod send;
mod settings;
mod traffic;
mod vlan;

use crate::lower::LowerEdge;
use crate::pool::PoolBox;
use crate::sync::SpinLock;
use crate::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use crate::sys;
use crate::work_item::IoWorkItem;
use bytemuck::Zeroable;
pub use initialize::{MAC_OPTIONS, SUPPORTED_PACKET_FILTERS, initialize};
use ndis_types::handles::{NdisHandle, WdfContext};
use ndis_types::miniport::{
    ETH_LENGTH_OF_ADDRESS, NDIS_DEVICE_PNP_EVENT_SURPRISE_REMOVED, NDIS_SHUTDOWN_POWER_OFF,
    NdisDevicePnpEvent, NdisShutdownAction,
};
use ndis_types::status::{
    NDIS_STATUS_FAILURE, NDIS_STATUS_NOT_ACCEPTED, NDIS_STATUS_PAUSED, NDIS_STATUS_RESET_IN_PROGRESS,
    NDIS_STATUS_SUCCESS, NdisStatus,
};
use receive::{ReceiveFilter, ReceiveResources};
use rundown::HandlerOutcome;
use send::SendEngine;

/// Pool tag of the adapter structure itself.
pub const ADAPTER_TAG: u32 = u32::from_le_bytes(*b"KmAd");
/// Multicast addresses the adapter filters on (`OID_802_3_MAXIMUM_LIST_SIZE`).
pub const MAX_MULTICAST_ADDRESSES: usize = vwire_proto::MAX_MULTICAST;

/// Where the adapter is in the NDIS state machine. Halted is the absence of an adapter; Shutdown
/// is the `shut_down` flag, which the bug-check path sets without a lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Zeroable)]
#[repr(u8)]
pub enum Phase {
    /// The state `MiniportInitializeEx` leaves the adapter in, and the zero value.
    Paused = 0,
    Restarting,
    Running,
    Pausing,
}

/// The link the adapter has: the device's last report, met with `*SpeedDuplex` (`link`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Zeroable)]
pub struct Link {
    generation: u32,
    up: bool,
    full_duplex: bool,
    speed_bps: u64,
    /// The port is up but offers less than the speed `*SpeedDuplex` forces: no link, and no frame
    /// crosses it (sends are refused as for any link down, received frames dropped).
    no_common_speed: bool,
    /// Speed and duplex were negotiated (`*SpeedDuplex` Auto), not forced.
    auto_negotiated: bool,
}

/// State guarded by the adapter's spin lock.
#[derive(Zeroable)]
pub struct AdapterState {
    phase: Phase,
    surprise_removed: bool,
    /// `MiniportHaltEx` (or the unwind of a failed initialize) has begun: nothing new goes below
    /// and nothing more is indicated.
    halting: bool,
    /// In D1-D3 (`OID_PNP_SET_POWER`): nothing goes below, sends are refused (`power`).
    low_power: bool,
    link: Link,
    /// A pause returned (or is about to return) PENDING and waits for the data path to drain.
    pause_pending: bool,
    /// `MiniportPause` is still running: completions must not finish the pause under it.
    pause_in_handler: bool,
    /// A reset returned (or is about to return) PENDING and waits for in-flight writes.
    reset_pending: bool,
    /// Callbacks that found a pending reset finished and are calling `NdisMResetComplete`: sends
    /// are still refused until they have (a count: a later reset may start and finish meanwhile).
    reset_reporting: u32,
    reset_in_handler: bool,
    filter: ReceiveFilter,
    lookahead: u32,
    send: SendEngine,
    /// Runs of the deferred-work item queued or running ([`Adapter::deferred`]): a pause waits for
    /// them.
    deferred_runs: u32,
}

/// Counters, each updated without the lock.
#[derive(Default, Zeroable)]
pub struct Counters {
    xmit_ok: AtomicU64,
    xmit_error: AtomicU64,
    xmit_discards: AtomicU64,
    rcv_ok: AtomicU64,
    rcv_error: AtomicU64,
    rcv_discards: AtomicU64,
    rcv_no_buffer: AtomicU64,
    bytes_xmit: AtomicU64,
    bytes_rcv: AtomicU64,
    directed_frames_xmit: AtomicU64,
    multicast_frames_xmit: AtomicU64,
    broadcast_frames_xmit: AtomicU64,
    directed_bytes_xmit: AtomicU64,
    multicast_bytes_xmit: AtomicU64,
    broadcast_bytes_xmit: AtomicU64,
    directed_frames_rcv: AtomicU64,
    multicast_frames_rcv: AtomicU64,
    broadcast_frames_rcv: AtomicU64,
    directed_bytes_rcv: AtomicU64,
    multicast_bytes_rcv: AtomicU64,
    broadcast_bytes_rcv: AtomicU64,
    /// Frames the packet filter did not want.
    rcv_filtered: AtomicU64,
    /// Read batches that came back from below, and their bytes.
    lower_read_batches: AtomicU64,
    lower_read_bytes: AtomicU64,
    /// Read batches rejected whole as malformed (bad header, count, length, truncation).
    lower_malformed_batches: AtomicU64,
    /// Reads that completed with an error other than cancellation.
    lower_read_errors: AtomicU64,
    /// Writes that completed with an error other than cancellation.
    lower_write_errors: AtomicU64,
    /// Requests the lower edge would not accept (`WdfRequestSend` FALSE, a failed format).
    lower_send_failures: AtomicU64,
    /// Completions for requests that are not ours or not in flight.
    lower_unknown_completions: AtomicU64,
    /// Link-state IOCTLs that failed or returned garbage.
    lower_link_errors: AtomicU64,
    /// NBLs NDIS returned that this adapter does not have in NDIS's hands.
    foreign_returns: AtomicU64,
    /// OID requests NDIS passed malformed (no request, bad buffer).
    malformed_oid_requests: AtomicU64,
    /// Sends refused because the send queue was full.
    send_queue_full: AtomicU64,
    /// Registry keywords refused at initialize (malformed or out of range; `settings`).
    config_rejected: AtomicU64,
}

pub fn bump(counter: &AtomicU64, by: u64) {
    counter.fetch_add(by, Ordering::Relaxed);
}

pub fn load(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

/// One adapter, in nonpaged pool from `MiniportInitializeEx` to `MiniportHaltEx`. It starts as
/// zeroed memory (`PoolBox::new_zeroed`): it is far too large for the kernel stack, and all-zero
/// is its state before initialize (Paused, no link, empty filter and queues, NULL handles).
///
/// Lock order: `state` first, then any one pool's lock (`lower.reads`, `lower.writes`,
/// `lower.link`, `receive.nbls`: `data_path_idle` asks the pools under `state`); a pool's lock is
/// never held while another lock is taken, and no lock is held across a call into NDIS or a send
/// below. kernel-sim's `Lock.Order` learns the order as the driver runs and fails on an inversion.
#[derive(Zeroable)]
pub struct Adapter {
    /// `MiniportAdapterHandle`: how NDIS names this adapter in every NdisM call.
    miniport: NdisHandle,
    permanent_address: [u8; ETH_LENGTH_OF_ADDRESS],
    current_address: [u8; ETH_LENGTH_OF_ADDRESS],
    /// The device's batch limits (`IOCTL_VWIRE_QUERY_DEVICE`).
    max_batch_bytes: usize,
    max_batch_frames: usize,
    /// NBLs the adapter queues for the device before it refuses more (`*TransmitBuffers`).
    max_queued_nbls: usize,
    /// The MTU (`*JumboPacket` less the Ethernet header): 1500 up to 9000.
    mtu: u32,
    /// What `*PriorityVLANTag` enables (`vlan`); the VLAN ID is in the receive filter.
    tagging: vlan::Tagging,
    /// `*SpeedDuplex`: how the adapter links at the speed the port offers (`link`).
    speed_duplex: settings::SpeedDuplex,
    lower: LowerEdge,
    receive: ReceiveResources,
    state: SpinLock<AdapterState>,
    /// Continues at PASSIVE_LEVEL, in a system thread, the data-path work a call gave up after its
    /// bound (`deferred`): a device that always completes at once, kept busy by
    /// other processors, costs work item runs, not unbounded time at DISPATCH_LEVEL.
    deferred: IoWorkItem,
    counters: Counters,
    /// Set by `MiniportShutdownEx`, also from the bug-check path at HIGH_LEVEL where no lock may
    /// be taken.
    shut_down: AtomicBool,
    /// Callbacks running inside the adapter right now (`rundown`): a pause waits for none.
    callbacks_inside: AtomicU32,
}

/// Ethernet header bytes on top of the MTU.
pub const ETHERNET_HEADER: u32 = 14;
/// An 802.1Q tag: a received frame may carry one on top of the MTU and header.
pub const VLAN_TAG: u32 = 4;

impl Adapter {
    /// The MAC options: the fixed ones and the 802.1 ones `*PriorityVLANTag` enables.
    pub fn mac_options(&self) -> u32 {
        MAC_OPTIONS | self.tagging.mac_options()
    }

    /// The OIDs the adapter answers: `OID_GEN_VLAN_ID` only with VLANs enabled.
    pub fn supported_oids(&self) -> &'static [ndis_types::oid::NdisOid] {
        oid::supported_oids(self.tagging.vlan)
    }

    /// The largest frame a protocol sends or is indicated, without a tag:
    /// `OID_GEN_MAXIMUM_TOTAL_SIZE`, the lookahead (Doc `oid-gen-maximum-lookahead`: the same as
    /// `OID_GEN_RECEIVE_BLOCK_SIZE`) and what a receive NBL describes. On the wire a frame may carry a
    /// tag on top.
    pub fn max_total_size(&self) -> u32 {
        self.mtu.saturating_add(ETHERNET_HEADER)
    }
    /// `NdisAllocateSpinLock` for every lock, once the adapter sits at its final address.
    pub fn initialize_locks(&mut self) {
        self.state.initialize();
        self.lower.initialize_locks();
        self.receive.nbls.initialize();
    }

    /// The handle this adapter gave NDIS (and KMDF, as completion context) for itself.
    pub fn context(&self) -> NdisHandle {
        NdisHandle(core::ptr::from_ref(self).cast_mut().cast())
    }

    pub fn completion_context(&self) -> WdfContext {
        WdfContext(self.context().as_ptr())
    }

    /// Release every resource, in the reverse order of initialize: stop the target (cancel and wait
    /// for sent I/O), delete the requests and the device, free the receive NBLs, pool and frames.
    /// Also the unwind of a failed initialize: only what exists is released.
    ///
    /// The target is stopped through a shared borrow: until `purge_and_wait` returns, completion
    /// routines on other processors still hold `&Adapter`. Only then is the adapter borrowed
    /// exclusively, to free what it owns.
    pub fn release_resources(this: &mut PoolBox<Self>) {
        this.stop_below();
        let adapter: &mut Self = this;
        adapter.lower.delete();
        adapter.receive.free();
        // Not queued: halt comes after a completed pause, which waits for every run of it.
        adapter.deferred = IoWorkItem::zeroed();
    }

    /// Nothing new goes below, what was sent is cancelled and waited for, and anything still
    /// queued (a halt after a shutdown that left sends behind) goes back to NDIS. A purge, not a
    /// stop: a completion routine on another processor may re-post before it sees `halting`, and
    /// a purged target fails that request back instead of keeping it queued.
    fn stop_below(&self) {
        self.state.lock().halting = true;
        self.lower.purge_and_wait();
        let queued = self.state.lock().send.flush(NDIS_STATUS_FAILURE);
        queued.complete(self.miniport, None, sys::send_complete_flags_here());
    }

    // -----------------------------------------------------------------------------------------
    // MiniportRestart (PASSIVE_LEVEL)

    /// Paused → Restarting → Running: arm the receive reads and the link watch.
    pub fn restart(&self) -> NdisStatus {
        {
            let mut state = self.state.lock();
            if state.surprise_removed {
                // The device is gone; nothing may be sent below (Doc
                // `nc-ndis-miniport_device_pnp_event_notify`). FAILURE: none of the other statuses
                // `nc-ndis-miniport_restart` lists applies.
                return NDIS_STATUS_FAILURE;
            }
            state.phase = Phase::Restarting;
        }
        self.post_idle_reads();
        self.post_link_wait();
        self.state.lock().phase = Phase::Running;
        NDIS_STATUS_SUCCESS
    }

    // -----------------------------------------------------------------------------------------
    // MiniportPause (PASSIVE_LEVEL): cannot fail.

    /// Running → Pausing → Paused: refuse new sends, give back the queued ones (PAUSED), cancel the
    /// reads, and wait for the writes in flight and every indicated NBL to come back. Pends until
    /// then; the last callback to leave calls `NdisMPauseComplete` (`rundown`).
    pub fn pause(&self) -> HandlerOutcome {
        let queued = {
            let mut state = self.state.lock();
            state.phase = Phase::Pausing;
            state.pause_pending = true;
            state.pause_in_handler = true;
            state.send.flush(NDIS_STATUS_PAUSED)
        };
        queued.complete(self.miniport, None, 0);
        self.lower.reads.cancel_in_flight();
        let mut state = self.state.lock();
        state.pause_in_handler = false;
        if self.data_path_idle(&state) {
            state.pause_pending = false;
            state.phase = Phase::Paused;
            HandlerOutcome::Finished
        } else {
            HandlerOutcome::Pending
        }
    }

    // -----------------------------------------------------------------------------------------
    // MiniportResetEx (<= DISPATCH_LEVEL)

    /// NDIS 6.30+: nothing may be held across a reset (Doc `nc-ndis-miniport_reset`). Queued sends
    /// complete with RESET_IN_PROGRESS, writes in flight are cancelled and the reset pends until they
    /// are back; reads a device error left idle are re-armed. Filters survive (AddressingReset FALSE).
    /// A surprise-removed device is reset the same way, its sends completed NOT_ACCEPTED and nothing
    /// re-armed: the reset still owes NDIS that nothing is held, and returns one of its documented
    /// statuses. Counted as a callback (`rundown`): the reads it posts may give back a slot a
    /// pending pause waits for. Its decision is made in its leaving section; the caller touches
    /// nothing of the adapter after.
    pub(super) fn reset(&self) -> HandlerOutcome {
        self.enter_callback();
        let queued = {
            let mut state = self.state.lock_any();
            state.reset_pending = true;
            state.reset_in_handler = true;
            let status =
                if state.surprise_removed { NDIS_STATUS_NOT_ACCEPTED } else { NDIS_STATUS_RESET_IN_PROGRESS };
            state.send.flush(status)
        };
        queued.complete(self.miniport, None, sys::send_complete_flags_here());
        self.lower.writes.cancel_in_flight();
        // Only while Restarting or Running, checked again around each send: a pause may begin on
        // another processor at any point of this (reset can overlap pause).
        self.post_idle_reads();
        // A link watch a device error ended is re-armed too (it stays pending across pause).
        self.post_link_wait();
        // Decided in the section that drops the count: a write that went idle before it is seen
        // here (SUCCESS), one after it completes the reset from its own callback (PENDING).
        self.leave_callback(|adapter, state| {
            state.reset_in_handler = false;
            if adapter.reset_idle(state) {
                state.reset_pending = false;
                HandlerOutcome::Finished
            } else {
                HandlerOutcome::Pending
            }
        })
    }

    // -----------------------------------------------------------------------------------------
    // MiniportDevicePnPEventNotify (PASSIVE_LEVEL)

    pub fn device_pnp_event(&self, event: NdisDevicePnpEvent) {
        if event == NDIS_DEVICE_PNP_EVENT_SURPRISE_REMOVED {
            let queued = {
                let mut state = self.state.lock();
                state.surprise_removed = true;
                state.send.flush(NDIS_STATUS_NOT_ACCEPTED)
            };
            queued.complete(self.miniport, None, 0);
            // Cancel everything sent to the vanished device and wait for it (PASSIVE_LEVEL); the
            // completion routines see the flag and send nothing new.
            self.lower.stop_and_cancel();
        }
    }

    // -----------------------------------------------------------------------------------------
    // MiniportShutdownEx

    /// `NdisShutdownPowerOff` (PASSIVE): quiesce the lower edge, keep every resource.
    /// `NdisShutdownBugCheck` (HIGH_LEVEL): only set the flag: no lock, no wait, no allocation,
    /// no free (Doc `nc-ndis-miniport_shutdown`).
    pub fn shutdown(&self, action: NdisShutdownAction) {
        self.shut_down.store(true, Ordering::Release);
        if action == NDIS_SHUTDOWN_POWER_OFF {
            let queued = self.state.lock().send.flush(NDIS_STATUS_FAILURE);
            queued.complete(self.miniport, None, 0);
            self.lower.stop_and_cancel();
        }
    }

    /// Whether new I/O may be sent below for the data path.
    pub fn may_use_device(&self, state: &AdapterState) -> bool {
        !state.surprise_removed
            && !state.halting
            && !state.low_power
            && !self.shut_down.load(Ordering::Acquire)
    }
}
