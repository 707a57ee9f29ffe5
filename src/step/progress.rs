//! Saving progress: validation, the versioned store without lost updates, the form
//! handler.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;
use sqlx::SqliteConnection;

use super::{ProgressForm, ProgressRecord, Status, StepPage, current_progress, status_options};
use super::{load_step, posted_period, step_url};
use crate::AppState;
use crate::audit::{Action, Entry};
use crate::error::{AppError, AppResult};
use crate::periods::Period;
use crate::web::{Acting, Chrome, Flash, Form, render_status};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ProgressInput {
    pub periode: String,
    pub version: String,
    pub status: String,
    pub realization: String,
    pub narrative: String,
    pub reason: String,
}

const NARRATIVE_MAX: usize = 5000;
const REASON_MAX: usize = 1000;

pub type SaveOutcome = crate::db::Versioned<i64, Box<ProgressRecord>>;

/// Validated progress values.
#[derive(Clone, Debug, PartialEq)]
pub struct ProgressValues {
    pub status: Status,
    pub realization: i64,
    pub narrative: String,
    pub reason: String,
}

/// Checks a progress form; `active_evidence` matters only for "Selesai" without a
/// narrative (done needs either words or evidence).
pub fn validate(
    input_status: &str,
    input_realization: &str,
    narrative: &str,
    reason: &str,
    active_evidence: usize,
) -> Result<ProgressValues, Vec<String>> {
    let mut errors = Vec::new();
    let status = Status::parse(input_status);
    if status.is_none() {
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
    if status == Some(Status::TidakDapat) && reason.is_empty() {
        errors.push("Alasan wajib diisi bila langkah aksi tidak dapat dilaksanakan.".to_string());
    }
    if status == Some(Status::Selesai) && realization != 100 && errors.is_empty() {
        errors.push(format!(
            "Status Selesai berarti realisasi 100%; realisasi {realization}% berarti langkah masih berjalan."
        ));
    }
    if status == Some(Status::Selesai) && narrative.is_empty() && active_evidence == 0 {
        errors.push(
            "Untuk menandai Selesai, isi uraian kegiatan atau lampirkan bukti dukung terlebih dahulu."
                .to_string(),
        );
    }
    match status {
        Some(status) if errors.is_empty() => Ok(ProgressValues {
            status,
            realization,
            narrative,
            reason,
        }),
        _ => Err(errors),
    }
}

/// Writes a new version on the caller's write transaction if `expected_version` is
/// still the current one; returns the audit entry that describes it. `at` is the
/// stored time of the save (now, or a demo's past date).
pub async fn store_progress(
    conn: &mut SqliteConnection,
    user_id: i64,
    step: (i64, &str),
    period: Period,
    expected_version: i64,
    v: &ProgressValues,
    at: &str,
) -> sqlx::Result<(SaveOutcome, Option<Entry>)> {
    let (step_id, code) = step;
    let current = current_progress(&mut *conn, step_id, period.semester).await?;
    let current_version = current.as_ref().map(|c| c.version).unwrap_or(0);
    if current_version != expected_version {
        return Ok(match current {
            Some(newer) => (SaveOutcome::Stale(Box::new(newer)), None),
            None => (SaveOutcome::Unknown, None),
        });
    }
    let new_version = current_version + 1;
    let progress_id: i64 = sqlx::query_scalar(
        "INSERT INTO progress (step_id, semester, version, status, realization, narrative,
                               reason, updated_by, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (step_id, semester) DO UPDATE SET version = excluded.version,
             status = excluded.status, realization = excluded.realization,
             narrative = excluded.narrative, reason = excluded.reason,
             updated_by = excluded.updated_by, updated_at = excluded.updated_at
         WHERE progress.version = ?3 - 1
         RETURNING id",
    )
    .bind(step_id)
    .bind(period.semester)
    .bind(new_version)
    .bind(v.status)
    .bind(v.realization)
    .bind(&v.narrative)
    .bind(&v.reason)
    .bind(user_id)
    .bind(at)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO progress_history (progress_id, version, status, realization, narrative,
                                       reason, changed_by, changed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(progress_id)
    .bind(new_version)
    .bind(v.status)
    .bind(v.realization)
    .bind(&v.narrative)
    .bind(&v.reason)
    .bind(user_id)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    let before = current.map(|c| {
        json!({"versi": c.version, "status": c.status.as_str(), "realisasi": c.realization,
               "uraian": c.narrative, "alasan": c.reason})
    });
    let after = json!({"versi": new_version, "status": v.status.as_str(), "realisasi": v.realization,
                       "uraian": v.narrative, "alasan": v.reason});
    let mut entry = Entry::new(
        Action::ProgressSaved,
        format!(
            "Progres langkah {code} {} disimpan (versi {new_version})",
            period.label()
        ),
    )
    .object(crate::audit::Object::Step, step_id)
    .after(after);
    entry.before = before;
    Ok((SaveOutcome::Saved(new_version), Some(entry)))
}

pub async fn save_progress(
    State(state): State<AppState>,
    chrome: Chrome,
    Acting { user, actor }: Acting,
    Path(id): Path<String>,
    Form(input): Form<ProgressInput>,
) -> AppResult<Response> {
    let (ctx, rights) = load_step(&state, &user, &id).await?;
    if !rights.write {
        return Err(AppError::Forbidden);
    }
    let period = posted_period(&state.db, &ctx, &input.periode).await?;
    let expected_version = input.version.trim().parse::<i64>().unwrap_or(-1);
    // Evidence matters only for "Selesai" without a narrative.
    let active_evidence = if Status::parse(&input.status) == Some(Status::Selesai)
        && input.narrative.trim().is_empty()
    {
        crate::evidence::active_count(&state.db, ctx.id, period.semester).await?
    } else {
        0
    };
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
    let mut tx = crate::db::write(&state.db).await?;
    if !crate::step::rights_now(&mut tx, &user, ctx.id).await?.write {
        return Err(AppError::Forbidden);
    }
    let code = ctx.code();
    let (outcome, entry) = store_progress(
        &mut tx,
        user.id,
        (ctx.id, &code),
        period,
        expected_version,
        &values,
        &crate::fmt::now_stamp(),
    )
    .await?;
    match (outcome, entry) {
        (SaveOutcome::Saved(_), Some(entry)) => {
            crate::step::notices::pic_answered(
                &mut tx,
                &state,
                (user.id, &user.display_name),
                (ctx.unit_id, ctx.id, period.semester, &code),
                (&period.label(), &step_url(ctx.id, period, None)),
                "menyimpan progres",
            )
            .await?;
            tx.commit(&actor, entry).await?;
            Ok(Redirect::to(&step_url(ctx.id, period, Some(Flash::ProgressSaved))).into_response())
        }
        (SaveOutcome::Saved(_), None) | (SaveOutcome::Unknown, _) => {
            tx.rollback().await?;
            Err(AppError::Conflict(
                "Progres telah berubah. Muat ulang halaman, lalu kirim kembali.".into(),
            ))
        }
        (SaveOutcome::Stale(newer), _) => {
            tx.rollback().await?;
            let mut page = StepPage::build(&state, chrome, ctx, rights, period).await?;
            // The form keeps what the user typed; saving again is a deliberate choice
            // made with the newer values in view.
            keep_input(&mut page, newer.version);
            page.conflict = Some(*newer);
            render_status(StatusCode::CONFLICT, &page)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_input_is_checked_field_by_field() {
        let ok = validate("berjalan", " 40 ", " uraian ", "", 0).unwrap();
        assert_eq!(ok.status, Status::Berjalan);
        assert_eq!((ok.realization, ok.narrative.as_str()), (40, "uraian"));
        let cases: [(&str, &str, &str, &str, usize, &str); 7] = [
            ("entah", "10", "", "", 0, "Pilih salah satu status"),
            (
                "berjalan",
                "101",
                "",
                "",
                0,
                "Realisasi harus bilangan bulat",
            ),
            (
                "berjalan",
                "-1",
                "",
                "",
                0,
                "Realisasi harus bilangan bulat",
            ),
            (
                "berjalan",
                "4,5",
                "",
                "",
                0,
                "Realisasi harus bilangan bulat",
            ),
            ("tidak_dapat", "0", "", " ", 0, "Alasan wajib diisi"),
            (
                "selesai",
                "100",
                "",
                "",
                0,
                "isi uraian kegiatan atau lampirkan bukti",
            ),
            (
                "berjalan",
                "1",
                &"x".repeat(5001),
                "",
                0,
                "Uraian maksimal 5000",
            ),
        ];
        for (status, real, narrative, reason, evidence, message) in cases {
            let errors = validate(status, real, narrative, reason, evidence).unwrap_err();
            assert!(
                errors.iter().any(|e| e.contains(message)),
                "{status}/{real}: {errors:?}"
            );
        }
        // done with evidence but no words is fine
        assert!(validate("selesai", "100", "", "", 1).is_ok());
    }
}
