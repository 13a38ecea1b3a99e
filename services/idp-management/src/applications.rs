//! The application registry: an application must be registered before providers can be configured for it.
//! Registering is idempotent; a new registration is published (`application.registered`, the application's
//! version 1) in its transaction. Its actor is the admin's `sub:<subject>`, or `system:configuration` for the
//! applications `registry.applications` lists, registered at start-up.

use crate::context::Ctx;
use crate::db::models::Application;
use crate::db::schema::applications;
use crate::error::ApiError;
use crate::events::{self, EMIT};
use crate::ids::ApplicationId;
use crate::views::RegisteredV1;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use persistence::{Pool, outbox};

/// Who registers the applications listed in `registry.applications` (their `createdBy`, and the events'
/// `system:configuration`).
const CONFIGURATION: &str = "configuration";

/// Registers an application (idempotent), recording `actor` as its `createdBy`. Returns it and whether it was
/// new.
pub async fn register(
    pool: &Pool,
    ctx: &Ctx,
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
                .returning((Application::as_returning(), applications::version))
                .get_result::<(Application, i64)>(conn)
                .await
                .optional()?;
            match inserted {
                Some((app, version)) => {
                    let registered = EMIT.event::<events::ApplicationRegistered>(
                        ctx,
                        application_id,
                        &RegisteredV1::from(&app),
                        version,
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
    let configured = Ctx::system(CONFIGURATION);
    for name in names {
        let application_id = ApplicationId::parse(name)
            .ok_or_else(|| anyhow::anyhow!("registering application {name}: not a valid id"))?;
        register(pool, &configured, &application_id, CONFIGURATION)
            .await
            .map_err(|e| anyhow::anyhow!("registering application {name}: {e}"))?;
    }
    Ok(())
}
