//! Evidence (bukti dukung): files and links per step and period. Files are typed by
//! their bytes, stored under a generated name with their SHA-256, written durably
//! before their record, downloaded only by those who may read the step, and removed
//! softly (recoverable, kept in the history).

use std::path::{Path as FsPath, PathBuf};

use askama::Template;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::SqlitePool;
use tokio::io::AsyncWriteExt;

use crate::audit::{self, Actor, Entry};
use crate::auth::{ClientIp, CurrentUser, Role, session::random_token};
use crate::error::{AppError, AppResult};
use crate::periods::Period;
use crate::progress::{self, StepPage, now_stamp, posted_period, step_url};
use crate::routes::{Access, Route};
use crate::web::{Chrome, FormData, parse_id, render, render_status};
use crate::{AppState, Config};

pub fn routes(config: &Config) -> Vec<Route> {
    use axum::routing::{get, post};
    // The upload route alone takes large bodies; a little room for the form fields.
    let upload_limit = config.max_upload_bytes as usize + 256 * 1024;
    vec![
        Route::new(
            "POST",
            "/langkah/{id}/bukti",
            Access::SignedIn,
            post(upload).layer(DefaultBodyLimit::max(upload_limit)),
        ),
        Route::new(
            "POST",
            "/langkah/{id}/tautan",
            Access::SignedIn,
            post(add_link),
        ),
        Route::new("GET", "/bukti/{id}/unduh", Access::SignedIn, get(download)),
        Route::new(
            "GET",
            "/bukti/{id}/hapus",
            Access::SignedIn,
            get(remove_confirm),
        ),
        Route::new("POST", "/bukti/{id}/hapus", Access::SignedIn, post(remove)),
        Route::new(
            "POST",
            "/bukti/{id}/pulihkan",
            Access::SignedIn,
            post(restore),
        ),
    ]
}

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

const SELECT: &str = "SELECT e.id, e.step_id, e.semester, e.kind, e.label, e.url, e.stored_name,
        e.media_type, e.size, e.sha256, e.replaces_id, u.display_name AS uploaded_by,
        e.uploaded_at, e.removed_at, r.display_name AS removed_by, e.removed_note
    FROM evidence e JOIN users u ON u.id = e.uploaded_by LEFT JOIN users r ON r.id = e.removed_by";

/// Every item of a step in a semester, removed ones included, newest first.
pub async fn list_for(
    db: &SqlitePool,
    step_id: i64,
    semester: i64,
) -> sqlx::Result<Vec<EvidenceView>> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE e.step_id = ? AND e.semester = ? ORDER BY e.id DESC"
    ))
    .bind(step_id)
    .bind(semester)
    .fetch_all(db)
    .await
}

pub async fn get(db: &SqlitePool, id: i64) -> sqlx::Result<Option<EvidenceView>> {
    sqlx::query_as(&format!("{SELECT} WHERE e.id = ?"))
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

// ---------------------------------------------------------------------------
// Storage

pub struct FileType {
    pub mime: &'static str,
    pub ext: &'static str,
    pub label: &'static str,
}

pub const ALLOWED: [FileType; 6] = [
    FileType {
        mime: "application/pdf",
        ext: "pdf",
        label: "PDF",
    },
    FileType {
        mime: "image/jpeg",
        ext: "jpg",
        label: "JPEG",
    },
    FileType {
        mime: "image/png",
        ext: "png",
        label: "PNG",
    },
    FileType {
        mime: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ext: "docx",
        label: "DOCX",
    },
    FileType {
        mime: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ext: "xlsx",
        label: "XLSX",
    },
    FileType {
        mime: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ext: "pptx",
        label: "PPTX",
    },
];

/// Decides the type from the bytes alone: magic numbers for PDF, JPEG and PNG; for
/// Office files, the ZIP's own directory must hold the part that makes it one.
pub fn detect(path: &FsPath, prefix: &[u8]) -> Option<&'static FileType> {
    if prefix.starts_with(b"%PDF-") {
        return Some(&ALLOWED[0]);
    }
    if prefix.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(&ALLOWED[1]);
    }
    if prefix.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(&ALLOWED[2]);
    }
    if prefix.starts_with(b"PK\x03\x04") {
        let file = std::fs::File::open(path).ok()?;
        let zip = zip::ZipArchive::new(file).ok()?;
        let names: Vec<&str> = zip.file_names().collect();
        if !names.contains(&"[Content_Types].xml") {
            return None;
        }
        for (part, idx) in [
            ("word/document.xml", 3),
            ("xl/workbook.xml", 4),
            ("ppt/presentation.xml", 5),
        ] {
            if names.contains(&part) {
                return Some(&ALLOWED[idx]);
            }
        }
    }
    None
}

pub fn evidence_dir(data_dir: &FsPath) -> PathBuf {
    data_dir.join("evidence")
}

fn tmp_dir(data_dir: &FsPath) -> PathBuf {
    evidence_dir(data_dir).join("tmp")
}

/// Where a stored file lives: spread over 256 folders by the first hash bytes.
pub fn stored_path(data_dir: &FsPath, stored_name: &str) -> PathBuf {
    let prefix: String = stored_name.chars().take(2).collect();
    evidence_dir(data_dir).join(prefix).join(stored_name)
}

/// Leftovers of uploads interrupted by a crash: never referenced, safe to remove.
pub fn clean_tmp(data_dir: &FsPath) {
    let dir = tmp_dir(data_dir);
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Keeps what a file name is for a person to read; drops paths and control
/// characters, and bounds its length.
pub fn sanitize_label(raw: &str, ext: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | '|' | '*' | '?' | ':'))
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    let cleaned: String = cleaned.chars().take(120).collect();
    if cleaned.is_empty() {
        format!("berkas.{ext}")
    } else {
        cleaned
    }
}

/// A file received into the temporary folder, hashed and measured as it arrived.
struct Received {
    tmp: PathBuf,
    size: u64,
    sha256: String,
    prefix: Vec<u8>,
    file_name: String,
}

enum UploadProblem {
    TooLarge,
    Interrupted,
    Missing,
    Io(std::io::Error),
}

async fn receive_file(
    field: &mut axum::extract::multipart::Field<'_>,
    data_dir: &FsPath,
    max: u64,
) -> Result<Received, UploadProblem> {
    let dir = tmp_dir(data_dir);
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(UploadProblem::Io)?;
    let tmp = dir.join(format!("{}.part", random_token()));
    let mut out = tokio::fs::File::create(&tmp)
        .await
        .map_err(UploadProblem::Io)?;
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    let mut prefix = Vec::with_capacity(16);
    let file_name = field.file_name().unwrap_or("").to_string();
    let result: Result<(), UploadProblem> = async {
        loop {
            let chunk = match field.chunk().await {
                Ok(Some(c)) => c,
                Ok(None) => break,
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    return Err(UploadProblem::TooLarge);
                }
                Err(_) => return Err(UploadProblem::Interrupted),
            };
            size += chunk.len() as u64;
            if size > max {
                return Err(UploadProblem::TooLarge);
            }
            if prefix.len() < 16 {
                let take = (16 - prefix.len()).min(chunk.len());
                prefix.extend_from_slice(&chunk[..take]);
            }
            hasher.update(&chunk);
            out.write_all(&chunk).await.map_err(UploadProblem::Io)?;
        }
        // The bytes reach the disk before any record may point at them.
        out.sync_all().await.map_err(UploadProblem::Io)?;
        Ok(())
    }
    .await;
    drop(out);
    if let Err(e) = result {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(e);
    }
    if size == 0 {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(UploadProblem::Missing);
    }
    Ok(Received {
        tmp,
        size,
        sha256: hex(&hasher.finalize()),
        prefix,
        file_name,
    })
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Moves a received file to its final, content-addressed place and makes the move
/// itself durable (the folder is synced too).
async fn commit_file(data_dir: &FsPath, tmp: &FsPath, stored_name: &str) -> std::io::Result<()> {
    let dest = stored_path(data_dir, stored_name);
    let parent = dest.parent().expect("has a folder").to_path_buf();
    tokio::fs::create_dir_all(&parent).await?;
    if tokio::fs::try_exists(&dest).await? {
        // Same name means same bytes: keep the copy already there.
        tokio::fs::remove_file(tmp).await?;
        return Ok(());
    }
    tokio::fs::rename(tmp, &dest).await?;
    let dir = tokio::fs::File::open(&parent).await?;
    dir.sync_all().await?;
    Ok(())
}

/// Stores bytes known to be of an allowed type (demo data, restores) the same way
/// uploads are stored; returns the stored name and the SHA-256.
pub fn store_bytes_blocking(
    data_dir: &FsPath,
    bytes: &[u8],
    ext: &str,
) -> std::io::Result<(String, String)> {
    use std::io::Write;
    let sha = hex(&Sha256::digest(bytes));
    let stored_name = format!("{sha}.{ext}");
    let dest = stored_path(data_dir, &stored_name);
    if dest.exists() {
        return Ok((stored_name, sha));
    }
    let parent = dest.parent().expect("has a folder");
    std::fs::create_dir_all(parent)?;
    let tmp_folder = tmp_dir(data_dir);
    std::fs::create_dir_all(&tmp_folder)?;
    let tmp = tmp_folder.join(format!("{}.part", random_token()));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, &dest)?;
    std::fs::File::open(parent)?.sync_all()?;
    Ok((stored_name, sha))
}

// ---------------------------------------------------------------------------
// Handlers

async fn step_page_with_error(
    state: &AppState,
    chrome: Chrome,
    user: &CurrentUser,
    step_id: i64,
    period: Period,
    (status, message): (StatusCode, String),
    link: Option<(String, String)>,
) -> AppResult<Response> {
    let (ctx, rights) = progress::load_step(state, user, &step_id.to_string()).await?;
    let mut page = StepPage::build(state, chrome, ctx, rights, period).await?;
    page.evidence_error = Some(message);
    if let Some((url, label)) = link {
        page.link_url = url;
        page.link_label = label;
    }
    render_status(status, &page)
}

async fn upload(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    request: Request,
) -> AppResult<Response> {
    let (ctx, rights) = progress::load_step(&state, &user, &id).await?;
    if !rights.write {
        return Err(AppError::Forbidden);
    }
    // Read only after the rights check, so nobody else's bytes ever touch the disk.
    let Ok(mut multipart) = Multipart::from_request(request, &state).await else {
        return Err(AppError::BadRequest(
            "Unggahan harus dikirim dari formulir unggah berkas.".into(),
        ));
    };
    let data_dir = state.config.data_dir.clone();
    let max = state.config.max_upload_bytes;
    let mut periode = String::new();
    let mut replaces = String::new();
    let mut received: Option<Received> = None;
    let mut problem: Option<UploadProblem> = None;
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                problem = Some(if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    UploadProblem::TooLarge
                } else {
                    UploadProblem::Interrupted
                });
                break;
            }
        };
        match field.name().unwrap_or("") {
            "periode" => periode = field.text().await.unwrap_or_default(),
            "replaces" => replaces = field.text().await.unwrap_or_default(),
            "file" if received.is_none() => match receive_file(&mut field, &data_dir, max).await {
                Ok(r) => received = Some(r),
                Err(p) => {
                    problem = Some(p);
                    break;
                }
            },
            _ => {}
        }
    }
    let cleanup = |r: &Option<Received>| {
        if let Some(r) = r {
            let _ = std::fs::remove_file(&r.tmp);
        }
    };
    let period = match posted_period(&state.db, &ctx, &periode).await {
        Ok(p) => p,
        Err(e) => {
            cleanup(&received);
            // a failed upload may not know its period: show the default one
            if matches!(problem, Some(UploadProblem::TooLarge)) || received.is_none() {
                let p = Period::new(ctx.year, 2);
                let (status, msg) = problem_message(problem.as_ref(), max);
                return step_page_with_error(&state, chrome, &user, ctx.id, p, (status, msg), None)
                    .await;
            }
            return Err(e);
        }
    };
    if problem.is_some() || received.is_none() {
        cleanup(&received);
        let (status, msg) = problem_message(problem.as_ref(), max);
        return step_page_with_error(&state, chrome, &user, ctx.id, period, (status, msg), None)
            .await;
    }
    let r = received.expect("checked above");
    let fail = |status: StatusCode, msg: String| {
        let _ = std::fs::remove_file(&r.tmp);
        (status, msg)
    };
    let tmp = r.tmp.clone();
    let prefix = r.prefix.clone();
    let kind = tokio::task::spawn_blocking(move || detect(&tmp, &prefix))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let Some(kind) = kind else {
        let (s, m) = fail(
            StatusCode::BAD_REQUEST,
            "Jenis berkas tidak diizinkan atau isinya tidak sesuai jenisnya. Unggah PDF, JPEG, PNG, DOCX, XLSX, atau PPTX.".into(),
        );
        return step_page_with_error(&state, chrome, &user, ctx.id, period, (s, m), None).await;
    };
    let replaces_id = match replaces.trim() {
        "" => None,
        raw => match raw.parse::<i64>().ok() {
            Some(old) => Some(old),
            None => {
                let (s, m) = fail(
                    StatusCode::BAD_REQUEST,
                    "Bukti yang hendak diganti tidak dikenal.".into(),
                );
                return step_page_with_error(&state, chrome, &user, ctx.id, period, (s, m), None)
                    .await;
            }
        },
    };
    let label = sanitize_label(&r.file_name, kind.ext);
    let stored_name = format!("{}.{}", r.sha256, kind.ext);

    commit_file(&data_dir, &r.tmp, &stored_name)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;

    let mut tx = crate::db::write(&state.db).await?;
    // Same bytes twice on one step and period are recognised, not recorded again;
    // checked under the write lock so two identical uploads at once cannot both pass.
    // (The file itself is content-addressed: the copy on disk is the existing one's.)
    let duplicate: Option<String> = sqlx::query_scalar(
        "SELECT label FROM evidence WHERE step_id = ? AND semester = ? AND sha256 = ?
           AND removed_at IS NULL",
    )
    .bind(ctx.id)
    .bind(period.semester)
    .bind(&r.sha256)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(existing) = duplicate {
        tx.rollback().await?;
        let message = format!(
            "Berkas yang sama persis sudah menjadi bukti dukung langkah ini: \"{existing}\"."
        );
        return step_page_with_error(
            &state,
            chrome,
            &user,
            ctx.id,
            period,
            (StatusCode::CONFLICT, message),
            None,
        )
        .await;
    }
    if let Some(old) = replaces_id {
        let ok = sqlx::query(
            "UPDATE evidence SET removed_at = ?, removed_by = ?, removed_note = 'Diganti dengan versi baru'
             WHERE id = ? AND step_id = ? AND semester = ? AND removed_at IS NULL",
        )
        .bind(now_stamp())
        .bind(user.id)
        .bind(old)
        .bind(ctx.id)
        .bind(period.semester)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if ok == 0 {
            tx.rollback().await?;
            return step_page_with_error(
                &state,
                chrome,
                &user,
                ctx.id,
                period,
                (
                    StatusCode::CONFLICT,
                    "Bukti yang hendak diganti sudah tidak aktif; unggah sebagai bukti baru."
                        .into(),
                ),
                None,
            )
            .await;
        }
    }
    let new_id: i64 = sqlx::query_scalar(
        "INSERT INTO evidence (step_id, semester, kind, label, stored_name, media_type, size,
                               sha256, replaces_id, uploaded_by, uploaded_at)
         VALUES (?, ?, 'file', ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(ctx.id)
    .bind(period.semester)
    .bind(&label)
    .bind(&stored_name)
    .bind(kind.mime)
    .bind(r.size as i64)
    .bind(&r.sha256)
    .bind(replaces_id)
    .bind(user.id)
    .bind(now_stamp())
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        &Actor::user(&user, Some(ip)),
        Entry::new(
            "evidence_added",
            format!(
                "Bukti \"{label}\" diunggah ke langkah {} {}",
                ctx.code(),
                period.label()
            ),
        )
        .object("evidence", new_id)
        .after(
            json!({"label": label, "jenis": kind.label, "ukuran": r.size, "sha256": r.sha256,
                      "menggantikan": replaces_id}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&step_url(ctx.id, period, Some("bukti-diunggah"))).into_response())
}

fn problem_message(p: Option<&UploadProblem>, max: u64) -> (StatusCode, String) {
    match p {
        Some(UploadProblem::TooLarge) => (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "Berkas terlalu besar. Ukuran maksimal {}; perkecil atau pecah berkasnya.",
                size_label(max as i64)
            ),
        ),
        Some(UploadProblem::Interrupted) => (
            StatusCode::BAD_REQUEST,
            "Unggahan terputus sebelum selesai; tidak ada yang disimpan. Silakan unggah ulang."
                .into(),
        ),
        Some(UploadProblem::Io(e)) => {
            tracing::error!(error = %e, "evidence could not be written");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Berkas tidak dapat disimpan di server; tidak ada yang disimpan. Hubungi admin."
                    .into(),
            )
        }
        Some(UploadProblem::Missing) | None => (
            StatusCode::BAD_REQUEST,
            "Pilih berkas yang akan diunggah (berkas tidak boleh kosong).".into(),
        ),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LinkInput {
    periode: String,
    url: String,
    label: String,
}

/// Only absolute http(s) links with a host; the trimmed text is returned.
pub fn check_link(raw: &str) -> Result<String, &'static str> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("Isi alamat tautan bukti dukung.");
    }
    if raw.len() > 2000 {
        return Err("Alamat tautan terlalu panjang (maksimal 2000 karakter).");
    }
    match url::Url::parse(raw) {
        Ok(u)
            if matches!(u.scheme(), "http" | "https")
                && u.host_str().is_some_and(|h| !h.is_empty()) =>
        {
            Ok(raw.to_string())
        }
        Ok(_) => Err("Tautan harus diawali http:// atau https://."),
        Err(_) => Err("Alamat tautan tidak valid. Contoh: https://drive.example.go.id/berkas"),
    }
}

async fn add_link(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    FormData(input): FormData<LinkInput>,
) -> AppResult<Response> {
    let (ctx, rights) = progress::load_step(&state, &user, &id).await?;
    if !rights.write {
        return Err(AppError::Forbidden);
    }
    let period = posted_period(&state.db, &ctx, &input.periode).await?;
    let keep = Some((input.url.clone(), input.label.clone()));
    let url = match check_link(&input.url) {
        Ok(u) => u,
        Err(msg) => {
            return step_page_with_error(
                &state,
                chrome,
                &user,
                ctx.id,
                period,
                (StatusCode::BAD_REQUEST, msg.into()),
                keep,
            )
            .await;
        }
    };
    let label: String = input
        .label
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    if label.chars().count() > 200 {
        return step_page_with_error(
            &state,
            chrome,
            &user,
            ctx.id,
            period,
            (
                StatusCode::BAD_REQUEST,
                "Keterangan tautan maksimal 200 karakter.".into(),
            ),
            keep,
        )
        .await;
    }
    let label = if label.is_empty() { url.clone() } else { label };
    let duplicate: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM evidence WHERE step_id = ? AND semester = ? AND url = ? AND removed_at IS NULL",
    )
    .bind(ctx.id)
    .bind(period.semester)
    .bind(&url)
    .fetch_optional(&state.db)
    .await?;
    if duplicate.is_some() {
        return step_page_with_error(
            &state,
            chrome,
            &user,
            ctx.id,
            period,
            (
                StatusCode::CONFLICT,
                "Tautan yang sama sudah menjadi bukti dukung langkah ini.".into(),
            ),
            keep,
        )
        .await;
    }
    let mut tx = crate::db::write(&state.db).await?;
    let new_id: i64 = sqlx::query_scalar(
        "INSERT INTO evidence (step_id, semester, kind, label, url, uploaded_by, uploaded_at)
         VALUES (?, ?, 'link', ?, ?, ?, ?) RETURNING id",
    )
    .bind(ctx.id)
    .bind(period.semester)
    .bind(&label)
    .bind(&url)
    .bind(user.id)
    .bind(now_stamp())
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        &Actor::user(&user, Some(ip)),
        Entry::new(
            "evidence_added",
            format!(
                "Tautan bukti ditambahkan ke langkah {} {}",
                ctx.code(),
                period.label()
            ),
        )
        .object("evidence", new_id)
        .after(json!({"label": label, "url": url})),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&step_url(ctx.id, period, Some("tautan-ditambahkan"))).into_response())
}

/// The item and the rights of the user on its step.
/// The item, the rights of the user on its step, and the period it belongs to.
async fn load_item(
    state: &AppState,
    user: &CurrentUser,
    raw: &str,
) -> AppResult<(EvidenceView, crate::steps::Rights, Period)> {
    let item = get(&state.db, parse_id(raw)?)
        .await?
        .ok_or(AppError::NotFound)?;
    let (ctx, rights) = progress::load_step(state, user, &item.step_id.to_string()).await?;
    let period = Period::new(ctx.year, item.semester);
    Ok((item, rights, period))
}

fn content_disposition(label: &str) -> HeaderValue {
    let ascii: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = url::form_urlencoded::byte_serialize(label.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

async fn download(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let (item, _, _) = load_item(&state, &user, &id).await?;
    let (Some(stored), Some(mime)) = (item.stored_name.as_deref(), item.media_type.as_deref())
    else {
        return Err(AppError::NotFound);
    };
    let path = stored_path(&state.config.data_dir, stored);
    let file = match tokio::fs::File::open(&path).await {
        Ok(f) => f,
        Err(e) => {
            tracing::error!(error = %e, evidence = item.id, "evidence file missing");
            return Err(AppError::NotFoundWith(
                "Berkas bukti ini tidak ditemukan di penyimpanan. Hubungi admin.".into(),
            ));
        }
    };
    let len = file.metadata().await.map(|m| m.len()).unwrap_or(0);
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file));
    let mut res = Response::new(body);
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(
            ALLOWED
                .iter()
                .find(|t| t.mime == mime)
                .map(|t| t.mime)
                .unwrap_or("application/octet-stream"),
        ),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        content_disposition(&item.label),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(res)
}

#[derive(Template)]
#[template(path = "evidence/remove.html")]
struct RemovePage {
    chrome: Chrome,
    item: EvidenceView,
    back: String,
}

fn may_change(user: &CurrentUser, rights: &crate::steps::Rights) -> bool {
    rights.write || user.role == Role::Admin
}

async fn remove_confirm(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let (item, rights, period) = load_item(&state, &user, &id).await?;
    if !may_change(&user, &rights) {
        return Err(AppError::Forbidden);
    }
    if !item.is_active() {
        return Err(AppError::Conflict("Bukti ini sudah dihapus.".into()));
    }
    let back = step_url(item.step_id, period, None);
    render(&RemovePage { chrome, item, back })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RemoveInput {
    note: String,
}

async fn remove(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    FormData(input): FormData<RemoveInput>,
) -> AppResult<Response> {
    let (item, rights, period) = load_item(&state, &user, &id).await?;
    if !may_change(&user, &rights) {
        return Err(AppError::Forbidden);
    }
    let note: String = input.note.trim().chars().take(500).collect();
    let mut tx = crate::db::write(&state.db).await?;
    let done = sqlx::query(
        "UPDATE evidence SET removed_at = ?, removed_by = ?, removed_note = ?
         WHERE id = ? AND removed_at IS NULL",
    )
    .bind(now_stamp())
    .bind(user.id)
    .bind(if note.is_empty() {
        None
    } else {
        Some(note.clone())
    })
    .bind(item.id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if done == 0 {
        return Err(AppError::Conflict("Bukti ini sudah dihapus.".into()));
    }
    audit::record(
        &mut tx,
        &Actor::user(&user, Some(ip)),
        Entry::new(
            "evidence_removed",
            format!("Bukti \"{}\" dihapus (dapat dipulihkan)", item.label),
        )
        .object("evidence", item.id)
        .change(
            json!({"aktif": true}),
            json!({"aktif": false, "catatan": note}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&step_url(item.step_id, period, Some("bukti-dihapus"))).into_response())
}

async fn restore(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let (item, rights, period) = load_item(&state, &user, &id).await?;
    if !may_change(&user, &rights) {
        return Err(AppError::Forbidden);
    }
    let mut tx = crate::db::write(&state.db).await?;
    let replaced: Option<i64> =
        sqlx::query_scalar("SELECT id FROM evidence WHERE replaces_id = ? LIMIT 1")
            .bind(item.id)
            .fetch_optional(&mut *tx)
            .await?;
    if replaced.is_some() {
        return Err(AppError::Conflict(
            "Bukti ini sudah diganti dengan versi baru; versi lama tetap tercatat di riwayat."
                .into(),
        ));
    }
    let done = sqlx::query(
        "UPDATE evidence SET removed_at = NULL, removed_by = NULL, removed_note = NULL
         WHERE id = ? AND removed_at IS NOT NULL",
    )
    .bind(item.id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if done == 0 {
        return Err(AppError::Conflict("Bukti ini masih aktif.".into()));
    }
    audit::record(
        &mut tx,
        &Actor::user(&user, Some(ip)),
        Entry::new(
            "evidence_restored",
            format!("Bukti \"{}\" dipulihkan", item.label),
        )
        .object("evidence", item.id)
        .change(json!({"aktif": false}), json!({"aktif": true})),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&step_url(item.step_id, period, Some("bukti-dipulihkan"))).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn ooxml(parts: &[&str]) -> Vec<u8> {
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut zip = zip::ZipWriter::new(&mut buf);
            let opts = zip::write::SimpleFileOptions::default();
            for p in parts {
                zip.start_file(*p, opts).unwrap();
                zip.write_all(b"<?xml version=\"1.0\"?><x/>").unwrap();
            }
            zip.finish().unwrap();
        }
        buf.into_inner()
    }

    fn detect_bytes(bytes: &[u8]) -> Option<&'static str> {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        f.flush().unwrap();
        let prefix = &bytes[..bytes.len().min(16)];
        detect(f.path(), prefix).map(|t| t.ext)
    }

    #[test]
    fn the_type_comes_from_the_bytes() {
        let cases: Vec<(&str, Vec<u8>, Option<&str>)> = vec![
            ("pdf", b"%PDF-1.7\n%%EOF\n".to_vec(), Some("pdf")),
            ("jpeg", vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10], Some("jpg")),
            (
                "png",
                b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(),
                Some("png"),
            ),
            (
                "docx",
                ooxml(&["[Content_Types].xml", "word/document.xml"]),
                Some("docx"),
            ),
            (
                "xlsx",
                ooxml(&["[Content_Types].xml", "xl/workbook.xml"]),
                Some("xlsx"),
            ),
            (
                "pptx",
                ooxml(&["[Content_Types].xml", "ppt/presentation.xml"]),
                Some("pptx"),
            ),
            (
                "zip without content types",
                ooxml(&["word/document.xml"]),
                None,
            ),
            (
                "zip of other parts",
                ooxml(&["[Content_Types].xml", "a.txt"]),
                None,
            ),
            ("html", b"<!doctype html><script>".to_vec(), None),
            ("text that mentions PDF", b" %PDF-1.4".to_vec(), None),
            ("executable", b"MZ\x90\0\x03\0\0\0".to_vec(), None),
            ("truncated zip header", b"PK\x03\x04garbage".to_vec(), None),
            ("empty", Vec::new(), None),
        ];
        for (name, bytes, expected) in cases {
            assert_eq!(detect_bytes(&bytes), expected, "{name}");
        }
    }

    #[test]
    fn links_are_absolute_http_only() {
        for (raw, ok) in [
            ("https://drive.example.go.id/a", true),
            ("  http://contoh.go.id  ", true),
            ("javascript:alert(1)", false),
            ("ftp://contoh.go.id/x", false),
            ("contoh.go.id/x", false),
            ("", false),
            ("https://", false),
        ] {
            assert_eq!(check_link(raw).is_ok(), ok, "{raw:?}");
        }
        assert_eq!(
            check_link(&format!("https://a.go.id/{}", "x".repeat(2000))),
            Err("Alamat tautan terlalu panjang (maksimal 2000 karakter).")
        );
    }

    #[test]
    fn labels_lose_paths_and_control_characters() {
        for (raw, expected) in [
            ("../../SK Tim <ZI>.pdf", "SK Tim ZI.pdf"),
            ("C:\\Users\\a\\notulen.docx", "notulen.docx"),
            ("..hidden.pdf", "hidden.pdf"),
            ("", "berkas.pdf"),
            ("a\u{0}b\nc.pdf", "abc.pdf"),
        ] {
            assert_eq!(sanitize_label(raw, "pdf"), expected, "{raw:?}");
        }
        assert_eq!(sanitize_label(&"x".repeat(300), "pdf").chars().count(), 120);
    }

    #[test]
    fn sizes_read_in_indonesian() {
        assert_eq!(size_label(1), "1 KB");
        assert_eq!(size_label(1024 * 1024), "1 MB");
        assert_eq!(size_label(1536 * 1024), "1,5 MB");
    }
}
