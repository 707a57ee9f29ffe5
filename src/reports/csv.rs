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
    let mut w = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(Vec::new());
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
        ];
        // every cell as a spreadsheet will read it: formulas neutralised
        w.write_record(cells.iter().map(|c| crate::fmt::csv_cell(c).into_owned()))?;
    }
    Ok(w.into_inner()?)
}

pub(crate) async fn csv_report(
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
