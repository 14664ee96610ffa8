//! Table tests of `domain::policy::quote` against the five seed packs: every figure the
//! notices give (amounts after subsidy per category, percentages, periods, on-time versus
//! late start dates, the newborn, 90-day and newly-certified rules, Weifang's late
//! surcharge and student tier, Rugao's add-on and exempt / advanced groups, Sanya's 28 and
//! its combination rule). Each test quotes, in a comment, the sentence it checks; the
//! seeds are in /work/shared/seeds/.
//!
//! Requests are built from JSON with serde_json, in the public API's shape.

use chrono::NaiveDate;
use domain::policy::{quote, Category, Citation, Quote, QuoteError, QuoteRequest, StartRule, TierCode};
use domain::Money;
use serde_json::{json, Value};

#[allow(dead_code)]
mod seed;
use seed::pack;

/// The whole request as JSON, exactly as a client would send it.
fn try_quote(request: Value) -> Result<Quote, QuoteError> {
    let req: QuoteRequest = serde_json::from_value(request).expect("request matches the API shape");
    quote(&pack(&req.policy), &req)
}

fn q(request: Value) -> Quote {
    let out = try_quote(request.clone()).unwrap_or_else(|e| panic!("{request}: {e:?}"));
    // personal_due = standard_contribution − subsidy + late_surcharge + add_ons_total
    // (where every figure is known; `priced` says whether the due is).
    assert_eq!(
        out.priced,
        !out.eligible || out.personal_due.is_some(),
        "priced iff a due"
    );
    if let (true, Some(standard), Some(subsidy)) = (out.eligible, out.standard_contribution, out.subsidy) {
        let due = standard - subsidy + out.late_surcharge.unwrap() + out.add_ons_total.unwrap();
        assert_eq!(out.personal_due, Some(due), "the API's personal_due identity");
    }
    out
}

/// A request with the defaults of the API (local hukou, no categories, …).
fn req(policy: &str, person: Value, tier: Option<&str>, add_ons: &[&str], paid_on: &str) -> Value {
    json!({ "policy": policy, "person": person, "tier": tier, "add_ons": add_ons, "paid_on": paid_on })
}

fn adult(categories: &[&str]) -> Value {
    json!({ "birth_date": "1980-05-05", "categories": categories })
}

fn y(s: &str) -> Option<Money> {
    Some(s.parse().expect("test amount"))
}

fn d(s: &str) -> Option<NaiveDate> {
    Some(NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date"))
}

fn cites(out: &Quote, notice: &str, clause: &str) -> bool {
    out.citations.contains(&Citation {
        notice: notice.into(),
        clause: clause.into(),
    })
}

fn cat(code: &str) -> Option<Category> {
    Some(Category::from_code(code).expect("category code"))
}

const LISHI: &str = "离政办发〔2022〕34号";
const SANYA: &str = "三亚市医疗保障局等五部门通知（2020年9月22日）";
const RUGAO: &str = "如皋工业园区(如城街道)2020年度城乡居民基本医疗保险基金筹集工作的通知";
const WEIFANG: &str = "关于做好潍坊市2021年度城乡居民基本医疗保险参保筹资工作的通知";
const BEIJING: &str = "京医保发〔2020〕23号";

// =======================================================================================
// Lishi 2023 — 离政办发〔2022〕34号

/// The API contract's own example.
#[test]
fn lishi_api_contract_example() {
    // 三、(二)"低保對象個人繳納70元,定額資助280元。" 四、"集中參保繳費期原則上為9月1日至12月25日。"
    let out = q(json!({
        "policy": "lishi-2023",
        "person": {
            "id_number": "14110219900101123X",
            "birth_date": "1990-01-01",
            "categories": ["minimum_living"],
            "certified_on": "2023-03-10",
            "student": false,
            "employee_insurance_active": false,
            "employee_insurance_ended_on": null,
            "hukou_local": true,
            "months_resident": null,
            "insured_elsewhere": false
        },
        "tier": null,
        "add_ons": [],
        "paid_on": "2022-10-08"
    }));
    assert!(out.eligible);
    assert_eq!(out.ineligible_reasons, vec![]);
    assert_eq!((out.tier, out.benefit_tier), (None, None));
    assert_eq!(out.standard_contribution, y("350.00"));
    assert_eq!(out.subsidy, y("280.00"));
    assert_eq!(out.late_surcharge, y("0.00"));
    assert_eq!(out.add_ons_total, y("0.00"));
    assert_eq!(out.personal_due, y("70.00"));
    assert_eq!(out.applied_category, cat("minimum_living"));
    assert_eq!(out.benefit_start, d("2023-01-01"));
    assert_eq!(out.benefit_end, d("2023-12-31"));
    assert_eq!(out.start_rule, Some(StartRule::OnTime));
    assert!(cites(&out, LISHI, "三、(二)"), "{:?}", out.citations);
    assert!(
        cites(&out, LISHI, "二、") && cites(&out, LISHI, "四、"),
        "{:?}",
        out.citations
    );
    assert!(
        out.assumptions.is_empty(),
        "nothing assumed for an on-time local payer: {:?}",
        out.assumptions
    );
    // The JSON shape of the contract.
    let v = serde_json::to_value(&out).unwrap();
    assert_eq!(v["personal_due"], json!("70.00"));
    assert_eq!(v["subsidy"], json!("280.00"));
    assert_eq!(v["start_rule"], json!("on_time"));
    assert_eq!(v["applied_category"], json!("minimum_living"));
    assert_eq!(v["citations"][0].as_object().map(|o| o.len()), Some(2));
}

#[test]
fn lishi_amounts_after_subsidy_per_category() {
    // 二、"個人繳費為每人350元"
    // 三、(一)"特困人員(含孤兒和事實無人撫養兒童)由醫療救助資金全額資助。"
    // 三、(二)"低保對象個人繳納70元,定額資助280元。"
    // 三、(三)"易返貧致貧人口...個人繳納70元,定額資助280元。"
    // 三、(四)"返貧致貧人口個人繳納35元,定額資助315元。"
    let rows: [Row; 8] = [
        (&[], "350.00", "0.00", None, "二、"),
        (
            &["extreme_poverty"],
            "0.00",
            "350.00",
            Some("extreme_poverty"),
            "三、(一)",
        ),
        (&["orphan"], "0.00", "350.00", Some("orphan"), "三、(一)"),
        (
            &["unsupported_child"],
            "0.00",
            "350.00",
            Some("unsupported_child"),
            "三、(一)",
        ),
        (
            &["minimum_living"],
            "70.00",
            "280.00",
            Some("minimum_living"),
            "三、(二)",
        ),
        (
            &["at_risk_of_poverty"],
            "70.00",
            "280.00",
            Some("at_risk_of_poverty"),
            "三、(三)",
        ),
        (
            &["returned_to_poverty"],
            "35.00",
            "315.00",
            Some("returned_to_poverty"),
            "三、(四)",
        ),
        // Several categories: the most favourable applies (contract: applied_category).
        (
            &["minimum_living", "returned_to_poverty"],
            "35.00",
            "315.00",
            Some("returned_to_poverty"),
            "三、(四)",
        ),
    ];
    for (cats, due, subsidy, applied, clause) in rows {
        let out = q(req("lishi-2023", adult(cats), None, &[], "2022-11-01"));
        assert_eq!(out.personal_due, y(due), "{cats:?}");
        assert_eq!(out.subsidy, y(subsidy), "{cats:?}");
        assert_eq!(out.standard_contribution, y("350.00"), "{cats:?}");
        assert_eq!(out.applied_category, applied.and_then(cat), "{cats:?}");
        assert!(cites(&out, LISHI, clause), "{cats:?}: {:?}", out.citations);
    }
}

#[test]
fn lishi_registered_poor_alone_is_not_priced() {
    // 三、 names no amount for 脫貧人口: the code is recognised but not priced here.
    let out = q(req("lishi-2023", adult(&["registered_poor"]), None, &[], "2022-11-01"));
    assert_eq!((out.personal_due, out.applied_category), (y("350.00"), None));
}

#[test]
fn lishi_concentrated_period_edges_and_late_payment() {
    // 四、"集中參保繳費期原則上為9月1日至12月25日。" The notice states no waiting period: the
    // pack assumes the national 3 months (国办发〔2024〕38号), and the quote must say so.
    let rows = [
        ("2022-09-01", "2023-01-01", StartRule::OnTime, false),
        ("2022-12-25", "2023-01-01", StartRule::OnTime, false),
        ("2022-12-26", "2023-03-26", StartRule::LateWaiting, true),
        ("2023-01-31", "2023-04-30", StartRule::LateWaiting, true),
        ("2023-11-30", "2024-02-29", StartRule::LateWaiting, true),
    ];
    for (paid, start, rule, assumed) in rows {
        let out = q(req("lishi-2023", adult(&[]), None, &[], paid));
        assert_eq!(out.benefit_start, d(start), "{paid}");
        assert_eq!(out.start_rule, Some(rule), "{paid}");
        assert_eq!(out.late_surcharge, y("0.00"), "{paid}: Lishi adds no surcharge");
        assert_eq!(!out.assumptions.is_empty(), assumed, "{paid}: {:?}", out.assumptions);
        if assumed {
            assert!(
                out.assumptions.iter().any(|a| a.contains("国办发〔2024〕38号")),
                "{:?}",
                out.assumptions
            );
        }
    }
    // Before the concentrated period opens, the notice offers no way to pay.
    let err = try_quote(req("lishi-2023", adult(&[]), None, &[], "2022-08-31")).unwrap_err();
    assert_eq!(
        (err.field.as_str(), err.code.as_str()),
        ("paid_on", "outside_collection_window")
    );
}

#[test]
fn lishi_newborn_covered_from_birth() {
    // 四、(二)"新生兒出生當年內參保登記的,自出生之日起即可享受當年的醫保待遇。"
    let out = q(req(
        "lishi-2023",
        json!({ "birth_date": "2023-05-10" }),
        None,
        &[],
        "2023-08-01",
    ));
    assert_eq!(
        (out.benefit_start, out.start_rule),
        (d("2023-05-10"), Some(StartRule::Newborn))
    );
    assert!(cites(&out, LISHI, "四、(二)"));
    assert_eq!(out.personal_due, y("350.00"));
    // Born before the insurance year: no newborn rule, on time.
    let out = q(req(
        "lishi-2023",
        json!({ "birth_date": "2022-10-01" }),
        None,
        &[],
        "2022-10-20",
    ));
    assert_eq!(
        (out.benefit_start, out.start_rule),
        (d("2023-01-01"), Some(StartRule::OnTime))
    );
}

#[test]
fn lishi_ninety_days_after_employee_insurance() {
    // 四、(三)"因勞動關係終止導致職工醫保斷保的人員,在斷保90天內憑職工醫保參保憑證可隨時參加居民醫保,
    // 自參保之日起享受居民醫保待遇。"
    let person = json!({ "birth_date": "1985-03-03", "employee_insurance_ended_on": "2023-03-01" });
    let out = q(req("lishi-2023", person.clone(), None, &[], "2023-05-30")); // day 90
    assert_eq!(
        (out.benefit_start, out.start_rule),
        (d("2023-05-30"), Some(StartRule::EmployeeInsuranceTransfer))
    );
    assert!(cites(&out, LISHI, "四、(三)"));
    let out = q(req("lishi-2023", person, None, &[], "2023-05-31")); // day 91: ordinary late payer
    assert_eq!(
        (out.benefit_start, out.start_rule),
        (d("2023-08-31"), Some(StartRule::LateWaiting))
    );
}

#[test]
fn lishi_eligibility() {
    // 一、"除職工基本醫療保險應參保人員以外的其他所有城鄉居民"
    let out = q(req(
        "lishi-2023",
        json!({ "birth_date": "1980-01-01", "employee_insurance_active": true }),
        None,
        &[],
        "2022-10-01",
    ));
    assert!(!out.eligible);
    assert_eq!(out.ineligible_reasons[0].code, "in_employee_insurance");
    assert_eq!((out.personal_due, out.subsidy, out.benefit_start), (None, None, None));
    // 一、(二)"離石區域內中小學、幼兒園有本校學籍的在校學生" — non-local hukou included.
    let out = q(req(
        "lishi-2023",
        json!({ "birth_date": "2012-01-01", "hukou_local": false, "student": true }),
        None,
        &[],
        "2022-10-01",
    ));
    assert!(out.eligible);
    // 一、(五)"持本地居住證的流動人口" — modelled as 6 months' residence (assumption).
    let out = q(req(
        "lishi-2023",
        json!({ "birth_date": "1980-01-01", "hukou_local": false, "months_resident": 5 }),
        None,
        &[],
        "2022-10-01",
    ));
    assert!(!out.eligible);
    assert_eq!(out.ineligible_reasons[0].code, "not_local");
    assert!(!out.assumptions.is_empty(), "the refusal rests on an assumed figure");
}

#[test]
fn lishi_flexible_and_migrant_workers_enrol_whatever_their_hukou() {
    // 一、(三)"自愿選擇參加城鄉居民基本醫療保險的靈活就業人員、農民工(不受戶籍限制);"
    for work in ["flexible_employment", "migrant_worker"] {
        let person = json!({ "birth_date": "1985-03-03", "hukou_local": false, "months_resident": 1, "work": work });
        let out = q(req("lishi-2023", person, None, &[], "2022-10-08"));
        assert!(out.eligible, "{work}: {:?}", out.ineligible_reasons);
        assert_eq!(out.personal_due, y("350.00"));
        assert!(
            out.explanation.iter().any(|s| s.contains("不受户籍限制")),
            "{:?}",
            out.explanation
        );
        assert!(cites(&out, LISHI, "一、"));
    }
    // Without that work, one month's residence is not enough.
    let person = json!({ "birth_date": "1985-03-03", "hukou_local": false, "months_resident": 1 });
    let out = q(req("lishi-2023", person, None, &[], "2022-10-08"));
    assert!(!out.eligible);
    assert!(out.ineligible_reasons[0].message.contains("灵活就业人员、农民工"));
    let e = try_quote(req(
        "lishi-2023",
        json!({ "birth_date": "1985-03-03", "work": "farmer" }),
        None,
        &[],
        "2022-10-08",
    ))
    .unwrap_err();
    assert_eq!((e.field.as_str(), e.code.as_str()), ("person.work", "work_unknown"));
}

#[test]
fn lishi_nonlocal_students_only_at_primary_secondary_schools_and_kindergartens() {
    // 一、(二)"離石區域內中小學、幼兒園有本校學籍的在校學生;"
    let student =
        |school: Value| json!({ "birth_date": "2010-03-03", "hukou_local": false, "student": true, "school": school });
    for school in ["primary_secondary", "kindergarten"] {
        let out = q(req("lishi-2023", student(json!(school)), None, &[], "2022-10-08"));
        assert!(out.eligible, "{school}");
    }
    let out = q(req(
        "lishi-2023",
        student(json!("higher_education")),
        None,
        &[],
        "2022-10-08",
    ));
    assert!(!out.eligible);
    assert!(
        out.ineligible_reasons[0].message.contains("中小学"),
        "{:?}",
        out.ineligible_reasons
    );
    // A school not given is not held against the student, but the rule is said.
    let out = q(req("lishi-2023", student(json!(null)), None, &[], "2022-10-08"));
    assert!(out.eligible);
    assert!(
        out.explanation.iter().any(|s| s.contains("幼儿园、中小学")),
        "{:?}",
        out.explanation
    );
    // Weifang admits 驻潍大中专院校学生 (一、): a college student from elsewhere enrols there.
    let out = q(req(
        "weifang-2021",
        student(json!("higher_education")),
        Some("low"),
        &[],
        "2020-12-10",
    ));
    assert!(out.eligible);
}

#[test]
fn lishi_nonlocal_admitted_by_assumed_months_is_flagged() {
    // 一、(五)"持本地居住證的流動人口" — the 6 months stand in for the residence permit; a
    // person admitted on that ground should see the assumption.
    let out = q(req(
        "lishi-2023",
        json!({ "birth_date": "1980-01-01", "hukou_local": false, "months_resident": 8 }),
        None,
        &[],
        "2022-10-01",
    ));
    assert!(out.eligible);
    assert!(!out.assumptions.is_empty(), "{:?}", out.assumptions);
}

// =======================================================================================
// Sanya 2021

#[test]
fn sanya_registered_poor_pay_28() {
    // 首段"调整后建档立卡贫困人口资助标准为个人缴费标准(280元/年)的90%,即建档立卡贫困人口个人须自付10%
    // (28元/人/年),财政资助90%(252元/人/年)。"
    let out = q(req("sanya-2021", adult(&["registered_poor"]), None, &[], "2020-10-15"));
    assert_eq!(out.standard_contribution, y("280.00"));
    assert_eq!(out.subsidy, y("252.00"));
    assert_eq!(out.personal_due, y("28.00"));
    assert_eq!(out.applied_category, cat("registered_poor"));
    assert_eq!(
        (out.benefit_start, out.start_rule),
        (d("2021-01-01"), Some(StartRule::OnTime))
    );
    assert!(cites(&out, SANYA, "首段"));
    // Not registered poor: the standard 280.
    let out = q(req("sanya-2021", adult(&[]), None, &[], "2020-10-15"));
    assert_eq!((out.personal_due, out.subsidy), (y("280.00"), y("0.00")));
}

#[test]
fn sanya_combination_rule_pays_in_full() {
    // 四、(一)"建档立卡贫困人口中属于特困供养、最低生活保障对象、一、二级残疾人的,仍由财政全额代缴,个人无须缴费"
    for second in ["extreme_poverty", "minimum_living", "severe_disability"] {
        let out = q(req(
            "sanya-2021",
            adult(&["registered_poor", second]),
            None,
            &[],
            "2020-11-11",
        ));
        assert_eq!(out.personal_due, y("0.00"), "{second}");
        assert_eq!(out.subsidy, y("280.00"), "{second}");
        assert!(cites(&out, SANYA, "四、(一)"), "{second}: {:?}", out.citations);
        assert!(out.applied_category.is_some());
    }
}

#[test]
fn sanya_other_categories_alone_are_not_priced() {
    // 四、(一) speaks only of "建档立卡贫困人口中属于特困供养、最低生活保障对象、一、二级残疾人的": the same
    // categories without 建档立卡 are not priced by this notice.
    for alone in ["extreme_poverty", "minimum_living", "severe_disability"] {
        let out = q(req("sanya-2021", adult(&[alone]), None, &[], "2020-11-11"));
        assert_eq!((out.personal_due, out.applied_category), (y("280.00"), None), "{alone}");
        // Not silently: the reader is told the notice sets nothing for the category alone.
        assert!(
            out.explanation
                .iter()
                .any(|s| s.contains("未规定") && s.contains("单独的资助标准")),
            "{alone}: {:?}",
            out.explanation
        );
    }
}

#[test]
fn sanya_deadline_20_december() {
    // 三、"各帮扶责任人务必于12月20日前协助建档立卡贫困人口完成缴费。"
    let out = q(req("sanya-2021", adult(&["registered_poor"]), None, &[], "2020-12-20"));
    assert_eq!(
        (out.benefit_start, out.start_rule),
        (d("2021-01-01"), Some(StartRule::OnTime))
    );
    // After the deadline: the assumed national 3-month wait, flagged as an assumption.
    let out = q(req("sanya-2021", adult(&["registered_poor"]), None, &[], "2020-12-21"));
    assert_eq!(
        (out.benefit_start, out.start_rule),
        (d("2021-03-21"), Some(StartRule::LateWaiting))
    );
    assert_eq!(out.personal_due, y("28.00"));
    assert!(!out.assumptions.is_empty());
    // The notice's own date is the earliest payment day the pack accepts.
    assert!(try_quote(req("sanya-2021", adult(&[]), None, &[], "2020-09-21")).is_err());
}

#[test]
fn sanya_ninety_days_after_employee_insurance() {
    // 四、(二)"建档立卡贫困人口因离职等原因中断从业人员基本医疗保险缴费的,在其中断缴费90天内,由帮扶责任人
    // 引导其到市社保服务中心办理参保缴费手续。"
    let person = json!({ "birth_date": "1980-05-05", "categories": ["registered_poor"], "employee_insurance_ended_on": "2021-04-01" });
    let out = q(req("sanya-2021", person, None, &[], "2021-05-10"));
    assert_eq!(
        (out.benefit_start, out.start_rule),
        (d("2021-05-10"), Some(StartRule::EmployeeInsuranceTransfer))
    );
    assert_eq!(out.personal_due, y("28.00"));
    assert!(cites(&out, SANYA, "四、(二)"));
}

#[test]
fn sanya_ninety_days_are_for_registered_poor_people_only() {
    // 四、(二)"建档立卡贫困人口因离职等原因中断从业人员基本医疗保险缴费的,在其中断缴费90天内…" — said of
    // 建档立卡 only: anyone else leaving employee insurance pays late and waits.
    let person = json!({ "birth_date": "1980-05-05", "employee_insurance_ended_on": "2021-04-01" });
    let out = q(req("sanya-2021", person, None, &[], "2021-05-10"));
    assert_eq!(out.start_rule, Some(StartRule::LateWaiting));
    assert_eq!(out.benefit_start, d("2021-08-10"));
}

#[test]
fn sanya_ninety_day_start_is_flagged_as_assumed() {
    // 四、(二) gives the 90 days but not when cover starts: the pack marks it as an assumption,
    // so the quote must list it.
    let person = json!({ "birth_date": "1980-05-05", "categories": ["registered_poor"], "employee_insurance_ended_on": "2021-04-01" });
    let out = q(req("sanya-2021", person, None, &[], "2021-05-10"));
    assert!(!out.assumptions.is_empty(), "{:?}", out.assumptions);
}

// =======================================================================================
// Rugao 2020

#[test]
fn rugao_contribution_and_add_on() {
    // 三、"2020年居民医保统一筹资标准为个人缴费每人360元(含大病保险费和照护保险费),政府财政补助标准580元。"
    // 三、"住院商业补充医疗保险征缴标准为每人每年40元。"
    let out = q(req("rugao-2020", adult(&[]), None, &[], "2019-11-20"));
    assert_eq!(
        (out.standard_contribution, out.subsidy, out.personal_due),
        (y("360.00"), y("0.00"), y("360.00"))
    );
    assert_eq!(
        out.late_surcharge,
        y("0.00"),
        "580 is paid by government, not by the person"
    );
    assert!(cites(&out, RUGAO, "三、"));
    assert!(out.explanation.iter().any(|s| s.contains("大病")) && out.explanation.iter().any(|s| s.contains("照护")));
    let out = q(req(
        "rugao-2020",
        adult(&[]),
        None,
        &["commercial_supplement"],
        "2019-11-20",
    ));
    assert_eq!((out.add_ons_total, out.personal_due), (y("40.00"), y("400.00")));
    // An add-on the notice does not offer.
    let err = try_quote(req("rugao-2020", adult(&[]), None, &["dental"], "2019-11-20")).unwrap_err();
    assert_eq!(err.field, "add_ons[0]");
}

#[test]
fn rugao_seven_exempt_groups_pay_nothing() {
    // 五、(二)1."...以上七类人群2020年度居民医保个人缴费部分,由园区财政全额补助。"
    for code in [
        "registered_poor",
        "orphan",
        "minimum_living",
        "extreme_poverty",
        "downsized_1960s_worker",
        "severe_disability",
        "hardship_worker",
    ] {
        let out = q(req("rugao-2020", adult(&[code]), None, &[], "2019-11-20"));
        assert_eq!((out.personal_due, out.subsidy), (y("0.00"), y("360.00")), "{code}");
        assert_eq!(out.applied_category, cat(code), "{code}");
        assert!(cites(&out, RUGAO, "五、(二)1."), "{code}");
        // The subsidy covers the 居民医保个人缴费部分 only: the optional 40 stays the person's.
        let out = q(req(
            "rugao-2020",
            adult(&[code]),
            None,
            &["commercial_supplement"],
            "2019-11-20",
        ));
        assert_eq!(out.personal_due, y("40.00"), "{code}");
    }
}

#[test]
fn rugao_two_advanced_groups_pay_nothing_now() {
    // 五、(二)2."以上两类人群2020年度居民医保个人缴费部分由园区财政代垫,在规定时间内分别与市退役军人事务管理局
    // 和市委组织部结算。"
    for (code, settled_zh) in [
        ("entitled_group", "退役军人事务部门"),
        ("pre1954_party_member", "党委组织部门"),
    ] {
        let out = q(req("rugao-2020", adult(&[code]), None, &[], "2019-11-22"));
        assert_eq!((out.personal_due, out.subsidy), (y("0.00"), y("360.00")), "{code}");
        assert_eq!(out.applied_category, cat(code));
        assert!(cites(&out, RUGAO, "五、(二)2."), "{code}");
        assert!(
            out.explanation
                .iter()
                .any(|s| s.contains("代垫") && s.contains(settled_zh)),
            "{code}: {:?}",
            out.explanation
        );
    }
}

#[test]
fn rugao_periods_and_180_day_transition() {
    // 四、(二)"登记、缴费阶段:2019年11月16日至11月25日 ... 过期缴费的,需经过6个月(即180天)的过渡期,方可
    // 享受居民医保待遇。" 四、(三)"扫尾阶段:11月26日至12月5日" (not a payment period, see the pack).
    let rows = [
        ("2019-11-16", "2020-01-01", StartRule::OnTime),
        ("2019-11-25", "2020-01-01", StartRule::OnTime),
        ("2019-11-26", "2020-05-24", StartRule::LateWaiting),
        ("2019-12-05", "2020-06-02", StartRule::LateWaiting),
        ("2020-03-01", "2020-08-28", StartRule::LateWaiting),
    ];
    for (paid, start, rule) in rows {
        let out = q(req("rugao-2020", adult(&[]), None, &[], paid));
        assert_eq!((out.benefit_start, out.start_rule), (d(start), Some(rule)), "{paid}");
        assert_eq!(out.late_surcharge, y("0.00"), "{paid}: Rugao adds no surcharge");
        // Rugao states its stages; only treating a sweep-up payment as late is a reading,
        // and a quote paid in the sweep-up says so.
        let sweep_up = ("2019-11-26".."2019-12-06").contains(&paid);
        assert_eq!(!out.assumptions.is_empty(), sweep_up, "{paid}: {:?}", out.assumptions);
        if rule == StartRule::LateWaiting {
            assert!(cites(&out, RUGAO, "四、(二)"));
        }
    }
    // 五、(二)3."免缴对象的登记缴费:…无需进行缴费录入" — the seven exempt groups (五、(二)1.) and the
    // two advanced ones (五、(二)2.) make no payment entry, so they never wait the 180 days.
    for (code, paid) in [
        ("orphan", "2019-11-30"),
        ("minimum_living", "2020-03-01"),
        ("entitled_group", "2019-12-05"),
    ] {
        let out = q(req("rugao-2020", adult(&[code]), None, &[], paid));
        assert_eq!(
            (out.benefit_start, out.start_rule),
            (d("2020-01-01"), Some(StartRule::OnTime)),
            "{code} {paid}"
        );
        assert_eq!(out.personal_due, y("0.00"), "{code}");
        assert!(cites(&out, RUGAO, "五、(二)3."), "{code}");
    }
    // 四、(一)"动员准备阶段:2019年11月7日至11月15日,为镇村两级的事前准备。" — no payments yet.
    let err = try_quote(req("rugao-2020", adult(&[]), None, &[], "2019-11-15")).unwrap_err();
    assert_eq!(err.code, "outside_collection_window");
}

#[test]
fn rugao_eligibility() {
    // 一、(一)1."具有本市户籍且不在职工医疗保险制度覆盖范围内的所有城乡居民。"
    // 2."非本市户籍且未在户籍地参加居民医保的本辖区各类学校(含幼儿园)在校学生;"
    // 3."在本辖区居住6个月以上,未在户籍地参保的非本市户籍城乡居民。"
    let rows: [(Value, bool); 6] = [
        (json!({ "birth_date": "1980-01-01" }), true),
        (
            json!({ "birth_date": "1980-01-01", "employee_insurance_active": true }),
            false,
        ),
        (
            json!({ "birth_date": "2010-01-01", "hukou_local": false, "student": true }),
            true,
        ),
        (
            json!({ "birth_date": "2010-01-01", "hukou_local": false, "student": true, "insured_elsewhere": true }),
            false,
        ),
        (
            json!({ "birth_date": "1980-01-01", "hukou_local": false, "months_resident": 6 }),
            true,
        ),
        (
            json!({ "birth_date": "1980-01-01", "hukou_local": false, "months_resident": 5 }),
            false,
        ),
    ];
    for (person, eligible) in rows {
        let out = q(req("rugao-2020", person.clone(), None, &[], "2019-11-20"));
        assert_eq!(out.eligible, eligible, "{person}");
        if !eligible {
            assert!(out.personal_due.is_none() && !out.ineligible_reasons.is_empty());
            assert!(cites(&out, RUGAO, "一、(一)"));
        }
    }
}

// =======================================================================================
// Weifang 2021

#[test]
fn weifang_two_tiers_on_time() {
    // 二、"高档每人每年390元,低档每人每年260元。"
    // 三、"集中缴费时间为2020年11月26日至12月31日。在此时限内完成参保缴费的,自2021年1月1日起享受待遇。"
    for (tier, due, code) in [("high", "390.00", TierCode::High), ("low", "260.00", TierCode::Low)] {
        for paid in ["2020-11-26", "2020-12-31"] {
            let out = q(req("weifang-2021", adult(&[]), Some(tier), &[], paid));
            assert_eq!(out.personal_due, y(due), "{tier} {paid}");
            assert_eq!((out.tier, out.benefit_tier), (Some(code), Some(code)));
            assert_eq!(
                (out.benefit_start, out.start_rule),
                (d("2021-01-01"), Some(StartRule::OnTime))
            );
            assert_eq!(out.late_surcharge, y("0.00"));
            assert!(cites(&out, WEIFANG, "二、") && cites(&out, WEIFANG, "三、"));
        }
    }
    // Two tiers: the person must choose.
    let err = try_quote(req("weifang-2021", adult(&[]), None, &[], "2020-12-01")).unwrap_err();
    assert_eq!((err.field.as_str(), err.code.as_str()), ("tier", "tier_required"));
}

#[test]
fn weifang_late_payer_pays_personal_plus_government_subsidy_and_waits_3_months() {
    // 三、"未在集中缴费期内参保的,需补缴当年个人缴费和财政补助标准之和,有3个月的待遇享受等待期,等待期满后按规定
    // 享受城乡居民医保待遇。" The subsidy figure (580) is the assumed national 2021 minimum.
    let rows = [
        ("high", "2021-02-10", "970.00", "2021-05-10"),
        ("low", "2021-02-10", "840.00", "2021-05-10"),
        ("low", "2021-11-30", "840.00", "2022-02-28"),
    ];
    for (tier, paid, due, start) in rows {
        let out = q(req("weifang-2021", adult(&[]), Some(tier), &[], paid));
        assert_eq!(out.late_surcharge, y("580.00"), "{tier} {paid}");
        assert_eq!(out.personal_due, y(due), "{tier} {paid}");
        assert_eq!(
            (out.benefit_start, out.start_rule),
            (d(start), Some(StartRule::LateWaiting)),
            "{tier} {paid}"
        );
        assert!(cites(&out, WEIFANG, "三、"));
        assert!(
            out.assumptions
                .iter()
                .any(|a| a.contains("580") || a.contains("医保发〔2021〕32号")),
            "{:?}",
            out.assumptions
        );
    }
}

#[test]
fn weifang_students_and_children_pay_low_get_high() {
    // 四、(一)"学生、儿童统一按低档缴费,享受高档待遇。"
    let rows: [(Value, &str, TierCode, TierCode, &str); 5] = [
        (
            json!({ "birth_date": "2000-03-01", "student": true }),
            "high",
            TierCode::Low,
            TierCode::High,
            "260.00",
        ),
        (
            json!({ "birth_date": "2000-03-01", "student": true }),
            "low",
            TierCode::Low,
            TierCode::High,
            "260.00",
        ),
        // A child (age assumed ≤ 17 on 1 January 2021), not at school.
        (
            json!({ "birth_date": "2018-06-01" }),
            "high",
            TierCode::Low,
            TierCode::High,
            "260.00",
        ),
        (
            json!({ "birth_date": "2003-01-02" }),
            "high",
            TierCode::Low,
            TierCode::High,
            "260.00",
        ),
        // 18 on 1 January 2021: an adult.
        (
            json!({ "birth_date": "2003-01-01" }),
            "high",
            TierCode::High,
            TierCode::High,
            "390.00",
        ),
    ];
    for (person, chosen, pays, benefits, due) in rows {
        let out = q(req("weifang-2021", person.clone(), Some(chosen), &[], "2020-12-10"));
        assert_eq!((out.tier, out.benefit_tier), (Some(pays), Some(benefits)), "{person}");
        assert_eq!(out.personal_due, y(due), "{person}");
        if pays == TierCode::Low {
            assert!(cites(&out, WEIFANG, "四、(一)"));
        }
    }
    // The child's age limit is an assumption and the quote says so.
    let out = q(req(
        "weifang-2021",
        json!({ "birth_date": "2018-06-01" }),
        Some("high"),
        &[],
        "2020-12-10",
    ));
    assert!(!out.assumptions.is_empty());
    // A late student still pays low + the government subsidy and keeps high benefits.
    let out = q(req(
        "weifang-2021",
        json!({ "birth_date": "2000-03-01", "student": true }),
        Some("high"),
        &[],
        "2021-03-01",
    ));
    assert_eq!(
        (out.personal_due, out.benefit_tier),
        (y("840.00"), Some(TierCode::High))
    );
    assert_eq!(out.benefit_start, d("2021-06-01"));
}

#[test]
fn weifang_students_need_no_tier_and_a_chosen_high_tier_is_explained() {
    // 四、(一)"学生、儿童统一按低档缴费,享受高档待遇。" — the notice fixes their tier, so none is asked.
    for person in [
        json!({ "birth_date": "2000-03-01", "student": true }),
        json!({ "birth_date": "2015-06-01" }),
    ] {
        let out = q(req("weifang-2021", person.clone(), None, &[], "2020-12-10"));
        assert_eq!(
            (out.tier, out.benefit_tier),
            (Some(TierCode::Low), Some(TierCode::High)),
            "{person}"
        );
        assert_eq!(out.personal_due, y("260.00"), "{person}");
        assert!(!out.explanation.iter().any(|s| s.contains("不适用")), "{person}");
    }
    // Asking for the high tier: overridden, with the reason.
    let out = q(req(
        "weifang-2021",
        json!({ "birth_date": "2000-03-01", "student": true }),
        Some("high"),
        &[],
        "2020-12-10",
    ));
    assert_eq!(out.tier, Some(TierCode::Low));
    assert!(
        out.explanation
            .iter()
            .any(|s| s.contains("高档不适用") && s.contains("低档")),
        "{:?}",
        out.explanation
    );
    assert!(out.explanation_en.iter().any(|s| s.contains("does not apply")));
    // An adult still chooses.
    let e = try_quote(req("weifang-2021", adult(&[]), None, &[], "2020-12-10")).unwrap_err();
    assert_eq!(e.code, "tier_required");
}

#[test]
fn weifang_continuity_bonus() {
    // 四、(二)"参加城乡居民医保连续缴费满3年的(从2018年算起,不累计计算),住院报销比例比同一规定标准提高1个百分点。"
    let rows: [(&[i32], u32, u32); 5] = [
        (&[], 1, 0),
        (&[2020], 2, 0),
        (&[2019, 2020], 3, 1),
        (&[2018, 2019, 2020], 4, 1),
        // 2020 missing: the run is 2021 alone ("不累计计算").
        (&[2018, 2019], 1, 0),
    ];
    for (history, consecutive, bonus) in rows {
        let person = json!({ "birth_date": "1970-01-01", "enrolled_years": history });
        let out = q(req("weifang-2021", person, Some("low"), &[], "2020-12-01"));
        let c = out.continuity.clone().expect("Weifang has a continuity rule");
        assert_eq!(
            (c.consecutive_years, c.inpatient_bonus_points),
            (consecutive, bonus),
            "{history:?}"
        );
        if bonus > 0 {
            assert!(cites(&out, WEIFANG, "四、(二)"));
        }
    }
    // 2017 does not count ("从2018年算起").
    let out = q(req(
        "weifang-2021",
        json!({ "birth_date": "1970-01-01", "enrolled_years": [2017, 2020] }),
        Some("low"),
        &[],
        "2020-12-01",
    ));
    assert_eq!(out.continuity.unwrap().consecutive_years, 2);
}

#[test]
fn weifang_five_resident_years_make_one_employee_year() {
    // 四、(二)"在本市范围内城乡居民医保缴费年限每满5年视同职工医保缴费年限1年(折算不满1年的折算到月)。"
    // 2018..2021 = 4 years → 4/5 year = 9.6 months → 9 whole months.
    let out = q(req(
        "weifang-2021",
        json!({ "birth_date": "1970-01-01", "enrolled_years": [2018, 2019, 2020] }),
        Some("low"),
        &[],
        "2020-12-01",
    ));
    assert_eq!(out.continuity.unwrap().employee_equivalent_months, 9);
}

#[test]
fn weifang_employee_equivalent_counts_years_before_2018() {
    // 四、(二): the 2018 start is in the parenthesis of the first sentence (the +1 point); the
    // second sentence ("缴费年限每满5年视同职工医保缴费年限1年") has no such limit.
    // 2015..2021 = 7 years → 7/5 × 12 = 16.8 → 16 whole months.
    let person = json!({ "birth_date": "1970-01-01", "enrolled_years": [2015, 2016, 2017, 2018, 2019, 2020] });
    let out = q(req("weifang-2021", person, Some("low"), &[], "2020-12-01"));
    assert_eq!(out.continuity.unwrap().employee_equivalent_months, 16);
}

#[test]
fn weifang_subsidised_groups_are_recognised_but_unpriced() {
    // 四、(三)"对脱贫享受政策人口和即时帮扶人口、低保对象、特困人员、孤儿、事实无人抚养儿童等政府资助参保人员,
    // 由政府按规定标准资助参保。" — the groups are named as subsidised, the amount is not: the
    // category applies, its subsidy and the person's share are unpriced, nothing is invented.
    for code in [
        "registered_poor",
        "immediate_assistance",
        "minimum_living",
        "extreme_poverty",
        "orphan",
        "unsupported_child",
    ] {
        let out = q(req("weifang-2021", adult(&[code]), Some("low"), &[], "2020-12-01"));
        assert!(!out.priced, "{code}");
        assert_eq!(out.applied_category, cat(code));
        assert_eq!(out.standard_contribution, y("260.00"), "二、 sets the tier: {code}");
        assert_eq!((out.subsidy, out.personal_due), (None, None), "{code}");
        assert!(cites(&out, WEIFANG, "四、(三)"), "{code}");
        assert_eq!(
            (out.benefit_start, out.start_rule),
            (d("2021-01-01"), Some(StartRule::OnTime))
        );
        let zh = out.explanation.join("");
        assert!(!zh.contains("未将"), "never says the group is not subsidised: {zh}");
        assert!(zh.contains("按规定标准") && zh.contains("未载明"), "{zh}");
    }
    // Someone outside the groups is priced as before.
    let out = q(req("weifang-2021", adult(&[]), Some("low"), &[], "2020-12-01"));
    assert!(out.priced);
    assert_eq!((out.subsidy, out.personal_due), (y("0.00"), y("260.00")));
}

// =======================================================================================
// Beijing 2020 — 京医保发〔2020〕23号

#[test]
fn beijing_exempt_people_pay_nothing() {
    // 一、"...6个主管部门认定的13类人员" are 免缴人员 ("个人缴费享受政府补贴人员"); 一、(二) names
    // "去世离休干部无工作配偶".
    let out = q(req(
        "beijing-2020",
        adult(&["deceased_cadre_spouse"]),
        None,
        &[],
        "2019-10-10",
    ));
    // They owe nothing by the notice itself: priced at 0, the contribution it never states
    // left null (not the national 280 of 医保发〔2020〕24号).
    assert!(out.priced);
    assert_eq!(out.personal_due, y("0.00"));
    assert_eq!((out.standard_contribution, out.subsidy), (None, None));
    assert_eq!(out.applied_category, cat("deceased_cadre_spouse"));
    assert!(cites(&out, BEIJING, "一、(二)"));
    assert_eq!(
        (out.benefit_start, out.start_rule),
        (d("2020-01-01"), Some(StartRule::OnTime))
    );
    let all = format!("{:?}{:?}{:?}", out.explanation, out.explanation_en, out.assumptions);
    assert!(!all.contains("280"), "no borrowed figure: {all}");
    // Assumed members of the 13 also pay nothing, and the quote flags the assumption.
    let out = q(req("beijing-2020", adult(&["minimum_living"]), None, &[], "2019-10-10"));
    assert_eq!(out.personal_due, y("0.00"));
    assert!(!out.assumptions.is_empty(), "{:?}", out.assumptions);
}

#[test]
fn beijing_sets_no_contribution_so_other_residents_are_unpriced() {
    // 京医保发〔2020〕23号 is about the 免缴人员 ("个人缴费享受政府补贴人员"); it states no
    // contribution standard for anyone. A resident outside the 13 categories gets no figure.
    let out = q(req("beijing-2020", adult(&[]), None, &[], "2019-10-10"));
    assert!(out.eligible && !out.priced);
    assert_eq!(
        (out.standard_contribution, out.subsidy, out.personal_due),
        (None, None, None)
    );
    // Start date and citations are still given.
    assert_eq!(
        (out.benefit_start, out.start_rule),
        (d("2020-01-01"), Some(StartRule::OnTime))
    );
    assert!(!out.citations.is_empty());
    let zh = out.explanation.join("");
    assert!(zh.contains("未规定") && zh.contains(BEIJING), "{zh}");
    assert!(!zh.contains("280") && !zh.contains("元。"), "no figure at all: {zh}");
    let en = out.explanation_en.join(" ");
    assert!(en.contains("sets no personal contribution"), "{en}");
}

#[test]
fn beijing_newly_certified_covered_from_month_of_certification() {
    // 三、"对新认定身份符合条件的城乡居民医保新参保人员,在身份认定当月即享受城乡居民基本医疗保险门(急)诊及住院
    // 待遇,不再设置等待期。"
    let person =
        json!({ "birth_date": "1950-02-02", "categories": ["deceased_cadre_spouse"], "certified_on": "2020-08-15" });
    let out = q(req("beijing-2020", person, None, &[], "2020-08-20"));
    assert_eq!(
        (out.benefit_start, out.start_rule),
        (d("2020-08-01"), Some(StartRule::NewlyCertified))
    );
    assert_eq!(out.personal_due, y("0.00"));
    assert!(cites(&out, BEIJING, "三、"));
    // Without a certified category, an ordinary late payer waits (assumed 3 months).
    let out = q(req(
        "beijing-2020",
        json!({ "birth_date": "1950-02-02", "certified_on": "2020-08-15" }),
        None,
        &[],
        "2020-08-20",
    ));
    assert_eq!(
        (out.benefit_start, out.start_rule),
        (d("2020-11-20"), Some(StartRule::LateWaiting))
    );
}

#[test]
fn beijing_employee_insurance_leavers_without_a_gap() {
    // 三、"将职工医保减员的免缴人员纳入城乡居民医保信息库,实现个人医保待遇无缝衔接。" — 免缴人员 only, no
    // gap: from the day after employee insurance ended, however late the record is completed.
    let person = json!({ "birth_date": "1960-02-02", "categories": ["deceased_cadre_spouse"],
        "certified_on": "2020-08-15", "employee_insurance_ended_on": "2020-06-30" });
    let out = q(req("beijing-2020", person, None, &[], "2020-08-20"));
    assert_eq!(
        (out.benefit_start, out.start_rule),
        (d("2020-07-01"), Some(StartRule::EmployeeInsuranceTransfer))
    );
    assert!(cites(&out, BEIJING, "三、"));
    assert!(out.explanation.iter().any(|s| s.contains("无缝衔接")));
    // Someone outside the 免缴人员 gets no such rule: an ordinary late payer.
    let person = json!({ "birth_date": "1960-02-02", "employee_insurance_ended_on": "2020-06-30" });
    let out = q(req("beijing-2020", person, None, &[], "2020-07-01"));
    assert_eq!(out.start_rule, Some(StartRule::LateWaiting));
}

#[test]
fn beijing_exempt_people_already_held_are_covered_all_year() {
    // 三、"对已入库的免缴人员在参保信息完善前发生的当年度医药费用实行手工报销" — certified before the
    // year (or with no date on record), covered for the whole year even when recorded late.
    for certified in [json!(null), json!("2019-05-01")] {
        let person =
            json!({ "birth_date": "1950-02-02", "categories": ["deceased_cadre_spouse"], "certified_on": certified });
        let out = q(req("beijing-2020", person, None, &[], "2020-08-20"));
        assert_eq!(out.benefit_start, d("2020-01-01"), "{certified}");
        assert!(
            out.explanation.iter().any(|s| s.contains("已入库")),
            "{:?}",
            out.explanation
        );
        assert!(cites(&out, BEIJING, "三、"));
    }
}

// =======================================================================================
// Every pack

#[test]
fn every_pack_cites_only_its_notices_or_flags_assumptions() {
    let cases = [
        req(
            "beijing-2020",
            adult(&["deceased_cadre_spouse"]),
            None,
            &[],
            "2020-03-01",
        ),
        req("sanya-2021", adult(&["registered_poor"]), None, &[], "2021-03-01"),
        req(
            "rugao-2020",
            adult(&["orphan"]),
            None,
            &["commercial_supplement"],
            "2020-03-01",
        ),
        req("weifang-2021", adult(&[]), Some("high"), &[], "2021-03-01"),
        req("lishi-2023", adult(&["returned_to_poverty"]), None, &[], "2023-03-01"),
    ];
    for r in cases {
        let out = q(r.clone());
        let p = pack(&out.policy);
        for c in &out.citations {
            let listed = p.notices.iter().any(|n| *n.number == *c.notice);
            assert!(
                listed || !out.assumptions.is_empty(),
                "{}: {c:?} is neither listed nor flagged",
                out.policy
            );
        }
        assert!(!out.explanation.is_empty() && out.explanation.len() == out.explanation_en.len());
    }
}

/// categories, personal_due, subsidy, applied_category, clause
type Row<'a> = (&'a [&'a str], &'a str, &'a str, Option<&'a str>, &'a str);

/// The bureau's report settings come from the notices that set them, and only from those.
#[test]
fn report_rules_are_the_notices_own() {
    // Weifang 七、: "(总体目标占60分,大中专学生任务完成情况占25分,较上年提升幅度占15分。)"
    let r = pack("weifang-2021")
        .reports
        .ranking
        .expect("Weifang ranks its counties");
    assert_eq!(
        (r.overall_points, r.college_student_points, r.improvement_points),
        (60, 25, 15)
    );
    assert_eq!(&*r.clause, "七、");
    // Rugao 六、(三)2.: "按实际征缴人数给予1.5元/人的考核补助"
    let i = pack("rugao-2020").reports.incentive.expect("Rugao pays its villages");
    assert_eq!(i.per_head, "1.50".parse::<Money>().unwrap());
    assert_eq!(&*i.clause, "六、(三)2.");
    // No other notice sets a ranking or an incentive.
    for id in ["beijing-2020", "sanya-2021", "lishi-2023", "rugao-2020"] {
        assert!(pack(id).reports.ranking.is_none(), "{id}");
    }
    for id in ["beijing-2020", "sanya-2021", "lishi-2023", "weifang-2021"] {
        assert!(pack(id).reports.incentive.is_none(), "{id}");
    }
}
