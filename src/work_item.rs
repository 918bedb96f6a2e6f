//! [`IoWorkItem`]: an NDIS I/O work item the adapter owns from initialize to halt.
#![allow(unsafe_code)]

use crate::sys;
use bytemuck::Zeroable;
use ndis_types::handles::NdisHandle;
use ndis_types::miniport::NdisIoWorkItemRoutine;
use ndis_types::status::{NDIS_STATUS_RESOURCES, NdisStatus};

/// An NDIS I/O work item (`NdisAllocateIoWorkItem`), freed with `NdisFreeIoWorkItem` on drop.
/// Invariant: never queued twice and never freed while queued (IoQueueWorkItem and IoFreeWorkItem
/// forbid both, Doc nf-wdm-iofreeworkitem): [`IoWorkItem::queue`] queues only an idle item, the
/// routine calls [`IoWorkItem::started`] first (the system dequeues an item before it runs it), and
/// drop frees only an idle item. All-zero is "no work item".
#[derive(Zeroable)]
pub struct IoWorkItem {
    handle: NdisHandle,
    /// What a run calls, and with what: fixed at allocation.
    routine: Option<NdisIoWorkItemRoutine>,
    context: NdisHandle,
    queued: crate::sync::atomic::AtomicBool,
}

impl IoWorkItem {
    /// `NdisAllocateIoWorkItem` for the adapter, whose runs call `routine` with `context`;
    /// `NDIS_STATUS_RESOURCES` if it cannot be had.
    ///
    /// # Safety
    /// `routine` may be called with `context` at PASSIVE_LEVEL, in a system thread, for every
    /// [`IoWorkItem::queue`] until the item is dropped: `context` must stay valid that long and be
    /// what `routine` expects.
    pub unsafe fn allocate(
        miniport: NdisHandle,
        routine: NdisIoWorkItemRoutine,
        context: NdisHandle,
    ) -> Result<Self, NdisStatus> {
        let handle = sys::ndis_allocate_io_work_item(miniport);
        if handle.is_null() {
            return Err(NDIS_STATUS_RESOURCES);
        }
        Ok(Self {
            handle,
            routine: Some(routine),
            context,
            queued: crate::sync::atomic::AtomicBool::new(false),
        })
    }

    /// `NdisQueueIoWorkItem(item, routine, context)`, unless the item is already queued or was
    /// never allocated (false).
    pub fn queue(&self) -> bool {
        use crate::sync::atomic::Ordering::AcqRel;
        let Some(routine) = self.routine else {
            return false;
        };
        if self.handle.is_null() || self.queued.swap(true, AcqRel) {
            return false;
        }
        // SAFETY: a live item (allocated, not yet dropped) that was not queued (the swap above).
        unsafe { sys::ndis_queue_io_work_item(self.handle, routine, self.context.as_ptr()) };
        true
    }

    /// The routine has begun: the item is dequeued and may be queued again.
    pub fn started(&self) {
        self.queued.store(false, crate::sync::atomic::Ordering::Release);
    }
}

impl Drop for IoWorkItem {
    fn drop(&mut self) {
        if self.handle.is_null() || self.queued.load(crate::sync::atomic::Ordering::Acquire) {
            // Queued: freeing it would corrupt the system work queue. Its owner never lets that
            // happen (the adapter's pause waits for every run, and halt follows the pause;
            // kernel-sim's Ndis.HaltLeavesNothing holds it to that); not freeing is what is left.
            return;
        }
        // SAFETY: allocated by `allocate` and not queued (checked above).
        unsafe { sys::ndis_free_io_work_item(self.handle) };
        self.handle = NdisHandle::NULL;
    }
}
