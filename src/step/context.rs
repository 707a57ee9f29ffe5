//! What every request about a step loads first: the step in its unit with the user's
//! rights, the period it is about, its current progress, and its address.

use sqlx::SqlitePool;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::periods::{self, Period};
use crate::step::{Rights, Status, StepContext};
use crate::web::parse_id;

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct ProgressRecord {
    pub id: i64,
    pub version: i64,
    pub status: Status,
    pub realization: i64,
    pub narrative: String,
    pub reason: String,
    pub updated_by: i64,
    pub updated_by_name: String,
    pub updated_at: String,
}

impl ProgressRecord {
    pub fn status_label(&self) -> &'static str {
        self.status.label()
    }
    pub fn when(&self) -> String {
        crate::fmt::stored_datetime_id(&self.updated_at)
    }
}

pub async fn current_progress(
    db: impl sqlx::SqliteExecutor<'_>,
    step_id: i64,
    semester: i64,
) -> sqlx::Result<Option<ProgressRecord>> {
    sqlx::query_as(
        "SELECT p.id, p.version, p.status, p.realization, p.narrative, p.reason,
                p.updated_by, u.display_name AS updated_by_name, p.updated_at
         FROM progress p JOIN users u ON u.id = p.updated_by
         WHERE p.step_id = ? AND p.semester = ?",
    )
    .bind(step_id)
    .bind(semester)
    .fetch_optional(db)
    .await
}

/// The step's period: the one asked for (which must lie in the step's year), else
/// the default period when it is in that year, else the year's Semester II.
pub async fn step_period(
    db: &SqlitePool,
    ctx: &StepContext,
    asked: Option<&str>,
) -> AppResult<Period> {
    match asked.map(str::trim).filter(|s| !s.is_empty()) {
        // the step's own year exists: no need to ask the database
        Some(raw) if Period::parse_key(raw).is_some_and(|p| p.year == ctx.year) => {
            Ok(Period::parse_key(raw).expect("checked"))
        }
        Some(raw) => {
            let p = periods::resolve(db, ctx.unit_id, Some(raw)).await?;
            if p.year != ctx.year {
                return Err(AppError::NotFoundWith(format!(
                    "Langkah aksi ini termasuk target tahun {}; periode {} bukan miliknya.",
                    ctx.year,
                    p.label()
                )));
            }
            Ok(p)
        }
        None => Ok(match periods::default_period(db, ctx.unit_id).await? {
            Some(p) if p.year == ctx.year => p,
            _ => Period::new(ctx.year, 2),
        }),
    }
}

pub async fn load_step(
    state: &AppState,
    user: &CurrentUser,
    raw_id: &str,
) -> AppResult<(StepContext, Rights)> {
    let id = parse_id(raw_id)?;
    let unit = user.unit.as_ref().ok_or(AppError::NotFound)?.id;
    let ctx = crate::step::context(&state.db, unit, id, user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let rights = crate::step::rights(user, &ctx);
    if !rights.read {
        return Err(AppError::Forbidden);
    }
    Ok((ctx, rights))
}

/// Resolves the period of a form post: its `periode` field must be in the step's year.
pub async fn posted_period(db: &SqlitePool, ctx: &StepContext, raw: &str) -> AppResult<Period> {
    if raw.trim().is_empty() {
        return Err(AppError::BadRequest(
            "Periode tidak disertakan. Muat ulang halaman, lalu kirim kembali.".into(),
        ));
    }
    step_period(db, ctx, Some(raw)).await
}

pub fn step_url(step_id: i64, period: Period, flash: Option<crate::web::Flash>) -> String {
    let mut params = vec![("periode", period.key())];
    if let Some(f) = flash {
        params.push(("pesan", f.key().to_string()));
    }
    crate::web::query_string(&format!("/langkah/{step_id}"), &params)
}
