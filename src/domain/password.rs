//! A new password good enough to guard the dashboard: 10 to 128 characters,
//! not one character repeated, not a well-known password, not the account's
//! own name. Held as a `Secret`, so it never prints.

use super::Invalid;
use crate::secret::Secret;

/// Shortest accepted password.
pub const MIN_LEN: usize = 10;
const MAX_LEN: usize = 128;

/// Passwords every guessing list starts with (compared ignoring case).
const COMMON: &[&str] = &[
    "password",
    "password1",
    "password12",
    "password123",
    "passw0rd",
    "1234567890",
    "12345678910",
    "0123456789",
    "qwertyuiop",
    "qwerty1234",
    "iloveyou12",
    "letmein123",
    "welcome123",
    "admin12345",
    "administrator",
    "sidekiq123",
    "changeme12",
    "trustno123",
    "abcdefghij",
    "abc1234567",
    "football12",
    "baseball12",
    "monkey1234",
    "dragon1234",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPassword(Secret);

impl NewPassword {
    /// Checks `s` as the password of `account`.
    pub fn parse(s: &str, account: &str) -> Result<NewPassword, Invalid> {
        let n = s.chars().count();
        if s.trim().is_empty() {
            return Err(Invalid::new("Choose a password."));
        }
        if n < MIN_LEN {
            return Err(Invalid::new(format!(
                "Use at least {MIN_LEN} characters for the password."
            )));
        }
        if n > MAX_LEN {
            return Err(Invalid::new(format!(
                "Use at most {MAX_LEN} characters for the password."
            )));
        }
        let mut chars = s.chars();
        let first = chars.next();
        if chars.all(|c| Some(c) == first) {
            return Err(Invalid::new("That password is one character repeated."));
        }
        let lower = s.to_lowercase();
        if COMMON.contains(&lower.as_str()) {
            return Err(Invalid::new(
                "That password is on every guessing list; choose another.",
            ));
        }
        if !account.is_empty() && lower.contains(&account.to_lowercase()) {
            return Err(Invalid::new(
                "The password must not contain the account name.",
            ));
        }
        Ok(NewPassword(Secret::new(s)))
    }

    pub fn secret(&self) -> &Secret {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_passwords_are_refused() {
        for bad in [
            "",
            "   ",
            "short",
            "aaaaaaaaaaaa",
            "Password123",
            "ada@example.com!!",
        ] {
            assert!(
                NewPassword::parse(bad, "ada@example.com").is_err(),
                "{bad:?}"
            );
        }
        assert!(NewPassword::parse("correct horse battery", "ada@example.com").is_ok());
        assert!(NewPassword::parse(&"x1".repeat(65), "a").is_err());
    }
}
