//! The report as XLSX in the unit's table layout, with a summary sheet.

use super::*;
#[allow(unused_imports)]
use crate::score::*;

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::periods::{self, Period, PeriodQuery};
use crate::score::Counts;
use crate::step::StepRow;
use crate::web::{Chrome, QueryData};

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

pub(crate) fn verdict_text(r: &StepRow) -> String {
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
            sheet.write_string_with_format(row, 8, s.narrative_with_reason(), &border)?;
            sheet.write_number_with_format(row, 9, rr.evidence.len() as f64, &border)?;
            sheet.write_string_with_format(row, 10, rr.links(base).join("\n"), &border)?;
            sheet.write_string_with_format(row, 11, verdict_text(s), &border)?;
            // Not every spreadsheet grows wrapped rows on opening; size them here.
            let lines = [
                (s.step_text.chars().count(), 48),
                (s.authority.chars().count(), 30),
                (s.narrative_with_reason().chars().count(), 40),
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
            crate::fmt::indicator_letter(r.i_pos),
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
        // every column as wide as its heading needs (wrapped to two lines at most)
        if c > 0 {
            sum.set_column_width(c as u16, (h.chars().count() as f64 / 2.0).clamp(10.0, 14.0))?;
        }
    }
    sum.set_column_width(0, 42)?;
    let steps: Vec<StepRow> = report.rows.iter().map(|r| r.step.clone()).collect();
    let estimates = crate::score::estimate(&steps, weights);
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

pub(crate) async fn resolve_period(
    state: &AppState,
    unit: i64,
    q: &PeriodQuery,
) -> AppResult<Period> {
    periods::resolve(&state.db, unit, q.periode.as_deref()).await
}

pub(crate) async fn xlsx(
    State(state): State<AppState>,
    unit: crate::tenant::Unit,
    chrome: Chrome,
    user: CurrentUser,
    headers: HeaderMap,
    QueryData(q): QueryData<PeriodQuery>,
) -> AppResult<Response> {
    let period = resolve_period(&state, unit.id, &q).await?;
    let report = load(&state.db, unit.id, period, &user).await?;
    let (weights, _) = crate::score::weights(&state.db, period.year).await?;
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
