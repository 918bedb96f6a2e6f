//! `MiniportSendNetBufferLists`: which status an NBL chain is completed with.
//!
//! Every NBL is completed exactly once, before the handler returns, so nothing is ever held that
//! `MiniportCancelSendNetBufferLists`, a pause, a reset or a surprise removal would have to flush.

use crate::sys::*;

/// What the adapter's state says about a send right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SendGate {
    pub surprise_removed: bool,
    pub shut_down: bool,
    pub running: bool,
    pub media_connected: bool,
}

/// The completion status for sends arriving in that state (Doc
/// `nf-ndis-ndismsendnetbufferlistscomplete`; ndis-kmdf.md §3.4): NOT_ACCEPTED once the device is
/// surprise-removed, PAUSED unless Running, FAILURE after a shutdown, and MEDIA_DISCONNECTED while
/// there is no link to put frames on.
pub fn send_status(gate: SendGate) -> NdisStatus {
    if gate.surprise_removed {
        NDIS_STATUS_NOT_ACCEPTED
    } else if !gate.running {
        NDIS_STATUS_PAUSED
    } else if gate.shut_down {
        NDIS_STATUS_FAILURE
    } else if !gate.media_connected {
        NDIS_STATUS_MEDIA_DISCONNECTED
    } else {
        NDIS_STATUS_SUCCESS
    }
}

/// The completion flags for a completion made in the sender's own context: DISPATCH_LEVEL exactly
/// when NDIS said it called at DISPATCH_LEVEL (Doc "Dispatch IRQL Tracking").
pub fn completion_flags(send_flags: u32) -> u32 {
    if send_flags & NDIS_SEND_FLAGS_DISPATCH_LEVEL != 0 { NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUNNING: SendGate =
        SendGate { surprise_removed: false, shut_down: false, running: true, media_connected: true };

    #[test]
    fn surprise_removal_wins_over_every_other_state() {
        let gate = SendGate { surprise_removed: true, running: false, ..RUNNING };
        assert_eq!(send_status(gate), NDIS_STATUS_NOT_ACCEPTED);
        assert_eq!(send_status(SendGate { surprise_removed: true, ..RUNNING }), NDIS_STATUS_NOT_ACCEPTED);
    }

    #[test]
    fn not_running_is_paused_even_after_shutdown() {
        assert_eq!(send_status(SendGate { running: false, ..RUNNING }), NDIS_STATUS_PAUSED);
        assert_eq!(send_status(SendGate { running: false, shut_down: true, ..RUNNING }), NDIS_STATUS_PAUSED);
        assert_eq!(send_status(SendGate { shut_down: true, ..RUNNING }), NDIS_STATUS_FAILURE);
    }

    #[test]
    fn running_without_link_is_media_disconnected() {
        assert_eq!(
            send_status(SendGate { media_connected: false, ..RUNNING }),
            NDIS_STATUS_MEDIA_DISCONNECTED
        );
        assert_eq!(send_status(RUNNING), NDIS_STATUS_SUCCESS);
    }

    #[test]
    fn completion_flags_mirror_the_dispatch_flag_only() {
        assert_eq!(completion_flags(NDIS_SEND_FLAGS_DISPATCH_LEVEL), NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL);
        assert_eq!(completion_flags(NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK), 0);
        assert_eq!(completion_flags(0), 0);
    }
}
