//! The model's whole state, behind one `RefCell` in [`Inner`]. Driver code re-enters the model from
//! inside callbacks, so no borrow is ever held while the model calls into the driver: every
//! operation borrows, decides, releases, calls, and borrows again.

use crate::faults::Faults;
use crate::irql::{Frame, LockTable};
use crate::kmdf::KmdfState;
use crate::loader::LoaderState;
use crate::memory::MemoryState;
use crate::ndis::NdisState;
use crate::ndis::datapath::DataState;
use crate::rng::Rng;
use crate::sched::Scheduler;
use crate::verifier::Violation;
use crate::{AdapterId, Phase, SimConfig};
use core::cell::RefCell;
use ndis_types::{Kirql, PASSIVE_LEVEL};
use std::time::Duration;

/// Non-canonical on x64 and ARM64: a driver that dereferences a model token faults at once.
const TOKEN_BASE: usize = 0xDEAD_0000_0000_0000;

pub(crate) struct State {
    pub(crate) rng: Rng,
    pub(crate) now: Duration,
    pub(crate) irql: Kirql,
    /// Driver callbacks currently on the (single) stack, innermost last.
    pub(crate) frames: Vec<Frame>,
    /// Model operations in progress (what `FallibleCall::phase` reports), innermost last.
    pub(crate) phases: Vec<Phase>,
    pub(crate) locks: LockTable,
    /// The addresses `KeInitializeSpinLock` initialized, until their memory is freed
    /// (`Lock.InitializedBeforeUse`).
    pub(crate) initialized_locks: crate::irql::InitializedLocks,
    /// Inside `MiniportShutdownEx(NdisShutdownBugCheck)`.
    pub(crate) bugcheck_mode: bool,
    pub(crate) violations: Vec<Violation>,
    pub(crate) faults: Faults,
    next_token: usize,
    pub(crate) mem: MemoryState,
    pub(crate) kmdf: KmdfState,
    pub(crate) ndis: NdisState,
    pub(crate) data: DataState,
    pub(crate) sched: Scheduler,
    pub(crate) loader: LoaderState,
    /// The OS calls and model events, in order (`Sim::calls`): every one, or the most recent
    /// `call_log_limit` (0: none is recorded, and hot paths skip formatting them).
    pub(crate) call_log: std::collections::VecDeque<String>,
    pub(crate) call_log_limit: Option<usize>,
    /// The per-frame verification of the data path (`Sim::set_checks`): snapshots of indicated
    /// frames, NB-chain and chain-loop checks of send completions, recorded frames and writes.
    pub(crate) checks: bool,
    /// Keep every raw write batch per adapter (`LowerDeviceControl::written_data`).
    pub(crate) record_writes: bool,
    /// Frames crossing the hub go here too (`Sim::set_capture`).
    pub(crate) capture: Option<crate::CaptureSink>,
    /// Allocations made on the driver's behalf (pool, NBL pools and NBLs, MDLs, WDF objects).
    pub(crate) allocations: u64,
    /// The vwire hub below every adapter, and the model's own tap port on it.
    pub(crate) hub: crate::lower::HubState,
    /// Stack use measured per callback, and the budget (`Stack.Budget`, `Stack.Recursion`).
    pub(crate) stack: crate::stack::StackState,
    /// NDIS I/O work items the driver allocated.
    pub(crate) work_items: crate::ndis::workitem::WorkItems,
    /// The spin-lock nesting order learnt so far (`Lock.Order`).
    pub(crate) lock_order: crate::lockorder::LockOrder,
}

impl State {
    pub(crate) fn new(config: &SimConfig) -> Self {
        Self {
            rng: Rng::new(config.seed),
            now: Duration::ZERO,
            irql: PASSIVE_LEVEL,
            frames: Vec::new(),
            phases: Vec::new(),
            locks: LockTable::default(),
            initialized_locks: crate::irql::InitializedLocks::default(),
            bugcheck_mode: false,
            violations: Vec::new(),
            faults: Faults::new(config.faults.clone()),
            next_token: TOKEN_BASE,
            mem: MemoryState::default(),
            kmdf: KmdfState::default(),
            ndis: NdisState::default(),
            data: DataState::default(),
            sched: Scheduler::default(),
            loader: LoaderState::default(),
            call_log: std::collections::VecDeque::new(),
            call_log_limit: None,
            checks: true,
            record_writes: true,
            capture: None,
            allocations: 0,
            hub: crate::lower::HubState::new(config.seed),
            stack: crate::stack::StackState::default(),
            work_items: crate::ndis::workitem::WorkItems::default(),
            lock_order: crate::lockorder::LockOrder::default(),
        }
    }

    /// A fresh opaque handle value, never reused within a run.
    pub(crate) fn mint(&mut self) -> usize {
        self.next_token += 0x40;
        self.next_token
    }

    pub(crate) fn log(&mut self, entry: impl Into<String>) {
        match self.call_log_limit {
            Some(0) => {}
            Some(limit) => {
                while self.call_log.len() >= limit {
                    self.call_log.pop_front();
                }
                self.call_log.push_back(entry.into());
            }
            None => self.call_log.push_back(entry.into()),
        }
    }

    /// Whether `log` records anything (hot paths skip formatting an entry nobody keeps).
    pub(crate) fn logging(&self) -> bool {
        self.call_log_limit != Some(0)
    }

    pub(crate) fn current_phase(&self) -> Phase {
        self.phases.last().copied().unwrap_or(Phase::Other)
    }

    /// The adapter whose operation is in progress, if any.
    pub(crate) fn phase_adapter(&self) -> Option<AdapterId> {
        match self.current_phase() {
            Phase::Initialize(a) | Phase::Restart(a) | Phase::Pause(a) | Phase::Halt(a) => Some(a),
            _ => None,
        }
    }
}

/// The kernel the driver sees: `ndis_types::host::Kernel` is implemented on this (kernel.rs).
pub(crate) struct Inner {
    st: RefCell<State>,
}

impl Inner {
    pub(crate) fn new(config: &SimConfig) -> Self {
        Self { st: RefCell::new(State::new(config)) }
    }

    /// Borrow the state for a decision. Never call the driver from inside `f`.
    /// Every call the driver makes into the model comes through here: the stack is measured
    /// (`Stack.Budget`) before the state is borrowed.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let sp = crate::stack::stack_pointer();
        let mut st = self
            .st
            .try_borrow_mut()
            .unwrap_or_else(|_| panic!("kernel-sim bug: state re-entered while borrowed"));
        st.probe_stack(sp);
        f(&mut st)
    }
}
