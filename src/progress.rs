//! The step page (progress, evidence, review, history for one period), saving
//! progress without lost updates, review verdicts, and "Tugas saya".

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;
use sqlx::SqlitePool;

use crate::AppState;
use crate::audit::{self, Actor, Entry};
use crate::auth::{ClientIp, CurrentUser, Role};
use crate::error::{AppError, AppResult};
use crate::evidence::{self, EvidenceView};
use crate::periods::{self, Period, PeriodChoice, PeriodQuery};
use crate::routes::{Access, Route};
use crate::steps::{self, Rights, StepContext, StepRow, status_label};
use crate::web::{Chrome, FormData, QueryData, parse_id, render, render_status};

pub fn routes() -> Vec<Route> {
    use axum::routing::{get, post};
    vec![
        Route::new("GET", "/tugas", Access::SignedIn, get(my_tasks)),
        Route::new("GET", "/langkah/{id}", Access::SignedIn, get(step_page)),
        Route::new(
            "POST",
            "/langkah/{id}/progres",
            Access::SignedIn,
            post(save_progress),
        ),
        Route::new(
            "POST",
            "/langkah/{id}/reviu",
            Access::Roles(&[Role::Penilai, Role::Pimpinan]),
            post(save_review),
        ),
    ]
}

pub fn now_stamp() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

// ---------------------------------------------------------------------------
// The step page

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct ProgressRecord {
    pub id: i64,
    pub version: i64,
    pub status: String,
    pub realization: i64,
    pub narrative: String,
    pub reason: String,
    pub updated_by_name: String,
    pub updated_at: String,
}

impl ProgressRecord {
    pub fn status_label(&self) -> &'static str {
        status_label(Some(&self.status))
    }
    pub fn when(&self) -> String {
        crate::fmt::stored_datetime_id(&self.updated_at)
    }
}

pub async fn current_progress(
    db: &SqlitePool,
    step_id: i64,
    semester: i64,
) -> sqlx::Result<Option<ProgressRecord>> {
    sqlx::query_as(
        "SELECT p.id, p.version, p.status, p.realization, p.narrative, p.reason,
                u.display_name AS updated_by_name, p.updated_at
         FROM progress p JOIN users u ON u.id = p.updated_by
         WHERE p.step_id = ? AND p.semester = ?",
    )
    .bind(step_id)
    .bind(semester)
    .fetch_optional(db)
    .await
}

#[derive(sqlx::FromRow)]
pub struct HistoryView {
    pub version: i64,
    pub status: String,
    pub realization: i64,
    pub narrative: String,
    pub reason: String,
    pub changed_by: String,
    pub changed_at: String,
}

impl HistoryView {
    pub fn status_label(&self) -> &'static str {
        status_label(Some(&self.status))
    }
    pub fn when(&self) -> String {
        crate::fmt::stored_datetime_id(&self.changed_at)
    }
}

#[derive(sqlx::FromRow)]
pub struct ReviewView {
    pub verdict: String,
    pub note: String,
    pub reviewer: String,
    pub reviewed_at: String,
    pub progress_version: i64,
}

impl ReviewView {
    pub fn verdict_label(&self) -> &'static str {
        steps::verdict_label(Some(&self.verdict), true)
    }
    pub fn when(&self) -> String {
        crate::fmt::stored_datetime_id(&self.reviewed_at)
    }
}

pub struct Option2 {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The progress form's values: the stored ones, or what the user typed.
pub struct ProgressForm {
    pub version: i64,
    pub status: String,
    pub realization: String,
    pub narrative: String,
    pub reason: String,
}

pub struct PicView {
    pub user_id: i64,
    pub name: String,
    pub username: String,
}

#[derive(Template)]
#[template(path = "steps/show.html")]
pub struct StepPage {
    pub chrome: Chrome,
    pub ctx: StepContext,
    pub code: String,
    pub period: Period,
    pub periods: PeriodChoice,
    pub rights: Rights,
    pub pics: Vec<PicView>,
    pub responsible_unit: Option<String>,
    pub pic_options: Vec<Option2>,
    pub unit_options: Vec<Option2>,
    pub progress: Option<ProgressRecord>,
    pub status_options: Vec<Option2>,
    pub form: ProgressForm,
    pub form_errors: Vec<String>,
    /// The newer version that refused a save.
    pub conflict: Option<ProgressRecord>,
    pub evidence: Vec<EvidenceView>,
    pub evidence_error: Option<String>,
    pub link_url: String,
    pub link_label: String,
    pub upload_action: String,
    pub max_upload_mb: u64,
    pub current_review: Option<ReviewView>,
    pub reviews: Vec<ReviewView>,
    pub review_errors: Vec<String>,
    pub review_verdict: String,
    pub review_note: String,
    pub history: Vec<HistoryView>,
    pub deadline: Option<String>,
}

impl StepPage {
    pub fn active_evidence_count(&self) -> usize {
        self.evidence
            .iter()
            .filter(|e| e.removed_at.is_none())
            .count()
    }
}

fn status_options(selected: &str) -> Vec<Option2> {
    steps::STATUSES
        .iter()
        .map(|(v, l)| Option2 {
            value: v.to_string(),
            label: l.to_string(),
            selected: *v == selected,
        })
        .collect()
}

/// The step's period: the one asked for (which must lie in the step's year), else
/// the default period when it is in that year, else the year's Semester II.
async fn step_period(db: &SqlitePool, ctx: &StepContext, asked: Option<&str>) -> AppResult<Period> {
    match asked.map(str::trim).filter(|s| !s.is_empty()) {
        // the step's own year exists: no need to ask the database
        Some(raw) if Period::parse_key(raw).is_some_and(|p| p.year == ctx.year) => {
            Ok(Period::parse_key(raw).expect("checked"))
        }
        Some(raw) => {
            let p = periods::resolve(db, Some(raw)).await?;
            if p.year != ctx.year {
                return Err(AppError::NotFoundWith(format!(
                    "Langkah aksi ini termasuk target tahun {}; periode {} bukan miliknya.",
                    ctx.year,
                    p.label()
                )));
            }
            Ok(p)
        }
        None => Ok(match periods::default_period(db).await? {
            Some(p) if p.year == ctx.year => p,
            _ => Period::new(ctx.year, 2),
        }),
    }
}

pub async fn load_step(
    state: &AppState,
    user: &CurrentUser,
    raw_id: &str,
) -> AppResult<(StepContext, Rights)> {
    let id = parse_id(raw_id)?;
    let ctx = steps::context(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let rights = steps::rights(&state.db, user, &ctx).await?;
    if !rights.read {
        return Err(AppError::Forbidden);
    }
    Ok((ctx, rights))
}

impl StepPage {
    pub async fn build(
        state: &AppState,
        chrome: Chrome,
        ctx: StepContext,
        rights: Rights,
        period: Period,
    ) -> AppResult<StepPage> {
        let db = &state.db;
        let step_id = ctx.id;
        let progress = current_progress(db, step_id, period.semester).await?;
        let pics: Vec<PicView> = sqlx::query_as::<_, (i64, String, String)>(
            "SELECT u.id, u.display_name, u.username FROM step_assignments sa
             JOIN users u ON u.id = sa.user_id WHERE sa.step_id = ? ORDER BY u.display_name",
        )
        .bind(step_id)
        .fetch_all(db)
        .await?
        .into_iter()
        .map(|(user_id, name, username)| PicView {
            user_id,
            name,
            username,
        })
        .collect();
        let responsible_unit: Option<(i64, String)> = sqlx::query_as(
            "SELECT un.id, un.name FROM step_responsible_units r JOIN units un ON un.id = r.unit_id
             WHERE r.step_id = ?",
        )
        .bind(step_id)
        .fetch_optional(db)
        .await?;
        let (pic_options, unit_options) = if rights.assign {
            let users: Vec<(i64, String, String)> = sqlx::query_as(
                "SELECT id, display_name, role FROM users
                 WHERE active = 1 AND role != 'penilai'
                   AND id NOT IN (SELECT user_id FROM step_assignments WHERE step_id = ?)
                 ORDER BY display_name",
            )
            .bind(step_id)
            .fetch_all(db)
            .await?;
            let units: Vec<(i64, String)> =
                sqlx::query_as("SELECT id, name FROM units ORDER BY id")
                    .fetch_all(db)
                    .await?;
            (
                users
                    .into_iter()
                    .map(|(id, name, role)| Option2 {
                        value: id.to_string(),
                        label: format!(
                            "{name} ({})",
                            Role::parse(&role).map(Role::label).unwrap_or("")
                        ),
                        selected: false,
                    })
                    .collect(),
                units
                    .into_iter()
                    .map(|(id, name)| Option2 {
                        selected: responsible_unit.as_ref().map(|u| u.0) == Some(id),
                        value: id.to_string(),
                        label: name,
                    })
                    .collect(),
            )
        } else {
            (Vec::new(), Vec::new())
        };
        let reviews: Vec<ReviewView> = sqlx::query_as(
            "SELECT r.verdict, r.note, u.display_name AS reviewer, r.reviewed_at, r.progress_version
             FROM reviews r JOIN users u ON u.id = r.reviewer_id
             WHERE r.step_id = ? AND r.semester = ? ORDER BY r.id DESC",
        )
        .bind(step_id)
        .bind(period.semester)
        .fetch_all(db)
        .await?;
        let current_review = match (&progress, reviews.first()) {
            (Some(p), Some(r)) if r.progress_version == p.version => Some(ReviewView {
                verdict: r.verdict.clone(),
                note: r.note.clone(),
                reviewer: r.reviewer.clone(),
                reviewed_at: r.reviewed_at.clone(),
                progress_version: r.progress_version,
            }),
            _ => None,
        };
        let history: Vec<HistoryView> = match &progress {
            Some(p) => {
                sqlx::query_as(
                    "SELECT h.version, h.status, h.realization, h.narrative, h.reason,
                            u.display_name AS changed_by, h.changed_at
                     FROM progress_history h JOIN users u ON u.id = h.changed_by
                     WHERE h.progress_id = ? ORDER BY h.version DESC",
                )
                .bind(p.id)
                .fetch_all(db)
                .await?
            }
            None => Vec::new(),
        };
        let evidence = evidence::list_for(db, step_id, period.semester).await?;
        let deadline = periods::deadline(db, period)
            .await?
            .map(crate::fmt::date_id);
        let form = match &progress {
            Some(p) => ProgressForm {
                version: p.version,
                status: p.status.clone(),
                realization: p.realization.to_string(),
                narrative: p.narrative.clone(),
                reason: p.reason.clone(),
            },
            None => ProgressForm {
                version: 0,
                status: "belum".into(),
                realization: "0".into(),
                narrative: String::new(),
                reason: String::new(),
            },
        };
        let upload_action = crate::web::query_string(
            &format!("/langkah/{step_id}/bukti"),
            &[("csrf_token", chrome.csrf.clone())],
        );
        Ok(StepPage {
            code: ctx.code(),
            periods: PeriodChoice::from_periods(
                period,
                vec![Period::new(ctx.year, 2), Period::new(ctx.year, 1)],
            ),
            chrome,
            ctx,
            period,
            rights,
            pics,
            responsible_unit: responsible_unit.map(|u| u.1),
            pic_options,
            unit_options,
            status_options: status_options(&form.status),
            progress,
            form,
            form_errors: Vec::new(),
            conflict: None,
            evidence,
            evidence_error: None,
            link_url: String::new(),
            link_label: String::new(),
            upload_action,
            max_upload_mb: state.config.max_upload_bytes / (1024 * 1024),
            current_review,
            reviews,
            review_errors: Vec::new(),
            review_verdict: String::new(),
            review_note: String::new(),
            history,
            deadline,
        })
    }
}

async fn step_page(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
    Path(id): Path<String>,
    QueryData(q): QueryData<PeriodQuery>,
) -> AppResult<Response> {
    let (ctx, rights) = load_step(&state, &user, &id).await?;
    let period = step_period(&state.db, &ctx, q.periode.as_deref()).await?;
    render(&StepPage::build(&state, chrome, ctx, rights, period).await?)
}

/// Resolves the period of a form post: its `periode` field must be in the step's year.
pub async fn posted_period(db: &SqlitePool, ctx: &StepContext, raw: &str) -> AppResult<Period> {
    if raw.trim().is_empty() {
        return Err(AppError::BadRequest(
            "Periode tidak disertakan. Muat ulang halaman, lalu kirim kembali.".into(),
        ));
    }
    step_period(db, ctx, Some(raw)).await
}

pub fn step_url(step_id: i64, period: Period, flash: Option<&str>) -> String {
    let mut params = vec![("periode", period.key())];
    if let Some(f) = flash {
        params.push(("pesan", f.to_string()));
    }
    crate::web::query_string(&format!("/langkah/{step_id}"), &params)
}

// ---------------------------------------------------------------------------
// Saving progress

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ProgressInput {
    periode: String,
    version: String,
    status: String,
    realization: String,
    narrative: String,
    reason: String,
}

const NARRATIVE_MAX: usize = 5000;
const REASON_MAX: usize = 1000;

pub enum SaveOutcome {
    Saved(i64),
    /// Someone saved a newer version; nothing was written.
    Stale(Box<ProgressRecord>),
}

/// Validated progress values.
pub struct ProgressValues {
    pub status: String,
    pub realization: i64,
    pub narrative: String,
    pub reason: String,
}

pub fn validate(
    input_status: &str,
    input_realization: &str,
    narrative: &str,
    reason: &str,
    active_evidence: usize,
) -> Result<ProgressValues, Vec<String>> {
    let mut errors = Vec::new();
    let status = input_status.trim();
    if !steps::STATUSES.iter().any(|(k, _)| *k == status) {
        errors.push("Pilih salah satu status yang tersedia.".to_string());
    }
    let realization = match input_realization.trim().parse::<i64>() {
        Ok(v) if (0..=100).contains(&v) => v,
        _ => {
            errors.push("Realisasi harus bilangan bulat dari 0 sampai 100 (persen).".to_string());
            0
        }
    };
    let narrative = narrative.trim().to_string();
    let reason = reason.trim().to_string();
    if narrative.chars().count() > NARRATIVE_MAX {
        errors.push(format!("Uraian maksimal {NARRATIVE_MAX} karakter."));
    }
    if reason.chars().count() > REASON_MAX {
        errors.push(format!("Alasan maksimal {REASON_MAX} karakter."));
    }
    if status == "tidak_dapat" && reason.is_empty() {
        errors.push("Alasan wajib diisi bila langkah aksi tidak dapat dilaksanakan.".to_string());
    }
    if status == "selesai" && narrative.is_empty() && active_evidence == 0 {
        errors.push(
            "Untuk menandai Selesai, isi uraian kegiatan atau lampirkan bukti dukung terlebih dahulu."
                .to_string(),
        );
    }
    if errors.is_empty() {
        Ok(ProgressValues {
            status: status.to_string(),
            realization,
            narrative,
            reason,
        })
    } else {
        Err(errors)
    }
}

/// Writes a new version if `expected_version` is still the current one, keeping the
/// version in the history and the change in the audit trail, all in one transaction.
pub async fn store_progress(
    db: &SqlitePool,
    actor: &Actor,
    user_id: i64,
    step_id: i64,
    period: Period,
    expected_version: i64,
    v: &ProgressValues,
) -> AppResult<SaveOutcome> {
    // IMMEDIATE: take the write lock first, so the version check and the write
    // cannot interleave with another save.
    let mut tx = crate::db::write(db).await?;
    let current: Option<(i64, i64, String, i64, String, String)> = sqlx::query_as(
        "SELECT id, version, status, realization, narrative, reason FROM progress
         WHERE step_id = ? AND semester = ?",
    )
    .bind(step_id)
    .bind(period.semester)
    .fetch_optional(&mut *tx)
    .await?;
    let current_version = current.as_ref().map(|c| c.1).unwrap_or(0);
    if current_version != expected_version {
        tx.rollback().await?;
        let newer = current_progress(db, step_id, period.semester)
            .await?
            .ok_or(AppError::Conflict("Progres telah berubah.".into()))?;
        return Ok(SaveOutcome::Stale(Box::new(newer)));
    }
    let now = now_stamp();
    let new_version = current_version + 1;
    let progress_id: i64 =
        match &current {
            None => sqlx::query_scalar(
                "INSERT INTO progress (step_id, semester, version, status, realization, narrative,
                                       reason, updated_by, updated_at)
                 VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(step_id)
            .bind(period.semester)
            .bind(&v.status)
            .bind(v.realization)
            .bind(&v.narrative)
            .bind(&v.reason)
            .bind(user_id)
            .bind(&now)
            .fetch_one(&mut *tx)
            .await?,
            Some(c) => {
                sqlx::query(
                    "UPDATE progress SET version = ?, status = ?, realization = ?, narrative = ?,
                        reason = ?, updated_by = ?, updated_at = ?
                 WHERE id = ? AND version = ?",
                )
                .bind(new_version)
                .bind(&v.status)
                .bind(v.realization)
                .bind(&v.narrative)
                .bind(&v.reason)
                .bind(user_id)
                .bind(&now)
                .bind(c.0)
                .bind(current_version)
                .execute(&mut *tx)
                .await?;
                c.0
            }
        };
    sqlx::query(
        "INSERT INTO progress_history (progress_id, version, status, realization, narrative,
                                       reason, changed_by, changed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(progress_id)
    .bind(new_version)
    .bind(&v.status)
    .bind(v.realization)
    .bind(&v.narrative)
    .bind(&v.reason)
    .bind(user_id)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    let before = current.map(
        |c| json!({"versi": c.1, "status": c.2, "realisasi": c.3, "uraian": c.4, "alasan": c.5}),
    );
    let after = json!({"versi": new_version, "status": v.status, "realisasi": v.realization,
                       "uraian": v.narrative, "alasan": v.reason});
    audit::record(
        &mut tx,
        actor,
        Entry {
            action: "progress_saved",
            object_type: Some("step"),
            object_id: Some(step_id),
            summary: format!(
                "Progres langkah {step_id} {} disimpan (versi {new_version})",
                period.label()
            ),
            before,
            after: Some(after),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(SaveOutcome::Saved(new_version))
}

async fn save_progress(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    FormData(input): FormData<ProgressInput>,
) -> AppResult<Response> {
    let (ctx, rights) = load_step(&state, &user, &id).await?;
    if !rights.write {
        return Err(AppError::Forbidden);
    }
    let period = posted_period(&state.db, &ctx, &input.periode).await?;
    let expected_version = input.version.trim().parse::<i64>().unwrap_or(-1);
    // Evidence matters only for "Selesai" without a narrative.
    let active_evidence = if input.status.trim() == "selesai" && input.narrative.trim().is_empty() {
        evidence::active_count(&state.db, ctx.id, period.semester).await?
    } else {
        0
    };
    let step_id = ctx.id;
    let keep_input = |page: &mut StepPage, version: i64| {
        page.form = ProgressForm {
            version,
            status: input.status.clone(),
            realization: input.realization.clone(),
            narrative: input.narrative.clone(),
            reason: input.reason.clone(),
        };
        page.status_options = status_options(&input.status);
    };
    let values = match validate(
        &input.status,
        &input.realization,
        &input.narrative,
        &input.reason,
        active_evidence,
    ) {
        Ok(v) => v,
        Err(errors) => {
            let mut page = StepPage::build(&state, chrome, ctx, rights, period).await?;
            keep_input(&mut page, expected_version.max(0));
            page.form_errors = errors;
            return render_status(StatusCode::BAD_REQUEST, &page);
        }
    };
    if expected_version < 0 {
        return Err(AppError::BadRequest(
            "Versi formulir tidak terbaca. Muat ulang halaman, lalu kirim kembali.".into(),
        ));
    }
    match store_progress(
        &state.db,
        &Actor::user(&user, Some(ip)),
        user.id,
        step_id,
        period,
        expected_version,
        &values,
    )
    .await?
    {
        SaveOutcome::Saved(_) => {
            Ok(Redirect::to(&step_url(step_id, period, Some("progres-disimpan"))).into_response())
        }
        SaveOutcome::Stale(newer) => {
            let mut page = StepPage::build(&state, chrome, ctx, rights, period).await?;
            // The form keeps what the user typed; saving again is a deliberate choice
            // made with the newer values in view.
            keep_input(&mut page, newer.version);
            page.conflict = Some(*newer);
            render_status(StatusCode::CONFLICT, &page)
        }
    }
}

// ---------------------------------------------------------------------------
// Review verdicts

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReviewInput {
    periode: String,
    version: String,
    verdict: String,
    note: String,
}

const NOTE_MAX: usize = 2000;

async fn save_review(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    FormData(input): FormData<ReviewInput>,
) -> AppResult<Response> {
    let (ctx, rights) = load_step(&state, &user, &id).await?;
    if !rights.review {
        return Err(AppError::Forbidden);
    }
    let period = posted_period(&state.db, &ctx, &input.periode).await?;
    let note = input.note.trim().to_string();
    let verdict = input.verdict.trim().to_string();
    let mut errors = Vec::new();
    if verdict != "diterima" && verdict != "perbaikan" {
        errors.push("Pilih hasil reviu: Diterima atau Perlu perbaikan.".to_string());
    }
    if verdict == "perbaikan" && note.is_empty() {
        errors.push(
            "Tuliskan catatan perbaikan agar PIC tahu apa yang harus diperbaiki.".to_string(),
        );
    }
    if note.chars().count() > NOTE_MAX {
        errors.push(format!("Catatan maksimal {NOTE_MAX} karakter."));
    }
    let current = current_progress(&state.db, ctx.id, period.semester).await?;
    let expected = input.version.trim().parse::<i64>().ok();
    let status = match &current {
        None => {
            errors.push("Belum ada progres yang dapat direviu untuk periode ini.".to_string());
            StatusCode::CONFLICT
        }
        Some(p) if Some(p.version) != expected => {
            errors.push(format!(
                "Progres telah diperbarui (versi {}) sejak halaman ini dibuka. Periksa nilai terbaru, lalu beri hasil reviu.",
                p.version
            ));
            StatusCode::CONFLICT
        }
        _ => StatusCode::BAD_REQUEST,
    };
    if !errors.is_empty() {
        let mut page = StepPage::build(&state, chrome, ctx, rights, period).await?;
        page.review_errors = errors;
        page.review_verdict = verdict;
        page.review_note = input.note;
        return render_status(status, &page);
    }
    let version = current.map(|p| p.version).unwrap_or(0);
    let mut tx = crate::db::write(&state.db).await?;
    sqlx::query(
        "INSERT INTO reviews (step_id, semester, progress_version, verdict, note, reviewer_id, reviewed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(ctx.id)
    .bind(period.semester)
    .bind(version)
    .bind(&verdict)
    .bind(&note)
    .bind(user.id)
    .bind(now_stamp())
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        &Actor::user(&user, Some(ip)),
        Entry::new(
            "review_given",
            format!(
                "Reviu langkah {} {}: {}",
                ctx.code(),
                period.label(),
                steps::verdict_label(Some(&verdict), true)
            ),
        )
        .object("step", ctx.id)
        .after(json!({"hasil": verdict, "catatan": note, "versi_progres": version})),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&step_url(ctx.id, period, Some("reviu-disimpan"))).into_response())
}

// ---------------------------------------------------------------------------
// Tugas saya

pub struct TaskGroup {
    pub numeral: String,
    pub name: String,
    pub rows: Vec<StepRow>,
}

#[derive(Template)]
#[template(path = "steps/tasks.html")]
struct TasksPage {
    chrome: Chrome,
    periods: PeriodChoice,
    period: Period,
    groups: Vec<TaskGroup>,
    total: usize,
    attention: usize,
    deadline: Option<String>,
}

/// Lower comes first: asked to fix, then not started, in progress, blocked, done.
fn attention_rank(r: &StepRow) -> u8 {
    if r.needs_fix() {
        return 0;
    }
    match r.status_key() {
        "belum" => 1,
        "berjalan" => 2,
        "tidak_dapat" => 3,
        _ => 4,
    }
}

async fn my_tasks(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
    QueryData(q): QueryData<PeriodQuery>,
) -> AppResult<Response> {
    let period = periods::resolve(&state.db, q.periode.as_deref()).await?;
    let rows = steps::period_rows(&state.db, period, Some(user.id)).await?;
    let total = rows.len();
    let attention = rows.iter().filter(|r| attention_rank(r) <= 1).count();
    let mut groups: Vec<TaskGroup> = Vec::new();
    for r in rows {
        if groups.last().map(|g| g.numeral.as_str()) != Some(r.numeral.as_str()) {
            groups.push(TaskGroup {
                numeral: r.numeral.clone(),
                name: r.component_name.clone(),
                rows: Vec::new(),
            });
        }
        groups.last_mut().expect("pushed").rows.push(r);
    }
    for g in &mut groups {
        // stable: LKE order within the same urgency
        g.rows.sort_by_key(attention_rank);
    }
    render(&TasksPage {
        chrome,
        periods: PeriodChoice::load(&state.db, period).await?,
        period,
        groups,
        total,
        attention,
        deadline: periods::deadline(&state.db, period)
            .await?
            .map(crate::fmt::date_id),
    })
}
