//! Shared pieces of every page: the layout's context, rendering, forms, paging.

pub mod assets;
pub mod chrome;
pub mod form;
pub mod limits;

pub use chrome::{Chrome, Flash, NavItem};
pub use form::{Acting, Empty, Form, Upload, UploadError, multipart_with_token, read_upload};

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

/// Why a list of ids from a form was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum IdListError<'a> {
    /// This entry is not a positive whole number.
    NotAnId(&'a str),
    /// More entries than `max`: more than any page offers.
    TooMany(usize),
}

/// The distinct positive ids of a form's list, in their first order. A list longer
/// than `max` (what a page can offer, a few hundred) is refused before any work, and
/// repeats are dropped through a set, so a forged list cannot keep a worker busy.
pub fn distinct_ids<'a>(
    raw: impl IntoIterator<Item = &'a str>,
    max: usize,
) -> Result<Vec<i64>, IdListError<'a>> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (n, part) in raw
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .enumerate()
    {
        if n >= max {
            return Err(IdListError::TooMany(max));
        }
        match part.parse::<i64>() {
            Ok(id) if id >= 1 => {
                if seen.insert(id) {
                    out.push(id);
                }
            }
            _ => return Err(IdListError::NotAnId(part)),
        }
    }
    Ok(out)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_lists_are_distinct_bounded_and_checked() {
        assert_eq!(
            distinct_ids(["3", " 1", "3", "", "2"], 10),
            Ok(vec![3, 1, 2])
        );
        assert_eq!(distinct_ids(["1", "x"], 10), Err(IdListError::NotAnId("x")));
        assert_eq!(distinct_ids(["0"], 10), Err(IdListError::NotAnId("0")));
        assert_eq!(distinct_ids(["1"; 4], 3), Err(IdListError::TooMany(3)));
        assert_eq!(distinct_ids(["1"; 3], 3), Ok(vec![1]));
    }

    #[test]
    fn pages_are_counted_and_clamped() {
        let p = Pager::new(1, 25, 28, "/admin/pengguna".into());
        assert_eq!((p.page, p.pages, p.offset()), (1, 2, 0));
        assert_eq!(p.prev(), None);
        assert_eq!(p.next().as_deref(), Some("/admin/pengguna?halaman=2"));
        let last = Pager::new(9, 25, 28, "/audit?aksi=login".into());
        assert_eq!((last.page, last.offset()), (2, 25));
        assert_eq!(last.prev().as_deref(), Some("/audit?aksi=login&halaman=1"));
        assert_eq!(Pager::new(1, 25, 0, "/x".into()).pages, 1);
        for (raw, page) in [
            (None, 1),
            (Some("3"), 3),
            (Some("0"), 1),
            (Some("-2"), 1),
            (Some("x"), 1),
        ] {
            assert_eq!(Pager::page_from(raw), page);
        }
    }

    #[test]
    fn ids_in_paths_are_positive_numbers() {
        assert_eq!(parse_id("12").ok(), Some(12));
        for bad in ["0", "-1", "abc", "1.5", ""] {
            assert!(parse_id(bad).is_err(), "{bad}");
        }
        assert_eq!(query_string("/a", &[("q", "x y&z".into())]), "/a?q=x+y%26z");
    }
}
