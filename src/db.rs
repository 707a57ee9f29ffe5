//! The SQLite pool and schema migrations.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::audit::{self, Actor, Entry};
use crate::config::database_path;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Opens (creating if missing) the data dir and its database, and applies any
/// pending migrations. Every command that touches a data dir goes through here.
/// The data dir, its database and files are made readable by the service's user only
/// (folders 0700, files 0600), including what an older release left open.
pub async fn open(data_dir: &Path) -> anyhow::Result<SqlitePool> {
    crate::private_files::create_dir_all(data_dir).map_err(|e| {
        anyhow::anyhow!(
            "tidak dapat membuat folder data {}: {e}",
            data_dir.display()
        )
    })?;
    let path = database_path(data_dir);
    // SQLite gives its -wal and -shm files the database file's mode: made private
    // first, all three are.
    match crate::private_files::new_file().open(&path) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => anyhow::bail!("tidak dapat membuat database {}: {e}", path.display()),
    }
    match crate::private_files::tighten(data_dir) {
        Ok(0) => {}
        Ok(n) => tracing::info!(changed = n, "data dir made private to its owner"),
        Err(e) => tracing::warn!(error = %e, "could not make the whole data dir private"),
    }
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
    move_link_key(&pool, data_dir).await?;
    Ok(pool)
}

/// An older release kept the evaluator links' key in the database: it moves to its
/// own file (links already given out keep working) and leaves no trace in the database.
async fn move_link_key(pool: &SqlitePool, data_dir: &Path) -> anyhow::Result<()> {
    if !crate::link_key::held_in_database(pool).await? {
        return Ok(());
    }
    let mut tx = write(pool).await?;
    if crate::link_key::take_from_database(&mut tx, data_dir).await? {
        // where the key lives is no change to the data: the links work as before
        tx.commit_unaudited().await?;
        // the WAL still holds the page as it was until it is checkpointed and emptied
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(pool)
            .await?;
        tracing::info!(
            file = crate::link_key::FILE,
            "evaluator link key moved out of the database"
        );
    } else {
        tx.rollback().await?;
    }
    Ok(())
}

/// What a versioned save did, for progress and LKE answers alike: it wrote (`T`), or it
/// was refused because the form was read from an older version (`N`: what stands now),
/// or the form names a version that never existed. Refused saves write nothing.
#[derive(Debug)]
pub enum Versioned<T, N> {
    Saved(T),
    Stale(N),
    Unknown,
}

/// The one way to change data: a transaction that takes SQLite's write lock at once
/// (`BEGIN IMMEDIATE`), holds every check that guards the change, and commits only
/// together with the change's audit entry. Dropping it unfinished rolls back.
///
/// Taking the lock first matters: a deferred transaction that reads and then writes
/// fails with "database is busy" when another write lands in between. The checks are
/// read *inside* it (rights, locks, versions): a check read before `write` can be
/// stale by the time the change lands.
///
/// The audit entry is also the cache key: the dashboard, the roll-up and the LKE view
/// keep what they computed under the newest audit id (`audit::Stamped`), so a change
/// people can see must be committed with its entry (`commit`, `commit_in_units`);
/// `commit_unaudited` is for changes no page shows (sessions, sign-in attempts) and
/// bulk loads that record one summary entry themselves.
pub struct Write {
    tx: sqlx::Transaction<'static, sqlx::Sqlite>,
}

pub async fn write(pool: &SqlitePool) -> sqlx::Result<Write> {
    Ok(Write {
        tx: pool.begin_with("BEGIN IMMEDIATE").await?,
    })
}

impl Write {
    /// Records what changed, then commits both at once.
    pub async fn commit(mut self, actor: &Actor, entry: Entry) -> sqlx::Result<()> {
        audit::record(&mut self.tx, actor, entry).await?;
        self.tx.commit().await
    }

    /// Records the entry in the trail of each of `units` (once per unit) and of the
    /// actor's own unit, then commits: a change to something several units share (an
    /// account) shows in each one's trail. An actor of no unit (the command line, the
    /// system) writes an instansi-wide entry only when `units` is empty.
    pub async fn commit_in_units(
        mut self,
        actor: &Actor,
        units: &[i64],
        entry: Entry,
    ) -> sqlx::Result<()> {
        let mut trails = Vec::new();
        if actor.unit_id.is_some() || units.is_empty() {
            trails.push(actor.unit_id);
        }
        for &u in units {
            if !trails.contains(&Some(u)) {
                trails.push(Some(u));
            }
        }
        for trail in trails {
            let mut by = actor.clone();
            by.unit_id = trail;
            audit::record(&mut self.tx, &by, entry.clone()).await?;
        }
        self.tx.commit().await
    }

    /// Commits what needs no audit entry of its own (sessions, sign-in attempts, and
    /// bulk loads that record one summary entry themselves).
    pub async fn commit_unaudited(self) -> sqlx::Result<()> {
        self.tx.commit().await
    }

    pub async fn rollback(self) -> sqlx::Result<()> {
        self.tx.rollback().await
    }
}

impl std::ops::Deref for Write {
    type Target = sqlx::SqliteConnection;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for Write {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}
