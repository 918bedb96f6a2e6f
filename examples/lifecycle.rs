//! The real driver in the kernel model: load, two adapters, restart, pause, a surprise removal,
//! halt, unload. Prints every call NDIS and KMDF saw, then the verifier's verdict.
//!
//! `cargo run --example lifecycle [seed]`

use kernel_sim::{Sim, SimConfig};

fn main() {
    let seed = std::env::args().nth(1).and_then(|arg| arg.parse().ok()).unwrap_or(1);
    let sim = Sim::new(SimConfig { seed, ..SimConfig::default() });

    let status = sim.load(kmdf_miniport::driver_entry);
    println!("DriverEntry -> {status:#010x}");
    let first = sim.add_adapter().expect("MiniportInitializeEx");
    let second = sim.add_adapter().expect("MiniportInitializeEx");
    for adapter in [first, second] {
        let attributes = sim.general_attributes(adapter).expect("general attributes");
        println!(
            "adapter {}: {:02x?}, MTU {}, {} OIDs supported, {:?}",
            adapter.0,
            attributes.current_mac_address,
            attributes.mtu_size,
            attributes.supported_oids.len(),
            sim.adapter_state(adapter)
        );
        println!("MiniportRestart -> {:#010x}", sim.restart(adapter));
        println!("  reads pending below: {}", sim.lower(adapter).pending_reads());
    }
    println!("MiniportPause(adapter {}) -> {:#010x}", first.0, sim.pause(first));
    println!("MiniportRestart(adapter {}) -> {:#010x}", first.0, sim.restart(first));
    println!("surprise removal of adapter {}", second.0);
    sim.surprise_remove(second);
    sim.remove_adapter(first);
    sim.unload();

    println!("\n-- calls the driver made, in order --");
    for call in sim.calls() {
        println!("{call}");
    }
    let violations = sim.violations();
    let leaks = sim.leak_report();
    println!(
        "\n-- verifier: {} violations, {} leaks (virtual time {:?}) --",
        violations.len(),
        leaks.len(),
        sim.now()
    );
    for violation in &violations {
        println!("{}: {}", violation.rule, violation.message);
    }
    for leak in &leaks {
        println!("leak: {leak}");
    }
    sim.assert_clean();
}
