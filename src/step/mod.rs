//! An action step: its place in the catalogue, who may do what with it, its
//! status and verdict words, the per-period rows several pages list, and its pages
//! (the step page, saving progress, review, Tugas saya).

pub use crate::fmt::now_stamp;
pub use context::{
    ProgressRecord, current_progress, load_step, posted_period, step_period, step_url,
};
pub use page::StepPage;
pub use status::{Status, Verdict, verdict_label};

pub mod context;
pub mod evidence;
pub mod notices;
pub mod page;
pub mod progress;
pub mod questions;
pub mod queue;
pub mod review;
pub mod status;
pub mod upload;
#[allow(unused_imports)]
pub use evidence::*;
#[allow(unused_imports)]
pub use page::*;
#[allow(unused_imports)]
pub use progress::*;
#[allow(unused_imports)]
pub use review::*;
use sqlx::SqlitePool;

use crate::auth::{CurrentUser, Role};
use crate::periods::Period;
use crate::routes::{Access, Route};

pub use crate::fmt::step_code;

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct StepContext {
    pub id: i64,
    pub position: i64,
    pub text: String,
    pub authority_text: String,
    pub indicator_id: i64,
    pub i_pos: i64,
    pub indicator_text: String,
    pub area_id: i64,
    pub a_pos: i64,
    pub area_name: String,
    pub component_id: i64,
    pub numeral: String,
    pub component_name: String,
    pub year: i64,
    /// The work unit whose targets hold the step.
    pub unit_id: i64,
    /// The step, its indicator or its area is retired: kept for history, no new work.
    pub retired: bool,
    /// The user who asked holds this step (read in the same query).
    pub assigned: bool,
}

impl StepContext {
    /// LKE-style code: "I.1.a.1".
    pub fn code(&self) -> String {
        step_code(&self.numeral, self.a_pos, self.i_pos, self.position)
    }
}

/// A step of the unit in its catalogue context, and whether `user_id` holds it: one
/// query for everything a request about a step needs to decide rights. Another
/// unit's step is `None`, like one that does not exist.
pub async fn context<'e>(
    db: impl sqlx::SqliteExecutor<'e>,
    unit: i64,
    step_id: i64,
    user_id: i64,
) -> sqlx::Result<Option<StepContext>> {
    sqlx::query_as(
        "SELECT s.step_id AS id, s.s_pos AS position, s.step_text AS text, s.authority_text,
                s.indicator_id, s.i_pos, s.indicator_text, s.area_id, s.a_pos, s.area_name,
                s.component_id, s.numeral, s.component_name, s.year, s.unit_id, s.retired,
                EXISTS (SELECT 1 FROM step_assignments sa
                         WHERE sa.step_id = s.step_id AND sa.user_id = ?2) AS assigned
         FROM unit_steps s
         WHERE s.step_id = ?1 AND s.unit_id = ?3",
    )
    .bind(step_id)
    .bind(user_id)
    .bind(unit)
    .fetch_optional(db)
    .await
}

/// The user's rights on a step as the write's own transaction reads them: each step
/// write calls this after `db::write`, so an unassignment (or a retirement) committed
/// between the page's read and the save refuses the save. A step gone from the unit
/// is "not found".
pub async fn rights_now(
    conn: &mut sqlx::SqliteConnection,
    user: &CurrentUser,
    step_id: i64,
) -> Result<Rights, crate::error::AppError> {
    let unit = user
        .unit
        .as_ref()
        .ok_or(crate::error::AppError::NotFound)?
        .id;
    let now = context(&mut *conn, unit, step_id, user.id)
        .await?
        .ok_or(crate::error::AppError::NotFound)?;
    Ok(rights(user, &now))
}

/// What a user may do with one step.
#[derive(Clone, Copy, Debug, Default)]
pub struct Rights {
    pub read: bool,
    pub write: bool,
    pub review: bool,
    pub assign: bool,
}

/// Staff read and update only the steps assigned to them; leadership and reviewers
/// read everything. Duties stay separate: only staff are PICs and write progress,
/// and nobody reviews a step they hold.
pub fn rights(user: &CurrentUser, ctx: &StepContext) -> Rights {
    let assigned = ctx.assigned;
    let retired = ctx.retired;
    Rights {
        read: user.role != Role::Staf || assigned,
        // a retired step keeps its history but takes no new work
        write: assigned && user.role == Role::Staf && !retired,
        review: user.is(&[Role::Penilai, Role::Pimpinan]) && !assigned,
        assign: user.is(&[Role::Admin, Role::Pimpinan]),
    }
}

/// One step in one period, with everything the lists show.
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct StepRow {
    pub step_id: i64,
    pub s_pos: i64,
    pub step_text: String,
    pub authority: String,
    pub indicator_id: i64,
    pub i_pos: i64,
    pub indicator_text: String,
    pub area_id: i64,
    pub a_pos: i64,
    pub area_name: String,
    pub component_id: i64,
    pub c_pos: i64,
    pub numeral: String,
    pub component_name: String,
    pub status: Option<Status>,
    pub realization: Option<i64>,
    pub narrative: Option<String>,
    /// Why the step cannot be carried out (with "Tidak dapat dilaksanakan").
    pub reason: Option<String>,
    pub version: Option<i64>,
    pub updated_at: Option<String>,
    pub evidence_count: i64,
    /// The verdict on the current progress version, if any.
    pub verdict: Option<Verdict>,
    pub review_note: Option<String>,
    /// The PIC answered the fix request and sent the step back for review.
    pub resubmitted: bool,
    pub pics: Option<String>,
}

impl StepRow {
    pub fn code(&self) -> String {
        step_code(&self.numeral, self.a_pos, self.i_pos, self.s_pos)
    }
    /// The status, "Belum dimulai" while nothing was saved.
    pub fn status_key(&self) -> Status {
        self.status.unwrap_or(Status::Belum)
    }
    pub fn status_label(&self) -> &'static str {
        self.status_key().label()
    }
    pub fn verdict_label(&self) -> &'static str {
        if self.resubmitted {
            return "Diajukan ulang, menunggu reviu";
        }
        verdict_label(self.verdict, self.version.is_some())
    }
    /// The reason for "Tidak dapat dilaksanakan", when that is the status.
    pub fn blocked_reason(&self) -> Option<&str> {
        (self.status_key() == Status::TidakDapat)
            .then_some(self.reason.as_deref())
            .flatten()
            .filter(|r| !r.trim().is_empty())
    }
    /// The narrative, with the reason for "Tidak dapat dilaksanakan" after it: what
    /// the exports and the print view show.
    pub fn narrative_with_reason(&self) -> String {
        let narrative = self.narrative.clone().unwrap_or_default();
        match self.blocked_reason() {
            Some(r) if narrative.is_empty() => format!("Alasan tidak dapat dilaksanakan: {r}"),
            Some(r) => format!("{narrative}\nAlasan tidak dapat dilaksanakan: {r}"),
            None => narrative,
        }
    }
    pub fn realization_value(&self) -> i64 {
        self.realization.unwrap_or(0)
    }
    pub fn needs_fix(&self) -> bool {
        self.verdict == Some(Verdict::Perbaikan)
    }
    pub fn pics_label(&self) -> String {
        self.pics
            .as_deref()
            .map(|p| p.replace('\u{1f}', ", "))
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "belum ada PIC".into())
    }
}

/// Every step of the period's year with its state in that period, in LKE order.
/// With `only_user`, just the steps assigned to that user.
pub async fn period_rows(
    db: &SqlitePool,
    unit: i64,
    period: Period,
    only_user: Option<i64>,
) -> sqlx::Result<Vec<StepRow>> {
    sqlx::query_as(
        "SELECT s.step_id, s.s_pos, s.step_text, s.authority_text AS authority,
                s.indicator_id, s.i_pos, s.indicator_text, s.area_id, s.a_pos, s.area_name,
                s.component_id, s.c_pos, s.numeral, s.component_name,
                p.status, p.realization, p.narrative, p.reason, p.version, p.updated_at,
                (SELECT count(*) FROM evidence e
                  WHERE e.step_id = s.step_id AND e.semester = ?2 AND e.removed_at IS NULL) AS evidence_count,
                CASE WHEN r.resubmitted THEN NULL ELSE r.verdict END AS verdict,
                r.note AS review_note,
                coalesce(r.resubmitted, 0) AS resubmitted,
                (SELECT group_concat(name, char(31)) FROM
                   (SELECT u.display_name AS name FROM step_assignments sa
                      JOIN users u ON u.id = sa.user_id
                     WHERE sa.step_id = s.step_id ORDER BY u.display_name)) AS pics
         FROM unit_steps s
         LEFT JOIN progress p ON p.step_id = s.step_id AND p.semester = ?2
         LEFT JOIN standing_reviews r ON r.step_id = s.step_id AND r.semester = ?2
         WHERE s.unit_id = ?4 AND s.year = ?1 AND NOT s.retired
           AND (?3 IS NULL OR EXISTS (SELECT 1 FROM step_assignments x
                                       WHERE x.step_id = s.step_id AND x.user_id = ?3))
         ORDER BY s.c_pos, s.a_pos, s.i_pos, s.s_pos",
    )
    .bind(period.year)
    .bind(period.semester)
    .bind(only_user)
    .bind(unit)
    .fetch_all(db)
    .await
}

pub fn routes() -> Vec<Route> {
    use axum::routing::{get, post};
    vec![
        Route::new(
            "POST",
            "/langkah/{id}/soal",
            Access::Roles(&[Role::Admin]),
            post(questions::set_from_step),
        ),
        Route::new(
            "GET",
            "/reviu",
            Access::Roles(&[Role::Penilai, Role::Pimpinan]),
            get(queue::queue_page),
        ),
        Route::new(
            "GET",
            "/reviu/berikutnya",
            Access::Roles(&[Role::Penilai, Role::Pimpinan]),
            get(queue::next),
        ),
        // the queues of every unit where the person evaluates (decided inside)
        Route::new(
            "GET",
            "/reviu/semua",
            Access::SignedIn,
            get(queue::all_queues_page),
        ),
        Route::new(
            "POST",
            "/langkah/{id}/ajukan",
            Access::Roles(&[Role::Staf]),
            post(queue::resubmit),
        ),
        Route::new(
            "GET",
            "/langkah/{id}",
            Access::SignedIn,
            get(page::step_page),
        ),
        Route::new(
            "POST",
            "/langkah/{id}/progres",
            Access::SignedIn,
            post(progress::save_progress),
        ),
        Route::new(
            "POST",
            "/langkah/{id}/reviu",
            Access::Roles(&[Role::Penilai, Role::Pimpinan]),
            post(review::save_review),
        ),
    ]
}

pub fn evidence_routes(config: &crate::Config) -> Vec<Route> {
    use axum::routing::{get, post};
    // The upload route alone takes large bodies; a little room for the form fields.
    let upload_limit = config.max_upload_bytes as usize + 256 * 1024;
    vec![
        Route::new(
            "POST",
            "/langkah/{id}/bukti",
            Access::SignedIn,
            post(upload::upload),
        )
        .with_body_limit(upload_limit),
        Route::new(
            "POST",
            "/langkah/{id}/tautan",
            Access::SignedIn,
            post(evidence::add_link),
        ),
        Route::new(
            "GET",
            "/bukti/{id}/unduh",
            Access::SignedIn,
            get(evidence::download),
        ),
        Route::new(
            "GET",
            "/bukti/{id}/lihat",
            Access::SignedIn,
            get(evidence::view),
        ),
        Route::new(
            "GET",
            "/bukti/{id}/hapus",
            Access::SignedIn,
            get(evidence::remove_confirm),
        ),
        Route::new(
            "POST",
            "/bukti/{id}/hapus",
            Access::SignedIn,
            post(evidence::remove),
        ),
        Route::new(
            "POST",
            "/bukti/{id}/pulihkan",
            Access::SignedIn,
            post(evidence::restore),
        ),
    ]
}
