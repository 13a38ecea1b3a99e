//! The contracts as served. `specs/` at the workspace root is the single source; services embed it from here
//! so the served document is byte-for-byte the one the contract tests check against the user's seeds.

/// Identity service (OpenAPI 3.0.3, with our extensions marked `x-extension`).
pub const IDENTITY: &str = include_str!("../../../specs/identity.yaml");
/// IdP management service (OpenAPI 3.0.1).
pub const IDP_MANAGEMENT: &str = include_str!("../../../specs/idp-management.yaml");
/// Provider connection service (OpenAPI 3.1).
pub const PROVIDER_CONNECTION: &str = include_str!("../../../specs/provider-connection.yaml");
/// The AsyncAPI catalogue of every event type the suite publishes.
pub const EVENTS: &str = include_str!("../../../specs/events.asyncapi.yaml");
