//! Typed clients for the three services, generated at build time by progenitor from `specs/*.yaml` (see
//! `build.rs`; what is adjusted in the copy the generator reads, and why, is in [`adjust`] and in each module's
//! `ADJUSTMENTS`). Nothing here is written by hand but the glue: the credential, and an optional observer of
//! each call.
//!
//! Every client takes the service's origin as base URL (`http://localhost:8081`, no `/api/v1`): the contract's
//! server path is part of each generated path.
//!
//! ```no_run
//! # async fn f() -> Result<(), Box<dyn std::error::Error>> {
//! let identity = clients::identity::Client::with_function_key("http://localhost:8081", "key")?;
//! let groups = identity.get_groups().send().await?;
//! println!("{} groups", groups.len());
//! # Ok(()) }
//! ```

pub mod adjust;

use std::sync::Arc;

/// Called before each request a client sends, with its operationId and the request (tests record what was
/// called; a consumer may count or trace). The default observes nothing.
#[derive(Clone, Default)]
pub struct Observer(Option<Arc<ObserverFn>>);

type ObserverFn = dyn Fn(&'static str, &reqwest::Request) + Send + Sync;

impl Observer {
    pub fn new(f: impl Fn(&'static str, &reqwest::Request) + Send + Sync + 'static) -> Self {
        Self(Some(Arc::new(f)))
    }
}

impl std::fmt::Debug for Observer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Observer(set)"
        } else {
            "Observer(none)"
        })
    }
}

/// A success the generated method returns as an error: a bodiless 2xx beside a typed one (identity's "already
/// assigned" 200, idp-management's 204 without `returnUpdated`), left out of the generator's copy (see
/// [`adjust::for_progenitor`]) and so answered as `Error::UnexpectedResponse`. This folds it back.
pub enum Outcome<T> {
    Body(progenitor_client::ResponseValue<T>),
    Empty(reqwest::StatusCode),
}

impl<T> Outcome<T> {
    #[allow(clippy::result_large_err)] // progenitor's error type, as the generated methods return it
    pub fn from<E>(
        result: Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<E>>,
    ) -> Result<Self, progenitor_client::Error<E>> {
        match result {
            Ok(value) => Ok(Self::Body(value)),
            Err(progenitor_client::Error::UnexpectedResponse(response))
                if response.status().is_success() =>
            {
                Ok(Self::Empty(response.status()))
            }
            Err(other) => Err(other),
        }
    }
}

/// A `reqwest::Client` sending `name: value` with every request (how each scheme's credential travels).
fn client_with_header(name: &'static str, value: &str) -> Result<reqwest::Client, Error> {
    let mut value = reqwest::header::HeaderValue::from_str(value).map_err(|_| Error::Credential)?;
    value.set_sensitive(true);
    let headers = reqwest::header::HeaderMap::from_iter([(
        reqwest::header::HeaderName::from_static(name),
        value,
    )]);
    reqwest::Client::builder()
        .default_headers(headers)
        .timeout(std::time::Duration::from_secs(15))
        .build()
        .map_err(Error::Client)
}

/// A client could not be built.
#[derive(Debug)]
pub enum Error {
    /// The credential is not a valid header value.
    Credential,
    Client(reqwest::Error),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Credential => f.write_str("the credential is not a valid HTTP header value"),
            Self::Client(e) => write!(f, "HTTP client: {e}"),
        }
    }
}

impl std::error::Error for Error {}

/// The generated code, as progenitor writes it. It trips two lints, not ours to fix in generated text: `unwrap`
/// (on a regex literal it compiled itself, and in `Client::new`) and `unused_comparisons` (typify turns a
/// contract's `minLength: 0` into `count() < 0`).
macro_rules! generated {
    ($file:literal) => {
        #[allow(clippy::unwrap_used, unused_comparisons)]
        mod generated {
            include!(concat!(env!("OUT_DIR"), "/", $file, ".rs"));
        }
        pub use generated::*;
    };
}

/// The hooks every generated client uses: the observer, before the request goes out.
macro_rules! observed {
    ($file:literal) => {
        impl progenitor_client::ClientHooks<crate::Observer> for Client {
            async fn pre<E>(
                &self,
                request: &mut reqwest::Request,
                info: &progenitor_client::OperationInfo,
            ) -> Result<(), progenitor_client::Error<E>> {
                if let Some(f) = &progenitor_client::ClientInfo::inner(self).0 {
                    f(info.operation_id, request);
                }
                Ok(())
            }
        }

        /// What `build.rs` changed in the contract's copy it generated this client from (one line each).
        pub const ADJUSTMENTS: &str =
            include_str!(concat!(env!("OUT_DIR"), "/", $file, ".adjustments.txt"));
    };
}

/// identity (OpenAPI 3.0.3): a function key (`x-functions-key`; the `code` query parameter is the other form).
pub mod identity {
    generated!("identity");
    observed!("identity");

    impl Client {
        /// A client sending `key` as `x-functions-key` (the contract's `FunctionKeyHeader` scheme).
        pub fn with_function_key(origin: &str, key: &str) -> Result<Self, crate::Error> {
            let client = crate::client_with_header("x-functions-key", key)?;
            Ok(Self::new_with_client(
                origin,
                client,
                crate::Observer::default(),
            ))
        }
    }
}

/// idp-management (OpenAPI 3.0.1): an IAM bearer token.
pub mod idp_management {
    generated!("idp_management");
    observed!("idp_management");

    impl Client {
        /// A client sending `Authorization: Bearer <token>` (the `iam-console-token` scheme).
        pub fn with_bearer(origin: &str, token: &str) -> Result<Self, crate::Error> {
            let client = crate::client_with_header("authorization", &format!("Bearer {token}"))?;
            Ok(Self::new_with_client(
                origin,
                client,
                crate::Observer::default(),
            ))
        }
    }
}

/// provider-connection (OpenAPI 3.1, converted to 3.0 for the generator): a member bearer token.
pub mod provider_connection {
    generated!("provider_connection");
    observed!("provider_connection");

    impl Client {
        /// A client sending `Authorization: Bearer <token>` (the `memberToken` scheme).
        pub fn with_bearer(origin: &str, token: &str) -> Result<Self, crate::Error> {
            let client = crate::client_with_header("authorization", &format!("Bearer {token}"))?;
            Ok(Self::new_with_client(
                origin,
                client,
                crate::Observer::default(),
            ))
        }
    }
}
