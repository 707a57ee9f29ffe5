//! Jejak Audit: the filterable audit page (admin and pimpinan).

use crate::audit::{Action, action_label};

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

use crate::AppState;
use crate::error::AppResult;
use crate::web::{Chrome, Pager, QueryData, render};

#[derive(sqlx::FromRow)]
pub(crate) struct Row {
    pub(crate) at: String,
    pub(crate) actor: Option<String>,
    pub(crate) ip: Option<String>,
    pub(crate) action: String,
    pub(crate) summary: String,
    pub(crate) before_json: Option<String>,
    pub(crate) after_json: Option<String>,
}

pub struct AuditView {
    pub at: String,
    pub actor: String,
    pub ip: String,
    pub action: String,
    pub summary: String,
    pub before: String,
    pub after: String,
}

#[derive(Deserialize)]
pub struct AuditQuery {
    pub(crate) aksi: Option<String>,
    pub(crate) pengguna: Option<String>,
    /// First and last day (Asia/Jakarta), YYYY-MM-DD, both optional.
    pub(crate) dari: Option<String>,
    pub(crate) sampai: Option<String>,
    pub(crate) halaman: Option<String>,
}

/// A recorded before/after value as people read it: `aktif: ya; peran: staf`
/// instead of `{"aktif":true,"peran":"staf"}`.
pub fn readable(raw: &str) -> String {
    fn value(v: &serde_json::Value) -> String {
        match v {
            serde_json::Value::Null => "—".into(),
            serde_json::Value::Bool(true) => "ya".into(),
            serde_json::Value::Bool(false) => "tidak".into(),
            serde_json::Value::Number(n) => n.to_string().replace('.', ","),
            serde_json::Value::String(s) if s.is_empty() => "(kosong)".into(),
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Array(a) if a.is_empty() => "(tidak ada)".into(),
            serde_json::Value::Array(a) => a.iter().map(value).collect::<Vec<_>>().join(", "),
            serde_json::Value::Object(o) => o
                .iter()
                .map(|(k, v)| format!("{}: {}", k.replace('_', " "), value(v)))
                .collect::<Vec<_>>()
                .join("; "),
        }
    }
    match serde_json::from_str::<serde_json::Value>(raw) {
        Ok(v) if !raw.is_empty() => value(&v),
        _ => raw.to_string(),
    }
}

/// A day in Asia/Jakarta as the UTC stamp of its first second (the log's format).
fn day_start_utc(raw: Option<&str>, plus_days: i64) -> Option<String> {
    let d = chrono::NaiveDate::parse_from_str(raw?.trim(), "%Y-%m-%d").ok()?;
    let start =
        d.and_hms_opt(0, 0, 0)? + chrono::Duration::days(plus_days) - chrono::Duration::hours(7);
    Some(start.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

pub struct ActionOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "audit/index.html")]
pub(crate) struct AuditPage {
    pub(crate) chrome: Chrome,
    pub(crate) rows: Vec<AuditView>,
    pub(crate) actions: Vec<ActionOption>,
    pub(crate) actor_filter: String,
    pub(crate) from_filter: String,
    pub(crate) until_filter: String,
    pub(crate) pager: Pager,
}

pub(crate) const PAGE_SIZE: i64 = 50;

pub(crate) async fn audit_page(
    State(state): State<AppState>,
    unit: crate::tenant::Unit,
    user: crate::auth::CurrentUser,
    chrome: Chrome,
    QueryData(q): QueryData<AuditQuery>,
) -> AppResult<Response> {
    let action = q
        .aksi
        .as_deref()
        .and_then(Action::parse)
        .map(|a| a.as_str().to_string());
    let actor = q
        .pengguna
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.chars().take(64).collect::<String>());
    let page = Pager::page_from(q.halaman.as_deref());
    // a unit's people see their unit's trail; the instansi's also what concerns all
    let instansi_too = user.is_instansi();
    let from = day_start_utc(q.dari.as_deref(), 0);
    let until = day_start_utc(q.sampai.as_deref(), 1);
    let total: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log
         WHERE (?1 IS NULL OR action = ?1) AND (?2 IS NULL OR actor LIKE '%' || ?2 || '%')
           AND (?3 IS NULL OR at >= ?3) AND (?4 IS NULL OR at < ?4)
           AND (unit_id = ?5 OR (?6 AND unit_id IS NULL))",
    )
    .bind(&action)
    .bind(&actor)
    .bind(&from)
    .bind(&until)
    .bind(unit.id)
    .bind(instansi_too)
    .fetch_one(&state.db)
    .await?;
    let pager = Pager::new(page, PAGE_SIZE, total, {
        let mut params = Vec::new();
        if let Some(a) = &action {
            params.push(("aksi", a.clone()));
        }
        if let Some(a) = &actor {
            params.push(("pengguna", a.clone()));
        }
        for (k, v) in [("dari", &q.dari), ("sampai", &q.sampai)] {
            if let Some(v) = v.as_deref().filter(|v| !v.trim().is_empty()) {
                params.push((k, v.trim().chars().take(10).collect()));
            }
        }
        crate::web::query_string("/audit", &params)
    });
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT at, actor, ip, action, summary, before_json, after_json FROM audit_log
         WHERE (?1 IS NULL OR action = ?1) AND (?2 IS NULL OR actor LIKE '%' || ?2 || '%')
           AND (?5 IS NULL OR at >= ?5) AND (?6 IS NULL OR at < ?6)
           AND (unit_id = ?7 OR (?8 AND unit_id IS NULL))
         ORDER BY id DESC LIMIT ?3 OFFSET ?4",
    )
    .bind(&action)
    .bind(&actor)
    .bind(PAGE_SIZE)
    .bind(pager.offset())
    .bind(&from)
    .bind(&until)
    .bind(unit.id)
    .bind(instansi_too)
    .fetch_all(&state.db)
    .await?;
    let rows = rows
        .into_iter()
        .map(|r| AuditView {
            at: crate::fmt::stored_datetime_id(&r.at),
            actor: r.actor.unwrap_or_default(),
            ip: r.ip.unwrap_or_default(),
            action: action_label(&r.action),
            summary: r.summary,
            before: readable(&r.before_json.unwrap_or_default()),
            after: readable(&r.after_json.unwrap_or_default()),
        })
        .collect();
    let actions = Action::ALL
        .iter()
        .map(|a| ActionOption {
            value: a.as_str(),
            label: a.label(),
            selected: action.as_deref() == Some(a.as_str()),
        })
        .collect();
    render(&AuditPage {
        chrome,
        rows,
        actions,
        actor_filter: actor.unwrap_or_default(),
        from_filter: q.dari.unwrap_or_default().chars().take(10).collect(),
        until_filter: q.sampai.unwrap_or_default().chars().take(10).collect(),
        pager,
    })
}
