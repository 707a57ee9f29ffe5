//! Evaluator links and the data dir's secrets: an opened link is audited once per
//! address and hour, links obey the year's current `links_until` and the unit's
//! proposal, the data dir is readable by its owner only, and the link-signing key lives
//! in a file beside the database (moved there from an older database), not in it.

use serde_json::Value;
use zi_tracker::clock::Clock;

use crate::helpers::{Session, TestApp, config, fingerprint};

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
         WHERE action = 'portalrb_evidence_opened' ORDER BY id",
    )
    .fetch_all(app.db())
    .await
    .unwrap()
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
