//! Evidence (bukti dukung): files and links per step and period. Files are typed by
//! their bytes, stored under a generated name with their SHA-256, written durably
//! before their record, downloaded only by those who may read the step, and removed
//! softly (recoverable, kept in the history).

pub mod storage;
pub mod store;
#[allow(unused_imports)]
pub use storage::*;

use sqlx::SqlitePool;

// ---------------------------------------------------------------------------
// Model

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct EvidenceView {
    pub id: i64,
    pub step_id: i64,
    pub semester: i64,
    pub kind: String,
    pub label: String,
    pub url: Option<String>,
    pub stored_name: Option<String>,
    pub media_type: Option<String>,
    pub size: Option<i64>,
    pub sha256: Option<String>,
    pub replaces_id: Option<i64>,
    pub uploaded_by: String,
    pub uploaded_at: String,
    pub removed_at: Option<String>,
    pub removed_by: Option<String>,
    pub removed_note: Option<String>,
}

impl EvidenceView {
    pub fn is_file(&self) -> bool {
        self.kind == "file"
    }
    pub fn is_active(&self) -> bool {
        self.removed_at.is_none()
    }
    pub fn when(&self) -> String {
        crate::fmt::stored_datetime_id(&self.uploaded_at)
    }
    pub fn removed_when(&self) -> String {
        self.removed_at
            .as_deref()
            .map(crate::fmt::stored_datetime_id)
            .unwrap_or_default()
    }
    pub fn type_label(&self) -> &'static str {
        match self.media_type.as_deref() {
            Some(m) => ALLOWED
                .iter()
                .find(|t| t.mime == m)
                .map(|t| t.label)
                .unwrap_or("Berkas"),
            None => "Tautan",
        }
    }
    pub fn size_label(&self) -> String {
        size_label(self.size.unwrap_or(0))
    }
    pub fn short_hash(&self) -> String {
        self.sha256
            .as_deref()
            .map(|h| h.chars().take(12).collect())
            .unwrap_or_default()
    }
}

/// "1,5 MB", "12 KB".
pub fn size_label(bytes: i64) -> String {
    const MB: i64 = 1024 * 1024;
    if bytes >= MB && bytes % MB == 0 {
        format!("{} MB", bytes / MB)
    } else if bytes >= MB {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0)).replace('.', ",")
    } else {
        format!("{} KB", (bytes + 1023) / 1024)
    }
}

pub(crate) const SELECT: &str =
    "SELECT e.id, e.step_id, e.semester, e.kind, e.label, e.url, e.stored_name,
        e.media_type, e.size, e.sha256, e.replaces_id, u.display_name AS uploaded_by,
        e.uploaded_at, e.removed_at, r.display_name AS removed_by, e.removed_note
    FROM evidence e JOIN users u ON u.id = e.uploaded_by LEFT JOIN users r ON r.id = e.removed_by";

/// Every item of a step in a semester, removed ones included, newest first.
pub async fn list_for(
    db: &SqlitePool,
    step_id: i64,
    semester: i64,
) -> sqlx::Result<Vec<EvidenceView>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE e.step_id = ? AND e.semester = ? ORDER BY e.id DESC"
    )))
    .bind(step_id)
    .bind(semester)
    .fetch_all(db)
    .await
}

pub async fn get(db: &SqlitePool, id: i64) -> sqlx::Result<Option<EvidenceView>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE e.id = ?")))
        .bind(id)
        .fetch_optional(db)
        .await
}

pub async fn active_count(db: &SqlitePool, step_id: i64, semester: i64) -> sqlx::Result<usize> {
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM evidence WHERE step_id = ? AND semester = ? AND removed_at IS NULL",
    )
    .bind(step_id)
    .bind(semester)
    .fetch_one(db)
    .await?;
    Ok(n as usize)
}
