//! One NDIS adapter: its resources, its state in the NDIS adapter state machine (Doc
//! `adapter-states-of-a-miniport-driver`; ndis-kmdf.md §3.3) and the lifecycle handlers.
//!
//! The NDIS-facing `extern "system"` shims are in [`entry`]; everything here is safe code.

pub mod entry;
mod initialize;

use crate::datapath::receive::ReceiveResources;
use crate::datapath::send::{self, SendGate};
use crate::lower::{LowerEdge, READ_REQUESTS};
use crate::sys::{self, *};
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

pub use initialize::{MAC_OPTIONS, MAX_LINK_SPEED, MTU, SUPPORTED_PACKET_FILTERS, initialize};

/// Pool tag of the adapter structure itself.
pub const ADAPTER_TAG: u32 = u32::from_le_bytes(*b"KmAd");
/// Multicast addresses the adapter filters on (`OID_802_3_MAXIMUM_LIST_SIZE`).
pub const MAX_MULTICAST_ADDRESSES: usize = 32;

/// Where the adapter is in the NDIS state machine. Halted is the absence of an adapter; Shutdown
/// is the `shut_down` flag, which the bug-check path sets without a lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Paused,
    Restarting,
    Running,
    Pausing,
}

/// The multicast list NDIS set (`OID_802_3_MULTICAST_LIST`).
#[derive(Clone, Copy)]
pub struct MulticastList {
    pub addresses: [[u8; ETH_LENGTH_OF_ADDRESS]; MAX_MULTICAST_ADDRESSES],
    pub count: usize,
}

impl MulticastList {
    pub const EMPTY: Self =
        Self { addresses: [[0; ETH_LENGTH_OF_ADDRESS]; MAX_MULTICAST_ADDRESSES], count: 0 };

    pub fn as_slice(&self) -> &[[u8; ETH_LENGTH_OF_ADDRESS]] {
        self.addresses.get(..self.count).unwrap_or(&[])
    }
}

/// State guarded by the adapter's spin lock.
pub struct AdapterState {
    pub phase: Phase,
    pub surprise_removed: bool,
    pub media_connected: bool,
    /// Reads currently sent below, by slot.
    pub reads_posted: [bool; READ_REQUESTS],
    /// While a pause is pending: reads still to complete, plus one for the pause handler itself.
    pub pause_references: u32,
    pub pause_pending: bool,
    pub packet_filter: u32,
    pub lookahead: u32,
    pub multicast: MulticastList,
}

/// Counters, each updated without the lock.
#[derive(Default)]
pub struct Counters {
    pub xmit_ok: AtomicU64,
    pub xmit_error: AtomicU64,
    pub xmit_discards: AtomicU64,
    pub rcv_ok: AtomicU64,
    pub rcv_error: AtomicU64,
    pub rcv_discards: AtomicU64,
    pub rcv_no_buffer: AtomicU64,
    pub bytes_xmit: AtomicU64,
    pub bytes_rcv: AtomicU64,
    /// Read batches that came back from below (their frames are parsed once the lower-edge
    /// protocol exists).
    pub lower_read_batches: AtomicU64,
    pub lower_read_bytes: AtomicU64,
    /// Reads that completed with an error other than cancellation.
    pub lower_read_errors: AtomicU64,
    /// Requests the lower edge would not accept (`WdfRequestSend` FALSE, a failed format).
    pub lower_send_failures: AtomicU64,
    /// Completions for requests that are not ours.
    pub lower_unknown_completions: AtomicU64,
    /// NBLs NDIS returned that this adapter never indicated.
    pub foreign_returns: AtomicU64,
    /// OID requests NDIS passed malformed (no request, bad buffer).
    pub malformed_oid_requests: AtomicU64,
}

pub fn bump(counter: &AtomicU64, by: u64) {
    counter.fetch_add(by, Ordering::Relaxed);
}

pub struct Adapter {
    /// `MiniportAdapterHandle`: how NDIS names this adapter in every NdisM call.
    pub miniport: NdisHandle,
    pub permanent_address: [u8; ETH_LENGTH_OF_ADDRESS],
    pub current_address: [u8; ETH_LENGTH_OF_ADDRESS],
    pub lower: LowerEdge,
    pub receive: ReceiveResources,
    pub state: SpinLock<AdapterState>,
    pub counters: Counters,
    /// Set by `MiniportShutdownEx`, also from the bug-check path at HIGH_LEVEL where no lock may
    /// be taken.
    pub shut_down: AtomicBool,
}

impl Adapter {
    pub fn new(miniport: NdisHandle, address: [u8; ETH_LENGTH_OF_ADDRESS]) -> Self {
        Self {
            miniport,
            permanent_address: address,
            current_address: address,
            lower: LowerEdge::EMPTY,
            receive: ReceiveResources::EMPTY,
            state: SpinLock::new(AdapterState {
                phase: Phase::Paused,
                surprise_removed: false,
                media_connected: false,
                reads_posted: [false; READ_REQUESTS],
                pause_references: 0,
                pause_pending: false,
                packet_filter: 0,
                lookahead: 0,
                multicast: MulticastList::EMPTY,
            }),
            counters: Counters::default(),
            shut_down: AtomicBool::new(false),
        }
    }

    /// The handle this adapter gave NDIS (and KMDF, as completion context) for itself.
    pub fn context(&self) -> NdisHandle {
        NdisHandle(core::ptr::from_ref(self).cast_mut().cast())
    }

    /// Release every resource, in the reverse order of initialize: stop the target (cancel and wait
    /// for sent I/O), delete the requests and the device, free the receive NBLs, pool and frames.
    /// Also the unwind of a failed initialize: only what exists is released.
    pub fn release_resources(&mut self) {
        self.lower.stop_and_cancel();
        self.lower.delete();
        self.receive.free();
    }

    // -----------------------------------------------------------------------------------------
    // MiniportRestart (PASSIVE_LEVEL)

    /// Paused → Restarting → Running: arm the receive reads.
    pub fn restart(&self) -> NdisStatus {
        let to_post = {
            let mut state = self.state.lock();
            if state.surprise_removed {
                // The device is gone; nothing may be sent below (ndis-kmdf.md §3.7).
                return NDIS_STATUS_NOT_ACCEPTED;
            }
            state.phase = Phase::Restarting;
            claim_idle_reads(&mut state)
        };
        self.post_reads(&to_post);
        self.state.lock().phase = Phase::Running;
        NDIS_STATUS_SUCCESS
    }

    // -----------------------------------------------------------------------------------------
    // MiniportPause (PASSIVE_LEVEL): cannot fail.

    /// Running → Pausing → Paused. Sends are never held (they complete in the send handler), so
    /// the pause waits only for the reads it cancels; it pends until the last one completes.
    pub fn pause(&self) -> NdisStatus {
        let to_cancel = {
            let mut state = self.state.lock();
            state.phase = Phase::Pausing;
            let in_flight = state.reads_posted.iter().filter(|posted| **posted).count();
            state.pause_references = u32::try_from(in_flight).unwrap_or(u32::MAX).saturating_add(1);
            state.pause_pending = true;
            state.reads_posted
        };
        for (index, posted) in to_cancel.iter().enumerate() {
            if *posted && let Some(slot) = self.lower.read_request(index) {
                // Outside the lock: the completion routine may run before this returns.
                sys::wdf_request_cancel_sent_request(slot.request);
            }
        }
        if self.release_pause_reference() { NDIS_STATUS_SUCCESS } else { NDIS_STATUS_PENDING }
    }

    /// Drop one pause reference; true if that finished the pause (the adapter is Paused).
    fn release_pause_reference(&self) -> bool {
        let mut state = self.state.lock_any();
        if !state.pause_pending {
            return false;
        }
        state.pause_references = state.pause_references.saturating_sub(1);
        if state.pause_references == 0 {
            state.pause_pending = false;
            state.phase = Phase::Paused;
            true
        } else {
            false
        }
    }

    // -----------------------------------------------------------------------------------------
    // Reads: posting and completion

    fn post_reads(&self, slots: &[bool; READ_REQUESTS]) {
        for (index, claimed) in slots.iter().enumerate() {
            if *claimed {
                self.post_read(index);
            }
        }
    }

    /// Send read `index` below; the slot was marked posted under the lock by the caller.
    fn post_read(&self, index: usize) {
        let context = WdfContext(self.context().as_ptr());
        let sent = self.lower.post_read(index, entry::read_completion, context);
        if sent.is_ok() {
            // A pause that began while this read was claimed but not yet sent could not cancel it;
            // cancel it now so the pause completes (NDIS may pause during a reset, §3.3).
            let pausing = self.state.lock_any().phase == Phase::Pausing;
            if pausing && let Some(slot) = self.lower.read_request(index) {
                sys::wdf_request_cancel_sent_request(slot.request);
            }
        } else {
            bump(&self.counters.lower_send_failures, 1);
            let finished_pause = {
                let mut state = self.state.lock_any();
                if let Some(posted) = state.reads_posted.get_mut(index) {
                    *posted = false;
                }
                state.pause_pending
            };
            // A pause that raced with this post counted this read: release it.
            if finished_pause && self.release_pause_reference() {
                sys::ndis_m_pause_complete(self.miniport);
            }
        }
    }

    /// A read came back (completion routine, <= DISPATCH_LEVEL).
    pub fn read_completed(&self, request: WdfRequest) {
        let Some(index) = self.lower.read_index(request) else {
            bump(&self.counters.lower_unknown_completions, 1);
            return;
        };
        let status = sys::wdf_request_get_status(request);
        if nt_success(status) {
            bump(&self.counters.lower_read_batches, 1);
            let bytes = u64::try_from(sys::wdf_request_get_information(request)).unwrap_or(u64::MAX);
            bump(&self.counters.lower_read_bytes, bytes);
        } else if status != STATUS_CANCELLED {
            bump(&self.counters.lower_read_errors, 1);
        }

        let shut_down = self.shut_down.load(Ordering::Acquire);
        let (repost, pause_pending) = {
            let mut state = self.state.lock_any();
            let running = matches!(state.phase, Phase::Restarting | Phase::Running);
            // A failed read is not re-sent at once: a device that fails every read would spin
            // here. The next restart or reset re-arms it.
            let repost = nt_success(status) && running && !state.surprise_removed && !shut_down;
            if let Some(posted) = state.reads_posted.get_mut(index) {
                *posted = repost;
            }
            (repost, state.pause_pending)
        };
        if repost {
            self.post_read(index);
        } else if pause_pending && self.release_pause_reference() {
            sys::ndis_m_pause_complete(self.miniport);
        }
    }

    // -----------------------------------------------------------------------------------------
    // MiniportSendNetBufferLists (<= DISPATCH_LEVEL)

    pub fn send_net_buffer_lists(&self, mut chain: SendChain, send_flags: u32) {
        let gate = {
            let state = if send_flags & NDIS_SEND_FLAGS_DISPATCH_LEVEL != 0 {
                self.state.lock_at_dpc()
            } else {
                self.state.lock()
            };
            SendGate {
                surprise_removed: state.surprise_removed,
                shut_down: self.shut_down.load(Ordering::Acquire),
                running: state.phase == Phase::Running,
                media_connected: state.media_connected,
            }
        };
        let status = send::send_status(gate);
        let count = chain.set_status(status);
        if status != NDIS_STATUS_SUCCESS {
            bump(&self.counters.xmit_discards, count);
        }
        chain.complete(self.miniport, send::completion_flags(send_flags));
    }

    // -----------------------------------------------------------------------------------------
    // MiniportReturnNetBufferLists (<= DISPATCH_LEVEL)

    /// Receive NBLs come back here. Until the receive path indicates, any NBL NDIS returns is one
    /// this adapter never gave it: counted, never touched.
    pub fn return_net_buffer_lists(&self, returned: ReturnedChain) {
        for nbl in returned {
            if !self.receive.owns(nbl) {
                bump(&self.counters.foreign_returns, 1);
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // MiniportResetEx (<= DISPATCH_LEVEL)

    /// Nothing is ever held across a reset (sends and OIDs complete at once, NDIS 6.30 rule in
    /// ndis-kmdf.md §3.4); the reset re-arms any read a device error left idle.
    pub fn reset(&self) -> Result<bool, NdisStatus> {
        let to_post = {
            let mut state = self.state.lock_any();
            if state.surprise_removed {
                return Err(NDIS_STATUS_NOT_ACCEPTED);
            }
            if matches!(state.phase, Phase::Restarting | Phase::Running)
                && !self.shut_down.load(Ordering::Acquire)
            {
                claim_idle_reads(&mut state)
            } else {
                [false; READ_REQUESTS]
            }
        };
        self.post_reads(&to_post);
        // AddressingReset FALSE: the filter, multicast list and lookahead survive a reset.
        Ok(false)
    }

    // -----------------------------------------------------------------------------------------
    // MiniportDevicePnPEventNotify (PASSIVE_LEVEL)

    pub fn device_pnp_event(&self, event: NdisDevicePnpEvent) {
        if event == NDIS_DEVICE_PNP_EVENT_SURPRISE_REMOVED {
            self.state.lock().surprise_removed = true;
            // Cancel everything sent to the vanished device and wait for it (PASSIVE_LEVEL); the
            // completion routines see the flag and send nothing new.
            self.lower.stop_and_cancel();
        }
    }

    // -----------------------------------------------------------------------------------------
    // MiniportShutdownEx

    /// `NdisShutdownPowerOff` (PASSIVE): quiesce the lower edge, keep every resource.
    /// `NdisShutdownBugCheck` (HIGH_LEVEL): only set the flag: no lock, no wait, no allocation,
    /// no free (ndis-kmdf.md §3.2).
    pub fn shutdown(&self, action: NdisShutdownAction) {
        self.shut_down.store(true, Ordering::Release);
        if action == NDIS_SHUTDOWN_POWER_OFF {
            self.lower.stop_and_cancel();
        }
    }
}

/// Mark every idle read slot posted and return which ones the caller must now send.
fn claim_idle_reads(state: &mut AdapterState) -> [bool; READ_REQUESTS] {
    let mut claimed = [false; READ_REQUESTS];
    for (posted, claim) in state.reads_posted.iter_mut().zip(claimed.iter_mut()) {
        if !*posted {
            *posted = true;
            *claim = true;
        }
    }
    claimed
}
