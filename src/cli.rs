//! The command line: `serve` (the default), `export`, and friends.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::{Config, catalogue, db};

#[derive(Parser, Debug)]
#[command(
    name = "zi-tracker",
    version,
    about = "Pelacak target prioritas Zona Integritas (WBK/WBBM)"
)]
pub struct Cli {
    /// Folder data (berkas SQLite dan bukti dukung).
    #[arg(long, env = "ZI_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,

    #[command(flatten)]
    pub serve: ServeArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Alamat yang didengarkan server, mis. 127.0.0.1:3000.
    #[arg(long, env = "ZI_BIND", default_value = "127.0.0.1:3000")]
    pub bind: String,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Menjalankan server web (perintah bawaan).
    Serve(ServeArgs),
    /// Mengekspor data.
    Export {
        #[command(subcommand)]
        what: ExportWhat,
    },
}

#[derive(Subcommand, Debug)]
pub enum ExportWhat {
    /// Katalog target satu tahun sebagai CSV ke keluaran standar.
    Targets {
        /// Tahun target, mis. 2021.
        #[arg(long)]
        year: i64,
    },
}

/// A failure the user can act on: printed as is, with a non-zero exit.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UserError(pub String);

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => serve(cli.serve, cli.data_dir).await,
        Some(Command::Serve(args)) => serve(args, cli.data_dir).await,
        Some(Command::Export {
            what: ExportWhat::Targets { year },
        }) => export_targets(cli.data_dir, year).await,
    }
}

async fn serve(args: ServeArgs, data_dir: PathBuf) -> anyhow::Result<()> {
    let config = Config::new(args.bind, data_dir);
    let running = crate::start(config.clone()).await?;
    tracing::info!(
        data = %config.database_path().display(),
        "ZI Tracker siap: buka http://{}/",
        running.addr
    );
    crate::shutdown_signal().await;
    tracing::info!("menghentikan server…");
    running.stop().await;
    Ok(())
}

async fn export_targets(data_dir: PathBuf, year: i64) -> anyhow::Result<()> {
    let pool = db::open(&data_dir).await?;
    let Some(cat) = catalogue::load(&pool, year).await? else {
        let years = catalogue::target_years(&pool).await?;
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
