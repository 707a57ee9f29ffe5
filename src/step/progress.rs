//! Saving progress: validation, the versioned store without lost updates, the form handler.

#[allow(unused_imports)]
use super::*;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;
use sqlx::SqlitePool;

use crate::AppState;
use crate::audit::{self, Actor, Entry};
use crate::auth::{ClientIp, CurrentUser};
use crate::error::{AppError, AppResult};
use crate::evidence::{self};
use crate::periods::Period;
use crate::web::{Chrome, FormData, render_status};

// ---------------------------------------------------------------------------
// Saving progress

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ProgressInput {
    pub(crate) periode: String,
    pub(crate) version: String,
    pub(crate) status: String,
    pub(crate) realization: String,
    pub(crate) narrative: String,
    pub(crate) reason: String,
}

pub(crate) const NARRATIVE_MAX: usize = 5000;
pub(crate) const REASON_MAX: usize = 1000;

pub enum SaveOutcome {
    Saved(i64),
    /// Someone saved a newer version; nothing was written.
    Stale(Box<ProgressRecord>),
}

/// Validated progress values.
pub struct ProgressValues {
    pub status: String,
    pub realization: i64,
    pub narrative: String,
    pub reason: String,
}

pub fn validate(
    input_status: &str,
    input_realization: &str,
    narrative: &str,
    reason: &str,
    active_evidence: usize,
) -> Result<ProgressValues, Vec<String>> {
    let mut errors = Vec::new();
    let status = input_status.trim();
    if !crate::step::STATUSES.iter().any(|(k, _)| *k == status) {
        errors.push("Pilih salah satu status yang tersedia.".to_string());
    }
    let realization = match input_realization.trim().parse::<i64>() {
        Ok(v) if (0..=100).contains(&v) => v,
        _ => {
            errors.push("Realisasi harus bilangan bulat dari 0 sampai 100 (persen).".to_string());
            0
        }
    };
    let narrative = narrative.trim().to_string();
    let reason = reason.trim().to_string();
    if narrative.chars().count() > NARRATIVE_MAX {
        errors.push(format!("Uraian maksimal {NARRATIVE_MAX} karakter."));
    }
    if reason.chars().count() > REASON_MAX {
        errors.push(format!("Alasan maksimal {REASON_MAX} karakter."));
    }
    if status == "tidak_dapat" && reason.is_empty() {
        errors.push("Alasan wajib diisi bila langkah aksi tidak dapat dilaksanakan.".to_string());
    }
    if status == "selesai" && narrative.is_empty() && active_evidence == 0 {
        errors.push(
            "Untuk menandai Selesai, isi uraian kegiatan atau lampirkan bukti dukung terlebih dahulu."
                .to_string(),
        );
    }
    if errors.is_empty() {
        Ok(ProgressValues {
            status: status.to_string(),
            realization,
            narrative,
            reason,
        })
    } else {
        Err(errors)
    }
}

/// Writes a new version if `expected_version` is still the current one, keeping the
/// version in the history and the change in the audit trail, all in one transaction.
pub async fn store_progress(
    db: &SqlitePool,
    actor: &Actor,
    user_id: i64,
    step_id: i64,
    period: Period,
    expected_version: i64,
    v: &ProgressValues,
) -> AppResult<SaveOutcome> {
    // IMMEDIATE: take the write lock first, so the version check and the write
    // cannot interleave with another save.
    let mut tx = crate::db::write(db).await?;
    let current: Option<(i64, i64, String, i64, String, String)> = sqlx::query_as(
        "SELECT id, version, status, realization, narrative, reason FROM progress
         WHERE step_id = ? AND semester = ?",
    )
    .bind(step_id)
    .bind(period.semester)
    .fetch_optional(&mut *tx)
    .await?;
    let current_version = current.as_ref().map(|c| c.1).unwrap_or(0);
    if current_version != expected_version {
        tx.rollback().await?;
        let newer = current_progress(db, step_id, period.semester)
            .await?
            .ok_or(AppError::Conflict("Progres telah berubah.".into()))?;
        return Ok(SaveOutcome::Stale(Box::new(newer)));
    }
    let now = now_stamp();
    let new_version = current_version + 1;
    let progress_id: i64 =
        match &current {
            None => sqlx::query_scalar(
                "INSERT INTO progress (step_id, semester, version, status, realization, narrative,
                                       reason, updated_by, updated_at)
                 VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(step_id)
            .bind(period.semester)
            .bind(&v.status)
            .bind(v.realization)
            .bind(&v.narrative)
            .bind(&v.reason)
            .bind(user_id)
            .bind(&now)
            .fetch_one(&mut *tx)
            .await?,
            Some(c) => {
                sqlx::query(
                    "UPDATE progress SET version = ?, status = ?, realization = ?, narrative = ?,
                        reason = ?, updated_by = ?, updated_at = ?
                 WHERE id = ? AND version = ?",
                )
                .bind(new_version)
                .bind(&v.status)
                .bind(v.realization)
                .bind(&v.narrative)
                .bind(&v.reason)
                .bind(user_id)
                .bind(&now)
                .bind(c.0)
                .bind(current_version)
                .execute(&mut *tx)
                .await?;
                c.0
            }
        };
    sqlx::query(
        "INSERT INTO progress_history (progress_id, version, status, realization, narrative,
                                       reason, changed_by, changed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(progress_id)
    .bind(new_version)
    .bind(&v.status)
    .bind(v.realization)
    .bind(&v.narrative)
    .bind(&v.reason)
    .bind(user_id)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    let before = current.map(
        |c| json!({"versi": c.1, "status": c.2, "realisasi": c.3, "uraian": c.4, "alasan": c.5}),
    );
    let after = json!({"versi": new_version, "status": v.status, "realisasi": v.realization,
                       "uraian": v.narrative, "alasan": v.reason});
    audit::record(
        &mut tx,
        actor,
        Entry {
            action: "progress_saved",
            object_type: Some("step"),
            object_id: Some(step_id),
            summary: format!(
                "Progres langkah {step_id} {} disimpan (versi {new_version})",
                period.label()
            ),
            before,
            after: Some(after),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(SaveOutcome::Saved(new_version))
}

pub(crate) async fn save_progress(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    FormData(input): FormData<ProgressInput>,
) -> AppResult<Response> {
    let (ctx, rights) = load_step(&state, &user, &id).await?;
    if !rights.write {
        return Err(AppError::Forbidden);
    }
    let period = posted_period(&state.db, &ctx, &input.periode).await?;
    let expected_version = input.version.trim().parse::<i64>().unwrap_or(-1);
    // Evidence matters only for "Selesai" without a narrative.
    let active_evidence = if input.status.trim() == "selesai" && input.narrative.trim().is_empty() {
        evidence::active_count(&state.db, ctx.id, period.semester).await?
    } else {
        0
    };
    let step_id = ctx.id;
    let keep_input = |page: &mut StepPage, version: i64| {
        page.form = ProgressForm {
            version,
            status: input.status.clone(),
            realization: input.realization.clone(),
            narrative: input.narrative.clone(),
            reason: input.reason.clone(),
        };
        page.status_options = status_options(&input.status);
    };
    let values = match validate(
        &input.status,
        &input.realization,
        &input.narrative,
        &input.reason,
        active_evidence,
    ) {
        Ok(v) => v,
        Err(errors) => {
            let mut page = StepPage::build(&state, chrome, ctx, rights, period).await?;
            keep_input(&mut page, expected_version.max(0));
            page.form_errors = errors;
            return render_status(StatusCode::BAD_REQUEST, &page);
        }
    };
    if expected_version < 0 {
        return Err(AppError::BadRequest(
            "Versi formulir tidak terbaca. Muat ulang halaman, lalu kirim kembali.".into(),
        ));
    }
    match store_progress(
        &state.db,
        &Actor::user(&user, Some(ip)),
        user.id,
        step_id,
        period,
        expected_version,
        &values,
    )
    .await?
    {
        SaveOutcome::Saved(_) => {
            Ok(Redirect::to(&step_url(step_id, period, Some("progres-disimpan"))).into_response())
        }
        SaveOutcome::Stale(newer) => {
            let mut page = StepPage::build(&state, chrome, ctx, rights, period).await?;
            // The form keeps what the user typed; saving again is a deliberate choice
            // made with the newer values in view.
            keep_input(&mut page, newer.version);
            page.conflict = Some(*newer);
            render_status(StatusCode::CONFLICT, &page)
        }
    }
}
