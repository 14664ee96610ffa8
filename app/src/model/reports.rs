//! Targets (任务数) and rendered reports.

use serde::{Deserialize, Serialize};

use crate::i18n::Texts;

/// A target (任务数) as the targets page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct TargetView {
    pub area_code: String,
    pub area_name: String,
    pub area_name_en: String,
    pub insurance_year: i32,
    pub count: i64,
    pub notice: String,
    pub clause: String,
    /// A demo figure, not a notice's.
    pub assumed: bool,
    /// Who set it by hand (None: from the seed).
    pub updated_by: Option<String>,
}

/// A report rendered on the server for a page: its title and its HTML (tables, SVG).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportHtml {
    pub title: String,
    pub area_code: String,
    pub as_of: String,
    /// The XLSX download (None for the dashboard).
    pub xlsx_href: Option<String>,
    pub html: String,
}

/// The report kinds and their tab labels, in the tabs' order. The server's registry
/// (`services::reports::KINDS`) lists the same kinds; a test holds them together.
/// A report's tab label in the reader's language.
pub type ReportLabel = fn(&Texts) -> &'static str;

pub const REPORT_KINDS: [(&str, ReportLabel); 6] = [
    ("weekly", |t| t.report_weekly),
    ("dashboard", |t| t.report_dashboard),
    ("fund-request", |t| t.report_fund),
    ("statistics", |t| t.report_statistics),
    ("ranking", |t| t.report_ranking),
    ("incentive", |t| t.report_incentive),
];
