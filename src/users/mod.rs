//! Accounts: the model, the queries and the store shared by the pages and the command line.

pub mod import;
pub mod pages;
#[allow(unused_imports)]
pub use pages::*;

use serde_json::json;
use sqlx::{SqliteConnection, SqlitePool};

use crate::audit::{Action, Actor, Entry};
use crate::auth::{Role, password, session};
use crate::routes::{Access, Route};

pub fn routes() -> Vec<Route> {
    use axum::routing::{get, post};
    vec![
        Route::new("GET", "/admin/pengguna", ADMIN, get(list_page)),
        Route::new("GET", "/admin/pengguna/baru", ADMIN, get(new_form)),
        Route::new(
            "GET",
            "/admin/pengguna/impor",
            INSTANSI_ADMIN,
            get(import::form),
        ),
        Route::new(
            "POST",
            "/admin/pengguna/impor",
            INSTANSI_ADMIN,
            post(import::submit),
        )
        .with_body_limit(import::MAX_BYTES + 64 * 1024),
        Route::new("POST", "/admin/pengguna/baru", ADMIN, post(create_submit)),
        Route::new("GET", "/admin/pengguna/{id}", ADMIN, get(edit_form)),
        Route::new("POST", "/admin/pengguna/{id}", ADMIN, post(edit_submit)),
        Route::new(
            "POST",
            "/admin/pengguna/{id}/kata-sandi",
            ADMIN,
            post(reset_submit),
        ),
        Route::new(
            "POST",
            "/admin/pengguna/{id}/buka-kunci",
            ADMIN,
            post(pages::unlock_submit),
        ),
    ]
}

// ---------------------------------------------------------------------------
// Model and queries

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    /// The instansi-wide role, else the role in the unit the page is about ("" for none).
    pub role: String,
    /// The unit the page is about, when the account holds a role there.
    pub unit_id: Option<i64>,
    /// Every unit role of the account, e.g. "balitnak (staf), bbpt (penilai)".
    pub unit_name: Option<String>,
    pub active: bool,
    pub must_change_password: bool,
    pub created_at: String,
    pub updated_at: String,
    pub email: Option<String>,
}

impl User {
    pub fn role_label(&self) -> &'static str {
        crate::tenant::InstansiRole::parse(&self.role)
            .map(|r| r.label())
            .or_else(|| Role::parse(&self.role).map(Role::label))
            .unwrap_or("—")
    }
    pub fn is_instansi(&self) -> bool {
        crate::tenant::InstansiRole::parse(&self.role).is_some()
    }
    pub fn created_label(&self) -> String {
        crate::fmt::stored_datetime_id(&self.created_at)
    }
    fn snapshot(&self) -> serde_json::Value {
        json!({
            "username": self.username,
            "nama": self.display_name,
            "peran": self.role,
            "unit": self.unit_name,
            "aktif": self.active,
            "email": self.email,
        })
    }
}

/// The first bind is the unit whose role is read into `role`.
pub(crate) const USER_SELECT: &str = "SELECT u.id, u.username, u.display_name,
        COALESCE(u.instansi_role, uu.role, '') AS role, uu.unit_id,
        (SELECT group_concat(label, ', ') FROM
           (SELECT w.code || ' (' || x.role || ')' AS label FROM user_units x
              JOIN work_units w ON w.id = x.unit_id WHERE x.user_id = u.id ORDER BY w.code))
          AS unit_name,
        u.active, u.must_change_password, u.created_at, u.updated_at, u.email
    FROM users u LEFT JOIN user_units uu ON uu.user_id = u.id AND uu.unit_id = ?";

pub async fn get(db: &SqlitePool, unit: i64, id: i64) -> sqlx::Result<Option<User>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{USER_SELECT} WHERE u.id = ?")))
        .bind(unit)
        .bind(id)
        .fetch_optional(db)
        .await
}

pub async fn by_username(db: &SqlitePool, unit: i64, username: &str) -> sqlx::Result<Option<User>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{USER_SELECT} WHERE u.username = ?"
    )))
    .bind(unit)
    .bind(username.trim())
    .fetch_optional(db)
    .await
}

/// The accounts an admin manages from a unit: its members (for an instansi admin,
/// every account).
const LISTED: &str = "(?2 OR (uu.role IS NOT NULL AND u.instansi_role IS NULL))";

pub async fn count(db: &SqlitePool, unit: i64, all: bool) -> sqlx::Result<i64> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM users u LEFT JOIN user_units uu ON uu.user_id = u.id AND uu.unit_id = ?1
         WHERE {LISTED}"
    )))
    .bind(unit)
    .bind(all)
    .fetch_one(db)
    .await
}

pub async fn list(
    db: &SqlitePool,
    unit: i64,
    all: bool,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<User>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{} WHERE {LISTED} ORDER BY u.active DESC, u.username LIMIT ?3 OFFSET ?4",
        USER_SELECT.replace("uu.unit_id = ?", "uu.unit_id = ?1")
    )))
    .bind(unit)
    .bind(all)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await
}

/// Field-by-field validation messages, shown on the form beside the fields.
#[derive(Default, Debug)]
pub struct FieldErrors(pub Vec<(&'static str, String)>);

impl FieldErrors {
    fn add(&mut self, field: &'static str, msg: impl Into<String>) {
        self.0.push((field, msg.into()));
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }
    pub fn messages(&self) -> Vec<&str> {
        self.0.iter().map(|(_, m)| m.as_str()).collect()
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.messages().join(" "))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("{0}")]
    Invalid(FieldErrors),
    #[error("{0}")]
    Conflict(String),
    /// A staff member leaving the staf role still holds this many steps: they must be
    /// handed over first (separation of duties: only staff are PICs).
    #[error("masih PIC {0} langkah")]
    HoldsSteps(i64),
    /// A unit admin reached for what belongs to the whole account (see `Scope`).
    #[error("{}", NOT_THEIRS)]
    NotTheirs,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

pub struct NewUser {
    pub username: String,
    pub display_name: String,
    /// An instansi role, or a unit role held in every unit of `units`.
    pub role: String,
    pub units: Vec<i64>,
    pub password: String,
    pub password_confirm: String,
    pub must_change_password: bool,
    /// Set by an admin or on the command line: trusted, used at once.
    pub email: Option<String>,
}

/// An address typed by an admin: empty means none; a malformed one is refused.
fn check_email(raw: Option<&str>, errors: &mut FieldErrors) -> Option<String> {
    let e = raw.map(str::trim).filter(|e| !e.is_empty())?;
    if crate::notify::account::valid_email(e) {
        Some(e.to_string())
    } else {
        errors.add(
            "email",
            format!("Alamat surel \"{e}\" tidak sah; contoh: nama@instansi.go.id."),
        );
        None
    }
}

pub(crate) fn check_username(username: &str, errors: &mut FieldErrors) {
    let n = username.chars().count();
    if n == 0 {
        errors.add("username", "Nama pengguna wajib diisi.");
    } else if !(3..=32).contains(&n) {
        errors.add("username", "Nama pengguna 3 sampai 32 karakter.");
    } else if !username
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
    {
        errors.add(
            "username",
            "Nama pengguna hanya boleh huruf kecil, angka, titik, garis bawah, atau tanda hubung.",
        );
    }
}

pub(crate) fn check_display_name(name: &str, errors: &mut FieldErrors) {
    let n = name.chars().count();
    if n == 0 {
        errors.add("display_name", "Nama lengkap wajib diisi.");
    } else if n > 100 {
        errors.add("display_name", "Nama lengkap maksimal 100 karakter.");
    } else if name.chars().any(char::is_control) {
        // a line break would garble the name in mail subjects and lists
        errors.add(
            "display_name",
            "Nama lengkap tidak boleh memuat baris baru atau karakter kendali.",
        );
    }
}

/// Checks the role and the units it is held in: an instansi role needs none, a unit
/// role at least one existing unit; only an instansi admin gives instansi roles.
pub(crate) async fn check_role(
    db: &mut SqliteConnection,
    role: &str,
    units: &[i64],
    may_instansi: bool,
    errors: &mut FieldErrors,
) -> sqlx::Result<()> {
    match crate::tenant::AnyRole::parse(role) {
        None => errors.add(
            "role",
            format!("Pilih peran: {}.", crate::tenant::AnyRole::NAMES),
        ),
        Some(crate::tenant::AnyRole::Instansi(_)) if !may_instansi => errors.add(
            "role",
            "Hanya admin instansi yang dapat memberi peran tingkat instansi.",
        ),
        Some(crate::tenant::AnyRole::Instansi(_)) => {}
        Some(crate::tenant::AnyRole::Unit(_)) => {
            if units.is_empty() {
                errors.add("unit_id", "Pilih unit kerja tempat peran ini berlaku.");
            }
            for id in units {
                let exists: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM work_units WHERE id = ?")
                        .bind(id)
                        .fetch_optional(&mut *db)
                        .await?;
                if exists.is_none() {
                    errors.add("unit_id", "Unit kerja yang dipilih tidak ada.");
                }
            }
        }
    }
    Ok(())
}

/// Gives the account its role: the instansi role on the account, or the unit role in
/// each unit (replacing the role it had there).
async fn give_role(
    conn: &mut SqliteConnection,
    id: i64,
    role: &str,
    units: &[i64],
) -> sqlx::Result<()> {
    match crate::tenant::AnyRole::parse(role) {
        Some(crate::tenant::AnyRole::Instansi(r)) => {
            sqlx::query("UPDATE users SET instansi_role = ? WHERE id = ?")
                .bind(r.as_str())
                .bind(id)
                .execute(&mut *conn)
                .await?;
        }
        Some(crate::tenant::AnyRole::Unit(r)) => {
            for unit in units {
                sqlx::query(
                    "INSERT INTO user_units (user_id, unit_id, role) VALUES (?, ?, ?)
                     ON CONFLICT (user_id, unit_id) DO UPDATE SET role = excluded.role",
                )
                .bind(id)
                .bind(unit)
                .bind(r.as_str())
                .execute(&mut *conn)
                .await?;
            }
        }
        None => {}
    }
    Ok(())
}

/// Creates an account (validated, hashed, audited) in one transaction.
pub async fn create(
    db: &SqlitePool,
    actor: &Actor,
    new: NewUser,
    may_instansi: bool,
) -> Result<i64, SaveError> {
    let username = new.username.trim().to_lowercase();
    let display_name = new.display_name.trim().to_string();
    let mut errors = FieldErrors::default();
    check_username(&username, &mut errors);
    check_display_name(&display_name, &mut errors);
    let email = check_email(new.email.as_deref(), &mut errors);
    if let Err(msg) = password::check_rules(&new.password, &username) {
        errors.add("password", msg);
    } else if new.password != new.password_confirm {
        errors.add("password_confirm", "Konfirmasi kata sandi tidak sama.");
    }
    check_role(
        &mut *db.acquire().await?,
        &new.role,
        &new.units,
        may_instansi,
        &mut errors,
    )
    .await?;
    if !errors.is_empty() {
        return Err(SaveError::Invalid(errors));
    }
    let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE username = ?")
        .bind(&username)
        .fetch_optional(db)
        .await?;
    if taken.is_some() {
        return Err(SaveError::Conflict(format!(
            "Nama pengguna \"{username}\" sudah dipakai. Pilih nama lain."
        )));
    }
    // Hashed before the write lock is taken: it is slow on purpose. A name taken
    // meanwhile still meets the unique constraint below.
    let hash = password::hash(new.password).await?;
    let mut tx = crate::db::write(db).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (username, display_name, password_hash, must_change_password, email, email_verified)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(&username)
    .bind(&display_name)
    .bind(&hash)
    .bind(new.must_change_password)
    .bind(&email)
    .bind(email.is_some())
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => SaveError::Conflict(format!(
            "Nama pengguna \"{username}\" sudah dipakai. Pilih nama lain."
        )),
        e => SaveError::Db(e),
    })?;
    give_role(&mut tx, id, &new.role, &new.units).await?;
    tx.commit(actor, Entry::new(Action::UserCreated, format!("Akun {username} ({}) dibuat", new.role))
            .object("user", id)
            .after(json!({"username": username, "nama": display_name, "peran": new.role, "unit_id": new.units}))).await?;
    Ok(id)
}

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
    let in_unit = "SELECT s.id FROM action_steps s JOIN indicators i ON i.id = s.indicator_id
                   JOIN areas a ON a.id = i.area_id JOIN components c ON c.id = a.component_id
                   WHERE c.unit_id = ?";
    // Only staff are PICs: leaving the staf role hands the person's steps over first.
    let mut handed_over = None;
    if before.role == "staf" && ch.role != "staf" {
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
        _ => crate::tenant::InstansiRole::parse(&before.role).map(|r| r.as_str()),
    };
    let removes_admin = before.role == "admin-instansi"
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
            .object("user", id)
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

/// Sets an address given by an admin or the command line (trusted, verified at once);
/// a pending self-set address is dropped. Unchanged addresses keep their state.
async fn store_email(
    conn: &mut sqlx::SqliteConnection,
    id: i64,
    email: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        // an admin's address is trusted as given: no waiting day before a reset link
        "UPDATE users SET email = ?1, email_verified = (?1 IS NOT NULL), email_verified_at = NULL,
                pending_email = NULL
         WHERE id = ?2 AND coalesce(email, '') <> coalesce(?1, '')",
    )
    .bind(email)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The command line's `user set-email`: one account's address, trusted.
pub async fn set_email(
    db: &SqlitePool,
    actor: &Actor,
    id: i64,
    raw: &str,
) -> Result<Option<String>, SaveError> {
    let mut errors = FieldErrors::default();
    let email = check_email(Some(raw), &mut errors);
    if !errors.is_empty() {
        return Err(SaveError::Invalid(errors));
    }
    let mut tx = crate::db::write(db).await?;
    store_email(&mut tx, id, email.as_deref()).await?;
    let units = units_of(&mut tx, id).await?;
    tx.commit_in_units(
        actor,
        &units,
        Entry::new(Action::UserUpdated, "Alamat surel akun diatur".to_string())
            .object("user", id)
            .after(json!({"email": email})),
    )
    .await?;
    Ok(email)
}

/// Deactivates an account everywhere (the command line): its sessions end; the last
/// active instansi admin stays, guarded in the UPDATE itself as in `update`.
pub async fn deactivate(db: &SqlitePool, actor: &Actor, id: i64) -> Result<(), SaveError> {
    let Some(before) = get(db, 0, id).await? else {
        return Err(SaveError::Conflict("Pengguna tidak ditemukan.".into()));
    };
    let mut tx = crate::db::write(db).await?;
    let done = sqlx::query(
        "UPDATE users SET active = 0, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
         WHERE id = ?1
           AND (instansi_role IS NOT 'admin-instansi' OR active = 0
                OR (SELECT count(*) FROM users
                     WHERE instansi_role = 'admin-instansi' AND active = 1 AND id != ?1) > 0)",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if done == 0 {
        return Err(SaveError::Conflict(LAST_ADMIN.into()));
    }
    session::end_all_for_user(&mut tx, id).await?;
    let units = units_of(&mut tx, id).await?;
    tx.commit_in_units(
        actor,
        &units,
        Entry::new(
            Action::UserDeactivated,
            format!("Akun {} dinonaktifkan", before.username),
        )
        .object("user", id),
    )
    .await?;
    Ok(())
}

/// Sets a user's password (admin reset or the command line); ends their sessions.
/// Refused (`NotTheirs`) when the account is not wholly the scope's.
pub async fn set_password(
    db: &SqlitePool,
    actor: &Actor,
    scope: Scope,
    id: i64,
    new_password: &str,
    must_change: bool,
) -> Result<(), SaveError> {
    let Some(user) = get(db, 0, id).await? else {
        return Err(SaveError::Conflict("Pengguna tidak ditemukan.".into()));
    };
    let mut errors = FieldErrors::default();
    if let Err(msg) = password::check_rules(new_password, &user.username) {
        errors.add("password", msg);
        return Err(SaveError::Invalid(errors));
    }
    // refused before hashing too, so a refusal costs no hashing thread
    if !scope.holds_account(&mut *db.acquire().await?, id).await? {
        return Err(SaveError::NotTheirs);
    }
    let hash = password::hash(new_password.to_string()).await?;
    let mut tx = crate::db::write(db).await?;
    if !scope.holds_account(&mut tx, id).await? {
        return Err(SaveError::NotTheirs);
    }
    password::store(&mut tx, id, &hash, must_change).await?;
    session::end_all_for_user(&mut tx, id).await?;
    let units = units_of(&mut tx, id).await?;
    tx.commit_in_units(
        actor,
        &units,
        Entry::new(
            Action::PasswordReset,
            format!("Kata sandi {} diatur ulang", user.username),
        )
        .object("user", id),
    )
    .await?;
    Ok(())
}

/// First run: with no active admin, create (or revive) `admin` with a random
/// password that must be replaced at first sign-in. Returns the password to show once.
pub async fn ensure_admin(db: &SqlitePool) -> anyhow::Result<Option<String>> {
    let admins: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM users WHERE instansi_role = 'admin-instansi' AND active = 1",
    )
    .fetch_one(db)
    .await?;
    if admins > 0 {
        return Ok(None);
    }
    let pw = password::random_password();
    let hash = password::hash(pw.clone()).await?;
    let mut tx = crate::db::write(db).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (username, display_name, instansi_role, password_hash, must_change_password)
         VALUES ('admin', 'Administrator', 'admin-instansi', ?1, 1)
         ON CONFLICT (username) DO UPDATE SET instansi_role = 'admin-instansi', active = 1, password_hash = ?1,
             must_change_password = 1, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
         RETURNING id",
    )
    .bind(&hash)
    .fetch_one(&mut *tx)
    .await?;
    session::end_all_for_user(&mut tx, id).await?;
    tx.commit(
        &Actor::system(),
        Entry::new(
            Action::UserCreated,
            "Akun admin awal dibuat (tidak ada admin aktif)",
        )
        .object("user", id),
    )
    .await?;
    Ok(Some(pw))
}

pub(crate) const ADMIN: Access = Access::Roles(&[Role::Admin]);
const INSTANSI_ADMIN: Access = Access::Instansi(&[crate::tenant::InstansiRole::Admin]);
