//! Server functions for reports and targets. Reports come back rendered (HTML tables
//! and SVG charts) so the browser bundle carries no report code.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::{ReportHtml, TargetView};

#[server]
pub async fn report_view(
    kind: String,
    #[server(default)] area: Option<String>,
    #[server(default)] as_of: Option<String>,
    #[server(default)] lang: Option<String>,
) -> Result<ReportHtml, AppError> {
    use crate::services::reports::{self, ReportQuery};
    crate::api::ssr::as_actor(|state, actor| async move {
        let lang = lang
            .as_deref()
            .and_then(crate::i18n::Lang::from_code)
            .unwrap_or_default();
        let q = ReportQuery {
            area,
            as_of,
            year: None,
        };
        let r = reports::report(&state, &actor, &kind, &q, lang).await?;
        let h = r.header();
        let xlsx_href = (kind != "dashboard").then(|| {
            format!(
                "/api/v1/reports/{kind}?format=xlsx&area={}&as_of={}",
                h.area_code, h.as_of
            )
        });
        Ok(ReportHtml {
            title: match lang {
                crate::i18n::Lang::Zh => h.title.clone(),
                crate::i18n::Lang::En => h.title_en.clone(),
            },
            area_code: h.area_code.clone(),
            as_of: h.as_of.to_string(),
            xlsx_href,
            html: r.html(lang),
        })
    })
    .await
}

#[server]
pub async fn target_list(#[server(default)] area: Option<String>) -> Result<Vec<TargetView>, AppError> {
    crate::api::ssr::as_actor(|state, actor| async move {
        crate::services::targets::list(&state, &actor, area.as_deref()).await
    })
    .await
}

/// A bureau officer sets one target (the form posts strings; bad numbers name the field).
#[server]
pub async fn set_target(area_code: String, year: String, count: String) -> Result<TargetView, AppError> {
    use crate::api::ssr::client_ip;
    crate::api::ssr::as_actor(|state, actor| async move {
        let year = crate::services::targets::parse_year(year.trim())?;
        let count: i64 = count.trim().parse().map_err(|_| {
            AppError::invalid(
                "count",
                "count_invalid",
                "任务数应为0或正整数",
                "The target must be a whole number, 0 or more",
            )
        })?;
        crate::services::targets::set(&state, &actor, area_code.trim(), year, count, &client_ip()).await
    })
    .await
}
