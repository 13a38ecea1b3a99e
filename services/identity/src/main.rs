//! `identity [serve|migrate] [--config PATH]`.

use identity::db;
use identity::settings::Settings;
use service_kit::cli::{Args, Command};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let args = match Args::parse("identity") {
        Ok(args) => args,
        Err(usage) => {
            eprintln!("{usage}");
            return ExitCode::from(2);
        }
    };
    let settings = match Settings::load(args.config.as_deref()) {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("identity: {message}");
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
            tracing::error!(error = %err, "identity failed");
            eprintln!("identity: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let service = identity::build(settings).await?;
    tracing::info!(port = service.port(), "identity listening");
    service.run_until_stopped().await?;
    Ok(())
}
