//! The whole lifecycle as NDIS drives it: load, initialize, restart, pause, halt, unload. Each
//! scenario must end with zero violations and zero leaks (kernel-sim fails the test otherwise).

mod common;

use common::*;
use kernel_sim::AdapterState;
use ndis_types::miniport::*;
use ndis_types::*;

fn cycle(adapters: usize, seed: u64) {
    let (sim, ids) = with_adapters(seed, adapters);
    for &adapter in &ids {
        assert_eq!(sim.adapter_state(adapter), AdapterState::Paused, "initialize leaves the adapter Paused");
        assert_eq!(sim.lower(adapter).pending_reads(), 0, "nothing is sent below before restart");
    }
    for _ in 0..2 {
        for &adapter in &ids {
            assert_eq!(sim.restart(adapter), NDIS_STATUS_SUCCESS);
            assert_eq!(sim.adapter_state(adapter), AdapterState::Running);
            assert_eq!(sim.lower(adapter).pending_reads(), READ_REQUESTS, "restart arms every read");
        }
        for &adapter in &ids {
            let status = sim.pause(adapter);
            assert!(
                status == NDIS_STATUS_SUCCESS || status == NDIS_STATUS_PENDING,
                "pause returned {status:#x}"
            );
            assert_eq!(sim.adapter_state(adapter), AdapterState::Paused);
            assert_eq!(sim.lower(adapter).pending_reads(), 0, "pause cancels every read before it completes");
        }
    }
    for &adapter in &ids {
        sim.halt(adapter, NDIS_HALT_DEVICE_DISABLED);
    }
    sim.unload();
    sim.assert_clean();
}

#[test]
fn one_adapter_full_lifecycle_is_clean() {
    cycle(1, 1);
}

#[test]
fn four_adapters_full_lifecycle_is_clean() {
    cycle(4, 2);
}

#[test]
fn lifecycle_is_clean_under_many_schedules() {
    // The seed decides the IRQL of handlers allowed at DISPATCH and whether cancellations complete
    // nested inside WdfRequestCancelSentRequest or later.
    for seed in 10..40 {
        cycle(2, seed);
    }
}

#[test]
fn repeated_load_and_unload_leave_nothing_behind() {
    for seed in 0..5 {
        let (sim, ids) = with_adapters(seed, 2);
        sim.restart(ids[0]);
        sim.remove_adapter(ids[0]);
        sim.remove_adapter(ids[1]);
        sim.unload();
        sim.assert_clean();
        assert!(sim.leak_report().is_empty(), "{:?}", sim.leak_report());
    }
}

#[test]
fn unload_without_adapters_undoes_driver_entry() {
    let sim = loaded(3);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn general_attributes_describe_an_ethernet_adapter_with_a_unique_address() {
    let (sim, ids) = with_adapters(4, 2);
    let first = sim.general_attributes(ids[0]).expect("general attributes");
    let second = sim.general_attributes(ids[1]).expect("general attributes");
    assert_eq!(first.mtu_size, 1500);
    assert_eq!(first.current_mac_address.len(), 6, "MacAddressLength");
    assert_eq!(first.current_mac_address[0] & 0x03, 0x02, "locally administered unicast");
    assert_ne!(first.current_mac_address, second.current_mac_address);
    assert_eq!(first.if_type, 6);
    assert!(first.supported_oids.contains(&ndis_types::oid::OID_GEN_STATISTICS));
    for &adapter in &ids {
        sim.halt(adapter, NDIS_HALT_DEVICE_DISABLED);
    }
    sim.unload();
}

#[test]
fn a_read_that_completes_with_data_is_sent_again() {
    let (sim, adapter) = running(5);
    for _ in 0..3 {
        assert!(sim.lower(adapter).inject_raw_read_completion(&[0u8; 64], STATUS_SUCCESS));
    }
    sim.run_until_idle();
    assert_eq!(
        sim.lower(adapter).pending_reads(),
        READ_REQUESTS,
        "completed reads are re-armed while running"
    );
    sim.remove_adapter(adapter);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn reads_completing_during_pause_are_not_sent_again() {
    for seed in 0..8 {
        let (sim, adapter) = running(seed);
        let status = sim.pause(adapter);
        assert!(status == NDIS_STATUS_SUCCESS || status == NDIS_STATUS_PENDING);
        assert_eq!(sim.lower(adapter).pending_reads(), 0);
        // Restart re-arms exactly the read set again.
        assert_eq!(sim.restart(adapter), NDIS_STATUS_SUCCESS);
        assert_eq!(sim.lower(adapter).pending_reads(), READ_REQUESTS);
        sim.remove_adapter(adapter);
        sim.unload();
        sim.assert_clean();
    }
}
