use std::collections::BTreeMap;

use crate::helpers::{TestApp, run_cli, spawn_app};

/// Indicators per area, and steps per indicator where not 1, counted by hand from
/// the seed table after reassembling its page-broken rows.
const AREAS: &[(&str, &[usize])] = &[
    ("I", &[1, 1, 1, 4]),
    ("II", &[1, 3, 2]),
    ("III", &[3, 3, 6, 4, 1, 1]),
    ("IV", &[3, 8]),
    ("V", &[2, 4, 4, 3, 5]),
    ("VI", &[4, 5, 3]),
];

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
struct Row {
    component: String,
    component_name: String,
    area: i64,
    area_name: String,
    indicator: i64,
    indicator_text: String,
    step: i64,
    step_text: String,
    authority: String,
}

async fn download_csv(app: &TestApp, year: &str) -> (reqwest::StatusCode, String, String) {
    let session = app.signed_in("staf").await;
    let res = session
        .get(&format!("/katalog/ekspor.csv?tahun={year}"))
        .await;
    let status = res.status();
    let ctype = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ctype, res.text().await.unwrap())
}

fn parse_csv(text: &str) -> Vec<Row> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(
        header,
        zi_tracker::catalogue::CSV_HEADER
            .iter()
            .chain(&[zi_tracker::catalogue::QUESTIONS_COLUMN])
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
    );
    reader.deserialize().map(|r| r.unwrap()).collect()
}

fn find<'a>(rows: &'a [Row], c: &str, a: i64, i: i64, s: i64) -> &'a Row {
    rows.iter()
        .find(|r| r.component == c && r.area == a && r.indicator == i && r.step == s)
        .unwrap_or_else(|| panic!("row {c}.{a}.{i}.{s} missing"))
}

#[tokio::test]
async fn seeded_catalogue_has_the_structure_of_the_seed_table() {
    let app = spawn_app().await;
    let (status, ctype, body) = download_csv(&app, "2021").await;
    assert_eq!(status, 200);
    assert_eq!(ctype, "text/csv; charset=utf-8");
    assert!(body.contains("\r\n"), "RFC 4180 line ends");
    let rows = parse_csv(&body);
    assert_eq!(rows.len(), 74);

    // indicators per area and steps per indicator
    let mut per_area: BTreeMap<(String, i64), BTreeMap<i64, usize>> = BTreeMap::new();
    for r in &rows {
        *per_area
            .entry((r.component.clone(), r.area))
            .or_default()
            .entry(r.indicator)
            .or_default() += 1;
    }
    for (numeral, areas) in AREAS {
        for (ai, expected_indicators) in areas.iter().enumerate() {
            let key = (numeral.to_string(), ai as i64 + 1);
            let indicators = per_area
                .get(&key)
                .unwrap_or_else(|| panic!("area {key:?} missing"));
            assert_eq!(indicators.len(), *expected_indicators, "area {key:?}");
            // numbering has no gaps
            assert_eq!(
                indicators.keys().copied().collect::<Vec<_>>(),
                (1..=*expected_indicators as i64).collect::<Vec<_>>()
            );
            for (ind, steps) in indicators {
                let expected = if key == ("I".into(), 1) { 3 } else { 1 };
                assert_eq!(*steps, expected, "steps of {key:?}.{ind}");
            }
        }
    }
    assert_eq!(
        per_area.len(),
        AREAS.iter().map(|(_, a)| a.len()).sum::<usize>()
    );

    let names: Vec<(String, String)> = {
        let mut v: Vec<(String, String)> = rows
            .iter()
            .map(|r| (r.component.clone(), r.component_name.clone()))
            .collect();
        v.dedup();
        v
    };
    assert_eq!(
        names,
        [
            ("I", "MANAJEMEN PERUBAHAN"),
            ("II", "PENATAAN TATALAKSANA"),
            ("III", "PENATAAN SISTEM MANAJEMEN SDM"),
            ("IV", "PENGUATAN AKUNTABILITAS"),
            ("V", "PENGUATAN PENGAWASAN"),
            ("VI", "PENINGKATAN KUALITAS PELAYANAN PUBLIK"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );

    // No markup survives anywhere, and no cell is empty.
    for r in &rows {
        for f in [
            &r.component_name,
            &r.area_name,
            &r.indicator_text,
            &r.step_text,
            &r.authority,
        ] {
            assert!(!f.contains('<') && !f.contains('>'), "markup in {f:?}");
            assert!(!f.trim().is_empty(), "empty cell in {r:?}");
            assert_eq!(f.trim(), f.as_str(), "stray whitespace in {f:?}");
        }
    }
}

#[tokio::test]
async fn every_repaired_row_reads_as_reassembled() {
    let app = spawn_app().await;
    let rows = parse_csv(&download_csv(&app, "2021").await.2);
    const UNIT: &str = "Instansi yang berwenang mengelola ZI";

    // A plain row, unchanged.
    let r = find(&rows, "III", 3, 5, 1);
    assert_eq!(r.area_name, "Pengembangan pegawai berbasis kompetensi");
    assert_eq!(
        r.authority,
        "Instansi yang berwenang mengelola ZI dan ada juga kewenangan dari pusat (Topdown)"
    );

    // Component numbered "1" in the source.
    assert_eq!(
        find(&rows, "I", 1, 1, 1).component_name,
        "MANAJEMEN PERUBAHAN"
    );
    // Authority shifted one column right.
    let r = find(&rows, "I", 1, 1, 2);
    assert_eq!(
        r.step_text,
        "Pemilihan calon anggota Tim Kerja ZI sesuai prosedur pembentukan Tim ZI"
    );
    assert_eq!(r.authority, UNIT);
    // Third action row of Tim Kerja, its authority cell spanning from above.
    let r = find(&rows, "I", 1, 1, 3);
    assert_eq!(r.step_text, "Terbentuknya Tim Kerja ZI");
    assert_eq!(r.authority, UNIT);
    // Area with its weight in brackets.
    assert_eq!(find(&rows, "II", 2, 1, 1).area_name, "E-Office");
    // Markup removed.
    assert_eq!(
        find(&rows, "V", 1, 1, 1).indicator_text,
        "public campaign tentang pengendalian gratifikasi telah dilakukan"
    );
    // WBS row broken over two lines.
    let r = find(&rows, "V", 4, 1, 1);
    assert_eq!(r.area_name, "Whistle Blowing System");
    assert_eq!(
        r.indicator_text,
        "Whistleblowing system sudah diinternalisasikan"
    );
    assert_eq!(
        r.step_text,
        "Membuat pedoman pelaksanaan Whistleblower di lingkungan instansi, Menetapkan pengelola WBS yang diperkuat dengan penetapan SK oleh pimpinan, Mensosialisasikan pedoman pelaksanaan whistle blower system"
    );
    assert_eq!(
        r.authority,
        "Instansi yang berwenang mengelola ZI dan dalam penyusunan pedoman WBS merupakan kewenangan Biro HUMAS Kementan sesuai Tusnya"
    );
    assert_eq!(
        find(&rows, "V", 4, 2, 1).indicator_text,
        "Evaluasi atas penerapan whistle blowing system sudah dilakukan"
    );
    // Benturan kepentingan broken over three lines.
    let r = find(&rows, "V", 5, 1, 1);
    assert_eq!(r.area_name, "Penanganan Benturan Kepentingan");
    assert_eq!(
        r.indicator_text,
        "Telah terdapat identifikasi/pemetaan benturan kepentingan dalam tugas fungsi utama"
    );
    assert_eq!(
        r.step_text,
        "Menyusun pedoman penanganan benturan kepentingan di lingkungan instansi mengacu pada PerMenPAN dan RB no 37/2012; Pembentukan tim Penanganan benturan kepentingan."
    );
    assert_eq!(
        r.authority,
        "Penyusunan pedoman Penanganan benturan kepentingan merupakan kewenangan Biro HUMAS Kementan sesuai Tusnya"
    );
    assert_eq!(
        find(&rows, "V", 5, 2, 1).indicator_text,
        "Penanganan benturan kepentingan telah disosialisasikan/internalisasi"
    );
    // The fragment standing away from its section, back in VI.1 as its 4th indicator.
    let r = find(&rows, "VI", 1, 4, 1);
    assert_eq!(
        r.indicator_text,
        "Dilakukan reviu dan perbaikan atas standar pelayanan dan SOP"
    );
    assert_eq!(
        r.step_text,
        "Melaksanakan kaji ulang dokumen SPP, SOP, kaji ulang dokumen ISO 9001:2015, ISO 17025:2005"
    );
    assert_eq!(r.authority, UNIT);
    assert!(
        rows.iter()
            .filter(|r| r.component == "V")
            .all(|r| !r.indicator_text.contains("standar")),
        "the fragment no longer stands in V"
    );
}

#[tokio::test]
async fn authority_links_each_step_to_the_units_its_cell_names() {
    let app = spawn_app().await;
    let per_unit: Vec<(String, i64)> = sqlx::query_as(
        "SELECT u.code, count(*) FROM step_authorities sa JOIN units u ON u.id = sa.unit_id
         GROUP BY u.code ORDER BY u.code",
    )
    .fetch_all(app.db())
    .await
    .unwrap();
    assert_eq!(
        per_unit,
        vec![
            ("balitnak".to_string(), 72),
            ("biro-humas".to_string(), 4),
            ("pusat".to_string(), 3)
        ]
    );
    let unlinked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM action_steps s
         WHERE NOT EXISTS (SELECT 1 FROM step_authorities WHERE step_id = s.id)",
    )
    .fetch_one(app.db())
    .await
    .unwrap();
    assert_eq!(unlinked, 0);
}

/// Rows of the seed table as the unit wrote them (after the documented repairs).
fn seed_row(
    (c, cn): (&str, &str),
    (a, an): (i64, &str),
    (i, it): (i64, &str),
    st: &str,
    au: &str,
) -> Row {
    Row {
        component: c.into(),
        component_name: cn.into(),
        area: a,
        area_name: an.into(),
        indicator: i,
        indicator_text: it.into(),
        step: 1,
        step_text: st.into(),
        authority: au.into(),
    }
}

const UNIT: &str = "Instansi yang berwenang mengelola ZI";

#[tokio::test]
async fn csv_holds_the_seed_tables_rows() {
    let app = spawn_app().await;
    let rows = parse_csv(&download_csv(&app, "2021").await.2);
    assert_eq!(rows.len(), 74);
    // the first rows: Tim Kerja's three action rows, one indicator
    let tim = "SK Tim Kerja ZI telah dibuat sesuai prosedur yang telah ditetapkan";
    let first = seed_row(
        ("I", "MANAJEMEN PERUBAHAN"),
        (1, "Tim Kerja"),
        (1, tim),
        "Penetapan SK dan Menyusun SOP pemilihan tim kerja ZI",
        UNIT,
    );
    assert_eq!(rows[0], first);
    assert_eq!(
        rows[1],
        Row {
            step: 2,
            step_text: "Pemilihan calon anggota Tim Kerja ZI sesuai prosedur pembentukan Tim ZI"
                .into(),
            ..first.clone()
        }
    );
    assert_eq!(
        rows[2],
        Row {
            step: 3,
            step_text: "Terbentuknya Tim Kerja ZI".into(),
            ..first.clone()
        }
    );
    // the last row of the table
    assert_eq!(
        rows[73],
        seed_row(
            ("VI", "PENINGKATAN KUALITAS PELAYANAN PUBLIK"),
            (3, "Penilaian Kepuasan Pelayanan"),
            (
                3,
                "Dilakukan tindak lanjut atas hasil survei kepuasan masyarakat"
            ),
            "Menindaklanjuti hasil IKM",
            UNIT,
        )
    );
    // a row whose authority is Biro HUMAS alone (typo "dengal" kept as written)
    let dumas = find(&rows, "V", 3, 1, 1);
    assert_eq!(
        dumas.authority,
        "Kewenangan Biro HUMAS kementan sebagai pembina dalam penanganan DUMAS dan \
         penyusunan pedoman yang terkait dengal hal tersebut sesuai Tusi"
    );
    assert_eq!(dumas.area_name, "Pengaduan Masyarakat");
    // steps per component, counted in the seed table
    let per_component: Vec<(String, usize)> = ["I", "II", "III", "IV", "V", "VI"]
        .iter()
        .map(|c| {
            (
                c.to_string(),
                rows.iter().filter(|r| r.component == *c).count(),
            )
        })
        .collect();
    assert_eq!(
        per_component,
        [
            ("I", 9),
            ("II", 6),
            ("III", 18),
            ("IV", 11),
            ("V", 18),
            ("VI", 12)
        ]
        .map(|(c, n)| (c.to_string(), n))
    );
}

#[tokio::test]
async fn pages_show_the_catalogue() {
    let app = spawn_app().await;
    let session = app.signed_in("penilai").await;
    let (_, page) = session.get_text("/katalog").await;
    assert!(page.contains("<html lang=\"id\">"));
    assert!(page.contains("Target Prioritas Zona Integritas 2021"));
    assert!(page.contains("6 komponen · 23 area · 72 indikator · 74 langkah aksi"));
    for name in [
        "MANAJEMEN PERUBAHAN",
        "PENINGKATAN KUALITAS PELAYANAN PUBLIK",
        "E-Office",
    ] {
        assert!(page.contains(name), "{name} on the overview");
    }

    let cat = zi_tracker::catalogue::load(app.db(), 1, 2021)
        .await
        .unwrap()
        .unwrap();
    let v = &cat.components[4];
    assert_eq!(v.numeral, "V");
    let (_, page) = session
        .get_text(&format!("/katalog/komponen/{}", v.id))
        .await;
    assert!(page.contains("<h1>V. PENGUATAN PENGAWASAN</h1>"));
    assert!(page.contains("Penanganan Benturan Kepentingan"));
    assert!(page.contains("Whistleblowing system sudah diinternalisasikan"));
    assert!(page.contains("Biro HUMAS Kementan"));
    assert_eq!(page.matches("id=\"langkah-").count(), 18);
    // the fragment stands in VI, not V
    assert!(!page.contains("Dilakukan reviu dan perbaikan atas standar"));
}

#[tokio::test]
async fn unknown_ids_and_years_give_an_indonesian_404() {
    let app = spawn_app().await;
    let session = app.signed_in("staf").await;
    for path in [
        "/katalog/komponen/99999",
        "/katalog/komponen/abc",
        "/katalog?tahun=1999",
        "/katalog?tahun=dua",
        "/katalog/ekspor.csv?tahun=1999",
        "/tidak-ada",
    ] {
        let res = session.get(path).await;
        assert_eq!(res.status(), 404, "{path}");
        let body = res.text().await.unwrap();
        assert!(body.contains("Halaman tidak ditemukan"), "{path}: {body}");
    }
}

#[tokio::test]
async fn cli_export_matches_the_download_and_refuses_unknown_years() {
    let mut app = spawn_app().await;
    let (_, _, downloaded) = download_csv(&app, "2021").await;
    app.stop().await;
    let dir = app.data_dir();
    let dir = dir.to_str().unwrap();

    let (status, stdout, _) = run_cli(
        &["export", "targets", "--year", "2021", "--data-dir", dir],
        None,
    );
    assert!(status.success());
    assert_eq!(stdout, downloaded);
    // and both are the seed table: its header, 74 rows, known first and last lines
    let lines: Vec<&str> = stdout.split("\r\n").collect();
    assert_eq!(
        lines.len(),
        76,
        "header, 74 rows, the empty rest after the last CRLF"
    );
    assert_eq!(
        lines[0],
        "\u{feff}component,component_name,area,area_name,indicator,indicator_text,step,step_text,authority,soal_id",
        "a byte-order mark, then the documented header"
    );
    assert_eq!(
        lines[1],
        "I,MANAJEMEN PERUBAHAN,1,Tim Kerja,1,SK Tim Kerja ZI telah dibuat sesuai prosedur yang telah ditetapkan,1,Penetapan SK dan Menyusun SOP pemilihan tim kerja ZI,Instansi yang berwenang mengelola ZI,"
    );
    assert_eq!(
        lines[74],
        "VI,PENINGKATAN KUALITAS PELAYANAN PUBLIK,3,Penilaian Kepuasan Pelayanan,3,Dilakukan tindak lanjut atas hasil survei kepuasan masyarakat,1,Menindaklanjuti hasil IKM,Instansi yang berwenang mengelola ZI,"
    );
    assert_eq!(lines[75], "");

    let (status, stdout, stderr) = run_cli(
        &["export", "targets", "--year", "1999", "--data-dir", dir],
        None,
    );
    assert!(!status.success());
    assert!(stdout.is_empty());
    assert!(stderr.contains("tahun target 1999 tidak ada"), "{stderr}");
    assert!(stderr.contains("2021"), "{stderr}");
}

#[tokio::test]
async fn restart_keeps_data_and_reapplies_nothing() {
    let mut app = spawn_app().await;
    let migrations_before: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT version, checksum FROM _sqlx_migrations ORDER BY version")
            .fetch_all(app.db())
            .await
            .unwrap();
    assert!(migrations_before.len() >= 2);
    sqlx::query("INSERT INTO units (code, name, kind) VALUES ('uji', 'Unit Uji', 'lainnya')")
        .execute(app.db())
        .await
        .unwrap();

    app.restart().await;

    let migrations_after: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT version, checksum FROM _sqlx_migrations ORDER BY version")
            .fetch_all(app.db())
            .await
            .unwrap();
    assert_eq!(migrations_before, migrations_after);
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM units WHERE code = 'uji'")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(kept, 1);
    let steps: i64 = sqlx::query_scalar("SELECT count(*) FROM action_steps")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(steps, 74, "the seed is not applied twice");
    let (status, _, body) = download_csv(&app, "2021").await;
    assert_eq!(status, 200);
    assert_eq!(parse_csv(&body).len(), 74);

    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(fk, 1);
}
