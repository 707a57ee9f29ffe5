//! Salin target and Impor target pages.

#[allow(unused_imports)]
use super::*;

use askama::Template;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::AppState;
use crate::catalogue::{self, YearOption};
use crate::error::AppResult;
use crate::web::Acting;
use crate::web::{Chrome, Form, render, render_status};

// ---------------------------------------------------------------------------
// Copy and import pages

#[derive(Template)]
#[template(path = "catalogue/editor/copy.html")]
pub(crate) struct CopyPage {
    pub(crate) chrome: Chrome,
    pub(crate) years: Vec<YearOption>,
    pub(crate) to: String,
    pub(crate) with_assignments: bool,
    pub(crate) error: Option<String>,
}

pub(crate) async fn copy_form(
    State(state): State<AppState>,
    unit: crate::tenant::Unit,
    chrome: Chrome,
) -> AppResult<Response> {
    let years = crate::periods::target_years(&state.db, unit.id).await?;
    let latest = years.first().copied().unwrap_or(2021);
    render(&CopyPage {
        chrome,
        years: catalogue::year_options(&years, latest),
        to: (latest + 1).to_string(),
        with_assignments: false,
        error: None,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CopyInput {
    pub(crate) dari: String,
    pub(crate) ke: String,
    pub(crate) penugasan: Option<String>,
}

pub(crate) async fn copy_submit(
    State(state): State<AppState>,
    unit: crate::tenant::Unit,
    chrome: Chrome,
    Acting { user: _, actor }: Acting,
    Form(input): Form<CopyInput>,
) -> AppResult<Response> {
    let years = crate::periods::target_years(&state.db, unit.id).await?;
    let from = input.dari.trim().parse::<i64>().unwrap_or(0);
    let with = input.penugasan.is_some();
    let result = match input.ke.trim().parse::<i64>() {
        Ok(to) => copy(&state.db, &actor, unit.id, from, to, with)
            .await
            .map(|n| (to, n)),
        Err(_) => Err(YearError::Refused(
            "Tahun tujuan harus berupa angka tahun, mis. 2022.".into(),
        )),
    };
    match result {
        Ok((to, _)) => Ok(
            Redirect::to(&format!("/admin/target?tahun={to}&pesan=target-disalin")).into_response(),
        ),
        Err(YearError::Db(e)) => Err(e.into()),
        Err(e) => render_status(
            if matches!(e, YearError::Taken(_)) {
                StatusCode::CONFLICT
            } else {
                StatusCode::BAD_REQUEST
            },
            &CopyPage {
                chrome,
                years: catalogue::year_options(&years, from),
                to: input.ke.chars().take(10).collect(),
                with_assignments: with,
                error: Some(e.to_string()),
            },
        ),
    }
}

#[derive(Template)]
#[template(path = "catalogue/editor/import.html")]
pub(crate) struct ImportPage {
    pub(crate) chrome: Chrome,
    pub(crate) year: String,
    pub(crate) errors: Vec<String>,
}

pub(crate) async fn import_form(chrome: Chrome) -> AppResult<Response> {
    render(&ImportPage {
        chrome,
        year: String::new(),
        errors: Vec::new(),
    })
}

pub(crate) async fn import_submit(
    State(state): State<AppState>,
    unit: crate::tenant::Unit,
    chrome: Chrome,
    Acting { user: _, actor }: Acting,
    request: Request,
) -> AppResult<Response> {
    let upload = crate::web::read_upload(request, &state, IMPORT_MAX_BYTES).await;
    let year_raw = match &upload {
        Ok(u) => u.fields.get("tahun").cloned().unwrap_or_default(),
        Err(_) => String::new(),
    };
    let fail = |status: StatusCode, errors: Vec<String>| {
        render_status(
            status,
            &ImportPage {
                chrome: chrome.clone(),
                year: year_raw.chars().take(10).collect(),
                errors,
            },
        )
    };
    let bytes = match upload {
        Ok(u) => u.file,
        Err(e) => {
            return match e.for_form(IMPORT_MAX_BYTES) {
                Ok((status, message)) => fail(status, vec![message]),
                Err(refused) => Ok(*refused),
            };
        }
    };
    let Ok(year) = year_raw.trim().parse::<i64>() else {
        return fail(
            StatusCode::BAD_REQUEST,
            vec!["Isi tahun target, mis. 2022.".into()],
        );
    };
    if bytes.is_empty() {
        return fail(
            StatusCode::BAD_REQUEST,
            vec!["Pilih berkas CSV yang akan diimpor.".into()],
        );
    }
    match import(&state.db, &actor, unit.id, year, &bytes).await {
        Ok(_) => Ok(
            Redirect::to(&format!("/admin/target?tahun={year}&pesan=target-diimpor"))
                .into_response(),
        ),
        Err(YearError::Invalid(errors)) => fail(StatusCode::BAD_REQUEST, errors),
        Err(YearError::Taken(m)) => fail(StatusCode::CONFLICT, vec![m]),
        Err(YearError::Refused(m)) => fail(StatusCode::BAD_REQUEST, vec![m]),
        Err(YearError::Db(e)) => Err(e.into()),
    }
}
