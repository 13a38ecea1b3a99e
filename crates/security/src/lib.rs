//! Security primitives shared by the services, so that token checks and secret encryption are written (and
//! reviewed) once: [`jwt`] verifies bearer tokens against configured keys and the keys an issuer publishes
//! ([`jwks`]), [`secret_box`] seals secrets at rest.

pub mod jwks;
pub mod jwt;
pub mod secret_box;
