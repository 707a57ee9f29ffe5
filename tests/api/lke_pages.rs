//! The LKE in the browser's reach: the workbook both ways (pages and command line),
//! the scores and readiness page, the dashboard panel, the count groups' formulas and
//! the unit's predicates.

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use rust_xlsxwriter::Workbook;

use crate::helpers::html as Html;
use crate::helpers::{Session, TestApp, fingerprint, location, run_cli, spawn_app};
use zi_tracker::lke::model::{AnswerKind, Master};

enum Cell {
    T(&'static str),
    N(f64),
}

/// An XLSX with a sheet "Jawaban" holding `cells` as (column, row, value).
fn workbook(cells: &[(&str, i64, Cell)]) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("Jawaban").unwrap();
    for (col, row, value) in cells {
        let c = zi_tracker::lke::workbook::column_index(col).unwrap();
        let r = u32::try_from(row - 1).unwrap();
        match value {
            Cell::T(s) => ws.write_string(r, c, *s).unwrap(),
            Cell::N(x) => ws.write_number(r, c, *x).unwrap(),
        };
    }
    wb.save_to_buffer().unwrap()
}

async fn master(app: &TestApp) -> Master {
    zi_tracker::lke::store::load_master(app.db(), 2026)
        .await
        .unwrap()
        .unwrap()
}

fn row(m: &Master, id: i64) -> i64 {
    m.question(id).unwrap().excel_row
}

fn first_of(m: &Master, kind: AnswerKind) -> i64 {
    m.questions.iter().find(|q| q.kind == kind).unwrap().id
}

async fn upload(s: &Session, path: &str, bytes: Vec<u8>) -> reqwest::Response {
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", s.csrf.clone())
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes)
                .file_name("lke.xlsx")
                .mime_str("application/octet-stream")
                .unwrap(),
        );
    s.client
        .post(s.url(path))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// (answer, note, evidence, by) of one side's current answer.
async fn answer(
    app: &TestApp,
    q: i64,
    side: &str,
) -> Option<(Option<String>, String, String, String)> {
    sqlx::query_as(
        "SELECT a.answer, a.note, a.evidence, u.username FROM lke_answers a
         JOIN users u ON u.id = a.answered_by WHERE a.year = 2026 AND a.question_id = ? AND a.side = ?",
    )
    .bind(q)
    .bind(side)
    .fetch_optional(app.db())
    .await
    .unwrap()
}

fn cell(range: &calamine::Range<Data>, col: &str, row: i64) -> String {
    let c = zi_tracker::lke::workbook::column_index(col).unwrap() as u32;
    match range.get_value((u32::try_from(row - 1).unwrap(), c)) {
        None | Some(Data::Empty) => String::new(),
        Some(Data::Float(f)) => f.to_string(),
        Some(d) => d.to_string(),
    }
}

#[tokio::test]
async fn the_workbook_goes_both_ways_and_a_bad_cell_is_named() {
    let app = spawn_app().await;
    let m = master(&app).await;
    let admin = app.signed_in("admin").await;
    let penilai = app.signed_in("penilai").await;
    let abcde = first_of(&m, AnswerKind::Abcde);
    let (q1, q88, q89, q125) = (1, 88, 89, 125);
    assert_eq!(m.question(q88).unwrap().kind, AnswerKind::Count);
    assert_eq!(m.question(q125).unwrap().kind, AnswerKind::Index04);
    let file = workbook(&[
        ("K", row(&m, q1), Cell::T("ya")),
        ("L", row(&m, q1), Cell::T("SK tim ZI")),
        ("M", row(&m, q1), Cell::T("https://contoh.go.id/sk-tim")),
        ("N", row(&m, q1), Cell::T("Tidak")),
        ("Q", row(&m, q1), Cell::T("SK belum ditandatangani")),
        ("K", row(&m, abcde), Cell::T("B")),
        ("N", row(&m, abcde), Cell::T("C")),
        ("K", row(&m, q88), Cell::N(20.0)),
        ("K", row(&m, q89), Cell::N(15.0)),
        ("N", row(&m, q88), Cell::N(20.0)),
        ("N", row(&m, q89), Cell::N(10.0)),
        ("K", row(&m, q125), Cell::T("3,6")),
        ("N", row(&m, q125), Cell::N(3.25)),
    ]);

    // the unit's admin brings the unit's side (K, L, M); N and Q are not read
    let res = upload(&admin, "/lke/2026/impor", file.clone()).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/lke/2026?pesan=lke-diimpor");
    assert_eq!(
        answer(&app, q1, "unit").await.unwrap(),
        (
            Some("Ya".into()),
            "SK tim ZI".into(),
            "https://contoh.go.id/sk-tim".into(),
            admin.username.clone()
        )
    );
    assert_eq!(
        answer(&app, q125, "unit").await.unwrap().0.as_deref(),
        Some("3.6")
    );
    assert_eq!(
        answer(&app, q88, "unit").await.unwrap().0.as_deref(),
        Some("20")
    );
    assert!(
        answer(&app, q1, "tpi").await.is_none(),
        "N and Q are the TPI's"
    );

    // a penilai uploading the same file records N and Q as their own
    let res = upload(&penilai, "/lke/2026/impor", file).await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        answer(&app, q1, "tpi").await.unwrap(),
        (
            Some("Tidak".into()),
            "SK belum ditandatangani".into(),
            String::new(),
            penilai.username.clone()
        )
    );
    assert_eq!(
        answer(&app, abcde, "tpi").await.unwrap().0.as_deref(),
        Some("C")
    );
    assert_eq!(
        answer(&app, abcde, "unit").await.unwrap().0.as_deref(),
        Some("B")
    );

    // export: every answer at its question's row, in the master's columns
    let res = admin.get("/lke/2026/lembar-kerja.xlsx").await;
    assert_eq!(res.status(), 200);
    let exported = res.bytes().await.unwrap().to_vec();
    let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(exported.clone())).unwrap();
    let sheet = book.worksheet_range("Jawaban").unwrap();
    let r1 = row(&m, q1);
    assert_eq!(cell(&sheet, "K", r1), "Ya");
    assert_eq!(cell(&sheet, "L", r1), "SK tim ZI");
    assert_eq!(cell(&sheet, "M", r1), "https://contoh.go.id/sk-tim");
    assert_eq!(cell(&sheet, "N", r1), "Tidak");
    assert_eq!(cell(&sheet, "Q", r1), "SK belum ditandatangani");
    assert_eq!(cell(&sheet, "K", row(&m, q125)), "3.6");
    assert_eq!(cell(&sheet, "N", row(&m, q125)), "3.25");
    assert_eq!(cell(&sheet, "K", row(&m, q88)), "20");
    assert_eq!(cell(&sheet, "N", row(&m, q89)), "10");
    assert_eq!(cell(&sheet, "D", r1), m.question(q1).unwrap().text);
    assert_eq!(cell(&sheet, "K", row(&m, 2)), "", "unanswered stays empty");

    // export → import changes nothing: no new version on either side
    let versions = |app: &TestApp| {
        let db = app.db().clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM lke_answer_history")
                .fetch_one(&db)
                .await
                .unwrap()
        }
    };
    let n = versions(&app).await;
    assert_eq!(
        upload(&admin, "/lke/2026/impor", exported.clone())
            .await
            .status(),
        303
    );
    assert_eq!(
        upload(&penilai, "/lke/2026/impor", exported).await.status(),
        303
    );
    assert_eq!(
        versions(&app).await,
        n,
        "the same answers make no new version"
    );

    // the unit's answers change after the TPI answered them: the TPI hears once,
    // with the questions named
    let notices = |app: &TestApp, user: i64| {
        let db = app.db().clone();
        async move {
            sqlx::query_as::<_, (String, String)>(
                "SELECT title, body FROM notifications WHERE user_id = ? ORDER BY id",
            )
            .bind(user)
            .fetch_all(&db)
            .await
            .unwrap()
        }
    };
    assert!(notices(&app, penilai.user_id).await.is_empty());
    let changed = workbook(&[
        ("K", row(&m, q1), Cell::T("Tidak")),
        ("K", row(&m, abcde), Cell::T("A")),
    ]);
    assert_eq!(
        upload(&admin, "/lke/2026/impor", changed).await.status(),
        303
    );
    let got = notices(&app, penilai.user_id).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        got[0].0,
        "2 jawaban unit LKE 2026 berubah setelah dinilai TPI (dari lembar kerja)"
    );
    assert!(
        got[0]
            .1
            .starts_with(&format!("Soal: {}, {}.", q1.min(abcde), q1.max(abcde))),
        "{got:?}"
    );
    assert!(notices(&app, admin.user_id).await.is_empty());

    // a bad cell: reported by its reference, the other rows' input kept out too
    let bad_row = row(&m, abcde);
    let before = fingerprint(app.db()).await;
    let res = upload(
        &admin,
        "/lke/2026/impor",
        workbook(&[
            ("K", row(&m, q1), Cell::T("Tidak")),
            ("K", bad_row, Cell::T("F")),
            ("K", row(&m, q88), Cell::N(-3.0)),
            ("K", row(&m, q125), Cell::T("4,5")),
        ]),
    )
    .await;
    assert_eq!(res.status(), 400);
    let page = res.text().await.unwrap();
    let errors = Html::texts(&page, "#ringkasan-galat li");
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with(&format!("Jawaban!K{bad_row}: \"F\" bukan jawaban ABCDE"))),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with(&format!("Jawaban!K{}:", row(&m, q88)))),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with(&format!("Jawaban!K{}:", row(&m, q125)))),
        "{errors:?}"
    );
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert_eq!(fingerprint(app.db()).await, before, "nothing stored");

    // not a workbook at all; a workbook without the sheet
    let res = upload(&admin, "/lke/2026/impor", b"bukan xlsx".to_vec()).await;
    assert_eq!(res.status(), 400);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("bukan lembar kerja XLSX")
    );
    let mut wb = Workbook::new();
    wb.add_worksheet().set_name("Lain").unwrap();
    let res = upload(&admin, "/lke/2026/impor", wb.save_to_buffer().unwrap()).await;
    assert_eq!(res.status(), 400);
    let errors = Html::texts(&res.text().await.unwrap(), "#ringkasan-galat li");
    assert!(
        errors[0].starts_with("Lembar \"Jawaban\" tidak ditemukan"),
        "{errors:?}"
    );
}

#[tokio::test]
async fn the_command_line_reads_the_tpi_side_only_for_a_penilai() {
    let mut app = spawn_app().await;
    let m = master(&app).await;
    let (_, penilai) = app.create_user("penilai").await;
    let (_, staf) = app.create_user("staf").await;
    app.stop().await;
    let dir = app.data_dir();
    let dir = dir.to_str().unwrap();
    let file = app.dir.path().join("lke.xlsx");
    std::fs::write(
        &file,
        workbook(&[
            ("K", row(&m, 1), Cell::T("Ya")),
            ("N", row(&m, 1), Cell::T("Ya")),
            ("Q", row(&m, 1), Cell::T("Sesuai")),
        ]),
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let args = |tpi: &str| {
        vec![
            "lke",
            "import-answers",
            "--year",
            "2026",
            file,
            "--tpi",
            tpi,
            "--data-dir",
        ]
        .into_iter()
        .map(str::to_string)
        .chain([dir.to_string()])
        .collect::<Vec<_>>()
    };
    let a = args(&staf);
    let (status, _, err) = run_cli(&a.iter().map(String::as_str).collect::<Vec<_>>(), None);
    assert!(!status.success());
    assert!(err.contains("bukan akun penilai"), "{err}");
    let a = args(&penilai);
    let (status, out, err) = run_cli(&a.iter().map(String::as_str).collect::<Vec<_>>(), None);
    assert!(status.success(), "{err}");
    assert!(out.contains("1 jawaban unit dan 1 jawaban TPI"), "{out}");
    app.restart().await;
    assert_eq!(
        answer(&app, 1, "tpi").await.unwrap(),
        (
            Some("Ya".into()),
            "Sesuai".into(),
            String::new(),
            penilai.clone()
        )
    );
    assert_eq!(
        answer(&app, 1, "unit").await.unwrap().0.as_deref(),
        Some("Ya")
    );

    // a bad cell on the command line: named, nothing stored, exit status 1
    std::fs::write(
        app.dir.path().join("bad.xlsx"),
        workbook(&[("K", row(&m, 1), Cell::T("Mungkin"))]),
    )
    .unwrap();
    app.stop().await;
    let bad = app.dir.path().join("bad.xlsx");
    let (status, _, err) = run_cli(
        &[
            "lke",
            "import-answers",
            "--year",
            "2026",
            bad.to_str().unwrap(),
            "--data-dir",
            dir,
        ],
        None,
    );
    assert!(!status.success());
    assert!(
        err.contains(&format!(
            "Jawaban!K{}: \"Mungkin\" bukan jawaban Ya/Tidak",
            row(&m, 1)
        )),
        "{err}"
    );
}

/// The page's text with whitespace collapsed.
fn text_of(page: &str, css: &str) -> String {
    Html::texts(page, css).join(" | ")
}

#[tokio::test]
async fn the_year_page_shows_both_scores_readiness_and_where_the_points_are() {
    let app = spawn_app().await;
    let m = master(&app).await;
    let admin = app.signed_in("admin").await;
    let penilai = app.signed_in("penilai").await;
    let staf = app.signed_in("staf").await;
    let abcde = first_of(&m, AnswerKind::Abcde);
    let file = workbook(&[
        ("K", row(&m, 1), Cell::T("Ya")),
        ("N", row(&m, 1), Cell::T("Ya")),
        ("K", row(&m, abcde), Cell::T("A")),
        ("N", row(&m, abcde), Cell::T("C")),
        ("K", row(&m, 125), Cell::T("3,6")),
        ("N", row(&m, 125), Cell::T("3,2")),
    ]);
    assert_eq!(
        upload(&admin, "/lke/2026/impor", file.clone())
            .await
            .status(),
        303
    );
    assert_eq!(
        upload(&penilai, "/lke/2026/impor", file).await.status(),
        303
    );

    // the figures the page shows are the official computation's
    let expected = zi_tracker::lke::score_json(app.db(), 2026, None)
        .await
        .unwrap();
    let label = |v: &serde_json::Value| format!("{:.2}", v.as_f64().unwrap()).replace('.', ",");
    let (status, page) = staf.get_text("/lke/2026").await;
    assert_eq!(status, 200, "everyone in the unit reads");
    let figures = text_of(&page, ".figure");
    assert!(
        figures.contains(&format!("{} nilai TPI", label(&expected["tpi"]["total"]))),
        "{figures}"
    );
    assert!(
        figures.contains(&format!(
            "{} nilai mandiri",
            label(&expected["mandiri"]["total"])
        )),
        "{figures}"
    );
    assert!(figures.contains("Belum memenuhi syarat WBK"), "{figures}");
    assert!(
        page.contains("bukan keputusan TPN"),
        "labelled as the unit's own computation"
    );
    // IPAK 3,2 of 4 × 17,5 = 14,00 points on the TPI side
    let ipak = Html::row_cells(&page, "B. HASIL");
    assert!(!ipak.is_empty(), "the Hasil row");
    // the largest gain first: an unanswered Hasil question or the rest of IPAK
    let gains = Html::texts(&page, "#poin-h ~ .table-wrap tbody tr");
    assert!(!gains.is_empty());
    let first_points: Vec<String> = Html::texts(&page, "#poin-h ~ .table-wrap tbody tr td.num");
    let as_num = |s: &str| {
        s.trim_start_matches('+')
            .replace(',', ".")
            .parse::<f64>()
            .unwrap()
    };
    assert!(
        first_points
            .windows(2)
            .all(|w| as_num(&w[0]) >= as_num(&w[1])),
        "{first_points:?}"
    );
    assert_eq!(
        as_num(&first_points[0]),
        17.5,
        "IPKP unanswered: 17,5 points"
    );

    // readiness: WBBM's "WBK already held" flips with the predicate record
    let wbbm_row = |page: &str| Html::row_cells(page, "Predikat WBK sudah diraih");
    assert!(
        wbbm_row(&page).iter().any(|c| c == "Belum"),
        "{:?}",
        wbbm_row(&page)
    );
    let res = admin
        .post(
            "/admin/predikat",
            &[
                ("tahun", "2024"),
                ("predikat", "WBK"),
                ("nilai_tpn", "78,5"),
                ("catatan", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, page) = staf.get_text("/lke/2026").await;
    assert!(
        wbbm_row(&page).iter().any(|c| c == "Terpenuhi"),
        "{:?}",
        wbbm_row(&page)
    );
    // a predicate from 2026 itself is not "earlier"
    let (_, list) = admin.get_text("/admin/predikat").await;
    assert_eq!(
        Html::row_cells(&list, "2024")[1..3],
        ["WBK".to_string(), "78,50".to_string()]
    );

    // no master for a year: a clear 404
    let (status, page) = staf.get_text("/lke/2031").await;
    assert_eq!(status, 404);
    assert!(page.contains("belum punya master LKE"));
    assert_eq!(staf.get("/lke/abc").await.status(), 404);
    // /lke leads to the newest year
    let res = staf.get("/lke").await;
    assert_eq!(location(&res), "/lke/2026");
}

#[tokio::test]
async fn predicates_refuse_bad_input_and_keep_it() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let before = fingerprint(app.db()).await;
    let res = admin
        .post(
            "/admin/predikat",
            &[
                ("tahun", "dua ribu"),
                ("predikat", "EMAS"),
                ("nilai_tpn", "101"),
                ("catatan", "catatan <b>saya</b>"),
            ],
        )
        .await;
    assert_eq!(res.status(), 400);
    let page = res.text().await.unwrap();
    assert_eq!(Html::texts(&page, "#ringkasan-galat li").len(), 3);
    assert_eq!(
        Html::field_value(&page, "tahun").as_deref(),
        Some("dua ribu")
    );
    assert_eq!(
        Html::field_value(&page, "nilai_tpn").as_deref(),
        Some("101")
    );
    // kept, and escaped: parsed back it is text, not an element
    assert_eq!(
        Html::field_value(&page, "catatan").as_deref(),
        Some("catatan <b>saya</b>")
    );
    assert_eq!(fingerprint(app.db()).await, before);
    // replacing a year is audited with before and after
    for p in ["WBK", "WBBM"] {
        let res = admin
            .post(
                "/admin/predikat",
                &[
                    ("tahun", "2025"),
                    ("predikat", p),
                    ("nilai_tpn", ""),
                    ("catatan", ""),
                ],
            )
            .await;
        assert_eq!(res.status(), 303);
    }
    let (before_json, after_json): (Option<String>, String) = sqlx::query_as(
        "SELECT before_json, after_json FROM audit_log WHERE action = ? ORDER BY id DESC LIMIT 1",
    )
    .bind(zi_tracker::audit::Action::PredicateSet.as_str())
    .fetch_one(app.db())
    .await
    .unwrap();
    assert!(before_json.unwrap().contains("\"WBK\""));
    assert!(after_json.contains("\"WBBM\""));
}

#[tokio::test]
async fn an_admin_corrects_a_count_group_and_the_score_follows() {
    let app = spawn_app().await;
    let m = master(&app).await;
    let admin = app.signed_in("admin").await;
    let staf = app.signed_in("staf").await;
    // 90 changes made, 91 integrated: the reading 91 ÷ 90
    let g = m
        .groups
        .iter()
        .find(|g| g.numerator == [91] && g.denominator == [90])
        .unwrap()
        .clone();
    assert!(!g.stated);
    let file = workbook(&[
        ("K", row(&m, 90), Cell::N(10.0)),
        ("K", row(&m, 91), Cell::N(4.0)),
    ]);
    assert_eq!(upload(&admin, "/lke/2026/impor", file).await.status(), 303);
    let (_, page) = staf.get_text("/lke/2026/kelompok").await;
    let section = text_of(&page, &format!("#kelompok-{}", g.id));
    assert!(section.contains("nilai mandiri: 40,00 %"), "{section}");
    assert!(section.contains("tafsiran"), "{section}");
    assert!(
        Html::parse(&page)
            .select(&scraper::Selector::parse("form[action^='/lke/2026/kelompok/']").unwrap())
            .next()
            .is_none(),
        "staff only read"
    );
    let path = format!("/lke/2026/kelompok/{}", g.id);

    // bad ids: refused on the same form, input kept, nothing changed
    let before = fingerprint(app.db()).await;
    let res = admin
        .post(
            &path,
            &[
                ("rumus", "ratio"),
                ("pembilang", "91, x9"),
                ("penyebut", "9999"),
                ("dasar", "tafsiran"),
            ],
        )
        .await;
    assert_eq!(res.status(), 400);
    let page = res.text().await.unwrap();
    let errors = Html::texts(&page, "#ringkasan-galat li");
    assert!(
        errors.iter().any(|e| e.contains("\"x9\" bukan nomor soal")),
        "{errors:?}"
    );
    let kept = Html::parse(&page)
        .select(&scraper::Selector::parse(&format!("#pembilang-{}", g.id)).unwrap())
        .next()
        .and_then(|e| e.value().attr("value").map(str::to_string));
    assert_eq!(kept.as_deref(), Some("91, x9"));
    assert_eq!(fingerprint(app.db()).await, before);
    let res = admin
        .post(
            &path,
            &[
                ("rumus", "ratio"),
                ("pembilang", "91"),
                ("penyebut", "9999"),
                ("dasar", "tafsiran"),
            ],
        )
        .await;
    assert_eq!(res.status(), 400, "a question the master does not have");
    assert_eq!(fingerprint(app.db()).await, before);

    // corrections, each audited; the page shows the value of the last
    let res = admin
        .post(
            &path,
            &[
                ("rumus", "ratio"),
                ("pembilang", "91"),
                ("penyebut", "90 "),
                ("dasar", "tertulis"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let res = admin
        .post(
            &path,
            &[
                ("rumus", "decrease"),
                ("pembilang", "90"),
                ("penyebut", "91"),
                ("dasar", "tertulis"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, page) = staf.get_text("/lke/2026/kelompok").await;
    let section = text_of(&page, &format!("#kelompok-{}", g.id));
    // (10 − 4) ÷ 10 = 60 %
    assert!(section.contains("nilai mandiri: 60,00 %"), "{section}");
    assert!(section.contains("tertulis"), "{section}");
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = ?")
        .bind(zi_tracker::audit::Action::LkeGroupChanged.as_str())
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(n, 2);
}

#[tokio::test]
async fn the_dashboard_leads_with_the_lke_for_a_year_with_a_master() {
    let app = spawn_app().await;
    let m = master(&app).await;
    let admin = app.signed_in("admin").await;
    let pimpinan = app.signed_in("pimpinan").await;
    // a 2026 action plan copied from 2021 carries no stored weights: 90/2021's apply
    let res = admin
        .post("/admin/target-salin", &[("dari", "2021"), ("ke", "2026")])
        .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM component_weights WHERE year = 2026")
            .fetch_one(app.db())
            .await
            .unwrap();
    assert_eq!(stored, 0, "copying writes no weights");

    let (_, page) = pimpinan.get_text("/dashboard?periode=2021-2").await;
    assert!(
        Html::texts(&page, "#lke-h").is_empty(),
        "2021 has no LKE master"
    );

    let file = workbook(&[
        ("N", row(&m, 125), Cell::T("4")),
        ("K", row(&m, 125), Cell::T("2")),
    ]);
    let penilai = app.signed_in("penilai").await;
    assert_eq!(
        upload(&penilai, "/lke/2026/impor", file.clone())
            .await
            .status(),
        303
    );
    assert_eq!(upload(&admin, "/lke/2026/impor", file).await.status(), 303);
    let (status, page) = pimpinan.get_text("/dashboard?periode=2026-1").await;
    assert_eq!(status, 200);
    // the panel comes before the action plan's estimate
    let lke_at = page.find("id=\"lke-h\"").expect("the LKE panel");
    let estimate_at = page.find("id=\"ringkas-h\"").unwrap();
    assert!(lke_at < estimate_at);
    let panel = text_of(&page, ".lke-panel .figure");
    // IPAK 4 of 4 → 17,5 points (TPI); 2 of 4 → 8,75 (unit)
    assert!(panel.contains("17,50 nilai TPI"), "{panel}");
    assert!(panel.contains("8,75 nilai mandiri"), "{panel}");
    assert!(text_of(&page, ".lke-panel").contains("bukan keputusan TPN"));
    // the estimate's weights are 90/2021's: 60 in all
    assert!(
        text_of(&page, ".figure").contains("dari 60,00"),
        "{}",
        text_of(&page, ".figure")
    );
}

#[tokio::test]
async fn an_admin_loads_a_master_from_the_page() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let upload_master = |year: &'static str, bytes: Vec<u8>| {
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", admin.csrf.clone())
            .text("tahun", year)
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name("master.json"),
            );
        admin
            .client
            .post(admin.url("/admin/lke"))
            .multipart(form)
            .send()
    };
    let mut next: serde_json::Value =
        serde_json::from_str(include_str!("../data/lke-2026-master.json")).unwrap();
    next["tahun"] = serde_json::json!(2027);
    // a malformed master: refused on the page by JSON path, the year kept, nothing stored
    let mut bad = next.clone();
    bad["data"][0]["bobot_maksimal"] = serde_json::json!(61);
    let before = fingerprint(app.db()).await;
    let res = upload_master("2027", serde_json::to_vec(&bad).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let page = res.text().await.unwrap();
    let errors = Html::texts(&page, "#ringkasan-galat li");
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("$.data[0].bobot_maksimal")),
        "{errors:?}"
    );
    assert_eq!(Html::field_value(&page, "tahun").as_deref(), Some("2027"));
    assert_eq!(fingerprint(app.db()).await, before);

    let res = upload_master("2027", serde_json::to_vec(&next).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/lke/2027?pesan=master-dimuat");
    let (status, page) = admin.get_text("/lke/2027").await;
    assert_eq!(status, 200);
    assert!(text_of(&page, ".figure").contains("0 dari 127 soal dijawab"));
    // a year with answers keeps its master
    let m = master(&app).await;
    let file = workbook(&[("K", row(&m, 1), Cell::T("Ya"))]);
    assert_eq!(upload(&admin, "/lke/2027/impor", file).await.status(), 303);
    let res = upload_master("2027", serde_json::to_vec(&next).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("sudah punya jawaban"));
}

#[tokio::test]
async fn demo_data_answers_both_sides_of_a_year_with_a_master() {
    let dir = tempfile::tempdir().unwrap();
    let mut dumps = Vec::new();
    for name in ["a", "b"] {
        let d = dir.path().join(name);
        let d = d.to_str().unwrap();
        let (st, _, err) = run_cli(
            &[
                "demo-data",
                "--data-dir",
                d,
                "--years",
                "6",
                "--staff",
                "2",
                "--seed",
                "11",
                "--password-stdin",
            ],
            Some("sandi-demo-panjang\n"),
        );
        assert!(st.success(), "{err}");
        assert!(err.contains("LKE 2026: 127 soal"), "{err}");
        let pool = zi_tracker::db::open(std::path::Path::new(d)).await.unwrap();
        let rows: Vec<(i64, i64, String, Option<String>)> = sqlx::query_as(
            "SELECT year, question_id, side, answer FROM lke_answers ORDER BY 1, 2, 3",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        assert_eq!(
            rows.len(),
            254,
            "127 questions, two sides, only 2026 has a master"
        );
        pool.close().await;
        let (st, out, err) = run_cli(
            &["lke", "score", "--year", "2026", "--json", "--data-dir", d],
            None,
        );
        assert!(st.success(), "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let (unit, tpi) = (
            v["mandiri"]["total"].as_f64().unwrap(),
            v["tpi"]["total"].as_f64().unwrap(),
        );
        assert!(tpi > 40.0 && tpi <= unit, "TPI {tpi}, unit {unit}");
        dumps.push(rows);
    }
    assert_eq!(dumps[0], dumps[1], "same seed, same answers");
}
