//! Many units on one server: isolation between units on every route, roles decided
//! per unit, the unit in the address and the switcher, and the command line.

use crate::access::{Outcome, TABLE, Who, call, may, sample};
use crate::helpers::{PASSWORD, TestApp, fingerprint, html, location, run_cli, spawn_app};

/// A second unit ("unitb", id 2) with the first unit's 2021 targets, one evidence
/// link on its first step and one staff member; returns (step, evidence, component,
/// area, indicator, user) of unit B.
async fn second_unit(app: &TestApp) -> (i64, i64, i64, i64, i64, i64) {
    let db = app.db();
    let actor = zi_tracker::audit::Actor::cli();
    let b = zi_tracker::tenant::add(db, &actor, "unitb", "Unit B", None)
        .await
        .unwrap();
    assert_eq!(b, 2);
    let a = zi_tracker::tenant::resolve_code(db, Some("balitnak"))
        .await
        .unwrap();
    let to = zi_tracker::tenant::resolve_code(db, Some("unitb"))
        .await
        .unwrap();
    zi_tracker::catalogue::copy_to_units(db, &actor, (&a, 2021), 2021, &[to])
        .await
        .unwrap();
    let (step, area, indicator, component): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT s.id, a.id, i.id, c.id FROM action_steps s JOIN indicators i ON i.id = s.indicator_id
         JOIN areas a ON a.id = i.area_id JOIN components c ON c.id = a.component_id
         WHERE c.unit_id = 2 ORDER BY s.id LIMIT 1",
    )
    .fetch_one(db)
    .await
    .unwrap();
    let (user, _) = app.create_user_in("staf", &[2]).await;
    sqlx::query("INSERT INTO step_assignments (step_id, user_id) VALUES (?, ?)")
        .bind(step)
        .bind(user)
        .execute(db)
        .await
        .unwrap();
    let evidence: i64 = sqlx::query_scalar(
        "INSERT INTO evidence (step_id, semester, kind, label, url, uploaded_by, uploaded_at)
         VALUES (?, 2, 'link', 'Bukti unit B', 'https://contoh.go.id/b', ?, '2021-08-01T00:00:00Z')
         RETURNING id",
    )
    .bind(step)
    .bind(user)
    .fetch_one(db)
    .await
    .unwrap();
    (step, evidence, component, area, indicator, user)
}

/// Routes addressed by an item id, and the id of unit B's item of that kind.
fn foreign_id(pattern: &str, ids: (i64, i64, i64, i64, i64, i64)) -> Option<i64> {
    let (step, evidence, component, _, _, user) = ids;
    if pattern.starts_with("/langkah/{id}") || pattern.starts_with("/admin/target/{jenis}/{id}") {
        Some(step)
    } else if pattern.starts_with("/bukti/{id}") {
        Some(evidence)
    } else if pattern == "/katalog/komponen/{id}" {
        Some(component)
    } else if pattern.starts_with("/admin/pengguna/{id}") {
        Some(user)
    } else {
        None
    }
}

#[tokio::test]
async fn every_route_as_each_role_of_one_unit_against_another_units_items_is_not_found() {
    let app = spawn_app().await;
    let ids = second_unit(&app).await;
    let (_, _, _, area, indicator, _) = ids;
    // every role of unit A (the first unit), none of them with a role in unit B
    let mut sessions = Vec::new();
    for role in ["admin-unit", "pimpinan", "staf", "penilai"] {
        sessions.push((role, app.signed_in(role).await));
    }
    let a_staff = sessions[2].1.user_id;
    let mut checked = 0;
    for (method, pattern, who) in TABLE {
        if matches!(who, Who::Public) || *pattern == "/logout" {
            continue;
        }
        let path = sample(&app, pattern, 0, 0).await;
        for (role, s) in &sessions {
            // the unit in the address: unit B is unknown to them, whatever the route
            let before = fingerprint(app.db()).await;
            let prefixed = format!("/u/unitb{path}");
            let (_, status) = call(&s.client, &app.base, method, &prefixed, &s.csrf).await;
            assert_eq!(status, 404, "{role} {method} {prefixed}");
            assert_eq!(
                fingerprint(app.db()).await,
                before,
                "{role} {method} {prefixed}"
            );
            // unit B's item by its id, from their own unit
            if let Some(id) = foreign_id(pattern, ids) {
                let path = pattern
                    .replace("{jenis}", "langkah")
                    .replace("{id}", &id.to_string());
                let (outcome, status) = call(&s.client, &app.base, method, &path, &s.csrf).await;
                if may(*who, role, method, pattern) {
                    assert_eq!(status, 404, "{role} {method} {path}");
                } else {
                    assert!(
                        matches!(outcome, Outcome::Forbidden) || status == 404,
                        "{role} {method} {path}: {status}"
                    );
                }
                assert_eq!(
                    fingerprint(app.db()).await,
                    before,
                    "{role} {method} {path}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 40, "{checked} id routes checked");
    // forms naming unit B's items from unit A: a new step under B's indicator, B's
    // area to A's staff member
    let admin = &sessions[0].1;
    let before = fingerprint(app.db()).await;
    let res = admin
        .post(
            "/admin/target/langkah/baru",
            &[
                ("parent_id", &indicator.to_string()),
                ("text", "Langkah titipan"),
                ("authority", "Unit kerja"),
            ],
        )
        .await;
    assert_eq!(res.status(), 404);
    let res = admin
        .post(
            "/penugasan/area",
            &[
                ("area_id", &area.to_string()),
                ("user_id", &a_staff.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), 404);
    // unit B's staff member is not unit A's: not offered, not assignable
    let a_step = app.step_id("I", 1, 1, 1).await;
    let res = admin
        .post(
            &format!("/langkah/{a_step}/pic"),
            &[
                ("periode", "2021-2"),
                ("user_id", &ids.5.to_string()),
                ("action", "tambah"),
            ],
        )
        .await;
    assert_eq!(res.status(), 400);
    assert_eq!(fingerprint(app.db()).await, before);
}

#[tokio::test]
async fn roles_are_decided_per_unit() {
    let app = spawn_app().await;
    let (b_step, _, _, _, _, _) = second_unit(&app).await;
    // one penilai in both units: the switcher, and each unit's queue and steps
    let (_, both) = app.create_user_in("penilai", &[1, 2]).await;
    let penilai = app.sign_in(&both, PASSWORD).await.unwrap();
    let (status, page) = penilai.get_text("/reviu").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Balai Penelitian Ternak"),
        "the first unit by default"
    );
    let options = html::texts(&page, "#pilih-unit option");
    assert_eq!(
        options,
        ["Balai Penelitian Ternak (balitnak)", "Unit B (unitb)"]
    );
    let res = penilai.get("/unit/pilih?kode=unitb").await;
    assert_eq!(location(&res), "/u/unitb/");
    let (status, page) = penilai
        .get_text(&format!("/u/unitb/langkah/{b_step}"))
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("Unit B"));
    // the session now shows unit B at plain addresses too
    let (_, page) = penilai.get_text("/katalog").await;
    assert!(page.contains("<span class=\"brand-unit\">Unit B"), "{page}");
    // a form of unit A posted after unit B was opened is refused, changing nothing
    let before = fingerprint(app.db()).await;
    let res = penilai
        .post(
            &format!("/langkah/{b_step}/reviu"),
            &[
                ("periode", "2021-2"),
                ("version", "1"),
                ("verdict", "diterima"),
            ],
        )
        .await;
    assert_eq!(res.status(), 403, "the token was bound to unit A");
    assert_eq!(fingerprint(app.db()).await, before);

    // a person with one unit sees no switcher and lands where they always did
    let staf = app.signed_in("staf").await;
    let (_, page) = staf.get_text("/tugas").await;
    assert!(!page.contains("pilih-unit"));
    assert_eq!(staf.get("/u/unitb/tugas").await.status(), 404);
    assert_eq!(staf.get(&format!("/langkah/{b_step}")).await.status(), 404);

    // the instansi's leader reads both units and changes nothing
    let leader = app.signed_in("pimpinan-instansi").await;
    assert_eq!(leader.get("/u/unitb/dashboard").await.status(), 200);
    assert_eq!(leader.get("/u/balitnak/dashboard").await.status(), 200);
    let (_, page) = leader.get_text("/u/unitb/katalog").await;
    let token = html::field_value(&page, "csrf_token").unwrap();
    // a form a unit's leader may send (PICs per area) is refused to them
    let before = fingerprint(app.db()).await;
    let res = leader
        .client
        .post(leader.url("/penugasan/area"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("area_id", "1"),
            ("user_id", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(fingerprint(app.db()).await, before);

    // a unit's admin manages their unit's accounts only
    let unit_admin = app.signed_in("admin-unit").await;
    let (_, page) = unit_admin.get_text("/admin/pengguna").await;
    assert!(
        !page.contains("admin-instansi"),
        "instansi accounts are not theirs"
    );
    assert!(page.contains(&staf.username));
    let roles = html::texts(&page, "table.data tbody tr td:nth-child(3)");
    assert!(!roles.iter().any(|r| r == "Admin instansi"));
    let name = crate::helpers::unique("stafbaru");
    let res = unit_admin
        .post(
            "/admin/pengguna/baru",
            &[
                ("username", name.as_str()),
                ("display_name", "Staf Baru"),
                ("role", "staf"),
                ("unit_id", "2"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), 400, "not in another unit");
    let res = unit_admin
        .post(
            "/admin/pengguna/baru",
            &[
                ("username", name.as_str()),
                ("display_name", "Staf Baru"),
                ("role", "admin-instansi"),
                ("unit_id", "1"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), 400, "no instansi roles");
    let res = unit_admin
        .post(
            "/admin/pengguna/baru",
            &[
                ("username", name.as_str()),
                ("display_name", "Staf Baru"),
                ("role", "staf"),
                ("unit_id", "1"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let held: Vec<(i64, String)> = sqlx::query_as(
        "SELECT uu.unit_id, uu.role FROM user_units uu JOIN users u ON u.id = uu.user_id
         WHERE u.username = ?",
    )
    .bind(&name)
    .fetch_all(app.db())
    .await
    .unwrap();
    assert_eq!(held, [(1, "staf".to_string())]);
    // the instansi admin's account is not found from a unit admin's pages
    assert_eq!(unit_admin.get("/admin/pengguna/1").await.status(), 404);
    // and the instansi's pages are not theirs
    assert_eq!(unit_admin.get("/admin/unit-kerja").await.status(), 403);
}

#[tokio::test]
async fn units_are_managed_from_the_command_line() {
    let app = spawn_app().await;
    let dir = app.data_dir();
    let dir = dir.to_str().unwrap();
    let ok = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--data-dir", dir]);
        let (st, out, err) = run_cli(&all, None);
        assert!(st.success(), "{args:?}: {err}");
        out
    };
    let fails = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--data-dir", dir]);
        let (st, _, err) = run_cli(&all, None);
        assert!(!st.success(), "{args:?} should fail");
        err
    };
    ok(&[
        "unit",
        "add",
        "--code",
        "bbpt",
        "--name",
        "Balai Besar Pascapanen",
    ]);
    ok(&[
        "unit",
        "add",
        "--code",
        "lolit",
        "--name",
        "Loka Penelitian",
        "--parent",
        "bbpt",
    ]);
    assert!(fails(&["unit", "add", "--code", "bbpt", "--name", "Lagi"]).contains("sudah dipakai"));
    assert!(fails(&["unit", "add", "--code", "Huruf Besar", "--name", "X"]).contains("tidak sah"));
    assert_eq!(
        ok(&["unit", "list"]),
        "balitnak\tBalai Penelitian Ternak\nbbpt\tBalai Besar Pascapanen\nlolit\tLoka Penelitian\n"
    );
    ok(&["unit", "rename", "--code", "lolit", "--name", "Loka Riset"]);
    assert!(ok(&["unit", "list"]).contains("lolit\tLoka Riset\n"));

    // with several units, commands about a unit's data need --unit
    assert!(fails(&["export", "targets", "--year", "2021"]).contains("--unit"));
    let csv = ok(&["export", "targets", "--year", "2021", "--unit", "balitnak"]);
    assert!(csv.lines().count() > 70);
    assert!(
        fails(&["export", "targets", "--year", "2021", "--unit", "bbpt"]).contains("tidak ada")
    );

    // the template unit's year to several units at once; assignments never across units
    assert!(
        fails(&[
            "targets",
            "copy",
            "--from",
            "2021",
            "--to",
            "2021",
            "--from-unit",
            "balitnak",
            "--to-units",
            "bbpt,lolit",
            "--with-assignments",
        ])
        .contains("--with-assignments")
    );
    let out = ok(&[
        "targets",
        "copy",
        "--from",
        "2021",
        "--to",
        "2021",
        "--from-unit",
        "balitnak",
        "--to-units",
        "bbpt,lolit",
    ]);
    assert!(out.contains("2 unit"), "{out}");
    assert_eq!(
        ok(&["export", "targets", "--year", "2021", "--unit", "bbpt"]),
        csv,
        "the same targets"
    );
    // all or none: one target unit that has the year refuses the whole copy
    ok(&["unit", "add", "--code", "baru", "--name", "Unit Baru"]);
    let before = fingerprint(app.db()).await;
    assert!(
        fails(&[
            "targets",
            "copy",
            "--from",
            "2021",
            "--to",
            "2021",
            "--from-unit",
            "balitnak",
            "--to-units",
            "baru,bbpt",
        ])
        .contains("bbpt")
    );
    assert_eq!(fingerprint(app.db()).await, before);

    // accounts with roles in one or several units, or instansi-wide
    let add = |args: &[&str]| {
        let mut all = vec!["user", "add"];
        all.extend(args);
        all.extend(["--password-stdin", "--data-dir", dir]);
        run_cli(&all, Some("sandi-yang-cukup-panjang\n"))
    };
    let (st, _, err) = add(&[
        "--username",
        "tpi.bersama",
        "--role",
        "penilai",
        "--units",
        "bbpt,lolit",
    ]);
    assert!(st.success(), "{err}");
    let (st, _, err) = add(&["--username", "ka.bbpt", "--role", "admin", "--unit", "bbpt"]);
    assert!(st.success(), "{err}");
    let (st, _, err) = add(&["--username", "irjen", "--role", "pimpinan-instansi"]);
    assert!(st.success(), "{err}");
    let (st, _, err) = add(&["--username", "tanpa.unit", "--role", "staf"]);
    assert!(!st.success() && err.contains("--unit"), "{err}");
    let (st, _, err) = add(&[
        "--username",
        "salah",
        "--role",
        "staf",
        "--unit",
        "tidak-ada",
    ]);
    assert!(!st.success() && err.contains("tidak ada"), "{err}");
    let list = ok(&["user", "list"]);
    assert!(list.contains("bbpt (penilai), lolit (penilai)"), "{list}");
    assert!(list.contains("pimpinan-instansi"));

    ok(&["unit", "retire", "--code", "baru"]);
    assert!(fails(&["unit", "retire", "--code", "baru"]).contains("sudah nonaktif"));
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE action LIKE 'work_unit%' ORDER BY id",
    )
    .fetch_all(app.db())
    .await
    .unwrap();
    assert_eq!(
        actions,
        [
            "work_unit_added",
            "work_unit_added",
            "work_unit_changed",
            "work_unit_added",
            "work_unit_retired"
        ]
    );
}

/// Units A (balitnak), B and C (under B) with hand-made 2021-2 data in B: one step
/// done (100 %), one at 50 % with a fix request, evidence on the first; an instansi
/// default deadline that has passed, B's own still ahead; one TPI answer in B's LKE.
async fn rollup_fixture(app: &TestApp) {
    let db = app.db();
    let actor = zi_tracker::audit::Actor::cli();
    zi_tracker::tenant::add(db, &actor, "unitb", "Unit B", None)
        .await
        .unwrap();
    zi_tracker::tenant::add(db, &actor, "unitc", "Unit C", Some("unitb"))
        .await
        .unwrap();
    let a = zi_tracker::tenant::resolve_code(db, Some("balitnak"))
        .await
        .unwrap();
    let b = zi_tracker::tenant::resolve_code(db, Some("unitb"))
        .await
        .unwrap();
    let c = zi_tracker::tenant::resolve_code(db, Some("unitc"))
        .await
        .unwrap();
    zi_tracker::catalogue::copy_to_units(db, &actor, (&a, 2021), 2021, &[b, c])
        .await
        .unwrap();
    let (staff, _) = app.create_user_in("staf", &[2]).await;
    let (tpi, _) = app.create_user_in("penilai", &[2]).await;
    let steps: Vec<i64> = sqlx::query_scalar(
        "SELECT s.id FROM action_steps s JOIN indicators i ON i.id = s.indicator_id
         JOIN areas a ON a.id = i.area_id JOIN components c ON c.id = a.component_id
         WHERE c.unit_id = 2 ORDER BY s.id LIMIT 2",
    )
    .fetch_all(db)
    .await
    .unwrap();
    for (step, status, realization) in [(steps[0], "selesai", 100), (steps[1], "berjalan", 50)] {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO progress (step_id, semester, version, status, realization, updated_by, updated_at)
             VALUES (?, 2, 1, ?, ?, ?, '2021-09-01T00:00:00Z') RETURNING id",
        )
        .bind(step)
        .bind(status)
        .bind(realization)
        .bind(staff)
        .fetch_one(db)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO progress_history (progress_id, version, status, realization, narrative, reason, changed_by, changed_at)
             VALUES (?, 1, ?, ?, '', '', ?, '2021-09-01T00:00:00Z')",
        )
        .bind(id)
        .bind(status)
        .bind(realization)
        .bind(staff)
        .execute(db)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO evidence (step_id, semester, kind, label, url, uploaded_by, uploaded_at)
         VALUES (?, 2, 'link', 'Bukti', 'https://contoh.go.id/x', ?, '2021-09-02T00:00:00Z')",
    )
    .bind(steps[0])
    .bind(staff)
    .execute(db)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO reviews (step_id, semester, progress_version, verdict, note, reviewer_id, reviewed_at)
         VALUES (?, 2, 1, 'perbaikan', 'Lengkapi', ?, '2021-09-03T00:00:00Z')",
    )
    .bind(steps[1])
    .bind(tpi)
    .execute(db)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO period_deadlines (unit_id, year, semester, deadline) VALUES
           (NULL, 2021, 2, '2021-12-31'), (2, 2021, 2, '2100-01-01')",
    )
    .execute(db)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO lke_answers (unit_id, year, question_id, side, version, answer, answered_by, answered_at)
         VALUES (2, 2026, 1, 'tpi', 1, 'Ya', ?, '2026-05-01T00:00:00Z')",
    )
    .bind(tpi)
    .execute(db)
    .await
    .unwrap();
}

fn rollup_rows(page: &str) -> Vec<Vec<String>> {
    let doc = html::parse(page);
    let tr = scraper::Selector::parse("table.data tbody tr").unwrap();
    let cell = scraper::Selector::parse("th, td").unwrap();
    doc.select(&tr)
        .map(|r| {
            r.select(&cell)
                .map(|c| {
                    c.text()
                        .collect::<Vec<_>>()
                        .join(" ")
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn the_rollup_counts_what_each_unit_holds_and_shows_it_to_whom_it_may() {
    let app = spawn_app().await;
    rollup_fixture(&app).await;
    // the TPI total of unit B as the unit's own LKE page computes it
    let dir = app.data_dir();
    let (st, out, err) = run_cli(
        &[
            "lke",
            "score",
            "--year",
            "2026",
            "--unit",
            "unitb",
            "--json",
            "--data-dir",
            dir.to_str().unwrap(),
        ],
        None,
    );
    assert!(st.success(), "{err}");
    let score: serde_json::Value = serde_json::from_str(&out).unwrap();
    let tpi_total = score["tpi"]["total"].as_f64().unwrap();
    assert!(tpi_total > 0.0);
    let tpi_label = format!("{tpi_total:.2}").replace('.', ",");

    let leader = app.signed_in("pimpinan-instansi").await;
    let (status, page) = leader
        .get_text("/instansi/rekap?periode=2021-2&lke=2026")
        .await;
    assert_eq!(status, 200);
    let rows = rollup_rows(&page);
    // code, unit (parent), steps, done, mean %, overdue, no evidence, to fix, TPI, own, readiness
    assert_eq!(
        rows,
        [
            vec![
                "balitnak",
                "Balai Penelitian Ternak",
                "74",
                "0",
                "0,0",
                "74",
                "74",
                "0",
                "—",
                "—",
                "—"
            ],
            vec![
                "unitb",
                "Unit B",
                "74",
                "1",
                "2,0",
                "0",
                "73",
                "1",
                &tpi_label,
                "0,00",
                "Belum memenuhi syarat WBK"
            ],
            vec![
                "unitc",
                "Unit C (unitb)",
                "74",
                "0",
                "0,0",
                "74",
                "74",
                "0",
                "—",
                "—",
                "—"
            ],
        ]
    );
    assert!(page.contains("href=\"/u/unitb/dashboard?periode=2021-2\""));
    // filters and sorting
    let codes = |page: &str| {
        rollup_rows(page)
            .into_iter()
            .map(|r| r[0].clone())
            .collect::<Vec<_>>()
    };
    let (_, page) = leader
        .get_text("/instansi/rekap?periode=2021-2&induk=unitb")
        .await;
    assert_eq!(codes(&page), ["unitb", "unitc"]);
    let (_, page) = leader
        .get_text("/instansi/rekap?periode=2021-2&kesiapan=kosong")
        .await;
    assert_eq!(codes(&page), ["balitnak", "unitc"]);
    let (_, page) = leader
        .get_text("/instansi/rekap?periode=2021-2&urut=tanpa_bukti&arah=naik")
        .await;
    assert_eq!(codes(&page), ["unitb", "balitnak", "unitc"]);
    let (_, page) = leader
        .get_text("/instansi/rekap?periode=2021-2&urut=perbaikan&arah=turun")
        .await;
    assert_eq!(codes(&page)[0], "unitb");
    assert!(page.contains("aria-sort=\"descending\""));
    // the same table as CSV and XLSX
    let res = leader
        .get("/instansi/rekap.csv?periode=2021-2&lke=2026&urut=kode")
        .await;
    assert_eq!(res.status(), 200);
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 4);
    assert!(lines[0].starts_with("Kode;Unit kerja;Unit induk;"));
    assert_eq!(
        lines[2],
        format!("unitb;Unit B;;74;1;2,0;0;73;1;{tpi_label};0,00;Belum memenuhi syarat WBK")
    );
    let res = leader
        .get("/instansi/rekap.xlsx?periode=2021-2&lke=2026")
        .await;
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap();
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let range = wb.worksheet_range("Rekap unit").unwrap();
    let row: Vec<String> = (0..12)
        .map(|c| {
            range
                .get_value((4, c))
                .map(|v| v.to_string())
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(row[0], "unitb");
    assert_eq!(row[3..9], ["74", "1", "2", "0", "73", "1"]);
    assert_eq!(row[11], "Belum memenuhi syarat WBK");

    // who sees it: the instansi's roles every unit; a penilai their units; nobody else
    for role in ["staf", "pimpinan", "admin-unit"] {
        let s = app.signed_in(role).await;
        assert_eq!(s.get("/instansi/rekap").await.status(), 403, "{role}");
        assert_eq!(s.get("/instansi/rekap.csv").await.status(), 403, "{role}");
    }
    let admin = app.signed_in("admin").await;
    let (_, page) = admin.get_text("/instansi/rekap?periode=2021-2").await;
    assert_eq!(codes(&page).len(), 3);
    let one = app.signed_in("penilai").await;
    let (_, page) = one.get_text("/instansi/rekap?periode=2021-2").await;
    assert_eq!(codes(&page), ["balitnak"]);
    let (_, both) = app.create_user_in("penilai", &[1, 2]).await;
    let both = app.sign_in(&both, PASSWORD).await.unwrap();
    let (_, page) = both.get_text("/instansi/rekap?periode=2021-2").await;
    assert_eq!(codes(&page), ["balitnak", "unitb"]);
    // and the review queues of both their units in one list, each in its unit
    let (status, page) = both.get_text("/reviu/semua").await;
    assert_eq!(status, 200);
    assert!(page.contains("Unit B (unitb)"));
    assert!(page.contains("href=\"/u/unitb/langkah/"), "{page}");
}

#[tokio::test]
async fn many_units_are_set_up_at_once_all_or_nothing() {
    let app = spawn_app().await;
    let actor = zi_tracker::audit::Actor::cli();
    for (code, name) in [
        ("bbpt", "BB Pascapanen"),
        ("lolit", "Loka Riset"),
        ("bptp", "BPTP"),
    ] {
        zi_tracker::tenant::add(app.db(), &actor, code, name, None)
            .await
            .unwrap();
    }
    let admin = app.signed_in("admin").await;

    // targets from the template unit to two units from the page; a third that already
    // has the year refuses the whole copy, keeping what was typed
    let res = admin
        .post(
            "/admin/unit-kerja/salin-target",
            &[
                ("dari_unit", "balitnak"),
                ("dari", "2021"),
                ("ke", "2021"),
                ("ke_unit", "bbpt lolit"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let per_unit: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT c.unit_id, count(*) FROM action_steps s JOIN indicators i ON i.id = s.indicator_id
         JOIN areas a ON a.id = i.area_id JOIN components c ON c.id = a.component_id
         WHERE c.year = 2021 GROUP BY c.unit_id ORDER BY c.unit_id",
    )
    .fetch_all(app.db())
    .await
    .unwrap();
    assert_eq!(per_unit, [(1, 74), (2, 74), (3, 74)]);
    let before = fingerprint(app.db()).await;
    let res = admin
        .post(
            "/admin/unit-kerja/salin-target",
            &[
                ("dari_unit", "balitnak"),
                ("dari", "2021"),
                ("ke", "2021"),
                ("ke_unit", "bptp, bbpt"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("bbpt sudah punya target tahun 2021"),
        "{page}"
    );
    assert_eq!(
        html::field_value(&page, "ke_unit").as_deref(),
        Some("bptp, bbpt")
    );
    assert_eq!(fingerprint(app.db()).await, before, "nothing copied");

    // accounts from a CSV: a bad file is reported by line and creates nothing
    let upload = |csv: &'static str| {
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", admin.csrf.clone())
            .part(
                "file",
                reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("akun.csv"),
            );
        admin
            .client
            .post(admin.url("/admin/pengguna/impor"))
            .multipart(form)
            .send()
    };
    let bad = "nama;username;peran;unit;email\n\
               Sari;sari;staf;bbpt;sari@contoh.go.id\n\
               Dua Kali;sari;staf;bbpt;\n\
               Tanpa Unit;tanpa;penilai;;\n\
               Salah Unit;salah;staf;tidak-ada;\n\
               Raja;raja;raja;bbpt;\n\
               Surel;surel;staf;bbpt;bukan surel\n";
    let res = upload(bad).await.unwrap();
    assert_eq!(res.status(), 400);
    let page = res.text().await.unwrap();
    let errors = html::texts(&page, "#ringkasan-galat li");
    assert_eq!(errors.len(), 5, "{errors:?}");
    for (line, what) in [
        (3, "sudah ada di baris lain"),
        (4, "isi kolom unit"),
        (5, "\"tidak-ada\""),
        (6, "\"raja\""),
        (7, "e-mail"),
    ] {
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with(&format!("Baris {line}:")) && e.contains(what)),
            "line {line}: {errors:?}"
        );
    }
    assert_eq!(fingerprint(app.db()).await, before, "no account made");

    let good = "nama;username;peran;unit;email\n\
                Sari Wulandari;sari;staf;bbpt;sari@contoh.go.id\n\
                Tim TPI Itjen;tpi.itjen;penilai;bbpt lolit;\n\
                Irjen;irjen;pimpinan-instansi;;\n";
    let res = upload(good).await.unwrap();
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    let shown = rollup_rows(&page);
    assert_eq!(shown.len(), 3);
    let password = shown[0][1].clone();
    assert_eq!(shown[0][0], "sari");
    assert!(password.len() >= 12);
    type Account = (String, Option<String>, Option<String>, Option<String>, bool);
    let roles: Vec<Account> = sqlx::query_as(
        "SELECT u.username, u.instansi_role, u.email,
                (SELECT group_concat(w.code || ':' || uu.role, ' ') FROM user_units uu
                   JOIN work_units w ON w.id = uu.unit_id WHERE uu.user_id = u.id),
                u.must_change_password
         FROM users u WHERE u.username IN ('sari', 'tpi.itjen', 'irjen') ORDER BY u.username",
    )
    .fetch_all(app.db())
    .await
    .unwrap();
    assert_eq!(roles[0].0, "irjen");
    assert_eq!(roles[0].1.as_deref(), Some("pimpinan-instansi"));
    assert_eq!(roles[1].2.as_deref(), Some("sari@contoh.go.id"));
    assert_eq!(roles[1].3.as_deref(), Some("bbpt:staf"));
    assert!(roles[2].3.as_deref().unwrap().contains("lolit:penilai"));
    assert!(
        roles.iter().all(|r| r.4),
        "every first password must be changed"
    );
    // the password shown works once, and must then be replaced
    let s = app.sign_in("sari", &password).await.unwrap();
    assert_eq!(location(&s.get("/tugas").await), "/akun/kata-sandi");

    // the same from the command line: the passwords on standard output
    let dir = app.data_dir();
    let file = dir.join("akun.csv");
    std::fs::write(&file, "nama,username,peran,unit\nBudi,budi,staf,lolit\n").unwrap();
    let (st, out, err) = run_cli(
        &[
            "user",
            "import",
            file.to_str().unwrap(),
            "--data-dir",
            dir.to_str().unwrap(),
        ],
        None,
    );
    assert!(st.success(), "{err}");
    assert!(out.lines().any(|l| l.starts_with("budi\t")), "{out}");
    std::fs::write(&file, "nama,username,peran,unit\nBudi,budi,staf,lolit\n").unwrap();
    let (st, _, err) = run_cli(
        &[
            "user",
            "import",
            file.to_str().unwrap(),
            "--data-dir",
            dir.to_str().unwrap(),
        ],
        None,
    );
    assert!(
        !st.success() && err.contains("Baris 2") && err.contains("sudah dipakai"),
        "{err}"
    );
}

#[tokio::test]
async fn with_many_units_the_header_links_to_a_searchable_chooser() {
    let app = spawn_app().await;
    let actor = zi_tracker::audit::Actor::cli();
    for n in 2..=25 {
        zi_tracker::tenant::add(
            app.db(),
            &actor,
            &format!("u{n:03}"),
            &format!("Unit {n:03}"),
            None,
        )
        .await
        .unwrap();
    }
    let admin = app.signed_in("admin").await;
    let (_, page) = admin.get_text("/katalog").await;
    assert!(
        !page.contains("id=\"pilih-unit\""),
        "no 25-option select in every header"
    );
    assert!(page.contains("href=\"/unit/pilih\""));
    let (status, page) = admin.get_text("/unit/pilih?cari=unit%2002").await;
    assert_eq!(status, 200);
    let listed = html::texts(&page, "ul.unit-list li a");
    assert_eq!(
        listed,
        [
            "Unit 020", "Unit 021", "Unit 022", "Unit 023", "Unit 024", "Unit 025"
        ]
    );
    let (_, page) = admin.get_text("/u/u021/admin/pengguna").await;
    assert!(page.contains("<span class=\"brand-unit\">Unit 021"));
}

/// Found by probing a running server with three units: the LKE answer history, the
/// evidence linked to an answer and the handover form reached past the unit.
#[tokio::test]
async fn lke_history_evidence_links_and_handover_stay_in_their_unit() {
    let app = spawn_app().await;
    let db = app.db();
    // both units get 2026 targets; one evidence link each on a 2026 step
    let (a_step, b_step) = crate::helpers::two_units_in_2026(&app).await;
    let (b_staff, _) = app.create_user_in("staf", &[2]).await;
    let evidence = |step: i64, label: &'static str| {
        sqlx::query_scalar::<_, i64>(
            "INSERT INTO evidence (step_id, semester, kind, label, url, uploaded_by, uploaded_at)
             VALUES (?, 1, 'link', ?, 'https://contoh.go.id/x', ?, '2026-03-01T00:00:00Z') RETURNING id",
        )
        .bind(step)
        .bind(label)
        .bind(b_staff)
        .fetch_one(db)
    };
    let a_evidence = evidence(a_step, "Bukti A").await.unwrap();
    let b_evidence = evidence(b_step, "Bukti B").await.unwrap();

    // unit A's admin answers question 1 with A's evidence
    let a_admin = app.signed_in("admin-unit").await;
    let res = a_admin
        .post(
            "/lke/2026/soal/1/jawaban",
            &[
                ("versi", "0"),
                ("jawaban", "Ya"),
                ("catatan", "catatan unit A"),
                ("bukti", &a_evidence.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    // unit B's admin answers the same question with B's evidence and a private note
    let (_, b_admin) = app.create_user_in("admin", &[2]).await;
    let b_admin = app.sign_in(&b_admin, PASSWORD).await.unwrap();
    let res = b_admin
        .post(
            "/lke/2026/soal/1/jawaban",
            &[
                ("versi", "0"),
                ("jawaban", "Tidak"),
                ("catatan", "RAHASIA UNIT B"),
                ("bukti", &b_evidence.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let links: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT a.unit_id, l.evidence_id FROM lke_answer_evidence l JOIN lke_answers a ON a.id = l.answer_id
         ORDER BY a.unit_id",
    )
    .fetch_all(db)
    .await
    .unwrap();
    assert_eq!(
        links,
        [(1, a_evidence), (2, b_evidence)],
        "each answer keeps its own"
    );
    let (_, page) = a_admin.get_text("/lke/2026/soal/1").await;
    assert!(page.contains("catatan unit A"));
    assert!(
        !page.contains("RAHASIA UNIT B"),
        "another unit's history is not shown"
    );

    // the handover form does not name (or accept) another unit's people
    let before = fingerprint(db).await;
    let res = a_admin
        .post(
            "/penugasan/alih",
            &[
                ("tahun", "2021"),
                ("from_user", &b_staff.to_string()),
                ("to_user", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 400);
    assert_eq!(fingerprint(db).await, before);
}

#[tokio::test]
async fn a_unit_is_retired_from_its_page_only_when_confirmed() {
    let app = spawn_app().await;
    zi_tracker::tenant::add(
        app.db(),
        &zi_tracker::audit::Actor::cli(),
        "bbpt",
        "BBPT",
        None,
    )
    .await
    .unwrap();
    let admin = app.signed_in("admin").await;
    let before = fingerprint(app.db()).await;
    let res = admin.post("/admin/unit-kerja/bbpt/nonaktif", &[]).await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text().await.unwrap().contains("Centang"),
        "the reason is shown"
    );
    assert_eq!(fingerprint(app.db()).await, before, "nothing retired");
    let res = admin
        .post("/admin/unit-kerja/bbpt/nonaktif", &[("yakin", "1")])
        .await;
    assert_eq!(res.status(), 303);
    let retired: bool =
        sqlx::query_scalar("SELECT retired_at IS NOT NULL FROM work_units WHERE code = 'bbpt'")
            .fetch_one(app.db())
            .await
            .unwrap();
    assert!(retired);
}
