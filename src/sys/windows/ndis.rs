//! The bindings `build.rs` generates with bindgen from `wdfminiport.h` and `ndis.h`
//! (`$OUT_DIR/ndis_bindings.rs`): wdk-sys binds neither (wdk-build 0.6.0 `src/lib.rs:320-337` has
//! no network `ApiSubset`, and WDF-SRC wdf.h does not include wdfminiport.h). Only items declared
//! in the NDIS family of headers (and `wdfminiport.h`) are emitted;
//! every ntddk/wdf type they mention comes from `wdk_sys` through the `pub use wdk_sys::*;` line
//! bindgen writes at the top of the file, so `MDL`, `DEVICE_OBJECT`, `WDFDRIVER`, ... are the wdk-sys
//! types (`pub` because ndis.h re-exports some of them under NDIS names; build.rs says why).
//!
//! Nothing here is edited by hand; `layout.rs` checks these types against the ndis-types mirrors.
#![allow(
    non_upper_case_globals,
    non_camel_case_types,
    non_snake_case,
    dead_code,
    unused_imports,
    improper_ctypes,
    unsafe_op_in_unsafe_fn,
    unnecessary_transmutes,
    clippy::all,
    clippy::pedantic,
    clippy::restriction,
    // clippy::large_stack_frames (denied for the driver in lib.rs) flags bindgen's `Default` impls
    // of the large 802.11 and offload structures: generated, and never called by the driver.
    clippy::nursery,
    reason = "bindgen output of ndis.h/wdfminiport.h, kept exactly as generated"
)]

include!(concat!(env!("OUT_DIR"), "/ndis_bindings.rs"));
