//! The ids that cross layers: a provider connection's and a verification run's. Both are positive `BIGSERIAL`
//! keys; a path segment becomes one only through `parse`, so handlers, use cases, the worker and events never
//! hold an unchecked number (the one other way in is a signed consent state, which only this service issues).
//! They serialize as the bare number and are stored in `Int8` columns.

use diesel::pg::{Pg, PgValue};
use diesel::sql_types::BigInt;
use diesel::{deserialize, serialize};
use domain::FieldError;

/// A `BIGSERIAL` id: the newtype, parsing from a path, display, serialization and the `Int8` column mapping.
macro_rules! serial_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
        )]
        #[serde(transparent)]
        #[diesel(sql_type = BigInt)]
        pub struct $name(i64);

        impl $name {
            /// The id in path segment `raw`, naming `field` when it is not a positive integer.
            pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
                positive(raw)
                    .map(Self)
                    .ok_or_else(|| FieldError::new(field, "must be a positive integer"))
            }

            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl serialize::ToSql<BigInt, Pg> for $name {
            fn to_sql<'b>(&'b self, out: &mut serialize::Output<'b, '_, Pg>) -> serialize::Result {
                serialize::ToSql::<BigInt, Pg>::to_sql(&self.0, out)
            }
        }

        impl deserialize::FromSql<BigInt, Pg> for $name {
            fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
                <i64 as deserialize::FromSql<BigInt, Pg>>::from_sql(value).map(Self)
            }
        }
    };
}

fn positive(raw: &str) -> Option<i64> {
    raw.parse::<i64>().ok().filter(|id| *id > 0)
}

serial_id! {
    /// A provider connection (`{connection}` in paths, `id` in its representation, every event's subject).
    ConnectionId
}

serial_id! {
    /// A verification run (`{run}` in paths, `operation_run_id` in answers and events).
    RunId
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_positive_integers_are_ids() {
        assert_eq!(ConnectionId::parse("connection", "42").unwrap().get(), 42);
        for bad in ["0", "-1", "abc", "", "1.5", "99999999999999999999"] {
            let err = RunId::parse("run", bad).unwrap_err();
            assert_eq!(err.field, "run", "{bad}");
        }
        assert_eq!(
            serde_json::to_string(&ConnectionId::parse("c", "7").unwrap()).unwrap(),
            "7"
        );
    }
}
