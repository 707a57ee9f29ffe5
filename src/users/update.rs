//! Changing an account: what a unit admin may change (`Scope`), in one write.

use super::model::*;
use super::save::*;
use crate::identity::{AnyRole, InstansiRole};

use serde_json::json;
use sqlx::SqliteConnection;

use crate::audit::{Action, Actor, Entry};
use crate::auth::{Role, session};

pub struct Changes {
    pub display_name: String,
    /// An instansi role, a role in `unit_id`, or "" for no role there.
    pub role: String,
    /// The unit the change is made from.
    pub unit_id: i64,
    pub active: bool,
    /// Who takes over the person's steps of the unit when they stop being its staff.
    pub handover_to: Option<i64>,
    /// The address as the admin typed it ("" for none); trusted.
    pub email: String,
}

/// Who changes an account. Name, e-mail, active state, password and the sign-in lock
/// belong to the whole account, so a unit admin holds them only for an account whose
/// every role is a non-admin role in their own unit; otherwise they change just the
/// role in their unit (an account shared with another unit would else be taken over).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// An instansi admin, or the command line.
    Whole,
    /// A unit admin of this unit.
    Unit(i64),
}

impl Scope {
    pub fn of(admin: &crate::auth::CurrentUser) -> Self {
        if admin.is_instansi_admin() {
            Scope::Whole
        } else {
            // a unit admin without a unit holds no account (unit 0 has none)
            Scope::Unit(admin.unit.as_ref().map_or(0, |u| u.id))
        }
    }

    /// Whether the whole account is this scope's: read inside the writing transaction,
    /// so a role given elsewhere in between is seen.
    pub async fn holds_account(self, conn: &mut SqliteConnection, id: i64) -> sqlx::Result<bool> {
        let Scope::Unit(unit) = self else {
            return Ok(true);
        };
        let foreign: i64 = sqlx::query_scalar(
            "SELECT (SELECT count(*) FROM users WHERE id = ?1 AND instansi_role IS NOT NULL)
                  + (SELECT count(*) FROM user_units
                      WHERE user_id = ?1 AND (unit_id <> ?2 OR role = 'admin'))",
        )
        .bind(id)
        .bind(unit)
        .fetch_one(conn)
        .await?;
        Ok(foreign == 0)
    }
}

pub(crate) const NOT_THEIRS: &str = "Akun ini juga memiliki peran di unit lain atau peran admin: nama, surel, status aktif, kata sandi dan kunci masuknya hanya dapat diubah oleh admin instansi atau pemilik akun. Anda hanya dapat mengubah perannya di unit ini.";

/// The units whose audit trail an account change belongs in: every unit the account
/// holds a role in (read before and after the change, so a removed role is included).
pub(crate) async fn units_of(conn: &mut SqliteConnection, id: i64) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar("SELECT unit_id FROM user_units WHERE user_id = ? ORDER BY unit_id")
        .bind(id)
        .fetch_all(conn)
        .await
}

pub(crate) const ADMIN_ROLE_KEPT: &str =
    "Peran admin unit akun lain hanya dapat dicabut atau diubah oleh admin instansi.";

pub(crate) const LAST_ADMIN: &str = "Akun ini adalah admin instansi aktif terakhir: tidak dapat dinonaktifkan atau diubah perannya. Jadikan pengguna lain admin instansi terlebih dahulu.";

/// Changes an account from a unit's page; refuses to leave the instansi without an
/// active instansi admin. Only an instansi admin changes instansi roles.
pub async fn update(
    state: &crate::AppState,
    actor: &Actor,
    id: i64,
    ch: Changes,
    may_instansi: bool,
) -> Result<(), SaveError> {
    let db = &state.db;
    let Some(before) = get(db, ch.unit_id, id).await? else {
        return Err(SaveError::Conflict("Pengguna tidak ditemukan.".into()));
    };
    if before.is_instansi() && !may_instansi {
        return Err(SaveError::Conflict(
            "Akun tingkat instansi hanya dapat diubah oleh admin instansi.".into(),
        ));
    }
    let mut tx = crate::db::write(db).await?;
    let scope = if may_instansi {
        Scope::Whole
    } else {
        Scope::Unit(ch.unit_id)
    };
    // What belongs to the whole account stays as it was unless it is the admin's: the
    // form shows those fields read-only then, and a forged value is not taken.
    let (display_name, email_typed, active) = if scope.holds_account(&mut tx, id).await? {
        (
            ch.display_name.trim().to_string(),
            ch.email.clone(),
            ch.active,
        )
    } else {
        (
            before.display_name.clone(),
            before.email.clone().unwrap_or_default(),
            before.active,
        )
    };
    let mut errors = FieldErrors::default();
    check_display_name(&display_name, &mut errors);
    let email = check_email(Some(&email_typed), &mut errors);
    let units_before = units_of(&mut tx, id).await?;
    // A unit admin may not take another admin's role away: demoted, the account would
    // be wholly theirs, its password next (read here, inside the write).
    if let Scope::Unit(unit) = scope
        && actor.id != Some(id)
        && ch.role != "admin"
    {
        let role: Option<String> =
            sqlx::query_scalar("SELECT role FROM user_units WHERE user_id = ? AND unit_id = ?")
                .bind(id)
                .bind(unit)
                .fetch_optional(&mut *tx)
                .await?;
        if role.as_deref() == Some("admin") {
            return Err(SaveError::Conflict(ADMIN_ROLE_KEPT.into()));
        }
    }
    if !ch.role.is_empty() {
        check_role(&mut tx, &ch.role, &[ch.unit_id], may_instansi, &mut errors).await?;
    }
    if !errors.is_empty() {
        return Err(SaveError::Invalid(errors));
    }
    let in_unit = "SELECT step_id FROM unit_steps WHERE unit_id = ?";
    // Only staff are PICs: leaving the staf role hands the person's steps over first.
    let mut handed_over = None;
    if before.role == Some(AnyRole::Unit(Role::Staf)) && ch.role != "staf" {
        let held: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM step_assignments WHERE user_id = ? AND step_id IN ({in_unit})"
        )))
        .bind(id)
        .bind(ch.unit_id)
        .fetch_one(&mut *tx)
        .await?;
        if held > 0 {
            let Some(to) = ch.handover_to else {
                return Err(SaveError::HoldsSteps(held));
            };
            let receiver: Option<String> = sqlx::query_scalar(
                "SELECT u.username FROM users u
                 JOIN user_units uu ON uu.user_id = u.id AND uu.unit_id = ? AND uu.role = 'staf'
                 WHERE u.id = ? AND u.id != ? AND u.active = 1",
            )
            .bind(ch.unit_id)
            .bind(to)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(receiver) = receiver else {
                let mut e = FieldErrors::default();
                e.add("alihkan_ke", "Pilih penerima: akun staf lain yang aktif.");
                return Err(SaveError::Invalid(e));
            };
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT OR IGNORE INTO step_assignments (step_id, user_id)
                 SELECT step_id, ? FROM step_assignments WHERE user_id = ? AND step_id IN ({in_unit})"
            )))
            .bind(to)
            .bind(id)
            .bind(ch.unit_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM step_assignments WHERE user_id = ? AND step_id IN ({in_unit})"
            )))
            .bind(id)
            .bind(ch.unit_id)
            .execute(&mut *tx)
            .await?;
            crate::notify::events::assigned(
                &mut tx,
                state,
                actor.id.unwrap_or(0),
                ch.unit_id,
                &[to],
                (
                    &format!(
                        "{held} langkah aksi dialihkan kepada Anda dari {}",
                        before.username
                    ),
                    "/tugas",
                ),
            )
            .await?;
            handed_over = Some((held, receiver));
        }
    }
    let new_instansi = match crate::tenant::AnyRole::parse(&ch.role) {
        Some(crate::tenant::AnyRole::Instansi(r)) => Some(r.as_str()),
        _ if may_instansi => None,
        // a unit admin leaves an instansi role as it is (they cannot see one anyway)
        _ => match before.role {
            Some(AnyRole::Instansi(r)) => Some(r.as_str()),
            _ => None,
        },
    };
    let removes_admin = before.role == Some(AnyRole::Instansi(InstansiRole::Admin))
        && before.active
        && (new_instansi != Some("admin-instansi") || !active);
    // The guard sits in the UPDATE itself, so two admins demoting each other at once
    // cannot both succeed.
    let done = sqlx::query(
        "UPDATE users SET display_name = ?, instansi_role = ?, active = ?,
                updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
         WHERE id = ?
           AND (? = 0 OR (SELECT count(*) FROM users
                           WHERE instansi_role = 'admin-instansi' AND active = 1 AND id != ?) > 0)",
    )
    .bind(&display_name)
    .bind(new_instansi)
    .bind(active)
    .bind(id)
    .bind(removes_admin)
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if done == 0 {
        return Err(SaveError::Conflict(LAST_ADMIN.into()));
    }
    match Role::parse(&ch.role) {
        Some(_) => give_role(&mut tx, id, &ch.role, &[ch.unit_id]).await?,
        None if ch.role.is_empty() => {
            sqlx::query("DELETE FROM user_units WHERE user_id = ? AND unit_id = ?")
                .bind(id)
                .bind(ch.unit_id)
                .execute(&mut *tx)
                .await?;
        }
        None => {}
    }
    if !active {
        session::end_all_for_user(&mut tx, id).await?;
    }
    store_email(&mut tx, id, email.as_deref()).await?;
    let mut units = units_before;
    units.extend(units_of(&mut tx, id).await?);
    let after: User = sqlx::query_as(sqlx::AssertSqlSafe(format!("{USER_SELECT} WHERE u.id = ?")))
        .bind(ch.unit_id)
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    let action = if before.active && !active {
        Action::UserDeactivated
    } else {
        Action::UserUpdated
    };
    tx.commit_in_units(
        actor,
        &units,
        Entry::new(action, format!("Akun {} diubah", before.username))
            .object(crate::audit::Object::User, id)
            .change(before.snapshot(), {
                let mut a = after.snapshot();
                if let Some((n, to)) = &handed_over {
                    a["langkah_dialihkan"] = json!({"jumlah": n, "ke": to});
                }
                a
            }),
    )
    .await?;
    Ok(())
}
