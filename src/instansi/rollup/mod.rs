//! The instansi's view of every unit (*Rekap unit*): per unit, for a period, the
//! action plan's counts and, for an LKE year, both totals and the readiness judged
//! on the TPI's answers. Computed for all units at once in a few queries and kept
//! until anything audited changes (here); shown as a page, CSV and XLSX (`pages`).

mod pages;

pub use pages::*;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use sqlx::SqlitePool;

use crate::AppState;
use crate::audit::{DayStamp, Stamped};
use crate::error::AppResult;
use crate::lke::store::Side;
use crate::periods::{self, Period};
use crate::score::decimal;

/// One unit's row.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub unit_id: i64,
    pub code: String,
    pub name: String,
    pub parent: Option<String>,
    pub steps: i64,
    pub done: i64,
    /// Mean realisation over the period's steps, in percent.
    pub mean: f64,
    /// Not finished after the unit's deadline for the period.
    pub overdue: i64,
    pub no_evidence: i64,
    pub to_fix: i64,
    /// LKE totals (TPI, unit's own) when the year has a master and anything is answered.
    pub tpi: Option<f64>,
    pub own: Option<f64>,
    pub readiness: Readiness,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Readiness {
    /// No LKE answers for the year.
    Unknown,
    Not,
    Wbk,
    Wbbm,
}

impl Readiness {
    pub fn label(self) -> &'static str {
        match self {
            Readiness::Unknown => "—",
            Readiness::Not => "Belum memenuhi syarat WBK",
            Readiness::Wbk => "Memenuhi syarat WBK",
            Readiness::Wbbm => "Memenuhi syarat WBBM",
        }
    }
    fn key(self) -> &'static str {
        match self {
            Readiness::Unknown => "kosong",
            Readiness::Not => "belum",
            Readiness::Wbk => "wbk",
            Readiness::Wbbm => "wbbm",
        }
    }
}

impl Row {
    pub fn mean_label(&self) -> String {
        decimal(self.mean, 1)
    }
    pub fn tpi_label(&self) -> String {
        self.tpi.map_or("—".into(), |v| decimal(v, 2))
    }
    pub fn own_label(&self) -> String {
        self.own.map_or("—".into(), |v| decimal(v, 2))
    }
}

#[derive(sqlx::FromRow)]
struct Counted {
    unit_id: i64,
    steps: i64,
    done: i64,
    realization: i64,
    open: i64,
    no_evidence: i64,
    to_fix: i64,
}

/// Every active unit's row for a period and an LKE year (no master: no LKE figures).
pub async fn compute(
    db: &SqlitePool,
    period: Period,
    lke_year: Option<i64>,
    today: NaiveDate,
) -> sqlx::Result<Vec<Row>> {
    let units: Vec<(i64, String, String, Option<String>)> = sqlx::query_as(
        "SELECT w.id, w.code, w.name, p.code FROM work_units w
         LEFT JOIN work_units p ON p.id = w.parent_id
         WHERE w.retired_at IS NULL ORDER BY w.code",
    )
    .fetch_all(db)
    .await?;
    let counted: Vec<Counted> = sqlx::query_as(
        "SELECT s.unit_id, count(*) AS steps,
                coalesce(sum(p.status = 'selesai'), 0) AS done,
                coalesce(sum(p.realization), 0) AS realization,
                coalesce(sum(p.status IS NULL OR p.status NOT IN ('selesai', 'tidak_dapat')), 0) AS open,
                coalesce(sum(NOT EXISTS (SELECT 1 FROM evidence e WHERE e.step_id = s.step_id
                       AND e.semester = ?2 AND e.removed_at IS NULL)), 0) AS no_evidence,
                coalesce(sum(r.verdict = 'perbaikan' AND NOT r.resubmitted), 0) AS to_fix
         FROM unit_steps s
         LEFT JOIN progress p ON p.step_id = s.step_id AND p.semester = ?2
         LEFT JOIN standing_reviews r ON r.step_id = s.step_id AND r.semester = ?2
         WHERE s.year = ?1 AND NOT s.retired
         GROUP BY s.unit_id",
    )
    .bind(period.year)
    .bind(period.semester)
    .fetch_all(db)
    .await?;
    let counted: HashMap<i64, Counted> = counted.into_iter().map(|c| (c.unit_id, c)).collect();
    let ids: Vec<i64> = units.iter().map(|u| u.0).collect();
    let deadlines = crate::periods::deadlines_of(db, &ids, Some(period)).await?;
    let deadline_of = |unit: i64| deadlines.get(&(unit, period)).copied();
    let lke = match lke_year {
        Some(y) => lke_totals(db, y).await?,
        None => HashMap::new(),
    };
    Ok(units
        .into_iter()
        .map(|(id, code, name, parent)| {
            let c = counted.get(&id);
            let steps = c.map_or(0, |c| c.steps);
            let past = deadline_of(id).is_some_and(|d| today > d);
            let (tpi, own, readiness) = lke
                .get(&id)
                .copied()
                .map_or((None, None, Readiness::Unknown), |(t, o, r)| {
                    (Some(t), Some(o), r)
                });
            Row {
                unit_id: id,
                code,
                name,
                parent,
                steps,
                done: c.map_or(0, |c| c.done),
                mean: if steps == 0 {
                    0.0
                } else {
                    c.map_or(0, |c| c.realization) as f64 / steps as f64
                },
                overdue: if past { c.map_or(0, |c| c.open) } else { 0 },
                no_evidence: c.map_or(0, |c| c.no_evidence),
                to_fix: c.map_or(0, |c| c.to_fix),
                tpi,
                own,
                readiness,
            }
        })
        .collect())
}

/// Per unit with any answer for the year: (TPI total, own total, readiness on the
/// TPI's answers), with the master read and the plan built once.
pub(crate) async fn lke_totals(
    db: &SqlitePool,
    year: i64,
) -> sqlx::Result<HashMap<i64, (f64, f64, Readiness)>> {
    use crate::lke::answer::{Answer, parse_answer};
    let Some(master) = crate::lke::store::load_master(db, year).await? else {
        return Ok(HashMap::new());
    };
    let plan = crate::lke::score::ScoringPlan::new(&master);
    let rows: Vec<(i64, i64, String, String)> = sqlx::query_as(
        "SELECT unit_id, question_id, side, answer FROM lke_answers
         WHERE year = ? AND answer IS NOT NULL AND draft_from IS NULL",
    )
    .bind(year)
    .fetch_all(db)
    .await?;
    let held = crate::lke::store::units_with_wbk_before(db, year).await?;
    type Sides = (HashMap<i64, Answer>, HashMap<i64, Answer>);
    let mut by_unit: HashMap<i64, Sides> = HashMap::new();
    for (unit, question, side, answer) in rows {
        let Some(q) = master.question(question) else {
            continue;
        };
        let Ok(a) = parse_answer(q, &answer) else {
            continue;
        };
        let entry = by_unit.entry(unit).or_default();
        if side == Side::Tpi.as_str() {
            entry.1.insert(question, a);
        } else {
            entry.0.insert(question, a);
        }
    }
    Ok(by_unit
        .into_iter()
        .map(|(unit, (own, tpi))| {
            let own = plan.score(&own);
            let tpi = plan.score(&tpi);
            let r =
                crate::lke::readiness::readiness_with(&master, &plan, &tpi, held.contains(&unit));
            use crate::lke::readiness::all_met;
            let readiness = if all_met(&r.wbbm) {
                Readiness::Wbbm
            } else if all_met(&r.wbk) {
                Readiness::Wbk
            } else {
                Readiness::Not
            };
            (unit, (tpi.total, own.total, readiness))
        })
        .collect())
}

/// Roll-ups per (period, LKE year), the periods and LKE years, and rendered bodies for
/// the instansi's roles (who all see the same page for a query): each kept under the
/// newest audit id of all (and the day, where dates show).
#[derive(Default)]
pub struct Cache {
    entries: Stamped<(Period, Option<i64>), DayStamp, Arc<Vec<Row>>, 32>,
    meta: Stamped<(), i64, Meta, 1>,
    pub(crate) pages: Stamped<String, DayStamp, (String, Arc<String>), 256>,
}

/// The periods (target years of any unit) and the LKE years, under a stamp.
#[derive(Clone)]
struct Meta {
    years: Arc<Vec<i64>>,
    lke_years: Arc<Vec<i64>>,
}

async fn meta(state: &AppState, stamp: i64) -> sqlx::Result<Meta> {
    let cache = state.caches.get::<Cache>();
    if let Some(m) = cache.meta.get(&(), &stamp) {
        return Ok(m);
    }
    let m = Meta {
        years: Arc::new(
            sqlx::query_scalar("SELECT DISTINCT year FROM target_years ORDER BY year DESC")
                .fetch_all(&state.db)
                .await?,
        ),
        lke_years: Arc::new(crate::lke::store::years(&state.db).await?),
    };
    cache.meta.put((), stamp, m.clone());
    Ok(m)
}

pub async fn cached(
    state: &AppState,
    stamp: i64,
    period: Period,
    lke_year: Option<i64>,
) -> AppResult<Arc<Vec<Row>>> {
    let today = periods::today();
    let cache = state.caches.get::<Cache>();
    if let Some(rows) = cache.entries.get(&(period, lke_year), &(stamp, today)) {
        return Ok(rows);
    }
    let rows = Arc::new(compute(&state.db, period, lke_year, today).await?);
    cache
        .entries
        .put((period, lke_year), (stamp, today), rows.clone());
    Ok(rows)
}
