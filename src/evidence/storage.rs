//! Evidence bytes: deciding the type from the bytes, content-addressed storage
//! written durably (temp file, sync, rename, sync folder), safe labels.

#[allow(unused_imports)]
use super::*;

use std::path::{Path as FsPath, PathBuf};

use axum::http::StatusCode;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::random::token as random_token;

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

/// Decides the type from the bytes alone: magic numbers for JPEG and PNG; a PDF must
/// both start with its header and end with its trailer (`%%EOF` in the last 1 KiB, as
/// PDF readers themselves look for it), so an HTML page with `%PDF-` in front is not
/// one; for Office files, the ZIP's own directory must hold the part that makes it one.
pub fn detect(path: &FsPath, prefix: &[u8]) -> Option<&'static FileType> {
    if prefix.starts_with(b"%PDF-") {
        return pdf_trailer(path).then_some(&ALLOWED[0]);
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
        let names: Vec<String> = zip
            .file_names()
            .filter_map(Result::ok)
            .map(|n| n.into_owned())
            .collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
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

fn pdf_trailer(path: &FsPath) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let mut tail = Vec::with_capacity(1024);
    if f.seek(SeekFrom::Start(len.saturating_sub(1024))).is_err()
        || f.read_to_end(&mut tail).is_err()
    {
        return false;
    }
    tail.windows(5).any(|w| w == b"%%EOF")
}

/// The extensions a file of this type may already carry in its name.
fn known_extensions(ext: &str) -> &'static [&'static str] {
    match ext {
        "jpg" => &["jpg", "jpeg"],
        "pdf" => &["pdf"],
        "png" => &["png"],
        "docx" => &["docx"],
        "xlsx" => &["xlsx"],
        "pptx" => &["pptx"],
        _ => &[],
    }
}

/// Ends a name in the extension of the type its bytes are: `Notulen.html` holding a
/// PDF becomes `Notulen.html.pdf` (the original name stays readable and the last
/// extension, the one a system opens it by, is the true one); a name already ending
/// in the right extension is kept. At most `max` characters, shortened in the stem so
/// the extension survives.
pub fn name_with_type(name: &str, ext: &str, max: usize) -> String {
    let (stem, has_ext) = match name.rsplit_once('.') {
        Some((stem, e)) if known_extensions(ext).contains(&e.to_lowercase().as_str()) => {
            (stem, Some(e))
        }
        _ => (name, None),
    };
    let suffix = format!(".{}", has_ext.unwrap_or(ext));
    let room = max.saturating_sub(suffix.chars().count()).max(1);
    let stem: String = stem.chars().take(room).collect();
    let stem = stem.trim_end_matches([' ', '.']);
    let stem = if stem.is_empty() { "berkas" } else { stem };
    format!("{stem}{suffix}")
}

pub fn evidence_dir(data_dir: &FsPath) -> PathBuf {
    data_dir.join("evidence")
}

pub(crate) fn tmp_dir(data_dir: &FsPath) -> PathBuf {
    evidence_dir(data_dir).join("tmp")
}

/// Where a stored file lives: spread over 256 folders by the first hash bytes.
pub fn stored_path(data_dir: &FsPath, stored_name: &str) -> PathBuf {
    let prefix: String = stored_name.chars().take(2).collect();
    evidence_dir(data_dir).join(prefix).join(stored_name)
}

/// Stored files no evidence row refers to (a crash between moving a file into place
/// and committing its row): removed at start, when no upload is in flight. Returns
/// how many were removed.
pub async fn sweep_unreferenced(db: &sqlx::SqlitePool, data_dir: &FsPath) -> anyhow::Result<usize> {
    let referenced: std::collections::HashSet<String> = sqlx::query_scalar(
        "SELECT DISTINCT stored_name FROM evidence WHERE stored_name IS NOT NULL",
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .collect();
    let mut removed = 0;
    let Ok(folders) = std::fs::read_dir(evidence_dir(data_dir)) else {
        return Ok(0);
    };
    for folder in folders.flatten() {
        let path = folder.path();
        if !path.is_dir() || folder.file_name() == "tmp" {
            continue;
        }
        for f in std::fs::read_dir(&path)?.flatten() {
            let name = f.file_name().to_string_lossy().into_owned();
            if !referenced.contains(&name) && std::fs::remove_file(f.path()).is_ok() {
                tracing::info!(file = %name, "unreferenced evidence file removed");
                removed += 1;
            }
        }
    }
    Ok(removed)
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
/// characters, bounds its length, and ends it in the extension of its true type.
pub fn sanitize_label(raw: &str, ext: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | '|' | '*' | '?' | ':'))
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    name_with_type(cleaned, ext, 120)
}

/// A file received into the temporary folder, hashed and measured as it arrived.
pub(crate) struct Received {
    pub(crate) tmp: PathBuf,
    pub(crate) size: u64,
    pub(crate) sha256: String,
    pub(crate) prefix: Vec<u8>,
    pub(crate) file_name: String,
}

pub(crate) enum UploadProblem {
    TooLarge,
    Interrupted,
    Missing,
    Io(std::io::Error),
}

pub(crate) async fn receive_file(
    field: &mut axum::extract::multipart::Field<'_>,
    data_dir: &FsPath,
    max: u64,
) -> Result<Received, UploadProblem> {
    let dir = tmp_dir(data_dir);
    crate::private_files::create_dir_all_async(&dir)
        .await
        .map_err(UploadProblem::Io)?;
    let tmp = dir.join(format!("{}.part", random_token()));
    let mut out = crate::private_files::new_file_async()
        .open(&tmp)
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
pub(crate) async fn commit_file(
    data_dir: &FsPath,
    tmp: &FsPath,
    stored_name: &str,
) -> std::io::Result<()> {
    let dest = stored_path(data_dir, stored_name);
    let parent = dest.parent().expect("has a folder").to_path_buf();
    crate::private_files::create_dir_all_async(&parent).await?;
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
    crate::private_files::create_dir_all(parent)?;
    let tmp_folder = tmp_dir(data_dir);
    crate::private_files::create_dir_all(&tmp_folder)?;
    let tmp = tmp_folder.join(format!("{}.part", random_token()));
    let mut f = crate::private_files::new_file().open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, &dest)?;
    std::fs::File::open(parent)?.sync_all()?;
    Ok((stored_name, sha))
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
            (
                "html behind a PDF header",
                b"%PDF-1.4\n<html><script>alert(1)</script></html>".to_vec(),
                None,
            ),
            (
                "pdf cut before its trailer",
                b"%PDF-1.4\n1 0 obj".to_vec(),
                None,
            ),
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
        let at_the_limit = format!("https://a.go.id/{}", "x".repeat(2000 - 16));
        assert_eq!(at_the_limit.len(), 2000);
        assert!(
            check_link(&at_the_limit).is_ok(),
            "2000 characters are allowed"
        );
    }

    #[test]
    fn labels_lose_paths_and_control_characters() {
        for (raw, expected) in [
            ("../../SK Tim <ZI>.pdf", "SK Tim ZI.pdf"),
            ("C:\\Users\\a\\notulen.PDF", "notulen.PDF"),
            ("..hidden.pdf", "hidden.pdf"),
            ("", "berkas.pdf"),
            ("a\u{0}b\nc.pdf", "abc.pdf"),
            ("Notulen.html", "Notulen.html.pdf"),
            ("SK Tim.hta", "SK Tim.hta.pdf"),
            ("Laporan.bat", "Laporan.bat.pdf"),
            ("x.exe", "x.exe.pdf"),
            ("tanpa titik", "tanpa titik.pdf"),
        ] {
            assert_eq!(sanitize_label(raw, "pdf"), expected, "{raw:?}");
        }
        let long = sanitize_label(&format!("{}.pdf", "x".repeat(300)), "pdf");
        assert_eq!(long.chars().count(), 120);
        assert!(long.ends_with("x.pdf"), "{long}");
        assert_eq!(sanitize_label("laporan.docx", "xlsx"), "laporan.docx.xlsx");
        assert_eq!(sanitize_label("foto.JPEG", "jpg"), "foto.JPEG");
        assert_eq!(
            name_with_type("a.pdf", "pdf", 3),
            "a.pdf",
            "the extension survives"
        );
    }

    #[test]
    fn sizes_read_in_indonesian() {
        assert_eq!(size_label(1), "1 KB");
        assert_eq!(size_label(1024 * 1024), "1 MB");
        assert_eq!(size_label(1536 * 1024), "1,5 MB");
    }
}
