//! The WDM lower edge: the miniport WDFDEVICE's default I/O target (aimed at NDIS's
//! `NextDeviceObject`, the vwire bus PDO below us) and every request the adapter will ever send to
//! it, created once in `MiniportInitializeEx` and reused (`WdfRequestReuse`) for every send
//! (as the WDK 6001 sample does: src/kmdf/ndisedge/60/Init.c:1211 takes the default target, Send.c
//! NICFreeSendTCB reuses the request), so that nothing is allocated per frame or per OID.
//!
//! What travels on it is the vwire protocol (`docs/lower-edge-protocol.md`): reads and writes carry
//! batches of frames, internal IOCTLs query and configure the port, and one IOCTL stays pending until
//! the link changes.

pub mod device_context;
pub mod requests;

use crate::lower::requests::CompletionRoutines;
use crate::nbl::receive::ReceiveScratch;
use crate::nbl::send::WriteRefs;
use crate::sys::{self, DeviceProperty};
use bytemuck::Zeroable;
use device_context::{MINIPORT_DEVICE_CONTEXT_TYPE, set_device_adapter};
use ndis_types::handles::{NdisHandle, WdfDevice, WdfIoTarget, WdfRequest};
use ndis_types::status::{
    NDIS_STATUS_ADAPTER_NOT_FOUND, NDIS_STATUS_BAD_VERSION, NDIS_STATUS_DEVICE_FAILED, NDIS_STATUS_FAILURE,
    NDIS_STATUS_INVALID_DATA, NDIS_STATUS_NOT_ACCEPTED, NDIS_STATUS_RESOURCES, NdisStatus, NtStatus,
    STATUS_DEVICE_REMOVED, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_DEVICE_STATE, STATUS_NO_SUCH_DEVICE,
    STATUS_SUCCESS, nt_success,
};
use ndis_types::wdf::{
    WDF_IO_TARGET_CANCEL_SENT_IO, WDF_IO_TARGET_PURGE_IO_AND_WAIT, WDF_REQUEST_REUSE_NO_FLAGS,
    WdfObjectAttributes, WdfRequestSendOptions,
};
use requests::{RequestPool, RequestResources, WdfBuffer};
use vwire_proto::{
    ControlError, DeviceInfo, IOCTL_VWIRE_QUERY_DEVICE, IOCTL_VWIRE_SET_MULTICAST_LIST,
    IOCTL_VWIRE_SET_PACKET_FILTER, IOCTL_VWIRE_WAIT_LINK_CHANGE, LinkState, LinkWait, MulticastList,
    PROTOCOL_VERSION, PacketFilter,
};

/// Reads kept pending below while the adapter runs; each returns a batch of frames, indicated from
/// its buffer in place, so a read stays out of service while protocols hold frames of it
/// (`adapter::receive`, which lends at most all but `RESERVED_READS` of them to NDIS).
pub const READ_REQUESTS: usize = 16;
/// Writes available for batches of frames going down.
pub const WRITE_REQUESTS: usize = 8;
/// Size of one read or write buffer: room for a batch of full-size frames.
pub const BATCH_BUFFER_SIZE: usize = vwire_proto::DEFAULT_MAX_BATCH_BYTES;
// A receive NBL's MDL is sized over `largest frame + PAGE_SIZE - 1` bytes of a read buffer
// (`nbl::receive::ReceiveNbl::allocate`): they must be there.
const _: () = assert!(vwire_proto::MAX_FRAME_LEN + ndis_types::nbl::PAGE_SIZE - 1 <= BATCH_BUFFER_SIZE);
/// Buffers of the link-state IOCTL (output, input).
const LINK_OUTPUT_SIZE: usize = 64;
const LINK_INPUT_SIZE: usize = 16;

pub const READ_BUFFER_TAG: u32 = u32::from_le_bytes(*b"KmRd");
pub const WRITE_BUFFER_TAG: u32 = u32::from_le_bytes(*b"KmWr");
pub const CONTROL_BUFFER_TAG: u32 = u32::from_le_bytes(*b"KmCt");

/// How long one control IOCTL may stay with the device before KMDF cancels it and
/// `WdfIoTargetSendInternalIoctlSynchronously` returns `STATUS_IO_TIMEOUT` (Doc
/// `ns-wdfrequest-_wdf_request_send_options`, `Timeout`). An OID waits for at most one of them and
/// `MiniportInitializeEx` for two, so either ends well inside Driver Verifier's 12 s for an OID
/// (Doc `devtest/ndis-ndistimedoidcomplete`); a bus that answers at all answers in microseconds.
/// The bound holds for a bus that honours cancellation: KMDF waits for the cancelled request to
/// complete before it returns (the vwire bus's control IOCTLs complete at once or are cancelable).
pub const CONTROL_TIMEOUT_MS: u32 = 3_000;

/// The device, its default target and the request pools. Every handle is parented to the miniport
/// device; halt still deletes them one by one first, in the order the KMDF samples use. All-zero
/// (NULL handles, empty pools) is the state before initialize creates anything.
#[derive(Zeroable)]
pub struct LowerEdge {
    device: WdfDevice,
    io_target: WdfIoTarget,
    /// Each read carries the scratch space its completion routine indicates the batch with.
    pub reads: RequestPool<READ_REQUESTS, ReceiveScratch>,
    /// Each write carries the table of the NBLs whose frames it holds.
    pub writes: RequestPool<WRITE_REQUESTS, WriteRefs>,
    /// The one `IOCTL_VWIRE_WAIT_LINK_CHANGE` kept pending below.
    pub link: RequestPool<1>,
    /// The request for synchronous IOCTLs (initialize and OIDs, PASSIVE_LEVEL only).
    control: WdfRequest,
}

impl LowerEdge {
    /// `NdisAllocateSpinLock` for the pools' state, once the adapter sits at its final address.
    pub fn initialize_locks(&mut self) {
        self.reads.initialize();
        self.writes.initialize();
        self.link.initialize();
    }

    /// `WdfDeviceMiniportCreate(WdfGetDriver(), attributes, Fdo, NextDeviceObject, Pdo)` with the
    /// adapter back-pointer in the device context, then `WdfDeviceGetIoTarget`.
    pub fn create_device(
        &mut self,
        properties: &DeviceProperty,
        adapter: NdisHandle,
    ) -> Result<(), NdisStatus> {
        let attributes =
            WdfObjectAttributes { parent: None, context_type: Some(&MINIPORT_DEVICE_CONTEXT_TYPE) };
        let device = sys::wdf_device_miniport_create(
            sys::wdf_get_driver(),
            &attributes,
            properties.functional_device_object,
            properties.next_device_object,
            properties.physical_device_object,
        )
        .map_err(ndis_status_from_nt)?;
        self.device = device;
        if !set_device_adapter(device, adapter) {
            return Err(NDIS_STATUS_FAILURE);
        }
        // The default target exists because AttachedDeviceObject was given, and starts Started
        // (WDF-SRC src/framework/shared/core/fxdevicebase.cpp AllocateTarget; the FxIoTarget
        // constructor in src/framework/shared/targets/general/fxiotarget.cpp).
        let io_target = sys::wdf_device_get_io_target(device);
        if io_target.is_null() {
            return Err(NDIS_STATUS_DEVICE_FAILED);
        }
        self.io_target = io_target;
        Ok(())
    }

    /// Create every request with its buffers, parented to the device, and aim each pool at the
    /// default target with its completion routine: the data path then sends a slot knowing neither.
    pub fn create_requests(
        &mut self,
        routines: CompletionRoutines,
        miniport: NdisHandle,
    ) -> Result<(), NdisStatus> {
        let [read, write, link] = routines.targets(self.io_target);
        self.reads.aim(read);
        self.writes.aim(write);
        self.link.aim(link);
        let parent = WdfObjectAttributes { parent: Some(self.device.into()), context_type: None };
        while !self.reads.is_complete() {
            let slot = Self::create_slot(&parent, self.io_target, READ_BUFFER_TAG, BATCH_BUFFER_SIZE, None)?;
            self.reads.insert(slot);
        }
        // Frames are indicated from the read buffers in place, through MDLs built from these.
        self.reads.describe_buffers(miniport).map_err(ndis_status_from_nt)?;
        while !self.writes.is_complete() {
            let slot = Self::create_slot(&parent, self.io_target, WRITE_BUFFER_TAG, BATCH_BUFFER_SIZE, None)?;
            self.writes.insert(slot);
        }
        if !self.link.is_complete() {
            let slot = Self::create_slot(
                &parent,
                self.io_target,
                CONTROL_BUFFER_TAG,
                LINK_OUTPUT_SIZE,
                Some(LINK_INPUT_SIZE),
            )?;
            self.link.insert(slot);
        }
        self.control = sys::wdf_request_create(&parent, self.io_target).map_err(ndis_status_from_nt)?;
        Ok(())
    }

    fn create_slot(
        parent: &WdfObjectAttributes,
        io_target: WdfIoTarget,
        tag: u32,
        size: usize,
        input_size: Option<usize>,
    ) -> Result<RequestResources, NdisStatus> {
        let request = sys::wdf_request_create(parent, io_target).map_err(ndis_status_from_nt)?;
        let buffer = match WdfBuffer::create(parent, tag, size) {
            Ok(buffer) => buffer,
            Err(status) => {
                sys::wdf_object_delete(request.into());
                return Err(ndis_status_from_nt(status));
            }
        };
        let input = match input_size.map(|size| WdfBuffer::create(parent, tag, size)).transpose() {
            Ok(input) => input,
            Err(status) => {
                sys::wdf_object_delete(buffer.memory.into());
                sys::wdf_object_delete(request.into());
                return Err(ndis_status_from_nt(status));
            }
        };
        Ok(RequestResources { request, buffer, input: input.unwrap_or_else(WdfBuffer::zeroed) })
    }

    /// A synchronous internal IOCTL on the control request (PASSIVE_LEVEL), bounded by
    /// [`CONTROL_TIMEOUT_MS`]: a stalled bus fails it with `STATUS_IO_TIMEOUT` instead of holding
    /// the OID or the initialize that waits for it. KMDF returns only once the cancelled request has
    /// completed, so the request is idle again and the next call's `WdfRequestReuse` is valid (Doc
    /// `nf-wdfrequest-wdfrequestreuse`: reuse a request after it completed).
    fn control_ioctl(&self, ioctl_code: u32, input: &[u8], output: &mut [u8]) -> Result<usize, NtStatus> {
        if self.control.is_null() {
            return Err(STATUS_INVALID_DEVICE_STATE);
        }
        let status = sys::wdf_request_reuse(self.control, WDF_REQUEST_REUSE_NO_FLAGS, STATUS_SUCCESS);
        if !nt_success(status) {
            return Err(status);
        }
        let options = WdfRequestSendOptions::relative_timeout_ms(CONTROL_TIMEOUT_MS);
        sys::wdf_io_target_send_internal_ioctl_synchronously(
            self.io_target,
            self.control,
            ioctl_code,
            input,
            output,
            Some(&options),
        )
    }

    /// `IOCTL_VWIRE_QUERY_DEVICE`: the port's address and limits. A device that does not answer it,
    /// or speaks another protocol version, is not one this miniport can drive.
    pub fn query_device(&self) -> Result<DeviceInfo, NdisStatus> {
        let mut output = [0u8; DeviceInfo::ENCODED_LEN];
        let written = self
            .control_ioctl(IOCTL_VWIRE_QUERY_DEVICE, &[], &mut output)
            .map_err(|_| NDIS_STATUS_ADAPTER_NOT_FOUND)?;
        let info = DeviceInfo::decode(output.get(..written).unwrap_or(&[]))
            .map_err(|_| NDIS_STATUS_ADAPTER_NOT_FOUND)?;
        if info.protocol_version != PROTOCOL_VERSION {
            return Err(NDIS_STATUS_BAD_VERSION);
        }
        Ok(info)
    }

    /// The link as it is now: `IOCTL_VWIRE_WAIT_LINK_CHANGE` with generation 0, which every port has
    /// left behind, so it completes at once.
    pub fn query_link(&self) -> Result<LinkState, NdisStatus> {
        let mut input = [0u8; LinkWait::ENCODED_LEN];
        LinkWait { known_generation: 0 }.encode(&mut input).map_err(|_| NDIS_STATUS_FAILURE)?;
        let mut output = [0u8; LinkState::ENCODED_LEN];
        let written = self
            .control_ioctl(IOCTL_VWIRE_WAIT_LINK_CHANGE, &input, &mut output)
            .map_err(|_| NDIS_STATUS_ADAPTER_NOT_FOUND)?;
        LinkState::decode(output.get(..written).unwrap_or(&[])).map_err(|_| NDIS_STATUS_ADAPTER_NOT_FOUND)
    }

    /// `IOCTL_VWIRE_SET_PACKET_FILTER`.
    pub fn set_packet_filter(&self, filter: u32) -> Result<(), NdisStatus> {
        let mut input = [0u8; PacketFilter::ENCODED_LEN];
        PacketFilter { filter }.encode(&mut input).map_err(control_error)?;
        self.control_ioctl(IOCTL_VWIRE_SET_PACKET_FILTER, &input, &mut [])
            .map(|_| ())
            .map_err(oid_status_from_nt)
    }

    /// `IOCTL_VWIRE_SET_MULTICAST_LIST`.
    pub fn set_multicast_list(&self, list: &MulticastList) -> Result<(), NdisStatus> {
        let mut input = [0u8; MulticastList::MAX_ENCODED_LEN];
        let length = list.encode(&mut input).map_err(control_error)?;
        self.control_ioctl(IOCTL_VWIRE_SET_MULTICAST_LIST, input.get(..length).unwrap_or(&[]), &mut [])
            .map(|_| ())
            .map_err(oid_status_from_nt)
    }

    /// `WdfIoTargetPurge(WdfIoTargetPurgeIoAndWait)`: from now on the target fails what is sent
    /// to it instead of queuing it, what was sent is cancelled, and every completion routine has
    /// run when this returns. For halt: a completion routine on another processor that re-posts a
    /// request (a read, the link watch) before it sees the halt gets it back failed, where a
    /// stopped target would have queued it past the request's deletion. PASSIVE_LEVEL only.
    pub fn purge_and_wait(&self) {
        if !self.io_target.is_null() {
            sys::wdf_io_target_purge(self.io_target, WDF_IO_TARGET_PURGE_IO_AND_WAIT);
        }
    }

    /// `WdfIoTargetStop(WdfIoTargetCancelSentIo)`: cancel what was sent and wait for every
    /// completion routine to run. PASSIVE_LEVEL only.
    pub fn stop_and_cancel(&self) {
        if !self.io_target.is_null() {
            sys::wdf_io_target_stop(self.io_target, WDF_IO_TARGET_CANCEL_SENT_IO);
        }
    }

    /// `WdfIoTargetStart`: a stopped target sends again (back in D0). PASSIVE_LEVEL only.
    pub fn start(&self) -> Result<(), NdisStatus> {
        if self.io_target.is_null() {
            return Ok(());
        }
        let status = sys::wdf_io_target_start(self.io_target);
        if nt_success(status) { Ok(()) } else { Err(ndis_status_from_nt(status)) }
    }

    /// Delete every request and buffer that exists, then the device: exactly what was created.
    pub fn delete(&mut self) {
        self.reads.delete();
        self.writes.delete();
        self.link.delete();
        if !self.control.is_null() {
            sys::wdf_object_delete(self.control.into());
            self.control = WdfRequest::NULL;
        }
        self.io_target = WdfIoTarget::NULL;
        if !self.device.is_null() {
            // The framework cannot see the removal of a miniport device: the driver deletes it
            // (Doc nf-wdfminiport-wdfdeviceminiportcreate). PASSIVE_LEVEL: it waits for children.
            sys::wdf_object_delete(self.device.into());
            self.device = WdfDevice::NULL;
        }
    }
}

/// A KMDF failure as NDIS reports it. `STATUS_IO_TIMEOUT` (a control IOCTL the bus did not answer
/// in time) is a plain `NDIS_STATUS_FAILURE`: it has no NDIS_STATUS_ counterpart, and of the
/// statuses `MiniportOidRequest` documents, NOT_ACCEPTED means surprise removal and REQUEST_ABORTED
/// an abort NDIS asked for (a reset); FAILURE is the nonspecific default (Doc
/// `nc-ndis-miniport_oid_request`, `nf-ndis-ndisoidrequest`).
pub fn ndis_status_from_nt(status: NtStatus) -> NdisStatus {
    match status {
        STATUS_INSUFFICIENT_RESOURCES => NDIS_STATUS_RESOURCES,
        _ => NDIS_STATUS_FAILURE,
    }
}

/// A control IOCTL's failure as the OID that sent it completes: a device gone below (the bus
/// fails a removed port's requests) is a surprise removal NDIS has not told the adapter of yet,
/// and NOT_ACCEPTED is the status `nc-ndis-miniport_oid_request` gives for that.
fn oid_status_from_nt(status: NtStatus) -> NdisStatus {
    match status {
        STATUS_DEVICE_REMOVED | STATUS_NO_SUCH_DEVICE => NDIS_STATUS_NOT_ACCEPTED,
        _ => ndis_status_from_nt(status),
    }
}

fn control_error(_: ControlError) -> NdisStatus {
    NDIS_STATUS_INVALID_DATA
}
