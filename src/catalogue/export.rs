//! The catalogue as CSV (the exchange format that import reads back).

#[allow(unused_imports)]
use super::*;

// ---------------------------------------------------------------------------
// CSV export

/// The columns of the catalogue CSV; the export adds [`QUESTIONS_COLUMN`] last, and an
/// import takes files with or without it.
pub const CSV_HEADER: [&str; 9] = [
    "component",
    "component_name",
    "area",
    "area_name",
    "indicator",
    "indicator_text",
    "step",
    "step_text",
    "authority",
];

/// The optional last column: the LKE question ids a step serves, separated by `;`.
pub const QUESTIONS_COLUMN: &str = "soal_id";

/// Writes a catalogue's items in force as RFC 4180 CSV (UTF-8 with BOM, CRLF, quoted where
/// needed), numbered 1, 2, … within their parent (retired items leave no gaps).
pub fn to_csv(catalogue: &Catalogue) -> anyhow::Result<Vec<u8>> {
    // A byte-order mark first, so spreadsheets read the file as UTF-8; the import
    // skips it.
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer("\u{feff}".as_bytes().to_vec());
    w.write_record(CSV_HEADER.iter().chain(&[QUESTIONS_COLUMN]))?;
    for c in &catalogue.components {
        for (an, a) in c.active_areas().enumerate() {
            for (inn, i) in a.active_indicators().enumerate() {
                for (sn, s) in i.active_steps().enumerate() {
                    let questions = s
                        .questions
                        .iter()
                        .map(i64::to_string)
                        .collect::<Vec<_>>()
                        .join(";");
                    let cells = [
                        c.numeral.as_str(),
                        c.name.as_str(),
                        &(an + 1).to_string(),
                        a.name.as_str(),
                        &(inn + 1).to_string(),
                        i.text.as_str(),
                        &(sn + 1).to_string(),
                        s.text.as_str(),
                        s.authority_text.as_str(),
                        questions.as_str(),
                    ];
                    // formulas neutralised; import undoes the prefix (`fmt::csv_text`)
                    w.write_record(cells.iter().map(|c| crate::fmt::csv_cell(c).into_owned()))?;
                }
            }
        }
    }
    Ok(w.into_inner()?)
}
