//! The instansi's view of every unit (*Rekap unit*): per unit, for a period, the
//! action plan's counts and, for an LKE year, both totals and the readiness judged
//! on the TPI's answers; sortable, filterable, as a page, CSV and XLSX. Computed for
//! all units at once in a few queries and kept until anything audited changes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use askama::Template;
use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;
use sqlx::SqlitePool;

use crate::AppState;
use crate::auth::{CurrentUser, Role};
use crate::error::{AppError, AppResult};
use crate::lke::store::Side;
use crate::periods::{self, Period, PeriodChoice};
use crate::score::decimal;
use crate::web::{Chrome, Pager, QueryData, SelectOption, render};

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
        "SELECT c.unit_id, count(*) AS steps,
                coalesce(sum(p.status = 'selesai'), 0) AS done,
                coalesce(sum(p.realization), 0) AS realization,
                coalesce(sum(p.status IS NULL OR p.status NOT IN ('selesai', 'tidak_dapat')), 0) AS open,
                coalesce(sum(NOT EXISTS (SELECT 1 FROM evidence e WHERE e.step_id = s.id
                       AND e.semester = ?2 AND e.removed_at IS NULL)), 0) AS no_evidence,
                coalesce(sum(r.verdict = 'perbaikan'
                       AND NOT EXISTS (SELECT 1 FROM resubmissions x WHERE x.review_id = r.id)), 0) AS to_fix
         FROM components c
         JOIN areas a ON a.component_id = c.id
         JOIN indicators i ON i.area_id = a.id
         JOIN action_steps s ON s.indicator_id = i.id
         LEFT JOIN progress p ON p.step_id = s.id AND p.semester = ?2
         LEFT JOIN reviews r ON r.id = (
              SELECT r2.id FROM reviews r2
               WHERE r2.step_id = s.id AND r2.semester = ?2 AND r2.progress_version = p.version
               ORDER BY r2.id DESC LIMIT 1)
         WHERE c.year = ?1
           AND a.retired_at IS NULL AND i.retired_at IS NULL AND s.retired_at IS NULL
         GROUP BY c.unit_id",
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
    let held: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT unit_id FROM unit_predicates WHERE year < ? AND predicate IN ('WBK', 'WBBM')",
    )
    .bind(year)
    .fetch_all(db)
    .await?;
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

/// A rendered body: (stamp, date, the period's label, the body).
type PageEntry = (i64, NaiveDate, String, Arc<String>);

/// Roll-ups per (period, LKE year), valid while the newest audit id and the date stay.
type Entry = (i64, NaiveDate, Arc<Vec<Row>>);

#[derive(Default)]
pub struct Cache {
    entries: Mutex<HashMap<(Period, Option<i64>), Entry>>,
    meta: Mutex<Option<(i64, Meta)>>,
    /// Rendered bodies for the instansi's roles (who see every unit), by query.
    pages: Mutex<HashMap<String, PageEntry>>,
}

/// The newest audit id: every change the roll-up shows is audited.
async fn stamp(db: &SqlitePool) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT coalesce(max(id), 0) FROM audit_log")
        .fetch_one(db)
        .await
}

/// The periods (target years of any unit) and the LKE years, under a stamp.
#[derive(Clone)]
struct Meta {
    years: Arc<Vec<i64>>,
    lke_years: Arc<Vec<i64>>,
}

async fn meta(state: &AppState, stamp: i64) -> sqlx::Result<Meta> {
    let cache = state.caches.get::<Cache>();
    if let Some((s, m)) = cache.meta.lock().expect("cache lock").as_ref()
        && *s == stamp
    {
        return Ok(m.clone());
    }
    let m = Meta {
        years: Arc::new(
            sqlx::query_scalar("SELECT DISTINCT year FROM target_years ORDER BY year DESC")
                .fetch_all(&state.db)
                .await?,
        ),
        lke_years: Arc::new(crate::lke::store::years(&state.db).await?),
    };
    *cache.meta.lock().expect("cache lock") = Some((stamp, m.clone()));
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
    if let Some((s, d, rows)) = cache
        .entries
        .lock()
        .expect("cache lock")
        .get(&(period, lke_year))
        && *s == stamp
        && *d == today
    {
        return Ok(rows.clone());
    }
    let rows = Arc::new(compute(&state.db, period, lke_year, today).await?);
    let mut entries = cache.entries.lock().expect("cache lock");
    if entries.len() > 32 {
        entries.clear();
    }
    entries.insert((period, lke_year), (stamp, today, rows.clone()));
    Ok(rows)
}

// ---------------------------------------------------------------------------
// The page and the files

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct RollupQuery {
    pub periode: Option<String>,
    /// The LKE year (default: the newest with a master).
    pub lke: Option<String>,
    /// Parent unit code.
    pub induk: Option<String>,
    /// Readiness: wbk, wbbm, belum, kosong.
    pub kesiapan: Option<String>,
    pub urut: Option<String>,
    pub arah: Option<String>,
    pub halaman: Option<String>,
}

/// The columns the table sorts by: (key, heading).
pub const COLUMNS: [(&str, &str); 11] = [
    ("kode", "Kode"),
    ("nama", "Unit kerja"),
    ("langkah", "Langkah aksi"),
    ("selesai", "Selesai"),
    ("realisasi", "Rata-rata realisasi (%)"),
    ("terlambat", "Melewati tenggat"),
    ("tanpa_bukti", "Tanpa bukti dukung"),
    ("perbaikan", "Perlu perbaikan"),
    ("tpi", "Nilai LKE TPI"),
    ("mandiri", "Nilai LKE mandiri"),
    ("kesiapan", "Kesiapan (menurut jawaban TPI)"),
];

/// Whom the roll-up shows: every unit to the instansi's roles; a penilai the units
/// where they evaluate; nobody else.
async fn visible_units(db: &SqlitePool, user: &CurrentUser) -> AppResult<Option<Vec<i64>>> {
    if user.instansi_role.is_some() {
        return Ok(None);
    }
    let mine: Vec<i64> =
        sqlx::query_scalar("SELECT unit_id FROM user_units WHERE user_id = ? AND role = ?")
            .bind(user.id)
            .bind(Role::Penilai.as_str())
            .fetch_all(db)
            .await?;
    if mine.is_empty() {
        Err(AppError::Forbidden)
    } else {
        Ok(Some(mine))
    }
}

fn sort_rows(rows: &mut [Row], key: &str, descending: bool) {
    let f = |a: &f64, b: &f64| a.total_cmp(b);
    rows.sort_by(|a, b| {
        let o = match key {
            "nama" => a.name.cmp(&b.name),
            "langkah" => a.steps.cmp(&b.steps),
            "selesai" => a.done.cmp(&b.done),
            "realisasi" => f(&a.mean, &b.mean),
            "terlambat" => a.overdue.cmp(&b.overdue),
            "tanpa_bukti" => a.no_evidence.cmp(&b.no_evidence),
            "perbaikan" => a.to_fix.cmp(&b.to_fix),
            "tpi" => f(&a.tpi.unwrap_or(-1.0), &b.tpi.unwrap_or(-1.0)),
            "mandiri" => f(&a.own.unwrap_or(-1.0), &b.own.unwrap_or(-1.0)),
            "kesiapan" => a.readiness.cmp(&b.readiness),
            _ => std::cmp::Ordering::Equal,
        }
        .then_with(|| a.code.cmp(&b.code));
        if descending { o.reverse() } else { o }
    });
}

/// The rows the request asks for: visible, filtered and sorted (all pages).
struct Selection {
    period: Period,
    periods: Vec<Period>,
    lke_year: Option<i64>,
    lke_years: Vec<i64>,
    rows: Vec<Row>,
    parents: Vec<String>,
    key: String,
    descending: bool,
}

async fn select(
    state: &AppState,
    user: &CurrentUser,
    q: &RollupQuery,
    stamp: i64,
) -> AppResult<Selection> {
    let visible = visible_units(&state.db, user).await?;
    let m = meta(state, stamp).await?;
    let years = m.years.as_ref().clone();
    let period = periods::resolve_in(&years, q.periode.as_deref())?;
    let lke_years = m.lke_years.as_ref().clone();
    let lke_year = match q.lke.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(raw) => Some(
            raw.parse::<i64>()
                .ok()
                .filter(|y| lke_years.contains(y))
                .ok_or_else(|| {
                    AppError::NotFoundWith(format!(
                        "LKE tahun {} tidak ada.",
                        raw.chars().take(8).collect::<String>()
                    ))
                })?,
        ),
        None => lke_years.first().copied(),
    };
    let all = cached(state, stamp, period, lke_year).await?;
    let mut parents: Vec<String> = all.iter().filter_map(|r| r.parent.clone()).collect();
    parents.sort();
    parents.dedup();
    let induk = q.induk.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let kesiapan = q
        .kesiapan
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let mut rows: Vec<Row> = all
        .iter()
        .filter(|r| visible.as_ref().is_none_or(|v| v.contains(&r.unit_id)))
        .filter(|r| induk.is_none_or(|p| r.parent.as_deref() == Some(p) || r.code == p))
        .filter(|r| kesiapan.is_none_or(|k| r.readiness.key() == k))
        .cloned()
        .collect();
    let key = q
        .urut
        .as_deref()
        .filter(|k| COLUMNS.iter().any(|(c, _)| c == k))
        .unwrap_or("kode")
        .to_string();
    let descending = q.arah.as_deref() == Some("turun");
    sort_rows(&mut rows, &key, descending);
    Ok(Selection {
        period,
        periods: periods::periods_of(&years),
        lke_year,
        lke_years,
        rows,
        parents,
        key,
        descending,
    })
}

pub struct Heading {
    pub label: &'static str,
    /// The address that sorts by this column (the other way when it is the current one).
    pub href: String,
    /// "ascending"/"descending" for the current column, for screen readers.
    pub aria: &'static str,
}

#[derive(Template)]
#[template(path = "tenant/rollup.html")]
struct RollupPage {
    chrome: Chrome,
    title: String,
    body: Arc<String>,
}

#[derive(Template)]
#[template(path = "tenant/rollup_body.html")]
struct RollupBody {
    periods: PeriodChoice,
    lke_years: Vec<SelectOption>,
    parents: Vec<SelectOption>,
    readiness: Vec<SelectOption>,
    headings: Vec<Heading>,
    rows: Vec<Row>,
    pager: Pager,
    total: usize,
    csv: String,
    xlsx: String,
    lke_year: Option<i64>,
    ready_wbk: usize,
    ready_wbbm: usize,
    period: Period,
}

const PAGE_SIZE: i64 = 100;

fn params(q: &RollupQuery, sel: &Selection) -> Vec<(&'static str, String)> {
    let mut p = vec![("periode", sel.period.key())];
    if let Some(y) = sel.lke_year {
        p.push(("lke", y.to_string()));
    }
    for (k, v) in [("induk", &q.induk), ("kesiapan", &q.kesiapan)] {
        if let Some(v) = v.as_deref().filter(|v| !v.trim().is_empty()) {
            p.push((k, v.trim().chars().take(40).collect()));
        }
    }
    p
}

pub(crate) async fn page(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
    QueryData(q): QueryData<RollupQuery>,
) -> AppResult<Response> {
    let stamp = stamp(&state.db).await?;
    let today = periods::today();
    // the instansi's roles all see the same page for the same query
    let key = user.instansi_role.is_some().then(|| {
        format!(
            "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
            q.periode, q.lke, q.induk, q.kesiapan, q.urut, q.arah, q.halaman
        )
    });
    let cache = state.caches.get::<Cache>();
    if let Some(k) = &key
        && let Some((s, d, title, body)) = cache.pages.lock().expect("cache lock").get(k)
        && *s == stamp
        && *d == today
    {
        return render(&RollupPage {
            chrome,
            title: title.clone(),
            body: body.clone(),
        });
    }
    let sel = select(&state, &user, &q, stamp).await?;
    let base = params(&q, &sel);
    let mut with_sort = base.clone();
    with_sort.push(("urut", sel.key.clone()));
    if sel.descending {
        with_sort.push(("arah", "turun".into()));
    }
    let total = sel.rows.len();
    let pager = Pager::new(
        Pager::page_from(q.halaman.as_deref()),
        PAGE_SIZE,
        total as i64,
        crate::web::query_string("/instansi/rekap", &with_sort),
    );
    let headings = COLUMNS
        .iter()
        .map(|(k, label)| {
            let current = *k == sel.key;
            let mut p = base.clone();
            p.push(("urut", k.to_string()));
            if current && !sel.descending {
                p.push(("arah", "turun".into()));
            }
            Heading {
                label,
                href: crate::web::query_string("/instansi/rekap", &p),
                aria: match (current, sel.descending) {
                    (false, _) => "none",
                    (true, false) => "ascending",
                    (true, true) => "descending",
                },
            }
        })
        .collect();
    let induk = q.induk.clone().unwrap_or_default();
    let kesiapan = q.kesiapan.clone().unwrap_or_default();
    let page_rows = sel
        .rows
        .iter()
        .skip(pager.offset() as usize)
        .take(PAGE_SIZE as usize)
        .cloned()
        .collect();
    let body = Arc::new(
        RollupBody {
            periods: PeriodChoice::from_periods(sel.period, sel.periods.clone()),
            lke_years: sel
                .lke_years
                .iter()
                .map(|y| SelectOption::new(y.to_string(), y.to_string(), Some(*y) == sel.lke_year))
                .collect(),
            parents: sel
                .parents
                .iter()
                .map(|p| SelectOption::new(p.clone(), p.clone(), *p == induk))
                .collect(),
            readiness: [
                ("wbbm", "Memenuhi syarat WBBM"),
                ("wbk", "Memenuhi syarat WBK"),
                ("belum", "Belum memenuhi syarat WBK"),
                ("kosong", "Belum ada jawaban LKE"),
            ]
            .iter()
            .map(|(k, l)| SelectOption::new(*k, *l, *k == kesiapan))
            .collect(),
            headings,
            csv: crate::web::query_string("/instansi/rekap.csv", &with_sort),
            xlsx: crate::web::query_string("/instansi/rekap.xlsx", &with_sort),
            ready_wbk: sel
                .rows
                .iter()
                .filter(|r| r.readiness >= Readiness::Wbk)
                .count(),
            ready_wbbm: sel
                .rows
                .iter()
                .filter(|r| r.readiness == Readiness::Wbbm)
                .count(),
            lke_year: sel.lke_year,
            period: sel.period,
            rows: page_rows,
            total,
            pager,
        }
        .render()?,
    );
    if let Some(k) = key {
        let mut pages = cache.pages.lock().expect("cache lock");
        if pages.len() > 256 {
            pages.clear();
        }
        pages.insert(k, (stamp, today, sel.period.label(), body.clone()));
    }
    render(&RollupPage {
        chrome,
        title: sel.period.label(),
        body,
    })
}

fn cells(r: &Row) -> [String; 12] {
    [
        r.code.clone(),
        r.name.clone(),
        r.parent.clone().unwrap_or_default(),
        r.steps.to_string(),
        r.done.to_string(),
        r.mean_label(),
        r.overdue.to_string(),
        r.no_evidence.to_string(),
        r.to_fix.to_string(),
        r.tpi_label(),
        r.own_label(),
        r.readiness.label().to_string(),
    ]
}

const FILE_HEADER: [&str; 12] = [
    "Kode",
    "Unit kerja",
    "Unit induk",
    "Langkah aksi",
    "Selesai",
    "Rata-rata realisasi (%)",
    "Melewati tenggat",
    "Tanpa bukti dukung",
    "Perlu perbaikan",
    "Nilai LKE TPI",
    "Nilai LKE mandiri",
    "Kesiapan (menurut jawaban TPI)",
];

fn file_name(sel: &Selection, ext: &str) -> String {
    format!(
        "rekap-unit-{}-semester-{}.{ext}",
        sel.period.year, sel.period.semester
    )
}

pub(crate) async fn csv(
    State(state): State<AppState>,
    user: CurrentUser,
    QueryData(q): QueryData<RollupQuery>,
) -> AppResult<Response> {
    let sel = select(&state, &user, &q, stamp(&state.db).await?).await?;
    let mut w = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .delimiter(crate::reports::CSV_SEPARATOR)
        .from_writer("\u{feff}".as_bytes().to_vec());
    let io = |e: ::csv::Error| AppError::Internal(e.into());
    w.write_record(FILE_HEADER).map_err(io)?;
    for r in &sel.rows {
        w.write_record(
            cells(r)
                .iter()
                .map(|c| crate::fmt::csv_cell(c).into_owned()),
        )
        .map_err(io)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| AppError::Internal(e.into_error().into()))?;
    Ok(crate::reports::attachment(
        Body::from(bytes),
        "text/csv; charset=utf-8",
        &file_name(&sel, "csv"),
    ))
}

pub(crate) async fn xlsx(
    State(state): State<AppState>,
    user: CurrentUser,
    QueryData(q): QueryData<RollupQuery>,
) -> AppResult<Response> {
    use rust_xlsxwriter::{Format, Workbook};
    let sel = select(&state, &user, &q, stamp(&state.db).await?).await?;
    let build = || -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        let mut wb = Workbook::new();
        let sheet = wb.add_worksheet().set_name("Rekap unit")?;
        let bold = Format::new().set_bold();
        let title = format!(
            "Rekap unit kerja · {}{}",
            sel.period.label(),
            sel.lke_year
                .map(|y| format!(" · LKE {y} (perhitungan sendiri, bukan keputusan TPN)"))
                .unwrap_or_default()
        );
        sheet.write_string_with_format(0, 0, &title, &bold)?;
        for (c, h) in FILE_HEADER.iter().enumerate() {
            sheet.write_string_with_format(2, c as u16, *h, &bold)?;
        }
        for (i, r) in sel.rows.iter().enumerate() {
            let row = 3 + i as u32;
            sheet.write_string(row, 0, &r.code)?;
            sheet.write_string(row, 1, &r.name)?;
            sheet.write_string(row, 2, r.parent.as_deref().unwrap_or(""))?;
            sheet.write_number(row, 3, r.steps as f64)?;
            sheet.write_number(row, 4, r.done as f64)?;
            sheet.write_number(row, 5, (r.mean * 10.0).round() / 10.0)?;
            sheet.write_number(row, 6, r.overdue as f64)?;
            sheet.write_number(row, 7, r.no_evidence as f64)?;
            sheet.write_number(row, 8, r.to_fix as f64)?;
            if let Some(v) = r.tpi {
                sheet.write_number(row, 9, (v * 100.0).round() / 100.0)?;
            }
            if let Some(v) = r.own {
                sheet.write_number(row, 10, (v * 100.0).round() / 100.0)?;
            }
            sheet.write_string(row, 11, r.readiness.label())?;
        }
        for (c, w) in [10, 40, 12, 12, 10, 14, 12, 14, 12, 12, 12, 30]
            .iter()
            .enumerate()
        {
            sheet.set_column_width(c as u16, *w)?;
        }
        wb.save_to_buffer()
    };
    let bytes = build().map_err(|e| AppError::Internal(e.into()))?;
    Ok(crate::reports::attachment(
        Body::from(bytes),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &file_name(&sel, "xlsx"),
    ))
}

/// For the page's summary line.
impl RollupBody {
    fn lke_label(&self) -> String {
        self.lke_year
            .map(|y| format!("LKE {y}"))
            .unwrap_or_else(|| "LKE (belum ada master)".into())
    }
}
