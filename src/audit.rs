//! The append-only audit trail: who did what, when, from where, before and after.
//! Never a password or a hash.

use sqlx::SqliteConnection;

use crate::identity::CurrentUser;

/// Who acts: a signed-in user, or the command line / the system.
#[derive(Clone, Debug)]
pub struct Actor {
    pub id: Option<i64>,
    pub name: String,
    pub ip: Option<String>,
    /// The unit the change concerns (`None`: the instansi as a whole).
    pub unit_id: Option<i64>,
}

impl Actor {
    pub fn user(user: &CurrentUser, ip: Option<String>) -> Self {
        Self {
            id: Some(user.id),
            name: user.username.clone(),
            ip,
            unit_id: user.unit.as_ref().map(|u| u.id),
        }
    }
    /// Someone not signed in: a person proving who they are with a link from their
    /// mail (`id`), or only naming an account (`id` None).
    pub fn signed_out(id: Option<i64>, name: &str, ip: String) -> Self {
        Self {
            id,
            name: name.to_string(),
            ip: Some(ip),
            unit_id: None,
        }
    }
    pub fn cli() -> Self {
        Self {
            id: None,
            name: "(baris perintah)".into(),
            ip: None,
            unit_id: None,
        }
    }
    pub fn system() -> Self {
        Self {
            id: None,
            name: "(sistem)".into(),
            ip: None,
            unit_id: None,
        }
    }
    /// The same actor, acting on a unit's data.
    pub fn in_unit(mut self, unit_id: i64) -> Self {
        self.unit_id = Some(unit_id);
        self
    }
    /// The same actor, acting on the instansi as a whole.
    pub fn instansi_wide(mut self) -> Self {
        self.unit_id = None;
        self
    }
}

/// What an audit entry is about: the table its `object_id` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Object {
    User,
    /// A work unit (`work_units`).
    WorkUnit,
    /// An authority holder (`units`, *pemegang kewenangan*).
    Authority,
    Area,
    Indicator,
    Step,
    Evidence,
    LkeQuestion,
    LkeCountGroup,
}

impl Object {
    pub fn as_str(self) -> &'static str {
        match self {
            Object::User => "user",
            Object::WorkUnit => "unit_kerja",
            Object::Authority => "unit",
            Object::Area => "area",
            Object::Indicator => "indicator",
            Object::Step => "step",
            Object::Evidence => "evidence",
            Object::LkeQuestion => "lke_question",
            Object::LkeCountGroup => "lke_count_group",
        }
    }
}

#[derive(Clone)]
pub struct Entry {
    pub action: Action,
    pub object_type: Option<Object>,
    pub object_id: Option<i64>,
    pub summary: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl Entry {
    pub fn new(action: Action, summary: impl Into<String>) -> Self {
        Self {
            action,
            object_type: None,
            object_id: None,
            summary: summary.into(),
            before: None,
            after: None,
        }
    }
    pub fn object(mut self, kind: Object, id: i64) -> Self {
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
pub async fn record(conn: &mut SqliteConnection, actor: &Actor, e: Entry) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (actor_id, actor, ip, action, object_type, object_id, summary,
                                before_json, after_json, unit_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(actor.id)
    .bind(&actor.name)
    .bind(&actor.ip)
    .bind(e.action.as_str())
    .bind(e.object_type.map(Object::as_str))
    .bind(e.object_id)
    .bind(&e.summary)
    .bind(e.before.map(|v| v.to_string()))
    .bind(e.after.map(|v| v.to_string()))
    .bind(actor.unit_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The newest audit entry that can change what a unit's pages show: its own or an
/// instansi-wide one. Every visible change is audited, so this is the caches' key.
pub async fn stamp(db: &sqlx::SqlitePool, unit: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT max(coalesce((SELECT max(id) FROM audit_log WHERE unit_id = ?), 0),
                    coalesce((SELECT max(id) FROM audit_log WHERE unit_id IS NULL), 0))",
    )
    .bind(unit)
    .fetch_one(db)
    .await
}

/// The newest audit entry of all: the key of what shows every unit (the roll-up).
pub async fn stamp_all(db: &sqlx::SqlitePool) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT coalesce(max(id), 0) FROM audit_log")
        .fetch_one(db)
        .await
}

/// An audit stamp with the day, for values that show dates relative to today.
pub type DayStamp = (i64, chrono::NaiveDate);

/// Values computed from the database, each kept under the stamp it was computed at
/// (the newest audit id from `stamp`/`stamp_all`, with the day where the value
/// depends on it). Every visible change writes its audit entry in the change's own
/// transaction (`db::Write`), so a value whose stamp is no longer current is stale and
/// is computed again. Past `CAP` entries the map starts over (a bound, not an LRU).
pub struct Stamped<K, S, V, const CAP: usize> {
    entries: std::sync::Mutex<std::collections::HashMap<K, (S, V)>>,
}

impl<K, S, V, const CAP: usize> Default for Stamped<K, S, V, CAP> {
    fn default() -> Self {
        Self {
            entries: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }
}

impl<K: Eq + std::hash::Hash, S: PartialEq, V: Clone, const CAP: usize> Stamped<K, S, V, CAP> {
    /// The value kept for `key` if it was computed at `stamp`.
    pub fn get(&self, key: &K, stamp: &S) -> Option<V> {
        let entries = self.entries.lock().expect("cache lock");
        entries
            .get(key)
            .filter(|(s, _)| s == stamp)
            .map(|(_, v)| v.clone())
    }

    /// Keeps `value` for `key`, computed at `stamp`.
    pub fn put(&self, key: K, stamp: S, value: V) {
        let mut entries = self.entries.lock().expect("cache lock");
        if entries.len() >= CAP && !entries.contains_key(&key) {
            entries.clear();
        }
        entries.insert(key, (stamp, value));
    }
}

/// What an audit entry records; stored as its snake_case key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    Login,
    LoginFailed,
    LoginBlocked,
    LoginLocked,
    LoginUnlocked,
    Logout,
    UserCreated,
    UserUpdated,
    UserDeactivated,
    PasswordChanged,
    PasswordReset,
    ProgressSaved,
    EvidenceAdded,
    EvidenceRemoved,
    EvidenceRestored,
    ReviewGiven,
    ReviewResubmitted,
    AssignmentAdded,
    AssignmentRemoved,
    AssignmentBulk,
    AssignmentHandover,
    ResponsibleUnitSet,
    DeadlineSet,
    WeightsSet,
    DemoData,
    LkeMasterImported,
    LkeStateChanged,
    LkeAnswerSaved,
    LkeAnswersImported,
    LkeGroupChanged,
    PredicateSet,
    TargetAdded,
    TargetEdited,
    TargetMoved,
    TargetRetired,
    TargetRestored,
    TargetsCopied,
    TargetsImported,
    UnitAdded,
    UnitChanged,
    UnitRetired,
    UnitRestored,
    WorkUnitAdded,
    WorkUnitChanged,
    WorkUnitRetired,
    TargetsCopiedToUnits,
    PortalrbProposed,
    PortalrbWindowSet,
    PortalrbTokenCreated,
    PortalrbTokenRevoked,
    PortalrbFetched,
    PortalrbLinksRotated,
    PortalrbEvidenceOpened,
    MailRetried,
    NotifySettingsChanged,
    EmailVerified,
    PasswordResetRequested,
    PasswordResetByLink,
    EmailChangeUndone,
}

impl Action {
    pub const ALL: [Action; 59] = [
        Action::Login,
        Action::LoginFailed,
        Action::LoginBlocked,
        Action::LoginLocked,
        Action::LoginUnlocked,
        Action::Logout,
        Action::UserCreated,
        Action::UserUpdated,
        Action::UserDeactivated,
        Action::PasswordChanged,
        Action::PasswordReset,
        Action::ProgressSaved,
        Action::EvidenceAdded,
        Action::EvidenceRemoved,
        Action::EvidenceRestored,
        Action::ReviewGiven,
        Action::ReviewResubmitted,
        Action::AssignmentAdded,
        Action::AssignmentRemoved,
        Action::AssignmentBulk,
        Action::AssignmentHandover,
        Action::ResponsibleUnitSet,
        Action::DeadlineSet,
        Action::WeightsSet,
        Action::DemoData,
        Action::LkeMasterImported,
        Action::LkeStateChanged,
        Action::LkeAnswerSaved,
        Action::LkeAnswersImported,
        Action::LkeGroupChanged,
        Action::PredicateSet,
        Action::TargetAdded,
        Action::TargetEdited,
        Action::TargetMoved,
        Action::TargetRetired,
        Action::TargetRestored,
        Action::TargetsCopied,
        Action::TargetsImported,
        Action::UnitAdded,
        Action::UnitChanged,
        Action::UnitRetired,
        Action::UnitRestored,
        Action::WorkUnitAdded,
        Action::WorkUnitChanged,
        Action::WorkUnitRetired,
        Action::TargetsCopiedToUnits,
        Action::PortalrbProposed,
        Action::PortalrbWindowSet,
        Action::PortalrbTokenCreated,
        Action::PortalrbTokenRevoked,
        Action::PortalrbFetched,
        Action::PortalrbLinksRotated,
        Action::PortalrbEvidenceOpened,
        Action::MailRetried,
        Action::NotifySettingsChanged,
        Action::EmailVerified,
        Action::PasswordResetRequested,
        Action::PasswordResetByLink,
        Action::EmailChangeUndone,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Login => "login",
            Action::LoginFailed => "login_failed",
            Action::LoginBlocked => "login_blocked",
            Action::LoginLocked => "login_locked",
            Action::LoginUnlocked => "login_unlocked",
            Action::Logout => "logout",
            Action::UserCreated => "user_created",
            Action::UserUpdated => "user_updated",
            Action::UserDeactivated => "user_deactivated",
            Action::PasswordChanged => "password_changed",
            Action::PasswordReset => "password_reset",
            Action::ProgressSaved => "progress_saved",
            Action::EvidenceAdded => "evidence_added",
            Action::EvidenceRemoved => "evidence_removed",
            Action::EvidenceRestored => "evidence_restored",
            Action::ReviewGiven => "review_given",
            Action::ReviewResubmitted => "review_resubmitted",
            Action::AssignmentAdded => "assignment_added",
            Action::AssignmentRemoved => "assignment_removed",
            Action::AssignmentBulk => "assignment_bulk",
            Action::AssignmentHandover => "assignment_handover",
            Action::ResponsibleUnitSet => "responsible_unit_set",
            Action::DeadlineSet => "deadline_set",
            Action::WeightsSet => "weights_set",
            Action::DemoData => "demo_data",
            Action::LkeMasterImported => "lke_master_imported",
            Action::LkeStateChanged => "lke_state_changed",
            Action::LkeAnswerSaved => "lke_answer_saved",
            Action::LkeAnswersImported => "lke_answers_imported",
            Action::LkeGroupChanged => "lke_group_changed",
            Action::PredicateSet => "predicate_set",
            Action::TargetAdded => "target_added",
            Action::TargetEdited => "target_edited",
            Action::TargetMoved => "target_moved",
            Action::TargetRetired => "target_retired",
            Action::TargetRestored => "target_restored",
            Action::TargetsCopied => "targets_copied",
            Action::TargetsImported => "targets_imported",
            Action::UnitAdded => "unit_added",
            Action::UnitChanged => "unit_changed",
            Action::UnitRetired => "unit_retired",
            Action::UnitRestored => "unit_restored",
            Action::WorkUnitAdded => "work_unit_added",
            Action::WorkUnitChanged => "work_unit_changed",
            Action::WorkUnitRetired => "work_unit_retired",
            Action::TargetsCopiedToUnits => "targets_copied_to_units",
            Action::PortalrbProposed => "portalrb_proposed",
            Action::PortalrbWindowSet => "portalrb_window_set",
            Action::PortalrbTokenCreated => "portalrb_token_created",
            Action::PortalrbTokenRevoked => "portalrb_token_revoked",
            Action::PortalrbFetched => "portalrb_fetched",
            Action::PortalrbLinksRotated => "portalrb_links_rotated",
            Action::PortalrbEvidenceOpened => "portalrb_evidence_opened",
            Action::MailRetried => "mail_retried",
            Action::NotifySettingsChanged => "notify_settings_changed",
            Action::EmailVerified => "email_verified",
            Action::PasswordResetRequested => "password_reset_requested",
            Action::PasswordResetByLink => "password_reset_by_link",
            Action::EmailChangeUndone => "email_change_undone",
        }
    }

    /// Indonesian, for the audit page and its filter.
    pub fn label(self) -> &'static str {
        match self {
            Action::Login => "Masuk",
            Action::LoginFailed => "Gagal masuk",
            Action::LoginBlocked => "Masuk ditolak (terlalu banyak percobaan)",
            Action::LoginLocked => "Masuk dikunci sementara",
            Action::LoginUnlocked => "Kunci masuk dibuka",
            Action::Logout => "Keluar",
            Action::UserCreated => "Akun dibuat",
            Action::UserUpdated => "Akun diubah",
            Action::UserDeactivated => "Akun dinonaktifkan",
            Action::PasswordChanged => "Kata sandi diganti",
            Action::PasswordReset => "Kata sandi diatur ulang",
            Action::ProgressSaved => "Progres disimpan",
            Action::EvidenceAdded => "Bukti dukung ditambahkan",
            Action::EvidenceRemoved => "Bukti dukung dihapus",
            Action::EvidenceRestored => "Bukti dukung dipulihkan",
            Action::ReviewGiven => "Hasil reviu diberikan",
            Action::ReviewResubmitted => "Diajukan ulang untuk reviu",
            Action::AssignmentAdded => "PIC ditugaskan",
            Action::AssignmentRemoved => "PIC dilepas",
            Action::AssignmentBulk => "Penugasan satu area",
            Action::AssignmentHandover => "Pengalihan langkah",
            Action::ResponsibleUnitSet => "Unit penanggung jawab diatur",
            Action::DeadlineSet => "Tenggat periode diatur",
            Action::WeightsSet => "Bobot komponen diatur",
            Action::DemoData => "Data demo diisi",
            Action::LkeMasterImported => "Master LKE dimuat",
            Action::LkeStateChanged => "Status penilaian LKE diubah",
            Action::LkeAnswerSaved => "Jawaban LKE disimpan",
            Action::LkeAnswersImported => "Jawaban LKE diimpor dari lembar kerja",
            Action::LkeGroupChanged => "Rumus kelompok jumlah LKE diubah",
            Action::PredicateSet => "Predikat unit dicatat",
            Action::TargetAdded => "Target ditambahkan",
            Action::TargetEdited => "Target diubah",
            Action::TargetMoved => "Urutan target diubah",
            Action::TargetRetired => "Target tidak diberlakukan",
            Action::TargetRestored => "Target diberlakukan kembali",
            Action::TargetsCopied => "Target disalin ke tahun baru",
            Action::TargetsImported => "Target diimpor",
            Action::UnitAdded => "Pemegang kewenangan ditambahkan",
            Action::UnitChanged => "Pemegang kewenangan diubah",
            Action::UnitRetired => "Pemegang kewenangan dinonaktifkan",
            Action::UnitRestored => "Pemegang kewenangan diaktifkan kembali",
            Action::WorkUnitAdded => "Unit kerja ditambahkan",
            Action::WorkUnitChanged => "Unit kerja berganti nama",
            Action::WorkUnitRetired => "Unit kerja dinonaktifkan",
            Action::TargetsCopiedToUnits => "Target disalin ke unit lain",
            Action::PortalrbProposed => "Unit diusulkan ke PortalRB",
            Action::PortalrbWindowSet => "Jendela usulan PortalRB diatur",
            Action::PortalrbTokenCreated => "Token PortalRB dibuat",
            Action::PortalrbTokenRevoked => "Token PortalRB dicabut",
            Action::PortalrbFetched => "PortalRB mengambil data",
            Action::PortalrbLinksRotated => "Tautan bukti evaluator dicabut",
            Action::PortalrbEvidenceOpened => "Evaluator membuka bukti",
            Action::MailRetried => "Surel dijadwalkan ulang",
            Action::NotifySettingsChanged => "Pengaturan pemberitahuan diubah",
            Action::EmailVerified => "Alamat surel diverifikasi",
            Action::PasswordResetRequested => "Tautan atur ulang kata sandi dikirim",
            Action::PasswordResetByLink => "Kata sandi diatur ulang lewat tautan surel",
            Action::EmailChangeUndone => "Penggantian alamat surel dibatalkan dari alamat lama",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

pub fn action_label(action: &str) -> String {
    Action::parse(action)
        .map(|a| a.label().to_string())
        .unwrap_or_else(|| action.to_string())
}
