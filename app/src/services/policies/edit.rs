//! The draft editor's forms, made from the pack itself: every value the engine reads is a
//! field named by its path in the pack (`categories[3].amount`), the same path the pack's
//! validation names in its problems, so a problem lands beside its input. The kind of input
//! (yuan, date, category picker …) and its Chinese and English labels come from the key.
//! Because the form is walked from the pack's own serialisation, a part the engine gains is
//! editable without a new form; one it does not know gets a plain text input.

use chrono::NaiveDate;
use domain::policy::{Category, PolicyPack, School, DEPARTMENTS};
use domain::Money;
use serde_json::Value;

use crate::error::AppError;
use crate::model::{Department, FieldChange, FieldKind, FieldView, ShapeOp};

/// Objects that carry an assumption flag and notes (the pack's `Cited` values and rules):
/// their note inputs are shown even while empty.
const NOTED: [&str; 12] = [
    "tiers[].personal",
    "government_subsidy",
    "periods[]",
    "last_enrolment_day",
    "late",
    "eligibility",
    "categories[]",
    "add_ons[].amount",
    "employee_transfer",
    "student_rule",
    "hospitals.max_choices",
    "hospitals.changes_per_year",
];

/// Objects whose `mode` decides which of `amount`, `percent` and `settled_with` they have.
const MODED: [&str; 2] = ["categories[]", "combinations[]"];

/// Keys that may be left empty (the pack then leaves them out).
const OPTIONAL: [&str; 8] = [
    "note_zh",
    "note_en",
    "certified_by",
    "waiting_months",
    "waiting_days",
    "nonlocal_min_months",
    "days",
    "child_max_age",
];

const NUMBERS: [&str; 14] = [
    "waiting_months",
    "waiting_days",
    "nonlocal_min_months",
    "days",
    "child_max_age",
    "insurance_year",
    "counted_from",
    "consecutive_years",
    "inpatient_bonus_points",
    "resident_years_per_employee_year",
    "overall_points",
    "college_student_points",
    "improvement_points",
    "version",
];

/// (key, Chinese, English) for a value's own name.
const LEAF_LABELS: &[(&str, &str, &str)] = &[
    ("id", "政策编号", "Pack id"),
    ("jurisdiction", "统筹地区", "Jurisdiction"),
    ("jurisdiction_en", "统筹地区（英文）", "Jurisdiction (English)"),
    (
        "area_codes",
        "适用行政区划代码（逗号分隔）",
        "Area codes (comma-separated)",
    ),
    ("insurance_year", "参保年度", "Insurance year"),
    ("notice", "文号", "Notice number"),
    ("number", "文号", "Number"),
    ("title", "标题", "Title"),
    ("issuer", "发文机关", "Issuer"),
    ("issued_on", "成文日期", "Issued on"),
    ("source", "来源文件", "Source file"),
    ("code", "代码", "Code"),
    ("name_zh", "中文名称", "Chinese name"),
    ("name_en", "英文名称", "English name"),
    ("value", "数值", "Value"),
    ("clause", "条款", "Clause"),
    (
        "assumption",
        "通知未规定（假设）",
        "Not stated by the notice (assumption)",
    ),
    ("note_zh", "说明（中文）", "Note (Chinese)"),
    ("note_en", "说明（英文）", "Note (English)"),
    ("kind", "类型", "Kind"),
    ("start", "开始日期", "Starts"),
    ("end", "结束日期", "Ends"),
    (
        "on_time",
        "按时缴费（自1月1日起享受待遇）",
        "On time (covered from 1 January)",
    ),
    ("waiting_months", "等待期（月）", "Waiting period (months)"),
    ("waiting_days", "等待期（天）", "Waiting period (days)"),
    (
        "pays_government_subsidy",
        "逾期者另缴财政补助",
        "Late payers also pay the government subsidy",
    ),
    ("local_hukou", "本地户籍可参保", "Local hukou qualifies"),
    (
        "nonlocal_min_months",
        "外地人员须居住月数",
        "Months of residence for non-local people",
    ),
    ("nonlocal_students", "外地学生可参保", "Non-local students qualify"),
    (
        "excludes_employee_insurance",
        "排除职工医保参保人员",
        "Excludes people in employee insurance",
    ),
    (
        "excludes_insured_elsewhere",
        "排除已在他处参保人员",
        "Excludes people insured elsewhere",
    ),
    (
        "workers_any_hukou",
        "灵活就业人员、农民工不受户籍限制",
        "Flexible and migrant workers whatever their hukou",
    ),
    (
        "nonlocal_student_schools",
        "外地学生限以下学校",
        "Non-local students only at",
    ),
    ("category", "身份类别", "Category"),
    ("mode", "资助方式", "Subsidy"),
    // Only the subsidy mode that uses it is kept (the others' inputs are ignored).
    (
        "amount",
        "金额（元；定额资助、个人缴纳定额时填写）",
        "Amount (yuan; fixed subsidy or fixed personal share)",
    ),
    (
        "percent",
        "资助比例（%；按比例资助时填写）",
        "Percent (percentage subsidy only)",
    ),
    (
        "settled_with",
        "代垫后结算部门（先行代垫时填写）",
        "Settled with (advanced contributions only)",
    ),
    ("certified_by", "认定部门", "Certified by"),
    ("all_of", "同时具有以下全部身份", "Holds all of"),
    ("any_of", "且具有以下任一身份", "And any of"),
    ("days", "断保后几天内参保", "Within days of leaving"),
    ("starts", "待遇开始", "Cover starts"),
    ("only_categories", "仅限以下身份", "Only these categories"),
    ("only_exempt", "仅限免缴人员", "Only people exempt from paying"),
    ("pays", "缴费档次", "Pays tier"),
    ("benefits", "享受待遇档次", "Benefit tier"),
    ("child_max_age", "儿童年龄上限", "Children up to age"),
    ("counted_from", "起算年度", "Counted from year"),
    ("consecutive_years", "连续参保年数", "Consecutive years"),
    (
        "inpatient_bonus_points",
        "住院报销提高百分点",
        "Inpatient bonus (points)",
    ),
    (
        "resident_years_per_employee_year",
        "几年居民医保折算一年职工医保",
        "Resident years per employee year",
    ),
    ("overall_points", "总体参保率分值", "Overall coverage points"),
    ("college_student_points", "大学生参保率分值", "College students' points"),
    ("improvement_points", "提升幅度分值", "Improvement points"),
    ("per_head", "每人奖励（元）", "Per head (yuan)"),
];

/// (top-level key, Chinese, English): the fieldsets.
const SECTIONS: &[(&str, &str, &str)] = &[
    ("id", "基本信息", "Basics"),
    ("notices", "通知文件", "Notices"),
    ("tiers", "缴费档次与标准", "Tiers and contributions"),
    ("government_subsidy", "财政补助", "Government subsidy"),
    ("components", "待遇组成", "Components"),
    ("add_ons", "附加险", "Add-ons"),
    ("periods", "缴费期", "Collection periods"),
    ("last_enrolment_day", "最后参保日", "Last enrolment day"),
    ("late", "逾期缴费与等待期", "Late payment and waiting period"),
    ("newborn_from_birth", "新生儿", "Newborns"),
    (
        "employee_transfer",
        "职工医保断保后参保",
        "After leaving employee insurance",
    ),
    ("newly_certified_from_month", "新认定人员", "Newly certified people"),
    ("exempt_in_database_whole_year", "免缴人员", "People exempt from paying"),
    ("exempt_never_late", "免缴人员", "People exempt from paying"),
    ("eligibility", "参保范围", "Eligibility"),
    ("categories", "资助对象与资助标准", "Subsidy categories"),
    ("combinations", "多重身份", "Several categories at once"),
    ("student_rule", "学生和儿童", "Students and children"),
    ("continuity", "连续参保激励", "Continuity"),
    ("hospitals", "定点医疗机构", "Designated institutions"),
    ("reports", "报表设置", "Report settings"),
];

/// Names of the objects between the top and a value.
const OBJECT_LABELS: &[(&str, &str, &str)] = &[
    ("personal", "个人缴费", "personal contribution"),
    ("max_choices", "可选机构数", "institutions chosen"),
    ("changes_per_year", "每年可变更次数", "changes a year"),
    ("ranking", "排名", "ranking"),
    ("incentive", "奖励", "incentive"),
    ("amount", "金额", "amount"),
];

const MODES: [(&str, &str, &str); 6] = [
    ("full", "全额资助", "paid in full"),
    ("fixed", "定额资助", "fixed subsidy"),
    ("percent", "按比例资助", "percentage"),
    ("personal_pays", "个人缴纳定额", "person pays a fixed amount"),
    ("advanced_settled", "先行代垫、事后结算", "advanced, settled later"),
    (
        "unpriced",
        "按规定标准（通知未定金额）",
        "by the rules (no amount stated)",
    ),
];

const PERIOD_KINDS: [(&str, &str, &str); 3] = [
    ("preparation", "动员准备期", "preparation"),
    ("concentrated", "集中缴费期", "concentrated period"),
    ("sweep_up", "扫尾期", "sweep-up"),
];

const TIER_CODES: [(&str, &str, &str); 3] = [
    ("standard", "统一标准", "standard"),
    ("high", "一档（高）", "high"),
    ("low", "二档（低）", "low"),
];

const STARTS: [(&str, &str, &str); 2] = [
    ("payment", "自缴费之日起", "from payment"),
    (
        "day_after_end",
        "自断保次日起（无缝衔接）",
        "from the day after (no gap)",
    ),
];

/// Schools, in the domain's own words.
fn school_options() -> Vec<(String, String, String)> {
    ["kindergarten", "primary_secondary", "higher_education"]
        .into_iter()
        .filter_map(School::from_code)
        .map(|school| {
            let code = serde_json::to_value(school)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            (code, school.name_zh().to_owned(), school.name_en().to_owned())
        })
        .collect()
}

/// The departments a pack may name (`DEPARTMENTS`), as the accounts name them; finance
/// (which settles advanced contributions) certifies nobody and has no account kind.
fn department_options() -> Vec<(String, String, String)> {
    DEPARTMENTS
        .iter()
        .map(|code| match Department::from_code(code) {
            Some(d) => ((*code).to_owned(), d.name_zh().to_owned(), d.name_en().to_owned()),
            None => ((*code).to_owned(), "财政局".to_owned(), "Finance".to_owned()),
        })
        .collect()
}

/// The pattern of a path: indexes dropped (`categories[3].amount` → `categories[].amount`).
pub fn pattern(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut skip = false;
    for c in path.chars() {
        match c {
            '[' => {
                out.push('[');
                skip = true;
            }
            ']' => {
                out.push(']');
                skip = false;
            }
            _ if skip => {}
            _ => out.push(c),
        }
    }
    out
}

fn options(list: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    list.iter()
        .map(|(c, z, e)| ((*c).to_owned(), (*z).to_owned(), (*e).to_owned()))
        .collect()
}

fn category_options() -> Vec<(String, String, String)> {
    Category::ALL
        .iter()
        .map(|c| (c.code().to_owned(), c.name_zh().to_owned(), c.name_en().to_owned()))
        .collect()
}

/// The kind of input a path takes, with its options.
/// A path's own key, indexes dropped (`categories[3].amount` → `amount`).
fn key_of(path: &str) -> String {
    let pat = pattern(path);
    pat.rsplit('.').next().unwrap_or(&pat).trim_end_matches("[]").to_owned()
}

fn kind_of(path: &str, value: &Value) -> (FieldKind, Vec<(String, String, String)>) {
    let pat = pattern(path);
    match key_of(path).as_str() {
        "start" | "end" | "issued_on" => (FieldKind::Date, vec![]),
        "value" if pat == "last_enrolment_day.value" => (FieldKind::Date, vec![]),
        "value" if pat.starts_with("hospitals.") => (FieldKind::Number, vec![]),
        "value" | "amount" | "per_head" => (FieldKind::Money, vec![]),
        "percent" => (FieldKind::Decimal, vec![]),
        "category" => (FieldKind::Choice, category_options()),
        "all_of" | "any_of" | "only_categories" => (FieldKind::Choices, category_options()),
        "certified_by" | "settled_with" => (FieldKind::Choice, department_options()),
        "mode" => (FieldKind::Choice, options(&MODES)),
        "kind" => (FieldKind::Choice, options(&PERIOD_KINDS)),
        "code" if pat.starts_with("tiers[]") => (FieldKind::Choice, options(&TIER_CODES)),
        "pays" | "benefits" => (FieldKind::Choice, options(&TIER_CODES)),
        "starts" => (FieldKind::Choice, options(&STARTS)),
        "nonlocal_student_schools" => (FieldKind::Choices, school_options()),
        "note_zh" | "note_en" | "title" => (FieldKind::LongText, vec![]),
        k if NUMBERS.contains(&k) => (FieldKind::Number, vec![]),
        _ if value.is_boolean() => (FieldKind::Bool, vec![]),
        _ => (FieldKind::Text, vec![]),
    }
}

fn leaf_label(key: &str) -> (String, String) {
    LEAF_LABELS.iter().find(|(k, _, _)| *k == key).map_or_else(
        || (key.to_owned(), key.to_owned()),
        |(_, z, e)| ((*z).to_owned(), (*e).to_owned()),
    )
}

fn section_of(top: &str) -> (String, String) {
    SECTIONS.iter().find(|(k, _, _)| *k == top).map_or_else(
        || {
            // The pack's header fields share the first fieldset.
            ("基本信息".to_owned(), "Basics".to_owned())
        },
        |(_, z, e)| ((*z).to_owned(), (*e).to_owned()),
    )
}

/// The label of an item of a list, from what it holds.
fn item_label(list: &str, i: usize, item: &Value) -> (String, String) {
    let n = i + 1;
    let text = |k: &str| item.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    match list {
        "tiers" | "add_ons" | "components" => (text("name_zh"), text("name_en")),
        "categories" => match Category::from_code(&text("category")) {
            Some(c) => (c.name_zh().to_owned(), c.name_en().to_owned()),
            None => (format!("第{n}类"), format!("category {n}")),
        },
        "periods" => (format!("第{n}个缴费期"), format!("period {n}")),
        "notices" => (format!("第{n}份通知"), format!("notice {n}")),
        "combinations" => (format!("第{n}种组合"), format!("combination {n}")),
        _ => (format!("第{n}项"), format!("item {n}")),
    }
}

/// Shows the keys an object may have but whose value is absent, so their inputs appear.
fn complete(value: &mut Value, path: &str) {
    let pat = pattern(path);
    if let Value::Object(map) = value {
        if NOTED.contains(&pat.as_str()) {
            map.entry("assumption").or_insert(Value::Bool(false));
            map.entry("note_zh").or_insert(Value::Null);
            map.entry("note_en").or_insert(Value::Null);
        }
        if MODED.contains(&pat.as_str()) {
            for k in ["amount", "percent", "settled_with"] {
                map.entry(k).or_insert(Value::Null);
            }
        }
        if pat == "categories[]" {
            map.entry("certified_by").or_insert(Value::Null);
        }
        let keys: Vec<String> = map.keys().cloned().collect();
        for k in keys {
            let child = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            if let Some(v) = map.get_mut(&k) {
                complete(v, &child);
            }
        }
    } else if let Value::Array(items) = value {
        for (i, v) in items.iter_mut().enumerate() {
            complete(v, &format!("{path}[{i}]"));
        }
    }
}

/// The pack as a JSON tree with every editable key present.
fn tree(pack: &PolicyPack) -> Result<Value, AppError> {
    let mut v = serde_json::to_value(pack).map_err(|e| AppError::internal("pack_json", e))?;
    complete(&mut v, "");
    Ok(v)
}

/// A scalar list is one field (categories chosen, area codes); anything else is walked.
fn is_leaf_list(items: &[Value]) -> bool {
    items.iter().all(|v| v.is_string() || v.is_number())
}

fn display(value: &Value) -> Vec<String> {
    match value {
        Value::Null => vec![],
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().flat_map(display).collect(),
        other => vec![other.to_string()],
    }
}

/// Every input of the draft's form, in the pack's order.
pub fn fields(pack: &PolicyPack) -> Result<Vec<FieldView>, AppError> {
    Ok(fields_of(&tree(pack)?))
}

/// The inputs of a pack already made a tree.
fn fields_of(tree: &Value) -> Vec<FieldView> {
    let mut out = Vec::new();
    walk(tree, "", ("", ""), &mut out);
    out
}

/// The pack's parts in the order a notice reads (serde_json's maps sort keys by name).
const TOP_ORDER: [&str; 26] = [
    "id",
    "jurisdiction",
    "jurisdiction_en",
    "area_codes",
    "insurance_year",
    "notice",
    "notices",
    "tiers",
    "government_subsidy",
    "components",
    "add_ons",
    "periods",
    "last_enrolment_day",
    "late",
    "newborn_from_birth",
    "employee_transfer",
    "newly_certified_from_month",
    "exempt_in_database_whole_year",
    "exempt_never_late",
    "eligibility",
    "categories",
    "combinations",
    "student_rule",
    "continuity",
    "hospitals",
    "reports",
];

/// Inside a part: what it is first, its figures, then where they come from.
const INNER_ORDER: [&str; 58] = [
    "number",
    "title",
    "issuer",
    "issued_on",
    "source",
    "code",
    "name_zh",
    "name_en",
    "category",
    "kind",
    "start",
    "end",
    "on_time",
    "all_of",
    "any_of",
    "mode",
    "amount",
    "percent",
    "settled_with",
    "personal",
    "value",
    "waiting_months",
    "waiting_days",
    "pays_government_subsidy",
    "local_hukou",
    "nonlocal_min_months",
    "nonlocal_students",
    "nonlocal_student_schools",
    "workers_any_hukou",
    "excludes_employee_insurance",
    "excludes_insured_elsewhere",
    "days",
    "starts",
    "only_categories",
    "only_exempt",
    "pays",
    "benefits",
    "child_max_age",
    "counted_from",
    "consecutive_years",
    "inpatient_bonus_points",
    "resident_years_per_employee_year",
    "max_choices",
    "changes_per_year",
    "ranking",
    "incentive",
    "overall_points",
    "college_student_points",
    "improvement_points",
    "per_head",
    "certified_by",
    "notice",
    "clause",
    "assumption",
    "note_zh",
    "note_en",
    "version",
    "sentences",
];

fn ordered(map: &serde_json::Map<String, Value>, top: bool) -> Vec<(&String, &Value)> {
    let order: &[&str] = if top { &TOP_ORDER } else { &INNER_ORDER };
    let mut keys: Vec<(&String, &Value)> = map.iter().collect();
    keys.sort_by_key(|(k, _)| (order.iter().position(|o| o == k).unwrap_or(order.len()), k.as_str()));
    keys
}

fn walk(value: &Value, path: &str, context: (&str, &str), out: &mut Vec<FieldView>) {
    match value {
        Value::Object(map) => {
            for (k, v) in ordered(map, path.is_empty()) {
                if k == "version" {
                    continue;
                }
                let child = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                let (zh, en) = if path.is_empty() || v.is_null() || !(v.is_object() || v.is_array()) {
                    (context.0.to_owned(), context.1.to_owned())
                } else {
                    let (oz, oe) = OBJECT_LABELS
                        .iter()
                        .find(|(o, _, _)| o == k)
                        .map_or(("", ""), |(_, z, e)| (*z, *e));
                    (join(context.0, oz), join(context.1, oe))
                };
                if v.is_null() && !is_optional_leaf(&child) {
                    // An absent optional part (no government subsidy, no student rule): it
                    // is added with its own button, not shown as empty inputs.
                    continue;
                }
                walk(v, &child, (&zh, &en), out);
            }
        }
        Value::Array(items) if !is_leaf_list(items) || items.is_empty() && !is_scalar_list(path) => {
            let list = pattern(path);
            for (i, item) in items.iter().enumerate() {
                let (iz, ie) = item_label(&list, i, item);
                walk(
                    item,
                    &format!("{path}[{i}]"),
                    (&join(context.0, &iz), &join(context.1, &ie)),
                    out,
                );
            }
        }
        leaf => {
            let top = path.split(['.', '[']).next().unwrap_or(path);
            let (section_zh, section_en) = section_of(top);
            let key = key_of(path);
            let (kind, options) = kind_of(path, leaf);
            // A cited value is named by what it is: an amount, a date or a count.
            let (lz, le) = match (key.as_str(), kind) {
                ("value", FieldKind::Money) => ("金额（元）".to_owned(), "Amount (yuan)".to_owned()),
                ("value", FieldKind::Date) => ("日期".to_owned(), "Date".to_owned()),
                ("value", FieldKind::Number) => ("数量".to_owned(), "Number".to_owned()),
                _ => leaf_label(&key),
            };
            let value = if key == "area_codes" {
                vec![display(leaf).join(",")]
            } else {
                display(leaf)
            };
            out.push(FieldView {
                path: path.to_owned(),
                section_zh,
                section_en,
                label_zh: join(context.0, &lz),
                label_en: join(context.1, &le),
                kind,
                value,
                options,
                optional: is_optional_leaf(path),
            });
        }
    }
}

fn is_scalar_list(path: &str) -> bool {
    matches!(
        key_of(path).as_str(),
        "area_codes" | "all_of" | "any_of" | "only_categories" | "nonlocal_student_schools"
    )
}

fn is_optional_leaf(path: &str) -> bool {
    OPTIONAL.contains(&key_of(path).as_str()) || is_mode_extra(path)
}

/// `amount`, `percent` and `settled_with` of a category or combination: only its mode's.
fn is_mode_extra(path: &str) -> bool {
    let p = pattern(path);
    MODED.iter().any(|m| {
        ["amount", "percent", "settled_with"]
            .iter()
            .any(|k| p == format!("{m}.{k}"))
    })
}

fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_owned(),
        (_, true) => a.to_owned(),
        _ => format!("{a} · {b}"),
    }
}

fn field_error(field: &str, zh: String, en: String) -> AppError {
    AppError::invalid(field, "invalid_field", zh, en)
}

/// One input's text as the JSON the pack reads.
fn convert(f: &FieldView, raw: &[String]) -> Result<Value, AppError> {
    let one = raw.iter().map(|s| s.trim()).find(|s| !s.is_empty()).unwrap_or("");
    let label = &f.label_zh;
    if one.is_empty() && !matches!(f.kind, FieldKind::Choices | FieldKind::Bool) {
        if f.optional {
            return Ok(Value::Null);
        }
        return Err(field_error(
            &f.path,
            format!("{label}：必须填写"),
            format!("{}: required", f.label_en),
        ));
    }
    Ok(match f.kind {
        FieldKind::Money => {
            let m: Money = one.parse().map_err(|_| {
                field_error(
                    &f.path,
                    format!("{label}：“{one}”不是金额，请填写元，例如 380 或 380.00"),
                    format!("{}: {one:?} is not an amount in yuan (e.g. 380 or 380.00)", f.label_en),
                )
            })?;
            Value::String(m.to_string())
        }
        FieldKind::Date => {
            let d = NaiveDate::parse_from_str(one, "%Y-%m-%d").map_err(|_| {
                field_error(
                    &f.path,
                    format!("{label}：“{one}”不是日期，请按 2023-09-01 的格式填写"),
                    format!("{}: {one:?} is not a date (YYYY-MM-DD)", f.label_en),
                )
            })?;
            Value::String(d.to_string())
        }
        FieldKind::Number => {
            let n: i64 = one.parse().map_err(|_| {
                field_error(
                    &f.path,
                    format!("{label}：“{one}”不是整数"),
                    format!("{}: {one:?} is not a whole number", f.label_en),
                )
            })?;
            if n < 0 {
                return Err(field_error(
                    &f.path,
                    format!("{label}：不能是负数"),
                    format!("{}: cannot be negative", f.label_en),
                ));
            }
            Value::from(n)
        }
        FieldKind::Decimal => {
            let d: rust_decimal::Decimal = one.parse().map_err(|_| {
                field_error(
                    &f.path,
                    format!("{label}：“{one}”不是数字"),
                    format!("{}: {one:?} is not a number", f.label_en),
                )
            })?;
            Value::String(d.normalize().to_string())
        }
        FieldKind::Bool => Value::Bool(raw.iter().any(|s| s == "true")),
        FieldKind::Choice => {
            if !f.options.iter().any(|(c, _, _)| c == one) {
                return Err(field_error(
                    &f.path,
                    format!("{label}：请从列表中选择"),
                    format!("{}: choose from the list", f.label_en),
                ));
            }
            Value::String(one.to_owned())
        }
        FieldKind::Choices => {
            let mut chosen = Vec::new();
            for s in raw.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
                if !f.options.iter().any(|(c, _, _)| c == s) {
                    return Err(field_error(
                        &f.path,
                        format!("{label}：请从列表中选择"),
                        format!("{}: choose from the list", f.label_en),
                    ));
                }
                if !chosen.iter().any(|c: &Value| c == s) {
                    chosen.push(Value::String(s.to_owned()));
                }
            }
            Value::Array(chosen)
        }
        FieldKind::Text if f.path == "area_codes" => Value::Array(
            one.split([',', '，', ' '])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.to_owned()))
                .collect(),
        ),
        FieldKind::Text | FieldKind::LongText => Value::String(one.to_owned()),
    })
}

#[derive(Debug, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

fn steps(path: &str) -> Vec<Step> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let mut rest = part;
        if let Some(i) = rest.find('[') {
            out.push(Step::Key(rest[..i].to_owned()));
            rest = &rest[i..];
            while let Some(end) = rest.find(']') {
                if let Ok(n) = rest[1..end].parse() {
                    out.push(Step::Index(n));
                }
                rest = &rest[end + 1..];
            }
        } else {
            out.push(Step::Key(rest.to_owned()));
        }
    }
    out
}

fn slot<'v>(root: &'v mut Value, path: &str) -> Option<&'v mut Value> {
    let mut at = root;
    for s in steps(path) {
        at = match s {
            Step::Key(k) => at.as_object_mut()?.get_mut(&k)?,
            Step::Index(i) => at.as_array_mut()?.get_mut(i)?,
        };
    }
    Some(at)
}

/// Keeps only what each object's subsidy mode uses, and drops empty notes and unset flags
/// (the pack's own serialisation leaves them out).
fn tidy(value: &mut Value, path: &str) {
    let pat = pattern(path);
    if let Value::Object(map) = value {
        if MODED.contains(&pat.as_str()) {
            let keep: &[&str] = match map.get("mode").and_then(Value::as_str) {
                Some("fixed" | "personal_pays") => &["amount"],
                Some("percent") => &["percent"],
                Some("advanced_settled") => &["settled_with"],
                _ => &[],
            };
            for k in ["amount", "percent", "settled_with"] {
                if !keep.contains(&k) {
                    map.remove(k);
                }
            }
        }
        for k in ["note_zh", "note_en"] {
            if map.get(k).is_some_and(Value::is_null) {
                map.remove(k);
            }
        }
        if map.get("assumption") == Some(&Value::Bool(false)) {
            map.remove("assumption");
        }
        let keys: Vec<String> = map.keys().cloned().collect();
        for k in keys {
            let child = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            if let Some(v) = map.get_mut(&k) {
                tidy(v, &child);
            }
        }
    } else if let Value::Array(items) = value {
        for (i, v) in items.iter_mut().enumerate() {
            tidy(v, &format!("{path}[{i}]"));
        }
    }
}

/// The tree read back as a pack; a value of the wrong shape names its field.
fn read_back(mut v: Value) -> Result<PolicyPack, AppError> {
    tidy(&mut v, "");
    serde_path_to_error::deserialize::<_, PolicyPack>(v).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.inner().to_string();
        if inner.contains("amount") || inner.contains("percent") || inner.contains("settled_with") {
            // A mode that needs a figure the row does not have.
            let missing = ["amount", "percent", "settled_with"]
                .into_iter()
                .find(|k| inner.contains(k))
                .unwrap_or("amount");
            let f = format!("{field}.{missing}");
            let (zh, en) = leaf_label(missing);
            return field_error(
                &f,
                format!("{zh}：此资助方式必须填写"),
                format!("{en}: required for this subsidy"),
            );
        }
        field_error(
            &field,
            format!("{field}：内容有误（{inner}）"),
            format!("{field}: {inner}"),
        )
    })
}

/// The draft with the form's values written in. Nothing is changed unless every value reads:
/// the first that does not is the error, naming its field.
pub fn apply(pack: &PolicyPack, form: &[(String, String)]) -> Result<PolicyPack, AppError> {
    let mut v = tree(pack)?;
    for f in fields_of(&v) {
        let raw: Vec<String> = form
            .iter()
            .filter(|(k, _)| *k == f.path)
            .map(|(_, v)| v.clone())
            .collect();
        if raw.is_empty() {
            continue;
        }
        let new = convert(&f, &raw)?;
        if let Some(at) = slot(&mut v, &f.path) {
            *at = new;
        }
    }
    let mut out = read_back(v)?;
    out.version = pack.version;
    Ok(out)
}

/// Lists that rows can be added to or removed from (with the add button's words), and
/// optional parts that can be added or removed (with both buttons' words); `restructure`
/// says what a new one starts as.
const LISTS: [(&str, &str, &str); 5] = [
    ("notices", "添加通知", "Add a notice"),
    ("periods", "添加缴费期", "Add a period"),
    ("categories", "添加资助对象", "Add a category"),
    ("combinations", "添加多重身份规则", "Add a combination"),
    ("add_ons", "添加附加险", "Add an add-on"),
];
const PARTS: [(&str, &str, &str, &str, &str); 12] = [
    (
        "government_subsidy",
        "添加财政补助",
        "Add a government subsidy",
        "删除财政补助",
        "Remove the government subsidy",
    ),
    (
        "last_enrolment_day",
        "设置最后参保日",
        "Set a last enrolment day",
        "删除最后参保日",
        "Remove the last enrolment day",
    ),
    (
        "newborn_from_birth",
        "添加新生儿规则",
        "Add the newborn rule",
        "删除新生儿规则",
        "Remove the newborn rule",
    ),
    (
        "employee_transfer",
        "添加职工医保断保规则",
        "Add the employee-insurance rule",
        "删除职工医保断保规则",
        "Remove the employee-insurance rule",
    ),
    (
        "newly_certified_from_month",
        "添加新认定人员规则",
        "Add the newly-certified rule",
        "删除新认定人员规则",
        "Remove the newly-certified rule",
    ),
    (
        "exempt_in_database_whole_year",
        "添加已入库免缴人员全年待遇规则",
        "Add the exempt-in-database rule",
        "删除已入库免缴人员规则",
        "Remove the exempt-in-database rule",
    ),
    (
        "exempt_never_late",
        "添加免缴人员不算逾期规则",
        "Add the exempt-never-late rule",
        "删除免缴人员不算逾期规则",
        "Remove the exempt-never-late rule",
    ),
    (
        "student_rule",
        "添加学生和儿童规则",
        "Add the students' rule",
        "删除学生和儿童规则",
        "Remove the students' rule",
    ),
    (
        "continuity",
        "添加连续参保激励",
        "Add the continuity reward",
        "删除连续参保激励",
        "Remove the continuity reward",
    ),
    (
        "hospitals",
        "添加定点医疗机构规则",
        "Add the designated-institution rule",
        "删除定点医疗机构规则",
        "Remove the designated-institution rule",
    ),
    (
        "reports.ranking",
        "添加考核排名设置",
        "Add the ranking",
        "删除考核排名设置",
        "Remove the ranking",
    ),
    (
        "reports.incentive",
        "添加村级考核补助设置",
        "Add the village incentive",
        "删除村级考核补助设置",
        "Remove the village incentive",
    ),
];

fn is_list(target: &str) -> bool {
    LISTS.iter().any(|l| l.0 == target)
}

fn is_part(target: &str) -> bool {
    PARTS.iter().any(|p| p.0 == target)
}

/// The shape changes the form offers: (lists, optional parts).
pub fn shape_ops() -> (Vec<ShapeOp>, Vec<ShapeOp>) {
    let lists = LISTS
        .iter()
        .map(|(t, az, ae)| ShapeOp {
            target: (*t).to_owned(),
            add_zh: (*az).to_owned(),
            add_en: (*ae).to_owned(),
            remove_zh: "删除此项".to_owned(),
            remove_en: "Remove this".to_owned(),
        })
        .collect();
    let parts = PARTS
        .iter()
        .map(|(t, az, ae, rz, re)| ShapeOp {
            target: (*t).to_owned(),
            add_zh: (*az).to_owned(),
            add_en: (*ae).to_owned(),
            remove_zh: (*rz).to_owned(),
            remove_en: (*re).to_owned(),
        })
        .collect();
    (lists, parts)
}

/// `add:categories`, `remove:periods[2]`, `add:government_subsidy`, `remove:employee_transfer`.
pub fn restructure(pack: &PolicyPack, op: &str) -> Result<PolicyPack, AppError> {
    let mut v = serde_json::to_value(pack).map_err(|e| AppError::internal("pack_json", e))?;
    let notice = pack.notice.to_string();
    let year = pack.insurance_year;
    let bad = || {
        AppError::invalid(
            "op",
            "unknown_operation",
            "无法执行该操作",
            "That change cannot be made",
        )
    };
    let (verb, target) = op.split_once(':').ok_or_else(bad)?;
    match verb {
        "add" if is_list(target) => {
            let used: Vec<Category> = pack.categories.iter().map(|c| c.category).collect();
            let template = match target {
                "notices" => serde_json::json!({"number": "", "title": "", "issuer": "",
                    "issued_on": format!("{}-09-01", year.saturating_sub(1)), "source": ""}),
                "periods" => {
                    let after = pack.periods.iter().map(|p| p.end).max().map_or_else(
                        || NaiveDate::from_ymd_opt(year.saturating_sub(1), 9, 1).unwrap_or_default(),
                        |d| d.succ_opt().unwrap_or(d),
                    );
                    serde_json::json!({"kind": "sweep_up", "start": after.to_string(), "end": after.to_string(),
                        "on_time": false, "notice": notice, "clause": ""})
                }
                "categories" => {
                    let free = Category::ALL.into_iter().find(|c| !used.contains(c)).ok_or_else(bad)?;
                    serde_json::json!({"category": free.code(), "mode": "full", "certified_by": null,
                        "notice": notice, "clause": ""})
                }
                "combinations" => serde_json::json!({"all_of": [], "any_of": [], "mode": "full",
                    "notice": notice, "clause": ""}),
                _ => serde_json::json!({"code": "", "name_zh": "", "name_en": "",
                    "amount": {"value": "0.00", "notice": notice, "clause": ""}}),
            };
            v.get_mut(target)
                .and_then(Value::as_array_mut)
                .ok_or_else(bad)?
                .push(template);
        }
        "add" if is_part(target) => {
            // A new part starts with no figure the notice has not given: zeros and the
            // engine's own defaults, and an empty clause the officer must fill before the
            // draft can be submitted.
            let tier = pack.tiers.first().map_or("standard", |t| t.code.code());
            let cited = |value: Value| serde_json::json!({"value": value, "notice": notice, "clause": ""});
            let template = match target {
                "government_subsidy" => cited(Value::from("0.00")),
                "last_enrolment_day" => cited(Value::from(format!("{year}-12-31"))),
                "employee_transfer" => {
                    serde_json::json!({"days": null, "starts": "payment", "notice": notice, "clause": ""})
                }
                "student_rule" => serde_json::json!({"pays": tier, "benefits": tier, "child_max_age": null,
                    "notice": notice, "clause": ""}),
                "continuity" => serde_json::json!({"counted_from": year, "consecutive_years": 1,
                    "inpatient_bonus_points": 0, "resident_years_per_employee_year": 1, "notice": notice, "clause": ""}),
                "hospitals" => serde_json::json!({"max_choices": cited(Value::from(1)),
                    "changes_per_year": cited(Value::from(0))}),
                "reports.ranking" => serde_json::json!({"overall_points": 0, "college_student_points": 0,
                    "improvement_points": 0, "notice": notice, "clause": ""}),
                "reports.incentive" => serde_json::json!({"per_head": "0.00", "notice": notice, "clause": ""}),
                _ => serde_json::json!({"notice": notice, "clause": ""}),
            };
            let at = slot(&mut v, target).ok_or_else(bad)?;
            if !at.is_null() {
                return Err(bad());
            }
            *at = template;
        }
        "remove" if is_part(target) => {
            *slot(&mut v, target).ok_or_else(bad)? = Value::Null;
        }
        "remove" => {
            let (list, index) = target.split_once('[').ok_or_else(bad)?;
            let index: usize = index.trim_end_matches(']').parse().map_err(|_| bad())?;
            if !is_list(list) {
                return Err(bad());
            }
            let items = v.get_mut(list).and_then(Value::as_array_mut).ok_or_else(bad)?;
            if index >= items.len() {
                return Err(bad());
            }
            items.remove(index);
        }
        _ => return Err(bad()),
    }
    let mut out = read_back(v)?;
    out.version = pack.version;
    Ok(out)
}

/// Every value that differs between `base` and `draft`, labelled as the form labels it.
pub fn changes(base: &PolicyPack, draft: &PolicyPack) -> Result<Vec<FieldChange>, AppError> {
    let before = fields(base)?;
    let after = fields(draft)?;
    let mut out = Vec::new();
    let show = |f: &FieldView| {
        let words: Vec<String> = f
            .value
            .iter()
            .map(|v| match f.kind {
                FieldKind::Bool if v == "true" => "是".to_owned(),
                FieldKind::Bool => "否".to_owned(),
                FieldKind::Choice | FieldKind::Choices => f
                    .options
                    .iter()
                    .find(|(c, _, _)| c == v)
                    .map_or_else(|| v.clone(), |(_, z, _)| z.clone()),
                _ => v.clone(),
            })
            .collect();
        (!words.is_empty()).then(|| words.join("、"))
    };
    for a in &after {
        match before.iter().find(|b| b.path == a.path) {
            Some(b) if b.value == a.value => {}
            Some(b) => out.push(FieldChange {
                path: a.path.clone(),
                label_zh: a.label_zh.clone(),
                label_en: a.label_en.clone(),
                before: show(b),
                after: show(a),
            }),
            None if a.value.is_empty() => {}
            None => out.push(FieldChange {
                path: a.path.clone(),
                label_zh: a.label_zh.clone(),
                label_en: a.label_en.clone(),
                before: None,
                after: show(a),
            }),
        }
    }
    for b in &before {
        if !b.value.is_empty() && !after.iter().any(|a| a.path == b.path) {
            out.push(FieldChange {
                path: b.path.clone(),
                label_zh: b.label_zh.clone(),
                label_en: b.label_en.clone(),
                before: show(b),
                after: None,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::policies::PolicyRegistry;

    fn lishi() -> PolicyPack {
        PolicyRegistry::embedded().get("lishi-2023").unwrap().clone()
    }

    #[test]
    fn every_value_of_every_seed_pack_is_a_field_that_reads_back_as_itself() {
        for pack in PolicyRegistry::embedded().all() {
            let fields = fields(pack).unwrap();
            // Posting the form unchanged gives the same pack.
            let form: Vec<(String, String)> = fields
                .iter()
                .flat_map(|f| {
                    let vals = if f.value.is_empty() {
                        vec![String::new()]
                    } else {
                        f.value.clone()
                    };
                    vals.into_iter().map(move |v| (f.path.clone(), v))
                })
                .collect();
            let back = apply(pack, &form).unwrap_or_else(|e| panic!("{}: {e}", pack.id));
            assert_eq!(&back, pack, "{}", pack.id);
            assert!(changes(pack, &back).unwrap().is_empty());
        }
    }

    #[test]
    fn fields_speak_the_domain() {
        let f = fields(&lishi()).unwrap();
        let by = |p: &str| f.iter().find(|x| x.path == p).unwrap_or_else(|| panic!("no field {p}"));
        assert_eq!(by("tiers[0].personal.value").kind, FieldKind::Money);
        assert_eq!(by("tiers[0].personal.value").value, ["350.00"]);
        assert_eq!(
            by("tiers[0].personal.value").label_zh,
            "统一标准 · 个人缴费 · 金额（元）"
        );
        assert_eq!(by("periods[0].start").kind, FieldKind::Date);
        assert_eq!(by("categories[3].category").kind, FieldKind::Choice);
        assert!(by("categories[3].amount").label_zh.starts_with("低保对象 · 金额（元；"));
        assert_eq!(by("categories[3].percent").value, Vec::<String>::new());
        assert_eq!(by("late.waiting_months").kind, FieldKind::Number);
        assert_eq!(by("eligibility.nonlocal_student_schools").kind, FieldKind::Choices);
        assert_eq!(by("tiers[0].personal.note_zh").kind, FieldKind::LongText);
        assert_eq!(by("categories[0].mode").section_zh, "资助对象与资助标准");
    }

    #[test]
    fn a_change_is_written_and_shown_as_a_difference() {
        let base = lishi();
        let form = vec![
            ("tiers[0].personal.value".to_owned(), "380".to_owned()),
            ("categories[3].mode".to_owned(), "fixed".to_owned()),
            ("categories[3].amount".to_owned(), "280".to_owned()),
        ];
        let draft = apply(&base, &form).unwrap();
        assert_eq!(draft.tiers[0].personal.as_ref().unwrap().value, Money::yuan(380));
        let c = changes(&base, &draft).unwrap();
        let paths: Vec<&str> = c.iter().map(|x| x.path.as_str()).collect();
        assert_eq!(
            paths,
            ["tiers[0].personal.value", "categories[3].mode", "categories[3].amount"]
        );
        assert_eq!(c[0].before.as_deref(), Some("350.00"));
        assert_eq!(c[0].after.as_deref(), Some("380.00"));
        assert_eq!(c[1].after.as_deref(), Some("定额资助"));
    }

    #[test]
    fn bad_values_name_their_field_and_change_nothing() {
        let base = lishi();
        for (path, raw, zh) in [
            ("tiers[0].personal.value", "三百八", "不是金额"),
            ("periods[0].start", "2023/09/01", "不是日期"),
            ("late.waiting_months", "-1", "不能是负数"),
            ("categories[3].category", "nobody", "请从列表中选择"),
            ("tiers[0].personal.clause", " ", "必须填写"),
        ] {
            let e = apply(&base, &[(path.to_owned(), raw.to_owned())]).unwrap_err();
            assert_eq!(e.field(), Some(path), "{path}");
            let m = e.message(crate::i18n::Lang::Zh);
            assert!(m.contains(zh), "{path}: {m}");
        }
        // A mode that needs an amount, without one.
        let e = apply(
            &base,
            &[
                ("categories[0].mode".to_owned(), "fixed".to_owned()),
                ("categories[0].amount".to_owned(), String::new()),
            ],
        )
        .unwrap_err();
        assert_eq!(e.field(), Some("categories[0].amount"));
    }

    /// The loader's rules as an officer meets them: each edit saves (every value reads),
    /// and the draft then has a problem on that field, so it cannot be submitted.
    #[test]
    fn rules_broken_through_the_form_name_their_field() {
        let base = lishi();
        for (edits, field, zh) in [
            (vec![("periods[0].end", "2022-08-01")], "periods[0].end", "晚于结束日期"),
            (
                vec![("categories[3].amount", "400")],
                "categories[3].amount",
                "超过缴费标准",
            ),
            (
                vec![("categories[4].category", "minimum_living")],
                "categories[4].category",
                "重复",
            ),
            (
                vec![("tiers[0].personal.notice", "某某号")],
                "tiers[0].personal.notice",
                "通知",
            ),
            (vec![("late.note_zh", "")], "late.note_zh", "说明"),
            (vec![("tiers[0].personal.value", "-5")], "tiers[0].personal.value", "负"),
            (vec![("periods[0].on_time", "false")], "periods", "按时"),
            (vec![("id", "Lishi 2024")], "id", "编号"),
        ] {
            let form: Vec<(String, String)> = edits.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
            let draft = apply(&base, &form).unwrap_or_else(|e| panic!("{field}: {e}"));
            let found = crate::services::policies::drafts::problems(&draft, None, &PolicyRegistry::default());
            let p = found
                .iter()
                .find(|p| p.field == field)
                .unwrap_or_else(|| panic!("{field}: {found:?}"));
            assert!(p.zh.contains(zh), "{field}: {}", p.zh);
        }
    }

    #[test]
    fn rows_and_parts_are_added_and_removed() {
        let base = lishi();
        let more = restructure(&base, "add:categories").unwrap();
        assert_eq!(more.categories.len(), base.categories.len() + 1);
        // The new row is not ready until its clause is written.
        assert!(more.check().iter().any(|p| p.field.starts_with("categories[6]")));
        let fewer = restructure(&base, "remove:categories[0]").unwrap();
        assert_eq!(fewer.categories[0].category, Category::Orphan);
        let with = restructure(&base, "add:government_subsidy").unwrap();
        assert!(with.government_subsidy.is_some());
        // Every optional part can be added (not ready until cited) and removed again.
        for (target, ..) in PARTS {
            let Ok(added) = restructure(&base, &format!("add:{target}")) else {
                continue; // already in the Lishi pack (hospitals, newborns …)
            };
            assert!(added.check().iter().any(|p| p.field.starts_with(target)), "{target}");
            let removed = restructure(&added, &format!("remove:{target}")).unwrap();
            assert_eq!(removed, base, "{target}");
        }
        assert!(restructure(&with, "add:government_subsidy").is_err());
        assert!(restructure(&base, "remove:categories[99]").is_err());
        assert!(restructure(&base, "drop:everything").is_err());
    }
}
