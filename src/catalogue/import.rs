//! Importing a year from CSV in the export's format, checked whole first.

#[allow(unused_imports)]
use super::*;

use std::collections::{BTreeMap, HashMap};

use serde_json::json;
use sqlx::SqlitePool;

use crate::audit::{Action, Actor, Entry};
use crate::catalogue::{CSV_HEADER, QUESTIONS_COLUMN};

// ---------------------------------------------------------------------------
// Import

/// Reads and checks a whole CSV file in the export's format; every problem is
/// reported with its line number, and nothing is returned unless all rows are good.
pub fn parse_import(bytes: &[u8]) -> Result<Vec<NewStep>, Vec<String>> {
    if bytes.len() > IMPORT_MAX_BYTES {
        return Err(vec![format!(
            "Berkas terlalu besar ({} KB); maksimal {} KB.",
            bytes.len() / 1024,
            IMPORT_MAX_BYTES / 1024
        )]);
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err(vec![
            "Berkas bukan teks UTF-8. Simpan ulang sebagai CSV UTF-8.".into(),
        ]);
    };
    let text = text.trim_start_matches('\u{feff}');
    // Spreadsheets under Indonesian regional settings save CSV with ';' between fields:
    // the header line tells which separator the file uses.
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if first_line.matches(';').count() > first_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    let mut records = reader.records();
    // the header without `soal_id` (files of earlier versions) or with it, last
    let mut columns = CSV_HEADER.len();
    match records.next() {
        Some(Ok(h)) if h.iter().collect::<Vec<_>>() == CSV_HEADER => {}
        Some(Ok(h))
            if h.len() == CSV_HEADER.len() + 1
                && h.iter().take(CSV_HEADER.len()).eq(CSV_HEADER)
                && h.get(CSV_HEADER.len()) == Some(QUESTIONS_COLUMN) =>
        {
            columns += 1;
        }
        Some(Ok(_)) => errors.push(format!(
            "Baris 1: judul kolom harus persis: {} (kolom terakhir {QUESTIONS_COLUMN} boleh ada, boleh tidak)",
            CSV_HEADER.join(",")
        )),
        Some(Err(e)) => errors.push(format!("Baris 1: tidak dapat dibaca sebagai CSV ({e}).")),
        None => {
            return Err(vec![
                "Berkas kosong: tidak ada judul kolom maupun baris target.".into(),
            ]);
        }
    }
    let mut seen: HashMap<(String, i64, i64, i64), usize> = HashMap::new();
    let mut names: HashMap<String, (String, usize)> = HashMap::new();
    for rec in records {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                errors.push(format!(
                    "Baris {line}: tidak dapat dibaca sebagai CSV (tanda kutip tidak seimbang?)."
                ));
                continue;
            }
        };
        let line = rec.position().map(|p| p.line() as usize).unwrap_or(0);
        if rec.len() != columns {
            errors.push(format!(
                "Baris {line}: harus {columns} kolom, ada {}.",
                rec.len()
            ));
            continue;
        }
        // the export's formula guard (a leading apostrophe) is undone here
        let f = |i: usize| {
            crate::fmt::csv_text(rec.get(i).unwrap_or(""))
                .trim()
                .to_string()
        };
        let mut bad = false;
        let numeral = f(0);
        if !NUMERALS.contains(&numeral.as_str()) {
            errors.push(format!(
                "Baris {line}: komponen \"{numeral}\" bukan angka Romawi I sampai VI."
            ));
            bad = true;
        }
        let mut num = |i: usize, what: &str| match f(i).parse::<i64>() {
            Ok(n) if n >= 1 => n,
            _ => {
                errors.push(format!(
                    "Baris {line}: nomor {what} \"{}\" harus bilangan bulat mulai 1.",
                    f(i)
                ));
                bad = true;
                0
            }
        };
        let (area, indicator, step) = (num(2, "area"), num(4, "indikator"), num(6, "langkah"));
        for (i, col) in [
            (1, "component_name"),
            (3, "area_name"),
            (5, "indicator_text"),
            (7, "step_text"),
            (8, "authority"),
        ] {
            let v = f(i);
            if v.is_empty() {
                errors.push(format!("Baris {line}: kolom {col} kosong."));
                bad = true;
            } else if v.chars().count() > TEXT_MAX {
                errors.push(format!(
                    "Baris {line}: kolom {col} lebih dari {TEXT_MAX} karakter."
                ));
                bad = true;
            }
        }
        let questions = if columns > CSV_HEADER.len() {
            match crate::links::parse_ids(&f(CSV_HEADER.len())) {
                Ok(ids) => ids,
                Err(m) => {
                    errors.push(format!("Baris {line}: kolom {QUESTIONS_COLUMN}: {m}."));
                    bad = true;
                    Vec::new()
                }
            }
        } else {
            Vec::new()
        };
        if bad {
            continue;
        }
        let key = (numeral.clone(), area, indicator, step);
        if let Some(first) = seen.get(&key) {
            errors.push(format!(
                "Baris {line}: langkah {} sudah ada di baris {first}.",
                crate::fmt::step_code(&numeral, area, indicator, step)
            ));
            continue;
        }
        seen.insert(key, line);
        // one name per component, area and indicator
        for (k, v, what) in [
            (numeral.clone(), f(1), "nama komponen"),
            (format!("{numeral}.{area}"), f(3), "nama area"),
            (
                format!(
                    "{numeral}.{area}.{}",
                    crate::fmt::indicator_letter(indicator)
                ),
                f(5),
                "teks indikator",
            ),
        ] {
            match names.get(&k) {
                Some((prev, at)) if *prev != v => {
                    errors.push(format!("Baris {line}: {what} {k} berbeda dari baris {at}."))
                }
                Some(_) => {}
                None => {
                    names.insert(k, (v, line));
                }
            }
        }
        rows.push(NewStep {
            line,
            numeral,
            component_name: f(1),
            area,
            area_name: f(3),
            indicator,
            indicator_text: f(5),
            step,
            step_text: f(7),
            authority: f(8),
            units: None,
            pics: Vec::new(),
            questions,
        });
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push("Berkas tidak berisi baris target.".into());
    }
    // One cause per row: the numbering is checked only once every row reads well, so a
    // row refused for an empty text does not add a gap in the numbers after it.
    if !errors.is_empty() {
        return Err(errors);
    }
    // numbering without gaps: components from I, areas/indicators/steps from 1
    let mut tree: BTreeMap<usize, BTreeMap<i64, BTreeMap<i64, Vec<i64>>>> = BTreeMap::new();
    for r in &rows {
        let c = NUMERALS.iter().position(|n| *n == r.numeral).unwrap_or(0);
        tree.entry(c)
            .or_default()
            .entry(r.area)
            .or_default()
            .entry(r.indicator)
            .or_default()
            .push(r.step);
    }
    let gap = |found: Vec<i64>| -> Option<String> {
        let want: Vec<i64> = (1..=found.len() as i64).collect();
        (found != want).then(|| {
            found
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        })
    };
    let comps: Vec<i64> = tree.keys().map(|c| *c as i64 + 1).collect();
    if let Some(found) = gap(comps) {
        errors.push(format!(
            "Komponen harus berurutan mulai I tanpa loncatan; ditemukan nomor {found}."
        ));
    }
    for (c, areas) in &tree {
        let n = NUMERALS[*c];
        if let Some(found) = gap(areas.keys().copied().collect()) {
            errors.push(format!(
                "Komponen {n}: nomor area harus 1, 2, … tanpa loncatan; ditemukan {found}."
            ));
        }
        for (a, inds) in areas {
            if let Some(found) = gap(inds.keys().copied().collect()) {
                errors.push(format!(
                    "Area {n}.{a}: nomor indikator harus 1, 2, … tanpa loncatan; ditemukan {found}."
                ));
            }
            for (i, steps) in inds {
                let mut s = steps.clone();
                s.sort();
                if let Some(found) = gap(s) {
                    errors.push(format!(
                        "Indikator {n}.{a}.{}: nomor langkah harus 1, 2, … tanpa loncatan; ditemukan {found}.",
                        crate::fmt::indicator_letter(*i)
                    ));
                }
            }
        }
    }
    if errors.is_empty() {
        rows.sort_by_key(|r| {
            (
                NUMERALS.iter().position(|n| *n == r.numeral),
                r.area,
                r.indicator,
                r.step,
            )
        });
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// Imports a CSV into an empty year: all rows in one transaction, or nothing.
pub async fn import(
    db: &SqlitePool,
    actor: &Actor,
    unit: i64,
    year: i64,
    bytes: &[u8],
) -> Result<u64, YearError> {
    if !valid_year(year) {
        return Err(YearError::Refused(format!(
            "Tahun {year} harus antara 2000 dan 2100."
        )));
    }
    let rows = parse_import(bytes).map_err(YearError::Invalid)?;
    // Checked under the write lock: two imports into one year cannot both pass.
    let mut tx = crate::db::write(db).await?;
    if year_exists(&mut tx, unit, year).await? {
        return Err(YearError::Taken(format!(
            "Tahun {year} sudah punya target; impor hanya ke tahun yang belum punya target."
        )));
    }
    let mut problems = Vec::new();
    for r in &rows {
        if let Err(m) = crate::links::check_ids(&mut tx, year, &r.questions).await? {
            problems.push(format!("Baris {}: kolom {QUESTIONS_COLUMN}: {m}.", r.line));
        }
    }
    if !problems.is_empty() {
        return Err(YearError::Invalid(problems));
    }
    let n = insert_year(&mut tx, unit, year, &rows).await?;
    tx.commit(
        &actor.clone().in_unit(unit),
        Entry::new(
            Action::TargetsImported,
            format!("Target tahun {year} diimpor dari CSV ({n} langkah aksi)"),
        )
        .after(json!({"tahun": year, "langkah": n})),
    )
    .await?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "component,component_name,area,area_name,indicator,indicator_text,step,step_text,authority";

    fn file(rows: &[&str]) -> Vec<u8> {
        let mut s = String::from(HEADER);
        for r in rows {
            s.push('\n');
            s.push_str(r);
        }
        s.push('\n');
        s.into_bytes()
    }

    #[test]
    fn a_good_file_gives_its_rows() {
        let rows = parse_import(&file(&[
            "I,MANAJEMEN PERUBAHAN,1,Tim Kerja,1,SK tim,1,Menetapkan SK,Instansi yang berwenang mengelola ZI",
            "I,MANAJEMEN PERUBAHAN,1,Tim Kerja,1,SK tim,2,Memilih anggota,Instansi yang berwenang mengelola ZI",
        ]))
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[1].numeral.as_str(), rows[1].step), ("I", 2));
        assert_eq!(rows[1].step_text, "Memilih anggota");
        // a byte-order mark (as spreadsheets write it) is not part of the header
        let mut bom = "\u{feff}".as_bytes().to_vec();
        bom.extend(file(&["I,A,1,B,1,C,1,D,E"]));
        assert_eq!(parse_import(&bom).unwrap().len(), 1);
    }

    #[test]
    fn lines_are_the_files_own_and_one_cause_is_given_per_row() {
        // a text spanning two lines: the next row starts on file line 4
        let errors = parse_import(&file(&[
            "I,A,1,B,1,C,1,\"D\nlanjutan\",E",
            "I,A,1,B,1,,2,D,E",
            "I,A,1,B,1,C,3,D,E",
        ]))
        .unwrap_err();
        // no knock-on "nomor langkah … loncatan" for the refused row
        assert_eq!(errors, ["Baris 4: kolom indicator_text kosong."]);
    }

    #[test]
    fn a_semicolon_file_as_spreadsheets_save_it_reads_the_same() {
        let comma =
            parse_import(&file(&["I,A,1,B,1,C,1,D,E", "I,A,1,B,1,C,2,\"D; dua\",E"])).unwrap();
        let text = String::from_utf8(file(&["I;A;1;B;1;C;1;D;E", "I;A;1;B;1;C;2;D; dua;E"]))
            .unwrap()
            .replace("component,component_name,area,area_name,indicator,indicator_text,step,step_text,authority", &HEADER.replace(',', ";"));
        let semi = parse_import(text.replace("D; dua", "\"D; dua\"").as_bytes()).unwrap();
        assert_eq!(
            comma.iter().map(|r| &r.step_text).collect::<Vec<_>>(),
            semi.iter().map(|r| &r.step_text).collect::<Vec<_>>()
        );
        let mut bom = "\u{feff}".as_bytes().to_vec();
        bom.extend(text.replace("D; dua", "\"D; dua\"").into_bytes());
        assert_eq!(parse_import(&bom).unwrap().len(), 2);
    }

    #[test]
    fn every_bad_row_is_reported_and_nothing_is_returned() {
        let cases: [(&[&str], &str); 5] = [
            (&["X,A,1,B,1,C,1,D,E"], "X"),
            (&["I,A,1,B,1,C,2,D,E"], "tanpa loncatan"),
            (&["I,A,1,B,1,,1,D,E"], "Baris"),
            (&["I,A,1,B,1,C,1,D"], "harus 9 kolom"),
            (&["I,A,1,B,1,C,1,D,E", "I,A,1,B,1,C,1,D2,E"], "Baris"),
        ];
        for (rows, expected) in cases {
            let errors = parse_import(&file(rows)).unwrap_err();
            assert!(
                errors.iter().any(|e| e.contains(expected)),
                "{rows:?}: {errors:?}"
            );
        }
        assert!(parse_import(b"").is_err());
        assert!(parse_import(&[0xff, 0xfe, 0x00]).is_err());
        let wrong_header = parse_import(b"a,b\n").unwrap_err();
        assert!(wrong_header[0].contains("judul kolom"), "{wrong_header:?}");
    }
}
