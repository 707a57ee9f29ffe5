//! The official workbook both ways: download filled in, import the unit's answers.

use super::*;

use askama::Template;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use crate::AppState;
use crate::auth::{CurrentUser, Role};
use crate::error::{AppError, AppResult};
use crate::lke::store::{self};
use crate::lke::workbook;
use crate::web::Acting;
use crate::web::{Chrome, render, render_status};

pub(crate) async fn workbook_download(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(year): Path<String>,
) -> AppResult<Response> {
    let v = year_view(&state, &user, &year).await?;
    let links = store::evidence_links(&state.db, v.unit_id, v.master.year).await?;
    let base = state.config.public_base();
    let unit_name = user
        .unit
        .as_ref()
        .map(|u| u.name.clone())
        .unwrap_or_default();
    let state_label = crate::lke::work::state(&state.db, v.unit_id, v.master.year)
        .await?
        .label();
    let bytes = workbook::build(
        &v.master,
        &unit_name,
        &state_label,
        &v.stored,
        &links,
        base.as_deref(),
    )
    .map_err(|e| AppError::Internal(e.into()))?;
    Ok(crate::reports::attachment(
        Body::from(bytes),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("lke-{}-jawaban.xlsx", v.master.year),
    ))
}

#[derive(Template)]
#[template(path = "lke/import.html")]
pub(crate) struct ImportPage {
    pub(crate) chrome: Chrome,
    pub(crate) year: i64,
    pub(crate) tpi: bool,
    pub(crate) errors: Vec<String>,
}

pub(crate) async fn import_form(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
    Path(year): Path<String>,
) -> AppResult<Response> {
    let v = year_view(&state, &user, &year).await?;
    render(&ImportPage {
        chrome,
        year: v.master.year,
        tpi: user.role == Role::Penilai,
        errors: Vec::new(),
    })
}

pub(crate) async fn import_submit(
    State(state): State<AppState>,
    chrome: Chrome,
    Acting { user, actor }: Acting,
    Path(year): Path<String>,
    request: Request,
) -> AppResult<Response> {
    let v = year_view(&state, &user, &year).await?;
    let year = v.master.year;
    let tpi = user.role == Role::Penilai;
    let fail = |status: StatusCode, errors: Vec<String>| {
        render_status(
            status,
            &ImportPage {
                chrome: chrome.clone(),
                year,
                tpi,
                errors,
            },
        )
    };
    let upload = match crate::web::read_upload(request, &state, UPLOAD_MAX_BYTES).await {
        Ok(u) => u,
        Err(e) => {
            return match e.for_form(UPLOAD_MAX_BYTES) {
                Ok((status, message)) => fail(status, vec![message]),
                Err(refused) => Ok(*refused),
            };
        }
    };
    if upload.file.is_empty() {
        return fail(
            StatusCode::BAD_REQUEST,
            vec!["Pilih berkas XLSX lembar kerja yang akan diimpor.".into()],
        );
    }
    let links = store::evidence_links_by_question(&state.db, v.unit_id, year).await?;
    let rows =
        match workbook::read_off_thread(v.master.clone(), upload.file, (!tpi, tpi), links).await {
            Ok(rows) => rows,
            Err(errors) => return fail(StatusCode::BAD_REQUEST, errors),
        };
    let (unit_by, tpi_by) = if tpi {
        (None, Some(user.id))
    } else {
        (Some(user.id), None)
    };
    if let Err(locked) = workbook::store_rows(
        &state.db,
        &state,
        &actor,
        (v.unit_id, year),
        &rows,
        unit_by,
        tpi_by,
    )
    .await?
    {
        return fail(StatusCode::CONFLICT, vec![locked]);
    }
    Ok(Redirect::to(&format!("/lke/{year}?pesan=lke-diimpor")).into_response())
}
