//! The application as a whole: the router built from every feature's routes, the
//! layers every request passes, start and stop, and the signals that stop it. This
//! module sits on top: features never import it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, StatusCode};
use axum::http::{HeaderValue, header};
use axum::middleware::{self};
use axum::response::{IntoResponse, Response};
use sqlx::SqlitePool;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::config::Config;
use crate::routes::{Access, Route};
use crate::state::AppState;
use crate::{auth, db, error, evidence, users};

/// Every route of the app, each feature contributing its own.
pub fn routes(config: &Config) -> Vec<Route> {
    use axum::routing::get;
    let mut routes = vec![
        Route::new(
            "GET",
            "/",
            Access::SignedIn,
            get(crate::catalogue::pages::home),
        ),
        Route::new(
            "GET",
            "/healthz",
            Access::Public,
            get(crate::health::healthz),
        ),
        Route::new(
            "GET",
            "/static/{name}",
            Access::Public,
            get(crate::web::assets::serve),
        ),
        Route::new(
            "GET",
            "/favicon.ico",
            Access::Public,
            get(crate::web::assets::favicon),
        ),
    ];
    routes.extend(crate::account::routes());
    routes.extend(crate::catalogue::routes());
    routes.extend(crate::users::routes());
    routes.extend(crate::admin::routes());
    routes.extend(crate::step::routes());
    routes.extend(crate::tasks::routes());
    routes.extend(crate::step::evidence_routes(config));
    routes.extend(crate::assign::routes());
    routes.extend(crate::dashboard::routes());
    routes.extend(crate::reports::routes());
    routes.extend(crate::catalogue::admin_routes());
    routes.extend(crate::units::routes());
    routes.extend(crate::lke::routes());
    routes.extend(crate::instansi::pages::routes());
    routes.extend(crate::portalrb::api::routes(&config.portalrb_prefix));
    routes.extend(crate::portalrb::evidence::routes());
    routes.extend(crate::portalrb::pages::routes());
    routes.extend(crate::notify::routes());
    routes
}

/// Builds the router from the route table plus static files and the 404 fallback;
/// every request passes the authorization middleware.
pub fn router(state: AppState) -> Router {
    let mut app = Router::new();
    let mut policy = crate::routes::Policy::new();
    let mut body_limits = crate::web::limits::BodyLimits::new();
    for route in routes(&state.config) {
        policy.insert((route.method, route.path.to_string()), route.access);
        let handler = match route.body_limit {
            Some(bytes) => {
                body_limits.insert((route.method, route.path.to_string()), bytes);
                route.handler.layer(DefaultBodyLimit::max(bytes))
            }
            None => route.handler,
        };
        app = app.route(route.path, handler);
    }
    // none over plain http (the layer sends nothing for `None`)
    let hsts = state
        .config
        .secure_cookies()
        .then(|| HeaderValue::from_static("max-age=31536000"));
    let authz = auth::Authz {
        app: state.clone(),
        policy: Arc::new(policy),
    };
    let request_id = HeaderName::from_static("x-request-id");
    let inner = app.method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(authz, auth::authorize))
        .layer(middleware::from_fn(crate::serve::answer_slow_bodies))
        .layer(middleware::from_fn_with_state(
            Arc::new(body_limits),
            crate::web::limits::check_framing,
        ))
        // Forms are small; the evidence and import routes set their own, larger limits.
        .layer(DefaultBodyLimit::max(crate::web::limits::DEFAULT_BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(120),
        ))
        // under the API's prefix every answer is the API's JSON, whoever made it
        .layer(middleware::from_fn_with_state(
            Arc::<str>::from(state.config.portalrb_prefix.as_str()),
            crate::portalrb::api::guard,
        ))
        // Headers every response carries: no inline script, no framing, no sniffing. A
        // handler may set a stricter Content-Security-Policy of its own.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                 form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
            ),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        // Pages hold personal data: after signing out, Back must not show them from
        // the browser's cache. Static files set their own (long) lifetime.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        // Behind https, browsers are told to stay on https.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            hsts,
        ))
        .layer(CompressionLayer::new())
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            TraceLayer::new_for_http()
                // the path only: query strings are nobody's business in a log
                .make_span_with(|req: &axum::http::Request<_>| {
                    let id = req
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", id = %id, method = %req.method(), path = %req.uri().path())
                })
                .on_request(())
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        // before an id is kept for the log, a client's own must be a plain short token
        .layer(middleware::map_request(drop_unsafe_request_id))
        .with_state(state);
    // `/u/{kode}/…` is taken off before routing, so every route also exists inside a
    // unit's address (layers on a router run after its routing).
    Router::new()
        .fallback_service(inner)
        .layer(middleware::map_request(crate::tenant::strip_prefix))
}

/// A client's `X-Request-Id` is kept (a proxy's id ties its log to ours) only as up
/// to 64 of `[A-Za-z0-9._-]`; anything else could forge fields in the request log,
/// so it is dropped and a fresh id is made.
async fn drop_unsafe_request_id(mut req: axum::extract::Request) -> axum::extract::Request {
    let ids = req.headers().get_all("x-request-id");
    let mut ids = ids.iter();
    let safe = match (ids.next(), ids.next()) {
        (Some(id), None) => safe_request_id(id.as_bytes()),
        (None, _) => true,
        _ => false,
    };
    if !safe {
        req.headers_mut().remove("x-request-id");
    }
    req
}

fn safe_request_id(id: &[u8]) -> bool {
    (1..=64).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

async fn not_found() -> Response {
    error::AppError::NotFound.into_response()
}

/// E.g. opening a form's address (POST only) by typing it: say so in Indonesian.
async fn method_not_allowed() -> Response {
    error::error_page(
        StatusCode::METHOD_NOT_ALLOWED,
        "Alamat ini tidak dapat dibuka langsung",
        "Alamat ini hanya menerima kiriman formulir. Kembali ke halaman sebelumnya dan gunakan tombolnya.",
    )
}

/// A server bound to its port and serving in the background.
pub struct Running {
    pub addr: SocketAddr,
    pub db: SqlitePool,
    /// The server's password hashing queue (tests fill it to see the 503).
    pub hasher: Arc<crate::auth::password::Hasher>,
    /// Set on the first start of an install without an active admin: the random
    /// password of `admin`, to be shown once.
    pub initial_admin_password: Option<String>,
    state: AppState,
    mail: Option<crate::notify::mail::Worker>,
    shutdown: Option<oneshot::Sender<()>>,
    handle: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Does the scheduled work due at the clock's time now (the server also does it by
    /// itself every `schedule_every`); tests move a manual clock and call this.
    pub async fn run_schedule(&self) -> sqlx::Result<()> {
        crate::notify::schedule::tick(&self.state).await
    }

    /// Stops accepting, lets in-flight requests finish, closes the pool.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = tokio::time::timeout(Duration::from_secs(10), &mut self.handle).await;
        if let Some(m) = &self.mail {
            m.stop().await;
        }
        self.db.close().await;
    }
}

/// Opens the data dir, migrates, binds and serves until `stop` is called.
pub async fn start(config: Config) -> anyhow::Result<Running> {
    let mailer = crate::notify::mail::Mailer::from_config(&config)?;
    let db = db::open(&config.data_dir).await?;
    evidence::storage::clean_tmp(&config.data_dir);
    evidence::storage::sweep_unreferenced(&db, &config.data_dir).await?;
    let initial_admin_password = users::ensure_admin(&db).await?;
    let listener = TcpListener::bind(&config.bind)
        .await
        .map_err(|e| anyhow::anyhow!("tidak dapat memakai alamat {}: {e}", config.bind))?;
    let addr = listener.local_addr()?;
    let pre_sign_in = auth::csrf::PreSignInKey::load_or_create(&config.data_dir)?;
    let state = AppState::new(db.clone(), config.clone(), addr, pre_sign_in);
    auth::password::warm_up(&state.hasher).await;
    spawn_cleanup(db.clone(), config.clone());
    let mail = crate::notify::mail::spawn_worker(db.clone(), config.clone(), mailer);
    crate::notify::schedule::spawn(state.clone());
    let hasher = state.hasher.clone();
    let app = router(state.clone());
    let (tx, rx) = oneshot::channel::<()>();
    let limits = crate::serve::Limits {
        header_timeout: config.header_timeout,
        max_connections: config.max_connections,
        max_connections_per_address: config.max_connections_per_address,
        min_body_rate: config.min_body_rate,
    };
    let handle = tokio::spawn(crate::serve::serve(listener, app, limits, rx));
    Ok(Running {
        addr,
        db,
        hasher,
        initial_admin_password,
        state,
        mail,
        shutdown: Some(tx),
        handle,
    })
}

/// Removes expired sessions now and every ten minutes.
fn spawn_cleanup(db: SqlitePool, config: Config) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            if db.is_closed() {
                break;
            }
            // rejected API calls are kept for 30 days, for counting only
            let month_ago = chrono::Utc::now().timestamp() - 30 * 24 * 3600;
            if let Err(e) = sqlx::query("DELETE FROM api_failures WHERE at < ?")
                .bind(month_ago)
                .execute(&db)
                .await
            {
                tracing::warn!(error = %e, "pruning rejected API calls failed");
            }
            // sent mail and spent or expired links are kept a month, for the admin's view
            for sql in [
                "DELETE FROM outbox WHERE sent_at < ?",
                "DELETE FROM account_tokens WHERE expires_at < ?",
                "DELETE FROM email_undo_tokens WHERE expires_at < ?",
                // no longer written (reset requests are counted in memory)
                "DELETE FROM reset_requests WHERE at < ?",
            ] {
                if let Err(e) = sqlx::query(sql).bind(month_ago).execute(&db).await {
                    tracing::warn!(error = %e, "pruning old mail failed");
                }
            }
            match auth::session::cleanup(&db, &config).await {
                Ok(n) if n > 0 => tracing::info!(removed = n, "expired sessions removed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "session cleanup failed"),
            }
        }
    });
}

/// Waits for ctrl-c or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_short_plain_request_ids_are_kept() {
        for (id, kept) in [
            ("proxy-42.a_B", true),
            (
                "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                true,
            ),
            (
                "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0",
                false,
            ),
            ("", false),
            ("a b", false),
            ("x\" path=/admin", false),
            ("a\u{1b}[31m", false),
        ] {
            assert_eq!(super::safe_request_id(id.as_bytes()), kept, "{id:?}");
        }
    }
}
