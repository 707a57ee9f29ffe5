//! Notifications: each event reaches the right people (in the app and, through a real
//! SMTP server process, by e-mail), reminders and digests follow an injected clock,
//! mail survives a mail server that is down and a server killed mid-burst, and the
//! password reset link works once, expires and reveals no accounts.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use zi_tracker::Config;
use zi_tracker::clock::Clock;

use crate::helpers::html as Html;
use crate::helpers::{PASSWORD, Session, TestApp, location, spawn_app_with};

// ---------------------------------------------------------------------------
// A real SMTP server: Debian's aiosmtpd writing every message into a Maildir.

pub(crate) struct MailServer {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

#[derive(Debug, Clone)]
pub(crate) struct Mail {
    pub to: String,
    pub subject: String,
    pub message_id: String,
    /// The plain-text part, decoded.
    pub text: String,
    pub html: String,
    pub auto_submitted: String,
}

impl Mail {
    /// The first address in the text that contains `part`.
    pub fn link(&self, part: &str) -> String {
        self.text
            .split_whitespace()
            .find(|w| w.starts_with("http") && w.contains(part))
            .unwrap_or_else(|| panic!("no link with {part} in {}", self.text))
            .to_string()
    }
}

fn python() -> &'static str {
    // Debian's interpreter carries the python3-aiosmtpd package
    if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl MailServer {
    pub fn start() -> Self {
        let mut s = Self {
            port: free_port(),
            dir: tempfile::tempdir().unwrap(),
            child: None,
        };
        s.up();
        s
    }

    /// A port nobody listens on yet: the server is "down" until `up`.
    pub fn down_from_the_start() -> Self {
        Self {
            port: free_port(),
            dir: tempfile::tempdir().unwrap(),
            child: None,
        }
    }

    fn maildir(&self) -> PathBuf {
        self.dir.path().join("maildir")
    }

    pub fn url(&self) -> url::Url {
        url::Url::parse(&format!("smtp://127.0.0.1:{}", self.port)).unwrap()
    }

    pub fn up(&mut self) {
        let child = Command::new(python())
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{}", self.port))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(self.maildir())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 -m aiosmtpd (Debian package python3-aiosmtpd) starts");
        self.child = Some(child);
        for _ in 0..2400 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the SMTP server did not start listening");
    }

    pub fn down(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Every message received so far, in no particular order.
    pub fn messages(&self) -> Vec<Mail> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(self.maildir().join(sub)) else {
                continue;
            };
            for e in entries {
                let raw = std::fs::read_to_string(e.unwrap().path()).unwrap();
                out.push(parse_mail(&raw));
            }
        }
        out
    }

    pub fn to(&self, address: &str) -> Vec<Mail> {
        self.messages()
            .into_iter()
            .filter(|m| m.to.contains(address))
            .collect()
    }

    /// Waits (up to 20 s) until `address` has received `n` messages.
    pub async fn wait_for(&self, address: &str, n: usize) -> Vec<Mail> {
        for _ in 0..2400 {
            let got = self.to(address);
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "{address} received {} of {n} messages: {:?}",
            self.to(address).len(),
            self.to(address)
                .iter()
                .map(|m| m.subject.clone())
                .collect::<Vec<_>>()
        );
    }
}

impl Drop for MailServer {
    fn drop(&mut self) {
        self.down();
    }
}

fn headers_and_body(raw: &str) -> (BTreeMap<String, String>, String) {
    let raw = raw.replace("\r\n", "\n");
    let (head, body) = raw.split_once("\n\n").unwrap_or((&raw, ""));
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    let mut last = String::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(v) = headers.get_mut(&last) {
                v.push(' ');
                v.push_str(line.trim());
            }
        } else if let Some((k, v)) = line.split_once(':') {
            last = k.trim().to_ascii_lowercase();
            headers.insert(last.clone(), v.trim().to_string());
        }
    }
    (headers, body.to_string())
}

fn decode(cte: &str, body: &str) -> String {
    match cte.to_ascii_lowercase().as_str() {
        "quoted-printable" => {
            let joined = body.replace("=\n", "");
            let bytes = joined.as_bytes();
            let mut out = Vec::new();
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b'='
                    && i + 2 < bytes.len() + 1
                    && let Ok(b) = u8::from_str_radix(
                        std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or(""),
                        16,
                    )
                {
                    out.push(b);
                    i += 3;
                } else {
                    out.push(bytes[i]);
                    i += 1;
                }
            }
            String::from_utf8_lossy(&out).into_owned()
        }
        "base64" => {
            use base64::Engine;
            let clean: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            String::from_utf8_lossy(
                &base64::engine::general_purpose::STANDARD
                    .decode(clean)
                    .unwrap_or_default(),
            )
            .into_owned()
        }
        _ => body.to_string(),
    }
}

fn parse_mail(raw: &str) -> Mail {
    let (h, body) = headers_and_body(raw);
    let ctype = h.get("content-type").cloned().unwrap_or_default();
    let (mut text, mut html) = (String::new(), String::new());
    if let Some(b) = ctype.split("boundary=").nth(1) {
        let boundary = format!("--{}", b.trim_matches('"').split(';').next().unwrap());
        for part in body.split(&boundary) {
            let (ph, pb) = headers_and_body(part.trim_start_matches('\n'));
            let pt = ph.get("content-type").cloned().unwrap_or_default();
            let cte = ph
                .get("content-transfer-encoding")
                .cloned()
                .unwrap_or_default();
            if pt.starts_with("text/plain") {
                text = decode(&cte, &pb);
            } else if pt.starts_with("text/html") {
                html = decode(&cte, &pb);
            }
        }
    } else {
        text = body;
    }
    Mail {
        to: h.get("to").cloned().unwrap_or_default(),
        subject: h.get("subject").cloned().unwrap_or_default(),
        message_id: h.get("message-id").cloned().unwrap_or_default(),
        auto_submitted: h.get("auto-submitted").cloned().unwrap_or_default(),
        text,
        html,
    }
}

// ---------------------------------------------------------------------------
// The tracker, with mail and a manual clock.

fn mail_config(cfg: &mut Config, smtp: &MailServer, clock: &Clock) {
    cfg.smtp = Some(zi_tracker::config::Smtp {
        url: smtp.url(),
        user: None,
        password: None,
    });
    cfg.mail_from = "ZI Tracker <zi@uji.go.id>".into();
    cfg.clock = clock.clone();
    // the tests run the scheduler themselves, at the moments they choose
    cfg.schedule_every = Duration::from_secs(3600);
    cfg.mail_poll = Duration::from_millis(50);
    cfg.mail_retry_base = Duration::from_secs(60);
}

/// 09.00 WIB on the given day.
fn wib(y: i32, m: u32, d: u32, hour: u32) -> chrono::DateTime<Utc> {
    chrono_tz::Asia::Jakarta
        .with_ymd_and_hms(y, m, d, hour, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

async fn set_email(app: &TestApp, user: i64, email: &str) {
    sqlx::query("UPDATE users SET email = ?, email_verified = 1 WHERE id = ?")
        .bind(email)
        .bind(user)
        .execute(app.db())
        .await
        .unwrap();
}

async fn titles(app: &TestApp, user: i64) -> Vec<String> {
    sqlx::query_scalar("SELECT title FROM notifications WHERE user_id = ? ORDER BY id")
        .bind(user)
        .fetch_all(app.db())
        .await
        .unwrap()
}

/// The first `n` steps of 2021 in catalogue order, with their codes.
async fn first_steps(app: &TestApp, n: i64) -> Vec<(i64, String)> {
    let rows: Vec<(i64, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT s.id, c.numeral, a.position, i.position, s.position FROM action_steps s
         JOIN indicators i ON i.id = s.indicator_id JOIN areas a ON a.id = i.area_id
         JOIN components c ON c.id = a.component_id
         WHERE c.unit_id = 1 AND c.year = 2021
         ORDER BY c.position, a.position, i.position, s.position LIMIT ?",
    )
    .bind(n)
    .fetch_all(app.db())
    .await
    .unwrap();
    rows.into_iter()
        .map(|(id, n, a, i, s)| (id, zi_tracker::step::step_code(&n, a, i, s)))
        .collect()
}

async fn tick(app: &TestApp) {
    app.server
        .as_ref()
        .unwrap()
        .run_schedule()
        .await
        .expect("schedule");
}

/// Waits (up to 20 s) until the outbox holds nothing unsent that is due.
async fn drained(app: &TestApp) {
    for _ in 0..2400 {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL",
        )
        .fetch_one(app.db())
        .await
        .unwrap();
        if waiting == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the outbox did not drain");
}

#[tokio::test]
async fn each_event_reaches_the_right_people_and_nobody_else() {
    let smtp = MailServer::start();
    let clock = Clock::manual(wib(2021, 7, 20, 9));
    let app = spawn_app_with(|c| mail_config(c, &smtp, &clock)).await;
    let admin = app.signed_in("admin").await;
    let pic = app.signed_in("staf").await;
    let pic2 = app.signed_in("staf").await; // no address: in the app only
    let other = app.signed_in("staf").await;
    let penilai = app.signed_in("penilai").await;
    set_email(&app, pic.user_id, "pic@uji.go.id").await;
    set_email(&app, other.user_id, "lain@uji.go.id").await;
    set_email(&app, penilai.user_id, "tpi@uji.go.id").await;
    set_email(&app, admin.user_id, "admin@uji.go.id").await;
    let s1 = app.step_id("I", 1, 1, 1).await;
    let s2 = app.step_id("I", 1, 1, 2).await;
    app.assign(s1, pic.user_id).await;
    app.assign(s1, pic2.user_id).await;

    // a fix request: both PICs, with the note; the reviewer and the others hear nothing
    assert_eq!(
        pic.save_progress(s1, "2021-2", "berjalan", "40", "Rapat")
            .await
            .status(),
        303
    );
    assert_eq!(
        penilai
            .review(s1, "2021-2", "perbaikan", "Lampirkan notulen rapat")
            .await
            .status(),
        303
    );
    let t = titles(&app, pic.user_id).await;
    assert_eq!(t.len(), 1, "{t:?}");
    assert!(
        t[0].starts_with("Perbaikan diminta: langkah I.1.a.1"),
        "{t:?}"
    );
    assert_eq!(titles(&app, pic2.user_id).await.len(), 1);
    assert!(titles(&app, penilai.user_id).await.is_empty());
    assert!(titles(&app, other.user_id).await.is_empty());
    let mail = smtp.wait_for("pic@uji.go.id", 1).await;
    assert!(mail[0].subject.contains("Perbaikan diminta"), "{mail:?}");
    assert!(mail[0].text.contains("Lampirkan notulen rapat"));
    assert!(mail[0].html.contains("Lampirkan notulen rapat"));
    // the link opens the step in its unit, on the tracker's own address
    let link = mail[0].link("/langkah/");
    assert!(
        link.starts_with(&app.base) && link.contains(&format!("/u/balitnak/langkah/{s1}")),
        "{link}"
    );
    assert_eq!(pic.get(&link[app.base.len()..]).await.status(), 200);
    // opened signed out, sign-in brings the person back to the unit's step
    let res = app.client().get(&link).send().await.unwrap();
    assert_eq!(
        location(&res),
        format!("/login?next=%2Fu%2Fbalitnak%2Flangkah%2F{s1}%3Fperiode%3D2021-2")
    );

    // the PIC answers the request: the reviewer hears, nobody else
    let res = pic
        .post(
            &format!("/langkah/{s1}/ajukan"),
            &[("periode", "2021-2"), ("jawaban", "Notulen sudah diunggah")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let t = titles(&app, penilai.user_id).await;
    assert_eq!(t.len(), 1, "{t:?}");
    assert!(t[0].contains("mengajukan ulang langkah I.1.a.1"), "{t:?}");
    smtp.wait_for("tpi@uji.go.id", 1).await;
    assert_eq!(titles(&app, pic.user_id).await.len(), 1);

    // an assignment and a handover: the new PIC hears
    let res = admin
        .post(
            &format!("/langkah/{s2}/pic"),
            &[
                ("periode", "2021-2"),
                ("user_id", &other.user_id.to_string()),
                ("aksi", "tambah"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let t = titles(&app, other.user_id).await;
    assert!(
        t[0].starts_with("Anda ditugaskan sebagai PIC langkah I.1.a.2"),
        "{t:?}"
    );
    let res = admin
        .post(
            "/penugasan/alih",
            &[
                ("tahun", "2021"),
                ("from_user", &pic2.user_id.to_string()),
                ("to_user", &other.user_id.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), 303, "{}", location(&res));
    let t = titles(&app, other.user_id).await;
    assert_eq!(t.len(), 2, "{t:?}");
    assert!(t[1].contains("dialihkan kepada Anda"), "{t:?}");
    assert_eq!(titles(&app, pic2.user_id).await.len(), 1);

    // an LKE question assigned; the unit's answer changed after the TPI answered
    let res = admin
        .post(
            "/lke/2026/soal/1/pic",
            &[("user_id", &pic.user_id.to_string()), ("aksi", "tambah")],
        )
        .await;
    assert!(res.status().is_redirection());
    let t = titles(&app, pic.user_id).await;
    assert_eq!(
        t.last().unwrap(),
        "Anda ditugaskan sebagai PIC 1 soal LKE 2026"
    );
    let unit_answer = |s: &Session, versi: &str, jawaban: &str| {
        let s = s.clone();
        let (versi, jawaban) = (versi.to_string(), jawaban.to_string());
        async move {
            s.post(
                "/lke/2026/soal/1/jawaban",
                &[
                    ("versi", versi.as_str()),
                    ("jawaban", jawaban.as_str()),
                    ("catatan", ""),
                    ("bukti_teks", "https://contoh.go.id/sk"),
                ],
            )
            .await
        }
    };
    assert_eq!(unit_answer(&pic, "0", "Ya").await.status(), 303);
    // no TPI answer yet: nobody to tell
    assert_eq!(titles(&app, penilai.user_id).await.len(), 1);
    let res = penilai
        .post(
            "/lke/2026/soal/1/tpi",
            &[("versi", "0"), ("jawaban", "Ya"), ("catatan", "")],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(unit_answer(&pic, "1", "Tidak").await.status(), 303);
    let t = titles(&app, penilai.user_id).await;
    assert_eq!(t.len(), 2, "{t:?}");
    assert_eq!(
        t[1],
        "Jawaban unit LKE 2026 soal 1 berubah setelah dinilai TPI"
    );

    // nobody else heard anything; each mail went to the one it concerns
    assert!(titles(&app, admin.user_id).await.is_empty());
    drained(&app).await;
    assert!(smtp.to("admin@uji.go.id").is_empty());
    assert_eq!(smtp.to("lain@uji.go.id").len(), 2);
    assert_eq!(smtp.to("tpi@uji.go.id").len(), 2);
    assert_eq!(smtp.to("pic@uji.go.id").len(), 2);
    assert_eq!(smtp.messages().len(), 6);
    let ids: BTreeSet<String> = smtp.messages().into_iter().map(|m| m.message_id).collect();
    assert_eq!(ids.len(), 6, "every message its own Message-ID");

    // in the app: the header counts, the list pages, marking read one or all
    let (_, page) = other.get_text("/tugas").await;
    assert!(page.contains("Notifikasi, 2 belum dibaca"), "header count");
    let (status, page) = other.get_text("/notifikasi").await;
    assert_eq!(status, 200);
    let items = Html::texts(&page, "ul.notices li");
    assert_eq!(items.len(), 2);
    assert!(items[0].contains("dialihkan"), "newest first: {items:?}");
    let first: i64 = sqlx::query_scalar("SELECT min(id) FROM notifications WHERE user_id = ?")
        .bind(other.user_id)
        .fetch_one(app.db())
        .await
        .unwrap();
    // another person's notification does not exist for this one
    assert_eq!(
        pic.post(&format!("/notifikasi/{first}/baca"), &[])
            .await
            .status(),
        404
    );
    assert_eq!(
        pic.get(&format!("/notifikasi/{first}/buka")).await.status(),
        404
    );
    // a link to it on another site leads to the page but marks nothing read
    let res = other
        .client
        .get(other.url(&format!("/notifikasi/{first}/buka")))
        .header("Sec-Fetch-Site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        location(&res),
        format!("/u/balitnak/langkah/{s2}?periode=2021-2")
    );
    let (_, page) = other.get_text("/tugas").await;
    assert!(page.contains("Notifikasi, 2 belum dibaca"));
    let res = other.get(&format!("/notifikasi/{first}/buka")).await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        location(&res),
        format!("/u/balitnak/langkah/{s2}?periode=2021-2")
    );
    let (_, page) = other.get_text("/tugas").await;
    assert!(page.contains("Notifikasi, 1 belum dibaca"));
    let res = other.post("/notifikasi/baca-semua", &[]).await;
    assert_eq!(res.status(), 303);
    let (_, page) = other.get_text("/notifikasi").await;
    assert!(page.contains("Semua notifikasi sudah dibaca."));
    assert!(!page.contains("belum dibaca\""));
    // a staff member leaving the role hands their steps over: the receiver hears
    let s3 = app.step_id("I", 1, 1, 3).await;
    app.assign(s3, pic2.user_id).await;
    let res = admin
        .post(
            &format!("/admin/pengguna/{}", pic2.user_id),
            &[
                ("display_name", "Pengguna Pindah"),
                ("email", ""),
                ("role", "penilai"),
                ("unit_id", "1"),
                ("active", "1"),
                ("alihkan_ke", &other.user_id.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let t = titles(&app, other.user_id).await;
    assert_eq!(t.len(), 3, "{t:?}");
    assert!(
        t[2].starts_with("1 langkah aksi dialihkan kepada Anda dari"),
        "{t:?}"
    );

    // pages of 25, newest first
    for i in 0..30 {
        sqlx::query(
            "INSERT INTO notifications (user_id, kind, title, link, created_at) VALUES (?, 'uji', ?, '/', 0)",
        )
        .bind(pic2.user_id)
        .bind(format!("Uji {i}"))
        .execute(app.db())
        .await
        .unwrap();
    }
    let (_, page) = pic2.get_text("/notifikasi?halaman=2").await;
    assert_eq!(Html::texts(&page, "ul.notices li").len(), 31 - 25);
    assert!(page.contains("Halaman 2 dari 2"));
}

#[tokio::test]
async fn reminders_follow_the_clock_once_each_across_restarts() {
    let smtp = MailServer::start();
    let clock = Clock::manual(wib(2021, 12, 10, 9));
    let mut app = spawn_app_with(|c| mail_config(c, &smtp, &clock)).await;
    let busy = app.signed_in("staf").await;
    let done = app.signed_in("staf").await;
    let admin = app.signed_in("admin-unit").await;
    let instansi = app.signed_in("admin").await;
    let penilai = app.signed_in("penilai").await;
    set_email(&app, busy.user_id, "sibuk@uji.go.id").await;
    let (s1, s2, s3) = (
        app.step_id("I", 1, 1, 1).await,
        app.step_id("I", 1, 1, 2).await,
        app.step_id("II", 1, 1, 1).await,
    );
    app.assign(s1, busy.user_id).await;
    app.assign(s2, busy.user_id).await;
    app.assign(s3, done.user_id).await;
    assert_eq!(
        done.save_progress(s3, "2021-2", "selesai", "100", "Selesai dikerjakan")
            .await
            .status(),
        303
    );
    sqlx::query("INSERT OR REPLACE INTO period_deadlines (unit_id, year, semester, deadline) VALUES (1, 2021, 2, '2021-12-31')")
        .execute(app.db())
        .await
        .unwrap();

    // 21 days ahead: nothing yet
    tick(&app).await;
    assert!(titles(&app, busy.user_id).await.is_empty());
    // 7 days before: the PIC with open steps, with the list; the one who is done, not
    clock.set(wib(2021, 12, 24, 9));
    tick(&app).await;
    tick(&app).await;
    let t = titles(&app, busy.user_id).await;
    assert_eq!(t.len(), 1, "{t:?}");
    assert!(
        t[0].contains("Semester II 2021 7 hari lagi (31 Desember 2021): 2 langkah belum selesai"),
        "{t:?}"
    );
    let body: String = sqlx::query_scalar("SELECT body FROM notifications WHERE user_id = ?")
        .bind(busy.user_id)
        .fetch_one(app.db())
        .await
        .unwrap();
    assert!(
        body.contains("I.1.a.1") && body.contains("I.1.a.2"),
        "{body}"
    );
    assert!(titles(&app, done.user_id).await.is_empty());
    let mail = smtp.wait_for("sibuk@uji.go.id", 1).await;
    assert!(mail[0].text.contains("I.1.a.2"));

    // a restart on the same day sends nothing again (a stop waits for the message
    // in hand to be marked sent, so nothing goes twice)
    app.stop().await;
    let data = app.data_dir();
    let mut cfg = crate::helpers::config(data);
    mail_config(&mut cfg, &smtp, &clock);
    let running = zi_tracker::start(cfg).await.unwrap();
    app.base = format!("http://{}", running.addr);
    app.server = Some(running);
    tick(&app).await;
    assert_eq!(titles(&app, busy.user_id).await.len(), 1);
    // 3 days and 1 day before: one each; the day itself passes without a fourth
    clock.set(wib(2021, 12, 28, 9));
    tick(&app).await;
    clock.set(wib(2021, 12, 30, 9));
    tick(&app).await;
    clock.set(wib(2021, 12, 31, 9));
    tick(&app).await;
    let t = titles(&app, busy.user_id).await;
    assert_eq!(t.len(), 3, "{t:?}");
    assert!(
        t[1].contains("3 hari lagi") && t[2].contains("besok"),
        "{t:?}"
    );
    drained(&app).await;
    let ids: BTreeSet<String> = smtp
        .to("sibuk@uji.go.id")
        .into_iter()
        .map(|m| m.message_id)
        .collect();
    assert_eq!(ids.len(), 3);
    assert_eq!(smtp.to("sibuk@uji.go.id").len(), 3);

    // PortalRB's window: open, then 3 days before it closes; the unit's and the
    // instansi's admins, nobody else
    sqlx::query("INSERT INTO portalrb_windows (year, opens, closes) VALUES (2022, '2022-03-01', '2022-03-20')")
        .execute(app.db())
        .await
        .unwrap();
    clock.set(wib(2022, 2, 28, 9));
    tick(&app).await;
    assert!(titles(&app, admin.user_id).await.is_empty());
    clock.set(wib(2022, 3, 1, 9));
    tick(&app).await;
    tick(&app).await;
    let t = titles(&app, admin.user_id).await;
    assert_eq!(
        t,
        vec!["Jendela usulan PortalRB 2022 dibuka: 1 Maret 2022 sampai 20 Maret 2022"]
    );
    assert_eq!(titles(&app, instansi.user_id).await, t);
    clock.set(wib(2022, 3, 17, 9));
    tick(&app).await;
    let t = titles(&app, instansi.user_id).await;
    assert_eq!(t.len(), 2, "{t:?}");
    assert_eq!(
        t[1],
        "Jendela usulan PortalRB 2022 ditutup 3 hari lagi (20 Maret 2022)"
    );
    assert!(titles(&app, penilai.user_id).await.is_empty());
    assert!(titles(&app, done.user_id).await.is_empty());

    // LKE deadlines: the PIC of an unanswered question; the TPI while answers are missing
    sqlx::query(
        "INSERT INTO lke_assignments (unit_id, year, question_id, user_id, assigned_at)
         VALUES (1, 2026, 1, ?, '2026-01-01T00:00:00Z'), (1, 2026, 2, ?, '2026-01-01T00:00:00Z')",
    )
    .bind(done.user_id)
    .bind(done.user_id)
    .execute(app.db())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO lke_year_state (unit_id, year, unit_deadline, tpi_deadline)
         VALUES (1, 2026, '2026-06-10', '2026-06-30')",
    )
    .execute(app.db())
    .await
    .unwrap();
    clock.set(wib(2026, 6, 9, 9));
    tick(&app).await;
    let t = titles(&app, done.user_id).await;
    assert_eq!(
        t,
        vec!["Tenggat penilaian mandiri LKE 2026 besok (10 Juni 2026): 2 soal belum dijawab"]
    );
    assert!(titles(&app, penilai.user_id).await.is_empty());
    clock.set(wib(2026, 6, 27, 9));
    tick(&app).await;
    let t = titles(&app, penilai.user_id).await;
    assert_eq!(t.len(), 1, "{t:?}");
    assert!(
        t[0].starts_with("Tenggat penilaian TPI LKE 2026 3 hari lagi (30 Juni 2026)"),
        "{t:?}"
    );
    // each links to the page where the person acts
    let links: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT link FROM notifications ORDER BY link")
            .fetch_all(app.db())
            .await
            .unwrap();
    assert_eq!(
        links,
        vec![
            "/admin/portalrb?tahun=2022",
            "/u/balitnak/lke/2022",
            "/u/balitnak/lke/2026",
            "/u/balitnak/tugas?periode=2021-2"
        ]
    );
}

#[tokio::test]
async fn the_daily_digest_collects_a_days_events_once() {
    let smtp = MailServer::start();
    let clock = Clock::manual(wib(2021, 7, 20, 6));
    let app = spawn_app_with(|c| mail_config(c, &smtp, &clock)).await;
    let admin = app.signed_in("admin").await;
    let pic = app.signed_in("staf").await;
    set_email(&app, pic.user_id, "harian@uji.go.id").await;
    // the person chooses the digest at 07.00 WIB on their own page
    let (status, page) = pic.get_text("/akun/notifikasi").await;
    assert_eq!(status, 200);
    assert!(page.contains("harian@uji.go.id"));
    let res = pic
        .post(
            "/akun/notifikasi",
            &[
                ("email", "harian@uji.go.id"),
                ("mode", "harian"),
                ("jam", "7"),
            ],
        )
        .await;
    assert_eq!(
        location(&res),
        "/akun/notifikasi?pesan=pemberitahuan-disimpan"
    );
    // a bad choice is refused on the same form, input kept, nothing changed
    let res = pic
        .post(
            "/akun/notifikasi",
            &[("email", "bukan-alamat"), ("mode", "harian"), ("jam", "25")],
        )
        .await;
    assert_eq!(res.status(), 400);
    let page = res.text().await.unwrap();
    assert!(page.contains("value=\"bukan-alamat\""));
    assert!(page.contains("jam ringkasan harian"));

    let assign = |step: i64| {
        let admin = admin.clone();
        let user = pic.user_id.to_string();
        async move {
            admin
                .post(
                    &format!("/langkah/{step}/pic"),
                    &[
                        ("periode", "2021-2"),
                        ("user_id", &user),
                        ("aksi", "tambah"),
                    ],
                )
                .await
                .status()
        }
    };
    let steps = first_steps(&app, 6).await;
    for (id, _) in &steps[..3] {
        assert_eq!(assign(*id).await, 303);
    }
    // before the hour: nothing mailed
    tick(&app).await;
    drained(&app).await;
    assert!(smtp.to("harian@uji.go.id").is_empty());
    // at the hour: one message with the three
    clock.set(wib(2021, 7, 20, 7));
    tick(&app).await;
    tick(&app).await;
    let mail = smtp.wait_for("harian@uji.go.id", 1).await;
    assert_eq!(mail.len(), 1);
    assert!(
        mail[0]
            .subject
            .contains("Ringkasan harian 20 Juli 2021: 3 pemberitahuan"),
        "{}",
        mail[0].subject
    );
    for (_, code) in &steps[..3] {
        assert!(
            mail[0].text.contains(code.as_str()),
            "{code}: {}",
            mail[0].text
        );
    }
    assert!(!mail[0].text.contains(steps[3].1.as_str()));
    // later that day: the next event waits for tomorrow's digest
    clock.set(wib(2021, 7, 20, 15));
    assert_eq!(assign(steps[3].0).await, 303);
    tick(&app).await;
    drained(&app).await;
    assert_eq!(smtp.to("harian@uji.go.id").len(), 1);
    clock.set(wib(2021, 7, 21, 7));
    tick(&app).await;
    let mail = smtp.wait_for("harian@uji.go.id", 2).await;
    let second = mail
        .iter()
        .find(|m| m.subject.contains("21 Juli 2021"))
        .expect("the second day's digest");
    assert!(second.subject.contains("1 pemberitahuan"));
    tick(&app).await;
    drained(&app).await;
    assert_eq!(smtp.to("harian@uji.go.id").len(), 2);
    // all four are in the app regardless
    assert_eq!(titles(&app, pic.user_id).await.len(), 4);
    // "none": nothing mailed, still in the app
    pic.post(
        "/akun/notifikasi",
        &[
            ("email", "harian@uji.go.id"),
            ("mode", "tidak"),
            ("jam", "7"),
        ],
    )
    .await;
    assert_eq!(assign(steps[4].0).await, 303);
    clock.set(wib(2021, 7, 22, 8));
    tick(&app).await;
    drained(&app).await;
    assert_eq!(smtp.to("harian@uji.go.id").len(), 2);
    assert_eq!(titles(&app, pic.user_id).await.len(), 5);
}

#[tokio::test]
async fn mail_waits_while_the_mail_server_is_down_and_arrives_once_it_is_up() {
    let mut smtp = MailServer::down_from_the_start();
    let clock = Clock::manual(wib(2021, 7, 20, 9));
    let app = spawn_app_with(|c| mail_config(c, &smtp, &clock)).await;
    let admin = app.signed_in("admin").await;
    set_email(&app, admin.user_id, "admin@uji.go.id").await;
    let pic = app.signed_in("staf").await;
    set_email(&app, pic.user_id, "tunggu@uji.go.id").await;
    for (step, _) in first_steps(&app, 5).await {
        let res = admin
            .post(
                &format!("/langkah/{step}/pic"),
                &[
                    ("periode", "2021-2"),
                    ("user_id", &pic.user_id.to_string()),
                    ("aksi", "tambah"),
                ],
            )
            .await;
        assert_eq!(res.status(), 303);
    }
    // the first attempt fails and is put off; the app goes on working (waits end as
    // soon as their condition holds; the bound is only for a broken build)
    for i in 0..2400 {
        let tried: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM outbox WHERE attempts > 0 AND last_error IS NOT NULL",
        )
        .fetch_one(app.db())
        .await
        .unwrap();
        if tried > 0 {
            break;
        }
        assert!(i < 2399, "no send was attempted in 120 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, page) = admin.get_text("/admin/surel").await;
    assert_eq!(status, 200);
    assert!(page.contains("Menunggu dikirim"), "{page}");
    let rows = Html::texts(&page, "table.data tbody tr");
    assert_eq!(rows.len(), 5, "{rows:?}");
    assert!(
        rows.iter()
            .any(|r| r.contains("server surel tidak dapat dipakai saat ini")),
        "{rows:?}"
    );
    assert!(
        rows.iter().any(|r| r.contains("Menunggu, berikutnya")),
        "{rows:?}"
    );
    assert_eq!(titles(&app, pic.user_id).await.len(), 5);

    // one address that can never work: given up at once and shown as failed
    sqlx::query(
        "UPDATE outbox SET to_addr = 'bukan alamat' WHERE id = (SELECT max(id) FROM outbox)",
    )
    .execute(app.db())
    .await
    .unwrap();
    // the server comes up; once the back-off has passed everything goes, once
    smtp.up();
    clock.advance(chrono::Duration::hours(2));
    let mail = smtp.wait_for("tunggu@uji.go.id", 4).await;
    drained(&app).await;
    assert_eq!(smtp.to("tunggu@uji.go.id").len(), 4);
    let ids: BTreeSet<String> = mail.iter().map(|m| m.message_id.clone()).collect();
    assert_eq!(ids.len(), 4);
    let (_, page) = admin.get_text("/admin/surel").await;
    let rows = Html::texts(&page, "table.data tbody tr");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(
        rows[0].contains("Gagal") && rows[0].contains("alamat penerima tidak sah"),
        "{rows:?}"
    );
    // the admin may try it again (after correcting the address)
    let failed: i64 = sqlx::query_scalar("SELECT id FROM outbox WHERE failed_at IS NOT NULL")
        .fetch_one(app.db())
        .await
        .unwrap();
    sqlx::query("UPDATE outbox SET to_addr = 'tunggu@uji.go.id' WHERE id = ?")
        .bind(failed)
        .execute(app.db())
        .await
        .unwrap();
    let res = admin
        .post(&format!("/admin/surel/{failed}/ulang"), &[])
        .await;
    assert_eq!(location(&res), "/admin/surel?pesan=surel-diulang");
    smtp.wait_for("tunggu@uji.go.id", 5).await;
    // a unit admin or staff member does not see the outbox
    assert_eq!(pic.get("/admin/surel").await.status(), 403);
}

#[tokio::test]
async fn without_smtp_the_app_keeps_notifications_in_the_list_only() {
    let app = spawn_app_with(|_| {}).await;
    let admin = app.signed_in("admin").await;
    let pic = app.signed_in("staf").await;
    set_email(&app, pic.user_id, "pic@uji.go.id").await;
    let step = app.step_id("I", 1, 1, 1).await;
    let res = admin
        .post(
            &format!("/langkah/{step}/pic"),
            &[
                ("periode", "2021-2"),
                ("user_id", &pic.user_id.to_string()),
                ("aksi", "tambah"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(titles(&app, pic.user_id).await.len(), 1);
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(queued, 0);
    let (_, page) = admin.get_text("/admin/surel").await;
    assert!(page.contains("tanpa <code>--smtp-url</code>"));
    let (_, page) = app
        .client()
        .get(app.url("/lupa-sandi"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .map(|t| (0, t))
        .unwrap();
    assert!(page.contains("belum dapat mengirim surel"));
    // a new address of one's own cannot be verified without mail: refused, kept
    let res = pic
        .post(
            "/akun/notifikasi",
            &[
                ("email", "baru@uji.go.id"),
                ("mode", "segera"),
                ("jam", "7"),
            ],
        )
        .await;
    assert_eq!(res.status(), 400);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("value=\"baru@uji.go.id\"")
    );
}

/// The "Lupa kata sandi" form, posted by an anonymous browser.
async fn ask_reset(app: &TestApp, client: &reqwest::Client, who: &str) -> reqwest::Response {
    let page = client
        .get(app.url("/lupa-sandi"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = crate::helpers::csrf_from(&page);
    client
        .post(app.url("/lupa-sandi"))
        .form(&[("csrf_token", token.as_str()), ("identitas", who)])
        .send()
        .await
        .unwrap()
}

async fn set_new_password(
    app: &TestApp,
    link: &str,
    password: &str,
) -> (reqwest::StatusCode, String) {
    let client = app.client();
    let path = &link[app.base.len()..];
    let res = client.get(app.url(path)).send().await.unwrap();
    if res.status() != 200 {
        return (res.status(), res.text().await.unwrap());
    }
    let page = res.text().await.unwrap();
    let csrf = crate::helpers::csrf_from(&page);
    let token = path.split("token=").nth(1).unwrap().to_string();
    let res = client
        .post(app.url("/reset-sandi"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("token", token.as_str()),
            ("new_password", password),
            ("confirm", password),
        ])
        .send()
        .await
        .unwrap();
    let status = res.status();
    let to = location(&res);
    (
        status,
        if to.is_empty() {
            res.text().await.unwrap()
        } else {
            to
        },
    )
}

#[tokio::test]
async fn the_reset_link_works_once_expires_and_reveals_no_account() {
    let smtp = MailServer::start();
    let clock = Clock::manual(wib(2026, 11, 30, 9));
    let app = spawn_app_with(|c| mail_config(c, &smtp, &clock)).await;
    let (id, username) = app.create_user("staf").await;
    set_email(&app, id, "lupa@uji.go.id").await;
    let browser = app.client();

    // the same answer for the account, an unknown one, and an address nobody has
    let known = ask_reset(&app, &browser, &username).await;
    assert_eq!(known.status(), 200);
    let known = known.text().await.unwrap();
    let unknown = ask_reset(&app, &browser, "tidak-ada-akun-ini")
        .await
        .text()
        .await
        .unwrap();
    let address = ask_reset(&app, &browser, "siapa@uji.go.id")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(known, unknown);
    assert_eq!(known, address);
    assert!(known.contains("Bila akun itu ada"));
    let mail = smtp.wait_for("lupa@uji.go.id", 1).await;
    assert_eq!(smtp.messages().len(), 1, "no mail for the unknown ones");
    assert!(mail[0].text.contains("30 menit"));
    let link = mail[0].link("/reset-sandi?token=");

    // a bad new password is refused on the form; the link still works after that
    let client = app.client();
    let page = client
        .get(app.url(&link[app.base.len()..]))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = crate::helpers::csrf_from(&page);
    let token = link.split("token=").nth(1).unwrap();
    let res = client
        .post(app.url("/reset-sandi"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("token", token),
            ("new_password", "pendek"),
            ("confirm", "pendek"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    // used once: the new password works, the old does not, sessions ended
    let Ok(old_session) = app.sign_in(&username, PASSWORD).await else {
        panic!("signed in")
    };
    let (status, to) = set_new_password(&app, &link, "sandi-baru-dari-tautan").await;
    assert_eq!(
        (status.as_u16(), to.as_str()),
        (303, "/login?pesan=sandi-baru")
    );
    assert!(app.sign_in(&username, PASSWORD).await.is_err());
    assert!(
        app.sign_in(&username, "sandi-baru-dari-tautan")
            .await
            .is_ok()
    );
    assert_eq!(
        old_session.get("/tugas").await.status(),
        303,
        "old session ended"
    );
    let (status, page) = set_new_password(&app, &link, "sandi-ketiga-panjang").await;
    assert_eq!(status, 400);
    assert!(page.contains("Tautan tidak berlaku"));
    assert!(
        app.sign_in(&username, "sandi-baru-dari-tautan")
            .await
            .is_ok()
    );

    // expiry: 31 minutes later the link is refused and nothing changes
    let other = app.client();
    assert_eq!(
        ask_reset(&app, &other, "lupa@uji.go.id").await.status(),
        200
    );
    let mail = smtp.wait_for("lupa@uji.go.id", 2).await;
    let newest = mail
        .iter()
        .map(|m| m.link("/reset-sandi?token="))
        .find(|l| *l != link)
        .unwrap();
    clock.advance(chrono::Duration::minutes(31));
    let (status, _) = set_new_password(&app, &newest, "sandi-kedaluwarsa-x").await;
    assert_eq!(status, 400);
    assert!(
        app.sign_in(&username, "sandi-baru-dari-tautan")
            .await
            .is_ok()
    );

    // a link asked for before a password change or a change of address stops working
    let fresh = |n: usize| {
        let smtp = &smtp;
        async move {
            let mail = smtp.wait_for("lupa@uji.go.id", n).await;
            let seen: Vec<String> = mail.iter().map(|m| m.link("/reset-sandi?token=")).collect();
            seen
        }
    };
    let before: Vec<String> = fresh(2).await;
    assert_eq!(
        ask_reset(&app, &app.client(), &username).await.status(),
        200
    );
    let after = fresh(3).await;
    let pending = after.iter().find(|l| !before.contains(l)).unwrap().clone();
    let me = app
        .sign_in(&username, "sandi-baru-dari-tautan")
        .await
        .ok()
        .unwrap();
    let res = me
        .post(
            "/akun/kata-sandi",
            &[
                ("current", "sandi-baru-dari-tautan"),
                ("new_password", "sandi-diganti-sendiri"),
                ("confirm", "sandi-diganti-sendiri"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        set_new_password(&app, &pending, "sandi-lewat-tautan-lama")
            .await
            .0,
        400
    );
    // requests for one account from one address count together, whatever was typed:
    // this would be the fourth within the hour, so half an hour passes first
    clock.advance(chrono::Duration::minutes(30));
    assert_eq!(
        ask_reset(&app, &app.client(), "lupa@uji.go.id")
            .await
            .status(),
        200
    );
    let later = fresh(4).await;
    let pending = later.iter().find(|l| !after.contains(l)).unwrap().clone();
    zi_tracker::users::set_email(
        app.db(),
        &zi_tracker::audit::Actor::cli(),
        id,
        "baru@uji.go.id",
    )
    .await
    .unwrap();
    assert_eq!(
        set_new_password(&app, &pending, "sandi-lewat-tautan-lama")
            .await
            .0,
        400
    );
    assert!(
        app.sign_in(&username, "sandi-diganti-sendiri")
            .await
            .is_ok()
    );
    // once sent, a message's single-use link is not kept in the outbox
    drained(&app).await;
    let kept: Vec<String> =
        sqlx::query_scalar("SELECT body_text || body_html FROM outbox WHERE kind = 'reset'")
            .fetch_all(app.db())
            .await
            .unwrap();
    assert_eq!(kept.len(), 4);
    assert!(kept.iter().all(|b| !b.contains("token=")), "{kept:?}");
    // and it says it was sent by a machine
    assert!(
        smtp.messages()
            .iter()
            .all(|m| m.auto_submitted == "auto-generated")
    );

    // a signed-in browser may use the form too (its session's token)
    let signed = app.signed_in("staf").await;
    let res = signed
        .post("/lupa-sandi", &[("identitas", "siapa-saja")])
        .await;
    assert_eq!(res.status(), 200);

    // throttled like sign-in, the same way for known and unknown accounts
    let third = app.client();
    for _ in 0..3 {
        assert_eq!(ask_reset(&app, &third, "orang-lain").await.status(), 200);
    }
    let res = ask_reset(&app, &third, "orang-lain").await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Terlalu banyak permintaan")
    );
}

#[tokio::test]
async fn an_address_set_by_its_owner_is_used_only_after_its_link_is_opened() {
    let smtp = MailServer::start();
    let clock = Clock::manual(wib(2026, 11, 30, 9));
    let app = spawn_app_with(|c| mail_config(c, &smtp, &clock)).await;
    let me = app.signed_in("staf").await;
    let res = me
        .post(
            "/akun/notifikasi",
            &[
                ("email", "saya@uji.go.id"),
                ("mode", "segera"),
                ("jam", "7"),
                ("current", PASSWORD),
            ],
        )
        .await;
    assert_eq!(location(&res), "/akun/notifikasi?pesan=verifikasi-dikirim");
    let (_, page) = me.get_text("/akun/notifikasi").await;
    assert!(page.contains("Menunggu verifikasi"));
    // not verified yet: no reset mail to it
    let browser = app.client();
    ask_reset(&app, &browser, "saya@uji.go.id").await;
    let mail = smtp.wait_for("saya@uji.go.id", 1).await;
    drained(&app).await;
    assert_eq!(smtp.to("saya@uji.go.id").len(), 1, "only the verification");
    assert!(mail[0].subject.contains("Verifikasi"));
    let link = mail[0].link("/akun/surel/verifikasi?token=");
    // a forged token changes nothing
    let res = app
        .client()
        .get(app.url("/akun/surel/verifikasi?token=palsu"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = app
        .client()
        .get(app.url(&link[app.base.len()..]))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/login?pesan=surel-terverifikasi");
    let (_, page) = me.get_text("/akun/notifikasi").await;
    assert!(
        page.contains("saya@uji.go.id</strong> (terverifikasi)"),
        "{page}"
    );
    // once only
    let res = app
        .client()
        .get(app.url(&link[app.base.len()..]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    // a form that mails any address typed into it is limited: 3 links an hour
    for (n, address) in ["dua@uji.go.id", "tiga@uji.go.id"].iter().enumerate() {
        let res = me
            .post(
                "/akun/notifikasi",
                &[
                    ("email", address),
                    ("mode", "segera"),
                    ("jam", "7"),
                    ("current", PASSWORD),
                ],
            )
            .await;
        assert_eq!(res.status(), 303, "{n}");
    }
    let res = me
        .post(
            "/akun/notifikasi",
            &[
                ("email", "empat@uji.go.id"),
                ("mode", "segera"),
                ("jam", "7"),
                ("current", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), 429);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("value=\"empat@uji.go.id\"")
    );
    // the refusal keeps every choice made on the form, not only the address
    let res = me
        .post(
            "/akun/notifikasi",
            &[
                ("email", "empat@uji.go.id"),
                ("mode", "harian"),
                ("jam", "21"),
                ("current", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), 429);
    let page = res.text().await.unwrap();
    assert_eq!(
        crate::helpers::html::attr_values(&page, "input[name=mode][checked]", "value"),
        vec!["harian"]
    );
    assert_eq!(
        crate::helpers::html::field_value(&page, "jam").as_deref(),
        Some("21")
    );
    smtp.wait_for("tiga@uji.go.id", 1).await;
    drained(&app).await;
    assert!(smtp.to("empat@uji.go.id").is_empty());
    // the address in use stays the verified one meanwhile
    let (_, page) = me.get_text("/akun/notifikasi").await;
    assert!(page.contains("saya@uji.go.id</strong> (terverifikasi)"));

    // a day after its verification, the reset goes to it
    sqlx::query("UPDATE users SET email_verified_at = email_verified_at - 24 * 3600 WHERE id = ?")
        .bind(me.user_id)
        .execute(app.db())
        .await
        .unwrap();
    ask_reset(&app, &browser, "saya@uji.go.id").await;
    let mail = smtp.wait_for("saya@uji.go.id", 2).await;
    assert!(
        mail.iter()
            .any(|m| m.subject.contains("Atur ulang kata sandi"))
    );

    // the newest pending address, verified from the owner's own browser: back to
    // their settings, which now show it
    let link = smtp.wait_for("tiga@uji.go.id", 1).await[0].link("/akun/surel/verifikasi?token=");
    let res = me.get(&link[app.base.len()..]).await;
    assert_eq!(location(&res), "/akun/notifikasi?pesan=surel-terverifikasi");
    let (_, page) = me
        .get_text("/akun/notifikasi?pesan=surel-terverifikasi")
        .await;
    assert!(
        page.contains("tiga@uji.go.id</strong> (terverifikasi)"),
        "{page}"
    );
    assert!(page.contains("Alamat surel telah diverifikasi"));
}

// ---------------------------------------------------------------------------
// The binary killed while it sends a burst.

fn start_server(data: &Path, smtp: &MailServer) -> (Child, String) {
    crate::crash::start_with(
        data.to_str().unwrap(),
        &[
            "--smtp-url",
            smtp.url().as_str(),
            "--mail-from",
            "ZI <zi@uji.go.id>",
        ],
    )
}

#[tokio::test]
async fn a_kill_during_a_burst_loses_no_mail_and_sends_none_under_another_id() {
    let smtp = MailServer::start();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_s = data.to_str().unwrap().to_string();
    let cli = |args: &[&str], stdin: Option<&str>| {
        crate::helpers::run_cli(&[&["--data-dir", data_s.as_str()], args].concat(), stdin)
    };
    let (st, _, err) = cli(
        &[
            "user",
            "add",
            "--username",
            "kepala",
            "--role",
            "admin-instansi",
            "--password-stdin",
            "--email",
            "kepala@uji.go.id",
        ],
        Some(PASSWORD),
    );
    assert!(st.success(), "{err}");
    let (st, _, err) = cli(
        &[
            "user",
            "add",
            "--username",
            "pic",
            "--role",
            "staf",
            "--password-stdin",
        ],
        Some(PASSWORD),
    );
    assert!(st.success(), "{err}");
    let (st, out, err) = cli(
        &[
            "user",
            "set-email",
            "--username",
            "pic",
            "--email",
            "burst@uji.go.id",
        ],
        None,
    );
    assert!(st.success() && out.contains("burst@uji.go.id"), "{err}");
    let (st, _, err) = cli(
        &[
            "user",
            "set-email",
            "--username",
            "pic",
            "--email",
            "bukan alamat",
        ],
        None,
    );
    assert!(!st.success() && err.contains("tidak sah"), "{err}");

    let pool = zi_tracker::db::open(&data).await.unwrap();
    let pic: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'pic'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let steps: Vec<i64> = sqlx::query_scalar(
        "SELECT s.id FROM action_steps s JOIN indicators i ON i.id = s.indicator_id
         JOIN areas a ON a.id = i.area_id JOIN components c ON c.id = a.component_id
         WHERE c.year = 2021 ORDER BY s.id LIMIT 60",
    )
    .fetch_all(&pool)
    .await
    .unwrap();

    let (mut child, base) = start_server(&data, &smtp);
    let sign_in = |base: String| async move {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let page = client
            .get(format!("{base}/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let token = crate::helpers::csrf_from(&page);
        let res = client
            .post(format!("{base}/login"))
            .form(&[
                ("csrf_token", token.as_str()),
                ("username", "kepala"),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let page = client
            .get(format!("{base}/akun/kata-sandi"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        (client, crate::helpers::csrf_from(&page))
    };
    // each assignment is acknowledged (303) before the next is sent
    let assign_all = |base: String, steps: Vec<i64>| async move {
        let (client, csrf) = sign_in(base.clone()).await;
        for step in &steps {
            let res = client
                .post(format!("{base}/langkah/{step}/pic"))
                .form(&[
                    ("csrf_token", csrf.as_str()),
                    ("periode", "2021-2"),
                    ("user_id", &pic.to_string()),
                    ("aksi", "tambah"),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 303);
        }
        steps.len()
    };
    let mut acknowledged = assign_all(base.clone(), steps[..25].to_vec()).await;
    // SIGKILL as soon as the outbox has started sending the burst (waiting up to 30 s:
    // a loaded machine is slow to send the first, the loop ends as soon as it arrives)
    for _ in 0..6000 {
        if !smtp.to("burst@uji.go.id").is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let sent_before_kill = smtp.to("burst@uji.go.id").len();
    assert!(sent_before_kill >= 1, "the kill came after sending began");
    eprintln!("{sent_before_kill} of 25 messages had arrived when the server was killed");
    let (mut child, base) = start_server(&data, &smtp);
    acknowledged += assign_all(base.clone(), steps[25..].to_vec()).await;
    assert_eq!(acknowledged, steps.len());
    // everything written goes out
    let mut unsent = -1;
    for _ in 0..1200 {
        unsent = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
            .fetch_one(&pool)
            .await
            .unwrap();
        if unsent == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(unsent, 0, "the outbox drains after the restart");
    let _ = child.kill();
    let _ = child.wait();
    let written: Vec<(String, String)> =
        sqlx::query_as("SELECT message_id, subject FROM outbox ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        written.len(),
        steps.len(),
        "one message per acknowledged assignment"
    );
    let received = smtp.to("burst@uji.go.id");
    // every message arrived; a repeat (sent, then killed before marked) keeps its id
    let by_id: BTreeMap<String, usize> = received.iter().fold(BTreeMap::new(), |mut m, r| {
        *m.entry(r.message_id.clone()).or_default() += 1;
        m
    });
    for (id, _) in &written {
        assert!(by_id.contains_key(id), "message {id} never arrived");
    }
    assert_eq!(by_id.len(), written.len(), "no message under another id");
    let subjects: BTreeSet<&str> = received.iter().map(|r| r.subject.as_str()).collect();
    assert_eq!(
        subjects.len(),
        steps.len(),
        "each assignment's message once per id"
    );
    assert!(
        received.len() <= written.len() + 1,
        "at most the one in flight is sent again: {} for {}",
        received.len(),
        written.len()
    );
    pool.close().await;
}

#[tokio::test]
async fn addresses_set_by_an_admin_are_trusted_and_readers_manage_their_own_list() {
    let app = spawn_app_with(|_| {}).await;
    let admin = app.signed_in("admin").await;
    let before = crate::helpers::fingerprint(app.db()).await;
    let form = |email: &'static str| {
        vec![
            ("username", "dewi"),
            ("display_name", "Dewi Lestari"),
            ("email", email),
            ("role", "staf"),
            ("unit_id", "1"),
            ("password", "sandi-awal-dewi-123"),
            ("password_confirm", "sandi-awal-dewi-123"),
        ]
    };
    let res = admin.post("/admin/pengguna/baru", &form("dewi@@uji")).await;
    assert_eq!(res.status(), 400);
    let page = res.text().await.unwrap();
    assert_eq!(
        Html::texts(&page, "#ringkasan-galat li"),
        vec!["Alamat surel \"dewi@@uji\" tidak sah; contoh: nama@instansi.go.id."]
    );
    assert!(page.contains("value=\"dewi@@uji\"") && page.contains("value=\"Dewi Lestari\""));
    assert_eq!(crate::helpers::fingerprint(app.db()).await, before);
    // a line break in a name would garble mail subjects: refused
    let mut broken = form("dewi@uji.go.id");
    broken[1] = ("display_name", "Dewi\r\nBcc: lain@uji.go.id");
    let res = admin.post("/admin/pengguna/baru", &broken).await;
    assert_eq!(res.status(), 400);
    assert_eq!(crate::helpers::fingerprint(app.db()).await, before);
    let res = admin
        .post("/admin/pengguna/baru", &form("dewi@uji.go.id"))
        .await;
    assert_eq!(location(&res), "/admin/pengguna?pesan=pengguna-dibuat");
    let (email, verified): (String, bool) =
        sqlx::query_as("SELECT email, email_verified FROM users WHERE username = 'dewi'")
            .fetch_one(app.db())
            .await
            .unwrap();
    assert_eq!((email.as_str(), verified), ("dewi@uji.go.id", true));

    // the instansi's leader only reads a unit, but keeps their own list and settings
    let leader = app.signed_in("pimpinan-instansi").await;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO notifications (user_id, kind, title, link, created_at)
         VALUES (?, 'jendela', 'Jendela usulan dibuka', '/dashboard', 0) RETURNING id",
    )
    .bind(leader.user_id)
    .fetch_one(app.db())
    .await
    .unwrap();
    let res = leader.post(&format!("/notifikasi/{id}/baca"), &[]).await;
    assert_eq!(location(&res), "/notifikasi?pesan=notifikasi-ditandai");
    let res = leader
        .post(
            "/akun/notifikasi",
            &[("email", ""), ("mode", "tidak"), ("jam", "7")],
        )
        .await;
    assert_eq!(
        location(&res),
        "/akun/notifikasi?pesan=pemberitahuan-disimpan"
    );
    // …and still changes nothing of the unit's
    let step = app.step_id("I", 1, 1, 1).await;
    let res = leader
        .post(
            &format!("/langkah/{step}/pic"),
            &[("periode", "2021-2"), ("user_id", "1"), ("aksi", "tambah")],
        )
        .await;
    assert_eq!(res.status(), 403);
}

#[test]
fn mail_settings_that_cannot_work_stop_the_start_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_s = data.to_str().unwrap();
    for (flags, says) in [
        (
            vec!["--smtp-url", "http://mail.uji.go.id:25"],
            "alamat SMTP \"http://mail.uji.go.id:25/\" tidak sah",
        ),
        (
            vec!["--smtp-url", "mail.uji.go.id"],
            "alamat SMTP \"mail.uji.go.id\" tidak sah",
        ),
        (
            vec!["--smtp-url", "smtp://127.0.0.1:2?tls=apa"],
            "alamat SMTP \"smtp://127.0.0.1:2?tls=apa\" tidak dapat dipakai",
        ),
        (
            vec![
                "--smtp-url",
                "smtp://127.0.0.1:2",
                "--mail-from",
                "bukan alamat",
            ],
            "alamat pengirim \"bukan alamat\" tidak sah",
        ),
    ] {
        let mut args = vec!["serve", "--bind", "127.0.0.1:0", "--data-dir", data_s];
        args.extend(flags);
        let (status, _, err) = crate::helpers::run_cli(&args, None);
        assert_eq!(status.code(), Some(2), "{err}");
        assert!(err.contains(says), "{err}");
        assert!(
            !data.exists(),
            "nothing is written before the settings are good"
        );
    }
}
