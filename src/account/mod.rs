//! The account pages: sign-in, sign-out and changing one's own password.

pub mod reset;
pub mod settings;
pub mod undo;
pub mod verify;

pub use settings::valid_email;

use crate::auth::throttle::Outcome;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::AppState;
use crate::audit::{Action, Actor, Entry};
use crate::auth::session::{self, SessionKey};
use crate::auth::throttle;
use crate::auth::{
    ClientIp, CurrentUser, PRE_CSRF_COOKIE, Role, SESSION_COOKIE, cookie_value, local_path,
    password,
};
use crate::error::AppResult;
use crate::routes::{Access, Route};
use crate::web::Acting;
use crate::web::{Chrome, Form, QueryData, render, render_status};

pub fn routes() -> Vec<Route> {
    use axum::routing::{get, post};
    vec![
        Route::new("GET", "/login", Access::Public, get(login_form)),
        Route::new("POST", "/login", Access::Public, post(login_submit)),
        Route::new("POST", "/logout", Access::Own, post(logout)),
        Route::new("GET", "/akun/kata-sandi", Access::Own, get(password_form)),
        Route::new(
            "POST",
            "/akun/kata-sandi",
            Access::Own,
            post(password_submit),
        ),
    ]
    .into_iter()
    .chain(settings::routes())
    .collect()
}

/// Where each role starts after sign-in.
pub fn landing(role: Role) -> &'static str {
    match role {
        Role::Staf => "/tugas",
        Role::Pimpinan => "/dashboard",
        Role::Penilai => "/reviu",
        Role::Admin => "/katalog",
    }
}

const USERNAME_MAX: usize = 64;

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    chrome: Chrome,
    csrf: String,
    username: String,
    next: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

/// The pre-sign-in token a form page carries: the browser's own while it is signed
/// by this server and has hours left, else a new one with its cookie.
pub(crate) fn pre_csrf(state: &AppState, headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    let now = session::now();
    match cookie_value(headers, PRE_CSRF_COOKIE) {
        Some(t) if state.pre_sign_in.fresh(&t, now) => (t, None),
        _ => {
            let t = state.pre_sign_in.issue(now);
            let cookie = crate::auth::csrf::pre_sign_in_cookie(&state.config, &t);
            (t, Some(cookie))
        }
    }
}

async fn login_form(
    State(state): State<AppState>,
    chrome: Chrome,
    user: Option<CurrentUser>,
    headers: HeaderMap,
    QueryData(q): QueryData<LoginQuery>,
) -> AppResult<Response> {
    if let Some(u) = user {
        return Ok(Redirect::to(landing(u.role)).into_response());
    }
    let (csrf, set_cookie) = pre_csrf(&state, &headers);
    let page = render(&LoginPage {
        chrome,
        csrf,
        username: String::new(),
        next: q.next.as_deref().and_then(local_path).unwrap_or_default(),
        error: None,
    })?;
    Ok(with_cookie(page, set_cookie))
}

pub(crate) fn with_cookie(mut res: Response, cookie: Option<HeaderValue>) -> Response {
    if let Some(c) = cookie {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    username: String,
    password: String,
    next: String,
}

async fn login_submit(
    State(state): State<AppState>,
    chrome: Chrome,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    let username: String = form.username.trim().to_lowercase();
    let next = local_path(&form.next).unwrap_or_default();
    let csrf = cookie_value(&headers, PRE_CSRF_COOKIE).unwrap_or_default();
    let page = |error: String, username: String| LoginPage {
        chrome: chrome.clone(),
        csrf: csrf.clone(),
        username,
        next: next.clone(),
        error: Some(error),
    };
    if username.is_empty() || form.password.is_empty() {
        return render_status(
            StatusCode::BAD_REQUEST,
            &page(
                "Isi nama pengguna dan kata sandi.".into(),
                form.username.clone(),
            ),
        );
    }
    if username.chars().count() > USERNAME_MAX || form.password.chars().count() > password::MAX_LEN
    {
        return render_status(
            StatusCode::BAD_REQUEST,
            &page(
                "Nama pengguna atau kata sandi terlalu panjang.".into(),
                String::new(),
            ),
        );
    }

    let now = session::now();
    let actor = Actor {
        id: None,
        name: username.clone(),
        ip: Some(ip.clone()),
        unit_id: None,
    };
    // A read first: an attempt the limits already refuse is answered without a write.
    let read = {
        let mut conn = state.db.acquire().await?;
        match throttle::check(&mut conn, &username, &ip, now)
            .await?
            .refusal
        {
            Some(r) => Some(r),
            None => throttle::too_frequent(&mut conn, &username, now).await?,
        }
    };
    if let Some(refusal) = read {
        return refuse_sign_in(&state, refusal, &username, &ip, now, &page, &form.username);
    }
    // Check again and reserve this attempt in one write: concurrent attempts count
    // each other before any of them is hashed.
    let mut tx = crate::db::write(&state.db).await?;
    let verdict = throttle::check(&mut tx, &username, &ip, now).await?;
    let refusal = match verdict.refusal {
        Some(r) => Some(r),
        None => throttle::too_frequent(&mut tx, &username, now).await?,
    };
    if let Some(refusal) = refusal {
        tx.rollback().await?;
        return refuse_sign_in(&state, refusal, &username, &ip, now, &page, &form.username);
    }
    let attempt = throttle::record(&mut tx, &username, &ip, now, Outcome::Pending).await?;
    tx.commit_unaudited().await?;

    #[derive(sqlx::FromRow)]
    struct Candidate {
        id: i64,
        password_hash: String,
    }
    let candidate: Option<Candidate> =
        sqlx::query_as("SELECT id, password_hash FROM users WHERE username = ? AND active = 1")
            .bind(&username)
            .fetch_optional(&state.db)
            .await?;
    let verified = state
        .hasher
        .verify(
            form.password.clone(),
            candidate.as_ref().map(|c| c.password_hash.clone()),
        )
        .await;
    let Ok(ok) = verified else {
        // The hashing queue is full: nothing was checked, so nothing is counted.
        let mut tx = crate::db::write(&state.db).await?;
        throttle::release(&mut tx, attempt).await?;
        tx.commit_unaudited().await?;
        return refused(
            StatusCode::SERVICE_UNAVAILABLE,
            BUSY_RETRY_SECS,
            &page(
                "Server sedang sibuk memeriksa banyak percobaan masuk. Coba lagi beberapa detik lagi."
                    .into(),
                form.username.clone(),
            ),
        );
    };

    let mut tx = crate::db::write(&state.db).await?;
    match candidate.filter(|_| ok) {
        Some(c) => {
            throttle::settle(&mut tx, attempt, Outcome::Success).await?;
            // A new session id at every sign-in; the old one, if any, ends.
            if let Some(old) = cookie_value(&headers, SESSION_COOKIE) {
                session::end(&mut tx, SessionKey::Raw(&old)).await?;
            }
            let raw = session::create(&mut tx, &state.config, c.id).await?;
            tx.commit(
                &Actor {
                    id: Some(c.id),
                    ..actor
                },
                Entry::new(Action::Login, format!("{username} masuk"))
                    .object(crate::audit::Object::User, c.id),
            )
            .await?;
            let target = if next.is_empty() {
                landing(crate::tenant::first_role(&state.db, c.id).await?).to_string()
            } else {
                next
            };
            let mut res = Redirect::to(&target).into_response();
            res.headers_mut()
                .append(header::SET_COOKIE, session::cookie(&state.config, &raw));
            Ok(res)
        }
        None => {
            throttle::settle(&mut tx, attempt, Outcome::Failure).await?;
            // A failure is throttling data, not an audit event; the lock-out it may
            // start is recorded once.
            match throttle::lock_started(&mut tx, &username, &ip, now, verdict.locked_elsewhere)
                .await?
            {
                Some(what) => {
                    tx.commit(
                        &actor,
                        Entry::new(
                            Action::LoginLocked,
                            format!("Masuk {what} dikunci sementara setelah percobaan yang gagal"),
                        ),
                    )
                    .await?
                }
                None => tx.commit_unaudited().await?,
            }
            render_status(
                StatusCode::UNAUTHORIZED,
                &page(
                    "Nama pengguna atau kata sandi salah.".into(),
                    form.username.clone(),
                ),
            )
        }
    }
}

/// A refused sign-in: counted in memory, logged once a minute, nothing written.
fn refuse_sign_in(
    state: &AppState,
    refusal: throttle::Refusal,
    username: &str,
    ip: &str,
    now: i64,
    page: &impl Fn(String, String) -> LoginPage,
    typed: &str,
) -> AppResult<Response> {
    if let Some(before) = state.caches.get::<throttle::RefusedTally>().note(now) {
        tracing::warn!(username = %username, ip = %ip, retry_after = refusal.retry_after(), refused_since_last_line = before, "sign-in refused: too many attempts (logged once a minute)");
    }
    refused(
        StatusCode::TOO_MANY_REQUESTS,
        refusal.retry_after(),
        &page(refusal.message(), typed.to_string()),
    )
}

/// How long a client should wait when the hashing queue is full.
pub(crate) const BUSY_RETRY_SECS: i64 = 5;

/// A refusal page with its `Retry-After`.
pub(crate) fn refused<T: Template>(
    status: StatusCode,
    retry_after: i64,
    page: &T,
) -> AppResult<Response> {
    let mut res = render_status(status, page)?;
    res.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from_str(&retry_after.max(1).to_string()).expect("digits"),
    );
    Ok(res)
}

async fn logout(
    State(state): State<AppState>,
    Acting { user, actor }: Acting,
    _confirmed: crate::web::Form<crate::web::Empty>,
) -> AppResult<Response> {
    let mut tx = crate::db::write(&state.db).await?;
    session::end(&mut tx, SessionKey::Hash(&user.session_hash)).await?;
    tx.commit(
        &actor,
        Entry::new(Action::Logout, format!("{} keluar", user.username))
            .object(crate::audit::Object::User, user.id),
    )
    .await?;
    let mut res = Redirect::to("/login?pesan=keluar").into_response();
    res.headers_mut()
        .append(header::SET_COOKIE, session::clear_cookie(&state.config));
    Ok(res)
}

#[derive(Template)]
#[template(path = "auth/password.html")]
struct PasswordPage {
    chrome: Chrome,
    must_change: bool,
    errors: Vec<String>,
}

async fn password_form(chrome: Chrome, user: CurrentUser) -> AppResult<Response> {
    render(&PasswordPage {
        chrome,
        must_change: user.must_change_password,
        errors: Vec::new(),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    current: String,
    new_password: String,
    confirm: String,
}

async fn password_submit(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Form(form): Form<PasswordForm>,
) -> AppResult<Response> {
    let mut errors = Vec::new();
    let page = |errors: Vec<String>| PasswordPage {
        chrome: chrome.clone(),
        must_change: user.must_change_password,
        errors,
    };
    let current_ok = match current_password(
        &state,
        &user,
        &ip,
        &form.current,
        "kata sandi saat ini salah saat menggantinya",
    )
    .await?
    {
        Current::Right => true,
        Current::Wrong => false,
        Current::Refused(refusal) => {
            return refused(
                StatusCode::TOO_MANY_REQUESTS,
                refusal.retry_after(),
                &page(vec![refusal.message()]),
            );
        }
        Current::Busy => {
            return refused(
                StatusCode::SERVICE_UNAVAILABLE,
                BUSY_RETRY_SECS,
                &page(vec![
                    "Server sedang sibuk. Coba lagi beberapa detik lagi.".to_string(),
                ]),
            );
        }
    };
    if !current_ok {
        errors.push("Kata sandi saat ini salah.".to_string());
    }
    if let Err(msg) = password::check_rules(&form.new_password, &user.username) {
        errors.push(msg.to_string());
    }
    if form.new_password != form.confirm {
        errors.push("Konfirmasi kata sandi baru tidak sama.".to_string());
    }
    if !form.current.is_empty() && form.new_password == form.current {
        errors.push("Kata sandi baru harus berbeda dari kata sandi saat ini.".to_string());
    }
    if !errors.is_empty() {
        return render_status(StatusCode::BAD_REQUEST, &page(errors));
    }
    let Ok(hash) = state.hasher.hash(form.new_password).await else {
        return refused(
            StatusCode::SERVICE_UNAVAILABLE,
            BUSY_RETRY_SECS,
            &page(vec![
                "Server sedang sibuk. Coba lagi beberapa detik lagi.".to_string(),
            ]),
        );
    };
    let hash = hash?;
    let mut tx = crate::db::write(&state.db).await?;
    crate::auth::password::store(&mut tx, user.id, &hash, false).await?;
    // Every other session of this account ends; this browser gets a fresh one.
    session::end_all_for_user(&mut tx, user.id).await?;
    let raw = session::create(&mut tx, &state.config, user.id).await?;
    tx.commit(
        &Actor::user(&user, Some(ip)),
        Entry::new(
            Action::PasswordChanged,
            format!("{} mengganti kata sandinya", user.username),
        )
        .object(crate::audit::Object::User, user.id),
    )
    .await?;
    let mut res = Redirect::to(&format!("{}?pesan=sandi", landing(user.role))).into_response();
    res.headers_mut()
        .append(header::SET_COOKIE, session::cookie(&state.config, &raw));
    Ok(res)
}

/// What checking a signed-in person's current password found.
pub(crate) enum Current {
    Right,
    Wrong,
    Refused(throttle::Refusal),
    /// The hashing queue is full: nothing was checked or counted.
    Busy,
}

/// Checks the current password of a signed-in person like a sign-in: limited per
/// account and address (a refusal is read, not written), the attempt reserved before
/// hashing, a lock-out audited once with `context` saying where it happened.
pub(crate) async fn current_password(
    state: &AppState,
    user: &CurrentUser,
    ip: &str,
    given: &str,
    context: &str,
) -> AppResult<Current> {
    let now = session::now();
    let read = throttle::check(&mut *state.db.acquire().await?, &user.username, ip, now).await?;
    if let Some(refusal) = read.refusal {
        return Ok(Current::Refused(refusal));
    }
    let mut tx = crate::db::write(&state.db).await?;
    let verdict = throttle::check(&mut tx, &user.username, ip, now).await?;
    if let Some(refusal) = verdict.refusal {
        tx.rollback().await?;
        return Ok(Current::Refused(refusal));
    }
    let attempt = throttle::record(&mut tx, &user.username, ip, now, Outcome::Pending).await?;
    tx.commit_unaudited().await?;
    let stored: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = ?")
        .bind(user.id)
        .fetch_one(&state.db)
        .await?;
    let checked = if given.is_empty() {
        Ok(false)
    } else {
        state.hasher.verify(given.to_string(), Some(stored)).await
    };
    let mut tx = crate::db::write(&state.db).await?;
    let Ok(ok) = checked else {
        throttle::release(&mut tx, attempt).await?;
        tx.commit_unaudited().await?;
        return Ok(Current::Busy);
    };
    throttle::settle(
        &mut tx,
        attempt,
        if ok {
            Outcome::Success
        } else {
            Outcome::Failure
        },
    )
    .await?;
    let started = if ok {
        None
    } else {
        throttle::lock_started(&mut tx, &user.username, ip, now, verdict.locked_elsewhere).await?
    };
    match started {
        Some(what) => {
            tx.commit(
                &Actor::user(user, Some(ip.to_string())),
                Entry::new(
                    Action::LoginLocked,
                    format!("Masuk {what} dikunci sementara: {context}"),
                ),
            )
            .await?
        }
        None => tx.commit_unaudited().await?,
    }
    Ok(if ok { Current::Right } else { Current::Wrong })
}

/// The double-submit token a pre-sign-in form was given (empty when missing).
pub(crate) fn cookie_csrf(headers: &HeaderMap) -> String {
    cookie_value(headers, PRE_CSRF_COOKIE).unwrap_or_default()
}
