//! NBL/NB/MDL pools with ownership tracking, the send path (NDIS sends the model's protocol NBLs and
//! checks every completion) and the receive path (indications checked, NBLs returned later through
//! `MiniportReturnNetBufferLists`).

use crate::memory::{RawBlock, Scope};
use crate::state::{Inner, State};
use crate::verifier::rules::*;
use crate::verifier::tag_string;
use crate::{AdapterId, AdapterState, SendId};
use core::ffi::c_void;
use core::ptr;
use ndis_types::nbl::*;
use ndis_types::object::*;
use ndis_types::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

/// `NdisTimedDataSend`: every send completes within 30 s.
pub(crate) const SEND_TIMEOUT: Duration = Duration::from_secs(30);
/// `NdisTimedDataHang`: with sends pending, some send completes at least every 22 s.
pub(crate) const SEND_HANG: Duration = Duration::from_secs(22);

pub(crate) struct Pool {
    pub(crate) params: NetBufferListPoolParameters,
    pub(crate) scope: Scope,
    pub(crate) live: BTreeSet<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NblOwner {
    Driver,
    /// Indicated up without `NDIS_RECEIVE_FLAGS_RESOURCES`: NDIS owns it until it is returned.
    Ndis(AdapterId),
}

pub(crate) struct DriverNbl {
    pub(crate) pool: usize,
    pub(crate) owner: NblOwner,
    nbl: RawBlock,
    nb: RawBlock,
    context: Option<RawBlock>,
}

pub(crate) struct MdlRec {
    block: RawBlock,
    pub(crate) scope: Scope,
}

/// An NBL the model (as a protocol) sent to the miniport.
pub(crate) struct SendRec {
    pub(crate) adapter: AdapterId,
    pub(crate) nbs: Vec<usize>,
    pub(crate) sent_at: Duration,
    pub(crate) completed: Option<NdisStatus>,
    pub(crate) paused_at_send: bool,
    pub(crate) removed_at_send: bool,
    timed_out: bool,
    pub(crate) frame: Vec<u8>,
    _blocks: Vec<RawBlock>,
}

#[derive(Default)]
pub(crate) struct DataState {
    pub(crate) pools: BTreeMap<usize, Pool>,
    freed_pools: BTreeSet<usize>,
    pub(crate) nbls: BTreeMap<usize, DriverNbl>,
    freed_nbls: BTreeSet<usize>,
    pub(crate) mdls: BTreeMap<usize, MdlRec>,
    freed_mdls: BTreeSet<usize>,
    pub(crate) sends: Vec<SendRec>,
    by_nbl: HashMap<usize, usize>,
    last_completion: HashMap<AdapterId, Duration>,
    hang_reported: HashMap<AdapterId, Duration>,
}

/// Statuses `NdisMSendNetBufferListsComplete` may carry (ndis-kmdf.md §3.4).
const SEND_STATUSES: &[NdisStatus] = &[
    NDIS_STATUS_SUCCESS,
    NDIS_STATUS_INVALID_LENGTH,
    NDIS_STATUS_RESOURCES,
    NDIS_STATUS_PAUSED,
    NDIS_STATUS_SEND_ABORTED,
    NDIS_STATUS_RESET_IN_PROGRESS,
    NDIS_STATUS_FAILURE,
    NDIS_STATUS_NOT_ACCEPTED,
    NDIS_STATUS_MEDIA_DISCONNECTED,
    NDIS_STATUS_LOW_POWER_STATE,
];

/// Build an MDL over `len` bytes at `va`, as `NdisAllocateMdl` does.
fn build_mdl(va: *mut c_void, len: u32) -> RawBlock {
    let offset = (va as usize) & 0xFFF;
    let pages = (offset + len as usize).div_ceil(4096).max(1);
    let size = size_of::<Mdl>() + 8 * pages;
    let block = RawBlock::new(size, 16, 0);
    let mdl = block.ptr.cast::<Mdl>();
    // SAFETY: a fresh, zeroed block large enough for an MDL and its PFN array.
    unsafe {
        (*mdl).Next = ptr::null_mut();
        (*mdl).Size = size as i16;
        (*mdl).MdlFlags = MDL_SOURCE_IS_NONPAGED_POOL;
        (*mdl).MappedSystemVa = va;
        (*mdl).StartVa = ((va as usize) & !0xFFF) as *mut c_void;
        (*mdl).ByteCount = len;
        (*mdl).ByteOffset = offset as u32;
    }
    block
}

/// Fill a zeroed NET_BUFFER the way NDIS does for an allocation.
///
/// # Safety
/// `nb` is a zeroed NET_BUFFER; `mdl_chain` is null or a readable MDL chain.
unsafe fn init_nb(nb: *mut NetBuffer, pool: usize, mdl_chain: *mut Mdl, data_offset: u32, data_length: u32) {
    let (mut mdl, mut offset) = (mdl_chain, data_offset);
    // SAFETY: the caller guarantees the chain is readable.
    unsafe {
        while !mdl.is_null() && offset >= (*mdl).ByteCount && !(*mdl).Next.is_null() {
            offset -= (*mdl).ByteCount;
            mdl = (*mdl).Next;
        }
        (*nb).MdlChain = mdl_chain;
        (*nb).CurrentMdl = mdl;
        (*nb).CurrentMdlOffset = offset;
        (*nb).DataOffset = data_offset;
        (*nb).DataLength = data_length;
        (*nb).NdisPoolHandle = NdisHandle(pool as *mut c_void);
    }
}

impl State {
    fn is_known_mdl(&self, mdl: *mut Mdl) -> bool {
        self.data.mdls.contains_key(&(mdl as usize))
            || self.data.sends.iter().any(|s| s._blocks.iter().any(|b| core::ptr::eq(b.ptr, mdl.cast())))
    }

    /// The bytes an NB describes, checking that its MDLs are real and long enough.
    pub(crate) fn nb_bytes(&self, nb: *const NetBuffer) -> Result<Vec<u8>, String> {
        // SAFETY: `nb` is an NB of an NBL the model tracks (the caller checked).
        let (mut mdl, mut offset, mut left) =
            unsafe { ((*nb).CurrentMdl, (*nb).CurrentMdlOffset as usize, (*nb).DataLength as usize) };
        let mut out = Vec::with_capacity(left);
        while left > 0 {
            if mdl.is_null() {
                return Err(format!("DataLength runs {left} bytes past the end of the MDL chain"));
            }
            if !self.is_known_mdl(mdl) {
                return Err(format!("MDL {mdl:p} was not allocated with NdisAllocateMdl (or was freed)"));
            }
            // SAFETY: a live MDL the model built over `ByteCount` readable bytes at MappedSystemVa.
            let (va, count, next) =
                unsafe { ((*mdl).MappedSystemVa.cast::<u8>(), (*mdl).ByteCount as usize, (*mdl).Next) };
            if offset > count {
                return Err(format!("CurrentMdlOffset {offset} is past MDL {mdl:p} ({count} bytes)"));
            }
            let take = left.min(count - offset);
            // SAFETY: within the MDL's buffer, as checked.
            out.extend_from_slice(unsafe { std::slice::from_raw_parts(va.add(offset), take) });
            left -= take;
            offset = 0;
            mdl = next;
        }
        Ok(out)
    }

    pub(crate) fn ndis_allocate_net_buffer_list_pool(
        &mut self,
        handle: NdisHandle,
        params: &NetBufferListPoolParameters,
    ) -> NdisHandle {
        let api = "NdisAllocateNetBufferListPool";
        self.check_irql(api, DISPATCH_LEVEL);
        let scope = self.scope_of(api, handle);
        let h = params.Header;
        let mut problems = Vec::new();
        if h.Type != NDIS_OBJECT_TYPE_DEFAULT
            || h.Revision != NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1
            || h.Size != NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1
        {
            problems.push(format!(
                "Header type {:#x} revision {} size {} (expected 0x80, 1, 16)",
                h.Type, h.Revision, h.Size
            ));
        }
        if params.ProtocolId != NDIS_PROTOCOL_ID_DEFAULT {
            problems
                .push(format!("ProtocolId {} (a miniport uses NDIS_PROTOCOL_ID_DEFAULT)", params.ProtocolId));
        }
        if !(params.ContextSize as usize).is_multiple_of(MEMORY_ALLOCATION_ALIGNMENT) {
            problems.push(format!(
                "ContextSize {} is not a multiple of MEMORY_ALLOCATION_ALIGNMENT",
                params.ContextSize
            ));
        }
        if !problems.is_empty() {
            self.violate(NDIS_NBL_STRUCTURE_VALID, format!("{api}: {}", problems.join("; ")));
            return NdisHandle::NULL;
        }
        if params.PoolTag == 0 {
            self.violate(MEMORY_TAG_REQUIRED, format!("{api} with a zero PoolTag"));
        }
        if self.fallible(api) {
            return NdisHandle::NULL;
        }
        let pool = self.mint();
        self.data.pools.insert(pool, Pool { params: *params, scope, live: BTreeSet::new() });
        NdisHandle(pool as *mut c_void)
    }

    pub(crate) fn ndis_free_net_buffer_list_pool(&mut self, pool: NdisHandle) {
        let api = "NdisFreeNetBufferListPool";
        self.check_irql(api, DISPATCH_LEVEL);
        let key = pool.0 as usize;
        let Some(p) = self.data.pools.remove(&key) else {
            let why = if self.data.freed_pools.contains(&key) { "freed twice" } else { "not a pool handle" };
            self.violate(MEMORY_BAD_FREE, format!("{api}({pool:?}): {why}"));
            return;
        };
        self.data.freed_pools.insert(key);
        if !p.live.is_empty() {
            let msg = format!(
                "{api}(pool '{}' of {}): {} NBL(s) still allocated from it: {:x?}",
                tag_string(p.params.PoolTag),
                p.scope,
                p.live.len(),
                p.live
            );
            self.violate(MEMORY_NBL_POOL_LEAK, msg);
        }
    }

    pub(crate) fn ndis_allocate_nbl(
        &mut self,
        pool: NdisHandle,
        context_size: u16,
        context_back_fill: u16,
        mdl_chain: *mut Mdl,
        data_offset: u32,
        data_length: usize,
    ) -> *mut NetBufferList {
        let api = "NdisAllocateNetBufferAndNetBufferList";
        self.check_irql(api, DISPATCH_LEVEL);
        let key = pool.0 as usize;
        let Some(p) = self.data.pools.get(&key) else {
            let why = if self.data.freed_pools.contains(&key) { "a freed pool" } else { "not a pool handle" };
            self.violate(NDIS_HANDLE_VALID, format!("{api}({pool:?}): {why}"));
            return ptr::null_mut();
        };
        let params = p.params;
        let mut problems = Vec::new();
        if params.fAllocateNetBuffer == 0 || params.DataSize != 0 {
            problems.push(format!(
                "the pool has fAllocateNetBuffer {} and DataSize {} (this call needs TRUE and 0)",
                params.fAllocateNetBuffer, params.DataSize
            ));
        }
        if !(context_size as usize).is_multiple_of(MEMORY_ALLOCATION_ALIGNMENT) {
            problems
                .push(format!("ContextSize {context_size} is not a multiple of MEMORY_ALLOCATION_ALIGNMENT"));
        }
        if data_length > u32::MAX as usize {
            problems.push(format!("DataLength {data_length} does not fit an Ethernet NET_BUFFER"));
        }
        if !mdl_chain.is_null() && !self.is_known_mdl(mdl_chain) {
            problems.push(format!("MdlChain {mdl_chain:p} was not allocated with NdisAllocateMdl"));
        }
        if !problems.is_empty() {
            self.violate(NDIS_NBL_STRUCTURE_VALID, format!("{api}: {}", problems.join("; ")));
            return ptr::null_mut();
        }
        if self.fallible(api) {
            return ptr::null_mut();
        }
        let nbl_block = RawBlock::new(size_of::<NetBufferList>(), 16, 0);
        let nb_block = RawBlock::new(size_of::<NetBuffer>(), 16, 0);
        let used = context_size as usize;
        let total = (used + context_back_fill as usize).max(params.ContextSize as usize);
        let context = (total > 0).then(|| {
            // NET_BUFFER_LIST_CONTEXT: Next@0, Size@8, Offset@10, ContextData@16 (16-aligned).
            let block = RawBlock::new(16 + total, 16, 0);
            // SAFETY: fresh block of 16 + total bytes.
            unsafe {
                block.ptr.add(8).cast::<u16>().write(total as u16);
                block.ptr.add(10).cast::<u16>().write((total - used) as u16);
            }
            block
        });
        let (nbl, nb) = (nbl_block.ptr.cast::<NetBufferList>(), nb_block.ptr.cast::<NetBuffer>());
        // SAFETY: fresh zeroed blocks of the right size and alignment; the MDL chain is known.
        unsafe {
            init_nb(nb, key, mdl_chain, data_offset, data_length as u32);
            (*nbl).FirstNetBuffer = nb;
            (*nbl).NdisPoolHandle = pool;
            (*nbl).Context = context.as_ref().map_or(ptr::null_mut(), |b| b.ptr.cast());
        }
        self.data.pools.get_mut(&key).expect("checked").live.insert(nbl as usize);
        self.data.freed_nbls.remove(&(nbl as usize));
        self.data.nbls.insert(
            nbl as usize,
            DriverNbl { pool: key, owner: NblOwner::Driver, nbl: nbl_block, nb: nb_block, context },
        );
        nbl
    }

    pub(crate) fn ndis_free_nbl(&mut self, nbl: *mut NetBufferList) {
        let api = "NdisFreeNetBufferList";
        self.check_irql(api, DISPATCH_LEVEL);
        let key = nbl as usize;
        match self.data.nbls.get(&key).map(|n| n.owner) {
            Some(NblOwner::Ndis(a)) => {
                let msg = format!(
                    "{api}({nbl:p}): the NBL was indicated to NDIS on adapter {} and not returned yet",
                    a.0
                );
                self.violate(NDIS_RECEIVE_OWNERSHIP, msg);
            }
            Some(NblOwner::Driver) => {
                let rec = self.data.nbls.remove(&key).expect("checked");
                if let Some(p) = self.data.pools.get_mut(&rec.pool) {
                    p.live.remove(&key);
                }
                self.data.freed_nbls.insert(key);
                for block in [Some(rec.nbl), Some(rec.nb), rec.context].into_iter().flatten() {
                    block.poison();
                    self.mem.quarantine.push(block);
                }
            }
            None if self.data.by_nbl.contains_key(&key) => {
                self.violate(
                    MEMORY_BAD_FREE,
                    format!(
                        "{api}({nbl:p}): the NBL belongs to the protocol that sent it, not to the miniport"
                    ),
                );
            }
            None if self.data.freed_nbls.contains(&key) => {
                self.violate(MEMORY_BAD_FREE, format!("{api}({nbl:p}): freed twice"));
            }
            None => {
                self.violate(MEMORY_BAD_FREE, format!("{api}({nbl:p}): not an NBL from this driver's pools"));
            }
        }
    }

    pub(crate) fn ndis_allocate_mdl(&mut self, handle: NdisHandle, va: *mut c_void, length: u32) -> *mut Mdl {
        let api = "NdisAllocateMdl";
        self.check_irql(api, DISPATCH_LEVEL);
        let scope = self.scope_of(api, handle);
        if va.is_null() || length == 0 {
            self.violate(
                NDIS_NBL_STRUCTURE_VALID,
                format!("{api}(va {va:p}, length {length}): an MDL needs a buffer"),
            );
            return ptr::null_mut();
        }
        if self.fallible(api) {
            return ptr::null_mut();
        }
        let block = build_mdl(va, length);
        let mdl = block.ptr.cast::<Mdl>();
        self.data.freed_mdls.remove(&(mdl as usize));
        self.data.mdls.insert(mdl as usize, MdlRec { block, scope });
        mdl
    }

    pub(crate) fn ndis_free_mdl(&mut self, mdl: *mut Mdl) {
        let api = "NdisFreeMdl";
        self.check_irql(api, DISPATCH_LEVEL);
        let key = mdl as usize;
        match self.data.mdls.remove(&key) {
            Some(rec) => {
                rec.block.poison();
                self.mem.quarantine.push(rec.block);
                self.data.freed_mdls.insert(key);
            }
            None => {
                let why = if self.data.freed_mdls.contains(&key) {
                    "freed twice"
                } else {
                    "not an MDL from NdisAllocateMdl"
                };
                self.violate(MEMORY_BAD_FREE, format!("{api}({mdl:p}): {why}"));
            }
        }
    }

    /// Sends the miniport still owns, and indicated NBLs NDIS still owns, for `a`.
    pub(crate) fn adapter_busy(&self, a: AdapterId) -> Vec<String> {
        let mut out = Vec::new();
        let sends = self.data.sends.iter().filter(|s| s.adapter == a && s.completed.is_none()).count();
        if sends > 0 {
            out.push(format!("{sends} sent NBL(s) not completed"));
        }
        let indicated = self.data.nbls.values().filter(|n| n.owner == NblOwner::Ndis(a)).count();
        if indicated > 0 {
            out.push(format!("{indicated} indicated NBL(s) not returned yet"));
        }
        out
    }

    pub(crate) fn outstanding_sends(&self, a: AdapterId) -> usize {
        self.data.sends.iter().filter(|s| s.adapter == a && s.completed.is_none()).count()
    }

    /// Pools, NBLs and MDLs still allocated for `scope`.
    pub(crate) fn nbl_leaks(&self, scope: Scope) -> (Vec<String>, Vec<String>) {
        let pools = self
            .data
            .pools
            .iter()
            .filter(|(_, p)| p.scope == scope)
            .map(|(h, p)| {
                format!(
                    "NBL pool '{}' {h:#x} ({scope}) with {} NBL(s) allocated",
                    tag_string(p.params.PoolTag),
                    p.live.len()
                )
            })
            .collect();
        let mdls = self
            .data
            .mdls
            .iter()
            .filter(|(_, m)| m.scope == scope)
            .map(|(h, _)| format!("MDL {h:#x} ({scope})"))
            .collect();
        (pools, mdls)
    }

    pub(crate) fn ndis_m_send_complete(&mut self, handle: NdisHandle, head: *mut NetBufferList, flags: u32) {
        let api = "NdisMSendNetBufferListsComplete";
        self.check_irql(api, DISPATCH_LEVEL);
        let Some(a) = self.adapter_handle(api, handle) else { return };
        self.check_dispatch_flag(api, flags & NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL != 0);
        let mut nbl = head;
        let mut seen = BTreeSet::new();
        while !nbl.is_null() {
            if !seen.insert(nbl as usize) {
                self.violate(
                    NDIS_SEND_COMPLETE_EXACTLY_ONCE,
                    format!("{api}: the NBL chain loops back to {nbl:p}"),
                );
                break;
            }
            let Some(&index) = self.data.by_nbl.get(&(nbl as usize)) else {
                let whose = if self.data.nbls.contains_key(&(nbl as usize)) {
                    "the miniport's own NBL"
                } else {
                    "an NBL NDIS never sent"
                };
                self.violate(NDIS_SEND_COMPLETE_EXACTLY_ONCE, format!("{api}: {nbl:p} is {whose}"));
                break;
            };
            // SAFETY: a model-built NBL, alive for the whole run.
            let (next, status) = unsafe { ((*nbl).Next, (*nbl).Status) };
            let rec = &self.data.sends[index];
            let (sent_on, completed, sent_nbs, paused, removed) =
                (rec.adapter, rec.completed, rec.nbs.clone(), rec.paused_at_send, rec.removed_at_send);
            let id = index + 1;
            if sent_on != a {
                let msg = format!(
                    "{api}: NBL {nbl:p} (send #{id}) was sent to adapter {}, completed on adapter {}",
                    sent_on.0, a.0
                );
                self.violate(NDIS_SEND_COMPLETE_EXACTLY_ONCE, msg);
            }
            if let Some(previous) = completed {
                let msg = format!(
                    "{api}: NBL {nbl:p} (send #{id}) completed again (first with {:#x})",
                    previous as u32
                );
                self.violate(NDIS_SEND_COMPLETE_EXACTLY_ONCE, msg);
                nbl = next;
                continue;
            }
            // The NB chain must be exactly what was sent.
            let mut nbs = Vec::new();
            // SAFETY: as above; NB pointers the model built are readable (a changed chain is reported,
            // and only walked as far as the recorded length).
            unsafe {
                let mut nb = (*nbl).FirstNetBuffer;
                while !nb.is_null() && nbs.len() <= sent_nbs.len() {
                    nbs.push(nb as usize);
                    nb = if sent_nbs.contains(&(nb as usize)) { (*nb).Next } else { ptr::null_mut() };
                }
            }
            if nbs != sent_nbs {
                let msg = format!(
                    "{api}: NBL {nbl:p} (send #{id}) comes back with NET_BUFFERs {nbs:x?}, sent with {sent_nbs:x?}"
                );
                self.violate(NDIS_SEND_NB_CHAIN_UNCHANGED, msg);
            }
            if !SEND_STATUSES.contains(&status) {
                self.violate(
                    NDIS_SEND_COMPLETE_STATUS,
                    format!(
                        "{api}: NBL {nbl:p} (send #{id}) completed with {:#x}, not a send status",
                        status as u32
                    ),
                );
            } else if removed
                && status != NDIS_STATUS_NOT_ACCEPTED
                && !(paused && status == NDIS_STATUS_PAUSED)
            {
                let msg = format!(
                    "{api}: NBL {nbl:p} (send #{id}) sent after surprise removal completed with {:#x}; expected NDIS_STATUS_NOT_ACCEPTED",
                    status as u32
                );
                self.violate(NDIS_SEND_COMPLETE_STATUS, msg);
            } else if paused && !removed && status != NDIS_STATUS_PAUSED {
                let msg = format!(
                    "{api}: NBL {nbl:p} (send #{id}) sent while the adapter was pausing or paused completed with {:#x}; expected NDIS_STATUS_PAUSED",
                    status as u32
                );
                self.violate(NDIS_SEND_COMPLETE_STATUS, msg);
            }
            let now = self.now;
            self.data.sends[index].completed = Some(status);
            self.data.last_completion.insert(a, now);
            nbl = next;
        }
    }

    pub(crate) fn check_dispatch_flag(&mut self, api: &'static str, flag: bool) {
        let at_dispatch = self.irql == DISPATCH_LEVEL;
        if flag != at_dispatch {
            let msg = if flag {
                format!("{api} with the DISPATCH_LEVEL flag at {}", crate::irql::irql_name(self.irql))
            } else {
                format!("{api} without the DISPATCH_LEVEL flag at DISPATCH_LEVEL")
            };
            self.violate(NDIS_DISPATCH_FLAG_ACCURATE, msg);
        }
    }

    pub(crate) fn ndis_m_indicate_receive(
        &mut self,
        handle: NdisHandle,
        head: *mut NetBufferList,
        count: u32,
        flags: u32,
    ) {
        let api = "NdisMIndicateReceiveNetBufferLists";
        self.check_irql(api, DISPATCH_LEVEL);
        let Some(a) = self.adapter_handle(api, handle) else { return };
        self.check_dispatch_flag(api, flags & NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL != 0);
        let state = self.adapter(a).state;
        if !matches!(state, AdapterState::Restarting | AdapterState::Running) {
            self.violate(
                NDIS_INDICATE_ONLY_WHEN_RUNNING,
                format!("{api} on adapter {} while {state:?}", a.0),
            );
        }
        let resources = flags & NDIS_RECEIVE_FLAGS_RESOURCES != 0;
        let mut chain = Vec::new();
        let mut nbl = head;
        while !nbl.is_null() {
            if chain.contains(&(nbl as usize)) {
                self.violate(
                    NDIS_RECEIVE_COUNT_MATCHES,
                    format!("{api}: the NBL chain loops back to {nbl:p}"),
                );
                break;
            }
            match self.data.nbls.get(&(nbl as usize)).map(|n| n.owner) {
                None => {
                    self.violate(
                        NDIS_RECEIVE_OWNERSHIP,
                        format!("{api}: {nbl:p} is not an NBL from this driver's pools"),
                    );
                    return;
                }
                Some(NblOwner::Ndis(_)) => {
                    self.violate(
                        NDIS_RECEIVE_OWNERSHIP,
                        format!("{api}: {nbl:p} is indicated again before NDIS returned it"),
                    );
                    return;
                }
                Some(NblOwner::Driver) => {}
            }
            chain.push(nbl as usize);
            // SAFETY: a live NBL the model allocated.
            nbl = unsafe { (*nbl).Next };
        }
        if chain.len() != count as usize {
            let msg = format!("{api}: NumberOfNetBufferLists {count}, but the chain holds {}", chain.len());
            self.violate(NDIS_RECEIVE_COUNT_MATCHES, msg);
        }
        for &n in &chain {
            // SAFETY: as above.
            let mut nb = unsafe { (*(n as *mut NetBufferList)).FirstNetBuffer };
            while !nb.is_null() {
                match self.nb_bytes(nb) {
                    Ok(frame) => self.adapter_mut(a).received.push(frame),
                    Err(why) => {
                        self.violate(NDIS_NBL_STRUCTURE_VALID, format!("{api}: NBL {n:#x} NB {nb:p}: {why}"));
                        break;
                    }
                }
                // SAFETY: as above.
                nb = unsafe { (*nb).Next };
            }
        }
        if resources {
            return;
        }
        for &n in &chain {
            self.data.nbls.get_mut(&n).expect("checked").owner = NblOwner::Ndis(a);
        }
        // NDIS returns them later, maybe split over several calls.
        let split = if chain.len() > 1 && self.rng.coin() {
            1 + self.rng.below(chain.len() as u64 - 1) as usize
        } else {
            chain.len()
        };
        let (first, second) = chain.split_at(split);
        for part in [first, second] {
            if !part.is_empty() {
                let delay = Duration::from_micros(self.rng.below(500));
                self.schedule(delay, crate::sched::EventKind::ReturnNbls { adapter: a, nbls: part.to_vec() });
            }
        }
    }

    pub(crate) fn check_send_timers(&mut self) {
        let now = self.now;
        let mut late = Vec::new();
        for (i, s) in self.data.sends.iter_mut().enumerate() {
            if s.completed.is_none() && !s.timed_out && now.saturating_sub(s.sent_at) > SEND_TIMEOUT {
                s.timed_out = true;
                late.push((i + 1, s.adapter, now - s.sent_at));
            }
        }
        for (id, a, age) in late {
            self.violate(
                NDIS_TIMED_DATA_SEND,
                format!("send #{id} on adapter {} not completed after {age:?} (limit 30 s)", a.0),
            );
        }
        let adapters: Vec<AdapterId> = self.ndis.adapters.iter().map(|a| a.id).collect();
        for a in adapters {
            let oldest = self
                .data
                .sends
                .iter()
                .filter(|s| s.adapter == a && s.completed.is_none())
                .map(|s| s.sent_at)
                .min();
            let Some(oldest) = oldest else { continue };
            let progress = self.data.last_completion.get(&a).copied().unwrap_or_default().max(oldest);
            if now.saturating_sub(progress) > SEND_HANG && self.data.hang_reported.get(&a) != Some(&progress)
            {
                self.data.hang_reported.insert(a, progress);
                let n = self.outstanding_sends(a);
                self.violate(
                    NDIS_TIMED_DATA_HANG,
                    format!(
                        "adapter {}: {n} send(s) pending and none completed for {:?} (limit 22 s)",
                        a.0,
                        now - progress
                    ),
                );
            }
        }
    }

    /// Build `count` protocol NBLs (one NB, one MDL over model-owned frame bytes each), chained.
    fn build_sends(
        &mut self,
        a: AdapterId,
        count: usize,
        frame_len: usize,
    ) -> (Vec<SendId>, *mut NetBufferList) {
        let state = self.adapter(a).state;
        let paused = matches!(state, AdapterState::Pausing | AdapterState::Paused);
        let removed = self.adapter(a).surprise_removed;
        let src = self.adapter(a).general.as_ref().map(|g| g.current_mac_address.clone()).unwrap_or_default();
        let mut ids = Vec::new();
        let mut head: *mut NetBufferList = ptr::null_mut();
        let mut tail: *mut NetBufferList = ptr::null_mut();
        for _ in 0..count {
            let id = self.data.sends.len() + 1;
            let mut frame = vec![0u8; frame_len];
            let mut header = [0xFFu8; 14];
            for (i, b) in src.iter().take(6).enumerate() {
                header[6 + i] = *b;
            }
            header[12] = 0x88;
            header[13] = 0xB5;
            for (i, b) in frame.iter_mut().enumerate() {
                *b = if i < 14 { header[i] } else { (id + i) as u8 };
            }
            let data = RawBlock::new(frame_len.max(1), 16, 0);
            // SAFETY: `data` holds at least frame_len bytes.
            unsafe { ptr::copy_nonoverlapping(frame.as_ptr(), data.ptr, frame_len) };
            let mdl = build_mdl(data.ptr.cast(), frame_len as u32);
            let nb_block = RawBlock::new(size_of::<NetBuffer>(), 16, 0);
            let nbl_block = RawBlock::new(size_of::<NetBufferList>(), 16, 0);
            let (nb, nbl) = (nb_block.ptr.cast::<NetBuffer>(), nbl_block.ptr.cast::<NetBufferList>());
            // SAFETY: fresh zeroed blocks; the MDL chain is the one just built.
            unsafe {
                init_nb(nb, 0, mdl.ptr.cast(), 0, frame_len as u32);
                (*nbl).FirstNetBuffer = nb;
                (*nbl).SourceHandle = NdisHandle(self.adapter(a).handle as *mut c_void);
                (*nbl).Status = NDIS_STATUS_SUCCESS;
                if tail.is_null() {
                    head = nbl;
                } else {
                    (*tail).Next = nbl;
                }
            }
            tail = nbl;
            let now = self.now;
            self.data.by_nbl.insert(nbl as usize, self.data.sends.len());
            self.data.sends.push(SendRec {
                adapter: a,
                nbs: vec![nb as usize],
                sent_at: now,
                completed: None,
                paused_at_send: paused,
                removed_at_send: removed,
                timed_out: false,
                frame,
                _blocks: vec![data, mdl, nb_block, nbl_block],
            });
            ids.push(SendId(id as u64));
        }
        (ids, head)
    }
}

impl Inner {
    /// NDIS hands `count` NBLs to `MiniportSendNetBufferLists` at a seeded IRQL.
    pub(crate) fn send(&self, a: AdapterId, count: usize, frame_len: usize) -> Vec<SendId> {
        assert!(count > 0, "kernel-sim: send needs at least one NBL");
        let (ids, head, ctx, handler, irql) = self.with(|st| {
            let state = st.adapter(a).state;
            assert!(
                matches!(
                    state,
                    AdapterState::Running
                        | AdapterState::Restarting
                        | AdapterState::Pausing
                        | AdapterState::Paused
                ),
                "kernel-sim: test bug: NDIS never sends on an adapter that is {state:?}"
            );
            let handler = st
                .ndis
                .characteristics
                .and_then(|c| c.SendNetBufferListsHandler)
                .expect("validated at registration");
            let ctx = st.adapter_context(a);
            let (ids, head) = st.build_sends(a, count, frame_len);
            let irql = st.seeded_irql();
            (ids, head, ctx, handler, irql)
        });
        let flags = if irql == DISPATCH_LEVEL { NDIS_SEND_FLAGS_DISPATCH_LEVEL } else { 0 };
        self.invoke("MiniportSendNetBufferLists", irql, || {
            // SAFETY: the registered handler, called as NDIS calls it with a chain it owns.
            unsafe { handler(ctx, head, NDIS_DEFAULT_PORT_NUMBER, flags) }
        });
        ids
    }

    /// NDIS returns indicated NBLs through `MiniportReturnNetBufferLists` at a seeded IRQL.
    pub(crate) fn return_nbls(&self, a: AdapterId, nbls: Vec<usize>) {
        let call = self.with(|st| {
            let mine: Vec<usize> = nbls
                .into_iter()
                .filter(|n| st.data.nbls.get(n).is_some_and(|r| r.owner == NblOwner::Ndis(a)))
                .collect();
            if mine.is_empty() {
                return None;
            }
            for (i, &n) in mine.iter().enumerate() {
                let next = mine.get(i + 1).map_or(ptr::null_mut(), |&x| x as *mut NetBufferList);
                // SAFETY: a live NBL the model allocated; NDIS relinks returned chains.
                unsafe { (*(n as *mut NetBufferList)).Next = next };
                st.data.nbls.get_mut(&n).expect("filtered").owner = NblOwner::Driver;
            }
            let handler = st
                .ndis
                .characteristics
                .and_then(|c| c.ReturnNetBufferListsHandler)
                .expect("validated at registration");
            let irql = st.seeded_irql();
            Some((handler, st.adapter_context(a), mine[0] as *mut NetBufferList, irql))
        });
        let Some((handler, ctx, head, irql)) = call else { return };
        let flags = if irql == DISPATCH_LEVEL { NDIS_RETURN_FLAGS_DISPATCH_LEVEL } else { 0 };
        self.invoke("MiniportReturnNetBufferLists", irql, || {
            // SAFETY: the registered handler, with NBLs the miniport indicated.
            unsafe { handler(ctx, head, flags) }
        });
    }
}
