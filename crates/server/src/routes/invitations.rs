//! Invitations to join a workspace (P1): made, listed and withdrawn by holders of
//! `time:settings`; accepted, without a token, by whoever holds the invitation's.

use axum::extract::State;
use axum::http::StatusCode;
use stint_api::rest::{
    AcceptInvitation, Invitation, InvitationRequest, NewInvitation, TokenResponse,
};
use stint_api::ErrorBody;
use stint_storage::may;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::auth::ClientAddress;
use super::AppState;
use crate::error::{ApiError, Json, Path};
use crate::policy;
use crate::service::accounts::Caller;
use crate::service::invitations;
use crate::time;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, invite))
        .routes(routes!(withdraw))
        .routes(routes!(accept))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspace_id}/invitations", tag = "roles",
    security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path)),
    responses(
        (status = 200, body = Vec<Invitation>, description = "Not accepted yet (expired ones too), newest first"),
        (status = 400, body = ErrorBody, description = "workspace_id is not a UUID"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs `time:settings`"),
        (status = 404, body = ErrorBody, description = "Not a member of that workspace"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(workspace_id): Path<Uuid>,
) -> Result<Json<Vec<Invitation>>, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let settings = scope.require::<may::ChangeSettings>()?;
    Ok(Json(invitations::list(&*state.storage, settings).await?))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspace_id}/invitations", tag = "roles",
    security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path)),
    request_body = InvitationRequest,
    responses(
        (status = 201, body = NewInvitation, description = "The token, shown this once, works for 7 days"),
        (status = 400, body = ErrorBody, description = "Not this shape, not an email, a name that is not 1 to 100 characters, or a role that is not the workspace's"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs `time:settings`"),
        (status = 404, body = ErrorBody, description = "Not a member of that workspace"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 413, body = ErrorBody, description = "The body is over 64 KiB"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn invite(
    State(state): State<AppState>,
    caller: Caller,
    Path(workspace_id): Path<Uuid>,
    Json(request): Json<InvitationRequest>,
) -> Result<(StatusCode, Json<NewInvitation>), ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let settings = scope.require::<may::ChangeSettings>()?;
    let made = invitations::invite(&*state.storage, settings, &request, time::now()).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

#[utoipa::path(delete, path = "/api/v1/workspaces/{workspace_id}/invitations/{invitation_id}",
    tag = "roles", security(("bearer" = [])),
    params(("workspace_id" = Uuid, Path), ("invitation_id" = Uuid, Path)),
    responses(
        (status = 204, description = "Withdrawn: its token no longer works"),
        (status = 400, body = ErrorBody, description = "An id is not a UUID"),
        (status = 401, body = ErrorBody, description = "No token, or not a valid one"),
        (status = 403, body = ErrorBody, description = "Needs `time:settings`"),
        (status = 404, body = ErrorBody, description = "No such invitation, not accepted yet, in a workspace of the caller's"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn withdraw(
    State(state): State<AppState>,
    caller: Caller,
    Path((workspace_id, invitation_id)): Path<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let scope = policy::member_of(&*state.storage, &caller, workspace_id).await?;
    let settings = scope.require::<may::ChangeSettings>()?;
    invitations::withdraw(&*state.storage, settings, invitation_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/invitations/accept", tag = "auth",
    request_body = AcceptInvitation,
    responses(
        (status = 200, body = TokenResponse, description = "Joined, and this device is signed in"),
        (status = 400, body = ErrorBody, description = "Not this shape, a new password under 8 bytes, or an invalid device_name"),
        (status = 401, body = ErrorBody, description = "The email has an account and this is not its password"),
        (status = 404, body = ErrorBody, description = "No such invitation: unknown, used, withdrawn or expired"),
        (status = 408, body = ErrorBody, description = "The request took too long"),
        (status = 409, body = ErrorBody, description = "The device id belongs to another user"),
        (status = 413, body = ErrorBody, description = "The body is over 64 KiB"),
        (status = 429, body = ErrorBody,
            description = "Too many failed sign-ins for this account or from this address (`too_many_attempts`)",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, body = ErrorBody, description = "The database is busy; try again"),
    ))]
async fn accept(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Json(request): Json<AcceptInvitation>,
) -> Result<Json<TokenResponse>, ApiError> {
    let joined = invitations::accept(
        &*state.storage,
        &state.passwords,
        &state.sign_in_limits,
        &request,
        address,
        time::now(),
    )
    .await?;
    Ok(Json(joined))
}
