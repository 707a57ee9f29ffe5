use std::path::PathBuf;

use reqwest::redirect::Policy;
use tempfile::TempDir;
use zi_tracker::{Config, Running};

pub struct TestApp {
    pub base: String,
    pub dir: TempDir,
    pub server: Option<Running>,
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
    let dir = tempfile::tempdir().expect("tempdir");
    let running = zi_tracker::start(config(dir.path().join("data")))
        .await
        .expect("start");
    TestApp {
        base: format!("http://{}", running.addr),
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
