//! Who is asking: the roles (per unit and instansi-wide), the request's unit, the
//! signed-in user and the client's address. The bottom of the module graph: the
//! audit trail and the write path name the actor with these types, and every feature
//! reads them; this module reads nothing of theirs.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};

use crate::error::AppError;

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

/// A unit as pages and queries need it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct UnitRef {
    pub id: i64,
    pub code: String,
    pub name: String,
}

impl UnitRef {
    /// The unit-scoped address of a path of the app, e.g. `/u/balitnak/dashboard`.
    pub fn path(&self, path: &str) -> String {
        format!("/u/{}{}", self.code, path)
    }
}

/// The instansi-wide roles; unit roles are `Role`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstansiRole {
    /// Units, accounts everywhere, LKE masters; admin in every unit.
    Admin,
    /// Reads every unit and the roll-up; changes nothing.
    Pimpinan,
}

impl InstansiRole {
    pub fn as_str(self) -> &'static str {
        match self {
            InstansiRole::Admin => "admin-instansi",
            InstansiRole::Pimpinan => "pimpinan-instansi",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            InstansiRole::Admin => "Admin instansi",
            InstansiRole::Pimpinan => "Pimpinan instansi",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [InstansiRole::Admin, InstansiRole::Pimpinan]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// A role as `--role` and the account pages name it: instansi-wide or in a unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnyRole {
    Instansi(InstansiRole),
    Unit(Role),
}

impl AnyRole {
    pub fn parse(s: &str) -> Option<Self> {
        InstansiRole::parse(s)
            .map(AnyRole::Instansi)
            .or_else(|| Role::parse(s).map(AnyRole::Unit))
    }
    pub fn as_str(self) -> &'static str {
        match self {
            AnyRole::Instansi(r) => r.as_str(),
            AnyRole::Unit(r) => r.as_str(),
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            AnyRole::Instansi(r) => r.label(),
            AnyRole::Unit(r) => r.label(),
        }
    }
    pub const NAMES: &'static str =
        "admin-instansi, pimpinan-instansi, admin, pimpinan, staf, atau penilai";
}

// Stored as its word (`users.instansi_role`, `user_units.role`); a word the tracker
// does not know is a decoding error, not a silent "no role".
impl sqlx::Type<sqlx::Sqlite> for AnyRole {
    fn type_info() -> sqlx::sqlite::SqliteTypeInfo {
        <String as sqlx::Type<sqlx::Sqlite>>::type_info()
    }
    fn compatible(ty: &sqlx::sqlite::SqliteTypeInfo) -> bool {
        <String as sqlx::Type<sqlx::Sqlite>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Sqlite> for AnyRole {
    fn decode(value: sqlx::sqlite::SqliteValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        let word = <&str as sqlx::Decode<sqlx::Sqlite>>::decode(value)?;
        AnyRole::parse(word).ok_or_else(|| format!("unknown role {word:?}").into())
    }
}

/// The unit a session opened last, read with the session, and the person's role there.
#[derive(Clone, Debug)]
pub struct SessionUnit {
    pub unit: UnitRef,
    pub role: Option<String>,
}

/// The unit a request is about. Handlers of unit data take it; a person without
/// any unit is told so.
#[derive(Clone, Debug)]
pub struct Unit(pub UnitRef);

impl std::ops::Deref for Unit {
    type Target = UnitRef;
    fn deref(&self) -> &UnitRef {
        &self.0
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Unit {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, AppError> {
        parts
            .extensions
            .get::<CurrentUser>()
            .and_then(|u| u.unit.clone())
            .map(Unit)
            .ok_or_else(|| {
                AppError::ForbiddenWith(
                    "Akun Anda belum mempunyai peran di unit kerja mana pun. Hubungi admin instansi."
                        .into(),
                )
            })
    }
}

/// The signed-in user of a request, with their session.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    /// The role in the request's unit (an instansi admin is admin in every unit).
    pub role: Role,
    pub instansi_role: Option<InstansiRole>,
    /// The unit the request is about; `None` for a person without any unit.
    pub unit: Option<UnitRef>,
    /// How many units the person may open (the switcher shows for more than one).
    pub unit_count: i64,
    /// Reads only: an instansi leader in a unit where they hold no role of their own.
    pub read_only: bool,
    pub must_change_password: bool,
    /// Unread notifications, for the header.
    pub unread: i64,
    pub session_hash: String,
    pub csrf_token: String,
}

impl CurrentUser {
    pub fn is(&self, roles: &[Role]) -> bool {
        roles.contains(&self.role)
    }

    pub fn is_instansi_admin(&self) -> bool {
        self.instansi_role == Some(InstansiRole::Admin)
    }

    /// Instansi admins and leaders: they see every unit.
    pub fn is_instansi(&self) -> bool {
        self.instansi_role.is_some()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Response> {
        parts
            .extensions
            .get::<CurrentUser>()
            .cloned()
            .ok_or_else(|| Redirect::to("/login").into_response())
    }
}

/// The client's address, for throttling and the audit trail.
#[derive(Clone, Debug)]
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<ClientIp>()
            .cloned()
            .unwrap_or_else(|| ClientIp("tidak diketahui".into())))
    }
}

impl<S: Send + Sync> axum::extract::OptionalFromRequestParts<S> for CurrentUser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<CurrentUser>().cloned())
    }
}
