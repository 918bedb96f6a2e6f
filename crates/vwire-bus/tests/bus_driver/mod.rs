//! A host stand-in for the Windows glue (`sys/windows/fdo.rs`, `pdo.rs`, `io.rs`) around
//! `vwire_bus::bus::BusState`: it makes the same calls in the same order, and plays the OS objects
//! those calls act on — manual queues of parked requests, the child list, the serving DPC — so the
//! tests can check what the portable decisions do to requests and children.
//!
//! Each test binary uses a part of it.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use vwire_bus::bus::{
    ADMIN_COPY_MAX, ADMIN_INPUT_MAX, AdminEffect, BusState, BusStatus, MAX_PORTS, PortQueues, ReadQueue,
    check_admin_input_length, decode_admin, reply_port_added,
};
use vwire_bus::control::{AdminRequest, PortAdded};
use vwire_bus::{DevicePower, Hub, HubConfig, IoctlOutcome, PortId};
use vwire_proto::{IOCTL_VWIRE_WAIT_LINK_CHANGE, LinkState, LinkWait};

/// A manual queue's handle in these tests.
pub type Queue = u32;

/// Requests completed per round while the bus lock is dropped (`Completions::CAPACITY` on Windows).
pub const ROUND: usize = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parked {
    Read,
    LinkWait { known_generation: u32 },
}

/// One completed request: its id, status and reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    pub request: u64,
    pub status: BusStatus,
    pub reply: Vec<u8>,
}

/// The reply of an administrator request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminReply {
    pub status: BusStatus,
    pub output: Vec<u8>,
}

/// A port's PDO as the framework holds it.
#[derive(Clone, Copy, Debug)]
struct Pdo {
    read: Queue,
    link: Queue,
}

pub struct Driver {
    pub state: BusState<Queue, u64>,
    /// Children the bus reported present and has not reported missing.
    pub children: BTreeSet<u32>,
    /// The child list's answer to the next add, when it refuses one.
    pub refuse_next_child: Option<BusStatus>,
    pub kicks: usize,
    /// Hub time the administrator's requests run at.
    pub now: u64,
    pub completions: Vec<Completion>,
    /// Reads `EvtIoRead` served at once, in order.
    pub served_at_once: Vec<u64>,
    /// Rounds in which a batch of completions was made outside the lock.
    pub completion_rounds: usize,
    queues: BTreeMap<Queue, VecDeque<(u64, Parked)>>,
    /// The port of every read parked, and the buffers of those the hub wrote into.
    reads: Reads,
    pdos: BTreeMap<u32, Pdo>,
    next_queue: Queue,
    next_request: u64,
}

impl Driver {
    /// A bus over a hub of small port queues (the table still holds [`MAX_PORTS`]).
    pub fn new() -> Driver {
        Driver::with_hub(HubConfig { max_ports: MAX_PORTS, queue_frames: 4, ..HubConfig::default() })
    }

    pub fn with_hub(config: HubConfig) -> Driver {
        Driver {
            state: BusState::new(Hub::new(config)),
            children: BTreeSet::new(),
            refuse_next_child: None,
            kicks: 0,
            now: 0,
            completions: Vec::new(),
            served_at_once: Vec::new(),
            completion_rounds: 0,
            queues: BTreeMap::new(),
            reads: Reads::default(),
            pdos: BTreeMap::new(),
            next_queue: 1,
            next_request: 1,
        }
    }

    // ----------------------------------------------------------------------------------------
    // The administrator's IOCTL, as `fdo::admin` serves it.

    /// The administrator's IOCTL with `input` and an output buffer of `output_len` bytes.
    pub fn admin_raw(&mut self, code: u32, input: &[u8], output_len: usize) -> AdminReply {
        let failed = |status| AdminReply { status, output: Vec::new() };
        if let Err(status) = check_admin_input_length(input.len()) {
            return failed(status);
        }
        let input = &input[..input.len().min(ADMIN_INPUT_MAX)];
        // Short inputs are copied out first (the output shares their buffer); a longer one is
        // decoded in place and must have no output.
        let copy = input.to_vec();
        let in_place = input.len() > ADMIN_COPY_MAX;
        let request = match decode_admin(code, if in_place { input } else { &copy }, output_len) {
            Ok(request) => request,
            Err(status) => return failed(status),
        };
        if in_place && request.output_len() != 0 {
            return failed(BusStatus::InvalidParameter);
        }
        let mut output = vec![0u8; output_len];
        let effect = self.state.admin(request, &mut output, self.now);
        if let Ok(AdminEffect::KickServingDpc) = effect {
            self.kicks += 1;
        }
        match effect {
            Err(status) => failed(status),
            Ok(AdminEffect::Done | AdminEffect::KickServingDpc) => failed(BusStatus::Success),
            Ok(AdminEffect::ReportPresent(added)) => match self.report_present(PortId(added.port)) {
                Ok(()) => {
                    let (status, written) = reply_port_added(&added, &mut output);
                    output.truncate(written);
                    AdminReply { status, output }
                }
                Err(status) => failed(status),
            },
            Ok(AdminEffect::FailParkedThenReportMissing { port, queues }) => {
                assert_eq!(Some(queues), self.state.queues(port), "the effect names the row's queues");
                failed(self.fail_parked_then_report_missing(port))
            }
            Ok(AdminEffect::AnswerLinkWaits { port }) => {
                self.answer_link_waits(port);
                failed(BusStatus::Success)
            }
            Ok(AdminEffect::Reply { information }) => {
                assert!(information <= output.len(), "a reply within the output");
                output.truncate(information);
                AdminReply { status: BusStatus::Success, output }
            }
        }
    }

    pub fn admin(&mut self, request: AdminRequest<'_>) -> AdminReply {
        let output_len = match request {
            AdminRequest::CaptureRead { .. } => vwire_bus::control::CAPTURE_READ_OUTPUT,
            _ => request.output_len(),
        };
        self.admin_with_output(request, output_len)
    }

    pub fn admin_with_output(&mut self, request: AdminRequest<'_>, output_len: usize) -> AdminReply {
        let mut input = [0u8; ADMIN_INPUT_MAX];
        let (code, len) = request.encode(&mut input).expect("encodable request");
        self.admin_raw(code, &input[..len], output_len)
    }

    /// The serving DPC's first work, as `fdo::evt_serve_dpc` does it: every read the hub filled
    /// by cut-through, on any port, completes with its batch (or as cancelled). The frames the
    /// filled reads of `port` carried.
    pub fn complete_filled(&mut self, port: u32) -> Vec<Vec<u8>> {
        let mut frames = Vec::new();
        let mut done = Vec::new();
        while let Some(filled) = self.state.next_filled() {
            let mut reply = self.reads.buffers.remove(&filled.request).unwrap_or_default();
            reply.truncate(filled.length);
            if filled.status == BusStatus::Success && self.reads.port_of.get(&filled.request) == Some(&port) {
                let batch = vwire_proto::Batch::parse(&reply).expect("a filled read holds a batch");
                frames.extend(batch.frames().map(<[u8]>::to_vec));
            }
            done.push(Completion { request: filled.request, status: filled.status, reply });
        }
        self.complete(done);
        frames
    }

    /// The serving DPC's work for `port`: the filled reads first ([`Driver::complete_filled`]),
    /// then, as `io::serve_parked_reads` does it, its parked reads get the batches the hub has
    /// ready; returns the frames they carried, in order.
    pub fn serve(&mut self, port: u32) -> Vec<Vec<u8>> {
        let mut frames = self.complete_filled(port);
        let Some(queue) = self.state.present_queues(PortId(port)).and_then(|queues| queues.read) else {
            return frames;
        };
        let mut done = Vec::new();
        loop {
            if self.state.hub().next_ready_time(PortId(port)).is_none_or(|due| due > self.now) {
                break;
            }
            let Some((request, kind)) = self.queues.get_mut(&queue).expect("a live queue").pop_front() else {
                break;
            };
            assert_eq!(kind, Parked::Read);
            let mut buffer = vec![0u8; vwire_proto::DEFAULT_MAX_BATCH_BYTES];
            match self.state.hub_mut().read_batch(PortId(port), &mut buffer, self.now) {
                Ok(Some(length)) => {
                    buffer.truncate(length);
                    let batch = vwire_proto::Batch::parse(&buffer).expect("the hub's batch");
                    frames.extend(batch.frames().map(<[u8]>::to_vec));
                    done.push(Completion { request, status: BusStatus::Success, reply: buffer });
                }
                other => panic!("a ready frame but {other:?}"),
            }
        }
        self.complete(done);
        frames
    }

    /// `IOCTL_VWIRE_BUS_ADD_PORT`; the new port, or the failure.
    pub fn add_port(&mut self) -> Result<PortAdded, BusStatus> {
        let reply = self.admin(AdminRequest::AddPort);
        if reply.status != BusStatus::Success {
            return Err(reply.status);
        }
        Ok(PortAdded::decode(&reply.output).expect("a well-formed reply"))
    }

    fn report_present(&mut self, port: PortId) -> Result<(), BusStatus> {
        if let Some(status) = self.refuse_next_child.take() {
            self.state.forget_port(port);
            return Err(status);
        }
        assert!(self.children.insert(port.0), "a port id is reported present once");
        Ok(())
    }

    fn fail_parked_then_report_missing(&mut self, port: PortId) -> BusStatus {
        loop {
            let mut done = Vec::new();
            let more = match self.state.queues(port) {
                None => false,
                Some(PortQueues { read, link }) => {
                    read.is_some_and(|q| self.drain(q, &mut done))
                        || link.is_some_and(|q| self.drain(q, &mut done))
                }
            };
            self.complete(done);
            if !more {
                break;
            }
        }
        if self.children.remove(&port.0) { BusStatus::Success } else { BusStatus::NoSuchDevice }
    }

    fn drain(&mut self, queue: Queue, done: &mut Vec<Completion>) -> bool {
        self.drain_with(queue, BusStatus::NoSuchDevice, done)
    }

    fn drain_with(&mut self, queue: Queue, status: BusStatus, done: &mut Vec<Completion>) -> bool {
        let parked = self.queues.get_mut(&queue).expect("a live queue");
        while done.len() < ROUND {
            let Some((request, _)) = parked.pop_front() else { return false };
            done.push(Completion { request, status, reply: Vec::new() });
        }
        true
    }

    fn answer_link_waits(&mut self, port: PortId) {
        loop {
            let mut done = Vec::new();
            let mut more = false;
            if let Some(queue) = self.state.queues(port).and_then(|queues| queues.link) {
                let parked = self.queues.get_mut(&queue).expect("a live queue");
                more = true;
                while done.len() < ROUND {
                    let Some((request, kind)) = parked.pop_front() else {
                        more = false;
                        break;
                    };
                    let Parked::LinkWait { known_generation } = kind else {
                        panic!("a read in the link queue")
                    };
                    let mut reply = vec![0u8; LinkState::ENCODED_LEN];
                    match self.state.answer_link_wait(port, known_generation, &mut reply) {
                        Some((status, written)) => {
                            reply.truncate(written);
                            done.push(Completion { request, status, reply });
                        }
                        None => {
                            parked.push_front((request, kind));
                            more = false;
                            break;
                        }
                    }
                }
            }
            self.complete(done);
            if !more {
                break;
            }
        }
    }

    fn complete(&mut self, done: Vec<Completion>) {
        if !done.is_empty() {
            self.completion_rounds += 1;
        }
        for completion in done {
            assert!(
                !self.completions.iter().any(|c| c.request == completion.request),
                "request {} completed twice",
                completion.request
            );
            self.completions.push(completion);
        }
    }

    // ----------------------------------------------------------------------------------------
    // The child's PDO, as `pdo::evt_child_list_create_device` and the cleanups drive it.

    /// `EvtChildListCreateDevice` that succeeds; false if the bus refused the port.
    pub fn create_pdo(&mut self, port: u32) -> bool {
        let port_id = PortId(port);
        if !self.state.is_pending(port_id) {
            return false;
        }
        self.state.set_port_pdo(port_id);
        let (read, link) = (self.new_queue(), self.new_queue());
        self.pdos.insert(port, Pdo { read, link });
        if self.state.attach_port(port_id, Some(read), Some(link)) {
            true
        } else {
            // The framework deletes the PDO the failed creation made; its cleanup frees the row.
            self.delete_pdo(port);
            false
        }
    }

    /// `EvtChildListCreateDevice` failing before `WdfDeviceCreate`.
    pub fn fail_pdo_creation(&mut self, port: u32) -> bool {
        let port_id = PortId(port);
        if !self.state.is_pending(port_id) {
            return false;
        }
        self.state.forget_pending_port(port_id);
        true
    }

    /// The PDO is deleted: its queues' cleanups, then its own (`pdo::evt_parked_queue_cleanup`,
    /// `pdo::evt_port_device_cleanup`). The framework cancels what is still in the queues.
    pub fn delete_pdo(&mut self, port: u32) -> bool {
        let Some(pdo) = self.pdos.remove(&port) else { return false };
        // The framework deletes the PDO only once the requests its queues delivered have
        // completed; the reads the hub filled are completed by the serving DPC meanwhile.
        self.complete_filled(port);
        for queue in [pdo.read, pdo.link] {
            self.state.detach_queue(PortId(port), queue);
            let cancelled: Vec<Completion> = self
                .queues
                .remove(&queue)
                .unwrap_or_default()
                .into_iter()
                .map(|(request, _)| Completion { request, status: BusStatus::Cancelled, reply: Vec::new() })
                .collect();
            self.complete(cancelled);
        }
        self.state.forget_port(PortId(port));
        true
    }

    /// `EvtDeviceD0Exit` of the port's PDO (`pdo::evt_port_d0_exit`) for a sleep state: power
    /// the port down under the lock, then fail its parked reads outside it, in rounds. The status
    /// the callback returns (always success: a virtual port cannot fail to power down).
    pub fn d0_exit(&mut self, port: u32, target: DevicePower) -> BusStatus {
        let port_id = PortId(port);
        if let Ok(Some(read)) = self.state.set_port_power(port_id, target) {
            loop {
                let mut done = Vec::new();
                let more = self.drain_with(read, BusStatus::DevicePoweredOff, &mut done);
                self.complete(done);
                if !more {
                    break;
                }
            }
        }
        BusStatus::Success
    }

    /// `EvtDeviceD0Entry` of the port's PDO (`pdo::evt_port_d0_entry`).
    pub fn d0_entry(&mut self, port: u32) -> BusStatus {
        let _ = self.state.set_port_power(PortId(port), DevicePower::D0);
        BusStatus::Success
    }

    /// Only the read queue's cleanup has run.
    pub fn delete_read_queue(&mut self, port: u32) {
        let read = self.pdos[&port].read;
        self.state.detach_queue(PortId(port), read);
    }

    fn new_queue(&mut self) -> Queue {
        let queue = self.next_queue;
        self.next_queue += 1;
        self.queues.insert(queue, VecDeque::new());
        queue
    }

    // ----------------------------------------------------------------------------------------
    // The miniport's requests, as `io` routes them.

    /// `EvtIoRead`: served at once if the bus would (`BusState::serves_arriving_read`), else
    /// parked, or failed at once (a port that is gone, or whose device is powered down). Returns
    /// the request id.
    pub fn read(&mut self, port: u32) -> u64 {
        self.read_of(port, vwire_proto::DEFAULT_MAX_BATCH_BYTES)
    }

    /// [`Driver::read`] with a buffer of `length` bytes.
    pub fn read_of(&mut self, port: u32, length: usize) -> u64 {
        let request = self.new_request();
        self.reads.lengths.insert(request, length);
        match self.state.present_queues(PortId(port)).and_then(|queues| queues.read) {
            Some(queue) => match self.state.hub_mut().admit_io(PortId(port)) {
                Ok(()) if self.state.serves_arriving_read(PortId(port), self.now) => {
                    let mut buffer = vec![0u8; length];
                    let reply = match self.state.hub_mut().read_batch(PortId(port), &mut buffer, self.now) {
                        Ok(Some(n)) => {
                            Completion { request, status: BusStatus::Success, reply: buffer[..n].to_vec() }
                        }
                        other => panic!("a ready batch but {other:?}"),
                    };
                    self.served_at_once.push(request);
                    self.complete(vec![reply]);
                }
                Ok(()) => {
                    self.reads.port_of.insert(request, port);
                    self.queues.get_mut(&queue).expect("a live queue").push_back((request, Parked::Read))
                }
                Err(error) => {
                    self.complete(vec![Completion { request, status: error.into(), reply: Vec::new() }])
                }
            },
            None => self.complete(vec![Completion {
                request,
                status: BusStatus::NoSuchDevice,
                reply: Vec::new(),
            }]),
        }
        request
    }

    /// `EvtIoWrite` of one batch of `frames`, as `io::evt_io_write` serves it: the status it
    /// completes with.
    pub fn write(&mut self, port: u32, frames: &[Vec<u8>]) -> BusStatus {
        if self.state.present_queues(PortId(port)).is_none() {
            return BusStatus::NoSuchDevice;
        }
        let mut buffer = vec![0u8; vwire_proto::DEFAULT_MAX_BATCH_BYTES];
        let mut writer = vwire_proto::BatchWriter::new(&mut buffer).expect("room for a header");
        for frame in frames {
            writer.push(frame).expect("the frames fit one batch");
        }
        let length = writer.finish();
        let mut queues = StandInQueues { queues: &mut self.queues, reads: &mut self.reads };
        match self.state.write_through(PortId(port), &buffer[..length], self.now, &mut queues) {
            Ok(report) => {
                if report.delivered > 0 || self.state.filled_waiting() {
                    self.kicks += 1;
                }
                BusStatus::Success
            }
            Err(error) => error.into(),
        }
    }

    /// `IOCTL_VWIRE_WAIT_LINK_CHANGE` for `known_generation`: answered, parked, or failed.
    pub fn wait_link(&mut self, port: u32, known_generation: u32) -> u64 {
        let request = self.new_request();
        let mut input = [0u8; LinkWait::ENCODED_LEN];
        LinkWait { known_generation }.encode(&mut input).expect("encodable");
        let mut output = vec![0u8; LinkState::ENCODED_LEN];
        let port_id = PortId(port);
        let completion = match self.state.present_queues(port_id).map(|queues| queues.link) {
            None => Some((BusStatus::NoSuchDevice, 0)),
            Some(link) => {
                match self.state.hub_mut().handle_ioctl(
                    port_id,
                    IOCTL_VWIRE_WAIT_LINK_CHANGE,
                    &input,
                    &mut output,
                ) {
                    IoctlOutcome::Complete { status, information } => Some((status.into(), information)),
                    IoctlOutcome::PendLinkChange { known_generation } => match link {
                        Some(queue) => {
                            let parked = (request, Parked::LinkWait { known_generation });
                            self.queues.get_mut(&queue).expect("a live queue").push_back(parked);
                            None
                        }
                        None => Some((BusStatus::NoSuchDevice, 0)),
                    },
                }
            }
        };
        if let Some((status, written)) = completion {
            output.truncate(written);
            self.complete(vec![Completion { request, status, reply: output }]);
        }
        request
    }

    fn new_request(&mut self) -> u64 {
        let request = self.next_request;
        self.next_request += 1;
        request
    }

    /// Requests parked for `port`, in its read and link queues.
    pub fn parked(&self, port: u32) -> (usize, usize) {
        match self.pdos.get(&port) {
            None => (0, 0),
            Some(pdo) => (
                self.queues.get(&pdo.read).map_or(0, VecDeque::len),
                self.queues.get(&pdo.link).map_or(0, VecDeque::len),
            ),
        }
    }

    /// The completion of `request`, if it was completed.
    pub fn completion(&self, request: u64) -> Option<&Completion> {
        self.completions.iter().find(|c| c.request == request)
    }

    /// A port added and given its PDO: `Present`.
    pub fn present_port(&mut self) -> u32 {
        let added = self.add_port().expect("room for a port");
        assert!(self.create_pdo(added.port));
        added.port
    }
}

/// What the stand-in knows of the reads parked with it.
#[derive(Default)]
struct Reads {
    port_of: BTreeMap<u64, u32>,
    /// Each read's buffer, made when the hub first asks for it.
    buffers: BTreeMap<u64, Vec<u8>>,
    /// Each read's buffer length.
    lengths: BTreeMap<u64, usize>,
}

/// The framework's manual queues and request buffers, as `io.rs` calls them during a write.
struct StandInQueues<'a> {
    queues: &'a mut BTreeMap<Queue, VecDeque<(u64, Parked)>>,
    reads: &'a mut Reads,
}

impl ReadQueue<Queue, u64> for StandInQueues<'_> {
    fn retrieve(&mut self, queue: Queue) -> Option<u64> {
        let (request, kind) = self.queues.get_mut(&queue)?.pop_front()?;
        assert_eq!(kind, Parked::Read, "only reads are lent to the hub");
        let length =
            self.reads.lengths.get(&request).copied().unwrap_or(vwire_proto::DEFAULT_MAX_BATCH_BYTES);
        self.reads.buffers.entry(request).or_insert_with(|| vec![0u8; length]);
        Some(request)
    }

    fn buffer(&mut self, request: u64) -> Option<&mut [u8]> {
        self.reads.buffers.get_mut(&request).map(Vec::as_mut_slice)
    }
}
