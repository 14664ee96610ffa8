//! Server functions for staff-authored policy packs: the pages read drafts here; their forms
//! post to `/api/v1/policy-drafts/…` (plain forms, so they work before the WASM loads).

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::{DraftView, DraftsPage};

/// The drafts of the officer's area and the packs a new one can start from.
#[server]
pub async fn policy_drafts() -> Result<DraftsPage, AppError> {
    use crate::services::policies::drafts;
    crate::api::ssr::as_actor(|state, actor| async move {
        Ok(DraftsPage {
            drafts: drafts::list(&state, &actor).await?,
            starting_points: drafts::starting_points(&state, &actor)?,
        })
    })
    .await
}

/// One draft with its form, problems, differences and the sample people's quotes
/// (`samples`: `birth:category[:student]`, the pack's own people when empty).
#[server]
pub async fn policy_draft(id: i64, #[server(default)] samples: Vec<String>) -> Result<DraftView, AppError> {
    use crate::services::policies::drafts::{self, Sample};
    crate::api::ssr::as_actor(|state, actor| async move {
        let samples: Vec<Sample> = samples.iter().filter_map(|s| Sample::parse(s)).collect();
        drafts::view(&state, &actor, id, Some(samples)).await
    })
    .await
}
