//! Reminders and digests, decided inside the server (no cron). Each tick looks at
//! the clock and writes what is due; every reminder carries a name (`dedupe`) that is
//! written at most once per person, and every digest a row per person and day, so a
//! restart, a second tick or a missed day never sends anything twice.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, Timelike};
use sqlx::SqlitePool;

use super::{Kind, MailMode, Notice, RECIPIENT, Recipient, mail, push};
use crate::AppState;

/// Starts the scheduler: a tick now and one every `schedule_every`.
pub fn spawn(state: AppState) {
    tokio::spawn(async move {
        loop {
            if state.db.is_closed() {
                break;
            }
            if let Err(e) = tick(&state).await {
                tracing::warn!(error = %e, "scheduler tick failed");
            }
            tokio::time::sleep(state.config.schedule_every).await;
        }
    });
}

/// Everything due at the clock's time.
pub async fn tick(state: &AppState) -> sqlx::Result<()> {
    let started = std::time::Instant::now();
    let today = state.config.clock.today();
    period_deadlines(state, today).await?;
    lke_deadlines(state, today).await?;
    proposal_window(state, today).await?;
    digests(state).await?;
    tracing::debug!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "scheduler tick"
    );
    Ok(())
}

/// Which reminder a deadline `days` ahead gets: 7, 3 or 1 days before (a day missed
/// while the server was down is caught up by the next reminder's bucket).
fn bucket(days: i64) -> Option<i64> {
    match days {
        0..=1 => Some(1),
        2..=3 => Some(3),
        4..=7 => Some(7),
        _ => None,
    }
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

async fn active_units(db: &SqlitePool) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar("SELECT id FROM work_units WHERE retired_at IS NULL")
        .fetch_all(db)
        .await
}

/// A list of at most 15 lines, then how many more.
fn listing(lines: &[String]) -> String {
    let mut s = lines
        .iter()
        .take(15)
        .cloned()
        .collect::<Vec<_>>()
        .join("; ");
    if lines.len() > 15 {
        s.push_str(&format!("; dan {} lainnya", lines.len() - 15));
    }
    s
}

/// Reporting deadlines: PICs with steps not yet done in that period hear 7, 3 and 1
/// days before, with the list.
async fn period_deadlines(state: &AppState, today: NaiveDate) -> sqlx::Result<()> {
    let units = active_units(&state.db).await?;
    let deadlines = crate::periods::deadlines_of(&state.db, &units, None).await?;
    for ((unit, period), date) in deadlines {
        let (year, semester, deadline) = (period.year, period.semester, date.to_string());
        let days = (date - today).num_days();
        let Some(b) = bucket(days) else { continue };
        let key = format!("tenggat:{unit}:{year}:{semester}:{deadline}:{b}");
        if done(state, &key).await? {
            continue;
        }
        let open: Vec<(i64, String, i64, i64, i64, String)> = sqlx::query_as(
            "SELECT a.user_id, s.numeral, s.a_pos, s.i_pos, s.s_pos, s.step_text
             FROM step_assignments a
             JOIN unit_steps s ON s.step_id = a.step_id AND NOT s.retired
             LEFT JOIN progress p ON p.step_id = s.step_id AND p.semester = ?3
             WHERE s.unit_id = ?1 AND s.year = ?2
               AND (p.status IS NULL OR p.status NOT IN ('selesai', 'tidak_dapat'))
             ORDER BY a.user_id, s.c_pos, s.a_pos, s.i_pos, s.s_pos",
        )
        .bind(unit)
        .bind(year)
        .bind(semester)
        .fetch_all(&state.db)
        .await?;
        let mut by_person: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        for (user, numeral, a, i, s, text) in open {
            let text = crate::fmt::clip(&text, 80);
            by_person.entry(user).or_default().push(format!(
                "{} {text}",
                crate::fmt::step_code(&numeral, a, i, s)
            ));
        }
        let notices = by_person
            .into_iter()
            .map(|(user_id, lines)| Notice {
                user_id,
                unit_id: Some(unit),
                kind: Kind::Deadline,
                title: format!(
                    "Tenggat pelaporan {} {} ({}): {} langkah belum selesai",
                    period.label(),
                    crate::fmt::days_left(days),
                    crate::fmt::date_id(date),
                    lines.len()
                ),
                body: listing(&lines),
                link: format!("/tugas?periode={}", period.key()),
                dedupe: Some(key.clone()),
            })
            .collect();
        write(state, &key, notices).await?;
    }
    Ok(())
}

/// (unit, year, unit deadline, TPI deadline, submitted, TPI final)
type LkeState = (i64, i64, Option<String>, Option<String>, bool, bool);

/// LKE deadlines: the unit's self-assessment until it is sent, the TPI's evaluation
/// until it is final.
async fn lke_deadlines(state: &AppState, today: NaiveDate) -> sqlx::Result<()> {
    let rows: Vec<LkeState> = sqlx::query_as(
        "SELECT s.unit_id, s.year, s.unit_deadline, s.tpi_deadline,
                s.unit_submitted_at IS NOT NULL, s.tpi_final_at IS NOT NULL
         FROM lke_year_state s JOIN work_units w ON w.id = s.unit_id AND w.retired_at IS NULL",
    )
    .fetch_all(&state.db)
    .await?;
    for (unit, year, unit_deadline, tpi_deadline, submitted, final_) in rows {
        // (date, days left, reminder) of a deadline still open and within a week
        let due = |raw: Option<String>, closed: bool| {
            let d = raw.as_deref().and_then(parse_date).filter(|_| !closed)?;
            let days = (d - today).num_days();
            bucket(days).map(|b| (d, days, b))
        };
        if let Some(when) = due(unit_deadline, submitted) {
            self_assessment_due(state, (unit, year), when).await?;
        }
        if let Some(when) = due(tpi_deadline, final_) {
            evaluation_due(state, (unit, year), when).await?;
        }
    }
    Ok(())
}

/// The self-assessment's deadline: PICs with unanswered questions they hold; the
/// unit's admins for unanswered questions nobody holds.
async fn self_assessment_due(
    state: &AppState,
    (unit, year): (i64, i64),
    (d, days, b): (NaiveDate, i64, i64),
) -> sqlx::Result<()> {
    let key = format!("tenggat-lke:{unit}:{year}:{d}:{b}");
    if done(state, &key).await? {
        return Ok(());
    }
    let counts: Vec<(i64, i64)> = sqlx::query_as(
        "WITH open AS (
           SELECT q.id FROM lke_questions q WHERE q.year = ?2 AND NOT EXISTS (
             SELECT 1 FROM lke_answers a WHERE a.unit_id = ?1 AND a.year = ?2
               AND a.question_id = q.id AND a.side = 'unit'
               AND a.draft_from IS NULL AND a.answer IS NOT NULL))
         SELECT la.user_id, count(*) FROM lke_assignments la JOIN open o ON o.id = la.question_id
          WHERE la.unit_id = ?1 AND la.year = ?2 GROUP BY la.user_id
         UNION ALL
         SELECT uu.user_id, (SELECT count(*) FROM open o WHERE NOT EXISTS (
                  SELECT 1 FROM lke_assignments la WHERE la.unit_id = ?1
                    AND la.year = ?2 AND la.question_id = o.id))
           FROM user_units uu WHERE uu.unit_id = ?1 AND uu.role = 'admin'",
    )
    .bind(unit)
    .bind(year)
    .fetch_all(&state.db)
    .await?;
    let notices = counts
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(user_id, n)| Notice {
            user_id,
            unit_id: Some(unit),
            kind: Kind::LkeDeadline,
            title: format!(
                "Tenggat penilaian mandiri LKE {year} {} ({}): {n} soal belum dijawab",
                crate::fmt::days_left(days),
                crate::fmt::date_id(d)
            ),
            body: "Jawab soal yang menjadi tanggung jawab Anda sebelum tenggat.".into(),
            link: format!("/lke/{year}"),
            dedupe: Some(key.clone()),
        })
        .collect();
    write(state, &key, notices).await
}

/// The TPI's deadline: the unit's evaluators, while TPI answers are missing.
async fn evaluation_due(
    state: &AppState,
    (unit, year): (i64, i64),
    (d, days, b): (NaiveDate, i64, i64),
) -> sqlx::Result<()> {
    let key = format!("tenggat-tpi:{unit}:{year}:{d}:{b}");
    if done(state, &key).await? {
        return Ok(());
    }
    let open: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM lke_questions q WHERE q.year = ?2 AND NOT EXISTS (
           SELECT 1 FROM lke_answers a WHERE a.unit_id = ?1 AND a.year = ?2
             AND a.question_id = q.id AND a.side = 'tpi' AND a.answer IS NOT NULL)",
    )
    .bind(unit)
    .bind(year)
    .fetch_one(&state.db)
    .await?;
    if open == 0 {
        return Ok(());
    }
    let people: Vec<i64> =
        sqlx::query_scalar("SELECT user_id FROM user_units WHERE unit_id = ? AND role = 'penilai'")
            .bind(unit)
            .fetch_all(&state.db)
            .await?;
    let notices = people
        .into_iter()
        .map(|user_id| Notice {
            user_id,
            unit_id: Some(unit),
            kind: Kind::LkeDeadline,
            title: format!(
                "Tenggat penilaian TPI LKE {year} {} ({}): {open} soal belum dinilai",
                crate::fmt::days_left(days),
                crate::fmt::date_id(d)
            ),
            body: String::new(),
            link: format!("/lke/{year}"),
            dedupe: Some(key.clone()),
        })
        .collect();
    write(state, &key, notices).await
}

/// PortalRB's proposal window: when it opens, and 3 days before it closes, the
/// instansi's admins and every active unit's admins hear.
async fn proposal_window(state: &AppState, today: NaiveDate) -> sqlx::Result<()> {
    let windows: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT year, opens, closes FROM portalrb_windows")
            .fetch_all(&state.db)
            .await?;
    for (year, opens, closes) in windows {
        let (Some(o), Some(c)) = (parse_date(&opens), parse_date(&closes)) else {
            continue;
        };
        if today < o || today > c {
            continue;
        }
        let left = (c - today).num_days();
        let mut due = vec![(
            format!("jendela-buka:{year}:{opens}"),
            format!(
                "Jendela usulan PortalRB {year} dibuka: {} sampai {}",
                crate::fmt::date_id(o),
                crate::fmt::date_id(c)
            ),
        )];
        if left <= 3 {
            due.push((
                format!("jendela-tutup:{year}:{closes}"),
                format!(
                    "Jendela usulan PortalRB {year} ditutup {} ({})",
                    crate::fmt::days_left(left),
                    crate::fmt::date_id(c)
                ),
            ));
        }
        let mut due_now = Vec::new();
        for (dedupe, title) in due {
            if !done(state, &dedupe).await? {
                due_now.push((dedupe, title));
            }
        }
        if due_now.is_empty() {
            continue;
        }
        let instansi: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM users WHERE instansi_role = 'admin-instansi' AND active = 1",
        )
        .fetch_all(&state.db)
        .await?;
        let unit_admins: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT uu.user_id, min(uu.unit_id) FROM user_units uu
             JOIN work_units w ON w.id = uu.unit_id AND w.retired_at IS NULL
             WHERE uu.role = 'admin' GROUP BY uu.user_id",
        )
        .fetch_all(&state.db)
        .await?;
        let mut people: HashMap<i64, Option<i64>> = HashMap::new();
        for (u, unit) in unit_admins {
            people.insert(u, Some(unit));
        }
        for u in instansi {
            people.insert(u, None);
        }
        for (dedupe, title) in due_now {
            let notices = people
                .iter()
                .map(|(&user_id, &unit)| Notice {
                    user_id,
                    unit_id: unit,
                    kind: Kind::Window,
                    title: title.clone(),
                    body:
                        "Pastikan penilaian mandiri dan penilaian TPI unit yang diusulkan lengkap."
                            .into(),
                    link: match unit {
                        Some(_) => format!("/lke/{year}"),
                        None => format!("/admin/portalrb?tahun={year}"),
                    },
                    dedupe: Some(dedupe.clone()),
                })
                .collect();
            write(state, &dedupe, notices).await?;
        }
    }
    Ok(())
}

/// Whether the reminder named `key` was written already.
async fn done(state: &AppState, key: &str) -> sqlx::Result<bool> {
    let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM reminders_done WHERE key = ?")
        .bind(key)
        .fetch_optional(&state.db)
        .await?;
    Ok(found.is_some())
}

/// Writes a reminder's notices and its name in one transaction; a tick that finds the
/// name taken (another tick wrote it meanwhile) writes nothing.
async fn write(state: &AppState, key: &str, notices: Vec<Notice>) -> sqlx::Result<()> {
    let mut tx = crate::db::write(&state.db).await?;
    let first = sqlx::query("INSERT OR IGNORE INTO reminders_done (key, at) VALUES (?, ?)")
        .bind(key)
        .bind(state.config.clock.unix())
        .execute(&mut *tx)
        .await?;
    if first.rows_affected() == 0 {
        return tx.rollback().await;
    }
    push(&mut tx, state, notices).await?;
    tx.commit_unaudited().await
}

/// Daily digests: once the person's hour has come (Asia/Jakarta), one message with
/// everything that waited for it, at most one per person and day.
async fn digests(state: &AppState) -> sqlx::Result<()> {
    let local = state
        .config
        .clock
        .now()
        .with_timezone(&chrono_tz::Asia::Jakarta);
    let day = local.date_naive().to_string();
    let readers: Vec<Recipient> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{RECIPIENT} WHERE u.active = 1
           AND EXISTS (SELECT 1 FROM notifications n WHERE n.user_id = u.id AND n.mail = 'digest')"
    )))
    .fetch_all(&state.db)
    .await?;
    for r in readers {
        let Some(to) = r.mail_to(&state.post) else {
            // no address or no mail wanted any more: the waiting lines stay in the app
            let mut tx = crate::db::write(&state.db).await?;
            sqlx::query(
                "UPDATE notifications SET mail = 'none' WHERE user_id = ? AND mail = 'digest'",
            )
            .bind(r.id)
            .execute(&mut *tx)
            .await?;
            tx.commit_unaudited().await?;
            continue;
        };
        // before the person's hour nothing is written (no write lock each minute)
        if r.notify_mode == MailMode::Harian && i64::from(local.hour()) < r.digest_hour {
            continue;
        }
        let mut tx = crate::db::write(&state.db).await?;
        let first =
            sqlx::query("INSERT OR IGNORE INTO digests_sent (user_id, day, at) VALUES (?, ?, ?)")
                .bind(r.id)
                .bind(&day)
                .bind(state.config.clock.unix())
                .execute(&mut *tx)
                .await?;
        if first.rows_affected() == 0 {
            // today's digest went out already; these wait for tomorrow's
            continue;
        }
        let lines: Vec<(String, String, String)> = sqlx::query_as(
            "UPDATE notifications SET mail = 'digested' WHERE user_id = ? AND mail = 'digest'
             RETURNING title, body, link",
        )
        .bind(r.id)
        .fetch_all(&mut *tx)
        .await?;
        let n = lines.len();
        let letter = mail::Letter {
            name: r.display_name,
            intro: format!("Ringkasan pemberitahuan ZI Tracker Anda ({n} hal):"),
            items: lines
                .into_iter()
                .map(|(title, body, link)| mail::Item {
                    title,
                    body,
                    url: state.post.url(&link),
                })
                .collect(),
            outro: "Semua pemberitahuan juga ada di halaman Notifikasi.".into(),
        };
        mail::queue(
            &mut tx,
            state,
            mail::Outgoing {
                user_id: Some(r.id),
                to,
                kind: crate::notify::mail::MailKind::Ringkasan,
                subject: format!(
                    "[ZI Tracker] Ringkasan harian {}: {n} pemberitahuan",
                    crate::fmt::date_id(local.date_naive())
                ),
                letter,
            },
        )
        .await?;
        tx.commit_unaudited().await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reminders_fall_in_the_7_3_1_buckets() {
        assert_eq!(bucket(8), None);
        assert_eq!(bucket(7), Some(7));
        assert_eq!(bucket(4), Some(7));
        assert_eq!(bucket(3), Some(3));
        assert_eq!(bucket(2), Some(3));
        assert_eq!(bucket(1), Some(1));
        assert_eq!(bucket(0), Some(1));
        assert_eq!(bucket(-1), None);
    }
}
