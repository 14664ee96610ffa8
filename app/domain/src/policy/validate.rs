//! Checks a pack before it is used; each problem names the key and what is wrong.

use std::collections::HashSet;

use chrono::NaiveDate;

use super::pack::*;
use crate::money::Money;

impl PolicyPack {
    /// Every problem found (empty when the pack is usable).
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        let notices: HashSet<&str> = self.notices.iter().map(|n| n.number.as_str()).collect();
        let cite = |key: &str, notice: &str, clause: &str, assumption: bool, p: &mut Vec<String>| {
            if clause.trim().is_empty() {
                p.push(format!("{key}: clause is empty"));
            }
            if !assumption && !notices.contains(notice) {
                p.push(format!("{key}: notice {notice:?} is not listed in [[notices]]"));
            }
        };
        // Every note exists in both languages (the reader sees their own), and an assumed
        // value always says where it comes from.
        let noted = |key: &str, assumption: bool, zh: &Option<String>, en: &Option<String>, p: &mut Vec<String>| {
            let given = |n: &Option<String>| n.as_deref().is_some_and(|t| !t.trim().is_empty());
            for (lang, n) in [("note_zh", zh), ("note_en", en)] {
                if (assumption || given(zh) || given(en)) && !given(n) {
                    p.push(format!(
                        "{key}.{lang}: missing (every note is given in Chinese and English)"
                    ));
                }
            }
        };
        if self.id.trim().is_empty()
            || !self
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            p.push(format!("id: {:?} must be lowercase letters, digits and '-'", self.id));
        }
        if !(1990..=2100).contains(&self.insurance_year) {
            p.push(format!(
                "insurance_year: {} is out of range 1990–2100",
                self.insurance_year
            ));
        }
        if !notices.contains(&*self.notice) {
            p.push(format!("notice: {:?} is not listed in [[notices]]", self.notice));
        }
        if self.area_codes.is_empty() {
            p.push("area_codes: at least one area code is required".into());
        }
        // Tiers: one standard tier, or a high and a low one.
        let codes: Vec<TierCode> = self.tiers.iter().map(|t| t.code).collect();
        match codes.as_slice() {
            [TierCode::Standard] => {}
            [a, b]
                if (*a == TierCode::High && *b == TierCode::Low) || (*a == TierCode::Low && *b == TierCode::High) => {}
            [] => p.push("tiers: tiers missing".into()),
            _ => p.push(format!(
                "tiers: expected one 'standard' tier or 'high' and 'low', got {codes:?}"
            )),
        }
        for (i, t) in self.tiers.iter().enumerate() {
            // A tier without an amount is allowed (the notice sets none); one with an amount
            // must cite it like every other figure.
            let Some(personal) = &t.personal else { continue };
            if personal.value.is_negative() {
                p.push(format!("tiers[{i}].personal: negative amount {}", personal.value));
            }
            cite(
                &format!("tiers[{i}].personal"),
                &personal.notice,
                &personal.clause,
                personal.assumption,
                &mut p,
            );
            noted(
                &format!("tiers[{i}].personal"),
                personal.assumption,
                &personal.note_zh,
                &personal.note_en,
                &mut p,
            );
        }
        let amount = |code| self.tier(code).and_then(|t| t.personal.as_ref()).map(|c| c.value);
        if let (Some(high), Some(low)) = (amount(TierCode::High), amount(TierCode::Low)) {
            if high < low {
                p.push("tiers: the high tier costs less than the low tier".into());
            }
        }
        if self.tiers.len() == 2 && amount(TierCode::High).is_some() != amount(TierCode::Low).is_some() {
            p.push("tiers: give both tiers an amount, or neither".into());
        }
        // Fixed amounts can only be checked against a contribution that is known.
        let max_tier = self
            .tiers
            .iter()
            .filter_map(|t| t.personal.as_ref().map(|c| c.value))
            .max();
        if let Some(g) = &self.government_subsidy {
            if g.value.is_negative() {
                p.push(format!("government_subsidy: negative amount {}", g.value));
            }
            cite("government_subsidy", &g.notice, &g.clause, g.assumption, &mut p);
            noted("government_subsidy", g.assumption, &g.note_zh, &g.note_en, &mut p);
        }
        // Periods: well-formed, not overlapping, at least one on-time period.
        for (i, a) in self.periods.iter().enumerate() {
            if a.start > a.end {
                p.push(format!("periods[{i}]: starts {} after it ends {}", a.start, a.end));
            }
            cite(&format!("periods[{i}]"), &a.notice, &a.clause, a.assumption, &mut p);
            noted(&format!("periods[{i}]"), a.assumption, &a.note_zh, &a.note_en, &mut p);
            for (j, b) in self.periods.iter().enumerate().skip(i + 1) {
                if a.start <= b.end && b.start <= a.end {
                    p.push(format!("periods[{i}] and periods[{j}] overlap"));
                }
            }
        }
        if !self.periods.iter().any(|x| x.on_time) {
            p.push("periods: no period is marked on_time".into());
        }
        if let Some(last) = &self.last_enrolment_day {
            if self.periods.iter().any(|x| x.start > last.value) {
                p.push("last_enrolment_day: before a period starts".into());
            }
        }
        match (self.late.waiting_months, self.late.waiting_days) {
            (Some(_), Some(_)) => p.push("late: give waiting_months or waiting_days, not both".into()),
            (None, None) => p.push("late: waiting_months or waiting_days is required".into()),
            _ => {}
        }
        if self.late.pays_government_subsidy && self.government_subsidy.is_none() {
            p.push("late.pays_government_subsidy: needs government_subsidy".into());
        }
        cite(
            "late",
            &self.late.notice,
            &self.late.clause,
            self.late.assumption,
            &mut p,
        );
        noted(
            "late",
            self.late.assumption,
            &self.late.note_zh,
            &self.late.note_en,
            &mut p,
        );
        cite(
            "eligibility",
            &self.eligibility.notice,
            &self.eligibility.clause,
            self.eligibility.assumption,
            &mut p,
        );
        noted(
            "eligibility",
            self.eligibility.assumption,
            &self.eligibility.note_zh,
            &self.eligibility.note_en,
            &mut p,
        );
        let mut seen = HashSet::new();
        for (i, c) in self.categories.iter().enumerate() {
            let key = format!("categories[{i}] ({})", c.category.code());
            if !seen.insert(c.category) {
                p.push(format!("{key}: category listed twice"));
            }
            check_mode(&key, &c.subsidy, max_tier, &mut p);
            if let Some(d) = &c.certified_by {
                if !DEPARTMENTS.contains(&d.as_str()) {
                    p.push(format!("{key}.certified_by: unknown department {d:?}"));
                }
            }
            cite(&key, &c.notice, &c.clause, c.assumption, &mut p);
            noted(&key, c.assumption, &c.note_zh, &c.note_en, &mut p);
        }
        for (i, c) in self.combinations.iter().enumerate() {
            let key = format!("combinations[{i}]");
            if c.all_of.is_empty() {
                p.push(format!("{key}.all_of: empty"));
            }
            check_mode(&key, &c.subsidy, max_tier, &mut p);
            cite(&key, &c.notice, &c.clause, false, &mut p);
        }
        let mut add_on_codes = HashSet::new();
        for (i, a) in self.add_ons.iter().enumerate() {
            if !add_on_codes.insert(a.code.as_str()) {
                p.push(format!("add_ons[{i}]: code {:?} listed twice", a.code));
            }
            if a.amount.value.is_negative() {
                p.push(format!("add_ons[{i}].amount: negative amount"));
            }
            cite(
                &format!("add_ons[{i}]"),
                &a.amount.notice,
                &a.amount.clause,
                a.amount.assumption,
                &mut p,
            );
            noted(
                &format!("add_ons[{i}]"),
                a.amount.assumption,
                &a.amount.note_zh,
                &a.amount.note_en,
                &mut p,
            );
        }
        if let Some(s) = &self.student_rule {
            for (what, code) in [("pays", s.pays), ("benefits", s.benefits)] {
                if self.tier(code).is_none() {
                    p.push(format!("student_rule.{what}: tier {:?} is not in tiers", code.code()));
                }
            }
            cite("student_rule", &s.notice, &s.clause, s.assumption, &mut p);
            noted("student_rule", s.assumption, &s.note_zh, &s.note_en, &mut p);
        }
        if let Some(c) = &self.continuity {
            if c.consecutive_years == 0 || c.resident_years_per_employee_year == 0 {
                p.push("continuity: years must be at least 1".into());
            }
            cite("continuity", &c.notice, &c.clause, false, &mut p);
        }
        if let Some(c) = &self.newborn_from_birth {
            cite("newborn_from_birth", &c.notice, &c.clause, false, &mut p);
        }
        if let Some(c) = &self.newly_certified_from_month {
            cite("newly_certified_from_month", &c.notice, &c.clause, false, &mut p);
        }
        if let Some(c) = &self.employee_transfer {
            cite("employee_transfer", &c.notice, &c.clause, c.assumption, &mut p);
            noted("employee_transfer", c.assumption, &c.note_zh, &c.note_en, &mut p);
            if c.only_exempt && !c.only_categories.is_empty() {
                p.push("employee_transfer: give only_categories or only_exempt, not both".into());
            }
        }
        for (key, c) in [
            ("exempt_in_database_whole_year", &self.exempt_in_database_whole_year),
            ("exempt_never_late", &self.exempt_never_late),
        ] {
            if let Some(c) = c {
                cite(key, &c.notice, &c.clause, false, &mut p);
            }
        }
        if let Some(c) = &self.last_enrolment_day {
            noted("last_enrolment_day", c.assumption, &c.note_zh, &c.note_en, &mut p);
        }
        if let Some(h) = &self.hospitals {
            for (key, c) in [
                ("hospitals.max_choices", &h.max_choices),
                ("hospitals.changes_per_year", &h.changes_per_year),
            ] {
                noted(key, c.assumption, &c.note_zh, &c.note_en, &mut p);
            }
        }
        if let Some(r) = &self.reports.ranking {
            cite("reports.ranking", &r.notice, &r.clause, false, &mut p);
            let total = r.overall_points + r.college_student_points + r.improvement_points;
            if total != 100 {
                p.push(format!("reports.ranking: the points add up to {total}, not 100"));
            }
        }
        if let Some(r) = &self.reports.incentive {
            cite("reports.incentive", &r.notice, &r.clause, false, &mut p);
            if !r.per_head.is_positive() {
                p.push("reports.incentive.per_head: must be more than 0".into());
            }
        }
        p
    }

    /// The rule that fixes this person's tier (students and children), if any: they choose
    /// no tier. Age is counted on 1 January of the insurance year.
    pub fn fixed_tier_rule(&self, birth: NaiveDate, student: bool) -> Option<&StudentRule> {
        let year_start = NaiveDate::from_ymd_opt(self.insurance_year, 1, 1).expect("validated year");
        self.student_rule.as_ref().filter(|r| {
            student
                || r.child_max_age
                    .is_some_and(|max| crate::dates::age_on(birth, year_start) <= max)
        })
    }

    pub fn tier(&self, code: TierCode) -> Option<&Tier> {
        self.tiers.iter().find(|t| t.code == code)
    }

    pub fn category(&self, category: Category) -> Option<&CategoryRule> {
        self.categories.iter().find(|c| c.category == category)
    }

    /// Payments for this insurance year are accepted from the first period that is not mere
    /// preparation to the last enrolment day (default: 31 December of the year), both included.
    pub fn collection_window(&self) -> (NaiveDate, NaiveDate) {
        let year_start = NaiveDate::from_ymd_opt(self.insurance_year, 1, 1).expect("validated year");
        let year_end = NaiveDate::from_ymd_opt(self.insurance_year, 12, 31).expect("validated year");
        let start = self
            .periods
            .iter()
            .filter(|x| x.kind != PeriodKind::Preparation)
            .map(|x| x.start)
            .min()
            .unwrap_or(year_start);
        let end = self.last_enrolment_day.as_ref().map_or(year_end, |d| d.value);
        (start, end)
    }

    /// Every category the pack prices: its own rules first, then those only in combinations.
    pub fn priced_categories(&self) -> Vec<Category> {
        let mut out: Vec<Category> = self.categories.iter().map(|c| c.category).collect();
        for c in self
            .combinations
            .iter()
            .flat_map(|r| r.all_of.iter().chain(r.any_of.iter()))
        {
            if !out.contains(c) {
                out.push(*c);
            }
        }
        out
    }
}

fn check_mode(key: &str, mode: &SubsidyMode, max_tier: Option<Money>, p: &mut Vec<String>) {
    match mode {
        SubsidyMode::Fixed { amount } | SubsidyMode::PersonalPays { amount } => {
            if amount.is_negative() {
                p.push(format!("{key}.amount: negative amount {amount}"));
            } else if let Some(max_tier) = max_tier.filter(|m| amount > m) {
                p.push(format!("{key}.amount: {amount} exceeds the contribution {max_tier}"));
            }
        }
        SubsidyMode::Percent { percent } => {
            if percent.is_sign_negative() || *percent > rust_decimal::Decimal::ONE_HUNDRED {
                p.push(format!("{key}.percent: {percent} is not between 0 and 100"));
            }
        }
        SubsidyMode::AdvancedSettled { settled_with } => {
            if !DEPARTMENTS.contains(&settled_with.as_str()) {
                p.push(format!("{key}.settled_with: unknown department {settled_with:?}"));
            }
        }
        SubsidyMode::Full | SubsidyMode::Unpriced => {}
    }
}
