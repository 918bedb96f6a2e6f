//! The device below each adapter (its NextDeviceObject): a port of a `vwire_bus::hub::Hub`, the
//! portable switch the vwire bus driver runs on Windows. One hub per `Sim`; each adapter gets a port
//! when it is added (MAC 02-76-77-00-00-NN), and the model owns one more, the *tap*, from which tests
//! put arbitrary frames on the wire and on which they see what the adapters flood.
//!
//! What the port does with the requests the miniport sends down (the bus PDO's queues, modelled):
//! - **read**: parked in FIFO order until the hub has a batch ready for the port; the scheduler
//!   pumps the hub after every write, after a read arrives, and when delayed frames fall due
//!   (`Hub::next_ready_time`). The batch is written into the request's memory, information = its
//!   length. Cancelable unless [`LowerDeviceControl::hold_uncancelable`]. By [`InlineService`], a
//!   read that finds a batch ready completes inside its own `WdfRequestSend`, and a write serves
//!   the other ports' first parked reads inside the writer's send, at the sender's IRQL.
//! - **write**: handed to `Hub::write_batch_into` when it arrives, with the other ports' parked
//!   reads lent for cut-through ([`SimParkedReads`]): a frame for a port with a read parked and
//!   nothing queued is written straight into that read's memory, and the read waits, filled and no
//!   longer cancelable (the bus owns it, out of its queue), for the next pump, which completes the
//!   filled reads of a port before anything else of it. The write completes (seeded: nested inside
//!   `WdfRequestSend`, or later through the scheduler; or held) with STATUS_SUCCESS and information =
//!   length, or the error status of [`hub_error_status`].
//! - **internal IOCTL** (METHOD_BUFFERED): `Hub::handle_ioctl` reads the whole input memory and
//!   writes up to the output memory's size, information = bytes written; a link-change wait pends
//!   (cancelable) until the port's link generation changes.
//! - After surprise removal the port disappears only when NDIS has halted the miniport; what it
//!   still holds then completes with STATUS_DEVICE_REMOVED, and new requests fail with it.
//! - Across a sleep the port's device is powered down as the bus's PDO powers it down
//!   (`EvtDeviceD0Exit`, after NDIS's `OID_PNP_SET_POWER` to D3 succeeded) and up again
//!   (`EvtDeviceD0Entry`, before the `OID_PNP_SET_POWER` to D0): [`Inner::set_port_power`], the
//!   hub's `Hub::set_power` as the bus calls it. While it is down, the reads parked there were
//!   failed with STATUS_DEVICE_POWERED_OFF, and a read or write that reaches it is refused with
//!   that status, as the bus refuses it, besides being flagged (`Ndis.NoDeviceIoInLowPower`,
//!   [`State::deliver_to_lower`]). Internal IOCTLs are answered, as by the bus.
//!
//! The bus's administrator frame operations (inject a frame into a port, capture what a port's
//! adapter writes; `vwire_proto::admin`) are [`Sim::bus_admin`]: the bytes a management tool sends,
//! decoded and carried out by the bus driver's own portable code (`vwire_bus::bus::decode_admin`,
//! `vwire_bus::bus::frame_admin`) on this hub, then the hub pumped as the bus's serving DPC would.

use crate::kmdf::{IoKind, ReqState};
use crate::ndis::oid::OID_TIMEOUT;
use crate::sched::EventKind;
use crate::state::{Inner, State};
use crate::verifier::rules::*;
use crate::{AdapterId, Sim};
use ndis_types::miniport::NDIS_DEVICE_STATE_D0;
use ndis_types::wdf::{WDF_REQUEST_SEND_OPTION_TIMEOUT, WdfRequestSendOptions};
use ndis_types::*;
use std::collections::VecDeque;
use std::time::Duration;
use vwire_bus::hub::{
    AdminCounters, DevicePower, Faults, HandedBack, Hub, HubConfig, HubError, IoctlOutcome, IoctlStatus,
    ParkedReads, PortId, WriteReport,
};
use vwire_proto::{Batch, BatchWriter, DeviceInfo, IOCTL_VWIRE_QUERY_DEVICE, PortCounters};

/// `STATUS_BUFFER_TOO_SMALL`.
pub const STATUS_BUFFER_TOO_SMALL: NtStatus = NtStatus::from_raw(0xC000_0023_u32 as i32);
/// `STATUS_INVALID_BUFFER_SIZE`.
pub const STATUS_INVALID_BUFFER_SIZE: NtStatus = NtStatus::from_raw(0xC000_0206_u32 as i32);
/// `STATUS_IO_DEVICE_ERROR`.
pub const STATUS_IO_DEVICE_ERROR: NtStatus = NtStatus::from_raw(0xC000_0185_u32 as i32);
/// `STATUS_DEVICE_POWERED_OFF` (S:shared/ntstatus.h:1559; warning class, not a success): what the
/// vwire bus completes a read or write with that reaches a port whose device is in D1-D3
/// (`vwire_bus::bus::BusStatus::DevicePoweredOff`).
pub const STATUS_DEVICE_POWERED_OFF: NtStatus = NtStatus::from_raw(0x8000_000F_u32 as i32);

/// The NTSTATUS the port completes a request with when the hub refuses it:
/// - a malformed batch (`HubError::Batch`) or control structure (`Control`): `STATUS_INVALID_PARAMETER`
/// - a batch longer than the port's `max_batch_bytes`: `STATUS_INVALID_BUFFER_SIZE`
/// - the `fail_writes` / `fail_reads` faults: `STATUS_IO_DEVICE_ERROR`
/// - a read buffer too small for the oldest ready frame: `STATUS_BUFFER_TOO_SMALL`
/// - the port is gone: `STATUS_DEVICE_REMOVED`
/// - the port's device is powered down: `STATUS_DEVICE_POWERED_OFF`, as the bus maps it
/// - out of memory: `STATUS_INSUFFICIENT_RESOURCES`; anything else `STATUS_UNSUCCESSFUL`.
pub fn hub_error_status(e: HubError) -> NtStatus {
    match e {
        HubError::Batch(_) | HubError::Control(_) => STATUS_INVALID_PARAMETER,
        HubError::BatchTooLarge => STATUS_INVALID_BUFFER_SIZE,
        HubError::WriteFailed | HubError::ReadFailed => STATUS_IO_DEVICE_ERROR,
        HubError::BufferTooSmall => STATUS_BUFFER_TOO_SMALL,
        HubError::NoSuchPort => STATUS_DEVICE_REMOVED,
        HubError::PoweredDown => STATUS_DEVICE_POWERED_OFF,
        HubError::OutOfMemory => STATUS_INSUFFICIENT_RESOURCES,
        _ => STATUS_UNSUCCESSFUL,
    }
}

/// How the port completes writes and IOCTLs that do not pend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum WriteCompletion {
    /// The seed picks, per request, between `Immediate` and `Deferred` (default).
    #[default]
    Seeded,
    /// Inside `WdfRequestSend` (the completion routine runs nested, at the sender's IRQL).
    Immediate,
    /// Through the scheduler, a little later.
    Deferred,
    /// Writes are held until [`LowerDeviceControl::complete_writes`] (IOCTLs complete deferred).
    Hold,
}

/// Whether the port serves reads inside the `WdfRequestSend` that makes them possible, as a bus
/// driver may (KMDF then runs the miniport's completion routine on the sender's stack, at the
/// sender's IRQL):
/// - a read that arrives while the hub has a batch for the port, and is first in the port's queue,
///   completes inside its own send;
/// - a write serves the reads parked on the other ports (one per port) inside the write's send:
///   the peer's receive path runs inside this adapter's send.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum InlineService {
    /// The seed decides at each send (default).
    #[default]
    Seeded,
    /// Always, when there is something to serve (a write serving its peers is what the vwire
    /// bus did before its serving DPC: the stress case).
    Always,
    /// What the vwire bus does: a read that finds a batch ready completes inside its own send;
    /// reads a write made ready complete from the scheduler (the bus's serving DPC).
    OwnReads,
    /// Never: every read completes from the scheduler (a DPC).
    Never,
}

/// A request the port finished but has not completed yet.
pub(crate) struct PendingWrite {
    pub(crate) request: usize,
    /// A completion is already scheduled for it.
    pub(crate) scheduled: bool,
    /// What the hub said.
    pub(crate) status: NtStatus,
    pub(crate) information: usize,
}

/// A link-change wait the port holds.
pub(crate) struct LinkWait {
    pub(crate) request: usize,
    pub(crate) known_generation: u32,
}

#[derive(Default)]
pub(crate) struct LowerDevice {
    /// The hub port; None once it is removed.
    pub(crate) port: Option<PortId>,
    pub(crate) mac: [u8; 6],
    pub(crate) reads: VecDeque<usize>,
    /// The read the hub is filling during a write (cut-through), taken off `reads`.
    pub(crate) taken: Option<usize>,
    /// Reads the hub took by cut-through, with the status and length to complete them with (their
    /// batch; or, for one it could not use, the failure `Hub::read_batch` would give), oldest first:
    /// completed by
    /// the next pump (as the bus's serving DPC does), never cancelled.
    pub(crate) filled: VecDeque<(usize, NtStatus, usize)>,
    pub(crate) writes: VecDeque<PendingWrite>,
    pub(crate) ioctls: VecDeque<PendingWrite>,
    pub(crate) link_waits: Vec<LinkWait>,
    pub(crate) write_mode: WriteCompletion,
    pub(crate) inline_service: InlineService,
    /// Link-state indications still to answer with another link change.
    pub(crate) link_flaps: usize,
    pub(crate) uncancelable: bool,
    /// Synchronous IOCTLs are taken and never answered (a hung bus).
    pub(crate) hold_control_ioctls: bool,
    /// When the port appeared: the moment `MiniportInitializeEx` was called for its adapter.
    pub(crate) opened_at: Duration,
    pub(crate) written: Vec<Vec<u8>>,
    pub(crate) writes_completed: usize,
    pub(crate) reads_received: usize,
    pub(crate) reads_completed: usize,
    pub(crate) ioctls_received: Vec<u32>,
    /// The next reads fail with this status.
    pub(crate) fail_reads: VecDeque<NtStatus>,
    /// Torn down after the halt that follows a surprise removal.
    pub(crate) removed: bool,
}

impl LowerDevice {
    /// `r` has a completion scheduled (it will complete without being cancelled).
    pub(crate) fn completion_scheduled(&self, r: usize) -> bool {
        self.writes.iter().chain(&self.ioctls).any(|w| w.request == r && w.scheduled) || self.is_filled(r)
    }

    /// `r` is a read the hub filled by cut-through: it completes with its batch at the next pump.
    pub(crate) fn is_filled(&self, r: usize) -> bool {
        self.filled.iter().any(|&(q, _, _)| q == r)
    }

    pub(crate) fn forget(&mut self, r: usize) {
        self.reads.retain(|&q| q != r);
        self.filled.retain(|&(q, _, _)| q != r);
        self.writes.retain(|w| w.request != r);
        self.ioctls.retain(|w| w.request != r);
        self.link_waits.retain(|w| w.request != r);
    }
}

/// A read the port completes inside a send: (request, seq, status, information).
pub(crate) type Served = (usize, u64, NtStatus, usize);

/// The hub and the model's tap port.
pub(crate) struct HubState {
    pub(crate) hub: Hub,
    pub(crate) tap: Option<PortId>,
    /// Frames the hub switched to the tap (drained at every pump).
    pub(crate) tap_frames: Vec<Vec<u8>>,
    tap_buf: Vec<u8>,
    /// Ports added from now on start with `hold_control_ioctls` on.
    pub(crate) hold_new_ports_control: bool,
    /// Rewrites what every port answers to `IOCTL_VWIRE_QUERY_DEVICE` ([`Sim::edit_device_info`]).
    pub(crate) edit_device_info: Option<fn(&mut DeviceInfo)>,
    /// Vectors `inline_completions` lends for the reads a send serves, one per level of nested
    /// sends in use (a served read's completion routine sends again): allocated once, reused.
    pub(crate) served_scratch: Vec<Vec<Served>>,
    /// What the hub made of every batch written to it.
    pub(crate) switched: SwitchTotals,
}

/// The sum of the hub's [`WriteReport`]s for the batches written to it: with the ports'
/// counters, the frame accounting of a run (every frame written is a copy queued for a port, a
/// drop the hub counted, or unrouted).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SwitchTotals {
    /// Batches the hub accepted.
    pub batches: u64,
    /// Frames in them.
    pub frames: u64,
    /// Copies queued for a receiving port or written into its parked read.
    pub delivered: u64,
    /// Frames lost at the sender (fault, link down) plus copies refused by full queues.
    pub dropped: u64,
    /// Frames switched to no port at all.
    pub unrouted: u64,
    /// Of `delivered`, the copies written straight into a parked read (cut-through).
    pub cut_through: u64,
}

impl SwitchTotals {
    fn add(&mut self, r: &WriteReport) {
        self.batches += 1;
        self.frames += u64::from(r.frames);
        self.delivered += u64::from(r.delivered);
        self.dropped += u64::from(r.dropped);
        self.unrouted += u64::from(r.unrouted);
        self.cut_through += u64::from(r.cut_through);
    }
}

/// The tap port's station address.
pub const TAP_MAC: [u8; 6] = [0x02, 0x76, 0x77, 0x00, 0xFF, 0xFE];

impl HubState {
    pub(crate) fn new(seed: u64) -> Self {
        let mut hub = Hub::new(HubConfig { seed: seed ^ 0x7677_6972_6500_0001, ..HubConfig::default() });
        let tap = hub.add_port(TAP_MAC).ok();
        let size = hub.config().max_batch_bytes as usize;
        Self {
            hub,
            tap,
            tap_frames: Vec::new(),
            tap_buf: vec![0; size],
            hold_new_ports_control: false,
            edit_device_info: None,
            served_scratch: Vec::new(),
            switched: SwitchTotals::default(),
        }
    }
}

/// The reads parked on the model's ports, lent to the hub for cut-through
/// (`Hub::write_batch_into`), as the bus lends the reads in its ports' manual queues.
struct SimParkedReads<'a> {
    adapters: &'a mut [crate::ndis::Adapter],
    kmdf: &'a crate::kmdf::KmdfState,
    /// The buffer of the read last asked for, (port, address, length): a run of frames to one
    /// port looks the read's memory up once, as the bus keeps it (`WdfReadQueue`).
    last: Option<(PortId, *mut u8, usize)>,
}

impl SimParkedReads<'_> {
    fn lower(&mut self, port: PortId) -> Option<&mut LowerDevice> {
        self.adapters.iter_mut().map(|ad| &mut ad.lower).find(|lower| lower.port == Some(port))
    }
}

impl ParkedReads for SimParkedReads<'_> {
    fn take(&mut self, port: PortId) -> bool {
        let Some(lower) = self.lower(port) else { return false };
        assert!(lower.taken.is_none(), "kernel-sim: the hub took a second read of one port in one write");
        // Failures a test queued for the next reads keep their turn: such a read is not filled.
        // As on the bus, a port holds at most FILLED_READS_PER_PORT filled reads.
        if !lower.fail_reads.is_empty() || lower.filled.len() >= vwire_bus::bus::FILLED_READS_PER_PORT {
            return false;
        }
        lower.taken = lower.reads.pop_front();
        lower.taken.is_some()
    }

    fn buffer(&mut self, port: PortId) -> Option<&mut [u8]> {
        let (address, length) = match self.last {
            Some((last, address, length)) if last == port => (address, length),
            _ => {
                let kmdf = self.kmdf;
                let r = self.lower(port)?.taken?;
                let format = kmdf.request(r).format?;
                let address = kmdf.memory(format.memory).block.ptr;
                self.last = Some((port, address, format.length));
                (address, format.length)
            }
        };
        // SAFETY: the model owns the read's WDFMEMORY of at least `length` bytes; the read is at
        // the lower edge, taken off its queue until `finish` (which forgets `last`), so nothing
        // else reads or writes the buffer while the hub fills it, and one slice at a time lives.
        Some(unsafe { std::slice::from_raw_parts_mut(address, length) })
    }

    fn finish(&mut self, port: PortId, read: HandedBack) {
        if self.last.is_some_and(|(last, _, _)| last == port) {
            self.last = None;
        }
        let Some(lower) = self.lower(port) else { return };
        let Some(r) = lower.taken.take() else { return };
        // As the bus: an unusable read is failed, not put back (`vwire_bus::bus`, "Reads filled by
        // cut-through").
        lower.filled.push_back(match read {
            HandedBack::Filled(length) => (r, STATUS_SUCCESS, length),
            HandedBack::TooSmall => (r, STATUS_BUFFER_TOO_SMALL, 0),
            HandedBack::NoBuffer => (r, STATUS_INSUFFICIENT_RESOURCES, 0),
        });
    }
}

impl State {
    /// A batch written on `port`, with every other port's parked reads lent for cut-through.
    fn write_through(&mut self, port: PortId, batch: &[u8], now: u64) -> Result<WriteReport, HubError> {
        let State { hub, ndis, kmdf, .. } = self;
        let mut reads = SimParkedReads { adapters: &mut ndis.adapters, kmdf, last: None };
        hub.hub.write_batch_into(port, batch, now, &mut reads)
    }
}

/// Nanoseconds of the model clock: the hub's ticks.
fn ticks(now: Duration) -> u64 {
    now.as_nanos() as u64
}

impl State {
    /// PnP enumerated a new vwire PDO for adapter `a`: a hub port with MAC 02-76-77-00-00-NN.
    pub(crate) fn open_port(&mut self, a: AdapterId) {
        let mac = [0x02, 0x76, 0x77, 0x00, (a.0 >> 8) as u8, a.0 as u8];
        let port = self.hub.hub.add_port(mac).unwrap_or_else(|e| panic!("kernel-sim: hub add_port: {e:?}"));
        let (now, hold) = (self.now, self.hub.hold_new_ports_control);
        let lower = &mut self.adapter_mut(a).lower;
        lower.port = Some(port);
        lower.mac = mac;
        lower.opened_at = now;
        lower.hold_control_ioctls = hold;
    }

    /// Hand the frames of a batch `port` writes to the capture sink, if there is one.
    fn capture_batch(&mut self, port: PortId, adapter: Option<AdapterId>, batch: &[u8]) {
        let time = self.now;
        let Some(sink) = self.capture.as_mut() else { return };
        if let Ok(parsed) = Batch::parse(batch) {
            for frame in parsed.frames() {
                sink(crate::CapturedFrame { time, port, adapter, frame });
            }
        }
    }

    fn completion_mode(&mut self, a: AdapterId) -> WriteCompletion {
        let mode = self.adapter(a).lower.write_mode;
        match mode {
            WriteCompletion::Seeded if self.rng.coin() => WriteCompletion::Immediate,
            WriteCompletion::Seeded => WriteCompletion::Deferred,
            mode => mode,
        }
    }

    /// Complete `r` now (`Some`), later through the scheduler, or hold it, as `mode` says.
    fn finish(
        &mut self,
        a: AdapterId,
        r: usize,
        status: NtStatus,
        information: usize,
        mode: WriteCompletion,
        is_write: bool,
    ) -> Option<(NtStatus, usize)> {
        let seq = self.kmdf.request(r).seq;
        match mode {
            WriteCompletion::Immediate | WriteCompletion::Seeded => Some((status, information)),
            WriteCompletion::Hold if is_write => {
                let w = PendingWrite { request: r, scheduled: false, status, information };
                self.adapter_mut(a).lower.writes.push_back(w);
                None
            }
            WriteCompletion::Deferred | WriteCompletion::Hold => {
                let delay = Duration::from_micros(50 + self.rng.below(200));
                self.schedule(delay, EventKind::CompleteRequest { request: r, seq, status, information });
                let w = PendingWrite { request: r, scheduled: true, status, information };
                let lower = &mut self.adapter_mut(a).lower;
                if is_write {
                    lower.writes.push_back(w)
                } else {
                    lower.ioctls.push_back(w)
                }
                None
            }
        }
    }

    /// Nothing reaches a device in a low-power state (`Ndis.NoDeviceIoInLowPower`).
    fn check_device_powered(&mut self, a: AdapterId, api: &str) {
        let power = self.adapter(a).device_power;
        if power != NDIS_DEVICE_STATE_D0 {
            let msg = format!("{api} to the device below adapter {} while it is in D{}", a.0, power - 1);
            self.violate(NDIS_NO_DEVICE_IO_IN_LOW_POWER, msg);
        }
    }

    /// Whether the driver, on the loaded processor, may no longer reach the device below `a`
    /// (`Ndis.NoHardwareAfterSurpriseRemoval`): from the surprise-removal notification on, except
    /// from a callback on another processor that began before the handler could have told it
    /// (before the handler first released a spin lock), while the notification still runs. The
    /// device vanished before NDIS told the driver; a send past its checks then reaches the device
    /// before the handler can have quiesced it, on any machine. The handler's own calls, callbacks
    /// that began after it published the removal, and everything after it returns must not.
    fn hardware_gone_for_caller(&self, a: AdapterId) -> bool {
        let adapter = self.adapter(a);
        let in_flight = adapter.surprise_notify_on.is_some_and(|cpu| cpu != self.loaded)
            && adapter.surprise_published.is_none_or(|published| self.callback_predates(Some(published)));
        adapter.surprise_removed && !in_flight
    }

    /// A request reaches the device below. `Some` when the device completes it at once.
    pub(crate) fn deliver_to_lower(&mut self, r: usize) -> Option<(NtStatus, usize)> {
        let req = self.kmdf.request(r);
        let format = req.format.expect("kernel-sim bug: delivering an unformatted request");
        let adapter = self.kmdf.target(format.target).adapter;
        self.check_not_touched_after_pause_complete(
            "WdfRequestSend",
            crate::irql::AdapterTouch::Adapter(adapter),
        );
        if self.hardware_gone_for_caller(adapter) {
            let msg = format!(
                "WdfRequestSend of {} to the device below adapter {} after surprise removal: the hardware is gone",
                self.kmdf.describe(r),
                adapter.0
            );
            self.violate(NDIS_NO_HARDWARE_AFTER_SURPRISE_REMOVAL, msg);
        }
        self.check_device_powered(adapter, "WdfRequestSend");
        self.kmdf.request_mut(r).state = ReqState::AtLower;
        let Some(port) = self.adapter(adapter).lower.port else {
            return Some((STATUS_DEVICE_REMOVED, 0));
        };
        let now = ticks(self.now);
        match format.kind {
            IoKind::Read => {
                // A powered-down device takes no read: refused, as the bus's `EvtIoRead` refuses
                // it (never parked, where nothing would complete it).
                if let Err(e) = self.hub.hub.admit_io(port) {
                    self.log(format!("hub: read on port {port:?} refused: {e:?}"));
                    self.adapter_mut(adapter).lower.reads_received += 1;
                    return Some((hub_error_status(e), 0));
                }
                let lower = &mut self.adapter_mut(adapter).lower;
                lower.reads.push_back(r);
                lower.reads_received += 1;
                let at = self.now;
                self.schedule_pump_at(at);
                None
            }
            IoKind::Write => {
                let memory = self.kmdf.memory(format.memory);
                // SAFETY: the model owns the WDFMEMORY buffer; `length` was checked against its size.
                // The request is at the lower edge, so nothing writes the buffer while it is read.
                let bytes: &[u8] = unsafe { std::slice::from_raw_parts(memory.block.ptr, format.length) };
                self.capture_batch(port, Some(adapter), bytes);
                let result = self.write_through(port, bytes, now);
                if let Ok(report) = &result {
                    self.hub.switched.add(report);
                }
                if self.record_writes {
                    self.adapter_mut(adapter).lower.written.push(bytes.to_vec());
                }
                let (status, information) = match result {
                    Ok(_) => (STATUS_SUCCESS, format.length),
                    Err(e) => {
                        self.log(format!(
                            "hub: write of {} bytes on port {port:?} refused: {e:?}",
                            format.length
                        ));
                        (hub_error_status(e), 0)
                    }
                };
                // The bus enqueues its serving DPC only if the write delivered something or a
                // filled read waits (`vwire_bus::sys::windows::io`, `evt_io_write`): so does the
                // model, which has no other way to complete them.
                let filled = self.ndis.adapters.iter().any(|ad| !ad.lower.filled.is_empty());
                if result.as_ref().is_ok_and(|report| report.delivered > 0) || filled {
                    let at = self.now;
                    self.schedule_pump_at(at);
                }
                let mode = self.completion_mode(adapter);
                self.finish(adapter, r, status, information, mode, true)
            }
            IoKind::InternalIoctl(code) => {
                self.adapter_mut(adapter).lower.ioctls_received.push(code);
                let input = if format.memory == 0 {
                    Vec::new()
                } else {
                    let m = self.kmdf.memory(format.memory);
                    // SAFETY: the model owns the input WDFMEMORY of `length` bytes.
                    unsafe { std::slice::from_raw_parts(m.block.ptr, format.length) }.to_vec()
                };
                let mut output = vec![0u8; format.output_length];
                let outcome = self.hub.hub.handle_ioctl(port, code, &input, &mut output);
                match outcome {
                    IoctlOutcome::Complete { status, information } => {
                        let (status, information) = self.copy_ioctl_output(r, &output, status, information);
                        let mode = self.completion_mode(adapter);
                        self.finish(adapter, r, status, information, mode, false)
                    }
                    IoctlOutcome::PendLinkChange { known_generation } => {
                        self.adapter_mut(adapter)
                            .lower
                            .link_waits
                            .push(LinkWait { request: r, known_generation });
                        None
                    }
                }
            }
        }
    }

    /// `WdfIoTargetSendInternalIoctlSynchronously` at PASSIVE, up to what the port does with the
    /// IOCTL: answered at once, or held (a link-change wait, or any IOCTL while
    /// [`LowerDeviceControl::hold_control_ioctls`]); [`Inner::wdf_send_internal_ioctl_sync`] waits.
    #[allow(clippy::too_many_arguments)]
    fn sync_ioctl_decide(
        &mut self,
        target: WdfIoTarget,
        request: WdfRequest,
        code: u32,
        input: &[u8],
        output: &mut [u8],
        timeout: Option<Duration>,
    ) -> SyncIoctl {
        use crate::kmdf::{ObjType, TargetState};
        let api = "WdfIoTargetSendInternalIoctlSynchronously";
        self.check_irql(api, PASSIVE_LEVEL);
        let t = target.0 as usize;
        if !self.wdf_ready(api) || !self.wdf_handle(api, t, ObjType::IoTarget) {
            return SyncIoctl::Done(Err(STATUS_INVALID_PARAMETER));
        }
        let r = request.0 as usize;
        if r != 0 {
            if !self.wdf_handle(api, r, ObjType::Request) {
                return SyncIoctl::Done(Err(STATUS_INVALID_PARAMETER));
            }
            if self.kmdf.request(r).is_pending() {
                let msg = format!("{api}: {} is already pending", self.kmdf.describe(r));
                self.violate(KMDF_REQUEST_ALREADY_SENT, msg);
                return SyncIoctl::Done(Err(STATUS_INVALID_DEVICE_REQUEST));
            }
        }
        let adapter = self.kmdf.target(t).adapter;
        self.check_oid_deadline(api, adapter, code, timeout);
        if self.kmdf.target(t).state != TargetState::Started {
            return SyncIoctl::Done(Err(STATUS_INVALID_DEVICE_STATE));
        }
        if self.hardware_gone_for_caller(adapter) {
            let msg = format!(
                "{api}(IOCTL {code:#x}) to the device below adapter {} after surprise removal: the hardware is gone",
                adapter.0
            );
            self.violate(NDIS_NO_HARDWARE_AFTER_SURPRISE_REMOVAL, msg);
        }
        self.check_device_powered(adapter, api);
        let Some(port) = self.adapter(adapter).lower.port else {
            return SyncIoctl::Done(Err(STATUS_DEVICE_REMOVED));
        };
        self.adapter_mut(adapter).lower.ioctls_received.push(code);
        let held = if self.adapter(adapter).lower.hold_control_ioctls {
            format!("the port holds every control IOCTL (hold_control_ioctls), IOCTL {code:#x} too")
        } else {
            match self.hub.hub.handle_ioctl(port, code, input, output) {
                IoctlOutcome::Complete { status, information } => {
                    let status = ioctl_status(status);
                    if let Some(edit) = self.hub.edit_device_info.filter(|_| code == IOCTL_VWIRE_QUERY_DEVICE)
                        && let Ok(mut info) = DeviceInfo::decode(output.get(..information).unwrap_or(&[]))
                    {
                        edit(&mut info);
                        let _ = info.encode(output);
                    }
                    let result =
                        if nt_success(status) { Ok(information.min(output.len())) } else { Err(status) };
                    self.finish_sync_request(r, result);
                    return SyncIoctl::Done(result);
                }
                IoctlOutcome::PendLinkChange { known_generation } => format!(
                    "the port holds IOCTL {code:#x}, the link-change wait (generation {known_generation}), until the link changes"
                ),
            }
        };
        if r != 0 {
            // With the device below until it completes: the driver may not touch it meanwhile.
            let req = self.kmdf.request_mut(r);
            req.state = ReqState::AtLower;
            req.sent_to = t;
        }
        SyncIoctl::Held(HeldSync { adapter, request: r, code, timeout, why: held })
    }

    /// A synchronous request is over: it holds its outcome, as `WdfRequestGetStatus` reports.
    fn finish_sync_request(&mut self, r: usize, result: Result<usize, NtStatus>) {
        if r != 0 {
            let req = self.kmdf.request_mut(r);
            req.state = ReqState::Completed;
            req.status = *result.as_ref().err().unwrap_or(&STATUS_SUCCESS);
            req.information = *result.as_ref().unwrap_or(&0);
        }
    }

    /// `Ndis.OidDeadline`: a synchronous send made while an OID is outstanding on `adapter`, or
    /// inside its `MiniportInitializeEx`, must carry a send-options timeout that ends before
    /// NdisTimedOidComplete's 12 s from the OID's issue (from the start of initialize, which no
    /// verifier rule times: the model applies the same bound). Stricter than Windows: the unbounded
    /// send is flagged even when the device answers at once, because a stalled bus would hold the
    /// OID for good.
    fn check_oid_deadline(&mut self, api: &str, adapter: AdapterId, code: u32, timeout: Option<Duration>) {
        let ad = self.adapter(adapter);
        let (what, since) = match ad.oid.as_ref().filter(|o| o.completed.is_none()) {
            Some(o) => (format!("OID {:#010x}", o.oid), o.issued_at),
            None if ad.in_initialize => ("MiniportInitializeEx".to_string(), ad.lower.opened_at),
            None => return,
        };
        let deadline = since + OID_TIMEOUT;
        let problem = match timeout {
            None => "no timeout (WDF_NO_SEND_OPTIONS or no WDF_REQUEST_SEND_OPTION_TIMEOUT): a device that does not answer holds it for good".to_string(),
            Some(t) if self.now + t >= deadline => format!(
                "its {t:?} timeout ends {:?} after it began, not before the {OID_TIMEOUT:?} of NdisTimedOidComplete",
                self.now + t - since
            ),
            Some(_) => return,
        };
        let msg = format!("{api}(IOCTL {code:#x}) on adapter {} during {what}: {problem}", adapter.0);
        self.violate(NDIS_OID_DEADLINE, msg);
    }

    /// KMDF's timer expired on a held synchronous request: it cancels the request and waits for it
    /// to complete; completed as cancelled, its status becomes `STATUS_IO_TIMEOUT` (WDF source
    /// `FxIoTarget::SubmitSync`, `FX_REQUEST_CANCELLED_FROM_TIMER`). A port that holds it
    /// uncancelable never completes it, and the call never returns.
    fn time_out_sync(&mut self, held: HeldSync) -> Result<usize, NtStatus> {
        if self.adapter(held.adapter).lower.uncancelable {
            let msg = format!(
                "WdfIoTargetSendInternalIoctlSynchronously(IOCTL {:#x}) on adapter {}: the timeout expired and KMDF cancelled the request, but {} and cannot be cancelled, so the call waits for its completion for good",
                held.code, held.adapter.0, held.why
            );
            self.violate_fatal(KMDF_SEND_SYNCHRONOUSLY_NEVER_RETURNS, msg)
        }
        if self.trace.enabled() {
            self.log(format!(
                "IOCTL {:#x} on adapter {} timed out: STATUS_IO_TIMEOUT",
                held.code, held.adapter.0
            ));
        }
        self.finish_sync_request(held.request, Err(STATUS_IO_TIMEOUT));
        Err(STATUS_IO_TIMEOUT)
    }

    /// METHOD_BUFFERED: what the hub wrote goes into the request's output memory.
    fn copy_ioctl_output(
        &mut self,
        r: usize,
        output: &[u8],
        status: IoctlStatus,
        information: usize,
    ) -> (NtStatus, usize) {
        let status = ioctl_status(status);
        let format = self.kmdf.request(r).format.expect("formatted");
        let n = information.min(format.output_length).min(output.len());
        if format.output != 0 && n > 0 {
            let m = self.kmdf.memory(format.output);
            // SAFETY: the output WDFMEMORY holds `output_length` bytes.
            unsafe { std::ptr::copy_nonoverlapping(output.as_ptr(), m.block.ptr, n) };
        }
        (status, if nt_success(status) { n } else { information.min(format.output_length) })
    }

    /// The next pending read the hub can complete now, as (request, seq, status, information).
    fn next_read_completion(&mut self) -> Option<(usize, u64, NtStatus, usize)> {
        (0..self.ndis.adapters.len()).find_map(|i| self.read_completion_for(AdapterId(i)))
    }

    /// The oldest read the hub filled for `a` (cut-through), else the first read parked on `a`'s
    /// port if the hub can complete it now (taken off the queue).
    fn read_completion_for(&mut self, a: AdapterId) -> Option<(usize, u64, NtStatus, usize)> {
        if let Some((r, status, length)) = self.adapter_mut(a).lower.filled.pop_front() {
            self.adapter_mut(a).lower.reads_completed += 1;
            return Some((r, self.kmdf.request(r).seq, status, length));
        }
        let r = *self.adapter(a).lower.reads.front()?;
        self.read_completion_of(a, r)
    }

    /// Read `r`, parked on `a`'s port, if the hub can complete it now (taken off the queue).
    fn read_completion_of(&mut self, a: AdapterId, r: usize) -> Option<(usize, u64, NtStatus, usize)> {
        let now = ticks(self.now);
        let port = self.adapter(a).lower.port?;
        let seq = self.kmdf.request(r).seq;
        if let Some(status) = self.adapter_mut(a).lower.fail_reads.pop_front() {
            self.adapter_mut(a).lower.reads.retain(|&q| q != r);
            return Some((r, seq, status, 0));
        }
        let format = self.kmdf.request(r).format.expect("pending read is formatted");
        let memory = self.kmdf.memory(format.memory);
        // SAFETY: the model owns the WDFMEMORY buffer of at least `format.length` bytes, and no
        // other reference to it exists while the hub fills it.
        let buf = unsafe { std::slice::from_raw_parts_mut(memory.block.ptr, format.length) };
        let outcome = match self.hub.hub.read_batch(port, buf, now) {
            Ok(None) => return None,
            Ok(Some(n)) => (STATUS_SUCCESS, n),
            Err(e) => {
                self.log(format!("hub: read on port {port:?} failed: {e:?}"));
                (hub_error_status(e), 0)
            }
        };
        self.adapter_mut(a).lower.reads.retain(|&q| q != r);
        self.adapter_mut(a).lower.reads_completed += 1;
        Some((r, seq, outcome.0, outcome.1))
    }

    /// The IRQLs at which the port below the target of `r` completes inside this send: (the request
    /// itself, the reads it serves). The sender's, except that the seeded modes
    /// (`WriteCompletion::Seeded`, `InlineService::Seeded`) sometimes complete at DISPATCH_LEVEL,
    /// as a device does that completes while holding a spin lock.
    pub(crate) fn inline_completion_irqls(&mut self, r: usize, sender: Kirql) -> (Kirql, Kirql) {
        let Some(a) = self.adapter_of_request(r) else { return (sender, sender) };
        let lower = &self.adapter(a).lower;
        let (write_seeded, read_seeded) =
            (lower.write_mode == WriteCompletion::Seeded, lower.inline_service == InlineService::Seeded);
        let write = if write_seeded && self.rng.below(4) == 0 { DISPATCH_LEVEL } else { sender };
        let read = if read_seeded && self.rng.below(4) == 0 { DISPATCH_LEVEL } else { sender };
        (write, read)
    }

    /// Whether the port below `a` serves inline at this send of a read (`own_read`) or a write
    /// (see [`InlineService`]).
    pub(crate) fn serves_inline(&mut self, a: AdapterId, own_read: bool) -> bool {
        if !self.may_complete_inline() {
            return false;
        }
        match self.adapter(a).lower.inline_service {
            InlineService::Always => true,
            InlineService::OwnReads => own_read,
            InlineService::Never => false,
            InlineService::Seeded => self.rng.coin(),
        }
    }

    /// What a send of request `r` lets the port complete inside it, by [`InlineService`]: the read
    /// itself if a batch is ready, or for a write the first read of every other port that has a
    /// batch.
    ///
    /// The list lives in a scratch vector the caller gives back ([`State::return_served`]), so the
    /// data path allocates nothing per send.
    pub(crate) fn inline_completions(&mut self, r: usize) -> Vec<Served> {
        let mut served = self.hub.served_scratch.pop().unwrap_or_default();
        served.clear();
        let Some(format) = self.kmdf.request(r).format else { return served };
        let Some(a) = self.adapter_of_request(r) else { return served };
        match format.kind {
            // Served even with older reads parked (waiting for the bus's DPC): the bus completes
            // an arriving read at once whenever the hub has a batch. Only a read the port parked
            // (the last in its queue): one it refused (gone, or powered down) is completed
            // already, by the send itself.
            // Not while reads the hub filled wait for the pump: this one would overtake them with
            // later frames (the bus checks the same before it serves an arriving read).
            IoKind::Read
                if self.adapter(a).lower.filled.is_empty()
                    && self.serves_inline(a, true)
                    && self.adapter(a).lower.reads.back() == Some(&r) =>
            {
                served.extend(self.read_completion_of(a, r))
            }
            IoKind::Write if self.serves_inline(a, false) => {
                self.drain_tap();
                for peer in (0..self.ndis.adapters.len()).map(AdapterId).filter(|&peer| peer != a) {
                    served.extend(self.read_completion_for(peer));
                }
            }
            _ => {}
        }
        served
    }

    /// Give back the vector [`State::inline_completions`] lent.
    pub(crate) fn return_served(&mut self, mut served: Vec<Served>) {
        served.clear();
        self.hub.served_scratch.push(served);
    }

    /// A held link wait whose generation moved on, completed by the hub.
    fn next_link_completion(&mut self) -> Option<(usize, u64, NtStatus, usize)> {
        for i in 0..self.ndis.adapters.len() {
            let a = AdapterId(i);
            let Some(port) = self.adapter(a).lower.port else { continue };
            for k in 0..self.adapter(a).lower.link_waits.len() {
                let (r, known) = {
                    let w = &self.adapter(a).lower.link_waits[k];
                    (w.request, w.known_generation)
                };
                // Nothing to complete while the generation is the one the waiter knows (checked
                // first: this runs at every pump, and the output buffer is allocated).
                if self.hub.hub.link_state(port).is_ok_and(|s| s.generation == known) {
                    continue;
                }
                let format = self.kmdf.request(r).format.expect("formatted");
                let mut output = vec![0u8; format.output_length];
                if let Some(IoctlOutcome::Complete { status, information }) =
                    self.hub.hub.complete_link_wait(port, known, &mut output)
                {
                    self.adapter_mut(a).lower.link_waits.remove(k);
                    let (status, information) = self.copy_ioctl_output(r, &output, status, information);
                    let seq = self.kmdf.request(r).seq;
                    return Some((r, seq, status, information));
                }
            }
        }
        None
    }

    /// Frames switched to the tap port, drained into `tap_frames`.
    fn drain_tap(&mut self) {
        let Some(tap) = self.hub.tap else { return };
        let now = ticks(self.now);
        let HubState { hub, tap_frames, tap_buf, .. } = &mut self.hub;
        while let Ok(Some(n)) = hub.read_batch(tap, tap_buf, now) {
            if let Ok(batch) = Batch::parse(&tap_buf[..n]) {
                tap_frames.extend(batch.frames().map(|f| f.to_vec()));
            }
        }
    }

    /// After a pump: wake up again when the earliest delayed frame for a waiting read falls due.
    fn schedule_next_pump(&mut self) {
        let now = ticks(self.now);
        let next = self
            .ndis
            .adapters
            .iter()
            .filter(|ad| !ad.lower.reads.is_empty())
            .filter_map(|ad| ad.lower.port.and_then(|p| self.hub.hub.next_ready_time(p)))
            .filter(|&t| t > now)
            .min();
        if let Some(t) = next {
            self.schedule_pump_at(Duration::from_nanos(t));
        }
    }
}

impl Inner {
    /// Complete every read the hub has a batch for, and every link wait that can complete, until
    /// none is left (completion routines re-arm reads and write more).
    pub(crate) fn pump_hub(&self) {
        let mut n = 0usize;
        loop {
            let next = self.with(|st| {
                st.drain_tap();
                st.next_read_completion().or_else(|| st.next_link_completion())
            });
            let Some((r, seq, status, information)) = next else { break };
            self.complete_request(r, seq, status, information);
            n += 1;
            assert!(n < 10_000_000, "kernel-sim: the hub never runs dry");
        }
        self.with(|st| st.schedule_next_pump());
    }

    /// The port below `a` disappears (after the halt that follows a surprise removal, or before
    /// it with [`Sim::unplug`]): everything it still holds completes with STATUS_DEVICE_REMOVED.
    pub(crate) fn remove_port(&self, a: AdapterId) {
        let held = self.with(|st| {
            let lower = &mut st.adapter_mut(a).lower;
            lower.removed = true;
            let port = lower.port.take();
            let mut held: Vec<usize> = lower.reads.drain(..).collect();
            held.extend(lower.link_waits.drain(..).map(|w| w.request));
            // Filled reads are not held by the port but waiting for the serving DPC, which runs
            // before the PDO can go: they complete with their batches at the next pump.
            held.extend(lower.writes.iter().chain(&lower.ioctls).filter(|w| !w.scheduled).map(|w| w.request));
            if let Some(p) = port {
                let _ = st.hub.hub.remove_port(p);
                st.log(format!("hub: port {p:?} of adapter {} removed (IRP_MN_SURPRISE_REMOVAL)", a.0));
            }
            held.into_iter().map(|r| (r, st.kmdf.request(r).seq)).collect::<Vec<_>>()
        });
        for (r, seq) in held {
            self.complete_request(r, seq, STATUS_DEVICE_REMOVED, 0);
        }
    }
}

impl Inner {
    /// The device below `a` changes power state, as the bus's PDO does in `EvtDeviceD0Exit` /
    /// `EvtDeviceD0Entry` (`vwire_bus::bus::BusState::set_port_power`): `Hub::set_power` on its
    /// port and, when it powers down, every read parked there completes with
    /// STATUS_DEVICE_POWERED_OFF (the bus fails them; a powered-off device completes none; a read
    /// the hub filled before the power-down is not parked but waiting for the pump, as for the
    /// bus's DPC, and completes with its frames, received before the power went). Link
    /// waits stay, as on the bus. Nothing happens for a port that is gone.
    pub(crate) fn set_port_power(&self, a: AdapterId, power: DevicePower) {
        let failed = self.with(|st| {
            let Some(port) = st.adapter(a).lower.port else { return Vec::new() };
            let was_powered = st.hub.hub.power(port).is_ok_and(DevicePower::is_powered);
            let discarded = st.hub.hub.set_power(port, power).unwrap_or(0);
            if st.trace.enabled() {
                st.log(format!(
                    "hub: port {port:?} of adapter {} to {power:?} ({discarded} queued frame(s) discarded)",
                    a.0
                ));
            }
            if !was_powered || power.is_powered() {
                return Vec::new();
            }
            let lower = &mut st.adapter_mut(a).lower;
            let reads: Vec<usize> = lower.reads.drain(..).collect();
            reads.into_iter().map(|r| (r, st.kmdf.request(r).seq)).collect()
        });
        for (r, seq) in failed {
            self.complete_request(r, seq, STATUS_DEVICE_POWERED_OFF, 0);
        }
    }
}

impl State {
    pub(crate) fn adapter_of_request(&self, r: usize) -> Option<AdapterId> {
        let req = self.kmdf.request(r);
        let t = self.kmdf.objects.get(&req.sent_to)?;
        match &t.kind {
            crate::kmdf::ObjKind::IoTarget(t) => Some(t.adapter),
            _ => None,
        }
    }
}

/// The NTSTATUS each `IoctlStatus` is named after.
/// A synchronous IOCTL the port took and has not answered.
pub(crate) struct HeldSync {
    adapter: AdapterId,
    /// The driver's request (0: the framework's own).
    request: usize,
    code: u32,
    timeout: Option<Duration>,
    /// What holds it, for the messages.
    why: String,
}

/// What [`State::sync_ioctl_decide`] came to.
enum SyncIoctl {
    Done(Result<usize, NtStatus>),
    Held(HeldSync),
}

/// The send-options timeout, if the options set one: `WDF_REQUEST_SEND_OPTION_TIMEOUT` with a
/// non-zero `Timeout` (zero: no timeout, Doc `ns-wdfrequest-_wdf_request_send_options`). In 100 ns
/// units; negative is relative, positive absolute system time, which the model reads as relative
/// to its virtual clock (as `State::arm_send_timeout` does).
fn send_timeout(options: Option<&WdfRequestSendOptions>) -> Option<Duration> {
    let options = options.filter(|o| o.flags & WDF_REQUEST_SEND_OPTION_TIMEOUT != 0 && o.timeout != 0)?;
    Some(Duration::from_nanos(options.timeout.unsigned_abs().saturating_mul(100)))
}

impl Inner {
    /// `WdfIoTargetSendInternalIoctlSynchronously`. A port that answers at once is answered at
    /// once. One that holds the IOCTL: without a timeout nothing can complete it while the only
    /// thread waits, which aborts the scenario (`Kmdf.SendSynchronouslyNeverReturns`); with one, the
    /// rest of the system runs while the caller waits (virtual time moves to the deadline, running
    /// what falls due, and NdisTimedOidComplete is checked as it moves), then KMDF cancels the
    /// request and the call returns `STATUS_IO_TIMEOUT`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn wdf_send_internal_ioctl_sync(
        &self,
        target: WdfIoTarget,
        request: WdfRequest,
        code: u32,
        input: &[u8],
        output: &mut [u8],
        options: Option<&WdfRequestSendOptions>,
    ) -> Result<usize, NtStatus> {
        let timeout = send_timeout(options);
        let held = match self.with(|st| st.sync_ioctl_decide(target, request, code, input, output, timeout)) {
            SyncIoctl::Done(result) => return result,
            SyncIoctl::Held(held) => held,
        };
        let Some(wait) = held.timeout else {
            let msg = format!(
                "WdfIoTargetSendInternalIoctlSynchronously(IOCTL {code:#x}) on adapter {} with no timeout: {}, and nothing can answer it while this thread waits",
                held.adapter.0, held.why
            );
            self.with(|st| st.violate_fatal(KMDF_SEND_SYNCHRONOUSLY_NEVER_RETURNS, msg))
        };
        self.advance_time(wait);
        self.with(|st| st.time_out_sync(held))
    }
}

fn ioctl_status(status: IoctlStatus) -> NtStatus {
    match status {
        IoctlStatus::Success => STATUS_SUCCESS,
        IoctlStatus::InvalidParameter => STATUS_INVALID_PARAMETER,
        IoctlStatus::BufferTooSmall => STATUS_BUFFER_TOO_SMALL,
        IoctlStatus::InvalidDeviceRequest => STATUS_INVALID_DEVICE_REQUEST,
        IoctlStatus::NoSuchDevice => STATUS_NO_SUCH_DEVICE,
    }
}

/// Controls of the hub port below one adapter (`Sim::lower`).
pub struct LowerDeviceControl<'a> {
    pub(crate) sim: &'a Sim,
    pub(crate) adapter: AdapterId,
}

impl LowerDeviceControl<'_> {
    /// Reads parked in the port.
    pub fn pending_reads(&self) -> usize {
        self.sim.inner.with(|st| st.adapter(self.adapter).lower.reads.len())
    }

    /// Writes not completed yet (held, or with a completion scheduled).
    pub fn pending_writes(&self) -> usize {
        self.sim.inner.with(|st| st.adapter(self.adapter).lower.writes.len())
    }

    /// Internal IOCTLs not completed yet (link waits held, or a completion scheduled).
    pub fn pending_ioctls(&self) -> usize {
        self.sim.inner.with(|st| {
            let lower = &st.adapter(self.adapter).lower;
            lower.link_waits.len() + lower.ioctls.len()
        })
    }

    /// Control codes of every internal IOCTL the port received, in order.
    pub fn ioctls_received(&self) -> Vec<u32> {
        self.sim.inner.with(|st| st.adapter(self.adapter).lower.ioctls_received.clone())
    }

    /// Complete the oldest pending read with arbitrary `bytes` (truncated to its buffer) and
    /// `status`, information = bytes copied: truncated or malformed batches, as a broken bus would
    /// return them. False if no read is pending.
    pub fn inject_raw_read_completion(&self, bytes: &[u8], status: NtStatus) -> bool {
        self.sim.inject_raw_read_completion(self.adapter, bytes, status)
    }

    /// Complete up to `n` pending reads with an error `status` (information 0) now.
    pub fn fail_reads(&self, n: usize, status: NtStatus) -> usize {
        let batch: Vec<(usize, u64)> = self.sim.inner.with(|st| {
            let lower = &mut st.adapter_mut(self.adapter).lower;
            let k = n.min(lower.reads.len());
            let reads: Vec<usize> = lower.reads.drain(..k).collect();
            reads.into_iter().map(|r| (r, st.kmdf.request(r).seq)).collect()
        });
        for &(r, seq) in &batch {
            self.sim.inner.complete_request(r, seq, status, 0);
        }
        batch.len()
    }

    /// Complete up to `n` held writes, oldest first, with `status` (information = length on success).
    pub fn complete_writes(&self, n: usize, status: NtStatus) -> usize {
        let batch: Vec<(usize, u64, usize)> = self.sim.inner.with(|st| {
            let writes: Vec<usize> = st
                .adapter(self.adapter)
                .lower
                .writes
                .iter()
                .filter(|w| !w.scheduled)
                .take(n)
                .map(|w| w.request)
                .collect();
            writes
                .into_iter()
                .map(|r| {
                    let req = st.kmdf.request(r);
                    let len = if nt_success(status) { req.format.map(|f| f.length).unwrap_or(0) } else { 0 };
                    (r, req.seq, len)
                })
                .collect()
        });
        for &(r, seq, len) in &batch {
            self.sim.inner.complete_request(r, seq, status, len);
        }
        batch.len()
    }

    /// Complete up to `n` held writes, oldest first, with what the hub said when it took them.
    pub fn release_writes(&self, n: usize) -> usize {
        let batch: Vec<(usize, u64, NtStatus, usize)> = self.sim.inner.with(|st| {
            let held: Vec<(usize, NtStatus, usize)> = st
                .adapter(self.adapter)
                .lower
                .writes
                .iter()
                .filter(|w| !w.scheduled)
                .take(n)
                .map(|w| (w.request, w.status, w.information))
                .collect();
            held.into_iter().map(|(r, s, i)| (r, st.kmdf.request(r).seq, s, i)).collect()
        });
        for &(r, seq, status, information) in &batch {
            self.sim.inner.complete_request(r, seq, status, information);
        }
        batch.len()
    }

    /// Write requests the port has received.
    pub fn written_frames(&self) -> usize {
        self.sim.inner.with(|st| st.adapter(self.adapter).lower.written.len())
    }

    /// The bytes of every write received (raw batches), in order.
    pub fn written_data(&self) -> Vec<Vec<u8>> {
        self.sim.inner.with(|st| st.adapter(self.adapter).lower.written.clone())
    }

    /// Writes completed (any status).
    pub fn writes_completed(&self) -> usize {
        self.sim.inner.with(|st| st.adapter(self.adapter).lower.writes_completed)
    }

    /// Read requests the port has received.
    pub fn reads_received(&self) -> usize {
        self.sim.inner.with(|st| st.adapter(self.adapter).lower.reads_received)
    }

    /// Reads the port completed from the hub (batches, injected failures, link waits excluded).
    pub fn reads_completed(&self) -> usize {
        self.sim.inner.with(|st| st.adapter(self.adapter).lower.reads_completed)
    }

    /// [`Sim::set_link`] for this adapter.
    pub fn set_link(&self, up: bool) {
        self.sim.set_link(self.adapter, up)
    }

    /// [`Sim::set_port_speed`] for this adapter.
    pub fn set_speed(&self, speed_bps: u64) {
        self.sim.set_port_speed(self.adapter, speed_bps)
    }

    /// [`Sim::set_faults`] for this adapter.
    pub fn set_faults(&self, faults: Faults) {
        self.sim.set_faults(self.adapter, faults)
    }

    /// [`Sim::hub_counters`] for this adapter.
    pub fn counters(&self) -> Option<PortCounters> {
        self.sim.hub_counters(self.adapter)
    }

    /// [`Sim::hub_admin_counters`] for this adapter.
    pub fn admin_counters(&self) -> Option<AdminCounters> {
        self.sim.hub_admin_counters(self.adapter)
    }

    /// [`Sim::port_power`] for this adapter.
    pub fn power(&self) -> Option<DevicePower> {
        self.sim.port_power(self.adapter)
    }

    /// [`Sim::hub_port`] for this adapter.
    pub fn port(&self) -> Option<PortId> {
        self.sim.hub_port(self.adapter)
    }

    /// [`Sim::fail_next_reads`] for this adapter.
    pub fn fail_next_reads(&self, n: usize, status: NtStatus) {
        self.sim.fail_next_reads(self.adapter, n, status)
    }

    pub fn set_write_completion(&self, mode: WriteCompletion) {
        self.sim.inner.with(|st| st.adapter_mut(self.adapter).lower.write_mode = mode);
    }

    /// For each of the adapter's next `n` `NDIS_STATUS_LINK_STATE` indications, flip the port's link
    /// during the indication (nothing is pumped): the link watch the miniport sends next names a
    /// generation already left behind, so it completes at once.
    pub fn flap_link_on_indication(&self, n: usize) {
        self.sim.inner.with(|st| st.adapter_mut(self.adapter).lower.link_flaps = n);
    }

    /// Whether the port serves reads inside the send that makes them possible ([`InlineService`]).
    pub fn set_inline_service(&self, mode: InlineService) {
        self.sim.inner.with(|st| st.adapter_mut(self.adapter).lower.inline_service = mode);
    }

    /// The port takes every synchronous IOCTL (`WdfIoTargetSendInternalIoctlSynchronously`) and
    /// answers none while this is on: a hung bus. A send with a timeout then returns
    /// `STATUS_IO_TIMEOUT` when it expires; one without never returns, which aborts the scenario.
    pub fn hold_control_ioctls(&self, on: bool) {
        self.sim.inner.with(|st| st.adapter_mut(self.adapter).lower.hold_control_ioctls = on);
    }

    /// Requests the port holds cannot be cancelled (a misbehaving bus driver): a
    /// `WdfIoTargetStop(CancelSentIo)` then never returns, which aborts the scenario.
    pub fn hold_uncancelable(&self, on: bool) {
        self.sim.inner.with(|st| st.adapter_mut(self.adapter).lower.uncancelable = on);
    }
}

impl Sim {
    /// The hub port below `a` (None once it was removed).
    pub fn hub_port(&self, a: AdapterId) -> Option<PortId> {
        self.inner.with(|st| st.adapter(a).lower.port)
    }

    /// Ports enumerated from now on hold every synchronous IOCTL
    /// ([`LowerDeviceControl::hold_control_ioctls`]) from the start, so `MiniportInitializeEx`
    /// meets a hung bus.
    pub fn hold_control_ioctls_of_new_ports(&self, on: bool) {
        self.inner.with(|st| st.hub.hold_new_ports_control = on);
    }

    /// Every port answers `IOCTL_VWIRE_QUERY_DEVICE` with its device information passed through
    /// `edit` (None: as the hub says): another device below, with other limits or another version.
    pub fn edit_device_info(&self, edit: Option<fn(&mut DeviceInfo)>) {
        self.inner.with(|st| st.hub.edit_device_info = edit);
    }

    /// The station address of the port below `a` (02-76-77-00-00-NN).
    pub fn port_mac(&self, a: AdapterId) -> [u8; 6] {
        self.inner.with(|st| st.adapter(a).lower.mac)
    }

    /// Set the link of the port below `a`; link waits the port holds complete.
    pub fn set_link(&self, a: AdapterId, up: bool) {
        self.inner.with(|st| {
            if let Some(p) = st.adapter(a).lower.port {
                let _ = st.hub.hub.set_link(p, up);
                let at = st.now;
                st.schedule_pump_at(at);
            }
        });
        self.inner.pump_hub();
    }

    /// Set the speed the port below `a` offers (`Hub::set_speed`, what `IOCTL_VWIRE_BUS_SET_SPEED`
    /// does on Windows): a change is a link change, which completes the adapter's link watch. 0 is
    /// a test bug (the hub refuses it).
    pub fn set_port_speed(&self, a: AdapterId, speed_bps: u64) {
        self.inner.with(|st| {
            if let Some(p) = st.adapter(a).lower.port {
                let set = st.hub.hub.set_speed(p, speed_bps);
                assert!(set.is_ok(), "kernel-sim: test bug: port speed {speed_bps}: {set:?}");
                let at = st.now;
                st.schedule_pump_at(at);
            }
        });
        self.inner.pump_hub();
    }

    /// The speed the port below `a` offers (`None`: no port).
    pub fn port_speed(&self, a: AdapterId) -> Option<u64> {
        self.inner.with(|st| st.adapter(a).lower.port.and_then(|p| st.hub.hub.speed(p).ok()))
    }

    /// The link generation of the port below `a` (what `IOCTL_VWIRE_WAIT_LINK_CHANGE` reports).
    pub fn hub_link_generation(&self, a: AdapterId) -> u32 {
        self.inner.with(|st| {
            st.adapter(a).lower.port.and_then(|p| st.hub.hub.link_state(p).ok()).map_or(0, |s| s.generation)
        })
    }

    /// Replace the faults of the port below `a`.
    pub fn set_faults(&self, a: AdapterId, faults: Faults) {
        self.inner.with(|st| {
            if let Some(p) = st.adapter(a).lower.port {
                let _ = st.hub.hub.set_faults(p, faults);
                let at = st.now;
                st.schedule_pump_at(at);
            }
        });
    }

    /// The packet filter the miniport last set on the port below `a` through
    /// `IOCTL_VWIRE_SET_PACKET_FILTER` (what the device knows; None once the port was removed).
    pub fn hub_packet_filter(&self, a: AdapterId) -> Option<u32> {
        self.inner.with(|st| st.adapter(a).lower.port.map(|p| st.hub.hub.packet_filter(p)))
    }

    /// The multicast addresses the miniport last set on the port below `a` through
    /// `IOCTL_VWIRE_SET_MULTICAST_LIST` (None once the port was removed).
    pub fn hub_multicast_list(&self, a: AdapterId) -> Option<Vec<[u8; 6]>> {
        self.inner
            .with(|st| st.adapter(a).lower.port.map(|p| st.hub.hub.multicast_list(p).addresses().to_vec()))
    }

    /// The administrator's counters of the port below `a` (`Hub::admin_counters`: among them the
    /// frames its powered-down device dropped or lost, and the reads and writes it refused; None
    /// once it was removed).
    pub fn hub_admin_counters(&self, a: AdapterId) -> Option<AdminCounters> {
        self.inner.with(|st| st.adapter(a).lower.port.and_then(|p| st.hub.hub.admin_counters(p).ok()))
    }

    /// The power state of the device below `a` (`Hub::power`; None once it was removed).
    pub fn port_power(&self, a: AdapterId) -> Option<DevicePower> {
        self.inner.with(|st| st.adapter(a).lower.port.and_then(|p| st.hub.hub.power(p).ok()))
    }

    /// The hub's counters of the port below `a` (None once it was removed).
    pub fn hub_counters(&self, a: AdapterId) -> Option<PortCounters> {
        self.inner.with(|st| st.adapter(a).lower.port.and_then(|p| st.hub.hub.counters(p).ok()))
    }

    /// Write `frames` onto the wire from the model's tap port (MAC [`TAP_MAC`]), in as many
    /// batches as they need; the hub switches them by destination MAC, so address them to
    /// [`Sim::port_mac`]`(a)` (or broadcast: every adapter gets a copy). Pending reads then
    /// complete. Returns the hub's verdict per batch.
    pub fn inject_frames(
        &self,
        a: AdapterId,
        frames: &[&[u8]],
    ) -> Vec<Result<vwire_bus::hub::WriteReport, HubError>> {
        let reports = self.inner.with(|st| {
            let _ = st.adapter(a);
            let Some(tap) = st.hub.tap else { return Vec::new() };
            let now = ticks(st.now);
            let size = st.hub.hub.config().max_batch_bytes as usize;
            let mut reports = Vec::new();
            let mut buf = vec![0u8; size];
            let mut rest = frames;
            while !rest.is_empty() {
                let mut w = BatchWriter::new(&mut buf).expect("a batch buffer holds a header");
                let mut taken = 0;
                for f in rest {
                    if !w.fits(f.len()) || w.push(f).is_err() {
                        break;
                    }
                    taken += 1;
                }
                assert!(
                    taken > 0,
                    "kernel-sim: test bug: frame of {} bytes cannot be batched",
                    rest[0].len()
                );
                let n = w.finish();
                st.capture_batch(tap, None, &buf[..n]);
                let report = st.write_through(tap, &buf[..n], now);
                if let Ok(r) = &report {
                    st.hub.switched.add(r);
                }
                reports.push(report);
                rest = &rest[taken..];
            }
            let at = st.now;
            st.schedule_pump_at(at);
            reports
        });
        self.inner.pump_hub();
        reports
    }

    /// One administrator request of the vwire bus's frame operations (`IOCTL_VWIRE_BUS_INJECT_FRAME`,
    /// `IOCTL_VWIRE_BUS_CAPTURE_CONTROL`, `IOCTL_VWIRE_BUS_CAPTURE_READ`), as the bus driver serves
    /// it: the input length check, [`vwire_bus::bus::decode_admin`] and
    /// [`vwire_bus::bus::frame_admin`] on this model's hub, with an output buffer of `output_len`
    /// bytes. Ports are named by their hub number ([`Sim::hub_port`]). An injected frame reaches
    /// the adapter's parked reads through the model's pump, as through the bus's serving DPC. The
    /// model's ports are PnP's, so adding, removing and configuring them are not served here
    /// (`InvalidDeviceRequest`). Returns the status and the reply bytes.
    pub fn bus_admin(
        &self,
        code: u32,
        input: &[u8],
        output_len: usize,
    ) -> (vwire_bus::bus::BusStatus, Vec<u8>) {
        use vwire_bus::bus::{BusStatus, check_admin_input_length, decode_admin, frame_admin};
        let result = self.inner.with(|st| {
            check_admin_input_length(input.len())?;
            let request = decode_admin(code, input, output_len)?;
            let mut output = vec![0u8; output_len];
            let reply = frame_admin(&mut st.hub.hub, &request, &mut output, ticks(st.now))?;
            output.truncate(reply.information);
            if reply.queued {
                let at = st.now;
                st.schedule_pump_at(at);
            }
            Ok::<_, BusStatus>((reply.queued, output))
        });
        match result {
            Ok((queued, output)) => {
                if queued {
                    self.inner.pump_hub();
                }
                (BusStatus::Success, output)
            }
            Err(status) => (status, Vec::new()),
        }
    }

    /// Frames the adapters put on the wire that the hub switched to the tap port (flooded:
    /// broadcast, multicast, unknown unicast), in order.
    pub fn tap_frames(&self) -> Vec<Vec<u8>> {
        self.inner.with(|st| {
            st.drain_tap();
            st.hub.tap_frames.clone()
        })
    }

    /// As [`Sim::tap_frames`], emptying the record (for long runs).
    pub fn take_tap_frames(&self) -> Vec<Vec<u8>> {
        self.inner.with(|st| {
            st.drain_tap();
            std::mem::take(&mut st.hub.tap_frames)
        })
    }

    /// What the hub made of every batch written to it (the adapters' and the tap's), summed.
    pub fn hub_switch_totals(&self) -> SwitchTotals {
        self.inner.with(|st| st.hub.switched)
    }

    /// Frames queued in the hub for the tap port and not yet drained (see [`Sim::take_tap_frames`]).
    pub fn tap_pending_frames(&self) -> usize {
        self.inner.with(|st| st.hub.tap.map_or(0, |p| st.hub.hub.pending_frames(p)))
    }

    /// The tap port's hub counters (what the model wrote from it and what it was sent).
    pub fn tap_counters(&self) -> Option<PortCounters> {
        self.inner.with(|st| st.hub.tap.and_then(|p| st.hub.hub.counters(p).ok()))
    }

    /// Set the faults of the model's tap port.
    pub fn set_tap_faults(&self, faults: Faults) {
        self.inner.with(|st| {
            if let Some(p) = st.hub.tap {
                let _ = st.hub.hub.set_faults(p, faults);
            }
        })
    }

    /// Complete the oldest read pending below `a` with arbitrary `bytes` (truncated to its
    /// buffer) and `status`, information = bytes copied. False if no read is pending.
    pub fn inject_raw_read_completion(&self, a: AdapterId, bytes: &[u8], status: NtStatus) -> bool {
        let next = self.inner.with(|st| {
            let r = st.adapter_mut(a).lower.reads.pop_front()?;
            let req = st.kmdf.request(r);
            let (seq, format) = (req.seq, req.format.expect("pending read is formatted"));
            let len = bytes.len().min(format.length);
            let memory = st.kmdf.memory(format.memory);
            // SAFETY: the model owns the WDFMEMORY buffer of at least `format.length` bytes.
            unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), memory.block.ptr, len) };
            st.adapter_mut(a).lower.reads_completed += 1;
            Some((r, seq, len))
        });
        let Some((r, seq, len)) = next else { return false };
        self.inner.complete_request(r, seq, status, len);
        true
    }

    /// Complete the link-change wait held below `a` as a device below might, whatever the hub's
    /// link: `bytes` copied to its output buffer (truncated to it), `status`, information = bytes
    /// copied (0 for a failure status). False if no wait is held.
    pub fn inject_link_completion(&self, a: AdapterId, bytes: &[u8], status: NtStatus) -> bool {
        let next = self.inner.with(|st| {
            let waits = &mut st.adapter_mut(a).lower.link_waits;
            if waits.is_empty() {
                return None;
            }
            let r = waits.remove(0).request;
            let req = st.kmdf.request(r);
            let (seq, format) = (req.seq, req.format.expect("a held link wait is formatted"));
            let len = if nt_success(status) { bytes.len().min(format.output_length) } else { 0 };
            if len > 0 {
                let m = st.kmdf.memory(format.output);
                // SAFETY: the output WDFMEMORY holds `output_length` bytes.
                unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), m.block.ptr, len) };
            }
            Some((r, seq, len))
        });
        let Some((r, seq, len)) = next else { return false };
        self.inner.complete_request(r, seq, status, len);
        true
    }

    /// The next `n` reads below `a` complete with `status` (information 0) instead of a batch,
    /// starting with those pending now.
    pub fn fail_next_reads(&self, a: AdapterId, n: usize, status: NtStatus) {
        self.inner.with(|st| {
            st.adapter_mut(a).lower.fail_reads.extend(std::iter::repeat_n(status, n));
            let at = st.now;
            st.schedule_pump_at(at);
        });
    }

    /// Frames queued in the hub for the port below `a`, ready or not.
    pub fn hub_pending_frames(&self, a: AdapterId) -> usize {
        self.inner.with(|st| st.adapter(a).lower.port.map_or(0, |p| st.hub.hub.pending_frames(p)))
    }
}
