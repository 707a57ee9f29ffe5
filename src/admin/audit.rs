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
    pub(crate) halaman: Option<String>,
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
    pub(crate) pager: Pager,
}

pub(crate) const PAGE_SIZE: i64 = 50;

pub(crate) async fn audit_page(
    State(state): State<AppState>,
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
    let total: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log
         WHERE (?1 IS NULL OR action = ?1) AND (?2 IS NULL OR actor LIKE '%' || ?2 || '%')",
    )
    .bind(&action)
    .bind(&actor)
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
        crate::web::query_string("/audit", &params)
    });
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT at, actor, ip, action, summary, before_json, after_json FROM audit_log
         WHERE (?1 IS NULL OR action = ?1) AND (?2 IS NULL OR actor LIKE '%' || ?2 || '%')
         ORDER BY id DESC LIMIT ?3 OFFSET ?4",
    )
    .bind(&action)
    .bind(&actor)
    .bind(PAGE_SIZE)
    .bind(pager.offset())
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
            before: r.before_json.unwrap_or_default(),
            after: r.after_json.unwrap_or_default(),
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
        pager,
    })
}
