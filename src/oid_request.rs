//! [`OidRequestView`]: the safe view of an `NDIS_OID_REQUEST` that `MiniportOidRequest` answers.
#![allow(unsafe_code)]

use ndis_types::oid::{NDIS_REQUEST_SET_INFORMATION, NdisOid, NdisOidRequest, NdisRequestType};

/// The parts of an `NDIS_OID_REQUEST` the miniport answers from.
pub struct OidRequestView<'a> {
    pub request_type: NdisRequestType,
    pub oid: NdisOid,
    /// `InformationBuffer[..InformationBufferLength]`.
    pub buffer: &'a mut [u8],
}

/// Borrow the request NDIS passed to `MiniportOidRequest`.
///
/// # Safety
/// `request` is the request NDIS passed to the OID handler, not yet completed; NDIS guarantees
/// that `InformationBuffer` holds `InformationBufferLength` (query/set) bytes for that long.
pub unsafe fn oid_request_view<'a>(request: *mut NdisOidRequest) -> Option<OidRequestView<'a>> {
    // SAFETY: guaranteed by the caller.
    let request = unsafe { request.as_mut()? };
    let query = request.DATA.query();
    let length = usize::try_from(query.InformationBufferLength).ok()?;
    let buffer: &'a mut [u8] = if query.InformationBuffer.is_null() || length == 0 {
        &mut []
    } else {
        // SAFETY: guaranteed by the caller; query and set share the buffer fields' layout.
        unsafe { core::slice::from_raw_parts_mut(query.InformationBuffer.cast::<u8>(), length) }
    };
    Some(OidRequestView { request_type: request.RequestType, oid: query.Oid, buffer })
}

/// Write `BytesWritten`/`BytesRead` and `BytesNeeded` back into the request.
///
/// # Safety
/// As [`oid_request_view`]; the view borrowed from it is no longer used.
pub unsafe fn oid_request_finish(request: *mut NdisOidRequest, bytes_transferred: u32, bytes_needed: u32) {
    // SAFETY: guaranteed by the caller.
    if let Some(request) = unsafe { request.as_mut() } {
        if request.RequestType == NDIS_REQUEST_SET_INFORMATION {
            let set = request.DATA.set_mut();
            set.BytesRead = bytes_transferred;
            set.BytesNeeded = bytes_needed;
        } else {
            let query = request.DATA.query_mut();
            query.BytesWritten = bytes_transferred;
            query.BytesNeeded = bytes_needed;
        }
    }
}
