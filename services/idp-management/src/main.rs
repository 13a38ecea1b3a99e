//! `idp-management [serve|migrate] [--config PATH]`.

use idp_management::db;
use idp_management::settings::Settings;
use service_kit::cli::{Args, Command};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let args = match Args::parse("idp-management") {
        Ok(args) => args,
        Err(usage) => {
            eprintln!("{usage}");
            return ExitCode::from(2);
        }
    };
    let settings = match Settings::load(args.config.as_deref()) {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("idp-management: {message}");
            return ExitCode::from(2);
        }
    };
    service_kit::telemetry::init(&settings.log);
    let outcome = match args.command {
        Command::Migrate => service_kit::cli::migrate(&settings.database.url, db::MIGRATIONS).await,
        Command::Serve => serve(settings).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "idp-management failed");
            eprintln!("idp-management: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let service = idp_management::build(settings).await?;
    tracing::info!(port = service.port(), "idp-management listening");
    service.run_until_stopped().await?;
    Ok(())
}
