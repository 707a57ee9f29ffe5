//! Abuse of sign-in, password reset and e-mail change: refused attempts write
//! nothing, successes are throttled, a lock-out leaves the owner a way in, the reset
//! form answers before it writes, and an address change needs the password and can be
//! undone from the old address.

use std::time::Duration;

use chrono::TimeZone;
use zi_tracker::clock::Clock;

use crate::helpers::{PASSWORD, TestApp, csrf_from, location, spawn_app, spawn_app_with};
use crate::notify::MailServer;

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(8))
        .build()
        .unwrap()
}

/// Opens a form page in a fresh browser and posts it with the page's token, from the
/// given address (a trusted proxy's `X-Forwarded-For`).
async fn post_page(
    app: &TestApp,
    page: &str,
    from: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let client = browser();
    let html = client
        .get(app.url(page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = csrf_from(&html);
    let mut form = vec![("csrf_token", token.as_str())];
    form.extend_from_slice(fields);
    client
        .post(app.url(page))
        .header("x-forwarded-for", from)
        .form(&form)
        .send()
        .await
        .unwrap()
}

async fn sign_in_from(app: &TestApp, from: &str, user: &str, password: &str) -> u16 {
    post_page(
        app,
        "/login",
        from,
        &[("username", user), ("password", password)],
    )
    .await
    .status()
    .as_u16()
}

async fn attempts_of(app: &TestApp, user: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM login_attempts WHERE username = ?")
        .bind(user)
        .fetch_one(app.db())
        .await
        .unwrap()
}

/// Finding 6: once the limiter refuses an account, further attempts add no rows.
#[tokio::test]
async fn refused_sign_ins_write_no_rows() {
    let app = spawn_app_with(|c| c.trust_proxy = true).await;
    let (_, user) = app.create_user("staf").await;
    for _ in 0..5 {
        assert_eq!(
            sign_in_from(&app, "10.2.0.1", &user, "tebakan-salah-sekali").await,
            401
        );
    }
    assert_eq!(attempts_of(&app, &user).await, 5);
    for password in ["tebakan-salah-lagi", PASSWORD, "tebakan-salah-lagi"] {
        for _ in 0..5 {
            assert_eq!(sign_in_from(&app, "10.2.0.1", &user, password).await, 429);
        }
    }
    assert_eq!(
        attempts_of(&app, &user).await,
        5,
        "fifteen refusals recorded nothing"
    );
}

/// Finding 7: the right password, again and again, is throttled per account.
#[tokio::test]
async fn successful_sign_ins_of_one_account_are_throttled() {
    let app = spawn_app().await;
    let (id, user) = app.create_user("staf").await;
    let limit = zi_tracker::auth::throttle::SUCCESS_LIMIT;
    for n in 0..limit {
        assert!(app.sign_in(&user, PASSWORD).await.is_ok(), "sign-in {n}");
    }
    let res = app.post_login(&browser(), &user, PASSWORD, &[]).await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    assert!(
        res.headers()
            .get_all("set-cookie")
            .iter()
            .all(|c| !c.to_str().unwrap().starts_with("zi_sesi=")),
        "no session"
    );
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("terlalu sering masuk dalam waktu singkat")
    );
    let logins: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = ? AND object_id = ?")
            .bind(zi_tracker::audit::Action::Login.as_str())
            .bind(id)
            .fetch_one(app.db())
            .await
            .unwrap();
    assert_eq!(logins, limit, "the refused one is not audited");
    // a colleague is not affected
    assert!(app.signed_in("staf").await.user_id != id);
}

/// Finding 10: failures from three addresses lock the account for those addresses,
/// but the owner's right password from an address without failures gets in; a wrong
/// one from a fresh address is checked once, then that address waits too.
#[tokio::test]
async fn a_lock_from_other_addresses_leaves_the_owner_a_way_in() {
    let app = spawn_app_with(|c| c.trust_proxy = true).await;
    let (_, user) = app.create_user("staf").await;
    // five failures from three addresses lock the account
    for ip in ["10.3.0.1", "10.3.0.1", "10.3.0.2", "10.3.0.2", "10.3.0.3"] {
        assert_eq!(sign_in_from(&app, ip, &user, "tebakan-salah-x").await, 401);
    }
    // the attackers' addresses are refused, even with the right password
    assert_eq!(sign_in_from(&app, "10.3.0.1", &user, PASSWORD).await, 429);
    // the owner, from an address without failures, signs in
    assert_eq!(sign_in_from(&app, "10.3.9.9", &user, PASSWORD).await, 303);

    // locked again; a fresh address gets one check, then waits like the others
    for ip in ["10.3.0.1", "10.3.0.2", "10.3.0.3"] {
        sqlx::query(
            "INSERT INTO login_attempts (username, ip, at, outcome) VALUES (?, ?, ?, 'failure'), (?, ?, ?, 'failure')",
        )
        .bind(&user)
        .bind(ip)
        .bind(chrono::Utc::now().timestamp())
        .bind(&user)
        .bind(ip)
        .bind(chrono::Utc::now().timestamp())
        .execute(app.db())
        .await
        .unwrap();
    }
    assert_eq!(
        sign_in_from(&app, "10.3.0.4", &user, "tebakan-lain-x").await,
        401
    );
    assert_eq!(sign_in_from(&app, "10.3.0.4", &user, PASSWORD).await, 429);
}

/// Finding 12: a planted pre-sign-in cookie is not a token the server accepts.
#[tokio::test]
async fn the_pre_sign_in_token_must_be_one_the_server_signed() {
    let app = spawn_app().await;
    let (id, user) = app.create_user("staf").await;
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let random = "A".repeat(43);
    for planted in ["x", random.as_str()] {
        let res = plain
            .post(app.url("/login"))
            .header("cookie", format!("zi_csrf={planted}"))
            .form(&[
                ("csrf_token", planted),
                ("username", user.as_str()),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "planted {planted:?}");
    }
    // a token the server gave, altered by one character, is refused too
    let page = plain.get(app.url("/login")).send().await.unwrap();
    let cookie = page.headers()["set-cookie"].to_str().unwrap().to_string();
    let given = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("zi_csrf=")
        .to_string();
    let mut altered = given.clone().into_bytes();
    altered[0] = if altered[0] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    let res = plain
        .post(app.url("/login"))
        .header("cookie", format!("zi_csrf={altered}"))
        .form(&[
            ("csrf_token", altered.as_str()),
            ("username", user.as_str()),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let sessions: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions WHERE user_id = ?")
        .bind(id)
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(sessions, 0);
    // the token as given works
    let res = plain
        .post(app.url("/login"))
        .header("cookie", format!("zi_csrf={given}"))
        .form(&[
            ("csrf_token", given.as_str()),
            ("username", user.as_str()),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
}

// ---------------------------------------------------------------------------
// Reset and address change, with mail on (a mail server that never answers: the
// messages stay in the outbox, where the tests read their links).

fn start_of_test() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc.with_ymd_and_hms(2026, 12, 1, 2, 0, 0).unwrap()
}

async fn mail_app(smtp: &MailServer, clock: &Clock, trust_proxy: bool) -> TestApp {
    let (url, clock) = (smtp.url(), clock.clone());
    spawn_app_with(move |c| {
        c.smtp = Some(zi_tracker::config::Smtp {
            url,
            user: None,
            password: None,
        });
        c.mail_from = "ZI Tracker <zi@uji.go.id>".into();
        c.clock = clock;
        c.schedule_every = Duration::from_secs(3600);
        c.mail_retry_base = Duration::from_secs(3600);
        c.trust_proxy = trust_proxy;
    })
    .await
}

async fn set_verified_email(app: &TestApp, user: i64, email: &str) {
    sqlx::query("UPDATE users SET email = ?, email_verified = 1 WHERE id = ?")
        .bind(email)
        .bind(user)
        .execute(app.db())
        .await
        .unwrap();
}

/// The links (containing `part`) of the messages of `kind` sent to `to`, oldest first.
async fn links(app: &TestApp, kind: &str, to: &str, part: &str) -> Vec<String> {
    let bodies: Vec<String> = sqlx::query_scalar(
        "SELECT body_text FROM outbox WHERE kind = ? AND to_addr = ? ORDER BY id",
    )
    .bind(kind)
    .bind(to)
    .fetch_all(app.db())
    .await
    .unwrap();
    bodies
        .iter()
        .filter_map(|b| {
            b.split_whitespace()
                .find(|w| w.starts_with("http") && w.contains(part))
                .map(|w| w[w.find(part).unwrap()..].to_string())
        })
        .collect()
}

/// Waits (bounded) until `to` has `n` messages of `kind` queued.
async fn wait_for_links(app: &TestApp, kind: &str, to: &str, part: &str, n: usize) -> Vec<String> {
    for _ in 0..400 {
        let got = links(app, kind, to, part).await;
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{to} has fewer than {n} {kind} messages queued");
}

async fn ask_reset_from(app: &TestApp, from: &str, who: &str) -> reqwest::Response {
    post_page(app, "/lupa-sandi", from, &[("identitas", who)]).await
}

/// Opens a reset link in a fresh browser and sets a new password with it.
async fn use_reset_link(app: &TestApp, link: &str, password: &str) -> u16 {
    let client = browser();
    let res = client.get(app.url(link)).send().await.unwrap();
    if res.status() != 200 {
        return res.status().as_u16();
    }
    let csrf = csrf_from(&res.text().await.unwrap());
    let token = link.split("token=").nth(1).unwrap();
    client
        .post(app.url("/reset-sandi"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("token", token),
            ("new_password", password),
            ("confirm", password),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Finding 11: "Lupa kata sandi" answers before it writes anything, so a known
/// account with an address and an unknown name take the same path to the answer;
/// the mail is queued afterwards.
#[tokio::test]
async fn the_forgot_password_answer_comes_before_any_write() {
    let smtp = MailServer::down_from_the_start();
    let clock = Clock::manual(start_of_test());
    let app = mail_app(&smtp, &clock, false).await;
    let (id, user) = app.create_user("staf").await;
    set_verified_email(&app, id, "lupa-cepat@uji.go.id").await;
    let client = browser();
    let html = client
        .get(app.url("/lupa-sandi"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = csrf_from(&html);
    // every write waits while this transaction holds the database's write lock
    let mut hold = app.db().begin_with("BEGIN IMMEDIATE").await.unwrap();
    sqlx::query("SELECT 1").execute(&mut *hold).await.unwrap();
    for who in [user.as_str(), "tidak-ada-orang-ini"] {
        let res = client
            .post(app.url("/lupa-sandi"))
            .form(&[("csrf_token", token.as_str()), ("identitas", who)])
            .send()
            .await
            .expect("answered while the write lock is held");
        assert_eq!(res.status(), 200, "{who}");
        assert!(res.text().await.unwrap().contains("Bila akun itu ada"));
    }
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(queued, 0, "nothing written before the answer");
    hold.rollback().await.unwrap();
    let sent = wait_for_links(
        &app,
        "reset",
        "lupa-cepat@uji.go.id",
        "/reset-sandi?token=",
        1,
    )
    .await;
    assert_eq!(sent.len(), 1);
}

/// Finding 9: someone else's requests neither use up the owner's requests nor void
/// the link the owner already has.
#[tokio::test]
async fn reset_requests_of_others_neither_block_nor_void_the_owners_link() {
    let smtp = MailServer::down_from_the_start();
    let clock = Clock::manual(start_of_test());
    let app = mail_app(&smtp, &clock, true).await;
    let (id, user) = app.create_user("staf").await;
    set_verified_email(&app, id, "pemilik@uji.go.id").await;
    assert_eq!(ask_reset_from(&app, "10.4.0.1", &user).await.status(), 200);
    let first = wait_for_links(&app, "reset", "pemilik@uji.go.id", "/reset-sandi?token=", 1).await;
    for _ in 0..3 {
        assert_eq!(ask_reset_from(&app, "10.4.6.6", &user).await.status(), 200);
    }
    let res = ask_reset_from(&app, "10.4.6.6", "pemilik@uji.go.id").await;
    assert_eq!(res.status(), 429, "the requester's own limit holds");
    // the owner may still ask
    assert_eq!(ask_reset_from(&app, "10.4.0.1", &user).await.status(), 200);
    wait_for_links(&app, "reset", "pemilik@uji.go.id", "/reset-sandi?token=", 2).await;
    // and the first link still works
    assert_eq!(
        use_reset_link(&app, &first[0], "sandi-baru-pemilik-1").await,
        303
    );
    assert!(app.sign_in(&user, "sandi-baru-pemilik-1").await.is_ok());
}

/// Finding 8: a borrowed session cannot change the address without the password;
/// a change is told to the old address with a link that undoes it for 7 days; a
/// just-verified address gets no reset link for 24 hours.
#[tokio::test]
async fn an_address_change_needs_the_password_and_the_old_address_can_undo_it() {
    let smtp = MailServer::down_from_the_start();
    let clock = Clock::manual(start_of_test());
    let app = mail_app(&smtp, &clock, false).await;
    let me = app.signed_in("staf").await;
    set_verified_email(&app, me.user_id, "lama@uji.go.id").await;
    let before = crate::helpers::fingerprint(app.db()).await;
    let change = |current: &'static str| {
        let me = me.clone();
        async move {
            let mut fields = vec![
                ("email", "penyusup@uji.go.id"),
                ("mode", "segera"),
                ("jam", "7"),
            ];
            if !current.is_empty() {
                fields.push(("current", current));
            }
            me.post("/akun/notifikasi", &fields).await
        }
    };
    for current in ["", "bukan-kata-sandinya"] {
        let res = change(current).await;
        assert_eq!(res.status(), 400, "current password {current:?}");
        let page = res.text().await.unwrap();
        assert!(page.contains("value=\"penyusup@uji.go.id\""));
        let errors = crate::helpers::html::texts(&page, "#ringkasan-galat li");
        assert!(
            errors
                .iter()
                .any(|e| e.to_lowercase().contains("kata sandi saat ini")),
            "asks for the password: {current:?} {errors:?}"
        );
    }
    assert_eq!(crate::helpers::fingerprint(app.db()).await, before);
    // with the password: the new address is verified through its link
    let res = change(PASSWORD).await;
    assert_eq!(location(&res), "/akun/notifikasi?pesan=verifikasi-dikirim");
    let verify = wait_for_links(
        &app,
        "verifikasi",
        "penyusup@uji.go.id",
        "/akun/surel/verifikasi?token=",
        1,
    )
    .await;
    let res = browser().get(app.url(&verify[0])).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let email: String = sqlx::query_scalar("SELECT email FROM users WHERE id = ?")
        .bind(me.user_id)
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(email, "penyusup@uji.go.id");

    // the old address is told, with a link to undo
    let undo = wait_for_links(
        &app,
        "batal-surel",
        "lama@uji.go.id",
        "/akun/surel/batalkan?token=",
        1,
    )
    .await;

    // no reset to the new address for a day (an eligible account shows the queue ran)
    let (other, _) = app.create_user("staf").await;
    set_verified_email(&app, other, "lain@uji.go.id").await;
    assert_eq!(
        ask_reset_from(&app, "127.0.0.1", "penyusup@uji.go.id")
            .await
            .status(),
        200
    );
    assert_eq!(
        ask_reset_from(&app, "127.0.0.1", "lain@uji.go.id")
            .await
            .status(),
        200
    );
    wait_for_links(&app, "reset", "lain@uji.go.id", "/reset-sandi?token=", 1).await;
    assert!(
        links(&app, "reset", "penyusup@uji.go.id", "/reset-sandi")
            .await
            .is_empty(),
        "no reset link to an address verified an hour ago"
    );

    // the undo link lasts 7 days
    clock.advance(chrono::Duration::days(7) + chrono::Duration::minutes(1));
    let res = browser().get(app.url(&undo[0])).send().await.unwrap();
    assert_eq!(res.status(), 400);
    clock.set(start_of_test() + chrono::Duration::days(6));
    let client = browser();
    let res = client.get(app.url(&undo[0])).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let csrf = csrf_from(&res.text().await.unwrap());
    let token = undo[0].split("token=").nth(1).unwrap();
    let res = client
        .post(app.url("/akun/surel/batalkan"))
        .form(&[("csrf_token", csrf.as_str()), ("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/login?pesan=surel-dikembalikan");
    let (email, verified): (String, bool) =
        sqlx::query_as("SELECT email, email_verified FROM users WHERE id = ?")
            .bind(me.user_id)
            .fetch_one(app.db())
            .await
            .unwrap();
    assert_eq!((email.as_str(), verified), ("lama@uji.go.id", true));
    assert_eq!(
        me.get("/tugas").await.status(),
        303,
        "the borrowed session ended"
    );
    let audited: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = ?")
        .bind(zi_tracker::audit::Action::EmailChangeUndone.as_str())
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(audited, 1);
    // once only
    let res = client.get(app.url(&undo[0])).send().await.unwrap();
    assert_eq!(res.status(), 400);
}
