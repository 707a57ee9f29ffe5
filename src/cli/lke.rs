//! `zi-tracker lke …`: masters in and out, and the score as JSON.

use crate::identity::{AnyRole, Role};
use std::io::Write;
use std::path::PathBuf;

use super::{LkeAction, find_user};
use crate::audit::Actor;
use crate::error::UserError;
use crate::lke::{no_master, portalrb, score_json, store, workbook};

pub(super) async fn run(data_dir: PathBuf, action: LkeAction) -> anyhow::Result<()> {
    let pool = crate::db::open(&data_dir).await?;
    let result = match action {
        LkeAction::ImportMaster { year, file } => {
            let bytes = std::fs::read(&file).map_err(|e| {
                UserError(format!("berkas {} tidak dapat dibaca: {e}", file.display()))
            })?;
            match store::import_master(&pool, &Actor::cli(), year, &bytes).await? {
                Ok(n) => {
                    println!("Master LKE {year} dimuat: {n} soal.");
                    Ok(())
                }
                Err(problems) => Err(UserError(format!(
                    "master ditolak, tidak ada yang dimuat:\n  {}",
                    problems.join("\n  ")
                ))
                .into()),
            }
        }
        LkeAction::ExportMaster { year } => match store::load_master(&pool, year).await? {
            Some(m) => {
                let mut out = std::io::stdout().lock();
                serde_json::to_writer_pretty(&mut out, &portalrb::export_master(&m))?;
                writeln!(out)?;
                Ok(())
            }
            None => Err(no_master(&pool, year).await?),
        },
        LkeAction::ImportAnswers {
            year,
            file,
            tpi,
            by,
            unit,
        } => {
            import_answers(
                &pool,
                (unit.as_deref(), year),
                &file,
                tpi.as_deref(),
                by.as_deref(),
            )
            .await
        }
        LkeAction::Score { year, unit, json } => {
            let value = score_json(&pool, year, unit.as_deref()).await?;
            let text = if json {
                serde_json::to_string_pretty(&value)?
            } else {
                format!(
                    "LKE {year}: nilai TPI {:.2}, nilai mandiri {:.2} (perhitungan unit sendiri, bukan keputusan TPN).",
                    value["tpi"]["total"].as_f64().unwrap_or(0.0),
                    value["mandiri"]["total"].as_f64().unwrap_or(0.0)
                )
            };
            // a reader that stops early (`| head`) is not an error
            match writeln!(std::io::stdout().lock(), "{text}") {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.map_err(Into::into),
            }
        }
    };
    pool.close().await;
    result
}

async fn import_answers(
    pool: &sqlx::SqlitePool,
    (unit, year): (Option<&str>, i64),
    file: &std::path::Path,
    tpi: Option<&str>,
    by: Option<&str>,
) -> anyhow::Result<()> {
    let unit = crate::tenant::resolve_code(pool, unit).await?;
    let Some(master) = store::load_master(pool, year).await? else {
        return Err(no_master(pool, year).await?);
    };
    let bytes = std::fs::read(file)
        .map_err(|e| UserError(format!("berkas {} tidak dapat dibaca: {e}", file.display())))?;
    let tpi_by = match tpi {
        Some(name) => {
            let u = find_user(pool, unit.id, name).await?;
            if u.role != Some(AnyRole::Unit(Role::Penilai)) || !u.active {
                return Err(UserError(format!(
                    "\"{name}\" bukan akun penilai (TPI) yang aktif; jawaban TPI hanya dicatat atas nama penilai"
                ))
                .into());
            }
            Some(u.id)
        }
        None => None,
    };
    let unit_by = match by {
        Some(name) => {
            let u = find_user(pool, unit.id, name).await?;
            if matches!(u.role, None | Some(AnyRole::Unit(Role::Penilai))) || !u.active {
                return Err(UserError(format!(
                    "\"{name}\" tidak dapat tercatat sebagai pemberi jawaban unit (penilai atau nonaktif)"
                ))
                .into());
            }
            u.id
        }
        None => sqlx::query_scalar(
            "SELECT u.id FROM users u LEFT JOIN user_units uu ON uu.user_id = u.id AND uu.unit_id = ?
             WHERE u.active = 1 AND (uu.role = 'admin' OR u.instansi_role = 'admin-instansi')
             ORDER BY uu.role IS NULL, u.id LIMIT 1",
        )
        .bind(unit.id)
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| UserError("belum ada akun admin aktif; sebutkan --by USERNAME".into()))?,
    };
    let links = store::evidence_links_by_question(pool, unit.id, year).await?;
    let rows =
        workbook::read(&master, &bytes, true, tpi_by.is_some(), &links).map_err(|errors| {
            UserError(format!(
                "lembar kerja ditolak, tidak ada yang disimpan:\n  {}",
                errors.join("\n  ")
            ))
        })?;
    let done = workbook::store_rows(
        pool,
        &crate::notify::Offline::new(),
        &Actor::cli(),
        (unit.id, year),
        &rows,
        Some(unit_by),
        tpi_by,
    )
    .await?
    .map_err(UserError)?;
    println!(
        "Jawaban LKE {year} dimuat: {} jawaban unit dan {} jawaban TPI berubah ({} baris terisi).",
        done.unit,
        done.tpi,
        rows.len()
    );
    Ok(())
}
