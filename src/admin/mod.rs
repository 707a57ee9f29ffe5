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
        Route::new("GET", "/admin/bobot", admin, get(weights::weights_page)),
        Route::new(
            "GET",
            "/audit",
            Access::Roles(&[Role::Admin, Role::Pimpinan]),
            get(audit::audit_page),
        ),
        Route::new("POST", "/admin/bobot", admin, post(weights::weights_submit)),
    ]
}
