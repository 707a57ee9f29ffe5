//! Undoing an e-mail change from the old address, and telling it.

use super::reset::*;
use super::settings::*;
use super::verify::*;

use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::AppState;
use crate::audit::{Action, Actor, Entry};
use crate::auth::ClientIp;
use crate::auth::session::{self, hash_id};
use crate::error::AppResult;
use crate::notify::mail;
use crate::web::{Chrome, Form, QueryData, render};

/// The account whose address changed.
pub(crate) struct Who<'a> {
    pub(crate) id: i64,
    pub(crate) username: &'a str,
    pub(crate) name: &'a str,
}

/// Tells the address an account had that it changed (to `new`, empty when removed),
/// with a link that puts it back for `UNDO_SECS`; on the caller's transaction.
pub(crate) async fn tell_old_address(
    conn: &mut sqlx::SqliteConnection,
    state: &AppState,
    who: Who<'_>,
    old: &str,
    new: &str,
) -> sqlx::Result<()> {
    let now = state.config.clock.unix();
    let token = crate::random::token();
    sqlx::query(
        "INSERT INTO email_undo_tokens (token_hash, user_id, old_email, new_email, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(hash_id(&token))
    .bind(who.id)
    .bind(old)
    .bind(new)
    .bind(now)
    .bind(now + UNDO_SECS)
    .execute(&mut *conn)
    .await?;
    let what = if new.is_empty() {
        "dihapus".to_string()
    } else {
        format!("diganti menjadi {new}")
    };
    mail::queue(
        conn,
        state,
        mail::Outgoing {
            user_id: Some(who.id),
            to: old.to_string(),
            kind: crate::notify::mail::MailKind::BatalSurel,
            subject: "[ZI Tracker] Alamat surel akun Anda diganti".into(),
            letter: mail::Letter {
                name: who.name.to_string(),
                intro: format!(
                    "Alamat surel akun {} di ZI Tracker baru saja {what}. Bila bukan Anda yang melakukannya, buka tautan berikut: alamat ini dipulihkan dan semua sesi akun itu diakhiri.",
                    who.username
                ),
                items: vec![mail::Item {
                    title: "Batalkan penggantian alamat surel".into(),
                    body: "Tautan berlaku 7 hari.".into(),
                    url: state
                        .post
                        .url(&format!("/akun/surel/batalkan?token={token}")),
                }],
                outro: "Bila Anda sendiri yang menggantinya, abaikan pesan ini.".into(),
            },
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "notify/undo_email.html")]
pub(crate) struct UndoPage {
    chrome: Chrome,
    csrf: String,
    token: String,
    username: String,
    old_email: String,
    new_email: String,
}

/// A live undo link whose change is still in force: (account, name, old, new).
pub(crate) async fn undo_link(
    state: &AppState,
    token: &str,
) -> sqlx::Result<Option<(i64, String, String, String)>> {
    sqlx::query_as(
        "SELECT u.id, u.username, t.old_email, t.new_email
           FROM email_undo_tokens t JOIN users u ON u.id = t.user_id
          WHERE t.token_hash = ? AND t.used_at IS NULL AND t.expires_at > ?
            AND u.active = 1 AND coalesce(u.email, '') = t.new_email",
    )
    .bind(hash_id(token))
    .bind(state.config.clock.unix())
    .fetch_optional(&state.db)
    .await
}

/// Opening the link shows a confirmation: a mail scanner following links must not
/// undo a change the owner made.
pub(crate) async fn undo_form(
    State(state): State<AppState>,
    chrome: Chrome,
    headers: HeaderMap,
    QueryData(q): QueryData<TokenQuery>,
) -> AppResult<Response> {
    let token = q.token.trim().to_string();
    let Some((_, username, old_email, new_email)) = undo_link(&state, &token).await? else {
        return Ok(link_invalid("pembatalan penggantian alamat surel"));
    };
    let (csrf, cookie) = form_token(&state, &chrome, &headers);
    let page = render(&UndoPage {
        chrome,
        csrf,
        token,
        username,
        old_email,
        new_email,
    })?;
    Ok(crate::account::with_cookie(page, cookie))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct UndoForm {
    token: String,
}

/// Puts the old address back (verified, usable for a reset at once), voids every
/// pending link of the account and ends all its sessions, in one write.
pub(crate) async fn undo_submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Form(form): Form<UndoForm>,
) -> AppResult<Response> {
    let now = state.config.clock.unix();
    let mut tx = crate::db::write(&state.db).await?;
    let found: Option<(i64, String, String)> = sqlx::query_as(
        "UPDATE email_undo_tokens SET used_at = ?1
          WHERE token_hash = ?2 AND used_at IS NULL AND expires_at > ?1
          RETURNING user_id, old_email, new_email",
    )
    .bind(now)
    .bind(hash_id(form.token.trim()))
    .fetch_optional(&mut *tx)
    .await?;
    let Some((user_id, old, new)) = found else {
        tx.rollback().await?;
        return Ok(link_invalid("pembatalan penggantian alamat surel"));
    };
    let username: Option<String> = sqlx::query_scalar(
        "UPDATE users SET email = ?1, email_verified = 1, email_verified_at = NULL,
                pending_email = NULL
          WHERE id = ?2 AND active = 1 AND coalesce(email, '') = ?3
          RETURNING username",
    )
    .bind(&old)
    .bind(user_id)
    .bind(&new)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(username) = username else {
        tx.rollback().await?;
        return Ok(link_invalid("pembatalan penggantian alamat surel"));
    };
    for sql in [
        "UPDATE account_tokens SET used_at = ?1 WHERE user_id = ?2 AND used_at IS NULL",
        "UPDATE email_undo_tokens SET used_at = ?1 WHERE user_id = ?2 AND used_at IS NULL",
    ] {
        sqlx::query(sql)
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
    }
    session::end_all_for_user(&mut tx, user_id).await?;
    tx.commit(
        &Actor::signed_out(Some(user_id), &username, ip),
        Entry::new(
            Action::EmailChangeUndone,
            format!("Alamat surel lama {username} dipulihkan lewat tautan ke alamat itu"),
        )
        .object(crate::audit::Object::User, user_id),
    )
    .await?;
    Ok(Redirect::to("/login?pesan=surel-dikembalikan").into_response())
}
