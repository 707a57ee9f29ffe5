//! The command line: `serve` (the default) and the command families, one file each.
//! Commands write through the same store functions as the pages; no feature imports
//! this module.

mod args;
mod lke;
mod portalrb;
mod serve;
mod targets;
mod unit;
mod user;

pub use args::*;

use crate::error::UserError;

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => serve::serve(cli.serve, cli.data_dir).await,
        Some(Command::Serve(args)) => serve::serve(args, cli.data_dir).await,
        Some(Command::Export {
            what: ExportWhat::Targets { year, unit },
        }) => targets::export_targets(cli.data_dir, year, unit.as_deref()).await,
        Some(Command::Unit { action }) => unit::unit_command(cli.data_dir, action).await,
        Some(Command::Portalrb { action }) => {
            portalrb::portalrb_command(cli.data_dir, action).await
        }
        Some(Command::User { action }) => user::user_command(cli.data_dir, action).await,
        Some(Command::Targets { action }) => targets::targets_command(cli.data_dir, action).await,
        Some(Command::Lke { action }) => lke::run(cli.data_dir, action).await,
        Some(Command::Backup { to }) => {
            let m = crate::backup::backup(&cli.data_dir, &to).await?;
            println!(
                "Cadangan dibuat di {}: database dan {} berkas bukti, dengan {}.",
                to.display(),
                m.files.len() - 1,
                crate::backup::MANIFEST
            );
            Ok(())
        }
        Some(Command::Restore { from, force }) => {
            let n = crate::backup::restore(&from, &cli.data_dir, force).await?;
            println!(
                "Cadangan {} dipulihkan ke {} ({n} berkas diperiksa dan disalin).",
                from.display(),
                cli.data_dir.display()
            );
            Ok(())
        }
        Some(Command::DemoData {
            units,
            years,
            staff,
            seed,
            password_stdin,
        }) => {
            let (password, show) = if password_stdin {
                (read_password(true)?, false)
            } else {
                (crate::auth::password::random_password(), true)
            };
            if let Err(msg) = crate::auth::password::check_rules(&password, "staf01") {
                return Err(UserError(msg.into()).into());
            }
            let s = crate::demo::run(
                &cli.data_dir,
                crate::demo::Options {
                    units,
                    years,
                    staff,
                    seed,
                    password: password.clone(),
                },
            )
            .await?;
            println!(
                "Data demo siap: {} tahun ({}–{}){}, {} akun, {} versi progres, {} berkas bukti.",
                s.years.len(),
                s.years.first().copied().unwrap_or_default(),
                s.years.last().copied().unwrap_or_default(),
                if s.units > 1 {
                    format!(" untuk {} unit", s.units)
                } else {
                    String::new()
                },
                s.users,
                s.versions,
                s.files
            );
            if s.units > 1 {
                println!(
                    "Akun: admin-demo, pimpinan-instansi, penilai (semua unit), dan per unit pimpinan-KODE, staf01-KODE…; semuanya memakai kata sandi yang sama."
                );
            } else {
                println!(
                    "Akun: pimpinan, penilai, admin-demo, staf01…; semuanya memakai kata sandi yang sama."
                );
            }
            if show {
                println!("Kata sandi akun demo: {password}");
            }
            Ok(())
        }
    }
}

fn read_password(password_stdin: bool) -> anyhow::Result<String> {
    if !password_stdin {
        return Err(UserError(
            "kata sandi dibaca dari masukan standar: tambahkan --password-stdin".into(),
        )
        .into());
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// An account, with its role in `unit` (or its instansi role).
async fn find_user(
    pool: &sqlx::SqlitePool,
    unit: i64,
    username: &str,
) -> anyhow::Result<crate::users::User> {
    crate::users::by_username(pool, unit, username)
        .await?
        .ok_or_else(|| UserError(format!("pengguna \"{username}\" tidak ada")).into())
}
