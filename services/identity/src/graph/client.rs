//! The Graph clients, one per tenant whose app registration is configured, each with its own cached token.

use std::sync::Arc;

use microsoft::MicrosoftSettings;
use microsoft::graph::{GRAPH_SCOPE, GraphClient};
use microsoft::token::{CachedToken, TokenClient};

use crate::error::ApiError;
use crate::settings::{AppRegistration, GraphSettings, Tenant};

/// The Graph clients the use cases read; `None` where the registration is not configured.
pub struct Graphs {
    b2c: Option<GraphClient>,
    aad: Option<GraphClient>,
}

impl Graphs {
    pub fn new(microsoft: &MicrosoftSettings, graph: &GraphSettings) -> anyhow::Result<Self> {
        let tokens = TokenClient::new(microsoft)?;
        let client = |app: &AppRegistration| -> anyhow::Result<Option<GraphClient>> {
            if app.tenant.trim().is_empty() {
                return Ok(None);
            }
            let token = CachedToken::new(
                tokens.clone(),
                app.tenant.trim(),
                app.client_id.trim(),
                app.client_secret.clone(),
                GRAPH_SCOPE,
            );
            Ok(Some(GraphClient::new(microsoft, Arc::new(token))?))
        };
        Ok(Self {
            b2c: client(graph.registration(Tenant::B2c))?,
            aad: client(graph.registration(Tenant::Aad))?,
        })
    }

    /// The client reading `tenant`, or the error saying its registration is not configured.
    pub fn client(&self, tenant: Tenant) -> Result<&GraphClient, ApiError> {
        match tenant {
            Tenant::B2c => self.b2c.as_ref(),
            Tenant::Aad => self.aad.as_ref(),
        }
        .ok_or(ApiError::GraphNotConfigured(tenant))
    }
}
