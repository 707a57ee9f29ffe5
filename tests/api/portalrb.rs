//! Acting as PortalRB over HTTP: the three endpoints against the guide's JSON Schema,
//! every error status with its JSON body, tokens, the rate limit, repeated fetches.

use serde_json::Value;

use crate::helpers::{TestApp, config, run_cli};

/// Checks `value` against one definition of the guide's JSON Schema (draft 2020-12,
/// every keyword), failing with each problem and its path.
fn conforms(value: &Value, def: &str) {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/portalrb-api-2026.schema.json"),
    )
    .unwrap();
    let mut schema: Value = serde_json::from_str(&text).unwrap();
    // the whole document, so references between definitions resolve; checked as `def`
    schema["$ref"] = Value::String(format!("#/$defs/{def}"));
    let validator = jsonschema::validator_for(&schema).expect("the guide's schema compiles");
    let problems: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(problems.is_empty(), "{def}: {problems:?}");
}

/// The check can fail: a body missing what the schema requires is refused.
#[test]
#[should_panic(expected = "error: [\"")]
fn a_body_off_the_schema_fails_the_check() {
    conforms(&serde_json::json!({"pesan": 1}), "error");
}

pub(crate) async fn app_with_rate(rate: u32) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path().join("data"));
    c.portalrb_rate_per_minute = rate;
    c.public_url = Some("https://zi.contoh.go.id".parse().unwrap());
    // mid-2026, so the year's evidence links (valid to its end) do not expire under the test
    c.clock = zi_tracker::clock::Clock::manual("2026-06-15T03:00:00Z".parse().unwrap());
    let running = zi_tracker::start(c).await.unwrap();
    TestApp {
        base: format!("http://{}", running.addr),
        initial_admin_password: None,
        dir,
        server: Some(running),
    }
}

pub(crate) fn cli(app: &TestApp, args: &[&str]) -> (bool, String, String) {
    let dir = app.data_dir();
    let mut all = args.to_vec();
    all.extend(["--data-dir", dir.to_str().unwrap()]);
    let (st, out, err) = run_cli(&all, None);
    (st.success(), out, err)
}

pub(crate) async fn call(
    app: &TestApp,
    token: Option<&str>,
    path: &str,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut req = app.client().get(app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    assert!(
        headers.get("set-cookie").is_none(),
        "{path}: the API sets no cookie"
    );
    let body = res.text().await.unwrap();
    let json: Value =
        serde_json::from_str(&body).unwrap_or_else(|_| panic!("{path}: not JSON: {body}"));
    if status >= 300 {
        conforms(&json, "error");
    }
    (status, json, headers)
}

#[tokio::test]
async fn portalrb_fetches_the_proposed_units_and_their_answers() {
    let app = app_with_rate(1000).await;
    let db = app.db();
    let actor = zi_tracker::audit::Actor::cli();
    zi_tracker::tenant::add(db, &actor, "unitb", "Unit B", None)
        .await
        .unwrap();
    let (tpi, _) = app.create_user_in("penilai", &[1]).await;
    let (pic, _) = app.create_user_in("staf", &[1]).await;
    // the unit's answers to three questions (one a draft), the TPI's to one
    sqlx::query(
        "INSERT INTO unit_predicates (unit_id, year, predicate, recorded_at) VALUES (2, 2025, 'WBK', '2025-12-01T00:00:00Z');
         INSERT INTO lke_answers (unit_id, year, question_id, side, version, answer, note, evidence, answered_by, answered_at, draft_from) VALUES
           (1, 2026, 1, 'unit', 1, 'Ya', 'Tim sudah ada', 'https://contoh.go.id/sk', ?1, '2026-04-01T00:00:00Z', NULL),
           (1, 2026, 2, 'unit', 1, 'B', '', '', ?1, '2026-04-01T00:00:00Z', NULL),
           (1, 2026, 3, 'unit', 1, 'A', '', '', ?1, '2026-04-01T00:00:00Z', 2025),
           (1, 2026, 1, 'tpi', 1, 'Tidak', 'SK belum ditandatangani', '', ?2, '2026-05-01T00:00:00Z', NULL)",
    )
    .bind(pic)
    .bind(tpi)
    .execute(db)
    .await
    .unwrap();

    // proposals, the window and a token from the command line
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
            "WBK-AFIRMASI",
        ],
    );
    assert!(ok, "{err}");
    let (ok, _, err) = cli(
        &app,
        &[
            "portalrb",
            "propose",
            "--year",
            "2026",
            "--unit",
            "unitb",
            "--kategori",
            "WBBM",
        ],
    );
    assert!(ok, "{err}");
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
            "WBBM",
        ],
    );
    assert!(
        !ok && err.contains("belum pernah memperoleh predikat WBK"),
        "{err}"
    );
    let (ok, _, err) = cli(
        &app,
        &[
            "portalrb",
            "window",
            "--year",
            "2026",
            "--from",
            "2026-05-01",
            "--to",
            "2026-06-30",
        ],
    );
    assert!(ok, "{err}");
    let (ok, out, err) = cli(
        &app,
        &[
            "portalrb",
            "token",
            "create",
            "--name",
            "portalrb-2026",
            "--days",
            "30",
        ],
    );
    assert!(ok, "{err}");
    let token = out.lines().last().unwrap().trim().to_string();
    assert!(token.starts_with("zirb_") && token.len() > 40, "{out}");
    let stored: String =
        sqlx::query_scalar("SELECT token_hash FROM api_tokens WHERE name = 'portalrb-2026'")
            .fetch_one(db)
            .await
            .unwrap();
    assert_ne!(stored, token, "only a hash is kept");

    // the lists
    let (status, wbk, _) = call(
        &app,
        Some(&token),
        "/api/portalrb/pengusulan/unit-wbk?tahun=2026",
    )
    .await;
    assert_eq!(status, 200);
    conforms(&wbk, "unit_list");
    assert_eq!(
        wbk,
        serde_json::json!({"tahun": 2026, "units": [{"id": "balitnak", "nama": "Balai Penelitian Ternak", "kategori": "WBK-AFIRMASI", "afirmasi": true}]})
    );
    let (status, wbbm, _) = call(&app, Some(&token), "/api/portalrb/pengusulan/unit-wbbm").await;
    assert_eq!(status, 200, "without tahun: the latest year with proposals");
    conforms(&wbbm, "unit_list");
    assert_eq!(wbbm["units"][0]["id"], "unitb");

    // one unit's answers: every question, the TPI's only once final
    let path = "/api/portalrb/lke/jawaban-unit/balitnak?tahun=2026";
    let (status, body, _) = call(&app, Some(&token), path).await;
    assert_eq!(status, 200);
    conforms(&body, "unit_answers");
    let answers = body["answers"].as_array().unwrap();
    assert_eq!(answers.len(), 127);
    let q = |id: i64| answers.iter().find(|a| a["soal_id"] == id).unwrap().clone();
    let link = q(1)["bukti_dukung_unit"].as_str().unwrap().to_string();
    assert!(
        link.starts_with(
            "https://zi.contoh.go.id/evaluasi/balitnak/2026/1?sampai=2026-12-31&tanda="
        ),
        "{link}"
    );
    assert_eq!(
        q(1),
        serde_json::json!({"soal_id": 1, "jawaban_unit": "Ya", "jawaban_tpi": null, "catatan_unit": "Tim sudah ada", "bukti_dukung_unit": link, "catatan_tpi": null})
    );
    assert_eq!(q(4)["bukti_dukung_unit"], Value::Null, "no answer, no link");
    assert_eq!(q(2)["catatan_unit"], Value::Null, "empty is null");
    assert_eq!(
        q(3)["jawaban_unit"],
        Value::Null,
        "an unconfirmed draft is no answer"
    );
    sqlx::query("INSERT INTO lke_year_state (unit_id, year, unit_submitted_at, tpi_final_at) VALUES (1, 2026, '2026-05-02T00:00:00Z', '2026-05-10T00:00:00Z')")
        .execute(db)
        .await
        .unwrap();
    let (_, body, _) = call(&app, Some(&token), path).await;
    let answers = body["answers"].as_array().unwrap();
    let first = answers.iter().find(|a| a["soal_id"] == 1).unwrap();
    assert_eq!(first["jawaban_tpi"], "Tidak");
    assert_eq!(first["catatan_tpi"], "SK belum ditandatangani");
    // PortalRB retries: the same request gives the same body
    let (_, again, _) = call(&app, Some(&token), path).await;
    assert_eq!(again, body);

    // the evaluators' page behind the link: the answer, its note and evidence only
    let local = link.replace("https://zi.contoh.go.id", "");
    let res = app.client().get(app.url(&local)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(page.contains("Tim sudah ada") && page.contains("https://contoh.go.id/sk"));
    assert!(!page.contains("Keluar"), "no session, no menu");
    let tampered = local.replace("/2026/1?", "/2026/2?");
    let res = app.client().get(app.url(&tampered)).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let page = res.text().await.unwrap();
    assert!(page.contains("Tautan tidak berlaku") && !page.contains("Tim sudah ada"));
    // a different last digit, whatever the secret made it (a fixed `0` matched 1 in 16)
    let last = if local.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{last}", &local[..local.len() - 1]);
    assert_ne!(forged, local);
    assert_eq!(
        app.client()
            .get(app.url(&forged))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let opened: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = ?")
        .bind(zi_tracker::audit::Action::PortalrbEvidenceOpened.as_str())
        .fetch_one(db)
        .await
        .unwrap();
    assert_eq!(opened, 1, "each opening is audited, refusals are not");

    // every error, as JSON
    let audit_before: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log")
        .fetch_one(db)
        .await
        .unwrap();
    assert_eq!(call(&app, None, path).await.0, 401);
    assert_eq!(call(&app, Some("zirb_salah"), path).await.0, 401);
    let (status, body, _) = call(
        &app,
        Some(&token),
        "/api/portalrb/lke/jawaban-unit/balitnak?tahun=dua-ribu",
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("INVALID_PARAMETER"))
    );
    let (status, body, _) = call(
        &app,
        Some(&token),
        "/api/portalrb/lke/jawaban-unit/tidak-ada?tahun=2026",
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("DATA_NOT_FOUND"))
    );
    assert_eq!(
        call(
            &app,
            Some(&token),
            "/api/portalrb/lke/jawaban-unit/balitnak?tahun=2025"
        )
        .await
        .0,
        404,
        "not proposed that year"
    );
    assert_eq!(call(&app, Some(&token), "/api/portalrb/lain").await.0, 404);
    let audit_after: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log")
        .fetch_one(db)
        .await
        .unwrap();
    assert_eq!(audit_after, audit_before, "refused calls are not audited");
    // counted per address, status and minute (one row each, with its count)
    let failures: i64 = sqlx::query_scalar("SELECT sum(count) FROM api_failures")
        .fetch_one(db)
        .await
        .unwrap();
    assert_eq!(failures, 2, "rejected tokens are counted");
    let fetched: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = ?")
        .bind(zi_tracker::audit::Action::PortalrbFetched.as_str())
        .fetch_one(db)
        .await
        .unwrap();
    assert_eq!(fetched, 5, "every valid fetch is in the audit trail");

    // expiry and revocation: 403
    sqlx::query("UPDATE api_tokens SET expires_at = '2020-01-01T00:00:00Z'")
        .execute(db)
        .await
        .unwrap();
    let (status, body, _) = call(&app, Some(&token), path).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("FORBIDDEN")));
    sqlx::query("UPDATE api_tokens SET expires_at = '2099-01-01T00:00:00Z'")
        .execute(db)
        .await
        .unwrap();
    let (ok, out, _) = cli(&app, &["portalrb", "token", "list"]);
    assert!(ok && out.contains("portalrb-2026") && out.contains("aktif") && !out.contains(&token));
    let (ok, _, err) = cli(
        &app,
        &["portalrb", "token", "revoke", "--name", "portalrb-2026"],
    );
    assert!(ok, "{err}");
    assert_eq!(call(&app, Some(&token), path).await.0, 403);

    // links expire at their date, and rotating the secret revokes them all
    let (ok, _, err) = cli(&app, &["portalrb", "rotate-links"]);
    assert!(ok, "{err}");
    assert_eq!(
        app.client()
            .get(app.url(&local))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let secret = zi_tracker::link_key::read(&app.data_dir()).unwrap();
    let past = chrono::NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
    let expired = zi_tracker::portalrb::evidence::path(&secret, "balitnak", 2026, 1, past);
    assert_eq!(
        app.client()
            .get(app.url(&expired))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let future = chrono::NaiveDate::from_ymd_opt(2099, 1, 31).unwrap();
    let fresh = zi_tracker::portalrb::evidence::path(&secret, "balitnak", 2026, 1, future);
    assert_eq!(
        app.client()
            .get(app.url(&fresh))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn portalrb_calls_over_the_rate_wait() {
    let app = app_with_rate(3).await;
    let (ok, out, err) = cli(&app, &["portalrb", "token", "create", "--name", "uji"]);
    assert!(ok, "{err}");
    let token = out.lines().last().unwrap().trim().to_string();
    cli(
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
    for _ in 0..3 {
        assert_eq!(
            call(&app, Some(&token), "/api/portalrb/pengusulan/unit-wbk")
                .await
                .0,
            200
        );
    }
    let (status, body, headers) =
        call(&app, Some(&token), "/api/portalrb/pengusulan/unit-wbk").await;
    assert_eq!((status, body["code"].as_str()), (429, Some("RATE_LIMITED")));
    let wait: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait));
}

#[tokio::test]
async fn without_a_public_address_the_api_does_not_answer_with_data() {
    let app = crate::helpers::spawn_app().await;
    let (ok, out, err) = cli(&app, &["portalrb", "token", "create", "--name", "uji"]);
    assert!(ok, "{err}");
    let token = out.lines().last().unwrap().trim().to_string();
    cli(
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
    assert_eq!(
        call(&app, None, "/api/portalrb/pengusulan/unit-wbk")
            .await
            .0,
        401
    );
    let (status, body, _) = call(&app, Some(&token), "/api/portalrb/pengusulan/unit-wbk").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (500, Some("INTERNAL_ERROR"))
    );
    assert!(body["message"].as_str().unwrap().contains("--public-url"));
}

#[tokio::test]
async fn the_admin_proposes_units_and_previews_what_portalrb_will_receive() {
    let app = crate::helpers::spawn_app().await;
    let admin = app.signed_in("admin").await;
    let (tpi, _) = app.create_user_in("penilai", &[1]).await;
    // WBBM needs a WBK record: refused on the page, the choice kept
    let res = admin
        .post(
            "/admin/portalrb/usul",
            &[
                ("tahun", "2026"),
                ("unit", "balitnak"),
                ("kategori", "WBBM"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("belum pernah memperoleh predikat WBK"));
    assert_eq!(
        crate::helpers::html::texts(&page, "#kategori option[selected]"),
        ["WBBM"]
    );
    let res = admin
        .post(
            "/admin/portalrb/usul",
            &[("tahun", "2026"), ("unit", "balitnak"), ("kategori", "WBK")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, page) = admin.get_text("/admin/portalrb?tahun=2026").await;
    assert!(page.contains("TPI belum menjawab"), "no TPI answers yet");
    // the window: a bad date keeps the page with the reason
    let res = admin
        .post(
            "/admin/portalrb/jendela",
            &[
                ("tahun", "2026"),
                ("dari", "2026-06-30"),
                ("sampai", "2026-05-01"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("sebelum awalnya"));
    assert_eq!(
        crate::helpers::html::field_value(&page, "dari").as_deref(),
        Some("2026-06-30"),
        "the dates typed are kept"
    );
    let res = admin
        .post(
            "/admin/portalrb/jendela",
            &[
                ("tahun", "2026"),
                ("dari", "2026-05-01"),
                ("sampai", "2026-06-30"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    // answers: question 1 with evidence, 2 without, the TPI on 1 before the unit changed
    sqlx::query(
        "INSERT INTO lke_answers (unit_id, year, question_id, side, version, answer, note, evidence, answered_by, answered_at, seen_unit_version) VALUES
           (1, 2026, 1, 'unit', 2, 'Ya', '', 'https://contoh.go.id/sk', ?1, '2026-04-01T00:00:00Z', NULL),
           (1, 2026, 2, 'unit', 1, 'B', '', '', ?1, '2026-04-01T00:00:00Z', NULL),
           (1, 2026, 1, 'tpi', 1, 'Ya', '', '', ?1, '2026-04-02T00:00:00Z', 1)",
    )
    .bind(tpi)
    .execute(app.db())
    .await
    .unwrap();
    let (_, page) = admin.get_text("/admin/portalrb?tahun=2026").await;
    assert!(page.contains("Di bawah syarat WBK menurut jawaban TPI"));
    let (status, page) = admin.get_text("/admin/portalrb/2026/balitnak").await;
    assert_eq!(status, 200);
    let items = crate::helpers::html::texts(&page, "main ul li");
    assert!(
        items[0].starts_with("Soal belum dijawab unit: 125"),
        "{items:?}"
    );
    assert!(
        items[1].starts_with("Jawaban unit tanpa bukti dukung: 1 (soal 2)"),
        "{items:?}"
    );
    assert!(
        items[2].starts_with("Soal belum dijawab TPI: 126"),
        "{items:?}"
    );
    assert!(
        items[3].starts_with("Jawaban TPI lebih lama dari perubahan terakhir unit: 1 (soal 1)"),
        "{items:?}"
    );
    assert!(
        page.contains("--public-url"),
        "warned that the API cannot answer yet"
    );
    let res = admin.get("/admin/portalrb/2026/balitnak/json").await;
    assert_eq!(res.status(), 200);
    let body: Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
    conforms(&body, "unit_answers");
    assert_eq!(body["answers"].as_array().unwrap().len(), 127);
    assert_eq!(
        admin.get("/admin/portalrb/2025/balitnak").await.status(),
        404
    );
    // a token from the page: shown once, listed without its secret, revoked
    let res = admin
        .post(
            "/admin/portalrb/token",
            &[("tahun", "2026"), ("nama", "dari-halaman"), ("hari", "30")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    let shown = crate::helpers::html::texts(&page, ".flash code");
    assert_eq!(shown.len(), 1);
    assert!(shown[0].starts_with("zirb_"));
    let (_, page) = admin.get_text("/admin/portalrb?tahun=2026").await;
    assert!(page.contains("dari-halaman") && !page.contains(&shown[0]));
    let res = admin
        .post(
            "/admin/portalrb/token/cabut",
            &[("tahun", "2026"), ("nama", "dari-halaman")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let revoked: Option<String> =
        sqlx::query_scalar("SELECT revoked_at FROM api_tokens WHERE name = 'dari-halaman'")
            .fetch_one(app.db())
            .await
            .unwrap();
    assert!(revoked.is_some());
    // the instansi's page: not a unit admin's
    let unit_admin = app.signed_in("admin-unit").await;
    assert_eq!(unit_admin.get("/admin/portalrb").await.status(), 403);
}
