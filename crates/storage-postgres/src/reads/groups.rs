//! Groups and members' filter settings (P3).

use sqlx::PgPool;
use stint_domain::Filter;
use stint_storage::{
    parse_overrules, parse_stored, GroupRecord, MemberFiltersRecord, Result, StorageError,
    WorkspaceScope,
};
use uuid::Uuid;

use crate::convert::storage_error;
use crate::rls;

pub async fn groups(pool: &PgPool, scope: &WorkspaceScope) -> Result<Vec<GroupRecord>> {
    let mut read = rls::read_in(pool, scope.workspace_id()).await?;
    let rows = sqlx::query!(
        r#"SELECT g.id, g.name, g.filter, g.default_group,
                  ARRAY(SELECT page FROM group_pages WHERE group_id = g.id) AS "pages!",
                  ARRAY(SELECT page || ':' || filter FROM group_filter_overrules
                        WHERE group_id = g.id) AS "overrules!",
                  (SELECT count(*) FROM member_groups WHERE group_id = g.id) AS "members!"
           FROM groups g WHERE g.workspace_id = $1 ORDER BY lower(g.name), g.id"#,
        scope.workspace_id()
    )
    .fetch_all(&mut *read)
    .await
    .map_err(storage_error)?;
    rows.into_iter()
        .map(|row| {
            GroupRecord::from_stored(
                row.id,
                row.name,
                &row.filter,
                row.default_group.as_deref(),
                row.pages.iter().map(String::as_str),
                row.overrules.iter().map(String::as_str),
                row.members,
            )
        })
        .collect()
}

/// A member's group, own filter and overrules; `None` for no such member.
pub async fn member_filters(
    pool: &PgPool,
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

async fn member_filters_once(pool: &PgPool, scope: &WorkspaceScope, user_id: Uuid) -> Result<Read> {
    let mut read = rls::read_in(pool, scope.workspace_id()).await?;
    let Some(row) = sqlx::query!(
        r#"SELECT mg.group_id, m.filter,
                  ARRAY(SELECT page || ':' || filter FROM member_filter_overrules o
                        WHERE o.workspace_id = m.workspace_id AND o.user_id = m.user_id)
                      AS "overrules!"
           FROM memberships m
                JOIN member_groups mg ON mg.workspace_id = m.workspace_id AND mg.user_id = m.user_id
           WHERE m.workspace_id = $1 AND m.user_id = $2"#,
        scope.workspace_id(),
        user_id
    )
    .fetch_optional(&mut *read)
    .await
    .map_err(storage_error)?
    else {
        return Ok(Read::NoMember);
    };
    // Its connection goes back before `groups` takes one (one read, one connection at a time).
    drop(read);
    let Some(group) = groups(pool, scope)
        .await?
        .into_iter()
        .find(|g| g.id == row.group_id)
    else {
        return Ok(Read::GroupChanged);
    };
    Ok(Read::Found(MemberFiltersRecord {
        group,
        filter: row
            .filter
            .as_deref()
            .map(|f| parse_stored(f, Filter::parse, "filter"))
            .transpose()?,
        overrules: parse_overrules(row.overrules.iter().map(String::as_str))?,
    }))
}
