//! Progress-save load: W writers, each signed in as its own demo staff account and
//! saving its own step over and over, for D seconds. Every save carries the version
//! it read, as a browser's form would. Prints throughput, p50/p99 latency and errors,
//! then checks the database: every acknowledged save must be in the history.
//!
//! cargo bench --bench saves -- BASE_URL DATA_DIR WRITERS SECONDS [UNITS]  (password on stdin)
//!
//! With UNITS (a demo of that many units), the writers are spread over the units: each
//! signs in as the first staff member of its unit ("staf01-KODE").

use std::time::{Duration, Instant};

use reqwest::redirect::Policy;

fn field(html: &str, marker: &str) -> Option<String> {
    let start = html.find(marker)? + marker.len();
    Some(html[start..start + html[start..].find('"')?].to_string())
}

async fn sign_in(base: &str, user: &str, password: &str) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .expect("client");
    let page = client
        .get(format!("{base}/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = field(&page, "name=\"csrf_token\" value=\"").expect("csrf");
    let res = client
        .post(format!("{base}/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("username", user),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "sign-in of {user}");
    client
}

struct WriterResult {
    step: i64,
    start_version: i64,
    acked: i64,
    errors: u64,
    latencies: Vec<Duration>,
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    // cargo bench passes --bench; skip flags
    let args: Vec<&String> = args
        .iter()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if args.len() < 4 {
        eprintln!(
            "pemakaian: cargo bench --bench saves -- BASE_URL DATA_DIR WRITERS SECONDS < sandi"
        );
        return;
    }
    let base = args[0].trim_end_matches('/').to_string();
    let data_dir = std::path::PathBuf::from(args[1]);
    let writers: usize = args[2].parse().expect("writers");
    let seconds: u64 = args[3].parse().expect("seconds");
    let units: Option<usize> = args.get(4).map(|u| u.parse().expect("units"));
    let mut password = String::new();
    std::io::stdin().read_line(&mut password).unwrap();
    let password = password.trim().to_string();

    // Sign in one after another first: simultaneous sign-ins from one address count
    // against its limit, as they should.
    let mut clients = Vec::new();
    for w in 0..writers {
        let user = match units {
            // the demo's first unit keeps its code; the others are u002, u003…
            Some(n) => match w * n / writers {
                0 => "staf01-balitnak".to_string(),
                k => format!("staf01-u{:03}", k + 1),
            },
            None => format!("staf{:02}", w + 1),
        };
        clients.push(sign_in(&base, &user, &password).await);
    }
    let mut tasks = Vec::new();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    for (w, client) in clients.into_iter().enumerate() {
        let base = base.clone();
        tasks.push(tokio::spawn(async move {
            let tasks = client
                .get(format!("{base}/tugas"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let step: i64 = field(&tasks, "href=\"/langkah/")
                .and_then(|s| s.split('?').next().map(str::to_string))
                .expect("an assigned step")
                .parse()
                .unwrap();
            let period = field(&tasks, "?periode=").unwrap_or_default();
            let page = client
                .get(format!("{base}/langkah/{step}?periode={period}"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let csrf = field(&page, "name=\"csrf_token\" value=\"").unwrap();
            let start_version: i64 = field(&page, "name=\"version\" value=\"")
                .unwrap()
                .parse()
                .unwrap();
            let mut version = start_version;
            let mut r = WriterResult {
                step,
                start_version,
                acked: 0,
                errors: 0,
                latencies: Vec::new(),
            };
            let url = format!("{base}/langkah/{step}/progres");
            while Instant::now() < deadline {
                let narrative = format!("beban w{w} v{version}");
                let t = Instant::now();
                let res = client
                    .post(&url)
                    .form(&[
                        ("csrf_token", csrf.as_str()),
                        ("periode", period.as_str()),
                        ("version", &version.to_string()),
                        ("status", "berjalan"),
                        ("realization", "50"),
                        ("narrative", &narrative),
                    ])
                    .send()
                    .await;
                let elapsed = t.elapsed();
                match res {
                    Ok(res) if res.status() == 303 => {
                        r.latencies.push(elapsed);
                        r.acked += 1;
                        version += 1;
                    }
                    _ => r.errors += 1,
                }
            }
            r
        }));
    }
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.unwrap());
    }
    let wall = started
        .elapsed()
        .as_secs_f64()
        .min(seconds as f64)
        .max(0.001);
    let mut all: Vec<Duration> = results.iter().flat_map(|r| r.latencies.clone()).collect();
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    let acked: i64 = results.iter().map(|r| r.acked).sum();
    let errors: u64 = results.iter().map(|r| r.errors).sum();

    // None lost: each step's stored version and history match what was acknowledged.
    let pool = zi_tracker::db::open(&data_dir).await.expect("database");
    let mut lost = 0i64;
    for r in &results {
        let (version, history): (i64, i64) = sqlx::query_as(
            "SELECT p.version, (SELECT count(*) FROM progress_history h WHERE h.progress_id = p.id)
             FROM progress p WHERE p.step_id = ? AND p.semester = 2",
        )
        .bind(r.step)
        .fetch_one(&pool)
        .await
        .expect("progress row");
        lost += (r.start_version + r.acked - version).abs()
            + (r.start_version + r.acked - history).abs();
    }
    println!(
        "saves: writers={writers} acked={acked} errors={errors} lost={lost} throughput={:.0}/s p50={:.2}ms p99={:.2}ms",
        acked as f64 / wall,
        pct(0.50).as_secs_f64() * 1000.0,
        pct(0.99).as_secs_f64() * 1000.0
    );
}
