//! One error type for the whole app; it renders an Indonesian error page with the
//! right status. Internal failures are logged in full and shown as a generic 500.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("tidak ditemukan")]
    NotFound,
    #[error("tidak ditemukan: {0}")]
    NotFoundWith(String),
    #[error("bentrok: {0}")]
    Conflict(String),
    #[error("akses ditolak")]
    Forbidden,
    #[error("akses ditolak: {0}")]
    ForbiddenWith(String),
    #[error("permintaan tidak valid: {0}")]
    BadRequest(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("template: {0}")]
    Template(#[from] askama::Error),
    #[error("{0}")]
    Internal(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: &'a str,
}

impl AppError {
    fn parts(&self) -> (StatusCode, &'static str, String) {
        match self {
            AppError::NotFound => (
                StatusCode::NOT_FOUND,
                "Halaman tidak ditemukan",
                "Halaman atau data yang Anda cari tidak ada. Periksa alamatnya, atau kembali ke beranda.".into(),
            ),
            AppError::NotFoundWith(msg) => (
                StatusCode::NOT_FOUND,
                "Halaman tidak ditemukan",
                msg.clone(),
            ),
            AppError::Conflict(msg) => (StatusCode::CONFLICT, "Tidak dapat diproses", msg.clone()),
            AppError::Forbidden => (
                StatusCode::FORBIDDEN,
                "Akses ditolak",
                "Peran Anda tidak memiliki izin untuk membuka halaman ini atau melakukan tindakan ini.".into(),
            ),
            AppError::ForbiddenWith(msg) => (StatusCode::FORBIDDEN, "Akses ditolak", msg.clone()),
            AppError::BadRequest(msg) => (
                StatusCode::BAD_REQUEST,
                "Permintaan tidak valid",
                msg.clone(),
            ),
            AppError::Database(_) | AppError::Template(_) | AppError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Terjadi kesalahan pada server",
                "Permintaan Anda tidak dapat diproses. Silakan coba lagi; jika masalah berlanjut, hubungi admin.".into(),
            ),
        }
    }
}

/// Renders the error page for a status; used by handlers and middleware alike.
pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    let page = ErrorPage {
        status: status.as_u16(),
        title,
        message,
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "error page failed to render");
            (status, title.to_string()).into_response()
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, title, message) = self.parts();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        error_page(status, title, &message)
    }
}

/// A failure the user can act on: printed as is, with a non-zero exit.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UserError(pub String);
