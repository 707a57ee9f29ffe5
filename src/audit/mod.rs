//! The append-only audit trail: who did what, when, from where, before and after.
//! Never a password or a hash.

pub mod page;
#[allow(unused_imports)]
pub use page::*;

use sqlx::SqliteConnection;

use crate::auth::{CurrentUser, Role};
use crate::routes::{Access, Route};

/// Who acts: a signed-in user, or the command line / the system.
#[derive(Clone, Debug)]
pub struct Actor {
    pub id: Option<i64>,
    pub name: String,
    pub ip: Option<String>,
}

impl Actor {
    pub fn user(user: &CurrentUser, ip: Option<String>) -> Self {
        Self {
            id: Some(user.id),
            name: user.username.clone(),
            ip,
        }
    }
    pub fn cli() -> Self {
        Self {
            id: None,
            name: "(baris perintah)".into(),
            ip: None,
        }
    }
    pub fn system() -> Self {
        Self {
            id: None,
            name: "(sistem)".into(),
            ip: None,
        }
    }
}

pub struct Entry<'a> {
    pub action: &'a str,
    pub object_type: Option<&'a str>,
    pub object_id: Option<i64>,
    pub summary: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl<'a> Entry<'a> {
    pub fn new(action: &'a str, summary: impl Into<String>) -> Self {
        Self {
            action,
            object_type: None,
            object_id: None,
            summary: summary.into(),
            before: None,
            after: None,
        }
    }
    pub fn object(mut self, kind: &'a str, id: i64) -> Self {
        self.object_type = Some(kind);
        self.object_id = Some(id);
        self
    }
    pub fn change(mut self, before: serde_json::Value, after: serde_json::Value) -> Self {
        self.before = Some(before);
        self.after = Some(after);
        self
    }
    pub fn after(mut self, after: serde_json::Value) -> Self {
        self.after = Some(after);
        self
    }
}

/// Records an entry on the given connection, so it commits or rolls back with the
/// change it describes.
pub async fn record(conn: &mut SqliteConnection, actor: &Actor, e: Entry<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (actor_id, actor, ip, action, object_type, object_id, summary,
                                before_json, after_json)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(actor.id)
    .bind(&actor.name)
    .bind(&actor.ip)
    .bind(e.action)
    .bind(e.object_type)
    .bind(e.object_id)
    .bind(&e.summary)
    .bind(e.before.map(|v| v.to_string()))
    .bind(e.after.map(|v| v.to_string()))
    .execute(conn)
    .await?;
    Ok(())
}

/// Indonesian labels of the actions, also the filter's choices.
pub const ACTIONS: &[(&str, &str)] = &[
    ("login", "Masuk"),
    ("login_failed", "Gagal masuk"),
    ("login_blocked", "Masuk ditolak (terlalu banyak percobaan)"),
    ("logout", "Keluar"),
    ("user_created", "Akun dibuat"),
    ("user_updated", "Akun diubah"),
    ("user_deactivated", "Akun dinonaktifkan"),
    ("password_changed", "Kata sandi diganti"),
    ("password_reset", "Kata sandi diatur ulang"),
    ("progress_saved", "Progres disimpan"),
    ("evidence_added", "Bukti dukung ditambahkan"),
    ("evidence_removed", "Bukti dukung dihapus"),
    ("evidence_restored", "Bukti dukung dipulihkan"),
    ("review_given", "Hasil reviu diberikan"),
    ("assignment_added", "PIC ditugaskan"),
    ("assignment_removed", "PIC dilepas"),
    ("assignment_bulk", "Penugasan satu area"),
    ("assignment_handover", "Pengalihan langkah"),
    ("responsible_unit_set", "Unit penanggung jawab diatur"),
    ("deadline_set", "Tenggat periode diatur"),
    ("weights_set", "Bobot komponen diatur"),
    ("demo_data", "Data demo diisi"),
    ("target_added", "Target ditambahkan"),
    ("target_edited", "Target diubah"),
    ("target_moved", "Urutan target diubah"),
    ("target_retired", "Target tidak diberlakukan"),
    ("target_restored", "Target diberlakukan kembali"),
    ("targets_copied", "Target disalin ke tahun baru"),
    ("targets_imported", "Target diimpor"),
    ("unit_added", "Unit ditambahkan"),
    ("unit_changed", "Unit diubah"),
    ("unit_retired", "Unit dinonaktifkan"),
    ("unit_restored", "Unit diaktifkan kembali"),
];

pub fn action_label(action: &str) -> String {
    ACTIONS
        .iter()
        .find(|(a, _)| *a == action)
        .map(|(_, l)| l.to_string())
        .unwrap_or_else(|| action.to_string())
}

pub fn routes() -> Vec<Route> {
    use axum::routing::get;
    vec![Route::new(
        "GET",
        "/audit",
        Access::Roles(&[Role::Admin, Role::Pimpinan]),
        get(page::audit_page),
    )]
}
