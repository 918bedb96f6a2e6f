//! Link speeds as text: `speed` reads one as bits per second, plainly (`2500000000`) or with a
//! decimal SI suffix (`10M`, `2500M`, `1G`, `10G`; `k`, `M`, `G`, `T`, either case).

/// Parses a speed in bits per second. 0 is refused: the bus has no link speed of 0 (its link is up
/// or down, `vwire-ctl link`).
pub fn parse_speed(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, multiplier) = match text.char_indices().last() {
        Some((at, 'k' | 'K')) => (&text[..at], 1_000),
        Some((at, 'm' | 'M')) => (&text[..at], 1_000_000),
        Some((at, 'g' | 'G')) => (&text[..at], 1_000_000_000),
        Some((at, 't' | 'T')) => (&text[..at], 1_000_000_000_000),
        _ => (text, 1),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("\"{text}\" is not a speed: bits per second, e.g. 100000000, 100M, 1G, 10G"));
    }
    let speed = digits
        .parse::<u64>()
        .ok()
        .and_then(|value| value.checked_mul(multiplier))
        .ok_or_else(|| format!("\"{text}\" is more bits per second than 64 bits hold"))?;
    if speed == 0 {
        return Err("a speed of 0: set the link down instead (vwire-ctl link <port> down)".into());
    }
    Ok(speed)
}

/// A speed as the largest whole SI unit that divides it: `10M`, `2500M`, `1G`, `1500`.
pub fn format_speed(speed_bps: u64) -> String {
    for (unit, suffix) in [(1_000_000_000_000, "T"), (1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")] {
        if speed_bps >= unit && speed_bps.is_multiple_of(unit) {
            return format!("{}{suffix}", speed_bps / unit);
        }
    }
    speed_bps.to_string()
}

#[cfg(test)]
mod tests {
    use super::{format_speed, parse_speed};

    #[test]
    fn speeds_are_read_plainly_or_with_a_decimal_suffix() {
        for (text, speed) in [
            ("10M", 10_000_000),
            ("100m", 100_000_000),
            ("1G", 1_000_000_000),
            ("2500M", 2_500_000_000),
            ("10G", 10_000_000_000),
            ("100g", 100_000_000_000),
            ("1T", 1_000_000_000_000),
            ("64k", 64_000),
            ("1", 1),
            (" 1000000000 ", 1_000_000_000),
            ("18446744073709551615", u64::MAX),
        ] {
            assert_eq!(parse_speed(text), Ok(speed), "{text}");
            assert_eq!(parse_speed(&format_speed(speed)), Ok(speed), "{text} round-trips");
        }
        assert_eq!(format_speed(2_500_000_000), "2500M");
        assert_eq!(format_speed(1_500), "1500");
    }

    #[test]
    fn zero_junk_fractions_and_overflow_are_refused() {
        for text in [
            "0",
            "0G",
            "",
            "G",
            "fast",
            "1.5G",
            "-1",
            "10 M",
            "10Mb",
            "1e9",
            "18446744073709551616",
            "20000000T",
        ] {
            assert!(parse_speed(text).is_err(), "{text:?}");
        }
        assert!(parse_speed("0").unwrap_err().contains("link"));
    }
}
