//! The sign-up and sign-in connectors called by Azure AD B2C (API connectors) and by its successor Entra External
//! ID (custom authentication extensions). Both protocols (read in `input::b2c` / `input::entra`, answered by
//! `views::b2c` / `views::entra`, served by `routes::b2c` / `routes::entra`) share one logic here: who may sign up
//! ([`decide`]), just-in-time provisioning and the authorization claims of a token ([`provisioning`]), and who
//! may call the connector paths at all ([`auth`]).
//!
//! A connector runs in the middle of a person's sign-up or sign-in, so it never answers with a 5xx: an internal
//! failure becomes a block page carrying a support message and the id of the logged error.

pub mod auth;
pub mod decide;
pub mod provisioning;
