//! Rust types stored in `Text` columns, mapped once for every service: a fixed set of values as a Rust enum
//! ([`text_enum!`], the migrations keep their `CHECK` constraints) and any type that is text at the database
//! boundary ([`TextColumn`] + [`text_column!`], e.g. an id newtype).

/// A Rust type stored in a `Text` column: what it is as text, and what it is again from the stored text.
pub trait TextColumn: Sized {
    fn text(&self) -> &str;
    /// The value of stored `text`; the error says why the text is not one.
    fn from_text(text: String) -> Result<Self, String>;
}

/// An enum made by [`text_enum!`]: its values' names, for code generic over such enums (validation messages
/// listing what is allowed, tests comparing with a migration's `CHECK` list).
pub trait TextEnum: Copy + Sized + 'static {
    /// Every value's name, in declaration order.
    const NAMES: &'static [&'static str];
    fn name(self) -> &'static str;
    /// The value named `text` (exactly as spelled).
    fn from_name(text: &str) -> Option<Self>;
}

/// Maps a [`TextColumn`] type onto diesel's `Text` (the type derives `AsExpression` and `FromSqlRow` with
/// `sql_type = Text`), delegating to `str` and `String`.
#[macro_export]
macro_rules! text_column {
    ($ty:ty) => {
        impl
            $crate::diesel::serialize::ToSql<
                $crate::diesel::sql_types::Text,
                $crate::diesel::pg::Pg,
            > for $ty
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut $crate::diesel::serialize::Output<'b, '_, $crate::diesel::pg::Pg>,
            ) -> $crate::diesel::serialize::Result {
                let text = $crate::column::TextColumn::text(self);
                <str as $crate::diesel::serialize::ToSql<
                    $crate::diesel::sql_types::Text,
                    $crate::diesel::pg::Pg,
                >>::to_sql(text, out)
            }
        }

        impl
            $crate::diesel::deserialize::FromSql<
                $crate::diesel::sql_types::Text,
                $crate::diesel::pg::Pg,
            > for $ty
        {
            fn from_sql(
                value: $crate::diesel::pg::PgValue<'_>,
            ) -> $crate::diesel::deserialize::Result<Self> {
                let text = <String as $crate::diesel::deserialize::FromSql<
                    $crate::diesel::sql_types::Text,
                    $crate::diesel::pg::Pg,
                >>::from_sql(value)?;
                <$ty as $crate::column::TextColumn>::from_text(text).map_err(Into::into)
            }
        }
    };
}

/// An enum whose values are written by fixed names (the contract's, or the column's `CHECK` list): the enum,
/// `NAMES`, `as_str`, `parse`, `Display`, serde (by name) and the `Text` column mapping. The calling crate
/// needs `diesel` and `serde` as dependencies (the derives name them).
#[macro_export]
macro_rules! text_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        $vis enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant,)+
        }

        impl $name {
            /// Every value's name, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }

            /// The value named `text` (exactly as spelled).
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::column::TextEnum for $name {
            const NAMES: &'static [&'static str] = $name::NAMES;
            fn name(self) -> &'static str {
                self.as_str()
            }
            fn from_name(text: &str) -> Option<Self> {
                Self::parse(text)
            }
        }

        impl $crate::column::TextColumn for $name {
            fn text(&self) -> &str {
                self.as_str()
            }

            fn from_text(text: String) -> Result<Self, String> {
                Self::parse(&text)
                    .ok_or_else(|| format!("{text:?} is not a {}", stringify!($name)))
            }
        }

        $crate::text_column!($name);
    };
}

#[cfg(test)]
mod tests {
    crate::text_enum! {
        /// A sample.
        pub enum Colour {
            Red = "RED",
            Blue = "blue",
        }
    }

    #[test]
    fn names_round_trip() {
        use super::TextColumn;
        assert_eq!(Colour::NAMES, &["RED", "blue"]);
        assert_eq!(Colour::parse("RED"), Some(Colour::Red));
        assert_eq!(Colour::parse("red"), None);
        assert_eq!(Colour::Blue.to_string(), "blue");
        assert_eq!(serde_json::to_string(&Colour::Red).unwrap(), "\"RED\"");
        assert_eq!(
            Colour::from_text("green".to_owned()).unwrap_err(),
            "\"green\" is not a Colour"
        );
    }
}
