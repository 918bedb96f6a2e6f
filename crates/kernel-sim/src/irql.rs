//! IRQL and spin locks. The model keeps a current IRQL per processor (`crate::mp`; one processor
//! unless the build runs several), checks each call against the highest IRQL its documentation allows, invokes
//! handlers at their documented IRQL, and checks that a callback returns at the IRQL it entered with
//! and holding no lock it took.

use crate::state::{Inner, State};
use crate::verifier::rules::*;
use ndis_types::{DISPATCH_LEVEL, Kirql, PASSIVE_LEVEL};

/// A driver callback on the stack.
pub(crate) struct Frame {
    pub(crate) what: &'static str,
    pub(crate) entry_irql: Kirql,
    /// Where the stack was when the model entered the callback (`stack::stack_pointer`).
    pub(crate) stack_base: usize,
    /// Requests this callback itself sent while at DISPATCH_LEVEL (`Dpc.WorkBound`).
    pub(crate) sends_at_dispatch: usize,
    /// The most stack it has used so far (`Stack.Budget`).
    pub(crate) stack_peak: usize,
    /// Its place in the order callbacks were entered, on every processor
    /// (`State::callbacks_entered`).
    pub(crate) entered: u64,
    /// It called `NdisMPauseComplete` for this adapter: NDIS may halt and free the adapter from
    /// then on, so until it returns it must touch nothing of it
    /// (`Ndis.NothingTouchedAfterPauseComplete`).
    pub(crate) completed_pause_of: Option<crate::AdapterId>,
    /// It called `NdisMResetComplete` for this adapter: until it returns, the driver may still be
    /// refusing sends for that reset (RESET_IN_PROGRESS is right for one that began meanwhile).
    pub(crate) reported_reset_of: Option<crate::AdapterId>,
}

/// A spin lock that is held, keyed by the address of its `KSPIN_LOCK`.
pub(crate) struct HeldLock {
    /// Acquired with `KeAcquireSpinLockRaiseToDpc` (true) or `KeAcquireSpinLockAtDpcLevel`.
    pub(crate) raised: bool,
    pub(crate) old_irql: Kirql,
    /// `frames.len()` when acquired: the callback that owns it.
    pub(crate) depth: usize,
    pub(crate) acquired_in: &'static str,
}

/// The spin locks held right now, keyed by the address of their `KSPIN_LOCK`: a handful at most, so
/// a small vector searched linearly (the data path takes and drops locks several times per frame;
/// a hashed map cost more than the driver's own work).
#[derive(Default)]
pub(crate) struct LockTable(Vec<(usize, HeldLock)>);

impl LockTable {
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn get(&self, key: &usize) -> Option<&HeldLock> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, l)| l)
    }

    pub(crate) fn insert(&mut self, key: usize, lock: HeldLock) {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = lock,
            None => self.0.push((key, lock)),
        }
    }

    pub(crate) fn remove(&mut self, key: &usize) -> Option<HeldLock> {
        let i = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(i).1)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&usize, &HeldLock)> {
        self.0.iter().map(|(k, l)| (k, l))
    }
}

impl<'a> IntoIterator for &'a LockTable {
    type Item = (&'a usize, &'a HeldLock);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (usize, HeldLock)>,
        fn(&'a (usize, HeldLock)) -> (&'a usize, &'a HeldLock),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, l)| (k, l))
    }
}

/// The `KSPIN_LOCK` addresses `KeInitializeSpinLock` initialized (`Lock.InitializedBeforeUse`). All
/// zero happens to be an initialized lock on Windows, so zeroed memory would pass unnoticed there;
/// the model needs the explicit set. A few locks per adapter: a small vector, searched linearly
/// (the acquire is hot, as in [`LockTable`]).
#[derive(Default)]
pub(crate) struct InitializedLocks(Vec<usize>);

impl InitializedLocks {
    fn insert(&mut self, lock: usize) {
        if !self.contains(lock) {
            self.0.push(lock);
        }
    }

    fn contains(&self, lock: usize) -> bool {
        self.0.contains(&lock)
    }

    /// Memory at `[start, start + len)` is freed: the locks in it are gone.
    pub(crate) fn forget_range(&mut self, start: usize, len: usize) {
        self.0.retain(|&l| l < start || l >= start.saturating_add(len));
    }
}

/// Calls that allocate, free or wait: forbidden in the bug-check shutdown path.
const ALLOC_FREE_WAIT: &[&str] = &[
    "WdfRequestCreate",
    "WdfMemoryCreate",
    "WdfObjectDelete",
    "WdfIoTargetStop",
    "NdisAllocateMemoryWithTagPriority",
    "NdisFreeMemoryWithTagPriority",
    "NdisAllocateNetBufferListPool",
    "NdisFreeNetBufferListPool",
    "NdisAllocateNetBufferAndNetBufferList",
    "NdisFreeNetBufferList",
    "NdisAllocateMdl",
    "NdisFreeMdl",
];

pub(crate) fn irql_name(irql: Kirql) -> String {
    match irql {
        0 => "PASSIVE_LEVEL".into(),
        1 => "APC_LEVEL".into(),
        2 => "DISPATCH_LEVEL".into(),
        15 => "HIGH_LEVEL".into(),
        n => format!("IRQL {n}"),
    }
}

/// What of an adapter a call reaches.
#[derive(Clone, Copy)]
pub(crate) enum AdapterTouch {
    /// The adapter itself (its handle, or an object of its lower edge).
    Adapter(crate::AdapterId),
    /// An address: the adapter's if it lies in its context area.
    Memory(usize),
}

impl State {
    /// `Ndis.NothingTouchedAfterPauseComplete`: a callback on this processor that called
    /// `NdisMPauseComplete` reaches the adapter again before returning. From that call on NDIS may
    /// run `MiniportHaltEx` on another processor and the driver free the adapter ("NdisMPauseComplete
    /// function (ndis.h)": after it "the miniport adapter is in the Paused state", and a paused
    /// adapter may be halted).
    pub(crate) fn check_not_touched_after_pause_complete(&mut self, api: &'static str, touch: AdapterTouch) {
        // The calling callback itself (an inner one NDIS or KMDF started later is a fresh call
        // into the driver). Hot (every lock call): nothing to look up unless it completed a pause.
        let Some((what, a)) = self.cpu.frames.last().and_then(|f| f.completed_pause_of.map(|a| (f.what, a)))
        else {
            return;
        };
        // Restarted since: the adapter is alive again.
        if matches!(self.adapter(a).state, crate::AdapterState::Restarting | crate::AdapterState::Running) {
            return;
        }
        let touched = match touch {
            AdapterTouch::Adapter(other) => other == a,
            AdapterTouch::Memory(address) => {
                let context = self.adapter(a).registration.as_ref().map_or(0, |r| r.miniport_adapter_context);
                self.mem.live.get(&context).is_some_and(|alloc| {
                    address >= context && address < context.saturating_add(alloc.length as usize)
                })
            }
        };
        if touched {
            let msg = format!(
                "{api} from {what} reaches adapter {} after the same callback called NdisMPauseComplete for it: NDIS may halt and free the adapter from that call on",
                a.0
            );
            self.violate(NDIS_NOTHING_TOUCHED_AFTER_PAUSE_COMPLETE, msg);
        }
    }

    /// The surprise-removal handler on this processor releases a spin lock: from here on its
    /// other processors can have seen the removal (`State::hardware_gone_for_caller`).
    fn note_surprise_removal_published(&mut self) {
        if self.cpu.frames.last().is_none_or(|f| f.what != "MiniportDevicePnPEventNotify") {
            return;
        }
        let (loaded, now) = (self.loaded, self.callbacks_entered);
        for adapter in &mut self.ndis.adapters {
            if adapter.surprise_notify_on == Some(loaded) && adapter.surprise_published.is_none() {
                adapter.surprise_published = Some(now);
            }
        }
    }

    /// A handler NDIS may call at any IRQL up to DISPATCH: the seed picks PASSIVE or DISPATCH
    /// (rule `Irql.HandlerEntry`: exercise both).
    pub(crate) fn seeded_irql(&mut self) -> Kirql {
        if self.rng.coin() { DISPATCH_LEVEL } else { PASSIVE_LEVEL }
    }

    fn caller(&self) -> &'static str {
        self.cpu.frames.last().map(|f| f.what).unwrap_or("the test")
    }

    /// `api` may be called at most at `max`; `rule` names the violation when it is not.
    pub(crate) fn check_irql_rule(&mut self, api: &'static str, max: Kirql, rule: &'static str) -> bool {
        if self.cpu.bugcheck_mode && (max == PASSIVE_LEVEL || ALLOC_FREE_WAIT.contains(&api)) {
            let caller = self.caller();
            self.violate(
                NDIS_SHUTDOWN_BUGCHECK_PATH,
                format!("{api} called from {caller} in the bug-check shutdown path (HIGH_LEVEL): no allocation, free, wait or PASSIVE-only call is allowed there"),
            );
            return false;
        }
        if max == PASSIVE_LEVEL && !self.cpu.locks.is_empty() {
            let held: Vec<String> =
                self.cpu.locks.iter().map(|(k, l)| format!("{k:#x} (taken in {})", l.acquired_in)).collect();
            self.violate(
                LOCK_NO_BLOCKING_WHILE_HELD,
                format!("{api} (PASSIVE_LEVEL only) called while holding spin lock(s) {}", held.join(", ")),
            );
        }
        if self.cpu.irql > max {
            let caller = self.caller();
            let (now, max_s) = (irql_name(self.cpu.irql), irql_name(max));
            self.violate(rule, format!("{api} called at {now} from {caller}; it requires IRQL <= {max_s}"));
            return false;
        }
        true
    }

    pub(crate) fn check_irql(&mut self, api: &'static str, max: Kirql) -> bool {
        self.check_irql_rule(api, max, IRQL_CALL_ABOVE_MAX)
    }

    pub(crate) fn ke_initialize_spin_lock(&mut self, lock: *mut usize) {
        if let Some(held) = self.cpu.locks.remove(&(lock as usize)) {
            self.violate(
                LOCK_BALANCED,
                format!(
                    "KeInitializeSpinLock({lock:p}) on a lock that is held (taken in {})",
                    held.acquired_in
                ),
            );
        }
        self.lock_order.forget(lock as usize);
        self.initialized_locks.insert(lock as usize);
        // SAFETY: the facade passes the address of the driver's KSPIN_LOCK, valid for writes.
        unsafe { lock.write(0) };
    }

    /// `Lock.InitializedBeforeUse`: "This routine must be called before an initial call to
    /// KeAcquireSpinLock ... or to any other support routine that requires a spin lock as an
    /// argument" (KeInitializeSpinLock function (wdm.h), Remarks).
    fn check_initialized(&mut self, api: &'static str, lock: *mut usize) {
        if !self.initialized_locks.contains(lock as usize) {
            let msg = format!(
                "{api}({lock:p}) from {}: the spin lock was never initialized with KeInitializeSpinLock / NdisAllocateSpinLock (or its memory was freed since)",
                self.caller()
            );
            self.violate(LOCK_INITIALIZED_BEFORE_USE, msg);
        }
    }

    /// Whether another processor holds `lock` (its `KSPIN_LOCK` is set, and not by this one): the
    /// caller spins. Only with several processors; with one, a set lock that this processor does not
    /// hold is reported when acquired.
    pub(crate) fn held_elsewhere(&self, lock: *mut usize) -> bool {
        crate::mp::MULTIPROCESSOR
            && self.initialized_locks.contains(lock as usize)
            && self.cpu.locks.get(&(lock as usize)).is_none()
            // SAFETY: an initialized lock whose memory has not been freed (`InitializedLocks`).
            && unsafe { lock.read() } != 0
    }

    fn acquire(&mut self, api: &'static str, lock: *mut usize, raised: bool, old_irql: Kirql) {
        let key = lock as usize;
        self.check_initialized(api, lock);
        self.check_not_touched_after_pause_complete(api, AdapterTouch::Memory(key));
        if let Some(held) = self.cpu.locks.get(&key) {
            let msg = format!(
                "{api}({lock:p}) from {}: the lock is already held (taken in {}); on Windows this processor spins forever",
                self.caller(),
                held.acquired_in
            );
            self.violate_fatal(LOCK_RECURSIVE, msg);
        }
        let depth = self.cpu.frames.len();
        let acquired_in = self.caller();
        // Hot: no allocation unless an inversion is found.
        let mut inverted = None;
        for (&outer, _) in self.cpu.locks.iter() {
            if let Some(chain) = self.lock_order.record(outer, key) {
                inverted = Some((outer, chain));
                break;
            }
        }
        if let Some((outer, chain)) = inverted {
            let chain: Vec<String> = chain.iter().map(|l| format!("{l:#x}")).collect();
            let msg = format!(
                "{api}({lock:p}) from {acquired_in} while holding {outer:#x}, but the driver has taken them the other way round before ({}): two processors doing both deadlock",
                chain.join(" then ")
            );
            self.violate(LOCK_ORDER, msg);
        }
        self.cpu.locks.insert(key, HeldLock { raised, old_irql, depth, acquired_in });
        // SAFETY: as in ke_initialize_spin_lock; a held KSPIN_LOCK is non-zero on Windows too.
        unsafe { lock.write(1) };
    }

    pub(crate) fn ke_acquire_spin_lock_raise_to_dpc(&mut self, lock: *mut usize) -> Kirql {
        let api = "KeAcquireSpinLockRaiseToDpc";
        self.check_irql(api, DISPATCH_LEVEL);
        let old = self.cpu.irql;
        self.acquire(api, lock, true, old);
        self.cpu.irql = self.cpu.irql.max(DISPATCH_LEVEL);
        old
    }

    pub(crate) fn ke_acquire_spin_lock_at_dpc_level(&mut self, lock: *mut usize) {
        let api = "KeAcquireSpinLockAtDpcLevel";
        self.check_irql(api, DISPATCH_LEVEL);
        if self.cpu.irql < DISPATCH_LEVEL {
            let msg = format!(
                "{api}({lock:p}) called at {} from {}; it requires DISPATCH_LEVEL",
                irql_name(self.cpu.irql),
                self.caller()
            );
            self.violate(IRQL_CALL_BELOW_MIN, msg);
        }
        let old = self.cpu.irql;
        self.acquire(api, lock, false, old);
    }

    fn release(&mut self, api: &'static str, lock: *mut usize, raised: bool) -> Option<HeldLock> {
        let key = lock as usize;
        self.check_not_touched_after_pause_complete(api, AdapterTouch::Memory(key));
        self.note_surprise_removal_published();
        match self.cpu.locks.remove(&key) {
            None if self.held_elsewhere(lock) => {
                let msg = format!(
                    "{api}({lock:p}) from {} on processor {}: another processor acquired it; a spin lock is released on the processor that holds it, at the IRQL it raised",
                    self.caller(),
                    self.loaded
                );
                self.violate(LOCK_SAME_PROCESSOR, msg);
                None
            }
            None => {
                // A held lock was checked when it was acquired.
                self.check_initialized(api, lock);
                let msg = format!(
                    "{api}({lock:p}) from {}: the lock is not held (never acquired, or released twice)",
                    self.caller()
                );
                self.violate(LOCK_BALANCED, msg);
                None
            }
            Some(held) => {
                if held.raised != raised {
                    let how = if held.raised {
                        "KeAcquireSpinLockRaiseToDpc"
                    } else {
                        "KeAcquireSpinLockAtDpcLevel"
                    };
                    let msg = format!(
                        "{api}({lock:p}) releases a lock taken with {how} in {}: acquire and release must match",
                        held.acquired_in
                    );
                    self.violate(LOCK_BALANCED, msg);
                }
                // SAFETY: as in ke_initialize_spin_lock.
                unsafe { lock.write(0) };
                Some(held)
            }
        }
    }

    pub(crate) fn ke_release_spin_lock(&mut self, lock: *mut usize, new_irql: Kirql) {
        let api = "KeReleaseSpinLock";
        if self.cpu.irql != DISPATCH_LEVEL {
            let msg = format!(
                "{api}({lock:p}) called at {}; a lock holder runs at DISPATCH_LEVEL",
                irql_name(self.cpu.irql)
            );
            self.violate(LOCK_BALANCED, msg);
        }
        if let Some(held) = self.release(api, lock, true)
            && held.old_irql != new_irql
        {
            let msg = format!(
                "{api}({lock:p}, {}) but the acquire returned {}: the IRQL is restored wrongly",
                irql_name(new_irql),
                irql_name(held.old_irql)
            );
            self.violate(LOCK_BALANCED, msg);
        }
        if new_irql < DISPATCH_LEVEL && !self.cpu.locks.is_empty() {
            let msg = format!(
                "{api}({lock:p}) lowers the IRQL to {} while other spin locks are still held: locks released out of order",
                irql_name(new_irql)
            );
            self.violate(LOCK_BALANCED, msg);
        }
        self.cpu.irql = new_irql.min(self.cpu.irql);
    }

    pub(crate) fn ke_release_spin_lock_from_dpc_level(&mut self, lock: *mut usize) {
        let api = "KeReleaseSpinLockFromDpcLevel";
        if self.cpu.irql < DISPATCH_LEVEL {
            let msg =
                format!("{api}({lock:p}) called at {}; it requires DISPATCH_LEVEL", irql_name(self.cpu.irql));
            self.violate(IRQL_CALL_BELOW_MIN, msg);
        }
        self.release(api, lock, false);
    }

    /// A callback frame returns: it must leave the IRQL as it found it and hold no lock it took.
    fn pop_frame(&mut self, restore_irql: Kirql) {
        let frame = self.cpu.frames.pop().expect("kernel-sim bug: frame stack underflow");
        self.record_stack_peak(frame.what, frame.stack_peak);
        let depth = self.cpu.frames.len() + 1;
        if self.cpu.irql != frame.entry_irql {
            let msg = format!(
                "{} returned at {}, but was called at {}",
                frame.what,
                irql_name(self.cpu.irql),
                irql_name(frame.entry_irql)
            );
            self.violate(LOCK_BALANCED, msg);
        }
        let leaked: Vec<usize> =
            self.cpu.locks.iter().filter(|(_, l)| l.depth >= depth).map(|(k, _)| *k).collect();
        for key in leaked {
            self.cpu.locks.remove(&key);
            let msg = format!("{} returned still holding spin lock {key:#x}", frame.what);
            self.violate(LOCK_BALANCED, msg);
        }
        self.cpu.irql = restore_irql;
    }
}

impl Inner {
    /// Take a spin lock with `take` (one of the acquire calls above) once no other processor holds
    /// it: this processor spins meanwhile, letting the others run, as `KeAcquireSpinLock*` does. A
    /// spin that never ends is two processors each waiting for a lock the other holds.
    pub(crate) fn acquire_when_free<R>(
        &self,
        api: &'static str,
        lock: *mut usize,
        take: impl FnOnce(&mut State) -> R,
    ) -> R {
        if !crate::mp::MULTIPROCESSOR {
            return self.with(take);
        }
        let mut take = Some(take);
        let mut spins = 0u32;
        loop {
            let taken = self.with(|st| match st.held_elsewhere(lock) {
                true => None,
                false => take.take().map(|take| take(st)),
            });
            if let Some(result) = taken {
                return result;
            }
            spins += 1;
            if spins >= crate::mp::SPIN_LIMIT {
                self.with(|st| {
                    let msg = format!(
                        "{api}({lock:p}) from {} on processor {}: the lock stayed held by another processor for {spins} spins; the processors wait for each other",
                        st.caller(),
                        st.loaded
                    );
                    st.violate_fatal(LOCK_DEADLOCK, msg)
                });
            }
            crate::mp::spin_pause();
        }
    }

    /// Call into the driver (`f`) as the callback `what`, at `irql`, with no state borrowed.
    pub(crate) fn invoke<R>(&self, what: &'static str, irql: Kirql, f: impl FnOnce() -> R) -> R {
        self.invoke_then(what, irql, f, |_| ())
    }

    /// As [`Inner::invoke`], with `then` run on the state as the callback's frame is popped, in the
    /// same step (what the model must record as of the moment the call returned).
    pub(crate) fn invoke_then<R>(
        &self,
        what: &'static str,
        irql: Kirql,
        f: impl FnOnce() -> R,
        then: impl FnOnce(&mut State),
    ) -> R {
        let stack_base = crate::stack::stack_pointer();
        let previous = self.with(|st| {
            let previous = st.cpu.irql;
            st.check_nesting(what, st.cpu.frames.len());
            st.cpu.irql = irql;
            st.callbacks_entered += 1;
            let entered = st.callbacks_entered;
            st.cpu.frames.push(Frame {
                what,
                entry_irql: irql,
                stack_base,
                sends_at_dispatch: 0,
                stack_peak: 0,
                entered,
                completed_pause_of: None,
                reported_reset_of: None,
            });
            if st.trace.enabled() {
                st.log(format!("-> {what} at {}", irql_name(irql)));
            }
            previous
        });
        let result = f();
        self.with(|st| {
            st.pop_frame(previous);
            then(st);
            if st.trace.enabled() {
                st.log(format!("<- {what}"));
            }
        });
        result
    }
}
