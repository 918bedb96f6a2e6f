//! Bounds-checked little-endian field access. Every read and write of the protocol goes through these,
//! so an out-of-range offset is a `None`, never a panic.

/// The `N` bytes at `offset`, or `None` if they are not all inside `buf`.
pub(crate) fn bytes<const N: usize>(buf: &[u8], offset: usize) -> Option<[u8; N]> {
    let end = offset.checked_add(N)?;
    buf.get(offset..end)?.try_into().ok()
}

pub(crate) fn u16_at(buf: &[u8], offset: usize) -> Option<u16> {
    bytes(buf, offset).map(u16::from_le_bytes)
}

pub(crate) fn u32_at(buf: &[u8], offset: usize) -> Option<u32> {
    bytes(buf, offset).map(u32::from_le_bytes)
}

/// Writes `value` at `offset`; `None` (and nothing written) if it does not fit.
pub(crate) fn put<const N: usize>(buf: &mut [u8], offset: usize, value: [u8; N]) -> Option<()> {
    let end = offset.checked_add(N)?;
    let dst = buf.get_mut(offset..end)?;
    for (d, s) in dst.iter_mut().zip(value) {
        *d = s;
    }
    Some(())
}

/// Copies all of `src` to the start of `dst`; `None` (and nothing written) if `dst` is shorter.
pub(crate) fn copy(dst: &mut [u8], src: &[u8]) -> Option<()> {
    // `get_mut(..src.len())` makes the lengths equal, so `copy_from_slice` cannot panic (and compiles
    // to a plain memcpy).
    dst.get_mut(..src.len())?.copy_from_slice(src);
    Some(())
}

/// `n` rounded up to a multiple of `align` (a power of two), `None` on overflow.
pub(crate) fn align_up(n: usize, align: usize) -> Option<usize> {
    let mask = align.checked_sub(1)?;
    Some(n.checked_add(mask)? & !mask)
}
