//! Admin pages that set the year's parameters: reporting deadlines and weights.

pub mod audit;
pub mod deadlines;
pub mod weights;
#[allow(unused_imports)]
pub use deadlines::*;
#[allow(unused_imports)]
pub use weights::*;

use crate::auth::Role;
use crate::routes::{Access, Route};

/// Instansi-wide settings: the same for every unit.
const INSTANSI_ADMIN: Access = Access::Instansi(&[crate::tenant::InstansiRole::Admin]);

pub fn routes() -> Vec<Route> {
    use axum::routing::{get, post};
    let admin = Access::Roles(&[Role::Admin]);
    vec![
        Route::new(
            "GET",
            "/admin/periode",
            admin,
            get(deadlines::deadlines_page),
        ),
        Route::new(
            "POST",
            "/admin/periode",
            admin,
            post(deadlines::deadline_submit),
        ),
        Route::new(
            "GET",
            "/admin/bobot",
            INSTANSI_ADMIN,
            get(weights::weights_page),
        ),
        Route::new(
            "GET",
            "/audit",
            Access::Roles(&[Role::Admin, Role::Pimpinan]),
            get(audit::audit_page),
        ),
        Route::new(
            "POST",
            "/admin/bobot",
            INSTANSI_ADMIN,
            post(weights::weights_submit),
        ),
    ]
}
