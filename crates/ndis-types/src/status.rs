//! `NDIS_STATUS` and `NTSTATUS` as two distinct types, with the values the driver and the model use.
//!
//! # Why two newtypes
//! Both are 32-bit signed C integers: `NDIS_STATUS` is an `int` (S:shared/ndis/types.h:13) and
//! `NTSTATUS` a `LONG` (S:shared/ntdef.h:1013), and most `NDIS_STATUS_*` values are defined as an
//! `NTSTATUS` cast to `NDIS_STATUS` (S:shared/ndis/status.h:14-72). As plain `i32` aliases nothing
//! stopped a KMDF request's completion status from being stored as a send completion's NBL status,
//! or an NDIS status from being returned from `DriverEntry` by accident. [`NdisStatus`] and
//! [`NtStatus`] are `#[repr(transparent)]` wrappers of `i32` instead: they have exactly the size,
//! alignment and calling convention of the C types (so the `#[repr(C)]` mirrors that carry one,
//! `NET_BUFFER_LIST.Status`, `NDIS_STATUS_INDICATION.StatusCode` and every callback signature, keep
//! their layout; `tests/abi.rs` and the Windows build's `layout.rs` assert it), and one cannot be
//! given where the other is expected:
//!
//! ```compile_fail
//! use ndis_types::{NdisStatus, STATUS_CANCELLED};
//! let nbl_status: NdisStatus = STATUS_CANCELLED; // an NTSTATUS is not an NDIS_STATUS
//! ```
//!
//! # Crossing between the two
//! Only through a named function that says what it does:
//! - [`NtStatus::from_ndis`]: an `NDIS_STATUS` reported as an `NTSTATUS`, bit for bit. Sound because
//!   every `NDIS_STATUS_*` is either `((NDIS_STATUS)STATUS_X)` or a literal in the NTSTATUS format
//!   (severity in bits 31-30, facility 1 for the NDIS literals; S:shared/ndis/status.h:14-72), so
//!   the value keeps its meaning and `NT_SUCCESS` classifies it the same way. `DriverEntry` uses it
//!   to return `NdisMRegisterMiniportDriver`'s failure as its own status.
//! - The opposite direction has no bit-for-bit function on purpose: an `NTSTATUS` from KMDF or the
//!   device below (`STATUS_CANCELLED`, `STATUS_IO_TIMEOUT`, ...) is not an `NDIS_STATUS` NDIS
//!   documents for any DDI. The driver maps it by meaning, in functions of its own that match on the
//!   named constants and document their table (the lower edge's `ndis_status_from_nt`, the send
//!   path's `write_status`).
//! - [`NdisStatus::from_raw`]/[`NdisStatus::to_raw`] and [`NtStatus::from_raw`]/[`NtStatus::to_raw`]
//!   exist for the ABI boundary only: the Windows backend, where wdk-sys and the generated bindings
//!   give `NDIS_STATUS` and `NTSTATUS` as `i32`, and the model's checks. Driver logic never needs them.
//!
//! # Reading them
//! `Debug` prints the constant's name where this module defines one, then the bits in hex
//! (`NDIS_STATUS_FAILURE (0xc0000001)`), else `NdisStatus(0x...)`; test failures show them.
//! `{:x}`/`{:X}` print the 32 bits as the headers write them. Values above `0x7FFF_FFFF` are
//! negative as `i32`, as in C.

use core::fmt;

/// `NDIS_STATUS` (S:shared/ndis/types.h:13, `int`).
#[repr(transparent)]
#[derive(Clone, Copy, PartialEq, Eq, Hash, bytemuck::Zeroable)]
pub struct NdisStatus(i32);

/// `NTSTATUS` (S:shared/ntdef.h:1013, `LONG`).
#[repr(transparent)]
#[derive(Clone, Copy, PartialEq, Eq, Hash, bytemuck::Zeroable)]
pub struct NtStatus(i32);

impl NdisStatus {
    /// The status with these C bits. ABI boundary only (module doc).
    pub const fn from_raw(raw: i32) -> Self {
        Self(raw)
    }

    /// The C value. ABI boundary only (module doc).
    pub const fn to_raw(self) -> i32 {
        self.0
    }

    /// The name of the constant of this module with this value, if there is one.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self {
            NDIS_STATUS_SUCCESS => "NDIS_STATUS_SUCCESS",
            NDIS_STATUS_PENDING => "NDIS_STATUS_PENDING",
            NDIS_STATUS_NOT_RECOGNIZED => "NDIS_STATUS_NOT_RECOGNIZED",
            NDIS_STATUS_NOT_ACCEPTED => "NDIS_STATUS_NOT_ACCEPTED",
            NDIS_STATUS_BUFFER_OVERFLOW => "NDIS_STATUS_BUFFER_OVERFLOW",
            NDIS_STATUS_FAILURE => "NDIS_STATUS_FAILURE",
            NDIS_STATUS_RESOURCES => "NDIS_STATUS_RESOURCES",
            NDIS_STATUS_CLOSING => "NDIS_STATUS_CLOSING",
            NDIS_STATUS_BAD_VERSION => "NDIS_STATUS_BAD_VERSION",
            NDIS_STATUS_BAD_CHARACTERISTICS => "NDIS_STATUS_BAD_CHARACTERISTICS",
            NDIS_STATUS_ADAPTER_NOT_FOUND => "NDIS_STATUS_ADAPTER_NOT_FOUND",
            NDIS_STATUS_DEVICE_FAILED => "NDIS_STATUS_DEVICE_FAILED",
            NDIS_STATUS_MULTICAST_FULL => "NDIS_STATUS_MULTICAST_FULL",
            NDIS_STATUS_REQUEST_ABORTED => "NDIS_STATUS_REQUEST_ABORTED",
            NDIS_STATUS_RESET_IN_PROGRESS => "NDIS_STATUS_RESET_IN_PROGRESS",
            NDIS_STATUS_NOT_RESETTABLE => "NDIS_STATUS_NOT_RESETTABLE",
            NDIS_STATUS_SOFT_ERRORS => "NDIS_STATUS_SOFT_ERRORS",
            NDIS_STATUS_HARD_ERRORS => "NDIS_STATUS_HARD_ERRORS",
            NDIS_STATUS_NOT_SUPPORTED => "NDIS_STATUS_NOT_SUPPORTED",
            NDIS_STATUS_INVALID_PACKET => "NDIS_STATUS_INVALID_PACKET",
            NDIS_STATUS_ADAPTER_NOT_READY => "NDIS_STATUS_ADAPTER_NOT_READY",
            NDIS_STATUS_INVALID_LENGTH => "NDIS_STATUS_INVALID_LENGTH",
            NDIS_STATUS_INVALID_DATA => "NDIS_STATUS_INVALID_DATA",
            NDIS_STATUS_BUFFER_TOO_SHORT => "NDIS_STATUS_BUFFER_TOO_SHORT",
            NDIS_STATUS_INVALID_OID => "NDIS_STATUS_INVALID_OID",
            NDIS_STATUS_ADAPTER_REMOVED => "NDIS_STATUS_ADAPTER_REMOVED",
            NDIS_STATUS_INVALID_DEVICE_REQUEST => "NDIS_STATUS_INVALID_DEVICE_REQUEST",
            NDIS_STATUS_SEND_ABORTED => "NDIS_STATUS_SEND_ABORTED",
            NDIS_STATUS_PAUSED => "NDIS_STATUS_PAUSED",
            NDIS_STATUS_INVALID_PARAMETER => "NDIS_STATUS_INVALID_PARAMETER",
            NDIS_STATUS_INVALID_STATE => "NDIS_STATUS_INVALID_STATE",
            NDIS_STATUS_MEDIA_DISCONNECTED => "NDIS_STATUS_MEDIA_DISCONNECTED",
            NDIS_STATUS_LOW_POWER_STATE => "NDIS_STATUS_LOW_POWER_STATE",
            NDIS_STATUS_MEDIA_CONNECT => "NDIS_STATUS_MEDIA_CONNECT",
            NDIS_STATUS_MEDIA_DISCONNECT => "NDIS_STATUS_MEDIA_DISCONNECT",
            NDIS_STATUS_LINK_STATE => "NDIS_STATUS_LINK_STATE",
            _ => return None,
        })
    }
}

impl NtStatus {
    /// The status with these C bits. ABI boundary only (module doc).
    pub const fn from_raw(raw: i32) -> Self {
        Self(raw)
    }

    /// The C value. ABI boundary only (module doc).
    pub const fn to_raw(self) -> i32 {
        self.0
    }

    /// An `NDIS_STATUS` reported where an `NTSTATUS` is due, bit for bit: every `NDIS_STATUS_*` is
    /// `((NDIS_STATUS)STATUS_X)` or a literal in the NTSTATUS format (S:shared/ndis/status.h:14-72),
    /// so `NDIS_STATUS_SUCCESS` is `STATUS_SUCCESS`, `NDIS_STATUS_RESOURCES` is
    /// `STATUS_INSUFFICIENT_RESOURCES`, `NDIS_STATUS_BAD_VERSION` stays 0xC0010004, and so on.
    /// `DriverEntry` returns `NdisMRegisterMiniportDriver`'s failure this way.
    pub const fn from_ndis(status: NdisStatus) -> Self {
        Self(status.0)
    }

    /// `NT_SUCCESS(Status)`: `((NTSTATUS)(Status)) >= 0` (S:shared/ntdef.h:1052). Informational and
    /// warning severities are not success.
    pub const fn is_success(self) -> bool {
        self.0 >= 0
    }

    /// The name of the constant of this module with this value, if there is one.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self {
            STATUS_SUCCESS => "STATUS_SUCCESS",
            STATUS_PENDING => "STATUS_PENDING",
            STATUS_UNSUCCESSFUL => "STATUS_UNSUCCESSFUL",
            STATUS_INVALID_PARAMETER => "STATUS_INVALID_PARAMETER",
            STATUS_INVALID_DEVICE_REQUEST => "STATUS_INVALID_DEVICE_REQUEST",
            STATUS_BUFFER_TOO_SMALL => "STATUS_BUFFER_TOO_SMALL",
            STATUS_INSUFFICIENT_RESOURCES => "STATUS_INSUFFICIENT_RESOURCES",
            STATUS_NOT_SUPPORTED => "STATUS_NOT_SUPPORTED",
            STATUS_CANCELLED => "STATUS_CANCELLED",
            STATUS_IO_TIMEOUT => "STATUS_IO_TIMEOUT",
            STATUS_INVALID_DEVICE_STATE => "STATUS_INVALID_DEVICE_STATE",
            STATUS_DEVICE_REMOVED => "STATUS_DEVICE_REMOVED",
            STATUS_NO_SUCH_DEVICE => "STATUS_NO_SUCH_DEVICE",
            STATUS_REQUEST_NOT_ACCEPTED => "STATUS_REQUEST_NOT_ACCEPTED",
            _ => return None,
        })
    }
}

/// `NAME (0x........)`, or `Type(0x........)` for a value without a name here.
fn debug(f: &mut fmt::Formatter<'_>, ty: &str, name: Option<&str>, raw: i32) -> fmt::Result {
    match name {
        Some(name) => write!(f, "{name} ({raw:#010x})"),
        None => write!(f, "{ty}({raw:#010x})"),
    }
}

impl fmt::Debug for NdisStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug(f, "NdisStatus", self.name(), self.0)
    }
}

impl fmt::Debug for NtStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug(f, "NtStatus", self.name(), self.0)
    }
}

impl fmt::LowerHex for NdisStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::LowerHex::fmt(&self.0, f)
    }
}

impl fmt::UpperHex for NdisStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::UpperHex::fmt(&self.0, f)
    }
}

impl fmt::LowerHex for NtStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::LowerHex::fmt(&self.0, f)
    }
}

impl fmt::UpperHex for NtStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::UpperHex::fmt(&self.0, f)
    }
}

/// An `NDIS_STATUS` written as the header writes it, `((NDIS_STATUS)0xC0010004L)`.
const fn ndis(bits: u32) -> NdisStatus {
    NdisStatus(i32::from_ne_bytes(bits.to_ne_bytes()))
}

/// An `NTSTATUS` written as the header writes it, `((NTSTATUS)0xC0000120L)`.
const fn nt(bits: u32) -> NtStatus {
    NtStatus(i32::from_ne_bytes(bits.to_ne_bytes()))
}

// NDIS_STATUS values, S:shared/ndis/status.h (line of each #define). Those defined as
// `((NDIS_STATUS)STATUS_X)` carry the NTSTATUS value of S:shared/ntstatus.h; the Windows build
// compares them with wdk-sys's STATUS_X (`src/sys/windows/layout.rs`).
/// :14, `STATUS_SUCCESS`.
pub const NDIS_STATUS_SUCCESS: NdisStatus = ndis(0);
/// :15, `STATUS_PENDING`.
pub const NDIS_STATUS_PENDING: NdisStatus = ndis(0x0000_0103);
/// :17.
pub const NDIS_STATUS_NOT_RECOGNIZED: NdisStatus = ndis(0x0001_0001);
/// :19.
pub const NDIS_STATUS_NOT_ACCEPTED: NdisStatus = ndis(0x0001_0003);
/// :22.
pub const NDIS_STATUS_NOT_RESETTABLE: NdisStatus = ndis(0x8001_0001);
/// :23.
pub const NDIS_STATUS_SOFT_ERRORS: NdisStatus = ndis(0x8001_0003);
/// :24.
pub const NDIS_STATUS_HARD_ERRORS: NdisStatus = ndis(0x8001_0004);
/// :25, `STATUS_BUFFER_OVERFLOW`.
pub const NDIS_STATUS_BUFFER_OVERFLOW: NdisStatus = ndis(0x8000_0005);
/// :26, `STATUS_UNSUCCESSFUL`.
pub const NDIS_STATUS_FAILURE: NdisStatus = ndis(0xC000_0001);
/// :27, `STATUS_INSUFFICIENT_RESOURCES`.
pub const NDIS_STATUS_RESOURCES: NdisStatus = ndis(0xC000_009A);
/// :28.
pub const NDIS_STATUS_CLOSING: NdisStatus = ndis(0xC001_0002);
/// :29.
pub const NDIS_STATUS_BAD_VERSION: NdisStatus = ndis(0xC001_0004);
/// :30.
pub const NDIS_STATUS_BAD_CHARACTERISTICS: NdisStatus = ndis(0xC001_0005);
/// :31.
pub const NDIS_STATUS_ADAPTER_NOT_FOUND: NdisStatus = ndis(0xC001_0006);
/// :33.
pub const NDIS_STATUS_DEVICE_FAILED: NdisStatus = ndis(0xC001_0008);
/// :34.
pub const NDIS_STATUS_MULTICAST_FULL: NdisStatus = ndis(0xC001_0009);
/// :37. Not the send-cancel status: that is [`NDIS_STATUS_SEND_ABORTED`].
pub const NDIS_STATUS_REQUEST_ABORTED: NdisStatus = ndis(0xC001_000C);
/// :38.
pub const NDIS_STATUS_RESET_IN_PROGRESS: NdisStatus = ndis(0xC001_000D);
/// :40, `STATUS_NOT_SUPPORTED`.
pub const NDIS_STATUS_NOT_SUPPORTED: NdisStatus = ndis(0xC000_00BB);
/// :41.
pub const NDIS_STATUS_INVALID_PACKET: NdisStatus = ndis(0xC001_000F);
/// :43.
pub const NDIS_STATUS_ADAPTER_NOT_READY: NdisStatus = ndis(0xC001_0011);
/// :46.
pub const NDIS_STATUS_INVALID_LENGTH: NdisStatus = ndis(0xC001_0014);
/// :47.
pub const NDIS_STATUS_INVALID_DATA: NdisStatus = ndis(0xC001_0015);
/// :48.
pub const NDIS_STATUS_BUFFER_TOO_SHORT: NdisStatus = ndis(0xC001_0016);
/// :49.
pub const NDIS_STATUS_INVALID_OID: NdisStatus = ndis(0xC001_0017);
/// :50.
pub const NDIS_STATUS_ADAPTER_REMOVED: NdisStatus = ndis(0xC001_0018);
/// :58, `STATUS_INVALID_DEVICE_REQUEST`.
pub const NDIS_STATUS_INVALID_DEVICE_REQUEST: NdisStatus = ndis(0xC000_0010);
/// :62, `STATUS_NDIS_REQUEST_ABORTED` (S:shared/ntstatus.h:19762): the send-cancel status. Not
/// [`NDIS_STATUS_REQUEST_ABORTED`].
pub const NDIS_STATUS_SEND_ABORTED: NdisStatus = ndis(0xC023_000C);
/// :63, `STATUS_NDIS_PAUSED`.
pub const NDIS_STATUS_PAUSED: NdisStatus = ndis(0xC023_002A);
/// :65, `STATUS_INVALID_PARAMETER`.
pub const NDIS_STATUS_INVALID_PARAMETER: NdisStatus = ndis(0xC000_000D);
/// :69, `STATUS_INVALID_DEVICE_STATE`.
pub const NDIS_STATUS_INVALID_STATE: NdisStatus = ndis(0xC000_0184);
/// :70, `STATUS_NDIS_MEDIA_DISCONNECTED`.
pub const NDIS_STATUS_MEDIA_DISCONNECTED: NdisStatus = ndis(0xC023_001F);
/// :71, `STATUS_NDIS_LOW_POWER_STATE`.
pub const NDIS_STATUS_LOW_POWER_STATE: NdisStatus = ndis(0xC023_002F);

// Status indication codes (`NDIS_STATUS_INDICATION.StatusCode`, W:km/ndis.h:1886-1920).
/// W:km/ndis.h:1894.
pub const NDIS_STATUS_MEDIA_CONNECT: NdisStatus = ndis(0x4001_000B);
/// W:km/ndis.h:1895.
pub const NDIS_STATUS_MEDIA_DISCONNECT: NdisStatus = ndis(0x4001_000C);
/// W:km/ndis.h:1912.
pub const NDIS_STATUS_LINK_STATE: NdisStatus = ndis(0x4001_0017);

// NTSTATUS values, S:shared/ntstatus.h (line of each #define).
/// :171.
pub const STATUS_SUCCESS: NtStatus = nt(0);
/// :291.
pub const STATUS_PENDING: NtStatus = nt(0x0000_0103);
/// :2022.
pub const STATUS_UNSUCCESSFUL: NtStatus = nt(0xC000_0001);
/// :2132.
pub const STATUS_INVALID_PARAMETER: NtStatus = nt(0xC000_000D);
/// :2160.
pub const STATUS_INVALID_DEVICE_REQUEST: NtStatus = nt(0xC000_0010);
/// :2349.
pub const STATUS_BUFFER_TOO_SMALL: NtStatus = nt(0xC000_0023);
/// :3450.
pub const STATUS_INSUFFICIENT_RESOURCES: NtStatus = nt(0xC000_009A);
/// :3756.
pub const STATUS_NOT_SUPPORTED: NtStatus = nt(0xC000_00BB);
/// :4685.
pub const STATUS_CANCELLED: NtStatus = nt(0xC000_0120);
/// :3698. What KMDF completes a request with when its send-options timeout expired (Doc
/// `nf-wdfiotarget-wdfiotargetsendinternalioctlsynchronously`, Return value; Doc
/// `ns-wdfrequest-_wdf_request_send_options`, `Timeout`).
pub const STATUS_IO_TIMEOUT: NtStatus = nt(0xC000_00B5);
/// :5581.
pub const STATUS_INVALID_DEVICE_STATE: NtStatus = nt(0xC000_0184);
/// :7612.
pub const STATUS_DEVICE_REMOVED: NtStatus = nt(0xC000_02B6);
/// :2141.
pub const STATUS_NO_SUCH_DEVICE: NtStatus = nt(0xC000_000E);
/// :3947. What KMDF returns, with its verifier on, for a request sent unformatted
/// (Windows-Driver-Frameworks
/// `src/framework/shared/targets/general/fxiotarget.cpp:1204`).
pub const STATUS_REQUEST_NOT_ACCEPTED: NtStatus = nt(0xC000_00D0);

/// `NT_SUCCESS` (S:shared/ntdef.h:1052); the same as [`NtStatus::is_success`].
pub const fn nt_success(status: NtStatus) -> bool {
    status.is_success()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    #[test]
    fn debug_names_the_constant_and_shows_the_bits() {
        assert_eq!(format!("{NDIS_STATUS_FAILURE:?}"), "NDIS_STATUS_FAILURE (0xc0000001)");
        assert_eq!(format!("{STATUS_CANCELLED:?}"), "STATUS_CANCELLED (0xc0000120)");
        assert_eq!(format!("{:?}", NdisStatus::from_raw(0x1234)), "NdisStatus(0x00001234)");
        assert_eq!(format!("{:?}", NtStatus::from_raw(-1)), "NtStatus(0xffffffff)");
    }

    #[test]
    fn hex_prints_the_c_bits() {
        assert_eq!(format!("{NDIS_STATUS_SEND_ABORTED:#x}"), "0xc023000c");
        assert_eq!(format!("{STATUS_IO_TIMEOUT:#010X}"), "0xC00000B5");
    }

    #[test]
    fn ndis_to_nt_keeps_the_bits_and_their_meaning() {
        assert_eq!(NtStatus::from_ndis(NDIS_STATUS_SUCCESS), STATUS_SUCCESS);
        assert_eq!(NtStatus::from_ndis(NDIS_STATUS_PENDING), STATUS_PENDING);
        assert_eq!(NtStatus::from_ndis(NDIS_STATUS_FAILURE), STATUS_UNSUCCESSFUL);
        assert_eq!(NtStatus::from_ndis(NDIS_STATUS_RESOURCES), STATUS_INSUFFICIENT_RESOURCES);
        assert_eq!(NtStatus::from_ndis(NDIS_STATUS_BAD_VERSION).to_raw(), NDIS_STATUS_BAD_VERSION.to_raw());
        assert!(!NtStatus::from_ndis(NDIS_STATUS_BAD_VERSION).is_success());
        assert!(nt_success(STATUS_PENDING) && !nt_success(STATUS_CANCELLED));
    }
}
