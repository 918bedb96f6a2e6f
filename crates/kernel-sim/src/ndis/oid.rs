//! OID requests: NDIS builds an `NDIS_OID_REQUEST` (revision 1, 236 bytes) over a buffer it owns,
//! calls `MiniportOidRequest` at PASSIVE, and waits for `NdisMOidRequestComplete` if it pends. One
//! at a time (the model never issues a second while one is pending: `NdisOidDoubleRequest`).

use crate::memory::RawBlock;
use crate::state::{Inner, State};
use crate::verifier::rules::*;
use crate::{AdapterId, AdapterState, OidResult};
use core::ffi::c_void;
use ndis_types::object::*;
use ndis_types::oid::*;
use ndis_types::*;
use std::time::Duration;

/// `NdisTimedOidComplete`: an OID completes within 12 s.
pub(crate) const OID_TIMEOUT: Duration = Duration::from_secs(12);

pub(crate) struct PendingOid {
    pub(crate) request: RawBlock,
    pub(crate) buffer: RawBlock,
    pub(crate) buffer_len: usize,
    pub(crate) oid: NdisOid,
    pub(crate) request_type: NdisRequestType,
    pub(crate) issued_at: Duration,
    /// Returned PENDING from the handler (completion must come through NdisMOidRequestComplete).
    pub(crate) pended: bool,
    pub(crate) completed: Option<NdisStatus>,
    pub(crate) timed_out: bool,
}

/// Each `NDIS_STATISTICS_INFO` valid flag and the `SupportedStatistics` bit that declares the same
/// counter (Doc `ns-ntddndis-_ndis_statistics_info`, `ns-ndis-_ndis_miniport_adapter_general_attributes`).
const STATISTICS_PAIRS: [(u32, u32, &str); 18] = [
    (
        NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_RCV,
        NDIS_STATISTICS_DIRECTED_FRAMES_RCV_SUPPORTED,
        "directed frames received",
    ),
    (
        NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_RCV,
        NDIS_STATISTICS_MULTICAST_FRAMES_RCV_SUPPORTED,
        "multicast frames received",
    ),
    (
        NDIS_STATISTICS_FLAGS_VALID_BROADCAST_FRAMES_RCV,
        NDIS_STATISTICS_BROADCAST_FRAMES_RCV_SUPPORTED,
        "broadcast frames received",
    ),
    (NDIS_STATISTICS_FLAGS_VALID_BYTES_RCV, NDIS_STATISTICS_BYTES_RCV_SUPPORTED, "bytes received"),
    (NDIS_STATISTICS_FLAGS_VALID_RCV_DISCARDS, NDIS_STATISTICS_RCV_DISCARDS_SUPPORTED, "receive discards"),
    (NDIS_STATISTICS_FLAGS_VALID_RCV_ERROR, NDIS_STATISTICS_RCV_ERROR_SUPPORTED, "receive errors"),
    (
        NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_XMIT,
        NDIS_STATISTICS_DIRECTED_FRAMES_XMIT_SUPPORTED,
        "directed frames sent",
    ),
    (
        NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_XMIT,
        NDIS_STATISTICS_MULTICAST_FRAMES_XMIT_SUPPORTED,
        "multicast frames sent",
    ),
    (
        NDIS_STATISTICS_FLAGS_VALID_BROADCAST_FRAMES_XMIT,
        NDIS_STATISTICS_BROADCAST_FRAMES_XMIT_SUPPORTED,
        "broadcast frames sent",
    ),
    (NDIS_STATISTICS_FLAGS_VALID_BYTES_XMIT, NDIS_STATISTICS_BYTES_XMIT_SUPPORTED, "bytes sent"),
    (NDIS_STATISTICS_FLAGS_VALID_XMIT_ERROR, NDIS_STATISTICS_XMIT_ERROR_SUPPORTED, "send errors"),
    (NDIS_STATISTICS_FLAGS_VALID_XMIT_DISCARDS, NDIS_STATISTICS_XMIT_DISCARDS_SUPPORTED, "send discards"),
    (
        NDIS_STATISTICS_FLAGS_VALID_DIRECTED_BYTES_RCV,
        NDIS_STATISTICS_DIRECTED_BYTES_RCV_SUPPORTED,
        "directed bytes received",
    ),
    (
        NDIS_STATISTICS_FLAGS_VALID_MULTICAST_BYTES_RCV,
        NDIS_STATISTICS_MULTICAST_BYTES_RCV_SUPPORTED,
        "multicast bytes received",
    ),
    (
        NDIS_STATISTICS_FLAGS_VALID_BROADCAST_BYTES_RCV,
        NDIS_STATISTICS_BROADCAST_BYTES_RCV_SUPPORTED,
        "broadcast bytes received",
    ),
    (
        NDIS_STATISTICS_FLAGS_VALID_DIRECTED_BYTES_XMIT,
        NDIS_STATISTICS_DIRECTED_BYTES_XMIT_SUPPORTED,
        "directed bytes sent",
    ),
    (
        NDIS_STATISTICS_FLAGS_VALID_MULTICAST_BYTES_XMIT,
        NDIS_STATISTICS_MULTICAST_BYTES_XMIT_SUPPORTED,
        "multicast bytes sent",
    ),
    (
        NDIS_STATISTICS_FLAGS_VALID_BROADCAST_BYTES_XMIT,
        NDIS_STATISTICS_BROADCAST_BYTES_XMIT_SUPPORTED,
        "broadcast bytes sent",
    ),
];

impl State {
    pub(crate) fn ndis_m_oid_request_complete(
        &mut self,
        handle: NdisHandle,
        request: *mut NdisOidRequest,
        status: NdisStatus,
    ) {
        let api = "NdisMOidRequestComplete";
        self.check_irql(api, DISPATCH_LEVEL);
        let Some(a) = self.adapter_handle(api, handle) else { return };
        let oid_state = self.adapter(a).oid.as_ref().map(|o| (o.request.ptr as usize, o.completed, o.oid));
        match oid_state {
            Some((req, None, oid)) if req == request as usize => {
                self.check_oid_completion(api, a, oid, status);
                self.adapter_mut(a).oid.as_mut().expect("checked").completed = Some(status);
            }
            Some((req, Some(first), _)) if req == request as usize => {
                let msg = format!(
                    "{api}({request:p}) on adapter {}: completed twice (first with {:#x})",
                    a.0, first
                );
                self.violate(NDIS_OID_DOUBLE_COMPLETE, msg);
            }
            _ => {
                let msg = format!(
                    "{api}({request:p}) on adapter {}: not the OID request NDIS has pending (already completed, or never issued)",
                    a.0
                );
                self.violate(NDIS_OID_DOUBLE_COMPLETE, msg);
            }
        }
    }

    /// What the general attributes declared against what the driver answers: the OID list, and
    /// the statistics `OID_GEN_STATISTICS` reports valid.
    fn check_declared(&mut self, api: &str, a: AdapterId, oid: NdisOid, status: NdisStatus) {
        let Some(general) = self.adapter(a).general.as_ref() else { return };
        let (listed, supported_statistics) =
            (general.supported_oids.contains(&oid), general.supported_statistics);
        // Vendor OIDs (0xFFxxxxxx) are exempt: listing one without a WMI GUID mapping fails the
        // HLK's 1c_WMICoverage, so a driver may answer them unlisted.
        let vendor = oid >> 24 == 0xFF;
        if !listed && !vendor && status == NDIS_STATUS_SUCCESS {
            let msg =
                format!("{api}: OID {oid:#010x} on adapter {} answered but not in SupportedOidList", a.0);
            self.violate(NDIS_SUPPORTED_OID_LIST, msg);
        }
        if listed && status == NDIS_STATUS_INVALID_OID {
            let msg =
                format!("{api}: OID {oid:#010x} on adapter {} is in SupportedOidList but INVALID_OID", a.0);
            self.violate(NDIS_SUPPORTED_OID_LIST, msg);
        }
        let Some(o) = self.adapter(a).oid.as_ref() else { return };
        if oid != OID_GEN_STATISTICS
            || status != NDIS_STATUS_SUCCESS
            || o.request_type == NDIS_REQUEST_SET_INFORMATION
        {
            return;
        }
        let offset = core::mem::offset_of!(NdisStatisticsInfo, SupportedStatistics);
        // SAFETY: the model's own buffer of `buffer_len` bytes; read only within it.
        let Some(bytes) = (offset + 4 <= o.buffer_len)
            .then(|| unsafe { std::slice::from_raw_parts(o.buffer.ptr.add(offset), 4) })
        else {
            return;
        };
        let valid = u32::from_ne_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        let differing: Vec<&str> = STATISTICS_PAIRS
            .iter()
            .filter(|(flag, declared, _)| (valid & flag != 0) != (supported_statistics & declared != 0))
            .map(|(_, _, name)| *name)
            .collect();
        if !differing.is_empty() {
            let msg = format!(
                "{api}: OID_GEN_STATISTICS on adapter {}: valid flags {valid:#x} and SupportedStatistics \
                 {supported_statistics:#x} differ for {}",
                a.0,
                differing.join(", ")
            );
            self.violate(NDIS_STATISTICS_DECLARED, msg);
        }
    }

    fn check_oid_completion(&mut self, api: &str, a: AdapterId, oid: NdisOid, status: NdisStatus) {
        self.check_declared(api, a, oid, status);
        if status == NDIS_STATUS_PENDING {
            self.violate(
                NDIS_OID_COMPLETE,
                format!("{api}: OID {oid:#010x} on adapter {} completed with NDIS_STATUS_PENDING", a.0),
            );
        }
        // The rule is about the set NDIS sends to change the power state; a query or method request
        // naming that OID (which NDIS never sends) may be refused like any unsupported request.
        let set =
            self.adapter(a).oid.as_ref().is_some_and(|o| o.request_type == NDIS_REQUEST_SET_INFORMATION);
        if set
            && oid == OID_PNP_SET_POWER
            && status != NDIS_STATUS_SUCCESS
            && status != NDIS_STATUS_NOT_ACCEPTED
        {
            let msg = format!(
                "{api}: OID_PNP_SET_POWER on adapter {} completed with {:#x}; only SUCCESS or NOT_ACCEPTED are allowed",
                a.0, status
            );
            self.violate(NDIS_OID_COMPLETE, msg);
        }
    }

    pub(crate) fn check_oid_timers(&mut self) {
        let now = self.now;
        let mut late = Vec::new();
        for ad in &mut self.ndis.adapters {
            if let Some(o) = ad.oid.as_mut()
                && o.completed.is_none()
                && !o.timed_out
                && now.saturating_sub(o.issued_at) > OID_TIMEOUT
            {
                o.timed_out = true;
                late.push((ad.id, o.oid, now - o.issued_at));
            }
        }
        for (a, oid, age) in late {
            self.violate(
                NDIS_TIMED_OID_COMPLETE,
                format!("OID {oid:#010x} on adapter {} not completed after {age:?} (limit 12 s)", a.0),
            );
        }
    }

    /// Read the outcome out of the request and check its bounds.
    fn oid_outcome(&mut self, a: AdapterId, status: NdisStatus) -> OidResult {
        let o = self.adapter(a).oid.as_ref().expect("an OID is pending");
        let (oid, len, query) = (o.oid, o.buffer_len, o.request_type != NDIS_REQUEST_SET_INFORMATION);
        // SAFETY: the model's own NDIS_OID_REQUEST, alive for the run.
        let req = unsafe { o.request.ptr.cast::<NdisOidRequest>().read() };
        let (done, needed) = if query {
            (req.DATA.query().BytesWritten, req.DATA.query().BytesNeeded)
        } else {
            (req.DATA.set().BytesRead, req.DATA.set().BytesNeeded)
        };
        // SAFETY: the model's own buffer of `len` bytes.
        let data = unsafe { std::slice::from_raw_parts(o.buffer.ptr, len) }.to_vec();
        let what = if query { "BytesWritten" } else { "BytesRead" };
        if done as usize > len {
            let msg = format!(
                "OID {oid:#010x} on adapter {}: {what} {done} exceeds InformationBufferLength {len}",
                a.0
            );
            self.violate(NDIS_OID_BUFFER_BOUNDS, msg);
        }
        if (status == NDIS_STATUS_INVALID_LENGTH || status == NDIS_STATUS_BUFFER_TOO_SHORT) && needed == 0 {
            let msg =
                format!("OID {oid:#010x} on adapter {}: failed with {:#x} but BytesNeeded is 0", a.0, status);
            self.violate(NDIS_OID_BUFFER_BOUNDS, msg);
        }
        OidResult { status, bytes_written_or_read: done, bytes_needed: needed, data }
    }
}

impl State {
    /// An OID request or a reset is in progress on `a`: NDIS holds the next OID request back.
    fn oid_must_wait(&self, a: AdapterId) -> bool {
        let ad = self.adapter(a);
        ad.oid.as_ref().is_some_and(|o| o.completed.is_none()) || ad.reset.is_some()
    }
}

impl Inner {
    pub(crate) fn oid_request(
        &self,
        a: AdapterId,
        request_type: NdisRequestType,
        oid: NdisOid,
        input: &[u8],
        buffer_len: usize,
    ) -> OidResult {
        let mut waits = 0u32;
        let (handler, ctx, request) = loop {
            // NDIS issues one OID request to a miniport at a time and none during a reset, queuing
            // the rest: with several processors, a second one waits for its turn here.
            let ready = self.with(|st| {
            if crate::mp::MULTIPROCESSOR && st.oid_must_wait(a) {
                return None;
            }
            let ad = st.adapter(a);
            assert!(
                matches!(ad.state, AdapterState::Paused | AdapterState::Restarting | AdapterState::Running | AdapterState::Pausing),
                "kernel-sim: test bug: NDIS sends no OID to an adapter that is {:?}",
                ad.state
            );
            if let Some(o) = &ad.oid
                && o.completed.is_none()
            {
                panic!("kernel-sim: test bug: an OID ({:#010x}) is still pending on adapter {}; NDIS never issues a second (NdisOidDoubleRequest)", o.oid, a.0);
            }
            let buffer = RawBlock::new(buffer_len.max(1), 16, 0xCC);
            // SAFETY: `buffer` holds at least `input.len()` bytes (input.len() <= buffer_len).
            unsafe { core::ptr::copy_nonoverlapping(input.as_ptr(), buffer.ptr, input.len().min(buffer_len)) };
            let request = RawBlock::new(size_of::<NdisOidRequest>(), 16, 0);
            let r = request.ptr.cast::<NdisOidRequest>();
            let request_id = st.mint();
            let request_handle = st.mint();
            // SAFETY: a fresh zeroed block for an NDIS_OID_REQUEST.
            unsafe {
                (*r).Header = NdisObjectHeader::new(NDIS_OBJECT_TYPE_OID_REQUEST, NDIS_OID_REQUEST_REVISION_1, NDIS_SIZEOF_OID_REQUEST_REVISION_1);
                (*r).RequestType = request_type;
                (*r).RequestId = request_id as *mut c_void;
                (*r).RequestHandle = NdisHandle(request_handle as *mut c_void);
                (*r).SupportedRevision = NDIS_OID_REQUEST_REVISION_1;
                let q = (*r).DATA.query_mut();
                q.Oid = oid;
                q.InformationBuffer = buffer.ptr.cast();
                q.InformationBufferLength = buffer_len as u32;
            }
            let ptr = r;
            let now = st.now;
            if let Some(old) = st.adapter_mut(a).oid.take() {
                // The driver must not touch a completed request again; keep it poisoned, not freed.
                old.request.poison();
                old.buffer.poison();
                st.mem.quarantine.push(old.request);
                st.mem.quarantine.push(old.buffer);
            }
            st.adapter_mut(a).oid = Some(PendingOid {
                request,
                buffer,
                buffer_len,
                oid,
                request_type,
                issued_at: now,
                pended: false,
                completed: None,
                timed_out: false,
            });
            let handler = st.ndis.characteristics.and_then(|c| c.OidRequestHandler).expect("validated at registration");
            Some((handler, st.adapter_context(a), ptr))
            });
            if let Some(ready) = ready {
                break ready;
            }
            waits += 1;
            assert!(
                waits < crate::mp::SPIN_LIMIT,
                "kernel-sim: an OID request on adapter {} never got its turn",
                a.0
            );
            crate::mp::spin_pause();
        };
        let status = self.invoke("MiniportOidRequest", PASSIVE_LEVEL, || {
            // SAFETY: the registered handler with a request NDIS owns until it is completed.
            unsafe { handler(ctx, request) }
        });
        let completed_early = self.with(|st| st.adapter(a).oid.as_ref().and_then(|o| o.completed));
        if status != NDIS_STATUS_PENDING {
            return self.with(|st| {
                if let Some(early) = completed_early {
                    let msg = format!("OID {oid:#010x} on adapter {}: MiniportOidRequest returned {:#x} and also called NdisMOidRequestComplete ({:#x})", a.0, status, early);
                    st.violate(NDIS_OID_DOUBLE_COMPLETE, msg);
                }
                st.check_oid_completion("MiniportOidRequest", a, oid, status);
                st.adapter_mut(a).oid.as_mut().expect("pending").completed = Some(status);
                st.oid_outcome(a, status)
            });
        }
        self.with(|st| st.adapter_mut(a).oid.as_mut().expect("pending").pended = true);
        let done = self.run_until(|st| st.adapter(a).oid.as_ref().is_some_and(|o| o.completed.is_some()));
        if !done {
            // Nothing left that could complete it: let NDIS's 12 s timer run out.
            self.advance_time(OID_TIMEOUT + Duration::from_millis(1));
        }
        self.with(|st| match st.adapter(a).oid.as_ref().and_then(|o| o.completed) {
            Some(status) => st.oid_outcome(a, status),
            None => OidResult {
                status: NDIS_STATUS_PENDING,
                bytes_written_or_read: 0,
                bytes_needed: 0,
                data: Vec::new(),
            },
        })
    }
}
