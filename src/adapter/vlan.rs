//! IEEE 802.1Q priority and VLAN tagging, as `*PriorityVLANTag` and `VlanID` enable it.
//!
//! On send the adapter inserts the tag an NBL's `Ieee8021QNetBufferListInfo` asks for; on receive it
//! strips a tag into that info and drops frames of other VLANs (Doc `oid-gen-mac-options`:
//! `NDIS_MAC_OPTION_8021P_PRIORITY`, `NDIS_MAC_OPTION_8021Q_VLAN`; Doc `oid-gen-vlan-id`). The
//! info is `NDIS_NET_BUFFER_LIST_8021Q_INFO` (km/ndis/nbl8021q.h): `UserPriority` bits 0-2,
//! `CanonicalFormatId` bit 3, `VlanId` bits 4-15. A tag on the wire is the TPID 0x8100 and the TCI:
//! PCP bits 13-15, DEI bit 12, VID bits 0-11 (IEEE 802.1Q-2018 9.6).
//!
//! What is done, by `*PriorityVLANTag`:
//! - priority enabled: a send's `UserPriority` goes into a tag's PCP; a received tag's PCP into
//!   `UserPriority`;
//! - VLAN enabled: a send is tagged with the adapter's VLAN ID (`VlanID`, `OID_GEN_VLAN_ID`), or
//!   with the NBL's `VlanId` if the adapter has none; a send naming another VLAN than the adapter's
//!   is refused. A received tag's VID goes into `VlanId`, and with a VLAN ID set only frames tagged
//!   with it are indicated;
//! - every received tag is stripped, whatever the setting: "The miniport driver should remove the
//!   802.1Q header from all receive packets regardless of the *PriorityVLANTag setting", for other
//!   drivers may not parse a tagged frame (Doc "Enumeration Keywords", `*PriorityVLANTag`); what is
//!   not enabled is left out of the info;
//! - neither enabled: no tag is inserted and the send's info is not read.

use ndis_types::oid::{NDIS_MAC_OPTION_8021P_PRIORITY, NDIS_MAC_OPTION_8021Q_VLAN};

/// The 802.1Q TPID.
pub const TPID_8021Q: u16 = 0x8100;
/// Bytes of a tag.
pub const TAG_LEN: usize = 4;
/// Where the tag sits: after the destination and source addresses.
const TAG_OFFSET: usize = 12;
/// The addresses and a tag: what must be read of a frame to know whether it carries one.
pub const TAGGED_HEADER_LEN: usize = TAG_OFFSET + TAG_LEN;
/// The shortest tagged frame: addresses, tag and the EtherType it encloses.
const MIN_TAGGED_FRAME: usize = TAGGED_HEADER_LEN + 2;
/// The largest VLAN ID (4095 is reserved, IEEE 802.1Q-2018 Table 9-2).
pub const MAX_VLAN_ID: u16 = 4094;

/// What `*PriorityVLANTag` enables.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, bytemuck::Zeroable)]
pub struct Tagging {
    pub priority: bool,
    pub vlan: bool,
}

impl Tagging {
    /// From the keyword's value: 0 neither, 1 priority, 2 VLAN, 3 both.
    pub fn from_keyword(value: u32) -> Self {
        Self { priority: value & 1 != 0, vlan: value & 2 != 0 }
    }

    /// The MAC options that say so: only what is enabled, and 802.1p with 802.1Q ("A miniport
    /// driver that sets the NDIS_MAC_OPTION_8021Q_VLAN flag must also set the
    /// NDIS_MAC_OPTION_8021P_PRIORITY flag", Doc `oid-gen-mac-options`). The same page asks every
    /// NDIS 6 miniport to set 8021P, which `*PriorityVLANTag` 0 contradicts ("should not advertise
    /// appropriate MacOptions", Doc "Enumeration Keywords"): the keyword's page is the specific one.
    pub fn mac_options(self) -> u32 {
        let mut options = 0;
        if self.priority || self.vlan {
            options |= NDIS_MAC_OPTION_8021P_PRIORITY;
        }
        if self.vlan {
            options |= NDIS_MAC_OPTION_8021Q_VLAN;
        }
        options
    }

    fn enabled(self) -> bool {
        self.priority || self.vlan
    }
}

/// `NDIS_NET_BUFFER_LIST_8021Q_INFO`'s tag header, from the low 32 bits of the info slot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TagInfo {
    pub user_priority: u8,
    pub vlan_id: u16,
}

impl TagInfo {
    pub fn from_info(info: usize) -> Self {
        let low = info & 0xFFFF;
        Self {
            user_priority: u8::try_from(low & 0x7).unwrap_or(0),
            vlan_id: u16::try_from((low >> 4) & 0xFFF).unwrap_or(0),
        }
    }

    pub fn to_info(self) -> usize {
        usize::from(self.user_priority & 0x7) | (usize::from(self.vlan_id & 0xFFF) << 4)
    }

    fn to_tci(self) -> u16 {
        (u16::from(self.user_priority & 0x7) << 13) | (self.vlan_id & 0xFFF)
    }

    pub fn from_tci(tci: u16) -> Self {
        Self { user_priority: u8::try_from(tci >> 13).unwrap_or(0), vlan_id: tci & 0xFFF }
    }
}

/// Why a send cannot be tagged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct OtherVlan;

/// What becomes of one frame a protocol sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendFrame {
    /// On the wire as it is (untagged, or tagged by the protocol itself).
    AsIs,
    /// With this tag inserted after its addresses.
    Tag([u8; TAG_LEN]),
    /// Not sent: its VLAN is not the adapter's, or it names one twice.
    Refuse,
}

/// The tag a frame of `length` bytes starting with `head` carries in-band, if any.
pub fn tag_in(head: &[u8; TAGGED_HEADER_LEN], length: usize) -> Option<TagInfo> {
    let [.., t0, t1, c0, c1] = *head;
    (length >= MIN_TAGGED_FRAME && u16::from_be_bytes([t0, t1]) == TPID_8021Q)
        .then(|| TagInfo::from_tci(u16::from_be_bytes([c0, c1])))
}

/// One send frame, from the NBL's info and the tag the frame may carry in-band; `vlan_id` is
/// the adapter's (0: none). A frame the protocol tagged itself gets no second tag; it is refused
/// if the NBL names a VLAN too, or if its VLAN is not the adapter's (the NDIS 802.1Q send rules,
/// Doc "Sending 802.1Q-Marked Packets" of NDIS 5.1, the only page with the table).
pub fn send_frame(tagging: Tagging, vlan_id: u16, info: usize, in_band: Option<TagInfo>) -> SendFrame {
    match in_band {
        Some(_) if !tagging.enabled() => SendFrame::AsIs,
        Some(tag) => {
            let named_too = tagging.vlan && TagInfo::from_info(info).vlan_id != 0;
            let other = tagging.vlan && vlan_id != 0 && tag.vlan_id != vlan_id;
            if named_too || other { SendFrame::Refuse } else { SendFrame::AsIs }
        }
        None => match send_tag(tagging, vlan_id, info) {
            Ok(Some(tag)) => SendFrame::Tag(tag),
            Ok(None) => SendFrame::AsIs,
            Err(OtherVlan) => SendFrame::Refuse,
        },
    }
}

/// The tag to insert in front of an untagged frame, if any; `vlan_id` is the adapter's (0: none).
fn send_tag(tagging: Tagging, vlan_id: u16, info: usize) -> Result<Option<[u8; TAG_LEN]>, OtherVlan> {
    if !tagging.enabled() {
        return Ok(None);
    }
    let asked = TagInfo::from_info(info);
    let priority = if tagging.priority { asked.user_priority } else { 0 };
    let vid = if !tagging.vlan {
        0
    } else if vlan_id == 0 {
        asked.vlan_id
    } else if asked.vlan_id == 0 || asked.vlan_id == vlan_id {
        vlan_id
    } else {
        return Err(OtherVlan);
    };
    if priority == 0 && vid == 0 {
        return Ok(None);
    }
    let [tpid_high, tpid_low] = TPID_8021Q.to_be_bytes();
    let [tci_high, tci_low] = TagInfo { user_priority: priority, vlan_id: vid }.to_tci().to_be_bytes();
    Ok(Some([tpid_high, tpid_low, tci_high, tci_low]))
}

/// Insert `tag` after the addresses of the frame that starts `TAG_LEN` bytes into `buffer` (where
/// the send path copied it): the addresses move to the front, the tag fills the gap. False if the
/// buffer is too short to hold the addresses and the tag.
pub fn insert_tag(buffer: &mut [u8], tag: [u8; TAG_LEN]) -> bool {
    let tag_end = TAG_OFFSET.saturating_add(TAG_LEN);
    if buffer.len() < tag_end {
        return false;
    }
    buffer.copy_within(TAG_LEN..tag_end, 0);
    match buffer.get_mut(TAG_OFFSET..tag_end) {
        Some(gap) => {
            gap.copy_from_slice(&tag);
            true
        }
        None => false,
    }
}

/// What becomes of a received frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Received {
    /// Untagged: indicate it as it is, with no `Ieee8021QNetBufferListInfo`.
    AsIs,
    /// Indicate it without its tag, which becomes this info.
    Stripped(usize),
    /// Not this adapter's VLAN.
    OtherVlan,
    /// An 802.1Q TPID with no room for the tag and the EtherType it encloses: a receive error.
    Malformed,
}

/// Classify a received frame; `vlan_id` is the adapter's (0: none).
pub fn receive(tagging: Tagging, vlan_id: u16, frame: &[u8]) -> Received {
    let tpid = frame.get(TAG_OFFSET..TAG_OFFSET.saturating_add(2));
    if tpid == Some(&TPID_8021Q.to_be_bytes()[..]) && frame.len() < MIN_TAGGED_FRAME {
        return Received::Malformed;
    }
    let tag = frame
        .get(TAG_OFFSET..TAG_OFFSET.saturating_add(TAG_LEN))
        .and_then(|bytes| <[u8; TAG_LEN]>::try_from(bytes).ok())
        .filter(|[high, low, _, _]| u16::from_be_bytes([*high, *low]) == TPID_8021Q)
        .map(|[_, _, high, low]| TagInfo::from_tci(u16::from_be_bytes([high, low])));
    let filtering = tagging.vlan && vlan_id != 0;
    let Some(tag) = tag else {
        // Untagged: the native VLAN, not the adapter's when it has one.
        return if filtering { Received::OtherVlan } else { Received::AsIs };
    };
    if filtering && tag.vlan_id != vlan_id {
        return Received::OtherVlan;
    }
    let info = TagInfo {
        user_priority: if tagging.priority { tag.user_priority } else { 0 },
        vlan_id: if tagging.vlan { tag.vlan_id } else { 0 },
    };
    Received::Stripped(info.to_info())
}

/// Strip the tag of a tagged `frame` where it lies: the addresses move over the tag, and the frame
/// without it is `frame[TAG_LEN..]`. False, and nothing moved, for a frame too short to be tagged.
pub fn strip_in_place(frame: &mut [u8]) -> bool {
    if frame.len() < TAGGED_HEADER_LEN {
        return false;
    }
    frame.copy_within(..TAG_OFFSET, TAG_LEN);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOTH: Tagging = Tagging { priority: true, vlan: true };
    const PRIORITY: Tagging = Tagging { priority: true, vlan: false };
    const VLAN: Tagging = Tagging { priority: false, vlan: true };
    const NEITHER: Tagging = Tagging { priority: false, vlan: false };

    fn info(priority: u8, vid: u16) -> usize {
        TagInfo { user_priority: priority, vlan_id: vid }.to_info()
    }

    fn tagged(tci: u16) -> std::vec::Vec<u8> {
        let mut frame = std::vec![0xAA; 12];
        frame.extend_from_slice(&TPID_8021Q.to_be_bytes());
        frame.extend_from_slice(&tci.to_be_bytes());
        frame.extend_from_slice(&[0x08, 0x00, 1, 2, 3]);
        frame
    }

    #[test]
    fn the_info_layout_is_the_headers() {
        // UserPriority bits 0-2, CanonicalFormatId bit 3, VlanId bits 4-15.
        assert_eq!(info(5, 0x123), 0x1235);
        assert_eq!(
            TagInfo::from_info(0x1235 | 0x8 | 0xFFFF_0000),
            TagInfo { user_priority: 5, vlan_id: 0x123 }
        );
    }

    #[test]
    fn a_send_is_tagged_with_what_is_enabled() {
        assert_eq!(send_tag(BOTH, 0, info(5, 10)), Ok(Some([0x81, 0x00, 0xA0, 0x0A])));
        assert_eq!(send_tag(PRIORITY, 0, info(5, 10)), Ok(Some([0x81, 0x00, 0xA0, 0x00])));
        assert_eq!(send_tag(VLAN, 0, info(5, 10)), Ok(Some([0x81, 0x00, 0x00, 0x0A])));
        assert_eq!(send_tag(NEITHER, 7, info(5, 10)), Ok(None));
        assert_eq!(send_tag(BOTH, 0, 0), Ok(None), "nothing asked, no VLAN: untagged");
        assert_eq!(send_tag(PRIORITY, 0, info(0, 10)), Ok(None));
        // The adapter's VLAN ID tags everything, and refuses another.
        assert_eq!(send_tag(BOTH, 4094, 0), Ok(Some([0x81, 0x00, 0x0F, 0xFE])));
        assert_eq!(send_tag(BOTH, 7, info(3, 7)), Ok(Some([0x81, 0x00, 0x60, 0x07])));
        assert_eq!(send_tag(BOTH, 7, info(3, 8)), Err(OtherVlan));
        assert_eq!(send_tag(PRIORITY, 7, info(3, 8)), Ok(Some([0x81, 0x00, 0x60, 0x00])), "VLAN off");
    }

    fn head(frame: &[u8]) -> [u8; TAGGED_HEADER_LEN] {
        let mut head = [0u8; TAGGED_HEADER_LEN];
        head[..frame.len().min(16)].copy_from_slice(&frame[..frame.len().min(16)]);
        head
    }

    #[test]
    fn a_frame_the_protocol_tagged_itself_is_sent_as_it_is_or_refused() {
        let own = tagged(0x600A);
        let in_band = tag_in(&head(&own), own.len());
        assert_eq!(in_band, Some(TagInfo { user_priority: 3, vlan_id: 10 }));
        assert_eq!(tag_in(&head(&own), 17), None, "too short to carry a tag");
        assert_eq!(tag_in(&head(&[0xAA; 20]), 20), None);
        assert_eq!(send_frame(BOTH, 0, 0, in_band), SendFrame::AsIs, "no second tag");
        assert_eq!(send_frame(BOTH, 10, 0, in_band), SendFrame::AsIs, "its VLAN is the adapter's");
        assert_eq!(send_frame(BOTH, 11, 0, in_band), SendFrame::Refuse, "another VLAN");
        assert_eq!(send_frame(BOTH, 0, info(0, 10), in_band), SendFrame::Refuse, "a VLAN in both");
        assert_eq!(send_frame(PRIORITY, 11, info(5, 10), in_band), SendFrame::AsIs, "VLAN off");
        assert_eq!(send_frame(NEITHER, 11, info(0, 11), in_band), SendFrame::AsIs);
        assert_eq!(send_frame(BOTH, 0, info(5, 10), None), SendFrame::Tag([0x81, 0x00, 0xA0, 0x0A]));
        assert_eq!(send_frame(BOTH, 7, info(3, 8), None), SendFrame::Refuse);
        assert_eq!(send_frame(BOTH, 0, 0, None), SendFrame::AsIs);
    }

    #[test]
    fn every_received_tag_is_stripped_into_what_is_enabled() {
        assert_eq!(receive(BOTH, 0, &tagged(0xA00A)), Received::Stripped(info(5, 10)));
        assert_eq!(receive(VLAN, 0, &tagged(0xA00A)), Received::Stripped(info(0, 10)));
        assert_eq!(receive(PRIORITY, 0, &tagged(0xA000)), Received::Stripped(info(5, 0)));
        assert_eq!(receive(PRIORITY, 0, &tagged(0xA00A)), Received::Stripped(info(5, 0)));
        assert_eq!(receive(NEITHER, 0, &tagged(0xA00A)), Received::Stripped(0));
        assert_eq!(receive(BOTH, 0, &[0xAA; 20]), Received::AsIs);
        assert_eq!(receive(BOTH, 0, &[0xAA; 13]), Received::AsIs, "shorter than a tag");
        // A TPID with no room for the tag and its EtherType: malformed, whatever the setting.
        for length in 14..18 {
            let short = &tagged(0xA00A)[..length];
            assert_eq!(receive(BOTH, 0, short), Received::Malformed, "{length}");
            assert_eq!(receive(NEITHER, 0, short), Received::Malformed, "{length}");
        }
        assert_eq!(receive(NEITHER, 0, &tagged(0xA00A)[..18]), Received::Stripped(0));
    }

    #[test]
    fn with_a_vlan_id_only_that_vlan_is_received() {
        assert_eq!(receive(BOTH, 10, &tagged(0x200A)), Received::Stripped(info(1, 10)));
        assert_eq!(receive(BOTH, 10, &tagged(0x200B)), Received::OtherVlan);
        assert_eq!(receive(BOTH, 10, &tagged(0x2000)), Received::OtherVlan, "priority-tagged: native VLAN");
        assert_eq!(receive(BOTH, 10, &[0xAA; 60]), Received::OtherVlan, "untagged: native VLAN");
        assert_eq!(receive(PRIORITY, 10, &[0xAA; 60]), Received::AsIs, "VLAN off: no filter");
        assert_eq!(receive(PRIORITY, 10, &tagged(0x200B)), Received::Stripped(info(1, 0)));
    }

    #[test]
    fn tags_are_inserted_and_stripped_around_the_addresses() {
        let frame = tagged(0x200A);
        let mut out = frame.clone();
        assert!(strip_in_place(&mut out));
        let untagged = [[0xAA; 12].as_slice(), &[0x08, 0x00, 1, 2, 3]].concat();
        assert_eq!(&out[4..], &untagged[..]);
        assert!(!strip_in_place(&mut out[..15]), "too short");
        let mut again = [0u8; 64];
        again[4..4 + untagged.len()].copy_from_slice(&untagged);
        assert!(insert_tag(&mut again[..frame.len()], [0x81, 0x00, 0x20, 0x0A]));
        assert_eq!(&again[..frame.len()], &frame[..]);
        assert!(!insert_tag(&mut again[..15], [0x81, 0x00, 0x20, 0x0A]));
    }

    #[test]
    fn mac_options_say_only_what_is_enabled() {
        assert_eq!(NEITHER.mac_options(), 0);
        assert_eq!(PRIORITY.mac_options(), NDIS_MAC_OPTION_8021P_PRIORITY);
        assert_eq!(
            VLAN.mac_options(),
            NDIS_MAC_OPTION_8021P_PRIORITY | NDIS_MAC_OPTION_8021Q_VLAN,
            "1Q implies 1p"
        );
        assert_eq!(BOTH.mac_options(), NDIS_MAC_OPTION_8021P_PRIORITY | NDIS_MAC_OPTION_8021Q_VLAN);
        assert_eq!(Tagging::from_keyword(3), BOTH);
        assert_eq!(Tagging::from_keyword(0), NEITHER);
    }
}
