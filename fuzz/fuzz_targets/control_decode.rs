//! The control protocol (`IOCTL_VWIRE_*` structures): what the miniport and the bus read from each
//! other. The first byte picks the structure, the rest is its input.
//! Properties: no panic; whatever decodes re-encodes to exactly the input it came from (the decoders
//! accept only canonical encodings), except the header's `length`, which may be larger than the
//! structure (docs/lower-edge-protocol.md: a reader accepts a longer `length` and ignores the excess),
//! and decodes again to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vwire_proto::{
    ControlHeader, DeviceInfo, LinkState, LinkWait, MulticastList, PacketFilter, PortCounters,
};

macro_rules! round_trip {
    ($ty:ty, $input:expr) => {{
        if let Ok(value) = <$ty>::decode($input) {
            let mut out = [0u8; 1024];
            let n = value.encode(&mut out).expect("a decoded value encodes");
            assert_eq!(&out[..2], &$input[..2], "{} version", stringify!($ty));
            assert!(usize::from(u16::from_le_bytes([$input[2], $input[3]])) >= n);
            assert_eq!(&out[4..n], &$input[4..n], "{} re-encodes differently", stringify!($ty));
            assert_eq!(<$ty>::decode(&out[..n]).expect("re-decodes"), value);
            // Too small an output is an error, never a panic or a partial write past its end.
            if n > 0 {
                assert!(value.encode(&mut out[..n - 1]).is_err());
            }
        }
    }};
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, input)) = data.split_first() else { return };
    match which % 7 {
        0 => {
            if let Ok(header) = ControlHeader::decode(input) {
                let mut out = [0u8; 8];
                let n = header.encode(&mut out).expect("encodes");
                assert_eq!(ControlHeader::decode(&out[..n]).expect("re-decodes"), header);
            }
        }
        1 => round_trip!(DeviceInfo, input),
        2 => round_trip!(PacketFilter, input),
        3 => {
            round_trip!(MulticastList, input);
            if let Ok(list) = MulticastList::decode(input) {
                assert_eq!(list.encoded_len(), input.len().min(list.encoded_len()));
                assert_eq!(usize::from(list.count()), list.addresses().len());
                assert!(list.addresses().iter().all(|a| list.contains(a)));
            }
        }
        4 => round_trip!(PortCounters, input),
        5 => round_trip!(LinkWait, input),
        _ => {
            round_trip!(LinkState, input);
            if let Ok(state) = LinkState::decode(input) {
                let _ = (state.is_up(), state.is_full_duplex());
            }
        }
    }
});
