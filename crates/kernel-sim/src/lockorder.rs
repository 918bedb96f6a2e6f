//! `Lock.Order`: the order in which the driver nests its spin locks, learnt as it runs, as Driver
//! Verifier's deadlock detection does. Acquiring B while holding A records A → B. Acquiring A later
//! while holding B, directly or through other locks (B → C → A), closes a cycle: two processors
//! taking the locks in the two orders at once deadlock, whether or not this run ever had them meet.
//! A lock is known by its address; `KeInitializeSpinLock` on an address starts a new lock there
//! (pool memory reused by a new adapter), so what was learnt about the old one is forgotten.

use std::collections::{BTreeMap, BTreeSet};

#[derive(Default)]
pub(crate) struct LockOrder {
    /// held → locks acquired while it was held.
    after: BTreeMap<usize, BTreeSet<usize>>,
}

impl LockOrder {
    /// A new lock at `lock`: nothing is known about it.
    pub(crate) fn forget(&mut self, lock: usize) {
        self.after.remove(&lock);
        for later in self.after.values_mut() {
            later.remove(&lock);
        }
    }

    /// `acquired` is being taken while `held` is held. Returns the chain `acquired → … → held`
    /// already known, if there is one (the order is inverted); otherwise records `held → acquired`.
    pub(crate) fn record(&mut self, held: usize, acquired: usize) -> Option<Vec<usize>> {
        if self.after.get(&held).is_some_and(|later| later.contains(&acquired)) {
            return None;
        }
        if let Some(chain) = self.chain(acquired, held) {
            return Some(chain);
        }
        self.after.entry(held).or_default().insert(acquired);
        None
    }

    /// A chain of recorded orders from `from` to `to` (depth-first; the graph is a handful of locks).
    fn chain(&self, from: usize, to: usize) -> Option<Vec<usize>> {
        let mut stack = vec![vec![from]];
        let mut seen = BTreeSet::from([from]);
        while let Some(path) = stack.pop() {
            let last = *path.last()?;
            if last == to {
                return Some(path);
            }
            for &next in self.after.get(&last).into_iter().flatten() {
                if seen.insert(next) {
                    let mut longer = path.clone();
                    longer.push(next);
                    stack.push(longer);
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_inverted_order_is_found_directly_and_through_other_locks() {
        let mut order = LockOrder::default();
        assert_eq!(order.record(1, 2), None);
        assert_eq!(order.record(1, 2), None, "the same order again is fine");
        assert_eq!(order.record(2, 1), Some(vec![1, 2]));
        assert_eq!(order.record(2, 3), None);
        assert_eq!(order.record(3, 1), Some(vec![1, 2, 3]));
        order.forget(1);
        assert_eq!(order.record(3, 1), None, "a new lock at the old address");
    }
}
