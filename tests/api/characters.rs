//! Issue 13, item 8: one policy for the characters of free text. Invisible
//! characters (zero-width, soft hyphen, bidirectional controls) and the
//! Unicode line and paragraph separators are refused wherever they hide, with
//! a 422 naming the field and the code point, and nothing is stored.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{fixture, spawn_app, stored_acts};

const T: &str = "arrete-avancement-echelon";

/// One refused character per class, as people paste them, and the words the
/// message must contain.
const CASES: [(char, &str); 15] = [
    ('\u{2028}', "U+2028 (line separator)"),
    ('\u{2029}', "U+2029 (paragraph separator)"),
    ('\u{202A}', "U+202A (left-to-right embedding)"),
    ('\u{202E}', "U+202E (right-to-left override)"),
    ('\u{2066}', "U+2066 (left-to-right isolate)"),
    ('\u{2069}', "U+2069 (pop directional isolate)"),
    ('\u{200E}', "U+200E (left-to-right mark)"),
    ('\u{200F}', "U+200F (right-to-left mark)"),
    ('\u{061C}', "U+061C (arabic letter mark)"),
    ('\u{200B}', "U+200B (zero width space)"),
    ('\u{200D}', "U+200D (zero width joiner)"),
    ('\u{2060}', "U+2060 (word joiner)"),
    ('\u{FEFF}', "U+FEFF (zero width no-break space)"),
    ('\u{00AD}', "U+00AD (soft hyphen)"),
    ('\u{FFFD}', "U+FFFD (replacement character)"),
];

fn the_error<'a>(problem: &'a Value, path: &str) -> &'a str {
    let errors = problem["errors"].as_array().unwrap();
    let e =
        errors.iter().find(|e| e["path"] == path).unwrap_or_else(|| panic!("{path} not named: {problem:#}"));
    e["message"].as_str().unwrap()
}

#[tokio::test]
async fn every_invisible_separator_or_bidi_character_is_refused_in_any_act_field_with_its_code_point() {
    let app = spawn_app().await;
    // A single-line name, a long sentence and an item of a list.
    let fields = ["/agent/nom", "/statut_particulier", "/visas/1"];
    for (i, (c, named)) in CASES.iter().enumerate() {
        let field = fields[i % fields.len()];
        let mut body = fixture(T);
        let value = body["data"].pointer_mut(field).unwrap();
        let text = value.as_str().unwrap().to_owned();
        let (head, tail) = text.split_at(text.char_indices().nth(3).unwrap().0);
        *value = json!(format!("{head}{c}{tail}"));
        let (status, problem) = app.post_act(&body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{c:?}: {problem:#}");
        assert_eq!(problem["code"], "validation_failed");
        let message = the_error(&problem, &format!("/data{field}"));
        assert!(message.contains(named), "{c:?}: {message}");
        assert!(message.starts_with("contient le caractère"), "{message}");
    }
    assert!(stored_acts(app.data_dir.path()).is_empty(), "a refused act was stored");
}

#[tokio::test]
async fn french_typography_passes_and_line_breaks_stay_the_templates_decision() {
    let app = spawn_app().await;
    let mut body = fixture(T);
    // A non-breaking space, a curly apostrophe, a ligature.
    body["data"]["agent"]["nom"] = json!("Cœurdevey-L’Hôte");
    body["data"]["imputation"] = json!("chapitre\u{00A0}012 du budget : exercice 2026");
    let (status, act) = app.post_act(&body).await;
    assert_eq!(status, StatusCode::CREATED, "{act:#}");

    // A single-line field refuses a line feed with its own message, and a
    // line separator as the character it is.
    body["data"]["agent"]["nom"] = json!("Cœur\ndevey");
    let (status, problem) = app.post_act(&body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(the_error(&problem, "/data/agent/nom"), "doit tenir sur une seule ligne");
    body["data"]["agent"]["nom"] = json!("Cœur\u{2028}devey");
    let (_, problem) = app.post_act(&body).await;
    assert!(the_error(&problem, "/data/agent/nom").contains("U+2028"));
}

#[tokio::test]
async fn a_transfer_comment_follows_the_same_policy() {
    let app = spawn_app().await;
    for (c, named) in [CASES[1], CASES[3], CASES[10], CASES[13], ('\u{7}', "U+0007")] {
        let body = json!({"collectivite": "216295105", "comment": format!("Versement{c} annuel")});
        let r = app.client.post(app.url("/api/v1/transfers")).json(&body).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let problem: Value = r.json().await.unwrap();
        assert!(the_error(&problem, "/comment").contains(named), "{problem:#}");
    }
    assert!(!app.data_dir.path().join("store/transfers").exists(), "a refused transfer was stored");
}
