//! The LKE in the database: masters by year, the two sides' answers, predicates.

use std::collections::HashMap;

use sqlx::{SqliteConnection, SqlitePool};

use super::answer::{Answer, parse_answer};
use super::model::{AnswerKind, CountGroup, Formula, Master, Node, Question, SchemeKey};

/// Whose answer: the unit's own (self-assessment) or its TPI's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    Unit,
    Tpi,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Unit => "unit",
            Side::Tpi => "tpi",
        }
    }
}

/// Years with a master, newest first.
pub async fn years(db: &SqlitePool) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar("SELECT year FROM lke_years ORDER BY year DESC")
        .fetch_all(db)
        .await
}

fn json_map(raw: Option<String>) -> serde_json::Map<String, serde_json::Value> {
    raw.and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default()
}

fn ids(raw: &str) -> Vec<i64> {
    raw.split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

/// A year's whole master, or `None` when the year has none.
pub async fn load_master(db: &SqlitePool, year: i64) -> sqlx::Result<Option<Master>> {
    let head: Option<(Option<i64>, Option<String>)> =
        sqlx::query_as("SELECT total_soal, generated_at FROM lke_years WHERE year = ?")
            .bind(year)
            .fetch_optional(db)
            .await?;
    let Some((total_soal, generated_at)) = head else {
        return Ok(None);
    };
    type NodeRow = (i64, Option<i64>, String, String, f64, i64, Option<String>);
    let nodes: Vec<NodeRow> = sqlx::query_as(
        "SELECT id, parent_id, level, name, weight, position, extra_json FROM lke_nodes WHERE year = ?",
    )
    .bind(year)
    .fetch_all(db)
    .await?;
    #[derive(sqlx::FromRow)]
    struct QRow {
        id: i64,
        node_id: i64,
        position: i64,
        text: String,
        criteria: String,
        answer_type: String,
        weight: f64,
        excel_sheet: String,
        excel_row: i64,
        col_unit_answer: String,
        col_unit_note: String,
        col_unit_evidence: String,
        col_tpi_answer: String,
        col_tpi_note: String,
        extra_json: Option<String>,
    }
    let questions: Vec<QRow> = sqlx::query_as(
        "SELECT id, node_id, position, text, criteria, answer_type, weight, excel_sheet, excel_row,
                col_unit_answer, col_unit_note, col_unit_evidence, col_tpi_answer, col_tpi_note,
                extra_json
         FROM lke_questions WHERE year = ?",
    )
    .bind(year)
    .fetch_all(db)
    .await?;
    let scheme: Vec<(i64, String, String, f64)> = sqlx::query_as(
        "SELECT question_id, key, label, multiplier FROM lke_scheme WHERE year = ?
         ORDER BY question_id, position",
    )
    .bind(year)
    .fetch_all(db)
    .await?;
    let mut by_question: HashMap<i64, Vec<SchemeKey>> = HashMap::new();
    for (q, key, label, multiplier) in scheme {
        by_question.entry(q).or_default().push(SchemeKey {
            key,
            label,
            multiplier,
        });
    }
    let groups: Vec<(i64, i64, String, String, String, String, bool)> = sqlx::query_as(
        "SELECT id, node_id, label, formula, numerator, denominator, stated
         FROM lke_count_groups WHERE year = ?",
    )
    .bind(year)
    .fetch_all(db)
    .await?;
    let nodes = nodes
        .into_iter()
        .map(
            |(id, parent_id, level, name, weight, position, extra)| Node {
                id,
                parent_id,
                level,
                name,
                weight,
                position,
                extra: json_map(extra),
            },
        )
        .collect();
    let questions = questions
        .into_iter()
        .map(|q| Question {
            kind: AnswerKind::from_raw(&q.answer_type).unwrap_or(AnswerKind::Abc),
            scheme: by_question.remove(&q.id).unwrap_or_default(),
            id: q.id,
            node_id: q.node_id,
            position: q.position,
            text: q.text,
            criteria: q.criteria,
            answer_type_raw: q.answer_type,
            weight: q.weight,
            excel_sheet: q.excel_sheet,
            excel_row: q.excel_row,
            col_unit_answer: q.col_unit_answer,
            col_unit_note: q.col_unit_note,
            col_unit_evidence: q.col_unit_evidence,
            col_tpi_answer: q.col_tpi_answer,
            col_tpi_note: q.col_tpi_note,
            extra: json_map(q.extra_json),
        })
        .collect();
    let groups = groups
        .into_iter()
        .map(
            |(id, node_id, label, formula, numerator, denominator, stated)| CountGroup {
                id,
                node_id,
                label,
                formula: Formula::from_db(&formula).unwrap_or(Formula::Ratio),
                numerator: ids(&numerator),
                denominator: ids(&denominator),
                stated,
            },
        )
        .collect();
    Ok(Some(Master::from_rows(
        year,
        total_soal,
        generated_at,
        nodes,
        questions,
        groups,
    )))
}

/// Writes a whole master (already checked) for a year without one.
pub async fn insert_master(conn: &mut SqliteConnection, m: &Master) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO lke_years (year, total_soal, generated_at) VALUES (?, ?, ?)")
        .bind(m.year)
        .bind(m.total_soal)
        .bind(&m.generated_at)
        .execute(&mut *conn)
        .await?;
    let extra = |e: &serde_json::Map<String, serde_json::Value>| {
        (!e.is_empty()).then(|| serde_json::Value::Object(e.clone()).to_string())
    };
    for n in &m.nodes {
        sqlx::query(
            "INSERT INTO lke_nodes (year, id, parent_id, level, name, weight, position, extra_json)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(m.year)
        .bind(n.id)
        .bind(n.parent_id)
        .bind(&n.level)
        .bind(&n.name)
        .bind(n.weight)
        .bind(n.position)
        .bind(extra(&n.extra))
        .execute(&mut *conn)
        .await?;
    }
    for q in &m.questions {
        sqlx::query(
            "INSERT INTO lke_questions (year, id, node_id, position, text, criteria, answer_type,
                 weight, excel_sheet, excel_row, col_unit_answer, col_unit_note,
                 col_unit_evidence, col_tpi_answer, col_tpi_note, extra_json)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(m.year)
        .bind(q.id)
        .bind(q.node_id)
        .bind(q.position)
        .bind(&q.text)
        .bind(&q.criteria)
        .bind(&q.answer_type_raw)
        .bind(q.weight)
        .bind(&q.excel_sheet)
        .bind(q.excel_row)
        .bind(&q.col_unit_answer)
        .bind(&q.col_unit_note)
        .bind(&q.col_unit_evidence)
        .bind(&q.col_tpi_answer)
        .bind(&q.col_tpi_note)
        .bind(extra(&q.extra))
        .execute(&mut *conn)
        .await?;
        for (i, s) in q.scheme.iter().enumerate() {
            sqlx::query(
                "INSERT INTO lke_scheme (year, question_id, position, key, label, multiplier)
                 VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(m.year)
            .bind(q.id)
            .bind(i as i64 + 1)
            .bind(&s.key)
            .bind(&s.label)
            .bind(s.multiplier)
            .execute(&mut *conn)
            .await?;
        }
    }
    let join = |v: &[i64]| v.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    for g in &m.groups {
        sqlx::query(
            "INSERT INTO lke_count_groups (year, id, node_id, label, formula, numerator,
                 denominator, stated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(m.year)
        .bind(g.id)
        .bind(g.node_id)
        .bind(&g.label)
        .bind(g.formula.as_str())
        .bind(join(&g.numerator))
        .bind(join(&g.denominator))
        .bind(g.stated)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Whether a year already holds answers (a master with answers is not replaced).
pub async fn has_answers(conn: &mut SqliteConnection, year: i64) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM lke_answers WHERE year = ?")
        .bind(year)
        .fetch_one(conn)
        .await?;
    Ok(n > 0)
}

/// The current answers of one side, parsed against the master (answers that no longer
/// fit their question, and drafts carried from last year not yet confirmed, are left
/// out, so they score as unanswered).
pub async fn answers(
    db: &SqlitePool,
    unit: i64,
    master: &Master,
    side: Side,
) -> sqlx::Result<HashMap<i64, Answer>> {
    Ok(answers_from(
        master,
        &stored(db, unit, master.year).await?,
        side,
    ))
}

/// The same, from answers already read with [`stored`].
pub fn answers_from(
    master: &Master,
    stored: &HashMap<(i64, Side), Stored>,
    side: Side,
) -> HashMap<i64, Answer> {
    stored
        .values()
        .filter(|s| s.side == side && s.draft_from.is_none())
        .filter_map(|s| {
            let question = master.question(s.question_id)?;
            parse_answer(question, s.answer.as_deref()?)
                .ok()
                .map(|a| (s.question_id, a))
        })
        .collect()
}

/// Whether the unit held WBK before `year` (from its predicate record).
pub async fn wbk_held_before(db: &SqlitePool, unit: i64, year: i64) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM unit_predicates
         WHERE unit_id = ? AND year < ? AND predicate IN ('WBK', 'WBBM')",
    )
    .bind(unit)
    .bind(year)
    .fetch_one(db)
    .await?;
    Ok(n > 0)
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

async fn stored_where(db: &SqlitePool, filter: &str, binds: &[i64]) -> sqlx::Result<Vec<Stored>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        question_id: i64,
        side: String,
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
            side: if r.side == "tpi" {
                Side::Tpi
            } else {
                Side::Unit
            },
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
/// current version refuses the save with `Err(current version)`.
pub async fn write_answer(
    conn: &mut SqliteConnection,
    (unit, year, question_id, side): (i64, i64, i64, Side),
    input: &Input,
    expected: Option<i64>,
    user_id: i64,
    at: &str,
) -> sqlx::Result<Result<Written, i64>> {
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
        return Ok(Err(version));
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
        return Ok(Ok(Written {
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
    Ok(Ok(Written {
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
async fn links_where(
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

/// The unit's predicates by year, newest first.
#[derive(Debug, Clone)]
pub struct Predicate {
    pub year: i64,
    pub predicate: String,
    pub tpn_score: Option<f64>,
    pub notes: String,
}

pub async fn predicates(db: &SqlitePool, unit: i64) -> sqlx::Result<Vec<Predicate>> {
    let rows: Vec<(i64, String, Option<f64>, String)> = sqlx::query_as(
        "SELECT year, predicate, tpn_score, notes FROM unit_predicates WHERE unit_id = ?
         ORDER BY year DESC",
    )
    .bind(unit)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(year, predicate, tpn_score, notes)| Predicate {
            year,
            predicate,
            tpn_score,
            notes,
        })
        .collect())
}

fn group_json(g: &CountGroup) -> serde_json::Value {
    serde_json::json!({
        "rumus": g.formula.as_str(),
        "pembilang": g.numerator,
        "penyebut": g.denominator,
        "tertulis": g.stated,
    })
}

/// Stores an admin's correction of a count group's formula, audited with before and after.
pub async fn save_group(
    db: &SqlitePool,
    actor: &crate::audit::Actor,
    year: i64,
    before: &CountGroup,
    after: &CountGroup,
) -> sqlx::Result<()> {
    use crate::audit::{Action, Entry};
    let join = |v: &[i64]| v.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let mut tx = crate::db::write(db).await?;
    sqlx::query(
        "UPDATE lke_count_groups SET formula = ?, numerator = ?, denominator = ?, stated = ?
         WHERE year = ? AND id = ?",
    )
    .bind(after.formula.as_str())
    .bind(join(&after.numerator))
    .bind(join(&after.denominator))
    .bind(after.stated)
    .bind(year)
    .bind(after.id)
    .execute(&mut *tx)
    .await?;
    tx.commit(
        actor,
        Entry::new(
            Action::LkeGroupChanged,
            format!("Rumus kelompok \"{}\" LKE {year} diubah", after.label),
        )
        .object("lke_count_group", after.id)
        .change(group_json(before), group_json(after)),
    )
    .await
}

/// Records (or replaces) the unit's predicate for a year, audited.
pub async fn save_predicate(
    db: &SqlitePool,
    actor: &crate::audit::Actor,
    unit: i64,
    user_id: i64,
    p: &Predicate,
) -> sqlx::Result<()> {
    use crate::audit::{Action, Entry};
    let mut tx = crate::db::write(db).await?;
    let before: Option<(String, Option<f64>, String)> = sqlx::query_as(
        "SELECT predicate, tpn_score, notes FROM unit_predicates WHERE unit_id = ? AND year = ?",
    )
    .bind(unit)
    .bind(p.year)
    .fetch_optional(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO unit_predicates (unit_id, year, predicate, tpn_score, notes, recorded_by, recorded_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (unit_id, year) DO UPDATE SET predicate = excluded.predicate,
             tpn_score = excluded.tpn_score, notes = excluded.notes,
             recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at",
    )
    .bind(unit)
    .bind(p.year)
    .bind(&p.predicate)
    .bind(p.tpn_score)
    .bind(&p.notes)
    .bind(user_id)
    .bind(crate::fmt::now_stamp())
    .execute(&mut *tx)
    .await?;
    let json = |(predicate, score, notes): (String, Option<f64>, String)| serde_json::json!({"predikat": predicate, "nilai_tpn": score, "catatan": notes});
    tx.commit(
        &actor.clone().in_unit(unit),
        Entry::new(
            Action::PredicateSet,
            format!("Predikat tahun {}: {}", p.year, p.predicate),
        )
        .change(
            before.map(json).unwrap_or(serde_json::Value::Null),
            json((p.predicate.clone(), p.tpn_score, p.notes.clone())),
        ),
    )
    .await
}

/// Checks a PortalRB master file whole and stores it for a year without answers (a
/// year with answers keeps its master). Every problem comes back as "JSON path:
/// message"; nothing is stored unless there is none.
pub async fn import_master(
    db: &SqlitePool,
    actor: &crate::audit::Actor,
    year: i64,
    bytes: &[u8],
) -> anyhow::Result<Result<usize, Vec<String>>> {
    use crate::audit::{Action, Entry};
    let mut tx = crate::db::write(db).await?;
    let mut problems = Vec::new();
    if has_answers(&mut tx, year).await? {
        problems.push(format!(
            "$.tahun: tahun {year} sudah punya jawaban LKE; masternya tidak dapat diganti"
        ));
    }
    let master = match super::portalrb::parse_master(year, bytes) {
        Ok(m) => Some(m),
        Err(found) => {
            problems.extend(found.iter().map(|p| format!("{}: {}", p.path, p.message)));
            None
        }
    };
    let (Some(master), true) = (master, problems.is_empty()) else {
        tx.rollback().await?;
        return Ok(Err(problems));
    };
    // a year without answers may have its master replaced
    for table in [
        "lke_count_groups",
        "lke_scheme",
        "lke_questions",
        "lke_nodes",
        "lke_years",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE year = ?"
        )))
        .bind(year)
        .execute(&mut *tx)
        .await?;
    }
    insert_master(&mut tx, &master).await?;
    let n = master.questions.len();
    tx.commit(
        actor,
        Entry::new(
            Action::LkeMasterImported,
            format!("Master LKE {year} dimuat ({n} soal)"),
        )
        .after(serde_json::json!({"tahun": year, "soal": n})),
    )
    .await?;
    Ok(Ok(n))
}
