//! Server functions for households, enrolment, payment and receipts (the resident's
//! 我的参保 and the cadre's work on their behalf).

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::{CoveragePage, PersonHit, ReceiptView};

#[cfg(feature = "ssr")]
mod ssr {
    use crate::services::access::Actor;

    /// `http(s)://host` as the browser asked for it (a proxy's X-Forwarded-Proto is honoured).
    pub async fn site_origin() -> String {
        let headers: axum::http::HeaderMap = leptos_axum::extract().await.unwrap_or_default();
        let get = |k: &str| headers.get(k).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let host = get("host").unwrap_or_else(|| "localhost".to_owned());
        let proto = get("x-forwarded-proto").unwrap_or_else(|| "http".to_owned());
        format!("{proto}://{host}")
    }

    /// A QR code of `text` as an SVG element (no XML declaration), sized by CSS.
    pub fn qr_svg(text: &str) -> Option<String> {
        use qrcode::render::svg;
        let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M).ok()?;
        let svg = code.render::<svg::Color>().min_dimensions(200, 200).build();
        // Inline in HTML: drop the XML declaration the renderer writes first.
        svg.find("<svg").map(|i| svg[i..].to_owned())
    }

    /// Where a household's page lives for this viewer.
    pub fn coverage_url(actor: &Actor, household: i64) -> String {
        if actor.role == crate::model::Role::Resident {
            "/coverage".to_owned()
        } else {
            format!("/coverage?household={household}")
        }
    }
}

#[server]
pub async fn coverage(household: Option<i64>) -> Result<CoveragePage, AppError> {
    use self::ssr::*;
    crate::api::ssr::as_actor(|state, actor| async move {
        let mut page = crate::services::coverage::coverage_page(&state, &actor, household).await?;
        // A cadre hands the resident the payment page for their own phone.
        if page.staff {
            if let Some(o) = page.open_order.as_ref().filter(|o| o.status == "pending") {
                let link = format!("{}{}", site_origin().await, o.pay_url);
                page.pay_qr_svg = qr_svg(&link);
                page.pay_link = Some(link);
            }
        }
        Ok(page)
    })
    .await
}

/// First visit: the resident's name, ID number and village.
#[server]
pub async fn register_me(name: String, id_number: String, area_code: String) -> Result<(), AppError> {
    use crate::api::ssr::client_ip;
    crate::api::ssr::as_actor(|state, actor| async move {
        crate::services::enrolment::register_self(&state, &actor, &name, &id_number, &area_code, &client_ip()).await?;
        leptos_axum::redirect("/coverage");
        Ok(())
    })
    .await
}

#[server]
pub async fn add_household_member(
    household_id: i64,
    name: String,
    id_number: String,
    relationship: String,
    student: Option<String>,
) -> Result<(), AppError> {
    use self::ssr::*;
    use crate::api::ssr::client_ip;
    crate::api::ssr::as_actor(|state, actor| async move {
        crate::services::enrolment::add_member(
            &state,
            &actor,
            household_id,
            &name,
            &id_number,
            &relationship,
            student.is_some(),
            &client_ip(),
        )
        .await?;
        leptos_axum::redirect(&coverage_url(&actor, household_id));
        Ok(())
    })
    .await
}

/// The fact a form sends to say it asks "enrol this member?" for each member.
pub const ENROL_ASKED: &str = "0:enrol:asked";

/// Enrols the chosen members. Each `choices` entry is `"<person id>:<hospital code>"`,
/// each `tiers` entry `"<person id>:<tier>"`, each `add_ons` entry `"<person id>:<code>"`;
/// members without a hospital choice are left out (or, from a form that asks, the members not
/// ticked: `<person id>:enrol:on`, with [`ENROL_ASKED`] among the facts). The facts that can decide the start
/// date or eligibility come as `facts` entries `"<person id>:<fact>:<value>"` (`elsewhere:on`,
/// `work:<work code>`, `school:<school code>`), except the date employee insurance ended: a
/// date input holds only the date, so `ended[k]` pairs with the person id in `ended_pid[k]`.
#[server]
pub async fn enrol_household(
    household_id: i64,
    #[server(default)] choices: Vec<String>,
    #[server(default)] tiers: Vec<String>,
    #[server(default)] add_ons: Vec<String>,
    #[server(default)] facts: Vec<String>,
    #[server(default)] ended: Vec<String>,
    #[server(default)] ended_pid: Vec<i64>,
) -> Result<(), AppError> {
    use self::ssr::*;
    use crate::api::ssr::client_ip;
    use crate::services::enrolment::{EnrolRequest, MemberRequest};
    crate::api::ssr::as_actor(|state, actor| async move {
        let mut people = crate::services::enrolment::household_members(&state, &actor, household_id).await?;
        let pick = |list: &[String], pid: i64| -> Vec<String> {
            list.iter()
                .filter_map(|c| c.split_once(':'))
                .filter(|(p, v)| p.parse::<i64>().ok() == Some(pid) && !v.is_empty())
                .map(|(_, v)| v.to_owned())
                .collect()
        };
        let fact = |pid: i64, key: &str| -> Option<String> {
            pick(&facts, pid).into_iter().find_map(|kv| {
                kv.split_once(':')
                    .filter(|(k, v)| *k == key && !v.is_empty())
                    .map(|(_, v)| v.to_owned())
            })
        };
        // The form asks "enrol this member?" on its own (the fact `<pid>:enrol:on`; a hidden
        // `0:enrol:asked` says the form asks): a ticked member needs a hospital, an unticked
        // one is left out whatever its hospital list says. Without it (an older page), a
        // chosen hospital decides.
        if facts.iter().any(|f| f == ENROL_ASKED) {
            people.retain(|p| fact(p.id, "enrol").is_some());
            if let Some(p) = people.iter().find(|p| pick(&choices, p.id).is_empty()) {
                return Err(AppError::invalid(
                    "hospitals",
                    "hospital_required",
                    format!("请为{}选择定点医疗机构", p.name),
                    format!("Choose a designated hospital for {}", p.name),
                ));
            }
        }
        let members: Vec<MemberRequest> = people
            .iter()
            .filter_map(|p| {
                let hospitals = pick(&choices, p.id);
                (!hospitals.is_empty()).then(|| MemberRequest {
                    id_number: p.id_number.clone(),
                    name: None,
                    relationship: None,
                    student: None,
                    tier: pick(&tiers, p.id).into_iter().next(),
                    add_ons: pick(&add_ons, p.id),
                    hospitals,
                    employee_insurance_ended_on: ended_pid
                        .iter()
                        .zip(&ended)
                        .find(|(pid, d)| **pid == p.id && !d.trim().is_empty())
                        .map(|(_, d)| d.trim().to_owned()),
                    insured_elsewhere: fact(p.id, "elsewhere").map(|_| true),
                    work: fact(p.id, "work"),
                    school: fact(p.id, "school"),
                })
            })
            .collect();
        let req = EnrolRequest {
            household_id: Some(household_id),
            area_code: None,
            policy: None,
            members,
        };
        let done = crate::services::enrolment::submit(&state, &actor, &req, None, &client_ip()).await?;
        // The page it returns to says what happened and what comes next, at its top.
        let url = coverage_url(&actor, household_id);
        let sep = if url.contains('?') { '&' } else { '?' };
        leptos_axum::redirect(&format!("{url}{sep}submitted={}", done.enrollments.len()));
        Ok(())
    })
    .await
}

/// Goes to the payment page of the household's open order (opening one if needed); with
/// `qr` set, back to the household's page, which then shows the order's link and QR code.
#[server]
pub async fn pay_household(household_id: i64, #[server(default)] qr: Option<String>) -> Result<(), AppError> {
    use self::ssr::*;
    use crate::api::ssr::client_ip;
    crate::api::ssr::as_actor(|state, actor| async move {
        let order = crate::services::enrolment::open_order(&state, &actor, household_id, &client_ip()).await?;
        match qr {
            Some(_) => leptos_axum::redirect(&coverage_url(&actor, household_id)),
            None => leptos_axum::redirect(&order.pay_url),
        }
        Ok(())
    })
    .await
}

/// Changes a member's designated hospitals later in the year (the pack's changes-per-year
/// rule); `choices` are hospital codes.
#[server]
pub async fn change_hospitals(enrolment_id: i64, #[server(default)] choices: Vec<String>) -> Result<(), AppError> {
    use self::ssr::*;
    use crate::api::ssr::client_ip;
    crate::api::ssr::as_actor(|state, actor| async move {
        let e =
            crate::services::enrolment::change_hospitals(&state, &actor, enrolment_id, &choices, &client_ip()).await?;
        leptos_axum::redirect(&coverage_url(&actor, e.household_id.unwrap_or_default()));
        Ok(())
    })
    .await
}

/// A cadre or officer confirms, in person, the phone a member controls; the resident can
/// then sign in with it and link their account (the phone on record is the proof).
#[server]
pub async fn confirm_member_phone(household_id: i64, person_id: i64, phone: String) -> Result<(), AppError> {
    use self::ssr::*;
    use crate::api::ssr::client_ip;
    crate::api::ssr::as_actor(|state, actor| async move {
        crate::services::enrolment::confirm_resident_phone(&state, &actor, person_id, &phone, &client_ip()).await?;
        leptos_axum::redirect(&coverage_url(&actor, household_id));
        Ok(())
    })
    .await
}

/// A cadre records cash and goes to the receipt.
#[server]
pub async fn collect_cash(household_id: i64, amount: String) -> Result<(), AppError> {
    use crate::api::ssr::client_ip;
    crate::api::ssr::as_actor(|state, actor| async move {
        let r = crate::services::payments::collect_cash(&state, &actor, household_id, &amount, &client_ip()).await?;
        leptos_axum::redirect(&format!("/receipt/{}", r.receipt_no));
        Ok(())
    })
    .await
}

#[server]
pub async fn receipt(receipt_no: String) -> Result<ReceiptView, AppError> {
    crate::api::ssr::as_actor(|state, actor| async move {
        crate::services::payments::receipt(&state, &actor, &receipt_no).await
    })
    .await
}

#[server]
pub async fn search_people(query: String) -> Result<Vec<PersonHit>, AppError> {
    crate::api::ssr::as_actor(
        |state, actor| async move { crate::services::coverage::search(&state, &actor, &query).await },
    )
    .await
}

#[server]
pub async fn new_household(area_code: String, name: String, id_number: String) -> Result<(), AppError> {
    use self::ssr::*;
    use crate::api::ssr::client_ip;
    crate::api::ssr::as_actor(|state, actor| async move {
        let h = crate::services::enrolment::staff_new_household(
            &state,
            &actor,
            &area_code,
            &name,
            &id_number,
            &client_ip(),
        )
        .await?;
        leptos_axum::redirect(&coverage_url(&actor, h));
        Ok(())
    })
    .await
}

/// The signed-in collector's cash for today (the app's date: cash is paid on the business clock).
#[server]
pub async fn my_cash_today() -> Result<(chrono::NaiveDate, usize, domain::Money, Vec<ReceiptView>), AppError> {
    crate::api::ssr::as_actor(|state, actor| async move {
        let day = state.clock.today();
        let s = crate::services::payments::cash_summary(&state, &actor, day).await?;
        Ok((s.date, s.people, s.total, s.receipts))
    })
    .await
}

/// Bureau officers paste the tax bureau's CSV.
#[server]
pub async fn import_reconciliation(csv: String) -> Result<crate::model::ReconciliationOutcome, AppError> {
    use crate::api::ssr::client_ip;
    crate::api::ssr::as_actor(|state, actor| async move {
        let r =
            crate::services::payments::import_reconciliation(&state, &actor, "pasted.csv", &csv, &client_ip()).await?;
        Ok(crate::model::ReconciliationOutcome {
            rows_total: r.rows_total,
            applied: r.applied,
            duplicates: r.duplicates,
            exceptions: r
                .exceptions
                .into_iter()
                .map(|e| (e.line, e.id_number_masked, e.reason, e.message))
                .collect(),
        })
    })
    .await
}

/// Bureau officers: the payment exceptions queue of their area (open ones unless `all`),
/// with the refunds and top-ups still to settle.
#[server]
pub async fn payment_exceptions(all: bool) -> Result<crate::model::PaymentExceptionList, AppError> {
    crate::api::ssr::as_actor(|state, actor| async move {
        let exceptions = crate::services::payments::exceptions::list(&state, &actor, all).await?;
        let adjustments = crate::services::payments::exceptions::pending_adjustments(&state, &actor).await?;
        Ok(crate::model::PaymentExceptionList {
            exceptions,
            adjustments,
        })
    })
    .await
}

/// Bureau officers settle a payment exception: refunded (through `channel`) or applied.
#[server]
pub async fn settle_payment_exception(
    id: i64,
    outcome: String,
    channel: Option<String>,
    note: Option<String>,
) -> Result<crate::model::PaymentExceptionView, AppError> {
    use crate::api::ssr::client_ip;
    crate::api::ssr::as_actor(|state, actor| async move {
        let req = crate::model::SettleRequest {
            outcome: Some(outcome),
            channel,
            note,
        };
        crate::services::payments::exceptions::settle(&state, &actor, id, &req, &client_ip()).await
    })
    .await
}

/// Bureau officers record a refund paid back or a top-up collected.
#[server]
pub async fn settle_adjustment(
    id: i64,
    channel: String,
    note: Option<String>,
) -> Result<crate::model::AdjustmentView, AppError> {
    use crate::api::ssr::client_ip;
    crate::api::ssr::as_actor(|state, actor| async move {
        let req = crate::model::SettleRequest {
            outcome: None,
            channel: Some(channel),
            note,
        };
        crate::services::payments::exceptions::settle_adjustment(&state, &actor, id, &req, &client_ip()).await
    })
    .await
}
