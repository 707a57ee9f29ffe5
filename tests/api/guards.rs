//! Second guards for faults a planted-fault audit found uncaught: each test here fails
//! when one filter or lock check of the LKE work is dropped (see the README's mutation
//! section for how they were planted).

use crate::helpers::{PASSWORD, Session, TestApp, fingerprint, spawn_app};

/// Two units with 2026 targets (see `helpers::two_units_in_2026`); returns the admins
/// of A and B, signed in, and the first 2026 step of each unit.
async fn two_units_in_2026(app: &TestApp) -> (Session, Session, i64, i64) {
    let (a_step, b_step) = crate::helpers::two_units_in_2026(app).await;
    let a_admin = app.signed_in("admin-unit").await;
    let (_, b_name) = app.create_user_in("admin", &[2]).await;
    let b_admin = app.sign_in(&b_name, PASSWORD).await.unwrap();
    (a_admin, b_admin, a_step, b_step)
}

/// Only unit B has answered question 1: unit A's question page shows none of it (the
/// stored answer is read with the unit's filter), and A's score page neither.
#[tokio::test]
async fn a_question_answered_only_by_another_unit_shows_nothing_of_it() {
    let app = spawn_app().await;
    let (a_admin, b_admin, _, _) = two_units_in_2026(&app).await;
    let res = b_admin
        .post(
            "/lke/2026/soal/1/jawaban",
            &[
                ("versi", "0"),
                ("jawaban", "Ya"),
                ("catatan", "CATATAN HANYA UNIT B"),
                ("bukti_teks", "https://contoh.go.id/bukti-unit-b"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (status, page) = a_admin.get_text("/lke/2026/soal/1").await;
    assert_eq!(status, 200);
    assert!(!page.contains("CATATAN HANYA UNIT B"), "{page}");
    assert!(!page.contains("bukti-unit-b"));
    // the form offers version 0 to A: A's first answer is not refused as stale
    let res = a_admin
        .post(
            "/lke/2026/soal/1/jawaban",
            &[("versi", "0"), ("jawaban", "Tidak"), ("catatan", "unit A")],
        )
        .await;
    assert_eq!(res.status(), 303, "A answers from version 0");
}

/// The evidence picker takes only the unit's own evidence of the year: an id of unit
/// B's evidence on unit A's answer is refused and stores nothing.
#[tokio::test]
async fn another_units_evidence_cannot_be_linked_to_an_answer() {
    let app = spawn_app().await;
    let (a_admin, _, a_step, b_step) = two_units_in_2026(&app).await;
    let evidence = |step: i64| {
        sqlx::query_scalar::<_, i64>(
            "INSERT INTO evidence (step_id, semester, kind, label, url, uploaded_by, uploaded_at)
             VALUES (?, 1, 'link', 'Bukti', 'https://contoh.go.id/x', 1, '2026-03-01T00:00:00Z') RETURNING id",
        )
        .bind(step)
        .fetch_one(app.db())
    };
    let (own, foreign) = (
        evidence(a_step).await.unwrap(),
        evidence(b_step).await.unwrap(),
    );
    let before = fingerprint(app.db()).await;
    for ids in [vec![foreign], vec![own, foreign]] {
        let mut form: Vec<(&str, String)> = vec![
            ("csrf_token", a_admin.csrf.clone()),
            ("versi", "0".into()),
            ("jawaban", "Ya".into()),
        ];
        form.extend(ids.iter().map(|i| ("bukti", i.to_string())));
        let res = a_admin
            .client
            .post(a_admin.url("/lke/2026/soal/1/jawaban"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{ids:?}");
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("bukan bukti langkah aksi")
        );
        assert_eq!(fingerprint(app.db()).await, before);
    }
    let res = a_admin
        .post(
            "/lke/2026/soal/1/jawaban",
            &[
                ("versi", "0"),
                ("jawaban", "Ya"),
                ("bukti", &own.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), 303, "the unit's own evidence is taken");
}

/// The TPI's final mark is the evaluated unit's alone: after unit A's TPI finalises,
/// unit B's TPI side stays open and B's penilai can still answer.
#[tokio::test]
async fn the_tpis_final_mark_of_one_unit_leaves_another_open() {
    let app = spawn_app().await;
    let (a_admin, b_admin, _, _) = two_units_in_2026(&app).await;
    let a_tpi = app.signed_in("penilai").await;
    let (_, b_tpi) = app.create_user_in("penilai", &[2]).await;
    let b_tpi = app.sign_in(&b_tpi, PASSWORD).await.unwrap();
    for admin in [&a_admin, &b_admin] {
        let res = admin.post("/lke/2026/kirim", &[("yakin", "1")]).await;
        assert_eq!(res.status(), 303);
    }
    let res = a_tpi.post("/lke/2026/final", &[("yakin", "1")]).await;
    assert_eq!(res.status(), 303);
    let finals: Vec<(i64, bool)> = sqlx::query_as(
        "SELECT unit_id, tpi_final_at IS NOT NULL FROM lke_year_state WHERE year = 2026 ORDER BY unit_id",
    )
    .fetch_all(app.db())
    .await
    .unwrap();
    assert_eq!(finals, vec![(1, true), (2, false)]);
    let res = b_tpi
        .post(
            "/lke/2026/soal/1/tpi",
            &[("versi", "0"), ("jawaban", "Ya"), ("catatan", "TPI unit B")],
        )
        .await;
    assert_eq!(res.status(), 303, "B's TPI side is still open");
}

/// Once the unit has sent its worksheet to the TPI, a workbook cannot bring the unit's
/// side back in (the unit's lock, not the TPI's, guards it).
#[tokio::test]
async fn a_sent_worksheet_refuses_the_units_side_from_a_workbook() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let res = admin.post("/lke/2026/kirim", &[("yakin", "1")]).await;
    assert_eq!(res.status(), 303);
    let m = zi_tracker::lke::store::load_master(app.db(), 2026)
        .await
        .unwrap()
        .unwrap();
    let row = u32::try_from(m.question(1).unwrap().excel_row - 1).unwrap();
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet().set_name("Jawaban").unwrap();
    ws.write_string(row, 10, "Ya").unwrap();
    let file = wb.save_to_buffer().unwrap();
    let before = fingerprint(app.db()).await;
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", admin.csrf.clone())
        .part(
            "file",
            reqwest::multipart::Part::bytes(file)
                .file_name("lke.xlsx")
                .mime_str("application/octet-stream")
                .unwrap(),
        );
    let res = admin
        .client
        .post(admin.url("/lke/2026/impor"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("tidak diimpor"));
    assert_eq!(fingerprint(app.db()).await, before, "nothing imported");
}

/// A token and the unit proposed for 2026 (`balitnak`, WBK), on a server whose PortalRB
/// rate is `rate` calls a minute per token.
async fn proposed(rate: u32) -> (TestApp, String) {
    use crate::portalrb::{app_with_rate, cli};
    let app = app_with_rate(rate).await;
    let (ok, _, err) = cli(
        &app,
        &[
            "portalrb",
            "propose",
            "--year",
            "2026",
            "--unit",
            "balitnak",
            "--kategori",
            "WBK",
        ],
    );
    assert!(ok, "{err}");
    let token = |name: &str| {
        let (ok, out, err) = cli(&app, &["portalrb", "token", "create", "--name", name]);
        assert!(ok, "{err}");
        out.lines().last().unwrap().trim().to_string()
    };
    let t = token("pertama");
    (app, t)
}

/// The rate window is each token's own: one token spent leaves another untouched.
#[tokio::test]
async fn one_tokens_spent_rate_leaves_another_token_served() {
    use crate::portalrb::{call, cli};
    let (app, first) = proposed(3).await;
    let (ok, out, err) = cli(&app, &["portalrb", "token", "create", "--name", "kedua"]);
    assert!(ok, "{err}");
    let second = out.lines().last().unwrap().trim().to_string();
    let path = "/api/portalrb/pengusulan/unit-wbk?tahun=2026";
    for _ in 0..3 {
        assert_eq!(call(&app, Some(&first), path).await.0, 200);
    }
    assert_eq!(call(&app, Some(&first), path).await.0, 429);
    for n in 0..3 {
        assert_eq!(call(&app, Some(&second), path).await.0, 200, "call {n}");
    }
}

/// The link's expiry date is signed: a later date written into the link is refused
/// (and a year the unit is not proposed in has no answers to serve).
#[tokio::test]
async fn an_evidence_link_holds_to_its_signed_expiry() {
    use crate::portalrb::call;
    let (app, token) = proposed(1000).await;
    sqlx::query(
        "INSERT INTO lke_answers (unit_id, year, question_id, side, version, answer, note, evidence, answered_by, answered_at)
         VALUES (1, 2026, 1, 'unit', 1, 'Ya', 'Tim sudah ada', 'https://contoh.go.id/sk', 1, '2026-04-01T00:00:00Z')",
    )
    .execute(app.db())
    .await
    .unwrap();
    let (status, _, _) = call(
        &app,
        Some(&token),
        "/api/portalrb/lke/jawaban-unit/balitnak?tahun=2025",
    )
    .await;
    assert_eq!(status, 404, "not proposed in 2025");
    let (status, body, _) = call(
        &app,
        Some(&token),
        "/api/portalrb/lke/jawaban-unit/balitnak?tahun=2026",
    )
    .await;
    assert_eq!(status, 200);
    let link = body["answers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["soal_id"] == 1)
        .unwrap()["bukti_dukung_unit"]
        .as_str()
        .unwrap()
        .replace("https://zi.contoh.go.id", "");
    assert!(link.contains("sampai=2026-12-31"), "{link}");
    let get = |path: String| {
        let client = app.client();
        let url = app.url(&path);
        async move { client.get(url).send().await.unwrap().status() }
    };
    assert_eq!(get(link.clone()).await, 200);
    let later = link.replace("sampai=2026-12-31", "sampai=2099-12-31");
    assert_eq!(get(later).await, 403, "the expiry is signed");
}

/// A TPN note becomes a step of next year's targets under one of the unit's own
/// indicators: another unit's indicator of that year is refused and nothing is written
/// (fails with the unit filter of the indicator check dropped).
#[tokio::test]
async fn a_tpn_note_step_goes_only_under_the_units_own_indicator() {
    let app = spawn_app().await;
    let (a_admin, _, _, b_step) = two_units_in_2026(&app).await;
    sqlx::query(
        "INSERT INTO unit_predicates (unit_id, year, predicate, tpn_score, notes, recorded_by, recorded_at)
         VALUES (1, 2025, 'TIDAK', 70.5, '- Perkuat SOP pengaduan', ?, '2026-01-10 08:00:00')",
    )
    .bind(a_admin.user_id)
    .execute(app.db())
    .await
    .unwrap();
    let b_indicator: i64 = sqlx::query_scalar("SELECT indicator_id FROM action_steps WHERE id = ?")
        .bind(b_step)
        .fetch_one(app.db())
        .await
        .unwrap();
    let before = fingerprint(app.db()).await;
    let res = a_admin
        .post(
            "/lke/2025/tindak-lanjut",
            &[
                ("catatan", "0"),
                ("teks", "Menyusun SOP pengaduan baru"),
                ("kewenangan", "Balai"),
                ("indikator", &b_indicator.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), 400);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Pilih indikator target tahun 2026."),
        "{page}"
    );
    assert_eq!(fingerprint(app.db()).await, before, "nothing is written");
    // the unit's own indicator of 2026 is taken
    let a_indicator: i64 = sqlx::query_scalar(
        "SELECT indicator_id FROM unit_indicators WHERE unit_id = 1 AND year = 2026
         ORDER BY indicator_id LIMIT 1",
    )
    .fetch_one(app.db())
    .await
    .unwrap();
    let res = a_admin
        .post(
            "/lke/2025/tindak-lanjut",
            &[
                ("catatan", "0"),
                ("teks", "Menyusun SOP pengaduan baru"),
                ("kewenangan", "Balai"),
                ("indikator", &a_indicator.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
}

/// "WBK already held" means held in an earlier year: a WBK recorded for the year itself
/// does not open a WBBM proposal for it, while one of the year before does (fails with
/// `year < ?` loosened to `year <= ?` in the rule the proposal, the readiness and the
/// roll-up share).
#[tokio::test]
async fn a_wbk_of_the_same_year_does_not_count_as_held() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let record = |year: i64| {
        sqlx::query(
            "INSERT INTO unit_predicates (unit_id, year, predicate, tpn_score, notes, recorded_at)
             VALUES (1, ?, 'WBK', 80.0, '', '2026-01-10 08:00:00')",
        )
        .bind(year)
        .execute(app.db())
    };
    record(2026).await.unwrap();
    let propose = || {
        admin.post(
            "/admin/portalrb/usul",
            &[
                ("tahun", "2026"),
                ("unit", "balitnak"),
                ("kategori", "WBBM"),
            ],
        )
    };
    let res = propose().await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("belum pernah memperoleh predikat WBK")
    );
    record(2025).await.unwrap();
    assert_eq!(propose().await.status(), 303);
}

/// The roll-up, on a hand-made fixture: a retired unit is not listed; a unit's row
/// counts the live steps of the period's year only (not a retired step, not the other
/// year's targets) and the period's own semester (progress of Semester I is not Semester
/// II's). Each of those filters dropped fails it.
#[tokio::test]
async fn the_rollup_counts_live_units_and_steps_of_the_period_only() {
    let app = spawn_app().await;
    let (a_step, _) = crate::helpers::two_units_in_2026(&app).await;
    zi_tracker::tenant::retire(app.db(), &zi_tracker::audit::Actor::cli(), "unitb")
        .await
        .unwrap();
    let a_steps: i64 =
        sqlx::query_scalar("SELECT count(*) FROM unit_steps WHERE unit_id = 1 AND year = 2026")
            .fetch_one(app.db())
            .await
            .unwrap();
    let retired: i64 = sqlx::query_scalar(
        "SELECT step_id FROM unit_steps WHERE unit_id = 1 AND year = 2026 AND step_id <> ?
         ORDER BY step_id LIMIT 1",
    )
    .bind(a_step)
    .fetch_one(app.db())
    .await
    .unwrap();
    sqlx::query("UPDATE action_steps SET retired_at = '2026-06-01 00:00:00' WHERE id = ?")
        .bind(retired)
        .execute(app.db())
        .await
        .unwrap();
    let staf = app.signed_in("staf").await;
    app.assign(a_step, staf.user_id).await;
    let res = staf
        .save_progress(a_step, "2026-1", "selesai", "100", "Selesai di Semester I")
        .await;
    assert_eq!(res.status(), 303);
    let leader = app.signed_in("pimpinan-instansi").await;
    let res = leader
        .get("/instansi/rekap.csv?periode=2026-2&urut=kode")
        .await;
    assert_eq!(res.status(), 200);
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 2, "only the live unit: {csv}");
    let cells: Vec<&str> = lines[1].split(';').collect();
    assert_eq!(cells[0], "balitnak");
    assert_eq!(
        (cells[3], cells[4]),
        ((a_steps - 1).to_string().as_str(), "0"),
        "live steps of 2026, none done in Semester II: {}",
        lines[1]
    );
    // Semester I shows the step done
    let res = leader
        .get("/instansi/rekap.csv?periode=2026-1&urut=kode")
        .await;
    let csv = res.text().await.unwrap();
    let row = csv.lines().nth(1).unwrap().to_string();
    assert_eq!(row.split(';').nth(4), Some("1"), "{row}");
}
