//! An account as pages and commands read it, and the queries listing accounts.

use crate::identity::AnyRole;
use serde_json::json;
use sqlx::SqlitePool;

// ---------------------------------------------------------------------------
// Model and queries

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    /// The instansi-wide role, else the role in the unit the page is about.
    pub role: Option<AnyRole>,
    /// The unit the page is about, when the account holds a role there.
    pub unit_id: Option<i64>,
    /// Every unit role of the account, e.g. "balitnak (staf), bbpt (penilai)".
    pub unit_name: Option<String>,
    pub active: bool,
    pub must_change_password: bool,
    pub created_at: String,
    pub updated_at: String,
    pub email: Option<String>,
}

impl User {
    pub fn role_label(&self) -> &'static str {
        self.role.map_or("—", AnyRole::label)
    }
    /// The role's word, "" for none (what the role field of a form holds).
    pub fn role_word(&self) -> &'static str {
        self.role.map_or("", AnyRole::as_str)
    }
    pub fn is_instansi(&self) -> bool {
        matches!(self.role, Some(AnyRole::Instansi(_)))
    }
    pub fn created_label(&self) -> String {
        crate::fmt::stored_datetime_id(&self.created_at)
    }
    pub(crate) fn snapshot(&self) -> serde_json::Value {
        json!({
            "username": self.username,
            "nama": self.display_name,
            "peran": self.role_word(),
            "unit": self.unit_name,
            "aktif": self.active,
            "email": self.email,
        })
    }
}

/// The first bind is the unit whose role is read into `role`.
pub(crate) const USER_SELECT: &str = "SELECT u.id, u.username, u.display_name,
        COALESCE(u.instansi_role, uu.role) AS role, uu.unit_id,
        (SELECT group_concat(label, ', ') FROM
           (SELECT w.code || ' (' || x.role || ')' AS label FROM user_units x
              JOIN work_units w ON w.id = x.unit_id WHERE x.user_id = u.id ORDER BY w.code))
          AS unit_name,
        u.active, u.must_change_password, u.created_at, u.updated_at, u.email
    FROM users u LEFT JOIN user_units uu ON uu.user_id = u.id AND uu.unit_id = ?";

pub async fn get(db: &SqlitePool, unit: i64, id: i64) -> sqlx::Result<Option<User>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{USER_SELECT} WHERE u.id = ?")))
        .bind(unit)
        .bind(id)
        .fetch_optional(db)
        .await
}

pub async fn by_username(db: &SqlitePool, unit: i64, username: &str) -> sqlx::Result<Option<User>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{USER_SELECT} WHERE u.username = ?"
    )))
    .bind(unit)
    .bind(username.trim())
    .fetch_optional(db)
    .await
}

/// The accounts an admin manages from a unit: its members (for an instansi admin,
/// every account).
pub(crate) const LISTED: &str = "(?2 OR (uu.role IS NOT NULL AND u.instansi_role IS NULL))";

pub async fn count(db: &SqlitePool, unit: i64, all: bool) -> sqlx::Result<i64> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM users u LEFT JOIN user_units uu ON uu.user_id = u.id AND uu.unit_id = ?1
         WHERE {LISTED}"
    )))
    .bind(unit)
    .bind(all)
    .fetch_one(db)
    .await
}

pub async fn list(
    db: &SqlitePool,
    unit: i64,
    all: bool,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<User>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{} WHERE {LISTED} ORDER BY u.active DESC, u.username LIMIT ?3 OFFSET ?4",
        USER_SELECT.replace("uu.unit_id = ?", "uu.unit_id = ?1")
    )))
    .bind(unit)
    .bind(all)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await
}
