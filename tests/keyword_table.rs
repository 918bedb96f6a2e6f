//! The INX's Advanced-tab keywords against Microsoft's documented tables, as the HLK's
//! StandardizedKeywords test holds a driver to them: each keyword's type, default, range and enum
//! values and descriptions. The tables are transcribed from the pages named per row; a keyword
//! the INX declares that is not in them, or a row that disagrees, fails.

use std::collections::BTreeMap;

/// What a documented table says of one keyword.
enum Documented {
    /// "Keywords That Can Be Edited": type Int, the default if the table fixes one (else IHV
    /// defined), the least minimum allowed; the maximum is IHV defined.
    Int { default: Option<u32>, min: u32, max: Option<u32>, page: &'static str },
    /// Type Edit: free text.
    Edit { page: &'static str },
    /// "Enumeration Keywords": the values with their EnumDesc, and the default.
    Enum { values: &'static [(u32, &'static str)], default: u32, page: &'static str },
}

const EDITABLE: &str =
    "Keywords That Can Be Edited (windows-hardware/drivers/network/keywords-that-can-be-edited)";
const ENUMERATION: &str = "Enumeration Keywords (windows-hardware/drivers/network/enumeration-keywords)";

fn documented(keyword: &str) -> Option<Documented> {
    Some(match keyword {
        "*JumboPacket" => Documented::Int { default: Some(1514), min: 1514, max: None, page: EDITABLE },
        "*ReceiveBuffers" => Documented::Int { default: None, min: 1, max: None, page: EDITABLE },
        "*TransmitBuffers" => Documented::Int { default: None, min: 0, max: None, page: EDITABLE },
        "NetworkAddress" => Documented::Edit { page: EDITABLE },
        // OID_GEN_VLAN_ID (windows-hardware/drivers/network/oid-gen-vlan-id): "VlanId, REG_DWORD",
        // zero unless set. The page gives no range: 0..=4094 is the project's, from IEEE 802.1Q
        // (a 12-bit VID, 4095 reserved).
        "VlanID" => Documented::Int {
            default: Some(0),
            min: 0,
            max: Some(4094),
            page: "OID_GEN_VLAN_ID (windows-hardware/drivers/network/oid-gen-vlan-id)",
        },
        "*SpeedDuplex" => Documented::Enum {
            values: &[
                (0, "Auto Negotiation"),
                (1, "10 Mbps Half Duplex"),
                (2, "10 Mbps Full Duplex"),
                (3, "100 Mbps Half Duplex"),
                (4, "100 Mbps Full Duplex"),
                (5, "1.0 Gbps Half Duplex"),
                (6, "1.0 Gbps Full Duplex"),
                (7, "10 Gbps Full Duplex"),
                (8, "20 Gbps Full Duplex"),
                (9, "40 Gbps Full Duplex"),
                (10, "100 Gbps Full Duplex"),
            ],
            default: 0,
            page: ENUMERATION,
        },
        "*PriorityVLANTag" => Documented::Enum {
            values: &[
                (0, "Packet Priority & VLAN Disabled"),
                (1, "Packet Priority Enabled"),
                (2, "VLAN Enabled"),
                (3, "Packet Priority & VLAN Enabled"),
            ],
            default: 3,
            page: ENUMERATION,
        },
        _ => return None,
    })
}

/// The INX: `HKR, <key>, <name>, 0, <value>` lines, and the [Strings] section.
struct Inx {
    /// Key (below `Ndi\params\`) → name → value, quotes removed.
    params: BTreeMap<String, BTreeMap<String, String>>,
    strings: BTreeMap<String, String>,
}

fn parse(text: &str) -> Inx {
    let unquote = |s: &str| s.trim().trim_matches('"').to_owned();
    let mut params: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut strings = BTreeMap::new();
    let mut section = String::new();
    for line in text.lines() {
        let line = line.split(';').next().unwrap_or("").trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_owned();
            continue;
        }
        if section == "Strings" {
            if let Some((key, value)) = line.split_once('=') {
                strings.insert(key.trim().to_owned(), unquote(value));
            }
            continue;
        }
        let Some(rest) = line.strip_prefix("HKR,") else { continue };
        let fields: Vec<&str> = rest.split(',').map(str::trim).collect();
        let Some(key) = fields.first().and_then(|k| k.strip_prefix("Ndi\\params\\")) else { continue };
        let (Some(name), Some(value)) = (fields.get(1), fields.get(3)) else { continue };
        params.entry(key.to_owned()).or_default().insert(unquote(name).to_lowercase(), unquote(value));
    }
    Inx { params, strings }
}

fn inx_text() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/inx/kmdf_miniport.inx")).unwrap()
}

impl Inx {
    /// A `%token%` resolved through [Strings].
    fn text(&self, value: &str) -> String {
        match value.strip_prefix('%').and_then(|v| v.strip_suffix('%')) {
            Some(token) => self.strings.get(token).cloned().unwrap_or_else(|| panic!("no string {token}")),
            None => value.to_owned(),
        }
    }
}

/// Where the INX's keywords depart from the documented tables, one line each.
fn problems(text: &str) -> Vec<String> {
    let inx = parse(text);
    let mut problems = Vec::new();
    let mut check = |ok: bool, what: String| {
        if !ok {
            problems.push(what);
        }
    };
    for keyword in inx.params.keys().filter(|k| !k.contains('\\')) {
        let param = &inx.params[keyword];
        let get = |name: &str| param.get(name).map(String::as_str);
        let number = |name: &str| get(name).and_then(|v| v.parse::<u32>().ok());
        let Some(documented) = documented(keyword) else {
            check(false, format!("{keyword} is not a documented keyword"));
            continue;
        };
        check(get("paramdesc").is_some_and(|d| !inx.text(d).is_empty()), format!("{keyword}: no ParamDesc"));
        match documented {
            Documented::Int { default, min, max, page } => {
                check(get("type") == Some("int"), format!("{keyword}: not int ({page})"));
                let (Some(inx_default), Some(inx_min), Some(inx_max)) =
                    (number("default"), number("min"), number("max"))
                else {
                    check(false, format!("{keyword}: default, min and max must be numbers"));
                    continue;
                };
                if let Some(default) = default {
                    check(
                        inx_default == default,
                        format!("{keyword}: default {inx_default}, documented {default} ({page})"),
                    );
                }
                check(
                    inx_min >= min,
                    format!("{keyword}: min {inx_min} below the documented {min} ({page})"),
                );
                if let Some(max) = max {
                    check(
                        inx_max <= max,
                        format!("{keyword}: max {inx_max} above the documented {max} ({page})"),
                    );
                }
                check(
                    inx_min <= inx_default && inx_default <= inx_max,
                    format!("{keyword}: default out of range"),
                );
            }
            Documented::Edit { page } => {
                check(get("type") == Some("edit"), format!("{keyword}: not edit ({page})"))
            }
            Documented::Enum { values, default, page } => {
                check(get("type") == Some("enum"), format!("{keyword}: not enum ({page})"));
                check(
                    number("default") == Some(default),
                    format!("{keyword}: default, documented {default} ({page})"),
                );
                let Some(listed) = inx.params.get(&format!("{keyword}\\enum")) else {
                    check(false, format!("{keyword}: no enum values"));
                    continue;
                };
                check(
                    listed.contains_key(&default.to_string()),
                    format!("{keyword}: the default is not listed"),
                );
                for (value, description) in listed {
                    let documented =
                        value.parse::<u32>().ok().and_then(|v| values.iter().find(|(d, _)| *d == v));
                    match documented {
                        None => check(false, format!("{keyword}: value {value} is not documented ({page})")),
                        Some((_, text)) => check(
                            inx.text(description) == *text,
                            format!(
                                "{keyword} {value}: EnumDesc {:?}, documented {text:?} ({page})",
                                inx.text(description)
                            ),
                        ),
                    }
                }
            }
        }
    }
    problems
}

#[test]
fn every_keyword_the_inx_declares_matches_the_documented_table() {
    let text = inx_text();
    let declared = parse(&text).params.keys().filter(|k| !k.contains('\\')).count();
    assert_eq!(
        declared, 7,
        "NetworkAddress, *ReceiveBuffers, *TransmitBuffers, *JumboPacket, *SpeedDuplex, *PriorityVLANTag, VlanID"
    );
    assert_eq!(problems(&text), Vec::<String>::new());
}

/// The check itself: each kind of departure from the tables is caught.
#[test]
fn the_table_check_refuses_what_the_documentation_does_not_allow() {
    let text = inx_text();
    for (from, to, expected) in [
        (
            "*JumboPacket, default,   0, \"1514\"",
            "*JumboPacket, default,   0, \"9014\"",
            "*JumboPacket: default 9014, documented 1514",
        ),
        (
            "*JumboPacket, min,       0, \"1514\"",
            "*JumboPacket, min,       0, \"1500\"",
            "*JumboPacket: min 1500 below",
        ),
        ("VlanID, max,       0, \"4094\"", "VlanID, max,       0, \"4095\"", "VlanID: max 4095 above"),
        (
            "*PriorityVLANTag,       default,   0, \"3\"",
            "*PriorityVLANTag,       default,   0, \"0\"",
            "*PriorityVLANTag: default",
        ),
        (
            "\"7\",       0, %SpeedDuplex.10GFull%",
            "\"11\",       0, %SpeedDuplex.10GFull%",
            "*SpeedDuplex: value 11",
        ),
        (
            "VLANEnabled              = \"VLAN Enabled\"",
            "VLANEnabled              = \"VLANs\"",
            "*PriorityVLANTag 2: EnumDesc",
        ),
        (
            "Ndi\\params\\VlanID, type,      0, \"int\"",
            "Ndi\\params\\VlanID, type,      0, \"edit\"",
            "VlanID: not int",
        ),
        ("Ndi\\params\\VlanID,", "Ndi\\params\\*VlanId,", "*VlanId is not a documented keyword"),
    ] {
        assert!(text.contains(from), "{from}");
        let broken = text.replacen(from, to, 1);
        let found = problems(&broken);
        assert!(found.iter().any(|p| p.starts_with(expected)), "{expected}: {found:?}");
    }
}
