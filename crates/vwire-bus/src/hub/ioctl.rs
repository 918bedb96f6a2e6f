//! The internal IOCTLs a port serves to its miniport, dispatched the same way on Windows (the PDO's
//! `EvtIoInternalDeviceControl`) and in the host model.
//!
//! Buffers are METHOD_BUFFERED: `input` is what the miniport sent, `output` is where the answer goes.
//! Both are untrusted; every structure goes through its `vwire_proto` decoder or encoder.

use vwire_proto::{
    IOCTL_VWIRE_QUERY_COUNTERS, IOCTL_VWIRE_QUERY_DEVICE, IOCTL_VWIRE_SET_MULTICAST_LIST,
    IOCTL_VWIRE_SET_PACKET_FILTER, IOCTL_VWIRE_WAIT_LINK_CHANGE, LinkWait, MulticastList, PacketFilter,
};

use super::{Hub, PortId};

/// How an internal IOCTL ends. Each caller maps the status to an NTSTATUS once, at its edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IoctlOutcome {
    /// Complete the request now with `status`; `information` bytes of `output` are the answer
    /// (`IoStatus.Information`).
    Complete {
        /// The request's status.
        status: IoctlStatus,
        /// Bytes written to `output`.
        information: usize,
    },
    /// `IOCTL_VWIRE_WAIT_LINK_CHANGE` with nothing to report yet: hold the request (cancelable) and
    /// finish it with [`Hub::complete_link_wait`] after each link change of the port.
    PendLinkChange {
        /// The generation the miniport already knows.
        known_generation: u32,
    },
}

/// The status of a completed IOCTL, named after the NTSTATUS it becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IoctlStatus {
    /// STATUS_SUCCESS.
    Success,
    /// STATUS_INVALID_PARAMETER: the input structure failed to decode.
    InvalidParameter,
    /// STATUS_BUFFER_TOO_SMALL: the output buffer cannot hold the answer.
    BufferTooSmall,
    /// STATUS_INVALID_DEVICE_REQUEST: not an IOCTL a port serves.
    InvalidDeviceRequest,
    /// STATUS_NO_SUCH_DEVICE: the port has been removed.
    NoSuchDevice,
}

impl IoctlOutcome {
    fn done(status: IoctlStatus) -> Self {
        IoctlOutcome::Complete { status, information: 0 }
    }

    fn answered(written: Result<usize, vwire_proto::ControlError>) -> Self {
        match written {
            Ok(information) => IoctlOutcome::Complete { status: IoctlStatus::Success, information },
            // Encoding a well-formed value fails only for want of room.
            Err(_) => Self::done(IoctlStatus::BufferTooSmall),
        }
    }
}

impl Hub {
    /// Serves one internal IOCTL of `port`'s miniport.
    ///
    /// `QUERY_DEVICE`, `SET_PACKET_FILTER`, `SET_MULTICAST_LIST` and `QUERY_COUNTERS` complete at once.
    /// `WAIT_LINK_CHANGE` completes at once with the [`vwire_proto::LinkState`] if the port's link
    /// generation differs from the one the miniport knows, and otherwise asks the caller to pend it.
    pub fn handle_ioctl(
        &mut self,
        port: PortId,
        ioctl_code: u32,
        input: &[u8],
        output: &mut [u8],
    ) -> IoctlOutcome {
        if self.index_of(port).is_err() {
            return IoctlOutcome::done(IoctlStatus::NoSuchDevice);
        }
        match ioctl_code {
            IOCTL_VWIRE_QUERY_DEVICE => match self.device_info(port) {
                Ok(info) => IoctlOutcome::answered(info.encode(output)),
                Err(_) => IoctlOutcome::done(IoctlStatus::NoSuchDevice),
            },
            IOCTL_VWIRE_QUERY_COUNTERS => match self.counters(port) {
                Ok(counters) => IoctlOutcome::answered(counters.encode(output)),
                Err(_) => IoctlOutcome::done(IoctlStatus::NoSuchDevice),
            },
            IOCTL_VWIRE_SET_PACKET_FILTER => match (PacketFilter::decode(input), self.port_mut(port)) {
                (Err(_), _) => IoctlOutcome::done(IoctlStatus::InvalidParameter),
                (Ok(filter), Ok(p)) => {
                    p.packet_filter = filter.filter;
                    IoctlOutcome::done(IoctlStatus::Success)
                }
                (_, Err(_)) => IoctlOutcome::done(IoctlStatus::NoSuchDevice),
            },
            IOCTL_VWIRE_SET_MULTICAST_LIST => match (MulticastList::decode(input), self.port_mut(port)) {
                (Err(_), _) => IoctlOutcome::done(IoctlStatus::InvalidParameter),
                (Ok(list), Ok(p)) => {
                    p.multicast = list;
                    IoctlOutcome::done(IoctlStatus::Success)
                }
                (_, Err(_)) => IoctlOutcome::done(IoctlStatus::NoSuchDevice),
            },
            IOCTL_VWIRE_WAIT_LINK_CHANGE => {
                let Ok(wait) = LinkWait::decode(input) else {
                    return IoctlOutcome::done(IoctlStatus::InvalidParameter);
                };
                let Ok(state) = self.link_state(port) else {
                    return IoctlOutcome::done(IoctlStatus::NoSuchDevice);
                };
                // Encode even when pending, so an output buffer that could never take the answer fails
                // now instead of after the next link change.
                match state.encode(output) {
                    Err(_) => IoctlOutcome::done(IoctlStatus::BufferTooSmall),
                    Ok(information) if state.generation != wait.known_generation => {
                        IoctlOutcome::Complete { status: IoctlStatus::Success, information }
                    }
                    Ok(_) => IoctlOutcome::PendLinkChange { known_generation: wait.known_generation },
                }
            }
            _ => IoctlOutcome::done(IoctlStatus::InvalidDeviceRequest),
        }
    }

    /// For a wait that [`Hub::handle_ioctl`] pended: `Some` outcome to complete it with once the port's
    /// link generation differs from `known_generation` (or the port is gone: `NoSuchDevice`), `None`
    /// while it should stay pending.
    pub fn complete_link_wait(
        &self,
        port: PortId,
        known_generation: u32,
        output: &mut [u8],
    ) -> Option<IoctlOutcome> {
        let Ok(state) = self.link_state(port) else {
            return Some(IoctlOutcome::done(IoctlStatus::NoSuchDevice));
        };
        if state.generation == known_generation {
            return None;
        }
        Some(IoctlOutcome::answered(state.encode(output)))
    }
}
