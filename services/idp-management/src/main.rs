//! `idp-management [serve|migrate] [--config PATH]`: the shared service main (`service_kit::cli::main`).

use idp_management::settings::Settings;
use service_kit::cli::Binary;
use std::path::Path;

struct IdpManagement(Settings);

impl Binary for IdpManagement {
    const NAME: &'static str = "idp-management";
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
        idp_management::db::MIGRATIONS
    }
    async fn build(self) -> anyhow::Result<service_kit::service::Service> {
        idp_management::build(self.0).await
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    service_kit::cli::main::<IdpManagement>().await
}
