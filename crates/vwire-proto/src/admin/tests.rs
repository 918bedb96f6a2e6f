//! The administrator's messages: what a management tool encodes the driver decodes, and every
//! malformed input is refused with the reason, never a panic.

#![allow(clippy::arithmetic_side_effects, reason = "test arithmetic on small constants")]

use super::*;

fn encoded(request: &AdminRequest) -> (u32, std::vec::Vec<u8>) {
    let mut buf = [0u8; ADMIN_MAX_INPUT_LEN];
    let (code, len) = request.encode(&mut buf).unwrap();
    (code, buf[..len].to_vec())
}

#[test]
fn ioctl_codes_are_buffered_vendor_codes_of_the_bus_type_needing_read_and_write_access() {
    // CTL_CODE(0x2A, 0x800 + n, METHOD_BUFFERED, FILE_READ_DATA | FILE_WRITE_DATA), computed by hand:
    // (0x2A << 16) | (3 << 14) | ((0x800 + n) << 2) | 0.
    assert_eq!(IOCTL_VWIRE_BUS_ADD_PORT, 0x002A_E000);
    assert_eq!(IOCTL_VWIRE_BUS_REMOVE_PORT, 0x002A_E004);
    assert_eq!(IOCTL_VWIRE_BUS_SET_LINK, 0x002A_E008);
    assert_eq!(IOCTL_VWIRE_BUS_SET_FAULTS, 0x002A_E00C);
    for code in [IOCTL_VWIRE_BUS_ADD_PORT, IOCTL_VWIRE_BUS_REMOVE_PORT, IOCTL_VWIRE_BUS_SET_LINK] {
        assert_eq!(code & 3, METHOD_BUFFERED);
        assert_eq!(code >> 16, FILE_DEVICE_BUS_EXTENDER);
        assert_eq!((code >> 14) & 3, FILE_READ_DATA | FILE_WRITE_DATA);
        assert!((code >> 2) & 0xFFF >= 0x800, "vendor function range");
    }
    // Distinct from the miniport's internal IOCTLs (device type FILE_DEVICE_NETWORK).
    assert_ne!(IOCTL_VWIRE_BUS_ADD_PORT >> 16, crate::IOCTL_VWIRE_QUERY_DEVICE >> 16);
}

#[test]
fn every_request_round_trips_through_its_ioctl() {
    let requests = [
        AdminRequest::AddPort,
        AdminRequest::RemovePort { port: 7 },
        AdminRequest::SetLink(SetLink { port: 3, up: false }),
        AdminRequest::SetLink(SetLink { port: u32::MAX, up: true }),
        AdminRequest::SetFaults(SetFaults {
            port: 9,
            drop_ppm: 1,
            corrupt_ppm: PPM_ALWAYS,
            delay_us: 250_000,
            stall: true,
            fail_writes: false,
            fail_reads: true,
        }),
        AdminRequest::SetFaults(SetFaults::default()),
    ];
    for request in requests {
        let (code, bytes) = encoded(&request);
        assert_eq!(AdminRequest::decode(code, &bytes), Ok(request), "{request:?}");
    }
}

#[test]
fn layouts_are_the_documented_little_endian_bytes() {
    let (_, bytes) = encoded(&AdminRequest::SetLink(SetLink { port: 0x0403_0201, up: true }));
    assert_eq!(bytes, [1, 0, 12, 0, 1, 2, 3, 4, 1, 0, 0, 0]);

    let (_, bytes) = encoded(&AdminRequest::SetFaults(SetFaults {
        port: 2,
        drop_ppm: 0x10,
        corrupt_ppm: 0x20,
        delay_us: 0x30,
        stall: false,
        fail_writes: true,
        fail_reads: false,
    }));
    assert_eq!(bytes, [1, 0, 24, 0, 2, 0, 0, 0, 0x10, 0, 0, 0, 0x20, 0, 0, 0, 0x30, 0, 0, 0, 0, 1, 0, 0]);

    let mut out = [0xAAu8; 20];
    let added = PortAdded { port: 5, mac: port_mac(5) };
    assert_eq!(added.encode(&mut out), Ok(16));
    assert_eq!(out[..16], [1, 0, 16, 0, 5, 0, 0, 0, 0x02, 0x76, 0x77, 0, 0, 5, 0, 0]);
    assert_eq!(out[16..], [0xAA; 4], "nothing written past the structure");
    assert_eq!(PortAdded::decode(&out[..16]), Ok(added));
}

#[test]
fn assigned_macs_are_locally_administered_unicast_with_the_vwire_prefix() {
    assert_eq!(port_mac(0), [0x02, 0x76, 0x77, 0, 0, 0]);
    assert_eq!(port_mac(0x0012_3456), [0x02, 0x76, 0x77, 0x12, 0x34, 0x56]);
    // Only the low 24 bits of the serial are used.
    assert_eq!(port_mac(0xFF00_0001), port_mac(1));
    let mac = port_mac(42);
    assert_eq!(mac[0] & 0b11, 0b10, "locally administered, unicast");
}

#[test]
fn input_must_be_exactly_one_structure() {
    let (code, bytes) = encoded(&AdminRequest::RemovePort { port: 1 });
    assert_eq!(
        AdminRequest::decode(code, &bytes[..7]),
        Err(AdminError::WrongInputLength { expected: 8, found: 7 })
    );
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(
        AdminRequest::decode(code, &longer),
        Err(AdminError::WrongInputLength { expected: 8, found: 9 })
    );
    assert_eq!(AdminRequest::decode(code, &[]), Err(AdminError::WrongInputLength { expected: 8, found: 0 }));
}

#[test]
fn header_must_carry_the_protocol_version_and_the_structure_length() {
    let (code, mut bytes) = encoded(&AdminRequest::SetLink(SetLink { port: 1, up: true }));
    bytes[2] = 8;
    assert_eq!(
        AdminRequest::decode(code, &bytes),
        Err(AdminError::WrongHeaderLength { length: 8, expected: 12 })
    );
    bytes[2] = 12;
    bytes[0] = 2;
    assert_eq!(
        AdminRequest::decode(code, &bytes),
        Err(AdminError::Control(ControlError::BadVersion { found: 2 }))
    );
}

#[test]
fn reserved_fields_booleans_and_ppm_are_checked() {
    let (code, bytes) = encoded(&AdminRequest::SetLink(SetLink { port: 1, up: true }));
    let mut bad = bytes.clone();
    bad[8] = 2;
    assert_eq!(
        AdminRequest::decode(code, &bad),
        Err(AdminError::Control(ControlError::BadBoolean { offset: 8, value: 2 }))
    );
    let mut bad = bytes.clone();
    bad[10] = 1;
    assert_eq!(
        AdminRequest::decode(code, &bad),
        Err(AdminError::Control(ControlError::ReservedNonzero { offset: 9 }))
    );

    let (code, bytes) = encoded(&AdminRequest::AddPort);
    let mut bad = bytes.clone();
    bad[7] = 0x80;
    assert_eq!(
        AdminRequest::decode(code, &bad),
        Err(AdminError::Control(ControlError::ReservedNonzero { offset: 4 }))
    );

    let (code, bytes) = encoded(&AdminRequest::SetFaults(SetFaults::default()));
    let mut bad = bytes.clone();
    bad[12..16].copy_from_slice(&(PPM_ALWAYS + 1).to_le_bytes());
    assert_eq!(
        AdminRequest::decode(code, &bad),
        Err(AdminError::PpmOutOfRange { offset: 12, value: PPM_ALWAYS + 1 })
    );
    let mut bad = bytes.clone();
    bad[23] = 1;
    assert_eq!(
        AdminRequest::decode(code, &bad),
        Err(AdminError::Control(ControlError::ReservedNonzero { offset: 23 }))
    );
    let mut bad = bytes;
    bad[22] = 7;
    assert_eq!(
        AdminRequest::decode(code, &bad),
        Err(AdminError::Control(ControlError::BadBoolean { offset: 22, value: 7 }))
    );
    // What decode refuses, encode refuses too.
    let mut out = [0u8; 64];
    let faults = SetFaults { drop_ppm: PPM_ALWAYS + 1, ..SetFaults::default() };
    assert_eq!(faults.encode(&mut out), Err(AdminError::PpmOutOfRange { offset: 8, value: PPM_ALWAYS + 1 }));
}

#[test]
fn unknown_codes_and_short_outputs_are_errors() {
    let (_, bytes) = encoded(&AdminRequest::AddPort);
    assert_eq!(
        AdminRequest::decode(0x002A_E020, &bytes),
        Err(AdminError::UnknownIoctl { code: 0x002A_E020 })
    );
    assert_eq!(
        AdminRequest::decode(crate::IOCTL_VWIRE_QUERY_DEVICE, &bytes),
        Err(AdminError::UnknownIoctl { code: crate::IOCTL_VWIRE_QUERY_DEVICE })
    );
    let mut out = [0u8; 15];
    assert_eq!(
        PortAdded { port: 1, mac: port_mac(1) }.encode(&mut out),
        Err(AdminError::Control(ControlError::OutputTooSmall { needed: 16, found: 15 }))
    );
    assert_eq!(AdminRequest::AddPort.output_len(), PortAdded::ENCODED_LEN);
    assert_eq!(AdminRequest::RemovePort { port: 1 }.output_len(), 0);
}

#[test]
fn no_input_of_any_length_or_content_panics() {
    // Every prefix of every valid message, and a byte-pattern sweep, under every code.
    let codes = [
        IOCTL_VWIRE_BUS_ADD_PORT,
        IOCTL_VWIRE_BUS_REMOVE_PORT,
        IOCTL_VWIRE_BUS_SET_LINK,
        IOCTL_VWIRE_BUS_SET_FAULTS,
        IOCTL_VWIRE_BUS_INJECT_FRAME,
        IOCTL_VWIRE_BUS_CAPTURE_CONTROL,
        IOCTL_VWIRE_BUS_CAPTURE_READ,
        IOCTL_VWIRE_BUS_SET_SPEED,
        0,
        u32::MAX,
    ];
    let mut buf = [0u8; 40];
    for seed in 0u32..512 {
        for (i, b) in buf.iter_mut().enumerate() {
            *b = (seed.wrapping_mul(31).wrapping_add(i as u32 * 7) >> (i % 5)) as u8;
        }
        for code in codes {
            for len in 0..buf.len() {
                let _ = AdminRequest::decode(code, &buf[..len]);
                let _ = PortAdded::decode(&buf[..len]);
                let _ = CaptureReply::decode_with_frames(&buf[..len]);
            }
        }
    }
}

#[test]
fn guids_and_hardware_id_match_the_inf_and_the_documented_strings() {
    assert_eq!(CHILD_HARDWARE_ID, "{d25fba69-e1db-424d-b06c-dd93052ef851}\\VWirePort");
    // The enumerator part of the hardware ID is the bus type GUID.
    let g = BUS_TYPE_GUID;
    let text = std::format!(
        "{{{:08x}-{:04x}-{:04x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}}}",
        g.data1,
        g.data2,
        g.data3,
        g.data4[0],
        g.data4[1],
        g.data4[2],
        g.data4[3],
        g.data4[4],
        g.data4[5],
        g.data4[6],
        g.data4[7]
    );
    assert!(CHILD_HARDWARE_ID.starts_with(&text), "{text}");
    // IDs must be ASCII, with no spaces or commas (irp-mn-query-id: an illegal character bug-checks).
    assert!(CHILD_HARDWARE_ID.bytes().all(|b| b > 0x20 && b < 0x7F && b != b','));
    assert!(CHILD_HARDWARE_ID.len() < 200, "MAX_DEVICE_ID_LEN");
    assert_eq!(INTERFACE_GUID.data1, 0x31f0_c005);
    assert_ne!(INTERFACE_GUID, BUS_TYPE_GUID);
}

fn inject(port: u32, frame: &[u8]) -> std::vec::Vec<u8> {
    encoded(&AdminRequest::InjectFrame(InjectFrame { port, frame })).1
}

#[test]
fn the_new_codes_follow_the_old_ones_with_the_same_access() {
    assert_eq!(IOCTL_VWIRE_BUS_INJECT_FRAME, 0x002A_E010);
    assert_eq!(IOCTL_VWIRE_BUS_CAPTURE_CONTROL, 0x002A_E014);
    assert_eq!(IOCTL_VWIRE_BUS_CAPTURE_READ, 0x002A_E018);
    for code in [IOCTL_VWIRE_BUS_INJECT_FRAME, IOCTL_VWIRE_BUS_CAPTURE_CONTROL, IOCTL_VWIRE_BUS_CAPTURE_READ]
    {
        assert_eq!(code & 3, METHOD_BUFFERED);
        assert_eq!(code >> 16, FILE_DEVICE_BUS_EXTENDER);
        assert_eq!((code >> 14) & 3, FILE_READ_DATA | FILE_WRITE_DATA);
    }
}

#[test]
fn new_requests_round_trip_and_have_the_documented_bytes() {
    let frame: std::vec::Vec<u8> = (0..60u8).collect();
    let requests = [
        AdminRequest::InjectFrame(InjectFrame { port: 4, frame: &frame }),
        AdminRequest::InjectFrame(InjectFrame { port: 4, frame: &[0xEE; INJECT_MAX_FRAME_LEN] }),
        AdminRequest::InjectFrame(InjectFrame { port: 4, frame: &[0x11; INJECT_MIN_FRAME_LEN] }),
        AdminRequest::CaptureControl(CaptureControl { port: 2, start: true }),
        AdminRequest::CaptureControl(CaptureControl { port: 2, start: false }),
        AdminRequest::CaptureRead { port: 9 },
    ];
    for request in requests {
        let (code, bytes) = encoded(&request);
        assert_eq!(AdminRequest::decode(code, &bytes), Ok(request), "{request:?}");
    }
    let bytes = inject(0x0403_0201, &frame);
    assert_eq!(bytes[..12], [1, 0, 72, 0, 1, 2, 3, 4, 60, 0, 0, 0]);
    assert_eq!(bytes[12..], frame[..]);
    let (_, bytes) = encoded(&AdminRequest::CaptureControl(CaptureControl { port: 7, start: true }));
    assert_eq!(bytes, [1, 0, 12, 0, 7, 0, 0, 0, 1, 0, 0, 0]);
    let (_, bytes) = encoded(&AdminRequest::CaptureRead { port: 7 });
    assert_eq!(bytes, [1, 0, 8, 0, 7, 0, 0, 0]);
    assert_eq!(AdminRequest::CaptureRead { port: 1 }.output_len(), CAPTURE_READ_MIN_OUTPUT);
    assert_eq!(AdminRequest::InjectFrame(InjectFrame { port: 1, frame: &frame }).output_len(), 0);
    assert_eq!(ADMIN_MAX_INPUT_LEN, 1526);
}

#[test]
fn an_injected_frame_outside_14_to_1514_bytes_is_refused_both_ways() {
    let mut out = [0u8; ADMIN_MAX_INPUT_LEN + 8];
    for len in [0, 13, INJECT_MAX_FRAME_LEN + 1, 1518] {
        let frame = std::vec![0u8; len];
        assert_eq!(
            InjectFrame { port: 1, frame: &frame }.encode(&mut out),
            Err(AdminError::FrameLength { length: len as u16 }),
            "encode {len}"
        );
    }
    // Decode: a well-formed input whose frame_length (and size) say 13 or 1515.
    for len in [13u16, 1515] {
        let mut bytes = inject(1, &[0u8; 14]);
        bytes.resize(12 + usize::from(len), 0);
        bytes[2..4].copy_from_slice(&(12 + len).to_le_bytes());
        bytes[8..10].copy_from_slice(&len.to_le_bytes());
        assert_eq!(
            AdminRequest::decode(IOCTL_VWIRE_BUS_INJECT_FRAME, &bytes),
            Err(AdminError::FrameLength { length: len })
        );
    }
}

#[test]
fn malformed_inject_inputs_get_their_reason() {
    let good = inject(3, &[0x42; 60]);
    let code = IOCTL_VWIRE_BUS_INJECT_FRAME;
    // Shorter than the fixed part.
    assert_eq!(
        AdminRequest::decode(code, &good[..11]),
        Err(AdminError::WrongInputLength { expected: 12, found: 11 })
    );
    // The frame is cut short / has a byte too many.
    assert_eq!(
        AdminRequest::decode(code, &good[..71]),
        Err(AdminError::WrongInputLength { expected: 72, found: 71 })
    );
    let mut long = good.clone();
    long.push(0);
    assert_eq!(
        AdminRequest::decode(code, &long),
        Err(AdminError::WrongInputLength { expected: 72, found: 73 })
    );
    // The header's length disagrees with frame_length.
    let mut bad = good.clone();
    bad[2] = 71;
    assert_eq!(
        AdminRequest::decode(code, &bad),
        Err(AdminError::WrongHeaderLength { length: 71, expected: 72 })
    );
    // Version.
    let mut bad = good.clone();
    bad[0] = 2;
    assert_eq!(
        AdminRequest::decode(code, &bad),
        Err(AdminError::Control(ControlError::BadVersion { found: 2 }))
    );
    // Reserved.
    let mut bad = good.clone();
    bad[11] = 1;
    assert_eq!(
        AdminRequest::decode(code, &bad),
        Err(AdminError::Control(ControlError::ReservedNonzero { offset: 10 }))
    );
    // The decoded frame is exactly the bytes after the fixed part.
    let Ok(AdminRequest::InjectFrame(decoded)) = AdminRequest::decode(code, &good) else { panic!() };
    assert_eq!((decoded.port, decoded.frame), (3, &[0x42u8; 60][..]));
}

#[test]
fn malformed_capture_inputs_get_their_reason() {
    let (code, good) = encoded(&AdminRequest::CaptureControl(CaptureControl { port: 1, start: true }));
    assert_eq!(
        AdminRequest::decode(code, &good[..11]),
        Err(AdminError::WrongInputLength { expected: 12, found: 11 })
    );
    let mut bad = good.clone();
    bad[8] = 2;
    assert_eq!(
        AdminRequest::decode(code, &bad),
        Err(AdminError::Control(ControlError::BadBoolean { offset: 8, value: 2 }))
    );
    let mut bad = good.clone();
    bad[11] = 1;
    assert_eq!(
        AdminRequest::decode(code, &bad),
        Err(AdminError::Control(ControlError::ReservedNonzero { offset: 9 }))
    );
    let mut bad = good.clone();
    bad[2] = 16;
    assert_eq!(
        AdminRequest::decode(code, &bad),
        Err(AdminError::WrongHeaderLength { length: 16, expected: 12 })
    );
    let (code, good) = encoded(&AdminRequest::CaptureRead { port: 1 });
    let mut long = good.clone();
    long.extend([0; 4]);
    assert_eq!(
        AdminRequest::decode(code, &long),
        Err(AdminError::WrongInputLength { expected: 8, found: 12 })
    );
    let mut bad = good;
    bad[1] = 1;
    assert_eq!(
        AdminRequest::decode(code, &bad),
        Err(AdminError::Control(ControlError::BadVersion { found: 0x0101 }))
    );
}

#[test]
fn a_capture_reply_carries_its_counts_and_a_batch_that_ends_with_it() {
    let mut out = std::vec![0u8; CAPTURE_READ_OUTPUT];
    let reply = CaptureReply { port: 5, dropped: 2, pending: 1 };
    assert_eq!(reply.encode(&mut out), Ok(16));
    assert_eq!(out[..16], [1, 0, 16, 0, 5, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0]);
    let mut writer = crate::BatchWriter::new(&mut out[16..]).unwrap();
    writer.push(&[0xAB; 60]).unwrap();
    writer.push(&[0xCD; 14]).unwrap();
    let total = 16 + writer.finish();
    let (decoded, batch) = CaptureReply::decode_with_frames(&out[..total]).unwrap();
    assert_eq!(decoded, reply);
    let frames: std::vec::Vec<&[u8]> = batch.frames().collect();
    assert_eq!(frames, [&[0xAB; 60][..], &[0xCD; 14][..]]);
    // Trailing bytes after the batch, a cut batch, no batch at all: refused.
    assert!(CaptureReply::decode_with_frames(&out[..total + 4]).is_err());
    assert!(CaptureReply::decode_with_frames(&out[..total - 4]).is_err());
    assert!(CaptureReply::decode_with_frames(&out[..16]).is_err());
    assert!(CaptureReply::decode_with_frames(&out[..8]).is_err());
    // The least output holds the reply, a batch header and the largest record.
    assert_eq!(CAPTURE_READ_MIN_OUTPUT, 16 + 16 + 9024);
}

#[test]
fn set_speed_is_the_next_code_and_carries_a_port_and_a_nonzero_speed() {
    assert_eq!(IOCTL_VWIRE_BUS_SET_SPEED, 0x002A_E01C);
    assert_eq!(IOCTL_VWIRE_BUS_SET_SPEED & 3, METHOD_BUFFERED);
    assert_eq!((IOCTL_VWIRE_BUS_SET_SPEED >> 14) & 3, FILE_READ_DATA | FILE_WRITE_DATA);
    for request in [
        AdminRequest::SetSpeed(SetSpeed { port: 2, speed_bps: 10_000_000 }),
        AdminRequest::SetSpeed(SetSpeed { port: u32::MAX, speed_bps: 1 }),
        AdminRequest::SetSpeed(SetSpeed { port: 0, speed_bps: u64::MAX }),
    ] {
        let (code, bytes) = encoded(&request);
        assert_eq!(code, IOCTL_VWIRE_BUS_SET_SPEED);
        assert_eq!(AdminRequest::decode(code, &bytes), Ok(request), "{request:?}");
        assert_eq!(request.output_len(), 0);
    }
    let (_, bytes) =
        encoded(&AdminRequest::SetSpeed(SetSpeed { port: 0x0403_0201, speed_bps: 1_000_000_000 }));
    assert_eq!(bytes, [1, 0, 16, 0, 1, 2, 3, 4, 0x00, 0xCA, 0x9A, 0x3B, 0, 0, 0, 0]);

    // 0 bit/s is refused both ways; length and header as for every structure.
    let mut zero = bytes.clone();
    zero[8..16].fill(0);
    assert_eq!(AdminRequest::decode(IOCTL_VWIRE_BUS_SET_SPEED, &zero), Err(AdminError::ZeroSpeed));
    let mut out = [0u8; 16];
    assert_eq!(SetSpeed { port: 1, speed_bps: 0 }.encode(&mut out), Err(AdminError::ZeroSpeed));
    assert_eq!(
        AdminRequest::decode(IOCTL_VWIRE_BUS_SET_SPEED, &bytes[..12]),
        Err(AdminError::WrongInputLength { expected: 16, found: 12 })
    );
    let mut bad = bytes;
    bad[2] = 12;
    assert_eq!(
        AdminRequest::decode(IOCTL_VWIRE_BUS_SET_SPEED, &bad),
        Err(AdminError::WrongHeaderLength { length: 12, expected: 16 })
    );
    // A SetLink's bytes are not a SetSpeed.
    let (_, link) = encoded(&AdminRequest::SetLink(SetLink { port: 1, up: true }));
    assert!(AdminRequest::decode(IOCTL_VWIRE_BUS_SET_SPEED, &link).is_err());
}
