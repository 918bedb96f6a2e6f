//! How a multiprocessor scenario is run: under `--cfg shuttle` by shuttle's PCT scheduler, each
//! failing schedule saved and replayable; under `--cfg kernel_sim_threads` on OS threads (for
//! ThreadSanitizer). Shared by `tests/schedules.rs` and the chaos test's multiprocessor runs.
#![cfg(any(shuttle, kernel_sim_threads))]

#[cfg(shuttle)]
mod shuttle_schedules {
    use shuttle::rand::RngCore;
    use shuttle::scheduler::{PctScheduler, RandomScheduler, ReplayScheduler, Scheduler};
    use shuttle::{Config, FailurePersistence, Runner};

    /// Run `scenario` under `SCHEDULES` PCT schedules (default 500) from `SCHEDULE_SEED` (default
    /// fixed, so CI is repeatable), or replay the schedule file `SCHEDULE_REPLAY` names. A failing
    /// schedule is written to a file in the test's target directory and its path printed.
    /// Depth 3: the races of a short scenario behind the rundown need two preemptions placed
    /// right, and one more for the third processor.
    pub fn explore(name: &str, scenario: fn(u64)) {
        let pct_seed = env_number("SCHEDULE_SEED", 0x5EED_0001);
        run(name, scenario, |schedules| PctScheduler::new_from_seed(pct_seed as u64, 3, schedules));
    }

    /// As [`explore`], with a random choice of processor at every scheduling point instead of
    /// PCT's few priority changes: for long runs (the chaos test's hundreds of operations), where
    /// a handful of preemptions would leave almost every window of concurrency in sequence.
    pub fn explore_random(name: &str, scenario: fn(u64)) {
        let seed = env_number("SCHEDULE_SEED", 0x5EED_0001);
        run(name, scenario, |schedules| RandomScheduler::new_from_seed(seed as u64, schedules));
    }

    fn run<S: Scheduler + 'static>(name: &str, scenario: fn(u64), scheduler: impl FnOnce(usize) -> S) {
        let mut config = Config::new();
        config.failure_persistence =
            FailurePersistence::File(Some(std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))));
        if let Ok(path) = std::env::var("SCHEDULE_REPLAY") {
            let scheduler = ReplayScheduler::new_from_file(&path)
                .unwrap_or_else(|e| panic!("SCHEDULE_REPLAY={path}: {e}"));
            eprintln!("{name}: replaying {path}");
            Runner::new(scheduler, config).run(move || scenario(seed()));
            return;
        }
        let schedules = env_number("SCHEDULES", 500);
        eprintln!(
            "{name}: {schedules} schedules; on a failure shuttle names the file it saved the schedule in; replay it with SCHEDULE_REPLAY=<file> RUSTFLAGS=\"--cfg shuttle\" cargo test --release --test {} {name}",
            env!("CARGO_CRATE_NAME")
        );
        Runner::new(scheduler(schedules), config).run(move || scenario(seed()));
    }

    fn env_number(name: &str, default: usize) -> usize {
        std::env::var(name).ok().and_then(|s| s.parse().ok()).unwrap_or(default)
    }

    /// The model's own seed (handler IRQLs, inline or deferred completions) comes from the
    /// schedule, so a replayed schedule replays it too.
    fn seed() -> u64 {
        shuttle::rand::thread_rng().next_u64() % 10_000
    }
}

#[cfg(all(kernel_sim_threads, not(shuttle)))]
mod os_threads {
    /// Run `scenario` on OS threads, `SCHEDULES` times (default 50): the OS picks the interleaving,
    /// so a failure does not replay; the model seed it ran with is printed.
    pub fn explore(name: &str, scenario: fn(u64)) {
        let runs = std::env::var("SCHEDULES").ok().and_then(|s| s.parse().ok()).unwrap_or(50);
        for seed in 0..runs {
            let report = FailedWith(name, seed);
            scenario(seed);
            core::mem::forget(report);
        }
    }

    /// Dropped only while a run unwinds.
    struct FailedWith<'a>(&'a str, u64);

    impl Drop for FailedWith<'_> {
        fn drop(&mut self) {
            eprintln!("{}: failed on OS threads with model seed {}", self.0, self.1);
        }
    }
}

// Every test crate includes `common`; only those that explore schedules use this.
#[cfg(all(kernel_sim_threads, not(shuttle)))]
#[allow(unused_imports)]
pub use os_threads::{explore, explore as explore_random};
#[cfg(shuttle)]
#[allow(unused_imports)]
pub use shuttle_schedules::{explore, explore_random};
