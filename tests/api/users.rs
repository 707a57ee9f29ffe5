use crate::helpers::{PASSWORD, location, spawn_app, unique};

#[tokio::test]
async fn admin_creates_an_account_and_bad_input_keeps_the_form() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let (status, page) = admin.get_text("/admin/pengguna/baru").await;
    assert_eq!(status, 200);
    assert!(page.contains("<label for=\"username\">Nama pengguna</label>"));

    // everything wrong at once: each field says what
    let res = admin
        .post(
            "/admin/pengguna/baru",
            &[
                ("username", "X!"),
                ("display_name", "<b>Siti</b>"),
                ("role", "raja"),
                ("unit_id", ""),
                ("password", "pendek"),
                ("password_confirm", "pendek"),
            ],
        )
        .await;
    assert_eq!(res.status(), 400);
    let body = res.text().await.unwrap();
    assert!(body.contains("Nama pengguna 3 sampai 32 karakter."));
    assert!(body.contains("Pilih peran"));
    assert!(body.contains("Kata sandi minimal 12 karakter."));
    // input kept, escaped; the password is not
    assert!(
        body.contains("value=\"&#60;b&#62;Siti&#60;/b&#62;\"")
            || body.contains("value=\"&lt;b&gt;Siti&lt;/b&gt;\""),
        "{body}"
    );
    assert!(!body.contains("<b>Siti</b>"));
    assert!(!body.contains("value=\"pendek\""));

    let name = unique("siti");
    let fields = [
        ("username", name.as_str()),
        ("display_name", "Siti Aminah"),
        ("role", "penilai"),
        ("unit_id", "1"),
        ("password", PASSWORD),
        ("password_confirm", PASSWORD),
    ];
    let res = admin.post("/admin/pengguna/baru", &fields).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/admin/pengguna?pesan=pengguna-dibuat");
    let (_, list) = admin
        .get_text("/admin/pengguna?pesan=pengguna-dibuat")
        .await;
    assert!(list.contains("Akun pengguna telah dibuat."));
    assert!(
        list.contains(&name)
            && list.contains("Penilai (TPI)")
            && list.contains("Balai Penelitian Ternak")
    );

    // the same name again: 409, nothing added
    let res = admin.post("/admin/pengguna/baru", &fields).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("sudah dipakai"));
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE username = ?")
        .bind(&name)
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(n, 1);

    // the new account must choose its own password at first sign-in
    let s = app.sign_in(&name, PASSWORD).await.unwrap();
    let res = s.get("/katalog").await;
    assert_eq!(location(&res), "/akun/kata-sandi");
}

#[tokio::test]
async fn admin_edits_deactivates_and_resets_and_the_last_admin_stays() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let staff = app.signed_in("staf").await;
    let path = format!("/admin/pengguna/{}", staff.user_id);

    // promote to pimpinan, give a unit
    let res = admin
        .post(
            &path,
            &[
                ("display_name", "Staf Baru"),
                ("role", "pimpinan"),
                ("unit_id", "1"),
                ("active", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let role: String = sqlx::query_scalar("SELECT role FROM user_units WHERE user_id = ?")
        .bind(staff.user_id)
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(role, "pimpinan");
    assert_eq!(
        staff.get("/audit").await.status(),
        200,
        "the new role applies at once"
    );

    // empty name: 400, kept values, nothing saved
    let res = admin
        .post(
            &path,
            &[
                ("display_name", "  "),
                ("role", "staf"),
                ("unit_id", ""),
                ("active", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 400);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Nama lengkap wajib diisi.")
    );
    let role: String = sqlx::query_scalar("SELECT role FROM user_units WHERE user_id = ?")
        .bind(staff.user_id)
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(role, "pimpinan");

    // deactivate: their session ends at once
    let res = admin
        .post(
            &path,
            &[
                ("display_name", "Staf Baru"),
                ("role", "pimpinan"),
                ("unit_id", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(staff.get("/katalog").await.status(), 303);
    assert!(app.sign_in(&staff.username, PASSWORD).await.is_err());

    // the change is in the audit trail with before and after
    let (before, after): (String, String) = sqlx::query_as(
        "SELECT before_json, after_json FROM audit_log WHERE action = ? AND object_id = ?",
    )
    .bind(zi_tracker::audit::Action::UserDeactivated.as_str())
    .bind(staff.user_id)
    .fetch_one(app.db())
    .await
    .unwrap();
    assert!(before.contains("\"aktif\":true") && after.contains("\"aktif\":false"));

    // Only active admins: the seeded first admin (id 1) and ours. Deactivate id 1, then
    // try to remove ourselves too.
    let res = admin
        .post(
            "/admin/pengguna/1",
            &[
                ("display_name", "Administrator"),
                ("role", "admin"),
                ("unit_id", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let me = format!("/admin/pengguna/{}", admin.user_id);
    for fields in [
        vec![("display_name", "Saya"), ("role", "admin"), ("unit_id", "")],
        vec![
            ("display_name", "Saya"),
            ("role", "staf"),
            ("unit_id", ""),
            ("active", "1"),
        ],
    ] {
        let res = admin.post(&me, &fields).await;
        assert_eq!(res.status(), 409);
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("admin instansi aktif terakhir")
        );
    }
    let active_admins: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM users WHERE instansi_role = 'admin-instansi' AND active = 1",
    )
    .fetch_one(app.db())
    .await
    .unwrap();
    assert_eq!(active_admins, 1);

    // reset a password: must be changed at next sign-in
    let other = app.signed_in("penilai").await;
    let reset = format!("/admin/pengguna/{}/kata-sandi", other.user_id);
    let res = admin
        .post(
            &reset,
            &[("password", "pendek"), ("password_confirm", "pendek")],
        )
        .await;
    assert_eq!(res.status(), 400);
    let res = admin
        .post(
            &reset,
            &[
                ("password", "sementara-yang-panjang"),
                ("password_confirm", "sementara-yang-panjang"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(other.get("/katalog").await.status(), 303, "sessions ended");
    let s = app
        .sign_in(&other.username, "sementara-yang-panjang")
        .await
        .ok()
        .unwrap();
    assert_eq!(location(&s.get("/katalog").await), "/akun/kata-sandi");
}

#[tokio::test]
async fn user_list_is_paginated() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    for i in 1..=26 {
        zi_tracker::users::create(
            app.db(),
            &zi_tracker::audit::Actor::cli(),
            zi_tracker::users::NewUser {
                username: format!("akun-{i:02}"),
                display_name: format!("Akun {i:02}"),
                role: "staf".into(),
                units: vec![1],
                password: PASSWORD.into(),
                password_confirm: PASSWORD.into(),
                must_change_password: false,
                email: None,
            },
            true,
        )
        .await
        .unwrap();
    }
    // 28 accounts: "admin", the signed-in admin ("admin…") and akun-01…akun-26,
    // listed by user name, 25 a page.
    let names =
        |page: &str| crate::helpers::html::texts(page, "table.data tbody tr td:first-child");
    let (_, page1) = admin.get_text("/admin/pengguna").await;
    assert!(page1.contains("Halaman 1 dari 2"));
    assert!(page1.contains("href=\"/admin/pengguna?halaman=2\""));
    let first = names(&page1);
    assert_eq!(first.len(), 25);
    assert_eq!(first[0], "admin");
    assert_eq!(first[1], admin.username);
    assert_eq!(first[24], "akun-23");
    let (status, page2) = admin.get_text("/admin/pengguna?halaman=2").await;
    assert_eq!(status, 200);
    assert!(page2.contains("Halaman 2 dari 2"));
    assert_eq!(names(&page2), ["akun-24", "akun-25", "akun-26"]);
    // a page beyond the last shows the last
    let (_, page9) = admin.get_text("/admin/pengguna?halaman=9").await;
    assert_eq!(names(&page9), ["akun-24", "akun-25", "akun-26"]);
    assert_eq!(admin.get("/admin/pengguna/99999").await.status(), 404);
    assert_eq!(admin.get("/admin/pengguna/abc").await.status(), 404);
}

#[tokio::test]
async fn accounts_created_at_the_same_time_all_land() {
    let app = spawn_app().await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let db = app.db().clone();
        tasks.push(tokio::spawn(async move {
            zi_tracker::users::create(
                &db,
                &zi_tracker::audit::Actor::cli(),
                zi_tracker::users::NewUser {
                    username: format!("serentak{i}"),
                    display_name: format!("Serentak {i}"),
                    role: "staf".into(),
                    units: vec![1],
                    password: PASSWORD.into(),
                    password_confirm: PASSWORD.into(),
                    must_change_password: false,
                    email: None,
                },
                true,
            )
            .await
        }));
    }
    for t in tasks {
        assert!(
            t.await.unwrap().is_ok(),
            "no 'database is busy' under concurrent writes"
        );
    }
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE username LIKE 'serentak%'")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(n, 8);
}
