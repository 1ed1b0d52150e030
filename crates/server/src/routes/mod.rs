//! HTTP routes, one module per feature. Handlers stay thin: parse, ask `policy` for a scope,
//! call a service. Each module registers its routes and their OpenAPI entries together
//! (`utoipa_axum::routes!`), so the document at `/api/openapi.json` cannot drift from the router.

pub mod auth;
pub mod entries;
pub mod events;
pub mod groups;
pub mod invitations;
pub mod meta;
pub mod projects;
pub mod roles;
pub mod settings;
pub mod sync;
pub mod tasks;
pub mod teams;
pub mod timers;
pub mod tokens;

use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use stint_storage::Storage;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::events::Events;
use crate::service::passwords::Passwords;
use crate::service::sign_in_limits::SignInLimits;

/// What every handler may use.
#[derive(Clone)]
pub struct AppState {
    pub storage: Arc<dyn Storage>,
    pub passwords: Passwords,
    pub sign_in_limits: Arc<SignInLimits>,
    pub events: Events,
    pub read_ahead: Arc<crate::service::sync::PageReadAhead>,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Stint workspace API", description = "Time tracking for teams: REST and sync."),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every feature's routes, with their OpenAPI entries.
fn feature_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(meta::routes())
        .merge(auth::routes())
        .merge(projects::routes())
        .merge(tasks::routes())
        .merge(sync::routes())
        .merge(events::routes())
        .merge(roles::routes())
        .merge(tokens::routes())
        .merge(invitations::routes())
        .merge(teams::routes())
        .merge(entries::routes())
        .merge(groups::routes())
        .merge(settings::routes())
        .merge(timers::routes())
}

/// The OpenAPI document the server serves at `/api/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    feature_routes().into_openapi()
}

/// The routes with their state; `edge::layers` adds 404/405 answers, limits and timeouts.
pub fn router(state: AppState) -> Router {
    let (routes, doc) = feature_routes().split_for_parts();
    let doc = Arc::new(doc);
    routes
        .route(
            "/api/openapi.json",
            get(move || {
                let doc = Arc::clone(&doc);
                async move { axum::Json(doc) }
            }),
        )
        .with_state(state)
}
