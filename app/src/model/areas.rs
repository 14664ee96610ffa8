//! Areas (行政区划) and the scope a code covers.

use serde::{Deserialize, Serialize};

use crate::i18n::Texts;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum AreaLevel {
    Country,
    City,
    District,
    Township,
    Village,
}

impl AreaLevel {
    pub const ALL: [AreaLevel; 5] = [
        AreaLevel::Country,
        AreaLevel::City,
        AreaLevel::District,
        AreaLevel::Township,
        AreaLevel::Village,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AreaLevel::Country => "country",
            AreaLevel::City => "city",
            AreaLevel::District => "district",
            AreaLevel::Township => "township",
            AreaLevel::Village => "village",
        }
    }

    pub fn from_code(code: &str) -> Option<AreaLevel> {
        AreaLevel::ALL.into_iter().find(|l| l.code() == code)
    }

    /// The level directly below, if any.
    pub fn child(self) -> Option<AreaLevel> {
        match self {
            AreaLevel::Country => Some(AreaLevel::City),
            AreaLevel::City => Some(AreaLevel::District),
            AreaLevel::District => Some(AreaLevel::Township),
            AreaLevel::Township => Some(AreaLevel::Village),
            AreaLevel::Village => None,
        }
    }

    pub fn label(self, t: &Texts) -> &'static str {
        match self {
            AreaLevel::Country => t.level_country,
            AreaLevel::City => t.level_city,
            AreaLevel::District => t.level_district,
            AreaLevel::Township => t.level_township,
            AreaLevel::Village => t.level_village,
        }
    }
}

/// One administrative area with its target for the year shown, if the notices set one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct AreaNode {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub level: AreaLevel,
    pub parent: Option<String>,
    pub kind: Option<String>,
    pub code_assumed: bool,
    pub target: Option<AreaTarget>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct AreaTarget {
    pub insurance_year: i32,
    pub count: i64,
    pub notice: String,
    pub clause: String,
}

/// The prefix every area code inside `code` starts with: a province or city code's
/// trailing "00" pairs dropped (370700 → 3707, 110000 → 11), the country root "" and
/// other codes as they are.
pub fn area_prefix(code: &str) -> &str {
    if code == "000000" {
        return "";
    }
    if code.len() == 6 {
        let mut end = 6;
        while end > 2 && &code[end - 2..end] == "00" {
            end -= 2;
        }
        return &code[..end];
    }
    code
}

/// The areas at or under `scope` (all when `None`), parents before children.
pub fn within_scope(areas: Vec<AreaNode>, scope: Option<&str>) -> Vec<AreaNode> {
    let Some(scope) = scope else { return areas };
    let parents: std::collections::HashMap<&str, Option<&str>> =
        areas.iter().map(|a| (a.code.as_str(), a.parent.as_deref())).collect();
    let inside = |code: &str| {
        let mut cur = Some(code);
        while let Some(c) = cur {
            if c == scope {
                return true;
            }
            cur = parents.get(c).copied().flatten();
        }
        false
    };
    let keep: Vec<bool> = areas.iter().map(|a| inside(&a.code)).collect();
    areas
        .into_iter()
        .zip(keep)
        .filter_map(|(a, k)| k.then_some(a))
        .collect()
}

#[cfg(test)]
mod prefix_tests {
    use super::area_prefix;

    #[test]
    fn area_prefixes_drop_the_trailing_zero_pairs_of_cities_and_provinces() {
        assert_eq!(area_prefix("370700"), "3707");
        assert_eq!(area_prefix("110000"), "11");
        assert_eq!(area_prefix("141102"), "141102");
        assert_eq!(area_prefix("141102001"), "141102001");
        assert_eq!(area_prefix("000000"), "");
    }
}
