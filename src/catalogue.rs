//! The target catalogue of a year: components > areas > indicators > action steps,
//! with the authority of each step. Read-only pages and the CSV export.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sqlx::SqlitePool;

use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::routes::{Access, Route};
use crate::web::{Chrome, QueryData, render};

pub fn routes() -> Vec<Route> {
    use axum::routing::get;
    vec![
        Route::new("GET", "/katalog", Access::SignedIn, get(overview)),
        Route::new(
            "GET",
            "/katalog/komponen/{id}",
            Access::SignedIn,
            get(component_page),
        ),
        Route::new(
            "GET",
            "/katalog/ekspor.csv",
            Access::SignedIn,
            get(export_download),
        ),
    ]
}

// ---------------------------------------------------------------------------
// Model

#[derive(Debug, Clone)]
pub struct Catalogue {
    pub year: i64,
    pub components: Vec<Component>,
}

#[derive(Debug, Clone)]
pub struct Component {
    pub id: i64,
    pub position: i64,
    pub numeral: String,
    pub name: String,
    pub areas: Vec<Area>,
}

#[derive(Debug, Clone)]
pub struct Area {
    pub id: i64,
    pub position: i64,
    pub name: String,
    pub retired: bool,
    pub indicators: Vec<Indicator>,
}

#[derive(Debug, Clone)]
pub struct Indicator {
    pub id: i64,
    pub position: i64,
    pub text: String,
    pub retired: bool,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone)]
pub struct Step {
    pub id: i64,
    pub position: i64,
    pub text: String,
    pub authority_text: String,
    pub retired: bool,
    pub units: Vec<String>,
}

impl Component {
    pub fn active_areas(&self) -> impl Iterator<Item = &Area> {
        self.areas.iter().filter(|a| !a.retired)
    }
    pub fn area_count(&self) -> usize {
        self.active_areas().count()
    }
    pub fn indicator_count(&self) -> usize {
        self.active_areas().map(Area::indicator_count).sum()
    }
    pub fn step_count(&self) -> usize {
        self.active_areas().map(Area::step_count).sum()
    }
}

impl Indicator {
    pub fn letter(&self) -> String {
        indicator_letter(self.position)
    }
}

impl Area {
    pub fn active_indicators(&self) -> impl Iterator<Item = &Indicator> {
        self.indicators.iter().filter(|i| !i.retired)
    }
    pub fn indicator_count(&self) -> usize {
        self.active_indicators().count()
    }
    pub fn step_count(&self) -> usize {
        self.active_indicators()
            .map(|i| i.active_steps().count())
            .sum()
    }
}

impl Indicator {
    pub fn active_steps(&self) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(|s| !s.retired)
    }
}

impl Catalogue {
    pub fn area_count(&self) -> usize {
        self.components.iter().map(Component::area_count).sum()
    }
    pub fn indicator_count(&self) -> usize {
        self.components.iter().map(Component::indicator_count).sum()
    }
    pub fn step_count(&self) -> usize {
        self.components.iter().map(Component::step_count).sum()
    }
}

/// The letter of an indicator within its area, as the LKE writes it (1.a, 1.b, …).
pub fn indicator_letter(position: i64) -> String {
    if (1..=26).contains(&position) {
        ((b'a' + (position - 1) as u8) as char).to_string()
    } else {
        position.to_string()
    }
}

#[derive(sqlx::FromRow)]
struct FlatRow {
    c_id: i64,
    c_pos: i64,
    c_num: String,
    c_name: String,
    a_id: i64,
    a_pos: i64,
    a_name: String,
    i_id: i64,
    i_pos: i64,
    i_text: String,
    s_id: i64,
    s_pos: i64,
    s_text: String,
    authority: String,
    a_retired: bool,
    i_retired: bool,
    s_retired: bool,
    units: Option<String>,
}

/// Unit names are joined with a character no unit name contains.
const UNIT_SEPARATOR: char = '\u{1f}';

pub async fn target_years(db: &SqlitePool) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar("SELECT year FROM target_years ORDER BY year DESC")
        .fetch_all(db)
        .await
}

/// Loads a year's whole catalogue; `None` when the year has no targets.
pub async fn load(db: &SqlitePool, year: i64) -> sqlx::Result<Option<Catalogue>> {
    let exists: Option<i64> = sqlx::query_scalar("SELECT year FROM target_years WHERE year = ?")
        .bind(year)
        .fetch_optional(db)
        .await?;
    if exists.is_none() {
        return Ok(None);
    }
    let rows: Vec<FlatRow> = sqlx::query_as(
        "SELECT c.id AS c_id, c.position AS c_pos, c.numeral AS c_num, c.name AS c_name,
                a.id AS a_id, a.position AS a_pos, a.name AS a_name,
                i.id AS i_id, i.position AS i_pos, i.text AS i_text,
                s.id AS s_id, s.position AS s_pos, s.text AS s_text,
                s.authority_text AS authority,
                a.retired_at IS NOT NULL AS a_retired, i.retired_at IS NOT NULL AS i_retired,
                s.retired_at IS NOT NULL AS s_retired,
                (SELECT group_concat(u.name, char(31)) FROM
                    (SELECT u.name FROM step_authorities sa JOIN units u ON u.id = sa.unit_id
                     WHERE sa.step_id = s.id ORDER BY u.id) u) AS units
         FROM components c
         JOIN areas a ON a.component_id = c.id
         JOIN indicators i ON i.area_id = a.id
         JOIN action_steps s ON s.indicator_id = i.id
         WHERE c.year = ?
         ORDER BY c.position, a.position, i.position, s.position",
    )
    .bind(year)
    .fetch_all(db)
    .await?;
    Ok(Some(Catalogue {
        year,
        components: build_tree(rows),
    }))
}

fn build_tree(rows: Vec<FlatRow>) -> Vec<Component> {
    let mut components: Vec<Component> = Vec::new();
    for r in rows {
        if components.last().map(|c| c.id) != Some(r.c_id) {
            components.push(Component {
                id: r.c_id,
                position: r.c_pos,
                numeral: r.c_num.clone(),
                name: r.c_name.clone(),
                areas: Vec::new(),
            });
        }
        let comp = components.last_mut().expect("pushed above");
        if comp.areas.last().map(|a| a.id) != Some(r.a_id) {
            comp.areas.push(Area {
                id: r.a_id,
                position: r.a_pos,
                name: r.a_name.clone(),
                retired: r.a_retired,
                indicators: Vec::new(),
            });
        }
        let area = comp.areas.last_mut().expect("pushed above");
        if area.indicators.last().map(|i| i.id) != Some(r.i_id) {
            area.indicators.push(Indicator {
                id: r.i_id,
                position: r.i_pos,
                text: r.i_text.clone(),
                retired: r.i_retired,
                steps: Vec::new(),
            });
        }
        let indicator = area.indicators.last_mut().expect("pushed above");
        indicator.steps.push(Step {
            id: r.s_id,
            position: r.s_pos,
            text: r.s_text,
            authority_text: r.authority,
            retired: r.s_retired,
            units: r
                .units
                .map(|u| u.split(UNIT_SEPARATOR).map(str::to_string).collect())
                .unwrap_or_default(),
        });
    }
    components
}

// ---------------------------------------------------------------------------
// CSV export

pub const CSV_HEADER: [&str; 9] = [
    "component",
    "component_name",
    "area",
    "area_name",
    "indicator",
    "indicator_text",
    "step",
    "step_text",
    "authority",
];

/// Writes a catalogue's items in force as RFC 4180 CSV (UTF-8, CRLF, quoted where
/// needed), numbered 1, 2, … within their parent (retired items leave no gaps).
pub fn to_csv(catalogue: &Catalogue) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    w.write_record(CSV_HEADER)?;
    for c in &catalogue.components {
        for (an, a) in c.active_areas().enumerate() {
            for (inn, i) in a.active_indicators().enumerate() {
                for (sn, s) in i.active_steps().enumerate() {
                    w.write_record([
                        c.numeral.as_str(),
                        c.name.as_str(),
                        &(an + 1).to_string(),
                        a.name.as_str(),
                        &(inn + 1).to_string(),
                        i.text.as_str(),
                        &(sn + 1).to_string(),
                        s.text.as_str(),
                        s.authority_text.as_str(),
                    ])?;
                }
            }
        }
    }
    Ok(w.into_inner()?)
}

// ---------------------------------------------------------------------------
// Pages

#[derive(Deserialize)]
pub struct YearQuery {
    tahun: Option<String>,
}

/// The year asked for, or the most recent target year.
async fn chosen_year(db: &SqlitePool, asked: Option<&str>) -> AppResult<i64> {
    match asked.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => s.parse::<i64>().map_err(|_| AppError::NotFound),
        None => sqlx::query_scalar::<_, Option<i64>>("SELECT max(year) FROM target_years")
            .fetch_one(db)
            .await?
            .ok_or(AppError::NotFound),
    }
}

#[derive(Template)]
#[template(path = "catalogue/index.html")]
struct OverviewPage {
    chrome: Chrome,
    catalogue: Catalogue,
    years: Vec<YearOption>,
}

/// A choice in a year selector.
pub struct YearOption {
    pub year: i64,
    pub selected: bool,
}

pub fn year_options(years: &[i64], chosen: i64) -> Vec<YearOption> {
    years
        .iter()
        .map(|&year| YearOption {
            year,
            selected: year == chosen,
        })
        .collect()
}

async fn overview(
    State(state): State<AppState>,
    chrome: Chrome,
    QueryData(q): QueryData<YearQuery>,
) -> AppResult<Response> {
    let year = chosen_year(&state.db, q.tahun.as_deref()).await?;
    let catalogue = load(&state.db, year).await?.ok_or(AppError::NotFound)?;
    let years = year_options(&target_years(&state.db).await?, year);
    render(&OverviewPage {
        chrome,
        catalogue,
        years,
    })
}

#[derive(Template)]
#[template(path = "catalogue/component.html")]
struct ComponentPage {
    chrome: Chrome,
    year: i64,
    component: Component,
}

async fn component_page(
    State(state): State<AppState>,
    chrome: Chrome,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = crate::web::parse_id(&id)?;
    let year: i64 = sqlx::query_scalar("SELECT year FROM components WHERE id = ?")
        .bind(id)
        .fetch_optional(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let catalogue = load(&state.db, year).await?.ok_or(AppError::NotFound)?;
    let component = catalogue
        .components
        .into_iter()
        .find(|c| c.id == id)
        .ok_or(AppError::NotFound)?;
    render(&ComponentPage {
        chrome,
        year,
        component,
    })
}

async fn export_download(
    State(state): State<AppState>,
    QueryData(q): QueryData<YearQuery>,
) -> AppResult<Response> {
    let year = chosen_year(&state.db, q.tahun.as_deref()).await?;
    let catalogue = load(&state.db, year).await?.ok_or(AppError::NotFound)?;
    let body = to_csv(&catalogue)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"target-zi-{year}.csv\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// `/` sends people to where their work is.
pub async fn home(user: crate::auth::CurrentUser) -> Redirect {
    Redirect::to(crate::auth::login::landing(user.role))
}
