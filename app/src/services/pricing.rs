//! One way to price a stored person: the engine's input built from what the database knows
//! (flagged categories, years paid), and its errors tied to the member's form field.

use chrono::NaiveDate;
use domain::policy::{quote, PersonInput, PolicyPack, Quote, QuoteRequest};

use crate::error::AppError;
use crate::services::enrolment::store::{self as store, PersonRow};
use crate::services::AppState;

/// Where a person lives: their own area, else their household's ("" when neither is known).
pub async fn person_area(state: &AppState, person: &PersonRow) -> Result<String, AppError> {
    Ok(match (&person.area_code, person.household_id) {
        (Some(a), _) => a.clone(),
        (None, Some(h)) => store::household(&state.db, h)
            .await?
            .map(|h| h.area_code)
            .unwrap_or_default(),
        (None, None) => String::new(),
    })
}

/// The engine's input for a known person, with their flagged categories and history.
pub async fn quote_request(
    state: &AppState,
    pack: &PolicyPack,
    person: &PersonRow,
    student: bool,
    tier: Option<String>,
    add_ons: Vec<String>,
    paid_on: NaiveDate,
) -> Result<QuoteRequest, AppError> {
    // Someone not yet stored (id 0) has no certifications and no history to look up.
    let (certs, years) = if person.id == 0 {
        (Vec::new(), Vec::new())
    } else {
        (
            store::flagged_categories(&state.db, person.id, paid_on).await?,
            store::paid_years(&state.db, person.id).await?,
        )
    };
    let certified_on = certs.iter().filter_map(|(_, d)| *d).max();
    Ok(QuoteRequest {
        policy: pack.id.clone(),
        person: PersonInput {
            id_number: Some(person.id_number.clone()),
            birth_date: None,
            categories: certs.into_iter().map(|(c, _)| c).collect(),
            certified_on: certified_on.map(|d| d.to_string()),
            student,
            employee_insurance_active: false,
            employee_insurance_ended_on: None,
            hukou_local: person.hukou_local,
            months_resident: person.months_resident.map(i64::from),
            insured_elsewhere: false,
            enrolled_years: years.into_iter().filter(|y| *y < pack.insurance_year).collect(),
            // Asked on the enrolment form (see `MemberRequest::apply_facts`).
            work: None,
            school: None,
        },
        tier,
        add_ons,
        paid_on: paid_on.to_string(),
    })
}

/// The engine's answer, with a quote error tied to the member's field.
pub fn run_quote(pack: &PolicyPack, req: &QuoteRequest, prefix: &str) -> Result<Quote, AppError> {
    quote(pack, req).map_err(|e| {
        let field = match e.field.as_str() {
            "tier" | "paid_on" => format!("{prefix}.{}", e.field),
            f if f.starts_with("add_ons") => format!("{prefix}.{f}"),
            // The member's own answers keep their field (the form marks that input).
            f @ ("person.employee_insurance_ended_on" | "person.work" | "person.school") => {
                format!("{prefix}.{}", f.trim_start_matches("person."))
            }
            _ => format!("{prefix}.id_number"),
        };
        AppError::invalid(&field, &e.code, e.message, e.message_en)
    })
}
