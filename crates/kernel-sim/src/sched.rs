//! Virtual time and the seeded scheduler: deferred completions and NBL returns are events with a
//! due time; among the events that are due the seed picks which runs next. Time only moves when the
//! scheduler needs it to (or the test advances it), and the timed verifier rules are checked every
//! time it moves.

use crate::AdapterId;
use crate::state::{Inner, State};
use ndis_types::NtStatus;
use std::time::Duration;

pub(crate) enum EventKind {
    CompleteRequest {
        request: usize,
        seq: u64,
        status: NtStatus,
        information: usize,
    },
    /// KMDF's send-options timer for a request (`WDF_REQUEST_SEND_OPTION_TIMEOUT`): cancels it with
    /// STATUS_IO_TIMEOUT. Removed when the request completes first, as KMDF stops the timer.
    SendTimeout {
        request: usize,
        seq: u64,
    },
    /// NDIS returns a seeded subset of the NBLs it holds for the adapter.
    ReturnSome {
        adapter: AdapterId,
    },
    /// The hub may have batches for pending reads (after a write, or when delayed frames fall due).
    PumpHub,
    /// A system worker thread runs a queued NDIS I/O work item.
    RunWorkItem {
        item: usize,
    },
}

pub(crate) struct Event {
    due: Duration,
    kind: EventKind,
}

#[derive(Default)]
pub(crate) struct Scheduler {
    events: Vec<Event>,
}

impl Scheduler {
    pub(crate) fn len(&self) -> usize {
        self.events.len()
    }
}

/// A runaway loop guard: no scenario needs this many events in one run.
const MAX_EVENTS_PER_RUN: usize = 10_000_000;

impl State {
    pub(crate) fn schedule(&mut self, delay: Duration, kind: EventKind) {
        let due = self.now + delay;
        self.sched.events.push(Event { due, kind });
    }

    /// Stop a request's send-options timer (it completed first).
    pub(crate) fn cancel_send_timeout(&mut self, request: usize, seq: u64) {
        self.sched.events.retain(
            |e| !matches!(e.kind, EventKind::SendTimeout { request: r, seq: s } if r == request && s == seq),
        );
    }

    /// Make sure the hub is pumped at `at` (or earlier): one `PumpHub` event is enough.
    pub(crate) fn schedule_pump_at(&mut self, at: Duration) {
        let at = at.max(self.now);
        if self.sched.events.iter().any(|e| matches!(e.kind, EventKind::PumpHub) && e.due <= at) {
            return;
        }
        self.sched.events.push(Event { due: at, kind: EventKind::PumpHub });
    }

    /// Move virtual time forward to `t` and check the timed rules.
    pub(crate) fn advance_to(&mut self, t: Duration) {
        if t > self.now {
            self.now = t;
        }
        self.check_send_timers();
        self.check_oid_timers();
    }

    /// The next event to run, if one is due by `limit` (advancing time to it); seeded among ties.
    fn take_next_event(&mut self, limit: Option<Duration>) -> Option<EventKind> {
        let earliest = self.sched.events.iter().map(|e| e.due).min()?;
        if limit.is_some_and(|l| earliest > l) {
            return None;
        }
        if earliest > self.now {
            self.advance_to(earliest);
        }
        let now = self.now;
        // The k-th due event, k seeded (counted twice rather than collected: this runs per event).
        let due = self.sched.events.iter().filter(|e| e.due <= now).count();
        let k = self.rng.below(due as u64) as usize;
        let pick = (0..self.sched.events.len())
            .filter(|&i| self.sched.events[i].due <= now)
            .nth(k)
            .expect("k < the number of due events");
        Some(self.sched.events.swap_remove(pick).kind)
    }
}

impl Inner {
    fn run_event(&self, kind: EventKind) {
        match kind {
            EventKind::CompleteRequest { request, seq, status, information } => {
                self.complete_request(request, seq, status, information);
            }
            EventKind::SendTimeout { request, seq } => {
                // KMDF's timer cancels the request; a read the hub filled has no cancel routine
                // (the bus owns it until its DPC completes it), so the cancel does nothing.
                let filled = self.with(|st| {
                    st.adapter_of_request(request).is_some_and(|a| st.adapter(a).lower.is_filled(request))
                });
                if !filled {
                    self.complete_request(request, seq, ndis_types::STATUS_IO_TIMEOUT, 0);
                }
            }
            EventKind::ReturnSome { adapter } => self.return_some(adapter),
            EventKind::PumpHub => self.pump_hub(),
            EventKind::RunWorkItem { item } => self.run_work_item(item),
        }
    }

    /// Run one event (advancing time to it if needed). False if there is none.
    pub(crate) fn run_one(&self) -> bool {
        match self.with(|st| st.take_next_event(None)) {
            Some(kind) => {
                self.run_event(kind);
                true
            }
            None => false,
        }
    }

    pub(crate) fn run_until_idle(&self) {
        let mut n = 0;
        while self.run_one() {
            n += 1;
            assert!(
                n < MAX_EVENTS_PER_RUN,
                "kernel-sim: the scheduler never goes idle (driver re-arms work forever?)"
            );
        }
    }

    /// Run events until `done` holds; false if nothing is left that could make it hold: the
    /// scheduler is idle and no other processor is running a scenario's work (which may still be
    /// inside the driver, or about to give it more).
    pub(crate) fn run_until(&self, done: impl Fn(&State) -> bool) -> bool {
        let mut n = 0;
        let mut waits = 0u32;
        loop {
            if self.with(|st| done(st)) {
                return true;
            }
            if !self.run_one() {
                // Looked at together: another processor may have scheduled work and finished since
                // `run_one` found none.
                let nothing_left = self.with(|st| st.sched.len() == 0 && !st.other_processors_busy());
                if nothing_left || waits >= crate::mp::SPIN_LIMIT {
                    return self.with(|st| done(st));
                }
                waits += 1;
                crate::mp::spin_pause();
                continue;
            }
            n += 1;
            assert!(n < MAX_EVENTS_PER_RUN, "kernel-sim: the scheduler never goes idle");
        }
    }

    /// Let `d` of virtual time pass, running every event that falls due in it, in order.
    pub(crate) fn advance_time(&self, d: Duration) {
        let target = self.with(|st| st.now + d);
        let mut n = 0;
        while let Some(kind) = self.with(|st| st.take_next_event(Some(target))) {
            self.run_event(kind);
            n += 1;
            assert!(n < MAX_EVENTS_PER_RUN, "kernel-sim: the scheduler never goes idle");
        }
        self.with(|st| st.advance_to(target));
    }
}
