//! Saving an answer (either side): checked input, the stale-version refusal, evidence
//! links, in one write.

use super::page::*;
use super::*;

use std::collections::HashSet;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::audit::{Action, Entry};
use crate::auth::Role;
use crate::error::{AppError, AppResult};
use crate::lke::answer::{Answer, parse_answer};
use crate::lke::model::Question;
use crate::lke::store::{self, Input, Side};
use crate::lke::work::{self};
use crate::web::{Acting, Chrome, Form};

#[derive(Deserialize, Default, Debug)]
#[serde(default)]
pub struct AnswerInput {
    pub(crate) versi: String,
    pub(crate) jawaban: String,
    pub(crate) catatan: String,
    pub(crate) bukti_teks: String,
    #[serde(deserialize_with = "crate::web::form::one_or_many")]
    pub(crate) bukti: Vec<String>,
}

/// Checks a side's input against the question: the answer (empty clears it), the
/// lengths, the evidence items (which must be active evidence of this year's steps).
pub(crate) async fn check_input(
    db: &sqlx::SqlitePool,
    (unit, year): (i64, i64),
    q: &Question,
    input: &AnswerInput,
    side: Side,
) -> AppResult<Result<(Input, Vec<i64>), Vec<String>>> {
    let mut errors = Vec::new();
    let raw = input.jawaban.trim();
    let answer = if raw.is_empty() {
        None
    } else {
        match parse_answer(q, raw) {
            Ok(a) => Some(a),
            Err(e) => {
                errors.push(format!("Jawaban: {e}."));
                None
            }
        }
    };
    let note = input.catatan.trim().to_string();
    if note.chars().count() > NOTE_MAX {
        errors.push(format!("Catatan paling panjang {NOTE_MAX} karakter."));
    }
    let evidence = if side == Side::Unit {
        input.bukti_teks.trim().to_string()
    } else {
        String::new()
    };
    if evidence.chars().count() > NOTE_MAX {
        errors.push(format!(
            "Bukti dukung (tautan atau uraian) paling panjang {NOTE_MAX} karakter."
        ));
    }
    let mut ids = Vec::new();
    if side == Side::Unit {
        match crate::web::distinct_ids(input.bukti.iter().map(String::as_str), MAX_EVIDENCE_PICKED)
        {
            Ok(v) => ids = v,
            Err(crate::web::IdListError::TooMany(max)) => {
                errors.push(format!(
                    "Paling banyak {max} bukti dukung dapat dipilih untuk satu soal."
                ));
            }
            Err(crate::web::IdListError::NotAnId(_)) => {
                errors.push("Pilihan bukti dukung tidak dikenal.".into());
            }
        }
        if !ids.is_empty() {
            let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "SELECT count(*) FROM evidence e JOIN unit_steps s ON s.step_id = e.step_id
                 WHERE e.removed_at IS NULL AND s.unit_id = ",
            );
            q.push_bind(unit)
                .push(" AND s.year = ")
                .push_bind(year)
                .push(" AND e.id IN (");
            let mut list = q.separated(", ");
            for id in &ids {
                list.push_bind(*id);
            }
            q.push(")");
            let n: i64 = q.build_query_scalar().fetch_one(db).await?;
            if n != ids.len() as i64 {
                errors.push("Bukti dukung yang dipilih tidak ada lagi atau bukan bukti langkah aksi tahun ini.".into());
            }
        }
    }
    if answer.is_none() && note.is_empty() && evidence.is_empty() && ids.is_empty() {
        errors.push(if q.kind.is_choice() {
            "Pilih salah satu jawaban, atau isi catatan.".to_string()
        } else {
            "Isi jawaban, atau isi catatan.".to_string()
        });
    }
    Ok(if errors.is_empty() {
        Ok((
            Input {
                answer,
                note,
                evidence,
            },
            ids,
        ))
    } else {
        Err(errors)
    })
}

/// More evidence items than the picker can offer for one question are not meant.
pub(crate) const MAX_EVIDENCE_PICKED: usize = 500;

pub(crate) fn typed(input: &AnswerInput, version: i64) -> SideForm {
    SideForm {
        version,
        answer: input.jawaban.clone(),
        note: input.catatan.clone(),
        evidence: input.bukti_teks.clone(),
        // kept as typed for the form shown again, but never more than it can offer
        evidence_ids: input
            .bukti
            .iter()
            .take(MAX_EVIDENCE_PICKED)
            .filter_map(|s| s.trim().parse().ok())
            .collect(),
    }
}

pub(crate) async fn save_unit(
    state: State<AppState>,
    chrome: Chrome,
    acting: Acting,
    path: Path<(String, String)>,
    form: Form<AnswerInput>,
) -> AppResult<Response> {
    save(state, chrome, acting, path, form, Side::Unit).await
}

pub(crate) async fn save_tpi(
    state: State<AppState>,
    chrome: Chrome,
    acting: Acting,
    path: Path<(String, String)>,
    form: Form<AnswerInput>,
) -> AppResult<Response> {
    save(state, chrome, acting, path, form, Side::Tpi).await
}

pub(crate) async fn save(
    State(state): State<AppState>,
    chrome: Chrome,
    Acting { user, actor }: Acting,
    Path((year, id)): Path<(String, String)>,
    Form(input): Form<AnswerInput>,
    side: Side,
) -> AppResult<Response> {
    let v = year_view(&state, &user, &year).await?;
    let q = question(&v, &id)?;
    let year = v.master.year;
    // who may write this side at all (the role); the holding, locks and self-evaluation
    // are checked again inside the write
    let allowed = match side {
        Side::Unit => user.is(&[Role::Admin, Role::Staf]),
        Side::Tpi => work::may_evaluate(&user),
    };
    if !allowed {
        return Err(AppError::Forbidden);
    }
    let expected = input.versi.trim().parse::<i64>().ok();
    let fail_with = |errors: Vec<String>, version: i64| {
        let mut e = Errors::default();
        match side {
            Side::Unit => {
                e.unit = errors;
                e.unit_form = Some(typed(&input, version));
            }
            Side::Tpi => {
                e.tpi = errors;
                e.tpi_form = Some(typed(&input, version));
            }
        }
        e
    };
    let (values, ids) = match check_input(&state.db, (v.unit_id, year), q, &input, side).await? {
        Ok(v) => v,
        Err(errors) => {
            let e = fail_with(errors, expected.unwrap_or(0));
            return question_page(&state, chrome, &user, &v, q, e, StatusCode::BAD_REQUEST).await;
        }
    };
    let Some(expected) = expected else {
        return Err(AppError::BadRequest(
            "Versi formulir tidak terbaca. Muat ulang halaman, lalu kirim kembali.".into(),
        ));
    };
    let mut tx = crate::db::write(&state.db).await?;
    let (unit_locked, tpi_locked) = work::locks(&mut tx, v.unit_id, year).await?;
    let refusal = match side {
        Side::Unit if unit_locked => Some(work::UNIT_LOCKED),
        Side::Unit
            if user.role != Role::Admin
                && !work::holds(&mut tx, (v.unit_id, year), q.id, user.id).await? =>
        {
            return Err(AppError::ForbiddenWith(
                "Hanya PIC soal ini dan admin unit yang dapat mengubah jawaban unit.".into(),
            ));
        }
        Side::Tpi if tpi_locked => Some(work::TPI_LOCKED),
        Side::Tpi if work::gave_unit_answer(&mut tx, (v.unit_id, year), q.id, user.id).await? => {
            return Err(AppError::ForbiddenWith(work::SELF_EVALUATION.into()));
        }
        _ => None,
    };
    if let Some(m) = refusal {
        tx.rollback().await?;
        let e = fail_with(vec![m.to_string()], expected);
        return question_page(&state, chrome, &user, &v, q, e, StatusCode::CONFLICT).await;
    }
    let at = crate::fmt::now_stamp();
    match store::write_answer(
        &mut tx,
        (v.unit_id, year, q.id, side),
        &values,
        Some(expected),
        user.id,
        &at,
    )
    .await?
    {
        crate::db::Versioned::Stale(_) | crate::db::Versioned::Unknown => {
            tx.rollback().await?;
            let (unit, tpi) = store::stored_of(&state.db, v.unit_id, year, q.id).await?;
            let newer = match side {
                Side::Unit => unit,
                Side::Tpi => tpi,
            };
            let mut e = fail_with(Vec::new(), newer.as_ref().map_or(0, |n| n.version));
            e.conflict = newer.as_ref().map(|n| {
                (
                    match side {
                        Side::Unit => "unit",
                        Side::Tpi => "TPI",
                    },
                    AnswerView::of(q, n),
                )
            });
            question_page(&state, chrome, &user, &v, q, e, StatusCode::CONFLICT).await
        }
        crate::db::Versioned::Saved(store::Written { changed, before }) => {
            let mut links_changed = false;
            if side == Side::Unit {
                links_changed = set_links(&mut tx, (v.unit_id, year), q.id, &ids).await?;
            }
            if !changed && !links_changed {
                tx.rollback().await?;
            } else {
                if side == Side::Unit && changed {
                    crate::notify::events::unit_answer_changed(
                        &mut tx,
                        &state,
                        user.id,
                        (v.unit_id, year, q.id),
                    )
                    .await?;
                }
                let entry = Entry::new(
                    Action::LkeAnswerSaved,
                    format!(
                        "Jawaban {} LKE {year} soal {} disimpan",
                        if side == Side::Unit { "unit" } else { "TPI" },
                        q.id
                    ),
                )
                .object(crate::audit::Object::LkeQuestion, q.id)
                .change(
                    before
                        .map(|b| json!({"jawaban": b.answer, "catatan": b.note, "bukti": b.evidence, "versi": b.version}))
                        .unwrap_or(serde_json::Value::Null),
                    json!({
                        "tahun": year,
                        "sisi": side.as_str(),
                        "jawaban": values.answer.as_ref().map(Answer::to_portal_string),
                        "catatan": values.note,
                        "bukti": values.evidence,
                        "bukti_item": ids,
                    }),
                );
                tx.commit(&actor, entry).await?;
            }
            Ok(
                Redirect::to(&format!("/lke/{year}/soal/{}?pesan=jawaban-disimpan", q.id))
                    .into_response(),
            )
        }
    }
}

/// Replaces the evidence items linked to the unit's answer; whether anything changed.
pub(crate) async fn set_links(
    conn: &mut sqlx::SqliteConnection,
    (unit, year): (i64, i64),
    question_id: i64,
    ids: &[i64],
) -> sqlx::Result<bool> {
    let Some(answer_id): Option<i64> = sqlx::query_scalar(
        "SELECT id FROM lke_answers
         WHERE unit_id = ? AND year = ? AND question_id = ? AND side = 'unit'",
    )
    .bind(unit)
    .bind(year)
    .bind(question_id)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(false);
    };
    let current: HashSet<i64> =
        sqlx::query_scalar("SELECT evidence_id FROM lke_answer_evidence WHERE answer_id = ?")
            .bind(answer_id)
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .collect();
    let wanted: HashSet<i64> = ids.iter().copied().collect();
    if current == wanted {
        return Ok(false);
    }
    sqlx::query("DELETE FROM lke_answer_evidence WHERE answer_id = ?")
        .bind(answer_id)
        .execute(&mut *conn)
        .await?;
    for id in ids {
        sqlx::query("INSERT INTO lke_answer_evidence (answer_id, evidence_id) VALUES (?, ?)")
            .bind(answer_id)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(true)
}
