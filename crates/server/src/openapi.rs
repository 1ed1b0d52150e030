//! The OpenAPI document, derived from the handlers' annotations and stint-api's types.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes;

#[derive(OpenApi)]
#[openapi(
    info(title = "Stint workspace API", description = "Time tracking for teams: REST and sync."),
    paths(
        routes::meta::health,
        routes::meta::openapi,
        routes::auth::create_token,
        routes::auth::revoke_token,
        routes::tasks::list,
        routes::sync::push,
        routes::sync::pull,
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

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
