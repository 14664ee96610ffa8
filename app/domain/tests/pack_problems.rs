//! `PolicyPack::check`: every rule, broken one at a time in an otherwise valid seed pack,
//! yields exactly one problem that names the field an editing form would mark and says what
//! is wrong in plain Chinese (and English).

use chrono::NaiveDate;
use domain::policy::{Category, Cited, PeriodKind, PolicyPack, Problem, SubsidyMode, TierCode};
use domain::Money;
use rust_decimal::Decimal;

#[allow(dead_code)]
mod seed;
use seed::{pack, PACKS};

/// A notice no seed pack lists.
const UNLISTED: &str = "未列出的通知";

fn yuan(s: &str) -> Money {
    s.parse().expect("test amount")
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
}

fn has_ascii_letter(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_alphabetic())
}

// ---------------------------------------------------------------------------------------
// Every seed pack is clean

#[test]
fn every_seed_pack_in_app_policies_has_no_problem() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("app/policies exists") {
        let path = entry.expect("dir entry").path();
        if path.extension().is_none_or(|x| x != "toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable");
        let p =
            toml::from_str::<PolicyPack>(&text).unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()));
        assert_eq!(p.check(), Vec::<Problem>::new(), "{} has problems", path.display());
        assert_eq!(p.problems(), Vec::<String>::new(), "{}", path.display());
        seen += 1;
    }
    assert!(seen >= PACKS.len(), "only {seen} packs in {}", dir.display());
    for (id, _) in PACKS {
        assert_eq!(pack(id).check(), Vec::<Problem>::new(), "{id}");
    }
}

// ---------------------------------------------------------------------------------------
// One row per rule

struct Row {
    /// The seed pack that is broken.
    pack: &'static str,
    /// Breaks exactly one rule.
    brk: fn(&mut PolicyPack),
    /// The field the problem must name …
    field: &'static str,
    /// … and a phrase its Chinese message must contain.
    zh: &'static str,
}

const fn row(pack: &'static str, brk: fn(&mut PolicyPack), field: &'static str, zh: &'static str) -> Row {
    Row { pack, brk, field, zh }
}

fn rows() -> Vec<Row> {
    vec![
        // --- The pack as a whole
        row("lishi-2023", |p| p.id = "Lishi 2023".into(), "id", "编号不能为空，且只能由小写英文字母、数字和连字符"),
        row("lishi-2023", |p| p.id = String::new(), "id", "编号不能为空"),
        row(
            "lishi-2023",
            |p| p.insurance_year = 2200,
            "insurance_year",
            "参保年度2200不在1990年至2100年之间",
        ),
        row(
            "lishi-2023",
            |p| p.notice = UNLISTED.into(),
            "notice",
            "主通知“未列出的通知”不在通知列表中",
        ),
        row("lishi-2023", |p| p.area_codes.clear(), "area_codes", "至少要填写一个行政区划代码"),
        // --- Tiers
        row("lishi-2023", |p| p.tiers.clear(), "tiers", "没有填写缴费档次"),
        row(
            "lishi-2023",
            |p| {
                let t = p.tiers[0].clone();
                p.tiers.push(t);
            },
            "tiers",
            "缴费档次应为一个统一标准档，或高档、低档各一个；现在是：统一标准档、统一标准档",
        ),
        row(
            "weifang-2021",
            |p| p.tiers[1].personal.as_mut().unwrap().value = yuan("-260.00"),
            "tiers[1].personal.value",
            "缴费档次“低档”：个人缴费金额不能为负数（现为-260.00元）",
        ),
        row(
            "weifang-2021",
            |p| p.tiers[0].personal.as_mut().unwrap().value = yuan("100.00"),
            "tiers[0].personal.value",
            "高档个人缴费100.00元低于低档个人缴费260.00元",
        ),
        row(
            "weifang-2021",
            |p| p.tiers[1].personal = None,
            "tiers[1].personal.value",
            "缴费档次“低档”：未填写个人缴费金额",
        ),
        row(
            "lishi-2023",
            |p| p.tiers[0].personal.as_mut().unwrap().clause = " ".into(),
            "tiers[0].personal.clause",
            "缴费档次“统一标准”：未填写所依据的条款",
        ),
        row(
            "lishi-2023",
            |p| p.tiers[0].personal.as_mut().unwrap().notice = UNLISTED.into(),
            "tiers[0].personal.notice",
            "缴费档次“统一标准”：引用的通知“未列出的通知”不在通知列表中",
        ),
        row(
            "lishi-2023",
            |p| p.tiers[0].personal.as_mut().unwrap().note_en = Some("a note".into()),
            "tiers[0].personal.note_zh",
            "缴费档次“统一标准”：缺少中文说明",
        ),
        // --- Government subsidy
        row(
            "weifang-2021",
            |p| p.government_subsidy.as_mut().unwrap().value = yuan("-1.00"),
            "government_subsidy.value",
            "财政补助：金额不能为负数（现为-1.00元）",
        ),
        row(
            "rugao-2020",
            |p| p.government_subsidy.as_mut().unwrap().notice = UNLISTED.into(),
            "government_subsidy.notice",
            "财政补助：引用的通知“未列出的通知”不在通知列表中",
        ),
        row(
            "weifang-2021",
            |p| p.government_subsidy.as_mut().unwrap().note_en = None,
            "government_subsidy.note_en",
            "财政补助：缺少英文说明（假设的数值须用中文和英文写明来源）",
        ),
        // --- Periods
        row(
            "lishi-2023",
            |p| {
                let mut x = p.periods[0].clone();
                x.kind = PeriodKind::SweepUp;
                x.on_time = false;
                x.start = day("2022-12-26");
                x.end = day("2022-12-25");
                p.periods.push(x);
            },
            "periods[1].end",
            "第2个缴费期：开始日期2022-12-26晚于结束日期2022-12-25",
        ),
        row(
            "lishi-2023",
            |p| {
                let mut x = p.periods[0].clone();
                x.kind = PeriodKind::SweepUp;
                x.on_time = false;
                x.start = day("2022-12-20");
                x.end = day("2022-12-31");
                p.periods.push(x);
            },
            "periods[1].start",
            "第2个缴费期（扫尾期，2022-12-20至2022-12-31）与第1个缴费期（集中缴费期，2022-09-01至2022-12-25）的日期重叠",
        ),
        row(
            "rugao-2020",
            |p| p.periods[1].start = day("2019-11-15"),
            "periods[1].start",
            "第2个缴费期（集中缴费期，2019-11-15至2019-11-25）与第1个缴费期（动员准备期",
        ),
        row(
            "lishi-2023",
            |p| p.periods[0].on_time = false,
            "periods",
            "没有标记为按时缴费的缴费期",
        ),
        row(
            "lishi-2023",
            |p| p.periods[0].clause = "".into(),
            "periods[0].clause",
            "第1个缴费期：未填写所依据的条款",
        ),
        row(
            "lishi-2023",
            |p| p.periods[0].notice = UNLISTED.into(),
            "periods[0].notice",
            "第1个缴费期：引用的通知“未列出的通知”不在通知列表中",
        ),
        row(
            "beijing-2020",
            |p| p.periods[0].note_zh = None,
            "periods[0].note_zh",
            "第1个缴费期：缺少中文说明",
        ),
        // --- Last enrolment day (no seed pack sets one)
        row(
            "lishi-2023",
            |p| p.last_enrolment_day = Some(cited(day("2022-08-31"), p)),
            "last_enrolment_day.value",
            "最后参保日2022-08-31早于第1个缴费期（集中缴费期）的开始日期2022-09-01",
        ),
        row(
            "lishi-2023",
            |p| {
                let mut c = cited(day("2022-12-31"), p);
                c.assumption = true;
                c.note_en = Some("assumed".into());
                p.last_enrolment_day = Some(c);
            },
            "last_enrolment_day.note_zh",
            "最后参保日：缺少中文说明（假设的数值须用中文和英文写明来源）",
        ),
        row(
            "lishi-2023",
            |p| {
                let mut c = cited(day("2022-12-31"), p);
                c.clause = "".into();
                p.last_enrolment_day = Some(c);
            },
            "last_enrolment_day.clause",
            "最后参保日：未填写所依据的条款",
        ),
        // --- Late payers
        row(
            "lishi-2023",
            |p| p.late.waiting_days = Some(90),
            "late.waiting_days",
            "逾期参保规则：待遇等待期按月或按天填写，只能填一项",
        ),
        row(
            "lishi-2023",
            |p| p.late.waiting_months = None,
            "late.waiting_months",
            "逾期参保规则：须填写待遇等待期",
        ),
        row(
            "lishi-2023",
            |p| p.late.pays_government_subsidy = true,
            "late.pays_government_subsidy",
            "逾期参保规则：要求逾期参保人员补缴财政补助，但没有填写财政补助标准",
        ),
        row("lishi-2023", |p| p.late.clause = "".into(), "late.clause", "逾期参保规则：未填写所依据的条款"),
        row(
            "weifang-2021",
            |p| p.late.notice = UNLISTED.into(),
            "late.notice",
            "逾期参保规则：引用的通知“未列出的通知”不在通知列表中",
        ),
        row(
            "beijing-2020",
            |p| p.late.note_zh = None,
            "late.note_zh",
            "逾期参保规则：缺少中文说明",
        ),
        // --- Eligibility
        row(
            "weifang-2021",
            |p| p.eligibility.clause = "".into(),
            "eligibility.clause",
            "参保范围：未填写所依据的条款",
        ),
        row(
            "sanya-2021",
            |p| {
                p.eligibility.notice = UNLISTED.into();
                p.eligibility.assumption = false;
                p.eligibility.note_zh = None;
                p.eligibility.note_en = None;
            },
            "eligibility.notice",
            "参保范围：引用的通知“未列出的通知”不在通知列表中",
        ),
        row(
            "lishi-2023",
            |p| p.eligibility.note_en = Some(String::new()),
            "eligibility.note_en",
            "参保范围：缺少英文说明",
        ),
        // --- Categories (lishi: 3 = 低保对象 pays 70, 4 = 易返贫致贫人口 pays 70)
        row(
            "lishi-2023",
            |p| {
                let c = p.categories[3].clone();
                p.categories.push(c);
            },
            "categories[6].category",
            "低保对象：这一身份类别已在前面列出，不能重复",
        ),
        row(
            "lishi-2023",
            |p| p.categories[3].subsidy = SubsidyMode::PersonalPays { amount: yuan("-1.00") },
            "categories[3].amount",
            "低保对象：个人缴费金额不能为负数（现为-1.00元）",
        ),
        row(
            "lishi-2023",
            |p| p.categories[3].subsidy = SubsidyMode::PersonalPays { amount: yuan("400.00") },
            "categories[3].amount",
            "低保对象：个人缴费400.00元超过缴费标准350.00元",
        ),
        row(
            "lishi-2023",
            |p| p.categories[4].subsidy = SubsidyMode::Fixed { amount: yuan("351.00") },
            "categories[4].amount",
            "易返贫致贫人口：定额资助351.00元超过缴费标准350.00元",
        ),
        row(
            "lishi-2023",
            |p| {
                p.categories[3].subsidy = SubsidyMode::Percent {
                    percent: Decimal::from(150),
                }
            },
            "categories[3].percent",
            "低保对象：资助比例150%不在0%至100%之间",
        ),
        row(
            "lishi-2023",
            |p| {
                p.categories[3].subsidy = SubsidyMode::AdvancedSettled {
                    settled_with: "police".into(),
                }
            },
            "categories[3].settled_with",
            "低保对象：代垫后结算的部门不是系统中的部门",
        ),
        row(
            "lishi-2023",
            |p| p.categories[3].certified_by = Some("police".into()),
            "categories[3].certified_by",
            "低保对象：认定部门不是系统中的部门",
        ),
        row(
            "lishi-2023",
            |p| p.categories[3].clause = "".into(),
            "categories[3].clause",
            "低保对象：未填写所依据的条款",
        ),
        row(
            "lishi-2023",
            |p| p.categories[0].notice = UNLISTED.into(),
            "categories[0].notice",
            "特困人员：引用的通知“未列出的通知”不在通知列表中",
        ),
        row(
            "lishi-2023",
            |p| {
                p.categories[3].assumption = true;
                p.categories[3].note_en = Some("assumed".into());
            },
            "categories[3].note_zh",
            "低保对象：缺少中文说明（假设的数值须用中文和英文写明来源）",
        ),
        // --- Combinations (sanya: registered poor who are also 特困 / 低保 / disabled)
        row(
            "sanya-2021",
            |p| p.combinations[0].all_of.clear(),
            "combinations[0].all_of",
            "第1条组合资助规则：没有选择须同时具备的身份类别",
        ),
        row(
            "sanya-2021",
            |p| p.combinations[0].subsidy = SubsidyMode::Fixed { amount: yuan("-5.00") },
            "combinations[0].amount",
            "第1条组合资助规则：定额资助金额不能为负数（现为-5.00元）",
        ),
        row(
            "sanya-2021",
            |p| p.combinations[0].notice = UNLISTED.into(),
            "combinations[0].notice",
            "第1条组合资助规则：引用的通知“未列出的通知”不在通知列表中",
        ),
        row(
            "sanya-2021",
            |p| p.combinations[0].clause = "".into(),
            "combinations[0].clause",
            "第1条组合资助规则：未填写所依据的条款",
        ),
        // --- Add-ons (rugao: 住院商业补充医疗保险)
        row(
            "rugao-2020",
            |p| {
                let a = p.add_ons[0].clone();
                p.add_ons.push(a);
            },
            "add_ons[1].code",
            "附加项目“住院商业补充医疗保险”：项目代码与前面的附加项目重复",
        ),
        row(
            "rugao-2020",
            |p| p.add_ons[0].amount.value = yuan("-40.00"),
            "add_ons[0].amount.value",
            "附加项目“住院商业补充医疗保险”：金额不能为负数（现为-40.00元）",
        ),
        row(
            "rugao-2020",
            |p| p.add_ons[0].amount.clause = "".into(),
            "add_ons[0].amount.clause",
            "附加项目“住院商业补充医疗保险”：未填写所依据的条款",
        ),
        row(
            "rugao-2020",
            |p| p.add_ons[0].amount.notice = UNLISTED.into(),
            "add_ons[0].amount.notice",
            "附加项目“住院商业补充医疗保险”：引用的通知“未列出的通知”不在通知列表中",
        ),
        row(
            "rugao-2020",
            |p| p.add_ons[0].amount.note_zh = Some("说明".into()),
            "add_ons[0].amount.note_en",
            "附加项目“住院商业补充医疗保险”：缺少英文说明（说明须同时用中文和英文填写）",
        ),
        // --- Students and children (weifang: pay low, benefit high)
        row(
            "weifang-2021",
            |p| p.student_rule.as_mut().unwrap().pays = TierCode::Standard,
            "student_rule.pays",
            "学生和儿童缴费规则：缴费档次“统一标准档”不在本政策的缴费档次中",
        ),
        row(
            "weifang-2021",
            |p| p.student_rule.as_mut().unwrap().benefits = TierCode::Standard,
            "student_rule.benefits",
            "学生和儿童缴费规则：待遇档次“统一标准档”不在本政策的缴费档次中",
        ),
        row(
            "weifang-2021",
            |p| p.student_rule.as_mut().unwrap().clause = "".into(),
            "student_rule.clause",
            "学生和儿童缴费规则：未填写所依据的条款",
        ),
        row(
            "weifang-2021",
            |p| p.student_rule.as_mut().unwrap().note_zh = None,
            "student_rule.note_zh",
            "学生和儿童缴费规则：缺少中文说明",
        ),
        // --- Continuity (weifang)
        row(
            "weifang-2021",
            |p| p.continuity.as_mut().unwrap().consecutive_years = 0,
            "continuity.consecutive_years",
            "连续参保激励：连续参保年数至少为1年",
        ),
        row(
            "weifang-2021",
            |p| p.continuity.as_mut().unwrap().resident_years_per_employee_year = 0,
            "continuity.resident_years_per_employee_year",
            "连续参保激励：折算1年职工医保缴费年限所需的居民医保年数至少为1年",
        ),
        row(
            "weifang-2021",
            |p| p.continuity.as_mut().unwrap().notice = UNLISTED.into(),
            "continuity.notice",
            "连续参保激励：引用的通知“未列出的通知”不在通知列表中",
        ),
        // --- Citations without a figure
        row(
            "lishi-2023",
            |p| p.newborn_from_birth.as_mut().unwrap().clause = "".into(),
            "newborn_from_birth.clause",
            "新生儿自出生之日起享受待遇：未填写所依据的条款",
        ),
        row(
            "beijing-2020",
            |p| p.newly_certified_from_month.as_mut().unwrap().notice = UNLISTED.into(),
            "newly_certified_from_month.notice",
            "新认定人员自认定当月起享受待遇：引用的通知“未列出的通知”不在通知列表中",
        ),
        row(
            "beijing-2020",
            |p| p.exempt_in_database_whole_year.as_mut().unwrap().clause = "".into(),
            "exempt_in_database_whole_year.clause",
            "已入库免缴人员全年享受待遇：未填写所依据的条款",
        ),
        row(
            "rugao-2020",
            |p| p.exempt_never_late.as_mut().unwrap().notice = UNLISTED.into(),
            "exempt_never_late.notice",
            "免缴人员不计为逾期缴费：引用的通知“未列出的通知”不在通知列表中",
        ),
        // --- Leaving employee insurance
        row(
            "beijing-2020",
            |p| p.employee_transfer.as_mut().unwrap().only_categories = vec![Category::Orphan],
            "employee_transfer.only_categories",
            "职工医保转居民医保：“只限部分身份类别”和“只限免缴人员”只能选一项",
        ),
        row(
            "lishi-2023",
            |p| p.employee_transfer.as_mut().unwrap().notice = UNLISTED.into(),
            "employee_transfer.notice",
            "职工医保转居民医保：引用的通知“未列出的通知”不在通知列表中",
        ),
        row(
            "lishi-2023",
            |p| p.employee_transfer.as_mut().unwrap().note_en = Some("a note".into()),
            "employee_transfer.note_zh",
            "职工医保转居民医保：缺少中文说明",
        ),
        // --- Designated medical institutions
        row(
            "lishi-2023",
            |p| p.hospitals.as_mut().unwrap().changes_per_year.clause = " ".into(),
            "hospitals.changes_per_year.clause",
            "定点医疗机构每年可变更次数：未填写所依据的条款",
        ),
        row(
            "lishi-2023",
            |p| p.hospitals.as_mut().unwrap().max_choices.note_en = None,
            "hospitals.max_choices.note_en",
            "可选定点医疗机构数量：缺少英文说明",
        ),
        row(
            "lishi-2023",
            |p| p.hospitals.as_mut().unwrap().changes_per_year.note_zh = None,
            "hospitals.changes_per_year.note_zh",
            "定点医疗机构每年可变更次数：缺少中文说明",
        ),
        // --- Reports
        row(
            "weifang-2021",
            |p| p.reports.ranking.as_mut().unwrap().improvement_points = 20,
            "reports.ranking",
            "参保工作排名：各项分值合计105分，应为100分",
        ),
        row(
            "weifang-2021",
            |p| p.reports.ranking.as_mut().unwrap().clause = "".into(),
            "reports.ranking.clause",
            "参保工作排名：未填写所依据的条款",
        ),
        row(
            "rugao-2020",
            |p| p.reports.incentive.as_mut().unwrap().per_head = yuan("0.00"),
            "reports.incentive.per_head",
            "参保工作奖励：每人奖励金额须大于0元（现为0.00元）",
        ),
        row(
            "rugao-2020",
            |p| p.reports.incentive.as_mut().unwrap().notice = UNLISTED.into(),
            "reports.incentive.notice",
            "参保工作奖励：引用的通知“未列出的通知”不在通知列表中",
        ),
    ]
}

/// A value cited to the pack's main notice, stated by it.
fn cited<T>(value: T, p: &PolicyPack) -> Cited<T> {
    Cited {
        value,
        notice: p.notice.clone(),
        clause: "四、".into(),
        assumption: false,
        note_zh: None,
        note_en: None,
    }
}

#[test]
fn each_rule_broken_alone_names_its_field_in_plain_chinese() {
    let mut failures = Vec::new();
    for (n, r) in rows().iter().enumerate() {
        let mut p = pack(r.pack);
        (r.brk)(&mut p);
        let problems = p.check();
        let what = format!("row {n} ({}, {}): {problems:#?}", r.pack, r.field);
        if problems.len() != 1 {
            failures.push(format!("{what}\n  expected exactly one problem"));
            continue;
        }
        let x = &problems[0];
        if x.field != r.field {
            failures.push(format!("{what}\n  expected field {}", r.field));
        }
        if !x.zh.contains(r.zh) {
            failures.push(format!("{what}\n  expected zh to contain {}", r.zh));
        }
        if has_ascii_letter(&x.zh) {
            failures.push(format!("{what}\n  zh has ASCII letters"));
        }
        if !x.en.chars().any(|c| c.is_ascii_alphabetic()) {
            failures.push(format!("{what}\n  en is not English"));
        }
        if p.problems() != vec![format!("{}: {}", x.field, x.en)] {
            failures.push(format!("{what}\n  problems() is not check() as `field: en`"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} rows fail:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn the_rows_cover_every_field_the_brief_names() {
    // The fields an editing form marks; each must be produced by some row.
    let fields: Vec<&str> = rows().iter().map(|r| r.field).collect();
    for f in [
        "id",
        "insurance_year",
        "notice",
        "area_codes",
        "tiers",
        "tiers[0].personal.clause",
        "tiers[0].personal.notice",
        "tiers[0].personal.note_zh",
        "tiers[1].personal.value",
        "government_subsidy.value",
        "periods[1].start",
        "periods[1].end",
        "periods[0].clause",
        "periods",
        "last_enrolment_day.value",
        "late.waiting_months",
        "late.pays_government_subsidy",
        "late.clause",
        "eligibility.notice",
        "categories[6].category",
        "categories[3].amount",
        "categories[3].percent",
        "categories[3].settled_with",
        "categories[3].certified_by",
        "categories[3].clause",
        "categories[0].notice",
        "categories[3].note_zh",
        "combinations[0].all_of",
        "add_ons[1].code",
        "add_ons[0].amount.value",
        "student_rule.pays",
        "continuity.consecutive_years",
        "reports.ranking",
        "reports.incentive.per_head",
    ] {
        assert!(fields.contains(&f), "no row for {f}");
    }
}

#[test]
fn several_problems_are_all_reported_each_with_its_own_field() {
    let mut p = pack("lishi-2023");
    p.area_codes.clear();
    p.periods[0].end = day("2022-08-31");
    p.categories[3].subsidy = SubsidyMode::PersonalPays { amount: yuan("400.00") };
    let fields: Vec<String> = p.check().into_iter().map(|x| x.field).collect();
    assert_eq!(fields, ["area_codes", "periods[0].end", "categories[3].amount"]);
}

#[test]
fn a_problem_displays_as_field_and_english_and_travels_as_json() {
    let mut p = pack("lishi-2023");
    let mut x = p.periods[0].clone();
    x.start = day("2022-12-26");
    x.end = day("2022-12-25");
    p.periods.push(x);
    let problems = p.check();
    assert_eq!(
        problems,
        [Problem {
            field: "periods[1].end".into(),
            zh: "第2个缴费期：开始日期2022-12-26晚于结束日期2022-12-25".into(),
            en: "starts 2022-12-26 after it ends 2022-12-25".into(),
        }]
    );
    assert_eq!(
        problems[0].to_string(),
        "periods[1].end: starts 2022-12-26 after it ends 2022-12-25"
    );
    let json = serde_json::to_value(&problems[0]).expect("serialises");
    assert_eq!(
        json,
        serde_json::json!({
            "field": "periods[1].end",
            "zh": "第2个缴费期：开始日期2022-12-26晚于结束日期2022-12-25",
            "en": "starts 2022-12-26 after it ends 2022-12-25",
        })
    );
    let back: Problem = serde_json::from_value(json).expect("deserialises");
    assert_eq!(back, problems[0]);
}

#[test]
fn an_amount_over_the_contribution_is_said_in_yuan() {
    // The brief's example: a category's personal share above a 60.00 contribution.
    let mut p = pack("lishi-2023");
    p.tiers[0].personal.as_mut().unwrap().value = yuan("60.00");
    p.categories.retain(|c| c.category != Category::AtRiskOfPoverty);
    let problems = p.check();
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0].field, "categories[3].amount");
    assert_eq!(problems[0].zh, "低保对象：个人缴费70.00元超过缴费标准60.00元");
    assert_eq!(problems[0].en, "70.00 exceeds the contribution 60.00");
}
