//! Answering the LKE, one flow per file: the year's worksheet (`sheet`), a page per
//! question with both sides (`page`), versioned saves (`save`), PICs (`pics`), and the
//! TPI's notes as a list to follow up (`notes`). Here: what they share.

pub mod notes;
pub mod page;
pub mod pics;
pub mod save;
pub mod sheet;

pub use notes::*;
pub use page::*;
pub use pics::*;
pub use save::*;
pub use sheet::*;

use super::model::{Master, Question};
use super::pages::parse_year;
use super::store::Stored;
use super::view::{self, YearView};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};

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
