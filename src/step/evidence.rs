//! Evidence pages and actions: upload, link, download, remove and restore.

#[allow(unused_imports)]
use super::*;
#[allow(unused_imports)]
use crate::evidence::*;

use askama::Template;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::audit::{Action, Entry};
use crate::auth::{CurrentUser, Role};
use crate::error::{AppError, AppResult};
use crate::periods::Period;
use crate::step::{self, StepPage, now_stamp, posted_period, step_url};
use crate::web::Acting;
use crate::web::{Chrome, Form, parse_id, render, render_status};

// ---------------------------------------------------------------------------
// Handlers

pub(crate) async fn step_page_with_error(
    state: &AppState,
    chrome: Chrome,
    user: &CurrentUser,
    step_id: i64,
    period: Period,
    (status, message): (StatusCode, String),
    link: Option<(String, String)>,
) -> AppResult<Response> {
    let (ctx, rights) = step::load_step(state, user, &step_id.to_string()).await?;
    let mut page = StepPage::build(state, chrome, ctx, rights, period).await?;
    page.evidence_error = Some(message);
    if let Some((url, label)) = link {
        page.link_url = url;
        page.link_label = label;
    }
    render_status(status, &page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LinkInput {
    pub(crate) periode: String,
    pub(crate) url: String,
    pub(crate) label: String,
}

pub(crate) async fn add_link(
    State(state): State<AppState>,
    chrome: Chrome,
    Acting { user, actor }: Acting,
    Path(id): Path<String>,
    Form(input): Form<LinkInput>,
) -> AppResult<Response> {
    let (ctx, rights) = step::load_step(&state, &user, &id).await?;
    if !rights.write {
        return Err(AppError::Forbidden);
    }
    let period = posted_period(&state.db, &ctx, &input.periode).await?;
    let keep = Some((input.url.clone(), input.label.clone()));
    let url = match check_link(&input.url) {
        Ok(u) => u,
        Err(msg) => {
            return step_page_with_error(
                &state,
                chrome,
                &user,
                ctx.id,
                period,
                (StatusCode::BAD_REQUEST, msg.into()),
                keep,
            )
            .await;
        }
    };
    let label: String = input
        .label
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    if label.chars().count() > 200 {
        return step_page_with_error(
            &state,
            chrome,
            &user,
            ctx.id,
            period,
            (
                StatusCode::BAD_REQUEST,
                "Keterangan tautan maksimal 200 karakter.".into(),
            ),
            keep,
        )
        .await;
    }
    let label = if label.is_empty() { url.clone() } else { label };
    // The duplicate check runs under the write lock with the insert it guards.
    let mut tx = crate::db::write(&state.db).await?;
    if !crate::step::rights_now(&mut tx, &user, ctx.id).await?.write {
        return Err(AppError::Forbidden);
    }
    let duplicate: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM evidence WHERE step_id = ? AND semester = ? AND url = ? AND removed_at IS NULL",
    )
    .bind(ctx.id)
    .bind(period.semester)
    .bind(&url)
    .fetch_optional(&mut *tx)
    .await?;
    if duplicate.is_some() {
        tx.rollback().await?;
        return step_page_with_error(
            &state,
            chrome,
            &user,
            ctx.id,
            period,
            (
                StatusCode::CONFLICT,
                "Tautan yang sama sudah menjadi bukti dukung langkah ini.".into(),
            ),
            keep,
        )
        .await;
    }
    let new_id = crate::evidence::store::insert_link(
        &mut tx,
        (ctx.id, period.semester),
        &label,
        &url,
        (user.id, &now_stamp()),
    )
    .await?;
    tx.commit(
        &actor,
        Entry::new(
            Action::EvidenceAdded,
            format!(
                "Tautan bukti ditambahkan ke langkah {} {}",
                ctx.code(),
                period.label()
            ),
        )
        .object(crate::audit::Object::Evidence, new_id)
        .after(json!({"label": label, "url": url})),
    )
    .await?;
    Ok(Redirect::to(&step_url(
        ctx.id,
        period,
        Some(crate::web::Flash::LinkAdded),
    ))
    .into_response())
}

/// The item and the rights of the user on its step.
/// The item, the rights of the user on its step, and the period it belongs to.
pub(crate) async fn load_item(
    state: &AppState,
    user: &CurrentUser,
    raw: &str,
) -> AppResult<(EvidenceView, crate::step::Rights, Period)> {
    let item = get(&state.db, parse_id(raw)?)
        .await?
        .ok_or(AppError::NotFound)?;
    let (ctx, rights) = step::load_step(state, user, &item.step_id.to_string()).await?;
    let period = Period::new(ctx.year, item.semester);
    Ok((item, rights, period))
}

pub(crate) fn content_disposition(label: &str) -> HeaderValue {
    let ascii: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = url::form_urlencoded::byte_serialize(label.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

pub(crate) async fn download(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    send_file(state, user, id, false).await
}

/// Types a browser shows by itself without running anything of the file's: the bytes
/// were typed at upload, so a file is shown only if they are one of these.
pub const VIEWABLE: [&str; 3] = ["application/pdf", "image/png", "image/jpeg"];

/// `GET /bukti/{id}/lihat`: a PDF or image opened in the browser under a policy that
/// lets nothing of the file run (images in a sandbox); any other type is downloaded.
pub(crate) async fn view(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    send_file(state, user, id, true).await
}

async fn send_file(
    state: AppState,
    user: CurrentUser,
    id: String,
    inline: bool,
) -> AppResult<Response> {
    let (item, _, _) = load_item(&state, &user, &id).await?;
    respond(&state, &item, inline).await
}

/// The bytes of an item whose access was decided by the caller: downloaded, or for a
/// PDF or image `inline`, shown under a policy that lets nothing of it run.
pub(crate) async fn respond(
    state: &AppState,
    item: &EvidenceView,
    inline: bool,
) -> AppResult<Response> {
    let (Some(stored), Some(mime)) = (item.stored_name.as_deref(), item.media_type.as_deref())
    else {
        return Err(AppError::NotFound);
    };
    let path = stored_path(&state.config.data_dir, stored);
    let file = match tokio::fs::File::open(&path).await {
        Ok(f) => f,
        Err(e) => {
            tracing::error!(error = %e, evidence = item.id, "evidence file missing");
            return Err(AppError::NotFoundWith(
                "Berkas bukti ini tidak ditemukan di penyimpanan. Hubungi admin.".into(),
            ));
        }
    };
    let len = file.metadata().await.map(|m| m.len()).unwrap_or(0);
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file));
    let mut res = Response::new(body);
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(
            ALLOWED
                .iter()
                .find(|t| t.mime == mime)
                .map(|t| t.mime)
                .unwrap_or("application/octet-stream"),
        ),
    );
    let shown = inline && VIEWABLE.contains(&mime);
    let disposition = content_disposition(&item.label);
    h.insert(
        header::CONTENT_DISPOSITION,
        if shown {
            HeaderValue::from_str(&disposition.to_str().unwrap_or("attachment").replacen(
                "attachment",
                "inline",
                1,
            ))
            .unwrap_or(disposition)
        } else {
            disposition
        },
    );
    if shown {
        // Images in a sandbox. Chromium refuses to show a PDF at all under a `sandbox`
        // policy (its viewer counts as a plugin), so a PDF gets a policy that allows
        // nothing but the viewer's own inline styles; its type is pinned and never
        // sniffed, so the bytes cannot run as a page of this site.
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(if mime == "application/pdf" {
                "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"
            } else {
                "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
            }),
        );
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(res)
}

#[derive(Template)]
#[template(path = "evidence/remove.html")]
pub(crate) struct RemovePage {
    pub(crate) chrome: Chrome,
    pub(crate) item: EvidenceView,
    pub(crate) back: String,
}

pub(crate) fn may_change(user: &CurrentUser, rights: &crate::step::Rights) -> bool {
    rights.write || user.role == Role::Admin
}

/// `may_change`, with the rights read inside the write's transaction.
async fn may_change_now(
    tx: &mut crate::db::Write,
    user: &CurrentUser,
    step_id: i64,
) -> AppResult<bool> {
    Ok(may_change(
        user,
        &crate::step::rights_now(tx, user, step_id).await?,
    ))
}

pub(crate) async fn remove_confirm(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let (item, rights, period) = load_item(&state, &user, &id).await?;
    if !may_change(&user, &rights) {
        return Err(AppError::Forbidden);
    }
    if !item.is_active() {
        return Err(AppError::Conflict("Bukti ini sudah dihapus.".into()));
    }
    let back = step_url(item.step_id, period, None);
    render(&RemovePage { chrome, item, back })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RemoveInput {
    pub(crate) note: String,
}

pub(crate) async fn remove(
    State(state): State<AppState>,
    Acting { user, actor }: Acting,
    Path(id): Path<String>,
    Form(input): Form<RemoveInput>,
) -> AppResult<Response> {
    let (item, rights, period) = load_item(&state, &user, &id).await?;
    if !may_change(&user, &rights) {
        return Err(AppError::Forbidden);
    }
    let note: String = input.note.trim().chars().take(500).collect();
    let mut tx = crate::db::write(&state.db).await?;
    if !may_change_now(&mut tx, &user, item.step_id).await? {
        return Err(AppError::Forbidden);
    }
    let done = sqlx::query(
        "UPDATE evidence SET removed_at = ?, removed_by = ?, removed_note = ?
         WHERE id = ? AND removed_at IS NULL",
    )
    .bind(now_stamp())
    .bind(user.id)
    .bind(if note.is_empty() {
        None
    } else {
        Some(note.clone())
    })
    .bind(item.id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if done == 0 {
        return Err(AppError::Conflict("Bukti ini sudah dihapus.".into()));
    }
    tx.commit(
        &actor,
        Entry::new(
            Action::EvidenceRemoved,
            format!("Bukti \"{}\" dihapus (dapat dipulihkan)", item.label),
        )
        .object(crate::audit::Object::Evidence, item.id)
        .change(
            json!({"aktif": true}),
            json!({"aktif": false, "catatan": note}),
        ),
    )
    .await?;
    Ok(Redirect::to(&step_url(
        item.step_id,
        period,
        Some(crate::web::Flash::EvidenceRemoved),
    ))
    .into_response())
}

pub(crate) async fn restore(
    State(state): State<AppState>,
    Acting { user, actor }: Acting,
    Path(id): Path<String>,
    _confirmed: crate::web::Form<crate::web::Empty>,
) -> AppResult<Response> {
    let (item, rights, period) = load_item(&state, &user, &id).await?;
    if !may_change(&user, &rights) {
        return Err(AppError::Forbidden);
    }
    let mut tx = crate::db::write(&state.db).await?;
    if !may_change_now(&mut tx, &user, item.step_id).await? {
        return Err(AppError::Forbidden);
    }
    let replaced: Option<i64> =
        sqlx::query_scalar("SELECT id FROM evidence WHERE replaces_id = ? LIMIT 1")
            .bind(item.id)
            .fetch_optional(&mut *tx)
            .await?;
    if replaced.is_some() {
        return Err(AppError::Conflict(
            "Bukti ini sudah diganti dengan versi baru; versi lama tetap tercatat di riwayat."
                .into(),
        ));
    }
    let done = sqlx::query(
        "UPDATE evidence SET removed_at = NULL, removed_by = NULL, removed_note = NULL
         WHERE id = ? AND removed_at IS NOT NULL",
    )
    .bind(item.id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if done == 0 {
        return Err(AppError::Conflict("Bukti ini masih aktif.".into()));
    }
    tx.commit(
        &actor,
        Entry::new(
            Action::EvidenceRestored,
            format!("Bukti \"{}\" dipulihkan", item.label),
        )
        .object(crate::audit::Object::Evidence, item.id)
        .change(json!({"aktif": false}), json!({"aktif": true})),
    )
    .await?;
    Ok(Redirect::to(&step_url(
        item.step_id,
        period,
        Some(crate::web::Flash::EvidenceRestored),
    ))
    .into_response())
}
