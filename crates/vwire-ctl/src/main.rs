//! `vwire-ctl`: the administrator's tool for the vwire bus (`vwire_bus.sys`). It opens the bus's
//! control interface (`vwire_proto::admin::INTERFACE_GUID`, Administrators and SYSTEM only, per the
//! INF's DACL) and sends one admin IOCTL:
//!
//! ```text
//! vwire-ctl add-port                       # a new port: PnP installs a miniport adapter on it
//! vwire-ctl remove-port 3                  # surprise-removes the adapter on port 3
//! vwire-ctl link 3 down                    # link state of port 3
//! vwire-ctl faults 3 --drop-ppm 10000 --delay-us 500
//! vwire-ctl --dry-run faults 3 --stall     # print the IOCTL and its bytes; runs on any host
//! ```

use clap::{Parser, Subcommand, ValueEnum};
use std::process::ExitCode;
use vwire_proto::admin::{AdminRequest, PortAdded, SetFaults, SetLink};

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
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum LinkState {
    Up,
    Down,
}

/// The admin request a command stands for.
fn request(command: &Command) -> AdminRequest {
    match *command {
        Command::AddPort => AdminRequest::AddPort,
        Command::RemovePort { port } => AdminRequest::RemovePort { port },
        Command::Link { port, state } => AdminRequest::SetLink(SetLink { port, up: state == LinkState::Up }),
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
    }
}

/// The IOCTL code and input bytes of a request (the bus validates them the same way).
fn encode(request: &AdminRequest) -> Result<(u32, Vec<u8>), String> {
    let mut buffer = [0u8; 64];
    let (code, length) = request.encode(&mut buffer).map_err(|error| format!("cannot encode: {error}"))?;
    Ok((code, buffer[..length].to_vec()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect::<Vec<_>>().join(" ")
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let request = request(&cli.command);
    let (code, input) = match encode(&request) {
        Ok(encoded) => encoded,
        Err(message) => {
            eprintln!("vwire-ctl: {message}");
            return ExitCode::from(2);
        }
    };
    if cli.dry_run {
        println!(
            "IOCTL {code:#010x}, {} bytes in, {} bytes out: {}",
            input.len(),
            request.output_len(),
            hex(&input)
        );
        return ExitCode::SUCCESS;
    }
    match device::send(code, &input, request.output_len()) {
        Ok(output) => {
            if request == AdminRequest::AddPort {
                match PortAdded::decode(&output) {
                    Ok(added) => {
                        let mac = added.mac.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join("-");
                        println!("port {} added, MAC {mac}", added.port);
                    }
                    Err(error) => {
                        eprintln!("vwire-ctl: the bus answered with a malformed reply: {error}");
                        return ExitCode::FAILURE;
                    }
                }
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
        IOCTL_VWIRE_BUS_ADD_PORT, IOCTL_VWIRE_BUS_REMOVE_PORT, IOCTL_VWIRE_BUS_SET_FAULTS,
        IOCTL_VWIRE_BUS_SET_LINK,
    };

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("vwire-ctl").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn each_command_encodes_the_request_the_bus_decodes() {
        for (args, code) in [
            (&["add-port"][..], IOCTL_VWIRE_BUS_ADD_PORT),
            (&["remove-port", "3"][..], IOCTL_VWIRE_BUS_REMOVE_PORT),
            (&["link", "3", "down"][..], IOCTL_VWIRE_BUS_SET_LINK),
            (&["faults", "3", "--drop-ppm", "10000", "--stall"][..], IOCTL_VWIRE_BUS_SET_FAULTS),
        ] {
            let cli = parse(args);
            let request = request(&cli.command);
            let (encoded_code, bytes) = encode(&request).unwrap();
            assert_eq!(encoded_code, code, "{args:?}");
            // What the driver runs on the bytes it receives.
            assert_eq!(AdminRequest::decode(code, &bytes).unwrap(), request, "{args:?}");
        }
    }

    #[test]
    fn link_and_fault_arguments_reach_the_request() {
        let link = request(&parse(&["link", "7", "up"]).command);
        assert_eq!(link, AdminRequest::SetLink(SetLink { port: 7, up: true }));
        let faults = request(
            &parse(&["faults", "2", "--corrupt-ppm", "5", "--delay-us", "100", "--fail-reads"]).command,
        );
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
    fn an_impossible_rate_is_refused_before_anything_is_sent() {
        let faults = request(&parse(&["faults", "1", "--drop-ppm", "2000000"]).command);
        assert!(encode(&faults).is_err());
        assert!(Cli::try_parse_from(["vwire-ctl", "link", "1", "sideways"]).is_err());
    }
}
