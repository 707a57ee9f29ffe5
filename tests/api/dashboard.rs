use crate::helpers::{Session, TestApp, pdf_bytes, run_cli, spawn_app};

async fn save(s: &Session, step: i64, period: &str, status: &str, realization: &str, reason: &str) {
    let version = s.progress_version(step, period).await;
    let res = s
        .post(
            &format!("/langkah/{step}/progres"),
            &[
                ("periode", period),
                ("version", &version),
                ("status", status),
                ("realization", realization),
                ("narrative", "dikerjakan"),
                ("reason", reason),
            ],
        )
        .await;
    assert_eq!(res.status(), 303, "save {step}");
}

async fn review(s: &Session, step: i64, verdict: &str, note: &str) {
    assert_eq!(s.review(step, "2021-2", verdict, note).await.status(), 303);
}

/// Six steps of component I with known progress, verdicts and evidence.
pub async fn seeded() -> (TestApp, Session, Session, i64) {
    let app = spawn_app().await;
    let staf = app.signed_in("staf").await;
    let pimpinan = app.signed_in("pimpinan").await;
    let admin = app.signed_in("admin").await;
    let s111 = app.step_id("I", 1, 1, 1).await;
    let s112 = app.step_id("I", 1, 1, 2).await;
    let s113 = app.step_id("I", 1, 1, 3).await;
    let s211 = app.step_id("I", 2, 1, 1).await;
    let s311 = app.step_id("I", 3, 1, 1).await;
    let s411 = app.step_id("I", 4, 1, 1).await;
    for s in [s111, s112, s113, s211, s311, s411] {
        app.assign(s, staf.user_id).await;
    }
    save(&staf, s111, "2021-1", "berjalan", "30", "").await;
    save(&staf, s111, "2021-2", "selesai", "100", "").await;
    save(&staf, s112, "2021-2", "berjalan", "50", "").await;
    save(&staf, s113, "2021-2", "tidak_dapat", "0", "Menunggu pusat").await;
    save(&staf, s211, "2021-2", "berjalan", "80", "").await;
    save(&staf, s311, "2021-2", "berjalan", "60", "").await;
    save(&staf, s411, "2021-2", "selesai", "100", "").await;
    assert_eq!(
        staf.upload(s111, "2021-2", "sk.pdf", pdf_bytes("sk"), None)
            .await
            .status(),
        303
    );
    review(&pimpinan, s211, "perbaikan", "Tambahkan notulen").await;
    review(&pimpinan, s311, "diterima", "").await;
    let res = admin
        .post(
            "/admin/periode",
            &[("periode", "2021-2"), ("tenggat", "2021-12-31")],
        )
        .await;
    assert_eq!(res.status(), 303);
    (app, pimpinan, staf, s211)
}

#[tokio::test]
async fn dashboard_counts_the_semester_beside_the_previous_one() {
    let (app, pimpinan, staf, _) = seeded().await;
    let d = zi_tracker::dashboard::compute(
        app.db(),
        1,
        zi_tracker::periods::Period::new(2021, 2),
        chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap(),
    )
    .await
    .unwrap();
    let o = d.overall;
    assert_eq!(
        (o.total, o.selesai, o.berjalan, o.belum, o.tidak_dapat),
        (74, 2, 3, 68, 1)
    );
    assert_eq!(o.realization_sum, 390);
    // "Belum direviu" counts only steps with progress to review: 6 have progress,
    // 2 of them have a verdict
    assert_eq!(
        (o.with_evidence, o.diterima, o.perbaikan, o.unreviewed),
        (1, 1, 1, 4)
    );
    let i = &d.components[0];
    assert_eq!(i.numeral, "I");
    assert_eq!(
        (
            i.now.total,
            i.now.selesai,
            i.now.berjalan,
            i.now.tidak_dapat
        ),
        (9, 2, 3, 1)
    );
    assert_eq!(i.now.mean_label(), "43,3");
    let prev = i.prev.unwrap();
    assert_eq!(
        (prev.berjalan, prev.selesai),
        (1, 0),
        "Semester I beside it"
    );
    let area1 = &i.areas[0];
    assert_eq!(
        (area1.now.total, area1.now.selesai, area1.now.berjalan),
        (3, 1, 1)
    );
    assert_eq!(d.components[1].now.belum, 6);
    // lists that need action
    assert_eq!(d.to_fix.len(), 1);
    assert_eq!(d.to_fix[0].code, "I.2.a.1");
    assert_eq!(d.to_fix[0].note, "Tambahkan notulen");
    assert_eq!(d.not_started.len(), 68);
    assert_eq!(d.no_evidence.len(), 73);
    assert!(d.past_deadline);
    assert_eq!(d.late.len(), 71);
    // workload: 6 assigned, 2 done, 3 behind (open after the deadline)
    let w = d
        .workload
        .iter()
        .find(|w| w.user_id == staf.user_id)
        .unwrap();
    assert_eq!((w.assigned, w.done, w.behind), (6, 2, 3));

    // the page shows the same, with pictures that have text equivalents
    let (status, page) = pimpinan.get_text("/dashboard").await;
    assert_eq!(status, 200);
    assert!(page.contains("Semester II 2021"));
    assert!(page.contains("dibandingkan dengan Semester I 2021"));
    assert!(page.contains("<title id=\"bar-I-t\">Komponen I: Selesai 2, Sedang berjalan 3, Belum dimulai 3, Tidak dapat dilaksanakan 1</title>"));
    assert!(page.contains("role=\"img\""));
    assert!(page.contains("Tambahkan notulen"));
    assert!(page.contains("Tenggat pelaporan: <strong>31 Desember 2021</strong> (sudah lewat)"));
    assert!(!page.contains("<script"));
}

#[tokio::test]
async fn the_estimate_follows_the_rule_the_page_explains() {
    let (app, pimpinan, _, _) = seeded().await;
    // Component I (weight 5): area 1 = mean(1.0, 0.5, 0) = 0.5; area 2 = 0 (asked to
    // fix); area 3 = 0.6 (accepted); area 4 = mean(1, 0, 0, 0) = 0.25.
    // (0.5 + 0 + 0.6 + 0.25) / 4 = 0.3375 × 5 = 1.6875. Other components: 0.
    let d = zi_tracker::dashboard::compute(
        app.db(),
        1,
        zi_tracker::periods::Period::new(2021, 2),
        chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap(),
    )
    .await
    .unwrap();
    let e = &d.components[0].estimate;
    assert!((e.value - 0.3375).abs() < 1e-9, "{}", e.value);
    assert!((e.score - 1.6875).abs() < 1e-9);
    assert!((d.estimate_total - 1.6875).abs() < 1e-9);
    assert_eq!(d.weight_total, 60.0);
    let (_, page) = pimpinan.get_text("/dashboard?periode=2021-2").await;
    assert!(page.contains("<span class=\"big\">1,69</span> dari 60,00"));
    assert!(page.contains("Perkiraan mandiri unit, bukan nilai resmi LKE."));
    assert!(page.contains(
        "<td class=\"num\">5,00</td><td class=\"num\">33,8%</td><td class=\"num\">1,69</td>"
    ));

    // weights for a year are the admin's to change, with clear errors
    let admin = app.signed_in("admin").await;
    let bad = admin
        .post(
            "/admin/bobot",
            &[
                ("tahun", "2021"),
                ("bobot_I", "lima"),
                ("bobot_II", "5"),
                ("bobot_III", "15"),
                ("bobot_IV", "10"),
                ("bobot_V", "15"),
                ("bobot_VI", "10"),
            ],
        )
        .await;
    assert_eq!(bad.status(), 400);
    assert!(
        bad.text()
            .await
            .unwrap()
            .contains("Bobot komponen I harus angka 0 sampai 100.")
    );
    let ok = admin
        .post(
            "/admin/bobot",
            &[
                ("tahun", "2021"),
                ("bobot_I", "10"),
                ("bobot_II", "5"),
                ("bobot_III", "15"),
                ("bobot_IV", "10"),
                ("bobot_V", "15"),
                ("bobot_VI", "10"),
            ],
        )
        .await;
    assert_eq!(ok.status(), 303);
    let (_, page) = pimpinan.get_text("/dashboard?periode=2021-2").await;
    assert!(
        page.contains("<span class=\"big\">3,38</span> dari 65,00"),
        "cache follows the change"
    );
}

#[tokio::test]
async fn every_number_drills_down_to_its_steps() {
    let (app, pimpinan, staf, fix_step) = seeded().await;
    let (status, list) = pimpinan
        .get_text("/dashboard/daftar?periode=2021-2&komponen=I&kriteria=selesai")
        .await;
    assert_eq!(status, 200);
    assert!(list.contains("2 langkah aksi"));
    assert!(list.contains("I.1.a.1") && list.contains("I.4.a.1"));
    let (_, list) = pimpinan
        .get_text("/dashboard/daftar?periode=2021-2&kriteria=perbaikan")
        .await;
    assert!(list.contains("1 langkah aksi"));
    assert!(list.contains(&format!("/langkah/{fix_step}?periode=2021-2")));
    let (_, list) = pimpinan
        .get_text("/dashboard/daftar?periode=2021-2&komponen=I&area=1&kriteria=semua")
        .await;
    assert!(list.contains("3 langkah aksi") && list.contains("Area 1 Tim Kerja"));
    let (_, list) = pimpinan
        .get_text(&format!(
            "/dashboard/daftar?periode=2021-2&pic={}&kriteria=tertinggal",
            staf.user_id
        ))
        .await;
    assert!(list.contains("3 langkah aksi"));
    // the page's own links point at these lists
    let (_, page) = pimpinan.get_text("/dashboard?periode=2021-2").await;
    assert!(
        page.contains(
            "href=\"/dashboard/daftar?periode=2021-2&#38;komponen=I&#38;kriteria=selesai\""
        ) || page.contains(
            "href=\"/dashboard/daftar?periode=2021-2&amp;komponen=I&amp;kriteria=selesai\""
        )
    );

    // bad input and roles
    assert_eq!(
        pimpinan
            .get("/dashboard/daftar?periode=2021-2&kriteria=apa")
            .await
            .status(),
        404
    );
    let res = pimpinan.get("/dashboard?periode=2030-1").await;
    assert_eq!(res.status(), 404);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Tidak ada target untuk tahun 2030")
    );
    assert_eq!(staf.get("/dashboard").await.status(), 403);
    assert_eq!(
        app.signed_in("penilai")
            .await
            .get("/dashboard")
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn demo_data_is_deterministic_and_refuses_real_data() {
    let dir = tempfile::tempdir().unwrap();
    let mut dumps = Vec::new();
    for name in ["a", "b"] {
        let d = dir.path().join(name);
        let (st, out, err) = run_cli(
            &[
                "demo-data",
                "--data-dir",
                d.to_str().unwrap(),
                "--years",
                "2",
                "--staff",
                "3",
                "--seed",
                "7",
                "--password-stdin",
            ],
            Some("sandi-demo-panjang\n"),
        );
        assert!(st.success(), "{err}");
        assert!(out.contains("Data demo siap: 2 tahun (2021–2022)"), "{out}");
        assert!(
            err.contains("[2/2] tahun 2022"),
            "progress on the terminal: {err}"
        );
        let pool = zi_tracker::db::open(&d).await.unwrap();
        let rows: Vec<(i64, String, i64, String)> = sqlx::query_as(
            "SELECT h.version, h.status, h.realization, h.changed_at FROM progress_history h ORDER BY h.id",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        let files: Vec<String> = sqlx::query_scalar("SELECT sha256 FROM evidence ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
        assert!(!rows.is_empty() && !files.is_empty());
        // every evidence record points at its bytes
        for sha in &files {
            let path = zi_tracker::evidence::stored_path(&d, &format!("{sha}.pdf"));
            assert_eq!(
                crate::helpers::sha256_hex(&std::fs::read(path).unwrap()),
                *sha
            );
        }
        dumps.push((rows, files));
        pool.close().await;
    }
    assert_eq!(dumps[0], dumps[1], "same seed, same data");

    let (st, _, err) = run_cli(
        &[
            "demo-data",
            "--data-dir",
            dir.path().join("a").to_str().unwrap(),
            "--password-stdin",
        ],
        Some("sandi-demo-panjang\n"),
    );
    assert!(!st.success());
    assert!(err.contains("sudah berisi data"), "{err}");

    // a demo instance opens on its dashboard
    let running = zi_tracker::start(crate::helpers::config(dir.path().join("a")))
        .await
        .unwrap();
    let app = TestApp {
        base: format!("http://{}", running.addr),
        initial_admin_password: running.initial_admin_password.clone(),
        dir: tempfile::tempdir().unwrap(),
        server: Some(running),
    };
    assert!(
        app.initial_admin_password.is_none(),
        "the demo has an admin"
    );
    let s = app.sign_in("pimpinan", "sandi-demo-panjang").await.unwrap();
    let (status, page) = s.get_text("/dashboard?periode=2022-2").await;
    assert_eq!(status, 200);
    assert!(page.contains("dibandingkan dengan Semester I 2022"));
}

#[tokio::test]
async fn user_text_on_the_cached_dashboard_is_escaped() {
    let app = spawn_app().await;
    let id = zi_tracker::users::create(
        app.db(),
        &zi_tracker::audit::Actor::cli(),
        zi_tracker::users::NewUser {
            username: "jahil".into(),
            display_name: "<script>alert(1)</script>".into(),
            role: "staf".into(),
            units: vec![1],
            password: crate::helpers::PASSWORD.into(),
            password_confirm: crate::helpers::PASSWORD.into(),
            must_change_password: false,
            email: None,
        },
        true,
    )
    .await
    .unwrap();
    let step = app.step_id("I", 1, 1, 1).await;
    app.assign(step, id).await;
    let staf = app
        .sign_in("jahil", crate::helpers::PASSWORD)
        .await
        .unwrap();
    let res = staf
        .post(
            &format!("/langkah/{step}/progres"),
            &[
                ("periode", "2021-2"),
                ("version", "0"),
                ("status", "berjalan"),
                ("realization", "10"),
                ("narrative", "<img src=x onerror=alert(2)>"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let pimpinan = app.signed_in("pimpinan").await;
    for _ in 0..2 {
        // the first request renders and caches, the second is served from the cache
        let (_, page) = pimpinan.get_text("/dashboard?periode=2021-2").await;
        assert!(!page.contains("<script>alert(1)</script>"));
        assert!(
            page.contains("&#60;script&#62;alert(1)&#60;/script&#62;")
                || page.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
        );
    }
    let (_, list) = pimpinan
        .get_text("/dashboard/daftar?periode=2021-2&kriteria=berjalan")
        .await;
    assert!(!list.contains("<script>alert(1)"));
    let (_, step_page) = pimpinan
        .get_text(&format!("/langkah/{step}?periode=2021-2"))
        .await;
    assert!(!step_page.contains("<img src=x"));
}

/// The dashboard is cached; a progress save must refresh it at once. Read from the
/// component's row of the table: Langkah, Selesai, Berjalan, Belum, Tidak dapat.
#[tokio::test]
async fn a_progress_save_refreshes_the_cached_dashboard() {
    let app = spawn_app().await;
    let pimpinan = app.signed_in("pimpinan").await;
    let staf = app.signed_in("staf").await;
    let step = app.step_id("I", 2, 1, 1).await;
    app.assign(step, staf.user_id).await;
    // each cell holds this semester's number, then the previous semester's
    let counts = |page: &str| -> Vec<String> {
        crate::helpers::html::row_cells(page, "I. MANAJEMEN PERUBAHAN")[1..6]
            .iter()
            .map(|c| c.split(' ').next().unwrap_or("").to_string())
            .collect()
    };
    let (status, page) = pimpinan.get_text("/dashboard?periode=2021-2").await;
    assert_eq!(status, 200);
    assert_eq!(counts(&page), ["9", "0", "0", "9", "0"]);
    // asked twice: the second answer comes from the cache
    let (_, page) = pimpinan.get_text("/dashboard?periode=2021-2").await;
    assert_eq!(counts(&page), ["9", "0", "0", "9", "0"]);

    let res = staf
        .save_progress(step, "2021-2", "selesai", "100", "dikerjakan")
        .await;
    assert_eq!(res.status(), 303);

    let (_, page) = pimpinan.get_text("/dashboard?periode=2021-2").await;
    assert_eq!(counts(&page), ["9", "1", "0", "8", "0"]);
}
