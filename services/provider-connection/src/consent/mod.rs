//! Admin consent: the canonical Microsoft v2 admin-consent link, and the callback Microsoft sends the
//! administrator's browser back to.
//!
//! The `state` is an HS256 JWT (key from configuration) naming the connection, the app consented to, a nonce and
//! an expiry: the signature makes it unforgeable and bound to the connection, `exp` makes it expire, and the
//! nonce's row in `consent_states` (consumed on first use) makes it single-use.

mod callback;
mod link;
mod state;

pub use callback::callback;
pub use link::{GRAPH_DEFAULT_SCOPE, consent_url, link};
pub use state::{StateClaims, StateSigner};
