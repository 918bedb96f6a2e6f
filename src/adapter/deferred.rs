//! Data-path work a call may not finish itself. Reads that complete inside their own
//! `WdfRequestSend` and writes the device completes at once can keep one call sending for as long as
//! other processors supply data or sends, at DISPATCH_LEVEL, until the DPC watchdog bug-checks
//! (0x133). So each loop has a bound ([`INLINE_READS_PER_CALL`], [`WRITES_PER_DRAIN`]); what is left
//! past it goes to the adapter's NDIS I/O work item, whose run posts the free reads and drains the
//! send queue at PASSIVE_LEVEL in a system thread (Doc nf-ndis-ndisqueueioworkitem), bounded the
//! same way, queueing itself again if need be. The return of a read's last held frame queues it
//! too (`receive`): the read goes below from here, not from `MiniportReturnNetBufferLists`.
//!
//! Every run is counted in `AdapterState::deferred_runs` in the lock section that decides the work
//! is still wanted, before the caller gives up what it holds: a pause waits for every queued run,
//! and a running one is a callback like any other (`rundown`), so halt, which follows the pause,
//! never frees the adapter under one.

use super::{Adapter, AdapterState};

/// Reads one call sends again after they completed inside their own `WdfRequestSend`, across all
/// the read slots it posts.
pub const INLINE_READS_PER_CALL: usize = 8;
/// Write requests one call of `drain_sends` sends.
pub const WRITES_PER_DRAIN: usize = 16;

impl Adapter {
    /// If `wanted` (judged under the adapter lock), count one run of the deferred-work item and
    /// return true; the caller then gives up what it holds and calls [`Adapter::queue_deferred_work`].
    pub(super) fn count_deferred_run_if(&self, wanted: impl FnOnce(&AdapterState) -> bool) -> bool {
        let mut state = self.state.lock_any();
        let wanted = wanted(&state);
        if wanted {
            state.deferred_runs = state.deferred_runs.saturating_add(1);
        }
        wanted
    }

    /// Queue the work item for the run just counted.
    pub(super) fn queue_deferred_work(&self) {
        if !self.deferred.queue() {
            // Already queued and not started: that run does this work too.
            self.finish_deferred_run();
        }
    }

    /// The work item's run (PASSIVE_LEVEL, a system thread), inside the callback the entry point
    /// counts: a pause that waited for this run finishes when that callback leaves.
    pub(super) fn run_deferred_work(&self) {
        self.deferred.started();
        self.post_idle_reads();
        self.drain_sends();
        self.finish_deferred_run();
    }

    /// One counted run is over (or was never queued).
    fn finish_deferred_run(&self) {
        let mut state = self.state.lock_any();
        state.deferred_runs = state.deferred_runs.saturating_sub(1);
    }
}
