//! The year's worksheet: the tree with progress and both scores.

use super::*;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use crate::AppState;
use crate::auth::{CurrentUser, Role};
use crate::error::AppResult;
use crate::lke::answer::parse_answer;
use crate::lke::model::Question;
use crate::lke::pages::OWN_COMPUTATION;
use crate::lke::store::{Side, Stored};
use crate::lke::view::{YearView, points};
use crate::lke::work::{self, YearState};
use crate::web::{Chrome, QueryData, SelectOption, render_status};

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

pub(crate) async fn sheet_of(
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
                number: crate::lke::workbook::numbering(&v.master, q),
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
pub(crate) fn shown(q: &Question, s: Option<&Stored>) -> String {
    s.and_then(|s| s.answer.as_deref())
        .and_then(|a| parse_answer(q, a).ok())
        .map(|a| a.display())
        .unwrap_or_else(|| "—".into())
}
