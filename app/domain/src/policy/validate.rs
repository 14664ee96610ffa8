//! Checks a pack before it is used; each problem names the field and what is wrong, in
//! Chinese and in English.

use std::collections::HashSet;
use std::fmt;

use chrono::NaiveDate;

use super::pack::*;
use crate::money::Money;

/// One thing wrong with a pack: the field (a path into the pack, as the editing forms name their inputs), and what is wrong in Chinese and English.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Problem {
    /// The path of the field, e.g. `periods[1].start` (see [`PolicyPack::check`]).
    pub field: String,
    /// What is wrong, in plain Simplified Chinese for a bureau officer.
    pub zh: String,
    /// What is wrong, in plain English.
    pub en: String,
}

impl fmt::Display for Problem {
    /// `field: english`, e.g. "periods[0].end: starts 2022-12-26 after it ends 2022-12-25".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.en)
    }
}

/// Collects problems; knows the pack's notices so citations can be checked.
struct Checker<'a> {
    notices: HashSet<&'a str>,
    out: Vec<Problem>,
}

impl Checker<'_> {
    fn push(&mut self, field: impl Into<String>, zh: impl Into<String>, en: impl Into<String>) {
        self.out.push(Problem {
            field: field.into(),
            zh: zh.into(),
            en: en.into(),
        });
    }

    /// A citation names a listed notice (unless the value is an assumption, which may cite
    /// a notice from elsewhere) and a clause. `key` is the cited value's path, `name` what
    /// the officer calls it.
    fn cite(&mut self, key: &str, name: &str, notice: &str, clause: &str, assumption: bool) {
        if clause.trim().is_empty() {
            self.push(
                format!("{key}.clause"),
                format!("{name}：未填写所依据的条款"),
                "clause is empty",
            );
        }
        if !assumption && !self.notices.contains(notice) {
            self.push(
                format!("{key}.notice"),
                format!("{name}：引用的通知“{notice}”不在通知列表中"),
                format!("notice \"{notice}\" is not listed in [[notices]]"),
            );
        }
    }

    /// Every note exists in both languages (the reader sees their own), and an assumed
    /// value always says where it comes from.
    fn noted(&mut self, key: &str, name: &str, assumption: bool, zh: &Option<String>, en: &Option<String>) {
        let given = |n: &Option<String>| n.as_deref().is_some_and(|t| !t.trim().is_empty());
        let needed = assumption || given(zh) || given(en);
        for (lang, lang_zh, n) in [("note_zh", "中文", zh), ("note_en", "英文", en)] {
            if needed && !given(n) {
                let why = if assumption {
                    "假设的数值须用中文和英文写明来源"
                } else {
                    "说明须同时用中文和英文填写"
                };
                self.push(
                    format!("{key}.{lang}"),
                    format!("{name}：缺少{lang_zh}说明（{why}）"),
                    "missing (every note is given in Chinese and English)",
                );
            }
        }
    }
}

/// What the officer calls a tier code.
fn tier_code_zh(code: TierCode) -> &'static str {
    match code {
        TierCode::Standard => "统一标准档",
        TierCode::High => "高档",
        TierCode::Low => "低档",
    }
}

fn period_kind_zh(kind: PeriodKind) -> &'static str {
    match kind {
        PeriodKind::Preparation => "动员准备期",
        PeriodKind::Concentrated => "集中缴费期",
        PeriodKind::SweepUp => "扫尾期",
    }
}

/// The tier as the officer knows it: by its Chinese name, else by its place in the list.
fn tier_name(i: usize, t: &Tier) -> String {
    if t.name_zh.trim().is_empty() {
        format!("第{}个缴费档次", i + 1)
    } else {
        format!("缴费档次“{}”", t.name_zh.trim())
    }
}

fn add_on_name(i: usize, a: &AddOn) -> String {
    if a.name_zh.trim().is_empty() {
        format!("第{}个附加项目", i + 1)
    } else {
        format!("附加项目“{}”", a.name_zh.trim())
    }
}

impl PolicyPack {
    /// Every problem found, as English lines `field: message` (empty when the pack is usable).
    pub fn problems(&self) -> Vec<String> {
        self.check().iter().map(ToString::to_string).collect()
    }

    /// Every problem found (empty when the pack is usable), each naming its field and saying
    /// what is wrong in Chinese and English.
    ///
    /// A problem's `field` is a path into the pack as serde names it (the names of the TOML
    /// file and of the editing forms' inputs): keys joined by `.`, list items by their index
    /// from 0 in brackets, e.g. `periods[1].start`, `tiers[0].personal.value`,
    /// `categories[3].amount` (a category's subsidy mode is flattened into it), and always the
    /// most specific field that is wrong:
    ///
    /// - a cited figure's amount or date is its `.value` (`government_subsidy.value`,
    ///   `last_enrolment_day.value`, `add_ons[0].amount.value`), even where the figure is
    ///   absent and must be given (`tiers[1].personal.value`);
    /// - a citation's problems name `<key>.clause` (empty) or `<key>.notice` (not listed in
    ///   `notices`), a missing note `<key>.note_zh` or `<key>.note_en`;
    /// - where two fields conflict, the one to change: of two overlapping periods the later
    ///   one in the list (its `.start`), of a period ending before it starts its `.end`, of
    ///   a category listed twice the second (`categories[3].category`), of a high tier that
    ///   costs less than the low one the high tier's amount;
    /// - a problem with a whole list or table names it: `area_codes`, `tiers` (missing or
    ///   the wrong codes), `periods` (none on time), `reports.ranking` (the points do not
    ///   add up to 100).
    pub fn check(&self) -> Vec<Problem> {
        let mut p = Checker {
            notices: self.notices.iter().map(|n| n.number.as_str()).collect(),
            out: Vec::new(),
        };
        if self.id.trim().is_empty()
            || !self
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            p.push(
                "id",
                "编号不能为空，且只能由小写英文字母、数字和连字符“-”组成",
                format!("\"{}\" must be lowercase letters, digits and '-'", self.id),
            );
        }
        if !(1990..=2100).contains(&self.insurance_year) {
            p.push(
                "insurance_year",
                format!("参保年度{}不在1990年至2100年之间", self.insurance_year),
                format!("{} is out of range 1990–2100", self.insurance_year),
            );
        }
        if !p.notices.contains(&*self.notice) {
            p.push(
                "notice",
                format!("主通知“{}”不在通知列表中", self.notice),
                format!("\"{}\" is not listed in [[notices]]", self.notice),
            );
        }
        if self.area_codes.is_empty() {
            p.push(
                "area_codes",
                "至少要填写一个行政区划代码",
                "at least one area code is required",
            );
        }
        // Tiers: one standard tier, or a high and a low one.
        let codes: Vec<TierCode> = self.tiers.iter().map(|t| t.code).collect();
        match codes.as_slice() {
            [TierCode::Standard] => {}
            [a, b]
                if (*a == TierCode::High && *b == TierCode::Low) || (*a == TierCode::Low && *b == TierCode::High) => {}
            [] => p.push("tiers", "没有填写缴费档次", "tiers missing"),
            _ => p.push(
                "tiers",
                format!(
                    "缴费档次应为一个统一标准档，或高档、低档各一个；现在是：{}",
                    codes.iter().map(|c| tier_code_zh(*c)).collect::<Vec<_>>().join("、")
                ),
                format!(
                    "expected one 'standard' tier or 'high' and 'low', got [{}]",
                    codes.iter().map(|c| c.code()).collect::<Vec<_>>().join(", ")
                ),
            ),
        }
        for (i, t) in self.tiers.iter().enumerate() {
            // A tier without an amount is allowed (the notice sets none); one with an amount
            // must cite it like every other figure.
            let Some(personal) = &t.personal else { continue };
            let key = format!("tiers[{i}].personal");
            let name = tier_name(i, t);
            if personal.value.is_negative() {
                p.push(
                    format!("{key}.value"),
                    format!("{name}：个人缴费金额不能为负数（现为{}元）", personal.value),
                    format!("negative amount {}", personal.value),
                );
            }
            p.cite(&key, &name, &personal.notice, &personal.clause, personal.assumption);
            p.noted(&key, &name, personal.assumption, &personal.note_zh, &personal.note_en);
        }
        let amount = |code| self.tier(code).and_then(|t| t.personal.as_ref()).map(|c| c.value);
        let index = |code| self.tiers.iter().position(|t| t.code == code).unwrap_or(0);
        if let (Some(high), Some(low)) = (amount(TierCode::High), amount(TierCode::Low)) {
            if high < low {
                p.push(
                    format!("tiers[{}].personal.value", index(TierCode::High)),
                    format!("高档个人缴费{high}元低于低档个人缴费{low}元"),
                    "the high tier costs less than the low tier",
                );
            }
        }
        if self.tiers.len() == 2 && amount(TierCode::High).is_some() != amount(TierCode::Low).is_some() {
            // Name the tier that lacks the amount.
            let (i, t) = self
                .tiers
                .iter()
                .enumerate()
                .find(|(_, t)| t.personal.is_none())
                .expect("one of the two tiers has no amount");
            p.push(
                format!("tiers[{i}].personal.value"),
                format!(
                    "{}：未填写个人缴费金额（两个档次须都填写金额，或都不填写）",
                    tier_name(i, t)
                ),
                "give both tiers an amount, or neither",
            );
        }
        // Fixed amounts can only be checked against a contribution that is known.
        let max_tier = self
            .tiers
            .iter()
            .filter_map(|t| t.personal.as_ref().map(|c| c.value))
            .max();
        if let Some(g) = &self.government_subsidy {
            let name = "财政补助";
            if g.value.is_negative() {
                p.push(
                    "government_subsidy.value",
                    format!("{name}：金额不能为负数（现为{}元）", g.value),
                    format!("negative amount {}", g.value),
                );
            }
            p.cite("government_subsidy", name, &g.notice, &g.clause, g.assumption);
            p.noted("government_subsidy", name, g.assumption, &g.note_zh, &g.note_en);
        }
        // Periods: well-formed, not overlapping, at least one on-time period.
        for (i, a) in self.periods.iter().enumerate() {
            let key = format!("periods[{i}]");
            let name = format!("第{}个缴费期", i + 1);
            if a.start > a.end {
                p.push(
                    format!("{key}.end"),
                    format!("{name}：开始日期{}晚于结束日期{}", a.start, a.end),
                    format!("starts {} after it ends {}", a.start, a.end),
                );
            }
            p.cite(&key, &name, &a.notice, &a.clause, a.assumption);
            p.noted(&key, &name, a.assumption, &a.note_zh, &a.note_en);
            for (j, b) in self.periods.iter().enumerate().skip(i + 1) {
                if a.start <= b.end && b.start <= a.end {
                    p.push(
                        format!("periods[{j}].start"),
                        format!(
                            "第{}个缴费期（{}，{}至{}）与第{}个缴费期（{}，{}至{}）的日期重叠",
                            j + 1,
                            period_kind_zh(b.kind),
                            b.start,
                            b.end,
                            i + 1,
                            period_kind_zh(a.kind),
                            a.start,
                            a.end
                        ),
                        format!("periods[{i}] and periods[{j}] overlap"),
                    );
                }
            }
        }
        if !self.periods.iter().any(|x| x.on_time) {
            p.push(
                "periods",
                "没有标记为按时缴费的缴费期（至少要有一个，通常是集中缴费期）",
                "no period is marked on_time",
            );
        }
        if let Some(last) = &self.last_enrolment_day {
            if let Some((i, x)) = self.periods.iter().enumerate().find(|(_, x)| x.start > last.value) {
                p.push(
                    "last_enrolment_day.value",
                    format!(
                        "最后参保日{}早于第{}个缴费期（{}）的开始日期{}",
                        last.value,
                        i + 1,
                        period_kind_zh(x.kind),
                        x.start
                    ),
                    format!("before a period starts (periods[{i}] starts {})", x.start),
                );
            }
        }
        let late = "逾期参保规则";
        match (self.late.waiting_months, self.late.waiting_days) {
            (Some(_), Some(_)) => p.push(
                "late.waiting_days",
                format!("{late}：待遇等待期按月或按天填写，只能填一项"),
                "give waiting_months or waiting_days, not both",
            ),
            (None, None) => p.push(
                "late.waiting_months",
                format!("{late}：须填写待遇等待期（按月或按天）"),
                "waiting_months or waiting_days is required",
            ),
            _ => {}
        }
        if self.late.pays_government_subsidy && self.government_subsidy.is_none() {
            p.push(
                "late.pays_government_subsidy",
                format!("{late}：要求逾期参保人员补缴财政补助，但没有填写财政补助标准"),
                "needs government_subsidy",
            );
        }
        p.cite("late", late, &self.late.notice, &self.late.clause, self.late.assumption);
        p.noted(
            "late",
            late,
            self.late.assumption,
            &self.late.note_zh,
            &self.late.note_en,
        );
        let eligibility = "参保范围";
        p.cite(
            "eligibility",
            eligibility,
            &self.eligibility.notice,
            &self.eligibility.clause,
            self.eligibility.assumption,
        );
        p.noted(
            "eligibility",
            eligibility,
            self.eligibility.assumption,
            &self.eligibility.note_zh,
            &self.eligibility.note_en,
        );
        let mut seen = HashSet::new();
        for (i, c) in self.categories.iter().enumerate() {
            let key = format!("categories[{i}]");
            let name = c.category.name_zh();
            if !seen.insert(c.category) {
                p.push(
                    format!("{key}.category"),
                    format!("{name}：这一身份类别已在前面列出，不能重复"),
                    format!("category \"{}\" listed twice", c.category.code()),
                );
            }
            check_mode(&key, name, &c.subsidy, max_tier, &mut p);
            if let Some(d) = &c.certified_by {
                if !DEPARTMENTS.contains(&d.as_str()) {
                    p.push(
                        format!("{key}.certified_by"),
                        format!("{name}：认定部门不是系统中的部门"),
                        format!("unknown department \"{d}\""),
                    );
                }
            }
            p.cite(&key, name, &c.notice, &c.clause, c.assumption);
            p.noted(&key, name, c.assumption, &c.note_zh, &c.note_en);
        }
        for (i, c) in self.combinations.iter().enumerate() {
            let key = format!("combinations[{i}]");
            let name = format!("第{}条组合资助规则", i + 1);
            if c.all_of.is_empty() {
                p.push(
                    format!("{key}.all_of"),
                    format!("{name}：没有选择须同时具备的身份类别"),
                    "empty",
                );
            }
            check_mode(&key, &name, &c.subsidy, max_tier, &mut p);
            p.cite(&key, &name, &c.notice, &c.clause, false);
        }
        let mut add_on_codes = HashSet::new();
        for (i, a) in self.add_ons.iter().enumerate() {
            let key = format!("add_ons[{i}]");
            let name = add_on_name(i, a);
            if !add_on_codes.insert(a.code.as_str()) {
                p.push(
                    format!("{key}.code"),
                    format!("{name}：项目代码与前面的附加项目重复"),
                    format!("code \"{}\" listed twice", a.code),
                );
            }
            if a.amount.value.is_negative() {
                p.push(
                    format!("{key}.amount.value"),
                    format!("{name}：金额不能为负数（现为{}元）", a.amount.value),
                    format!("negative amount {}", a.amount.value),
                );
            }
            let key = format!("{key}.amount");
            p.cite(&key, &name, &a.amount.notice, &a.amount.clause, a.amount.assumption);
            p.noted(&key, &name, a.amount.assumption, &a.amount.note_zh, &a.amount.note_en);
        }
        if let Some(s) = &self.student_rule {
            let name = "学生和儿童缴费规则";
            for (what, what_zh, code) in [("pays", "缴费档次", s.pays), ("benefits", "待遇档次", s.benefits)] {
                if self.tier(code).is_none() {
                    p.push(
                        format!("student_rule.{what}"),
                        format!("{name}：{what_zh}“{}”不在本政策的缴费档次中", tier_code_zh(code)),
                        format!("tier \"{}\" is not in tiers", code.code()),
                    );
                }
            }
            p.cite("student_rule", name, &s.notice, &s.clause, s.assumption);
            p.noted("student_rule", name, s.assumption, &s.note_zh, &s.note_en);
        }
        if let Some(c) = &self.continuity {
            let name = "连续参保激励";
            if c.consecutive_years == 0 {
                p.push(
                    "continuity.consecutive_years",
                    format!("{name}：连续参保年数至少为1年"),
                    "years must be at least 1",
                );
            }
            if c.resident_years_per_employee_year == 0 {
                p.push(
                    "continuity.resident_years_per_employee_year",
                    format!("{name}：折算1年职工医保缴费年限所需的居民医保年数至少为1年"),
                    "years must be at least 1",
                );
            }
            p.cite("continuity", name, &c.notice, &c.clause, false);
        }
        if let Some(c) = &self.newborn_from_birth {
            p.cite(
                "newborn_from_birth",
                "新生儿自出生之日起享受待遇",
                &c.notice,
                &c.clause,
                false,
            );
        }
        if let Some(c) = &self.newly_certified_from_month {
            p.cite(
                "newly_certified_from_month",
                "新认定人员自认定当月起享受待遇",
                &c.notice,
                &c.clause,
                false,
            );
        }
        if let Some(c) = &self.employee_transfer {
            let name = "职工医保转居民医保";
            p.cite("employee_transfer", name, &c.notice, &c.clause, c.assumption);
            p.noted("employee_transfer", name, c.assumption, &c.note_zh, &c.note_en);
            if c.only_exempt && !c.only_categories.is_empty() {
                p.push(
                    "employee_transfer.only_categories",
                    format!("{name}：“只限部分身份类别”和“只限免缴人员”只能选一项"),
                    "give only_categories or only_exempt, not both",
                );
            }
        }
        for (key, name, c) in [
            (
                "exempt_in_database_whole_year",
                "已入库免缴人员全年享受待遇",
                &self.exempt_in_database_whole_year,
            ),
            ("exempt_never_late", "免缴人员不计为逾期缴费", &self.exempt_never_late),
        ] {
            if let Some(c) = c {
                p.cite(key, name, &c.notice, &c.clause, false);
            }
        }
        // Dates and counts are figures too: each names its notice and clause.
        if let Some(c) = &self.last_enrolment_day {
            p.cite("last_enrolment_day", "最后参保日", &c.notice, &c.clause, c.assumption);
            p.noted("last_enrolment_day", "最后参保日", c.assumption, &c.note_zh, &c.note_en);
        }
        if let Some(h) = &self.hospitals {
            for (key, name, c) in [
                ("hospitals.max_choices", "可选定点医疗机构数量", &h.max_choices),
                (
                    "hospitals.changes_per_year",
                    "定点医疗机构每年可变更次数",
                    &h.changes_per_year,
                ),
            ] {
                p.cite(key, name, &c.notice, &c.clause, c.assumption);
                p.noted(key, name, c.assumption, &c.note_zh, &c.note_en);
            }
        }
        if let Some(r) = &self.reports.ranking {
            let name = "参保工作排名";
            p.cite("reports.ranking", name, &r.notice, &r.clause, false);
            let total = r.overall_points + r.college_student_points + r.improvement_points;
            if total != 100 {
                p.push(
                    "reports.ranking",
                    format!("{name}：各项分值合计{total}分，应为100分"),
                    format!("the points add up to {total}, not 100"),
                );
            }
        }
        if let Some(r) = &self.reports.incentive {
            let name = "参保工作奖励";
            p.cite("reports.incentive", name, &r.notice, &r.clause, false);
            if !r.per_head.is_positive() {
                p.push(
                    "reports.incentive.per_head",
                    format!("{name}：每人奖励金额须大于0元（现为{}元）", r.per_head),
                    "must be more than 0",
                );
            }
        }
        p.out
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

/// A subsidy's figures: amounts not negative and within the contribution, a percentage
/// between 0 and 100, a known department.
fn check_mode(key: &str, name: &str, mode: &SubsidyMode, max_tier: Option<Money>, p: &mut Checker<'_>) {
    match mode {
        SubsidyMode::Fixed { amount } | SubsidyMode::PersonalPays { amount } => {
            let what = if matches!(mode, SubsidyMode::Fixed { .. }) {
                "定额资助"
            } else {
                "个人缴费"
            };
            if amount.is_negative() {
                p.push(
                    format!("{key}.amount"),
                    format!("{name}：{what}金额不能为负数（现为{amount}元）"),
                    format!("negative amount {amount}"),
                );
            } else if let Some(max_tier) = max_tier.filter(|m| amount > m) {
                p.push(
                    format!("{key}.amount"),
                    format!("{name}：{what}{amount}元超过缴费标准{max_tier}元"),
                    format!("{amount} exceeds the contribution {max_tier}"),
                );
            }
        }
        SubsidyMode::Percent { percent } => {
            if percent.is_sign_negative() || *percent > rust_decimal::Decimal::ONE_HUNDRED {
                p.push(
                    format!("{key}.percent"),
                    format!("{name}：资助比例{percent}%不在0%至100%之间"),
                    format!("{percent} is not between 0 and 100"),
                );
            }
        }
        SubsidyMode::AdvancedSettled { settled_with } => {
            if !DEPARTMENTS.contains(&settled_with.as_str()) {
                p.push(
                    format!("{key}.settled_with"),
                    format!("{name}：代垫后结算的部门不是系统中的部门"),
                    format!("unknown department \"{settled_with}\""),
                );
            }
        }
        SubsidyMode::Full | SubsidyMode::Unpriced => {}
    }
}
