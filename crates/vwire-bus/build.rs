//! Build script of `vwire_bus.sys`.
//!
//! - Off Windows: nothing. wdk-build does not compile on Linux (wdk-build 0.6.0 depends on `windows`
//!   0.62.2 unconditionally, whose `windows-future` fails to build there, and its
//!   `src/cargo_make.rs:921, 936` call `std::os::windows::fs::symlink_file` unguarded), so it is a
//!   Windows-only build-dependency; the portable `bus`, hub and `control` build and test without a WDK.
//! - On Windows: `wdk_build::configure_wdk_binary_build()` (wdk-build 0.6.0 `src/lib.rs`:
//!   `Config::from_env_auto()?.configure_binary_build()`): the KMDF link arguments
//!   (`/DRIVER /ENTRY:FxDriverEntry ...`), the WDK library paths and the `driver_model__driver_type`
//!   cfg, from the workspace's `[workspace.metadata.wdk.driver-model]` (KMDF 1.31). The bus needs no
//!   bindings beyond wdk-sys's (ntddk + wdf), unlike the miniport's ndis.h run.

#[cfg(not(windows))]
fn main() {}

#[cfg(windows)]
fn main() -> Result<(), wdk_build::ConfigError> {
    wdk_build::configure_wdk_binary_build()
}
