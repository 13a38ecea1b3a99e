//! The use cases backed by Microsoft Graph: a user as Graph knows it (in either tenant), and the local oid of an
//! email address, creating the user from the Entra directory when only Graph knows the address. [`client`] makes
//! the Graph clients from the settings; [`lookup`] holds the use cases and the mapping of a Graph user to ours.

pub mod client;
pub mod lookup;

pub use client::Graphs;
