//! E-mail settings: the address (changed with the password, undone within a week from
//! the old address), what mail a person wants.

use super::reset::*;
use super::undo::*;
use super::verify::*;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::audit::{Action, Entry};
use crate::auth::{ClientIp, CurrentUser};
use crate::error::AppResult;
use crate::notify::mail;
use crate::routes::{Access, Route};
use crate::web::{Acting, Chrome, Form, render, render_status};

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
pub(crate) const RESET_PER_KEY: i64 = 3;
pub(crate) const RESET_PER_IP: i64 = 10;
/// Live reset links per account: further requests mail nothing new while these work
/// (requests never void a link, so the owner's mailbox holds a working one).
pub(crate) const RESET_LIVE_LINKS: i64 = 3;

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
pub(crate) struct Mine {
    email: Option<String>,
    email_verified: bool,
    pending_email: Option<String>,
    notify_mode: crate::notify::MailMode,
    digest_hour: i64,
}

#[derive(Template)]
#[template(path = "notify/settings.html")]
pub(crate) struct SettingsPage {
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

    fn modes(&self) -> [crate::notify::MailMode; 3] {
        crate::notify::MailMode::ALL
    }
}

pub(crate) async fn mine(state: &AppState, user: i64) -> sqlx::Result<Mine> {
    sqlx::query_as(
        "SELECT email, email_verified, pending_email, notify_mode, digest_hour FROM users WHERE id = ?",
    )
    .bind(user)
    .fetch_one(&state.db)
    .await
}

pub(crate) fn page(chrome: Chrome, m: Mine, mail_enabled: bool) -> SettingsPage {
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

pub(crate) async fn settings(
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

pub(crate) async fn save_settings(
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
    let mode = crate::notify::MailMode::parse(&form.mode);
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
                kind: crate::notify::mail::MailKind::Verifikasi,
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
        .object(crate::audit::Object::User, user.id)
        .after(json!({"cara": mode.as_str(), "jam": hour, "alamat_baru": new_address})),
    )
    .await?;
    Ok(Redirect::to(&format!("/akun/notifikasi?pesan={flash}")).into_response())
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
