//! Receive resources, all allocated in `MiniportInitializeEx`: one NBL pool, one frame area in
//! nonpaged pool, and a receive NBL per frame slot whose MDL describes that slot. A received frame
//! is copied once into a slot and indicated; `MiniportReturnNetBufferLists` gives the slot back.

use crate::sys::*;

/// Receive NBLs (and frame slots) per adapter.
pub const RECEIVE_NBLS: usize = 32;
/// One frame slot: the largest frame (1514 + a VLAN tag = 1518) rounded up to a cache line.
pub const FRAME_SLOT_SIZE: u32 = 1536;
/// The largest frame a slot holds.
pub const MAX_FRAME_SIZE: u32 = 1518;

pub const NBL_POOL_TAG: u32 = u32::from_le_bytes(*b"KmNb");
pub const FRAME_AREA_TAG: u32 = u32::from_le_bytes(*b"KmRx");

pub struct ReceiveResources {
    // Field order is drop order: NBLs are freed explicitly first, then the pool, then the frames.
    nbls: [Option<ReceiveNbl>; RECEIVE_NBLS],
    pool: Option<NblPool>,
    frames: Option<PoolBuffer>,
}

impl ReceiveResources {
    pub const EMPTY: Self = Self { nbls: [const { None }; RECEIVE_NBLS], pool: None, frames: None };

    /// Allocate the frame area, the pool and every receive NBL. On failure, what was allocated stays
    /// recorded here for [`ReceiveResources::free`].
    pub fn allocate(&mut self, miniport: NdisHandle) -> Result<(), NdisStatus> {
        let area_len = FRAME_SLOT_SIZE
            .checked_mul(u32::try_from(RECEIVE_NBLS).map_err(|_| NDIS_STATUS_RESOURCES)?)
            .ok_or(NDIS_STATUS_RESOURCES)?;
        let frames = self.frames.insert(PoolBuffer::allocate(miniport, FRAME_AREA_TAG, area_len)?);
        let pool = self.pool.insert(NblPool::allocate(miniport, NBL_POOL_TAG)?);
        let mut offset = 0u32;
        for slot in self.nbls.iter_mut() {
            *slot = Some(ReceiveNbl::allocate(miniport, pool, frames, offset, MAX_FRAME_SIZE)?);
            offset = offset.checked_add(FRAME_SLOT_SIZE).ok_or(NDIS_STATUS_RESOURCES)?;
        }
        Ok(())
    }

    /// Whether `nbl` is one of this adapter's receive NBLs.
    pub fn owns(&self, nbl: *mut NetBufferList) -> bool {
        self.nbls.iter().flatten().any(|owned| owned.is(nbl))
    }

    /// Free every NBL, then the pool, then the frame area: exactly what was allocated.
    pub fn free(&mut self) {
        for slot in self.nbls.iter_mut() {
            if let Some(nbl) = slot.take() {
                nbl.free();
            }
        }
        self.pool = None;
        self.frames = None;
    }
}
