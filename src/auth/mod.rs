//! Who is asking and what they may do: roles, sessions, CSRF, and the middleware
//! that decides authorization for every route from the route table.

pub mod csrf;
pub mod password;
pub mod session;
pub mod throttle;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use crate::AppState;
use crate::error::AppError;
use crate::routes::Access;

pub use crate::identity::{ClientIp, CurrentUser, Role};

pub const SESSION_COOKIE: &str = "zi_sesi";
/// Double-submit token for forms posted before sign-in (the sign-in form itself).
pub const PRE_CSRF_COOKIE: &str = "zi_csrf";

pub fn cookie_value(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .filter(|v| !v.is_empty())
}

fn method_key(method: &Method) -> &'static str {
    match *method {
        Method::GET | Method::HEAD => "GET",
        Method::POST => "POST",
        _ => "OTHER",
    }
}

/// Paths a user who must replace their password may still reach.
fn allowed_before_password_change(path: &str) -> bool {
    matches!(path, "/akun/kata-sandi" | "/logout")
}

/// A local path to come back to after sign-in; anything else is dropped.
pub fn local_path(next: &str) -> Option<String> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\')
        && next.len() <= 2000;
    ok.then(|| next.to_string())
}

fn login_redirect(req: &Request) -> Response {
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    // the unit named in the address (e.g. a mailed link) is the one to come back to
    let wanted = match req.extensions().get::<crate::tenant::UnitPrefix>() {
        Some(p) => format!("/u/{}{path}", p.0),
        None => path,
    };
    let target = if req.method() == Method::GET && wanted != "/" {
        let next: String = url::form_urlencoded::byte_serialize(wanted.as_bytes()).collect();
        format!("/login?next={next}")
    } else {
        "/login".to_string()
    };
    Redirect::to(&target).into_response()
}

/// What the authorization middleware reads: the app, and the access rule of every
/// (method, route pattern).
#[derive(Clone)]
pub struct Authz {
    pub app: AppState,
    pub policy: std::sync::Arc<crate::routes::Policy>,
}

/// Runs on every request: resolves the session and applies the route's access rule.
pub async fn authorize(State(authz): State<Authz>, req: Request, next: Next) -> Response {
    let state = &authz.app;
    let path = req.uri().path().to_string();
    let access = if path.starts_with("/static/") {
        Access::Public
    } else {
        match req.extensions().get::<MatchedPath>() {
            Some(m) => authz
                .policy
                .get(&(method_key(req.method()), m.as_str().to_string()))
                .copied()
                // a method the route lacks: axum answers 405, but only to users
                .unwrap_or(Access::SignedIn),
            // unknown pages: 404 for users, sign-in for everybody else
            None => Access::SignedIn,
        }
    };

    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    // Behind the proxy, the last X-Forwarded-For entry is the one the proxy itself
    // added: the client's address. Earlier entries are the client's own claims.
    let forwarded = state
        .config
        .trust_proxy
        .then(|| {
            req.headers()
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .next_back()
                .filter(|s| s.parse::<std::net::IpAddr>().is_ok())
                .map(str::to_string)
        })
        .flatten();
    let ip = forwarded
        .or(peer)
        .unwrap_or_else(|| "tidak diketahui".into());

    let mut user = match cookie_value(req.headers(), SESSION_COOKIE) {
        Some(raw) => match session::lookup(state, &raw).await {
            Ok(u) => u,
            Err(e) => return AppError::from(e).into_response(),
        },
        None => None,
    };
    let prefix = req
        .extensions()
        .get::<crate::tenant::UnitPrefix>()
        .map(|p| p.0.clone());
    if let Some((u, session_unit)) = user.as_mut() {
        if let Err(e) =
            crate::tenant::resolve(&state.db, u, prefix.as_deref(), session_unit.as_ref()).await
        {
            return e.into_response();
        }
        // the unit opened by its address is the one the next plain address shows
        let opened = u.unit.as_ref().map(|x| x.id);
        if opened != session_unit.as_ref().map(|s| s.unit.id)
            && let Err(e) = session::set_unit(&state.db, &u.session_hash, opened).await
        {
            return AppError::from(e).into_response();
        }
    } else if prefix.is_some() && access != Access::Public {
        return login_redirect(&req);
    }
    let user = user.map(|(u, _)| u);

    match (access, &user) {
        (Access::Public, _) => {}
        (_, None) => return login_redirect(&req),
        (Access::Roles(roles), Some(u)) if !u.is(roles) => {
            return AppError::Forbidden.into_response();
        }
        (Access::Instansi(roles), Some(u))
            if !u.instansi_role.is_some_and(|r| roles.contains(&r)) =>
        {
            return AppError::Forbidden.into_response();
        }
        _ => {}
    }
    if let Some(u) = &user
        && u.read_only
        && req.method() == Method::POST
        && !matches!(access, Access::Public | Access::Own)
    {
        return AppError::ForbiddenWith(
            "Pimpinan instansi membaca data unit ini tetapi tidak mengubahnya.".into(),
        )
        .into_response();
    }
    if let Some(u) = &user
        && u.must_change_password
        && access != Access::Public
        && !allowed_before_password_change(&path)
    {
        return Redirect::to("/akun/kata-sandi").into_response();
    }

    // The CSRF token is checked where the body is read (`web::Form`), once.
    let mut req = req;
    req.extensions_mut().insert(ClientIp(ip));
    req.extensions_mut().insert(state.pre_sign_in.clone());
    if let Some(u) = user {
        req.extensions_mut().insert(u);
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        for (next, ok) in [
            ("/tugas", true),
            ("/langkah/5?periode=2021-2", true),
            ("//evil.example/", false),
            ("/\\evil.example", false),
            ("/a\\b", false),
            ("/a\nb", false),
            ("/a\tb", false),
            ("https://evil.example/", false),
            ("tugas", false),
            ("", false),
        ] {
            assert_eq!(local_path(next).is_some(), ok, "{next:?}");
        }
        assert!(local_path(&format!("/{}", "a".repeat(1999))).is_some());
        assert!(local_path(&format!("/{}", "a".repeat(2000))).is_none());
    }

    #[test]
    fn cookies_are_read_by_their_exact_name() {
        let mut h = axum::http::HeaderMap::new();
        h.append(
            header::COOKIE,
            "zi_sesi_lama=x; zi_sesi=abc; zi_csrf=".parse().unwrap(),
        );
        assert_eq!(cookie_value(&h, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(
            cookie_value(&h, PRE_CSRF_COOKIE),
            None,
            "an empty value is none"
        );
        assert_eq!(cookie_value(&h, "tidak_ada"), None);
    }
}
