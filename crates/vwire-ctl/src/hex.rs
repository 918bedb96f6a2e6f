//! Frames as text: `inject` reads one frame as hexadecimal, `capture --read` prints one frame per line
//! as lowercase hex with no separators.

use vwire_proto::admin::{INJECT_MAX_FRAME_LEN, INJECT_MIN_FRAME_LEN};

/// Parses a frame written as hex digit pairs. Whitespace, `:` and `-` may separate bytes (not the
/// two digits of one byte); the length must be one the bus injects (14..=1514 bytes).
pub fn parse_frame(text: &str) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    for (index, group) in text.split(|c: char| c.is_whitespace() || c == ':' || c == '-').enumerate() {
        if group.len() % 2 != 0 {
            return Err(format!("group {} (\"{group}\") has an odd number of hex digits", index + 1));
        }
        for pair in group.as_bytes().chunks(2) {
            let digits = std::str::from_utf8(pair).map_err(|_| format!("\"{group}\" is not hex"))?;
            let byte =
                u8::from_str_radix(digits, 16).map_err(|_| format!("\"{digits}\" is not a hex byte"))?;
            bytes.push(byte);
        }
    }
    if !(INJECT_MIN_FRAME_LEN..=INJECT_MAX_FRAME_LEN).contains(&bytes.len()) {
        return Err(format!(
            "a frame of {} bytes: the bus injects {INJECT_MIN_FRAME_LEN}..={INJECT_MAX_FRAME_LEN} bytes \
             (destination, source, EtherType, payload; no FCS)",
            bytes.len()
        ));
    }
    Ok(bytes)
}

/// One frame as lowercase hex, no separators (what `capture --read` prints per line).
pub fn frame_line(frame: &[u8]) -> String {
    frame.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A MAC address as `xx-xx-xx-xx-xx-xx`.
pub fn mac(mac: &[u8; 6]) -> String {
    mac.iter().map(|byte| format!("{byte:02x}")).collect::<Vec<_>>().join("-")
}

/// Parses a MAC address written as six hex bytes separated by `-` or `:`.
pub fn parse_mac(text: &str) -> Result<[u8; 6], String> {
    let parts: Vec<&str> = text.split(['-', ':']).collect();
    let bytes: Vec<u8> = parts
        .iter()
        .filter(|part| part.len() == 2)
        .filter_map(|part| u8::from_str_radix(part, 16).ok())
        .collect();
    bytes
        .try_into()
        .ok()
        .filter(|_| parts.len() == 6)
        .ok_or_else(|| format!("\"{text}\" is not a MAC address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_between_bytes_are_allowed_and_case_is_ignored() {
        let frame = "ff:ff:ff:ff:ff:ff 02-00-5E-10-00-01\n0806 0001".to_owned() + &"00".repeat(44);
        let bytes = parse_frame(&frame).unwrap();
        assert_eq!(bytes.len(), 60);
        assert_eq!(bytes[..16], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0x5e, 0x10, 0, 1, 8, 6, 0, 1]);
        assert_eq!(frame_line(&bytes[..3]), "ffffff");
        assert_eq!(parse_frame(&frame_line(&bytes)).unwrap(), bytes, "what capture prints, inject reads");
    }

    #[test]
    fn bad_digits_split_bytes_and_bad_lengths_are_refused() {
        assert!(parse_frame(&"0".repeat(29)).unwrap_err().contains("odd"));
        assert!(parse_frame(&format!("f{}", " f".repeat(28))).is_err(), "a byte split by a separator");
        assert!(parse_frame(&"zz".repeat(14)).unwrap_err().contains("not a hex byte"));
        assert!(parse_frame(&"00".repeat(13)).unwrap_err().contains("13 bytes"));
        assert!(parse_frame(&"00".repeat(1515)).unwrap_err().contains("1515 bytes"));
        assert_eq!(parse_frame(&"00".repeat(14)).unwrap().len(), 14);
        assert_eq!(parse_frame(&"00".repeat(1514)).unwrap().len(), 1514);
    }

    #[test]
    fn macs_round_trip() {
        assert_eq!(parse_mac("02-00-5e-10-00-01"), Ok([2, 0, 0x5e, 0x10, 0, 1]));
        assert_eq!(parse_mac("02:00:5E:10:00:01"), Ok([2, 0, 0x5e, 0x10, 0, 1]));
        assert_eq!(mac(&[2, 0, 0x5e, 0x10, 0, 1]), "02-00-5e-10-00-01");
        for bad in ["02-00-5e-10-00", "02-00-5e-10-00-01-02", "2-00-5e-10-00-01", "0g-00-5e-10-00-01"] {
            assert!(parse_mac(bad).is_err(), "{bad}");
        }
    }
}
