//! The upgrade from the single-unit release: a data dir it wrote (demo data with
//! progress, evidence, reviews, LKE answers and the audit trail) is opened by this
//! release, and every page, export and evidence download it showed then is compared
//! with what this release shows now. The fixture and how it was made:
//! `tests/data/upgrade-capture.py`.

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::helpers::{TestApp, config};

const DEMO_PASSWORD: &str = "Rahasia-demo-123";
/// The address the old release served the fixture at when its pages were captured.
const CAPTURED_AT: &str = "http://127.0.0.1:3917";

/// Row counts of every table of the old database, read before the upgrade.
async fn counts(db: &Path) -> BTreeMap<String, i64> {
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .connect_with(
            sqlx::sqlite::SqliteConnectOptions::new()
                .filename(db)
                .read_only(true),
        )
        .await
        .unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
           AND name NOT IN ('_sqlx_migrations', 'sessions', 'login_attempts')",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut out = BTreeMap::new();
    for t in tables {
        let n: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM \"{t}\"")))
                .fetch_one(&pool)
                .await
                .unwrap();
        out.insert(t, n);
    }
    pool.close().await;
    out
}

/// What a page says, for comparing two releases: its main heading and the text of
/// every table cell, row by row, whitespace collapsed.
fn content(page: &str) -> (String, Vec<Vec<String>>) {
    let doc = scraper::Html::parse_document(page);
    let text = |e: scraper::ElementRef| e.text().collect::<Vec<_>>().join(" ");
    // the print date ("dicetak 30 November 2026") is the day the page is made, not data
    let squash = |s: String| {
        let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
        match s.find(" · dicetak ") {
            Some(at) => format!("{} · dicetak (tanggal)", &s[..at]),
            None => s,
        }
    };
    let h1 = doc
        .select(&scraper::Selector::parse("main h1").unwrap())
        .next()
        .map(|e| squash(text(e)))
        .unwrap_or_default();
    let rows = doc
        .select(&scraper::Selector::parse("main table tr").unwrap())
        .map(|tr| {
            tr.select(&scraper::Selector::parse("th, td").unwrap())
                .map(|c| squash(text(c)))
                .collect()
        })
        .collect();
    (h1, rows)
}

#[tokio::test]
async fn a_single_unit_data_dir_upgrades_losing_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/upgrade-2026-11.tgz");
    let st = std::process::Command::new("tar")
        .arg("xzf")
        .arg(&fixture)
        .arg("-C")
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(st.success());
    let data = dir.path().join("data");
    let golden = dir.path().join("golden");
    let before = counts(&data.join("zi-tracker.db")).await;
    assert!(before["progress_history"] > 1000 && before["evidence"] > 300);
    assert!(before["lke_answers"] == 254 && before["reviews"] > 0 && before["audit_log"] > 0);

    let running = zi_tracker::start(config(data.clone())).await.unwrap();
    assert!(
        running.initial_admin_password.is_none(),
        "the old admin is the instansi's admin: no new first-run account"
    );
    let app = TestApp {
        base: format!("http://{}", running.addr),
        initial_admin_password: None,
        dir,
        server: Some(running),
    };

    // every row is still there, in the one unit the data belonged to
    let after = counts(&data.join("zi-tracker.db")).await;
    for (table, n) in &before {
        if table == "audit_log" {
            // the upgrade itself writes nothing; starting may (never less)
            assert!(after[table] >= *n, "{table}");
        } else {
            assert_eq!(after.get(table), Some(n), "{table}");
        }
    }
    let units: Vec<(i64, String, String)> = sqlx::query_as("SELECT id, code, name FROM work_units")
        .fetch_all(app.db())
        .await
        .unwrap();
    assert_eq!(
        units,
        [(
            1,
            "balitnak".to_string(),
            "Balai Penelitian Ternak".to_string()
        )]
    );
    let instansi: String = sqlx::query_scalar("SELECT name FROM instansi")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(instansi, "Kementerian Pertanian");
    // roles: the admin became the instansi's admin; the others keep theirs in the unit
    let roles: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT u.username, u.instansi_role, uu.role FROM users u
         LEFT JOIN user_units uu ON uu.user_id = u.id AND uu.unit_id = 1 ORDER BY u.username",
    )
    .fetch_all(app.db())
    .await
    .unwrap();
    let role_of = |name: &str| {
        roles
            .iter()
            .find(|(u, _, _)| u == name)
            .map(|(_, i, r)| (i.clone(), r.clone()))
            .unwrap()
    };
    assert_eq!(role_of("admin-demo"), (Some("admin-instansi".into()), None));
    assert_eq!(role_of("pimpinan"), (None, Some("pimpinan".into())));
    assert_eq!(role_of("penilai"), (None, Some("penilai".into())));
    assert_eq!(role_of("staf01"), (None, Some("staf".into())));
    let unassigned: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM users u WHERE u.instansi_role IS NULL
           AND NOT EXISTS (SELECT 1 FROM user_units uu WHERE uu.user_id = u.id)",
    )
    .fetch_one(app.db())
    .await
    .unwrap();
    assert_eq!(unassigned, 0, "every account has a role somewhere");

    // the same person signs in with the same password and sees the same things
    let admin = app.sign_in("admin-demo", DEMO_PASSWORD).await.unwrap();
    let manifest = std::fs::read_to_string(golden.join("manifest.txt")).unwrap();
    let (mut pages, mut files, mut evidence, mut rows) = (0, 0, 0, 0);
    for line in manifest.lines() {
        let mut parts = line.splitn(3, '\t');
        let (kind, name, path) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        let res = admin.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        let body = res.bytes().await.unwrap();
        match kind {
            "sha256" => {
                let digest: String = Sha256::digest(&body)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                assert_eq!(digest, name, "evidence {path}");
                evidence += 1;
            }
            "file" => {
                // without a public address, evidence links name the address served on
                let old = String::from_utf8(std::fs::read(golden.join(name)).unwrap())
                    .unwrap()
                    .replace(CAPTURED_AT, "http://127.0.0.1:0");
                assert!(old.as_bytes() == body.as_ref(), "export {path} changed");
                files += 1;
            }
            _ => {
                let old = std::fs::read_to_string(golden.join(name)).unwrap();
                let new = String::from_utf8(body.to_vec()).unwrap();
                let (old_h1, old_rows) = content(&old);
                let (new_h1, new_rows) = content(&new);
                assert_eq!(new_h1, old_h1, "{path}");
                rows += old_rows.len();
                match path {
                    // accounts now show roles per unit: the people are the same
                    "/admin/pengguna" => {
                        let people = |rows: &[Vec<String>]| {
                            rows.iter()
                                .map(|r| r.iter().take(2).cloned().collect::<Vec<_>>())
                                .collect::<Vec<_>>()
                        };
                        assert_eq!(people(&new_rows), people(&old_rows), "{path}");
                    }
                    // the deadline form gained the instansi default: the dates are the same
                    "/admin/periode" => {
                        let dates = |rows: &[Vec<String>]| {
                            rows.iter()
                                .map(|r| r.iter().take(3).cloned().collect::<Vec<_>>())
                                .collect::<Vec<_>>()
                        };
                        assert_eq!(dates(&new_rows), dates(&old_rows), "{path}");
                    }
                    // the trail gained this sign-in; everything it held is still listed
                    "/audit" => {
                        for row in old_rows.iter().filter(|r| !r.iter().any(|c| c == "Masuk")) {
                            assert!(new_rows.contains(row), "audit row {row:?} is gone");
                        }
                    }
                    _ => assert_eq!(new_rows, old_rows, "{path}"),
                }
                pages += 1;
            }
        }
    }
    assert_eq!((pages, files, evidence), (56, 4, 383));
    assert!(rows > 1000, "{rows} table rows compared");
    let mut app = app;
    app.stop().await;
}
