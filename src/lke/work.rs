//! Working the LKE: who answers which question, the year's state (submitted to the
//! TPI, TPI final, deadlines), and who may change which side.

use std::collections::HashMap;

use chrono::NaiveDate;
use sqlx::{SqliteConnection, SqlitePool};

use crate::auth::{CurrentUser, Role};

/// Where a year's LKE stands.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct YearState {
    /// (when, by whom) the unit sent its self-assessment to the TPI: the unit side is locked.
    pub submitted: Option<(String, String)>,
    /// (when, by whom) the TPI marked its evaluation final: the TPI side is locked.
    pub finalised: Option<(String, String)>,
    pub unit_deadline: Option<NaiveDate>,
    pub tpi_deadline: Option<NaiveDate>,
}

impl YearState {
    pub fn unit_locked(&self) -> bool {
        self.submitted.is_some()
    }
    pub fn tpi_locked(&self) -> bool {
        self.finalised.is_some()
    }
    /// One line for pages and exports.
    pub fn label(&self) -> String {
        let when = |s: &str| crate::fmt::stored_datetime_id(s);
        match (&self.submitted, &self.finalised) {
            (_, Some((at, by))) => format!("Penilaian TPI final ({}, {by})", when(at)),
            (Some((at, by)), None) => {
                format!("Dikirim ke TPI ({}, {by}); TPI sedang menilai", when(at))
            }
            (None, None) => "Penilaian mandiri sedang diisi unit".to_string(),
        }
    }
    pub fn unit_deadline_label(&self) -> Option<String> {
        self.unit_deadline.map(crate::fmt::date_id)
    }
    pub fn tpi_deadline_label(&self) -> Option<String> {
        self.tpi_deadline.map(crate::fmt::date_id)
    }
}

pub async fn state(db: &SqlitePool, unit: i64, year: i64) -> sqlx::Result<YearState> {
    type Row = (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let row: Option<Row> = sqlx::query_as(
        "SELECT s.unit_submitted_at, us.display_name, s.tpi_final_at, tf.display_name,
                s.unit_deadline, s.tpi_deadline
         FROM lke_year_state s
         LEFT JOIN users us ON us.id = s.unit_submitted_by
         LEFT JOIN users tf ON tf.id = s.tpi_final_by
         WHERE s.unit_id = ? AND s.year = ?",
    )
    .bind(unit)
    .bind(year)
    .fetch_optional(db)
    .await?;
    let Some((sub_at, sub_by, fin_at, fin_by, ud, td)) = row else {
        return Ok(YearState::default());
    };
    let date = |d: Option<String>| d.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
    Ok(YearState {
        submitted: sub_at.map(|at| (at, sub_by.unwrap_or_default())),
        finalised: fin_at.map(|at| (at, fin_by.unwrap_or_default())),
        unit_deadline: date(ud),
        tpi_deadline: date(td),
    })
}

/// The locks as they stand inside a write transaction: (unit locked, TPI locked).
pub async fn locks(
    conn: &mut SqliteConnection,
    unit: i64,
    year: i64,
) -> sqlx::Result<(bool, bool)> {
    let row: Option<(bool, bool)> = sqlx::query_as(
        "SELECT unit_submitted_at IS NOT NULL, tpi_final_at IS NOT NULL FROM lke_year_state
         WHERE unit_id = ? AND year = ?",
    )
    .bind(unit)
    .bind(year)
    .fetch_optional(conn)
    .await?;
    Ok(row.unwrap_or((false, false)))
}

/// The PICs of every question of a year: question id → [(user id, display name)].
pub async fn pics(
    db: &SqlitePool,
    unit: i64,
    year: i64,
) -> sqlx::Result<HashMap<i64, Vec<(i64, String)>>> {
    pics_where(db, unit, year, None).await
}

/// The PICs of one question: [(user id, display name)].
pub async fn pics_of(
    db: &SqlitePool,
    unit: i64,
    year: i64,
    question_id: i64,
) -> sqlx::Result<Vec<(i64, String)>> {
    Ok(pics_where(db, unit, year, Some(question_id))
        .await?
        .remove(&question_id)
        .unwrap_or_default())
}

async fn pics_where(
    db: &SqlitePool,
    unit: i64,
    year: i64,
    question_id: Option<i64>,
) -> sqlx::Result<HashMap<i64, Vec<(i64, String)>>> {
    let rows: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT a.question_id, u.id, u.display_name FROM lke_assignments a
         JOIN users u ON u.id = a.user_id
         WHERE a.unit_id = ?3 AND a.year = ?1 AND (?2 IS NULL OR a.question_id = ?2)
         ORDER BY u.display_name",
    )
    .bind(year)
    .bind(question_id)
    .bind(unit)
    .fetch_all(db)
    .await?;
    let mut out: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
    for (q, id, name) in rows {
        out.entry(q).or_default().push((id, name));
    }
    Ok(out)
}

/// Whether a user holds a question (checked inside the write).
pub async fn holds(
    conn: &mut SqliteConnection,
    (unit, year): (i64, i64),
    question_id: i64,
    user_id: i64,
) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM lke_assignments
         WHERE unit_id = ? AND year = ? AND question_id = ? AND user_id = ?",
    )
    .bind(unit)
    .bind(year)
    .bind(question_id)
    .bind(user_id)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// Whether a user ever gave a version of the unit's answer to a question: they may not
/// evaluate it.
pub async fn gave_unit_answer(
    conn: &mut SqliteConnection,
    (unit, year): (i64, i64),
    question_id: i64,
    user_id: i64,
) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM lke_answer_history h JOIN lke_answers a ON a.id = h.answer_id
         WHERE a.unit_id = ? AND a.year = ? AND a.question_id = ? AND a.side = 'unit'
           AND h.answered_by = ?",
    )
    .bind(unit)
    .bind(year)
    .bind(question_id)
    .bind(user_id)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// Why a side cannot be changed now; the same words on the pages, the saves and the
/// workbook import.
pub const UNIT_LOCKED: &str = "Penilaian mandiri sudah dikirim ke TPI; jawaban unit terkunci sampai dibuka kembali oleh admin.";
pub const TPI_LOCKED: &str = "Penilaian TPI sudah final; jawaban TPI terkunci.";
pub const SELF_EVALUATION: &str =
    "Anda pernah memberi jawaban unit untuk soal ini, sehingga tidak dapat menilainya.";

/// Who may change the unit's answer: the unit's admin and the question's PICs (staff).
pub fn may_answer_unit(user: &CurrentUser, is_pic: bool) -> bool {
    user.role == Role::Admin || (user.role == Role::Staf && is_pic)
}

/// Who may give the TPI's answer: a penilai.
pub fn may_evaluate(user: &CurrentUser) -> bool {
    user.role == Role::Penilai
}

// ---------------------------------------------------------------------------
// Submission, finalisation, reopening and deadlines

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::audit::{Action, Entry};
use crate::error::{AppError, AppResult};
use crate::web::{Acting, Chrome, Form};
use axum::http::StatusCode;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReasonInput {
    pub(crate) alasan: String,
    /// The confirmation box of "Kirim ke TPI" and of the TPI's final mark.
    pub(crate) yakin: String,
}

/// Which lock a request changes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lock {
    UnitSubmit,
    UnitReopen,
    TpiFinal,
    TpiReopen,
}

/// What the form must carry: locking is confirmed with a tick (not one stray click),
/// reopening gives a reason for the audit trail.
fn check_request(lock: Lock, input: &ReasonInput) -> Vec<String> {
    let reason = input.alasan.trim();
    let mut errors = Vec::new();
    match lock {
        Lock::UnitSubmit | Lock::TpiFinal if input.yakin != "1" => errors.push(format!(
            "Centang konfirmasi dulu: {} mengunci jawaban sampai dibuka kembali dengan alasan.",
            if lock == Lock::UnitSubmit {
                "mengirim ke TPI"
            } else {
                "menyatakan penilaian TPI final"
            }
        )),
        Lock::UnitReopen | Lock::TpiReopen if reason.chars().count() < 5 => errors.push(
            "Tuliskan alasan membuka kembali (sedikitnya 5 karakter); alasan tercatat di jejak audit."
                .into(),
        ),
        _ => {}
    }
    if reason.chars().count() > 1000 {
        errors.push("Alasan paling panjang 1000 karakter.".into());
    }
    errors
}

async fn lock_request(
    State(state): State<AppState>,
    chrome: Chrome,
    acting: Acting,
    Path(year): Path<String>,
    Form(input): Form<ReasonInput>,
    lock: Lock,
) -> AppResult<Response> {
    let v = super::question::year_view(&state, &acting.user, &year).await?;
    let errors = check_request(lock, &input);
    if !errors.is_empty() {
        // the worksheet again, with the message and the reason as typed
        return super::question::sheet(
            &state,
            chrome,
            &acting.user,
            &v,
            super::question::SheetExtras {
                errors,
                reason: input.alasan,
            },
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    change_lock(
        &state,
        &acting,
        (v.unit_id, v.master.year),
        lock,
        input.alasan.trim(),
    )
    .await
}

pub(crate) async fn submit(
    state: State<AppState>,
    chrome: Chrome,
    acting: Acting,
    year: Path<String>,
    input: Form<ReasonInput>,
) -> AppResult<Response> {
    lock_request(state, chrome, acting, year, input, Lock::UnitSubmit).await
}

pub(crate) async fn reopen(
    state: State<AppState>,
    chrome: Chrome,
    acting: Acting,
    year: Path<String>,
    input: Form<ReasonInput>,
) -> AppResult<Response> {
    lock_request(state, chrome, acting, year, input, Lock::UnitReopen).await
}

pub(crate) async fn finalise(
    state: State<AppState>,
    chrome: Chrome,
    acting: Acting,
    year: Path<String>,
    input: Form<ReasonInput>,
) -> AppResult<Response> {
    lock_request(state, chrome, acting, year, input, Lock::TpiFinal).await
}

pub(crate) async fn reopen_tpi(
    state: State<AppState>,
    chrome: Chrome,
    acting: Acting,
    year: Path<String>,
    input: Form<ReasonInput>,
) -> AppResult<Response> {
    lock_request(state, chrome, acting, year, input, Lock::TpiReopen).await
}

async fn change_lock(
    state: &AppState,
    acting: &Acting,
    (unit, year): (i64, i64),
    lock: Lock,
    reason: &str,
) -> AppResult<Response> {
    let mut tx = crate::db::write(&state.db).await?;
    let (unit_locked, tpi_locked) = locks(&mut tx, unit, year).await?;
    let (ok, refusal, sql, summary, flash) = match lock {
        Lock::UnitSubmit => (
            !unit_locked,
            "Penilaian mandiri sudah dikirim ke TPI.",
            "INSERT INTO lke_year_state (unit_id, year, unit_submitted_at, unit_submitted_by)
             VALUES (?4, ?1, ?2, ?3)
             ON CONFLICT (unit_id, year) DO UPDATE SET unit_submitted_at = ?2, unit_submitted_by = ?3",
            format!("Penilaian mandiri LKE {year} dikirim ke TPI"),
            "lke-dikirim",
        ),
        Lock::UnitReopen => (
            unit_locked && !tpi_locked,
            if tpi_locked {
                "Penilaian TPI sudah final; buka dulu penilaian TPI sebelum membuka penilaian mandiri."
            } else {
                "Penilaian mandiri belum dikirim ke TPI."
            },
            "UPDATE lke_year_state SET unit_submitted_at = NULL, unit_submitted_by = NULL
             WHERE year = ?1 AND unit_id = ?4 AND ?2 IS NOT NULL AND ?3 IS NOT NULL",
            format!("Penilaian mandiri LKE {year} dibuka kembali: {reason}"),
            "lke-dibuka",
        ),
        Lock::TpiFinal => (
            unit_locked && !tpi_locked,
            if tpi_locked {
                "Penilaian TPI sudah final."
            } else {
                "Unit belum mengirim penilaian mandiri ke TPI."
            },
            "UPDATE lke_year_state SET tpi_final_at = ?2, tpi_final_by = ?3 WHERE year = ?1 AND unit_id = ?4",
            format!("Penilaian TPI LKE {year} dinyatakan final"),
            "tpi-final",
        ),
        Lock::TpiReopen => (
            tpi_locked,
            "Penilaian TPI belum final.",
            "UPDATE lke_year_state SET tpi_final_at = NULL, tpi_final_by = NULL
             WHERE year = ?1 AND unit_id = ?4 AND ?2 IS NOT NULL AND ?3 IS NOT NULL",
            format!("Penilaian TPI LKE {year} dibuka kembali: {reason}"),
            "tpi-dibuka",
        ),
    };
    if !ok {
        tx.rollback().await?;
        return Err(AppError::Conflict(refusal.into()));
    }
    sqlx::query(sql)
        .bind(year)
        .bind(crate::fmt::now_stamp())
        .bind(acting.user.id)
        .bind(unit)
        .execute(&mut *tx)
        .await?;
    tx.commit(
        &acting.actor,
        Entry::new(Action::LkeStateChanged, summary)
            .after(json!({"tahun": year, "alasan": reason})),
    )
    .await?;
    Ok(Redirect::to(&format!("/lke/{year}/soal?pesan={flash}")).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeadlineInput {
    pub(crate) tenggat_unit: String,
    pub(crate) tenggat_tpi: String,
}

pub(crate) async fn set_deadlines(
    State(state): State<AppState>,
    chrome: Chrome,
    acting: Acting,
    Path(year): Path<String>,
    Form(input): Form<DeadlineInput>,
) -> AppResult<Response> {
    let v = super::question::year_view(&state, &acting.user, &year).await?;
    let year = v.master.year;
    let mut errors = Vec::new();
    let mut parse = |raw: &str, what: &str| -> Option<String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return None;
        }
        match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            Ok(d) => Some(d.format("%Y-%m-%d").to_string()),
            Err(_) => {
                errors.push(format!(
                    "Tenggat {what} tidak terbaca; pilih tanggal dari kalender (mis. 2026-09-30)."
                ));
                None
            }
        }
    };
    let unit = parse(&input.tenggat_unit, "penilaian mandiri");
    let tpi = parse(&input.tenggat_tpi, "penilaian TPI");
    if !errors.is_empty() {
        return super::question::sheet(
            &state,
            chrome,
            &acting.user,
            &v,
            super::question::SheetExtras {
                errors,
                reason: String::new(),
            },
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    let mut tx = crate::db::write(&state.db).await?;
    sqlx::query(
        "INSERT INTO lke_year_state (unit_id, year, unit_deadline, tpi_deadline)
         VALUES (?4, ?1, ?2, ?3)
         ON CONFLICT (unit_id, year) DO UPDATE SET unit_deadline = ?2, tpi_deadline = ?3",
    )
    .bind(year)
    .bind(&unit)
    .bind(&tpi)
    .bind(v.unit_id)
    .execute(&mut *tx)
    .await?;
    tx.commit(
        &acting.actor,
        Entry::new(Action::DeadlineSet, format!("Tenggat LKE {year} diatur"))
            .after(json!({"tahun": year, "mandiri": unit, "tpi": tpi})),
    )
    .await?;
    Ok(Redirect::to(&format!("/lke/{year}/soal?pesan=tenggat-disimpan")).into_response())
}
