//! The pages, and the table of their routes with each one's access rule
//! (as for the API, a route is one line here; the gate finds its rule).

mod acts;
mod home;
mod login;
mod setup;
mod users;
pub(crate) mod verify;
// Finding, transfers, administration, help (h-webfind).
mod admin;
mod collectivite;
// Confirmation steps of destructive administration actions (h-webrest).
mod confirm;
pub(super) mod errors;
mod info;
mod quarantine;
mod search;
mod transfer;
mod transfers;
mod wording;
// Campaigns (h-webcampaign).
mod campaign;
mod campaign_check;
mod campaign_view;
pub(crate) mod campaigns;
mod mappings;

use std::sync::Arc;

use axum::http::Method;
use axum::routing::{MethodRouter, get, post};

use super::{Web, assets, first_run};
use crate::auth::Permission as P;
use crate::http::access::Access;

/// Method, path, rule and handler of every page.
pub(super) fn routes() -> Vec<(Method, &'static str, Access, MethodRouter<Arc<Web>>)> {
    use Method as M;
    vec![
        (M::GET, "/", Access::Public, get(home::root)),
        (M::GET, "/static/{file}", Access::Public, get(assets::file)),
        (M::GET, "/connexion", Access::Public, get(login::form)),
        (M::POST, "/connexion", Access::Public, post(login::submit)),
        (M::GET, "/deconnexion", Access::Public, get(login::logout_page)),
        (M::POST, "/deconnexion", Access::Public, post(login::logout)),
        (M::GET, "/accueil", Access::Role(P::ListTemplates), get(home::home)),
        (M::GET, verify::PATH, Access::Public, get(verify::form)),
        (M::POST, verify::PATH, Access::Public, post(verify::submit)),
        (M::GET, first_run::PAGE, Access::Public, get(setup::form)),
        (M::POST, first_run::PAGE, Access::Public, post(setup::submit)),
        // Acts (h-webacts).
        (M::GET, "/actes/nouveau", Access::Role(P::CreateDraft), get(acts::new::choose)),
        (M::GET, "/actes/nouveau/{template}", Access::Role(P::CreateDraft), get(acts::new::form)),
        (M::POST, "/actes/nouveau/{template}", Access::Role(P::CreateDraft), post(acts::new::submit)),
        (M::POST, "/actes/nouveau/{template}/apercu", Access::Role(P::CreateDraft), post(acts::live::page)),
        (M::GET, "/actes/{id}", Access::Act(P::ReadAct), get(acts::show::page)),
        (M::GET, "/actes/{id}/pdf", Access::Act(P::ReadAct), get(acts::show::pdf)),
        (M::GET, "/actes/{id}/projet.pdf", Access::Act(P::ReadAct), get(acts::show::inline_pdf)),
        (M::GET, "/actes/{id}/apercu", Access::Act(P::ReadAct), get(acts::show::preview)),
        (M::POST, "/actes/{id}/apercu", Access::Act(P::CreateDraft), post(acts::live::of_draft)),
        (M::GET, "/actes/{id}/preuve", Access::Act(P::ReadAct), get(acts::show::proof)),
        (M::GET, "/actes/{id}/page/{n}", Access::Act(P::ReadAct), get(acts::show::page_png)),
        (M::GET, "/actes/{id}/modifier", Access::Act(P::CreateDraft), get(acts::edit::form)),
        (M::POST, "/actes/{id}/modifier", Access::Act(P::CreateDraft), post(acts::edit::submit)),
        (M::GET, "/actes/{id}/supprimer", Access::Act(P::CreateDraft), get(acts::edit::delete_form)),
        (M::POST, "/actes/{id}/supprimer", Access::Act(P::CreateDraft), post(acts::edit::delete)),
        (M::GET, "/actes/{id}/sceller", Access::Act(P::Seal), get(acts::seal::form)),
        (M::POST, "/actes/{id}/sceller", Access::Act(P::Seal), post(acts::seal::submit)),
        (M::GET, "/actes/{id}/retirer", Access::Act(P::Seal), get(acts::seal::withdraw_form)),
        (M::POST, "/actes/{id}/retirer", Access::Act(P::Seal), post(acts::seal::withdraw)),
        (M::GET, "/admin/comptes", Access::Role(P::ManageTokens), get(users::list)),
        (M::POST, "/admin/comptes", Access::Role(P::ManageTokens), post(users::create)),
        // Finding, transfers, administration, help.
        (M::GET, search::PATH, Access::Role(P::Search), get(search::search)),
        (M::GET, collectivite::PATH, Access::Role(P::ReadAct), get(collectivite::space)),
        (M::GET, transfers::PATH, Access::Role(P::Export), get(transfers::list)),
        (M::POST, transfers::PATH, Access::Role(P::Export), post(transfers::create)),
        (M::GET, "/transferts/{id}", Access::Transfer(P::Export), get(transfer::show)),
        (M::GET, "/transferts/{id}/sip", Access::Transfer(P::Export), get(transfer::sip)),
        (M::POST, "/transferts/{id}/reponse", Access::Transfer(P::IngestReplies), post(transfer::reply)),
        (M::GET, "/transferts/quarantaine/{id}/xml", Access::Role(P::Export), get(quarantine::xml)),
        (
            M::POST,
            "/transferts/quarantaine/{id}/traitee",
            Access::Role(P::IngestReplies),
            post(quarantine::acknowledge),
        ),
        (M::POST, "/admin/comptes/{login}/etat", Access::Role(P::ManageTokens), post(users::set_state)),
        (M::GET, "/admin/comptes/{login}/etat", Access::Role(P::ManageTokens), get(confirm::disable_user)),
        (
            M::GET,
            "/admin/comptes/{login}/mot-de-passe",
            Access::Role(P::ManageTokens),
            get(confirm::reset_password),
        ),
        (M::POST, "/admin/comptes/{login}/mot-de-passe", Access::Role(P::ManageTokens), post(users::reset)),
        (M::GET, admin::TOKENS, Access::Role(P::ManageTokens), get(admin::tokens)),
        (M::POST, admin::TOKENS, Access::Role(P::ManageTokens), post(admin::create_token)),
        (M::POST, "/admin/jetons/{token}/revoquer", Access::Role(P::ManageTokens), post(admin::revoke_token)),
        (M::GET, "/admin/jetons/{token}/revoquer", Access::Role(P::ManageTokens), get(confirm::revoke_token)),
        (M::GET, admin::JOURNAL, Access::Role(P::ReadAudit), get(admin::journal)),
        (M::GET, info::ACCESSIBILITY, Access::Public, get(info::accessibility)),
        (M::GET, info::HELP, Access::Public, get(info::help)),
        // Campaigns: the visibility of one (every collectivité in scope) is
        // checked by its handlers, as the API's.
        (M::GET, campaigns::PATH, Access::Role(P::ReadCampaign), get(campaigns::list)),
        (M::GET, campaigns::NEW, Access::Role(P::RunCampaign), get(campaigns::new_form)),
        (M::POST, campaigns::NEW, Access::Role(P::RunCampaign), post(campaigns::upload)),
        (M::GET, "/campagnes/controle/{upload}", Access::Role(P::RunCampaign), get(campaign_check::report)),
        (
            M::POST,
            "/campagnes/controle/{upload}",
            Access::Role(P::RunCampaign),
            post(campaign_check::record_campaign),
        ),
        (
            M::GET,
            "/campagnes/controle/{upload}/rapport.csv",
            Access::Role(P::RunCampaign),
            get(campaign_check::report_csv),
        ),
        (M::GET, campaign_check::XLSX, Access::Role(P::RunCampaign), get(campaign_check::report_xlsx)),
        (M::GET, mappings::PATH, Access::Role(P::RunCampaign), get(mappings::list)),
        (M::GET, mappings::EDIT, Access::Role(P::RunCampaign), get(mappings::edit)),
        (M::POST, mappings::EDIT, Access::Role(P::RunCampaign), post(mappings::save)),
        (M::POST, mappings::HEADERS, Access::Role(P::RunCampaign), post(mappings::headers)),
        (
            M::GET,
            "/campagnes/controle/{upload}/exemple/{line}",
            Access::Role(P::RunCampaign),
            get(campaign_check::upload_sample),
        ),
        (M::GET, "/campagnes/{id}", Access::Role(P::ReadCampaign), get(campaign::show)),
        (M::GET, "/campagnes/{id}/exemples/{line}", Access::Role(P::ReadCampaign), get(campaign::sample_pdf)),
        (M::GET, "/campagnes/{id}/lancer", Access::Role(P::RunCampaign), get(campaign::launch_form)),
        (M::POST, "/campagnes/{id}/lancer", Access::Role(P::RunCampaign), post(campaign::launch)),
        (M::GET, "/campagnes/{id}/annuler", Access::Role(P::RunCampaign), get(campaign::cancel_form)),
        (M::POST, "/campagnes/{id}/annuler", Access::Role(P::RunCampaign), post(campaign::cancel)),
        (M::GET, "/campagnes/{id}/livraison/{siren}", Access::Role(P::ReadCampaign), get(campaign::delivery)),
        // Last: every other address (the gate answers « Page introuvable »).
        (M::GET, errors::CATCH_ALL, Access::Public, axum::routing::any(errors::fallback)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_about_one_act_checks_the_act_as_the_api_does() {
        let about_acts: Vec<_> =
            routes().into_iter().filter(|(_, p, _, _)| p.starts_with("/actes/{id}")).collect();
        assert!(about_acts.len() >= 10);
        for (method, path, access, _) in about_acts {
            assert!(matches!(access, Access::Act(_)), "{method} {path} must be Access::Act");
        }
    }
}
