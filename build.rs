//! Build script.
//!
//! - Off Windows: nothing. wdk-build does not even compile on Linux (wdk-rs-facts.md §0), so it is a
//!   Windows-only build-dependency and the host build (kernel-sim backend) needs no WDK.
//! - On Windows: configure the KMDF driver link (wdk-build 0.6.0) and generate the NDIS bindings
//!   that wdk-sys does not have (`$OUT_DIR/ndis_bindings.rs`, included by `src/sys/windows/ndis.rs`).

#[cfg(not(windows))]
fn main() {}

#[cfg(windows)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    windows::main()
}

#[cfg(windows)]
mod windows {
    use std::env;
    use std::fs;
    use std::path::{Path, PathBuf};

    use wdk_build::{ApiSubset, BuilderExt, Config};

    /// `NTDDI_VERSION`, `_WIN32_WINNT` and `WINVER` for the NDIS bindgen run (wdk-build defines none,
    /// wdk-rs-facts.md §2 and §4 trap 2). `NTDDI_WIN10_VB` (0x0A000008) is the newest DDI level
    /// Windows 10 22H2 (build 19045, a 20H1/VB servicing release) implements; Windows 11 implements
    /// it too. Declaring the DDI level of the oldest supported OS keeps newer-only declarations out of
    /// the bindings, so the driver cannot import a routine Windows 10 22H2 lacks. ndis.h only demands
    /// `NTDDI_VERSION >= NTDDI_WIN8` for an NDIS 6.30 miniport (W:km/ndis.h, "Wrong NDIS or DDI
    /// version specified").
    const NTDDI_VERSION: &str = "0x0A000008";
    /// `_WIN32_WINNT_WIN10`.
    const WIN32_WINNT: &str = "0x0A00";

    /// Headers whose declarations go into the bindings: the NDIS family (ndis.h, ndis/*.h,
    /// ntddndis.h, ndisport.h, ...), netpnp.h, wdfminiport.h, and the shared networking headers
    /// ndis.h pulls in for types it uses and that Base/Wdf do not (ifdef.h: `NET_LUID`,
    /// `NET_IF_*`; ipifcons.h: `IF_TYPE_*`; xfilter.h: `ETH_LENGTH_OF_ADDRESS`; the rest for the
    /// offload, NDK and 802.11 structures). Everything else (ntddk, wdm, wdf) is NOT re-emitted:
    /// those types come from wdk-sys through `use wdk_sys::*;`, the way wdk-sys's own subset modules
    /// do it. If a future WDK makes an NDIS declaration depend on a header missing here, the Windows
    /// build fails with an unresolved type: add that header's name to this list.
    /// bindgen anchors the regex to the whole path (as in wdk-sys's `(?i).*wdf.*`).
    const ALLOWLIST_FILES: &str = "(?i).*(ndis|netpnp|wdfminiport|ifdef|ipifcons|xfilter|netiodef\
                                   |nldef|in6addr|inaddr|ws2def|ws2ipdef|mstcpip|ndkpi|ndkinfo\
                                   |netioddk|netdma|windot11|wlantypes|wwan|nettypes).*";

    pub fn main() -> Result<(), Box<dyn std::error::Error>> {
        // What `wdk_build::configure_wdk_binary_build()` does (wdk-build 0.6.0 src/lib.rs:
        // `Config::from_env_auto()?.configure_binary_build()`), keeping the Config for bindgen.
        let config = Config::from_env_auto()?;
        config.configure_binary_build()?;

        let out_dir = PathBuf::from(env::var("OUT_DIR")?);
        let patched_ndis_h = patch_ndis_h(&config, &out_dir)?;

        // wdf.h before ndis.h, as ndis.h's header notes require of a KMDF miniport
        // (wdk-rs-facts.md §4); then wdfminiport.h, which wdf.h does not include.
        let header = format!(
            "{}#include \"wdfminiport.h\"\n#include \"{}\"\n",
            config.bindgen_header_contents([ApiSubset::Base, ApiSubset::Wdf])?,
            patched_ndis_h.display().to_string().replace('\\', "/"),
        );

        let bindings = bindgen::Builder::wdk_default(&config)?
            .header_contents("ndis-input.h", &header)
            .clang_args([
                // A KMDF NDIS 6.30 miniport (ndis.h notes; netvmini680.vcxproj uses the same trio).
                "--define-macro=NDIS_MINIPORT_DRIVER=1".to_string(),
                "--define-macro=NDIS630_MINIPORT=1".to_string(),
                "--define-macro=NDIS_WDM=1".to_string(),
                format!("--define-macro=NTDDI_VERSION={NTDDI_VERSION}"),
                format!("--define-macro=_WIN32_WINNT={WIN32_WINNT}"),
                format!("--define-macro=WINVER={WIN32_WINNT}"),
            ])
            .allowlist_file(ALLOWLIST_FILES)
            .allowlist_recursively(false)
            .raw_line("use wdk_sys::*;")
            .generate()?;
        bindings.write_to_file(out_dir.join("ndis_bindings.rs"))?;

        // ndis.sys imports (NdisM*, NdisAllocate*, ...); in Lib/<sdk>/km/<arch>, which
        // configure_binary_build already put on the search path (wdk-rs-facts.md §4).
        println!("cargo::rustc-link-lib=ndis");
        println!("cargo::rerun-if-changed=build.rs");
        Ok(())
    }

    /// Copy ndis.h to `$OUT_DIR/ndis-patched/ndis.h` with `NDIS_API_VERSION_AVAILABLE` rewritten so
    /// clang evaluates it the way MSVC does.
    ///
    /// The original, `#define NDIS_API_VERSION_AVAILABLE(major,minor) ((((0x ## major) << 8) +
    /// (0x ## minor)) >= NDIS_MIN_API)`, is used as
    /// `#if !NDIS_API_VERSION_AVAILABLE(NDIS_MINIPORT_MAJOR_VERSION, NDIS_MINIPORT_MINOR_VERSION)`.
    /// MSVC's traditional preprocessor expands the arguments before pasting; standard C (clang) pastes
    /// the argument tokens first, giving the invalid `0xNDIS_MINIPORT_MAJOR_VERSION`
    /// (wdk-rs-facts.md §4 trap 1). One extra level of expansion gives the standard preprocessor the
    /// MSVC result, so the header's own "not supported on the target architecture" check still runs
    /// (public Rust NDIS projects replace the macro with `(1)` instead, which drops that check).
    fn patch_ndis_h(config: &Config, out_dir: &Path) -> Result<PathBuf, Box<dyn std::error::Error>> {
        let original = config
            .include_paths()?
            .map(|dir| dir.join("ndis.h"))
            .find(|candidate| candidate.is_file())
            .ok_or("ndis.h not found in the WDK include paths (km)")?;
        println!("cargo::rerun-if-changed={}", original.display());

        let text = fs::read_to_string(&original)?;
        let mut replaced = 0;
        let patched: String = text
            .lines()
            .map(|line| {
                if line.trim_start().starts_with("#define NDIS_API_VERSION_AVAILABLE(") {
                    replaced += 1;
                    concat!(
                        "#define NDIS_API_VERSION_AVAILABLE_PASTE(major,minor) ",
                        "((((0x ## major) << 8) + (0x ## minor)) >= NDIS_MIN_API)\n",
                        "#define NDIS_API_VERSION_AVAILABLE(major,minor) ",
                        "NDIS_API_VERSION_AVAILABLE_PASTE(major,minor) ",
                        "/* patched by kmdf-miniport build.rs */",
                    )
                    .to_string()
                } else {
                    line.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        if replaced != 1 {
            return Err(format!(
                "expected exactly one `#define NDIS_API_VERSION_AVAILABLE(` in {}, found {replaced}",
                original.display()
            )
            .into());
        }

        let patched_dir = out_dir.join("ndis-patched");
        fs::create_dir_all(&patched_dir)?;
        let patched_path = patched_dir.join("ndis.h");
        // Rewrite only on change, so the file's mtime does not force bindgen reruns.
        if fs::read_to_string(&patched_path).ok().as_deref() != Some(patched.as_str()) {
            fs::write(&patched_path, patched)?;
        }
        Ok(patched_path)
    }
}
