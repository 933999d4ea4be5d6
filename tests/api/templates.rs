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

/// `schema` with its local `$ref` followed.
fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => resolve(root, root.pointer(r.trim_start_matches('#')).expect("local $ref")),
        None => schema,
    }
}

/// Whether `data` satisfies the condition `schema` of an `if`: the subset of
/// JSON Schema the templates' conditions use (`required`, `const`, `enum`,
/// nested `properties`, `not`).
fn satisfies(root: &Value, schema: &Value, data: &Value) -> bool {
    let schema = resolve(root, schema);
    if schema.get("not").is_some_and(|not| satisfies(root, not, data)) {
        return false;
    }
    let required = schema.get("required").and_then(Value::as_array).cloned().unwrap_or_default();
    if required.iter().filter_map(Value::as_str).any(|name| data.get(name).is_none()) {
        return false;
    }
    let properties = schema.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
    properties.iter().all(|(name, sub)| match data.get(name) {
        None => true,
        Some(v) => {
            sub.get("const").is_none_or(|c| c == v)
                && sub.get("enum").and_then(Value::as_array).is_none_or(|e| e.contains(v))
                && satisfies(root, sub, v)
        }
    })
}

/// The subschemas of `schema` that apply to `data`: itself and the `then` or
/// `else` of each condition (`if` at its level or in its `allOf`) `data`
/// takes.
fn branches<'a>(root: &'a Value, schema: &'a Value, data: &Value) -> Vec<&'a Value> {
    let schema = resolve(root, schema);
    let mut out = vec![schema];
    let all: Vec<&Value> =
        schema.get("allOf").and_then(Value::as_array).map(|a| a.iter().collect()).unwrap_or_default();
    for s in std::iter::once(schema).chain(all) {
        let s = resolve(root, s);
        if !std::ptr::eq(s, schema) {
            out.push(s);
        }
        if let Some(cond) = s.get("if") {
            let branch = if satisfies(root, cond, data) { s.get("then") } else { s.get("else") };
            if let Some(b) = branch {
                out.extend(branches(root, b, data));
            }
        }
    }
    out
}

/// JSON pointers of every member `schema` requires of `data` and `data` has:
/// through objects (optional ones included), the first item of each array,
/// the branches of conditions the data takes and local `$ref`s. Each pointer
/// is listed once.
fn required_paths(root: &Value, schema: &Value, data: &Value, at: &str, out: &mut Vec<String>) {
    let schema = resolve(root, schema);
    if let Some(items) = data.as_array() {
        if let (Some(first), Some(item)) = (items.first(), schema.get("items")) {
            required_paths(root, item, first, &format!("{at}/0"), out);
        }
        return;
    }
    let Some(object) = data.as_object() else { return };
    for branch in branches(root, schema, data) {
        let required = branch.get("required").and_then(Value::as_array).cloned().unwrap_or_default();
        for name in required.iter().filter_map(Value::as_str) {
            let path = format!("{at}/{name}");
            if object.contains_key(name) && !out.contains(&path) {
                out.push(path);
            }
        }
    }
    for (name, value) in object {
        if let Some(sub) =
            schema.pointer(&format!("/properties/{}", name.replace('~', "~0").replace('/', "~1")))
        {
            required_paths(root, sub, value, &format!("{at}/{name}"), out);
        }
    }
}

/// Members of `data` (at the top level) that are the only alternative of an
/// `anyOf` of `required` lists the data meets (`ifse` when an IFSE arrêté has
/// no CIA): removing one leaves no alternative, and the refusal must name it.
fn sole_alternatives(schema: &Value, data: &Value) -> Vec<String> {
    let Some(any) = schema.get("anyOf").and_then(Value::as_array) else { return Vec::new() };
    let met: Vec<Vec<&str>> = any
        .iter()
        .filter_map(|a| a.get("required")?.as_array())
        .map(|r| r.iter().filter_map(Value::as_str).collect::<Vec<_>>())
        .filter(|names| names.iter().all(|n| data.get(n).is_some()))
        .collect();
    match met.as_slice() {
        [one] => one.iter().map(|n| format!("/{n}")).collect(),
        _ => Vec::new(),
    }
}

#[test]
fn the_required_paths_follow_arrays_optional_objects_and_the_conditions_the_data_takes() {
    let schema = json!({
        "type": "object",
        "required": ["a", "liste"],
        "properties": {
            "a": {"type": "string"},
            "liste": {"type": "array", "items": {"$ref": "#/$defs/item"}},
            "option": {"type": "object", "required": ["x"], "properties": {"x": {}}},
            "genre": {"enum": ["un", "deux"]}
        },
        "allOf": [{
            "if": {"properties": {"genre": {"const": "un"}}, "required": ["genre"]},
            "then": {"required": ["b"]},
            "else": {"required": ["c"]}
        }],
        "$defs": {"item": {"type": "object", "required": ["nom"], "properties": {"nom": {}}}}
    });
    let data = json!({"a": "", "liste": [{"nom": ""}, {"nom": ""}], "option": {"x": 1}, "genre": "un", "b": 1, "c": 2});
    let mut paths = Vec::new();
    required_paths(&schema, &schema, &data, "", &mut paths);
    paths.sort();
    assert_eq!(paths, ["/a", "/b", "/liste", "/liste/0/nom", "/option/x"]);
}

#[tokio::test]
async fn removing_any_required_field_of_any_template_is_a_422_naming_it() {
    let app = spawn_app().await;
    let mut checked = 0;
    for (id, body) in fixtures() {
        let schema = schema(&id);
        let mut paths = Vec::new();
        required_paths(&schema, &schema, &body["data"], "", &mut paths);
        assert!(!paths.is_empty(), "{id}: no required field?");
        let sole = sole_alternatives(&schema, &body["data"]);
        for path in paths.iter().chain(&sole) {
            let mut b = body.clone();
            let (parent, key) = path.rsplit_once('/').unwrap();
            b["data"].pointer_mut(parent).unwrap().as_object_mut().unwrap().remove(key);
            let (status, problem) = app.post_act(&b).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{id} without {path}: {problem:#}");
            let errors = problem["errors"].as_array().unwrap();
            let expected = format!("/data{path}");
            let named = if sole.contains(path) {
                // The `anyOf` is reported on the data, its message naming each alternative.
                errors
                    .iter()
                    .any(|e| e["message"].as_str().unwrap_or_default().contains(&format!("« {key} »")))
            } else {
                errors
                    .iter()
                    .any(|e| e["path"] == expected.as_str() && e["message"] == "champ obligatoire manquant")
            };
            assert!(named, "{id}: {expected} not named: {problem:#}");
            checked += 1;
        }
    }
    // Every template's required members, nested and in arrays: hundreds.
    assert!(checked > 300, "only {checked} required fields checked");
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
