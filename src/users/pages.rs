//! Admin pages for accounts.

#[allow(unused_imports)]
use super::*;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sqlx::SqlitePool;

use crate::AppState;
use crate::auth::{CurrentUser, Role};
use crate::error::{AppError, AppResult};
use crate::web::{
    Acting, Chrome, Form, Pager, QueryData, SelectOption, parse_id, render, render_status,
};

// ---------------------------------------------------------------------------
// Pages

pub struct UnitOption {
    pub id: i64,
    pub name: String,
    pub selected: bool,
}

pub struct RoleOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

/// The units an admin gives roles in: every unit for an instansi admin, else their own.
pub(crate) async fn unit_options(
    db: &SqlitePool,
    admin: &CurrentUser,
    selected: Option<i64>,
) -> sqlx::Result<Vec<UnitOption>> {
    let current = admin.unit.as_ref().map_or(0, |u| u.id);
    let units: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, name || ' (' || code || ')' FROM work_units
         WHERE (? OR id = ?) AND retired_at IS NULL ORDER BY code",
    )
    .bind(admin.is_instansi_admin())
    .bind(current)
    .fetch_all(db)
    .await?;
    let selected = selected.or(Some(current));
    Ok(units
        .into_iter()
        .map(|(id, name)| UnitOption {
            id,
            name,
            selected: Some(id) == selected,
        })
        .collect())
}

/// The roles an admin gives: the instansi roles only by an instansi admin.
pub(crate) fn role_options(selected: &str, admin: &CurrentUser) -> Vec<RoleOption> {
    use crate::tenant::InstansiRole;
    let mut out: Vec<RoleOption> = Vec::new();
    if admin.is_instansi_admin() {
        for r in [InstansiRole::Admin, InstansiRole::Pimpinan] {
            out.push(RoleOption {
                value: r.as_str(),
                label: r.label(),
                selected: r.as_str() == selected,
            });
        }
    }
    out.extend(Role::ALL.iter().map(|r| RoleOption {
        value: r.as_str(),
        label: r.label(),
        selected: r.as_str() == selected,
    }));
    out
}

/// An account the admin may manage from this unit; anything else is not found.
async fn visible(state: &AppState, admin: &CurrentUser, raw: &str) -> AppResult<User> {
    let unit = admin.unit.as_ref().ok_or(AppError::NotFound)?.id;
    let user = get(&state.db, unit, parse_id(raw)?)
        .await?
        .ok_or(AppError::NotFound)?;
    if admin.is_instansi_admin() || (user.unit_id.is_some() && !user.is_instansi()) {
        Ok(user)
    } else {
        Err(AppError::NotFound)
    }
}

#[derive(Template)]
#[template(path = "users/list.html")]
pub(crate) struct ListPage {
    pub(crate) chrome: Chrome,
    pub(crate) users: Vec<User>,
    pub(crate) pager: Pager,
}

#[derive(Deserialize)]
pub struct PageQuery {
    pub(crate) halaman: Option<String>,
}

pub(crate) const PAGE_SIZE: i64 = 25;

pub(crate) async fn list_page(
    State(state): State<AppState>,
    unit: crate::tenant::Unit,
    admin: CurrentUser,
    chrome: Chrome,
    QueryData(q): QueryData<PageQuery>,
) -> AppResult<Response> {
    let all = admin.is_instansi_admin();
    let total = count(&state.db, unit.id, all).await?;
    let pager = Pager::new(
        Pager::page_from(q.halaman.as_deref()),
        PAGE_SIZE,
        total,
        "/admin/pengguna".into(),
    );
    let users = list(&state.db, unit.id, all, PAGE_SIZE, pager.offset()).await?;
    render(&ListPage {
        chrome,
        users,
        pager,
    })
}

/// The values of the account form, kept when it is shown again with errors.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct UserForm {
    pub(crate) username: String,
    pub(crate) display_name: String,
    pub(crate) email: String,
    pub(crate) role: String,
    pub(crate) unit_id: String,
    pub(crate) active: Option<String>,
    pub(crate) password: String,
    pub(crate) password_confirm: String,
    pub(crate) alihkan_ke: String,
}

pub(crate) fn parse_unit(raw: &str, errors: &mut FieldErrors) -> Option<i64> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    match raw.parse::<i64>() {
        Ok(id) => Some(id),
        Err(_) => {
            errors.add("unit_id", "Unit kerja yang dipilih tidak ada.");
            None
        }
    }
}

#[derive(Template)]
#[template(path = "users/form.html")]
pub(crate) struct FormPage {
    pub(crate) chrome: Chrome,
    /// None when creating.
    pub(crate) user: Option<User>,
    pub(crate) username: String,
    pub(crate) display_name: String,
    pub(crate) email: String,
    pub(crate) active: bool,
    pub(crate) roles: Vec<RoleOption>,
    pub(crate) units: Vec<UnitOption>,
    pub(crate) errors: FieldErrors,
    pub(crate) reset_errors: FieldErrors,
    pub(crate) conflict: Option<String>,
    /// Failed sign-ins of the account still counting towards a lock.
    pub(crate) failures: i64,
    /// Offered when a staff member leaving the role still holds steps.
    pub(crate) handover: Option<HandoverOffer>,
    /// Whether the admin may change what belongs to the whole account (name, e-mail,
    /// active state, password, sign-in lock); else only the role in their unit.
    pub(crate) holds_account: bool,
}

pub(crate) struct HandoverOffer {
    pub(crate) held: i64,
    pub(crate) receivers: Vec<SelectOption>,
}

impl FormPage {
    fn error(&self, field: &str) -> &str {
        self.errors.get(field).unwrap_or("")
    }
}

pub(crate) async fn new_form(
    State(state): State<AppState>,
    admin: CurrentUser,
    chrome: Chrome,
) -> AppResult<Response> {
    render(&FormPage {
        chrome,
        user: None,
        username: String::new(),
        display_name: String::new(),
        email: String::new(),
        active: true,
        roles: role_options("staf", &admin),
        units: unit_options(&state.db, &admin, None).await?,
        errors: FieldErrors::default(),
        reset_errors: FieldErrors::default(),
        conflict: None,
        failures: 0,
        handover: None,
        holds_account: true,
    })
}

/// Whether the admin holds the whole of this account (read-only on its pages otherwise).
async fn holds_account(state: &AppState, admin: &CurrentUser, id: i64) -> AppResult<bool> {
    Ok(Scope::of(admin)
        .holds_account(&mut *state.db.acquire().await?, id)
        .await?)
}

pub(crate) async fn create_submit(
    State(state): State<AppState>,
    chrome: Chrome,
    Acting { user: admin, actor }: Acting,
    Form(form): Form<UserForm>,
) -> AppResult<Response> {
    let mut pre = FieldErrors::default();
    // without a choice, the role is held in the unit the admin is working in
    let unit_id = parse_unit(&form.unit_id, &mut pre).or(admin.unit.as_ref().map(|u| u.id));
    // a unit admin gives roles in their own unit only
    if let Some(u) = unit_id
        && !admin.is_instansi_admin()
        && admin.unit.as_ref().map(|x| x.id) != Some(u)
    {
        pre.add("unit_id", "Unit kerja yang dipilih tidak ada.");
    }
    let result = if pre.is_empty() {
        create(
            &state.db,
            &actor,
            NewUser {
                username: form.username.clone(),
                display_name: form.display_name.clone(),
                email: Some(form.email.clone()),
                role: form.role.clone(),
                units: unit_id.into_iter().collect(),
                password: form.password.clone(),
                password_confirm: form.password_confirm.clone(),
                must_change_password: true,
            },
            admin.is_instansi_admin(),
        )
        .await
    } else {
        Err(SaveError::Invalid(pre))
    };
    let (status, errors, conflict) = match result {
        Ok(_) => return Ok(Redirect::to("/admin/pengguna?pesan=pengguna-dibuat").into_response()),
        Err(SaveError::Invalid(e)) => (StatusCode::BAD_REQUEST, e, None),
        Err(SaveError::Conflict(m)) => (StatusCode::CONFLICT, FieldErrors::default(), Some(m)),
        Err(e @ (SaveError::HoldsSteps(_) | SaveError::NotTheirs)) => {
            return Err(AppError::Conflict(e.to_string()));
        }
        Err(SaveError::Db(e)) => return Err(e.into()),
        Err(SaveError::Other(e)) => return Err(e.into()),
    };
    render_status(
        status,
        &FormPage {
            chrome,
            user: None,
            username: form.username,
            display_name: form.display_name,
            email: form.email,
            active: true,
            roles: role_options(&form.role, &admin),
            units: unit_options(&state.db, &admin, unit_id).await?,
            errors,
            reset_errors: FieldErrors::default(),
            conflict,
            failures: 0,
            handover: None,
            holds_account: true,
        },
    )
}

pub(crate) async fn edit_form(
    State(state): State<AppState>,
    admin: CurrentUser,
    chrome: Chrome,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let user = visible(&state, &admin, &id).await?;
    let holds_account = holds_account(&state, &admin, user.id).await?;
    render(&FormPage {
        holds_account,
        chrome,
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        email: user.email.clone().unwrap_or_default(),
        active: user.active,
        roles: role_options(user.role_word(), &admin),
        units: unit_options(&state.db, &admin, None).await?,
        failures: crate::auth::throttle::recent_failures(&state.db, &user.username).await?,
        user: Some(user),
        errors: FieldErrors::default(),
        reset_errors: FieldErrors::default(),
        conflict: None,
        handover: None,
    })
}

/// Lifts a sign-in lock: failures before now no longer count for this account.
pub(crate) async fn unlock_submit(
    State(state): State<AppState>,
    Acting { user: admin, actor }: Acting,
    Path(id): Path<String>,
    _confirmed: Form<crate::web::Empty>,
) -> AppResult<Response> {
    let user = visible(&state, &admin, &id).await?;
    let mut tx = crate::db::write(&state.db).await?;
    if !Scope::of(&admin).holds_account(&mut tx, user.id).await? {
        return Err(AppError::ForbiddenWith(NOT_THEIRS.into()));
    }
    let ip = actor.ip.clone().unwrap_or_default();
    crate::auth::throttle::record(
        &mut tx,
        &user.username,
        &ip,
        crate::auth::session::now(),
        crate::auth::throttle::Outcome::Lifted,
    )
    .await?;
    let units = units_of(&mut tx, user.id).await?;
    tx.commit_in_units(
        &actor,
        &units,
        Entry::new(
            Action::LoginUnlocked,
            format!(
                "Kunci masuk {} dibuka oleh {}",
                user.username, admin.username
            ),
        )
        .object(crate::audit::Object::User, user.id),
    )
    .await?;
    Ok(Redirect::to(&format!("/admin/pengguna/{}?pesan=kunci-dibuka", user.id)).into_response())
}

pub(crate) async fn edit_submit(
    State(state): State<AppState>,
    chrome: Chrome,
    Acting { user: admin, actor }: Acting,
    Path(id): Path<String>,
    Form(form): Form<UserForm>,
) -> AppResult<Response> {
    let user = visible(&state, &admin, &id).await?;
    let mut pre = FieldErrors::default();
    let current = admin.unit.as_ref().map_or(0, |u| u.id);
    // the role is changed in the unit chosen (an instansi admin may pick any)
    let unit_id = parse_unit(&form.unit_id, &mut pre).unwrap_or(current);
    if unit_id != current && !admin.is_instansi_admin() {
        pre.add("unit_id", "Unit kerja yang dipilih tidak ada.");
    }
    let active = form.active.is_some();
    let result = if pre.is_empty() {
        update(
            &state,
            &actor,
            user.id,
            Changes {
                display_name: form.display_name.clone(),
                email: form.email.clone(),
                role: form.role.clone(),
                unit_id,
                active,
                handover_to: form.alihkan_ke.trim().parse().ok(),
            },
            admin.is_instansi_admin(),
        )
        .await
    } else {
        Err(SaveError::Invalid(pre))
    };
    let mut handover = None;
    let (status, errors, conflict) = match result {
        Ok(()) => {
            return Ok(Redirect::to(&format!(
                "/admin/pengguna/{}?pesan=pengguna-disimpan",
                user.id
            ))
            .into_response());
        }
        Err(SaveError::Invalid(e)) => (StatusCode::BAD_REQUEST, e, None),
        Err(SaveError::Conflict(m)) => (StatusCode::CONFLICT, FieldErrors::default(), Some(m)),
        Err(SaveError::HoldsSteps(n)) => {
            handover = Some(HandoverOffer {
                held: n,
                receivers: crate::assign::assignable_users(&state.db, unit_id)
                    .await?
                    .into_iter()
                    .filter(|(uid, _, _)| *uid != user.id)
                    .map(|(uid, name, _)| SelectOption::new(uid.to_string(), name, false))
                    .collect(),
            });
            (
                StatusCode::CONFLICT,
                FieldErrors::default(),
                Some(format!(
                    "{} masih PIC {n} langkah aksi. Hanya staf yang dapat menjadi PIC: pilih staf yang menerima langkah-langkahnya, lalu simpan lagi.",
                    user.display_name
                )),
            )
        }
        Err(e @ SaveError::NotTheirs) => return Err(AppError::ForbiddenWith(e.to_string())),
        Err(SaveError::Db(e)) => return Err(e.into()),
        Err(SaveError::Other(e)) => return Err(e.into()),
    };
    let holds_account = holds_account(&state, &admin, user.id).await?;
    render_status(
        status,
        &FormPage {
            holds_account,
            chrome,
            handover,
            username: user.username.clone(),
            display_name: form.display_name,
            email: form.email,
            active,
            roles: role_options(&form.role, &admin),
            units: unit_options(&state.db, &admin, Some(unit_id)).await?,
            user: Some(user),
            errors,
            reset_errors: FieldErrors::default(),
            conflict,
            failures: 0,
        },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ResetForm {
    pub(crate) password: String,
    pub(crate) password_confirm: String,
    pub(crate) alihkan_ke: String,
}

pub(crate) async fn reset_submit(
    State(state): State<AppState>,
    chrome: Chrome,
    Acting { user: admin, actor }: Acting,
    Path(id): Path<String>,
    Form(form): Form<ResetForm>,
) -> AppResult<Response> {
    let user = visible(&state, &admin, &id).await?;
    let result = if form.password != form.password_confirm {
        let mut e = FieldErrors::default();
        e.add("password_confirm", "Konfirmasi kata sandi tidak sama.");
        Err(SaveError::Invalid(e))
    } else {
        set_password(
            &state.db,
            &actor,
            Scope::of(&admin),
            user.id,
            &form.password,
            true,
        )
        .await
    };
    match result {
        Ok(()) => Ok(
            Redirect::to(&format!("/admin/pengguna/{}?pesan=sandi-diatur", user.id))
                .into_response(),
        ),
        Err(SaveError::Invalid(reset_errors)) => render_status(
            StatusCode::BAD_REQUEST,
            &FormPage {
                chrome,
                username: user.username.clone(),
                display_name: user.display_name.clone(),
                email: user.email.clone().unwrap_or_default(),
                active: user.active,
                roles: role_options(user.role_word(), &admin),
                units: unit_options(&state.db, &admin, None).await?,
                user: Some(user),
                errors: FieldErrors::default(),
                reset_errors,
                conflict: None,
                failures: 0,
                handover: None,
                holds_account: true,
            },
        ),
        Err(e @ SaveError::NotTheirs) => Err(AppError::ForbiddenWith(e.to_string())),
        Err(SaveError::Conflict(_)) => Err(AppError::NotFound),
        Err(e @ SaveError::HoldsSteps(_)) => Err(AppError::Conflict(e.to_string())),
        Err(SaveError::Db(e)) => Err(e.into()),
        Err(SaveError::Other(e)) => Err(e.into()),
    }
}
