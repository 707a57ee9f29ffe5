//! Evaluator links and the data dir's secrets: an opened link is audited once per
//! address and hour, links obey the year's current `links_until` and the unit's
//! proposal, the data dir is readable by its owner only, and the link-signing key lives
//! in a file beside the database (moved there from an older database), not in it.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use serde_json::Value;
use zi_tracker::clock::Clock;

use crate::helpers::{Session, TestApp, config, files_under, fingerprint, pdf_bytes, run_cli};

/// Where this release keeps the link-signing key.
const KEY_FILE: &str = "evaluator-links.key";

/// Mid-June 2026 in Jakarta: the year's links (valid to its end by default) are open.
const NOW: &str = "2026-06-15T03:00:00Z";

/// A server on a pinned clock (moved by the test) that trusts `X-Forwarded-For`, so a
/// test can open a link from two addresses.
async fn app_at(clock: &Clock) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path().join("data"));
    c.clock = clock.clone();
    c.trust_proxy = true;
    let running = zi_tracker::start(c).await.unwrap();
    TestApp {
        base: format!("http://{}", running.addr),
        initial_admin_password: None,
        dir,
        server: Some(running),
    }
}

/// Starts a server again on the same data dir, with the same clock.
async fn restart_at(app: &mut TestApp, clock: &Clock) {
    app.stop().await;
    let mut c = config(app.data_dir());
    c.clock = clock.clone();
    c.trust_proxy = true;
    let running = zi_tracker::start(c).await.unwrap();
    app.base = format!("http://{}", running.addr);
    app.server = Some(running);
}

/// Balitnak proposed for 2026 with an answer (and its evidence) to question 1; the
/// instansi admin, signed in.
async fn proposed(app: &TestApp) -> Session {
    let admin = app.signed_in("admin").await;
    let (pic, _) = app.create_user_in("staf", &[1]).await;
    sqlx::query(
        "INSERT INTO lke_answers (unit_id, year, question_id, side, version, answer, note, evidence, answered_by, answered_at) VALUES
           (1, 2026, 1, 'unit', 1, 'Ya', 'Tim sudah ada', 'https://contoh.go.id/sk', ?, '2026-04-01T00:00:00Z')",
    )
    .bind(pic)
    .execute(app.db())
    .await
    .unwrap();
    let res = admin
        .post(
            "/admin/portalrb/usul",
            &[("tahun", "2026"), ("unit", "balitnak"), ("kategori", "WBK")],
        )
        .await;
    assert_eq!(res.status(), 303);
    admin
}

/// The evidence link of question 1 exactly as PortalRB receives it (the admin's
/// download of the same JSON; without a public address it starts at the path).
async fn link(admin: &Session) -> String {
    let res = admin.get("/admin/portalrb/2026/balitnak/json").await;
    assert_eq!(res.status(), 200);
    let body: Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
    let answers = body["answers"].as_array().unwrap();
    let first = answers.iter().find(|a| a["soal_id"] == 1).unwrap();
    first["bukti_dukung_unit"].as_str().unwrap().to_string()
}

async fn open(app: &TestApp, path: &str, from: &str) -> (u16, String) {
    let res = app
        .client()
        .get(app.url(path))
        .header("x-forwarded-for", from)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn openings(app: &TestApp) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT coalesce(ip, ''), summary FROM audit_log
         WHERE action = ? ORDER BY id",
    )
    .bind(zi_tracker::audit::Action::PortalrbEvidenceOpened.as_str())
    .fetch_all(app.db())
    .await
    .unwrap()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Every folder under (and including) `root` is 0700 and every file 0600.
fn private_tree(root: &Path) -> Vec<String> {
    let mut wrong = Vec::new();
    if mode(root) != 0o700 {
        wrong.push(format!("{}: {:o}", root.display(), mode(root)));
    }
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            let (m, want) = if p.is_dir() {
                stack.push(p.clone());
                (mode(&p), 0o700)
            } else {
                (mode(&p), 0o600)
            };
            if m != want {
                wrong.push(format!("{}: {m:o}", p.display()));
            }
        }
    }
    wrong
}

/// Whether `needle` occurs in any file under `root` (the database, its WAL, a backup).
fn anywhere_under(root: &Path, needle: &str) -> Vec<String> {
    files_under(root)
        .into_iter()
        .filter(|p| {
            let bytes = std::fs::read(p).unwrap_or_default();
            bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
        })
        .map(|p| p.display().to_string())
        .collect()
}

/// The database files (with WAL and shared memory) under `data` that hold `needle`.
fn in_database(data: &Path, needle: &str) -> Vec<String> {
    anywhere_under(data, needle)
        .into_iter()
        .filter(|p| p.contains("zi-tracker.db"))
        .collect()
}

#[tokio::test]
async fn an_evaluator_link_opened_again_and_again_is_audited_once_per_address_and_hour() {
    let clock = Clock::manual(NOW.parse().unwrap());
    let app = app_at(&clock).await;
    let admin = proposed(&app).await;
    let link = link(&admin).await;

    for _ in 0..5 {
        let (status, page) = open(&app, &link, "198.51.100.7").await;
        assert_eq!(status, 200);
        assert!(page.contains("Tim sudah ada"));
    }
    assert_eq!(
        openings(&app).await.len(),
        1,
        "five openings in an hour from one address: one entry"
    );
    // another address in the same hour: its own entry
    assert_eq!(open(&app, &link, "203.0.113.9").await.0, 200);
    assert_eq!(open(&app, &link, "203.0.113.9").await.0, 200);
    // the next hour: the first address again
    clock.advance(chrono::Duration::hours(1));
    assert_eq!(open(&app, &link, "198.51.100.7").await.0, 200);
    assert_eq!(open(&app, &link, "198.51.100.7").await.0, 200);
    let ips: Vec<String> = openings(&app).await.into_iter().map(|(ip, _)| ip).collect();
    assert_eq!(ips, ["198.51.100.7", "203.0.113.9", "198.51.100.7"]);
}

#[tokio::test]
async fn moving_links_until_earlier_revokes_the_links_already_given_out() {
    let clock = Clock::manual(NOW.parse().unwrap());
    let app = app_at(&clock).await;
    let admin = proposed(&app).await;
    let issued = link(&admin).await;
    assert!(issued.contains("sampai=2026-12-31"), "{issued}");

    let res = admin
        .post(
            "/admin/portalrb/jendela",
            &[
                ("tahun", "2026"),
                ("dari", "2026-05-01"),
                ("sampai", "2026-06-30"),
                ("tautan_sampai", "2026-06-15"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        open(&app, &issued, "198.51.100.7").await.0,
        200,
        "today: still valid"
    );
    clock.advance(chrono::Duration::days(1));
    let (status, page) = open(&app, &issued, "198.51.100.7").await;
    assert_eq!(
        status, 403,
        "the link says 31 December, the year now says 15 June"
    );
    assert!(page.contains("Tautan tidak berlaku") && !page.contains("Tim sudah ada"));
}

#[tokio::test]
async fn a_links_until_already_past_is_refused_on_the_form() {
    let clock = Clock::manual(NOW.parse().unwrap());
    let app = app_at(&clock).await;
    let admin = proposed(&app).await;
    let before = fingerprint(app.db()).await;

    let res = admin
        .post(
            "/admin/portalrb/jendela",
            &[
                ("tahun", "2026"),
                ("dari", "2026-05-01"),
                ("sampai", "2026-06-30"),
                ("tautan_sampai", "2026-06-14"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("sudah lewat"), "{page}");
    assert_eq!(
        crate::helpers::html::field_value(&page, "tautan_sampai").as_deref(),
        Some("2026-06-14"),
        "the date typed is kept"
    );
    assert_eq!(fingerprint(app.db()).await, before, "nothing written");
    // a link issued now still runs to the year's end
    assert!(link(&admin).await.contains("sampai=2026-12-31"));
}

#[tokio::test]
async fn a_link_to_a_unit_no_longer_proposed_that_year_is_refused() {
    let clock = Clock::manual(NOW.parse().unwrap());
    let app = app_at(&clock).await;
    let admin = proposed(&app).await;
    let issued = link(&admin).await;
    assert_eq!(open(&app, &issued, "198.51.100.7").await.0, 200);

    sqlx::query("DELETE FROM portalrb_proposals WHERE year = 2026")
        .execute(app.db())
        .await
        .unwrap();
    let (status, page) = open(&app, &issued, "198.51.100.7").await;
    assert_eq!(status, 403);
    assert!(!page.contains("Tim sudah ada"));
}

#[tokio::test]
async fn the_data_dir_and_its_backups_are_readable_by_the_owner_only() {
    let mut app = crate::helpers::spawn_app().await;
    let staf = app.signed_in("staf").await;
    let step = app.step_id("I", 1, 1, 1).await;
    app.assign(step, staf.user_id).await;
    assert_eq!(
        staf.upload(step, "2021-2", "sk.pdf", pdf_bytes("izin"), None)
            .await
            .status(),
        303
    );
    let data = app.data_dir();
    assert!(
        files_under(&data.join("evidence"))
            .iter()
            .any(|p| p.extension().is_some_and(|e| e == "pdf")),
        "the upload is stored"
    );
    assert_eq!(private_tree(&data), Vec::<String>::new());

    // a backup, taken while the server runs
    let backup = app.dir.path().join("cadangan");
    let (st, _, err) = run_cli(
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
    assert_eq!(private_tree(&backup), Vec::<String>::new());

    // a data dir left open by an older release is closed at the next start
    app.stop().await;
    let mut stack = vec![data.clone()];
    while let Some(dir) = stack.pop() {
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                std::fs::set_permissions(e.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
            }
        }
    }
    app.restart().await;
    assert_eq!(private_tree(&data), Vec::<String>::new());
}

#[tokio::test]
async fn the_link_signing_key_is_a_private_file_beside_the_database_and_not_in_it_or_a_backup() {
    let clock = Clock::manual(NOW.parse().unwrap());
    let app = app_at(&clock).await;
    let admin = proposed(&app).await;
    let issued = link(&admin).await;
    assert_eq!(open(&app, &issued, "198.51.100.7").await.0, 200);

    let data = app.data_dir();
    let key_file = data.join(KEY_FILE);
    let key = std::fs::read_to_string(&key_file)
        .unwrap_or_else(|e| panic!("{}: {e}", key_file.display()));
    let key = key.trim();
    assert!(key.len() >= 32, "a long random key");
    assert_eq!(mode(&key_file), 0o600);
    let until = chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
    assert_eq!(
        zi_tracker::portalrb::evidence::path(key, "balitnak", 2026, 1, until),
        issued,
        "the file's key signs the links"
    );
    let in_db: i64 = sqlx::query_scalar("SELECT count(*) FROM portalrb_secret")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(in_db, 0, "no key in the database");
    sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
        .execute(app.db())
        .await
        .unwrap();
    assert_eq!(
        anywhere_under(&data.join("evidence"), key),
        Vec::<String>::new()
    );
    let db_files = in_database(&data, key);
    assert_eq!(
        db_files,
        Vec::<String>::new(),
        "the database never holds the key"
    );

    // a backup carries no key: a copy that leaks cannot sign links
    let backup = app.dir.path().join("cadangan");
    let (st, _, err) = run_cli(
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
    assert_eq!(anywhere_under(&backup, key), Vec::<String>::new());
}

#[tokio::test]
async fn an_older_data_dir_moves_its_key_out_of_the_database_and_its_links_keep_working() {
    let clock = Clock::manual(NOW.parse().unwrap());
    let mut app = app_at(&clock).await;
    let _admin = proposed(&app).await;
    app.stop().await;
    // the state an older release left: the key in the database, no key file
    let data = app.data_dir();
    let _ = std::fs::remove_file(data.join(KEY_FILE));
    let old_key = "kunci-lama-dari-rilis-sebelumnya-0123456789";
    {
        let pool = sqlx::SqlitePool::connect_with(
            sqlx::sqlite::SqliteConnectOptions::new().filename(data.join("zi-tracker.db")),
        )
        .await
        .unwrap();
        sqlx::query(
            "INSERT OR REPLACE INTO portalrb_secret (id, secret, rotated_at)
             VALUES (1, ?, '2026-06-01T00:00:00Z')",
        )
        .bind(old_key)
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    }
    let until = chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
    let old_link = zi_tracker::portalrb::evidence::path(old_key, "balitnak", 2026, 1, until);

    restart_at(&mut app, &clock).await;
    assert_eq!(
        open(&app, &old_link, "198.51.100.7").await.0,
        200,
        "a link given out before the upgrade still opens"
    );
    let moved = std::fs::read_to_string(data.join(KEY_FILE)).unwrap_or_default();
    assert_eq!(moved.trim(), old_key);
    assert_eq!(mode(&data.join(KEY_FILE)), 0o600);
    let in_db: i64 = sqlx::query_scalar("SELECT count(*) FROM portalrb_secret")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(in_db, 0, "removed from the database");
    let left = in_database(&data, old_key);
    assert_eq!(left, Vec::<String>::new(), "nothing of it left in the file");
    // the admin rotates: the old link stops working, a new one opens
    let (st, _, err) = run_cli(
        &[
            "portalrb",
            "rotate-links",
            "--data-dir",
            data.to_str().unwrap(),
        ],
        None,
    );
    assert!(st.success(), "{err}");
    assert_eq!(open(&app, &old_link, "198.51.100.7").await.0, 403);
    let rotated = std::fs::read_to_string(data.join(KEY_FILE)).unwrap();
    assert_ne!(rotated.trim(), old_key);
    assert_eq!(mode(&data.join(KEY_FILE)), 0o600);
}
