//! The command line: `serve` (the default), `export`, and friends.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::audit::Actor;
use crate::{Config, catalogue, db, users};

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
    /// Alamat publik tempat pengguna membuka aplikasi, mis. https://zi.contoh.go.id;
    /// bila https, cookie sesi diberi tanda Secure.
    #[arg(long, env = "ZI_PUBLIC_URL")]
    pub public_url: Option<url::Url>,
    /// Sesi berakhir setelah sekian menit tanpa aktivitas.
    #[arg(long, env = "ZI_SESSION_IDLE_MINUTES", default_value_t = 480)]
    pub session_idle_minutes: u64,
    /// Sesi berakhir paling lambat sekian jam setelah masuk.
    #[arg(long, env = "ZI_SESSION_MAX_HOURS", default_value_t = 168)]
    pub session_max_hours: u64,
    /// Ukuran maksimal satu berkas bukti dukung, dalam MB.
    #[arg(long, env = "ZI_MAX_UPLOAD_MB", default_value_t = 20)]
    pub max_upload_mb: u64,
    /// Di belakang reverse proxy: alamat klien diambil dari X-Forwarded-For.
    #[arg(long, env = "ZI_TRUST_PROXY")]
    pub trust_proxy: bool,
    /// Pemeriksaan kata sandi yang boleh antre; lebih dari itu dijawab 503.
    #[arg(long, env = "ZI_HASH_QUEUE", default_value_t = 16)]
    pub hash_queue: usize,
    /// Detik untuk menerima kepala permintaan (juga saat koneksi menganggur).
    #[arg(long, env = "ZI_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    pub header_timeout_secs: u64,
    /// Koneksi yang boleh terbuka bersamaan (di bawah batas berkas terbuka proses).
    #[arg(long, env = "ZI_MAX_CONNECTIONS", default_value_t = 512)]
    pub max_connections: usize,
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
    /// Mengelola akun pengguna.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Membuat cadangan folder data (aman saat server berjalan).
    Backup {
        /// Folder baru untuk cadangan.
        #[arg(long)]
        to: PathBuf,
    },
    /// Memulihkan cadangan ke folder data setelah memeriksa manifest-nya.
    Restore {
        /// Folder cadangan.
        #[arg(long)]
        from: PathBuf,
        /// Timpa folder data yang sudah berisi data.
        #[arg(long)]
        force: bool,
    },
    /// Mengelola tahun target.
    Targets {
        #[command(subcommand)]
        action: TargetsAction,
    },
    /// LKE PermenPAN-RB 90/2021: master per tahun dan nilainya.
    Lke {
        #[command(subcommand)]
        action: LkeAction,
    },
    /// Mengisi folder data baru dengan data sintetis untuk mencoba dan mengukur.
    DemoData {
        /// Jumlah tahun target (2021 dan salinannya di tahun-tahun berikutnya).
        #[arg(long, default_value_t = 1)]
        years: u32,
        /// Jumlah akun staf.
        #[arg(long, default_value_t = 8)]
        staff: u32,
        /// Benih acak: benih yang sama menghasilkan data yang sama.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Membaca kata sandi akun demo dari masukan standar (bawaan: acak, dicetak sekali).
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserAction {
    /// Membuat akun baru; kata sandi dibaca dari masukan standar.
    Add {
        /// Nama pengguna (huruf kecil, angka, titik, garis bawah, tanda hubung).
        #[arg(long)]
        username: String,
        /// Peran: admin, pimpinan, staf, atau penilai.
        #[arg(long)]
        role: String,
        /// Nama lengkap yang ditampilkan (bawaan: nama pengguna).
        #[arg(long)]
        name: Option<String>,
        /// Kode unit, mis. balitnak.
        #[arg(long)]
        unit: Option<String>,
        /// Membaca kata sandi dari baris pertama masukan standar.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Menampilkan semua akun.
    List,
    /// Mengganti kata sandi akun; kata sandi dibaca dari masukan standar.
    SetPassword {
        #[arg(long)]
        username: String,
        #[arg(long)]
        password_stdin: bool,
        /// Mewajibkan pengguna mengganti kata sandi saat masuk berikutnya.
        #[arg(long)]
        must_change: bool,
    },
    /// Menonaktifkan akun (admin aktif terakhir tidak dapat dinonaktifkan).
    Deactivate {
        #[arg(long)]
        username: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum TargetsAction {
    /// Menyalin katalog satu tahun ke tahun baru (tanpa progres).
    Copy {
        #[arg(long)]
        from: i64,
        #[arg(long)]
        to: i64,
        /// Menyalin juga penugasan PIC (pengguna aktif).
        #[arg(long)]
        with_assignments: bool,
    },
    /// Mengimpor katalog satu tahun dari CSV berformat ekspor.
    Import {
        #[arg(long)]
        year: i64,
        /// Berkas CSV.
        file: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum LkeAction {
    /// Memuat master LKE satu tahun dari berkas JSON berformat PortalRB (diperiksa utuh dulu).
    ImportMaster {
        #[arg(long)]
        year: i64,
        /// Berkas JSON master.
        file: PathBuf,
    },
    /// Menulis master LKE satu tahun ke keluaran standar dalam format PortalRB.
    ExportMaster {
        #[arg(long)]
        year: i64,
    },
    /// Memuat jawaban LKE dari lembar kerja resmi (XLSX, lembar "Jawaban"): kolom K, L, M
    /// sebagai jawaban unit; dengan --tpi juga kolom N dan Q sebagai jawaban TPI.
    ImportAnswers {
        #[arg(long)]
        year: i64,
        /// Berkas XLSX.
        file: PathBuf,
        /// Akun penilai yang tercatat sebagai pemberi jawaban TPI (kolom N dan Q).
        #[arg(long, value_name = "USERNAME")]
        tpi: Option<String>,
        /// Akun yang tercatat sebagai pemberi jawaban unit (bawaan: admin aktif pertama).
        #[arg(long, value_name = "USERNAME")]
        by: Option<String>,
    },
    /// Menghitung nilai LKE (mandiri dan TPI) beserta kesiapan WBK/WBBM.
    Score {
        #[arg(long)]
        year: i64,
        /// Kode unit (opsional selama hanya ada satu unit).
        #[arg(long)]
        unit: Option<String>,
        /// Keluaran JSON.
        #[arg(long)]
        json: bool,
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

use crate::error::UserError;

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => serve(cli.serve, cli.data_dir).await,
        Some(Command::Serve(args)) => serve(args, cli.data_dir).await,
        Some(Command::Export {
            what: ExportWhat::Targets { year },
        }) => export_targets(cli.data_dir, year).await,
        Some(Command::User { action }) => user_command(cli.data_dir, action).await,
        Some(Command::Targets { action }) => targets_command(cli.data_dir, action).await,
        Some(Command::Lke { action }) => crate::lke::cli::run(cli.data_dir, action).await,
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
                    years,
                    staff,
                    seed,
                    password: password.clone(),
                },
            )
            .await?;
            println!(
                "Data demo siap: {} tahun ({}–{}), {} akun, {} versi progres, {} berkas bukti.",
                s.years.len(),
                s.years.first().copied().unwrap_or_default(),
                s.years.last().copied().unwrap_or_default(),
                s.users,
                s.versions,
                s.files
            );
            println!(
                "Akun: pimpinan, penilai, admin-demo, staf01…; semuanya memakai kata sandi yang sama."
            );
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

fn save_error(e: users::SaveError) -> anyhow::Error {
    match e {
        users::SaveError::Invalid(errors) => UserError(errors.to_string()).into(),
        users::SaveError::Conflict(m) => UserError(m).into(),
        users::SaveError::HoldsSteps(n) => UserError(format!(
            "akun ini masih PIC {n} langkah aksi; alihkan dulu langkahnya (halaman Penugasan)"
        ))
        .into(),
        users::SaveError::Db(e) => e.into(),
        users::SaveError::Other(e) => e,
    }
}

pub(crate) async fn find_user(
    pool: &sqlx::SqlitePool,
    username: &str,
) -> anyhow::Result<users::User> {
    users::by_username(pool, username)
        .await?
        .ok_or_else(|| UserError(format!("pengguna \"{username}\" tidak ada")).into())
}

async fn user_command(data_dir: PathBuf, action: UserAction) -> anyhow::Result<()> {
    let pool = db::open(&data_dir).await?;
    let actor = Actor::cli();
    let result = match action {
        UserAction::Add {
            username,
            role,
            name,
            unit,
            password_stdin,
        } => {
            let password = read_password(password_stdin)?;
            let unit_id = match unit {
                Some(code) => Some(
                    sqlx::query_scalar::<_, i64>("SELECT id FROM units WHERE code = ?")
                        .bind(&code)
                        .fetch_optional(&pool)
                        .await?
                        .ok_or_else(|| {
                            UserError(format!("unit dengan kode \"{code}\" tidak ada"))
                        })?,
                ),
                None => None,
            };
            let display_name = name.unwrap_or_else(|| username.clone());
            users::create(
                &pool,
                &actor,
                users::NewUser {
                    username: username.clone(),
                    display_name,
                    role,
                    unit_id,
                    password: password.clone(),
                    password_confirm: password,
                    must_change_password: false,
                },
            )
            .await
            .map_err(save_error)?;
            println!("Akun {} dibuat.", username.trim().to_lowercase());
            Ok(())
        }
        UserAction::List => {
            let all = users::list(&pool, i64::MAX, 0).await?;
            println!(
                "{:<24} {:<14} {:<8} NAMA",
                "NAMA PENGGUNA", "PERAN", "STATUS"
            );
            for u in all {
                println!(
                    "{:<24} {:<14} {:<8} {}",
                    u.username,
                    u.role,
                    if u.active { "aktif" } else { "nonaktif" },
                    u.display_name
                );
            }
            Ok(())
        }
        UserAction::SetPassword {
            username,
            password_stdin,
            must_change,
        } => {
            let password = read_password(password_stdin)?;
            let user = find_user(&pool, &username).await?;
            users::set_password(&pool, &actor, user.id, &password, must_change)
                .await
                .map_err(save_error)?;
            println!(
                "Kata sandi {} diganti; semua sesinya diakhiri.",
                user.username
            );
            Ok(())
        }
        UserAction::Deactivate { username } => {
            let user = find_user(&pool, &username).await?;
            users::update(
                &pool,
                &actor,
                user.id,
                users::Changes {
                    display_name: user.display_name.clone(),
                    role: user.role.clone(),
                    unit_id: user.unit_id,
                    active: false,
                    handover_to: None,
                },
            )
            .await
            .map_err(save_error)?;
            println!("Akun {} dinonaktifkan.", user.username);
            Ok(())
        }
    };
    pool.close().await;
    result
}

async fn serve(args: ServeArgs, data_dir: PathBuf) -> anyhow::Result<()> {
    let mut config = Config::new(args.bind, data_dir);
    config.public_url = args.public_url;
    config.session_idle = std::time::Duration::from_secs(args.session_idle_minutes.max(1) * 60);
    config.session_absolute = std::time::Duration::from_secs(args.session_max_hours.max(1) * 3600);
    config.max_upload_bytes = args.max_upload_mb.max(1) * 1024 * 1024;
    config.trust_proxy = args.trust_proxy;
    config.hash_queue = args.hash_queue.max(1);
    config.header_timeout = std::time::Duration::from_secs(args.header_timeout_secs.max(1));
    config.max_connections = args.max_connections.max(1);
    let running = crate::start(config.clone()).await?;
    if let Some(pw) = &running.initial_admin_password {
        // Shown once on the console, never written to the logs.
        println!();
        println!("Belum ada admin aktif: akun admin awal telah dibuat.");
        println!("  Nama pengguna : admin");
        println!("  Kata sandi    : {pw}");
        println!("Kata sandi ini hanya ditampilkan sekali dan wajib diganti saat pertama masuk.");
        println!();
    }
    let open = config
        .public_url
        .as_ref()
        .map(|u| u.to_string())
        .unwrap_or_else(|| format!("http://{}/", running.addr));
    tracing::info!(
        data = %config.database_path().display(),
        listen = %running.addr,
        "ZI Tracker siap: buka {open}"
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

async fn targets_command(data_dir: PathBuf, action: TargetsAction) -> anyhow::Result<()> {
    let pool = db::open(&data_dir).await?;
    let result = match action {
        TargetsAction::Copy {
            from,
            to,
            with_assignments,
        } => crate::catalogue::copy(&pool, &Actor::cli(), from, to, with_assignments)
            .await
            .map(|n| println!("Target {from} disalin ke {to}: {n} langkah aksi, tanpa progres."))
            .map_err(year_error),
        TargetsAction::Import { year, file } => match std::fs::read(&file) {
            Ok(bytes) => crate::catalogue::import(&pool, &Actor::cli(), year, &bytes)
                .await
                .map(|n| println!("Target tahun {year} diimpor: {n} langkah aksi."))
                .map_err(year_error),
            Err(e) => {
                Err(UserError(format!("berkas {} tidak dapat dibaca: {e}", file.display())).into())
            }
        },
    };
    pool.close().await;
    result
}
