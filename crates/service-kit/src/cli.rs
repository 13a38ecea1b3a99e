//! The command line every service binary shares: `NAME [serve|migrate] [--config PATH]`.

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
pub async fn migrate(database_url: &str, migrations: EmbeddedMigrations) -> anyhow::Result<()> {
    persistence::db::ensure_database(database_url).await?;
    let applied = persistence::db::migrate(database_url, migrations).await?;
    tracing::info!(?applied, "migrations applied");
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
