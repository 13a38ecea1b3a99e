//! `identity [serve|migrate] [--config PATH]`: the shared service main (`service_kit::cli::main`).

use identity::settings::Settings;
use service_kit::cli::Binary;
use std::path::Path;

struct Identity(Settings);

impl Binary for Identity {
    const NAME: &'static str = "identity";
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
        identity::db::MIGRATIONS
    }
    async fn build(self) -> anyhow::Result<service_kit::service::Service> {
        identity::build(self.0).await
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    service_kit::cli::main::<Identity>().await
}
