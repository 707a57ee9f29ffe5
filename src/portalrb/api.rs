//! The integration API PortalRB calls: three GETs behind a Bearer token, JSON only,
//! no cookies, every non-2xx answer `{"error": true, "code", "message"}`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::audit::{Action, Actor, Entry};
use crate::auth::ClientIp;
use crate::routes::{Access, Route};

/// The API's routes under the configured prefix (paths live as long as the program).
pub fn routes(prefix: &str) -> Vec<Route> {
    use axum::routing::get;
    let at = |tail: &str| -> &'static str {
        Box::leak(format!("{}{tail}", prefix.trim_end_matches('/')).into_boxed_str())
    };
    vec![
        Route::new(
            "GET",
            at("/pengusulan/unit-wbk"),
            Access::Public,
            get(unit_wbk),
        ),
        Route::new(
            "GET",
            at("/pengusulan/unit-wbbm"),
            Access::Public,
            get(unit_wbbm),
        ),
        Route::new(
            "GET",
            at("/lke/jawaban-unit/{unit_id}"),
            Access::Public,
            get(answers),
        ),
        // anything else under the prefix answers in the API's own words
        Route::new("GET", at("/{*rest}"), Access::Public, get(unknown)),
        Route::new("GET", at("/"), Access::Public, get(unknown)),
        Route::new("GET", at(""), Access::Public, get(unknown)),
    ]
}

pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        tracing::error!(error = %e, "portalrb api: database error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            "Terjadi kesalahan pada server instansi.",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (
            self.status,
            Json(json!({"error": true, "code": self.code, "message": self.message})),
        )
            .into_response();
        if let Some(s) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&s.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}

type ApiResult = Result<Response, ApiError>;

/// The public address the evidence links need: without `--public-url` the API does
/// not answer at all.
fn public_base(state: &AppState) -> Result<String, ApiError> {
    state.config.public_base().ok_or_else(|| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            "API PortalRB belum aktif: server instansi berjalan tanpa --public-url.",
        )
    })
}

/// Calls per token in the current minute.
#[derive(Default)]
pub struct Rate {
    windows: Mutex<HashMap<i64, (Instant, u32)>>,
}

/// Rejected calls one address may have counted in a minute; past it, a call without
/// a valid token is refused with 429 before anything is written.
const REJECTED_PER_MINUTE: u32 = 20;

/// Rejected calls per client address in the current minute.
#[derive(Default)]
pub struct Rejected {
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl Rejected {
    /// Counts a rejected call of the address, or, when it is over the limit, counts
    /// nothing and gives the seconds until its minute ends (one step under the lock,
    /// so simultaneous calls cannot all slip under the limit).
    fn count(&self, ip: &str) -> Result<(), u64> {
        let mut w = self.windows.lock().expect("rejected-calls lock");
        let now = Instant::now();
        // calls from ever new addresses must not grow the table without end
        if w.len() >= 10_000 {
            w.retain(|_, (start, _)| now.duration_since(*start) < Duration::from_secs(60));
        }
        let e = w.entry(ip.to_string()).or_insert((now, 0));
        let age = now.duration_since(e.0);
        if age >= Duration::from_secs(60) {
            *e = (now, 0);
        } else if e.1 >= REJECTED_PER_MINUTE {
            return Err(60 - age.as_secs().min(59));
        }
        e.1 += 1;
        Ok(())
    }
}

fn rate_limited(retry_after: u64) -> ApiError {
    let mut err = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMITED",
        "Terlalu banyak permintaan; coba lagi sebentar.",
    );
    err.retry_after = Some(retry_after);
    err
}

/// A rejected call: counted (per address, status and minute: one row however many),
/// unless its address is over its limit, which answers 429 and writes nothing.
async fn reject(state: &AppState, ip: &str, err: ApiError) -> ApiError {
    if let Err(secs) = state.caches.get::<Rejected>().count(ip) {
        return rate_limited(secs);
    }
    let now = chrono::Utc::now().timestamp();
    let counted = async {
        let mut tx = crate::db::write(&state.db).await?;
        sqlx::query(
            "INSERT INTO api_failures (at, ip, status, count) VALUES (?, ?, ?, 1)
             ON CONFLICT (at, ip, status) DO UPDATE SET count = count + 1",
        )
        .bind(now - now % 60)
        .bind(ip)
        .bind(err.status.as_u16() as i64)
        .execute(&mut *tx)
        .await?;
        // a count only: the audit trail holds answered calls
        tx.commit_unaudited().await
    };
    if let Err(e) = counted.await {
        tracing::warn!(error = %e, "counting a rejected API call failed");
    }
    err
}

/// The token of a call: a valid one passes (and is recorded as used); a missing or
/// unknown one is 401, a revoked or expired one 403; rejected calls are only counted,
/// and an address with too many of them gets 429 unless its token is valid.
async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    ip: &str,
) -> Result<(i64, String), ApiError> {
    let raw = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let fail = |status: StatusCode, code: &'static str, msg: &'static str| {
        reject(state, ip, ApiError::new(status, code, msg))
    };
    let Some(raw) = raw else {
        return Err(fail(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", "Token tidak ada.").await);
    };
    let row: Option<(i64, String, String, Option<String>)> = sqlx::query_as(
        "SELECT id, name, expires_at, revoked_at FROM api_tokens WHERE token_hash = ?",
    )
    .bind(super::hash_token(raw))
    .fetch_optional(&state.db)
    .await?;
    let Some((id, name, expires, revoked)) = row else {
        return Err(fail(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "Token tidak dikenal.",
        )
        .await);
    };
    if revoked.is_some() {
        return Err(fail(StatusCode::FORBIDDEN, "FORBIDDEN", "Token telah dicabut.").await);
    }
    if expires <= crate::fmt::now_stamp() {
        return Err(fail(
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            "Token telah kedaluwarsa.",
        )
        .await);
    }
    // the per-token rate, over a fixed minute; a call it refuses is not written
    let limit = state.config.portalrb_rate_per_minute.max(1);
    let rate = state.caches.get::<Rate>();
    let retry = {
        let mut w = rate.windows.lock().expect("rate lock");
        let now = Instant::now();
        let e = w.entry(id).or_insert((now, 0));
        if now.duration_since(e.0) >= Duration::from_secs(60) {
            *e = (now, 0);
        }
        e.1 += 1;
        (e.1 > limit).then(|| 60 - now.duration_since(e.0).as_secs().min(59))
    };
    if let Some(secs) = retry {
        return Err(rate_limited(secs));
    }
    // a genuine call, but the evidence links need the public address
    public_base(state)?;
    Ok((id, name))
}

/// `?tahun=` given twice (or otherwise not one value), after the token is checked.
fn query_refused(_: QueryRejection) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "INVALID_PARAMETER",
        "Parameter tahun harus satu tahun saja, mis. ?tahun=2026.",
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct YearQuery {
    tahun: Option<String>,
}

/// `?tahun=Y`, else the year whose window holds today, else the latest year with
/// proposals.
async fn year(state: &AppState, q: &YearQuery) -> Result<i64, ApiError> {
    if let Some(raw) = q.tahun.as_deref() {
        return raw
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|y| crate::catalogue::writer::valid_year(*y))
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "INVALID_PARAMETER",
                    "Parameter tahun harus berupa tahun, mis. 2026.",
                )
            });
    }
    let today = state.config.clock.today().to_string();
    let open: Option<i64> = sqlx::query_scalar(
        "SELECT year FROM portalrb_windows WHERE opens <= ?1 AND closes >= ?1 ORDER BY year DESC LIMIT 1",
    )
    .bind(&today)
    .fetch_optional(&state.db)
    .await?;
    if let Some(y) = open {
        return Ok(y);
    }
    let latest: Option<i64> = sqlx::query_scalar("SELECT max(year) FROM portalrb_proposals")
        .fetch_one(&state.db)
        .await?;
    latest.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "DATA_NOT_FOUND",
            "Belum ada unit yang diusulkan.",
        )
    })
}

/// Records an answered call: the token's last use and the audit entry, in one write.
async fn audit_call(
    state: &AppState,
    (token_id, token): (i64, &str),
    ip: &str,
    what: String,
) -> sqlx::Result<()> {
    let mut tx = crate::db::write(&state.db).await?;
    sqlx::query("UPDATE api_tokens SET last_used_at = ?, last_used_ip = ? WHERE id = ?")
        .bind(crate::fmt::now_stamp())
        .bind(ip)
        .bind(token_id)
        .execute(&mut *tx)
        .await?;
    tx.commit(
        &Actor {
            id: None,
            name: format!("(PortalRB: {token})"),
            ip: Some(ip.to_string()),
            unit_id: None,
        },
        Entry::new(Action::PortalrbFetched, what),
    )
    .await
}

async fn unit_list(
    state: &AppState,
    headers: &HeaderMap,
    ip: &str,
    q: Result<Query<YearQuery>, QueryRejection>,
    wbbm: bool,
) -> ApiResult {
    let (token_id, token) = authenticate(state, headers, ip).await?;
    let Query(q) = q.map_err(query_refused)?;
    let year = year(state, &q).await?;
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT w.code, w.name, p.kategori FROM portalrb_proposals p
         JOIN work_units w ON w.id = p.unit_id
         WHERE p.year = ? AND (p.kategori = 'WBBM') = ? ORDER BY w.code",
    )
    .bind(year)
    .bind(wbbm)
    .fetch_all(&state.db)
    .await?;
    let units: Vec<Value> = rows
        .into_iter()
        .map(|(id, nama, kategori)| {
            json!({"id": id, "nama": nama, "afirmasi": kategori == "WBK-AFIRMASI", "kategori": kategori})
        })
        .collect();
    audit_call(
        state,
        (token_id, &token),
        ip,
        format!(
            "PortalRB mengambil daftar usulan {} tahun {year} ({} unit)",
            if wbbm { "WBBM" } else { "WBK" },
            units.len()
        ),
    )
    .await?;
    Ok(Json(json!({"tahun": year, "units": units})).into_response())
}

pub(crate) async fn unit_wbk(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    q: Result<Query<YearQuery>, QueryRejection>,
) -> Response {
    unit_list(&state, &headers, &ip, q, false)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

pub(crate) async fn unit_wbbm(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    q: Result<Query<YearQuery>, QueryRejection>,
) -> Response {
    unit_list(&state, &headers, &ip, q, true)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// Every question of the year's master, in the master's order: the unit's answers as
/// they stand (unconfirmed drafts are not answers), the TPI's once its evaluation is
/// final; nulls where empty.
/// `base` is the public address the evaluators' evidence links start with.
pub async fn answers_json(
    db: &sqlx::SqlitePool,
    data_dir: &std::path::Path,
    unit: &crate::tenant::UnitRef,
    year: i64,
    base: &str,
) -> sqlx::Result<Option<Value>> {
    let Some(master) = crate::lke::store::load_master(db, year).await? else {
        return Ok(None);
    };
    let stored = crate::lke::store::stored(db, unit.id, year).await?;
    let state = crate::lke::work::state(db, unit.id, year).await?;
    let final_tpi = state.tpi_locked();
    let text = |s: &str| (!s.trim().is_empty()).then(|| s.to_string());
    let secret = crate::link_key::read(data_dir).map_err(sqlx::Error::Io)?;
    let until = super::evidence::links_until(db, year).await?;
    let mut questions: Vec<&crate::lke::model::Question> = master.questions.iter().collect();
    questions.sort_by_key(|q| (q.excel_row, q.id));
    let answers: Vec<Value> = questions
        .into_iter()
        .map(|q| {
            let u = stored
                .get(&(q.id, crate::lke::store::Side::Unit))
                .filter(|s| s.draft_from.is_none());
            let t = stored
                .get(&(q.id, crate::lke::store::Side::Tpi))
                .filter(|_| final_tpi);
            json!({
                "soal_id": q.id,
                "jawaban_unit": u.and_then(|s| s.answer.clone()),
                "jawaban_tpi": t.and_then(|s| s.answer.clone()),
                "catatan_unit": u.and_then(|s| text(&s.note)),
                // the evaluators' signed page for this answer's evidence
                "bukti_dukung_unit": u.map(|_| format!(
                    "{base}{}",
                    super::evidence::path(&secret, &unit.code, year, q.id, until)
                )),
                "catatan_tpi": t.and_then(|s| text(&s.note)),
            })
        })
        .collect();
    Ok(Some(json!({
        "unit_id": unit.code,
        "nama_unit": unit.name,
        "tahun": year,
        "answers": answers,
    })))
}

pub(crate) async fn answers(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    unit_id: Result<Path<String>, PathRejection>,
    q: Result<Query<YearQuery>, QueryRejection>,
) -> Response {
    let run = async {
        let (token_id, token) = authenticate(&state, &headers, &ip).await?;
        let Query(q) = q.map_err(query_refused)?;
        let year = year(&state, &q).await?;
        // an id that is not even text (bad percent-encoding) names no unit
        let unit_id = unit_id.map(|Path(id)| id).unwrap_or_default();
        let not_found = || {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "DATA_NOT_FOUND",
                format!("Unit \"{unit_id}\" tidak diusulkan untuk tahun {year}."),
            )
        };
        let unit = super::proposed_unit(&state.db, year, &unit_id)
            .await?
            .ok_or_else(not_found)?;
        let base = public_base(&state)?;
        let body = answers_json(&state.db, &state.config.data_dir, &unit, year, &base)
            .await?
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "DATA_NOT_FOUND",
                    format!("Tahun {year} belum punya master LKE."),
                )
            })?;
        audit_call(
            &state,
            (token_id, &token),
            &ip,
            format!("PortalRB mengambil jawaban LKE {year} unit {}", unit.code),
        )
        .await?;
        Ok::<Response, ApiError>(Json(body).into_response())
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}

pub(crate) async fn unknown(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
) -> Response {
    match authenticate(&state, &headers, &ip).await {
        Err(e) => e.into_response(),
        Ok(_) => ApiError::new(
            StatusCode::NOT_FOUND,
            "DATA_NOT_FOUND",
            "Alamat API tidak dikenal.",
        )
        .into_response(),
    }
}

/// Everything under the API's prefix answers as the API: methods other than GET get
/// 405 at once (the authorization middleware would send them to the sign-in page), and
/// a non-2xx answer made outside the handlers (a timeout, a refused body, an unknown
/// address) becomes the API's JSON error with the same status.
pub async fn guard(State(prefix): State<Arc<str>>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let under = path
        .strip_prefix(&*prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
    if !under {
        return next.run(req).await;
    }
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        let mut res = ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "API ini hanya menerima permintaan GET.",
        )
        .into_response();
        res.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return res;
    }
    let res = next.run(req).await;
    let json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if res.status().is_success() || json {
        return res;
    }
    // a redirect (to the sign-in page) is never an API's answer: nothing is there
    let status = if res.status().is_redirection() {
        StatusCode::NOT_FOUND
    } else {
        res.status()
    };
    let (code, message) = match status {
        StatusCode::UNAUTHORIZED => ("UNAUTHORIZED", "Token tidak ada."),
        StatusCode::FORBIDDEN => ("FORBIDDEN", "Akses ditolak."),
        StatusCode::NOT_FOUND => ("DATA_NOT_FOUND", "Alamat API tidak dikenal."),
        StatusCode::REQUEST_TIMEOUT => ("REQUEST_TIMEOUT", "Permintaan terlalu lama diproses."),
        StatusCode::PAYLOAD_TOO_LARGE => ("PAYLOAD_TOO_LARGE", "Permintaan terlalu besar."),
        StatusCode::TOO_MANY_REQUESTS => (
            "RATE_LIMITED",
            "Terlalu banyak permintaan; coba lagi sebentar.",
        ),
        s if s.is_server_error() => ("INTERNAL_ERROR", "Terjadi kesalahan pada server instansi."),
        _ => ("BAD_REQUEST", "Permintaan tidak dapat dibaca."),
    };
    let mut out = ApiError::new(status, code, message).into_response();
    if let Some(v) = res.headers().get(header::RETRY_AFTER) {
        out.headers_mut().insert(header::RETRY_AFTER, v.clone());
    }
    out
}
