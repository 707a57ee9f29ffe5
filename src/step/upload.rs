//! Uploading an evidence file: rights first, then the token, then the bytes to a
//! temporary file, typed and stored under their hash before their record commits.

#[allow(unused_imports)]
use super::*;
#[allow(unused_imports)]
use crate::evidence::*;

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;

use crate::AppState;
use crate::audit::{Action, Entry};
use crate::error::{AppError, AppResult};
use crate::periods::Period;
use crate::step::{self, now_stamp, posted_period, step_url};
use crate::web::Acting;
use crate::web::Chrome;

// ---------------------------------------------------------------------------
// Handlers

pub(crate) async fn upload(
    State(state): State<AppState>,
    chrome: Chrome,
    Acting { user, actor }: Acting,
    Path(id): Path<String>,
    request: Request,
) -> AppResult<Response> {
    let (ctx, rights) = step::load_step(&state, &user, &id).await?;
    if !rights.write {
        return Err(AppError::Forbidden);
    }
    // Read only after the rights check, so nobody else's bytes ever touch the disk.
    // The form's first field is its CSRF token, checked before any file is read.
    let mut multipart = match crate::web::multipart_with_token(request, &state).await {
        Ok(m) => m,
        Err(refused) => return Ok(refused),
    };
    let data_dir = state.config.data_dir.clone();
    let max = state.config.max_upload_bytes;
    let mut periode = String::new();
    let mut replaces = String::new();
    let mut received: Option<Received> = None;
    let mut problem: Option<UploadProblem> = None;
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                problem = Some(if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    UploadProblem::TooLarge
                } else {
                    UploadProblem::Interrupted
                });
                break;
            }
        };
        match field.name().unwrap_or("") {
            "periode" => periode = field.text().await.unwrap_or_default(),
            "replaces" => replaces = field.text().await.unwrap_or_default(),
            "file" if received.is_none() => match receive_file(&mut field, &data_dir, max).await {
                Ok(r) => received = Some(r),
                Err(p) => {
                    problem = Some(p);
                    break;
                }
            },
            _ => {}
        }
    }
    let cleanup = |r: &Option<Received>| {
        if let Some(r) = r {
            let _ = std::fs::remove_file(&r.tmp);
        }
    };
    let period = match posted_period(&state.db, &ctx, &periode).await {
        Ok(p) => p,
        Err(e) => {
            cleanup(&received);
            // a failed upload may not know its period: show the default one
            if matches!(problem, Some(UploadProblem::TooLarge)) || received.is_none() {
                let p = Period::new(ctx.year, 2);
                let (status, msg) = problem_message(problem.as_ref(), max);
                return step_page_with_error(&state, chrome, &user, ctx.id, p, (status, msg), None)
                    .await;
            }
            return Err(e);
        }
    };
    if problem.is_some() || received.is_none() {
        cleanup(&received);
        let (status, msg) = problem_message(problem.as_ref(), max);
        return step_page_with_error(&state, chrome, &user, ctx.id, period, (status, msg), None)
            .await;
    }
    let r = received.expect("checked above");
    let fail = |status: StatusCode, msg: String| {
        let _ = std::fs::remove_file(&r.tmp);
        (status, msg)
    };
    let tmp = r.tmp.clone();
    let prefix = r.prefix.clone();
    let kind = tokio::task::spawn_blocking(move || detect(&tmp, &prefix))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let Some(kind) = kind else {
        let (s, m) = fail(
            StatusCode::BAD_REQUEST,
            "Jenis berkas tidak diizinkan atau isinya tidak sesuai jenisnya. Unggah PDF, JPEG, PNG, DOCX, XLSX, atau PPTX.".into(),
        );
        return step_page_with_error(&state, chrome, &user, ctx.id, period, (s, m), None).await;
    };
    let replaces_id = match replaces.trim() {
        "" => None,
        raw => match raw.parse::<i64>().ok() {
            Some(old) => Some(old),
            None => {
                let (s, m) = fail(
                    StatusCode::BAD_REQUEST,
                    "Bukti yang hendak diganti tidak dikenal.".into(),
                );
                return step_page_with_error(&state, chrome, &user, ctx.id, period, (s, m), None)
                    .await;
            }
        },
    };
    let label = sanitize_label(&r.file_name, kind.ext);
    let stored_name = format!("{}.{}", r.sha256, kind.ext);

    // The checks come first, under the write lock; the file moves into place only once
    // they pass, still before its row commits (a crash in between leaves a file no row
    // refers to, swept at the next start). A refused upload leaves nothing behind.
    let mut tx = crate::db::write(&state.db).await?;
    if !crate::step::rights_now(&mut tx, &user, ctx.id).await?.write {
        let _ = tokio::fs::remove_file(&r.tmp).await;
        return Err(AppError::Forbidden);
    }
    // Same bytes twice on one step and period are recognised, not recorded again;
    // checked under the write lock so two identical uploads at once cannot both pass.
    // (The file itself is content-addressed: the copy on disk is the existing one's.)
    let duplicate: Option<String> = sqlx::query_scalar(
        "SELECT label FROM evidence WHERE step_id = ? AND semester = ? AND sha256 = ?
           AND removed_at IS NULL",
    )
    .bind(ctx.id)
    .bind(period.semester)
    .bind(&r.sha256)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(existing) = duplicate {
        tx.rollback().await?;
        let _ = tokio::fs::remove_file(&r.tmp).await;
        let message = format!(
            "Berkas yang sama persis sudah menjadi bukti dukung langkah ini: \"{existing}\"."
        );
        return step_page_with_error(
            &state,
            chrome,
            &user,
            ctx.id,
            period,
            (StatusCode::CONFLICT, message),
            None,
        )
        .await;
    }
    if let Some(old) = replaces_id {
        let ok = sqlx::query(
            "UPDATE evidence SET removed_at = ?, removed_by = ?, removed_note = 'Diganti dengan versi baru'
             WHERE id = ? AND step_id = ? AND semester = ? AND removed_at IS NULL",
        )
        .bind(now_stamp())
        .bind(user.id)
        .bind(old)
        .bind(ctx.id)
        .bind(period.semester)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if ok == 0 {
            tx.rollback().await?;
            let _ = tokio::fs::remove_file(&r.tmp).await;
            return step_page_with_error(
                &state,
                chrome,
                &user,
                ctx.id,
                period,
                (
                    StatusCode::CONFLICT,
                    "Bukti yang hendak diganti sudah tidak aktif; unggah sebagai bukti baru."
                        .into(),
                ),
                None,
            )
            .await;
        }
    }
    commit_file(&data_dir, &r.tmp, &stored_name)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let new_id = crate::evidence::store::insert_file(
        &mut tx,
        &crate::evidence::store::NewFile {
            step_id: ctx.id,
            semester: period.semester,
            label: &label,
            stored_name: &stored_name,
            media_type: kind.mime,
            size: r.size as i64,
            sha256: &r.sha256,
            replaces: replaces_id,
            uploaded_by: user.id,
            at: &now_stamp(),
        },
    )
    .await?;
    tx.commit(
        &actor,
        Entry::new(
            Action::EvidenceAdded,
            format!(
                "Bukti \"{label}\" diunggah ke langkah {} {}",
                ctx.code(),
                period.label()
            ),
        )
        .object(crate::audit::Object::Evidence, new_id)
        .after(
            json!({"label": label, "jenis": kind.label, "ukuran": r.size, "sha256": r.sha256,
                      "menggantikan": replaces_id}),
        ),
    )
    .await?;
    Ok(Redirect::to(&step_url(
        ctx.id,
        period,
        Some(crate::web::Flash::EvidenceUploaded),
    ))
    .into_response())
}

pub(crate) fn problem_message(p: Option<&UploadProblem>, max: u64) -> (StatusCode, String) {
    match p {
        Some(UploadProblem::TooLarge) => (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "Berkas terlalu besar. Ukuran maksimal {}; perkecil atau pecah berkasnya.",
                size_label(max as i64)
            ),
        ),
        Some(UploadProblem::Interrupted) => (
            StatusCode::BAD_REQUEST,
            "Unggahan terputus sebelum selesai; tidak ada yang disimpan. Silakan unggah ulang."
                .into(),
        ),
        Some(UploadProblem::Io(e)) => {
            tracing::error!(error = %e, "evidence could not be written");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Berkas tidak dapat disimpan di server; tidak ada yang disimpan. Hubungi admin."
                    .into(),
            )
        }
        Some(UploadProblem::Missing) | None => (
            StatusCode::BAD_REQUEST,
            "Pilih berkas yang akan diunggah (berkas tidak boleh kosong).".into(),
        ),
    }
}
