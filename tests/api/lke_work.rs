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
    let n: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'lke_answer_saved'")
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
    assert!(tpi.contains(&format!("{name}, ")) && tpi.contains("(versi 2)"), "{tpi}");
}

#[tokio::test]
async fn nobody_evaluates_an_answer_they_gave() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    // an admin answers for the unit, and later becomes a penilai
    assert_eq!(answer_unit(&admin, 1, 0, "Ya", "").await.status(), 303);
    sqlx::query("UPDATE users SET role = 'penilai' WHERE id = ?")
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

    // the TPI cannot finalise before the unit submits
    assert_eq!(penilai.post("/lke/2026/final", &[]).await.status(), 409);
    let res = admin.post("/lke/2026/kirim", &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        admin.post("/lke/2026/kirim", &[]).await.status(),
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
    assert_eq!(fingerprint(app.db()).await, before);
    assert_eq!(
        admin
            .post("/lke/2026/buka", &[("alasan", "Bukti soal 1 diperbarui")])
            .await
            .status(),
        303
    );
    let summary: String = sqlx::query_scalar(
        "SELECT summary FROM audit_log WHERE action = 'lke_state_changed' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(app.db())
    .await
    .unwrap();
    assert!(summary.contains("Bukti soal 1 diperbarui"), "{summary}");
    assert_eq!(answer_unit(&pic, 1, 1, "Tidak", "").await.status(), 303);
    assert_eq!(admin.post("/lke/2026/kirim", &[]).await.status(), 303);

    // the TPI evaluates, then finalises: its side locks too
    assert_eq!(answer_tpi(&penilai, 1, 0, "Tidak", "").await.status(), 303);
    assert_eq!(penilai.post("/lke/2026/final", &[]).await.status(), 303);
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
