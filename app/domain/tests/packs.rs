//! The five seed policy packs in app/policies/: they parse into `PolicyPack`, validate,
//! and carry exactly the figures of their notices. Every table row quotes the sentence of
//! the notice it checks (the seeds are in /work/shared/seeds/).
//!
//! The packs are read with `include_str!`, so these tests see the very bytes the binaries
//! embed.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use domain::policy::{Category, PeriodKind, PolicyPack, SubsidyMode, TierCode, TransferStart};
use domain::Money;
use rust_decimal::Decimal;

#[allow(dead_code)]
mod seed;
use seed::{pack, PACKS};

const LISHI: &str = "离政办发〔2022〕34号";
const SANYA: &str = "三亚市医疗保障局等五部门通知（2020年9月22日）";
const RUGAO: &str = "如皋工业园区(如城街道)2020年度城乡居民基本医疗保险基金筹集工作的通知";
const WEIFANG: &str = "关于做好潍坊市2021年度城乡居民基本医疗保险参保筹资工作的通知";
const BEIJING: &str = "京医保发〔2020〕23号";

fn yuan(s: &str) -> Money {
    s.parse().expect("test amount")
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
}

fn cat(code: &str) -> Category {
    Category::from_code(code).unwrap_or_else(|| panic!("unknown category code {code}"))
}

// ---------------------------------------------------------------------------------------
// Every pack

#[test]
fn every_pack_parses_validates_and_is_named_after_its_file() {
    for (id, text) in PACKS {
        let p: PolicyPack = toml::from_str(text).unwrap_or_else(|e| panic!("{id}.toml does not parse: {e}"));
        assert_eq!(p.id, id, "{id}.toml: id must equal the file name");
        assert_eq!(p.problems(), Vec::<String>::new(), "{id}.toml has problems");
    }
}

#[test]
fn app_policies_holds_exactly_the_five_embedded_packs() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies");
    let on_disk: BTreeSet<String> = std::fs::read_dir(&dir)
        .expect("app/policies exists")
        .map(|e| e.expect("dir entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    let embedded: BTreeSet<String> = PACKS.iter().map(|(id, _)| format!("{id}.toml")).collect();
    assert_eq!(
        on_disk, embedded,
        "a pack file is on disk but not embedded (or the other way round)"
    );
    for (id, text) in PACKS {
        let from_disk = std::fs::read_to_string(dir.join(format!("{id}.toml"))).expect("readable");
        assert_eq!(from_disk, text, "{id}.toml changed after the build embedded it");
    }
}

/// Walks a pack as JSON and returns every object that has a `notice` key, with its path.
fn cited_objects(
    v: &serde_json::Value,
    path: String,
    out: &mut Vec<(String, serde_json::Map<String, serde_json::Value>)>,
) {
    match v {
        serde_json::Value::Object(m) => {
            if m.contains_key("notice") && m.contains_key("clause") {
                out.push((path.clone(), m.clone()));
            }
            for (k, x) in m {
                cited_objects(x, format!("{path}.{k}"), out);
            }
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                cited_objects(x, format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_assumption_says_where_it_comes_from_and_every_clause_is_filled() {
    for (id, _) in PACKS {
        let p = pack(id);
        let json = serde_json::to_value(&p).expect("serialises");
        let mut cited = Vec::new();
        cited_objects(&json, id.to_string(), &mut cited);
        assert!(cited.len() >= 5, "{id}: expected cited figures, found {}", cited.len());
        for (path, m) in cited {
            let clause = m["clause"].as_str().unwrap_or_default();
            assert!(!clause.trim().is_empty(), "{path}: empty clause");
            if m.get("assumption").and_then(|a| a.as_bool()) == Some(true) {
                // In both languages: the reader sees their own.
                for (key, min) in [("note_en", 40), ("note_zh", 15)] {
                    let note = m.get(key).and_then(|n| n.as_str()).unwrap_or_default();
                    assert!(
                        note.chars().count() >= min,
                        "{path}: an assumption needs a {key} saying where it comes from"
                    );
                }
            } else {
                let notice = m["notice"].as_str().unwrap_or_default();
                assert!(
                    p.notices.iter().any(|n| n.number == notice),
                    "{path}: official figure cites {notice:?}, which is not in [[notices]]"
                );
            }
        }
    }
}

#[test]
fn every_notice_names_its_seed_file() {
    let expected = [
        ("beijing-2020", "beijing-2020-jingyibaofa-23.txt", "2020-07-29"),
        ("sanya-2021", "sanya-2021-poverty-subsidy.txt", "2020-09-22"),
        ("rugao-2020", "rugao-2020-fund-raising.txt", "2019-11-18"),
        ("weifang-2021", "weifang-2021-enrollment.txt", "2020-12-25"),
        // 成文日期2022年09月16日 (published 2022-09-22).
        ("lishi-2023", "lishi-2023-contribution.txt", "2022-09-16"),
    ];
    for (id, source, issued) in expected {
        let p = pack(id);
        assert_eq!(p.notices.len(), 1, "{id}: one seed notice");
        assert_eq!(p.notices[0].source, source, "{id}");
        assert_eq!(p.notices[0].issued_on, day(issued), "{id}");
        assert_eq!(&*p.notice, p.notices[0].number.as_str(), "{id}: main notice");
    }
}

#[test]
fn insurance_years_and_area_codes() {
    for (id, year, area) in [
        ("beijing-2020", 2020, "11"),
        ("sanya-2021", 2021, "4602"),
        ("rugao-2020", 2020, "320682"),
        ("weifang-2021", 2021, "3707"),
        ("lishi-2023", 2023, "141102"),
    ] {
        let p = pack(id);
        assert_eq!(p.insurance_year, year, "{id}");
        assert_eq!(p.area_codes, vec![area.to_string()], "{id}");
    }
}

// ---------------------------------------------------------------------------------------
// Lishi 2023 — 离政办发〔2022〕34号

#[test]
fn lishi_number_and_personal_contribution() {
    let p = pack("lishi-2023");
    // 發文字號 離政辦發〔2022〕34號 (cited in simplified characters, as the API contract does).
    assert_eq!(&*p.notice, LISHI);
    // 二、"2022年預收2023年城鄉居民個人繳費為每人350元"
    assert_eq!(p.tiers.len(), 1);
    let t = p.tier(TierCode::Standard).expect("standard tier");
    assert_eq!(t.personal.as_ref().unwrap().value, yuan("350.00"));
    assert_eq!(
        (
            t.personal.as_ref().unwrap().notice.as_ref(),
            t.personal.as_ref().unwrap().clause.as_ref()
        ),
        (LISHI, "二、")
    );
    assert!(!t.personal.as_ref().unwrap().assumption);
    // No per-capita government subsidy (財政補助) is stated in the notice.
    assert!(p.government_subsidy.is_none());
}

#[test]
fn lishi_subsidy_table() {
    let p = pack("lishi-2023");
    // (category, expected mode, clause, certifying department)
    let rows: [(&str, SubsidyMode, &str, &str); 6] = [
        // 三、(一)"特困人員(含孤兒和事實無人撫養兒童)由醫療救助資金全額資助。"
        ("extreme_poverty", SubsidyMode::Full, "三、(一)", "civil_affairs"),
        ("orphan", SubsidyMode::Full, "三、(一)", "civil_affairs"),
        ("unsupported_child", SubsidyMode::Full, "三、(一)", "civil_affairs"),
        // 三、(二)"低保對象個人繳納70元,定額資助280元。"
        (
            "minimum_living",
            SubsidyMode::PersonalPays { amount: yuan("70.00") },
            "三、(二)",
            "civil_affairs",
        ),
        // 三、(三)"易返貧致貧人口(包括脫貧不穩定人口和邊緣易致貧人口)個人繳納70元,定額資助280元。"
        (
            "at_risk_of_poverty",
            SubsidyMode::PersonalPays { amount: yuan("70.00") },
            "三、(三)",
            "rural_revitalisation",
        ),
        // 三、(四)"返貧致貧人口個人繳納35元,定額資助315元。"
        (
            "returned_to_poverty",
            SubsidyMode::PersonalPays { amount: yuan("35.00") },
            "三、(四)",
            "rural_revitalisation",
        ),
    ];
    assert_eq!(p.categories.len(), rows.len(), "Lishi lists exactly these categories");
    for (code, mode, clause, dept) in rows {
        let r = p.category(cat(code)).unwrap_or_else(|| panic!("Lishi: {code} missing"));
        assert_eq!(r.subsidy, mode, "{code}");
        assert_eq!((r.notice.as_ref(), r.clause.as_ref()), (LISHI, clause), "{code}");
        // 三、"特困人員、低保對象以民政部門核實認定的名單為準;易返貧致貧人口、返貧致貧人口以鄉村振興部門
        // 核實認定的名單為準"
        assert_eq!(r.certified_by.as_deref(), Some(dept), "{code}");
        assert!(!r.assumption, "{code} is stated by the notice");
    }
    // The stated subsidies: 350 − 70 = 280 ("定額資助280元"), 350 − 35 = 315 ("定額資助315元").
    let standard = p.tiers[0].personal.as_ref().unwrap().value;
    assert_eq!(standard - yuan("70.00"), yuan("280.00"));
    assert_eq!(standard - yuan("35.00"), yuan("315.00"));
    assert!(
        p.category(Category::RegisteredPoor).is_none(),
        "no amount for 脫貧人口 in the notice"
    );
}

#[test]
fn lishi_dates_and_special_starts() {
    let p = pack("lishi-2023");
    // 四、"2022年居民醫保集中參保繳費期原則上為9月1日至12月25日。" (seed: "91日至1225")
    assert_eq!(p.periods.len(), 1);
    let c = &p.periods[0];
    assert_eq!(c.kind, PeriodKind::Concentrated);
    assert_eq!(
        (c.start, c.end, c.on_time),
        (day("2022-09-01"), day("2022-12-25"), true)
    );
    assert_eq!((c.notice.as_ref(), c.clause.as_ref()), (LISHI, "四、"));
    // 四、(二)"新生兒出生當年內參保登記的,自出生之日起即可享受當年的醫保待遇。"
    let nb = p.newborn_from_birth.as_ref().expect("newborn rule");
    assert_eq!((nb.notice.as_ref(), nb.clause.as_ref()), (LISHI, "四、(二)"));
    // 四、(三)"因勞動關係終止導致職工醫保斷保的人員,在斷保90天內...自參保之日起享受居民醫保待遇。"
    let t = p.employee_transfer.as_ref().expect("transfer rule");
    assert_eq!((t.days, t.starts), (Some(90), TransferStart::Payment));
    assert!(t.only_categories.is_empty() && !t.only_exempt, "everyone");
    assert_eq!(
        (t.notice.as_ref(), t.clause.as_ref(), t.assumption),
        (LISHI, "四、(三)", false)
    );
    // The notice states no waiting period: 3 months is a marked assumption (national rule).
    assert_eq!((p.late.waiting_months, p.late.waiting_days), (Some(3), None));
    assert!(p.late.assumption);
    assert!(p
        .late
        .note_en
        .as_deref()
        .unwrap_or_default()
        .contains("国办发〔2024〕38号"));
    assert!(!p.late.pays_government_subsidy);
    assert!(p.newly_certified_from_month.is_none());
    assert!(p.student_rule.is_none() && p.continuity.is_none());
}

#[test]
fn lishi_eligibility_nine_groups() {
    let e = pack("lishi-2023").eligibility;
    // 一、"除職工基本醫療保險應參保人員以外的其他所有城鄉居民"
    assert!(e.excludes_employee_insurance);
    assert!(e.local_hukou);
    // 一、(二)"離石區域內中小學、幼兒園有本校學籍的在校學生"
    assert!(e.nonlocal_students);
    // 一、(五)"持本地居住證的流動人口" — approximated by 6 months, an assumption.
    assert_eq!(e.nonlocal_min_months, Some(6));
    assert!(e.assumption);
    // 一、"避免重復參保"
    assert!(e.excludes_insured_elsewhere);
    assert_eq!((e.notice.as_ref(), e.clause.as_ref()), (LISHI, "一、"));
}

// ---------------------------------------------------------------------------------------
// Sanya 2021

#[test]
fn sanya_standard_and_registered_poor() {
    let p = pack("sanya-2021");
    // 首段"调整后建档立卡贫困人口资助标准为个人缴费标准(280元/年)的90%,即建档立卡贫困人口个人须自付10%
    // (28元/人/年),财政资助90%(252元/人/年)。"
    let t = p.tier(TierCode::Standard).expect("standard");
    assert_eq!(t.personal.as_ref().unwrap().value, yuan("280.00"));
    assert_eq!(
        (
            t.personal.as_ref().unwrap().notice.as_ref(),
            t.personal.as_ref().unwrap().clause.as_ref()
        ),
        (SANYA, "首段")
    );
    let r = p.category(Category::RegisteredPoor).expect("registered poor");
    assert_eq!(
        r.subsidy,
        SubsidyMode::Percent {
            percent: Decimal::from(90)
        }
    );
    assert_eq!(&*r.clause, "首段");
    assert_eq!(r.certified_by.as_deref(), Some("rural_revitalisation"));
    assert_eq!(
        t.personal.as_ref().unwrap().value.percent(Decimal::from(90)),
        yuan("252.00")
    );
    assert_eq!(
        t.personal.as_ref().unwrap().value - t.personal.as_ref().unwrap().value.percent(Decimal::from(90)),
        yuan("28.00")
    );
    // Only registered poor people are priced by this notice.
    assert_eq!(p.categories.len(), 1);
    assert!(p.government_subsidy.is_none());
}

#[test]
fn sanya_combination_rule() {
    let p = pack("sanya-2021");
    // 四、(一)"建档立卡贫困人口中属于特困供养、最低生活保障对象、一、二级残疾人的,仍由财政全额代缴,个人无须缴费"
    assert_eq!(p.combinations.len(), 1);
    let c = &p.combinations[0];
    assert_eq!(c.all_of, vec![Category::RegisteredPoor]);
    assert_eq!(
        c.any_of,
        vec![
            Category::ExtremePoverty,
            Category::MinimumLiving,
            Category::SevereDisability
        ]
    );
    assert_eq!(c.subsidy, SubsidyMode::Full);
    assert_eq!((c.notice.as_ref(), c.clause.as_ref()), (SANYA, "四、(一)"));
}

#[test]
fn sanya_deadline_and_90_days() {
    let p = pack("sanya-2021");
    // 三、"各帮扶责任人务必于12月20日前协助建档立卡贫困人口完成缴费。" The start is not stated: the
    // notice's date 2020-09-22 is used, flagged as an assumption.
    assert_eq!(p.periods.len(), 1);
    let c = &p.periods[0];
    assert_eq!(
        (c.kind, c.start, c.end, c.on_time),
        (PeriodKind::Concentrated, day("2020-09-22"), day("2020-12-20"), true)
    );
    assert!(
        c.clause.starts_with("三、") && c.assumption && c.note_zh.as_deref().is_some_and(|n| n.contains("假设")),
        "the period is flagged as assumed"
    );
    // 四、(二)"...中断从业人员基本医疗保险缴费的,在其中断缴费90天内,由帮扶责任人引导其...办理参保缴费手续。"
    let t = p.employee_transfer.as_ref().expect("90-day rule");
    assert_eq!((t.days, t.clause.as_ref()), (Some(90), "四、(二)"));
    // For 建档立卡 only, as the notice says.
    assert_eq!(t.only_categories, [Category::RegisteredPoor]);
    assert!(t.assumption, "start of cover is not stated by the notice");
    // No waiting period in the notice: assumption.
    assert_eq!(p.late.waiting_months, Some(3));
    assert!(p.late.assumption && p.eligibility.assumption);
    assert!(p.newborn_from_birth.is_none());
}

// ---------------------------------------------------------------------------------------
// Rugao 2020

#[test]
fn rugao_contribution_subsidy_components_and_add_on() {
    let p = pack("rugao-2020");
    assert_eq!(&*p.notice, RUGAO);
    // 三、"2020年居民医保统一筹资标准为个人缴费每人360元(含大病保险费和照护保险费),政府财政补助标准580元。"
    let t = p.tier(TierCode::Standard).expect("standard");
    assert_eq!(t.personal.as_ref().unwrap().value, yuan("360.00"));
    assert_eq!(&*t.personal.as_ref().unwrap().clause, "三、");
    let g = p.government_subsidy.as_ref().expect("government subsidy");
    assert_eq!(
        (g.value, g.clause.as_ref(), g.assumption),
        (yuan("580.00"), "三、", false)
    );
    let comps: Vec<&str> = p.components.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(comps, ["critical_illness", "long_term_care"]);
    // 三、"住院商业补充医疗保险征缴标准为每人每年40元。"
    assert_eq!(p.add_ons.len(), 1);
    let a = &p.add_ons[0];
    assert_eq!(a.code, "commercial_supplement");
    assert_eq!((a.amount.value, a.amount.clause.as_ref()), (yuan("40.00"), "三、"));
}

#[test]
fn rugao_periods_and_late_rule() {
    let p = pack("rugao-2020");
    // 四、(一)"动员准备阶段:2019年11月7日至11月15日"; (二)"登记、缴费阶段:2019年11月16日至11月25日";
    // (三)"扫尾阶段:11月26日至12月5日" (not on time: see the comment in rugao-2020.toml).
    let got: Vec<(PeriodKind, NaiveDate, NaiveDate, bool, &str)> = p
        .periods
        .iter()
        .map(|x| (x.kind, x.start, x.end, x.on_time, x.clause.as_ref()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                PeriodKind::Preparation,
                day("2019-11-07"),
                day("2019-11-15"),
                false,
                "四、(一)"
            ),
            (
                PeriodKind::Concentrated,
                day("2019-11-16"),
                day("2019-11-25"),
                true,
                "四、(二)"
            ),
            (
                PeriodKind::SweepUp,
                day("2019-11-26"),
                day("2019-12-05"),
                false,
                "四、(三)"
            ),
        ]
    );
    // 四、(二)"过期缴费的,需经过6个月(即180天)的过渡期,方可享受居民医保待遇。"
    assert_eq!((p.late.waiting_months, p.late.waiting_days), (None, Some(180)));
    assert_eq!((p.late.clause.as_ref(), p.late.assumption), ("四、(二)", false));
    assert!(p.newborn_from_birth.is_none() && p.employee_transfer.is_none());
    // 五、(二)3."免缴对象的登记缴费:…无需进行缴费录入" — never late payers.
    let c = p.exempt_never_late.as_ref().expect("exempt never late");
    assert_eq!(&*c.clause, "五、(二)3.");
}

#[test]
fn rugao_eligibility() {
    let e = pack("rugao-2020").eligibility;
    // 一、(一)1."具有本市户籍且不在职工医疗保险制度覆盖范围内的所有城乡居民。"
    // 2."非本市户籍且未在户籍地参加居民医保的本辖区各类学校(含幼儿园)在校学生;"
    // 3."在本辖区居住6个月以上,未在户籍地参保的非本市户籍城乡居民。"
    assert!(e.local_hukou && e.nonlocal_students && e.excludes_employee_insurance && e.excludes_insured_elsewhere);
    assert_eq!(e.nonlocal_min_months, Some(6));
    assert!(!e.assumption);
    assert_eq!(&*e.clause, "一、(一)");
}

#[test]
fn rugao_seven_exempt_and_two_advanced_groups() {
    let p = pack("rugao-2020");
    // 五、(二)1."建档立卡低收入户由园区农村工作局确认。孤儿、城乡低保对象、特困供养(即“五保”)人员、享受民政
    // 部门定期定量生活补助的60年代精减退职职工、残疾等级为1级和2级的重残人员,由园区社会事业局确认。特困职工
    // 及其家庭成员由园区工会确认。以上七类人群...由园区财政全额补助。"
    let exempt = [
        ("registered_poor", "rural_revitalisation", "农村工作局"),
        ("orphan", "civil_affairs", "社会事业局"),
        ("minimum_living", "civil_affairs", "社会事业局"),
        ("extreme_poverty", "civil_affairs", "社会事业局"),
        ("downsized_1960s_worker", "civil_affairs", "社会事业局"),
        ("severe_disability", "civil_affairs", "社会事业局"),
        ("hardship_worker", "trade_union", "工会"),
    ];
    for (code, dept, own_name) in exempt {
        let r = p.category(cat(code)).unwrap_or_else(|| panic!("Rugao: {code} missing"));
        assert_eq!(r.subsidy, SubsidyMode::Full, "{code}");
        assert_eq!(r.certified_by.as_deref(), Some(dept), "{code}");
        assert_eq!(&*r.clause, "五、(二)1.", "{code}");
        assert!(
            r.note_zh.as_deref().unwrap_or_default().contains(own_name),
            "{code}: note names {own_name}"
        );
        assert!(!r.assumption, "{code}");
    }
    // 五、(二)2."重点优抚对象由园区社会事业局确认。1954年10月31日前入党未参加职工医疗保险的老党员...由园区党群
    // 工作局确认。以上两类人群...由园区财政代垫,在规定时间内分别与市退役军人事务管理局和市委组织部结算。"
    let advanced = [
        ("entitled_group", "veterans", "civil_affairs"),
        ("pre1954_party_member", "party_organisation", "party_organisation"),
    ];
    for (code, settled, dept) in advanced {
        let r = p.category(cat(code)).unwrap_or_else(|| panic!("Rugao: {code} missing"));
        assert_eq!(
            r.subsidy,
            SubsidyMode::AdvancedSettled {
                settled_with: settled.into()
            },
            "{code}"
        );
        assert_eq!(r.certified_by.as_deref(), Some(dept), "{code}");
        assert_eq!(&*r.clause, "五、(二)2.", "{code}");
    }
    assert_eq!(p.categories.len(), 9);
}

// ---------------------------------------------------------------------------------------
// Weifang 2021

#[test]
fn weifang_tiers_and_period() {
    let p = pack("weifang-2021");
    assert_eq!(&*p.notice, WEIFANG);
    // 二、"城乡居民个人实行两档缴费,高档每人每年390元,低档每人每年260元。"
    assert_eq!(
        p.tier(TierCode::High).expect("high").personal.as_ref().unwrap().value,
        yuan("390.00")
    );
    assert_eq!(
        p.tier(TierCode::Low).expect("low").personal.as_ref().unwrap().value,
        yuan("260.00")
    );
    assert!(p
        .tiers
        .iter()
        .all(|t| &*t.personal.as_ref().unwrap().clause == "二、" && !t.personal.as_ref().unwrap().assumption));
    // 三、"集中缴费时间为2020年11月26日至12月31日。在此时限内完成参保缴费的,自2021年1月1日起享受待遇。"
    assert_eq!(p.periods.len(), 1);
    let c = &p.periods[0];
    assert_eq!(
        (c.kind, c.start, c.end, c.on_time),
        (PeriodKind::Concentrated, day("2020-11-26"), day("2020-12-31"), true)
    );
    assert_eq!(&*c.clause, "三、");
}

#[test]
fn weifang_late_payers_pay_the_subsidy_and_wait_three_months() {
    let p = pack("weifang-2021");
    // 三、"未在集中缴费期内参保的,需补缴当年个人缴费和财政补助标准之和,有3个月的待遇享受等待期"
    assert_eq!((p.late.waiting_months, p.late.waiting_days), (Some(3), None));
    assert!(p.late.pays_government_subsidy);
    assert_eq!(
        (p.late.notice.as_ref(), p.late.clause.as_ref(), p.late.assumption),
        (WEIFANG, "三、", false)
    );
    // The subsidy amount itself is not in the notice: national 2021 minimum, marked.
    let g = p.government_subsidy.as_ref().expect("needed by the late rule");
    assert_eq!(g.value, yuan("580.00"));
    assert!(g.assumption);
    assert!(g.note_en.as_deref().unwrap_or_default().contains("医保发〔2021〕32号"));
}

#[test]
fn weifang_students_continuity_and_subsidised_groups() {
    let p = pack("weifang-2021");
    // 四、(一)"学生、儿童统一按低档缴费,享受高档待遇。"
    let s = p.student_rule.as_ref().expect("student rule");
    assert_eq!((s.pays, s.benefits), (TierCode::Low, TierCode::High));
    assert_eq!(&*s.clause, "四、(一)");
    // No age for 儿童 in the notice: 17 is an assumption.
    assert_eq!(s.child_max_age, Some(17));
    assert!(s.assumption);
    // 四、(二)"参加城乡居民医保连续缴费满3年的(从2018年算起,不累计计算),住院报销比例比同一规定标准提高1个
    // 百分点。在本市范围内城乡居民医保缴费年限每满5年视同职工医保缴费年限1年(折算不满1年的折算到月)。"
    let c = p.continuity.as_ref().expect("continuity");
    assert_eq!(
        (
            c.counted_from,
            c.consecutive_years,
            c.inpatient_bonus_points,
            c.resident_years_per_employee_year
        ),
        (2018, 3, 1, 5)
    );
    assert_eq!(&*c.clause, "四、(二)");
    // 四、(三) lists the subsidised groups "由政府按规定标准资助参保" without amounts: each is
    // recognised and unpriced, none given a figure.
    let named = [
        Category::RegisteredPoor,
        Category::ImmediateAssistance,
        Category::MinimumLiving,
        Category::ExtremePoverty,
        Category::Orphan,
        Category::UnsupportedChild,
    ];
    assert_eq!(p.categories.iter().map(|c| c.category).collect::<Vec<_>>(), named);
    assert!(p
        .categories
        .iter()
        .all(|c| c.subsidy == SubsidyMode::Unpriced && &*c.clause == "四、(三)" && !c.assumption));
    assert!(p.combinations.is_empty());
    // 五、(五) only says where newborns register.
    assert!(p.newborn_from_birth.is_none());
}

// ---------------------------------------------------------------------------------------
// Beijing 2020 — 京医保发〔2020〕23号

#[test]
fn beijing_assumed_amount_and_period_are_flagged() {
    let p = pack("beijing-2020");
    assert_eq!(&*p.notice, BEIJING);
    // The notice states no contribution: the tier has none (no borrowed national figure).
    let t = p.tier(TierCode::Standard).expect("standard");
    assert!(t.personal.is_none());
    // Nor the period: its clause says it is assumed.
    assert_eq!(p.periods.len(), 1);
    assert!(p.periods[0].assumption);
    assert!(p.periods[0].note_zh.as_deref().is_some_and(|n| n.contains("假设")));
    assert!(p.late.assumption && p.eligibility.assumption);
    assert!(p.government_subsidy.is_none());
}

#[test]
fn beijing_newly_certified_and_transfer() {
    let p = pack("beijing-2020");
    // 三、"对新认定身份符合条件的城乡居民医保新参保人员,在身份认定当月即享受城乡居民基本医疗保险门(急)诊及住院
    // 待遇,不再设置等待期。"
    let n = p.newly_certified_from_month.as_ref().expect("newly certified rule");
    assert_eq!((n.notice.as_ref(), n.clause.as_ref()), (BEIJING, "三、"));
    // 三、"将职工医保减员的免缴人员纳入城乡居民医保信息库,实现个人医保待遇无缝衔接。" — no window given.
    let t = p.employee_transfer.as_ref().expect("transfer rule");
    assert_eq!(&*t.clause, "三、");
    // Only 免缴人员, no window, no gap: all stated.
    assert!(t.only_exempt && t.days.is_none() && !t.assumption);
    assert_eq!(t.starts, TransferStart::DayAfterEnd);
    // 三、"对已入库的免缴人员在参保信息完善前发生的当年度医药费用实行手工报销"
    let w = p.exempt_in_database_whole_year.as_ref().expect("whole year");
    assert_eq!(&*w.clause, "三、");
}

#[test]
fn beijing_thirteen_categories() {
    let p = pack("beijing-2020");
    // 一、"针对本市老干部、民政、残联、农业农村、卫生健康、退役军人等6个主管部门认定的13类人员"
    // Only one of the 13 is named: 一、(二)"对于去世离休干部无工作配偶参保,..."
    let named = p.category(Category::DeceasedCadreSpouse).expect("named in 一、(二)");
    assert_eq!(named.subsidy, SubsidyMode::Full);
    assert_eq!(named.certified_by.as_deref(), Some("veteran_cadres"));
    assert_eq!((named.clause.as_ref(), named.assumption), ("一、(二)", false));
    // Every other listed category is an assumed member of the 13, pays nothing, and is
    // certified by one of the six departments.
    let six = [
        "veteran_cadres",
        "civil_affairs",
        "disabled_persons_federation",
        "rural_revitalisation",
        "health",
        "veterans",
    ];
    for r in &p.categories {
        assert_eq!(r.subsidy, SubsidyMode::Full, "{:?}", r.category);
        assert!(
            six.contains(&r.certified_by.as_deref().unwrap_or_default()),
            "{:?}",
            r.category
        );
        if r.category != Category::DeceasedCadreSpouse {
            assert!(r.assumption, "{:?}: not named in the notice", r.category);
            assert!(r.note_zh.is_some() && r.note_en.is_some());
        }
    }
    assert!(p.categories.len() <= 13);
}

// ---------------------------------------------------------------------------------------
// The validator on a broken pack

const BROKEN: &str = r#"
id = "broken-2021"
jurisdiction = "测试"
jurisdiction_en = "Test"
area_codes = ["999999"]
insurance_year = 2021
notice = "测试〔2020〕1号"
tiers = []

[[notices]]
number = "测试〔2020〕1号"
title = "测试通知"
issuer = "测试"
issued_on = "2020-10-01"
source = "none.txt"

[government_subsidy]
value = "-5.00"
notice = "测试〔2020〕1号"
clause = "一、"

[[periods]]
kind = "concentrated"
start = "2020-11-01"
end = "2020-12-10"
on_time = true
notice = "测试〔2020〕1号"
clause = "二、"

[[periods]]
kind = "sweep_up"
start = "2020-12-01"
end = "2020-12-31"
on_time = false
notice = "未列出〔2020〕9号"
clause = "三、"

[late]
waiting_months = 3
notice = "测试〔2020〕1号"
clause = "四、"

[eligibility]
local_hukou = true
nonlocal_students = false
excludes_employee_insurance = true
excludes_insured_elsewhere = true
notice = "测试〔2020〕1号"
clause = "五、"
"#;

#[test]
fn a_broken_pack_yields_a_problem_naming_each_key() {
    let p: PolicyPack = toml::from_str(BROKEN).expect("syntactically fine");
    let problems = p.problems();
    let has = |needle: &str| problems.iter().any(|x| x.contains(needle));
    assert!(
        has("periods[1].start: periods[0] and periods[1] overlap"),
        "{problems:#?}"
    );
    assert!(has("government_subsidy.value: negative amount"), "{problems:#?}");
    assert!(has("tiers: tiers missing"), "{problems:#?}");
    assert!(
        has("periods[1].notice: notice \"未列出〔2020〕9号\" is not listed in [[notices]]"),
        "{problems:#?}"
    );
    assert_eq!(problems.len(), 4, "{problems:#?}");
}

#[test]
fn each_seed_pack_broken_one_way_is_caught() {
    // Knock one figure out of a valid pack at a time.
    let mut p = pack("lishi-2023");
    p.tiers[0].personal.as_mut().unwrap().value = yuan("-350.00");
    assert!(p
        .problems()
        .iter()
        .any(|x| x.starts_with("tiers[0].personal.value: negative amount")));

    let mut p = pack("weifang-2021");
    p.tiers.pop();
    assert!(p.problems().iter().any(|x| x.starts_with("tiers:")));

    let mut p = pack("rugao-2020");
    p.periods[2].start = day("2019-11-20");
    assert!(p
        .problems()
        .iter()
        .any(|x| x == "periods[2].start: periods[1] and periods[2] overlap"));

    let mut p = pack("sanya-2021");
    p.combinations[0].notice = "不存在的通知".into();
    assert!(p
        .problems()
        .iter()
        .any(|x| x.starts_with("combinations[0].notice: notice")));

    // Report settings are checked like every figure: the ranking's points make 100, the
    // incentive is positive, and both cite a listed notice.
    let mut p = pack("weifang-2021");
    p.reports.ranking.as_mut().unwrap().improvement_points = 20;
    assert!(p
        .problems()
        .iter()
        .any(|x| x == "reports.ranking: the points add up to 105, not 100"));
    let mut p = pack("rugao-2020");
    let i = p.reports.incentive.as_mut().unwrap();
    i.per_head = yuan("0.00");
    i.notice = "不存在的通知".into();
    let problems = p.problems();
    assert!(problems
        .iter()
        .any(|x| x == "reports.incentive.per_head: must be more than 0"));
    assert!(problems
        .iter()
        .any(|x| x.starts_with("reports.incentive.notice: notice")));

    let mut p = pack("beijing-2020");
    p.categories[0].certified_by = Some("police".into());
    assert!(p
        .problems()
        .iter()
        .any(|x| x.contains("certified_by: unknown department")));

    // Issue 23 §2: every note in both languages; an assumed figure without one is refused.
    let mut p = pack("beijing-2020");
    p.late.note_zh = None;
    assert!(
        p.problems().iter().any(|x| x.starts_with("late.note_zh: missing")),
        "{:?}",
        p.problems()
    );
    let mut p = pack("weifang-2021");
    p.government_subsidy.as_mut().unwrap().note_en = Some("  ".into());
    assert!(p
        .problems()
        .iter()
        .any(|x| x.starts_with("government_subsidy.note_en: missing")));
    let mut p = pack("beijing-2020");
    p.periods[0].note_en = None;
    p.periods[0].note_zh = None;
    let problems = p.problems();
    assert!(problems
        .iter()
        .any(|x| x == "periods[0].note_zh: missing (every note is given in Chinese and English)"));
    assert!(problems.iter().any(|x| x.starts_with("periods[0].note_en: missing")));
    // Two tiers, one priced and one not, cannot be compared or chosen between.
    let mut p = pack("weifang-2021");
    p.tiers[0].personal = None;
    assert!(p
        .problems()
        .iter()
        .any(|x| x == "tiers[0].personal.value: give both tiers an amount, or neither"));
}

// ---------------------------------------------------------------------------------------
// The category codes of the packs are the API contract's codes

#[test]
fn category_serde_names_are_the_contract_codes() {
    for c in Category::ALL {
        let serde_name = serde_json::to_value(c).expect("serialises");
        assert_eq!(serde_name, serde_json::json!(c.code()), "{c:?}");
        let back: Category =
            serde_json::from_value(serde_json::json!(c.code())).unwrap_or_else(|e| panic!("{}: {e}", c.code()));
        assert_eq!(back, c);
    }
}

#[test]
fn every_category_code_in_the_packs_is_a_contract_code() {
    // API contract, "Category codes" table.
    let contract = [
        "extreme_poverty",
        "orphan",
        "unsupported_child",
        "minimum_living",
        "registered_poor",
        "at_risk_of_poverty",
        "returned_to_poverty",
        "severe_disability",
        "entitled_group",
        "pre1954_party_member",
        "downsized_1960s_worker",
        "hardship_worker",
        "immediate_assistance",
        "deceased_cadre_spouse",
    ];
    for (id, _) in PACKS {
        let p = pack(id);
        for r in &p.categories {
            assert!(contract.contains(&r.category.code()), "{id}: {:?}", r.category);
        }
    }
}
