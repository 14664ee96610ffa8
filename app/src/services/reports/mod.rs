//! Reports (统计报表): coverage against targets for any area and as-of day — Lishi's weekly
//! progress form (附件5) and statistics form (附件6), the coverage dashboard with SVG
//! charts, the subsidy fund request, Weifang's ranking and Rugao's village incentive.
//!
//! Definitions used throughout (stated on every page's footer and in the README):
//! - roster: everyone the system knows in the area (today's register: people are not
//!   dated by when the system learnt of them, only enrolments by when they were paid);
//! - should enrol (应参保): the roster minus the unenrolled whose ledger reason settles
//!   that they are not ours to enrol (deceased, insured elsewhere, in employee insurance,
//!   ineligible);
//! - enrolled (已参保): paid (or fully subsidised) for the insurance year on or before the
//!   as-of day; subsidised means the enrolment carries a category subsidy.
//!
//! A report is one file: its rows, its HTML and its XLSX behind [`ReportKind`]. The
//! registry below lists them once; the REST route, the page's server function, the
//! OpenAPI entry and the access tests all follow from it.

mod counts;
mod dashboard;
mod fund;
mod incentive;
mod query;
mod ranking;
mod render;
mod statistics;
mod weekly;

pub use counts::*;
pub use dashboard::*;
pub use fund::*;
pub use incentive::*;
pub use query::*;
pub use ranking::*;
pub use render::*;
pub use statistics::*;
pub use weekly::*;

use std::future::Future;

use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::i18n::Lang;
use crate::services::access::Actor;
use crate::services::AppState;

/// One report: where its rows come from and how it reads as a page and as a sheet.
pub trait ReportKind: Sized {
    /// Its name in `/reports/{kind}` and `/api/v1/reports/{kind}`.
    const KIND: &'static str;
    /// The report for the query's area and day, checked against the actor's scope.
    fn build(
        state: &AppState,
        actor: &Actor,
        q: &ReportQuery,
        lang: Lang,
    ) -> impl Future<Output = Result<Self, AppError>> + Send;
    fn header(&self) -> &ReportHeader;
    /// The page body: tables and SVG, rendered on the server.
    fn html(&self, lang: Lang) -> String;
    /// The XLSX download laid out like the official form (None where there is none).
    fn xlsx(&self) -> Result<Option<Vec<u8>>, AppError>;
}

/// The registry: each report once. Adding a report is a file with its `ReportKind` and a
/// line here (and its tab label in `model::REPORT_KINDS`).
macro_rules! registry {
    ($($variant:ident($ty:ty)),* $(,)?) => {
        /// Any report, for the one REST endpoint.
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
        #[serde(untagged)]
        pub enum Report {
            $($variant($ty)),*
        }

        /// The report kinds, as in `/api/v1/reports/{kind}` and `/reports/{kind}`.
        pub const KINDS: &[&str] = &[$(<$ty as ReportKind>::KIND),*];

        /// Any report by its kind (404 for an unknown kind).
        #[tracing::instrument(skip_all, fields(kind = kind, actor = actor.account.id))]
        pub async fn report(
            state: &AppState,
            actor: &Actor,
            kind: &str,
            q: &ReportQuery,
            lang: Lang,
        ) -> Result<Report, AppError> {
            $(
                if kind == <$ty as ReportKind>::KIND {
                    return Ok(Report::$variant(<$ty>::build(state, actor, q, lang).await?));
                }
            )*
            Err(unknown_kind(kind))
        }

        impl Report {
            pub fn header(&self) -> &ReportHeader {
                match self {
                    $(Report::$variant(r) => r.header()),*
                }
            }

            /// The page body for the report.
            pub fn html(&self, lang: Lang) -> String {
                match self {
                    $(Report::$variant(r) => r.html(lang)),*
                }
            }

            /// The XLSX download and its file name; `None` where the report has no sheet.
            pub fn xlsx(&self) -> Result<Option<(String, Vec<u8>)>, AppError> {
                let h = self.header();
                let name = format!("{}-{}-{}.xlsx", h.kind, h.area_code, h.as_of);
                let bytes = match self {
                    $(Report::$variant(r) => r.xlsx()?),*
                };
                Ok(bytes.map(|b| (name, b)))
            }
        }
    };
}

registry! {
    Weekly(WeeklyReport),
    Dashboard(Dashboard),
    Fund(FundRequest),
    Statistics(StatisticsForm),
    Ranking(Ranking),
    Incentive(Incentive),
}

#[cfg(test)]
mod tests {
    /// The page's tabs (shared with the browser) and the server's registry name the same
    /// reports in the same order.
    #[test]
    fn the_tabs_list_every_report() {
        let tabs: Vec<&str> = crate::model::REPORT_KINDS.iter().map(|(k, _)| *k).collect();
        assert_eq!(tabs, super::KINDS);
    }
}
