//! The evidence behind a year's LKE answers as a ZIP for the evaluators: folders in
//! LKE numbering (component, area, sub-area, question), the files linked to the
//! unit's answers, and an index sheet that also lists links and descriptions.

use std::collections::{HashMap, HashSet};
use std::io::{Seek, Write};

use axum::extract::{Path, State};
use axum::response::Response;
use rust_xlsxwriter::{Format, FormatBorder, Workbook};

use super::model::{Master, Question};
use super::store::{Side, Stored};
use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::reports::archive::{safe_file_name, safe_name};

pub const INDEX_NAME: &str = "INDEKS BUKTI DUKUNG LKE.xlsx";

/// One line of the index: kind, label, location, SHA-256, size.
type IndexLine<'a> = (&'a str, String, String, Option<String>, Option<i64>);

/// One evidence item linked to a unit answer.
pub struct Item {
    pub id: i64,
    pub label: String,
    pub url: Option<String>,
    pub stored_name: Option<String>,
    pub sha256: Option<String>,
    pub size: Option<i64>,
}

/// `A PENGUNGKIT/I PEMENUHAN/1 MANAJEMEN PERUBAHAN/i Penyusunan Tim Kerja/1 Unit kerja telah…`
pub fn question_folder(master: &Master, q: &Question) -> String {
    let mut parts = Vec::new();
    let mut node = master.node(q.node_id);
    while let Some(n) = node {
        parts.push(safe_name(&n.name.replacen('.', "", 1), 50));
        node = n.parent_id.and_then(|p| master.node(p));
    }
    parts.reverse();
    parts.push(safe_name(&format!("{} {}", q.position, q.text), 70));
    parts.join("/")
}

pub fn write_archive<W: Write + Seek>(
    master: &Master,
    stored: &HashMap<(i64, Side), Stored>,
    items: &HashMap<i64, Vec<Item>>,
    state_label: &str,
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
    sheet.write_string(0, 0, format!("LKE {} · {state_label}", master.year))?;
    let cols = [
        "NO",
        "ID SOAL",
        "PERTANYAAN",
        "JAWABAN UNIT",
        "JAWABAN TPI",
        "JENIS",
        "NAMA BUKTI",
        "LOKASI DALAM ARSIP / TAUTAN / URAIAN",
        "SHA-256",
        "UKURAN (BYTE)",
    ];
    for (c, h) in cols.iter().enumerate() {
        sheet.write_string_with_format(1, c as u16, *h, &head)?;
    }
    for (c, w) in [10.0, 8.0, 50.0, 10.0, 10.0, 10.0, 30.0, 70.0, 66.0, 12.0]
        .iter()
        .enumerate()
    {
        sheet.set_column_width(c as u16, *w)?;
    }
    let mut row = 2u32;
    let mut used = HashSet::new();
    for q in &master.questions {
        let Some(unit) = stored.get(&(q.id, Side::Unit)) else {
            continue;
        };
        let number = super::workbook::numbering(master, q);
        let answer = |s: Option<&Stored>| {
            s.and_then(|s| s.answer.clone())
                .unwrap_or_else(|| "—".into())
        };
        let mut lines: Vec<IndexLine> = Vec::new();
        if !unit.evidence.is_empty() {
            let kind = if unit.evidence.starts_with("http") {
                "Tautan"
            } else {
                "Uraian"
            };
            lines.push((kind, String::new(), unit.evidence.clone(), None, None));
        }
        for item in items.get(&unit.id).map_or(&[][..], |v| v) {
            match (&item.stored_name, &item.url) {
                (Some(stored_name), _) => {
                    let folder = question_folder(master, q);
                    let mut path = format!("{folder}/{}", safe_file_name(&item.label, 60));
                    if !used.insert(path.clone()) {
                        path =
                            format!("{folder}/{} - {}", item.id, safe_file_name(&item.label, 60));
                        used.insert(path.clone());
                    }
                    let mut f =
                        std::fs::File::open(crate::evidence::stored_path(data_dir, stored_name))?;
                    zip.start_file(path.as_str(), opts)?;
                    std::io::copy(&mut f, &mut zip)?;
                    lines.push((
                        "Berkas",
                        item.label.clone(),
                        path,
                        item.sha256.clone(),
                        item.size,
                    ));
                }
                (None, Some(url)) => {
                    lines.push(("Tautan", item.label.clone(), url.clone(), None, None))
                }
                _ => {}
            }
        }
        for (kind, label, location, sha, size) in lines {
            sheet.write_string(row, 0, &number)?;
            sheet.write_number(row, 1, q.id as f64)?;
            sheet.write_string(row, 2, &q.text)?;
            sheet.write_string(row, 3, answer(Some(unit)))?;
            sheet.write_string(row, 4, answer(stored.get(&(q.id, Side::Tpi))))?;
            sheet.write_string(row, 5, kind)?;
            sheet.write_string(row, 6, &label)?;
            sheet.write_string(row, 7, &location)?;
            sheet.write_string(row, 8, sha.unwrap_or_default())?;
            if let Some(size) = size {
                sheet.write_number(row, 9, size as f64)?;
            }
            row += 1;
        }
    }
    if row == 2 {
        sheet.write_string(2, 0, "Belum ada bukti dukung pada jawaban unit.")?;
    }
    let index_bytes = index.save_to_buffer()?;
    zip.start_file(INDEX_NAME, opts)?;
    zip.write_all(&index_bytes)?;
    Ok(zip.finish()?)
}

pub(crate) async fn archive(
    State(state): State<AppState>,
    unit: crate::tenant::Unit,
    Path(year): Path<String>,
) -> AppResult<Response> {
    let year = super::pages::parse_year(&year)?;
    let Some(master) = super::store::load_master(&state.db, year).await? else {
        return Err(AppError::NotFoundWith(format!(
            "Tahun {year} belum punya master LKE."
        )));
    };
    let stored = super::store::stored(&state.db, unit.id, year).await?;
    #[derive(sqlx::FromRow)]
    struct Row {
        answer_id: i64,
        id: i64,
        label: String,
        url: Option<String>,
        stored_name: Option<String>,
        sha256: Option<String>,
        size: Option<i64>,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT l.answer_id, e.id, e.label, e.url, e.stored_name, e.sha256, e.size
         FROM lke_answer_evidence l JOIN lke_answers a ON a.id = l.answer_id
         JOIN evidence e ON e.id = l.evidence_id
         WHERE a.unit_id = ? AND a.year = ? AND e.removed_at IS NULL ORDER BY e.id",
    )
    .bind(unit.id)
    .bind(year)
    .fetch_all(&state.db)
    .await?;
    let mut items: HashMap<i64, Vec<Item>> = HashMap::new();
    for r in rows {
        items.entry(r.answer_id).or_default().push(Item {
            id: r.id,
            label: r.label,
            url: r.url,
            stored_name: r.stored_name,
            sha256: r.sha256,
            size: r.size,
        });
    }
    let state_label = super::work::state(&state.db, unit.id, year).await?.label();
    let data_dir = state.config.data_dir.clone();
    crate::reports::archive::send_zip(&format!("lke-{year}-bukti-dukung.zip"), move |tmp| {
        write_archive(&master, &stored, &items, &state_label, &data_dir, tmp)
    })
    .await
}
