//! The instansi admin's unit pages and the header's unit switcher.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::routes::{Access, Route};
use crate::tenant::{AddError, InstansiRole, WorkUnit};
use crate::web::{Acting, Chrome, Form, render, render_status};

const INSTANSI_ADMIN: Access = Access::Instansi(&[InstansiRole::Admin]);
/// Units per page of the chooser.
const CHOOSER_PER_PAGE: i64 = 50;

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
            "/admin/unit-kerja/salin-target",
            INSTANSI_ADMIN,
            post(copy_targets),
        ),
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

#[derive(Deserialize, Default)]
#[serde(default)]
struct SwitchQuery {
    kode: Option<String>,
    /// Part of a unit's code or name, on the chooser page.
    cari: Option<String>,
    halaman: Option<String>,
}

#[derive(Template)]
#[template(path = "instansi/choose.html")]
struct ChoosePage {
    chrome: Chrome,
    units: Vec<crate::tenant::UnitRef>,
    cari: String,
    pager: crate::web::Pager,
}

/// The switcher's form opens the chosen unit (its start page); without a choice, the
/// chooser: the person's units, searchable, 50 a page. A unit the person may not open
/// answers "not found" at its address.
async fn switch(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
    Query(q): Query<SwitchQuery>,
) -> AppResult<Response> {
    if let Some(code) = q.kode.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        if crate::tenant::check_code(code).is_err() {
            return Err(crate::error::AppError::NotFound);
        }
        return Ok(Redirect::to(&format!("/u/{code}/")).into_response());
    }
    let cari = q
        .cari
        .unwrap_or_default()
        .trim()
        .chars()
        .take(60)
        .collect::<String>();
    let needle = cari.to_lowercase();
    let all: Vec<crate::tenant::UnitRef> = crate::tenant::openable(&state.db, &user)
        .await?
        .into_iter()
        .filter(|u| {
            needle.is_empty()
                || u.code.to_lowercase().contains(&needle)
                || u.name.to_lowercase().contains(&needle)
        })
        .collect();
    let base = if cari.is_empty() {
        "/unit/pilih".to_string()
    } else {
        crate::web::query_string("/unit/pilih", &[("cari", cari.clone())])
    };
    let pager = crate::web::Pager::new(
        crate::web::Pager::page_from(q.halaman.as_deref()),
        CHOOSER_PER_PAGE,
        all.len() as i64,
        base,
    );
    let units = all
        .into_iter()
        .skip(pager.offset() as usize)
        .take(CHOOSER_PER_PAGE as usize)
        .collect();
    render(&ChoosePage {
        chrome,
        units,
        cari,
        pager,
    })
}

#[derive(Template)]
#[template(path = "instansi/list.html")]
struct ListPage {
    chrome: Chrome,
    units: Vec<WorkUnit>,
    code: String,
    name: String,
    parent: String,
    error: Option<String>,
    copy: CopyInput,
    copy_error: Option<String>,
}

/// "Salin target ke banyak unit": a template unit's year to many units at once.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct CopyInput {
    dari_unit: String,
    dari: String,
    ke: String,
    /// Unit codes separated by spaces or commas, or "semua" for every other active unit.
    ke_unit: String,
}

async fn page(
    state: &AppState,
    chrome: Chrome,
    input: UnitInput,
    error: Option<String>,
) -> AppResult<ListPage> {
    Ok(ListPage {
        chrome,
        units: crate::tenant::list(&state.db).await?,
        code: input.code,
        name: input.name,
        parent: input.parent,
        error,
        copy: CopyInput {
            dari: "2021".into(),
            ke: "2021".into(),
            ..CopyInput::default()
        },
        copy_error: None,
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

/// After a unit form: back to the list, or the list again with the reason (and, for a
/// new unit, what was typed).
async fn answer(
    state: &AppState,
    chrome: Chrome,
    outcome: Result<(), AddError>,
    typed: UnitInput,
) -> AppResult<Response> {
    match outcome {
        Ok(()) => Ok(Redirect::to("/admin/unit-kerja?pesan=unit-kerja-disimpan").into_response()),
        Err(AddError::Invalid(msg)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &page(state, chrome, typed, Some(crate::fmt::sentence(&msg))).await?,
        ),
        Err(AddError::Db(e)) => Err(e.into()),
    }
}

async fn add(
    State(state): State<AppState>,
    chrome: Chrome,
    Acting { actor, .. }: Acting,
    Form(input): Form<UnitInput>,
) -> AppResult<Response> {
    let actor = actor.instansi_wide();
    let parent = Some(input.parent.as_str()).filter(|p| !p.trim().is_empty());
    let outcome = crate::tenant::add(&state.db, &actor, &input.code, &input.name, parent)
        .await
        .map(|_| ());
    answer(&state, chrome, outcome, input).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RenameInput {
    name: String,
}

async fn rename(
    State(state): State<AppState>,
    chrome: Chrome,
    Acting { actor, .. }: Acting,
    Path(code): Path<String>,
    Form(input): Form<RenameInput>,
) -> AppResult<Response> {
    let actor = actor.instansi_wide();
    let outcome = crate::tenant::rename(&state.db, &actor, &code, &input.name).await;
    answer(&state, chrome, outcome, UnitInput::default()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RetireInput {
    /// The confirmation box: retiring takes the unit out of new work.
    yakin: Option<String>,
}

async fn retire(
    State(state): State<AppState>,
    chrome: Chrome,
    Acting { actor, .. }: Acting,
    Path(code): Path<String>,
    Form(input): Form<RetireInput>,
) -> AppResult<Response> {
    let actor = actor.instansi_wide();
    let outcome = match input.yakin {
        Some(_) => crate::tenant::retire(&state.db, &actor, &code).await,
        None => Err(AddError::Invalid(format!(
            "centang \"yakin\" untuk menonaktifkan unit {code}: unit nonaktif tidak lagi ditawarkan untuk pekerjaan baru"
        ))),
    };
    answer(&state, chrome, outcome, UnitInput::default()).await
}

async fn copy_targets(
    State(state): State<AppState>,
    chrome: Chrome,
    Acting { actor, .. }: Acting,
    Form(input): Form<CopyInput>,
) -> AppResult<Response> {
    use crate::catalogue::YearError;
    let actor = actor.instansi_wide();
    let refuse = |msg: String| async {
        let mut p = page(&state, chrome.clone(), UnitInput::default(), None).await?;
        p.copy = input.clone();
        p.copy_error = Some(msg);
        render_status(StatusCode::UNPROCESSABLE_ENTITY, &p)
    };
    let years = (
        input.dari.trim().parse::<i64>(),
        input.ke.trim().parse::<i64>(),
    );
    let (Ok(from_year), Ok(to_year)) = years else {
        return refuse("Tahun sumber dan tahun tujuan harus berupa angka tahun, mis. 2022.".into())
            .await;
    };
    let Some(source) = crate::tenant::by_code(&state.db, input.dari_unit.trim()).await? else {
        return refuse("Pilih unit sumber (unit contoh).".into()).await;
    };
    let source = crate::tenant::UnitRef {
        id: source.id,
        code: source.code,
        name: source.name,
    };
    let wanted = input.ke_unit.trim();
    let targets: Vec<crate::tenant::UnitRef> = if wanted.eq_ignore_ascii_case("semua") {
        sqlx::query_as(
            "SELECT id, code, name FROM work_units WHERE retired_at IS NULL AND id != ? ORDER BY code",
        )
        .bind(source.id)
        .fetch_all(&state.db)
        .await?
    } else {
        let mut out = Vec::new();
        for code in wanted.split([',', ' ', ';']).filter(|c| !c.is_empty()) {
            match crate::tenant::by_code(&state.db, code).await? {
                Some(u) if !u.retired => out.push(crate::tenant::UnitRef {
                    id: u.id,
                    code: u.code,
                    name: u.name,
                }),
                _ => {
                    return refuse(format!("Unit tujuan \"{code}\" tidak ada atau nonaktif."))
                        .await;
                }
            }
        }
        out
    };
    match crate::catalogue::copy_to_units(
        &state.db,
        &actor,
        (&source, from_year),
        to_year,
        &targets,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/admin/unit-kerja?pesan=target-disalin").into_response()),
        Err(YearError::Db(e)) => Err(e.into()),
        Err(e) => refuse(e.to_string()).await,
    }
}
