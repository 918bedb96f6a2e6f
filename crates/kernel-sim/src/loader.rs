//! The loader: one driver image per process at a time (a process-wide lock, so plain `cargo test`
//! with parallel threads works), a `DRIVER_OBJECT` and registry path, `DriverEntry`, and later the
//! unload routine NDIS registered, with the driver-scoped leak checks.

use crate::memory::{RawBlock, Scope};
use crate::state::Inner;
use crate::verifier::rules::*;
use crate::{AdapterState, DriverEntryFn, Phase};
use ndis_types::*;
use std::sync::{Mutex, MutexGuard};

static LOADER_LOCK: Mutex<()> = Mutex::new(());

std::thread_local! {
    static HOLDS_LOCK: core::cell::Cell<bool> = const { core::cell::Cell::new(false) };
}

/// Holding the loader lock on this thread (released with the `Sim`).
pub(crate) struct LoaderGuard(#[allow(dead_code)] MutexGuard<'static, ()>);

impl Drop for LoaderGuard {
    fn drop(&mut self) {
        HOLDS_LOCK.with(|h| h.set(false));
    }
}

/// Take the process-wide loader lock; a panic in another scenario does not poison it for the rest.
pub(crate) fn lock() -> LoaderGuard {
    assert!(
        !HOLDS_LOCK.with(|h| h.get()),
        "kernel-sim: test bug: a second Sim on a thread that still has one (one loaded driver per process); drop the first"
    );
    let guard = LOADER_LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    HOLDS_LOCK.with(|h| h.set(true));
    LoaderGuard(guard)
}

pub(crate) const SERVICE_KEY: &str =
    "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\kmdf_miniport";

#[derive(Default)]
pub(crate) struct LoaderState {
    pub(crate) driver_object: usize,
    pub(crate) registry_path: usize,
    pub(crate) blocks: Vec<RawBlock>,
    pub(crate) entry_called: bool,
    pub(crate) loaded: bool,
    pub(crate) unloaded: bool,
}

impl Inner {
    pub(crate) fn load(&self, entry: DriverEntryFn) -> NtStatus {
        let (driver_object, registry_path) = self.with(|st| {
            assert!(!st.loader.entry_called, "kernel-sim: test bug: load called twice on one Sim");
            st.loader.entry_called = true;
            // DRIVER_OBJECT (x64: 0x150 bytes, Type 4 @0, Size @2), zeroed: NDIS fills it in.
            let driver_object = RawBlock::new(0x150, 16, 0);
            // SAFETY: a fresh block of 0x150 bytes.
            unsafe {
                driver_object.ptr.cast::<i16>().write(4);
                driver_object.ptr.add(2).cast::<i16>().write(0x150);
            }
            // UNICODE_STRING { Length, MaximumLength, Buffer } over a UTF-16 copy of the key.
            let wide: Vec<u16> = SERVICE_KEY.encode_utf16().chain(Some(0)).collect();
            let text = RawBlock::new(2 * wide.len(), 16, 0);
            // SAFETY: the block holds the whole string.
            unsafe { core::ptr::copy_nonoverlapping(wide.as_ptr(), text.ptr.cast::<u16>(), wide.len()) };
            let us = RawBlock::new(16, 16, 0);
            // SAFETY: 16 bytes: USHORT Length @0, USHORT MaximumLength @2, PWSTR Buffer @8.
            unsafe {
                us.ptr.cast::<u16>().write(2 * (wide.len() as u16 - 1));
                us.ptr.add(2).cast::<u16>().write(2 * wide.len() as u16);
                us.ptr.add(8).cast::<*mut u8>().write(text.ptr);
            }
            st.loader.driver_object = driver_object.ptr as usize;
            st.loader.registry_path = us.ptr as usize;
            let handles = (DriverObject(driver_object.ptr.cast()), RegistryPath(us.ptr.cast()));
            st.loader.blocks.extend([driver_object, text, us]);
            st.cpu.phases.push(Phase::DriverEntry);
            handles
        });
        let status = self.invoke("DriverEntry", PASSIVE_LEVEL, || entry(driver_object, registry_path));
        self.with(|st| {
            st.cpu.phases.pop();
            if nt_success(status) {
                st.loader.loaded = true;
            } else {
                if st.ndis.driver_handle.is_some() && !st.ndis.deregistered {
                    let msg = format!("DriverEntry failed ({:#x}) after NdisMRegisterMiniportDriver without NdisMDeregisterMiniportDriver", status);
                    st.violate(NDIS_DEREGISTER_AT_UNLOAD, msg);
                }
                st.check_driver_leaks("DriverEntry failed");
            }
        });
        status
    }

    pub(crate) fn unload(&self) {
        let (handler, driver_object) = self.with(|st| {
            assert!(
                st.loader.loaded && !st.loader.unloaded,
                "kernel-sim: test bug: unload without a successful load, or twice"
            );
            for ad in &st.ndis.adapters {
                assert!(
                    ad.state == AdapterState::Halted,
                    "kernel-sim: test bug: NDIS halts every adapter before unloading (adapter {} is {:?})",
                    ad.id.0,
                    ad.state
                );
            }
            let handler = st.ndis.characteristics.and_then(|c| c.UnloadHandler);
            (handler, DriverObject(st.loader.driver_object as *mut _))
        });
        if let Some(handler) = handler {
            self.invoke("MiniportDriverUnload", PASSIVE_LEVEL, || {
                // SAFETY: the registered unload routine with the driver's DRIVER_OBJECT.
                unsafe { handler(driver_object) }
            });
        }
        self.with(|st| {
            st.loader.unloaded = true;
            if st.kmdf.driver.is_some() && !st.kmdf.miniport_unload_called {
                st.violate(
                    KMDF_MINIPORT_UNLOAD_CALLED,
                    "MiniportDriverUnload returned without calling WdfDriverMiniportUnload",
                );
            }
            if st.ndis.driver_handle.is_some() && !st.ndis.deregistered {
                st.violate(
                    NDIS_DEREGISTER_AT_UNLOAD,
                    "MiniportDriverUnload returned without calling NdisMDeregisterMiniportDriver",
                );
            }
            st.check_driver_leaks("MiniportDriverUnload returned");
        });
    }
}

impl crate::state::State {
    /// Everything the driver still owns when it is gone.
    fn check_driver_leaks(&mut self, when: &str) {
        let mut pool = self.memory_leaks(Scope::Driver);
        pool.extend(self.work_item_leaks(Scope::Driver));
        let (mut pools, mut mdls) = self.nbl_leaks(Scope::Driver);
        for ad in 0..self.ndis.adapters.len() {
            let scope = Scope::Adapter(crate::AdapterId(ad));
            pool.extend(self.memory_leaks(scope));
            pool.extend(self.work_item_leaks(scope));
            let (p, m) = self.nbl_leaks(scope);
            pools.extend(p);
            mdls.extend(m);
        }
        pool.extend(mdls);
        if !pool.is_empty() {
            self.violate(MEMORY_LEAK_BY_TAG, format!("{when} with {}", pool.join("; ")));
        }
        if !pools.is_empty() {
            self.violate(MEMORY_NBL_POOL_LEAK, format!("{when} with {}", pools.join("; ")));
        }
        let alive: Vec<String> = self
            .kmdf
            .objects
            .iter()
            .filter(|(h, o)| !o.deleted && Some(**h) != self.kmdf.driver)
            .map(|(h, _)| self.kmdf.describe(*h))
            .collect();
        if !alive.is_empty() && self.kmdf.miniport_unload_called {
            self.violate(KMDF_OBJECT_LEAK, format!("{when} with WDF objects alive: {}", alive.join("; ")));
        } else if !alive.is_empty() && self.loader.unloaded {
            self.violate(
                KMDF_OBJECT_LEAK,
                format!("{when} without WdfDriverMiniportUnload; WDF objects alive: {}", alive.join("; ")),
            );
        }
    }
}
