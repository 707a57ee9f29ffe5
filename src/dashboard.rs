//! The leadership dashboard: the semester's state per component and area beside the
//! previous semester, pictures with text equivalents, lists that need action,
//! workload per PIC, drill-down lists, and the unit's own estimate of its
//! pengungkit score.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;
use sqlx::SqlitePool;

use crate::AppState;
use crate::audit::{self, Actor, Entry};
use crate::auth::{ClientIp, CurrentUser, Role};
use crate::error::{AppError, AppResult};
use crate::periods::{self, Period, PeriodChoice};
use crate::routes::{Access, Route};
use crate::steps::{self, StepRow};
use crate::web::{Chrome, FormData, QueryData, render, render_status};

pub const READERS: Access = Access::Roles(&[Role::Admin, Role::Pimpinan, Role::Penilai]);

pub fn routes() -> Vec<Route> {
    use axum::routing::{get, post};
    vec![
        Route::new("GET", "/dashboard", READERS, get(dashboard_page)),
        Route::new("GET", "/dashboard/daftar", READERS, get(drill_page)),
        Route::new(
            "GET",
            "/admin/bobot",
            Access::Roles(&[Role::Admin]),
            get(weights_page),
        ),
        Route::new(
            "POST",
            "/admin/bobot",
            Access::Roles(&[Role::Admin]),
            post(weights_submit),
        ),
    ]
}

/// PermenPAN-RB 10/2019 weights, used when a year has none stored.
pub const DEFAULT_WEIGHTS: [(&str, f64); 6] = [
    ("I", 5.0),
    ("II", 5.0),
    ("III", 15.0),
    ("IV", 10.0),
    ("V", 15.0),
    ("VI", 10.0),
];

// ---------------------------------------------------------------------------
// Counting

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Counts {
    pub total: i64,
    pub selesai: i64,
    pub berjalan: i64,
    pub belum: i64,
    pub tidak_dapat: i64,
    pub realization_sum: i64,
    pub with_evidence: i64,
    pub diterima: i64,
    pub perbaikan: i64,
    pub unreviewed: i64,
}

impl Counts {
    pub fn add(&mut self, r: &StepRow) {
        self.total += 1;
        match r.status_key() {
            "selesai" => self.selesai += 1,
            "berjalan" => self.berjalan += 1,
            "tidak_dapat" => self.tidak_dapat += 1,
            _ => self.belum += 1,
        }
        self.realization_sum += r.realization_value();
        if r.evidence_count > 0 {
            self.with_evidence += 1;
        }
        match r.verdict.as_deref() {
            Some("diterima") => self.diterima += 1,
            Some("perbaikan") => self.perbaikan += 1,
            _ => self.unreviewed += 1,
        }
    }

    pub fn of<'a>(rows: impl IntoIterator<Item = &'a StepRow>) -> Counts {
        let mut c = Counts::default();
        for r in rows {
            c.add(r);
        }
        c
    }

    pub fn mean_realization(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.realization_sum as f64 / self.total as f64
        }
    }

    /// "45,5" — one decimal, Indonesian comma.
    pub fn mean_label(&self) -> String {
        decimal(self.mean_realization(), 1)
    }

    pub fn done_percent(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            100.0 * self.selesai as f64 / self.total as f64
        }
    }

    pub fn done_percent_label(&self) -> String {
        decimal(self.done_percent(), 0)
    }
}

pub fn decimal(v: f64, places: usize) -> String {
    format!("{v:.places$}").replace('.', ",")
}

/// One bar segment of the component pictures, in percent of the bar.
pub struct Segment {
    pub x: f64,
    pub width: f64,
    pub class: &'static str,
    pub label: &'static str,
    pub count: i64,
}

pub fn segments(c: &Counts) -> Vec<Segment> {
    let total = c.total.max(1) as f64;
    let mut x = 0.0;
    let mut out = Vec::new();
    for (count, class, label) in [
        (c.selesai, "seg-selesai", "Selesai"),
        (c.berjalan, "seg-berjalan", "Sedang berjalan"),
        (c.belum, "seg-belum", "Belum dimulai"),
        (c.tidak_dapat, "seg-tidak", "Tidak dapat dilaksanakan"),
    ] {
        let width = 100.0 * count as f64 / total;
        out.push(Segment {
            x,
            width,
            class,
            label,
            count,
        });
        x += width;
    }
    out
}

// ---------------------------------------------------------------------------
// The estimate

/// A step's value for the estimate: its realisation, or nothing while the reviewer
/// has asked for a fix.
pub fn step_value(r: &StepRow) -> f64 {
    if r.verdict.as_deref() == Some("perbaikan") {
        0.0
    } else {
        r.realization_value() as f64 / 100.0
    }
}

fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        0.0
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}

#[derive(Clone, Debug)]
pub struct Estimate {
    pub numeral: String,
    pub weight: f64,
    /// 0..1: mean of the component's areas.
    pub value: f64,
    pub score: f64,
}

/// Indicator = mean of its steps' values; area = mean of its indicators; component =
/// mean of its areas × the component's weight; total = sum of the components.
pub fn estimate(rows: &[StepRow], weights: &HashMap<String, f64>) -> Vec<Estimate> {
    // component -> area -> indicator -> step values
    type Indicators = BTreeMap<i64, Vec<f64>>;
    let mut tree: BTreeMap<(i64, String), BTreeMap<i64, Indicators>> = BTreeMap::new();
    for r in rows {
        tree.entry((r.c_pos, r.numeral.clone()))
            .or_default()
            .entry(r.a_pos)
            .or_default()
            .entry(r.i_pos)
            .or_default()
            .push(step_value(r));
    }
    tree.into_iter()
        .map(|((_, numeral), areas)| {
            let area_values: Vec<f64> = areas
                .values()
                .map(|inds| mean(&inds.values().map(|s| mean(s)).collect::<Vec<_>>()))
                .collect();
            let value = mean(&area_values);
            let weight = weights.get(&numeral).copied().unwrap_or(0.0);
            Estimate {
                numeral,
                weight,
                value,
                score: value * weight,
            }
        })
        .collect()
}

pub async fn weights(db: &SqlitePool, year: i64) -> sqlx::Result<(HashMap<String, f64>, bool)> {
    let stored: Vec<(String, f64)> =
        sqlx::query_as("SELECT numeral, weight FROM component_weights WHERE year = ?")
            .bind(year)
            .fetch_all(db)
            .await?;
    if stored.is_empty() {
        return Ok((
            DEFAULT_WEIGHTS
                .iter()
                .map(|(n, w)| (n.to_string(), *w))
                .collect(),
            true,
        ));
    }
    Ok((stored.into_iter().collect(), false))
}

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
    pub workload: Vec<Workload>,
    pub deadline: Option<NaiveDate>,
    pub past_deadline: bool,
}

/// Whether a step counts as behind: not started or asked to fix; after the
/// deadline, anything not yet finished (or declared impossible).
fn behind(r: &StepRow, past_deadline: bool) -> bool {
    let open = !matches!(r.status_key(), "selesai" | "tidak_dapat");
    r.needs_fix() || r.status_key() == "belum" || (past_deadline && open)
}

fn item(r: &StepRow, note: String) -> ListItem {
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
    period: Period,
    today: NaiveDate,
) -> AppResult<DashboardData> {
    let rows = steps::period_rows(db, period, None).await?;
    let prev = period.previous();
    let prev_exists: Option<i64> =
        sqlx::query_scalar("SELECT year FROM target_years WHERE year = ?")
            .bind(prev.year)
            .fetch_optional(db)
            .await?;
    let prev_rows = match prev_exists {
        Some(_) => Some(steps::period_rows(db, prev, None).await?),
        None => None,
    };
    let (weights, default_weights) = weights(db, period.year).await?;
    let estimates = estimate(&rows, &weights);
    let deadline = periods::deadline(db, period).await?;
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
    for r in &rows {
        if r.evidence_count == 0 {
            no_evidence.push(item(r, String::new()));
        }
        if r.status_key() == "belum" {
            not_started.push(item(r, String::new()));
        }
        if r.needs_fix() {
            to_fix.push(item(r, r.review_note.clone().unwrap_or_default()));
        }
        if past_deadline && !matches!(r.status_key(), "selesai" | "tidak_dapat") {
            late.push(item(r, r.status_label().to_string()));
        }
    }

    let assignments: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT sa.step_id, u.id, u.display_name FROM step_assignments sa
         JOIN users u ON u.id = sa.user_id
         JOIN action_steps s ON s.id = sa.step_id
         JOIN indicators i ON i.id = s.indicator_id
         JOIN areas a ON a.id = i.area_id
         JOIN components c ON c.id = a.component_id AND c.year = ?
         ORDER BY u.display_name",
    )
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
        if r.status_key() == "selesai" {
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
        workload,
        deadline,
        past_deadline,
    })
}

/// Dashboards computed per period, valid while the newest audit entry (every change
/// the dashboard shows is audited in the same transaction) and the date stay the same.
/// (newest audit id, date, data, the rendered body)
type CacheEntry = (i64, NaiveDate, Arc<DashboardData>, Arc<String>);

#[derive(Default)]
pub struct Cache {
    entries: Mutex<HashMap<Period, CacheEntry>>,
    /// The target years, under the same stamp (copying or importing a year is audited).
    years: Mutex<Option<(i64, Arc<Vec<i64>>)>>,
}

/// The newest audit id: changes whenever anything the dashboard shows changes.
pub async fn stamp(state: &AppState) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT coalesce(max(id), 0) FROM audit_log")
        .fetch_one(&state.db)
        .await
}

pub async fn cached_years(state: &AppState, stamp: i64) -> sqlx::Result<Arc<Vec<i64>>> {
    if let Some((s, years)) = state.dashboards.years.lock().expect("cache lock").as_ref()
        && *s == stamp
    {
        return Ok(years.clone());
    }
    let years = Arc::new(crate::catalogue::target_years(&state.db).await?);
    *state.dashboards.years.lock().expect("cache lock") = Some((stamp, years.clone()));
    Ok(years)
}

/// The dashboard of a period and its rendered body, computed once per data version
/// and day.
pub async fn cached(
    state: &AppState,
    period: Period,
    stamp: i64,
    years: &[i64],
) -> AppResult<(Arc<DashboardData>, Arc<String>)> {
    let today = periods::today();
    if let Some((s, d, data, body)) = state
        .dashboards
        .entries
        .lock()
        .expect("cache lock")
        .get(&period)
        && *s == stamp
        && *d == today
    {
        return Ok((data.clone(), body.clone()));
    }
    let data = Arc::new(compute(&state.db, period, today).await?);
    let body = Arc::new(
        DashboardBody {
            periods: PeriodChoice::from_periods(period, periods::periods_of(years)),
            d: data.clone(),
        }
        .render()?,
    );
    let mut entries = state.dashboards.entries.lock().expect("cache lock");
    if entries.len() > 64 {
        entries.clear();
    }
    entries.insert(period, (stamp, today, data.clone(), body.clone()));
    Ok((data, body))
}

// ---------------------------------------------------------------------------
// Pages

#[derive(Template)]
#[template(path = "dashboard/index.html")]
struct DashboardPage {
    chrome: Chrome,
    title: String,
    body: Arc<String>,
}

#[derive(Template)]
#[template(path = "dashboard/body.html")]
struct DashboardBody {
    periods: PeriodChoice,
    d: Arc<DashboardData>,
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
    periode: Option<String>,
}

async fn dashboard_page(
    State(state): State<AppState>,
    chrome: Chrome,
    QueryData(q): QueryData<DashboardQuery>,
) -> AppResult<Response> {
    let stamp = stamp(&state).await?;
    let years = cached_years(&state, stamp).await?;
    let period = periods::resolve_in(&years, q.periode.as_deref())?;
    let (_, body) = cached(&state, period, stamp, &years).await?;
    render(&DashboardPage {
        chrome,
        title: period.label(),
        body,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DrillQuery {
    periode: Option<String>,
    komponen: Option<String>,
    area: Option<String>,
    kriteria: Option<String>,
    pic: Option<String>,
}

pub const CRITERIA: [(&str, &str); 12] = [
    ("semua", "Semua langkah"),
    ("selesai", "Selesai"),
    ("berjalan", "Sedang berjalan"),
    ("belum", "Belum dimulai"),
    ("tidak_dapat", "Tidak dapat dilaksanakan"),
    ("bukti", "Dengan bukti dukung"),
    ("tanpa_bukti", "Tanpa bukti dukung"),
    ("diterima", "Diterima"),
    ("perbaikan", "Perlu perbaikan"),
    ("belum_reviu", "Belum direviu"),
    ("terlambat", "Melewati tenggat"),
    ("tertinggal", "Tertinggal"),
];

fn matches(r: &StepRow, kriteria: &str, past_deadline: bool) -> bool {
    match kriteria {
        "selesai" | "berjalan" | "belum" | "tidak_dapat" => r.status_key() == kriteria,
        "bukti" => r.evidence_count > 0,
        "tanpa_bukti" => r.evidence_count == 0,
        "diterima" => r.verdict.as_deref() == Some("diterima"),
        "perbaikan" => r.needs_fix(),
        "belum_reviu" => r.verdict.is_none(),
        "terlambat" => past_deadline && !matches!(r.status_key(), "selesai" | "tidak_dapat"),
        "tertinggal" => behind(r, past_deadline),
        _ => true,
    }
}

#[derive(Template)]
#[template(path = "dashboard/list.html")]
struct DrillPage {
    chrome: Chrome,
    period: Period,
    title: String,
    rows: Vec<StepRow>,
    back: String,
}

async fn drill_page(
    State(state): State<AppState>,
    chrome: Chrome,
    QueryData(q): QueryData<DrillQuery>,
) -> AppResult<Response> {
    let period = periods::resolve(&state.db, q.periode.as_deref()).await?;
    let kriteria = q.kriteria.as_deref().unwrap_or("semua");
    let Some((_, kriteria_label)) = CRITERIA.iter().find(|(k, _)| *k == kriteria) else {
        return Err(AppError::NotFoundWith(
            "Kriteria daftar tidak dikenal.".into(),
        ));
    };
    let pic = match q.pic.as_deref().filter(|s| !s.is_empty()) {
        Some(raw) => {
            let id = raw.parse::<i64>().map_err(|_| AppError::NotFound)?;
            let name: String = sqlx::query_scalar("SELECT display_name FROM users WHERE id = ?")
                .bind(id)
                .fetch_optional(&state.db)
                .await?
                .ok_or(AppError::NotFound)?;
            Some((id, name))
        }
        None => None,
    };
    let rows = steps::period_rows(&state.db, period, pic.as_ref().map(|p| p.0)).await?;
    let komponen = q.komponen.as_deref().filter(|s| !s.is_empty());
    let area = q
        .area
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<i64>().map_err(|_| AppError::NotFound))
        .transpose()?;
    let past_deadline = periods::deadline(&state.db, period)
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

// ---------------------------------------------------------------------------
// Weights (admin)

pub struct WeightRow {
    pub numeral: &'static str,
    pub value: String,
}

#[derive(Template)]
#[template(path = "dashboard/weights.html")]
struct WeightsPage {
    chrome: Chrome,
    year: i64,
    years: Vec<crate::catalogue::YearOption>,
    rows: Vec<WeightRow>,
    default_weights: bool,
    errors: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct WeightsQuery {
    tahun: Option<String>,
}

async fn year_or_latest(db: &SqlitePool, raw: Option<&str>) -> AppResult<i64> {
    let year = match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(y) => y.parse::<i64>().map_err(|_| AppError::NotFound)?,
        None => sqlx::query_scalar::<_, Option<i64>>("SELECT max(year) FROM target_years")
            .fetch_one(db)
            .await?
            .ok_or(AppError::NotFound)?,
    };
    let exists: Option<i64> = sqlx::query_scalar("SELECT year FROM target_years WHERE year = ?")
        .bind(year)
        .fetch_optional(db)
        .await?;
    exists.ok_or_else(|| AppError::NotFoundWith(format!("Tahun target {year} tidak ada.")))
}

async fn weights_page(
    State(state): State<AppState>,
    chrome: Chrome,
    QueryData(q): QueryData<WeightsQuery>,
) -> AppResult<Response> {
    let year = year_or_latest(&state.db, q.tahun.as_deref()).await?;
    let (w, default_weights) = weights(&state.db, year).await?;
    render(&WeightsPage {
        chrome,
        year,
        years: crate::catalogue::year_options(
            &crate::catalogue::target_years(&state.db).await?,
            year,
        ),
        rows: DEFAULT_WEIGHTS
            .iter()
            .map(|(n, _)| WeightRow {
                numeral: n,
                value: decimal(w.get(*n).copied().unwrap_or(0.0), 2).replace(",00", ""),
            })
            .collect(),
        default_weights,
        errors: Vec::new(),
    })
}

async fn weights_submit(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    FormData(form): FormData<HashMap<String, String>>,
) -> AppResult<Response> {
    let year = year_or_latest(&state.db, form.get("tahun").map(String::as_str)).await?;
    let mut errors = Vec::new();
    let mut values = Vec::new();
    for (n, _) in DEFAULT_WEIGHTS {
        let raw = form
            .get(&format!("bobot_{n}"))
            .map(|s| s.trim())
            .unwrap_or("");
        match raw.replace(',', ".").parse::<f64>() {
            Ok(v) if (0.0..=100.0).contains(&v) && v.is_finite() => values.push((n, v)),
            _ => errors.push(format!("Bobot komponen {n} harus angka 0 sampai 100.")),
        }
    }
    if !errors.is_empty() {
        return render_status(
            StatusCode::BAD_REQUEST,
            &WeightsPage {
                chrome,
                year,
                years: crate::catalogue::year_options(
                    &crate::catalogue::target_years(&state.db).await?,
                    year,
                ),
                rows: DEFAULT_WEIGHTS
                    .iter()
                    .map(|(n, _)| WeightRow {
                        numeral: n,
                        value: form.get(&format!("bobot_{n}")).cloned().unwrap_or_default(),
                    })
                    .collect(),
                default_weights: false,
                errors,
            },
        );
    }
    let (before, _) = weights(&state.db, year).await?;
    let mut tx = crate::db::write(&state.db).await?;
    for (n, v) in &values {
        sqlx::query(
            "INSERT INTO component_weights (year, numeral, weight) VALUES (?, ?, ?)
             ON CONFLICT (year, numeral) DO UPDATE SET weight = excluded.weight",
        )
        .bind(year)
        .bind(n)
        .bind(v)
        .execute(&mut *tx)
        .await?;
    }
    audit::record(
        &mut tx,
        &Actor::user(&user, Some(ip)),
        Entry::new("weights_set", format!("Bobot komponen tahun {year} diatur")).change(
            json!(before),
            json!(
                values
                    .iter()
                    .map(|(n, v)| (n.to_string(), *v))
                    .collect::<HashMap<_, _>>()
            ),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/admin/bobot?tahun={year}&pesan=bobot-disimpan")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(c: &str, a: i64, i: i64, realization: i64, verdict: Option<&str>) -> StepRow {
        StepRow {
            step_id: 0,
            s_pos: 1,
            step_text: String::new(),
            authority: String::new(),
            indicator_id: 0,
            i_pos: i,
            indicator_text: String::new(),
            area_id: 0,
            a_pos: a,
            area_name: String::new(),
            component_id: 0,
            c_pos: 1,
            numeral: c.into(),
            component_name: String::new(),
            status: Some("berjalan".into()),
            realization: Some(realization),
            narrative: None,
            version: Some(1),
            updated_at: None,
            evidence_count: 0,
            verdict: verdict.map(str::to_string),
            review_note: None,
            pics: None,
        }
    }

    #[test]
    fn estimate_is_a_mean_of_means_times_the_weight() {
        // area 1: indicator a = (100 + 50)/2 = 0.75; area 2: indicator a = 0 (asked to
        // fix), b = 0.2 -> 0.1. Component = (0.75 + 0.1)/2 = 0.425 × 5 = 2.125.
        let rows = vec![
            row("I", 1, 1, 100, None),
            row("I", 1, 1, 50, Some("diterima")),
            row("I", 2, 1, 80, Some("perbaikan")),
            row("I", 2, 2, 20, None),
        ];
        let w = HashMap::from([("I".to_string(), 5.0)]);
        let e = estimate(&rows, &w);
        assert_eq!(e.len(), 1);
        assert!((e[0].value - 0.425).abs() < 1e-9);
        assert!((e[0].score - 2.125).abs() < 1e-9);
    }
}
