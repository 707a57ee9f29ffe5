//! Many accounts at once from a CSV (nama, username, peran, unit, email): every line
//! checked first, reported by line number, and all stored in one transaction or none.
//! Each account gets a random password, shown once, that must be replaced at first
//! sign-in.

use std::collections::HashSet;

use serde_json::json;
use sqlx::SqlitePool;

use super::FieldErrors;
use crate::audit::{Action, Actor, Entry};
use crate::tenant::AnyRole;

/// The most accounts one file may create (each password is hashed on purpose slowly).
pub const MAX_ROWS: usize = 1000;

#[derive(Debug)]
pub struct Row {
    pub line: usize,
    pub display_name: String,
    pub username: String,
    pub role: String,
    pub units: Vec<String>,
    pub email: Option<String>,
}

const COLUMNS: [&str; 5] = ["nama", "username", "peran", "unit", "email"];

/// Reads the file: a header naming the columns (any order; `email` optional), then
/// one account per line. `;` or `,` between fields; unit codes separated by spaces,
/// commas or `|` within their field.
pub fn parse(bytes: &[u8]) -> Result<Vec<Row>, Vec<String>> {
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes))
        .map_err(|_| vec!["Berkas bukan teks UTF-8.".to_string()])?;
    let first = text.lines().next().unwrap_or("");
    let delimiter = if first.contains(';') { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| vec![format!("Baris 1: judul kolom tidak terbaca ({e}).")])?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let missing: Vec<&str> = COLUMNS[..4]
        .iter()
        .filter(|c| col(c).is_none())
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(vec![format!(
            "Baris 1: kolom {} tidak ada (judul kolom yang diharapkan: {}).",
            missing.join(", "),
            COLUMNS.join(";")
        )]);
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(i + 2, |p| line_at(text, p.byte()));
                errors.push(format!("Baris {line}: tidak terbaca ({e})."));
                continue;
            }
        };
        // the file's own line number (blank lines are skipped by the reader)
        let line = record.position().map_or(i + 2, |p| line_at(text, p.byte()));
        let get = |name: &str| {
            col(name)
                .and_then(|c| record.get(c))
                .map(str::trim)
                .unwrap_or("")
                .to_string()
        };
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let email = get("email");
        rows.push(Row {
            line,
            display_name: get("nama"),
            username: get("username").to_lowercase(),
            role: get("peran").to_lowercase(),
            units: get("unit")
                .split([',', ' ', '|'])
                .map(|u| u.trim().to_lowercase())
                .filter(|u| !u.is_empty())
                .collect(),
            email: (!email.is_empty()).then_some(email),
        });
    }
    if rows.len() > MAX_ROWS {
        errors.push(format!(
            "Berkas berisi {} akun; paling banyak {MAX_ROWS} sekali impor.",
            rows.len()
        ));
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push("Berkas tidak berisi akun.".into());
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// The line of the file a byte offset is on, counting from 1.
fn line_at(text: &str, byte: u64) -> usize {
    let bytes = text.as_bytes();
    let mut end = (byte as usize).min(bytes.len());
    // a record's position may sit before the blank lines the reader skipped
    while end < bytes.len() && matches!(bytes[end], b'\n' | b'\r') {
        end += 1;
    }
    bytes[..end].iter().filter(|b| **b == b'\n').count() + 1
}

/// Checks every row against the rules and the database, then creates all accounts
/// in one transaction. Returns (username, password) of each, to show once.
pub async fn import(
    db: &SqlitePool,
    actor: &Actor,
    rows: &[Row],
) -> anyhow::Result<Result<Vec<(String, String)>, Vec<String>>> {
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    let mut resolved: Vec<Vec<i64>> = Vec::new();
    for r in rows {
        let mut fe = FieldErrors::default();
        super::check_username(&r.username, &mut fe);
        super::check_display_name(&r.display_name, &mut fe);
        for m in fe.messages() {
            errors.push(format!("Baris {}: {m}", r.line));
        }
        if !seen.insert(r.username.clone()) {
            errors.push(format!(
                "Baris {}: nama pengguna \"{}\" sudah ada di baris lain berkas ini.",
                r.line, r.username
            ));
        }
        let taken: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users WHERE username = ?)")
                .bind(&r.username)
                .fetch_one(db)
                .await?;
        if taken {
            errors.push(format!(
                "Baris {}: nama pengguna \"{}\" sudah dipakai.",
                r.line, r.username
            ));
        }
        let mut ids = Vec::new();
        match AnyRole::parse(&r.role) {
            None => errors.push(format!(
                "Baris {}: peran \"{}\" tidak dikenal (pilih {}).",
                r.line,
                r.role,
                AnyRole::NAMES
            )),
            Some(AnyRole::Instansi(_)) if !r.units.is_empty() => errors.push(format!(
                "Baris {}: peran tingkat instansi tidak memakai kolom unit.",
                r.line
            )),
            Some(AnyRole::Instansi(_)) => {}
            Some(AnyRole::Unit(_)) if r.units.is_empty() => errors.push(format!(
                "Baris {}: isi kolom unit dengan kode unit kerja tempat peran berlaku.",
                r.line
            )),
            Some(AnyRole::Unit(_)) => {
                for code in &r.units {
                    let id: Option<i64> = sqlx::query_scalar(
                        "SELECT id FROM work_units WHERE code = ? AND retired_at IS NULL",
                    )
                    .bind(code)
                    .fetch_optional(db)
                    .await?;
                    match id {
                        Some(id) => ids.push(id),
                        None => errors.push(format!(
                            "Baris {}: unit kerja \"{code}\" tidak ada atau nonaktif.",
                            r.line
                        )),
                    }
                }
            }
        }
        if let Some(e) = &r.email
            && !crate::account::valid_email(e)
        {
            errors.push(format!(
                "Baris {}: alamat e-mail \"{e}\" tidak sah.",
                r.line
            ));
        }
        resolved.push(ids);
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    // Hashed before the write lock is taken: slow on purpose.
    let mut created = Vec::new();
    let mut hashes = Vec::new();
    for _ in rows {
        let pw = crate::auth::password::random_password();
        hashes.push(crate::auth::password::hash(pw.clone()).await?);
        created.push(pw);
    }
    let mut tx = crate::db::write(db).await?;
    let mut out = Vec::new();
    for ((r, units), (pw, hash)) in rows
        .iter()
        .zip(&resolved)
        .zip(created.into_iter().zip(hashes))
    {
        let instansi = match AnyRole::parse(&r.role) {
            Some(AnyRole::Instansi(role)) => Some(role.as_str()),
            _ => None,
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (username, display_name, instansi_role, password_hash, must_change_password, email, email_verified)
             VALUES (?, ?, ?, ?, 1, ?, ?) RETURNING id",
        )
        .bind(&r.username)
        .bind(&r.display_name)
        .bind(instansi)
        .bind(&hash)
        .bind(&r.email)
        .bind(r.email.is_some())
        .fetch_one(&mut *tx)
        .await?;
        for unit in units {
            sqlx::query("INSERT INTO user_units (user_id, unit_id, role) VALUES (?, ?, ?)")
                .bind(id)
                .bind(unit)
                .bind(&r.role)
                .execute(&mut *tx)
                .await?;
        }
        out.push((r.username.clone(), pw));
    }
    tx.commit(
        actor,
        Entry::new(
            Action::UserCreated,
            format!("{} akun dibuat dari berkas CSV", out.len()),
        )
        .after(json!({"akun": out.iter().map(|(u, _)| u).collect::<Vec<_>>()})),
    )
    .await?;
    Ok(Ok(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_either_separator_and_any_column_order() {
        let rows = parse(
            "\u{feff}username;nama;peran;unit;email\nsari;Sari W;staf;bbpt;sari@contoh.go.id\n\nirjen;Irjen;pimpinan-instansi;;\n"
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].line, rows[0].username.as_str()), (2, "sari"));
        assert_eq!(rows[1].line, 4, "blank lines keep the numbering");
        let rows = parse(b"nama,username,peran,unit\nTPI,tpi,penilai,\"bbpt, lolit\"\n").unwrap();
        assert_eq!(rows[0].units, ["bbpt", "lolit"]);
        assert!(parse(b"nama;username;peran\nA;a;staf\n").unwrap_err()[0].contains("unit"));
        assert!(parse(b"nama;username;peran;unit\n").is_err());
    }
}

// ---------------------------------------------------------------------------
// The page

use askama::Template;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;

use crate::AppState;
use crate::error::AppResult;
use crate::web::{Acting, Chrome, render, render_status};

/// The largest file accepted.
pub const MAX_BYTES: usize = 512 * 1024;

#[derive(Template)]
#[template(path = "users/import.html")]
pub(crate) struct ImportPage {
    pub(crate) chrome: Chrome,
    pub(crate) errors: Vec<String>,
    /// After an import: each account and its first password, shown this once.
    pub(crate) created: Vec<(String, String)>,
}

pub(crate) async fn form(chrome: Chrome) -> AppResult<Response> {
    render(&ImportPage {
        chrome,
        errors: Vec::new(),
        created: Vec::new(),
    })
}

pub(crate) async fn submit(
    State(state): State<AppState>,
    chrome: Chrome,
    Acting { actor, .. }: Acting,
    request: Request,
) -> AppResult<Response> {
    let fail = |status: StatusCode, errors: Vec<String>| {
        render_status(
            status,
            &ImportPage {
                chrome: chrome.clone(),
                errors,
                created: Vec::new(),
            },
        )
    };
    let upload = match crate::web::read_upload(request, &state, MAX_BYTES).await {
        Ok(u) => u,
        Err(e) => {
            return match e.for_form(MAX_BYTES) {
                Ok((status, message)) => fail(status, vec![message]),
                Err(refused) => Ok(*refused),
            };
        }
    };
    if upload.file.is_empty() {
        return fail(
            StatusCode::BAD_REQUEST,
            vec!["Pilih berkas CSV daftar akun.".into()],
        );
    }
    let rows = match parse(&upload.file) {
        Ok(rows) => rows,
        Err(errors) => return fail(StatusCode::BAD_REQUEST, errors),
    };
    match import(&state.db, &actor.instansi_wide(), &rows).await? {
        Ok(created) => render(&ImportPage {
            chrome,
            errors: Vec::new(),
            created,
        }),
        Err(errors) => fail(StatusCode::BAD_REQUEST, errors),
    }
}
