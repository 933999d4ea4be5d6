//! Launching a campaign's run in the background of this process (the web
//! pages' « Lancer »), its progress then read with [`super::run::running`].

use std::sync::Arc;

use super::record::CampaignId;
use super::{CampaignError, run};
use crate::service::Acta;

/// Start making every row of campaign `id` not made yet, in a background
/// task; [`CampaignError::Running`] while a run of it is under way here.
pub fn launch(acta: &Arc<Acta>, id: CampaignId) -> Result<(), CampaignError> {
    let progress = run::claim(&id)?;
    let runner = Arc::clone(acta);
    tokio::spawn(async move {
        match run::run(&runner, &id, &progress).await {
            Ok(r) => tracing::info!(campaign = %id, made = r.made, already = r.already,
                failed = r.failures.len(), cancelled = r.cancelled, "campaign run finished"),
            Err(e) => tracing::error!(campaign = %id, error = %e, "campaign run failed"),
        }
        run::release(&id);
        // Made completely: the file it was recorded from is no longer needed.
        runner.campaign_uploads().campaign_ended(runner.store(), &id).await;
    });
    Ok(())
}
