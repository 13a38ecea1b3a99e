//! `provider-connection [serve|migrate] [--config PATH]`: the shared service main.
#[tokio::main]
async fn main() -> std::process::ExitCode {
    service_kit::cli::main::<provider_connection::ProviderConnection>().await
}
