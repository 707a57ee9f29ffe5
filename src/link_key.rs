//! The key that signs the evaluators' evidence links (`portalrb::evidence`): a file
//! beside the database, readable by the service's user only, and left out of backups,
//! so that whoever reads a copy of the database or a backup cannot forge links.
//! Older releases kept it in the database (`portalrb_secret`); opening a data dir
//! moves it to the file, so links already given out keep working, and the table stays
//! empty from then on.

use std::io;
use std::path::{Path, PathBuf};

use sqlx::{SqliteConnection, SqlitePool};

use crate::random::token as random_token;

/// The key file's name in the data dir.
pub const FILE: &str = "evaluator-links.key";

pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE)
}

/// The key, made on first use.
pub fn read(data_dir: &Path) -> io::Result<String> {
    crate::private_files::key_file(&path(data_dir))
}

/// A new key in place of the old one: every link signed so far stops working.
pub fn replace(data_dir: &Path) -> io::Result<()> {
    crate::private_files::place_key(&path(data_dir), &random_token(), true)
}

/// Whether an older release's key is still in the database (a read, no lock).
pub async fn held_in_database(db: &SqlitePool) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM portalrb_secret)")
        .fetch_one(db)
        .await
}

/// Moves an older release's key from the database to the key file, inside the
/// caller's write transaction; a key file already there wins (it is the newer key, e.g.
/// after restoring an older backup into this data dir). The row's bytes are overwritten,
/// not only unlinked; the caller checkpoints the WAL after committing. Returns whether
/// there was a key to move.
pub async fn take_from_database(
    conn: &mut SqliteConnection,
    data_dir: &Path,
) -> anyhow::Result<bool> {
    let held: Option<String> =
        sqlx::query_scalar("SELECT secret FROM portalrb_secret ORDER BY id LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
    let Some(key) = held else {
        return Ok(false);
    };
    crate::private_files::place_key(&path(data_dir), &key, false)?;
    // a deleted row's bytes stay in its page unless this is on
    sqlx::query("PRAGMA secure_delete = ON")
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM portalrb_secret")
        .execute(&mut *conn)
        .await?;
    sqlx::query("PRAGMA secure_delete = OFF")
        .execute(&mut *conn)
        .await?;
    Ok(true)
}
