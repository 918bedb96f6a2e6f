//! The smoke test with no second machine (issue 9 part 3; Microsoft's win-net-test does the same with
//! its functional test miniport): capture what a port's adapter sends, inject an ARP request for the
//! adapter's address as if a host on the wire asked, learn the adapter's MAC address from the stack's
//! ARP reply, inject an ICMP echo request and check the stack's echo reply.
//!
//! The frames are built and checked with smoltcp's `wire` module: ARP (RFC 826), IPv4 (RFC 791, the
//! header checksum), ICMP echo (RFC 792, the ICMP checksum). The exchange runs over any [`Wire`]:
//! the bus's admin IOCTLs on Windows (`vwire-ctl smoke`), the host model's bus in miniport-lab's tests,
//! so both play exactly this code.
//!
//! Defaults: we are `02-00-5e-10-00-01` (locally administered, unicast) at the target's /24 with host
//! part .254 (.253 if the target is .254 itself) — an address on the adapter's own subnet, so the stack
//! answers on-link without a route.

use std::fmt;
use std::net::Ipv4Addr;
use std::time::Duration;

use smoltcp::phy::ChecksumCapabilities;
use smoltcp::wire::{
    ArpOperation, ArpPacket, ArpRepr, EthernetAddress, EthernetFrame, EthernetProtocol, EthernetRepr,
    Icmpv4Packet, Icmpv4Repr, IpProtocol, Ipv4Packet, Ipv4Repr,
};

/// Our default MAC address: locally administered, unicast.
pub const DEFAULT_SOURCE_MAC: [u8; 6] = [0x02, 0x00, 0x5e, 0x10, 0x00, 0x01];
/// The echo request's identifier ("vw").
pub const ECHO_IDENT: u16 = 0x7677;
/// The echo request's sequence number.
pub const ECHO_SEQ: u16 = 1;
/// The echo request's payload, which the reply must carry back unchanged.
pub const ECHO_PAYLOAD: &[u8; 32] = b"vwire-ctl smoke 0123456789abcdef";
/// Shortest frame on an Ethernet wire without its FCS: shorter frames are padded with zeros (IEEE
/// 802.3 pad), as a host on the wire would send them.
pub const MIN_WIRE_FRAME: usize = 60;
/// How long each `read_capture` of the exchange waits at most, so the overall timeout is kept to.
pub const POLL: Duration = Duration::from_millis(50);

/// Our default address next to `target`: its /24, host part .254 (.253 if that is the target).
pub fn default_source_ip(target: Ipv4Addr) -> Ipv4Addr {
    let [a, b, c, d] = target.octets();
    Ipv4Addr::new(a, b, c, if d == 254 { 253 } else { 254 })
}

/// Who we are and whom we ask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// The adapter's address (the one the stack above the port answers for).
    pub target_ip: Ipv4Addr,
    /// Our address.
    pub source_ip: Ipv4Addr,
    /// Our MAC address.
    pub source_mac: [u8; 6],
    /// How long each reply may take.
    pub timeout: Duration,
}

impl Config {
    /// The defaults for `target_ip`.
    pub fn new(target_ip: Ipv4Addr) -> Self {
        Config {
            target_ip,
            source_ip: default_source_ip(target_ip),
            source_mac: DEFAULT_SOURCE_MAC,
            timeout: Duration::from_secs(5),
        }
    }
}

/// The port's side of the exchange: the bus's frame operations on one port.
pub trait Wire {
    /// `IOCTL_VWIRE_BUS_CAPTURE_CONTROL`, start.
    fn start_capture(&mut self) -> Result<(), String>;
    /// `IOCTL_VWIRE_BUS_CAPTURE_CONTROL`, stop.
    fn stop_capture(&mut self) -> Result<(), String>;
    /// `IOCTL_VWIRE_BUS_INJECT_FRAME`.
    fn inject(&mut self, frame: &[u8]) -> Result<(), String>;
    /// `IOCTL_VWIRE_BUS_CAPTURE_READ` until at least one frame was captured or `wait` has passed;
    /// the frames, oldest first (none on timeout).
    fn read_capture(&mut self, wait: Duration) -> Result<Vec<Vec<u8>>, String>;
    /// The clock `read_capture` waits by (any origin).
    fn now(&self) -> Duration;
}

/// A step of the exchange, named in the failure message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Starting the capture.
    StartCapture,
    /// Injecting the ARP request.
    InjectArpRequest,
    /// Waiting for the ARP reply.
    ArpReply,
    /// Injecting the ICMP echo request.
    InjectEchoRequest,
    /// Waiting for the ICMP echo reply.
    EchoReply,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Step::StartCapture => "start capture",
            Step::InjectArpRequest => "inject ARP request",
            Step::ArpReply => "ARP reply",
            Step::InjectEchoRequest => "inject ICMP echo request",
            Step::EchoReply => "ICMP echo reply",
        })
    }
}

/// Why the smoke test failed: the step and what went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmokeError {
    /// The step that failed.
    pub step: Step,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for SmokeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "smoke test failed at step \"{}\": {}", self.step, self.message)
    }
}

impl std::error::Error for SmokeError {}

/// What a successful exchange found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The adapter's MAC address, from its ARP reply.
    pub adapter_mac: [u8; 6],
    /// From injecting the echo request to capturing the reply, on the wire's clock.
    pub echo_time: Duration,
}

fn pad(mut frame: Vec<u8>) -> Vec<u8> {
    if frame.len() < MIN_WIRE_FRAME {
        frame.resize(MIN_WIRE_FRAME, 0);
    }
    frame
}

/// The broadcast ARP request "who has `target_ip`? tell `source_ip`" from `source_mac`, padded to 60
/// bytes.
pub fn arp_request(config: &Config) -> Vec<u8> {
    let arp = ArpRepr::EthernetIpv4 {
        operation: ArpOperation::Request,
        source_hardware_addr: EthernetAddress(config.source_mac),
        source_protocol_addr: config.source_ip,
        target_hardware_addr: EthernetAddress([0; 6]),
        target_protocol_addr: config.target_ip,
    };
    let ethernet = EthernetRepr {
        src_addr: EthernetAddress(config.source_mac),
        dst_addr: EthernetAddress::BROADCAST,
        ethertype: EthernetProtocol::Arp,
    };
    let mut frame = vec![0u8; ethernet.buffer_len() + arp.buffer_len()];
    let mut eth = EthernetFrame::new_unchecked(&mut frame[..]);
    ethernet.emit(&mut eth);
    arp.emit(&mut ArpPacket::new_unchecked(eth.payload_mut()));
    pad(frame)
}

/// If `frame` is the ARP reply to [`arp_request`] (operation 2, sender `target_ip`, target our MAC and
/// address), the adapter's MAC address.
pub fn arp_reply_mac(frame: &[u8], config: &Config) -> Option<[u8; 6]> {
    let eth = EthernetFrame::new_checked(frame).ok()?;
    if eth.ethertype() != EthernetProtocol::Arp || eth.dst_addr() != EthernetAddress(config.source_mac) {
        return None;
    }
    match ArpRepr::parse(&ArpPacket::new_checked(eth.payload()).ok()?).ok()? {
        ArpRepr::EthernetIpv4 {
            operation: ArpOperation::Reply,
            source_hardware_addr,
            source_protocol_addr,
            target_hardware_addr,
            target_protocol_addr,
        } if source_protocol_addr == config.target_ip
            && target_protocol_addr == config.source_ip
            && target_hardware_addr == EthernetAddress(config.source_mac)
            && eth.src_addr() == source_hardware_addr =>
        {
            Some(source_hardware_addr.0)
        }
        _ => None,
    }
}

/// An IPv4 packet to or from us carrying `icmp`, in an Ethernet frame, checksums computed.
fn icmp_frame(
    src_mac: [u8; 6],
    dst_mac: [u8; 6],
    src_ip: Ipv4Addr,
    dst_ip: Ipv4Addr,
    icmp: &Icmpv4Repr<'_>,
) -> Vec<u8> {
    let caps = ChecksumCapabilities::default();
    let ip = Ipv4Repr {
        src_addr: src_ip,
        dst_addr: dst_ip,
        next_header: IpProtocol::Icmp,
        payload_len: icmp.buffer_len(),
        hop_limit: 64,
    };
    let ethernet = EthernetRepr {
        src_addr: EthernetAddress(src_mac),
        dst_addr: EthernetAddress(dst_mac),
        ethertype: EthernetProtocol::Ipv4,
    };
    let mut frame = vec![0u8; ethernet.buffer_len() + ip.buffer_len() + icmp.buffer_len()];
    let mut eth = EthernetFrame::new_unchecked(&mut frame[..]);
    ethernet.emit(&mut eth);
    let mut packet = Ipv4Packet::new_unchecked(eth.payload_mut());
    ip.emit(&mut packet, &caps);
    icmp.emit(&mut Icmpv4Packet::new_unchecked(packet.payload_mut()), &caps);
    pad(frame)
}

/// The ICMP echo request ([`ECHO_IDENT`], [`ECHO_SEQ`], [`ECHO_PAYLOAD`]) from us to the adapter.
pub fn echo_request(config: &Config, adapter_mac: [u8; 6]) -> Vec<u8> {
    let icmp = Icmpv4Repr::EchoRequest { ident: ECHO_IDENT, seq_no: ECHO_SEQ, data: ECHO_PAYLOAD };
    icmp_frame(config.source_mac, adapter_mac, config.source_ip, config.target_ip, &icmp)
}

/// The echo reply the adapter's stack should send back (for tests and for comparison).
pub fn echo_reply(config: &Config, adapter_mac: [u8; 6]) -> Vec<u8> {
    let icmp = Icmpv4Repr::EchoReply { ident: ECHO_IDENT, seq_no: ECHO_SEQ, data: ECHO_PAYLOAD };
    icmp_frame(adapter_mac, config.source_mac, config.target_ip, config.source_ip, &icmp)
}

/// What a captured frame is to the echo step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EchoVerdict {
    /// Not an ICMP packet from the target to us: someone else's traffic.
    Unrelated,
    /// The matching echo reply, both checksums verified.
    Reply,
    /// ICMP from the target to us that is not the right reply (bad checksum, other id/seq/payload,
    /// another message).
    Wrong(String),
}

/// Checks `frame` against the echo reply to [`echo_request`].
pub fn check_echo_reply(frame: &[u8], config: &Config, adapter_mac: [u8; 6]) -> EchoVerdict {
    let Ok(eth) = EthernetFrame::new_checked(frame) else { return EchoVerdict::Unrelated };
    if eth.ethertype() != EthernetProtocol::Ipv4 || eth.dst_addr() != EthernetAddress(config.source_mac) {
        return EchoVerdict::Unrelated;
    }
    let Ok(packet) = Ipv4Packet::new_checked(eth.payload()) else { return EchoVerdict::Unrelated };
    if packet.next_header() != IpProtocol::Icmp
        || packet.src_addr() != config.target_ip
        || packet.dst_addr() != config.source_ip
    {
        return EchoVerdict::Unrelated;
    }
    if eth.src_addr() != EthernetAddress(adapter_mac) {
        return EchoVerdict::Wrong(format!("sent from {}, not the adapter's MAC", eth.src_addr()));
    }
    if !packet.verify_checksum() {
        return EchoVerdict::Wrong("bad IPv4 header checksum".into());
    }
    let caps = ChecksumCapabilities::default();
    let Ok(icmp) = Icmpv4Packet::new_checked(packet.payload()) else {
        return EchoVerdict::Wrong("truncated ICMP message".into());
    };
    if !icmp.verify_checksum() {
        return EchoVerdict::Wrong("bad ICMP checksum".into());
    }
    match Icmpv4Repr::parse(&icmp, &caps) {
        Ok(Icmpv4Repr::EchoReply { ident, seq_no, data })
            if ident == ECHO_IDENT && seq_no == ECHO_SEQ && data == ECHO_PAYLOAD =>
        {
            EchoVerdict::Reply
        }
        Ok(Icmpv4Repr::EchoReply { ident, seq_no, data }) => EchoVerdict::Wrong(format!(
            "echo reply id {ident:#06x} seq {seq_no} with {} payload bytes, expected id {ECHO_IDENT:#06x} \
             seq {ECHO_SEQ} and the {} bytes sent",
            data.len(),
            ECHO_PAYLOAD.len()
        )),
        Ok(other) => EchoVerdict::Wrong(format!("ICMP {other:?} instead of an echo reply")),
        Err(_) => EchoVerdict::Wrong("malformed ICMP message".into()),
    }
}

/// Reads the capture until `accept` says it found what it waits for (`Some(Ok)`), fails
/// (`Some(Err)`), or `timeout` passes on the wire's clock.
fn wait_for<T>(
    wire: &mut impl Wire,
    step: Step,
    timeout: Duration,
    mut accept: impl FnMut(&[u8]) -> Option<Result<T, String>>,
) -> Result<T, SmokeError> {
    let fail = |message: String| SmokeError { step, message };
    let start = wire.now();
    let mut seen = 0usize;
    loop {
        let elapsed = wire.now().saturating_sub(start);
        if elapsed >= timeout {
            return Err(fail(format!(
                "nothing matching within {} ms ({seen} other frames captured)",
                timeout.as_millis()
            )));
        }
        let frames = wire.read_capture(POLL.min(timeout - elapsed)).map_err(fail)?;
        for frame in &frames {
            match accept(frame) {
                Some(Ok(found)) => return Ok(found),
                Some(Err(message)) => return Err(fail(message)),
                None => seen += 1,
            }
        }
    }
}

/// Plays the exchange on `wire`, reporting each step to `log`; the capture is stopped at the end,
/// also after a failure.
pub fn run(
    wire: &mut impl Wire,
    config: &Config,
    log: &mut dyn FnMut(String),
) -> Result<Outcome, SmokeError> {
    wire.start_capture().map_err(|message| SmokeError { step: Step::StartCapture, message })?;
    log("capture started".into());
    let result = exchange(wire, config, log);
    if let Err(message) = wire.stop_capture() {
        log(format!("warning: stopping the capture failed: {message}"));
    } else {
        log("capture stopped".into());
    }
    result
}

fn exchange(
    wire: &mut impl Wire,
    config: &Config,
    log: &mut dyn FnMut(String),
) -> Result<Outcome, SmokeError> {
    let request = arp_request(config);
    wire.inject(&request).map_err(|message| SmokeError { step: Step::InjectArpRequest, message })?;
    log(format!(
        "injected ARP request: who has {}? tell {} ({})",
        config.target_ip,
        config.source_ip,
        crate::hex::mac(&config.source_mac)
    ));
    let adapter_mac =
        wait_for(wire, Step::ArpReply, config.timeout, |frame| arp_reply_mac(frame, config).map(Ok))?;
    log(format!("ARP reply: {} is at {}", config.target_ip, crate::hex::mac(&adapter_mac)));

    let request = echo_request(config, adapter_mac);
    let sent = wire.now();
    wire.inject(&request).map_err(|message| SmokeError { step: Step::InjectEchoRequest, message })?;
    log(format!(
        "injected ICMP echo request to {}: id {ECHO_IDENT:#06x} seq {ECHO_SEQ}, {} bytes of payload",
        config.target_ip,
        ECHO_PAYLOAD.len()
    ));
    wait_for(wire, Step::EchoReply, config.timeout, |frame| {
        match check_echo_reply(frame, config, adapter_mac) {
            EchoVerdict::Unrelated => None,
            EchoVerdict::Reply => Some(Ok(())),
            EchoVerdict::Wrong(message) => Some(Err(message)),
        }
    })?;
    let echo_time = wire.now().saturating_sub(sent);
    log(format!("ICMP echo reply from {}: id, seq, payload and checksums match", config.target_ip));
    Ok(Outcome { adapter_mac, echo_time })
}

#[cfg(test)]
mod tests;
