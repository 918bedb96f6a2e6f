//! `miniport-lab`: see the crate documentation and the README.

use clap::{Parser, Subcommand};
use kernel_sim::InlineService;
use miniport_lab::faults::FaultSpec;
use miniport_lab::run::{RunOptions, run, summary};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Parser)]
#[command(
    name = "miniport-lab",
    version,
    about = "The kmdf-miniport driver in kernel-sim with real TCP/IP above it"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Inline {
    Seeded,
    Always,
    OwnReads,
    Never,
}

#[derive(Subcommand)]
enum Cmd {
    /// Boot the driver, bring up adapters on one vwire hub with a smoltcp stack above each, and run
    /// ARP, ping and verified TCP bulk transfers between them.
    Run {
        /// Adapters on the hub (at least 2 unless --tap).
        #[arg(long, default_value_t = 2)]
        adapters: usize,
        /// Seconds of traffic (wall clock). Default 5; with --tap or --tap-upper, until Ctrl-C.
        #[arg(long, conflicts_with = "virtual_seconds")]
        seconds: Option<f64>,
        /// Seconds of traffic in the model's virtual time instead of the wall clock: the run then
        /// replays exactly from its seed and options (same frames, bytes, replies, verdict, JSON).
        /// Not with --tap.
        #[arg(long, conflicts_with = "tap")]
        virtual_seconds: Option<f64>,
        /// Seed of the model's scheduler, the hub's faults and the stacks: with --virtual-seconds
        /// the same seed replays the same run exactly; with --seconds, up to where the wall clock
        /// stops it.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Faults: comma-separated drop=RATE, corrupt=RATE, delay=DURATION, alloc=API#N|N
        /// (e.g. drop=1%,corrupt=0.2%,delay=100us,alloc=NdisAllocateNetBufferAndNetBufferList#20).
        #[arg(long, default_value = "none")]
        faults: String,
        /// Write every frame crossing the hub to this pcap file.
        #[arg(long)]
        pcap: Option<PathBuf>,
        /// Print one JSON object on stdout instead of the summary.
        #[arg(long)]
        json: bool,
        /// Bridge a hub port to a TAP device in a new network namespace (Linux, root).
        #[arg(long)]
        tap: bool,
        /// Linux above the driver instead of smoltcp: each adapter's upper edge bound to a TAP
        /// device in a network namespace of its own (mplab-PID-N, 198.51.100.N+1/24), so the
        /// namespaces talk through the driver and the hub (Linux, root; ping, iperf3, curl...).
        /// Runs for --seconds, or until Ctrl-C.
        #[arg(long, conflicts_with_all = ["tap", "virtual_seconds", "vlan", "sleep_every"])]
        tap_upper: bool,
        /// No progress lines on stderr.
        #[arg(long, short)]
        quiet: bool,
        /// Whether the ports below complete reads inside the sends that make them ready (a
        /// peer's receive path then runs inside this adapter's send): per send by the seed, always,
        /// only a read's own (as the vwire bus does), or never.
        #[arg(long, value_enum, default_value_t = Inline::Seeded)]
        inline: Inline,
        /// The IP MTU of every adapter and stack, 1500..=9000: `*JumboPacket` is set to MTU + 14
        /// and TCP uses the larger MSS (e.g. 9000 for jumbo frames).
        #[arg(long, default_value_t = 1500)]
        mtu: u16,
        /// Put every adapter on this VLAN (`VlanID`, 1..=4094): the driver tags every frame on the
        /// wire and strips the tag on receive (see the pcap with tshark).
        #[arg(long)]
        vlan: Option<u16>,
        /// A system sleep and resume of every adapter (pause, D3, D0, restart) every SECONDS of
        /// the run, during the traffic.
        #[arg(long, value_name = "SECONDS")]
        sleep_every: Option<f64>,
    },
    /// The data path alone: frames from adapter A through the driver and the hub to adapter B's
    /// upper edge and back, verification off, against a copy baseline.
    Bench {
        /// Print one JSON object on stdout.
        #[arg(long)]
        json: bool,
        /// Seconds per measurement.
        #[arg(long, default_value_t = 1.0)]
        seconds: f64,
        /// Instead: iperf3 between two network namespaces through the driver (`run --tap-upper`),
        /// through a plain TAP-to-TAP forwarder (this program without the driver) and over a veth
        /// pair, and the ratio of driver to forwarder (Linux, root, iperf3).
        #[arg(long)]
        iperf: bool,
    },
}

/// A report on stdout: one JSON object, or its summary.
fn show<R: serde::Serialize>(report: &R, json: bool, summary: fn(&R) -> String) {
    if json {
        println!("{}", serde_json::to_string(report).expect("a report serializes"));
    } else {
        print!("{}", summary(report));
    }
}

/// `run --tap-upper`: exit 0 when the model saw no violation and nothing leaked.
fn run_tap_upper(opts: &RunOptions, json: bool) -> ExitCode {
    match miniport_lab::upper::run(opts) {
        Ok(report) => {
            show(&report, json, miniport_lab::upper::summary);
            if report.verdict == "ok" { ExitCode::SUCCESS } else { ExitCode::FAILURE }
        }
        Err(e) => {
            eprintln!("miniport-lab: {e}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Cmd::Run {
            adapters,
            seconds,
            virtual_seconds,
            seed,
            faults,
            pcap,
            json,
            tap,
            tap_upper,
            quiet,
            inline,
            mtu,
            vlan,
            sleep_every,
        } => {
            let faults = match FaultSpec::parse(&faults) {
                Ok(f) => f,
                Err(e) => {
                    eprintln!("miniport-lab: --faults: {e}");
                    return ExitCode::from(2);
                }
            };
            let stop = Arc::new(AtomicBool::new(false));
            let flag = stop.clone();
            let _ = ctrlc::set_handler(move || {
                if flag.swap(true, Ordering::Relaxed) {
                    // A second Ctrl-C: give up at once (the namespace, if any, is removed on the next start).
                    std::process::exit(130);
                }
            });
            let inline = match inline {
                Inline::Seeded => InlineService::Seeded,
                Inline::Always => InlineService::Always,
                Inline::OwnReads => InlineService::OwnReads,
                Inline::Never => InlineService::Never,
            };
            let opts = RunOptions {
                adapters,
                seconds,
                virtual_seconds,
                drain_virtual_limit: None,
                seed,
                faults,
                pcap,
                progress: !quiet,
                tap,
                stop,
                inline,
                mtu,
                vlan,
                sleep_every,
            };
            if tap_upper {
                return run_tap_upper(&opts, json);
            }
            match run(&opts) {
                Ok(report) => {
                    if json {
                        println!("{}", serde_json::to_string(&report).expect("a report serializes"));
                    } else {
                        print!("{}", summary(&report));
                    }
                    match report.verdict.as_str() {
                        "ok" => ExitCode::SUCCESS,
                        // Nothing lost, but the streams did not drain in time.
                        "slow" => ExitCode::from(3),
                        _ => ExitCode::FAILURE,
                    }
                }
                Err(e) => {
                    eprintln!("miniport-lab: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Cmd::Bench { json, seconds, iperf: true } => {
            let report = miniport_lab::iperf::run(seconds);
            show(&report, json, miniport_lab::iperf::summary);
            if report.ok { ExitCode::SUCCESS } else { ExitCode::FAILURE }
        }
        Cmd::Bench { json, seconds, iperf: false } => {
            let report = miniport_lab::bench::run(seconds);
            show(&report, json, miniport_lab::bench::summary);
            if report.ok { ExitCode::SUCCESS } else { ExitCode::FAILURE }
        }
    }
}
