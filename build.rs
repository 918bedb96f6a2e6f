//! Build script.
//!
//! - Off Windows: nothing. wdk-build does not even compile on Linux (docs/architecture.md), so it is a
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

    use bindgen::callbacks::{DeriveTrait, ImplementsTrait, ParseCallbacks};
    use wdk_build::{ApiSubset, BuilderExt, Config};

    /// `NTDDI_VERSION`, `_WIN32_WINNT` and `WINVER` for the NDIS bindgen run (wdk-build defines none,
    /// wdk-build 0.6.0 `src/lib.rs:673-686` has them commented out; W:km/ndis.h:471-489 rejects an NDIS
    /// version the DDI level lacks). `NTDDI_WIN10_VB` (0x0A000008, W:shared/sdkddkver.h:156, next
    /// after `NTDDI_WIN10_19H1`) is the DDI level of Windows 10 2004 (build 19041, the INFs' OS
    /// floor), which its servicing releases up to 22H2 (build 19045) keep; Windows 11 implements it
    /// too. Declaring the DDI level of the oldest supported OS keeps newer-only declarations out of
    /// the bindings, so the driver cannot import a routine Windows 10 2004 lacks. ndis.h only demands
    /// `NTDDI_VERSION >= NTDDI_WIN8` for an NDIS 6.30 miniport (W:km/ndis.h, "Wrong NDIS or DDI
    /// version specified", :489).
    const NTDDI_VERSION: &str = "0x0A000008";
    /// `_WIN32_WINNT_WIN10`.
    const WIN32_WINNT: &str = "0x0A00";

    /// Headers whose declarations go into the bindings: the NDIS family (ndis.h, ndis/*.h,
    /// ntddndis.h, ndisport.h, ...), netpnp.h, wdfminiport.h, and the shared networking headers
    /// ndis.h pulls in for types it uses and that Base/Wdf do not (ifdef.h: `NET_LUID`,
    /// `NET_IF_*`; ipifcons.h: `IF_TYPE_*`; xfilter.h: `ETH_LENGTH_OF_ADDRESS`; the rest for the
    /// offload, NDK and 802.11 structures). Everything else (ntddk, wdm, wdf) is NOT re-emitted:
    /// those types come from wdk-sys through the `pub use wdk_sys::*;` line (why `pub`: at the
    /// `raw_line` below), much as wdk-sys's own subset modules `use crate::types::*;`. If a future
    /// WDK makes an NDIS declaration depend on a header missing here, the Windows build fails with
    /// an unresolved type: add that header's name to this list.
    /// bindgen anchors the regex to the whole path (as in wdk-sys's `(?i).*wdf.*`).
    ///
    /// `qos`: ndis.h includes `<qos.h>` unconditionally (WDK 10.0.22621 km/ndis.h:13663) and uses
    /// its `FLOWSPEC` by value in `CO_CALL_MANAGER_PARAMETERS` (km/ndis.h:13672-13677); wdk-sys does
    /// not bind qos.h, so without it the bindings name a type that exists nowhere (E0425).
    const ALLOWLIST_FILES: &str = "(?i).*(ndis|netpnp|wdfminiport|ifdef|ipifcons|xfilter|netiodef\
                                   |nldef|in6addr|inaddr|ws2def|ws2ipdef|mstcpip|ndkpi|ndkinfo\
                                   |netioddk|netdma|windot11|wlantypes|wwan|nettypes|qos).*";

    /// Legacy NDIS unions whose data arm is an MS-extension unnamed member of a *named* type
    /// (`NET_BUFFER_DATA;` in `NET_BUFFER_HEADER`, km/ndis/nbl.h:53-62; `NET_BUFFER_LIST_DATA;` in
    /// `NET_BUFFER_LIST_HEADER`, km/ndis/nbl.h:159-167; the `#else` of `#ifdef __cplusplus`, and
    /// ndis.h defines `NDIS_INCLUDE_LEGACY_NAMES`, km/ndis.h:259). bindgen 0.73.2 makes an unnamed
    /// field only from an anonymous record *declared* inside the parent (`ir/comp.rs`, the
    /// `cur.is_anonymous()` branch of `CompInfo::from_ty`), so it drops this member: the union keeps
    /// only `Link` and, once it is a real Rust union (see [`NonEmittedTypesAreCopy`]),
    /// `NET_BUFFER_HEADER` is 16 bytes where clang says 48 and bindgen's own layout test fails.
    /// Opaque, bindgen emits the clang size and alignment as a blob ("Treating a Type as an Opaque
    /// Blob of Bytes", https://rust-lang.github.io/rust-bindgen/opaque.html), so `NET_BUFFER` and
    /// `NET_BUFFER_LIST` keep their layout. The driver reads these heads through the named
    /// `NET_BUFFER_DATA`/`NET_BUFFER_LIST_DATA` and the anonymous members of `NET_BUFFER`/
    /// `NET_BUFFER_LIST`, never through the legacy unions; `layout.rs` checks the blobs' sizes.
    const OPAQUE_TYPES: [&str; 2] = ["_NET_BUFFER_HEADER", "_NET_BUFFER_LIST_HEADER"];

    /// Tells bindgen that every type it parses but does not emit is `Copy`.
    ///
    /// With `allowlist_recursively(false)`, the wdk-sys types the NDIS declarations use (`ULONG`,
    /// `MDL`, `SLIST_HEADER`, ...) are not allowlisted, and bindgen's derive analysis asks
    /// `ParseCallbacks::blocklisted_type_implements_trait` about them; with no answer it assumes
    /// they do not implement the trait (bindgen 0.73.2 `ir/analysis/derive.rs` `constrain_type`,
    /// `ir/context.rs` `blocklisted_type_implements_trait`: `unwrap_or(CanDerive::No)`; the
    /// callback's contract is documented on `bindgen::callbacks::ParseCallbacks`). Every NDIS union
    /// holding one then becomes a struct of zero-sized `__BindgenUnionField`s (no `Next` field on
    /// `NET_BUFFER`'s anonymous union: E0609 in `layout.rs`). The answer is true: they are
    /// wdk-sys's own bindgen output, which derives `Copy` for plain C data; if a WDK ever makes an
    /// NDIS type hold a non-`Copy` wdk-sys type by value, the derive fails to compile (E0204)
    /// instead of silently changing a layout. Only `Copy` is answered: `Debug`/`Default` keep
    /// bindgen's default for such types (a manual zeroing `Default`, no `Debug`).
    #[derive(Debug)]
    struct NonEmittedTypesAreCopy;

    impl ParseCallbacks for NonEmittedTypesAreCopy {
        fn blocklisted_type_implements_trait(
            &self,
            _name: &str,
            derive_trait: DeriveTrait,
        ) -> Option<ImplementsTrait> {
            (derive_trait == DeriveTrait::Copy).then_some(ImplementsTrait::Yes)
        }
    }

    pub fn main() -> Result<(), Box<dyn std::error::Error>> {
        // What `wdk_build::configure_wdk_binary_build()` does (wdk-build 0.6.0 src/lib.rs:
        // `Config::from_env_auto()?.configure_binary_build()`), keeping the Config for bindgen.
        let config = Config::from_env_auto()?;
        config.configure_binary_build()?;

        let out_dir = PathBuf::from(env::var("OUT_DIR")?);
        let patched_ndis_h = patch_ndis_h(&config, &out_dir)?;

        // wdf.h before ndis.h, as ndis.h's header notes require of a KMDF miniport
        // (W:km/ndis.h:20-24); then wdfminiport.h, which wdf.h does not include.
        let header = format!(
            "{}#include \"wdfminiport.h\"\n#include \"{}\"\n",
            config.bindgen_header_contents([ApiSubset::Base, ApiSubset::Wdf])?,
            patched_ndis_h.display().to_string().replace('\\', "/"),
        );

        let mut builder = bindgen::Builder::wdk_default(&config)?;
        for opaque in OPAQUE_TYPES {
            builder = builder.opaque_type(opaque);
        }
        let bindings = builder
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
            // Last, so its answer wins over wdk_default's callbacks (bindgen 0.73.2 `lib.rs`
            // `last_callback`: the last `Some` answer is used).
            .parse_callbacks(Box::new(NonEmittedTypesAreCopy))
            // `pub`: ndis.h re-exports wdk-sys types under NDIS names, e.g. `typedef
            // KINTERRUPT_MODE NDIS_INTERRUPT_MODE` (km/ndis.h:1151), which bindgen emits as
            // `pub use self::KINTERRUPT_MODE as NDIS_INTERRUPT_MODE;` (KINTERRUPT_MODE is a
            // ModuleConsts enum alias). A `pub use` of a name that only a private `use` brought in
            // is E0365, so the glob import must itself be public. The bindings module is
            // `pub(crate)`, so nothing leaves the crate this way.
            .raw_line("pub use wdk_sys::*;")
            .generate()?;
        bindings.write_to_file(out_dir.join("ndis_bindings.rs"))?;

        // ndis.sys imports (NdisM*, NdisAllocate*, ...); in Lib/<sdk>/km/<arch>, which
        // configure_binary_build already put on the search path (wdk-build 0.6.0 `src/lib.rs:630-638`,
        // `:1227-1230`).
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
    /// (W:km/ndis.h:281, used at :363). One extra level of expansion gives the standard preprocessor the
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
