//! The stand-in device below each adapter (its NextDeviceObject): reads are held until the test
//! completes them or they are cancelled; writes complete with STATUS_SUCCESS and information = length
//! (deferred through the scheduler by default). A vwire hub port replaces it later.

use crate::kmdf::{IoKind, ReqState};
use crate::state::State;
use crate::verifier::rules::*;
use crate::{AdapterId, Sim};
use ndis_types::*;
use std::collections::VecDeque;
use std::time::Duration;

/// How the stand-in device completes writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum WriteCompletion {
    /// Inside `WdfRequestSend` (the completion routine runs nested, at DISPATCH_LEVEL).
    Immediate,
    /// Through the scheduler, a little later (default).
    #[default]
    Deferred,
    /// Held until [`LowerDeviceControl::complete_writes`].
    Hold,
}

pub(crate) struct PendingWrite {
    pub(crate) request: usize,
    /// A completion is already scheduled for it.
    pub(crate) scheduled: bool,
}

#[derive(Default)]
pub(crate) struct LowerDevice {
    pub(crate) reads: VecDeque<usize>,
    pub(crate) writes: VecDeque<PendingWrite>,
    pub(crate) write_mode: WriteCompletion,
    pub(crate) uncancelable: bool,
    pub(crate) written: Vec<Vec<u8>>,
    pub(crate) writes_completed: usize,
    pub(crate) reads_received: usize,
    /// Torn down after the halt that follows a surprise removal.
    pub(crate) removed: bool,
}

impl State {
    /// A request reaches the device below. `Some` when the device completes it at once.
    pub(crate) fn deliver_to_lower(&mut self, r: usize) -> Option<(NtStatus, usize)> {
        let req = self.kmdf.request(r);
        let format = req.format.expect("kernel-sim bug: delivering an unformatted request");
        let seq = req.seq;
        let adapter = self.kmdf.target(format.target).adapter;
        if self.adapter(adapter).surprise_removed {
            let msg = format!(
                "WdfRequestSend of {} to the device below adapter {} after surprise removal: the hardware is gone",
                self.kmdf.describe(r),
                adapter.0
            );
            self.violate(NDIS_NO_HARDWARE_AFTER_SURPRISE_REMOVAL, msg);
        }
        self.kmdf.request_mut(r).state = ReqState::AtLower;
        if self.adapter(adapter).lower.removed {
            return Some((STATUS_NO_SUCH_DEVICE, 0));
        }
        match format.kind {
            IoKind::Read => {
                let lower = &mut self.adapter_mut(adapter).lower;
                lower.reads.push_back(r);
                lower.reads_received += 1;
                None
            }
            IoKind::Write => {
                let memory = self.kmdf.memory(format.memory);
                // SAFETY: the model owns the WDFMEMORY buffer; `length` was checked against its size.
                let bytes = unsafe { std::slice::from_raw_parts(memory.block.ptr, format.length) }.to_vec();
                let mode = self.adapter(adapter).lower.write_mode;
                self.adapter_mut(adapter).lower.written.push(bytes);
                match mode {
                    WriteCompletion::Immediate => Some((STATUS_SUCCESS, format.length)),
                    WriteCompletion::Deferred => {
                        let delay = Duration::from_micros(50 + self.rng.below(200));
                        self.schedule(
                            delay,
                            crate::sched::EventKind::CompleteRequest {
                                request: r,
                                seq,
                                status: STATUS_SUCCESS,
                                information: format.length,
                            },
                        );
                        self.adapter_mut(adapter)
                            .lower
                            .writes
                            .push_back(PendingWrite { request: r, scheduled: true });
                        None
                    }
                    WriteCompletion::Hold => {
                        self.adapter_mut(adapter)
                            .lower
                            .writes
                            .push_back(PendingWrite { request: r, scheduled: false });
                        None
                    }
                }
            }
        }
    }
}

/// Controls of the stand-in device below one adapter (`Sim::lower`).
pub struct LowerDeviceControl<'a> {
    pub(crate) sim: &'a Sim,
    pub(crate) adapter: AdapterId,
}

impl LowerDeviceControl<'_> {
    /// Reads held by the device.
    pub fn pending_reads(&self) -> usize {
        self.sim.inner.with(|st| st.adapter(self.adapter).lower.reads.len())
    }

    /// Writes not completed yet (held, or with a completion scheduled).
    pub fn pending_writes(&self) -> usize {
        self.sim.inner.with(|st| st.adapter(self.adapter).lower.writes.len())
    }

    /// Complete up to `n` pending reads, oldest first, each with `payload` copied into its buffer
    /// (truncated to the buffer) and information = bytes copied. Returns how many completed.
    pub fn complete_reads(&self, n: usize, payload: &[u8]) -> usize {
        let batch: Vec<(usize, u64, usize)> = self.sim.inner.with(|st| {
            let reads: Vec<usize> = st.adapter(self.adapter).lower.reads.iter().take(n).copied().collect();
            reads
                .into_iter()
                .map(|r| {
                    let req = st.kmdf.request(r);
                    let format = req.format.expect("pending read is formatted");
                    let len = payload.len().min(format.length);
                    let memory = st.kmdf.memory(format.memory);
                    // SAFETY: the model owns the WDFMEMORY buffer of at least `format.length` bytes.
                    unsafe { std::ptr::copy_nonoverlapping(payload.as_ptr(), memory.block.ptr, len) };
                    (r, req.seq, len)
                })
                .collect()
        });
        for &(r, seq, len) in &batch {
            self.sim.inner.complete_request(r, seq, STATUS_SUCCESS, len);
        }
        batch.len()
    }

    /// Complete up to `n` pending reads with an error `status` (information 0).
    pub fn fail_reads(&self, n: usize, status: NtStatus) -> usize {
        let batch: Vec<(usize, u64)> = self.sim.inner.with(|st| {
            let reads: Vec<usize> = st.adapter(self.adapter).lower.reads.iter().take(n).copied().collect();
            reads.into_iter().map(|r| (r, st.kmdf.request(r).seq)).collect()
        });
        for &(r, seq) in &batch {
            self.sim.inner.complete_request(r, seq, status, 0);
        }
        batch.len()
    }

    /// Complete up to `n` held writes, oldest first, with `status` (information = length on success).
    pub fn complete_writes(&self, n: usize, status: NtStatus) -> usize {
        let batch: Vec<(usize, u64, usize)> = self.sim.inner.with(|st| {
            let writes: Vec<usize> = st
                .adapter(self.adapter)
                .lower
                .writes
                .iter()
                .filter(|w| !w.scheduled)
                .take(n)
                .map(|w| w.request)
                .collect();
            writes
                .into_iter()
                .map(|r| {
                    let req = st.kmdf.request(r);
                    let len = if nt_success(status) { req.format.map(|f| f.length).unwrap_or(0) } else { 0 };
                    (r, req.seq, len)
                })
                .collect()
        });
        for &(r, seq, len) in &batch {
            self.sim.inner.complete_request(r, seq, status, len);
        }
        batch.len()
    }

    /// Write requests the device has received.
    pub fn written_frames(&self) -> usize {
        self.sim.inner.with(|st| st.adapter(self.adapter).lower.written.len())
    }

    /// The bytes of every write received, in order.
    pub fn written_data(&self) -> Vec<Vec<u8>> {
        self.sim.inner.with(|st| st.adapter(self.adapter).lower.written.clone())
    }

    /// Writes completed (any status).
    pub fn writes_completed(&self) -> usize {
        self.sim.inner.with(|st| st.adapter(self.adapter).lower.writes_completed)
    }

    /// Read requests the device has received.
    pub fn reads_received(&self) -> usize {
        self.sim.inner.with(|st| st.adapter(self.adapter).lower.reads_received)
    }

    pub fn set_write_completion(&self, mode: WriteCompletion) {
        self.sim.inner.with(|st| st.adapter_mut(self.adapter).lower.write_mode = mode);
    }

    /// Requests the device holds cannot be cancelled (a misbehaving bus driver): a
    /// `WdfIoTargetStop(CancelSentIo)` then never returns, which aborts the scenario.
    pub fn hold_uncancelable(&self, on: bool) {
        self.sim.inner.with(|st| st.adapter_mut(self.adapter).lower.uncancelable = on);
    }
}
