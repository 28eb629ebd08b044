//! Helpers for the unit tests.

/// `count` deterministic pseudo-random byte strings (xorshift from `seed`),
/// each shorter than `max_len` bytes, over `alphabet`: for comparing a fast
/// path with a reference on inputs that mix its interesting bytes.
pub fn random_strings(
    alphabet: &[u8],
    seed: u64,
    count: usize,
    max_len: u64,
) -> impl Iterator<Item = Vec<u8>> + '_ {
    let mut x = seed;
    (0..count).map(move |_| {
        let mut s = Vec::new();
        for _ in 0..(x % max_len) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            s.push(alphabet[(x % alphabet.len() as u64) as usize]);
        }
        x = x.wrapping_add(0x632be59bd9b4e019);
        s
    })
}

/// [`random_strings`] over an ASCII alphabet, as text.
pub fn random_ascii(
    alphabet: &'static [u8],
    seed: u64,
    count: usize,
    max_len: u64,
) -> impl Iterator<Item = String> {
    random_strings(alphabet, seed, count, max_len).map(|s| s.into_iter().map(char::from).collect())
}
