//! The seeded generator behind the drop and corrupt faults, so a faulty run replays from its seed.

/// xorshift64* (Vigna 2016): one multiply per draw, plenty for picking faults.
pub(crate) struct XorShift(u64);

impl XorShift {
    pub(crate) fn new(seed: u64) -> Self {
        // xorshift has a fixed point at 0; a seed of 0 still gets a usable stream.
        Self(if seed == 0 { 0x9E37_79B9_7F4A_7C15 } else { seed })
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64().checked_rem(n).unwrap_or(0)
    }

    /// True with probability `ppm` parts per million; draws nothing when `ppm` is 0, so turning a fault
    /// on for one port does not change what happens on the others.
    pub(crate) fn chance_ppm(&mut self, ppm: u32) -> bool {
        match ppm {
            0 => false,
            1_000_000.. => true,
            _ => self.below(1_000_000) < u64::from(ppm),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::XorShift;

    #[test]
    fn same_seed_same_stream_and_zero_seed_is_not_stuck() {
        let (mut a, mut b) = (XorShift::new(5), XorShift::new(5));
        for _ in 0..50 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        let mut z = XorShift::new(0);
        assert_ne!(z.next_u64(), z.next_u64());
    }

    #[test]
    fn chance_ppm_extremes() {
        let mut r = XorShift::new(1);
        assert!((0..1000).all(|_| r.chance_ppm(1_000_000)));
        assert!((0..1000).all(|_| !r.chance_ppm(0)));
        let hits = (0..100_000).filter(|_| r.chance_ppm(500_000)).count();
        assert!((45_000..55_000).contains(&hits), "{hits}");
    }
}
