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

    // a fellow admin of unit A cannot be demoted first and then taken over
    let (co_admin, co_name) = app.create_user_in("admin", &[1]).await;
    let res = admin_a
        .post(
            &format!("/admin/pengguna/{co_admin}"),
            &[("display_name", "x"), ("role", "staf"), ("unit_id", "1")],
        )
        .await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("hanya dapat dicabut"));
    let role: String =
        sqlx::query_scalar("SELECT role FROM user_units WHERE user_id = ? AND unit_id = 1")
            .bind(co_admin)
            .fetch_one(app.db())
            .await
            .unwrap();
    assert_eq!(role, "admin");
    let res = admin_a
        .post(
            &format!("/admin/pengguna/{co_admin}/kata-sandi"),
            &[
                ("password", "kata-sandi-penyerang-baru"),
                ("password_confirm", "kata-sandi-penyerang-baru"),
            ],
        )
        .await;
    assert_eq!(res.status(), 403);
    assert!(app.sign_in(&co_name, PASSWORD).await.is_ok());

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

async fn upload_workbook(s: &crate::helpers::Session, bytes: Vec<u8>) -> reqwest::Response {
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
        .post(s.url("/lke/2026/impor"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// A workbook whose sheet "Jawaban" holds `cells` (zero-based row, column, text).
fn sheet(cells: &[(u32, u16, &str)]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet().set_name("Jawaban").unwrap();
    for (r, c, t) in cells {
        ws.write_string(*r, *c, *t).unwrap();
    }
    wb.save_to_buffer().unwrap()
}

/// The same package with one part's text changed by `edit` (re-deflated).
fn with_part(xlsx: &[u8], name: &str, edit: impl Fn(&str) -> String) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut src = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    for i in 0..src.len() {
        let mut f = src.by_index(i).unwrap();
        let part = f.name().unwrap().to_string();
        let mut text = String::new();
        f.read_to_string(&mut text).unwrap();
        out.start_file(part.as_str(), opts).unwrap();
        let text = if part == name { edit(&text) } else { text };
        out.write_all(text.as_bytes()).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// The server still answers and nothing was stored: a refused import is a 400 with its
/// reason, not a dead process.
async fn refused(app: &TestApp, admin: &crate::helpers::Session, file: Vec<u8>, says: &str) {
    let before = crate::helpers::fingerprint(app.db()).await;
    let res = upload_workbook(admin, file).await;
    assert_eq!(res.status(), 400);
    let page = res.text().await.unwrap();
    assert!(page.contains(says), "{says}: {page}");
    assert_eq!(crate::helpers::fingerprint(app.db()).await, before);
    assert_eq!(admin.get("/lke/2026").await.status(), 200, "still serving");
}

/// Findings 2 and 3: a 15 KB sheet with cells at A1 and XFD1048576 asked for 512 GiB
/// and aborted the process; a small package inflating to hundreds of megabytes parsed
/// on the request's worker. Both are refused with their reason, before any range or
/// large allocation, and the server goes on.
#[tokio::test]
async fn sparse_and_inflating_workbooks_are_refused_with_their_reason() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;

    let sparse = sheet(&[(0, 0, "LEMBAR KERJA"), (1_048_575, 16_383, "x")]);
    assert!(sparse.len() < 20_000);
    refused(
        &app,
        &admin,
        sparse,
        "Jawaban!XFD1048576: sel di luar lembar kerja",
    )
    .await;

    // an answer column's cell far right of the master's columns is named too
    refused(
        &app,
        &admin,
        sheet(&[(5, 40, "ya")]),
        "Jawaban!AO6: sel di luar lembar kerja",
    )
    .await;

    // 20 MB of blanks inside the sheet's XML: a few tens of kilobytes zipped
    let inflating = with_part(&sheet(&[(5, 10, "ya")]), "xl/worksheets/sheet1.xml", |x| {
        x.replacen(
            "<sheetData>",
            &format!("<sheetData>{}", " ".repeat(20 << 20)),
            1,
        )
    });
    assert!(inflating.len() < 200_000, "{}", inflating.len());
    refused(&app, &admin, inflating, "terlalu besar setelah dibuka").await;

    // more shared strings than any worksheet needs
    let many = with_part(&sheet(&[(5, 10, "ya")]), "xl/sharedStrings.xml", |x| {
        x.replacen("<si>", &"<si><t>a</t></si>".repeat(60_000), 1)
    });
    refused(&app, &admin, many, "lebih dari 50000 teks").await;

    // a table claiming four billion strings (the reader reserved memory for them)
    let claims = with_part(&sheet(&[(5, 10, "ya")]), "xl/sharedStrings.xml", |x| {
        let at = x.find("uniqueCount=\"").unwrap() + "uniqueCount=\"".len();
        let end = at + x[at..].find('"').unwrap();
        format!("{}4000000000{}", &x[..at], &x[end..])
    });
    refused(&app, &admin, claims, "lebih dari 50000 teks").await;

    // a proper workbook is still imported
    let m = zi_tracker::lke::store::load_master(app.db(), 2026)
        .await
        .unwrap()
        .unwrap();
    let row = u32::try_from(m.question(1).unwrap().excel_row - 1).unwrap();
    let res = upload_workbook(&admin, sheet(&[(row, 10, "ya")])).await;
    assert_eq!(res.status(), 303);
}

/// Finding 4: an answer form carrying ~140,000 evidence ids was de-duplicated in
/// quadratic time on the async worker, and `/langkah/{id}/soal` had the same shape.
/// A list longer than a page can offer is refused with a message, nothing stored.
#[tokio::test]
async fn id_lists_longer_than_a_page_offers_are_refused() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let before = crate::helpers::fingerprint(app.db()).await;

    let many: Vec<String> = (1..=2_000).map(|i| i.to_string()).collect();
    let mut form: Vec<(&str, &str)> = vec![
        ("csrf_token", admin.csrf.as_str()),
        ("versi", "0"),
        ("jawaban", "ya"),
        ("catatan", "catatan"),
        ("bukti_teks", ""),
    ];
    form.extend(many.iter().map(|v| ("bukti", v.as_str())));
    let res = admin
        .client
        .post(admin.url("/lke/2026/soal/1/jawaban"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Paling banyak 500 bukti dukung dapat dipilih"),
        "{page}"
    );

    let step = app.step_id("I", 1, 1, 1).await;
    let soal = (1..=400)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(";");
    let res = admin
        .post(
            &format!("/langkah/{step}/soal"),
            &[("soal", &soal), ("periode", "2021-2")],
        )
        .await;
    assert_eq!(res.status(), 400);
    let page = res.text().await.unwrap();
    assert!(page.contains("paling banyak 300 soal"), "{page}");
    assert_eq!(crate::helpers::fingerprint(app.db()).await, before);
}
