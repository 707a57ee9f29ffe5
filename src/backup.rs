//! Backup and restore of a data dir: a consistent snapshot of the database (taken
//! with `VACUUM INTO` while the server runs) plus the evidence files it references,
//! with a manifest of SHA-256 sums that restore verifies before touching anything.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::database_path;
use crate::error::UserError;
use crate::evidence::{evidence_dir, hex, stored_path};

pub const MANIFEST: &str = "manifest.json";
const DB_FILE: &str = "zi-tracker.db";

#[derive(Serialize, Deserialize, Debug)]
pub struct Manifest {
    pub created_at: String,
    pub files: Vec<ManifestEntry>,
}

#[derive(Serialize, Deserialize, Debug)]
pub struct ManifestEntry {
    /// Relative to the backup folder.
    pub path: String,
    pub sha256: String,
    pub size: u64,
}

fn sha256_file(path: &Path) -> std::io::Result<(String, u64)> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        size += n as u64;
    }
    Ok((hex(&h.finalize()), size))
}

fn is_empty_dir(path: &Path) -> bool {
    std::fs::read_dir(path)
        .map(|mut d| d.next().is_none())
        .unwrap_or(true)
}

/// Writes a backup of `data_dir` into the new (or empty) folder `to`.
pub async fn backup(data_dir: &Path, to: &Path) -> anyhow::Result<Manifest> {
    if to.exists() && !is_empty_dir(to) {
        return Err(UserError(format!(
            "folder cadangan {} sudah berisi berkas; pilih folder baru",
            to.display()
        ))
        .into());
    }
    // private before anything is in it: a backup holds all the data dir does
    crate::private_files::create_dir_all(to)?;
    let pool = crate::db::open(data_dir).await?;
    let snapshot = to.join(DB_FILE);
    // VACUUM INTO fills an empty file and keeps its mode
    crate::private_files::new_file().open(&snapshot)?;
    // VACUUM INTO reads one consistent snapshot, whatever the server writes meanwhile.
    sqlx::query("VACUUM INTO ?")
        .bind(snapshot.to_string_lossy().to_string())
        .execute(&pool)
        .await?;
    pool.close().await;

    // The files the snapshot refers to: written before their rows, never deleted.
    let snap_pool = sqlx::SqlitePool::connect_with(
        sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&snapshot)
            .read_only(true),
    )
    .await?;
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT stored_name FROM evidence WHERE stored_name IS NOT NULL ORDER BY 1",
    )
    .fetch_all(&snap_pool)
    .await?;
    snap_pool.close().await;

    let data_dir = data_dir.to_path_buf();
    let to = to.to_path_buf();
    tokio::task::spawn_blocking(move || -> anyhow::Result<Manifest> {
        let mut files = Vec::new();
        let (sha, size) = sha256_file(&to.join(DB_FILE))?;
        files.push(ManifestEntry {
            path: DB_FILE.into(),
            sha256: sha,
            size,
        });
        for name in names {
            let src = stored_path(&data_dir, &name);
            let rel = stored_path(Path::new(""), &name);
            let dest = to.join(&rel);
            crate::private_files::create_dir_all(dest.parent().expect("has a folder"))?;
            std::fs::copy(&src, &dest).map_err(|e| {
                anyhow::anyhow!("berkas bukti {} tidak dapat disalin: {e}", src.display())
            })?;
            let (sha, size) = sha256_file(&dest)?;
            files.push(ManifestEntry {
                path: rel.to_string_lossy().replace('\\', "/"),
                sha256: sha,
                size,
            });
        }
        let manifest = Manifest {
            created_at: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            files,
        };
        let mut f = crate::private_files::new_file().open(to.join(MANIFEST))?;
        serde_json::to_writer_pretty(&mut f, &manifest)?;
        f.sync_all()?;
        // copies take their source's mode; an older data dir's may be open
        crate::private_files::tighten(&to)?;
        Ok(manifest)
    })
    .await?
}

/// Checks every file of a backup against its manifest; returns the problems.
pub fn verify(from: &Path) -> anyhow::Result<(Manifest, Vec<String>)> {
    let raw = std::fs::read(from.join(MANIFEST)).map_err(|_| {
        UserError(format!(
            "{} bukan folder cadangan: {MANIFEST} tidak ada",
            from.display()
        ))
    })?;
    let manifest: Manifest =
        serde_json::from_slice(&raw).map_err(|e| UserError(format!("{MANIFEST} rusak: {e}")))?;
    let mut problems = Vec::new();
    for f in &manifest.files {
        if f.path.contains("..") || f.path.starts_with('/') {
            problems.push(format!("{}: jalur tidak sah", f.path));
            continue;
        }
        match sha256_file(&from.join(&f.path)) {
            Ok((sha, size)) if sha == f.sha256 && size == f.size => {}
            Ok(_) => problems.push(format!("{}: isi berbeda dari manifest", f.path)),
            Err(_) => problems.push(format!("{}: hilang", f.path)),
        }
    }
    if !manifest.files.iter().any(|f| f.path == DB_FILE) {
        problems.push(format!("{DB_FILE}: tidak tercantum di manifest"));
    }
    Ok((manifest, problems))
}

/// Restores a verified backup into `data_dir`; refuses a data dir with data in it
/// unless `force`.
pub async fn restore(from: &Path, data_dir: &Path, force: bool) -> anyhow::Result<usize> {
    let (manifest, problems) = verify(from)?;
    if !problems.is_empty() {
        return Err(UserError(format!(
            "cadangan tidak utuh, tidak ada yang dipulihkan:\n  {}",
            problems.join("\n  ")
        ))
        .into());
    }
    let has_data = database_path(data_dir).exists() || evidence_dir(data_dir).exists();
    if has_data && !force {
        return Err(UserError(format!(
            "folder data {} sudah berisi data; gunakan --force untuk menimpanya",
            data_dir.display()
        ))
        .into());
    }
    crate::private_files::create_dir_all(data_dir)?;
    if has_data {
        for suffix in ["", "-wal", "-shm"] {
            let p = PathBuf::from(format!("{}{suffix}", database_path(data_dir).display()));
            let _ = std::fs::remove_file(p);
        }
        let _ = std::fs::remove_dir_all(evidence_dir(data_dir));
    }
    for f in &manifest.files {
        let dest = if f.path == DB_FILE {
            database_path(data_dir)
        } else {
            data_dir.join(&f.path)
        };
        crate::private_files::create_dir_all(dest.parent().expect("has a folder"))?;
        std::fs::copy(from.join(&f.path), &dest)?;
        std::fs::File::open(&dest)?.sync_all()?;
    }
    // Opening migrates an older backup and proves the database is sound.
    let pool = crate::db::open(data_dir).await?;
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await?;
    pool.close().await;
    if check != "ok" {
        return Err(UserError(format!("database hasil pemulihan tidak utuh: {check}")).into());
    }
    Ok(manifest.files.len())
}
