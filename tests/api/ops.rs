use crate::helpers::{pdf_bytes, run_cli, sha256_hex, spawn_app};

#[tokio::test]
async fn healthz_answers_without_sign_in_and_503_without_a_database() {
    let app = spawn_app().await;
    let res = app.client().get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers().contains_key("x-request-id"),
        "every response names its request"
    );
    assert_eq!(res.text().await.unwrap(), "ok\n");
    app.db().close().await;
    let res = app.client().get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 503);
}

#[tokio::test]
async fn pages_are_compressed_for_clients_that_ask() {
    let app = spawn_app().await;
    let s = app.signed_in("penilai").await;
    let res = s
        .client
        .get(s.url("/katalog"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-encoding"], "gzip");
    let compressed = res.bytes().await.unwrap();
    let mut decoded = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(&compressed[..]),
        &mut decoded,
    )
    .expect("a gzip body");
    // the same page asked for without compression
    let plain = s.get("/katalog").await;
    assert!(plain.headers().get("content-encoding").is_none());
    let plain = plain.text().await.unwrap();
    assert!(decoded.contains("6 komponen"), "the page itself");
    assert_eq!(decoded, plain);
    assert!(compressed.len() < plain.len() / 2, "really compressed");
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_client_address_comes_from_the_proxy() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = crate::helpers::config(dir.path().join("data"));
    config.trust_proxy = true;
    let running = zi_tracker::start(config).await.unwrap();
    let app = crate::helpers::TestApp {
        base: format!("http://{}", running.addr),
        initial_admin_password: None,
        dir,
        server: Some(running),
    };
    let client = app.client();
    let page = client
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = crate::helpers::csrf_from(&page);
    client
        .post(app.url("/login"))
        .header("x-forwarded-for", "10.9.8.7, 203.0.113.5")
        .form(&[
            ("csrf_token", token.as_str()),
            ("username", "siapa"),
            ("password", "salah-salah-salah"),
        ])
        .send()
        .await
        .unwrap();
    let ip: String = sqlx::query_scalar("SELECT ip FROM login_attempts ORDER BY id DESC LIMIT 1")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(
        ip, "203.0.113.5",
        "the address the proxy saw, not the client's claim"
    );
}

#[tokio::test]
async fn backup_while_running_restores_to_an_identical_instance() {
    let mut app = spawn_app().await;
    let staf = app.signed_in("staf").await;
    let step = app.step_id("I", 1, 1, 1).await;
    app.assign(step, staf.user_id).await;
    let res = staf
        .post(
            &format!("/langkah/{step}/progres"),
            &[
                ("periode", "2021-2"),
                ("version", "0"),
                ("status", "berjalan"),
                ("realization", "40"),
                ("narrative", "Sebelum cadangan"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let pdf = pdf_bytes("cadangan");
    assert_eq!(
        staf.upload(step, "2021-2", "sk.pdf", pdf.clone(), None)
            .await
            .status(),
        303
    );

    // the server keeps running during the backup
    let backup = app.dir.path().join("cadangan");
    let data = app.data_dir();
    let (st, out, err) = run_cli(
        &[
            "backup",
            "--to",
            backup.to_str().unwrap(),
            "--data-dir",
            data.to_str().unwrap(),
        ],
        None,
    );
    assert!(st.success(), "{err}");
    assert!(out.contains("1 berkas bukti"), "{out}");
    let before: Vec<(i64, String, i64)> =
        sqlx::query_as("SELECT version, narrative, realization FROM progress_history ORDER BY id")
            .fetch_all(app.db())
            .await
            .unwrap();
    let users_before: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(app.db())
        .await
        .unwrap();
    // a change after the backup is not in it
    let res = staf
        .post(
            &format!("/langkah/{step}/progres"),
            &[
                ("periode", "2021-2"),
                ("version", "1"),
                ("status", "selesai"),
                ("realization", "100"),
                ("narrative", "Sesudah cadangan"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    app.stop().await;

    // restore refuses a data dir with data, and a tampered backup
    let target = app.dir.path().join("pulih");
    let (st, _, err) = run_cli(
        &[
            "restore",
            "--from",
            backup.to_str().unwrap(),
            "--data-dir",
            data.to_str().unwrap(),
        ],
        None,
    );
    assert!(!st.success());
    assert!(err.contains("sudah berisi data"), "{err}");
    let stored: String = {
        let m: serde_json::Value =
            serde_json::from_slice(&std::fs::read(backup.join("manifest.json")).unwrap()).unwrap();
        m["files"][1]["path"].as_str().unwrap().to_string()
    };
    let original = std::fs::read(backup.join(&stored)).unwrap();
    assert_eq!(sha256_hex(&original), sha256_hex(&pdf));
    std::fs::write(backup.join(&stored), b"rusak").unwrap();
    let (st, _, err) = run_cli(
        &[
            "restore",
            "--from",
            backup.to_str().unwrap(),
            "--data-dir",
            target.to_str().unwrap(),
        ],
        None,
    );
    assert!(!st.success());
    assert!(err.contains("isi berbeda dari manifest"), "{err}");
    assert!(
        !target.join("zi-tracker.db").exists(),
        "nothing restored from a bad backup"
    );
    std::fs::write(backup.join(&stored), &original).unwrap();

    let (st, out, err) = run_cli(
        &[
            "restore",
            "--from",
            backup.to_str().unwrap(),
            "--data-dir",
            target.to_str().unwrap(),
        ],
        None,
    );
    assert!(st.success(), "{err}");
    assert!(out.contains("dipulihkan"));
    let running = zi_tracker::start(crate::helpers::config(target.clone()))
        .await
        .unwrap();
    let after: Vec<(i64, String, i64)> =
        sqlx::query_as("SELECT version, narrative, realization FROM progress_history ORDER BY id")
            .fetch_all(&running.db)
            .await
            .unwrap();
    assert_eq!(after, before);
    let users_after: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&running.db)
        .await
        .unwrap();
    assert_eq!(users_after, users_before);
    assert!(running.initial_admin_password.is_none());
    let (stored_name, sha): (String, String) =
        sqlx::query_as("SELECT stored_name, sha256 FROM evidence")
            .fetch_one(&running.db)
            .await
            .unwrap();
    let bytes = std::fs::read(zi_tracker::evidence::stored_path(&target, &stored_name)).unwrap();
    assert_eq!(sha256_hex(&bytes), sha);
    running.stop().await;

    // --force overwrites a data dir that has data
    let (st, _, err) = run_cli(
        &[
            "restore",
            "--from",
            backup.to_str().unwrap(),
            "--data-dir",
            data.to_str().unwrap(),
            "--force",
        ],
        None,
    );
    assert!(st.success(), "{err}");
}

#[tokio::test]
async fn a_query_that_does_not_fit_gets_an_indonesian_400() {
    let app = spawn_app().await;
    let s = app.signed_in("pimpinan").await;
    let res = s.get("/dashboard?periode=2021-2&periode=2021-1").await;
    assert_eq!(res.status(), 400);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Alamat tidak dapat dibaca")
    );
}

#[tokio::test]
async fn opening_a_form_address_directly_gets_an_indonesian_405() {
    let app = spawn_app().await;
    let s = app.signed_in("staf").await;
    let res = s.get("/logout").await;
    assert_eq!(res.status(), 405);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("hanya menerima kiriman formulir")
    );
    // and it still asks strangers to sign in first
    let anon = app.client().get(app.url("/logout")).send().await.unwrap();
    assert_eq!(anon.status(), 303);
}
