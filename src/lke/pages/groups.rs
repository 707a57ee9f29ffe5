//! Count groups: the formulas of the questions answered with counts.

use super::*;

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use crate::AppState;
use crate::auth::{CurrentUser, Role};
use crate::error::{AppError, AppResult};
use crate::lke::model::Formula;
use crate::lke::store::{self, Side};
use crate::lke::view::{YearView, points};
use crate::web::Acting;
use crate::web::{Chrome, render, render_status};

pub struct GroupRow {
    pub id: i64,
    pub label: String,
    pub area: String,
    pub formula: &'static str,
    pub ratio: bool,
    pub numerator: String,
    pub denominator: String,
    pub stated: bool,
    pub tpi_value: String,
    pub unit_value: String,
    pub inputs: Vec<(i64, String, String, String)>,
}

#[derive(Template)]
#[template(path = "lke/groups.html")]
pub(crate) struct GroupsPage {
    pub(crate) chrome: Chrome,
    pub(crate) year: i64,
    pub(crate) groups: Vec<GroupRow>,
    pub(crate) is_admin: bool,
    /// The group whose form failed, with its messages.
    pub(crate) failed: Option<i64>,
    pub(crate) errors: Vec<String>,
}

impl GroupsPage {
    fn failed_here(&self, id: impl std::borrow::Borrow<i64>) -> bool {
        self.failed == Some(*id.borrow())
    }
}

pub(crate) fn ids_text(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn group_rows(v: &YearView) -> Vec<GroupRow> {
    let value = |s: &crate::lke::score::Score, id: i64| match s.group_values.get(&id) {
        Some(Some(x)) => format!("{} %", points(x * 100.0)),
        _ => "belum lengkap".into(),
    };
    v.master
        .groups
        .iter()
        .map(|g| GroupRow {
            id: g.id,
            label: g.label.clone(),
            area: v
                .master
                .node(g.node_id)
                .map(|n| n.name.clone())
                .unwrap_or_default(),
            formula: match g.formula {
                Formula::Ratio => "jumlah pembilang ÷ jumlah penyebut",
                Formula::Decrease => "(tahun lalu − tahun ini) ÷ tahun lalu, paling kecil 0",
            },
            ratio: g.formula == Formula::Ratio,
            numerator: ids_text(&g.numerator),
            denominator: ids_text(&g.denominator),
            stated: g.stated,
            tpi_value: value(&v.tpi, g.id),
            unit_value: value(&v.unit, g.id),
            inputs: g
                .inputs()
                .filter_map(|id| {
                    let q = v.master.question(id)?;
                    Some((
                        id,
                        q.text.clone(),
                        v.answer_label(id, Side::Unit),
                        v.answer_label(id, Side::Tpi),
                    ))
                })
                .collect(),
        })
        .collect()
}

pub(crate) async fn groups_page(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
    Path(year): Path<String>,
) -> AppResult<Response> {
    let v = year_view(&state, &user, &year).await?;
    render(&GroupsPage {
        year: v.master.year,
        groups: group_rows(&v),
        is_admin: user.is(&[Role::Admin]),
        failed: None,
        errors: Vec::new(),
        chrome,
    })
}

pub(crate) async fn group_submit(
    State(state): State<AppState>,
    chrome: Chrome,
    Acting { user, actor }: Acting,
    Path((year, id)): Path<(String, String)>,
    crate::web::Form(form): crate::web::Form<HashMap<String, String>>,
) -> AppResult<Response> {
    let v = year_view(&state, &user, &year).await?;
    let id = crate::web::parse_id(&id)?;
    let Some(group) = v.master.groups.iter().find(|g| g.id == id) else {
        return Err(AppError::NotFound);
    };
    let field = |k: &str| {
        form.get(k)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let mut errors = Vec::new();
    let formula = Formula::parse(&field("rumus")).unwrap_or_else(|| {
        errors.push("Pilih rumus: rasio atau penurunan.".to_string());
        group.formula
    });
    let mut list = |name: &str, label: &str| -> Vec<i64> {
        let raw = field(name);
        let mut out = Vec::new();
        for part in raw.split(|c: char| c == ',' || c.is_whitespace()) {
            if part.is_empty() {
                continue;
            }
            match part.parse::<i64>() {
                Ok(n) => out.push(n),
                Err(_) => errors.push(format!("{label}: \"{part}\" bukan nomor soal.")),
            }
        }
        if out.is_empty() && raw.is_empty() {
            errors.push(format!("{label}: isi sedikitnya satu nomor soal."));
        }
        out
    };
    let numerator = list("pembilang", "Pembilang");
    let denominator = list("penyebut", "Penyebut");
    let stated = field("dasar") == "tertulis";
    let mut changed = group.clone();
    changed.formula = formula;
    changed.numerator = numerator;
    changed.denominator = denominator;
    changed.stated = stated;
    if errors.is_empty() {
        let mut all = v.master.groups.clone();
        if let Some(g) = all.iter_mut().find(|g| g.id == id) {
            *g = changed.clone();
        }
        errors.extend(crate::lke::model::check_groups(&v.master, &all));
    }
    if !errors.is_empty() {
        let mut groups = group_rows(&v);
        if let Some(row) = groups.iter_mut().find(|g| g.id == id) {
            row.ratio = Formula::parse(&field("rumus")) != Some(Formula::Decrease);
            row.numerator = field("pembilang");
            row.denominator = field("penyebut");
            row.stated = stated;
        }
        return render_status(
            StatusCode::BAD_REQUEST,
            &GroupsPage {
                year: v.master.year,
                groups,
                is_admin: true,
                failed: Some(id),
                errors,
                chrome,
            },
        );
    }
    store::save_group(&state.db, &actor, v.master.year, group, &changed).await?;
    Ok(Redirect::to(&format!(
        "/lke/{}/kelompok?pesan=kelompok-disimpan#kelompok-{id}",
        v.master.year
    ))
    .into_response())
}
