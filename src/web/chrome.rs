//! What the base layout needs on every page: the unit's names, the user, the
//! navigation for their role, and the confirmation after a redirect.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::AppState;
use crate::auth::{CurrentUser, Role};
use crate::error::{AppError, AppResult};

/// A link in the main navigation.
#[derive(Clone, Debug)]
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    /// The page shown is this item's or below it (`aria-current="page"`).
    pub current: bool,
}

/// What the base layout needs on every page.
#[derive(Clone, Debug)]
pub struct Chrome {
    /// The work unit's own name, e.g. "Balai Penelitian Ternak".
    pub unit_name: String,
    /// The ministry above it.
    pub ministry_name: String,
    pub user: Option<CurrentUser>,
    /// The session's CSRF token, for the forms of the page (empty when signed out).
    pub csrf: String,
    pub nav: Vec<NavItem>,
    /// A confirmation after a redirect, from a fixed list (never user text).
    pub flash: Option<Flash>,
    /// The units the person may switch to; empty when they have only one.
    pub units: Vec<crate::tenant::UnitRef>,
    /// The code of the unit shown, for the switcher's selection.
    pub unit_code: String,
    /// More units than the header lists: it links to the chooser instead.
    pub many_units: bool,
    /// The path shown (without the unit prefix), for marking the current menu item.
    pub path: String,
}

/// The most units the header's switcher lists.
pub const SWITCHER_MAX: i64 = 20;

impl Chrome {
    /// Whether the page shown is `href` or below it.
    pub fn at(&self, href: &str) -> bool {
        at(&self.path, href)
    }

    /// Leadership, reviewers and admins read every step; staff only their own.
    pub fn reads_all_steps(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.role != Role::Staf)
    }

    /// The stylesheet's URL, with its content hash.
    pub fn stylesheet(&self) -> String {
        crate::web::assets::url("style.css")
    }

    pub fn favicon(&self) -> String {
        crate::web::assets::url("favicon.svg")
    }

    pub fn role_label(&self) -> &'static str {
        match &self.user {
            Some(u) if u.read_only || u.unit.is_none() => {
                u.instansi_role.map(|r| r.label()).unwrap_or("")
            }
            Some(u) if u.is_instansi_admin() => "Admin instansi",
            Some(u) => u.role.label(),
            None => "",
        }
    }
}

fn at(path: &str, href: &str) -> bool {
    path.strip_prefix(href)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

fn nav_for(user: Option<&CurrentUser>, path: &str) -> Vec<NavItem> {
    let Some(user) = user else { return Vec::new() };
    let mut nav = Vec::new();
    let mut add = |href, label| {
        nav.push(NavItem {
            href,
            label,
            current: at(path, href),
        })
    };
    if user.is(&[Role::Penilai, Role::Pimpinan]) {
        add("/reviu", "Menunggu reviu");
    }
    if user.is(&[Role::Admin, Role::Pimpinan, Role::Penilai]) {
        add("/dashboard", "Dasbor");
    }
    if user.role != Role::Penilai {
        add("/tugas", "Tugas Saya");
    }
    add("/katalog", "Katalog Target");
    add("/lke", "LKE");
    add("/laporan", "Laporan");
    if user.is(&[Role::Admin, Role::Pimpinan]) {
        add("/penugasan", "Penugasan");
        add("/audit", "Jejak Audit");
    }
    if user.is(&[Role::Admin]) && !user.read_only {
        add("/admin/pengguna", "Pengguna");
        add("/admin/target", "Kelola Target");
        add("/admin/periode", "Periode");
        add("/admin/predikat", "Predikat");
    }
    if user.is_instansi() || (user.role == Role::Penilai && user.unit_count > 1) {
        add("/instansi/rekap", "Rekap Unit");
    }
    if user.is_instansi_admin() {
        add("/admin/unit-kerja", "Unit Kerja");
        add("/admin/unit", "Pemegang Kewenangan");
        add("/admin/bobot", "Bobot");
        add("/admin/lke", "Master LKE");
        add("/admin/portalrb", "PortalRB");
        add("/admin/surel", "Surel Keluar");
    }
    nav
}

/// A confirmation shown after a redirect, named by `?pesan=KEY` (never user text).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flash {
    SignedOut,
    Unlocked,
    PasswordChanged,
    PenggunaDibuat,
    PenggunaDisimpan,
    SandiDiatur,
    ProgressSaved,
    ReviewSaved,
    EvidenceUploaded,
    LinkAdded,
    EvidenceRemoved,
    EvidenceRestored,
    PicAdded,
    PicRemoved,
    ResponsibleUnitSaved,
    PenugasanDisimpan,
    Dialihkan,
    TenggatDisimpan,
    BobotDisimpan,
    TargetDisimpan,
    TargetDisalin,
    TargetDiimpor,
    UnitOrganisasiDisimpan,
    UnitKerjaDisimpan,
    PortalrbDisimpan,
    LkeDiimpor,
    KelompokDisimpan,
    PredikatDisimpan,
    MasterDimuat,
    JawabanDisimpan,
    LkeDikirim,
    LkeDibuka,
    TpiFinal,
    TpiDibuka,
    DrafDibawa,
    LangkahSoalDisimpan,
    LangkahDibuat,
    DiajukanUlang,
    AntreanKosong,
    TidakAdaDialihkan,
    NotifikasiDibaca,
    SurelDiulang,
    PemberitahuanDisimpan,
    VerifikasiDikirim,
    SurelTerverifikasi,
    SandiBaru,
    NotifikasiDitandai,
    SurelDikembalikan,
}

impl Flash {
    pub const ALL: [Flash; 48] = [
        Flash::SignedOut,
        Flash::Unlocked,
        Flash::PasswordChanged,
        Flash::PenggunaDibuat,
        Flash::PenggunaDisimpan,
        Flash::SandiDiatur,
        Flash::ProgressSaved,
        Flash::ReviewSaved,
        Flash::EvidenceUploaded,
        Flash::LinkAdded,
        Flash::EvidenceRemoved,
        Flash::EvidenceRestored,
        Flash::PicAdded,
        Flash::PicRemoved,
        Flash::ResponsibleUnitSaved,
        Flash::PenugasanDisimpan,
        Flash::Dialihkan,
        Flash::TenggatDisimpan,
        Flash::BobotDisimpan,
        Flash::TargetDisimpan,
        Flash::TargetDisalin,
        Flash::TargetDiimpor,
        Flash::UnitOrganisasiDisimpan,
        Flash::UnitKerjaDisimpan,
        Flash::PortalrbDisimpan,
        Flash::LkeDiimpor,
        Flash::KelompokDisimpan,
        Flash::PredikatDisimpan,
        Flash::MasterDimuat,
        Flash::JawabanDisimpan,
        Flash::LkeDikirim,
        Flash::LkeDibuka,
        Flash::TpiFinal,
        Flash::TpiDibuka,
        Flash::DrafDibawa,
        Flash::LangkahSoalDisimpan,
        Flash::LangkahDibuat,
        Flash::DiajukanUlang,
        Flash::AntreanKosong,
        Flash::TidakAdaDialihkan,
        Flash::NotifikasiDibaca,
        Flash::SurelDiulang,
        Flash::PemberitahuanDisimpan,
        Flash::VerifikasiDikirim,
        Flash::SurelTerverifikasi,
        Flash::SandiBaru,
        Flash::NotifikasiDitandai,
        Flash::SurelDikembalikan,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Flash::SignedOut => "keluar",
            Flash::Unlocked => "kunci-dibuka",
            Flash::PasswordChanged => "sandi",
            Flash::PenggunaDibuat => "pengguna-dibuat",
            Flash::PenggunaDisimpan => "pengguna-disimpan",
            Flash::SandiDiatur => "sandi-diatur",
            Flash::ProgressSaved => "progres-disimpan",
            Flash::ReviewSaved => "reviu-disimpan",
            Flash::EvidenceUploaded => "bukti-diunggah",
            Flash::LinkAdded => "tautan-ditambahkan",
            Flash::EvidenceRemoved => "bukti-dihapus",
            Flash::EvidenceRestored => "bukti-dipulihkan",
            Flash::PicAdded => "pic-ditambah",
            Flash::PicRemoved => "pic-dilepas",
            Flash::ResponsibleUnitSaved => "unit-disimpan",
            Flash::PenugasanDisimpan => "penugasan-disimpan",
            Flash::Dialihkan => "dialihkan",
            Flash::TenggatDisimpan => "tenggat-disimpan",
            Flash::BobotDisimpan => "bobot-disimpan",
            Flash::TargetDisimpan => "target-disimpan",
            Flash::TargetDisalin => "target-disalin",
            Flash::TargetDiimpor => "target-diimpor",
            Flash::UnitOrganisasiDisimpan => "unit-organisasi-disimpan",
            Flash::UnitKerjaDisimpan => "unit-kerja-disimpan",
            Flash::PortalrbDisimpan => "portalrb-disimpan",
            Flash::LkeDiimpor => "lke-diimpor",
            Flash::KelompokDisimpan => "kelompok-disimpan",
            Flash::PredikatDisimpan => "predikat-disimpan",
            Flash::MasterDimuat => "master-dimuat",
            Flash::JawabanDisimpan => "jawaban-disimpan",
            Flash::LkeDikirim => "lke-dikirim",
            Flash::LkeDibuka => "lke-dibuka",
            Flash::TpiFinal => "tpi-final",
            Flash::TpiDibuka => "tpi-dibuka",
            Flash::DrafDibawa => "draf-dibawa",
            Flash::LangkahSoalDisimpan => "langkah-soal-disimpan",
            Flash::LangkahDibuat => "langkah-dibuat",
            Flash::DiajukanUlang => "diajukan-ulang",
            Flash::AntreanKosong => "antrean-kosong",
            Flash::TidakAdaDialihkan => "tidak-ada-dialihkan",
            Flash::NotifikasiDibaca => "notifikasi-dibaca",
            Flash::SurelDiulang => "surel-diulang",
            Flash::PemberitahuanDisimpan => "pemberitahuan-disimpan",
            Flash::VerifikasiDikirim => "verifikasi-dikirim",
            Flash::SurelTerverifikasi => "surel-terverifikasi",
            Flash::SandiBaru => "sandi-baru",
            Flash::NotifikasiDitandai => "notifikasi-ditandai",
            Flash::SurelDikembalikan => "surel-dikembalikan",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Flash::SignedOut => "Anda telah keluar.",
            Flash::Unlocked => {
                "Kunci masuk akun ini telah dibuka; percobaan gagal sebelumnya tidak dihitung lagi."
            }
            Flash::PasswordChanged => "Kata sandi Anda telah diganti.",
            Flash::PenggunaDibuat => "Akun pengguna telah dibuat.",
            Flash::PenggunaDisimpan => "Perubahan akun telah disimpan.",
            Flash::SandiDiatur => "Kata sandi pengguna telah diatur ulang; semua sesinya diakhiri.",
            Flash::ProgressSaved => "Progres telah disimpan.",
            Flash::ReviewSaved => "Hasil reviu telah disimpan.",
            Flash::EvidenceUploaded => "Bukti dukung telah diunggah.",
            Flash::LinkAdded => "Tautan bukti dukung telah ditambahkan.",
            Flash::EvidenceRemoved => {
                "Bukti dukung telah dihapus; masih dapat dipulihkan dari riwayat."
            }
            Flash::EvidenceRestored => "Bukti dukung telah dipulihkan.",
            Flash::PicAdded => "PIC telah ditugaskan.",
            Flash::PicRemoved => "PIC telah dilepas dari langkah ini.",
            Flash::ResponsibleUnitSaved => "Unit penanggung jawab telah disimpan.",
            Flash::PenugasanDisimpan => "Penugasan area telah disimpan.",
            Flash::Dialihkan => "Semua langkah telah dialihkan ke penerima.",
            Flash::TenggatDisimpan => "Tenggat pelaporan telah disimpan.",
            Flash::BobotDisimpan => "Bobot komponen telah disimpan.",
            Flash::TargetDisimpan => "Perubahan target telah disimpan.",
            Flash::TargetDisalin => "Target telah disalin ke tahun baru, tanpa progres.",
            Flash::TargetDiimpor => "Target telah diimpor.",
            Flash::UnitOrganisasiDisimpan => "Perubahan pemegang kewenangan telah disimpan.",
            Flash::UnitKerjaDisimpan => "Unit kerja telah disimpan.",
            Flash::PortalrbDisimpan => "Usulan PortalRB telah disimpan.",
            Flash::LkeDiimpor => "Jawaban LKE dari lembar kerja telah disimpan.",
            Flash::KelompokDisimpan => {
                "Rumus kelompok jumlah telah disimpan; nilai dihitung ulang."
            }
            Flash::PredikatDisimpan => "Predikat unit telah dicatat.",
            Flash::MasterDimuat => "Master LKE telah dimuat.",
            Flash::JawabanDisimpan => "Jawaban telah disimpan.",
            Flash::LkeDikirim => {
                "Penilaian mandiri telah dikirim ke TPI; jawaban unit kini terkunci."
            }
            Flash::LkeDibuka => {
                "Penilaian mandiri telah dibuka kembali; alasannya tercatat di jejak audit."
            }
            Flash::TpiFinal => "Penilaian TPI telah dinyatakan final; jawaban TPI kini terkunci.",
            Flash::TpiDibuka => {
                "Penilaian TPI telah dibuka kembali; alasannya tercatat di jejak audit."
            }
            Flash::DrafDibawa => {
                "Jawaban tahun lalu telah dibawa sebagai draf; konfirmasi setiap soal dengan menyimpannya."
            }
            Flash::LangkahSoalDisimpan => "Soal LKE yang dilayani langkah ini telah disimpan.",
            Flash::LangkahDibuat => "Catatan TPN telah dijadikan langkah aksi tahun berikutnya.",
            Flash::DiajukanUlang => "Langkah telah diajukan ulang untuk reviu.",
            Flash::AntreanKosong => "Tidak ada lagi langkah yang menunggu reviu.",
            Flash::TidakAdaDialihkan => {
                "0 langkah dialihkan: pengguna itu tidak memegang langkah pada tahun ini."
            }
            Flash::NotifikasiDibaca => "Semua notifikasi telah ditandai dibaca.",
            Flash::SurelDiulang => "Surel itu akan dicoba kirim lagi pada putaran berikutnya.",
            Flash::PemberitahuanDisimpan => "Pengaturan pemberitahuan telah disimpan.",
            Flash::VerifikasiDikirim => {
                "Tautan verifikasi telah dikirim ke alamat surel baru; alamat itu dipakai setelah tautannya dibuka."
            }
            Flash::SurelTerverifikasi => {
                "Alamat surel telah diverifikasi dan kini dipakai untuk pemberitahuan."
            }
            Flash::SandiBaru => {
                "Kata sandi baru telah disimpan. Silakan masuk dengan kata sandi itu."
            }
            Flash::NotifikasiDitandai => "Notifikasi itu telah ditandai dibaca.",
            Flash::SurelDikembalikan => {
                "Alamat surel lama telah dipulihkan dan semua sesi akun itu diakhiri. Bila perlu, atur ulang kata sandi lewat \"Lupa kata sandi\"."
            }
        }
    }

    pub fn parse(key: &str) -> Option<Flash> {
        Flash::ALL.into_iter().find(|f| f.key() == key)
    }
}

impl FromRequestParts<AppState> for Chrome {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Self> {
        let user = parts.extensions.get::<CurrentUser>().cloned();
        let ministry_name = header_names(state).await?;
        let unit_name = user
            .as_ref()
            .and_then(|u| u.unit.as_ref())
            .map(|u| u.name.clone())
            .unwrap_or_default();
        let unit_code = user
            .as_ref()
            .and_then(|u| u.unit.as_ref())
            .map(|u| u.code.clone())
            .unwrap_or_default();
        // a short list in the header; with many units, a link to the chooser page
        let units = match &user {
            Some(u) if u.unit_count > 1 && u.unit_count <= SWITCHER_MAX => {
                crate::tenant::openable(&state.db, u).await?
            }
            _ => Vec::new(),
        };
        let many_units = user.as_ref().is_some_and(|u| u.unit_count > SWITCHER_MAX);
        let flash = parts.uri.query().and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "pesan")
                .and_then(|(_, v)| Flash::parse(&v))
        });
        Ok(Chrome {
            unit_name,
            ministry_name,
            csrf: user
                .as_ref()
                .map(crate::auth::csrf::form_token)
                .unwrap_or_default(),
            nav: nav_for(user.as_ref(), parts.uri.path()),
            user,
            flash,
            units,
            unit_code,
            many_units,
            path: parts.uri.path().to_string(),
        })
    }
}

/// The instansi's name for the header, read once and kept until it changes.
pub async fn header_names(state: &AppState) -> sqlx::Result<String> {
    if let Some(name) = state.header_names.read().expect("names lock").clone() {
        return Ok(name);
    }
    let name = crate::tenant::instansi_name(&state.db).await?;
    *state.header_names.write().expect("names lock") = Some(name.clone());
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_menu_item_is_current_on_its_page_and_below_only() {
        assert!(at("/lke", "/lke"));
        assert!(at("/lke/2026/soal/1", "/lke"));
        assert!(!at("/lkex", "/lke"));
        assert!(!at("/admin/unit-kerja", "/admin/unit"));
        assert!(at("/admin/unit/3", "/admin/unit"));
        assert!(!at("/dashboard", "/"));
    }

    #[test]
    fn every_flash_key_names_one_message() {
        for f in Flash::ALL {
            assert_eq!(Flash::parse(f.key()), Some(f));
            assert!(f.message().ends_with('.'), "{f:?}");
        }
        assert_eq!(Flash::parse("<script>"), None);
    }
}
