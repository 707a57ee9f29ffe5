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
        Route::new(
            "GET",
            "/akun/surel/batalkan",
            Access::Public,
            get(undo_form),
        ),
        Route::new(
            "POST",
            "/akun/surel/batalkan",
            Access::Public,
            post(undo_submit),
        ),
    ]
}

/// A reset link works this long.
pub const RESET_SECS: i64 = 30 * 60;
/// A verification link works this long.
pub const VERIFY_SECS: i64 = 24 * 3600;
/// A link to the old address undoes a change of address this long.
pub const UNDO_SECS: i64 = 7 * 24 * 3600;
/// A reset link goes to an address its owner verified only this long after: a change
/// made from a borrowed session can be undone from the old address first.
pub const RESET_AFTER_VERIFY_SECS: i64 = 24 * 3600;
/// Reset requests for one account from one address per hour, and from one address per
/// 15 minutes whatever the account, before further ones are refused. Keyed by the
/// requester too: somebody else's requests never use up the owner's.
const RESET_PER_KEY: i64 = 3;
const RESET_PER_IP: i64 = 10;
/// Live reset links per account: further requests mail nothing new while these work
/// (requests never void a link, so the owner's mailbox holds a working one).
const RESET_LIVE_LINKS: i64 = 3;

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
    /// The current password, needed to change or remove the address.
    current: String,
}

async fn save_settings(
    State(state): State<AppState>,
    chrome: Chrome,
    Acting { user, actor }: Acting,
    ClientIp(ip): ClientIp,
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
    // A borrowed session must not move the account's mail (and so its reset links)
    // elsewhere: changing or removing the address needs the current password.
    let removes_address = email.is_empty() && m.email.as_deref().is_some_and(|e| !e.is_empty());
    let mut retry = None;
    if errors.is_empty() && (new_address || removes_address) {
        if form.current.is_empty() {
            errors.push("Isi kata sandi saat ini untuk mengganti alamat surel.".to_string());
            invalid.push("current");
        } else {
            use crate::account::Current;
            match crate::account::current_password(
                &state,
                &user,
                &ip,
                &form.current,
                "kata sandi saat ini salah saat mengganti alamat surel",
            )
            .await?
            {
                Current::Right => {}
                Current::Wrong => {
                    errors
                        .push("Kata sandi saat ini salah; alamat surel tidak diubah.".to_string());
                    invalid.push("current");
                }
                Current::Refused(refusal) => {
                    retry = Some((StatusCode::TOO_MANY_REQUESTS, refusal.retry_after()));
                    errors.push(refusal.message());
                    invalid.push("current");
                }
                Current::Busy => {
                    retry = Some((
                        StatusCode::SERVICE_UNAVAILABLE,
                        crate::account::BUSY_RETRY_SECS,
                    ));
                    errors.push("Server sedang sibuk. Coba lagi beberapa detik lagi.".to_string());
                }
            }
        }
    }
    if too_many {
        retry = Some((StatusCode::TOO_MANY_REQUESTS, 3600));
    }
    if !errors.is_empty() {
        let mut p = page(chrome, m, state.post.enabled);
        p.typed_email = form.email;
        p.mode = form.mode;
        p.hour = hour.unwrap_or(p.hour);
        p.errors = errors;
        p.invalid = invalid;
        if let Some((status, secs)) = retry {
            return crate::account::refused(status, secs, &p);
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
            "UPDATE users SET email = NULL, email_verified = 0, email_verified_at = NULL,
                    pending_email = NULL WHERE id = ?",
        )
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
        if let (true, Some(old)) = (m.email_verified && state.post.enabled, &m.email) {
            let who = Who {
                id: user.id,
                username: &user.username,
                name: &user.display_name,
            };
            tell_old_address(&mut tx, &state, who, old, "").await?;
        }
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

/// Reset requests counted in memory, per (account, requester) and per requester: an
/// unauthenticated form writes nothing for a request that mails nothing, and limits
/// keyed by the requester never lock the owner out of their own reset.
#[derive(Default)]
pub struct ResetRequests(std::sync::Mutex<std::collections::HashMap<String, Vec<i64>>>);

/// Entries kept before old ones are swept out (an hour at most is ever looked at).
const RESET_MEMORY: usize = 20_000;

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
struct ResetAccount {
    id: i64,
    username: String,
    display_name: String,
    email: String,
}

/// The answer is the same whether or not the account exists or has an address, and it
/// comes before anything is written: the link is made and queued afterwards, so the
/// time to answer does not tell whether a mail was sent.
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
async fn mail_reset_link(
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
            kind: "reset",
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
        .object("user", id),
    )
    .await
}

/// The account whose address changed.
struct Who<'a> {
    id: i64,
    username: &'a str,
    name: &'a str,
}

/// Tells the address an account had that it changed (to `new`, empty when removed),
/// with a link that puts it back for `UNDO_SECS`; on the caller's transaction.
async fn tell_old_address(
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
            kind: "batal-surel",
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
struct UndoPage {
    chrome: Chrome,
    csrf: String,
    token: String,
    username: String,
    old_email: String,
    new_email: String,
}

/// A live undo link whose change is still in force: (account, name, old, new).
async fn undo_link(
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
async fn undo_form(
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
async fn undo_submit(
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
        .object("user", user_id),
    )
    .await?;
    Ok(Redirect::to("/login?pesan=surel-dikembalikan").into_response())
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
