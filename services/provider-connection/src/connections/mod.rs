//! The connection use cases: create, read, change type, store (or rotate) and delete the dedicated credential.
//!
//! Every mutating use case is one transaction holding the decision's audit row, the change and its events, and
//! goes through `crate::authz`; a refusal (out of scope, missing capability, invalid body, missing confirmation)
//! commits its audit row alone.

mod change_type;
mod create;
mod delete_credential;
mod get;
mod put_credential;

pub use change_type::change_type;
pub use create::create;
pub use delete_credential::delete_credential;
pub use get::get;
pub use put_credential::put_credential;

use crate::db::models::{ConsentStatus, VerificationStatus};
use crate::db::schema::provider_connections as pc;
use diesel::ExpressionMethods;

/// Health text of a connection never verified (or whose app just changed).
pub const NOT_VERIFIED: &str = "Not verified yet";

/// The columns reset when the effective app changes.
type AppReset = (
    diesel::dsl::Eq<pc::consent_status, ConsentStatus>,
    diesel::dsl::Eq<pc::verification_status, VerificationStatus>,
    diesel::dsl::Eq<pc::health_status, &'static str>,
);

/// Sets the app-dependent state back to "consent required, not verified" after the effective app changed.
fn app_changed_values() -> AppReset {
    (
        pc::consent_status.eq(ConsentStatus::Required),
        pc::verification_status.eq(VerificationStatus::Unknown),
        pc::health_status.eq(NOT_VERIFIED),
    )
}
