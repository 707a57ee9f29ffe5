//! Cross-site request forgery: every state-changing request carries the session's
//! token in its body (the sign-in form, before there is a session, a double-submit
//! cookie). The token never travels in a URL, so it stays out of history and logs.

use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use subtle::ConstantTimeEq;

use super::{CurrentUser, PRE_CSRF_COOKIE, cookie_value};
use crate::config::Config;
use crate::error::error_page;

pub const FIELD: &str = "csrf_token";

/// The token this request must carry: its session's, or before sign-in the one in the
/// sign-in form's cookie.
pub fn expected_token(parts: &Parts) -> Option<String> {
    match parts.extensions.get::<CurrentUser>() {
        Some(u) => Some(form_token(u)),
        None => cookie_value(&parts.headers, PRE_CSRF_COOKIE),
    }
}

/// The token a page's forms carry: the session's, bound to the unit the page shows.
/// A form of unit A sent after another tab opened unit B is refused instead of
/// changing unit B's data.
pub fn form_token(u: &CurrentUser) -> String {
    match &u.unit {
        Some(unit) => format!("{}.{}", u.csrf_token, unit.id),
        None => u.csrf_token.clone(),
    }
}

/// Compared in constant time; an empty expectation matches nothing.
pub fn tokens_match(expected: &str, submitted: &str) -> bool {
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(submitted.as_bytes()))
}

pub fn accepts(expected: Option<&str>, submitted: Option<&str>) -> bool {
    matches!((expected, submitted), (Some(e), Some(s)) if tokens_match(e, s))
}

pub fn rejected() -> Response {
    error_page(
        StatusCode::FORBIDDEN,
        "Formulir tidak sah atau kedaluwarsa",
        "Permintaan ini tidak membawa token keamanan yang benar, jadi tidak ada yang diubah. \
         Muat ulang halaman formulir, lalu kirim kembali.",
    )
}

/// The sign-in form's double-submit cookie.
pub fn pre_sign_in_cookie(config: &Config, token: &str) -> HeaderValue {
    let cookie = cookie::Cookie::build((PRE_CSRF_COOKIE, token.to_string()))
        .path("/")
        .http_only(true)
        .same_site(cookie::SameSite::Strict)
        .secure(config.secure_cookies())
        .build();
    HeaderValue::from_str(&cookie.to_string()).expect("cookie is ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_must_match_exactly() {
        assert!(tokens_match("abc", "abc"));
        assert!(!tokens_match("abc", "abd"));
        assert!(!tokens_match("abc", "ab"));
        assert!(!tokens_match("abc", ""));
        assert!(!tokens_match("", ""), "no expectation matches nothing");
        assert!(accepts(Some("t"), Some("t")));
        assert!(!accepts(None, Some("t")));
        assert!(!accepts(Some("t"), None));
    }
}
