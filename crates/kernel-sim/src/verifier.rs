//! Named rules and the violations the model records against the driver (the catalogue of each rule,
//! its source, where it is checked and its test is `crates/kernel-sim/RULES.md`).

use crate::state::State;

/// Model calls a fatal violation's panic message shows (spin-lock calls left out).
const FATAL_CALLS_SHOWN: usize = 80;

/// A broken rule: its stable name and what the driver did (call, object, state).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub rule: &'static str,
    pub message: String,
}

impl core::fmt::Display for Violation {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "[{}] {}", self.rule, self.message)
    }
}

/// Rule names, exactly as `RULES.md` spells them (the model's own additions marked there).
pub mod rules {
    // KMDF
    pub const KMDF_NO_DISPATCH_OVERRIDE_REQUIRED: &str = "Kmdf.NoDispatchOverrideRequired";
    pub const KMDF_DRIVER_CREATE_ONCE: &str = "Kmdf.DriverCreateOnce";
    pub const KMDF_MINIPORT_NO_WDF_DEVICE_CREATE: &str = "Kmdf.MiniportNoWdfDeviceCreate";
    pub const KMDF_MINIPORT_DEVICE_RESTRICTED_API: &str = "Kmdf.MiniportDeviceRestrictedApi";
    pub const KMDF_MINIPORT_ATTACHED_PDO_PAIR: &str = "Kmdf.MiniportAttachedPdoPair";
    pub const KMDF_MINIPORT_CREATE_IRQL: &str = "Kmdf.MiniportCreateIrql";
    pub const KMDF_MINIPORT_DEVICE_DELETED: &str = "Kmdf.MiniportDeviceDeleted";
    pub const KMDF_OBJECT_DELETE_IRQL: &str = "Kmdf.ObjectDeleteIrql";
    pub const KMDF_HANDLE_AFTER_DELETE: &str = "Kmdf.HandleAfterDelete";
    pub const KMDF_REQUEST_ALREADY_SENT: &str = "Kmdf.RequestAlreadySent";
    pub const KMDF_REQUEST_REUSE_WHILE_PENDING: &str = "Kmdf.RequestReuseWhilePending";
    pub const KMDF_REQUEST_NOT_FORMATTED: &str = "Kmdf.RequestNotFormatted";
    pub const KMDF_IO_TARGET_STOP_IRQL: &str = "Kmdf.IoTargetStopIrql";
    pub const KMDF_MINIPORT_UNLOAD_CALLED: &str = "Kmdf.MiniportUnloadCalled";
    pub const KMDF_MINIPORT_UNLOAD_IRQL: &str = "Kmdf.MiniportUnloadIrql";
    pub const KMDF_OBJECT_LEAK: &str = "Kmdf.ObjectLeak";
    /// Model addition: `WdfIoTargetStop` (cancel or wait) can never return.
    pub const KMDF_IO_TARGET_STOP_DEADLOCK: &str = "Kmdf.IoTargetStopDeadlock";
    /// Model addition: a synchronous send (no timeout) that the device below will never complete.
    pub const KMDF_SEND_SYNCHRONOUSLY_NEVER_RETURNS: &str = "Kmdf.SendSynchronouslyNeverReturns";
    /// Model addition: formatting or deleting a request that is pending in a target.
    pub const KMDF_REQUEST_CHANGED_WHILE_PENDING: &str = "Kmdf.RequestChangedWhilePending";
    /// Model addition: deleting an object the driver may not delete (the driver, a default target).
    pub const KMDF_DELETE_NOT_ALLOWED: &str = "Kmdf.DeleteNotAllowed";
    /// Model addition: a handle that is not a live object of the expected type.
    pub const KMDF_INVALID_HANDLE: &str = "Kmdf.InvalidHandle";

    // NDIS: registration and attributes
    pub const NDIS_CHARACTERISTICS_VALID: &str = "Ndis.CharacteristicsValid";
    pub const NDIS_REGISTRATION_ATTRIBUTES_FIRST: &str = "Ndis.RegistrationAttributesFirst";
    pub const NDIS_GENERAL_ATTRIBUTES_REQUIRED: &str = "Ndis.GeneralAttributesRequired";
    pub const NDIS_ATTRIBUTES_ONLY_IN_INITIALIZE: &str = "Ndis.AttributesOnlyInInitialize";
    pub const NDIS_GET_DEVICE_PROPERTY_CONTEXT: &str = "Ndis.GetDevicePropertyContext";
    pub const NDIS_DEREGISTER_AT_UNLOAD: &str = "Ndis.DeregisterAtUnload";
    /// Model addition: `NdisMRegisterMiniportDriver` outside `DriverEntry`, or twice.
    pub const NDIS_REGISTER_IN_DRIVER_ENTRY: &str = "Ndis.RegisterInDriverEntry";

    // NDIS: adapter state and data path
    pub const NDIS_INDICATE_ONLY_WHEN_RUNNING: &str = "Ndis.IndicateOnlyWhenRunning";
    pub const NDIS_SEND_COMPLETE_EXACTLY_ONCE: &str = "Ndis.SendCompleteExactlyOnce";
    pub const NDIS_SEND_COMPLETE_STATUS: &str = "Ndis.SendCompleteStatus";
    pub const NDIS_SEND_NB_CHAIN_UNCHANGED: &str = "Ndis.SendNbChainUnchanged";
    /// `MiniportCancelSend` returned still holding an NBL of its cancel id none of whose frames the
    /// miniport had handed to the device.
    pub const NDIS_CANCEL_SEND_ABORTS_QUEUED: &str = "Ndis.CancelSendAbortsQueued";
    pub const NDIS_DISPATCH_FLAG_ACCURATE: &str = "Ndis.DispatchFlagAccurate";
    pub const NDIS_RECEIVE_COUNT_MATCHES: &str = "Ndis.ReceiveCountMatches";
    pub const NDIS_RECEIVE_OWNERSHIP: &str = "Ndis.ReceiveOwnership";
    pub const NDIS_PAUSE_CANNOT_FAIL: &str = "Ndis.PauseCannotFail";
    /// A restart or reset handler returned, or completed with, a status its page does not list.
    pub const NDIS_HANDLER_STATUS: &str = "Ndis.HandlerStatus";
    /// Model addition: a configuration handle still open when `MiniportInitializeEx` returns.
    pub const NDIS_CONFIGURATION_CLOSED: &str = "Ndis.ConfigurationClosed";
    /// A request of the adapter below when it completed `OID_PNP_SET_POWER` to a low-power state,
    /// or sent below while the device is in it.
    pub const NDIS_NO_DEVICE_IO_IN_LOW_POWER: &str = "Ndis.NoDeviceIoInLowPower";
    pub const NDIS_PAUSE_COMPLETE_WHEN_IDLE: &str = "Ndis.PauseCompleteWhenIdle";
    pub const NDIS_COMPLETE_ONCE: &str = "Ndis.CompleteOnce";
    pub const NDIS_HALT_LEAVES_NOTHING: &str = "Ndis.HaltLeavesNothing";
    pub const NDIS_NO_HARDWARE_AFTER_SURPRISE_REMOVAL: &str = "Ndis.NoHardwareAfterSurpriseRemoval";
    /// Model addition: a callback reaches its adapter after calling `NdisMPauseComplete` for it.
    pub const NDIS_NOTHING_TOUCHED_AFTER_PAUSE_COMPLETE: &str = "Ndis.NothingTouchedAfterPauseComplete";
    pub const NDIS_NOTHING_HELD_ACROSS_RESET: &str = "Ndis.NothingHeldAcrossReset";
    pub const NDIS_SHUTDOWN_BUGCHECK_PATH: &str = "Ndis.ShutdownBugcheckPath";
    /// Model addition: a pause, restart or reset that returned PENDING and never completed.
    pub const NDIS_PENDING_NEVER_COMPLETED: &str = "Ndis.PendingNeverCompleted";
    /// Model addition: NBL pool parameters or NBL/NB/MDL structure NDIS would reject.
    pub const NDIS_NBL_STRUCTURE_VALID: &str = "Ndis.NblStructureValid";
    /// Model addition: an NDIS handle that is not the driver handle, an adapter handle or a pool.
    pub const NDIS_HANDLE_VALID: &str = "Ndis.HandleValid";
    /// Model addition: `NdisQueueIoWorkItem` of an item that is queued and has not started running.
    pub const NDIS_WORK_ITEM_QUEUED_TWICE: &str = "Ndis.WorkItemQueuedTwice";
    /// Model addition: `NdisFreeIoWorkItem` of a queued item.
    pub const NDIS_WORK_ITEM_FREED_WHILE_QUEUED: &str = "Ndis.WorkItemFreedWhileQueued";

    // NDIS: OIDs and status
    pub const NDIS_OID_COMPLETE: &str = "NdisOidComplete";
    pub const NDIS_OID_DOUBLE_COMPLETE: &str = "NdisOidDoubleComplete";
    pub const NDIS_OID_DOUBLE_REQUEST: &str = "NdisOidDoubleRequest";
    pub const NDIS_TIMED_OID_COMPLETE: &str = "NdisTimedOidComplete";
    pub const NDIS_TIMED_DATA_SEND: &str = "NdisTimedDataSend";
    pub const NDIS_TIMED_DATA_HANG: &str = "NdisTimedDataHang";
    pub const NDIS_OID_BUFFER_BOUNDS: &str = "Ndis.OidBufferBounds";
    /// Model addition: an OID answered that `SupportedOidList` does not name, or one it names
    /// refused as unknown (`NDIS_STATUS_INVALID_OID`).
    pub const NDIS_SUPPORTED_OID_LIST: &str = "Ndis.SupportedOidList";
    /// Model addition: `OID_GEN_STATISTICS` marks valid a counter the general attributes'
    /// `SupportedStatistics` does not declare, or leaves out one it declares.
    pub const NDIS_STATISTICS_DECLARED: &str = "Ndis.StatisticsDeclared";
    /// Model addition: the 802.1 MAC options say what the receive path does. An NBL indicated with
    /// an `Ieee8021QNetBufferListInfo` priority the general attributes' MAC options do not declare
    /// (`NDIS_MAC_OPTION_8021P_PRIORITY`) or a VLAN ID they do not (`NDIS_MAC_OPTION_8021Q_VLAN`);
    /// or any frame indicated with its 802.1Q tag still in it (the tag is removed from every received
    /// frame, whatever the setting: Doc "Enumeration Keywords", `*PriorityVLANTag`); or MAC options
    /// with 802.1Q but not 802.1p (Doc `oid-gen-mac-options`). A stacked (QinQ) frame, whose inner
    /// tag stays, is flagged too: the model is stricter than Windows there.
    pub const NDIS_IEEE8021Q_DECLARED: &str = "Ndis.Ieee8021QDeclared";
    /// Model addition: an indicated frame shorter than an Ethernet header or longer than
    /// `OID_GEN_MAXIMUM_TOTAL_SIZE` (the general attributes' `MtuSize` + 14).
    pub const NDIS_INDICATED_FRAME_SIZE: &str = "Ndis.IndicatedFrameSize";
    pub const NDIS_STATUS_INDICATION_VALID: &str = "Ndis.StatusIndicationValid";
    /// Model addition: a synchronous send during an OID or `MiniportInitializeEx` without a timeout,
    /// or with one that ends after NdisTimedOidComplete's 12 s.
    pub const NDIS_OID_DEADLINE: &str = "Ndis.OidDeadline";

    // Kernel services
    pub const IRQL_CALL_ABOVE_MAX: &str = "Irql.CallAboveMax";
    /// Model addition: a call that needs a minimum IRQL (the `AtDpcLevel` lock calls) made below it.
    pub const IRQL_CALL_BELOW_MIN: &str = "Irql.CallBelowMin";
    pub const IRQL_HANDLER_ENTRY: &str = "Irql.HandlerEntry";
    pub const LOCK_BALANCED: &str = "Lock.Balanced";
    /// A model addition: acquiring a spin lock the caller already holds.
    pub const LOCK_RECURSIVE: &str = "Lock.Recursive";
    pub const LOCK_NO_BLOCKING_WHILE_HELD: &str = "Lock.NoBlockingWhileHeld";
    /// A spin lock acquired or released that `KeInitializeSpinLock` (`NdisAllocateSpinLock`) never
    /// initialized, or whose memory was freed since.
    pub const LOCK_INITIALIZED_BEFORE_USE: &str = "Lock.InitializedBeforeUse";
    /// Model addition: spin locks taken in both orders (a deadlock between two processors).
    pub const LOCK_ORDER: &str = "Lock.Order";
    /// A spin lock released on a processor other than the one that acquired it.
    pub const LOCK_SAME_PROCESSOR: &str = "Lock.SameProcessor";
    /// Model addition: a processor spun on a lock that another kept held past any correct
    /// schedule (two processors each holding what the other waits for).
    pub const LOCK_DEADLOCK: &str = "Lock.Deadlock";
    pub const MEMORY_TAG_REQUIRED: &str = "Memory.TagRequired";
    pub const MEMORY_LEAK_BY_TAG: &str = "Memory.LeakByTag";
    pub const MEMORY_BAD_FREE: &str = "Memory.BadFree";
    pub const MEMORY_NBL_POOL_LEAK: &str = "Memory.NblPoolLeak";
    /// Model addition: an MDL passed to the memory manager that NDIS or the driver never allocated.
    pub const MEMORY_BAD_MDL: &str = "Memory.BadMdl";
    /// Model addition: a system mapping asked for with a priority that is not Low, Normal or
    /// HighPagePriority (optionally with MdlMappingNoWrite), or without MdlMappingNoExecute.
    pub const MEMORY_MAPPING_PRIORITY: &str = "Memory.MappingPriority";
    /// Model addition: `IoAllocateMdl`, `IoBuildPartialMdl`, `MmPrepareMdlForReuse` and `IoFreeMdl`
    /// used against their pages: a source describing no locked or nonpaged memory, a range outside
    /// it, a target too small or not from `IoAllocateMdl`, a target built again without
    /// `MmPrepareMdlForReuse`, or an MDL freed by the other allocator's routine.
    pub const MEMORY_PARTIAL_MDL: &str = "Memory.PartialMdl";

    // The kernel stack (`stack.rs`)
    /// Model addition: the driver used more stack inside one callback than its budget.
    pub const STACK_BUDGET: &str = "Stack.Budget";
    /// Model addition: driver callbacks nested deeper than the bound on one stack.
    pub const STACK_RECURSION: &str = "Stack.Recursion";
    /// Model addition: one driver callback sent more requests at DISPATCH_LEVEL than the bound (the
    /// DPC watchdog).
    pub const DPC_WORK_BOUND: &str = "Dpc.WorkBound";
}

impl State {
    /// Record a violation of `rule`.
    pub(crate) fn violate(&mut self, rule: &'static str, message: impl Into<String>) {
        let message = message.into();
        self.log(format!("VIOLATION [{rule}] {message}"));
        self.violations.push(Violation { rule, message });
    }

    /// Record a violation and abort the scenario: what Windows would do with a bug check or a hang.
    pub(crate) fn violate_fatal(&mut self, rule: &'static str, message: impl Into<String>) -> ! {
        let message = message.into();
        self.violate(rule, message.clone());
        // The calls that led here, when the scenario keeps them (`Sim::set_call_log_limit`): a
        // fatal rule ends the run before the test can print them.
        let recent: Vec<&str> = self
            .trace
            .entries()
            .rev()
            .filter(|c| !c.contains("SpinLock") && !c.contains("KeGetCurrentIrql"))
            .take(FATAL_CALLS_SHOWN)
            .collect();
        let recent: Vec<&str> = recent.into_iter().rev().collect();
        panic!(
            "kernel-sim: scenario aborted by [{rule}] {message}\nthe calls before it:\n{}",
            recent.join("\n")
        );
    }
}

/// Render a pool tag the way `!poolused` does: its bytes in memory order (the C literal `'1gaT'`
/// is stored little-endian and shows as "Tag1").
pub fn tag_string(tag: u32) -> String {
    tag.to_le_bytes()
        .iter()
        .map(|&b| if b.is_ascii_graphic() || b == b' ' { b as char } else { '.' })
        .collect()
}
