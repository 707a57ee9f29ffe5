//! Evidence rows: the inserts shared by the pages, the demo data and restores.

use sqlx::SqliteConnection;

/// A file already stored under its content address.
pub struct NewFile<'a> {
    pub step_id: i64,
    pub semester: i64,
    pub label: &'a str,
    pub stored_name: &'a str,
    pub media_type: &'a str,
    pub size: i64,
    pub sha256: &'a str,
    pub replaces: Option<i64>,
    pub uploaded_by: i64,
    pub at: &'a str,
}

pub async fn insert_file(conn: &mut SqliteConnection, f: &NewFile<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO evidence (step_id, semester, kind, label, stored_name, media_type, size,
                               sha256, replaces_id, uploaded_by, uploaded_at)
         VALUES (?, ?, 'file', ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(f.step_id)
    .bind(f.semester)
    .bind(f.label)
    .bind(f.stored_name)
    .bind(f.media_type)
    .bind(f.size)
    .bind(f.sha256)
    .bind(f.replaces)
    .bind(f.uploaded_by)
    .bind(f.at)
    .fetch_one(conn)
    .await
}

/// A link as evidence.
pub async fn insert_link(
    conn: &mut SqliteConnection,
    (step_id, semester): (i64, i64),
    label: &str,
    url: &str,
    (uploaded_by, at): (i64, &str),
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO evidence (step_id, semester, kind, label, url, uploaded_by, uploaded_at)
         VALUES (?, ?, 'link', ?, ?, ?, ?) RETURNING id",
    )
    .bind(step_id)
    .bind(semester)
    .bind(label)
    .bind(url)
    .bind(uploaded_by)
    .bind(at)
    .fetch_one(conn)
    .await
}
