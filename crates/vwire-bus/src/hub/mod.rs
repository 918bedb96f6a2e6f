//! The vwire hub: the Ethernet "wire" between virtual ports.
//!
//! Each port is one child PDO of the bus (on Windows) or one lower edge in the host model. A port's
//! miniport writes batches of frames; the hub learns source addresses, switches each frame to the
//! learned port or floods it, and queues it for the receivers' next reads. Faults are injected here,
//! below the driver, as smoltcp's `FaultInjector` wraps a device the driver never sees.
//!
//! **Cut-through.** A frame is copied once on its way through, not twice: when its destination port
//! has a read parked (the caller's, lent through [`ParkedReads`] to [`Hub::write_batch_into`]) and
//! nothing queued ahead of it, the frame is written straight into that read's buffer. The queue is
//! only for ports with no read parked, or with frames already waiting (first in, first out holds),
//! or with a fault that holds frames back (delay, stall, failed reads).
//!
//! Rules the callers rely on:
//! - All allocation happens in [`Hub::try_new`] / [`Hub::new`] and [`Hub::add_port`]; reads, writes,
//!   injected frames and captures copy into fixed slots and never allocate.
//! - No input makes it panic (in a driver a panic is a bug check): batches and IOCTL buffers are
//!   untrusted and every failure is a value.
//! - Time is an argument (`now`, in the caller's ticks); the hub has no clock.
//! - The hub is not synchronized: the bus driver holds its lock around every call, and completes
//!   requests only after releasing it.

#![forbid(unsafe_code)]
#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unreachable,
    clippy::todo,
    clippy::unimplemented
)]

mod capture;
mod ioctl;
mod mac_table;
mod queue;
mod rng;

use alloc::vec::Vec;

use vwire_proto::{
    Batch, BatchError, BatchProgress, BatchWriter, ControlError, DEFAULT_MAX_BATCH_BYTES, DeviceInfo,
    LinkState, MAX_BATCH_FRAMES, MulticastList, PROTOCOL_VERSION, PortCounters,
};

pub use capture::CaptureRead;
use capture::CaptureRing;
pub use ioctl::{IoctlOutcome, IoctlStatus};
use mac_table::MacTable;
use queue::FrameQueue;
use rng::XorShift;

/// The MTUs a hub may be built with: [`STANDARD_MTU`] up to [`JUMBO_MTU`], its default, as
/// datacenter switches carry. A frame on the wire is at most the MTU + [`FRAME_OVERHEAD`] (header
/// and an 802.1Q tag), which for 9000 is the protocol's [`vwire_proto::MAX_FRAME_LEN`].
pub use vwire_proto::{FRAME_OVERHEAD, JUMBO_MTU, STANDARD_MTU};

// The protocol's default fits in the `u32` that `DeviceInfo` carries (16 KiB).
#[allow(clippy::cast_possible_truncation)]
const DEFAULT_MAX_BATCH_BYTES_U32: u32 = DEFAULT_MAX_BATCH_BYTES as u32;

/// 10 Gb/s, the speed every port reports by default.
pub const DEFAULT_SPEED_BPS: u64 = 10_000_000_000;

/// The sizes and seeds a hub is built with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HubConfig {
    /// Receive queue length of each port, in frames (default 256). Storage is the bytes of
    /// `queue_frames` standard 1518-byte frames (and at least one of the longest), allocated by
    /// [`Hub::add_port`]: frames take the room they need, so jumbo frames fill it sooner and a
    /// 9000-byte MTU costs no more memory than 1500 (about 390 KB a port).
    pub queue_frames: usize,
    /// The MTU every port reports and carries ([`STANDARD_MTU`]`..=`[`JUMBO_MTU`], default
    /// `JUMBO_MTU`): a written frame longer than `mtu` + 18 is dropped at the sender (`tx_errors`),
    /// as a switch drops a giant frame.
    pub mtu: u16,
    /// Most ports present at once (default 64).
    pub max_ports: usize,
    /// Seed of the generator behind the drop and corrupt faults.
    pub seed: u64,
    /// Link speed every port starts with (default 10 Gb/s; [`Hub::set_speed`] changes one port's).
    pub speed_bps: u64,
    /// Largest batch a port accepts in a write and produces in a read (default
    /// [`DEFAULT_MAX_BATCH_BYTES`]); reported in [`DeviceInfo`].
    pub max_batch_bytes: u32,
    /// Source addresses the hub remembers (default 1024); allocated by [`Hub::new`]. When full, the
    /// least recently learned address in the same set is forgotten, and frames to it are flooded.
    pub mac_table_entries: usize,
    /// Frames each port's capture buffer holds (default 64; [`Hub::set_capture`]). Storage is the
    /// bytes of `capture_frames` standard frames (at least one of the longest) per port, allocated by [`Hub::add_port`] with the
    /// receive queue, so capturing never allocates.
    pub capture_frames: usize,
}

impl HubConfig {
    /// The longest frame a port carries: the MTU (clamped to
    /// [`STANDARD_MTU`]`..=`[`JUMBO_MTU`]) plus header and tag.
    pub fn max_frame_len(&self) -> usize {
        usize::from(self.mtu.clamp(STANDARD_MTU, JUMBO_MTU)).saturating_add(usize::from(FRAME_OVERHEAD))
    }
}

impl Default for HubConfig {
    fn default() -> Self {
        Self {
            queue_frames: 256,
            mtu: JUMBO_MTU,
            max_ports: 64,
            seed: 0x7677_6972_6500_0001,
            speed_bps: DEFAULT_SPEED_BPS,
            max_batch_bytes: DEFAULT_MAX_BATCH_BYTES_U32,
            mac_table_entries: 1024,
            capture_frames: 64,
        }
    }
}

/// A port of the hub. Ids are handed out in increasing order and never reused, so a stale id (a port
/// that was removed) is always [`HubError::NoSuchPort`], never another port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortId(pub u32);

/// Faults injected on one port's lower edge. The default is none.
///
/// They act on what this port's miniport sees: its writes may fail or lose frames, its reads may fail,
/// stall, come late or carry corrupted frames.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Faults {
    /// Frames this port writes that are lost before the hub switches them, in parts per million
    /// (1_000_000 loses all). Counted in `tx_dropped_fault`.
    pub drop_ppm: u32,
    /// Frames queued for this port that get a single bit flipped, in parts per million. Counted in
    /// `rx_corrupted_fault`.
    pub corrupt_ppm: u32,
    /// A frame becomes readable `delay_ticks` after it was written.
    pub delay_ticks: u64,
    /// Reads find nothing (the frames stay queued, and may overflow the queue).
    pub stall: bool,
    /// Writes fail whole with [`HubError::WriteFailed`].
    pub fail_writes: bool,
    /// Reads fail with [`HubError::ReadFailed`] (the frames stay queued).
    pub fail_reads: bool,
}

/// What became of one written batch.
///
/// Units: `frames` counts frames in the batch. `delivered` counts copies queued for receivers or
/// written into their parked reads (cut-through); a flooded frame can be delivered several times.
/// `dropped` counts a frame lost at the sender (link down, drop
/// fault) once, and a copy refused by a full receive queue once per receiver. `unrouted` counts frames
/// that had nowhere to go (no other port up, or addressed to a station on the sender's own port).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Frames in the batch.
    pub frames: u32,
    /// Bytes of frame data in the batch.
    pub bytes: u64,
    /// Copies queued for a receiving port or written into its parked read.
    pub delivered: u32,
    /// Frames lost at the sender plus copies refused by full queues.
    pub dropped: u32,
    /// Frames switched to no port at all.
    pub unrouted: u32,
    /// Of `delivered`, the copies written straight into a read parked on the receiving port
    /// (cut-through, [`Hub::write_batch_into`]) rather than queued.
    pub cut_through: u32,
}

/// The reads the caller has parked for the hub's ports, lent to [`Hub::write_batch_into`] so that a
/// frame can go straight into a waiting read's buffer (module doc, "Cut-through").
///
/// Within one call the hub takes at most one read per port, fills it in place, and hands each one
/// back with [`ParkedReads::finish`] before the call returns. The caller completes the filled ones
/// (the bus from its serving DPC, never inside the writer's request). An empty one could not carry
/// the frame that came for it, as [`Hub::read_batch`] would have found: the bus fails it as that
/// would ([`HandedBack`]).
pub trait ParkedReads {
    /// Takes the oldest read parked on `port` off its queue to be filled; false if there is none
    /// (or the caller can hold no more filled reads for the port). Called only while nothing is
    /// queued for the port.
    fn take(&mut self, port: PortId) -> bool;

    /// The buffer of the read taken for `port`: the batch is written at its start. `None` if no
    /// read is taken for it.
    fn buffer(&mut self, port: PortId) -> Option<&mut [u8]>;

    /// Hands back the read taken for `port`, filled or not ([`HandedBack`]).
    fn finish(&mut self, port: PortId, read: HandedBack);
}

/// What became of a read the hub took ([`ParkedReads::finish`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandedBack {
    /// It holds a batch of this many bytes at the start of its buffer: complete it with them.
    Filled(usize),
    /// It holds nothing: the caller could not give its buffer ([`ParkedReads::buffer`] said
    /// `None`), or no longer could when the batch was to be finished (its frames are then lost,
    /// and counted: [`Hub::write_batch_into`]). [`Hub::read_batch`] into it would fail the same way
    /// (on Windows, `WdfRequestRetrieveOutputBuffer`'s status).
    NoBuffer,
    /// It holds nothing: too small for the frame that came for it (or for a batch header), which
    /// was queued instead. [`Hub::read_batch`] into it would fail with
    /// [`HubError::BufferTooSmall`], that frame being first in the queue.
    TooSmall,
}

/// No read is ever parked: every frame is queued ([`Hub::write_batch`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoParkedReads;

impl ParkedReads for NoParkedReads {
    fn take(&mut self, _port: PortId) -> bool {
        false
    }

    fn buffer(&mut self, _port: PortId) -> Option<&mut [u8]> {
        None
    }

    fn finish(&mut self, _port: PortId, _read: HandedBack) {}
}

/// Where a port stands in the cut-through of the batch being written ([`Hub::write_batch_into`]);
/// always `Idle` between calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CutThrough {
    /// No read asked for yet in this call.
    Idle,
    /// The caller had no read parked for the port: its frames are queued.
    NoRead,
    /// A read is taken; its batch stands at `progress`, holding `bytes` bytes of frames.
    Open { progress: BatchProgress, bytes: u64 },
    /// A read is taken that is handed back empty, for this reason.
    Unusable(HandedBack),
}

/// Why a hub operation failed. Each caller maps these to an NTSTATUS once, at its edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HubError {
    /// The port was never added or has been removed.
    NoSuchPort,
    /// `max_ports` ports are present already.
    TooManyPorts,
    /// A port with this MAC address is present already.
    PortExists,
    /// A port's MAC address must be unicast and non-zero.
    InvalidMac,
    /// The allocator refused the port's queue or the hub's tables.
    OutOfMemory,
    /// A written batch is malformed; none of its frames were sent.
    Batch(BatchError),
    /// A written batch is longer than the `max_batch_bytes` the port advertises; none of its frames
    /// were sent.
    BatchTooLarge,
    /// A control structure failed to decode or encode.
    Control(ControlError),
    /// The `fail_writes` fault.
    WriteFailed,
    /// The `fail_reads` fault.
    ReadFailed,
    /// The read buffer cannot hold even the oldest ready frame.
    BufferTooSmall,
    /// A link speed of 0 bits per second ([`Hub::set_speed`]).
    InvalidSpeed,
    /// An injected frame is shorter than an Ethernet header or longer than
    /// [`vwire_proto::admin::INJECT_MAX_FRAME_LEN`].
    InvalidFrame,
    /// A read or write reached a port whose device is powered down ([`Hub::set_power`]). Nothing
    /// was read or sent; counted in [`AdminCounters::io_refused_powered_down`].
    PoweredDown,
}

/// What became of an injected frame ([`Hub::inject`]). Only `Queued` reaches the adapter; the
/// others are counted ([`AdminCounters`]), as a wire loses a frame without telling the sender.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InjectOutcome {
    /// In the port's receive queue: the adapter's next read takes it.
    Queued,
    /// The port's link is down: dropped.
    LinkDown,
    /// The port's receive queue is full: dropped (and counted in `rx_dropped_queue_full` too).
    QueueFull,
    /// The port's device is powered down: dropped, and counted in
    /// [`AdminCounters::rx_dropped_powered_down`] as every frame that reaches it then.
    PoweredDown,
}

/// What the administrator's frame operations did on one port. Kept apart from [`PortCounters`],
/// which is the lower-edge protocol's structure and counts the adapter's own traffic.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AdminCounters {
    /// Frames injected and queued.
    pub injected: u64,
    /// Injected frames dropped because the link was down.
    pub inject_dropped_link_down: u64,
    /// Injected frames dropped because the receive queue was full.
    pub inject_dropped_queue_full: u64,
    /// Frames the adapter wrote that were captured.
    pub captured: u64,
    /// Captured frames dropped (the oldest) because the capture buffer was full.
    pub capture_dropped: u64,
    /// Frames that reached the port while its device was powered down (switched from a peer or
    /// injected): dropped, as a NIC without power receives nothing ([`Hub::set_power`]).
    pub rx_dropped_powered_down: u64,
    /// Frames that were waiting in the port's receive queue when its device powered down:
    /// discarded, as a powered-off NIC loses its receive FIFO ([`Hub::set_power`]).
    pub rx_discarded_at_power_down: u64,
    /// Reads and writes the adapter sent to the port while its device was powered down, refused
    /// with [`HubError::PoweredDown`]: the driver above broke the rule that nothing reaches a
    /// device in a low-power state.
    pub io_refused_powered_down: u64,
}

/// The power state of a port's device, as the PnP manager sets it through the bus (the device
/// power IRP that reaches the bus's PDO; KMDF `EvtDeviceD0Entry` / `EvtDeviceD0Exit`). Only D0
/// is working; D1, D2 and D3 are all "powered down" to the hub: a virtual port has no context to
/// keep in the lighter states, so the one behaviour of a NIC without power serves all three.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DevicePower {
    /// Working: frames are queued and the adapter's reads and writes served.
    #[default]
    D0,
    /// Low power.
    D1,
    /// Low power.
    D2,
    /// Off.
    D3,
}

impl DevicePower {
    /// Whether the device is working (D0).
    pub const fn is_powered(self) -> bool {
        matches!(self, DevicePower::D0)
    }
}

/// One port: its receive queue, its settings and its counters.
struct Port {
    id: PortId,
    mac: [u8; 6],
    queue: FrameQueue,
    faults: Faults,
    counters: PortCounters,
    link_up: bool,
    link_generation: u32,
    /// The device's power state ([`Hub::set_power`]); D0 when the port is added.
    power: DevicePower,
    /// The read this port is being written into during [`Hub::write_batch_into`].
    cut: CutThrough,
    /// What the link offers while it is up, bits per second (never 0).
    speed_bps: u64,
    packet_filter: u32,
    multicast: MulticastList,
    /// The administrator's frame operations: exactly one element, allocated by [`Hub::add_port`] (a
    /// fallible box). Out of line so that a `Port`, which `add_port` builds and moves, stays small
    /// (the 2 KiB `large_stack_frames` limit, `clippy.toml`).
    admin: Vec<PortAdmin>,
}

/// A port's capture and the counters of its frame operations.
struct PortAdmin {
    capture: CaptureRing,
    counters: AdminCounters,
}

impl PortAdmin {
    /// The one-element vector [`Port::admin`] holds, capture buffer allocated, nothing counted.
    fn boxed(capture_frames: usize, max_frame_len: usize) -> Result<Vec<PortAdmin>, HubError> {
        let capture = CaptureRing::with_capacity(capture_frames, max_frame_len)?;
        let mut admin = Vec::new();
        admin.try_reserve_exact(1).map_err(|_| HubError::OutOfMemory)?;
        admin.push(PortAdmin { capture, counters: AdminCounters::default() });
        Ok(admin)
    }
}

impl Port {
    /// A frame this port's adapter wrote, recorded if the port is captured. Out of line: it keeps
    /// `write_batch`'s frame (with its temporaries) within the stack budget.
    #[inline(never)]
    fn capture_written(&mut self, frame: &[u8], now: u64) {
        if let Ok(admin) = self.admin_mut()
            && let Some(dropped) = admin.capture.record(frame, now)
        {
            let c = &mut admin.counters;
            c.captured = c.captured.saturating_add(1);
            c.capture_dropped = c.capture_dropped.saturating_add(dropped);
        }
    }

    /// [`Hub::admit_io`] on this port: refused and counted while its device is powered down.
    fn admit_io(&mut self) -> Result<(), HubError> {
        if self.power.is_powered() {
            return Ok(());
        }
        let c = &mut self.admin_mut()?.counters;
        c.io_refused_powered_down = c.io_refused_powered_down.saturating_add(1);
        Err(HubError::PoweredDown)
    }

    /// The port's [`PortAdmin`]; `None` only if `add_port` had not made it, which it always does.
    fn admin_mut(&mut self) -> Result<&mut PortAdmin, HubError> {
        self.admin.first_mut().ok_or(HubError::NoSuchPort)
    }
}

impl Port {
    /// Whether a frame for this port may go straight into a parked read: nothing queued ahead of it
    /// (first in, first out) and no fault that holds frames in the queue (delay, stall, failed
    /// reads act on the queue as the adapter's reads see it).
    fn may_cut_through(&self) -> bool {
        self.queue.len() == 0 && self.faults.delay_ticks == 0 && !self.faults.stall && !self.faults.fail_reads
    }

    /// Writes `frame` into the read taken for this port in this call (taking one first if none
    /// is), with the receive side's corruption fault applied as in the queue. False if it does not
    /// go there: no read, the read is full, or cut-through is not allowed now.
    #[inline(never)]
    fn cut_through<R: ParkedReads + ?Sized>(
        &mut self,
        rng: &mut XorShift,
        frame: &[u8],
        max_batch_bytes: usize,
        reads: &mut R,
    ) -> bool {
        if !self.may_cut_through() {
            return false;
        }
        let (progress, bytes) = match self.cut {
            CutThrough::Open { progress, bytes } => (Some(progress), bytes),
            CutThrough::NoRead | CutThrough::Unusable(_) => return false,
            CutThrough::Idle => (None, 0),
        };
        if progress.is_none() && !reads.take(self.id) {
            self.cut = CutThrough::NoRead;
            return false;
        }
        // A read without a usable buffer (on Windows `WdfRequestRetrieveOutputBuffer` can fail,
        // under Driver Verifier's low-resources simulation, say) is still the hub's to hand back:
        // one just taken becomes `Unusable`; one already holding frames stays `Open` with them.
        let Some(buffer) = reads.buffer(self.id) else {
            if progress.is_none() {
                self.cut = CutThrough::Unusable(HandedBack::NoBuffer);
            }
            return false;
        };
        // No batch longer than a read may carry (`DeviceInfo::max_batch_bytes`), as `read_batch`.
        let usable = buffer.len().min(max_batch_bytes);
        let buffer = buffer.get_mut(..usable).unwrap_or_default();
        let started = match progress {
            Some(progress) => BatchWriter::resume(buffer, progress),
            None => BatchWriter::new(buffer),
        };
        let Ok(mut writer) = started else {
            if progress.is_none() {
                self.cut = CutThrough::Unusable(HandedBack::TooSmall);
            }
            return false;
        };
        let corrupt_ppm = self.faults.corrupt_ppm;
        let mut corrupted = false;
        let pushed = writer.push_with(frame.len(), |copy| {
            copy.copy_from_slice(frame);
            corrupted = corrupt(copy, corrupt_ppm, rng);
        });
        let len = u64::try_from(frame.len()).unwrap_or(u64::MAX);
        let bytes = if pushed.is_ok() { bytes.saturating_add(len) } else { bytes };
        self.cut = CutThrough::Open { progress: writer.progress(), bytes };
        if pushed.is_err() {
            return false;
        }
        let c = &mut self.counters;
        if corrupted {
            c.rx_corrupted_fault = c.rx_corrupted_fault.saturating_add(1);
        }
        c.rx_frames = c.rx_frames.saturating_add(1);
        c.rx_bytes = c.rx_bytes.saturating_add(len);
        true
    }

    /// At the end of [`Hub::write_batch_into`]: writes the header of the batch in the read taken
    /// for this port and hands it back (filled, or empty to be parked again). Returns the frames
    /// lost: those of a batch whose buffer the caller can no longer give, taken back out of the
    /// port's `rx_frames`/`rx_bytes` and counted in its `rx_errors`.
    fn hand_back_read<R: ParkedReads + ?Sized>(&mut self, reads: &mut R) -> u32 {
        let cut = core::mem::replace(&mut self.cut, CutThrough::Idle);
        let (read, lost) = match cut {
            CutThrough::Idle | CutThrough::NoRead => return 0,
            CutThrough::Unusable(why) => (why, 0),
            // Opened, but its first frame did not fit.
            CutThrough::Open { progress, .. } if progress.is_empty() => (HandedBack::TooSmall, 0),
            CutThrough::Open { progress, bytes } => {
                // (`resume` needs only the bytes up to `progress`, within any cap `cut_through`
                // applied.)
                match reads.buffer(self.id).map(|buffer| BatchWriter::resume(buffer, progress)) {
                    Some(Ok(writer)) => (HandedBack::Filled(writer.finish()), 0),
                    // Lost with the buffer: one receive error, as a failed read is one
                    // (`read_batch`), and the frames no longer counted as received.
                    _ => {
                        let frames = u32::try_from(progress.frame_count()).unwrap_or(u32::MAX);
                        let c = &mut self.counters;
                        c.rx_errors = c.rx_errors.saturating_add(1);
                        c.rx_frames = c.rx_frames.saturating_sub(u64::from(frames));
                        c.rx_bytes = c.rx_bytes.saturating_sub(bytes);
                        (HandedBack::NoBuffer, frames)
                    }
                }
            }
        };
        reads.finish(self.id, read);
        lost
    }

    /// Allocates a port's receive queue and capture buffer and appends the port, with link up at
    /// generation 1, no faults, nothing counted.
    fn push_new(ports: &mut Vec<Port>, config: &HubConfig, id: PortId, mac: [u8; 6]) -> Result<(), HubError> {
        let queue = FrameQueue::with_capacity(config.queue_frames, config.max_frame_len())?;
        let admin = PortAdmin::boxed(config.capture_frames, config.max_frame_len())?;
        ports.try_reserve(1).map_err(|_| HubError::OutOfMemory)?;
        ports.push(Port {
            id,
            mac,
            queue,
            faults: Faults::default(),
            counters: PortCounters::default(),
            link_up: true,
            link_generation: 1,
            power: DevicePower::D0,
            cut: CutThrough::Idle,
            speed_bps: config.speed_bps,
            packet_filter: 0,
            multicast: MulticastList::default(),
            admin,
        });
        Ok(())
    }
}

/// The hub: ports, the MAC table and the fault generator.
pub struct Hub {
    config: HubConfig,
    /// Sorted by id (ids only grow), so lookups are a binary search.
    ports: Vec<Port>,
    macs: MacTable,
    rng: XorShift,
    next_id: u32,
}

impl core::fmt::Debug for Hub {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Hub").field("config", &self.config).field("ports", &self.ports.len()).finish()
    }
}

impl Hub {
    /// A hub with no ports. Aborts through the global allocator's error handler if the MAC table cannot
    /// be allocated; a driver should call [`Hub::try_new`].
    pub fn new(config: HubConfig) -> Hub {
        match Self::try_new(config) {
            Ok(hub) => hub,
            // The only failure is the allocation: report it the way a plain `Vec` would.
            Err(_) => alloc::alloc::handle_alloc_error(core::alloc::Layout::new::<[u8; 4096]>()),
        }
    }

    /// A hub with no ports, or `OutOfMemory`.
    pub fn try_new(config: HubConfig) -> Result<Hub, HubError> {
        let mut ports = Vec::new();
        ports.try_reserve_exact(config.max_ports.min(64)).map_err(|_| HubError::OutOfMemory)?;
        Ok(Hub {
            config,
            ports,
            macs: MacTable::with_capacity(config.mac_table_entries)?,
            rng: XorShift::new(config.seed),
            next_id: 1,
        })
    }

    /// The configuration the hub was built with.
    pub fn config(&self) -> &HubConfig {
        &self.config
    }

    /// Adds a port with station address `mac` and allocates its receive queue. Its link starts up, at
    /// generation 1.
    pub fn add_port(&mut self, mac: [u8; 6]) -> Result<PortId, HubError> {
        if mac == [0; 6] || is_multicast(&mac) {
            return Err(HubError::InvalidMac);
        }
        if self.ports.len() >= self.config.max_ports {
            return Err(HubError::TooManyPorts);
        }
        if self.ports.iter().any(|p| p.mac == mac) {
            return Err(HubError::PortExists);
        }
        let id = PortId(self.next_id);
        let next_id = self.next_id.checked_add(1).ok_or(HubError::TooManyPorts)?;
        Port::push_new(&mut self.ports, &self.config, id, mac)?;
        self.next_id = next_id;
        Ok(id)
    }

    /// Removes a port: its queued frames are discarded, its queue freed, and the addresses learned on
    /// it forgotten (frames to them are flooded again).
    pub fn remove_port(&mut self, port: PortId) -> Result<(), HubError> {
        let index = self.index_of(port)?;
        self.ports.remove(index);
        self.macs.forget_port(port);
        Ok(())
    }

    /// The ports present, in the order they were added.
    pub fn ports(&self) -> impl Iterator<Item = PortId> + '_ {
        self.ports.iter().map(|p| p.id)
    }

    /// The station address a port was added with.
    pub fn mac(&self, port: PortId) -> Result<[u8; 6], HubError> {
        Ok(self.port(port)?.mac)
    }

    /// What `IOCTL_VWIRE_QUERY_DEVICE` answers for a port.
    pub fn device_info(&self, port: PortId) -> Result<DeviceInfo, HubError> {
        let p = self.port(port)?;
        Ok(DeviceInfo {
            mac: p.mac,
            mtu: self.config.mtu.clamp(STANDARD_MTU, JUMBO_MTU),
            max_batch_bytes: self.config.max_batch_bytes,
            max_batch_frames: u16::try_from(MAX_BATCH_FRAMES).unwrap_or(u16::MAX),
            protocol_version: PROTOCOL_VERSION,
        })
    }

    /// Takes one batch written by `from`'s miniport and switches its frames.
    ///
    /// A port whose device is powered down refuses the batch whole with [`HubError::PoweredDown`]
    /// ([`Hub::admit_io`]), before anything else is looked at.
    /// A batch that fails the `fail_writes` fault, is malformed, or exceeds `max_batch_bytes` is
    /// refused whole and counted in `tx_errors`. Otherwise every frame counts in `tx_frames` and is,
    /// in order: dropped if `from`'s link is down or the frame is longer than the MTU allows (`tx_errors`); lost to the drop fault
    /// (`tx_dropped_fault`); its source address learned on `from`; sent to the port its destination
    /// was learned on, or, for broadcast, multicast and unknown unicast, flooded to every other port
    /// whose link is up. Never back to `from`. A receiver whose queue is full drops its copy
    /// (`rx_dropped_queue_full`): the sender never waits. While `from` is captured
    /// ([`Hub::set_capture`]), every frame of an accepted batch is copied to its capture buffer first,
    /// as the adapter sent it (before the link and drop-fault decisions).
    pub fn write_batch(&mut self, from: PortId, batch: &[u8], now: u64) -> Result<WriteReport, HubError> {
        self.write_batch_into(from, batch, now, &mut NoParkedReads)
    }

    /// [`Hub::write_batch`], with the caller's parked reads lent for cut-through (module doc): a copy
    /// for a port that has nothing queued, no fault holding frames back, and a read parked goes
    /// straight into that read (counted in the port's `rx_frames`/`rx_bytes` as it is written, as
    /// [`Hub::read_batch`] counts what it reads out, and in [`WriteReport::cut_through`]). When the
    /// read is full, or cannot hold the frame, the frame is queued, and so are the port's later
    /// frames, behind it. Every read taken is handed back ([`ParkedReads::finish`]) before this
    /// returns.
    pub fn write_batch_into<R: ParkedReads + ?Sized>(
        &mut self,
        from: PortId,
        batch: &[u8],
        now: u64,
        reads: &mut R,
    ) -> Result<WriteReport, HubError> {
        let Hub { config, ports, macs, rng, .. } = self;
        let max_frame_len = config.max_frame_len();
        let sender = index_in(ports, from)?;
        let (faults, link_up) = {
            let p = ports.get_mut(sender).ok_or(HubError::NoSuchPort)?;
            p.admit_io()?;
            let refused = if p.faults.fail_writes {
                Some(HubError::WriteFailed)
            } else if u32::try_from(batch.len()).map_or(true, |len| len > config.max_batch_bytes) {
                Some(HubError::BatchTooLarge)
            } else {
                None
            };
            if let Some(error) = refused {
                p.counters.tx_errors = p.counters.tx_errors.saturating_add(1);
                return Err(error);
            }
            (p.faults, p.link_up)
        };
        let parsed = match Batch::parse(batch) {
            Ok(parsed) => parsed,
            Err(error) => {
                if let Some(p) = ports.get_mut(sender) {
                    p.counters.tx_errors = p.counters.tx_errors.saturating_add(1);
                }
                return Err(HubError::Batch(error));
            }
        };

        let max_batch_bytes = usize::try_from(config.max_batch_bytes).unwrap_or(usize::MAX);
        let mut delivery = Delivery { rng, now, reads, max_batch_bytes };
        let sent = Sent { sender, from, faults, link_up, max_frame_len };
        let mut report = switch_frames(ports, macs, &sent, &parsed, &mut delivery);
        hand_back_reads(ports, delivery.reads, &mut report);
        Ok(report)
    }

    /// Fills `buf` with a batch of the frames queued for `port` that are ready at `now`, oldest first,
    /// as many as fit (and at most `max_batch_bytes`); the rest stay queued.
    ///
    /// A port whose device is powered down refuses the read with [`HubError::PoweredDown`]
    /// ([`Hub::admit_io`]).
    ///
    /// `Ok(None)`: nothing is ready (or the `stall` fault holds reads); the caller parks the read and
    /// tries again after the next write to this port or at [`Hub::next_ready_time`].
    /// `Ok(Some(n))`: the batch is the first `n` bytes of `buf`.
    pub fn read_batch(&mut self, port: PortId, buf: &mut [u8], now: u64) -> Result<Option<usize>, HubError> {
        let limit = usize::try_from(self.config.max_batch_bytes).unwrap_or(usize::MAX);
        let p = self.port_mut(port)?;
        p.admit_io()?;
        if p.faults.stall {
            return Ok(None);
        }
        if p.faults.fail_reads {
            p.counters.rx_errors = p.counters.rx_errors.saturating_add(1);
            return Err(HubError::ReadFailed);
        }
        let delay = p.faults.delay_ticks;
        let is_ready = |at: u64| at.saturating_add(delay) <= now;
        if !p.queue.front().is_some_and(|(_, at)| is_ready(at)) {
            return Ok(None);
        }
        let out_len = buf.len().min(limit);
        let Some(Ok(mut writer)) = buf.get_mut(..out_len).map(BatchWriter::new) else {
            p.counters.rx_errors = p.counters.rx_errors.saturating_add(1);
            return Err(HubError::BufferTooSmall);
        };
        let mut frames = 0usize;
        while let Some((frame, at)) = p.queue.front() {
            // FIFO: a frame not yet due holds back everything behind it. A refused push leaves the
            // batch as it was (full, or MAX_BATCH_FRAMES reached).
            if !is_ready(at) || writer.push(frame).is_err() {
                break;
            }
            let len = u64::try_from(frame.len()).unwrap_or(u64::MAX);
            p.counters.rx_frames = p.counters.rx_frames.saturating_add(1);
            p.counters.rx_bytes = p.counters.rx_bytes.saturating_add(len);
            p.queue.pop();
            frames = frames.saturating_add(1);
        }
        if frames == 0 {
            p.counters.rx_errors = p.counters.rx_errors.saturating_add(1);
            return Err(HubError::BufferTooSmall);
        }
        Ok(Some(writer.finish()))
    }

    /// Frames queued for `port`, ready or not (0 for a port that is not present).
    pub fn pending_frames(&self, port: PortId) -> usize {
        self.port(port).map_or(0, |p| p.queue.len())
    }

    /// When the oldest frame queued for `port` becomes readable (it may be now or past). `None` if
    /// nothing is queued, reads are stalled, or the port is not present: nothing to schedule.
    pub fn next_ready_time(&self, port: PortId) -> Option<u64> {
        let p = self.port(port).ok()?;
        if p.faults.stall {
            return None;
        }
        let (_, at) = p.queue.front()?;
        Some(at.saturating_add(p.faults.delay_ticks))
    }

    /// Sets a port's link. A change bumps its link generation (which completes waits on
    /// `IOCTL_VWIRE_WAIT_LINK_CHANGE`); going down also forgets the addresses learned on the port, as
    /// a bridge flushes its table on a link change. Frames already queued for the port stay queued.
    pub fn set_link(&mut self, port: PortId, up: bool) -> Result<(), HubError> {
        let p = self.port_mut(port)?;
        if p.link_up == up {
            return Ok(());
        }
        p.link_up = up;
        p.link_generation = next_generation(p.link_generation);
        if !up {
            self.macs.forget_port(port);
        }
        Ok(())
    }

    /// Sets the power state of a port's device, as the bus does when the device power IRP reaches
    /// the port's PDO (KMDF `EvtDeviceD0Exit` on the way down, `EvtDeviceD0Entry` on the way up).
    /// Returns how many queued frames powering down discarded (0 otherwise).
    ///
    /// What a powered-down port does, and why:
    /// - Frames switched or injected to it are dropped and counted
    ///   ([`AdminCounters::rx_dropped_powered_down`], and in the writer's [`WriteReport::dropped`]):
    ///   a NIC without power receives nothing, and a queue that kept filling would hand the adapter
    ///   up to `queue_frames` stale frames on wake, which no real NIC does.
    /// - The frames already queued for it are discarded when it powers down (D0 to D1-D3) and
    ///   counted ([`AdminCounters::rx_discarded_at_power_down`]): a powered-off NIC's receive FIFO
    ///   is lost. The miniport above has stopped its receive path by then: NDIS sends it
    ///   `OID_PNP_SET_POWER` for the low-power state before the device power IRP goes down to the
    ///   bus (Microsoft pages "OID_PNP_SET_POWER", "Transitioning to a Low-Power State": the
    ///   miniport stops the adapter's receive engine before it succeeds the OID; "Handling Device
    ///   Power-Down IRPs": higher drivers handle a power-down IRP before lower ones).
    /// - Its adapter's reads and writes are refused with [`HubError::PoweredDown`] and counted
    ///   ([`AdminCounters::io_refused_powered_down`]), not parked or sent: no I/O reaches a device
    ///   in a low-power state, so one that does is the driver's bug, and refusing makes it visible
    ///   at once instead of parking a read nothing will complete. The bus maps it once, at its edge,
    ///   to `STATUS_DEVICE_POWERED_OFF` (`crate::bus::BusStatus::DevicePoweredOff`).
    /// - Internal IOCTLs are still answered: they read and set what the bus records for the port
    ///   (device information, packet filter, multicast list, link state), not the NIC's FIFO.
    /// - Its link, as reported, is unchanged (no new link generation) and the addresses learned on
    ///   it are kept: the link partner is still there and still sees the link up. So the adapter
    ///   wakes to the link state it went to sleep with, unless the link really changed meanwhile.
    ///
    /// Powering up (to D0) restores delivery from the next frame on; nothing dropped meanwhile
    /// comes back. Setting the state it already has changes nothing.
    pub fn set_power(&mut self, port: PortId, power: DevicePower) -> Result<usize, HubError> {
        let p = self.port_mut(port)?;
        let was_powered = p.power.is_powered();
        p.power = power;
        if !was_powered || power.is_powered() {
            return Ok(0);
        }
        let discarded = p.queue.len();
        p.queue.clear();
        let c = &mut p.admin_mut()?.counters;
        c.rx_discarded_at_power_down =
            c.rx_discarded_at_power_down.saturating_add(u64::try_from(discarded).unwrap_or(u64::MAX));
        Ok(discarded)
    }

    /// The power state of a port's device.
    pub fn power(&self, port: PortId) -> Result<DevicePower, HubError> {
        Ok(self.port(port)?.power)
    }

    /// Whether a read or write of `port`'s adapter may reach the port now: `NoSuchPort`, or
    /// [`HubError::PoweredDown`] (counted in [`AdminCounters::io_refused_powered_down`]) while its
    /// device is powered down. [`Hub::read_batch`] and [`Hub::write_batch`] check it themselves; a
    /// caller that parks reads calls it before parking one, so a read that reaches a powered-down
    /// port is refused, never parked.
    pub fn admit_io(&mut self, port: PortId) -> Result<(), HubError> {
        self.port_mut(port)?.admit_io()
    }

    /// Sets the speed a port's link offers, as a switch port set to another rate. A change bumps the
    /// link generation as [`Hub::set_link`] does (the adapter sees it through
    /// `IOCTL_VWIRE_WAIT_LINK_CHANGE`), also while the link is down, where the speed is reported
    /// only once it comes up. 0 is [`HubError::InvalidSpeed`].
    pub fn set_speed(&mut self, port: PortId, speed_bps: u64) -> Result<(), HubError> {
        if speed_bps == 0 {
            return Err(HubError::InvalidSpeed);
        }
        let p = self.port_mut(port)?;
        if p.speed_bps == speed_bps {
            return Ok(());
        }
        p.speed_bps = speed_bps;
        p.link_generation = next_generation(p.link_generation);
        Ok(())
    }

    /// The speed a port's link offers, whether or not it is up.
    pub fn speed(&self, port: PortId) -> Result<u64, HubError> {
        Ok(self.port(port)?.speed_bps)
    }

    /// A port's link as `IOCTL_VWIRE_WAIT_LINK_CHANGE` reports it.
    pub fn link_state(&self, port: PortId) -> Result<LinkState, HubError> {
        let p = self.port(port)?;
        let speed_bps = if p.link_up { p.speed_bps } else { 0 };
        Ok(LinkState::new(p.link_generation, p.link_up, true, speed_bps))
    }

    /// Replaces a port's faults.
    pub fn set_faults(&mut self, port: PortId, faults: Faults) -> Result<(), HubError> {
        self.port_mut(port)?.faults = faults;
        Ok(())
    }

    /// A port's faults.
    pub fn faults(&self, port: PortId) -> Result<Faults, HubError> {
        Ok(self.port(port)?.faults)
    }

    /// A port's counters, from its miniport's point of view: rx is what was read out by it, tx what it
    /// wrote.
    pub fn counters(&self, port: PortId) -> Result<PortCounters, HubError> {
        Ok(self.port(port)?.counters)
    }

    /// The packet filter the miniport last set (0 for a port that is not present). Recorded only: the
    /// hub delivers every frame, filtering is the miniport's job.
    pub fn packet_filter(&self, port: PortId) -> u32 {
        self.port(port).map_or(0, |p| p.packet_filter)
    }

    /// The multicast list the miniport last set (empty for a port that is not present). Recorded only.
    pub fn multicast_list(&self, port: PortId) -> MulticastList {
        self.port(port).map_or_else(|_| MulticastList::default(), |p| p.multicast)
    }

    /// Queues `frame` for `port`'s adapter as if it arrived from the wire: the receive side's faults
    /// (corruption, delay, stall) apply as to any frame, nothing is learned or switched, and no other
    /// port sees it. A link that is down drops it, a device that is powered down drops it, a full
    /// queue drops it; each is counted and none is an error (the outcome says which). The caller
    /// then serves the port's parked reads, as after a peer's write.
    pub fn inject(&mut self, port: PortId, frame: &[u8], now: u64) -> Result<InjectOutcome, HubError> {
        if !(vwire_proto::admin::INJECT_MIN_FRAME_LEN..=vwire_proto::admin::INJECT_MAX_FRAME_LEN)
            .contains(&frame.len())
        {
            return Err(HubError::InvalidFrame);
        }
        let Hub { ports, rng, .. } = self;
        let index = index_in(ports, port)?;
        let p = ports.get_mut(index).ok_or(HubError::NoSuchPort)?;
        if !p.link_up {
            let c = &mut p.admin_mut()?.counters;
            c.inject_dropped_link_down = c.inject_dropped_link_down.saturating_add(1);
            return Ok(InjectOutcome::LinkDown);
        }
        if !p.power.is_powered() {
            let c = &mut p.admin_mut()?.counters;
            c.rx_dropped_powered_down = c.rx_dropped_powered_down.saturating_add(1);
            return Ok(InjectOutcome::PoweredDown);
        }
        let mut copies = Copies::default();
        queue_copy(p, rng, frame, now, &mut copies);
        if copies.delivered == 0 {
            let c = &mut p.admin_mut()?.counters;
            c.inject_dropped_queue_full = c.inject_dropped_queue_full.saturating_add(1);
            return Ok(InjectOutcome::QueueFull);
        }
        let c = &mut p.admin_mut()?.counters;
        c.injected = c.injected.saturating_add(1);
        Ok(InjectOutcome::Queued)
    }

    /// Starts (`true`: the buffer emptied, the drop count zeroed) or stops the capture of the frames
    /// `port`'s adapter writes. Stopping keeps what was captured for [`Hub::read_capture`].
    pub fn set_capture(&mut self, port: PortId, on: bool) -> Result<(), HubError> {
        let capture = &mut self.port_mut(port)?.admin_mut()?.capture;
        if on {
            capture.start();
        } else {
            capture.stop();
        }
        Ok(())
    }

    /// Whether `port` is being captured.
    pub fn is_capturing(&self, port: PortId) -> Result<bool, HubError> {
        self.port(port)?.admin.first().map(|admin| admin.capture.is_on()).ok_or(HubError::NoSuchPort)
    }

    /// Moves the oldest captured frames of `port` that fit into a batch at the start of `out`; never
    /// waits (nothing captured: an empty batch). `out` must hold at least a batch header.
    pub fn read_capture(&mut self, port: PortId, out: &mut [u8]) -> Result<CaptureRead, HubError> {
        self.port_mut(port)?.admin_mut()?.capture.read(out)
    }

    /// The administrator's frame counters of `port`.
    pub fn admin_counters(&self, port: PortId) -> Result<AdminCounters, HubError> {
        self.port(port)?.admin.first().map(|admin| admin.counters).ok_or(HubError::NoSuchPort)
    }

    fn index_of(&self, port: PortId) -> Result<usize, HubError> {
        index_in(&self.ports, port)
    }

    fn port(&self, port: PortId) -> Result<&Port, HubError> {
        let index = self.index_of(port)?;
        self.ports.get(index).ok_or(HubError::NoSuchPort)
    }

    fn port_mut(&mut self, port: PortId) -> Result<&mut Port, HubError> {
        let index = self.index_of(port)?;
        self.ports.get_mut(index).ok_or(HubError::NoSuchPort)
    }
}

/// The link generation after `generation`. 0 is never used, so a waiter that knows nothing yet can
/// pass 0.
fn next_generation(generation: u32) -> u32 {
    match generation.wrapping_add(1) {
        0 => 1,
        g => g,
    }
}

fn index_in(ports: &[Port], port: PortId) -> Result<usize, HubError> {
    ports.binary_search_by_key(&port, |p| p.id).map_err(|_| HubError::NoSuchPort)
}

/// Group bit of the first octet: broadcast and multicast destinations (IEEE 802-2014 8.2).
fn is_multicast(mac: &[u8; 6]) -> bool {
    mac[0] & 1 == 1
}

#[derive(Default)]
struct Copies {
    delivered: u32,
    dropped: u32,
    cut_through: u32,
}

/// Learns `frame`'s source on the sender and delivers a copy to each destination port.
fn switch<R: ParkedReads + ?Sized>(
    ports: &mut [Port],
    macs: &mut MacTable,
    sender: usize,
    from: PortId,
    frame: &[u8],
    delivery: &mut Delivery<'_, R>,
) -> Copies {
    let mut copies = Copies::default();
    let (Some(dst), Some(src)) = (mac_at(frame, 0), mac_at(frame, 6)) else {
        return copies;
    };
    if !is_multicast(&src) {
        macs.learn(&src, from);
    }
    let learned = if is_multicast(&dst) { None } else { macs.lookup(&dst) };
    match learned {
        // Addressed to a station behind the sender's own port: a bridge filters it.
        Some(to) if to == from => {}
        Some(to) => {
            if let Some(p) = index_in(ports, to).ok().and_then(|i| ports.get_mut(i)) {
                enqueue(p, frame, &mut copies, delivery);
            }
        }
        None => {
            for (i, p) in ports.iter_mut().enumerate() {
                if i != sender && p.link_up {
                    enqueue(p, frame, &mut copies, delivery);
                }
            }
        }
    }
    copies
}

/// The sender of a batch being switched, as `write_batch_into` found it.
struct Sent {
    sender: usize,
    from: PortId,
    faults: Faults,
    link_up: bool,
    max_frame_len: usize,
}

/// Switches every frame of an accepted batch ([`Hub::write_batch_into`]). Out of line, as
/// [`Port::capture_written`], to keep the caller's frame within the stack budget.
#[inline(never)]
fn switch_frames<R: ParkedReads + ?Sized>(
    ports: &mut [Port],
    macs: &mut MacTable,
    sent: &Sent,
    parsed: &Batch<'_>,
    delivery: &mut Delivery<'_, R>,
) -> WriteReport {
    let mut report = WriteReport::default();
    for frame in parsed.frames() {
        let len = u64::try_from(frame.len()).unwrap_or(u64::MAX);
        report.frames = report.frames.saturating_add(1);
        report.bytes = report.bytes.saturating_add(len);
        let Some(p) = ports.get_mut(sent.sender) else { break };
        p.capture_written(frame, delivery.now);
        let c = &mut p.counters;
        c.tx_frames = c.tx_frames.saturating_add(1);
        c.tx_bytes = c.tx_bytes.saturating_add(len);
        if !sent.link_up || frame.len() > sent.max_frame_len {
            c.tx_errors = c.tx_errors.saturating_add(1);
            report.dropped = report.dropped.saturating_add(1);
            continue;
        }
        if delivery.rng.chance_ppm(sent.faults.drop_ppm) {
            c.tx_dropped_fault = c.tx_dropped_fault.saturating_add(1);
            report.dropped = report.dropped.saturating_add(1);
            continue;
        }
        let copies = switch(ports, macs, sent.sender, sent.from, frame, delivery);
        report.delivered = report.delivered.saturating_add(copies.delivered);
        report.dropped = report.dropped.saturating_add(copies.dropped);
        report.cut_through = report.cut_through.saturating_add(copies.cut_through);
        if copies.delivered == 0 && copies.dropped == 0 {
            report.unrouted = report.unrouted.saturating_add(1);
        }
    }
    report
}

/// Hands back every read taken during a write ([`Port::hand_back_read`]). Out of line, as
/// [`Port::capture_written`], to keep `write_batch_into`'s frame within the stack budget.
#[inline(never)]
fn hand_back_reads<R: ParkedReads + ?Sized>(ports: &mut [Port], reads: &mut R, report: &mut WriteReport) {
    for p in ports.iter_mut() {
        let lost = p.hand_back_read(reads);
        // Delivered into a read, then lost with its buffer: a drop after all.
        report.delivered = report.delivered.saturating_sub(lost);
        report.cut_through = report.cut_through.saturating_sub(lost);
        report.dropped = report.dropped.saturating_add(lost);
    }
}

/// What delivering a frame to a port needs besides the port: the fault generator, the time, and
/// the caller's parked reads with the longest batch one may carry.
struct Delivery<'a, R: ParkedReads + ?Sized> {
    rng: &'a mut XorShift,
    now: u64,
    reads: &'a mut R,
    max_batch_bytes: usize,
}

/// Delivers a copy of `frame` to `port`: into a parked read if it can go there (cut-through), else
/// into the port's queue.
fn enqueue<R: ParkedReads + ?Sized>(
    port: &mut Port,
    frame: &[u8],
    copies: &mut Copies,
    delivery: &mut Delivery<'_, R>,
) {
    let Delivery { rng, now, reads, max_batch_bytes } = delivery;
    if !port.link_up {
        return;
    }
    if !port.power.is_powered() {
        // The link partner still sees the link up and sends; the NIC has no power to take it in.
        if let Ok(admin) = port.admin_mut() {
            let c = &mut admin.counters;
            c.rx_dropped_powered_down = c.rx_dropped_powered_down.saturating_add(1);
        }
        copies.dropped = copies.dropped.saturating_add(1);
        return;
    }
    if port.cut_through(rng, frame, *max_batch_bytes, *reads) {
        copies.delivered = copies.delivered.saturating_add(1);
        copies.cut_through = copies.cut_through.saturating_add(1);
        return;
    }
    queue_copy(port, rng, frame, *now, copies);
}

/// Queues a copy of `frame` for `port` (its link and power already checked), with the receive
/// side's corruption fault applied; a full queue drops it.
fn queue_copy(port: &mut Port, rng: &mut XorShift, frame: &[u8], now: u64, copies: &mut Copies) {
    let corrupt_ppm = port.faults.corrupt_ppm;
    match port.queue.push(frame, now) {
        Some(copy) => {
            if corrupt(copy, corrupt_ppm, rng) {
                port.counters.rx_corrupted_fault = port.counters.rx_corrupted_fault.saturating_add(1);
            }
            copies.delivered = copies.delivered.saturating_add(1);
        }
        None => {
            port.counters.rx_dropped_queue_full = port.counters.rx_dropped_queue_full.saturating_add(1);
            copies.dropped = copies.dropped.saturating_add(1);
        }
    }
}

/// The `corrupt_ppm` fault on a copy a port receives: one bit flipped, by chance. True if it was.
fn corrupt(copy: &mut [u8], corrupt_ppm: u32, rng: &mut XorShift) -> bool {
    let hit = rng.chance_ppm(corrupt_ppm);
    if hit {
        flip_one_bit(copy, rng);
    }
    hit
}

fn flip_one_bit(frame: &mut [u8], rng: &mut XorShift) {
    let bits = u64::try_from(frame.len()).unwrap_or(0).saturating_mul(8);
    let bit = rng.below(bits);
    let byte = usize::try_from(bit / 8).unwrap_or(usize::MAX);
    if let Some(b) = frame.get_mut(byte) {
        *b ^= 1u8 << (bit % 8);
    }
}

fn mac_at(frame: &[u8], offset: usize) -> Option<[u8; 6]> {
    frame.get(offset..)?.get(..6)?.try_into().ok()
}
