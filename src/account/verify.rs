//! Verifying an address: the link mailed to it.

use super::undo::*;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::AppState;
use crate::audit::{Action, Actor, Entry};
use crate::auth::session::hash_id;
use crate::auth::{ClientIp, CurrentUser};
use crate::error::{AppResult, error_page};
use crate::web::QueryData;

/// Verification mails one account may cause per hour: a form that mails any address
/// typed into it must not become a way to flood outside mailboxes.
pub(crate) const VERIFY_PER_HOUR: i64 = 3;

pub(crate) async fn verifications_last_hour(state: &AppState, user: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT count(*) FROM account_tokens WHERE user_id = ? AND purpose = 'verifikasi' AND created_at > ?",
    )
    .bind(user)
    .bind(state.config.clock.unix() - 3600)
    .fetch_one(&state.db)
    .await
}

/// A random single-use token; only its hash is stored.
pub(crate) async fn new_token(
    conn: &mut sqlx::SqliteConnection,
    state: &AppState,
    user: i64,
    purpose: &str,
    email: &str,
    valid_secs: i64,
) -> sqlx::Result<String> {
    let now = state.config.clock.unix();
    // A newer verification link replaces an older one. A reset request never voids a
    // reset link: anybody may ask, and the owner's link must keep working.
    if purpose != "reset" {
        sqlx::query(
            "UPDATE account_tokens SET used_at = ? WHERE user_id = ? AND purpose = ? AND used_at IS NULL",
        )
        .bind(now)
        .bind(user)
        .bind(purpose)
        .execute(&mut *conn)
        .await?;
    }
    let token = crate::random::token();
    sqlx::query(
        "INSERT INTO account_tokens (token_hash, user_id, purpose, email, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(hash_id(&token))
    .bind(user)
    .bind(purpose)
    .bind(email)
    .bind(now)
    .bind(now + valid_secs)
    .execute(&mut *conn)
    .await?;
    Ok(token)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TokenQuery {
    pub(crate) token: String,
}

pub(crate) fn link_invalid(what: &str) -> Response {
    error_page(
        StatusCode::BAD_REQUEST,
        "Tautan tidak berlaku",
        &format!(
            "Tautan {what} ini sudah dipakai, sudah kedaluwarsa, atau tidak lengkap. Tidak ada yang diubah."
        ),
    )
}

/// Opening the link sent to a new address makes it the account's address.
pub(crate) async fn verify(
    State(state): State<AppState>,
    user: Option<CurrentUser>,
    ClientIp(ip): ClientIp,
    QueryData(q): QueryData<TokenQuery>,
) -> AppResult<Response> {
    let now = state.config.clock.unix();
    let mut tx = crate::db::write(&state.db).await?;
    let found: Option<(i64, String, String)> = sqlx::query_as(
        "UPDATE account_tokens SET used_at = ?1
         WHERE token_hash = ?2 AND purpose = 'verifikasi' AND used_at IS NULL AND expires_at > ?1
         RETURNING user_id, email, (SELECT username FROM users WHERE id = user_id)",
    )
    .bind(now)
    .bind(hash_id(q.token.trim()))
    .fetch_optional(&mut *tx)
    .await?;
    let Some((user_id, email, username)) = found else {
        tx.rollback().await?;
        return Ok(link_invalid("verifikasi"));
    };
    let (old, old_verified, name): (Option<String>, bool, String) =
        sqlx::query_as("SELECT email, email_verified, display_name FROM users WHERE id = ?")
            .bind(user_id)
            .fetch_one(&mut *tx)
            .await?;
    let done = sqlx::query(
        "UPDATE users SET email = pending_email, email_verified = 1, email_verified_at = ?,
                pending_email = NULL
         WHERE id = ? AND pending_email = ? AND active = 1",
    )
    .bind(now)
    .bind(user_id)
    .bind(&email)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        tx.rollback().await?;
        return Ok(link_invalid("verifikasi"));
    }
    if let Some(old) = old.filter(|o| old_verified && !o.eq_ignore_ascii_case(&email)) {
        let who = Who {
            id: user_id,
            username: &username,
            name: &name,
        };
        tell_old_address(&mut tx, &state, who, &old, &email).await?;
    }
    tx.commit(
        &Actor::signed_out(Some(user_id), &username, ip),
        Entry::new(
            Action::EmailVerified,
            format!("{username} memverifikasi alamat surelnya"),
        )
        .object(crate::audit::Object::User, user_id),
    )
    .await?;
    // the owner's own browser shows their settings; any other, the sign-in page
    let to = if user.is_some_and(|u| u.id == user_id) {
        "/akun/notifikasi?pesan=surel-terverifikasi"
    } else {
        "/login?pesan=surel-terverifikasi"
    };
    Ok(Redirect::to(to).into_response())
}
