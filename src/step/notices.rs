//! What a step's PICs and reviewers hear, written on the transaction of the change.

use sqlx::SqliteConnection;

use crate::notify::{Kind, Notice, Notifies, push};
use crate::step::Verdict;

/// A reviewer asked for a fix: every PIC of the step hears it, with the note.
pub async fn fix_requested(
    conn: &mut SqliteConnection,
    state: &dyn Notifies,
    reviewer: i64,
    (unit, step, code): (i64, i64, &str),
    (period_label, link): (&str, &str),
    note: &str,
) -> sqlx::Result<usize> {
    let pics: Vec<i64> = sqlx::query_scalar(
        "SELECT a.user_id FROM step_assignments a WHERE a.step_id = ? AND a.user_id <> ?",
    )
    .bind(step)
    .bind(reviewer)
    .fetch_all(&mut *conn)
    .await?;
    let notices = pics
        .into_iter()
        .map(|user_id| Notice {
            user_id,
            unit_id: Some(unit),
            kind: Kind::FixRequested,
            title: format!("Perbaikan diminta: langkah {code} ({period_label})"),
            body: format!("Catatan reviu: {note}"),
            link: link.to_string(),
            dedupe: None,
        })
        .collect();
    push(conn, state, notices).await
}

/// A PIC saved progress or answered while a fix request stands: its reviewer hears.
pub async fn pic_answered(
    conn: &mut SqliteConnection,
    state: &dyn Notifies,
    pic: (i64, &str),
    (unit, step, semester, code): (i64, i64, i64, &str),
    (period_label, link): (&str, &str),
    what: &str,
) -> sqlx::Result<usize> {
    // the latest verdict, standing or not: the save that answers it has already made a
    // newer version, so `standing_reviews` no longer holds it
    let latest: Option<(i64, Verdict)> = sqlx::query_as(
        "SELECT reviewer_id, verdict FROM reviews WHERE step_id = ? AND semester = ?
         ORDER BY id DESC LIMIT 1",
    )
    .bind(step)
    .bind(semester)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((reviewer, _)) = latest.filter(|(r, v)| *v == Verdict::Perbaikan && *r != pic.0)
    else {
        return Ok(0);
    };
    push(
        conn,
        state,
        vec![Notice {
            user_id: reviewer,
            unit_id: Some(unit),
            kind: Kind::Answered,
            title: format!(
                "{} {what} langkah {code} ({period_label}) setelah permintaan perbaikan",
                pic.1
            ),
            body: "Langkah ini menunggu reviu Anda kembali.".into(),
            link: link.to_string(),
            dedupe: None,
        }],
    )
    .await
}
