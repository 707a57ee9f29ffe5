//! Shared pieces of every page: the layout's context, rendering, forms, paging.

pub mod assets;
pub mod chrome;
pub mod form;

pub use chrome::{Chrome, Flash, NavItem};
pub use form::{Acting, Empty, Form, multipart_with_token};

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::error::{AppError, AppResult, error_page};

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
