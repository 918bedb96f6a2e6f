//! Nonpaged pool as NDIS hands it out: real, 16-aligned, *not* zeroed (filled with 0xA5, as a
//! special-pool-like pattern), tracked by address with tag, length and owner scope; freed memory is
//! poisoned with 0xDD and kept until the run ends, so a use after free reads garbage instead of
//! someone else's data.

use crate::AdapterId;
use crate::state::State;
use crate::verifier::rules::*;
use crate::verifier::tag_string;
use core::ffi::c_void;
use ndis_types::{DISPATCH_LEVEL, NdisHandle};
use std::alloc::Layout;
use std::collections::BTreeMap;

/// Who an allocation belongs to: leaks are checked at halt for an adapter, at unload for the driver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scope {
    Driver,
    Adapter(AdapterId),
}

impl core::fmt::Display for Scope {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Scope::Driver => write!(f, "driver"),
            Scope::Adapter(a) => write!(f, "adapter {}", a.0),
        }
    }
}

/// A raw heap block the model owns; deallocated when dropped.
pub(crate) struct RawBlock {
    pub(crate) ptr: *mut u8,
    layout: Layout,
}

impl RawBlock {
    /// `size` bytes (at least 1), aligned to `align`, every byte `fill`.
    pub(crate) fn new(size: usize, align: usize, fill: u8) -> Self {
        let layout = Layout::from_size_align(size.max(1), align).expect("kernel-sim: bad layout");
        // SAFETY: the layout has a non-zero size.
        let ptr = unsafe { std::alloc::alloc(layout) };
        assert!(!ptr.is_null(), "kernel-sim: host out of memory");
        // SAFETY: freshly allocated, `layout.size()` bytes.
        unsafe { ptr.write_bytes(fill, layout.size()) };
        Self { ptr, layout }
    }

    /// A block holding `value`.
    pub(crate) fn with_value<T>(value: T) -> Self {
        let block = Self::new(size_of::<T>(), align_of::<T>().max(16), 0);
        // SAFETY: the block is large and aligned enough for a T.
        unsafe { block.ptr.cast::<T>().write(value) };
        block
    }

    /// The block's size in bytes.
    pub(crate) fn len(&self) -> usize {
        self.layout.size()
    }

    pub(crate) fn poison(&self) {
        // SAFETY: the model owns the whole block.
        unsafe { self.ptr.write_bytes(0xDD, self.layout.size()) };
    }
}

impl Drop for RawBlock {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout.
        unsafe { std::alloc::dealloc(self.ptr, self.layout) };
    }
}

pub(crate) struct Allocation {
    pub(crate) block: RawBlock,
    pub(crate) length: u32,
    pub(crate) tag: u32,
    pub(crate) scope: Scope,
}

#[derive(Default)]
pub(crate) struct MemoryState {
    /// Live allocations by address (ordered, so reports are stable).
    pub(crate) live: BTreeMap<usize, Allocation>,
    /// Freed addresses, for telling a double free from a wild one.
    pub(crate) freed: BTreeMap<usize, u32>,
    /// Poisoned blocks kept until the run ends (freed pool, deleted WDF memory, freed NBLs...).
    pub(crate) quarantine: Vec<RawBlock>,
}

impl State {
    pub(crate) fn ndis_allocate_memory(&mut self, handle: NdisHandle, length: u32, tag: u32) -> *mut c_void {
        let api = "NdisAllocateMemoryWithTagPriority";
        self.check_irql(api, DISPATCH_LEVEL);
        let scope = self.scope_of(api, handle);
        if tag == 0 {
            self.violate(MEMORY_TAG_REQUIRED, format!("{api}(length {length}) with a zero pool tag"));
        }
        if self.fallible(api) {
            return core::ptr::null_mut();
        }
        if length == 0 {
            return core::ptr::null_mut();
        }
        self.allocations += 1;
        let block = RawBlock::new(length as usize, 16, 0xA5);
        let ptr = block.ptr;
        self.mem.live.insert(ptr as usize, Allocation { block, length, tag, scope });
        self.mem.freed.remove(&(ptr as usize));
        self.log(format!("{api}({length}, '{}') = {ptr:p} for {scope}", tag_string(tag)));
        ptr.cast()
    }

    pub(crate) fn ndis_free_memory(&mut self, va: *mut c_void, tag: u32) {
        let api = "NdisFreeMemoryWithTagPriority";
        self.check_irql(api, DISPATCH_LEVEL);
        let key = va as usize;
        match self.mem.live.remove(&key) {
            Some(allocation) => {
                if allocation.tag != tag {
                    let msg = format!(
                        "{api}({va:p}): tag mismatch, freed with '{}' but allocated with '{}' (BAD_POOL_CALLER)",
                        tag_string(tag),
                        tag_string(allocation.tag)
                    );
                    self.violate(MEMORY_BAD_FREE, msg);
                }
                allocation.block.poison();
                self.initialized_locks.forget_range(key, allocation.length as usize);
                self.mem.freed.insert(key, allocation.tag);
                self.mem.quarantine.push(allocation.block);
            }
            None if self.mem.freed.contains_key(&key) => {
                self.violate(MEMORY_BAD_FREE, format!("{api}({va:p}, '{}'): freed twice", tag_string(tag)));
            }
            None => {
                self.violate(
                    MEMORY_BAD_FREE,
                    format!("{api}({va:p}, '{}'): not an allocation of this driver", tag_string(tag)),
                );
            }
        }
    }

    /// Pool still allocated for `scope`, one line per allocation.
    pub(crate) fn memory_leaks(&self, scope: Scope) -> Vec<String> {
        self.mem
            .live
            .iter()
            .filter(|(_, a)| a.scope == scope)
            .map(|(va, a)| format!("pool '{}' {} bytes at {:#x} ({scope})", tag_string(a.tag), a.length, va))
            .collect()
    }
}
