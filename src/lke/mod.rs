//! The LKE of PermenPAN-RB 90/2021 as data: each year's master (PortalRB's format,
//! stored in tables; the running program never reads the JSON), the answers of the
//! unit and of its TPI, the official score and WBK/WBBM readiness. The pure rules live
//! in `model`, `portalrb`, `answer`, `score` and `readiness`; `store` reads and writes
//! them.

pub mod answer;
pub mod archive;
pub mod model;
pub mod next;
pub mod pages;
pub mod portalrb;
pub mod question;
pub mod readiness;
pub mod score;
pub mod store;
pub mod view;
pub mod work;
pub mod workbook;

use crate::auth::Role;
use crate::routes::{Access, Route};

const UPLOAD_LIMIT: usize = pages::UPLOAD_MAX_BYTES + 64 * 1024;

/// The LKE master is the instansi's, per year: only its admins change it.
const INSTANSI_ADMIN: Access = Access::Instansi(&[crate::tenant::InstansiRole::Admin]);

pub fn routes() -> Vec<Route> {
    use axum::routing::{get, post};
    let admin = Access::Roles(&[Role::Admin]);
    let importers = Access::Roles(&[Role::Admin, Role::Penilai]);
    let leads = Access::Roles(&[Role::Admin, Role::Pimpinan]);
    let tpi = Access::Roles(&[Role::Penilai]);
    vec![
        Route::new("GET", "/lke", Access::SignedIn, get(pages::index)),
        Route::new(
            "GET",
            "/lke/{tahun}",
            Access::SignedIn,
            get(pages::year_page),
        ),
        Route::new(
            "GET",
            "/lke/{tahun}/lembar-kerja.xlsx",
            Access::SignedIn,
            get(pages::workbook_download),
        ),
        Route::new(
            "GET",
            "/lke/{tahun}/impor",
            importers,
            get(pages::import_form),
        ),
        Route::new(
            "POST",
            "/lke/{tahun}/impor",
            importers,
            post(pages::import_submit),
        )
        .with_body_limit(UPLOAD_LIMIT),
        Route::new(
            "GET",
            "/lke/{tahun}/kelompok",
            Access::SignedIn,
            get(pages::groups_page),
        ),
        Route::new(
            "POST",
            "/lke/{tahun}/kelompok/{id}",
            INSTANSI_ADMIN,
            post(pages::group_submit),
        ),
        Route::new(
            "GET",
            "/lke/{tahun}/soal",
            Access::SignedIn,
            get(question::sheet_page),
        ),
        Route::new(
            "GET",
            "/lke/{tahun}/soal/{id}",
            Access::SignedIn,
            get(question::show),
        ),
        Route::new(
            "POST",
            "/lke/{tahun}/soal/{id}/jawaban",
            Access::Roles(&[Role::Admin, Role::Staf]),
            post(question::save_unit),
        ),
        Route::new(
            "POST",
            "/lke/{tahun}/soal/{id}/tpi",
            Access::Roles(&[Role::Penilai]),
            post(question::save_tpi),
        ),
        Route::new(
            "POST",
            "/lke/{tahun}/soal/{id}/pic",
            leads,
            post(question::set_pic),
        ),
        Route::new(
            "POST",
            "/lke/{tahun}/penugasan",
            leads,
            post(question::assign_node),
        ),
        Route::new(
            "GET",
            "/lke/{tahun}/catatan-tpi",
            Access::SignedIn,
            get(question::notes_page),
        ),
        Route::new("POST", "/lke/{tahun}/kirim", admin, post(work::submit)),
        Route::new("POST", "/lke/{tahun}/buka", admin, post(work::reopen)),
        Route::new("POST", "/lke/{tahun}/final", tpi, post(work::finalise)),
        Route::new("POST", "/lke/{tahun}/buka-tpi", tpi, post(work::reopen_tpi)),
        Route::new(
            "POST",
            "/lke/{tahun}/tenggat",
            admin,
            post(work::set_deadlines),
        ),
        Route::new("POST", "/lke/{tahun}/bawa", admin, post(next::carry_drafts)),
        Route::new(
            "GET",
            "/lke/{tahun}/tindak-lanjut",
            admin,
            get(next::next_page),
        ),
        Route::new(
            "POST",
            "/lke/{tahun}/tindak-lanjut",
            admin,
            post(next::note_to_step),
        ),
        Route::new(
            "GET",
            "/lke/{tahun}/bukti.zip",
            Access::Roles(&[Role::Admin, Role::Pimpinan, Role::Penilai]),
            get(archive::archive),
        ),
        Route::new("GET", "/admin/predikat", admin, get(pages::predicates_page)),
        Route::new(
            "POST",
            "/admin/predikat",
            admin,
            post(pages::predicate_submit),
        ),
        Route::new("GET", "/admin/lke", INSTANSI_ADMIN, get(pages::master_page)),
        Route::new(
            "POST",
            "/admin/lke",
            INSTANSI_ADMIN,
            post(pages::master_submit),
        )
        .with_body_limit(UPLOAD_LIMIT),
    ]
}

/// The score of both sides and the readiness, in the shape the command prints.
pub async fn score_json(
    pool: &sqlx::SqlitePool,
    year: i64,
    unit: Option<&str>,
) -> anyhow::Result<serde_json::Value> {
    let unit = crate::tenant::resolve_code(pool, unit).await?;
    // the same computation the pages show
    let Some(v) = view::YearView::load(pool, unit.id, year).await? else {
        return Err(no_master(pool, year).await?);
    };
    let code = unit.code;
    let side = |s: &score::Score| {
        serde_json::json!({
            "total": s.total,
            "nodes": s.nodes.iter().map(|(k, v)| (k.to_string(), serde_json::json!(v))).collect::<serde_json::Map<_, _>>(),
        })
    };
    Ok(serde_json::json!({
        "tahun": year,
        "kode_unit": code,
        "mandiri": side(&v.unit),
        "tpi": side(&v.tpi),
        "kesiapan": {"wbk": v.ready_tpi.wbk, "wbbm": v.ready_tpi.wbbm},
    }))
}

/// "No master for this year", naming the years that have one.
pub async fn no_master(pool: &sqlx::SqlitePool, year: i64) -> anyhow::Result<anyhow::Error> {
    let years = store::years(pool).await?;
    let list = years
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    Ok(crate::error::UserError(format!(
        "tahun {year} belum punya master LKE. Tahun yang tersedia: {}",
        if list.is_empty() {
            "(belum ada)".into()
        } else {
            list
        }
    ))
    .into())
}
