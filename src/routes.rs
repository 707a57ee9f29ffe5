//! What a route is: its method, path, handler and the access it needs. Each feature
//! lists its routes; the router is built from them and the authorization middleware
//! reads the same rules, so a route cannot exist without an access rule (and the
//! route × role test walks the same list).

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

/// The access rule of each (method, path pattern), for the middleware.
pub type Policy = std::collections::HashMap<(&'static str, String), Access>;
