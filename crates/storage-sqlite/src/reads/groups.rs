//! Groups and members' filter settings (P3).

use sqlx::SqlitePool;
use stint_domain::Filter;
use stint_storage::{
    parse_overrules, parse_stored, GroupRecord, MemberFiltersRecord, Result, StorageError,
    WorkspaceScope,
};
use uuid::Uuid;

use crate::convert::{id, storage_error};

pub async fn groups(pool: &SqlitePool, scope: &WorkspaceScope) -> Result<Vec<GroupRecord>> {
    let workspace = scope.workspace_id().to_string();
    let rows = sqlx::query!(
        r#"SELECT g.id, g.name, g.filter, g.default_group,
                  (SELECT group_concat(page) FROM group_pages WHERE group_id = g.id)
                      AS "pages?: String",
                  (SELECT group_concat(page || ':' || filter) FROM group_filter_overrules
                   WHERE group_id = g.id) AS "overrules?: String",
                  (SELECT count(*) FROM member_groups WHERE group_id = g.id) AS "members!: i64"
           FROM groups g WHERE g.workspace_id = $1 ORDER BY lower(g.name), g.id"#,
        workspace
    )
    .fetch_all(pool)
    .await
    .map_err(storage_error)?;
    rows.into_iter()
        .map(|row| {
            let (pages, overrules) = (
                row.pages.unwrap_or_default(),
                row.overrules.unwrap_or_default(),
            );
            GroupRecord::from_stored(
                id(&row.id)?,
                row.name,
                &row.filter,
                row.default_group.as_deref(),
                pages.split(',').filter(|p| !p.is_empty()),
                overrules.split(',').filter(|o| !o.is_empty()),
                row.members,
            )
        })
        .collect()
}

/// A member's group, own filter and overrules; `None` for no such member.
pub async fn member_filters(
    pool: &SqlitePool,
    scope: &WorkspaceScope,
    user_id: Uuid,
) -> Result<Option<MemberFiltersRecord>> {
    // The member and the groups are two reads: a member moved to another group between them
    // (and their old group deleted) is read again.
    for _ in 0..3 {
        match member_filters_once(pool, scope, user_id).await? {
            Read::Found(record) => return Ok(Some(record)),
            Read::NoMember => return Ok(None),
            Read::GroupChanged => continue,
        }
    }
    Err(StorageError::Busy("a member's group kept changing".into()))
}

enum Read {
    Found(MemberFiltersRecord),
    NoMember,
    GroupChanged,
}

async fn member_filters_once(
    pool: &SqlitePool,
    scope: &WorkspaceScope,
    user_id: Uuid,
) -> Result<Read> {
    let (workspace, user) = (scope.workspace_id().to_string(), user_id.to_string());
    let Some(row) = sqlx::query!(
        r#"SELECT mg.group_id, m.filter,
                  (SELECT group_concat(page || ':' || filter) FROM member_filter_overrules o
                   WHERE o.workspace_id = m.workspace_id AND o.user_id = m.user_id)
                      AS "overrules?: String"
           FROM memberships m
                JOIN member_groups mg ON mg.workspace_id = m.workspace_id AND mg.user_id = m.user_id
           WHERE m.workspace_id = $1 AND m.user_id = $2"#,
        workspace,
        user
    )
    .fetch_optional(pool)
    .await
    .map_err(storage_error)?
    else {
        return Ok(Read::NoMember);
    };
    let group_id = id(&row.group_id)?;
    let Some(group) = groups(pool, scope)
        .await?
        .into_iter()
        .find(|g| g.id == group_id)
    else {
        return Ok(Read::GroupChanged);
    };
    let overrules = row.overrules.unwrap_or_default();
    Ok(Read::Found(MemberFiltersRecord {
        group,
        filter: row
            .filter
            .as_deref()
            .map(|f| parse_stored(f, Filter::parse, "filter"))
            .transpose()?,
        overrules: parse_overrules(overrules.split(',').filter(|o| !o.is_empty()))?,
    }))
}
