//! A smoltcp TCP/IP stack above one adapter: the device that moves frames to and from the model's
//! NDIS upper edge, the services every stack runs (ICMP echo replies, TCP echo on port 7, HTTP/1.0 on
//! port 80), and the ring traffic between adapters (ping, verified TCP bulk transfer).

use kernel_sim::AdapterId;
use smoltcp::iface::{Config, Interface, SocketHandle, SocketSet};
use smoltcp::phy::{ChecksumCapabilities, Device, DeviceCapabilities, Medium, RxToken, TxToken};
use smoltcp::socket::{icmp, tcp};
use smoltcp::time::Instant;
use smoltcp::wire::{EthernetAddress, HardwareAddress, Icmpv4Packet, Icmpv4Repr, IpAddress, IpCidr};
use std::collections::VecDeque;
use std::time::Duration;
use vwire_proto::STANDARD_MTU;

/// The TCP port of the ring's bulk transfer.
pub const BULK_PORT: u16 = 5001;
/// TCP echo (RFC 862).
pub const ECHO_PORT: u16 = 7;
pub const HTTP_PORT: u16 = 80;
/// Largest body `GET /bytes/N` serves.
pub const HTTP_MAX_BYTES: u64 = 1 << 30;
const SERVICE_SOCKETS: usize = 4;
/// Send buffers.
const BULK_BUFFER: usize = 256 * 1024;
const SERVICE_BUFFER: usize = 64 * 1024;
/// Every receive buffer: 65535 bytes, so that smoltcp does not scale the window (a 2^n buffer of
/// 64 KiB or more gets window scale n - 16, and its windows are rounded down to a multiple of 2^(n-16)).
///
/// smoltcp 0.14.0 loses data with a scaled window: a later ACK's rounding moves the right edge of
/// the window back by up to 2^shift - 1 bytes (the window shrinks), a segment the peer sent into
/// the window it had been offered is trimmed to the shrunk one, and if that segment carries the
/// FIN, smoltcp accepts the FIN anyway (its FIN check looks only for a hole before the segment)
/// and goes to CLOSE-WAIT with the trimmed bytes never received. Seen as "verified 3931839 of the
/// 3931843 bytes": the last segment (1460 bytes + FIN, retransmitted after a drop) met a window 4
/// bytes short of the one advertised before. Unscaled, the window never shrinks.
const RX_BUFFER: usize = 65535;
const PING_PAYLOAD: usize = 56;
/// A ping without a reply after this long (virtual time) is lost.
pub const PING_TIMEOUT: Duration = Duration::from_secs(1);
/// Pings go out this often (virtual time) while the previous one was answered.
const PING_INTERVAL: Duration = Duration::from_millis(5);

/// 192.0.2.1 for adapter 0 (the TAP namespace is 192.0.2.2), 192.0.2.(10 + i) for the others.
pub fn ip_of(index: usize) -> [u8; 4] {
    if index == 0 { [192, 0, 2, 1] } else { [192, 0, 2, (10 + index).min(254) as u8] }
}

/// Byte `k` of the bulk stream keyed `key`: period 251 * 253 bytes, so a segment that is lost,
/// duplicated or reordered breaks the sequence.
pub fn pattern(key: u8, k: u64) -> u8 {
    (((k % 251) + (k / 251) % 253) as u8) ^ key
}

/// Byte `i` of an HTTP `/bytes/N` body.
pub fn http_byte(i: u64) -> u8 {
    (i % 251) as u8
}

pub fn smol_now(t: Duration) -> Instant {
    Instant::from_micros(t.as_micros() as i64)
}

/// Frames between the stack and the model: `rx` the adapter indicated up, `tx` the stack wants sent.
pub struct SimDevice {
    pub rx: VecDeque<Vec<u8>>,
    pub tx: Vec<Vec<u8>>,
    /// The adapter's MTU (its `*JumboPacket` less the Ethernet header): TCP's MSS follows it.
    pub mtu: u16,
}

impl Default for SimDevice {
    fn default() -> Self {
        Self { rx: VecDeque::new(), tx: Vec::new(), mtu: STANDARD_MTU }
    }
}

pub struct SimRx(Vec<u8>);
pub struct SimTx<'a>(&'a mut Vec<Vec<u8>>);

impl RxToken for SimRx {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl TxToken for SimTx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut frame = vec![0u8; len];
        let r = f(&mut frame);
        self.0.push(frame);
        r
    }
}

impl Device for SimDevice {
    type RxToken<'a> = SimRx;
    type TxToken<'a> = SimTx<'a>;

    fn receive(&mut self, _: Instant) -> Option<(SimRx, SimTx<'_>)> {
        let frame = self.rx.pop_front()?;
        Some((SimRx(frame), SimTx(&mut self.tx)))
    }

    fn transmit(&mut self, _: Instant) -> Option<SimTx<'_>> {
        Some(SimTx(&mut self.tx))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        // The adapter's MTU plus the Ethernet header.
        caps.max_transmission_unit = usize::from(self.mtu) + 14;
        caps
    }
}

/// What the services above one adapter did.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct ServiceStats {
    pub echo_bytes: u64,
    pub http_requests: u64,
    pub http_bytes: u64,
}

enum Http {
    Request(Vec<u8>),
    Body { next: u64, len: u64 },
    Done,
}

struct HttpConn {
    handle: SocketHandle,
    state: Http,
}

/// The sending half of the ring's bulk transfer (to the next adapter) and its receiving half.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct BulkStats {
    pub sent: u64,
    pub verified: u64,
    pub corrupt: u64,
    pub first_corrupt_at: Option<u64>,
    pub peer_closed: bool,
    pub connected: bool,
    pub resets: u64,
}

#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct PingStats {
    pub sent: u64,
    pub replies: u64,
    pub lost: u64,
    pub bad_replies: u64,
    pub rtt_sum_us: u64,
}

struct Ring {
    peer: IpAddress,
    client: SocketHandle,
    server: SocketHandle,
    icmp: SocketHandle,
    /// Key of the stream this node sends, and of the one it receives.
    send_key: u8,
    recv_key: u8,
    closing: bool,
    bulk: BulkStats,
    ping: PingStats,
    ping_seq: u16,
    ping_out: Option<(u16, Duration)>,
    next_ping: Duration,
    pinging: bool,
}

/// One TCP/IP stack above one adapter.
pub struct Node {
    pub index: usize,
    pub adapter: AdapterId,
    pub mac: [u8; 6],
    pub ip: [u8; 4],
    pub iface: Interface,
    pub dev: SimDevice,
    pub sockets: SocketSet<'static>,
    echo: Vec<(SocketHandle, Vec<u8>)>,
    http: Vec<HttpConn>,
    ring: Option<Ring>,
    pub services: ServiceStats,
}

fn tcp_socket(tx_buffer: usize) -> tcp::Socket<'static> {
    let mut s = tcp::Socket::new(
        tcp::SocketBuffer::new(vec![0; RX_BUFFER]),
        tcp::SocketBuffer::new(vec![0; tx_buffer]),
    );
    s.set_nagle_enabled(false);
    s
}

impl Node {
    pub fn new(index: usize, adapter: AdapterId, mac: [u8; 6], seed: u64, now: Duration) -> Node {
        Self::with_mtu(index, adapter, mac, seed, now, STANDARD_MTU)
    }

    /// A stack over an adapter of MTU `mtu`: the interface learns it at creation (smoltcp reads the
    /// device's capabilities once), so TCP announces and uses the matching MSS.
    pub fn with_mtu(
        index: usize,
        adapter: AdapterId,
        mac: [u8; 6],
        seed: u64,
        now: Duration,
        mtu: u16,
    ) -> Node {
        let ip = ip_of(index);
        let mut config = Config::new(HardwareAddress::Ethernet(EthernetAddress(mac)));
        config.random_seed = seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut dev = SimDevice { mtu, ..SimDevice::default() };
        let mut iface = Interface::new(config, &mut dev, smol_now(now));
        iface.update_ip_addrs(|addrs| {
            addrs.push(IpCidr::new(IpAddress::v4(ip[0], ip[1], ip[2], ip[3]), 24)).expect("one address");
        });
        let mut sockets = SocketSet::new(vec![]);
        let echo =
            (0..SERVICE_SOCKETS).map(|_| (sockets.add(tcp_socket(SERVICE_BUFFER)), Vec::new())).collect();
        let http = (0..SERVICE_SOCKETS)
            .map(|_| HttpConn { handle: sockets.add(tcp_socket(SERVICE_BUFFER)), state: Http::Done })
            .collect();
        Node {
            index,
            adapter,
            mac,
            ip,
            iface,
            dev,
            sockets,
            echo,
            http,
            ring: None,
            services: ServiceStats::default(),
        }
    }

    /// Send a verified bulk stream and pings to `peer` (index `peer_index`), and accept the stream
    /// of the node before this one in the ring.
    pub fn join_ring(&mut self, peer_index: usize, prev_index: usize, ping: bool) {
        let p = ip_of(peer_index);
        // Keep-alives carry the current window: a window update lost to a drop fault would otherwise
        // leave the sender waiting on a zero window for good (smoltcp sends no FIN into it).
        let mut c = tcp_socket(BULK_BUFFER);
        let mut sv = tcp_socket(BULK_BUFFER);
        for s in [&mut c, &mut sv] {
            s.set_keep_alive(Some(smoltcp::time::Duration::from_millis(200)));
        }
        let client = self.sockets.add(c);
        let server = self.sockets.add(sv);
        let icmp = self.sockets.add(icmp::Socket::new(
            icmp::PacketBuffer::new(vec![icmp::PacketMetadata::EMPTY; 4], vec![0; 1024]),
            icmp::PacketBuffer::new(vec![icmp::PacketMetadata::EMPTY; 4], vec![0; 1024]),
        ));
        self.ring = Some(Ring {
            peer: IpAddress::v4(p[0], p[1], p[2], p[3]),
            client,
            server,
            icmp,
            send_key: key_of(self.index),
            recv_key: key_of(prev_index),
            closing: false,
            bulk: BulkStats::default(),
            ping: PingStats::default(),
            ping_seq: 0,
            ping_out: None,
            next_ping: Duration::ZERO,
            pinging: ping,
        });
    }

    pub fn bulk(&self) -> BulkStats {
        self.ring.as_ref().map(|r| r.bulk.clone()).unwrap_or_default()
    }

    pub fn ping(&self) -> PingStats {
        self.ring.as_ref().map(|r| r.ping).unwrap_or_default()
    }

    /// Stop pinging and close the bulk stream (the peer verifies up to the FIN).
    pub fn finish_ring(&mut self, now: Duration) {
        if let Some(ring) = self.ring.as_mut() {
            ring.closing = true;
            ring.pinging = false;
            if let Some((_, at)) = ring.ping_out
                && now.saturating_sub(at) >= PING_TIMEOUT
            {
                ring.ping.lost += 1;
                ring.ping_out = None;
            }
            self.sockets.get_mut::<tcp::Socket>(ring.client).close();
        }
    }

    /// Whether the stream into this node ended (FIN seen after every byte) and the ping settled.
    pub fn ring_done(&self) -> bool {
        self.ring.as_ref().is_none_or(|r| r.bulk.peer_closed && r.ping_out.is_none())
    }

    /// The TCP states of the bulk client and server (for reports).
    pub fn ring_states(&self) -> String {
        match &self.ring {
            Some(r) => format!(
                "client {} (send queue {}), server {} (recv queue {})",
                self.sockets.get::<tcp::Socket>(r.client).state(),
                self.sockets.get::<tcp::Socket>(r.client).send_queue(),
                self.sockets.get::<tcp::Socket>(r.server).state(),
                self.sockets.get::<tcp::Socket>(r.server).recv_queue()
            ),
            None => "no ring".into(),
        }
    }

    /// Bytes this node sent on its bulk stream.
    pub fn bulk_sent(&self) -> u64 {
        self.ring.as_ref().map_or(0, |r| r.bulk.sent)
    }

    /// One round: the stack processes what arrived, the applications run, the stack sends.
    pub fn poll(&mut self, now: Duration) {
        let ts = smol_now(now);
        self.iface.poll(ts, &mut self.dev, &mut self.sockets);
        self.run_services();
        self.run_ring(now);
        self.iface.poll(ts, &mut self.dev, &mut self.sockets);
    }

    /// How long the stack may sleep (virtual time).
    pub fn poll_delay(&mut self, now: Duration) -> Option<Duration> {
        let d = self
            .iface
            .poll_delay(smol_now(now), &self.sockets)
            .map(|d| Duration::from_micros(d.total_micros()));
        let ping = self.ring.as_ref().filter(|r| r.pinging).map(|r| r.next_ping.saturating_sub(now));
        match (d, ping) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn run_services(&mut self) {
        for (handle, pending) in &mut self.echo {
            let s = self.sockets.get_mut::<tcp::Socket>(*handle);
            if !s.is_open() {
                pending.clear();
                s.listen(ECHO_PORT).expect("listen on a closed socket");
                continue;
            }
            if s.can_recv() {
                let space = s.send_capacity() - s.send_queue();
                if space > 0 && pending.is_empty() {
                    let mut buf = Vec::new();
                    let _ = s.recv(|data| {
                        let take = data.len().min(space);
                        buf.extend_from_slice(&data[..take]);
                        (take, ())
                    });
                    self.services.echo_bytes += buf.len() as u64;
                    *pending = buf;
                }
            }
            if !pending.is_empty() && s.can_send() {
                let n = s.send_slice(pending).unwrap_or(0);
                pending.drain(..n);
            }
            if pending.is_empty()
                && !s.may_recv()
                && s.send_queue() == 0
                && s.state() == tcp::State::CloseWait
            {
                s.close();
            }
        }
        for conn in &mut self.http {
            let s = self.sockets.get_mut::<tcp::Socket>(conn.handle);
            if !s.is_open() {
                s.listen(HTTP_PORT).expect("listen on a closed socket");
                conn.state = Http::Request(Vec::new());
                continue;
            }
            if let Http::Request(req) = &mut conn.state {
                if s.can_recv() {
                    let _ = s.recv(|data| {
                        req.extend_from_slice(data);
                        (data.len(), ())
                    });
                }
                if let Some(end) = find(req, b"\r\n\r\n") {
                    self.services.http_requests += 1;
                    let (head, next) = http_response(&req[..end]);
                    let _ = s.send_slice(head.as_bytes());
                    conn.state = next;
                } else if req.len() > 8192 || s.state() == tcp::State::CloseWait {
                    // Too long, or the client closed before a whole request head arrived.
                    s.close();
                    conn.state = Http::Done;
                }
            }
            if let Http::Body { next, len } = &mut conn.state {
                while *next < *len && s.can_send() {
                    let start = *next;
                    let n = s
                        .send(|buf| {
                            let take = (buf.len() as u64).min(*len - start) as usize;
                            for (i, b) in buf[..take].iter_mut().enumerate() {
                                *b = http_byte(start + i as u64);
                            }
                            (take, take)
                        })
                        .unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    *next += n as u64;
                    self.services.http_bytes += n as u64;
                }
                if *next >= *len {
                    s.close();
                    conn.state = Http::Done;
                }
            }
            if matches!(conn.state, Http::Done) && s.state() == tcp::State::CloseWait {
                s.close();
            }
        }
    }

    fn run_ring(&mut self, now: Duration) {
        let Some(ring) = self.ring.as_mut() else { return };
        // The receiving half: listen, verify every byte, note the FIN.
        let s = self.sockets.get_mut::<tcp::Socket>(ring.server);
        if !s.is_open() && !ring.bulk.peer_closed {
            s.listen(BULK_PORT).expect("listen on a closed socket");
        }
        if s.may_recv() || s.can_recv() {
            let bulk = &mut ring.bulk;
            let key = ring.recv_key;
            while s.can_recv() {
                let got = s
                    .recv(|data| {
                        for (i, &b) in data.iter().enumerate() {
                            let at = bulk.verified + i as u64;
                            if b != pattern(key, at) {
                                bulk.corrupt += 1;
                                bulk.first_corrupt_at.get_or_insert(at);
                            }
                        }
                        (data.len(), data.len())
                    })
                    .unwrap_or(0);
                if got == 0 {
                    break;
                }
                bulk.verified += got as u64;
            }
        }
        if !ring.bulk.peer_closed && s.state() == tcp::State::CloseWait && !s.can_recv() {
            ring.bulk.peer_closed = true;
            s.close();
        }
        // The sending half: connect, keep the send buffer full with the keyed pattern.
        let c = self.sockets.get_mut::<tcp::Socket>(ring.client);
        if !c.is_open() && !ring.closing {
            if ring.bulk.connected {
                ring.bulk.resets += 1;
            }
            let local = 49152 + (ring.bulk.resets as u16 % 16000);
            if c.connect(self.iface.context(), (ring.peer, BULK_PORT), local).is_err() {
                return;
            }
        }
        if c.state() == tcp::State::Established {
            ring.bulk.connected = true;
        }
        if !ring.closing && c.can_send() {
            let key = ring.send_key;
            loop {
                let start = ring.bulk.sent;
                let n = c
                    .send(|buf| {
                        for (i, b) in buf.iter_mut().enumerate() {
                            *b = pattern(key, start + i as u64);
                        }
                        (buf.len(), buf.len())
                    })
                    .unwrap_or(0);
                if n == 0 {
                    break;
                }
                ring.bulk.sent += n as u64;
            }
        }
        // Ping: one echo request in flight, verified payload, timeout in virtual time.
        let caps = ChecksumCapabilities::default();
        let ident = 0x1000 + self.index as u16;
        let sock = self.sockets.get_mut::<icmp::Socket>(ring.icmp);
        if !sock.is_open() {
            let _ = sock.bind(icmp::Endpoint::Ident(ident));
        }
        while sock.can_recv() {
            let Ok((payload, from)) = sock.recv() else { break };
            let Ok(packet) = Icmpv4Packet::new_checked(payload) else { continue };
            let Ok(Icmpv4Repr::EchoReply { ident: id, seq_no, data }) = Icmpv4Repr::parse(&packet, &caps)
            else {
                continue;
            };
            match ring.ping_out {
                Some((seq, at)) if id == ident && seq_no == seq && from == ring.peer => {
                    if data == ping_payload(ident, seq).as_slice() {
                        ring.ping.replies += 1;
                        ring.ping.rtt_sum_us += now.saturating_sub(at).as_micros() as u64;
                    } else {
                        ring.ping.bad_replies += 1;
                    }
                    ring.ping_out = None;
                }
                _ => {}
            }
        }
        if let Some((_, at)) = ring.ping_out
            && now.saturating_sub(at) >= PING_TIMEOUT
        {
            ring.ping.lost += 1;
            ring.ping_out = None;
        }
        if ring.pinging && ring.ping_out.is_none() && now >= ring.next_ping && sock.can_send() {
            ring.ping_seq = ring.ping_seq.wrapping_add(1);
            let seq = ring.ping_seq;
            let data = ping_payload(ident, seq);
            let repr = Icmpv4Repr::EchoRequest { ident, seq_no: seq, data: &data };
            if let Ok(buf) = sock.send(repr.buffer_len(), ring.peer) {
                repr.emit(&mut Icmpv4Packet::new_unchecked(buf), &caps);
                ring.ping.sent += 1;
                ring.ping_out = Some((seq, now));
                ring.next_ping = now + PING_INTERVAL;
            }
        }
    }
}

fn key_of(index: usize) -> u8 {
    (index as u8).wrapping_mul(37).wrapping_add(11)
}

fn ping_payload(ident: u16, seq: u16) -> [u8; PING_PAYLOAD] {
    let mut p = [0u8; PING_PAYLOAD];
    for (i, b) in p.iter_mut().enumerate() {
        *b = (i as u16).wrapping_mul(7).wrapping_add(seq).wrapping_add(ident) as u8;
    }
    p
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The response head for a request head, and what to send after it.
fn http_response(head: &[u8]) -> (String, Http) {
    let line = head.split(|&b| b == b'\r').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut words = line.split_whitespace();
    let (method, path) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let n = path.strip_prefix("/bytes/").and_then(|n| n.parse::<u64>().ok());
    match (method, n) {
        ("GET", Some(n)) if n <= HTTP_MAX_BYTES => (
            format!(
                "HTTP/1.0 200 OK\r\nServer: miniport-lab\r\nContent-Type: application/octet-stream\r\nContent-Length: {n}\r\nConnection: close\r\n\r\n"
            ),
            Http::Body { next: 0, len: n },
        ),
        ("GET", _) => {
            let body = "try GET /bytes/N (N <= 1073741824): N bytes, byte i = i % 251\n";
            (
                format!(
                    "HTTP/1.0 404 Not Found\r\nServer: miniport-lab\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                ),
                Http::Body { next: 0, len: 0 },
            )
        }
        _ => (
            "HTTP/1.0 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string(),
            Http::Body { next: 0, len: 0 },
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_breaks_at_segment_shifts() {
        // A lost or repeated 1460-byte segment must not look like the right bytes.
        let same = (0..1460u64).all(|k| pattern(3, k) == pattern(3, k + 1460));
        assert!(!same);
    }

    /// The stacks' SYNs offer no window scaling (see [`RX_BUFFER`]): with a scaled window smoltcp
    /// 0.14 can accept a FIN whose segment it trimmed, and lose the trimmed bytes.
    #[test]
    fn syns_offer_an_unscaled_window() {
        use smoltcp::wire::{EthernetFrame, Ipv4Packet, TcpControl, TcpPacket, TcpRepr};
        // Two stacks wired back to back (no driver): ARP, then the bulk client's SYN.
        let mut a = Node::new(0, AdapterId(0), [2, 0, 0, 0, 0, 1], 1, Duration::ZERO);
        let mut b = Node::new(1, AdapterId(1), [2, 0, 0, 0, 0, 2], 1, Duration::ZERO);
        a.join_ring(1, 1, false);
        b.join_ring(0, 0, false);
        let mut syn = None;
        for ms in 0..100u64 {
            let now = Duration::from_millis(ms);
            a.poll(now);
            b.poll(now);
            for (from, to) in [(0, 1), (1, 0)] {
                let frames = std::mem::take(if from == 0 { &mut a.dev.tx } else { &mut b.dev.tx });
                for f in frames {
                    let eth = EthernetFrame::new_unchecked(&f[..]);
                    if let Ok(ip) = Ipv4Packet::new_checked(eth.payload())
                        && let Ok(tcp) = TcpPacket::new_checked(ip.payload())
                    {
                        let caps = ChecksumCapabilities::ignored();
                        let (src, dst) = (ip.src_addr().into(), ip.dst_addr().into());
                        let repr = TcpRepr::parse(&tcp, &src, &dst, &caps).expect("a TCP segment");
                        if repr.control == TcpControl::Syn {
                            syn = Some((repr.window_scale, repr.window_len));
                        }
                    }
                    if to == 0 { a.dev.rx.push_back(f) } else { b.dev.rx.push_back(f) }
                }
            }
            if syn.is_some() {
                break;
            }
        }
        let (scale, window) = syn.expect("the bulk client sends a SYN");
        assert!(scale.is_none_or(|s| s == 0), "window scale {scale:?}");
        assert_eq!(usize::from(window), RX_BUFFER);
    }

    #[test]
    fn http_parses_bytes_requests() {
        let (head, next) = http_response(b"GET /bytes/1000 HTTP/1.1\r\nHost: x");
        assert!(head.starts_with("HTTP/1.0 200 OK") && head.contains("Content-Length: 1000"));
        assert!(matches!(next, Http::Body { next: 0, len: 1000 }));
        assert!(http_response(b"GET /nope HTTP/1.0").0.starts_with("HTTP/1.0 404"));
    }
}
