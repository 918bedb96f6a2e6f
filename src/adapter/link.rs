//! The link: one `IOCTL_VWIRE_WAIT_LINK_CHANGE` stays pending below (the inverted call of PCIDRV's
//! INDICATE_STATUS IOCTL, Windows-driver-samples general/pcidrv/kmdf/PCIDRV.C
//! PciDrvEvtIoDeviceControl); when it completes, the adapter records the new link state, tells NDIS
//! with `NdisMIndicateStatusEx(NDIS_STATUS_LINK_STATE)` and sends it again with the new generation.
//! It stays pending across a pause (status indications are allowed while Paused) and is cancelled
//! by halt, surprise removal and shutdown.
//!
//! The port's speed is what its side of the wire offers. Under `*SpeedDuplex` Auto Negotiation the
//! adapter links at that speed, at most its own maximum, full duplex. A forced speed links at that
//! speed, full duplex, when the port offers at least as much; when it offers less there is no link,
//! as for a NIC forced to a speed its link partner cannot do: the adapter reports media
//! disconnected, refuses sends (MEDIA_DISCONNECTED) and drops what is received, until the port
//! offers enough again.

use super::initialize::MAX_LINK_SPEED;
use super::settings::SpeedDuplex;
use super::{Adapter, Link, bump};
use crate::lower::requests::{Sent, Slot};
use crate::sys;
use ndis_types::handles::WdfRequest;
use ndis_types::miniport::{
    MEDIA_CONNECT_STATE_CONNECTED, MEDIA_CONNECT_STATE_DISCONNECTED, MEDIA_DUPLEX_STATE_FULL,
    MEDIA_DUPLEX_STATE_HALF, MEDIA_DUPLEX_STATE_UNKNOWN, NDIS_LINK_SPEED_UNKNOWN,
    NDIS_PAUSE_FUNCTIONS_UNSUPPORTED,
};
use ndis_types::object::{
    NDIS_LINK_STATE_REVISION_1, NDIS_OBJECT_TYPE_DEFAULT, NDIS_SIZEOF_LINK_STATE_REVISION_1, NdisObjectHeader,
};
use ndis_types::oid::{
    NDIS_LINK_STATE_DUPLEX_AUTO_NEGOTIATED, NDIS_LINK_STATE_RCV_LINK_SPEED_AUTO_NEGOTIATED,
    NDIS_LINK_STATE_XMIT_LINK_SPEED_AUTO_NEGOTIATED, NdisLinkState,
};
use ndis_types::status::{STATUS_CANCELLED, nt_success};
use vwire_proto::{LinkState, LinkWait};

impl Link {
    /// The link the device's report gives under `setting` (module doc).
    pub fn negotiate(state: &LinkState, setting: SpeedDuplex) -> Self {
        let device_up = state.is_up();
        let (up, full_duplex, speed_bps) = match setting.forced_bps() {
            None => (device_up, state.is_full_duplex(), state.speed_bps.min(MAX_LINK_SPEED)),
            Some(forced) => (device_up && state.speed_bps >= forced, true, forced),
        };
        Self {
            generation: state.generation,
            up,
            full_duplex,
            speed_bps: if up { speed_bps } else { 0 },
            no_common_speed: device_up && !up,
            auto_negotiated: setting.forced_bps().is_none(),
        }
    }

    /// `AutoNegotiationFlags` of `NDIS_LINK_STATE` and the general attributes: speed and duplex
    /// both ways negotiated under Auto, none when forced (or while there is no link).
    pub fn auto_negotiation_flags(self) -> u32 {
        if self.up && self.auto_negotiated {
            NDIS_LINK_STATE_XMIT_LINK_SPEED_AUTO_NEGOTIATED
                | NDIS_LINK_STATE_RCV_LINK_SPEED_AUTO_NEGOTIATED
                | NDIS_LINK_STATE_DUPLEX_AUTO_NEGOTIATED
        } else {
            0
        }
    }

    /// `NDIS_LINK_STATE` for this link.
    pub fn to_ndis(self) -> NdisLinkState {
        let speed = if self.up { self.speed_bps } else { NDIS_LINK_SPEED_UNKNOWN };
        NdisLinkState {
            Header: NdisObjectHeader::new(
                NDIS_OBJECT_TYPE_DEFAULT,
                NDIS_LINK_STATE_REVISION_1,
                NDIS_SIZEOF_LINK_STATE_REVISION_1,
            ),
            MediaConnectState: if self.up {
                MEDIA_CONNECT_STATE_CONNECTED
            } else {
                MEDIA_CONNECT_STATE_DISCONNECTED
            },
            MediaDuplexState: match (self.up, self.full_duplex) {
                (false, _) => MEDIA_DUPLEX_STATE_UNKNOWN,
                (true, true) => MEDIA_DUPLEX_STATE_FULL,
                (true, false) => MEDIA_DUPLEX_STATE_HALF,
            },
            XmitLinkSpeed: speed,
            RcvLinkSpeed: speed,
            PauseFunctions: NDIS_PAUSE_FUNCTIONS_UNSUPPORTED,
            AutoNegotiationFlags: self.auto_negotiation_flags(),
        }
    }
}

impl Adapter {
    /// Send the link watch below unless it already is (restart).
    pub fn post_link_wait(&self) {
        let Some(slot) = self.lower.link.lease() else {
            return;
        };
        match self.link_watch_generation() {
            Some(generation) => self.send_link_wait(slot, generation),
            None => slot.release(),
        }
    }

    /// The generation a new link watch waits past, or None when nothing may go below.
    fn link_watch_generation(&self) -> Option<u32> {
        let state = self.state.lock_any();
        self.may_use_device(&state).then_some(state.link.generation)
    }

    /// Send the watch for changes after `known_generation`. If it completes inline and its
    /// completion routine hands it back ([`Slot::hand_back_if_sending`]), send it again from here
    /// with the generation the routine recorded, instead of nesting.
    fn send_link_wait(&self, mut slot: Slot<'_, 1>, mut known_generation: u32) {
        loop {
            let mut input = [0u8; LinkWait::ENCODED_LEN];
            if (LinkWait { known_generation }).encode(&mut input).is_err() {
                slot.release();
                return;
            }
            match slot.send_internal_ioctl(vwire_proto::IOCTL_VWIRE_WAIT_LINK_CHANGE, &input) {
                Ok(Sent::Pending | Sent::Kept) => return,
                Ok(Sent::HandedBack(again)) => {
                    let Some(generation) = self.link_watch_generation() else {
                        again.release();
                        return;
                    };
                    slot = again;
                    known_generation = generation;
                }
                Err((slot, _)) => {
                    bump(&self.counters.lower_send_failures, 1);
                    slot.release();
                    return;
                }
            }
        }
    }

    /// The link watch came back (completion routine, <= DISPATCH_LEVEL).
    pub fn link_completed(&self, request: WdfRequest) {
        let Some(mut slot) = self.lower.link.completed(request) else {
            bump(&self.counters.lower_unknown_completions, 1);
            return;
        };
        let status = slot.status();
        if !nt_success(status) {
            if status != STATUS_CANCELLED {
                bump(&self.counters.lower_link_errors, 1);
            }
            // Re-armed at the next restart.
            slot.release();
            return;
        }
        let length = slot.information();
        let decoded = slot.buffer().get(..length).map(LinkState::decode);
        let Some(Ok(device_state)) = decoded else {
            bump(&self.counters.lower_link_errors, 1);
            slot.release();
            return;
        };
        let link = Link::negotiate(&device_state, self.speed_duplex);
        let (changed, resend) = {
            let mut state = self.state.lock_any();
            let changed = state.link.up != link.up
                || state.link.speed_bps != link.speed_bps
                || state.link.full_duplex != link.full_duplex;
            state.link = link;
            // A completion racing with halt's WdfIoTargetStop records the link but tells NDIS
            // nothing: no status indication once MiniportHaltEx has begun.
            (changed && !state.halting, self.may_use_device(&state))
        };
        if changed {
            sys::indicate_link_state(self.miniport, &link.to_ndis());
        }
        if resend {
            if let Some(slot) = slot.hand_back_if_sending() {
                self.send_link_wait(slot, link.generation);
            }
        } else {
            slot.release();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{
        Link, MAX_LINK_SPEED, MEDIA_CONNECT_STATE_DISCONNECTED, NDIS_LINK_SPEED_UNKNOWN, SpeedDuplex,
    };
    use vwire_proto::LinkState;

    const GBPS: u64 = 1_000_000_000;

    fn negotiated(up: bool, full_duplex: bool, port_bps: u64, setting: u32) -> Link {
        Link::negotiate(&LinkState::new(7, up, full_duplex, port_bps), SpeedDuplex::from_keyword(setting))
    }

    /// A link under Auto Negotiation.
    fn link(up: bool, full_duplex: bool, speed_bps: u64, no_common_speed: bool) -> Link {
        Link { generation: 7, up, full_duplex, speed_bps, no_common_speed, auto_negotiated: true }
    }

    /// A link at a forced speed.
    fn forced(up: bool, full_duplex: bool, speed_bps: u64, no_common_speed: bool) -> Link {
        Link { auto_negotiated: false, ..link(up, full_duplex, speed_bps, no_common_speed) }
    }

    #[test]
    fn auto_negotiation_takes_the_ports_speed_and_duplex_up_to_the_adapters_maximum() {
        assert_eq!(negotiated(true, true, GBPS, 0), link(true, true, GBPS, false));
        assert_eq!(negotiated(true, false, GBPS, 0), link(true, false, GBPS, false));
        assert_eq!(negotiated(true, true, 4 * MAX_LINK_SPEED, 0), link(true, true, MAX_LINK_SPEED, false));
        assert_eq!(negotiated(false, true, 0, 0), link(false, true, 0, false));
    }

    #[test]
    fn a_forced_speed_links_full_duplex_only_where_the_port_offers_at_least_as_much() {
        // 6: 1.0 Gbps Full Duplex.
        assert_eq!(negotiated(true, true, GBPS, 6), forced(true, true, GBPS, false), "exactly enough");
        assert_eq!(negotiated(true, false, 10 * GBPS, 6), forced(true, true, GBPS, false));
        assert_eq!(negotiated(true, true, GBPS - 1, 6), forced(false, true, 0, true), "less: no link");
        // A link that is down is down, not short of speed.
        assert_eq!(negotiated(false, true, 0, 6), forced(false, true, 0, false));
        assert_eq!(negotiated(true, true, GBPS, 6).auto_negotiation_flags(), 0);
        assert_eq!(negotiated(true, true, GBPS, 0).auto_negotiation_flags(), 0x7);
        assert_eq!(negotiated(false, true, GBPS, 0).auto_negotiation_flags(), 0, "no link");
        let ndis = negotiated(true, true, 100_000_000, 6).to_ndis();
        assert_eq!(ndis.MediaConnectState, MEDIA_CONNECT_STATE_DISCONNECTED);
        assert_eq!(
            (ndis.XmitLinkSpeed, ndis.RcvLinkSpeed),
            (NDIS_LINK_SPEED_UNKNOWN, NDIS_LINK_SPEED_UNKNOWN)
        );
    }
}
