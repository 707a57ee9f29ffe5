//! Kelola Target: editing, moving and retiring one item.

#[allow(unused_imports)]
use super::*;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;
use sqlx::SqlitePool;

use crate::AppState;
use crate::audit::{Action, Entry};
use crate::error::{AppError, AppResult};
use crate::web::{Acting, Chrome, Form, parse_id, render, render_status};

/// The path's kind and id checked against the unit's catalogue, with the item's year
/// and the way back to it: an unknown kind is 400, a missing item 404. (An item never
/// changes unit, so this read needs no write lock.)
async fn locate(
    db: &SqlitePool,
    unit: i64,
    jenis: &str,
    id: &str,
) -> AppResult<(Kind, i64, i64, String)> {
    let kind = Kind::parse(jenis)?;
    let id = parse_id(id)?;
    let (year, numeral) = item_place(db, unit, kind, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((kind, id, year, back_to_item(kind, id, year, &numeral)))
}

pub(crate) async fn current_text(
    db: &SqlitePool,
    kind: Kind,
    id: i64,
) -> sqlx::Result<Option<(String, String)>> {
    let sql = format!(
        "SELECT {c}, {a} FROM {t} WHERE id = ?",
        c = kind.text_column(),
        a = if kind == Kind::Step {
            "authority_text"
        } else {
            "''"
        },
        t = kind.table()
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db)
        .await
}

pub(crate) async fn unit_choices(
    db: &SqlitePool,
    step: Option<i64>,
    checked: Option<&[i64]>,
) -> sqlx::Result<Vec<UnitChoice>> {
    let linked: Vec<i64> = match (step, checked) {
        (_, Some(c)) => c.to_vec(),
        (Some(s), None) => {
            sqlx::query_scalar("SELECT unit_id FROM step_authorities WHERE step_id = ?")
                .bind(s)
                .fetch_all(db)
                .await?
        }
        _ => Vec::new(),
    };
    let units: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM units WHERE retired_at IS NULL OR id IN (SELECT unit_id FROM step_authorities WHERE step_id = ?) ORDER BY id")
        .bind(step.unwrap_or(0))
        .fetch_all(db)
        .await?;
    Ok(units
        .into_iter()
        .map(|(id, name)| UnitChoice {
            checked: linked.contains(&id),
            id,
            name,
        })
        .collect())
}

pub(crate) async fn edit_form(
    State(state): State<AppState>,
    unit: crate::tenant::Unit,
    chrome: Chrome,
    Path((jenis, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let (kind, id, year, _) = locate(&state.db, unit.id, &jenis, &id).await?;
    let (text, authority) = current_text(&state.db, kind, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let questions = if kind == Kind::Step {
        crate::links::step_questions(&state.db, id).await?
    } else {
        Vec::new()
    };
    render(&EditPage {
        chrome,
        kind,
        id,
        parent_id: None,
        year,
        text,
        authority,
        questions: crate::links::ids_text(&questions.iter().map(|(q, _)| *q).collect::<Vec<_>>()),
        units: if kind == Kind::Step {
            unit_choices(&state.db, Some(id), None).await?
        } else {
            Vec::new()
        },
        errors: Vec::new(),
    })
}

/// The edit form of an item; a step's form repeats `unit` once per checked unit.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ItemInput {
    pub text: String,
    pub authority: String,
    #[serde(deserialize_with = "crate::web::form::one_or_many")]
    pub unit: Vec<String>,
    /// The LKE questions a step serves, "12; 13".
    pub soal: String,
}

pub(crate) async fn edit_submit(
    State(state): State<AppState>,
    unit: crate::tenant::Unit,
    chrome: Chrome,
    Acting { user: _, actor }: Acting,
    Path((jenis, id)): Path<(String, String)>,
    Form(form): Form<ItemInput>,
) -> AppResult<Response> {
    let (kind, id, year, back) = locate(&state.db, unit.id, &jenis, &id).await?;
    let (before_text, before_authority) = current_text(&state.db, kind, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let ItemInput {
        text,
        authority,
        unit,
        soal,
    } = form;
    let mut errors: Vec<String> = check_text(kind.label(), &text).into_iter().collect();
    // the form offers each authority once; a longer or forged list is refused
    let units = match crate::web::distinct_ids(unit.iter().map(String::as_str), 500) {
        Ok(v) => v,
        Err(_) => {
            errors.push("Pilihan unit yang berwenang tidak dikenal.".into());
            Vec::new()
        }
    };
    let mut questions = Vec::new();
    if kind == Kind::Step {
        errors.extend(check_text("Kewenangan", &authority));
        if units.is_empty() {
            errors.push("Pilih sedikitnya satu unit yang berwenang.".into());
        }
        match crate::links::parse_ids(&soal) {
            Ok(ids) => {
                let mut conn = state.db.acquire().await?;
                if let Err(m) = crate::links::check_ids(&mut conn, year, &ids).await? {
                    errors.push(format!("Soal LKE: {m}."));
                }
                questions = ids;
            }
            Err(m) => errors.push(format!("Soal LKE: {m}.")),
        }
    }
    if !errors.is_empty() {
        return render_status(
            StatusCode::BAD_REQUEST,
            &EditPage {
                chrome,
                kind,
                id,
                parent_id: None,
                year,
                text,
                authority,
                questions: soal,
                units: if kind == Kind::Step {
                    unit_choices(&state.db, Some(id), Some(&units)).await?
                } else {
                    Vec::new()
                },
                errors,
            },
        );
    }
    let before_units: Vec<i64> = sqlx::query_scalar(
        "SELECT unit_id FROM step_authorities WHERE step_id = ? ORDER BY unit_id",
    )
    .bind(if kind == Kind::Step { id } else { 0 })
    .fetch_all(&state.db)
    .await?;
    let mut tx = crate::db::write(&state.db).await?;
    let sql = format!(
        "UPDATE {} SET {} = ? WHERE id = ?",
        kind.table(),
        kind.text_column()
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(text.trim())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if kind == Kind::Step {
        sqlx::query("UPDATE action_steps SET authority_text = ? WHERE id = ?")
            .bind(authority.trim())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM step_authorities WHERE step_id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        link_units(&mut tx, id, &units).await?;
        crate::links::set_step_questions(&mut tx, id, year, &questions).await?;
    }
    tx.commit(
        &actor,
        Entry::new(
            Action::TargetEdited,
            format!("{} target {year} diubah", kind.label()),
        )
        .object(kind.object(), id)
        .change(
            json!({"teks": before_text, "kewenangan": before_authority, "unit": before_units}),
            json!({"teks": text.trim(), "kewenangan": authority.trim(), "unit": units, "soal": questions}),
        ),
    )
    .await?;
    // back to the item itself, not the top of a long page
    Ok(Redirect::to(&back).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MoveInput {
    pub(crate) arah: String,
}

pub(crate) async fn move_item(
    State(state): State<AppState>,
    unit: crate::tenant::Unit,
    Acting { user: _, actor }: Acting,
    Path((jenis, id)): Path<(String, String)>,
    Form(input): Form<MoveInput>,
) -> AppResult<Response> {
    let (kind, id, year, back) = locate(&state.db, unit.id, &jenis, &id).await?;
    let up = match input.arah.as_str() {
        "naik" => true,
        "turun" => false,
        _ => {
            return Err(AppError::BadRequest(
                "Arah pemindahan tidak dikenal.".into(),
            ));
        }
    };
    let (t, p) = (kind.table(), kind.parent_column());
    let mut tx = crate::db::write(&state.db).await?;
    let (parent, pos): (i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {p}, position FROM {t} WHERE id = ?"
    )))
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    let neighbour: Option<(i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT id, position FROM {t} WHERE {p} = ? AND position {} ? ORDER BY position {} LIMIT 1",
        if up { "<" } else { ">" },
        if up { "DESC" } else { "ASC" }
    )))
    .bind(parent)
    .bind(pos)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((other, other_pos)) = neighbour {
        // swap through a free position: (parent, position) is unique
        sqlx::query(sqlx::AssertSqlSafe(format!("UPDATE {t} SET position = (SELECT max(position) + 1 FROM {t} WHERE {p} = ?) WHERE id = ?")))
            .bind(parent)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {t} SET position = ? WHERE id = ?"
        )))
        .bind(pos)
        .bind(other)
        .execute(&mut *tx)
        .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {t} SET position = ? WHERE id = ?"
        )))
        .bind(other_pos)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit(
            &actor,
            Entry::new(
                Action::TargetMoved,
                format!(
                    "{} target {year} dipindah {}",
                    kind.label(),
                    if up { "naik" } else { "turun" }
                ),
            )
            .object(kind.object(), id)
            .change(json!({"urutan": pos}), json!({"urutan": other_pos})),
        )
        .await?;
    } else {
        // already first or last: nothing moves, nothing to record
        tx.rollback().await?;
    }
    // back to the item itself, not the top of a long page
    Ok(Redirect::to(&back).into_response())
}

/// `berlaku=1` puts an item (back) in force, `berlaku=0` retires it. The form names
/// the state it wants, so a replayed or double-clicked form changes nothing.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StateInput {
    pub berlaku: String,
}

pub(crate) async fn retire_item(
    State(state): State<AppState>,
    unit: crate::tenant::Unit,
    Acting { user: _, actor }: Acting,
    Path((jenis, id)): Path<(String, String)>,
    Form(input): Form<StateInput>,
) -> AppResult<Response> {
    let (kind, id, year, back) = locate(&state.db, unit.id, &jenis, &id).await?;
    let in_force = match input.berlaku.trim() {
        "1" => true,
        "0" => false,
        _ => {
            return Err(AppError::BadRequest(
                "Pilih apakah butir ini diberlakukan atau tidak.".into(),
            ));
        }
    };
    let mut tx = crate::db::write(&state.db).await?;
    let retired: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT retired_at FROM {} WHERE id = ?",
        kind.table()
    )))
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    if retired.is_none() == in_force {
        // already so: nothing to change or record
        tx.rollback().await?;
        return Ok(Redirect::to(&back).into_response());
    }
    let new_value = (!in_force).then(crate::fmt::now_stamp);
    let (action, label) = if in_force {
        (Action::TargetRestored, "diberlakukan kembali")
    } else {
        (Action::TargetRetired, "tidak diberlakukan lagi")
    };
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE {} SET retired_at = ? WHERE id = ?",
        kind.table()
    )))
    .bind(&new_value)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    tx.commit(
        &actor,
        Entry::new(action, format!("{} target {year} {label}", kind.label()))
            .object(kind.object(), id)
            .change(json!({"berlaku": !in_force}), json!({"berlaku": in_force})),
    )
    .await?;
    Ok(Redirect::to(&back).into_response())
}
