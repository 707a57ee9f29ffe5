//! Pemegang kewenangan: the organisations a step's authority names (the step's own
//! unit kerja, the ministry centre, bureaus), kept for the whole instansi.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::audit::{Action, Entry};
use crate::error::{AppError, AppResult};
use crate::routes::{Access, Route};
use crate::web::Acting;
use crate::web::SelectOption;
use crate::web::{Chrome, Form, parse_id, render, render_status};

/// Authority holders are the instansi's, shared by every unit.
const ADMIN: Access = Access::Instansi(&[crate::tenant::InstansiRole::Admin]);

pub fn routes() -> Vec<Route> {
    use axum::routing::{get, post};
    vec![
        Route::new("GET", "/admin/unit", ADMIN, get(list_page)),
        Route::new("POST", "/admin/unit", ADMIN, post(add)),
        Route::new("GET", "/admin/unit/{id}", ADMIN, get(edit_form)),
        Route::new("POST", "/admin/unit/{id}", ADMIN, post(edit_submit)),
        Route::new(
            "POST",
            "/admin/unit/{id}/status",
            ADMIN,
            post(toggle_retired),
        ),
    ]
}

pub const KINDS: [(&str, &str); 4] = [
    ("instansi", "Unit kerja sendiri (unit langkah itu)"),
    ("pusat", "Kementerian (pusat)"),
    ("biro", "Biro"),
    ("lainnya", "Lainnya"),
];

fn kind_label(kind: &str) -> &'static str {
    KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, l)| *l)
        .unwrap_or("?")
}

#[derive(sqlx::FromRow, Clone)]
pub struct Unit {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub retired_at: Option<String>,
    pub steps: i64,
}

impl Unit {
    pub fn kind_label(&self) -> &'static str {
        kind_label(&self.kind)
    }
}

const SELECT: &str = "SELECT u.id, u.code, u.name, u.kind, u.retired_at,
    (SELECT count(*) FROM step_authorities sa WHERE sa.unit_id = u.id) AS steps FROM units u";

fn kind_options(selected: &str) -> Vec<SelectOption> {
    KINDS
        .iter()
        .map(|(k, l)| SelectOption {
            value: k.to_string(),
            label: l.to_string(),
            selected: *k == selected,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "units/list.html")]
struct ListPage {
    chrome: Chrome,
    units: Vec<Unit>,
    kinds: Vec<SelectOption>,
    code: String,
    name: String,
    errors: Vec<String>,
}

async fn list_page(State(state): State<AppState>, chrome: Chrome) -> AppResult<Response> {
    render(&ListPage {
        chrome,
        units: sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT} ORDER BY u.retired_at IS NOT NULL, u.id"
        )))
        .fetch_all(&state.db)
        .await?,
        kinds: kind_options("lainnya"),
        code: String::new(),
        name: String::new(),
        errors: Vec::new(),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct UnitInput {
    code: String,
    name: String,
    kind: String,
}

fn check(input: &UnitInput, with_code: bool) -> Vec<String> {
    let mut errors = Vec::new();
    let code = input.code.trim();
    if with_code
        && (code.len() < 2
            || code.len() > 32
            || !code
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
    {
        errors.push("Kode unit 2–32 karakter: huruf kecil, angka, atau tanda hubung.".into());
    }
    let n = input.name.trim().chars().count();
    if n == 0 {
        errors.push("Nama unit wajib diisi.".into());
    } else if n > 150 {
        errors.push("Nama unit maksimal 150 karakter.".into());
    }
    if !KINDS.iter().any(|(k, _)| *k == input.kind) {
        errors.push("Pilih jenis unit.".into());
    }
    errors
}

async fn add(
    State(state): State<AppState>,
    chrome: Chrome,
    Acting { user: _, actor }: Acting,
    Form(input): Form<UnitInput>,
) -> AppResult<Response> {
    let mut errors = check(&input, true);
    let mut status = StatusCode::BAD_REQUEST;
    if errors.is_empty() {
        let taken: i64 = sqlx::query_scalar("SELECT count(*) FROM units WHERE code = ?")
            .bind(input.code.trim())
            .fetch_one(&state.db)
            .await?;
        if taken > 0 {
            errors.push(format!(
                "Kode \"{}\" sudah dipakai unit lain.",
                input.code.trim()
            ));
            status = StatusCode::CONFLICT;
        }
    }
    if !errors.is_empty() {
        return render_status(
            status,
            &ListPage {
                chrome,
                units: sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{SELECT} ORDER BY u.retired_at IS NOT NULL, u.id"
                )))
                .fetch_all(&state.db)
                .await?,
                kinds: kind_options(&input.kind),
                code: input.code,
                name: input.name,
                errors,
            },
        );
    }
    let mut tx = crate::db::write(&state.db).await?;
    let id: i64 =
        sqlx::query_scalar("INSERT INTO units (code, name, kind) VALUES (?, ?, ?) RETURNING id")
            .bind(input.code.trim())
            .bind(input.name.trim())
            .bind(&input.kind)
            .fetch_one(&mut *tx)
            .await?;
    tx.commit(
        &actor,
        Entry::new(
            Action::UnitAdded,
            format!("Unit {} ditambahkan", input.name.trim()),
        )
        .object(crate::audit::Object::Authority, id)
        .after(json!({"kode": input.code.trim(), "nama": input.name.trim(), "jenis": input.kind})),
    )
    .await?;
    *state.header_names.write().expect("names lock") = None;
    Ok(Redirect::to("/admin/unit?pesan=unit-organisasi-disimpan").into_response())
}

#[derive(Template)]
#[template(path = "units/form.html")]
struct FormPage {
    chrome: Chrome,
    unit: Unit,
    name: String,
    kinds: Vec<SelectOption>,
    errors: Vec<String>,
}

async fn load(state: &AppState, raw: &str) -> AppResult<Unit> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE u.id = ?")))
        .bind(parse_id(raw)?)
        .fetch_optional(&state.db)
        .await?
        .ok_or(AppError::NotFound)
}

async fn edit_form(
    State(state): State<AppState>,
    chrome: Chrome,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let unit = load(&state, &id).await?;
    render(&FormPage {
        chrome,
        name: unit.name.clone(),
        kinds: kind_options(&unit.kind),
        unit,
        errors: Vec::new(),
    })
}

async fn edit_submit(
    State(state): State<AppState>,
    chrome: Chrome,
    Acting { user: _, actor }: Acting,
    Path(id): Path<String>,
    Form(input): Form<UnitInput>,
) -> AppResult<Response> {
    let unit = load(&state, &id).await?;
    let errors = check(&input, false);
    if !errors.is_empty() {
        return render_status(
            StatusCode::BAD_REQUEST,
            &FormPage {
                chrome,
                name: input.name.clone(),
                kinds: kind_options(&input.kind),
                unit,
                errors,
            },
        );
    }
    let mut tx = crate::db::write(&state.db).await?;
    sqlx::query("UPDATE units SET name = ?, kind = ? WHERE id = ?")
        .bind(input.name.trim())
        .bind(&input.kind)
        .bind(unit.id)
        .execute(&mut *tx)
        .await?;
    tx.commit(
        &actor,
        Entry::new(Action::UnitChanged, format!("Unit {} diubah", unit.name))
            .object(crate::audit::Object::Authority, unit.id)
            .change(
                json!({"nama": unit.name, "jenis": unit.kind}),
                json!({"nama": input.name.trim(), "jenis": input.kind}),
            ),
    )
    .await?;
    *state.header_names.write().expect("names lock") = None;
    Ok(Redirect::to("/admin/unit?pesan=unit-organisasi-disimpan").into_response())
}

/// `aktif=1` restores a unit, `aktif=0` retires it: the form names the state it
/// wants, so a replayed form changes nothing.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StateInput {
    aktif: String,
}

async fn toggle_retired(
    State(state): State<AppState>,
    crate::web::Acting { user: _, actor }: crate::web::Acting,
    Path(id): Path<String>,
    Form(input): Form<StateInput>,
) -> AppResult<Response> {
    let unit = load(&state, &id).await?;
    let retire = match input.aktif.trim() {
        "0" => true,
        "1" => false,
        _ => {
            return Err(AppError::BadRequest(
                "Pilih apakah unit ini aktif atau tidak.".into(),
            ));
        }
    };
    let back = "/admin/unit?pesan=unit-organisasi-disimpan";
    // The state and the last-own-unit check are read under the write lock with the
    // change they guard.
    let mut tx = crate::db::write(&state.db).await?;
    let retired_now: Option<String> =
        sqlx::query_scalar("SELECT retired_at FROM units WHERE id = ?")
            .bind(unit.id)
            .fetch_one(&mut *tx)
            .await?;
    if retired_now.is_some() == retire {
        tx.rollback().await?;
        return Ok(Redirect::to(back).into_response());
    }
    if unit.kind == "instansi" && retire {
        let others: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM units WHERE kind = 'instansi' AND retired_at IS NULL AND id != ?",
        )
        .bind(unit.id)
        .fetch_one(&mut *tx)
        .await?;
        if others == 0 {
            return Err(AppError::Conflict(
                "Unit kerja sendiri tidak dapat dinonaktifkan: namanya dipakai di kepala setiap halaman. Ubah namanya bila perlu.".into(),
            ));
        }
    }
    sqlx::query("UPDATE units SET retired_at = ? WHERE id = ?")
        .bind(retire.then(crate::fmt::now_stamp))
        .bind(unit.id)
        .execute(&mut *tx)
        .await?;
    tx.commit(
        &actor,
        Entry::new(
            if retire {
                Action::UnitRetired
            } else {
                Action::UnitRestored
            },
            format!(
                "Unit {} {}",
                unit.name,
                if retire {
                    "dinonaktifkan"
                } else {
                    "diaktifkan kembali"
                }
            ),
        )
        .object(crate::audit::Object::Authority, unit.id)
        .change(json!({"aktif": retire}), json!({"aktif": !retire})),
    )
    .await?;
    *state.header_names.write().expect("names lock") = None;
    Ok(Redirect::to(back).into_response())
}
