//! Forgotten passwords: asking for a link (throttled per account and address) and
//! setting a new password with it.

use super::settings::*;
use super::verify::*;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::AppState;
use crate::audit::{Action, Actor, Entry};
use crate::auth::session::{self, hash_id};
use crate::auth::{ClientIp, password};
use crate::error::AppResult;
use crate::notify::mail;
use crate::web::{Chrome, Form, QueryData, render, render_status};

/// These pages are for people who cannot sign in, but a signed-in browser may open
/// them too: its forms then carry the session's token, else the pre-sign-in one.
pub(crate) fn form_token(
    state: &AppState,
    chrome: &Chrome,
    headers: &HeaderMap,
) -> (String, Option<axum::http::HeaderValue>) {
    if chrome.user.is_some() {
        (chrome.csrf.clone(), None)
    } else {
        crate::account::pre_csrf(state, headers)
    }
}

/// The token a re-shown form carries: the one its first showing had.
pub(crate) fn posted_token(chrome: &Chrome, headers: &HeaderMap) -> String {
    if chrome.user.is_some() {
        chrome.csrf.clone()
    } else {
        crate::account::cookie_csrf(headers)
    }
}

#[derive(Template)]
#[template(path = "notify/forgot.html")]
pub(crate) struct ForgotPage {
    chrome: Chrome,
    csrf: String,
    typed: String,
    sent: bool,
    mail_enabled: bool,
    error: Option<String>,
}

pub(crate) async fn forgot_form(
    State(state): State<AppState>,
    chrome: Chrome,
    headers: HeaderMap,
) -> AppResult<Response> {
    let (csrf, cookie) = form_token(&state, &chrome, &headers);
    let page = render(&ForgotPage {
        chrome,
        csrf,
        typed: String::new(),
        sent: false,
        mail_enabled: state.post.enabled,
        error: None,
    })?;
    Ok(crate::account::with_cookie(page, cookie))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ForgotForm {
    identitas: String,
}

/// Reset requests counted in memory, per (account, requester) and per requester: an
/// unauthenticated form writes nothing for a request that mails nothing, and limits
/// keyed by the requester never lock the owner out of their own reset.
#[derive(Default)]
pub struct ResetRequests(std::sync::Mutex<std::collections::HashMap<String, Vec<i64>>>);

/// Entries kept before old ones are swept out (an hour at most is ever looked at).
pub(crate) const RESET_MEMORY: usize = 20_000;

impl ResetRequests {
    /// Counts a request under every `(key, limit, window)` unless one is full; then
    /// nothing is counted and the seconds until a place frees are returned.
    fn admit(&self, now: i64, limits: &[(String, i64, i64)]) -> Result<(), i64> {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > RESET_MEMORY {
            map.retain(|_, at| at.iter().any(|t| *t > now - 3600));
        }
        let mut wait = 0;
        for (key, limit, window) in limits {
            if let Some(at) = map.get_mut(key) {
                at.retain(|t| *t > now - window);
                if at.len() as i64 >= *limit {
                    wait = wait.max(at[0] + window - now);
                }
            }
        }
        if wait > 0 {
            return Err(wait);
        }
        for (key, _, _) in limits {
            map.entry(key.clone()).or_default().push(now);
        }
        Ok(())
    }
}

/// An account a reset link may be mailed to.
#[derive(sqlx::FromRow)]
pub(crate) struct ResetAccount {
    id: i64,
    username: String,
    display_name: String,
    email: String,
}

/// The answer is the same whether or not the account exists or has an address, and it
/// comes before anything is written: the link is made and queued afterwards, so the
/// time to answer does not tell whether a mail was sent.
pub(crate) async fn forgot_submit(
    State(state): State<AppState>,
    chrome: Chrome,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<ForgotForm>,
) -> AppResult<Response> {
    let key = form.identitas.trim().to_lowercase();
    let csrf = posted_token(&chrome, &headers);
    let mut p = ForgotPage {
        chrome,
        csrf,
        typed: form.identitas.clone(),
        sent: false,
        mail_enabled: state.post.enabled,
        error: None,
    };
    if key.is_empty() || key.chars().count() > 254 {
        p.error = Some("Isi nama pengguna atau alamat surel akun Anda.".into());
        return render_status(StatusCode::BAD_REQUEST, &p);
    }
    let now = state.config.clock.unix();
    // the same read for every request; an address verified in the last day is skipped
    let account: Option<ResetAccount> = sqlx::query_as(
        "SELECT id, username, display_name, email FROM users
         WHERE active = 1 AND email_verified = 1 AND email IS NOT NULL
           AND (email_verified_at IS NULL OR email_verified_at <= ?2)
           AND (username = ?1 OR lower(email) = ?1)
         ORDER BY username = ?1 DESC LIMIT 1",
    )
    .bind(&key)
    .bind(now - RESET_AFTER_VERIFY_SECS)
    .fetch_optional(&state.db)
    .await?;
    let about = match &account {
        Some(a) => format!("akun:{}", a.id),
        None => format!("teks:{key}"),
    };
    let limits = [
        (format!("{about}|{ip}"), RESET_PER_KEY, 3600),
        (format!("ip:{ip}"), RESET_PER_IP, 15 * 60),
    ];
    if let Err(wait) = state.caches.get::<ResetRequests>().admit(now, &limits) {
        let minutes = (wait + 59) / 60;
        p.error = Some(format!(
            "Terlalu banyak permintaan atur ulang kata sandi. Coba lagi dalam {minutes} menit."
        ));
        return crate::account::refused(StatusCode::TOO_MANY_REQUESTS, wait, &p);
    }
    if let Some(account) = account.filter(|_| state.post.enabled) {
        let state = state.clone();
        let requester = Actor::signed_out(None, &key, ip);
        tokio::spawn(async move {
            // Well after the answer has left, at a random moment: work done while it
            // is being sent would show in its timing on a busy server.
            let mut jitter = [0u8; 2];
            getrandom::fill(&mut jitter).expect("the system's random source works");
            let ms = 100 + u64::from(u16::from_le_bytes(jitter)) % 400;
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            let id = account.id;
            if let Err(e) = mail_reset_link(&state, account, requester).await {
                // the account's id finds it; no address or link in the log
                tracing::warn!(user = id, error = %e, "reset link not queued");
            }
        });
    }
    p.sent = true;
    render(&p)
}

/// Makes a reset link and queues its mail, with its audit entry; nothing while the
/// account already has `RESET_LIVE_LINKS` working links.
pub(crate) async fn mail_reset_link(
    state: &AppState,
    account: ResetAccount,
    requester: Actor,
) -> sqlx::Result<()> {
    let now = state.config.clock.unix();
    let mut tx = crate::db::write(&state.db).await?;
    let live: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM account_tokens
          WHERE user_id = ? AND purpose = 'reset' AND used_at IS NULL AND expires_at > ?",
    )
    .bind(account.id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    if live >= RESET_LIVE_LINKS {
        return tx.rollback().await;
    }
    let ResetAccount {
        id,
        username,
        display_name,
        email,
    } = account;
    let token = new_token(&mut tx, state, id, "reset", &email, RESET_SECS).await?;
    mail::queue(
        &mut tx,
        state,
        mail::Outgoing {
            user_id: Some(id),
            to: email,
            kind: crate::notify::mail::MailKind::Reset,
            subject: "[ZI Tracker] Atur ulang kata sandi".into(),
            letter: mail::Letter {
                name: display_name,
                intro: format!(
                    "Ada permintaan mengatur ulang kata sandi akun {username}. Buka tautan berikut untuk membuat kata sandi baru:"
                ),
                items: vec![mail::Item {
                    title: "Buat kata sandi baru".into(),
                    body: "Tautan berlaku 30 menit dan hanya sekali pakai.".into(),
                    url: state.post.url(&format!("/reset-sandi?token={token}")),
                }],
                outro: "Bila Anda tidak memintanya, abaikan pesan ini; kata sandi Anda tetap."
                    .into(),
            },
        },
    )
    .await?;
    tx.commit(
        &requester,
        Entry::new(
            Action::PasswordResetRequested,
            format!("Tautan atur ulang kata sandi dikirim untuk {username}"),
        )
        .object(crate::audit::Object::User, id),
    )
    .await
}

#[derive(Template)]
#[template(path = "notify/reset.html")]
pub(crate) struct ResetPage {
    chrome: Chrome,
    csrf: String,
    token: String,
    username: String,
    errors: Vec<String>,
}

/// The account a live reset token belongs to.
pub(crate) async fn reset_account(
    state: &AppState,
    token: &str,
) -> sqlx::Result<Option<(i64, String)>> {
    sqlx::query_as(
        "SELECT u.id, u.username FROM account_tokens t JOIN users u ON u.id = t.user_id
         WHERE t.token_hash = ? AND t.purpose = 'reset' AND t.used_at IS NULL AND t.expires_at > ?
           AND u.active = 1 AND u.email_verified = 1 AND u.email = t.email",
    )
    .bind(hash_id(token))
    .bind(state.config.clock.unix())
    .fetch_optional(&state.db)
    .await
}

pub(crate) async fn reset_form(
    State(state): State<AppState>,
    chrome: Chrome,
    headers: HeaderMap,
    QueryData(q): QueryData<TokenQuery>,
) -> AppResult<Response> {
    let token = q.token.trim().to_string();
    let Some((_, username)) = reset_account(&state, &token).await? else {
        return Ok(link_invalid("atur ulang kata sandi"));
    };
    let (csrf, cookie) = form_token(&state, &chrome, &headers);
    let page = render(&ResetPage {
        chrome,
        csrf,
        token,
        username,
        errors: Vec::new(),
    })?;
    Ok(crate::account::with_cookie(page, cookie))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ResetForm {
    token: String,
    new_password: String,
    confirm: String,
}

pub(crate) async fn reset_submit(
    State(state): State<AppState>,
    chrome: Chrome,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<ResetForm>,
) -> AppResult<Response> {
    let token = form.token.trim().to_string();
    let Some((user_id, username)) = reset_account(&state, &token).await? else {
        return Ok(link_invalid("atur ulang kata sandi"));
    };
    let mut errors = Vec::new();
    if let Err(msg) = password::check_rules(&form.new_password, &username) {
        errors.push(msg.to_string());
    }
    if form.new_password != form.confirm {
        errors.push("Konfirmasi kata sandi baru tidak sama.".to_string());
    }
    let page = |errors| ResetPage {
        chrome: chrome.clone(),
        csrf: posted_token(&chrome, &headers),
        token: token.clone(),
        username: username.clone(),
        errors,
    };
    if !errors.is_empty() {
        return render_status(StatusCode::BAD_REQUEST, &page(errors));
    }
    let Ok(hash) = state.hasher.hash(form.new_password).await else {
        return crate::account::refused(
            StatusCode::SERVICE_UNAVAILABLE,
            crate::account::BUSY_RETRY_SECS,
            &page(vec![
                "Server sedang sibuk. Coba lagi beberapa detik lagi.".into(),
            ]),
        );
    };
    let hash = hash?;
    let now = state.config.clock.unix();
    let mut tx = crate::db::write(&state.db).await?;
    // used once: the token is spent in the same write that sets the password
    let spent = sqlx::query(
        "UPDATE account_tokens SET used_at = ?1
         WHERE token_hash = ?2 AND purpose = 'reset' AND used_at IS NULL AND expires_at > ?1",
    )
    .bind(now)
    .bind(hash_id(&token))
    .execute(&mut *tx)
    .await?;
    if spent.rows_affected() == 0 {
        tx.rollback().await?;
        return Ok(link_invalid("atur ulang kata sandi"));
    }
    password::store(&mut tx, user_id, &hash, false).await?;
    session::end_all_for_user(&mut tx, user_id).await?;
    tx.commit(
        &Actor::signed_out(Some(user_id), &username, ip),
        Entry::new(
            Action::PasswordResetByLink,
            format!("{username} mengatur ulang kata sandinya lewat tautan surel"),
        )
        .object(crate::audit::Object::User, user_id),
    )
    .await?;
    Ok(Redirect::to("/login?pesan=sandi-baru").into_response())
}
