//! Every template, from its fixture (`fixtures/acts/<id>.json`): it renders
//! sealed with every mention of `fixtures/mentions/<id>.txt`, never prints a
//! placeholder, refuses each missing required field by name, prints hostile
//! strings literally, and renders exactly the bytes recorded in
//! `fixtures/golden/<id>.sha256` (regenerate with `ACTA_BLESS=1` after a
//! deliberate template change, and look at the previews before committing).

use std::collections::BTreeSet;

use acta::service::Acta;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{pdf_text, repo_path, spawn_app, stored_acts, test_settings};

/// Template ids that have a fixture.
fn fixtures() -> Vec<(String, Value)> {
    let mut ids: Vec<String> = std::fs::read_dir(repo_path("fixtures/acts"))
        .unwrap()
        .filter_map(|e| e.ok()?.path().file_stem()?.to_str().map(str::to_owned))
        .collect();
    ids.sort();
    ids.into_iter().map(|id| (id.clone(), crate::helpers::fixture(&id))).collect()
}

fn schema(id: &str) -> Value {
    serde_json::from_slice(&std::fs::read(repo_path(&format!("schemas/{id}.schema.json"))).unwrap()).unwrap()
}

#[test]
fn every_template_has_a_schema_a_fixture_and_mentions() {
    let tmp = tempfile::tempdir().unwrap();
    let acta = Acta::open(&test_settings(tmp.path())).unwrap();
    let catalog: BTreeSet<String> = acta.catalog().iter().map(|t| t.id.to_string()).collect();
    let with_fixture: BTreeSet<String> = fixtures().into_iter().map(|(id, _)| id).collect();
    assert_eq!(catalog, with_fixture, "every template needs fixtures/acts/<id>.json and vice versa");
    for id in &catalog {
        assert!(repo_path(&format!("fixtures/mentions/{id}.txt")).exists(), "no mentions for {id}");
    }
    assert!(!catalog.is_empty());
}

#[test]
fn templates_never_evaluate_data_read_the_clock_or_open_other_files() {
    let mut stack = vec![repo_path("templates")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or_default();
                for banned in ["eval(", "today(", "read(", "sys.inputs", "plugin("] {
                    assert!(!code.contains(banned), "{}:{}: uses {banned}", path.display(), n + 1);
                }
                if let Some(i) = code.find("json(") {
                    assert!(
                        code[i..].starts_with("json(\"/data.json\")"),
                        "{}:{}: json() of another file",
                        path.display(),
                        n + 1
                    );
                }
            }
        }
    }
}

/// Words that betray an unfilled value.
fn placeholders(text: &str) -> Vec<String> {
    let mut found: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| ["none", "null", "undefined", "NaN", "auto"].contains(w))
        .map(str::to_owned)
        .collect();
    found.extend(["{{", "}}", "[[", "]]", "#"].iter().filter(|p| text.contains(*p)).map(|p| p.to_string()));
    found
}

#[tokio::test]
async fn every_template_renders_sealed_with_its_legal_mentions_and_no_placeholder() {
    let app = spawn_app().await;
    for (id, body) in fixtures() {
        let act = app.create(&body).await;
        let (status, sealed) = app.seal(act["id"].as_str().unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{id}: {sealed:#}");
        let text = pdf_text(&app.pdf(act["id"].as_str().unwrap()).await);
        let mentions = std::fs::read_to_string(repo_path(&format!("fixtures/mentions/{id}.txt"))).unwrap();
        for m in mentions.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let m = m.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(text.contains(&m), "{id}: missing «{m}» in:\n{text}");
        }
        assert!(text.contains(sealed["number"].as_str().unwrap()), "{id}: number not printed");
        assert_eq!(placeholders(&text), Vec::<String>::new(), "{id}: {text}");
    }
}

/// JSON pointers of every required member reachable in `schema` through
/// objects (local `$ref`s followed), that are present in `data`.
fn required_paths(root: &Value, schema: &Value, data: &Value, at: &str, out: &mut Vec<String>) {
    let schema = match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => root.pointer(r.trim_start_matches('#')).expect("local $ref"),
        None => schema,
    };
    let required = schema.get("required").and_then(Value::as_array).cloned().unwrap_or_default();
    for name in required.iter().filter_map(Value::as_str) {
        let Some(value) = data.get(name) else { continue };
        let path = format!("{at}/{name}");
        out.push(path.clone());
        if let Some(sub) = schema.pointer(&format!("/properties/{name}")) {
            required_paths(root, sub, value, &path, out);
        }
    }
}

#[tokio::test]
async fn removing_any_required_field_of_any_template_is_a_422_naming_it() {
    let app = spawn_app().await;
    for (id, body) in fixtures() {
        let schema = schema(&id);
        let mut paths = Vec::new();
        required_paths(&schema, &schema, &body["data"], "", &mut paths);
        assert!(!paths.is_empty(), "{id}: no required field?");
        for path in paths {
            let mut b = body.clone();
            let (parent, key) = path.rsplit_once('/').unwrap();
            b["data"].pointer_mut(parent).unwrap().as_object_mut().unwrap().remove(key);
            let (status, problem) = app.post_act(&b).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{id} without {path}");
            let expected = format!("/data{path}");
            assert!(
                problem["errors"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e["path"] == expected.as_str() && e["message"] == "champ obligatoire manquant"),
                "{id}: {expected} not named: {problem:#}"
            );
        }
    }
    assert!(stored_acts(app.data_dir.path()).is_empty());
}

/// Pointers of the string leaves of `v`.
fn string_leaves(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::String(_) => out.push(at),
        Value::Array(items) => {
            items.iter().enumerate().for_each(|(i, x)| string_leaves(x, format!("{at}/{i}"), out))
        }
        Value::Object(m) => m.iter().for_each(|(k, x)| string_leaves(x, format!("{at}/{k}"), out)),
        _ => {}
    }
}

#[tokio::test]
async fn hostile_strings_are_printed_literally_or_refused_clearly_in_every_template() {
    let app = spawn_app().await;
    let hostile = r#"#panic("x") *gras* $x$ <l> @ref #import "/lib/acte.typ" \u{41}"#;
    for (id, body) in fixtures() {
        let mut leaves = Vec::new();
        string_leaves(&body["data"], String::new(), &mut leaves);
        let mut printed = 0;
        for leaf in leaves {
            let mut b = body.clone();
            *b["data"].pointer_mut(&leaf).unwrap() = json!(hostile);
            let (status, answer) = app.post_act(&b).await;
            match status {
                StatusCode::CREATED => {
                    // White space is ignored: a line may break after a slash.
                    let squash = |s: &str| s.split_whitespace().collect::<String>();
                    let text = squash(&pdf_text(&app.pdf(answer["id"].as_str().unwrap()).await));
                    if text.contains(&squash(hostile)) {
                        printed += 1;
                    } else {
                        // Family names are printed in capitals.
                        let upper = squash(&hostile.to_uppercase());
                        assert!(text.contains(&upper), "{id}{leaf}: not literal:\n{text}");
                    }
                }
                StatusCode::UNPROCESSABLE_ENTITY => {
                    let errors = answer["errors"].as_array().unwrap();
                    let e = errors.iter().find(|e| e["path"] == format!("/data{leaf}").as_str());
                    let e = e.unwrap_or_else(|| panic!("{id}: {leaf} not named: {answer:#}"));
                    assert!(!e["message"].as_str().unwrap().is_empty());
                }
                other => panic!("{id}{leaf}: unexpected {other}: {answer:#}"),
            }
            if printed >= 3 {
                break;
            }
        }
        assert!(printed > 0, "{id}: no free-text field printed the hostile string");
    }
}

#[test]
fn every_fixture_renders_exactly_its_golden_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let acta = Acta::open(&test_settings(tmp.path())).unwrap();
    let at = time::macros::datetime!(2026-01-15 09:00 UTC);
    let bless = std::env::var_os("ACTA_BLESS").is_some();
    for (id, body) in fixtures() {
        let pdf = acta.preview(&body, at).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(pdf, acta.preview(&body, at).unwrap(), "{id}: two renderings differ");
        let digest = hex::encode(Sha256::digest(&pdf));
        let golden = repo_path(&format!("fixtures/golden/{id}.sha256"));
        if bless {
            std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
            std::fs::write(&golden, format!("{digest}\n")).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&golden)
            .unwrap_or_else(|_| panic!("{id}: no golden file; run `ACTA_BLESS=1 cargo test golden` and review docs/templates/{id}.png"));
        assert_eq!(
            digest,
            expected.trim(),
            "{id}: rendering changed; if deliberate, re-bless (see module doc)"
        );
    }
}

/// `acta bench render` renders every fixture with other people in it (and,
/// with `--mix collectivites`, for other collectivités): each variant must
/// still be a valid act, or the benchmark would stop half-way. It reports the
/// one-page acts apart from the multi-page documents (the procès-verbal is
/// one), and a line per template.
#[test]
fn the_render_benchmark_runs_over_every_fixture_with_other_people() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/acts");
    let all = self::fixtures();
    let count = all.len().to_string();
    for mix in ["agents", "collectivites"] {
        let args = ["bench", "render", "--fixtures", fixtures, "--docs", &count, "--mix", mix];
        let out = crate::helpers::acta_ok(dir.path(), &args);
        assert!(out.contains(&format!("templates rendered      {count}")), "{out}");
        assert!(out.contains("one-page acts, 2 threads"), "{out}");
        assert!(out.contains("throughput, 2 threads"), "{out}");
        let multi = out.lines().find(|l| l.starts_with("library mix")).unwrap_or_else(|| panic!("{out}"));
        assert!(multi.contains("proces-verbal-seance "), "{out}");
        for (_, body) in &all {
            let template = body["template"].as_str().unwrap();
            assert!(
                out.lines().any(|l| l.trim_start().starts_with(&format!("{template} "))),
                "{template}: {out}"
            );
        }
    }
}
