//! Control messages: the internal IOCTLs the miniport sends to its vwire PDO, and their structures.
//!
//! Every IOCTL is `METHOD_BUFFERED`, `FILE_ANY_ACCESS`, device type `FILE_DEVICE_NETWORK`, sent as
//! `IRP_MJ_INTERNAL_DEVICE_CONTROL` (kernel callers only). Every structure starts with a
//! [`ControlHeader`] and has a fixed, naturally aligned little-endian layout with explicit reserved
//! fields that must be zero (offsets in `docs/lower-edge-protocol.md` and on each type).
//!
//! `decode` checks the whole input before returning a value; `encode` refuses values that `decode`
//! would refuse, so what one side encodes the other side accepts.

use core::fmt;

use crate::{PROTOCOL_VERSION, wire};

/// An Ethernet MAC address as it appears on the wire.
pub type MacAddress = [u8; 6];

/// `FILE_DEVICE_NETWORK` (devioctl.h).
pub const FILE_DEVICE_NETWORK: u32 = 0x12;
/// `METHOD_BUFFERED` (devioctl.h): the I/O manager copies input and output through one system buffer.
pub const METHOD_BUFFERED: u32 = 0;
/// `FILE_ANY_ACCESS` (devioctl.h).
pub const FILE_ANY_ACCESS: u32 = 0;

/// The `CTL_CODE` macro of devioctl.h.
pub const fn ctl_code(device_type: u32, function: u32, method: u32, access: u32) -> u32 {
    (device_type << 16) | (access << 14) | (function << 2) | method
}

const fn vwire_ioctl(function: u32) -> u32 {
    ctl_code(FILE_DEVICE_NETWORK, function, METHOD_BUFFERED, FILE_ANY_ACCESS)
}

/// `0x0012_2000`: output [`DeviceInfo`].
pub const IOCTL_VWIRE_QUERY_DEVICE: u32 = vwire_ioctl(0x800);
/// `0x0012_2004`: input [`PacketFilter`].
pub const IOCTL_VWIRE_SET_PACKET_FILTER: u32 = vwire_ioctl(0x801);
/// `0x0012_2008`: input [`MulticastList`].
pub const IOCTL_VWIRE_SET_MULTICAST_LIST: u32 = vwire_ioctl(0x802);
/// `0x0012_200C`: output [`PortCounters`].
pub const IOCTL_VWIRE_QUERY_COUNTERS: u32 = vwire_ioctl(0x803);
/// `0x0012_2010`: input [`LinkWait`], output [`LinkState`]. Pends until the port's link generation
/// differs from `known_generation`; cancelable (completes with `STATUS_CANCELLED`).
pub const IOCTL_VWIRE_WAIT_LINK_CHANGE: u32 = vwire_ioctl(0x804);

/// Most addresses a [`MulticastList`] holds.
pub const MAX_MULTICAST: usize = 32;

/// Why a control structure could not be decoded or encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ControlError {
    /// The input buffer is shorter than the structure.
    TooShort {
        /// Bytes the structure needs.
        needed: usize,
        /// Bytes the buffer has.
        found: usize,
    },
    /// The header's `version` is not [`PROTOCOL_VERSION`].
    BadVersion {
        /// The value found.
        found: u16,
    },
    /// The header's `length` is smaller than the structure it heads.
    LengthTooSmall {
        /// The value found.
        length: u16,
        /// Bytes the structure needs.
        needed: usize,
    },
    /// The header's `length` is larger than the buffer that holds it.
    LengthExceedsBuffer {
        /// The value found.
        length: u16,
        /// Length of the buffer.
        buffer_len: usize,
    },
    /// A reserved field (at `offset` in the structure) is not zero.
    ReservedNonzero {
        /// Offset of the field.
        offset: usize,
    },
    /// A boolean byte (at `offset` in the structure) is neither 0 nor 1.
    BadBoolean {
        /// Offset of the field.
        offset: usize,
        /// The value found.
        value: u8,
    },
    /// A multicast list holds more than [`MAX_MULTICAST`] addresses.
    TooManyMulticast {
        /// The count found (or asked for).
        count: usize,
    },
    /// A multicast list entry is not a group address (bit 0 of its first byte is clear).
    NotGroupAddress {
        /// Position of the address in the list.
        index: usize,
    },
    /// The output buffer given to `encode` is smaller than the structure.
    OutputTooSmall {
        /// Bytes the structure needs.
        needed: usize,
        /// Bytes the buffer has.
        found: usize,
    },
}

impl fmt::Display for ControlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::TooShort { needed, found } => {
                write!(f, "control buffer of {found} bytes is shorter than the {needed}-byte structure")
            }
            Self::BadVersion { found } => write!(f, "control version {found} is not {PROTOCOL_VERSION}"),
            Self::LengthTooSmall { length, needed } => {
                write!(f, "control length {length} is smaller than the {needed}-byte structure")
            }
            Self::LengthExceedsBuffer { length, buffer_len } => {
                write!(f, "control length {length} exceeds the {buffer_len}-byte buffer")
            }
            Self::ReservedNonzero { offset } => write!(f, "reserved field at offset {offset} is not zero"),
            Self::BadBoolean { offset, value } => {
                write!(f, "boolean at offset {offset} is {value}, not 0 or 1")
            }
            Self::TooManyMulticast { count } => {
                write!(f, "multicast list of {count} addresses exceeds {MAX_MULTICAST}")
            }
            Self::NotGroupAddress { index } => write!(f, "multicast address {index} is not a group address"),
            Self::OutputTooSmall { needed, found } => {
                write!(f, "output buffer of {found} bytes is smaller than the {needed}-byte structure")
            }
        }
    }
}

impl core::error::Error for ControlError {}

/// The first four bytes of every control structure.
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 2 | `version` = 1 |
/// | 2 | 2 | `length`: bytes of the structure, this header included |
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ControlHeader {
    /// [`PROTOCOL_VERSION`].
    pub version: u16,
    /// Encoded size of the whole structure.
    pub length: u16,
}

impl ControlHeader {
    /// Encoded size.
    pub const ENCODED_LEN: usize = 4;

    /// Writes the header; returns [`Self::ENCODED_LEN`].
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ControlError> {
        let out = output(out, Self::ENCODED_LEN)?;
        write(out, 0, self.version.to_le_bytes())?;
        write(out, 2, self.length.to_le_bytes())?;
        Ok(Self::ENCODED_LEN)
    }

    /// Reads a header and checks its version. The `length` check needs the structure's size, which
    /// the structure's own `decode` knows.
    pub fn decode(input: &[u8]) -> Result<Self, ControlError> {
        let version = read_u16(input, 0)?;
        let length = read_u16(input, 2)?;
        if version != PROTOCOL_VERSION {
            return Err(ControlError::BadVersion { found: version });
        }
        Ok(ControlHeader { version, length })
    }
}

/// Checks the header of a structure of at least `size` bytes at the start of `input` and returns the
/// structure's bytes (`length` of them).
fn open(input: &[u8], size: usize) -> Result<&[u8], ControlError> {
    if input.len() < size {
        return Err(ControlError::TooShort { needed: size, found: input.len() });
    }
    let header = ControlHeader::decode(input)?;
    let length = usize::from(header.length);
    if length < size {
        return Err(ControlError::LengthTooSmall { length: header.length, needed: size });
    }
    input
        .get(..length)
        .ok_or(ControlError::LengthExceedsBuffer { length: header.length, buffer_len: input.len() })
}

/// Clears the first `size` bytes of `out`, writes a header for them and returns them.
fn output(out: &mut [u8], size: usize) -> Result<&mut [u8], ControlError> {
    let found = out.len();
    let out = out.get_mut(..size).ok_or(ControlError::OutputTooSmall { needed: size, found })?;
    out.fill(0);
    Ok(out)
}

fn begin(out: &mut [u8], size: usize) -> Result<&mut [u8], ControlError> {
    let length =
        u16::try_from(size).map_err(|_| ControlError::OutputTooSmall { needed: size, found: out.len() })?;
    let out = output(out, size)?;
    ControlHeader { version: PROTOCOL_VERSION, length }.encode(out)?;
    Ok(out)
}

fn write<const N: usize>(out: &mut [u8], offset: usize, value: [u8; N]) -> Result<(), ControlError> {
    let found = out.len();
    wire::put(out, offset, value)
        .ok_or(ControlError::OutputTooSmall { needed: offset.saturating_add(N), found })
}

fn read<const N: usize>(input: &[u8], offset: usize) -> Result<[u8; N], ControlError> {
    wire::bytes(input, offset)
        .ok_or(ControlError::TooShort { needed: offset.saturating_add(N), found: input.len() })
}

fn read_u16(input: &[u8], offset: usize) -> Result<u16, ControlError> {
    read(input, offset).map(u16::from_le_bytes)
}

fn read_u32(input: &[u8], offset: usize) -> Result<u32, ControlError> {
    read(input, offset).map(u32::from_le_bytes)
}

fn read_u64(input: &[u8], offset: usize) -> Result<u64, ControlError> {
    read(input, offset).map(u64::from_le_bytes)
}

fn read_bool(input: &[u8], offset: usize) -> Result<u8, ControlError> {
    let [value] = read::<1>(input, offset)?;
    check_bool(value, offset)
}

fn check_bool(value: u8, offset: usize) -> Result<u8, ControlError> {
    if value > 1 {
        return Err(ControlError::BadBoolean { offset, value });
    }
    Ok(value)
}

fn check_reserved<T: PartialEq + Default>(value: T, offset: usize) -> Result<(), ControlError> {
    if value != T::default() {
        return Err(ControlError::ReservedNonzero { offset });
    }
    Ok(())
}

/// Whether `address` is a group (multicast or broadcast) address: bit 0 of the first byte.
pub fn is_group_address(address: &MacAddress) -> bool {
    address.first().is_some_and(|b| b & 1 == 1)
}

/// Output of [`IOCTL_VWIRE_QUERY_DEVICE`]: what the port is and how big its batches may be.
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 4 | [`ControlHeader`], `length` = 20 |
/// | 4 | 6 | `mac` |
/// | 10 | 2 | `mtu` |
/// | 12 | 4 | `max_batch_bytes` |
/// | 16 | 2 | `max_batch_frames` |
/// | 18 | 2 | `protocol_version` |
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
    /// The port's permanent MAC address.
    pub mac: MacAddress,
    /// Largest payload (without the Ethernet header), normally 1500.
    pub mtu: u16,
    /// Largest batch buffer the device accepts in a write and fills in a read.
    pub max_batch_bytes: u32,
    /// Most frames the device accepts in one batch.
    pub max_batch_frames: u16,
    /// Batch protocol version the device speaks; the miniport refuses a device with another.
    pub protocol_version: u16,
}

impl DeviceInfo {
    /// Encoded size.
    pub const ENCODED_LEN: usize = 20;

    /// Writes the structure to the start of `out`; returns the bytes written.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ControlError> {
        let out = begin(out, Self::ENCODED_LEN)?;
        write(out, 4, self.mac)?;
        write(out, 10, self.mtu.to_le_bytes())?;
        write(out, 12, self.max_batch_bytes.to_le_bytes())?;
        write(out, 16, self.max_batch_frames.to_le_bytes())?;
        write(out, 18, self.protocol_version.to_le_bytes())?;
        Ok(Self::ENCODED_LEN)
    }

    /// Checks and reads the structure at the start of `input`.
    pub fn decode(input: &[u8]) -> Result<Self, ControlError> {
        let input = open(input, Self::ENCODED_LEN)?;
        Ok(DeviceInfo {
            mac: read(input, 4)?,
            mtu: read_u16(input, 10)?,
            max_batch_bytes: read_u32(input, 12)?,
            max_batch_frames: read_u16(input, 16)?,
            protocol_version: read_u16(input, 18)?,
        })
    }
}

/// Input of [`IOCTL_VWIRE_SET_PACKET_FILTER`]: which frames the port delivers upward.
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 4 | [`ControlHeader`], `length` = 8 |
/// | 4 | 4 | `filter` |
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct PacketFilter {
    /// `NDIS_PACKET_TYPE_*` bits, as set by `OID_GEN_CURRENT_PACKET_FILTER`.
    pub filter: u32,
}

impl PacketFilter {
    /// Encoded size.
    pub const ENCODED_LEN: usize = 8;

    /// Writes the structure to the start of `out`; returns the bytes written.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ControlError> {
        let out = begin(out, Self::ENCODED_LEN)?;
        write(out, 4, self.filter.to_le_bytes())?;
        Ok(Self::ENCODED_LEN)
    }

    /// Checks and reads the structure at the start of `input`.
    pub fn decode(input: &[u8]) -> Result<Self, ControlError> {
        let input = open(input, Self::ENCODED_LEN)?;
        Ok(PacketFilter { filter: read_u32(input, 4)? })
    }
}

/// Input of [`IOCTL_VWIRE_SET_MULTICAST_LIST`]: the group addresses the port delivers upward (the
/// whole list; it replaces the previous one). At most [`MAX_MULTICAST`], each a group address.
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 4 | [`ControlHeader`], `length` = 8 + 6 × `count` |
/// | 4 | 2 | `count` |
/// | 6 | 2 | reserved, 0 |
/// | 8 | 6 × `count` | addresses |
///
/// In memory it is a fixed-capacity list; the fields are private so the limits hold for every value.
/// All-zero is the empty list (`Zeroable`), so a driver can hold one in zeroed pool memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, bytemuck::Zeroable)]
pub struct MulticastList {
    count: u16,
    /// Entries at `count..` are always zero, so the derived equality compares lists.
    addresses: [MacAddress; MAX_MULTICAST],
}

impl Default for MulticastList {
    fn default() -> Self {
        Self::new()
    }
}

impl MulticastList {
    /// Encoded size of an empty list (the fixed part).
    pub const HEADER_LEN: usize = 8;
    /// Encoded size of a full list.
    pub const MAX_ENCODED_LEN: usize = 8 + 6 * MAX_MULTICAST;

    /// An empty list.
    pub const fn new() -> Self {
        MulticastList { count: 0, addresses: [[0; 6]; MAX_MULTICAST] }
    }

    /// A list of `addresses`, checked against the limits.
    pub fn from_addresses(addresses: &[MacAddress]) -> Result<Self, ControlError> {
        if addresses.len() > MAX_MULTICAST {
            return Err(ControlError::TooManyMulticast { count: addresses.len() });
        }
        let mut list = Self::new();
        for address in addresses {
            list.push(*address)?;
        }
        Ok(list)
    }

    /// Appends `address`.
    pub fn push(&mut self, address: MacAddress) -> Result<(), ControlError> {
        let index = usize::from(self.count);
        if !is_group_address(&address) {
            return Err(ControlError::NotGroupAddress { index });
        }
        let count = self.count.checked_add(1).ok_or(ControlError::TooManyMulticast { count: index })?;
        let slot = self
            .addresses
            .get_mut(index)
            .ok_or(ControlError::TooManyMulticast { count: usize::from(count) })?;
        *slot = address;
        self.count = count;
        Ok(())
    }

    /// Empties the list.
    pub fn clear(&mut self) {
        *self = Self::new();
    }

    /// Number of addresses (the wire's `count`).
    pub fn count(&self) -> u16 {
        self.count
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The addresses, in order.
    pub fn addresses(&self) -> &[MacAddress] {
        self.addresses.get(..usize::from(self.count)).unwrap_or_default()
    }

    /// Whether `address` is in the list.
    pub fn contains(&self, address: &MacAddress) -> bool {
        self.addresses().contains(address)
    }

    /// Encoded size of this list: `8 + 6 × count`.
    pub fn encoded_len(&self) -> usize {
        entries_end(usize::from(self.count))
    }

    /// Writes the structure to the start of `out`; returns the bytes written.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ControlError> {
        let size = self.encoded_len();
        let out = begin(out, size)?;
        write(out, 4, self.count.to_le_bytes())?;
        write(out, 6, 0u16.to_le_bytes())?;
        let mut offset = Self::HEADER_LEN;
        for address in self.addresses() {
            write(out, offset, *address)?;
            offset = offset.saturating_add(6);
        }
        Ok(size)
    }

    /// Checks and reads the structure at the start of `input`.
    pub fn decode(input: &[u8]) -> Result<Self, ControlError> {
        let input = open(input, Self::HEADER_LEN)?;
        let count = read_u16(input, 4)?;
        check_reserved(read_u16(input, 6)?, 6)?;
        if usize::from(count) > MAX_MULTICAST {
            return Err(ControlError::TooManyMulticast { count: usize::from(count) });
        }
        let needed = entries_end(usize::from(count));
        if input.len() < needed {
            // `input` is exactly `length` bytes long (checked by `open`).
            let length = u16::try_from(input.len()).unwrap_or(u16::MAX);
            return Err(ControlError::LengthTooSmall { length, needed });
        }
        let mut list = Self::new();
        let mut offset = Self::HEADER_LEN;
        for _ in 0..count {
            list.push(read(input, offset)?)?;
            offset = offset.saturating_add(6);
        }
        Ok(list)
    }
}

/// Encoded size of a multicast list of `count` (at most [`MAX_MULTICAST`]) entries.
fn entries_end(count: usize) -> usize {
    count.saturating_mul(6).saturating_add(MulticastList::HEADER_LEN)
}

/// Output of [`IOCTL_VWIRE_QUERY_COUNTERS`]: the port's counters since it was created. "rx" is toward
/// the miniport (frames the device completes in reads), "tx" away from it (frames in writes).
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 4 | [`ControlHeader`], `length` = 80 |
/// | 4 | 4 | reserved, 0 (aligns the counters to 8) |
/// | 8 | 8 | `rx_frames` |
/// | 16 | 8 | `rx_bytes` |
/// | 24 | 8 | `tx_frames` |
/// | 32 | 8 | `tx_bytes` |
/// | 40 | 8 | `rx_dropped_queue_full` |
/// | 48 | 8 | `tx_dropped_fault` |
/// | 56 | 8 | `rx_corrupted_fault` |
/// | 64 | 8 | `tx_errors` |
/// | 72 | 8 | `rx_errors` |
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct PortCounters {
    /// Frames delivered to the miniport.
    pub rx_frames: u64,
    /// Bytes of those frames.
    pub rx_bytes: u64,
    /// Frames accepted from the miniport.
    pub tx_frames: u64,
    /// Bytes of those frames.
    pub tx_bytes: u64,
    /// Frames for the miniport dropped because its receive queue was full (no read pending).
    pub rx_dropped_queue_full: u64,
    /// Frames from the miniport dropped by an injected fault.
    pub tx_dropped_fault: u64,
    /// Frames to the miniport corrupted by an injected fault.
    pub rx_corrupted_fault: u64,
    /// Writes the device failed (invalid batch, port gone).
    pub tx_errors: u64,
    /// Reads the device failed.
    pub rx_errors: u64,
}

impl PortCounters {
    /// Encoded size.
    pub const ENCODED_LEN: usize = 80;

    fn fields(&self) -> [u64; 9] {
        [
            self.rx_frames,
            self.rx_bytes,
            self.tx_frames,
            self.tx_bytes,
            self.rx_dropped_queue_full,
            self.tx_dropped_fault,
            self.rx_corrupted_fault,
            self.tx_errors,
            self.rx_errors,
        ]
    }

    /// Writes the structure to the start of `out`; returns the bytes written.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ControlError> {
        let out = begin(out, Self::ENCODED_LEN)?;
        write(out, 4, 0u32.to_le_bytes())?;
        let mut offset = 8;
        for value in self.fields() {
            write(out, offset, value.to_le_bytes())?;
            offset = offset.saturating_add(8);
        }
        Ok(Self::ENCODED_LEN)
    }

    /// Checks and reads the structure at the start of `input`.
    pub fn decode(input: &[u8]) -> Result<Self, ControlError> {
        let input = open(input, Self::ENCODED_LEN)?;
        check_reserved(read_u32(input, 4)?, 4)?;
        Ok(PortCounters {
            rx_frames: read_u64(input, 8)?,
            rx_bytes: read_u64(input, 16)?,
            tx_frames: read_u64(input, 24)?,
            tx_bytes: read_u64(input, 32)?,
            rx_dropped_queue_full: read_u64(input, 40)?,
            tx_dropped_fault: read_u64(input, 48)?,
            rx_corrupted_fault: read_u64(input, 56)?,
            tx_errors: read_u64(input, 64)?,
            rx_errors: read_u64(input, 72)?,
        })
    }
}

/// Input of [`IOCTL_VWIRE_WAIT_LINK_CHANGE`]: the link generation the requester already knows.
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 4 | [`ControlHeader`], `length` = 8 |
/// | 4 | 4 | `known_generation` |
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct LinkWait {
    /// The `generation` of the last [`LinkState`] the requester saw (0 before any).
    pub known_generation: u32,
}

impl LinkWait {
    /// Encoded size.
    pub const ENCODED_LEN: usize = 8;

    /// Writes the structure to the start of `out`; returns the bytes written.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ControlError> {
        let out = begin(out, Self::ENCODED_LEN)?;
        write(out, 4, self.known_generation.to_le_bytes())?;
        Ok(Self::ENCODED_LEN)
    }

    /// Checks and reads the structure at the start of `input`.
    pub fn decode(input: &[u8]) -> Result<Self, ControlError> {
        let input = open(input, Self::ENCODED_LEN)?;
        Ok(LinkWait { known_generation: read_u32(input, 4)? })
    }
}

/// Output of [`IOCTL_VWIRE_WAIT_LINK_CHANGE`]: the port's link state and its generation, which the
/// device increments on every change.
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 4 | [`ControlHeader`], `length` = 24 |
/// | 4 | 4 | `generation` |
/// | 8 | 1 | `up`: 0 or 1 |
/// | 9 | 1 | `full_duplex`: 0 or 1 |
/// | 10 | 2 | `reserved`, 0 |
/// | 12 | 4 | reserved, 0 (aligns `speed_bps` to 8) |
/// | 16 | 8 | `speed_bps` |
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct LinkState {
    /// Changes (increments) every time the link state changes.
    pub generation: u32,
    /// 1 if the link is up, 0 if down; nothing else.
    pub up: u8,
    /// 1 for full duplex, 0 for half; nothing else.
    pub full_duplex: u8,
    /// Must be 0.
    pub reserved: u16,
    /// Link speed in bits per second (0 when down).
    pub speed_bps: u64,
}

impl LinkState {
    /// Encoded size.
    pub const ENCODED_LEN: usize = 24;

    /// A link state with the booleans as `bool`.
    pub const fn new(generation: u32, up: bool, full_duplex: bool, speed_bps: u64) -> Self {
        LinkState { generation, up: up as u8, full_duplex: full_duplex as u8, reserved: 0, speed_bps }
    }

    /// Whether the link is up.
    pub fn is_up(&self) -> bool {
        self.up != 0
    }

    /// Whether the link is full duplex.
    pub fn is_full_duplex(&self) -> bool {
        self.full_duplex != 0
    }

    /// Writes the structure to the start of `out`; returns the bytes written.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ControlError> {
        check_bool(self.up, 8)?;
        check_bool(self.full_duplex, 9)?;
        check_reserved(self.reserved, 10)?;
        let out = begin(out, Self::ENCODED_LEN)?;
        write(out, 4, self.generation.to_le_bytes())?;
        write(out, 8, [self.up, self.full_duplex])?;
        write(out, 10, 0u16.to_le_bytes())?;
        write(out, 12, 0u32.to_le_bytes())?;
        write(out, 16, self.speed_bps.to_le_bytes())?;
        Ok(Self::ENCODED_LEN)
    }

    /// Checks and reads the structure at the start of `input`.
    pub fn decode(input: &[u8]) -> Result<Self, ControlError> {
        let input = open(input, Self::ENCODED_LEN)?;
        let up = read_bool(input, 8)?;
        let full_duplex = read_bool(input, 9)?;
        check_reserved(read_u16(input, 10)?, 10)?;
        check_reserved(read_u32(input, 12)?, 12)?;
        Ok(LinkState {
            generation: read_u32(input, 4)?,
            up,
            full_duplex,
            reserved: 0,
            speed_bps: read_u64(input, 16)?,
        })
    }
}

#[cfg(test)]
mod tests;
