//! Fault injection: every fallible call the driver makes is numbered over the whole run and recorded
//! with the phase it happened in; the plan fails exactly one of them, the documented way and with no
//! side effect.

use crate::state::State;
use crate::{FallibleCall, FaultPlan};
use std::collections::HashMap;

pub(crate) struct Faults {
    plan: FaultPlan,
    ordinal: u64,
    per_api: HashMap<&'static str, u64>,
    pub(crate) calls: Vec<FallibleCall>,
    /// How many calls the plans failed so far.
    pub(crate) injected: u64,
}

impl Faults {
    pub(crate) fn new(plan: FaultPlan) -> Self {
        Self { plan, ordinal: 0, per_api: HashMap::new(), calls: Vec::new(), injected: 0 }
    }
}

impl State {
    /// Count a fallible call of `api`; true if the plan says it fails.
    pub(crate) fn fallible(&mut self, api: &'static str) -> bool {
        let phase = self.current_phase();
        let faults = &mut self.faults;
        faults.ordinal += 1;
        let ordinal = faults.ordinal;
        let nth = faults.per_api.entry(api).or_insert(0);
        *nth += 1;
        let nth = *nth;
        faults.calls.push(FallibleCall { ordinal, api, phase });
        let fail = match &faults.plan {
            FaultPlan::None => false,
            FaultPlan::FailCall { ordinal: target } => *target == ordinal,
            FaultPlan::FailNthOf { api: target, nth: target_nth } => *target == api && *target_nth == nth,
        };
        if fail {
            faults.injected += 1;
            self.log(format!("FAULT injected: {api} (call #{ordinal}, {api} #{nth}) fails"));
        }
        fail
    }
}

impl Faults {
    /// Replace the plan mid-run (ordinals and per-API counts go on counting over the whole run).
    pub(crate) fn set_plan(&mut self, plan: FaultPlan) {
        self.plan = plan;
    }

    /// Fallible calls made so far: all of them, or those of `api`.
    pub(crate) fn count(&self, api: Option<&str>) -> u64 {
        match api {
            None => self.ordinal,
            Some(api) => self.per_api.get(api).copied().unwrap_or(0),
        }
    }
}
