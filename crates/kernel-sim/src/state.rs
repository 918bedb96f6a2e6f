//! The model's whole state, behind one `RefCell` in [`Inner`]. Driver code re-enters the model from
//! inside callbacks, so no borrow is ever held while the model calls into the driver: every
//! operation borrows, decides, releases, calls, and borrows again.

use crate::faults::Faults;
use crate::irql::{Frame, LockTable};
use crate::kmdf::KmdfState;
use crate::loader::LoaderState;
use crate::memory::MemoryState;
use crate::mp::ModelCell;
use crate::ndis::NdisState;
use crate::ndis::datapath::DataState;
use crate::rng::Rng;
use crate::sched::Scheduler;
use crate::verifier::Violation;
use crate::{AdapterId, Phase, SimConfig};
use ndis_types::{Kirql, PASSIVE_LEVEL};
use std::time::Duration;

/// Non-canonical on x64 and ARM64: a driver that dereferences a model token faults at once.
const TOKEN_BASE: usize = 0xDEAD_0000_0000_0000;

/// What one processor has of its own: the loaded processor's is [`State::cpu`] (every check reads
/// it there), the others wait in [`State::parked`]. Nothing here is shared between processors, so
/// a rule about one processor (IRQL, the locks it holds, the callbacks on its stack) reads only
/// this, and a rule about the machine asks every processor through [`State::processors`].
pub(crate) struct Processor {
    /// Its IRQL.
    pub(crate) irql: Kirql,
    /// Driver callbacks currently on its stack, innermost last.
    pub(crate) frames: Vec<Frame>,
    /// Model operations in progress on it (what `FallibleCall::phase` reports), innermost last.
    pub(crate) phases: Vec<Phase>,
    /// The spin locks it holds.
    pub(crate) locks: LockTable,
    /// It is inside `MiniportCancelSend(adapter, cancel id)`.
    pub(crate) cancelling: Option<(AdapterId, usize)>,
    /// It is inside `MiniportShutdownEx(NdisShutdownBugCheck)`.
    pub(crate) bugcheck_mode: bool,
}

impl Default for Processor {
    fn default() -> Self {
        Self {
            irql: PASSIVE_LEVEL,
            frames: Vec::new(),
            phases: Vec::new(),
            locks: LockTable::default(),
            cancelling: None,
            bugcheck_mode: false,
        }
    }
}

pub(crate) struct State {
    pub(crate) rng: Rng,
    /// Whether NDIS returns NBLs from inside an indication: a stream of its own, so that the
    /// choice does not shift every other seeded choice of a run.
    pub(crate) inline_return_rng: Rng,
    pub(crate) inline_returns: crate::ndis::datapath::InlineReturns,
    pub(crate) now: Duration,
    /// The state of the processor the model serves now (the one `loaded` names).
    pub(crate) cpu: Processor,
    /// Driver callbacks entered so far, on every processor: orders a callback against an NDIS
    /// operation that began on another processor.
    pub(crate) callbacks_entered: u64,
    /// Processors running a scenario's work right now (`Sim::on_processor`), one bit each.
    pub(crate) busy_processors: u32,
    /// Which processor's state is in `cpu`.
    pub(crate) loaded: usize,
    /// Every other processor's state (the loaded one's slot is empty).
    parked: Vec<Processor>,
    /// The addresses `KeInitializeSpinLock` initialized, until their memory is freed
    /// (`Lock.InitializedBeforeUse`).
    pub(crate) initialized_locks: crate::irql::InitializedLocks,
    pub(crate) violations: Vec<Violation>,
    pub(crate) faults: Faults,
    next_token: usize,
    pub(crate) mem: MemoryState,
    pub(crate) kmdf: KmdfState,
    pub(crate) ndis: NdisState,
    pub(crate) data: DataState,
    pub(crate) sched: Scheduler,
    pub(crate) loader: LoaderState,
    /// The OS calls and model events, in order (`Sim::calls`).
    pub(crate) trace: crate::trace::Trace,
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
            inline_return_rng: Rng::new(config.seed ^ 0x1A11_2E7E_2A15),
            inline_returns: crate::ndis::datapath::InlineReturns::Seeded,
            now: Duration::ZERO,
            cpu: Processor::default(),
            callbacks_entered: 0,
            busy_processors: 0,
            loaded: 0,
            parked: (0..crate::mp::MAX_PROCESSORS).map(|_| Processor::default()).collect(),
            initialized_locks: crate::irql::InitializedLocks::default(),
            violations: Vec::new(),
            faults: Faults::new(config.faults.clone()),
            next_token: TOKEN_BASE,
            mem: MemoryState::default(),
            kmdf: KmdfState::default(),
            ndis: NdisState::default(),
            data: DataState::default(),
            sched: Scheduler::default(),
            loader: LoaderState::default(),
            trace: crate::trace::Trace::default(),
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

    /// Load processor `cpu`'s state into `cpu`, parking the one loaded.
    fn switch_to(&mut self, cpu: usize) {
        let Some(parked) = self.parked.get_mut(self.loaded) else { return };
        core::mem::swap(parked, &mut self.cpu);
        let next = self.parked.get_mut(cpu).unwrap_or_else(|| {
            panic!("kernel-sim: test bug: processor {cpu} of {}", crate::mp::MAX_PROCESSORS)
        });
        core::mem::swap(next, &mut self.cpu);
        self.loaded = cpu;
    }

    /// Every processor's state, with its number: the loaded one's (from `cpu`) first, then the
    /// others' (parked).
    pub(crate) fn processors(&self) -> impl Iterator<Item = (usize, &Processor)> + '_ {
        core::iter::once((self.loaded, &self.cpu))
            .chain(self.parked.iter().enumerate().filter(move |(cpu, _)| *cpu != self.loaded))
    }

    /// Whether the callback on the loaded processor's stack was entered before `began` (a value of
    /// `callbacks_entered`): it was already running when something happened on another
    /// processor, and may still finish what it started before the driver could know.
    pub(crate) fn callback_predates(&self, began: Option<u64>) -> bool {
        match (self.cpu.frames.first(), began) {
            (Some(frame), Some(began)) => frame.entered <= began,
            _ => false,
        }
    }

    /// The spin locks held on every processor: (processor, lock, how it is held).
    pub(crate) fn held_locks_everywhere(
        &self,
    ) -> impl Iterator<Item = (usize, usize, &crate::irql::HeldLock)> + '_ {
        self.processors().flat_map(|(cpu, p)| p.locks.iter().map(move |(k, l)| (cpu, *k, l)))
    }

    /// Whether a callback that called `NdisMResetComplete` for `a` still runs, on any processor.
    pub(crate) fn reset_being_reported(&self, a: AdapterId) -> bool {
        self.processors().any(|(_, p)| p.frames.iter().any(|f| f.reported_reset_of == Some(a)))
    }

    /// The `MiniportCancelSend` calls running, on every processor: (adapter, cancel id).
    pub(crate) fn cancels_running(&self) -> impl Iterator<Item = (AdapterId, usize)> + '_ {
        self.processors().filter_map(|(_, p)| p.cancelling)
    }

    /// Whether another processor is inside a call NDIS made into the miniport (its handlers are
    /// the `Miniport*` callbacks).
    pub(crate) fn ndis_call_running_elsewhere(&self) -> bool {
        self.processors().skip(1).any(|(_, p)| p.frames.iter().any(|f| f.what.starts_with("Miniport")))
    }

    /// Whether a processor other than the loaded one is running a scenario's work.
    pub(crate) fn other_processors_busy(&self) -> bool {
        self.busy_processors & !(1 << self.loaded) != 0
    }

    /// A fresh opaque handle value, never reused within a run.
    pub(crate) fn mint(&mut self) -> usize {
        self.next_token += 0x40;
        self.next_token
    }

    pub(crate) fn log(&mut self, entry: impl Into<String>) {
        if !self.trace.enabled() {
            return;
        }
        let entry = if crate::mp::MULTIPROCESSOR {
            format!("cpu{} {}", self.loaded, entry.into())
        } else {
            entry.into()
        };
        self.trace.record(entry);
    }

    pub(crate) fn current_phase(&self) -> Phase {
        self.cpu.phases.last().copied().unwrap_or(Phase::Other)
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
    st: ModelCell<State>,
}

// SAFETY: with several processors (`crate::mp`) the state is only reached through its mutex. The
// raw pointers it keeps are addresses in the driver's and the model's own allocations, which the
// model reads and writes only while it holds that mutex, as the one processor it serves at a time.
#[cfg(any(shuttle, kernel_sim_threads))]
unsafe impl Send for State {}

impl Inner {
    pub(crate) fn new(config: &SimConfig) -> Self {
        Self { st: ModelCell::new(State::new(config)) }
    }

    /// Borrow the state for a decision. Never call the driver from inside `f`.
    /// Every call the driver makes into the model comes through here: the stack is measured
    /// (`Stack.Budget`) before the state is borrowed.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let sp = crate::stack::stack_pointer();
        let mut st = self.st.lock();
        let cpu = crate::mp::current_processor();
        if st.loaded != cpu {
            st.switch_to(cpu);
        }
        st.probe_stack(sp);
        f(&mut st)
    }
}
