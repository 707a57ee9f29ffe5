//! The changes people hear about, each written on the transaction of the change.

use sqlx::SqliteConnection;

use super::{Kind, Notice, Notifies, push};

/// People who became PICs: one notice each, naming what they now hold.
pub async fn assigned(
    conn: &mut SqliteConnection,
    state: &dyn Notifies,
    by: i64,
    unit: i64,
    people: &[i64],
    (title, link): (&str, &str),
) -> sqlx::Result<usize> {
    let notices = people
        .iter()
        .filter(|p| **p != by)
        .map(|&user_id| Notice {
            user_id,
            unit_id: Some(unit),
            kind: Kind::Assigned,
            title: title.to_string(),
            body: String::new(),
            link: link.to_string(),
            dedupe: None,
        })
        .collect();
    push(conn, state, notices).await
}

/// Who answered each of `questions` on the TPI's side (others than `by`), with the
/// questions each of them answered, in one read.
async fn tpi_answerers(
    conn: &mut SqliteConnection,
    by: i64,
    (unit, year): (i64, i64),
    questions: &[i64],
) -> sqlx::Result<std::collections::BTreeMap<i64, Vec<i64>>> {
    let answered: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT question_id, answered_by FROM lke_answers
         WHERE unit_id = ? AND year = ? AND side = 'tpi' AND draft_from IS NULL AND answered_by <> ?",
    )
    .bind(unit)
    .bind(year)
    .bind(by)
    .fetch_all(&mut *conn)
    .await?;
    let mut by_tpi: std::collections::BTreeMap<i64, Vec<i64>> = Default::default();
    for (q, tpi) in answered {
        if questions.contains(&q) {
            by_tpi.entry(tpi).or_default().push(q);
        }
    }
    for qs in by_tpi.values_mut() {
        qs.sort_unstable();
    }
    Ok(by_tpi)
}

/// The unit's answer to an LKE question changed (on its page) after the TPI answered
/// it: the TPI who answered hears, to look again.
pub async fn unit_answer_changed(
    conn: &mut SqliteConnection,
    state: &dyn Notifies,
    by: i64,
    (unit, year, question): (i64, i64, i64),
) -> sqlx::Result<usize> {
    let notices = tpi_answerers(conn, by, (unit, year), &[question])
        .await?
        .into_keys()
        .map(|user_id| Notice {
            user_id,
            unit_id: Some(unit),
            kind: Kind::AnswerChanged,
            title: format!("Jawaban unit LKE {year} soal {question} berubah setelah dinilai TPI"),
            body: "Periksa kembali penilaian TPI atas soal ini.".into(),
            link: format!("/lke/{year}/soal/{question}"),
            dedupe: None,
        })
        .collect();
    push(conn, state, notices).await
}

/// The unit's answers imported from the official workbook changed some the TPI had
/// answered: one notice per TPI, naming the questions.
pub async fn unit_answers_imported(
    conn: &mut SqliteConnection,
    state: &dyn Notifies,
    by: i64,
    (unit, year): (i64, i64),
    questions: &[i64],
) -> sqlx::Result<usize> {
    if questions.is_empty() {
        return Ok(0);
    }
    let notices = tpi_answerers(conn, by, (unit, year), questions)
        .await?
        .into_iter()
        .map(|(user_id, qs)| Notice {
            user_id,
            unit_id: Some(unit),
            kind: Kind::AnswerChanged,
            title: format!(
                "{} jawaban unit LKE {year} berubah setelah dinilai TPI (dari lembar kerja)",
                qs.len()
            ),
            body: format!(
                "Soal: {}. Periksa kembali penilaian TPI atas soal-soal itu.",
                qs.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
            ),
            link: format!("/lke/{year}"),
            dedupe: None,
        })
        .collect();
    push(conn, state, notices).await
}
