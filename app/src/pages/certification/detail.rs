//! One certification: its history, documents and the next steps.

use leptos::prelude::*;

use crate::components::loaded::{loaded_with, Refusal};
use leptos_router::hooks::{use_params_map, use_query_map};

use super::*;
use crate::api::certification::{certification_detail, CertificationStep};
use crate::components::forms::{action_error, FieldError, FormError};
use crate::prefs::{use_prefs, use_texts};

#[component]
pub fn CertificationDetailPage() -> impl IntoView {
    let t = use_texts();
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.with(|p| p.get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0));
    let action = ServerAction::<CertificationStep>::new();
    let error = action_error(action);
    let data = Resource::new(id, certification_detail);
    view! {
        <Suspense fallback=move || view! { <p>{t.loading}</p> }>
            {move || Suspend::new(async move {
                let lang = use_prefs().lang;
                let v = match loaded_with(data.await, lang, Refusal { status: true, ..Refusal::default() }) {
                    Ok(v) => v,
                    Err(refused) => return refused,
                };
                let s = v.summary.clone();
                let cid = s.id;
                let upload_error = query.with(|m| m.get("upload_error")).map(|code| match code.as_str() {
                    "file_type" => t.upload_err_type,
                    "file_too_large" => t.upload_err_size,
                    _ => t.upload_err_other,
                });
                let uploaded = query.with(|m| m.get("uploaded")).is_some();
                let open_for_documents = matches!(s.status.as_str(), "submitted" | "accepted" | "returned");
                let needs_reason = s.actions.iter().any(|a| matches!(a.as_str(), "return" | "reject" | "revoke"));
                let confirmable = s.actions.iter().any(|a| a == "confirm");
                view! {
                    <section class="card wide">
                        <p><a href="/certifications">{t.nav_certifications}</a></p>
                        <h1>{s.name.clone()}" · "{category_label(&s.category, lang)}</h1>
                        <dl class="facts">
                            <dt>{t.id_number_label}</dt><dd>{s.id_number_masked.clone()}</dd>
                            <dt>{t.cert_status}</dt><dd data-testid="cert-status">{status_label(t, &s.status)}</dd>
                            <dt>{t.cert_department}</dt><dd>{department_label(&s.department, lang)}</dd>
                            <dt>{t.cert_area}</dt><dd>{s.area_code.clone()}</dd>
                            {s.effective_on.map(|d| view! { <dt>{t.cert_effective}</dt><dd data-testid="cert-effective">{d.to_string()}</dd> })}
                            {s.valid_until.map(|d| view! { <dt>{t.cert_valid_until}</dt><dd>{d.to_string()}</dd> })}
                        </dl>
                        {(!v.adjustments.is_empty()).then(|| view! {
                            <h2>{t.cert_adjustments}</h2>
                            <ul data-testid="adjustments">
                                {v.adjustments.iter().map(|a| view! {
                                    <li>{if a.kind == "refund" { t.adjust_refund } else { t.adjust_top_up }}" ¥"{a.amount.to_string()}" ("{t.adjust_pending}")"</li>
                                }).collect_view()}
                            </ul>
                        })}
                        {(!s.actions.is_empty()).then(|| view! {
                            <ActionForm action attr:class="steps">
                                <input type="hidden" name="id" value=cid.to_string()/>
                                <label for="s-comment">{if needs_reason { t.cert_reason } else { t.cert_comment }}</label>
                                <textarea id="s-comment" name="comment" rows="2" maxlength="500"></textarea>
                                <FieldError error field="comment"/>
                                {confirmable.then(|| view! {
                                    <label for="s-valid">{t.cert_valid_until}</label>
                                    <input id="s-valid" type="date" name="valid_until"/>
                                    <FieldError error field="valid_until"/>
                                })}
                                <FormError error fields=&["comment", "valid_until"]/>
                                <div class="step-buttons">
                                    {s.actions.iter().map(|a| view! {
                                        <button type="submit" name="action" value=a.clone() class="button" data-testid=format!("step-{a}")>{action_label(t, a)}</button>
                                    }).collect_view()}
                                </div>
                            </ActionForm>
                        })}
                        <h2>{t.cert_documents}</h2>
                        {uploaded.then(|| view! { <p class="notice" role="status">{t.cert_uploaded}</p> })}
                        {upload_error.map(|m| view! { <p class="form-error" role="alert" data-testid="upload-error">{m}</p> })}
                        {if v.document_list.is_empty() {
                            view! { <p class="muted">{t.cert_no_documents}</p> }.into_any()
                        } else {
                            view! {
                                <ul data-testid="documents">
                                    {v.document_list.iter().map(|d| view! {
                                        <li><a href=format!("/api/v1/certifications/{cid}/documents/{}", d.id) target="_blank" rel="external noopener">{d.file_name.clone()}</a>
                                            <span class="muted">" "{format!("{:.1} KB", d.size_bytes as f64 / 1024.0)}</span></li>
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                        {open_for_documents.then(|| view! {
                            <form method="post" enctype="multipart/form-data" action=format!("/api/v1/certifications/{cid}/documents") class="upload">
                                <label for="file">{t.cert_upload_hint}</label>
                                <input id="file" type="file" name="file" accept="image/jpeg,image/png,application/pdf" required/>
                                <button type="submit" class="button">{t.cert_upload}</button>
                            </form>
                        })}
                        <h2>{t.cert_history}</h2>
                        <ol class="history" data-testid="history">
                            {v.events.iter().map(|e| view! {
                                <li>
                                    <span>{shanghai_time(e.at)}</span>" "
                                    <strong>{status_label(t, &e.to_status)}</strong>" "
                                    <span class="muted">{e.actor.clone().unwrap_or_default()}</span>
                                    {e.comment.clone().map(|c| view! { <p class="comment">{c}</p> })}
                                </li>
                            }).collect_view()}
                        </ol>
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}
