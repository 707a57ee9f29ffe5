//! The year's overview: both scores and the readiness.

use super::*;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

use crate::AppState;
use crate::auth::{CurrentUser, Role};
use crate::error::{AppError, AppResult};
use crate::lke::readiness::Condition;
use crate::lke::store::{self, Side};
use crate::lke::view::{YearView, points};
use crate::lke::workbook;
use crate::web::{Chrome, render};

pub struct NodeRow {
    pub name: String,
    pub depth: usize,
    pub weight: String,
    pub tpi: String,
    pub unit: String,
}

pub struct ConditionRow {
    pub syarat: String,
    pub batas: String,
    pub tpi: String,
    pub tpi_met: bool,
    pub kurang: String,
    pub unit: String,
    pub unit_met: bool,
}

pub struct GainRow {
    pub number: String,
    pub question_id: i64,
    pub text: String,
    pub tpi: String,
    pub unit: String,
    pub points: String,
    pub group: Option<String>,
    /// The action steps serving the question: (step id, code).
    pub steps: Vec<(i64, String)>,
}

#[derive(Template)]
#[template(path = "lke/year.html")]
pub(crate) struct YearPage {
    pub(crate) chrome: Chrome,
    pub(crate) year: i64,
    pub(crate) years: Vec<i64>,
    pub(crate) own: &'static str,
    pub(crate) can_import: bool,
    pub(crate) is_admin: bool,
    /// Where the year stands: filled by the unit, with the TPI, final.
    pub(crate) state: String,
    /// `lke/year_body.html` as rendered (and escaped) once per data version.
    pub(crate) body: std::sync::Arc<String>,
}

/// The scores, readiness and gains: the same for everyone, so rendered once per data
/// version and kept with the year's view.
#[derive(Template)]
#[template(path = "lke/year_body.html")]
pub(crate) struct YearBody {
    pub(crate) year: i64,
    pub(crate) total_tpi: String,
    pub(crate) total_unit: String,
    pub(crate) answered_tpi: usize,
    pub(crate) answered_unit: usize,
    pub(crate) questions: usize,
    pub(crate) verdict: &'static str,
    pub(crate) unit_verdict: &'static str,
    pub(crate) nodes: Vec<NodeRow>,
    pub(crate) wbk: Vec<ConditionRow>,
    pub(crate) wbbm: Vec<ConditionRow>,
    pub(crate) wbk_held: bool,
    pub(crate) gains: Vec<GainRow>,
    pub(crate) gains_on_tpi: bool,
}

impl YearBody {
    fn tables(&self) -> [(&'static str, &[ConditionRow]); 2] {
        [("WBK", &self.wbk), ("WBBM", &self.wbbm)]
    }
}

pub(crate) fn condition_rows(tpi: &[Condition], unit: &[Condition]) -> Vec<ConditionRow> {
    tpi.iter()
        .zip(unit)
        .map(|(t, u)| {
            let percent = t.syarat.contains('%');
            let fmt = |v: f64| {
                if percent {
                    format!("{} %", points(v))
                } else {
                    points(v)
                }
            };
            ConditionRow {
                syarat: t.syarat.clone(),
                batas: fmt(t.batas),
                tpi: fmt(t.nilai),
                tpi_met: t.terpenuhi,
                kurang: points(t.kurang),
                unit: fmt(u.nilai),
                unit_met: u.terpenuhi,
            }
        })
        .collect()
}

/// The rows "where the most points are", for the overview and the dashboard panel.
pub fn gain_rows(v: &YearView, limit: usize) -> Vec<GainRow> {
    v.gains
        .iter()
        .take(limit)
        .filter_map(|g| {
            let q = v.master.question(g.question_id)?;
            let group = g.group_id.and_then(|id| {
                v.master
                    .groups
                    .iter()
                    .find(|x| x.id == id)
                    .map(|x| x.label.clone())
            });
            Some(GainRow {
                number: workbook::numbering(&v.master, q),
                question_id: q.id,
                text: q.text.clone(),
                tpi: v.answer_label(q.id, Side::Tpi),
                unit: v.answer_label(q.id, Side::Unit),
                points: points(g.points),
                group,
                steps: v.steps.get(&q.id).cloned().unwrap_or_default(),
            })
        })
        .collect()
}

/// The dashboard's LKE panel for a year with a master.
pub struct Panel {
    pub year: i64,
    pub own: &'static str,
    pub total_tpi: String,
    pub total_unit: String,
    pub verdict: &'static str,
    pub unit_verdict: &'static str,
    /// WBK conditions not met on the TPI's answers.
    pub wbk_missing: Vec<String>,
    pub gains: Vec<GainRow>,
}

pub fn panel(v: &YearView) -> Panel {
    Panel {
        year: v.master.year,
        own: OWN_COMPUTATION,
        total_tpi: points(v.tpi.total),
        total_unit: points(v.unit.total),
        verdict: v.verdict(),
        unit_verdict: v.unit_verdict(),
        wbk_missing: v
            .ready_tpi
            .wbk
            .iter()
            .filter(|c| !c.terpenuhi)
            .map(|c| format!("{} (kurang {} poin)", c.syarat, points(c.kurang)))
            .collect(),
        gains: gain_rows(v, 5),
    }
}

pub(crate) async fn index(State(state): State<AppState>) -> AppResult<Response> {
    let years = store::years(&state.db).await?;
    match years.first() {
        Some(y) => Ok(Redirect::to(&format!("/lke/{y}")).into_response()),
        None => Err(AppError::NotFoundWith(
            "Belum ada master LKE. Admin dapat memuatnya di halaman Master LKE (/admin/lke)."
                .into(),
        )),
    }
}

pub(crate) async fn year_page(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
    Path(year): Path<String>,
) -> AppResult<Response> {
    let v = year_view(&state, &user, &year).await?;
    let body = match v.body.get() {
        Some(b) => b.clone(),
        None => {
            let rendered = std::sync::Arc::new(year_body(&v).render()?);
            v.body.get_or_init(|| rendered).clone()
        }
    };
    render(&YearPage {
        year: v.master.year,
        years: v.years.clone(),
        own: OWN_COMPUTATION,
        can_import: user.is(&[Role::Admin, Role::Penilai]),
        is_admin: user.is(&[Role::Admin]),
        state: v.state_label.clone(),
        body,
        chrome,
    })
}

pub(crate) fn year_body(v: &YearView) -> YearBody {
    let nodes = v
        .master
        .nodes
        .iter()
        // down to the areas; sub-areas are on the worksheet
        .filter(|n| n.depth() <= 2)
        .map(|n| {
            let depth = n.depth();
            NodeRow {
                name: n.name.clone(),
                depth,
                weight: points(n.weight),
                tpi: points(v.tpi.nodes.get(&n.id).copied().unwrap_or(0.0)),
                unit: points(v.unit.nodes.get(&n.id).copied().unwrap_or(0.0)),
            }
        })
        .collect();
    YearBody {
        year: v.master.year,
        total_tpi: points(v.tpi.total),
        total_unit: points(v.unit.total),
        answered_tpi: v.answered(Side::Tpi),
        answered_unit: v.answered(Side::Unit),
        questions: v.master.questions.len(),
        verdict: v.verdict(),
        unit_verdict: v.unit_verdict(),
        nodes,
        wbk: condition_rows(&v.ready_tpi.wbk, &v.ready_unit.wbk),
        wbbm: condition_rows(&v.ready_tpi.wbbm, &v.ready_unit.wbbm),
        wbk_held: v.wbk_held,
        gains: gain_rows(v, 15),
        gains_on_tpi: v.gains_side == Side::Tpi,
    }
}
