//! `provider-connection [serve|migrate] [--config PATH]`.

use provider_connection::db;
use provider_connection::settings::Settings;
use service_kit::cli::{Args, Command};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let args = match Args::parse("provider-connection") {
        Ok(args) => args,
        Err(usage) => {
            eprintln!("{usage}");
            return ExitCode::from(2);
        }
    };
    let settings = match Settings::load(args.config.as_deref()) {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("provider-connection: {message}");
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
            tracing::error!(error = %err, "provider-connection failed");
            eprintln!("provider-connection: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let service = provider_connection::build(settings).await?;
    tracing::info!(port = service.port(), "provider-connection listening");
    service.run_until_stopped().await?;
    Ok(())
}
