//! [`Configuration`]: the adapter's parameters in the registry (its driver key, where the INF's
//! `Ndi\params` keywords keep their values), open for the length of `MiniportInitializeEx`.
#![allow(unsafe_code)]

use crate::sys;
use ndis_types::config::{
    NDIS_CONFIGURATION_OBJECT_REVISION_1, NDIS_PARAMETER_INTEGER, NDIS_PARAMETER_STRING,
    NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1, NdisConfigurationObject, NdisParameterType, UnicodeString,
};
use ndis_types::handles::NdisHandle;
use ndis_types::object::{NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT, NdisObjectHeader};
use ndis_types::status::NdisStatus;

/// A registry value name, as UTF-16 code units (built at compile time by [`keyword!`]).
#[derive(Clone, Copy, Debug)]
pub struct Keyword(pub &'static [u16]);

/// The UTF-16 code units of an ASCII string, for [`keyword!`], which evaluates it at compile time:
/// a non-ASCII byte or a length other than `N` fails the build, never the driver.
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects, reason = "compile-time only")]
pub const fn utf16<const N: usize>(ascii: &str) -> [u16; N] {
    let bytes = ascii.as_bytes();
    let mut units = [0u16; N];
    let mut i = 0;
    while i < N {
        let byte = bytes[i];
        assert!(byte.is_ascii(), "keywords are ASCII");
        units[i] = byte as u16;
        i += 1;
    }
    units
}

/// A [`Keyword`] from a string literal, converted at compile time.
macro_rules! keyword {
    ($name:literal) => {{
        const UNITS: [u16; $name.len()] = $crate::configuration::utf16($name);
        $crate::configuration::Keyword(&UNITS)
    }};
}
pub(crate) use keyword;

/// What a read found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reading<T> {
    /// The value is not in the registry.
    Missing,
    /// It is there, but not of the asked form (not a decimal integer, not an address).
    Malformed,
    Value(T),
}

/// An open NDIS configuration handle (`NdisOpenConfigurationEx`), closed on drop.
/// Invariant: `handle` is open for the life of the value, and nothing read through it outlives a
/// method call: every read copies its value out before returning, because NDIS frees what it
/// returned at `NdisCloseConfiguration`.
pub struct Configuration {
    handle: NdisHandle,
}

impl Configuration {
    /// Open the adapter's configuration (PASSIVE_LEVEL, within `MiniportInitializeEx`).
    pub fn open(miniport: NdisHandle) -> Result<Self, NdisStatus> {
        let object = NdisConfigurationObject {
            Header: NdisObjectHeader::new(
                NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT,
                NDIS_CONFIGURATION_OBJECT_REVISION_1,
                NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1,
            ),
            NdisHandle: miniport,
            Flags: 0,
        };
        sys::ndis_open_configuration_ex(&object).map(|handle| Self { handle })
    }

    /// A decimal integer (`NdisParameterInteger`: NDIS converts the REG_SZ an INF writes).
    pub fn read_integer(&self, keyword: Keyword) -> Reading<u32> {
        match self.read(keyword, NDIS_PARAMETER_INTEGER) {
            Ok(parameter) if parameter.ParameterType == NDIS_PARAMETER_INTEGER => {
                // SAFETY: an integer parameter: `IntegerData` is the live member of the union.
                Reading::Value(unsafe { parameter.ParameterData.IntegerData })
            }
            Ok(_) => Reading::Malformed,
            Err(_) => self.present_but_malformed(keyword),
        }
    }

    /// An enumeration keyword's value: as [`Self::read_integer`], but a string must be nothing but
    /// decimal digits, as the Advanced tab writes one of the value names the INX lists under
    /// `enum`. NDIS's conversion stops at the first character that is not a digit and so reads
    /// "fast" as 0, which can be a listed value (`*SpeedDuplex`'s Auto Negotiation); a REG_DWORD
    /// is taken as it is.
    pub fn read_enum(&self, keyword: Keyword) -> Reading<u32> {
        let reading = self.read_integer(keyword);
        if !matches!(reading, Reading::Value(_)) {
            return reading;
        }
        let Ok(parameter) = self.read(keyword, NDIS_PARAMETER_STRING) else { return reading };
        if parameter.ParameterType != NDIS_PARAMETER_STRING {
            return reading;
        }
        // SAFETY: a string parameter: `StringData` is the live member of the union.
        let string = unsafe { parameter.ParameterData.StringData };
        let units = usize::from(string.Length / 2);
        if string.Buffer.is_null() || units == 0 {
            return Reading::Malformed;
        }
        // SAFETY: NDIS returned `Length` bytes of UTF-16 at `Buffer`, live until the close (the
        // handle is open: invariant), read here only.
        let text = unsafe { core::slice::from_raw_parts(string.Buffer.cast_const(), units) };
        let digits = u16::from(b'0')..=u16::from(b'9');
        if text.iter().all(|unit| digits.contains(unit)) { reading } else { Reading::Malformed }
    }

    /// `NdisReadNetworkAddress`: the `NetworkAddress` keyword as NDIS parses it.
    pub fn read_network_address(&self) -> Reading<[u8; 6]> {
        // SAFETY: the handle is open (invariant); the bytes are copied out before returning.
        match unsafe { sys::ndis_read_network_address(self.handle) } {
            Ok((address, 6)) => {
                let mut mac = [0u8; 6];
                // SAFETY: NDIS returned `length` (6) readable bytes at `address`, live until close.
                unsafe { core::ptr::copy_nonoverlapping(address, mac.as_mut_ptr(), mac.len()) };
                Reading::Value(mac)
            }
            Ok(_) => Reading::Malformed,
            Err(_) => self.present_but_malformed(keyword!("NetworkAddress")),
        }
    }

    /// After a failed read: a value that exists as a string with something in it is malformed;
    /// an absent or empty one is missing (the INX's default for an optional keyword is "", and
    /// clearing the Advanced tab's field writes it).
    fn present_but_malformed<T>(&self, keyword: Keyword) -> Reading<T> {
        let Ok(parameter) = self.read(keyword, NDIS_PARAMETER_STRING) else { return Reading::Missing };
        if parameter.ParameterType != NDIS_PARAMETER_STRING {
            return Reading::Malformed;
        }
        // SAFETY: a string parameter: `StringData` is the live member of the union.
        let string = unsafe { parameter.ParameterData.StringData };
        let units = usize::from(string.Length / 2);
        if string.Buffer.is_null() || units == 0 {
            return Reading::Missing;
        }
        // SAFETY: NDIS returned `Length` bytes of UTF-16 at `Buffer`, live until the close (the
        // handle is open: invariant), read here only.
        let text = unsafe { core::slice::from_raw_parts(string.Buffer.cast_const(), units) };
        let blank = text.iter().all(|&unit| unit == u16::from(b' ') || unit == u16::from(b'\t'));
        if blank { Reading::Missing } else { Reading::Malformed }
    }

    /// `NdisReadConfiguration`, the parameter copied out of NDIS's memory.
    fn read(
        &self,
        keyword: Keyword,
        parameter_type: NdisParameterType,
    ) -> Result<ndis_types::config::NdisConfigurationParameter, NdisStatus> {
        let length = u16::try_from(keyword.0.len().saturating_mul(2)).unwrap_or(u16::MAX);
        let name =
            UnicodeString { Length: length, MaximumLength: length, Buffer: keyword.0.as_ptr().cast_mut() };
        // SAFETY: the handle is open (invariant); the keyword is only read (`_In_`).
        let parameter = unsafe { sys::ndis_read_configuration(self.handle, &name, parameter_type) }?;
        // SAFETY: NDIS returned a parameter that lives until close; it is copied here.
        Ok(unsafe { parameter.read() })
    }
}

impl Drop for Configuration {
    fn drop(&mut self) {
        // SAFETY: open (invariant) and never used again: nothing read through it was kept.
        unsafe { sys::ndis_close_configuration(self.handle) }
    }
}
