//! Writing a whole target year: from validated rows, or as a copy of another year.

#[allow(unused_imports)]
use super::*;

use std::collections::HashMap;

use serde_json::json;
use sqlx::{SqliteConnection, SqlitePool};

use crate::audit::{Action, Actor, Entry};
use crate::error::AppError;

// ---------------------------------------------------------------------------
// Writing a whole year

/// One action step of a year to be written, with its place in the hierarchy.
#[derive(Clone, Debug)]
pub struct NewStep {
    pub line: usize,
    pub numeral: String,
    pub component_name: String,
    pub area: i64,
    pub area_name: String,
    pub indicator: i64,
    pub indicator_text: String,
    pub step: i64,
    pub step_text: String,
    pub authority: String,
    /// Units to link; `None` links those the authority wording names.
    pub units: Option<Vec<i64>>,
    pub pics: Vec<i64>,
    /// LKE question ids of the year (the CSV's optional `soal_id`), checked by the caller.
    pub questions: Vec<i64>,
}

pub fn valid_year(year: i64) -> bool {
    (2000..=2100).contains(&year)
}

/// The units an authority wording names: the unit itself ("instansi"), the ministry
/// centre ("pusat"), and any unit whose name it contains.
pub async fn units_named(conn: &mut SqliteConnection, text: &str) -> sqlx::Result<Vec<i64>> {
    let units: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT id, kind, name FROM units WHERE retired_at IS NULL ORDER BY id")
            .fetch_all(&mut *conn)
            .await?;
    let lower = text.to_lowercase();
    Ok(units
        .into_iter()
        .filter(|(_, kind, name)| {
            (kind == "instansi" && lower.contains("instansi"))
                || (kind == "pusat" && lower.contains("pusat"))
                || lower.contains(&name.to_lowercase())
        })
        .map(|(id, _, _)| id)
        .collect())
}

/// Links a step to the given units (unknown unit ids are skipped).
pub async fn link_units(
    conn: &mut SqliteConnection,
    step_id: i64,
    units: &[i64],
) -> sqlx::Result<()> {
    for u in units {
        sqlx::query(
            "INSERT OR IGNORE INTO step_authorities (step_id, unit_id) SELECT ?, id FROM units WHERE id = ?",
        )
        .bind(step_id)
        .bind(u)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Inserts an area or indicator under its parent at a position; returns its id.
pub(crate) async fn insert_child(
    conn: &mut SqliteConnection,
    kind: Kind,
    parent: i64,
    position: i64,
    text: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "INSERT INTO {} ({}, position, {}) VALUES (?, ?, ?) RETURNING id",
        kind.table(),
        kind.parent_column(),
        kind.text_column()
    )))
    .bind(parent)
    .bind(position)
    .bind(text)
    .fetch_one(conn)
    .await
}

/// Writes a new target year from rows already validated; on the caller's transaction.
pub async fn insert_year(
    conn: &mut SqliteConnection,
    unit: i64,
    year: i64,
    rows: &[NewStep],
) -> sqlx::Result<u64> {
    sqlx::query("INSERT INTO target_years (unit_id, year, title) VALUES (?, ?, ?)")
        .bind(unit)
        .bind(year)
        .bind(format!(
            "Target Prioritas Pembangunan Zona Integritas Tahun {year}"
        ))
        .execute(&mut *conn)
        .await?;
    let mut components: HashMap<String, i64> = HashMap::new();
    let mut areas: HashMap<(String, i64), i64> = HashMap::new();
    let mut indicators: HashMap<(String, i64, i64), i64> = HashMap::new();
    for r in rows {
        let position = NUMERALS.iter().position(|n| *n == r.numeral).unwrap_or(0) as i64 + 1;
        let cid = match components.get(&r.numeral) {
            Some(id) => *id,
            None => {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO components (unit_id, year, position, numeral, name) VALUES (?, ?, ?, ?, ?) RETURNING id",
                )
                .bind(unit)
                .bind(year)
                .bind(position)
                .bind(&r.numeral)
                .bind(&r.component_name)
                .fetch_one(&mut *conn)
                .await?;
                components.insert(r.numeral.clone(), id);
                id
            }
        };
        let akey = (r.numeral.clone(), r.area);
        let aid = match areas.get(&akey) {
            Some(id) => *id,
            None => {
                let id = insert_child(conn, Kind::Area, cid, r.area, &r.area_name).await?;
                *areas.entry(akey).or_insert(id)
            }
        };
        let ikey = (r.numeral.clone(), r.area, r.indicator);
        let iid = match indicators.get(&ikey) {
            Some(id) => *id,
            None => {
                let id = insert_child(conn, Kind::Indicator, aid, r.indicator, &r.indicator_text)
                    .await?;
                *indicators.entry(ikey).or_insert(id)
            }
        };
        let sid: i64 = sqlx::query_scalar(
            "INSERT INTO action_steps (indicator_id, position, text, authority_text) VALUES (?, ?, ?, ?) RETURNING id",
        )
        .bind(iid)
        .bind(r.step)
        .bind(&r.step_text)
        .bind(&r.authority)
        .fetch_one(&mut *conn)
        .await?;
        let units = match &r.units {
            Some(u) => u.clone(),
            None => units_named(conn, &r.authority).await?,
        };
        link_units(conn, sid, &units).await?;
        for p in &r.pics {
            sqlx::query("INSERT OR IGNORE INTO step_assignments (step_id, user_id) VALUES (?, ?)")
                .bind(sid)
                .bind(p)
                .execute(&mut *conn)
                .await?;
        }
        crate::links::set_step_questions(conn, sid, year, &r.questions).await?;
    }
    // No weights are written: a year without its own uses the defaults of its
    // regulation (see `score::default_weights`) until an admin sets them.
    Ok(rows.len() as u64)
}

/// Copies the items in force of `from` (renumbered without gaps), their authority
/// units and optionally their assignments (active users only) into the new year `to`.
pub async fn copy_year(
    conn: &mut SqliteConnection,
    from: (i64, i64),
    to: (i64, i64),
    with_assignments: bool,
) -> sqlx::Result<u64> {
    let ((from_unit, from), (to_unit, to)) = (from, to);
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        numeral: String,
        c_name: String,
        a_id: i64,
        a_name: String,
        i_id: i64,
        i_text: String,
        s_text: String,
        authority: String,
    }
    let src: Vec<Row> = sqlx::query_as(
        "SELECT step_id AS id, numeral, component_name AS c_name, area_id AS a_id, area_name AS a_name,
                indicator_id AS i_id, indicator_text AS i_text, step_text AS s_text,
                authority_text AS authority
         FROM unit_steps
         WHERE unit_id = ? AND year = ? AND NOT retired
         ORDER BY c_pos, a_pos, i_pos, s_pos",
    )
    .bind(from_unit)
    .bind(from)
    .fetch_all(&mut *conn)
    .await?;
    let mut rows = Vec::new();
    let (mut last_c, mut last_a, mut last_i) = (String::new(), 0, 0);
    let (mut an, mut inn, mut sn) = (0, 0, 0);
    for r in src {
        if r.numeral != last_c {
            last_c = r.numeral.clone();
            an = 0;
            last_a = 0;
        }
        if r.a_id != last_a {
            last_a = r.a_id;
            an += 1;
            inn = 0;
            last_i = 0;
        }
        if r.i_id != last_i {
            last_i = r.i_id;
            inn += 1;
            sn = 0;
        }
        sn += 1;
        let units: Vec<i64> =
            sqlx::query_scalar("SELECT unit_id FROM step_authorities WHERE step_id = ?")
                .bind(r.id)
                .fetch_all(&mut *conn)
                .await?;
        let pics: Vec<i64> = if with_assignments {
            sqlx::query_scalar(
                "SELECT sa.user_id FROM step_assignments sa JOIN users u ON u.id = sa.user_id
                 WHERE sa.step_id = ? AND u.active = 1",
            )
            .bind(r.id)
            .fetch_all(&mut *conn)
            .await?
        } else {
            Vec::new()
        };
        rows.push(NewStep {
            line: 0,
            numeral: r.numeral,
            component_name: r.c_name,
            area: an,
            area_name: r.a_name,
            indicator: inn,
            indicator_text: r.i_text,
            step: sn,
            step_text: r.s_text,
            authority: r.authority,
            units: Some(units),
            pics,
            // question ids belong to each year's master: links are set anew
            questions: Vec::new(),
        });
    }
    let n = insert_year(conn, to_unit, to, &rows).await?;
    Ok(n)
}

#[derive(Debug, thiserror::Error)]
pub enum YearError {
    /// The request cannot be met as asked (a bad year, an unknown source).
    #[error("{0}")]
    Refused(String),
    /// The year already has targets: nothing may be overwritten (409).
    #[error("{0}")]
    Taken(String),
    #[error("{}", .0.join("\n"))]
    Invalid(Vec<String>),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl From<YearError> for crate::error::AppError {
    fn from(e: YearError) -> Self {
        match e {
            YearError::Refused(m) => AppError::BadRequest(m),
            YearError::Taken(m) => AppError::Conflict(m),
            YearError::Invalid(list) => AppError::BadRequest(list.join(" ")),
            YearError::Db(e) => AppError::Database(e),
        }
    }
}

pub(crate) async fn year_exists(
    conn: &mut SqliteConnection,
    unit: i64,
    year: i64,
) -> sqlx::Result<bool> {
    let n: i64 =
        sqlx::query_scalar("SELECT count(*) FROM target_years WHERE unit_id = ? AND year = ?")
            .bind(unit)
            .bind(year)
            .fetch_one(conn)
            .await?;
    Ok(n > 0)
}

/// "Salin target" within a unit: refuses an unknown source or a year that already
/// has targets.
pub async fn copy(
    db: &SqlitePool,
    actor: &Actor,
    unit: i64,
    from: i64,
    to: i64,
    with_assignments: bool,
) -> Result<u64, YearError> {
    if !valid_year(to) {
        return Err(YearError::Refused(format!(
            "Tahun tujuan {to} harus antara 2000 dan 2100."
        )));
    }
    // Checked under the write lock: two copies to one year cannot both pass.
    let mut tx = crate::db::write(db).await?;
    if !year_exists(&mut tx, unit, from).await? {
        return Err(YearError::Refused(format!(
            "Tahun sumber {from} tidak punya target."
        )));
    }
    if year_exists(&mut tx, unit, to).await? {
        return Err(YearError::Taken(format!(
            "Tahun {to} sudah punya target; penyalinan ditolak agar tidak ada yang tertimpa."
        )));
    }
    let n = copy_year(&mut tx, (unit, from), (unit, to), with_assignments).await?;
    tx.commit(
        &actor.clone().in_unit(unit),
        Entry::new(
            Action::TargetsCopied,
            format!("Target {from} disalin ke {to} ({n} langkah aksi)"),
        )
        .after(json!({"dari": from, "ke": to, "langkah": n, "penugasan": with_assignments})),
    )
    .await?;
    Ok(n)
}

/// Copies a template unit's year to other units, all or none: refused when any
/// target unit already has targets for the year. Assignments name one unit's people,
/// so they are never copied across units. Returns the steps written per unit.
pub async fn copy_to_units(
    db: &SqlitePool,
    actor: &Actor,
    from: (&crate::tenant::UnitRef, i64),
    to_year: i64,
    to_units: &[crate::tenant::UnitRef],
) -> Result<u64, YearError> {
    let (from_unit, from_year) = from;
    if !valid_year(to_year) {
        return Err(YearError::Refused(format!(
            "Tahun tujuan {to_year} harus antara 2000 dan 2100."
        )));
    }
    if to_units.is_empty() {
        return Err(YearError::Refused(
            "Pilih paling sedikit satu unit tujuan.".into(),
        ));
    }
    let mut tx = crate::db::write(db).await?;
    if !year_exists(&mut tx, from_unit.id, from_year).await? {
        return Err(YearError::Refused(format!(
            "Unit {} tidak punya target tahun {from_year}.",
            from_unit.code
        )));
    }
    let mut taken = Vec::new();
    for u in to_units {
        if u.id == from_unit.id && from_year == to_year {
            return Err(YearError::Refused(format!(
                "Unit {} adalah sumbernya sendiri untuk tahun yang sama.",
                u.code
            )));
        }
        if year_exists(&mut tx, u.id, to_year).await? {
            taken.push(u.code.clone());
        }
    }
    if !taken.is_empty() {
        return Err(YearError::Taken(format!(
            "Unit {} sudah punya target tahun {to_year}; tidak ada yang disalin agar tidak ada yang tertimpa.",
            taken.join(", ")
        )));
    }
    let mut per_unit = 0;
    let mut entries = Vec::new();
    for u in to_units {
        per_unit = copy_year(&mut tx, (from_unit.id, from_year), (u.id, to_year), false).await?;
        entries.push(u.code.clone());
    }
    tx.commit(
        &actor.clone().instansi_wide(),
        Entry::new(
            Action::TargetsCopiedToUnits,
            format!(
                "Target {} {from_year} disalin ke {} unit untuk {to_year} ({per_unit} langkah aksi per unit)",
                from_unit.code,
                entries.len()
            ),
        )
        .after(json!({"dari_unit": from_unit.code, "dari": from_year, "ke": to_year, "ke_unit": entries, "langkah": per_unit})),
    )
    .await?;
    Ok(per_unit)
}
