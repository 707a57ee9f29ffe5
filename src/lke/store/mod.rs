//! The LKE in the database: masters by year (here), the two sides' answers
//! (`answers`), predicates and count groups (`predicates`).

mod answers;
mod predicates;

pub use answers::*;
pub use predicates::*;

use std::collections::HashMap;

use sqlx::{SqliteConnection, SqlitePool};

use super::answer::{Answer, parse_answer};
use super::model::{AnswerKind, CountGroup, Formula, Master, Node, Question, SchemeKey};

/// Whose answer: the unit's own (self-assessment) or its TPI's; stored as "unit"/"tpi".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, sqlx::Type)]
#[sqlx(rename_all = "lowercase")]
pub enum Side {
    Unit,
    Tpi,
}

impl Side {
    /// As the history and the conflict message name it.
    pub fn label(self) -> &'static str {
        match self {
            Side::Unit => "Unit",
            Side::Tpi => "TPI",
        }
    }
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
                formula: Formula::parse(&formula).unwrap_or(Formula::Ratio),
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
