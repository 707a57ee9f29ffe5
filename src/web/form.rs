//! Reading what a request sends, once, at the edge: a form body decoded in one pass
//! with its CSRF token checked, an upload's multipart body whose first field is the
//! token, and the acting user with their address.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::Response;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::audit::Actor;
use crate::auth::csrf;
use crate::auth::{ClientIp, CurrentUser};
use crate::error::error_page;

/// A URL-encoded form, decoded once together with its CSRF token. Without the right
/// token the answer is 403 and the handler never runs; a body that does not fit the
/// form's fields gets an Indonesian 400 page.
pub struct Form<T>(pub T);

/// The fields of a form that only confirms an action (its token is all it carries).
#[derive(Deserialize, Default, Debug)]
pub struct Empty {}

#[derive(Deserialize)]
struct Tokened<T> {
    #[serde(default)]
    csrf_token: String,
    #[serde(flatten)]
    form: T,
}

fn is_urlencoded(parts: &Parts) -> bool {
    parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

fn too_large() -> Response {
    error_page(
        StatusCode::PAYLOAD_TOO_LARGE,
        "Isian terlalu besar",
        "Isian formulir melebihi batas ukuran. Persingkat teksnya, lalu kirim kembali.",
    )
}

fn unreadable() -> Response {
    error_page(
        StatusCode::BAD_REQUEST,
        "Isian formulir tidak dapat dibaca",
        "Data yang dikirim tidak sesuai dengan formulir. Muat ulang halaman formulir, lalu kirim kembali.",
    )
}

impl<T, S> FromRequest<S> for Form<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        let (parts, body) = req.into_parts();
        let expected = csrf::expected_token(&parts);
        let urlencoded = is_urlencoded(&parts);
        let bytes = match Bytes::from_request(Request::from_parts(parts, body), state).await {
            Ok(b) => b,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
            Err(_) => return Err(unreadable()),
        };
        if !urlencoded {
            return Err(csrf::rejected());
        }
        match serde_html_form::from_bytes::<Tokened<T>>(&bytes) {
            Ok(t) if csrf::accepts(expected.as_deref(), Some(&t.csrf_token)) => Ok(Form(t.form)),
            Ok(_) => Err(csrf::rejected()),
            Err(e) => {
                // A body that does not fit is still refused for its token first.
                let token = url::form_urlencoded::parse(&bytes)
                    .find(|(k, _)| k == csrf::FIELD)
                    .map(|(_, v)| v.into_owned());
                if !csrf::accepts(expected.as_deref(), token.as_deref()) {
                    return Err(csrf::rejected());
                }
                tracing::info!(error = %e, "malformed form body");
                Err(unreadable())
            }
        }
    }
}

/// A repeated form field (checkboxes): a form with one checked box sends a single
/// value, which a flattened form would otherwise refuse as "not a sequence".
pub fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

/// A multipart body (an upload or an import) whose first field must be the CSRF
/// token: it is checked before any other field, so no file is read for a forged
/// request.
pub async fn multipart_with_token<S: Send + Sync>(
    req: Request,
    state: &S,
) -> Result<Multipart, Response> {
    let (parts, body) = req.into_parts();
    let expected = csrf::expected_token(&parts);
    if is_urlencoded(&parts) {
        // Not an upload at all: a plain form with its token is a mistake of the page
        // (400); without the token it is refused like any forged post (403).
        let Form(Empty {}) =
            Form::<Empty>::from_request(Request::from_parts(parts, body), state).await?;
        return Err(error_page(
            StatusCode::BAD_REQUEST,
            "Berkas tidak terkirim",
            "Kirim berkas dari formulir unggah pada halamannya.",
        ));
    }
    let Ok(mut multipart) = Multipart::from_request(Request::from_parts(parts, body), state).await
    else {
        return Err(csrf::rejected());
    };
    let submitted = match multipart.next_field().await {
        Ok(Some(field)) if field.name() == Some(csrf::FIELD) => field.text().await.ok(),
        _ => None,
    };
    if !csrf::accepts(expected.as_deref(), submitted.as_deref()) {
        return Err(csrf::rejected());
    }
    Ok(multipart)
}

/// The signed-in user acting on a request, and the audit trail's view of them.
pub struct Acting {
    pub user: CurrentUser,
    pub actor: Actor,
}

impl<S: Send + Sync> FromRequestParts<S> for Acting {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        let ClientIp(ip) = ClientIp::from_request_parts(parts, state)
            .await
            .unwrap_or_else(|never| match never {});
        let actor = Actor::user(&user, Some(ip));
        Ok(Acting { user, actor })
    }
}

/// A small upload read whole: its text fields and the bytes of its `file` field.
pub struct Upload {
    pub fields: std::collections::HashMap<String, String>,
    pub file: Vec<u8>,
}

pub enum UploadError {
    /// Refused before reading (forged or missing token): the response to send.
    Refused(Response),
    TooLarge,
    /// The upload broke off or was not a form upload; an Indonesian message.
    Invalid(String),
}

impl UploadError {
    /// What the form shows: the status and message of a refused upload, or the
    /// response to send as it is (a forged request).
    pub fn for_form(self, max: usize) -> Result<(StatusCode, String), Box<Response>> {
        match self {
            UploadError::Refused(r) => Err(Box::new(r)),
            UploadError::TooLarge => Ok((
                StatusCode::PAYLOAD_TOO_LARGE,
                if max >= 1024 * 1024 {
                    format!("Berkas terlalu besar; maksimal {} MB.", max / 1024 / 1024)
                } else {
                    format!("Berkas terlalu besar; maksimal {} KB.", max / 1024)
                },
            )),
            UploadError::Invalid(m) => Ok((StatusCode::BAD_REQUEST, m)),
        }
    }
}

/// Reads a multipart form whose first field is the CSRF token, keeping at most `max`
/// bytes of its `file` field.
pub async fn read_upload<S: Send + Sync>(
    req: Request,
    state: &S,
    max: usize,
) -> Result<Upload, UploadError> {
    let mut multipart = multipart_with_token(req, state)
        .await
        .map_err(UploadError::Refused)?;
    let mut upload = Upload {
        fields: std::collections::HashMap::new(),
        file: Vec::new(),
    };
    loop {
        match multipart.next_field().await {
            Ok(Some(mut field)) => {
                let name = field.name().unwrap_or("").to_string();
                if name == "file" {
                    while let Ok(Some(chunk)) = field.chunk().await {
                        if upload.file.len() + chunk.len() > max {
                            return Err(UploadError::TooLarge);
                        }
                        upload.file.extend_from_slice(&chunk);
                    }
                } else if upload.fields.len() < 16 {
                    let text = field.text().await.unwrap_or_default();
                    upload
                        .fields
                        .insert(name, text.chars().take(1000).collect());
                }
            }
            Ok(None) => return Ok(upload),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(UploadError::TooLarge);
            }
            Err(_) => {
                return Err(UploadError::Invalid(
                    "Unggahan terputus; tidak ada yang disimpan. Coba kirim lagi.".into(),
                ));
            }
        }
    }
}
