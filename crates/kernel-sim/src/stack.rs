//! The kernel stack, measured. Windows gives a thread 24 KiB of kernel stack on x64
//! (`KERNEL_STACK_SIZE`, wdm.h) and overflowing it is a double fault (bug check 0x7F); the model's
//! thread has megabytes, so it measures instead:
//!
//! - **`Stack.Budget`**: at every call the driver makes into the model, the stack it has used since
//!   the model entered its innermost callback (the address of a local at the callback's entry minus
//!   the address of one at the call) must stay within [`StackBudget`]. That is the driver's own
//!   frames plus the thin host backend between them, measured where the driver is deepest: at its
//!   OS calls.
//! - **`Stack.Recursion`**: driver callbacks nest (a completion routine inside `WdfRequestSend`,
//!   a receive indication inside another adapter's send), and each level costs the driver's frames
//!   and NDIS's or KMDF's. More than [`MAX_NESTED_CALLBACKS`] on one stack is a driver that lets a
//!   device or a peer re-enter it without bound. When it happens the model records the violation
//!   and completes from then on through the scheduler, so the scenario ends instead of the process.

use crate::state::State;
use crate::verifier::rules::{DPC_WORK_BOUND, STACK_BUDGET, STACK_RECURSION};
use ndis_types::DISPATCH_LEVEL;
use std::collections::BTreeMap;

/// Callbacks of one driver nested on one stack, at most. The deepest correct nesting the model
/// produces: an NDIS handler (a send) → a completion routine run inline by the device below (a
/// write, or the peer's read the write served) → a read completing inside its own re-send (handed
/// back to that routine's loop, not nested further). Anything deeper repeats a level. One
/// `MiniportReturnNetBufferLists` that NDIS runs inside an indication may come on top: the
/// driver's return handler sends nothing, so it ends the chain.
pub const MAX_NESTED_CALLBACKS: usize = 3;

/// Requests one driver callback running at DISPATCH_LEVEL may send itself (nested callbacks count
/// for themselves): the model's stand-in for the DPC watchdog (bug check 0x133), which bounds the
/// time spent at DISPATCH_LEVEL. A loop that sends as long as the device below completes at once
/// and other processors keep it supplied (reads re-posted while data waits, writes drained while
/// sends keep coming) would otherwise never end. Twice what the miniport's own bounds allow.
pub const MAX_SENDS_PER_DISPATCH_CALLBACK: usize = 32;

/// How much stack the driver may use: inside one callback, and from its outermost callback down
/// through every callback nested in it (the model's frames between them standing for NDIS's and
/// KMDF's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StackBudget {
    pub callback: usize,
    pub nested: usize,
}

impl StackBudget {
    /// A release build of the driver: 8 KiB per callback, a third of the x64 kernel stack, and
    /// 12 KiB nested, half of it. The rest is for the callers (NDIS, TCP/IP, the PnP manager) and
    /// for KMDF and the I/O manager between nested callbacks.
    pub const RELEASE: Self = Self { callback: 8 * 1024, nested: 12 * 1024 };
    /// An unoptimized build (how `cargo test` builds the driver): every temporary gets its own
    /// stack slot and nothing is inlined, so the same code takes two to five times the stack (the
    /// driver's deepest callback measured 3.3 KiB in debug against 1.2 KiB in release, nested
    /// 5.8 KiB against 2.4 KiB). Twice the release budget: generous for the ratio, yet the old
    /// by-value adapter (92 KB in debug below `MiniportInitializeEx`) is far over it.
    pub const DEBUG: Self = Self { callback: 16 * 1024, nested: 24 * 1024 };

    /// The budget for the build the model runs in (the driver is built with the same profile).
    pub fn for_this_build() -> Self {
        if cfg!(debug_assertions) { Self::DEBUG } else { Self::RELEASE }
    }
}

/// The address of a local of the caller's frame: where the stack is now.
#[inline(never)]
pub(crate) fn stack_pointer() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

/// What the model has measured.
#[derive(Default)]
pub(crate) struct StackState {
    pub(crate) budget: Option<StackBudget>,
    /// The most stack each callback used (bytes).
    pub(crate) high_water: BTreeMap<&'static str, usize>,
    /// The most stack used from the outermost driver callback down, nested callbacks and the
    /// model's frames between them included (bytes).
    pub(crate) nested_high_water: usize,
    /// Callbacks already reported over the current budget (one violation each, not one per call).
    pub(crate) over_budget: std::collections::BTreeSet<&'static str>,
    /// The most driver callbacks that were on the stack at once.
    pub(crate) deepest: usize,
}

impl State {
    /// The driver called into the model with the stack at `sp`.
    pub(crate) fn probe_stack(&mut self, sp: usize) {
        let Some(outermost) = self.cpu.frames.first() else { return };
        let nested = outermost.stack_base.saturating_sub(sp);
        let Some(frame) = self.cpu.frames.last_mut() else { return };
        let used = frame.stack_base.saturating_sub(sp);
        // Hot (every call into the model): only a new peak of this callback or of the nesting is
        // worth a look at the budget.
        let new_peak = used > frame.stack_peak;
        frame.stack_peak = frame.stack_peak.max(used);
        let what = frame.what;
        let nested_peak = nested > self.stack.nested_high_water;
        self.stack.nested_high_water = self.stack.nested_high_water.max(nested);
        if !new_peak && !nested_peak {
            return;
        }
        let budget = self.stack.budget.unwrap_or_else(StackBudget::for_this_build);
        if used > budget.callback && self.stack.over_budget.insert(what) {
            let msg = format!(
                "{what} has used {used} bytes of stack at this call, over the {} byte budget (the x64 kernel stack is 24 KiB in all)",
                budget.callback
            );
            self.violate(STACK_BUDGET, msg);
        }
        if nested > budget.nested
            && self.cpu.frames.len() > 1
            && self.stack.over_budget.insert("nested callbacks")
        {
            let chain: Vec<&str> = self.cpu.frames.iter().map(|f| f.what).collect();
            let msg = format!(
                "{} nested has used {nested} bytes of stack at this call, over the {} byte budget for nested callbacks",
                chain.join(" -> "),
                budget.nested
            );
            self.violate(STACK_BUDGET, msg);
        }
    }

    /// A driver callback returns: its peak joins the per-callback record.
    pub(crate) fn record_stack_peak(&mut self, what: &'static str, peak: usize) {
        let recorded = self.stack.high_water.entry(what).or_insert(0);
        *recorded = (*recorded).max(peak);
    }

    /// A driver callback is about to be entered with `depth` callbacks already on the stack.
    pub(crate) fn check_nesting(&mut self, what: &'static str, depth: usize) {
        self.stack.deepest = self.stack.deepest.max(depth.saturating_add(1));
        // NDIS's return inside an indication is the one frame allowed on top (see the constant).
        let limit = if what == "MiniportReturnNetBufferLists" {
            MAX_NESTED_CALLBACKS.saturating_add(1)
        } else {
            MAX_NESTED_CALLBACKS
        };
        if depth < limit {
            return;
        }
        let chain: Vec<&str> = self.cpu.frames.iter().map(|f| f.what).collect();
        let msg = format!(
            "{what} entered with {depth} driver callbacks already on the stack ({}): more than {MAX_NESTED_CALLBACKS} nested",
            chain.join(" -> ")
        );
        self.violate(STACK_RECURSION, msg);
    }

    /// The innermost driver callback sends a request: counted while it runs at DISPATCH_LEVEL,
    /// against [`MAX_SENDS_PER_DISPATCH_CALLBACK`].
    pub(crate) fn count_send_at_dispatch(&mut self) {
        let irql = self.cpu.irql;
        let Some(frame) = self.cpu.frames.last_mut() else { return };
        if irql < DISPATCH_LEVEL {
            return;
        }
        frame.sends_at_dispatch += 1;
        if frame.sends_at_dispatch == MAX_SENDS_PER_DISPATCH_CALLBACK + 1 {
            let chain: Vec<&str> = self.cpu.frames.iter().map(|f| f.what).collect();
            let msg = format!(
                "{} has sent more than {MAX_SENDS_PER_DISPATCH_CALLBACK} requests at DISPATCH_LEVEL in one call: a loop that sends as long as the device completes at once runs into the DPC watchdog (0x133)",
                chain.join(" -> ")
            );
            self.violate(DPC_WORK_BOUND, msg);
        }
    }

    /// Whether the device below may complete inside the current call rather than later: not once
    /// the nesting bound has been passed (the callback that passed it has recorded the violation;
    /// deferring from then on keeps the scenario alive to report it).
    pub(crate) fn may_complete_inline(&self) -> bool {
        self.cpu.frames.len() <= MAX_NESTED_CALLBACKS
    }
}
