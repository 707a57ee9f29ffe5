//! The LKE pages, one flow per file: the year's scores and readiness (`overview`), the
//! workbook both ways (`xlsx`), the count groups' formulas (`groups`), the unit's
//! predicates (`predicates`) and loading a master (`master`). Here: what they share.

pub mod groups;
pub mod master;
pub mod overview;
pub mod predicates;
pub mod xlsx;

pub use groups::*;
pub(crate) use master::*;
pub use overview::*;
pub use predicates::*;
pub(crate) use xlsx::*;

use super::view::{self, YearView};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};

/// Largest workbook or master file accepted.
pub const UPLOAD_MAX_BYTES: usize = 5 * 1024 * 1024;

/// The label every score carries: the unit's own computation, not the TPN's.
pub const OWN_COMPUTATION: &str =
    "Perhitungan unit sendiri dengan rumus PermenPAN-RB 90/2021, bukan keputusan TPN.";

pub(crate) fn parse_year(raw: &str) -> AppResult<i64> {
    raw.parse::<i64>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .ok_or(AppError::NotFound)
}

async fn year_view(
    state: &AppState,
    user: &CurrentUser,
    year: &str,
) -> AppResult<std::sync::Arc<YearView>> {
    let year = parse_year(year)?;
    let unit = user.unit.as_ref().ok_or(AppError::NotFound)?.id;
    view::cached(state, unit, year).await?.ok_or_else(|| {
        AppError::NotFoundWith(format!(
            "Tahun {year} belum punya master LKE. Admin dapat memuatnya di halaman Master LKE."
        ))
    })
}
