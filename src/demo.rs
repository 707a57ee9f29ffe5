//! Synthetic data for trying the tracker and for benchmarks: users, assignments,
//! progress with several versions, verdicts and small evidence files over N target
//! years, the same for the same seed. Only for a fresh data dir.

use std::path::Path;

use chrono::Duration;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use sqlx::SqlitePool;

use crate::audit::{Action, Actor, Entry};
use crate::periods::Period;
use crate::step::{ProgressValues, SaveOutcome, Status, Verdict, store_progress};

pub struct Options {
    pub units: u32,
    pub years: u32,
    pub staff: u32,
    pub seed: u64,
    pub password: String,
}

#[derive(Debug, Default)]
pub struct Summary {
    pub units: usize,
    pub years: Vec<i64>,
    pub users: usize,
    pub versions: u64,
    pub files: u64,
}

/// Refuses a data dir with anything beyond a fresh install (the seeded catalogue and
/// at most a first-run admin who never chose a password).
async fn ensure_fresh(db: &SqlitePool) -> anyhow::Result<()> {
    let (users, real_users, progress, evidence, years): (i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM users),
                (SELECT count(*) FROM users WHERE NOT (username = 'admin' AND must_change_password = 1)),
                (SELECT count(*) FROM progress),
                (SELECT count(*) FROM evidence),
                (SELECT count(*) FROM target_years)",
    )
    .fetch_one(db)
    .await?;
    if real_users > 0 || progress > 0 || evidence > 0 || years != 1 {
        anyhow::bail!(crate::error::UserError(format!(
            "folder data ini sudah berisi data ({users} pengguna, {progress} catatan progres, \
             {evidence} bukti, {years} tahun target); data demo hanya diisi ke folder data baru"
        )));
    }
    Ok(())
}

fn tiny_pdf(tag: &str) -> Vec<u8> {
    format!(
        "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n% bukti demo {tag}\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )
    .into_bytes()
}

const NARRATIVES: [&str; 6] = [
    "Rapat koordinasi tim kerja telah dilaksanakan",
    "Dokumen disusun dan menunggu pengesahan Kepala Balai",
    "Sosialisasi kepada seluruh pegawai melalui apel pagi",
    "Laporan pelaksanaan telah diunggah ke website",
    "Monitoring dan evaluasi dilakukan bersama Tim ZI",
    "Tindak lanjut hasil monev sedang dikerjakan",
];

/// The demo accounts of a unit: its leader and its staff (with one unit the names of
/// the single-unit release: "pimpinan", "staf01"…; with several, "pimpinan-KODE",
/// "staf01-KODE"…).
fn unit_accounts(code: &str, staff: i64, several: bool) -> Vec<(String, String, &'static str)> {
    let suffix = if several {
        format!("-{code}")
    } else {
        String::new()
    };
    let mut out = vec![(
        format!("pimpinan{suffix}"),
        format!("Pimpinan {code} (demo)"),
        "pimpinan",
    )];
    out.extend((1..=staff).map(|i| {
        (
            format!("staf{i:02}{suffix}"),
            format!("Staf Demo {i:02} {code}"),
            "staf",
        )
    }));
    out
}

async fn insert_account(
    tx: &mut crate::db::Write,
    (username, name): (&str, &str),
    instansi_role: Option<&str>,
    hash: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO users (username, display_name, instansi_role, password_hash)
         VALUES (?, ?, ?, ?) RETURNING id",
    )
    .bind(username)
    .bind(name)
    .bind(instansi_role)
    .bind(hash)
    .fetch_one(&mut **tx)
    .await
}

async fn give(tx: &mut crate::db::Write, user: i64, unit: i64, role: &str) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO user_units (user_id, unit_id, role) VALUES (?, ?, ?)")
        .bind(user)
        .bind(unit)
        .bind(role)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn run(data_dir: &Path, opts: Options) -> anyhow::Result<Summary> {
    let db = crate::db::open(data_dir).await?;
    ensure_fresh(&db).await?;
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let mut summary = Summary::default();
    let years = opts.years.clamp(1, 79) as i64;
    let staff = opts.staff.clamp(1, 500) as i64;
    let unit_count = opts.units.clamp(1, 2000) as i64;
    let several = unit_count > 1;

    // The first unit is the one the install has; the others are named u002, u003…
    // Years beyond 2021 are copies of its catalogue, and every other unit gets the same.
    let mut tx = crate::db::write(&db).await?;
    let mut units: Vec<(i64, String)> = vec![(
        1,
        sqlx::query_scalar("SELECT code FROM work_units WHERE id = 1")
            .fetch_one(&mut *tx)
            .await?,
    )];
    for n in 2..=unit_count {
        let code = format!("u{n:03}");
        let id: i64 =
            sqlx::query_scalar("INSERT INTO work_units (code, name) VALUES (?, ?) RETURNING id")
                .bind(&code)
                .bind(format!("Unit Demo {n:03}"))
                .fetch_one(&mut *tx)
                .await?;
        units.push((id, code));
    }
    for y in 2022..2021 + years {
        crate::catalogue::copy_year(&mut tx, (1, y - 1), (1, y), false).await?;
    }
    tx.commit_unaudited().await?;
    for (unit, _) in units.iter().skip(1) {
        let mut tx = crate::db::write(&db).await?;
        for y in 2021..2021 + years {
            crate::catalogue::copy_year(&mut tx, (1, y), (*unit, y), false).await?;
        }
        tx.commit_unaudited().await?;
    }

    // One hash for all demo accounts: they share the one password given. The demo
    // admin runs the instansi; the evaluator holds a role in every unit.
    let hash = crate::auth::password::hash(opts.password.clone()).await?;
    let mut tx = crate::db::write(&db).await?;
    let admin = insert_account(
        &mut tx,
        ("admin-demo", "Admin (demo)"),
        Some("admin-instansi"),
        &hash,
    )
    .await?;
    let reviewer = insert_account(&mut tx, ("penilai", "Penilai TPI (demo)"), None, &hash).await?;
    summary.users += 2;
    if several {
        insert_account(
            &mut tx,
            ("pimpinan-instansi", "Pimpinan Instansi (demo)"),
            Some("pimpinan-instansi"),
            &hash,
        )
        .await?;
        summary.users += 1;
    }
    let mut staff_of: Vec<Vec<i64>> = Vec::new();
    for (unit, code) in &units {
        give(&mut tx, reviewer, *unit, "penilai").await?;
        let mut ids = Vec::new();
        for (username, name, role) in unit_accounts(code, staff, several) {
            let id = insert_account(&mut tx, (&username, &name), None, &hash).await?;
            give(&mut tx, id, *unit, role).await?;
            if role == "staf" {
                ids.push(id);
            }
            summary.users += 1;
        }
        staff_of.push(ids);
    }
    tx.commit_unaudited().await?;

    for (u, (unit, code)) in units.iter().enumerate() {
        let staff_ids = &staff_of[u];
        let (mut unit_versions, mut unit_files) = (0u64, 0u64);
        for (n, year) in (2021..2021 + years).enumerate() {
            let steps: Vec<(i64, i64)> = sqlx::query_as(
                "SELECT step_id, area_id FROM unit_steps WHERE unit_id = ? AND year = ?
                 ORDER BY c_pos, a_pos, i_pos, s_pos",
            )
            .bind(unit)
            .bind(year)
            .fetch_all(&db)
            .await?;
            let mut tx = crate::db::write(&db).await?;
            let mut versions = 0u64;
            let mut files = 0u64;
            for (step_id, area_id) in &steps {
                let pic = staff_ids[(*area_id as usize) % staff_ids.len()];
                sqlx::query("INSERT INTO step_assignments (step_id, user_id) VALUES (?, ?)")
                    .bind(step_id)
                    .bind(pic)
                    .execute(&mut *tx)
                    .await?;
                for semester in [1, 2] {
                    let period = Period::new(year, semester);
                    let k: i64 = rng.random_range(1..=3);
                    let mut realization = 0i64;
                    let mut status = Status::Belum;
                    for v in 1..=k {
                        realization = (realization + rng.random_range(10..=60)).min(100);
                        status = match realization {
                            100 => Status::Selesai,
                            r if r < 15 && rng.random_bool(0.3) => Status::Belum,
                            _ if rng.random_bool(0.03) => Status::TidakDapat,
                            _ => Status::Berjalan,
                        };
                        let reason = if status == Status::TidakDapat {
                            "Menunggu kebijakan dari pusat"
                        } else {
                            ""
                        };
                        let narrative = NARRATIVES[rng.random_range(0..NARRATIVES.len())];
                        let at = (period.first_day()
                            + Duration::days(20 * v + rng.random_range(0..15)))
                        .format("%Y-%m-%dT09:00:00Z")
                        .to_string();
                        // the same store the step page saves through (one summary audit
                        // entry for the whole load instead of one per version)
                        let values = ProgressValues {
                            status,
                            realization,
                            narrative: narrative.to_string(),
                            reason: reason.to_string(),
                        };
                        let (outcome, _) = store_progress(
                            &mut tx,
                            pic,
                            (*step_id, "demo"),
                            period,
                            v - 1,
                            &values,
                            &at,
                        )
                        .await?;
                        if !matches!(outcome, SaveOutcome::Saved(_)) {
                            anyhow::bail!("demo progress of step {step_id} did not save");
                        }
                        versions += 1;
                    }
                    if rng.random_bool(0.4) {
                        let uploaded = period.last_day().format("%Y-%m-%dT10:00:00Z").to_string();
                        if *unit == 1 {
                            let bytes =
                                tiny_pdf(&format!("{year}-{semester}-{step_id}-{}", opts.seed));
                            let size = bytes.len() as i64;
                            let dir = data_dir.to_path_buf();
                            let (stored, sha) = tokio::task::spawn_blocking(move || {
                                crate::evidence::store_bytes_blocking(&dir, &bytes, "pdf")
                            })
                            .await??;
                            crate::evidence::store::insert_file(
                                &mut tx,
                                &crate::evidence::store::NewFile {
                                    step_id: *step_id,
                                    semester,
                                    label: &format!(
                                        "Bukti {year} S{semester} langkah {step_id}.pdf"
                                    ),
                                    stored_name: &stored,
                                    media_type: "application/pdf",
                                    size,
                                    sha256: &sha,
                                    replaces: None,
                                    uploaded_by: pic,
                                    at: &uploaded,
                                },
                            )
                            .await?;
                            files += 1;
                        } else {
                            // links for the other units: a file per item would make a
                            // demo of hundreds of units mostly a test of fsync
                            sqlx::query(
                                "INSERT INTO evidence (step_id, semester, kind, label, url, uploaded_by, uploaded_at)
                                 VALUES (?, ?, 'link', ?, ?, ?, ?)",
                            )
                            .bind(step_id)
                            .bind(semester)
                            .bind(format!("Bukti {year} S{semester} langkah {step_id}"))
                            .bind(format!("https://contoh.go.id/{code}/bukti/{step_id}-{semester}"))
                            .bind(pic)
                            .bind(&uploaded)
                            .execute(&mut *tx)
                            .await?;
                        }
                    }
                    if status != Status::Belum && rng.random_bool(0.5) {
                        let fix = rng.random_bool(0.25);
                        crate::step::store_review(
                            &mut tx,
                            (*step_id, semester, k),
                            if fix {
                                Verdict::Perbaikan
                            } else {
                                Verdict::Diterima
                            },
                            if fix { "Lengkapi bukti dukung" } else { "" },
                            (
                                reviewer,
                                &period.last_day().format("%Y-%m-%dT12:00:00Z").to_string(),
                            ),
                        )
                        .await?;
                    }
                }
            }
            tx.commit_unaudited().await?;
            unit_versions += versions;
            unit_files += files;
            if !several {
                summary.years.push(year);
                eprintln!(
                    "[{}/{}] tahun {year}: {} langkah, {versions} versi progres, {files} berkas bukti",
                    n + 1,
                    years,
                    steps.len()
                );
            }
        }
        summary.versions += unit_versions;
        summary.files += unit_files;
        // the LKE of the demo's years with a master, and always the newest one
        let mut lke_years: Vec<i64> = crate::lke::store::years(&db)
            .await?
            .into_iter()
            .filter(|y| (2021..2021 + years).contains(y))
            .collect();
        if several
            && let Some(newest) = crate::lke::store::years(&db).await?.first()
            && !lke_years.contains(newest)
        {
            lke_years.push(*newest);
        }
        let mut answered = Vec::new();
        for year in lke_years {
            if let Some(n) = lke_answers(&db, &mut rng, (*unit, year), (admin, reviewer)).await? {
                if !several {
                    eprintln!("LKE {year}: {n} soal dijawab unit dan TPI");
                }
                answered.push(year);
            }
        }
        if several {
            eprintln!(
                "[{}/{}] unit {code}: {years} tahun, {unit_versions} versi progres, LKE {:?}",
                u + 1,
                units.len(),
                answered
            );
        }
    }
    if several {
        summary.years = (2021..2021 + years).collect();
    }
    summary.units = units.len();
    let tx = crate::db::write(&db).await?;
    tx.commit(
        &Actor::cli(),
        Entry::new(
            Action::DemoData,
            format!(
                "Data demo diisi: {} unit, {} tahun, {} pengguna (seed {})",
                units.len(),
                years,
                summary.users,
                opts.seed
            ),
        ),
    )
    .await?;
    db.close().await;
    Ok(summary)
}

/// Both sides' answers to every question of a demo year that has an LKE master: the
/// unit's mostly good, the TPI's the same or one step stricter. `None` without a master.
async fn lke_answers(
    db: &SqlitePool,
    rng: &mut StdRng,
    (unit_id, year): (i64, i64),
    (unit_by, tpi_by): (i64, i64),
) -> anyhow::Result<Option<usize>> {
    use crate::lke::answer::Answer;
    use crate::lke::model::AnswerKind;
    use crate::lke::store::{Input, Side, write_answer};
    let Some(master) = crate::lke::store::load_master(db, year).await? else {
        return Ok(None);
    };
    let at = format!("{year}-10-15T09:00:00Z");
    let mut tx = crate::db::write(db).await?;
    for q in &master.questions {
        let (unit, tpi) = match q.kind {
            AnswerKind::Count => {
                let n = rng.random_range(0..=40i64);
                (Answer::Count(n), Answer::Count(n))
            }
            AnswerKind::Index04 => {
                let x = f64::from(rng.random_range(280..=395u32)) / 100.0;
                let lower = f64::from(rng.random_range(0..=30u32)) / 100.0;
                (
                    Answer::Index(x),
                    Answer::Index(((x - lower) * 100.0).round() / 100.0),
                )
            }
            _ => {
                // scheme keys best first; mostly the best two
                let mut keys: Vec<_> = q.scheme.iter().collect();
                keys.sort_by(|a, b| b.multiplier.total_cmp(&a.multiplier));
                let i = if rng.random_bool(0.7) {
                    0
                } else {
                    rng.random_range(0..keys.len())
                };
                let j = if rng.random_bool(0.3) {
                    (i + 1).min(keys.len() - 1)
                } else {
                    i
                };
                (
                    Answer::Choice(keys[i].key.clone()),
                    Answer::Choice(keys[j].key.clone()),
                )
            }
        };
        let unit = Input {
            answer: Some(unit),
            note: String::new(),
            evidence: format!("Dokumen pendukung soal {} (demo)", q.id),
        };
        let tpi = Input {
            answer: Some(tpi),
            note: String::new(),
            evidence: String::new(),
        };
        // without an expected version a write is never refused
        let _ = write_answer(
            &mut tx,
            (unit_id, year, q.id, Side::Unit),
            &unit,
            None,
            unit_by,
            &at,
        )
        .await?;
        let _ = write_answer(
            &mut tx,
            (unit_id, year, q.id, Side::Tpi),
            &tpi,
            None,
            tpi_by,
            &at,
        )
        .await?;
    }
    tx.commit_unaudited().await?;
    Ok(Some(master.questions.len()))
}
