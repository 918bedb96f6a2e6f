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
use ndis_types::config::{NDIS_ERROR_CODE_NETWORK_ADDRESS, NDIS_ERROR_CODE_UNSUPPORTED_CONFIGURATION};
use ndis_types::handles::NdisHandle;
use ndis_types::status::NdisStatus;

/// The error log's one value: which keyword was refused.
pub const LOG_NETWORK_ADDRESS: u32 = 2;
pub const LOG_RECEIVE_BUFFERS: u32 = 3;
pub const LOG_TRANSMIT_BUFFERS: u32 = 4;
pub const LOG_JUMBO_PACKET: u32 = 6;
pub const LOG_PRIORITY_VLAN_TAG: u32 = 7;
pub const LOG_VLAN_ID: u32 = 8;

/// `*ReceiveBuffers`: receive NBLs and frame slots, each indicated up and returned. At least
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
pub const PRIORITY_VLAN_TAG: IntegerKeyword = IntegerKeyword {
    keyword: keyword!("*PriorityVLANTag"),
    min: 0,
    max: 3,
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
            Tagging::from_keyword(read_in_range(&configuration, &PRIORITY_VLAN_TAG, miniport, counters));
        let vlan_id = u16::try_from(read_in_range(&configuration, &VLAN_ID, miniport, counters)).unwrap_or(0);
        Ok(Self { network_address, receive_buffers, transmit_buffers, jumbo_packet, tagging, vlan_id })
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
        IntegerKeyword, JUMBO_PACKET, RECEIVE_BUFFERS, TRANSMIT_BUFFERS, VLAN_ID,
        is_locally_administered_unicast,
    };
    use std::string::String;
    use std::vec::Vec;

    /// `HKR, Ndi\params\<keyword>, <name>, 0, "<value>"` of the INX, for one keyword.
    fn inx_param(keyword: &IntegerKeyword, name: &str) -> Option<String> {
        let inx = include_str!("../../inx/kmdf_miniport.inx");
        let keyword = String::from_utf16_lossy(keyword.keyword.0);
        inx.lines().find_map(|line| {
            let fields: Vec<&str> = line.split(';').next()?.split(',').map(str::trim).collect();
            let path = std::format!("Ndi\\params\\{keyword}");
            (fields.first() == Some(&"HKR")
                && fields.get(1) == Some(&path.as_str())
                && fields.get(2) == Some(&name))
            .then(|| fields.get(4).map(|v| String::from(v.trim_matches('"'))))
            .flatten()
        })
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
    fn only_locally_administered_unicast_addresses_may_override() {
        assert!(is_locally_administered_unicast([0x02, 0, 0, 0, 0, 1]));
        assert!(is_locally_administered_unicast([0xFE, 1, 2, 3, 4, 5]));
        assert!(!is_locally_administered_unicast([0x00, 0x15, 0x5D, 0, 0, 1]), "universally administered");
        assert!(!is_locally_administered_unicast([0x03, 0, 0, 0, 0, 1]), "multicast");
        assert!(!is_locally_administered_unicast([0xFF; 6]), "broadcast");
    }
}
