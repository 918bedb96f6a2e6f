//! The bus's own bookkeeping, portable: the table of ports and the state of each port's child device,
//! the administrator's requests, and the decisions of the serving DPC and the delivery timer. The
//! KMDF driver (`sys/windows/fdo.rs`) holds one [`BusState`] under its spin lock, calls these methods
//! and turns what they return into WDF calls; the tests run the same methods on every host.
//!
//! ## Beside the hub, not inside it
//! The [`crate::hub`] is the Ethernet switch: ports, frames, faults. The host model (`kernel-sim`)
//! runs it as the device below each adapter without any bus. [`BusState`] is what only the bus driver
//! needs: which hub port belongs to which child device and how far that device's life has got, the MAC
//! serial, the admin dispatch. It owns a [`Hub`] and calls it; the hub knows nothing of it.
//!
//! ## Handles
//! The table records, per port, the OS handles of the port's two manual queues (parked reads, parked
//! `IOCTL_VWIRE_WAIT_LINK_CHANGE` requests). [`BusState`] is generic over that handle type `Q`: a
//! `NonNull` WDFQUEUE on Windows, a plain number in the tests. It stores, compares and hands back
//! handles; it never uses them. Generic rather than a Windows-side table beside this one: a port's row
//! and its queues are then one value, written and freed together under the one lock, so no path can
//! free a row and forget its handles or the reverse. The PDO's own handle is not stored: the bus only
//! ever needed to know *whether* the PDO exists ([`PortSlot`]).
//!
//! ## Reads filled by cut-through
//! A write lends the hub the reads parked on the other ports ([`BusState::write_through`], the
//! hub's `ParkedReads`): the hub takes one off a port's read queue, writes the frames straight into
//! its buffer, and hands it back filled or empty. Either way it waits in its port's row
//! ([`FilledRead`], at most [`FILLED_READS_PER_PORT`]), owned by the bus and not cancelable, until
//! the serving DPC completes it ([`BusState::next_filled`]), before it serves anything else: a
//! filled one with its batch, an empty one with the failure `Hub::read_batch` would have given it
//! (its buffer too small for the frame that came, or not to be had). An empty read is not put back
//! in its queue: `WdfRequestRequeue` completes a read cancelled meanwhile right there, which would
//! run the miniport's completion routine inside this port's write, under the bus lock. Never inside the writer's request: the peer's completion routine
//! would run inside this port's write (`sys/windows/io.rs`). While a port has filled reads waiting,
//! a read that arrives is parked, not served at once, so it cannot overtake them with later frames
//! ([`BusState::has_filled`]). The requests are of a second handle type `R` (a `NonNull` WDFREQUEST
//! on Windows), stored and handed back as the queues' are; the OS calls on them are the caller's
//! ([`ReadQueue`]).
//!
//! ## Effects instead of calls
//! Nothing here calls the OS. A method decides and returns what the caller must do: the NTSTATUS to
//! complete a request with ([`BusStatus`]), or an [`AdminEffect`] (report a child present, fail a
//! port's parked I/O and report it missing, answer parked link waits, kick the serving DPC), or a
//! yes/no (start the delivery timer). The caller makes those calls after releasing its lock wherever
//! a call can complete a request, since a completion can run the miniport's completion routine, which
//! can send the next request straight back into the bus, which takes the lock (the pattern of the
//! Rust echo sample, which releases its lock before `WdfRequestComplete`: Windows-rust-driver-samples
//! `general/echo/kmdf/driver/DriverSync/src/queue.rs`).
//!
//! ## A port's life
//! 1. `IOCTL_VWIRE_BUS_ADD_PORT` ([`BusState::plug_port`]): a hub port and a row in state
//!    [`PortState::Pending`]; the caller reports the child present on the child list. If that fails,
//!    [`BusState::forget_port`] undoes it.
//! 2. The framework creates the PDO (`EvtChildListCreateDevice`): [`BusState::is_pending`] admits only
//!    a pending port, [`BusState::set_port_pdo`] records that the PDO exists (from then on its cleanup
//!    frees the row), [`BusState::attach_port`] routes I/O to its queues: [`PortState::Present`]. A
//!    creation that fails before the PDO exists frees the row with [`BusState::forget_pending_port`].
//! 3. `IOCTL_VWIRE_BUS_REMOVE_PORT` ([`BusState::remove_port`]): [`PortState::Unplugged`]; new I/O
//!    fails, the parked I/O is failed, the child is reported missing.
//! 4. The PDO is deleted: [`BusState::forget_port`] frees the row and the hub port. A queue deleted
//!    before its PDO is unrouted by [`BusState::detach_queue`].
//!
//! While [`PortState::Present`], the port's device follows its PDO's power state
//! ([`BusState::set_port_power`], from `EvtDeviceD0Exit` / `EvtDeviceD0Entry`): in D1-D3 the hub
//! port drops what reaches it, its reads and writes are refused, and its parked reads are failed;
//! it stays present, with its link as it was.
//!
//! Port ids come from the hub, which never reuses one while the bus runs ([`PortId`]), so a child
//! still being removed never shares an identification with a new one.
//!
//! Every method is bounded, allocates nothing (the hub allocates only in `Hub::add_port`) and cannot
//! panic: malformed input is a status, an unknown port is a status.

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

mod status;

pub use status::BusStatus;
use vwire_proto::admin::{
    ADMIN_MAX_INPUT_LEN, AdminRequest, CaptureControl, CaptureReply, InjectFrame, PortAdded, SetFaults,
    SetLink, SetSpeed, port_mac,
};

use crate::hub::{
    DevicePower, Faults, HandedBack, Hub, HubError, InjectOutcome, IoctlOutcome, ParkedReads, PortId,
    WriteReport,
};

/// Most ports at once: the size of the port table, and the `max_ports` the bus gives its hub.
pub const MAX_PORTS: usize = 64;

/// Reads filled by cut-through a port's row holds for the serving DPC. A write fills at most one
/// read per port, and the DPC empties the rows each time it runs; a port with this many waiting
/// gets its frames queued instead (the hub's `ParkedReads::take` says no). The vwire miniport keeps
/// 16 reads below.
pub const FILLED_READS_PER_PORT: usize = 16;

/// A read the hub took by cut-through: the serving DPC completes `request` with `status` and
/// `length` bytes (its batch; 0 and a failure for a read the hub could not use).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FilledRead<R> {
    /// The read.
    pub request: R,
    /// What to complete it with.
    pub status: BusStatus,
    /// Bytes of its batch.
    pub length: usize,
}

/// The OS's calls on a port's read queue and its requests, which [`BusState::write_through`] makes
/// while the hub fills reads (under the caller's lock, as every call here): on Windows
/// `WdfIoQueueRetrieveNextRequest` and `WdfRequestRetrieveOutputBuffer`. Neither completes a
/// request.
pub trait ReadQueue<Q, R> {
    /// The oldest read parked in `queue`, now owned by the bus; `None` if there is none.
    fn retrieve(&mut self, queue: Q) -> Option<R>;

    /// The buffer of `request`, a read the bus owns; `None` if the OS cannot give it.
    fn buffer(&mut self, request: R) -> Option<&mut [u8]>;
}

/// Largest administrator input accepted; anything longer is refused before it is read: an
/// `InjectFrame` of the longest frame, 1526 bytes.
pub const ADMIN_INPUT_MAX: usize = ADMIN_MAX_INPUT_LEN;

/// Inputs up to this size are copied out of the request before they are decoded (METHOD_BUFFERED:
/// the output shares their buffer, and a reply is written over them). Every fixed structure fits;
/// only an `InjectFrame` is longer, and it has no output, so it is decoded where it lies.
pub const ADMIN_COPY_MAX: usize = 64;
const _: () = assert!(
    SetFaults::ENCODED_LEN <= ADMIN_COPY_MAX
        && SetLink::ENCODED_LEN <= ADMIN_COPY_MAX
        && SetSpeed::ENCODED_LEN <= ADMIN_COPY_MAX
        && CaptureControl::ENCODED_LEN <= ADMIN_COPY_MAX
        && InjectFrame::HEADER_LEN <= ADMIN_COPY_MAX
);

/// Hub ticks per microsecond (the admin interface's delay unit): the bus runs its hub in 100 ns
/// ticks, the unit of its clock, `KeQueryUnbiasedInterruptTime` (W:km/wdm.h:23468-23474).
pub const TICKS_PER_MICROSECOND: u64 = 10;

/// Where a port is in its life (module doc, "A port's life").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortState {
    /// In the hub and reported present; its PDO is not created yet.
    Pending,
    /// Its PDO exists and serves I/O.
    Present,
    /// Reported missing (surprise removal under way): I/O fails; the hub port is freed when the PDO
    /// is deleted ([`BusState::forget_port`]), since NDIS halts the miniport before the PDO even sees
    /// the removal (doc "Processing the Surprise Removal of a NIC (Windows 7 and Later Versions)": NDIS
    /// calls `MiniportHaltEx` in step 7 and passes IRP_MN_SURPRISE_REMOVAL down only in step 8).
    Unplugged,
}

/// The handles of a port's manual queues, each `None` when the port cannot take more requests there
/// (before the PDO exists, after the queue's cleanup).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortQueues<Q> {
    /// Parked reads.
    pub read: Option<Q>,
    /// Parked `IOCTL_VWIRE_WAIT_LINK_CHANGE` requests.
    pub link: Option<Q>,
}

/// One row of the port table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortSlot<Q, R> {
    /// `None`: a free row.
    port: Option<PortId>,
    state: PortState,
    /// Whether the port's PDO exists (`WdfDeviceCreate` succeeded): its cleanup, not the failed
    /// creation, then frees the row.
    has_pdo: bool,
    queues: PortQueues<Q>,
    /// The read the hub is filling during a write ([`BusState::write_through`]).
    taken: Option<R>,
    /// Reads for the serving DPC to complete, oldest first: a ring of `filled_count` from
    /// `filled_head`.
    filled: [Option<FilledRead<R>>; FILLED_READS_PER_PORT],
    filled_head: usize,
    filled_count: usize,
}

impl<Q, R> PortSlot<Q, R> {
    /// A free row.
    pub const FREE: PortSlot<Q, R> = PortSlot {
        port: None,
        state: PortState::Pending,
        has_pdo: false,
        queues: PortQueues { read: None, link: None },
        taken: None,
        filled: [const { None }; FILLED_READS_PER_PORT],
        filled_head: 0,
        filled_count: 0,
    };

    /// The row's port, its life and its queues set as one plugged now. Its filled reads are left
    /// alone: a row is freed only once its PDO's requests have completed, so there are none, and
    /// were there any they would still be completed by the serving DPC, which walks every row.
    fn plug(&mut self, port: PortId) {
        self.port = Some(port);
        self.state = PortState::Pending;
        self.has_pdo = false;
        self.queues = PortQueues { read: None, link: None };
        self.taken = None;
    }

    /// The row freed, with the same care for its filled reads as [`PortSlot::plug`].
    fn free(&mut self) {
        self.port = None;
        self.state = PortState::Pending;
        self.has_pdo = false;
        self.queues = PortQueues { read: None, link: None };
        self.taken = None;
    }
}

impl<Q, R: Copy> PortSlot<Q, R> {
    /// Appends a read for the serving DPC; false if the ring is full.
    fn push_filled(&mut self, read: FilledRead<R>) -> bool {
        if self.filled_count >= FILLED_READS_PER_PORT {
            return false;
        }
        let index = self.filled_head.wrapping_add(self.filled_count) % FILLED_READS_PER_PORT;
        match self.filled.get_mut(index) {
            Some(entry) => {
                *entry = Some(read);
                self.filled_count = self.filled_count.wrapping_add(1);
                true
            }
            None => false,
        }
    }

    /// The oldest read waiting for the serving DPC.
    fn pop_filled(&mut self) -> Option<FilledRead<R>> {
        if self.filled_count == 0 {
            return None;
        }
        let read = self.filled.get_mut(self.filled_head).and_then(Option::take);
        self.filled_head = self.filled_head.wrapping_add(1) % FILLED_READS_PER_PORT;
        self.filled_count = self.filled_count.wrapping_sub(1);
        read
    }
}

/// What the caller does after [`BusState::admin`] succeeded, outside its lock. Each arm says how the
/// administrator's request is then completed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum AdminEffect<Q> {
    /// Nothing more: complete with STATUS_SUCCESS, no output.
    Done,
    /// `IOCTL_VWIRE_BUS_ADD_PORT`: report the port present on the child list
    /// (`WdfChildListAddOrUpdateChildDescriptionAsPresent`). If that fails, undo with
    /// [`BusState::forget_port`] and fail the request; else answer with [`reply_port_added`].
    ReportPresent(PortAdded),
    /// `IOCTL_VWIRE_BUS_REMOVE_PORT`: fail every request parked in `queues` with
    /// [`BusStatus::NoSuchDevice`] (in rounds if need be; later rounds take the queues
    /// [`BusState::queues`] still names, or stop if the row is gone), then report the child missing
    /// (`WdfChildListUpdateChildDescriptionAsMissing`) and complete with that call's status.
    FailParkedThenReportMissing {
        /// The port being removed.
        port: PortId,
        /// Its queues when it was unplugged.
        queues: PortQueues<Q>,
    },
    /// `IOCTL_VWIRE_BUS_SET_LINK` or `IOCTL_VWIRE_BUS_SET_SPEED` changed the link generation: answer
    /// the port's parked link waits
    /// ([`BusState::answer_link_wait`] for each), then complete with STATUS_SUCCESS.
    AnswerLinkWaits {
        /// The port whose link changed.
        port: PortId,
    },
    /// `IOCTL_VWIRE_BUS_SET_FAULTS`: a lifted stall or a shorter delay may have made parked reads
    /// servable; `IOCTL_VWIRE_BUS_INJECT_FRAME`: a frame was queued. Enqueue the serving DPC (which
    /// completes them, not the administrator's thread: `sys/windows/fdo.rs`, "The serving DPC"),
    /// then complete with STATUS_SUCCESS.
    KickServingDpc,
    /// `IOCTL_VWIRE_BUS_CAPTURE_READ`: the reply is written to the output; complete with
    /// STATUS_SUCCESS and `information` bytes.
    Reply {
        /// Bytes of output written.
        information: usize,
    },
}

/// What a frame operation ([`frame_admin`]) did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub struct FrameReply {
    /// Bytes of output written (the capture read's reply; 0 for the others).
    pub information: usize,
    /// A frame was queued for a port: its parked reads may be servable.
    pub queued: bool,
}

/// The administrator's frame operations on a hub port, shared by the bus ([`BusState::admin`],
/// after its port-table checks) and the host model's bus (`kernel-sim`, which has a hub but no
/// port table): `IOCTL_VWIRE_BUS_INJECT_FRAME` ([`Hub::inject`]), `IOCTL_VWIRE_BUS_CAPTURE_CONTROL`
/// ([`Hub::set_capture`]) and `IOCTL_VWIRE_BUS_CAPTURE_READ` ([`Hub::read_capture`], the reply
/// written to `output`, which [`decode_admin`] checked holds at least `CAPTURE_READ_MIN_OUTPUT`).
/// Any other request is [`BusStatus::InvalidDeviceRequest`]: it is not a frame operation.
pub fn frame_admin(
    hub: &mut Hub,
    request: &AdminRequest<'_>,
    output: &mut [u8],
    now: u64,
) -> Result<FrameReply, BusStatus> {
    match *request {
        AdminRequest::InjectFrame(InjectFrame { port, frame }) => {
            let outcome = hub.inject(PortId(port), frame, now)?;
            Ok(FrameReply { information: 0, queued: outcome == InjectOutcome::Queued })
        }
        AdminRequest::CaptureControl(CaptureControl { port, start }) => {
            hub.set_capture(PortId(port), start)?;
            Ok(FrameReply { information: 0, queued: false })
        }
        AdminRequest::CaptureRead { port } => {
            let (head, batch) =
                output.split_at_mut_checked(CaptureReply::ENCODED_LEN).ok_or(BusStatus::BufferTooSmall)?;
            let read = hub.read_capture(PortId(port), batch)?;
            let reply = CaptureReply {
                port,
                dropped: u32::try_from(read.dropped).unwrap_or(u32::MAX),
                pending: u32::try_from(read.pending).unwrap_or(u32::MAX),
            };
            let head_len = reply.encode(head)?;
            Ok(FrameReply { information: head_len.saturating_add(read.written), queued: false })
        }
        AdminRequest::AddPort
        | AdminRequest::RemovePort { .. }
        | AdminRequest::SetLink(_)
        | AdminRequest::SetSpeed(_)
        | AdminRequest::SetFaults(_) => Err(BusStatus::InvalidDeviceRequest),
    }
}

/// Refuses an administrator input longer than any structure, before it is copied or read.
pub fn check_admin_input_length(input_length: usize) -> Result<(), BusStatus> {
    if input_length > ADMIN_INPUT_MAX { Err(BusStatus::InvalidParameter) } else { Ok(()) }
}

/// Decodes an administrator request (`input` is the whole input, copied out of the METHOD_BUFFERED
/// system buffer) and checks that the output buffer can take its reply.
pub fn decode_admin(
    io_control_code: u32,
    input: &[u8],
    output_length: usize,
) -> Result<AdminRequest<'_>, BusStatus> {
    let request = AdminRequest::decode(io_control_code, input)?;
    if output_length < request.output_len() {
        return Err(BusStatus::BufferTooSmall);
    }
    Ok(request)
}

/// The reply to `IOCTL_VWIRE_BUS_ADD_PORT`: the status and the bytes written to `output`.
pub fn reply_port_added(added: &PortAdded, output: &mut [u8]) -> (BusStatus, usize) {
    match added.encode(output) {
        Ok(written) => (BusStatus::Success, written),
        // Not produced for an output checked by `decode_admin`; reported, never a panic.
        Err(_) => (BusStatus::BufferTooSmall, 0),
    }
}

/// Everything the bus's spin lock guards.
///
/// The fields are visible to the crate for one reason: the Windows glue writes them one by one into
/// the FDO's context memory (the table is too large to build on a kernel stack and move). Everything
/// else goes through the methods.
pub struct BusState<Q, R> {
    pub(crate) hub: Hub,
    pub(crate) slots: [PortSlot<Q, R>; MAX_PORTS],
    /// Serial of the next port's MAC address ([`port_mac`]).
    pub(crate) next_serial: u32,
    /// When the delivery timer is due (hub ticks), if it is armed.
    pub(crate) timer_due: Option<u64>,
    /// Set once, when the bus runs down: the serving DPC is no longer enqueued and the timer no
    /// longer armed.
    pub(crate) running_down: bool,
    /// Reads waiting in the rows for the serving DPC, all rows together.
    pub(crate) filled_waiting: usize,
}

impl<Q, R> core::fmt::Debug for BusState<Q, R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("BusState")
            .field("hub", &self.hub)
            .field("ports", &self.slots.iter().filter(|slot| slot.port.is_some()).count())
            .field("next_serial", &self.next_serial)
            .field("timer_due", &self.timer_due)
            .field("running_down", &self.running_down)
            .field("filled_waiting", &self.filled_waiting)
            .finish()
    }
}

impl<Q: Copy + PartialEq, R: Copy> BusState<Q, R> {
    /// A bus with no ports over `hub`. (The Windows driver builds the same value in place.)
    pub fn new(hub: Hub) -> Self {
        BusState {
            hub,
            slots: [PortSlot::FREE; MAX_PORTS],
            next_serial: 0,
            timer_due: None,
            running_down: false,
            filled_waiting: 0,
        }
    }

    /// The hub.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// The hub, for the I/O paths.
    pub fn hub_mut(&mut self) -> &mut Hub {
        &mut self.hub
    }

    fn slot(&self, port: PortId) -> Option<&PortSlot<Q, R>> {
        self.slots.iter().find(|slot| slot.port == Some(port))
    }

    fn slot_mut(&mut self, port: PortId) -> Option<&mut PortSlot<Q, R>> {
        self.slots.iter_mut().find(|slot| slot.port == Some(port))
    }

    /// Where `port` is in its life; `None` if it has no row (never added, or gone).
    pub fn port_state(&self, port: PortId) -> Option<PortState> {
        self.slot(port).map(|slot| slot.state)
    }

    /// The ports that have a row, in table order.
    pub fn ports(&self) -> impl Iterator<Item = (PortId, PortState)> + '_ {
        self.slots.iter().filter_map(|slot| slot.port.map(|port| (port, slot.state)))
    }

    /// The queues `port`'s row names, whatever its state; `None` if it has no row.
    pub fn queues(&self, port: PortId) -> Option<PortQueues<Q>> {
        self.slot(port).map(|slot| slot.queues)
    }

    // -----------------------------------------------------------------------------------------
    // The administrator's requests

    /// Carries out one decoded administrator request; what is left to do is the [`AdminEffect`].
    /// `output` is the request's output buffer (a capture read's reply is written to it; at least
    /// [`AdminRequest::output_len`] bytes, as [`decode_admin`] checked), `now` the hub time.
    ///
    /// The frame operations and the port's life: injecting and capture control need a port an
    /// administrator can configure (not unplugged); a capture read also serves an unplugged port,
    /// whose last captured frames stay readable until its device is gone and the hub port with it.
    pub fn admin(
        &mut self,
        request: AdminRequest<'_>,
        output: &mut [u8],
        now: u64,
    ) -> Result<AdminEffect<Q>, BusStatus> {
        match request {
            AdminRequest::AddPort => self.plug_port().map(AdminEffect::ReportPresent),
            AdminRequest::RemovePort { port } => {
                let port = PortId(port);
                self.remove_port(port).map(|queues| AdminEffect::FailParkedThenReportMissing { port, queues })
            }
            AdminRequest::SetLink(SetLink { port, up }) => {
                let port = PortId(port);
                let changed = self.set_link(port, up)?;
                Ok(if changed { AdminEffect::AnswerLinkWaits { port } } else { AdminEffect::Done })
            }
            AdminRequest::SetSpeed(SetSpeed { port, speed_bps }) => {
                let port = PortId(port);
                let changed = self.set_speed(port, speed_bps)?;
                Ok(if changed { AdminEffect::AnswerLinkWaits { port } } else { AdminEffect::Done })
            }
            AdminRequest::SetFaults(faults) => {
                self.set_faults(faults)?;
                Ok(if self.serving_allowed() { AdminEffect::KickServingDpc } else { AdminEffect::Done })
            }
            AdminRequest::InjectFrame(InjectFrame { port, .. })
            | AdminRequest::CaptureControl(CaptureControl { port, .. }) => {
                if !self.is_plugged(PortId(port)) {
                    return Err(BusStatus::NoSuchDevice);
                }
                let reply = frame_admin(&mut self.hub, &request, output, now)?;
                Ok(if reply.queued && self.serving_allowed() {
                    AdminEffect::KickServingDpc
                } else {
                    AdminEffect::Done
                })
            }
            AdminRequest::CaptureRead { port } => {
                if self.slot(PortId(port)).is_none() {
                    return Err(BusStatus::NoSuchDevice);
                }
                let reply = frame_admin(&mut self.hub, &request, output, now)?;
                Ok(AdminEffect::Reply { information: reply.information })
            }
        }
    }

    /// A new hub port with the next MAC address, in a free row, [`PortState::Pending`]. Shared by
    /// the add-port request and the ports the bus starts with. The serial advances even when the hub
    /// refuses the port, so an address is never handed out twice.
    pub fn plug_port(&mut self) -> Result<PortAdded, BusStatus> {
        let BusState { hub, slots, next_serial, .. } = self;
        let Some(slot) = slots.iter_mut().find(|slot| slot.port.is_none()) else {
            return Err(BusStatus::QuotaExceeded);
        };
        let serial = *next_serial;
        *next_serial = serial.wrapping_add(1);
        let mac = port_mac(serial);
        let port = hub.add_port(mac)?;
        slot.plug(port);
        Ok(PortAdded { port: port.0, mac })
    }

    /// Unplugs a present port: new I/O on it fails from now on ([`Self::present_queues`]), and its
    /// parked requests are to be failed at once, as a device that is gone fails its outstanding I/O
    /// (doc "Handling an IRP_MN_SURPRISE_REMOVAL Request": "Fail outstanding I/O requests on the
    /// device"). The hub port lives on until the PDO is deleted. A port whose PDO does not exist yet
    /// answers [`BusStatus::DeviceNotReady`]: retry (its PDO's cleanup is what frees a hub port).
    pub fn remove_port(&mut self, port: PortId) -> Result<PortQueues<Q>, BusStatus> {
        let slot = self.slot_mut(port).ok_or(BusStatus::NoSuchDevice)?;
        match slot.state {
            PortState::Pending => Err(BusStatus::DeviceNotReady),
            PortState::Unplugged => Err(BusStatus::NoSuchDevice),
            PortState::Present => {
                slot.state = PortState::Unplugged;
                Ok(slot.queues)
            }
        }
    }

    /// Whether `port` has a row that is not unplugged: the ports an administrator can still
    /// configure.
    fn is_plugged(&self, port: PortId) -> bool {
        self.slot(port).is_some_and(|slot| slot.state != PortState::Unplugged)
    }

    /// Sets the hub port's link; true if that changed its link generation (the parked link waits
    /// are then to be answered).
    pub fn set_link(&mut self, port: PortId, up: bool) -> Result<bool, BusStatus> {
        if !self.is_plugged(port) {
            return Err(BusStatus::NoSuchDevice);
        }
        let before = self.hub.link_state(port).map(|link| link.generation);
        self.hub.set_link(port, up)?;
        Ok(before != self.hub.link_state(port).map(|link| link.generation))
    }

    /// Sets the hub port's speed; true if that changed its link generation (the parked link waits
    /// are then to be answered).
    pub fn set_speed(&mut self, port: PortId, speed_bps: u64) -> Result<bool, BusStatus> {
        if !self.is_plugged(port) {
            return Err(BusStatus::NoSuchDevice);
        }
        let before = self.hub.link_state(port).map(|link| link.generation);
        self.hub.set_speed(port, speed_bps)?;
        Ok(before != self.hub.link_state(port).map(|link| link.generation))
    }

    /// Replaces the port's faults (the delay converted from microseconds to hub ticks).
    pub fn set_faults(&mut self, faults: SetFaults) -> Result<(), BusStatus> {
        let port = PortId(faults.port);
        if !self.is_plugged(port) {
            return Err(BusStatus::NoSuchDevice);
        }
        let hub_faults = Faults {
            drop_ppm: faults.drop_ppm,
            corrupt_ppm: faults.corrupt_ppm,
            delay_ticks: u64::from(faults.delay_us).saturating_mul(TICKS_PER_MICROSECOND),
            stall: faults.stall,
            fail_writes: faults.fail_writes,
            fail_reads: faults.fail_reads,
        };
        self.hub.set_faults(port, hub_faults)?;
        Ok(())
    }

    /// For one parked link wait of `port` that waits to see generation `known_generation` change:
    /// the status and reply length to complete it with (the reply is written to `output`), or
    /// `None` while it must stay parked. A port that is gone answers [`BusStatus::NoSuchDevice`].
    pub fn answer_link_wait(
        &self,
        port: PortId,
        known_generation: u32,
        output: &mut [u8],
    ) -> Option<(BusStatus, usize)> {
        self.hub.complete_link_wait(port, known_generation, output).map(|outcome| match outcome {
            IoctlOutcome::Complete { status, information } => (status.into(), information),
            // Not produced by complete_link_wait; fail rather than park twice.
            IoctlOutcome::PendLinkChange { .. } => (BusStatus::InvalidDeviceState, 0),
        })
    }

    // -----------------------------------------------------------------------------------------
    // The child device's life

    /// Whether `port` is waiting for its PDO: only such a port gets one.
    pub fn is_pending(&self, port: PortId) -> bool {
        self.slot(port).is_some_and(|slot| slot.state == PortState::Pending && !slot.has_pdo)
    }

    /// The PDO of `port` exists (recorded before its queues are created, so its cleanup finds the
    /// row).
    pub fn set_port_pdo(&mut self, port: PortId) {
        if let Some(slot) = self.slot_mut(port) {
            slot.has_pdo = true;
        }
    }

    /// The PDO of `port` exists with its queues: route I/O to it (a `None` queue takes no requests).
    /// False if the port was forgotten or unplugged meanwhile (the caller fails the creation; the
    /// framework then deletes the PDO).
    pub fn attach_port(&mut self, port: PortId, read_queue: Option<Q>, link_queue: Option<Q>) -> bool {
        match self.slot_mut(port) {
            Some(slot) if slot.state == PortState::Pending => {
                slot.state = PortState::Present;
                slot.has_pdo = true;
                slot.queues = PortQueues { read: read_queue, link: link_queue };
                true
            }
            _ => false,
        }
    }

    /// Frees the row and the hub port of `port` if it never got a PDO (its creation failed before
    /// `WdfDeviceCreate`); afterwards the PDO's cleanup does this.
    pub fn forget_pending_port(&mut self, port: PortId) {
        if self.is_pending(port) {
            self.forget_port(port);
        }
    }

    /// Frees the row and the hub port of `port` (queued frames and learned addresses go with it):
    /// its PDO was deleted, or the child list refused the port [`Self::plug_port`] made. No filled
    /// read is left in the row then: the framework deletes a PDO only once every request its queues
    /// delivered has completed, and the serving DPC, kicked by the write that filled them, completes
    /// those.
    pub fn forget_port(&mut self, port: PortId) {
        if let Some(slot) = self.slot_mut(port) {
            slot.free();
        }
        // NoSuchPort: nothing to free.
        let _ = self.hub.remove_port(port);
    }

    /// The port's device changes power state: its PDO's `EvtDeviceD0Exit` (to D1-D3) or
    /// `EvtDeviceD0Entry` (to D0), under the lock. The hub does what a device in that state does
    /// ([`Hub::set_power`]: a powered-down port drops and counts what reaches it, loses what was
    /// queued, refuses reads and writes; the link as reported is unchanged).
    ///
    /// `Ok(Some(queue))` when the port has just powered down: the caller fails every read parked
    /// in `queue` with [`BusStatus::DevicePoweredOff`], outside the lock, in rounds as a removal
    /// does (nothing new parks between rounds: a read that reaches the port now is refused, not
    /// parked). A powered-off device completes no read, so one left parked would wait, with
    /// nothing to serve it, until the device is back; the miniport has canceled its reads before
    /// NDIS lets the device power IRP down (`OID_PNP_SET_POWER`), so normally there is none.
    /// Parked link waits stay: the link is unchanged, and a real link change still answers them.
    ///
    /// Only a [`PortState::Present`] port changes: a pending one has no PDO yet, and an unplugged
    /// one is being removed (its I/O fails already) — both [`BusStatus::NoSuchDevice`], which the
    /// PDO's callbacks do not turn into a power failure (there is no hardware to fail).
    pub fn set_port_power(&mut self, port: PortId, power: DevicePower) -> Result<Option<Q>, BusStatus> {
        let BusState { hub, slots, .. } = self;
        let slot = slots
            .iter()
            .find(|slot| slot.port == Some(port) && slot.state == PortState::Present)
            .ok_or(BusStatus::NoSuchDevice)?;
        let was_powered = hub.power(port)?.is_powered();
        hub.set_power(port, power)?;
        Ok(if was_powered && !power.is_powered() { slot.queues.read } else { None })
    }

    /// One of the PDO's manual queues is being deleted: no request may be routed to it any more.
    pub fn detach_queue(&mut self, port: PortId, queue: Q) {
        if let Some(slot) = self.slot_mut(port) {
            if slot.queues.read == Some(queue) {
                slot.queues.read = None;
            }
            if slot.queues.link == Some(queue) {
                slot.queues.link = None;
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // I/O routing, the serving DPC and the delivery timer

    /// The queues of `port` if it serves I/O ([`PortState::Present`]); `None` means the hardware is
    /// gone: fail the request with [`BusStatus::NoSuchDevice`].
    pub fn present_queues(&self, port: PortId) -> Option<PortQueues<Q>> {
        self.slot(port).filter(|slot| slot.state == PortState::Present).map(|slot| slot.queues)
    }

    /// The hub, and every present port that has a read queue with that queue: what the serving DPC
    /// walks.
    pub fn hub_and_read_queues(&mut self) -> (&mut Hub, impl Iterator<Item = (PortId, Q)> + '_) {
        let BusState { hub, slots, .. } = self;
        let queues = slots.iter().filter_map(|slot| match (slot.port, slot.state, slot.queues.read) {
            (Some(port), PortState::Present, Some(queue)) => Some((port, queue)),
            _ => None,
        });
        (hub, queues)
    }

    /// Takes one batch written by `port`'s miniport into the hub, lending it the reads parked on the
    /// other present ports for cut-through (module doc, "Reads filled by cut-through"). `queue`
    /// makes the OS calls on their queues and requests. Afterwards the filled reads wait in their
    /// rows: if any did, or anything was queued, the caller enqueues the serving DPC.
    pub fn write_through<O: ReadQueue<Q, R>>(
        &mut self,
        port: PortId,
        batch: &[u8],
        now: u64,
        queue: &mut O,
    ) -> Result<WriteReport, HubError> {
        let BusState { hub, slots, filled_waiting, .. } = self;
        let mut reads = Lent { slots, filled_waiting, queue, last_row: None };
        hub.write_batch_into(port, batch, now, &mut reads)
    }

    /// Whether any row holds reads for the serving DPC to complete: after a write, the caller
    /// enqueues the DPC if so (or if the write queued anything), so no filled read waits for a DPC
    /// nobody enqueued.
    pub fn filled_waiting(&self) -> bool {
        self.filled_waiting > 0
    }

    /// Whether `port` has filled reads waiting for the serving DPC.
    pub fn has_filled(&self, port: PortId) -> bool {
        self.filled_waiting > 0 && self.slot(port).is_some_and(|slot| slot.filled_count > 0)
    }

    /// Whether a read that arrives on `port` at `now` is served at once (`EvtIoRead`): the hub has
    /// a batch ready for it and no filled read of the port waits for the serving DPC, which it
    /// would overtake with later frames. Otherwise it is parked. (Once the DPC has taken the
    /// filled reads out of the row it completes them outside the lock, as it does the reads it
    /// serves, and a read arriving on another processor meanwhile may complete first: the order
    /// is kept under the lock, not across processors.)
    pub fn serves_arriving_read(&self, port: PortId, now: u64) -> bool {
        !self.has_filled(port) && self.hub.next_ready_time(port).is_some_and(|due| due <= now)
    }

    /// The serving DPC's first work: the oldest read waiting in any row (whatever the port's
    /// state, or a freed row's: a port being removed still gets its filled reads completed),
    /// taken out of it.
    pub fn next_filled(&mut self) -> Option<FilledRead<R>> {
        if self.filled_waiting == 0 {
            return None;
        }
        let read = self.slots.iter_mut().find_map(PortSlot::pop_filled);
        if read.is_some() {
            self.filled_waiting = self.filled_waiting.saturating_sub(1);
        }
        read
    }

    /// Whether the serving DPC may be enqueued: not once the bus runs down.
    pub fn serving_allowed(&self) -> bool {
        !self.running_down
    }

    /// Whether to start the delivery timer for hub time `due`: not while it is armed for that time
    /// or earlier, and not once the bus runs down. True records `due` as armed; the caller starts
    /// the timer under the same lock, so no start follows the rundown.
    pub fn arm_timer(&mut self, due: u64) -> bool {
        if self.running_down || self.timer_due.is_some_and(|armed| armed <= due) {
            return false;
        }
        self.timer_due = Some(due);
        true
    }

    /// The delivery timer ran: it is no longer armed.
    pub fn timer_fired(&mut self) {
        self.timer_due = None;
    }

    /// The bus runs down: from now on [`Self::serving_allowed`] and [`Self::arm_timer`] say no.
    pub fn begin_rundown(&mut self) {
        self.running_down = true;
    }
}

/// The rows' parked reads lent to the hub for one write ([`BusState::write_through`]).
struct Lent<'a, Q, R, O> {
    slots: &'a mut [PortSlot<Q, R>; MAX_PORTS],
    filled_waiting: &'a mut usize,
    queue: &'a mut O,
    /// The row last looked up: a run of frames to one port finds it once, not once per frame
    /// (this runs under the bus spin lock).
    last_row: Option<(PortId, usize)>,
}

impl<Q, R, O> Lent<'_, Q, R, O> {
    fn slot(&mut self, port: PortId) -> Option<&mut PortSlot<Q, R>> {
        let index = match self.last_row {
            Some((last, index)) if last == port => index,
            _ => {
                let index = self.slots.iter().position(|slot| slot.port == Some(port))?;
                self.last_row = Some((port, index));
                index
            }
        };
        self.slots.get_mut(index)
    }
}

impl<Q: Copy, R: Copy, O: ReadQueue<Q, R>> ParkedReads for Lent<'_, Q, R, O> {
    fn take(&mut self, port: PortId) -> bool {
        let Some(slot) = self.slot(port) else { return false };
        // Only a present port's reads, only one at a time (the hub takes one per port and write),
        // and only while its row has room for one more filled read.
        let read_queue = match (slot.state, slot.queues.read, slot.taken) {
            (PortState::Present, Some(read_queue), None) if slot.filled_count < FILLED_READS_PER_PORT => {
                read_queue
            }
            _ => return false,
        };
        let taken = self.queue.retrieve(read_queue);
        if let Some(slot) = self.slot(port) {
            slot.taken = taken;
        }
        taken.is_some()
    }

    fn buffer(&mut self, port: PortId) -> Option<&mut [u8]> {
        let request = self.slot(port)?.taken?;
        self.queue.buffer(request)
    }

    fn finish(&mut self, port: PortId, read: HandedBack) {
        let Some(request) = self.slot(port).and_then(|slot| slot.taken.take()) else { return };
        let filled = match read {
            HandedBack::Filled(length) => FilledRead { request, status: BusStatus::Success, length },
            // As `Hub::read_batch` into it would end (module doc, "Reads filled by cut-through").
            HandedBack::TooSmall => FilledRead { request, status: BusStatus::BufferTooSmall, length: 0 },
            HandedBack::NoBuffer => {
                FilledRead { request, status: BusStatus::InsufficientResources, length: 0 }
            }
        };
        // `take` checked there is room, and nothing else fills the row during the write.
        if let Some(slot) = self.slot(port)
            && slot.push_filled(filled)
        {
            *self.filled_waiting = self.filled_waiting.saturating_add(1);
        }
    }
}
