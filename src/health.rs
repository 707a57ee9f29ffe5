//! Liveness for monitors and reverse proxies: answers without sign-in.

use axum::extract::State;
use axum::http::StatusCode;

use crate::AppState;

pub async fn healthz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match sqlx::query_scalar::<_, i64>("SELECT 1")
        .fetch_one(&state.db)
        .await
    {
        Ok(_) => (StatusCode::OK, "ok\n"),
        Err(e) => {
            tracing::error!(error = %e, "health check: database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database tidak menjawab\n")
        }
    }
}
