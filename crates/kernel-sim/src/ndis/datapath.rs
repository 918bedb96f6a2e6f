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
use ndis_types::oid::{NDIS_MAC_OPTION_8021P_PRIORITY, NDIS_MAC_OPTION_8021Q_VLAN};
use ndis_types::*;
use rustc_hash::FxHashMap;
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
    kind: MdlKind,
}

/// Which allocator made an MDL, and for `IoAllocateMdl`'s what it describes now.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum MdlKind {
    /// `NdisAllocateMdl`: built over nonpaged memory at allocation; `NdisFreeMdl` frees it.
    Ndis,
    /// `IoAllocateMdl`: room for `pages` page numbers; `built` once `IoBuildPartialMdl` filled it,
    /// until `MmPrepareMdlForReuse`. `IoFreeMdl` frees it.
    Io { pages: usize, built: bool },
}

/// Pages a range of `length` bytes at `va` touches (wdm.h `ADDRESS_AND_SIZE_TO_SPAN_PAGES`).
fn span_pages(va: usize, length: usize) -> usize {
    ((va & 0xFFF) + length).div_ceil(4096)
}

/// What the NET_BUFFER looked like when NDIS handed it over (the miniport must give it back so).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NbSnapshot {
    nb: usize,
    mdl_chain: usize,
    current_mdl: usize,
    current_mdl_offset: u32,
    data_offset: u32,
    data_length: u32,
}

impl NbSnapshot {
    /// # Safety
    /// `nb` is a readable NET_BUFFER.
    unsafe fn of(nb: *const NetBuffer) -> Self {
        // SAFETY: guaranteed by the caller.
        unsafe {
            Self {
                nb: nb as usize,
                mdl_chain: (*nb).MdlChain as usize,
                current_mdl: (*nb).CurrentMdl as usize,
                current_mdl_offset: (*nb).CurrentMdlOffset,
                data_offset: (*nb).DataOffset,
                data_length: (*nb).DataLength,
            }
        }
    }
}

/// An NBL the model (as a protocol) sent to the miniport.
pub(crate) struct SendRec {
    pub(crate) adapter: AdapterId,
    /// The NBL's address.
    pub(crate) nbl: usize,
    pub(crate) nbs: Vec<NbSnapshot>,
    pub(crate) sent_at: Duration,
    pub(crate) completed: Option<NdisStatus>,
    pub(crate) paused_at_send: bool,
    pub(crate) removed_at_send: bool,
    /// `NetBufferListInfo[NetBufferListCancelId]`, if the protocol set one.
    pub(crate) cancel_id: Option<usize>,
    /// `MiniportCancelSend` was called with its cancel id before it completed.
    pub(crate) cancelled: bool,
    /// A write the miniport sent below (`WdfRequestSend`) carried one of its frames since it was
    /// sent: its transmission has started (`Ndis.CancelSendAbortsQueued`).
    pub(crate) started: bool,
    /// The `MiniportSendNetBufferLists` call that handed it over has returned. A cancel that
    /// starts while that call still runs on another processor may miss it: the miniport has not
    /// queued it yet (`Ndis.CancelSendAbortsQueued`).
    pub(crate) handed_over: bool,
    /// `State::callbacks_entered` of the `MiniportSendNetBufferLists` call that handed it over,
    /// and when that call returned.
    pub(crate) entered: u64,
    pub(crate) handed_over_at: u64,
    /// With several processors: not written yet when `MiniportCancelSend` of this id returned.
    /// Unless it is written before it completes, it was left queued
    /// (`Ndis.CancelSendAbortsQueued`).
    pub(crate) queued_past_cancel: Option<usize>,
    /// The adapter's `restarts_begun` when that call began.
    pub(crate) restarts_at_entry: u64,
    /// Resets started on the adapter when it was sent, and whether one was in progress.
    resets_at_send: u64,
    in_reset_at_send: bool,
    timed_out: bool,
    /// The frames it carries, one per NET_BUFFER.
    pub(crate) frames: Vec<Vec<u8>>,
    _blocks: Vec<RawBlock>,
}

/// How the model (as a protocol) lays out the NBLs it sends: `nbs_per_nbl` NET_BUFFERs per NBL;
/// each frame spread over MDLs of `mdl_split` bytes (the rest in the last MDL); `data_offset`
/// unused bytes at the start of the first MDL (the NB's `DataOffset`).
///
/// The odd shapes (for the send-path fuzz target and its regression tests):
/// - `empty_mdls`: a `0` in `mdl_split` is a zero-length MDL at that place in the chain (otherwise a
///   `0` is skipped), including after the frame's last byte;
/// - `tail_slack`: bytes after the frame in the last MDL (the chain is longer than `DataLength`, as
///   when tcpip hands down a larger buffer);
/// - `data_length_excess`: `DataLength` claims this many bytes more than the chain holds after
///   `DataOffset`. NDIS never hands a miniport such a NET_BUFFER; a driver that trusts `DataLength`
///   over the chain walks off it, so the model can send one to show that the driver does not.
///
/// `ieee8021q_info` is each NBL's `Ieee8021QNetBufferListInfo` (`UserPriority` bits 0-2, `VlanId`
/// bits 4-15), as tcpip sets it for a prioritized or VLAN send; 0: none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NblShape {
    pub nbs_per_nbl: usize,
    pub mdl_split: Vec<usize>,
    pub data_offset: u32,
    pub empty_mdls: bool,
    pub tail_slack: u32,
    pub data_length_excess: u32,
    pub ieee8021q_info: usize,
}

impl Default for NblShape {
    fn default() -> Self {
        Self {
            nbs_per_nbl: 1,
            mdl_split: Vec::new(),
            data_offset: 0,
            empty_mdls: false,
            tail_slack: 0,
            data_length_excess: 0,
            ieee8021q_info: 0,
        }
    }
}

/// What the model (as a protocol) has seen of the receive path of one adapter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReceiveCounts {
    /// NBLs indicated without `NDIS_RECEIVE_FLAGS_RESOURCES` (ownership passed to NDIS).
    pub indicated_nbls: u64,
    /// NBLs indicated with `NDIS_RECEIVE_FLAGS_RESOURCES` (ownership back at once).
    pub resources_nbls: u64,
    /// NET_BUFFERs (frames) indicated, either way.
    pub frames: u64,
    /// `NdisMIndicateReceiveNetBufferLists` calls.
    pub indications: u64,
    /// NBLs returned through `MiniportReturnNetBufferLists`.
    pub returned_nbls: u64,
    /// `MiniportReturnNetBufferLists` calls.
    pub return_calls: u64,
    /// Of those, calls NDIS made before the indication on the same stack returned.
    pub inline_return_calls: u64,
    /// Bytes of the frames indicated (`DataLength` of every NET_BUFFER).
    pub bytes: u64,
    /// NBLs NDIS owns right now (indicated, not returned yet).
    pub outstanding_nbls: u64,
}

/// When NDIS returns indicated NBLs from inside the indication, before
/// `NdisMIndicateReceiveNetBufferLists` returns ([`crate::Sim::set_inline_returns`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum InlineReturns {
    /// One indication in four, from a seeded stream of its own (default).
    #[default]
    Seeded,
    /// After every indication that left NBLs with NDIS (and returns are not held): everything
    /// NDIS holds for the adapter, this indication's NBLs and older ones.
    Always,
    /// Never: every return comes later, from the scheduler.
    Never,
}

/// The protocol's side of one adapter's receive path.
#[derive(Default)]
pub(crate) struct RxState {
    pub(crate) counts: ReceiveCounts,
    /// NBLs NDIS owns and has not returned (no return scheduled for them yet).
    pub(crate) outstanding: Vec<usize>,
    /// Returns are held until `return_now` or `hold_returns(false)`.
    pub(crate) hold: bool,
    /// `ReturnSome` events in the scheduler.
    pub(crate) return_events: usize,
    /// Some of what NDIS holds goes back from inside the indication being made (a protocol that
    /// returns NBLs from its receive handler, the new ones or older ones).
    pub(crate) inline_return: bool,
}

/// Every NBL the model sent, by send index (`SendId` - 1). Completed sends can be retired
/// ([`crate::Sim::retire_completed_sends`]) so long runs keep only what is in flight.
#[derive(Default)]
pub(crate) struct SendLog {
    /// Index of `recs[0]`.
    base: usize,
    /// None: retired.
    recs: std::collections::VecDeque<Option<SendRec>>,
}

impl SendLog {
    /// Sends made so far (retired ones included): the next send's index.
    pub(crate) fn len(&self) -> usize {
        self.base + self.recs.len()
    }

    pub(crate) fn push(&mut self, rec: SendRec) {
        self.recs.push_back(Some(rec));
    }

    pub(crate) fn get(&self, index: usize) -> Option<&SendRec> {
        self.recs.get(index.checked_sub(self.base)?)?.as_ref()
    }

    pub(crate) fn get_mut(&mut self, index: usize) -> Option<&mut SendRec> {
        self.recs.get_mut(index.checked_sub(self.base)?)?.as_mut()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &SendRec> {
        self.recs.iter().flatten()
    }

    /// Live (not retired) sends with their indexes.
    fn iter_indexed_mut(&mut self) -> impl Iterator<Item = (usize, &mut SendRec)> {
        let base = self.base;
        self.recs.iter_mut().enumerate().filter_map(move |(i, r)| r.as_mut().map(|r| (base + i, r)))
    }
}

impl core::ops::Index<usize> for SendLog {
    type Output = SendRec;
    fn index(&self, index: usize) -> &SendRec {
        self.get(index).unwrap_or_else(|| panic!("kernel-sim: send #{} was retired", index + 1))
    }
}

impl core::ops::IndexMut<usize> for SendLog {
    fn index_mut(&mut self, index: usize) -> &mut SendRec {
        self.get_mut(index).unwrap_or_else(|| panic!("kernel-sim: send #{} was retired", index + 1))
    }
}

#[derive(Default)]
pub(crate) struct DataState {
    pub(crate) pools: BTreeMap<usize, Pool>,
    freed_pools: BTreeSet<usize>,
    /// By address: looked up on every indication and return, so hashed (O(1)), not ordered.
    pub(crate) nbls: FxHashMap<usize, DriverNbl>,
    freed_nbls: BTreeSet<usize>,
    /// By address: looked up twice per frame a miniport indicates in place (its partial MDL
    /// prepared and built), so hashed (O(1)), not ordered.
    pub(crate) mdls: FxHashMap<usize, MdlRec>,
    freed_mdls: BTreeSet<usize>,
    pub(crate) sends: SendLog,
    by_nbl: FxHashMap<usize, usize>,
    /// MDLs of the protocol's sends (alive for the run).
    send_mdls: BTreeSet<usize>,
    last_completion: HashMap<AdapterId, Duration>,
    hang_reported: HashMap<AdapterId, Duration>,
    pub(crate) rx: FxHashMap<AdapterId, RxState>,
    /// Reused by indications and returns (no allocation per call on the data path).
    chain_scratch: Vec<usize>,
    return_scratch: Vec<usize>,
    /// Frames of each indicated NBL as indicated (checked again when NDIS returns it), and the
    /// MDLs of its NET_BUFFERs then.
    indicated: FxHashMap<usize, (Vec<Vec<u8>>, Vec<usize>)>,
    /// Those MDLs, each to the last NBL indicated with it and the number of NBLs NDIS holds with
    /// it (two may share one): what an MDL call of the miniport is checked against
    /// (`Ndis.ReceiveOwnership`), on every call, so a lookup, not a walk of every NBL NDIS holds.
    indicated_mdls: FxHashMap<usize, (usize, usize)>,
    /// Resets started per adapter.
    pub(crate) resets: HashMap<AdapterId, u64>,
    /// The `MdlFlags` of the protocol's send MDLs (`Sim::set_send_mdl_flags`); None: seeded,
    /// nonpaged or mapped.
    pub(crate) send_mdl_flags: Option<i16>,
    /// `MmMapLockedPagesSpecifyCache` calls that mapped an MDL (`Sim::mdl_mappings`).
    pub(crate) mdl_mappings: u64,
    /// Sends with a cancel id that may not have started yet (indices into `sends`; completed or
    /// started ones are dropped lazily). Empty in runs without cancelable sends, so the data path
    /// pays nothing for `Ndis.CancelSendAbortsQueued`.
    unstarted_cancelable: Vec<usize>,
}

/// Statuses `NdisMSendNetBufferListsComplete` may carry (Microsoft pages "NdisMSendNetBufferListsComplete
/// function (ndis.h)" and "MINIPORT_SEND_NET_BUFFER_LISTS callback function (ndis.h)").
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

/// Build an MDL over `len` bytes at `va`, as `NdisAllocateMdl` (IoAllocateMdl +
/// MmBuildMdlForNonPagedPool) does: `MDL_SOURCE_IS_NONPAGED_POOL`, `MappedSystemVa` = `va`.
fn build_mdl(va: *mut c_void, len: u32) -> RawBlock {
    build_mdl_flags(va, len, MDL_SOURCE_IS_NONPAGED_POOL)
}

fn build_mdl_flags(va: *mut c_void, len: u32, flags: i16) -> RawBlock {
    let offset = (va as usize) & 0xFFF;
    let pages = (offset + len as usize).div_ceil(4096).max(1);
    let size = size_of::<Mdl>() + 8 * pages;
    let block = RawBlock::new(size, 16, 0);
    let mdl = block.ptr.cast::<Mdl>();
    // SAFETY: a fresh, zeroed block large enough for an MDL and its PFN array.
    unsafe {
        (*mdl).Next = ptr::null_mut();
        (*mdl).Size = size as i16;
        (*mdl).MdlFlags = flags;
        (*mdl).MappedSystemVa = va;
        (*mdl).StartVa = ((va as usize) & !0xFFF) as *mut c_void;
        (*mdl).ByteCount = len;
        (*mdl).ByteOffset = offset as u32;
    }
    block
}

/// Where the model keeps the bytes an MDL describes: `StartVa + ByteOffset` (what the memory manager
/// would map), whether or not the MDL is mapped yet.
///
/// # Safety
/// `mdl` is a live MDL the model built.
unsafe fn mdl_system_va(mdl: *const Mdl) -> *mut c_void {
    // SAFETY: guaranteed by the caller.
    unsafe { (*mdl).StartVa.cast::<u8>().add((*mdl).ByteOffset as usize).cast() }
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
        self.data.mdls.contains_key(&(mdl as usize)) || self.data.send_mdls.contains(&(mdl as usize))
    }

    /// `MmMapLockedPagesSpecifyCache` (what `MmGetSystemAddressForMdlSafe` calls for an MDL that
    /// is neither mapped nor nonpaged): every MDL the model knows is nonpaged and mapped, so this
    /// is `MappedSystemVa`; an unknown MDL is a wild pointer.
    pub(crate) fn mm_map_locked_pages(&mut self, mdl: *mut Mdl, priority: u32) -> *mut c_void {
        let api = "MmMapLockedPagesSpecifyCache";
        self.check_irql(api, DISPATCH_LEVEL);
        // The priority is an MM_PAGE_PRIORITY (Low 0, Normal 16, High 32), ORed since Windows 8
        // with MdlMappingNoWrite / MdlMappingNoExecute; drivers "should always specify
        // nonexecutable memory unless executable memory is explicitly required" (Doc
        // nf-wdm-mmgetsystemaddressformdlsafe): the model makes that advice a rule.
        // MdlMappingWithGuardPtes (0x20000000, wdm.h) is accepted too since Windows 10.
        let page_priority = priority & !(MDL_MAPPING_NO_WRITE | MDL_MAPPING_NO_EXECUTE | 0x2000_0000);
        if !matches!(page_priority, LOW_PAGE_PRIORITY | NORMAL_PAGE_PRIORITY | HIGH_PAGE_PRIORITY)
            || priority & MDL_MAPPING_NO_EXECUTE == 0
        {
            self.violate(
                MEMORY_MAPPING_PRIORITY,
                format!(
                    "{api}(priority {priority:#x}): not Low/Normal/HighPagePriority | MdlMappingNoExecute \
                     (MdlMappingNoWrite allowed)"
                ),
            );
        }
        if mdl.is_null() || !self.is_known_mdl(mdl) {
            let why = if self.data.freed_mdls.contains(&(mdl as usize)) {
                "an MDL that was freed"
            } else {
                "not an MDL NDIS or the driver allocated"
            };
            self.violate(MEMORY_BAD_MDL, format!("{api}({mdl:p}): {why}"));
            return ptr::null_mut();
        }
        self.data.mdl_mappings += 1;
        // SAFETY: a live MDL the model built.
        unsafe {
            if (*mdl).MappedSystemVa.is_null() {
                // Not mapped until now (`Sim::set_send_mdl_flags` without either flag): the
                // system address of the pages is where the model keeps them.
                (*mdl).MappedSystemVa = mdl_system_va(mdl);
            }
            (*mdl).MdlFlags |= MDL_MAPPED_TO_SYSTEM_VA;
            (*mdl).MappedSystemVa
        }
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
            if let Some(why) = self.unbuilt_mdl(mdl) {
                return Err(why);
            }
            // SAFETY: a live MDL the model built over `ByteCount` readable bytes at its system VA.
            let (va, count, next) =
                unsafe { (mdl_system_va(mdl).cast::<u8>(), (*mdl).ByteCount as usize, (*mdl).Next) };
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
        self.allocations += 1;
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
        self.allocations += 1;
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
        self.record_mdl(build_mdl(va, length), scope, MdlKind::Ndis)
    }

    /// An MDL the driver just allocated: counted, and known from now on.
    fn record_mdl(&mut self, block: RawBlock, scope: Scope, kind: MdlKind) -> *mut Mdl {
        self.allocations += 1;
        let mdl = block.ptr.cast::<Mdl>();
        self.data.freed_mdls.remove(&(mdl as usize));
        self.data.mdls.insert(mdl as usize, MdlRec { block, scope, kind });
        mdl
    }

    pub(crate) fn ndis_free_mdl(&mut self, mdl: *mut Mdl) {
        self.free_mdl("NdisFreeMdl", mdl, false);
    }

    /// `NdisFreeMdl` or `IoFreeMdl` (`io`): each frees only what its own allocator made.
    fn free_mdl(&mut self, api: &'static str, mdl: *mut Mdl, io: bool) {
        let allocator = |io: bool| if io { "IoAllocateMdl" } else { "NdisAllocateMdl" };
        self.check_irql(api, DISPATCH_LEVEL);
        if self.mdl_held_by_ndis(api, mdl, "frees") {
            return;
        }
        let key = mdl as usize;
        match self.data.mdls.get(&key).map(|rec| matches!(rec.kind, MdlKind::Io { .. })) {
            Some(kind_io) if kind_io == io => {
                let rec = self.data.mdls.remove(&key).expect("looked up");
                rec.block.poison();
                self.mem.quarantine.push(rec.block);
                self.data.freed_mdls.insert(key);
            }
            Some(kind_io) => {
                let msg = format!("{api}({mdl:p}): the MDL came from {}", allocator(kind_io));
                self.violate(MEMORY_PARTIAL_MDL, msg);
            }
            None => {
                let why = if self.data.freed_mdls.contains(&key) {
                    "freed twice".to_owned()
                } else {
                    format!("not an MDL from {}", allocator(io))
                };
                self.violate(MEMORY_BAD_FREE, format!("{api}({mdl:p}): {why}"));
            }
        }
    }

    /// `IoAllocateMdl(va, length, FALSE, FALSE, NULL)`: `MmInitializeMdl` over room for the range's
    /// pages; the MDL describes no pages until `IoBuildPartialMdl` (or `MmBuildMdlForNonPagedPool`,
    /// which the driver does not use) fills it (Doc nf-wdm-ioallocatemdl).
    pub(crate) fn io_allocate_mdl(&mut self, va: *mut c_void, length: u32) -> *mut Mdl {
        let api = "IoAllocateMdl";
        self.check_irql(api, DISPATCH_LEVEL);
        if va.is_null() || length == 0 {
            self.violate(
                MEMORY_PARTIAL_MDL,
                format!("{api}(va {va:p}, length {length}): an MDL sized for nothing"),
            );
            return ptr::null_mut();
        }
        if self.fallible(api) {
            return ptr::null_mut();
        }
        let pages = span_pages(va as usize, length as usize);
        let block = build_mdl_flags(va, length, 0);
        // SAFETY: the MDL just built; an initialized MDL is not mapped.
        unsafe { (*block.ptr.cast::<Mdl>()).MappedSystemVa = ptr::null_mut() };
        // Not tied to a handle: one allocated in an adapter's initialize is that adapter's (a leak
        // is reported at its halt); any other, the driver's (reported at unload).
        let scope = match self.current_phase() {
            crate::Phase::Initialize(a) => Scope::Adapter(a),
            _ => Scope::Driver,
        };
        self.record_mdl(block, scope, MdlKind::Io { pages, built: false })
    }

    pub(crate) fn io_free_mdl(&mut self, mdl: *mut Mdl) {
        self.free_mdl("IoFreeMdl", mdl, true);
    }

    /// `IoBuildPartialMdl`: the target describes `length` bytes at `va` inside the source's buffer,
    /// mapped where the source is when the source is nonpaged or mapped (Doc nf-wdm-iobuildpartialmdl).
    pub(crate) fn io_build_partial_mdl(
        &mut self,
        source: *mut Mdl,
        target: *mut Mdl,
        va: *mut c_void,
        length: u32,
    ) {
        let api = "IoBuildPartialMdl";
        self.check_irql(api, DISPATCH_LEVEL);
        let source_built = self.data.mdls.get(&(source as usize)).map(|rec| rec.kind) == Some(MdlKind::Ndis)
            || self.data.send_mdls.contains(&(source as usize));
        if !source_built {
            let why = match self.data.mdls.get(&(source as usize)).map(|rec| rec.kind) {
                Some(MdlKind::Io { .. }) => {
                    "an IoAllocateMdl MDL, which describes no locked or nonpaged pages of its own"
                }
                _ if self.data.freed_mdls.contains(&(source as usize)) => "an MDL that was freed",
                _ => "not an MDL NDIS or the driver allocated",
            };
            self.violate(MEMORY_PARTIAL_MDL, format!("{api}: the source {source:p} is {why}"));
            return;
        }
        // SAFETY: a live MDL the model built or a protocol's send MDL.
        let (start, count, flags) =
            unsafe { (mdl_system_va(source) as usize, (*source).ByteCount as usize, (*source).MdlFlags) };
        let (from, len) = (va as usize, length as usize);
        if length == 0 || from < start || from.saturating_add(len) > start + count {
            let msg = format!(
                "{api}: {len} bytes at {va:p} are not inside the source's {count} bytes at {start:#x} (a length of 0                  would take the rest of the source)"
            );
            self.violate(MEMORY_PARTIAL_MDL, msg);
            return;
        }
        let needed = span_pages(from, len);
        if self.mdl_held_by_ndis(api, target, "rebuilds") {
            return;
        }
        match self.data.mdls.get_mut(&(target as usize)).map(|rec| &mut rec.kind) {
            Some(MdlKind::Io { pages, built }) => {
                let (pages, was_built) = (*pages, *built);
                if needed > pages {
                    let msg = format!(
                        "{api}: the range spans {needed} page(s) but the target {target:p} has room for {pages}:                          the page numbers would run past it"
                    );
                    self.violate(MEMORY_PARTIAL_MDL, msg);
                    return;
                }
                if was_built {
                    let msg = format!(
                        "{api}: the target {target:p} was built before and not given to MmPrepareMdlForReuse since                          (Doc nf-wdm-iobuildpartialmdl)"
                    );
                    self.violate(MEMORY_PARTIAL_MDL, msg);
                    return;
                }
            }
            _ => {
                let why = if self.data.freed_mdls.contains(&(target as usize)) {
                    "an MDL that was freed"
                } else {
                    "not an MDL from IoAllocateMdl"
                };
                self.violate(MEMORY_PARTIAL_MDL, format!("{api}: the target {target:p} is {why}"));
                return;
            }
        }
        if let Some(MdlKind::Io { built, .. }) =
            self.data.mdls.get_mut(&(target as usize)).map(|rec| &mut rec.kind)
        {
            *built = true;
        }
        // SAFETY: a live IoAllocateMdl MDL with room for `needed` page numbers (checked).
        unsafe {
            (*target).StartVa = (from & !0xFFF) as *mut c_void;
            (*target).ByteOffset = (from & 0xFFF) as u32;
            (*target).ByteCount = length;
            (*target).MdlFlags =
                MDL_PARTIAL | (flags & (MDL_SOURCE_IS_NONPAGED_POOL | MDL_MAPPED_TO_SYSTEM_VA));
            // The source's mapping, shared when it has one (nonpaged or mapped): the range's own
            // address, where the model keeps every MDL's bytes. Otherwise not mapped yet.
            (*target).MappedSystemVa = if flags & (MDL_SOURCE_IS_NONPAGED_POOL | MDL_MAPPED_TO_SYSTEM_VA) != 0
            {
                va
            } else {
                ptr::null_mut()
            };
        }
    }

    /// wdm.h's `MmPrepareMdlForReuse`: a built partial MDL may be built again.
    pub(crate) fn mm_prepare_mdl_for_reuse(&mut self, mdl: *mut Mdl) {
        let api = "MmPrepareMdlForReuse";
        self.check_irql(api, DISPATCH_LEVEL);
        if self.mdl_held_by_ndis(api, mdl, "prepares") {
            return;
        }
        match self.data.mdls.get_mut(&(mdl as usize)).map(|rec| &mut rec.kind) {
            Some(MdlKind::Io { built, .. }) => *built = false,
            _ => {
                self.violate(MEMORY_PARTIAL_MDL, format!("{api}({mdl:p}): not a live MDL from IoAllocateMdl"))
            }
        }
    }

    /// An NBL NDIS owns (indicated, not returned yet) whose frame bytes lie in `start..start+len`:
    /// a buffer handed to the device while that is so lets the device overwrite what protocols
    /// read. Only with the per-frame checks on (the indicated NBLs are recorded then).
    pub(crate) fn indicated_within(&self, start: usize, len: usize) -> Option<usize> {
        let end = start.saturating_add(len);
        self.data.indicated.keys().copied().find(|&n| {
            // SAFETY: a live NBL the model allocated, owned by NDIS (its MDLs cannot be freed by
            // the miniport meanwhile without a violation).
            let mut nb = unsafe { (*(n as *mut NetBufferList)).FirstNetBuffer };
            while !nb.is_null() {
                // SAFETY: as above.
                let mut mdl = unsafe { (*nb).MdlChain };
                while !mdl.is_null() && self.is_known_mdl(mdl) {
                    // SAFETY: a live MDL the model built.
                    let (va, count) = unsafe { (mdl_system_va(mdl) as usize, (*mdl).ByteCount as usize) };
                    if va < end && start < va.saturating_add(count) {
                        return true;
                    }
                    // SAFETY: as above.
                    mdl = unsafe { (*mdl).Next };
                }
                // SAFETY: as above.
                nb = unsafe { (*nb).Next };
            }
            false
        })
    }

    /// An NBL NDIS owns whose NET_BUFFERs use `mdl`: such an MDL is NDIS's to read until the NBL
    /// comes back, and the driver may not free, rebuild or prepare it. Only with the per-frame
    /// checks on.
    fn ndis_holds_mdl(&self, mdl: *mut Mdl) -> Option<usize> {
        if !self.checks || mdl.is_null() {
            return None;
        }
        // With the checks on, `indicated_mdls` holds exactly the MDLs of the NBLs NDIS owns.
        self.data.indicated_mdls.get(&(mdl as usize)).map(|&(nbl, _)| nbl)
    }

    /// NBL `n` is NDIS's no more: its frames as indicated, and its MDLs out of the index.
    fn forget_indicated(&mut self, n: usize) -> Vec<Vec<u8>> {
        let (frames, mdls) = self.data.indicated.remove(&n).unwrap_or_default();
        for mdl in mdls {
            if let std::collections::hash_map::Entry::Occupied(mut entry) =
                self.data.indicated_mdls.entry(mdl)
            {
                let (_, holders) = entry.get_mut();
                *holders -= 1;
                if *holders == 0 {
                    entry.remove();
                }
            }
        }
        frames
    }

    /// The known MDLs of NBL `n`'s NET_BUFFERs, in order.
    fn chain_mdls(&self, n: usize) -> impl Iterator<Item = usize> + '_ {
        // SAFETY: a live NBL the model allocated.
        let first = unsafe { (*(n as *mut NetBufferList)).FirstNetBuffer };
        std::iter::successors((!first.is_null()).then_some(first), |&nb| {
            // SAFETY: as above.
            let next = unsafe { (*nb).Next };
            (!next.is_null()).then_some(next)
        })
        .flat_map(move |nb| {
            // SAFETY: as above.
            let first = unsafe { (*nb).MdlChain };
            std::iter::successors(
                (!first.is_null() && self.is_known_mdl(first)).then_some(first),
                move |&m| {
                    // SAFETY: a live MDL the model built.
                    let next = unsafe { (*m).Next };
                    (!next.is_null() && self.is_known_mdl(next)).then_some(next)
                },
            )
        })
        .map(|m| m as usize)
    }

    /// `Ndis.ReceiveOwnership` if `mdl` belongs to an NBL NDIS owns; true if it does.
    fn mdl_held_by_ndis(&mut self, api: &str, mdl: *mut Mdl, what: &str) -> bool {
        let Some(nbl) = self.ndis_holds_mdl(mdl) else { return false };
        let msg = format!(
            "{api}({mdl:p}) {what} the MDL of NBL {nbl:#x}, which NDIS owns until MiniportReturnNetBufferLists"
        );
        self.violate(NDIS_RECEIVE_OWNERSHIP, msg);
        true
    }

    /// Why an MDL in an NBL the miniport hands NDIS describes no bytes, if it does not.
    fn unbuilt_mdl(&self, mdl: *mut Mdl) -> Option<String> {
        match self.data.mdls.get(&(mdl as usize)).map(|rec| rec.kind) {
            Some(MdlKind::Io { built: false, .. }) => Some(format!(
                "MDL {mdl:p} came from IoAllocateMdl and describes no pages (no IoBuildPartialMdl since it was \
                 allocated or prepared for reuse)"
            )),
            _ => None,
        }
    }

    /// Sends the miniport still owns, and indicated NBLs NDIS still owns, for `a`.
    pub(crate) fn adapter_busy(&self, a: AdapterId) -> Vec<String> {
        let mut out = Vec::new();
        // Sends whose `MiniportSendNetBufferLists` still runs on another processor are NDIS's to
        // wait for (`wait_for_ndis_calls_elsewhere`), not yet the miniport's.
        let sends = self.held_sends(a);
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

    /// Sends the miniport holds: outstanding, and handed over by a `MiniportSendNetBufferLists`
    /// call that has returned (one still running on another processor has not given the
    /// miniport the NBLs yet as far as a reset is concerned: it may see them before or after).
    pub(crate) fn held_sends(&self, a: AdapterId) -> usize {
        self.data.sends.iter().filter(|s| s.adapter == a && s.completed.is_none() && s.handed_over).count()
    }

    /// Sends a reset must not leave held (`Ndis.NothingHeldAcrossReset`): those whose
    /// `MiniportSendNetBufferLists` returned before `MiniportResetEx` began, and those handed over
    /// by a call that began after it returned PENDING (the driver knew the reset was pending). A
    /// call that overlapped the reset handler may have found the driver before or after it. A send that overlapped the reset handler on another
    /// processor may have been taken for after the reset.
    pub(crate) fn held_across_reset(&self, a: AdapterId) -> usize {
        let adapter = self.adapter(a);
        let (began, returned) = (adapter.reset_began, adapter.reset_returned);
        self.data
            .sends
            .iter()
            .filter(|s| s.adapter == a && s.completed.is_none() && s.handed_over)
            .filter(|s| s.handed_over_at <= began || returned.is_some_and(|r| s.entered > r))
            .count()
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
        let mut leaked: Vec<usize> =
            self.data.mdls.iter().filter(|(_, m)| m.scope == scope).map(|(&h, _)| h).collect();
        leaked.sort_unstable();
        let mdls = leaked.into_iter().map(|h| format!("MDL {h:#x} ({scope})")).collect();
        (pools, mdls)
    }

    pub(crate) fn ndis_m_send_complete(&mut self, handle: NdisHandle, head: *mut NetBufferList, flags: u32) {
        let api = "NdisMSendNetBufferListsComplete";
        self.check_irql(api, DISPATCH_LEVEL);
        let Some(a) = self.adapter_handle(api, handle) else { return };
        self.check_dispatch_flag(api, flags & NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL != 0);
        let mut nbl = head;
        let mut seen = BTreeSet::new();
        let checks = self.checks;
        while !nbl.is_null() {
            if checks && !seen.insert(nbl as usize) {
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
            let id = index + 1;
            let (sent_on, completed) = (self.data.sends[index].adapter, self.data.sends[index].completed);
            if sent_on != a {
                let msg = format!(
                    "{api}: NBL {nbl:p} (send #{id}) was sent to adapter {}, completed on adapter {}",
                    sent_on.0, a.0
                );
                self.violate(NDIS_SEND_COMPLETE_EXACTLY_ONCE, msg);
            }
            if let Some(previous) = completed {
                let msg =
                    format!("{api}: NBL {nbl:p} (send #{id}) completed again (first with {:#x})", previous);
                self.violate(NDIS_SEND_COMPLETE_EXACTLY_ONCE, msg);
                nbl = next;
                continue;
            }
            if checks {
                self.check_nb_chain(api, nbl, index);
            }
            self.check_send_status(api, nbl, index, a, status);
            let now = self.now;
            self.data.sends[index].completed = Some(status);
            self.data.last_completion.insert(a, now);
            nbl = next;
        }
    }

    /// `Ndis.SendNbChainUnchanged`: the same NET_BUFFERs, in order, each as NDIS handed it over.
    fn check_nb_chain(&mut self, api: &str, nbl: *mut NetBufferList, index: usize) {
        let sent = &self.data.sends[index].nbs;
        let mut now = Vec::new();
        // SAFETY: a model-built NBL; NB pointers are followed only while they are ones the model
        // built for it (a changed chain is reported, never walked into the unknown).
        unsafe {
            let mut nb = (*nbl).FirstNetBuffer;
            while !nb.is_null() && now.len() <= sent.len() {
                if !sent.iter().any(|s| s.nb == nb as usize) {
                    now.push(NbSnapshot { nb: nb as usize, ..sent[0] });
                    break;
                }
                now.push(NbSnapshot::of(nb));
                nb = (*nb).Next;
            }
        }
        if now != *sent {
            let id = index + 1;
            let nbs: Vec<usize> = now.iter().map(|s| s.nb).collect();
            let sent_nbs: Vec<usize> = sent.iter().map(|s| s.nb).collect();
            let msg = if nbs != sent_nbs {
                format!(
                    "{api}: NBL {nbl:p} (send #{id}) comes back with NET_BUFFERs {nbs:x?}, sent with {sent_nbs:x?}"
                )
            } else {
                let (i, (was, is)) =
                    sent.iter().zip(&now).enumerate().find(|(_, (w, n))| w != n).expect("they differ");
                format!(
                    "{api}: NBL {nbl:p} (send #{id}) NET_BUFFER {i} comes back changed: sent as {was:x?}, now {is:x?} (advance without retreat?)"
                )
            };
            self.violate(NDIS_SEND_NB_CHAIN_UNCHANGED, msg);
        }
    }

    /// `Ndis.SendCompleteStatus` for one completed NBL.
    fn check_send_status(
        &mut self,
        api: &str,
        nbl: *mut NetBufferList,
        index: usize,
        a: AdapterId,
        status: NdisStatus,
    ) {
        let id = index + 1;
        let rec = &self.data.sends[index];
        // Completed while its handler still runs, with a restart begun since it began: either way
        // (`handed_over` settles it for one completed later).
        let overlapped_restart = !rec.handed_over && self.adapter(a).restarts_begun != rec.restarts_at_entry;
        let (paused, removed, cancelled, cancel_id) =
            (rec.paused_at_send && !overlapped_restart, rec.removed_at_send, rec.cancelled, rec.cancel_id);
        let resets_now = self.data.resets.get(&a).copied().unwrap_or(0);
        let reset_since_send = rec.in_reset_at_send || resets_now > rec.resets_at_send;
        let removed_now = self.adapter(a).surprise_removed;
        // The surprise-removal notification, running on another processor, has published the
        // removal to the driver (released a lock after setting it): a send the driver refuses
        // after seeing it is refused as removed, whatever it was at entry.
        let removal_seen = self.adapter(a).surprise_published.is_some();
        let in_cancel = self.cpu.cancelling.filter(|(ca, _)| *ca == a).map(|(_, c)| c);
        let problem = if !SEND_STATUSES.contains(&status) {
            Some(format!("completed with {:#x}, not a send status", status))
        } else if removed && status != NDIS_STATUS_NOT_ACCEPTED && !(paused && status == NDIS_STATUS_PAUSED) {
            Some(format!(
                "sent after surprise removal completed with {:#x}; expected NDIS_STATUS_NOT_ACCEPTED",
                status
            ))
        } else if paused
            && !removed
            && status != NDIS_STATUS_PAUSED
            && !(removal_seen && status == NDIS_STATUS_NOT_ACCEPTED)
        {
            Some(format!(
                "sent while the adapter was pausing or paused completed with {:#x}; expected NDIS_STATUS_PAUSED",
                status
            ))
        } else if let Some(cid) = in_cancel
            && cancel_id == Some(cid)
            && status != NDIS_STATUS_SEND_ABORTED
        {
            Some(format!(
                "completed inside MiniportCancelSend for its cancel id {cid:#x} with {:#x}; a cancelled send completes with NDIS_STATUS_SEND_ABORTED",
                status
            ))
        } else if status == NDIS_STATUS_SEND_ABORTED && !cancelled && !reset_since_send && !removed_now {
            Some(match (in_cancel, cancel_id) {
                (Some(cid), Some(own)) => format!(
                    "completed with NDIS_STATUS_SEND_ABORTED inside MiniportCancelSend({cid:#x}) but its cancel id is {own:#x}"
                ),
                (Some(cid), None) => format!(
                    "completed with NDIS_STATUS_SEND_ABORTED inside MiniportCancelSend({cid:#x}) but it has no cancel id"
                ),
                _ => "completed with NDIS_STATUS_SEND_ABORTED but nobody cancelled it (no MiniportCancelSend for its id, no reset)".into(),
            })
        } else if status == NDIS_STATUS_RESET_IN_PROGRESS && !reset_since_send && !removed_now {
            Some("completed with NDIS_STATUS_RESET_IN_PROGRESS but no reset started since it was sent".into())
        } else {
            None
        };
        if let Some(why) = problem {
            self.violate(NDIS_SEND_COMPLETE_STATUS, format!("{api}: NBL {nbl:p} (send #{id}) {why}"));
        }
        let rec = &self.data.sends[index];
        if let Some(cid) = rec.queued_past_cancel
            && !rec.started
            && status != NDIS_STATUS_SEND_ABORTED
        {
            let msg = format!(
                "{api}: NBL {nbl:p} (send #{id}) was queued, not written, when MiniportCancelSend({cid:#x}) returned, and completes with {status:#x} without having gone to the device: queued NBLs of the id are unlinked and completed with NDIS_STATUS_SEND_ABORTED"
            );
            self.violate(NDIS_CANCEL_SEND_ABORTS_QUEUED, msg);
        }
    }

    pub(crate) fn check_dispatch_flag(&mut self, api: &'static str, flag: bool) {
        let at_dispatch = self.cpu.irql == DISPATCH_LEVEL;
        if flag != at_dispatch {
            let msg = if flag {
                format!("{api} with the DISPATCH_LEVEL flag at {}", crate::irql::irql_name(self.cpu.irql))
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
        // "Pausing an Adapter": in the Pausing state the driver "waits for all calls to the
        // NdisMIndicateReceiveNetBufferLists function to return". A callback on another processor
        // that overlapped `MiniportPause` may still make its indication: the driver learns of the
        // pause inside that call. One entered after it returned, or the pause handler itself, may not.
        let pause_returned = self.adapter(a).pause_returned;
        let indication_in_flight = state == AdapterState::Pausing
            && !self.cpu.frames.iter().any(|f| f.what == "MiniportPause")
            && (pause_returned.is_none() || self.callback_predates(pause_returned));
        if !matches!(state, AdapterState::Restarting | AdapterState::Running) && !indication_in_flight {
            self.violate(
                NDIS_INDICATE_ONLY_WHEN_RUNNING,
                format!("{api} on adapter {} while {state:?}", a.0),
            );
        }
        let resources = flags & NDIS_RECEIVE_FLAGS_RESOURCES != 0;
        let mut chain = std::mem::take(&mut self.data.chain_scratch);
        chain.clear();
        let mut nbl = head;
        if head.is_null() {
            self.violate(NDIS_RECEIVE_COUNT_MATCHES, format!("{api} with a NULL NBL chain"));
            return;
        }
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
                    let why = if self.data.by_nbl.contains_key(&(nbl as usize)) {
                        "an NBL the protocol sent (a miniport indicates only NBLs from its own pools)"
                    } else if self.data.freed_nbls.contains(&(nbl as usize)) {
                        "an NBL that was freed"
                    } else {
                        "not an NBL from this driver's pools"
                    };
                    self.violate(NDIS_RECEIVE_OWNERSHIP, format!("{api}: {nbl:p} is {why}"));
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
        if !self.checks {
            self.indicate_unchecked(a, &chain, resources);
            self.data.chain_scratch = chain;
            return;
        }
        let mut frames_of = Vec::with_capacity(chain.len());
        for &n in &chain {
            // SAFETY: as above.
            let mut nb = unsafe { (*(n as *mut NetBufferList)).FirstNetBuffer };
            if nb.is_null() {
                self.violate(NDIS_NBL_STRUCTURE_VALID, format!("{api}: NBL {n:#x} has no NET_BUFFER"));
            }
            let mut frames = Vec::new();
            while !nb.is_null() {
                match self.nb_bytes(nb) {
                    Ok(frame) => frames.push(frame),
                    Err(why) => {
                        self.violate(NDIS_NBL_STRUCTURE_VALID, format!("{api}: NBL {n:#x} NB {nb:p}: {why}"));
                        break;
                    }
                }
                // SAFETY: as above.
                nb = unsafe { (*nb).Next };
            }
            // SAFETY: as above; slot 4 is within every NBL's info array.
            let ieee8021q =
                unsafe { (*(n as *mut NetBufferList)).NetBufferListInfo[IEEE_8021Q_NET_BUFFER_LIST_INFO] }
                    .addr();
            self.check_8021q_declared(api, a, ieee8021q, &frames);
            self.check_indicated_size(api, a, &frames);
            let adapter = self.adapter_mut(a);
            adapter.received.extend(frames.iter().cloned());
            adapter.received_8021q.extend(std::iter::repeat_n(ieee8021q, frames.len()));
            frames_of.push(frames);
        }
        let rx = self.data.rx.entry(a).or_default();
        rx.counts.indications += 1;
        rx.counts.frames += frames_of.iter().map(|f| f.len() as u64).sum::<u64>();
        rx.counts.bytes += frames_of.iter().flatten().map(|f| f.len() as u64).sum::<u64>();
        if resources {
            // The miniport owns them again as soon as this returns; NDIS never returns them.
            rx.counts.resources_nbls += chain.len() as u64;
            return;
        }
        rx.counts.indicated_nbls += chain.len() as u64;
        rx.counts.outstanding_nbls += chain.len() as u64;
        rx.outstanding.extend(chain.iter().copied());
        for (&n, frames) in chain.iter().zip(frames_of) {
            self.data.nbls.get_mut(&n).expect("checked").owner = NblOwner::Ndis(a);
            let mdls: Vec<usize> = if self.checks { self.chain_mdls(n).collect() } else { Vec::new() };
            for &mdl in &mdls {
                let entry = self.data.indicated_mdls.entry(mdl).or_insert((n, 0));
                *entry = (n, entry.1 + 1);
            }
            self.data.indicated.insert(n, (frames, mdls));
        }
        self.schedule_return(a);
        self.decide_inline_return(a);
    }

    /// `Ndis.Ieee8021QDeclared` for one indicated NBL: its 802.1Q info and frames against the MAC
    /// options the general attributes declared.
    fn check_8021q_declared(&mut self, api: &str, a: AdapterId, ieee8021q: usize, frames: &[Vec<u8>]) {
        let options = self.adapter(a).general.as_ref().map_or(0, |g| g.mac_options);
        let (priority, vlan) =
            (options & NDIS_MAC_OPTION_8021P_PRIORITY != 0, options & NDIS_MAC_OPTION_8021Q_VLAN != 0);
        let (user_priority, vlan_id) = (ieee8021q & 0x7, (ieee8021q >> 4) & 0xFFF);
        if (user_priority != 0 && !priority) || (vlan_id != 0 && !vlan) {
            let msg = format!(
                "{api} on adapter {}: Ieee8021QNetBufferListInfo {ieee8021q:#x} (priority {user_priority}, VLAN \
                 {vlan_id}) but the MAC options {options:#x} declare {}",
                a.0,
                if priority || vlan { "only part of it" } else { "neither 802.1p nor 802.1Q" }
            );
            self.violate(NDIS_IEEE8021Q_DECLARED, msg);
        }
        for frame in frames {
            let Some(tci) = frame
                .get(12..16)
                .filter(|t| t[..2] == [0x81, 0x00])
                .map(|t| u16::from_be_bytes([t[2], t[3]]))
            else {
                continue;
            };
            // "The miniport driver should remove the 802.1Q header from all receive packets
            // regardless of the *PriorityVLANTag setting" (Doc "Enumeration Keywords").
            let msg = format!(
                "{api} on adapter {}: a frame indicated with its 802.1Q tag (VLAN {}); a miniport strips \
                 the tag from every received frame, whatever its MAC options ({options:#x}) and \
                 *PriorityVLANTag",
                a.0,
                tci & 0xFFF
            );
            self.violate(NDIS_IEEE8021Q_DECLARED, msg);
        }
    }

    /// `Ndis.IndicatedFrameSize`: every indicated frame holds an Ethernet header and is no longer
    /// than `OID_GEN_MAXIMUM_TOTAL_SIZE` (the general attributes' `MtuSize` + 14): "The miniport
    /// driver must never indicate up to the bound protocol driver packets received over the network
    /// that are longer than the packet size specified by OID_GEN_MAXIMUM_TOTAL_SIZE" (Doc
    /// oid-gen-maximum-total-size); a shorter one leaves a protocol reading a header past its data.
    fn check_indicated_size(&mut self, api: &str, a: AdapterId, frames: &[Vec<u8>]) {
        let Some(mtu) = self.adapter(a).general.as_ref().map(|g| g.mtu_size) else { return };
        let max_total = mtu as usize + 14;
        for frame in frames {
            if !(14..=max_total).contains(&frame.len()) {
                let msg = format!(
                    "{api} on adapter {}: a {}-byte frame (an Ethernet header is 14 bytes, \
                     OID_GEN_MAXIMUM_TOTAL_SIZE {max_total})",
                    a.0,
                    frame.len()
                );
                self.violate(NDIS_INDICATED_FRAME_SIZE, msg);
            }
        }
    }

    /// An indication with the per-frame checks off (`Sim::set_checks(false)`): the chain was
    /// walked for ownership; frames are counted (NET_BUFFERs, `DataLength`), not copied or
    /// snapshotted, and not recorded in `received`.
    fn indicate_unchecked(&mut self, a: AdapterId, chain: &[usize], resources: bool) {
        let (mut frames, mut bytes) = (0u64, 0u64);
        for &n in chain {
            // SAFETY: a live NBL the model allocated (checked by the caller).
            let mut nb = unsafe { (*(n as *mut NetBufferList)).FirstNetBuffer };
            while !nb.is_null() {
                frames += 1;
                // SAFETY: NBs of a model-allocated NBL.
                unsafe {
                    bytes += u64::from((*nb).DataLength);
                    nb = (*nb).Next;
                }
            }
        }
        let rx = self.data.rx.entry(a).or_default();
        rx.counts.indications += 1;
        rx.counts.frames += frames;
        rx.counts.bytes += bytes;
        if resources {
            rx.counts.resources_nbls += chain.len() as u64;
            return;
        }
        rx.counts.indicated_nbls += chain.len() as u64;
        rx.counts.outstanding_nbls += chain.len() as u64;
        rx.outstanding.extend_from_slice(chain);
        for &n in chain {
            if let Some(rec) = self.data.nbls.get_mut(&n) {
                rec.owner = NblOwner::Ndis(a);
            }
        }
        self.schedule_return(a);
        self.decide_inline_return(a);
    }

    /// Drop the records of every completed send (its NBL, NET_BUFFERs, MDLs and buffers are
    /// freed): what it returns is all that is left of them. A later completion of one of those
    /// NBLs is an NBL NDIS never sent (`Ndis.SendCompleteExactlyOnce`).
    pub(crate) fn retire_completed_sends(&mut self) -> Vec<(SendId, AdapterId, NdisStatus)> {
        let DataState { sends, by_nbl, send_mdls, .. } = &mut self.data;
        let mut out = Vec::new();
        let base = sends.base;
        for (i, slot) in sends.recs.iter_mut().enumerate() {
            let Some(rec) = slot else { continue };
            let Some(status) = rec.completed else { continue };
            out.push((SendId((base + i) as u64 + 1), rec.adapter, status));
            by_nbl.remove(&rec.nbl);
            for snapshot in &rec.nbs {
                let mut mdl = snapshot.mdl_chain as *mut Mdl;
                while !mdl.is_null() && send_mdls.remove(&(mdl as usize)) {
                    // SAFETY: an MDL the model built for this send, alive until the record drops.
                    mdl = unsafe { (*mdl).Next };
                }
            }
            *slot = None;
        }
        while matches!(sends.recs.front(), Some(None)) {
            sends.recs.pop_front();
            sends.base += 1;
        }
        out
    }

    /// NDIS returns some of what it holds for `a` later (a seeded delay), unless returns are held.
    pub(crate) fn schedule_return(&mut self, a: AdapterId) {
        let rx = self.data.rx.entry(a).or_default();
        if rx.hold || rx.outstanding.is_empty() {
            return;
        }
        rx.return_events += 1;
        let delay = Duration::from_micros(self.rng.below(500));
        self.schedule(delay, crate::sched::EventKind::ReturnSome { adapter: a });
    }

    /// At the end of an indication that left NBLs with NDIS: whether NDIS returns some before
    /// `NdisMIndicateReceiveNetBufferLists` does, as when a protocol returns NBLs (these or older
    /// ones) from its receive handler. No page promises NDIS defers such a return, so the model
    /// does not: one indication in four by default ([`InlineReturns`]); the driver must expect it
    /// on the stack of its own indication.
    pub(crate) fn decide_inline_return(&mut self, a: AdapterId) {
        let inline = match self.inline_returns {
            InlineReturns::Never => false,
            InlineReturns::Always => true,
            InlineReturns::Seeded => self.inline_return_rng.below(4) == 0,
        };
        if let Some(rx) = self.data.rx.get_mut(&a) {
            rx.inline_return = inline && !rx.hold;
        }
    }

    /// After an indication on `handle`: the NBLs NDIS returns before the call returns, if it
    /// chose to (`schedule_return`), a seeded subset of all it holds for the adapter.
    pub(crate) fn take_inline_returns(&mut self, handle: NdisHandle) -> Option<(AdapterId, Vec<usize>)> {
        let a = self.adapter_by_handle(handle)?;
        let rx = self.data.rx.get_mut(&a)?;
        if !std::mem::take(&mut rx.inline_return) || rx.hold || rx.outstanding.is_empty() {
            return None;
        }
        // A seeded subset from anywhere in what NDIS holds: this indication's NBLs, older ones, or
        // both. Into the reusable vector `return_nbls` gives back: no allocation per indication.
        let held = &mut rx.outstanding;
        let k = if self.inline_returns == InlineReturns::Always {
            held.len()
        } else {
            1 + self.inline_return_rng.below(held.len() as u64) as usize
        };
        let mut out = std::mem::take(&mut self.data.return_scratch);
        out.clear();
        for _ in 0..k {
            let i = self.inline_return_rng.below(held.len() as u64) as usize;
            out.push(held.swap_remove(i));
        }
        Some((a, out))
    }

    /// Take a seeded, shuffled subset of what NDIS holds for `a` (`all`: everything).
    pub(crate) fn take_returns(&mut self, a: AdapterId, all: bool) -> Vec<usize> {
        let State { data, rng, .. } = self;
        let held = &mut data.rx.entry(a).or_default().outstanding;
        for i in (1..held.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            held.swap(i, j);
        }
        let k = if all || held.len() <= 1 { held.len() } else { 1 + rng.below(held.len() as u64) as usize };
        // The first k (shuffled) go back; the rest stay, in that order. The vector is reused.
        let mut out = std::mem::take(&mut data.return_scratch);
        out.clear();
        out.extend(held.drain(..k));
        out
    }

    pub(crate) fn check_send_timers(&mut self) {
        let now = self.now;
        let mut late = Vec::new();
        for (i, s) in self.data.sends.iter_indexed_mut() {
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
        for i in 0..self.ndis.adapters.len() {
            let a = self.ndis.adapters[i].id;
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

    /// Build protocol NBLs carrying `frames`, laid out as `shape` says, chained; one `SendId` per NBL.
    fn build_sends(
        &mut self,
        a: AdapterId,
        frames: &[Vec<u8>],
        shape: &NblShape,
        cancel_id: Option<usize>,
    ) -> (Vec<SendId>, *mut NetBufferList) {
        let state = self.adapter(a).state;
        let paused = matches!(state, AdapterState::Pausing | AdapterState::Paused);
        let removed = self.adapter(a).surprise_removed;
        let resets_at_send = self.data.resets.get(&a).copied().unwrap_or(0);
        let in_reset_at_send = self.adapter(a).reset.is_some() || self.reset_being_reported(a);
        let source = NdisHandle(self.adapter(a).handle as *mut c_void);
        let per_nbl = shape.nbs_per_nbl.max(1);
        let mut ids = Vec::new();
        let mut head: *mut NetBufferList = ptr::null_mut();
        let mut tail: *mut NetBufferList = ptr::null_mut();
        for group in frames.chunks(per_nbl) {
            let mut blocks = Vec::new();
            let mut nbs: Vec<*mut NetBuffer> = Vec::new();
            for frame in group {
                let (nb_block, mut frame_blocks) = self.build_send_nb(frame, shape);
                let nb = nb_block.ptr.cast::<NetBuffer>();
                if let Some(&prev) = nbs.last() {
                    // SAFETY: NBs the model just built.
                    unsafe { (*prev).Next = nb };
                }
                nbs.push(nb);
                blocks.push(nb_block);
                blocks.append(&mut frame_blocks);
            }
            let nbl_block = RawBlock::new(size_of::<NetBufferList>(), 16, 0);
            let nbl = nbl_block.ptr.cast::<NetBufferList>();
            // SAFETY: a fresh zeroed NBL; the NBs were just built.
            unsafe {
                (*nbl).FirstNetBuffer = nbs[0];
                (*nbl).SourceHandle = source;
                (*nbl).Status = NDIS_STATUS_SUCCESS;
                if let Some(cid) = cancel_id {
                    (*nbl).NetBufferListInfo[NET_BUFFER_LIST_CANCEL_ID] = cid as *mut c_void;
                }
                (*nbl).NetBufferListInfo[IEEE_8021Q_NET_BUFFER_LIST_INFO] =
                    ptr::without_provenance_mut(shape.ieee8021q_info);
                if tail.is_null() {
                    head = nbl;
                } else {
                    (*tail).Next = nbl;
                }
            }
            tail = nbl;
            blocks.push(nbl_block);
            // SAFETY: NBs the model just built.
            let snapshots = nbs.iter().map(|&nb| unsafe { NbSnapshot::of(nb) }).collect();
            let index = self.data.sends.len();
            self.data.by_nbl.insert(nbl as usize, index);
            self.data.sends.push(SendRec {
                adapter: a,
                nbl: nbl as usize,
                nbs: snapshots,
                sent_at: self.now,
                completed: None,
                paused_at_send: paused,
                removed_at_send: removed,
                cancel_id,
                cancelled: cancel_id.is_some_and(|id| self.cancel_running(a, id)),
                started: false,
                handed_over: false,
                // The call is entered next on this processor (exact with one processor; with
                // several, `send_handler_entered` sets it when it is).
                entered: self.callbacks_entered + 1,
                restarts_at_entry: self.adapter(a).restarts_begun,
                handed_over_at: 0,
                queued_past_cancel: None,
                resets_at_send,
                in_reset_at_send,
                timed_out: false,
                frames: group.to_vec(),
                _blocks: blocks,
            });
            if cancel_id.is_some() {
                self.data.unstarted_cancelable.push(index);
            }
            ids.push(SendId(index as u64 + 1));
        }
        (ids, head)
    }

    /// One NET_BUFFER over `frame`: separate buffers per MDL (never contiguous), `data_offset`
    /// unused bytes before the frame in the first MDL. The NB block comes first in the result.
    fn build_send_nb(&mut self, frame: &[u8], shape: &NblShape) -> (RawBlock, Vec<RawBlock>) {
        let mut pieces = Vec::new();
        let mut left = frame.len();
        for &n in &shape.mdl_split {
            if n == 0 {
                if shape.empty_mdls {
                    pieces.push(0);
                }
                continue;
            }
            if left == 0 {
                continue;
            }
            let take = n.min(left);
            pieces.push(take);
            left -= take;
        }
        if left > 0 || pieces.is_empty() {
            pieces.push(left);
        }
        let last = pieces.len() - 1;
        let offset = shape.data_offset as usize;
        let mut blocks = Vec::new();
        let mut mdls: Vec<*mut Mdl> = Vec::new();
        let mut at = 0;
        for (i, &len) in pieces.iter().enumerate() {
            let lead = if i == 0 { offset } else { 0 };
            let slack = if i == last { shape.tail_slack as usize } else { 0 };
            let total = lead + len + slack;
            let data = RawBlock::new(total.max(1), 16, TAIL_SLACK_FILL);
            // SAFETY: `data` holds `total` bytes; the frame slice is in bounds.
            unsafe { ptr::copy_nonoverlapping(frame[at..at + len].as_ptr(), data.ptr.add(lead), len) };
            at += len;
            // tcpip hands down nonpaged header buffers and locked, mapped payload pages: either flag
            // lets MmGetSystemAddressForMdlSafe return MappedSystemVa without mapping.
            let flags = match self.data.send_mdl_flags {
                Some(flags) => flags,
                None if self.rng.coin() => MDL_SOURCE_IS_NONPAGED_POOL,
                None => MDL_MAPPED_TO_SYSTEM_VA,
            };
            let mdl = build_mdl_flags(data.ptr.cast(), total as u32, flags);
            let m = mdl.ptr.cast::<Mdl>();
            if flags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL) == 0 {
                // Locked pages with no system mapping yet: MappedSystemVa means nothing, and a
                // driver that reads it instead of mapping finds nothing there.
                // SAFETY: the MDL was just built.
                unsafe { (*m).MappedSystemVa = ptr::null_mut() };
            }
            if let Some(&prev) = mdls.last() {
                // SAFETY: MDLs the model just built.
                unsafe { (*prev).Next = m };
            }
            mdls.push(m);
            self.data.send_mdls.insert(m as usize);
            blocks.push(data);
            blocks.push(mdl);
        }
        let nb_block = RawBlock::new(size_of::<NetBuffer>(), 16, 0);
        // SAFETY: a fresh zeroed NB; the MDL chain was just built.
        let data_length = (frame.len() as u32).saturating_add(shape.data_length_excess);
        unsafe { init_nb(nb_block.ptr.cast(), 0, mdls[0], shape.data_offset, data_length) };
        (nb_block, blocks)
    }
}

/// What a send MDL's bytes hold where no frame byte was copied: its lead (`data_offset`) and tail
/// slack.
const TAIL_SLACK_FILL: u8 = 0x5A;

/// The frames `Sim::send` sends: broadcast from the adapter's MAC, EtherType 0x88B5 (local
/// experimental), a payload pattern that differs per frame.
pub(crate) fn test_frames(src: &[u8], first_id: usize, count: usize, frame_len: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|k| {
            let id = first_id + k;
            let mut header = [0xFFu8; 14];
            for (i, b) in src.iter().take(6).enumerate() {
                header[6 + i] = *b;
            }
            header[12] = 0x88;
            header[13] = 0xB5;
            (0..frame_len).map(|i| if i < 14 { header[i] } else { (id + i) as u8 }).collect()
        })
        .collect()
}

impl Inner {
    /// NDIS hands protocol NBLs carrying `frames` to `MiniportSendNetBufferLists` at a seeded IRQL.
    pub(crate) fn send_frames(
        &self,
        a: AdapterId,
        frames: &[Vec<u8>],
        shape: &NblShape,
        cancel_id: Option<usize>,
    ) -> Vec<SendId> {
        assert!(!frames.is_empty(), "kernel-sim: send needs at least one frame");
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
            let (ids, head) = st.build_sends(a, frames, shape, cancel_id);
            let irql = st.seeded_irql();
            (ids, head, ctx, handler, irql)
        });
        self.dispatch_send(handler, ctx, head, irql, a, &ids);
        ids
    }

    #[allow(clippy::too_many_arguments)]
    fn dispatch_send(
        &self,
        handler: unsafe extern "system" fn(NdisHandle, *mut NetBufferList, u32, u32),
        ctx: NdisHandle,
        head: *mut NetBufferList,
        irql: Kirql,
        a: AdapterId,
        ids: &[SendId],
    ) {
        let flags = if irql == DISPATCH_LEVEL { NDIS_SEND_FLAGS_DISPATCH_LEVEL } else { 0 };
        let handed_over = |st: &mut State| st.handed_over(a, ids);
        self.invoke_then(
            "MiniportSendNetBufferLists",
            irql,
            || {
                if crate::mp::MULTIPROCESSOR {
                    self.with(|st| st.send_handler_entered(a, ids));
                }
                // SAFETY: the registered handler, called as NDIS calls it with a chain it owns.
                unsafe { handler(ctx, head, NDIS_DEFAULT_PORT_NUMBER, flags) }
            },
            handed_over,
        );
    }

    /// NDIS sends completed NBLs again, unchanged, chained in the order of `ids` (a protocol
    /// reusing its NBLs: nothing is allocated). Each must be completed and sent on `a` before.
    pub(crate) fn resend(&self, a: AdapterId, ids: &[SendId]) {
        assert!(!ids.is_empty(), "kernel-sim: resend needs at least one NBL");
        let (head, ctx, handler, irql) = self.with(|st| {
            let state = st.adapter(a).state;
            let paused = matches!(state, AdapterState::Pausing | AdapterState::Paused);
            let removed = st.adapter(a).surprise_removed;
            let resets_at_send = st.data.resets.get(&a).copied().unwrap_or(0);
            let cancel_running: Vec<(AdapterId, usize)> = st.cancels_running().collect();
            let restarts_begun = st.adapter(a).restarts_begun;
            let in_reset_at_send = st.adapter(a).reset.is_some() || st.reset_being_reported(a);
            let now = st.now;
            let mut head: *mut NetBufferList = ptr::null_mut();
            let mut tail: *mut NetBufferList = ptr::null_mut();
            for id in ids {
                let rec = st
                    .data
                    .sends
                    .get_mut(id.0 as usize - 1)
                    .unwrap_or_else(|| panic!("kernel-sim: test bug: resend of retired send #{}", id.0));
                assert!(
                    rec.completed.is_some() && rec.adapter == a,
                    "kernel-sim: test bug: resend of send #{} that is not completed on adapter {}",
                    id.0,
                    a.0
                );
                rec.completed = None;
                rec.sent_at = now;
                rec.timed_out = false;
                rec.paused_at_send = paused;
                rec.removed_at_send = removed;
                rec.cancelled = false;
                rec.started = false;
                rec.handed_over = false;
                rec.queued_past_cancel = None;
                rec.entered = st.callbacks_entered + 1;
                rec.restarts_at_entry = restarts_begun;
                let running = rec.cancel_id.is_some_and(|id| cancel_running.contains(&(a, id)));
                rec.cancelled = running;
                if rec.cancel_id.is_some() {
                    st.data.unstarted_cancelable.push(id.0 as usize - 1);
                }
                rec.resets_at_send = resets_at_send;
                rec.in_reset_at_send = in_reset_at_send;
                let nbl = rec.nbl as *mut NetBufferList;
                // SAFETY: a model-built NBL the miniport completed (NDIS owns it again).
                unsafe {
                    (*nbl).Next = ptr::null_mut();
                    (*nbl).Status = NDIS_STATUS_SUCCESS;
                    if tail.is_null() {
                        head = nbl;
                    } else {
                        (*tail).Next = nbl;
                    }
                }
                tail = nbl;
            }
            let handler = st
                .ndis
                .characteristics
                .and_then(|c| c.SendNetBufferListsHandler)
                .expect("validated at registration");
            (head, st.adapter_context(a), handler, st.seeded_irql())
        });
        self.dispatch_send(handler, ctx, head, irql, a, ids);
    }

    /// NDIS sends `count` one-frame NBLs of `frame_len` bytes each, chained, in one call.
    pub(crate) fn send(&self, a: AdapterId, count: usize, frame_len: usize) -> Vec<SendId> {
        assert!(count > 0, "kernel-sim: send needs at least one NBL");
        let frames = self.with(|st| {
            let src =
                st.adapter(a).general.as_ref().map(|g| g.current_mac_address.clone()).unwrap_or_default();
            test_frames(&src, st.data.sends.len() + 1, count, frame_len)
        });
        self.send_frames(a, &frames, &NblShape::default(), None)
    }

    /// `MiniportCancelSend(ctx, cancel_id)` at a seeded IRQL.
    pub(crate) fn cancel_send(&self, a: AdapterId, cancel_id: usize) {
        let (handler, ctx, irql, due) = self.with(|st| {
            let mut due = Vec::new();
            for (index, s) in st.data.sends.iter_indexed_mut() {
                if s.adapter == a && s.cancel_id == Some(cancel_id) && s.completed.is_none() {
                    s.cancelled = true;
                    if s.handed_over {
                        due.push(index);
                    }
                }
            }
            st.cpu.cancelling = Some((a, cancel_id));
            let handler =
                st.ndis.characteristics.and_then(|c| c.CancelSendHandler).expect("validated at registration");
            (handler, st.adapter_context(a), st.seeded_irql(), due)
        });
        self.invoke("MiniportCancelSend", irql, || {
            // SAFETY: the registered handler with a cancel id NDIS passes through.
            unsafe { handler(ctx, cancel_id as *mut c_void) }
        });
        self.with(|st| {
            st.cpu.cancelling = None;
            st.check_cancel_left_nothing_queued(a, cancel_id, &due);
        });
    }
}

impl State {
    /// Whether `MiniportCancelSend(cancel_id)` for `a` runs on any processor right now: a send of
    /// that id handed over meanwhile may be aborted by it.
    pub(crate) fn cancel_running(&self, a: AdapterId, cancel_id: usize) -> bool {
        self.cancels_running().any(|running| running == (a, cancel_id))
    }

    /// With several processors, what a send must complete with is what the driver had been told
    /// when its `MiniportSendNetBufferLists` began, not what NDIS had started when it built the
    /// NBLs: a pause or a surprise removal that began on another processor in between may not have
    /// reached the driver yet (NDIS tells it by calling `MiniportPause` or the PnP notification).
    fn send_handler_entered(&mut self, a: AdapterId, ids: &[SendId]) {
        let adapter = self.adapter(a);
        let paused = adapter.state == AdapterState::Paused
            || (adapter.state == AdapterState::Pausing && adapter.pause_returned.is_some());
        let removed = adapter.surprise_removed && adapter.surprise_notify_on.is_none();
        let entered = self.cpu.frames.last().map_or(self.callbacks_entered, |f| f.entered);
        let restarts = adapter.restarts_begun;
        let in_reset = adapter.reset.is_some() || self.reset_being_reported(a);
        for id in ids {
            if let Some(rec) = self.data.sends.get_mut(id.0 as usize - 1) {
                rec.paused_at_send = paused;
                rec.removed_at_send = removed;
                rec.entered = entered;
                rec.restarts_at_entry = restarts;
                rec.in_reset_at_send |= in_reset;
            }
        }
    }

    /// The `MiniportSendNetBufferLists` call carrying `ids` has returned.
    /// A send that began while the adapter was paused but overlapped a `MiniportRestart` on another
    /// processor may have found the driver running: either completion status is right for it. One
    /// that began before a pause completed must not be held after it (`Ndis.PauseCompleteWhenIdle`:
    /// the pause counted it as the miniport's, since its call had begun).
    /// Hot (every send call): the adapter is looked up once, the NBLs of one call are all its.
    fn handed_over(&mut self, a: AdapterId, ids: &[SendId]) {
        let now = self.callbacks_entered;
        let adapter = self.adapter(a);
        let (restarts, pause_completed_at) = (adapter.restarts_begun, adapter.pause_completed_at);
        for id in ids {
            let Some(rec) = self.data.sends.get_mut(id.0 as usize - 1) else { continue };
            rec.handed_over = true;
            rec.handed_over_at = now;
            if restarts != rec.restarts_at_entry {
                rec.paused_at_send = false;
            }
            let held_past_pause = rec.completed.is_none()
                && pause_completed_at.is_some_and(|completed| completed >= rec.entered);
            if held_past_pause {
                let msg = format!(
                    "MiniportSendNetBufferLists on adapter {} returned still holding send #{} after the pause that began while it ran was completed",
                    a.0, id.0
                );
                self.violate(NDIS_PAUSE_COMPLETE_WHEN_IDLE, msg);
            }
        }
    }

    /// Rule `Ndis.CancelSendAbortsQueued`, when `MiniportCancelSend(cancel_id)` returns. The page
    /// "MINIPORT_CANCEL_SEND callback function (ndis.h)": the miniport traverses its queued NBLs,
    /// unlinks every one whose cancel id matches and completes them with
    /// `NDIS_STATUS_SEND_ABORTED`. What it already handed to the hardware it may complete normally,
    /// so only an NBL of that id on `a`, still outstanding, none of whose frames has gone below in
    /// a write (`started`), is a violation: it was queued, and it is still held. `due` are the
    /// sends of that id whose `MiniportSendNetBufferLists` had returned when the cancel began;
    /// one still being handed over on another processor is not queued yet.
    fn check_cancel_left_nothing_queued(&mut self, a: AdapterId, cancel_id: usize, due: &[usize]) {
        let held: Vec<usize> = self
            .data
            .sends
            .iter_indexed_mut()
            .filter(|(i, s)| {
                due.contains(i)
                    && s.adapter == a
                    && s.cancel_id == Some(cancel_id)
                    && s.completed.is_none()
                    && !s.started
            })
            .map(|(i, _)| i + 1)
            .collect();
        if held.is_empty() {
            return;
        }
        let list: Vec<String> = held.iter().map(|n| format!("#{n}")).collect();
        let msg = format!(
            "MiniportCancelSend({cancel_id:#x}) on adapter {} returned still holding send(s) {} of that cancel id, none of whose frames went to the device: queued NBLs of the id are unlinked and completed with NDIS_STATUS_SEND_ABORTED",
            a.0,
            list.join(", ")
        );
        if crate::mp::MULTIPROCESSOR {
            // Another processor's drain may have the NBL in hand, being copied into a write: its
            // transmission has started, the model just cannot see it yet. The verdict waits for
            // the NBL's completion (`check_send_status`): written by then, or a violation.
            for n in held {
                if let Some(rec) = self.data.sends.get_mut(n - 1) {
                    rec.queued_past_cancel = Some(cancel_id);
                }
            }
            return;
        }
        self.violate(NDIS_CANCEL_SEND_ABORTS_QUEUED, msg);
    }

    /// The miniport sends a write batch below (`WdfRequestSend`, delivered or queued in a stopped
    /// target): sends with a cancel id whose frames are in it have started. A frame matches when
    /// the batch frame is the NBL's frame, then the bytes a `DataLength` past the frame reads from
    /// the chain's tail slack (`NblShape::data_length_excess`, the blocks' 0x5A fill), then zeros
    /// to the Ethernet minimum at most.
    /// Whether a write could start a cancelable send (`note_write_sent` has anything to do).
    pub(crate) fn has_unstarted_cancelable_sends(&self) -> bool {
        !self.data.unstarted_cancelable.is_empty()
    }

    pub(crate) fn note_write_sent(&mut self, batch: &[u8]) {
        if self.data.unstarted_cancelable.is_empty() {
            return;
        }
        let Ok(parsed) = vwire_proto::Batch::parse(batch) else { return };
        let written: Vec<&[u8]> = parsed.frames().collect();
        let candidates = std::mem::take(&mut self.data.unstarted_cancelable);
        for index in candidates {
            let Some(rec) = self.data.sends.get_mut(index) else { continue };
            if rec.completed.is_some() || rec.started {
                continue;
            }
            let carried = rec.frames.iter().any(|f| {
                written.iter().any(|w| {
                    w.len() >= f.len()
                        && w[..f.len()] == f[..]
                        && w[f.len()..].iter().skip_while(|&&b| b == TAIL_SLACK_FILL).all(|&b| b == 0)
                })
            });
            if carried {
                rec.started = true;
            } else {
                self.data.unstarted_cancelable.push(index);
            }
        }
    }
}

impl Inner {
    /// A scheduled return fires: NDIS returns a seeded subset of what it holds for `a`.
    pub(crate) fn return_some(&self, a: AdapterId) {
        let nbls = self.with(|st| {
            let rx = st.data.rx.entry(a).or_default();
            rx.return_events = rx.return_events.saturating_sub(1);
            if rx.hold {
                return Vec::new();
            }
            let nbls = st.take_returns(a, false);
            let rx = st.data.rx.entry(a).or_default();
            if !rx.outstanding.is_empty() && rx.return_events == 0 {
                st.schedule_return(a);
            }
            nbls
        });
        if nbls.is_empty() {
            // Keep the reusable vector (an empty take is common: returns are scheduled generously).
            self.with(|st| {
                if nbls.capacity() > st.data.return_scratch.capacity() {
                    st.data.return_scratch = nbls;
                }
            });
        } else {
            self.return_nbls(a, nbls, false);
        }
    }

    /// Return everything NDIS holds for `a` now, shuffled, in seeded groups. How many NBLs.
    pub(crate) fn return_now(&self, a: AdapterId) -> usize {
        let mut n = 0;
        loop {
            let nbls = self.with(|st| st.take_returns(a, false));
            if nbls.is_empty() {
                return n;
            }
            n += nbls.len();
            self.return_nbls(a, nbls, false);
        }
    }

    /// NDIS returns indicated NBLs through `MiniportReturnNetBufferLists` at a seeded IRQL (`inline`:
    /// from inside an indication, at its IRQL), after checking that nothing changed them while NDIS
    /// owned them.
    pub(crate) fn return_nbls(&self, a: AdapterId, nbls: Vec<usize>, inline: bool) {
        let call = self.with(|st| {
            let mut mine = nbls;
            mine.retain(|n| st.data.nbls.get(n).is_some_and(|r| r.owner == NblOwner::Ndis(a)));
            if mine.is_empty() {
                st.data.return_scratch = mine;
                return None;
            }
            let checks = st.checks;
            if !checks && !st.data.indicated.is_empty() {
                // Indicated while the checks were on, returned after they went off: forgotten
                // all the same, so no stale entry names an NBL NDIS no longer holds.
                for &n in &mine {
                    st.forget_indicated(n);
                }
            }
            for &n in mine.iter().filter(|_| checks) {
                let before = st.forget_indicated(n);
                let mut now = Vec::new();
                // SAFETY: a live NBL the model allocated (freeing it while NDIS owns it is refused).
                let mut nb = unsafe { (*(n as *mut NetBufferList)).FirstNetBuffer };
                while !nb.is_null() && now.len() <= before.len() {
                    now.push(st.nb_bytes(nb).unwrap_or_default());
                    // SAFETY: as above.
                    nb = unsafe { (*nb).Next };
                }
                if now != before {
                    let msg = format!(
                        "NBL {n:#x} on adapter {} changed while NDIS owned it (its frame bytes or NET_BUFFERs differ from the indication): the miniport recycled its buffer before MiniportReturnNetBufferLists",
                        a.0
                    );
                    st.violate(NDIS_RECEIVE_OWNERSHIP, msg);
                }
            }
            for (i, &n) in mine.iter().enumerate() {
                let next = mine.get(i + 1).map_or(ptr::null_mut(), |&x| x as *mut NetBufferList);
                // SAFETY: a live NBL the model allocated; NDIS relinks returned chains.
                unsafe { (*(n as *mut NetBufferList)).Next = next };
                st.data.nbls.get_mut(&n).expect("filtered").owner = NblOwner::Driver;
            }
            let rx = st.data.rx.entry(a).or_default();
            rx.counts.returned_nbls += mine.len() as u64;
            rx.counts.return_calls += 1;
            rx.counts.inline_return_calls += u64::from(inline);
            rx.counts.outstanding_nbls -= mine.len() as u64;
            let handler = st
                .ndis
                .characteristics
                .and_then(|c| c.ReturnNetBufferListsHandler)
                .expect("validated at registration");
            let irql = if inline { st.cpu.irql } else { st.seeded_irql() };
            let head = mine[0] as *mut NetBufferList;
            st.data.return_scratch = mine;
            Some((handler, st.adapter_context(a), head, irql))
        });
        let Some((handler, ctx, head, irql)) = call else { return };
        let flags = if irql == DISPATCH_LEVEL { NDIS_RETURN_FLAGS_DISPATCH_LEVEL } else { 0 };
        self.invoke("MiniportReturnNetBufferLists", irql, || {
            // SAFETY: the registered handler, with NBLs the miniport indicated.
            unsafe { handler(ctx, head, flags) }
        });
    }
}
