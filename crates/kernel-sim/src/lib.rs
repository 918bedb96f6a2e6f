//! `kernel-sim`: a host model of NDIS 6.30 and KMDF that loads the real miniport driver and checks
//! it against the rules Driver Verifier and the documentation state (the catalogue, with where each
//! check lives and the test that makes it fire: `crates/kernel-sim/RULES.md`).
//!
//! The model implements [`ndis_types::host::Kernel`] and drives the driver only through what the
//! driver registered: `DriverEntry`, the handlers in its `NDIS_MINIPORT_DRIVER_CHARACTERISTICS`, and
//! the completion routines it sets on its requests. It is stricter than Windows, never looser:
//! single-threaded and deterministic (everything runs on the test's thread), with a seeded PRNG
//! deciding every choice Windows leaves open (handler IRQL, nested or deferred cancel, the order of
//! due completions), and virtual time.
//!
//! ```text
//! let sim = Sim::new(SimConfig::default());
//! assert_eq!(sim.load(driver_entry), STATUS_SUCCESS);
//! let a = sim.add_adapter().unwrap();
//! assert_eq!(sim.restart(a), NDIS_STATUS_SUCCESS);
//! let sent = sim.send(a, 4, 60);
//! sim.run_until_idle();
//! assert!(sent.iter().all(|&id| sim.send_completion(id) == Some(NDIS_STATUS_SUCCESS)));
//! sim.remove_adapter(a);
//! sim.unload();
//! sim.assert_clean();
//! ```
//!
//! A violation that Windows answers with a bug check or a hang (a recursive spin lock, a
//! `WdfIoTargetStop` that cannot return, a pause that never completes) aborts the scenario with a
//! panic naming the rule. When that panic starts inside a driver callback (an `extern "system"`
//! frame), Rust cannot unwind through it and aborts the test process after printing the message.

mod faults;
mod irql;
mod kernel;
mod kmdf;
mod loader;
mod lockorder;
mod lower;
mod memory;
mod mp;
mod ndis;
mod rng;
mod sched;
mod stack;
mod state;
mod trace;
mod verifier;

pub use kmdf::{DEVICE_CREATE_APIS, RESTRICTED_DEVICE_APIS};
pub use lower::{
    InlineService, LowerDeviceControl, STATUS_BUFFER_TOO_SMALL, STATUS_INVALID_BUFFER_SIZE,
    STATUS_IO_DEVICE_ERROR, SwitchTotals, TAP_MAC, WriteCompletion, hub_error_status,
};
pub use mp::{MAX_PROCESSORS, MULTIPROCESSOR};
pub use ndis::config::{ErrorLogEntry, RegValue};
pub use ndis::datapath::{InlineReturns, NblShape, ReceiveCounts};
pub use ndis::{GeneralAttributes, RegistrationAttributes, StatusIndicationRecord};
pub use stack::{MAX_NESTED_CALLBACKS, MAX_SENDS_PER_DISPATCH_CALLBACK, StackBudget};
pub use verifier::{Violation, rules, tag_string};
pub use vwire_bus::bus::FILLED_READS_PER_PORT;
pub use vwire_bus::hub::{AdminCounters, DevicePower, Faults, HubError, PortId, WriteReport};
pub use vwire_proto::PortCounters;

use memory::Scope;
use ndis_types::miniport::{
    NDIS_PAUSE_NDIS_INTERNAL, NdisDevicePnpEvent, NdisHaltAction, NdisShutdownAction,
};
use ndis_types::oid::{NDIS_REQUEST_QUERY_INFORMATION, NDIS_REQUEST_SET_INFORMATION, NdisRequestType};
use ndis_types::{DriverObject, Kirql, NdisStatus, NtStatus, RegistryPath, WdfDevice};
use state::Inner;
use std::time::Duration;

/// One frame crossing the hub, as the port that wrote it put it on the wire (before the hub's
/// drop, delay and corrupt faults act on it).
#[derive(Clone, Copy, Debug)]
pub struct CapturedFrame<'a> {
    /// Virtual time of the write.
    pub time: Duration,
    /// The hub port that wrote it.
    pub port: PortId,
    /// The adapter above that port; None for the model's tap port.
    pub adapter: Option<AdapterId>,
    pub frame: &'a [u8],
}

/// Receives every frame crossing the hub ([`Sim::set_capture`]). It runs inside the model with its
/// state borrowed: it must not call back into the `Sim`.
pub type CaptureSink = Box<dyn FnMut(CapturedFrame<'_>)>;

/// The driver's exported entry point.
pub type DriverEntryFn = extern "system" fn(DriverObject, RegistryPath) -> NtStatus;

/// An adapter the model added (its index, in order of `add_adapter`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AdapterId(pub usize);

/// The model operation in progress when a call was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    DriverEntry,
    Initialize(AdapterId),
    Restart(AdapterId),
    Pause(AdapterId),
    Halt(AdapterId),
    Other,
}

/// One fallible call the driver made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FallibleCall {
    /// 1-based, counted over the whole run.
    pub ordinal: u64,
    pub api: &'static str,
    pub phase: Phase,
}

/// Which fallible call fails, if any (it fails the documented way, with no side effect).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum FaultPlan {
    #[default]
    None,
    /// The Nth fallible call of the run (1-based; see [`Sim::fallible_calls`]).
    FailCall { ordinal: u64 },
    /// The Nth call (1-based) of one API, e.g. `("NdisAllocateNetBufferAndNetBufferList", 3)`.
    FailNthOf { api: &'static str, nth: u64 },
}

#[derive(Clone, Debug, Default)]
pub struct SimConfig {
    pub seed: u64,
    pub faults: FaultPlan,
}

/// One NBL the model sent (opaque, in order of sending).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SendId(pub(crate) u64);

/// What an OID request came back with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OidResult {
    pub status: NdisStatus,
    /// `BytesWritten` of a query, `BytesRead` of a set.
    pub bytes_written_or_read: u32,
    pub bytes_needed: u32,
    /// The information buffer after the call.
    pub data: Vec<u8>,
}

/// The adapter states of the Microsoft page "Adapter States of a Miniport Driver" (surprise
/// removal is a separate flag:
/// [`Sim::surprise_removed`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdapterState {
    Halted,
    Initializing,
    Paused,
    Restarting,
    Running,
    Pausing,
    Shutdown,
}

/// The model: NDIS, KMDF and the device below, with the driver loaded into it.
pub struct Sim {
    pub(crate) inner: mp::Shared<Inner>,
    _loader: loader::LoaderGuard,
}

impl Sim {
    /// Take the process-wide loader lock for the Sim's lifetime and install the model as the OS of
    /// this thread.
    pub fn new(config: SimConfig) -> Sim {
        let guard = loader::lock();
        let inner = mp::Shared::new(Inner::new(&config));
        ndis_types::host::install(std::rc::Rc::new(kernel::KernelHandle(inner.clone())));
        Sim { inner, _loader: guard }
    }

    /// Run `f` as virtual processor `cpu` (0 is the test's own; below [`MAX_PROCESSORS`]): every
    /// call it makes into the model, and every driver callback the model runs from it, has that
    /// processor's IRQL, callback stack and held spin locks. Only meaningful with several processors
    /// ([`MULTIPROCESSOR`]); there each processor is a thread the scenario spawned.
    pub fn on_processor<R>(&self, cpu: usize, f: impl FnOnce() -> R) -> R {
        assert!(cpu < MAX_PROCESSORS, "kernel-sim: test bug: processor {cpu} of {MAX_PROCESSORS}");
        let previous = mp::current_processor();
        mp::set_current_processor(cpu);
        // OS threads each need the model installed; shuttle's threads share the test's OS thread,
        // where it already is.
        let install = cfg!(all(kernel_sim_threads, not(shuttle))) && cpu != 0;
        if install {
            ndis_types::host::install(std::rc::Rc::new(kernel::KernelHandle(self.inner.clone())));
        }
        self.inner.with(|st| st.busy_processors |= 1 << cpu);
        let result = f();
        self.inner.with(|st| st.busy_processors &= !(1 << cpu));
        if install {
            ndis_types::host::uninstall();
        }
        mp::set_current_processor(previous);
        result
    }

    /// Run each of `work` on its own virtual processor (1, 2, ...) at once, and return when all
    /// are done: shuttle threads under `--cfg shuttle`, OS threads under `--cfg kernel_sim_threads`.
    #[cfg(any(shuttle, kernel_sim_threads))]
    pub fn concurrently(&self, work: &[&(dyn Fn() + Sync)]) {
        assert!(
            work.len() < MAX_PROCESSORS,
            "kernel-sim: test bug: {} processors of {MAX_PROCESSORS}",
            work.len() + 1
        );
        // Every processor counts as busy before any starts: one that waits for what the others will
        // do must not take a processor that has not started yet for one that has finished.
        let starting = (1..=work.len()).fold(0u32, |bits, cpu| bits | 1 << cpu);
        self.inner.with(|st| st.busy_processors |= starting);
        mp::scope(|scope| {
            let processors: Vec<_> = work
                .iter()
                .enumerate()
                .map(|(index, work)| scope.spawn(move || self.on_processor(index + 1, work)))
                .collect();
            // Joined by handle: on OS threads `pthread_join` is what ThreadSanitizer sees as the
            // processors' work happening before the scenario goes on (the scope's own wait is
            // std's uninstrumented code). A processor's panic is raised again as it was.
            for processor in processors {
                if let Err(panic) = processor.join() {
                    std::panic::resume_unwind(panic);
                }
            }
        });
    }

    /// Call `DriverEntry` at PASSIVE_LEVEL with a fresh `DRIVER_OBJECT` and registry path.
    pub fn load(&self, entry: DriverEntryFn) -> NtStatus {
        self.inner.load(entry)
    }

    /// PnP start of a new device: `MiniportInitializeEx`; on success the adapter is Paused.
    pub fn add_adapter(&self) -> Result<AdapterId, NdisStatus> {
        self.inner.add_adapter()
    }

    /// `MiniportRestart` (Paused → Restarting → Running), waiting for `NdisMRestartComplete`.
    pub fn restart(&self, a: AdapterId) -> NdisStatus {
        self.inner.restart(a)
    }

    /// `MiniportPause` (Running → Pausing → Paused), waiting for `NdisMPauseComplete`.
    pub fn pause(&self, a: AdapterId) -> NdisStatus {
        self.inner.pause(a, NDIS_PAUSE_NDIS_INTERNAL)
    }

    /// `MiniportHaltEx`; the adapter must be Paused (or Shut down).
    pub fn halt(&self, a: AdapterId, action: NdisHaltAction) {
        self.inner.halt(a, action)
    }

    /// An orderly PnP remove: pause if Running, then halt with `NdisHaltDeviceDisabled`.
    pub fn remove_adapter(&self, a: AdapterId) {
        self.inner.remove_adapter(a)
    }

    /// Surprise removal: the notification, pause if Running, halt with
    /// `NdisHaltDeviceSurpriseRemoved`; the device below goes away after the halt.
    pub fn surprise_remove(&self, a: AdapterId) {
        self.inner.surprise_remove(a)
    }

    /// The device below `a` vanishes before PnP tells anyone (an administrator removed its hub
    /// port): what it holds completes with `STATUS_DEVICE_REMOVED` and new requests fail with it.
    /// NDIS learns of it only at the surprise removal that follows ([`Sim::surprise_remove`]).
    pub fn unplug(&self, a: AdapterId) {
        self.inner.remove_port(a)
    }

    /// A system sleep (pause, then `OID_PNP_SET_POWER` to D3, then the port below powered down as
    /// the bus's PDO does in `EvtDeviceD0Exit`), for an adapter that registered
    /// `NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND`. The OID's status.
    pub fn suspend(&self, a: AdapterId) -> NdisStatus {
        self.inner.suspend(a)
    }

    /// Waking from it: the port below powered up (the PDO's `EvtDeviceD0Entry`), then
    /// `OID_PNP_SET_POWER` to D0, then restart. The restart's status, or the
    /// OID's if the miniport could not return to D0 (then nothing is restarted).
    pub fn resume(&self, a: AdapterId) -> NdisStatus {
        self.inner.resume(a)
    }

    /// `MiniportDevicePnPEventNotify` alone.
    pub fn pnp_event(&self, a: AdapterId, event: NdisDevicePnpEvent) {
        self.inner.pnp_event(a, event)
    }

    /// `MiniportShutdownEx`: PowerOff at PASSIVE, BugCheck at HIGH_LEVEL. Only halt may follow.
    pub fn shutdown(&self, a: AdapterId, action: NdisShutdownAction) {
        self.inner.shutdown(a, action)
    }

    /// `MiniportResetEx` at a seeded IRQL, waiting for `NdisMResetComplete`: (status, AddressingReset).
    pub fn reset(&self, a: AdapterId) -> (NdisStatus, bool) {
        self.inner.reset(a)
    }

    /// NDIS sends `nbl_count` protocol NBLs of `frame_len` bytes each, chained, in one call.
    pub fn send(&self, a: AdapterId, nbl_count: usize, frame_len: usize) -> Vec<SendId> {
        self.inner.send(a, nbl_count, frame_len)
    }

    /// The status the miniport completed this send with; None while it owns it.
    pub fn send_completion(&self, id: SendId) -> Option<NdisStatus> {
        self.inner.with(|st| st.data.sends.get(id.0 as usize - 1).and_then(|s| s.completed))
    }

    /// The frame bytes of a send (its first NET_BUFFER).
    pub fn sent_frame(&self, id: SendId) -> Vec<u8> {
        self.inner.with(|st| st.data.sends[id.0 as usize - 1].frames[0].clone())
    }

    /// The frames a send (one NBL) carries, one per NET_BUFFER.
    pub fn sent_frames(&self, id: SendId) -> Vec<Vec<u8>> {
        self.inner.with(|st| st.data.sends[id.0 as usize - 1].frames.clone())
    }

    /// NDIS sends protocol NBLs carrying `frames`, laid out as `shape` says (NBs per NBL, MDL
    /// split, data offset), chained, in one `MiniportSendNetBufferLists` call. One `SendId` per NBL.
    pub fn send_frames(&self, a: AdapterId, frames: &[Vec<u8>], shape: NblShape) -> Vec<SendId> {
        self.inner.send_frames(a, frames, &shape, None)
    }

    /// As [`Sim::send_frames`], with `cancel_id` in every NBL's
    /// `NetBufferListInfo[NetBufferListCancelId]` (for [`Sim::cancel_send`]).
    pub fn send_frames_cancelable(
        &self,
        a: AdapterId,
        frames: &[Vec<u8>],
        shape: NblShape,
        cancel_id: usize,
    ) -> Vec<SendId> {
        self.inner.send_frames(a, frames, &shape, Some(cancel_id))
    }

    /// `MiniportCancelSend(cancel_id)` at a seeded IRQL. NBLs with that cancel id that the miniport
    /// completes inside the call must carry NDIS_STATUS_SEND_ABORTED; later completions may carry
    /// SEND_ABORTED too.
    pub fn cancel_send(&self, a: AdapterId, cancel_id: usize) {
        self.inner.cancel_send(a, cancel_id)
    }

    /// The receive-path counters of `a` (indicated, returned, outstanding).
    pub fn receive_counts(&self, a: AdapterId) -> ReceiveCounts {
        self.inner.with(|st| st.data.rx.get(&a).map(|r| r.counts).unwrap_or_default())
    }

    /// When NDIS returns NBLs from inside an indication (default: one indication in four).
    pub fn set_inline_returns(&self, mode: InlineReturns) {
        self.inner.with(|st| st.inline_returns = mode);
    }

    /// NBLs allocated now from the NBL pools `a` owns (allocated with its adapter handle).
    pub fn nbls_allocated(&self, a: AdapterId) -> usize {
        self.inner.with(|st| {
            st.data
                .pools
                .values()
                .filter(|pool| pool.scope == crate::memory::Scope::Adapter(a))
                .map(|pool| pool.live.len())
                .sum()
        })
    }

    /// Keep (true) the NBLs NDIS holds for `a` instead of returning them; false lets the seeded
    /// returns resume. A pause that waits for them gets them back when nothing else is left to run
    /// (the protocol above is paused first and returns what it holds).
    pub fn hold_returns(&self, a: AdapterId, hold: bool) {
        self.inner.with(|st| {
            st.data.rx.entry(a).or_default().hold = hold;
            if !hold {
                st.schedule_return(a);
            }
        })
    }

    /// Return every NBL NDIS holds for `a` now (shuffled, in seeded groups). How many.
    pub fn return_now(&self, a: AdapterId) -> usize {
        self.inner.return_now(a)
    }

    /// Allocations made on the driver's behalf so far: pool, NBL pools, NBLs, MDLs and WDF objects
    /// (requests, memory, devices, targets). Constant while traffic flows in a driver that
    /// allocates everything up front.
    pub fn allocations(&self) -> u64 {
        self.inner.with(|st| st.allocations)
    }

    /// Sends the miniport has not completed yet on `a`.
    pub fn outstanding_sends(&self, a: AdapterId) -> usize {
        self.inner.with(|st| st.outstanding_sends(a))
    }

    /// An OID query with a `buffer_len`-byte information buffer (initially 0xCC).
    pub fn oid_query(&self, a: AdapterId, oid: u32, buffer_len: usize) -> OidResult {
        self.inner.oid_request(a, NDIS_REQUEST_QUERY_INFORMATION, oid, &[], buffer_len)
    }

    /// An OID query whose information buffer starts out holding `input` (OID_PNP_QUERY_POWER
    /// carries the target power state that way).
    pub fn oid_query_with(&self, a: AdapterId, oid: u32, input: &[u8]) -> OidResult {
        self.inner.oid_request(a, NDIS_REQUEST_QUERY_INFORMATION, oid, input, input.len())
    }

    /// An OID set with `data` as the information buffer.
    pub fn oid_set(&self, a: AdapterId, oid: u32, data: &[u8]) -> OidResult {
        self.inner.oid_request(a, NDIS_REQUEST_SET_INFORMATION, oid, data, data.len())
    }

    /// Any OID request NDIS could issue: `request_type` (query, set, method or anything else), an
    /// information buffer of `buffer_len` bytes (initially 0xCC) starting with `input` (cut to
    /// `buffer_len`). For fuzzing and for the conformance tests of odd requests.
    pub fn oid_request(
        &self,
        a: AdapterId,
        request_type: NdisRequestType,
        oid: u32,
        input: &[u8],
        buffer_len: usize,
    ) -> OidResult {
        self.inner.oid_request(a, request_type, oid, input, buffer_len)
    }

    /// `MiniportDriverUnload` at PASSIVE, then every driver-scoped leak check.
    pub fn unload(&self) {
        self.inner.unload()
    }

    /// Run scheduled events (deferred completions, NBL returns) until none is left.
    pub fn run_until_idle(&self) {
        self.inner.run_until_idle()
    }

    /// Let `d` of virtual time pass, running what falls due.
    pub fn advance_time(&self, d: Duration) {
        self.inner.advance_time(d)
    }

    pub fn now(&self) -> Duration {
        self.inner.with(|st| st.now)
    }

    /// Events waiting in the scheduler.
    pub fn scheduled_events(&self) -> usize {
        self.inner.with(|st| st.sched.len())
    }

    /// The vwire hub port below `a` (its requests, faults and controls).
    pub fn lower(&self, a: AdapterId) -> LowerDeviceControl<'_> {
        self.inner.with(|st| st.adapter(a).id);
        LowerDeviceControl { sim: self, adapter: a }
    }

    pub fn adapter_state(&self, a: AdapterId) -> AdapterState {
        self.inner.with(|st| st.adapter(a).state)
    }

    /// Set (or with `None` remove) a value in the driver key of every adapter added from now on,
    /// as an INF's `Ndi\params` default or the Advanced tab would. Names are case-insensitive.
    pub fn set_registry(&self, keyword: &str, value: Option<RegValue>) {
        self.inner.with(|st| st.ndis.registry.set(keyword, value))
    }

    /// What the driver wrote to the system event log for `a` (`NdisWriteErrorLogEntry`).
    pub fn error_log(&self, a: AdapterId) -> Vec<ErrorLogEntry> {
        self.inner.with(|st| st.adapter(a).error_log.clone())
    }

    pub fn surprise_removed(&self, a: AdapterId) -> bool {
        self.inner.with(|st| st.adapter(a).surprise_removed)
    }

    /// Adapters added so far (halted ones included).
    pub fn adapters(&self) -> Vec<AdapterId> {
        self.inner.with(|st| st.ndis.adapters.iter().map(|a| a.id).collect())
    }

    /// `IfIndex` and `NetLuid` NDIS gave the adapter in its init parameters.
    pub fn interface_ids(&self, a: AdapterId) -> (u32, u64) {
        self.inner.with(|st| (st.adapter(a).if_index, st.adapter(a).net_luid))
    }

    /// What NDIS cached from the registration attributes.
    pub fn registration_attributes(&self, a: AdapterId) -> Option<RegistrationAttributes> {
        self.inner.with(|st| st.adapter(a).registration.clone())
    }

    /// What NDIS cached from the general attributes (updated by link-state indications).
    pub fn general_attributes(&self, a: AdapterId) -> Option<GeneralAttributes> {
        self.inner.with(|st| st.adapter(a).general.clone())
    }

    /// Status indications the miniport made on `a`, in order.
    pub fn status_indications(&self, a: AdapterId) -> Vec<StatusIndicationRecord> {
        self.inner.with(|st| st.adapter(a).statuses.clone())
    }

    /// The `MdlFlags` of the MDLs of the NBLs the model sends from now on: `Some(0)` for locked pages
    /// not mapped to system space (the miniport must map them, `MmGetSystemAddressForMdlSafe` calls
    /// `MmMapLockedPagesSpecifyCache`; their `MappedSystemVa` is null until then),
    /// `Some(MDL_MAPPED_TO_SYSTEM_VA)` or `Some(MDL_SOURCE_IS_NONPAGED_POOL)` for one kind only,
    /// `None` (the default) for a seeded mix of the two.
    pub fn set_send_mdl_flags(&self, flags: Option<i16>) {
        self.inner.with(|st| st.data.send_mdl_flags = flags);
    }

    /// `MmMapLockedPagesSpecifyCache` calls so far that mapped an MDL.
    pub fn mdl_mappings(&self) -> u64 {
        self.inner.with(|st| st.data.mdl_mappings)
    }

    /// Frames the miniport indicated up on `a` (one per NET_BUFFER), in order.
    pub fn received_frames(&self, a: AdapterId) -> Vec<Vec<u8>> {
        self.inner.with(|st| st.adapter(a).received.clone())
    }

    pub fn current_irql(&self) -> Kirql {
        self.inner.with(|st| st.cpu.irql)
    }

    /// Every fallible call made so far, in order.
    pub fn fallible_calls(&self) -> Vec<FallibleCall> {
        self.inner.with(|st| st.faults.calls.clone())
    }

    /// Arm a new fault plan mid-run (the one of [`SimConfig`] is replaced). Ordinals and per-API
    /// counts are over the whole run: to fail the next call of `api`, plan
    /// `FailNthOf { api, nth: sim.fallible_count(Some(api)) + 1 }`.
    pub fn set_fault_plan(&self, plan: FaultPlan) {
        self.inner.with(|st| st.faults.set_plan(plan))
    }

    /// Fallible calls the driver made so far: all of them (`None`), or those of one API.
    pub fn fallible_count(&self, api: Option<&str>) -> u64 {
        self.inner.with(|st| st.faults.count(api))
    }

    /// How many fallible calls a fault plan has failed so far.
    pub fn faults_injected(&self) -> u64 {
        self.inner.with(|st| st.faults.injected)
    }

    /// Frames the miniport indicated up on `a` since the last call (the record is emptied, so a
    /// long run does not accumulate them).
    pub fn take_received_frames(&self, a: AdapterId) -> Vec<Vec<u8>> {
        self.inner.with(|st| {
            st.adapter_mut(a).received_8021q.clear();
            std::mem::take(&mut st.adapter_mut(a).received)
        })
    }

    /// Like [`Sim::take_received_frames`], each frame with the `Ieee8021QNetBufferListInfo` of the
    /// NBL it was indicated in (`UserPriority` bits 0-2, `VlanId` bits 4-15; 0: none).
    pub fn take_received_with_8021q(&self, a: AdapterId) -> Vec<(Vec<u8>, usize)> {
        self.inner.with(|st| {
            let adapter = st.adapter_mut(a);
            let infos = std::mem::take(&mut adapter.received_8021q);
            std::mem::take(&mut adapter.received).into_iter().zip(infos).collect()
        })
    }

    /// Keep only the most recent `limit` entries of the call trace ([`Sim::calls`]); `Some(0)`
    /// records nothing (and skips formatting on the hot paths); `None`, the default, keeps all.
    pub fn set_call_log_limit(&self, limit: Option<usize>) {
        self.inner.with(|st| st.trace.set_limit(limit))
    }

    /// Turn the per-frame data-path verification on (the default) or off, for performance
    /// measurement. The driver sees exactly the same calls either way. Off: indicated frames are
    /// counted ([`ReceiveCounts`]) but neither copied, snapshotted for the return-ownership check,
    /// nor recorded for [`Sim::received_frames`]; send completions skip the NB-chain and chain-loop
    /// checks; writes below are not recorded for [`LowerDeviceControl::written_data`]. Every
    /// other rule (IRQL, locks, exactly-once completion, ownership at indication, leaks) still holds.
    pub fn set_checks(&self, on: bool) {
        self.inner.with(|st| st.checks = on)
    }

    /// The stack budget `Stack.Budget` holds every callback to (default:
    /// [`StackBudget::for_this_build`]).
    pub fn set_stack_budget(&self, budget: StackBudget) {
        self.inner.with(|st| {
            st.stack.budget = Some(budget);
            st.stack.over_budget.clear();
        })
    }

    /// NDIS I/O work item routines the model has run.
    pub fn work_items_run(&self) -> u64 {
        self.inner.with(|st| st.work_items.runs)
    }

    /// The most driver callbacks that were ever on the stack at once (1: no nesting).
    pub fn deepest_nesting(&self) -> usize {
        self.inner.with(|st| st.stack.deepest)
    }

    /// The most stack used from the outermost driver callback down, across nested callbacks.
    pub fn nested_stack_high_water(&self) -> usize {
        self.inner.with(|st| st.stack.nested_high_water)
    }

    /// The most stack each driver callback used so far, in bytes, by callback name.
    pub fn stack_high_water(&self) -> Vec<(&'static str, usize)> {
        self.inner.with(|st| st.stack.high_water.iter().map(|(k, v)| (*k, *v)).collect())
    }

    /// Record the raw batches each adapter writes below (the default; see
    /// [`LowerDeviceControl::written_data`]). Long runs turn this off.
    pub fn set_record_writes(&self, on: bool) {
        self.inner.with(|st| st.record_writes = on)
    }

    /// Send every frame that crosses the hub to `sink` too (None: stop).
    pub fn set_capture(&self, sink: Option<CaptureSink>) {
        self.inner.with(|st| st.capture = sink)
    }

    /// Forget every completed send, returning (id, adapter, completion status) of each: a long run
    /// calls this now and then so the model keeps only sends in flight (and the send timers stay
    /// cheap). A retired id is unknown afterwards ([`Sim::send_completion`] is None).
    pub fn retire_completed_sends(&self) -> Vec<(SendId, AdapterId, NdisStatus)> {
        self.inner.with(|st| st.retire_completed_sends())
    }

    /// NDIS sends completed NBLs again (a protocol reusing its NBLs; the model allocates nothing):
    /// every id must have been sent on `a` and completed, and not retired.
    pub fn resend(&self, a: AdapterId, ids: &[SendId]) {
        self.inner.resend(a, ids)
    }

    /// The OS calls and model events so far, in order (a trace for failing scenarios).
    pub fn calls(&self) -> Vec<String> {
        self.inner.with(|st| st.trace.entries().map(String::from).collect())
    }

    pub fn violations(&self) -> Vec<Violation> {
        self.inner.with(|st| st.violations.clone())
    }

    /// True if a violation of `rule` was recorded.
    pub fn has_violation(&self, rule: &str) -> bool {
        self.inner.with(|st| st.violations.iter().any(|v| v.rule == rule))
    }

    /// Forget the violations recorded so far (for tests that provoke one on purpose).
    pub fn take_violations(&self) -> Vec<Violation> {
        self.inner.with(|st| std::mem::take(&mut st.violations))
    }

    /// Live WDF objects (the driver object included), as "TYPE handle (details), parent ...".
    pub fn objects_alive(&self) -> Vec<String> {
        self.inner.with(|st| {
            st.kmdf.objects.iter().filter(|(_, o)| !o.deleted).map(|(h, _)| st.kmdf.describe(*h)).collect()
        })
    }

    /// Everything still allocated or alive, by owner scope, pool tag and object type.
    pub fn leak_report(&self) -> Vec<String> {
        self.inner.with(|st| {
            let mut out = Vec::new();
            let mut scopes = vec![Scope::Driver];
            scopes.extend(st.ndis.adapters.iter().map(|a| Scope::Adapter(a.id)));
            for scope in scopes {
                out.extend(st.memory_leaks(scope));
                let (pools, mdls) = st.nbl_leaks(scope);
                out.extend(pools);
                out.extend(mdls);
            }
            for (h, o) in &st.kmdf.objects {
                if !o.deleted {
                    out.push(format!("WDF object {}", st.kmdf.describe(*h)));
                }
            }
            for ad in &st.ndis.adapters {
                let requests = st.pending_requests_of(ad.id);
                if !requests.is_empty() {
                    out.push(format!("adapter {}: {} request(s) pending below", ad.id.0, requests.len()));
                }
                out.extend(st.adapter_busy(ad.id).into_iter().map(|b| format!("adapter {}: {b}", ad.id.0)));
            }
            for (cpu, k, l) in st.held_locks_everywhere() {
                out.push(format!("spin lock {k:#x} held on processor {cpu} (taken in {})", l.acquired_in));
            }
            out
        })
    }

    /// Panic listing every violation, if there is any (what is still allocated is not checked: use
    /// this where the scenario stops before halt and unload, e.g. after a bug-check shutdown).
    pub fn assert_no_violations(&self) {
        let violations = self.violations();
        if !violations.is_empty() {
            panic!("{}", report(&violations, &[]));
        }
    }

    /// Panic listing every violation and every leak, if there is any.
    pub fn assert_clean(&self) {
        let violations = self.violations();
        let leaks = self.leak_report();
        if !violations.is_empty() || !leaks.is_empty() {
            panic!("{}", report(&violations, &leaks));
        }
    }

    /// The restricted-API rule (`Kmdf.MiniportDeviceRestrictedApi`) for an API the facade does not
    /// offer: records a violation if `api` takes a full FX device and `device` is a miniport device.
    pub fn check_device_api(&self, api: &'static str, device: WdfDevice) {
        self.inner.with(|st| kmdf::check_device_api(st, api, device))
    }

    /// `Kmdf.MiniportNoWdfDeviceCreate` for an API the facade does not offer.
    pub fn check_device_create_api(&self, api: &'static str) {
        self.inner.with(|st| kmdf::check_device_create_api(st, api))
    }
}

fn report(violations: &[Violation], leaks: &[String]) -> String {
    let mut s = String::from("kernel-sim: the run is not clean\n");
    for v in violations {
        s.push_str(&format!("  violation {v}\n"));
    }
    for l in leaks {
        s.push_str(&format!("  alive: {l}\n"));
    }
    s
}

impl Drop for Sim {
    fn drop(&mut self) {
        ndis_types::host::uninstall();
        if !std::thread::panicking() {
            let violations = self.violations();
            if !violations.is_empty() {
                panic!("{}", report(&violations, &[]));
            }
        }
    }
}
