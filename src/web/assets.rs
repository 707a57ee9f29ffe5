//! Static files compiled into the binary, so a deployed binary needs no `static/`
//! folder. Each is served under a URL carrying a hash of its content
//! (`/static/style.3f2a….css`) with a year-long cache lifetime; a new release has new
//! URLs. `ZI_STATIC_DIR` may point at a folder whose files replace the built-in ones
//! (read once at start), e.g. to adjust the stylesheet without a rebuild.

use std::sync::OnceLock;

use axum::body::Body;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

struct Asset {
    /// The name in templates, e.g. "style.css".
    name: &'static str,
    /// The name with the content hash, e.g. "style.3f2a9c01d4.css".
    hashed: String,
    mime: &'static str,
    bytes: Vec<u8>,
}

const BUILT_IN: [(&str, &str, &[u8]); 2] = [
    (
        "style.css",
        "text/css; charset=utf-8",
        include_bytes!("../../static/style.css"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../../static/favicon.svg"),
    ),
];

/// `GET /favicon.ico`, which browsers ask for on their own: the tracker's icon.
pub async fn favicon() -> Response {
    axum::response::Redirect::permanent(&url("favicon.svg")).into_response()
}

fn assets() -> &'static [Asset] {
    static ASSETS: OnceLock<Vec<Asset>> = OnceLock::new();
    ASSETS.get_or_init(|| {
        let dir = std::env::var_os("ZI_STATIC_DIR").map(std::path::PathBuf::from);
        BUILT_IN
            .iter()
            .map(|(name, mime, built_in)| {
                let bytes = dir
                    .as_ref()
                    .and_then(|d| std::fs::read(d.join(name)).ok())
                    .unwrap_or_else(|| built_in.to_vec());
                let digest = Sha256::digest(&bytes);
                let short: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
                let hashed = match name.rsplit_once('.') {
                    Some((stem, ext)) => format!("{stem}.{short}.{ext}"),
                    None => format!("{name}.{short}"),
                };
                Asset {
                    name,
                    hashed,
                    mime,
                    bytes,
                }
            })
            .collect()
    })
}

/// The URL of a static file for a page, e.g. `/static/style.3f2a9c01d4.css`.
pub fn url(name: &str) -> String {
    match assets().iter().find(|a| a.name == name) {
        Some(a) => format!("/static/{}", a.hashed),
        None => format!("/static/{name}"),
    }
}

/// `GET /static/{name}`: the hashed name is cached for a year; the plain name (old
/// bookmarks, hand-written links) is served too, revalidated every hour.
pub async fn serve(Path(name): Path<String>) -> Response {
    let Some((asset, immutable)) = assets().iter().find_map(|a| {
        if a.hashed == name {
            Some((a, true))
        } else if a.name == name {
            Some((a, false))
        } else {
            None
        }
    }) else {
        return crate::error::AppError::NotFound.into_response();
    };
    let mut res = Response::new(Body::from(asset.bytes.clone()));
    *res.status_mut() = StatusCode::OK;
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.mime));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if immutable {
            "public, max-age=31536000, immutable"
        } else {
            "public, max-age=3600"
        }),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stylesheet_url_carries_its_content_hash() {
        let u = url("style.css");
        assert!(
            u.starts_with("/static/style.") && u.ends_with(".css"),
            "{u}"
        );
        assert_eq!(u.len(), "/static/style.".len() + 10 + ".css".len());
        assert_eq!(url("tidak-ada.png"), "/static/tidak-ada.png");
    }
}
