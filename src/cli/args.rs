//! The command line's words: every command, its arguments and flags (clap).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

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
