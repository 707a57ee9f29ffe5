//! The LKE pages: the year's scores and readiness, the workbook both ways, the count
//! groups' formulas, the unit's predicates and loading a master.

use std::collections::HashMap;

use askama::Template;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::model::Formula;
use super::readiness::Condition;
use super::store::{self, Side};
use super::view::{self, YearView, points};
use super::workbook;
use crate::AppState;
use crate::audit::Actor;
use crate::auth::{ClientIp, CurrentUser, Role};
use crate::error::{AppError, AppResult};
use crate::web::{Chrome, render, render_status};

/// Largest workbook or master file accepted.
pub const UPLOAD_MAX_BYTES: usize = 5 * 1024 * 1024;

/// The label every score carries: the unit's own computation, not the TPN's.
pub const OWN_COMPUTATION: &str =
    "Perhitungan unit sendiri dengan rumus PermenPAN-RB 90/2021, bukan keputusan TPN.";

pub(crate) fn parse_year(raw: &str) -> AppResult<i64> {
    raw.parse::<i64>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .ok_or(AppError::NotFound)
}

async fn year_view(
    state: &AppState,
    user: &CurrentUser,
    year: &str,
) -> AppResult<std::sync::Arc<YearView>> {
    let year = parse_year(year)?;
    let unit = user.unit.as_ref().ok_or(AppError::NotFound)?.id;
    view::cached(state, unit, year).await?.ok_or_else(|| {
        AppError::NotFoundWith(format!(
            "Tahun {year} belum punya master LKE. Admin dapat memuatnya di halaman Master LKE."
        ))
    })
}

// ---------------------------------------------------------------------------
// The year's overview

pub struct NodeRow {
    pub name: String,
    pub depth: usize,
    pub weight: String,
    pub tpi: String,
    pub unit: String,
}

pub struct ConditionRow {
    pub syarat: String,
    pub batas: String,
    pub tpi: String,
    pub tpi_met: bool,
    pub kurang: String,
    pub unit: String,
    pub unit_met: bool,
}

pub struct GainRow {
    pub number: String,
    pub question_id: i64,
    pub text: String,
    pub tpi: String,
    pub unit: String,
    pub points: String,
    pub group: Option<String>,
    /// The action steps serving the question: (step id, code).
    pub steps: Vec<(i64, String)>,
}

#[derive(Template)]
#[template(path = "lke/year.html")]
pub(crate) struct YearPage {
    pub(crate) chrome: Chrome,
    pub(crate) year: i64,
    pub(crate) years: Vec<i64>,
    pub(crate) own: &'static str,
    pub(crate) can_import: bool,
    pub(crate) is_admin: bool,
    /// Where the year stands: filled by the unit, with the TPI, final.
    pub(crate) state: String,
    /// `lke/year_body.html` as rendered (and escaped) once per data version.
    pub(crate) body: std::sync::Arc<String>,
}

/// The scores, readiness and gains: the same for everyone, so rendered once per data
/// version and kept with the year's view.
#[derive(Template)]
#[template(path = "lke/year_body.html")]
pub(crate) struct YearBody {
    pub(crate) year: i64,
    pub(crate) total_tpi: String,
    pub(crate) total_unit: String,
    pub(crate) answered_tpi: usize,
    pub(crate) answered_unit: usize,
    pub(crate) questions: usize,
    pub(crate) verdict: &'static str,
    pub(crate) unit_verdict: &'static str,
    pub(crate) nodes: Vec<NodeRow>,
    pub(crate) wbk: Vec<ConditionRow>,
    pub(crate) wbbm: Vec<ConditionRow>,
    pub(crate) wbk_held: bool,
    pub(crate) gains: Vec<GainRow>,
    pub(crate) gains_on_tpi: bool,
}

impl YearBody {
    fn tables(&self) -> [(&'static str, &[ConditionRow]); 2] {
        [("WBK", &self.wbk), ("WBBM", &self.wbbm)]
    }
}

fn condition_rows(tpi: &[Condition], unit: &[Condition]) -> Vec<ConditionRow> {
    tpi.iter()
        .zip(unit)
        .map(|(t, u)| {
            let percent = t.syarat.contains('%');
            let fmt = |v: f64| {
                if percent {
                    format!("{} %", points(v))
                } else {
                    points(v)
                }
            };
            ConditionRow {
                syarat: t.syarat.clone(),
                batas: fmt(t.batas),
                tpi: fmt(t.nilai),
                tpi_met: t.terpenuhi,
                kurang: points(t.kurang),
                unit: fmt(u.nilai),
                unit_met: u.terpenuhi,
            }
        })
        .collect()
}

/// The rows "where the most points are", for the overview and the dashboard panel.
pub fn gain_rows(v: &YearView, limit: usize) -> Vec<GainRow> {
    v.gains
        .iter()
        .take(limit)
        .filter_map(|g| {
            let q = v.master.question(g.question_id)?;
            let group = g.group_id.and_then(|id| {
                v.master
                    .groups
                    .iter()
                    .find(|x| x.id == id)
                    .map(|x| x.label.clone())
            });
            Some(GainRow {
                number: workbook::numbering(&v.master, q),
                question_id: q.id,
                text: q.text.clone(),
                tpi: v.answer_label(q.id, Side::Tpi),
                unit: v.answer_label(q.id, Side::Unit),
                points: points(g.points),
                group,
                steps: v.steps.get(&q.id).cloned().unwrap_or_default(),
            })
        })
        .collect()
}

/// The dashboard's LKE panel for a year with a master.
pub struct Panel {
    pub year: i64,
    pub own: &'static str,
    pub total_tpi: String,
    pub total_unit: String,
    pub verdict: &'static str,
    pub unit_verdict: &'static str,
    /// WBK conditions not met on the TPI's answers.
    pub wbk_missing: Vec<String>,
    pub gains: Vec<GainRow>,
}

pub fn panel(v: &YearView) -> Panel {
    Panel {
        year: v.master.year,
        own: OWN_COMPUTATION,
        total_tpi: points(v.tpi.total),
        total_unit: points(v.unit.total),
        verdict: v.verdict(),
        unit_verdict: v.unit_verdict(),
        wbk_missing: v
            .ready_tpi
            .wbk
            .iter()
            .filter(|c| !c.terpenuhi)
            .map(|c| format!("{} (kurang {} poin)", c.syarat, points(c.kurang)))
            .collect(),
        gains: gain_rows(v, 5),
    }
}

pub(crate) async fn index(State(state): State<AppState>) -> AppResult<Response> {
    let years = store::years(&state.db).await?;
    match years.first() {
        Some(y) => Ok(Redirect::to(&format!("/lke/{y}")).into_response()),
        None => Err(AppError::NotFoundWith(
            "Belum ada master LKE. Admin dapat memuatnya di halaman Master LKE (/admin/lke)."
                .into(),
        )),
    }
}

pub(crate) async fn year_page(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
    Path(year): Path<String>,
) -> AppResult<Response> {
    let v = year_view(&state, &user, &year).await?;
    let body = match v.body.get() {
        Some(b) => b.clone(),
        None => {
            let rendered = std::sync::Arc::new(year_body(&v).render()?);
            v.body.get_or_init(|| rendered).clone()
        }
    };
    render(&YearPage {
        year: v.master.year,
        years: v.years.clone(),
        own: OWN_COMPUTATION,
        can_import: user.is(&[Role::Admin, Role::Penilai]),
        is_admin: user.is(&[Role::Admin]),
        state: v.state_label.clone(),
        body,
        chrome,
    })
}

fn year_body(v: &YearView) -> YearBody {
    let nodes = v
        .master
        .nodes
        .iter()
        // down to the areas; sub-areas are on the worksheet
        .filter(|n| n.depth() <= 2)
        .map(|n| {
            let depth = n.depth();
            NodeRow {
                name: n.name.clone(),
                depth,
                weight: points(n.weight),
                tpi: points(v.tpi.nodes.get(&n.id).copied().unwrap_or(0.0)),
                unit: points(v.unit.nodes.get(&n.id).copied().unwrap_or(0.0)),
            }
        })
        .collect();
    YearBody {
        year: v.master.year,
        total_tpi: points(v.tpi.total),
        total_unit: points(v.unit.total),
        answered_tpi: v.answered(Side::Tpi),
        answered_unit: v.answered(Side::Unit),
        questions: v.master.questions.len(),
        verdict: v.verdict(),
        unit_verdict: v.unit_verdict(),
        nodes,
        wbk: condition_rows(&v.ready_tpi.wbk, &v.ready_unit.wbk),
        wbbm: condition_rows(&v.ready_tpi.wbbm, &v.ready_unit.wbbm),
        wbk_held: v.wbk_held,
        gains: gain_rows(v, 15),
        gains_on_tpi: v.gains_side == Side::Tpi,
    }
}

// ---------------------------------------------------------------------------
// The workbook

pub(crate) async fn workbook_download(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(year): Path<String>,
) -> AppResult<Response> {
    let v = year_view(&state, &user, &year).await?;
    let links = store::evidence_links(&state.db, v.unit_id, v.master.year).await?;
    let base = state.config.public_base();
    let unit_name = user
        .unit
        .as_ref()
        .map(|u| u.name.clone())
        .unwrap_or_default();
    let state_label = super::work::state(&state.db, v.unit_id, v.master.year)
        .await?
        .label();
    let bytes = workbook::build(
        &v.master,
        &unit_name,
        &state_label,
        &v.stored,
        &links,
        base.as_deref(),
    )
    .map_err(|e| AppError::Internal(e.into()))?;
    Ok(crate::reports::attachment(
        Body::from(bytes),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("lke-{}-jawaban.xlsx", v.master.year),
    ))
}

#[derive(Template)]
#[template(path = "lke/import.html")]
pub(crate) struct ImportPage {
    pub(crate) chrome: Chrome,
    pub(crate) year: i64,
    pub(crate) tpi: bool,
    pub(crate) errors: Vec<String>,
}

pub(crate) async fn import_form(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
    Path(year): Path<String>,
) -> AppResult<Response> {
    let v = year_view(&state, &user, &year).await?;
    render(&ImportPage {
        chrome,
        year: v.master.year,
        tpi: user.role == Role::Penilai,
        errors: Vec::new(),
    })
}

pub(crate) async fn import_submit(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(year): Path<String>,
    request: Request,
) -> AppResult<Response> {
    let v = year_view(&state, &user, &year).await?;
    let year = v.master.year;
    let tpi = user.role == Role::Penilai;
    let fail = |status: StatusCode, errors: Vec<String>| {
        render_status(
            status,
            &ImportPage {
                chrome: chrome.clone(),
                year,
                tpi,
                errors,
            },
        )
    };
    let upload = match crate::web::read_upload(request, &state, UPLOAD_MAX_BYTES).await {
        Ok(u) => u,
        Err(e) => {
            return match e.for_form(UPLOAD_MAX_BYTES) {
                Ok((status, message)) => fail(status, vec![message]),
                Err(refused) => Ok(*refused),
            };
        }
    };
    if upload.file.is_empty() {
        return fail(
            StatusCode::BAD_REQUEST,
            vec!["Pilih berkas XLSX lembar kerja yang akan diimpor.".into()],
        );
    }
    let links = store::evidence_links_by_question(&state.db, v.unit_id, year).await?;
    let rows =
        match workbook::read_off_thread(v.master.clone(), upload.file, (!tpi, tpi), links).await {
            Ok(rows) => rows,
            Err(errors) => return fail(StatusCode::BAD_REQUEST, errors),
        };
    let (unit_by, tpi_by) = if tpi {
        (None, Some(user.id))
    } else {
        (Some(user.id), None)
    };
    if let Err(locked) = workbook::store_rows(
        &state.db,
        &state,
        &Actor::user(&user, Some(ip)),
        (v.unit_id, year),
        &rows,
        unit_by,
        tpi_by,
    )
    .await?
    {
        return fail(StatusCode::CONFLICT, vec![locked]);
    }
    Ok(Redirect::to(&format!("/lke/{year}?pesan=lke-diimpor")).into_response())
}

// ---------------------------------------------------------------------------
// Count groups

pub struct GroupRow {
    pub id: i64,
    pub label: String,
    pub area: String,
    pub formula: &'static str,
    pub ratio: bool,
    pub numerator: String,
    pub denominator: String,
    pub stated: bool,
    pub tpi_value: String,
    pub unit_value: String,
    pub inputs: Vec<(i64, String, String, String)>,
}

#[derive(Template)]
#[template(path = "lke/groups.html")]
pub(crate) struct GroupsPage {
    pub(crate) chrome: Chrome,
    pub(crate) year: i64,
    pub(crate) groups: Vec<GroupRow>,
    pub(crate) is_admin: bool,
    /// The group whose form failed, with its messages.
    pub(crate) failed: Option<i64>,
    pub(crate) errors: Vec<String>,
}

impl GroupsPage {
    fn failed_here(&self, id: impl std::borrow::Borrow<i64>) -> bool {
        self.failed == Some(*id.borrow())
    }
}

fn ids_text(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn group_rows(v: &YearView) -> Vec<GroupRow> {
    let value = |s: &super::score::Score, id: i64| match s.group_values.get(&id) {
        Some(Some(x)) => format!("{} %", points(x * 100.0)),
        _ => "belum lengkap".into(),
    };
    v.master
        .groups
        .iter()
        .map(|g| GroupRow {
            id: g.id,
            label: g.label.clone(),
            area: v
                .master
                .node(g.node_id)
                .map(|n| n.name.clone())
                .unwrap_or_default(),
            formula: match g.formula {
                Formula::Ratio => "jumlah pembilang ÷ jumlah penyebut",
                Formula::Decrease => "(tahun lalu − tahun ini) ÷ tahun lalu, paling kecil 0",
            },
            ratio: g.formula == Formula::Ratio,
            numerator: ids_text(&g.numerator),
            denominator: ids_text(&g.denominator),
            stated: g.stated,
            tpi_value: value(&v.tpi, g.id),
            unit_value: value(&v.unit, g.id),
            inputs: g
                .inputs()
                .filter_map(|id| {
                    let q = v.master.question(id)?;
                    Some((
                        id,
                        q.text.clone(),
                        v.answer_label(id, Side::Unit),
                        v.answer_label(id, Side::Tpi),
                    ))
                })
                .collect(),
        })
        .collect()
}

pub(crate) async fn groups_page(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
    Path(year): Path<String>,
) -> AppResult<Response> {
    let v = year_view(&state, &user, &year).await?;
    render(&GroupsPage {
        year: v.master.year,
        groups: group_rows(&v),
        is_admin: user.is(&[Role::Admin]),
        failed: None,
        errors: Vec::new(),
        chrome,
    })
}

pub(crate) async fn group_submit(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path((year, id)): Path<(String, String)>,
    crate::web::Form(form): crate::web::Form<HashMap<String, String>>,
) -> AppResult<Response> {
    let v = year_view(&state, &user, &year).await?;
    let id = crate::web::parse_id(&id)?;
    let Some(group) = v.master.groups.iter().find(|g| g.id == id) else {
        return Err(AppError::NotFound);
    };
    let field = |k: &str| {
        form.get(k)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let mut errors = Vec::new();
    let formula = match field("rumus").as_str() {
        "ratio" => Formula::Ratio,
        "decrease" => Formula::Decrease,
        _ => {
            errors.push("Pilih rumus: rasio atau penurunan.".to_string());
            group.formula
        }
    };
    let mut list = |name: &str, label: &str| -> Vec<i64> {
        let raw = field(name);
        let mut out = Vec::new();
        for part in raw.split(|c: char| c == ',' || c.is_whitespace()) {
            if part.is_empty() {
                continue;
            }
            match part.parse::<i64>() {
                Ok(n) => out.push(n),
                Err(_) => errors.push(format!("{label}: \"{part}\" bukan nomor soal.")),
            }
        }
        if out.is_empty() && raw.is_empty() {
            errors.push(format!("{label}: isi sedikitnya satu nomor soal."));
        }
        out
    };
    let numerator = list("pembilang", "Pembilang");
    let denominator = list("penyebut", "Penyebut");
    let stated = field("dasar") == "tertulis";
    let mut changed = group.clone();
    changed.formula = formula;
    changed.numerator = numerator;
    changed.denominator = denominator;
    changed.stated = stated;
    if errors.is_empty() {
        let mut all = v.master.groups.clone();
        if let Some(g) = all.iter_mut().find(|g| g.id == id) {
            *g = changed.clone();
        }
        errors.extend(super::model::check_groups(&v.master, &all));
    }
    if !errors.is_empty() {
        let mut groups = group_rows(&v);
        if let Some(row) = groups.iter_mut().find(|g| g.id == id) {
            row.ratio = field("rumus") != "decrease";
            row.numerator = field("pembilang");
            row.denominator = field("penyebut");
            row.stated = stated;
        }
        return render_status(
            StatusCode::BAD_REQUEST,
            &GroupsPage {
                year: v.master.year,
                groups,
                is_admin: true,
                failed: Some(id),
                errors,
                chrome,
            },
        );
    }
    store::save_group(
        &state.db,
        &Actor::user(&user, Some(ip)),
        v.master.year,
        group,
        &changed,
    )
    .await?;
    Ok(Redirect::to(&format!(
        "/lke/{}/kelompok?pesan=kelompok-disimpan#kelompok-{id}",
        v.master.year
    ))
    .into_response())
}

// ---------------------------------------------------------------------------
// Predicates (admin)

pub struct PredicateRow {
    pub year: i64,
    pub predicate: String,
    pub tpn_score: String,
    pub notes: String,
}

#[derive(Template)]
#[template(path = "lke/predicates.html")]
pub(crate) struct PredicatesPage {
    pub(crate) chrome: Chrome,
    pub(crate) rows: Vec<PredicateRow>,
    pub(crate) form_year: String,
    pub(crate) form_predicate: String,
    pub(crate) form_score: String,
    pub(crate) form_notes: String,
    pub(crate) errors: Vec<String>,
}

pub const PREDICATES: [(&str, &str); 3] = [
    ("WBK", "WBK"),
    ("WBBM", "WBBM"),
    ("TIDAK", "Tidak memperoleh predikat"),
];

async fn predicate_rows(db: &sqlx::SqlitePool, unit: i64) -> sqlx::Result<Vec<PredicateRow>> {
    Ok(store::predicates(db, unit)
        .await?
        .into_iter()
        .map(|p| PredicateRow {
            year: p.year,
            predicate: PREDICATES
                .iter()
                .find(|(k, _)| *k == p.predicate)
                .map_or(p.predicate.clone(), |(_, l)| (*l).to_string()),
            tpn_score: p.tpn_score.map(points).unwrap_or_else(|| "—".into()),
            notes: p.notes,
        })
        .collect())
}

pub(crate) async fn predicates_page(
    State(state): State<AppState>,
    unit: crate::tenant::Unit,
    chrome: Chrome,
) -> AppResult<Response> {
    render(&PredicatesPage {
        chrome,
        rows: predicate_rows(&state.db, unit.id).await?,
        form_year: String::new(),
        form_predicate: "WBK".into(),
        form_score: String::new(),
        form_notes: String::new(),
        errors: Vec::new(),
    })
}

pub(crate) async fn predicate_submit(
    State(state): State<AppState>,
    unit: crate::tenant::Unit,
    chrome: Chrome,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    crate::web::Form(form): crate::web::Form<HashMap<String, String>>,
) -> AppResult<Response> {
    let field = |k: &str| {
        form.get(k)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let mut errors = Vec::new();
    let year = field("tahun")
        .parse::<i64>()
        .ok()
        .filter(|y| (2000..=2100).contains(y));
    if year.is_none() {
        errors.push("Isi tahun predikat, mis. 2024.".to_string());
    }
    let predicate = field("predikat");
    if !PREDICATES.iter().any(|(k, _)| *k == predicate) {
        errors.push("Pilih predikat: WBK, WBBM, atau tidak memperoleh predikat.".to_string());
    }
    let score_raw = field("nilai_tpn");
    let score = if score_raw.is_empty() {
        None
    } else {
        match score_raw.replace(',', ".").parse::<f64>() {
            Ok(x) if (0.0..=100.0).contains(&x) => Some(x),
            _ => {
                errors.push("Nilai TPN harus angka 0 sampai 100, mis. 78,25.".to_string());
                None
            }
        }
    };
    let notes = field("catatan");
    if notes.chars().count() > 1000 {
        errors.push("Catatan paling panjang 1000 karakter.".to_string());
    }
    let (Some(year), true) = (year, errors.is_empty()) else {
        return render_status(
            StatusCode::BAD_REQUEST,
            &PredicatesPage {
                chrome,
                rows: predicate_rows(&state.db, unit.id).await?,
                form_year: field("tahun"),
                form_predicate: predicate,
                form_score: score_raw,
                form_notes: notes,
                errors,
            },
        );
    };
    store::save_predicate(
        &state.db,
        &Actor::user(&user, Some(ip)),
        unit.id,
        user.id,
        &store::Predicate {
            year,
            predicate,
            tpn_score: score,
            notes,
        },
    )
    .await?;
    Ok(Redirect::to("/admin/predikat?pesan=predikat-disimpan").into_response())
}

// ---------------------------------------------------------------------------
// Loading a master (admin)

#[derive(Template)]
#[template(path = "lke/master.html")]
pub(crate) struct MasterPage {
    pub(crate) chrome: Chrome,
    pub(crate) years: Vec<(i64, usize, bool)>,
    pub(crate) form_year: String,
    pub(crate) errors: Vec<String>,
}

async fn master_years(db: &sqlx::SqlitePool) -> sqlx::Result<Vec<(i64, usize, bool)>> {
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT y.year,
                (SELECT count(*) FROM lke_questions q WHERE q.year = y.year),
                EXISTS (SELECT 1 FROM lke_answers a WHERE a.year = y.year)
         FROM lke_years y ORDER BY y.year DESC",
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(y, n, a)| (y, n as usize, a != 0))
        .collect())
}

pub(crate) async fn master_page(
    State(state): State<AppState>,
    chrome: Chrome,
) -> AppResult<Response> {
    render(&MasterPage {
        chrome,
        years: master_years(&state.db).await?,
        form_year: String::new(),
        errors: Vec::new(),
    })
}

pub(crate) async fn master_submit(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    request: Request,
) -> AppResult<Response> {
    let years = master_years(&state.db).await?;
    let upload = crate::web::read_upload(request, &state, UPLOAD_MAX_BYTES).await;
    let form_year = match &upload {
        Ok(u) => u.fields.get("tahun").cloned().unwrap_or_default(),
        Err(_) => String::new(),
    };
    let fail = |status: StatusCode, errors: Vec<String>| {
        render_status(
            status,
            &MasterPage {
                chrome: chrome.clone(),
                years: years.clone(),
                form_year: form_year.chars().take(10).collect(),
                errors,
            },
        )
    };
    let upload = match upload {
        Ok(u) => u,
        Err(e) => {
            return match e.for_form(UPLOAD_MAX_BYTES) {
                Ok((status, message)) => fail(status, vec![message]),
                Err(refused) => Ok(*refused),
            };
        }
    };
    let Some(year) = form_year
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
    else {
        return fail(
            StatusCode::BAD_REQUEST,
            vec!["Isi tahun master, mis. 2027.".into()],
        );
    };
    if upload.file.is_empty() {
        return fail(
            StatusCode::BAD_REQUEST,
            vec!["Pilih berkas JSON master LKE dari PortalRB.".into()],
        );
    }
    match store::import_master(&state.db, &Actor::user(&user, Some(ip)), year, &upload.file).await?
    {
        Ok(_) => Ok(Redirect::to(&format!("/lke/{year}?pesan=master-dimuat")).into_response()),
        Err(problems) => fail(StatusCode::BAD_REQUEST, problems),
    }
}
