//! A year's LKE as the pages show it: the master, both sides' answers and scores,
//! readiness and the gains, computed once per data version (every change to them is
//! audited in its own transaction, so the newest audit id is the version).

use std::collections::HashMap;
use std::sync::Arc;

use sqlx::SqlitePool;

use super::answer::Answer;
use super::model::Master;
use super::readiness::{self, Readiness};
use super::score::{Gain, Score, ScoringPlan};
use super::store::{self, Side, Stored};
use crate::AppState;
use crate::score::decimal;

pub struct YearView {
    /// The unit whose answers these are.
    pub unit_id: i64,
    pub master: Master,
    pub plan: ScoringPlan,
    pub stored: HashMap<(i64, Side), Stored>,
    pub unit_answers: HashMap<i64, Answer>,
    pub tpi_answers: HashMap<i64, Answer>,
    pub unit: Score,
    pub tpi: Score,
    /// Judged on the TPI's answers (they decide), and the unit's own beside them.
    pub ready_tpi: Readiness,
    pub ready_unit: Readiness,
    pub wbk_held: bool,
    /// On the TPI's answers once it has answered anything, else on the unit's.
    pub gains: Vec<Gain>,
    pub gains_side: Side,
    /// The action steps serving each question: question id → [(step id, code)].
    pub steps: HashMap<i64, Vec<(i64, String)>>,
    /// Every year with a master, newest first.
    pub years: Vec<i64>,
    /// Where the year stands ("Dikirim ke TPI …").
    pub state_label: String,
    /// The readiness page's body, rendered once per data version.
    pub body: std::sync::OnceLock<Arc<String>>,
}

impl YearView {
    pub async fn load(db: &SqlitePool, unit_id: i64, year: i64) -> sqlx::Result<Option<YearView>> {
        let Some(master) = store::load_master(db, year).await? else {
            return Ok(None);
        };
        let plan = ScoringPlan::new(&master);
        let stored = store::stored(db, unit_id, year).await?;
        let unit_answers = store::answers_from(&master, &stored, Side::Unit);
        let tpi_answers = store::answers_from(&master, &stored, Side::Tpi);
        let unit = plan.score(&unit_answers);
        let tpi = plan.score(&tpi_answers);
        let wbk_held = store::wbk_held_before(db, unit_id, year).await?;
        let ready_tpi = readiness::readiness_with(&master, &plan, &tpi, wbk_held);
        let ready_unit = readiness::readiness_with(&master, &plan, &unit, wbk_held);
        let gains_side = if tpi_answers.is_empty() {
            Side::Unit
        } else {
            Side::Tpi
        };
        let gains = plan.potential(match gains_side {
            Side::Unit => &unit_answers,
            Side::Tpi => &tpi_answers,
        });
        Ok(Some(YearView {
            unit_id,
            years: store::years(db).await?,
            state_label: super::work::state(db, unit_id, year).await?.label(),
            body: std::sync::OnceLock::new(),
            stored,
            steps: crate::links::steps_by_question(db, unit_id, year).await?,
            master,
            plan,
            unit_answers,
            tpi_answers,
            unit,
            tpi,
            ready_tpi,
            ready_unit,
            wbk_held,
            gains,
            gains_side,
        }))
    }

    pub fn answered(&self, side: Side) -> usize {
        self.master.questions.len()
            - match side {
                Side::Unit => self.unit.unanswered.len(),
                Side::Tpi => self.tpi.unanswered.len(),
            }
    }

    pub fn answer_label(&self, question_id: i64, side: Side) -> String {
        let answers = match side {
            Side::Unit => &self.unit_answers,
            Side::Tpi => &self.tpi_answers,
        };
        answers
            .get(&question_id)
            .map(Answer::display)
            .unwrap_or_else(|| "—".into())
    }

    /// "Memenuhi syarat WBK" / "… WBBM" / "Belum memenuhi", on the TPI's answers.
    pub fn verdict(&self) -> &'static str {
        verdict(&self.ready_tpi)
    }

    pub fn unit_verdict(&self) -> &'static str {
        verdict(&self.ready_unit)
    }
}

pub fn verdict(r: &Readiness) -> &'static str {
    if readiness::all_met(&r.wbbm) {
        "Memenuhi syarat WBBM"
    } else if readiness::all_met(&r.wbk) {
        "Memenuhi syarat WBK"
    } else {
        "Belum memenuhi syarat WBK"
    }
}

/// Points with two decimals and a decimal comma.
pub fn points(v: f64) -> String {
    decimal(readiness::round2(v), 2)
}

/// Each unit's view of a year, under the unit's audit stamp.
#[derive(Default)]
pub struct Cache {
    entries: crate::audit::Stamped<(i64, i64), i64, Arc<YearView>, 64>,
}

/// The unit's view of a year, recomputed when anything audited for the unit (or the
/// instansi) changed since.
pub async fn cached(state: &AppState, unit: i64, year: i64) -> sqlx::Result<Option<Arc<YearView>>> {
    let stamp = crate::audit::stamp(&state.db, unit).await?;
    let cache = state.caches.get::<Cache>();
    if let Some(v) = cache.entries.get(&(unit, year), &stamp) {
        return Ok(Some(v));
    }
    let Some(view) = YearView::load(&state.db, unit, year).await? else {
        return Ok(None);
    };
    let view = Arc::new(view);
    cache.entries.put((unit, year), stamp, view.clone());
    Ok(Some(view))
}
