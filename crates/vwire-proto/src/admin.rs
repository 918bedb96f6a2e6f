//! The administrator's control interface of the vwire bus: the IOCTLs a management tool sends to the
//! bus FDO's device interface ([`INTERFACE_GUID`]) to add and remove ports, set a port's link and
//! its speed, inject faults, inject frames and capture what a port sends, and the structures they carry.
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
//! answers with [`PortAdded::encode`] and [`CaptureReply::encode`].
//!
//! ## Injecting and capturing frames
//! A smoke test with no second machine (as Microsoft's win-net-test does with its functional test
//! miniport) puts frames on a port's wire and watches what the adapter above answers:
//! - [`IOCTL_VWIRE_BUS_INJECT_FRAME`] ([`InjectFrame`]): one Ethernet frame (destination, source,
//!   type and payload; no FCS, no padding added) lands in the port's receive queue as if a peer had
//!   sent it, and the adapter reads it like any other. The one variable-length input: `length` is
//!   12 + the frame's length, which must be within [`INJECT_MIN_FRAME_LEN`]`..=`[`INJECT_MAX_FRAME_LEN`]
//!   (14..=1514: an Ethernet header at least, an untagged 1500-byte payload at most). Frames shorter
//!   than the 60 bytes of a padded wire frame are taken as they are: the lower-edge protocol carries
//!   them (its `MIN_FRAME_LEN` is 14), and a test may want exactly those bytes. A port whose link is
//!   down takes nothing, as a real wire would not: the frame is dropped, counted, and the request
//!   still succeeds.
//! - [`IOCTL_VWIRE_BUS_CAPTURE_CONTROL`] ([`CaptureControl`]): starts (emptying the port's capture
//!   buffer and zeroing its drop count) or stops the copying of every frame the port's adapter writes.
//!   The bus keeps them in a bounded buffer of fixed slots allocated with the port; when it is full,
//!   the oldest frame is dropped and counted.
//! - [`IOCTL_VWIRE_BUS_CAPTURE_READ`] ([`PortRef`] in, [`CaptureReply`] and a batch out): takes the
//!   oldest captured frames that fit the output, never waits (no frame: an empty batch). Stopping
//!   keeps what was captured, so it can still be read; a port being removed can still be read until
//!   its device is gone.

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

use crate::{
    BATCH_HEADER_LEN, Batch, BatchError, ControlError, ControlHeader, DEFAULT_MAX_BATCH_BYTES, MAX_FRAME_LEN,
    METHOD_BUFFERED, MIN_FRAME_LEN, MacAddress, PROTOCOL_VERSION, RECORD_ALIGN, RECORD_HEADER_LEN, ctl_code,
};

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
/// `0x002A_E010`: input [`InjectFrame`] (variable length), no output. Queues one frame for the port's
/// adapter as if it arrived from the wire (module doc, "Injecting and capturing frames").
pub const IOCTL_VWIRE_BUS_INJECT_FRAME: u32 = admin_ioctl(0x804);
/// `0x002A_E014`: input [`CaptureControl`], no output. Starts or stops the capture of the frames the
/// port's adapter writes.
pub const IOCTL_VWIRE_BUS_CAPTURE_CONTROL: u32 = admin_ioctl(0x805);
/// `0x002A_E018`: input [`PortRef`], output [`CaptureReply`] followed by a batch of the captured
/// frames (at least [`CAPTURE_READ_MIN_OUTPUT`] bytes of output). Takes captured frames; never waits.
pub const IOCTL_VWIRE_BUS_CAPTURE_READ: u32 = admin_ioctl(0x806);
/// `0x002A_E01C`: input [`SetSpeed`], no output. Sets the speed the port's link offers its adapter
/// (what `IOCTL_VWIRE_WAIT_LINK_CHANGE` reports while the link is up); a change is a link change.
pub const IOCTL_VWIRE_BUS_SET_SPEED: u32 = admin_ioctl(0x807);

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
    /// A [`SetSpeed`] of 0 bits per second: a link that is up has a speed.
    ZeroSpeed,
    /// An injected frame's length is outside [`INJECT_MIN_FRAME_LEN`]`..=`[`INJECT_MAX_FRAME_LEN`].
    FrameLength {
        /// The `frame_length` field.
        length: u16,
    },
    /// The batch after a [`CaptureReply`] is malformed.
    Batch(BatchError),
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
            Self::ZeroSpeed => write!(f, "a link speed of 0 bit/s"),
            Self::FrameLength { length } => write!(
                f,
                "frame of {length} bytes is outside {INJECT_MIN_FRAME_LEN}..={INJECT_MAX_FRAME_LEN}"
            ),
            Self::Batch(error) => write!(f, "captured frames: {error}"),
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

/// Input of [`IOCTL_VWIRE_BUS_SET_SPEED`]: the most the port's side of the wire offers, which the
/// adapter reports as its link speed (or negotiates down from, under its `*SpeedDuplex` keyword).
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 4 | `ControlHeader`, `length` = 16 |
/// | 4 | 4 | `port` |
/// | 8 | 8 | `speed_bps`: bits per second, not 0 |
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SetSpeed {
    /// The port.
    pub port: u32,
    /// Bits per second (10 Mb/s is 10_000_000).
    pub speed_bps: u64,
}

impl SetSpeed {
    /// Encoded size.
    pub const ENCODED_LEN: usize = 16;

    /// Writes the structure to the start of `out`; returns the bytes written.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, AdminError> {
        let speed_bps = speed(self.speed_bps)?;
        let out = begin(out, Self::ENCODED_LEN)?;
        put(out, 4, self.port.to_le_bytes())?;
        put(out, 8, speed_bps.to_le_bytes())?;
        Ok(Self::ENCODED_LEN)
    }

    /// Checks and reads the structure; `input` must be exactly one.
    pub fn decode(input: &[u8]) -> Result<Self, AdminError> {
        let input = open(input, Self::ENCODED_LEN)?;
        Ok(SetSpeed {
            port: u32::from_le_bytes(get(input, 4)?),
            speed_bps: speed(u64::from_le_bytes(get(input, 8)?))?,
        })
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

/// Shortest frame [`InjectFrame`] takes: an Ethernet header (the lower-edge protocol's
/// `MIN_FRAME_LEN`). No padding is added.
pub const INJECT_MIN_FRAME_LEN: usize = MIN_FRAME_LEN;
/// Longest frame [`InjectFrame`] takes: 14-byte header and the ports' 1500-byte MTU, no FCS, no VLAN
/// tag.
pub const INJECT_MAX_FRAME_LEN: usize = 1514;

/// Input of [`IOCTL_VWIRE_BUS_INJECT_FRAME`]: one frame for the port's receive queue.
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 4 | `ControlHeader`, `length` = 12 + `frame_length` |
/// | 4 | 4 | `port` |
/// | 8 | 2 | `frame_length`: 14..=1514 |
/// | 10 | 2 | reserved, 0 |
/// | 12 | `frame_length` | the frame: destination, source, EtherType, payload (no FCS) |
///
/// The input must be exactly `12 + frame_length` bytes, and `length` must say so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InjectFrame<'a> {
    /// The port whose adapter receives the frame.
    pub port: u32,
    /// The frame, borrowed from the input.
    pub frame: &'a [u8],
}

impl<'a> InjectFrame<'a> {
    /// Size of the fixed part before the frame.
    pub const HEADER_LEN: usize = 12;
    /// Largest encoded size: the largest input any administrator request has.
    pub const MAX_ENCODED_LEN: usize = Self::HEADER_LEN + INJECT_MAX_FRAME_LEN;

    /// Encoded size of this request.
    pub fn encoded_len(&self) -> usize {
        Self::HEADER_LEN.saturating_add(self.frame.len())
    }

    /// Writes the structure to the start of `out`; returns the bytes written.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, AdminError> {
        let frame_length = frame_length(self.frame.len())?;
        let size = self.encoded_len();
        let out = begin(out, size)?;
        put(out, 4, self.port.to_le_bytes())?;
        put(out, 8, frame_length.to_le_bytes())?;
        put(out, 10, 0u16.to_le_bytes())?;
        let too_small = ControlError::OutputTooSmall { needed: size, found: out.len() };
        out.get_mut(Self::HEADER_LEN..).ok_or(too_small)?.copy_from_slice(self.frame);
        Ok(size)
    }

    /// Checks and reads the structure; `input` must be exactly one, frame included.
    pub fn decode(input: &'a [u8]) -> Result<Self, AdminError> {
        if input.len() < Self::HEADER_LEN {
            return Err(AdminError::WrongInputLength { expected: Self::HEADER_LEN, found: input.len() });
        }
        let header = ControlHeader::decode(input)?;
        let length = u16::from_le_bytes(get(input, 8)?);
        frame_length(usize::from(length))?;
        let size = Self::HEADER_LEN.saturating_add(usize::from(length));
        if input.len() != size {
            return Err(AdminError::WrongInputLength { expected: size, found: input.len() });
        }
        if usize::from(header.length) != size {
            return Err(AdminError::WrongHeaderLength { length: header.length, expected: size });
        }
        reserved(u16::from_le_bytes(get(input, 10)?), 10)?;
        let frame = input.get(Self::HEADER_LEN..).ok_or(ControlError::TooShort { needed: size, found: 0 })?;
        Ok(InjectFrame { port: u32::from_le_bytes(get(input, 4)?), frame })
    }
}

/// Input of [`IOCTL_VWIRE_BUS_CAPTURE_CONTROL`].
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 4 | `ControlHeader`, `length` = 12 |
/// | 4 | 4 | `port` |
/// | 8 | 1 | `start`: 1 starts (empties the buffer, zeroes the drop count), 0 stops (keeps the frames) |
/// | 9 | 3 | reserved, 0 |
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CaptureControl {
    /// The port.
    pub port: u32,
    /// Start (`true`) or stop.
    pub start: bool,
}

impl CaptureControl {
    /// Encoded size.
    pub const ENCODED_LEN: usize = 12;

    /// Writes the structure to the start of `out`; returns the bytes written.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, AdminError> {
        let out = begin(out, Self::ENCODED_LEN)?;
        put(out, 4, self.port.to_le_bytes())?;
        put(out, 8, [u8::from(self.start), 0, 0, 0])?;
        Ok(Self::ENCODED_LEN)
    }

    /// Checks and reads the structure; `input` must be exactly one.
    pub fn decode(input: &[u8]) -> Result<Self, AdminError> {
        let input = open(input, Self::ENCODED_LEN)?;
        let [start, r0, r1, r2] = get::<4>(input, 8)?;
        reserved([r0, r1, r2], 9)?;
        Ok(CaptureControl { port: u32::from_le_bytes(get(input, 4)?), start: boolean(start, 8)? })
    }
}

/// Bytes of the largest record a batch can hold (a `MAX_FRAME_LEN` frame, header and padding).
const MAX_RECORD_LEN: usize = (RECORD_HEADER_LEN + MAX_FRAME_LEN).next_multiple_of(RECORD_ALIGN);

/// Least output [`IOCTL_VWIRE_BUS_CAPTURE_READ`] accepts: the reply, a batch header and the largest
/// record, so the oldest captured frame always fits.
pub const CAPTURE_READ_MIN_OUTPUT: usize = CaptureReply::ENCODED_LEN + BATCH_HEADER_LEN + MAX_RECORD_LEN;
/// The output a tool should give [`IOCTL_VWIRE_BUS_CAPTURE_READ`]: the reply and a batch of the
/// protocol's default size (up to `MAX_BATCH_FRAMES` frames per read).
pub const CAPTURE_READ_OUTPUT: usize = CaptureReply::ENCODED_LEN + DEFAULT_MAX_BATCH_BYTES;

/// Output of [`IOCTL_VWIRE_BUS_CAPTURE_READ`], followed at offset 16 by a batch (the lower-edge
/// protocol's encoding, `docs/lower-edge-protocol.md`) of the captured frames, oldest first; the
/// request's information is 16 + the batch's `total_length`.
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 4 | `ControlHeader`, `length` = 16 |
/// | 4 | 4 | `port` |
/// | 8 | 4 | `dropped`: frames dropped because the buffer was full, since the capture started (saturating) |
/// | 12 | 4 | `pending`: frames still captured after this read (they did not fit: read again) |
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CaptureReply {
    /// The port.
    pub port: u32,
    /// Frames lost to a full capture buffer since the capture started.
    pub dropped: u32,
    /// Frames left for the next read.
    pub pending: u32,
}

impl CaptureReply {
    /// Encoded size (the batch follows).
    pub const ENCODED_LEN: usize = 16;

    /// Writes the structure to the start of `out`; returns the bytes written.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, AdminError> {
        let out = begin(out, Self::ENCODED_LEN)?;
        put(out, 4, self.port.to_le_bytes())?;
        put(out, 8, self.dropped.to_le_bytes())?;
        put(out, 12, self.pending.to_le_bytes())?;
        Ok(Self::ENCODED_LEN)
    }

    /// Checks and reads the structure; `input` must be exactly one.
    pub fn decode(input: &[u8]) -> Result<Self, AdminError> {
        let input = open(input, Self::ENCODED_LEN)?;
        Ok(CaptureReply {
            port: u32::from_le_bytes(get(input, 4)?),
            dropped: u32::from_le_bytes(get(input, 8)?),
            pending: u32::from_le_bytes(get(input, 12)?),
        })
    }

    /// Checks and reads a whole reply (the bytes the request returned): the structure and the batch
    /// after it, which must end exactly where the reply ends.
    pub fn decode_with_frames(reply: &[u8]) -> Result<(Self, Batch<'_>), AdminError> {
        let (head, rest) = reply.split_at_checked(Self::ENCODED_LEN).ok_or(AdminError::WrongInputLength {
            expected: Self::ENCODED_LEN.saturating_add(BATCH_HEADER_LEN),
            found: reply.len(),
        })?;
        let decoded = Self::decode(head)?;
        let batch = Batch::parse(rest).map_err(AdminError::Batch)?;
        if batch.total_length() != rest.len() {
            return Err(AdminError::WrongInputLength {
                expected: Self::ENCODED_LEN.saturating_add(batch.total_length()),
                found: reply.len(),
            });
        }
        Ok((decoded, batch))
    }
}

/// One decoded administrator request, as the driver dispatches it. It borrows the input it was
/// decoded from (an injected frame is a view, not a copy).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminRequest<'a> {
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
    /// [`IOCTL_VWIRE_BUS_SET_SPEED`].
    SetSpeed(SetSpeed),
    /// [`IOCTL_VWIRE_BUS_INJECT_FRAME`].
    InjectFrame(InjectFrame<'a>),
    /// [`IOCTL_VWIRE_BUS_CAPTURE_CONTROL`].
    CaptureControl(CaptureControl),
    /// [`IOCTL_VWIRE_BUS_CAPTURE_READ`].
    CaptureRead {
        /// The port.
        port: u32,
    },
}

/// Largest input of any administrator request: an [`InjectFrame`] of the longest frame.
pub const ADMIN_MAX_INPUT_LEN: usize = InjectFrame::MAX_ENCODED_LEN;

impl<'a> AdminRequest<'a> {
    /// Decodes the input of IOCTL `code`.
    pub fn decode(code: u32, input: &'a [u8]) -> Result<Self, AdminError> {
        match code {
            IOCTL_VWIRE_BUS_ADD_PORT => AddPort::decode(input).map(|AddPort| AdminRequest::AddPort),
            IOCTL_VWIRE_BUS_REMOVE_PORT => {
                PortRef::decode(input).map(|PortRef { port }| AdminRequest::RemovePort { port })
            }
            IOCTL_VWIRE_BUS_SET_LINK => SetLink::decode(input).map(AdminRequest::SetLink),
            IOCTL_VWIRE_BUS_SET_FAULTS => SetFaults::decode(input).map(AdminRequest::SetFaults),
            IOCTL_VWIRE_BUS_SET_SPEED => SetSpeed::decode(input).map(AdminRequest::SetSpeed),
            IOCTL_VWIRE_BUS_INJECT_FRAME => InjectFrame::decode(input).map(AdminRequest::InjectFrame),
            IOCTL_VWIRE_BUS_CAPTURE_CONTROL => {
                CaptureControl::decode(input).map(AdminRequest::CaptureControl)
            }
            IOCTL_VWIRE_BUS_CAPTURE_READ => {
                PortRef::decode(input).map(|PortRef { port }| AdminRequest::CaptureRead { port })
            }
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
            AdminRequest::SetSpeed(set) => Ok((IOCTL_VWIRE_BUS_SET_SPEED, set.encode(out)?)),
            AdminRequest::InjectFrame(inject) => Ok((IOCTL_VWIRE_BUS_INJECT_FRAME, inject.encode(out)?)),
            AdminRequest::CaptureControl(control) => {
                Ok((IOCTL_VWIRE_BUS_CAPTURE_CONTROL, control.encode(out)?))
            }
            AdminRequest::CaptureRead { port } => {
                Ok((IOCTL_VWIRE_BUS_CAPTURE_READ, PortRef { port: *port }.encode(out)?))
            }
        }
    }

    /// Least output the request's reply needs (0: none). A capture read takes more when given more
    /// ([`CAPTURE_READ_OUTPUT`]).
    pub const fn output_len(&self) -> usize {
        match self {
            AdminRequest::AddPort => PortAdded::ENCODED_LEN,
            AdminRequest::CaptureRead { .. } => CAPTURE_READ_MIN_OUTPUT,
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

fn frame_length(length: usize) -> Result<u16, AdminError> {
    let value = u16::try_from(length).unwrap_or(u16::MAX);
    if !(INJECT_MIN_FRAME_LEN..=INJECT_MAX_FRAME_LEN).contains(&length) {
        return Err(AdminError::FrameLength { length: value });
    }
    Ok(value)
}

fn speed(speed_bps: u64) -> Result<u64, AdminError> {
    if speed_bps == 0 {
        return Err(AdminError::ZeroSpeed);
    }
    Ok(speed_bps)
}

fn ppm(value: u32, offset: usize) -> Result<u32, AdminError> {
    if value > PPM_ALWAYS {
        return Err(AdminError::PpmOutOfRange { offset, value });
    }
    Ok(value)
}

#[cfg(test)]
mod tests;
