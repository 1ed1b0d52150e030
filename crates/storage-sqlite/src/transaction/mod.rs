//! The write transaction: every statement on the one writer connection, inside `BEGIN
//! IMMEDIATE`. Methods that change an entity append its change-log row themselves.

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
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use stint_storage::{ChangeOp, Entity, Result, Transaction, WorkspaceScope};
use uuid::Uuid;

use crate::convert::storage_error;

/// Rows per multi-row statement: SQLite takes at most 32,766 bound values in one.
const ROWS_PER_STATEMENT: usize = 1_000;

pub struct SqliteTransaction {
    pub tx: sqlx::Transaction<'static, Sqlite>,
}

impl SqliteTransaction {
    fn conn(&mut self) -> &mut SqliteConnection {
        &mut self.tx
    }

    async fn log_change(
        &mut self,
        scope: &WorkspaceScope,
        entity: Entity,
        entity_id: Uuid,
        op: ChangeOp,
    ) -> Result<()> {
        let workspace = scope.workspace_id().to_string();
        let owner = entity.owner(scope).map(|user| user.to_string());
        let (entity, entity_id, op) = (entity.as_str(), entity_id.to_string(), op.as_str());
        sqlx::query!(
            "INSERT INTO changes (workspace_id, entity, entity_id, op, owner_id) \
             VALUES ($1, $2, $3, $4, $5)",
            workspace,
            entity,
            entity_id,
            op,
            owner
        )
        .execute(self.conn())
        .await
        .map_err(storage_error)?;
        Ok(())
    }

    /// One change-log row per id, in the order given.
    async fn log_changes(
        &mut self,
        scope: &WorkspaceScope,
        entity: Entity,
        ids: &[Uuid],
    ) -> Result<()> {
        let workspace = scope.workspace_id().to_string();
        let owner = entity.owner(scope).map(|user| user.to_string());
        for chunk in ids.chunks(ROWS_PER_STATEMENT) {
            let mut insert = QueryBuilder::new(
                "INSERT INTO changes (workspace_id, entity, entity_id, op, owner_id) ",
            );
            insert.push_values(chunk, |mut row, id| {
                row.push_bind(workspace.clone())
                    .push_bind(entity.as_str())
                    .push_bind(id.to_string())
                    .push_bind(ChangeOp::Upsert.as_str())
                    .push_bind(owner.clone());
            });
            insert
                .build()
                .execute(self.conn())
                .await
                .map_err(storage_error)?;
        }
        Ok(())
    }
}

#[async_trait]
impl Transaction for SqliteTransaction {
    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    async fn commit(self: Box<Self>) -> Result<()> {
        self.tx.commit().await.map_err(storage_error)
    }
}
