//! Reference data (areas, targets) and the demo data set.
//!
//! The area file is data with its sources cited in comments and on every target;
//! it is embedded in the binary and loaded idempotently on every start.

use std::collections::{HashMap, HashSet};

use domain::IdNumber;
use serde::Deserialize;

use crate::error::AppError;
use crate::model::{AreaLevel, AreaNode, AreaTarget, Department, Role};
use crate::services::auth::store::{self as accounts, NewAccount};
use crate::services::enrolment::store as people;
use crate::store::{areas, Db};

const AREAS_TOML: &str = include_str!("../seed/areas.toml");

pub use super::access::ROOT_AREA;

pub use super::auth::DEMO_PASSWORD;
/// Phone of the demo resident (sign in with the code shown on screen in demo mode).
pub const DEMO_RESIDENT_PHONE: &str = "13800000001";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AreaFile {
    areas: Vec<AreaEntry>,
    #[serde(default)]
    targets: Vec<TargetEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AreaEntry {
    code: String,
    name: String,
    name_en: String,
    level: String,
    parent: Option<String>,
    kind: Option<String>,
    #[serde(default)]
    code_assumed: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetEntry {
    area: String,
    insurance_year: i32,
    count: i64,
    notice: String,
    clause: String,
    /// A demo figure where the notice gives none (shown marked as such).
    #[serde(default)]
    assumed: bool,
}

/// The parsed and checked area file: areas (parents first) and targets by area code
/// (with whether the figure is a demo assumption).
#[derive(Debug)]
pub struct AreaSeed {
    pub areas: Vec<AreaNode>,
    pub targets: Vec<(String, AreaTarget, bool)>,
}

/// Parses an area file and checks its shape; errors name the entry and the problem.
pub fn parse_areas(text: &str) -> Result<AreaSeed, String> {
    let file: AreaFile = toml::from_str(text).map_err(|e| format!("areas.toml: {e}"))?;
    let mut levels: HashMap<String, AreaLevel> = HashMap::from([(ROOT_AREA.to_owned(), AreaLevel::Country)]);
    let mut out = vec![AreaNode {
        code: ROOT_AREA.into(),
        name: "全国".into(),
        name_en: "China".into(),
        level: AreaLevel::Country,
        parent: None,
        kind: None,
        code_assumed: true,
        target: None,
    }];
    for a in file.areas {
        let level = AreaLevel::from_code(&a.level)
            .filter(|l| *l != AreaLevel::Country)
            .ok_or_else(|| format!("areas.toml: area {}: unknown level {:?}", a.code, a.level))?;
        if !a.code.chars().all(|c| c.is_ascii_digit()) || ![6, 9, 12].contains(&a.code.len()) {
            return Err(format!("areas.toml: area {}: code must have 6, 9 or 12 digits", a.code));
        }
        let parent = match (level, a.parent) {
            (AreaLevel::City, None) => ROOT_AREA.to_owned(),
            (_, Some(p)) => p,
            (_, None) => return Err(format!("areas.toml: area {}: parent missing", a.code)),
        };
        let parent_level = levels
            .get(&parent)
            .ok_or_else(|| format!("areas.toml: area {}: parent {parent} is not listed before it", a.code))?;
        if parent_level.child() != Some(level) {
            return Err(format!(
                "areas.toml: area {}: a {} cannot sit under a {}",
                a.code,
                level.code(),
                parent_level.code()
            ));
        }
        if levels.insert(a.code.clone(), level).is_some() {
            return Err(format!("areas.toml: area {}: listed twice", a.code));
        }
        out.push(AreaNode {
            code: a.code,
            name: a.name,
            name_en: a.name_en,
            level,
            parent: Some(parent),
            kind: a.kind,
            code_assumed: a.code_assumed,
            target: None,
        });
    }
    let mut seen = HashSet::new();
    let mut targets = Vec::new();
    for t in file.targets {
        if !levels.contains_key(&t.area) {
            return Err(format!("areas.toml: target for unknown area {}", t.area));
        }
        if t.count < 0 || t.notice.trim().is_empty() || t.clause.trim().is_empty() {
            return Err(format!(
                "areas.toml: target for {}: count must be ≥ 0 and notice and clause cited",
                t.area
            ));
        }
        if !seen.insert((t.area.clone(), t.insurance_year)) {
            return Err(format!(
                "areas.toml: target for {} in {} listed twice",
                t.area, t.insurance_year
            ));
        }
        targets.push((
            t.area,
            AreaTarget {
                insurance_year: t.insurance_year,
                count: t.count,
                notice: t.notice,
                clause: t.clause,
            },
            t.assumed,
        ));
    }
    Ok(AreaSeed { areas: out, targets })
}

/// The embedded area file, parsed. A broken file is a build defect, caught by the tests.
pub fn embedded_areas() -> AreaSeed {
    parse_areas(AREAS_TOML).expect("embedded areas.toml is valid")
}

/// Loads the reference areas and targets (idempotent).
pub async fn load_areas(db: &Db) -> Result<(), AppError> {
    let seed = embedded_areas();
    for a in &seed.areas {
        areas::upsert_area(db, a).await?;
    }
    for (code, t, assumed) in &seed.targets {
        areas::upsert_target(db, code, t, *assumed).await?;
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HospitalFile {
    hospitals: Vec<crate::services::enrolment::store::HospitalRow>,
}

/// The embedded demo list of designated medical institutions.
pub fn embedded_hospitals() -> Result<Vec<crate::services::enrolment::store::HospitalRow>, String> {
    let file: HospitalFile =
        toml::from_str(include_str!("../seed/hospitals.toml")).map_err(|e| format!("hospitals.toml: {e}"))?;
    let mut seen = HashSet::new();
    for h in &file.hospitals {
        if !seen.insert(h.code.clone()) {
            return Err(format!("hospitals.toml: code {:?} appears twice", h.code));
        }
    }
    Ok(file.hospitals)
}

/// Loads the designated institutions (idempotent); each must sit in a known area.
pub async fn load_hospitals(db: &Db) -> Result<(), AppError> {
    let list = embedded_hospitals().map_err(|e| AppError::internal("seed", e))?;
    for h in &list {
        if areas::get(db, &h.area_code).await?.is_none() {
            return Err(AppError::internal(
                "seed",
                format!("hospitals.toml: {} sits in unknown area {}", h.code, h.area_code),
            ));
        }
        crate::services::enrolment::store::upsert_hospital(db, h).await?;
    }
    Ok(())
}

/// Demo residents without accounts: (ID number, name, village, household?, 低保 since).
/// 李凤英 and 王德顺 are certified 低保 and in no household (new residents add one as a parent);
/// 赵德明 lives in the demo cadre's community; 孙玉山 lives in another one.
pub const DEMO_PEOPLE: [(&str, &str, &str, bool, Option<&str>); 4] = [
    (
        "141102194905060023",
        "李凤英",
        "141102001001",
        false,
        Some("2022-03-01"),
    ),
    (
        "141102193807090013",
        "王德顺",
        "141102001001",
        false,
        Some("2022-06-01"),
    ),
    ("141102195208120013", "赵德明", "141102001001", true, None),
    ("141102194702150037", "孙玉山", "141102002001", true, None),
];

struct DemoStaff {
    username: &'static str,
    name: &'static str,
    role: Role,
    area: &'static str,
    department: Option<Department>,
}

/// Demo staff, one or more for every role (README lists them).
const DEMO_STAFF: &[DemoStaff] = &[
    DemoStaff {
        username: "admin",
        name: "系统管理员",
        role: Role::Admin,
        area: ROOT_AREA,
        department: None,
    },
    DemoStaff {
        username: "bureau_lishi",
        name: "离石区医保局 王敏",
        role: Role::BureauOfficer,
        area: "141102",
        department: None,
    },
    // A second Lishi officer: a pack drafted by one is approved and published by another.
    DemoStaff {
        username: "bureau_lishi2",
        name: "离石区医保局 李华",
        role: Role::BureauOfficer,
        area: "141102",
        department: None,
    },
    DemoStaff {
        username: "bureau_lvliang",
        name: "吕梁市医保局 赵强",
        role: Role::BureauOfficer,
        area: "141100",
        department: None,
    },
    DemoStaff {
        username: "bureau_beijing",
        name: "北京市医保局 李静",
        role: Role::BureauOfficer,
        area: "110000",
        department: None,
    },
    DemoStaff {
        username: "bureau_sanya",
        name: "三亚市医保局 陈海",
        role: Role::BureauOfficer,
        area: "460200",
        department: None,
    },
    DemoStaff {
        username: "bureau_rugao",
        name: "如皋市医保局 周洁",
        role: Role::BureauOfficer,
        area: "320682",
        department: None,
    },
    DemoStaff {
        username: "bureau_weifang",
        name: "潍坊市医保局 孙磊",
        role: Role::BureauOfficer,
        area: "370700",
        department: None,
    },
    DemoStaff {
        username: "civil_lishi",
        name: "离石区民政局 刘芳",
        role: Role::DepartmentOfficer,
        area: "141102",
        department: Some(Department::CivilAffairs),
    },
    DemoStaff {
        username: "rural_lishi",
        name: "离石区乡村振兴局 郭伟",
        role: Role::DepartmentOfficer,
        area: "141102",
        department: Some(Department::RuralRevitalisation),
    },
    DemoStaff {
        username: "disabled_lishi",
        name: "离石区残联 高红",
        role: Role::DepartmentOfficer,
        area: "141102",
        department: Some(Department::DisabledPersonsFederation),
    },
    DemoStaff {
        username: "township_binhe",
        name: "滨河街道社保所 马丽",
        role: Role::TownshipOfficer,
        area: "141102001",
        department: None,
    },
    DemoStaff {
        username: "cadre_dongguan",
        name: "东关社区协办员 张伟",
        role: Role::Cadre,
        area: "141102001001",
        department: None,
    },
];

/// The first demo staff account that exists, is active and still has the published demo
/// password: a production server refuses to start on such a database.
pub async fn demo_account_with_published_password(db: &Db) -> Result<Option<String>, AppError> {
    for s in DEMO_STAFF {
        let Some(a) = accounts::by_username(db, s.username).await? else {
            continue;
        };
        let Some(hash) = a.password_hash.filter(|_| a.active) else {
            continue;
        };
        if super::auth::verify_password(hash, DEMO_PASSWORD.to_owned()).await {
            return Ok(Some(s.username.to_owned()));
        }
    }
    Ok(None)
}

/// Creates the demo accounts and the demo resident when missing (idempotent).
pub async fn load_demo(db: &Db, now: chrono::DateTime<chrono::Utc>) -> Result<(), AppError> {
    let mut missing = Vec::new();
    for s in DEMO_STAFF {
        if accounts::by_username(db, s.username).await?.is_none() {
            missing.push(s);
        }
    }
    if !missing.is_empty() {
        // One hash for all demo staff: they share the demo password, and hashing is slow by design.
        let hash = tokio::task::spawn_blocking(|| super::auth::hash_password(DEMO_PASSWORD))
            .await
            .map_err(|e| AppError::internal("seed", e))?;
        for s in missing {
            let new = NewAccount {
                role: s.role.code(),
                username: Some(s.username),
                phone: None,
                password_hash: Some(&hash),
                display_name: s.name,
                area_code: Some(s.area),
                department: s.department.map(Department::code),
                person_id: None,
            };
            accounts::create(db, &new, now).await?;
        }
    }
    if accounts::by_phone(db, DEMO_RESIDENT_PHONE).await?.is_none() {
        let id = IdNumber::parse("141102195603120021").map_err(|e| AppError::internal("seed", e))?;
        let person = people::NewPerson {
            id_number: &id,
            name: "张秀英",
            phone: Some(DEMO_RESIDENT_PHONE),
            area_code: Some("141102001001"),
            hukou_local: true,
        };
        let person_id = people::upsert(db, &person, now).await?;
        if people::household_of(db, person_id).await?.is_none() {
            people::create_household(db, person_id, "141102001001", now).await?;
        }
        let new = NewAccount {
            role: Role::Resident.code(),
            username: None,
            phone: Some(DEMO_RESIDENT_PHONE),
            password_hash: None,
            display_name: "张秀英",
            area_code: None,
            department: None,
            person_id: Some(person_id),
        };
        accounts::create(db, &new, now).await?;
    }
    for (number, name, village, household, minimum_living) in DEMO_PEOPLE {
        let id = IdNumber::parse(number).map_err(|e| AppError::internal("seed", e))?;
        let person = people::NewPerson {
            id_number: &id,
            name,
            phone: None,
            area_code: Some(village),
            hukou_local: true,
        };
        let person_id = people::upsert(db, &person, now).await?;
        if household && people::household_of(db, person_id).await?.is_none() {
            people::create_household(db, person_id, village, now).await?;
        }
        if let Some(since) = minimum_living {
            if !crate::services::enrolment::store::has_certification(db, person_id, "minimum_living").await? {
                let since = domain::dates::parse_date(since).map_err(|e| AppError::internal("seed", e))?;
                crate::services::enrolment::store::insert_flagged_certification(
                    db,
                    person_id,
                    "minimum_living",
                    "civil_affairs",
                    since,
                    now,
                )
                .await?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_area_file_is_valid_and_matches_the_lishi_notice() {
        let seed = embedded_areas();
        let lishi: Vec<_> = seed
            .areas
            .iter()
            .filter(|a| a.parent.as_deref() == Some("141102") && a.level == AreaLevel::Township)
            .collect();
        // 离政办发〔2022〕34号 附件2: eleven townships/streets plus the education system.
        assert_eq!(lishi.len(), 12);
        assert_eq!(
            lishi
                .iter()
                .filter(|a| a.kind.as_deref() == Some("education_system"))
                .count(),
            1
        );
        let total: i64 = seed
            .targets
            .iter()
            .filter(|(code, t, _)| code.starts_with("141102") && t.insurance_year == 2023)
            .map(|(_, t, _)| t.count)
            .sum();
        assert_eq!(total, 199_200);
        let binhe = seed.targets.iter().find(|(c, _, _)| c == "141102001").unwrap();
        assert_eq!(binhe.1.count, 22_611);
        assert_eq!(binhe.1.notice, "离政办发〔2022〕34号");
        // Rugao: 如城街道 2020 target 62,390 (the notice's), and the demo split over its
        // villages (marked assumed) adds up to it.
        let rucheng = seed.targets.iter().find(|(c, _, _)| c == "320682001").unwrap();
        assert_eq!((rucheng.1.count, rucheng.2), (62_390, false));
        let villages: Vec<_> = seed
            .targets
            .iter()
            .filter(|(c, _, _)| c.starts_with("320682001") && c.len() == 12)
            .collect();
        assert!(villages.len() >= 3 && villages.iter().all(|(_, _, assumed)| *assumed));
        assert_eq!(villages.iter().map(|(_, t, _)| t.count).sum::<i64>(), 62_390);
        for city in ["110000", "460200", "320600", "370700", "141100"] {
            assert!(
                seed.areas.iter().any(|a| a.code == city && a.level == AreaLevel::City),
                "{city}"
            );
        }
        for jurisdiction in ["1101", "4602", "320682", "3707", "141102"] {
            assert!(
                seed.areas
                    .iter()
                    .any(|a| a.code.starts_with(jurisdiction) && a.level == AreaLevel::Village),
                "villages under {jurisdiction}"
            );
        }
    }

    #[test]
    fn bad_area_files_are_rejected_with_the_entry_named() {
        let bad_level = "[[areas]]\ncode = \"110000\"\nname = \"x\"\nname_en = \"x\"\nlevel = \"planet\"\n";
        assert!(parse_areas(bad_level).unwrap_err().contains("110000: unknown level"));
        let orphan =
            "[[areas]]\ncode = \"110101\"\nname = \"x\"\nname_en = \"x\"\nlevel = \"district\"\nparent = \"999999\"\n";
        assert!(parse_areas(orphan).unwrap_err().contains("parent 999999"));
        let skip = "[[areas]]\ncode = \"110000\"\nname = \"x\"\nname_en = \"x\"\nlevel = \"city\"\n\
                    [[areas]]\ncode = \"110101001\"\nname = \"x\"\nname_en = \"x\"\nlevel = \"township\"\nparent = \"110000\"\n";
        assert!(parse_areas(skip).unwrap_err().contains("cannot sit under"));
        let target = "[[areas]]\ncode = \"110000\"\nname = \"x\"\nname_en = \"x\"\nlevel = \"city\"\n\
                      [[targets]]\narea = \"110000\"\ninsurance_year = 2020\ncount = -1\nnotice = \"n\"\nclause = \"c\"\n";
        assert!(parse_areas(target).unwrap_err().contains("count must be"));
    }

    #[test]
    fn demo_staff_scopes_fit_their_roles() {
        let seed = embedded_areas();
        for s in DEMO_STAFF {
            let area = seed
                .areas
                .iter()
                .find(|a| a.code == s.area)
                .unwrap_or_else(|| panic!("{}", s.username));
            assert!(
                s.role.scope_levels().contains(&area.level),
                "{} at {:?}",
                s.username,
                area.level
            );
            assert_eq!(s.department.is_some(), s.role == Role::DepartmentOfficer);
        }
        for role in Role::ALL.into_iter().filter(|r| r.is_staff()) {
            assert!(DEMO_STAFF.iter().any(|s| s.role == role), "{role:?} has a demo account");
        }
    }
}
