//! The TPI's notes, as a list to follow up.

use super::sheet::*;
use super::*;

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::lke::store::{self, Side, Stored};
use crate::web::{Chrome, render};

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
                number: crate::lke::workbook::numbering(&v.master, q),
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
