//! Checking and creating accounts, e-mail, deactivation, passwords, the first admin.

use super::model::*;
use super::update::*;

use serde_json::json;
use sqlx::{SqliteConnection, SqlitePool};

use crate::audit::{Action, Actor, Entry};
use crate::auth::{password, session};

/// Field-by-field validation messages, shown on the form beside the fields.
#[derive(Default, Debug)]
pub struct FieldErrors(pub Vec<(&'static str, String)>);

impl FieldErrors {
    pub(crate) fn add(&mut self, field: &'static str, msg: impl Into<String>) {
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
pub(crate) fn check_email(raw: Option<&str>, errors: &mut FieldErrors) -> Option<String> {
    let e = raw.map(str::trim).filter(|e| !e.is_empty())?;
    if crate::account::valid_email(e) {
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
pub(crate) async fn give_role(
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
            .object(crate::audit::Object::User, id)
            .after(json!({"username": username, "nama": display_name, "peran": new.role, "unit_id": new.units}))).await?;
    Ok(id)
}

/// Sets an address given by an admin or the command line (trusted, verified at once);
/// a pending self-set address is dropped. Unchanged addresses keep their state.
pub(crate) async fn store_email(
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
            .object(crate::audit::Object::User, id)
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
        .object(crate::audit::Object::User, id),
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
        .object(crate::audit::Object::User, id),
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
        .object(crate::audit::Object::User, id),
    )
    .await?;
    Ok(Some(pw))
}
