//! A person's notifications (newest first, marked read one by one or all at once),
//! and the outbox as the instansi admin sees it.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::routes::{Access, Route};
use crate::tenant::InstansiRole;
use crate::web::{Chrome, Empty, Form, Pager, QueryData, parse_id, render};

const PER_PAGE: i64 = 25;
/// Rows of the outbox page.
const OUTBOX_PER_PAGE: i64 = 50;

pub fn routes() -> Vec<Route> {
    use axum::routing::{get, post};
    const ADMIN: Access = Access::Instansi(&[InstansiRole::Admin]);
    vec![
        Route::new("GET", "/notifikasi", Access::Own, get(list)),
        Route::new("GET", "/notifikasi/{id}/buka", Access::Own, get(open)),
        Route::new("POST", "/notifikasi/{id}/baca", Access::Own, post(mark_one)),
        Route::new(
            "POST",
            "/notifikasi/baca-semua",
            Access::Own,
            post(mark_all),
        ),
        Route::new("GET", "/admin/surel", ADMIN, get(outbox)),
        Route::new("POST", "/admin/surel/{id}/ulang", ADMIN, post(retry)),
    ]
}

#[derive(sqlx::FromRow)]
pub struct Line {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub created_at: i64,
    pub read: bool,
}

impl Line {
    pub fn when(&self) -> String {
        when(self.created_at)
    }
}

fn when(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(crate::fmt::datetime_id)
        .unwrap_or_default()
}

#[derive(Template)]
#[template(path = "notify/list.html")]
struct ListPage {
    chrome: Chrome,
    lines: Vec<Line>,
    unread: i64,
    pager: Pager,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PageQuery {
    halaman: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
    QueryData(q): QueryData<PageQuery>,
) -> AppResult<Response> {
    let (total, unread): (i64, i64) = sqlx::query_as(
        "SELECT count(*), coalesce(sum(read_at IS NULL), 0) FROM notifications WHERE user_id = ?",
    )
    .bind(user.id)
    .fetch_one(&state.db)
    .await?;
    let pager = Pager::new(
        Pager::page_from(q.halaman.as_deref()),
        PER_PAGE,
        total,
        "/notifikasi".into(),
    );
    let lines: Vec<Line> = sqlx::query_as(
        "SELECT id, title, body, created_at, read_at IS NOT NULL AS read FROM notifications
         WHERE user_id = ? ORDER BY id DESC LIMIT ? OFFSET ?",
    )
    .bind(user.id)
    .bind(PER_PAGE)
    .bind(pager.offset())
    .fetch_all(&state.db)
    .await?;
    render(&ListPage {
        chrome,
        lines,
        unread,
        pager,
    })
}

/// Opening a notification marks it read and goes to the page it names. Another
/// person's notification does not exist for this one.
async fn open(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    // Only a click on the tracker's own list marks read: a link on another site (a GET
    // that SameSite=Lax lets through) just leads to the page. Browsers that send no
    // Sec-Fetch-Site are taken at their word, as before.
    let from_elsewhere = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|site| site != "same-origin" && site != "none");
    let link: Option<String> = if from_elsewhere {
        sqlx::query_scalar("SELECT link FROM notifications WHERE id = ? AND user_id = ?")
            .bind(id)
            .bind(user.id)
            .fetch_optional(&state.db)
            .await?
    } else {
        sqlx::query_scalar(
            "UPDATE notifications SET read_at = coalesce(read_at, ?) WHERE id = ? AND user_id = ?
             RETURNING link",
        )
        .bind(state.config.clock.unix())
        .bind(id)
        .bind(user.id)
        .fetch_optional(&state.db)
        .await?
    };
    let link = link.ok_or(AppError::NotFound)?;
    // stored links are local paths written by the tracker itself
    let link = crate::auth::local_path(&link).unwrap_or_else(|| "/notifikasi".into());
    Ok(Redirect::to(&link).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Back {
    halaman: String,
}

/// Back to the page of the list the person was on, saying what happened.
fn back_to(page: &str) -> String {
    match page.parse::<i64>() {
        Ok(p) if p > 1 => format!("/notifikasi?halaman={p}&pesan=notifikasi-ditandai"),
        _ => "/notifikasi?pesan=notifikasi-ditandai".into(),
    }
}

async fn mark_one(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(back): Form<Back>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let done = sqlx::query(
        "UPDATE notifications SET read_at = coalesce(read_at, ?) WHERE id = ? AND user_id = ?",
    )
    .bind(state.config.clock.unix())
    .bind(id)
    .bind(user.id)
    .execute(&state.db)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    Ok(Redirect::to(&back_to(&back.halaman)).into_response())
}

async fn mark_all(
    State(state): State<AppState>,
    user: CurrentUser,
    _f: Form<Empty>,
) -> AppResult<Response> {
    sqlx::query("UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL")
        .bind(state.config.clock.unix())
        .bind(user.id)
        .execute(&state.db)
        .await?;
    Ok(Redirect::to("/notifikasi?pesan=notifikasi-dibaca").into_response())
}

#[derive(sqlx::FromRow)]
pub struct Mail {
    pub id: i64,
    pub username: Option<String>,
    pub kind: String,
    pub subject: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub next_attempt_at: i64,
    pub created_at: i64,
    pub failed: bool,
}

impl Mail {
    pub fn created(&self) -> String {
        when(self.created_at)
    }
    pub fn next(&self) -> String {
        when(self.next_attempt_at)
    }
}

#[derive(Template)]
#[template(path = "notify/outbox.html")]
struct OutboxPage {
    chrome: Chrome,
    enabled: bool,
    waiting: i64,
    failed: i64,
    sent_week: i64,
    mails: Vec<Mail>,
    pager: Pager,
}

/// What has not gone out: waiting (with its last error) and given up.
async fn outbox(
    State(state): State<AppState>,
    chrome: Chrome,
    QueryData(q): QueryData<PageQuery>,
) -> AppResult<Response> {
    let week_ago = state.config.clock.unix() - 7 * 24 * 3600;
    let (waiting, failed, sent_week): (i64, i64, i64) = sqlx::query_as(
        "SELECT coalesce(sum(sent_at IS NULL AND failed_at IS NULL), 0),
                coalesce(sum(failed_at IS NOT NULL), 0),
                coalesce(sum(sent_at >= ?), 0) FROM outbox",
    )
    .bind(week_ago)
    .fetch_one(&state.db)
    .await?;
    let pager = Pager::new(
        Pager::page_from(q.halaman.as_deref()),
        OUTBOX_PER_PAGE,
        waiting + failed,
        "/admin/surel".into(),
    );
    let mails: Vec<Mail> = sqlx::query_as(
        "SELECT o.id, u.username, o.kind, o.subject, o.attempts, o.last_error, o.next_attempt_at,
                o.created_at, o.failed_at IS NOT NULL AS failed
         FROM outbox o LEFT JOIN users u ON u.id = o.user_id
         WHERE o.sent_at IS NULL ORDER BY o.failed_at IS NULL, o.id DESC LIMIT ? OFFSET ?",
    )
    .bind(OUTBOX_PER_PAGE)
    .bind(pager.offset())
    .fetch_all(&state.db)
    .await?;
    render(&OutboxPage {
        chrome,
        enabled: state.post.enabled,
        waiting,
        failed,
        sent_week,
        mails,
        pager,
    })
}

/// A given-up (or waiting) message is tried again at the next round.
async fn retry(
    State(state): State<AppState>,
    crate::web::Acting { actor, .. }: crate::web::Acting,
    Path(id): Path<String>,
    _f: Form<Empty>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let mut tx = crate::db::write(&state.db).await?;
    let done = sqlx::query(
        "UPDATE outbox SET failed_at = NULL, next_attempt_at = ? WHERE id = ? AND sent_at IS NULL",
    )
    .bind(state.config.clock.unix())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    tx.commit(
        &actor,
        crate::audit::Entry::new(
            crate::audit::Action::MailRetried,
            format!("Surel #{id} dijadwalkan untuk dikirim ulang"),
        ),
    )
    .await?;
    Ok(Redirect::to("/admin/surel?pesan=surel-diulang").into_response())
}
