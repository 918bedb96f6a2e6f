//! The smoke test's frames against hand-computed bytes (RFC 826, RFC 791, RFC 792) and its exchange
//! against scripted wires.

use super::*;

const TARGET: Ipv4Addr = Ipv4Addr::new(192, 168, 77, 10);
const ADAPTER: [u8; 6] = [0x02, 0x76, 0x77, 0, 0, 1];

fn config() -> Config {
    Config::new(TARGET)
}

/// RFC 1071 checksum, written independently of smoltcp.
fn internet_checksum(bytes: &[u8]) -> u16 {
    let mut sum = 0u32;
    for pair in bytes.chunks(2) {
        let word = u32::from(pair[0]) << 8 | u32::from(*pair.get(1).unwrap_or(&0));
        sum += word;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[test]
fn defaults_are_on_the_targets_subnet() {
    assert_eq!(default_source_ip(TARGET), Ipv4Addr::new(192, 168, 77, 254));
    assert_eq!(default_source_ip(Ipv4Addr::new(10, 0, 0, 254)), Ipv4Addr::new(10, 0, 0, 253));
    assert_eq!(config().source_mac, [0x02, 0x00, 0x5e, 0x10, 0x00, 0x01]);
    assert_eq!(DEFAULT_SOURCE_MAC[0] & 0b11, 0b10, "locally administered unicast");
}

#[test]
fn the_arp_request_is_a_padded_broadcast_who_has() {
    let frame = arp_request(&config());
    assert_eq!(frame.len(), 60);
    let mut expected = vec![0xff; 6];
    expected.extend(DEFAULT_SOURCE_MAC);
    expected.extend([0x08, 0x06]); // EtherType ARP
    expected.extend([0, 1, 0x08, 0x00, 6, 4, 0, 1]); // Ethernet, IPv4, 6, 4, request
    expected.extend(DEFAULT_SOURCE_MAC);
    expected.extend([192, 168, 77, 254]);
    expected.extend([0; 6]);
    expected.extend([192, 168, 77, 10]);
    expected.resize(60, 0);
    assert_eq!(frame, expected);
}

/// The ARP reply the stack at `TARGET` would send, with fields changed by `edit`.
fn arp_reply(edit: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut frame = DEFAULT_SOURCE_MAC.to_vec();
    frame.extend(ADAPTER);
    frame.extend([0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 2]);
    frame.extend(ADAPTER);
    frame.extend([192, 168, 77, 10]);
    frame.extend(DEFAULT_SOURCE_MAC);
    frame.extend([192, 168, 77, 254]);
    edit(&mut frame);
    frame
}

#[test]
fn only_the_matching_arp_reply_names_the_adapter() {
    assert_eq!(arp_reply_mac(&arp_reply(|_| {}), &config()), Some(ADAPTER));
    type Edit = fn(&mut Vec<u8>);
    let refused: [(&str, Edit); 6] = [
        ("a request, not a reply", |f| f[21] = 1),
        ("another sender address", |f| f[31] = 11),
        ("for another target address", |f| f[41] = 253),
        ("for another target MAC", |f| f[37] = 0xEE),
        ("to another destination MAC", |f| f[5] = 0xEE),
        ("not ARP", |f| f[13] = 0x00),
    ];
    for (what, edit) in refused {
        assert_eq!(arp_reply_mac(&arp_reply(edit), &config()), None, "{what}");
    }
    assert_eq!(arp_reply_mac(&[0u8; 20], &config()), None, "truncated");
}

#[test]
fn the_echo_request_has_correct_headers_and_checksums() {
    let frame = echo_request(&config(), ADAPTER);
    assert_eq!(frame[..6], ADAPTER);
    assert_eq!(frame[6..12], DEFAULT_SOURCE_MAC);
    assert_eq!(frame[12..14], [0x08, 0x00]);
    let ip = &frame[14..34];
    assert_eq!(ip[0], 0x45, "IPv4, 20-byte header");
    assert_eq!(u16::from_be_bytes([ip[2], ip[3]]), 20 + 8 + 32, "total length");
    assert_eq!(ip[9], 1, "ICMP");
    assert_eq!(ip[12..16], [192, 168, 77, 254]);
    assert_eq!(ip[16..20], [192, 168, 77, 10]);
    assert_eq!(internet_checksum(ip), 0, "the header checksum verifies");
    let icmp = &frame[34..34 + 40];
    assert_eq!(icmp[..2], [8, 0], "echo request, code 0");
    assert_eq!(icmp[4..8], [0x76, 0x77, 0, 1], "id and seq");
    assert_eq!(&icmp[8..], ECHO_PAYLOAD);
    assert_eq!(internet_checksum(icmp), 0, "the ICMP checksum verifies");
    assert_eq!(frame.len(), 74);
}

#[test]
fn the_echo_reply_is_checked_field_by_field() {
    let config = config();
    let good = echo_reply(&config, ADAPTER);
    assert_eq!(check_echo_reply(&good, &config, ADAPTER), EchoVerdict::Reply);
    assert_eq!(internet_checksum(&good[34..74]), 0);

    let mut bad_icmp = good.clone();
    bad_icmp[40] ^= 1; // the identifier, checksum left stale
    assert_eq!(check_echo_reply(&bad_icmp, &config, ADAPTER), EchoVerdict::Wrong("bad ICMP checksum".into()));
    let mut bad_ip = good.clone();
    bad_ip[22] ^= 1; // TTL, header checksum left stale
    assert_eq!(
        check_echo_reply(&bad_ip, &config, ADAPTER),
        EchoVerdict::Wrong("bad IPv4 header checksum".into())
    );
    let other_seq = icmp_frame(
        ADAPTER,
        config.source_mac,
        config.target_ip,
        config.source_ip,
        &Icmpv4Repr::EchoReply { ident: ECHO_IDENT, seq_no: 2, data: ECHO_PAYLOAD },
    );
    assert!(
        matches!(check_echo_reply(&other_seq, &config, ADAPTER), EchoVerdict::Wrong(m) if m.contains("seq 2"))
    );
    let other_payload = icmp_frame(
        ADAPTER,
        config.source_mac,
        config.target_ip,
        config.source_ip,
        &Icmpv4Repr::EchoReply { ident: ECHO_IDENT, seq_no: ECHO_SEQ, data: &[0; 32] },
    );
    assert!(matches!(check_echo_reply(&other_payload, &config, ADAPTER), EchoVerdict::Wrong(_)));
    let from_elsewhere = echo_reply(&config, [0x02, 0, 0, 0, 0, 9]);
    assert!(matches!(check_echo_reply(&from_elsewhere, &config, ADAPTER), EchoVerdict::Wrong(_)));
    // Our own request, ARP, other hosts' traffic: not for this step.
    assert_eq!(check_echo_reply(&echo_request(&config, ADAPTER), &config, ADAPTER), EchoVerdict::Unrelated);
    assert_eq!(check_echo_reply(&arp_reply(|_| {}), &config, ADAPTER), EchoVerdict::Unrelated);
    let other_host = Config { source_ip: Ipv4Addr::new(192, 168, 77, 99), ..config };
    assert_eq!(check_echo_reply(&echo_reply(&other_host, ADAPTER), &config, ADAPTER), EchoVerdict::Unrelated);
}

/// A scripted port: answers what a stack would, with the replies `respond` makes, on a virtual clock.
struct Scripted<F: FnMut(&[u8]) -> Vec<Vec<u8>>> {
    capturing: bool,
    captured: Vec<Vec<u8>>,
    injected: Vec<Vec<u8>>,
    respond: F,
    now: Duration,
}

impl<F: FnMut(&[u8]) -> Vec<Vec<u8>>> Wire for Scripted<F> {
    fn start_capture(&mut self) -> Result<(), String> {
        self.capturing = true;
        Ok(())
    }
    fn stop_capture(&mut self) -> Result<(), String> {
        self.capturing = false;
        Ok(())
    }
    fn inject(&mut self, frame: &[u8]) -> Result<(), String> {
        assert!(self.capturing, "capture runs before anything is injected");
        self.injected.push(frame.to_vec());
        let replies = (self.respond)(frame);
        self.captured.extend(replies);
        Ok(())
    }
    fn read_capture(&mut self, wait: Duration) -> Result<Vec<Vec<u8>>, String> {
        if self.captured.is_empty() {
            self.now += wait;
        }
        Ok(std::mem::take(&mut self.captured))
    }
    fn now(&self) -> Duration {
        self.now
    }
}

fn scripted<F: FnMut(&[u8]) -> Vec<Vec<u8>>>(respond: F) -> Scripted<F> {
    Scripted { capturing: false, captured: Vec::new(), injected: Vec::new(), respond, now: Duration::ZERO }
}

/// A stack at TARGET behind ADAPTER, with some noise before each answer.
fn stack(frame: &[u8]) -> Vec<Vec<u8>> {
    let noise = vec![0x33, 0x33, 0, 0, 0, 0x16, 2, 0x76, 0x77, 0, 0, 1, 0x86, 0xdd, 0, 0];
    if frame[12..14] == [0x08, 0x06] {
        vec![noise, arp_reply(|_| {})]
    } else {
        vec![noise, echo_reply(&config(), ADAPTER)]
    }
}

#[test]
fn the_exchange_succeeds_against_a_stack_that_answers() {
    let mut wire = scripted(stack);
    let mut lines = Vec::new();
    let outcome = run(&mut wire, &config(), &mut |line| lines.push(line)).unwrap();
    assert_eq!(outcome.adapter_mac, ADAPTER);
    assert_eq!(wire.injected, vec![arp_request(&config()), echo_request(&config(), ADAPTER)]);
    assert!(!wire.capturing, "stopped at the end");
    assert!(lines.iter().any(|l| l.contains("is at 02-76-77-00-00-01")), "{lines:?}");
    assert!(lines.iter().any(|l| l.contains("echo reply")), "{lines:?}");
}

#[test]
fn a_silent_port_fails_at_the_arp_step_after_the_timeout() {
    let mut wire = scripted(|_| Vec::new());
    let error = run(&mut wire, &config(), &mut |_| {}).unwrap_err();
    assert_eq!(error.step, Step::ArpReply);
    assert!(wire.now >= config().timeout && wire.now < config().timeout + POLL);
    assert!(!wire.capturing, "stopped after a failure too");
    assert!(error.to_string().contains("\"ARP reply\""), "{error}");
}

#[test]
fn a_wrong_echo_reply_fails_at_the_echo_step() {
    let mut wire = scripted(|frame: &[u8]| {
        if frame[12..14] == [0x08, 0x06] {
            vec![arp_reply(|_| {})]
        } else {
            let mut reply = echo_reply(&config(), ADAPTER);
            reply[70] ^= 0xff; // payload, ICMP checksum now wrong
            vec![reply]
        }
    });
    let error = run(&mut wire, &config(), &mut |_| {}).unwrap_err();
    assert_eq!(error, SmokeError { step: Step::EchoReply, message: "bad ICMP checksum".into() });
    let mut wire =
        scripted(|frame: &[u8]| if frame[12..14] == [0x08, 0x06] { vec![arp_reply(|_| {})] } else { vec![] });
    assert_eq!(run(&mut wire, &config(), &mut |_| {}).unwrap_err().step, Step::EchoReply);
}

#[test]
fn a_refused_inject_names_its_step() {
    struct Refusing;
    impl Wire for Refusing {
        fn start_capture(&mut self) -> Result<(), String> {
            Ok(())
        }
        fn stop_capture(&mut self) -> Result<(), String> {
            Ok(())
        }
        fn inject(&mut self, _: &[u8]) -> Result<(), String> {
            Err("no such port".into())
        }
        fn read_capture(&mut self, _: Duration) -> Result<Vec<Vec<u8>>, String> {
            Ok(Vec::new())
        }
        fn now(&self) -> Duration {
            Duration::ZERO
        }
    }
    let error = run(&mut Refusing, &config(), &mut |_| {}).unwrap_err();
    assert_eq!(error, SmokeError { step: Step::InjectArpRequest, message: "no such port".into() });
}
