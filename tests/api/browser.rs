//! Issue #14 in a real browser: Debian's Chromium, driven through
//! chromedriver (WebDriver, `fantoccini`), against the real `acta` binary
//! over real HTTP, with axe-core run on every page visited (zero serious or
//! critical violation). scripts/test.sh installs chromium, chromium-driver
//! and axe-core (`.tools/node_modules`); a missing one fails the test.
//!
//! One browser session walks through the scenarios in order, as people
//! would: the first run, a gestionnaire created by the administrator, wrong
//! and right logins, logout, a forged form, session fixation, and the public
//! verification of a sealed PDF and of a tampered one.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::helpers::{acta_command, acta_ok, fixture, repo_path};

/// A child process killed when dropped.
pub(crate) struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `acta serve` on a fresh data directory; its base URL and first-run link.
pub(crate) fn serve(data_dir: &std::path::Path) -> (Process, String, String) {
    let mut child = acta_command()
        .arg("--data-dir")
        .arg(data_dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("acta runs");
    let stdout = child.stdout.take().unwrap();
    let process = Process(child);
    let mut printed = String::new();
    let found = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .inspect(|l| printed.push_str(&format!("{l}\n")))
        .find_map(|l| l.trim().starts_with("http://").then(|| l.trim().to_owned()));
    let link = found.unwrap_or_else(|| panic!("no first-run link printed: {printed}"));
    assert!(printed.contains("créer le compte administrateur"), "{printed}");
    let base = link.split("/premiere-connexion/").next().unwrap().to_owned();
    (process, base, link)
}

/// chromedriver on a free port, and a headless Chromium session through it.
pub(crate) async fn browser(profile: &std::path::Path) -> (Process, Client) {
    let port = free_port();
    // Chromium on Linux takes its interface language, the one of its date
    // inputs (jj/mm/aaaa), from the environment; `--lang` and the
    // accept-language preference give the pages' `navigator.language`.
    let driver = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .env("LANGUAGE", "fr_FR:fr")
        .env("LANG", "fr_FR.UTF-8")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver is required (scripts/test.sh installs chromium-driver)");
    let driver = Process(driver);
    let url = format!("http://127.0.0.1:{port}");
    let start = Instant::now();
    while reqwest::get(format!("{url}/status")).await.is_err() {
        assert!(start.elapsed() < Duration::from_secs(20), "chromedriver did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let caps = json!({
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run",
                     "--window-size=1280,900", "--hide-scrollbars", "--lang=fr-FR", format!("--user-data-dir={}", profile.display())],
            "prefs": {"intl.accept_languages": "fr-FR,fr"}
        }
    });
    let Value::Object(caps) = caps else { unreachable!() };
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&url)
        .await
        .expect("a Chromium session starts (scripts/test.sh installs chromium)");
    (driver, client)
}

/// The page in the browser, checked as every page must be: French, a title
/// saying where one is, a main landmark, and no serious or critical axe-core
/// violation.
pub(crate) async fn check_page(c: &Client, title: &str) {
    let actual = c.title().await.unwrap();
    assert!(actual.contains(title), "title {actual:?} should contain {title:?}");
    let lang = c.find(Locator::Css("html")).await.unwrap().attr("lang").await.unwrap();
    assert_eq!(lang.as_deref(), Some("fr"));
    c.find(Locator::Css("main#contenu")).await.expect("a main landmark");
    static AXE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let axe = AXE.get_or_init(|| {
        let path = repo_path(".tools/node_modules/axe-core/axe.min.js");
        std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!("{} is required (scripts/test.sh installs axe-core): {e}", path.display())
        })
    });
    c.execute(axe, vec![]).await.unwrap();
    let found = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations
               .filter(v => v.impact === 'serious' || v.impact === 'critical')
               .map(v => v.id + ': ' + v.help + ' @ ' + v.nodes.map(n => n.target.join(' ')).join(', '))));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(found, json!([]), "axe-core on « {actual} »");
    budget(c, &actual).await;
}

/// Most bytes of CSS and JavaScript a page may need (uncompressed).
const ASSETS_BUDGET: usize = 100 * 1024;

/// The page's budget: its stylesheets and scripts weigh at most
/// [`ASSETS_BUDGET`], and it needs at most 3 requests to show (itself, and
/// the stylesheets, scripts, images and frames it references). « Aperçu »
/// shows what it is asked for — one image per page and the PDF — beyond its
/// own 2 requests. No inline script or style (the policy would refuse them).
async fn budget(c: &Client, title: &str) {
    let refs = c
        .execute(
            "const srcs = (sel, attr) => Array.from(document.querySelectorAll(sel)).map(e => e[attr]).filter(u => u && !u.startsWith('blob:'));
             return {assets: srcs('link[rel=stylesheet]', 'href').concat(srcs('script[src]', 'src')),
                     content: srcs('img', 'src').concat(srcs('iframe', 'src')),
                     inline: document.querySelectorAll('script:not([src]), style, [style]').length};",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(refs["inline"], json!(0), "inline script or style on « {title} »");
    let urls = |k: &str| -> Vec<String> {
        refs[k].as_array().unwrap().iter().map(|u| u.as_str().unwrap().to_owned()).collect()
    };
    let (assets, content) = (urls("assets"), urls("content"));
    static SIZES: std::sync::Mutex<Vec<(String, usize)>> = std::sync::Mutex::new(Vec::new());
    let mut weight = 0;
    for url in &assets {
        let known = SIZES.lock().unwrap().iter().find(|(u, _)| u == url).map(|(_, n)| *n);
        let n = match known {
            Some(n) => n,
            None => {
                let r = reqwest::get(url).await.unwrap();
                assert_eq!(r.status(), 200, "{url}");
                let n = r.bytes().await.unwrap().len();
                SIZES.lock().unwrap().push((url.clone(), n));
                n
            }
        };
        weight += n;
    }
    assert!(weight <= ASSETS_BUDGET, "« {title} »: {weight} bytes of CSS and JS");
    let requests = 1 + assets.len() + if title.starts_with("Aperçu") { 0 } else { content.len() };
    assert!(requests <= 3, "« {title} » needs {requests} requests: {assets:?} {content:?}");
}

pub(crate) async fn text(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).text().await.unwrap()
}

pub(crate) async fn type_in(c: &Client, id: &str, value: &str) {
    let field = c.find(Locator::Id(id)).await.unwrap_or_else(|e| panic!("#{id}: {e}"));
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

/// Press the submit button of `form` and wait until the next page is loaded
/// (a mark left on the old page is gone, the new one is complete).
pub(crate) async fn submit(c: &Client, form: &str) {
    c.execute("window.actaOldPage = true;", vec![]).await.unwrap();
    c.find(Locator::Css(&format!("{form} button[type=submit]"))).await.unwrap().click().await.unwrap();
    let start = Instant::now();
    loop {
        let loaded = c
            .execute("return window.actaOldPage === undefined && document.readyState === 'complete';", vec![])
            .await;
        if matches!(loaded, Ok(Value::Bool(true))) {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "no page after submitting {form}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub(crate) async fn path(c: &Client) -> String {
    let url = c.current_url().await.unwrap();
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}

pub(crate) async fn login(c: &Client, base: &str, login: &str, password: &str) {
    c.goto(&format!("{base}/connexion")).await.unwrap();
    type_in(c, "identifiant", login).await;
    type_in(c, "mot_de_passe", password).await;
    submit(c, "main form").await;
}

pub(crate) async fn session_cookie(c: &Client) -> Option<String> {
    c.get_all_cookies()
        .await
        .unwrap()
        .into_iter()
        .find(|k| k.name() == "acta-session")
        .map(|k| k.value().to_owned())
}

#[tokio::test]
async fn people_set_up_log_in_manage_accounts_and_verify_documents_in_a_real_browser() {
    let data = tempfile::tempdir().unwrap();
    let profile = tempfile::tempdir().unwrap();
    let (_server, base, link) = serve(data.path());
    let (_driver, c) = browser(profile.path()).await;
    let admin_session = first_run(&c, &base, &link).await;
    accounts_and_sessions(&c, &base, &admin_session).await;
    verification(&c, &base, data.path()).await;
    c.close().await.unwrap();
    audit_trail(data.path());
}

/// The README's first command leads to a usable app: / sends to the login,
/// and the printed link lets the person at the console create the
/// administrator. Returns the administrator's session id.
pub(crate) async fn first_run(c: &Client, base: &str, link: &str) -> String {
    c.goto(base).await.unwrap();
    assert_eq!(path(c).await, "/connexion");
    check_page(c, "Se connecter — acta").await;

    c.goto(link).await.unwrap();
    check_page(c, "Créer le compte administrateur").await;
    type_in(c, "nom", "Alice Martin").await;
    type_in(c, "mot_de_passe", "court").await;
    submit(c, "main form").await;
    check_page(c, "Erreur : Créer le compte administrateur").await;
    assert!(text(c, ".error-summary").await.contains("au moins 12 caractères"));
    assert!(
        text(c, "#mot_de_passe-error").await.contains("au moins 12 caractères"),
        "the message beside the field"
    );
    let kept = c.find(Locator::Id("nom")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(kept.as_deref(), Some("Alice Martin"), "the input is kept");
    let described =
        c.find(Locator::Id("mot_de_passe")).await.unwrap().attr("aria-describedby").await.unwrap();
    assert_eq!(described.as_deref(), Some("mot_de_passe-hint mot_de_passe-error"));
    type_in(c, "mot_de_passe", "le registre des actes de la commune").await;
    type_in(c, "confirmation", "le registre des actes de la commune").await;
    submit(c, "main form").await;
    assert_eq!(path(c).await, "/accueil");
    check_page(c, "Accueil — acta").await;
    assert!(text(c, "main h1").await.contains("Bonjour Alice Martin"));
    let admin_session = session_cookie(c).await.expect("a session");
    // The link is one-time.
    c.goto(link).await.unwrap();
    check_page(c, "Lien expiré ou déjà utilisé").await;
    admin_session
}

/// The administrator creates a gestionnaire, logs out; a planted session id
/// is dead; a wrong then a right login; a form without its CSRF token.
async fn accounts_and_sessions(c: &Client, base: &str, admin_session: &str) {
    c.goto(&format!("{base}/admin/comptes")).await.unwrap();
    check_page(c, "Comptes — acta").await;
    type_in(c, "identifiant", "paul.durand").await;
    type_in(c, "nom", "Paul Durand").await;
    c.find(Locator::Id("role")).await.unwrap().select_by_value("gestionnaire").await.unwrap();
    type_in(c, "mot_de_passe", "les arrêtés de carrière").await;
    submit(c, "form[action='/admin/comptes']").await; // the rows have their own forms
    assert_eq!(path(c).await, "/admin/comptes?cree=paul.durand");
    check_page(c, "Comptes — acta").await;
    assert!(text(c, "table").await.contains("Paul Durand"));

    // Logout, from the button in the header.
    submit(c, ".site-header form").await;
    assert_eq!(path(c).await, "/connexion?fin=deconnexion");
    check_page(c, "Se connecter").await;
    assert!(session_cookie(c).await.is_none(), "the cookie is gone");

    // A closed session stays closed (planting ids before a login is tested in `web`).
    c.goto(&format!("{base}/accueil")).await.unwrap();
    assert!(path(c).await.starts_with("/connexion"), "logged out");

    // A wrong password: the French error beside the field and in the summary.
    login(c, base, "paul.durand", "pas le bon mot de passe").await;
    check_page(c, "Erreur : Se connecter").await;
    assert!(text(c, "#identifiant-error").await.contains("Identifiant ou mot de passe incorrect"));
    let summary = c.find(Locator::Css(".error-summary a")).await.unwrap();
    assert_eq!(summary.attr("href").await.unwrap().as_deref(), Some("#identifiant"));
    // The right one.
    login(c, base, "paul.durand", "les arrêtés de carrière").await;
    assert_eq!(path(c).await, "/accueil", "{}", text(c, "main").await);
    check_page(c, "Accueil — acta").await;
    assert!(text(c, "main").await.contains("gestionnaire"));
    let paul_session = session_cookie(c).await.unwrap();
    assert_ne!(paul_session, admin_session, "a fresh session id at login");

    // A form posted without its CSRF token is refused.
    c.goto(&format!("{base}/deconnexion")).await.unwrap();
    check_page(c, "Se déconnecter").await;
    c.execute("document.querySelectorAll('input[name=csrf]').forEach(e => e.remove());", vec![])
        .await
        .unwrap();
    submit(c, "main form").await;
    check_page(c, "Formulaire expiré").await;
    c.goto(&format!("{base}/accueil")).await.unwrap();
    assert_eq!(path(c).await, "/accueil", "the forged logout did nothing");
    submit(c, ".site-header form").await; // log out: the verification page is public
}

/// A sealed act (made through the API) is authentic on the public page, and
/// not once a byte is changed; a malformed SHA-256 is refused beside its field.
async fn verification(c: &Client, base: &str, data: &std::path::Path) {
    let token = acta_ok(data, &["tokens", "create", "--role", "admin"]).lines().last().unwrap().to_owned();
    let api = crate::helpers::client_with(&token);
    let created = api.post(format!("{base}/api/v1/acts")).json(&fixture("arrete-avancement-echelon")).send();
    let act: Value = created.await.unwrap().json().await.unwrap();
    let id = act["id"].as_str().unwrap();
    let sealed = api.post(format!("{base}/api/v1/acts/{id}/seal")).send().await.unwrap();
    assert!(sealed.status().is_success());
    let pdf =
        api.get(format!("{base}/api/v1/acts/{id}/pdf")).send().await.unwrap().bytes().await.unwrap().to_vec();
    let files = tempfile::tempdir().unwrap();
    let genuine = files.path().join("acte.pdf");
    std::fs::write(&genuine, &pdf).unwrap();
    let mut changed = pdf.clone();
    let middle = changed.len() / 2;
    changed[middle] ^= 0x01;
    let tampered = files.path().join("acte-modifie.pdf");
    std::fs::write(&tampered, &changed).unwrap();

    for (file, expected) in [(&genuine, "Document authentique"), (&tampered, "Document non authentique")] {
        c.goto(&format!("{base}/verifier")).await.unwrap();
        check_page(c, "Vérifier un document — acta").await;
        let input = c.find(Locator::Id("document")).await.unwrap();
        input.send_keys(file.to_str().unwrap()).await.unwrap();
        submit(c, "main form").await;
        check_page(c, &format!("{expected} — Vérifier un document")).await;
        let verdict = text(c, "#verdict").await;
        assert!(verdict.contains(expected), "{verdict}");
        if file == &genuine {
            assert!(
                verdict.contains("_ARR_") && verdict.contains("Commune"),
                "the act's number and collectivité: {verdict}"
            );
        }
    }
    c.goto(&format!("{base}/verifier")).await.unwrap();
    type_in(c, "empreinte", "pas une empreinte").await;
    submit(c, "main form").await;
    check_page(c, "Erreur : Vérifier un document").await;
    assert!(text(c, "#empreinte-error").await.contains("64 chiffres"));
}

/// Every action done in the pages is in the audit trail, with the person.
fn audit_trail(data: &std::path::Path) {
    let mut entries = Vec::new();
    let mut stack = vec![data.join("store/audit")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                entries.push(serde_json::from_slice::<Value>(&std::fs::read(e.path()).unwrap()).unwrap());
            }
        }
    }
    let has = |user: &str, action: &str, target: Option<&str>| {
        entries.iter().any(|e| {
            e["via"] == "web"
                && e["user"] == user
                && e["action"] == action
                && target.is_none_or(|t| e["target"] == t)
        })
    };
    assert!(has("admin", "user.create", Some("admin")), "{entries:#?}");
    assert!(has("admin", "user.create", Some("paul.durand")), "{entries:#?}");
    assert!(has("admin", "user.logout", None), "{entries:#?}");
    assert!(
        has("paul.durand", "user.login", None) && has("paul.durand", "user.logout", None),
        "{entries:#?}"
    );
    let paul = entries.iter().find(|e| e["user"] == "paul.durand").unwrap();
    assert_eq!(paul["role"], "gestionnaire", "the role of the person, not of the page");
}
