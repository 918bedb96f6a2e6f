//! `miniport-lab bench --iperf`: iperf3 between two network namespaces three ways in one run.
//!
//! - **driver**: each namespace's TAP above an adapter of the driver in the model, the hub between
//!   them (what `run --tap-upper` does, [`crate::upper::Bridge`]), without the call trace;
//! - **forwarder**: the same TAPs in the same program with frames copied from one to the other in
//!   user space and nothing between: the baseline, this program without the driver;
//! - **veth**: a veth pair across the namespaces, the kernel's own limit.
//!
//! Each runs one iperf3 TCP stream from namespace 0 to namespace 1 for the given seconds; the figure
//! is what the receiver got (iperf3 `-J`, `end.sum_received.bits_per_second`).

use crate::run::RunOptions;
use crate::tap::{Tap, wait_any};
use crate::upper::{Bridge, address};
use serde::Serialize;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One path's measurement.
#[derive(Clone, Debug, Default, Serialize)]
pub struct IperfPath {
    pub path: String,
    /// Receiver's goodput.
    pub gbps: f64,
    pub retransmits: u64,
    /// Why there is no figure, if there is none.
    pub error: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct IperfReport {
    pub seconds: f64,
    pub paths: Vec<IperfPath>,
    /// driver / forwarder.
    pub driver_to_forwarder: f64,
    /// Issue 12's goal: the driver path reaches at least 70 % of the forwarder.
    pub goal_met: bool,
    pub problems: Vec<String>,
    pub ok: bool,
}

/// Why the iperf bench cannot run here, if it cannot.
pub fn unavailable() -> Option<String> {
    if let Some(why) = crate::tap::unavailable() {
        return Some(why);
    }
    let found = Command::new("iperf3").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status();
    if !found.is_ok_and(|s| s.success()) {
        return Some("iperf3 is not installed (.ci/run installs it)".into());
    }
    None
}

fn in_namespace(ns: &str, args: &[&str]) -> Command {
    let mut c = Command::new("ip");
    c.args(["netns", "exec", ns]).args(args);
    c
}

/// The server in `server_ns` at `server_address`, then the client in `client_ns` for `seconds`,
/// while `pump` carries the frames (it returns when it has moved what there was, or waited a
/// little). The client's JSON report.
fn iperf(
    client_ns: &str,
    server_ns: &str,
    server_address: &str,
    seconds: f64,
    mut pump: impl FnMut() -> Result<(), String>,
) -> Result<serde_json::Value, String> {
    let mut server = in_namespace(server_ns, &["iperf3", "-s", "-1", "-B", server_address])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("iperf3 server: {e}"))?;
    let mut result = Err("iperf3 never ran".to_string());
    // The server listens within a moment; a client that finds no listener yet fails at once
    // ("unable to connect"), and is started again.
    for _ in 0..5 {
        let started = Instant::now();
        while started.elapsed() < Duration::from_millis(200) {
            if let Err(e) = pump() {
                stop(&mut server);
                return Err(e);
            }
        }
        result = client(client_ns, server_address, seconds, &mut pump);
        let refused = result.as_ref().is_ok_and(|json| {
            json.get("error").and_then(|e| e.as_str()).is_some_and(|e| e.contains("unable to connect"))
        });
        if !refused {
            break;
        }
    }
    stop(&mut server);
    result
}

/// One iperf3 client run for `seconds`, `pump` carrying the frames until it exits; its JSON report.
fn client(
    client_ns: &str,
    server_address: &str,
    seconds: f64,
    pump: &mut impl FnMut() -> Result<(), String>,
) -> Result<serde_json::Value, String> {
    let secs = format!("{}", seconds.round() as u64);
    let mut client = in_namespace(client_ns, &["iperf3", "-c", server_address, "-t", &secs, "-J"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("iperf3 client: {e}"))?;
    let limit = Duration::from_secs_f64(seconds + 20.0);
    let started = Instant::now();
    loop {
        match client.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) => {}
            Err(e) => {
                stop(&mut client);
                return Err(format!("iperf3 client: {e}"));
            }
        }
        if started.elapsed() > limit {
            stop(&mut client);
            return Err("iperf3 did not finish".into());
        }
        if let Err(e) = pump() {
            stop(&mut client);
            return Err(e);
        }
    }
    let out = client.wait_with_output().map_err(|e| format!("iperf3 client: {e}"))?;
    serde_json::from_slice::<serde_json::Value>(&out.stdout).map_err(|e| format!("iperf3 -J output: {e}"))
}

fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// The figure of one iperf3 client report, or its error.
fn figure(path: &str, report: Result<serde_json::Value, String>) -> IperfPath {
    let mut p = IperfPath { path: path.into(), ..IperfPath::default() };
    match report {
        Ok(json) => {
            if let Some(e) = json.get("error").and_then(|e| e.as_str()) {
                p.error = Some(format!("iperf3: {e}"));
            } else {
                let end = &json["end"];
                p.gbps = end["sum_received"]["bits_per_second"].as_f64().unwrap_or(0.0) / 1e9;
                p.retransmits = end["sum_sent"]["retransmits"].as_u64().unwrap_or(0);
                if p.gbps <= 0.0 {
                    p.error = Some("iperf3 reported no data received".into());
                }
            }
        }
        Err(e) => p.error = Some(e),
    }
    p
}

fn through_driver(seconds: f64, prefix: &str) -> IperfPath {
    let opts = RunOptions { progress: false, ..RunOptions::default() };
    let mut bridge = match Bridge::start(&opts, prefix) {
        Ok(b) => b,
        Err(e) => return IperfPath { path: "driver".into(), error: Some(e), ..IperfPath::default() },
    };
    bridge.measure_only();
    let (ns0, ns1) = (bridge.report.ports[0].namespace.clone(), bridge.report.ports[1].namespace.clone());
    let mut path = figure("driver", iperf(&ns0, &ns1, &address(1), seconds, || bridge.pump()));
    let report = bridge.finish();
    if let Some(problem) = report.problems.first() {
        path.error.get_or_insert(format!("the model: {problem}"));
    }
    path
}

fn through_forwarder(seconds: f64, prefix: &str) -> IperfPath {
    let taps: Result<Vec<Tap>, String> = (0..2)
        .map(|i| Tap::create_in(&format!("{prefix}-{i}"), &address(i), &format!("02:76:77:00:fe:{i:02x}")))
        .collect();
    let mut taps = match taps {
        Ok(t) => t,
        Err(e) => return IperfPath { path: "forwarder".into(), error: Some(e), ..IperfPath::default() },
    };
    let (ns0, ns1) = (format!("{prefix}-0"), format!("{prefix}-1"));
    // What one TAP's Linux sends, the other's receives, as the driver path's hub would deliver it.
    let pump = || -> Result<(), String> {
        let mut moved = false;
        for from in 0..2 {
            let frames = taps[from].read_frames().map_err(|e| format!("TAP read: {e}"))?;
            if !frames.is_empty() {
                moved = true;
                taps[1 - from].write_frames(&frames).map_err(|e| format!("TAP write: {e}"))?;
            }
        }
        if !moved {
            wait_any(&taps, Duration::from_millis(1));
        }
        Ok(())
    };
    figure("forwarder", iperf(&ns0, &ns1, &address(1), seconds, pump))
}

fn over_veth(seconds: f64, prefix: &str) -> IperfPath {
    let (ns0, ns1) = (format!("{prefix}-0"), format!("{prefix}-1"));
    let ip = |args: &[&str]| -> Result<(), String> {
        let out = Command::new("ip").args(args).output().map_err(|e| format!("ip: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!("`ip {}`: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()))
        }
    };
    let setup = || -> Result<(), String> {
        ip(&["netns", "add", &ns0])?;
        ip(&["netns", "add", &ns1])?;
        ip(&[
            "link", "add", "mplab0", "netns", &ns0, "type", "veth", "peer", "name", "mplab0", "netns", &ns1,
        ])?;
        for (i, ns) in [&ns0, &ns1].into_iter().enumerate() {
            ip(&["-n", ns, "addr", "add", &format!("{}/24", address(i)), "dev", "mplab0"])?;
            ip(&["-n", ns, "link", "set", "dev", "mplab0", "up"])?;
            ip(&["-n", ns, "link", "set", "dev", "lo", "up"])?;
        }
        Ok(())
    };
    let path = match setup() {
        Ok(()) => figure(
            "veth",
            iperf(&ns0, &ns1, &address(1), seconds, || {
                std::thread::sleep(Duration::from_millis(5));
                Ok(())
            }),
        ),
        Err(e) => IperfPath { path: "veth".into(), error: Some(e), ..IperfPath::default() },
    };
    let _ = ip(&["netns", "del", &ns0]);
    let _ = ip(&["netns", "del", &ns1]);
    path
}

/// The three measurements, one after another, each in namespaces of its own, each `seconds` long
/// (at least 2: one second of TCP is mostly slow start; at most 600).
pub fn run(seconds: f64) -> IperfReport {
    let seconds = if seconds.is_finite() { seconds.clamp(2.0, 600.0) } else { 2.0 };
    let mut r = IperfReport { seconds, ..IperfReport::default() };
    if let Some(why) = unavailable() {
        r.problems.push(format!("bench --iperf cannot run here: {why}"));
        return r;
    }
    let pid = std::process::id();
    r.paths.push(through_driver(seconds, &format!("mplab-{pid}-drv")));
    r.paths.push(through_forwarder(seconds, &format!("mplab-{pid}-fwd")));
    r.paths.push(over_veth(seconds, &format!("mplab-{pid}-veth")));
    for p in &r.paths {
        if let Some(e) = &p.error {
            r.problems.push(format!("{}: {e}", p.path));
        }
    }
    let (driver, forwarder) = (r.paths[0].gbps, r.paths[1].gbps);
    if forwarder > 0.0 {
        r.driver_to_forwarder = driver / forwarder;
    }
    r.goal_met = r.driver_to_forwarder >= 0.7;
    r.ok = r.problems.is_empty();
    r
}

pub fn summary(r: &IperfReport) -> String {
    let mut s = format!("iperf3, one TCP stream, {} s each, namespace 0 -> namespace 1\n", r.seconds);
    for p in &r.paths {
        match &p.error {
            None => s += &format!("  {:<9} {:>7.2} Gbit/s ({} retransmits)\n", p.path, p.gbps, p.retransmits),
            Some(e) => s += &format!("  {:<9} failed: {e}\n", p.path),
        }
    }
    s += "  (driver: the driver's code in kernel-sim with the model's per-frame checks on; forwarder: the same TAPs, frames copied across)\n";
    s += &format!(
        "  driver / forwarder: {:.0} % (goal at least 70 %: {})\n",
        r.driver_to_forwarder * 100.0,
        if r.goal_met { "met" } else { "not met" }
    );
    for p in &r.problems {
        s += &format!("  problem: {p}\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::figure;
    use serde_json::json;

    #[test]
    fn the_figure_is_what_the_receiver_got_and_an_iperf_error_is_no_figure() {
        let report = json!({
            "end": {
                "sum_sent": { "bits_per_second": 9.9e9, "retransmits": 17 },
                "sum_received": { "bits_per_second": 2.5e9 }
            }
        });
        let p = figure("driver", Ok(report));
        assert_eq!((p.gbps, p.retransmits, p.error), (2.5, 17, None));
        let failed = figure("forwarder", Ok(json!({ "error": "unable to connect to server" })));
        assert_eq!(failed.error.as_deref(), Some("iperf3: unable to connect to server"));
        assert_eq!(failed.gbps, 0.0);
        let nothing = figure("veth", Ok(json!({ "end": {} })));
        assert!(nothing.error.is_some(), "no bytes received is not a figure");
        assert_eq!(figure("veth", Err("setup".into())).error.as_deref(), Some("setup"));
    }
}
