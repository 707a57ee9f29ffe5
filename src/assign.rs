//! Assigning action steps to PIC users: per step, per area in bulk, and handing all
//! of a person's steps over to another (for staff who leave).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;
use sqlx::SqlitePool;

use crate::AppState;
use crate::audit::{Action, Entry};
use crate::auth::Role;
use crate::catalogue::{self, Catalogue, YearOption};
use crate::error::{AppError, AppResult};
use crate::periods::Period;
use crate::routes::{Access, Route};
use crate::step::{self, step_url};
use crate::web::Acting;
use crate::web::SelectOption;
use crate::web::{Chrome, Form, QueryData, render, render_status};

const ASSIGNERS: Access = Access::Roles(&[Role::Admin, Role::Pimpinan]);

pub fn routes() -> Vec<Route> {
    use axum::routing::{get, post};
    vec![
        Route::new("GET", "/penugasan", ASSIGNERS, get(page)),
        Route::new("POST", "/penugasan/area", ASSIGNERS, post(assign_area)),
        Route::new("POST", "/penugasan/alih", ASSIGNERS, post(handover)),
        Route::new("POST", "/langkah/{id}/pic", ASSIGNERS, post(step_pic)),
        Route::new("POST", "/langkah/{id}/unit", ASSIGNERS, post(step_unit)),
    ]
}

/// Users who can hold steps: active staff. Leadership, reviewers and admins are never
/// PICs, so nobody reviews or oversees their own work.
pub async fn assignable_users(
    db: &SqlitePool,
    unit: i64,
) -> sqlx::Result<Vec<(i64, String, String)>> {
    sqlx::query_as(
        "SELECT u.id, u.display_name, uu.role FROM users u
         JOIN user_units uu ON uu.user_id = u.id AND uu.unit_id = ?
         WHERE u.active = 1 AND uu.role = 'staf'
         ORDER BY u.display_name",
    )
    .bind(unit)
    .fetch_all(db)
    .await
}

pub(crate) fn user_options(
    users: &[(i64, String, String)],
    selected: Option<i64>,
) -> Vec<SelectOption> {
    users
        .iter()
        .map(|(id, name, role)| SelectOption {
            value: id.to_string(),
            label: format!(
                "{name} ({})",
                Role::parse(role).map(Role::label).unwrap_or("")
            ),
            selected: Some(*id) == selected,
        })
        .collect()
}

pub struct AreaAssignments {
    pub area_id: i64,
    pub label: String,
    pub steps: Vec<(i64, String, String, String)>,
}

#[derive(Template)]
#[template(path = "assign/index.html")]
struct AssignPage {
    chrome: Chrome,
    year: i64,
    years: Vec<YearOption>,
    areas: Vec<AreaAssignments>,
    users: Vec<SelectOption>,
    all_users: Vec<SelectOption>,
    error: Option<String>,
}

async fn build_page(
    state: &AppState,
    chrome: Chrome,
    unit: i64,
    year_raw: Option<&str>,
    error: Option<String>,
) -> AppResult<AssignPage> {
    let year = crate::catalogue::year_or_latest(&state.db, unit, year_raw).await?;
    let cat: Catalogue = catalogue::load(&state.db, unit, year)
        .await?
        .ok_or(AppError::NotFound)?;
    let rows = crate::step::period_rows(&state.db, unit, Period::new(year, 2), None).await?;
    let mut areas = Vec::new();
    for c in &cat.components {
        for a in &c.areas {
            let steps = rows
                .iter()
                .filter(|r| r.area_id == a.id)
                .map(|r| (r.step_id, r.code(), r.step_text.clone(), r.pics_label()))
                .collect();
            areas.push(AreaAssignments {
                area_id: a.id,
                label: format!("{}.{} {}", c.numeral, a.position, a.name),
                steps,
            });
        }
    }
    let users = assignable_users(&state.db, unit).await?;
    let everyone: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT u.id, u.display_name, uu.role FROM users u
         JOIN user_units uu ON uu.user_id = u.id AND uu.unit_id = ?
         ORDER BY u.display_name",
    )
    .bind(unit)
    .fetch_all(&state.db)
    .await?;
    Ok(AssignPage {
        chrome,
        year,
        years: catalogue::year_options(&crate::periods::target_years(&state.db, unit).await?, year),
        areas,
        users: user_options(&users, None),
        all_users: user_options(&everyone, None),
        error,
    })
}

async fn page(
    State(state): State<AppState>,
    unit: crate::tenant::Unit,
    chrome: Chrome,
    QueryData(q): QueryData<crate::catalogue::YearQuery>,
) -> AppResult<Response> {
    render(&build_page(&state, chrome, unit.id, q.tahun.as_deref(), None).await?)
}

/// An active staff member of the unit, by the id a form sent.
async fn check_assignable(
    db: &SqlitePool,
    unit: i64,
    raw: &str,
) -> AppResult<Option<(i64, String)>> {
    let Ok(id) = raw.trim().parse::<i64>() else {
        return Ok(None);
    };
    Ok(sqlx::query_as(
        "SELECT u.id, u.username FROM users u
         JOIN user_units uu ON uu.user_id = u.id AND uu.unit_id = ? AND uu.role = 'staf'
         WHERE u.id = ? AND u.active = 1",
    )
    .bind(unit)
    .bind(id)
    .fetch_optional(db)
    .await?)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AreaInput {
    area_id: String,
    user_id: String,
}

async fn assign_area(
    State(state): State<AppState>,
    unit: crate::tenant::Unit,
    chrome: Chrome,
    Acting { user, actor }: Acting,
    Form(input): Form<AreaInput>,
) -> AppResult<Response> {
    let area: Option<(i64, String, i64)> = sqlx::query_as(
        "SELECT area_id, area_name, year FROM unit_areas WHERE area_id = ? AND unit_id = ?",
    )
    .bind(input.area_id.trim().parse::<i64>().unwrap_or(0))
    .bind(unit.id)
    .fetch_optional(&state.db)
    .await?;
    let Some((area_id, area_name, year)) = area else {
        return Err(AppError::NotFound);
    };
    let Some((pic_id, pic_name)) = check_assignable(&state.db, unit.id, &input.user_id).await?
    else {
        let page = build_page(
            &state,
            chrome,
            unit.id,
            Some(&year.to_string()),
            Some("Pilih PIC: akun staf yang aktif.".into()),
        )
        .await?;
        return render_status(StatusCode::BAD_REQUEST, &page);
    };
    let mut tx = crate::db::write(&state.db).await?;
    let added = sqlx::query(
        "INSERT OR IGNORE INTO step_assignments (step_id, user_id, assigned_by)
         SELECT step_id, ?, ? FROM unit_steps WHERE area_id = ? AND unit_id = ?",
    )
    .bind(pic_id)
    .bind(user.id)
    .bind(area_id)
    .bind(unit.id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if added > 0 {
        crate::notify::events::assigned(
            &mut tx,
            &state,
            user.id,
            unit.id,
            &[pic_id],
            (
                &format!(
                    "Anda ditugaskan sebagai PIC {added} langkah aksi area {area_name} ({year})"
                ),
                &format!("/tugas?periode={year}-1"),
            ),
        )
        .await?;
    }
    tx.commit(
        &actor,
        Entry::new(
            Action::AssignmentBulk,
            format!(
                "{pic_name} ditugaskan ke semua langkah area {area_name} ({added} langkah baru)"
            ),
        )
        .object(crate::audit::Object::Area, area_id)
        .after(json!({"pic": pic_name, "langkah_baru": added})),
    )
    .await?;
    Ok(Redirect::to(&format!(
        "/penugasan?tahun={year}&pesan=penugasan-disimpan#area-{area_id}"
    ))
    .into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct HandoverInput {
    tahun: String,
    from_user: String,
    to_user: String,
}

async fn handover(
    State(state): State<AppState>,
    unit: crate::tenant::Unit,
    chrome: Chrome,
    Acting { user, actor }: Acting,
    Form(input): Form<HandoverInput>,
) -> AppResult<Response> {
    let year = input.tahun.trim().to_string();
    // only a member of the unit (another unit's people are not even named)
    let from: Option<(i64, String)> = sqlx::query_as(
        "SELECT u.id, u.username FROM users u
         JOIN user_units uu ON uu.user_id = u.id AND uu.unit_id = ?
         WHERE u.id = ?",
    )
    .bind(unit.id)
    .bind(input.from_user.trim().parse::<i64>().unwrap_or(0))
    .fetch_optional(&state.db)
    .await?;
    let to = check_assignable(&state.db, unit.id, &input.to_user).await?;
    let problem = match (&from, &to) {
        (None, _) => Some("Pilih pengguna yang langkahnya akan dialihkan."),
        (_, None) => Some("Pilih penerima: akun staf yang aktif."),
        (Some(f), Some(t)) if f.0 == t.0 => Some("Pengguna asal dan penerima harus berbeda."),
        _ => None,
    };
    if let Some(msg) = problem {
        let page = build_page(&state, chrome, unit.id, Some(&year), Some(msg.into())).await?;
        return render_status(StatusCode::BAD_REQUEST, &page);
    }
    let (from, to) = (from.expect("checked"), to.expect("checked"));
    let year_n: i64 = year.parse().map_err(|_| AppError::NotFound)?;
    let mut tx = crate::db::write(&state.db).await?;
    let in_year = "SELECT step_id FROM unit_steps WHERE unit_id = ? AND year = ?";
    let moved = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT OR IGNORE INTO step_assignments (step_id, user_id, assigned_by)
         SELECT step_id, ?, ? FROM step_assignments WHERE user_id = ? AND step_id IN ({in_year})"
    )))
    .bind(to.0)
    .bind(user.id)
    .bind(from.0)
    .bind(unit.id)
    .bind(year_n)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let removed = sqlx::query(sqlx::AssertSqlSafe(format!(
        "DELETE FROM step_assignments WHERE user_id = ? AND step_id IN ({in_year})"
    )))
    .bind(from.0)
    .bind(unit.id)
    .bind(year_n)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if removed > 0 {
        crate::notify::events::assigned(
            &mut tx,
            &state,
            user.id,
            unit.id,
            &[to.0],
            (
                &format!(
                    "{removed} langkah aksi tahun {year_n} dialihkan kepada Anda dari {}",
                    from.1
                ),
                &format!("/tugas?periode={year_n}-1"),
            ),
        )
        .await?;
    }
    tx.commit(
        &actor,
        Entry::new(
            Action::AssignmentHandover,
            format!(
                "{removed} langkah {} tahun {year_n} dialihkan ke {}",
                from.1, to.1
            ),
        )
        .change(
            json!({"pic": from.1, "langkah": removed}),
            json!({"pic": to.1, "langkah_baru": moved}),
        ),
    )
    .await?;
    // "all steps handed over" would be wrong when there were none
    let flash = if removed == 0 {
        "tidak-ada-dialihkan"
    } else {
        "dialihkan"
    };
    Ok(Redirect::to(&format!("/penugasan?tahun={year_n}&pesan={flash}")).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PicInput {
    periode: String,
    user_id: String,
    action: String,
}

async fn step_pic(
    State(state): State<AppState>,
    Acting { user, actor }: Acting,
    Path(id): Path<String>,
    Form(input): Form<PicInput>,
) -> AppResult<Response> {
    let (ctx, _) = step::load_step(&state, &user, &id).await?;
    let period = step::posted_period(&state.db, &ctx, &input.periode).await?;
    let target: Option<(i64, String)> =
        sqlx::query_as("SELECT id, username FROM users WHERE id = ?")
            .bind(input.user_id.trim().parse::<i64>().unwrap_or(0))
            .fetch_optional(&state.db)
            .await?;
    let Some((pic_id, pic_name)) = target else {
        return Err(AppError::BadRequest(
            "Pilih pengguna yang akan ditugaskan.".into(),
        ));
    };
    let mut tx = crate::db::write(&state.db).await?;
    let (action, summary, flash) = match input.action.as_str() {
        "hapus" => {
            sqlx::query("DELETE FROM step_assignments WHERE step_id = ? AND user_id = ?")
                .bind(ctx.id)
                .bind(pic_id)
                .execute(&mut *tx)
                .await?;
            (
                Action::AssignmentRemoved,
                format!("{pic_name} dilepas dari langkah {}", ctx.code()),
                crate::web::Flash::PicRemoved,
            )
        }
        _ => {
            if check_assignable(&state.db, ctx.unit_id, &pic_id.to_string())
                .await?
                .is_none()
            {
                return Err(AppError::BadRequest(
                    "Hanya akun staf yang aktif dapat menjadi PIC.".into(),
                ));
            }
            let added = sqlx::query("INSERT OR IGNORE INTO step_assignments (step_id, user_id, assigned_by) VALUES (?, ?, ?)")
                .bind(ctx.id)
                .bind(pic_id)
                .bind(user.id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if added > 0 {
                crate::notify::events::assigned(
                    &mut tx,
                    &state,
                    user.id,
                    ctx.unit_id,
                    &[pic_id],
                    (
                        &format!(
                            "Anda ditugaskan sebagai PIC langkah {}: {}",
                            ctx.code(),
                            crate::fmt::clip(&ctx.text, 80)
                        ),
                        &step_url(ctx.id, period, None),
                    ),
                )
                .await?;
            }
            (
                Action::AssignmentAdded,
                format!("{pic_name} ditugaskan ke langkah {}", ctx.code()),
                crate::web::Flash::PicAdded,
            )
        }
    };
    tx.commit(
        &actor,
        Entry::new(action, summary)
            .object(crate::audit::Object::Step, ctx.id)
            .after(json!({"pic": pic_name})),
    )
    .await?;
    Ok(Redirect::to(&step_url(ctx.id, period, Some(flash))).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct UnitInput {
    periode: String,
    unit_id: String,
}

async fn step_unit(
    State(state): State<AppState>,
    Acting { user, actor }: Acting,
    Path(id): Path<String>,
    Form(input): Form<UnitInput>,
) -> AppResult<Response> {
    let (ctx, _) = step::load_step(&state, &user, &id).await?;
    let period = step::posted_period(&state.db, &ctx, &input.periode).await?;
    let unit: Option<(i64, String)> = match input.unit_id.trim() {
        "" => None,
        raw => Some(
            sqlx::query_as("SELECT id, name FROM units WHERE id = ?")
                .bind(raw.parse::<i64>().unwrap_or(0))
                .fetch_optional(&state.db)
                .await?
                .ok_or_else(|| AppError::BadRequest("Unit yang dipilih tidak ada.".into()))?,
        ),
    };
    let mut tx = crate::db::write(&state.db).await?;
    match &unit {
        Some((uid, _)) => {
            sqlx::query(
                "INSERT INTO step_responsible_units (step_id, unit_id) VALUES (?, ?)
                         ON CONFLICT (step_id) DO UPDATE SET unit_id = excluded.unit_id",
            )
            .bind(ctx.id)
            .bind(uid)
            .execute(&mut *tx)
            .await?;
        }
        None => {
            sqlx::query("DELETE FROM step_responsible_units WHERE step_id = ?")
                .bind(ctx.id)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit(
        &actor,
        Entry::new(
            Action::ResponsibleUnitSet,
            format!("Unit penanggung jawab langkah {} diatur", ctx.code()),
        )
        .object(crate::audit::Object::Step, ctx.id)
        .after(json!({"unit": unit.as_ref().map(|u| u.1.clone())})),
    )
    .await?;
    Ok(Redirect::to(&step_url(
        ctx.id,
        period,
        Some(crate::web::Flash::ResponsibleUnitSaved),
    ))
    .into_response())
}
