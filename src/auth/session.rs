//! Server-side sessions in SQLite. The cookie holds a random id; the table holds
//! only its SHA-256, the user, the CSRF token, and the idle and absolute deadlines.

use axum::http::HeaderValue;
use sha2::{Digest, Sha256};
use sqlx::{SqliteConnection, SqlitePool};

use super::{CurrentUser, Role, SESSION_COOKIE};
use crate::{AppState, Config};

/// Sessions are not touched on every request: a write per page view would be
/// wasted when the idle limit is hours.
const TOUCH_EVERY_SECS: i64 = 60;

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub fn hash_id(raw: &str) -> String {
    let digest = Sha256::digest(raw.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    user_id: i64,
    csrf_token: String,
    last_seen_at: i64,
    expires_at: i64,
    username: String,
    display_name: String,
    instansi_role: Option<String>,
    unit_id: Option<i64>,
    unit_code: Option<String>,
    unit_name: Option<String>,
    unit_role: Option<String>,
    unit_count: i64,
    must_change_password: bool,
    active: bool,
    unread: i64,
}

/// The user behind a session cookie, if the session is live and the account active,
/// with the unit the session last opened (read in the same query, with the person's
/// role there): `tenant::resolve` then decides the request's unit.
pub async fn lookup(
    state: &AppState,
    raw: &str,
) -> sqlx::Result<Option<(CurrentUser, Option<crate::tenant::SessionUnit>)>> {
    let id_hash = hash_id(raw);
    let row: Option<SessionRow> = sqlx::query_as(
        "SELECT s.user_id, s.csrf_token, s.last_seen_at, s.expires_at,
                u.username, u.display_name, u.instansi_role, w.id AS unit_id,
                w.code AS unit_code, w.name AS unit_name, uu.role AS unit_role,
                CASE WHEN u.instansi_role IS NULL
                     THEN (SELECT count(*) FROM user_units x WHERE x.user_id = u.id)
                     ELSE (SELECT count(*) FROM work_units) END AS unit_count,
                u.must_change_password, u.active,
                (SELECT count(*) FROM notifications n
                  WHERE n.user_id = u.id AND n.read_at IS NULL) AS unread
         FROM sessions s JOIN users u ON u.id = s.user_id
         LEFT JOIN work_units w ON w.id = s.unit_id
         LEFT JOIN user_units uu ON uu.user_id = u.id AND uu.unit_id = s.unit_id
         WHERE s.id_hash = ?",
    )
    .bind(&id_hash)
    .fetch_optional(&state.db)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let now = now();
    let idle = state.config.session_idle.as_secs() as i64;
    if !row.active || now >= row.expires_at || now - row.last_seen_at >= idle {
        sqlx::query("DELETE FROM sessions WHERE id_hash = ?")
            .bind(&id_hash)
            .execute(&state.db)
            .await?;
        return Ok(None);
    }
    if now - row.last_seen_at >= TOUCH_EVERY_SECS {
        sqlx::query("UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?")
            .bind(now)
            .bind(&id_hash)
            .execute(&state.db)
            .await?;
    }
    let instansi_role = row
        .instansi_role
        .as_deref()
        .and_then(crate::tenant::InstansiRole::parse);
    Ok(Some((
        CurrentUser {
            id: row.user_id,
            username: row.username,
            display_name: row.display_name,
            // until the unit is resolved, the least a signed-in person is
            role: Role::Staf,
            instansi_role,
            unit: None,
            unit_count: row.unit_count,
            read_only: false,
            must_change_password: row.must_change_password,
            unread: row.unread,
            session_hash: id_hash,
            csrf_token: row.csrf_token,
        },
        match (row.unit_id, row.unit_code, row.unit_name) {
            (Some(id), Some(code), Some(name)) => Some(crate::tenant::SessionUnit {
                unit: crate::tenant::UnitRef { id, code, name },
                role: row.unit_role,
            }),
            _ => None,
        },
    )))
}

/// Remembers the unit a session opened last.
pub async fn set_unit(db: &SqlitePool, id_hash: &str, unit: Option<i64>) -> sqlx::Result<()> {
    sqlx::query("UPDATE sessions SET unit_id = ? WHERE id_hash = ?")
        .bind(unit)
        .bind(id_hash)
        .execute(db)
        .await?;
    Ok(())
}

/// Starts a session with a fresh id; returns the raw id for the cookie.
pub async fn create(
    conn: &mut SqliteConnection,
    config: &Config,
    user_id: i64,
) -> sqlx::Result<String> {
    let raw = crate::random::token();
    let now = now();
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(hash_id(&raw))
    .bind(user_id)
    .bind(crate::random::token())
    .bind(now)
    .bind(now)
    .bind(now + config.session_absolute.as_secs() as i64)
    .execute(conn)
    .await?;
    Ok(raw)
}

pub async fn end(conn: &mut SqliteConnection, raw_or_hash: SessionKey<'_>) -> sqlx::Result<()> {
    let hash = match raw_or_hash {
        SessionKey::Raw(raw) => hash_id(raw),
        SessionKey::Hash(h) => h.to_string(),
    };
    sqlx::query("DELETE FROM sessions WHERE id_hash = ?")
        .bind(hash)
        .execute(conn)
        .await?;
    Ok(())
}

pub enum SessionKey<'a> {
    Raw(&'a str),
    Hash(&'a str),
}

pub async fn end_all_for_user(conn: &mut SqliteConnection, user_id: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = ?")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes expired sessions and old sign-in attempts.
pub async fn cleanup(db: &SqlitePool, config: &Config) -> sqlx::Result<u64> {
    let now = now();
    let idle = config.session_idle.as_secs() as i64;
    let removed = sqlx::query("DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?")
        .bind(now)
        .bind(now - idle)
        .execute(db)
        .await?
        .rows_affected();
    sqlx::query("DELETE FROM login_attempts WHERE at < ?")
        .bind(now - 2 * 24 * 3600)
        .execute(db)
        .await?;
    Ok(removed)
}

/// The session cookie: HttpOnly, SameSite=Lax, Secure when users come over https.
pub fn cookie(config: &Config, raw: &str) -> HeaderValue {
    let c = cookie::Cookie::build((SESSION_COOKIE, raw.to_string()))
        .path("/")
        .http_only(true)
        .same_site(cookie::SameSite::Lax)
        .secure(config.secure_cookies())
        .build();
    HeaderValue::from_str(&c.to_string()).expect("cookie is ASCII")
}

/// Tells the browser to forget the session cookie.
pub fn clear_cookie(config: &Config) -> HeaderValue {
    let c = cookie::Cookie::build((SESSION_COOKIE, ""))
        .path("/")
        .http_only(true)
        .same_site(cookie::SameSite::Lax)
        .secure(config.secure_cookies())
        .max_age(cookie::time::Duration::ZERO)
        .build();
    HeaderValue::from_str(&c.to_string()).expect("cookie is ASCII")
}
