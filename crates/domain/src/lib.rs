//! Pure types and rules shared by every service: no I/O lives here, so all of it is unit-testable.
//!
//! Context-specific rules (identity, idp, provider) live in their service crates: each service owns its data, and
//! only what two services genuinely share belongs in this crate.

pub mod email;
pub mod event;
pub mod field;
pub mod page;

pub use email::Email;
pub use event::CloudEvent;
pub use field::FieldError;
pub use page::{Page, Paging};
