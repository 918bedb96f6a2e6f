//! The WDM lower edge: the miniport WDFDEVICE's default I/O target (aimed at NDIS's
//! `NextDeviceObject`, the bus PDO below us) and every request the adapter will ever send to it,
//! created once in `MiniportInitializeEx` and reused (`WdfRequestReuse`) for every send
//! (ndis-kmdf.md §1.1 ndisedge, §7; ARCHITECTURE.md "Data path principles").

use crate::sys::{self, *};

/// Reads kept pending below while the adapter runs; each returns a batch of frames.
pub const READ_REQUESTS: usize = 8;
/// Writes available for batches of frames going down.
pub const WRITE_REQUESTS: usize = 8;
/// Size of one read or write buffer: room for a batch of full-size frames.
pub const BATCH_BUFFER_SIZE: usize = 16 * 1024;

pub const READ_BUFFER_TAG: u32 = u32::from_le_bytes(*b"KmRd");
pub const WRITE_BUFFER_TAG: u32 = u32::from_le_bytes(*b"KmWr");

/// A pre-allocated request and the buffer it always carries.
#[derive(Clone, Copy)]
pub struct RequestSlot {
    pub request: WdfRequest,
    pub buffer: WdfBuffer,
}

/// The device, its default target and the request slots. Every handle is parented to the miniport
/// device, so deleting the device would reclaim them too; halt still deletes them one by one first,
/// in the order the KMDF samples use.
pub struct LowerEdge {
    pub device: WdfDevice,
    pub io_target: WdfIoTarget,
    pub reads: [Option<RequestSlot>; READ_REQUESTS],
    pub writes: [Option<RequestSlot>; WRITE_REQUESTS],
}

impl LowerEdge {
    pub const EMPTY: Self = Self {
        device: WdfDevice::NULL,
        io_target: WdfIoTarget::NULL,
        reads: [None; READ_REQUESTS],
        writes: [None; WRITE_REQUESTS],
    };

    /// `WdfDeviceMiniportCreate(WdfGetDriver(), attributes, Fdo, NextDeviceObject, Pdo)` with the
    /// adapter back-pointer in the device context, then `WdfDeviceGetIoTarget`. On failure nothing
    /// is left behind.
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
        if !sys::set_device_adapter(device, adapter) {
            return Err(NDIS_STATUS_FAILURE);
        }
        // The default target exists because AttachedDeviceObject was given, and starts Started
        // (ndis-kmdf.md §2.3 item 3).
        let io_target = sys::wdf_device_get_io_target(device);
        if io_target.is_null() {
            return Err(NDIS_STATUS_DEVICE_FAILED);
        }
        self.io_target = io_target;
        Ok(())
    }

    /// Create every read and write request with its buffer, parented to the device.
    pub fn create_requests(&mut self) -> Result<(), NdisStatus> {
        let parent = WdfObjectAttributes { parent: Some(self.device.into()), context_type: None };
        for slot in self.reads.iter_mut() {
            *slot = Some(Self::create_slot(&parent, self.io_target, READ_BUFFER_TAG)?);
        }
        for slot in self.writes.iter_mut() {
            *slot = Some(Self::create_slot(&parent, self.io_target, WRITE_BUFFER_TAG)?);
        }
        Ok(())
    }

    fn create_slot(
        parent: &WdfObjectAttributes,
        io_target: WdfIoTarget,
        tag: u32,
    ) -> Result<RequestSlot, NdisStatus> {
        let request = sys::wdf_request_create(parent, io_target).map_err(ndis_status_from_nt)?;
        match WdfBuffer::create(parent, tag, BATCH_BUFFER_SIZE) {
            Ok(buffer) => Ok(RequestSlot { request, buffer }),
            Err(status) => {
                sys::wdf_object_delete(request.into());
                Err(ndis_status_from_nt(status))
            }
        }
    }

    /// Which read slot a completed request is.
    pub fn read_index(&self, request: WdfRequest) -> Option<usize> {
        self.reads.iter().position(|slot| slot.is_some_and(|slot| slot.request == request))
    }

    pub fn read_request(&self, index: usize) -> Option<RequestSlot> {
        self.reads.get(index).copied().flatten()
    }

    /// Reuse, format and send read `index` with `completion` and `context`. The caller must not
    /// hold a spin lock: the request may complete before `WdfRequestSend` returns.
    pub fn post_read(
        &self,
        index: usize,
        completion: EvtWdfRequestCompletionRoutine,
        context: WdfContext,
    ) -> Result<(), NtStatus> {
        let slot = self.read_request(index).ok_or(STATUS_INVALID_DEVICE_STATE)?;
        // A request is reused before every format: KMDF requires it after a completion, and it is a
        // no-op on a request that was never sent (ndisedge NICFreeRCB; ndis-kmdf.md §1.1).
        let status = sys::wdf_request_reuse(slot.request, WDF_REQUEST_REUSE_NO_FLAGS, STATUS_SUCCESS);
        if !nt_success(status) {
            return Err(status);
        }
        let status =
            sys::wdf_io_target_format_request_for_read(self.io_target, slot.request, slot.buffer.memory);
        if !nt_success(status) {
            return Err(status);
        }
        sys::wdf_request_set_completion_routine(slot.request, Some(completion), context);
        if sys::wdf_request_send(slot.request, self.io_target) {
            Ok(())
        } else {
            Err(sys::wdf_request_get_status(slot.request))
        }
    }

    /// `WdfIoTargetStop(WdfIoTargetCancelSentIo)`: cancel what was sent and wait for every
    /// completion routine to run. PASSIVE_LEVEL only.
    pub fn stop_and_cancel(&self) {
        if !self.io_target.is_null() {
            sys::wdf_io_target_stop(self.io_target, WDF_IO_TARGET_CANCEL_SENT_IO);
        }
    }

    /// Delete every request and buffer that exists, then the device. Safe on a partly created
    /// lower edge: exactly what was created is deleted.
    pub fn delete(&mut self) {
        for slot in self.reads.iter_mut().chain(self.writes.iter_mut()) {
            if let Some(slot) = slot.take() {
                sys::wdf_object_delete(slot.request.into());
                sys::wdf_object_delete(slot.buffer.memory.into());
            }
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

/// A KMDF failure as NDIS's initialize handler reports it.
pub fn ndis_status_from_nt(status: NtStatus) -> NdisStatus {
    if status == STATUS_INSUFFICIENT_RESOURCES { NDIS_STATUS_RESOURCES } else { NDIS_STATUS_FAILURE }
}
