//! `provider-connection [serve|migrate] [--config PATH]`: the shared service main (`service_kit::cli::main`).

use provider_connection::settings::Settings;
use service_kit::cli::Binary;
use std::path::Path;

struct ProviderConnection(Settings);

impl Binary for ProviderConnection {
    const NAME: &'static str = "provider-connection";
    fn load(file: Option<&Path>) -> Result<Self, String> {
        Settings::load(file).map(Self)
    }
    fn log(&self) -> &service_kit::LogSettings {
        &self.0.log
    }
    fn database_url(&self) -> &str {
        &self.0.database.url
    }
    fn migrations() -> diesel_migrations::EmbeddedMigrations {
        provider_connection::db::MIGRATIONS
    }
    async fn build(self) -> anyhow::Result<service_kit::service::Service> {
        provider_connection::build(self.0).await
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    service_kit::cli::main::<ProviderConnection>().await
}
