//! The command line every service binary shares: `NAME [serve|migrate] [--config PATH]`.

use crate::settings::ServiceSettings;
use diesel_migrations::EmbeddedMigrations;
use std::path::PathBuf;

#[derive(Debug)]
pub enum Command {
    /// Run the service (the default).
    Serve,
    /// Create the database if needed, apply migrations, exit: the production pre-rollout job.
    Migrate,
}

#[derive(Debug)]
pub struct Args {
    pub command: Command,
    pub config: Option<PathBuf>,
}

impl Args {
    /// Parses the process arguments; the error is a usage line to print.
    pub fn parse(service: &str) -> Result<Self, String> {
        Self::parse_from(service, std::env::args().skip(1))
    }

    pub fn parse_from(
        service: &str,
        args: impl IntoIterator<Item = String>,
    ) -> Result<Self, String> {
        let usage = format!("usage: {service} [serve|migrate] [--config PATH]");
        let mut parsed = Self {
            command: Command::Serve,
            config: None,
        };
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "serve" => parsed.command = Command::Serve,
                "migrate" => parsed.command = Command::Migrate,
                "--config" => {
                    let path = args
                        .next()
                        .ok_or_else(|| format!("--config needs a path; {usage}"))?;
                    parsed.config = Some(PathBuf::from(path));
                }
                "-h" | "--help" => return Err(usage),
                other => return Err(format!("unknown argument {other:?}; {usage}")),
            }
        }
        Ok(parsed)
    }
}

/// The `migrate` subcommand.
pub async fn migrate(
    database_url: &str,
    migrations: &'static EmbeddedMigrations,
) -> anyhow::Result<()> {
    persistence::db::ensure_database(database_url).await?;
    let applied = persistence::db::migrate(database_url, migrations).await?;
    tracing::info!(?applied, "migrations applied");
    Ok(())
}

/// What a service tells the shared `main` and test harness: its settings, its migrations and how to build it.
/// Implemented once per service in its `lib.rs`; its `main.rs` is then `cli::main::<Service>()`.
pub trait ServiceApp {
    type Settings: ServiceSettings;
    /// The service's own migrations (the outbox's run before them).
    const MIGRATIONS: &'static EmbeddedMigrations;
    /// Binds the listener and starts background work; `main` and the tests start the service the same way.
    fn build(
        settings: Self::Settings,
    ) -> impl std::future::Future<Output = anyhow::Result<crate::service::Service>>;
}

/// The whole `main` of a service: arguments, settings, logs, then `migrate` or `serve` until SIGTERM.
/// Exit codes: 0 done, 2 usage or configuration error, 1 failure.
pub async fn main<A: ServiceApp>() -> std::process::ExitCode {
    use std::process::ExitCode;
    let name = A::Settings::SERVICE;
    let args = match Args::parse(name) {
        Ok(args) => args,
        Err(usage) => {
            eprintln!("{usage}");
            return ExitCode::from(2);
        }
    };
    let settings = match A::Settings::load(args.config.as_deref()) {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("{name}: {message}");
            return ExitCode::from(2);
        }
    };
    crate::telemetry::init(&settings.common().log);
    let outcome = match args.command {
        Command::Migrate => migrate(&settings.common().database.url, A::MIGRATIONS).await,
        Command::Serve => serve::<A>(settings).await,
    };
    crate::telemetry::flush();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "{name} failed");
            eprintln!("{name}: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve<A: ServiceApp>(settings: A::Settings) -> anyhow::Result<()> {
    let service = A::build(settings).await?;
    tracing::info!(port = service.port(), "{} listening", A::Settings::SERVICE);
    service.run_until_stopped().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, String> {
        Args::parse_from("svc", args.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn defaults_to_serve_and_reads_config() {
        let args = parse(&["--config", "/etc/svc.toml"]).unwrap();
        assert!(matches!(args.command, Command::Serve));
        assert_eq!(args.config.unwrap().to_str(), Some("/etc/svc.toml"));
        assert!(matches!(
            parse(&["migrate"]).unwrap().command,
            Command::Migrate
        ));
    }

    #[test]
    fn rejects_unknown_and_incomplete_arguments() {
        assert!(parse(&["--bogus"]).unwrap_err().contains("usage"));
        assert!(parse(&["--config"]).unwrap_err().contains("needs a path"));
    }
}
