//! Target years as a whole and the catalogue's administration: copying a year,
//! importing one from CSV (the export's format), and editing areas, indicators and
//! action steps (add, edit, reorder, retire) with every change audited.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;
use sqlx::{SqliteConnection, SqlitePool};

use crate::AppState;
use crate::audit::{self, Actor, Entry};
use crate::auth::{ClientIp, CurrentUser, Role};
use crate::catalogue::{self, CSV_HEADER, Catalogue, YearOption};
use crate::error::{AppError, AppResult};
use crate::routes::{Access, Route};
use crate::web::{Chrome, FormData, QueryData, parse_id, render, render_status};

const ADMIN: Access = Access::Roles(&[Role::Admin]);
pub const NUMERALS: [&str; 6] = ["I", "II", "III", "IV", "V", "VI"];
pub const TEXT_MAX: usize = 2000;
pub const IMPORT_MAX_BYTES: usize = 2 * 1024 * 1024;

pub fn routes() -> Vec<Route> {
    use axum::extract::DefaultBodyLimit;
    use axum::routing::{get, post};
    vec![
        Route::new("GET", "/admin/target", ADMIN, get(editor)),
        Route::new("POST", "/admin/target/{jenis}/baru", ADMIN, post(add_item)),
        Route::new("GET", "/admin/target/{jenis}/{id}", ADMIN, get(edit_form)),
        Route::new(
            "POST",
            "/admin/target/{jenis}/{id}",
            ADMIN,
            post(edit_submit),
        ),
        Route::new(
            "POST",
            "/admin/target/{jenis}/{id}/pindah",
            ADMIN,
            post(move_item),
        ),
        Route::new(
            "POST",
            "/admin/target/{jenis}/{id}/status",
            ADMIN,
            post(retire_item),
        ),
        Route::new("GET", "/admin/target-salin", ADMIN, get(copy_form)),
        Route::new("POST", "/admin/target-salin", ADMIN, post(copy_submit)),
        Route::new("GET", "/admin/target-impor", ADMIN, get(import_form)),
        Route::new(
            "POST",
            "/admin/target-impor",
            ADMIN,
            post(import_submit).layer(DefaultBodyLimit::max(IMPORT_MAX_BYTES + 64 * 1024)),
        ),
    ]
}

// ---------------------------------------------------------------------------
// Writing a whole year

/// One action step of a year to be written, with its place in the hierarchy.
#[derive(Clone, Debug)]
pub struct NewStep {
    pub line: usize,
    pub numeral: String,
    pub component_name: String,
    pub area: i64,
    pub area_name: String,
    pub indicator: i64,
    pub indicator_text: String,
    pub step: i64,
    pub step_text: String,
    pub authority: String,
    /// Units to link; `None` links those the authority wording names.
    pub units: Option<Vec<i64>>,
    pub pics: Vec<i64>,
}

pub fn valid_year(year: i64) -> bool {
    (2000..=2100).contains(&year)
}

/// The units an authority wording names: the unit itself ("instansi"), the ministry
/// centre ("pusat"), and any unit whose name it contains.
pub async fn units_named(conn: &mut SqliteConnection, text: &str) -> sqlx::Result<Vec<i64>> {
    let units: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT id, kind, name FROM units WHERE retired_at IS NULL ORDER BY id")
            .fetch_all(&mut *conn)
            .await?;
    let lower = text.to_lowercase();
    Ok(units
        .into_iter()
        .filter(|(_, kind, name)| {
            (kind == "instansi" && lower.contains("instansi"))
                || (kind == "pusat" && lower.contains("pusat"))
                || lower.contains(&name.to_lowercase())
        })
        .map(|(id, _, _)| id)
        .collect())
}

/// Links a step to the given units (unknown unit ids are skipped).
async fn link_units(conn: &mut SqliteConnection, step_id: i64, units: &[i64]) -> sqlx::Result<()> {
    for u in units {
        sqlx::query(
            "INSERT OR IGNORE INTO step_authorities (step_id, unit_id) SELECT ?, id FROM units WHERE id = ?",
        )
        .bind(step_id)
        .bind(u)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Inserts an area or indicator under its parent at a position; returns its id.
async fn insert_child(
    conn: &mut SqliteConnection,
    kind: Kind,
    parent: i64,
    position: i64,
    text: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(&format!(
        "INSERT INTO {} ({}, position, {}) VALUES (?, ?, ?) RETURNING id",
        kind.table(),
        kind.parent_column(),
        kind.text_column()
    ))
    .bind(parent)
    .bind(position)
    .bind(text)
    .fetch_one(conn)
    .await
}

/// Writes a new target year from rows already validated; on the caller's transaction.
pub async fn insert_year(
    conn: &mut SqliteConnection,
    year: i64,
    rows: &[NewStep],
) -> sqlx::Result<u64> {
    sqlx::query("INSERT INTO target_years (year, title) VALUES (?, ?)")
        .bind(year)
        .bind(format!(
            "Target Prioritas Pembangunan Zona Integritas Tahun {year}"
        ))
        .execute(&mut *conn)
        .await?;
    let mut components: HashMap<String, i64> = HashMap::new();
    let mut areas: HashMap<(String, i64), i64> = HashMap::new();
    let mut indicators: HashMap<(String, i64, i64), i64> = HashMap::new();
    for r in rows {
        let position = NUMERALS.iter().position(|n| *n == r.numeral).unwrap_or(0) as i64 + 1;
        let cid = match components.get(&r.numeral) {
            Some(id) => *id,
            None => {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO components (year, position, numeral, name) VALUES (?, ?, ?, ?) RETURNING id",
                )
                .bind(year)
                .bind(position)
                .bind(&r.numeral)
                .bind(&r.component_name)
                .fetch_one(&mut *conn)
                .await?;
                components.insert(r.numeral.clone(), id);
                id
            }
        };
        let akey = (r.numeral.clone(), r.area);
        let aid = match areas.get(&akey) {
            Some(id) => *id,
            None => {
                let id = insert_child(conn, Kind::Area, cid, r.area, &r.area_name).await?;
                *areas.entry(akey).or_insert(id)
            }
        };
        let ikey = (r.numeral.clone(), r.area, r.indicator);
        let iid = match indicators.get(&ikey) {
            Some(id) => *id,
            None => {
                let id = insert_child(conn, Kind::Indicator, aid, r.indicator, &r.indicator_text)
                    .await?;
                *indicators.entry(ikey).or_insert(id)
            }
        };
        let sid: i64 = sqlx::query_scalar(
            "INSERT INTO action_steps (indicator_id, position, text, authority_text) VALUES (?, ?, ?, ?) RETURNING id",
        )
        .bind(iid)
        .bind(r.step)
        .bind(&r.step_text)
        .bind(&r.authority)
        .fetch_one(&mut *conn)
        .await?;
        let units = match &r.units {
            Some(u) => u.clone(),
            None => units_named(conn, &r.authority).await?,
        };
        link_units(conn, sid, &units).await?;
        for p in &r.pics {
            sqlx::query("INSERT OR IGNORE INTO step_assignments (step_id, user_id) VALUES (?, ?)")
                .bind(sid)
                .bind(p)
                .execute(&mut *conn)
                .await?;
        }
    }
    // The estimate's weights start as the 10/2019 ones; the admin can change them.
    for (n, w) in crate::dashboard::DEFAULT_WEIGHTS {
        if components.contains_key(n) {
            sqlx::query("INSERT INTO component_weights (year, numeral, weight) VALUES (?, ?, ?)")
                .bind(year)
                .bind(n)
                .bind(w)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(rows.len() as u64)
}

/// Copies the items in force of `from` (renumbered without gaps), their authority
/// units and optionally their assignments (active users only) into the new year `to`.
pub async fn copy_year(
    conn: &mut SqliteConnection,
    from: i64,
    to: i64,
    with_assignments: bool,
) -> sqlx::Result<u64> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        numeral: String,
        c_name: String,
        a_id: i64,
        a_name: String,
        i_id: i64,
        i_text: String,
        s_text: String,
        authority: String,
    }
    let src: Vec<Row> = sqlx::query_as(
        "SELECT s.id, c.numeral, c.name AS c_name, a.id AS a_id, a.name AS a_name,
                i.id AS i_id, i.text AS i_text, s.text AS s_text, s.authority_text AS authority
         FROM components c JOIN areas a ON a.component_id = c.id
         JOIN indicators i ON i.area_id = a.id JOIN action_steps s ON s.indicator_id = i.id
         WHERE c.year = ? AND a.retired_at IS NULL AND i.retired_at IS NULL AND s.retired_at IS NULL
         ORDER BY c.position, a.position, i.position, s.position",
    )
    .bind(from)
    .fetch_all(&mut *conn)
    .await?;
    let mut rows = Vec::new();
    let (mut last_c, mut last_a, mut last_i) = (String::new(), 0, 0);
    let (mut an, mut inn, mut sn) = (0, 0, 0);
    for r in src {
        if r.numeral != last_c {
            last_c = r.numeral.clone();
            an = 0;
            last_a = 0;
        }
        if r.a_id != last_a {
            last_a = r.a_id;
            an += 1;
            inn = 0;
            last_i = 0;
        }
        if r.i_id != last_i {
            last_i = r.i_id;
            inn += 1;
            sn = 0;
        }
        sn += 1;
        let units: Vec<i64> =
            sqlx::query_scalar("SELECT unit_id FROM step_authorities WHERE step_id = ?")
                .bind(r.id)
                .fetch_all(&mut *conn)
                .await?;
        let pics: Vec<i64> = if with_assignments {
            sqlx::query_scalar(
                "SELECT sa.user_id FROM step_assignments sa JOIN users u ON u.id = sa.user_id
                 WHERE sa.step_id = ? AND u.active = 1",
            )
            .bind(r.id)
            .fetch_all(&mut *conn)
            .await?
        } else {
            Vec::new()
        };
        rows.push(NewStep {
            line: 0,
            numeral: r.numeral,
            component_name: r.c_name,
            area: an,
            area_name: r.a_name,
            indicator: inn,
            indicator_text: r.i_text,
            step: sn,
            step_text: r.s_text,
            authority: r.authority,
            units: Some(units),
            pics,
        });
    }
    let n = insert_year(conn, to, &rows).await?;
    // Weights follow the source year when it has its own.
    sqlx::query(
        "INSERT OR REPLACE INTO component_weights (year, numeral, weight)
         SELECT ?, numeral, weight FROM component_weights WHERE year = ?",
    )
    .bind(to)
    .bind(from)
    .execute(&mut *conn)
    .await?;
    Ok(n)
}

#[derive(Debug, thiserror::Error)]
pub enum YearError {
    #[error("{0}")]
    Refused(String),
    #[error("{}", .0.join("\n"))]
    Invalid(Vec<String>),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

async fn year_exists(db: &SqlitePool, year: i64) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM target_years WHERE year = ?")
        .bind(year)
        .fetch_one(db)
        .await?;
    Ok(n > 0)
}

/// "Salin target": refuses an unknown source or a year that already has targets.
pub async fn copy(
    db: &SqlitePool,
    actor: &Actor,
    from: i64,
    to: i64,
    with_assignments: bool,
) -> Result<u64, YearError> {
    if !valid_year(to) {
        return Err(YearError::Refused(format!(
            "Tahun tujuan {to} harus antara 2000 dan 2100."
        )));
    }
    if !year_exists(db, from).await? {
        return Err(YearError::Refused(format!(
            "Tahun sumber {from} tidak punya target."
        )));
    }
    if year_exists(db, to).await? {
        return Err(YearError::Refused(format!(
            "Tahun {to} sudah punya target; penyalinan ditolak agar tidak ada yang tertimpa."
        )));
    }
    let mut tx = crate::db::write(db).await?;
    let n = copy_year(&mut tx, from, to, with_assignments).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new(
            "targets_copied",
            format!("Target {from} disalin ke {to} ({n} langkah aksi)"),
        )
        .after(json!({"dari": from, "ke": to, "langkah": n, "penugasan": with_assignments})),
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

// ---------------------------------------------------------------------------
// Import

/// Reads and checks a whole CSV file in the export's format; every problem is
/// reported with its line number, and nothing is returned unless all rows are good.
pub fn parse_import(bytes: &[u8]) -> Result<Vec<NewStep>, Vec<String>> {
    if bytes.len() > IMPORT_MAX_BYTES {
        return Err(vec![format!(
            "Berkas terlalu besar ({} KB); maksimal {} KB.",
            bytes.len() / 1024,
            IMPORT_MAX_BYTES / 1024
        )]);
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err(vec![
            "Berkas bukan teks UTF-8. Simpan ulang sebagai CSV UTF-8.".into(),
        ]);
    };
    let text = text.trim_start_matches('\u{feff}');
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    let mut records = reader.records();
    match records.next() {
        Some(Ok(h)) if h.iter().collect::<Vec<_>>() == CSV_HEADER => {}
        Some(Ok(_)) => errors.push(format!(
            "Baris 1: judul kolom harus persis: {}",
            CSV_HEADER.join(",")
        )),
        Some(Err(e)) => errors.push(format!("Baris 1: tidak dapat dibaca sebagai CSV ({e}).")),
        None => {
            return Err(vec![
                "Berkas kosong: tidak ada judul kolom maupun baris target.".into(),
            ]);
        }
    }
    let mut seen: HashMap<(String, i64, i64, i64), usize> = HashMap::new();
    let mut names: HashMap<String, (String, usize)> = HashMap::new();
    for rec in records {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                errors.push(format!(
                    "Baris {line}: tidak dapat dibaca sebagai CSV (tanda kutip tidak seimbang?)."
                ));
                continue;
            }
        };
        let line = rec.position().map(|p| p.line() as usize).unwrap_or(0);
        if rec.len() != CSV_HEADER.len() {
            errors.push(format!(
                "Baris {line}: harus {} kolom, ada {}.",
                CSV_HEADER.len(),
                rec.len()
            ));
            continue;
        }
        let f = |i: usize| rec.get(i).unwrap_or("").trim().to_string();
        let mut bad = false;
        let numeral = f(0);
        if !NUMERALS.contains(&numeral.as_str()) {
            errors.push(format!(
                "Baris {line}: komponen \"{numeral}\" bukan angka Romawi I sampai VI."
            ));
            bad = true;
        }
        let mut num = |i: usize, what: &str| match f(i).parse::<i64>() {
            Ok(n) if n >= 1 => n,
            _ => {
                errors.push(format!(
                    "Baris {line}: nomor {what} \"{}\" harus bilangan bulat mulai 1.",
                    f(i)
                ));
                bad = true;
                0
            }
        };
        let (area, indicator, step) = (num(2, "area"), num(4, "indikator"), num(6, "langkah"));
        for (i, col) in [
            (1, "component_name"),
            (3, "area_name"),
            (5, "indicator_text"),
            (7, "step_text"),
            (8, "authority"),
        ] {
            let v = f(i);
            if v.is_empty() {
                errors.push(format!("Baris {line}: kolom {col} kosong."));
                bad = true;
            } else if v.chars().count() > TEXT_MAX {
                errors.push(format!(
                    "Baris {line}: kolom {col} lebih dari {TEXT_MAX} karakter."
                ));
                bad = true;
            }
        }
        if bad {
            continue;
        }
        let key = (numeral.clone(), area, indicator, step);
        if let Some(first) = seen.get(&key) {
            errors.push(format!(
                "Baris {line}: langkah {numeral}.{area}.{indicator}.{step} sudah ada di baris {first}."
            ));
            continue;
        }
        seen.insert(key, line);
        // one name per component, area and indicator
        for (k, v, what) in [
            (numeral.clone(), f(1), "nama komponen"),
            (format!("{numeral}.{area}"), f(3), "nama area"),
            (
                format!("{numeral}.{area}.{indicator}"),
                f(5),
                "teks indikator",
            ),
        ] {
            match names.get(&k) {
                Some((prev, at)) if *prev != v => {
                    errors.push(format!("Baris {line}: {what} {k} berbeda dari baris {at}."))
                }
                Some(_) => {}
                None => {
                    names.insert(k, (v, line));
                }
            }
        }
        rows.push(NewStep {
            line,
            numeral,
            component_name: f(1),
            area,
            area_name: f(3),
            indicator,
            indicator_text: f(5),
            step,
            step_text: f(7),
            authority: f(8),
            units: None,
            pics: Vec::new(),
        });
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push("Berkas tidak berisi baris target.".into());
    }
    // numbering without gaps: components from I, areas/indicators/steps from 1
    let mut tree: BTreeMap<usize, BTreeMap<i64, BTreeMap<i64, Vec<i64>>>> = BTreeMap::new();
    for r in &rows {
        let c = NUMERALS.iter().position(|n| *n == r.numeral).unwrap_or(0);
        tree.entry(c)
            .or_default()
            .entry(r.area)
            .or_default()
            .entry(r.indicator)
            .or_default()
            .push(r.step);
    }
    let gap = |found: Vec<i64>| -> Option<String> {
        let want: Vec<i64> = (1..=found.len() as i64).collect();
        (found != want).then(|| {
            found
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        })
    };
    let comps: Vec<i64> = tree.keys().map(|c| *c as i64 + 1).collect();
    if let Some(found) = gap(comps) {
        errors.push(format!(
            "Komponen harus berurutan mulai I tanpa loncatan; ditemukan nomor {found}."
        ));
    }
    for (c, areas) in &tree {
        let n = NUMERALS[*c];
        if let Some(found) = gap(areas.keys().copied().collect()) {
            errors.push(format!(
                "Komponen {n}: nomor area harus 1, 2, … tanpa loncatan; ditemukan {found}."
            ));
        }
        for (a, inds) in areas {
            if let Some(found) = gap(inds.keys().copied().collect()) {
                errors.push(format!(
                    "Area {n}.{a}: nomor indikator harus 1, 2, … tanpa loncatan; ditemukan {found}."
                ));
            }
            for (i, steps) in inds {
                let mut s = steps.clone();
                s.sort();
                if let Some(found) = gap(s) {
                    errors.push(format!("Indikator {n}.{a}.{i}: nomor langkah harus 1, 2, … tanpa loncatan; ditemukan {found}."));
                }
            }
        }
    }
    if errors.is_empty() {
        rows.sort_by_key(|r| {
            (
                NUMERALS.iter().position(|n| *n == r.numeral),
                r.area,
                r.indicator,
                r.step,
            )
        });
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// Imports a CSV into an empty year: all rows in one transaction, or nothing.
pub async fn import(
    db: &SqlitePool,
    actor: &Actor,
    year: i64,
    bytes: &[u8],
) -> Result<u64, YearError> {
    if !valid_year(year) {
        return Err(YearError::Refused(format!(
            "Tahun {year} harus antara 2000 dan 2100."
        )));
    }
    if year_exists(db, year).await? {
        return Err(YearError::Refused(format!(
            "Tahun {year} sudah punya target; impor hanya ke tahun yang belum punya target."
        )));
    }
    let rows = parse_import(bytes).map_err(YearError::Invalid)?;
    let mut tx = crate::db::write(db).await?;
    let n = insert_year(&mut tx, year, &rows).await?;
    audit::record(
        &mut tx,
        actor,
        Entry::new(
            "targets_imported",
            format!("Target tahun {year} diimpor dari CSV ({n} langkah aksi)"),
        )
        .after(json!({"tahun": year, "langkah": n})),
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

// ---------------------------------------------------------------------------
// The editor

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Area,
    Indicator,
    Step,
}

impl Kind {
    fn parse(s: &str) -> AppResult<Kind> {
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
    pub fn label(self) -> &'static str {
        match self {
            Kind::Area => "Area",
            Kind::Indicator => "Indikator",
            Kind::Step => "Langkah aksi",
        }
    }
    fn table(self) -> &'static str {
        match self {
            Kind::Area => "areas",
            Kind::Indicator => "indicators",
            Kind::Step => "action_steps",
        }
    }
    fn text_column(self) -> &'static str {
        match self {
            Kind::Area => "name",
            _ => "text",
        }
    }
    fn parent_column(self) -> &'static str {
        match self {
            Kind::Area => "component_id",
            Kind::Indicator => "area_id",
            Kind::Step => "indicator_id",
        }
    }
}

/// The year an item belongs to.
async fn item_year(db: &SqlitePool, kind: Kind, id: i64) -> sqlx::Result<Option<i64>> {
    let sql = match kind {
        Kind::Area => {
            "SELECT c.year FROM areas a JOIN components c ON c.id = a.component_id WHERE a.id = ?"
        }
        Kind::Indicator => {
            "SELECT c.year FROM indicators i JOIN areas a ON a.id = i.area_id JOIN components c ON c.id = a.component_id WHERE i.id = ?"
        }
        Kind::Step => {
            "SELECT c.year FROM action_steps s JOIN indicators i ON i.id = s.indicator_id JOIN areas a ON a.id = i.area_id JOIN components c ON c.id = a.component_id WHERE s.id = ?"
        }
    };
    sqlx::query_scalar(sql).bind(id).fetch_optional(db).await
}

fn check_text(label: &str, text: &str) -> Option<String> {
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
#[template(path = "targets/editor.html")]
struct EditorPage {
    chrome: Chrome,
    catalogue: Catalogue,
    years: Vec<YearOption>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct YearQuery {
    tahun: Option<String>,
}

async fn latest_or(db: &SqlitePool, raw: Option<&str>) -> AppResult<i64> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(y) => y.parse::<i64>().map_err(|_| AppError::NotFound),
        None => sqlx::query_scalar::<_, Option<i64>>("SELECT max(year) FROM target_years")
            .fetch_one(db)
            .await?
            .ok_or(AppError::NotFound),
    }
}

async fn editor_page(
    state: &AppState,
    chrome: Chrome,
    year: i64,
    error: Option<String>,
) -> AppResult<EditorPage> {
    let catalogue = catalogue::load(&state.db, year)
        .await?
        .ok_or_else(|| AppError::NotFoundWith(format!("Tahun target {year} tidak ada.")))?;
    Ok(EditorPage {
        chrome,
        years: catalogue::year_options(&catalogue::target_years(&state.db).await?, year),
        catalogue,
        error,
    })
}

async fn editor(
    State(state): State<AppState>,
    chrome: Chrome,
    QueryData(q): QueryData<YearQuery>,
) -> AppResult<Response> {
    let year = latest_or(&state.db, q.tahun.as_deref()).await?;
    render(&editor_page(&state, chrome, year, None).await?)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AddInput {
    parent_id: String,
    text: String,
    authority: String,
}

async fn add_item(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(jenis): Path<String>,
    FormData(input): FormData<AddInput>,
) -> AppResult<Response> {
    let kind = Kind::parse(&jenis)?;
    let parent = input
        .parent_id
        .trim()
        .parse::<i64>()
        .map_err(|_| AppError::BadRequest("Induk tidak dikenal.".into()))?;
    let parent_year = match kind {
        Kind::Area => {
            sqlx::query_scalar("SELECT year FROM components WHERE id = ?")
                .bind(parent)
                .fetch_optional(&state.db)
                .await?
        }
        Kind::Indicator => item_year(&state.db, Kind::Area, parent).await?,
        Kind::Step => item_year(&state.db, Kind::Indicator, parent).await?,
    };
    let Some(year) = parent_year else {
        return Err(AppError::BadRequest("Induk tidak dikenal.".into()));
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
    let mut q = sqlx::query_scalar::<_, i64>(&sql)
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
    audit::record(
        &mut tx,
        &Actor::user(&user, Some(ip)),
        Entry::new(
            "target_added",
            format!("{} baru ditambahkan ke target {year}", kind.label()),
        )
        .object(kind.slug(), id)
        .after(json!({"teks": text, "kewenangan": input.authority.trim()})),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/admin/target?tahun={year}&pesan=target-disimpan")).into_response())
}

pub struct UnitChoice {
    pub id: i64,
    pub name: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "targets/edit.html")]
struct EditPage {
    chrome: Chrome,
    kind: Kind,
    id: i64,
    /// Set when adding a new item under this parent (then `id` is unused).
    parent_id: Option<i64>,
    year: i64,
    text: String,
    authority: String,
    units: Vec<UnitChoice>,
    errors: Vec<String>,
}

async fn current_text(
    db: &SqlitePool,
    kind: Kind,
    id: i64,
) -> sqlx::Result<Option<(String, String)>> {
    let sql = format!(
        "SELECT {c}, {a} FROM {t} WHERE id = ?",
        c = kind.text_column(),
        a = if kind == Kind::Step {
            "authority_text"
        } else {
            "''"
        },
        t = kind.table()
    );
    sqlx::query_as(&sql).bind(id).fetch_optional(db).await
}

async fn unit_choices(
    db: &SqlitePool,
    step: Option<i64>,
    checked: Option<&[i64]>,
) -> sqlx::Result<Vec<UnitChoice>> {
    let linked: Vec<i64> = match (step, checked) {
        (_, Some(c)) => c.to_vec(),
        (Some(s), None) => {
            sqlx::query_scalar("SELECT unit_id FROM step_authorities WHERE step_id = ?")
                .bind(s)
                .fetch_all(db)
                .await?
        }
        _ => Vec::new(),
    };
    let units: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM units WHERE retired_at IS NULL OR id IN (SELECT unit_id FROM step_authorities WHERE step_id = ?) ORDER BY id")
        .bind(step.unwrap_or(0))
        .fetch_all(db)
        .await?;
    Ok(units
        .into_iter()
        .map(|(id, name)| UnitChoice {
            checked: linked.contains(&id),
            id,
            name,
        })
        .collect())
}

async fn edit_form(
    State(state): State<AppState>,
    chrome: Chrome,
    Path((jenis, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let kind = Kind::parse(&jenis)?;
    let id = parse_id(&id)?;
    let year = item_year(&state.db, kind, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (text, authority) = current_text(&state.db, kind, id)
        .await?
        .ok_or(AppError::NotFound)?;
    render(&EditPage {
        chrome,
        kind,
        id,
        parent_id: None,
        year,
        text,
        authority,
        units: if kind == Kind::Step {
            unit_choices(&state.db, Some(id), None).await?
        } else {
            Vec::new()
        },
        errors: Vec::new(),
    })
}

async fn edit_submit(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path((jenis, id)): Path<(String, String)>,
    FormData(form): FormData<Vec<(String, String)>>,
) -> AppResult<Response> {
    let kind = Kind::parse(&jenis)?;
    let id = parse_id(&id)?;
    let year = item_year(&state.db, kind, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (before_text, before_authority) = current_text(&state.db, kind, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let get = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let text = get("text");
    let authority = get("authority");
    let units: Vec<i64> = form
        .iter()
        .filter(|(n, _)| n == "unit")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let mut errors: Vec<String> = check_text(kind.label(), &text).into_iter().collect();
    if kind == Kind::Step {
        errors.extend(check_text("Kewenangan", &authority));
        if units.is_empty() {
            errors.push("Pilih sedikitnya satu unit yang berwenang.".into());
        }
    }
    if !errors.is_empty() {
        return render_status(
            StatusCode::BAD_REQUEST,
            &EditPage {
                chrome,
                kind,
                id,
                parent_id: None,
                year,
                text,
                authority,
                units: if kind == Kind::Step {
                    unit_choices(&state.db, Some(id), Some(&units)).await?
                } else {
                    Vec::new()
                },
                errors,
            },
        );
    }
    let before_units: Vec<i64> = sqlx::query_scalar(
        "SELECT unit_id FROM step_authorities WHERE step_id = ? ORDER BY unit_id",
    )
    .bind(if kind == Kind::Step { id } else { 0 })
    .fetch_all(&state.db)
    .await?;
    let mut tx = crate::db::write(&state.db).await?;
    let sql = format!(
        "UPDATE {} SET {} = ? WHERE id = ?",
        kind.table(),
        kind.text_column()
    );
    sqlx::query(&sql)
        .bind(text.trim())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if kind == Kind::Step {
        sqlx::query("UPDATE action_steps SET authority_text = ? WHERE id = ?")
            .bind(authority.trim())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM step_authorities WHERE step_id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        link_units(&mut tx, id, &units).await?;
    }
    audit::record(
        &mut tx,
        &Actor::user(&user, Some(ip)),
        Entry::new(
            "target_edited",
            format!("{} target {year} diubah", kind.label()),
        )
        .object(kind.slug(), id)
        .change(
            json!({"teks": before_text, "kewenangan": before_authority, "unit": before_units}),
            json!({"teks": text.trim(), "kewenangan": authority.trim(), "unit": units}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/admin/target?tahun={year}&pesan=target-disimpan")).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MoveInput {
    arah: String,
}

async fn move_item(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path((jenis, id)): Path<(String, String)>,
    FormData(input): FormData<MoveInput>,
) -> AppResult<Response> {
    let kind = Kind::parse(&jenis)?;
    let id = parse_id(&id)?;
    let year = item_year(&state.db, kind, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let up = match input.arah.as_str() {
        "naik" => true,
        "turun" => false,
        _ => {
            return Err(AppError::BadRequest(
                "Arah pemindahan tidak dikenal.".into(),
            ));
        }
    };
    let (t, p) = (kind.table(), kind.parent_column());
    let mut tx = crate::db::write(&state.db).await?;
    let (parent, pos): (i64, i64) =
        sqlx::query_as(&format!("SELECT {p}, position FROM {t} WHERE id = ?"))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
    let neighbour: Option<(i64, i64)> = sqlx::query_as(&format!(
        "SELECT id, position FROM {t} WHERE {p} = ? AND position {} ? ORDER BY position {} LIMIT 1",
        if up { "<" } else { ">" },
        if up { "DESC" } else { "ASC" }
    ))
    .bind(parent)
    .bind(pos)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((other, other_pos)) = neighbour {
        // swap through a free position: (parent, position) is unique
        sqlx::query(&format!("UPDATE {t} SET position = (SELECT max(position) + 1 FROM {t} WHERE {p} = ?) WHERE id = ?"))
            .bind(parent)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(&format!("UPDATE {t} SET position = ? WHERE id = ?"))
            .bind(pos)
            .bind(other)
            .execute(&mut *tx)
            .await?;
        sqlx::query(&format!("UPDATE {t} SET position = ? WHERE id = ?"))
            .bind(other_pos)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        audit::record(
            &mut tx,
            &Actor::user(&user, Some(ip)),
            Entry::new(
                "target_moved",
                format!(
                    "{} target {year} dipindah {}",
                    kind.label(),
                    if up { "naik" } else { "turun" }
                ),
            )
            .object(kind.slug(), id)
            .change(json!({"urutan": pos}), json!({"urutan": other_pos})),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Redirect::to(&format!("/admin/target?tahun={year}&pesan=target-disimpan")).into_response())
}

async fn retire_item(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path((jenis, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let kind = Kind::parse(&jenis)?;
    let id = parse_id(&id)?;
    let year = item_year(&state.db, kind, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut tx = crate::db::write(&state.db).await?;
    let retired: Option<String> = sqlx::query_scalar(&format!(
        "SELECT retired_at FROM {} WHERE id = ?",
        kind.table()
    ))
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    let now = crate::progress::now_stamp();
    let (new_value, action, label) = match retired {
        None => (Some(now), "target_retired", "tidak diberlakukan lagi"),
        Some(_) => (None, "target_restored", "diberlakukan kembali"),
    };
    sqlx::query(&format!(
        "UPDATE {} SET retired_at = ? WHERE id = ?",
        kind.table()
    ))
    .bind(&new_value)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        &Actor::user(&user, Some(ip)),
        Entry::new(action, format!("{} target {year} {label}", kind.label()))
            .object(kind.slug(), id)
            .change(
                json!({"berlaku": new_value.is_some()}),
                json!({"berlaku": new_value.is_none()}),
            ),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/admin/target?tahun={year}&pesan=target-disimpan")).into_response())
}

// ---------------------------------------------------------------------------
// Copy and import pages

#[derive(Template)]
#[template(path = "targets/copy.html")]
struct CopyPage {
    chrome: Chrome,
    years: Vec<YearOption>,
    to: String,
    with_assignments: bool,
    error: Option<String>,
}

async fn copy_form(State(state): State<AppState>, chrome: Chrome) -> AppResult<Response> {
    let years = catalogue::target_years(&state.db).await?;
    let latest = years.first().copied().unwrap_or(2021);
    render(&CopyPage {
        chrome,
        years: catalogue::year_options(&years, latest),
        to: (latest + 1).to_string(),
        with_assignments: false,
        error: None,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CopyInput {
    dari: String,
    ke: String,
    penugasan: Option<String>,
}

async fn copy_submit(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    FormData(input): FormData<CopyInput>,
) -> AppResult<Response> {
    let years = catalogue::target_years(&state.db).await?;
    let from = input.dari.trim().parse::<i64>().unwrap_or(0);
    let with = input.penugasan.is_some();
    let result = match input.ke.trim().parse::<i64>() {
        Ok(to) => copy(&state.db, &Actor::user(&user, Some(ip)), from, to, with)
            .await
            .map(|n| (to, n)),
        Err(_) => Err(YearError::Refused(
            "Tahun tujuan harus berupa angka tahun, mis. 2022.".into(),
        )),
    };
    match result {
        Ok((to, _)) => Ok(
            Redirect::to(&format!("/admin/target?tahun={to}&pesan=target-disalin")).into_response(),
        ),
        Err(YearError::Db(e)) => Err(e.into()),
        Err(e) => render_status(
            if matches!(e, YearError::Refused(ref m) if m.contains("sudah punya")) {
                StatusCode::CONFLICT
            } else {
                StatusCode::BAD_REQUEST
            },
            &CopyPage {
                chrome,
                years: catalogue::year_options(&years, from),
                to: input.ke.chars().take(10).collect(),
                with_assignments: with,
                error: Some(e.to_string()),
            },
        ),
    }
}

#[derive(Template)]
#[template(path = "targets/import.html")]
struct ImportPage {
    chrome: Chrome,
    year: String,
    errors: Vec<String>,
}

async fn import_form(chrome: Chrome) -> AppResult<Response> {
    render(&ImportPage {
        chrome,
        year: String::new(),
        errors: Vec::new(),
    })
}

async fn import_submit(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    request: Request,
) -> AppResult<Response> {
    let Ok(mut multipart) = Multipart::from_request(request, &state).await else {
        return Err(AppError::BadRequest(
            "Impor harus dikirim dari formulir impor.".into(),
        ));
    };
    let mut year_raw = String::new();
    let mut bytes: Vec<u8> = Vec::new();
    let mut too_large = false;
    loop {
        match multipart.next_field().await {
            Ok(Some(mut field)) => match field.name().unwrap_or("") {
                "tahun" => year_raw = field.text().await.unwrap_or_default(),
                "file" => {
                    while let Ok(Some(chunk)) = field.chunk().await {
                        if bytes.len() + chunk.len() > IMPORT_MAX_BYTES {
                            too_large = true;
                            break;
                        }
                        bytes.extend_from_slice(&chunk);
                    }
                }
                _ => {}
            },
            Ok(None) => break,
            Err(e) => {
                too_large = e.status() == StatusCode::PAYLOAD_TOO_LARGE;
                if !too_large {
                    return Err(AppError::BadRequest(
                        "Unggahan terputus; tidak ada yang diimpor.".into(),
                    ));
                }
                break;
            }
        }
    }
    let fail = |status: StatusCode, errors: Vec<String>| {
        render_status(
            status,
            &ImportPage {
                chrome: chrome.clone(),
                year: year_raw.chars().take(10).collect(),
                errors,
            },
        )
    };
    if too_large {
        return fail(
            StatusCode::PAYLOAD_TOO_LARGE,
            vec![format!(
                "Berkas terlalu besar; maksimal {} KB.",
                IMPORT_MAX_BYTES / 1024
            )],
        );
    }
    let Ok(year) = year_raw.trim().parse::<i64>() else {
        return fail(
            StatusCode::BAD_REQUEST,
            vec!["Isi tahun target, mis. 2022.".into()],
        );
    };
    if bytes.is_empty() {
        return fail(
            StatusCode::BAD_REQUEST,
            vec!["Pilih berkas CSV yang akan diimpor.".into()],
        );
    }
    match import(&state.db, &Actor::user(&user, Some(ip)), year, &bytes).await {
        Ok(_) => Ok(
            Redirect::to(&format!("/admin/target?tahun={year}&pesan=target-diimpor"))
                .into_response(),
        ),
        Err(YearError::Invalid(errors)) => fail(StatusCode::BAD_REQUEST, errors),
        Err(YearError::Refused(m)) => fail(
            if m.contains("sudah punya") {
                StatusCode::CONFLICT
            } else {
                StatusCode::BAD_REQUEST
            },
            vec![m],
        ),
        Err(YearError::Db(e)) => Err(e.into()),
    }
}
