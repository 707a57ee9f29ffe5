//! `export targets` and `targets …`: a year's catalogue as CSV, and copying years.

use std::io::Write;
use std::path::PathBuf;

use crate::audit::Actor;
use crate::error::UserError;
use crate::{catalogue, db};

use super::TargetsAction;

pub(super) async fn export_targets(
    data_dir: PathBuf,
    year: i64,
    unit: Option<&str>,
) -> anyhow::Result<()> {
    let pool = db::open(&data_dir).await?;
    let unit = crate::tenant::resolve_code(&pool, unit).await?;
    let Some(cat) = catalogue::load(&pool, unit.id, year).await? else {
        let years = crate::periods::target_years(&pool, unit.id).await?;
        let list = years
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        return Err(UserError(format!(
            "tahun target {year} tidak ada. Tahun yang tersedia: {}",
            if list.is_empty() {
                "(belum ada)".into()
            } else {
                list
            }
        ))
        .into());
    };
    let bytes = catalogue::to_csv(&cat)?;
    let mut out = std::io::stdout().lock();
    out.write_all(&bytes)?;
    out.flush()?;
    pool.close().await;
    Ok(())
}

fn year_error(e: crate::catalogue::YearError) -> anyhow::Error {
    match e {
        crate::catalogue::YearError::Refused(m) | crate::catalogue::YearError::Taken(m) => {
            UserError(m).into()
        }
        crate::catalogue::YearError::Invalid(list) => UserError(format!(
            "berkas ditolak, tidak ada yang diimpor:\n  {}",
            list.join("\n  ")
        ))
        .into(),
        crate::catalogue::YearError::Db(e) => e.into(),
    }
}

pub(super) async fn targets_command(
    data_dir: PathBuf,
    action: TargetsAction,
) -> anyhow::Result<()> {
    let pool = db::open(&data_dir).await?;
    let result = match action {
        TargetsAction::Copy {
            from,
            to,
            from_unit,
            to_units,
            with_assignments,
        } => copy_targets(&pool, (from, from_unit), (to, to_units), with_assignments).await,
        TargetsAction::Import { year, unit, file } => match std::fs::read(&file) {
            Ok(bytes) => {
                let unit = crate::tenant::resolve_code(&pool, unit.as_deref()).await?;
                crate::catalogue::import(&pool, &Actor::cli(), unit.id, year, &bytes)
                    .await
                    .map(|n| println!("Target tahun {year} diimpor: {n} langkah aksi."))
                    .map_err(year_error)
            }
            Err(e) => {
                Err(UserError(format!("berkas {} tidak dapat dibaca: {e}", file.display())).into())
            }
        },
    };
    pool.close().await;
    result
}

/// `targets copy`: within one unit, or from a template unit to others (all or none).
async fn copy_targets(
    pool: &sqlx::SqlitePool,
    (from, from_unit): (i64, Option<String>),
    (to, to_units): (i64, Vec<String>),
    with_assignments: bool,
) -> anyhow::Result<()> {
    let source = crate::tenant::resolve_code(pool, from_unit.as_deref()).await?;
    let mut targets = Vec::new();
    for code in &to_units {
        targets.push(crate::tenant::resolve_code(pool, Some(code)).await?);
    }
    if targets.is_empty() || targets.iter().all(|t| t.id == source.id) {
        let n = crate::catalogue::copy(pool, &Actor::cli(), source.id, from, to, with_assignments)
            .await
            .map_err(year_error)?;
        println!("Target {from} disalin ke {to}: {n} langkah aksi, tanpa progres.");
        return Ok(());
    }
    if with_assignments {
        return Err(UserError(
            "--with-assignments hanya untuk penyalinan di dalam satu unit: PIC adalah orang unit itu sendiri"
                .into(),
        )
        .into());
    }
    let n = crate::catalogue::copy_to_units(pool, &Actor::cli(), (&source, from), to, &targets)
        .await
        .map_err(year_error)?;
    println!(
        "Target {} {from} disalin ke {to} untuk {} unit ({}): {n} langkah aksi per unit, tanpa progres.",
        source.code,
        targets.len(),
        targets
            .iter()
            .map(|t| t.code.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}
