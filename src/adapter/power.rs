//! Device power (`OID_PNP_SET_POWER`). The adapter declares
//! `NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND`, so across a system sleep NDIS pauses it, sets a
//! low-power state, later sets D0 and restarts it, instead of halting and re-initializing it.
//! In D1-D3 nothing goes to the device (Doc `oid-pnp-set-power`, "Transitioning to a Low-Power
//! State": the receive engine stopped, new sends completed with `NDIS_STATUS_LOW_POWER_STATE`):
//! the link watch, the only request a paused adapter keeps below, is cancelled with the target
//! purged; D0 starts the target (`WdfIoTargetStart` leaves the purged state too, WDF-SRC
//! fxiotarget.cpp `GotoStartState`) and re-arms the watch, and restart re-arms the reads. Nothing is
//! freed: the adapter keeps every resource allocated at initialize.

use super::Adapter;
use super::oid::OidOutcome;
use ndis_types::status::{NDIS_STATUS_LOW_POWER_STATE, NDIS_STATUS_NOT_ACCEPTED};

pub use ndis_types::miniport::{
    NDIS_DEVICE_STATE_D0 as DEVICE_STATE_D0, NDIS_DEVICE_STATE_D3 as DEVICE_STATE_D3,
};

impl Adapter {
    /// A set of `OID_PNP_SET_POWER` to `device_state` (PASSIVE_LEVEL, as every OID request).
    pub fn set_power(&self, device_state: u32) -> OidOutcome {
        match device_state {
            DEVICE_STATE_D0 => {
                // A target that fails to start leaves the adapter in low power: sends and reads
                // are refused, and the OID says why (only SUCCESS or NOT_ACCEPTED are allowed).
                if self.lower.start().is_err() {
                    return OidOutcome::failed(NDIS_STATUS_NOT_ACCEPTED);
                }
                self.state.lock().low_power = false;
                self.post_link_wait();
                OidOutcome::done(4)
            }
            low if low > DEVICE_STATE_D0 && low <= DEVICE_STATE_D3 => {
                let queued = {
                    let mut state = self.state.lock();
                    state.low_power = true;
                    state.send.flush(NDIS_STATUS_LOW_POWER_STATE)
                };
                queued.complete(self.miniport, None, 0);
                // Cancels what is below (the link watch; reads and writes too if NDIS did not
                // pause first) and waits for every completion routine. Purged, not stopped: a
                // completion routine on another processor that re-sends before it sees low power
                // gets its request failed back at once, where a stopped target would queue it and
                // send it to the device at the next start (WDF-SRC fxiotarget.cpp `SubmitLocked`).
                self.lower.purge_and_wait();
                OidOutcome::done(4)
            }
            _ => OidOutcome::failed(NDIS_STATUS_NOT_ACCEPTED),
        }
    }
}
