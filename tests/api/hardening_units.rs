//! The second outside attack's findings on accounts shared between units, the workbook
//! import and id lists in forms: one behaviour each.

use crate::helpers::{PASSWORD, TestApp, spawn_app};

/// Adds unit B (id 2) and returns its id.
async fn unit_b(app: &TestApp) -> i64 {
    let b = zi_tracker::tenant::add(
        app.db(),
        &zi_tracker::audit::Actor::cli(),
        "unitb",
        "Unit B",
        None,
    )
    .await
    .unwrap();
    assert_eq!(b, 2);
    b
}

async fn account(app: &TestApp, id: i64) -> (String, Option<String>, bool) {
    sqlx::query_as("SELECT display_name, email, active FROM users WHERE id = ?")
        .bind(id)
        .fetch_one(app.db())
        .await
        .unwrap()
}

/// Finding 1: through a person who is staf in unit A and admin in unit B, A's admin
/// reset the password and became B's admin; through the evaluator of every unit, A's
/// admin set the trusted address to their own. A unit admin now changes only the role
/// in their unit of an account that is not wholly theirs, and every unit the account
/// belongs to sees the change in its audit trail.
#[tokio::test]
async fn a_unit_admin_changes_only_the_role_of_an_account_shared_with_another_unit() {
    let app = spawn_app().await;
    let b = unit_b(&app).await;
    let admin_a = app.signed_in("admin-unit").await;
    // staf in A, admin in B
    let (both, both_name) = app.create_user_in("staf", &[1]).await;
    sqlx::query("INSERT INTO user_units (user_id, unit_id, role) VALUES (?, ?, 'admin')")
        .bind(both)
        .bind(b)
        .execute(app.db())
        .await
        .unwrap();
    let (evaluator, evaluator_name) = app.create_user_in("penilai", &[1, b]).await;
    let (local, local_name) = app.create_user_in("staf", &[1]).await;

    for (id, name) in [(both, &both_name), (evaluator, &evaluator_name)] {
        let before = account(&app, id).await;
        let path = format!("/admin/pengguna/{id}");
        let (status, page) = admin_a.get_text(&path).await;
        assert_eq!(status, 200, "the role in unit A stays manageable");
        assert!(page.contains("juga memiliki peran di unit lain"), "{page}");
        assert!(!page.contains("name=\"display_name\""), "name is read-only");
        assert!(
            !page.contains(&format!("{path}/kata-sandi\"")),
            "no reset form"
        );

        let res = admin_a
            .post(
                &format!("{path}/kata-sandi"),
                &[
                    ("password", "kata-sandi-penyerang-baru"),
                    ("password_confirm", "kata-sandi-penyerang-baru"),
                ],
            )
            .await;
        assert_eq!(res.status(), 403, "reset refused for {name}");
        assert!(res.text().await.unwrap().contains("admin instansi"));
        assert!(
            app.sign_in(name, PASSWORD).await.is_ok(),
            "the old password still works"
        );
        assert!(
            app.sign_in(name, "kata-sandi-penyerang-baru")
                .await
                .is_err()
        );

        let res = admin_a.post(&format!("{path}/buka-kunci"), &[]).await;
        assert_eq!(res.status(), 403, "unlock refused for {name}");

        // a forged edit: name, trusted address and deactivation are not taken
        let role = if id == both { "staf" } else { "penilai" };
        let res = admin_a
            .post(
                &path,
                &[
                    ("display_name", "Diambil Alih"),
                    ("email", "penyerang@contoh.go.id"),
                    ("role", role),
                    ("unit_id", "1"),
                ],
            )
            .await;
        assert_eq!(res.status(), 303);
        assert_eq!(account(&app, id).await, before, "{name} unchanged");
        let sessions: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions WHERE user_id = ?")
            .bind(id)
            .fetch_one(app.db())
            .await
            .unwrap();
        assert!(sessions > 0, "not deactivated: sessions kept");
    }

    // the role in A is still A's admin's to change, and B's trail shows it
    let res = admin_a
        .post(
            &format!("/admin/pengguna/{both}"),
            &[
                ("display_name", "x"),
                ("role", "pimpinan"),
                ("unit_id", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let roles: Vec<(i64, String)> =
        sqlx::query_as("SELECT unit_id, role FROM user_units WHERE user_id = ? ORDER BY unit_id")
            .bind(both)
            .fetch_all(app.db())
            .await
            .unwrap();
    assert_eq!(roles, vec![(1, "pimpinan".into()), (b, "admin".into())]);
    let in_b: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE object_type = 'user' AND object_id = ? AND unit_id = ?",
    )
    .bind(both)
    .bind(b)
    .fetch_one(app.db())
    .await
    .unwrap();
    assert!(in_b >= 1, "unit B's audit trail shows the change");

    // an account wholly of unit A stays A's admin's: name and password
    let res = admin_a
        .post(
            &format!("/admin/pengguna/{local}"),
            &[
                ("display_name", "Nama Baru"),
                ("role", "staf"),
                ("unit_id", "1"),
                ("active", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(account(&app, local).await.0, "Nama Baru");
    let res = admin_a
        .post(
            &format!("/admin/pengguna/{local}/kata-sandi"),
            &[
                ("password", "kata-sandi-baru-unit-a"),
                ("password_confirm", "kata-sandi-baru-unit-a"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert!(
        app.sign_in(&local_name, "kata-sandi-baru-unit-a")
            .await
            .is_ok()
    );
}

/// An instansi admin's change to an account of two units is in both units' trails.
#[tokio::test]
async fn an_account_change_is_audited_in_every_unit_of_the_account() {
    let app = spawn_app().await;
    let b = unit_b(&app).await;
    let admin = app.signed_in("admin").await;
    let (evaluator, _) = app.create_user_in("penilai", &[1, b]).await;
    let res = admin
        .post(
            &format!("/admin/pengguna/{evaluator}/kata-sandi"),
            &[
                ("password", "kata-sandi-instansi-baru"),
                ("password_confirm", "kata-sandi-instansi-baru"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let units: Vec<Option<i64>> = sqlx::query_scalar(
        "SELECT unit_id FROM audit_log WHERE action = ? AND object_id = ? ORDER BY unit_id",
    )
    .bind(zi_tracker::audit::Action::PasswordReset.as_str())
    .bind(evaluator)
    .fetch_all(app.db())
    .await
    .unwrap();
    assert!(
        units.contains(&Some(1)) && units.contains(&Some(b)),
        "{units:?}"
    );
}
