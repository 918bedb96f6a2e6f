//! `--pcap FILE`: every frame crossing the hub, as the port that wrote it put it on the wire, in a
//! classic pcap file (Ethernet link type, microsecond timestamps of the model's virtual clock, which
//! starts at 0 = 1970-01-01 so a seed's capture is reproducible).

use kernel_sim::{CaptureSink, CapturedFrame};
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::{DataLink, Endianness, TsResolution};
use std::cell::RefCell;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::rc::Rc;

struct Inner {
    writer: Option<PcapWriter<BufWriter<File>>>,
    frames: u64,
    error: Option<String>,
}

/// A pcap file being written; [`PcapCapture::sink`] feeds it from the model.
#[derive(Clone)]
pub struct PcapCapture(Rc<RefCell<Inner>>);

impl PcapCapture {
    pub fn create(path: &Path) -> Result<PcapCapture, String> {
        let file = File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let header = PcapHeader {
            version_major: 2,
            version_minor: 4,
            ts_correction: 0,
            ts_accuracy: 0,
            snaplen: 65535,
            datalink: DataLink::ETHERNET,
            ts_resolution: TsResolution::MicroSecond,
            endianness: Endianness::native(),
        };
        let writer = PcapWriter::with_header(BufWriter::new(file), header)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(PcapCapture(Rc::new(RefCell::new(Inner { writer: Some(writer), frames: 0, error: None }))))
    }

    /// The sink for [`kernel_sim::Sim::set_capture`].
    pub fn sink(&self) -> CaptureSink {
        let inner = self.0.clone();
        Box::new(move |f: CapturedFrame<'_>| {
            let mut inner = inner.borrow_mut();
            let Some(writer) = inner.writer.as_mut() else { return };
            let packet = PcapPacket::new(f.time, f.frame.len() as u32, f.frame);
            match writer.write_packet(&packet) {
                Ok(_) => inner.frames += 1,
                Err(e) => {
                    inner.error.get_or_insert_with(|| e.to_string());
                }
            }
        })
    }

    pub fn frames(&self) -> u64 {
        self.0.borrow().frames
    }

    /// Flush and close the file; the first write error, if any.
    pub fn finish(&self) -> Result<u64, String> {
        let mut inner = self.0.borrow_mut();
        if let Some(writer) = inner.writer.take() {
            let mut out = writer.into_writer();
            if let Err(e) = out.flush() {
                inner.error.get_or_insert_with(|| e.to_string());
            }
        }
        match &inner.error {
            Some(e) => Err(format!("pcap: {e}")),
            None => Ok(inner.frames),
        }
    }
}
