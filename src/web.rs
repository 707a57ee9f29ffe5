//! Shared pieces of every page: the layout's context, rendering, id parsing.

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Response};

use crate::AppState;
use crate::error::{AppError, AppResult};

/// What the base layout needs on every page.
#[derive(Clone, Debug)]
pub struct Chrome {
    /// The work unit's own name, e.g. "Balai Penelitian Ternak".
    pub unit_name: String,
    /// The ministry above it.
    pub ministry_name: String,
}

impl FromRequestParts<AppState> for Chrome {
    type Rejection = AppError;

    async fn from_request_parts(_parts: &mut Parts, state: &AppState) -> AppResult<Self> {
        let names: Vec<(String, String)> = sqlx::query_as(
            "SELECT kind, name FROM units WHERE kind IN ('instansi', 'pusat') ORDER BY id",
        )
        .fetch_all(&state.db)
        .await?;
        let find = |kind: &str| {
            names
                .iter()
                .find(|(k, _)| k == kind)
                .map(|(_, n)| n.clone())
                .unwrap_or_default()
        };
        Ok(Chrome {
            unit_name: find("instansi"),
            ministry_name: find("pusat"),
        })
    }
}

pub fn render<T: Template>(page: &T) -> AppResult<Response> {
    Ok(Html(page.render()?).into_response())
}

/// Ids in paths: anything that is not a positive number names nothing, so 404.
pub fn parse_id(raw: &str) -> AppResult<i64> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(AppError::NotFound)
}
