use crate::helpers::{location, run_cli, spawn_app};

async fn export(app: &crate::helpers::TestApp, year: i64) -> String {
    let cat = zi_tracker::catalogue::load(app.db(), 1, year)
        .await
        .unwrap()
        .unwrap();
    String::from_utf8(zi_tracker::catalogue::to_csv(&cat).unwrap()).unwrap()
}

async fn years(app: &crate::helpers::TestApp) -> Vec<i64> {
    zi_tracker::periods::target_years(app.db(), 1)
        .await
        .unwrap()
}

#[tokio::test]
async fn copy_then_edit_reorder_and_retire_leaving_2021_untouched() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let staf = app.signed_in("staf").await;
    let before_2021 = export(&app, 2021).await;
    let s = app.step_id("II", 1, 1, 1).await;
    app.assign(s, staf.user_id).await;

    let (status, page) = admin.get_text("/admin/target-salin").await;
    assert_eq!(status, 200);
    assert!(page.contains("value=\"2022\""), "next year proposed");
    let res = admin
        .post(
            "/admin/target-salin",
            &[("dari", "2021"), ("ke", "2022"), ("penugasan", "1")],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        location(&res),
        "/admin/target?tahun=2022&pesan=target-disalin"
    );
    assert_eq!(years(&app).await, vec![2022, 2021]);
    assert_eq!(
        export(&app, 2022).await,
        before_2021,
        "same catalogue, no progress"
    );
    let copied_pic: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM step_assignments sa JOIN action_steps s ON s.id = sa.step_id
         JOIN indicators i ON i.id = s.indicator_id JOIN areas a ON a.id = i.area_id
         JOIN components c ON c.id = a.component_id WHERE c.year = 2022 AND sa.user_id = ?",
    )
    .bind(staf.user_id)
    .fetch_one(app.db())
    .await
    .unwrap();
    assert_eq!(copied_pic, 1);
    // onto a year with targets: refused, nothing changed
    let res = admin
        .post("/admin/target-salin", &[("dari", "2021"), ("ke", "2022")])
        .await;
    assert_eq!(res.status(), 409);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Tahun 2022 sudah punya target")
    );
    let res = admin
        .post("/admin/target-salin", &[("dari", "2021"), ("ke", "2200")])
        .await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("antara 2000 dan 2100"));

    // edit a 2022 step: empty text refused with the input kept
    let step: i64 = sqlx::query_scalar(
        "SELECT s.id FROM action_steps s JOIN indicators i ON i.id = s.indicator_id JOIN areas a ON a.id = i.area_id
         JOIN components c ON c.id = a.component_id WHERE c.year = 2022 AND c.numeral = 'I' AND a.position = 1 AND s.position = 3",
    )
    .fetch_one(app.db())
    .await
    .unwrap();
    let path = format!("/admin/target/langkah/{step}");
    let res = admin
        .post(
            &path,
            &[
                ("text", "  "),
                ("authority", "Kewenangan uji"),
                ("unit", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 400);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("Langkah aksi wajib diisi.") && body.contains(">Kewenangan uji</textarea>")
    );
    let res = admin
        .post(
            &path,
            &[
                ("text", "Terbentuknya Tim Kerja ZI 2022"),
                (
                    "authority",
                    "Instansi yang berwenang mengelola ZI dan kewenangan dari pusat",
                ),
                ("unit", "1"),
                ("unit", "2"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let units: Vec<i64> = sqlx::query_scalar(
        "SELECT unit_id FROM step_authorities WHERE step_id = ? ORDER BY unit_id",
    )
    .bind(step)
    .fetch_all(app.db())
    .await
    .unwrap();
    assert_eq!(units, vec![1, 2]);
    let (before, after): (String, String) = sqlx::query_as(
        "SELECT before_json, after_json FROM audit_log WHERE action = ? AND object_id = ?",
    )
    .bind(zi_tracker::audit::Action::TargetEdited.as_str())
    .bind(step)
    .fetch_one(app.db())
    .await
    .unwrap();
    assert!(
        before.contains("Terbentuknya Tim Kerja ZI\"")
            && after.contains("Terbentuknya Tim Kerja ZI 2022")
    );

    // move it up: positions swap
    let res = admin
        .post(&format!("{path}/pindah"), &[("arah", "naik")])
        .await;
    assert_eq!(res.status(), 303);
    let pos: i64 = sqlx::query_scalar("SELECT position FROM action_steps WHERE id = ?")
        .bind(step)
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(pos, 2);

    // add a step, then retire one: hidden from new work, kept in history
    let indicator: i64 = sqlx::query_scalar("SELECT indicator_id FROM action_steps WHERE id = ?")
        .bind(step)
        .fetch_one(app.db())
        .await
        .unwrap();
    let res = admin
        .post(
            "/admin/target/langkah/baru",
            &[
                ("parent_id", &indicator.to_string()),
                ("text", "Langkah tambahan"),
                ("authority", "Instansi yang berwenang mengelola ZI"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let res = admin
        .post(&format!("{path}/status"), &[("berlaku", "0")])
        .await;
    assert_eq!(res.status(), 303);
    let d = zi_tracker::dashboard::compute(
        app.db(),
        1,
        zi_tracker::periods::Period::new(2022, 2),
        chrono::NaiveDate::from_ymd_opt(2022, 8, 1).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(d.overall.total, 74, "74 + 1 added - 1 retired");
    let csv_2022 = export(&app, 2022).await;
    assert!(csv_2022.contains("Langkah tambahan") && !csv_2022.contains("Tim Kerja ZI 2022"));
    let (_, page) = admin.get_text("/admin/target?tahun=2022").await;
    assert!(page.contains("Terbentuknya Tim Kerja ZI 2022") && page.contains("tidak berlaku"));
    // the retired step's page stays readable but takes no progress
    let (status, step_page) = admin.get_text(&format!("/langkah/{step}")).await;
    assert_eq!(status, 200);
    assert!(!step_page.contains("Simpan progres"));

    assert_eq!(export(&app, 2021).await, before_2021, "2021 untouched");
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE action LIKE 'target%' ORDER BY id")
            .fetch_all(app.db())
            .await
            .unwrap();
    assert_eq!(
        actions,
        [
            "targets_copied",
            "target_edited",
            "target_moved",
            "target_added",
            "target_retired"
        ]
    );
}

#[tokio::test]
async fn import_round_trips_the_export_and_refuses_bad_files_whole() {
    let mut app = spawn_app().await;
    let exported = export(&app, 2021).await;
    app.stop().await;
    let dir = app.data_dir();
    let dir = dir.to_str().unwrap();
    let file = app.dir.path().join("target.csv");
    std::fs::write(&file, &exported).unwrap();
    let (st, out, err) = run_cli(
        &[
            "targets",
            "import",
            "--year",
            "2023",
            file.to_str().unwrap(),
            "--data-dir",
            dir,
        ],
        None,
    );
    assert!(st.success(), "{err}");
    assert!(out.contains("Target tahun 2023 diimpor: 74 langkah aksi."));
    let (st, out, _) = run_cli(
        &["export", "targets", "--year", "2023", "--data-dir", dir],
        None,
    );
    assert!(st.success());
    assert_eq!(
        out, exported,
        "export → import → export reproduces the catalogue"
    );
    // authority units linked by the wording, as in the seed
    app.restart().await;
    let humas: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM step_authorities sa JOIN units u ON u.id = sa.unit_id
         JOIN action_steps s ON s.id = sa.step_id JOIN indicators i ON i.id = s.indicator_id
         JOIN areas a ON a.id = i.area_id JOIN components c ON c.id = a.component_id
         WHERE c.year = 2023 AND u.code = 'biro-humas'",
    )
    .fetch_one(app.db())
    .await
    .unwrap();
    assert_eq!(humas, 4);

    // bad files: every problem with its line, nothing stored
    let header = zi_tracker::catalogue::CSV_HEADER.join(",");
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            format!("{header}\nVII,X,1,A,1,B,1,C,D\n"),
            vec!["Baris 2: komponen \"VII\" bukan angka Romawi I sampai VI."],
        ),
        (
            format!("{header}\nI,X,1,A,1,B,1,C,D\nI,X,1,A,1,B,3,C2,D\n"),
            vec!["Indikator I.1.a: nomor langkah harus 1, 2, … tanpa loncatan; ditemukan 1, 3."],
        ),
        (
            format!("{header}\nI,X,1,A,1,B,1,C,D\nI,X,1,A,1,B,1,C,D\n"),
            vec!["Baris 3: langkah I.1.a.1 sudah ada di baris 2."],
        ),
        (
            format!("{header}\nI,X,1,A,1,,1,C,D\nI,X,dua,A,1,B,1,C,D\n"),
            vec![
                "Baris 2: kolom indicator_text kosong.",
                "Baris 3: nomor area \"dua\" harus bilangan bulat mulai 1.",
            ],
        ),
        (
            format!("{header}\nI,X,1,A,1,B,1,C\n"),
            vec!["Baris 2: harus 9 kolom, ada 8."],
        ),
        (
            "nomor,komponen\nI,X\n".to_string(),
            vec!["Baris 1: judul kolom harus persis"],
        ),
        (
            format!("{header}\nII,X,1,A,1,B,1,C,D\n"),
            vec!["Komponen harus berurutan mulai I"],
        ),
        (
            format!("{header}\nI,X,1,A,1,B,1,C,D\nI,Y,2,A2,1,B,1,C,D\n"),
            vec!["Baris 3: nama komponen I berbeda dari baris 2."],
        ),
        (
            format!("{header}\nI,X,1,A,1,\"B,1,C,D\n"),
            vec!["Baris 2: harus 9 kolom, ada 6."],
        ),
    ];
    let admin = app.signed_in("admin").await;
    for (content, messages) in &cases {
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", admin.csrf.clone())
            .text("tahun", "2024")
            .part(
                "file",
                reqwest::multipart::Part::bytes(content.clone().into_bytes()).file_name("t.csv"),
            );
        let res = admin
            .client
            .post(admin.url("/admin/target-impor"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{content}");
        let body = res.text().await.unwrap();
        for m in messages {
            assert!(
                body.contains(&m.replace('"', "&#34;")) || body.contains(m),
                "{m} in {body}"
            );
        }
        assert!(body.contains("value=\"2024\""), "year kept");
    }
    // the year itself: out of range, or already there
    for (year, status, message) in [
        ("1999", 400, "antara 2000 dan 2100"),
        ("2021", 409, "sudah punya target"),
    ] {
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", admin.csrf.clone())
            .text("tahun", year)
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
        assert_eq!(res.status(), status);
        assert!(res.text().await.unwrap().contains(message));
    }
    // too large
    let big = format!("{header}\n{}", "I,X,1,A,1,B,1,C,D\n".repeat(130_000));
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", admin.csrf.clone())
        .text("tahun", "2024")
        .part(
            "file",
            reqwest::multipart::Part::bytes(big.into_bytes()).file_name("t.csv"),
        );
    let res = admin
        .client
        .post(admin.url("/admin/target-impor"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert!(res.text().await.unwrap().contains("Berkas terlalu besar"));
    assert_eq!(years(&app).await, vec![2023, 2021], "nothing half-imported");

    // a good upload through the form
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", admin.csrf.clone())
        .text("tahun", "2024")
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
    assert_eq!(export(&app, 2024).await, exported);
    let (st, _, err) = run_cli(
        &[
            "targets",
            "copy",
            "--from",
            "2021",
            "--to",
            "2024",
            "--data-dir",
            dir,
        ],
        None,
    );
    assert!(!st.success());
    assert!(err.contains("Tahun 2024 sudah punya target"), "{err}");
    let (st, _, err) = run_cli(
        &[
            "targets",
            "import",
            "--year",
            "2025",
            "/tidak/ada.csv",
            "--data-dir",
            dir,
        ],
        None,
    );
    assert!(!st.success());
    assert!(err.contains("tidak dapat dibaca"), "{err}");
}

#[tokio::test]
async fn a_second_seed_migration_loads_beside_2021_without_touching_it() {
    // The documented way: a new migration file that follows the 2021 seed.
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("migrations");
    std::fs::create_dir(&migrations).unwrap();
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    for entry in std::fs::read_dir(&source).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), migrations.join(entry.file_name())).unwrap();
    }
    std::fs::write(
        migrations.join("20270101000000_seed_targets_2022.sql"),
        r#"
INSERT INTO target_years (year, title) VALUES (2022, 'Target Prioritas Pembangunan Zona Integritas Tahun 2022');
CREATE TEMP TABLE seed_rows (c_pos INTEGER, c_num TEXT, c_name TEXT, a_pos INTEGER, a_name TEXT,
    i_pos INTEGER, i_text TEXT, s_pos INTEGER, s_text TEXT, authority TEXT);
INSERT INTO seed_rows VALUES
(1, 'I', 'MANAJEMEN PERUBAHAN', 1, 'Tim Kerja', 1, 'SK Tim Kerja ZI diperbarui', 1, 'Menetapkan SK Tim Kerja ZI 2022', 'Instansi yang berwenang mengelola ZI'),
(2, 'II', 'PENATAAN TATALAKSANA', 1, 'E-Office', 1, 'Layanan daring', 1, 'Membangun layanan daring', 'Instansi yang berwenang mengelola ZI dan ada juga kewenangan dari pusat');
INSERT INTO components (year, position, numeral, name) SELECT DISTINCT 2022, c_pos, c_num, c_name FROM seed_rows ORDER BY c_pos;
INSERT INTO areas (component_id, position, name) SELECT DISTINCT c.id, r.a_pos, r.a_name FROM seed_rows r JOIN components c ON c.year = 2022 AND c.position = r.c_pos ORDER BY r.c_pos, r.a_pos;
INSERT INTO indicators (area_id, position, text) SELECT DISTINCT a.id, r.i_pos, r.i_text FROM seed_rows r JOIN components c ON c.year = 2022 AND c.position = r.c_pos JOIN areas a ON a.component_id = c.id AND a.position = r.a_pos ORDER BY r.c_pos, r.a_pos, r.i_pos;
INSERT INTO action_steps (indicator_id, position, text, authority_text) SELECT i.id, r.s_pos, r.s_text, r.authority FROM seed_rows r JOIN components c ON c.year = 2022 AND c.position = r.c_pos JOIN areas a ON a.component_id = c.id AND a.position = r.a_pos JOIN indicators i ON i.area_id = a.id AND i.position = r.i_pos ORDER BY r.c_pos, r.a_pos, r.i_pos, r.s_pos;
INSERT INTO step_authorities (step_id, unit_id) SELECT s.id, u.id FROM action_steps s JOIN indicators i ON i.id = s.indicator_id JOIN areas a ON a.id = i.area_id JOIN components c ON c.id = a.component_id AND c.year = 2022
  JOIN units u ON (u.code = 'balitnak' AND s.authority_text LIKE 'Instansi yang berwenang mengelola ZI%') OR (u.code = 'pusat' AND s.authority_text LIKE '%kewenangan dari pusat%') OR (u.code = 'biro-humas' AND s.authority_text LIKE '%Biro HUMAS%');
DROP TABLE seed_rows;
"#,
    )
    .unwrap();
    let db_path = dir.path().join("z.db");
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&db_path)
        .create_if_missing(true)
        .foreign_keys(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    sqlx::migrate::Migrator::new(migrations.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();

    let reference = spawn_app().await;
    let cat_2021 = zi_tracker::catalogue::load(&pool, 1, 2021)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        zi_tracker::catalogue::to_csv(&cat_2021).unwrap(),
        zi_tracker::catalogue::to_csv(
            &zi_tracker::catalogue::load(reference.db(), 1, 2021)
                .await
                .unwrap()
                .unwrap()
        )
        .unwrap(),
        "2021 is exactly as without the new file"
    );
    let cat_2022 = zi_tracker::catalogue::load(&pool, 1, 2022)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cat_2022.step_count(), 2);
    assert_eq!(
        cat_2022.components[1].areas[0].indicators[0].steps[0].units,
        vec!["Balai Penelitian Ternak", "Kementerian Pertanian"]
    );
}

#[tokio::test]
async fn units_are_managed_and_name_the_header() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let res = admin
        .post(
            "/admin/unit",
            &[("code", "Biro SDM!"), ("name", ""), ("kind", "biro")],
        )
        .await;
    assert_eq!(res.status(), 400);
    let body = res.text().await.unwrap();
    assert!(body.contains("Kode unit 2–32 karakter") && body.contains("Nama unit wajib diisi."));
    assert!(body.contains("value=\"Biro SDM!\""));
    let res = admin
        .post(
            "/admin/unit",
            &[
                ("code", "biro-sdm"),
                ("name", "Biro SDM Kementan"),
                ("kind", "biro"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let res = admin
        .post(
            "/admin/unit",
            &[("code", "biro-sdm"), ("name", "Lagi"), ("kind", "biro")],
        )
        .await;
    assert_eq!(res.status(), 409);

    // renaming the work unit changes every page's header (its code stays)
    let res = admin
        .post(
            "/admin/unit-kerja/balitnak/nama",
            &[("name", "Balai Penelitian Ternak Ciawi")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, page) = admin.get_text("/katalog").await;
    assert!(page.contains("Balai Penelitian Ternak Ciawi · Kementerian Pertanian"));
    // the unit itself cannot be retired; another one can, and comes back
    assert_eq!(
        admin
            .post("/admin/unit/1/status", &[("aktif", "0")])
            .await
            .status(),
        409
    );
    let id: i64 = sqlx::query_scalar("SELECT id FROM units WHERE code = 'biro-sdm'")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(
        admin
            .post(&format!("/admin/unit/{id}/status"), &[("aktif", "0")])
            .await
            .status(),
        303
    );
    let (_, list) = admin.get_text("/admin/unit").await;
    assert!(list.contains("Nonaktif"));
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE action LIKE '%unit_%' ORDER BY id")
            .fetch_all(app.db())
            .await
            .unwrap();
    assert_eq!(actions, ["unit_added", "work_unit_changed", "unit_retired"]);
}

#[tokio::test]
async fn a_retired_item_can_be_restored() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let area: i64 = sqlx::query_scalar(
        "SELECT a.id FROM areas a JOIN components c ON c.id = a.component_id WHERE c.year = 2021 AND c.numeral = 'VI' AND a.position = 3",
    )
    .fetch_one(app.db())
    .await
    .unwrap();
    let status = format!("/admin/target/area/{area}/status");
    assert_eq!(admin.post(&status, &[("berlaku", "0")]).await.status(), 303);
    let (_, page) = admin.get_text("/katalog").await;
    assert!(
        page.contains("6 komponen · 22 area · 69 indikator · 71 langkah aksi"),
        "retired area out of the counts"
    );
    // the same form again (a replay, a double click) changes nothing
    assert_eq!(admin.post(&status, &[("berlaku", "0")]).await.status(), 303);
    let (_, page) = admin.get_text("/katalog").await;
    assert!(page.contains("22 area"), "still retired");
    assert_eq!(admin.post(&status, &[("berlaku", "1")]).await.status(), 303);
    let (_, page) = admin.get_text("/katalog").await;
    assert!(page.contains("6 komponen · 23 area · 72 indikator · 74 langkah aksi"));
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE object_id = ? AND object_type = 'area' ORDER BY id",
    )
    .bind(area)
    .fetch_all(app.db())
    .await
    .unwrap();
    assert_eq!(actions, ["target_retired", "target_restored"]);
    // unknown kinds and ids
    assert_eq!(admin.get("/admin/target/bab/1").await.status(), 404);
    assert_eq!(admin.get("/admin/target/area/99999").await.status(), 404);
}

#[tokio::test]
async fn a_rejected_new_item_keeps_what_was_typed() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let indicator: i64 = sqlx::query_scalar(
        "SELECT i.id FROM indicators i JOIN areas a ON a.id = i.area_id JOIN components c ON c.id = a.component_id
         WHERE c.year = 2021 AND c.numeral = 'II' AND a.position = 1 AND i.position = 1",
    )
    .fetch_one(app.db())
    .await
    .unwrap();
    let res = admin
        .post(
            "/admin/target/langkah/baru",
            &[
                ("parent_id", &indicator.to_string()),
                ("text", " "),
                ("authority", "Kewenangan Biro HUMAS Kementan"),
            ],
        )
        .await;
    assert_eq!(res.status(), 400);
    let page = res.text().await.unwrap();
    assert!(page.contains("Langkah aksi wajib diisi."));
    assert!(
        page.contains(">Kewenangan Biro HUMAS Kementan</textarea>"),
        "typed wording kept"
    );
    assert!(page.contains(&format!("name=\"parent_id\" value=\"{indicator}\"")));
    assert!(page.contains("action=\"/admin/target/langkah/baru\""));
    // sending it again from that page, completed, adds the step with the unit its wording names
    let res = admin
        .post(
            "/admin/target/langkah/baru",
            &[
                ("parent_id", &indicator.to_string()),
                ("text", "Evaluasi SOP tahunan"),
                ("authority", "Kewenangan Biro HUMAS Kementan"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let units: Vec<String> = sqlx::query_scalar(
        "SELECT u.code FROM step_authorities sa JOIN units u ON u.id = sa.unit_id
         JOIN action_steps s ON s.id = sa.step_id WHERE s.text = 'Evaluasi SOP tahunan'",
    )
    .fetch_all(app.db())
    .await
    .unwrap();
    assert_eq!(units, vec!["biro-humas"]);
}

/// The "year already has targets" check runs inside the copy's write transaction:
/// two copies to one year at once give one success and one clear 409, never a 500.
#[tokio::test]
async fn two_copies_to_one_year_at_once_give_one_success_and_one_409() {
    let app = spawn_app().await;
    let a = app.signed_in("admin").await;
    let b = app.signed_in("admin").await;
    let fields = [("dari", "2021"), ("ke", "2031")];
    let (ra, rb) = tokio::join!(
        a.post("/admin/target-salin", &fields),
        b.post("/admin/target-salin", &fields)
    );
    let mut statuses = [ra.status().as_u16(), rb.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [303, 409]);
    let refused = if ra.status() == 409 { ra } else { rb };
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Tahun 2031 sudah punya target")
    );
    let steps: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM action_steps s JOIN indicators i ON i.id = s.indicator_id
         JOIN areas a ON a.id = i.area_id JOIN components c ON c.id = a.component_id
         WHERE c.year = 2031",
    )
    .fetch_one(app.db())
    .await
    .unwrap();
    assert_eq!(steps, 74, "copied once");
}
