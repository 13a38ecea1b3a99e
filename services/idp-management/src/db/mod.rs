//! The idp-management service's own tables: the generated schema, the rows and the Rust types of their
//! fixed-value and id columns, and the embedded migrations (applied after the shared outbox's).

/// Rows and column types.
pub mod models;
/// Tables, as `diesel print-schema` prints them (`diesel.toml`).
pub mod schema;

use diesel_migrations::EmbeddedMigrations;

/// The service's migrations, applied after the shared outbox's.
pub static MIGRATIONS: EmbeddedMigrations = diesel_migrations::embed_migrations!("migrations");

/// A Rust type stored in a `Text` column: what it is as text, and what it is again from the stored text.
pub trait TextColumn: Sized {
    fn text(&self) -> &str;
    /// The value of stored `text`; the error says why the text is not one.
    fn from_text(text: String) -> Result<Self, String>;
}

/// Maps a [`TextColumn`] type onto diesel's `Text` (the type derives `AsExpression` and `FromSqlRow` with
/// `sql_type = Text`), delegating to `str` and `String`.
macro_rules! text_column {
    ($ty:ty) => {
        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $ty {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                let text = $crate::db::TextColumn::text(self);
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg>>::to_sql(
                    text, out,
                )
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $ty {
            fn from_sql(value: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = <String as diesel::deserialize::FromSql<
                    diesel::sql_types::Text,
                    diesel::pg::Pg,
                >>::from_sql(value)?;
                <$ty as $crate::db::TextColumn>::from_text(text).map_err(Into::into)
            }
        }
    };
}
pub(crate) use text_column;
