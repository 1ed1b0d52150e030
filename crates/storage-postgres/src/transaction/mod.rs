//! The write transaction (READ COMMITTED). Methods that change an entity append its change-log
//! row themselves.

mod accounts;
mod entries;
mod groups;
mod people;
mod settings;
mod sync;
mod teams;
mod timers;
mod work;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Postgres};
use stint_storage::{
    ChangeOp, Entity, MutationRecord, Result, StorageError, Transaction, WorkspaceScope,
};
use uuid::Uuid;

use crate::convert::storage_error;
use crate::rls;

/// Change-log rows, mutation records and a stream's new position are kept here and written at
/// commit, in one statement, instead of one round trip per row or table: a pushed batch is
/// mostly round trips.
pub struct PostgresTransaction {
    tx: sqlx::Transaction<'static, Postgres>,
    /// The workspace row level security lets this transaction see, once a method named one.
    workspace: Option<Uuid>,
    /// (workspace, entity, id, op, owner)
    changes: Vec<(Uuid, Entity, Uuid, ChangeOp, Option<Uuid>)>,
    /// (workspace, record)
    mutations: Vec<(Uuid, MutationRecord)>,
    /// (stream, last applied seq), in the workspace entered
    stream_seq: Option<(Uuid, i64)>,
}

impl PostgresTransaction {
    /// A transaction, and the workspace it already named (`rls::begin_in`), if any.
    pub fn new(
        tx: sqlx::Transaction<'static, Postgres>,
        workspace: Option<Uuid>,
    ) -> PostgresTransaction {
        PostgresTransaction {
            tx,
            workspace,
            changes: Vec::new(),
            mutations: Vec::new(),
            stream_seq: None,
        }
    }
}

impl PostgresTransaction {
    fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    /// Names the scope's workspace for row level security, on the first call. One transaction
    /// writes in one workspace: a scope of another is refused, before it reads or writes.
    async fn enter(&mut self, scope: &WorkspaceScope) -> Result<()> {
        self.enter_workspace(scope.workspace_id()).await
    }

    async fn enter_workspace(&mut self, workspace_id: Uuid) -> Result<()> {
        match self.workspace {
            Some(entered) if entered == workspace_id => Ok(()),
            Some(entered) => Err(StorageError::Other(format!(
                "a transaction in workspace {entered} was asked to act in {workspace_id}"
            ))),
            None => {
                rls::set_workspace(&mut self.tx, workspace_id).await?;
                self.workspace = Some(workspace_id);
                Ok(())
            }
        }
    }

    /// The workspace entered, for methods that act on rows found through an earlier one.
    fn entered(&self) -> Result<Uuid> {
        self.workspace
            .ok_or_else(|| StorageError::Other("no workspace entered in this transaction".into()))
    }

    async fn log_change(
        &mut self,
        scope: &WorkspaceScope,
        entity: Entity,
        entity_id: Uuid,
        op: ChangeOp,
    ) -> Result<()> {
        let owner = entity.owner(scope);
        self.log_change_of(scope.workspace_id(), entity, entity_id, op, owner);
        Ok(())
    }

    /// A change of a row whose owner is not the scope's user (a team's entries, say).
    fn log_change_of(
        &mut self,
        workspace: Uuid,
        entity: Entity,
        entity_id: Uuid,
        op: ChangeOp,
        owner: Option<Uuid>,
    ) {
        self.changes.push((workspace, entity, entity_id, op, owner));
    }

    /// Writes what was kept for the commit: the change-log rows (in the order they were
    /// logged), the mutation records and the stream's position, in one statement.
    async fn write_kept(&mut self) -> Result<()> {
        if self.changes.is_empty() && self.mutations.is_empty() && self.stream_seq.is_none() {
            return Ok(());
        }
        let c = &self.changes;
        let workspaces: Vec<Uuid> = c.iter().map(|c| c.0).collect();
        let entities: Vec<&str> = c.iter().map(|c| c.1.as_str()).collect();
        let ids: Vec<Uuid> = c.iter().map(|c| c.2).collect();
        let ops: Vec<&str> = c.iter().map(|c| c.3.as_str()).collect();
        let owners: Vec<Option<Uuid>> = c.iter().map(|c| c.4).collect();
        let m = &self.mutations;
        let streams: Vec<Uuid> = m.iter().map(|(_, r)| r.stream_id).collect();
        let seqs: Vec<i64> = m.iter().map(|(_, r)| r.seq).collect();
        let mutation_workspaces: Vec<Uuid> = m.iter().map(|(workspace, _)| *workspace).collect();
        let fingerprints: Vec<&str> = m.iter().map(|(_, r)| r.fingerprint.as_str()).collect();
        let names: Vec<&str> = m.iter().map(|(_, r)| r.name.as_str()).collect();
        let args: Vec<&str> = m.iter().map(|(_, r)| r.args.as_str()).collect();
        let device_times: Vec<DateTime<Utc>> = m.iter().map(|(_, r)| r.device_time).collect();
        let outcomes: Vec<&str> = m.iter().map(|(_, r)| r.outcome.as_str()).collect();
        let reasons = || m.iter().map(|(_, r)| r.reason.as_ref());
        let codes: Vec<Option<&str>> = reasons().map(|r| r.map(|r| r.code.as_str())).collect();
        let messages: Vec<Option<&str>> =
            reasons().map(|r| r.map(|r| r.message.as_str())).collect();
        let details: Vec<Option<serde_json::Value>> = reasons()
            .map(|r| r.and_then(|r| r.details.clone()))
            .collect();
        let received: Vec<DateTime<Utc>> = m.iter().map(|(_, r)| r.received_at).collect();
        let (stream, last_applied) = self.stream_seq.unzip();
        // Each part writes nothing when it has nothing (empty arrays, a null stream); all run,
        // referenced or not.
        sqlx::query!(
            "WITH logged AS (\
                 INSERT INTO changes (workspace_id, entity, entity_id, op, owner_id) \
                 SELECT w, e, i, o, u \
                 FROM UNNEST($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::uuid[]) \
                     WITH ORDINALITY AS c (w, e, i, o, u, n) \
                 ORDER BY n), \
             recorded AS (\
                 INSERT INTO mutations (stream_id, seq, workspace_id, fingerprint, name, args, \
                                        device_time, outcome, reason_code, reason_message, \
                                        reason_details, received_at) \
                 SELECT s, q, w, f, n, a::jsonb, d, o, c, m, x, r \
                 FROM UNNEST($6::uuid[], $7::bigint[], $8::uuid[], $9::text[], $10::text[], \
                             $11::text[], $12::timestamptz[], $13::text[], $14::text[], \
                             $15::text[], $16::jsonb[], $17::timestamptz[]) \
                     AS u (s, q, w, f, n, a, d, o, c, m, x, r)), \
             moved AS (\
                 UPDATE streams SET last_applied_seq = $18 \
                 WHERE id = $19 AND workspace_id = $20) \
             SELECT 1 AS \"written!\"",
            &workspaces,
            &entities as &[&str],
            &ids,
            &ops as &[&str],
            &owners as &[Option<Uuid>],
            &streams,
            &seqs,
            &mutation_workspaces,
            &fingerprints as &[&str],
            &names as &[&str],
            &args as &[&str],
            &device_times,
            &outcomes as &[&str],
            &codes as &[Option<&str>],
            &messages as &[Option<&str>],
            &details as &[Option<serde_json::Value>],
            &received,
            last_applied,
            stream,
            self.workspace
        )
        .fetch_one(&mut *self.tx)
        .await
        .map_err(storage_error)?;
        Ok(())
    }
}

#[async_trait]
impl Transaction for PostgresTransaction {
    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn commit(mut self: Box<Self>) -> Result<()> {
        self.write_kept().await?;
        self.tx.commit().await.map_err(storage_error)
    }
}
