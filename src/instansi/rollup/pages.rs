//! The roll-up as a page, CSV and XLSX: sorting, filtering, paging.

use super::*;
use crate::score::Criterion;
use crate::step::Status;

use std::sync::Arc;

use askama::Template;
use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use sqlx::SqlitePool;

use crate::AppState;
use crate::auth::{CurrentUser, Role};
use crate::error::{AppError, AppResult};
use crate::periods::{self, Period, PeriodChoice};
use crate::web::{Chrome, Pager, QueryData, SelectOption, render};

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
    (
        Criterion::Status(Status::Selesai).key(),
        Criterion::Status(Status::Selesai).label(),
    ),
    ("realisasi", "Rata-rata realisasi (%)"),
    (Criterion::Terlambat.key(), Criterion::Terlambat.label()),
    (Criterion::TanpaBukti.key(), Criterion::TanpaBukti.label()),
    (Criterion::Perbaikan.key(), Criterion::Perbaikan.label()),
    ("tpi", "Nilai LKE TPI"),
    ("mandiri", "Nilai LKE mandiri"),
    ("kesiapan", "Kesiapan (menurut jawaban TPI)"),
];

/// Whom the roll-up shows: every unit to the instansi's roles; a penilai the units
/// where they evaluate; nobody else.
pub(crate) async fn visible_units(
    db: &SqlitePool,
    user: &CurrentUser,
) -> AppResult<Option<Vec<i64>>> {
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

pub(crate) fn sort_rows(rows: &mut [Row], key: &str, descending: bool) {
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
pub(crate) struct Selection {
    period: Period,
    periods: Vec<Period>,
    lke_year: Option<i64>,
    lke_years: Vec<i64>,
    rows: Vec<Row>,
    parents: Vec<String>,
    key: String,
    descending: bool,
}

pub(crate) async fn select(
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
#[template(path = "instansi/rollup.html")]
pub(crate) struct RollupPage {
    chrome: Chrome,
    title: String,
    body: Arc<String>,
}

#[derive(Template)]
#[template(path = "instansi/rollup_body.html")]
pub(crate) struct RollupBody {
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

pub(crate) const PAGE_SIZE: i64 = 100;

pub(crate) fn params(q: &RollupQuery, sel: &Selection) -> Vec<(&'static str, String)> {
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
    let stamp = crate::audit::stamp_all(&state.db).await?;
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
        && let Some((title, body)) = cache.pages.get(k, &(stamp, today))
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
        cache
            .pages
            .put(k, (stamp, today), (sel.period.label(), body.clone()));
    }
    render(&RollupPage {
        chrome,
        title: sel.period.label(),
        body,
    })
}

pub(crate) fn cells(r: &Row) -> [String; 12] {
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

pub(crate) const FILE_HEADER: [&str; 12] = [
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

pub(crate) fn file_name(sel: &Selection, ext: &str) -> String {
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
    let sel = select(&state, &user, &q, crate::audit::stamp_all(&state.db).await?).await?;
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
    let sel = select(&state, &user, &q, crate::audit::stamp_all(&state.db).await?).await?;
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
