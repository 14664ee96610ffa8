//! One error type for every door (server functions, REST, pages).
//!
//! Each variant carries a user message in Chinese and English and, where it
//! concerns one input, the field's name, so forms can show it next to the field.

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

use crate::i18n::Lang;

/// What a person is told: machine code, the field concerned, and the text in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserMessage {
    pub code: String,
    pub field: Option<String>,
    pub zh: String,
    pub en: String,
}

impl UserMessage {
    pub fn new(code: &str, field: Option<&str>, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            field: field.map(str::to_owned),
            zh: zh.into(),
            en: en.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Malformed request (400).
    #[error("{}", .0.zh)]
    BadRequest(UserMessage),
    /// A value is well-formed but not acceptable (422).
    #[error("{}", .0.zh)]
    Invalid(UserMessage),
    /// Not signed in, or the credentials are wrong (401).
    #[error("{}", .0.zh)]
    Unauthorized(UserMessage),
    /// Signed in but not allowed (403).
    #[error("{}", .0.zh)]
    Forbidden(UserMessage),
    /// Unknown thing (404).
    #[error("{}", .0.zh)]
    NotFound(UserMessage),
    /// Clashes with existing data, e.g. a unique key (409).
    #[error("{}", .0.zh)]
    Conflict(UserMessage),
    /// Too many attempts or requests (429).
    #[error("{}", .0.zh)]
    TooManyRequests(UserMessage),
    /// The request body is over the limit for its route (413).
    #[error("{}", .0.zh)]
    PayloadTooLarge(UserMessage),
    /// Unexpected failure; details are in the server log under `request_id` (500).
    #[error("系统繁忙，请稍后再试（编号 {request_id}）")]
    Internal { request_id: String },
    /// The request never reached the server or its answer could not be read (client side).
    #[error("网络异常，请检查网络后重试")]
    Transport(String),
}

impl AppError {
    pub fn invalid(field: &str, code: &str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::Invalid(UserMessage::new(code, Some(field), zh, en))
    }

    pub fn unauthorized(code: &str, field: Option<&str>, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::Unauthorized(UserMessage::new(code, field, zh, en))
    }

    pub fn too_many(code: &str, field: Option<&str>, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::TooManyRequests(UserMessage::new(code, field, zh, en))
    }

    pub fn not_found(code: &str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::NotFound(UserMessage::new(code, None, zh, en))
    }

    pub fn forbidden(code: &str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::Forbidden(UserMessage::new(code, None, zh, en))
    }

    pub fn sign_in_required() -> Self {
        Self::unauthorized("sign_in_required", None, "请先登录", "Please sign in first")
    }

    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) => 400,
            Self::Invalid(_) => 422,
            Self::Unauthorized(_) => 401,
            Self::Forbidden(_) => 403,
            Self::NotFound(_) => 404,
            Self::Conflict(_) => 409,
            Self::TooManyRequests(_) => 429,
            Self::PayloadTooLarge(_) => 413,
            Self::Internal { .. } => 500,
            Self::Transport(_) => 503,
        }
    }

    fn user_message(&self) -> Option<&UserMessage> {
        match self {
            Self::BadRequest(m)
            | Self::Invalid(m)
            | Self::Unauthorized(m)
            | Self::Forbidden(m)
            | Self::NotFound(m)
            | Self::Conflict(m)
            | Self::TooManyRequests(m)
            | Self::PayloadTooLarge(m) => Some(m),
            Self::Internal { .. } | Self::Transport(_) => None,
        }
    }

    pub fn code(&self) -> &str {
        match self {
            Self::Internal { .. } => "internal",
            Self::Transport(_) => "network",
            other => other.user_message().map_or("error", |m| m.code.as_str()),
        }
    }

    pub fn field(&self) -> Option<&str> {
        self.user_message().and_then(|m| m.field.as_deref())
    }

    /// The message in the viewer's language.
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::Internal { request_id }, Lang::En) => {
                format!("Something went wrong on our side; please try again later (ref {request_id})")
            }
            (Self::Transport(_), Lang::En) => "Network problem; please check your connection and retry".into(),
            (other, Lang::Zh) => other.to_string(),
            (other, Lang::En) => other.user_message().map(|m| m.en.clone()).unwrap_or_default(),
        }
    }

    /// Logs an unexpected error with context and returns the generic error the user sees.
    #[cfg(feature = "ssr")]
    pub fn internal(context: &str, err: impl std::fmt::Display) -> Self {
        let request_id = crate::secrets::random_token(6);
        tracing::error!(request_id = %request_id, "{context}: {err}");
        Self::Internal { request_id }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(msg) | ServerFnErrorErr::MissingArg(msg) => Self::BadRequest(UserMessage::new(
                "bad_request",
                None,
                format!("请求内容有误：{msg}"),
                format!("Malformed request: {msg}"),
            )),
            other => Self::Transport(other.to_string()),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        Self::internal("database", err)
    }
}

/// The JSON body of an error on the REST API: `{"error": {"code", "message", "field"}}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    pub field: Option<String>,
}

impl From<&AppError> for ErrorBody {
    fn from(e: &AppError) -> Self {
        Self {
            error: ErrorDetail {
                code: e.code().to_owned(),
                message: e.message(Lang::Zh),
                field: e.field().map(str::to_owned),
            },
        }
    }
}

#[cfg(feature = "ssr")]
impl axum::response::IntoResponse for AppError {
    fn into_response(self) -> axum::response::Response {
        let status =
            axum::http::StatusCode::from_u16(self.status()).unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
        (status, axum::Json(ErrorBody::from(&self))).into_response()
    }
}
