//! Bobot: component weights per year for the unit's estimate.

#[allow(unused_imports)]
use crate::score::*;

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::audit::{Action, Entry};
use crate::error::AppResult;
use crate::web::Acting;
use crate::web::{Chrome, Form, QueryData, render, render_status};

// ---------------------------------------------------------------------------
// Weights (admin)

pub struct WeightRow {
    pub numeral: &'static str,
    /// The component's name in the year's targets.
    pub name: String,
    pub value: String,
}

async fn component_names(
    db: &sqlx::SqlitePool,
    unit: i64,
    year: i64,
) -> sqlx::Result<HashMap<String, String>> {
    Ok(sqlx::query_as::<_, (String, String)>(
        "SELECT numeral, name FROM components WHERE unit_id = ? AND year = ?",
    )
    .bind(unit)
    .bind(year)
    .fetch_all(db)
    .await?
    .into_iter()
    .collect())
}

#[derive(Template)]
#[template(path = "admin/weights.html")]
pub(crate) struct WeightsPage {
    pub(crate) chrome: Chrome,
    pub(crate) year: i64,
    pub(crate) years: Vec<crate::catalogue::YearOption>,
    pub(crate) rows: Vec<WeightRow>,
    pub(crate) default_weights: bool,
    pub(crate) errors: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct WeightsQuery {
    pub(crate) tahun: Option<String>,
}

pub(crate) async fn weights_page(
    State(state): State<AppState>,
    unit: crate::tenant::Unit,
    chrome: Chrome,
    QueryData(q): QueryData<WeightsQuery>,
) -> AppResult<Response> {
    let year = crate::catalogue::year_or_latest(&state.db, unit.id, q.tahun.as_deref()).await?;
    let (w, default_weights) = crate::score::weights(&state.db, year).await?;
    let names = component_names(&state.db, unit.id, year).await?;
    render(&WeightsPage {
        chrome,
        year,
        years: crate::catalogue::year_options(
            &crate::periods::target_years(&state.db, unit.id).await?,
            year,
        ),
        rows: NUMERALS
            .iter()
            .map(|n| WeightRow {
                numeral: n,
                name: names.get(*n).cloned().unwrap_or_default(),
                value: decimal(w.get(*n).copied().unwrap_or(0.0), 2).replace(",00", ""),
            })
            .collect(),
        default_weights,
        errors: Vec::new(),
    })
}

pub(crate) async fn weights_submit(
    State(state): State<AppState>,
    unit: crate::tenant::Unit,
    chrome: Chrome,
    Acting { user: _, actor }: Acting,
    Form(form): Form<HashMap<String, String>>,
) -> AppResult<Response> {
    let year =
        crate::catalogue::year_or_latest(&state.db, unit.id, form.get("tahun").map(String::as_str))
            .await?;
    let mut errors = Vec::new();
    let mut values = Vec::new();
    for n in NUMERALS {
        let raw = form
            .get(&format!("bobot_{n}"))
            .map(|s| s.trim())
            .unwrap_or("");
        match raw.replace(',', ".").parse::<f64>() {
            Ok(v) if (0.0..=100.0).contains(&v) && v.is_finite() => values.push((n, v)),
            _ => errors.push(format!("Bobot komponen {n} harus angka 0 sampai 100.")),
        }
    }
    if !errors.is_empty() {
        let names = component_names(&state.db, unit.id, year).await?;
        return render_status(
            StatusCode::BAD_REQUEST,
            &WeightsPage {
                chrome,
                year,
                years: crate::catalogue::year_options(
                    &crate::periods::target_years(&state.db, unit.id).await?,
                    year,
                ),
                rows: NUMERALS
                    .iter()
                    .map(|n| WeightRow {
                        numeral: n,
                        name: names.get(*n).cloned().unwrap_or_default(),
                        value: form.get(&format!("bobot_{n}")).cloned().unwrap_or_default(),
                    })
                    .collect(),
                default_weights: false,
                errors,
            },
        );
    }
    let (before, _) = crate::score::weights(&state.db, year).await?;
    let mut tx = crate::db::write(&state.db).await?;
    for (n, v) in &values {
        sqlx::query(
            "INSERT INTO component_weights (year, numeral, weight) VALUES (?, ?, ?)
             ON CONFLICT (year, numeral) DO UPDATE SET weight = excluded.weight",
        )
        .bind(year)
        .bind(n)
        .bind(v)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit(
        &actor,
        Entry::new(
            Action::WeightsSet,
            format!("Bobot komponen tahun {year} diatur"),
        )
        .change(
            json!(before),
            json!(
                values
                    .iter()
                    .map(|(n, v)| (n.to_string(), *v))
                    .collect::<HashMap<_, _>>()
            ),
        ),
    )
    .await?;
    Ok(Redirect::to(&format!("/admin/bobot?tahun={year}&pesan=bobot-disimpan")).into_response())
}
