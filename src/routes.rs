//! What a route is: its method, path, handler and the access it needs. Each feature
//! lists its routes; the router is built from them and the authorization middleware
//! reads the same rules, so a route cannot exist without an access rule (and the
//! route × role test walks the same list).

use axum::routing::MethodRouter;

use crate::AppState;
pub use crate::identity::Role;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user.
    SignedIn,
    /// Any signed-in user, about their own account (password, sign-out, notifications):
    /// open even to a reader who may change nothing of a unit's.
    Own,
    /// Signed-in users with one of these roles in the request's unit.
    Roles(&'static [Role]),
    /// Signed-in users with one of these instansi-wide roles.
    Instansi(&'static [crate::identity::InstansiRole]),
}

pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
    pub handler: MethodRouter<AppState>,
    /// The largest body the route takes when beyond the default (uploads, imports).
    pub body_limit: Option<usize>,
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
            body_limit: None,
        }
    }

    /// Takes bodies up to `bytes`: the router applies it to the extractors, and a
    /// larger declared length is refused before any of it is read.
    pub fn with_body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = Some(bytes);
        self
    }
}

/// The access rule of each (method, path pattern), for the middleware.
pub type Policy = std::collections::HashMap<(&'static str, String), Access>;
