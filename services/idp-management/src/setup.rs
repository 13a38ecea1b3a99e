//! Discovery: the identity-provider setup an application's login page shows — publicly (no token; ENABLED and
//! PUBLIC providers) or to the application itself (ENABLED, APPLICATION or PUBLIC). One statement, so the change
//! id and the providers are a consistent snapshot.

use crate::auth::Caller;
use crate::db::models::{Provider, Status, Visibility};
use crate::db::schema::{applications, identity_providers as ip};
use crate::error::{ApiError, AuthFailure};
use crate::ids::ApplicationId;
use crate::views::{self, SetupV1};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use persistence::Pool;

/// `application_id`'s setup as public discovery shows it.
pub async fn public(pool: &Pool, application_id: &ApplicationId) -> Result<SetupV1, ApiError> {
    setup(pool, application_id, true).await
}

/// The caller's own application's setup. A token naming an application that is not registered (or could not
/// be) is `AUTHENTICATION_INVALID_APPLICATION`: the operation lists no 404.
pub async fn own(pool: &Pool, caller: &Caller) -> Result<SetupV1, ApiError> {
    let invalid = || ApiError::Unauthenticated(AuthFailure::InvalidApplication);
    let application_id = ApplicationId::parse(&caller.application).ok_or_else(invalid)?;
    match setup(pool, &application_id, false).await {
        Err(ApiError::ApplicationNotFound(_)) => Err(invalid()),
        other => other,
    }
}

async fn setup(
    pool: &Pool,
    application_id: &ApplicationId,
    public_only: bool,
) -> Result<SetupV1, ApiError> {
    let mut conn = persistence::db::conn(pool).await?;
    let visible: &[Visibility] = if public_only {
        &[Visibility::Public]
    } else {
        &[Visibility::Public, Visibility::Application]
    };
    let rows: Vec<(i64, Option<Provider>)> = applications::table
        .left_join(
            ip::table.on(ip::application_id
                .eq(applications::application_id)
                .and(ip::status.eq(Status::Enabled))
                .and(ip::visibility.eq_any(visible))),
        )
        .filter(applications::application_id.eq(application_id))
        .order(ip::key)
        .select((applications::change_id, Option::<Provider>::as_select()))
        .load(&mut conn)
        .await?;
    // (`<[_]>::first`: diesel's `first` would shadow the slice's.)
    let change_id = <[_]>::first(&rows)
        .map(|(c, _)| *c)
        .ok_or_else(|| ApiError::ApplicationNotFound(application_id.clone()))?;
    let providers: Vec<Provider> = rows.into_iter().filter_map(|(_, p)| p).collect();
    Ok(views::setup(
        application_id,
        change_id,
        &providers,
        public_only,
    ))
}
