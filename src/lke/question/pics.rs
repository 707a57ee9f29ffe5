//! PICs of questions: per question, per area, and a person's questions.

use super::sheet::*;
use super::*;

use std::collections::HashSet;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::audit::{Action, Entry};
use crate::error::{AppError, AppResult};
use crate::web::{Acting, Chrome, Form};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PicInput {
    pub(crate) user_id: String,
    pub(crate) aksi: String,
}

pub(crate) async fn assign_questions(
    state: &AppState,
    actor: &crate::audit::Actor,
    (unit, year): (i64, i64),
    questions: &[i64],
    user_id: i64,
    add: bool,
    by: i64,
) -> AppResult<usize> {
    let ok: Option<i64> = sqlx::query_scalar(
        "SELECT u.id FROM users u
         JOIN user_units uu ON uu.user_id = u.id AND uu.unit_id = ? AND uu.role = 'staf'
         WHERE u.id = ? AND u.active = 1",
    )
    .bind(unit)
    .bind(user_id)
    .fetch_optional(&state.db)
    .await?;
    if ok.is_none() {
        return Err(AppError::BadRequest(
            "Pilih akun staf yang aktif sebagai PIC.".into(),
        ));
    }
    let at = crate::fmt::now_stamp();
    let mut tx = crate::db::write(&state.db).await?;
    let mut n = 0;
    for q in questions {
        let done = if add {
            sqlx::query(
                "INSERT OR IGNORE INTO lke_assignments (unit_id, year, question_id, user_id, assigned_by, assigned_at)
                 VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(unit)
            .bind(year)
            .bind(q)
            .bind(user_id)
            .bind(by)
            .bind(&at)
            .execute(&mut *tx)
            .await?
        } else {
            sqlx::query(
                "DELETE FROM lke_assignments WHERE unit_id = ? AND year = ? AND question_id = ? AND user_id = ?",
            )
            .bind(unit)
            .bind(year)
            .bind(q)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
        };
        n += done.rows_affected() as usize;
    }
    if add && n > 0 {
        crate::notify::events::assigned(
            &mut tx,
            state,
            by,
            unit,
            &[user_id],
            (
                &format!("Anda ditugaskan sebagai PIC {n} soal LKE {year}"),
                &format!("/lke/{year}"),
            ),
        )
        .await?;
    }
    tx.commit(
        actor,
        Entry::new(
            if add {
                Action::AssignmentAdded
            } else {
                Action::AssignmentRemoved
            },
            format!(
                "PIC soal LKE {year} {}: {n} soal",
                if add { "ditugaskan" } else { "dilepas" }
            ),
        )
        .after(json!({"tahun": year, "soal": questions, "user_id": user_id, "tambah": add})),
    )
    .await?;
    Ok(n)
}

pub(crate) async fn set_pic(
    State(state): State<AppState>,
    Acting { user, actor }: Acting,
    Path((year, id)): Path<(String, String)>,
    Form(input): Form<PicInput>,
) -> AppResult<Response> {
    let v = year_view(&state, &user, &year).await?;
    let q = question(&v, &id)?;
    let uid = crate::web::parse_id(&input.user_id)
        .map_err(|_| AppError::BadRequest("Pilih akun staf yang aktif sebagai PIC.".into()))?;
    let add = input.aksi != "lepas";
    assign_questions(
        &state,
        &actor,
        (v.unit_id, v.master.year),
        &[q.id],
        uid,
        add,
        user.id,
    )
    .await?;
    Ok(Redirect::to(&format!(
        "/lke/{}/soal/{}?pesan={}",
        v.master.year,
        q.id,
        if add { "pic-ditambah" } else { "pic-dilepas" }
    ))
    .into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AreaAssignInput {
    pub(crate) node_id: String,
    pub(crate) user_id: String,
}

/// Every question under a node (a sub-area, or a whole area) to one PIC.
pub(crate) async fn assign_node(
    State(state): State<AppState>,
    chrome: Chrome,
    Acting { user, actor }: Acting,
    Path(year): Path<String>,
    Form(input): Form<AreaAssignInput>,
) -> AppResult<Response> {
    let v = year_view(&state, &user, &year).await?;
    let node = crate::web::parse_id(&input.node_id)
        .ok()
        .and_then(|id| v.master.node(id));
    let uid = crate::web::parse_id(&input.user_id).ok();
    let (Some(node), Some(uid)) = (node, uid) else {
        return sheet(
            &state,
            chrome,
            &user,
            &v,
            SheetExtras {
                errors: vec!["Pilih sub-area dan akun staf yang akan ditugaskan.".into()],
                reason: String::new(),
            },
            StatusCode::BAD_REQUEST,
        )
        .await;
    };
    let mut under: HashSet<i64> = HashSet::from([node.id]);
    // nodes come depth-first, so a child follows its parent
    for n in &v.master.nodes {
        if n.parent_id.is_some_and(|p| under.contains(&p)) {
            under.insert(n.id);
        }
    }
    let questions: Vec<i64> = v
        .master
        .questions
        .iter()
        .filter(|q| under.contains(&q.node_id))
        .map(|q| q.id)
        .collect();
    assign_questions(
        &state,
        &actor,
        (v.unit_id, v.master.year),
        &questions,
        uid,
        true,
        user.id,
    )
    .await?;
    Ok(Redirect::to(&format!(
        "/lke/{}/soal?pesan=penugasan-disimpan#simpul-{}",
        v.master.year, node.id
    ))
    .into_response())
}

/// A person's questions of one LKE year: (year, [(id, text, answered)]).
pub type MyQuestions = (i64, Vec<(i64, String, bool)>);

/// The questions a person holds in the newest LKE year, for Tugas saya.
pub async fn my_questions(
    db: &sqlx::SqlitePool,
    unit: i64,
    user_id: i64,
) -> sqlx::Result<Option<MyQuestions>> {
    let year: Option<i64> = sqlx::query_scalar(
        "SELECT max(year) FROM lke_assignments WHERE user_id = ? AND unit_id = ?",
    )
    .bind(user_id)
    .bind(unit)
    .fetch_one(db)
    .await?;
    let Some(year) = year else { return Ok(None) };
    let rows: Vec<(i64, String, bool)> = sqlx::query_as(
        "SELECT q.id, q.text, EXISTS (SELECT 1 FROM lke_answers a WHERE a.unit_id = s.unit_id
                AND a.year = q.year AND a.question_id = q.id AND a.side = 'unit'
                AND a.answer IS NOT NULL AND a.draft_from IS NULL)
         FROM lke_assignments s JOIN lke_questions q ON q.year = s.year AND q.id = s.question_id
         WHERE s.user_id = ? AND s.unit_id = ? AND s.year = ? ORDER BY q.excel_row",
    )
    .bind(user_id)
    .bind(unit)
    .bind(year)
    .fetch_all(db)
    .await?;
    Ok(Some((year, rows)))
}
