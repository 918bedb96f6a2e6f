//! The adapter's settings from its registry keywords (the INF's `Ndi\params`), read once in
//! `MiniportInitializeEx`. A value that is malformed or out of range is not used: the adapter keeps
//! the INF default, counts it (`OID_VWIRE_DRIVER_COUNTERS`, `config_rejected`) and writes it to the
//! system event log (`NdisWriteErrorLogEntry`), as `nc-ndis-miniport_initialize` asks of a driver
//! that cannot use its configuration.

use super::vlan::{MAX_VLAN_ID, Tagging};
use super::{Counters, bump};
use crate::configuration::{Configuration, Keyword, Reading, keyword};
use crate::nbl::receive::RECEIVE_NBLS;
use crate::sys;
use bytemuck::Zeroable;
use ndis_types::config::{NDIS_ERROR_CODE_NETWORK_ADDRESS, NDIS_ERROR_CODE_UNSUPPORTED_CONFIGURATION};
use ndis_types::handles::NdisHandle;
use ndis_types::status::NdisStatus;

/// The error log's one value: which keyword was refused.
pub const LOG_NETWORK_ADDRESS: u32 = 2;
pub const LOG_RECEIVE_BUFFERS: u32 = 3;
pub const LOG_TRANSMIT_BUFFERS: u32 = 4;
pub const LOG_SPEED_DUPLEX: u32 = 5;
pub const LOG_JUMBO_PACKET: u32 = 6;
pub const LOG_PRIORITY_VLAN_TAG: u32 = 7;
pub const LOG_VLAN_ID: u32 = 8;

/// `*ReceiveBuffers`: receive NBLs, each indicated up over a frame in a read buffer and returned. At least
/// twice the low-resources threshold, so that indications do not always carry
/// `NDIS_RECEIVE_FLAGS_RESOURCES`; at most what the adapter's pools hold (`RECEIVE_NBLS`).
pub const RECEIVE_BUFFERS: IntegerKeyword = IntegerKeyword {
    keyword: keyword!("*ReceiveBuffers"),
    min: 16,
    max: RECEIVE_NBLS as u32,
    default: 64,
    log: LOG_RECEIVE_BUFFERS,
};

/// `*TransmitBuffers`: send NBLs the adapter queues waiting for a write request to the device;
/// beyond it a send is refused with `NDIS_STATUS_RESOURCES`. The queue links NBLs through their
/// own fields, so the count costs no memory.
pub const TRANSMIT_BUFFERS: IntegerKeyword = IntegerKeyword {
    keyword: keyword!("*TransmitBuffers"),
    min: 64,
    max: 4096,
    default: 1024,
    log: LOG_TRANSMIT_BUFFERS,
};

/// `*JumboPacket`: the largest frame the adapter sends and receives, Ethernet header included and
/// FCS and 802.1Q tag excluded (Doc "Keywords That Can Be Edited": int, default and minimum 1514,
/// the maximum the device's). 9014 is the 9000-byte MTU the vwire hub carries. The MTU is this
/// less the 14-byte header.
pub const JUMBO_PACKET: IntegerKeyword = IntegerKeyword {
    keyword: keyword!("*JumboPacket"),
    min: 1514,
    max: 9014,
    default: 1514,
    log: LOG_JUMBO_PACKET,
};

/// `*PriorityVLANTag`, an enum: 0 neither, 1 packet priority, 2 VLAN, 3 both (Doc "Enumeration
/// Keywords"); the default enables both, as Windows' inbox Ethernet drivers do.
pub const PRIORITY_VLAN_TAG: EnumKeyword = EnumKeyword {
    keyword: keyword!("*PriorityVLANTag"),
    values: &[0, 1, 2, 3],
    default: 3,
    log: LOG_PRIORITY_VLAN_TAG,
};

/// `VlanID`: the adapter's VLAN, 0 for none (Doc `oid-gen-vlan-id`: "VlanId, REG_DWORD", read in
/// `MiniportInitializeEx`; 4095 is reserved by IEEE 802.1Q).
pub const VLAN_ID: IntegerKeyword = IntegerKeyword {
    keyword: keyword!("VlanID"),
    min: 0,
    max: MAX_VLAN_ID as u32,
    default: 0,
    log: LOG_VLAN_ID,
};

/// `*SpeedDuplex` (Doc "Enumeration Keywords", under "Standardized INF Keywords for Network
/// Devices"): 0 Auto Negotiation, 2 10 Mbps Full Duplex, 4 100 Mbps Full Duplex, 6 1.0 Gbps Full
/// Duplex, 7 10 Gbps Full Duplex. The page asks an INF to list only what the device supports:
/// not the half-duplex values (1, 3, 5), since the wire is switched full duplex and the adapter
/// has no CSMA/CD to honour them with, and nothing above the adapter's 10 Gb/s (8 20 Gbps, 9 40
/// Gbps, 10 100 Gbps, nor the page's direct values in Mbps).
pub const SPEED_DUPLEX: EnumKeyword = EnumKeyword {
    keyword: keyword!("*SpeedDuplex"),
    values: &[0, 2, 4, 6, 7],
    default: 0,
    log: LOG_SPEED_DUPLEX,
};

/// What `*SpeedDuplex` asks of the link (`link`: how it meets the port's speed). All-zero is Auto
/// Negotiation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Zeroable)]
pub struct SpeedDuplex {
    /// 0: Auto Negotiation; else the one speed the adapter links at, full duplex.
    forced_bps: u64,
}

impl SpeedDuplex {
    /// The setting a value of [`SPEED_DUPLEX`] stands for; Auto for any other.
    pub fn from_keyword(value: u32) -> Self {
        let forced_bps = match value {
            2 => 10_000_000,
            4 => 100_000_000,
            6 => 1_000_000_000,
            7 => 10_000_000_000,
            _ => 0,
        };
        Self { forced_bps }
    }

    /// The speed it forces, or None for Auto Negotiation.
    pub fn forced_bps(self) -> Option<u64> {
        (self.forced_bps != 0).then_some(self.forced_bps)
    }
}

/// An enumeration keyword: the values the INX lists under `Ndi\params\<keyword>\enum`, which
/// are exactly those the driver honours, and its default.
#[derive(Clone, Copy, Debug)]
pub struct EnumKeyword {
    pub keyword: Keyword,
    pub values: &'static [u32],
    pub default: u32,
    /// The error log value that names it.
    pub log: u32,
}

/// An integer keyword with the range and default the INX declares for it.
#[derive(Clone, Copy, Debug)]
pub struct IntegerKeyword {
    pub keyword: Keyword,
    pub min: u32,
    pub max: u32,
    pub default: u32,
    /// The error log value that names it.
    pub log: u32,
}

/// What the keywords set; each `None` or default is the INF default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// `NetworkAddress`: the current address instead of the permanent one.
    pub network_address: Option<[u8; 6]>,
    /// `*ReceiveBuffers`.
    pub receive_buffers: u32,
    /// `*TransmitBuffers`.
    pub transmit_buffers: u32,
    /// `*JumboPacket`.
    pub jumbo_packet: u32,
    /// `*PriorityVLANTag`.
    pub tagging: Tagging,
    /// `VlanID`.
    pub vlan_id: u16,
    /// `*SpeedDuplex`.
    pub speed_duplex: SpeedDuplex,
}

impl Settings {
    /// The keywords' values; Err only if the configuration cannot be opened at all (NDIS is out
    /// of resources), which fails `MiniportInitializeEx` with that status.
    pub fn read(miniport: NdisHandle, counters: &Counters) -> Result<Self, NdisStatus> {
        let configuration = Configuration::open(miniport)?;
        let network_address = match configuration.read_network_address() {
            Reading::Value(mac) if is_locally_administered_unicast(mac) => Some(mac),
            Reading::Value(_) | Reading::Malformed => {
                reject(miniport, counters, NDIS_ERROR_CODE_NETWORK_ADDRESS, LOG_NETWORK_ADDRESS);
                None
            }
            Reading::Missing => None,
        };
        let receive_buffers = read_in_range(&configuration, &RECEIVE_BUFFERS, miniport, counters);
        let transmit_buffers = read_in_range(&configuration, &TRANSMIT_BUFFERS, miniport, counters);
        let jumbo_packet = read_in_range(&configuration, &JUMBO_PACKET, miniport, counters);
        let tagging =
            Tagging::from_keyword(read_listed(&configuration, &PRIORITY_VLAN_TAG, miniport, counters));
        let vlan_id = u16::try_from(read_in_range(&configuration, &VLAN_ID, miniport, counters)).unwrap_or(0);
        let speed_duplex =
            SpeedDuplex::from_keyword(read_listed(&configuration, &SPEED_DUPLEX, miniport, counters));
        Ok(Self {
            network_address,
            receive_buffers,
            transmit_buffers,
            jumbo_packet,
            tagging,
            vlan_id,
            speed_duplex,
        })
    }
}

/// The keyword's value if it is one of those listed; else its default, and a missing one silently,
/// a malformed (not a number) or unlisted one counted and logged.
fn read_listed(
    configuration: &Configuration,
    keyword: &EnumKeyword,
    miniport: NdisHandle,
    counters: &Counters,
) -> u32 {
    match configuration.read_enum(keyword.keyword) {
        Reading::Value(value) if keyword.values.contains(&value) => value,
        Reading::Missing => keyword.default,
        Reading::Value(_) | Reading::Malformed => {
            reject(miniport, counters, NDIS_ERROR_CODE_UNSUPPORTED_CONFIGURATION, keyword.log);
            keyword.default
        }
    }
}

/// The keyword's value if it is an integer within its range; else its default, and a missing one
/// silently (the INX default), a malformed or out-of-range one counted and logged.
fn read_in_range(
    configuration: &Configuration,
    keyword: &IntegerKeyword,
    miniport: NdisHandle,
    counters: &Counters,
) -> u32 {
    match configuration.read_integer(keyword.keyword) {
        Reading::Value(value) if (keyword.min..=keyword.max).contains(&value) => value,
        Reading::Missing => keyword.default,
        Reading::Value(_) | Reading::Malformed => {
            reject(miniport, counters, NDIS_ERROR_CODE_UNSUPPORTED_CONFIGURATION, keyword.log);
            keyword.default
        }
    }
}

/// What `NetworkAddress` may be: a unicast address with the locally administered bit set (IEEE
/// 802: the I/G bit of the first octet clear, the U/L bit set), so that an administrator's address
/// can never be a group address nor collide with a vendor-assigned one.
pub fn is_locally_administered_unicast(mac: [u8; 6]) -> bool {
    let [first, ..] = mac;
    first & 0x01 == 0 && first & 0x02 != 0
}

/// Refuse a value that passed its range but not the device: counted and logged like a bad one.
pub fn reject_unsupported(miniport: NdisHandle, counters: &Counters, keyword: &IntegerKeyword) {
    reject(miniport, counters, NDIS_ERROR_CODE_UNSUPPORTED_CONFIGURATION, keyword.log);
}

fn reject(miniport: NdisHandle, counters: &Counters, code: u32, which: u32) {
    bump(&counters.config_rejected, 1);
    sys::ndis_write_error_log_entry(miniport, code, which);
}

#[cfg(test)]
mod tests {
    use super::{
        EnumKeyword, IntegerKeyword, JUMBO_PACKET, PRIORITY_VLAN_TAG, RECEIVE_BUFFERS, SPEED_DUPLEX,
        SpeedDuplex, TRANSMIT_BUFFERS, VLAN_ID, is_locally_administered_unicast,
    };
    use std::string::String;
    use std::vec::Vec;

    /// `HKR, <path>, <name>, 0, "<value>"` of the INX: each (name, value) under one key.
    fn inx_values(path: &str) -> Vec<(String, String)> {
        let inx = include_str!("../../inx/kmdf_miniport.inx");
        inx.lines()
            .filter_map(|line| {
                let fields: Vec<&str> = line.split(';').next()?.split(',').map(str::trim).collect();
                (fields.first() == Some(&"HKR") && fields.get(1) == Some(&path)).then(|| {
                    let unquoted =
                        |i: usize| String::from(fields.get(i).copied().unwrap_or("").trim_matches('"'));
                    (unquoted(2), unquoted(4))
                })
            })
            .collect()
    }

    fn params_path(keyword: super::Keyword) -> String {
        std::format!("Ndi\\params\\{}", String::from_utf16_lossy(keyword.0))
    }

    /// `HKR, Ndi\params\<keyword>, <name>, 0, "<value>"` of the INX, for one keyword.
    fn inx_param(keyword: &IntegerKeyword, name: &str) -> Option<String> {
        inx_values(&params_path(keyword.keyword)).into_iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    #[test]
    fn the_inx_declares_each_integer_keyword_with_the_range_and_default_the_driver_enforces() {
        for keyword in [RECEIVE_BUFFERS, TRANSMIT_BUFFERS, JUMBO_PACKET, VLAN_ID] {
            let declared = |name: &str| inx_param(&keyword, name).and_then(|v| v.parse::<u32>().ok());
            assert_eq!(inx_param(&keyword, "type").as_deref(), Some("int"), "{keyword:?}");
            assert_eq!(declared("min"), Some(keyword.min), "{keyword:?}");
            assert_eq!(declared("max"), Some(keyword.max), "{keyword:?}");
            assert_eq!(declared("default"), Some(keyword.default), "{keyword:?}");
            assert!((keyword.min..=keyword.max).contains(&keyword.default));
        }
    }

    #[test]
    fn the_inx_declares_each_enum_keyword_with_exactly_the_values_the_driver_honours() {
        for keyword in [SPEED_DUPLEX, PRIORITY_VLAN_TAG] {
            check_enum_keyword(keyword);
        }
    }

    fn check_enum_keyword(keyword: EnumKeyword) {
        let params = inx_values(&params_path(keyword.keyword));
        let param = |name: &str| params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        assert_eq!(param("type"), Some("enum"), "{keyword:?}");
        assert_eq!(param("default"), Some(std::format!("{}", keyword.default).as_str()), "{keyword:?}");
        let mut listed: Vec<u32> = inx_values(&std::format!("{}\\enum", params_path(keyword.keyword)))
            .iter()
            .map(|(value, description)| {
                assert!(description.starts_with('%') && description.ends_with('%'), "{value}: {description}");
                value.parse::<u32>().unwrap()
            })
            .collect();
        listed.sort_unstable();
        assert_eq!(listed, keyword.values, "{keyword:?}");
        assert!(keyword.values.contains(&keyword.default));
    }

    #[test]
    fn speed_duplex_values_force_their_documented_speed_and_zero_negotiates() {
        let auto = SpeedDuplex::from_keyword(0);
        assert_eq!(auto.forced_bps(), None);
        assert_eq!(auto, bytemuck::Zeroable::zeroed(), "a zeroed adapter negotiates");
        let forced: Vec<Option<u64>> =
            SPEED_DUPLEX.values.iter().map(|&value| SpeedDuplex::from_keyword(value).forced_bps()).collect();
        assert_eq!(
            forced,
            [None, Some(10_000_000), Some(100_000_000), Some(1_000_000_000), Some(10_000_000_000)]
        );
        // The half-duplex values and those above 10 Gb/s are not the driver's (read_listed refuses
        // them before they get here).
        for value in [1, 3, 5, 8, 9, 10, 1000, u32::MAX] {
            assert!(!SPEED_DUPLEX.values.contains(&value), "{value}");
            assert_eq!(SpeedDuplex::from_keyword(value), auto);
        }
    }

    #[test]
    fn only_locally_administered_unicast_addresses_may_override() {
        assert!(is_locally_administered_unicast([0x02, 0, 0, 0, 0, 1]));
        assert!(is_locally_administered_unicast([0xFE, 1, 2, 3, 4, 5]));
        assert!(!is_locally_administered_unicast([0x00, 0x15, 0x5D, 0, 0, 1]), "universally administered");
        assert!(!is_locally_administered_unicast([0x03, 0, 0, 0, 0, 1]), "multicast");
        assert!(!is_locally_administered_unicast([0xFF; 6]), "broadcast");
    }
}
