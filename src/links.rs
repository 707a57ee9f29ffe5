//! Action steps ↔ LKE questions: which questions of its year a step serves.

use sqlx::{SqliteConnection, SqlitePool};

/// "12; 13, 14" → [12, 13, 14] (separators `;`, `,` or spaces; repeats dropped).
pub fn parse_ids(raw: &str) -> Result<Vec<i64>, String> {
    use crate::web::{IdListError, distinct_ids};
    distinct_ids(
        raw.split(|c: char| c == ';' || c == ',' || c.is_whitespace()),
        MAX_QUESTIONS,
    )
    .map_err(|e| match e {
        IdListError::NotAnId(part) => format!("\"{part}\" bukan nomor soal LKE (ID soal, mis. 12)"),
        IdListError::TooMany(max) => {
            format!("paling banyak {max} soal dapat dikaitkan dengan satu langkah aksi")
        }
    })
}

/// More questions than a master holds cannot be meant (2026 has 127).
const MAX_QUESTIONS: usize = 300;

/// Every id must be a question of the year's master; the message names the rest.
pub async fn check_ids(
    conn: &mut SqliteConnection,
    year: i64,
    ids: &[i64],
) -> sqlx::Result<Result<(), String>> {
    if ids.is_empty() {
        return Ok(Ok(()));
    }
    let known: std::collections::HashSet<i64> =
        sqlx::query_scalar::<_, i64>("SELECT id FROM lke_questions WHERE year = ?")
            .bind(year)
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .collect();
    if known.is_empty() {
        return Ok(Err(format!(
            "tahun {year} belum punya master LKE, sehingga soal tidak dapat dikaitkan"
        )));
    }
    let unknown: Vec<String> = ids
        .iter()
        .filter(|i| !known.contains(i))
        .map(i64::to_string)
        .collect();
    Ok(if unknown.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "soal {} tidak ada di master LKE {year}",
            unknown.join(", ")
        ))
    })
}

/// Replaces the questions a step serves.
pub async fn set_step_questions(
    conn: &mut SqliteConnection,
    step_id: i64,
    year: i64,
    ids: &[i64],
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM lke_step_questions WHERE step_id = ?")
        .bind(step_id)
        .execute(&mut *conn)
        .await?;
    for id in ids {
        sqlx::query("INSERT INTO lke_step_questions (step_id, year, question_id) VALUES (?, ?, ?)")
            .bind(step_id)
            .bind(year)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The questions a step serves: (id, question text), in worksheet order.
pub async fn step_questions(db: &SqlitePool, step_id: i64) -> sqlx::Result<Vec<(i64, String)>> {
    sqlx::query_as(
        "SELECT q.id, q.text FROM lke_step_questions l
         JOIN lke_questions q ON q.year = l.year AND q.id = l.question_id
         WHERE l.step_id = ? ORDER BY q.excel_row",
    )
    .bind(step_id)
    .fetch_all(db)
    .await
}

/// The steps serving each question of a year: question id → [(step id, code)].
pub async fn steps_by_question(
    db: &SqlitePool,
    unit: i64,
    year: i64,
) -> sqlx::Result<std::collections::HashMap<i64, Vec<(i64, String)>>> {
    let rows: Vec<(i64, i64, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT l.question_id, s.step_id, s.numeral, s.a_pos, s.i_pos, s.s_pos
         FROM lke_step_questions l JOIN unit_steps s ON s.step_id = l.step_id
         WHERE s.unit_id = ? AND l.year = ? AND s.step_retired_at IS NULL
         ORDER BY s.c_pos, s.a_pos, s.i_pos, s.s_pos",
    )
    .bind(unit)
    .bind(year)
    .fetch_all(db)
    .await?;
    let mut out: std::collections::HashMap<i64, Vec<(i64, String)>> = Default::default();
    for (q, id, numeral, a, i, s) in rows {
        out.entry(q)
            .or_default()
            .push((id, crate::fmt::step_code(&numeral, a, i, s)));
    }
    Ok(out)
}

/// "12; 13" for forms and the CSV.
pub fn ids_text(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
