//! An email address a mail can really be sent to (RFC 5321 mailbox, checked
//! by lettre's parser), trimmed.

use std::fmt;

use super::Invalid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(s: &str) -> Result<EmailAddress, Invalid> {
        let s = s.trim();
        if s.is_empty() {
            return Err(Invalid::new("Enter your email address."));
        }
        if s.len() > 254 {
            return Err(Invalid::new("That email address is too long."));
        }
        match s.parse::<lettre::Address>() {
            Ok(_) => Ok(EmailAddress(s.to_owned())),
            Err(_) => Err(Invalid::new(format!(
                "{s:?} is not an email address (it should look like ada@example.com)."
            ))),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn to_lettre(&self) -> Result<lettre::Address, lettre::address::AddressError> {
        self.0.parse()
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_real_addresses_only() {
        assert_eq!(
            EmailAddress::parse(" ada@example.com ").unwrap().as_str(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "a b@example.com",
            "ada@@x.com",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?}");
        }
    }
}
