//! The bus's administrator interface, user mode's way into the kernel: `IOCTL_VWIRE_BUS_*` input
//! decoded by `bus::decode_admin` (after `check_admin_input_length`) and carried out by
//! `BusState::admin`, in sequence, with the PnP steps the Windows glue takes after each effect.
//! Properties: no panic; a decoded request re-encodes to exactly its input under the same IOCTL code;
//! a reply never claims more bytes than the output buffer holds and parses as a capture reply; the
//! port table agrees with the effects (an added port is pending, then present; a removed port is
//! unplugged, then gone).
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use vwire_bus::bus::{self, AdminEffect, BusState, PortState};
use vwire_bus::control::*;
use vwire_bus::{Hub, HubConfig, PortId};

const CODES: [u32; 8] = [
    IOCTL_VWIRE_BUS_ADD_PORT,
    IOCTL_VWIRE_BUS_REMOVE_PORT,
    IOCTL_VWIRE_BUS_SET_LINK,
    IOCTL_VWIRE_BUS_SET_FAULTS,
    IOCTL_VWIRE_BUS_INJECT_FRAME,
    IOCTL_VWIRE_BUS_CAPTURE_CONTROL,
    IOCTL_VWIRE_BUS_CAPTURE_READ,
    IOCTL_VWIRE_BUS_SET_SPEED,
];

#[derive(Arbitrary, Debug)]
enum Code {
    Known(u8),
    Raw(u32),
}

#[derive(Arbitrary, Debug)]
struct Request {
    code: Code,
    input: Vec<u8>,
    output_len: u16,
    /// After an add: whether the PDO comes up (else the child-list report failed and is undone).
    pdo_comes_up: bool,
    /// Ticks of hub time before the request.
    elapse: u16,
}

fuzz_target!(|requests: Vec<Request>| {
    let mut bus: BusState<u32, u64> = BusState::new(Hub::new(HubConfig {
        queue_frames: 8,
        max_ports: 4,
        capture_frames: 4,
        ..HubConfig::default()
    }));
    let mut now = 0u64;
    let mut next_queue = 1u32;
    for request in requests.iter().take(64) {
        now = now.saturating_add(u64::from(request.elapse));
        let code = match request.code {
            Code::Known(i) => CODES[usize::from(i) % CODES.len()],
            Code::Raw(code) => code,
        };
        if bus::check_admin_input_length(request.input.len()).is_err() {
            continue;
        }
        let output_len = usize::from(request.output_len).min(CAPTURE_READ_OUTPUT);
        let Ok(decoded) = bus::decode_admin(code, &request.input, output_len) else { continue };
        assert!(output_len >= decoded.output_len());
        let mut encoded = vec![0u8; request.input.len()];
        let (again_code, n) = decoded.encode(&mut encoded).expect("a decoded request encodes");
        assert_eq!(again_code, code);
        assert_eq!(&encoded[..n], &request.input[..], "a decoded request is not canonical");
        let mut output = vec![0xEEu8; output_len];
        match bus.admin(decoded, &mut output, now) {
            Err(_) => {}
            Ok(AdminEffect::Done | AdminEffect::KickServingDpc) => {}
            Ok(AdminEffect::ReportPresent(added)) => {
                let port = PortId(added.port);
                assert_eq!(bus.port_state(port), Some(PortState::Pending));
                let (status, written) = bus::reply_port_added(&added, &mut output);
                assert_eq!(status, bus::BusStatus::Success);
                assert_eq!(PortAdded::decode(&output[..written]).expect("reply decodes"), added);
                if request.pdo_comes_up {
                    bus.set_port_pdo(port);
                    let (read, link) = (next_queue, next_queue + 1);
                    next_queue += 2;
                    assert!(bus.attach_port(port, Some(read), Some(link)));
                    assert_eq!(bus.port_state(port), Some(PortState::Present));
                } else {
                    bus.forget_port(port);
                    assert_eq!(bus.port_state(port), None);
                }
            }
            Ok(AdminEffect::FailParkedThenReportMissing { port, queues }) => {
                assert_eq!(bus.port_state(port), Some(PortState::Unplugged));
                assert_eq!(bus.queues(port), Some(queues));
                // The PDO is deleted: its cleanup frees the row and the hub port.
                bus.forget_port(port);
                assert_eq!(bus.port_state(port), None);
            }
            Ok(AdminEffect::AnswerLinkWaits { port }) => {
                assert!(bus.port_state(port).is_some());
            }
            Ok(AdminEffect::Reply { information }) => {
                assert!(information <= output.len(), "reply of {information} bytes in {}", output.len());
                let (reply, frames) =
                    CaptureReply::decode_with_frames(&output[..information]).expect("a capture reply parses");
                let _ = (reply, frames.frame_count());
            }
        }
        assert!(bus.ports().count() <= 4);
    }
});
