use std::path::PathBuf;

use reqwest::redirect::Policy;
use tempfile::TempDir;
use zi_tracker::{Config, Running};

pub struct TestApp {
    pub base: String,
    pub dir: TempDir,
    pub server: Option<Running>,
    /// The first admin's password, printed once on a fresh install.
    pub initial_admin_password: Option<String>,
}

impl TestApp {
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn db(&self) -> &sqlx::SqlitePool {
        &self.server.as_ref().expect("server running").db
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A client that keeps cookies and does not follow redirects.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .build()
            .expect("client")
    }

    pub async fn stop(&mut self) {
        if let Some(s) = self.server.take() {
            s.stop().await;
        }
    }

    /// Stops and starts again on the same data dir.
    pub async fn restart(&mut self) {
        self.stop().await;
        let running = zi_tracker::start(config(self.data_dir()))
            .await
            .expect("restart");
        self.base = format!("http://{}", running.addr);
        self.server = Some(running);
    }
}

pub fn config(data_dir: PathBuf) -> Config {
    Config::new("127.0.0.1:0", data_dir)
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// A server whose configuration the test adjusts first (mail, clock, …).
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = config(dir.path().join("data"));
    adjust(&mut cfg);
    let running = zi_tracker::start(cfg).await.expect("start");
    TestApp {
        base: format!("http://{}", running.addr),
        initial_admin_password: running.initial_admin_password.clone(),
        dir,
        server: Some(running),
    }
}

/// Runs the real binary with arguments; returns (status, stdout, stderr).
pub fn run_cli(args: &[&str], stdin: Option<&str>) -> (std::process::ExitStatus, String, String) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_zi-tracker"))
        .args(args)
        .env_remove("ZI_DATA_DIR")
        .env_remove("ZI_BIND")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn cli");
    {
        let mut input = child.stdin.take().expect("stdin");
        if let Some(s) = stdin {
            input.write_all(s.as_bytes()).expect("write stdin");
        }
    }
    let out = child.wait_with_output().expect("cli output");
    (
        out.status,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub const PASSWORD: &str = "kata-sandi-uji-panjang";

/// A signed-in browser: its cookie jar and the session's CSRF token.
#[derive(Clone)]
pub struct Session {
    pub client: reqwest::Client,
    pub csrf: String,
    pub username: String,
    pub user_id: i64,
    base: String,
}

impl Session {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_text(&self, path: &str) -> (reqwest::StatusCode, String) {
        let res = self.get(path).await;
        (res.status(), res.text().await.expect("body"))
    }

    /// Posts a form with the session's CSRF token added.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut form: Vec<(&str, &str)> = vec![("csrf_token", self.csrf.as_str())];
        form.extend_from_slice(fields);
        self.client
            .post(self.url(path))
            .form(&form)
            .send()
            .await
            .expect("POST")
    }
}

pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// The first `csrf_token` value on a page.
pub fn csrf_from(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).expect("page has a CSRF field") + marker.len();
    let end = start + html[start..].find('"').expect("closing quote");
    html[start..end].to_string()
}

pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}{}{}",
        std::process::id() % 10000,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

impl TestApp {
    /// How many sessions the named user holds in the database.
    pub async fn session_count(&self, username: &str) -> i64 {
        sqlx::query_scalar(
            "SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = ?",
        )
        .bind(username)
        .fetch_one(self.db())
        .await
        .unwrap()
    }

    /// Creates an account with the given role straight in the database: "admin" as
    /// the instansi's admin (as every admin of the single-unit releases became), any
    /// other role in the first unit.
    /// "admin-unit" is an admin of the first unit only.
    pub async fn create_user(&self, role: &str) -> (i64, String) {
        match role {
            "admin" => self.create_user_in("admin-instansi", &[]).await,
            "admin-unit" => self.create_user_in("admin", &[1]).await,
            "pimpinan-instansi" => self.create_user_in("pimpinan-instansi", &[]).await,
            _ => self.create_user_in(role, &[1]).await,
        }
    }

    /// Creates an account with a role held in the given units (ids).
    pub async fn create_user_in(&self, role: &str, units: &[i64]) -> (i64, String) {
        let username = unique(role);
        let id = zi_tracker::users::create(
            self.db(),
            &zi_tracker::audit::Actor::cli(),
            zi_tracker::users::NewUser {
                username: username.clone(),
                display_name: format!("Pengguna {username}"),
                role: role.into(),
                units: units.to_vec(),
                password: PASSWORD.into(),
                password_confirm: PASSWORD.into(),
                must_change_password: false,
                email: None,
            },
            true,
        )
        .await
        .expect("create user");
        (id, username)
    }

    /// Fills and posts the sign-in form from `client`, extra fields included.
    pub async fn post_login(
        &self,
        client: &reqwest::Client,
        username: &str,
        password: &str,
        extra: &[(&str, &str)],
    ) -> reqwest::Response {
        let page = client.get(self.url("/login")).send().await.unwrap();
        let token = csrf_from(&page.text().await.unwrap());
        let mut form = vec![
            ("csrf_token", token.as_str()),
            ("username", username),
            ("password", password),
        ];
        form.extend_from_slice(extra);
        client
            .post(self.url("/login"))
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    /// Signs in through the sign-in form.
    pub async fn sign_in(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Session, reqwest::Response> {
        let client = self.client();
        let page = client
            .get(self.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let token = csrf_from(&page);
        let res = client
            .post(self.url("/login"))
            .form(&[
                ("csrf_token", token.as_str()),
                ("username", username),
                ("password", password),
            ])
            .send()
            .await
            .unwrap();
        if res.status() != 303 {
            return Err(res);
        }
        let res2 = client
            .get(self.url("/akun/kata-sandi"))
            .send()
            .await
            .unwrap();
        let html = res2.text().await.unwrap();
        let user_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = ?")
            .bind(username)
            .fetch_one(self.db())
            .await
            .unwrap();
        Ok(Session {
            client,
            csrf: csrf_from(&html),
            username: username.to_string(),
            user_id,
            base: self.base.clone(),
        })
    }

    /// A new account of this role, signed in.
    pub async fn signed_in(&self, role: &str) -> Session {
        let (_, username) = self.create_user(role).await;
        match self.sign_in(&username, PASSWORD).await {
            Ok(s) => s,
            Err(res) => panic!("sign-in failed: {}", res.status()),
        }
    }
}

/// A small but real PDF: the bytes the type check looks at are genuine.
pub fn pdf_bytes(marker: &str) -> Vec<u8> {
    format!(
        "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n% {marker}\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )
    .into_bytes()
}

/// An Office Open XML package with the given main part (e.g. `word/document.xml`).
pub fn ooxml_bytes(main_part: Option<&str>) -> Vec<u8> {
    use std::io::Write;
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default();
        zip.start_file("[Content_Types].xml", opts).unwrap();
        zip.write_all(b"<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>").unwrap();
        if let Some(part) = main_part {
            zip.start_file(part, opts).unwrap();
            zip.write_all(b"<?xml version=\"1.0\"?><document/>")
                .unwrap();
        }
        zip.finish().unwrap();
    }
    buf.into_inner()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Session {
    /// Uploads a file as evidence of a step for a period.
    pub async fn upload(
        &self,
        step_id: i64,
        period: &str,
        name: &str,
        bytes: Vec<u8>,
        replaces: Option<i64>,
    ) -> reqwest::Response {
        // the token is the form's first field, as the page sends it
        let mut form = reqwest::multipart::Form::new()
            .text("csrf_token", self.csrf.clone())
            .text("periode", period.to_string());
        if let Some(r) = replaces {
            form = form.text("replaces", r.to_string());
        }
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(name.to_string())
            .mime_str("application/octet-stream")
            .unwrap();
        form = form.part("file", part);
        self.client
            .post(self.url(&format!("/langkah/{step_id}/bukti")))
            .multipart(form)
            .send()
            .await
            .expect("upload")
    }
}

impl TestApp {
    /// Assigns a step to a user straight in the database.
    pub async fn assign(&self, step_id: i64, user_id: i64) {
        sqlx::query("INSERT OR IGNORE INTO step_assignments (step_id, user_id) VALUES (?, ?)")
            .bind(step_id)
            .bind(user_id)
            .execute(self.db())
            .await
            .unwrap();
    }

    /// The id of a step by its LKE code in the 2021 catalogue, e.g. ("I", 1, 1, 2).
    pub async fn step_id(&self, numeral: &str, area: i64, indicator: i64, step: i64) -> i64 {
        sqlx::query_scalar(
            "SELECT s.id FROM action_steps s JOIN indicators i ON i.id = s.indicator_id
             JOIN areas a ON a.id = i.area_id JOIN components c ON c.id = a.component_id
             WHERE c.unit_id = 1 AND c.year = 2021 AND c.numeral = ?
               AND a.position = ? AND i.position = ? AND s.position = ?",
        )
        .bind(numeral)
        .bind(area)
        .bind(indicator)
        .bind(step)
        .fetch_one(self.db())
        .await
        .unwrap()
    }
}

/// Parsed-HTML helpers: assertions read the value of a cell or a field, not a substring.
pub mod html {
    use scraper::{Html, Selector};

    pub fn parse(page: &str) -> Html {
        Html::parse_document(page)
    }

    fn sel(css: &str) -> Selector {
        Selector::parse(css).unwrap_or_else(|e| panic!("selector {css}: {e}"))
    }

    /// The text of every element matching `css`, whitespace squeezed.
    pub fn texts(page: &str, css: &str) -> Vec<String> {
        parse(page)
            .select(&sel(css))
            .map(|e| e.text().collect::<Vec<_>>().join(" "))
            .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    }

    /// The attribute `attr` of every element matching `css` that has it.
    pub fn attr_values(page: &str, css: &str, attr: &str) -> Vec<String> {
        parse(page)
            .select(&sel(css))
            .filter_map(|e| e.value().attr(attr).map(str::to_string))
            .collect()
    }

    /// The cells (th and td) of the table row whose first cell starts with `first`.
    pub fn row_cells(page: &str, first: &str) -> Vec<String> {
        let doc = parse(page);
        let cell = sel("th, td");
        for row in doc.select(&sel("tr")) {
            let cells: Vec<String> = row
                .select(&cell)
                .map(|c| {
                    c.text()
                        .collect::<Vec<_>>()
                        .join(" ")
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect();
            if cells.first().is_some_and(|c| c.starts_with(first)) {
                return cells;
            }
        }
        panic!("no table row starting with {first:?}");
    }

    /// The `value` of the form field named `name` (input, or the selected option).
    pub fn field_value(page: &str, name: &str) -> Option<String> {
        let doc = parse(page);
        if let Some(e) = doc
            .select(&sel(&format!("input[name=\"{name}\"]")))
            .find(|e| {
                e.value().attr("type") != Some("radio") || e.value().attr("checked").is_some()
            })
        {
            return e.value().attr("value").map(str::to_string);
        }
        if let Some(e) = doc
            .select(&sel(&format!("textarea[name=\"{name}\"]")))
            .next()
        {
            return Some(e.text().collect());
        }
        doc.select(&sel(&format!("select[name=\"{name}\"] option[selected]")))
            .next()
            .and_then(|o| o.value().attr("value").map(str::to_string))
    }
}

/// Every row of every table the app owns (sessions and sign-in attempts aside, which a
/// refused request may legitimately touch), as text: equal before and after means a
/// request changed nothing.
pub async fn fingerprint(db: &sqlx::SqlitePool) -> String {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table'
           AND name NOT IN ('sessions', 'login_attempts', '_sqlx_migrations')
           AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(db)
    .await
    .unwrap();
    let mut out = String::new();
    for t in tables {
        let cols: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT name FROM pragma_table_info('{t}')"
        )))
        .fetch_all(db)
        .await
        .unwrap();
        let expr = cols
            .iter()
            .map(|c| format!("quote(\"{c}\")"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT {expr} FROM \"{t}\" ORDER BY rowid"
        )))
        .fetch_all(db)
        .await
        .unwrap();
        out.push_str(&format!("## {t}\n{}\n", rows.join("\n")));
    }
    out
}

/// Files under a folder, recursively (an absent folder has none).
pub fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

impl Session {
    /// The version field of a step's progress form for a period.
    pub async fn progress_version(&self, step_id: i64, period: &str) -> String {
        let (_, page) = self
            .get_text(&format!("/langkah/{step_id}?periode={period}"))
            .await;
        html::field_value(&page, "version").expect("the step page has a progress form")
    }

    /// Saves progress from the version the step page shows now (a fresh save).
    pub async fn save_progress(
        &self,
        step_id: i64,
        period: &str,
        status: &str,
        realization: &str,
        narrative: &str,
    ) -> reqwest::Response {
        let version = self.progress_version(step_id, period).await;
        self.post(
            &format!("/langkah/{step_id}/progres"),
            &[
                ("periode", period),
                ("version", &version),
                ("status", status),
                ("realization", realization),
                ("narrative", narrative),
            ],
        )
        .await
    }

    /// Gives a review verdict on the progress version the page shows now.
    pub async fn review(
        &self,
        step_id: i64,
        period: &str,
        verdict: &str,
        note: &str,
    ) -> reqwest::Response {
        let version = self.progress_version(step_id, period).await;
        self.post(
            &format!("/langkah/{step_id}/reviu"),
            &[
                ("periode", period),
                ("version", &version),
                ("verdict", verdict),
                ("note", note),
            ],
        )
        .await
    }
}

/// Unit B ("unitb", id 2) beside the first unit, both with the first unit's 2021
/// targets as 2026's; returns the first 2026 step of unit A and of unit B.
pub async fn two_units_in_2026(app: &TestApp) -> (i64, i64) {
    let db = app.db();
    let actor = zi_tracker::audit::Actor::cli();
    zi_tracker::tenant::add(db, &actor, "unitb", "Unit B", None)
        .await
        .unwrap();
    zi_tracker::catalogue::copy(db, &actor, 1, 2021, 2026, false)
        .await
        .unwrap();
    let a = zi_tracker::tenant::resolve_code(db, Some("balitnak"))
        .await
        .unwrap();
    let b = zi_tracker::tenant::resolve_code(db, Some("unitb"))
        .await
        .unwrap();
    zi_tracker::catalogue::copy_to_units(db, &actor, (&a, 2026), 2026, &[b])
        .await
        .unwrap();
    let step_of = |unit: i64| {
        sqlx::query_scalar::<_, i64>(
            "SELECT step_id FROM unit_steps WHERE unit_id = ? AND year = 2026
             ORDER BY step_id LIMIT 1",
        )
        .bind(unit)
        .fetch_one(db)
    };
    (step_of(1).await.unwrap(), step_of(2).await.unwrap())
}
