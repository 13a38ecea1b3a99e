//! The audited-authorization kernel of the mutating use cases: decide, record the decision in the audit trail,
//! return. Scope comes first (outside it: 404, so a foreign connection looks like a missing one), then the
//! capability (403), then the body (400) and the confirmation of a destructive change (428): an unauthorized
//! caller learns nothing from validation, and a rejected body is an audited decision like any other.
//!
//! A refusal's audit row must commit although the call fails: a use case stops with [`Stop::Refused`], which
//! [`settle`] turns into a committed transaction and an error for the caller; any other failure
//! ([`Stop::Failed`]) rolls the transaction back.

use crate::audit::{self, Decision};
use crate::auth::{Caller, Capability};
use crate::db::models::{Action, Connection};
use crate::db::schema::provider_connections as pc;
use crate::error::ApiError;
use crate::ids::ConnectionId;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::FieldError;

/// The header that confirms a destructive change; its value must be the connection's id.
pub const CONFIRM_HEADER: &str = "X-Confirm-Connection";

/// Why an audited use case stopped before its end.
pub enum Stop {
    /// Refused, its denial recorded: the transaction commits (the audit row alone) and the caller gets the error.
    Refused(ApiError),
    /// Failed: the transaction rolls back.
    Failed(ApiError),
}

impl From<ApiError> for Stop {
    fn from(err: ApiError) -> Self {
        Self::Failed(err)
    }
}

impl From<diesel::result::Error> for Stop {
    fn from(err: diesel::result::Error) -> Self {
        Self::Failed(err.into())
    }
}

/// The transaction result of an audited use case: `Ok(Ok(_))` and `Ok(Err(refusal))` commit, `Err(_)` rolls
/// back. Use as `wake_after_commit(conn.transaction(async |conn| settle(work(conn).await)).await)?` (the wake
/// lets this process's relay publish the events at once).
pub fn settle<T>(result: Result<T, Stop>) -> Result<Result<T, ApiError>, ApiError> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(Stop::Refused(refusal)) => Ok(Err(refusal)),
        Err(Stop::Failed(err)) => Err(err),
    }
}

/// Where the decisions of one call are taken and recorded: its caller, action, and the tenant and connection as
/// far as they are known.
pub struct Gate<'a> {
    caller: &'a Caller,
    action: Action,
    tenant: Option<String>,
    connection: Option<ConnectionId>,
}

impl<'a> Gate<'a> {
    pub fn new(
        caller: &'a Caller,
        action: Action,
        tenant: Option<&str>,
        connection: Option<ConnectionId>,
    ) -> Self {
        Self {
            caller,
            action,
            tenant: tenant.map(str::to_owned),
            connection,
        }
    }

    /// The same gate once the connection is known (a create, after its insert).
    pub fn on(mut self, connection: ConnectionId) -> Self {
        self.connection = Some(connection);
        self
    }

    fn decision(&self) -> Decision<'_> {
        Decision::by(
            self.caller,
            self.action,
            self.tenant.as_deref(),
            self.connection,
        )
    }

    /// Records a denial for `reason` and stops with `refusal`.
    pub async fn refuse(
        &self,
        conn: &mut AsyncPgConnection,
        reason: &str,
        refusal: ApiError,
    ) -> Stop {
        match audit::record(conn, self.decision().denied(reason)).await {
            Ok(()) => Stop::Refused(refusal),
            Err(err) => err.into(),
        }
    }

    /// Records the allowed decision, with its `reason` if it has one.
    pub async fn allow(
        &self,
        conn: &mut AsyncPgConnection,
        reason: Option<&str>,
    ) -> Result<(), Stop> {
        let mut decision = self.decision();
        decision.reason = reason;
        audit::record(conn, decision).await?;
        Ok(())
    }

    /// Refuses (`missing_capability:…`, 403 saying that `what` needs it) unless the caller has `capability`.
    pub async fn require(
        &self,
        conn: &mut AsyncPgConnection,
        capability: Capability,
        what: &str,
    ) -> Result<(), Stop> {
        match self.caller.require(capability, what) {
            Ok(()) => Ok(()),
            Err(refusal) => {
                let reason = format!("missing_capability:{}", capability.as_str());
                Err(self.refuse(conn, &reason, refusal).await)
            }
        }
    }

    /// The valid input, or a refusal (`invalid_input:<field>`, 400 naming the field).
    pub async fn valid<T>(
        &self,
        conn: &mut AsyncPgConnection,
        input: Result<T, FieldError>,
    ) -> Result<T, Stop> {
        match input {
            Ok(input) => Ok(input),
            Err(invalid) => {
                let reason = format!("invalid_input:{}", invalid.field);
                Err(self.refuse(conn, &reason, invalid.into()).await)
            }
        }
    }

    /// Refuses (`confirmation_missing`, 428) a destructive change whose confirmation header does not name the
    /// connection.
    pub async fn confirmed(
        &self,
        conn: &mut AsyncPgConnection,
        id: ConnectionId,
        confirmation: Option<&str>,
    ) -> Result<(), Stop> {
        if confirmation.map(str::trim) == Some(id.to_string().as_str()) {
            return Ok(());
        }
        let refusal = ApiError::ConfirmationRequired {
            header: CONFIRM_HEADER,
            message: format!(
                "this change needs explicit confirmation: send the header {CONFIRM_HEADER}: {id}"
            ),
        };
        Err(self.refuse(conn, "confirmation_missing", refusal).await)
    }
}

/// The connection, locked for the transaction, if it exists within the caller's scope (else `None`: the caller
/// cannot tell a foreign connection from a missing one).
async fn lock_scoped(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: ConnectionId,
) -> QueryResult<Option<Connection>> {
    let row = pc::table
        .find(id)
        .filter(pc::workspace_id.eq(&caller.workspace_id))
        .select(Connection::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?;
    Ok(row.filter(|r| caller.reaches(&r.workspace_id, &r.tenant)))
}

/// A call on connection `id`: locks it if it is within the caller's scope and the caller has `capability`,
/// refusing (`not_accessible` 404, `missing_capability:…` 403) otherwise. Returns the row and the gate for the
/// call's further decisions.
pub async fn authorize<'a>(
    conn: &mut AsyncPgConnection,
    caller: &'a Caller,
    id: ConnectionId,
    action: Action,
    capability: Capability,
) -> Result<(Connection, Gate<'a>), Stop> {
    let Some(row) = lock_scoped(conn, caller, id).await? else {
        let gate = Gate::new(caller, action, None, Some(id));
        return Err(gate
            .refuse(
                conn,
                "not_accessible",
                ApiError::connection_not_accessible(id),
            )
            .await);
    };
    let gate = Gate::new(caller, action, Some(&row.tenant), Some(id));
    gate.require(conn, capability, "this action").await?;
    Ok((row, gate))
}
