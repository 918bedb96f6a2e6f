//! `miniport-lab`: boots the real `kmdf-miniport` driver inside `kernel-sim`, puts adapters on one
//! vwire hub, binds a real TCP/IP stack (smoltcp) above each adapter through the model's NDIS upper
//! edge, and runs ARP, ping and verified TCP bulk transfers through the driver code; captures every
//! frame crossing the hub to pcap; benchmarks the bare data path; bridges one hub port to a Linux
//! TAP device in a network namespace so the kernel's own stack talks to the stack above adapter 0;
//! and binds Linux namespaces above the adapters instead (`--tap-upper`, [`upper`]), so that two
//! kernels talk through two instances of the driver.

pub mod alloc_count;
pub mod bench;
pub mod capture;
pub mod faults;
pub mod iperf;
pub mod run;
pub mod stack;
pub mod tap;
pub mod upper;

#[cfg(test)]
mod smoke_tests;
#[cfg(test)]
mod tests;

#[global_allocator]
static GLOBAL: alloc_count::Counting = alloc_count::Counting;

/// The packet filter every adapter runs with: what TCP/IP over Ethernet needs.
pub const PACKET_FILTER: u32 = ndis_types::oid::NDIS_PACKET_TYPE_DIRECTED
    | ndis_types::oid::NDIS_PACKET_TYPE_MULTICAST
    | ndis_types::oid::NDIS_PACKET_TYPE_BROADCAST;
