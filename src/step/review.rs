//! Review verdicts on the progress version a reviewer saw.

#[allow(unused_imports)]
use super::*;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::audit::{Action, Entry};
use crate::error::{AppError, AppResult};
use crate::web::{Acting, Chrome, Flash, Form, render_status};

// ---------------------------------------------------------------------------
// Review verdicts

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReviewInput {
    pub(crate) periode: String,
    pub(crate) version: String,
    pub(crate) verdict: String,
    pub(crate) note: String,
}

pub(crate) const NOTE_MAX: usize = 2000;

/// Records a verdict on one progress version.
pub async fn store_review(
    conn: &mut sqlx::SqliteConnection,
    (step_id, semester, version): (i64, i64, i64),
    verdict: Verdict,
    note: &str,
    (reviewer, at): (i64, &str),
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO reviews (step_id, semester, progress_version, verdict, note, reviewer_id, reviewed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(step_id)
    .bind(semester)
    .bind(version)
    .bind(verdict)
    .bind(note)
    .bind(reviewer)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

pub(crate) async fn save_review(
    State(state): State<AppState>,
    chrome: Chrome,
    Acting { user, actor }: Acting,
    Path(id): Path<String>,
    Form(input): Form<ReviewInput>,
) -> AppResult<Response> {
    let (ctx, rights) = load_step(&state, &user, &id).await?;
    if !rights.review {
        return Err(AppError::Forbidden);
    }
    let period = posted_period(&state.db, &ctx, &input.periode).await?;
    let note = input.note.trim().to_string();
    let verdict = Verdict::parse(&input.verdict);
    let mut errors = Vec::new();
    match verdict {
        None => errors.push("Pilih hasil reviu: Diterima atau Perlu perbaikan.".to_string()),
        Some(Verdict::Perbaikan) if note.is_empty() => errors.push(
            "Tuliskan catatan perbaikan agar PIC tahu apa yang harus diperbaiki.".to_string(),
        ),
        _ => {}
    }
    if note.chars().count() > NOTE_MAX {
        errors.push(format!("Catatan maksimal {NOTE_MAX} karakter."));
    }
    let expected = input.version.trim().parse::<i64>().ok();
    // The version seen is checked under the write lock, with the verdict's insert.
    let mut tx = crate::db::write(&state.db).await?;
    if !crate::step::rights_now(&mut tx, &user, ctx.id)
        .await?
        .review
    {
        return Err(AppError::Forbidden);
    }
    let current = current_progress(&mut *tx, ctx.id, period.semester).await?;
    if current.as_ref().is_some_and(|p| p.updated_by == user.id) {
        // separation of duties: nobody accepts or rejects their own work
        return Err(AppError::ForbiddenWith(
            "Anda tidak dapat mereviu progres yang Anda simpan sendiri.".into(),
        ));
    }
    let status = match &current {
        None => {
            errors.push("Belum ada progres yang dapat direviu untuk periode ini.".to_string());
            StatusCode::CONFLICT
        }
        Some(p) if Some(p.version) != expected => {
            errors.push(format!(
                "Progres telah diperbarui (versi {}) sejak halaman ini dibuka. Periksa nilai terbaru, lalu beri hasil reviu.",
                p.version
            ));
            StatusCode::CONFLICT
        }
        _ => StatusCode::BAD_REQUEST,
    };
    let (Some(verdict), Some(current), true) = (verdict, current, errors.is_empty()) else {
        tx.rollback().await?;
        let mut page = StepPage::build(&state, chrome, ctx, rights, period).await?;
        page.review_errors = errors;
        page.review_verdict = input.verdict.trim().to_string();
        page.review_note = input.note;
        return render_status(status, &page);
    };
    let version = current.version;
    store_review(
        &mut tx,
        (ctx.id, period.semester, version),
        verdict,
        &note,
        (user.id, &crate::fmt::now_stamp()),
    )
    .await?;
    if verdict == Verdict::Perbaikan {
        crate::step::notices::fix_requested(
            &mut tx,
            &state,
            user.id,
            (ctx.unit_id, ctx.id, &ctx.code()),
            (&period.label(), &step_url(ctx.id, period, None)),
            &note,
        )
        .await?;
    }
    tx.commit(
        &actor,
        Entry::new(
            Action::ReviewGiven,
            format!(
                "Reviu langkah {} {}: {}",
                ctx.code(),
                period.label(),
                verdict.label()
            ),
        )
        .object(crate::audit::Object::Step, ctx.id)
        .after(json!({"hasil": verdict.as_str(), "catatan": note, "versi_progres": version})),
    )
    .await?;
    Ok(Redirect::to(&step_url(ctx.id, period, Some(Flash::ReviewSaved))).into_response())
}
