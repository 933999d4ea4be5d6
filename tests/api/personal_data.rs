//! Personal data (issue 13, item 5): the agent of an individual act never
//! reaches an archiviste or a lecteur, whatever the spelling of their name in
//! free text (case, accents, ligatures, hyphens, spacing).

use acta::auth::Role;
use reqwest::StatusCode;
use serde_json::json;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::helpers::{client_with, fixture, spawn_app};

/// Lower case, no accents, ligatures spelt out, nothing but letters and digits.
fn folded(text: &str) -> String {
    text.nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'œ' => "oe".to_owned(),
            'æ' => "ae".to_owned(),
            c if c.is_alphanumeric() => c.to_string(),
            _ => String::new(),
        })
        .collect()
}

#[tokio::test]
async fn the_agent_s_name_never_reaches_an_archiviste_or_a_lecteur_in_any_spelling() {
    let app = spawn_app().await;
    let mut act = fixture("arrete-disponibilite");
    let siren = act["collectivite"].as_str().unwrap().to_owned();
    act["data"]["agent"]["prenom"] = json!("Béatrice");
    act["data"]["agent"]["nom"] = json!("Lefèvre-Œuvre");
    act["data"]["suivi_par"] = json!(
        "RH, Beatrice Lefevre ; BEATRICE LEFÈVRE ; Lefevre-Oeuvre ; Lefèvre-Œuvre ; LefevreOeuvre ; lefèvre œuvre"
    );
    let id = app.create(&act).await["id"].as_str().unwrap().to_owned();
    let (status, sealed) = app.seal(&id).await;
    assert_eq!(status, StatusCode::OK, "{sealed:#}");

    // Those who may see personal data find the agent under any spelling.
    for q in ["Lefevre", "lefèvre-œuvre", "BEATRICE"] {
        assert_eq!(app.search(q).await["total"], 1, "{q}");
    }

    for role in [Role::Archiviste, Role::Lecteur] {
        let client = client_with(&app.token(role, &[&siren]).await);
        let get = |path: String| {
            let req = client.get(app.url(&path));
            async move {
                let r = req.send().await.unwrap();
                assert_eq!(r.status(), StatusCode::OK, "{role:?} {path}");
                r.text().await.unwrap()
            }
        };
        let found = get("/api/v1/search?q=disponibilit%C3%A9".into()).await;
        assert!(found.contains(&id), "{role:?}: {found}");
        // The free text around the masked name is shown, as a snippet.
        let around = get("/api/v1/search?q=rh".into()).await;
        assert!(around.contains("<b>RH</b>"), "{role:?}: {around}");
        let shown = [
            found,
            around,
            get(format!("/api/v1/acts/{id}")).await,
            get(format!("/api/v1/acts/{id}/proof")).await,
        ];
        for text in &shown {
            let f = folded(text);
            for part in ["beatrice", "lefevre", "oeuvre"] {
                assert!(!f.contains(part), "{role:?} sees « {part} »: {text}");
            }
        }
        for q in ["Lefevre", "Beatrice", "Lefèvre-Œuvre", "OEUVRE", "lefevreoeuvre", "Lefev"] {
            let r = client.get(app.url("/api/v1/search")).query(&[("q", q)]).send().await.unwrap();
            let body: serde_json::Value = r.json().await.unwrap();
            assert_eq!(body["total"], 0, "{role:?} finds the act by « {q} »: {body:#}");
        }
    }
}
