//! Reports for evaluators: the LKE-ordered table as XLSX (with a summary sheet),
//! CSV, a printable page, and the period's evidence as a ZIP in LKE folders.

use std::collections::HashMap;
use std::io::{Seek, Write};

use askama::Template;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};
use sqlx::SqlitePool;

use crate::AppState;
use crate::auth::{CurrentUser, Role};
use crate::dashboard::{self, Counts};
use crate::error::{AppError, AppResult};
use crate::evidence::{self, EvidenceView};
use crate::periods::{self, Period, PeriodChoice, PeriodQuery};
use crate::routes::{Access, Route};
use crate::steps::{self, StepRow};
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

pub async fn load(db: &SqlitePool, period: Period, user: &CurrentUser) -> sqlx::Result<Report> {
    let own_only = user.role == Role::Staf;
    let rows = steps::period_rows(db, period, own_only.then_some(user.id)).await?;
    let items: Vec<EvidenceView> = sqlx::query_as(
        "SELECT e.id, e.step_id, e.semester, e.kind, e.label, e.url, e.stored_name,
                e.media_type, e.size, e.sha256, e.replaces_id, u.display_name AS uploaded_by,
                e.uploaded_at, e.removed_at, NULL AS removed_by, e.removed_note
         FROM evidence e JOIN users u ON u.id = e.uploaded_by
         JOIN action_steps s ON s.id = e.step_id
         JOIN indicators i ON i.id = s.indicator_id
         JOIN areas a ON a.id = i.area_id
         JOIN components c ON c.id = a.component_id AND c.year = ?
         WHERE e.semester = ? AND e.removed_at IS NULL
         ORDER BY e.id",
    )
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
fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(u) = &state.config.public_url {
        return u.as_str().trim_end_matches('/').to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '-' | '[' | ']'))
        })
        .unwrap_or("localhost");
    format!("http://{host}")
}

fn file_name(period: Period, own: bool, ext: &str) -> String {
    let who = if own { "-saya" } else { "" };
    format!(
        "laporan-zi-{}-semester-{}{who}.{ext}",
        period.year, period.semester
    )
}

fn attachment(body: Body, mime: &'static str, name: &str) -> Response {
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
// XLSX

pub const PERIOD_HEADERS: [&str; 7] = [
    "PIC",
    "STATUS",
    "REALISASI (%)",
    "URAIAN / KETERANGAN",
    "JUMLAH BUKTI",
    "TAUTAN BUKTI DUKUNG",
    "REVIU",
];
pub const TABLE_HEADERS: [&str; 5] = [
    "NO",
    "KOMPONEN",
    "INDIKATOR",
    "LANGKAH AKSI",
    "KEWENANGAN BERDASARKAN TUSI",
];

fn verdict_text(r: &StepRow) -> String {
    let label = r.verdict_label();
    match (&r.verdict, &r.review_note) {
        (Some(_), Some(n)) if !n.is_empty() => format!("{label}: {n}"),
        _ => label.to_string(),
    }
}

pub fn build_xlsx(
    report: &Report,
    base: &str,
    unit: &str,
    weights: &HashMap<String, f64>,
) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let border = Format::new()
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::Top);
    let head = border
        .clone()
        .set_bold()
        .set_background_color("D9E2F3")
        .set_align(FormatAlign::Center);
    let group = border.clone().set_bold().set_background_color("EEF3F6");
    let title = Format::new().set_bold().set_font_size(13);
    let last_col: u16 = (TABLE_HEADERS.len() + PERIOD_HEADERS.len() - 1) as u16;

    let sheet: &mut Worksheet = wb.add_worksheet();
    sheet.set_name("Target dan Progres")?;
    sheet.set_landscape();
    sheet.set_paper_size(9); // A4
    sheet.write_string_with_format(
        0,
        0,
        format!(
            "TARGET PRIORITAS PEMBANGUNAN ZONA INTEGRITAS TAHUN {}",
            report.period.year
        ),
        &title,
    )?;
    sheet.write_string(
        1,
        0,
        format!(
            "{unit} · Progres {} ({})",
            report.period.label(),
            report.period.span_label()
        ),
    )?;
    if report.own_only {
        sheet.write_string(2, 0, "Hanya langkah aksi yang ditugaskan kepada pengunduh.")?;
    }
    let header_row = 3u32;
    for (i, h) in TABLE_HEADERS
        .iter()
        .chain(PERIOD_HEADERS.iter())
        .enumerate()
    {
        sheet.write_string_with_format(header_row, i as u16, *h, &head)?;
    }
    for (col, width) in [
        6.0, 26.0, 40.0, 48.0, 30.0, 18.0, 16.0, 11.0, 40.0, 9.0, 40.0, 24.0,
    ]
    .iter()
    .enumerate()
    {
        sheet.set_column_width(col as u16, *width)?;
    }
    sheet.set_freeze_panes(header_row + 1, 0)?;
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(header_row, header_row)?;
    let mut row = header_row + 1;
    let mut last_component = String::new();
    let mut last_area = (String::new(), 0i64);
    let mut i = 0;
    while i < report.rows.len() {
        let r = &report.rows[i].step;
        if r.numeral != last_component {
            sheet.write_string_with_format(row, 0, &r.numeral, &group)?;
            sheet.merge_range(row, 1, row, last_col, &r.component_name, &group)?;
            last_component = r.numeral.clone();
            row += 1;
        }
        if (r.numeral.clone(), r.a_pos) != last_area {
            sheet.write_string_with_format(row, 0, r.a_pos.to_string(), &group)?;
            sheet.merge_range(row, 1, row, last_col, &r.area_name, &group)?;
            last_area = (r.numeral.clone(), r.a_pos);
            row += 1;
        }
        // the steps of one indicator share its cell, as in the unit's table
        let same: Vec<&ReportRow> = report.rows[i..]
            .iter()
            .take_while(|x| x.step.indicator_id == r.indicator_id)
            .collect();
        let first = row;
        for rr in &same {
            let s = &rr.step;
            sheet.write_string_with_format(row, 0, s.code(), &border)?;
            sheet.write_string_with_format(row, 1, "", &border)?;
            sheet.write_string_with_format(row, 3, &s.step_text, &border)?;
            sheet.write_string_with_format(row, 4, &s.authority, &border)?;
            sheet.write_string_with_format(row, 5, s.pics_label(), &border)?;
            sheet.write_string_with_format(row, 6, s.status_label(), &border)?;
            sheet.write_number_with_format(row, 7, s.realization_value() as f64, &border)?;
            sheet.write_string_with_format(
                row,
                8,
                s.narrative.clone().unwrap_or_default(),
                &border,
            )?;
            sheet.write_number_with_format(row, 9, rr.evidence.len() as f64, &border)?;
            sheet.write_string_with_format(row, 10, rr.links(base).join("\n"), &border)?;
            sheet.write_string_with_format(row, 11, verdict_text(s), &border)?;
            // Not every spreadsheet grows wrapped rows on opening; size them here.
            let lines = [
                (s.step_text.chars().count(), 48),
                (s.authority.chars().count(), 30),
                (s.narrative.as_deref().unwrap_or("").chars().count(), 40),
                (r.indicator_text.chars().count() / same.len().max(1), 40),
            ]
            .iter()
            .map(|(len, width)| len.div_ceil(*width))
            .max()
            .unwrap_or(1)
            .max(rr.evidence.len())
            .max(1);
            sheet.set_row_height(row, 15.0 * lines as f64)?;
            row += 1;
        }
        let indicator = format!(
            "{}.{} {}",
            r.a_pos,
            crate::catalogue::indicator_letter(r.i_pos),
            r.indicator_text
        );
        if same.len() > 1 {
            sheet.merge_range(first, 2, row - 1, 2, &indicator, &border)?;
        } else {
            sheet.write_string_with_format(first, 2, &indicator, &border)?;
        }
        i += same.len();
    }

    // Summary and estimate
    let sum: &mut Worksheet = wb.add_worksheet();
    sum.set_name("Ringkasan")?;
    sum.set_landscape();
    sum.write_string_with_format(
        0,
        0,
        format!("RINGKASAN PER KOMPONEN · {}", report.period.label()),
        &title,
    )?;
    let headers = [
        "KOMPONEN",
        "LANGKAH",
        "SELESAI",
        "SEDANG BERJALAN",
        "BELUM DIMULAI",
        "TIDAK DAPAT",
        "RATA-RATA REALISASI (%)",
        "ADA BUKTI",
        "DITERIMA",
        "PERLU PERBAIKAN",
        "BELUM DIREVIU",
        "BOBOT",
        "PERKIRAAN NILAI",
    ];
    for (c, h) in headers.iter().enumerate() {
        sum.write_string_with_format(2, c as u16, *h, &head)?;
    }
    sum.set_column_width(0, 42)?;
    let steps: Vec<StepRow> = report.rows.iter().map(|r| r.step.clone()).collect();
    let estimates = dashboard::estimate(&steps, weights);
    let mut row = 3u32;
    let mut numerals: Vec<(String, String)> = Vec::new();
    for s in &steps {
        if numerals.last().map(|n| &n.0) != Some(&s.numeral) {
            numerals.push((s.numeral.clone(), s.component_name.clone()));
        }
    }
    let write_counts = |sheet: &mut Worksheet,
                        row: u32,
                        label: &str,
                        c: &Counts,
                        weight: f64,
                        score: f64|
     -> Result<(), XlsxError> {
        sheet.write_string_with_format(row, 0, label, &border)?;
        for (col, v) in [c.total, c.selesai, c.berjalan, c.belum, c.tidak_dapat]
            .iter()
            .enumerate()
        {
            sheet.write_number_with_format(row, col as u16 + 1, *v as f64, &border)?;
        }
        sheet.write_number_with_format(
            row,
            6,
            (c.mean_realization() * 10.0).round() / 10.0,
            &border,
        )?;
        for (col, v) in [c.with_evidence, c.diterima, c.perbaikan, c.unreviewed]
            .iter()
            .enumerate()
        {
            sheet.write_number_with_format(row, col as u16 + 7, *v as f64, &border)?;
        }
        sheet.write_number_with_format(row, 11, weight, &border)?;
        sheet.write_number_with_format(row, 12, (score * 100.0).round() / 100.0, &border)?;
        Ok(())
    };
    for (numeral, name) in &numerals {
        let c = Counts::of(steps.iter().filter(|s| &s.numeral == numeral));
        let e = estimates.iter().find(|e| &e.numeral == numeral);
        write_counts(
            sum,
            row,
            &format!("{numeral}. {name}"),
            &c,
            e.map(|e| e.weight).unwrap_or(0.0),
            e.map(|e| e.score).unwrap_or(0.0),
        )?;
        row += 1;
    }
    let total = Counts::of(steps.iter());
    write_counts(
        sum,
        row,
        "TOTAL",
        &total,
        estimates.iter().map(|e| e.weight).sum(),
        estimates.iter().map(|e| e.score).sum(),
    )?;
    sum.write_string(row + 2, 0, "Perkiraan mandiri unit, bukan nilai resmi LKE. Nilai langkah = realisasi (0 bila reviu meminta perbaikan); indikator = rata-rata langkah; area = rata-rata indikator; komponen = rata-rata area × bobot.")?;
    wb.save_to_buffer()
}

async fn resolve_period(state: &AppState, q: &PeriodQuery) -> AppResult<Period> {
    periods::resolve(&state.db, q.periode.as_deref()).await
}

async fn xlsx(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
    headers: HeaderMap,
    QueryData(q): QueryData<PeriodQuery>,
) -> AppResult<Response> {
    let period = resolve_period(&state, &q).await?;
    let report = load(&state.db, period, &user).await?;
    let (weights, _) = dashboard::weights(&state.db, period.year).await?;
    let bytes = build_xlsx(
        &report,
        &base_url(&state, &headers),
        &chrome.unit_name,
        &weights,
    )
    .map_err(|e| AppError::Internal(anyhow::anyhow!("xlsx: {e}")))?;
    Ok(attachment(
        Body::from(bytes),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &file_name(period, report.own_only, "xlsx"),
    ))
}

// ---------------------------------------------------------------------------
// CSV

pub const CSV_HEADER: [&str; 17] = [
    "component",
    "component_name",
    "area",
    "area_name",
    "indicator",
    "indicator_text",
    "step",
    "step_text",
    "authority",
    "pic",
    "status",
    "realization",
    "narrative",
    "evidence_count",
    "evidence_links",
    "verdict",
    "review_note",
];

pub fn build_csv(report: &Report, base: &str) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    w.write_record(CSV_HEADER)?;
    for rr in &report.rows {
        let s = &rr.step;
        w.write_record([
            s.numeral.clone(),
            s.component_name.clone(),
            s.a_pos.to_string(),
            s.area_name.clone(),
            s.i_pos.to_string(),
            s.indicator_text.clone(),
            s.s_pos.to_string(),
            s.step_text.clone(),
            s.authority.clone(),
            s.pics_label(),
            s.status_label().to_string(),
            s.realization_value().to_string(),
            s.narrative.clone().unwrap_or_default(),
            rr.evidence.len().to_string(),
            rr.links(base).join(" "),
            s.verdict_label().to_string(),
            s.review_note
                .clone()
                .filter(|_| s.verdict.is_some())
                .unwrap_or_default(),
        ])?;
    }
    Ok(w.into_inner()?)
}

async fn csv_report(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    QueryData(q): QueryData<PeriodQuery>,
) -> AppResult<Response> {
    let period = resolve_period(&state, &q).await?;
    let report = load(&state.db, period, &user).await?;
    let bytes = build_csv(&report, &base_url(&state, &headers))?;
    Ok(attachment(
        Body::from(bytes),
        "text/csv; charset=utf-8",
        &file_name(period, report.own_only, "csv"),
    ))
}

// ---------------------------------------------------------------------------
// Print view and the reports page

#[derive(Template)]
#[template(path = "reports/print.html")]
struct PrintPage {
    chrome: Chrome,
    period: Period,
    rows: Vec<ReportRow>,
    own_only: bool,
    printed: String,
}

impl PrintPage {
    fn starts_component(&self, i: &usize) -> bool {
        *i == 0 || self.rows[*i - 1].step.numeral != self.rows[*i].step.numeral
    }
    fn starts_area(&self, i: &usize) -> bool {
        *i == 0 || self.rows[*i - 1].step.area_id != self.rows[*i].step.area_id
    }
}

async fn print_view(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
    QueryData(q): QueryData<PeriodQuery>,
) -> AppResult<Response> {
    let period = resolve_period(&state, &q).await?;
    let report = load(&state.db, period, &user).await?;
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
struct ReportsPage {
    chrome: Chrome,
    periods: PeriodChoice,
    period: Period,
    own_only: bool,
}

async fn index(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
    QueryData(q): QueryData<PeriodQuery>,
) -> AppResult<Response> {
    let period = resolve_period(&state, &q).await?;
    render(&ReportsPage {
        chrome,
        periods: PeriodChoice::load(&state.db, period).await?,
        period,
        own_only: user.role == Role::Staf,
    })
}

// ---------------------------------------------------------------------------
// Evidence archive

/// A folder or file name: no path separators or characters Windows refuses, and cut
/// at a word boundary (marked "…") to keep whole paths under Windows' 260 characters.
pub fn safe_name(s: &str, max: usize) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                ' '
            } else {
                c
            }
        })
        .collect();
    let squeezed = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    if squeezed.chars().count() <= max {
        return squeezed.trim_end_matches('.').trim().to_string();
    }
    let mut cut = String::new();
    for word in squeezed.split(' ') {
        let next = cut.chars().count() + word.chars().count() + usize::from(!cut.is_empty());
        if next > max.saturating_sub(1) {
            break;
        }
        if !cut.is_empty() {
            cut.push(' ');
        }
        cut.push_str(word);
    }
    if cut.is_empty() {
        cut = squeezed.chars().take(max.saturating_sub(1)).collect();
    }
    format!("{}…", cut.trim_end_matches(['.', ',', ';']))
}

/// `I MANAJEMEN PERUBAHAN/1 Tim Kerja/1.a SK Tim Kerja …` — the LKE numbering.
pub fn indicator_folder(s: &StepRow) -> String {
    format!(
        "{} {}/{} {}/{}.{} {}",
        s.numeral,
        safe_name(&s.component_name, 40),
        s.a_pos,
        safe_name(&s.area_name, 50),
        s.a_pos,
        crate::catalogue::indicator_letter(s.i_pos),
        safe_name(&s.indicator_text, 70)
    )
}

pub const INDEX_NAME: &str = "INDEKS BUKTI DUKUNG.xlsx";

/// Writes the archive to `out` (a temporary file): one folder per indicator with the
/// files, links listed in the index only, and the index sheet at the top.
pub fn write_archive<W: Write + Seek>(
    report: &Report,
    data_dir: &std::path::Path,
    out: W,
) -> anyhow::Result<W> {
    let mut zip = zip::ZipWriter::new(out);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(true);
    let mut index = Workbook::new();
    let head = Format::new()
        .set_bold()
        .set_background_color("D9E2F3")
        .set_border(FormatBorder::Thin);
    let sheet = index.add_worksheet();
    sheet.set_name("Indeks")?;
    let cols = [
        "KODE",
        "LANGKAH AKSI",
        "JENIS",
        "NAMA BUKTI",
        "LOKASI DALAM ARSIP / TAUTAN",
        "SHA-256",
        "UKURAN (BYTE)",
        "DIUNGGAH OLEH",
        "DIUNGGAH PADA",
        "STATUS",
        "REVIU",
    ];
    for (c, h) in cols.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, &head)?;
    }
    for (c, w) in [
        10.0, 48.0, 8.0, 30.0, 70.0, 66.0, 12.0, 20.0, 22.0, 16.0, 24.0,
    ]
    .iter()
    .enumerate()
    {
        sheet.set_column_width(c as u16, *w)?;
    }
    let mut row = 1u32;
    let mut used = std::collections::HashSet::new();
    for rr in &report.rows {
        let s = &rr.step;
        for e in &rr.evidence {
            let (kind, location) = match (&e.stored_name, &e.url) {
                (Some(stored), _) => {
                    let mut name = format!("{} - {}", s.s_pos, safe_name(&e.label, 60));
                    let mut path = format!("{}/{}", indicator_folder(s), name);
                    if !used.insert(path.clone()) {
                        name = format!("{} - {} - {}", s.s_pos, e.id, safe_name(&e.label, 60));
                        path = format!("{}/{}", indicator_folder(s), name);
                        used.insert(path.clone());
                    }
                    let mut f = std::fs::File::open(evidence::stored_path(data_dir, stored))?;
                    zip.start_file(path.as_str(), opts)?;
                    std::io::copy(&mut f, &mut zip)?;
                    ("Berkas", path)
                }
                (None, Some(url)) => ("Tautan", url.clone()),
                _ => continue,
            };
            sheet.write_string(row, 0, s.code())?;
            sheet.write_string(row, 1, &s.step_text)?;
            sheet.write_string(row, 2, kind)?;
            sheet.write_string(row, 3, &e.label)?;
            sheet.write_string(row, 4, &location)?;
            sheet.write_string(row, 5, e.sha256.clone().unwrap_or_default())?;
            if let Some(size) = e.size {
                sheet.write_number(row, 6, size as f64)?;
            }
            sheet.write_string(row, 7, &e.uploaded_by)?;
            sheet.write_string(row, 8, e.when())?;
            sheet.write_string(row, 9, s.status_label())?;
            sheet.write_string(row, 10, verdict_text(s))?;
            row += 1;
        }
    }
    if row == 1 {
        sheet.write_string(1, 0, "Belum ada bukti dukung untuk periode ini.")?;
    }
    let index_bytes = index.save_to_buffer()?;
    zip.start_file(INDEX_NAME, opts)?;
    zip.write_all(&index_bytes)?;
    Ok(zip.finish()?)
}

async fn archive(
    State(state): State<AppState>,
    user: CurrentUser,
    QueryData(q): QueryData<PeriodQuery>,
) -> AppResult<Response> {
    let period = resolve_period(&state, &q).await?;
    let report = load(&state.db, period, &user).await?;
    let data_dir = state.config.data_dir.clone();
    let own = report.own_only;
    // Built in an anonymous temporary file (gone when closed), then streamed: a large
    // period never sits in memory.
    let file = tokio::task::spawn_blocking(move || -> anyhow::Result<std::fs::File> {
        let tmp = tempfile::tempfile()?;
        let mut f = write_archive(&report, &data_dir, tmp)?;
        f.flush()?;
        f.rewind()?;
        Ok(f)
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))??;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file));
    let mut res = attachment(
        Body::from_stream(stream),
        "application/zip",
        &file_name(period, own, "zip"),
    );
    res.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    Ok(res.into_response())
}
