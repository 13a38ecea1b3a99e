//! The connectors' use cases on the directory: is an address registered, just-in-time provisioning of a signed-in
//! person (create or update, each change with its event in the same transaction) and the authorization data put
//! in their token. Each is a fixed number of indexed statements.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::Email;
use persistence::db::conn;
use persistence::{DbError, Pool, outbox};
use uuid::Uuid;

use crate::context::Ctx;
use crate::db::models::User;
use crate::db::schema::{group_user_permissions as gup, permissions, users};
use crate::error::ApiError;
use crate::events::{self, EMIT, Payload};
use crate::input::UserInput;
use crate::input::connector::SignedIn;

diesel::define_sql_function! {
    /// PostgreSQL's `lower`, so look-ups use the `users_email_key` index on `lower(email)`.
    fn lower(x: Text) -> Text;
}

/// The oid of the user registered with `email` (case-insensitive), if any.
pub async fn oid_by_email(pool: &Pool, email: &Email) -> Result<Option<Uuid>, ApiError> {
    let mut conn = conn(pool).await?;
    Ok(users::table
        .filter(lower(users::email).eq(lower(email.as_str())))
        .select(users::oid)
        .first::<Uuid>(&mut conn)
        .await
        .optional()
        .map_err(DbError::from)?)
}

/// Creates the user unless one with this oid or email exists: `(oid, true)` when created (with its
/// `identity.user.created.v1` event), `(existing oid, false)` otherwise. Concurrent calls for the same new user
/// create it once: the loser's `ON CONFLICT DO NOTHING` waits for the winner and then reads its row.
pub async fn create_if_absent(
    pool: &Pool,
    ctx: &Ctx,
    oid: Uuid,
    input: UserInput,
) -> Result<(Uuid, bool), ApiError> {
    let mut conn = conn(pool).await?;
    let created = outbox::wake_after_commit(
        conn.transaction::<_, DbError, _>(async |conn| {
            let row = diesel::insert_into(users::table)
                .values((
                    users::oid.eq(oid),
                    users::email.eq(input.email.as_str()),
                    users::firstname.eq(&input.firstname),
                    users::lastname.eq(&input.lastname),
                    users::country.eq(&input.country),
                ))
                .on_conflict_do_nothing()
                .returning((User::as_returning(), users::version))
                .get_result::<(User, i64)>(conn)
                .await
                .optional()?;
            if let Some((row, version)) = &row {
                let created =
                    EMIT.event::<events::UserCreated>(ctx, row.oid, &row.payload(), *version);
                events::append(conn, &[created]).await?;
            }
            Ok(row.map(|(row, _)| row))
        })
        .await,
    )?;
    if let Some(row) = created {
        return Ok((row.oid, true));
    }
    let existing = users::table
        .filter(
            lower(users::email)
                .eq(lower(input.email.as_str()))
                .or(users::oid.eq(oid)),
        )
        .order(users::oid.eq(oid).desc())
        .select(users::oid)
        .first::<Uuid>(&mut conn)
        .await
        .map_err(DbError::from)?;
    Ok((existing, false))
}

/// Permission names held by the user in each group, by group id (ordered, so claims are stable).
pub type Grants = BTreeMap<Uuid, Vec<String>>;

/// Why provisioning refused a person (as opposed to failing).
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum Refusal {
    #[error("an unknown user arrived without an email address")]
    MissingEmail,
    #[error("another user already has this email address")]
    EmailTaken,
}

/// A transaction's failure: the database's, or a refusal that rolls it back.
enum TxError {
    Db(DbError),
    Refused(Refusal),
}

impl From<diesel::result::Error> for TxError {
    fn from(err: diesel::result::Error) -> Self {
        match DbError::from(err) {
            DbError::Conflict { constraint, .. } if constraint == "users_email_key" => {
                TxError::Refused(Refusal::EmailTaken)
            }
            other => TxError::Db(other),
        }
    }
}

impl From<DbError> for TxError {
    fn from(err: DbError) -> Self {
        TxError::Db(err)
    }
}

/// Just-in-time provisioning: creates the user if unknown, updates email / names / country where the token
/// step's claims differ, then reads their grants. One transaction; at most five statements.
pub async fn provision(
    pool: &Pool,
    ctx: &Ctx,
    who: &SignedIn,
) -> Result<Result<(User, Grants), Refusal>, ApiError> {
    let mut conn = conn(pool).await?;
    let outcome: Result<(User, Grants), TxError> = outbox::wake_after_commit(
        conn.transaction::<_, TxError, _>(async |conn| {
            let existing = users::table
                .find(who.oid)
                .select(User::as_select())
                .for_update()
                .first(conn)
                .await
                .optional()?;
            let user = match existing {
                None => {
                    let Some(email) = &who.email else {
                        return Err(TxError::Refused(Refusal::MissingEmail));
                    };
                    let inserted = diesel::insert_into(users::table)
                        .values((
                            users::oid.eq(who.oid),
                            users::email.eq(email.as_str()),
                            users::firstname.eq(&who.firstname),
                            users::lastname.eq(&who.lastname),
                            users::country.eq(&who.country),
                        ))
                        .on_conflict(users::oid)
                        .do_nothing()
                        .returning((User::as_returning(), users::version))
                        .get_result::<(User, i64)>(conn)
                        .await
                        .optional();
                    match inserted? {
                        Some((row, version)) => {
                            let created = EMIT.event::<events::UserCreated>(
                                ctx,
                                row.oid,
                                &row.payload(),
                                version,
                            );
                            events::append(conn, &[created]).await?;
                            row
                        }
                        // A concurrent sign-in of the same person created it first: read theirs.
                        None => {
                            users::table
                                .find(who.oid)
                                .select(User::as_select())
                                .first(conn)
                                .await?
                        }
                    }
                }
                Some(current) => {
                    let email = who
                        .email
                        .as_ref()
                        .map_or(current.email.clone(), |e| e.as_str().to_owned());
                    let firstname = who.firstname.clone().or(current.firstname.clone());
                    let lastname = who.lastname.clone().or(current.lastname.clone());
                    let country = who.country.clone().or(current.country.clone());
                    if email == current.email
                        && firstname == current.firstname
                        && lastname == current.lastname
                        && country == current.country
                    {
                        current
                    } else {
                        let (updated, version) = diesel::update(users::table.find(who.oid))
                            .set((
                                users::email.eq(&email),
                                users::firstname.eq(&firstname),
                                users::lastname.eq(&lastname),
                                users::country.eq(&country),
                                users::updated.eq(diesel::dsl::now),
                                users::version.eq(users::version + 1),
                            ))
                            .returning((User::as_returning(), users::version))
                            .get_result::<(User, i64)>(conn)
                            .await?;
                        let emitted = events::EMIT.updated::<events::UserUpdated>(
                            ctx,
                            updated.oid,
                            &current.payload(),
                            &updated.payload(),
                            version,
                        );
                        events::append(conn, &[emitted]).await?;
                        updated
                    }
                }
            };
            let rows: Vec<(Uuid, String)> = gup::table
                .inner_join(permissions::table)
                .filter(gup::userid.eq(who.oid))
                .order((gup::groupid, permissions::name))
                .select((gup::groupid, permissions::name))
                .load(conn)
                .await?;
            let mut grants = Grants::new();
            for (group, permission) in rows {
                grants.entry(group).or_default().push(permission);
            }
            Ok((user, grants))
        })
        .await,
    );
    match outcome {
        Ok(done) => Ok(Ok(done)),
        Err(TxError::Refused(refusal)) => Ok(Err(refusal)),
        Err(TxError::Db(err)) => Err(err.into()),
    }
}
