//! The bus's portable bookkeeping (`vwire_bus::bus`): the administrator's requests of every kind,
//! ports added and removed with I/O parked, the port table's limits, malformed input, and the life
//! of a port's child device, driven the way the Windows glue drives them (`bus_driver`).

mod bus_driver;

use bus_driver::{Driver, ROUND};
use vwire_bus::bus::{
    ADMIN_INPUT_MAX, AdminEffect, BusState, BusStatus, MAX_PORTS, PortQueues, PortState,
    TICKS_PER_MICROSECOND, check_admin_input_length, decode_admin,
};
use vwire_bus::control::{
    AdminError, AdminRequest, IOCTL_VWIRE_BUS_ADD_PORT, IOCTL_VWIRE_BUS_REMOVE_PORT,
    IOCTL_VWIRE_BUS_SET_FAULTS, IOCTL_VWIRE_BUS_SET_LINK, IOCTL_VWIRE_BUS_SET_SPEED, PortAdded, SetFaults,
    SetLink, SetSpeed, port_mac,
};
use vwire_bus::{DevicePower, Faults, Hub, HubConfig, HubError, IoctlStatus, PortId};
use vwire_proto::{ControlError, IOCTL_VWIRE_QUERY_DEVICE, LinkState};

fn set_link(port: u32, up: bool) -> AdminRequest<'static> {
    AdminRequest::SetLink(SetLink { port, up })
}

fn set_speed(port: u32, speed_bps: u64) -> AdminRequest<'static> {
    AdminRequest::SetSpeed(SetSpeed { port, speed_bps })
}

fn remove(port: u32) -> AdminRequest<'static> {
    AdminRequest::RemovePort { port }
}

/// The encoded input of `request`.
fn input_of(request: AdminRequest<'_>) -> (u32, Vec<u8>) {
    let mut buf = [0u8; ADMIN_INPUT_MAX];
    let (code, len) = request.encode(&mut buf).unwrap();
    (code, buf[..len].to_vec())
}

// ---------------------------------------------------------------------------------------------
// Adding ports

#[test]
fn add_port_reports_a_pending_child_with_the_next_serial_mac() {
    let mut bus = Driver::new();
    let first = bus.add_port().unwrap();
    let second = bus.add_port().unwrap();

    assert_eq!(first.mac, port_mac(0));
    assert_eq!(second.mac, port_mac(1));
    assert!(second.port > first.port, "ids grow: {first:?} {second:?}");
    assert_eq!(bus.children.iter().copied().collect::<Vec<_>>(), vec![first.port, second.port]);
    for added in [first, second] {
        let port = PortId(added.port);
        assert_eq!(bus.state.port_state(port), Some(PortState::Pending));
        assert_eq!(bus.state.hub().mac(port), Ok(added.mac), "the hub port carries the reported address");
        // No PDO yet: no I/O is routed to it.
        assert_eq!(bus.state.present_queues(port), None);
    }
}

#[test]
fn add_port_reply_is_the_encoded_port_added() {
    let mut bus = Driver::new();
    let reply = bus.admin_raw(IOCTL_VWIRE_BUS_ADD_PORT, &input_of(AdminRequest::AddPort).1, 64);
    assert_eq!(reply.status, BusStatus::Success);
    assert_eq!(reply.output.len(), PortAdded::ENCODED_LEN, "Information is the structure, not the buffer");
    let added = PortAdded::decode(&reply.output).unwrap();
    assert_eq!(bus.state.port_state(PortId(added.port)), Some(PortState::Pending));
}

#[test]
fn add_port_with_a_short_output_buffer_fails_before_any_port_is_made() {
    let mut bus = Driver::new();
    let input = input_of(AdminRequest::AddPort).1;
    let reply = bus.admin_raw(IOCTL_VWIRE_BUS_ADD_PORT, &input, PortAdded::ENCODED_LEN - 1);
    assert_eq!(reply.status, BusStatus::BufferTooSmall);
    assert_eq!(bus.state.ports().count(), 0);
    assert!(bus.children.is_empty());
    // Nothing was spent: the next port gets the first address.
    assert_eq!(bus.add_port().unwrap().mac, port_mac(0));
}

#[test]
fn a_full_port_table_is_quota_exceeded_and_a_freed_row_is_reused_with_a_new_id() {
    let mut bus = Driver::new();
    let ports: Vec<PortAdded> = (0..MAX_PORTS).map(|_| bus.add_port().unwrap()).collect();
    assert_eq!(bus.add_port(), Err(BusStatus::QuotaExceeded));
    assert_eq!(BusStatus::QuotaExceeded.ntstatus(), 0xC000_0044_u32.cast_signed());
    assert_eq!(bus.state.ports().count(), MAX_PORTS);
    assert_eq!(bus.state.hub().ports().count(), MAX_PORTS, "the refused add made no hub port");

    // The child of the first port fails to get its PDO: its row is free again.
    assert!(bus.fail_pdo_creation(ports[0].port));
    let again = bus.add_port().unwrap();
    assert!(ports.iter().all(|p| p.port != again.port), "port ids are never reused");
    assert_eq!(again.mac, port_mac(MAX_PORTS as u32), "the refusal spent no serial");
}

#[test]
fn a_hub_refusal_frees_the_row_but_spends_the_serial() {
    let mut bus = Driver::with_hub(HubConfig { max_ports: 1, queue_frames: 4, ..HubConfig::default() });
    let only = bus.add_port().unwrap();
    assert_eq!(bus.add_port(), Err(BusStatus::QuotaExceeded), "the hub's TooManyPorts");
    assert_eq!(bus.state.ports().count(), 1, "no row for the refused port");
    assert_eq!(bus.children.len(), 1);

    assert!(bus.fail_pdo_creation(only.port));
    // Serial 1 went to the refused attempt: addresses are never handed out twice.
    assert_eq!(bus.add_port().unwrap().mac, port_mac(2));
}

#[test]
fn a_child_list_refusal_forgets_the_port() {
    let mut bus = Driver::new();
    bus.refuse_next_child = Some(BusStatus::ObjectNameCollision);
    assert_eq!(bus.add_port(), Err(BusStatus::ObjectNameCollision));
    assert_eq!(bus.state.ports().count(), 0);
    assert_eq!(bus.state.hub().ports().count(), 0, "the hub port is freed with the row");
    let next = bus.add_port().unwrap();
    assert_eq!(bus.state.port_state(PortId(next.port)), Some(PortState::Pending));
}

// ---------------------------------------------------------------------------------------------
// Removing ports

#[test]
fn removing_a_present_port_fails_its_parked_reads_and_link_waits_and_reports_it_missing() {
    let mut bus = Driver::new();
    let port = bus.present_port();
    let peer = bus.present_port();
    // More than one round of completions, in both queues.
    let reads: Vec<u64> = (0..ROUND + 3).map(|_| bus.read(port)).collect();
    let waits: Vec<u64> = (0..ROUND).map(|_| bus.wait_link(port, 1)).collect();
    let peer_read = bus.read(peer);
    assert_eq!(bus.parked(port), (ROUND + 3, ROUND));
    assert!(bus.completions.is_empty(), "nothing was answerable before the removal");

    let reply = bus.admin(remove(port));
    assert_eq!(reply.status, BusStatus::Success);
    for request in reads.iter().chain(&waits) {
        let completion = bus.completion(*request).unwrap_or_else(|| panic!("request {request} still parked"));
        assert_eq!(completion.status, BusStatus::NoSuchDevice);
    }
    assert_eq!(bus.completions.len(), 2 * ROUND + 3, "each parked request completed once, nothing else");
    assert!(bus.completion_rounds >= 3, "completed in bounded rounds, not all under one lock");
    assert_eq!(bus.completion(peer_read), None, "the peer's read stays parked");
    assert!(!bus.children.contains(&port), "the child was reported missing");
    assert!(bus.children.contains(&peer));

    let id = PortId(port);
    assert_eq!(bus.state.port_state(id), Some(PortState::Unplugged));
    assert!(bus.state.hub().ports().any(|p| p == id), "the hub port lives until the PDO goes");
    // New I/O fails at once.
    let late = bus.read(port);
    assert_eq!(bus.completion(late).unwrap().status, BusStatus::NoSuchDevice);
    let late_wait = bus.wait_link(port, 1);
    assert_eq!(bus.completion(late_wait).unwrap().status, BusStatus::NoSuchDevice);
    assert_eq!(bus.parked(port), (0, 0));

    // The PDO goes: the row and the hub port with it.
    assert!(bus.delete_pdo(port));
    assert_eq!(bus.state.port_state(id), None);
    assert!(bus.state.hub().ports().all(|p| p != id));
}

#[test]
fn removing_a_port_whose_pdo_does_not_exist_yet_is_device_not_ready_and_changes_nothing() {
    let mut bus = Driver::new();
    let added = bus.add_port().unwrap();
    let reply = bus.admin(remove(added.port));
    assert_eq!(reply.status, BusStatus::DeviceNotReady);
    assert_eq!(reply.status.ntstatus(), 0xC000_00A3_u32.cast_signed());
    assert_eq!(bus.state.port_state(PortId(added.port)), Some(PortState::Pending));
    assert!(bus.children.contains(&added.port), "still reported present");
    // Retried once the PDO exists, it succeeds.
    assert!(bus.create_pdo(added.port));
    assert_eq!(bus.admin(remove(added.port)).status, BusStatus::Success);
}

#[test]
fn removing_a_port_twice_or_an_unknown_port_is_no_such_device() {
    let mut bus = Driver::new();
    let port = bus.present_port();
    assert_eq!(bus.admin(remove(port)).status, BusStatus::Success);
    assert_eq!(bus.admin(remove(port)).status, BusStatus::NoSuchDevice, "already unplugged");
    assert!(bus.delete_pdo(port));
    assert_eq!(bus.admin(remove(port)).status, BusStatus::NoSuchDevice, "gone");
    for unknown in [0, port + 100, u32::MAX] {
        assert_eq!(bus.admin(remove(unknown)).status, BusStatus::NoSuchDevice, "port {unknown}");
    }
    assert_eq!(BusStatus::NoSuchDevice.ntstatus(), 0xC000_000E_u32.cast_signed());
}

#[test]
fn remove_port_names_the_queues_of_the_row_it_unplugs() {
    let mut state: BusState<u32, u64> =
        BusState::new(Hub::new(HubConfig { queue_frames: 4, ..HubConfig::default() }));
    let added = state.plug_port().unwrap();
    let port = PortId(added.port);
    state.set_port_pdo(port);
    assert!(state.attach_port(port, Some(7), Some(8)));
    let effect = state.admin(remove(added.port), &mut [], 0);
    assert_eq!(
        effect,
        Ok(AdminEffect::FailParkedThenReportMissing {
            port,
            queues: PortQueues { read: Some(7), link: Some(8) }
        })
    );
    // Unplugged ports no longer route I/O, but their row still names the queues to drain.
    assert_eq!(state.present_queues(port), None);
    assert_eq!(state.queues(port), Some(PortQueues { read: Some(7), link: Some(8) }));
}

// ---------------------------------------------------------------------------------------------
// Link

#[test]
fn a_link_change_answers_parked_waits_with_the_new_state() {
    let mut bus = Driver::new();
    let port = bus.present_port();
    let waits: Vec<u64> = (0..ROUND + 2).map(|_| bus.wait_link(port, 1)).collect();
    assert_eq!(bus.parked(port), (0, ROUND + 2));

    assert_eq!(bus.admin(set_link(port, false)).status, BusStatus::Success);
    for request in &waits {
        let completion = bus.completion(*request).expect("answered");
        assert_eq!(completion.status, BusStatus::Success);
        let state = LinkState::decode(&completion.reply).unwrap();
        assert_eq!((state.generation, state.is_up(), state.speed_bps), (2, false, 0));
    }
    assert_eq!(bus.parked(port), (0, 0));

    // A wait that knows the new generation parks until the next change.
    let next = bus.wait_link(port, 2);
    assert_eq!(bus.completion(next), None);
    assert_eq!(bus.admin(set_link(port, true)).status, BusStatus::Success);
    let state = LinkState::decode(&bus.completion(next).unwrap().reply).unwrap();
    assert_eq!((state.generation, state.is_up()), (3, true));
}

#[test]
fn setting_the_link_it_already_has_answers_no_wait() {
    let mut bus = Driver::new();
    let port = bus.present_port();
    let wait = bus.wait_link(port, 1);
    assert_eq!(bus.state.admin(set_link(port, true), &mut [], 0), Ok(AdminEffect::Done));
    assert_eq!(bus.admin(set_link(port, true)).status, BusStatus::Success);
    assert_eq!(bus.completion(wait), None, "no change, no answer");
    assert_eq!(bus.parked(port), (0, 1));
}

#[test]
fn set_link_reaches_pending_ports_but_not_unplugged_or_unknown_ones() {
    let mut bus = Driver::new();
    let pending = bus.add_port().unwrap().port;
    assert_eq!(bus.admin(set_link(pending, false)).status, BusStatus::Success);
    assert!(!bus.state.hub().link_state(PortId(pending)).unwrap().is_up());

    let unplugged = bus.present_port();
    assert_eq!(bus.admin(remove(unplugged)).status, BusStatus::Success);
    assert_eq!(bus.admin(set_link(unplugged, false)).status, BusStatus::NoSuchDevice);
    assert!(
        bus.state.hub().link_state(PortId(unplugged)).unwrap().is_up(),
        "an unplugged port is not touched"
    );
    assert_eq!(bus.admin(set_link(9999, false)).status, BusStatus::NoSuchDevice);
}

#[test]
fn a_link_wait_of_a_forgotten_port_is_answered_no_such_device() {
    let mut state: BusState<u32, u64> =
        BusState::new(Hub::new(HubConfig { queue_frames: 4, ..HubConfig::default() }));
    let port = PortId(state.plug_port().unwrap().port);
    let mut reply = [0u8; LinkState::ENCODED_LEN];
    assert_eq!(state.answer_link_wait(port, 1, &mut reply), None, "generation 1 is current: stays parked");
    assert_eq!(
        state.answer_link_wait(port, 0, &mut reply),
        Some((BusStatus::Success, LinkState::ENCODED_LEN))
    );
    assert_eq!(state.answer_link_wait(port, 0, &mut [0u8; 4]), Some((BusStatus::BufferTooSmall, 0)));
    state.forget_port(port);
    assert_eq!(state.answer_link_wait(port, 1, &mut reply), Some((BusStatus::NoSuchDevice, 0)));
}

// ---------------------------------------------------------------------------------------------
// Speed

#[test]
fn a_speed_change_answers_that_ports_parked_waits_with_the_new_speed_and_no_others() {
    let mut bus = Driver::new();
    let port = bus.present_port();
    let other = bus.present_port();
    let waits: Vec<u64> = (0..ROUND + 2).map(|_| bus.wait_link(port, 1)).collect();
    let other_wait = bus.wait_link(other, 1);

    assert_eq!(
        bus.state.admin(set_speed(port, 100_000_000), &mut [], 0),
        Ok(AdminEffect::AnswerLinkWaits { port: PortId(port) })
    );
    // The driver's way: the effect carried out, every parked wait of the port answered.
    assert_eq!(bus.admin(set_speed(port, 1_000_000_000)).status, BusStatus::Success);
    for request in &waits {
        let completion = bus.completion(*request).expect("answered");
        assert_eq!(completion.status, BusStatus::Success);
        let state = LinkState::decode(&completion.reply).unwrap();
        assert_eq!((state.generation, state.is_up(), state.speed_bps), (3, true, 1_000_000_000));
    }
    assert_eq!(bus.completion(other_wait), None, "another port's speed did not change");
    assert_eq!(bus.state.hub().link_state(PortId(other)).unwrap().speed_bps, 10_000_000_000);

    // The speed it has already: nothing to answer.
    assert_eq!(bus.state.admin(set_speed(port, 1_000_000_000), &mut [], 0), Ok(AdminEffect::Done));
}

#[test]
fn set_speed_refuses_zero_and_unplugged_or_unknown_ports() {
    let mut bus = Driver::new();
    let pending = bus.add_port().unwrap().port;
    assert_eq!(bus.admin(set_speed(pending, 10_000_000)).status, BusStatus::Success);
    assert_eq!(bus.state.hub().speed(PortId(pending)), Ok(10_000_000));

    // 0 bit/s never decodes (the tool cannot even encode it), and the hub refuses it too.
    let (code, mut zero) = input_of(set_speed(pending, 1));
    zero[8..16].fill(0);
    assert_eq!(bus.admin_raw(code, &zero, 0).status, BusStatus::InvalidParameter);
    assert_eq!(bus.state.set_speed(PortId(pending), 0), Err(BusStatus::InvalidParameter));
    assert_eq!(bus.state.hub().speed(PortId(pending)), Ok(10_000_000));

    let unplugged = bus.present_port();
    assert_eq!(bus.admin(remove(unplugged)).status, BusStatus::Success);
    assert_eq!(bus.admin(set_speed(unplugged, 10_000_000)).status, BusStatus::NoSuchDevice);
    assert_eq!(bus.state.hub().speed(PortId(unplugged)), Ok(10_000_000_000), "not touched");
    assert_eq!(bus.admin(set_speed(9999, 10_000_000)).status, BusStatus::NoSuchDevice);
}

// ---------------------------------------------------------------------------------------------
// Faults

#[test]
fn set_faults_replaces_the_hub_faults_and_kicks_the_serving_dpc() {
    let mut bus = Driver::new();
    let port = bus.present_port();
    let faults = SetFaults {
        port,
        drop_ppm: 10,
        corrupt_ppm: 1_000_000,
        delay_us: 7,
        stall: true,
        fail_writes: false,
        fail_reads: true,
    };
    assert_eq!(bus.admin(AdminRequest::SetFaults(faults)).status, BusStatus::Success);
    assert_eq!(bus.kicks, 1);
    assert_eq!(
        bus.state.hub().faults(PortId(port)),
        Ok(Faults {
            drop_ppm: 10,
            corrupt_ppm: 1_000_000,
            delay_ticks: 7 * TICKS_PER_MICROSECOND,
            stall: true,
            fail_writes: false,
            fail_reads: true,
        })
    );

    // All zero lifts them all.
    assert_eq!(
        bus.admin(AdminRequest::SetFaults(SetFaults { port, ..SetFaults::default() })).status,
        BusStatus::Success
    );
    assert_eq!(bus.state.hub().faults(PortId(port)), Ok(Faults::default()));
    assert_eq!(bus.kicks, 2);
}

#[test]
fn set_faults_saturates_a_huge_delay_and_refuses_unplugged_or_unknown_ports() {
    let mut bus = Driver::new();
    let port = bus.present_port();
    let huge = SetFaults { port, delay_us: u32::MAX, ..SetFaults::default() };
    assert_eq!(bus.admin(AdminRequest::SetFaults(huge)).status, BusStatus::Success);
    assert_eq!(bus.state.hub().faults(PortId(port)).unwrap().delay_ticks, u64::from(u32::MAX) * 10);

    assert_eq!(bus.admin(remove(port)).status, BusStatus::Success);
    let kicks = bus.kicks;
    let stall = SetFaults { port, stall: true, ..SetFaults::default() };
    assert_eq!(bus.admin(AdminRequest::SetFaults(stall)).status, BusStatus::NoSuchDevice);
    assert!(!bus.state.hub().faults(PortId(port)).unwrap().stall);
    assert_eq!(
        bus.admin(AdminRequest::SetFaults(SetFaults { port: 4242, ..stall })).status,
        BusStatus::NoSuchDevice
    );
    assert_eq!(bus.kicks, kicks, "a refused request kicks nothing");
}

#[test]
fn once_the_bus_runs_down_set_faults_kicks_nothing_and_the_timer_is_not_armed() {
    let mut state: BusState<u32, u64> =
        BusState::new(Hub::new(HubConfig { queue_frames: 4, ..HubConfig::default() }));
    let port = state.plug_port().unwrap().port;
    let faults = AdminRequest::SetFaults(SetFaults { port, stall: true, ..SetFaults::default() });
    assert_eq!(state.admin(faults, &mut [], 0), Ok(AdminEffect::KickServingDpc));
    assert!(state.serving_allowed());

    state.begin_rundown();
    assert_eq!(
        state.admin(faults, &mut [], 0),
        Ok(AdminEffect::Done),
        "the change is still made, the DPC is not kicked"
    );
    assert!(!state.serving_allowed());
    assert!(!state.arm_timer(100));
}

#[test]
fn the_delivery_timer_is_armed_only_for_an_earlier_time() {
    let mut state: BusState<u32, u64> =
        BusState::new(Hub::new(HubConfig { queue_frames: 4, ..HubConfig::default() }));
    assert!(state.arm_timer(100));
    assert!(!state.arm_timer(150), "armed for 100 already");
    assert!(!state.arm_timer(100));
    assert!(state.arm_timer(50), "an earlier frame re-arms it");
    state.timer_fired();
    assert!(state.arm_timer(200), "after it ran, any time arms it");
}

// ---------------------------------------------------------------------------------------------
// Malformed administrator input

#[test]
fn malformed_admin_input_gets_the_documented_status() {
    let mut bus = Driver::new();
    let port = bus.present_port();
    let (_, add) = input_of(AdminRequest::AddPort);
    let (_, remove_input) = input_of(remove(port));
    let (_, link) = input_of(set_link(port, true));
    let (_, faults) = input_of(AdminRequest::SetFaults(SetFaults { port, ..SetFaults::default() }));
    let (_, speed) = input_of(set_speed(port, 100_000_000));

    let mut cases: Vec<(&str, u32, Vec<u8>, BusStatus)> = vec![
        (
            "longer than any structure",
            IOCTL_VWIRE_BUS_SET_FAULTS,
            vec![0; ADMIN_INPUT_MAX + 1],
            BusStatus::InvalidParameter,
        ),
        (
            "unknown function code",
            IOCTL_VWIRE_BUS_SET_SPEED + 4,
            faults.clone(),
            BusStatus::InvalidDeviceRequest,
        ),
        ("a port's internal IOCTL", IOCTL_VWIRE_QUERY_DEVICE, Vec::new(), BusStatus::InvalidDeviceRequest),
        ("code zero", 0, add.clone(), BusStatus::InvalidDeviceRequest),
    ];
    for (code, good) in [
        (IOCTL_VWIRE_BUS_ADD_PORT, &add),
        (IOCTL_VWIRE_BUS_REMOVE_PORT, &remove_input),
        (IOCTL_VWIRE_BUS_SET_LINK, &link),
        (IOCTL_VWIRE_BUS_SET_FAULTS, &faults),
        (IOCTL_VWIRE_BUS_SET_SPEED, &speed),
    ] {
        let mut trailing = good.clone();
        trailing.push(0);
        let mut bad_version = good.clone();
        bad_version[0] ^= 0xff;
        let mut bad_length = good.clone();
        bad_length[2] = bad_length[2].wrapping_add(1);
        cases.push(("empty", code, Vec::new(), BusStatus::InvalidParameter));
        cases.push(("one byte short", code, good[..good.len() - 1].to_vec(), BusStatus::InvalidParameter));
        cases.push(("one byte over", code, trailing, BusStatus::InvalidParameter));
        cases.push(("bad header version", code, bad_version, BusStatus::InvalidParameter));
        cases.push(("bad header length", code, bad_length, BusStatus::InvalidParameter));
    }
    let mut reserved = add.clone();
    reserved[4] = 1;
    cases.push(("add: reserved flags", IOCTL_VWIRE_BUS_ADD_PORT, reserved, BusStatus::InvalidParameter));
    let mut boolean = link.clone();
    boolean[8] = 2;
    cases.push(("link: up is 2", IOCTL_VWIRE_BUS_SET_LINK, boolean, BusStatus::InvalidParameter));
    let mut zero = speed.clone();
    zero[8..16].fill(0);
    cases.push(("speed: 0 bit/s", IOCTL_VWIRE_BUS_SET_SPEED, zero, BusStatus::InvalidParameter));
    let mut ppm = faults.clone();
    ppm[8..12].copy_from_slice(&1_000_001u32.to_le_bytes());
    cases.push(("faults: drop above always", IOCTL_VWIRE_BUS_SET_FAULTS, ppm, BusStatus::InvalidParameter));
    let mut stall = faults.clone();
    stall[20] = 7;
    cases.push(("faults: stall is 7", IOCTL_VWIRE_BUS_SET_FAULTS, stall, BusStatus::InvalidParameter));

    for (what, code, input, expected) in cases {
        let reply = bus.admin_raw(code, &input, 64);
        assert_eq!(reply.status, expected, "{what}");
        assert!(reply.output.is_empty(), "{what}: no reply bytes");
    }
    // Nothing of that reached the bus.
    assert_eq!(bus.state.ports().collect::<Vec<_>>(), vec![(PortId(port), PortState::Present)]);
    assert!(bus.state.hub().link_state(PortId(port)).unwrap().is_up());
    assert_eq!(bus.state.hub().link_state(PortId(port)).unwrap().generation, 1);
    assert_eq!(bus.state.hub().faults(PortId(port)), Ok(Faults::default()));
    assert_eq!(bus.kicks, 0);
    assert_eq!(BusStatus::InvalidParameter.ntstatus(), 0xC000_000D_u32.cast_signed());
    assert_eq!(BusStatus::InvalidDeviceRequest.ntstatus(), 0xC000_0010_u32.cast_signed());
}

#[test]
fn admin_input_length_is_checked_before_decoding() {
    assert_eq!(check_admin_input_length(ADMIN_INPUT_MAX), Ok(()));
    assert_eq!(check_admin_input_length(ADMIN_INPUT_MAX + 1), Err(BusStatus::InvalidParameter));
    assert_eq!(check_admin_input_length(usize::MAX), Err(BusStatus::InvalidParameter));
    // A request with no reply needs no output buffer; add-port needs its structure's size.
    let (code, input) = input_of(remove(3));
    assert_eq!(decode_admin(code, &input, 0), Ok(remove(3)));
    let (code, input) = input_of(AdminRequest::AddPort);
    assert_eq!(decode_admin(code, &input, 0), Err(BusStatus::BufferTooSmall));
    assert_eq!(decode_admin(code, &input, PortAdded::ENCODED_LEN), Ok(AdminRequest::AddPort));
}

#[test]
fn failures_map_to_the_ntstatus_they_are_named_after() {
    let hub = [
        (HubError::NoSuchPort, BusStatus::NoSuchDevice),
        (HubError::TooManyPorts, BusStatus::QuotaExceeded),
        (HubError::PortExists, BusStatus::ObjectNameCollision),
        (HubError::InvalidMac, BusStatus::InvalidParameter),
        (HubError::InvalidSpeed, BusStatus::InvalidParameter),
        (HubError::OutOfMemory, BusStatus::InsufficientResources),
        (HubError::BatchTooLarge, BusStatus::InvalidBufferSize),
        (HubError::WriteFailed, BusStatus::IoDeviceError),
        (HubError::ReadFailed, BusStatus::IoDeviceError),
        (HubError::BufferTooSmall, BusStatus::BufferTooSmall),
        (HubError::PoweredDown, BusStatus::DevicePoweredOff),
        (HubError::Control(ControlError::BadVersion { found: 9 }), BusStatus::InvalidParameter),
    ];
    for (error, status) in hub {
        assert_eq!(BusStatus::from(error), status, "{error:?}");
    }
    assert_eq!(BusStatus::from(AdminError::UnknownIoctl { code: 1 }), BusStatus::InvalidDeviceRequest);
    assert_eq!(
        BusStatus::from(AdminError::PpmOutOfRange { offset: 8, value: 2_000_000 }),
        BusStatus::InvalidParameter
    );
    assert_eq!(BusStatus::from(IoctlStatus::NoSuchDevice), BusStatus::NoSuchDevice);
    assert_eq!(BusStatus::from(IoctlStatus::InvalidDeviceRequest), BusStatus::InvalidDeviceRequest);

    // The values of S:shared/ntstatus.h (the Windows build also checks them against wdk-sys).
    let values = [
        (BusStatus::Success, 0x0000_0000_u32),
        (BusStatus::InvalidParameter, 0xC000_000D),
        (BusStatus::NoSuchDevice, 0xC000_000E),
        (BusStatus::InvalidDeviceRequest, 0xC000_0010),
        (BusStatus::BufferTooSmall, 0xC000_0023),
        (BusStatus::ObjectNameCollision, 0xC000_0035),
        (BusStatus::QuotaExceeded, 0xC000_0044),
        (BusStatus::InsufficientResources, 0xC000_009A),
        (BusStatus::DeviceNotReady, 0xC000_00A3),
        (BusStatus::Cancelled, 0xC000_0120),
        (BusStatus::InvalidDeviceState, 0xC000_0184),
        (BusStatus::IoDeviceError, 0xC000_0185),
        (BusStatus::InvalidBufferSize, 0xC000_0206),
        // Warning class: NT_SUCCESS is false (the sign bit), the request failed.
        (BusStatus::DevicePoweredOff, 0x8000_000F),
    ];
    for (status, value) in values {
        assert_eq!(status.ntstatus() as u32, value, "{status:?}");
        assert_eq!(status.is_success(), value == 0);
    }
}

// ---------------------------------------------------------------------------------------------
// The child device's life

#[test]
fn only_a_pending_port_without_a_pdo_gets_one() {
    let mut bus = Driver::new();
    let port = bus.add_port().unwrap().port;
    let id = PortId(port);
    assert!(bus.state.is_pending(id));
    bus.state.set_port_pdo(id);
    assert!(!bus.state.is_pending(id), "a second EvtChildListCreateDevice is refused");
    // With the PDO made, a failure later in its creation leaves the row to the PDO's cleanup.
    bus.state.forget_pending_port(id);
    assert_eq!(bus.state.port_state(id), Some(PortState::Pending));
    assert!(bus.state.attach_port(id, Some(1), Some(2)));
    assert_eq!(bus.state.port_state(id), Some(PortState::Present));
    assert!(!bus.state.attach_port(id, Some(3), Some(4)), "attached once");
    assert_eq!(bus.state.present_queues(id), Some(PortQueues { read: Some(1), link: Some(2) }));

    assert!(!bus.create_pdo(9999), "an unknown port gets no PDO");
    assert!(!bus.state.attach_port(PortId(9999), Some(1), Some(2)));
}

#[test]
fn a_port_forgotten_before_its_queues_are_attached_fails_the_creation() {
    let mut state: BusState<u32, u64> =
        BusState::new(Hub::new(HubConfig { queue_frames: 4, ..HubConfig::default() }));
    let port = PortId(state.plug_port().unwrap().port);
    state.set_port_pdo(port);
    state.forget_port(port);
    assert!(!state.attach_port(port, Some(1), Some(2)));
    assert_eq!(state.ports().count(), 0);
}

#[test]
fn a_creation_that_fails_before_the_pdo_frees_the_row_and_the_hub_port() {
    let mut bus = Driver::new();
    let port = bus.add_port().unwrap().port;
    assert!(bus.fail_pdo_creation(port));
    assert_eq!(bus.state.port_state(PortId(port)), None);
    assert_eq!(bus.state.hub().ports().count(), 0);
    // Present ports are not "pending": forget_pending_port leaves them alone.
    let present = bus.present_port();
    bus.state.forget_pending_port(PortId(present));
    assert_eq!(bus.state.port_state(PortId(present)), Some(PortState::Present));
}

#[test]
fn a_deleted_read_queue_stops_reads_but_not_link_waits() {
    let mut bus = Driver::new();
    let port = bus.present_port();
    bus.delete_read_queue(port);
    let read = bus.read(port);
    assert_eq!(bus.completion(read).unwrap().status, BusStatus::NoSuchDevice);
    let wait = bus.wait_link(port, 1);
    assert_eq!(bus.completion(wait), None, "the link queue still parks");
    assert_eq!(bus.state.present_queues(PortId(port)).unwrap().read, None);

    // A handle that is not the port's changes nothing.
    bus.state.detach_queue(PortId(port), 0xdead);
    assert!(bus.state.present_queues(PortId(port)).unwrap().link.is_some());
}

#[test]
fn the_serving_dpc_walks_present_ports_with_a_read_queue_only() {
    let mut bus = Driver::new();
    let pending = bus.add_port().unwrap().port;
    let present = bus.present_port();
    let unplugged = bus.present_port();
    let no_read_queue = bus.present_port();
    assert_eq!(bus.admin(remove(unplugged)).status, BusStatus::Success);
    bus.delete_read_queue(no_read_queue);

    let (_, queues) = bus.state.hub_and_read_queues();
    let walked: Vec<u32> = queues.map(|(port, _)| port.0).collect();
    assert_eq!(walked, vec![present]);
    assert!(![pending, unplugged, no_read_queue].iter().any(|p| walked.contains(p)));
}

// ---------------------------------------------------------------------------------------------
// Injecting frames and capturing what a port writes

use vwire_bus::control::{
    CAPTURE_READ_MIN_OUTPUT, CaptureControl, CaptureReply, IOCTL_VWIRE_BUS_CAPTURE_CONTROL,
    IOCTL_VWIRE_BUS_CAPTURE_READ, IOCTL_VWIRE_BUS_INJECT_FRAME, InjectFrame,
};
use vwire_proto::BatchWriter;

fn inject(port: u32, frame: &[u8]) -> AdminRequest<'_> {
    AdminRequest::InjectFrame(InjectFrame { port, frame })
}

fn capture(port: u32, start: bool) -> AdminRequest<'static> {
    AdminRequest::CaptureControl(CaptureControl { port, start })
}

/// A frame from `src` to `dst` whose payload is `fill`.
fn frame(dst: [u8; 6], src: [u8; 6], len: usize, fill: u8) -> Vec<u8> {
    let mut frame = vec![fill; len];
    frame[..6].copy_from_slice(&dst);
    frame[6..12].copy_from_slice(&src);
    frame[12..14].copy_from_slice(&[0x88, 0xB5]);
    frame
}

/// The adapter above `port` writes `frames` in one batch.
fn adapter_writes(bus: &mut Driver, port: u32, frames: &[Vec<u8>]) {
    let mut buffer = vec![0u8; vwire_proto::DEFAULT_MAX_BATCH_BYTES];
    let mut writer = BatchWriter::new(&mut buffer).unwrap();
    for frame in frames {
        writer.push(frame).unwrap();
    }
    let length = writer.finish();
    let now = bus.now;
    bus.state.hub_mut().write_batch(PortId(port), &buffer[..length], now).unwrap();
}

/// A capture read through the admin path: the reply's counts and frames.
fn read_capture(bus: &mut Driver, port: u32) -> (CaptureReply, Vec<Vec<u8>>) {
    let reply = bus.admin(AdminRequest::CaptureRead { port });
    assert_eq!(reply.status, BusStatus::Success, "capture read of {port}");
    let (head, batch) = CaptureReply::decode_with_frames(&reply.output).unwrap();
    (head, batch.frames().map(<[u8]>::to_vec).collect())
}

fn small_capture_bus(capture_frames: usize) -> Driver {
    Driver::with_hub(HubConfig {
        max_ports: MAX_PORTS,
        queue_frames: 4,
        capture_frames,
        ..HubConfig::default()
    })
}

#[test]
fn an_injected_frame_reaches_only_its_port_through_the_serving_dpc() {
    let mut bus = Driver::new();
    let (a, b) = (bus.present_port(), bus.present_port());
    let read = bus.read(a);
    let mac_a = bus.state.hub().mac(PortId(a)).unwrap();
    let sent = frame(mac_a, [0x02, 0, 0x5e, 0x10, 0, 1], 60, 0x5A);
    assert_eq!(bus.admin(inject(a, &sent)).status, BusStatus::Success);
    // Not completed from the administrator's thread: queued, and the serving DPC kicked.
    assert_eq!(bus.completion(read), None);
    assert_eq!(bus.kicks, 1);
    assert_eq!(bus.state.hub().pending_frames(PortId(a)), 1);
    assert_eq!(bus.state.hub().pending_frames(PortId(b)), 0, "not switched to the other port");
    assert_eq!(bus.serve(a), vec![sent.clone()]);
    assert_eq!(bus.completion(read).map(|c| c.status), Some(BusStatus::Success));
    assert_eq!(bus.state.hub().admin_counters(PortId(a)).unwrap().injected, 1);
    assert_eq!(bus.state.hub().counters(PortId(a)).unwrap().rx_frames, 1, "read by the adapter");
    // Nothing was learned from the injected source: a frame from b to it is flooded (to a and to
    // a third port c); had the hub learned it on a, only a would get it.
    let c = bus.present_port();
    let mac_b = bus.state.hub().mac(PortId(b)).unwrap();
    adapter_writes(&mut bus, b, &[frame([0x02, 0, 0x5e, 0x10, 0, 1], mac_b, 60, 0)]);
    assert_eq!(bus.state.hub().pending_frames(PortId(c)), 1, "flooded: the source was not learned");
    assert_eq!(bus.state.hub().pending_frames(PortId(a)), 1);
    // A read that finds a batch ready is served at once, in its own `EvtIoRead`.
    let at_once = bus.read(a);
    assert_eq!(bus.served_at_once, [at_once]);
    // The longest frame goes through the in-place path (an input longer than ADMIN_COPY_MAX).
    let longest = frame(mac_a, [0x02, 0, 0, 0, 0, 9], 1514, 0xC3);
    assert_eq!(bus.admin(inject(a, &longest)).status, BusStatus::Success);
    let read = bus.read(a);
    let reply = &bus.completion(read).unwrap().reply;
    assert_eq!(vwire_proto::Batch::parse(reply).unwrap().frames().collect::<Vec<_>>(), [&longest[..]]);
}

#[test]
fn an_injected_frame_meets_the_receive_faults_like_any_other() {
    let mut bus = Driver::new();
    let port = bus.present_port();
    let faults = SetFaults { port, delay_us: 5, ..SetFaults::default() };
    assert_eq!(bus.admin(AdminRequest::SetFaults(faults)).status, BusStatus::Success);
    let read = bus.read(port);
    bus.now = 100;
    assert_eq!(bus.admin(inject(port, &[0x11; 60])).status, BusStatus::Success);
    assert!(bus.serve(port).is_empty(), "delayed: not yet readable");
    bus.now = 100 + 5 * TICKS_PER_MICROSECOND;
    assert_eq!(bus.serve(port).len(), 1);
    assert!(bus.completion(read).is_some());
}

#[test]
fn inject_into_a_port_whose_link_is_down_is_dropped_and_counted_like_on_a_wire() {
    let mut bus = Driver::new();
    let port = bus.present_port();
    assert_eq!(bus.admin(set_link(port, false)).status, BusStatus::Success);
    let kicks = bus.kicks;
    assert_eq!(bus.admin(inject(port, &[0x22; 60])).status, BusStatus::Success, "not an error");
    assert_eq!(bus.state.hub().pending_frames(PortId(port)), 0);
    assert_eq!(bus.kicks, kicks, "nothing to serve");
    let counters = bus.state.hub().admin_counters(PortId(port)).unwrap();
    assert_eq!((counters.injected, counters.inject_dropped_link_down), (0, 1));
    // Link up again: the next one is queued.
    assert_eq!(bus.admin(set_link(port, true)).status, BusStatus::Success);
    assert_eq!(bus.admin(inject(port, &[0x22; 60])).status, BusStatus::Success);
    assert_eq!(bus.state.hub().pending_frames(PortId(port)), 1);
}

#[test]
fn inject_into_a_full_receive_queue_is_dropped_and_counted() {
    let mut bus = Driver::new();
    let port = bus.present_port();
    for _ in 0..4 {
        assert_eq!(bus.admin(inject(port, &[0x33; 60])).status, BusStatus::Success);
    }
    let kicks = bus.kicks;
    assert_eq!(bus.admin(inject(port, &[0x33; 60])).status, BusStatus::Success);
    assert_eq!(bus.kicks, kicks, "a dropped frame kicks nothing");
    let counters = bus.state.hub().admin_counters(PortId(port)).unwrap();
    assert_eq!((counters.injected, counters.inject_dropped_queue_full), (4, 1));
    assert_eq!(bus.state.hub().counters(PortId(port)).unwrap().rx_dropped_queue_full, 1);
}

#[test]
fn frame_operations_follow_the_port_life() {
    let mut bus = Driver::new();
    // A pending port (no PDO yet) takes frames and captures: its adapter reads them once it exists.
    let pending = bus.add_port().unwrap().port;
    assert_eq!(bus.admin(inject(pending, &[0x44; 60])).status, BusStatus::Success);
    assert_eq!(bus.admin(capture(pending, true)).status, BusStatus::Success);
    // Unknown ports.
    for request in
        [inject(0xDEAD, &[0x44; 60]), capture(0xDEAD, true), AdminRequest::CaptureRead { port: 0xDEAD }]
    {
        assert_eq!(bus.admin(request).status, BusStatus::NoSuchDevice, "{request:?}");
    }
    // Once the bus runs down an injected frame is still queued, but no DPC is kicked.
    let port = bus.present_port();
    bus.state.begin_rundown();
    let mut output = [0u8; 0];
    assert_eq!(bus.state.admin(inject(port, &[0x44; 60]), &mut output, 0), Ok(AdminEffect::Done));
    assert_eq!(bus.state.hub().pending_frames(PortId(port)), 1);
}

#[test]
fn capture_returns_what_the_adapter_wrote_in_order_and_never_waits() {
    let mut bus = Driver::new();
    let (a, b) = (bus.present_port(), bus.present_port());
    let mac_a = bus.state.hub().mac(PortId(a)).unwrap();
    let mac_b = bus.state.hub().mac(PortId(b)).unwrap();
    // Not started: nothing, and a read is an empty answer, not an error.
    adapter_writes(&mut bus, a, &[frame(mac_b, mac_a, 60, 1)]);
    let (head, frames) = read_capture(&mut bus, a);
    assert_eq!((head, frames.len()), (CaptureReply { port: a, dropped: 0, pending: 0 }, 0));

    assert_eq!(bus.admin(capture(a, true)).status, BusStatus::Success);
    let written =
        vec![frame(mac_b, mac_a, 60, 2), frame([0xFF; 6], mac_a, 14, 3), frame(mac_b, mac_a, 1514, 4)];
    adapter_writes(&mut bus, a, &written);
    // What b's adapter writes is not a's capture.
    adapter_writes(&mut bus, b, &[frame(mac_a, mac_b, 60, 5)]);
    assert_eq!(read_capture(&mut bus, a).1, written);
    assert!(read_capture(&mut bus, a).1.is_empty(), "a read removes what it returns");
    // Captured as the adapter sent them, even when its link is down and the wire drops them.
    assert_eq!(bus.admin(set_link(a, false)).status, BusStatus::Success);
    adapter_writes(&mut bus, a, &[frame(mac_b, mac_a, 60, 6)]);
    assert_eq!(read_capture(&mut bus, a).1, vec![frame(mac_b, mac_a, 60, 6)]);
    // Stopped: nothing more is recorded, what was recorded stays readable.
    adapter_writes(&mut bus, a, &[frame(mac_b, mac_a, 60, 7)]);
    assert_eq!(bus.admin(capture(a, false)).status, BusStatus::Success);
    adapter_writes(&mut bus, a, &[frame(mac_b, mac_a, 60, 8)]);
    assert_eq!(read_capture(&mut bus, a).1, vec![frame(mac_b, mac_a, 60, 7)]);
    assert_eq!(bus.state.hub().admin_counters(PortId(a)).unwrap().captured, 5);
}

#[test]
fn a_full_capture_drops_the_oldest_and_counts_until_the_next_start() {
    let mut bus = small_capture_bus(3);
    let port = bus.present_port();
    let mac = bus.state.hub().mac(PortId(port)).unwrap();
    assert_eq!(bus.admin(capture(port, true)).status, BusStatus::Success);
    let written: Vec<Vec<u8>> = (0..5).map(|i| frame([0xFF; 6], mac, 1514, i)).collect();
    for one in &written {
        adapter_writes(&mut bus, port, std::slice::from_ref(one));
    }
    // The least output holds the longest record (a jumbo frame's): all three standard ones.
    let reply = bus.admin_with_output(AdminRequest::CaptureRead { port }, CAPTURE_READ_MIN_OUTPUT);
    let (head, batch) = CaptureReply::decode_with_frames(&reply.output).unwrap();
    assert_eq!((head.dropped, head.pending, batch.frame_count()), (2, 0, 3));
    let seen: Vec<Vec<u8>> = batch.frames().map(<[u8]>::to_vec).collect();
    assert_eq!(seen, written[2..], "the newest three, oldest first");
    // A jumbo frame takes the room of several standard ones: the ring (three standard frames'
    // bytes, at least one jumbo record) keeps it alone.
    let jumbo: Vec<Vec<u8>> = (0..2).map(|i| frame([0xFF; 6], mac, 9014, 10 + i)).collect();
    adapter_writes(&mut bus, port, &written[..3]);
    adapter_writes(&mut bus, port, std::slice::from_ref(&jumbo[0]));
    adapter_writes(&mut bus, port, std::slice::from_ref(&jumbo[1]));
    let (head, frames) = read_capture(&mut bus, port);
    assert_eq!(frames, jumbo[1..], "the newest jumbo frame, alone");
    assert_eq!(head.dropped, 2 + 3 + 1, "the three standard frames, then the older jumbo one");
    assert_eq!(bus.state.hub().admin_counters(PortId(port)).unwrap().capture_dropped, 6);
    assert_eq!(bus.admin(capture(port, true)).status, BusStatus::Success);
    assert_eq!(read_capture(&mut bus, port).0.dropped, 0, "a new start zeroes the count");
}

#[test]
fn a_removed_port_keeps_its_capture_readable_until_its_device_is_gone() {
    let mut bus = Driver::new();
    let port = bus.present_port();
    let mac = bus.state.hub().mac(PortId(port)).unwrap();
    assert_eq!(bus.admin(capture(port, true)).status, BusStatus::Success);
    adapter_writes(&mut bus, port, &[frame([0xFF; 6], mac, 60, 9)]);
    assert_eq!(bus.admin(remove(port)).status, BusStatus::Success);
    assert_eq!(bus.state.port_state(PortId(port)), Some(PortState::Unplugged));
    assert_eq!(bus.admin(inject(port, &[0x55; 60])).status, BusStatus::NoSuchDevice);
    assert_eq!(bus.admin(capture(port, false)).status, BusStatus::NoSuchDevice);
    assert_eq!(read_capture(&mut bus, port).1, vec![frame([0xFF; 6], mac, 60, 9)]);
    assert!(bus.delete_pdo(port));
    assert_eq!(bus.admin(AdminRequest::CaptureRead { port }).status, BusStatus::NoSuchDevice);
}

#[test]
fn malformed_frame_operations_get_the_documented_status_and_change_nothing() {
    let mut bus = Driver::new();
    let port = bus.present_port();
    let (_, good_inject) = input_of(inject(port, &[0x66; 60]));
    let (_, good_capture) = input_of(capture(port, true));
    let (_, good_read) = input_of(AdminRequest::CaptureRead { port });
    let with = |input: &Vec<u8>, at: usize, value: u8| {
        let mut bad = input.clone();
        bad[at] = value;
        bad
    };
    // An inject whose frame_length, header length and size agree on 13 or 1515 bytes.
    let frame_of = |length: u16| {
        let mut bad = good_inject.clone();
        bad.resize(12 + usize::from(length), 0);
        bad[2..4].copy_from_slice(&(12 + length).to_le_bytes());
        bad[8..10].copy_from_slice(&length.to_le_bytes());
        bad
    };
    let mut long_inject = good_inject.clone();
    long_inject.push(0);
    let mut long_capture = good_capture.clone();
    long_capture.push(0);
    let mut long_read = good_read.clone();
    long_read.push(0);
    let cases: Vec<(&str, u32, Vec<u8>, usize, BusStatus)> = vec![
        (
            "inject: short",
            IOCTL_VWIRE_BUS_INJECT_FRAME,
            good_inject[..71].to_vec(),
            0,
            BusStatus::InvalidParameter,
        ),
        (
            "inject: fixed part short",
            IOCTL_VWIRE_BUS_INJECT_FRAME,
            good_inject[..11].to_vec(),
            0,
            BusStatus::InvalidParameter,
        ),
        ("inject: long", IOCTL_VWIRE_BUS_INJECT_FRAME, long_inject, 0, BusStatus::InvalidParameter),
        (
            "inject: version",
            IOCTL_VWIRE_BUS_INJECT_FRAME,
            with(&good_inject, 0, 9),
            0,
            BusStatus::InvalidParameter,
        ),
        (
            "inject: length",
            IOCTL_VWIRE_BUS_INJECT_FRAME,
            with(&good_inject, 2, 71),
            0,
            BusStatus::InvalidParameter,
        ),
        (
            "inject: reserved",
            IOCTL_VWIRE_BUS_INJECT_FRAME,
            with(&good_inject, 10, 1),
            0,
            BusStatus::InvalidParameter,
        ),
        (
            "inject: frame too short",
            IOCTL_VWIRE_BUS_INJECT_FRAME,
            frame_of(13),
            0,
            BusStatus::InvalidParameter,
        ),
        (
            "inject: frame too long",
            IOCTL_VWIRE_BUS_INJECT_FRAME,
            frame_of(1515),
            0,
            BusStatus::InvalidParameter,
        ),
        (
            "inject: over the input limit",
            IOCTL_VWIRE_BUS_INJECT_FRAME,
            vec![0; ADMIN_INPUT_MAX + 1],
            0,
            BusStatus::InvalidParameter,
        ),
        (
            "capture: short",
            IOCTL_VWIRE_BUS_CAPTURE_CONTROL,
            good_capture[..11].to_vec(),
            0,
            BusStatus::InvalidParameter,
        ),
        ("capture: long", IOCTL_VWIRE_BUS_CAPTURE_CONTROL, long_capture, 0, BusStatus::InvalidParameter),
        (
            "capture: version",
            IOCTL_VWIRE_BUS_CAPTURE_CONTROL,
            with(&good_capture, 1, 1),
            0,
            BusStatus::InvalidParameter,
        ),
        (
            "capture: length",
            IOCTL_VWIRE_BUS_CAPTURE_CONTROL,
            with(&good_capture, 2, 8),
            0,
            BusStatus::InvalidParameter,
        ),
        (
            "capture: start is 2",
            IOCTL_VWIRE_BUS_CAPTURE_CONTROL,
            with(&good_capture, 8, 2),
            0,
            BusStatus::InvalidParameter,
        ),
        (
            "capture: reserved",
            IOCTL_VWIRE_BUS_CAPTURE_CONTROL,
            with(&good_capture, 11, 1),
            0,
            BusStatus::InvalidParameter,
        ),
        (
            "read: short",
            IOCTL_VWIRE_BUS_CAPTURE_READ,
            good_read[..7].to_vec(),
            CAPTURE_READ_MIN_OUTPUT,
            BusStatus::InvalidParameter,
        ),
        (
            "read: long",
            IOCTL_VWIRE_BUS_CAPTURE_READ,
            long_read,
            CAPTURE_READ_MIN_OUTPUT,
            BusStatus::InvalidParameter,
        ),
        (
            "read: version",
            IOCTL_VWIRE_BUS_CAPTURE_READ,
            with(&good_read, 0, 0),
            CAPTURE_READ_MIN_OUTPUT,
            BusStatus::InvalidParameter,
        ),
        (
            "read: length",
            IOCTL_VWIRE_BUS_CAPTURE_READ,
            with(&good_read, 2, 12),
            CAPTURE_READ_MIN_OUTPUT,
            BusStatus::InvalidParameter,
        ),
        (
            "read: output too small",
            IOCTL_VWIRE_BUS_CAPTURE_READ,
            good_read.clone(),
            CAPTURE_READ_MIN_OUTPUT - 1,
            BusStatus::BufferTooSmall,
        ),
    ];
    for (what, code, input, output_len, expected) in cases {
        let reply = bus.admin_raw(code, &input, output_len);
        assert_eq!(reply.status, expected, "{what}");
        assert!(reply.output.is_empty(), "{what}: no reply bytes");
    }
    assert_eq!(bus.state.hub().pending_frames(PortId(port)), 0, "no frame was queued");
    assert_eq!(bus.state.hub().is_capturing(PortId(port)), Ok(false));
    assert_eq!(bus.kicks, 0);
    // The well-formed ones pass.
    assert_eq!(bus.admin_raw(IOCTL_VWIRE_BUS_INJECT_FRAME, &good_inject, 0).status, BusStatus::Success);
    assert_eq!(bus.admin_raw(IOCTL_VWIRE_BUS_CAPTURE_CONTROL, &good_capture, 0).status, BusStatus::Success);
    assert_eq!(
        bus.admin_raw(IOCTL_VWIRE_BUS_CAPTURE_READ, &good_read, CAPTURE_READ_MIN_OUTPUT).status,
        BusStatus::Success
    );
    assert_eq!(BusStatus::from(HubError::InvalidFrame), BusStatus::InvalidParameter);
}

// ---------------------------------------------------------------------------------------------
// The child device's power (`EvtDeviceD0Exit` / `EvtDeviceD0Entry` of its PDO)

/// A broadcast frame from `port_mac(serial)` whose payload carries `tag`.
fn frame_from(serial: u32, tag: u8) -> Vec<u8> {
    let mut frame = vec![tag; 64];
    frame[..6].copy_from_slice(&[0xff; 6]);
    frame[6..12].copy_from_slice(&port_mac(serial));
    frame[12..14].copy_from_slice(&[0x88, 0xb5]);
    frame
}

/// [`frame_from`], `len` bytes long.
fn long_frame_from(serial: u32, len: usize) -> Vec<u8> {
    let mut frame = frame_from(serial, 7);
    frame.resize(len, 7);
    frame
}

#[test]
fn d0_exit_fails_parked_reads_refuses_new_io_and_d0_entry_restores_it() {
    let mut bus = Driver::new();
    let (a, b) = (bus.present_port(), bus.present_port());
    // Two frames queued for b and reads parked there that have not taken them (b's reads are
    // stalled, so nothing is cut through or served): the sleep loses the frames.
    let stall = SetFaults { port: b, stall: true, ..SetFaults::default() };
    assert_eq!(bus.admin(AdminRequest::SetFaults(stall)).status, BusStatus::Success);
    assert_eq!(bus.write(a, &[frame_from(0, 1), frame_from(0, 2)]), BusStatus::Success);
    let parked: Vec<u64> = (0..ROUND + 3).map(|_| bus.read(b)).collect();
    let link = bus.state.hub().link_state(PortId(b)).unwrap();
    let wait = bus.wait_link(b, link.generation);
    assert_eq!(bus.parked(b), (ROUND + 3, 1));

    assert_eq!(bus.d0_exit(b, DevicePower::D3), BusStatus::Success);
    assert_eq!(bus.parked(b), (0, 1), "every parked read failed, the link wait stays");
    for request in &parked {
        assert_eq!(bus.completion(*request).unwrap().status, BusStatus::DevicePoweredOff);
    }
    assert_eq!(bus.completion_rounds, 2, "failed outside the lock, one batch per round");
    assert_eq!(bus.state.hub().pending_frames(PortId(b)), 0);
    assert_eq!(bus.state.hub().admin_counters(PortId(b)).unwrap().rx_discarded_at_power_down, 2);

    // Asleep: its reads and writes are refused, what a peer sends it is dropped and counted.
    let refused = bus.read(b);
    assert_eq!(bus.completion(refused).unwrap().status, BusStatus::DevicePoweredOff);
    assert_eq!(bus.write(b, &[frame_from(1, 3)]), BusStatus::DevicePoweredOff);
    assert_eq!(bus.write(a, &[frame_from(0, 4)]), BusStatus::Success);
    let admin = bus.state.hub().admin_counters(PortId(b)).unwrap();
    assert_eq!((admin.rx_dropped_powered_down, admin.io_refused_powered_down), (1, 2));
    assert_eq!(bus.state.port_state(PortId(b)), Some(PortState::Present), "asleep is not gone");
    assert_eq!(bus.state.hub().link_state(PortId(b)).unwrap(), link, "the link is as it was");
    // A second D0Exit (D3 to D3) finds nothing parked.
    assert_eq!(bus.d0_exit(b, DevicePower::D3), BusStatus::Success);

    assert_eq!(bus.d0_entry(b), BusStatus::Success);
    let unstall = SetFaults { port: b, ..SetFaults::default() };
    assert_eq!(bus.admin(AdminRequest::SetFaults(unstall)).status, BusStatus::Success);
    let read = bus.read(b);
    assert_eq!(bus.parked(b), (1, 1));
    assert_eq!(bus.write(a, &[frame_from(0, 5)]), BusStatus::Success);
    assert_eq!(bus.serve(b), vec![frame_from(0, 5)]);
    assert_eq!(bus.completion(read).unwrap().status, BusStatus::Success);
    assert_eq!(bus.write(b, &[frame_from(1, 6)]), BusStatus::Success);
    // A link change still answers the wait parked across the sleep.
    assert_eq!(bus.admin(set_link(b, false)).status, BusStatus::Success);
    assert_eq!(bus.completion(wait).unwrap().status, BusStatus::Success);
}

#[test]
fn only_a_present_port_changes_power() {
    let mut bus = Driver::new();
    let pending = bus.add_port().unwrap().port;
    assert_eq!(bus.state.set_port_power(PortId(pending), DevicePower::D3), Err(BusStatus::NoSuchDevice));
    let port = bus.present_port();
    assert_eq!(bus.admin(remove(port)).status, BusStatus::Success);
    assert_eq!(bus.state.set_port_power(PortId(port), DevicePower::D3), Err(BusStatus::NoSuchDevice));
    // The callbacks do not fail for it: there is no hardware left to power.
    assert_eq!(bus.d0_exit(port, DevicePower::D3), BusStatus::Success);
    assert_eq!(bus.state.hub().power(PortId(port)), Ok(DevicePower::D0));
    assert_eq!(bus.state.set_port_power(PortId(999), DevicePower::D0), Err(BusStatus::NoSuchDevice));
}

// ---------------------------------------------------------------------------------------------
// Reads filled by cut-through

#[test]
fn a_write_fills_a_parked_read_which_the_serving_dpc_completes_first() {
    let mut bus = Driver::new();
    let (a, b) = (bus.present_port(), bus.present_port());
    let first = bus.read(b);
    let second = bus.read(b);
    assert_eq!(bus.write(a, &[frame_from(0, 1), frame_from(0, 2)]), BusStatus::Success);
    assert_eq!(bus.kicks, 1, "the DPC completes the filled read, not the writer");
    assert!(bus.completion(first).is_none(), "never inside the write");
    assert!(bus.state.has_filled(PortId(b)));
    assert_eq!(bus.parked(b), (1, 0), "taken out of its queue");
    assert_eq!(bus.state.hub().pending_frames(PortId(b)), 0, "nothing queued: copied once");
    assert_eq!(bus.serve(b), vec![frame_from(0, 1), frame_from(0, 2)]);
    assert_eq!(bus.completion(first).unwrap().status, BusStatus::Success);
    assert!(bus.completion(second).is_none(), "the next read stays parked");
    assert!(!bus.state.has_filled(PortId(b)));
}

#[test]
fn a_filled_read_survives_power_down_and_removal_of_its_port() {
    for remove in [false, true] {
        let mut bus = Driver::new();
        let (a, b) = (bus.present_port(), bus.present_port());
        let filled = bus.read(b);
        let parked = bus.read(b);
        assert_eq!(bus.write(a, &[frame_from(0, 1)]), BusStatus::Success);
        if remove {
            assert_eq!(bus.admin(AdminRequest::RemovePort { port: b }).status, BusStatus::Success);
            assert_eq!(bus.completion(parked).unwrap().status, BusStatus::NoSuchDevice);
        } else {
            assert_eq!(bus.d0_exit(b, DevicePower::D3), BusStatus::Success);
            assert_eq!(bus.completion(parked).unwrap().status, BusStatus::DevicePoweredOff);
        }
        // Its frames were written before: the DPC completes it with them, whatever the port's state.
        assert_eq!(bus.complete_filled(b), vec![frame_from(0, 1)], "removed: {remove}");
        assert_eq!(bus.completion(filled).unwrap().status, BusStatus::Success);
    }
}

#[test]
fn a_read_too_small_for_the_frame_is_failed_by_the_dpc_as_a_queued_read_would_be() {
    let mut bus = Driver::new();
    let (a, b) = (bus.present_port(), bus.present_port());
    let small = bus.read_of(b, 64);
    let next = bus.read(b);
    let long = long_frame_from(0, 1500);
    assert_eq!(bus.write(a, std::slice::from_ref(&long)), BusStatus::Success);
    assert_eq!(bus.state.hub().pending_frames(PortId(b)), 1, "the frame is queued instead");
    assert!(bus.completion(small).is_none(), "not completed inside the write");
    assert_eq!(bus.parked(b), (1, 0), "and not put back in its queue");
    assert!(bus.state.filled_waiting());
    assert_eq!(bus.kicks, 1, "the DPC fails it");
    assert_eq!(bus.serve(b), vec![long.clone()], "the next read gets the frame");
    assert_eq!(bus.completion(small).unwrap().status, BusStatus::BufferTooSmall);
    assert_eq!(bus.completion(next).unwrap().status, BusStatus::Success);
}

#[test]
fn a_port_with_a_full_ring_of_filled_reads_gets_its_frames_queued() {
    use vwire_bus::bus::FILLED_READS_PER_PORT;
    let mut bus = Driver::new();
    let (a, b) = (bus.present_port(), bus.present_port());
    for _ in 0..FILLED_READS_PER_PORT + 1 {
        bus.read(b);
    }
    for i in 0..FILLED_READS_PER_PORT {
        assert_eq!(bus.write(a, &[frame_from(0, i as u8)]), BusStatus::Success);
    }
    assert_eq!(bus.parked(b), (1, 0));
    assert_eq!(bus.write(a, &[frame_from(0, 99)]), BusStatus::Success);
    assert_eq!((bus.parked(b), bus.state.hub().pending_frames(PortId(b))), ((1, 0), 1), "queued, not taken");
    let served = bus.serve(b);
    assert_eq!(served.len(), FILLED_READS_PER_PORT + 1);
    assert_eq!(served.last(), Some(&frame_from(0, 99)), "in order, after the filled reads");
}

#[test]
fn an_arriving_read_waits_behind_filled_reads_instead_of_overtaking_them() {
    let mut bus = Driver::new();
    let (a, b) = (bus.present_port(), bus.present_port());
    let filled = bus.read(b);
    assert_eq!(bus.write(a, &[frame_from(0, 1)]), BusStatus::Success);
    // No read parked any more: the next frame is queued.
    assert_eq!(bus.write(a, &[frame_from(0, 2)]), BusStatus::Success);
    assert_eq!(bus.state.hub().pending_frames(PortId(b)), 1);
    assert!(!bus.state.serves_arriving_read(PortId(b), bus.now), "a filled read waits for the DPC");
    let later = bus.read(b);
    assert!(bus.served_at_once.is_empty(), "parked, not served past the filled read");
    assert_eq!(bus.serve(b), vec![frame_from(0, 1), frame_from(0, 2)], "in order");
    assert_eq!(bus.completion(filled).unwrap().status, BusStatus::Success);
    assert_eq!(bus.completion(later).unwrap().status, BusStatus::Success);
    // With nothing filled, a read that finds a batch ready is served at once.
    assert_eq!(bus.write(a, &[frame_from(0, 3)]), BusStatus::Success);
    let at_once = bus.read(b);
    assert_eq!(bus.served_at_once, [at_once]);
}

#[test]
fn the_serving_dpc_is_kicked_while_a_filled_read_waits_and_only_then() {
    let mut bus = Driver::new();
    let (a, b) = (bus.present_port(), bus.present_port());
    let mac_a = bus.state.hub().mac(PortId(a)).unwrap();
    // A frame to a station on the sender's own port goes nowhere: nothing delivered, no kick.
    let to_itself = frame(mac_a, mac_a, 60, 1);
    assert_eq!(bus.write(a, std::slice::from_ref(&to_itself)), BusStatus::Success);
    assert_eq!(bus.kicks, 0, "nothing delivered, nothing waiting");
    bus.read(b);
    assert_eq!(bus.write(a, &[frame_from(0, 1)]), BusStatus::Success);
    assert_eq!(bus.kicks, 1);
    assert!(bus.state.filled_waiting());
    // Delivering nothing, but a filled read still waits for a DPC: kicked again.
    assert_eq!(bus.write(a, std::slice::from_ref(&to_itself)), BusStatus::Success);
    assert_eq!(bus.kicks, 2);
    bus.serve(b);
    assert!(!bus.state.filled_waiting());
}

#[test]
fn a_filled_read_on_one_port_does_not_hold_back_reads_arriving_on_another() {
    let mut bus = Driver::new();
    let (a, b, c) = (bus.present_port(), bus.present_port(), bus.present_port());
    bus.read(b);
    // Broadcast: b's parked read is filled, c has none and gets the frame queued.
    assert_eq!(bus.write(a, &[frame_from(0, 1)]), BusStatus::Success);
    assert!(bus.state.has_filled(PortId(b)) && !bus.state.has_filled(PortId(c)));
    assert_eq!(bus.state.hub().pending_frames(PortId(c)), 1);
    let at_once = bus.read(c);
    assert_eq!(bus.served_at_once, [at_once], "c's read is served at once");
}
