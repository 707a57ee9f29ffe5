//! Shared pieces of every page: the layout's context, rendering, forms, paging.

use askama::Template;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::auth::{CurrentUser, Role};
use crate::error::{AppError, AppResult, error_page};

/// A link in the main navigation.
#[derive(Clone, Debug)]
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
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
    pub flash: Option<&'static str>,
}

impl Chrome {
    /// Leadership, reviewers and admins read every step; staff only their own.
    pub fn reads_all_steps(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.role != Role::Staf)
    }

    pub fn role_label(&self) -> &'static str {
        self.user.as_ref().map(|u| u.role.label()).unwrap_or("")
    }
}

fn nav_for(user: Option<&CurrentUser>) -> Vec<NavItem> {
    let Some(user) = user else { return Vec::new() };
    let mut nav = Vec::new();
    let mut add = |href, label| nav.push(NavItem { href, label });
    if user.is(&[Role::Admin, Role::Pimpinan, Role::Penilai]) {
        add("/dashboard", "Dasbor");
    }
    if user.role != Role::Penilai {
        add("/tugas", "Tugas Saya");
    }
    add("/katalog", "Katalog Target");
    add("/laporan", "Laporan");
    if user.is(&[Role::Admin, Role::Pimpinan]) {
        add("/penugasan", "Penugasan");
        add("/audit", "Jejak Audit");
    }
    if user.is(&[Role::Admin]) {
        add("/admin/pengguna", "Pengguna");
        add("/admin/target", "Kelola Target");
        add("/admin/unit", "Unit");
        add("/admin/periode", "Periode");
        add("/admin/bobot", "Bobot");
    }
    nav
}

/// Confirmations shown after a redirect, chosen by a key in the query string.
fn flash_message(key: &str) -> Option<&'static str> {
    Some(match key {
        "keluar" => "Anda telah keluar.",
        "sandi" => "Kata sandi Anda telah diganti.",
        "pengguna-dibuat" => "Akun pengguna telah dibuat.",
        "pengguna-disimpan" => "Perubahan akun telah disimpan.",
        "sandi-diatur" => "Kata sandi pengguna telah diatur ulang; semua sesinya diakhiri.",
        "progres-disimpan" => "Progres telah disimpan.",
        "reviu-disimpan" => "Hasil reviu telah disimpan.",
        "bukti-diunggah" => "Bukti dukung telah diunggah.",
        "tautan-ditambahkan" => "Tautan bukti dukung telah ditambahkan.",
        "bukti-dihapus" => "Bukti dukung telah dihapus; masih dapat dipulihkan dari riwayat.",
        "bukti-dipulihkan" => "Bukti dukung telah dipulihkan.",
        "pic-ditambah" => "PIC telah ditugaskan.",
        "pic-dilepas" => "PIC telah dilepas dari langkah ini.",
        "unit-disimpan" => "Unit penanggung jawab telah disimpan.",
        "penugasan-disimpan" => "Penugasan area telah disimpan.",
        "dialihkan" => "Semua langkah telah dialihkan ke penerima.",
        "tenggat-disimpan" => "Tenggat pelaporan telah disimpan.",
        "bobot-disimpan" => "Bobot komponen telah disimpan.",
        "target-disimpan" => "Perubahan target telah disimpan.",
        "target-disalin" => "Target telah disalin ke tahun baru, tanpa progres.",
        "target-diimpor" => "Target telah diimpor.",
        "unit-organisasi-disimpan" => "Perubahan unit telah disimpan.",
        _ => return None,
    })
}

impl FromRequestParts<AppState> for Chrome {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Self> {
        let (unit_name, ministry_name) = header_names(state).await?;
        let user = parts.extensions.get::<CurrentUser>().cloned();
        let flash = parts.uri.query().and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "pesan")
                .and_then(|(_, v)| flash_message(&v))
        });
        Ok(Chrome {
            unit_name,
            ministry_name,
            csrf: user
                .as_ref()
                .map(|u| u.csrf_token.clone())
                .unwrap_or_default(),
            nav: nav_for(user.as_ref()),
            user,
            flash,
        })
    }
}

/// The unit's and the ministry's names for the header, read once and kept until the
/// units change (the units pages clear them).
async fn header_names(state: &AppState) -> sqlx::Result<(String, String)> {
    if let Some(names) = state.header_names.read().expect("names lock").clone() {
        return Ok(names);
    }
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT kind, name FROM units WHERE kind IN ('instansi', 'pusat') AND retired_at IS NULL
         ORDER BY id",
    )
    .fetch_all(&state.db)
    .await?;
    let find = |kind: &str| {
        rows.iter()
            .find(|(k, _)| k == kind)
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    };
    let names = (find("instansi"), find("pusat"));
    *state.header_names.write().expect("names lock") = Some(names.clone());
    Ok(names)
}

pub fn render<T: Template>(page: &T) -> AppResult<Response> {
    Ok(Html(page.render()?).into_response())
}

pub fn render_status<T: Template>(status: StatusCode, page: &T) -> AppResult<Response> {
    Ok((status, Html(page.render()?)).into_response())
}

/// Ids in paths: anything that is not a positive number names nothing, so 404.
pub fn parse_id(raw: &str) -> AppResult<i64> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(AppError::NotFound)
}

/// `path?k=v&…` with the values percent-encoded.
pub fn query_string(path: &str, params: &[(&str, String)]) -> String {
    if params.is_empty() {
        return path.to_string();
    }
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        s.append_pair(k, v);
    }
    format!("{path}?{}", s.finish())
}

/// A URL-encoded form body. A body that is not a form, or does not fit the form's
/// fields, gets an Indonesian 400 page instead of the framework's English text.
pub struct FormData<T>(pub T);

impl<T, S> FromRequest<S> for FormData<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(v)) => Ok(FormData(v)),
            Err(e) => {
                tracing::info!(error = %e, "malformed form body");
                Err(error_page(
                    StatusCode::BAD_REQUEST,
                    "Isian formulir tidak dapat dibaca",
                    "Data yang dikirim tidak sesuai dengan formulir. Muat ulang halaman formulir, lalu kirim kembali.",
                ))
            }
        }
    }
}

/// Query-string parameters; a query that does not fit (e.g. a repeated field) gets an
/// Indonesian 400 page instead of the framework's English text.
pub struct QueryData<T>(pub T);

impl<T, S> FromRequestParts<S> for QueryData<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(QueryData(v)),
            Err(e) => {
                tracing::info!(error = %e, "malformed query string");
                Err(error_page(
                    StatusCode::BAD_REQUEST,
                    "Alamat tidak dapat dibaca",
                    "Parameter pada alamat halaman ini tidak sesuai. Buka halaman dari menu, lalu coba lagi.",
                ))
            }
        }
    }
}

/// One choice of a `<select>` (or a radio/checkbox list).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl SelectOption {
    pub fn new(value: impl Into<String>, label: impl Into<String>, selected: bool) -> Self {
        Self {
            value: value.into(),
            label: label.into(),
            selected,
        }
    }
}

/// Page-by-page navigation of a long list.
pub struct Pager {
    pub page: i64,
    pub pages: i64,
    pub total: i64,
    per_page: i64,
    base: String,
}

impl Pager {
    pub fn page_from(raw: Option<&str>) -> i64 {
        raw.and_then(|s| s.parse::<i64>().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1)
    }

    /// `base` is the list's URL with its filters; the page number is appended.
    pub fn new(page: i64, per_page: i64, total: i64, base: String) -> Self {
        let pages = ((total + per_page - 1) / per_page).max(1);
        Self {
            page: page.min(pages),
            pages,
            total,
            per_page,
            base,
        }
    }

    pub fn offset(&self) -> i64 {
        (self.page - 1) * self.per_page
    }

    fn link(&self, page: i64) -> String {
        let sep = if self.base.contains('?') { '&' } else { '?' };
        format!("{}{sep}halaman={page}", self.base)
    }

    pub fn prev(&self) -> Option<String> {
        (self.page > 1).then(|| self.link(self.page - 1))
    }

    pub fn next(&self) -> Option<String> {
        (self.page < self.pages).then(|| self.link(self.page + 1))
    }
}
