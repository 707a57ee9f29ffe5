//! The instansi and its work units (unit kerja): the tenants. Every target year,
//! step, answer and record belongs to one unit; accounts hold a role per unit, or an
//! instansi-wide role. A request is about one unit: the one its address names
//! (`/u/{kode}/…`), else the one its session last opened, else the person's first.

use axum::extract::Request;
use axum::http::Uri;
use serde_json::json;
use sqlx::SqlitePool;

use crate::audit::{Action, Actor, Entry};
use crate::error::{AppError, UserError};
pub use crate::identity::{AnyRole, InstansiRole, SessionUnit, Unit, UnitRef};
use crate::identity::{CurrentUser, Role};

/// A unit with everything its pages show.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct WorkUnit {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    pub retired: bool,
}

const UNIT_SELECT: &str = "SELECT w.id, w.code, w.name, p.code AS parent_code,
        w.retired_at IS NOT NULL AS retired
    FROM work_units w LEFT JOIN work_units p ON p.id = w.parent_id";

pub async fn list(db: &SqlitePool) -> sqlx::Result<Vec<WorkUnit>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{UNIT_SELECT} ORDER BY w.code"
    )))
    .fetch_all(db)
    .await
}

pub async fn by_code(db: &SqlitePool, code: &str) -> sqlx::Result<Option<WorkUnit>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{UNIT_SELECT} WHERE w.code = ?"
    )))
    .bind(code.trim())
    .fetch_optional(db)
    .await
}

pub async fn instansi_name(db: &SqlitePool) -> sqlx::Result<String> {
    Ok(
        sqlx::query_scalar::<_, String>("SELECT name FROM instansi WHERE id = 1")
            .fetch_optional(db)
            .await?
            .unwrap_or_default(),
    )
}

/// The one unit of an instansi that has exactly one, for commands whose `--unit` is
/// optional then.
pub async fn resolve_code(db: &SqlitePool, code: Option<&str>) -> anyhow::Result<UnitRef> {
    match code {
        Some(code) => {
            let u = by_code(db, code).await?.ok_or_else(|| {
                UserError(format!(
                    "unit \"{code}\" tidak ada (lihat: zi-tracker unit list)"
                ))
            })?;
            Ok(UnitRef {
                id: u.id,
                code: u.code,
                name: u.name,
            })
        }
        None => {
            let units: Vec<UnitRef> = sqlx::query_as(
                "SELECT id, code, name FROM work_units WHERE retired_at IS NULL ORDER BY code LIMIT 2",
            )
            .fetch_all(db)
            .await?;
            match units.as_slice() {
                [one] => Ok(one.clone()),
                [] => Err(UserError("belum ada unit kerja aktif".into()).into()),
                _ => Err(UserError(
                    "instansi ini mempunyai lebih dari satu unit: sebutkan --unit KODE".into(),
                )
                .into()),
            }
        }
    }
}

/// A unit code: 2 to 32 lower-case letters, digits and hyphens, starting with a
/// letter or digit (it appears in addresses and never changes).
pub fn check_code(code: &str) -> Result<(), String> {
    let ok = (2..=32).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !code.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "kode unit \"{code}\" tidak sah: 2–32 huruf kecil, angka atau tanda hubung"
        ))
    }
}

fn check_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err("nama unit wajib diisi (paling banyak 200 karakter)".into());
    }
    Ok(name.to_string())
}

/// Adds a unit; its code must be new (retired units keep theirs).
pub async fn add(
    db: &SqlitePool,
    actor: &Actor,
    code: &str,
    name: &str,
    parent: Option<&str>,
) -> Result<i64, AddError> {
    let code = code.trim().to_lowercase();
    check_code(&code).map_err(AddError::Invalid)?;
    let name = check_name(name).map_err(AddError::Invalid)?;
    let mut tx = crate::db::write(db).await?;
    let parent_id = match parent.map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => Some(
            sqlx::query_scalar::<_, i64>("SELECT id FROM work_units WHERE code = ?")
                .bind(p)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| AddError::Invalid(format!("unit induk \"{p}\" tidak ada")))?,
        ),
        None => None,
    };
    let taken: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM work_units WHERE code = ?)")
        .bind(&code)
        .fetch_one(&mut *tx)
        .await?;
    if taken {
        return Err(AddError::Invalid(format!(
            "kode unit \"{code}\" sudah dipakai"
        )));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO work_units (code, name, parent_id) VALUES (?, ?, ?) RETURNING id",
    )
    .bind(&code)
    .bind(&name)
    .bind(parent_id)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit(
        actor,
        Entry::new(
            Action::WorkUnitAdded,
            format!("Unit kerja {code} ditambahkan: {name}"),
        )
        .object(crate::audit::Object::WorkUnit, id)
        .after(json!({"kode": code, "nama": name, "induk": parent})),
    )
    .await?;
    Ok(id)
}

#[derive(Debug)]
pub enum AddError {
    Invalid(String),
    Db(sqlx::Error),
}

impl From<sqlx::Error> for AddError {
    fn from(e: sqlx::Error) -> Self {
        AddError::Db(e)
    }
}

impl From<AddError> for anyhow::Error {
    fn from(e: AddError) -> Self {
        match e {
            AddError::Invalid(m) => UserError(m).into(),
            AddError::Db(e) => e.into(),
        }
    }
}

/// Renames a unit (its code stays).
pub async fn rename(
    db: &SqlitePool,
    actor: &Actor,
    code: &str,
    name: &str,
) -> Result<(), AddError> {
    let name = check_name(name).map_err(AddError::Invalid)?;
    let mut tx = crate::db::write(db).await?;
    let row: Option<(i64, String)> =
        sqlx::query_as("SELECT id, name FROM work_units WHERE code = ?")
            .bind(code.trim())
            .fetch_optional(&mut *tx)
            .await?;
    let Some((id, before)) = row else {
        return Err(AddError::Invalid(format!("unit \"{code}\" tidak ada")));
    };
    sqlx::query("UPDATE work_units SET name = ? WHERE id = ?")
        .bind(&name)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit(
        actor,
        Entry::new(
            Action::WorkUnitChanged,
            format!("Unit kerja {code} berganti nama: {name}"),
        )
        .object(crate::audit::Object::WorkUnit, id)
        .change(json!({"nama": before}), json!({"nama": name})),
    )
    .await?;
    Ok(())
}

/// Retires a unit: kept with everything it holds, no longer offered for new work.
pub async fn retire(db: &SqlitePool, actor: &Actor, code: &str) -> Result<(), AddError> {
    let mut tx = crate::db::write(db).await?;
    let row: Option<(i64, bool)> =
        sqlx::query_as("SELECT id, retired_at IS NOT NULL FROM work_units WHERE code = ?")
            .bind(code.trim())
            .fetch_optional(&mut *tx)
            .await?;
    let Some((id, retired)) = row else {
        return Err(AddError::Invalid(format!("unit \"{code}\" tidak ada")));
    };
    if retired {
        return Err(AddError::Invalid(format!("unit \"{code}\" sudah nonaktif")));
    }
    sqlx::query(
        "UPDATE work_units SET retired_at = strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE id = ?",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    tx.commit(
        actor,
        Entry::new(
            Action::WorkUnitRetired,
            format!("Unit kerja {code} dinonaktifkan"),
        )
        .object(crate::audit::Object::WorkUnit, id),
    )
    .await?;
    Ok(())
}

/// The unit named by a `/u/{kode}/…` address, taken off the path before routing.
#[derive(Clone, Debug)]
pub struct UnitPrefix(pub String);

/// Turns `/u/{kode}/rest` into `/rest` and remembers the code, so every route of
/// the app exists both with and without the unit in its address.
pub async fn strip_prefix(mut req: Request) -> Request {
    let path = req.uri().path();
    let Some(rest) = path.strip_prefix("/u/") else {
        return req;
    };
    let (code, tail) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if code.is_empty() {
        return req;
    }
    let code = code.to_string();
    let new_path = match req.uri().query() {
        Some(q) => format!("{tail}?{q}"),
        None => tail.to_string(),
    };
    let mut parts = req.uri().clone().into_parts();
    parts.path_and_query = new_path.parse().ok();
    if let Ok(uri) = Uri::from_parts(parts) {
        *req.uri_mut() = uri;
        req.extensions_mut().insert(UnitPrefix(code));
    }
    req
}

#[derive(sqlx::FromRow)]
struct Opened {
    id: i64,
    code: String,
    name: String,
    role: Option<String>,
}

/// What a unit means for this person: `None` if they hold no role in it.
fn effective(instansi: Option<InstansiRole>, role: Option<&str>) -> Option<(Role, bool)> {
    match (instansi, role.and_then(Role::parse)) {
        (Some(InstansiRole::Admin), _) => Some((Role::Admin, false)),
        (_, Some(r)) => Some((r, false)),
        (Some(InstansiRole::Pimpinan), None) => Some((Role::Pimpinan, true)),
        (None, None) => None,
    }
}

/// Sets the request's unit and the person's role in it. A unit named in the
/// address that the person may not open is "not found"; without one, the session's
/// last unit, else their first. The session's own unit needs no further query.
pub async fn resolve(
    db: &SqlitePool,
    user: &mut CurrentUser,
    prefix: Option<&str>,
    session: Option<&SessionUnit>,
) -> Result<(), AppError> {
    if let Some(s) = session
        && prefix.is_none_or(|p| p == s.unit.code)
        && let Some((role, read_only)) = effective(user.instansi_role, s.role.as_deref())
    {
        user.role = role;
        user.read_only = read_only;
        user.unit = Some(s.unit.clone());
        return Ok(());
    }
    let session_unit = session.map(|s| s.unit.id);
    const OPEN: &str = "SELECT w.id, w.code, w.name, uu.role FROM work_units w
        LEFT JOIN user_units uu ON uu.unit_id = w.id AND uu.user_id = ?";
    let named: Option<Opened> = match (prefix, session_unit) {
        (Some(code), _) => {
            let found: Option<Opened> =
                sqlx::query_as(sqlx::AssertSqlSafe(format!("{OPEN} WHERE w.code = ?")))
                    .bind(user.id)
                    .bind(code)
                    .fetch_optional(db)
                    .await?;
            match found {
                Some(o) if effective(user.instansi_role, o.role.as_deref()).is_some() => Some(o),
                _ => return Err(AppError::NotFound),
            }
        }
        (None, Some(id)) => sqlx::query_as(sqlx::AssertSqlSafe(format!("{OPEN} WHERE w.id = ?")))
            .bind(user.id)
            .bind(id)
            .fetch_optional(db)
            .await?
            .filter(|o: &Opened| effective(user.instansi_role, o.role.as_deref()).is_some()),
        (None, None) => None,
    };
    let opened =
        match named {
            Some(o) => Some(o),
            None if user.instansi_role.is_some() => {
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{OPEN} ORDER BY w.retired_at IS NOT NULL, uu.role IS NULL, w.id LIMIT 1"
                )))
                .bind(user.id)
                .fetch_optional(db)
                .await?
            }
            None => sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{OPEN} WHERE uu.role IS NOT NULL ORDER BY w.retired_at IS NOT NULL, w.code LIMIT 1"
            )))
            .bind(user.id)
            .fetch_optional(db)
            .await?,
        };
    if let Some(o) = opened
        && let Some((role, read_only)) = effective(user.instansi_role, o.role.as_deref())
    {
        user.role = role;
        user.read_only = read_only;
        user.unit = Some(UnitRef {
            id: o.id,
            code: o.code,
            name: o.name,
        });
    }
    Ok(())
}

/// The role a person starts in after sign-in: in their first unit (an instansi admin
/// is admin everywhere, an instansi leader reads).
pub async fn first_role(db: &SqlitePool, user_id: i64) -> sqlx::Result<Role> {
    let row: Option<(Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT u.instansi_role,
                (SELECT uu.role FROM user_units uu JOIN work_units w ON w.id = uu.unit_id
                  WHERE uu.user_id = u.id ORDER BY w.retired_at IS NOT NULL, w.code LIMIT 1)
         FROM users u WHERE u.id = ?",
    )
    .bind(user_id)
    .fetch_optional(db)
    .await?;
    let (instansi, role) = row.unwrap_or((None, None));
    Ok(effective(
        instansi.as_deref().and_then(InstansiRole::parse),
        role.as_deref(),
    )
    .map_or(Role::Staf, |(r, _)| r))
}

/// The units a person may open, for the header's switcher.
pub async fn openable(db: &SqlitePool, user: &CurrentUser) -> sqlx::Result<Vec<UnitRef>> {
    if user.instansi_role.is_some() {
        sqlx::query_as(
            "SELECT id, code, name FROM work_units ORDER BY retired_at IS NOT NULL, code",
        )
        .fetch_all(db)
        .await
    } else {
        sqlx::query_as(
            "SELECT w.id, w.code, w.name FROM user_units uu JOIN work_units w ON w.id = uu.unit_id
             WHERE uu.user_id = ? ORDER BY w.retired_at IS NOT NULL, w.code",
        )
        .bind(user.id)
        .fetch_all(db)
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_codes_are_short_lower_case_words() {
        for (code, ok) in [
            ("balitnak", true),
            ("bb-pascapanen", true),
            ("u2", true),
            ("a", false),
            ("Balitnak", false),
            ("-x", false),
            ("a b", false),
            ("a/b", false),
            (&"x".repeat(33), false),
        ] {
            assert_eq!(check_code(code).is_ok(), ok, "{code}");
        }
    }

    #[test]
    fn roles_are_named_as_on_the_command_line() {
        assert_eq!(
            AnyRole::parse("admin-instansi"),
            Some(AnyRole::Instansi(InstansiRole::Admin))
        );
        assert_eq!(
            AnyRole::parse("penilai"),
            Some(AnyRole::Unit(Role::Penilai))
        );
        assert_eq!(AnyRole::parse("instansi"), None);
    }

    #[test]
    fn an_instansi_leader_reads_where_they_hold_no_unit_role() {
        assert_eq!(
            effective(Some(InstansiRole::Pimpinan), None),
            Some((Role::Pimpinan, true))
        );
        assert_eq!(
            effective(Some(InstansiRole::Pimpinan), Some("penilai")),
            Some((Role::Penilai, false))
        );
        assert_eq!(
            effective(Some(InstansiRole::Admin), Some("staf")),
            Some((Role::Admin, false))
        );
        assert_eq!(effective(None, None), None);
    }
}
