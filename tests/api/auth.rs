use crate::helpers::{PASSWORD, csrf_from, location, run_cli, spawn_app, unique};

#[tokio::test]
async fn sign_in_sets_a_safe_cookie_and_sign_out_ends_the_session_on_the_server() {
    let app = spawn_app().await;
    let (_, username) = app.create_user("staf").await;
    let client = app.client();
    let page = client.get(app.url("/login")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let token = csrf_from(&page.text().await.unwrap());
    let res = client
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("username", &username),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/tugas", "staff land on their tasks");
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("zi_sesi="))
        .expect("session cookie");
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    assert!(
        !cookie.contains("Secure"),
        "plain http install: no Secure flag"
    );
    let raw = cookie
        .trim_start_matches("zi_sesi=")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    // only a hash of the id is stored: the raw id is nowhere, its SHA-256 is the key
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions WHERE id_hash = ?")
        .bind(&raw)
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(stored, 0);
    let hashed: Vec<String> = sqlx::query_scalar(
        "SELECT s.id_hash FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = ?",
    )
    .bind(&username)
    .fetch_all(app.db())
    .await
    .unwrap();
    assert_eq!(hashed, vec![crate::helpers::sha256_hex(raw.as_bytes())]);

    let page = client.get(app.url("/katalog")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let csrf = csrf_from(&html);
    assert!(html.contains("Keluar"));

    let res = client
        .post(app.url("/logout"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    // The old cookie no longer opens anything, even when replayed.
    let replay = app
        .client()
        .get(app.url("/katalog"))
        .header("cookie", format!("zi_sesi={raw}"))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 303);
    assert!(location(&replay).starts_with("/login"));
    assert_eq!(app.session_count(&username).await, 0);
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE actor = ? ORDER BY id")
            .bind(&username)
            .fetch_all(app.db())
            .await
            .unwrap();
    assert_eq!(actions, ["login", "logout"]);
}

#[tokio::test]
async fn secure_cookie_when_the_public_url_is_https() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = crate::helpers::config(dir.path().join("data"));
    config.public_url = Some("https://zi.contoh.go.id".parse().unwrap());
    let running = zi_tracker::start(config).await.unwrap();
    let app = crate::helpers::TestApp {
        base: format!("http://{}", running.addr),
        initial_admin_password: None,
        dir,
        server: Some(running),
    };
    let (_, username) = app.create_user("staf").await;
    let res = app
        .post_login(&app.client(), &username, PASSWORD, &[])
        .await;
    let cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
}

async fn try_login(
    app: &crate::helpers::TestApp,
    client: &reqwest::Client,
    username: &str,
    password: &str,
) -> (u16, String) {
    let res = app.post_login(client, username, password, &[]).await;
    (res.status().as_u16(), res.text().await.unwrap())
}

#[tokio::test]
async fn unknown_user_and_wrong_password_look_the_same() {
    let app = spawn_app().await;
    let (_, username) = app.create_user("staf").await;
    let client = app.client();
    let (s1, b1) = try_login(&app, &client, &username, "salah-sekali-kata-sandinya").await;
    let (s2, b2) = try_login(
        &app,
        &client,
        "tidak-ada-orangnya",
        "salah-sekali-kata-sandinya",
    )
    .await;
    assert_eq!(s1, 401);
    assert_eq!(s2, 401);
    let msg = "Nama pengguna atau kata sandi salah.";
    assert!(b1.contains(msg) && b2.contains(msg));
    // both fields are marked and point at the message, for screen readers
    assert_eq!(
        crate::helpers::html::texts(&b1, "#galat-formulir[role=alert]"),
        vec![msg]
    );
    assert_eq!(
        crate::helpers::html::attr_values(&b1, "input[aria-invalid=true]", "aria-describedby"),
        vec!["galat-formulir", "galat-formulir"]
    );
    // the typed user name stays in the form, the password never does
    assert!(b1.contains(&format!("value=\"{username}\"")));
    assert!(!b1.contains("salah-sekali-kata-sandinya"));
    // failures are throttling data (prunable), not audit entries
    let failed: i64 =
        sqlx::query_scalar("SELECT count(*) FROM login_attempts WHERE outcome = 'failure'")
            .fetch_one(app.db())
            .await
            .unwrap();
    assert_eq!(failed, 2);
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action LIKE 'login_%'")
            .fetch_one(app.db())
            .await
            .unwrap();
    assert_eq!(audited, 0);
    // no password or hash in the audit trail
    let leaked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE summary LIKE '%salah-sekali%' OR after_json LIKE '%argon2%'",
    )
    .fetch_one(app.db())
    .await
    .unwrap();
    assert_eq!(leaked, 0);

    // empty fields: a clear message, 400
    let (s, b) = try_login(&app, &client, "", "").await;
    assert_eq!(s, 400);
    assert!(b.contains("Isi nama pengguna dan kata sandi."));
}

#[tokio::test]
async fn five_failures_lock_the_account_but_not_colleagues() {
    let app = spawn_app().await;
    let (_, victim) = app.create_user("staf").await;
    let (_, colleague) = app.create_user("staf").await;
    let client = app.client();
    for _ in 0..5 {
        let (s, _) = try_login(&app, &client, &victim, "tebakan-yang-salah-1").await;
        assert_eq!(s, 401);
    }
    // even the right password is refused now
    let (s, body) = try_login(&app, &client, &victim, PASSWORD).await;
    assert_eq!(s, 429);
    assert!(
        body.contains("Terlalu banyak percobaan masuk yang gagal untuk akun ini"),
        "{body}"
    );
    assert!(
        body.contains("1 menit"),
        "first refusal lasts a minute: {body}"
    );
    // a colleague behind the same address signs in fine
    assert!(app.sign_in(&colleague, PASSWORD).await.is_ok());
    // the lock-out is audited once, the refused attempt is not
    let locked: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = ?")
        .bind(zi_tracker::audit::Action::LoginLocked.as_str())
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(locked, 1);
    let blocked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action IN ('login_blocked', 'login_failed')",
    )
    .fetch_one(app.db())
    .await
    .unwrap();
    assert_eq!(blocked, 0);

    // The refusal grows: wind the clock back past the first lock, fail once more.
    sqlx::query("UPDATE login_attempts SET at = at - 61 WHERE username = ?")
        .bind(&victim)
        .execute(app.db())
        .await
        .unwrap();
    let (s, _) = try_login(&app, &client, &victim, "tebakan-yang-salah-2").await;
    assert_eq!(s, 401);
    let (s, body) = try_login(&app, &client, &victim, PASSWORD).await;
    assert_eq!(s, 429);
    assert!(body.contains("2 menit"), "{body}");
}

#[tokio::test]
async fn many_failures_from_one_address_throttle_it_generously() {
    let app = spawn_app().await;
    let (_, user) = app.create_user("staf").await;
    let client = app.client();
    // 49 failures spread over many names: still open
    let now = chrono::Utc::now().timestamp();
    for i in 0..49 {
        sqlx::query("INSERT INTO login_attempts (username, ip, at, outcome) VALUES (?, '127.0.0.1', ?, 'failure')")
            .bind(format!("orang{i}"))
            .bind(now - 60)
            .execute(app.db())
            .await
            .unwrap();
    }
    assert!(app.sign_in(&user, PASSWORD).await.is_ok());
    let (s, _) = try_login(&app, &client, "orang-ke-50", "salah-salah-salah").await;
    assert_eq!(s, 401);
    let (s, body) = try_login(&app, &client, &user, PASSWORD).await;
    assert_eq!(s, 429);
    assert!(body.contains("dari alamat ini"), "{body}");
}

#[tokio::test]
async fn sessions_expire_when_idle_and_at_their_absolute_limit() {
    let app = spawn_app().await;
    let s = app.signed_in("staf").await;
    assert_eq!(s.get("/katalog").await.status(), 200);
    // idle beyond 8 hours
    sqlx::query("UPDATE sessions SET last_seen_at = last_seen_at - 8 * 3600 - 1 WHERE user_id = ?")
        .bind(s.user_id)
        .execute(app.db())
        .await
        .unwrap();
    let res = s.get("/katalog").await;
    assert_eq!(res.status(), 303);
    assert!(location(&res).starts_with("/login"));

    // absolute limit, however fresh the last request
    let s = app.signed_in("staf").await;
    sqlx::query("UPDATE sessions SET expires_at = strftime('%s','now') - 1 WHERE user_id = ?")
        .bind(s.user_id)
        .execute(app.db())
        .await
        .unwrap();
    let res = s.get("/katalog").await;
    assert_eq!(res.status(), 303);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions WHERE user_id = ?")
        .bind(s.user_id)
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(left, 0, "expired sessions are removed");
}

#[tokio::test]
async fn every_sign_in_gets_a_new_session_id() {
    let app = spawn_app().await;
    let (_, username) = app.create_user("staf").await;
    let s = app.sign_in(&username, PASSWORD).await.unwrap();
    let first: Vec<String> = sqlx::query_scalar("SELECT id_hash FROM sessions WHERE user_id = ?")
        .bind(s.user_id)
        .fetch_all(app.db())
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    // Signing in again from the same browser replaces its session.
    let res = s
        .post("/login", &[("username", &username), ("password", PASSWORD)])
        .await;
    assert_eq!(res.status(), 303);
    let second: Vec<String> = sqlx::query_scalar("SELECT id_hash FROM sessions WHERE user_id = ?")
        .bind(s.user_id)
        .fetch_all(app.db())
        .await
        .unwrap();
    assert_eq!(second.len(), 1, "the old session ended");
    assert_ne!(first, second);
}

#[tokio::test]
async fn posts_without_the_right_csrf_token_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let name = unique("csrf");
    let fields = [
        ("username", name.as_str()),
        ("display_name", "Uji CSRF"),
        ("role", "staf"),
        ("unit_id", ""),
        ("password", PASSWORD),
        ("password_confirm", PASSWORD),
    ];
    // no token
    let res = admin
        .client
        .post(admin.url("/admin/pengguna/baru"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Formulir tidak sah atau kedaluwarsa")
    );
    // a wrong token of the right shape
    let mut wrong = vec![("csrf_token", "A".repeat(43))];
    wrong.extend(fields.iter().map(|(k, v)| (*k, v.to_string())));
    let res = admin
        .client
        .post(admin.url("/admin/pengguna/baru"))
        .form(&wrong)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let created: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE username = ?")
        .bind(&name)
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(created, 0);
    // sign-out without a token leaves the session alive
    let res = admin
        .client
        .post(admin.url("/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(admin.get("/katalog").await.status(), 200);
    // the sign-in form checks its own token too
    let res = app
        .client()
        .post(app.url("/login"))
        .form(&[("username", "admin"), ("password", "apa-saja-panjang")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // with the right token, the same form works
    let res = admin.post("/admin/pengguna/baru", &fields).await;
    assert_eq!(res.status(), 303);
}

#[tokio::test]
async fn sign_in_redirects_only_to_local_paths() {
    let app = spawn_app().await;
    let (_, username) = app.create_user("staf").await;
    // anonymous visit remembers the page
    let res = app
        .client()
        .get(app.url("/katalog?tahun=2021"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/login?next=%2Fkatalog%3Ftahun%3D2021");

    for (next, expected) in [
        ("/katalog?tahun=2021", "/katalog?tahun=2021"),
        ("//evil.example/x", "/tugas"),
        ("https://evil.example/", "/tugas"),
        ("/\\evil.example", "/tugas"),
        ("javascript:alert(1)", "/tugas"),
    ] {
        let res = app
            .post_login(&app.client(), &username, PASSWORD, &[("next", next)])
            .await;
        assert_eq!(res.status(), 303, "{next}");
        assert_eq!(location(&res), expected, "{next}");
    }
    // and the form does not even carry a foreign target
    let page = app
        .client()
        .get(app.url("/login?next=//evil.example"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("name=\"next\" value=\"\""));
}

#[tokio::test]
async fn first_run_admin_has_a_random_password_that_must_be_changed() {
    let mut app = spawn_app().await;
    let pw = app
        .initial_admin_password
        .clone()
        .expect("fresh install prints one");
    assert!(pw.len() >= 16);
    let s = app.sign_in("admin", &pw).await.expect("admin signs in");
    // every page leads to the password change first
    let res = s.get("/admin/pengguna").await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/akun/kata-sandi");
    let (status, page) = s.get_text("/akun/kata-sandi").await;
    assert_eq!(status, 200);
    assert!(page.contains("Anda wajib mengganti kata sandi"));

    // rules: too short, equal to the username, mismatch
    let res = s
        .post(
            "/akun/kata-sandi",
            &[
                ("current", &pw),
                ("new_password", "pendek"),
                ("confirm", "pendek"),
            ],
        )
        .await;
    assert_eq!(res.status(), 400);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Kata sandi minimal 12 karakter.")
    );
    let res = s
        .post(
            "/akun/kata-sandi",
            &[
                ("current", "salah-salah-salah"),
                ("new_password", "admin-baru-yang-panjang"),
                ("confirm", "admin-baru-yang-panjang"),
            ],
        )
        .await;
    assert_eq!(res.status(), 400);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Kata sandi saat ini salah.")
    );

    let res = s
        .post(
            "/akun/kata-sandi",
            &[
                ("current", &pw),
                ("new_password", "admin-baru-yang-panjang"),
                ("confirm", "admin-baru-yang-panjang"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(s.get("/admin/pengguna").await.status(), 200);

    // a restart with an admin in place creates nothing
    app.restart().await;
    assert!(
        app.server
            .as_ref()
            .unwrap()
            .initial_admin_password
            .is_none()
    );
    assert!(
        app.sign_in("admin", "admin-baru-yang-panjang")
            .await
            .is_ok()
    );
    assert!(app.sign_in("admin", &pw).await.is_err());
}

#[tokio::test]
async fn changing_a_password_ends_the_other_sessions() {
    let app = spawn_app().await;
    let (_, username) = app.create_user("staf").await;
    let laptop = app.sign_in(&username, PASSWORD).await.unwrap();
    let phone = app.sign_in(&username, PASSWORD).await.unwrap();
    let res = laptop
        .post(
            "/akun/kata-sandi",
            &[
                ("current", PASSWORD),
                ("new_password", "sandi-baru-yang-panjang"),
                ("confirm", "sandi-baru-yang-panjang"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        laptop.get("/katalog").await.status(),
        200,
        "this browser stays signed in"
    );
    assert_eq!(
        phone.get("/katalog").await.status(),
        303,
        "the other session ended"
    );
    let audit: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = ? AND actor = ?")
            .bind(zi_tracker::audit::Action::PasswordChanged.as_str())
            .bind(&username)
            .fetch_one(app.db())
            .await
            .unwrap();
    assert_eq!(audit, 1);
}

#[tokio::test]
async fn security_headers_on_every_response() {
    let app = spawn_app().await;
    let client = app.client();
    for path in [
        "/login",
        "/katalog",
        "/static/style.css",
        "/healthz",
        "/tidak-ada",
    ] {
        let res = client.get(app.url(path)).send().await.unwrap();
        let h = res.headers();
        let csp = h
            .get("content-security-policy")
            .expect(path)
            .to_str()
            .unwrap();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}"
        );
        assert!(csp.contains("frame-ancestors 'none'"));
        assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
        assert_eq!(h.get("x-frame-options").unwrap(), "DENY");
        assert_eq!(h.get("referrer-policy").unwrap(), "same-origin");
    }
    let res = client
        .get(app.url("/static/style.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "static files need no sign-in");
    let res = client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn cli_manages_accounts() {
    let mut app = spawn_app().await;
    app.stop().await;
    let dir = app.data_dir();
    let dir = dir.to_str().unwrap();
    let (st, out, err) = run_cli(
        &[
            "user",
            "add",
            "--username",
            "Budi.S",
            "--role",
            "pimpinan",
            "--name",
            "Budi Santoso",
            "--password-stdin",
            "--data-dir",
            dir,
        ],
        Some("sandi-budi-yang-panjang\n"),
    );
    assert!(st.success(), "{err}");
    assert!(out.contains("Akun budi.s dibuat."));
    // rules and clear messages
    let (st, _, err) = run_cli(
        &[
            "user",
            "add",
            "--username",
            "pendek",
            "--role",
            "staf",
            "--password-stdin",
            "--data-dir",
            dir,
        ],
        Some("pendek\n"),
    );
    assert!(!st.success());
    assert!(err.contains("Kata sandi minimal 12 karakter."), "{err}");
    let (st, _, err) = run_cli(
        &[
            "user",
            "add",
            "--username",
            "budi.s",
            "--role",
            "staf",
            "--password-stdin",
            "--data-dir",
            dir,
        ],
        Some("sandi-lain-yang-panjang\n"),
    );
    assert!(!st.success());
    assert!(err.contains("sudah dipakai"), "{err}");
    let (st, _, err) = run_cli(
        &[
            "user",
            "add",
            "--username",
            "ani",
            "--role",
            "raja",
            "--password-stdin",
            "--data-dir",
            dir,
        ],
        Some("sandi-ani-yang-panjang\n"),
    );
    assert!(!st.success());
    assert!(err.contains("Pilih peran"), "{err}");

    let (st, out, _) = run_cli(&["user", "list", "--data-dir", dir], None);
    assert!(st.success());
    assert!(out.contains("budi.s") && out.contains("pimpinan") && out.contains("admin"));
    assert!(!out.contains("argon2"));

    let (st, _, err) = run_cli(
        &[
            "user",
            "set-password",
            "--username",
            "budi.s",
            "--password-stdin",
            "--data-dir",
            dir,
        ],
        Some("sandi-budi-yang-baru-1\n"),
    );
    assert!(st.success(), "{err}");
    // the only admin cannot be deactivated
    let (st, _, err) = run_cli(
        &[
            "user",
            "deactivate",
            "--username",
            "admin",
            "--data-dir",
            dir,
        ],
        None,
    );
    assert!(!st.success());
    assert!(err.contains("admin instansi aktif terakhir"), "{err}");
    let (st, _, _) = run_cli(
        &[
            "user",
            "deactivate",
            "--username",
            "budi.s",
            "--data-dir",
            dir,
        ],
        None,
    );
    assert!(st.success());

    app.restart().await;
    assert!(
        app.sign_in("budi.s", "sandi-budi-yang-baru-1")
            .await
            .is_err(),
        "deactivated"
    );
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE actor = '(baris perintah)' ORDER BY id",
    )
    .fetch_all(app.db())
    .await
    .unwrap();
    assert_eq!(
        actions,
        ["user_created", "password_reset", "user_deactivated"]
    );
}

#[tokio::test]
async fn audit_trail_is_append_only_and_filterable() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let err = sqlx::query("UPDATE audit_log SET summary = 'diubah'")
        .execute(app.db())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("audit_log is append-only"),
        "{err}"
    );
    let err = sqlx::query("DELETE FROM audit_log")
        .execute(app.db())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("audit_log is append-only"),
        "{err}"
    );

    let (status, page) = admin.get_text("/audit?aksi=login").await;
    assert_eq!(status, 200);
    assert!(page.contains(&admin.username));
    assert!(page.contains("Masuk"));
    let (_, page) = admin.get_text("/audit?aksi=logout").await;
    assert!(page.contains("0 catatan"));
    let pimpinan = app.signed_in("pimpinan").await;
    assert_eq!(pimpinan.get("/audit").await.status(), 200);
    let staf = app.signed_in("staf").await;
    assert_eq!(staf.get("/audit").await.status(), 403);
}

#[tokio::test]
async fn malformed_form_bodies_get_an_indonesian_400() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    // the right token, but a field given twice where the form has one
    let res = admin
        .client
        .post(admin.url("/admin/pengguna/baru"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "csrf_token={}&username=a&username=b&role=staf",
            admin.csrf
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Isian formulir tidak dapat dibaca")
    );
}

/// Multipart bodies (uploads, imports) are checked like any form: without the
/// session's own token nothing is stored, neither a row nor a file.
#[tokio::test]
async fn multipart_posts_without_the_right_token_store_nothing() {
    let app = spawn_app().await;
    let staf = app.signed_in("staf").await;
    let other = app.signed_in("staf").await;
    let admin = app.signed_in("admin").await;
    let other_admin = app.signed_in("admin").await;
    let step = app.step_id("I", 1, 1, 1).await;
    app.assign(step, staf.user_id).await;
    let before = crate::helpers::fingerprint(app.db()).await;

    let upload = |token: Option<String>| {
        let mut form = reqwest::multipart::Form::new();
        if let Some(t) = &token {
            form = form.text("csrf_token", t.clone());
        }
        form = form.text("periode", "2021-2");
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(crate::helpers::pdf_bytes("tanpa token"))
                .file_name("bukti.pdf"),
        );
        let url = match &token {
            Some(t) => staf.url(&format!("/langkah/{step}/bukti?csrf_token={t}")),
            None => staf.url(&format!("/langkah/{step}/bukti")),
        };
        staf.client.post(url).multipart(form).send()
    };
    assert_eq!(upload(None).await.unwrap().status(), 403);
    assert_eq!(
        upload(Some(other.csrf.clone())).await.unwrap().status(),
        403
    );
    // the right token, but in a field of another name
    let misnamed = reqwest::multipart::Form::new()
        .text("periode", staf.csrf.clone())
        .part(
            "file",
            reqwest::multipart::Part::bytes(crate::helpers::pdf_bytes("nama lain"))
                .file_name("bukti.pdf"),
        );
    let res = staf
        .client
        .post(staf.url(&format!("/langkah/{step}/bukti")))
        .multipart(misnamed)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    let import = |token: Option<String>| {
        let mut form = reqwest::multipart::Form::new();
        if let Some(t) = &token {
            form = form.text("csrf_token", t.clone());
        }
        form = form.text("tahun", "2030");
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(b"component,component_name\n".to_vec())
                .file_name("target.csv"),
        );
        let url = match &token {
            Some(t) => admin.url(&format!("/admin/target-impor?csrf_token={t}")),
            None => admin.url("/admin/target-impor"),
        };
        admin.client.post(url).multipart(form).send()
    };
    assert_eq!(import(None).await.unwrap().status(), 403);
    assert_eq!(
        import(Some(other_admin.csrf.clone()))
            .await
            .unwrap()
            .status(),
        403
    );

    assert_eq!(crate::helpers::fingerprint(app.db()).await, before);
    let evidence_dir = app.data_dir().join("evidence");
    assert!(
        crate::helpers::files_under(&evidence_dir).is_empty(),
        "no file on disk: {:?}",
        crate::helpers::files_under(&evidence_dir)
    );
}

/// Without --trust-proxy, X-Forwarded-For is the client's own claim: attempts are
/// recorded under the real peer address, and rotating the header does not escape the
/// per-address limit.
#[tokio::test]
async fn forwarded_for_is_not_trusted_without_the_flag() {
    let app = spawn_app().await;
    let client = app.client();
    let page = client.get(app.url("/login")).send().await.unwrap();
    let token = csrf_from(&page.text().await.unwrap());
    let res = client
        .post(app.url("/login"))
        .header("x-forwarded-for", "203.0.113.5")
        .form(&[
            ("csrf_token", token.as_str()),
            ("username", "siapa-saja"),
            ("password", "salah-salah-salah"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let ip: String = sqlx::query_scalar("SELECT ip FROM login_attempts ORDER BY id DESC LIMIT 1")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(ip, "127.0.0.1");
    let spoofed: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM login_attempts WHERE ip LIKE '%203.0.113%')
              + (SELECT count(*) FROM audit_log WHERE ip LIKE '%203.0.113%')",
    )
    .fetch_one(app.db())
    .await
    .unwrap();
    assert_eq!(spoofed, 0, "the claimed address is recorded nowhere");

    // With 49 more failures from this address (50 in all), a sign-in claiming a new
    // address is still refused: the limit applies to the real peer.
    let now = chrono::Utc::now().timestamp();
    for i in 0..49 {
        sqlx::query(
            "INSERT INTO login_attempts (username, ip, at, outcome) VALUES (?, '127.0.0.1', ?, 'failure')",
        )
        .bind(format!("orang{i}"))
        .bind(now - 60)
        .execute(app.db())
        .await
        .unwrap();
    }
    let (_, user) = app.create_user("staf").await;
    let page = client.get(app.url("/login")).send().await.unwrap();
    let token = csrf_from(&page.text().await.unwrap());
    let res = client
        .post(app.url("/login"))
        .header("x-forwarded-for", "198.51.100.77")
        .form(&[
            ("csrf_token", token.as_str()),
            ("username", user.as_str()),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429, "50 failures from 127.0.0.1 already");
    assert!(
        res.text().await.unwrap().contains("dari alamat ini"),
        "refused for the address"
    );
}

/// A second, independent check of the lock-out: while an account is locked, even
/// the right password opens no session, and the refusal is recorded.
#[tokio::test]
async fn a_locked_account_gets_no_session_even_with_the_right_password() {
    let app = spawn_app().await;
    let (id, user) = app.create_user("staf").await;
    let client = app.client();
    for _ in 0..5 {
        let (s, _) = try_login(&app, &client, &user, "bukan-kata-sandinya").await;
        assert_eq!(s, 401);
    }
    let res = app.post_login(&client, &user, PASSWORD, &[]).await;
    assert_eq!(res.status(), 429);
    let retry: i64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "retry after {retry} s");
    assert!(
        res.headers()
            .get_all("set-cookie")
            .iter()
            .all(|c| !c.to_str().unwrap().starts_with("zi_sesi=")),
        "no session cookie"
    );
    let sessions: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions WHERE user_id = ?")
        .bind(id)
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(sessions, 0);
    let outcomes: Vec<String> =
        sqlx::query_scalar("SELECT outcome FROM login_attempts WHERE username = ? ORDER BY id")
            .bind(&user)
            .fetch_all(app.db())
            .await
            .unwrap();
    // the refused attempt is answered from a read and leaves no row
    assert_eq!(outcomes.len(), 5);
    assert!(outcomes[..5].iter().all(|o| o == "failure"));
    assert!(
        app.client()
            .get(app.url("/tugas"))
            .send()
            .await
            .unwrap()
            .status()
            == 303
    );
}

/// Starts a server with its own configuration.
async fn spawn_with(f: impl FnOnce(&mut zi_tracker::Config)) -> crate::helpers::TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = crate::helpers::config(dir.path().join("data"));
    f(&mut config);
    let running = zi_tracker::start(config).await.unwrap();
    crate::helpers::TestApp {
        base: format!("http://{}", running.addr),
        initial_admin_password: running.initial_admin_password.clone(),
        dir,
        server: Some(running),
    }
}

/// Posts the sign-in form with a fresh token, from a client of its own.
async fn attempt(base: String, user: String, password: String) -> (u16, Option<String>) {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client.get(format!("{base}/login")).send().await.unwrap();
    let token = csrf_from(&page.text().await.unwrap());
    let res = client
        .post(format!("{base}/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("username", user.as_str()),
            ("password", password.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let retry = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    (res.status().as_u16(), retry)
}

/// The limit and the recording of an attempt are one step: while the first guesses
/// are still being hashed, 59 simultaneous guesses and then the right password all
/// count, so the right password is refused too (429), never signed in.
#[tokio::test]
async fn simultaneous_guesses_cannot_slip_past_the_account_limit() {
    let app = spawn_with(|c| c.hash_queue = 64).await;
    let (_, user) = app.create_user("staf").await;
    let hasher = app.server.as_ref().unwrap().hasher.clone();
    let hold = hasher.hold();
    let mut guesses = Vec::new();
    for i in 0..59 {
        guesses.push(tokio::spawn(attempt(
            app.base.clone(),
            user.clone(),
            format!("tebakan-salah-{i:02}"),
        )));
    }
    // wait until every guess is either reserved (a row) or refused (answered, no
    // row), bounded: a fault that records nothing fails here instead of hanging
    let (mut recorded, mut answered) = (0, 0);
    for _ in 0..6000 {
        recorded = sqlx::query_scalar("SELECT count(*) FROM login_attempts WHERE username = ?")
            .bind(&user)
            .fetch_one(app.db())
            .await
            .unwrap();
        answered = guesses.iter().filter(|g| g.is_finished()).count();
        if recorded == 5 && answered == 54 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_eq!(
        (recorded, answered),
        (5, 54),
        "five reserved, the rest refused"
    );
    let right = tokio::spawn(attempt(
        app.base.clone(),
        user.clone(),
        PASSWORD.to_string(),
    ));
    let (status, retry) = right.await.unwrap();
    assert_eq!(status, 429, "the right password during an attack waits too");
    assert!(retry.is_some());
    drop(hold);
    let mut statuses = Vec::new();
    for g in guesses {
        statuses.push(g.await.unwrap().0);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 54);
    assert_eq!(app.session_count(&user).await, 0);
    // the lock-out is one audit entry, the 55 refusals none
    let audit: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE action LIKE 'login%' ORDER BY id")
            .fetch_all(app.db())
            .await
            .unwrap();
    assert_eq!(audit, ["login_locked"]);
}

/// 150 simultaneous failures from one address, over many accounts: exactly 50 are
/// checked, the rest refused for the address.
#[tokio::test]
async fn simultaneous_failures_cannot_slip_past_the_address_limit() {
    // 150 clients at once from one address: beyond the per-address connection cap
    let app = spawn_with(|c| {
        c.hash_queue = 200;
        c.max_connections_per_address = 200;
    })
    .await;
    let mut tasks = Vec::new();
    for i in 0..150 {
        tasks.push(tokio::spawn(attempt(
            app.base.clone(),
            format!("orang-{i:03}"),
            "salah-salah-salah".into(),
        )));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap().0);
    }
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 50);
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 100);
    // no audit row per refused or failed attempt: the address lock-out once
    let audited: Vec<String> =
        sqlx::query_scalar("SELECT summary FROM audit_log WHERE action LIKE 'login%'")
            .fetch_all(app.db())
            .await
            .unwrap();
    assert_eq!(audited.len(), 1, "{audited:?}");
    assert!(audited[0].contains("alamat 127.0.0.1"), "{audited:?}");
}

/// A full hashing queue answers 503 with Retry-After at once instead of letting every
/// sign-in wait behind a flood; nothing is counted against the account.
#[tokio::test]
async fn a_full_hashing_queue_answers_503_at_once() {
    let app = spawn_with(|c| c.hash_queue = 2).await;
    let (_, user) = app.create_user("staf").await;
    let hasher = app.server.as_ref().unwrap().hasher.clone();
    let hold = hasher.hold();
    let mut waiting = Vec::new();
    for i in 0..2 {
        waiting.push(tokio::spawn(attempt(
            app.base.clone(),
            format!("antre-{i}"),
            "salah-salah-salah".into(),
        )));
    }
    for _ in 0..6000 {
        if hasher.waiting() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_eq!(hasher.waiting(), 2, "two checks wait in the queue");
    let (status, retry) = attempt(app.base.clone(), user.clone(), PASSWORD.into()).await;
    assert_eq!(status, 503);
    assert_eq!(retry.as_deref(), Some("5"));
    let counted: i64 = sqlx::query_scalar("SELECT count(*) FROM login_attempts WHERE username = ?")
        .bind(&user)
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(counted, 0, "a refused check is not a failure");
    drop(hold);
    for w in waiting {
        assert_eq!(w.await.unwrap().0, 401);
    }
    assert!(app.sign_in(&user, PASSWORD).await.is_ok(), "open again");
}

/// Typos from one address lock only that address; failures from several addresses
/// lock the account everywhere; an admin can lift the lock (audited).
#[tokio::test]
async fn a_lock_starts_at_the_address_and_an_admin_can_lift_it() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let (_, typist) = app.create_user("staf").await;
    let (id, target) = app.create_user("staf").await;
    let now = chrono::Utc::now().timestamp();
    let fail = |user: String, ip: &'static str| {
        let db = app.db().clone();
        async move {
            sqlx::query(
                "INSERT INTO login_attempts (username, ip, at, outcome) VALUES (?, ?, ?, 'failure')",
            )
            .bind(user)
            .bind(ip)
            .bind(now - 10)
            .execute(&db)
            .await
            .unwrap();
        }
    };
    for _ in 0..5 {
        fail(typist.clone(), "10.0.0.9").await;
    }
    // locked from 10.0.0.9 only: the owner at 127.0.0.1 signs in
    assert!(app.sign_in(&typist, PASSWORD).await.is_ok());
    // six failures from three addresses lock the account for each of them (an
    // address without failures may still try: see hardening_accounts)
    for ip in ["10.0.0.1", "10.0.0.2", "127.0.0.1"] {
        fail(target.clone(), ip).await;
        fail(target.clone(), ip).await;
    }
    let client = app.client();
    let res = app.post_login(&client, &target, PASSWORD, &[]).await;
    assert_eq!(res.status(), 429);
    let retry: i64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (100..=120).contains(&retry),
        "six failures lock for two minutes from the last: {retry}"
    );
    // the admin sees the failures and lifts the lock
    let (_, page) = admin.get_text(&format!("/admin/pengguna/{id}")).await;
    assert!(
        page.contains("Buka kunci masuk"),
        "the unlock button is offered"
    );
    let res = admin
        .post(&format!("/admin/pengguna/{id}/buka-kunci"), &[])
        .await;
    assert_eq!(res.status(), 303);
    assert!(app.sign_in(&target, PASSWORD).await.is_ok(), "unlocked");
    let unlocked: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = ? AND object_id = ?")
            .bind(zi_tracker::audit::Action::LoginUnlocked.as_str())
            .bind(id)
            .fetch_one(app.db())
            .await
            .unwrap();
    assert_eq!(unlocked, 1);
}

/// The current-password check of "change my password" is limited like sign-in.
#[tokio::test]
async fn guessing_the_current_password_is_limited_like_sign_in() {
    let app = spawn_app().await;
    let s = app.signed_in("staf").await;
    for i in 0..5 {
        let res = s
            .post(
                "/akun/kata-sandi",
                &[
                    ("current", &format!("tebakan-salah-{i}")),
                    ("new_password", "kata-sandi-baru-panjang"),
                    ("confirm", "kata-sandi-baru-panjang"),
                ],
            )
            .await;
        assert_eq!(res.status(), 400);
    }
    let res = s
        .post(
            "/akun/kata-sandi",
            &[
                ("current", PASSWORD),
                ("new_password", "kata-sandi-baru-panjang"),
                ("confirm", "kata-sandi-baru-panjang"),
            ],
        )
        .await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    let locked: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = ?")
        .bind(zi_tracker::audit::Action::LoginLocked.as_str())
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(locked, 1);
}

/// Failures older than the 15-minute window no longer count; an address refusal says
/// when the oldest counted failure leaves the window.
#[tokio::test]
async fn failures_leave_the_window_after_fifteen_minutes() {
    let app = spawn_app().await;
    let (_, user) = app.create_user("staf").await;
    let now = chrono::Utc::now().timestamp();
    // ten failures would lock for 32 minutes, but they are 15 minutes old: forgotten
    for _ in 0..10 {
        sqlx::query(
            "INSERT INTO login_attempts (username, ip, at, outcome) VALUES (?, '127.0.0.1', ?, 'failure')",
        )
        .bind(&user)
        .bind(now - 15 * 60 - 5)
        .execute(app.db())
        .await
        .unwrap();
    }
    assert!(
        app.sign_in(&user, PASSWORD).await.is_ok(),
        "old failures forgotten"
    );
    // 50 old failures from this address (other accounts) are forgotten too, and four
    // old ones plus a new one start no lock-out (nothing audited)
    for i in 0..50 {
        sqlx::query(
            "INSERT INTO login_attempts (username, ip, at, outcome) VALUES (?, '127.0.0.1', ?, 'failure')",
        )
        .bind(format!("lama{i}"))
        .bind(now - 15 * 60 - 5)
        .execute(app.db())
        .await
        .unwrap();
    }
    assert!(
        app.sign_in(&user, PASSWORD).await.is_ok(),
        "the address is open"
    );
    let (_, other) = app.create_user("staf").await;
    for _ in 0..4 {
        sqlx::query(
            "INSERT INTO login_attempts (username, ip, at, outcome) VALUES (?, '127.0.0.1', ?, 'failure')",
        )
        .bind(&other)
        .bind(now - 15 * 60 - 5)
        .execute(app.db())
        .await
        .unwrap();
    }
    let (s, _) = try_login(&app, &app.client(), &other, "salah-salah-salah").await;
    assert_eq!(s, 401);
    let locked: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = ?")
        .bind(zi_tracker::audit::Action::LoginLocked.as_str())
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(locked, 0, "one failure in the window starts no lock-out");

    for i in 0..50 {
        sqlx::query(
            "INSERT INTO login_attempts (username, ip, at, outcome) VALUES (?, '127.0.0.1', ?, 'failure')",
        )
        .bind(format!("lain{i}"))
        .bind(now - 120)
        .execute(app.db())
        .await
        .unwrap();
    }
    let client = app.client();
    let res = app.post_login(&client, &user, PASSWORD, &[]).await;
    assert_eq!(res.status(), 429);
    let retry: i64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (15 * 60 - 130..=15 * 60 - 115).contains(&retry),
        "the oldest counted failure (2 minutes old) leaves in ~13 minutes: {retry}"
    );
}

/// A form with a name but no password, a password but no name, or an over-long
/// name is answered on the form itself and counts as no attempt.
#[tokio::test]
async fn incomplete_sign_in_forms_are_not_attempts() {
    let app = spawn_app().await;
    let client = app.client();
    for (user, password) in [
        ("budi", ""),
        ("", "kata-sandi-apa-saja"),
        (&"x".repeat(65)[..], "kata-sandi-apa-saja"),
    ] {
        let res = app.post_login(&client, user, password, &[]).await;
        assert_eq!(res.status(), 400, "{user:?}/{password:?}");
    }
    let attempts: i64 = sqlx::query_scalar("SELECT count(*) FROM login_attempts")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(attempts, 0);
    // the limits are inclusive: a 64-character name and a 256-character password are
    // checked (a wrong one is 401), one more character is refused on the form (400)
    for (user, password, status) in [
        ("x".repeat(64), "kata-sandi-apa-saja".to_string(), 401),
        ("budi".to_string(), "p".repeat(256), 401),
        ("budi".to_string(), "p".repeat(257), 400),
    ] {
        let res = app.post_login(&client, &user, &password, &[]).await;
        assert_eq!(res.status(), status, "{} / {}", user.len(), password.len());
    }
}

/// A successful sign-in is audited under the account that signed in.
#[tokio::test]
async fn a_sign_in_is_audited_under_its_account() {
    let app = spawn_app().await;
    let s = app.signed_in("staf").await;
    let (actor_id, actor, ip): (Option<i64>, String, String) = sqlx::query_as(
        "SELECT actor_id, actor, ip FROM audit_log WHERE action = ? ORDER BY id DESC LIMIT 1",
    )
    .bind(zi_tracker::audit::Action::Login.as_str())
    .fetch_one(app.db())
    .await
    .unwrap();
    assert_eq!(actor_id, Some(s.user_id));
    assert_eq!(actor, s.username);
    assert_eq!(ip, "127.0.0.1");
}

/// A new password must differ from the current one, and be confirmed.
#[tokio::test]
async fn a_new_password_must_differ_and_be_confirmed() {
    let app = spawn_app().await;
    let s = app.signed_in("staf").await;
    for (new, confirm, message) in [
        (PASSWORD, PASSWORD, "harus berbeda dari kata sandi saat ini"),
        (
            "kata-sandi-baru-panjang",
            "kata-sandi-lain-panjang",
            "Konfirmasi kata sandi baru tidak sama",
        ),
        ("pendek", "pendek", "minimal 12 karakter"),
    ] {
        let res = s
            .post(
                "/akun/kata-sandi",
                &[
                    ("current", PASSWORD),
                    ("new_password", new),
                    ("confirm", confirm),
                ],
            )
            .await;
        assert_eq!(res.status(), 400, "{message}");
        assert!(res.text().await.unwrap().contains(message), "{message}");
    }
    // nothing changed: the old password still signs in
    assert!(app.sign_in(&s.username, PASSWORD).await.is_ok());
}

/// Failures from three addresses (behind a trusted proxy) lock the account from
/// everywhere; that lock-out is audited once, when it starts.
#[tokio::test]
async fn failures_from_several_addresses_lock_the_account_once() {
    let app = spawn_with(|c| c.trust_proxy = true).await;
    let (_, user) = app.create_user("staf").await;
    let fail_from = |ip: &'static str| {
        let base = app.base.clone();
        let user = user.clone();
        async move {
            let client = reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let page = client.get(format!("{base}/login")).send().await.unwrap();
            let token = csrf_from(&page.text().await.unwrap());
            client
                .post(format!("{base}/login"))
                .header("x-forwarded-for", ip)
                .form(&[
                    ("csrf_token", token.as_str()),
                    ("username", user.as_str()),
                    ("password", "salah-salah-salah"),
                ])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let locked = || async {
        sqlx::query_scalar::<_, String>(
            "SELECT summary FROM audit_log WHERE action = ? ORDER BY id",
        )
        .bind(zi_tracker::audit::Action::LoginLocked.as_str())
        .fetch_all(app.db())
        .await
        .unwrap()
    };
    for ip in ["10.1.0.1", "10.1.0.2", "10.1.0.3"] {
        assert_eq!(fail_from(ip).await, 401);
    }
    assert!(locked().await.is_empty(), "three failures lock nothing yet");
    assert_eq!(fail_from("10.1.0.1").await, 401);
    assert_eq!(fail_from("10.1.0.2").await, 401);
    let audited = locked().await;
    assert_eq!(audited.len(), 1, "{audited:?}");
    assert!(audited[0].contains("dari semua alamat"), "{audited:?}");
    // a fourth address, without failures, is checked once (no second lock-out
    // entry), then refused like the others
    assert_eq!(fail_from("10.1.0.4").await, 401);
    assert_eq!(fail_from("10.1.0.4").await, 429);
    assert_eq!(locked().await.len(), 1);
}
