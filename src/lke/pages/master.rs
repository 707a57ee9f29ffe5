//! Loading a master (admin).

use super::*;

use askama::Template;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use crate::AppState;
use crate::error::AppResult;
use crate::lke::store::{self};
use crate::web::Acting;
use crate::web::{Chrome, render, render_status};

#[derive(Template)]
#[template(path = "lke/master.html")]
pub(crate) struct MasterPage {
    pub(crate) chrome: Chrome,
    pub(crate) years: Vec<(i64, usize, bool)>,
    pub(crate) form_year: String,
    pub(crate) errors: Vec<String>,
}

pub(crate) async fn master_years(db: &sqlx::SqlitePool) -> sqlx::Result<Vec<(i64, usize, bool)>> {
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT y.year,
                (SELECT count(*) FROM lke_questions q WHERE q.year = y.year),
                EXISTS (SELECT 1 FROM lke_answers a WHERE a.year = y.year)
         FROM lke_years y ORDER BY y.year DESC",
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(y, n, a)| (y, n as usize, a != 0))
        .collect())
}

pub(crate) async fn master_page(
    State(state): State<AppState>,
    chrome: Chrome,
) -> AppResult<Response> {
    render(&MasterPage {
        chrome,
        years: master_years(&state.db).await?,
        form_year: String::new(),
        errors: Vec::new(),
    })
}

pub(crate) async fn master_submit(
    State(state): State<AppState>,
    chrome: Chrome,
    Acting { user: _, actor }: Acting,
    request: Request,
) -> AppResult<Response> {
    let years = master_years(&state.db).await?;
    let upload = crate::web::read_upload(request, &state, UPLOAD_MAX_BYTES).await;
    let form_year = match &upload {
        Ok(u) => u.fields.get("tahun").cloned().unwrap_or_default(),
        Err(_) => String::new(),
    };
    let fail = |status: StatusCode, errors: Vec<String>| {
        render_status(
            status,
            &MasterPage {
                chrome: chrome.clone(),
                years: years.clone(),
                form_year: form_year.chars().take(10).collect(),
                errors,
            },
        )
    };
    let upload = match upload {
        Ok(u) => u,
        Err(e) => {
            return match e.for_form(UPLOAD_MAX_BYTES) {
                Ok((status, message)) => fail(status, vec![message]),
                Err(refused) => Ok(*refused),
            };
        }
    };
    let Some(year) = form_year
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
    else {
        return fail(
            StatusCode::BAD_REQUEST,
            vec!["Isi tahun master, mis. 2027.".into()],
        );
    };
    if upload.file.is_empty() {
        return fail(
            StatusCode::BAD_REQUEST,
            vec!["Pilih berkas JSON master LKE dari PortalRB.".into()],
        );
    }
    match store::import_master(&state.db, &actor, year, &upload.file).await? {
        Ok(_) => Ok(Redirect::to(&format!("/lke/{year}?pesan=master-dimuat")).into_response()),
        Err(problems) => fail(StatusCode::BAD_REQUEST, problems),
    }
}
