//! The next year: the TPN's notes for improvement turned, note by note, into action
//! steps of the next year's targets; last year's answers carried in as drafts.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::audit::{Action, Entry};
use crate::error::{AppError, AppResult};
use crate::web::{Acting, Chrome, Form, SelectOption, render_status};

pub struct NoteRow {
    pub index: usize,
    pub note: String,
    /// Steps already made from this note: (step id, text).
    pub steps: Vec<(i64, String)>,
}

#[derive(Template)]
#[template(path = "lke/next.html")]
pub(crate) struct NextPage {
    pub(crate) chrome: Chrome,
    pub(crate) year: i64,
    pub(crate) predicate: Option<String>,
    pub(crate) notes: Vec<NoteRow>,
    pub(crate) indicators: Vec<SelectOption>,
    /// The note whose form failed, with what was typed.
    pub(crate) failed: Option<(usize, String, String, Vec<String>)>,
}

impl NextPage {
    fn failed_at(&self, i: impl std::borrow::Borrow<usize>) -> bool {
        self.failed.as_ref().is_some_and(|f| f.0 == *i.borrow())
    }
}

async fn notes_of(
    db: &sqlx::SqlitePool,
    unit: i64,
    year: i64,
) -> sqlx::Result<(Option<String>, Vec<String>)> {
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT predicate, notes FROM unit_predicates WHERE unit_id = ? AND year = ?",
    )
    .bind(unit)
    .bind(year)
    .fetch_optional(db)
    .await?;
    Ok(match row {
        Some((p, notes)) => (
            Some(p),
            notes
                .lines()
                .map(|l| {
                    l.trim()
                        .trim_start_matches(['-', '•', '*'])
                        .trim()
                        .to_string()
                })
                .filter(|l| !l.is_empty())
                .collect(),
        ),
        None => (None, Vec::new()),
    })
}

async fn indicator_options(
    db: &sqlx::SqlitePool,
    unit: i64,
    year: i64,
) -> sqlx::Result<Vec<SelectOption>> {
    let rows: Vec<(i64, String, i64, i64, String)> = sqlx::query_as(
        "SELECT indicator_id, numeral, a_pos, i_pos, indicator_text FROM unit_indicators
         WHERE unit_id = ? AND year = ? AND NOT retired
         ORDER BY c_pos, a_pos, i_pos",
    )
    .bind(unit)
    .bind(year)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, n, a, i, text)| {
            let short: String = text.chars().take(90).collect();
            SelectOption::new(
                id.to_string(),
                format!("{n}.{a}.{} {short}", crate::fmt::indicator_letter(i)),
                false,
            )
        })
        .collect())
}

async fn page(
    state: &AppState,
    chrome: Chrome,
    unit: i64,
    year: i64,
    failed: Option<(usize, String, String, Vec<String>)>,
    status: StatusCode,
) -> AppResult<Response> {
    let (predicate, notes) = notes_of(&state.db, unit, year).await?;
    let made: Vec<(String, i64, String)> = sqlx::query_as(
        "SELECT n.note, s.step_id, s.step_text FROM lke_note_steps n
         JOIN unit_steps s ON s.step_id = n.step_id
         WHERE s.unit_id = ? AND n.year = ? ORDER BY s.step_id",
    )
    .bind(unit)
    .bind(year)
    .fetch_all(&state.db)
    .await?;
    let notes = notes
        .into_iter()
        .enumerate()
        .map(|(index, note)| NoteRow {
            index,
            steps: made
                .iter()
                .filter(|(n, _, _)| *n == note)
                .map(|(_, id, t)| (*id, t.clone()))
                .collect(),
            note,
        })
        .collect();
    render_status(
        status,
        &NextPage {
            year,
            predicate,
            notes,
            indicators: indicator_options(&state.db, unit, year + 1).await?,
            failed,
            chrome,
        },
    )
}

pub(crate) async fn next_page(
    State(state): State<AppState>,
    unit: crate::tenant::Unit,
    chrome: Chrome,
    Path(year): Path<String>,
) -> AppResult<Response> {
    let year = super::pages::parse_year(&year)?;
    page(&state, chrome, unit.id, year, None, StatusCode::OK).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoteStepInput {
    pub(crate) catatan: String,
    pub(crate) indikator: String,
    pub(crate) teks: String,
    pub(crate) kewenangan: String,
}

pub(crate) async fn note_to_step(
    State(state): State<AppState>,
    unit: crate::tenant::Unit,
    chrome: Chrome,
    Acting { actor, .. }: Acting,
    Path(year): Path<String>,
    Form(input): Form<NoteStepInput>,
) -> AppResult<Response> {
    let year = super::pages::parse_year(&year)?;
    let (_, notes) = notes_of(&state.db, unit.id, year).await?;
    let Some(index) = input
        .catatan
        .trim()
        .parse::<usize>()
        .ok()
        .filter(|i| *i < notes.len())
    else {
        return Err(AppError::BadRequest("Catatan TPN tidak dikenal.".into()));
    };
    let note = &notes[index];
    let mut errors = Vec::new();
    let text = input.teks.trim().to_string();
    let authority = input.kewenangan.trim().to_string();
    if text.is_empty() || text.chars().count() > 2000 {
        errors.push("Isi teks langkah aksi (paling panjang 2000 karakter).".to_string());
    }
    if authority.is_empty() || authority.chars().count() > 2000 {
        errors.push("Isi kewenangan berdasarkan tusi (paling panjang 2000 karakter).".to_string());
    }
    let indicator: Option<i64> = match input.indikator.trim().parse::<i64>() {
        Ok(id) => {
            sqlx::query_scalar(
                "SELECT indicator_id FROM unit_indicators
                 WHERE indicator_id = ? AND unit_id = ? AND year = ?
                   AND indicator_retired_at IS NULL",
            )
            .bind(id)
            .bind(unit.id)
            .bind(year + 1)
            .fetch_optional(&state.db)
            .await?
        }
        Err(_) => None,
    };
    if indicator.is_none() {
        errors.push(format!("Pilih indikator target tahun {}.", year + 1));
    }
    let (Some(indicator), true) = (indicator, errors.is_empty()) else {
        return page(
            &state,
            chrome,
            unit.id,
            year,
            Some((index, input.teks.clone(), input.kewenangan.clone(), errors)),
            StatusCode::BAD_REQUEST,
        )
        .await;
    };
    let mut tx = crate::db::write(&state.db).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO action_steps (indicator_id, position, text, authority_text)
         VALUES (?, (SELECT coalesce(max(position), 0) + 1 FROM action_steps WHERE indicator_id = ?), ?, ?)
         RETURNING id",
    )
    .bind(indicator)
    .bind(indicator)
    .bind(&text)
    .bind(&authority)
    .fetch_one(&mut *tx)
    .await?;
    let units = crate::catalogue::units_named(&mut tx, &authority).await?;
    crate::catalogue::link_units(&mut tx, id, &units).await?;
    sqlx::query("INSERT INTO lke_note_steps (year, note, step_id, created_at) VALUES (?, ?, ?, ?)")
        .bind(year)
        .bind(note)
        .bind(id)
        .bind(crate::fmt::now_stamp())
        .execute(&mut *tx)
        .await?;
    tx.commit(
        &actor,
        Entry::new(
            Action::TargetAdded,
            format!(
                "Langkah aksi target {} dibuat dari catatan TPN {year}",
                year + 1
            ),
        )
        .object(crate::audit::Object::Step, id)
        .after(json!({"teks": text, "kewenangan": authority, "catatan_tpn": note})),
    )
    .await?;
    Ok(Redirect::to(&format!(
        "/lke/{year}/tindak-lanjut?pesan=langkah-dibuat#catatan-{index}"
    ))
    .into_response())
}

/// Last year's unit answers (with their evidence links) as drafts for this year's
/// questions that have no unit answer yet; a draft scores nothing until confirmed.
pub(crate) async fn carry_drafts(
    State(state): State<AppState>,
    unit: crate::tenant::Unit,
    Acting { user, actor }: Acting,
    Path(year): Path<String>,
    Form(_): Form<crate::web::Empty>,
) -> AppResult<Response> {
    let year = super::pages::parse_year(&year)?;
    let Some(master) = super::store::load_master(&state.db, year).await? else {
        return Err(AppError::NotFound);
    };
    let Some(previous) = super::store::load_master(&state.db, year - 1).await? else {
        return Err(AppError::Conflict(format!(
            "Tahun {} tidak punya master LKE; tidak ada jawaban untuk dibawa.",
            year - 1
        )));
    };
    let last = super::store::stored(&state.db, unit.id, year - 1).await?;
    let at = crate::fmt::now_stamp();
    let mut tx = crate::db::write(&state.db).await?;
    let (unit_locked, _) = super::work::locks(&mut tx, unit.id, year).await?;
    if unit_locked {
        return Err(AppError::Conflict(
            "Penilaian mandiri sudah dikirim ke TPI; jawaban unit terkunci.".into(),
        ));
    }
    let mut carried = 0;
    for q in &master.questions {
        let Some(old) = last.get(&(q.id, super::store::Side::Unit)) else {
            continue;
        };
        // the same question id with an answer that still fits this year's question
        let fits = previous.question(q.id).is_some()
            && old
                .answer
                .as_deref()
                .is_none_or(|a| super::answer::parse_answer(q, a).is_ok());
        if !fits {
            continue;
        }
        let new_id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO lke_answers (unit_id, year, question_id, side, version, answer, note,
                                      evidence, answered_by, answered_at, draft_from)
             VALUES (?, ?, ?, 'unit', 1, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (unit_id, year, question_id, side) DO NOTHING RETURNING id",
        )
        .bind(unit.id)
        .bind(year)
        .bind(q.id)
        .bind(&old.answer)
        .bind(&old.note)
        .bind(&old.evidence)
        .bind(user.id)
        .bind(&at)
        .bind(year - 1)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(new_id) = new_id else { continue };
        super::store::append_history(&mut tx, new_id).await?;
        sqlx::query(
            "INSERT INTO lke_answer_evidence (answer_id, evidence_id)
             SELECT ?, l.evidence_id FROM lke_answer_evidence l JOIN evidence e ON e.id = l.evidence_id
             WHERE l.answer_id = ? AND e.removed_at IS NULL",
        )
        .bind(new_id)
        .bind(old.id)
        .execute(&mut *tx)
        .await?;
        carried += 1;
    }
    tx.commit(
        &actor,
        Entry::new(
            Action::LkeAnswersImported,
            format!(
                "{carried} jawaban unit LKE {} dibawa ke {year} sebagai draf",
                year - 1
            ),
        )
        .after(json!({"tahun": year, "dari": year - 1, "draf": carried})),
    )
    .await?;
    Ok(Redirect::to(&format!("/lke/{year}/soal?pesan=draf-dibawa")).into_response())
}
