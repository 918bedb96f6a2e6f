//! Random sequences of administrator requests (well-formed and not), child-device events and
//! miniport requests against the bus, checked step by step against a small model of each port's
//! life, and for the invariants the Windows driver relies on: the port table and the hub agree, no
//! request is completed twice, nothing stays parked on a port that no longer serves I/O, and
//! malformed input changes nothing. The frame operations (inject, capture control and read, with
//! the adapter's writes that feed the capture) are checked against a model of each port's capture.

mod bus_driver;

use std::collections::BTreeMap;

use bus_driver::{Driver, Parked};
use proptest::prelude::*;
use vwire_bus::PortId;
use vwire_bus::bus::{BusStatus, MAX_PORTS, PortState};
use vwire_bus::control::{
    AdminRequest, CaptureControl, CaptureReply, IOCTL_VWIRE_BUS_ADD_PORT, IOCTL_VWIRE_BUS_CAPTURE_CONTROL,
    IOCTL_VWIRE_BUS_CAPTURE_READ, IOCTL_VWIRE_BUS_INJECT_FRAME, IOCTL_VWIRE_BUS_REMOVE_PORT,
    IOCTL_VWIRE_BUS_SET_FAULTS, IOCTL_VWIRE_BUS_SET_LINK, IOCTL_VWIRE_BUS_SET_SPEED, InjectFrame, SetFaults,
    SetLink, SetSpeed,
};
use vwire_proto::BatchWriter;

/// Frames a port's capture buffer holds in these runs (`HubConfig::capture_frames`).
const CAPTURE_FRAMES: usize = 3;

#[derive(Clone, Debug)]
enum Op {
    Add,
    RefuseNextChild,
    Remove(usize),
    SetLink(usize, bool),
    /// One of four speeds, so that a run sets a port to the speed it has too.
    SetSpeed(usize, u8),
    SetFaults(usize, bool),
    CreatePdo(usize),
    FailPdoCreation(usize),
    DeletePdo(usize),
    Read(usize),
    /// `true`: a wait that knows the current generation (parks); `false`: one that knows none.
    WaitLink(usize, bool),
    Raw(u32, Vec<u8>, usize),
    /// Inject a frame of `14 + n % 1501` bytes.
    Inject(usize, usize),
    Capture(usize, bool),
    CaptureRead(usize),
    /// The port's adapter writes one frame (what a capture records).
    Write(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let code = prop_oneof![
        Just(IOCTL_VWIRE_BUS_ADD_PORT),
        Just(IOCTL_VWIRE_BUS_REMOVE_PORT),
        Just(IOCTL_VWIRE_BUS_SET_LINK),
        Just(IOCTL_VWIRE_BUS_SET_FAULTS),
        Just(IOCTL_VWIRE_BUS_INJECT_FRAME),
        Just(IOCTL_VWIRE_BUS_CAPTURE_CONTROL),
        Just(IOCTL_VWIRE_BUS_CAPTURE_READ),
        Just(IOCTL_VWIRE_BUS_SET_SPEED),
        any::<u32>(),
    ];
    prop_oneof![
        6 => Just(Op::Add),
        1 => Just(Op::RefuseNextChild),
        3 => any::<usize>().prop_map(Op::Remove),
        3 => (any::<usize>(), any::<bool>()).prop_map(|(p, up)| Op::SetLink(p, up)),
        2 => (any::<usize>(), any::<u8>()).prop_map(|(p, speed)| Op::SetSpeed(p, speed)),
        2 => (any::<usize>(), any::<bool>()).prop_map(|(p, stall)| Op::SetFaults(p, stall)),
        5 => any::<usize>().prop_map(Op::CreatePdo),
        1 => any::<usize>().prop_map(Op::FailPdoCreation),
        2 => any::<usize>().prop_map(Op::DeletePdo),
        4 => any::<usize>().prop_map(Op::Read),
        4 => (any::<usize>(), any::<bool>()).prop_map(|(p, current)| Op::WaitLink(p, current)),
        3 => (code, proptest::collection::vec(any::<u8>(), 0..80), 0usize..40)
            .prop_map(|(code, input, out)| Op::Raw(code, input, out)),
        3 => (any::<usize>(), any::<usize>()).prop_map(|(p, n)| Op::Inject(p, n)),
        2 => (any::<usize>(), any::<bool>()).prop_map(|(p, start)| Op::Capture(p, start)),
        2 => any::<usize>().prop_map(Op::CaptureRead),
        3 => any::<usize>().prop_map(Op::Write),
    ]
}

/// Every hub port's link state and speed.
type PortLinks = Vec<(PortId, Option<vwire_proto::LinkState>, Option<u64>)>;

fn port_links(bus: &Driver) -> PortLinks {
    let hub = bus.state.hub();
    hub.ports().map(|p| (p, hub.link_state(p).ok(), hub.speed(p).ok())).collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Model {
    state: PortState,
    has_pdo: bool,
}

struct Run {
    bus: Driver,
    model: BTreeMap<u32, Model>,
    /// Every id ever handed out, so operations also hit ports that are gone.
    known: Vec<u32>,
    /// Requests parked per port, with what they wait for.
    parked: BTreeMap<u32, Vec<(u64, Parked)>>,
    refuse_next: bool,
    /// Ports reported present on the child list and not reported missing. A PDO's deletion or a
    /// failed creation is the framework's business and reports nothing.
    children: std::collections::BTreeSet<u32>,
    /// Per port with a row: (capturing, frames captured and not read, dropped since the start).
    captures: BTreeMap<u32, (bool, usize, u64)>,
}

impl Run {
    /// `IOCTL_VWIRE_BUS_INJECT_FRAME`: refused for a port that cannot be configured; else the frame
    /// is queued (and the serving DPC kicked) or dropped and counted (link down, queue full).
    fn inject(&mut self, port: u32, n: usize) {
        let frame: Vec<u8> = (0..14 + n % 1501).map(|i| i as u8).collect();
        self.inject_frame(port, &frame);
    }

    fn inject_frame(&mut self, port: u32, frame: &[u8]) {
        let id = PortId(port);
        let before = self.bus.state.hub().admin_counters(id).ok();
        let queued_before = self.bus.state.hub().pending_frames(id);
        let kicks = self.bus.kicks;
        let status = self.bus.admin(AdminRequest::InjectFrame(InjectFrame { port, frame })).status;
        assert_eq!(status, self.configurable(port), "inject into {port}");
        let after = self.bus.state.hub().admin_counters(id).ok();
        if status != BusStatus::Success {
            assert_eq!(before, after, "a refused inject changes nothing");
            assert_eq!(self.bus.kicks, kicks);
            return;
        }
        let (before, after) = (before.unwrap(), after.unwrap());
        let queued = after.injected == before.injected + 1;
        let link_down = after.inject_dropped_link_down == before.inject_dropped_link_down + 1;
        let full = after.inject_dropped_queue_full == before.inject_dropped_queue_full + 1;
        assert_eq!(u8::from(queued) + u8::from(link_down) + u8::from(full), 1, "counted exactly once");
        let up = self.bus.state.hub().link_state(id).unwrap().is_up();
        assert_eq!(link_down, !up, "dropped for the link exactly when it is down");
        assert_eq!(self.bus.state.hub().pending_frames(id), queued_before + usize::from(queued));
        assert_eq!(self.bus.kicks, kicks + usize::from(queued), "the serving DPC serves what was queued");
    }

    fn capture(&mut self, port: u32, start: bool) {
        let status = self.bus.admin(AdminRequest::CaptureControl(CaptureControl { port, start })).status;
        assert_eq!(status, self.configurable(port), "capture control of {port}");
        if status == BusStatus::Success {
            let entry = self.captures.entry(port).or_insert((false, 0, 0));
            *entry = if start { (true, 0, 0) } else { (false, entry.1, entry.2) };
            assert_eq!(self.bus.state.hub().is_capturing(PortId(port)), Ok(start));
        }
    }

    fn capture_read(&mut self, port: u32) {
        let reply = self.bus.admin(AdminRequest::CaptureRead { port });
        let has_row = self.model.contains_key(&port);
        assert_eq!(reply.status, if has_row { BusStatus::Success } else { BusStatus::NoSuchDevice });
        if !has_row {
            assert!(reply.output.is_empty());
            return;
        }
        let (head, batch) = CaptureReply::decode_with_frames(&reply.output).expect("a well-formed reply");
        let (on, frames, dropped) = self.captures.get(&port).copied().unwrap_or((false, 0, 0));
        assert_eq!(head.port, port);
        assert_eq!((batch.frame_count(), head.pending, u64::from(head.dropped)), (frames, 0, dropped));
        assert!(batch.frames().all(|frame| frame[6..12] == self.bus.state.hub().mac(PortId(port)).unwrap()));
        self.captures.insert(port, (on, 0, dropped));
    }

    /// The adapter above `port` writes one frame from its own address: a capture records it.
    fn write(&mut self, port: u32) {
        let id = PortId(port);
        let Ok(mac) = self.bus.state.hub().mac(id) else { return };
        if self.model.get(&port).is_none_or(|m| m.state != PortState::Present) {
            return;
        }
        let mut frame = vec![0xFFu8; 60];
        frame[6..12].copy_from_slice(&mac);
        let mut buffer = vec![0u8; 256];
        let mut writer = BatchWriter::new(&mut buffer).unwrap();
        writer.push(&frame).unwrap();
        let length = writer.finish();
        let now = self.bus.now;
        self.bus.state.hub_mut().write_batch(id, &buffer[..length], now).expect("a well-formed batch");
        if let Some((true, frames, dropped)) = self.captures.get_mut(&port) {
            if *frames == CAPTURE_FRAMES {
                *dropped += 1;
            } else {
                *frames += 1;
            }
        }
    }

    fn pick(&self, selector: usize) -> u32 {
        // One extra choice: a port that never existed.
        self.known.get(selector % (self.known.len() + 1)).copied().unwrap_or(0xDEAD_0000)
    }

    /// The status a configuring request (set link, set faults) must get.
    fn configurable(&self, port: u32) -> BusStatus {
        match self.model.get(&port) {
            Some(m) if m.state != PortState::Unplugged => BusStatus::Success,
            _ => BusStatus::NoSuchDevice,
        }
    }

    fn add(&mut self) {
        let result = self.bus.add_port();
        let refused = std::mem::take(&mut self.refuse_next);
        if self.model.len() == MAX_PORTS {
            assert_eq!(result, Err(BusStatus::QuotaExceeded));
            // A refusal not consumed by a full table waits for the next add.
            self.refuse_next = refused;
            return;
        }
        if refused {
            assert_eq!(result, Err(BusStatus::ObjectNameCollision));
            return;
        }
        let added = result.expect("room for a port");
        assert!(self.known.iter().all(|&p| p < added.port), "ids grow and are never reused");
        self.known.push(added.port);
        self.children.insert(added.port);
        self.model.insert(added.port, Model { state: PortState::Pending, has_pdo: false });
    }

    fn remove(&mut self, port: u32) {
        let expected = match self.model.get(&port).map(|m| m.state) {
            None | Some(PortState::Unplugged) => BusStatus::NoSuchDevice,
            Some(PortState::Pending) => BusStatus::DeviceNotReady,
            Some(PortState::Present) => BusStatus::Success,
        };
        let status = self.bus.admin(AdminRequest::RemovePort { port }).status;
        assert_eq!(status, expected, "remove port {port}");
        if status == BusStatus::Success {
            self.model.get_mut(&port).expect("modelled").state = PortState::Unplugged;
            assert!(self.children.remove(&port), "reported missing once");
            for (request, _) in self.parked.remove(&port).unwrap_or_default() {
                assert_eq!(self.bus.completion(request).map(|c| c.status), Some(BusStatus::NoSuchDevice));
            }
        }
    }

    fn set_link(&mut self, port: u32, up: bool) {
        let before = self.bus.state.hub().link_state(PortId(port)).ok();
        let status = self.bus.admin(AdminRequest::SetLink(SetLink { port, up })).status;
        assert_eq!(status, self.configurable(port), "set link of {port}");
        let after = self.bus.state.hub().link_state(PortId(port)).ok();
        if status != BusStatus::Success {
            assert_eq!(before, after, "a refused request changes nothing");
            return;
        }
        let after = after.expect("a configurable port is in the hub");
        assert_eq!(after.is_up(), up);
        self.check_link_waits_answered(port, before, after);
    }

    /// `IOCTL_VWIRE_BUS_SET_SPEED`: the port's speed and nothing else of it or of any other port
    /// changes; a change is a new generation that answers every parked link wait.
    fn set_speed(&mut self, port: u32, speed_bps: u64) {
        let before_all = port_links(&self.bus);
        let speed_before = before_all.iter().find(|(id, _, _)| id.0 == port).and_then(|(_, _, speed)| *speed);
        let before = self.bus.state.hub().link_state(PortId(port)).ok();
        let status = self.bus.admin(AdminRequest::SetSpeed(SetSpeed { port, speed_bps })).status;
        assert_eq!(status, self.configurable(port), "set speed of {port}");
        let after = self.bus.state.hub().link_state(PortId(port)).ok();
        if status != BusStatus::Success {
            assert_eq!(port_links(&self.bus), before_all, "a refused request changes nothing");
            return;
        }
        for ((id, link_was, speed_was), (_, link_now, speed_now)) in
            before_all.iter().zip(port_links(&self.bus))
        {
            if id.0 != port {
                assert_eq!((*link_was, *speed_was), (link_now, speed_now), "port {} untouched", id.0);
            }
        }
        assert_eq!(self.bus.state.hub().speed(PortId(port)), Ok(speed_bps));
        let (before, after) = (before.expect("configurable"), after.expect("configurable"));
        assert_eq!(after.is_up(), before.is_up(), "the speed is not the link");
        let changed = before.generation != after.generation;
        assert_eq!(changed, speed_before != Some(speed_bps));
        if after.is_up() {
            assert_eq!(after.speed_bps, speed_bps);
        }
        self.check_link_waits_answered(port, Some(before), after);
    }

    /// After a link or speed request: if the generation moved, every wait parked on `port` knew
    /// the old one and is answered with the new state.
    fn check_link_waits_answered(
        &mut self,
        port: u32,
        before: Option<vwire_proto::LinkState>,
        after: vwire_proto::LinkState,
    ) {
        if before.map(|b| b.generation) != Some(after.generation) {
            // Every parked wait knew the old generation: all are answered with the new state.
            let waits: Vec<u64> = self
                .parked
                .get_mut(&port)
                .map(|parked| {
                    let (waits, reads): (Vec<_>, Vec<_>) =
                        parked.drain(..).partition(|(_, kind)| matches!(kind, Parked::LinkWait { .. }));
                    *parked = reads;
                    waits.into_iter().map(|(request, _)| request).collect()
                })
                .unwrap_or_default();
            for request in waits {
                let completion = self.bus.completion(request).expect("answered");
                assert_eq!(completion.status, BusStatus::Success);
                let state = vwire_proto::LinkState::decode(&completion.reply).unwrap();
                assert_eq!(state.generation, after.generation);
            }
        }
    }

    fn set_faults(&mut self, port: u32, stall: bool) {
        let before = self.bus.state.hub().faults(PortId(port)).ok();
        let kicks = self.bus.kicks;
        let request = AdminRequest::SetFaults(SetFaults { port, stall, delay_us: 3, ..SetFaults::default() });
        let status = self.bus.admin(request).status;
        assert_eq!(status, self.configurable(port), "set faults of {port}");
        let after = self.bus.state.hub().faults(PortId(port)).ok();
        if status == BusStatus::Success {
            assert_eq!(after.map(|f| (f.stall, f.delay_ticks)), Some((stall, 30)));
            assert_eq!(self.bus.kicks, kicks + 1);
        } else {
            assert_eq!(before, after);
            assert_eq!(self.bus.kicks, kicks);
        }
    }

    fn create_pdo(&mut self, port: u32) {
        let admitted = self.model.get(&port).is_some_and(|m| m.state == PortState::Pending && !m.has_pdo);
        assert_eq!(self.bus.create_pdo(port), admitted, "PDO for {port}");
        if admitted {
            self.model.insert(port, Model { state: PortState::Present, has_pdo: true });
        }
    }

    fn fail_pdo_creation(&mut self, port: u32) {
        let admitted = self.model.get(&port).is_some_and(|m| m.state == PortState::Pending && !m.has_pdo);
        assert_eq!(self.bus.fail_pdo_creation(port), admitted);
        if admitted {
            self.model.remove(&port);
        }
    }

    fn delete_pdo(&mut self, port: u32) {
        let has_pdo = self.model.get(&port).is_some_and(|m| m.has_pdo);
        assert_eq!(self.bus.delete_pdo(port), has_pdo);
        if has_pdo {
            self.model.remove(&port);
            // The framework cancels what was still parked.
            for (request, _) in self.parked.remove(&port).unwrap_or_default() {
                assert_eq!(self.bus.completion(request).map(|c| c.status), Some(BusStatus::Cancelled));
            }
        }
    }

    fn read(&mut self, port: u32) {
        let ready = self.bus.state.hub().next_ready_time(PortId(port)).is_some_and(|due| due <= self.bus.now);
        let request = self.bus.read(port);
        if self.model.get(&port).is_some_and(|m| m.state == PortState::Present) {
            if ready && self.bus.state.hub().power(PortId(port)).is_ok_and(|p| p.is_powered()) {
                assert_eq!(
                    self.bus.completion(request).map(|c| c.status),
                    Some(BusStatus::Success),
                    "a batch ready"
                );
                return;
            }
            assert_eq!(self.bus.completion(request), None, "nothing to read: parked");
            self.parked.entry(port).or_default().push((request, Parked::Read));
        } else {
            assert_eq!(self.bus.completion(request).map(|c| c.status), Some(BusStatus::NoSuchDevice));
        }
    }

    fn wait_link(&mut self, port: u32, current: bool) {
        let generation = self.bus.state.hub().link_state(PortId(port)).map_or(0, |link| link.generation);
        let known = if current { generation } else { 0 };
        let request = self.bus.wait_link(port, known);
        let present = self.model.get(&port).is_some_and(|m| m.state == PortState::Present);
        match (present, current) {
            (true, true) => {
                assert_eq!(self.bus.completion(request), None, "nothing new: parked");
                self.parked
                    .entry(port)
                    .or_default()
                    .push((request, Parked::LinkWait { known_generation: known }));
            }
            (true, false) => {
                assert_eq!(self.bus.completion(request).map(|c| c.status), Some(BusStatus::Success))
            }
            (false, _) => {
                assert_eq!(self.bus.completion(request).map(|c| c.status), Some(BusStatus::NoSuchDevice));
            }
        }
    }

    /// Arbitrary bytes: if they decode, they are the request they spell (applied through the model);
    /// if not, they get the decoder's status and change nothing.
    fn raw(&mut self, code: u32, input: &[u8], output_len: usize) {
        if let Ok(request) = AdminRequest::decode(code, input)
            && output_len >= request.output_len()
        {
            match request {
                AdminRequest::AddPort => self.add(),
                AdminRequest::RemovePort { port } => self.remove(port),
                AdminRequest::SetLink(SetLink { port, up }) => self.set_link(port, up),
                AdminRequest::SetSpeed(SetSpeed { port, speed_bps }) => self.set_speed(port, speed_bps),
                // Other fault values than `set_faults` writes: checked for the status only.
                AdminRequest::SetFaults(faults) => {
                    let status = self.bus.admin_raw(code, input, output_len).status;
                    assert_eq!(status, self.configurable(faults.port));
                }
                AdminRequest::InjectFrame(InjectFrame { port, frame }) => self.inject_frame(port, frame),
                AdminRequest::CaptureControl(CaptureControl { port, start }) => self.capture(port, start),
                AdminRequest::CaptureRead { port } => self.capture_read(port),
            }
            return;
        }
        let before: Vec<_> = self.bus.state.ports().collect();
        let kicks = self.bus.kicks;
        let reply = self.bus.admin_raw(code, input, output_len);
        let expected = match AdminRequest::decode(code, input) {
            _ if input.len() > vwire_bus::bus::ADMIN_INPUT_MAX => BusStatus::InvalidParameter,
            Err(error) => BusStatus::from(error),
            Ok(_) => BusStatus::BufferTooSmall,
        };
        assert_eq!(reply.status, expected, "code {code:#x}, {} bytes", input.len());
        assert!(reply.output.is_empty());
        assert_eq!(self.bus.state.ports().collect::<Vec<_>>(), before, "malformed input changes nothing");
        assert_eq!(self.bus.kicks, kicks);
    }

    fn check(&self) {
        let table: BTreeMap<u32, PortState> = self.bus.state.ports().map(|(p, s)| (p.0, s)).collect();
        let modelled: BTreeMap<u32, PortState> = self.model.iter().map(|(&p, m)| (p, m.state)).collect();
        assert_eq!(table, modelled, "the port table follows each port's life");
        assert_eq!(self.bus.state.ports().count(), table.len(), "no port has two rows");
        assert!(table.len() <= MAX_PORTS);

        let mut hub: Vec<u32> = self.bus.state.hub().ports().map(|p| p.0).collect();
        hub.sort_unstable();
        assert_eq!(hub, table.keys().copied().collect::<Vec<_>>(), "a hub port exactly for each row");

        for (&port, m) in &self.model {
            let present = self.bus.state.present_queues(PortId(port));
            assert_eq!(present.is_some(), m.state == PortState::Present, "I/O routed only to present ports");
            let (reads, waits) = self.bus.parked(port);
            let expected = self.parked.get(&port).map_or((0, 0), |parked| {
                let waits = parked.iter().filter(|(_, kind)| matches!(kind, Parked::LinkWait { .. })).count();
                (parked.len() - waits, waits)
            });
            assert_eq!((reads, waits), expected, "parked requests of port {port}");
            if m.state != PortState::Present {
                assert_eq!((reads, waits), (0, 0), "nothing stays parked on a port that serves no I/O");
            }
        }
        assert_eq!(self.bus.children, self.children, "children reported present");
        for (&port, &(on, _, _)) in &self.captures {
            if self.model.contains_key(&port) {
                assert_eq!(self.bus.state.hub().is_capturing(PortId(port)), Ok(on));
            }
        }
    }
}

proptest! {
    #[test]
    fn random_admin_and_device_sequences_keep_the_table_the_hub_and_the_requests_consistent(
        ops in proptest::collection::vec(op(), 1..80)
    ) {
        let mut run = Run {
            bus: Driver::with_hub(vwire_bus::HubConfig {
                max_ports: MAX_PORTS,
                queue_frames: 4,
                capture_frames: CAPTURE_FRAMES,
                ..vwire_bus::HubConfig::default()
            }),
            model: BTreeMap::new(),
            known: Vec::new(),
            parked: BTreeMap::new(),
            refuse_next: false,
            children: std::collections::BTreeSet::new(),
            captures: BTreeMap::new(),
        };
        for op in ops {
            match op {
                Op::Add => run.add(),
                Op::RefuseNextChild => {
                    run.bus.refuse_next_child = Some(BusStatus::ObjectNameCollision);
                    run.refuse_next = true;
                }
                Op::Remove(p) => run.remove(run.pick(p)),
                Op::SetLink(p, up) => run.set_link(run.pick(p), up),
                Op::SetSpeed(p, speed) => {
                    let speed_bps = [10_000_000, 100_000_000, 1_000_000_000, 10_000_000_000][usize::from(speed % 4)];
                    run.set_speed(run.pick(p), speed_bps)
                }
                Op::SetFaults(p, stall) => run.set_faults(run.pick(p), stall),
                Op::CreatePdo(p) => run.create_pdo(run.pick(p)),
                Op::FailPdoCreation(p) => run.fail_pdo_creation(run.pick(p)),
                Op::DeletePdo(p) => run.delete_pdo(run.pick(p)),
                Op::Read(p) => run.read(run.pick(p)),
                Op::WaitLink(p, current) => run.wait_link(run.pick(p), current),
                Op::Raw(code, input, out) => run.raw(code, &input, out),
                Op::Inject(p, n) => run.inject(run.pick(p), n),
                Op::Capture(p, start) => run.capture(run.pick(p), start),
                Op::CaptureRead(p) => run.capture_read(run.pick(p)),
                Op::Write(p) => run.write(run.pick(p)),
            }
            // A port's capture goes with its row (and its hub port).
            let model = &run.model;
            run.captures.retain(|port, _| model.contains_key(port));
            run.check();
        }
    }
}
