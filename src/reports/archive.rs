//! The period's evidence as a ZIP in LKE folders with an index sheet.

#[allow(unused_imports)]
use super::*;

use std::io::{Seek, Write};

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::{Format, FormatBorder, Workbook};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::evidence::{self};
use crate::periods::PeriodQuery;
use crate::step::StepRow;
use crate::web::QueryData;

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

/// A file's name in the archive: shortened like `safe_name`, but its extension (the
/// one its bytes were typed as) always kept, so a long name still opens as what it is.
pub fn safe_file_name(label: &str, max: usize) -> String {
    match label.rsplit_once('.') {
        Some((stem, ext))
            if !stem.is_empty()
                && (1..=5).contains(&ext.len())
                && ext.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            format!(
                "{}.{ext}",
                safe_name(stem, max.saturating_sub(ext.len() + 1).max(8))
            )
        }
        _ => safe_name(label, max),
    }
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
        crate::fmt::indicator_letter(s.i_pos),
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
                    let mut name = format!("{} - {}", s.s_pos, safe_file_name(&e.label, 60));
                    let mut path = format!("{}/{}", indicator_folder(s), name);
                    if !used.insert(path.clone()) {
                        name = format!("{} - {} - {}", s.s_pos, e.id, safe_file_name(&e.label, 60));
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

pub(crate) async fn archive(
    State(state): State<AppState>,
    unit: crate::tenant::Unit,
    user: CurrentUser,
    QueryData(q): QueryData<PeriodQuery>,
) -> AppResult<Response> {
    let period = resolve_period(&state, unit.id, &q).await?;
    let report = load(&state.db, unit.id, period, &user).await?;
    let data_dir = state.config.data_dir.clone();
    let own = report.own_only;
    send_zip(&file_name(period, own, "zip"), move |tmp| {
        write_archive(&report, &data_dir, tmp)
    })
    .await
}

/// Builds an archive in an anonymous temporary file (gone when closed) off the async
/// threads, then streams it: a large archive never sits in memory.
pub async fn send_zip<F>(name: &str, build: F) -> AppResult<Response>
where
    F: FnOnce(std::fs::File) -> anyhow::Result<std::fs::File> + Send + 'static,
{
    let file = tokio::task::spawn_blocking(move || -> anyhow::Result<std::fs::File> {
        let mut f = build(tempfile::tempfile()?)?;
        f.flush()?;
        f.rewind()?;
        Ok(f)
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))??;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file));
    let mut res = attachment(Body::from_stream(stream), "application/zip", name);
    res.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    Ok(res.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe_on_every_system_and_cut_at_words() {
        for (raw, max, expected) in [
            ("SK Tim: Kerja/ZI?", 40, "SK Tim Kerja ZI"),
            ("a\\b*c\"d<e>f|g", 40, "a b c d e f g"),
            ("  spasi   ganda  ", 40, "spasi ganda"),
            ("akhir titik.", 40, "akhir titik"),
            ("satu dua tiga empat", 12, "satu dua…"),
            ("panjangsekalitanpaspasi", 8, "panjang…"),
        ] {
            assert_eq!(safe_name(raw, max), expected, "{raw:?}");
        }
        let long = format!("{}.pdf", "kata ".repeat(30));
        let name = safe_file_name(&long, 60);
        assert!(
            name.ends_with("….pdf") && name.chars().count() <= 60,
            "{name}"
        );
        assert_eq!(safe_file_name("Notulen.html.pdf", 60), "Notulen.html.pdf");
        assert_eq!(safe_file_name("tanpa ekstensi", 60), "tanpa ekstensi");
    }
}
