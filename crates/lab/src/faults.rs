//! `--faults SPEC`: hub faults on every adapter's port and an allocation fault in the model.
//!
//! SPEC is a comma-separated list of `key=value` (or `none`):
//!
//! | key       | value                          | effect                                                   |
//! |-----------|--------------------------------|----------------------------------------------------------|
//! | `drop`    | rate: `0.5%`, `2000ppm`, `2000`| frames an adapter writes are lost in the hub             |
//! | `corrupt` | rate                           | frames queued for an adapter get one bit flipped         |
//! | `delay`   | `200us`, `2ms`                 | frames become readable that long after they were written |
//! | `alloc`   | `API#N` or `N`                 | the Nth call of API (or the Nth fallible call) fails     |
//!
//! Example: `--faults drop=1%,corrupt=0.2%,delay=100us,alloc=NdisAllocateNetBufferAndNetBufferList#20`.
//! An allocation that fails during `MiniportInitializeEx` fails that adapter's start; the lab then
//! starts another device in its place, as PnP would on the next attempt.

use kernel_sim::{FaultPlan, Faults};
use std::fmt;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FaultSpec {
    pub hub: Faults,
    pub alloc: FaultPlan,
    /// The text it was parsed from (normalized), for reports.
    pub text: String,
}

impl FaultSpec {
    pub fn is_none(&self) -> bool {
        self.hub == Faults::default() && self.alloc == FaultPlan::None
    }

    /// Whether frames may be lost or damaged in the hub on purpose.
    pub fn lossy(&self) -> bool {
        self.hub.drop_ppm > 0 || self.hub.corrupt_ppm > 0
    }

    pub fn parse(spec: &str) -> Result<FaultSpec, String> {
        let mut out = FaultSpec::default();
        let mut parts = Vec::new();
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if item == "none" {
                continue;
            }
            let (key, value) =
                item.split_once('=').ok_or_else(|| format!("fault `{item}`: expected key=value"))?;
            match key.trim() {
                "drop" => out.hub.drop_ppm = rate_ppm(value)?,
                "corrupt" => out.hub.corrupt_ppm = rate_ppm(value)?,
                "delay" => out.hub.delay_ticks = duration_ns(value)?,
                "alloc" => out.alloc = alloc_plan(value)?,
                other => {
                    return Err(format!("unknown fault `{other}` (known: drop, corrupt, delay, alloc)"));
                }
            }
            parts.push(item.to_string());
        }
        out.text = if parts.is_empty() { "none".into() } else { parts.join(",") };
        Ok(out)
    }
}

impl fmt::Display for FaultSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.text.is_empty() { "none" } else { &self.text })
    }
}

/// `1%`, `0.5%`, `2000ppm` or a bare number of parts per million.
fn rate_ppm(value: &str) -> Result<u32, String> {
    let value = value.trim();
    let ppm = if let Some(p) = value.strip_suffix('%') {
        p.trim().parse::<f64>().map_err(|_| format!("bad rate `{value}`"))? * 10_000.0
    } else {
        let n = value.strip_suffix("ppm").unwrap_or(value).trim();
        n.parse::<f64>().map_err(|_| format!("bad rate `{value}`"))?
    };
    if !(0.0..=1_000_000.0).contains(&ppm) {
        return Err(format!("rate `{value}` is not between 0 and 100%"));
    }
    Ok(ppm.round() as u32)
}

/// `250us`, `2ms`, `1s`, `500ns` (the hub's ticks are the model's nanoseconds).
fn duration_ns(value: &str) -> Result<u64, String> {
    let value = value.trim();
    let (number, scale) = if let Some(n) = value.strip_suffix("ns") {
        (n, 1.0)
    } else if let Some(n) = value.strip_suffix("us") {
        (n, 1e3)
    } else if let Some(n) = value.strip_suffix("ms") {
        (n, 1e6)
    } else if let Some(n) = value.strip_suffix('s') {
        (n, 1e9)
    } else {
        return Err(format!("duration `{value}` needs a unit (ns, us, ms, s)"));
    };
    let n: f64 = number.trim().parse().map_err(|_| format!("bad duration `{value}`"))?;
    if !(0.0..=10e9).contains(&(n * scale)) {
        return Err(format!("duration `{value}` out of range (0..10s)"));
    }
    Ok((n * scale).round() as u64)
}

/// `API#N` (the Nth call of that API) or `N` (the Nth fallible call of the run).
fn alloc_plan(value: &str) -> Result<FaultPlan, String> {
    let value = value.trim();
    let parse_n = |n: &str| -> Result<u64, String> {
        n.trim().parse::<u64>().ok().filter(|&n| n > 0).ok_or_else(|| format!("bad count in `{value}`"))
    };
    match value.split_once('#') {
        Some((api, n)) => {
            let api = api.trim();
            if api.is_empty() || !api.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(format!("bad API name in `{value}`"));
            }
            // The plan names the API with a 'static str; a CLI parses this once.
            Ok(FaultPlan::FailNthOf { api: Box::leak(api.to_string().into_boxed_str()), nth: parse_n(n)? })
        }
        None => Ok(FaultPlan::FailCall { ordinal: parse_n(value)? }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_key() {
        let f = FaultSpec::parse("drop=1%, corrupt=500ppm,delay=200us,alloc=NdisAllocateMdl#3").unwrap();
        assert_eq!(f.hub.drop_ppm, 10_000);
        assert_eq!(f.hub.corrupt_ppm, 500);
        assert_eq!(f.hub.delay_ticks, 200_000);
        assert_eq!(f.alloc, FaultPlan::FailNthOf { api: "NdisAllocateMdl", nth: 3 });
        assert_eq!(FaultSpec::parse("alloc=7").unwrap().alloc, FaultPlan::FailCall { ordinal: 7 });
        assert!(FaultSpec::parse("none").unwrap().is_none());
        assert!(FaultSpec::parse("").unwrap().is_none());
    }

    #[test]
    fn rejects_nonsense() {
        for bad in ["drop", "drop=x", "drop=101%", "delay=5", "alloc=0", "alloc=#3", "wobble=1"] {
            assert!(FaultSpec::parse(bad).is_err(), "{bad}");
        }
    }
}
