//! The Fibonacci sequence 0, 1, 1, 2, 3, 5… with big integers, in linear
//! time, and the work the original app did for it: `sequence_with_work`
//! also runs the classic naive recursion `fib(k) = fib(k-1) + fib(k-2)` for
//! every number, as the tutorial's FibTastic did (which is why it "gets
//! noticeably slower" as the sequence grows), bounded at depth
//! `SLOW_DEPTH` so that 10,000 numbers still finish in seconds.

use num_bigint::BigUint;

use super::sequence_length::SequenceLength;

/// The naive recursion goes this deep for each number (about 57,000 calls
/// each beyond the 22nd): the work is linear in n past that, and n = 10,000
/// is about half a billion calls.
pub const SLOW_DEPTH: usize = 22;

/// The original's recursive definition, exponential in `k`.
fn naive(k: u64) -> u64 {
    if k < 2 {
        k
    } else {
        naive(std::hint::black_box(k - 1)).wrapping_add(naive(std::hint::black_box(k - 2)))
    }
}

/// The first `len` numbers, each also computed (up to `SLOW_DEPTH`) the
/// original's slow way and checked against the fast one; the time it takes
/// grows with `len`.
pub fn sequence_with_work(len: SequenceLength) -> Vec<BigUint> {
    let seq = sequence(len);
    for k in 0..seq.len() {
        let d = k.min(SLOW_DEPTH);
        let slow = std::hint::black_box(naive(std::hint::black_box(d as u64)));
        debug_assert_eq!(
            BigUint::from(slow),
            seq[d],
            "the naive and the linear Fibonacci numbers disagree at {d}"
        );
    }
    seq
}

/// The first `len` Fibonacci numbers, starting 0, 1.
pub fn sequence(len: SequenceLength) -> Vec<BigUint> {
    let n = len.get() as usize;
    let mut out: Vec<BigUint> = Vec::with_capacity(n);
    let (mut a, mut b) = (BigUint::from(0u32), BigUint::from(1u32));
    for _ in 0..n {
        let next = &a + &b;
        out.push(std::mem::replace(&mut a, std::mem::replace(&mut b, next)));
    }
    out
}

/// "0, 1, 1, 2, …" as in the original mail.
pub fn joined(seq: &[BigUint]) -> String {
    seq.iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_numbers_and_big_ones() {
        let s = sequence(SequenceLength::new(10).unwrap());
        assert_eq!(joined(&s), "0, 1, 1, 2, 3, 5, 8, 13, 21, 34");
        assert_eq!(joined(&sequence(SequenceLength::new(1).unwrap())), "0");
        let s = sequence(SequenceLength::new(101).unwrap());
        assert_eq!(s[100].to_string(), "354224848179261915075");
        assert_eq!(sequence(SequenceLength::new(10_000).unwrap()).len(), 10_000);
    }

    #[test]
    fn the_slow_way_gives_the_same_numbers() {
        let len = SequenceLength::new(40).unwrap();
        assert_eq!(sequence_with_work(len), sequence(len));
        assert_eq!(naive(22), 17_711);
    }
}
