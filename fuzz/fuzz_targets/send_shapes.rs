//! The send path with arbitrary NBL, NET_BUFFER and MDL shapes: NET_BUFFERs per NBL, MDL chains of
//! any split (long chains, one-byte MDLs, zero-length MDLs anywhere), `DataOffset` into the chain,
//! slack after the frame in the last MDL, `DataLength` longer than the chain (malformed: NDIS never
//! sends it, the driver must not walk off the chain), frames of any length (short, runt, oversize),
//! cancels. Adapter 0 sends to adapter 1 (its MAC or broadcast) across the hub.
//! Properties: no panic; no violation of kernel-sim's rules; every NBL completed exactly once; an NBL
//! the driver completed with success put exactly its `DataLength` bytes on the wire for each of its
//! NET_BUFFERs (padded to 60), in order, and a malformed or oversize one is never completed with
//! success; nothing leaked after halt and unload.
#![no_main]

use arbitrary::Arbitrary;
use kernel_sim::{NblShape, Sim, SimConfig};
use libfuzzer_sys::fuzz_target;
use ndis_types::oid::*;
use ndis_types::*;

#[derive(Arbitrary, Debug)]
struct Send {
    /// Frame lengths (0..=1600), each broadcast (odd) or to adapter 1 (even).
    frames: Vec<(u16, bool)>,
    nbs_per_nbl: u8,
    mdl_split: Vec<u16>,
    data_offset: u16,
    empty_mdls: bool,
    tail_slack: u16,
    data_length_excess: u16,
    cancel: bool,
    /// Let deferred completions run before the next send.
    idle: bool,
}

const FILTER: u32 = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST;

fuzz_target!(|input: (u64, Vec<Send>)| {
    let (seed, sends) = input;
    let sim = Sim::new(SimConfig { seed, ..SimConfig::default() });
    // No call trace: formatting it costs time an execution can spend on the driver.
    sim.set_call_log_limit(Some(0));
    assert_eq!(sim.load(kmdf_miniport::driver_entry), STATUS_SUCCESS);
    let a = sim.add_adapter().expect("initialize");
    let b = sim.add_adapter().expect("initialize");
    for adapter in [a, b] {
        assert_eq!(sim.restart(adapter), NDIS_STATUS_SUCCESS);
        assert_eq!(
            sim.oid_set(adapter, OID_GEN_CURRENT_PACKET_FILTER, &FILTER.to_ne_bytes()).status,
            NDIS_STATUS_SUCCESS
        );
    }
    let mac =
        |x| -> [u8; 6] { sim.general_attributes(x).unwrap().current_mac_address[..6].try_into().unwrap() };
    let (mac_a, mac_b) = (mac(a), mac(b));
    // (send id, shape, expected wire bytes of each NB)
    let mut sent = Vec::new();
    for (step, send) in sends.iter().take(16).enumerate() {
        let frames: Vec<Vec<u8>> = send
            .frames
            .iter()
            .take(16)
            .enumerate()
            .map(|(i, &(len, broadcast))| {
                let len = usize::from(len) % 1601;
                let mut frame: Vec<u8> =
                    (0..len).map(|k| (k as u8) ^ (i as u8) ^ (step as u8).wrapping_mul(31)).collect();
                let header = [if broadcast { [0xFF; 6] } else { mac_b }, mac_a].concat();
                let n = header.len().min(len);
                frame[..n].copy_from_slice(&header[..n]);
                frame
            })
            .collect();
        if frames.is_empty() {
            continue;
        }
        let shape = NblShape {
            nbs_per_nbl: 1 + usize::from(send.nbs_per_nbl % 8),
            mdl_split: send.mdl_split.iter().take(48).map(|&n| usize::from(n % 2048)).collect(),
            data_offset: u32::from(send.data_offset % 4096),
            empty_mdls: send.empty_mdls,
            tail_slack: u32::from(send.tail_slack % 256),
            data_length_excess: u32::from(send.data_length_excess % 64),
            ieee8021q_info: 0,
        };
        let ids = if send.cancel {
            let ids = sim.send_frames_cancelable(a, &frames, shape.clone(), step + 1);
            sim.cancel_send(a, step + 1);
            ids
        } else {
            sim.send_frames(a, &frames, shape.clone())
        };
        let per_nbl = shape.nbs_per_nbl;
        for (id, group) in ids.into_iter().zip(frames.chunks(per_nbl)) {
            let wire: Vec<Vec<u8>> = group
                .iter()
                .map(|frame| {
                    // The DataLength bytes: the frame, then what the slack holds (0x5A) if the
                    // chain covers them.
                    let mut bytes = frame.clone();
                    bytes.extend(std::iter::repeat_n(0x5A, shape.data_length_excess as usize));
                    bytes
                })
                .collect();
            let well_formed = shape.data_length_excess <= shape.tail_slack;
            sent.push((id, well_formed, wire));
        }
        if send.idle {
            sim.run_until_idle();
        }
        sim.assert_no_violations();
    }
    sim.run_until_idle();
    let received = sim.take_received_frames(b);
    let mut next = 0;
    for (id, well_formed, wire) in &sent {
        let status = sim.send_completion(*id).expect("every NBL is completed");
        // The longest frame the adapter sends at the default `*JumboPacket`: 1514 bytes, or 1518
        // with a tag the protocol put in itself.
        let oversize = wire.iter().any(|f| {
            let in_band = f.len() >= 18 && f[12..14] == [0x81, 0x00];
            f.len() > if in_band { 1518 } else { 1514 }
        });
        if status == NDIS_STATUS_SUCCESS {
            assert!(
                *well_formed,
                "a NET_BUFFER whose DataLength runs past its MDL chain completed with success"
            );
            assert!(!oversize, "an oversize frame completed with success");
            for frame in wire {
                // Only a frame addressed to adapter 1 (or broadcast) passes its packet filter: a
                // frame shorter than its header, whose destination the DataLength excess (0x5A
                // bytes) wrote, is legitimately dropped there.
                let destination = &frame[..frame.len().min(6)];
                if destination != mac_b && destination != [0xFF; 6] {
                    continue;
                }
                // In order among what adapter 1 received: a runt padded to 60 bytes, and an 802.1Q
                // tag (in the frame, or made of its padding) stripped by the receiver.
                let mut on_wire = frame.clone();
                on_wire.resize(frame.len().max(60), 0);
                let expected = if on_wire[12..14] == [0x81, 0x00] {
                    [&on_wire[..12], &on_wire[16..]].concat()
                } else {
                    on_wire
                };
                let found = received[next..].iter().position(|r| *r == expected);
                let at = found.unwrap_or_else(|| {
                    panic!(
                        "a frame completed with success (len {}) never reached the other port intact",
                        frame.len()
                    )
                });
                next += at + 1;
            }
        }
    }
    sim.remove_adapter(a);
    sim.remove_adapter(b);
    sim.unload();
    sim.assert_clean();
});
