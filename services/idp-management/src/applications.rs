//! The application registry: an application must be registered before providers can be configured for it.
//! Registering is idempotent; a new registration is published (`application.registered`) in its transaction.

use crate::db::models::Application;
use crate::db::schema::applications;
use crate::error::ApiError;
use crate::events::{self, event};
use crate::ids::ApplicationId;
use crate::views::RegisteredV1;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use persistence::{Pool, outbox};

/// Who registers the applications listed in `registry.applications`.
const CONFIGURATION: &str = "configuration";

/// Registers an application (idempotent). Returns it and whether it was new.
pub async fn register(
    pool: &Pool,
    application_id: &ApplicationId,
    actor: &str,
) -> Result<(Application, bool), ApiError> {
    let mut conn = persistence::db::conn(pool).await?;
    persistence::outbox::wake_after_commit(
        conn.transaction::<_, ApiError, _>(async |conn| {
            let inserted = diesel::insert_into(applications::table)
                .values((
                    applications::application_id.eq(application_id),
                    applications::created_by.eq(actor),
                ))
                .on_conflict_do_nothing()
                .returning(Application::as_returning())
                .get_result(conn)
                .await
                .optional()?;
            match inserted {
                Some(app) => {
                    let registered = event(
                        events::APPLICATION_REGISTERED,
                        application_id,
                        &RegisteredV1::from(&app),
                    );
                    outbox::append(conn, &[registered]).await?;
                    Ok((app, true))
                }
                None => {
                    let app = applications::table
                        .find(application_id)
                        .select(Application::as_select())
                        .first(conn)
                        .await?;
                    Ok((app, false))
                }
            }
        })
        .await,
    )
}

/// Registers the applications the configuration lists (at start-up; names already checked by the settings).
pub async fn register_configured(pool: &Pool, names: &[String]) -> anyhow::Result<()> {
    for name in names {
        let application_id = ApplicationId::parse(name)
            .ok_or_else(|| anyhow::anyhow!("registering application {name}: not a valid id"))?;
        register(pool, &application_id, CONFIGURATION)
            .await
            .map_err(|e| anyhow::anyhow!("registering application {name}: {e}"))?;
    }
    Ok(())
}
