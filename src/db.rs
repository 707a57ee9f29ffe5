//! The SQLite pool and schema migrations.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::config::database_path;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Opens (creating if missing) the data dir and its database, and applies any
/// pending migrations. Every command that touches a data dir goes through here.
pub async fn open(data_dir: &Path) -> anyhow::Result<SqlitePool> {
    std::fs::create_dir_all(data_dir).map_err(|e| {
        anyhow::anyhow!(
            "tidak dapat membuat folder data {}: {e}",
            data_dir.display()
        )
    })?;
    let path = database_path(data_dir);
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // NORMAL in WAL mode loses nothing on a process crash; only a power cut can
        // drop the last commits.
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    // SQLite writes one at a time; a few connections serve reads on a 2-core server,
    // and each one holds its own page cache.
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}

/// A write transaction that takes SQLite's write lock at once (`BEGIN IMMEDIATE`).
/// A deferred transaction that reads and then writes fails with "database is busy"
/// when another write lands in between; taking the lock first makes it wait instead.
pub async fn write(pool: &SqlitePool) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
    pool.begin_with("BEGIN IMMEDIATE").await
}
