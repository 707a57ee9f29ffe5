//! The user journey in a real browser: Debian's chromium driven through chromedriver
//! (WebDriver) against the real server on port 0. Screenshots of every page visited
//! go to target/e2e/. Without chromium or chromedriver the test is reported as
//! ignored with how to install them, except under CI (`CI` set), where it fails.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use calamine::{Reader, Xlsx, open_workbook_from_rs};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::helpers::{PASSWORD, pdf_bytes, spawn_app};

/// A long narrative: the printed report must keep its last word.
const NARRATIVE: &str = "Rapat evaluasi semester II telah dilaksanakan bersama seluruh anggota tim kerja \
    pembangunan zona integritas, membahas capaian setiap komponen, kendala pelaksanaan \
    rencana kerja, tindak lanjut rekomendasi penilai internal, serta pembagian tugas untuk \
    semester berikutnya sampai seluruh dokumen tuntasdiarsipkan";

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path).chain([
        PathBuf::from("/usr/bin"),
        PathBuf::from("/usr/lib/chromium"),
    ]) {
        for n in names {
            let p = dir.join(n);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn start_driver(driver: &Path) -> (Driver, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let guard = Driver(child);
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return (guard, port);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("chromedriver did not listen on port {port}");
}

struct Browser {
    c: Client,
    base: String,
    shots: PathBuf,
    n: usize,
}

impl Browser {
    async fn shot(&mut self, name: &str) {
        self.n += 1;
        let png = self.c.screenshot().await.expect("screenshot");
        std::fs::write(self.shots.join(format!("{:02}-{name}.png", self.n)), png).unwrap();
    }
    async fn go(&mut self, path: &str, name: &str) {
        self.c
            .goto(&format!("{}{path}", self.base))
            .await
            .expect("goto");
        self.shot(name).await;
    }
    async fn fill(&self, css: &str, text: &str) {
        let e = self
            .c
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|_| panic!("field {css}"));
        e.clear().await.ok();
        e.send_keys(text).await.expect("type");
    }
    async fn click(&mut self, css: &str, name: &str) {
        let e = self
            .c
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|_| panic!("button {css}"));
        e.click().await.expect("click");
        self.c
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css("footer.site, main"))
            .await
            .ok();
        self.shot(name).await;
    }
    async fn select(&self, css: &str, value: &str) {
        let e = self
            .c
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|_| panic!("select {css}"));
        e.select_by_value(value).await.expect("select");
    }
    async fn source(&self) -> String {
        self.c.source().await.expect("source")
    }
    async fn path(&self) -> String {
        self.c.current_url().await.expect("url").path().to_string()
    }
    async fn sign_in(&mut self, user: &str, password: &str) {
        self.go("/login", &format!("login-{user}")).await;
        self.fill("#username", user).await;
        self.fill("#password", password).await;
        self.click(
            "form[action='/login'] button[type=submit]",
            &format!("masuk-{user}"),
        )
        .await;
    }
    async fn change_password(&mut self, current: &str, new: &str, user: &str) {
        assert_eq!(
            self.path().await,
            "/akun/kata-sandi",
            "{user} must choose a password first"
        );
        self.fill("#current", current).await;
        self.fill("#new_password", new).await;
        self.fill("#confirm", new).await;
        self.click(
            "form[action='/akun/kata-sandi'] button[type=submit]",
            &format!("sandi-{user}"),
        )
        .await;
    }
    async fn sign_out(&mut self, user: &str) {
        self.click(
            "form[action='/logout'] button[type=submit]",
            &format!("keluar-{user}"),
        )
        .await;
    }
}

// Without the browser the build marks this test ignored (see build.rs), so the test
// output says "ignored" with the reason rather than "ok".
#[tokio::test]
#[cfg_attr(
    browser_missing,
    ignore = "Chromium/ChromeDriver/pdftotext tidak terpasang: apt-get install -y chromium chromium-driver poppler-utils"
)]
async fn journey_in_a_real_browser() {
    let chromium = find_program(&["chromium", "chromium-browser"]);
    let driver = find_program(&["chromedriver"]);
    let (Some(chromium), Some(driver)) = (chromium, driver) else {
        panic!(
            "Uji peramban membutuhkan Chromium dan ChromeDriver: apt-get install -y chromium chromium-driver"
        );
    };

    let app = spawn_app().await;
    let admin_pw = app.initial_admin_password.clone().expect("fresh install");
    let penilai = app.create_user("penilai").await.1;
    let pimpinan = app.create_user("pimpinan").await.1;
    let step = app.step_id("I", 2, 1, 1).await;

    let shots = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("e2e");
    let _ = std::fs::remove_dir_all(&shots);
    std::fs::create_dir_all(&shots).unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let profile = tempfile::tempdir().unwrap();

    let (_driver, port) = start_driver(&driver).await;
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium.to_string_lossy(),
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-default-apps",
                "--window-size=1280,1000",
                format!("--user-data-dir={}", profile.path().display()),
            ],
            "prefs": {
                "download.default_directory": downloads.path().to_string_lossy(),
                "download.prompt_for_download": false,
            },
        }),
    );
    // WebDriver runs on loopback over plain http: no TLS stack needed.
    let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a browser session");
    let mut b = Browser {
        c,
        base: app.base.clone(),
        shots: shots.clone(),
        n: 0,
    };

    // 1. The admin signs in with the password printed at first start, chooses a new
    //    one, creates a staff account and assigns a step.
    b.sign_in("admin", &admin_pw).await;
    b.change_password(&admin_pw, "admin-baru-yang-panjang", "admin")
        .await;
    b.go("/admin/pengguna/baru", "pengguna-baru").await;
    b.fill("#username", "budi").await;
    b.fill("#display_name", "Budi Santoso").await;
    b.select("#role", "staf").await;
    b.fill("#password", "sandi-awal-budi-123").await;
    b.fill("#password_confirm", "sandi-awal-budi-123").await;
    b.click(
        "form[action='/admin/pengguna/baru'] button[type=submit]",
        "pengguna-dibuat",
    )
    .await;
    assert!(b.source().await.contains("Akun pengguna telah dibuat."));
    let budi: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'budi'")
        .fetch_one(app.db())
        .await
        .unwrap();
    b.go(&format!("/langkah/{step}?periode=2021-2"), "langkah-admin")
        .await;
    b.select("#pic_user", &budi.to_string()).await;
    b.click("form[action$='/pic'] button[type=submit]", "pic-ditugaskan")
        .await;
    assert!(b.source().await.contains("PIC telah ditugaskan."));
    b.sign_out("admin").await;

    // 2. The staff member sees the step on Tugas saya, records progress, uploads a PDF.
    b.sign_in("budi", "sandi-awal-budi-123").await;
    b.change_password("sandi-awal-budi-123", "sandi-budi-sendiri-1", "budi")
        .await;
    assert_eq!(b.path().await, "/tugas");
    let tasks = b.source().await;
    assert!(tasks.contains("Penyusunan dokumen rencana kerja pembangunan ZI"));
    b.click(
        &format!("a[href='/langkah/{step}?periode=2021-2']"),
        "langkah-staf",
    )
    .await;
    b.select("#status", "berjalan").await;
    b.fill("#realization", "60").await;
    b.fill("#narrative", NARRATIVE).await;
    b.click(
        "form[action$='/progres'] button[type=submit]",
        "progres-disimpan",
    )
    .await;
    assert!(b.source().await.contains("Progres telah disimpan."));
    let pdf = downloads.path().join("notulen-rapat.pdf");
    std::fs::write(&pdf, pdf_bytes("notulen")).unwrap();
    b.c.find(Locator::Css("#file"))
        .await
        .unwrap()
        .send_keys(&pdf.to_string_lossy())
        .await
        .unwrap();
    b.click(
        "form[enctype='multipart/form-data'] button[type=submit]",
        "bukti-diunggah",
    )
    .await;
    let page = b.source().await;
    assert!(
        page.contains("Bukti dukung telah diunggah.") && page.contains("notulen-rapat.pdf"),
        "upload"
    );
    b.sign_out("budi").await;
    std::fs::remove_file(&pdf).unwrap();

    // 3. The evaluator asks for a fix.
    b.sign_in(&penilai, PASSWORD).await;
    b.go(
        &format!("/langkah/{step}?periode=2021-2"),
        "langkah-penilai",
    )
    .await;
    b.c.find(Locator::Css("#verdict-fix"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.fill("#note", "Lampirkan daftar hadir rapat").await;
    b.click(
        "form[action$='/reviu'] button[type=submit]",
        "reviu-perbaikan",
    )
    .await;
    assert!(b.source().await.contains("Hasil reviu telah disimpan."));
    b.sign_out("penilai").await;

    // 4. The staff member sees the request first, uploads what was asked and sends
    //    the step back with an answer.
    b.sign_in("budi", "sandi-budi-sendiri-1").await;
    let tasks = b.source().await;
    assert!(tasks.contains("Perlu perbaikan") && tasks.contains("Lampirkan daftar hadir rapat"));
    // the header counts what is new for him (the assignment, the fix request); the
    // newest notification opens the step
    assert!(tasks.contains("Notifikasi, 2 belum dibaca"), "header count");
    b.click("a[href='/notifikasi']", "notifikasi").await;
    let list = b.source().await;
    assert!(
        list.contains("Perbaikan diminta: langkah I.2.a.1"),
        "{list}"
    );
    b.click("ul.notices li:first-child p a", "langkah-perbaikan")
        .await;
    assert_eq!(b.path().await, format!("/u/balitnak/langkah/{step}"));
    assert!(b.source().await.contains("Notifikasi, 1 belum dibaca"));
    let hadir = downloads.path().join("daftar-hadir.pdf");
    std::fs::write(&hadir, pdf_bytes("daftar hadir")).unwrap();
    b.c.find(Locator::Css("#file"))
        .await
        .unwrap()
        .send_keys(&hadir.to_string_lossy())
        .await
        .unwrap();
    b.click(
        "form[enctype='multipart/form-data'] button[type=submit]",
        "daftar-hadir-diunggah",
    )
    .await;
    std::fs::remove_file(&hadir).unwrap();
    b.fill("#jawaban", "Daftar hadir rapat sudah dilampirkan")
        .await;
    b.click(
        "form[action$='/ajukan'] button[type=submit]",
        "diajukan-ulang",
    )
    .await;
    assert!(
        b.source()
            .await
            .contains("Langkah telah diajukan ulang untuk reviu.")
    );
    b.sign_out("budi").await;

    // The evaluator lands on the queue, opens the step and accepts it.
    b.sign_in(&penilai, PASSWORD).await;
    assert_eq!(b.path().await, "/reviu");
    assert!(b.source().await.contains("diajukan ulang"));
    b.click(
        &format!("a[href='/langkah/{step}?periode=2021-2&antrian=1']"),
        "antrean-buka",
    )
    .await;
    assert!(
        b.source()
            .await
            .contains("Daftar hadir rapat sudah dilampirkan")
    );
    b.c.find(Locator::Css("#verdict-ok"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.click(
        "form[action$='/reviu'] button[type=submit]",
        "reviu-diterima",
    )
    .await;
    assert!(b.source().await.contains("Hasil reviu telah disimpan."));
    b.go("/reviu", "antrean-kosong").await;
    assert!(
        b.source()
            .await
            .contains("Tidak ada langkah yang menunggu reviu.")
    );
    b.sign_out("penilai").await;

    // 5. The head of unit sees it on the dashboard and downloads the spreadsheet.
    b.sign_in(&pimpinan, PASSWORD).await;
    assert_eq!(b.path().await, "/dashboard");
    let dash = b.source().await;
    assert!(
        dash.contains("Komponen I: Selesai 0, Sedang berjalan 1, Belum dimulai 8"),
        "dashboard shows the change"
    );
    b.click("a[href^='/laporan/target.xlsx']", "unduh-xlsx")
        .await;
    let mut file = None;
    for _ in 0..100 {
        file = std::fs::read_dir(downloads.path())
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == "xlsx"));
        if file.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let file = file.expect("the browser downloaded the XLSX");
    let mut wb: Xlsx<_> =
        open_workbook_from_rs(Cursor::new(std::fs::read(&file).unwrap())).unwrap();
    let sheet = wb.worksheet_range("Target dan Progres").unwrap();
    let found = sheet.rows().any(|r| r.iter().any(|c| *c == NARRATIVE));
    assert!(found, "the spreadsheet holds what the tracker shows");

    // The printed report fits A4 landscape: every column and the narrative's last word
    // are on the page; its first page is kept as an image beside the screenshots.
    b.go("/laporan/cetak?periode=2021-2", "cetak").await;
    let pdf =
        b.c.print(
            fantoccini::wd::PrintConfiguration::builder()
                .orientation(fantoccini::wd::PrintOrientation::Landscape)
                .build()
                .unwrap(),
        )
        .await
        .expect("the browser prints to PDF");
    let pdf_path = shots.join("cetak.pdf");
    std::fs::write(&pdf_path, &pdf).unwrap();
    let text = Command::new("pdftotext")
        .arg(&pdf_path)
        .arg("-")
        .output()
        .expect("pdftotext (apt-get install poppler-utils)");
    let text = String::from_utf8_lossy(&text.stdout).to_string();
    for header in [
        "No",
        "Langkah Aksi",
        "Kewenangan",
        "PIC",
        "Status",
        "Realisasi",
        "Uraian",
        "Bukti",
        "Reviu",
    ] {
        assert!(text.contains(header), "column {header} printed:\n{text}");
    }
    assert!(
        text.contains("tuntasdiarsipkan"),
        "the narrative's last word:\n{text}"
    );
    assert!(text.contains("Halaman 1 dari"), "page numbers:\n{text}");
    let pages = text.matches('\u{c}').count();
    assert!(pages <= 12, "74 steps on {pages} pages");
    Command::new("pdftoppm")
        .args(["-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&pdf_path)
        .arg(shots.join("99-cetak-halaman-1"))
        .status()
        .expect("pdftoppm");
    b.sign_out("pimpinan").await;

    // 6. The LKE: the admin gives question 1 to the staff member.
    b.sign_in("admin", "admin-baru-yang-panjang").await;
    b.go("/lke/2026/soal/1", "soal-admin").await;
    b.select("#pic-baru", &budi.to_string()).await;
    b.click(
        "form.toolbar[action$='/pic'] button[type=submit]",
        "soal-pic",
    )
    .await;
    assert!(b.source().await.contains("PIC telah ditugaskan."));
    b.sign_out("admin").await;

    // 7. The staff member answers it from Tugas saya, with evidence.
    b.sign_in("budi", "sandi-budi-sendiri-1").await;
    b.click("a[href='/lke/2026/soal/1']", "soal-staf").await;
    b.c.find(Locator::Css("#unit-jawaban-1"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.fill("#unit-catatan", "Tim ZI dibentuk dengan SK Kepala Balai")
        .await;
    b.fill(
        "#unit-bukti",
        "https://balitnak.example.go.id/sk-tim-zi.pdf",
    )
    .await;
    b.click(
        "form[action$='/jawaban'] button[type=submit]",
        "soal-dijawab",
    )
    .await;
    assert!(b.source().await.contains("Jawaban telah disimpan."));
    b.sign_out("budi").await;

    // 8. The evaluator answers it differently, with a note.
    b.sign_in(&penilai, PASSWORD).await;
    b.go("/lke/2026/soal/1", "soal-penilai").await;
    b.c.find(Locator::Css("#tpi-jawaban-2"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.fill("#tpi-catatan", "SK belum ditandatangani Kepala Balai")
        .await;
    b.click("form[action$='/tpi'] button[type=submit]", "soal-dinilai")
        .await;
    let page = b.source().await;
    assert!(page.contains("Jawaban telah disimpan.") && page.contains("berbeda dari jawaban unit"));
    b.sign_out("penilai").await;

    // 9. The unit submits; 10. the TPI finalises.
    b.sign_in("admin", "admin-baru-yang-panjang").await;
    b.go("/lke/2026/soal", "lembar-kerja-admin").await;
    b.c.find(Locator::Css("#yakin-kirim"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.click(
        "form[action='/lke/2026/kirim'] button[type=submit]",
        "kirim-tpi",
    )
    .await;
    assert!(b.source().await.contains("jawaban unit kini terkunci"));
    b.sign_out("admin").await;
    b.sign_in(&penilai, PASSWORD).await;
    b.go("/lke/2026/soal", "lembar-kerja-penilai").await;
    b.c.find(Locator::Css("#yakin-final"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.click(
        "form[action='/lke/2026/final'] button[type=submit]",
        "tpi-final",
    )
    .await;
    assert!(b.source().await.contains("jawaban TPI kini terkunci"));
    b.sign_out("penilai").await;

    // 11. The head of unit sees both scores and readiness.
    b.sign_in(&pimpinan, PASSWORD).await;
    b.go("/lke/2026", "lke-pimpinan").await;
    let page = b.source().await;
    let figures = crate::helpers::html::texts(&page, ".figure").join(" | ");
    assert!(figures.contains("0,25 nilai mandiri"), "{figures}");
    assert!(figures.contains("0,00 nilai TPI"), "{figures}");
    assert!(page.contains("Syarat WBK") && page.contains("bukan keputusan TPN"));

    // The print view's table fits a 1366 px screen too.
    b.c.set_window_size(1366, 768).await.unwrap();
    b.go("/laporan/cetak?periode=2021-2", "cetak-1366").await;
    let (table_right, viewport) = {
        let v =
            b.c.execute(
                "const r = document.querySelector('table.print-table').getBoundingClientRect(); \
                 return [r.right, document.documentElement.clientWidth];",
                vec![],
            )
            .await
            .unwrap();
        (v[0].as_f64().unwrap(), v[1].as_f64().unwrap())
    };
    assert!(
        table_right <= viewport,
        "table ends at {table_right} of {viewport} px"
    );

    // 12. On a phone (390 px) no main page scrolls sideways.
    b.c.set_window_size(390, 844).await.unwrap();
    let mut wide = Vec::new();
    let pages = [
        "/dashboard".to_string(),
        "/dashboard?periode=2021-2".to_string(),
        format!("/langkah/{step}?periode=2021-2"),
        "/laporan".to_string(),
        "/laporan/cetak?periode=2021-2".to_string(),
        "/katalog".to_string(),
        "/reviu".to_string(),
        "/lke/2026".to_string(),
        "/lke/2026/soal".to_string(),
        "/lke/2026/soal/1".to_string(),
    ];
    let check = |b: &Browser| {
        let c = b.c.clone();
        async move {
            c.execute("return document.documentElement.scrollWidth", vec![])
                .await
                .unwrap()
                .as_i64()
                .unwrap()
        }
    };
    // a table that scrolls sideways must be reachable by keyboard, and named (WCAG 2.1.1)
    let mut unreachable = Vec::new();
    let scrollers = |b: &Browser| {
        let c = b.c.clone();
        async move {
            c.execute(
                "return [...document.querySelectorAll('*')]
                   .filter(e => e.scrollWidth > e.clientWidth + 1
                     && ['auto', 'scroll'].includes(getComputedStyle(e).overflowX))
                   .filter(e => e.tabIndex < 0 || !e.getAttribute('aria-label')
                     || e.getAttribute('role') !== 'region')
                   .map(e => e.outerHTML.slice(0, 80))",
                vec![],
            )
            .await
            .unwrap()
            .as_array()
            .unwrap()
            .len()
        }
    };
    let mut scrolling_seen = 0;
    for p in &pages {
        b.go(p, &format!("hp{}", p.replace(['/', '?', '=', '&'], "-")))
            .await;
        let w = check(&b).await;
        if w > 390 {
            wide.push((p.clone(), w));
        }
        let bad = scrollers(&b).await;
        if bad > 0 {
            unreachable.push((p.clone(), bad));
        }
        scrolling_seen +=
            b.c.execute(
                "return [...document.querySelectorAll('.table-wrap')]
                   .filter(e => e.scrollWidth > e.clientWidth + 1).length",
                vec![],
            )
            .await
            .unwrap()
            .as_i64()
            .unwrap();
    }
    assert!(
        unreachable.is_empty(),
        "sideways-scrolling areas without tabindex, role and name: {unreachable:?}"
    );
    assert!(
        scrolling_seen > 0,
        "the check met no scrolling table at 390 px"
    );
    b.sign_out("pimpinan").await;
    b.sign_in("budi", "sandi-budi-sendiri-1").await;
    for p in [
        "/tugas?periode=2021-2".to_string(),
        format!("/langkah/{step}?periode=2021-2"),
    ] {
        b.go(&p, "hp-staf").await;
        let w = check(&b).await;
        if w > 390 {
            wide.push((p.clone(), w));
        }
    }
    assert!(wide.is_empty(), "pages wider than a 390 px phone: {wide:?}");
    // the status of a step is visible at a glance on Tugas saya
    b.go("/tugas?periode=2021-2", "hp-tugas").await;
    let status =
        b.c.find(Locator::Css("table.stack td[data-label=Status]"))
            .await
            .unwrap();
    let rect = status.rectangle().await.unwrap();
    assert!(
        rect.0 >= 0.0 && rect.0 + rect.2 <= 390.0,
        "status cell at {rect:?}"
    );
    b.sign_out("budi").await;
    b.c.set_window_size(1280, 1000).await.unwrap();

    // 13. Many units. The instansi admin adds a second unit and its admin, and gives
    //     the evaluator a role there too.
    b.sign_in("admin", "admin-baru-yang-panjang").await;
    b.go("/admin/unit-kerja", "unit-kerja").await;
    b.fill("#code", "bbpt").await;
    b.fill("#name", "Balai Besar Pascapanen").await;
    b.click(
        "form[action='/admin/unit-kerja'] button[type=submit]",
        "unit-kerja-ditambah",
    )
    .await;
    assert!(b.source().await.contains("Unit kerja telah disimpan."));
    let bbpt: i64 = sqlx::query_scalar("SELECT id FROM work_units WHERE code = 'bbpt'")
        .fetch_one(app.db())
        .await
        .unwrap();
    b.go("/admin/pengguna/baru", "admin-bbpt-baru").await;
    b.fill("#username", "ka-bbpt").await;
    b.fill("#display_name", "Admin BBPT").await;
    b.select("#role", "admin").await;
    b.select("#unit_id", &bbpt.to_string()).await;
    b.fill("#password", "sandi-awal-ka-bbpt-1").await;
    b.fill("#password_confirm", "sandi-awal-ka-bbpt-1").await;
    b.click(
        "form[action='/admin/pengguna/baru'] button[type=submit]",
        "admin-bbpt-dibuat",
    )
    .await;
    assert!(b.source().await.contains("Akun pengguna telah dibuat."));
    let penilai_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = ?")
        .bind(&penilai)
        .fetch_one(app.db())
        .await
        .unwrap();
    b.go(&format!("/admin/pengguna/{penilai_id}"), "penilai-dua-unit")
        .await;
    b.select("#role", "penilai").await;
    b.select("#unit_id", &bbpt.to_string()).await;
    b.click(
        &format!("form[action='/admin/pengguna/{penilai_id}'] button[type=submit]"),
        "penilai-dua-unit-disimpan",
    )
    .await;
    assert!(
        b.source()
            .await
            .contains("balitnak (penilai), bbpt (penilai)")
    );
    b.sign_out("admin").await;
    // the unit starts from the first unit's targets (copied as the command line does)
    let first = zi_tracker::tenant::resolve_code(app.db(), Some("balitnak"))
        .await
        .unwrap();
    let second = zi_tracker::tenant::resolve_code(app.db(), Some("bbpt"))
        .await
        .unwrap();
    zi_tracker::catalogue::copy_to_units(
        app.db(),
        &zi_tracker::audit::Actor::cli(),
        (&first, 2021),
        2021,
        &[second],
    )
    .await
    .unwrap();
    let b_step: i64 = sqlx::query_scalar(
        "SELECT s.id FROM action_steps s JOIN indicators i ON i.id = s.indicator_id
         JOIN areas a ON a.id = i.area_id JOIN components c ON c.id = a.component_id
         WHERE c.unit_id = ? ORDER BY s.id LIMIT 1",
    )
    .bind(bbpt)
    .fetch_one(app.db())
    .await
    .unwrap();

    // The unit's admin creates a staff member of their unit and gives them a step.
    b.sign_in("ka-bbpt", "sandi-awal-ka-bbpt-1").await;
    b.change_password("sandi-awal-ka-bbpt-1", "sandi-ka-bbpt-sendiri", "ka-bbpt")
        .await;
    assert!(b.source().await.contains("Balai Besar Pascapanen"));
    b.go("/admin/pengguna/baru", "staf-bbpt-baru").await;
    let offered = crate::helpers::html::texts(&b.source().await, "#unit_id option");
    assert_eq!(
        offered,
        ["Balai Besar Pascapanen (bbpt)"],
        "their unit only"
    );
    b.fill("#username", "sari").await;
    b.fill("#display_name", "Sari Wulandari").await;
    b.select("#role", "staf").await;
    b.fill("#password", "sandi-awal-sari-123").await;
    b.fill("#password_confirm", "sandi-awal-sari-123").await;
    b.click(
        "form[action='/admin/pengguna/baru'] button[type=submit]",
        "staf-bbpt-dibuat",
    )
    .await;
    assert!(b.source().await.contains("Akun pengguna telah dibuat."));
    let sari: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'sari'")
        .fetch_one(app.db())
        .await
        .unwrap();
    b.go(&format!("/langkah/{b_step}?periode=2021-2"), "langkah-bbpt")
        .await;
    b.select("#pic_user", &sari.to_string()).await;
    b.click(
        "form[action$='/pic'] button[type=submit]",
        "pic-bbpt-ditugaskan",
    )
    .await;
    assert!(b.source().await.contains("PIC telah ditugaskan."));
    b.sign_out("ka-bbpt").await;
    b.sign_in("sari", "sandi-awal-sari-123").await;
    b.change_password("sandi-awal-sari-123", "sandi-sari-sendiri-1", "sari")
        .await;
    b.go(&format!("/langkah/{b_step}?periode=2021-2"), "langkah-sari")
        .await;
    b.select("#status", "selesai").await;
    b.fill("#realization", "100").await;
    b.fill("#narrative", "Dokumen rencana BBPT disahkan").await;
    b.click(
        "form[action$='/progres'] button[type=submit]",
        "progres-bbpt",
    )
    .await;
    assert!(b.source().await.contains("Progres telah disimpan."));
    b.sign_out("sari").await;

    // The evaluator (who reviewed in the first unit above) switches to the second
    // unit in the header and accepts its step from that unit's queue.
    b.sign_in(&penilai, PASSWORD).await;
    assert!(b.source().await.contains("Balai Penelitian Ternak"));
    b.select("#pilih-unit", "bbpt").await;
    b.click("form.unit-switch button[type=submit]", "penilai-ke-bbpt")
        .await;
    let queue = b.source().await;
    assert!(queue.contains("Balai Besar Pascapanen"));
    assert!(
        queue.contains(&format!("/langkah/{b_step}?periode=2021-2")),
        "in the queue"
    );
    b.go(
        &format!("/langkah/{b_step}?periode=2021-2"),
        "penilai-langkah-bbpt",
    )
    .await;
    b.c.find(Locator::Css("#verdict-ok"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.click("form[action$='/reviu'] button[type=submit]", "reviu-bbpt")
        .await;
    assert!(b.source().await.contains("Hasil reviu telah disimpan."));
    b.sign_out("penilai").await;

    // The instansi's leader reads both units' dashboards.
    let (_, leader) = app.create_user_in("pimpinan-instansi", &[]).await;
    b.sign_in(&leader, PASSWORD).await;
    b.go(
        "/u/balitnak/dashboard?periode=2021-2",
        "pimpinan-instansi-balitnak",
    )
    .await;
    let page = b.source().await;
    assert!(page.contains("Balai Penelitian Ternak") && page.contains("Pimpinan instansi"));
    b.select("#pilih-unit", "bbpt").await;
    b.click(
        "form.unit-switch button[type=submit]",
        "pimpinan-instansi-ke-bbpt",
    )
    .await;
    b.go("/dashboard?periode=2021-2", "pimpinan-instansi-bbpt")
        .await;
    let page = b.source().await;
    assert!(page.contains("Balai Besar Pascapanen"));
    let done = crate::helpers::html::texts(&page, ".figure").join(" | ");
    assert!(!done.is_empty(), "the dashboard's figures");
    b.sign_out("pimpinan-instansi").await;

    // 14. The instansi admin proposes the first unit to PortalRB and opens the preview
    //     of what PortalRB will receive.
    b.sign_in("admin", "admin-baru-yang-panjang").await;
    b.go("/admin/portalrb?tahun=2026", "portalrb").await;
    b.select("#unit", "balitnak").await;
    b.select("#kategori", "WBK").await;
    b.click(
        "form[action='/admin/portalrb/usul'] button[type=submit]",
        "portalrb-diusulkan",
    )
    .await;
    let page = b.source().await;
    assert!(page.contains("Usulan PortalRB telah disimpan."));
    assert!(page.contains("Balai Penelitian Ternak (balitnak)"));
    b.click(
        "a[href='/admin/portalrb/2026/balitnak']",
        "portalrb-pratinjau",
    )
    .await;
    let page = b.source().await;
    assert!(page.contains("Yang akan diterima PortalRB"));
    assert_eq!(
        crate::helpers::html::texts(&page, "table.data tbody tr").len(),
        127,
        "every question of the master"
    );
    b.c.close().await.unwrap();
}
