//! Working the LKE: PICs answer with evidence, versioned like progress; the TPI
//! evaluates beside the unit; submission and finalisation lock their side; reopening
//! needs a reason and is audited.

use crate::helpers::html as Html;
use crate::helpers::{Session, TestApp, fingerprint, location, spawn_app};

async fn version(app: &TestApp, q: i64, side: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT coalesce(max(version), 0) FROM lke_answers WHERE year = 2026 AND question_id = ? AND side = ?",
    )
    .bind(q)
    .bind(side)
    .fetch_one(app.db())
    .await
    .unwrap()
}

async fn answer_unit(
    s: &Session,
    q: i64,
    versi: i64,
    jawaban: &str,
    catatan: &str,
) -> reqwest::Response {
    s.post(
        &format!("/lke/2026/soal/{q}/jawaban"),
        &[
            ("versi", &versi.to_string()),
            ("jawaban", jawaban),
            ("catatan", catatan),
            ("bukti_teks", "https://contoh.go.id/sk"),
        ],
    )
    .await
}

async fn answer_tpi(
    s: &Session,
    q: i64,
    versi: i64,
    jawaban: &str,
    catatan: &str,
) -> reqwest::Response {
    s.post(
        &format!("/lke/2026/soal/{q}/tpi"),
        &[
            ("versi", &versi.to_string()),
            ("jawaban", jawaban),
            ("catatan", catatan),
        ],
    )
    .await
}

async fn assign(admin: &Session, q: i64, user_id: i64) {
    let res = admin
        .post(
            &format!("/lke/2026/soal/{q}/pic"),
            &[("user_id", &user_id.to_string()), ("aksi", "tambah")],
        )
        .await;
    assert_eq!(res.status(), 303);
}

#[tokio::test]
async fn a_pic_answers_and_a_stale_save_is_refused_with_the_input_kept() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let pic = app.signed_in("staf").await;
    let other = app.signed_in("staf").await;
    assign(&admin, 1, pic.user_id).await;

    // a staff member who is not the question's PIC changes nothing
    let before = fingerprint(app.db()).await;
    assert_eq!(answer_unit(&other, 1, 0, "Ya", "").await.status(), 403);
    assert_eq!(fingerprint(app.db()).await, before);

    // a wrong answer: the message on the same form, the input kept
    let res = answer_unit(&pic, 1, 0, "Mungkin", "catatan saya").await;
    assert_eq!(res.status(), 400);
    let page = res.text().await.unwrap();
    assert!(
        Html::texts(&page, "#ringkasan-galat li")[0].contains("\"Mungkin\" bukan jawaban Ya/Tidak")
    );
    assert_eq!(
        Html::field_value(&page, "catatan").as_deref(),
        Some("catatan saya")
    );
    assert_eq!(fingerprint(app.db()).await, before);

    let res = answer_unit(&pic, 1, 0, "Ya", "SK tim sudah ada").await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/lke/2026/soal/1?pesan=jawaban-disimpan");
    assert_eq!(version(&app, 1, "unit").await, 1);

    // the admin saves from the same old page: refused, the newer answer shown, input kept
    let res = answer_unit(&admin, 1, 0, "Tidak", "versi admin").await;
    assert_eq!(res.status(), 409);
    let page = res.text().await.unwrap();
    let conflict = Html::texts(&page, "#bentrok").join(" ");
    assert!(conflict.contains("Jawaban: Ya"), "{conflict}");
    assert!(conflict.contains("SK tim sudah ada"), "{conflict}");
    assert_eq!(
        Html::field_value(&page, "catatan").as_deref(),
        Some("versi admin")
    );
    assert_eq!(
        Html::field_value(&page, "jawaban").as_deref(),
        Some("Tidak"),
        "the typed choice stays checked"
    );
    assert_eq!(Html::field_value(&page, "versi").as_deref(), Some("1"));
    assert_eq!(version(&app, 1, "unit").await, 1);
    // saving again with the newer version in view is a deliberate choice
    assert_eq!(
        answer_unit(&admin, 1, 1, "Tidak", "versi admin")
            .await
            .status(),
        303
    );
    assert_eq!(version(&app, 1, "unit").await, 2);

    // history and audit
    let (_, page) = pic.get_text("/lke/2026/soal/1").await;
    assert_eq!(
        Html::texts(&page, "#riwayat-h ~ .table-wrap tbody tr").len(),
        2
    );
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = ?")
        .bind(zi_tracker::audit::Action::LkeAnswerSaved.as_str())
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(n, 2);

    // counts and survey indices: whole numbers, a decimal comma accepted
    assign(&admin, 88, pic.user_id).await;
    assign(&admin, 125, pic.user_id).await;
    assert_eq!(answer_unit(&pic, 88, 0, "12,5", "").await.status(), 400);
    assert_eq!(answer_unit(&pic, 88, 0, "12", "").await.status(), 303);
    assert_eq!(answer_unit(&pic, 125, 0, "3,6", "").await.status(), 303);
    let stored: String = sqlx::query_scalar(
        "SELECT answer FROM lke_answers WHERE question_id = 125 AND side = 'unit'",
    )
    .fetch_one(app.db())
    .await
    .unwrap();
    assert_eq!(stored, "3.6");
    // the count group shows its inputs, formula and the value after saving
    let (_, page) = pic.get_text("/lke/2026/soal/88").await;
    let group = Html::texts(&page, "#kelompok-h ~ p").join(" ");
    assert!(
        group.contains("soal 89") && group.contains("soal 88"),
        "{group}"
    );
    assert!(group.contains("Nilai mandiri: belum lengkap"), "{group}");

    // the PIC's questions on Tugas saya
    let (_, page) = pic.get_text("/tugas").await;
    let mine = Html::texts(&page, "#lke-saya-h ~ ul li");
    assert_eq!(mine.len(), 3, "{mine:?}");
}

#[tokio::test]
async fn the_tpi_evaluates_beside_the_unit_and_a_changed_answer_needs_reevaluation() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let pic = app.signed_in("staf").await;
    let penilai = app.signed_in("penilai").await;
    assign(&admin, 1, pic.user_id).await;
    assert_eq!(answer_unit(&pic, 1, 0, "Ya", "").await.status(), 303);
    // staff cannot give the TPI's answer; the penilai cannot give the unit's
    assert_eq!(answer_tpi(&pic, 1, 0, "Ya", "").await.status(), 403);
    assert_eq!(answer_unit(&penilai, 1, 1, "Tidak", "").await.status(), 403);

    assert_eq!(
        answer_tpi(&penilai, 1, 0, "Tidak", "SK belum ditandatangani kepala")
            .await
            .status(),
        303
    );
    assert_eq!(
        version(&app, 1, "unit").await,
        1,
        "the TPI's answer leaves the unit's alone"
    );
    let (_, sheet) = pic.get_text("/lke/2026/soal").await;
    // names repeat under different parents (PEMENUHAN and REFORM both have "1. MANAJEMEN
    // PERUBAHAN"): each section is named by its whole place, so no two alike
    let names = Html::attr_values(&sheet, "section.lke-node", "aria-label");
    let distinct: std::collections::BTreeSet<&String> = names.iter().collect();
    assert!(
        names.len() > 20 && distinct.len() == names.len(),
        "{names:?}"
    );
    assert!(names.iter().any(|n| n.contains(" › ")), "{names:?}");
    let row = Html::row_cells(&sheet, "A.I.1.i.1");
    assert_eq!(row[2..4], ["Ya".to_string(), "Tidak".to_string()]);
    assert!(row[1].contains("berbeda"), "{row:?}");
    assert!(!row[1].contains("perlu dinilai ulang"));
    // the unit sees the TPI's notes as a list to follow up
    let (_, notes) = pic.get_text("/lke/2026/catatan-tpi").await;
    let note_row = Html::row_cells(&notes, "A.I.1.i.1");
    assert!(
        note_row[4].contains("SK belum ditandatangani kepala"),
        "{note_row:?}"
    );

    // the unit changes its answer after the TPI answered
    assert_eq!(
        answer_unit(&pic, 1, 1, "Ya", "SK sudah ditandatangani")
            .await
            .status(),
        303
    );
    let (_, sheet) = pic.get_text("/lke/2026/soal").await;
    assert!(Html::row_cells(&sheet, "A.I.1.i.1")[1].contains("perlu dinilai ulang"));
    // the TPI looks again: the same answer re-saved clears the flag
    assert_eq!(
        answer_tpi(&penilai, 1, 1, "Ya", "Sudah sesuai")
            .await
            .status(),
        303
    );
    let (_, sheet) = pic.get_text("/lke/2026/soal").await;
    let row = Html::row_cells(&sheet, "A.I.1.i.1");
    assert!(
        !row[1].contains("perlu dinilai ulang") && !row[1].contains("berbeda"),
        "{row:?}"
    );
    // who and when are kept
    let name: String = sqlx::query_scalar("SELECT display_name FROM users WHERE id = ?")
        .bind(penilai.user_id)
        .fetch_one(app.db())
        .await
        .unwrap();
    let (_, page) = pic.get_text("/lke/2026/soal/1").await;
    let tpi = Html::texts(&page, "#tpi-h ~ dl dd").join(" | ");
    assert!(
        tpi.contains(&format!("{name}, ")) && tpi.contains("(versi 2)"),
        "{tpi}"
    );
}

#[tokio::test]
async fn nobody_evaluates_an_answer_they_gave() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    // an admin answers for the unit, and later becomes a penilai
    assert_eq!(answer_unit(&admin, 1, 0, "Ya", "").await.status(), 303);
    sqlx::query(
        "UPDATE users SET instansi_role = NULL WHERE id = ?1;
         INSERT INTO user_units (user_id, unit_id, role) VALUES (?1, 1, 'penilai')",
    )
    .bind(admin.user_id)
    .execute(app.db())
    .await
    .unwrap();
    let before = fingerprint(app.db()).await;
    let res = answer_tpi(&admin, 1, 0, "Ya", "").await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("tidak dapat menilainya"));
    assert_eq!(fingerprint(app.db()).await, before);
    // the page says so instead of offering the form
    let (_, page) = admin.get_text("/lke/2026/soal/1").await;
    assert!(page.contains("tidak dapat menilainya"));
    assert!(Html::texts(&page, "form[action$='/tpi']").is_empty());
    // another question, which they did not answer, they may evaluate
    assert_eq!(answer_tpi(&admin, 2, 0, "A", "").await.status(), 303);
}

#[tokio::test]
async fn submission_and_finalisation_lock_their_side_and_reopening_needs_a_reason() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let pic = app.signed_in("staf").await;
    let penilai = app.signed_in("penilai").await;
    assign(&admin, 1, pic.user_id).await;
    assert_eq!(answer_unit(&pic, 1, 0, "Ya", "").await.status(), 303);

    // locking needs the confirmation tick
    assert_eq!(admin.post("/lke/2026/kirim", &[]).await.status(), 400);
    // the TPI cannot finalise before the unit submits
    assert_eq!(
        penilai
            .post("/lke/2026/final", &[("yakin", "1")])
            .await
            .status(),
        409
    );
    let res = admin.post("/lke/2026/kirim", &[("yakin", "1")]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        admin
            .post("/lke/2026/kirim", &[("yakin", "1")])
            .await
            .status(),
        409,
        "already sent"
    );
    let (_, sheet) = pic.get_text("/lke/2026/soal").await;
    assert!(
        Html::texts(&sheet, ".summary")
            .join(" ")
            .contains("Dikirim ke TPI")
    );

    // the unit's side is locked: the page says so, saves are refused, nothing changes
    let before = fingerprint(app.db()).await;
    let res = answer_unit(&pic, 1, 1, "Tidak", "terlambat").await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("terkunci"));
    assert_eq!(fingerprint(app.db()).await, before);
    let (_, page) = pic.get_text("/lke/2026/soal/1").await;
    assert!(Html::texts(&page, "form[action$='/jawaban']").is_empty());

    // reopening needs a reason, which the audit keeps
    assert_eq!(
        admin
            .post("/lke/2026/buka", &[("alasan", "")])
            .await
            .status(),
        400
    );
    // a reason too short: the worksheet again with the message and the reason typed
    let res = admin.post("/lke/2026/buka", &[("alasan", "ups")]).await;
    assert_eq!(res.status(), 400);
    let page = res.text().await.unwrap();
    assert!(Html::texts(&page, "#ringkasan-galat li")[0].contains("sedikitnya 5 karakter"));
    assert_eq!(Html::field_value(&page, "alasan").as_deref(), Some("ups"));
    assert_eq!(fingerprint(app.db()).await, before);
    assert_eq!(
        admin
            .post("/lke/2026/buka", &[("alasan", "Bukti soal 1 diperbarui")])
            .await
            .status(),
        303
    );
    let summary: String = sqlx::query_scalar(
        "SELECT summary FROM audit_log WHERE action = ? ORDER BY id DESC LIMIT 1",
    )
    .bind(zi_tracker::audit::Action::LkeStateChanged.as_str())
    .fetch_one(app.db())
    .await
    .unwrap();
    assert!(summary.contains("Bukti soal 1 diperbarui"), "{summary}");
    assert_eq!(answer_unit(&pic, 1, 1, "Tidak", "").await.status(), 303);
    assert_eq!(
        admin
            .post("/lke/2026/kirim", &[("yakin", "1")])
            .await
            .status(),
        303
    );

    // the TPI evaluates, then finalises: its side locks too
    assert_eq!(answer_tpi(&penilai, 1, 0, "Tidak", "").await.status(), 303);
    assert_eq!(
        penilai
            .post("/lke/2026/final", &[("yakin", "1")])
            .await
            .status(),
        303
    );
    assert_eq!(answer_tpi(&penilai, 1, 1, "Ya", "").await.status(), 409);
    // the unit's side cannot reopen under a final evaluation
    assert_eq!(
        admin
            .post("/lke/2026/buka", &[("alasan", "alasan yang cukup")])
            .await
            .status(),
        409
    );
    assert_eq!(
        penilai
            .post("/lke/2026/buka-tpi", &[("alasan", "")])
            .await
            .status(),
        400
    );
    assert_eq!(
        penilai
            .post("/lke/2026/buka-tpi", &[("alasan", "Koreksi soal 1")])
            .await
            .status(),
        303
    );
    assert_eq!(answer_tpi(&penilai, 1, 1, "Ya", "").await.status(), 303);

    // deadlines shown where people work
    assert_eq!(
        admin
            .post(
                "/lke/2026/tenggat",
                &[
                    ("tenggat_unit", "2026-09-30"),
                    ("tenggat_tpi", "2026-10-31")
                ]
            )
            .await
            .status(),
        303
    );
    assert_eq!(
        admin
            .post(
                "/lke/2026/tenggat",
                &[("tenggat_unit", "30/09"), ("tenggat_tpi", "")]
            )
            .await
            .status(),
        400
    );
    let (_, page) = pic.get_text("/lke/2026/soal/1").await;
    let summary = Html::texts(&page, ".summary").join(" ");
    assert!(
        summary.contains("30 September 2026") && summary.contains("31 Oktober 2026"),
        "{summary}"
    );
}

#[tokio::test]
async fn a_whole_sub_area_goes_to_one_pic() {
    let app = spawn_app().await;
    let pimpinan = app.signed_in("pimpinan").await;
    let pic = app.signed_in("staf").await;
    let m = zi_tracker::lke::store::load_master(app.db(), 2026)
        .await
        .unwrap()
        .unwrap();
    let node = m.questions[0].node_id;
    let expected = m.questions_of(node).len();
    let res = pimpinan
        .post(
            "/lke/2026/penugasan",
            &[
                ("node_id", &node.to_string()),
                ("user_id", &pic.user_id.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM lke_assignments WHERE user_id = ?")
        .bind(pic.user_id)
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(n as usize, expected);
    // only staff can hold questions
    let res = pimpinan
        .post(
            "/lke/2026/penugasan",
            &[
                ("node_id", &node.to_string()),
                ("user_id", &pimpinan.user_id.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), 400);
    let (_, page) = pic.get_text("/lke/2026/soal?saya=1").await;
    assert_eq!(Html::texts(&page, "tr.mine").len(), expected);
}

async fn import_csv(admin: &Session, year: &str, content: String) -> reqwest::Response {
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", admin.csrf.clone())
        .text("tahun", year.to_string())
        .part(
            "file",
            reqwest::multipart::Part::bytes(content.into_bytes()).file_name("t.csv"),
        );
    admin
        .client
        .post(admin.url("/admin/target-impor"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn steps_serve_questions_through_the_csv_the_editor_and_the_step_page() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let header = zi_tracker::catalogue::CSV_HEADER.join(",");
    // with the optional last column: ids separated by ";"
    let with = format!(
        "{header},soal_id\nI,MANAJEMEN PERUBAHAN,1,Tim Kerja,1,SK tim,1,Menetapkan SK tim,Unit kerja sendiri,1;2\nI,MANAJEMEN PERUBAHAN,1,Tim Kerja,1,SK tim,2,Memilih anggota,Unit kerja sendiri,\n"
    );
    // bad ids are refused whole, by line
    let before = fingerprint(app.db()).await;
    let bad = with.replace(",1;2\n", ",1;999\n");
    let res = import_csv(&admin, "2026", bad).await;
    assert_eq!(res.status(), 400);
    let errors = Html::texts(&res.text().await.unwrap(), "#ringkasan-galat li");
    assert_eq!(
        errors,
        ["Baris 2: kolom soal_id: soal 999 tidak ada di master LKE 2026."]
    );
    let res = import_csv(&admin, "2026", with.replace(",1;2\n", ",satu\n")).await;
    assert_eq!(res.status(), 400);
    assert_eq!(fingerprint(app.db()).await, before);

    assert_eq!(import_csv(&admin, "2026", with).await.status(), 303);
    let linked: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT s.position, l.question_id FROM lke_step_questions l JOIN action_steps s ON s.id = l.step_id ORDER BY 1, 2",
    )
    .fetch_all(app.db())
    .await
    .unwrap();
    assert_eq!(linked, [(1, 1), (1, 2)]);
    // and the export writes them back
    let (_, csv) = admin.get_text("/katalog/ekspor.csv?tahun=2026").await;
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].ends_with(",soal_id"), "{}", lines[0]);
    assert!(lines[1].ends_with(",1;2"), "{}", lines[1]);
    // a file without the column still imports (a year without a master)
    let without = format!("{header}\nI,X,1,A,1,B,1,C,D\n");
    assert_eq!(import_csv(&admin, "2027", without).await.status(), 303);

    // the step page lists its questions; the admin changes them there
    let step: i64 = sqlx::query_scalar(
        "SELECT s.id FROM action_steps s JOIN indicators i ON i.id = s.indicator_id JOIN areas a ON a.id = i.area_id
         JOIN components c ON c.id = a.component_id WHERE c.year = 2026 AND s.position = 2",
    )
    .fetch_one(app.db())
    .await
    .unwrap();
    let res = admin
        .post(
            &format!("/langkah/{step}/soal"),
            &[("soal", "3; 4"), ("periode", "2026-2")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, page) = admin
        .get_text(&format!("/langkah/{step}?periode=2026-2"))
        .await;
    let listed = Html::texts(&page, "#soal-h ~ ul li");
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed[0].starts_with("Soal 3"), "{listed:?}");
    let res = admin
        .post(
            &format!("/langkah/{step}/soal"),
            &[("soal", "3; 9999"), ("periode", "2026-2")],
        )
        .await;
    assert_eq!(res.status(), 400);
    let page = res.text().await.unwrap();
    assert!(page.contains("soal 9999 tidak ada di master LKE 2026"));
    assert_eq!(Html::field_value(&page, "soal").as_deref(), Some("3; 9999"));
    // the target editor holds the same field
    let res = admin
        .post(
            &format!("/admin/target/langkah/{step}"),
            &[
                ("text", "Memilih anggota"),
                ("authority", "Unit kerja sendiri"),
                ("unit", "1"),
                ("soal", "127"),
            ],
        )
        .await;
    let status = res.status();
    assert_eq!(
        status,
        303,
        "{:?}",
        Html::texts(&res.text().await.unwrap(), "#ringkasan-galat li")
    );
    let (_, page) = admin
        .get_text(&format!("/admin/target/langkah/{step}"))
        .await;
    assert_eq!(Html::field_value(&page, "soal").as_deref(), Some("127"));

    // a question page lists its steps; readiness's gains (IPKP, unanswered: the
    // largest) link to them
    let (_, page) = admin.get_text("/lke/2026/soal/127").await;
    let steps = Html::texts(&page, "#langkah-h ~ .table-wrap tbody tr");
    assert_eq!(steps.len(), 1, "{steps:?}");
    assert!(steps[0].contains("Memilih anggota"));
    let (_, page) = admin.get_text("/lke/2026").await;
    assert!(page.contains(&format!("href=\"/langkah/{step}\"")));
}

#[tokio::test]
async fn the_evidence_archive_follows_the_lke_numbering_with_an_index() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let staf = app.signed_in("staf").await;
    let step = app.step_id("I", 1, 1, 1).await;
    app.assign(step, staf.user_id).await;
    let res = staf
        .upload(
            step,
            "2021-2",
            "SK Tim ZI.pdf",
            crate::helpers::pdf_bytes("sk"),
            None,
        )
        .await;
    assert!(res.status().is_redirection());
    let evidence: i64 = sqlx::query_scalar("SELECT max(id) FROM evidence")
        .fetch_one(app.db())
        .await
        .unwrap();
    // the 2021 step's evidence is not this year's: refused
    let res = admin
        .post(
            "/lke/2026/soal/1/jawaban",
            &[
                ("versi", "0"),
                ("jawaban", "Ya"),
                ("bukti", &evidence.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), 400);
    // a 2026 plan copied from 2021 with evidence of its own
    assert_eq!(
        admin
            .post("/admin/target-salin", &[("dari", "2021"), ("ke", "2026")])
            .await
            .status(),
        303
    );
    let step26: i64 = sqlx::query_scalar(
        "SELECT s.id FROM action_steps s JOIN indicators i ON i.id = s.indicator_id JOIN areas a ON a.id = i.area_id
         JOIN components c ON c.id = a.component_id WHERE c.year = 2026 ORDER BY c.position, a.position, i.position, s.position LIMIT 1",
    )
    .fetch_one(app.db())
    .await
    .unwrap();
    app.assign(step26, staf.user_id).await;
    let res = staf
        .upload(
            step26,
            "2026-2",
            "SK Tim ZI 2026.pdf",
            crate::helpers::pdf_bytes("sk26"),
            None,
        )
        .await;
    assert!(res.status().is_redirection());
    let ev26: i64 = sqlx::query_scalar("SELECT max(id) FROM evidence")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(
        admin
            .post(
                &format!("/langkah/{step26}/soal"),
                &[("soal", "1"), ("periode", "2026-2")]
            )
            .await
            .status(),
        303
    );
    let res = admin
        .post(
            "/lke/2026/soal/1/jawaban",
            &[
                ("versi", "0"),
                ("jawaban", "Ya"),
                ("bukti", &ev26.to_string()),
                ("bukti_teks", "https://contoh.go.id/sk"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);

    let res = admin.get("/lke/2026/bukti.zip").await;
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap().to_vec();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let names: Vec<String> = (0..zip.len())
        .map(|i| zip.by_index(i).unwrap().name().unwrap().to_string())
        .collect();
    assert!(
        names.contains(&"INDEKS BUKTI DUKUNG LKE.xlsx".to_string()),
        "{names:?}"
    );
    let file = names
        .iter()
        .find(|n| n.ends_with("SK Tim ZI 2026.pdf"))
        .expect("the linked file");
    assert!(
        file.starts_with("A PENGUNGKIT/I PEMENUHAN/1 MANAJEMEN PERUBAHAN/i Penyusunan Tim Kerja/1 Unit kerja telah membentuk tim"),
        "{file}"
    );
    // the index lists the file and the link with the question's numbering
    use calamine::Reader;
    let mut idx = Vec::new();
    std::io::copy(
        &mut zip.by_name("INDEKS BUKTI DUKUNG LKE.xlsx").unwrap(),
        &mut idx,
    )
    .unwrap();
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(idx)).unwrap();
    let sheet = book.worksheet_range("Indeks").unwrap();
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    let data: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == "A.I.1.i.1").collect();
    assert_eq!(data.len(), 2, "{rows:?}");
    assert!(
        data.iter()
            .any(|r| r[5] == "Tautan" && r[7] == "https://contoh.go.id/sk")
    );
    assert!(data.iter().any(|r| r[5] == "Berkas" && r[7] == *file));
    // staff do not download the evaluators' archive
    assert_eq!(staf.get("/lke/2026/bukti.zip").await.status(), 403);
}

#[tokio::test]
async fn the_tpn_notes_become_next_years_steps_and_last_years_answers_come_as_drafts() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    // 2027 gets a master (the 2026 file) and targets copied from 2021
    let mut next: serde_json::Value =
        serde_json::from_str(include_str!("../data/lke-2026-master.json")).unwrap();
    next["tahun"] = serde_json::json!(2027);
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", admin.csrf.clone())
        .text("tahun", "2027")
        .part(
            "file",
            reqwest::multipart::Part::bytes(serde_json::to_vec(&next).unwrap()).file_name("m.json"),
        );
    let res = admin
        .client
        .post(admin.url("/admin/lke"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        admin
            .post("/admin/target-salin", &[("dari", "2021"), ("ke", "2027")])
            .await
            .status(),
        303
    );

    // the TPN's result of 2026, two notes
    let res = admin
        .post(
            "/admin/predikat",
            &[
                ("tahun", "2026"),
                ("predikat", "TIDAK"),
                ("nilai_tpn", "71,2"),
                ("catatan", "- Perkuat survei IKM\n- Lengkapi SOP pengaduan"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (status, page) = admin.get_text("/lke/2026/tindak-lanjut").await;
    assert_eq!(status, 200);
    let notes = Html::texts(&page, "section.panel > p.prewrap");
    assert_eq!(notes, ["Perkuat survei IKM", "Lengkapi SOP pengaduan"]);
    let indicator: i64 = sqlx::query_scalar(
        "SELECT i.id FROM indicators i JOIN areas a ON a.id = i.area_id JOIN components c ON c.id = a.component_id
         WHERE c.year = 2027 ORDER BY c.position DESC, a.position, i.position LIMIT 1",
    )
    .fetch_one(app.db())
    .await
    .unwrap();
    // a missing authority: the same form again with what was typed
    let res = admin
        .post(
            "/lke/2026/tindak-lanjut",
            &[
                ("catatan", "1"),
                ("indikator", &indicator.to_string()),
                ("teks", "Menyusun SOP pengaduan"),
                ("kewenangan", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 400);
    let page = res.text().await.unwrap();
    assert_eq!(Html::texts(&page, "#teks-1"), ["Menyusun SOP pengaduan"]);
    assert!(
        !Html::texts(&page, "#catatan-1 #ringkasan-galat").is_empty(),
        "the message by its note"
    );
    let res = admin
        .post(
            "/lke/2026/tindak-lanjut",
            &[
                ("catatan", "1"),
                ("indikator", &indicator.to_string()),
                ("teks", "Menyusun SOP pengaduan"),
                ("kewenangan", "Unit kerja sendiri"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let made: (String, i64) = sqlx::query_as(
        "SELECT s.text, c.year FROM lke_note_steps n JOIN action_steps s ON s.id = n.step_id
         JOIN indicators i ON i.id = s.indicator_id JOIN areas a ON a.id = i.area_id JOIN components c ON c.id = a.component_id
         WHERE n.note = 'Lengkapi SOP pengaduan'",
    )
    .fetch_one(app.db())
    .await
    .unwrap();
    assert_eq!(made, ("Menyusun SOP pengaduan".to_string(), 2027));

    // 2026's answers come into 2027 as drafts: marked, not scored until confirmed
    assert_eq!(
        answer_unit(&admin, 1, 0, "Ya", "dari 2026").await.status(),
        303
    );
    assert_eq!(admin.post("/lke/2027/bawa", &[]).await.status(), 303);
    let (_, sheet) = admin.get_text("/lke/2027/soal").await;
    assert!(Html::row_cells(&sheet, "A.I.1.i.1")[1].contains("draf"));
    let score = zi_tracker::lke::score_json(app.db(), 2027, None)
        .await
        .unwrap();
    assert_eq!(
        score["mandiri"]["total"].as_f64(),
        Some(0.0),
        "a draft scores nothing"
    );
    // confirming: saving the draft as it is
    let res = admin
        .post(
            "/lke/2027/soal/1/jawaban",
            &[
                ("versi", "1"),
                ("jawaban", "Ya"),
                ("catatan", "dari 2026"),
                ("bukti_teks", "https://contoh.go.id/sk"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let score = zi_tracker::lke::score_json(app.db(), 2027, None)
        .await
        .unwrap();
    assert!(score["mandiri"]["total"].as_f64().unwrap() > 0.0);
    let (_, sheet) = admin.get_text("/lke/2027/soal").await;
    assert!(!Html::row_cells(&sheet, "A.I.1.i.1")[1].contains("draf"));
}
