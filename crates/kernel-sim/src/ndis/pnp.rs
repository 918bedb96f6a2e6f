//! The adapter state machine as NDIS drives it (Microsoft pages "Adapter States of a Miniport
//! Driver", "MINIPORT_PAUSE callback function (ndis.h)", "MINIPORT_RESET callback function (ndis.h)"
//! and "MINIPORT_DEVICE_PNP_EVENT_NOTIFY callback function (ndis.h)"): initialize, restart,
//! pause, reset, PnP notifications, shutdown, halt. The model never calls a handler out of order
//! (asking it to is a test bug and panics); it checks what the driver does in each.

use crate::memory::{RawBlock, Scope};
use crate::ndis::{Adapter, PendingOp};
use crate::state::{Inner, State};
use crate::verifier::rules::*;
use crate::{AdapterId, AdapterState, Phase};
use core::ffi::c_void;
use ndis_types::miniport::*;
use ndis_types::object::*;
use ndis_types::oid::{NDIS_REQUEST_SET_INFORMATION, OID_GEN_MINIPORT_RESTART_ATTRIBUTES, OID_PNP_SET_POWER};
use ndis_types::*;

/// Which of the three NDIS operations that may pend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Pause,
    Restart,
    Reset,
}

impl Op {
    fn slot(self, adapter: &mut Adapter) -> &mut Option<PendingOp> {
        match self {
            Op::Pause => &mut adapter.pause,
            Op::Restart => &mut adapter.restart,
            Op::Reset => &mut adapter.reset,
        }
    }
    /// The statuses the handler may return (PENDING among them) and complete with: Doc
    /// `nc-ndis-miniport_restart`, `nf-ndis-ndismrestartcomplete`, `nc-ndis-miniport_reset`,
    /// `nf-ndis-ndismresetcomplete`. Pause cannot fail (`Ndis.PauseCannotFail`).
    fn documented_statuses(self) -> &'static [NdisStatus] {
        match self {
            Op::Pause => &[NDIS_STATUS_SUCCESS, NDIS_STATUS_PENDING],
            Op::Restart => {
                &[NDIS_STATUS_SUCCESS, NDIS_STATUS_PENDING, NDIS_STATUS_RESOURCES, NDIS_STATUS_FAILURE]
            }
            Op::Reset => &[
                NDIS_STATUS_SUCCESS,
                NDIS_STATUS_PENDING,
                NDIS_STATUS_NOT_RESETTABLE,
                NDIS_STATUS_RESET_IN_PROGRESS,
                NDIS_STATUS_SOFT_ERRORS,
                NDIS_STATUS_HARD_ERRORS,
            ],
        }
    }
    fn handler(self) -> &'static str {
        match self {
            Op::Pause => "MiniportPause",
            Op::Restart => "MiniportRestart",
            Op::Reset => "MiniportResetEx",
        }
    }
    fn complete_api(self) -> &'static str {
        match self {
            Op::Pause => "NdisMPauseComplete",
            Op::Restart => "NdisMRestartComplete",
            Op::Reset => "NdisMResetComplete",
        }
    }
}

impl State {
    pub(crate) fn adapter_context(&self, a: AdapterId) -> NdisHandle {
        let ctx = self.adapter(a).registration.as_ref().map_or(0, |r| r.miniport_adapter_context);
        NdisHandle(ctx as *mut c_void)
    }

    /// `NdisMPauseComplete` / `NdisMRestartComplete` / `NdisMResetComplete`.
    pub(crate) fn ndis_m_complete_op(
        &mut self,
        op: Op,
        handle: NdisHandle,
        status: NdisStatus,
        addressing_reset: bool,
    ) {
        let api = op.complete_api();
        self.check_irql(api, DISPATCH_LEVEL);
        let Some(a) = self.adapter_handle(api, handle) else { return };
        if status == NDIS_STATUS_PENDING || !op.documented_statuses().contains(&status) {
            self.violate(NDIS_HANDLER_STATUS, format!("{api} on adapter {} with {status:?}", a.0));
        }
        let current = *op.slot(self.adapter_mut(a));
        match current {
            None => {
                self.violate(NDIS_COMPLETE_ONCE, format!("{api} on adapter {} with no {op:?} pending", a.0))
            }
            Some(p) if p.completed => {
                self.violate(NDIS_COMPLETE_ONCE, format!("{api} on adapter {} called twice", a.0))
            }
            Some(_) => {
                match op {
                    Op::Pause => {
                        // Every callback on this processor's stack: an outer one resumes after the
                        // inner returns, and the adapter may be gone by then.
                        for frame in &mut self.cpu.frames {
                            frame.completed_pause_of = Some(a);
                        }
                        let completed = self.callbacks_entered;
                        self.adapter_mut(a).pause_completed_at = Some(completed);
                        let busy = self.adapter_busy(a);
                        if !busy.is_empty() {
                            self.violate(
                                NDIS_PAUSE_COMPLETE_WHEN_IDLE,
                                format!("{api} on adapter {} with {}", a.0, busy.join(", ")),
                            );
                        }
                    }
                    Op::Reset => {
                        if let Some(frame) = self.cpu.frames.last_mut() {
                            frame.reported_reset_of = Some(a);
                        }
                        self.check_nothing_held_across_reset(a, api)
                    }
                    Op::Restart => {}
                }
                *op.slot(self.adapter_mut(a)) = Some(PendingOp { completed: true, status, addressing_reset });
            }
        }
    }

    fn check_nothing_held_across_reset(&mut self, a: AdapterId, when: &str) {
        let sends = self.held_across_reset(a);
        // Pended: an OID whose MiniportOidRequest still runs on another processor is not held yet.
        let oid = self.adapter(a).oid.as_ref().is_some_and(|o| o.completed.is_none() && o.pended);
        if sends > 0 || oid {
            let what = match (sends > 0, oid) {
                (true, true) => format!("{sends} send(s) and an OID"),
                (true, false) => format!("{sends} send(s)"),
                _ => "an OID".into(),
            };
            self.violate(
                NDIS_NOTHING_HELD_ACROSS_RESET,
                format!("{when} on adapter {}: {what} still held by the miniport", a.0),
            );
        }
    }

    /// What must hold after `MiniportHaltEx` returns, or after a failed `MiniportInitializeEx`.
    pub(crate) fn check_leaves_nothing(&mut self, a: AdapterId, when: &str) {
        let mut held = Vec::new();
        let requests = self.pending_requests_of(a);
        if !requests.is_empty() {
            let list: Vec<String> = requests.iter().map(|&r| self.kmdf.describe(r)).collect();
            held.push(format!("I/O pending below: {}", list.join("; ")));
        }
        held.extend(self.adapter_busy(a));
        let ad = self.adapter(a);
        if ad.oid.as_ref().is_some_and(|o| o.completed.is_none()) {
            held.push("an OID request not completed".into());
        }
        held.extend(self.work_items_busy(Scope::Adapter(a)));
        for (name, op) in [("pause", ad.pause), ("restart", ad.restart), ("reset", ad.reset)] {
            if op.is_some_and(|p| !p.completed) {
                held.push(format!("a {name} not completed"));
            }
        }
        if !held.is_empty() {
            self.violate(
                NDIS_HALT_LEAVES_NOTHING,
                format!("{when} (adapter {}) with {}", a.0, held.join(", ")),
            );
        }
        let scope = Scope::Adapter(a);
        let pool = self.memory_leaks(scope);
        let (pools, mdls) = self.nbl_leaks(scope);
        let work_items = self.work_item_leaks(scope);
        if !pool.is_empty() || !mdls.is_empty() || !work_items.is_empty() {
            let all: Vec<String> = pool.into_iter().chain(mdls).chain(work_items).collect();
            self.violate(MEMORY_LEAK_BY_TAG, format!("{when} (adapter {}) leaks: {}", a.0, all.join("; ")));
        }
        if !pools.is_empty() {
            self.violate(
                MEMORY_NBL_POOL_LEAK,
                format!("{when} (adapter {}) leaks: {}", a.0, pools.join("; ")),
            );
        }
        if let Some(dev) = self.adapter(a).device {
            let msg = format!(
                "{when} (adapter {}) but miniport {} is still alive: WdfObjectDelete it in MiniportHaltEx",
                a.0,
                self.kmdf.describe(dev)
            );
            self.violate(KMDF_MINIPORT_DEVICE_DELETED, msg);
        }
        let objects = self.wdf_adapter_leaks(a);
        if !objects.is_empty() {
            self.violate(
                KMDF_OBJECT_LEAK,
                format!("{when} (adapter {}) leaves WDF objects alive: {}", a.0, objects.join("; ")),
            );
        }
    }

    /// `NDIS_RESTART_ATTRIBUTES` carrying `NDIS_RESTART_GENERAL_ATTRIBUTES` from the cached attributes.
    fn restart_attributes(&mut self, a: AdapterId) -> *mut NdisRestartAttributes {
        let Some(g) = self.adapter(a).general.clone() else { return core::ptr::null_mut() };
        let oids = RawBlock::new(4 * g.supported_oids.len(), 16, 0);
        // SAFETY: the block holds the whole list.
        unsafe {
            core::ptr::copy_nonoverlapping(
                g.supported_oids.as_ptr(),
                oids.ptr.cast::<u32>(),
                g.supported_oids.len(),
            )
        };
        let block = RawBlock::new(16 + 88, 16, 0);
        let base = block.ptr;
        // SAFETY: 104 fresh bytes: the list head (16) and the 88-byte general attributes at 16
        // (`NDIS_RESTART_ATTRIBUTES`, W:km/ndis.h:4120-4126; offsets checked in ndis-types' tests/abi.rs).
        unsafe {
            base.add(8).cast::<u32>().write(OID_GEN_MINIPORT_RESTART_ATTRIBUTES);
            base.add(12).cast::<u32>().write(NDIS_SIZEOF_RESTART_GENERAL_ATTRIBUTES_REVISION_2 as u32);
            let d = base.add(16);
            d.cast::<NdisObjectHeader>().write(NdisObjectHeader::new(
                NDIS_OBJECT_TYPE_RESTART_GENERAL_ATTRIBUTES,
                NDIS_RESTART_GENERAL_ATTRIBUTES_REVISION_2,
                NDIS_SIZEOF_RESTART_GENERAL_ATTRIBUTES_REVISION_2,
            ));
            d.add(4).cast::<u32>().write(g.mtu_size);
            d.add(8).cast::<u64>().write(g.max_xmit_link_speed);
            d.add(16).cast::<u64>().write(g.max_rcv_link_speed);
            d.add(24).cast::<u32>().write(g.lookahead_size);
            d.add(28).cast::<u32>().write(g.mac_options);
            d.add(32).cast::<u32>().write(g.supported_packet_filters);
            d.add(36).cast::<u32>().write(g.max_multicast_list_size);
            d.add(48).cast::<i32>().write(g.access_type);
            d.add(56).cast::<i32>().write(g.connection_type);
            d.add(60).cast::<u32>().write(g.supported_statistics);
            d.add(64).cast::<u32>().write(g.data_back_fill_size);
            d.add(68).cast::<u32>().write(g.context_back_fill_size);
            d.add(72).cast::<*const u32>().write(oids.ptr.cast());
            d.add(80).cast::<u32>().write(4 * g.supported_oids.len() as u32);
            d.add(84).cast::<u32>().write(g.lookahead_size);
        }
        let adapter = self.adapter_mut(a);
        adapter.blocks.push(oids);
        adapter.blocks.push(block);
        base.cast()
    }

    fn block_for<T>(&mut self, a: AdapterId, value: T) -> *mut T {
        let block = RawBlock::with_value(value);
        let p = block.ptr.cast::<T>();
        self.adapter_mut(a).blocks.push(block);
        p
    }

    fn expect_state(&self, a: AdapterId, what: &str, allowed: &[AdapterState]) {
        let state = self.adapter(a).state;
        assert!(
            allowed.contains(&state),
            "kernel-sim: test bug: NDIS never calls {what} on an adapter that is {state:?}"
        );
    }
}

impl Inner {
    pub(crate) fn add_adapter(&self) -> Result<AdapterId, NdisStatus> {
        let (a, init, handle, driver_ctx, params) = self.with(|st| {
            assert!(
                st.loader.loaded && !st.loader.unloaded,
                "kernel-sim: test bug: add_adapter before load or after unload"
            );
            let c = st
                .ndis
                .characteristics
                .expect("kernel-sim: test bug: the driver never registered with NdisMRegisterMiniportDriver");
            let a = AdapterId(st.ndis.adapters.len());
            let (handle, pdo, fdo, next) = (st.mint(), st.mint(), st.mint(), st.mint());
            let if_index = 10 + a.0 as u32;
            let net_luid = (u64::from(IF_TYPE_ETHERNET_CSMACD) << 48) | ((a.0 as u64 + 1) << 24);
            st.ndis.adapters.push(Adapter {
                id: a,
                handle,
                pdo,
                fdo,
                next,
                state: AdapterState::Initializing,
                surprise_removed: false,
                surprise_notify_on: None,
                pause_returned: None,
                restarts_begun: 0,
                pause_completed_at: None,
                surprise_published: None,
                reset_began: 0,
                reset_returned: None,
                in_initialize: true,
                if_index,
                net_luid,
                registration: None,
                general: None,
                device: None,
                lower: crate::lower::LowerDevice::default(),
                pause: None,
                restart: None,
                reset: None,
                oid: None,
                statuses: Vec::new(),
                received: Vec::new(),
                received_8021q: Vec::new(),
                blocks: Vec::new(),
                registry: st.ndis.registry.for_new_adapters.clone(),
                error_log: Vec::new(),
                device_power: NDIS_DEVICE_STATE_D0,
            });
            st.open_port(a);
            let params = st.block_for(
                a,
                NdisMiniportInitParameters {
                    Header: NdisObjectHeader::new(
                        NDIS_OBJECT_TYPE_MINIPORT_INIT_PARAMETERS,
                        NDIS_MINIPORT_INIT_PARAMETERS_REVISION_1,
                        NDIS_SIZEOF_MINIPORT_INIT_PARAMETER_REVISION_1,
                    ),
                    Flags: 0,
                    AllocatedResources: core::ptr::null_mut(),
                    IMDeviceInstanceContext: NdisHandle::NULL,
                    MiniportAddDeviceContext: NdisHandle::NULL,
                    IfIndex: if_index,
                    NetLuid: net_luid,
                    DefaultPortAuthStates: core::ptr::null_mut(),
                    PciDeviceCustomProperties: core::ptr::null_mut(),
                },
            );
            st.cpu.phases.push(Phase::Initialize(a));
            let init = c.InitializeHandlerEx.expect("validated at registration");
            (
                a,
                init,
                NdisHandle(handle as *mut c_void),
                NdisHandle(st.ndis.driver_context as *mut c_void),
                params,
            )
        });
        let status = self.invoke("MiniportInitializeEx", PASSIVE_LEVEL, || {
            // SAFETY: the registered handler, with parameters NDIS owns for the call.
            unsafe { init(handle, driver_ctx, params) }
        });
        self.with(|st| {
            st.adapter_mut(a).in_initialize = false;
            st.check_configurations_closed(a, "MiniportInitializeEx returned");
            let result = if status == NDIS_STATUS_SUCCESS {
                let ad = st.adapter(a);
                let (reg, gen_) = (ad.registration.is_some(), ad.general.is_some());
                if !reg {
                    st.violate(NDIS_REGISTRATION_ATTRIBUTES_FIRST, format!("MiniportInitializeEx (adapter {}) returned success without registration attributes", a.0));
                }
                if !gen_ {
                    st.violate(NDIS_GENERAL_ATTRIBUTES_REQUIRED, format!("MiniportInitializeEx (adapter {}) returned success without general attributes", a.0));
                }
                if reg {
                    st.adapter_mut(a).state = AdapterState::Paused;
                    Ok(a)
                } else {
                    // NDIS cannot call a miniport whose context it does not know: the adapter fails.
                    st.adapter_mut(a).state = AdapterState::Halted;
                    Err(NDIS_STATUS_FAILURE)
                }
            } else {
                st.check_leaves_nothing(a, "MiniportInitializeEx failed");
                st.adapter_mut(a).state = AdapterState::Halted;
                Err(if status == NDIS_STATUS_PENDING { NDIS_STATUS_FAILURE } else { status })
            };
            st.cpu.phases.pop();
            result
        })
    }

    /// Run the scheduler until `op` completes; a deadlock aborts the scenario.
    fn wait_for_op(&self, a: AdapterId, op: Op) -> PendingOp {
        let done = loop {
            let done = self.run_until(|st| {
                let ad = &st.ndis.adapters[a.0];
                let slot = match op {
                    Op::Pause => ad.pause,
                    Op::Restart => ad.restart,
                    Op::Reset => ad.reset,
                };
                slot.is_some_and(|p| p.completed)
            });
            // A pause waits for the protocol to return what it holds: NBLs a test kept back with
            // `hold_returns` come back now (the protocol above is paused before the miniport).
            if !done
                && op == Op::Pause
                && self.with(|st| st.data.rx.get(&a).is_some_and(|r| !r.outstanding.is_empty()))
            {
                self.with(|st| {
                    st.log(format!("the protocol returns the NBLs it held on adapter {} (pause)", a.0))
                });
                self.return_now(a);
                continue;
            }
            break done;
        };
        if !done {
            self.with(|st| {
                let msg = format!("{op:?} of adapter {} returned NDIS_STATUS_PENDING and {} never came (nothing left to run)", a.0, op.complete_api());
                st.violate_fatal(NDIS_PENDING_NEVER_COMPLETED, msg)
            });
        }
        self.with(|st| op.slot(st.adapter_mut(a)).expect("completed"))
    }

    /// After the handler returned `status`: the op's outcome, checking it was completed once.
    fn finish_op(&self, a: AdapterId, op: Op, status: NdisStatus) -> PendingOp {
        if !op.documented_statuses().contains(&status) {
            self.with(|st| {
                let msg = format!("{} of adapter {} returned {status:?}", op.handler(), a.0);
                st.violate(NDIS_HANDLER_STATUS, msg);
            });
        }
        if status == NDIS_STATUS_PENDING {
            return self.wait_for_op(a, op);
        }
        self.with(|st| {
            if op.slot(st.adapter_mut(a)).is_some_and(|p| p.completed) {
                let msg = format!(
                    "{op:?} handler of adapter {} returned {:#x} and also called {}",
                    a.0,
                    status,
                    op.complete_api()
                );
                st.violate(NDIS_COMPLETE_ONCE, msg);
            }
            PendingOp { completed: true, status, addressing_reset: false }
        })
    }

    pub(crate) fn restart(&self, a: AdapterId) -> NdisStatus {
        let (handler, ctx, params) = self.with(|st| {
            st.expect_state(a, "MiniportRestart", &[AdapterState::Paused]);
            st.adapter_mut(a).state = AdapterState::Restarting;
            st.adapter_mut(a).pause_returned = None;
            st.adapter_mut(a).pause_completed_at = None;
            st.adapter_mut(a).restarts_begun += 1;
            st.adapter_mut(a).restart = Some(PendingOp::default());
            st.cpu.phases.push(Phase::Restart(a));
            let attributes = st.restart_attributes(a);
            let params = st.block_for(
                a,
                NdisMiniportRestartParameters {
                    Header: NdisObjectHeader::new(
                        NDIS_OBJECT_TYPE_DEFAULT,
                        NDIS_MINIPORT_RESTART_PARAMETERS_REVISION_1,
                        NDIS_SIZEOF_MINIPORT_RESTART_PARAMETERS_REVISION_1,
                    ),
                    RestartAttributes: attributes,
                    Flags: 0,
                },
            );
            let handler = st.ndis.characteristics.and_then(|c| c.RestartHandler).expect("validated");
            (handler, st.adapter_context(a), params)
        });
        let status = self.invoke("MiniportRestart", PASSIVE_LEVEL, || {
            // SAFETY: the registered handler, with parameters NDIS owns for the call.
            unsafe { handler(ctx, params) }
        });
        let outcome = self.finish_op(a, Op::Restart, status);
        self.with(|st| {
            let ad = st.adapter_mut(a);
            ad.restart = None;
            ad.state = if outcome.status == NDIS_STATUS_SUCCESS {
                AdapterState::Running
            } else {
                AdapterState::Paused
            };
            st.cpu.phases.pop();
        });
        outcome.status
    }

    pub(crate) fn pause(&self, a: AdapterId, reason: u32) -> NdisStatus {
        let (handler, ctx, params) = self.with(|st| {
            st.expect_state(a, "MiniportPause", &[AdapterState::Running]);
            st.adapter_mut(a).state = AdapterState::Pausing;
            st.adapter_mut(a).pause = Some(PendingOp::default());
            st.cpu.phases.push(Phase::Pause(a));
            let params = st.block_for(
                a,
                NdisMiniportPauseParameters {
                    Header: NdisObjectHeader::new(
                        NDIS_OBJECT_TYPE_DEFAULT,
                        NDIS_MINIPORT_PAUSE_PARAMETERS_REVISION_1,
                        NDIS_SIZEOF_MINIPORT_PAUSE_PARAMETERS_REVISION_1,
                    ),
                    Flags: 0,
                    PauseReason: reason,
                },
            );
            let handler = st.ndis.characteristics.and_then(|c| c.PauseHandler).expect("validated");
            (handler, st.adapter_context(a), params)
        });
        let status = self.invoke("MiniportPause", PASSIVE_LEVEL, || {
            // SAFETY: the registered handler, with parameters NDIS owns for the call.
            unsafe { handler(ctx, params) }
        });
        self.with(|st| {
            let returned = st.callbacks_entered;
            st.adapter_mut(a).pause_returned = Some(returned);
        });
        if status != NDIS_STATUS_SUCCESS && status != NDIS_STATUS_PENDING {
            self.with(|st| {
                st.violate(
                    NDIS_PAUSE_CANNOT_FAIL,
                    format!("MiniportPause (adapter {}) returned {:#x}", a.0, status),
                )
            });
        } else if status == NDIS_STATUS_SUCCESS {
            self.with(|st| {
                let completed = st.callbacks_entered;
                st.adapter_mut(a).pause_completed_at = Some(completed);
                let busy = st.adapter_busy(a);
                if !busy.is_empty() {
                    st.violate(
                        NDIS_PAUSE_COMPLETE_WHEN_IDLE,
                        format!("MiniportPause (adapter {}) returned SUCCESS with {}", a.0, busy.join(", ")),
                    );
                }
            });
        }
        let effective = if status == NDIS_STATUS_PENDING { status } else { NDIS_STATUS_SUCCESS };
        self.finish_op(a, Op::Pause, effective);
        self.with(|st| {
            let ad = st.adapter_mut(a);
            ad.pause = None;
            ad.state = AdapterState::Paused;
            st.cpu.phases.pop();
        });
        status
    }

    pub(crate) fn reset(&self, a: AdapterId) -> (NdisStatus, bool) {
        // NDIS does not reset an adapter while it pauses or restarts; with several processors a
        // reset asked for meanwhile waits its turn, as NDIS queues it.
        let mut waits = 0u32;
        let (handler, ctx, irql, addressing) = loop {
            let ready = self.with(|st| {
                if crate::mp::MULTIPROCESSOR
                    && matches!(st.adapter(a).state, AdapterState::Pausing | AdapterState::Restarting)
                {
                    return None;
                }
                st.expect_state(a, "MiniportResetEx", &[AdapterState::Running, AdapterState::Paused]);
                let handler = st.ndis.characteristics.and_then(|c| c.ResetHandlerEx).expect(
                    "kernel-sim: test bug: the driver registered no ResetHandlerEx, NDIS never resets it",
                );
                st.adapter_mut(a).reset = Some(PendingOp::default());
                let began = st.callbacks_entered;
                st.adapter_mut(a).reset_began = began;
                st.adapter_mut(a).reset_returned = None;
                *st.data.resets.entry(a).or_default() += 1;
                let irql = st.seeded_irql();
                let addressing = st.block_for(a, FALSE);
                Some((handler, st.adapter_context(a), irql, addressing))
            });
            if let Some(ready) = ready {
                break ready;
            }
            waits += 1;
            assert!(
                waits < crate::mp::SPIN_LIMIT,
                "kernel-sim: a reset of adapter {} never got its turn",
                a.0
            );
            crate::mp::spin_pause();
        };
        let status = self.invoke("MiniportResetEx", irql, || {
            // SAFETY: the registered handler; AddressingReset points at a BOOLEAN NDIS owns.
            unsafe { handler(ctx, addressing) }
        });
        if status == NDIS_STATUS_PENDING {
            self.with(|st| {
                let returned = st.callbacks_entered;
                st.adapter_mut(a).reset_returned = Some(returned);
            });
        }
        let outcome = if status == NDIS_STATUS_PENDING {
            self.wait_for_op(a, Op::Reset)
        } else {
            let mut o = self.finish_op(a, Op::Reset, status);
            // SAFETY: the model's own BOOLEAN.
            o.addressing_reset = unsafe { addressing.read() } != FALSE;
            self.with(|st| st.check_nothing_held_across_reset(a, "MiniportResetEx returned"));
            o
        };
        self.with(|st| st.adapter_mut(a).reset = None);
        (outcome.status, outcome.addressing_reset)
    }

    pub(crate) fn pnp_event(&self, a: AdapterId, event: NdisDevicePnpEvent) {
        let (handler, ctx, params) = self.with(|st| {
            if event == NDIS_DEVICE_PNP_EVENT_SURPRISE_REMOVED {
                let cpu = st.loaded;
                let adapter = st.adapter_mut(a);
                adapter.surprise_removed = true;
                adapter.surprise_notify_on = Some(cpu);
                adapter.surprise_published = None;
            }
            st.expect_state(
                a,
                "MiniportDevicePnPEventNotify",
                &[
                    AdapterState::Paused,
                    AdapterState::Restarting,
                    AdapterState::Running,
                    AdapterState::Pausing,
                    AdapterState::Shutdown,
                ],
            );
            let params = st.block_for(
                a,
                NetDevicePnpEvent {
                    Header: NdisObjectHeader::new(
                        NDIS_OBJECT_TYPE_DEFAULT,
                        NET_DEVICE_PNP_EVENT_REVISION_1,
                        NDIS_SIZEOF_NET_DEVICE_PNP_EVENT_REVISION_1,
                    ),
                    PortNumber: ndis_types::nbl::NDIS_DEFAULT_PORT_NUMBER,
                    DevicePnPEvent: event,
                    InformationBuffer: core::ptr::null_mut(),
                    InformationBufferLength: 0,
                    NdisReserved: [0; 16],
                },
            );
            let handler =
                st.ndis.characteristics.and_then(|c| c.DevicePnPEventNotifyHandler).expect("validated");
            (handler, st.adapter_context(a), params)
        });
        self.invoke("MiniportDevicePnPEventNotify", PASSIVE_LEVEL, || {
            // SAFETY: the registered handler, with an event structure NDIS owns for the call.
            unsafe { handler(ctx, params) }
        });
        self.with(|st| st.adapter_mut(a).surprise_notify_on = None);
    }

    /// With several processors: NDIS calls `MiniportHaltEx` only once the calls it made into the
    /// miniport on other processors (a send, a return, an OID request, a cancel) have returned;
    /// it holds a reference for each. Completion routines and work items are the driver's own
    /// to run down (its pause waits for them).
    fn wait_for_ndis_calls_elsewhere(&self, what: &'static str) {
        let mut waits = 0u32;
        while crate::mp::MULTIPROCESSOR && self.with(|st| st.ndis_call_running_elsewhere()) {
            waits += 1;
            if waits >= crate::mp::SPIN_LIMIT {
                self.with(|st| {
                    st.violate_fatal(
                        NDIS_PENDING_NEVER_COMPLETED,
                        format!(
                            "{what}: a call NDIS made into the miniport on another processor never returns"
                        ),
                    )
                });
            }
            crate::mp::spin_pause();
        }
    }

    pub(crate) fn halt(&self, a: AdapterId, action: NdisHaltAction) {
        self.wait_for_ndis_calls_elsewhere("MiniportHaltEx");
        let (handler, ctx) = self.with(|st| {
            st.expect_state(a, "MiniportHaltEx", &[AdapterState::Paused, AdapterState::Shutdown]);
            st.cpu.phases.push(Phase::Halt(a));
            let handler = st.ndis.characteristics.and_then(|c| c.HaltHandlerEx).expect("validated");
            (handler, st.adapter_context(a))
        });
        self.invoke("MiniportHaltEx", PASSIVE_LEVEL, || {
            // SAFETY: the registered handler.
            unsafe { handler(ctx, action) }
        });
        let removed = self.with(|st| {
            st.check_leaves_nothing(a, "MiniportHaltEx returned");
            let ad = st.adapter_mut(a);
            ad.state = AdapterState::Halted;
            st.cpu.phases.pop();
            st.adapter(a).surprise_removed
        });
        if removed {
            // The bus PDO sees IRP_MN_SURPRISE_REMOVAL only after NDIS halted the miniport: the
            // hub port goes away now, and what it still holds completes with STATUS_DEVICE_REMOVED.
            self.remove_port(a);
        }
    }

    /// A system sleep as NDIS plays it for an adapter that registered
    /// `NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND`: pause (reason LOW_POWER) if Running, unless it
    /// also registered NO_PAUSE_ON_SUSPEND (then it meets the D3 Running, as on Windows), then
    /// `OID_PNP_SET_POWER` to D3 (Doc `oid-pnp-set-power`). From its completion the device is in
    /// D3 and nothing of the adapter may be below (`Ndis.NoDeviceIoInLowPower`). Then the device
    /// power IRP reaches the bus's PDO, which powers the port down (`EvtDeviceD0Exit`,
    /// [`Inner::set_port_power`]): NDIS handles a power-down IRP before passing it to the lower
    /// drivers (Doc "Handling Device Power-Down IRPs"). The OID's status.
    pub(crate) fn suspend(&self, a: AdapterId) -> NdisStatus {
        let flags = self.with(|st| st.adapter(a).registration.as_ref().map_or(0, |r| r.attribute_flags));
        let no_halt = flags & NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND != 0;
        let no_pause = flags & NDIS_MINIPORT_ATTRIBUTES_NO_PAUSE_ON_SUSPEND != 0;
        assert!(
            no_halt,
            "kernel-sim: test bug: suspend of an adapter NDIS would halt (no NO_HALT_ON_SUSPEND)"
        );
        if !no_pause && self.with(|st| st.adapter(a).state) == AdapterState::Running {
            self.pause(a, NDIS_PAUSE_LOW_POWER);
        }
        let d3 = NDIS_DEVICE_STATE_D3.to_ne_bytes();
        let result = self.oid_request(a, NDIS_REQUEST_SET_INFORMATION, OID_PNP_SET_POWER, &d3, d3.len());
        self.with(|st| {
            if result.status == NDIS_STATUS_SUCCESS {
                st.adapter_mut(a).device_power = NDIS_DEVICE_STATE_D3;
                let below = st.pending_requests_of(a);
                if !below.is_empty() {
                    let list: Vec<String> = below.iter().map(|&r| st.kmdf.describe(r)).collect();
                    let msg = format!(
                        "OID_PNP_SET_POWER(D3) of adapter {} completed with I/O still below: {}",
                        a.0,
                        list.join("; ")
                    );
                    st.violate(NDIS_NO_DEVICE_IO_IN_LOW_POWER, msg);
                }
            }
        });
        if result.status == NDIS_STATUS_SUCCESS {
            self.set_port_power(a, vwire_bus::hub::DevicePower::D3);
        }
        result.status
    }

    /// Waking from a sleep: the device is back in D0 (the bus powered the port up in its PDO's
    /// `EvtDeviceD0Entry`, [`Inner::set_port_power`], before the D0 IRP travels back up to NDIS:
    /// Doc "Handling IRP_MN_SET_POWER for Device Power States"), `OID_PNP_SET_POWER` to D0, then
    /// restart. The OID's status if the miniport could not return to D0 (no restart follows: PnP
    /// removes such a device), else the restart's.
    pub(crate) fn resume(&self, a: AdapterId) -> NdisStatus {
        self.set_port_power(a, vwire_bus::hub::DevicePower::D0);
        self.with(|st| st.adapter_mut(a).device_power = NDIS_DEVICE_STATE_D0);
        let d0 = NDIS_DEVICE_STATE_D0.to_ne_bytes();
        let result = self.oid_request(a, NDIS_REQUEST_SET_INFORMATION, OID_PNP_SET_POWER, &d0, d0.len());
        if result.status != NDIS_STATUS_SUCCESS {
            return result.status;
        }
        // An adapter NDIS did not pause for the sleep (NO_PAUSE_ON_SUSPEND) is not restarted.
        if self.with(|st| st.adapter(a).state) != AdapterState::Paused {
            return NDIS_STATUS_SUCCESS;
        }
        self.restart(a)
    }

    pub(crate) fn remove_adapter(&self, a: AdapterId) {
        let state = self.with(|st| st.adapter(a).state);
        if state == AdapterState::Running {
            self.pause(a, NDIS_PAUSE_MINIPORT_DEVICE_REMOVE);
        }
        self.halt(a, NDIS_HALT_DEVICE_DISABLED);
    }

    pub(crate) fn surprise_remove(&self, a: AdapterId) {
        self.pnp_event(a, NDIS_DEVICE_PNP_EVENT_SURPRISE_REMOVED);
        let state = self.with(|st| st.adapter(a).state);
        if state == AdapterState::Running {
            self.pause(a, NDIS_PAUSE_MINIPORT_DEVICE_REMOVE);
        }
        self.halt(a, NDIS_HALT_DEVICE_SURPRISE_REMOVED);
    }

    pub(crate) fn shutdown(&self, a: AdapterId, action: NdisShutdownAction) {
        let (handler, ctx) = self.with(|st| {
            st.expect_state(
                a,
                "MiniportShutdownEx",
                &[
                    AdapterState::Paused,
                    AdapterState::Restarting,
                    AdapterState::Running,
                    AdapterState::Pausing,
                ],
            );
            let handler = st.ndis.characteristics.and_then(|c| c.ShutdownHandlerEx).expect("validated");
            if action == NDIS_SHUTDOWN_BUG_CHECK {
                st.cpu.bugcheck_mode = true;
            }
            (handler, st.adapter_context(a))
        });
        let irql = if action == NDIS_SHUTDOWN_BUG_CHECK { HIGH_LEVEL } else { PASSIVE_LEVEL };
        self.invoke("MiniportShutdownEx", irql, || {
            // SAFETY: the registered handler.
            unsafe { handler(ctx, action) }
        });
        self.with(|st| {
            st.cpu.bugcheck_mode = false;
            st.adapter_mut(a).state = AdapterState::Shutdown;
        });
    }
}
