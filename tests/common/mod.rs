//! What every scenario starts from: the real driver loaded into kernel-sim.
#![allow(dead_code)]

pub mod explorer;

use kernel_sim::{AdapterId, Sim, SimConfig};
use ndis_types::*;

/// Receive reads the adapter keeps pending below while it runs.
#[allow(unused_imports)]
pub use kmdf_miniport::{READ_REQUESTS, RESERVED_READS};

pub fn sim(seed: u64) -> Sim {
    Sim::new(SimConfig { seed, ..SimConfig::default() })
}

/// Load the driver: DriverEntry must succeed.
pub fn loaded(seed: u64) -> Sim {
    let sim = sim(seed);
    assert_eq!(sim.load(kmdf_miniport::driver_entry), STATUS_SUCCESS, "DriverEntry");
    sim
}

/// Load the driver and bring up `count` adapters to Paused.
pub fn with_adapters(seed: u64, count: usize) -> (Sim, Vec<AdapterId>) {
    let sim = loaded(seed);
    let adapters = (0..count)
        .map(|index| {
            sim.add_adapter()
                .unwrap_or_else(|status| panic!("adapter {index}: initialize failed {status:#x}"))
        })
        .collect();
    (sim, adapters)
}

/// One adapter, Running.
pub fn running(seed: u64) -> (Sim, AdapterId) {
    let (sim, adapters) = with_adapters(seed, 1);
    let adapter = adapters[0];
    assert_eq!(sim.restart(adapter), NDIS_STATUS_SUCCESS);
    (sim, adapter)
}

/// The adapter's current address, as its general attributes gave it to NDIS.
pub fn mac(sim: &Sim, adapter: AdapterId) -> [u8; 6] {
    sim.general_attributes(adapter).unwrap().current_mac_address[..6].try_into().unwrap()
}

/// Remove every adapter, unload, and require the model clean: nothing leaked, no rule broken.
pub fn finish(sim: Sim, adapters: &[AdapterId]) {
    for &adapter in adapters {
        sim.remove_adapter(adapter);
    }
    sim.unload();
    sim.assert_clean();
}
