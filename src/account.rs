//! The account pages: sign-in, sign-out and changing one's own password.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sqlx::SqlitePool;

use crate::AppState;
use crate::audit::{Action, Actor, Entry};
use crate::auth::session::{self, SessionKey};
use crate::auth::{
    ClientIp, CurrentUser, PRE_CSRF_COOKIE, Role, SESSION_COOKIE, cookie_value, local_path,
    password,
};
use crate::error::AppResult;
use crate::routes::{Access, Route};
use crate::web::{Chrome, Form, QueryData, render, render_status};

pub fn routes() -> Vec<Route> {
    use axum::routing::{get, post};
    vec![
        Route::new("GET", "/login", Access::Public, get(login_form)),
        Route::new("POST", "/login", Access::Public, post(login_submit)),
        Route::new("POST", "/logout", Access::SignedIn, post(logout)),
        Route::new(
            "GET",
            "/akun/kata-sandi",
            Access::SignedIn,
            get(password_form),
        ),
        Route::new(
            "POST",
            "/akun/kata-sandi",
            Access::SignedIn,
            post(password_submit),
        ),
    ]
}

/// Where each role starts after sign-in.
pub fn landing(role: Role) -> &'static str {
    match role {
        Role::Staf => "/tugas",
        Role::Pimpinan => "/dashboard",
        Role::Admin | Role::Penilai => "/katalog",
    }
}

/// Failures of one account within the window before it is refused for a while.
const USER_LIMIT: i64 = 5;
/// Failures from one address within the window: generous, a whole office may sign in
/// from one address behind NAT.
const IP_LIMIT: i64 = 50;
const WINDOW_SECS: i64 = 15 * 60;
/// The first refusal lasts a minute and doubles with each further failure.
const FIRST_LOCK_SECS: i64 = 60;
const MAX_LOCK_SECS: i64 = 60 * 60;
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

fn pre_csrf(config: &crate::Config, headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    match cookie_value(headers, PRE_CSRF_COOKIE) {
        Some(t) if t.len() >= 32 && t.len() <= 64 => (t, None),
        _ => {
            let t = session::random_token();
            let cookie = crate::auth::csrf::pre_sign_in_cookie(config, &t);
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
    let (csrf, set_cookie) = pre_csrf(&state.config, &headers);
    let page = render(&LoginPage {
        chrome,
        csrf,
        username: String::new(),
        next: q.next.as_deref().and_then(local_path).unwrap_or_default(),
        error: None,
    })?;
    Ok(with_cookie(page, set_cookie))
}

fn with_cookie(mut res: Response, cookie: Option<HeaderValue>) -> Response {
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

enum Throttle {
    Open,
    Account(i64),
    Address(i64),
}

async fn throttle(db: &SqlitePool, username: &str, ip: &str, now: i64) -> sqlx::Result<Throttle> {
    // Failures of this account in the window, since its last successful sign-in.
    let (failures, last_failure): (i64, Option<i64>) = sqlx::query_as(
        "SELECT count(*), max(at) FROM login_attempts
         WHERE username = ?1 AND outcome = 'failure' AND at > ?2
           AND at > coalesce((SELECT max(at) FROM login_attempts
                              WHERE username = ?1 AND outcome = 'success'), 0)",
    )
    .bind(username)
    .bind(now - WINDOW_SECS)
    .fetch_one(db)
    .await?;
    if failures >= USER_LIMIT
        && let Some(last) = last_failure
    {
        let doublings = (failures - USER_LIMIT).min(10) as u32;
        let lock = (FIRST_LOCK_SECS << doublings).min(MAX_LOCK_SECS);
        if now < last + lock {
            return Ok(Throttle::Account(last + lock - now));
        }
    }
    let oldest_counted: Option<i64> = sqlx::query_scalar(
        "SELECT at FROM login_attempts WHERE ip = ? AND outcome = 'failure' AND at > ?
         ORDER BY at DESC LIMIT 1 OFFSET ?",
    )
    .bind(ip)
    .bind(now - WINDOW_SECS)
    .bind(IP_LIMIT - 1)
    .fetch_optional(db)
    .await?;
    if let Some(oldest) = oldest_counted {
        return Ok(Throttle::Address(oldest + WINDOW_SECS - now));
    }
    Ok(Throttle::Open)
}

fn minutes(secs: i64) -> i64 {
    (secs + 59) / 60
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
    let refusal = match throttle(&state.db, &username, &ip, now).await? {
        Throttle::Open => None,
        Throttle::Account(secs) => Some((
            secs,
            format!(
                "Terlalu banyak percobaan masuk yang gagal untuk akun ini. Demi keamanan, \
                 coba lagi dalam {} menit.",
                minutes(secs)
            ),
        )),
        Throttle::Address(secs) => Some((
            secs,
            format!(
                "Terlalu banyak percobaan masuk yang gagal dari alamat ini. Coba lagi dalam {} menit.",
                minutes(secs)
            ),
        )),
    };
    if let Some((secs, message)) = refusal {
        tracing::warn!(username = %username, ip = %ip, retry_after = secs, "sign-in refused: too many failures");
        let mut tx = crate::db::write(&state.db).await?;
        record_attempt(&mut tx, &username, &ip, now, "blocked").await?;
        tx.commit(
            &Actor {
                id: None,
                name: username.clone(),
                ip: Some(ip.clone()),
            },
            Entry::new(
                Action::LoginBlocked,
                format!("Percobaan masuk sebagai \"{username}\" ditolak sementara"),
            ),
        )
        .await?;
        let mut res = render_status(
            StatusCode::TOO_MANY_REQUESTS,
            &page(message, form.username.clone()),
        )?;
        res.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from_str(&secs.max(1).to_string()).expect("digits"),
        );
        return Ok(res);
    }

    #[derive(sqlx::FromRow)]
    struct Candidate {
        id: i64,
        password_hash: String,
        role: String,
    }
    let candidate: Option<Candidate> = sqlx::query_as(
        "SELECT id, password_hash, role FROM users WHERE username = ? AND active = 1",
    )
    .bind(&username)
    .fetch_optional(&state.db)
    .await?;
    let ok = password::verify(
        form.password.clone(),
        candidate.as_ref().map(|c| c.password_hash.clone()),
    )
    .await;

    let mut tx = crate::db::write(&state.db).await?;
    match candidate.filter(|_| ok) {
        Some(c) => {
            record_attempt(&mut tx, &username, &ip, now, "success").await?;
            // A new session id at every sign-in; the old one, if any, ends.
            if let Some(old) = cookie_value(&headers, SESSION_COOKIE) {
                session::end(&mut tx, SessionKey::Raw(&old)).await?;
            }
            let raw = session::create(&mut tx, &state.config, c.id).await?;
            tx.commit(
                &Actor {
                    id: Some(c.id),
                    name: username.clone(),
                    ip: Some(ip),
                },
                Entry::new(Action::Login, format!("{username} masuk")).object("user", c.id),
            )
            .await?;
            let role = Role::parse(&c.role).unwrap_or(Role::Staf);
            let target = if next.is_empty() {
                landing(role).to_string()
            } else {
                next
            };
            let mut res = Redirect::to(&target).into_response();
            res.headers_mut()
                .append(header::SET_COOKIE, session::cookie(&state.config, &raw));
            Ok(res)
        }
        None => {
            record_attempt(&mut tx, &username, &ip, now, "failure").await?;
            tx.commit(
                &Actor {
                    id: None,
                    name: username.clone(),
                    ip: Some(ip),
                },
                Entry::new(
                    Action::LoginFailed,
                    format!("Gagal masuk sebagai \"{username}\""),
                ),
            )
            .await?;
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

async fn record_attempt(
    conn: &mut sqlx::SqliteConnection,
    username: &str,
    ip: &str,
    at: i64,
    outcome: &str,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO login_attempts (username, ip, at, outcome) VALUES (?, ?, ?, ?)")
        .bind(username)
        .bind(ip)
        .bind(at)
        .bind(outcome)
        .execute(conn)
        .await?;
    Ok(())
}

async fn logout(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    _confirmed: crate::web::Form<crate::web::Empty>,
) -> AppResult<Response> {
    let mut tx = crate::db::write(&state.db).await?;
    session::end(&mut tx, SessionKey::Hash(&user.session_hash)).await?;
    tx.commit(
        &Actor::user(&user, Some(ip)),
        Entry::new(Action::Logout, format!("{} keluar", user.username)).object("user", user.id),
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
    let stored: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = ?")
        .bind(user.id)
        .fetch_one(&state.db)
        .await?;
    if form.current.is_empty() || !password::verify(form.current.clone(), Some(stored)).await {
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
        return render_status(
            StatusCode::BAD_REQUEST,
            &PasswordPage {
                chrome,
                must_change: user.must_change_password,
                errors,
            },
        );
    }
    let hash = password::hash(form.new_password).await?;
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
        .object("user", user.id),
    )
    .await?;
    let mut res = Redirect::to(&format!("{}?pesan=sandi", landing(user.role))).into_response();
    res.headers_mut()
        .append(header::SET_COOKIE, session::cookie(&state.config, &raw));
    Ok(res)
}
