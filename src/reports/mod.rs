//! Reports for evaluators: the LKE-ordered table as XLSX (with a summary sheet),
//! CSV, a printable page, and the period's evidence as a ZIP in LKE folders.

pub mod archive;
pub mod csv;
pub mod xlsx;
#[allow(unused_imports)]
pub use archive::*;
#[allow(unused_imports)]
pub use csv::*;
#[allow(unused_imports)]
pub use xlsx::*;

use std::collections::HashMap;

use askama::Template;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use sqlx::SqlitePool;

use crate::AppState;
use crate::auth::{CurrentUser, Role};
use crate::error::AppResult;
use crate::evidence::EvidenceView;
use crate::periods::{self, Period, PeriodChoice, PeriodQuery};
use crate::routes::{Access, Route};
use crate::step::{self, StepRow};
use crate::web::{Chrome, QueryData, render};

pub fn routes() -> Vec<Route> {
    use axum::routing::get;
    vec![
        Route::new("GET", "/laporan", Access::SignedIn, get(index)),
        Route::new("GET", "/laporan/target.xlsx", Access::SignedIn, get(xlsx)),
        Route::new(
            "GET",
            "/laporan/target.csv",
            Access::SignedIn,
            get(csv_report),
        ),
        Route::new("GET", "/laporan/cetak", Access::SignedIn, get(print_view)),
        Route::new("GET", "/laporan/bukti.zip", Access::SignedIn, get(archive)),
    ]
}

/// One row of the report: a step in the period, with its evidence.
pub struct ReportRow {
    pub step: StepRow,
    pub evidence: Vec<EvidenceView>,
}

impl ReportRow {
    pub fn links(&self, base: &str) -> Vec<String> {
        self.evidence
            .iter()
            .map(|e| match &e.url {
                Some(u) => u.clone(),
                None => format!("{base}/bukti/{}/unduh", e.id),
            })
            .collect()
    }
}

/// Everything a report shows for a period; staff get their own steps only.
pub struct Report {
    pub period: Period,
    pub rows: Vec<ReportRow>,
    pub own_only: bool,
}

pub async fn load(
    db: &SqlitePool,
    unit: i64,
    period: Period,
    user: &CurrentUser,
) -> sqlx::Result<Report> {
    let own_only = user.role == Role::Staf;
    let rows = step::period_rows(db, unit, period, own_only.then_some(user.id)).await?;
    let items: Vec<EvidenceView> = sqlx::query_as(
        "SELECT e.id, e.step_id, e.semester, e.kind, e.label, e.url, e.stored_name,
                e.media_type, e.size, e.sha256, e.replaces_id, u.display_name AS uploaded_by,
                e.uploaded_at, e.removed_at, NULL AS removed_by, e.removed_note
         FROM evidence e JOIN users u ON u.id = e.uploaded_by
         JOIN unit_steps s ON s.step_id = e.step_id AND s.unit_id = ? AND s.year = ?
         WHERE e.semester = ? AND e.removed_at IS NULL
         ORDER BY e.id",
    )
    .bind(unit)
    .bind(period.year)
    .bind(period.semester)
    .fetch_all(db)
    .await?;
    let mut by_step: HashMap<i64, Vec<EvidenceView>> = HashMap::new();
    for e in items {
        by_step.entry(e.step_id).or_default().push(e);
    }
    Ok(Report {
        period,
        own_only,
        rows: rows
            .into_iter()
            .map(|step| ReportRow {
                evidence: by_step.remove(&step.step_id).unwrap_or_default(),
                step,
            })
            .collect(),
    })
}

/// The address that links in a file point back to: the configured public URL, or the
/// host the request came to.
/// The address links in a file point back to: the configured public URL, else the
/// address the server listens on. Never the request's `Host` header: a forged one
/// would put its own links into files people share.
pub(crate) fn base_url(state: &AppState, _headers: &HeaderMap) -> String {
    if let Some(base) = state.config.public_base() {
        return base;
    }
    let bind = state.config.bind.replace("0.0.0.0", "127.0.0.1");
    format!("http://{bind}")
}

pub(crate) fn file_name(period: Period, own: bool, ext: &str) -> String {
    let who = if own { "-saya" } else { "" };
    format!(
        "laporan-zi-{}-semester-{}{who}.{ext}",
        period.year, period.semester
    )
}

pub(crate) fn attachment(body: Body, mime: &'static str, name: &str) -> Response {
    let mut res = Response::new(body);
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    res
}

// ---------------------------------------------------------------------------
// Print view and the reports page

#[derive(Template)]
#[template(path = "reports/print.html")]
pub(crate) struct PrintPage {
    pub(crate) chrome: Chrome,
    pub(crate) period: Period,
    pub(crate) rows: Vec<ReportRow>,
    pub(crate) own_only: bool,
    pub(crate) printed: String,
}

impl PrintPage {
    fn starts_component(&self, i: &usize) -> bool {
        *i == 0 || self.rows[*i - 1].step.numeral != self.rows[*i].step.numeral
    }
    fn starts_area(&self, i: &usize) -> bool {
        *i == 0 || self.rows[*i - 1].step.area_id != self.rows[*i].step.area_id
    }
    fn letter(&self, i: &i64) -> String {
        crate::fmt::indicator_letter(*i)
    }
    /// The indicator's text is printed once, above its steps.
    fn starts_indicator(&self, i: &usize) -> bool {
        *i == 0 || self.rows[*i - 1].step.indicator_id != self.rows[*i].step.indicator_id
    }
}

pub(crate) async fn print_view(
    State(state): State<AppState>,
    unit: crate::tenant::Unit,
    chrome: Chrome,
    user: CurrentUser,
    QueryData(q): QueryData<PeriodQuery>,
) -> AppResult<Response> {
    let period = resolve_period(&state, unit.id, &q).await?;
    let report = load(&state.db, unit.id, period, &user).await?;
    render(&PrintPage {
        chrome,
        period,
        own_only: report.own_only,
        rows: report.rows,
        printed: crate::fmt::date_id(periods::today()),
    })
}

#[derive(Template)]
#[template(path = "reports/index.html")]
pub(crate) struct ReportsPage {
    pub(crate) chrome: Chrome,
    pub(crate) periods: PeriodChoice,
    pub(crate) period: Period,
    pub(crate) own_only: bool,
}

pub(crate) async fn index(
    State(state): State<AppState>,
    unit: crate::tenant::Unit,
    chrome: Chrome,
    user: CurrentUser,
    QueryData(q): QueryData<PeriodQuery>,
) -> AppResult<Response> {
    let period = resolve_period(&state, unit.id, &q).await?;
    render(&ReportsPage {
        chrome,
        periods: PeriodChoice::load(&state.db, unit.id, period).await?,
        period,
        own_only: user.role == Role::Staf,
    })
}
