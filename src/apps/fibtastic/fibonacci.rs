//! The Fibonacci sequence 0, 1, 1, 2, 3, 5… with big integers, in linear time.

use num_bigint::BigUint;

use super::sequence_length::SequenceLength;

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
}
