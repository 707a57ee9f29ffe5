//! The review loop: a PIC answers a fix request and sends the step back
//! ("Ajukan ulang untuk reviu"); reviewers work through the steps waiting for a
//! verdict ("Menunggu reviu"), oldest first.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use super::context::{load_step, posted_period, step_url};
use super::page::StepPage;
use crate::AppState;
use crate::audit::{Action, Entry};
use crate::error::{AppError, AppResult};
use crate::periods::Period;
use crate::step::Verdict;
use crate::web::{Acting, Chrome, Flash, Form, QueryData, render, render_status};

pub const ANSWER_MAX: usize = 1000;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ResubmitInput {
    pub(crate) periode: String,
    pub(crate) jawaban: String,
}

pub(crate) async fn resubmit(
    State(state): State<AppState>,
    chrome: Chrome,
    Acting { user, actor }: Acting,
    Path(id): Path<String>,
    Form(input): Form<ResubmitInput>,
) -> AppResult<Response> {
    let (ctx, rights) = load_step(&state, &user, &id).await?;
    if !rights.write {
        return Err(AppError::Forbidden);
    }
    let period = posted_period(&state.db, &ctx, &input.periode).await?;
    let answer = input.jawaban.trim().to_string();
    let mut errors = Vec::new();
    if answer.is_empty() {
        errors.push(
            "Tuliskan jawaban singkat atas catatan penilai: apa yang sudah diperbaiki.".to_string(),
        );
    } else if answer.chars().count() > ANSWER_MAX {
        errors.push(format!("Jawaban paling panjang {ANSWER_MAX} karakter."));
    }
    let mut tx = crate::db::write(&state.db).await?;
    if !crate::step::rights_now(&mut tx, &user, ctx.id).await?.write {
        return Err(AppError::Forbidden);
    }
    // the fix request waiting on the PIC: the standing review, not yet answered
    let standing: Option<(i64, String)> = sqlx::query_as(
        "SELECT id, verdict FROM standing_reviews
         WHERE step_id = ? AND semester = ? AND NOT resubmitted",
    )
    .bind(ctx.id)
    .bind(period.semester)
    .fetch_optional(&mut *tx)
    .await?;
    let review_id = match standing {
        Some((id, v)) if v == Verdict::Perbaikan.as_str() => Some(id),
        _ => {
            errors.push(
                "Tidak ada permintaan perbaikan yang menunggu jawaban pada periode ini."
                    .to_string(),
            );
            None
        }
    };
    let (Some(review_id), true) = (review_id, errors.is_empty()) else {
        tx.rollback().await?;
        let status = if review_id.is_none() {
            axum::http::StatusCode::CONFLICT
        } else {
            axum::http::StatusCode::BAD_REQUEST
        };
        let mut page = StepPage::build(&state, chrome, ctx, rights, period).await?;
        page.resubmit_errors = errors;
        page.resubmit_note = input.jawaban;
        return render_status(status, &page);
    };
    sqlx::query(
        "INSERT INTO resubmissions (step_id, semester, review_id, note, user_id, at)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(ctx.id)
    .bind(period.semester)
    .bind(review_id)
    .bind(&answer)
    .bind(user.id)
    .bind(crate::fmt::now_stamp())
    .execute(&mut *tx)
    .await?;
    crate::step::notices::pic_answered(
        &mut tx,
        &state,
        (user.id, &user.display_name),
        (ctx.unit_id, ctx.id, period.semester, &ctx.code()),
        (&period.label(), &step_url(ctx.id, period, None)),
        "mengajukan ulang",
    )
    .await?;
    tx.commit(
        &actor,
        Entry::new(
            Action::ReviewResubmitted,
            format!(
                "Langkah {} {} diajukan ulang untuk reviu",
                ctx.code(),
                period.label()
            ),
        )
        .object(crate::audit::Object::Step, ctx.id)
        .after(json!({"jawaban": answer})),
    )
    .await?;
    Ok(Redirect::to(&step_url(ctx.id, period, Some(Flash::DiajukanUlang))).into_response())
}

/// A step waiting for a verdict.
#[derive(sqlx::FromRow)]
pub struct Waiting {
    pub step_id: i64,
    pub year: i64,
    pub semester: i64,
    pub numeral: String,
    pub a_pos: i64,
    pub i_pos: i64,
    pub s_pos: i64,
    pub text: String,
    pub pics: Option<String>,
    /// The latest progress save or resubmission: waiting since.
    pub since: String,
    pub resubmitted: bool,
    /// The unit's code and name (the list of several units shows them).
    pub unit_code: String,
    pub unit_name: String,
}

impl Waiting {
    pub fn code(&self) -> String {
        super::step_code(&self.numeral, self.a_pos, self.i_pos, self.s_pos)
    }
    pub fn period(&self) -> Period {
        Period::new(self.year, self.semester)
    }
    pub fn when(&self) -> String {
        crate::fmt::stored_datetime_id(&self.since)
    }
    pub fn pics_label(&self) -> String {
        self.pics
            .as_deref()
            .map(|p| p.replace('\u{1f}', ", "))
            .unwrap_or_else(|| "belum ada PIC".into())
    }
    pub fn href(&self) -> String {
        format!(
            "/langkah/{}?periode={}&antrian=1",
            self.step_id,
            self.period().key()
        )
    }
    /// The same inside its unit's address, for the list of several units.
    pub fn unit_href(&self) -> String {
        format!("/u/{}{}", self.unit_code, self.href())
    }
}

/// Every step whose latest progress save or resubmission has no verdict yet, oldest
/// first (an evidence change alone does not enter it).
pub async fn waiting(db: &sqlx::SqlitePool, unit: i64) -> sqlx::Result<Vec<Waiting>> {
    waiting_in(db, &[unit]).await
}

/// The same for several units at once, oldest first across them.
pub async fn waiting_in(db: &sqlx::SqlitePool, units: &[i64]) -> sqlx::Result<Vec<Waiting>> {
    let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
        "SELECT s.step_id, s.year, p.semester, w.code AS unit_code, w.name AS unit_name, s.numeral,
                s.a_pos, s.i_pos, s.s_pos, s.step_text AS text,
                (SELECT group_concat(name, char(31)) FROM
                   (SELECT u.display_name AS name FROM step_assignments sa
                      JOIN users u ON u.id = sa.user_id
                     WHERE sa.step_id = s.step_id ORDER BY u.display_name)) AS pics,
                coalesce((SELECT max(x.at) FROM resubmissions x WHERE x.review_id = r.id),
                         p.updated_at) AS since,
                r.id IS NOT NULL AS resubmitted
         FROM progress p
         JOIN unit_steps s ON s.step_id = p.step_id
         JOIN work_units w ON w.id = s.unit_id
         LEFT JOIN standing_reviews r ON r.step_id = p.step_id AND r.semester = p.semester
         WHERE s.unit_id IN (",
    );
    let mut list = q.separated(", ");
    for unit in units {
        list.push_bind(*unit);
    }
    q.push(
        ") AND NOT s.retired
           AND (r.id IS NULL OR r.resubmitted)
         ORDER BY since, s.step_id, p.semester",
    );
    q.build_query_as().fetch_all(db).await
}

#[derive(Template)]
#[template(path = "step/queue.html")]
pub(crate) struct QueuePage {
    pub(crate) chrome: Chrome,
    pub(crate) rows: Vec<Waiting>,
    pub(crate) pager: crate::web::Pager,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct QueueQuery {
    pub(crate) halaman: Option<String>,
}

pub(crate) async fn queue_page(
    State(state): State<AppState>,
    unit: crate::tenant::Unit,
    chrome: Chrome,
    QueryData(q): QueryData<QueueQuery>,
) -> AppResult<Response> {
    let all = waiting(&state.db, unit.id).await?;
    let page = crate::web::Pager::page_from(q.halaman.as_deref());
    let pager = crate::web::Pager::new(page, 50, all.len() as i64, "/reviu".into());
    let rows = all
        .into_iter()
        .skip(pager.offset() as usize)
        .take(50)
        .collect();
    render(&QueuePage {
        chrome,
        rows,
        pager,
    })
}

#[derive(Template)]
#[template(path = "step/queue_all.html")]
pub(crate) struct AllQueuesPage {
    pub(crate) chrome: Chrome,
    pub(crate) rows: Vec<Waiting>,
    pub(crate) pager: crate::web::Pager,
    pub(crate) units: usize,
}

/// The review queues of every unit where the person evaluates (every unit for the
/// instansi's roles), in one list, oldest first.
pub(crate) async fn all_queues_page(
    State(state): State<AppState>,
    user: crate::auth::CurrentUser,
    chrome: Chrome,
    QueryData(q): QueryData<QueueQuery>,
) -> AppResult<Response> {
    let units: Vec<i64> = if user.is_instansi() {
        sqlx::query_scalar("SELECT id FROM work_units WHERE retired_at IS NULL")
            .fetch_all(&state.db)
            .await?
    } else {
        sqlx::query_scalar(
            "SELECT unit_id FROM user_units WHERE user_id = ? AND role IN ('penilai', 'pimpinan')",
        )
        .bind(user.id)
        .fetch_all(&state.db)
        .await?
    };
    if units.is_empty() {
        return Err(crate::error::AppError::Forbidden);
    }
    let all = waiting_in(&state.db, &units).await?;
    let page = crate::web::Pager::page_from(q.halaman.as_deref());
    let pager = crate::web::Pager::new(page, 50, all.len() as i64, "/reviu/semua".into());
    let rows = all
        .into_iter()
        .skip(pager.offset() as usize)
        .take(50)
        .collect();
    render(&AllQueuesPage {
        chrome,
        rows,
        pager,
        units: units.len(),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NextQuery {
    pub(crate) dari: Option<String>,
    pub(crate) periode: Option<String>,
}

/// "Berikutnya": the oldest waiting step other than the one just seen.
pub(crate) async fn next(
    State(state): State<AppState>,
    unit: crate::tenant::Unit,
    QueryData(q): QueryData<NextQuery>,
) -> AppResult<Response> {
    let from = q.dari.as_deref().and_then(|s| s.parse::<i64>().ok());
    let period = q.periode.as_deref().and_then(Period::parse_key);
    let next = waiting(&state.db, unit.id)
        .await?
        .into_iter()
        .find(|w| !(Some(w.step_id) == from && Some(w.period()) == period));
    Ok(match next {
        Some(w) => Redirect::to(&w.href()),
        None => Redirect::to("/reviu?pesan=antrean-kosong"),
    }
    .into_response())
}
