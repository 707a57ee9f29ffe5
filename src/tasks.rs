//! Tugas saya: a person's steps of a period, what needs attention first, and the LKE
//! questions they answer. Above both the steps and the LKE, which it gathers.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::periods::{self, Period, PeriodChoice, PeriodQuery};
use crate::step::{Status, StepRow};
use crate::web::{Chrome, QueryData, render};

// ---------------------------------------------------------------------------
// Tugas saya

pub struct TaskGroup {
    pub numeral: String,
    pub name: String,
    pub rows: Vec<StepRow>,
}

#[derive(Template)]
#[template(path = "step/tasks.html")]
pub(crate) struct TasksPage {
    pub(crate) chrome: Chrome,
    pub(crate) periods: PeriodChoice,
    pub(crate) period: Period,
    pub(crate) groups: Vec<TaskGroup>,
    pub(crate) total: usize,
    pub(crate) attention: usize,
    pub(crate) deadline: Option<String>,
    /// "(sudah lewat)", "(hari ini)" or "(12 hari lagi)" beside the deadline.
    pub(crate) deadline_note: String,
    /// With nothing in this period: the years where the person does hold steps.
    pub(crate) elsewhere: Vec<(i64, i64)>,
    /// The LKE questions this person answers: (year, [(id, text, answered)]).
    pub(crate) lke: Option<crate::lke::question::MyQuestions>,
}

/// Lower comes first: asked to fix, then not started, in progress, blocked, done.
pub(crate) fn attention_rank(r: &StepRow) -> u8 {
    if r.needs_fix() {
        return 0;
    }
    match r.status_key() {
        Status::Belum => 1,
        Status::Berjalan => 2,
        Status::TidakDapat => 3,
        Status::Selesai => 4,
    }
}

pub(crate) async fn my_tasks(
    State(state): State<AppState>,
    unit: crate::tenant::Unit,
    chrome: Chrome,
    user: CurrentUser,
    QueryData(q): QueryData<PeriodQuery>,
) -> AppResult<Response> {
    let period = periods::resolve(&state.db, unit.id, q.periode.as_deref()).await?;
    let rows = crate::step::period_rows(&state.db, unit.id, period, Some(user.id)).await?;
    let total = rows.len();
    let attention = rows.iter().filter(|r| attention_rank(r) <= 1).count();
    let mut groups: Vec<TaskGroup> = Vec::new();
    for r in rows {
        if groups.last().map(|g| g.numeral.as_str()) != Some(r.numeral.as_str()) {
            groups.push(TaskGroup {
                numeral: r.numeral.clone(),
                name: r.component_name.clone(),
                rows: Vec::new(),
            });
        }
        groups.last_mut().expect("pushed").rows.push(r);
    }
    for g in &mut groups {
        // stable: LKE order within the same urgency
        g.rows.sort_by_key(attention_rank);
    }
    let deadline = periods::deadline(&state.db, unit.id, period).await?;
    // a person with nothing here is told where their steps are
    let elsewhere: Vec<(i64, i64)> = if total == 0 {
        sqlx::query_as(
            "SELECT s.year, count(*) FROM step_assignments sa
             JOIN unit_steps s ON s.step_id = sa.step_id
             WHERE sa.user_id = ? AND s.unit_id = ? AND s.step_retired_at IS NULL
             GROUP BY s.year ORDER BY s.year DESC",
        )
        .bind(user.id)
        .bind(unit.id)
        .fetch_all(&state.db)
        .await?
    } else {
        Vec::new()
    };
    render(&TasksPage {
        chrome,
        periods: PeriodChoice::load(&state.db, unit.id, period).await?,
        period,
        groups,
        total,
        attention,
        deadline: deadline.map(crate::fmt::date_id),
        deadline_note: deadline
            .map(|d| {
                format!(
                    "({})",
                    crate::fmt::days_left((d - periods::today()).num_days())
                )
            })
            .unwrap_or_default(),
        elsewhere,
        lke: crate::lke::question::my_questions(&state.db, unit.id, user.id).await?,
    })
}

pub fn routes() -> Vec<crate::routes::Route> {
    use axum::routing::get;
    vec![crate::routes::Route::new(
        "GET",
        "/tugas",
        crate::routes::Access::SignedIn,
        get(my_tasks),
    )]
}
