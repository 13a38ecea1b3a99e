//! Email addresses, parsed once at the edge so everything past it holds a valid one.

use crate::FieldError;
use std::fmt;
use std::str::FromStr;

/// An RFC 5322 address of at most 320 characters, kept as the caller spelled it (uniqueness is case-insensitive
/// and enforced by the database on its lower-cased form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 320;

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(FieldError::new(field, "must not be blank"));
        }
        if trimmed.chars().count() > Self::MAX_LEN {
            return Err(FieldError::new(
                field,
                format!("must be at most {} characters", Self::MAX_LEN),
            ));
        }
        // Only the plain `local@domain` form: display names ("Name <a@b>") are not addresses.
        match email_address::EmailAddress::from_str(trimmed) {
            Ok(parsed) if parsed.as_str() == trimmed && parsed.display_part().is_empty() => {
                Ok(Self(trimmed.to_owned()))
            }
            _ => Err(FieldError::new(
                field,
                format!("must be a valid email address (got {trimmed:?})"),
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_addresses_and_trims() {
        assert_eq!(
            Email::parse("email", " test.user@cfsbrands.dev ")
                .unwrap()
                .as_str(),
            "test.user@cfsbrands.dev"
        );
    }

    #[test]
    fn rejects_garbage_and_display_names() {
        for raw in ["", "nope", "a@", "@b.c", "Test <a@b.c>", "a b@c.d"] {
            assert!(Email::parse("email", raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn rejects_overlong() {
        let raw = format!("{}@example.com", "a".repeat(320));
        assert!(Email::parse("email", &raw).is_err());
    }
}
