//! `NDIS_STATUS` and the NTSTATUS values the driver and the model use (ndis-abi.md §10).
//! `NDIS_STATUS` is a C `int`: values above 0x7FFFFFFF are negative in Rust.

/// `NDIS_STATUS` (S:shared/ndis/types.h:13, `int`).
pub type NdisStatus = i32;
/// `NTSTATUS` (`LONG`).
pub type NtStatus = i32;

const fn s(v: u32) -> i32 {
    i32::from_ne_bytes(v.to_ne_bytes())
}

pub const NDIS_STATUS_SUCCESS: NdisStatus = 0;
pub const NDIS_STATUS_PENDING: NdisStatus = 0x0000_0103;
pub const NDIS_STATUS_NOT_RECOGNIZED: NdisStatus = 0x0001_0001;
pub const NDIS_STATUS_NOT_ACCEPTED: NdisStatus = 0x0001_0003;
pub const NDIS_STATUS_BUFFER_OVERFLOW: NdisStatus = s(0x8000_0005);
pub const NDIS_STATUS_FAILURE: NdisStatus = s(0xC000_0001);
pub const NDIS_STATUS_RESOURCES: NdisStatus = s(0xC000_009A);
pub const NDIS_STATUS_CLOSING: NdisStatus = s(0xC001_0002);
pub const NDIS_STATUS_BAD_VERSION: NdisStatus = s(0xC001_0004);
pub const NDIS_STATUS_BAD_CHARACTERISTICS: NdisStatus = s(0xC001_0005);
pub const NDIS_STATUS_ADAPTER_NOT_FOUND: NdisStatus = s(0xC001_0006);
pub const NDIS_STATUS_DEVICE_FAILED: NdisStatus = s(0xC001_0008);
pub const NDIS_STATUS_MULTICAST_FULL: NdisStatus = s(0xC001_0009);
pub const NDIS_STATUS_REQUEST_ABORTED: NdisStatus = s(0xC001_000C);
pub const NDIS_STATUS_RESET_IN_PROGRESS: NdisStatus = s(0xC001_000D);
pub const NDIS_STATUS_NOT_SUPPORTED: NdisStatus = s(0xC000_00BB);
pub const NDIS_STATUS_INVALID_PACKET: NdisStatus = s(0xC001_000F);
pub const NDIS_STATUS_ADAPTER_NOT_READY: NdisStatus = s(0xC001_0011);
pub const NDIS_STATUS_INVALID_LENGTH: NdisStatus = s(0xC001_0014);
pub const NDIS_STATUS_INVALID_DATA: NdisStatus = s(0xC001_0015);
pub const NDIS_STATUS_BUFFER_TOO_SHORT: NdisStatus = s(0xC001_0016);
pub const NDIS_STATUS_INVALID_OID: NdisStatus = s(0xC001_0017);
pub const NDIS_STATUS_ADAPTER_REMOVED: NdisStatus = s(0xC001_0018);
pub const NDIS_STATUS_INVALID_DEVICE_REQUEST: NdisStatus = s(0xC000_0010);
/// `STATUS_NDIS_REQUEST_ABORTED`: the send-cancel status. Not `NDIS_STATUS_REQUEST_ABORTED`.
pub const NDIS_STATUS_SEND_ABORTED: NdisStatus = s(0xC023_000C);
pub const NDIS_STATUS_PAUSED: NdisStatus = s(0xC023_002A);
pub const NDIS_STATUS_INVALID_PARAMETER: NdisStatus = s(0xC000_000D);
pub const NDIS_STATUS_INVALID_STATE: NdisStatus = s(0xC000_0184);
pub const NDIS_STATUS_MEDIA_DISCONNECTED: NdisStatus = s(0xC023_001F);
pub const NDIS_STATUS_LOW_POWER_STATE: NdisStatus = s(0xC023_002F);

/// Status indication codes (`NDIS_STATUS_INDICATION.StatusCode`, W:km/ndis.h:1886-1920).
pub const NDIS_STATUS_MEDIA_CONNECT: NdisStatus = 0x4001_000B;
pub const NDIS_STATUS_MEDIA_DISCONNECT: NdisStatus = 0x4001_000C;
pub const NDIS_STATUS_LINK_STATE: NdisStatus = 0x4001_0017;

pub const STATUS_SUCCESS: NtStatus = 0;
pub const STATUS_PENDING: NtStatus = 0x0000_0103;
pub const STATUS_UNSUCCESSFUL: NtStatus = s(0xC000_0001);
pub const STATUS_INVALID_PARAMETER: NtStatus = s(0xC000_000D);
pub const STATUS_INVALID_DEVICE_REQUEST: NtStatus = s(0xC000_0010);
pub const STATUS_BUFFER_TOO_SMALL: NtStatus = s(0xC000_0023);
pub const STATUS_INSUFFICIENT_RESOURCES: NtStatus = s(0xC000_009A);
pub const STATUS_NOT_SUPPORTED: NtStatus = s(0xC000_00BB);
pub const STATUS_CANCELLED: NtStatus = s(0xC000_0120);
/// What KMDF completes a request with when its send-options timeout expired.
pub const STATUS_IO_TIMEOUT: NtStatus = s(0xC000_00B5);
pub const STATUS_INVALID_DEVICE_STATE: NtStatus = s(0xC000_0184);
pub const STATUS_DEVICE_REMOVED: NtStatus = s(0xC000_02B6);
pub const STATUS_NO_SUCH_DEVICE: NtStatus = s(0xC000_000E);
/// What the KMDF verifier returns for a request sent unformatted (ndis-kmdf.md §2.3 item 4).
pub const STATUS_REQUEST_NOT_ACCEPTED: NtStatus = s(0xC000_00D0);

/// `NT_SUCCESS`.
pub const fn nt_success(status: NtStatus) -> bool {
    status >= 0
}
