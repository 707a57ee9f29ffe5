//! Review verdicts on the progress version a reviewer saw.

#[allow(unused_imports)]
use super::*;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::audit::{self, Actor, Entry};
use crate::auth::{ClientIp, CurrentUser};
use crate::error::{AppError, AppResult};
use crate::web::{Chrome, FormData, render_status};

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

pub(crate) async fn save_review(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    FormData(input): FormData<ReviewInput>,
) -> AppResult<Response> {
    let (ctx, rights) = load_step(&state, &user, &id).await?;
    if !rights.review {
        return Err(AppError::Forbidden);
    }
    let period = posted_period(&state.db, &ctx, &input.periode).await?;
    let note = input.note.trim().to_string();
    let verdict = input.verdict.trim().to_string();
    let mut errors = Vec::new();
    if verdict != "diterima" && verdict != "perbaikan" {
        errors.push("Pilih hasil reviu: Diterima atau Perlu perbaikan.".to_string());
    }
    if verdict == "perbaikan" && note.is_empty() {
        errors.push(
            "Tuliskan catatan perbaikan agar PIC tahu apa yang harus diperbaiki.".to_string(),
        );
    }
    if note.chars().count() > NOTE_MAX {
        errors.push(format!("Catatan maksimal {NOTE_MAX} karakter."));
    }
    let current = current_progress(&state.db, ctx.id, period.semester).await?;
    let expected = input.version.trim().parse::<i64>().ok();
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
    if !errors.is_empty() {
        let mut page = StepPage::build(&state, chrome, ctx, rights, period).await?;
        page.review_errors = errors;
        page.review_verdict = verdict;
        page.review_note = input.note;
        return render_status(status, &page);
    }
    let version = current.map(|p| p.version).unwrap_or(0);
    let mut tx = crate::db::write(&state.db).await?;
    sqlx::query(
        "INSERT INTO reviews (step_id, semester, progress_version, verdict, note, reviewer_id, reviewed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(ctx.id)
    .bind(period.semester)
    .bind(version)
    .bind(&verdict)
    .bind(&note)
    .bind(user.id)
    .bind(now_stamp())
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        &Actor::user(&user, Some(ip)),
        Entry::new(
            "review_given",
            format!(
                "Reviu langkah {} {}: {}",
                ctx.code(),
                period.label(),
                crate::step::verdict_label(Some(&verdict), true)
            ),
        )
        .object("step", ctx.id)
        .after(json!({"hasil": verdict, "catatan": note, "versi_progres": version})),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&step_url(ctx.id, period, Some("reviu-disimpan"))).into_response())
}
