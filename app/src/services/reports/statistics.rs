//! Lishi's statistics form (附件6).

use serde::{Deserialize, Serialize};

use super::*;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::services::access::Actor;
use crate::services::AppState;

/// A column of the statistics form; `supported == false` columns are blank by design.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StatColumn {
    pub key: String,
    pub group: String,
    pub label: String,
    /// The group and label in English (the form itself is Chinese).
    #[serde(default)]
    pub group_en: String,
    #[serde(default)]
    pub label_en: String,
    pub supported: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StatRow {
    pub area_code: String,
    pub area_name: String,
    #[serde(default)]
    pub area_name_en: String,
    pub values: Vec<Option<i64>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StatisticsForm {
    pub header: ReportHeader,
    pub columns: Vec<StatColumn>,
    pub rows: Vec<StatRow>,
    pub total: StatRow,
}

/// The columns of Lishi's 附件6 the system can fill, and those it cannot (blank).
pub(super) const STAT_COLUMNS: [(&str, &str, &str, bool); 20] = [
    ("A1", "", "应参保人数", true),
    ("A2", "", "实际参保人数", true),
    ("A3", "", "未参保人数", true),
    ("local", "相关人数", "户籍人数（应参保）", true),
    (
        "non_local",
        "相关人数",
        "外地户籍长期本地居住持有本地居住证人数（应参保）",
        true,
    ),
    ("local_only", "相关人数", "长期本地居住无外地居住证的户籍人数", false),
    ("away_permit", "相关人数", "长期外地居住持有外地居住证人数", false),
    ("employee", "职工医保", "参加职工医保人数（台账记录）", true),
    ("employee_staff", "职工医保", "职工", false),
    ("flexible", "职工医保", "灵活就业人员", false),
    ("resident_local", "居民医保", "户籍人口参保人数", true),
    (
        "resident_non_local",
        "居民医保",
        "外地户籍长期本地居住持有本地居住证参保人数",
        true,
    ),
    ("elsewhere", "居民医保", "参加外地医保人数（台账记录）", true),
    ("unenrolled", "居民医保", "未参保人数", true),
    ("tekun", "户籍困难群众资助参保对象", "特困人员 参保人数", true),
    ("dibao", "户籍困难群众资助参保对象", "低保对象 参保人数", true),
    ("fanpin", "户籍困难群众资助参保对象", "返贫致贫人口 参保人数", true),
    ("yifanpin", "户籍困难群众资助参保对象", "易返贫致贫人口 参保人数", true),
    ("other_subsidised", "户籍困难群众资助参保对象", "其他资助参保人数", true),
    ("note", "", "备注", false),
];

/// [`STAT_COLUMNS`]' groups and labels in English, in the same order.
const STAT_COLUMNS_EN: [(&str, &str); 20] = [
    ("", "Should enrol"),
    ("", "Enrolled"),
    ("", "Not enrolled"),
    ("People", "Local hukou (should enrol)"),
    (
        "People",
        "Non-local hukou living here with a local residence permit (should enrol)",
    ),
    ("People", "Local hukou living here without a permit elsewhere"),
    ("People", "Living elsewhere with a residence permit there"),
    ("Employee insurance", "In employee insurance (ledger)"),
    ("Employee insurance", "Employees"),
    ("Employee insurance", "Flexibly employed"),
    ("Resident insurance", "Local hukou enrolled"),
    ("Resident insurance", "Non-local hukou with a local permit enrolled"),
    ("Resident insurance", "Insured elsewhere (ledger)"),
    ("Resident insurance", "Not enrolled"),
    ("Subsidised (local hukou)", "Extreme poverty, enrolled"),
    ("Subsidised (local hukou)", "Minimum living allowance, enrolled"),
    ("Subsidised (local hukou)", "Returned to poverty, enrolled"),
    ("Subsidised (local hukou)", "At risk of returning to poverty, enrolled"),
    ("Subsidised (local hukou)", "Other subsidised, enrolled"),
    ("", "Notes"),
];

pub(super) fn stat_values(r: &ReportRow) -> Vec<Option<i64>> {
    STAT_COLUMNS
        .iter()
        .map(|(key, ..)| match *key {
            "A1" => Some(r.should_enrol),
            "A2" => Some(r.enrolled),
            "A3" | "unenrolled" => Some(r.unenrolled),
            "local" => Some(r.should_local),
            "non_local" => Some(r.should_non_local),
            "employee" => Some(r.employee_insurance),
            "resident_local" => Some(r.enrolled_local),
            "resident_non_local" => Some(r.enrolled_non_local),
            "elsewhere" => Some(r.insured_elsewhere),
            "tekun" => Some(r.extreme_poverty),
            "dibao" => Some(r.minimum_living),
            "fanpin" => Some(r.returned_to_poverty),
            "yifanpin" => Some(r.at_risk_of_poverty),
            "other_subsidised" => Some(r.other_subsidised),
            _ => None,
        })
        .collect()
}

pub async fn statistics(state: &AppState, actor: &Actor, q: &ReportQuery) -> Result<StatisticsForm, AppError> {
    let ctx = context(state, actor, q).await?;
    let year = ctx.pack.insurance_year;
    let (rows, total, _) = rows_for(state, &ctx, year, ctx.as_of, None).await?;
    let h = header(
        state,
        &ctx,
        "statistics",
        format!("{}{}年度参保摸底情况统计表", ctx.area.name, year),
        format!("{} {year} enrolment census statistics", ctx.area.name_en),
    );
    let stat = |r: &ReportRow| StatRow {
        area_code: r.area_code.clone(),
        area_name: r.area_name.clone(),
        area_name_en: r.area_name_en.clone(),
        values: stat_values(r),
    };
    Ok(StatisticsForm {
        header: h,
        columns: STAT_COLUMNS
            .iter()
            .zip(STAT_COLUMNS_EN)
            .map(|((k, g, l, s), (ge, le))| StatColumn {
                key: (*k).into(),
                group: (*g).into(),
                label: (*l).into(),
                group_en: ge.into(),
                label_en: le.into(),
                supported: *s,
            })
            .collect(),
        rows: rows.iter().map(stat).collect(),
        total: stat(&total),
    })
}

pub(super) fn statistics_html(r: &StatisticsForm, lang: Lang) -> String {
    let mut s = caption(&r.header, lang);
    s.push_str(
        "<div class=\"table-wrap\" tabindex=\"0\"><table class=\"report\" data-testid=\"statistics-table\"><thead><tr>",
    );
    s.push_str(&format!("<th scope=\"col\">{}</th>", {
        let (zh, en) = r.header.rows_heading();
        pick(lang, zh, en)
    }));
    for c in &r.columns {
        let (group, label) = (pick(lang, &c.group, &c.group_en), pick(lang, &c.label, &c.label_en));
        let group = if group.is_empty() {
            String::new()
        } else {
            format!("{group} · ")
        };
        let mark = if c.supported { "" } else { " †" };
        s.push_str(&format!(
            "<th scope=\"col\"{}>{}{}{}</th>",
            if c.supported { "" } else { " class=\"muted\"" },
            esc(&group),
            esc(label),
            mark
        ));
    }
    s.push_str("</tr></thead><tbody>");
    let cells = |v: &[Option<i64>]| -> String { v.iter().map(|x| x.map_or_else(no_value, num)).collect() };
    for row in &r.rows {
        s.push_str(&format!(
            "<tr><th scope=\"row\">{}</th>{}</tr>",
            esc(pick(lang, &row.area_name, &row.area_name_en)),
            cells(&row.values)
        ));
    }
    s.push_str(&format!(
        "</tbody><tfoot><tr data-testid=\"total-row\"><th scope=\"row\">{}</th>{}</tr></tfoot></table></div>",
        pick(lang, "合计", "Total"),
        cells(&r.total.values)
    ));
    s.push_str(&format!(
        "<p class=\"muted\">† {}</p>",
        pick(
            lang,
            "系统无此数据（如职工医保参保、居住证去向），此列留空，由乡镇按摸底情况填写。",
            "The system does not hold this (e.g. employee insurance, residence permits elsewhere); left blank for the township to fill in."
        )
    ));
    s.push_str(&footer(&r.header, lang));
    s
}

impl ReportKind for StatisticsForm {
    const KIND: &'static str = "statistics";

    async fn build(state: &AppState, actor: &Actor, q: &ReportQuery, _lang: Lang) -> Result<Self, AppError> {
        statistics(state, actor, q).await
    }

    fn header(&self) -> &ReportHeader {
        &self.header
    }

    fn html(&self, lang: Lang) -> String {
        statistics_html(self, lang)
    }

    fn xlsx(&self) -> Result<Option<Vec<u8>>, AppError> {
        let (st, h) = (self, &self.header);
        book_with("摸底统计", |s| {
            let labels: Vec<String> = st
                .columns
                .iter()
                .map(|c| {
                    let g = if c.group.is_empty() {
                        String::new()
                    } else {
                        format!("{}：", c.group)
                    };
                    let blank = if c.supported { "" } else { "（系统无此数据）" };
                    format!("{g}{}{blank}", c.label)
                })
                .collect();
            let mut head: Vec<&str> = vec![h.rows_heading().0];
            head.extend(labels.iter().map(String::as_str));
            sheet_head(s, h, head.len() as u16, &head)?;
            let mut row = XLSX_FIRST_DATA_ROW;
            for x in st.rows.iter().chain(std::iter::once(&st.total)) {
                let name = if row as usize == XLSX_FIRST_DATA_ROW as usize + st.rows.len() {
                    "合计"
                } else {
                    x.area_name.as_str()
                };
                s.text(row, 0, name)?;
                for (c, v) in x.values.iter().enumerate() {
                    match v {
                        Some(n) => s.count(row, c as u16 + 1, *n)?,
                        None => s.text(row, c as u16 + 1, "")?,
                    }
                }
                row += 1;
            }
            sheet_foot(s, row, h)
        })
        .map(Some)
    }
}
