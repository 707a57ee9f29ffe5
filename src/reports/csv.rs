//! The report as CSV.

#[allow(unused_imports)]
use super::*;

use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::periods::PeriodQuery;
use crate::web::QueryData;

// ---------------------------------------------------------------------------
// CSV

/// The report's columns, in Indonesian: the file is read by people in a spreadsheet.
/// The reason for "Tidak dapat dilaksanakan" is last, so the others keep their place.
pub const CSV_HEADER: [&str; 18] = [
    "Komponen",
    "Nama komponen",
    "Area",
    "Nama area",
    "Indikator",
    "Teks indikator",
    "Langkah",
    "Langkah aksi",
    "Kewenangan berdasarkan tusi",
    "PIC",
    "Status",
    "Realisasi (%)",
    "Uraian",
    "Jumlah bukti",
    "Tautan bukti dukung",
    "Reviu",
    "Catatan reviu",
    "Alasan tidak dapat dilaksanakan",
];

/// Separator of the report CSV: a semicolon, the list separator of spreadsheets under
/// Indonesian regional settings (where the decimal separator is the comma).
pub const CSV_SEPARATOR: u8 = b';';

pub fn build_csv(report: &Report, base: &str) -> anyhow::Result<Vec<u8>> {
    // UTF-8 with a byte-order mark, which spreadsheets need to read the file as UTF-8
    let mut w = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .delimiter(CSV_SEPARATOR)
        .from_writer("\u{feff}".as_bytes().to_vec());
    w.write_record(CSV_HEADER)?;
    for rr in &report.rows {
        let s = &rr.step;
        let cells = [
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
            s.blocked_reason().unwrap_or("").to_string(),
        ];
        // every cell as a spreadsheet will read it: formulas neutralised
        w.write_record(cells.iter().map(|c| crate::fmt::csv_cell(c).into_owned()))?;
    }
    Ok(w.into_inner()?)
}

pub(crate) async fn csv_report(
    State(state): State<AppState>,
    unit: crate::tenant::Unit,
    user: CurrentUser,
    headers: HeaderMap,
    QueryData(q): QueryData<PeriodQuery>,
) -> AppResult<Response> {
    let period = resolve_period(&state, unit.id, &q).await?;
    let report = load(&state.db, unit.id, period, &user).await?;
    let bytes = build_csv(&report, &base_url(&state, &headers))?;
    Ok(attachment(
        Body::from(bytes),
        "text/csv; charset=utf-8",
        &file_name(period, report.own_only, "csv"),
    ))
}
