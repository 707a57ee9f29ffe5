//! The national evaluators' (TPN) view of a unit's evidence: `bukti_dukung_unit` is an
//! absolute link to a read-only page for one unit, year and question, signed with a
//! key kept in a file beside the database (HMAC-SHA-256, `link_key`), valid until a
//! date the admin sets, all revoked at once by replacing the key. An opening is audited
//! once per link, address and hour; a tampered, expired or revoked link shows a clear
//! page and nothing else.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sha2::Sha256;
use sqlx::SqlitePool;

use crate::AppState;
use crate::audit::{Action, Actor, Entry};
use crate::auth::ClientIp;
use crate::error::{AppResult, error_page};
use crate::routes::{Access, Route};
use crate::web::render;

pub fn routes() -> Vec<Route> {
    use axum::routing::get;
    vec![
        Route::new(
            "GET",
            "/evaluasi/{kode}/{tahun}/{soal}",
            Access::Public,
            get(page),
        ),
        Route::new(
            "GET",
            "/evaluasi/{kode}/{tahun}/{soal}/bukti/{id}",
            Access::Public,
            get(file),
        ),
    ]
}

/// A new key: every link given out so far stops working.
pub async fn rotate(
    db: &SqlitePool,
    data_dir: &std::path::Path,
    actor: &Actor,
) -> anyhow::Result<()> {
    // under the write lock; the entry commits once the new key is in place
    let tx = crate::db::write(db).await?;
    crate::link_key::replace(data_dir)?;
    tx.commit(
        &actor.clone().instansi_wide(),
        Entry::new(
            Action::PortalrbLinksRotated,
            "Semua tautan bukti untuk evaluator dicabut (kunci diganti)",
        ),
    )
    .await?;
    Ok(())
}

/// Until when a year's links are valid: the admin's date, else the year's end.
pub async fn links_until(db: &SqlitePool, year: i64) -> sqlx::Result<NaiveDate> {
    let set: Option<Option<String>> =
        sqlx::query_scalar("SELECT links_until FROM portalrb_windows WHERE year = ?")
            .bind(year)
            .fetch_optional(db)
            .await?;
    Ok(set
        .flatten()
        .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(year as i32, 12, 31).expect("a date")))
}

fn signature(secret: &str, code: &str, year: i64, question: i64, until: &str) -> String {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{code}|{year}|{question}|{until}").as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The signed address of one question's evidence page (without the public base).
pub fn path(secret: &str, code: &str, year: i64, question: i64, until: NaiveDate) -> String {
    let until = until.format("%Y-%m-%d").to_string();
    format!(
        "/evaluasi/{code}/{year}/{question}?sampai={until}&tanda={}",
        signature(secret, code, year, question, &until)
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Signed {
    sampai: String,
    tanda: String,
}

/// Whether a link is genuine and still valid: before the date signed into it, before
/// the year's `links_until` as it stands now (moving it earlier revokes links already
/// given out), and for a unit proposed that year (constant-time comparison).
async fn check(
    state: &AppState,
    (code, year, question): (&str, i64, i64),
    q: &Signed,
) -> sqlx::Result<bool> {
    use subtle::ConstantTimeEq;
    let Ok(until) = NaiveDate::parse_from_str(&q.sampai, "%Y-%m-%d") else {
        return Ok(false);
    };
    let today = state.config.clock.today();
    if today > until {
        return Ok(false);
    }
    let key = crate::link_key::read(&state.config.data_dir).map_err(sqlx::Error::Io)?;
    let expected = signature(&key, code, year, question, &q.sampai);
    if !bool::from(expected.as_bytes().ct_eq(q.tanda.as_bytes())) {
        return Ok(false);
    }
    Ok(today <= links_until(&state.db, year).await?
        && super::proposed_unit(&state.db, year, code).await?.is_some())
}

fn refused() -> Response {
    error_page(
        StatusCode::FORBIDDEN,
        "Tautan tidak berlaku",
        "Tautan bukti dukung ini tidak sah, sudah kedaluwarsa, atau sudah dicabut oleh instansi. \
         Mintalah tautan terbaru melalui PortalRB.",
    )
}

pub struct Item {
    pub id: i64,
    pub label: String,
    pub url: Option<String>,
    pub is_file: bool,
}

#[derive(Template)]
#[template(path = "portalrb/evidence.html")]
struct EvidencePage {
    unit_name: String,
    year: i64,
    number: i64,
    question: String,
    answer: String,
    note: String,
    evidence_text: String,
    evidence_link: Option<String>,
    items: Vec<Item>,
    signed_query: String,
    base: String,
}

/// The unit answer behind a link: (unit id, unit name, answer id, answer, note, evidence).
type Behind = (i64, String, i64, Option<String>, String, String);

async fn behind(
    db: &SqlitePool,
    code: &str,
    year: i64,
    question: i64,
) -> sqlx::Result<Option<Behind>> {
    sqlx::query_as(
        "SELECT w.id, w.name, a.id, a.answer, a.note, a.evidence FROM lke_answers a
         JOIN work_units w ON w.id = a.unit_id
         WHERE w.code = ? AND a.year = ? AND a.question_id = ? AND a.side = 'unit'
           AND a.draft_from IS NULL",
    )
    .bind(code)
    .bind(year)
    .bind(question)
    .fetch_optional(db)
    .await
}

/// Audits an opening of `link` (the signature, and the file for a download) unless the
/// same link was already audited from the same address this hour: one link opened in a
/// loop would otherwise flood the append-only trail.
async fn opened(state: &AppState, ip: &str, link: &str, what: String) -> sqlx::Result<()> {
    let hour = state.config.clock.now().format("%Y-%m-%dT%H").to_string();
    let link = super::hash_token(link);
    let seen = "SELECT EXISTS (SELECT 1 FROM portalrb_link_openings WHERE link = ? AND ip = ? AND hour = ?)";
    // the usual repeat is a read, without taking the write lock
    let already: bool = sqlx::query_scalar(seen)
        .bind(&link)
        .bind(ip)
        .bind(&hour)
        .fetch_one(&state.db)
        .await?;
    if already {
        return Ok(());
    }
    let mut tx = crate::db::write(&state.db).await?;
    // only the current hour is needed to tell a repeat
    sqlx::query("DELETE FROM portalrb_link_openings WHERE hour < ?")
        .bind(&hour)
        .execute(&mut *tx)
        .await?;
    let first = sqlx::query(
        "INSERT INTO portalrb_link_openings (link, ip, hour) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
    )
    .bind(&link)
    .bind(ip)
    .bind(&hour)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !first {
        // a request just before this one audited it
        return tx.rollback().await;
    }
    tx.commit(
        &Actor {
            id: None,
            name: "(evaluator melalui tautan)".into(),
            ip: Some(ip.to_string()),
            unit_id: None,
        },
        Entry::new(Action::PortalrbEvidenceOpened, what),
    )
    .await
}

pub(crate) async fn page(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path((code, year, question)): Path<(String, i64, i64)>,
    Query(q): Query<Signed>,
) -> AppResult<Response> {
    if !check(&state, (&code, year, question), &q).await? {
        return Ok(refused());
    }
    let Some((_, unit_name, answer_id, answer, note, evidence)) =
        behind(&state.db, &code, year, question).await?
    else {
        return Ok(refused());
    };
    let text: String =
        sqlx::query_scalar("SELECT text FROM lke_questions WHERE year = ? AND id = ?")
            .bind(year)
            .bind(question)
            .fetch_optional(&state.db)
            .await?
            .unwrap_or_default();
    let items: Vec<(i64, String, Option<String>, String)> = sqlx::query_as(
        "SELECT e.id, e.label, e.url, e.kind FROM lke_answer_evidence l JOIN evidence e ON e.id = l.evidence_id
         WHERE l.answer_id = ? AND e.removed_at IS NULL ORDER BY e.id",
    )
    .bind(answer_id)
    .fetch_all(&state.db)
    .await?;
    opened(
        &state,
        &ip,
        &q.tanda,
        format!("Evaluator membuka bukti soal {question} LKE {year} unit {code}"),
    )
    .await?;
    let link = crate::evidence::storage::check_link(&evidence).ok();
    render(&EvidencePage {
        unit_name,
        year,
        number: question,
        question: text,
        answer: answer.unwrap_or_else(|| "—".into()),
        note,
        evidence_text: evidence,
        evidence_link: link,
        items: items
            .into_iter()
            .map(|(id, label, url, kind)| Item {
                id,
                label,
                url,
                is_file: kind == "file",
            })
            .collect(),
        signed_query: format!("sampai={}&tanda={}", q.sampai, q.tanda),
        base: format!("/evaluasi/{code}/{year}/{question}"),
    })
}

pub(crate) async fn file(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path((code, year, question, id)): Path<(String, i64, i64, i64)>,
    Query(q): Query<Signed>,
) -> AppResult<Response> {
    if !check(&state, (&code, year, question), &q).await? {
        return Ok(refused());
    }
    let Some((_, _, answer_id, ..)) = behind(&state.db, &code, year, question).await? else {
        return Ok(refused());
    };
    let linked: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM lke_answer_evidence WHERE answer_id = ? AND evidence_id = ?)",
    )
    .bind(answer_id)
    .bind(id)
    .fetch_one(&state.db)
    .await?;
    let item = match crate::evidence::get(&state.db, id).await? {
        Some(item) if linked && item.removed_at.is_none() => item,
        _ => return Ok(refused()),
    };
    opened(
        &state,
        &ip,
        &format!("{}/bukti/{id}", q.tanda),
        format!("Evaluator mengunduh bukti {id} soal {question} LKE {year} unit {code}"),
    )
    .await?;
    crate::step::evidence::respond(&state, &item, false).await
}
