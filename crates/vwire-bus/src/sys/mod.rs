//! The bus driver's OS layer, split as the miniport's `src/sys` is (one backend per OS, the logic
//! outside it): every KMDF call,
//! every `unsafe` and the kernel image's glue live in [`windows`], compiled only on Windows. The hub it
//! serves from is the portable [`crate::hub`].

pub mod windows;
