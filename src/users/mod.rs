//! Accounts: the model and queries (`model`), creating and saving (`save`), changing
//! an account under a scope (`update`); the pages and the import use the same store
//! as the command line.

pub mod import;
mod model;
pub mod pages;
mod save;
mod update;

pub use model::*;
#[allow(unused_imports)]
pub use pages::*;
pub use save::*;
pub use update::*;

use crate::audit::{Action, Entry};
use crate::auth::Role;
use crate::routes::{Access, Route};

pub fn routes() -> Vec<Route> {
    use axum::routing::{get, post};
    vec![
        Route::new("GET", "/admin/pengguna", ADMIN, get(list_page)),
        Route::new("GET", "/admin/pengguna/baru", ADMIN, get(new_form)),
        Route::new(
            "GET",
            "/admin/pengguna/impor",
            INSTANSI_ADMIN,
            get(import::form),
        ),
        Route::new(
            "POST",
            "/admin/pengguna/impor",
            INSTANSI_ADMIN,
            post(import::submit),
        )
        .with_body_limit(import::MAX_BYTES + 64 * 1024),
        Route::new("POST", "/admin/pengguna/baru", ADMIN, post(create_submit)),
        Route::new("GET", "/admin/pengguna/{id}", ADMIN, get(edit_form)),
        Route::new("POST", "/admin/pengguna/{id}", ADMIN, post(edit_submit)),
        Route::new(
            "POST",
            "/admin/pengguna/{id}/kata-sandi",
            ADMIN,
            post(reset_submit),
        ),
        Route::new(
            "POST",
            "/admin/pengguna/{id}/buka-kunci",
            ADMIN,
            post(pages::unlock_submit),
        ),
    ]
}

pub(crate) const ADMIN: Access = Access::Roles(&[Role::Admin]);
const INSTANSI_ADMIN: Access = Access::Instansi(&[crate::tenant::InstansiRole::Admin]);
