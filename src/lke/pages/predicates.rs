//! The unit's predicates (admin).

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use crate::AppState;
use crate::error::AppResult;
use crate::lke::store::{self};
use crate::lke::view::points;
use crate::web::Acting;
use crate::web::{Chrome, render, render_status};

pub struct PredicateRow {
    pub year: i64,
    pub predicate: String,
    pub tpn_score: String,
    pub notes: String,
}

#[derive(Template)]
#[template(path = "lke/predicates.html")]
pub(crate) struct PredicatesPage {
    pub(crate) chrome: Chrome,
    pub(crate) rows: Vec<PredicateRow>,
    pub(crate) form_year: String,
    pub(crate) form_predicate: String,
    pub(crate) form_score: String,
    pub(crate) form_notes: String,
    pub(crate) errors: Vec<String>,
}

pub const PREDICATES: [(&str, &str); 3] = [
    ("WBK", "WBK"),
    ("WBBM", "WBBM"),
    ("TIDAK", "Tidak memperoleh predikat"),
];

pub(crate) async fn predicate_rows(
    db: &sqlx::SqlitePool,
    unit: i64,
) -> sqlx::Result<Vec<PredicateRow>> {
    Ok(store::predicates(db, unit)
        .await?
        .into_iter()
        .map(|p| PredicateRow {
            year: p.year,
            predicate: PREDICATES
                .iter()
                .find(|(k, _)| *k == p.predicate)
                .map_or(p.predicate.clone(), |(_, l)| (*l).to_string()),
            tpn_score: p.tpn_score.map(points).unwrap_or_else(|| "—".into()),
            notes: p.notes,
        })
        .collect())
}

pub(crate) async fn predicates_page(
    State(state): State<AppState>,
    unit: crate::tenant::Unit,
    chrome: Chrome,
) -> AppResult<Response> {
    render(&PredicatesPage {
        chrome,
        rows: predicate_rows(&state.db, unit.id).await?,
        form_year: String::new(),
        form_predicate: "WBK".into(),
        form_score: String::new(),
        form_notes: String::new(),
        errors: Vec::new(),
    })
}

pub(crate) async fn predicate_submit(
    State(state): State<AppState>,
    unit: crate::tenant::Unit,
    chrome: Chrome,
    Acting { user, actor }: Acting,
    crate::web::Form(form): crate::web::Form<HashMap<String, String>>,
) -> AppResult<Response> {
    let field = |k: &str| {
        form.get(k)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let mut errors = Vec::new();
    let year = field("tahun")
        .parse::<i64>()
        .ok()
        .filter(|y| (2000..=2100).contains(y));
    if year.is_none() {
        errors.push("Isi tahun predikat, mis. 2024.".to_string());
    }
    let predicate = field("predikat");
    if !PREDICATES.iter().any(|(k, _)| *k == predicate) {
        errors.push("Pilih predikat: WBK, WBBM, atau tidak memperoleh predikat.".to_string());
    }
    let score_raw = field("nilai_tpn");
    let score = if score_raw.is_empty() {
        None
    } else {
        match score_raw.replace(',', ".").parse::<f64>() {
            Ok(x) if (0.0..=100.0).contains(&x) => Some(x),
            _ => {
                errors.push("Nilai TPN harus angka 0 sampai 100, mis. 78,25.".to_string());
                None
            }
        }
    };
    let notes = field("catatan");
    if notes.chars().count() > 1000 {
        errors.push("Catatan paling panjang 1000 karakter.".to_string());
    }
    let (Some(year), true) = (year, errors.is_empty()) else {
        return render_status(
            StatusCode::BAD_REQUEST,
            &PredicatesPage {
                chrome,
                rows: predicate_rows(&state.db, unit.id).await?,
                form_year: field("tahun"),
                form_predicate: predicate,
                form_score: score_raw,
                form_notes: notes,
                errors,
            },
        );
    };
    store::save_predicate(
        &state.db,
        &actor,
        unit.id,
        user.id,
        &store::Predicate {
            year,
            predicate,
            tpn_score: score,
            notes,
        },
    )
    .await?;
    Ok(Redirect::to("/admin/predikat?pesan=predikat-disimpan").into_response())
}
