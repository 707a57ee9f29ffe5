//! The dashboard page and its drill-down lists.

use super::*;
use crate::score::Criterion;
#[allow(unused_imports)]
use crate::score::*;

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::periods::{self, Period, PeriodChoice};
use crate::step::{self, StepRow, Verdict};
use crate::web::{Chrome, QueryData, render};

// ---------------------------------------------------------------------------
// Pages

#[derive(Template)]
#[template(path = "dashboard/index.html")]
pub(crate) struct DashboardPage {
    pub(crate) chrome: Chrome,
    pub(crate) title: String,
    pub(crate) body: Arc<String>,
}

#[derive(Template)]
#[template(path = "dashboard/body.html")]
pub(crate) struct DashboardBody {
    pub(crate) periods: PeriodChoice,
    pub(crate) d: Arc<DashboardData>,
    /// The official LKE scores and readiness, for a year with a master.
    pub(crate) lke: Option<crate::lke::pages::Panel>,
}

impl DashboardBody {
    fn link(&self, komponen: &str, area: impl std::borrow::Borrow<i64>, kriteria: &str) -> String {
        let area = *area.borrow();
        let mut params = vec![("periode", self.d.period.key())];
        if !komponen.is_empty() {
            params.push(("komponen", komponen.to_string()));
        }
        if area > 0 {
            params.push(("area", area.to_string()));
        }
        params.push(("kriteria", kriteria.to_string()));
        crate::web::query_string("/dashboard/daftar", &params)
    }
    fn pic_link(&self, user_id: impl std::borrow::Borrow<i64>, kriteria: &str) -> String {
        let user_id = *user_id.borrow();
        crate::web::query_string(
            "/dashboard/daftar",
            &[
                ("periode", self.d.period.key()),
                ("pic", user_id.to_string()),
                ("kriteria", kriteria.to_string()),
            ],
        )
    }
    fn total_label(&self) -> String {
        decimal(self.d.estimate_total, 2)
    }
    fn weight_total_label(&self) -> String {
        decimal(self.d.weight_total, 2)
    }
    fn deadline_label(&self) -> String {
        self.d.deadline.map(crate::fmt::date_id).unwrap_or_default()
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DashboardQuery {
    pub(crate) periode: Option<String>,
}

pub(crate) async fn dashboard_page(
    State(state): State<AppState>,
    unit: crate::tenant::Unit,
    chrome: Chrome,
    QueryData(q): QueryData<DashboardQuery>,
) -> AppResult<Response> {
    let stamp = crate::audit::stamp(&state.db, unit.id).await?;
    let years = cached_years(&state, unit.id, stamp).await?;
    let period = periods::resolve_in(&years, q.periode.as_deref())?;
    let (_, body) = cached(&state, unit.id, period, stamp, &years).await?;
    render(&DashboardPage {
        chrome,
        title: period.label(),
        body,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DrillQuery {
    pub(crate) periode: Option<String>,
    pub(crate) komponen: Option<String>,
    pub(crate) area: Option<String>,
    pub(crate) kriteria: Option<String>,
    pub(crate) pic: Option<String>,
}

pub(crate) fn matches(r: &StepRow, kriteria: Criterion, past_deadline: bool) -> bool {
    match kriteria {
        Criterion::Semua => true,
        Criterion::Status(status) => r.status_key() == status,
        Criterion::Bukti => r.evidence_count > 0,
        Criterion::TanpaBukti => r.evidence_count == 0,
        Criterion::Diterima => r.verdict == Some(Verdict::Diterima),
        Criterion::Perbaikan => r.needs_fix(),
        Criterion::BelumReviu => r.verdict.is_none() && r.version.is_some(),
        Criterion::Terlambat => past_deadline && !r.status_key().is_closed(),
        Criterion::Tertinggal => behind(r, past_deadline),
    }
}

#[derive(Template)]
#[template(path = "dashboard/list.html")]
pub(crate) struct DrillPage {
    pub(crate) chrome: Chrome,
    pub(crate) period: Period,
    pub(crate) title: String,
    pub(crate) rows: Vec<StepRow>,
    pub(crate) back: String,
}

pub(crate) async fn drill_page(
    State(state): State<AppState>,
    unit: crate::tenant::Unit,
    chrome: Chrome,
    QueryData(q): QueryData<DrillQuery>,
) -> AppResult<Response> {
    let period = periods::resolve(&state.db, unit.id, q.periode.as_deref()).await?;
    let Some(kriteria) = Criterion::parse(q.kriteria.as_deref().unwrap_or("semua")) else {
        return Err(AppError::NotFoundWith(
            "Kriteria daftar tidak dikenal.".into(),
        ));
    };
    let kriteria_label = kriteria.label();
    let pic = match q.pic.as_deref().filter(|s| !s.is_empty()) {
        Some(raw) => {
            let id = raw.parse::<i64>().map_err(|_| AppError::NotFound)?;
            let name: String = sqlx::query_scalar(
                "SELECT u.display_name FROM users u
                 JOIN user_units uu ON uu.user_id = u.id AND uu.unit_id = ?
                 WHERE u.id = ?",
            )
            .bind(unit.id)
            .bind(id)
            .fetch_optional(&state.db)
            .await?
            .ok_or(AppError::NotFound)?;
            Some((id, name))
        }
        None => None,
    };
    let rows = step::period_rows(&state.db, unit.id, period, pic.as_ref().map(|p| p.0)).await?;
    let komponen = q.komponen.as_deref().filter(|s| !s.is_empty());
    let area = q
        .area
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<i64>().map_err(|_| AppError::NotFound))
        .transpose()?;
    let past_deadline = periods::deadline(&state.db, unit.id, period)
        .await?
        .is_some_and(|d| periods::today() > d);
    let mut scope = Vec::new();
    let rows: Vec<StepRow> = rows
        .into_iter()
        .filter(|r| komponen.is_none_or(|k| r.numeral == k))
        .filter(|r| area.is_none_or(|a| r.a_pos == a))
        .filter(|r| matches(r, kriteria, past_deadline))
        .collect();
    if let Some(k) = komponen {
        let name = rows
            .first()
            .map(|r| r.component_name.clone())
            .unwrap_or_default();
        scope.push(format!("Komponen {k} {name}"));
        if let Some(a) = area {
            let an = rows
                .first()
                .map(|r| r.area_name.clone())
                .unwrap_or_default();
            scope.push(format!("Area {a} {an}"));
        }
    }
    if let Some((_, name)) = &pic {
        scope.push(format!("PIC {name}"));
    }
    let title = if scope.is_empty() {
        format!("{kriteria_label} · {}", period.label())
    } else {
        format!(
            "{kriteria_label} · {} · {}",
            scope.join(" · "),
            period.label()
        )
    };
    render(&DrillPage {
        chrome,
        back: format!("/dashboard?periode={}", period.key()),
        period,
        title,
        rows,
    })
}
