//! The instansi admin's unit pages and the header's unit switcher.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{AddError, InstansiRole, WorkUnit};
use crate::AppState;
use crate::audit::Actor;
use crate::auth::{ClientIp, CurrentUser};
use crate::error::AppResult;
use crate::routes::{Access, Route};
use crate::web::{Chrome, Form, render, render_status};

const INSTANSI_ADMIN: Access = Access::Instansi(&[InstansiRole::Admin]);

pub fn routes() -> Vec<Route> {
    use axum::routing::{get, post};
    vec![
        Route::new("GET", "/unit/pilih", Access::SignedIn, get(switch)),
        // the instansi's roles and evaluators; who sees which rows is decided inside
        Route::new(
            "GET",
            "/instansi/rekap",
            Access::SignedIn,
            get(super::rollup::page),
        ),
        Route::new(
            "GET",
            "/instansi/rekap.csv",
            Access::SignedIn,
            get(super::rollup::csv),
        ),
        Route::new(
            "GET",
            "/instansi/rekap.xlsx",
            Access::SignedIn,
            get(super::rollup::xlsx),
        ),
        Route::new("GET", "/admin/unit-kerja", INSTANSI_ADMIN, get(list_page)),
        Route::new("POST", "/admin/unit-kerja", INSTANSI_ADMIN, post(add)),
        Route::new(
            "POST",
            "/admin/unit-kerja/{kode}/nama",
            INSTANSI_ADMIN,
            post(rename),
        ),
        Route::new(
            "POST",
            "/admin/unit-kerja/{kode}/nonaktif",
            INSTANSI_ADMIN,
            post(retire),
        ),
    ]
}

#[derive(Deserialize)]
struct SwitchQuery {
    #[serde(default)]
    kode: String,
}

/// The switcher's form: opens the chosen unit's dashboard (or its home for staff).
/// A unit the person may not open answers "not found" at its address.
async fn switch(Query(q): Query<SwitchQuery>) -> Response {
    let code = q.kode.trim();
    if super::check_code(code).is_err() {
        return crate::error::AppError::NotFound.into_response();
    }
    Redirect::to(&format!("/u/{code}/")).into_response()
}

#[derive(Template)]
#[template(path = "tenant/list.html")]
struct ListPage {
    chrome: Chrome,
    units: Vec<WorkUnit>,
    code: String,
    name: String,
    parent: String,
    error: Option<String>,
}

async fn page(
    state: &AppState,
    chrome: Chrome,
    input: UnitInput,
    error: Option<String>,
) -> AppResult<ListPage> {
    Ok(ListPage {
        chrome,
        units: super::list(&state.db).await?,
        code: input.code,
        name: input.name,
        parent: input.parent,
        error,
    })
}

async fn list_page(State(state): State<AppState>, chrome: Chrome) -> AppResult<Response> {
    render(&page(&state, chrome, UnitInput::default(), None).await?)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UnitInput {
    code: String,
    name: String,
    parent: String,
}

async fn add(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Form(input): Form<UnitInput>,
) -> AppResult<Response> {
    let actor = Actor::user(&user, Some(ip)).instansi_wide();
    let parent = Some(input.parent.as_str()).filter(|p| !p.trim().is_empty());
    match super::add(&state.db, &actor, &input.code, &input.name, parent).await {
        Ok(_) => Ok(Redirect::to("/admin/unit-kerja?pesan=unit-kerja-disimpan").into_response()),
        Err(AddError::Invalid(msg)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &page(&state, chrome, input, Some(capitalise(&msg))).await?,
        ),
        Err(AddError::Db(e)) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RenameInput {
    name: String,
}

async fn rename(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(code): Path<String>,
    Form(input): Form<RenameInput>,
) -> AppResult<Response> {
    let actor = Actor::user(&user, Some(ip)).instansi_wide();
    match super::rename(&state.db, &actor, &code, &input.name).await {
        Ok(()) => Ok(Redirect::to("/admin/unit-kerja?pesan=unit-kerja-disimpan").into_response()),
        Err(AddError::Invalid(msg)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &page(&state, chrome, UnitInput::default(), Some(capitalise(&msg))).await?,
        ),
        Err(AddError::Db(e)) => Err(e.into()),
    }
}

async fn retire(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(code): Path<String>,
    Form(_): Form<crate::web::Empty>,
) -> AppResult<Response> {
    let actor = Actor::user(&user, Some(ip)).instansi_wide();
    match super::retire(&state.db, &actor, &code).await {
        Ok(()) => Ok(Redirect::to("/admin/unit-kerja?pesan=unit-kerja-disimpan").into_response()),
        Err(AddError::Invalid(msg)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &page(&state, chrome, UnitInput::default(), Some(capitalise(&msg))).await?,
        ),
        Err(AddError::Db(e)) => Err(e.into()),
    }
}

fn capitalise(msg: &str) -> String {
    let mut c = msg.chars();
    match c.next() {
        Some(f) => format!("{}{}.", f.to_uppercase(), c.as_str()),
        None => String::new(),
    }
}
