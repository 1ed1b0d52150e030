//! Groups and filters (P3): every member is in exactly one group, which decides the pages they
//! may open and the filter their lists get; per-page overrules on the group, and a member's own
//! filter and overrules, are resolved in four steps (`stint_domain::resolve_filter`). Groups
//! and members' settings are changed by holders of `time:settings`.

use stint_api::rest::{Group, GroupRequest, MemberFilters, MyPages, PageAccess, PageFilter};
use stint_api::ErrorCode;
use stint_domain::{resolve_filter, Filter, FilterSettings, FilterSource, Page};
use stint_storage::{
    may, Capability, GroupRecord, MemberFiltersRecord, Storage, StorageError, WorkspaceScope,
};
use uuid::Uuid;

use crate::error::ApiError;
use crate::service::accounts::short_name;
use crate::service::roles::{member_grants, within_grants};

type Settings<'s> = Capability<'s, may::ChangeSettings>;

pub async fn list(storage: &dyn Storage, settings: Settings<'_>) -> Result<Vec<Group>, ApiError> {
    Ok(storage
        .groups(settings.scope())
        .await?
        .into_iter()
        .map(group)
        .collect())
}

pub async fn create(
    storage: &dyn Storage,
    settings: Settings<'_>,
    request: &GroupRequest,
) -> Result<Group, ApiError> {
    let record = group_record(Uuid::now_v7(), request)?;
    let mut tx = storage.begin().await?;
    if !tx.insert_group(settings, &record).await? {
        return Err(name_taken(&record.name));
    }
    tx.commit().await?;
    group_of(storage, settings.scope(), record.id).await
}

pub async fn update(
    storage: &dyn Storage,
    settings: Settings<'_>,
    group_id: Uuid,
    request: &GroupRequest,
) -> Result<Group, ApiError> {
    let record = group_record(group_id, request)?;
    let mut tx = storage.begin().await?;
    if !tx
        .update_group(settings, &record)
        .await
        .map_err(no_such_group)?
    {
        return Err(name_taken(&record.name));
    }
    tx.commit().await?;
    group_of(storage, settings.scope(), group_id).await
}

/// Deletes a group nobody is in.
pub async fn delete(
    storage: &dyn Storage,
    settings: Settings<'_>,
    group_id: Uuid,
) -> Result<(), ApiError> {
    let mut tx = storage.begin().await?;
    tx.delete_group(settings, group_id)
        .await
        .map_err(|error| match error {
            StorageError::Conflict { constraint } if constraint == "group_not_empty" => {
                ApiError::new(
                    ErrorCode::GroupNotEmpty,
                    "members are in this group: move them to other groups first",
                )
            }
            other => no_such_group(other),
        })?;
    tx.commit().await?;
    Ok(())
}

pub async fn member_filters(
    storage: &dyn Storage,
    settings: Settings<'_>,
    user_id: Uuid,
) -> Result<MemberFilters, ApiError> {
    let record = storage
        .member_filters(settings.scope(), user_id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such member"))?;
    Ok(member_filters_of(&record))
}

/// Puts a member in a group and sets their own filter and overrules. Like every change to a
/// member, the caller must hold all the member holds.
pub async fn set_member_filters(
    storage: &dyn Storage,
    settings: Settings<'_>,
    user_id: Uuid,
    request: &MemberFilters,
) -> Result<MemberFilters, ApiError> {
    let overrules = overrules(&request.overrules)?;
    within_grants(settings, member_grants(storage, settings, user_id).await?)?;
    let mut tx = storage.begin().await?;
    tx.set_member_filters(
        settings,
        user_id,
        request.group_id,
        request.filter,
        &overrules,
    )
    .await
    .map_err(|error| match error {
        StorageError::NotFound => ApiError::not_found("no such member, or no such group"),
        other => other.into(),
    })?;
    tx.commit().await?;
    member_filters(storage, settings, user_id).await
}

/// What the caller's group and filter settings give them, page by page.
pub async fn my_pages(storage: &dyn Storage, scope: &WorkspaceScope) -> Result<MyPages, ApiError> {
    let mine = own_filters(storage, scope).await?;
    Ok(MyPages {
        group_id: mine.group.id,
        group_name: mine.group.name.clone(),
        pages: Page::ALL
            .into_iter()
            .map(|page| {
                let (filter, filter_source) = page_filter(&mine, page);
                PageAccess {
                    page,
                    may_open: mine.group.pages.contains(&page),
                    filter,
                    filter_source,
                }
            })
            .collect(),
    })
}

/// The filter one page's lists get for the caller, and where it was set; 403 when their group
/// may not open the page.
pub async fn filter_for(
    storage: &dyn Storage,
    scope: &WorkspaceScope,
    page: Page,
) -> Result<(Filter, FilterSource), ApiError> {
    let mine = own_filters(storage, scope).await?;
    if !mine.group.pages.contains(&page) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            format!("your group does not open the {} page", page.as_str()),
        )
        .with_details(serde_json::json!({ "page": page })));
    }
    Ok(page_filter(&mine, page))
}

/// The filter for figures shown outside the page's own lists (a task's actual hours come
/// under the timesheets page): a group that does not open the page sees its members' own
/// hours there.
pub async fn figures_filter(
    storage: &dyn Storage,
    scope: &WorkspaceScope,
    page: Page,
) -> Result<(Filter, FilterSource), ApiError> {
    let mine = own_filters(storage, scope).await?;
    if !mine.group.pages.contains(&page) {
        return Ok((Filter::OwnHours, FilterSource::Group));
    }
    Ok(page_filter(&mine, page))
}

async fn own_filters(
    storage: &dyn Storage,
    scope: &WorkspaceScope,
) -> Result<MemberFiltersRecord, ApiError> {
    storage
        .member_filters(scope, scope.user_id())
        .await?
        // Every member is in a group from the moment they join: none is damage.
        .ok_or_else(|| ApiError::internal("the caller is in no group"))
}

/// P3's four steps for one page.
fn page_filter(mine: &MemberFiltersRecord, page: Page) -> (Filter, FilterSource) {
    let on =
        |overrules: &[(Page, Filter)]| overrules.iter().find(|(p, _)| *p == page).map(|(_, f)| *f);
    resolve_filter(FilterSettings {
        user_overrule: on(&mine.overrules),
        group_overrule: on(&mine.group.overrules),
        user: mine.filter,
        group: mine.group.filter,
    })
}

async fn group_of(
    storage: &dyn Storage,
    scope: &WorkspaceScope,
    group_id: Uuid,
) -> Result<Group, ApiError> {
    storage
        .groups(scope)
        .await?
        .into_iter()
        .find(|g| g.id == group_id)
        .map(group)
        .ok_or_else(|| ApiError::not_found("no such group"))
}

fn group_record(id: Uuid, request: &GroupRequest) -> Result<GroupRecord, ApiError> {
    if request.pages.len() > Page::ALL.len() {
        return Err(ApiError::invalid(
            "pages",
            format!("at most {} pages", Page::ALL.len()),
        ));
    }
    let mut pages = request.pages.clone();
    pages.sort();
    pages.dedup();
    Ok(GroupRecord {
        id,
        name: short_name("name", &request.name)?.to_string(),
        filter: request.filter,
        default_group: None,
        pages,
        overrules: overrules(&request.overrules)?,
        member_count: 0,
    })
}

/// At most one overrule per page.
fn overrules(sent: &[PageFilter]) -> Result<Vec<(Page, Filter)>, ApiError> {
    let mut overrules: Vec<(Page, Filter)> = sent.iter().map(|o| (o.page, o.filter)).collect();
    overrules.sort_by_key(|(page, _)| *page);
    if overrules.windows(2).any(|pair| pair[0].0 == pair[1].0) {
        return Err(ApiError::invalid(
            "overrules",
            "at most one overrule per page",
        ));
    }
    Ok(overrules)
}

fn no_such_group(error: StorageError) -> ApiError {
    match error {
        StorageError::NotFound => ApiError::not_found("no such group"),
        other => other.into(),
    }
}

fn name_taken(name: &str) -> ApiError {
    ApiError::new(
        ErrorCode::NameTaken,
        format!("this workspace has a group named {name:?} already"),
    )
}

fn page_filters(overrules: &[(Page, Filter)]) -> Vec<PageFilter> {
    overrules
        .iter()
        .map(|&(page, filter)| PageFilter { page, filter })
        .collect()
}

fn group(record: GroupRecord) -> Group {
    Group {
        id: record.id,
        name: record.name,
        filter: record.filter,
        default_group: record.default_group,
        pages: record.pages,
        overrules: page_filters(&record.overrules),
        member_count: record.member_count.max(0) as u64,
    }
}

fn member_filters_of(record: &MemberFiltersRecord) -> MemberFilters {
    MemberFilters {
        group_id: record.group.id,
        filter: record.filter,
        overrules: page_filters(&record.overrules),
    }
}
