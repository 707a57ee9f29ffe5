//! Accounts: the model, the queries and the store shared by the pages and the command line.

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
    pub role: String,
    pub unit_id: Option<i64>,
    pub unit_name: Option<String>,
    pub active: bool,
    pub must_change_password: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl User {
    pub fn role_label(&self) -> &'static str {
        Role::parse(&self.role).map(Role::label).unwrap_or("?")
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
        })
    }
}

pub(crate) const USER_SELECT: &str = "SELECT u.id, u.username, u.display_name, u.role, u.unit_id,
        un.name AS unit_name, u.active, u.must_change_password, u.created_at, u.updated_at
    FROM users u LEFT JOIN units un ON un.id = u.unit_id";

pub async fn get(db: &SqlitePool, id: i64) -> sqlx::Result<Option<User>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{USER_SELECT} WHERE u.id = ?")))
        .bind(id)
        .fetch_optional(db)
        .await
}

pub async fn by_username(db: &SqlitePool, username: &str) -> sqlx::Result<Option<User>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{USER_SELECT} WHERE u.username = ?"
    )))
    .bind(username.trim())
    .fetch_optional(db)
    .await
}

pub async fn list(db: &SqlitePool, limit: i64, offset: i64) -> sqlx::Result<Vec<User>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{USER_SELECT} ORDER BY u.active DESC, u.username LIMIT ? OFFSET ?"
    )))
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
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub unit_id: Option<i64>,
    pub password: String,
    pub password_confirm: String,
    pub must_change_password: bool,
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
    }
}

pub(crate) async fn check_unit(
    db: &mut SqliteConnection,
    unit_id: Option<i64>,
    errors: &mut FieldErrors,
) -> sqlx::Result<()> {
    if let Some(id) = unit_id {
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM units WHERE id = ?")
            .bind(id)
            .fetch_optional(db)
            .await?;
        if exists.is_none() {
            errors.add("unit_id", "Unit yang dipilih tidak ada.");
        }
    }
    Ok(())
}

/// Creates an account (validated, hashed, audited) in one transaction.
pub async fn create(db: &SqlitePool, actor: &Actor, new: NewUser) -> Result<i64, SaveError> {
    let username = new.username.trim().to_lowercase();
    let display_name = new.display_name.trim().to_string();
    let mut errors = FieldErrors::default();
    check_username(&username, &mut errors);
    check_display_name(&display_name, &mut errors);
    if Role::parse(&new.role).is_none() {
        errors.add("role", "Pilih peran: admin, pimpinan, staf, atau penilai.");
    }
    if let Err(msg) = password::check_rules(&new.password, &username) {
        errors.add("password", msg);
    } else if new.password != new.password_confirm {
        errors.add("password_confirm", "Konfirmasi kata sandi tidak sama.");
    }
    check_unit(&mut *db.acquire().await?, new.unit_id, &mut errors).await?;
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
        "INSERT INTO users (username, display_name, role, unit_id, password_hash, must_change_password)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(&username)
    .bind(&display_name)
    .bind(&new.role)
    .bind(new.unit_id)
    .bind(&hash)
    .bind(new.must_change_password)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => SaveError::Conflict(format!(
            "Nama pengguna \"{username}\" sudah dipakai. Pilih nama lain."
        )),
        e => SaveError::Db(e),
    })?;
    tx.commit(actor, Entry::new(Action::UserCreated, format!("Akun {username} ({}) dibuat", new.role))
            .object("user", id)
            .after(json!({"username": username, "nama": display_name, "peran": new.role, "unit_id": new.unit_id}))).await?;
    Ok(id)
}

pub struct Changes {
    pub display_name: String,
    pub role: String,
    pub unit_id: Option<i64>,
    pub active: bool,
    /// Who takes over the person's steps when they stop being staff.
    pub handover_to: Option<i64>,
}

pub(crate) const LAST_ADMIN: &str = "Akun ini adalah admin aktif terakhir: tidak dapat dinonaktifkan atau diubah perannya. Jadikan pengguna lain admin terlebih dahulu.";

/// Changes an account; refuses to leave the tracker without an active admin.
pub async fn update(db: &SqlitePool, actor: &Actor, id: i64, ch: Changes) -> Result<(), SaveError> {
    let Some(before) = get(db, id).await? else {
        return Err(SaveError::Conflict("Pengguna tidak ditemukan.".into()));
    };
    let display_name = ch.display_name.trim().to_string();
    let mut errors = FieldErrors::default();
    check_display_name(&display_name, &mut errors);
    if Role::parse(&ch.role).is_none() {
        errors.add("role", "Pilih peran: admin, pimpinan, staf, atau penilai.");
    }
    let mut tx = crate::db::write(db).await?;
    check_unit(&mut tx, ch.unit_id, &mut errors).await?;
    if !errors.is_empty() {
        return Err(SaveError::Invalid(errors));
    }
    // Only staff are PICs: leaving the staf role hands the person's steps over first.
    let mut handed_over = None;
    if before.role == "staf" && ch.role != "staf" {
        let held: i64 =
            sqlx::query_scalar("SELECT count(*) FROM step_assignments WHERE user_id = ?")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        if held > 0 {
            let Some(to) = ch.handover_to else {
                return Err(SaveError::HoldsSteps(held));
            };
            let receiver: Option<String> = sqlx::query_scalar(
                "SELECT username FROM users WHERE id = ? AND id != ? AND active = 1 AND role = 'staf'",
            )
            .bind(to)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(receiver) = receiver else {
                let mut e = FieldErrors::default();
                e.add("alihkan_ke", "Pilih penerima: akun staf lain yang aktif.");
                return Err(SaveError::Invalid(e));
            };
            sqlx::query(
                "INSERT OR IGNORE INTO step_assignments (step_id, user_id)
                 SELECT step_id, ? FROM step_assignments WHERE user_id = ?",
            )
            .bind(to)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM step_assignments WHERE user_id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            handed_over = Some((held, receiver));
        }
    }
    let removes_admin =
        before.role == "admin" && before.active && (ch.role != "admin" || !ch.active);
    // The guard sits in the UPDATE itself, so two admins demoting each other at once
    // cannot both succeed.
    let done = sqlx::query(
        "UPDATE users SET display_name = ?, role = ?, unit_id = ?, active = ?,
                updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
         WHERE id = ?
           AND (? = 0 OR (SELECT count(*) FROM users WHERE role = 'admin' AND active = 1 AND id != ?) > 0)",
    )
    .bind(&display_name)
    .bind(&ch.role)
    .bind(ch.unit_id)
    .bind(ch.active)
    .bind(id)
    .bind(removes_admin)
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if done == 0 {
        return Err(SaveError::Conflict(LAST_ADMIN.into()));
    }
    if !ch.active {
        session::end_all_for_user(&mut tx, id).await?;
    }
    let after: User = sqlx::query_as(sqlx::AssertSqlSafe(format!("{USER_SELECT} WHERE u.id = ?")))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    let action = if before.active && !ch.active {
        Action::UserDeactivated
    } else {
        Action::UserUpdated
    };
    tx.commit(
        actor,
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

/// Sets a user's password (admin reset or the command line); ends their sessions.
pub async fn set_password(
    db: &SqlitePool,
    actor: &Actor,
    id: i64,
    new_password: &str,
    must_change: bool,
) -> Result<(), SaveError> {
    let Some(user) = get(db, id).await? else {
        return Err(SaveError::Conflict("Pengguna tidak ditemukan.".into()));
    };
    let mut errors = FieldErrors::default();
    if let Err(msg) = password::check_rules(new_password, &user.username) {
        errors.add("password", msg);
        return Err(SaveError::Invalid(errors));
    }
    let hash = password::hash(new_password.to_string()).await?;
    let mut tx = crate::db::write(db).await?;
    password::store(&mut tx, id, &hash, must_change).await?;
    session::end_all_for_user(&mut tx, id).await?;
    tx.commit(
        actor,
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
    let admins: i64 =
        sqlx::query_scalar("SELECT count(*) FROM users WHERE role = 'admin' AND active = 1")
            .fetch_one(db)
            .await?;
    if admins > 0 {
        return Ok(None);
    }
    let pw = password::random_password();
    let hash = password::hash(pw.clone()).await?;
    let mut tx = crate::db::write(db).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (username, display_name, role, password_hash, must_change_password)
         VALUES ('admin', 'Administrator', 'admin', ?1, 1)
         ON CONFLICT (username) DO UPDATE SET role = 'admin', active = 1, password_hash = ?1,
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
