//! The route table: every route with the access it needs. The router is built from
//! this table and the authorization middleware reads it, so a route cannot exist
//! without an access rule (and the route × role test walks the same table).

use axum::routing::MethodRouter;

use crate::AppState;
use crate::auth::Role;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user.
    SignedIn,
    /// Signed-in users with one of these roles.
    Roles(&'static [Role]),
}

pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
    pub handler: MethodRouter<AppState>,
}

impl Route {
    pub fn new(
        method: &'static str,
        path: &'static str,
        access: Access,
        handler: MethodRouter<AppState>,
    ) -> Self {
        Self {
            method,
            path,
            access,
            handler,
        }
    }
}

/// Every route of the app.
pub fn all(config: &crate::Config) -> Vec<Route> {
    use axum::routing::get;
    let mut routes = vec![
        Route::new("GET", "/", Access::SignedIn, get(crate::catalogue::home)),
        Route::new(
            "GET",
            "/healthz",
            Access::Public,
            get(crate::health::healthz),
        ),
    ];
    routes.extend(crate::auth::login::routes());
    routes.extend(crate::catalogue::routes());
    routes.extend(crate::users::routes());
    routes.extend(crate::audit::routes());
    routes.extend(crate::periods::routes());
    routes.extend(crate::progress::routes());
    routes.extend(crate::evidence::routes(config));
    routes.extend(crate::assign::routes());
    routes.extend(crate::dashboard::routes());
    routes.extend(crate::reports::routes());
    routes.extend(crate::targets::routes());
    routes.extend(crate::units::routes());
    routes
}

/// The access rule of each (method, path pattern), for the middleware.
pub type Policy = std::collections::HashMap<(&'static str, String), Access>;
