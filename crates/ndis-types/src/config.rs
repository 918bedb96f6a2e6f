//! The adapter's configuration in the registry and the system event log: `NdisOpenConfigurationEx`,
//! `NdisReadConfiguration`, `NdisReadNetworkAddress`, `NdisCloseConfiguration`,
//! `NdisWriteErrorLogEntry` (W:km/ndis.h).

use crate::handles::NdisHandle;
use crate::object::NdisObjectHeader;
use core::ffi::c_void;
use core::mem::offset_of;

/// `UNICODE_STRING` (S:shared/ntdef.h), which ndis.h names `NDIS_STRING` (W:km/ndis.h:233):
/// `Length` and `MaximumLength` count bytes, not characters; no terminating NUL is required.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct UnicodeString {
    pub Length: u16,
    pub MaximumLength: u16,
    pub Buffer: *mut u16,
}

/// `NDIS_CONFIGURATION_OBJECT` (W:km/ndis.h:4315-4320).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct NdisConfigurationObject {
    pub Header: NdisObjectHeader,
    pub NdisHandle: NdisHandle,
    pub Flags: u32,
}

/// W:km/ndis.h:4308.
pub const NDIS_CONFIGURATION_OBJECT_REVISION_1: u8 = 1;
/// `RTL_SIZEOF_THROUGH_FIELD(NDIS_CONFIGURATION_OBJECT, Flags)` (W:km/ndis.h:4322-4323).
pub const NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1: u16 =
    (offset_of!(NdisConfigurationObject, Flags) + size_of::<u32>()) as u16;

/// `NDIS_PARAMETER_TYPE` (W:km/ndis.h:1161-1168).
pub type NdisParameterType = i32;
pub const NDIS_PARAMETER_INTEGER: NdisParameterType = 0;
pub const NDIS_PARAMETER_HEX_INTEGER: NdisParameterType = 1;
pub const NDIS_PARAMETER_STRING: NdisParameterType = 2;
pub const NDIS_PARAMETER_MULTI_STRING: NdisParameterType = 3;
pub const NDIS_PARAMETER_BINARY: NdisParameterType = 4;

/// `BINARY_DATA` (W:km/ndis.h:1170-1176).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct BinaryData {
    pub Length: u16,
    pub Buffer: *mut c_void,
}

/// The `ParameterData` union of `NDIS_CONFIGURATION_PARAMETER`.
#[repr(C)]
#[derive(Clone, Copy)]
pub union NdisConfigurationParameterData {
    pub IntegerData: u32,
    pub StringData: UnicodeString,
    pub BinaryData: BinaryData,
}

/// `NDIS_CONFIGURATION_PARAMETER` (W:km/ndis.h:1181-1190): what `NdisReadConfiguration` returns a
/// pointer to, valid until `NdisCloseConfiguration`. A HexInteger read comes back as Integer.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct NdisConfigurationParameter {
    pub ParameterType: NdisParameterType,
    pub ParameterData: NdisConfigurationParameterData,
}

/// `NDIS_ERROR_CODE` (W:km/ndis.h:2294, a `ULONG`): the `EVENT_NDIS_*` message ids of
/// S:shared/netevent.h, each `NDIS_ERROR_CODE_*` of W:km/ndis.h:2296-2306.
pub type NdisErrorCode = u32;
/// "Has encountered an invalid network address" (S:shared/netevent.h:1605).
pub const NDIS_ERROR_CODE_NETWORK_ADDRESS: NdisErrorCode = 0xC000_1390;
/// "Does not support the configuration supplied" (S:shared/netevent.h:1614).
pub const NDIS_ERROR_CODE_UNSUPPORTED_CONFIGURATION: NdisErrorCode = 0xC000_1391;
/// "A required parameter is missing from the registry" (S:shared/netevent.h:1632).
pub const NDIS_ERROR_CODE_MISSING_CONFIGURATION_PARAMETER: NdisErrorCode = 0xC000_1393;
