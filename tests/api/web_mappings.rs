//! Issue #16, « Correspondance des colonnes » in the pages: a gestionnaire
//! finds it from « Nouvelle campagne », reads the headers of the HR
//! software's export, chooses each field's column or a value common to
//! every row, is told beside each field what is wrong, saves — and the
//! mapping saved is the one the API serves and the next campaign reads.
//! Plain forms (no JavaScript), CSRF-protected, for admin and gestionnaire.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{repo_path, spawn_app};
use crate::web_campaigns::{MAPPING, SIRENS, logged_in, multipart, send, wave};

const EDITOR: &str = "/campagnes/correspondances/arrete-avancement-echelon";

fn field(pointer: &str) -> String {
    format!("champ{}", pointer.replace('/', "--"))
}

#[tokio::test]
async fn a_gestionnaire_maps_the_columns_of_a_template_in_the_pages_and_the_next_campaign_reads_with_it() {
    let app = spawn_app().await;
    let mut rh = logged_in(&app, "rh", "gestionnaire", &SIRENS).await;
    let new = rh.get("/campagnes/nouvelle").await;
    assert!(new.body.contains(r#"<a href="/campagnes/correspondances">"#), "{}", new.body);
    let list = rh.get("/campagnes/correspondances").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains(&format!(r#"<a href="{EDITOR}">"#)), "{}", list.body);

    // Without a file, each field's column is typed in.
    let editor = rh.get(EDITOR).await;
    assert_eq!(editor.status, StatusCode::OK, "{}", editor.body);
    let id = field("/echelon/indice_brut");
    assert!(
        editor.body.contains(&format!(r#"<input class="field__input" type="text" id="{id}" name="{id}""#))
    );
    assert!(editor.body.contains(&format!(r#"<label class="field__label" for="{id}">"#)), "{}", editor.body);

    // The export's headers read: each field is a choice among them.
    let csv = wave(3, &[]);
    let (content_type, body) =
        multipart(&[("csrf", &editor.csrf())], ("fichier", "export-paie.csv", csv.as_bytes()));
    let read = rh.post_body(&format!("{EDITOR}/entetes"), &content_type, body).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    assert!(read.body.contains(&format!(r#"<select class="field__input" id="{id}""#)), "{}", read.body);
    assert!(read.body.contains(r#"<option value="Nouvel échelon">"#), "{}", read.body);
    assert!(read.body.contains(r#"<input type="hidden" name="entete" value="IB">"#), "{}", read.body);
    let headers: Vec<String> = csv.lines().next().unwrap().split(';').map(str::to_owned).collect();

    // Mistakes are named beside their fields and in the summary.
    let mut form: Vec<(String, String)> = vec![("csrf".into(), read.csrf())];
    form.extend(headers.iter().map(|h| ("entete".into(), h.clone())));
    let mut wrong = form.clone();
    wrong.push((field("/echelon/indice_brut"), "IB".into()));
    wrong.push((field("/echelon/nouveau"), "IB".into()));
    wrong.push((format!("{}-commune", field("/date_effet")), "31/02/2026".into()));
    let pairs: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let refused = rh.post(EDITOR, &pairs).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.body.contains("<title>Erreur : "), "{}", refused.body);
    assert!(
        refused.body.contains(r##"<a href="#collectivite">Indiquez la colonne du SIREN"##),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("la colonne « IB » remplit déjà le champ"), "{}", refused.body);
    assert!(refused.body.contains("« 31/02/2026 » n’est pas une date valide"), "{}", refused.body);
    assert!(refused.body.contains(r#"<p class="field__error" id="collectivite-error">"#), "{}", refused.body);
    assert!(refused.body.contains("champ obligatoire, choisissez sa colonne ou une valeur commune"));
    assert_eq!(rh.post(EDITOR, &[("collectivite", "SIREN employeur")]).await.status, StatusCode::FORBIDDEN);

    // The sample mapping of the template library, entered in the form.
    let sample: Value = serde_json::from_slice(&std::fs::read(repo_path(MAPPING)).unwrap()).unwrap();
    form.push(("collectivite".into(), sample["collectivite"].as_str().unwrap().into()));
    for (header, pointer) in sample["columns"].as_object().unwrap() {
        form.push((field(pointer.as_str().unwrap()), header.clone()));
    }
    for (pointer, value) in sample["fixed"].as_object().unwrap() {
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Array(items) => items.iter().map(|v| v.as_str().unwrap()).collect::<Vec<_>>().join(" | "),
            other => other.to_string(),
        };
        form.push((format!("{}-commune", field(pointer)), text));
    }
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let saved = rh.post(EDITOR, &pairs).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let page = rh.get(saved.location()).await;
    assert!(page.body.contains("Correspondance enregistrée"), "{}", page.body);
    assert!(page.body.contains(&format!(r#"id="{id}" name="{id}" value="IB""#)), "prefilled: {}", page.body);
    let (status, api) = app.get_json("/api/v1/campaigns/mappings/arrete-avancement-echelon").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(api["collectivite"], sample["collectivite"]);
    assert_eq!(api["columns"], sample["columns"]);
    assert_eq!(api["fixed"], sample["fixed"], "common values typed as the schema wants them");

    // The next campaign of this template reads the file with it.
    let sent = send(&mut rh, &wave(3, &[])).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let report = rh.get(sent.location()).await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    assert!(report.body.contains("Toutes les lignes sont valides"), "{}", report.body);

    // A lecteur may not map columns.
    let mut lecteur = logged_in(&app, "mairie", "lecteur", &[SIRENS[0]]).await;
    assert_eq!(lecteur.get(EDITOR).await.status, StatusCode::FORBIDDEN);
}
