//! Read-only catalogue pages and the CSV download.

#[allow(unused_imports)]
use super::*;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};

use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::tenant::Unit;
use crate::web::{Chrome, QueryData, render};

// ---------------------------------------------------------------------------
// Pages

#[derive(Template)]
#[template(path = "catalogue/index.html")]
pub(crate) struct OverviewPage {
    pub(crate) chrome: Chrome,
    pub(crate) catalogue: Catalogue,
    pub(crate) years: Vec<YearOption>,
}

/// A choice in a year selector.
pub struct YearOption {
    pub year: i64,
    pub selected: bool,
}

pub fn year_options(years: &[i64], chosen: i64) -> Vec<YearOption> {
    years
        .iter()
        .map(|&year| YearOption {
            year,
            selected: year == chosen,
        })
        .collect()
}

pub(crate) async fn overview(
    State(state): State<AppState>,
    chrome: Chrome,
    unit: Unit,
    QueryData(q): QueryData<YearQuery>,
) -> AppResult<Response> {
    let year = year_or_latest(&state.db, unit.id, q.tahun.as_deref()).await?;
    let catalogue = load(&state.db, unit.id, year)
        .await?
        .ok_or(AppError::NotFound)?;
    let years = year_options(
        &crate::periods::target_years(&state.db, unit.id).await?,
        year,
    );
    render(&OverviewPage {
        chrome,
        catalogue,
        years,
    })
}

#[derive(Template)]
#[template(path = "catalogue/component.html")]
pub(crate) struct ComponentPage {
    pub(crate) chrome: Chrome,
    pub(crate) year: i64,
    pub(crate) component: Component,
}

pub(crate) async fn component_page(
    State(state): State<AppState>,
    chrome: Chrome,
    unit: Unit,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = crate::web::parse_id(&id)?;
    let year: i64 = sqlx::query_scalar("SELECT year FROM components WHERE id = ? AND unit_id = ?")
        .bind(id)
        .bind(unit.id)
        .fetch_optional(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let catalogue = load(&state.db, unit.id, year)
        .await?
        .ok_or(AppError::NotFound)?;
    let component = catalogue
        .components
        .into_iter()
        .find(|c| c.id == id)
        .ok_or(AppError::NotFound)?;
    render(&ComponentPage {
        chrome,
        year,
        component,
    })
}

pub(crate) async fn export_download(
    State(state): State<AppState>,
    unit: Unit,
    QueryData(q): QueryData<YearQuery>,
) -> AppResult<Response> {
    let year = year_or_latest(&state.db, unit.id, q.tahun.as_deref()).await?;
    let catalogue = load(&state.db, unit.id, year)
        .await?
        .ok_or(AppError::NotFound)?;
    let body = to_csv(&catalogue)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"target-zi-{year}.csv\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// `/` sends people to where their work is.
pub async fn home(user: crate::auth::CurrentUser) -> Redirect {
    Redirect::to(crate::account::landing(user.role))
}
