//! What the rendered document is (PDF/A-2b, embedded fonts) and says (every
//! mention DOMAIN.md §3.6 lists), checked with poppler's own tools.

use serde_json::json;

use crate::helpers::{fixture, pdf_text, pdf_tool, spawn_app};

const T: &str = "arrete-avancement-echelon";

#[tokio::test]
async fn the_sealed_act_is_pdfa_2b_with_every_font_embedded() {
    let app = spawn_app().await;
    let id = app.create(&fixture(T)).await["id"].as_str().unwrap().to_owned();
    app.seal(&id).await;
    let pdf = app.pdf(&id).await;

    let xmp = pdf_tool("pdfinfo", &["-meta"], &pdf);
    let compact: String = xmp.split_whitespace().collect();
    assert!(
        compact.contains("<pdfaid:part>2</pdfaid:part>") || compact.contains("pdfaid:part=\"2\""),
        "no PDF/A part 2 in XMP:\n{xmp}"
    );
    assert!(
        compact.contains("<pdfaid:conformance>B</pdfaid:conformance>")
            || compact.contains("pdfaid:conformance=\"B\""),
        "no conformance B in XMP:\n{xmp}"
    );

    let fonts = pdf_tool("pdffonts", &[], &pdf);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty(), "no fonts listed:\n{fonts}");
    for row in rows {
        // Columns: name type encoding emb sub uni object ID.
        let cols: Vec<&str> = row.split_whitespace().collect();
        let emb = cols[cols.len() - 5];
        assert_eq!(emb, "yes", "font not embedded: {row}");
    }
}

#[tokio::test]
async fn the_sealed_arrete_carries_every_legal_mention() {
    let app = spawn_app().await;
    let id = app.create(&fixture(T)).await["id"].as_str().unwrap().to_owned();
    let (_, sealed) = app.seal(&id).await;
    let number = sealed["number"].as_str().unwrap();
    let text = pdf_text(&app.pdf(&id).await);

    for mention in [
        "Commune d’Aubrecourt-en-Artois",
        &format!("ARRÊTÉ N° {number}"),
        "portant avancement d’échelon",
        "Mme Léonie CŒURDEVEY",
        "Le Maire d’Aubrecourt-en-Artois,",
        "Vu le code général de la fonction publique",
        "Vu le décret n° 2006-1691 du 22 décembre 2006",
        "Vu l’arrêté n° 2024_ARR_00077 du 12 février 2024",
        "Considérant que Mme Léonie CŒURDEVEY remplit, au 1er avril 2026",
        "Article 1er — À compter du 1er avril 2026",
        "est promue au 6e échelon de son grade (indice brut 420, indice majoré 373)",
        "avec une ancienneté conservée de 1 an, 2 mois et 3 jours",
        "chapitre 012 du budget de l’exercice 2026",
        "Le directeur général des services est chargé de l’exécution",
        "ampliation sera adressée au président du Centre de gestion",
        "certifie sous sa responsabilité le caractère exécutoire",
        "médiation préalable obligatoire",
        "tribunal administratif de Lille",
        "Télérecours citoyens",
        "Notifié à Mme Léonie CŒURDEVEY",
        "Fait à Aubrecourt-en-Artois, le 2 mars 2026",
        "Gaëtan VASSEURLOT",
        "page 1 / 1",
        "Empreinte des données (SHA-256)",
    ] {
        assert!(text.contains(mention), "missing «{mention}» in:\n{text}");
    }
    assert!(!text.contains("PROJET"), "a sealed act is not a draft");
}

#[tokio::test]
async fn a_draft_says_projet_and_has_no_number() {
    let app = spawn_app().await;
    let id = app.create(&fixture(T)).await["id"].as_str().unwrap().to_owned();
    let text = pdf_text(&app.pdf(&id).await);
    assert!(text.contains("PROJET D’ARRÊTÉ"), "{text}");
    assert!(text.contains("(projet non numéroté)"), "{text}");
    assert!(!text.contains("ARRÊTÉ N°"), "{text}");
}

#[tokio::test]
async fn the_mpo_clause_follows_the_collectivite_convention() {
    let app = spawn_app().await;
    let mut body = fixture(T);
    body["collectivite"] = json!("216296202"); // Marquenval: no MPO convention
    let id = app.create(&body).await["id"].as_str().unwrap().to_owned();
    let text = pdf_text(&app.pdf(&id).await);
    assert!(!text.contains("médiation préalable obligatoire"), "{text}");
    assert!(text.contains("La Maire de Marquenval-sur-Canche"), "{text}");
    assert!(text.contains("La secrétaire générale de mairie est chargée"), "{text}");
}

#[tokio::test]
async fn markup_in_data_is_printed_literally() {
    let app = spawn_app().await;
    let hostile = r#"#panic("x") *gras* $x$ <l> @ref"#;
    let mut body = fixture(T);
    body["data"]["grade"] = json!(hostile);
    body["data"]["agent"]["prenom"] = json!(r#"#read("/etc/passwd") _i_ \ ] //"#);
    let id = app.create(&body).await["id"].as_str().unwrap().to_owned();
    let (_, sealed) = app.seal(&id).await;
    assert_eq!(sealed["status"], "sealed");
    let text = pdf_text(&app.pdf(&id).await);
    assert!(text.contains(hostile), "{text}");
    assert!(text.contains(r#"#read("/etc/passwd") _i_ \ ] //"#), "{text}");
    assert!(!text.contains("root:"), "file contents leaked");
}
