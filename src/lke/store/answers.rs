//! The two sides' answers: stored, written with their history, evidence links.

use super::*;

use std::collections::HashMap;

use sqlx::{SqliteConnection, SqlitePool};

use crate::lke::answer::Answer;

/// Whether the unit held WBK (or WBBM) in a year before `year`: what a WBBM proposal
/// and the WBBM readiness need. A predicate of `year` itself does not count.
pub async fn wbk_held_before<'e>(
    db: impl sqlx::SqliteExecutor<'e>,
    unit: i64,
    year: i64,
) -> sqlx::Result<bool> {
    Ok(units_with_wbk_before(db, year).await?.contains(&unit))
}

/// The units that held WBK (or WBBM) in a year before `year`, for every unit at once.
pub async fn units_with_wbk_before<'e>(
    db: impl sqlx::SqliteExecutor<'e>,
    year: i64,
) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar(
        "SELECT DISTINCT unit_id FROM unit_predicates
         WHERE year < ? AND predicate IN ('WBK', 'WBBM') ORDER BY unit_id",
    )
    .bind(year)
    .fetch_all(db)
    .await
}

/// One side's current answer to a question as stored (the answer as canonical text).
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub id: i64,
    pub question_id: i64,
    pub side: Side,
    pub version: i64,
    pub answer: Option<String>,
    pub note: String,
    pub evidence: String,
    pub answered_by: String,
    pub answered_by_id: i64,
    pub answered_at: String,
    /// On a TPI answer: the unit answer's version it evaluated.
    pub seen_unit_version: Option<i64>,
    /// On a unit answer: the year it was carried from, while still an unconfirmed draft.
    pub draft_from: Option<i64>,
}

/// What a save writes for one side of one question.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Input {
    /// `None` clears the answer (the note and evidence may stay).
    pub answer: Option<Answer>,
    pub note: String,
    /// The unit's URL or description; empty on the TPI side.
    pub evidence: String,
}

/// Every current answer of a year, both sides, by (question, side).
pub async fn stored(
    db: &SqlitePool,
    unit: i64,
    year: i64,
) -> sqlx::Result<HashMap<(i64, Side), Stored>> {
    Ok(
        stored_where(db, "a.unit_id = ? AND a.year = ?", &[unit, year])
            .await?
            .into_iter()
            .map(|s| ((s.question_id, s.side), s))
            .collect(),
    )
}

/// Both sides' current answers to one question.
pub async fn stored_of(
    db: &SqlitePool,
    unit: i64,
    year: i64,
    question_id: i64,
) -> sqlx::Result<(Option<Stored>, Option<Stored>)> {
    let rows = stored_where(
        db,
        "a.unit_id = ? AND a.year = ? AND a.question_id = ?",
        &[unit, year, question_id],
    )
    .await?;
    let pick = |side| rows.iter().find(|s| s.side == side).cloned();
    Ok((pick(Side::Unit), pick(Side::Tpi)))
}

pub(crate) async fn stored_where(
    db: &SqlitePool,
    filter: &str,
    binds: &[i64],
) -> sqlx::Result<Vec<Stored>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        question_id: i64,
        side: Side,
        version: i64,
        answer: Option<String>,
        note: String,
        evidence: String,
        by_name: String,
        answered_by: i64,
        answered_at: String,
        seen_unit_version: Option<i64>,
        draft_from: Option<i64>,
    }
    let sql = format!(
        "SELECT a.id, a.question_id, a.side, a.version, a.answer, a.note, a.evidence,
                u.display_name AS by_name, a.answered_by, a.answered_at, a.seen_unit_version,
                a.draft_from
         FROM lke_answers a JOIN users u ON u.id = a.answered_by WHERE {filter}"
    );
    let mut q = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql));
    for b in binds {
        q = q.bind(*b);
    }
    Ok(q.fetch_all(db)
        .await?
        .into_iter()
        .map(|r| Stored {
            id: r.id,
            question_id: r.question_id,
            side: r.side,
            version: r.version,
            answer: r.answer,
            note: r.note,
            evidence: r.evidence,
            answered_by: r.by_name,
            answered_by_id: r.answered_by,
            answered_at: r.answered_at,
            seen_unit_version: r.seen_unit_version,
            draft_from: r.draft_from,
        })
        .collect())
}

/// One side's answer as it stood before a write, for the audit trail.
#[derive(Debug, Clone, PartialEq)]
pub struct Before {
    pub version: i64,
    pub answer: Option<String>,
    pub note: String,
    pub evidence: String,
}

/// What a write did: whether it made a new version, and what stood before.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub changed: bool,
    pub before: Option<Before>,
}

/// Writes one side's answer as a new version (history kept), unless it equals the
/// current one. `expected` is the version the writer saw (0 for none); another
/// current version refuses the save (`Stale(current version)`).
pub async fn write_answer(
    conn: &mut SqliteConnection,
    (unit, year, question_id, side): (i64, i64, i64, Side),
    input: &Input,
    expected: Option<i64>,
    user_id: i64,
    at: &str,
) -> sqlx::Result<crate::db::Versioned<Written, i64>> {
    #[derive(sqlx::FromRow)]
    struct Current {
        version: Option<i64>,
        answer: Option<String>,
        note: Option<String>,
        evidence: Option<String>,
        seen_unit_version: Option<i64>,
        draft_from: Option<i64>,
        /// The unit answer's version, which a TPI answer records as evaluated.
        unit_version: Option<i64>,
    }
    let c: Current = sqlx::query_as(
        "SELECT a.version, a.answer, a.note, a.evidence, a.seen_unit_version, a.draft_from,
                (SELECT u.version FROM lke_answers u
                  WHERE u.unit_id = ?4 AND u.year = ?1 AND u.question_id = ?2
                    AND u.side = 'unit') AS unit_version
         FROM (SELECT 1) LEFT JOIN lke_answers a
           ON a.unit_id = ?4 AND a.year = ?1 AND a.question_id = ?2 AND a.side = ?3",
    )
    .bind(year)
    .bind(question_id)
    .bind(side.as_str())
    .bind(unit)
    .fetch_one(&mut *conn)
    .await?;
    let before = c.version.map(|version| Before {
        version,
        answer: c.answer.clone(),
        note: c.note.clone().unwrap_or_default(),
        evidence: c.evidence.clone().unwrap_or_default(),
    });
    let version = c.version.unwrap_or(0);
    if let Some(seen) = expected
        && seen != version
    {
        return Ok(crate::db::Versioned::Stale(version));
    }
    let answer = input.answer.as_ref().map(Answer::to_portal_string);
    let unit_version = if side == Side::Tpi {
        c.unit_version
    } else {
        None
    };
    let unchanged = match &before {
        // saving a draft unchanged confirms it; re-evaluating a changed unit answer counts
        Some(b) => {
            b.answer == answer
                && b.note == input.note
                && b.evidence == input.evidence
                && c.draft_from.is_none()
                && (side == Side::Unit || c.seen_unit_version == unit_version)
        }
        None => answer.is_none() && input.note.is_empty() && input.evidence.is_empty(),
    };
    if unchanged {
        return Ok(crate::db::Versioned::Saved(Written {
            changed: false,
            before,
        }));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO lke_answers (unit_id, year, question_id, side, version, answer, note, evidence,
                                  answered_by, answered_at, seen_unit_version, draft_from)
         VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, NULL)
         ON CONFLICT (unit_id, year, question_id, side) DO UPDATE SET
             version = version + 1, answer = excluded.answer, note = excluded.note,
             evidence = excluded.evidence, answered_by = excluded.answered_by,
             answered_at = excluded.answered_at, seen_unit_version = excluded.seen_unit_version,
             draft_from = NULL
         RETURNING id",
    )
    .bind(unit)
    .bind(year)
    .bind(question_id)
    .bind(side.as_str())
    .bind(&answer)
    .bind(&input.note)
    .bind(&input.evidence)
    .bind(user_id)
    .bind(at)
    .bind(unit_version)
    .fetch_one(&mut *conn)
    .await?;
    append_history(conn, id).await?;
    Ok(crate::db::Versioned::Saved(Written {
        changed: true,
        before,
    }))
}

/// Keeps the current version of an answer in its history (append-only).
pub async fn append_history(conn: &mut SqliteConnection, answer_id: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO lke_answer_history (answer_id, version, answer, note, evidence, answered_by, answered_at)
         SELECT id, version, answer, note, evidence, answered_by, answered_at FROM lke_answers WHERE id = ?",
    )
    .bind(answer_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The tracker's evidence items linked to unit answers: (answer id, question id,
/// evidence id, label), active items only.
pub(crate) async fn links_where(
    db: &SqlitePool,
    filter: &str,
    keys: &[i64],
) -> sqlx::Result<Vec<(i64, i64, i64, String)>> {
    let q = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT l.answer_id, a.question_id, e.id, e.label FROM lke_answer_evidence l
         JOIN lke_answers a ON a.id = l.answer_id
         JOIN evidence e ON e.id = l.evidence_id
         WHERE {filter} AND e.removed_at IS NULL ORDER BY e.id"
    )));
    let mut q = q;
    for k in keys {
        q = q.bind(*k);
    }
    q.fetch_all(db).await
}

/// The evidence items linked to each unit answer of a year: answer id →
/// (evidence id, label).
pub async fn evidence_links(
    db: &SqlitePool,
    unit: i64,
    year: i64,
) -> sqlx::Result<HashMap<i64, Vec<(i64, String)>>> {
    let mut out: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
    for (a, _, e, label) in links_where(db, "a.unit_id = ? AND a.year = ?", &[unit, year]).await? {
        out.entry(a).or_default().push((e, label));
    }
    Ok(out)
}

/// The same links keyed by question id, for reading a workbook back.
pub async fn evidence_links_by_question(
    db: &SqlitePool,
    unit: i64,
    year: i64,
) -> sqlx::Result<HashMap<i64, Vec<(i64, String)>>> {
    let mut out: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
    for (_, q, e, label) in links_where(db, "a.unit_id = ? AND a.year = ?", &[unit, year]).await? {
        out.entry(q).or_default().push((e, label));
    }
    Ok(out)
}

/// The evidence items linked to one unit answer.
pub async fn evidence_links_of(
    db: &SqlitePool,
    answer_id: i64,
) -> sqlx::Result<Vec<(i64, String)>> {
    Ok(links_where(db, "l.answer_id = ?", &[answer_id])
        .await?
        .into_iter()
        .map(|(_, _, e, label)| (e, label))
        .collect())
}
