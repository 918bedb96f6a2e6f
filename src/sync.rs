//! [`SpinLock`]: data guarded by an `NDIS_SPIN_LOCK`.
//!
//! Invariant: `data` is reached only through a [`SpinLockGuard`], which exists only while the
//! kernel spin lock is held and releases it with the call that matches how it was acquired (the
//! IRQL saved by `KeAcquireSpinLockRaiseToDpc` is restored by `KeReleaseSpinLock`; one taken at
//! DISPATCH_LEVEL is released with `KeReleaseSpinLockFromDpcLevel`).
#![allow(unsafe_code)]

use crate::sys::{self, at_dispatch_level};
use bytemuck::Zeroable;
use core::cell::UnsafeCell;
use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};
use core::ptr;
use ndis_types::Kirql;

/// `NDIS_SPIN_LOCK` (W:km/ndis.h:1114-1118): the `KSPIN_LOCK` and the IRQL to return to.
#[repr(C)]
#[derive(Zeroable)]
struct NdisSpinLock {
    spin_lock: usize,
    old_irql: Kirql,
}

/// Data guarded by an `NDIS_SPIN_LOCK`. `lock` is `NdisAcquireSpinLock` (which ndis.h expands to
/// `KeAcquireSpinLockRaiseToDpc`), `lock_at_dpc` is `NdisDprAcquireSpinLock`
/// (`KeAcquireSpinLockAtDpcLevel`). The guard releases with the matching call. All-zero is the state
/// `KeInitializeSpinLock` leaves a lock in, so a lock can start life in zeroed pool memory.
#[derive(Zeroable)]
pub struct SpinLock<T> {
    raw: UnsafeCell<NdisSpinLock>,
    data: UnsafeCell<T>,
}

// SAFETY: access to `data` is serialized by the kernel spin lock, which is what makes the C
// equivalent safe to share between processors.
unsafe impl<T: Send> Sync for SpinLock<T> {}
// SAFETY: as above; moving the lock moves its data.
unsafe impl<T: Send> Send for SpinLock<T> {}

impl<T> SpinLock<T> {
    /// `NdisAllocateSpinLock`: `KeInitializeSpinLock(&lock->SpinLock)`.
    pub fn initialize(&mut self) {
        // SAFETY: the KSPIN_LOCK lives inside `self`, borrowed exclusively: nobody holds or waits
        // for the lock while it is initialized.
        unsafe { sys::ke_initialize_spin_lock(ptr::addr_of_mut!((*self.raw.get()).spin_lock)) }
    }

    /// `NdisAcquireSpinLock`: raises to DISPATCH_LEVEL.
    pub fn lock(&self) -> SpinLockGuard<'_, T> {
        // SAFETY: the KSPIN_LOCK lives inside `self`; the OS serializes holders.
        let old_irql = unsafe { sys::ke_acquire_spin_lock_raise_to_dpc(self.spin_lock_ptr()) };
        // SAFETY: we hold the lock, so nobody else touches `old_irql`.
        unsafe { (*self.raw.get()).old_irql = old_irql };
        SpinLockGuard { lock: self, at_dpc: false, _not_send: PhantomData }
    }

    /// `NdisDprAcquireSpinLock`: the caller is already at DISPATCH_LEVEL. Only where that is
    /// known (NDIS said so with `NDIS_SEND_FLAGS_DISPATCH_LEVEL`); elsewhere [`SpinLock::lock_any`]
    /// asks the IRQL. At PASSIVE_LEVEL it would leave the processor preemptible with the lock held,
    /// which Driver Verifier reports as an IRQL violation.
    pub fn lock_at_dpc(&self) -> SpinLockGuard<'_, T> {
        // SAFETY: as in `lock`.
        unsafe { sys::ke_acquire_spin_lock_at_dpc_level(self.spin_lock_ptr()) };
        SpinLockGuard { lock: self, at_dpc: true, _not_send: PhantomData }
    }

    /// Acquire the way the current IRQL requires.
    pub fn lock_any(&self) -> SpinLockGuard<'_, T> {
        if at_dispatch_level() { self.lock_at_dpc() } else { self.lock() }
    }

    fn spin_lock_ptr(&self) -> *mut usize {
        // SAFETY: only the address is taken.
        unsafe { ptr::addr_of_mut!((*self.raw.get()).spin_lock) }
    }
}

/// Holding an [`SpinLock`]; released on drop with the call that matches the acquire.
pub struct SpinLockGuard<'a, T> {
    lock: &'a SpinLock<T>,
    at_dpc: bool,
    /// The release must happen on the processor that acquired.
    _not_send: PhantomData<*mut ()>,
}

impl<T> Deref for SpinLockGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard proves the lock is held.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T> DerefMut for SpinLockGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard proves the lock is held, and it is borrowed mutably.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T> Drop for SpinLockGuard<'_, T> {
    fn drop(&mut self) {
        let lock = self.lock.spin_lock_ptr();
        if self.at_dpc {
            // SAFETY: we hold the lock, acquired at DPC level.
            unsafe { sys::ke_release_spin_lock_from_dpc_level(lock) }
        } else {
            // SAFETY: we hold the lock; `old_irql` was stored when it was acquired.
            unsafe {
                let old_irql = (*self.lock.raw.get()).old_irql;
                sys::ke_release_spin_lock(lock, old_irql)
            }
        }
    }
}

/// The atomics the driver synchronizes with, through one seam (as `tokio/src/loom/` does): the
/// processor's own everywhere, and under the schedule explorer (`--cfg shuttle`, `tests/schedules.rs`)
/// the same atomics with a point before each operation where another virtual processor may run.
pub mod atomic {
    #[cfg(not(shuttle))]
    pub use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, Ordering};

    #[cfg(shuttle)]
    pub use core::sync::atomic::Ordering;
    #[cfg(shuttle)]
    pub use explored::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64};

    #[cfg(shuttle)]
    mod explored {
        use core::sync::atomic::{self, Ordering};
        use shuttle_engine::runtime::thread::switch;

        macro_rules! explored_atomic {
            ($name:ident, $value:ty, $($int:ident)?) => {
                /// The processor's atomic, with a scheduling point before each operation.
                #[repr(transparent)]
                #[derive(Default)]
                pub struct $name(atomic::$name);

                // SAFETY: `repr(transparent)` over the core atomic, for which all-zero is valid.
                unsafe impl bytemuck::Zeroable for $name {}

                // The operations of every width are generated; each width's users need only some.
                #[allow(dead_code)]
                impl $name {
                    pub const fn new(value: $value) -> Self {
                        Self(atomic::$name::new(value))
                    }

                    pub fn load(&self, order: Ordering) -> $value {
                        switch();
                        self.0.load(order)
                    }

                    pub fn store(&self, value: $value, order: Ordering) {
                        switch();
                        self.0.store(value, order)
                    }

                    pub fn swap(&self, value: $value, order: Ordering) -> $value {
                        switch();
                        self.0.swap(value, order)
                    }

                    pub fn get_mut(&mut self) -> &mut $value {
                        self.0.get_mut()
                    }

                    $(
                        pub fn fetch_add(&self, value: $int, order: Ordering) -> $int {
                            switch();
                            self.0.fetch_add(value, order)
                        }

                        pub fn fetch_sub(&self, value: $int, order: Ordering) -> $int {
                            switch();
                            self.0.fetch_sub(value, order)
                        }
                    )?
                }
            };
        }

        explored_atomic!(AtomicBool, bool,);
        explored_atomic!(AtomicU32, u32, u32);
        explored_atomic!(AtomicU64, u64, u64);

        /// The processor's `AtomicPtr`, with a scheduling point before each operation.
        #[repr(transparent)]
        pub struct AtomicPtr<T>(atomic::AtomicPtr<T>);

        impl<T> AtomicPtr<T> {
            pub const fn new(value: *mut T) -> Self {
                Self(atomic::AtomicPtr::new(value))
            }

            pub fn store(&self, value: *mut T, order: Ordering) {
                switch();
                self.0.store(value, order)
            }

            pub fn swap(&self, value: *mut T, order: Ordering) -> *mut T {
                switch();
                self.0.swap(value, order)
            }
        }
    }
}
