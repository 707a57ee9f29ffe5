//! The smaller findings of the outside security test, one behaviour each.

use crate::helpers::{PASSWORD, TestApp, pdf_bytes, spawn_app};

async fn spawn_https() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = crate::helpers::config(dir.path().join("data"));
    config.public_url = Some("https://zi.contoh.go.id".parse().unwrap());
    let running = zi_tracker::start(config).await.unwrap();
    TestApp {
        base: format!("http://{}", running.addr),
        initial_admin_password: None,
        dir,
        server: Some(running),
    }
}

/// After signing out, Back must not show personal pages from the browser's cache.
#[tokio::test]
async fn pages_are_not_stored_by_the_browser_but_static_files_are() {
    let app = spawn_app().await;
    let staf = app.signed_in("staf").await;
    for path in ["/tugas", "/katalog", "/akun/kata-sandi"] {
        let res = staf.get(path).await;
        assert_eq!(res.headers()["cache-control"], "no-store", "{path}");
    }
    let (_, page) = staf.get_text("/tugas").await;
    let css = page
        .split("href=\"/static/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let res = staf.get(&format!("/static/{css}")).await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert!(
        res.headers().get("strict-transport-security").is_none(),
        "plain http"
    );
}

/// Under an https public address both cookies are Secure and browsers get HSTS.
#[tokio::test]
async fn https_marks_every_cookie_secure_and_sends_hsts() {
    let app = spawn_https().await;
    let res = app.client().get(app.url("/login")).send().await.unwrap();
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.starts_with("zi_csrf=") && cookie.contains("Secure"),
        "{cookie}"
    );
    assert_eq!(
        res.headers()["strict-transport-security"],
        "max-age=31536000"
    );
}

/// Without --public-url, links written into files do not come from the Host header.
#[tokio::test]
async fn report_links_do_not_trust_the_host_header() {
    let app = spawn_app().await;
    let staf = app.signed_in("staf").await;
    let step = app.step_id("I", 1, 1, 1).await;
    app.assign(step, staf.user_id).await;
    assert_eq!(
        staf.upload(step, "2021-2", "sk.pdf", pdf_bytes("sk"), None)
            .await
            .status(),
        303
    );
    let csv = staf
        .client
        .get(staf.url("/laporan/target.csv?periode=2021-2"))
        .header("host", "evil.example")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!csv.contains("evil.example"), "{csv}");
    assert!(
        csv.contains("http://127.0.0.1:0/bukti/"),
        "the server's own address"
    );
}

/// A refused upload (a replacement for an item no longer active) leaves no file, and
/// files no row refers to are swept at the next start.
#[tokio::test]
async fn refused_uploads_leave_no_file_and_strays_are_swept() {
    let mut app = spawn_app().await;
    let staf = app.signed_in("staf").await;
    let step = app.step_id("I", 1, 1, 1).await;
    app.assign(step, staf.user_id).await;
    let files = |app: &TestApp| {
        crate::helpers::files_under(&app.data_dir().join("evidence"))
            .into_iter()
            .filter(|p| !p.to_string_lossy().contains("/evidence/tmp/"))
            .count()
    };
    assert_eq!(
        staf.upload(step, "2021-2", "a.pdf", pdf_bytes("a"), None)
            .await
            .status(),
        303
    );
    assert_eq!(files(&app), 1);
    let res = staf
        .upload(step, "2021-2", "b.pdf", pdf_bytes("b"), Some(999_999))
        .await;
    assert_eq!(res.status(), 409, "no such item to replace");
    let id: i64 = sqlx::query_scalar("SELECT id FROM evidence")
        .fetch_one(app.db())
        .await
        .unwrap();
    sqlx::query("UPDATE evidence SET removed_at = '2021-08-01T00:00:00Z' WHERE id = ?")
        .bind(id)
        .execute(app.db())
        .await
        .unwrap();
    let res = staf
        .upload(step, "2021-2", "c.pdf", pdf_bytes("c"), Some(id))
        .await;
    assert_eq!(res.status(), 409, "the item to replace is no longer active");
    assert_eq!(files(&app), 1, "no file from the refused uploads");

    // a stray file (a crash between its move and its row) is swept at start
    let stray = app.data_dir().join("evidence").join("ab").join("ab00.pdf");
    std::fs::create_dir_all(stray.parent().unwrap()).unwrap();
    std::fs::write(&stray, pdf_bytes("sisa")).unwrap();
    app.restart().await;
    assert!(!stray.exists());
    assert_eq!(files(&app), 1, "referenced files stay");
}

/// Activity keeps a session's idle clock fresh.
#[tokio::test]
async fn activity_keeps_a_session_alive() {
    let app = spawn_app().await;
    let staf = app.signed_in("staf").await;
    // seven hours and a half without a request: still inside the 8-hour idle limit
    sqlx::query(
        "UPDATE sessions SET last_seen_at = strftime('%s','now') - 27000 WHERE user_id = ?",
    )
    .bind(staf.user_id)
    .execute(app.db())
    .await
    .unwrap();
    assert_eq!(staf.get("/tugas").await.status(), 200);
    let idle: i64 = sqlx::query_scalar(
        "SELECT strftime('%s','now') - last_seen_at FROM sessions WHERE user_id = ?",
    )
    .bind(staf.user_id)
    .fetch_one(app.db())
    .await
    .unwrap();
    assert!(idle < 5, "the request refreshed the idle clock ({idle} s)");
    // but a session seen half a minute ago is not written again on every request
    sqlx::query("UPDATE sessions SET last_seen_at = strftime('%s','now') - 30 WHERE user_id = ?")
        .bind(staf.user_id)
        .execute(app.db())
        .await
        .unwrap();
    assert_eq!(staf.get("/tugas").await.status(), 200);
    let idle: i64 = sqlx::query_scalar(
        "SELECT strftime('%s','now') - last_seen_at FROM sessions WHERE user_id = ?",
    )
    .bind(staf.user_id)
    .fetch_one(app.db())
    .await
    .unwrap();
    assert!(idle >= 29, "touched at most once a minute ({idle} s)");
    let _ = PASSWORD;
}

/// Idle sockets and sockets that send their header one line at a time are closed
/// after the header timeout, connections beyond the cap wait in the backlog instead
/// of taking file descriptors, and a normal request is still answered.
#[tokio::test]
async fn slow_and_idle_connections_cannot_starve_the_server() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let mut config = crate::helpers::config(dir.path().join("data"));
    config.header_timeout = std::time::Duration::from_secs(1);
    config.max_connections = 64;
    let running = zi_tracker::start(config).await.unwrap();
    let addr = running.addr;
    let mut idle = Vec::new();
    for _ in 0..100 {
        idle.push(tokio::net::TcpStream::connect(addr).await.unwrap());
    }
    let mut slow = Vec::new();
    for i in 0..4 {
        slow.push(tokio::spawn(async move {
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            s.write_all(b"GET /healthz HTTP/1.1\r\n").await.unwrap();
            // a header line every 200 ms, never the blank line that ends the header
            for n in 0..200 {
                let line = format!("X-Lambat-{i}-{n}: ya\r\n");
                if s.write_all(line.as_bytes()).await.is_err() {
                    return true; // the server closed it
                }
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            false
        }));
    }
    // a normal request gets its answer
    let res = reqwest::Client::new()
        .get(format!("http://{addr}/healthz"))
        .timeout(std::time::Duration::from_secs(60))
        .send()
        .await
        .expect("answered while slow sockets are held");
    assert_eq!(res.status(), 200);
    // the slow senders are cut off, whatever their pace
    for s in slow {
        assert!(s.await.unwrap(), "a slow header was closed by the server");
    }
    // and every idle socket is closed by the server
    for mut s in idle {
        let mut buf = [0u8; 64];
        let n = tokio::time::timeout(std::time::Duration::from_secs(60), s.read(&mut buf))
            .await
            .expect("closed, not left open")
            .unwrap_or(0);
        assert_eq!(n, 0, "nothing but a close");
    }
    running.stop().await;
}

/// A form body beyond the 2 MiB limit is refused as too large, in Indonesian.
#[tokio::test]
async fn an_oversized_form_is_refused_as_too_large() {
    let app = spawn_app().await;
    let staf = app.signed_in("staf").await;
    let step = app.step_id("I", 1, 1, 1).await;
    app.assign(step, staf.user_id).await;
    let long = "x".repeat(3 * 1024 * 1024);
    let res = staf
        .post(
            &format!("/langkah/{step}/progres"),
            &[
                ("periode", "2021-2"),
                ("version", "0"),
                ("status", "berjalan"),
                ("realization", "10"),
                ("narrative", &long),
            ],
        )
        .await;
    assert_eq!(res.status(), 413);
    assert!(res.text().await.unwrap().contains("Isian terlalu besar"));
    let saved: i64 = sqlx::query_scalar("SELECT count(*) FROM progress")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(saved, 0);
}
