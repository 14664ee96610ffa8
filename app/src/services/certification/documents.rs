//! Supporting documents: checked by content, stored, read back by those who may see them.

use sha2::Digest;

use super::*;
use crate::error::{AppError, UserMessage};
use crate::model::DocumentView;
use crate::services::access::Actor;
use crate::services::certification::store::{self as store};
use crate::services::AppState;

/// The content type from the file's first bytes (never from its name or the header).
pub fn sniff(body: &[u8]) -> Option<&'static str> {
    if body.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if body.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if body.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else {
        None
    }
}

pub(super) fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(100)
        .collect();
    if cleaned.trim().is_empty() {
        "document".to_owned()
    } else {
        cleaned.trim().to_owned()
    }
}

#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn add_document(
    state: &AppState,
    actor: &Actor,
    id: i64,
    file_name: &str,
    body: &[u8],
    client_ip: &str,
) -> Result<DocumentView, AppError> {
    let viewer = Viewer::new(state, actor).await?;
    let cert = store::get(&state.db, id).await?.ok_or_else(not_found)?;
    viewer.check_visible(&cert)?;
    if !["submitted", "accepted", "returned"].contains(&cert.status.as_str()) {
        return Err(AppError::Conflict(UserMessage::new(
            "documents_closed",
            Some("file"),
            "该申请已处理完毕，不能再上传材料",
            "This request is decided; no more documents can be added",
        )));
    }
    if body.is_empty() {
        return Err(field_err(
            "file",
            "file_empty",
            "请选择要上传的文件",
            "Choose a file to upload",
        ));
    }
    if body.len() > MAX_DOCUMENT_BYTES {
        return Err(crate::services::sheets::too_large(MAX_DOCUMENT_BYTES));
    }
    let content_type = sniff(body).ok_or_else(|| {
        field_err(
            "file",
            "file_type",
            "只能上传JPG、PNG图片或PDF文件",
            "Only JPG or PNG images and PDF files are accepted",
        )
    })?;
    if cert.documents >= MAX_DOCUMENTS {
        return Err(field_err(
            "file",
            "too_many_documents",
            format!("每份申请最多{MAX_DOCUMENTS}个文件"),
            format!("A request holds at most {MAX_DOCUMENTS} files"),
        ));
    }
    let name = clean_file_name(file_name);
    let sha = hex::encode(sha2::Sha256::digest(body));
    let now = state.clock.now();
    let entry = crate::services::audit::store::AuditEntry {
        actor_account_id: Some(actor.account.id),
        action: "certification_document_added",
        subject: None,
        detail: Some(content_type),
        client_ip: Some(client_ip),
        area_code: cert.area_code.as_deref(),
    };
    let doc_id = store::insert_document(
        &state.db,
        &store::NewDocument {
            cert_id: cert.id,
            file_name: &name,
            content_type,
            sha256: &sha,
            body,
            uploaded_by: actor.account.id,
        },
        &entry,
        now,
    )
    .await?;
    Ok(DocumentView {
        id: doc_id,
        file_name: name,
        content_type: content_type.to_owned(),
        size_bytes: body.len() as i64,
        created_at: now,
    })
}

/// A document's bytes for someone who may see its request.
#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn document(
    state: &AppState,
    actor: &Actor,
    id: i64,
    doc_id: i64,
) -> Result<(DocumentView, Vec<u8>), AppError> {
    let viewer = Viewer::new(state, actor).await?;
    let cert = store::get(&state.db, id).await?.ok_or_else(not_found)?;
    viewer.check_visible(&cert)?;
    let (d, body) = store::document_body(&state.db, id, doc_id)
        .await?
        .ok_or_else(|| AppError::not_found("document_not_found", "未找到该文件", "No such document"))?;
    Ok((document_view(d), body))
}

pub(super) fn document_view(d: store::DocumentRow) -> DocumentView {
    DocumentView {
        id: d.id,
        file_name: d.file_name,
        content_type: d.content_type,
        size_bytes: d.size_bytes,
        created_at: d.created_at,
    }
}
