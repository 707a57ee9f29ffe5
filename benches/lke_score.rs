//! CPU per official LKE score computation: both sides scored and judged against the
//! WBK/WBBM thresholds, for a year's master and answers read once from a data dir.
//! Prints the median time of one computation over many batches and the process CPU
//! per computation (not a test).
//!
//! cargo bench --bench lke_score -- DATA_DIR YEAR [ITERATIONS]

use std::time::Instant;

use zi_tracker::lke::{readiness, score::ScoringPlan, store};

fn cpu_seconds() -> f64 {
    // utime + stime of this process, in clock ticks (100 per second on Linux)
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    let after = &stat[stat.rfind(')').expect("comm") + 2..];
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap();
    ticks / 100.0
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // `cargo bench` adds its own `--bench` flag
    let args: Vec<String> = std::env::args().filter(|a| !a.starts_with("--")).collect();
    let dir = args.get(1).expect("DATA_DIR");
    let year: i64 = args.get(2).expect("YEAR").parse().unwrap();
    let n: usize = args.get(3).map_or(200_000, |s| s.parse().unwrap());
    let db = zi_tracker::db::open(std::path::Path::new(dir))
        .await
        .unwrap();
    let master = store::load_master(&db, year)
        .await
        .unwrap()
        .expect("master");
    let unit = store::answers(&db, 1, &master, store::Side::Unit)
        .await
        .unwrap();
    let tpi = store::answers(&db, 1, &master, store::Side::Tpi)
        .await
        .unwrap();
    let held = store::wbk_held_before(&db, 1, year).await.unwrap();
    let started = Instant::now();
    let plan = ScoringPlan::new(&master);
    let plan_us = started.elapsed().as_secs_f64() * 1e6;
    let mut batches = Vec::new();
    let mut sink = 0.0;
    let cpu0 = cpu_seconds();
    let batch = 1000;
    for _ in 0..n / batch {
        let t = Instant::now();
        for _ in 0..batch {
            let u = plan.score(std::hint::black_box(&unit));
            let s = plan.score(std::hint::black_box(&tpi));
            let r = readiness::readiness_with(&master, &plan, &s, held);
            sink += u.total + s.total + r.wbk.len() as f64;
        }
        batches.push(t.elapsed().as_secs_f64() * 1e6 / batch as f64);
    }
    let cpu = (cpu_seconds() - cpu0) * 1e6 / (batches.len() * batch) as f64;
    batches.sort_by(f64::total_cmp);
    println!(
        "lke-score {year}: {} questions, {} + {} answers; plan built in {plan_us:.0} µs; \
         one computation (both sides + readiness): median {:.2} µs, process CPU {cpu:.2} µs ({} computations){}",
        master.questions.len(),
        unit.len(),
        tpi.len(),
        batches[batches.len() / 2],
        batches.len() * batch,
        if sink < 0.0 { "!" } else { "" }
    );
}
