//! The target catalogue of a year: components > areas > indicators > action steps,
//! with the authority of each step; reading it, exporting and importing it, writing
//! whole years, and its administration pages.

pub mod admin;
pub mod editor;
pub mod export;
pub mod import;
pub mod items;
pub mod pages;
pub mod writer;
#[allow(unused_imports)]
pub use admin::*;
#[allow(unused_imports)]
pub use editor::*;
#[allow(unused_imports)]
pub use export::*;
#[allow(unused_imports)]
pub use import::*;
#[allow(unused_imports)]
pub use items::*;
#[allow(unused_imports)]
pub use pages::*;
#[allow(unused_imports)]
pub use writer::*;

use sqlx::SqlitePool;

use crate::error::{AppError, AppResult};

use crate::routes::{Access, Route};

pub fn routes() -> Vec<Route> {
    use axum::routing::get;
    vec![
        Route::new("GET", "/katalog", Access::SignedIn, get(pages::overview)),
        Route::new(
            "GET",
            "/katalog/komponen/{id}",
            Access::SignedIn,
            get(pages::component_page),
        ),
        Route::new(
            "GET",
            "/katalog/ekspor.csv",
            Access::SignedIn,
            get(pages::export_download),
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
    /// The LKE questions of its year that the step serves.
    pub questions: Vec<i64>,
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

pub use crate::fmt::indicator_letter;

#[derive(sqlx::FromRow)]
pub(crate) struct FlatRow {
    pub(crate) c_id: i64,
    pub(crate) c_pos: i64,
    pub(crate) c_num: String,
    pub(crate) c_name: String,
    pub(crate) a_id: i64,
    pub(crate) a_pos: i64,
    pub(crate) a_name: String,
    pub(crate) i_id: i64,
    pub(crate) i_pos: i64,
    pub(crate) i_text: String,
    pub(crate) s_id: i64,
    pub(crate) s_pos: i64,
    pub(crate) s_text: String,
    pub(crate) authority: String,
    pub(crate) a_retired: bool,
    pub(crate) i_retired: bool,
    pub(crate) s_retired: bool,
    pub(crate) units: Option<String>,
    /// The LKE question ids the step serves, "12;13".
    pub(crate) questions: Option<String>,
}

/// Unit names are joined with a character no unit name contains.
pub(crate) const UNIT_SEPARATOR: char = '\u{1f}';

/// Loads a year's whole catalogue; `None` when the year has no targets.
pub async fn load(db: &SqlitePool, unit: i64, year: i64) -> sqlx::Result<Option<Catalogue>> {
    if !writer::year_exists(&mut *db.acquire().await?, unit, year).await? {
        return Ok(None);
    }
    let rows: Vec<FlatRow> = sqlx::query_as(
        "SELECT s.component_id AS c_id, s.c_pos, s.numeral AS c_num, s.component_name AS c_name,
                s.area_id AS a_id, s.a_pos, s.area_name AS a_name,
                s.indicator_id AS i_id, s.i_pos, s.indicator_text AS i_text,
                s.step_id AS s_id, s.s_pos, s.step_text AS s_text, s.authority_text AS authority,
                s.area_retired_at IS NOT NULL AS a_retired,
                s.indicator_retired_at IS NOT NULL AS i_retired,
                s.step_retired_at IS NOT NULL AS s_retired,
                (SELECT group_concat(u.name, char(31)) FROM
                    (SELECT CASE u.kind WHEN 'instansi' THEN w.name ELSE u.name END AS name
                     FROM step_authorities sa JOIN units u ON u.id = sa.unit_id
                     WHERE sa.step_id = s.step_id ORDER BY u.id) u) AS units,
                (SELECT group_concat(q.question_id, ';') FROM
                    (SELECT question_id FROM lke_step_questions WHERE step_id = s.step_id
                     ORDER BY question_id) q) AS questions
         FROM unit_steps s
         JOIN work_units w ON w.id = s.unit_id
         WHERE s.unit_id = ? AND s.year = ?
         ORDER BY s.c_pos, s.a_pos, s.i_pos, s.s_pos",
    )
    .bind(unit)
    .bind(year)
    .fetch_all(db)
    .await?;
    Ok(Some(Catalogue {
        year,
        components: build_tree(rows),
    }))
}

pub(crate) fn build_tree(rows: Vec<FlatRow>) -> Vec<Component> {
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
            questions: r
                .questions
                .map(|q| q.split(';').filter_map(|x| x.parse().ok()).collect())
                .unwrap_or_default(),
        });
    }
    components
}

/// `?tahun=Y` on the catalogue's pages.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct YearQuery {
    pub tahun: Option<String>,
}

/// The year asked for (which must have targets), or the most recent target year.
pub async fn year_or_latest(db: &SqlitePool, unit: i64, asked: Option<&str>) -> AppResult<i64> {
    let year = match asked.map(str::trim).filter(|s| !s.is_empty()) {
        Some(y) => y.parse::<i64>().map_err(|_| AppError::NotFound)?,
        None => sqlx::query_scalar::<_, Option<i64>>(
            "SELECT max(year) FROM target_years WHERE unit_id = ?",
        )
        .bind(unit)
        .fetch_one(db)
        .await?
        .ok_or_else(|| AppError::NotFoundWith("Belum ada tahun target sama sekali.".into()))?,
    };
    if writer::year_exists(&mut *db.acquire().await?, unit, year).await? {
        Ok(year)
    } else {
        Err(AppError::NotFoundWith(format!(
            "Tahun target {year} tidak ada."
        )))
    }
}

pub(crate) const ADMIN: Access = Access::Roles(&[crate::auth::Role::Admin]);
pub const NUMERALS: [&str; 6] = ["I", "II", "III", "IV", "V", "VI"];
pub const TEXT_MAX: usize = 2000;
pub const IMPORT_MAX_BYTES: usize = 2 * 1024 * 1024;

pub fn admin_routes() -> Vec<Route> {
    use axum::routing::{get, post};
    vec![
        Route::new("GET", "/admin/target", ADMIN, get(editor::editor)),
        Route::new(
            "POST",
            "/admin/target/{jenis}/baru",
            ADMIN,
            post(editor::add_item),
        ),
        Route::new(
            "GET",
            "/admin/target/{jenis}/{id}",
            ADMIN,
            get(items::edit_form),
        ),
        Route::new(
            "POST",
            "/admin/target/{jenis}/{id}",
            ADMIN,
            post(items::edit_submit),
        ),
        Route::new(
            "POST",
            "/admin/target/{jenis}/{id}/pindah",
            ADMIN,
            post(items::move_item),
        ),
        Route::new(
            "POST",
            "/admin/target/{jenis}/{id}/status",
            ADMIN,
            post(items::retire_item),
        ),
        Route::new("GET", "/admin/target-salin", ADMIN, get(admin::copy_form)),
        Route::new(
            "POST",
            "/admin/target-salin",
            ADMIN,
            post(admin::copy_submit),
        ),
        Route::new("GET", "/admin/target-impor", ADMIN, get(admin::import_form)),
        Route::new(
            "POST",
            "/admin/target-impor",
            ADMIN,
            post(admin::import_submit),
        )
        .with_body_limit(IMPORT_MAX_BYTES + 64 * 1024),
    ]
}
