//! Every allocation and creation site the driver reaches in DriverEntry, MiniportInitializeEx and
//! MiniportRestart, failed one at a time: the failing call's status comes back, everything done
//! before it is undone, nothing leaks, and the driver still unloads clean. The sites are not
//! hand-picked: a clean run records every fallible call, and each one is then failed in turn.

mod common;

use kernel_sim::{FallibleCall, FaultPlan, Phase, Sim, SimConfig};
use ndis_types::*;

const SEED: u64 = 7;

/// The scenario every run follows: load, one adapter, restart, remove, unload.
fn recorded_calls() -> Vec<FallibleCall> {
    let sim = common::loaded(SEED);
    let adapter = sim.add_adapter().expect("initialize");
    assert_eq!(sim.restart(adapter), NDIS_STATUS_SUCCESS);
    sim.remove_adapter(adapter);
    sim.unload();
    sim.assert_clean();
    sim.fallible_calls()
        .into_iter()
        .filter(|call| matches!(call.phase, Phase::DriverEntry | Phase::Initialize(_) | Phase::Restart(_)))
        .collect()
}

#[test]
fn the_recorded_sites_cover_driver_entry_and_initialize() {
    let calls = recorded_calls();
    let in_entry = calls.iter().filter(|call| matches!(call.phase, Phase::DriverEntry)).count();
    let in_initialize = calls.iter().filter(|call| matches!(call.phase, Phase::Initialize(_))).count();
    assert_eq!(in_entry, 2, "WdfDriverCreate and NdisMRegisterMiniportDriver: {calls:?}");
    // Adapter memory, both attribute calls, the device, 16+8 requests with buffers and an MDL per
    // read buffer, the NBL pool, and an MDL and an NBL per receive NBL.
    assert!(in_initialize > 60, "only {in_initialize} fallible calls in initialize: {calls:?}");
    for api in [
        "NdisAllocateMemoryWithTagPriority",
        "NdisMSetMiniportAttributes",
        "WdfDeviceMiniportCreate",
        "NdisOpenConfigurationEx",
        "WdfRequestCreate",
        "WdfMemoryCreate",
        "NdisAllocateNetBufferListPool",
        "NdisAllocateMdl",
        "IoAllocateMdl",
        "NdisAllocateNetBufferAndNetBufferList",
    ] {
        assert!(calls.iter().any(|call| call.api == api), "{api} never reached in initialize");
    }
}

#[test]
fn each_fallible_call_fails_cleanly() {
    let calls = recorded_calls();
    assert!(!calls.is_empty());
    for call in calls {
        let sim = Sim::new(SimConfig { seed: SEED, faults: FaultPlan::FailCall { ordinal: call.ordinal } });
        let context = format!("failing call #{} {} in {:?}", call.ordinal, call.api, call.phase);

        let status = sim.load(kmdf_miniport::driver_entry);
        if matches!(call.phase, Phase::DriverEntry) {
            assert!(!nt_success(status), "{context}: DriverEntry returned {status:#x}");
            assert_eq!(
                status, STATUS_INSUFFICIENT_RESOURCES,
                "{context}: the failing call's status is returned"
            );
            // The framework side was undone by DriverEntry itself: nothing is left to unload.
            sim.assert_clean();
            assert!(sim.leak_report().is_empty(), "{context}: {:?}", sim.leak_report());
            continue;
        }
        assert_eq!(status, STATUS_SUCCESS, "{context}");

        let adapter = sim.add_adapter();
        if matches!(call.phase, Phase::Initialize(_)) {
            let status = adapter.expect_err(&context);
            assert_eq!(status, NDIS_STATUS_RESOURCES, "{context}");
            // kernel-sim checked the complete unwind when initialize returned; the driver still
            // serves a new adapter and unloads clean.
            let retry =
                sim.add_adapter().unwrap_or_else(|status| panic!("{context}: retry failed {status:#x}"));
            sim.remove_adapter(retry);
            sim.unload();
            sim.assert_clean();
            continue;
        }
        let adapter = adapter.unwrap_or_else(|status| panic!("{context}: initialize {status:#x}"));
        let status = sim.restart(adapter);
        assert_ne!(status, NDIS_STATUS_SUCCESS, "{context}: restart must report the failure");
        assert_eq!(sim.lower(adapter).pending_reads(), 0, "{context}: a failed restart leaves nothing sent");
        sim.remove_adapter(adapter);
        sim.unload();
        sim.assert_clean();
    }
}
