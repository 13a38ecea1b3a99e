//! The one validation error shape every layer above speaks: which field, and what a caller should fix.

use std::fmt;

/// A rejected input value, naming the field (body property, path or query parameter) at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for FieldError {}

/// Checks a required free-text value: present, not blank, at most `max` characters.
pub fn bounded_text(field: &str, value: &str, max: usize) -> Result<(), FieldError> {
    if value.trim().is_empty() {
        return Err(FieldError::new(field, "must not be blank"));
    }
    optional_text(field, value, max)
}

/// Checks an optional free-text value: at most `max` characters (blank is allowed).
pub fn optional_text(field: &str, value: &str, max: usize) -> Result<(), FieldError> {
    let len = value.chars().count();
    if len > max {
        return Err(FieldError::new(
            field,
            format!("must be at most {max} characters (got {len})"),
        ));
    }
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_is_rejected_and_names_the_field() {
        let err = bounded_text("name", "   ", 10).unwrap_err();
        assert_eq!(err.field, "name");
        assert!(err.message.contains("blank"));
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        assert!(bounded_text("name", "éééé", 4).is_ok());
        assert!(bounded_text("name", "ééééé", 4).is_err());
    }

    #[test]
    fn control_characters_are_rejected() {
        assert!(optional_text("localid", "a\u{0}b", 10).is_err());
        assert!(optional_text("localid", "", 10).is_ok());
    }
}
