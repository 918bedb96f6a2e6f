//! The processors the model runs the driver on, and the one seam through which its synchronization
//! is chosen at compile time (as `tokio/src/loom/` chooses loom or std):
//!
//! - default: one processor. The state is a `RefCell` and every handler runs on the test's thread,
//!   one at a time, in the order the seeded scheduler picks. Fast, and what every scenario uses.
//! - `--cfg shuttle`: several virtual processors, each a `shuttle` thread. The state is behind a
//!   `shuttle` mutex, so every call the driver makes into the model (each spin-lock acquire and
//!   release, each NDIS, KMDF or lower-edge call) is a point where the explorer may switch
//!   processors; the driver's own atomics are `shuttle`'s too (`src/sync.rs`). A failing schedule
//!   replays from the string shuttle prints (`tests/schedules.rs`).
//! - `--cfg kernel_sim_threads`: the same processors as OS threads and the state behind a FIFO
//!   ticket lock (`spin`'s), for ThreadSanitizer (`.ci/tsan`, `docs/testing.md`).
//!
//! Per-processor state (the IRQL, the driver callbacks on that processor's stack, the model
//! operations in progress, the spin locks it holds) is switched in by [`crate::state::Inner::with`]
//! whenever the calling processor is not the one whose state is loaded.

/// Whether the model runs handlers on several processors at once.
pub const MULTIPROCESSOR: bool = cfg!(any(shuttle, kernel_sim_threads));

/// Virtual processors a multiprocessor scenario may use (index 0 is the test's own thread).
pub const MAX_PROCESSORS: usize = 4;

/// How often a processor may find a spin lock held (or wait for another's work) before the model
/// calls it a deadlock: far more than any correct schedule needs. Under shuttle a spinner yields and
/// is deprioritized, so the holder runs within a few steps; OS threads under ThreadSanitizer can be
/// slowed a hundredfold, so they get a thousand times more.
pub(crate) const SPIN_LIMIT: u32 = if cfg!(shuttle) { 10_000 } else { 10_000_000 };

#[cfg(not(any(shuttle, kernel_sim_threads)))]
mod imp {
    use core::cell::{RefCell, RefMut};

    pub(crate) type Shared<T> = std::rc::Rc<T>;

    /// One processor: the state needs no lock, only the check that the model never re-enters it.
    pub(crate) struct ModelCell<T>(RefCell<T>);

    impl<T> ModelCell<T> {
        pub(crate) fn new(value: T) -> Self {
            Self(RefCell::new(value))
        }

        pub(crate) fn lock(&self) -> RefMut<'_, T> {
            self.0
                .try_borrow_mut()
                .unwrap_or_else(|_| panic!("kernel-sim bug: state re-entered while borrowed"))
        }
    }

    pub(crate) fn current_processor() -> usize {
        0
    }

    pub(crate) fn set_current_processor(_cpu: usize) {}

    pub(crate) fn spin_pause() {}
}

#[cfg(any(shuttle, kernel_sim_threads))]
mod imp {
    #[cfg(shuttle)]
    use shuttle::sync::{Mutex, MutexGuard};
    /// FIFO: a processor polling the model (a wait for a completion, a contended spin lock)
    /// re-locks it in a loop, and an unfair lock such as `std`'s hands it back to the poller before
    /// a woken waiter runs, so the processor it waits for starves until the poll gives up. Compiled
    /// in this workspace, so ThreadSanitizer sees its acquire and release, which it cannot in
    /// `std`'s uninstrumented futex code.
    #[cfg(not(shuttle))]
    type Mutex<T> = spin::mutex::TicketMutex<T, spin::relax::Yield>;
    #[cfg(not(shuttle))]
    type MutexGuard<'a, T> = spin::mutex::TicketMutexGuard<'a, T, spin::relax::Yield>;

    pub(crate) type Shared<T> = std::sync::Arc<T>;

    /// Several processors: the state behind a mutex. Re-entering it from the processor that holds
    /// it is a model bug, told apart from another processor holding it by a per-processor flag.
    pub(crate) struct ModelCell<T>(Mutex<T>);

    impl<T> ModelCell<T> {
        pub(crate) fn new(value: T) -> Self {
            Self(Mutex::new(value))
        }

        pub(crate) fn lock(&self) -> Guard<'_, T> {
            let inside = IN_MODEL.with(|f| f.replace(true));
            assert!(!inside, "kernel-sim bug: state re-entered while borrowed");
            // A processor that panicked in the model leaves it for the others to report on.
            #[cfg(shuttle)]
            let guard = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            #[cfg(not(shuttle))]
            let guard = self.0.lock();
            Guard(guard)
        }
    }

    pub(crate) struct Guard<'a, T>(MutexGuard<'a, T>);

    impl<T> core::ops::Deref for Guard<'_, T> {
        type Target = T;
        fn deref(&self) -> &T {
            &self.0
        }
    }

    impl<T> core::ops::DerefMut for Guard<'_, T> {
        fn deref_mut(&mut self) -> &mut T {
            &mut self.0
        }
    }

    impl<T> Drop for Guard<'_, T> {
        fn drop(&mut self) {
            IN_MODEL.with(|f| f.set(false));
        }
    }

    #[cfg(shuttle)]
    shuttle::thread_local! {
        static IN_MODEL: core::cell::Cell<bool> = core::cell::Cell::new(false);
        static PROCESSOR: core::cell::Cell<usize> = core::cell::Cell::new(0);
    }
    #[cfg(not(shuttle))]
    std::thread_local! {
        static IN_MODEL: core::cell::Cell<bool> = const { core::cell::Cell::new(false) };
        static PROCESSOR: core::cell::Cell<usize> = const { core::cell::Cell::new(0) };
    }

    pub(crate) fn current_processor() -> usize {
        PROCESSOR.with(|p| p.get())
    }

    pub(crate) fn set_current_processor(cpu: usize) {
        PROCESSOR.with(|p| p.set(cpu));
    }

    /// Scoped threads, one per virtual processor.
    #[cfg(shuttle)]
    pub(crate) use shuttle::thread::scope;
    #[cfg(not(shuttle))]
    pub(crate) use std::thread::scope;

    /// A processor found a spin lock held: let the others run.
    pub(crate) fn spin_pause() {
        #[cfg(shuttle)]
        shuttle::thread::yield_now();
        #[cfg(not(shuttle))]
        std::thread::yield_now();
    }
}

pub(crate) use imp::*;
