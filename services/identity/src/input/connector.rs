//! What the connectors read from a person's sign-up or sign-in, whichever protocol carried it: the shapes both
//! protocols parse into, and the checks whose failures the person reads (so their messages are for people).

use domain::Email;
use uuid::Uuid;

use super::MAX_TEXT;

/// Input the person (or the flow) must correct; `field` names the attribute, `message` is for the person.
#[derive(Debug, Clone, PartialEq)]
pub struct Invalid {
    pub field: String,
    pub message: String,
}

impl Invalid {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

/// A sign-up as both protocols describe it.
#[derive(Debug, Clone)]
pub struct SignUp {
    pub client_id: String,
    pub email: Email,
    pub display_name: Option<String>,
    pub given_name: Option<String>,
    pub surname: Option<String>,
}

/// What a token step knows about the signed-in person; absent claims leave stored values alone.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedIn {
    pub oid: Uuid,
    pub email: Option<Email>,
    pub firstname: Option<String>,
    pub lastname: Option<String>,
    pub country: Option<String>,
}

/// An optional person-entered text: bounded and without control characters but tab as sent (the contract's
/// `maxLength` and `pattern`), then trimmed, empty as absent.
pub fn optional_text(
    field: &str,
    label: &str,
    value: Option<&str>,
) -> Result<Option<String>, Invalid> {
    if value.is_some_and(|v| v.chars().any(|c| c.is_control() && c != '\t')) {
        return Err(Invalid::new(
            field,
            format!("Your {label} contains characters that cannot be used. Please correct it."),
        ));
    }
    let too_long = value.is_some_and(|v| v.chars().count() > MAX_TEXT);
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if too_long {
        return Err(Invalid::new(
            field,
            format!("Your {label} is too long: please use at most {MAX_TEXT} characters."),
        ));
    }
    Ok(Some(value.to_owned()))
}

/// The email a person entered, as a usable address or a message they can act on.
pub fn email(field: &str, value: Option<&str>) -> Result<Email, Invalid> {
    let value = value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Invalid::new(field, "Please enter your email address."))?;
    Email::parse(field, value).map_err(|_| {
        Invalid::new(
            field,
            "Please enter a valid email address, such as name@example.com.",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_and_emails_give_messages_a_person_can_act_on() {
        assert_eq!(
            optional_text("givenName", "first name", Some("  ")).unwrap(),
            None
        );
        let long = "x".repeat(MAX_TEXT + 1);
        assert!(
            optional_text("givenName", "first name", Some(&long))
                .unwrap_err()
                .message
                .contains("too long")
        );
        assert_eq!(
            email("email", None).unwrap_err().message,
            "Please enter your email address."
        );
        assert!(
            email("email", Some("not-an-email"))
                .unwrap_err()
                .message
                .starts_with("Please enter a valid")
        );
    }
}
