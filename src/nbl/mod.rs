//! NET_BUFFER_LIST, NET_BUFFER and MDL access for the data path, as safe operations over
//! structures whose ownership the type system cannot see. The accessor macros of nblaccessors.h are
//! plain field accesses (W:km/ndis/nblaccessors.h:21-44, 182-190).
//!
//! - [`send`]: NBLs NDIS sent, queued and completed exactly once, and `WriteRefs`, the context of a
//!   write request that names the NBLs whose frames it carries.
//! - [`receive`]: the receive NBLs, their MDLs built over frames in the read buffers, their
//!   indication and return, and `ReceiveScratch`, the context of a read request.
//!
//! Invariant (here): an MDL is read only while the NBL it belongs to is the miniport's.
#![allow(unsafe_code)]

pub mod receive;
pub mod send;

use crate::sys;
use core::ffi::c_void;
use core::ptr::NonNull;
use ndis_types::nbl::{
    MDL_MAPPED_TO_SYSTEM_VA, MDL_MAPPING_NO_EXECUTE, MDL_SOURCE_IS_NONPAGED_POOL, Mdl, NORMAL_PAGE_PRIORITY,
};

// ---------------------------------------------------------------------------------------------
// MDLs

/// `MmGetSystemAddressForMdlSafe(Mdl, Priority)` as wdm.h's FORCEINLINE expands it
/// (W:km/wdm.h:29056-29104): the mapped VA if the MDL is mapped or describes nonpaged pool, else a
/// new mapping.
///
/// # Safety
/// `mdl` belongs to an NBL the miniport owns for the duration of the call.
unsafe fn mm_get_system_address_for_mdl_safe(mdl: NonNull<Mdl>, priority: u32) -> *mut c_void {
    // SAFETY: guaranteed by the caller.
    let (flags, mapped) = unsafe { ((*mdl.as_ptr()).MdlFlags, (*mdl.as_ptr()).MappedSystemVa) };
    if flags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL) != 0 {
        mapped
    } else {
        // SAFETY: guaranteed by the caller.
        unsafe { sys::mm_map_locked_pages_specify_cache(mdl.as_ptr(), priority) }
    }
}

/// `NormalPagePriority | MdlMappingNoExecute`: what `NdisQueryMdl` asks for.
const MDL_MAPPING_PRIORITY: u32 = NORMAL_PAGE_PRIORITY | MDL_MAPPING_NO_EXECUTE;

/// Why a NET_BUFFER's data could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetBufferError {
    /// The MDL chain ends before `DataLength` bytes.
    ChainTooShort,
    /// A mapping failed (`MmGetSystemAddressForMdlSafe` returned NULL).
    NotMapped,
    /// The destination is not `DataLength` bytes.
    LengthMismatch,
}
