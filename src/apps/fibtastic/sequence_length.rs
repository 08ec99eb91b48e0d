//! How many Fibonacci numbers to send: 1 to 10,000 (FibTastic capped at 27
//! because its algorithm was exponential; ours is linear).

use crate::domain::Invalid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SequenceLength(u32);

impl SequenceLength {
    pub const MAX: u32 = 10_000;

    pub fn new(n: u64) -> Result<SequenceLength, Invalid> {
        if n == 0 {
            return Err(Invalid::new(
                "Please provide a sequence length of at least 1.",
            ));
        }
        if n > u64::from(Self::MAX) {
            return Err(Invalid::new(format!(
                "Sequences longer than {} numbers are only available to our premium customers :)",
                Self::MAX
            )));
        }
        Ok(SequenceLength(n as u32))
    }

    pub fn parse(s: &str) -> Result<SequenceLength, Invalid> {
        let s = s.trim();
        if s.is_empty() {
            return Err(Invalid::new("Please provide a sequence length."));
        }
        match s.parse::<u64>() {
            Ok(n) => SequenceLength::new(n),
            Err(_) if s.starts_with('-') => SequenceLength::new(0),
            Err(_) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                SequenceLength::new(u64::MAX)
            }
            Err(_) => Err(Invalid::new(format!(
                "{s:?} is not a whole number; please provide a valid sequence length."
            ))),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        assert_eq!(SequenceLength::parse("10").unwrap().get(), 10);
        assert_eq!(SequenceLength::parse("10000").unwrap().get(), 10_000);
        for bad in [
            "0",
            "-3",
            "10001",
            "abc",
            "",
            "1.5",
            "99999999999999999999999",
        ] {
            assert!(SequenceLength::parse(bad).is_err(), "{bad:?}");
        }
    }
}
