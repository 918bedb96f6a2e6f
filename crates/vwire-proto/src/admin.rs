//! The administrator's control interface of the vwire bus: the IOCTLs a management tool sends to the
//! bus FDO's device interface ([`INTERFACE_GUID`]) to add and remove ports, set a port's link and
//! inject faults, and the structures they carry.
//!
//! These are *public* IOCTLs (`IRP_MJ_DEVICE_CONTROL` from user mode), unlike the internal IOCTLs
//! of [`crate::control`] that the miniport sends to a port's PDO. Every code is
//! `METHOD_BUFFERED` with device type `FILE_DEVICE_BUS_EXTENDER` and function codes from 0x800 (the
//! vendor range; Microsoft's doc "Defining I/O Control Codes"), and requires
//! `FILE_READ_DATA | FILE_WRITE_DATA`: the I/O manager checks that against the handle's granted
//! access, and the INF's DACL (`D:P(A;;GA;;;SY)(A;;GA;;;BA)`) grants access to SYSTEM and
//! Administrators only.
//!
//! Every structure starts with a [`crate::ControlHeader`] (`version` = `PROTOCOL_VERSION`,
//! `length` = the structure's size) and has a fixed, naturally aligned little-endian layout with
//! explicit reserved fields. Validation is strict: an input must be exactly one structure (no
//! trailing bytes), `length` must equal its size, reserved fields must be zero and booleans 0 or 1.
//! Nothing here allocates or can panic; the Windows driver decodes with [`AdminRequest::decode`] and
//! answers with [`PortAdded::encode`].

#![forbid(unsafe_code)]
#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unreachable,
    clippy::todo,
    clippy::unimplemented
)]

use core::fmt;

use crate::{ControlError, ControlHeader, METHOD_BUFFERED, MacAddress, PROTOCOL_VERSION, ctl_code};

/// `FILE_DEVICE_BUS_EXTENDER` (devioctl.h / wdm.h: 0x2a), the device type of the bus FDO and of
/// these codes, as in the toaster bus (`FILE_DEVICE_BUSENUM`).
pub const FILE_DEVICE_BUS_EXTENDER: u32 = 0x2A;
/// `FILE_READ_DATA` (wdm.h).
pub const FILE_READ_DATA: u32 = 0x1;
/// `FILE_WRITE_DATA` (wdm.h).
pub const FILE_WRITE_DATA: u32 = 0x2;

const fn admin_ioctl(function: u32) -> u32 {
    ctl_code(FILE_DEVICE_BUS_EXTENDER, function, METHOD_BUFFERED, FILE_READ_DATA | FILE_WRITE_DATA)
}

/// `0x002A_E000`: input [`AddPort`], output [`PortAdded`]. Adds a port; the bus assigns its number
/// and its MAC address (`02-76-77-xx-xx-xx`, [`port_mac`]) and reports a new child device.
pub const IOCTL_VWIRE_BUS_ADD_PORT: u32 = admin_ioctl(0x800);
/// `0x002A_E004`: input [`PortRef`], no output. Reports the port's device missing: a surprise removal
/// for the driver stack above it. The port number is free again once that device is gone.
pub const IOCTL_VWIRE_BUS_REMOVE_PORT: u32 = admin_ioctl(0x801);
/// `0x002A_E008`: input [`SetLink`], no output. Sets the port's link up or down.
pub const IOCTL_VWIRE_BUS_SET_LINK: u32 = admin_ioctl(0x802);
/// `0x002A_E00C`: input [`SetFaults`], no output. Replaces the port's fault-injection settings.
pub const IOCTL_VWIRE_BUS_SET_FAULTS: u32 = admin_ioctl(0x803);

/// The device interface class the bus FDO registers for its control IOCTLs,
/// `{31f0c005-8c25-453a-8d29-cdb09d80c30e}`: a management tool finds it with
/// `CM_Get_Device_Interface_List` and opens it with `CreateFile(GENERIC_READ | GENERIC_WRITE)`.
pub const INTERFACE_GUID: Guid = Guid {
    data1: 0x31f0_c005,
    data2: 0x8c25,
    data3: 0x453a,
    data4: [0x8d, 0x29, 0xcd, 0xb0, 0x9d, 0x80, 0xc3, 0x0e],
};

/// The enumerator GUID of the child devices, `{d25fba69-e1db-424d-b06c-dd93052ef851}`: the prefix of
/// the hardware ID [`CHILD_HARDWARE_ID`] and the bus type GUID the bus reports to its children.
pub const BUS_TYPE_GUID: Guid = Guid {
    data1: 0xd25f_ba69,
    data2: 0xe1db,
    data3: 0x424d,
    data4: [0xb0, 0x6c, 0xdd, 0x93, 0x05, 0x2e, 0xf8, 0x51],
};

/// Device ID and only hardware ID of every port's child device. The miniport's INF
/// (`inx/kmdf_miniport.inx`) matches exactly this string.
pub const CHILD_HARDWARE_ID: &str = "{d25fba69-e1db-424d-b06c-dd93052ef851}\\VWirePort";

/// A GUID in its `GUID`/`UUID` field form (`Data1`-`Data2`-`Data3`-`Data4[8]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Guid {
    /// `Data1`.
    pub data1: u32,
    /// `Data2`.
    pub data2: u16,
    /// `Data3`.
    pub data3: u16,
    /// `Data4`.
    pub data4: [u8; 8],
}

/// The first three bytes of every MAC address the bus assigns: locally administered (bit 1 of the
/// first byte), unicast (bit 0 clear), then `'v'`, `'w'`.
pub const MAC_PREFIX: [u8; 3] = [0x02, 0x76, 0x77];

/// The MAC address of the `serial`-th port the bus has added (counting from 0 since the bus started):
/// `02-76-77` followed by the low 24 bits of `serial`, most significant first. A serial rather than
/// the port number, so a port number reused after a removal gets a new address and no peer's ARP
/// cache points at the old port.
pub const fn port_mac(serial: u32) -> MacAddress {
    let [_, b0, b1, b2] = serial.to_be_bytes();
    [MAC_PREFIX[0], MAC_PREFIX[1], MAC_PREFIX[2], b0, b1, b2]
}

/// Why an administrator's request or reply could not be decoded or encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminError {
    /// Not one of this interface's IOCTL codes.
    UnknownIoctl {
        /// The code received.
        code: u32,
    },
    /// The input is not exactly one structure of the code's type.
    WrongInputLength {
        /// Bytes the structure has.
        expected: usize,
        /// Bytes the input has.
        found: usize,
    },
    /// The header's `length` is not the structure's size.
    WrongHeaderLength {
        /// The value found.
        length: u16,
        /// Bytes the structure has.
        expected: usize,
    },
    /// A parts-per-million field (at `offset`) is above [`PPM_ALWAYS`].
    PpmOutOfRange {
        /// Offset of the field.
        offset: usize,
        /// The value found.
        value: u32,
    },
    /// A header, reserved field, boolean or buffer-size problem (see [`ControlError`]).
    Control(ControlError),
}

impl From<ControlError> for AdminError {
    fn from(error: ControlError) -> Self {
        AdminError::Control(error)
    }
}

impl fmt::Display for AdminError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::UnknownIoctl { code } => write!(f, "IOCTL {code:#010x} is not a vwire bus control code"),
            Self::WrongInputLength { expected, found } => {
                write!(f, "input of {found} bytes is not the {expected}-byte structure")
            }
            Self::WrongHeaderLength { length, expected } => {
                write!(f, "header length {length} is not the {expected}-byte structure")
            }
            Self::PpmOutOfRange { offset, value } => {
                write!(f, "parts-per-million field at offset {offset} is {value}, above {PPM_ALWAYS}")
            }
            Self::Control(error) => error.fmt(f),
        }
    }
}

impl core::error::Error for AdminError {}

/// Input of [`IOCTL_VWIRE_BUS_ADD_PORT`].
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 4 | `ControlHeader`, `length` = 8 |
/// | 4 | 4 | reserved (flags), 0 |
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AddPort;

impl AddPort {
    /// Encoded size.
    pub const ENCODED_LEN: usize = 8;

    /// Writes the structure to the start of `out`; returns the bytes written.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, AdminError> {
        let out = begin(out, Self::ENCODED_LEN)?;
        put(out, 4, 0u32.to_le_bytes())?;
        Ok(Self::ENCODED_LEN)
    }

    /// Checks and reads the structure; `input` must be exactly one.
    pub fn decode(input: &[u8]) -> Result<Self, AdminError> {
        let input = open(input, Self::ENCODED_LEN)?;
        reserved(u32::from_le_bytes(get(input, 4)?), 4)?;
        Ok(AddPort)
    }
}

/// Output of [`IOCTL_VWIRE_BUS_ADD_PORT`]: the new port's number and MAC address.
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 4 | `ControlHeader`, `length` = 16 |
/// | 4 | 4 | `port` |
/// | 8 | 6 | `mac` |
/// | 14 | 2 | reserved, 0 |
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortAdded {
    /// The port number: the child device's instance ID and the number later requests name.
    pub port: u32,
    /// The MAC address the port reports to the miniport.
    pub mac: MacAddress,
}

impl PortAdded {
    /// Encoded size.
    pub const ENCODED_LEN: usize = 16;

    /// Writes the structure to the start of `out`; returns the bytes written.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, AdminError> {
        let out = begin(out, Self::ENCODED_LEN)?;
        put(out, 4, self.port.to_le_bytes())?;
        put(out, 8, self.mac)?;
        put(out, 14, 0u16.to_le_bytes())?;
        Ok(Self::ENCODED_LEN)
    }

    /// Checks and reads the structure; `input` must be exactly one.
    pub fn decode(input: &[u8]) -> Result<Self, AdminError> {
        let input = open(input, Self::ENCODED_LEN)?;
        reserved(u16::from_le_bytes(get(input, 14)?), 14)?;
        Ok(PortAdded { port: u32::from_le_bytes(get(input, 4)?), mac: get(input, 8)? })
    }
}

/// Input of [`IOCTL_VWIRE_BUS_REMOVE_PORT`]: names a port.
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 4 | `ControlHeader`, `length` = 8 |
/// | 4 | 4 | `port` |
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortRef {
    /// The port number [`PortAdded`] reported.
    pub port: u32,
}

impl PortRef {
    /// Encoded size.
    pub const ENCODED_LEN: usize = 8;

    /// Writes the structure to the start of `out`; returns the bytes written.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, AdminError> {
        let out = begin(out, Self::ENCODED_LEN)?;
        put(out, 4, self.port.to_le_bytes())?;
        Ok(Self::ENCODED_LEN)
    }

    /// Checks and reads the structure; `input` must be exactly one.
    pub fn decode(input: &[u8]) -> Result<Self, AdminError> {
        let input = open(input, Self::ENCODED_LEN)?;
        Ok(PortRef { port: u32::from_le_bytes(get(input, 4)?) })
    }
}

/// Input of [`IOCTL_VWIRE_BUS_SET_LINK`].
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 4 | `ControlHeader`, `length` = 12 |
/// | 4 | 4 | `port` |
/// | 8 | 1 | `up`: 0 or 1 |
/// | 9 | 3 | reserved, 0 |
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SetLink {
    /// The port.
    pub port: u32,
    /// Link up (`true`) or down.
    pub up: bool,
}

impl SetLink {
    /// Encoded size.
    pub const ENCODED_LEN: usize = 12;

    /// Writes the structure to the start of `out`; returns the bytes written.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, AdminError> {
        let out = begin(out, Self::ENCODED_LEN)?;
        put(out, 4, self.port.to_le_bytes())?;
        put(out, 8, [u8::from(self.up), 0, 0, 0])?;
        Ok(Self::ENCODED_LEN)
    }

    /// Checks and reads the structure; `input` must be exactly one.
    pub fn decode(input: &[u8]) -> Result<Self, AdminError> {
        let input = open(input, Self::ENCODED_LEN)?;
        let [up, r0, r1, r2] = get::<4>(input, 8)?;
        reserved([r0, r1, r2], 9)?;
        Ok(SetLink { port: u32::from_le_bytes(get(input, 4)?), up: boolean(up, 8)? })
    }
}

/// Parts per million meaning "always".
pub const PPM_ALWAYS: u32 = 1_000_000;

/// Input of [`IOCTL_VWIRE_BUS_SET_FAULTS`]: the port's whole fault-injection setting (it replaces the
/// previous one; all zero is "no faults"). The faults act on what the port's miniport sees.
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 4 | `ControlHeader`, `length` = 24 |
/// | 4 | 4 | `port` |
/// | 8 | 4 | `drop_ppm`: frames the port writes that are lost, parts per million (at most 1 000 000) |
/// | 12 | 4 | `corrupt_ppm`: frames queued for the port that get one bit flipped, ppm (at most 1 000 000) |
/// | 16 | 4 | `delay_us`: a frame becomes readable this many microseconds after it was written |
/// | 20 | 1 | `stall`: 0 or 1; reads find nothing (frames stay queued and may overflow) |
/// | 21 | 1 | `fail_writes`: 0 or 1; writes fail whole |
/// | 22 | 1 | `fail_reads`: 0 or 1; reads fail (frames stay queued) |
/// | 23 | 1 | reserved, 0 |
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SetFaults {
    /// The port.
    pub port: u32,
    /// Write loss, parts per million.
    pub drop_ppm: u32,
    /// Read corruption, parts per million.
    pub corrupt_ppm: u32,
    /// Read delay, microseconds.
    pub delay_us: u32,
    /// Reads find nothing.
    pub stall: bool,
    /// Writes fail.
    pub fail_writes: bool,
    /// Reads fail.
    pub fail_reads: bool,
}

impl SetFaults {
    /// Encoded size.
    pub const ENCODED_LEN: usize = 24;

    /// Writes the structure to the start of `out`; returns the bytes written.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, AdminError> {
        ppm(self.drop_ppm, 8)?;
        ppm(self.corrupt_ppm, 12)?;
        let out = begin(out, Self::ENCODED_LEN)?;
        put(out, 4, self.port.to_le_bytes())?;
        put(out, 8, self.drop_ppm.to_le_bytes())?;
        put(out, 12, self.corrupt_ppm.to_le_bytes())?;
        put(out, 16, self.delay_us.to_le_bytes())?;
        put(out, 20, [u8::from(self.stall), u8::from(self.fail_writes), u8::from(self.fail_reads), 0])?;
        Ok(Self::ENCODED_LEN)
    }

    /// Checks and reads the structure; `input` must be exactly one.
    pub fn decode(input: &[u8]) -> Result<Self, AdminError> {
        let input = open(input, Self::ENCODED_LEN)?;
        let [stall, fail_writes, fail_reads, r] = get::<4>(input, 20)?;
        reserved(r, 23)?;
        Ok(SetFaults {
            port: u32::from_le_bytes(get(input, 4)?),
            drop_ppm: ppm(u32::from_le_bytes(get(input, 8)?), 8)?,
            corrupt_ppm: ppm(u32::from_le_bytes(get(input, 12)?), 12)?,
            delay_us: u32::from_le_bytes(get(input, 16)?),
            stall: boolean(stall, 20)?,
            fail_writes: boolean(fail_writes, 21)?,
            fail_reads: boolean(fail_reads, 22)?,
        })
    }
}

/// One decoded administrator request, as the driver dispatches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminRequest {
    /// [`IOCTL_VWIRE_BUS_ADD_PORT`].
    AddPort,
    /// [`IOCTL_VWIRE_BUS_REMOVE_PORT`].
    RemovePort {
        /// The port.
        port: u32,
    },
    /// [`IOCTL_VWIRE_BUS_SET_LINK`].
    SetLink(SetLink),
    /// [`IOCTL_VWIRE_BUS_SET_FAULTS`].
    SetFaults(SetFaults),
}

impl AdminRequest {
    /// Decodes the input of IOCTL `code`.
    pub fn decode(code: u32, input: &[u8]) -> Result<Self, AdminError> {
        match code {
            IOCTL_VWIRE_BUS_ADD_PORT => AddPort::decode(input).map(|AddPort| AdminRequest::AddPort),
            IOCTL_VWIRE_BUS_REMOVE_PORT => {
                PortRef::decode(input).map(|PortRef { port }| AdminRequest::RemovePort { port })
            }
            IOCTL_VWIRE_BUS_SET_LINK => SetLink::decode(input).map(AdminRequest::SetLink),
            IOCTL_VWIRE_BUS_SET_FAULTS => SetFaults::decode(input).map(AdminRequest::SetFaults),
            code => Err(AdminError::UnknownIoctl { code }),
        }
    }

    /// The IOCTL code and encoded input of this request (what a management tool sends); returns
    /// `(code, bytes written)`.
    pub fn encode(&self, out: &mut [u8]) -> Result<(u32, usize), AdminError> {
        match self {
            AdminRequest::AddPort => Ok((IOCTL_VWIRE_BUS_ADD_PORT, AddPort.encode(out)?)),
            AdminRequest::RemovePort { port } => {
                Ok((IOCTL_VWIRE_BUS_REMOVE_PORT, PortRef { port: *port }.encode(out)?))
            }
            AdminRequest::SetLink(set) => Ok((IOCTL_VWIRE_BUS_SET_LINK, set.encode(out)?)),
            AdminRequest::SetFaults(set) => Ok((IOCTL_VWIRE_BUS_SET_FAULTS, set.encode(out)?)),
        }
    }

    /// Bytes of output the request's reply needs (0: none).
    pub const fn output_len(&self) -> usize {
        match self {
            AdminRequest::AddPort => PortAdded::ENCODED_LEN,
            _ => 0,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Field access: bounds-checked, so a bad offset is an error value, never a panic.

/// Checks that `input` is exactly one structure of `size` bytes with a valid header of that length.
fn open(input: &[u8], size: usize) -> Result<&[u8], AdminError> {
    if input.len() != size {
        return Err(AdminError::WrongInputLength { expected: size, found: input.len() });
    }
    let header = ControlHeader::decode(input)?;
    if usize::from(header.length) != size {
        return Err(AdminError::WrongHeaderLength { length: header.length, expected: size });
    }
    Ok(input)
}

/// Clears the first `size` bytes of `out`, writes their header and returns them.
fn begin(out: &mut [u8], size: usize) -> Result<&mut [u8], AdminError> {
    let found = out.len();
    let too_small = ControlError::OutputTooSmall { needed: size, found };
    let length = u16::try_from(size).map_err(|_| too_small)?;
    let out = out.get_mut(..size).ok_or(too_small)?;
    out.fill(0);
    ControlHeader { version: PROTOCOL_VERSION, length }.encode(out)?;
    Ok(out)
}

fn get<const N: usize>(input: &[u8], offset: usize) -> Result<[u8; N], AdminError> {
    let too_short = ControlError::TooShort { needed: offset.saturating_add(N), found: input.len() };
    let end = offset.checked_add(N).ok_or(too_short)?;
    let bytes = input.get(offset..end).ok_or(too_short)?;
    bytes.try_into().map_err(|_| AdminError::Control(too_short))
}

fn put<const N: usize>(out: &mut [u8], offset: usize, value: [u8; N]) -> Result<(), AdminError> {
    let too_small = ControlError::OutputTooSmall { needed: offset.saturating_add(N), found: out.len() };
    let end = offset.checked_add(N).ok_or(too_small)?;
    let dst = out.get_mut(offset..end).ok_or(too_small)?;
    for (d, s) in dst.iter_mut().zip(value) {
        *d = s;
    }
    Ok(())
}

fn reserved<T: PartialEq + Default>(value: T, offset: usize) -> Result<(), AdminError> {
    if value != T::default() {
        return Err(ControlError::ReservedNonzero { offset }.into());
    }
    Ok(())
}

fn boolean(value: u8, offset: usize) -> Result<bool, AdminError> {
    match value {
        0 => Ok(false),
        1 => Ok(true),
        value => Err(ControlError::BadBoolean { offset, value }.into()),
    }
}

fn ppm(value: u32, offset: usize) -> Result<u32, AdminError> {
    if value > PPM_ALWAYS {
        return Err(AdminError::PpmOutOfRange { offset, value });
    }
    Ok(value)
}

#[cfg(test)]
mod tests;
