//! The token revocation list: a token whose `jti` is on it is refused with `AUTHENTICATION_REVOKED`. Entries
//! carry the token's expiry when known, so the list can forget tokens that are refused as expired anyway.

use crate::db::schema::revoked_tokens;
use crate::error::ApiError;
use crate::input::Revocation;
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use persistence::Pool;

/// Whether `jti` is on the list (one indexed lookup).
pub async fn is_revoked(pool: &Pool, jti: &str) -> Result<bool, ApiError> {
    let mut conn = persistence::db::conn(pool).await?;
    Ok(
        diesel::select(diesel::dsl::exists(revoked_tokens::table.find(jti)))
            .get_result(&mut conn)
            .await?,
    )
}

/// Puts a token id on the revocation list (idempotent), and drops entries of tokens expired for a day (such a
/// token is refused as expired anyway), so the list stays small.
pub async fn revoke(pool: &Pool, revocation: &Revocation, actor: &str) -> Result<(), ApiError> {
    let mut conn = persistence::db::conn(pool).await?;
    let horizon = Utc::now() - chrono::Duration::days(1);
    diesel::delete(revoked_tokens::table.filter(revoked_tokens::expires_at.lt(horizon)))
        .execute(&mut conn)
        .await?;
    diesel::insert_into(revoked_tokens::table)
        .values((
            revoked_tokens::jti.eq(&revocation.jti),
            revoked_tokens::revoked_by.eq(actor),
            revoked_tokens::expires_at.eq(revocation.expires_at),
        ))
        .on_conflict_do_nothing()
        .execute(&mut conn)
        .await?;
    Ok(())
}
