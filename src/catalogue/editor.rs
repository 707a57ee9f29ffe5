//! Kelola Target: the editor page and adding items.

#[allow(unused_imports)]
use super::*;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;
use sqlx::SqlitePool;

use crate::AppState;
use crate::audit::{Action, Entry};
use crate::catalogue::{self, Catalogue, YearOption};
use crate::error::{AppError, AppResult};
use crate::web::Acting;
use crate::web::{Chrome, Form, QueryData, render, render_status};

// ---------------------------------------------------------------------------
// The editor

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Area,
    Indicator,
    Step,
}

impl Kind {
    pub(crate) fn parse(s: &str) -> AppResult<Kind> {
        match s {
            "area" => Ok(Kind::Area),
            "indikator" => Ok(Kind::Indicator),
            "langkah" => Ok(Kind::Step),
            _ => Err(AppError::NotFound),
        }
    }
    pub fn slug(self) -> &'static str {
        match self {
            Kind::Area => "area",
            Kind::Indicator => "indikator",
            Kind::Step => "langkah",
        }
    }
    /// What the audit trail names this kind of item.
    pub fn object(self) -> crate::audit::Object {
        match self {
            Kind::Area => crate::audit::Object::Area,
            Kind::Indicator => crate::audit::Object::Indicator,
            Kind::Step => crate::audit::Object::Step,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Kind::Area => "Area",
            Kind::Indicator => "Indikator",
            Kind::Step => "Langkah aksi",
        }
    }
    pub(crate) fn table(self) -> &'static str {
        match self {
            Kind::Area => "areas",
            Kind::Indicator => "indicators",
            Kind::Step => "action_steps",
        }
    }
    pub(crate) fn text_column(self) -> &'static str {
        match self {
            Kind::Area => "name",
            _ => "text",
        }
    }
    pub(crate) fn parent_column(self) -> &'static str {
        match self {
            Kind::Area => "component_id",
            Kind::Indicator => "area_id",
            Kind::Step => "indicator_id",
        }
    }
}

/// The year an item of the unit belongs to; `None` for another unit's item.
/// A unit's item: its target year and its component's numeral (for the way back to
/// it). Another unit's item is `None`, like one that does not exist.
pub(crate) async fn item_place(
    db: &SqlitePool,
    unit: i64,
    kind: Kind,
    id: i64,
) -> sqlx::Result<Option<(i64, String)>> {
    let sql = match kind {
        Kind::Area => "SELECT year, numeral FROM unit_areas WHERE area_id = ? AND unit_id = ?",
        Kind::Indicator => {
            "SELECT year, numeral FROM unit_indicators WHERE indicator_id = ? AND unit_id = ?"
        }
        Kind::Step => "SELECT year, numeral FROM unit_steps WHERE step_id = ? AND unit_id = ?",
    };
    sqlx::query_as(sql)
        .bind(id)
        .bind(unit)
        .fetch_optional(db)
        .await
}

pub(crate) fn check_text(label: &str, text: &str) -> Option<String> {
    let n = text.trim().chars().count();
    if n == 0 {
        Some(format!("{label} wajib diisi."))
    } else if n > TEXT_MAX {
        Some(format!(
            "{label} maksimal {TEXT_MAX} karakter (sekarang {n})."
        ))
    } else {
        None
    }
}

#[derive(Template)]
#[template(path = "catalogue/editor/editor.html")]
pub(crate) struct EditorPage {
    pub(crate) chrome: Chrome,
    /// Only the component shown: the whole year is too long for one page.
    pub(crate) catalogue: Catalogue,
    /// Every component of the year: (numeral, name, shown).
    pub(crate) components: Vec<(String, String, bool)>,
    pub(crate) years: Vec<YearOption>,
    pub(crate) error: Option<String>,
}

/// `?tahun=Y&komponen=II` on Kelola Target.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EditorQuery {
    pub(crate) tahun: Option<String>,
    pub(crate) komponen: Option<String>,
}

/// Where the editor shows an item again after a change: its component's page, at the item.
/// The editor's page of the item's component, scrolled to the item.
pub(crate) fn back_to_item(kind: Kind, id: i64, year: i64, numeral: &str) -> String {
    format!(
        "/admin/target?tahun={year}&komponen={numeral}&pesan=target-disimpan#item-{}-{id}",
        kind.slug()
    )
}

pub(crate) async fn editor_page(
    state: &AppState,
    chrome: Chrome,
    unit: i64,
    year: i64,
    component: Option<&str>,
    error: Option<String>,
) -> AppResult<EditorPage> {
    let mut catalogue = catalogue::load(&state.db, unit, year)
        .await?
        .ok_or_else(|| AppError::NotFoundWith(format!("Tahun target {year} tidak ada.")))?;
    let shown = component
        .filter(|n| catalogue.components.iter().any(|c| c.numeral == *n))
        .map(str::to_string)
        .or_else(|| catalogue.components.first().map(|c| c.numeral.clone()))
        .unwrap_or_default();
    let components = catalogue
        .components
        .iter()
        .map(|c| (c.numeral.clone(), c.name.clone(), c.numeral == shown))
        .collect();
    catalogue.components.retain(|c| c.numeral == shown);
    Ok(EditorPage {
        chrome,
        years: catalogue::year_options(&crate::periods::target_years(&state.db, unit).await?, year),
        catalogue,
        components,
        error,
    })
}

pub(crate) async fn editor(
    State(state): State<AppState>,
    unit: crate::tenant::Unit,
    chrome: Chrome,
    QueryData(q): QueryData<EditorQuery>,
) -> AppResult<Response> {
    let year = year_or_latest(&state.db, unit.id, q.tahun.as_deref()).await?;
    render(&editor_page(&state, chrome, unit.id, year, q.komponen.as_deref(), None).await?)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AddInput {
    pub(crate) parent_id: String,
    pub(crate) text: String,
    pub(crate) authority: String,
}

pub(crate) async fn add_item(
    State(state): State<AppState>,
    unit: crate::tenant::Unit,
    chrome: Chrome,
    Acting { user: _, actor }: Acting,
    Path(jenis): Path<String>,
    Form(input): Form<AddInput>,
) -> AppResult<Response> {
    let kind = Kind::parse(&jenis)?;
    let parent = input
        .parent_id
        .trim()
        .parse::<i64>()
        .map_err(|_| AppError::BadRequest("Induk tidak dikenal.".into()))?;
    let parent_place = match kind {
        Kind::Area => {
            sqlx::query_as("SELECT year, numeral FROM components WHERE id = ? AND unit_id = ?")
                .bind(parent)
                .bind(unit.id)
                .fetch_optional(&state.db)
                .await?
        }
        Kind::Indicator => item_place(&state.db, unit.id, Kind::Area, parent).await?,
        Kind::Step => item_place(&state.db, unit.id, Kind::Indicator, parent).await?,
    };
    // another unit's item is as unknown as one that does not exist
    let Some((year, numeral)) = parent_place else {
        return Err(AppError::NotFound);
    };
    let mut problems: Vec<String> = check_text(kind.label(), &input.text).into_iter().collect();
    if kind == Kind::Step {
        problems.extend(check_text("Kewenangan", &input.authority));
    }
    if !problems.is_empty() {
        // A page of its own, so what the admin typed is kept beside the message.
        return render_status(
            StatusCode::BAD_REQUEST,
            &EditPage {
                chrome,
                kind,
                id: 0,
                parent_id: Some(parent),
                year,
                text: input.text,
                authority: input.authority,
                questions: String::new(),
                units: Vec::new(),
                errors: problems,
            },
        );
    }
    let text = input.text.trim().to_string();
    let mut tx = crate::db::write(&state.db).await?;
    let sql = format!(
        "INSERT INTO {t} ({p}, position, {c}{extra}) VALUES (?, (SELECT coalesce(max(position), 0) + 1 FROM {t} WHERE {p} = ?), ?{extra_q}) RETURNING id",
        t = kind.table(),
        p = kind.parent_column(),
        c = kind.text_column(),
        extra = if kind == Kind::Step {
            ", authority_text"
        } else {
            ""
        },
        extra_q = if kind == Kind::Step { ", ?" } else { "" },
    );
    let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
        .bind(parent)
        .bind(parent)
        .bind(&text);
    if kind == Kind::Step {
        q = q.bind(input.authority.trim());
    }
    let id = q.fetch_one(&mut *tx).await?;
    if kind == Kind::Step {
        let units = units_named(&mut tx, input.authority.trim()).await?;
        link_units(&mut tx, id, &units).await?;
    }
    tx.commit(
        &actor,
        Entry::new(
            Action::TargetAdded,
            format!("{} baru ditambahkan ke target {year}", kind.label()),
        )
        .object(kind.object(), id)
        .after(json!({"teks": text, "kewenangan": input.authority.trim()})),
    )
    .await?;
    // back to the new item, on its component's page
    Ok(Redirect::to(&back_to_item(kind, id, year, &numeral)).into_response())
}

pub struct UnitChoice {
    pub id: i64,
    pub name: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "catalogue/editor/edit.html")]
pub(crate) struct EditPage {
    pub(crate) chrome: Chrome,
    pub(crate) kind: Kind,
    pub(crate) id: i64,
    /// Set when adding a new item under this parent (then `id` is unused).
    pub(crate) parent_id: Option<i64>,
    pub(crate) year: i64,
    pub(crate) text: String,
    pub(crate) authority: String,
    /// The LKE questions a step serves, "12; 13".
    pub(crate) questions: String,
    pub(crate) units: Vec<UnitChoice>,
    pub(crate) errors: Vec<String>,
}
