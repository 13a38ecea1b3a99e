//! The ids that cross layers: an application's id and a provider's key within it. Both follow the contract's
//! key pattern `^[a-zA-Z0-9-_.]{1,64}$`; a value is made from request input only through [`parse`]
//! (`ApplicationId::parse`, `ProviderKey::parse`), so a handler, a use case or an event never holds an unchecked
//! one. They serialize as the bare string and are stored in `Text` columns.
//!
//! [`parse`]: ApplicationId::parse

use persistence::{TextColumn, text_column};
use std::fmt;

/// The contract's key pattern `^[a-zA-Z0-9-_.]{1,64}$` (application expressions and provider keys).
pub fn is_key(value: &str) -> bool {
    (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// A key-pattern id: the newtype, parsing, display, serialization and the `Text` column mapping.
macro_rules! key_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
        )]
        #[serde(transparent)]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub struct $name(String);

        impl $name {
            /// `raw` when it matches the contract's key pattern.
            pub fn parse(raw: &str) -> Option<Self> {
                is_key(raw).then(|| Self(raw.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TextColumn for $name {
            fn text(&self) -> &str {
                &self.0
            }

            /// Stored ids were checked when they were written.
            fn from_text(text: String) -> Result<Self, String> {
                Ok(Self(text))
            }
        }

        text_column!($name);
    };
}

key_id! {
    /// A registered application (`application-expression` / `application-id` in paths, `applicationId` in
    /// representations).
    ApplicationId
}

key_id! {
    /// An identity provider's `key`, unique within its application.
    ProviderKey
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_pattern() {
        assert!(is_key("a-b_c.D9"));
        assert!(is_key(&"a".repeat(64)));
        for bad in ["", &"a".repeat(65), "a b", "a/b", "ä", "a$"] {
            assert!(!is_key(bad), "{bad}");
            assert!(ApplicationId::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(ProviderKey::parse("k.1").unwrap().as_str(), "k.1");
    }
}
