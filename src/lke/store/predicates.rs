//! The unit's predicates, count groups, and importing a master.

use super::*;

use sqlx::SqlitePool;

use crate::lke::model::CountGroup;

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

pub(crate) fn group_json(g: &CountGroup) -> serde_json::Value {
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
        .object(crate::audit::Object::LkeCountGroup, after.id)
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
    let master = match crate::lke::portalrb::parse_master(year, bytes) {
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
