//! The real `acta` binary.

use std::process::Output;

use crate::helpers::{acta_in as acta, fixture, repo_path, spawn_app};

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn help_explains_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = acta(dir.path(), &["--help"]);
    assert!(out.status.success());
    let help = stdout(&out);
    for word in ["serve", "templates", "render", "search", "--data-dir"] {
        assert!(help.contains(word), "--help does not mention {word}:\n{help}");
    }
}

#[test]
fn templates_lists_one_line_per_template() {
    let dir = tempfile::tempdir().unwrap();
    let out = acta(dir.path(), &["templates"]);
    assert!(out.status.success());
    let text = stdout(&out);
    let line = text.lines().find(|l| l.starts_with("arrete-avancement-echelon\t")).expect(&text);
    assert!(line.contains("avancement d'échelon"), "{line}");
}

#[test]
fn render_writes_the_same_draft_pdf_twice_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let input = repo_path("fixtures/acts/arrete-avancement-echelon.json");
    let (a, b) = (dir.path().join("a.pdf"), dir.path().join("b.pdf"));
    for out in [&a, &b] {
        let o =
            acta(dir.path(), &["render", "--input", input.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let (a, b) = (std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
    assert!(a.starts_with(b"%PDF-"));
    assert_eq!(a, b, "rendering is deterministic");
    assert!(crate::helpers::stored_acts(dir.path()).is_empty());
}

#[test]
fn render_names_the_faulty_fields_and_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let mut body = fixture("arrete-avancement-echelon");
    body["data"].as_object_mut().unwrap().remove("date_effet");
    let input = dir.path().join("bad.json");
    std::fs::write(&input, body.to_string()).unwrap();
    let out = dir.path().join("x.pdf");
    let o = acta(dir.path(), &["render", "--input", input.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("/data/date_effet : champ obligatoire manquant"), "{err}");
    assert!(!out.exists());
}

#[tokio::test]
async fn search_on_the_command_line_sees_what_the_server_sealed() {
    let app = spawn_app().await;
    let id = app.create(&fixture("arrete-avancement-echelon")).await["id"].as_str().unwrap().to_owned();
    let (_, sealed) = app.seal(&id).await;
    // The server commits what it indexed within 200 ms (or at its next
    // search); another process sees it from then on. (The test's runtime
    // has one thread: wait asynchronously, so that the committer runs.)
    let started = std::time::Instant::now();
    let text = loop {
        let out = acta(app.data_dir.path(), &["search", "avancement", "echelon"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = stdout(&out);
        if text.contains("1 acte(s)") || started.elapsed() > std::time::Duration::from_secs(5) {
            break text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(text.contains(sealed["number"].as_str().unwrap()), "{text}");
    assert!(text.contains("1 acte(s) trouvé(s)"), "{text}");
}
