//! Crash safety: the server binary on a fresh data dir, concurrent progress saves and
//! evidence uploads, SIGKILL at random moments, restart; nothing acknowledged may be
//! lost and no evidence record may point at missing or different bytes.

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rand::{RngExt, SeedableRng};

use crate::helpers::{csrf_from, pdf_bytes, sha256_hex};

const PASSWORD: &str = "sandi-uji-crash-panjang";
const CYCLES: usize = 20;
const WRITERS: usize = 4;

/// Starts the server on port 0 and returns it with its base URL, read from its log.
fn start(data: &str) -> (Child, String) {
    start_with(data, &[])
}

/// `start` with further `serve` flags.
pub(crate) fn start_with(data: &str, extra: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_zi-tracker"))
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir", data])
        .args(extra)
        .env("RUST_LOG", "zi_tracker=info")
        .env("NO_COLOR", "1")
        .env_remove("ZI_BIND")
        .env_remove("ZI_DATA_DIR")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("server starts");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if !sent && let Some(at) = line.find("buka http://") {
                let url = line[at + 5..]
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .trim_end_matches('/')
                    .to_string();
                let _ = tx.send(url);
                sent = true;
            }
        }
    });
    let base = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("server announces its address");
    (child, base)
}

struct Writer {
    client: reqwest::Client,
    csrf: String,
    step: i64,
}

async fn writer(base: &str, user: &str) -> Writer {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let token = csrf_from(
        &client
            .get(format!("{base}/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    let res = client
        .post(format!("{base}/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("username", user),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "{user} signs in");
    let tasks = client
        .get(format!("{base}/tugas?periode=2021-2"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let at = tasks.find("href=\"/langkah/").expect("an assigned step") + "href=\"/langkah/".len();
    let step: i64 = tasks[at..].split('?').next().unwrap().parse().unwrap();
    Writer {
        csrf: csrf_from(&tasks),
        client,
        step,
    }
}

/// The step's current version: `Err` when the server could not be reached (the kill),
/// `Ok(None)` when it answered a page without one (a fault).
async fn current_version(w: &Writer, base: &str) -> Result<Option<i64>, reqwest::Error> {
    let page = w
        .client
        .get(format!("{base}/langkah/{}?periode=2021-2", w.step))
        .send()
        .await?
        .text()
        .await?;
    let marker = "name=\"version\" value=\"";
    Ok(page
        .find(marker)
        .and_then(|at| page[at + marker.len()..].split('"').next()?.parse().ok()))
}

#[derive(Default)]
struct Acked {
    saves: Vec<(i64, String)>,
    uploads: Vec<(i64, String)>,
    /// Upload answers other than 303 while the server was up (each upload is new
    /// bytes, so any refusal is a fault).
    upload_refusals: Vec<u16>,
    /// Pages the server answered without the step's version (a fault).
    version_missing: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_moments_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_s = data.to_str().unwrap().to_string();
    let (st, _, err) = crate::helpers::run_cli(
        &[
            "demo-data",
            "--data-dir",
            &data_s,
            "--years",
            "1",
            "--staff",
            "4",
            "--seed",
            "3",
            "--password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(st.success(), "{err}");

    let mut rng = rand::rngs::StdRng::seed_from_u64(20261129);
    let mut acked = Acked::default();
    let mut counter = 0u64;
    for cycle in 0..CYCLES {
        let (mut child, base) = start(&data_s);
        let mut writers = Vec::new();
        for w in 1..=WRITERS {
            writers.push(Arc::new(writer(&base, &format!("staf{w:02}")).await));
        }
        // Each writer reads its version before the clock to the kill starts: the
        // server is up, so this must succeed.
        let mut versions = Vec::new();
        for wr in &writers {
            versions.push(
                current_version(wr, &base)
                    .await
                    .expect("a fresh server answers")
                    .expect("the step page shows its version"),
            );
        }
        let stop = Arc::new(AtomicBool::new(false));
        let mut tasks = Vec::new();
        for (w, wr) in writers.iter().enumerate() {
            let wr = wr.clone();
            let base = base.clone();
            let stop = stop.clone();
            let start_n = counter + (w as u64) * 100_000;
            let mut version = versions[w];
            tasks.push(tokio::spawn(async move {
                let mut mine = Acked::default();
                let mut n = start_n;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    if n.is_multiple_of(3) {
                        let bytes = pdf_bytes(&format!("crash {cycle} {n}"));
                        let sha = sha256_hex(&bytes);
                        let form = reqwest::multipart::Form::new()
                            .text("csrf_token", wr.csrf.clone())
                            .text("periode", "2021-2")
                            .part(
                                "file",
                                reqwest::multipart::Part::bytes(bytes)
                                    .file_name(format!("b{n}.pdf")),
                            );
                        match wr
                            .client
                            .post(format!("{base}/langkah/{}/bukti", wr.step))
                            .multipart(form)
                            .send()
                            .await
                        {
                            Ok(r) if r.status() == 303 => mine.uploads.push((wr.step, sha)),
                            Ok(r) => mine.upload_refusals.push(r.status().as_u16()),
                            Err(_) => break,
                        }
                    } else {
                        let narrative = format!("c{cycle} n{n}");
                        let res = wr
                            .client
                            .post(format!("{base}/langkah/{}/progres", wr.step))
                            .form(&[
                                ("csrf_token", wr.csrf.as_str()),
                                ("periode", "2021-2"),
                                ("version", &version.to_string()),
                                ("status", "berjalan"),
                                ("realization", "50"),
                                ("narrative", &narrative),
                            ])
                            .send()
                            .await;
                        match res {
                            Ok(r) if r.status() == 303 => {
                                mine.saves.push((wr.step, narrative));
                                version += 1;
                            }
                            Ok(r) if r.status() == 409 => match current_version(&wr, &base).await {
                                Ok(Some(v)) => version = v,
                                Ok(None) => {
                                    mine.version_missing += 1;
                                    break;
                                }
                                Err(_) => break,
                            },
                            Ok(r) => panic!("unexpected status {}", r.status()),
                            Err(_) => break,
                        }
                    }
                }
                mine
            }));
        }
        tokio::time::sleep(Duration::from_millis(rng.random_range(150..600))).await;
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            let mine = t.await.unwrap();
            acked.saves.extend(mine.saves);
            acked.uploads.extend(mine.uploads);
            acked.upload_refusals.extend(mine.upload_refusals);
            acked.version_missing += mine.version_missing;
        }
        counter += 1_000_000;
    }
    assert!(
        acked.saves.len() > CYCLES,
        "the load really ran ({} saves)",
        acked.saves.len()
    );
    assert!(!acked.uploads.is_empty());
    assert!(
        acked.upload_refusals.is_empty(),
        "uploads refused while the server ran: {:?}",
        acked.upload_refusals
    );
    assert_eq!(
        acked.version_missing, 0,
        "step pages answered without their version"
    );

    // A last clean start tidies interrupted uploads, then everything is checked offline.
    let (mut child, _) = start(&data_s);
    child.kill().unwrap();
    child.wait().unwrap();
    let pool = zi_tracker::db::open(&data).await.unwrap();
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(check, "ok");
    for (step, narrative) in &acked.saves {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM progress_history h JOIN progress p ON p.id = h.progress_id
             WHERE p.step_id = ? AND h.narrative = ?",
        )
        .bind(step)
        .bind(narrative)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(n, 1, "acknowledged save {narrative} of step {step}");
    }
    for (step, sha) in &acked.uploads {
        let n: i64 =
            sqlx::query_scalar("SELECT count(*) FROM evidence WHERE step_id = ? AND sha256 = ?")
                .bind(step)
                .bind(sha)
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(n, 1, "acknowledged upload {sha}");
    }
    let files: Vec<(String, String)> =
        sqlx::query_as("SELECT stored_name, sha256 FROM evidence WHERE kind = 'file'")
            .fetch_all(&pool)
            .await
            .unwrap();
    for (stored, sha) in files {
        let bytes = std::fs::read(zi_tracker::evidence::stored_path(&data, &stored))
            .unwrap_or_else(|_| panic!("evidence {stored} points at missing bytes"));
        assert_eq!(sha256_hex(&bytes), sha, "evidence {stored} bytes");
    }
    // versions stay contiguous: no save overwrote another
    let gaps: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM progress p WHERE p.version != (SELECT count(*) FROM progress_history h WHERE h.progress_id = p.id)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(gaps, 0);
    let tmp = data.join("evidence").join("tmp");
    assert!(tmp.is_dir(), "uploads went through {}", tmp.display());
    assert_eq!(
        std::fs::read_dir(&tmp).unwrap().count(),
        0,
        "interrupted uploads cleaned"
    );
}
