//! `vwire-ctl`: the administrator's tool for the vwire bus (`vwire_bus.sys`). It opens the bus's
//! control interface (`vwire_proto::admin::INTERFACE_GUID`, Administrators and SYSTEM only, per the
//! INF's DACL) and sends one admin IOCTL:
//!
//! ```text
//! vwire-ctl add-port                       # a new port: PnP installs a miniport adapter on it
//! vwire-ctl remove-port 3                  # surprise-removes the adapter on port 3
//! vwire-ctl link 3 down                    # link state of port 3
//! vwire-ctl speed 3 1G                     # the speed port 3's link offers (10M, 100M, 2500M, 10G, ...)
//! vwire-ctl faults 3 --drop-ppm 10000 --delay-us 500
//! vwire-ctl --dry-run faults 3 --stall     # print the IOCTL and its bytes; runs on any host
//! vwire-ctl inject 3 "ff:ff:ff:ff:ff:ff 02:00:5e:10:00:01 88b5 ..."   # one frame into port 3
//! vwire-ctl capture 3 --start              # copy what port 3's adapter sends ...
//! vwire-ctl capture 3 --read --wait-ms 500 # ... and print it, one frame per line as hex
//! vwire-ctl capture 3 --stop
//! vwire-ctl smoke 3 --target-ip 192.168.77.10   # ARP and ping the adapter's stack through the bus
//! ```
//!
//! `smoke` plays `vwire_ctl::smoke` over the bus's inject and capture IOCTLs; it exits 0 when the
//! stack answered both, 1 naming the step that failed otherwise (2: bad arguments).

use clap::{ArgGroup, Parser, Subcommand, ValueEnum};
use std::net::Ipv4Addr;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use vwire_ctl::{hex, smoke, speed};
use vwire_proto::admin::{
    ADMIN_MAX_INPUT_LEN, AdminRequest, CAPTURE_READ_OUTPUT, CaptureControl, CaptureReply, InjectFrame,
    PortAdded, SetFaults, SetLink, SetSpeed,
};

#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    /// Print the IOCTL code and the bytes it would send instead of sending them.
    #[arg(long, global = true)]
    dry_run: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug, Clone, PartialEq, Eq)]
enum Command {
    /// Add a port; prints its number and MAC address.
    AddPort,
    /// Remove a port: a surprise removal for the adapter above it.
    RemovePort { port: u32 },
    /// Set a port's link up or down.
    Link { port: u32, state: LinkState },
    /// Set the speed a port's link offers its adapter (a link change for the adapter, which reports
    /// it, or less under its *SpeedDuplex setting).
    Speed {
        port: u32,
        /// Bits per second: 100000000, or with a decimal suffix: 10M, 100M, 1G, 2500M, 10G.
        #[arg(value_parser = speed::parse_speed)]
        speed: u64,
    },
    /// Set a port's fault knobs (all off unless given).
    Faults {
        port: u32,
        /// Frames the port writes that the hub drops, per million.
        #[arg(long, default_value_t = 0)]
        drop_ppm: u32,
        /// Frames queued for the port that get one bit flipped, per million.
        #[arg(long, default_value_t = 0)]
        corrupt_ppm: u32,
        /// How long frames wait before the port's reads may take them, in microseconds.
        #[arg(long, default_value_t = 0)]
        delay_us: u32,
        /// The port's reads stop completing.
        #[arg(long)]
        stall: bool,
        /// The port's writes fail.
        #[arg(long)]
        fail_writes: bool,
        /// The port's reads fail.
        #[arg(long)]
        fail_reads: bool,
    },
    /// Inject one Ethernet frame into a port, as if it arrived from the wire.
    Inject {
        port: u32,
        /// The frame (destination, source, EtherType, payload; 14..=1514 bytes, no FCS) as hex;
        /// whitespace, ':' and '-' may separate bytes.
        frame_hex: String,
    },
    /// Capture the frames a port's adapter sends: start, stop, or read (one frame per line, hex).
    #[command(group(ArgGroup::new("action").required(true).args(["start", "stop", "read"])))]
    Capture {
        port: u32,
        /// Start capturing (drops what an earlier capture left).
        #[arg(long)]
        start: bool,
        /// Stop capturing (what was captured stays readable).
        #[arg(long)]
        stop: bool,
        /// Print and remove the captured frames; exits 0 even if there are none.
        #[arg(long)]
        read: bool,
        /// With --read: poll until at least one frame was captured or this many milliseconds passed.
        #[arg(long)]
        wait_ms: Option<u64>,
    },
    /// ARP and ping the stack above a port through the bus (inject and capture).
    Smoke {
        port: u32,
        /// The adapter's IPv4 address.
        #[arg(long)]
        target_ip: Ipv4Addr,
        /// Our address [default: target-ip's /24 with host part .254, or .253 if that is the target].
        #[arg(long)]
        source_ip: Option<Ipv4Addr>,
        /// Our MAC address.
        #[arg(long, default_value = "02-00-5e-10-00-01", value_parser = hex::parse_mac)]
        source_mac: [u8; 6],
        /// How long each reply may take, in milliseconds.
        #[arg(long, default_value_t = 5000)]
        timeout_ms: u64,
    },
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum LinkState {
    Up,
    Down,
}

/// The admin request a command stands for (`None`: `smoke`, which sends several). `frame` holds
/// the parsed frame an `inject` request borrows.
fn request<'a>(command: &Command, frame: &'a mut Vec<u8>) -> Result<Option<AdminRequest<'a>>, String> {
    Ok(Some(match *command {
        Command::AddPort => AdminRequest::AddPort,
        Command::RemovePort { port } => AdminRequest::RemovePort { port },
        Command::Link { port, state } => AdminRequest::SetLink(SetLink { port, up: state == LinkState::Up }),
        Command::Speed { port, speed } => AdminRequest::SetSpeed(SetSpeed { port, speed_bps: speed }),
        Command::Faults { port, drop_ppm, corrupt_ppm, delay_us, stall, fail_writes, fail_reads } => {
            AdminRequest::SetFaults(SetFaults {
                port,
                drop_ppm,
                corrupt_ppm,
                delay_us,
                stall,
                fail_writes,
                fail_reads,
            })
        }
        Command::Inject { port, ref frame_hex } => {
            *frame = hex::parse_frame(frame_hex)?;
            AdminRequest::InjectFrame(InjectFrame { port, frame })
        }
        Command::Capture { port, start, read, wait_ms, .. } => {
            if wait_ms.is_some() && !read {
                return Err("--wait-ms goes with --read".into());
            }
            if read {
                AdminRequest::CaptureRead { port }
            } else {
                AdminRequest::CaptureControl(CaptureControl { port, start })
            }
        }
        Command::Smoke { .. } => return Ok(None),
    }))
}

/// The output buffer a request is sent with: a capture read takes a full batch.
fn output_len(request: &AdminRequest<'_>) -> usize {
    match request {
        AdminRequest::CaptureRead { .. } => CAPTURE_READ_OUTPUT,
        _ => request.output_len(),
    }
}

/// The IOCTL code and input bytes of a request (the bus validates them the same way).
fn encode(request: &AdminRequest<'_>) -> Result<(u32, Vec<u8>), String> {
    let mut buffer = [0u8; ADMIN_MAX_INPUT_LEN];
    let (code, length) = request.encode(&mut buffer).map_err(|error| format!("cannot encode: {error}"))?;
    Ok((code, buffer[..length].to_vec()))
}

fn spaced_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect::<Vec<_>>().join(" ")
}

fn dry_run(request: &AdminRequest<'_>) -> Result<String, String> {
    let (code, input) = encode(request)?;
    Ok(format!(
        "IOCTL {code:#010x}, {} bytes in, {} bytes out: {}",
        input.len(),
        output_len(request),
        spaced_hex(&input)
    ))
}

/// Sends `request` to the bus; the reply bytes.
fn send(request: &AdminRequest<'_>) -> Result<Vec<u8>, String> {
    let (code, input) = encode(request)?;
    device::send(code, &input, output_len(request))
}

/// One port of the bus, for the smoke test: the admin IOCTLs on this machine's bus.
struct BusPort {
    port: u32,
    started: Instant,
    /// The drop count the last capture read reported (it counts from the capture's start).
    dropped: u32,
}

impl BusPort {
    /// One capture read: the frames and whether more are pending.
    fn read_once(&mut self) -> Result<(Vec<Vec<u8>>, u32), String> {
        let reply = send(&AdminRequest::CaptureRead { port: self.port })?;
        let (head, batch) = CaptureReply::decode_with_frames(&reply)
            .map_err(|error| format!("the bus answered with a malformed capture: {error}"))?;
        if head.dropped > self.dropped {
            eprintln!(
                "vwire-ctl: {} captured frames were dropped (the capture buffer was full)",
                head.dropped - self.dropped
            );
        }
        self.dropped = head.dropped;
        Ok((batch.frames().map(<[u8]>::to_vec).collect(), head.pending))
    }
}

impl smoke::Wire for BusPort {
    fn start_capture(&mut self) -> Result<(), String> {
        send(&AdminRequest::CaptureControl(CaptureControl { port: self.port, start: true })).map(drop)
    }

    fn stop_capture(&mut self) -> Result<(), String> {
        send(&AdminRequest::CaptureControl(CaptureControl { port: self.port, start: false })).map(drop)
    }

    fn inject(&mut self, frame: &[u8]) -> Result<(), String> {
        send(&AdminRequest::InjectFrame(InjectFrame { port: self.port, frame })).map(drop)
    }

    /// Polls every 10 ms (the capture read never waits in the driver); drains what is pending.
    fn read_capture(&mut self, wait: Duration) -> Result<Vec<Vec<u8>>, String> {
        let deadline = Instant::now() + wait;
        loop {
            let (mut frames, mut pending) = self.read_once()?;
            while pending > 0 {
                let (more, left) = self.read_once()?;
                frames.extend(more);
                pending = left;
            }
            if !frames.is_empty() || Instant::now() >= deadline {
                return Ok(frames);
            }
            std::thread::sleep(
                Duration::from_millis(10).min(deadline.saturating_duration_since(Instant::now())),
            );
        }
    }

    fn now(&self) -> Duration {
        self.started.elapsed()
    }
}

fn smoke_config(command: &Command) -> Option<smoke::Config> {
    match *command {
        Command::Smoke { target_ip, source_ip, source_mac, timeout_ms, .. } => Some(smoke::Config {
            source_ip: source_ip.unwrap_or_else(|| smoke::default_source_ip(target_ip)),
            source_mac,
            timeout: Duration::from_millis(timeout_ms),
            ..smoke::Config::new(target_ip)
        }),
        _ => None,
    }
}

fn run_smoke(port: u32, config: &smoke::Config, dry: bool) -> ExitCode {
    if dry {
        let start = AdminRequest::CaptureControl(CaptureControl { port, start: true });
        let arp = smoke::arp_request(config);
        let inject = AdminRequest::InjectFrame(InjectFrame { port, frame: &arp });
        for (what, request) in [("start capture", start), ("inject ARP request", inject)] {
            match dry_run(&request) {
                Ok(line) => println!("{what}: {line}"),
                Err(message) => {
                    eprintln!("vwire-ctl: {message}");
                    return ExitCode::from(2);
                }
            }
        }
        println!("then: the echo request, addressed to the MAC address the ARP reply names");
        return ExitCode::SUCCESS;
    }
    let mut wire = BusPort { port, started: Instant::now(), dropped: 0 };
    match smoke::run(&mut wire, config, &mut |line| println!("{line}")) {
        Ok(outcome) => {
            println!(
                "smoke test passed: {} ({}) answered ARP and ping in {} ms",
                config.target_ip,
                hex::mac(&outcome.adapter_mac),
                outcome.echo_time.as_millis()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("vwire-ctl: {error}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let (Command::Smoke { port, .. }, Some(config)) = (&cli.command, smoke_config(&cli.command)) {
        return run_smoke(*port, &config, cli.dry_run);
    }
    let mut frame = Vec::new();
    let request = match request(&cli.command, &mut frame) {
        Ok(Some(request)) => request,
        Ok(None) => return ExitCode::from(2),
        Err(message) => {
            eprintln!("vwire-ctl: {message}");
            return ExitCode::from(2);
        }
    };
    if cli.dry_run {
        return match dry_run(&request) {
            Ok(line) => {
                println!("{line}");
                ExitCode::SUCCESS
            }
            Err(message) => {
                eprintln!("vwire-ctl: {message}");
                ExitCode::from(2)
            }
        };
    }
    if let (AdminRequest::CaptureRead { port }, Command::Capture { wait_ms, .. }) = (request, &cli.command) {
        let mut wire = BusPort { port, started: Instant::now(), dropped: 0 };
        return match smoke::Wire::read_capture(&mut wire, Duration::from_millis(wait_ms.unwrap_or(0))) {
            Ok(frames) => {
                for frame in frames {
                    println!("{}", hex::frame_line(&frame));
                }
                ExitCode::SUCCESS
            }
            Err(message) => {
                eprintln!("vwire-ctl: {message}");
                ExitCode::FAILURE
            }
        };
    }
    match send(&request) {
        Ok(output) => {
            if request == AdminRequest::AddPort {
                match PortAdded::decode(&output) {
                    Ok(added) => println!("port {} added, MAC {}", added.port, hex::mac(&added.mac)),
                    Err(error) => {
                        eprintln!("vwire-ctl: the bus answered with a malformed reply: {error}");
                        return ExitCode::FAILURE;
                    }
                }
            } else if let AdminRequest::SetSpeed(SetSpeed { port, speed_bps }) = request {
                println!("port {port} offers {}b/s", speed::format_speed(speed_bps));
            } else {
                println!("done");
            }
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("vwire-ctl: {message}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(windows)]
mod device {
    //! Find the bus's interface with the configuration manager, open it, `DeviceIoControl`.
    use std::ptr;
    use vwire_proto::admin::INTERFACE_GUID;
    use windows_sys::Win32::Devices::DeviceAndDriverInstallation::{
        CM_GET_DEVICE_INTERFACE_LIST_PRESENT, CM_Get_Device_Interface_List_SizeW,
        CM_Get_Device_Interface_ListW, CR_SUCCESS,
    };
    use windows_sys::Win32::Foundation::{CloseHandle, GENERIC_READ, GENERIC_WRITE, INVALID_HANDLE_VALUE};
    use windows_sys::Win32::Storage::FileSystem::{CreateFileW, OPEN_EXISTING};
    use windows_sys::Win32::System::IO::DeviceIoControl;
    use windows_sys::core::GUID;

    /// The first present interface of the bus, as a NUL-terminated UTF-16 path.
    fn interface_path() -> Result<Vec<u16>, String> {
        let guid = GUID {
            data1: INTERFACE_GUID.data1,
            data2: INTERFACE_GUID.data2,
            data3: INTERFACE_GUID.data3,
            data4: INTERFACE_GUID.data4,
        };
        let mut length = 0u32;
        // SAFETY: valid out-pointer and GUID; no device-instance filter.
        let status = unsafe {
            CM_Get_Device_Interface_List_SizeW(
                &mut length,
                &guid,
                ptr::null(),
                CM_GET_DEVICE_INTERFACE_LIST_PRESENT,
            )
        };
        if status != CR_SUCCESS || length <= 1 {
            return Err("no vwire bus found (is vwire_bus.sys installed and started?)".into());
        }
        let mut list = vec![0u16; length as usize];
        // SAFETY: `list` holds `length` UTF-16 units, as the size call asked for.
        let status = unsafe {
            CM_Get_Device_Interface_ListW(
                &guid,
                ptr::null(),
                list.as_mut_ptr(),
                length,
                CM_GET_DEVICE_INTERFACE_LIST_PRESENT,
            )
        };
        if status != CR_SUCCESS {
            return Err(format!("CM_Get_Device_Interface_ListW failed ({status:#x})"));
        }
        // A multi-string: the first path ends at the first NUL.
        let end = list.iter().position(|unit| *unit == 0).unwrap_or(list.len());
        let mut path = list[..end].to_vec();
        path.push(0);
        Ok(path)
    }

    pub fn send(code: u32, input: &[u8], output_len: usize) -> Result<Vec<u8>, String> {
        let path = interface_path()?;
        // SAFETY: NUL-terminated path; no security attributes, no template.
        let handle = unsafe {
            CreateFileW(
                path.as_ptr(),
                GENERIC_READ | GENERIC_WRITE,
                0,
                ptr::null(),
                OPEN_EXISTING,
                0,
                ptr::null_mut(),
            )
        };
        if handle == INVALID_HANDLE_VALUE {
            return Err(format!(
                "cannot open the vwire bus: {} (run elevated: the bus admits Administrators and SYSTEM only)",
                std::io::Error::last_os_error()
            ));
        }
        let mut output = vec![0u8; output_len];
        let mut returned = 0u32;
        // SAFETY: live handle; input and output buffers of the lengths passed; synchronous (no
        // OVERLAPPED: the handle was not opened for overlapped I/O).
        let ok = unsafe {
            DeviceIoControl(
                handle,
                code,
                input.as_ptr().cast(),
                input.len() as u32,
                if output.is_empty() { ptr::null_mut() } else { output.as_mut_ptr().cast() },
                output.len() as u32,
                &mut returned,
                ptr::null_mut(),
            )
        };
        let error = std::io::Error::last_os_error();
        // SAFETY: the handle this function opened.
        unsafe { CloseHandle(handle) };
        if ok == 0 {
            return Err(format!("the bus refused the request: {error}"));
        }
        output.truncate(returned as usize);
        Ok(output)
    }
}

#[cfg(not(windows))]
mod device {
    pub fn send(_code: u32, _input: &[u8], _output_len: usize) -> Result<Vec<u8>, String> {
        Err("the vwire bus is a Windows driver; on this host use --dry-run, or miniport-lab".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vwire_proto::admin::{
        IOCTL_VWIRE_BUS_ADD_PORT, IOCTL_VWIRE_BUS_CAPTURE_CONTROL, IOCTL_VWIRE_BUS_CAPTURE_READ,
        IOCTL_VWIRE_BUS_INJECT_FRAME, IOCTL_VWIRE_BUS_REMOVE_PORT, IOCTL_VWIRE_BUS_SET_FAULTS,
        IOCTL_VWIRE_BUS_SET_LINK, IOCTL_VWIRE_BUS_SET_SPEED,
    };

    fn request_of(args: &[&str]) -> (u32, Vec<u8>, usize) {
        let cli = parse(args);
        let mut frame = Vec::new();
        let request = request(&cli.command, &mut frame).unwrap().unwrap();
        let (code, bytes) = encode(&request).unwrap();
        assert_eq!(AdminRequest::decode(code, &bytes).unwrap(), request, "{args:?}");
        (code, bytes, output_len(&request))
    }

    #[test]
    fn inject_and_capture_encode_what_the_bus_decodes() {
        let frame = format!("ff-ff-ff-ff-ff-ff:02:00:5e:10:00:01 88b5 {}", "ab".repeat(46));
        let (code, bytes, out) = request_of(&["inject", "3", &frame]);
        assert_eq!((code, out), (IOCTL_VWIRE_BUS_INJECT_FRAME, 0));
        assert_eq!(bytes.len(), 12 + 60);
        assert_eq!(bytes[4..8], 3u32.to_le_bytes());
        assert_eq!(bytes[12..18], [0xff; 6]);
        let (code, bytes, _) = request_of(&["capture", "3", "--start"]);
        assert_eq!((code, bytes[8]), (IOCTL_VWIRE_BUS_CAPTURE_CONTROL, 1));
        let (code, bytes, _) = request_of(&["capture", "3", "--stop"]);
        assert_eq!((code, bytes[8]), (IOCTL_VWIRE_BUS_CAPTURE_CONTROL, 0));
        let (code, _, out) = request_of(&["capture", "3", "--read", "--wait-ms", "250"]);
        assert_eq!((code, out), (IOCTL_VWIRE_BUS_CAPTURE_READ, CAPTURE_READ_OUTPUT));
    }

    #[test]
    fn capture_takes_exactly_one_action_and_wait_only_with_read() {
        for args in [
            &["vwire-ctl", "capture", "3"][..],
            &["vwire-ctl", "capture", "3", "--start", "--stop"],
            &["vwire-ctl", "inject", "3"],
        ] {
            assert!(Cli::try_parse_from(args).is_err(), "{args:?}");
        }
        let mut frame = Vec::new();
        let bad = parse(&["capture", "3", "--start", "--wait-ms", "5"]);
        assert!(request(&bad.command, &mut frame).is_err());
        let bad = parse(&["inject", "3", "00 11"]);
        assert!(request(&bad.command, &mut frame).unwrap_err().contains("2 bytes"));
    }

    #[test]
    fn smoke_takes_the_documented_options_and_defaults() {
        let cli = parse(&["smoke", "4", "--target-ip", "10.1.2.3"]);
        let config = smoke_config(&cli.command).unwrap();
        assert_eq!(config.source_ip, Ipv4Addr::new(10, 1, 2, 254));
        assert_eq!(config.source_mac, smoke::DEFAULT_SOURCE_MAC);
        assert_eq!(config.timeout, Duration::from_secs(5));
        let cli = parse(&[
            "smoke",
            "4",
            "--target-ip",
            "10.1.2.3",
            "--source-ip",
            "10.1.2.9",
            "--source-mac",
            "02:11:22:33:44:55",
            "--timeout-ms",
            "750",
        ]);
        let config = smoke_config(&cli.command).unwrap();
        assert_eq!(
            (config.source_ip, config.source_mac, config.timeout),
            (Ipv4Addr::new(10, 1, 2, 9), [2, 0x11, 0x22, 0x33, 0x44, 0x55], Duration::from_millis(750))
        );
        assert!(Cli::try_parse_from(["vwire-ctl", "smoke", "4"]).is_err(), "--target-ip is required");
        assert!(
            Cli::try_parse_from(["vwire-ctl", "smoke", "4", "--target-ip", "10.1.2.3", "--source-mac", "x"])
                .is_err()
        );
        assert_eq!(run_smoke(4, &config, true), ExitCode::SUCCESS, "--dry-run sends nothing");
    }

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("vwire-ctl").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn each_command_encodes_the_request_the_bus_decodes() {
        for (args, code) in [
            (&["add-port"][..], IOCTL_VWIRE_BUS_ADD_PORT),
            (&["remove-port", "3"][..], IOCTL_VWIRE_BUS_REMOVE_PORT),
            (&["link", "3", "down"][..], IOCTL_VWIRE_BUS_SET_LINK),
            (&["speed", "3", "100M"][..], IOCTL_VWIRE_BUS_SET_SPEED),
            (&["faults", "3", "--drop-ppm", "10000", "--stall"][..], IOCTL_VWIRE_BUS_SET_FAULTS),
        ] {
            let cli = parse(args);
            let mut frame = Vec::new();
            let request = request(&cli.command, &mut frame).unwrap().unwrap();
            let (encoded_code, bytes) = encode(&request).unwrap();
            assert_eq!(encoded_code, code, "{args:?}");
            // What the driver runs on the bytes it receives.
            assert_eq!(AdminRequest::decode(code, &bytes).unwrap(), request, "{args:?}");
        }
    }

    #[test]
    fn link_and_fault_arguments_reach_the_request() {
        let mut frame = Vec::new();
        let link = request(&parse(&["link", "7", "up"]).command, &mut frame).unwrap().unwrap();
        assert_eq!(link, AdminRequest::SetLink(SetLink { port: 7, up: true }));
        let mut frame = Vec::new();
        let faults = request(
            &parse(&["faults", "2", "--corrupt-ppm", "5", "--delay-us", "100", "--fail-reads"]).command,
            &mut frame,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            faults,
            AdminRequest::SetFaults(SetFaults {
                port: 2,
                corrupt_ppm: 5,
                delay_us: 100,
                fail_reads: true,
                ..SetFaults::default()
            })
        );
    }

    #[test]
    fn speed_takes_a_port_and_bits_per_second_with_or_without_a_suffix() {
        for (args, port, speed_bps) in [
            (&["speed", "3", "10M"][..], 3, 10_000_000),
            (&["speed", "7", "1G"][..], 7, 1_000_000_000),
            (&["speed", "7", "10G"][..], 7, 10_000_000_000),
            (&["speed", "1", "2500000000"][..], 1, 2_500_000_000),
        ] {
            let mut frame = Vec::new();
            let sent = request(&parse(args).command, &mut frame).unwrap().unwrap();
            assert_eq!(sent, AdminRequest::SetSpeed(SetSpeed { port, speed_bps }), "{args:?}");
            let (code, bytes, out) = request_of(args);
            assert_eq!((code, out), (IOCTL_VWIRE_BUS_SET_SPEED, 0));
            assert_eq!(bytes[8..16], speed_bps.to_le_bytes(), "{args:?}");
        }
        assert_eq!(
            dry_run(&AdminRequest::SetSpeed(SetSpeed { port: 3, speed_bps: 1_000_000_000 })).unwrap(),
            "IOCTL 0x002ae01c, 16 bytes in, 0 bytes out: 01 00 10 00 03 00 00 00 00 ca 9a 3b 00 00 00 00"
        );
        for bad in [
            &["vwire-ctl", "speed", "3", "0"][..],
            &["vwire-ctl", "speed", "3", "fast"],
            &["vwire-ctl", "speed", "3"],
        ] {
            assert!(Cli::try_parse_from(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_impossible_rate_is_refused_before_anything_is_sent() {
        let mut frame = Vec::new();
        let faults =
            request(&parse(&["faults", "1", "--drop-ppm", "2000000"]).command, &mut frame).unwrap().unwrap();
        assert!(encode(&faults).is_err());
        assert!(Cli::try_parse_from(["vwire-ctl", "link", "1", "sideways"]).is_err());
    }
}
