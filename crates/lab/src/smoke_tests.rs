//! The smoke test of issue 9 played against the real driver in the model: `vwire_ctl::smoke::run`,
//! the exchange `vwire-ctl smoke` plays on Windows, over the bus's administrator interface
//! (`kernel_sim::Sim::bus_admin`: the request bytes decoded and carried out by the bus driver's own
//! portable code on the model's hub). The injected ARP and ICMP echo requests go up through the
//! driver's reads and receive indications to a smoltcp stack (the stand-in for the Windows stack),
//! whose replies come down through the driver's sends and writes into the port's capture.

use crate::stack::{Node, ip_of};
use kernel_sim::{AdapterId, NblShape, Sim, SimConfig};
use ndis_types::oid::OID_GEN_CURRENT_PACKET_FILTER;
use ndis_types::{NDIS_STATUS_SUCCESS, STATUS_SUCCESS};
use smoltcp::iface::SocketHandle;
use smoltcp::phy::ChecksumCapabilities;
use smoltcp::socket::icmp;
use smoltcp::wire::{
    EthernetFrame, EthernetProtocol, Icmpv4Message, Icmpv4Packet, Icmpv4Repr, IpAddress, IpProtocol,
    Ipv4Packet,
};
use std::net::Ipv4Addr;
use std::time::Duration;
use vwire_ctl::smoke::{self, Config, Step, Wire};
use vwire_proto::admin::{AdminRequest, CAPTURE_READ_OUTPUT, CaptureControl, CaptureReply, InjectFrame};

/// The driver in the model with one smoltcp stack above each adapter.
struct Model {
    sim: Sim,
    nodes: Vec<Node>,
}

impl Model {
    fn boot(adapters: usize, seed: u64) -> Model {
        let sim = Sim::new(SimConfig { seed, faults: Default::default() });
        assert_eq!(sim.load(kmdf_miniport::driver_entry), STATUS_SUCCESS);
        let mut nodes = Vec::new();
        for index in 0..adapters {
            let a = sim.add_adapter().expect("MiniportInitializeEx");
            assert_eq!(sim.restart(a), NDIS_STATUS_SUCCESS);
            let filter = sim.oid_set(a, OID_GEN_CURRENT_PACKET_FILTER, &crate::PACKET_FILTER.to_ne_bytes());
            assert_eq!(filter.status, NDIS_STATUS_SUCCESS);
            let mac: [u8; 6] =
                sim.general_attributes(a).unwrap().current_mac_address[..6].try_into().unwrap();
            nodes.push(Node::new(index, a, mac, seed, sim.now()));
        }
        Model { sim, nodes }
    }

    /// The hub port below `a`, as the administrator names it.
    fn port(&self, a: AdapterId) -> u32 {
        self.sim.hub_port(a).expect("a port below the adapter").0
    }

    /// One round, as the lab's: stacks run, their frames go down through their adapters, the model
    /// runs, what the adapters indicated goes up. True if frames moved.
    fn step(&mut self) -> bool {
        let now = self.sim.now();
        let mut moved = false;
        for node in &mut self.nodes {
            node.poll(now);
            let frames = std::mem::take(&mut node.dev.tx);
            if !frames.is_empty() {
                moved = true;
                self.sim.send_frames(node.adapter, &frames, NblShape::default());
                self.sim.run_until_idle();
            }
        }
        self.sim.run_until_idle();
        for node in &mut self.nodes {
            let frames = self.sim.take_received_frames(node.adapter);
            moved |= !frames.is_empty();
            node.dev.rx.extend(frames);
        }
        let _ = self.sim.retire_completed_sends();
        moved
    }

    /// An administrator request through the bus's admin path; the reply, or the status.
    fn admin(&self, request: AdminRequest<'_>) -> Result<Vec<u8>, String> {
        let mut input = vec![0u8; vwire_proto::admin::ADMIN_MAX_INPUT_LEN];
        let (code, len) = request.encode(&mut input).map_err(|e| e.to_string())?;
        let output_len = if let AdminRequest::CaptureRead { .. } = request {
            CAPTURE_READ_OUTPUT
        } else {
            request.output_len()
        };
        match self.sim.bus_admin(code, &input[..len], output_len) {
            (status, output) if status.is_success() => Ok(output),
            (status, _) => Err(format!("the bus answered {status:?} ({:#010x})", status.ntstatus())),
        }
    }

    fn read_capture(&self, port: u32) -> (CaptureReply, Vec<Vec<u8>>) {
        let reply = self.admin(AdminRequest::CaptureRead { port }).expect("capture read");
        let (head, batch) = CaptureReply::decode_with_frames(&reply).expect("a well-formed capture reply");
        (head, batch.frames().map(<[u8]>::to_vec).collect())
    }
}

/// One port of the model's bus as the smoke test sees it; waiting lets the model (and its virtual
/// clock) run.
struct ModelWire<'a> {
    model: &'a mut Model,
    port: u32,
    /// Capture reads that reported dropped frames.
    dropped: u32,
}

impl Wire for ModelWire<'_> {
    fn start_capture(&mut self) -> Result<(), String> {
        self.model
            .admin(AdminRequest::CaptureControl(CaptureControl { port: self.port, start: true }))
            .map(drop)
    }

    fn stop_capture(&mut self) -> Result<(), String> {
        self.model
            .admin(AdminRequest::CaptureControl(CaptureControl { port: self.port, start: false }))
            .map(drop)
    }

    fn inject(&mut self, frame: &[u8]) -> Result<(), String> {
        self.model.admin(AdminRequest::InjectFrame(InjectFrame { port: self.port, frame })).map(drop)
    }

    fn read_capture(&mut self, wait: Duration) -> Result<Vec<Vec<u8>>, String> {
        let deadline = self.model.sim.now() + wait;
        loop {
            let moved = self.model.step();
            let (head, frames) = self.model.read_capture(self.port);
            self.dropped = self.dropped.max(head.dropped);
            let now = self.model.sim.now();
            if !frames.is_empty() || now >= deadline {
                return Ok(frames);
            }
            if !moved {
                self.model.sim.advance_time((deadline - now).min(Duration::from_millis(1)));
            }
        }
    }

    fn now(&self) -> Duration {
        self.model.sim.now()
    }
}

fn target_of(index: usize) -> Ipv4Addr {
    Ipv4Addr::from(ip_of(index))
}

#[test]
fn the_smoke_test_gets_arp_and_echo_replies_through_the_driver() {
    let mut model = Model::boot(1, 9);
    let (adapter, mac) = (model.nodes[0].adapter, model.nodes[0].mac);
    let port = model.port(adapter);
    let config = Config { timeout: Duration::from_millis(500), ..Config::new(target_of(0)) };
    let mut log = Vec::new();
    let mut wire = ModelWire { model: &mut model, port, dropped: 0 };
    let outcome = smoke::run(&mut wire, &config, &mut |line| log.push(line))
        .unwrap_or_else(|e| panic!("{e}\n{log:#?}"));
    assert_eq!(wire.dropped, 0, "nothing lost from the capture");
    assert_eq!(outcome.adapter_mac, mac, "the MAC the driver reports to NDIS answered");
    assert_eq!(log.len(), 6, "{log:#?}");
    // Both requests went up through the driver's receive path, both replies down through its send
    // path: the adapter's own counters saw them.
    let counters = model.sim.hub_counters(adapter).unwrap();
    assert!(counters.rx_frames >= 2 && counters.tx_frames >= 2, "{counters:?}");
    assert!(model.sim.violations().is_empty(), "{:#?}", model.sim.violations());
    // The capture was stopped: what the stack sends now is not recorded.
    model.nodes[0].dev.tx.push(smoke::echo_reply(&config, mac));
    model.step();
    assert!(model.read_capture(port).1.is_empty());
}

#[test]
fn the_smoke_test_names_the_step_that_found_no_answer() {
    // Nobody has the address: no ARP reply.
    let mut model = Model::boot(1, 10);
    let port = model.port(model.nodes[0].adapter);
    let config = Config { timeout: Duration::from_millis(50), ..Config::new(Ipv4Addr::new(192, 0, 2, 77)) };
    let error =
        smoke::run(&mut ModelWire { model: &mut model, port, dropped: 0 }, &config, &mut |_| {}).unwrap_err();
    assert_eq!(error.step, Step::ArpReply, "{error}");

    // The port's link is down: the bus drops what is injected, as a wire would.
    model.sim.set_link(model.nodes[0].adapter, false);
    let config = Config { timeout: Duration::from_millis(50), ..Config::new(target_of(0)) };
    let error =
        smoke::run(&mut ModelWire { model: &mut model, port, dropped: 0 }, &config, &mut |_| {}).unwrap_err();
    assert_eq!(error.step, Step::ArpReply, "{error}");

    // A port that does not exist: the bus refuses the capture.
    let error = smoke::run(&mut ModelWire { model: &mut model, port: 999, dropped: 0 }, &config, &mut |_| {})
        .unwrap_err();
    assert_eq!(error.step, Step::StartCapture, "{error}");
    assert!(error.message.contains("NoSuchDevice"), "{error}");
}

/// ICMP echo messages in `frames` from `src` to `dst`: (requests, replies).
fn echoes(frames: &[Vec<u8>], src: [u8; 4], dst: [u8; 4]) -> (usize, usize) {
    let (mut requests, mut replies) = (0, 0);
    for frame in frames {
        let Ok(eth) = EthernetFrame::new_checked(&frame[..]) else { continue };
        if eth.ethertype() != EthernetProtocol::Ipv4 {
            continue;
        }
        let Ok(ip) = Ipv4Packet::new_checked(eth.payload()) else { continue };
        if ip.next_header() != IpProtocol::Icmp
            || ip.src_addr().octets() != src
            || ip.dst_addr().octets() != dst
        {
            continue;
        }
        let Ok(icmp) = Icmpv4Packet::new_checked(ip.payload()) else { continue };
        match icmp.msg_type() {
            Icmpv4Message::EchoRequest => requests += 1,
            Icmpv4Message::EchoReply => replies += 1,
            _ => {}
        }
    }
    (requests, replies)
}

/// Pings from `from` to `to` with the stack's own ICMP socket (ident `0x5000 + from`); returns the
/// socket's handle.
fn add_pinger(model: &mut Model, from: usize) -> SocketHandle {
    let mut socket = icmp::Socket::new(
        icmp::PacketBuffer::new(vec![icmp::PacketMetadata::EMPTY; 4], vec![0; 1024]),
        icmp::PacketBuffer::new(vec![icmp::PacketMetadata::EMPTY; 4], vec![0; 1024]),
    );
    socket.bind(icmp::Endpoint::Ident(0x5000 + from as u16)).unwrap();
    model.nodes[from].sockets.add(socket)
}

/// Sends echo request `seq` from node `from` to node `to` if the socket can, else nothing.
fn ping(model: &mut Model, from: usize, to: usize, handle: SocketHandle, seq: u16) -> bool {
    let socket = model.nodes[from].sockets.get_mut::<icmp::Socket>(handle);
    let repr =
        Icmpv4Repr::EchoRequest { ident: 0x5000 + from as u16, seq_no: seq, data: b"ping between adapters" };
    let Ok(buffer) = socket.send(repr.buffer_len(), IpAddress::Ipv4(target_of(to))) else { return false };
    repr.emit(&mut Icmpv4Packet::new_unchecked(buffer), &ChecksumCapabilities::default());
    true
}

#[test]
fn two_adapters_pinging_each_other_show_up_in_the_capture() {
    let mut model = Model::boot(2, 11);
    let pingers = [add_pinger(&mut model, 0), add_pinger(&mut model, 1)];
    let port = model.port(model.nodes[0].adapter);
    model.admin(AdminRequest::CaptureControl(CaptureControl { port, start: true })).unwrap();
    let mut captured = Vec::new();
    let (mut sent, mut replies) = ([0u16; 2], [0usize; 2]);
    let start = model.sim.now();
    while replies.iter().any(|&r| r < 3) {
        assert!(model.sim.now() - start < Duration::from_secs(2), "replies {replies:?}");
        for from in 0..2 {
            if usize::from(sent[from]) == replies[from]
                && ping(&mut model, from, 1 - from, pingers[from], sent[from])
            {
                sent[from] += 1;
            }
        }
        if !model.step() {
            model.sim.advance_time(Duration::from_millis(1));
        }
        for from in 0..2 {
            let socket = model.nodes[from].sockets.get_mut::<icmp::Socket>(pingers[from]);
            while let Ok((reply, source)) = socket.recv() {
                assert_eq!(source, IpAddress::Ipv4(target_of(1 - from)));
                let packet = Icmpv4Packet::new_checked(reply).unwrap();
                assert_eq!(packet.msg_type(), Icmpv4Message::EchoReply);
                replies[from] += 1;
            }
        }
        let (head, frames) = model.read_capture(port);
        assert_eq!(head.dropped, 0);
        captured.extend(frames);
    }
    // Adapter 0's own pings to 1, and its replies to 1's pings, exactly as many as were answered.
    assert_eq!(echoes(&captured, ip_of(0), ip_of(1)), (replies[0], replies[1]));
    // Only what adapter 0 writes: nothing from 1.
    assert_eq!(echoes(&captured, ip_of(1), ip_of(0)), (0, 0));
    assert!(model.sim.violations().is_empty(), "{:#?}", model.sim.violations());
}
