//! A question's page: the unit's answer and the TPI's evaluation beside it, the linked
//! steps and the history.

use super::sheet::*;
use super::*;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use crate::AppState;
use crate::auth::{CurrentUser, Role};
use crate::error::AppResult;
use crate::lke::answer::{Answer, parse_answer};
use crate::lke::model::{AnswerKind, Question};
use crate::lke::store::{self, Side, Stored};
use crate::lke::view::{YearView, points};
use crate::lke::work::{self, YearState};
use crate::periods::Period;
use crate::web::{Chrome, SelectOption, render_status};

pub struct Choice {
    pub key: String,
    pub label: String,
    pub checked: bool,
}

pub struct AnswerView {
    pub answer: String,
    pub note: String,
    pub evidence: String,
    pub by: String,
    pub when: String,
    pub version: i64,
    pub draft_from: Option<i64>,
}

impl AnswerView {
    pub(crate) fn of(q: &Question, s: &Stored) -> AnswerView {
        AnswerView {
            answer: shown(q, Some(s)),
            note: s.note.clone(),
            evidence: s.evidence.clone(),
            by: s.answered_by.clone(),
            when: crate::fmt::stored_datetime_id(&s.answered_at),
            version: s.version,
            draft_from: s.draft_from,
        }
    }
}

/// What a side's form shows: the stored values, or what the user typed.
#[derive(Default, Clone)]
pub struct SideForm {
    pub version: i64,
    pub answer: String,
    pub note: String,
    pub evidence: String,
    pub evidence_ids: Vec<i64>,
}

pub struct StepLink {
    pub id: i64,
    pub code: String,
    pub text: String,
    pub status: String,
    pub realization: i64,
    pub evidence: Vec<(i64, String, bool)>,
}

pub struct HistoryRow {
    pub side: &'static str,
    pub version: i64,
    pub answer: String,
    pub note: String,
    pub by: String,
    pub when: String,
}

pub struct GroupView {
    pub label: String,
    pub formula: String,
    pub stated: bool,
    pub inputs: Vec<(i64, String, String, String)>,
    pub unit_value: String,
    pub tpi_value: String,
}

#[derive(Template)]
#[template(path = "lke/question.html")]
pub(crate) struct QuestionPage {
    pub(crate) chrome: Chrome,
    pub(crate) year: i64,
    pub(crate) id: i64,
    pub(crate) number: String,
    pub(crate) place: String,
    pub(crate) text: String,
    pub(crate) criteria: String,
    pub(crate) kind: &'static str,
    pub(crate) choice: bool,
    pub(crate) numeric_mode: &'static str,
    /// How a number is typed, beside its field.
    pub(crate) hint: &'static str,
    pub(crate) state: YearState,
    pub(crate) unit: Option<AnswerView>,
    pub(crate) tpi: Option<AnswerView>,
    pub(crate) unit_links: Vec<(i64, String)>,
    pub(crate) differs: bool,
    pub(crate) reevaluate: bool,
    pub(crate) unit_choices: Vec<Choice>,
    pub(crate) tpi_choices: Vec<Choice>,
    pub(crate) unit_form: SideForm,
    pub(crate) tpi_form: SideForm,
    pub(crate) unit_errors: Vec<String>,
    pub(crate) tpi_errors: Vec<String>,
    pub(crate) conflict: Option<(&'static str, AnswerView)>,
    pub(crate) can_unit: bool,
    pub(crate) unit_refusal: Option<String>,
    pub(crate) can_tpi: bool,
    pub(crate) tpi_refusal: Option<String>,
    pub(crate) pics: Vec<(i64, String)>,
    pub(crate) can_assign: bool,
    pub(crate) staff: Vec<SelectOption>,
    pub(crate) steps: Vec<StepLink>,
    pub(crate) group: Option<GroupView>,
    pub(crate) history: Vec<HistoryRow>,
    pub(crate) prev: Option<i64>,
    pub(crate) next: Option<i64>,
}

pub(crate) fn choices(q: &Question, selected: &str) -> Vec<Choice> {
    q.scheme
        .iter()
        .map(|k| Choice {
            key: k.key.clone(),
            label: k.label.clone(),
            checked: k.key.eq_ignore_ascii_case(selected.trim()),
        })
        .collect()
}

pub(crate) fn form_of(q: &Question, s: Option<&Stored>, links: &[(i64, String)]) -> SideForm {
    match s {
        Some(s) => SideForm {
            version: s.version,
            answer: s
                .answer
                .as_deref()
                .and_then(|a| parse_answer(q, a).ok())
                .map(|a| match a {
                    // the form takes a decimal comma as people type it
                    Answer::Index(_) => a.display(),
                    _ => a.to_portal_string(),
                })
                .unwrap_or_default(),
            note: s.note.clone(),
            evidence: s.evidence.clone(),
            evidence_ids: links.iter().map(|(id, _)| *id).collect(),
        },
        None => SideForm::default(),
    }
}

/// The period whose progress the question page shows for its steps: the year's
/// second semester once it has begun, else the first.
pub(crate) fn period_for(year: i64) -> Period {
    let today = crate::periods::today();
    let second = Period::new(year, 2);
    if today >= second.first_day() {
        second
    } else {
        Period::new(year, 1)
    }
}

pub(crate) async fn linked_steps(
    db: &sqlx::SqlitePool,
    unit: i64,
    year: i64,
    question_id: i64,
) -> sqlx::Result<Vec<StepLink>> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT l.step_id FROM lke_step_questions l JOIN unit_steps s ON s.step_id = l.step_id
         WHERE s.unit_id = ? AND l.year = ? AND l.question_id = ?",
    )
    .bind(unit)
    .bind(year)
    .bind(question_id)
    .fetch_all(db)
    .await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let period = period_for(year);
    let rows = crate::step::period_rows(db, unit, period, None).await?;
    let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
        "SELECT id, step_id, label FROM evidence WHERE removed_at IS NULL AND step_id IN (",
    );
    let mut list = q.separated(", ");
    for id in &ids {
        list.push_bind(*id);
    }
    q.push(") ORDER BY semester, id");
    let evidence: Vec<(i64, i64, String)> = q.build_query_as().fetch_all(db).await?;
    Ok(rows
        .into_iter()
        .filter(|r| ids.contains(&r.step_id))
        .map(|r| StepLink {
            id: r.step_id,
            code: r.code(),
            text: r.step_text.clone(),
            status: r.status_label().to_string(),
            realization: r.realization_value(),
            evidence: evidence
                .iter()
                .filter(|(_, s, _)| *s == r.step_id)
                .map(|(id, _, label)| (*id, label.clone(), false))
                .collect(),
        })
        .collect())
}

#[derive(Default)]
pub(crate) struct Errors {
    pub(crate) unit: Vec<String>,
    pub(crate) tpi: Vec<String>,
    pub(crate) conflict: Option<(&'static str, AnswerView)>,
    pub(crate) unit_form: Option<SideForm>,
    pub(crate) tpi_form: Option<SideForm>,
}

pub(crate) async fn question_page(
    state: &AppState,
    chrome: Chrome,
    user: &CurrentUser,
    v: &YearView,
    q: &Question,
    e: Errors,
    status: StatusCode,
) -> AppResult<Response> {
    let year = v.master.year;
    let ys = work::state(&state.db, v.unit_id, year).await?;
    // straight from the database: the cached view may be a moment old after a save
    let (unit, tpi) = store::stored_of(&state.db, v.unit_id, year, q.id).await?;
    let links = match &unit {
        Some(u) => store::evidence_links_of(&state.db, u.id).await?,
        None => Vec::new(),
    };
    let pics = work::pics_of(&state.db, v.unit_id, year, q.id).await?;
    let is_pic = pics.iter().any(|(id, _)| *id == user.id);
    let unit_refusal = if !work::may_answer_unit(user, is_pic) {
        None
    } else if ys.unit_locked() {
        Some(work::UNIT_LOCKED.to_string())
    } else {
        None
    };
    let can_unit = work::may_answer_unit(user, is_pic) && !ys.unit_locked();
    let gave = {
        let mut conn = state.db.acquire().await?;
        work::gave_unit_answer(&mut conn, (v.unit_id, year), q.id, user.id).await?
    };
    let tpi_refusal = if !work::may_evaluate(user) {
        None
    } else if ys.tpi_locked() {
        Some(work::TPI_LOCKED.to_string())
    } else if gave {
        Some(work::SELF_EVALUATION.to_string())
    } else {
        None
    };
    let can_tpi = work::may_evaluate(user) && tpi_refusal.is_none();
    let mut unit_form = e
        .unit_form
        .unwrap_or_else(|| form_of(q, unit.as_ref(), &links));
    if unit_form.version == 0 {
        unit_form.version = unit.as_ref().map_or(0, |u| u.version);
    }
    let tpi_form = e.tpi_form.unwrap_or_else(|| form_of(q, tpi.as_ref(), &[]));
    let mut steps = linked_steps(&state.db, v.unit_id, year, q.id).await?;
    for s in &mut steps {
        for ev in &mut s.evidence {
            ev.2 = unit_form.evidence_ids.contains(&ev.0);
        }
    }
    let group = v
        .master
        .groups
        .iter()
        .find(|g| g.inputs().any(|i| i == q.id))
        .map(|g| GroupView {
            label: g.label.clone(),
            formula: match g.formula {
                crate::lke::model::Formula::Ratio => format!(
                    "({}) ÷ ({})",
                    g.numerator
                        .iter()
                        .map(|i| format!("soal {i}"))
                        .collect::<Vec<_>>()
                        .join(" + "),
                    g.denominator
                        .iter()
                        .map(|i| format!("soal {i}"))
                        .collect::<Vec<_>>()
                        .join(" + ")
                ),
                crate::lke::model::Formula::Decrease => format!(
                    "(soal {} − soal {}) ÷ soal {}, paling kecil 0",
                    g.numerator.first().copied().unwrap_or_default(),
                    g.denominator.first().copied().unwrap_or_default(),
                    g.numerator.first().copied().unwrap_or_default()
                ),
            },
            stated: g.stated,
            inputs: g
                .inputs()
                .filter_map(|id| {
                    let iq = v.master.question(id)?;
                    Some((
                        id,
                        iq.text.clone(),
                        v.answer_label(id, Side::Unit),
                        v.answer_label(id, Side::Tpi),
                    ))
                })
                .collect(),
            unit_value: match v.unit.group_values.get(&g.id) {
                Some(Some(x)) => format!("{} %", points(x * 100.0)),
                _ => "belum lengkap".into(),
            },
            tpi_value: match v.tpi.group_values.get(&g.id) {
                Some(Some(x)) => format!("{} %", points(x * 100.0)),
                _ => "belum lengkap".into(),
            },
        });
    let history = history(&state.db, (v.unit_id, year), q).await?;
    let pos = v
        .master
        .questions
        .iter()
        .position(|x| x.id == q.id)
        .unwrap_or(0);
    let prev = pos
        .checked_sub(1)
        .and_then(|i| v.master.questions.get(i))
        .map(|x| x.id);
    let next = v.master.questions.get(pos + 1).map(|x| x.id);
    let page = QuestionPage {
        year,
        id: q.id,
        number: crate::lke::workbook::numbering(&v.master, q),
        place: place(&v.master, q),
        text: q.text.clone(),
        criteria: q.criteria.clone(),
        kind: q.kind.label(),
        choice: q.kind.is_choice(),
        numeric_mode: if q.kind == AnswerKind::Count {
            "numeric"
        } else {
            "decimal"
        },
        hint: if q.kind == AnswerKind::Count {
            "bilangan bulat"
        } else {
            "desimal, koma boleh"
        },
        differs: differs(unit.as_ref(), tpi.as_ref()),
        reevaluate: needs_reevaluation(unit.as_ref(), tpi.as_ref()),
        unit_choices: choices(q, &unit_form.answer),
        tpi_choices: choices(q, &tpi_form.answer),
        unit: unit.as_ref().map(|s| AnswerView::of(q, s)),
        tpi: tpi.as_ref().map(|s| AnswerView::of(q, s)),
        unit_links: links,
        unit_form,
        tpi_form,
        unit_errors: e.unit,
        tpi_errors: e.tpi,
        conflict: e.conflict,
        can_unit,
        unit_refusal,
        can_tpi,
        tpi_refusal,
        can_assign: user.is(&[Role::Admin, Role::Pimpinan]),
        staff: staff_options(&state.db, v.unit_id).await?,
        pics,
        steps,
        group,
        history,
        prev,
        next,
        state: ys,
        chrome,
    };
    render_status(status, &page)
}

/// The unit's history of both sides' answers to a question (never another unit's).
pub(crate) async fn history(
    db: &sqlx::SqlitePool,
    (unit, year): (i64, i64),
    q: &Question,
) -> sqlx::Result<Vec<HistoryRow>> {
    let rows: Vec<(Side, i64, Option<String>, String, String, String)> = sqlx::query_as(
        "SELECT a.side, h.version, h.answer, h.note, u.display_name, h.answered_at
         FROM lke_answer_history h JOIN lke_answers a ON a.id = h.answer_id
         JOIN users u ON u.id = h.answered_by
         WHERE a.unit_id = ? AND a.year = ? AND a.question_id = ?
         ORDER BY h.answered_at DESC, h.id DESC LIMIT 50",
    )
    .bind(unit)
    .bind(year)
    .bind(q.id)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(side, version, answer, note, by, at)| HistoryRow {
            side: side.label(),
            version,
            answer: answer
                .and_then(|a| parse_answer(q, &a).ok())
                .map(|a| a.display())
                .unwrap_or_else(|| "—".into()),
            note,
            by,
            when: crate::fmt::stored_datetime_id(&at),
        })
        .collect())
}

pub(crate) async fn show(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
    Path((year, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let v = year_view(&state, &user, &year).await?;
    let q = question(&v, &id)?;
    question_page(
        &state,
        chrome,
        &user,
        &v,
        q,
        Errors::default(),
        StatusCode::OK,
    )
    .await
}
