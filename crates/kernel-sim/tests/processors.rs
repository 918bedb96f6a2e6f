//! The model's rules per virtual processor (`src/mp.rs`), made to fire by the fake miniport's calls
//! on two processors at once. Only in a `--cfg shuttle` build:
//! `RUSTFLAGS="--cfg shuttle" cargo test -p kernel-sim --test processors`.
#![cfg(shuttle)]

mod common;

use common::*;
use kernel_sim::rules::*;
use ndis_types::*;
use shuttle::sync::Barrier;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};

/// A `KSPIN_LOCK` the test owns, initialized with the model.
fn new_lock() -> Box<usize> {
    let mut lock = Box::new(0usize);
    k().ke_initialize_spin_lock(&mut *lock);
    lock
}

/// Run `test` under a few random schedules.
fn on_schedules(test: fn()) {
    shuttle::check_random(test, 20);
}

#[test]
fn each_processor_has_its_own_irql_and_a_held_lock_makes_the_other_spin() {
    on_schedules(|| {
        fresh();
        let sim = loaded(0);
        let lock = new_lock();
        let p = &*lock as *const usize as usize;
        let released = AtomicBool::new(false);
        let held = Barrier::new(2);
        shuttle::thread::scope(|scope| {
            scope.spawn(|| {
                sim.on_processor(1, || {
                    let k = k();
                    let old = k.ke_acquire_spin_lock_raise_to_dpc(p as *mut usize);
                    held.wait();
                    assert_eq!(k.ke_get_current_irql(), DISPATCH_LEVEL);
                    released.store(true, Ordering::SeqCst);
                    k.ke_release_spin_lock(p as *mut usize, old);
                    assert_eq!(k.ke_get_current_irql(), PASSIVE_LEVEL);
                })
            });
            scope.spawn(|| {
                sim.on_processor(2, || {
                    let k = k();
                    held.wait();
                    // Processor 1 is at DISPATCH_LEVEL holding the lock; this one is not.
                    assert_eq!(k.ke_get_current_irql(), PASSIVE_LEVEL);
                    let old = k.ke_acquire_spin_lock_raise_to_dpc(p as *mut usize);
                    assert!(released.load(Ordering::SeqCst), "acquired while the other processor held it");
                    k.ke_release_spin_lock(p as *mut usize, old);
                })
            });
        });
        expect_only(&sim, &[]);
    });
}

#[test]
fn lock_same_processor() {
    on_schedules(|| {
        fresh();
        let sim = loaded(0);
        let lock = new_lock();
        let p = &*lock as *const usize as usize;
        let held = Barrier::new(2);
        let old = std::sync::Mutex::new(PASSIVE_LEVEL);
        shuttle::thread::scope(|scope| {
            scope.spawn(|| {
                sim.on_processor(1, || {
                    *old.lock().unwrap() = k().ke_acquire_spin_lock_raise_to_dpc(p as *mut usize);
                    held.wait();
                    held.wait();
                })
            });
            scope.spawn(|| {
                sim.on_processor(2, || {
                    held.wait();
                    k().ke_release_spin_lock(p as *mut usize, PASSIVE_LEVEL);
                    held.wait();
                })
            });
        });
        // Processor 2 also releases at PASSIVE_LEVEL, where no holder of that lock can be.
        let v = expect_only(&sim, &[LOCK_SAME_PROCESSOR, LOCK_BALANCED]);
        assert!(
            v.iter().any(|v| v.rule == LOCK_SAME_PROCESSOR && v.message.contains("processor 2")),
            "{v:?}"
        );
        // The lock is still processor 1's: release it there.
        let old = *old.lock().unwrap();
        sim.on_processor(1, || k().ke_release_spin_lock(p as *mut usize, old));
        expect_only(&sim, &[]);
    });
}

#[test]
fn lock_deadlock_aborts() {
    on_schedules(|| {
        fresh();
        let sim = loaded(0);
        let (a, b) = (new_lock(), new_lock());
        let (a, b) = (&*a as *const usize as usize, &*b as *const usize as usize);
        let first_taken = Barrier::new(2);
        let deadlocked = AtomicBool::new(false);
        // Each processor takes one lock, then waits for the other's: the processors wait for each
        // other. The one that gives up first (the rule aborts its spin) releases, and the other
        // gets through.
        let take_both = |cpu: usize, first: usize, second: usize| {
            sim.on_processor(cpu, || {
                let k = k();
                let old = k.ke_acquire_spin_lock_raise_to_dpc(first as *mut usize);
                first_taken.wait();
                let got = catch_unwind(AssertUnwindSafe(|| {
                    k.ke_acquire_spin_lock_at_dpc_level(second as *mut usize)
                }));
                match got {
                    Ok(()) => k.ke_release_spin_lock_from_dpc_level(second as *mut usize),
                    Err(_) => deadlocked.store(true, Ordering::SeqCst),
                }
                k.ke_release_spin_lock(first as *mut usize, old);
            })
        };
        shuttle::thread::scope(|scope| {
            scope.spawn(|| take_both(1, a, b));
            scope.spawn(|| take_both(2, b, a));
        });
        assert!(deadlocked.load(Ordering::SeqCst));
        expect_only(&sim, &[LOCK_DEADLOCK]);
    });
}

#[test]
fn a_lock_left_held_on_another_processor_is_reported() {
    on_schedules(|| {
        fresh();
        let sim = loaded(0);
        let lock = new_lock();
        let p = &*lock as *const usize as usize;
        let old = sim.on_processor(2, || k().ke_acquire_spin_lock_raise_to_dpc(p as *mut usize));
        // The test's own processor holds nothing; processor 2 still does.
        let leaks = sim.leak_report();
        assert!(
            leaks.iter().any(|l| l.contains(&format!("{p:#x}")) && l.contains("processor 2")),
            "{leaks:?}"
        );
        sim.on_processor(2, || k().ke_release_spin_lock(p as *mut usize, old));
        assert!(!sim.leak_report().iter().any(|l| l.contains("spin lock")));
        expect_only(&sim, &[]);
    });
}
