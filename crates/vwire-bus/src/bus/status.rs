//! The NTSTATUS values the bus completes requests with, as a portable type.
//!
//! Every failure the bus reports (a hub error, a malformed administrator request, an internal IOCTL's
//! outcome, a port in the wrong state) is turned into a [`BusStatus`] here, once, so the mapping is
//! tested on every host. Each variant is named after the NTSTATUS it stands for, and
//! [`BusStatus::ntstatus`] gives that value as written in the Windows SDK, `shared/ntstatus.h`
//! (S:shared/ntstatus.h, line cited on each). The Windows build asserts at compile time that each
//! value equals wdk-sys's constant of the same name (`sys/windows/mod.rs`).

use vwire_proto::admin::AdminError;

use crate::hub::{HubError, IoctlStatus};

/// How the bus completes a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BusStatus {
    /// STATUS_SUCCESS.
    Success,
    /// STATUS_INVALID_PARAMETER: a malformed structure or an input longer than any structure.
    InvalidParameter,
    /// STATUS_NO_SUCH_DEVICE: the port was never added, is being removed, or is gone.
    NoSuchDevice,
    /// STATUS_INVALID_DEVICE_REQUEST: not an IOCTL this device serves.
    InvalidDeviceRequest,
    /// STATUS_BUFFER_TOO_SMALL: the output buffer cannot hold the answer.
    BufferTooSmall,
    /// STATUS_OBJECT_NAME_COLLISION: a port with that address, or a child with that
    /// identification, exists already.
    ObjectNameCollision,
    /// STATUS_QUOTA_EXCEEDED: the port table (or the hub) is full.
    QuotaExceeded,
    /// STATUS_INSUFFICIENT_RESOURCES: the pool refused a port's queue or the hub's tables.
    InsufficientResources,
    /// STATUS_DEVICE_NOT_READY: the port's child device is not created yet; retry.
    DeviceNotReady,
    /// STATUS_CANCELLED.
    Cancelled,
    /// STATUS_INVALID_DEVICE_STATE: a request arrived at a device or in a state that cannot serve it.
    InvalidDeviceState,
    /// STATUS_IO_DEVICE_ERROR: an injected read or write failure.
    IoDeviceError,
    /// STATUS_INVALID_BUFFER_SIZE: a written batch longer than the port accepts.
    InvalidBufferSize,
    /// STATUS_DEVICE_POWERED_OFF: a read or write reached a port whose device is in D1-D3
    /// ([`HubError::PoweredDown`]). A warning-class value (severity bits 10), so `NT_SUCCESS` is
    /// false and the sender sees a failed request, which is what it is; the name says why, unlike
    /// STATUS_INVALID_DEVICE_STATE, and it is not STATUS_DEVICE_POWER_FAILURE (0xC000009E), a
    /// fault of the power supply rather than a device deliberately powered down.
    DevicePoweredOff,
}

impl BusStatus {
    /// The NTSTATUS value.
    pub const fn ntstatus(self) -> i32 {
        let value: u32 = match self {
            BusStatus::Success => 0x0000_0000,               // S:shared/ntstatus.h:171
            BusStatus::InvalidParameter => 0xC000_000D,      // :2132
            BusStatus::NoSuchDevice => 0xC000_000E,          // :2141
            BusStatus::InvalidDeviceRequest => 0xC000_0010,  // :2160
            BusStatus::BufferTooSmall => 0xC000_0023,        // :2349
            BusStatus::ObjectNameCollision => 0xC000_0035,   // :2516
            BusStatus::QuotaExceeded => 0xC000_0044,         // :2658
            BusStatus::InsufficientResources => 0xC000_009A, // :3450
            BusStatus::DeviceNotReady => 0xC000_00A3,        // :3533
            BusStatus::Cancelled => 0xC000_0120,             // :4685
            BusStatus::InvalidDeviceState => 0xC000_0184,    // :5581
            BusStatus::IoDeviceError => 0xC000_0185,         // :5590
            BusStatus::InvalidBufferSize => 0xC000_0206,     // :6093
            BusStatus::DevicePoweredOff => 0x8000_000F,      // :1559
        };
        // NTSTATUS is a LONG: the header's `((NTSTATUS)0xC000000DL)` reinterprets the bits.
        value.cast_signed()
    }

    /// Whether this is STATUS_SUCCESS.
    pub const fn is_success(self) -> bool {
        matches!(self, BusStatus::Success)
    }
}

/// How a hub failure reaches the requester.
impl From<HubError> for BusStatus {
    fn from(error: HubError) -> Self {
        match error {
            HubError::NoSuchPort => BusStatus::NoSuchDevice,
            HubError::TooManyPorts => BusStatus::QuotaExceeded,
            HubError::PortExists => BusStatus::ObjectNameCollision,
            HubError::InvalidMac
            | HubError::InvalidFrame
            | HubError::InvalidSpeed
            | HubError::Batch(_)
            | HubError::Control(_) => BusStatus::InvalidParameter,
            HubError::OutOfMemory => BusStatus::InsufficientResources,
            HubError::BatchTooLarge => BusStatus::InvalidBufferSize,
            // The injected "hardware" errors.
            HubError::WriteFailed | HubError::ReadFailed => BusStatus::IoDeviceError,
            HubError::BufferTooSmall => BusStatus::BufferTooSmall,
            HubError::PoweredDown => BusStatus::DevicePoweredOff,
        }
    }
}

/// How a malformed administrator request is failed: an unknown code is a request this device does
/// not serve; everything else is a bad parameter.
impl From<AdminError> for BusStatus {
    fn from(error: AdminError) -> Self {
        match error {
            AdminError::UnknownIoctl { .. } => BusStatus::InvalidDeviceRequest,
            _ => BusStatus::InvalidParameter,
        }
    }
}

/// The status each [`IoctlStatus`] is named after.
impl From<IoctlStatus> for BusStatus {
    fn from(status: IoctlStatus) -> Self {
        match status {
            IoctlStatus::Success => BusStatus::Success,
            IoctlStatus::InvalidParameter => BusStatus::InvalidParameter,
            IoctlStatus::BufferTooSmall => BusStatus::BufferTooSmall,
            IoctlStatus::InvalidDeviceRequest => BusStatus::InvalidDeviceRequest,
            IoctlStatus::NoSuchDevice => BusStatus::NoSuchDevice,
        }
    }
}
