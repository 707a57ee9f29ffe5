//! The official LKE workbook, both ways: a sheet "Jawaban" with every question at its
//! master row and the answers in the master's columns (K unit answer, L unit note,
//! M unit evidence, N TPI answer, Q TPI note), so its cells paste into the official
//! workbook row for row; and reading such a sheet back, checked whole.

use std::collections::HashMap;

use calamine::{Data, Reader, Xlsx};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};

use super::answer::{Answer, parse_answer};
use super::model::{Master, Question};
use super::store::{Input, Side, Stored};

pub const SHEET: &str = "Jawaban";

/// Longest note or evidence text a cell may bring in.
pub const TEXT_MAX: usize = 4000;

/// "K" → 10, "AA" → 26; `None` for anything but letters.
pub fn column_index(letters: &str) -> Option<u16> {
    if letters.is_empty() || letters.len() > 3 {
        return None;
    }
    let mut n: u32 = 0;
    for c in letters.chars() {
        if !c.is_ascii_alphabetic() {
            return None;
        }
        n = n * 26 + (c.to_ascii_uppercase() as u32 - 'A' as u32 + 1);
    }
    u16::try_from(n - 1).ok()
}

/// "A.I.1.i.2": the leading token of each ancestor's name, then the question's place.
pub fn numbering(master: &Master, q: &Question) -> String {
    let mut parts = vec![q.position.to_string()];
    let mut node = master.node(q.node_id);
    while let Some(n) = node {
        let token = n
            .name
            .split_once('.')
            .map(|(t, _)| t.trim())
            .filter(|t| !t.is_empty() && t.len() <= 6)
            .unwrap_or("");
        if !token.is_empty() {
            parts.push(token.to_string());
        }
        node = n.parent_id.and_then(|p| master.node(p));
    }
    parts.reverse();
    parts.join(".")
}

/// The lines that the tracker's own evidence items add to column M on export; an
/// import drops them again so they do not pile up in the stored description.
pub fn link_lines(links: &[(i64, String)], base: Option<&str>) -> Vec<String> {
    links
        .iter()
        .map(|(id, label)| match base {
            Some(b) => format!("{b}/bukti/{id}/unduh"),
            None => format!("Bukti di ZI Tracker: {label}"),
        })
        .collect()
}

/// A line that an export wrote for one of `items`, whatever the public address was.
fn is_link_line(line: &str, items: &[(i64, String)]) -> bool {
    items.iter().any(|(id, label)| {
        line == format!("Bukti di ZI Tracker: {label}")
            || (line.starts_with("http") && line.ends_with(&format!("/bukti/{id}/unduh")))
    })
}

fn evidence_cell(stored: &Stored, links: &[(i64, String)], base: Option<&str>) -> String {
    let mut lines: Vec<String> = Vec::new();
    if !stored.evidence.is_empty() {
        lines.push(stored.evidence.clone());
    }
    lines.extend(link_lines(links, base));
    lines.join("\n")
}

/// The workbook with both sides' current answers.
pub fn build(
    master: &Master,
    unit_name: &str,
    state_label: &str,
    stored: &HashMap<(i64, Side), Stored>,
    links: &HashMap<i64, Vec<(i64, String)>>,
    base: Option<&str>,
) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name(SHEET)?;
    let bold = Format::new().set_bold();
    let head = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_background_color(0xD9E2F3);
    let cell = Format::new()
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::Top);
    ws.write_string_with_format(
        0,
        0,
        format!("LEMBAR KERJA EVALUASI ZONA INTEGRITAS {}", master.year),
        &bold,
    )?;
    ws.write_string(1, 0, format!("{unit_name} · {state_label}"))?;
    ws.write_string(
        2,
        0,
        "Kolom K–Q mengikuti baris dan kolom lembar kerja resmi; salin per baris. Nilai di sini bukan keputusan TPN.",
    )?;
    let first_row = master
        .questions
        .iter()
        .map(|q| q.excel_row)
        .min()
        .unwrap_or(6);
    // The header sits just above the first question when the master leaves room.
    if first_row >= 2 {
        let hr = u32::try_from(first_row - 2).unwrap_or(0);
        let first = master.questions.first();
        let col = |pick: fn(&Question) -> &str, fallback: u16| {
            first
                .and_then(|q| column_index(pick(q)))
                .unwrap_or(fallback)
        };
        let headers: [(u16, &str); 11] = [
            (0, "No"),
            (1, "ID Soal"),
            (2, "Komponen / Area"),
            (3, "Pertanyaan"),
            (4, "Kriteria Penilaian"),
            (5, "Jenis Jawaban"),
            (col(|q| &q.col_unit_answer, 10), "Jawaban Unit"),
            (col(|q| &q.col_unit_note, 11), "Catatan Unit"),
            (col(|q| &q.col_unit_evidence, 12), "Bukti Dukung Unit"),
            (col(|q| &q.col_tpi_answer, 13), "Jawaban TPI"),
            (col(|q| &q.col_tpi_note, 16), "Catatan TPI"),
        ];
        for (c, h) in headers {
            ws.write_string_with_format(hr, c, h, &head)?;
        }
    }
    for (c, width) in [
        (0u16, 10.0),
        (1, 7.0),
        (2, 28.0),
        (3, 50.0),
        (4, 50.0),
        (5, 10.0),
    ] {
        ws.set_column_width(c, width)?;
    }
    for q in &master.questions {
        let Ok(row) = u32::try_from(q.excel_row - 1) else {
            continue;
        };
        let area = master
            .node(q.node_id)
            .map(|n| n.name.as_str())
            .unwrap_or("");
        ws.write_string_with_format(row, 0, numbering(master, q), &cell)?;
        ws.write_number_with_format(row, 1, q.id as f64, &cell)?;
        ws.write_string_with_format(row, 2, area, &cell)?;
        ws.write_string_with_format(row, 3, &q.text, &cell)?;
        ws.write_string_with_format(row, 4, &q.criteria, &cell)?;
        ws.write_string_with_format(row, 5, &q.answer_type_raw, &cell)?;
        for side in [Side::Unit, Side::Tpi] {
            let Some(s) = stored.get(&(q.id, side)) else {
                continue;
            };
            let (answer_col, note_col) = match side {
                Side::Unit => (&q.col_unit_answer, &q.col_unit_note),
                Side::Tpi => (&q.col_tpi_answer, &q.col_tpi_note),
            };
            if let (Some(c), Some(a)) = (column_index(answer_col), &s.answer) {
                match parse_answer(q, a) {
                    Ok(Answer::Count(n)) => ws.write_number(row, c, n as f64)?,
                    Ok(Answer::Index(x)) => ws.write_number(row, c, x)?,
                    _ => ws.write_string(row, c, a)?,
                };
            }
            if let Some(c) = column_index(note_col)
                && !s.note.is_empty()
            {
                ws.write_string(row, c, &s.note)?;
            }
            if side == Side::Unit
                && let Some(c) = column_index(&q.col_unit_evidence)
            {
                let text = evidence_cell(s, links.get(&s.id).map_or(&[][..], |v| v), base);
                if !text.is_empty() {
                    ws.write_string(row, c, text)?;
                }
            }
        }
    }
    ws.set_freeze_panes(u32::try_from(first_row - 1).unwrap_or(0), 0)?;
    wb.save_to_buffer()
}

/// One question's answers read from a workbook; a side is `None` when its cells are
/// all empty (left as it is).
#[derive(Debug, Clone, PartialEq)]
pub struct RowRead {
    pub question_id: i64,
    pub unit: Option<Input>,
    pub tpi: Option<Input>,
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                // at most two decimals: the survey indices
                let s = format!("{f:.2}");
                s.trim_end_matches('0').trim_end_matches('.').to_string()
            }
        }
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => if *b { "Ya" } else { "Tidak" }.to_string(),
        other => other.to_string().trim().to_string(),
    }
}

/// Limits on what an uploaded workbook may unpack to: the official sheet is well under
/// a megabyte, so these only stop a small file that inflates to gigabytes.
const MAX_PARTS: usize = 500;
const MAX_PART_BYTES: u64 = 16 * 1024 * 1024;
const MAX_TOTAL_BYTES: u64 = 48 * 1024 * 1024;
const MAX_SHARED_STRINGS: usize = 50_000;
const MAX_CELLS: usize = 100_000;

/// Checks the XLSX package before anything parses it: a zip of a bounded number of
/// parts, each inflating (really, not by its header's word) to a bounded size, with a
/// bounded count of shared strings.
fn check_package(bytes: &[u8]) -> Result<(), Vec<String>> {
    use std::io::Read;
    let unreadable = || {
        vec!["Berkas bukan lembar kerja XLSX yang dapat dibaca (simpan sebagai .xlsx).".to_string()]
    };
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|_| unreadable())?;
    if zip.len() > MAX_PARTS {
        return Err(vec![format!(
            "Berkas memuat {} bagian; lembar kerja yang dapat diimpor memuat paling banyak {MAX_PARTS}.",
            zip.len()
        )]);
    }
    let too_big = || {
        vec![format!(
            "Isi berkas terlalu besar setelah dibuka (lebih dari {} MB); simpan hanya lembar \"{SHEET}\" sebagai .xlsx lalu unggah lagi.",
            MAX_TOTAL_BYTES / (1024 * 1024)
        )]
    };
    let mut total = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).map_err(|_| unreadable())?;
        let shared = part
            .name()
            .is_ok_and(|n| n.eq_ignore_ascii_case("xl/sharedStrings.xml"));
        let (mut size, mut strings, mut tail) = (0u64, 0usize, Vec::<u8>::new());
        let mut head = Vec::<u8>::new();
        loop {
            let n = part.read(&mut buf).map_err(|_| unreadable())?;
            if n == 0 {
                break;
            }
            size += n as u64;
            total += n as u64;
            if size > MAX_PART_BYTES || total > MAX_TOTAL_BYTES {
                return Err(too_big());
            }
            if shared {
                // the table's start tag: within its first 4 KB in any real file
                let room = 4096usize.saturating_sub(head.len());
                head.extend_from_slice(&buf[..n.min(room)]);
                // count "<si" across chunk edges: keep the last two bytes of the chunk
                tail.extend_from_slice(&buf[..n]);
                strings += tail.windows(3).filter(|w| w == b"<si").count();
                let keep = tail.len().saturating_sub(2);
                tail.drain(..keep);
                if strings > MAX_SHARED_STRINGS {
                    return Err(too_many_strings());
                }
            }
        }
        // the reader reserves memory for the count the table claims, not the one it holds
        if shared && declared_strings(&head).is_none_or(|n| n > MAX_SHARED_STRINGS as u64) {
            return Err(too_many_strings());
        }
    }
    Ok(())
}

fn too_many_strings() -> Vec<String> {
    vec![format!(
        "Berkas memuat lebih dari {MAX_SHARED_STRINGS} teks; lembar kerja yang dapat diimpor jauh lebih kecil."
    )]
}

/// The largest count the shared-string table's start tag claims (`count`,
/// `uniqueCount`), 0 when it claims none; `None` when the start tag does not end within
/// the part's first 4 KB or a count is not a number that fits.
fn declared_strings(head: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(head)
        .unwrap_or_else(|e| std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default());
    let start = text.find("sst")?;
    let tag = &text[start..start + text[start..].find('>')?];
    let mut most = 0u64;
    for attr in ["uniqueCount", "count"] {
        let mut rest = tag;
        while let Some(at) = rest.find(attr) {
            rest = &rest[at + attr.len()..];
            let value = rest.trim_start();
            let Some(value) = value.strip_prefix('=') else {
                continue;
            };
            let value = value.trim_start();
            let quote = value.chars().next()?;
            if quote != '"' && quote != '\'' {
                return None;
            }
            let inner = &value[1..];
            let digits = &inner[..inner.find(quote)?];
            most = most.max(digits.trim().parse::<u64>().ok()?);
        }
    }
    Some(most)
}

/// The non-empty cells of the sheet, read one at a time (never as a range, which would
/// allocate every cell between the first and the last); a value outside the master's
/// rows and columns is refused with its cell.
fn read_cells(master: &Master, bytes: &[u8]) -> Result<HashMap<(u32, u32), String>, Vec<String>> {
    check_package(bytes)?;
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).map_err(|_| {
            vec!["Berkas bukan lembar kerja XLSX yang dapat dibaca (simpan sebagai .xlsx).".into()]
        })?;
    let missing = || {
        vec![format!(
            "Lembar \"{SHEET}\" tidak ditemukan di berkas ini; jawaban dibaca dari lembar \"{SHEET}\" lembar kerja resmi."
        )]
    };
    if !book.sheet_names().iter().any(|n| n == SHEET) {
        return Err(missing());
    }
    let mut reader = book.worksheet_cells_reader(SHEET).map_err(|_| missing())?;
    let last_row = master
        .questions
        .iter()
        .map(|q| q.excel_row)
        .max()
        .unwrap_or(1);
    let last_row = u32::try_from(last_row).unwrap_or(1);
    let last_col = master
        .questions
        .iter()
        .flat_map(|q| {
            [
                &q.col_unit_answer,
                &q.col_unit_note,
                &q.col_unit_evidence,
                &q.col_tpi_answer,
                &q.col_tpi_note,
            ]
        })
        .filter_map(|c| column_index(c))
        .max()
        .unwrap_or(16);
    let mut cells = HashMap::new();
    let mut seen = 0usize;
    let mut errors = Vec::new();
    loop {
        let cell = match reader.next_cell() {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(_) => {
                return Err(vec![format!(
                    "Lembar \"{SHEET}\" rusak dan tidak dapat dibaca; simpan ulang sebagai .xlsx."
                )]);
            }
        };
        seen += 1;
        if seen > MAX_CELLS {
            return Err(vec![format!(
                "Lembar \"{SHEET}\" memuat lebih dari {MAX_CELLS} sel; lembar kerja resmi jauh lebih kecil."
            )]);
        }
        let (r, c) = cell.get_position();
        let value: Data = cell.get_value().clone().into();
        let text = cell_text(&value);
        if text.is_empty() {
            continue;
        }
        if r >= last_row || c > u32::from(last_col) {
            if errors.len() < 20 {
                errors.push(format!(
                    "{SHEET}!{}{}: sel di luar lembar kerja (baris 1–{last_row}, kolom A–{}); hapus isinya lalu unggah lagi.",
                    letters_of(c),
                    u64::from(r) + 1,
                    letters_of(u32::from(last_col))
                ));
            }
            continue;
        }
        cells.insert((r, c), text);
    }
    if errors.is_empty() {
        Ok(cells)
    } else {
        Err(errors)
    }
}

/// 0 → "A", 26 → "AA": a column's letters for messages.
fn letters_of(mut c: u32) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Parsing happens on the blocking pool, at most this many at once, so neither a large
/// workbook nor several together hold the request workers.
static PARSING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// `read`, off the request's worker and bounded in how many run at once.
pub async fn read_off_thread(
    master: Master,
    bytes: Vec<u8>,
    (unit, tpi): (bool, bool),
    links: HashMap<i64, Vec<(i64, String)>>,
) -> Result<Vec<RowRead>, Vec<String>> {
    let Ok(_permit) = PARSING.acquire().await else {
        return Err(vec!["Server sedang berhenti; coba lagi.".into()]);
    };
    tokio::task::spawn_blocking(move || read(&master, &bytes, unit, tpi, &links))
        .await
        .unwrap_or_else(|_| {
            Err(vec![
                "Berkas tidak dapat dibaca sebagai lembar kerja XLSX.".into(),
            ])
        })
}

/// Reads the answers of every question from an XLSX's sheet "Jawaban": the unit's
/// side always, the TPI's when `tpi` is set. Every problem is reported with its cell
/// (`Jawaban!K37: "F" bukan jawaban ABCDE …`); nothing is returned unless all is good.
/// `links` gives, per question, the tracker's evidence items linked to the unit's
/// answer: the lines an export added for them to M are dropped again.
pub fn read(
    master: &Master,
    bytes: &[u8],
    unit: bool,
    tpi: bool,
    links: &HashMap<i64, Vec<(i64, String)>>,
) -> Result<Vec<RowRead>, Vec<String>> {
    let cells = read_cells(master, bytes)?;
    let get = |row: i64, col: &str| -> String {
        let (Some(c), Ok(r)) = (column_index(col), u32::try_from(row - 1)) else {
            return String::new();
        };
        cells.get(&(r, u32::from(c))).cloned().unwrap_or_default()
    };
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    for q in &master.questions {
        let cell_ref = |col: &str| format!("{SHEET}!{col}{}", q.excel_row);
        let mut side_input = |answer_col: &str, note_col: &str, evidence_col: Option<&str>| {
            let raw = get(q.excel_row, answer_col);
            let note = get(q.excel_row, note_col);
            let mut evidence = evidence_col
                .map(|c| get(q.excel_row, c))
                .unwrap_or_default();
            if let Some(items) = links.get(&q.id) {
                evidence = evidence
                    .lines()
                    .filter(|l| !is_link_line(l.trim(), items))
                    .collect::<Vec<_>>()
                    .join("\n")
                    .trim()
                    .to_string();
            }
            if raw.is_empty() && note.is_empty() && evidence.is_empty() {
                return None;
            }
            let answer = if raw.is_empty() {
                None
            } else {
                match parse_answer(q, &raw) {
                    Ok(a) => Some(a),
                    Err(e) => {
                        errors.push(format!("{}: {e}", cell_ref(answer_col)));
                        None
                    }
                }
            };
            for (col, text) in [(Some(note_col), &note), (evidence_col, &evidence)] {
                if let Some(col) = col
                    && text.chars().count() > TEXT_MAX
                {
                    errors.push(format!(
                        "{}: teks terlalu panjang ({} karakter; maksimal {TEXT_MAX})",
                        cell_ref(col),
                        text.chars().count()
                    ));
                }
            }
            Some(Input {
                answer,
                note,
                evidence,
            })
        };
        let unit_input = if unit {
            side_input(
                &q.col_unit_answer,
                &q.col_unit_note,
                Some(&q.col_unit_evidence),
            )
        } else {
            None
        };
        let tpi_input = if tpi {
            side_input(&q.col_tpi_answer, &q.col_tpi_note, None)
        } else {
            None
        };
        if unit_input.is_some() || tpi_input.is_some() {
            rows.push(RowRead {
                question_id: q.id,
                unit: unit_input,
                tpi: tpi_input,
            });
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// What an import changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Imported {
    pub unit: usize,
    pub tpi: usize,
}

/// Writes the rows read from a workbook in one transaction with one audit entry: the
/// unit's side as `unit_by`, the TPI's as `tpi_by` (a side whose author is `None` is
/// not written). Answers equal to the current ones make no new version. A side that
/// is locked (sent to the TPI, or the TPI's evaluation final) refuses the whole import
/// with a message.
pub async fn store_rows(
    pool: &sqlx::SqlitePool,
    notifier: &dyn crate::notify::Notifies,
    actor: &crate::audit::Actor,
    (unit, year): (i64, i64),
    rows: &[RowRead],
    unit_by: Option<i64>,
    tpi_by: Option<i64>,
) -> sqlx::Result<Result<Imported, String>> {
    use crate::audit::{Action, Entry};
    let at = crate::fmt::now_stamp();
    let mut tx = crate::db::write(pool).await?;
    let (unit_locked, tpi_locked) = super::work::locks(&mut tx, unit, year).await?;
    if unit_by.is_some() && unit_locked {
        return Ok(Err(format!(
            "LKE {year}: {} Lembar kerja tidak diimpor.",
            super::work::UNIT_LOCKED
        )));
    }
    if tpi_by.is_some() && tpi_locked {
        return Ok(Err(format!(
            "LKE {year}: {} Lembar kerja tidak diimpor.",
            super::work::TPI_LOCKED
        )));
    }
    let mut done = Imported::default();
    let mut unit_changed = Vec::new();
    for r in rows {
        for (side, input, by, count) in [
            (Side::Unit, &r.unit, unit_by, &mut done.unit),
            (Side::Tpi, &r.tpi, tpi_by, &mut done.tpi),
        ] {
            let (Some(input), Some(by)) = (input, by) else {
                continue;
            };
            if let crate::db::Versioned::Saved(super::store::Written { changed: true, .. }) =
                super::store::write_answer(
                    &mut tx,
                    (unit, year, r.question_id, side),
                    input,
                    None,
                    by,
                    &at,
                )
                .await?
            {
                *count += 1;
                if side == Side::Unit {
                    unit_changed.push(r.question_id);
                }
            }
        }
    }
    if let Some(by) = unit_by {
        crate::notify::events::unit_answers_imported(
            &mut tx,
            notifier,
            by,
            (unit, year),
            &unit_changed,
        )
        .await?;
    }
    tx.commit(
        &actor.clone().in_unit(unit),
        Entry::new(
            Action::LkeAnswersImported,
            format!(
                "Jawaban LKE {year} diimpor dari lembar kerja: {} jawaban unit, {} jawaban TPI berubah",
                done.unit, done.tpi
            ),
        )
        .after(serde_json::json!({"tahun": year, "unit": done.unit, "tpi": done.tpi})),
    )
    .await?;
    Ok(Ok(done))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters() {
        assert_eq!(column_index("A"), Some(0));
        assert_eq!(column_index("K"), Some(10));
        assert_eq!(column_index("q"), Some(16));
        assert_eq!(column_index("AA"), Some(26));
        assert_eq!(column_index(""), None);
        assert_eq!(column_index("K1"), None);
        assert_eq!(
            declared_strings(b"<?xml?><sst xmlns=\"x\" count=\"3\" uniqueCount=\"2\">"),
            Some(3)
        );
        assert_eq!(
            declared_strings(b"<x:sst uniqueCount = '4000000000'>"),
            Some(4_000_000_000)
        );
        assert_eq!(declared_strings(b"<sst>"), Some(0));
        assert_eq!(
            declared_strings(b"<sst count=\"99999999999999999999999\">"),
            None
        );
        assert_eq!(declared_strings(b"<sst count=\"1"), None);
        for (i, l) in [(0, "A"), (16, "Q"), (25, "Z"), (26, "AA"), (16383, "XFD")] {
            assert_eq!(letters_of(i), l);
            assert_eq!(column_index(l).map(u32::from), Some(i));
        }
    }

    #[test]
    fn numbers_read_as_typed() {
        assert_eq!(cell_text(&Data::Float(12.0)), "12");
        assert_eq!(cell_text(&Data::Float(3.6)), "3.6");
        assert_eq!(cell_text(&Data::Float(3.25)), "3.25");
        assert_eq!(cell_text(&Data::Int(7)), "7");
        assert_eq!(cell_text(&Data::String(" A ".into())), "A");
    }
}
