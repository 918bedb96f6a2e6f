//! The adapter's registry and the system event log: `NdisOpenConfigurationEx`,
//! `NdisReadConfiguration`, `NdisReadNetworkAddress`, `NdisCloseConfiguration`,
//! `NdisWriteErrorLogEntry` (W:km/ndis.h:2643-2687, 3830-3838, 4325-4332).
//!
//! Each adapter gets, when it is added, the values [`crate::Sim::set_registry`] holds then: its
//! driver key, where the INF's `Ndi\params` keywords keep their values (as REG_SZ, which is how an
//! INF's `AddReg` and the Advanced tab write them). What a read returns lives in memory the open
//! configuration owns and is poisoned and freed at `NdisCloseConfiguration`, so a driver that
//! keeps a pointer past the close reads garbage (and ASan, under the fuzz targets, reports it).

use crate::AdapterId;
use crate::memory::RawBlock;
use crate::state::State;
use crate::verifier::rules::*;
use core::ffi::c_void;
use core::ptr;
use ndis_types::config::*;
use ndis_types::*;

/// A registry value, by its REG_ type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegValue {
    /// REG_SZ.
    String(String),
    /// REG_DWORD.
    Dword(u32),
    /// REG_BINARY.
    Binary(Vec<u8>),
}

/// One `NdisWriteErrorLogEntry`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorLogEntry {
    pub code: NdisErrorCode,
    pub values: Vec<u32>,
}

/// A configuration handle NDIS gave out.
pub(crate) struct OpenConfiguration {
    /// The handle's value: the address of `token`, unique while it lives.
    token: RawBlock,
    adapter: AdapterId,
    /// What reads returned, freed at the close.
    returned: Vec<RawBlock>,
}

impl OpenConfiguration {
    fn handle(&self) -> usize {
        self.token.ptr as usize
    }
}

/// NDIS's side of the registry: the values new adapters get, and the open configurations.
#[derive(Default)]
pub(crate) struct Registry {
    pub(crate) for_new_adapters: Vec<(String, RegValue)>,
    open: Vec<OpenConfiguration>,
}

impl Registry {
    pub(crate) fn set(&mut self, keyword: &str, value: Option<RegValue>) {
        self.for_new_adapters.retain(|(k, _)| !k.eq_ignore_ascii_case(keyword));
        if let Some(value) = value {
            self.for_new_adapters.push((keyword.to_owned(), value));
        }
    }
}

/// A REG_SZ read as an integer, the way `RtlUnicodeStringToInteger` converts it in `base` (Doc
/// `nf-wdm-rtlunicodestringtointeger`; that NDIS converts with it is the model's reading): leading
/// white space skipped, an optional sign, then digits up to the first that is not one, the value
/// wrapping at 32 bits. No digits at all is 0; only an empty string fails.
fn string_to_integer(text: &str, base: u32) -> Option<u32> {
    let text = text.trim_start_matches(|c: char| c <= ' ');
    if text.is_empty() {
        return None;
    }
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let value = digits
        .chars()
        .map_while(|c| c.to_digit(base))
        .fold(0u32, |value, digit| value.wrapping_mul(base).wrapping_add(digit));
    Some(if negative { value.wrapping_neg() } else { value })
}

/// The value of `keyword` (registry names are case-insensitive).
fn lookup<'a>(values: &'a [(String, RegValue)], keyword: &str) -> Option<&'a RegValue> {
    values.iter().find(|(k, _)| k.eq_ignore_ascii_case(keyword)).map(|(_, v)| v)
}

/// A REG_SZ as `NdisReadNetworkAddress` takes it: twelve hex digits, one octet per pair, the pairs
/// optionally separated by hyphens (Doc "Keywords That Can Be Edited": XX-XX-XX-XX-XX-XX).
fn parse_network_address(text: &str) -> Option<[u8; 6]> {
    let text: String = text.trim().chars().filter(|&c| c != '-').collect();
    if text.len() != 12 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut mac = [0u8; 6];
    for (i, octet) in mac.iter_mut().enumerate() {
        *octet = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(mac)
}

impl State {
    /// The open configuration behind `handle`, or a violation.
    fn configuration(&mut self, api: &'static str, handle: NdisHandle) -> Option<usize> {
        let found = self.ndis.registry.open.iter().position(|c| c.handle() == handle.0 as usize);
        if found.is_none() {
            self.violate(
                NDIS_HANDLE_VALID,
                format!("{api}: {handle:?} is not an open configuration handle (never opened, or closed)"),
            );
        }
        found
    }

    pub(crate) fn ndis_open_configuration_ex(
        &mut self,
        object: *const NdisConfigurationObject,
        out: *mut NdisHandle,
    ) -> NdisStatus {
        let api = "NdisOpenConfigurationEx";
        self.check_irql(api, PASSIVE_LEVEL);
        if object.is_null() || out.is_null() {
            self.violate(NDIS_HANDLE_VALID, format!("{api}: a NULL ConfigObject or ConfigurationHandle"));
            return NDIS_STATUS_FAILURE;
        }
        // SAFETY: the driver's structure, borrowed for the call.
        let object = unsafe { object.read() };
        let header = object.Header;
        if header.Type != NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT
            || header.Revision != NDIS_CONFIGURATION_OBJECT_REVISION_1
            || header.Size < NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1
        {
            self.violate(
                NDIS_HANDLE_VALID,
                format!("{api}: ConfigObject header {header:?} is not NDIS_CONFIGURATION_OBJECT revision 1"),
            );
            return NDIS_STATUS_INVALID_PARAMETER;
        }
        let Some(a) = self.adapter_handle(api, object.NdisHandle) else { return NDIS_STATUS_FAILURE };
        // It allocates (the handle and NDIS's copy of the key): it may fail for resources.
        if self.fallible(api) {
            return NDIS_STATUS_RESOURCES;
        }
        let token = RawBlock::new(16, 16, 0);
        let handle = token.ptr as usize;
        self.ndis.registry.open.push(OpenConfiguration { token, adapter: a, returned: Vec::new() });
        // SAFETY: the driver's out-pointer, checked non-NULL.
        unsafe { out.write(NdisHandle(handle as *mut c_void)) };
        NDIS_STATUS_SUCCESS
    }

    /// The keyword a driver passed, as a string.
    fn keyword(&mut self, api: &'static str, keyword: *const UnicodeString) -> Option<String> {
        if keyword.is_null() {
            self.violate(NDIS_HANDLE_VALID, format!("{api}: a NULL Keyword"));
            return None;
        }
        // SAFETY: the driver's NDIS_STRING, borrowed for the call.
        let name = unsafe { keyword.read() };
        if name.Buffer.is_null() || name.Length % 2 != 0 || name.Length > name.MaximumLength {
            self.violate(
                NDIS_HANDLE_VALID,
                format!("{api}: Keyword {name:?} is not a counted UTF-16 string (Length in bytes, even, <= MaximumLength)"),
            );
            return None;
        }
        // SAFETY: `Length` bytes of UTF-16 at `Buffer`, the driver's, borrowed for the call.
        let units = unsafe { std::slice::from_raw_parts(name.Buffer, usize::from(name.Length / 2)) };
        Some(String::from_utf16_lossy(units))
    }

    pub(crate) fn ndis_read_configuration(
        &mut self,
        status_out: *mut NdisStatus,
        parameter_out: *mut *mut NdisConfigurationParameter,
        handle: NdisHandle,
        keyword: *const UnicodeString,
        parameter_type: NdisParameterType,
    ) {
        let api = "NdisReadConfiguration";
        self.check_irql(api, PASSIVE_LEVEL);
        let mut status = NDIS_STATUS_FAILURE;
        let mut parameter: *mut NdisConfigurationParameter = ptr::null_mut();
        if let (Some(c), Some(name)) = (self.configuration(api, handle), self.keyword(api, keyword)) {
            let a = self.ndis.registry.open[c].adapter;
            let value = lookup(&self.adapter(a).registry, &name).cloned();
            let mut returned = Vec::new();
            let data = match (parameter_type, value) {
                (NDIS_PARAMETER_INTEGER, Some(RegValue::Dword(v)))
                | (NDIS_PARAMETER_HEX_INTEGER, Some(RegValue::Dword(v))) => {
                    Some(NdisConfigurationParameterData { IntegerData: v })
                }
                // NDIS converts the REG_SZ an INF writes: decimal for Integer, hex for HexInteger.
                (NDIS_PARAMETER_INTEGER, Some(RegValue::String(s))) => {
                    string_to_integer(&s, 10).map(|v| NdisConfigurationParameterData { IntegerData: v })
                }
                (NDIS_PARAMETER_HEX_INTEGER, Some(RegValue::String(s))) => {
                    string_to_integer(&s, 16).map(|v| NdisConfigurationParameterData { IntegerData: v })
                }
                (NDIS_PARAMETER_STRING, Some(RegValue::String(s))) => {
                    let units: Vec<u16> = s.encode_utf16().collect();
                    let bytes = u16::try_from(units.len() * 2).expect("kernel-sim: test value too long");
                    let block = RawBlock::new(usize::from(bytes) + 2, 16, 0);
                    // SAFETY: the block holds `bytes` + 2 bytes.
                    unsafe { ptr::copy_nonoverlapping(units.as_ptr(), block.ptr.cast::<u16>(), units.len()) };
                    let string =
                        UnicodeString { Length: bytes, MaximumLength: bytes + 2, Buffer: block.ptr.cast() };
                    returned.push(block);
                    Some(NdisConfigurationParameterData { StringData: string })
                }
                (NDIS_PARAMETER_BINARY, Some(RegValue::Binary(b))) => {
                    let length = u16::try_from(b.len()).expect("kernel-sim: test value too long");
                    let block = RawBlock::new(b.len(), 16, 0);
                    // SAFETY: the block holds `b.len()` bytes.
                    unsafe { ptr::copy_nonoverlapping(b.as_ptr(), block.ptr, b.len()) };
                    let binary = BinaryData { Length: length, Buffer: block.ptr.cast() };
                    returned.push(block);
                    Some(NdisConfigurationParameterData { BinaryData: binary })
                }
                // Missing, or stored as another type than asked (the model converts nothing else).
                _ => None,
            };
            if let Some(data) = data {
                // A HexInteger read comes back as Integer (Doc ns-ndis-_ndis_configuration_parameter).
                let returned_type = if parameter_type == NDIS_PARAMETER_HEX_INTEGER {
                    NDIS_PARAMETER_INTEGER
                } else {
                    parameter_type
                };
                let block = RawBlock::with_value(NdisConfigurationParameter {
                    ParameterType: returned_type,
                    ParameterData: data,
                });
                parameter = block.ptr.cast();
                returned.push(block);
                status = NDIS_STATUS_SUCCESS;
            }
            self.ndis.registry.open[c].returned.extend(returned);
        }
        // SAFETY: the driver's out-pointers for the call.
        unsafe {
            if !status_out.is_null() {
                status_out.write(status);
            }
            if !parameter_out.is_null() {
                parameter_out.write(parameter);
            }
        }
    }

    pub(crate) fn ndis_read_network_address(
        &mut self,
        status_out: *mut NdisStatus,
        address_out: *mut *mut c_void,
        length_out: *mut u32,
        handle: NdisHandle,
    ) {
        let api = "NdisReadNetworkAddress";
        self.check_irql(api, PASSIVE_LEVEL);
        let mut result: Option<(*mut c_void, u32)> = None;
        if let Some(c) = self.configuration(api, handle) {
            let a = self.ndis.registry.open[c].adapter;
            if let Some(RegValue::String(text)) = lookup(&self.adapter(a).registry, "NetworkAddress")
                && let Some(mac) = parse_network_address(text)
            {
                let block = RawBlock::new(mac.len(), 16, 0);
                // SAFETY: the block holds 6 bytes.
                unsafe { ptr::copy_nonoverlapping(mac.as_ptr(), block.ptr, mac.len()) };
                result = Some((block.ptr.cast(), 6));
                self.ndis.registry.open[c].returned.push(block);
            }
        }
        let (status, (address, length)) = match result {
            Some(found) => (NDIS_STATUS_SUCCESS, found),
            None => (NDIS_STATUS_FAILURE, (ptr::null_mut(), 0)),
        };
        // SAFETY: the driver's out-pointers for the call.
        unsafe {
            if !status_out.is_null() {
                status_out.write(status);
            }
            if !address_out.is_null() {
                address_out.write(address);
            }
            if !length_out.is_null() {
                length_out.write(length);
            }
        }
    }

    pub(crate) fn ndis_close_configuration(&mut self, handle: NdisHandle) {
        let api = "NdisCloseConfiguration";
        self.check_irql(api, PASSIVE_LEVEL);
        if let Some(c) = self.configuration(api, handle) {
            let closed = self.ndis.registry.open.remove(c);
            for block in &closed.returned {
                block.poison();
            }
        }
    }

    pub(crate) fn ndis_write_error_log_entry(
        &mut self,
        handle: NdisHandle,
        code: NdisErrorCode,
        values: &[u32],
    ) {
        let api = "NdisWriteErrorLogEntry";
        self.check_irql(api, DISPATCH_LEVEL);
        if let Some(a) = self.adapter_handle(api, handle) {
            self.log(format!("event log: adapter {}: {code:#010x} {values:x?}", a.0));
            self.adapter_mut(a).error_log.push(ErrorLogEntry { code, values: values.to_vec() });
        }
    }

    /// Configurations of `a` still open (`Ndis.ConfigurationClosed`), closed by the model after.
    pub(crate) fn check_configurations_closed(&mut self, a: AdapterId, when: &str) {
        let open = self.ndis.registry.open.iter().filter(|c| c.adapter == a).count();
        if open > 0 {
            self.violate(
                NDIS_CONFIGURATION_CLOSED,
                format!(
                    "{when} (adapter {}) with {open} configuration handle(s) open: NdisCloseConfiguration",
                    a.0
                ),
            );
            self.ndis.registry.open.retain(|c| c.adapter != a);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_network_address, string_to_integer};

    #[test]
    fn a_network_address_is_twelve_hex_digits_hyphens_optional() {
        let mac = Some([0x02, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE]);
        assert_eq!(parse_network_address("02AABBCCDDEE"), mac);
        assert_eq!(parse_network_address("02aabbccddee"), mac);
        assert_eq!(parse_network_address("02-AA-BB-CC-DD-EE"), mac);
        assert_eq!(parse_network_address("02AABBCCDD"), None);
        assert_eq!(parse_network_address("02AABBCCDDEG"), None);
        assert_eq!(parse_network_address(""), None);
    }

    #[test]
    fn strings_convert_to_integers_as_rtl_unicode_string_to_integer_does() {
        assert_eq!(string_to_integer("64", 10), Some(64));
        assert_eq!(string_to_integer("  +678abc", 10), Some(678));
        assert_eq!(string_to_integer("xyz", 10), Some(0));
        assert_eq!(string_to_integer("-1", 10), Some(u32::MAX));
        assert_eq!(string_to_integer("4294967296", 10), Some(0), "wraps at 32 bits");
        assert_eq!(string_to_integer("1F", 10), Some(1));
        assert_eq!(string_to_integer("1F", 16), Some(0x1F));
        assert_eq!(string_to_integer("", 10), None);
        assert_eq!(string_to_integer("   ", 10), None);
    }
}
