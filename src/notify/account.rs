//! A person's e-mail and notification choices, the verification of an address they
//! set themselves, and "Lupa kata sandi": a single-use reset link by e-mail.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use super::mail;
use crate::AppState;
use crate::audit::{Action, Actor, Entry};
use crate::auth::session::{self, hash_id};
use crate::auth::{ClientIp, CurrentUser, password};
use crate::error::{AppResult, error_page};
use crate::routes::{Access, Route};
use crate::web::{Acting, Chrome, Form, QueryData, render, render_status};

pub fn routes() -> Vec<Route> {
    use axum::routing::{get, post};
    vec![
        Route::new("GET", "/akun/notifikasi", Access::Own, get(settings)),
        Route::new("POST", "/akun/notifikasi", Access::Own, post(save_settings)),
        Route::new("GET", "/akun/surel/verifikasi", Access::Public, get(verify)),
        Route::new("GET", "/lupa-sandi", Access::Public, get(forgot_form)),
        Route::new("POST", "/lupa-sandi", Access::Public, post(forgot_submit)),
        Route::new("GET", "/reset-sandi", Access::Public, get(reset_form)),
        Route::new("POST", "/reset-sandi", Access::Public, post(reset_submit)),
    ]
}

/// A reset link works this long.
pub const RESET_SECS: i64 = 30 * 60;
/// A verification link works this long.
pub const VERIFY_SECS: i64 = 24 * 3600;
/// Reset requests naming the same account (or address) per hour, and from one address
/// per 15 minutes, before further ones are refused.
const RESET_PER_KEY: i64 = 3;
const RESET_PER_IP: i64 = 10;

/// An address the mail library accepts, ASCII only: a mail server without SMTPUTF8
/// would refuse anything else for good.
pub fn valid_email(e: &str) -> bool {
    let Some((_, domain)) = e.rsplit_once('@') else {
        return false;
    };
    e.len() <= 254
        && e.is_ascii()
        && domain.contains('.')
        && !domain.ends_with('.')
        && e.parse::<lettre::Address>().is_ok()
}

#[derive(sqlx::FromRow)]
struct Mine {
    email: Option<String>,
    email_verified: bool,
    pending_email: Option<String>,
    notify_mode: super::MailMode,
    digest_hour: i64,
}

#[derive(Template)]
#[template(path = "notify/settings.html")]
struct SettingsPage {
    chrome: Chrome,
    email: String,
    verified: bool,
    pending: String,
    /// What the form shows in the address field.
    typed_email: String,
    mode: String,
    hour: i64,
    mail_enabled: bool,
    errors: Vec<String>,
    /// Fields named in `errors`, marked for assistive technology.
    invalid: Vec<&'static str>,
}

impl SettingsPage {
    fn invalid(&self, field: &str) -> bool {
        self.invalid.contains(&field)
    }

    fn hours(&self) -> std::ops::RangeInclusive<i64> {
        0..=23
    }

    fn modes(&self) -> [super::MailMode; 3] {
        super::MailMode::ALL
    }
}

async fn mine(state: &AppState, user: i64) -> sqlx::Result<Mine> {
    sqlx::query_as(
        "SELECT email, email_verified, pending_email, notify_mode, digest_hour FROM users WHERE id = ?",
    )
    .bind(user)
    .fetch_one(&state.db)
    .await
}

fn page(chrome: Chrome, m: Mine, mail_enabled: bool) -> SettingsPage {
    let email = m.email.unwrap_or_default();
    SettingsPage {
        chrome,
        typed_email: m.pending_email.clone().unwrap_or_else(|| email.clone()),
        email,
        verified: m.email_verified,
        pending: m.pending_email.unwrap_or_default(),
        mode: m.notify_mode.as_str().to_string(),
        hour: m.digest_hour,
        mail_enabled,
        errors: Vec::new(),
        invalid: Vec::new(),
    }
}

async fn settings(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
) -> AppResult<Response> {
    let m = mine(&state, user.id).await?;
    render(&page(chrome, m, state.post.enabled))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SettingsForm {
    email: String,
    mode: String,
    jam: String,
}

async fn save_settings(
    State(state): State<AppState>,
    chrome: Chrome,
    Acting { user, actor }: Acting,
    Form(form): Form<SettingsForm>,
) -> AppResult<Response> {
    let m = mine(&state, user.id).await?;
    let email = form.email.trim().to_string();
    let mut errors = Vec::new();
    let mut invalid = Vec::new();
    // a refusal for too many verification mails is 429 and says when to try again
    let mut too_many = false;
    let mode = super::MailMode::parse(&form.mode);
    if mode.is_none() {
        errors.push("Pilih cara menerima pemberitahuan.".to_string());
        invalid.push("mode");
    }
    let hour = form
        .jam
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|h| (0..=23).contains(h));
    if hour.is_none() {
        errors.push("Pilih jam ringkasan harian (00–23).".to_string());
        invalid.push("jam");
    }
    let current = m.email.clone().unwrap_or_default();
    let new_address = !email.is_empty() && !email.eq_ignore_ascii_case(&current);
    if !email.is_empty() && !valid_email(&email) {
        errors.push(format!(
            "Alamat surel \"{email}\" tidak sah; contoh: nama@instansi.go.id."
        ));
        invalid.push("email");
    } else if new_address
        && state.post.enabled
        && verifications_last_hour(&state, user.id).await? >= VERIFY_PER_HOUR
    {
        too_many = true;
        errors.push(format!(
            "Tautan verifikasi sudah dikirim {VERIFY_PER_HOUR} kali dalam satu jam terakhir. \
             Buka tautan yang sudah dikirim, atau coba lagi nanti."
        ));
        invalid.push("email");
    } else if new_address && !state.post.enabled {
        errors.push(
            "Server ini belum dapat mengirim surel, jadi alamat baru tidak dapat diverifikasi. \
             Minta admin mencatat alamat Anda."
                .to_string(),
        );
        invalid.push("email");
    }
    if !errors.is_empty() {
        let mut p = page(chrome, m, state.post.enabled);
        p.typed_email = form.email;
        p.mode = form.mode;
        p.hour = hour.unwrap_or(p.hour);
        p.errors = errors;
        p.invalid = invalid;
        if too_many {
            return crate::account::refused(StatusCode::TOO_MANY_REQUESTS, 3600, &p);
        }
        return render_status(StatusCode::BAD_REQUEST, &p);
    }
    let (mode, hour) = (mode.expect("checked"), hour.expect("checked"));
    let mut tx = crate::db::write(&state.db).await?;
    sqlx::query("UPDATE users SET notify_mode = ?, digest_hour = ? WHERE id = ?")
        .bind(mode.as_str())
        .bind(hour)
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
    let mut flash = "pemberitahuan-disimpan";
    if email.is_empty() {
        // no address: nothing is mailed, nothing waits for a link
        sqlx::query(
            "UPDATE users SET email = NULL, email_verified = 0, pending_email = NULL WHERE id = ?",
        )
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
    } else if new_address {
        sqlx::query("UPDATE users SET pending_email = ? WHERE id = ?")
            .bind(&email)
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        let token = new_token(&mut tx, &state, user.id, "verifikasi", &email, VERIFY_SECS).await?;
        let url = state
            .post
            .url(&format!("/akun/surel/verifikasi?token={token}"));
        mail::queue(
            &mut tx,
            &state,
            mail::Outgoing {
                user_id: Some(user.id),
                to: email.clone(),
                kind: "verifikasi",
                subject: "[ZI Tracker] Verifikasi alamat surel Anda".into(),
                letter: mail::Letter {
                    name: user.display_name.clone(),
                    intro: format!(
                        "Alamat ini dimasukkan untuk akun {} di ZI Tracker. Buka tautan berikut untuk memakainya:",
                        user.username
                    ),
                    items: vec![mail::Item {
                        title: "Verifikasi alamat surel".into(),
                        body: "Tautan berlaku 24 jam.".into(),
                        url,
                    }],
                    outro: "Bila Anda tidak memasukkan alamat ini, abaikan pesan ini.".into(),
                },
            },
        )
        .await?;
        flash = "verifikasi-dikirim";
    } else {
        // the same address again: a pending change is dropped
        sqlx::query("UPDATE users SET pending_email = NULL WHERE id = ?")
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit(
        &actor,
        Entry::new(
            Action::NotifySettingsChanged,
            format!("{} mengubah pengaturan pemberitahuannya", user.username),
        )
        .object("user", user.id)
        .after(json!({"cara": mode.as_str(), "jam": hour, "alamat_baru": new_address})),
    )
    .await?;
    Ok(Redirect::to(&format!("/akun/notifikasi?pesan={flash}")).into_response())
}

/// Verification mails one account may cause per hour: a form that mails any address
/// typed into it must not become a way to flood outside mailboxes.
const VERIFY_PER_HOUR: i64 = 3;

async fn verifications_last_hour(state: &AppState, user: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT count(*) FROM account_tokens WHERE user_id = ? AND purpose = 'verifikasi' AND created_at > ?",
    )
    .bind(user)
    .bind(state.config.clock.unix() - 3600)
    .fetch_one(&state.db)
    .await
}

/// A random single-use token; only its hash is stored.
async fn new_token(
    conn: &mut sqlx::SqliteConnection,
    state: &AppState,
    user: i64,
    purpose: &str,
    email: &str,
    valid_secs: i64,
) -> sqlx::Result<String> {
    let now = state.config.clock.unix();
    // an older unused link of the same purpose stops working
    sqlx::query(
        "UPDATE account_tokens SET used_at = ? WHERE user_id = ? AND purpose = ? AND used_at IS NULL",
    )
    .bind(now)
    .bind(user)
    .bind(purpose)
    .execute(&mut *conn)
    .await?;
    let token = session::random_token();
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
    token: String,
}

fn link_invalid(what: &str) -> Response {
    error_page(
        StatusCode::BAD_REQUEST,
        "Tautan tidak berlaku",
        &format!(
            "Tautan {what} ini sudah dipakai, sudah kedaluwarsa, atau tidak lengkap. Tidak ada yang diubah."
        ),
    )
}

/// Opening the link sent to a new address makes it the account's address.
async fn verify(
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
    let done = sqlx::query(
        "UPDATE users SET email = pending_email, email_verified = 1, pending_email = NULL
         WHERE id = ? AND pending_email = ? AND active = 1",
    )
    .bind(user_id)
    .bind(&email)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        tx.rollback().await?;
        return Ok(link_invalid("verifikasi"));
    }
    tx.commit(
        &Actor::signed_out(Some(user_id), &username, ip),
        Entry::new(
            Action::EmailVerified,
            format!("{username} memverifikasi alamat surelnya"),
        )
        .object("user", user_id),
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

/// These pages are for people who cannot sign in, but a signed-in browser may open
/// them too: its forms then carry the session's token, else the pre-sign-in one.
fn form_token(
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
fn posted_token(chrome: &Chrome, headers: &HeaderMap) -> String {
    if chrome.user.is_some() {
        chrome.csrf.clone()
    } else {
        crate::account::cookie_csrf(headers)
    }
}

#[derive(Template)]
#[template(path = "notify/forgot.html")]
struct ForgotPage {
    chrome: Chrome,
    csrf: String,
    typed: String,
    sent: bool,
    mail_enabled: bool,
    error: Option<String>,
}

async fn forgot_form(
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

/// The answer is the same whether or not the account exists or has an address; only
/// the mail (and the audit line) differ.
async fn forgot_submit(
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
    let mut tx = crate::db::write(&state.db).await?;
    let (by_key, by_ip): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM reset_requests WHERE key = ? AND at > ?),
                (SELECT count(*) FROM reset_requests WHERE ip = ? AND at > ?)",
    )
    .bind(&key)
    .bind(now - 3600)
    .bind(&ip)
    .bind(now - 15 * 60)
    .fetch_one(&mut *tx)
    .await?;
    if by_key >= RESET_PER_KEY || by_ip >= RESET_PER_IP {
        tx.rollback().await?;
        let wait = if by_ip >= RESET_PER_IP { 15 } else { 60 };
        p.error = Some(format!(
            "Terlalu banyak permintaan atur ulang kata sandi. Coba lagi dalam {wait} menit."
        ));
        return crate::account::refused(StatusCode::TOO_MANY_REQUESTS, wait * 60, &p);
    }
    sqlx::query("INSERT INTO reset_requests (ip, key, at) VALUES (?, ?, ?)")
        .bind(&ip)
        .bind(&key)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM reset_requests WHERE at < ?")
        .bind(now - 24 * 3600)
        .execute(&mut *tx)
        .await?;
    let account: Option<(i64, String, String, String)> = sqlx::query_as(
        "SELECT id, username, display_name, email FROM users
         WHERE active = 1 AND email_verified = 1 AND email IS NOT NULL
           AND (username = ?1 OR lower(email) = ?1)
         ORDER BY username = ?1 DESC LIMIT 1",
    )
    .bind(&key)
    .fetch_optional(&mut *tx)
    .await?;
    match account.filter(|_| state.post.enabled) {
        Some((id, username, name, email)) => {
            let token = new_token(&mut tx, &state, id, "reset", &email, RESET_SECS).await?;
            mail::queue(
                &mut tx,
                &state,
                mail::Outgoing {
                    user_id: Some(id),
                    to: email,
                    kind: "reset",
                    subject: "[ZI Tracker] Atur ulang kata sandi".into(),
                    letter: mail::Letter {
                        name,
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
                &Actor::signed_out(None, &key, ip),
                Entry::new(
                    Action::PasswordResetRequested,
                    format!("Tautan atur ulang kata sandi dikirim untuk {username}"),
                )
                .object("user", id),
            )
            .await?;
        }
        None => tx.commit_unaudited().await?,
    }
    p.sent = true;
    render(&p)
}

#[derive(Template)]
#[template(path = "notify/reset.html")]
struct ResetPage {
    chrome: Chrome,
    csrf: String,
    token: String,
    username: String,
    errors: Vec<String>,
}

/// The account a live reset token belongs to.
async fn reset_account(state: &AppState, token: &str) -> sqlx::Result<Option<(i64, String)>> {
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

async fn reset_form(
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

async fn reset_submit(
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
        .object("user", user_id),
    )
    .await?;
    Ok(Redirect::to("/login?pesan=sandi-baru").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_for_their_shape() {
        for ok in ["a@b.go.id", "nama.depan+zi@instansi.go.id"] {
            assert!(valid_email(ok), "{ok}");
        }
        for bad in [
            "",
            "a",
            "a@b",
            "@b.id",
            "a b@c.id",
            "a@.id",
            "a@b.",
            "a<b@c.id",
            "a@b.id\n",
            "a..b@uji.go.id",
            ".a@uji.go.id",
            "a@-uji.go.id",
            "ü@ümlaut.id",
        ] {
            assert!(!valid_email(bad), "{bad:?}");
        }
    }
}
