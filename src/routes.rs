//! What a route is: its method, path, handler and the access it needs. Each feature
//! lists its routes; the router is built from them and the authorization middleware
//! reads the same rules, so a route cannot exist without an access rule (and the
//! route × role test walks the same list).

use axum::routing::MethodRouter;

use crate::AppState;

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
    Instansi(&'static [crate::tenant::InstansiRole]),
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

/// The roles of the tracker; every route names the roles it admits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Admin,
    Pimpinan,
    Staf,
    Penilai,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Pimpinan, Role::Staf, Role::Penilai];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Pimpinan => "pimpinan",
            Role::Staf => "staf",
            Role::Penilai => "penilai",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::Pimpinan => "Pimpinan",
            Role::Staf => "Staf / PIC",
            Role::Penilai => "Penilai (TPI)",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}
