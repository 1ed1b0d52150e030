//! HTTP routes. Handlers stay thin: parse, ask `policy` for a scope, call the store.

pub mod auth;
pub mod meta;
pub mod sync;
pub mod tasks;

use axum::routing::{get, post};
use axum::Router;

use crate::store::Store;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
}

pub fn router(store: Store) -> Router {
    Router::new()
        .route("/health", get(meta::health))
        .route("/api/openapi.json", get(meta::openapi))
        .route(
            "/api/v1/auth/token",
            post(auth::create_token).delete(auth::revoke_token),
        )
        .route("/api/v1/workspaces/{workspace_id}/tasks", get(tasks::list))
        .route(
            "/api/v1/workspaces/{workspace_id}/sync/push",
            post(sync::push),
        )
        .route(
            "/api/v1/workspaces/{workspace_id}/sync/pull",
            get(sync::pull),
        )
        .fallback(meta::not_found)
        .with_state(AppState { store })
}
