//! Every rule the model implements, made to fire by a deliberately wrong driver (the fake miniport
//! in `common/` with a switch turned on, or a hook that makes a wrong call inside a handler, or the
//! test calling the OS directly as the driver would), plus runs of a correct driver that must stay
//! clean. Rule names are the ones in `RULES.md`, the catalogue.

mod common;

use common::*;
use core::ffi::c_void;
use core::ptr;
use kernel_sim::rules::*;
use kernel_sim::*;
use ndis_types::miniport::*;
use ndis_types::nbl::*;
use ndis_types::object::*;
use ndis_types::oid::*;
use ndis_types::wdf::*;
use ndis_types::*;
use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::time::Duration;

fn adapter_handle() -> NdisHandle {
    first_ad(|a| a.handle)
}
fn adapter_ctx() -> NdisHandle {
    first_ad(|a| NdisHandle(a.ctx))
}

/// Set up: fresh switches, loaded driver, one adapter (Paused).
fn with_adapter(seed: u64) -> (Sim, AdapterId) {
    let sim = loaded(seed);
    let a = sim.add_adapter().expect("initialize succeeds");
    (sim, a)
}

/// Build a receive NBL over `buf` from the adapter's pool, with a fresh MDL.
fn rx_nbl(buf: &mut [u8]) -> (*mut NetBufferList, *mut Mdl) {
    let (handle, pool) = first_ad(|a| (a.handle, a.pool));
    let k = k();
    let mdl = k.ndis_allocate_mdl(handle, buf.as_mut_ptr().cast(), buf.len() as u32);
    assert!(!mdl.is_null());
    let nbl = k.ndis_allocate_net_buffer_and_net_buffer_list(pool, 0, 0, mdl, 0, buf.len());
    assert!(!nbl.is_null());
    (nbl, mdl)
}

// ---------------------------------------------------------------------------------------------
// A correct driver stays clean

#[test]
fn correct_driver_full_life_is_clean_over_many_seeds() {
    for seed in 0..24 {
        fresh();
        let sim = loaded(seed);
        let a = sim.add_adapter().expect("initialize");
        assert_eq!(sim.adapter_state(a), AdapterState::Paused);
        assert_eq!(sim.lower(a).pending_reads(), 1, "the driver arms one read in initialize");
        assert_eq!(sim.restart(a), NDIS_STATUS_SUCCESS);
        assert_eq!(sim.adapter_state(a), AdapterState::Running);
        let mut sends = Vec::new();
        for _ in 0..5 {
            sends.extend(sim.send(a, 3, 60));
        }
        sim.run_until_idle();
        assert!(sends.iter().all(|&id| sim.send_completion(id) == Some(NDIS_STATUS_SUCCESS)));
        assert_eq!(sim.sent_frame(sends[0]).len(), 60);
        let r = sim.oid_query(a, OID_GEN_XMIT_OK, 8);
        assert_eq!(r.status, NDIS_STATUS_SUCCESS);
        assert_eq!(r.bytes_written_or_read, 8);
        assert_eq!(u64::from_le_bytes(r.data[..8].try_into().unwrap()), 42);
        let r = sim.oid_query(a, OID_GEN_XMIT_OK, 0);
        assert_eq!((r.status, r.bytes_needed), (NDIS_STATUS_BUFFER_TOO_SHORT, 8));
        assert_eq!(sim.oid_set(a, OID_PNP_SET_POWER, &[1, 0, 0, 0]).status, NDIS_STATUS_SUCCESS);
        assert!(sim.lower(a).inject_raw_read_completion(&[0xAB; 100], STATUS_SUCCESS));
        assert_eq!(sim.lower(a).pending_reads(), 1, "the completion routine re-armed the read");
        assert_eq!(sim.pause(a), NDIS_STATUS_SUCCESS);
        assert_eq!(sim.restart(a), NDIS_STATUS_SUCCESS);
        sim.remove_adapter(a);
        assert_eq!(sim.adapter_state(a), AdapterState::Halted);
        sim.unload();
        sim.assert_clean();
    }
}

#[test]
fn adapters_get_distinct_interface_ids_and_cached_attributes() {
    fresh();
    let sim = loaded(1);
    let a = sim.add_adapter().unwrap();
    let b = sim.add_adapter().unwrap();
    let (ia, la) = sim.interface_ids(a);
    let (ib, lb) = sim.interface_ids(b);
    assert_ne!(ia, ib);
    assert_ne!(la, lb);
    assert_eq!(la >> 48, u64::from(IF_TYPE_ETHERNET_CSMACD));
    let g = sim.general_attributes(a).unwrap();
    assert_eq!(g.supported_oids, OIDS.to_vec());
    assert_eq!(g.current_mac_address, MAC.to_vec());
    assert_eq!(g.mtu_size, 1500);
    assert_eq!(g.pm_capabilities_revision, Some(2));
    let r = sim.registration_attributes(a).unwrap();
    assert_ne!(r.attribute_flags & NDIS_MINIPORT_ATTRIBUTES_NDIS_WDM, 0);
    sim.remove_adapter(a);
    sim.remove_adapter(b);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn surprise_removal_of_a_correct_driver_is_clean() {
    fresh();
    let (sim, a) = with_adapter(3);
    sim.restart(a);
    sim.send(a, 2, 64);
    sim.run_until_idle();
    sim.surprise_remove(a);
    assert!(sim.surprise_removed(a));
    assert_eq!(sim.adapter_state(a), AdapterState::Halted);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn pending_restart_reset_and_oid_complete_through_the_scheduler() {
    for mode in [WriteCompletion::Deferred, WriteCompletion::Immediate] {
        fresh();
        set_cfg(|c| {
            c.restart_pending = true;
            c.reset_pending = true;
            c.oid_pend = true;
        });
        let (sim, a) = with_adapter(5);
        sim.lower(a).set_write_completion(mode);
        assert_eq!(sim.restart(a), NDIS_STATUS_SUCCESS);
        assert_eq!(sim.adapter_state(a), AdapterState::Running);
        assert_eq!(sim.reset(a), (NDIS_STATUS_SUCCESS, false));
        let r = sim.oid_query(a, OID_GEN_RCV_OK, 8);
        assert_eq!(r.status, NDIS_STATUS_SUCCESS);
        assert_eq!(sim.lower(a).writes_completed(), 3);
        sim.remove_adapter(a);
        sim.unload();
        sim.assert_clean();
    }
}

#[test]
fn every_single_fault_is_unwound_cleanly() {
    fresh();
    let sim = loaded(0);
    lifecycle(&sim);
    let calls = sim.fallible_calls();
    sim.assert_clean();
    drop(sim);
    assert!(calls.iter().any(|c| c.phase == Phase::DriverEntry && c.api == "WdfDriverCreate"));
    assert!(
        calls.iter().any(|c| matches!(c.phase, Phase::Initialize(_)) && c.api == "WdfDeviceMiniportCreate")
    );
    for (i, call) in calls.iter().enumerate() {
        assert_eq!(call.ordinal, i as u64 + 1);
        fresh();
        let sim =
            Sim::new(SimConfig { seed: call.ordinal, faults: FaultPlan::FailCall { ordinal: call.ordinal } });
        let status = sim.load(driver_entry);
        if nt_success(status) {
            if let Ok(a) = sim.add_adapter() {
                sim.restart(a);
                sim.remove_adapter(a);
            }
            sim.unload();
        }
        let failed = sim.fallible_calls();
        assert_eq!(failed[call.ordinal as usize - 1].api, call.api);
        assert!(sim.violations().is_empty(), "failing {call:?}: {:#?}", sim.violations());
    }
}

#[test]
fn fail_nth_of_an_api() {
    fresh();
    let sim =
        Sim::new(SimConfig { seed: 0, faults: FaultPlan::FailNthOf { api: "WdfMemoryCreate", nth: 2 } });
    assert_eq!(sim.load(driver_entry), STATUS_SUCCESS);
    assert_eq!(sim.add_adapter(), Err(NDIS_STATUS_RESOURCES));
    let a = sim.add_adapter().expect("only the second WdfMemoryCreate of the run fails");
    sim.remove_adapter(a);
    sim.unload();
    sim.assert_clean();
}

// ---------------------------------------------------------------------------------------------
// KMDF

#[test]
fn kmdf_no_dispatch_override_required() {
    fresh();
    set_cfg(|c| c.no_dispatch_override = true);
    let sim = loaded(0);
    lifecycle(&sim);
    expect_only(&sim, &[KMDF_NO_DISPATCH_OVERRIDE_REQUIRED]);
}

#[test]
fn kmdf_driver_create_twice() {
    fresh();
    set_hook(|point, _| {
        if point == "driver_entry" {
            let config = WdfDriverConfig {
                driver_init_flags: WDF_DRIVER_INIT_NO_DISPATCH_OVERRIDE,
                driver_pool_tag: TAG,
            };
            let _ = k().wdf_driver_create(DriverObject::NULL, RegistryPath::NULL, &config);
        }
    });
    let sim = loaded(0);
    expect_only(&sim, &[KMDF_DRIVER_CREATE_ONCE]);
}

extern "system" fn entry_wdf_call_first(_d: DriverObject, _r: RegistryPath) -> NtStatus {
    let _ = k().wdf_request_create(&WdfObjectAttributes::default(), WdfIoTarget::NULL);
    STATUS_UNSUCCESSFUL
}

#[test]
fn kmdf_wdf_call_before_driver_create() {
    fresh();
    let sim = Sim::new(SimConfig::default());
    assert_eq!(sim.load(entry_wdf_call_first), STATUS_UNSUCCESSFUL);
    expect_only(&sim, &[KMDF_DRIVER_CREATE_ONCE]);
}

#[test]
fn kmdf_miniport_no_wdf_device_create_is_a_model_check() {
    fresh();
    let sim = loaded(0);
    sim.check_device_create_api("WdfDeviceCreate");
    sim.check_device_create_api("WdfControlDeviceInitAllocate");
    let v = expect_only(&sim, &[KMDF_MINIPORT_NO_WDF_DEVICE_CREATE]);
    assert_eq!(v.len(), 2);
}

#[test]
fn kmdf_miniport_device_restricted_api_is_a_model_check() {
    fresh();
    let (sim, _a) = with_adapter(0);
    let device = first_ad(|a| a.device);
    sim.check_device_api("WdfDeviceGetIoTarget", device);
    assert!(sim.violations().is_empty(), "WdfDeviceGetIoTarget takes FX_TYPE_DEVICE_BASE");
    sim.check_device_api("WdfIoQueueCreate", device);
    sim.check_device_api("WdfDeviceGetDriver", device);
    let v = expect_only(&sim, &[KMDF_MINIPORT_DEVICE_RESTRICTED_API]);
    assert_eq!(v.len(), 2);
}

#[test]
fn kmdf_attached_and_pdo_must_pair() {
    fresh();
    set_hook(|point, handle| {
        if point == "initialize" {
            let dp = k().ndis_m_get_device_property(handle);
            let driver = k().wdf_get_driver();
            let r = k().wdf_device_miniport_create(
                driver,
                &WdfObjectAttributes::default(),
                dp.functional_device_object,
                dp.next_device_object,
                DeviceObject::NULL,
            );
            assert!(r.is_err());
            let r = k().wdf_device_miniport_create(
                driver,
                &WdfObjectAttributes::default(),
                DeviceObject(0x1000 as *mut c_void),
                DeviceObject::NULL,
                DeviceObject::NULL,
            );
            assert!(r.is_err(), "not the FDO NdisMGetDeviceProperty returned");
        }
    });
    let (sim, a) = with_adapter(0);
    sim.remove_adapter(a);
    let v = expect_only(&sim, &[KMDF_MINIPORT_ATTACHED_PDO_PAIR]);
    assert_eq!(v.len(), 2);
}

#[test]
fn kmdf_miniport_create_above_passive() {
    fresh();
    set_hook(|point, handle| {
        if point == "initialize" {
            let mut lock = 0usize;
            common::k().ke_initialize_spin_lock(&mut lock);
            let k = k();
            let old = k.ke_acquire_spin_lock_raise_to_dpc(&mut lock);
            let dp = k.ndis_m_get_device_property(handle);
            let r = k.wdf_device_miniport_create(
                k.wdf_get_driver(),
                &WdfObjectAttributes::default(),
                dp.functional_device_object,
                dp.next_device_object,
                dp.physical_device_object,
            );
            assert_eq!(r, Err(STATUS_INVALID_DEVICE_REQUEST));
            k.ke_release_spin_lock(&mut lock, old);
        }
    });
    let (sim, a) = with_adapter(0);
    sim.remove_adapter(a);
    expect_only(
        &sim,
        &[KMDF_MINIPORT_CREATE_IRQL, LOCK_NO_BLOCKING_WHILE_HELD, NDIS_GET_DEVICE_PROPERTY_CONTEXT],
    );
}

#[test]
fn kmdf_miniport_device_not_deleted_at_halt() {
    fresh();
    set_cfg(|c| c.skip_device_delete = true);
    let sim = loaded(0);
    lifecycle(&sim);
    let v = expect_only(&sim, &[KMDF_MINIPORT_DEVICE_DELETED, KMDF_OBJECT_LEAK]);
    assert!(v.iter().any(|v| v.message.contains("MiniportHaltEx returned")));
}

#[test]
fn kmdf_device_delete_above_passive() {
    fresh();
    set_hook(|point, ctx| {
        if point == "halt" {
            let (device, target) = ad(ctx, |a| (a.device, a.target)).unwrap();
            let k = k();
            k.wdf_io_target_stop(target, WDF_IO_TARGET_CANCEL_SENT_IO);
            let mut lock = 0usize;
            common::k().ke_initialize_spin_lock(&mut lock);
            let old = k.ke_acquire_spin_lock_raise_to_dpc(&mut lock);
            k.wdf_object_delete(device.into());
            k.ke_release_spin_lock(&mut lock, old);
        }
    });
    let (sim, a) = with_adapter(0);
    sim.remove_adapter(a);
    sim.unload();
    expect_only(&sim, &[KMDF_OBJECT_DELETE_IRQL, LOCK_NO_BLOCKING_WHILE_HELD]);
}

#[test]
fn kmdf_handle_after_delete() {
    fresh();
    let (sim, a) = with_adapter(0);
    let (device, read, target) = first_ad(|x| (x.device, x.read, x.target));
    sim.remove_adapter(a);
    k().wdf_object_delete(device.into());
    assert!(!k().wdf_request_send(read, target, None));
    let v = expect_only(&sim, &[KMDF_HANDLE_AFTER_DELETE]);
    assert_eq!(v.len(), 2);
}

#[test]
fn kmdf_request_already_sent() {
    fresh();
    let (sim, a) = with_adapter(0);
    let (read, target) = first_ad(|x| (x.read, x.target));
    assert!(!k().wdf_request_send(read, target, None), "the read is pending already");
    assert_eq!(sim.lower(a).pending_reads(), 1);
    expect_only(&sim, &[KMDF_REQUEST_ALREADY_SENT]);
}

#[test]
fn kmdf_request_reuse_while_pending() {
    fresh();
    let (sim, _a) = with_adapter(0);
    let read = first_ad(|x| x.read);
    assert_ne!(k().wdf_request_reuse(read, 0, STATUS_SUCCESS), STATUS_SUCCESS);
    expect_only(&sim, &[KMDF_REQUEST_REUSE_WHILE_PENDING]);
}

#[test]
fn kmdf_request_not_formatted() {
    fresh();
    let (sim, a) = with_adapter(0);
    let (write, target) = first_ad(|x| (x.write, x.target));
    assert!(!k().wdf_request_send(write, target, None));
    assert_eq!(k().wdf_request_get_status(write), STATUS_REQUEST_NOT_ACCEPTED);
    assert_eq!(sim.lower(a).written_frames(), 0);
    expect_only(&sim, &[KMDF_REQUEST_NOT_FORMATTED]);
}

#[test]
fn kmdf_request_changed_while_pending() {
    fresh();
    let (sim, _a) = with_adapter(0);
    let (read, mem, target) = first_ad(|x| (x.read, x.read_mem, x.target));
    assert_ne!(k().wdf_io_target_format_request_for_read(target, read, mem), STATUS_SUCCESS);
    expect_only(&sim, &[KMDF_REQUEST_CHANGED_WHILE_PENDING]);
}

#[test]
fn kmdf_io_target_stop_above_passive() {
    fresh();
    let (sim, a) = with_adapter(0);
    let target = first_ad(|x| x.target);
    let k = k();
    let mut lock = 0usize;
    common::k().ke_initialize_spin_lock(&mut lock);
    let old = k.ke_acquire_spin_lock_raise_to_dpc(&mut lock);
    k.wdf_io_target_stop(target, WDF_IO_TARGET_CANCEL_SENT_IO);
    k.ke_release_spin_lock(&mut lock, old);
    sim.remove_adapter(a);
    expect_only(&sim, &[KMDF_IO_TARGET_STOP_IRQL, LOCK_NO_BLOCKING_WHILE_HELD]);
}

#[test]
fn kmdf_io_target_purged_fails_new_requests_and_cancels_queued_ones() {
    fresh();
    let (sim, a) = with_adapter(0);
    let target = first_ad(|x| x.target);
    let ctx = adapter_ctx();
    // Stopped: a read is queued in the target.
    k().wdf_io_target_stop(target, WDF_IO_TARGET_CANCEL_SENT_IO);
    first_ad(|x| x.stopping = false);
    assert!(arm_read(ctx), "a send to a stopped target is accepted and queued");
    // Purged: the queued read is cancelled, and a new one fails at once instead of queuing.
    first_ad(|x| x.stopping = true);
    k().wdf_io_target_purge(target, WDF_IO_TARGET_PURGE_IO_AND_WAIT);
    first_ad(|x| x.stopping = false);
    assert!(!arm_read(ctx), "a send to a purged target fails");
    assert_eq!(k().wdf_io_target_start(target), STATUS_SUCCESS);
    assert_eq!(sim.lower(a).pending_reads(), 0, "nothing was left queued to deliver at start");
    assert!(arm_read(ctx), "a started target takes requests again");
    assert_eq!(sim.lower(a).pending_reads(), 1);
    sim.remove_adapter(a);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn kmdf_io_target_states_started_sends_stopped_queues() {
    fresh();
    let (sim, a) = with_adapter(0);
    let target = first_ad(|x| x.target);
    let ctx = adapter_ctx();
    k().wdf_io_target_stop(target, WDF_IO_TARGET_CANCEL_SENT_IO);
    assert_eq!(sim.lower(a).pending_reads(), 0, "the read was cancelled");
    first_ad(|x| x.stopping = false);
    assert!(arm_read(ctx), "a send to a stopped target is accepted and queued");
    assert_eq!(sim.lower(a).pending_reads(), 0);
    assert_eq!(k().wdf_io_target_start(target), STATUS_SUCCESS);
    assert_eq!(sim.lower(a).pending_reads(), 1, "starting the target delivers the queued read");
    sim.remove_adapter(a);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn kmdf_io_target_stop_deadlocks_on_uncancelable_io() {
    fresh();
    let (sim, a) = with_adapter(0);
    let target = first_ad(|x| x.target);
    sim.lower(a).hold_uncancelable(true);
    let r = catch_unwind(AssertUnwindSafe(|| k().wdf_io_target_stop(target, WDF_IO_TARGET_CANCEL_SENT_IO)));
    assert!(r.is_err(), "the scenario is aborted");
    expect_only(&sim, &[KMDF_IO_TARGET_STOP_DEADLOCK]);
    let r = catch_unwind(AssertUnwindSafe(|| {
        k().wdf_io_target_stop(target, WDF_IO_TARGET_WAIT_FOR_SENT_IO_TO_COMPLETE)
    }));
    assert!(r.is_err(), "waiting for a read nobody completes never returns");
    expect_only(&sim, &[KMDF_IO_TARGET_STOP_DEADLOCK]);
    sim.lower(a).hold_uncancelable(false);
    first_ad(|x| x.stopping = true);
    assert_eq!(sim.lower(a).fail_reads(1, STATUS_CANCELLED), 1);
    sim.remove_adapter(a);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn kmdf_cancel_sent_request_completes_nested_or_deferred() {
    let mut nested = 0;
    for seed in 0..16 {
        fresh();
        let (sim, a) = with_adapter(seed);
        let read = first_ad(|x| x.read);
        first_ad(|x| x.stopping = true);
        assert!(k().wdf_request_cancel_sent_request(read));
        if sim.lower(a).pending_reads() == 0 {
            nested += 1;
        }
        sim.run_until_idle();
        assert_eq!(sim.lower(a).pending_reads(), 0);
        assert_eq!(k().wdf_request_get_status(read), STATUS_CANCELLED);
        sim.remove_adapter(a);
        sim.unload();
        sim.assert_clean();
    }
    assert!(0 < nested && nested < 16, "the seed decides: {nested}/16 nested");
}

#[test]
fn kmdf_miniport_unload_not_called() {
    fresh();
    set_cfg(|c| c.skip_wdf_unload = true);
    let sim = loaded(0);
    lifecycle(&sim);
    expect_only(&sim, &[KMDF_MINIPORT_UNLOAD_CALLED]);
}

#[test]
fn kmdf_miniport_unload_above_passive() {
    fresh();
    set_cfg(|c| c.skip_wdf_unload = true);
    set_hook(|point, _| {
        if point == "unload" {
            let k = k();
            let mut lock = 0usize;
            common::k().ke_initialize_spin_lock(&mut lock);
            let old = k.ke_acquire_spin_lock_raise_to_dpc(&mut lock);
            k.wdf_driver_miniport_unload(k.wdf_get_driver());
            k.ke_release_spin_lock(&mut lock, old);
        }
    });
    let sim = loaded(0);
    lifecycle(&sim);
    expect_only(&sim, &[KMDF_MINIPORT_UNLOAD_IRQL, LOCK_NO_BLOCKING_WHILE_HELD]);
}

#[test]
fn kmdf_object_leak_driver_parented_object_of_an_adapter() {
    fresh();
    set_hook(|point, _| {
        if point == "initialize" {
            let _ = k().wdf_memory_create(&WdfObjectAttributes::default(), NON_PAGED_POOL_NX, TAG, 32);
        }
    });
    let sim = loaded(0);
    lifecycle(&sim);
    let v = expect_only(&sim, &[KMDF_OBJECT_LEAK]);
    assert!(v[0].message.contains("WDFMEMORY"), "{}", v[0].message);
}

#[test]
fn kmdf_delete_not_allowed_and_invalid_handle() {
    fresh();
    let (sim, a) = with_adapter(0);
    let target = first_ad(|x| x.target);
    k().wdf_object_delete(target.into());
    k().wdf_object_delete(k().wdf_get_driver().into());
    expect_only(&sim, &[KMDF_DELETE_NOT_ALLOWED]);
    assert!(!k().wdf_request_send(WdfRequest(0x1234 as *mut c_void), target, None));
    expect_only(&sim, &[KMDF_INVALID_HANDLE]);
    sim.remove_adapter(a);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn kmdf_context_is_typed_and_zeroed() {
    fresh();
    static INFO: WdfObjectContextTypeInfo = WdfObjectContextTypeInfo {
        Size: 40,
        ContextName: c"T".as_ptr().cast(),
        ContextSize: 24,
        UniqueType: &INFO,
        EvtDriverGetUniqueContextType: None,
    };
    static OTHER: WdfObjectContextTypeInfo = WdfObjectContextTypeInfo {
        Size: 40,
        ContextName: c"O".as_ptr().cast(),
        ContextSize: 8,
        UniqueType: &OTHER,
        EvtDriverGetUniqueContextType: None,
    };
    let (sim, a) = with_adapter(0);
    let device = first_ad(|x| x.device);
    let attrs = WdfObjectAttributes { parent: Some(device.into()), context_type: Some(&INFO) };
    let (mem, buf) = k().wdf_memory_create(&attrs, NON_PAGED_POOL_NX, TAG, 16).unwrap();
    // SAFETY: WdfMemoryCreate returned a 16-byte buffer.
    assert_eq!(unsafe { std::slice::from_raw_parts(buf.cast::<u8>(), 16) }, &[0u8; 16]);
    let c = k().wdf_object_get_typed_context_worker(mem.into(), &INFO);
    assert!(!c.is_null());
    // SAFETY: a 24-byte context.
    assert_eq!(unsafe { std::slice::from_raw_parts(c.cast::<u8>(), 24) }, &[0u8; 24]);
    assert!(k().wdf_object_get_typed_context_worker(mem.into(), &OTHER).is_null());
    sim.remove_adapter(a);
    sim.unload();
    sim.assert_clean();
}

// ---------------------------------------------------------------------------------------------
// NDIS registration and attributes

#[test]
fn ndis_characteristics_valid() {
    let broken: [fn(&mut NdisMiniportDriverCharacteristics); 5] = [
        |c| c.PauseHandler = None,
        |c| c.MajorNdisVersion = 5,
        |c| c.Header.Size = 136,
        |c| c.Flags |= 0x100,
        |c| {
            c.CheckForHangHandlerEx = None.or(c.CheckForHangHandlerEx).or_else(|| {
                c.ResetHandlerEx = None;
                unsafe extern "system" fn hang(_: NdisHandle) -> Boolean {
                    FALSE
                }
                Some(hang)
            })
        },
    ];
    for breakage in broken {
        fresh();
        let mut c = characteristics();
        breakage(&mut c);
        CHARACTERISTICS.with(|x| *x.borrow_mut() = Some(c));
        let sim = Sim::new(SimConfig::default());
        assert!(!nt_success(sim.load(driver_entry)));
        expect_only(&sim, &[NDIS_CHARACTERISTICS_VALID]);
    }
}

#[test]
fn ndis_registration_attributes_first() {
    fresh();
    set_cfg(|c| c.general_first = true);
    let sim = loaded(0);
    assert!(sim.add_adapter().is_err());
    expect_only(&sim, &[NDIS_REGISTRATION_ATTRIBUTES_FIRST]);
    set_cfg(|c| c.general_first = false);
    set_hook(|point, handle| {
        if point == "initialize" {
            let reg = registration_attributes(first_ad(|a| a.ctx));
            k().ndis_m_set_miniport_attributes(handle, &reg.Header);
        }
    });
    let a = sim.add_adapter().unwrap();
    sim.remove_adapter(a);
    let v = expect_only(&sim, &[NDIS_REGISTRATION_ATTRIBUTES_FIRST]);
    assert!(v[0].message.contains("second time"));
}

#[test]
fn ndis_general_attributes_required() {
    fresh();
    set_cfg(|c| c.skip_general_attrs = true);
    let sim = loaded(0);
    lifecycle(&sim);
    expect_only(&sim, &[NDIS_GENERAL_ATTRIBUTES_REQUIRED]);
}

#[test]
fn ndis_general_attributes_validated() {
    fresh();
    set_hook(|point, handle| {
        if point == "initialize" {
            let g = general_attributes(ptr::null_mut());
            assert_eq!(k().ndis_m_set_miniport_attributes(handle, &g.Header), NDIS_STATUS_INVALID_PARAMETER);
            let mut pm = pm_capabilities();
            pm.Header.Size = 7;
            let g = general_attributes(&mut pm);
            assert_eq!(k().ndis_m_set_miniport_attributes(handle, &g.Header), NDIS_STATUS_INVALID_PARAMETER);
        }
    });
    let (sim, a) = with_adapter(0);
    sim.remove_adapter(a);
    let v = expect_only(&sim, &[NDIS_GENERAL_ATTRIBUTES_REQUIRED]);
    assert_eq!(v.len(), 2);
}

#[test]
fn ndis_attributes_only_in_initialize() {
    fresh();
    let (sim, _a) = with_adapter(0);
    let reg = registration_attributes(adapter_ctx().0);
    assert_ne!(k().ndis_m_set_miniport_attributes(adapter_handle(), &reg.Header), NDIS_STATUS_SUCCESS);
    expect_only(&sim, &[NDIS_ATTRIBUTES_ONLY_IN_INITIALIZE]);
}

#[test]
fn ndis_get_device_property_context() {
    fresh();
    let (sim, _a) = with_adapter(0);
    k().ndis_m_get_device_property(adapter_handle());
    expect_only(&sim, &[NDIS_GET_DEVICE_PROPERTY_CONTEXT]);
}

#[test]
fn ndis_deregister_at_unload() {
    fresh();
    set_cfg(|c| c.skip_deregister = true);
    let sim = loaded(0);
    lifecycle(&sim);
    expect_only(&sim, &[NDIS_DEREGISTER_AT_UNLOAD]);
}

#[test]
fn ndis_register_only_in_driver_entry() {
    fresh();
    let sim = loaded(0);
    let r = k().ndis_m_register_miniport_driver(
        DriverObject::NULL,
        RegistryPath::NULL,
        NdisHandle::NULL,
        &characteristics(),
    );
    assert!(r.is_err());
    expect_only(&sim, &[NDIS_REGISTER_IN_DRIVER_ENTRY]);
}

// ---------------------------------------------------------------------------------------------
// NDIS data path and state machine

#[test]
fn ndis_indicate_only_when_running() {
    fresh();
    let (sim, a) = with_adapter(0);
    let mut buf = vec![7u8; 60];
    let (nbl, mdl) = rx_nbl(&mut buf);
    k().ndis_m_indicate_receive_net_buffer_lists(adapter_handle(), nbl, 0, 1, NDIS_RECEIVE_FLAGS_RESOURCES);
    expect_only(&sim, &[NDIS_INDICATE_ONLY_WHEN_RUNNING]);
    k().ndis_free_net_buffer_list(nbl);
    k().ndis_free_mdl(mdl);
    sim.remove_adapter(a);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn ndis_receive_path_returns_nbls_and_records_frames() {
    for seed in 0..8 {
        fresh();
        let (sim, a) = with_adapter(seed);
        sim.restart(a);
        let mut bufs: Vec<Vec<u8>> = (0..3).map(|i| vec![i as u8; 64]).collect();
        let mut chain: Vec<(*mut NetBufferList, *mut Mdl)> = bufs.iter_mut().map(|b| rx_nbl(b)).collect();
        for i in 0..chain.len() - 1 {
            // SAFETY: NBLs the test (as the driver) owns.
            unsafe { (*chain[i].0).Next = chain[i + 1].0 };
        }
        let returned = Rc::new(RefCell::new(0));
        let r2 = returned.clone();
        set_hook(move |point, _| {
            if point == "return" {
                *r2.borrow_mut() += 1;
            }
        });
        k().ndis_m_indicate_receive_net_buffer_lists(adapter_handle(), chain[0].0, 0, 3, 0);
        assert_eq!(sim.received_frames(a).len(), 3);
        assert_eq!(sim.received_frames(a)[2], vec![2u8; 64]);
        sim.run_until_idle();
        assert!(*returned.borrow() >= 1, "NDIS returned the NBLs through MiniportReturnNetBufferLists");
        for (_, mdl) in chain.drain(..) {
            k().ndis_free_mdl(mdl);
        }
        sim.remove_adapter(a);
        sim.unload();
        sim.assert_clean();
    }
}

#[test]
fn ndis_receive_count_and_ownership() {
    fresh();
    let (sim, a) = with_adapter(0);
    sim.restart(a);
    let mut buf = vec![1u8; 60];
    let (nbl, mdl) = rx_nbl(&mut buf);
    k().ndis_m_indicate_receive_net_buffer_lists(adapter_handle(), nbl, 0, 2, NDIS_RECEIVE_FLAGS_RESOURCES);
    expect_only(&sim, &[NDIS_RECEIVE_COUNT_MATCHES]);
    k().ndis_m_indicate_receive_net_buffer_lists(adapter_handle(), nbl, 0, 1, 0);
    k().ndis_m_indicate_receive_net_buffer_lists(adapter_handle(), nbl, 0, 1, 0);
    k().ndis_free_net_buffer_list(nbl);
    let v = expect_only(&sim, &[NDIS_RECEIVE_OWNERSHIP]);
    assert_eq!(v.len(), 2, "indicated again, and freed, before NDIS returned it");
    sim.run_until_idle();
    k().ndis_free_mdl(mdl);
    sim.remove_adapter(a);
    sim.unload();
    sim.assert_clean();
}

/// Frames indicated in place: a partial MDL per NBL over a read buffer, built with
/// `IoBuildPartialMdl` into an `IoAllocateMdl` MDL, and every misuse of those routines.
#[test]
fn memory_partial_mdl() {
    fresh();
    let (sim, a) = with_adapter(0);
    sim.restart(a);
    let (handle, pool) = first_ad(|x| (x.handle, x.pool));
    let k = k();
    let mut buffer = vec![0x5Au8; 8192];
    let base = buffer.as_mut_ptr();
    let source = k.ndis_allocate_mdl(handle, base.cast(), 8192);
    // Room for 1514 bytes anywhere: 1514 + 4095 bytes from the buffer's start.
    let partial = k.io_allocate_mdl(base.cast(), 1514 + 4095);
    assert!(!source.is_null() && !partial.is_null());
    let nbl = k.ndis_allocate_net_buffer_and_net_buffer_list(pool, 0, 0, partial, 0, 0);
    // Never built: the MDL describes no pages, and an NBL over it is no frame.
    // SAFETY: the NBL NDIS just built, with one NET_BUFFER.
    unsafe { (*(*nbl).FirstNetBuffer).DataLength = 60 };
    k.ndis_m_indicate_receive_net_buffer_lists(handle, nbl, 0, 1, NDIS_RECEIVE_FLAGS_RESOURCES);
    let v = expect_only(&sim, &[NDIS_NBL_STRUCTURE_VALID]);
    assert!(v[0].message.contains("describes no pages"), "{}", v[0].message);
    // Built over 60 bytes at offset 4090: what NDIS sees is those bytes.
    // SAFETY: within the 8192-byte buffer.
    let frame = unsafe { base.add(4090) };
    // SAFETY: as above.
    unsafe { std::slice::from_raw_parts_mut(frame, 60) }.copy_from_slice(&[0xA5; 60]);
    k.mm_prepare_mdl_for_reuse(partial);
    k.io_build_partial_mdl(source, partial, frame.cast(), 60);
    // SAFETY: the partial MDL the model built.
    unsafe {
        assert_eq!(((*partial).ByteCount, (*partial).ByteOffset as usize), (60, frame.addr() % 4096));
        assert_eq!((*partial).StartVa.addr(), frame.addr() & !4095);
        assert_eq!((*partial).MappedSystemVa, frame.cast());
        assert_ne!((*partial).MdlFlags & MDL_PARTIAL, 0);
        assert_ne!((*partial).MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL, 0);
    }
    sim.hold_returns(a, true);
    k.ndis_m_indicate_receive_net_buffer_lists(handle, nbl, 0, 1, 0);
    expect_only(&sim, &[]);
    assert_eq!(sim.received_frames(a).last(), Some(&vec![0xA5; 60]));
    // The fake miniport frees what NDIS returns.
    sim.return_now(a);
    sim.hold_returns(a, false);
    // Built again without MmPrepareMdlForReuse.
    k.io_build_partial_mdl(source, partial, base.cast(), 60);
    expect_only(&sim, &[MEMORY_PARTIAL_MDL]);
    // A range outside the source, a zero length, and a range longer than the target has room for.
    k.mm_prepare_mdl_for_reuse(partial);
    // SAFETY: one past the buffer's end is a valid pointer; the model only compares it.
    k.io_build_partial_mdl(source, partial, unsafe { base.add(8190) }.cast(), 60);
    k.io_build_partial_mdl(source, partial, base.cast(), 0);
    // 100 bytes span at most 2 pages, 8000 at least 3 from wherever 100 span 2.
    let small = k.io_allocate_mdl(base.cast(), 100);
    k.io_build_partial_mdl(source, small, base.cast(), 8000);
    let v = expect_only(&sim, &[MEMORY_PARTIAL_MDL]);
    assert_eq!(v.len(), 3, "{v:#?}");
    assert!(v[2].message.contains("page(s) but the target"), "{}", v[2].message);
    // A source that describes no pages, a target that is not an IoAllocateMdl MDL.
    k.io_build_partial_mdl(small, partial, base.cast(), 60);
    k.io_build_partial_mdl(source, source, base.cast(), 60);
    let v = expect_only(&sim, &[MEMORY_PARTIAL_MDL]);
    assert_eq!(v.len(), 2, "{v:#?}");
    // Each MDL freed by the other allocator's routine is refused, and stays allocated.
    k.ndis_free_mdl(small);
    k.io_free_mdl(source);
    let v = expect_only(&sim, &[MEMORY_PARTIAL_MDL]);
    assert_eq!(v.len(), 2, "{v:#?}");
    k.io_free_mdl(small);
    k.io_free_mdl(partial);
    k.ndis_free_mdl(source);
    k.io_free_mdl(partial);
    expect_only(&sim, &[MEMORY_BAD_FREE]);
    sim.remove_adapter(a);
    sim.unload();
    sim.assert_clean();
}

/// A read sent into a buffer whose frames NDIS still holds is caught when it is sent, before the
/// device can overwrite them.
#[test]
fn ndis_receive_buffer_lent_to_ndis_is_not_read_into() {
    fresh();
    let (sim, a) = with_adapter(0);
    sim.restart(a);
    let (handle, pool, target, device) = first_ad(|x| (x.handle, x.pool, x.target, x.device));
    let k = k();
    let attrs = WdfObjectAttributes { parent: Some(device.into()), context_type: None };
    let (memory, buffer) = k.wdf_memory_create(&attrs, NON_PAGED_POOL_NX, TAG, 4096).unwrap();
    let source = k.ndis_allocate_mdl(handle, buffer, 4096);
    let partial = k.io_allocate_mdl(buffer, 1514 + 4095 - 2048);
    // SAFETY: inside the 4096-byte buffer.
    let frame = unsafe { buffer.cast::<u8>().add(100) };
    k.io_build_partial_mdl(source, partial, frame.cast(), 60);
    let nbl = k.ndis_allocate_net_buffer_and_net_buffer_list(pool, 0, 0, partial, 0, 60);
    sim.hold_returns(a, true);
    k.ndis_m_indicate_receive_net_buffer_lists(handle, nbl, 0, 1, 0);
    let read = k.wdf_request_create(&attrs, target).unwrap();
    assert_eq!(k.wdf_io_target_format_request_for_read(target, read, memory), STATUS_SUCCESS);
    k.wdf_request_send(read, target, None);
    let v = expect_only(&sim, &[NDIS_RECEIVE_OWNERSHIP]);
    assert!(v[0].message.contains("NDIS owns until"), "{}", v[0].message);
    // Nor may its MDL be prepared, rebuilt or freed meanwhile: each is refused.
    k.mm_prepare_mdl_for_reuse(partial);
    k.io_build_partial_mdl(source, partial, frame.cast(), 30);
    k.io_free_mdl(partial);
    let v = expect_only(&sim, &[NDIS_RECEIVE_OWNERSHIP]);
    assert_eq!(v.len(), 3, "{v:#?}");
    // SAFETY: the partial MDL, still allocated (the free was refused).
    assert_eq!(unsafe { (*partial).ByteCount }, 60, "left as NDIS was given it");
    // Once NDIS has returned it, the buffer is the driver's to read into again.
    sim.return_now(a);
    sim.hold_returns(a, false);
    k.wdf_request_cancel_sent_request(read);
    sim.run_until_idle();
    k.wdf_request_reuse(read, WDF_REQUEST_REUSE_NO_FLAGS, STATUS_SUCCESS);
    assert_eq!(k.wdf_io_target_format_request_for_read(target, read, memory), STATUS_SUCCESS);
    k.wdf_request_send(read, target, None);
    expect_only(&sim, &[]);
    k.wdf_request_cancel_sent_request(read);
    sim.run_until_idle();
    // Deleting the memory while NDIS holds a frame of it frees it under the protocols.
    let nbl = k.ndis_allocate_net_buffer_and_net_buffer_list(pool, 0, 0, partial, 0, 60);
    sim.hold_returns(a, true);
    k.ndis_m_indicate_receive_net_buffer_lists(handle, nbl, 0, 1, 0);
    k.wdf_object_delete(memory.into());
    let v = expect_only(&sim, &[NDIS_RECEIVE_OWNERSHIP]);
    assert!(v[0].message.contains("read freed memory"), "{}", v[0].message);
    sim.return_now(a);
    sim.hold_returns(a, false);
    sim.take_violations();
    k.io_free_mdl(partial);
    k.ndis_free_mdl(source);
    sim.remove_adapter(a);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn ndis_send_complete_exactly_once() {
    fresh();
    set_cfg(|c| c.double_complete_send = true);
    let (sim, a) = with_adapter(0);
    sim.restart(a);
    sim.send(a, 2, 60);
    expect_only(&sim, &[NDIS_SEND_COMPLETE_EXACTLY_ONCE]);
    set_cfg(|c| c.double_complete_send = false);
    let mut buf = vec![0u8; 60];
    let (nbl, mdl) = rx_nbl(&mut buf);
    k().ndis_m_send_net_buffer_lists_complete(adapter_handle(), nbl, 0);
    let v = expect_only(&sim, &[NDIS_SEND_COMPLETE_EXACTLY_ONCE]);
    assert!(v[0].message.contains("own NBL"));
    k().ndis_free_net_buffer_list(nbl);
    k().ndis_free_mdl(mdl);
    sim.remove_adapter(a);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn ndis_send_complete_status() {
    fresh();
    set_cfg(|c| c.send_status = Some(NdisStatus::from_raw(0x1234)));
    let (sim, a) = with_adapter(0);
    sim.restart(a);
    sim.send(a, 1, 60);
    expect_only(&sim, &[NDIS_SEND_COMPLETE_STATUS]);
    // Sent while paused: only NDIS_STATUS_PAUSED will do.
    set_cfg(|c| c.send_status = Some(NDIS_STATUS_SUCCESS));
    sim.pause(a);
    let id = sim.send(a, 1, 60)[0];
    assert_eq!(sim.send_completion(id), Some(NDIS_STATUS_SUCCESS));
    let v = expect_only(&sim, &[NDIS_SEND_COMPLETE_STATUS]);
    assert!(v[0].message.contains("PAUSED"));
    set_cfg(|c| c.send_status = Some(NDIS_STATUS_PAUSED));
    sim.send(a, 1, 60);
    assert!(sim.violations().is_empty());
    // Sent after surprise removal: only NDIS_STATUS_NOT_ACCEPTED.
    sim.restart(a);
    sim.pnp_event(a, NDIS_DEVICE_PNP_EVENT_SURPRISE_REMOVED);
    set_cfg(|c| c.send_status = Some(NDIS_STATUS_SUCCESS));
    sim.send(a, 1, 60);
    let v = expect_only(&sim, &[NDIS_SEND_COMPLETE_STATUS]);
    assert!(v[0].message.contains("NOT_ACCEPTED"));
    set_cfg(|c| c.send_status = Some(NDIS_STATUS_NOT_ACCEPTED));
    sim.send(a, 1, 60);
    sim.remove_adapter(a);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn ndis_send_nb_chain_unchanged() {
    fresh();
    set_cfg(|c| c.hold_sends = true);
    let (sim, a) = with_adapter(0);
    sim.restart(a);
    sim.send(a, 1, 60);
    let nbl = first_ad(|x| x.held_sends[0]);
    // SAFETY: the NBL the driver holds; the test plays a driver that breaks its NB chain.
    unsafe { (*nbl).FirstNetBuffer = ptr::null_mut() };
    flush_held(adapter_ctx(), NDIS_STATUS_SUCCESS);
    expect_only(&sim, &[NDIS_SEND_NB_CHAIN_UNCHANGED]);
    sim.remove_adapter(a);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn ndis_dispatch_flag_accurate() {
    fresh();
    set_cfg(|c| c.wrong_dispatch_flag = true);
    let (sim, a) = with_adapter(0);
    sim.restart(a);
    sim.send(a, 1, 60);
    expect_only(&sim, &[NDIS_DISPATCH_FLAG_ACCURATE]);
}

/// `NdisReadConfiguration` and `NdisReadNetworkAddress` as NDIS answers them, and the handle
/// rules: used after close, or left open when `MiniportInitializeEx` returns.
#[test]
fn ndis_configuration_reads_and_closes() {
    use ndis_types::config::*;
    fn name(units: &[u16]) -> UnicodeString {
        let bytes = (units.len() * 2) as u16;
        UnicodeString { Length: bytes, MaximumLength: bytes, Buffer: units.as_ptr().cast_mut() }
    }
    fn read(handle: NdisHandle, keyword: &str, ty: NdisParameterType) -> Option<NdisConfigurationParameter> {
        let units: Vec<u16> = keyword.encode_utf16().collect();
        let (mut status, mut parameter) = (NDIS_STATUS_FAILURE, ptr::null_mut());
        k().ndis_read_configuration(&mut status, &mut parameter, handle, &name(&units), ty);
        // SAFETY: on success NDIS returned a parameter that lives until the close.
        (status == NDIS_STATUS_SUCCESS).then(|| unsafe { parameter.read() })
    }
    fn open(miniport: NdisHandle) -> NdisHandle {
        let object = NdisConfigurationObject {
            Header: NdisObjectHeader::new(
                NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT,
                NDIS_CONFIGURATION_OBJECT_REVISION_1,
                NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1,
            ),
            NdisHandle: miniport,
            Flags: 0,
        };
        let mut handle = NdisHandle::NULL;
        assert_eq!(k().ndis_open_configuration_ex(&object, &mut handle), NDIS_STATUS_SUCCESS);
        handle
    }
    fresh();
    let sim = loaded(0);
    sim.set_registry("*ReceiveBuffers", Some(RegValue::String("256".into())));
    sim.set_registry("HexValue", Some(RegValue::String("1F".into())));
    sim.set_registry("Dword", Some(RegValue::Dword(7)));
    sim.set_registry("NetworkAddress", Some(RegValue::String("02aabbccddee".into())));
    set_hook(|point, miniport| {
        if point != "initialize" {
            return;
        }
        let handle = open(miniport);
        // SAFETY (each arm): the union member the returned ParameterType names.
        let integer = |p: NdisConfigurationParameter| {
            assert_eq!(p.ParameterType, NDIS_PARAMETER_INTEGER);
            unsafe { p.ParameterData.IntegerData }
        };
        assert_eq!(read(handle, "*receivebuffers", NDIS_PARAMETER_INTEGER).map(integer), Some(256));
        assert_eq!(read(handle, "HexValue", NDIS_PARAMETER_HEX_INTEGER).map(integer), Some(0x1F));
        assert_eq!(read(handle, "Dword", NDIS_PARAMETER_INTEGER).map(integer), Some(7));
        // As RtlUnicodeStringToInteger: decimal digits up to the first that is not one.
        assert_eq!(read(handle, "HexValue", NDIS_PARAMETER_INTEGER).map(integer), Some(1));
        assert!(read(handle, "Missing", NDIS_PARAMETER_INTEGER).is_none());
        let string =
            read(handle, "*ReceiveBuffers", NDIS_PARAMETER_STRING).expect("a REG_SZ reads as a string");
        // SAFETY: a string parameter; its buffer lives until the close.
        let text = unsafe {
            let s = string.ParameterData.StringData;
            String::from_utf16_lossy(std::slice::from_raw_parts(s.Buffer, usize::from(s.Length / 2)))
        };
        assert_eq!(text, "256");
        let (mut status, mut address, mut length) = (NDIS_STATUS_FAILURE, ptr::null_mut(), 0u32);
        k().ndis_read_network_address(&mut status, &mut address, &mut length, handle);
        assert_eq!((status, length), (NDIS_STATUS_SUCCESS, 6));
        // SAFETY: 6 bytes NDIS returned, live until the close.
        assert_eq!(
            unsafe { std::slice::from_raw_parts(address.cast::<u8>(), 6) },
            [2, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE]
        );
        k().ndis_write_error_log_entry(miniport, NDIS_ERROR_CODE_NETWORK_ADDRESS, &[2]);
        k().ndis_close_configuration(handle);
        // Used after the close.
        assert!(read(handle, "Dword", NDIS_PARAMETER_INTEGER).is_none());
        // Opened and left open.
        open(miniport);
    });
    let a = sim.add_adapter().expect("initialize");
    set_hook(|_, _| {});
    let violations = expect_only(&sim, &[NDIS_HANDLE_VALID, NDIS_CONFIGURATION_CLOSED]);
    assert_eq!(violations.len(), 2, "{violations:#?}");
    assert_eq!(sim.error_log(a), [ErrorLogEntry { code: NDIS_ERROR_CODE_NETWORK_ADDRESS, values: vec![2] }]);
    sim.remove_adapter(a);
    sim.unload();
    sim.assert_clean();
}

/// A miniport that answers `OID_PNP_SET_POWER(D3)` with its read still below, then sends below
/// while the device sleeps. Besides the rule, the device below does what the vwire bus does: the
/// PDO's power-down fails the parked read, and the powered-down port refuses the write
/// (`STATUS_DEVICE_POWERED_OFF`), so the model is never looser than the real bus.
#[test]
fn ndis_no_device_io_in_low_power() {
    fresh();
    set_cfg(|c| c.no_halt_on_suspend = true);
    let (sim, a) = with_adapter(0);
    sim.restart(a);
    assert_eq!(sim.lower(a).pending_reads(), 1);
    assert_eq!(sim.suspend(a), NDIS_STATUS_SUCCESS);
    expect_only(&sim, &[NDIS_NO_DEVICE_IO_IN_LOW_POWER]);
    assert_eq!(sim.lower(a).power(), Some(kernel_sim::DevicePower::D3));
    assert_eq!(sim.lower(a).pending_reads(), 0, "the powered-down port failed the read it held");
    issue_write(adapter_ctx());
    sim.run_until_idle();
    expect_only(&sim, &[NDIS_NO_DEVICE_IO_IN_LOW_POWER]);
    assert_eq!(sim.lower(a).written_frames(), 1, "the write reached the port");
    assert_eq!(sim.lower(a).admin_counters().unwrap().io_refused_powered_down, 1, "and was refused");
    assert_eq!(sim.lower(a).pending_writes(), 0);
    // A read sent in D3 is refused too, not parked where nothing would complete it.
    let received = sim.lower(a).reads_received();
    assert!(arm_read(adapter_ctx()));
    sim.run_until_idle();
    expect_only(&sim, &[NDIS_NO_DEVICE_IO_IN_LOW_POWER]);
    assert_eq!(sim.lower(a).reads_received(), received + 1);
    assert_eq!(sim.lower(a).pending_reads(), 0);
    assert_eq!(sim.lower(a).admin_counters().unwrap().io_refused_powered_down, 2);
    assert_eq!(sim.resume(a), NDIS_STATUS_SUCCESS);
    sim.run_until_idle();
    expect_only(&sim, &[]);
    sim.remove_adapter(a);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn ndis_supported_oid_list() {
    fresh();
    let (sim, a) = with_adapter(0);
    sim.restart(a);
    // Declared and answered, or not declared and refused: both fine.
    assert_eq!(sim.oid_query(a, OID_GEN_XMIT_OK, 8).status, NDIS_STATUS_SUCCESS);
    assert_eq!(sim.oid_query(a, OID_GEN_LINK_SPEED, 8).status, NDIS_STATUS_NOT_SUPPORTED);
    expect_only(&sim, &[]);
    // Answered without being declared; a vendor OID may be (HLK 1c_WMICoverage).
    set_cfg(|c| c.oid_status = Some(NDIS_STATUS_SUCCESS));
    sim.oid_query(a, 0xFF00_0001, 8);
    expect_only(&sim, &[]);
    sim.oid_query(a, OID_GEN_LINK_SPEED, 8);
    expect_only(&sim, &[NDIS_SUPPORTED_OID_LIST]);
    // Declared but unknown.
    set_cfg(|c| c.oid_status = Some(NDIS_STATUS_INVALID_OID));
    sim.oid_query(a, OID_GEN_RCV_OK, 8);
    expect_only(&sim, &[NDIS_SUPPORTED_OID_LIST]);
    set_cfg(|c| c.oid_status = None);
    sim.remove_adapter(a);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn ndis_ieee8021q_declared() {
    fresh();
    // 802.1Q without 802.1p is refused as a declaration (Doc oid-gen-mac-options).
    set_cfg(|c| c.extra_mac_options = NDIS_MAC_OPTION_8021Q_VLAN);
    let (sim, a) = with_adapter(0);
    expect_only(&sim, &[NDIS_IEEE8021Q_DECLARED]);
    sim.remove_adapter(a);
    sim.unload();
    sim.take_violations();
    drop(sim);
    fresh();
    // A driver that declares neither 802.1 option, then one that declares 802.1p only, then both.
    let both = NDIS_MAC_OPTION_8021P_PRIORITY | NDIS_MAC_OPTION_8021Q_VLAN;
    for options in [0, NDIS_MAC_OPTION_8021P_PRIORITY, both] {
        set_cfg(|c| c.extra_mac_options = options);
        let (sim, a) = with_adapter(0);
        sim.restart(a);
        let indicate = |frame: &[u8], info: usize| {
            let mut buf = frame.to_vec();
            let (nbl, mdl) = rx_nbl(&mut buf);
            // SAFETY: an NBL the fake allocated and owns.
            unsafe { (*nbl).NetBufferListInfo[IEEE_8021Q_NET_BUFFER_LIST_INFO] = info as *mut c_void };
            k().ndis_m_indicate_receive_net_buffer_lists(
                adapter_handle(),
                nbl,
                0,
                1,
                NDIS_RECEIVE_FLAGS_RESOURCES,
            );
            k().ndis_free_net_buffer_list(nbl);
            k().ndis_free_mdl(mdl);
        };
        let mut untagged = vec![0x11u8; 60];
        untagged[12..14].copy_from_slice(&[0x08, 0x00]);
        let tagged = |tci: u16| {
            let mut f = untagged.clone();
            f.splice(12..12, [0x81, 0x00, (tci >> 8) as u8, tci as u8]);
            f
        };
        // Untagged, no info: always fine.
        indicate(&untagged, 0);
        expect_only(&sim, &[]);
        // Priority 5 in the info: only with 802.1p declared.
        indicate(&untagged, 5);
        let want: &[&str] = if options == 0 { &[NDIS_IEEE8021Q_DECLARED] } else { &[] };
        expect_only(&sim, want);
        // VLAN 10 in the info: only with 802.1Q declared.
        indicate(&untagged, 10 << 4);
        let want: &[&str] = if options == both { &[] } else { &[NDIS_IEEE8021Q_DECLARED] };
        expect_only(&sim, want);
        // A tag left in the frame, priority or VLAN: never, whatever is declared.
        indicate(&tagged(0xA000), 0);
        expect_only(&sim, &[NDIS_IEEE8021Q_DECLARED]);
        indicate(&tagged(0xA00A), 0);
        expect_only(&sim, &[NDIS_IEEE8021Q_DECLARED]);
        sim.remove_adapter(a);
        sim.unload();
        sim.assert_clean();
    }
    set_cfg(|c| c.extra_mac_options = 0);
}

#[test]
fn ndis_indicated_frame_size() {
    fresh();
    let (sim, a) = with_adapter(0);
    sim.restart(a);
    // The fake declares MtuSize 1500: 14..=1514 bytes may go up.
    let fires: &[&str] = &[NDIS_INDICATED_FRAME_SIZE];
    for (length, want) in [(14, &[][..]), (1514, &[][..]), (13, fires), (1515, fires)] {
        let mut buf = vec![0x11u8; length];
        let (nbl, mdl) = rx_nbl(&mut buf);
        k().ndis_m_indicate_receive_net_buffer_lists(
            adapter_handle(),
            nbl,
            0,
            1,
            NDIS_RECEIVE_FLAGS_RESOURCES,
        );
        expect_only(&sim, want);
        k().ndis_free_net_buffer_list(nbl);
        k().ndis_free_mdl(mdl);
    }
    sim.remove_adapter(a);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn ndis_statistics_declared() {
    fresh();
    let (sim, a) = with_adapter(0);
    sim.restart(a);
    let size = core::mem::size_of::<NdisStatisticsInfo>();
    assert_eq!(sim.oid_query(a, OID_GEN_STATISTICS, size).status, NDIS_STATUS_SUCCESS);
    expect_only(&sim, &[]);
    // Valid: a counter not declared (multicast frames received), and one declared left out.
    for valid in
        [NDIS_STATISTICS_FLAGS_VALID_BYTES_XMIT | NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_RCV, 0]
    {
        set_cfg(|c| c.statistics_valid = Some(valid));
        assert_eq!(sim.oid_query(a, OID_GEN_STATISTICS, size).status, NDIS_STATUS_SUCCESS);
        expect_only(&sim, &[NDIS_STATISTICS_DECLARED]);
    }
    sim.remove_adapter(a);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn ndis_handler_status() {
    fresh();
    // Returned: NOT_ACCEPTED is no MiniportRestart status, FAILURE no MiniportResetEx one.
    set_cfg(|c| c.restart_status = Some(NDIS_STATUS_NOT_ACCEPTED));
    let (sim, a) = with_adapter(0);
    assert_eq!(sim.restart(a), NDIS_STATUS_NOT_ACCEPTED);
    expect_only(&sim, &[NDIS_HANDLER_STATUS]);
    set_cfg(|c| {
        c.restart_status = None;
        c.reset_status = Some(NDIS_STATUS_FAILURE);
    });
    assert_eq!(sim.restart(a), NDIS_STATUS_SUCCESS);
    sim.reset(a);
    expect_only(&sim, &[NDIS_HANDLER_STATUS]);
    // Completed: the same, through NdisMResetComplete.
    set_cfg(|c| c.reset_pending = true);
    sim.reset(a);
    expect_only(&sim, &[NDIS_HANDLER_STATUS]);
    // Documented statuses pass, returned or completed.
    set_cfg(|c| c.reset_status = Some(NDIS_STATUS_SOFT_ERRORS));
    sim.reset(a);
    set_cfg(|c| {
        c.reset_pending = false;
        c.reset_status = Some(NDIS_STATUS_NOT_RESETTABLE);
    });
    sim.reset(a);
    expect_only(&sim, &[]);
    sim.remove_adapter(a);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn ndis_pause_cannot_fail() {
    fresh();
    set_cfg(|c| c.pause_status = Some(NDIS_STATUS_FAILURE));
    let (sim, a) = with_adapter(0);
    sim.restart(a);
    assert_eq!(sim.pause(a), NDIS_STATUS_FAILURE);
    assert_eq!(sim.adapter_state(a), AdapterState::Paused);
    expect_only(&sim, &[NDIS_PAUSE_CANNOT_FAIL]);
}

#[test]
fn ndis_pause_complete_when_idle() {
    fresh();
    set_cfg(|c| {
        c.hold_sends = true;
        c.pause_without_flush = true;
    });
    let (sim, a) = with_adapter(0);
    sim.restart(a);
    sim.send(a, 2, 60);
    sim.pause(a);
    expect_only(&sim, &[NDIS_PAUSE_COMPLETE_WHEN_IDLE]);
    flush_held(adapter_ctx(), NDIS_STATUS_PAUSED);
    sim.remove_adapter(a);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn ndis_pause_that_never_completes_aborts() {
    fresh();
    set_cfg(|c| c.pause_pending_never = true);
    let (sim, a) = with_adapter(0);
    sim.restart(a);
    assert!(catch_unwind(AssertUnwindSafe(|| sim.pause(a))).is_err());
    expect_only(&sim, &[NDIS_PENDING_NEVER_COMPLETED]);
}

#[test]
fn ndis_complete_once() {
    fresh();
    let (sim, a) = with_adapter(0);
    k().ndis_m_pause_complete(adapter_handle());
    k().ndis_m_reset_complete(adapter_handle(), NDIS_STATUS_SUCCESS, FALSE);
    k().ndis_m_restart_complete(adapter_handle(), NDIS_STATUS_SUCCESS);
    let v = expect_only(&sim, &[NDIS_COMPLETE_ONCE]);
    assert_eq!(v.len(), 3);
    set_hook(|point, ctx| {
        if point == "pause" {
            k().ndis_m_pause_complete(ad(ctx, |a| a.handle).unwrap());
        }
    });
    sim.restart(a);
    assert_eq!(sim.pause(a), NDIS_STATUS_SUCCESS);
    let v = expect_only(&sim, &[NDIS_COMPLETE_ONCE]);
    assert!(v[0].message.contains("also called NdisMPauseComplete"));
}

#[test]
fn ndis_halt_leaves_nothing() {
    fresh();
    set_cfg(|c| {
        c.skip_stop_target = true;
        c.skip_device_delete = true;
    });
    let (sim, a) = with_adapter(0);
    sim.remove_adapter(a);
    let v = expect_only(&sim, &[NDIS_HALT_LEAVES_NOTHING, KMDF_MINIPORT_DEVICE_DELETED, KMDF_OBJECT_LEAK]);
    assert!(v.iter().any(|v| v.rule == NDIS_HALT_LEAVES_NOTHING && v.message.contains("I/O pending below")));
}

#[test]
fn ndis_failed_initialize_must_unwind() {
    fresh();
    set_cfg(|c| {
        c.fail_init_after_device = true;
        c.leak_in_init = true;
    });
    let sim = loaded(0);
    assert_eq!(sim.add_adapter(), Err(NDIS_STATUS_FAILURE));
    let v = expect_only(&sim, &[MEMORY_LEAK_BY_TAG]);
    assert!(
        v[0].message.contains("MiniportInitializeEx failed") && v[0].message.contains("KsTt"),
        "{}",
        v[0].message
    );
}

#[test]
fn ndis_no_hardware_after_surprise_removal() {
    fresh();
    set_hook(|point, ctx| {
        if point == "pnp" {
            issue_write(ctx);
        }
    });
    let (sim, a) = with_adapter(0);
    sim.restart(a);
    sim.surprise_remove(a);
    expect_only(&sim, &[NDIS_NO_HARDWARE_AFTER_SURPRISE_REMOVAL]);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn ndis_nothing_held_across_reset() {
    fresh();
    set_cfg(|c| c.hold_sends = true);
    let (sim, a) = with_adapter(0);
    sim.restart(a);
    sim.send(a, 1, 60);
    assert_eq!(sim.reset(a).0, NDIS_STATUS_SUCCESS);
    expect_only(&sim, &[NDIS_NOTHING_HELD_ACROSS_RESET]);
    flush_held(adapter_ctx(), NDIS_STATUS_RESET_IN_PROGRESS);
    sim.remove_adapter(a);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn ndis_shutdown_bugcheck_path() {
    fresh();
    set_hook(|point, ctx| {
        if point == "shutdown" && k().ke_get_current_irql() == HIGH_LEVEL {
            let handle = ad(ctx, |a| a.handle).unwrap();
            let p = k().ndis_allocate_memory_with_tag_priority(handle, 8, TAG, NORMAL_POOL_PRIORITY);
            k().ndis_free_memory_with_tag_priority(handle, p, TAG);
        }
    });
    let (sim, a) = with_adapter(0);
    sim.shutdown(a, NDIS_SHUTDOWN_BUG_CHECK);
    assert_eq!(sim.adapter_state(a), AdapterState::Shutdown);
    let v = expect_only(&sim, &[NDIS_SHUTDOWN_BUGCHECK_PATH]);
    assert_eq!(v.len(), 2);
    sim.halt(a, NDIS_HALT_DEVICE_POWERED_DOWN);
    sim.unload();
    sim.assert_clean();
    fresh();
    drop(sim);
    let (sim, a) = with_adapter(0);
    sim.shutdown(a, NDIS_SHUTDOWN_POWER_OFF);
    sim.halt(a, NDIS_HALT_DEVICE_POWERED_DOWN);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn ndis_pool_parameters_and_handles_checked() {
    fresh();
    let (sim, _a) = with_adapter(0);
    let mut p = pool_parameters();
    p.Header.Size = 20;
    assert!(k().ndis_allocate_net_buffer_list_pool(adapter_handle(), &p).is_null());
    expect_only(&sim, &[NDIS_NBL_STRUCTURE_VALID]);
    let bogus = NdisHandle(0x1234 as *mut c_void);
    let m = k().ndis_allocate_memory_with_tag_priority(bogus, 8, TAG, NORMAL_POOL_PRIORITY);
    k().ndis_free_memory_with_tag_priority(bogus, m, TAG);
    expect_only(&sim, &[NDIS_HANDLE_VALID]);
}

// ---------------------------------------------------------------------------------------------
// OIDs, timing, status

#[test]
fn ndis_oid_complete_status_rules() {
    fresh();
    set_cfg(|c| {
        c.oid_pend = true;
        c.oid_complete_status = Some(NDIS_STATUS_PENDING);
    });
    let (sim, a) = with_adapter(0);
    sim.oid_query(a, OID_GEN_XMIT_OK, 8);
    expect_only(&sim, &[NDIS_OID_COMPLETE]);
    set_cfg(|c| {
        c.oid_pend = false;
        c.oid_status = Some(NDIS_STATUS_FAILURE);
    });
    sim.oid_set(a, OID_PNP_SET_POWER, &[4, 0, 0, 0]);
    let v = expect_only(&sim, &[NDIS_OID_COMPLETE]);
    assert!(v[0].message.contains("OID_PNP_SET_POWER"));
}

#[test]
fn ndis_oid_double_complete() {
    fresh();
    let (sim, a) = with_adapter(0);
    sim.oid_query(a, OID_GEN_XMIT_OK, 8);
    let req = first_ad(|x| x.last_oid);
    k().ndis_m_oid_request_complete(adapter_handle(), req, NDIS_STATUS_SUCCESS);
    expect_only(&sim, &[NDIS_OID_DOUBLE_COMPLETE]);
}

#[test]
fn ndis_timed_oid_complete_and_no_double_request() {
    fresh();
    set_cfg(|c| c.oid_pend = true);
    let (sim, a) = with_adapter(0);
    sim.lower(a).set_write_completion(WriteCompletion::Hold);
    let r = sim.oid_query(a, OID_GEN_XMIT_OK, 8);
    assert_eq!(r.status, NDIS_STATUS_PENDING);
    assert!(sim.now() > Duration::from_secs(12));
    expect_only(&sim, &[NDIS_TIMED_OID_COMPLETE]);
    let second = catch_unwind(AssertUnwindSafe(|| sim.oid_query(a, OID_GEN_RCV_OK, 8)));
    assert!(second.is_err(), "NDIS never issues a second OID while one is pending (NdisOidDoubleRequest)");
    assert_eq!(sim.lower(a).complete_writes(1, STATUS_SUCCESS), 1);
    sim.remove_adapter(a);
    sim.unload();
    sim.assert_clean();
}

/// What the fake driver's OID or initialize hook sends synchronously below, and what it got.
#[derive(Default)]
struct SyncPlan {
    /// One send per entry, each with this send-options timeout (None: WDF_NO_SEND_OPTIONS).
    timeouts: Vec<Option<u32>>,
    results: Vec<(Result<usize, NtStatus>, NtStatus)>,
}

/// At `point`, send `IOCTL_VWIRE_QUERY_DEVICE` synchronously on `request` once per planned timeout.
fn sync_sends_at(point: &'static str, request: WdfRequest, plan: Rc<RefCell<SyncPlan>>) {
    set_hook(move |at, key| {
        if at != point {
            return;
        }
        let k = k();
        let target = ad(key, |x| x.target).expect("the adapter");
        let timeouts = plan.borrow().timeouts.clone();
        for timeout in timeouts {
            let options = timeout.map(WdfRequestSendOptions::relative_timeout_ms);
            if !request.is_null() {
                k.wdf_request_reuse(request, WDF_REQUEST_REUSE_NO_FLAGS, STATUS_SUCCESS);
            }
            let mut info = [0u8; 64];
            let result = k.wdf_io_target_send_internal_ioctl_synchronously(
                target,
                request,
                vwire_proto::IOCTL_VWIRE_QUERY_DEVICE,
                &[],
                &mut info,
                options.as_ref(),
            );
            let status = if request.is_null() { STATUS_SUCCESS } else { k.wdf_request_get_status(request) };
            plan.borrow_mut().results.push((result, status));
        }
    });
}

#[test]
fn ndis_oid_deadline() {
    fresh();
    let (sim, a) = with_adapter(0);
    let plan = Rc::new(RefCell::new(SyncPlan::default()));
    let set = |timeouts: Vec<Option<u32>>| {
        let mut p = plan.borrow_mut();
        p.timeouts = timeouts;
        p.results.clear();
    };
    // Inside an OID, a send with no timeout is flagged even though the port answers at once.
    sync_sends_at("oid", WdfRequest::NULL, plan.clone());
    set(vec![None]);
    assert_eq!(sim.oid_query(a, OID_GEN_XMIT_OK, 8).status, NDIS_STATUS_SUCCESS);
    assert!(plan.borrow().results[0].0.is_ok(), "answered");
    let v = expect_only(&sim, &[NDIS_OID_DEADLINE]);
    assert!(v[0].message.contains("no timeout") && v[0].message.contains("OID 0x00020101"), "{v:?}");
    // A timeout that does not end before the OID's 12 s is flagged too; one that does is fine.
    set(vec![Some(12_000)]);
    sim.oid_query(a, OID_GEN_XMIT_OK, 8);
    expect_only(&sim, &[NDIS_OID_DEADLINE]);
    set(vec![Some(3_000), Some(3_000)]);
    sim.oid_query(a, OID_GEN_XMIT_OK, 8);
    expect_only(&sim, &[]);
    // Outside an OID the model says nothing about the timeout.
    let target = first_ad(|x| x.target);
    let mut info = [0u8; 64];
    let code = vwire_proto::IOCTL_VWIRE_QUERY_DEVICE;
    assert!(
        k().wdf_io_target_send_internal_ioctl_synchronously(
            target,
            WdfRequest::NULL,
            code,
            &[],
            &mut info,
            None
        )
        .is_ok()
    );
    expect_only(&sim, &[]);

    // A hung bus: each send times out after its 10 s with STATUS_IO_TIMEOUT, the request
    // completed with it. The second one cannot end before the 12 s (Ndis.OidDeadline), and while
    // it waits the OID passes them (NdisTimedOidComplete, checked as virtual time moves).
    let request = k().wdf_request_create(&WdfObjectAttributes::default(), target).unwrap();
    sync_sends_at("oid", request, plan.clone());
    sim.lower(a).hold_control_ioctls(true);
    set(vec![Some(10_000), Some(10_000)]);
    let issued = sim.now();
    assert_eq!(sim.oid_query(a, OID_GEN_XMIT_OK, 8).status, NDIS_STATUS_SUCCESS);
    assert_eq!(sim.now() - issued, Duration::from_secs(20), "each send waited for its timeout");
    for (result, status) in &plan.borrow().results {
        assert_eq!((*result, *status), (Err(STATUS_IO_TIMEOUT), STATUS_IO_TIMEOUT));
    }
    let v = expect_only(&sim, &[NDIS_OID_DEADLINE, NDIS_TIMED_OID_COMPLETE]);
    assert_eq!(v.len(), 2, "{v:#?}");
    // The request is idle again: reused and answered once the bus answers.
    sim.lower(a).hold_control_ioctls(false);
    set(vec![Some(3_000)]);
    sim.oid_query(a, OID_GEN_XMIT_OK, 8);
    assert_eq!(plan.borrow().results[0], (Ok(vwire_proto::DeviceInfo::ENCODED_LEN), STATUS_SUCCESS));
    expect_only(&sim, &[]);

    // MiniportInitializeEx is held to the same bound.
    sync_sends_at("initialize", WdfRequest::NULL, plan.clone());
    set(vec![None]);
    sim.add_adapter().expect("initialize");
    let v = expect_only(&sim, &[NDIS_OID_DEADLINE]);
    assert!(v[0].message.contains("MiniportInitializeEx"), "{v:?}");
    set(vec![Some(5_000), Some(5_000)]);
    sim.add_adapter().expect("initialize");
    expect_only(&sim, &[]);
    set_hook(|_, _| {});

    // A port that holds the request uncancelable: KMDF cancels it at the timeout and then waits
    // for a completion that never comes.
    sim.lower(a).hold_control_ioctls(true);
    sim.lower(a).hold_uncancelable(true);
    let options = WdfRequestSendOptions::relative_timeout_ms(1_000);
    let r = catch_unwind(AssertUnwindSafe(|| {
        k().wdf_io_target_send_internal_ioctl_synchronously(
            target,
            request,
            code,
            &[],
            &mut info,
            Some(&options),
        )
    }));
    assert!(r.is_err(), "the scenario is aborted");
    expect_only(&sim, &[KMDF_SEND_SYNCHRONOUSLY_NEVER_RETURNS]);
}

#[test]
fn ndis_oid_buffer_bounds() {
    fresh();
    set_cfg(|c| c.oid_bytes_written = Some(100));
    let (sim, a) = with_adapter(0);
    sim.oid_query(a, OID_GEN_XMIT_OK, 8);
    expect_only(&sim, &[NDIS_OID_BUFFER_BOUNDS]);
    set_cfg(|c| c.oid_bytes_written = Some(0));
    let r = sim.oid_query(a, OID_GEN_XMIT_OK, 0);
    assert_eq!(r.status, NDIS_STATUS_BUFFER_TOO_SHORT);
    let v = expect_only(&sim, &[NDIS_OID_BUFFER_BOUNDS]);
    assert!(v[0].message.contains("BytesNeeded"));
}

#[test]
fn ndis_timed_data_send_and_hang() {
    fresh();
    set_cfg(|c| c.hold_sends = true);
    let (sim, a) = with_adapter(0);
    sim.restart(a);
    sim.send(a, 1, 60);
    sim.advance_time(Duration::from_secs(21));
    assert!(sim.violations().is_empty());
    sim.advance_time(Duration::from_secs(2));
    expect_only(&sim, &[NDIS_TIMED_DATA_HANG]);
    sim.advance_time(Duration::from_secs(8));
    expect_only(&sim, &[NDIS_TIMED_DATA_SEND]);
    sim.remove_adapter(a);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn ndis_status_indication_valid() {
    fresh();
    let (sim, a) = with_adapter(0);
    let mut ls = NdisLinkState {
        Header: NdisObjectHeader::new(
            NDIS_OBJECT_TYPE_DEFAULT,
            NDIS_LINK_STATE_REVISION_1,
            NDIS_SIZEOF_LINK_STATE_REVISION_1,
        ),
        MediaConnectState: MEDIA_CONNECT_STATE_DISCONNECTED,
        MediaDuplexState: MEDIA_DUPLEX_STATE_FULL,
        XmitLinkSpeed: 0,
        RcvLinkSpeed: 0,
        PauseFunctions: 0,
        AutoNegotiationFlags: 0,
    };
    let mut s = NdisStatusIndication {
        Header: NdisObjectHeader::new(
            NDIS_OBJECT_TYPE_STATUS_INDICATION,
            NDIS_STATUS_INDICATION_REVISION_1,
            NDIS_SIZEOF_STATUS_INDICATION_REVISION_1,
        ),
        SourceHandle: adapter_handle(),
        PortNumber: 0,
        StatusCode: NDIS_STATUS_LINK_STATE,
        Flags: 0,
        DestinationHandle: NdisHandle::NULL,
        RequestId: ptr::null_mut(),
        StatusBuffer: (&mut ls as *mut NdisLinkState).cast(),
        StatusBufferSize: 40,
        Guid: Guid::default(),
        NdisReserved: [ptr::null_mut(); 4],
    };
    k().ndis_m_indicate_status_ex(adapter_handle(), &s);
    assert!(sim.violations().is_empty());
    assert_eq!(sim.general_attributes(a).unwrap().media_connect_state, MEDIA_CONNECT_STATE_DISCONNECTED);
    assert_eq!(sim.status_indications(a).len(), 1);
    s.StatusBufferSize = 32;
    k().ndis_m_indicate_status_ex(adapter_handle(), &s);
    s.StatusBufferSize = 40;
    s.SourceHandle = NdisHandle::NULL;
    k().ndis_m_indicate_status_ex(adapter_handle(), &s);
    s.SourceHandle = adapter_handle();
    s.Header.Size = 100;
    k().ndis_m_indicate_status_ex(adapter_handle(), &s);
    let v = expect_only(&sim, &[NDIS_STATUS_INDICATION_VALID]);
    assert_eq!(v.len(), 3);
}

// ---------------------------------------------------------------------------------------------
// Kernel services

#[test]
fn irql_call_above_max() {
    fresh();
    set_hook(|point, handle| {
        if point == "initialize" {
            let mut lock = 0usize;
            common::k().ke_initialize_spin_lock(&mut lock);
            let old = k().ke_acquire_spin_lock_raise_to_dpc(&mut lock);
            let _ = set_general(handle);
            k().ke_release_spin_lock(&mut lock, old);
        }
    });
    let (sim, a) = with_adapter(0);
    sim.remove_adapter(a);
    let v = expect_only(&sim, &[IRQL_CALL_ABOVE_MAX, LOCK_NO_BLOCKING_WHILE_HELD]);
    assert!(v.iter().any(|v| {
        v.message.contains("NdisMSetMiniportAttributes called at DISPATCH_LEVEL from MiniportInitializeEx")
    }));
}

#[test]
fn irql_call_below_min() {
    fresh();
    let sim = loaded(0);
    let mut lock = 0usize;
    common::k().ke_initialize_spin_lock(&mut lock);
    k().ke_acquire_spin_lock_at_dpc_level(&mut lock);
    k().ke_release_spin_lock_from_dpc_level(&mut lock);
    let v = expect_only(&sim, &[IRQL_CALL_BELOW_MIN]);
    assert_eq!(v.len(), 2);
}

#[test]
fn irql_handler_entry_exercises_passive_and_dispatch() {
    let seen = Rc::new(RefCell::new(Vec::new()));
    for seed in 0..16 {
        fresh();
        let s2 = seen.clone();
        set_hook(move |point, _| {
            if point == "send" || point == "return" || point == "reset" {
                s2.borrow_mut().push(k().ke_get_current_irql());
            }
            if point == "read_complete" || point == "write_complete" {
                assert_eq!(k().ke_get_current_irql(), DISPATCH_LEVEL);
            }
            if point == "initialize"
                || point == "halt"
                || point == "pause"
                || point == "oid"
                || point == "pnp"
            {
                assert_eq!(k().ke_get_current_irql(), PASSIVE_LEVEL);
            }
        });
        let (sim, a) = with_adapter(seed);
        sim.restart(a);
        sim.send(a, 1, 60);
        sim.reset(a);
        sim.oid_query(a, OID_GEN_XMIT_OK, 8);
        sim.remove_adapter(a);
        sim.unload();
        sim.assert_clean();
    }
    let seen = seen.borrow();
    assert!(seen.contains(&PASSIVE_LEVEL) && seen.contains(&DISPATCH_LEVEL));
    assert!(seen.iter().all(|&i| i <= DISPATCH_LEVEL));
}

#[test]
fn lock_balanced() {
    fresh();
    set_hook(|point, _| {
        if point == "send" {
            let lock = Box::leak(Box::new(0usize));
            common::k().ke_initialize_spin_lock(lock);
            k().ke_acquire_spin_lock_raise_to_dpc(lock);
        }
    });
    let (sim, a) = with_adapter(0);
    sim.restart(a);
    sim.send(a, 1, 60);
    let v = expect_only(&sim, &[LOCK_BALANCED]);
    assert!(v.iter().any(|v| v.message.contains("still holding")));
    let mut lock = 0usize;
    common::k().ke_initialize_spin_lock(&mut lock);
    k().ke_release_spin_lock_from_dpc_level(&mut lock);
    let v = expect_only(&sim, &[LOCK_BALANCED, IRQL_CALL_BELOW_MIN]);
    assert!(v.iter().any(|v| v.message.contains("not held")));
}

#[test]
fn lock_recursive_aborts() {
    fresh();
    let sim = loaded(0);
    let mut lock = 0usize;
    common::k().ke_initialize_spin_lock(&mut lock);
    let k = k();
    let old = k.ke_acquire_spin_lock_raise_to_dpc(&mut lock);
    let p: *mut usize = &mut lock;
    assert!(catch_unwind(AssertUnwindSafe(|| k.ke_acquire_spin_lock_at_dpc_level(p))).is_err());
    k.ke_release_spin_lock(&mut lock, old);
    expect_only(&sim, &[LOCK_RECURSIVE]);
    assert_eq!(sim.current_irql(), PASSIVE_LEVEL);
}

#[test]
fn lock_initialized_before_use() {
    fresh();
    // A KSPIN_LOCK in zeroed memory that KeInitializeSpinLock never saw: Windows happens to accept
    // it (an initialized lock is zero), the documented rule does not.
    set_hook(|point, _| {
        if point == "send" {
            let mut lock = 0usize;
            let k = common::k();
            let old = k.ke_acquire_spin_lock_raise_to_dpc(&mut lock);
            k.ke_release_spin_lock(&mut lock, old);
        }
    });
    let (sim, a) = with_adapter(0);
    sim.restart(a);
    sim.send(a, 1, 60);
    let v = expect_only(&sim, &[LOCK_INITIALIZED_BEFORE_USE]);
    assert_eq!(v.len(), 1, "reported at the acquire, not again at the matching release: {v:#?}");
    assert!(v[0].message.contains("MiniportSendNetBufferLists"), "{}", v[0].message);
    // The same, initialized first: clean.
    set_hook(|point, _| {
        if point == "send" {
            let mut lock = 0usize;
            let k = common::k();
            k.ke_initialize_spin_lock(&mut lock);
            let old = k.ke_acquire_spin_lock_raise_to_dpc(&mut lock);
            k.ke_release_spin_lock(&mut lock, old);
        }
    });
    sim.send(a, 1, 60);
    sim.assert_no_violations();
    // A lock in pool memory that was freed since it was initialized is no lock any more.
    let (h, k) = (adapter_handle(), common::k());
    let p = k.ndis_allocate_memory_with_tag_priority(h, 16, TAG, NORMAL_POOL_PRIORITY).cast::<usize>();
    assert!(!p.is_null());
    k.ke_initialize_spin_lock(p);
    let old = k.ke_acquire_spin_lock_raise_to_dpc(p);
    k.ke_release_spin_lock(p, old);
    sim.assert_no_violations();
    k.ndis_free_memory_with_tag_priority(h, p.cast(), TAG);
    // The block is poisoned and quarantined, never handed back to the host allocator, so the
    // model may still write it.
    let old = k.ke_acquire_spin_lock_raise_to_dpc(p);
    k.ke_release_spin_lock(p, old);
    let v = expect_only(&sim, &[LOCK_INITIALIZED_BEFORE_USE]);
    assert_eq!(v.len(), 1);
    // Released without ever being initialized or acquired: unbalanced and uninitialized.
    let mut never = 0usize;
    k.ke_release_spin_lock(&mut never, PASSIVE_LEVEL);
    let v = expect_only(&sim, &[LOCK_INITIALIZED_BEFORE_USE, LOCK_BALANCED]);
    assert!(
        v.iter().any(|v| v.rule == LOCK_INITIALIZED_BEFORE_USE && v.message.starts_with("KeReleaseSpinLock"))
    );
    sim.remove_adapter(a);
}

#[test]
fn lock_no_blocking_while_held() {
    fresh();
    set_hook(|point, handle| {
        if point == "initialize" {
            let mut lock = 0usize;
            common::k().ke_initialize_spin_lock(&mut lock);
            k().ke_acquire_spin_lock_at_dpc_level(&mut lock);
            let _ = set_general(handle);
            k().ke_release_spin_lock_from_dpc_level(&mut lock);
        }
    });
    let (sim, a) = with_adapter(0);
    sim.remove_adapter(a);
    expect_only(&sim, &[LOCK_NO_BLOCKING_WHILE_HELD, IRQL_CALL_BELOW_MIN]);
}

#[test]
fn memory_tag_required_and_bad_free() {
    fresh();
    let (sim, _a) = with_adapter(0);
    let h = adapter_handle();
    let k = k();
    let p = k.ndis_allocate_memory_with_tag_priority(h, 16, 0, NORMAL_POOL_PRIORITY);
    // SAFETY: a 16-byte allocation; pool is not zeroed.
    assert_eq!(unsafe { *p.cast::<u8>() }, 0xA5);
    k.ndis_free_memory_with_tag_priority(h, p, 0);
    expect_only(&sim, &[MEMORY_TAG_REQUIRED]);
    k.ndis_free_memory_with_tag_priority(h, p, 0);
    let q = k.ndis_allocate_memory_with_tag_priority(h, 16, TAG, NORMAL_POOL_PRIORITY);
    k.ndis_free_memory_with_tag_priority(h, q, POOL_TAG);
    let mut local = 0u64;
    k.ndis_free_memory_with_tag_priority(h, (&mut local as *mut u64).cast(), TAG);
    let v = expect_only(&sim, &[MEMORY_BAD_FREE]);
    assert_eq!(v.len(), 3);
    assert!(v[0].message.contains("twice") && v[1].message.contains("tag mismatch"), "{v:#?}");
}

#[test]
fn memory_leak_by_tag_at_halt() {
    fresh();
    set_cfg(|c| c.leak_in_init = true);
    let sim = loaded(0);
    lifecycle(&sim);
    let v = expect_only(&sim, &[MEMORY_LEAK_BY_TAG]);
    assert!(
        v[0].message.contains("MiniportHaltEx returned") && v[0].message.contains("'KsTt' 100 bytes"),
        "{}",
        v[0].message
    );
}

#[test]
fn memory_nbl_pool_leak() {
    fresh();
    let (sim, a) = with_adapter(0);
    let pool = first_ad(|x| x.pool);
    let nbl = k().ndis_allocate_net_buffer_and_net_buffer_list(pool, 0, 0, ptr::null_mut(), 0, 0);
    assert!(!nbl.is_null());
    sim.remove_adapter(a);
    let v = expect_only(&sim, &[MEMORY_NBL_POOL_LEAK]);
    assert!(v[0].message.contains("'KsPl'"), "{}", v[0].message);
}

#[test]
fn leak_report_and_assert_clean_list_what_is_alive() {
    fresh();
    let (sim, _a) = with_adapter(0);
    let report = sim.leak_report();
    assert!(report.iter().any(|l| l.contains("WDFDEVICE")), "{report:#?}");
    assert!(report.iter().any(|l| l.contains("'KsTt'")), "{report:#?}");
    let r = catch_unwind(AssertUnwindSafe(|| sim.assert_clean()));
    assert!(r.is_err());
    assert!(!sim.calls().is_empty());
    assert!(sim.objects_alive().len() >= 6);
}

#[test]
fn drop_panics_on_violations() {
    fresh();
    let r = catch_unwind(|| {
        let sim = loaded(0);
        k().ndis_free_mdl(ptr::null_mut());
        drop(sim);
    });
    let err = r.expect_err("Sim::drop reports the violation");
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains(MEMORY_BAD_FREE), "{msg}");
}

// ---------------------------------------------------------------------------------------------
// The vwire hub port below each adapter, the protocol above it, and the rules they exercise

/// A frame from the tap to `dst`.
fn tap_frame(dst: [u8; 6], len: usize, tag: u8) -> Vec<u8> {
    let mut f = vec![tag; len];
    f[..6].copy_from_slice(&dst);
    f[6..12].copy_from_slice(&TAP_MAC);
    f[12] = 0x88;
    f[13] = 0xB5;
    f
}

#[test]
fn hub_port_serves_reads_writes_and_ioctls() {
    fresh();
    let (sim, a) = with_adapter(3);
    assert_eq!(sim.port_mac(a), [0x02, 0x76, 0x77, 0, 0, 0]);
    assert!(sim.hub_port(a).is_some());
    sim.restart(a);
    // A read completes with a batch once the tap writes a frame to the port.
    let got = Rc::new(RefCell::new(Vec::new()));
    let g = got.clone();
    set_hook(move |point, _| {
        let k = k();
        let (read, write) = first_ad(|x| (x.read, x.write));
        let r = if point == "read_complete" {
            read
        } else if point == "write_complete" {
            write
        } else {
            return;
        };
        g.borrow_mut().push((point, k.wdf_request_get_status(r), k.wdf_request_get_information(r)));
    });
    let frame = tap_frame(sim.port_mac(a), 100, 0x11);
    let reports = sim.inject_frames(a, &[&frame]);
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].as_ref().map(|r| r.delivered), Ok(1));
    sim.run_until_idle();
    let (point, status, info) = got.borrow()[0];
    assert_eq!((point, status), ("read_complete", STATUS_SUCCESS));
    assert_eq!(info, vwire_proto::record_len(100).unwrap() + vwire_proto::BATCH_HEADER_LEN);
    assert_eq!(sim.lower(a).reads_completed(), 1);
    assert_eq!(sim.lower(a).pending_reads(), 1, "re-armed");
    // A failed read, then a malformed raw completion.
    sim.fail_next_reads(a, 1, STATUS_IO_DEVICE_ERROR);
    sim.run_until_idle();
    assert_eq!(got.borrow()[1].1, STATUS_IO_DEVICE_ERROR);
    // The fake driver's 60 zero bytes are no batch: the hub refuses the write.
    assert!(issue_write(adapter_ctx()));
    sim.run_until_idle();
    let last = *got.borrow().last().unwrap();
    assert_eq!((last.0, last.1), ("write_complete", STATUS_INVALID_PARAMETER));
    assert_eq!(sim.hub_counters(a).unwrap().tx_errors, 1);
    // Internal IOCTLs: query the device (METHOD_BUFFERED into the output memory).
    let k = k();
    let target = first_ad(|x| x.target);
    let attrs = WdfObjectAttributes::default();
    let req = k.wdf_request_create(&attrs, target).unwrap();
    let (out, out_ptr) = k.wdf_memory_create(&attrs, NON_PAGED_POOL_NX, TAG, 64).unwrap();
    assert_eq!(
        k.wdf_io_target_format_request_for_internal_ioctl(
            target,
            req,
            vwire_proto::IOCTL_VWIRE_QUERY_DEVICE,
            WdfMemory::NULL,
            out
        ),
        STATUS_SUCCESS
    );
    assert!(k.wdf_request_send(req, target, None));
    sim.run_until_idle();
    assert_eq!(k.wdf_request_get_status(req), STATUS_SUCCESS);
    let n = k.wdf_request_get_information(req);
    // SAFETY: the 64-byte WDFMEMORY buffer.
    let bytes = unsafe { std::slice::from_raw_parts(out_ptr.cast::<u8>(), n) };
    assert_eq!(vwire_proto::DeviceInfo::decode(bytes).unwrap().mac, sim.port_mac(a));
    // A link-change wait pends until the link changes.
    let (input, in_ptr) = k.wdf_memory_create(&attrs, NON_PAGED_POOL_NX, TAG, 16).unwrap();
    let generation = sim.hub_link_generation(a);
    let wait = vwire_proto::LinkWait { known_generation: generation };
    // SAFETY: the 16-byte WDFMEMORY buffer.
    let len = wait.encode(unsafe { std::slice::from_raw_parts_mut(in_ptr.cast::<u8>(), 16) }).unwrap();
    assert!(len > 0);
    k.wdf_request_reuse(req, WDF_REQUEST_REUSE_NO_FLAGS, STATUS_SUCCESS);
    let code = vwire_proto::IOCTL_VWIRE_WAIT_LINK_CHANGE;
    assert_eq!(
        k.wdf_io_target_format_request_for_internal_ioctl(target, req, code, input, out),
        STATUS_SUCCESS
    );
    assert!(k.wdf_request_send(req, target, None));
    sim.run_until_idle();
    assert_eq!(sim.lower(a).pending_ioctls(), 1, "held until the link changes");
    // Formatting it again while the port holds it is a violation.
    k.wdf_io_target_format_request_for_internal_ioctl(target, req, code, input, out);
    expect_only(&sim, &[KMDF_REQUEST_CHANGED_WHILE_PENDING]);
    sim.set_link(a, false);
    assert_eq!(sim.lower(a).pending_ioctls(), 0);
    assert_eq!(k.wdf_request_get_status(req), STATUS_SUCCESS);
    // SAFETY: as above.
    let state =
        vwire_proto::LinkState::decode(unsafe { std::slice::from_raw_parts(out_ptr.cast::<u8>(), 64) })
            .unwrap();
    assert_eq!(state.up, 0);
    // A wait is cancelable.
    k.wdf_request_reuse(req, WDF_REQUEST_REUSE_NO_FLAGS, STATUS_SUCCESS);
    let wait = vwire_proto::LinkWait { known_generation: state.generation };
    // SAFETY: as above.
    wait.encode(unsafe { std::slice::from_raw_parts_mut(in_ptr.cast::<u8>(), 16) }).unwrap();
    k.wdf_io_target_format_request_for_internal_ioctl(target, req, code, input, out);
    assert!(k.wdf_request_send(req, target, None));
    assert!(k.wdf_request_cancel_sent_request(req));
    sim.run_until_idle();
    assert_eq!(k.wdf_request_get_status(req), STATUS_CANCELLED);
    // Synchronously: answered at once; a wait that would pend forever aborts the scenario.
    let mut info = [0u8; 64];
    let n = k
        .wdf_io_target_send_internal_ioctl_synchronously(
            target,
            WdfRequest::NULL,
            vwire_proto::IOCTL_VWIRE_QUERY_DEVICE,
            &[],
            &mut info,
            None,
        )
        .unwrap();
    assert_eq!(vwire_proto::DeviceInfo::decode(&info[..n]).unwrap().mac, sim.port_mac(a));
    let mut wait_bytes = [0u8; 16];
    vwire_proto::LinkWait { known_generation: sim.hub_link_generation(a) }.encode(&mut wait_bytes).unwrap();
    let r = catch_unwind(AssertUnwindSafe(|| {
        k.wdf_io_target_send_internal_ioctl_synchronously(
            target,
            WdfRequest::NULL,
            code,
            &wait_bytes,
            &mut info,
            None,
        )
    }));
    assert!(r.is_err(), "the scenario is aborted");
    expect_only(&sim, &[KMDF_SEND_SYNCHRONOUSLY_NEVER_RETURNS]);
    k.wdf_object_delete(req.into());
    k.wdf_object_delete(out.into());
    k.wdf_object_delete(input.into());
    set_hook(|_, _| {});
    sim.set_link(a, true);
    sim.remove_adapter(a);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn protocol_send_shapes_are_built_like_ndis_builds_them() {
    fresh();
    set_cfg(|c| c.hold_sends = true);
    let (sim, a) = with_adapter(5);
    sim.restart(a);
    let frames: Vec<Vec<u8>> = (0..5).map(|i| (0..70u8).map(|b| b ^ i).collect()).collect();
    let shape = NblShape { nbs_per_nbl: 2, mdl_split: vec![14, 20], data_offset: 6, ..NblShape::default() };
    let ids = sim.send_frames(a, &frames, shape);
    assert_eq!(ids.len(), 3, "5 frames, 2 NBs per NBL");
    assert_eq!(sim.sent_frames(ids[0]), frames[..2].to_vec());
    assert_eq!(sim.sent_frames(ids[2]), frames[4..].to_vec());
    let held = first_ad(|x| x.held_sends.clone());
    assert_eq!(held.len(), 3);
    let k = k();
    // SAFETY: NBLs the fake miniport holds; NDIS built them.
    unsafe {
        let nb = (*held[0]).FirstNetBuffer;
        assert!(!(*nb).Next.is_null() && (*(*nb).Next).Next.is_null());
        assert_eq!(((*nb).DataOffset, (*nb).DataLength, (*nb).CurrentMdlOffset), (6, 70, 6));
        let mdl = (*nb).MdlChain;
        assert_eq!((*nb).CurrentMdl, mdl);
        let mut counts = Vec::new();
        let mut bytes = Vec::new();
        let mut m = mdl;
        while !m.is_null() {
            assert_ne!((*m).MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL), 0);
            let va = k.mm_map_locked_pages_specify_cache(m, NORMAL_PAGE_PRIORITY | MDL_MAPPING_NO_EXECUTE);
            assert_eq!(va, (*m).MappedSystemVa);
            counts.push((*m).ByteCount);
            bytes.extend_from_slice(std::slice::from_raw_parts(va.cast::<u8>(), (*m).ByteCount as usize));
            m = (*m).Next;
        }
        assert_eq!(counts, vec![6 + 14, 20, 36]);
        assert_eq!(&bytes[6..], &frames[0][..]);
    }
    // An MDL the model never handed out.
    let mut fake = [0u8; 64];
    assert!(
        k.mm_map_locked_pages_specify_cache(
            fake.as_mut_ptr().cast(),
            HIGH_PAGE_PRIORITY | MDL_MAPPING_NO_EXECUTE
        )
        .is_null()
    );
    expect_only(&sim, &[MEMORY_BAD_MDL]);
    // A mapping that may be executable, then one whose page priority is none of the three.
    // SAFETY: an NBL the fake miniport still holds; NDIS built it with one NET_BUFFER at least.
    let mdl = unsafe { (*(*held[0]).FirstNetBuffer).MdlChain };
    for priority in [NORMAL_PAGE_PRIORITY, 8 | MDL_MAPPING_NO_EXECUTE] {
        k.mm_map_locked_pages_specify_cache(mdl, priority);
        expect_only(&sim, &[MEMORY_MAPPING_PRIORITY]);
    }
    k.mm_map_locked_pages_specify_cache(
        mdl,
        LOW_PAGE_PRIORITY | MDL_MAPPING_NO_WRITE | MDL_MAPPING_NO_EXECUTE,
    );
    expect_only(&sim, &[]);
    flush_held(adapter_ctx(), NDIS_STATUS_SUCCESS);
    assert!(ids.iter().all(|&id| sim.send_completion(id) == Some(NDIS_STATUS_SUCCESS)));
    // A miniport that advances an NB and gives it back so.
    set_cfg(|c| {
        c.hold_sends = false;
        c.advance_nb = true;
    });
    sim.send_frames(a, &frames[..1], NblShape::default());
    expect_only(&sim, &[NDIS_SEND_NB_CHAIN_UNCHANGED]);
    sim.remove_adapter(a);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn ndis_cancel_send_aborts_queued() {
    fresh();
    // A miniport that queues sends and whose MiniportCancelSend does nothing.
    set_cfg(|c| {
        c.hold_sends = true;
        c.cancel_status = None;
    });
    let (sim, a) = with_adapter(8);
    sim.restart(a);
    let frames = vec![vec![0x33u8; 60]; 2];
    let cancelled = sim.send_frames_cancelable(a, &frames, NblShape::default(), 0x42);
    let other = sim.send_frames_cancelable(a, &frames[..1], NblShape::default(), 0x43);
    sim.cancel_send(a, 0x42);
    let v = expect_only(&sim, &[NDIS_CANCEL_SEND_ABORTS_QUEUED]);
    assert_eq!(v.len(), 1);
    // The first sends of this run: #1 and #2 carry 0x42, #3 carries 0x43.
    assert_eq!(cancelled.len(), 2);
    assert!(v[0].message.contains("send(s) #1, #2 of that cancel id"), "{}", v[0].message);
    assert!(!v[0].message.contains("#3"), "another cancel id is not named: {}", v[0].message);
    // The same miniport aborting what it queued: clean, and the other id still held is no concern
    // of this cancel.
    set_cfg(|c| c.cancel_status = Some(NDIS_STATUS_SEND_ABORTED));
    sim.cancel_send(a, 0x42);
    sim.assert_no_violations();
    assert!(cancelled.iter().all(|&id| sim.send_completion(id) == Some(NDIS_STATUS_SEND_ABORTED)));
    assert_eq!(sim.send_completion(other[0]), None);
    // A cancel of an id nothing carries is fine whatever the miniport does.
    set_cfg(|c| c.cancel_status = None);
    sim.cancel_send(a, 0x44);
    sim.assert_no_violations();
    flush_held(adapter_ctx(), NDIS_STATUS_SUCCESS);
    sim.remove_adapter(a);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn ndis_send_complete_status_cancel_and_reset() {
    fresh();
    set_cfg(|c| {
        c.hold_sends = true;
        c.cancel_status = Some(NDIS_STATUS_SEND_ABORTED);
    });
    let (sim, a) = with_adapter(7);
    sim.restart(a);
    let frames = vec![vec![0x33u8; 60]; 3];
    let cancelled = sim.send_frames_cancelable(a, &frames, NblShape::default(), 0x42);
    let other = sim.send_frames_cancelable(a, &frames[..1], NblShape::default(), 0x43);
    sim.cancel_send(a, 0x42);
    assert!(cancelled.iter().all(|&id| sim.send_completion(id) == Some(NDIS_STATUS_SEND_ABORTED)));
    assert_eq!(sim.send_completion(other[0]), None, "another cancel id is not touched");
    sim.assert_no_violations();
    // Completing a cancelled NBL inside MiniportCancelSend with anything but SEND_ABORTED.
    set_cfg(|c| c.cancel_status = Some(NDIS_STATUS_SUCCESS));
    sim.cancel_send(a, 0x43);
    expect_only(&sim, &[NDIS_SEND_COMPLETE_STATUS]);
    // SEND_ABORTED or RESET_IN_PROGRESS for an NBL nobody cancelled and no reset flushed.
    sim.send(a, 1, 60);
    flush_held(adapter_ctx(), NDIS_STATUS_SEND_ABORTED);
    sim.send(a, 1, 60);
    flush_held(adapter_ctx(), NDIS_STATUS_RESET_IN_PROGRESS);
    let v = expect_only(&sim, &[NDIS_SEND_COMPLETE_STATUS]);
    assert_eq!(v.len(), 2);
    // Sends flushed by a reset complete with RESET_IN_PROGRESS.
    let ids = sim.send(a, 2, 60);
    set_hook(|point, ctx| {
        if point == "reset" {
            flush_held(ctx, NDIS_STATUS_RESET_IN_PROGRESS);
        }
    });
    assert_eq!(sim.reset(a).0, NDIS_STATUS_SUCCESS);
    assert!(ids.iter().all(|&id| sim.send_completion(id) == Some(NDIS_STATUS_RESET_IN_PROGRESS)));
    sim.assert_no_violations();
    sim.remove_adapter(a);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn ndis_receive_returns_are_shuffled_held_and_checked() {
    let mut multi = 0;
    for seed in 0..8 {
        fresh();
        let (sim, a) = with_adapter(seed);
        sim.restart(a);
        sim.hold_returns(a, true);
        let mut bufs: Vec<Vec<u8>> = (0..6).map(|i| vec![i as u8; 64]).collect();
        let chain: Vec<(*mut NetBufferList, *mut Mdl)> = bufs.iter_mut().map(|b| rx_nbl(b)).collect();
        for (nbl, _) in &chain {
            k().ndis_m_indicate_receive_net_buffer_lists(adapter_handle(), *nbl, 0, 1, 0);
        }
        sim.run_until_idle();
        let c = sim.receive_counts(a);
        assert_eq!((c.indicated_nbls, c.outstanding_nbls, c.returned_nbls), (6, 6, 0), "held");
        // RESOURCES: ownership back at once, never returned.
        let mut extra = vec![9u8; 60];
        let (nbl, mdl) = rx_nbl(&mut extra);
        k().ndis_m_indicate_receive_net_buffer_lists(
            adapter_handle(),
            nbl,
            0,
            1,
            NDIS_RECEIVE_FLAGS_RESOURCES,
        );
        k().ndis_free_net_buffer_list(nbl);
        k().ndis_free_mdl(mdl);
        assert_eq!(sim.receive_counts(a).resources_nbls, 1);
        assert_eq!(sim.received_frames(a).len(), 7);
        // Recycling a buffer NDIS still owns is caught when the NBL comes back.
        bufs[0][10] ^= 0xFF;
        assert_eq!(sim.return_now(a), 6);
        expect_only(&sim, &[NDIS_RECEIVE_OWNERSHIP]);
        let c = sim.receive_counts(a);
        assert_eq!((c.returned_nbls, c.outstanding_nbls), (6, 0));
        if c.return_calls > 1 {
            multi += 1;
        }
        for (flags, irql) in RETURNS.with(|r| r.borrow().clone()) {
            assert_eq!(flags & NDIS_RETURN_FLAGS_DISPATCH_LEVEL != 0, irql == DISPATCH_LEVEL);
        }
        // A pause completed while NDIS holds indicated NBLs; the protocol returns them then.
        let mut more = vec![5u8; 64];
        let (nbl, mdl) = rx_nbl(&mut more);
        k().ndis_m_indicate_receive_net_buffer_lists(adapter_handle(), nbl, 0, 1, 0);
        assert_eq!(sim.pause(a), NDIS_STATUS_SUCCESS);
        expect_only(&sim, &[NDIS_PAUSE_COMPLETE_WHEN_IDLE]);
        assert_eq!(sim.return_now(a), 1);
        for (_, mdl) in chain {
            k().ndis_free_mdl(mdl);
        }
        k().ndis_free_mdl(mdl);
        sim.remove_adapter(a);
        sim.unload();
        sim.assert_clean();
    }
    assert!(multi > 0, "returns come back in several groups for some seeds");
}

#[test]
fn ndis_pause_waits_for_held_returns() {
    fresh();
    set_cfg(|c| c.pause_status = Some(NDIS_STATUS_PENDING));
    let (sim, a) = with_adapter(2);
    sim.restart(a);
    sim.hold_returns(a, true);
    let mut buf = vec![3u8; 64];
    let (nbl, mdl) = rx_nbl(&mut buf);
    k().ndis_m_indicate_receive_net_buffer_lists(adapter_handle(), nbl, 0, 1, 0);
    // The miniport pends its pause until the NBL is back, and completes it from MiniportReturn.
    set_hook(|point, ctx| {
        if point == "return" {
            k().ndis_m_pause_complete(first_ad(|a| a.handle));
            let _ = ctx;
        }
    });
    assert_eq!(sim.pause(a), NDIS_STATUS_PENDING);
    assert_eq!(sim.receive_counts(a).outstanding_nbls, 0);
    k().ndis_free_mdl(mdl);
    sim.remove_adapter(a);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn ndis_nothing_touched_after_pause_complete() {
    fresh();
    set_cfg(|c| c.pause_status = Some(NDIS_STATUS_PENDING));
    let (sim, a) = with_adapter(2);
    sim.restart(a);
    sim.hold_returns(a, true);
    let mut buf = vec![3u8; 64];
    let (nbl, mdl) = rx_nbl(&mut buf);
    k().ndis_m_indicate_receive_net_buffer_lists(adapter_handle(), nbl, 0, 1, 0);
    // MiniportReturn completes the pause, then reaches the adapter again before it returns (here
    // with a second completion): NDIS may already be halting it on another processor.
    set_hook(|point, _| {
        if point == "return" {
            let handle = first_ad(|a| a.handle);
            k().ndis_m_pause_complete(handle);
            k().ndis_m_pause_complete(handle);
        }
    });
    assert_eq!(sim.pause(a), NDIS_STATUS_PENDING);
    let v = expect_only(&sim, &[NDIS_NOTHING_TOUCHED_AFTER_PAUSE_COMPLETE, NDIS_COMPLETE_ONCE]);
    assert!(v.iter().any(|v| v.rule == NDIS_NOTHING_TOUCHED_AFTER_PAUSE_COMPLETE
        && v.message.contains("MiniportReturnNetBufferLists")));
    // Once that callback has returned, the adapter is the driver's again (halt may free it).
    set_hook(|_, _| {});
    k().ndis_free_mdl(mdl);
    sim.remove_adapter(a);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn surprise_removal_follows_the_documented_order() {
    fresh();
    let (sim, a) = with_adapter(4);
    sim.restart(a);
    sim.surprise_remove(a);
    assert_eq!(sim.hub_port(a), None, "the port goes away after the halt");
    let calls = sim.calls();
    let at = |what: &str| calls.iter().position(|c| c.contains(what)).unwrap_or_else(|| panic!("{what}"));
    assert!(at("-> MiniportDevicePnPEventNotify") < at("-> MiniportPause"));
    assert!(at("-> MiniportPause") < at("-> MiniportHaltEx"));
    assert!(at("<- MiniportHaltEx") < at("hub: port"));
    sim.unload();
    sim.assert_clean();
    drop(sim);

    // A driver that leaves its read below at halt: the port completes it with DEVICE_REMOVED.
    fresh();
    set_cfg(|c| {
        c.skip_stop_target = true;
        c.skip_device_delete = true;
    });
    let (sim, a) = with_adapter(4);
    let read = first_ad(|x| x.read);
    let status = Rc::new(RefCell::new(None));
    let s2 = status.clone();
    set_hook(move |point, _| {
        if point == "read_complete" {
            *s2.borrow_mut() = Some(k().wdf_request_get_status(read));
        }
    });
    sim.surprise_remove(a);
    assert_eq!(*status.borrow(), Some(STATUS_DEVICE_REMOVED), "held I/O completes when the port goes");
    sim.unload();
    expect_only(&sim, &[NDIS_HALT_LEAVES_NOTHING, KMDF_MINIPORT_DEVICE_DELETED, KMDF_OBJECT_LEAK]);
}

#[test]
fn surprise_removal_with_uncancelable_io_deadlocks_the_halt() {
    fresh();
    let (sim, a) = with_adapter(6);
    sim.restart(a);
    sim.lower(a).hold_uncancelable(true);
    // The notification arrives first: the fake driver stops nothing there, the halt stops the target.
    sim.pnp_event(a, NDIS_DEVICE_PNP_EVENT_SURPRISE_REMOVED);
    assert!(sim.hub_port(a).is_some(), "the bus has not seen the removal yet");
    sim.pause(a);
    let target = first_ad(|x| x.target);
    let r = catch_unwind(AssertUnwindSafe(|| k().wdf_io_target_stop(target, WDF_IO_TARGET_CANCEL_SENT_IO)));
    assert!(r.is_err(), "the halt can never return");
    expect_only(&sim, &[KMDF_IO_TARGET_STOP_DEADLOCK]);
    sim.lower(a).hold_uncancelable(false);
    first_ad(|x| x.stopping = true);
    sim.halt(a, NDIS_HALT_DEVICE_SURPRISE_REMOVED);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn allocations_count_what_the_driver_asks_for() {
    fresh();
    let sim = loaded(1);
    let base = sim.allocations();
    let a = sim.add_adapter().unwrap();
    let after_init = sim.allocations();
    // context + device + target + 2 requests + 2 memories + pool = 8
    assert_eq!(after_init - base, 8);
    sim.restart(a);
    for _ in 0..10 {
        sim.send(a, 4, 60);
        sim.inject_frames(a, &[&tap_frame(sim.port_mac(a), 80, 1)]);
        sim.run_until_idle();
    }
    assert_eq!(sim.allocations(), after_init, "the fake driver allocates nothing per frame");
    let mut buf = vec![0u8; 60];
    let (nbl, mdl) = rx_nbl(&mut buf);
    assert_eq!(sim.allocations(), after_init + 2);
    k().ndis_free_net_buffer_list(nbl);
    k().ndis_free_mdl(mdl);
    sim.remove_adapter(a);
    sim.unload();
    sim.assert_clean();
}

// ---------------------------------------------------------------------------------------------
// The kernel stack

#[test]
fn stack_budget_fires_for_a_large_frame_inside_a_handler() {
    fresh();
    let (sim, a) = with_adapter(1);
    set_hook(|point, _| {
        if point == "oid" {
            // A 48 KiB local: twice the whole x64 kernel stack, and over the debug budget too.
            let big = [0x5Au8; 48 * 1024];
            std::hint::black_box(&big);
            let _ = k().ke_get_current_irql();
        }
    });
    let _ = sim.oid_query(a, OID_GEN_XMIT_OK, 8);
    assert!(sim.has_violation(STACK_BUDGET), "{:?}", sim.violations());
    let (_, used) =
        sim.stack_high_water().into_iter().find(|(what, _)| *what == "MiniportOidRequest").unwrap();
    assert!(used >= 48 * 1024, "measured {used}");
    sim.take_violations();
    set_hook(|_, _| {});
    sim.remove_adapter(a);
}

#[test]
fn stack_budget_holds_a_correct_handler_and_can_be_tightened() {
    fresh();
    let (sim, a) = with_adapter(2);
    let _ = sim.oid_query(a, OID_GEN_XMIT_OK, 8);
    assert!(!sim.has_violation(STACK_BUDGET));
    // The same handler against a budget smaller than any real frame: the measurement is real.
    sim.set_stack_budget(StackBudget { callback: 16, nested: 1 << 20 });
    let _ = sim.oid_query(a, OID_GEN_RCV_OK, 8);
    assert!(sim.has_violation(STACK_BUDGET), "{:?}", sim.violations());
    sim.take_violations();
    sim.set_stack_budget(StackBudget::for_this_build());
    sim.remove_adapter(a);
}

thread_local! {
    /// Re-sends `resend_inline` still makes.
    static RESENDS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    /// IRQL of each completion routine `resend_inline` ran at.
    static COMPLETION_IRQLS: RefCell<Vec<Kirql>> = const { RefCell::new(Vec::new()) };
}

/// Send the fake adapter's write request with [`resend_inline`] as its completion routine.
fn send_write_resending(ctx: NdisHandle) -> bool {
    let (target, write, mem) = first_ad(|a| (a.target, a.write, a.write_mem));
    let k = k();
    k.wdf_request_reuse(write, WDF_REQUEST_REUSE_NO_FLAGS, STATUS_SUCCESS);
    assert!(nt_success(k.wdf_io_target_format_request_for_write(target, write, mem, 60)));
    k.wdf_request_set_completion_routine(write, Some(resend_inline), WdfContext(ctx.0));
    k.wdf_request_send(write, target, None)
}

/// A completion routine that sends its request again from inside itself: a device that completes
/// inline turns that into recursion.
unsafe extern "C" fn resend_inline(_: WdfRequest, _: WdfIoTarget, _: *mut c_void, context: WdfContext) {
    COMPLETION_IRQLS.with(|irqls| irqls.borrow_mut().push(k().ke_get_current_irql()));
    let left = RESENDS.with(|n| n.replace(n.get().saturating_sub(1)));
    if left > 0 {
        send_write_resending(NdisHandle(context.0));
    }
}

#[test]
fn stack_recursion_fires_when_a_completion_routine_resends_inline() {
    fresh();
    let (sim, a) = with_adapter(3);
    sim.lower(a).set_write_completion(WriteCompletion::Immediate);
    RESENDS.with(|n| n.set(20));
    COMPLETION_IRQLS.with(|irqls| irqls.borrow_mut().clear());
    assert!(send_write_resending(adapter_ctx()));
    sim.run_until_idle();
    assert!(
        sim.has_violation(STACK_RECURSION),
        "deepest {} {:?} {:?}",
        sim.deepest_nesting(),
        RESENDS.with(|n| n.get()),
        sim.violations()
    );
    // Past the bound the model stops completing inline, so the chain ends instead of the stack.
    assert_eq!(sim.deepest_nesting(), MAX_NESTED_CALLBACKS + 1);
    assert_eq!(RESENDS.with(|n| n.get()), 0, "every re-send still went through");
    sim.take_violations();
    sim.remove_adapter(a);
}

#[test]
fn an_inline_completion_runs_at_the_senders_irql() {
    fresh();
    let (sim, a) = with_adapter(4);
    sim.lower(a).set_write_completion(WriteCompletion::Immediate);
    RESENDS.with(|n| n.set(0));
    COMPLETION_IRQLS.with(|irqls| irqls.borrow_mut().clear());
    // The test calls at PASSIVE_LEVEL: KMDF runs the routine of a request completed inside
    // WdfRequestSend in the sender's context, so at PASSIVE_LEVEL too.
    assert_eq!(sim.current_irql(), PASSIVE_LEVEL);
    assert!(send_write_resending(adapter_ctx()));
    assert_eq!(COMPLETION_IRQLS.with(|irqls| irqls.borrow().clone()), vec![PASSIVE_LEVEL]);
    // Deferred, it runs from a DPC.
    sim.lower(a).set_write_completion(WriteCompletion::Deferred);
    assert!(send_write_resending(adapter_ctx()));
    sim.run_until_idle();
    assert_eq!(COMPLETION_IRQLS.with(|irqls| irqls.borrow().clone()), vec![PASSIVE_LEVEL, DISPATCH_LEVEL]);
    sim.remove_adapter(a);
}

// ---------------------------------------------------------------------------------------------
// NDIS I/O work items

thread_local! {
    /// (context, IRQL) of each run of `record_work_item`.
    static WORK_ITEM_RUNS: RefCell<Vec<(usize, Kirql)>> = const { RefCell::new(Vec::new()) };
}

unsafe extern "C" fn record_work_item(context: *mut c_void, _item: NdisHandle) {
    WORK_ITEM_RUNS.with(|runs| runs.borrow_mut().push((context as usize, k().ke_get_current_irql())));
}

#[test]
fn a_work_item_runs_once_at_passive_and_may_be_queued_again_after() {
    fresh();
    let (sim, a) = with_adapter(41);
    WORK_ITEM_RUNS.with(|runs| runs.borrow_mut().clear());
    let item = k().ndis_allocate_io_work_item(adapter_handle());
    assert!(!item.is_null());
    k().ndis_queue_io_work_item(item, record_work_item, 0x51 as *mut c_void);
    assert_eq!(sim.work_items_run(), 0, "queued, not run inside the call");
    sim.run_until_idle();
    k().ndis_queue_io_work_item(item, record_work_item, 0x52 as *mut c_void);
    sim.run_until_idle();
    assert_eq!(
        WORK_ITEM_RUNS.with(|runs| runs.borrow().clone()),
        vec![(0x51, PASSIVE_LEVEL), (0x52, PASSIVE_LEVEL)]
    );
    k().ndis_free_io_work_item(item);
    sim.assert_no_violations();
    sim.remove_adapter(a);
}

#[test]
fn ndis_work_item_queued_twice_and_freed_while_queued() {
    fresh();
    let (sim, a) = with_adapter(42);
    let item = k().ndis_allocate_io_work_item(adapter_handle());
    k().ndis_queue_io_work_item(item, record_work_item, ptr::null_mut());
    k().ndis_queue_io_work_item(item, record_work_item, ptr::null_mut());
    assert!(sim.has_violation(NDIS_WORK_ITEM_QUEUED_TWICE), "{:?}", sim.violations());
    k().ndis_free_io_work_item(item);
    assert!(sim.has_violation(NDIS_WORK_ITEM_FREED_WHILE_QUEUED), "{:?}", sim.violations());
    sim.run_until_idle();
    k().ndis_free_io_work_item(item);
    k().ndis_free_io_work_item(item);
    assert!(sim.has_violation(MEMORY_BAD_FREE), "{:?}", sim.violations());
    sim.take_violations();
    sim.remove_adapter(a);
}

#[test]
fn a_work_item_left_allocated_at_halt_is_a_leak() {
    fresh();
    let (sim, a) = with_adapter(43);
    let _item = k().ndis_allocate_io_work_item(adapter_handle());
    sim.remove_adapter(a);
    let leaks: Vec<_> = sim.take_violations();
    assert!(
        leaks.iter().any(|v| v.rule == MEMORY_LEAK_BY_TAG && v.message.contains("I/O work item")),
        "{leaks:?}"
    );
}

/// Each callback within its own budget, but together, nested on one stack, over the nested one.
#[test]
fn stack_budget_counts_nested_callbacks_together() {
    fresh();
    let (sim, a) = with_adapter(5);
    sim.lower(a).set_write_completion(WriteCompletion::Immediate);
    RESENDS.with(|n| n.set(1));
    // Per callback generous, nested tight: the completion routine nested in the test's send (the
    // routine sends again, inline: two routines on one stack) is measured across both.
    sim.set_stack_budget(StackBudget { callback: 1 << 20, nested: 64 });
    assert!(send_write_resending_from_a_handler(&sim, a));
    assert!(sim.has_violation(STACK_BUDGET), "{:?}", sim.violations());
    assert!(sim.violations().iter().any(|v| v.message.contains("nested")), "{:?}", sim.violations());
    sim.take_violations();
    sim.set_stack_budget(StackBudget::for_this_build());
    sim.remove_adapter(a);
}

/// Run `send_write_resending` from inside a driver handler (the OID hook), so the completion
/// routines nest under a driver callback.
fn send_write_resending_from_a_handler(sim: &Sim, a: AdapterId) -> bool {
    let sent = Rc::new(RefCell::new(false));
    let flag = sent.clone();
    set_hook(move |point, ctx| {
        if point == "oid" && !*flag.borrow() {
            *flag.borrow_mut() = send_write_resending(ctx);
        }
    });
    let _ = sim.oid_query(a, OID_GEN_XMIT_OK, 8);
    set_hook(|_, _| {});
    sent.replace(false)
}

#[test]
fn a_work_item_still_queued_when_halt_returns_is_held_across_halt() {
    fresh();
    let (sim, a) = with_adapter(44);
    let item = k().ndis_allocate_io_work_item(adapter_handle());
    k().ndis_queue_io_work_item(item, record_work_item, ptr::null_mut());
    sim.remove_adapter(a);
    let violations = sim.take_violations();
    assert!(
        violations.iter().any(|v| v.rule == NDIS_HALT_LEAVES_NOTHING && v.message.contains("queued")),
        "{violations:?}"
    );
}

#[test]
fn dpc_work_bound_fires_for_a_send_loop_at_dispatch() {
    fresh();
    let (sim, a) = with_adapter(45);
    sim.lower(a).set_write_completion(WriteCompletion::Immediate);
    RESENDS.with(|n| n.set(0));
    // At DISPATCH_LEVEL (under a spin lock), the write sent again and again: each completes inside
    // its send, so the loop is limited only by how long it chooses to run.
    set_hook(|point, ctx| {
        if point == "oid" {
            let mut lock = 0usize;
            common::k().ke_initialize_spin_lock(&mut lock);
            k().ke_initialize_spin_lock(&mut lock);
            let old = k().ke_acquire_spin_lock_raise_to_dpc(&mut lock);
            for _ in 0..=MAX_SENDS_PER_DISPATCH_CALLBACK {
                send_write_resending(ctx);
            }
            k().ke_release_spin_lock(&mut lock, old);
        }
    });
    let _ = sim.oid_query(a, OID_GEN_XMIT_OK, 8);
    set_hook(|_, _| {});
    assert!(sim.has_violation(DPC_WORK_BOUND), "{:?}", sim.violations());
    sim.take_violations();
    sim.remove_adapter(a);
}

#[test]
fn lock_order_fires_when_two_locks_are_taken_both_ways() {
    fresh();
    let (sim, a) = with_adapter(46);
    let (mut first, mut second, mut third) = (0usize, 0usize, 0usize);
    let k = k();
    for lock in [&mut first, &mut second, &mut third] {
        k.ke_initialize_spin_lock(lock);
    }
    // first → second, second → third: an order, no cycle.
    let old = k.ke_acquire_spin_lock_raise_to_dpc(&mut first);
    k.ke_acquire_spin_lock_at_dpc_level(&mut second);
    k.ke_acquire_spin_lock_at_dpc_level(&mut third);
    k.ke_release_spin_lock_from_dpc_level(&mut third);
    k.ke_release_spin_lock_from_dpc_level(&mut second);
    k.ke_release_spin_lock(&mut first, old);
    sim.assert_no_violations();
    // third → first closes the cycle through second: never collided here, a deadlock on two CPUs.
    let old = k.ke_acquire_spin_lock_raise_to_dpc(&mut third);
    k.ke_acquire_spin_lock_at_dpc_level(&mut first);
    k.ke_release_spin_lock_from_dpc_level(&mut first);
    k.ke_release_spin_lock(&mut third, old);
    assert!(sim.has_violation(LOCK_ORDER), "{:?}", sim.violations());
    sim.take_violations();
    sim.remove_adapter(a);
}

/// The catalogue and the checks agree: every rule the verifier can report has its entry in
/// `RULES.md` (a table row's first column, or a "Model addition: `Rule` —" paragraph), and every
/// entry names a rule the verifier has, so a rule added or renamed in one place cannot go missing
/// from the other. Rows marked "(behaviour)" describe what the model does and report nothing.
#[test]
fn every_rule_is_catalogued_and_every_catalogued_rule_exists() {
    let source = include_str!("../src/verifier.rs");
    let defined: std::collections::BTreeSet<&str> = source
        .lines()
        .filter_map(|line| {
            line.trim().strip_prefix("pub const ")?.split_once(": &str = \"")?.1.split('"').next()
        })
        .collect();
    assert!(defined.len() > 50, "parsed {} rule names from verifier.rs", defined.len());
    let catalogue = include_str!("../RULES.md");
    let rows: std::collections::BTreeSet<&str> = catalogue
        .lines()
        // A "(behaviour)" row describes what the model does, not a violation it reports.
        .filter(|line| !line.contains("` (behaviour)"))
        .filter_map(|line| {
            line.strip_prefix("| `").or_else(|| line.strip_prefix("Model addition: `"))?.split('`').next()
        })
        .filter(|name| name.contains('.') || name.starts_with("Ndis"))
        .collect();
    let uncatalogued: Vec<_> = defined.difference(&rows).collect();
    let unknown: Vec<_> = rows.difference(&defined).collect();
    assert!(uncatalogued.is_empty(), "rules with no row in RULES.md: {uncatalogued:?}");
    assert!(unknown.is_empty(), "RULES.md rows naming no rule of verifier.rs: {unknown:?}");
}
