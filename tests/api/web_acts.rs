//! Issue #14, the pages of acts over plain HTTP (the browser walk is in
//! `browser_acts`): drafts edited and deleted in the pages are gone for the
//! API too, a sealed act cannot be edited or deleted, a collectivité out of
//! scope does not exist, and hostile input is shown literally.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, acta_ok, fixture, spawn_app};
use crate::web::{Page, Visitor};

const SIREN: &str = "216295105";
const OTHER_SIREN: &str = "216296202";
const TEMPLATE: &str = "arrete-avancement-echelon";

async fn logged_in(app: &TestApp, login: &str, role: &str, siren: &str) -> Visitor {
    let args =
        ["users", "create", "--login", login, "--name", login, "--role", role, "--collectivite", siren];
    let password = acta_ok(app.data_dir.path(), &args).lines().last().unwrap().trim().to_owned();
    let mut v = Visitor::new(&app.base);
    assert_eq!(v.login(login, &password).await.status, StatusCode::SEE_OTHER);
    v
}

/// The fixture's data as the form posts it (`#` gives a list's rows).
fn inputs(v: &Value, ptr: &str, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => m.iter().for_each(|(k, v)| inputs(v, &format!("{ptr}/{k}"), out)),
        Value::Array(items) => {
            out.push((format!("#{ptr}"), items.len().to_string()));
            items.iter().enumerate().for_each(|(i, v)| inputs(v, &format!("{ptr}/{i}"), out));
        }
        Value::String(s) => out.push((ptr.to_owned(), s.clone())),
        other => out.push((ptr.to_owned(), other.to_string())),
    }
}

async fn post_form(v: &mut Visitor, path: &str, csrf: &str, changes: &[(&str, &str)]) -> Page {
    let mut pairs = Vec::new();
    inputs(&fixture(TEMPLATE)["data"], "", &mut pairs);
    for (k, new) in changes {
        match pairs.iter_mut().find(|(p, _)| p == k) {
            Some(pair) => pair.1 = (*new).to_owned(),
            None => pairs.push(((*k).to_owned(), (*new).to_owned())),
        }
    }
    let mut form: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    form.extend([("csrf", csrf), ("collectivite", SIREN), ("action", "enregistrer")]);
    v.post(path, &form).await
}

#[tokio::test]
async fn the_home_page_leads_to_the_drafts_in_progress() {
    let app = spawn_app().await;
    let mut v = logged_in(&app, "gina", "gestionnaire", SIREN).await;
    let new = format!("/actes/nouveau/{TEMPLATE}");
    let csrf = v.get(&format!("{new}?collectivite={SIREN}")).await.csrf();
    let saved = post_form(&mut v, &new, &csrf, &[]).await;
    let draft = saved.location().split('?').next().unwrap().to_owned();
    let home = v.get("/accueil").await;
    assert!(home.body.contains(r#"href="/recherche?status=draft&#38;sort=date_desc""#), "{}", home.body);
    let drafts = v.get("/recherche?status=draft&sort=date_desc").await;
    assert_eq!(drafts.status, StatusCode::OK, "{}", drafts.body);
    assert!(drafts.body.contains(&format!(r#"href="{draft}""#)), "{}", drafts.body);
}

#[tokio::test]
async fn a_draft_edited_or_deleted_in_the_pages_is_gone_for_the_api_too_and_a_sealed_act_stays() {
    let app = spawn_app().await;
    let mut v = logged_in(&app, "gina", "gestionnaire", SIREN).await;
    let new = format!("/actes/nouveau/{TEMPLATE}");
    let csrf = v.get(&format!("{new}?collectivite={SIREN}")).await.csrf();
    let saved = post_form(&mut v, &new, &csrf, &[]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let first = saved.location().split('?').next().unwrap().to_owned();

    // Edit: the form shows the draft; saving makes a new version.
    let form = v.get(&format!("{first}/modifier")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains(r#"value="Cœurdevey""#), "the draft's data fills the form");
    let edited =
        post_form(&mut v, &format!("{first}/modifier"), &csrf, &[("/grade", "attaché principal")]).await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.body);
    let second = edited.location().split('?').next().unwrap().to_owned();
    assert_ne!(second, first);
    assert_eq!(v.get(&first).await.status, StatusCode::NOT_FOUND);
    let api = |path: &str| format!("{}/api/v1/acts/{}", app.base, path.trim_start_matches("/actes/"));
    assert_eq!(app.client.get(api(&first)).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    let seal_old = app.client.post(format!("{}/seal", api(&first))).send().await.unwrap();
    assert_eq!(seal_old.status(), StatusCode::NOT_FOUND, "a replaced draft cannot be sealed");
    let page = v.get(&second).await;
    assert!(page.body.contains("Projet enregistré (nouvelle version)"), "{}", page.body);
    let draft: Value = app.client.get(api(&second)).send().await.unwrap().json().await.unwrap();
    assert_eq!(draft["status"], "draft");

    // « Aperçu »: its pages as images, the PDF in a frame of acta.
    let preview = v.get(&format!("{second}/apercu")).await;
    assert!(
        preview.body.contains(&format!(r#"<img src="{second}/page/1" alt="Page 1 sur 1 du projet""#)),
        "{}",
        preview.body
    );
    let csp = preview.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    let png = reqwest::Client::new()
        .get(format!("{}{second}/page/1", app.base))
        .header("cookie", v.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; "))
        .send()
        .await
        .unwrap();
    assert_eq!(png.headers()["content-type"], "image/png");
    assert!(png.bytes().await.unwrap().starts_with(b"\x89PNG\r\n\x1a\n"));
    assert_eq!(v.get(&format!("{second}/page/2")).await.status, StatusCode::NOT_FOUND);
    let framed = v.get(&format!("{second}/projet.pdf")).await;
    assert_eq!(framed.headers["x-frame-options"], "SAMEORIGIN");
    assert_eq!(v.get(&second).await.headers["x-frame-options"], "DENY", "only the PDF may be framed");

    // Seal it: then neither edit nor delete.
    let confirm = v.get(&format!("{second}/sceller")).await;
    assert!(confirm.body.contains("_ARR_00001"), "{}", confirm.body);
    assert_eq!(v.post(&format!("{second}/sceller"), &[("csrf", &csrf)]).await.status, StatusCode::SEE_OTHER);
    let refused = v.post(&format!("{second}/supprimer"), &[("csrf", &csrf)]).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(refused.body.contains("Acte scellé"));
    assert_eq!(v.get(&format!("{second}/modifier")).await.status, StatusCode::CONFLICT);
    assert_eq!(v.get(&second).await.status, StatusCode::OK);

    // The next act of this career starts from the sealed one.
    let next = v.get(&format!("{new}?collectivite={SIREN}&matricule=a-00417")).await;
    assert_eq!(next.status, StatusCode::OK, "{}", next.body);
    assert!(next.body.contains("Repris de l&#39;acte n° 2026_ARR_00001"), "{}", next.body);
    for kept in [r#"value="attaché principal""#, r#"value="Cœurdevey""#, r#"value="n° 2026_ARR_00001""#] {
        assert!(next.body.contains(kept), "{kept}");
    }
    assert!(next.body.contains(r#"value="6" id="f.echelon.ancien""#), "the new échelon is now the old one");
    assert!(
        next.body.contains(r#"type="date" min="1800-01-01" max="2200-12-31" value="" id="f.date_effet""#)
    );
    // A rectificatif starts from the sealed act and cites it.
    let sealed_id = second.trim_start_matches("/actes/");
    let link = format!("{new}?collectivite={SIREN}&amp;corrige={sealed_id}&amp;nature=rectificatif");
    assert!(v.get(&second).await.body.contains(&link), "the act page offers a rectificatif");
    let form = v.get(&link.replace("&amp;", "&")).await;
    assert!(
        form.body.contains("Cet acte sera un rectificatif de l&#39;acte n° 2026_ARR_00001"),
        "{}",
        form.body
    );
    assert!(form.body.contains(r#"value="attaché principal""#) && form.body.contains(r#"name="corrige""#));
    let fixed = post_form(&mut v, &new, &csrf, &[("corrige", sealed_id), ("nature", "rectificatif")]).await;
    assert_eq!(fixed.status, StatusCode::SEE_OTHER, "{}", fixed.body);
    let rect = fixed.location().split('?').next().unwrap().trim_start_matches("/actes/").to_owned();
    let rect: Value = app.client.get(api(&rect)).send().await.unwrap().json().await.unwrap();
    assert_eq!(rect["corrige"]["number"], "2026_ARR_00001");
    assert_eq!(rect["corrige"]["nature"], "rectificatif");

    let unknown = v.get(&format!("{new}?collectivite={SIREN}&matricule=Z-999")).await;
    assert!(unknown.body.contains("ne concerne le matricule « Z-999 »"), "{}", unknown.body);

    // Delete a fresh draft: gone everywhere, its files kept.
    let third = post_form(&mut v, &new, &csrf, &[]).await.location().split('?').next().unwrap().to_owned();
    assert_eq!(v.get(&format!("{third}/supprimer")).await.status, StatusCode::OK);
    assert_eq!(v.post(&format!("{third}/supprimer"), &[("csrf", &csrf)]).await.location(), "/accueil");
    assert_eq!(v.get(&third).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.client.get(api(&third)).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    let id = third.trim_start_matches("/actes/");
    assert!(app.data_dir.path().join(format!("store/acts/{id}/draft.json")).exists(), "nothing is deleted");
    let search: Value = app
        .client
        .get(format!("{}/api/v1/search?q=Cœurdevey", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let found = search.to_string();
    assert!(!found.contains(id) && !found.contains(first.trim_start_matches("/actes/")), "{found}");
}

#[tokio::test]
async fn another_collectivite_does_not_exist_for_the_pages_and_hostile_input_is_shown_literally() {
    let app = spawn_app().await;
    let mut v = logged_in(&app, "sam", "secretaire", SIREN).await;
    let form = v.get(&format!("/actes/nouveau/{TEMPLATE}?collectivite={OTHER_SIREN}")).await;
    assert_eq!(form.status, StatusCode::NOT_FOUND);
    assert!(form.body.contains("Page introuvable"));
    let csrf = v.get("/actes/nouveau").await.csrf();
    let mut theirs = fixture(TEMPLATE);
    theirs["collectivite"] = OTHER_SIREN.into();
    let act: Value = app
        .client
        .post(format!("{}/api/v1/acts", app.base))
        .json(&theirs)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let other = format!("/actes/{}", act["id"].as_str().unwrap());
    for path in
        [other.clone(), format!("{other}/pdf"), format!("{other}/sceller"), format!("{other}/modifier")]
    {
        assert_eq!(v.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(v.post(&format!("{other}/sceller"), &[("csrf", &csrf)]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(v.get("/actes/pas-un-identifiant").await.status, StatusCode::NOT_FOUND);
    let forged = post_form(
        &mut v,
        &format!("/actes/nouveau/{TEMPLATE}"),
        &csrf,
        &[("corrige", other.trim_start_matches("/actes/")), ("nature", "retrait")],
    )
    .await;
    assert_eq!(forged.status, StatusCode::NOT_FOUND, "a correction of another collectivité's act");
    assert!(v.get("/nulle-part").await.body.contains("Page introuvable"));

    let hostile = "\"><script>alert(1)</script>";
    let page = post_form(
        &mut v,
        &format!("/actes/nouveau/{TEMPLATE}"),
        &csrf,
        &[("/grade", hostile), ("/agent/nom", "")],
    )
    .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!page.body.contains("<script>"));
    assert!(
        page.body.contains(r##"<a href="#f.agent.nom">Agent — Nom : champ obligatoire manquant</a>"##),
        "{}",
        page.body
    );
    // A number typed in words is kept, and named.
    let words =
        post_form(&mut v, &format!("/actes/nouveau/{TEMPLATE}"), &csrf, &[("/echelon/nouveau", "six")]).await;
    assert!(words.body.contains(r#"value="six""#));
    assert!(words.body.contains("Nouvel échelon : doit être un nombre entier"), "{}", words.body);
}

/// A délibération voted « à main levée » (no names, as most are) is saved
/// from its form: the optional « Nom des votants » group the form shows
/// empty is not posted as an empty group that the rule « as many names as
/// votes » would refuse; once names are asked for, they must match.
#[tokio::test]
async fn a_deliberation_voted_by_show_of_hands_is_saved_from_its_form() {
    let app = spawn_app().await;
    let mut v = logged_in(&app, "sylvie", "secretaire", SIREN).await;
    let new = "/actes/nouveau/deliberation";
    let form = v.get(&format!("{new}?collectivite={SIREN}")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains(r##"name="#/vote/noms/pour" value="0""##), "the form shows the empty lists");
    let csrf = form.csrf();
    let data = fixture("deliberation")["data"].clone();
    assert!(data["vote"].get("noms").is_none(), "the fixture votes by show of hands");
    let mut pairs = Vec::new();
    inputs(&data, "", &mut pairs);
    // An unchecked box posts nothing; the three empty lists of names are posted as the form shows them.
    pairs.retain(|(_, value)| value != "false");
    pairs.iter_mut().filter(|(_, value)| value == "true").for_each(|(_, value)| *value = "oui".into());
    for list in ["pour", "contre", "abstentions"] {
        pairs.push((format!("#/vote/noms/{list}"), "0".into()));
    }
    let post = |extra: Vec<(String, String)>| {
        let mut all = pairs.clone();
        all.extend(extra);
        all.extend(
            [("csrf", csrf.as_str()), ("collectivite", SIREN), ("action", "enregistrer")]
                .map(|(k, v)| (k.to_owned(), v.to_owned())),
        );
        all
    };
    // Names asked for, one given: the rule speaks, beside the group, and nothing is saved.
    let one_name = post(vec![
        ("#/vote/noms/pour".into(), "1".into()),
        ("/vote/noms/pour/0/civilite".into(), "M.".into()),
        ("/vote/noms/pour/0/prenom".into(), "Anselme".into()),
        ("/vote/noms/pour/0/nom".into(), "Ribouldec".into()),
    ]);
    let refused =
        v.post(new, &one_name.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect::<Vec<_>>()).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.body.contains("1 nom(s) indiqué(s) pour « pour »"), "{}", refused.body);
    // No names: saved.
    let plain = post(Vec::new());
    let saved = v.post(new, &plain.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect::<Vec<_>>()).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert!(saved.location().starts_with("/actes/"), "{}", saved.location());
}
