//! The instansi admin's PortalRB page: the window, the proposed units with their
//! readiness (a warning for a unit proposed below its thresholds), PortalRB's fetches,
//! and per unit a preview of exactly what PortalRB will receive and what is missing.

use askama::Template;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::Value;

use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::instansi::rollup::Readiness;
use crate::routes::{Access, Route};
use crate::tenant::InstansiRole;
use crate::web::{Acting, Chrome, Form, QueryData, render, render_status};

const INSTANSI_ADMIN: Access = Access::Instansi(&[InstansiRole::Admin]);

pub fn routes() -> Vec<Route> {
    use axum::routing::{get, post};
    vec![
        Route::new("GET", "/admin/portalrb", INSTANSI_ADMIN, get(page)),
        Route::new(
            "POST",
            "/admin/portalrb/jendela",
            INSTANSI_ADMIN,
            post(window),
        ),
        Route::new(
            "POST",
            "/admin/portalrb/usul",
            INSTANSI_ADMIN,
            post(propose),
        ),
        Route::new(
            "POST",
            "/admin/portalrb/token",
            INSTANSI_ADMIN,
            post(token_create),
        ),
        Route::new(
            "POST",
            "/admin/portalrb/token/cabut",
            INSTANSI_ADMIN,
            post(token_revoke),
        ),
        Route::new(
            "GET",
            "/admin/portalrb/{tahun}/{kode}",
            INSTANSI_ADMIN,
            get(preview),
        ),
        Route::new(
            "GET",
            "/admin/portalrb/{tahun}/{kode}/json",
            INSTANSI_ADMIN,
            get(preview_json),
        ),
    ]
}

pub struct Proposed {
    pub code: String,
    pub name: String,
    pub kategori: String,
    pub readiness: &'static str,
    pub tpi: String,
    /// Proposed below the category's thresholds (judged on the TPI's answers).
    pub warning: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "portalrb/admin.html")]
struct AdminPage {
    chrome: Chrome,
    year: i64,
    window: Option<(String, String, Option<String>)>,
    proposed: Vec<Proposed>,
    units: Vec<(String, String)>,
    fetches: Vec<(String, String, String)>,
    error: Option<String>,
    /// What the admin typed in the page's forms, kept when one is refused.
    typed: Typed,
    tokens: Vec<super::TokenRow>,
    /// A token just created: shown this once.
    new_token: Option<(String, String)>,
}

/// Every field of the page's forms (they all post `tahun` and some of these).
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct Typed {
    tahun: String,
    unit: String,
    kategori: String,
    dari: String,
    sampai: String,
    tautan_sampai: String,
    nama: String,
    hari: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct YearQuery {
    tahun: Option<String>,
}

async fn admin_page(
    state: &AppState,
    chrome: Chrome,
    year: i64,
    error: Option<String>,
    typed: Typed,
) -> AppResult<AdminPage> {
    let window: Option<(String, String, Option<String>)> =
        sqlx::query_as("SELECT opens, closes, links_until FROM portalrb_windows WHERE year = ?")
            .bind(year)
            .fetch_optional(&state.db)
            .await?;
    let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT w.id, w.code, w.name, p.kategori FROM portalrb_proposals p
         JOIN work_units w ON w.id = p.unit_id WHERE p.year = ? ORDER BY p.kategori, w.code",
    )
    .bind(year)
    .fetch_all(&state.db)
    .await?;
    let totals = crate::instansi::rollup::lke_totals(&state.db, year).await?;
    let proposed = rows
        .into_iter()
        .map(|(id, code, name, kategori)| {
            let (tpi, readiness) = totals
                .get(&id)
                .map_or((None, Readiness::Unknown), |(t, _, r)| (Some(*t), *r));
            let needed = if kategori == "WBBM" {
                Readiness::Wbbm
            } else {
                Readiness::Wbk
            };
            Proposed {
                code,
                name,
                warning: (readiness < needed).then_some(if readiness == Readiness::Unknown {
                    "TPI belum menjawab: kesiapan belum dapat dinilai"
                } else if needed == Readiness::Wbbm {
                    "Di bawah syarat WBBM menurut jawaban TPI"
                } else {
                    "Di bawah syarat WBK menurut jawaban TPI"
                }),
                kategori,
                readiness: readiness.label(),
                tpi: tpi.map_or("—".into(), |v| crate::score::decimal(v, 2)),
            }
        })
        .collect();
    let units =
        sqlx::query_as("SELECT code, name FROM work_units WHERE retired_at IS NULL ORDER BY code")
            .fetch_all(&state.db)
            .await?;
    let fetches: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT at, summary, coalesce(ip, '') FROM audit_log WHERE action = 'portalrb_fetched'
         ORDER BY id DESC LIMIT 20",
    )
    .fetch_all(&state.db)
    .await?;
    Ok(AdminPage {
        chrome,
        year,
        window,
        proposed,
        units,
        fetches: fetches
            .into_iter()
            .map(|(at, s, ip)| (crate::fmt::stored_datetime_id(&at), s, ip))
            .collect(),
        error,
        typed,
        tokens: super::tokens(&state.db).await?,
        new_token: None,
    })
}

/// The page's year: as asked (an impossible one is "not found"), else this year.
fn year_of(state: &AppState, raw: Option<&str>) -> AppResult<i64> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(y) => crate::lke::pages::parse_year(y),
        None => Ok(chrono::Datelike::year(&state.config.clock.today()) as i64),
    }
}

async fn page(
    State(state): State<AppState>,
    chrome: Chrome,
    QueryData(q): QueryData<YearQuery>,
) -> AppResult<Response> {
    let year = year_of(&state, q.tahun.as_deref())?;
    render(&admin_page(&state, chrome, year, None, Typed::default()).await?)
}

/// After a form: back to the page, or the page again with the reason in Indonesian
/// and what was typed.
async fn answer(
    state: &AppState,
    chrome: Chrome,
    year: i64,
    outcome: anyhow::Result<()>,
    typed: Typed,
) -> AppResult<Response> {
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!(
            "/admin/portalrb?tahun={year}&pesan=portalrb-disimpan"
        ))
        .into_response()),
        Err(e) => match e.downcast::<crate::error::UserError>() {
            Ok(msg) => render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &admin_page(
                    state,
                    chrome,
                    year,
                    Some(crate::fmt::sentence(&msg.0)),
                    typed,
                )
                .await?,
            ),
            Err(e) => Err(e.into()),
        },
    }
}

async fn window(
    State(state): State<AppState>,
    chrome: Chrome,
    Acting { actor, .. }: Acting,
    Form(input): Form<Typed>,
) -> AppResult<Response> {
    let year = year_of(&state, Some(&input.tahun))?;
    let links = Some(input.tautan_sampai.as_str()).filter(|s| !s.trim().is_empty());
    let today = state.config.clock.today();
    let outcome = super::set_window(
        &state.db,
        &actor,
        year,
        (&input.dari, &input.sampai),
        links,
        today,
    )
    .await;
    answer(&state, chrome, year, outcome, input).await
}

async fn propose(
    State(state): State<AppState>,
    chrome: Chrome,
    Acting { actor, .. }: Acting,
    Form(input): Form<Typed>,
) -> AppResult<Response> {
    let year = year_of(&state, Some(&input.tahun))?;
    let outcome = super::propose(&state.db, &actor, year, &input.unit, &input.kategori).await;
    answer(&state, chrome, year, outcome, input).await
}

/// Creates a token and shows it on the page this once (never again, never logged).
async fn token_create(
    State(state): State<AppState>,
    chrome: Chrome,
    Acting { actor, .. }: Acting,
    Form(input): Form<Typed>,
) -> AppResult<Response> {
    let year = year_of(&state, Some(&input.tahun))?;
    let days = input.hari.trim().parse::<i64>().unwrap_or(0);
    match super::create_token(&state.db, &actor, &input.nama, days).await {
        Ok(token) => {
            let mut page = admin_page(&state, chrome, year, None, Typed::default()).await?;
            page.new_token = Some((input.nama.trim().to_string(), token));
            render(&page)
        }
        Err(e) => answer(&state, chrome, year, Err(e), input).await,
    }
}

async fn token_revoke(
    State(state): State<AppState>,
    chrome: Chrome,
    Acting { actor, .. }: Acting,
    Form(input): Form<Typed>,
) -> AppResult<Response> {
    let year = year_of(&state, Some(&input.tahun))?;
    let outcome = super::revoke_token(&state.db, &actor, &input.nama).await;
    answer(&state, chrome, year, outcome, input).await
}

pub struct PreviewRow {
    pub soal_id: i64,
    pub cells: [String; 5],
}

#[derive(Template)]
#[template(path = "portalrb/preview.html")]
struct PreviewPage {
    chrome: Chrome,
    year: i64,
    code: String,
    name: String,
    rows: Vec<PreviewRow>,
    unanswered: Vec<i64>,
    no_evidence: Vec<i64>,
    tpi_missing: Vec<i64>,
    tpi_stale: Vec<i64>,
    no_public_url: bool,
}

/// What PortalRB will receive for a proposed unit, as the API answers it.
async fn body_of(
    state: &AppState,
    year: i64,
    code: &str,
) -> AppResult<(crate::tenant::UnitRef, Value)> {
    let unit = super::proposed_unit(&state.db, year, code)
        .await?
        .ok_or_else(|| {
            AppError::NotFoundWith(format!("Unit {code} tidak diusulkan untuk tahun {year}."))
        })?;
    let base = state.config.public_base().unwrap_or_default();
    let body = super::api::answers_json(&state.db, &state.config.data_dir, &unit, year, &base)
        .await?
        .ok_or_else(|| AppError::NotFoundWith(format!("Tahun {year} belum punya master LKE.")))?;
    Ok((unit, body))
}

async fn preview(
    State(state): State<AppState>,
    chrome: Chrome,
    Path((year, code)): Path<(i64, String)>,
) -> AppResult<Response> {
    use crate::lke::store::Side;
    let (unit, body) = body_of(&state, year, &code).await?;
    let stored = crate::lke::store::stored(&state.db, unit.id, year).await?;
    let links = crate::lke::store::evidence_links(&state.db, unit.id, year).await?;
    let cell = |v: &Value| v.as_str().map_or("—".to_string(), str::to_string);
    let mut rows = Vec::new();
    let (mut unanswered, mut no_evidence, mut tpi_missing, mut tpi_stale) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for a in body["answers"].as_array().into_iter().flatten() {
        let id = a["soal_id"].as_i64().unwrap_or(0);
        let u = stored
            .get(&(id, Side::Unit))
            .filter(|s| s.draft_from.is_none() && s.answer.is_some());
        let t = stored.get(&(id, Side::Tpi)).filter(|s| s.answer.is_some());
        match u {
            None => unanswered.push(id),
            Some(s) if s.evidence.trim().is_empty() && !links.contains_key(&s.id) => {
                no_evidence.push(id)
            }
            _ => {}
        }
        match (t, u) {
            (None, _) => tpi_missing.push(id),
            (Some(t), Some(u)) if t.seen_unit_version.is_some_and(|v| v < u.version) => {
                tpi_stale.push(id)
            }
            _ => {}
        }
        rows.push(PreviewRow {
            soal_id: id,
            cells: [
                cell(&a["jawaban_unit"]),
                cell(&a["catatan_unit"]),
                cell(&a["bukti_dukung_unit"]),
                cell(&a["jawaban_tpi"]),
                cell(&a["catatan_tpi"]),
            ],
        });
    }
    render(&PreviewPage {
        chrome,
        year,
        code: unit.code,
        name: unit.name,
        rows,
        unanswered,
        no_evidence,
        tpi_missing,
        tpi_stale,
        no_public_url: state.config.public_url.is_none(),
    })
}

async fn preview_json(
    State(state): State<AppState>,
    Path((year, code)): Path<(i64, String)>,
) -> AppResult<Response> {
    let (unit, body) = body_of(&state, year, &code).await?;
    let bytes = serde_json::to_vec_pretty(&body).map_err(|e| AppError::Internal(e.into()))?;
    Ok(crate::reports::attachment(
        Body::from(bytes),
        "application/json",
        &format!("portalrb-jawaban-{}-{year}.json", unit.code),
    ))
}
