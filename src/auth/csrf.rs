//! Cross-site request forgery: every state-changing request carries the session's
//! token in its body (the sign-in form, before there is a session, a double-submit
//! cookie). The token never travels in a URL, so it stays out of history and logs.
//! The pre-sign-in token is signed with a server key and carries its time, so a
//! cookie planted by someone else (any value) is not a token the server accepts.

use std::path::Path;
use std::sync::Arc;

use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::{CurrentUser, PRE_CSRF_COOKIE, cookie_value};
use crate::config::Config;
use crate::error::error_page;

pub const FIELD: &str = "csrf_token";

/// The token this request must carry: its session's, or before sign-in the one in the
/// sign-in form's cookie, if the server signed it and it has not expired.
pub fn expected_token(parts: &Parts) -> Option<String> {
    match parts.extensions.get::<CurrentUser>() {
        Some(u) => Some(form_token(u)),
        None => {
            let key = parts.extensions.get::<Arc<PreSignInKey>>()?;
            cookie_value(&parts.headers, PRE_CSRF_COOKIE)
                .filter(|t| key.valid(t, crate::auth::session::now()))
        }
    }
}

/// How long a pre-sign-in token is accepted: a sign-in form left open over a working
/// day still works.
pub const PRE_TOKEN_SECS: i64 = 24 * 3600;
const KEY_FILE: &str = "pre-sign-in.key";

/// The server key that signs pre-sign-in tokens: random, kept in the data dir (the
/// same private key file as the link key's) so a restart does not void the forms
/// people have open. Losing it voids only those.
pub struct PreSignInKey(Vec<u8>);

impl PreSignInKey {
    /// Reads the key file in `data_dir`, creating it (readable by the owner only) on
    /// the first start.
    pub fn load_or_create(data_dir: &Path) -> Result<Self, crate::error::UserError> {
        let path = data_dir.join(KEY_FILE);
        let unusable = |e: &dyn std::fmt::Display| {
            crate::error::UserError(format!(
                "berkas kunci {} tidak dapat dipakai ({e}); hapus berkas itu agar dibuat ulang",
                path.display()
            ))
        };
        let key = crate::private_files::key_file(&path).map_err(|e| unusable(&e))?;
        // a made key is 43 characters; anything much shorter was not made here
        if key.len() < 32 {
            return Err(unusable(&"isinya rusak"));
        }
        Ok(Self(key.into_bytes()))
    }

    /// A key for tests and tools that keep no data dir.
    pub fn random() -> Self {
        Self(crate::random::token().into_bytes())
    }

    fn mac(&self, body: &str) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0).expect("any key length");
        mac.update(b"zi-pre-sign-in|");
        mac.update(body.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// A new token `issued.nonce.signature`.
    pub fn issue(&self, now: i64) -> String {
        let mut nonce = [0u8; 24];
        getrandom::fill(&mut nonce).expect("the system's random source works");
        let body = format!("{now}.{}", URL_SAFE_NO_PAD.encode(nonce));
        let sig = self.mac(&body);
        format!("{body}.{sig}")
    }

    /// When a well-formed, correctly signed token was issued.
    fn issued(&self, token: &str) -> Option<i64> {
        if token.len() > 120 {
            return None;
        }
        let (body, sig) = token.rsplit_once('.')?;
        let (issued, nonce) = body.split_once('.')?;
        let issued: i64 = issued.parse().ok()?;
        let well_formed = nonce.len() == 32
            && sig.len() == 43
            && nonce
                .bytes()
                .chain(sig.bytes())
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        (well_formed && bool::from(self.mac(body).as_bytes().ct_eq(sig.as_bytes())))
            .then_some(issued)
    }

    /// Signed by this server and not expired.
    pub fn valid(&self, token: &str, now: i64) -> bool {
        self.issued(token)
            .is_some_and(|at| at <= now + 60 && now - at < PRE_TOKEN_SECS)
    }

    /// Valid for at least half its life yet: a form shown now keeps working for hours.
    pub fn fresh(&self, token: &str, now: i64) -> bool {
        self.issued(token)
            .is_some_and(|at| at <= now + 60 && now - at < PRE_TOKEN_SECS / 2)
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

    #[test]
    fn pre_sign_in_tokens_are_signed_and_expire() {
        let key = PreSignInKey::random();
        let now = 1_800_000_000;
        let t = key.issue(now);
        assert!(key.valid(&t, now) && key.fresh(&t, now));
        assert!(key.valid(&t, now + PRE_TOKEN_SECS - 1));
        assert!(!key.fresh(&t, now + PRE_TOKEN_SECS / 2));
        assert!(!key.valid(&t, now + PRE_TOKEN_SECS), "expired");
        assert!(
            !PreSignInKey::random().valid(&t, now),
            "another server's key"
        );
        let later = t.replacen(&now.to_string(), &(now + 3600).to_string(), 1);
        assert!(!key.valid(&later, now + 3600), "its time is signed too");
        let (forty_three, longer) = ("A".repeat(43), format!("{t}x"));
        let bad: [&str; 6] = ["", "x", "1.2.3", &forty_three, &longer, &t[1..]];
        for bad in bad {
            assert!(!key.valid(bad, now), "{bad:?}");
        }
    }

    #[test]
    fn the_key_file_is_made_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let a = PreSignInKey::load_or_create(dir.path()).unwrap();
        let b = PreSignInKey::load_or_create(dir.path()).unwrap();
        let t = a.issue(1_800_000_000);
        assert!(b.valid(&t, 1_800_000_000), "the same key after a restart");
        std::fs::write(dir.path().join(KEY_FILE), "kacau").unwrap();
        assert!(PreSignInKey::load_or_create(dir.path()).is_err());
    }
}
