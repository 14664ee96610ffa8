//! Who is acting and what they may reach: the one place that answers "may this actor see
//! or change this area?". Every use case asks here and fails closed: an account without an
//! area gets nothing, and out of scope answers like unknown wherever a name could leak.

use domain::IdNumber;

use crate::error::AppError;
use crate::model::Role;
use crate::services::auth::store::AccountRow;

/// The root every city hangs under, so an administrator can be scoped to the whole system.
pub const ROOT_AREA: &str = "000000";

/// Who is acting, and over which area.
#[derive(Debug, Clone)]
pub struct Actor {
    pub account: AccountRow,
    pub role: Role,
}

impl Actor {
    pub fn new(account: AccountRow) -> Actor {
        let role = Role::from_code(&account.role).unwrap_or(Role::Resident);
        Actor { account, role }
    }

    /// Staff who may enrol people and collect payment within their area.
    pub fn enrols_for_others(&self) -> bool {
        matches!(
            self.role,
            Role::Cadre | Role::TownshipOfficer | Role::BureauOfficer | Role::Admin
        )
    }

    /// The prefix of every area code in the actor's scope: "" for the country root
    /// (whose code 000000 prefixes nothing), None for residents.
    /// A city's or province's code covers its districts by prefix (370700 → 3707).
    pub fn scope(&self) -> Option<&str> {
        self.account.area_code.as_deref().map(crate::model::area_prefix)
    }

    /// The staff member's scope, or 403 for an account without an area: such an account
    /// gets nothing (it never stands for the whole country; the admin's scope is 000000).
    pub fn staff_scope(&self) -> Result<&str, AppError> {
        self.scope().ok_or_else(|| {
            AppError::forbidden(
                "no_scope",
                "您的账户没有管辖区域，请联系管理员",
                "Your account has no area; please ask an administrator",
            )
        })
    }

    /// True when the actor may see and act on a household in `area_code`.
    pub fn covers(&self, area_code: &str) -> bool {
        self.enrols_for_others() && self.scope().is_some_and(|s| area_code.starts_with(s))
    }
}

/// 403 for a household outside the actor's area (where its existence is not secret).
pub fn forbidden_area() -> AppError {
    AppError::forbidden(
        "out_of_scope",
        "该居民不在您的管辖范围内",
        "This resident is outside your area",
    )
}

/// The area to look at: the one asked for if inside the actor's scope (403 otherwise),
/// else the whole scope.
pub fn area_within(actor: &Actor, asked: Option<&str>) -> Result<String, AppError> {
    let scope = actor.staff_scope()?;
    match asked.map(str::trim).filter(|s| !s.is_empty()) {
        Some(a) if !a.starts_with(scope) => Err(AppError::forbidden(
            "out_of_scope",
            "该地区不在您的管辖范围内",
            "This area is outside your scope",
        )),
        Some(a) => Ok(a.to_owned()),
        None => Ok(scope.to_owned()),
    }
}

/// `1411**********0021`: the stored number is valid, so the slices are in range.
pub fn mask_id(id: &str) -> String {
    IdNumber::parse(id)
        .map(|i| i.masked())
        .unwrap_or_else(|_| "******".into())
}
