//! What every request handler shares: the pool, the configuration, the access
//! policy and the caches.

use std::sync::Arc;

use sqlx::SqlitePool;

use crate::config::Config;

#[derive(Clone)]
pub struct AppState {
    pub db: SqlitePool,
    pub config: Config,
    pub policy: Arc<crate::routes::Policy>,
    pub dashboards: Arc<crate::dashboard::Cache>,
    /// The header's unit and ministry names; `None` until read, cleared when units change.
    pub header_names: Arc<std::sync::RwLock<Option<(String, String)>>>,
}
