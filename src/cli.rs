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
    /// Koneksi yang boleh dibuka bersamaan dari satu alamat klien (di belakang proxy:
    /// alamat proxy itu).
    #[arg(long, env = "ZI_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = 64)]
    pub max_connections_per_address: usize,
    /// Kecepatan terendah isi permintaan, dalam KB per detik, setelah batas waktu kepala
    /// permintaan lewat; kiriman yang lebih lambat diputus dengan 408.
    #[arg(long, env = "ZI_MIN_BODY_RATE_KB", default_value_t = 4)]
    pub min_body_rate_kb: u64,
    /// Awalan alamat API integrasi PortalRB.
    #[arg(long, env = "ZI_PORTALRB_PREFIX", default_value = "/api/portalrb")]
    pub portalrb_prefix: String,
    /// Permintaan per menit yang boleh dibuat satu token PortalRB (lebih: 429).
    #[arg(long, env = "ZI_PORTALRB_RATE", default_value_t = 120)]
    pub portalrb_rate_per_minute: u32,
    /// Server SMTP untuk surel pemberitahuan: smtp://host:port (STARTTLS dengan
    /// ?tls=required) atau smtps://host:port. Nama dan kata sandi SMTP dibaca dari
    /// ZI_SMTP_USER dan ZI_SMTP_PASSWORD. Tanpa ini, pemberitahuan hanya di aplikasi.
    #[arg(long, env = "ZI_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// Pengirim surel, mis. "ZI Tracker <zi@instansi.go.id>".
    #[arg(long, env = "ZI_MAIL_FROM")]
    pub mail_from: Option<String>,
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
    /// Integrasi PortalRB: usulan unit, jendela usulan, dan token API.
    Portalrb {
        #[command(subcommand)]
        action: PortalrbAction,
    },
    /// Mengelola unit kerja instansi.
    Unit {
        #[command(subcommand)]
        action: UnitAction,
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
        /// Jumlah unit kerja (unit pertama ditambah u002, u003, …).
        #[arg(long, default_value_t = 1)]
        units: u32,
        /// Jumlah tahun target (2021 dan salinannya di tahun-tahun berikutnya).
        #[arg(long, default_value_t = 1)]
        years: u32,
        /// Jumlah akun staf per unit.
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
        /// Peran: admin-instansi, pimpinan-instansi, admin, pimpinan, staf, atau penilai.
        #[arg(long)]
        role: String,
        /// Nama lengkap yang ditampilkan (bawaan: nama pengguna).
        #[arg(long)]
        name: Option<String>,
        /// Kode unit kerja tempat peran berlaku (opsional selama hanya ada satu unit).
        #[arg(long, conflicts_with = "units")]
        unit: Option<String>,
        /// Beberapa unit kerja sekaligus, dipisah koma (mis. penilai untuk beberapa unit).
        #[arg(long, value_delimiter = ',')]
        units: Vec<String>,
        /// Membaca kata sandi dari baris pertama masukan standar.
        #[arg(long)]
        password_stdin: bool,
        /// Alamat surel akun (dipercaya, langsung dipakai).
        #[arg(long)]
        email: Option<String>,
    },
    /// Mengatur alamat surel akun (dipercaya, langsung dipakai); kosong menghapusnya.
    SetEmail {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
    },
    /// Membuat banyak akun dari CSV (nama;username;peran;unit;email): semua atau tidak
    /// sama sekali; kata sandi awal tiap akun dicetak sekali dan wajib diganti.
    Import {
        /// Berkas CSV.
        file: PathBuf,
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
pub enum PortalrbAction {
    /// Mengusulkan unit untuk satu tahun (WBBM hanya untuk unit berpredikat WBK).
    Propose {
        #[arg(long)]
        year: i64,
        #[arg(long)]
        unit: String,
        /// WBK, WBK-AFIRMASI, atau WBBM.
        #[arg(long)]
        kategori: String,
    },
    /// Mengatur jendela usulan satu tahun (tanggal YYYY-MM-DD).
    Window {
        #[arg(long)]
        year: i64,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        /// Sampai kapan tautan bukti untuk evaluator berlaku (bawaan: 31 Desember tahun itu).
        #[arg(long)]
        links_until: Option<String>,
    },
    /// Mencabut semua tautan bukti untuk evaluator sekaligus (kunci tanda tangan diganti).
    RotateLinks,
    /// Token Bearer untuk PortalRB.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenAction {
    /// Membuat token; token dicetak sekali, sendirian di baris terakhir.
    Create {
        #[arg(long)]
        name: String,
        /// Masa berlaku dalam hari.
        #[arg(long, default_value_t = 365)]
        days: i64,
    },
    /// Menampilkan token (tanpa rahasianya) dan pemakaian terakhirnya.
    List,
    /// Mencabut token.
    Revoke {
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum UnitAction {
    /// Menambah unit kerja; kodenya tidak dapat diubah kemudian.
    Add {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        /// Kode unit induk (mis. eselon I).
        #[arg(long)]
        parent: Option<String>,
    },
    /// Menampilkan unit kerja: satu per baris, kode, tab, nama.
    List,
    /// Mengganti nama unit kerja (kodenya tetap).
    Rename {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
    },
    /// Menonaktifkan unit kerja; datanya tetap tersimpan.
    Retire {
        #[arg(long)]
        code: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum TargetsAction {
    /// Menyalin katalog satu tahun ke tahun baru (tanpa progres), di unit yang sama atau
    /// dari satu unit ke unit-unit lain.
    Copy {
        #[arg(long)]
        from: i64,
        #[arg(long)]
        to: i64,
        /// Unit sumber (opsional selama hanya ada satu unit).
        #[arg(long, visible_alias = "unit")]
        from_unit: Option<String>,
        /// Unit tujuan, dipisah koma (bawaan: unit sumber).
        #[arg(long, value_delimiter = ',')]
        to_units: Vec<String>,
        /// Menyalin juga penugasan PIC (pengguna aktif; hanya di dalam satu unit).
        #[arg(long)]
        with_assignments: bool,
    },
    /// Mengimpor katalog satu tahun dari CSV berformat ekspor.
    Import {
        #[arg(long)]
        year: i64,
        /// Kode unit (opsional selama hanya ada satu unit).
        #[arg(long)]
        unit: Option<String>,
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
        /// Kode unit (opsional selama hanya ada satu unit).
        #[arg(long)]
        unit: Option<String>,
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
        /// Kode unit (opsional selama hanya ada satu unit).
        #[arg(long)]
        unit: Option<String>,
    },
}

use crate::error::UserError;

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => serve(cli.serve, cli.data_dir).await,
        Some(Command::Serve(args)) => serve(args, cli.data_dir).await,
        Some(Command::Export {
            what: ExportWhat::Targets { year, unit },
        }) => export_targets(cli.data_dir, year, unit.as_deref()).await,
        Some(Command::Unit { action }) => unit_command(cli.data_dir, action).await,
        Some(Command::Portalrb { action }) => portalrb_command(cli.data_dir, action).await,
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

fn save_error(e: users::SaveError) -> anyhow::Error {
    match e {
        users::SaveError::Invalid(errors) => UserError(errors.to_string()).into(),
        users::SaveError::Conflict(m) => UserError(m).into(),
        e @ users::SaveError::NotTheirs => UserError(e.to_string()).into(),
        users::SaveError::HoldsSteps(n) => UserError(format!(
            "akun ini masih PIC {n} langkah aksi; alihkan dulu langkahnya (halaman Penugasan)"
        ))
        .into(),
        users::SaveError::Db(e) => e.into(),
        users::SaveError::Other(e) => e,
    }
}

/// An account, with its role in `unit` (or its instansi role).
pub(crate) async fn find_user(
    pool: &sqlx::SqlitePool,
    unit: i64,
    username: &str,
) -> anyhow::Result<users::User> {
    users::by_username(pool, unit, username)
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
            units,
            password_stdin,
            email,
        } => {
            let password = read_password(password_stdin)?;
            let is_unit_role = matches!(
                crate::tenant::AnyRole::parse(&role),
                Some(crate::tenant::AnyRole::Unit(_))
            );
            let codes: Vec<Option<String>> = match (unit, units.is_empty()) {
                (Some(u), _) => vec![Some(u)],
                (None, false) => units.into_iter().map(Some).collect(),
                (None, true) if is_unit_role => vec![None],
                (None, true) => Vec::new(),
            };
            let mut unit_ids = Vec::new();
            for code in codes {
                unit_ids.push(
                    crate::tenant::resolve_code(&pool, code.as_deref())
                        .await?
                        .id,
                );
            }
            let display_name = name.unwrap_or_else(|| username.clone());
            users::create(
                &pool,
                &actor,
                users::NewUser {
                    username: username.clone(),
                    display_name,
                    role,
                    units: unit_ids,
                    password: password.clone(),
                    password_confirm: password,
                    must_change_password: false,
                    email,
                },
                true,
            )
            .await
            .map_err(save_error)?;
            println!("Akun {} dibuat.", username.trim().to_lowercase());
            Ok(())
        }
        UserAction::Import { file } => {
            let bytes = std::fs::read(&file).map_err(|e| {
                UserError(format!("berkas {} tidak dapat dibaca: {e}", file.display()))
            })?;
            let refused = |errors: Vec<String>| -> anyhow::Error {
                UserError(format!(
                    "berkas ditolak, tidak ada akun yang dibuat:\n  {}",
                    errors.join("\n  ")
                ))
                .into()
            };
            let rows = users::import::parse(&bytes).map_err(refused)?;
            let created = users::import::import(&pool, &actor, &rows)
                .await?
                .map_err(refused)?;
            // the passwords once, on standard output only
            println!(
                "# {} akun dibuat; kata sandi awal wajib diganti saat pertama masuk",
                created.len()
            );
            for (u, p) in created {
                println!("{u}\t{p}");
            }
            Ok(())
        }
        UserAction::List => {
            let all = users::list(&pool, 0, true, i64::MAX, 0).await?;
            println!(
                "{:<24} {:<18} {:<8} {:<30} NAMA",
                "NAMA PENGGUNA", "PERAN INSTANSI", "STATUS", "PERAN DI UNIT"
            );
            for u in all {
                println!(
                    "{:<24} {:<18} {:<8} {:<30} {}",
                    u.username,
                    if u.role.is_empty() { "-" } else { &u.role },
                    if u.active { "aktif" } else { "nonaktif" },
                    u.unit_name.as_deref().unwrap_or("-"),
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
            let user = find_user(&pool, 0, &username).await?;
            users::set_password(
                &pool,
                &actor,
                users::Scope::Whole,
                user.id,
                &password,
                must_change,
            )
            .await
            .map_err(save_error)?;
            println!(
                "Kata sandi {} diganti; semua sesinya diakhiri.",
                user.username
            );
            Ok(())
        }
        UserAction::SetEmail { username, email } => {
            let user = find_user(&pool, 0, &username).await?;
            let set = users::set_email(&pool, &actor, user.id, &email)
                .await
                .map_err(save_error)?;
            match set {
                Some(e) => println!("Alamat surel {} diatur: {e}", user.username),
                None => println!("Alamat surel {} dihapus.", user.username),
            }
            Ok(())
        }
        UserAction::Deactivate { username } => {
            let user = find_user(&pool, 0, &username).await?;
            users::deactivate(&pool, &actor, user.id)
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
    config.max_connections_per_address = args.max_connections_per_address.max(1);
    config.min_body_rate = args.min_body_rate_kb.max(1) * 1024;
    let prefix = args
        .portalrb_prefix
        .trim()
        .trim_end_matches('/')
        .to_string();
    if !prefix.starts_with('/') || prefix.len() < 2 || prefix.contains(['{', '}', '?', '#']) {
        return Err(UserError(format!(
            "awalan API PortalRB \"{prefix}\" tidak sah; mis. /api/portalrb"
        ))
        .into());
    }
    config.portalrb_prefix = prefix;
    config.portalrb_rate_per_minute = args.portalrb_rate_per_minute.max(1);
    if let Some(raw) = args.smtp_url {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        config.smtp = Some(crate::config::Smtp {
            url: crate::config::Smtp::parse_url(&raw)?,
            user: env("ZI_SMTP_USER"),
            password: env("ZI_SMTP_PASSWORD"),
        });
    }
    config.mail_from = match args.mail_from {
        Some(from) => from,
        None => format!(
            "ZI Tracker <zi-tracker@{}>",
            config
                .public_url
                .as_ref()
                .and_then(|u| u.host_str())
                .unwrap_or("localhost")
        ),
    };
    if config.smtp.is_some() && config.public_url.is_none() {
        tracing::warn!("--smtp-url tanpa --public-url: tautan di surel memakai alamat server ini");
    }
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

async fn export_targets(data_dir: PathBuf, year: i64, unit: Option<&str>) -> anyhow::Result<()> {
    let pool = db::open(&data_dir).await?;
    let unit = crate::tenant::resolve_code(&pool, unit).await?;
    let Some(cat) = catalogue::load(&pool, unit.id, year).await? else {
        let years = catalogue::target_years(&pool, unit.id).await?;
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

async fn unit_command(data_dir: PathBuf, action: UnitAction) -> anyhow::Result<()> {
    let pool = db::open(&data_dir).await?;
    let actor = Actor::cli();
    let result: anyhow::Result<()> = match action {
        UnitAction::Add { code, name, parent } => {
            match crate::tenant::add(&pool, &actor, &code, &name, parent.as_deref()).await {
                Ok(_) => {
                    println!("Unit kerja {} ditambahkan.", code.trim().to_lowercase());
                    Ok(())
                }
                Err(e) => Err(e.into()),
            }
        }
        UnitAction::List => {
            let mut out = std::io::stdout().lock();
            for u in crate::tenant::list(&pool).await? {
                writeln!(out, "{}\t{}", u.code, u.name)?;
            }
            Ok(())
        }
        UnitAction::Rename { code, name } => crate::tenant::rename(&pool, &actor, &code, &name)
            .await
            .map(|()| println!("Unit kerja {code} sekarang bernama {}.", name.trim()))
            .map_err(Into::into),
        UnitAction::Retire { code } => crate::tenant::retire(&pool, &actor, &code)
            .await
            .map(|()| println!("Unit kerja {code} dinonaktifkan; datanya tetap tersimpan."))
            .map_err(Into::into),
    };
    pool.close().await;
    result
}

async fn portalrb_command(data_dir: PathBuf, action: PortalrbAction) -> anyhow::Result<()> {
    let pool = db::open(&data_dir).await?;
    let actor = Actor::cli();
    let result: anyhow::Result<()> = match action {
        PortalrbAction::Propose {
            year,
            unit,
            kategori,
        } => crate::portalrb::propose(&pool, &actor, year, &unit, &kategori)
            .await
            .map(|()| {
                println!(
                    "Unit {unit} diusulkan {} untuk {year}.",
                    kategori.to_uppercase()
                )
            }),
        PortalrbAction::Window {
            year,
            from,
            to,
            links_until,
        } => {
            let today = crate::clock::Clock::default().today();
            crate::portalrb::set_window(
                &pool,
                &actor,
                year,
                (&from, &to),
                links_until.as_deref(),
                today,
            )
            .await
                .map(|()| println!("Jendela usulan {year}: {from} sampai {to}."))
        }
        PortalrbAction::RotateLinks => crate::portalrb::evidence::rotate(&pool, &data_dir, &actor)
            .await
            .map(|()| println!("Semua tautan bukti untuk evaluator dicabut; tautan baru dibuat saat PortalRB mengambil jawaban.")),
        PortalrbAction::Token {
            action: TokenAction::Create { name, days },
        } => match crate::portalrb::create_token(&pool, &actor, &name, days).await {
            Ok(token) => {
                println!(
                    "Token \"{}\" dibuat, berlaku {days} hari; simpan sekarang, token tidak dapat ditampilkan lagi:",
                    name.trim()
                );
                println!("{token}");
                Ok(())
            }
            Err(e) => Err(e),
        },
        PortalrbAction::Token {
            action: TokenAction::List,
        } => {
            for (name, created, expires, revoked, used, ip) in
                crate::portalrb::tokens(&pool).await?
            {
                println!(
                    "{name}\tdibuat {created}\tberlaku sampai {expires}\t{}\tterakhir dipakai {}",
                    revoked.map_or("aktif".to_string(), |r| format!("dicabut {r}")),
                    used.map_or("-".to_string(), |u| format!(
                        "{u} dari {}",
                        ip.unwrap_or_default()
                    ))
                );
            }
            Ok(())
        }
        PortalrbAction::Token {
            action: TokenAction::Revoke { name },
        } => crate::portalrb::revoke_token(&pool, &actor, &name)
            .await
            .map(|()| println!("Token \"{}\" dicabut.", name.trim())),
    };
    pool.close().await;
    result
}
