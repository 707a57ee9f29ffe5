//! What a request's framing must say before its body is read: a length (no
//! Transfer-Encoding, so a proxy and the tracker cannot disagree on where a body ends),
//! and a length within the route's limit (refused at once instead of read first).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::error::error_page;

/// The largest body of a route without a limit of its own (forms are small).
pub const DEFAULT_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// The body limit of each (method, route pattern) that has one beyond the default.
pub type BodyLimits = HashMap<(&'static str, String), usize>;

/// Refuses, before reading a byte of the body, a request framed by Transfer-Encoding
/// (400) and one whose Content-Length is beyond its route's limit (413).
pub async fn check_framing(
    State(limits): State<Arc<BodyLimits>>,
    req: Request,
    next: Next,
) -> Response {
    // hyper drops Content-Length when Transfer-Encoding comes with it, so the two
    // cannot be told apart here: browsers and a buffering proxy always send a length
    if req.headers().contains_key(header::TRANSFER_ENCODING) {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Kiriman tidak dapat dibaca",
            "Kiriman harus menyebut panjangnya (Content-Length); kiriman bertahap \
             (Transfer-Encoding) tidak diterima.",
        );
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let own = req
        .extensions()
        .get::<MatchedPath>()
        .and_then(|m| limits.get(&(req.method().as_str(), m.as_str().to_string())))
        .copied();
    let limit = own.unwrap_or(DEFAULT_BODY_LIMIT);
    if declared.is_some_and(|n| n > limit as u64) {
        // the routes with a limit of their own take files; the others, forms
        return error_page(
            StatusCode::PAYLOAD_TOO_LARGE,
            if own.is_some() {
                "Berkas terlalu besar"
            } else {
                "Isian terlalu besar"
            },
            &format!(
                "Kiriman ini melebihi batas ukuran halaman ini ({}). Perkecil berkasnya atau \
                 persingkat isiannya, lalu kirim kembali.",
                size_label(limit)
            ),
        );
    }
    next.run(req).await
}

fn size_label(bytes: usize) -> String {
    let mb = bytes as f64 / (1024.0 * 1024.0);
    if mb >= 1.0 {
        format!("{} MB", mb.floor() as u64)
    } else {
        format!("{} KB", bytes / 1024)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn limits_are_said_in_whole_units() {
        assert_eq!(super::size_label(2 * 1024 * 1024), "2 MB");
        assert_eq!(super::size_label(20 * 1024 * 1024 + 256 * 1024), "20 MB");
        assert_eq!(super::size_label(512 * 1024), "512 KB");
    }
}
