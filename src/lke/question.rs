//! Answering the LKE: the year's worksheet (the tree with progress and both scores),
//! a page per question with the unit's answer and the TPI's evaluation beside it,
//! versioned saves, PICs, and the TPI's notes as a list to follow up.

use std::collections::{HashMap, HashSet};

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use super::answer::{Answer, parse_answer};
use super::model::{AnswerKind, Master, Question};
use super::pages::{OWN_COMPUTATION, parse_year};
use super::store::{self, Input, Side, Stored};
use super::view::{self, YearView, points};
use super::work::{self, YearState};
use crate::AppState;
use crate::audit::{Action, Entry};
use crate::auth::{CurrentUser, Role};
use crate::error::{AppError, AppResult};
use crate::periods::Period;
use crate::web::{Acting, Chrome, Form, QueryData, SelectOption, render, render_status};

pub const NOTE_MAX: usize = 4000;

/// The year's view for the request's unit: its answers, not another unit's.
pub(crate) async fn year_view(
    state: &AppState,
    user: &CurrentUser,
    year: &str,
) -> AppResult<std::sync::Arc<YearView>> {
    let year = parse_year(year)?;
    let unit = user.unit.as_ref().ok_or(AppError::NotFound)?.id;
    view::cached(state, unit, year)
        .await?
        .ok_or_else(|| AppError::NotFoundWith(format!("Tahun {year} belum punya master LKE.")))
}

fn question<'a>(v: &'a YearView, raw: &str) -> AppResult<&'a Question> {
    let id = crate::web::parse_id(raw)?;
    v.master.question(id).ok_or(AppError::NotFound)
}

/// "Manajemen Perubahan › Penyusunan Tim Kerja": the question's area and sub-area.
pub fn place(master: &Master, q: &Question) -> String {
    let mut names = Vec::new();
    let mut node = master.node(q.node_id);
    while let Some(n) = node {
        if n.level == super::model::LEVEL_AREA || n.level == super::model::LEVEL_SUB_AREA {
            names.push(n.name.clone());
        }
        node = n.parent_id.and_then(|p| master.node(p));
    }
    names.reverse();
    names.join(" › ")
}

/// A unit answer changed after the TPI evaluated it.
pub fn needs_reevaluation(unit: Option<&Stored>, tpi: Option<&Stored>) -> bool {
    match (unit, tpi) {
        (Some(u), Some(t)) => t.answer.is_some() && t.seen_unit_version != Some(u.version),
        _ => false,
    }
}

/// Both sides answered, differently.
pub fn differs(unit: Option<&Stored>, tpi: Option<&Stored>) -> bool {
    match (
        unit.and_then(|u| u.answer.as_ref()),
        tpi.and_then(|t| t.answer.as_ref()),
    ) {
        (Some(a), Some(b)) => a != b,
        _ => false,
    }
}

// ---------------------------------------------------------------------------
// The worksheet

pub struct SheetRow {
    pub id: i64,
    pub number: String,
    pub text: String,
    pub unit: String,
    pub tpi: String,
    pub draft: bool,
    pub differs: bool,
    pub reevaluate: bool,
    pub pics: String,
    pub mine: bool,
}

pub struct SheetNode {
    pub id: i64,
    pub name: String,
    /// The node's place by name ("PENGUNGKIT › PEMENUHAN › 1. MANAJEMEN PERUBAHAN"):
    /// names repeat under different parents, landmarks and labels must not.
    pub trail: String,
    pub depth: usize,
    pub answered_unit: usize,
    pub answered_tpi: usize,
    pub total: usize,
    pub unit_score: String,
    pub tpi_score: String,
    pub weight: String,
    pub rows: Vec<SheetRow>,
}

#[derive(Template)]
#[template(path = "lke/sheet.html")]
pub(crate) struct SheetPage {
    pub(crate) chrome: Chrome,
    pub(crate) year: i64,
    pub(crate) own: &'static str,
    pub(crate) state: YearState,
    pub(crate) nodes: Vec<SheetNode>,
    pub(crate) only_mine: bool,
    pub(crate) can_assign: bool,
    pub(crate) staff: Vec<SelectOption>,
    pub(crate) is_admin: bool,
    pub(crate) is_penilai: bool,
    pub(crate) has_previous: bool,
    /// Leaders, admins and evaluators download the evidence archive.
    pub(crate) can_zip: bool,
    pub(crate) errors: Vec<String>,
    /// A reopening reason as typed, when its form was refused.
    pub(crate) reason: String,
}

/// What a refused worksheet form brings back: its messages and the typed reason.
#[derive(Default)]
pub(crate) struct SheetExtras {
    pub(crate) errors: Vec<String>,
    pub(crate) reason: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SheetQuery {
    pub(crate) saya: Option<String>,
}

/// The PIC choices: active staff, as on the assignment pages.
pub(crate) async fn staff_options(
    db: &sqlx::SqlitePool,
    unit: i64,
) -> sqlx::Result<Vec<SelectOption>> {
    Ok(crate::assign::user_options(
        &crate::assign::assignable_users(db, unit).await?,
        None,
    ))
}

pub(crate) async fn sheet_page(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
    Path(year): Path<String>,
    QueryData(q): QueryData<SheetQuery>,
) -> AppResult<Response> {
    let v = year_view(&state, &user, &year).await?;
    sheet_of(
        &state,
        chrome,
        &user,
        &v,
        q.saya.is_some(),
        SheetExtras::default(),
        StatusCode::OK,
    )
    .await
}

/// The whole worksheet with a refused form's messages at the top.
pub(crate) async fn sheet(
    state: &AppState,
    chrome: Chrome,
    user: &CurrentUser,
    v: &YearView,
    extras: SheetExtras,
    status: StatusCode,
) -> AppResult<Response> {
    sheet_of(state, chrome, user, v, false, extras, status).await
}

async fn sheet_of(
    state: &AppState,
    chrome: Chrome,
    user: &CurrentUser,
    v: &YearView,
    only_mine: bool,
    extras: SheetExtras,
    status: StatusCode,
) -> AppResult<Response> {
    let year = v.master.year;
    let pics = work::pics(&state.db, v.unit_id, year).await?;
    let mut nodes = Vec::new();
    for n in &v.master.nodes {
        let depth = n.depth();
        let questions = v.master.questions_of(n.id);
        let mut rows = Vec::new();
        for q in &questions {
            let unit = v.stored.get(&(q.id, Side::Unit));
            let tpi = v.stored.get(&(q.id, Side::Tpi));
            let holders = pics.get(&q.id).map_or(&[][..], |p| p);
            let mine = holders.iter().any(|(id, _)| *id == user.id);
            if only_mine && !mine {
                continue;
            }
            rows.push(SheetRow {
                id: q.id,
                number: super::workbook::numbering(&v.master, q),
                text: q.text.clone(),
                unit: shown(q, unit),
                tpi: shown(q, tpi),
                draft: unit.is_some_and(|u| u.draft_from.is_some()),
                differs: differs(unit, tpi),
                reevaluate: needs_reevaluation(unit, tpi),
                pics: holders
                    .iter()
                    .map(|(_, n)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                mine,
            });
        }
        if only_mine && rows.is_empty() {
            continue;
        }
        let answered = |side| {
            questions
                .iter()
                .filter(|q| match side {
                    Side::Unit => v.unit_answers.contains_key(&q.id),
                    Side::Tpi => v.tpi_answers.contains_key(&q.id),
                })
                .count()
        };
        let mut names = vec![n.name.as_str()];
        let mut up = n.parent_id;
        while let Some(p) = up.and_then(|id| v.master.node(id)) {
            names.push(p.name.as_str());
            up = p.parent_id;
        }
        names.reverse();
        nodes.push(SheetNode {
            id: n.id,
            name: n.name.clone(),
            trail: names.join(" › "),
            depth,
            answered_unit: answered(Side::Unit),
            answered_tpi: answered(Side::Tpi),
            total: questions.len(),
            unit_score: points(v.unit.nodes.get(&n.id).copied().unwrap_or(0.0)),
            tpi_score: points(v.tpi.nodes.get(&n.id).copied().unwrap_or(0.0)),
            weight: points(n.weight),
            rows,
        });
    }
    let has_previous: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM lke_answers WHERE unit_id = ? AND year = ? AND side = 'unit')",
    )
    .bind(v.unit_id)
    .bind(year - 1)
    .fetch_one(&state.db)
    .await?;
    render_status(
        status,
        &SheetPage {
            year,
            own: OWN_COMPUTATION,
            state: work::state(&state.db, v.unit_id, year).await?,
            nodes,
            only_mine,
            can_assign: user.is(&[Role::Admin, Role::Pimpinan]),
            staff: staff_options(&state.db, v.unit_id).await?,
            is_admin: user.role == Role::Admin,
            is_penilai: user.role == Role::Penilai,
            has_previous,
            can_zip: user.role != Role::Staf,
            errors: extras.errors,
            reason: extras.reason,
            chrome,
        },
    )
}

/// An answer as the worksheet shows it: the key or number, "—" when empty.
fn shown(q: &Question, s: Option<&Stored>) -> String {
    s.and_then(|s| s.answer.as_deref())
        .and_then(|a| parse_answer(q, a).ok())
        .map(|a| a.display())
        .unwrap_or_else(|| "—".into())
}

// ---------------------------------------------------------------------------
// A question

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
    fn of(q: &Question, s: &Stored) -> AnswerView {
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

fn choices(q: &Question, selected: &str) -> Vec<Choice> {
    q.scheme
        .iter()
        .map(|k| Choice {
            key: k.key.clone(),
            label: k.label.clone(),
            checked: k.key.eq_ignore_ascii_case(selected.trim()),
        })
        .collect()
}

fn form_of(q: &Question, s: Option<&Stored>, links: &[(i64, String)]) -> SideForm {
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
fn period_for(year: i64) -> Period {
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
        "SELECT l.step_id FROM lke_step_questions l
         JOIN action_steps s ON s.id = l.step_id JOIN indicators i ON i.id = s.indicator_id
         JOIN areas a ON a.id = i.area_id JOIN components c ON c.id = a.component_id
         WHERE c.unit_id = ? AND l.year = ? AND l.question_id = ?",
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
    let evidence: Vec<(i64, i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT id, step_id, label FROM evidence WHERE removed_at IS NULL AND step_id IN ({})
         ORDER BY semester, id",
        ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
    )))
    .fetch_all(db)
    .await?;
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
struct Errors {
    unit: Vec<String>,
    tpi: Vec<String>,
    conflict: Option<(&'static str, AnswerView)>,
    unit_form: Option<SideForm>,
    tpi_form: Option<SideForm>,
}

async fn question_page(
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
                super::model::Formula::Ratio => format!(
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
                super::model::Formula::Decrease => format!(
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
        number: super::workbook::numbering(&v.master, q),
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
async fn history(
    db: &sqlx::SqlitePool,
    (unit, year): (i64, i64),
    q: &Question,
) -> sqlx::Result<Vec<HistoryRow>> {
    let rows: Vec<(String, i64, Option<String>, String, String, String)> = sqlx::query_as(
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
            side: if side == "tpi" { "TPI" } else { "Unit" },
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
async fn check_input(
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
                "SELECT count(*) FROM evidence e JOIN action_steps s ON s.id = e.step_id
                 JOIN indicators i ON i.id = s.indicator_id JOIN areas a ON a.id = i.area_id
                 JOIN components c ON c.id = a.component_id
                 WHERE e.removed_at IS NULL AND c.unit_id = ",
            );
            q.push_bind(unit)
                .push(" AND c.year = ")
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
const MAX_EVIDENCE_PICKED: usize = 500;

fn typed(input: &AnswerInput, version: i64) -> SideForm {
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

async fn save(
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
        Err(_newer) => {
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
        Ok(store::Written { changed, before }) => {
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
                .object("lke_question", q.id)
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
async fn set_links(
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

// ---------------------------------------------------------------------------
// PICs

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PicInput {
    pub(crate) user_id: String,
    pub(crate) aksi: String,
}

async fn assign_questions(
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

// ---------------------------------------------------------------------------
// The TPI's notes, as a list to follow up

pub struct NoteRow {
    pub id: i64,
    pub number: String,
    pub text: String,
    pub unit: String,
    pub tpi: String,
    pub note: String,
    pub by: String,
    pub when: String,
    pub reevaluate: bool,
}

#[derive(Template)]
#[template(path = "lke/notes.html")]
pub(crate) struct NotesPage {
    pub(crate) chrome: Chrome,
    pub(crate) year: i64,
    pub(crate) rows: Vec<NoteRow>,
}

pub(crate) async fn notes_page(
    user: CurrentUser,
    State(state): State<AppState>,
    chrome: Chrome,
    Path(year): Path<String>,
) -> AppResult<Response> {
    let v = year_view(&state, &user, &year).await?;
    let stored = store::stored(&state.db, v.unit_id, v.master.year).await?;
    let rows = v
        .master
        .questions
        .iter()
        .filter_map(|q| {
            let t = stored.get(&(q.id, Side::Tpi))?;
            if t.note.is_empty() {
                return None;
            }
            let u = stored.get(&(q.id, Side::Unit));
            Some(NoteRow {
                id: q.id,
                number: super::workbook::numbering(&v.master, q),
                text: q.text.clone(),
                unit: shown(q, u),
                tpi: shown(q, Some(t)),
                note: t.note.clone(),
                by: t.answered_by.clone(),
                when: crate::fmt::stored_datetime_id(&t.answered_at),
                reevaluate: needs_reevaluation(u, Some(t)),
            })
        })
        .collect();
    render(&NotesPage {
        chrome,
        year: v.master.year,
        rows,
    })
}

/// For tests and exports: how many unit answers the TPI must look at again.
pub fn reevaluation_count(stored: &HashMap<(i64, Side), Stored>) -> usize {
    stored
        .iter()
        .filter(|((q, side), t)| {
            *side == Side::Tpi && needs_reevaluation(stored.get(&(*q, Side::Unit)), Some(t))
        })
        .count()
}
