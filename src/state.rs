//! What every request handler shares: the pool, the configuration and the caches.
//! It names no feature: each feature keeps its own cache type in `caches`.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sqlx::SqlitePool;

use crate::config::Config;

#[derive(Clone)]
pub struct AppState {
    pub db: SqlitePool,
    pub config: Config,
    pub caches: Arc<Caches>,
    /// The password hashing thread and its bounded queue.
    pub hasher: Arc<crate::auth::password::Hasher>,
    /// The instansi's name for the header; `None` until read.
    pub header_names: Arc<std::sync::RwLock<Option<String>>>,
    /// Where mail's links point and whether mail goes out.
    pub post: crate::config::Post,
    /// Signs the token of forms posted before sign-in.
    pub pre_sign_in: Arc<crate::auth::csrf::PreSignInKey>,
}

impl AppState {
    /// `addr` is the bound address: mail links use it when no public address is set.
    pub fn new(
        db: SqlitePool,
        config: Config,
        addr: std::net::SocketAddr,
        pre_sign_in: crate::auth::csrf::PreSignInKey,
    ) -> Self {
        Self {
            pre_sign_in: Arc::new(pre_sign_in),
            post: crate::config::Post::new(&config, addr),
            hasher: crate::auth::password::Hasher::start(config.hash_queue),
            db,
            config,
            caches: Arc::default(),
            header_names: Arc::default(),
        }
    }
}

/// One cache per type, created on first use: features keep their caches here without
/// this module knowing them.
#[derive(Default)]
pub struct Caches {
    by_type: Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
}

impl Caches {
    pub fn get<T: Any + Send + Sync + Default>(&self) -> Arc<T> {
        let mut map = self.by_type.lock().expect("cache map lock");
        let entry = map
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Arc::new(T::default()));
        entry
            .clone()
            .downcast::<T>()
            .expect("stored under its own type")
    }
}
