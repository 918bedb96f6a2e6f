//! The rundown of a pause or a reset: the one place that decides "the last outstanding operation
//! finished", as netvmini decides it in one routine (`NICAsyncResetOrPauseDpc`).
//!
//! A pause waits for the data path to drain ([`Adapter::data_path_idle`]), a reset for the writes
//! ([`Adapter::reset_idle`]). Outside the two handlers themselves, either becomes true only inside a
//! callback of the driver: a completion routine, `MiniportReturnNetBufferLists`,
//! `MiniportSendNetBufferLists`, `MiniportCancelSend`, the deferred-work run, `MiniportResetEx`. Each
//! of those entry points runs its work through [`Adapter::callback`] (the reset handler through the
//! same two halves, `enter_callback` and `leave_callback`), which counts it in `callbacks_inside`;
//! the callback that leaves last decrements the count under the adapter lock and, in the same
//! section, takes whatever pause or reset is now finished. No completion path has to remember to
//! look. The two other places the data path can go idle are safe without it: `MiniportPause` checks
//! for itself before it returns, and `MiniportRestart` (whose reads may be handed back and released)
//! never runs while a pause is pending, since NDIS restarts only a Paused adapter.
//!
//! The count is also what makes the last `NdisMPauseComplete` safe. Once it is called, NDIS may
//! halt the adapter and free it. Without the count, a callback on one processor could drain the
//! data path and, before it returned, another processor's callback could find the pause finished:
//! the first would then run on freed memory. A pause therefore waits for `callbacks_inside` to be
//! zero too. The callback that brings it to zero does so under the lock, serialized with the
//! pause handler's own check, and touches nothing of the adapter afterwards.
//!
//! A reset found finished is reported before the callback that found it stops counting, and
//! sends stay refused (RESET_IN_PROGRESS) until `NdisMResetComplete` has been called: a send
//! another processor handed over in between would otherwise be held across the reset.
//!
//! The pause and reset handlers decide for themselves whether they finish at once (they return
//! SUCCESS instead of PENDING). While they run (`pause_in_handler`, `reset_in_handler`) no
//! callback completes them, and the reset handler makes its decision in its own leaving section,
//! so it never calls `NdisMResetComplete` for itself before it has returned PENDING.

use super::{Adapter, AdapterState, Phase};
use crate::sync::atomic::Ordering;
use crate::sys;
use ndis_types::status::NDIS_STATUS_SUCCESS;

/// How a pause or a reset ended in its handler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandlerOutcome {
    /// Finished before the handler returned (`NDIS_STATUS_SUCCESS`).
    Finished,
    /// Waits for the data path; the rundown calls `NdisMPauseComplete` or `NdisMResetComplete`
    /// (`NDIS_STATUS_PENDING`).
    Pending,
}

impl Adapter {
    /// Run one callback's `work` counted in the rundown. When it leaves, a pending pause or reset
    /// it (or any callback before it) finished is completed. The caller must touch nothing of the
    /// adapter after this returns, since the pause it may complete lets NDIS halt and free it: the
    /// entry shims call it last, through `entry::in_callback`, which lets no borrow of the adapter
    /// out.
    pub(super) fn callback<R>(&self, work: impl FnOnce(&Self) -> R) -> R {
        self.enter_callback();
        let result = work(self);
        self.leave_callback(|_, _| ());
        result
    }

    /// A callback begins: a pause now waits for it to leave.
    pub(super) fn enter_callback(&self) {
        self.callbacks_inside.fetch_add(1, Ordering::AcqRel);
    }

    /// A callback leaves. Under the adapter lock, in one section: `decide` (what the reset handler
    /// decides about itself), the count drops, and the pause or reset that is finished now is
    /// taken; the completion calls come after the lock is released, and nothing of the adapter is
    /// touched after them.
    ///
    /// A reset found finished is reported first, while this callback still counts: no pause can
    /// finish meanwhile (so NDIS cannot halt the adapter under it), and sends keep being refused
    /// until `NdisMResetComplete` has told NDIS (`reset_reporting`): one accepted between the
    /// decision and that call would be held across the reset.
    pub(super) fn leave_callback<R>(&self, decide: impl FnOnce(&Self, &mut AdapterState) -> R) -> R {
        let (decided, reset_finished, mut pause_finished) = {
            let mut state = self.state.lock_any();
            let decided = decide(self, &mut state);
            let reset_finished = self.take_finished_reset(&mut state);
            let pause_finished = !reset_finished && self.leave_and_take_finished_pause(&mut state);
            (decided, reset_finished, pause_finished)
        };
        if reset_finished {
            sys::ndis_m_reset_complete(self.miniport, NDIS_STATUS_SUCCESS, false);
            let mut state = self.state.lock_any();
            state.reset_reporting = state.reset_reporting.saturating_sub(1);
            pause_finished = self.leave_and_take_finished_pause(&mut state);
        }
        // Last: from this call on NDIS may halt the adapter and free it; the handle is a copy.
        if pause_finished {
            sys::ndis_m_pause_complete(self.miniport);
        }
        decided
    }

    /// Nothing of the data path is outstanding and no callback is inside the adapter: what a
    /// pause waits for. Read and write slots must be idle, not merely out of flight: a read
    /// completion routine that holds its slot may be about to indicate receives (it checked the
    /// phase before the pause turned it), and a write completion routine that holds its slot
    /// still has sends to complete.
    pub(super) fn data_path_idle(&self, state: &AdapterState) -> bool {
        state.send.is_idle()
            && state.deferred_runs == 0
            && self.lower.reads.idle()
            && self.lower.writes.idle()
            && self.receive.nbls.indicated_count() == 0
            // Last, after the reads above, each made under a lock the callbacks take too: a
            // callback's increment, made before it touched any of that, is visible by now. Read
            // first (or the others made lock-free), the count could look zero on a weakly ordered
            // processor (ARM64) while a callback is still inside.
            && self.callbacks_inside.load(Ordering::Acquire) == 0
    }

    /// Nothing a reset waits for: no accepted send left (queued, or in the drain owner's hand: it
    /// may hold an NBL accepted before the reset, which another processor is packing), no write
    /// in flight, and none whose sends are still being completed. Sends that arrive meanwhile are
    /// refused with RESET_IN_PROGRESS (`send_status`), so this only drains.
    pub(super) fn reset_idle(&self, state: &AdapterState) -> bool {
        state.send.is_idle() && self.lower.writes.idle()
    }

    /// Under the adapter lock: the pending reset, if it is done now, marked done and being
    /// reported.
    fn take_finished_reset(&self, state: &mut AdapterState) -> bool {
        let reset = state.reset_pending && !state.reset_in_handler && self.reset_idle(state);
        if reset {
            state.reset_pending = false;
            state.reset_reporting = state.reset_reporting.saturating_add(1);
        }
        reset
    }

    /// Under the adapter lock: this callback leaves (serialized with the pause handler's check of
    /// the count), and the pending pause, if it is done now, is marked done.
    fn leave_and_take_finished_pause(&self, state: &mut AdapterState) -> bool {
        self.callbacks_inside.fetch_sub(1, Ordering::AcqRel);
        let pause = state.pause_pending && !state.pause_in_handler && self.data_path_idle(state);
        if pause {
            state.pause_pending = false;
            state.phase = Phase::Paused;
        }
        pause
    }
}
