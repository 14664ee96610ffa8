//! Accounts, roles and what the shell shows about the signed-in user.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::AreaLevel;
use crate::i18n::Texts;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Resident,
    Cadre,
    TownshipOfficer,
    DepartmentOfficer,
    BureauOfficer,
    Admin,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Resident,
        Role::Cadre,
        Role::TownshipOfficer,
        Role::DepartmentOfficer,
        Role::BureauOfficer,
        Role::Admin,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::Resident => "resident",
            Role::Cadre => "cadre",
            Role::TownshipOfficer => "township_officer",
            Role::DepartmentOfficer => "department_officer",
            Role::BureauOfficer => "bureau_officer",
            Role::Admin => "admin",
        }
    }

    pub fn from_code(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn is_staff(self) -> bool {
        self != Role::Resident
    }

    pub fn label(self, t: &Texts) -> &'static str {
        match self {
            Role::Resident => t.role_resident,
            Role::Cadre => t.role_cadre,
            Role::TownshipOfficer => t.role_township_officer,
            Role::DepartmentOfficer => t.role_department_officer,
            Role::BureauOfficer => t.role_bureau_officer,
            Role::Admin => t.role_admin,
        }
    }

    /// The area level a role's scope must have (`None`: any level; residents have none).
    pub fn scope_levels(self) -> &'static [AreaLevel] {
        match self {
            Role::Resident => &[],
            Role::Cadre => &[AreaLevel::Village],
            Role::TownshipOfficer => &[AreaLevel::Township],
            Role::DepartmentOfficer => &[AreaLevel::District],
            Role::BureauOfficer => &[AreaLevel::District, AreaLevel::City],
            Role::Admin => &[AreaLevel::Country, AreaLevel::City, AreaLevel::District],
        }
    }
}

/// Certifying departments (认定部门) a department officer belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Department {
    CivilAffairs,
    RuralRevitalisation,
    DisabledPersonsFederation,
    Veterans,
    Health,
    VeteranCadres,
    TradeUnion,
    PartyOrganisation,
}

impl Department {
    pub const ALL: [Department; 8] = [
        Department::CivilAffairs,
        Department::RuralRevitalisation,
        Department::DisabledPersonsFederation,
        Department::Veterans,
        Department::Health,
        Department::VeteranCadres,
        Department::TradeUnion,
        Department::PartyOrganisation,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Department::CivilAffairs => "civil_affairs",
            Department::RuralRevitalisation => "rural_revitalisation",
            Department::DisabledPersonsFederation => "disabled_persons_federation",
            Department::Veterans => "veterans",
            Department::Health => "health",
            Department::VeteranCadres => "veteran_cadres",
            Department::TradeUnion => "trade_union",
            Department::PartyOrganisation => "party_organisation",
        }
    }

    pub fn from_code(code: &str) -> Option<Department> {
        Department::ALL.into_iter().find(|d| d.code() == code)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Department::CivilAffairs => "民政局",
            Department::RuralRevitalisation => "乡村振兴局",
            Department::DisabledPersonsFederation => "残疾人联合会",
            Department::Veterans => "退役军人事务局",
            Department::Health => "卫生健康委员会",
            Department::VeteranCadres => "老干部局",
            Department::TradeUnion => "总工会",
            Department::PartyOrganisation => "党委组织部",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Department::CivilAffairs => "Civil affairs",
            Department::RuralRevitalisation => "Rural revitalisation",
            Department::DisabledPersonsFederation => "Disabled persons' federation",
            Department::Veterans => "Veterans affairs",
            Department::Health => "Health",
            Department::VeteranCadres => "Veteran cadres",
            Department::TradeUnion => "Trade union",
            Department::PartyOrganisation => "Party organisation",
        }
    }
}

/// The signed-in account as the UI sees it (no secrets; phone masked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub display_name: String,
    pub role: Role,
    pub area_code: Option<String>,
    /// Names from the top of the hierarchy down to the scope area.
    pub area_path: Vec<String>,
    /// The same names in English.
    #[serde(default)]
    pub area_path_en: Vec<String>,
    pub department: Option<Department>,
    pub phone_masked: Option<String>,
}

/// The code page's header: where the code went (masked), and the code itself in demo mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSignIn {
    pub phone_masked: String,
    pub demo_code: Option<String>,
}

/// What every page needs: who is signed in and what "today" is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShellInfo {
    pub user: Option<UserView>,
    pub today: NaiveDate,
    pub date_pinned: bool,
    pub demo: bool,
}

/// One count on the staff workbench: what waits, how many (`more`: at least that many, the
/// page it links to shows one page), and where to do it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TodoItem {
    pub kind: String,
    pub count: i64,
    pub more: bool,
    pub href: String,
}

/// Masks a mobile number for display: `138****0001`.
pub fn mask_phone(phone: &str) -> String {
    if phone.len() == 11 && phone.is_ascii() {
        format!("{}****{}", &phone[..3], &phone[7..])
    } else {
        "***".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::from_code(r.code()), Some(r));
        }
        for d in Department::ALL {
            assert_eq!(Department::from_code(d.code()), Some(d));
        }
        for l in AreaLevel::ALL {
            assert_eq!(AreaLevel::from_code(l.code()), Some(l));
        }
        assert_eq!(Role::from_code("root"), None);
    }

    #[test]
    fn phone_is_masked() {
        assert_eq!(mask_phone("13800000001"), "138****0001");
        assert_eq!(mask_phone("123"), "***");
    }

    #[test]
    fn every_staff_role_has_a_scope_level() {
        for r in Role::ALL {
            assert_eq!(r.scope_levels().is_empty(), r == Role::Resident, "{r:?}");
        }
    }
}
