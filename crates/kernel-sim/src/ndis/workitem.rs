//! NDIS I/O work items (`NdisAllocateIoWorkItem`, `NdisQueueIoWorkItem`, `NdisFreeIoWorkItem`):
//! NDIS queues them with `IoQueueWorkItem` and runs the routine in a system thread at PASSIVE_LEVEL
//! (Doc nf-ndis-ndisqueueioworkitem). The model runs a queued item from the scheduler, a little
//! later, and checks what IoQueueWorkItem and IoFreeWorkItem demand: an item is not queued again
//! before it has started running, not freed while queued (Doc nf-wdm-iofreeworkitem), and not left
//! allocated when its adapter halts.

use crate::memory::Scope;
use crate::sched::EventKind;
use crate::state::{Inner, State};
use crate::verifier::rules::*;
use core::ffi::c_void;
use ndis_types::miniport::NdisIoWorkItemRoutine;
use ndis_types::{DISPATCH_LEVEL, NdisHandle, PASSIVE_LEVEL};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

pub(crate) struct WorkItem {
    pub(crate) scope: Scope,
    /// Queued and not yet started: the routine and context it will run with.
    pub(crate) queued: Option<(NdisIoWorkItemRoutine, usize)>,
    /// Runs of its routine in progress: re-queued while it runs, it may run on another processor
    /// at the same time.
    pub(crate) running: u32,
}

#[derive(Default)]
pub(crate) struct WorkItems {
    pub(crate) live: BTreeMap<usize, WorkItem>,
    freed: BTreeSet<usize>,
    /// Routines run so far (`Sim::work_items_run`).
    pub(crate) runs: u64,
}

impl State {
    pub(crate) fn ndis_allocate_io_work_item(&mut self, handle: NdisHandle) -> NdisHandle {
        let api = "NdisAllocateIoWorkItem";
        self.check_irql(api, DISPATCH_LEVEL);
        let scope = self.scope_of(api, handle);
        if self.fallible(api) {
            return NdisHandle::NULL;
        }
        let item = self.mint();
        self.allocations += 1;
        self.work_items.live.insert(item, WorkItem { scope, queued: None, running: 0 });
        NdisHandle(item as *mut c_void)
    }

    pub(crate) fn ndis_queue_io_work_item(
        &mut self,
        work_item: NdisHandle,
        routine: NdisIoWorkItemRoutine,
        context: *mut c_void,
    ) {
        let api = "NdisQueueIoWorkItem";
        self.check_irql(api, DISPATCH_LEVEL);
        let key = work_item.0 as usize;
        let Some(item) = self.work_items.live.get_mut(&key) else {
            let why = if self.work_items.freed.contains(&key) { "freed" } else { "not a work item" };
            self.violate(NDIS_HANDLE_VALID, format!("{api}({work_item:?}): {why}"));
            return;
        };
        if item.queued.is_some() {
            let msg = format!(
                "{api}({work_item:?}) while it is still queued: IoQueueWorkItem would corrupt the queue"
            );
            self.violate(NDIS_WORK_ITEM_QUEUED_TWICE, msg);
            return;
        }
        item.queued = Some((routine, context as usize));
        let delay = Duration::from_micros(20 + self.rng.below(100));
        self.schedule(delay, EventKind::RunWorkItem { item: key });
    }

    pub(crate) fn ndis_free_io_work_item(&mut self, work_item: NdisHandle) {
        let api = "NdisFreeIoWorkItem";
        self.check_irql(api, DISPATCH_LEVEL);
        let key = work_item.0 as usize;
        match self.work_items.live.get(&key) {
            None => {
                let why =
                    if self.work_items.freed.contains(&key) { "freed twice" } else { "not a work item" };
                self.violate(MEMORY_BAD_FREE, format!("{api}({work_item:?}): {why}"));
            }
            Some(item) if item.queued.is_some() => {
                let msg =
                    format!("{api}({work_item:?}) while it is queued: its routine would run on freed memory");
                self.violate(NDIS_WORK_ITEM_FREED_WHILE_QUEUED, msg);
            }
            Some(_) => {
                self.work_items.live.remove(&key);
                self.work_items.freed.insert(key);
            }
        }
    }

    /// Work items of `scope` queued or running: after `MiniportHaltEx` their routine would run on
    /// (or still be using) the freed adapter.
    pub(crate) fn work_items_busy(&self, scope: Scope) -> Vec<String> {
        self.work_items
            .live
            .iter()
            .filter(|(_, item)| item.scope == scope && (item.queued.is_some() || item.running > 0))
            .map(|(key, item)| {
                format!("I/O work item {key:#x} {}", if item.running > 0 { "running" } else { "queued" })
            })
            .collect()
    }

    /// Work items of `scope` still allocated.
    pub(crate) fn work_item_leaks(&self, scope: Scope) -> Vec<String> {
        self.work_items
            .live
            .iter()
            .filter(|(_, item)| item.scope == scope)
            .map(|(key, item)| {
                let queued = if item.queued.is_some() { ", queued" } else { "" };
                format!("I/O work item {key:#x} ({scope}{queued})")
            })
            .collect()
    }
}

impl Inner {
    /// A system worker thread takes the item off the queue and runs its routine at PASSIVE_LEVEL.
    pub(crate) fn run_work_item(&self, key: usize) {
        let queued = self.with(|st| {
            let item = st.work_items.live.get_mut(&key)?;
            let queued = item.queued.take()?;
            item.running += 1;
            st.work_items.runs += 1;
            Some(queued)
        });
        let Some((routine, context)) = queued else { return };
        self.invoke("NDIS_IO_WORKITEM_FUNCTION", PASSIVE_LEVEL, || {
            // SAFETY: the routine and context the driver queued, with the item's handle, as NDIS
            // calls it.
            unsafe { routine(context as *mut c_void, NdisHandle(key as *mut c_void)) }
        });
        // The routine may have freed its own item (allowed: the item is dequeued before it runs).
        self.with(|st| {
            if let Some(item) = st.work_items.live.get_mut(&key) {
                item.running = item.running.saturating_sub(1);
            }
        });
    }
}
