//! The leadership dashboard: the semester's state per component and area beside the
//! previous semester, lists that need action, workload per PIC, drill-down lists,
//! cached until anything audited changes.

pub mod pages;
#[allow(unused_imports)]
pub use pages::*;

use crate::audit::{DayStamp, Stamped};
#[allow(unused_imports)]
use crate::score::*;
use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use chrono::NaiveDate;
use sqlx::SqlitePool;

use crate::AppState;
use crate::auth::Role;
use crate::error::AppResult;
use crate::periods::{self, Period, PeriodChoice};
use crate::routes::{Access, Route};
use crate::step::{self, Status, StepRow};

// ---------------------------------------------------------------------------
// The dashboard's data, cached per period until anything audited changes

pub struct AreaStats {
    pub a_pos: i64,
    pub name: String,
    pub now: Counts,
    pub prev: Option<Counts>,
}

pub struct ComponentStats {
    pub numeral: String,
    pub name: String,
    pub now: Counts,
    pub prev: Option<Counts>,
    pub areas: Vec<AreaStats>,
    pub segments: Vec<Segment>,
    pub estimate: Estimate,
}

impl ComponentStats {
    pub fn weight_label(&self) -> String {
        decimal(self.estimate.weight, 2)
    }
    pub fn score_label(&self) -> String {
        decimal(self.estimate.score, 2)
    }
    pub fn percent_label(&self) -> String {
        decimal(self.estimate.value * 100.0, 1)
    }
}

pub struct ListItem {
    pub step_id: i64,
    pub code: String,
    pub text: String,
    pub pics: String,
    pub note: String,
}

pub struct Workload {
    pub user_id: i64,
    pub name: String,
    pub assigned: i64,
    pub done: i64,
    pub behind: i64,
}

pub struct DashboardData {
    pub period: Period,
    pub prev_period: Option<Period>,
    pub components: Vec<ComponentStats>,
    pub overall: Counts,
    pub overall_prev: Option<Counts>,
    pub overall_segments: Vec<Segment>,
    pub estimate_total: f64,
    pub weight_total: f64,
    pub default_weights: bool,
    pub no_evidence: Vec<ListItem>,
    pub not_started: Vec<ListItem>,
    pub to_fix: Vec<ListItem>,
    pub late: Vec<ListItem>,
    /// "Tidak dapat dilaksanakan", with the reasons given.
    pub blocked: Vec<ListItem>,
    pub workload: Vec<Workload>,
    pub deadline: Option<NaiveDate>,
    pub past_deadline: bool,
}

/// Whether a step counts as behind: not started or asked to fix; after the
/// deadline, anything not yet finished (or declared impossible).
pub(crate) fn behind(r: &StepRow, past_deadline: bool) -> bool {
    r.needs_fix()
        || r.status_key() == Status::Belum
        || (past_deadline && !r.status_key().is_closed())
}

pub(crate) fn item(r: &StepRow, note: String) -> ListItem {
    ListItem {
        step_id: r.step_id,
        code: r.code(),
        text: r.step_text.clone(),
        pics: r.pics_label(),
        note,
    }
}

pub async fn compute(
    db: &SqlitePool,
    unit: i64,
    period: Period,
    today: NaiveDate,
) -> AppResult<DashboardData> {
    let rows = step::period_rows(db, unit, period, None).await?;
    let prev = period.previous();
    let prev_exists: Option<i64> =
        sqlx::query_scalar("SELECT year FROM target_years WHERE unit_id = ? AND year = ?")
            .bind(unit)
            .bind(prev.year)
            .fetch_optional(db)
            .await?;
    let prev_rows = match prev_exists {
        Some(_) => Some(step::period_rows(db, unit, prev, None).await?),
        None => None,
    };
    let (weights, default_weights) = weights(db, period.year).await?;
    let estimates = estimate(&rows, &weights);
    let deadline = periods::deadline(db, unit, period).await?;
    let past_deadline = deadline.is_some_and(|d| today > d);

    let mut components: Vec<ComponentStats> = Vec::new();
    for r in &rows {
        if components.last().map(|c| c.numeral.as_str()) != Some(r.numeral.as_str()) {
            components.push(ComponentStats {
                numeral: r.numeral.clone(),
                name: r.component_name.clone(),
                now: Counts::default(),
                prev: None,
                areas: Vec::new(),
                segments: Vec::new(),
                estimate: estimates
                    .iter()
                    .find(|e| e.numeral == r.numeral)
                    .cloned()
                    .expect("every component has an estimate"),
            });
        }
        let c = components.last_mut().expect("pushed");
        c.now.add(r);
        if c.areas.last().map(|a| a.a_pos) != Some(r.a_pos) {
            c.areas.push(AreaStats {
                a_pos: r.a_pos,
                name: r.area_name.clone(),
                now: Counts::default(),
                prev: None,
            });
        }
        c.areas.last_mut().expect("pushed").now.add(r);
    }
    if let Some(prev_rows) = &prev_rows {
        for c in &mut components {
            c.prev = Some(Counts::of(
                prev_rows.iter().filter(|r| r.numeral == c.numeral),
            ));
            for a in &mut c.areas {
                a.prev = Some(Counts::of(
                    prev_rows
                        .iter()
                        .filter(|r| r.numeral == c.numeral && r.a_pos == a.a_pos),
                ));
            }
        }
    }
    for c in &mut components {
        c.segments = segments(&c.now);
    }
    let overall = Counts::of(&rows);

    let mut no_evidence = Vec::new();
    let mut not_started = Vec::new();
    let mut to_fix = Vec::new();
    let mut late = Vec::new();
    let mut blocked = Vec::new();
    for r in &rows {
        if r.status_key() == Status::TidakDapat {
            blocked.push(item(r, r.blocked_reason().unwrap_or("").to_string()));
        }
        if r.evidence_count == 0 {
            no_evidence.push(item(r, String::new()));
        }
        if r.status_key() == Status::Belum {
            not_started.push(item(r, String::new()));
        }
        if r.needs_fix() {
            to_fix.push(item(r, r.review_note.clone().unwrap_or_default()));
        }
        if past_deadline && !r.status_key().is_closed() {
            late.push(item(r, r.status_label().to_string()));
        }
    }

    let assignments: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT sa.step_id, u.id, u.display_name FROM step_assignments sa
         JOIN users u ON u.id = sa.user_id
         JOIN unit_steps s ON s.step_id = sa.step_id AND s.unit_id = ? AND s.year = ?
         ORDER BY u.display_name",
    )
    .bind(unit)
    .bind(period.year)
    .fetch_all(db)
    .await?;
    let by_step: HashMap<i64, &StepRow> = rows.iter().map(|r| (r.step_id, r)).collect();
    let mut workload: Vec<Workload> = Vec::new();
    for (step_id, user_id, name) in assignments {
        let Some(r) = by_step.get(&step_id) else {
            continue;
        };
        if workload.last().map(|w| w.user_id) != Some(user_id) {
            workload.push(Workload {
                user_id,
                name,
                assigned: 0,
                done: 0,
                behind: 0,
            });
        }
        let w = workload.last_mut().expect("pushed");
        w.assigned += 1;
        if r.status_key() == Status::Selesai {
            w.done += 1;
        }
        if behind(r, past_deadline) {
            w.behind += 1;
        }
    }

    Ok(DashboardData {
        period,
        prev_period: prev_rows.as_ref().map(|_| prev),
        overall_prev: prev_rows.as_ref().map(|p| Counts::of(p.iter())),
        overall_segments: segments(&overall),
        estimate_total: estimates.iter().map(|e| e.score).sum(),
        weight_total: estimates.iter().map(|e| e.weight).sum(),
        default_weights,
        components,
        overall,
        no_evidence,
        not_started,
        to_fix,
        late,
        blocked,
        workload,
        deadline,
        past_deadline,
    })
}

/// A dashboard's data and its rendered body.
type Rendered = (Arc<DashboardData>, Arc<String>);

/// Dashboards per (unit, period) with their rendered body, and each unit's target
/// years: kept under the unit's audit stamp (and the day, for the dashboards' dates).
#[derive(Default)]
pub struct Cache {
    pub(crate) entries: Stamped<(i64, Period), DayStamp, Rendered, 1024>,
    pub(crate) years: Stamped<i64, i64, Arc<Vec<i64>>, 1024>,
}

/// A unit's target years, read again when anything audited changed.
pub async fn cached_years(state: &AppState, unit: i64, stamp: i64) -> sqlx::Result<Arc<Vec<i64>>> {
    let cache = state.caches.get::<Cache>();
    if let Some(years) = cache.years.get(&unit, &stamp) {
        return Ok(years);
    }
    let years = Arc::new(crate::periods::target_years(&state.db, unit).await?);
    cache.years.put(unit, stamp, years.clone());
    Ok(years)
}

/// The dashboard of a period and its rendered body, computed once per data version
/// and day.
pub async fn cached(
    state: &AppState,
    unit: i64,
    period: Period,
    stamp: i64,
    years: &[i64],
) -> AppResult<(Arc<DashboardData>, Arc<String>)> {
    let today = periods::today();
    let cache = state.caches.get::<Cache>();
    if let Some(hit) = cache.entries.get(&(unit, period), &(stamp, today)) {
        return Ok(hit);
    }
    let data = Arc::new(compute(&state.db, unit, period, today).await?);
    let body = Arc::new(
        DashboardBody {
            periods: PeriodChoice::from_periods(period, periods::periods_of(years)),
            d: data.clone(),
            lke: crate::lke::view::cached(state, unit, period.year)
                .await?
                .map(|v| crate::lke::pages::panel(&v)),
        }
        .render()?,
    );
    cache
        .entries
        .put((unit, period), (stamp, today), (data.clone(), body.clone()));
    Ok((data, body))
}

pub const READERS: Access = Access::Roles(&[Role::Admin, Role::Pimpinan, Role::Penilai]);

pub fn routes() -> Vec<Route> {
    use axum::routing::get;
    vec![
        Route::new("GET", "/dashboard", READERS, get(pages::dashboard_page)),
        Route::new("GET", "/dashboard/daftar", READERS, get(pages::drill_page)),
    ]
}
