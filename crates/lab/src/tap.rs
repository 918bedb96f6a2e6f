//! `--tap`: one hub port bridged to a Linux TAP device inside a network namespace the lab creates,
//! so the kernel's own TCP/IP stack talks through the real driver code to the stack above adapter 0.
//!
//! Only 192.0.2.0/24 (TEST-NET-1) inside the new namespace is used: the namespace holds the TAP
//! device (192.0.2.2/24) and its loopback; the machine's own interfaces are never touched. The TAP is
//! opened from a thread that entered the namespace, so it is created there directly. Dropping the
//! [`Tap`] closes it and deletes the namespace (which destroys the device); a Ctrl-C ends the run
//! through the same path. Namespaces left by a killed lab (`mplab-PID` of a dead PID) are removed
//! the next time one starts.
//!
//! The raw calls (open `/dev/net/tun`, `TUNSETIFF`, `setns`, `read`/`write`/`poll`) are all here.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::Command;
use std::time::Duration;

/// The namespace's address; the stack above adapter 0 is 192.0.2.1.
pub const NAMESPACE_ADDRESS: &str = "192.0.2.2";
pub const DEVICE: &str = "mplab0";
/// The TAP device's MAC: the station address of the model's tap port on the hub.
pub const DEVICE_MAC: &str = "02:76:77:00:ff:fe";

const IFF_TAP: libc::c_short = 0x0002;
const IFF_NO_PI: libc::c_short = 0x1000;
const TUNSETIFF: libc::c_ulong = 0x4004_54ca;

#[repr(C)]
struct IfReq {
    name: [libc::c_char; libc::IFNAMSIZ],
    flags: libc::c_short,
    _pad: [u8; 22],
}

pub struct Tap {
    pub namespace: String,
    pub device: String,
    fd: OwnedFd,
    buf: Vec<u8>,
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run `ip`: {e} (install iproute2)"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("`ip {}` failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()))
    }
}

/// Why TAP mode cannot run here, if it cannot.
pub fn unavailable() -> Option<String> {
    if cfg!(not(target_os = "linux")) {
        return Some("TAP mode needs Linux".into());
    }
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Some(
            "TAP mode needs root (CAP_NET_ADMIN to create a network namespace and a TAP device)".into(),
        );
    }
    if !std::path::Path::new("/dev/net/tun").exists() {
        return Some("/dev/net/tun is missing (no TUN/TAP support in this kernel or container)".into());
    }
    match Command::new("ip").arg("-V").output() {
        Ok(o) if o.status.success() => None,
        _ => Some("the `ip` command (iproute2) is not installed".into()),
    }
}

/// Remove `mplab-PID` and `mplab-PID-N` namespaces whose lab is gone.
fn remove_stale_namespaces() {
    let Ok(out) = Command::new("ip").args(["netns", "list"]).output() else { return };
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let name = line.split_whitespace().next().unwrap_or("");
        let pid =
            name.strip_prefix("mplab-").and_then(|p| p.split('-').next()).and_then(|p| p.parse::<u32>().ok());
        let Some(pid) = pid else { continue };
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = ip(&["netns", "del", name]);
        }
    }
}

/// Open a TAP named `name` in the namespace `ns`, from a thread that entered it.
fn open_tap_in(ns: &str, name: &str) -> Result<OwnedFd, String> {
    let ns_path = format!("/run/netns/{ns}");
    let name = name.to_string();
    std::thread::spawn(move || -> Result<OwnedFd, String> {
        let nsf = std::fs::File::open(&ns_path).map_err(|e| format!("{ns_path}: {e}"))?;
        // SAFETY: a valid namespace fd; setns affects only this thread, which ends right after.
        if unsafe { libc::setns(nsf.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
            return Err(format!("setns({ns_path}): {}", io::Error::last_os_error()));
        }
        let path = CString::new("/dev/net/tun").expect("no NUL");
        // SAFETY: a NUL-terminated path.
        let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDWR | libc::O_NONBLOCK | libc::O_CLOEXEC) };
        if fd < 0 {
            return Err(format!("/dev/net/tun: {}", io::Error::last_os_error()));
        }
        // SAFETY: a fresh fd this thread owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let mut req = IfReq { name: [0; libc::IFNAMSIZ], flags: IFF_TAP | IFF_NO_PI, _pad: [0; 22] };
        for (d, s) in req.name.iter_mut().zip(name.bytes().take(libc::IFNAMSIZ - 1)) {
            *d = s as libc::c_char;
        }
        // SAFETY: TUNSETIFF reads and writes an ifreq, which `req` is laid out as.
        if unsafe { libc::ioctl(fd.as_raw_fd(), TUNSETIFF as _, &mut req) } < 0 {
            return Err(format!("TUNSETIFF {name}: {}", io::Error::last_os_error()));
        }
        Ok(fd)
    })
    .join()
    .map_err(|_| "the namespace thread panicked".to_string())?
}

impl Tap {
    /// Create the namespace `mplab-PID` with the TAP device `mplab0` at 192.0.2.2/24, up.
    pub fn create(_seed: u64) -> Result<Tap, String> {
        Self::create_in(&format!("mplab-{}", std::process::id()), NAMESPACE_ADDRESS, DEVICE_MAC)
    }

    /// Create the namespace `namespace` with the TAP device `mplab0` at `address`/24 with `mac`,
    /// up. Without a vnet header (`IFF_VNET_HDR`) and with no `TUNSETOFFLOAD`, Linux offloads nothing
    /// to the device: it hands over every frame segmented and checksummed, at most MTU + 14 bytes.
    pub fn create_in(namespace: &str, address: &str, mac: &str) -> Result<Tap, String> {
        if let Some(why) = unavailable() {
            return Err(format!("TAP mode is not available here: {why}"));
        }
        remove_stale_namespaces();
        let namespace = namespace.to_string();
        ip(&["netns", "add", &namespace])?;
        let setup = || -> Result<OwnedFd, String> {
            let fd = open_tap_in(&namespace, DEVICE)?;
            ip(&["-n", &namespace, "link", "set", "dev", DEVICE, "address", mac])?;
            ip(&["-n", &namespace, "addr", "add", &format!("{address}/24"), "dev", DEVICE])?;
            ip(&["-n", &namespace, "link", "set", "dev", "lo", "up"])?;
            ip(&["-n", &namespace, "link", "set", "dev", DEVICE, "up"])?;
            // IPv6 autoconfiguration chatter is not part of the lab (best effort).
            let _ = Command::new("ip")
                .args(["netns", "exec", &namespace, "sh", "-c"])
                .arg(format!("echo 1 > /proc/sys/net/ipv6/conf/{DEVICE}/disable_ipv6"))
                .output();
            Ok(fd)
        };
        match setup() {
            Ok(fd) => Ok(Tap { namespace, device: DEVICE.into(), fd, buf: vec![0; 65536] }),
            Err(e) => {
                let _ = ip(&["netns", "del", &namespace]);
                Err(e)
            }
        }
    }

    /// How to use it, for the console.
    pub fn usage(&self) -> String {
        let ns = &self.namespace;
        format!(
            "TAP: network namespace {ns}, device {DEVICE} ({NAMESPACE_ADDRESS}/24, MAC {DEVICE_MAC}) <-> vwire hub <-> adapter 0 (192.0.2.1)\n\
             Try, from another shell (Ctrl-C here ends the run and removes the namespace):\n\
             \x20 ip netns exec {ns} ping -c 3 192.0.2.1\n\
             \x20 ip netns exec {ns} curl -s http://192.0.2.1/bytes/100000 | od -A d -t u1 | head\n\
             \x20 ip netns exec {ns} bash -c 'exec 3<>/dev/tcp/192.0.2.1/7; echo hello >&3; head -1 <&3'   # TCP echo\n\
             \x20 ip netns exec {ns} tcpdump -ni {DEVICE}"
        )
    }

    /// Every frame the kernel sent since the last call (at most 512).
    pub fn read_frames(&mut self) -> io::Result<Vec<Vec<u8>>> {
        let mut frames = Vec::new();
        while frames.len() < 512 {
            // SAFETY: reads at most `buf.len()` bytes into `buf`.
            let n = unsafe { libc::read(self.fd.as_raw_fd(), self.buf.as_mut_ptr().cast(), self.buf.len()) };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::Interrupted {
                    break;
                }
                return Err(e);
            }
            let n = n as usize;
            // Longer than the hub carries (1518): the kernel offloads nothing here, so it is noise.
            if (14..=1518).contains(&n) {
                frames.push(self.buf[..n].to_vec());
            }
        }
        Ok(frames)
    }

    /// Hand frames to the kernel (a full TAP queue drops them, as a wire would).
    pub fn write_frames(&mut self, frames: &[Vec<u8>]) -> io::Result<()> {
        for f in frames {
            // SAFETY: writes `f.len()` bytes from `f`.
            let n = unsafe { libc::write(self.fd.as_raw_fd(), f.as_ptr().cast(), f.len()) };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::WouldBlock && e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// Sleep until the kernel sends a frame or `timeout` passes.
    pub fn wait(&self, timeout: Duration) {
        wait_any(std::slice::from_ref(self), timeout);
    }
}

/// Sleep until the kernel sends a frame on any of `taps` or `timeout` passes.
pub fn wait_any(taps: &[Tap], timeout: Duration) {
    let mut polls: Vec<libc::pollfd> = taps
        .iter()
        .map(|t| libc::pollfd { fd: t.fd.as_raw_fd(), events: libc::POLLIN, revents: 0 })
        .collect();
    // SAFETY: `polls.len()` valid pollfds.
    unsafe {
        libc::poll(polls.as_mut_ptr(), polls.len() as libc::nfds_t, timeout.as_millis().min(1000) as i32)
    };
}

impl Drop for Tap {
    fn drop(&mut self) {
        // Deleting the namespace destroys the TAP device in it (the fd closes after this).
        let _ = ip(&["netns", "del", &self.namespace]);
    }
}
