//! The versions the driver declares: to NDIS in its characteristics (`NdisMRegisterMiniportDriver`)
//! and to protocols through `OID_GEN_DRIVER_VERSION` and `OID_GEN_VENDOR_DRIVER_VERSION`.

/// NDIS contract this driver is written against: 6.30, the floor on ARM64 (`NDIS_MIN_API`,
/// W:km/ndis.h:276-281, enforced at :363-365) and available on every Windows 10 and 11.
pub const NDIS_MAJOR_VERSION: u8 = 6;
pub const NDIS_MINOR_VERSION: u8 = 30;
pub const DRIVER_MAJOR_VERSION: u8 = 0;
pub const DRIVER_MINOR_VERSION: u8 = 1;
