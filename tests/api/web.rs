//! Issue #14: the web application over plain HTTP (no browser): accounts
//! from the command line, login, throttling, CSRF, session fixation, and the
//! security headers of every page. The browser scenarios are in `browser`.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};

use crate::helpers::{TestApp, acta_command, spawn_app};

/// A cookie-keeping client that does not follow redirects, so each answer
/// is seen as a browser receives it.
pub struct Visitor {
    http: reqwest::Client,
    base: String,
    pub cookies: BTreeMap<String, String>,
}

/// An answer: status, headers, body.
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers.get(LOCATION).map_or("", |v| v.to_str().unwrap())
    }

    /// The CSRF token of the page's forms.
    pub fn csrf(&self) -> String {
        let at = self
            .body
            .find(r#"name="csrf" value=""#)
            .unwrap_or_else(|| panic!("no CSRF field in {}", self.body));
        let rest = &self.body[at + r#"name="csrf" value=""#.len()..];
        rest[..rest.find('"').unwrap()].to_owned()
    }
}

impl Visitor {
    pub fn new(base: &str) -> Self {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { http, base: base.to_owned(), cookies: BTreeMap::new() }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn keep(&mut self, r: reqwest::Response) -> Page {
        for v in r.headers().get_all(SET_COOKIE) {
            let v = v.to_str().unwrap();
            let (name, value) = v.split(';').next().unwrap().split_once('=').unwrap();
            if v.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let (status, headers) = (r.status(), r.headers().clone());
        Page { status, headers, body: r.text().await.unwrap() }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep(r).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish())
            .send()
            .await
            .unwrap();
        self.keep(r).await
    }

    /// POST a body of `content_type` as is (a multipart form built by hand).
    pub async fn post_body(&mut self, path: &str, content_type: &str, body: Vec<u8>) -> Page {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        self.keep(r).await
    }

    /// Log in through the form; the answer to the POST.
    pub async fn login(&mut self, login: &str, password: &str) -> Page {
        let token = self.get("/connexion").await.csrf();
        self.post("/connexion", &[("csrf", &token), ("identifiant", login), ("mot_de_passe", password)]).await
    }
}

/// Create an account with `acta users create` on the app's data directory;
/// returns the generated password printed once.
pub(crate) fn cli_user(app: &TestApp, login: &str, name: &str, role: &str, collectivites: &[&str]) -> String {
    let mut args = vec!["users", "create", "--login", login, "--name", name, "--role", role];
    for c in collectivites {
        args.extend(["--collectivite", c]);
    }
    let out = crate::helpers::acta_ok(app.data_dir.path(), &args);
    assert!(out.contains("Mot de passe initial"), "{out}");
    out.lines().last().unwrap().trim().to_owned()
}

const SECRETAIRE_SIREN: &str = "216295105";

#[tokio::test]
async fn an_account_made_on_the_command_line_logs_in_until_disabled_and_a_reset_replaces_its_password() {
    let app = spawn_app().await;
    let password = cli_user(&app, "Marie.Dupont", "Marie Dupont", "secretaire", &[SECRETAIRE_SIREN]);
    let list = crate::helpers::acta_ok(app.data_dir.path(), &["users", "list"]);
    assert!(list.contains("marie.dupont\tsecretaire\t216295105\tactif\tMarie Dupont"), "{list}");

    let mut v = Visitor::new(&app.base);
    let wrong = v.login("marie.dupont", "pas le bon mot de passe").await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("Identifiant ou mot de passe incorrect"), "{}", wrong.body);
    assert!(wrong.body.contains(r#"role="alert""#) && wrong.body.contains(r##"href="#identifiant""##));
    assert!(wrong.body.contains(r#"value="marie.dupont""#), "the login typed is kept");
    assert!(!wrong.body.contains("pas le bon mot de passe"), "a password is never sent back");
    let ok = v.login("MARIE.DUPONT", &password).await;
    assert_eq!((ok.status, ok.location()), (StatusCode::SEE_OTHER, "/accueil"));
    let home = v.get("/accueil").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(
        home.body.contains("Bonjour Marie Dupont") && home.body.contains("secrétaire de mairie"),
        "{}",
        home.body
    );
    assert!(
        home.body.contains("Nouvel acte") && !home.body.contains("/admin/comptes"),
        "a secrétaire's tasks only"
    );
    assert_eq!(v.get("/admin/comptes").await.status, StatusCode::FORBIDDEN, "the role decides");

    crate::helpers::acta_ok(app.data_dir.path(), &["users", "disable", "marie.dupont"]);
    // Another process's change reaches the server within its account cache's life (2 s).
    let start = std::time::Instant::now();
    loop {
        let page = v.get("/accueil").await;
        if page.status == StatusCode::SEE_OTHER {
            assert!(page.location().starts_with("/connexion"), "{}", page.location());
            break;
        }
        assert!(start.elapsed() < std::time::Duration::from_secs(5), "a disabled account's session goes on");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(v.login("marie.dupont", &password).await.status, StatusCode::UNPROCESSABLE_ENTITY);

    crate::helpers::acta_ok(app.data_dir.path(), &["users", "enable", "marie.dupont"]);
    let out = crate::helpers::acta_ok(app.data_dir.path(), &["users", "reset", "marie.dupont"]);
    let new_password = out.lines().last().unwrap().trim().to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let mut w = Visitor::new(&app.base);
    assert_eq!(
        w.login("marie.dupont", &password).await.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "old password"
    );
    assert_eq!(w.login("marie.dupont", &new_password).await.status, StatusCode::SEE_OTHER);

    let refused = crate::helpers::acta_in(
        app.data_dir.path(),
        &["users", "create", "--login", "paul", "--name", "Paul", "--role", "secretaire"],
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("exactement une collectivité"));
}

#[tokio::test]
async fn a_password_can_be_given_on_standard_input_and_the_policy_applies() {
    use std::io::Write;
    let app = spawn_app().await;
    let run = |password: &str| {
        let mut child = acta_command()
            .arg("--data-dir")
            .arg(app.data_dir.path())
            .args(["users", "create", "--login", "archives", "--name", "Service des archives"])
            .args(["--role", "archiviste", "--password-stdin"])
            .env("RUST_LOG", "error")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        child.wait_with_output().unwrap()
    };
    let short = run("court");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("au moins 12 caractères"));
    let ok = run("les archives de la commune");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(
        !String::from_utf8_lossy(&ok.stdout).contains("Mot de passe"),
        "nothing generated, nothing printed"
    );
    let mut v = Visitor::new(&app.base);
    assert_eq!(v.login("archives", "les archives de la commune").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn failed_logins_are_throttled_per_account_even_with_the_right_password_after() {
    let app = spawn_app().await;
    let password = cli_user(&app, "gestion", "Gestion CdG", "gestionnaire", &[]);
    let mut v = Visitor::new(&app.base);
    for _ in 0..5 {
        assert_eq!(v.login("gestion", "mauvais mot de passe").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let blocked = v.login("gestion", &password).await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(blocked.body.contains("Trop de tentatives de connexion pour ce compte"), "{}", blocked.body);
    assert!(blocked.headers.contains_key("retry-after"));
    assert!(!v.cookies.keys().any(|k| k.contains("session")), "no session was opened");
}

/// The account creation form, with `csrf` as its token.
fn account_form(csrf: &str) -> Vec<(&str, &str)> {
    vec![
        ("csrf", csrf),
        ("identifiant", "intrus"),
        ("nom", "Intrus"),
        ("role", "admin"),
        ("collectivites", ""),
        ("mot_de_passe", "une phrase de passe"),
    ]
}

#[tokio::test]
async fn a_form_posted_without_its_csrf_token_or_with_another_sessions_is_refused() {
    let app = spawn_app().await;
    let password = cli_user(&app, "admin2", "Administratrice", "admin", &[]);
    let mut admin = Visitor::new(&app.base);
    assert_eq!(admin.login("admin2", &password).await.status, StatusCode::SEE_OTHER);
    let mut other = Visitor::new(&app.base);
    let foreign = other.get("/connexion").await.csrf();
    for csrf in [None, Some("forged"), Some(foreign.as_str())] {
        let mut fields = account_form(csrf.unwrap_or_default());
        if csrf.is_none() {
            fields.remove(0);
        }
        let page = admin.post("/admin/comptes", &fields).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "csrf {csrf:?}");
        assert!(page.body.contains("Formulaire expiré"), "{}", page.body);
    }
    let list = crate::helpers::acta_ok(app.data_dir.path(), &["users", "list"]);
    assert!(!list.contains("intrus"), "nothing was created: {list}");
    let token = admin.get("/admin/comptes").await.csrf();
    let created = admin.post("/admin/comptes", &account_form(&token)).await;
    assert_eq!((created.status, created.location()), (StatusCode::SEE_OTHER, "/admin/comptes?cree=intrus"));
    // Anonymous forms are bound to their own cookie: a login without it fails.
    let mut fresh = Visitor::new(&app.base);
    let login = fresh
        .post("/connexion", &[("csrf", &foreign), ("identifiant", "admin2"), ("mot_de_passe", &password)])
        .await;
    assert_eq!(login.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_session_id_changes_at_login_and_a_closed_session_is_dead() {
    let app = spawn_app().await;
    let password = cli_user(&app, "gestion", "Gestion CdG", "gestionnaire", &[]);
    let mut v = Visitor::new(&app.base);
    // An id planted before the login (session fixation) is never promoted.
    v.cookies.insert("acta-session".into(), "planted-by-an-attacker".into());
    assert_eq!(v.login("gestion", &password).await.status, StatusCode::SEE_OTHER);
    let first = v.cookies["acta-session"].clone();
    assert_ne!(first, "planted-by-an-attacker");
    assert_eq!(first.len(), 43, "256 bits, base64url");
    // Logging in again, even while logged in, gives a new id and ends the old one.
    let token = v.get("/accueil").await.csrf();
    let again = v
        .post("/connexion", &[("csrf", &token), ("identifiant", "gestion"), ("mot_de_passe", &password)])
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    let second = v.cookies["acta-session"].clone();
    assert_ne!(first, second);
    let mut thief = Visitor::new(&app.base);
    thief.cookies.insert("acta-session".into(), first);
    assert_eq!(thief.get("/accueil").await.location(), "/connexion?suite=%2Faccueil");
    // Logout ends the session and deletes the cookie.
    let token = v.get("/accueil").await.csrf();
    let out = v.post("/deconnexion", &[("csrf", &token)]).await;
    assert_eq!((out.status, out.location()), (StatusCode::SEE_OTHER, "/connexion?fin=deconnexion"));
    assert!(!v.cookies.contains_key("acta-session"));
    thief.cookies.insert("acta-session".into(), second);
    assert_eq!(thief.get("/accueil").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn pages_are_html_with_a_strict_policy_and_the_stylesheet_is_kept_a_year() {
    let app = spawn_app().await;
    let mut v = Visitor::new(&app.base);
    let root = v.get("/").await;
    assert_eq!((root.status, root.location()), (StatusCode::SEE_OTHER, "/connexion"), "no JSON 404 at /");
    let login = v.get("/connexion").await;
    assert_eq!(login.status, StatusCode::OK);
    assert_eq!(login.headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(login.headers["cache-control"], "no-store");
    let csp = login.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("style-src 'self'") && !csp.contains("unsafe"),
        "{csp}"
    );
    assert!(!login.body.contains("<script") && !login.body.contains("style="), "no inline script or style");
    assert!(login.body.starts_with("<!doctype html>\n<html lang=\"fr\">"));
    assert!(login.body.contains("<title>Se connecter — acta</title>"));
    assert!(
        login.body.contains(r##"<a class="skip-link" href="#contenu">"##)
            && login.body.contains(r#"<main id="contenu""#)
    );
    let cookie = root.headers[SET_COOKIE].to_str().unwrap();
    assert!(
        cookie.starts_with("acta-csrf=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!login.headers.contains_key(SET_COOKIE), "the anonymous cookie is set once");
    let css = login.body.split("href=\"/static/").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let sheet = v.get(&format!("/static/{css}")).await;
    assert_eq!(sheet.status, StatusCode::OK);
    assert_eq!(sheet.headers["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(sheet.headers["content-type"], "text/css; charset=utf-8");
    assert!(sheet.body.contains(":focus-visible"));
    assert_eq!(v.get("/static/acta.0000000000000000.css").await.status, StatusCode::NOT_FOUND);
    let wanted = v.get("/admin/comptes?x=1").await;
    assert_eq!(wanted.location(), "/connexion?suite=%2Fadmin%2Fcomptes%3Fx%3D1", "back after login");
    // No open redirect: a login asked to go elsewhere goes home.
    let password = cli_user(&app, "gestion", "Gestion CdG", "gestionnaire", &[]);
    let token = v.get("/connexion?suite=//evil.example").await.csrf();
    let r = v
        .post(
            "/connexion",
            &[
                ("csrf", &token),
                ("identifiant", "gestion"),
                ("mot_de_passe", &password),
                ("suite", "//evil.example"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/accueil");
}

#[tokio::test]
async fn hostile_text_in_an_account_is_shown_literally() {
    let app = spawn_app().await;
    let password = cli_user(&app, "admin2", "Admin", "admin", &[]);
    cli_user(&app, "victime", "<script>alert(1)</script> & \"Cie\"", "gestionnaire", &[]);
    let mut v = Visitor::new(&app.base);
    v.login("admin2", &password).await;
    let page = v.get("/admin/comptes").await;
    assert!(!page.body.contains("<script>alert(1)"), "{}", page.body);
    assert!(
        page.body.contains("&#60;script&#62;alert(1)&#60;/script&#62; &#38; &#34;Cie&#34;")
            || page.body.contains("&lt;script&gt;"),
        "{}",
        page.body
    );
}
