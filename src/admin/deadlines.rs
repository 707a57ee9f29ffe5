//! Periode: each period's reporting deadline.

#[allow(unused_imports)]
use crate::periods::*;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use serde_json::json;
use sqlx::SqlitePool;

use crate::AppState;
use crate::audit::{Action, Entry};
use crate::error::AppResult;
use crate::web::Acting;
use crate::web::{Chrome, Form, render, render_status};

// ---------------------------------------------------------------------------
// Admin page: deadlines

pub struct DeadlineRow {
    pub key: String,
    pub label: String,
    pub span: String,
    pub deadline: String,
    pub deadline_label: String,
}

#[derive(Template)]
#[template(path = "admin/deadlines.html")]
pub(crate) struct DeadlinesPage {
    pub(crate) chrome: Chrome,
    pub(crate) rows: Vec<DeadlineRow>,
    pub(crate) error: Option<String>,
}

pub(crate) async fn deadline_rows(db: &SqlitePool, unit: i64) -> sqlx::Result<Vec<DeadlineRow>> {
    let mut rows = Vec::new();
    for p in all(db, unit).await? {
        let d = deadline(db, unit, p).await?;
        rows.push(DeadlineRow {
            key: p.key(),
            label: p.label(),
            span: p.span_label(),
            deadline: d
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            deadline_label: d.map(crate::fmt::date_id).unwrap_or_else(|| "—".into()),
        });
    }
    Ok(rows)
}

pub(crate) async fn deadlines_page(
    State(state): State<AppState>,
    unit: crate::tenant::Unit,
    chrome: Chrome,
) -> AppResult<Response> {
    render(&DeadlinesPage {
        chrome,
        rows: deadline_rows(&state.db, unit.id).await?,
        error: None,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeadlineForm {
    pub(crate) periode: String,
    pub(crate) tenggat: String,
    /// Set by an instansi admin: the date is the instansi's default for the period.
    pub(crate) bawaan: Option<String>,
}

pub(crate) async fn deadline_submit(
    State(state): State<AppState>,
    unit: crate::tenant::Unit,
    chrome: Chrome,
    Acting { user, actor }: Acting,
    Form(form): Form<DeadlineForm>,
) -> AppResult<Response> {
    let period = resolve(&state.db, unit.id, Some(&form.periode)).await?;
    // the instansi's default applies to every unit without a date of its own
    let scope = match form.bawaan {
        Some(_) if user.is_instansi_admin() => None,
        Some(_) => return Err(crate::error::AppError::Forbidden),
        None => Some(unit.id),
    };
    let raw = form.tenggat.trim();
    let date = if raw.is_empty() {
        None
    } else {
        match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            Ok(d) if (2000..=2101).contains(&d.year()) => Some(d),
            _ => {
                let mut rows = deadline_rows(&state.db, unit.id).await?;
                for r in rows.iter_mut().filter(|r| r.key == period.key()) {
                    r.deadline = raw.chars().take(20).collect();
                }
                return render_status(
                    StatusCode::BAD_REQUEST,
                    &DeadlinesPage {
                        chrome,
                        rows,
                        error: Some(format!(
                            "Tenggat {} harus berupa tanggal yang valid (hari/bulan/tahun).",
                            period.label()
                        )),
                    },
                );
            }
        }
    };
    let before = deadline(&state.db, unit.id, period).await?;
    let mut tx = crate::db::write(&state.db).await?;
    sqlx::query("DELETE FROM period_deadlines WHERE unit_id IS ? AND year = ? AND semester = ?")
        .bind(scope)
        .bind(period.year)
        .bind(period.semester)
        .execute(&mut *tx)
        .await?;
    if let Some(d) = date {
        sqlx::query(
            "INSERT INTO period_deadlines (unit_id, year, semester, deadline) VALUES (?, ?, ?, ?)",
        )
        .bind(scope)
        .bind(period.year)
        .bind(period.semester)
        .bind(d.format("%Y-%m-%d").to_string())
        .execute(&mut *tx)
        .await?;
    }
    let actor = match scope {
        Some(_) => actor,
        None => actor.instansi_wide(),
    };
    tx.commit(
        &actor,
        Entry::new(
            Action::DeadlineSet,
            match scope {
                Some(_) => format!("Tenggat pelaporan {} diatur", period.label()),
                None => format!("Tenggat bawaan instansi {} diatur", period.label()),
            },
        )
        .change(
            json!({ "tenggat": before.map(|d| d.to_string()) }),
            json!({ "tenggat": date.map(|d| d.to_string()) }),
        ),
    )
    .await?;
    Ok(Redirect::to("/admin/periode?pesan=tenggat-disimpan").into_response())
}
