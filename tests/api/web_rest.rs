//! Issue #14 over plain HTTP: the live « Aperçu » of the act forms (the
//! unsaved form rendered as PNG pages, nothing stored, an incomplete form
//! answered calmly), the one script and its policy, and the confirmation
//! steps of the destructive administration actions (a `GET` that changes
//! nothing, then the `POST` with its CSRF token). The browser walk of the
//! live preview is in `browser_acts`; the page budgets in `browser`.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, acta_ok, fixture, spawn_app};
use crate::web::{Visitor, cli_user};

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

/// The form as `acta.js` posts it (no button pressed), with `changes`.
fn typed(csrf: &str, siren: &str, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    inputs(&fixture(TEMPLATE)["data"], "", &mut pairs);
    for (k, new) in changes {
        if let Some(pair) = pairs.iter_mut().find(|(p, _)| p == k) {
            pair.1 = (*new).to_owned();
        }
    }
    pairs.extend([("csrf".to_owned(), csrf.to_owned()), ("collectivite".to_owned(), siren.to_owned())]);
    pairs
}

/// POST `pairs` to the live preview with the visitor's cookies: status,
/// content type, `X-Acta-Pages`, body bytes.
async fn preview(
    v: &Visitor,
    base: &str,
    query: &str,
    pairs: &[(String, String)],
) -> (u16, String, String, Vec<u8>) {
    let cookies = v.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
    let r = reqwest::Client::new()
        .post(format!("{base}/actes/nouveau/{TEMPLATE}/apercu{query}"))
        .header("cookie", cookies)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish())
        .send()
        .await
        .unwrap();
    let header = |n: &str| r.headers().get(n).map_or("", |v| v.to_str().unwrap()).to_owned();
    let (kind, pages) = (header("content-type"), header("x-acta-pages"));
    (r.status().as_u16(), kind, pages, r.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn the_live_preview_renders_the_unsaved_form_as_a_png_and_stores_nothing() {
    let app = spawn_app().await;
    let mut gina = logged_in(&app, "gina", "gestionnaire", SIREN).await;
    let form = gina.get(&format!("/actes/nouveau/{TEMPLATE}?collectivite={SIREN}")).await;
    assert_eq!(form.status, StatusCode::OK);
    // The form page loads the one script, from acta, under a strict policy.
    let policy = form.headers["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("script-src 'self'") && policy.contains("img-src 'self' blob:"), "{policy}");
    assert!(!policy.contains("unsafe"), "{policy}");
    assert!(form.body.contains(&format!(r#"data-apercu="/actes/nouveau/{TEMPLATE}/apercu""#)));
    assert!(form.body.contains(r#"id="apercu-direct" aria-labelledby="apercu-direct-titre" hidden"#));
    let script = form.body.split(r#"<script src=""#).nth(1).unwrap().split('"').next().unwrap().to_owned();
    assert!(!form.body.contains("<script>"), "no inline script");
    let js = gina.get(&script).await;
    assert_eq!(js.status, StatusCode::OK);
    assert_eq!(js.headers["content-type"], "text/javascript; charset=utf-8");
    assert!(js.body.contains("X-Acta-Pages"));
    // Other pages have no script at all.
    let home = gina.get("/accueil").await;
    assert!(!home.body.contains("<script"));
    assert!(!home.headers["content-security-policy"].to_str().unwrap().contains("script-src"));

    let csrf = form.csrf();
    let (status, kind, pages, png) = preview(&gina, &app.base, "", &typed(&csrf, SIREN, &[])).await;
    assert_eq!((status, kind.as_str(), pages.as_str()), (200, "image/png", "1"));
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000, "{} bytes", png.len());
    assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 893, "A4 at 1.5 px per point");
    // What is typed shows: another name, other pixels.
    let (_, _, _, other) =
        preview(&gina, &app.base, "?page=1", &typed(&csrf, SIREN, &[("/agent/nom", "Dupont-Aignan")])).await;
    assert!(other.starts_with(b"\x89PNG") && other != png);
    // A page the act does not have.
    let (status, ..) = preview(&gina, &app.base, "?page=2", &typed(&csrf, SIREN, &[])).await;
    assert_eq!(status, 404);
    assert!(app.store.list("acts/").await.unwrap().is_empty(), "no draft written");

    // A form being typed: one calm sentence naming the first field, 422.
    let (status, kind, _, body) =
        preview(&gina, &app.base, "", &typed(&csrf, SIREN, &[("/grade", "")])).await;
    let sentence = String::from_utf8(body).unwrap();
    assert_eq!((status, kind.as_str()), (422, "text/plain; charset=utf-8"), "{sentence}");
    assert_eq!(
        sentence,
        "L'aperçu attend que le formulaire soit complet : « Grade : champ obligatoire manquant »."
    );
    let (status, _, _, body) =
        preview(&gina, &app.base, "", &typed(&csrf, SIREN, &[("/grade", ""), ("/echelon/nouveau", "cinq")]))
            .await;
    let sentence = String::from_utf8(body).unwrap();
    assert_eq!(status, 422);
    assert!(sentence.contains("2 points à compléter ou corriger"), "{sentence}");

    // Without the form's token: refused. Another collectivité: not found.
    let mut forged = typed(&csrf, SIREN, &[]);
    forged.retain(|(k, _)| k != "csrf");
    assert_eq!(preview(&gina, &app.base, "", &forged).await.0, 403);
    assert_eq!(preview(&gina, &app.base, "", &typed(&csrf, OTHER_SIREN, &[])).await.0, 404);
    // A lecteur may not write acts, so may not preview them.
    let mut lea = logged_in(&app, "lea", "lecteur", SIREN).await;
    let lea_csrf = lea.get("/accueil").await.csrf();
    assert_eq!(preview(&lea, &app.base, "", &typed(&lea_csrf, SIREN, &[])).await.0, 403);
    assert!(app.store.list("acts/").await.unwrap().is_empty(), "still no draft written");

    // « Modifier le projet » previews the same way, at the draft's address.
    let id = app.create(&fixture(TEMPLATE)).await["id"].as_str().unwrap().to_owned();
    let stored = app.store.list("acts/").await.unwrap();
    let edit = gina.get(&format!("/actes/{id}/modifier")).await;
    assert!(edit.body.contains(&format!(r#"data-apercu="/actes/{id}/apercu""#)), "{}", edit.body);
    let address = format!("{}/actes/{id}/apercu", app.base);
    let cookies = gina.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
    let pairs = typed(&edit.csrf(), SIREN, &[("/agent/nom", "Durand")]);
    let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(&pairs).finish();
    let post = |body: String| {
        reqwest::Client::new()
            .post(&address)
            .header("cookie", &cookies)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let r = post(body.clone()).await.unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["content-type"].to_str().unwrap()), (200, "image/png"));
    assert_eq!(app.store.list("acts/").await.unwrap(), stored, "the draft is not rewritten");
    // Once sealed, there is nothing to edit, so nothing to preview.
    let (status, _) = app.seal(&id).await;
    assert!(status.is_success());
    assert_eq!(post(body).await.unwrap().status().as_u16(), 409);
}

#[tokio::test]
async fn revoking_a_token_and_disabling_an_account_are_confirmed_first_and_a_get_changes_nothing() {
    let app = spawn_app().await;
    let admin_password = cli_user(&app, "admin", "Alice Admin", "admin", &[]);
    let mut admin = Visitor::new(&app.base);
    assert_eq!(admin.login("admin", &admin_password).await.status, StatusCode::SEE_OTHER);

    // A token: the list links to the confirmation, which names it.
    let page = admin.get("/admin/jetons").await;
    let created = admin
        .post(
            "/admin/jetons",
            &[("csrf", &page.csrf()), ("role", "lecteur"), ("collectivites", SIREN), ("jours", "30")],
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let token =
        created.body.split(r#"id="secret-value">"#).nth(1).unwrap().split('<').next().unwrap().to_owned();
    let id = token.split('_').nth(1).unwrap().to_owned();
    let api = crate::helpers::client_with(&token);
    let search = || api.get(app.url("/api/v1/search")).send();
    let list = admin.get("/admin/jetons").await;
    assert!(list.body.contains(&format!(r#"href="/admin/jetons/{id}/revoquer""#)), "{}", list.body);
    let confirm = admin.get(&format!("/admin/jetons/{id}/revoquer")).await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
    assert!(confirm.body.contains(&format!("<title>Révoquer le jeton {id} — acta</title>")));
    assert!(confirm.body.contains("ne donnera plus accès à l"), "{}", confirm.body);
    assert!(confirm.body.contains("<dt>Rôle</dt><dd>lecteur"), "{}", confirm.body);
    assert!(confirm.body.contains(&format!(r#"<form method="post" action="/admin/jetons/{id}/revoquer""#)));
    assert_eq!(search().await.unwrap().status(), StatusCode::OK, "the confirmation page changes nothing");
    let forged = admin.post(&format!("/admin/jetons/{id}/revoquer"), &[]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "not without the form's token");
    assert_eq!(search().await.unwrap().status(), StatusCode::OK);
    let done = admin.post(&format!("/admin/jetons/{id}/revoquer"), &[("csrf", &confirm.csrf())]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(search().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    // Revoked: nothing left to confirm. Unknown: not found.
    assert_eq!(admin.get(&format!("/admin/jetons/{id}/revoquer")).await.location(), "/admin/jetons");
    assert_eq!(admin.get("/admin/jetons/zzzz/revoquer").await.status, StatusCode::NOT_FOUND);

    // An account: the confirmation names the person and what follows.
    let password = cli_user(&app, "paul", "Paul Durand", "gestionnaire", &[SIREN]);
    let list = admin.get("/admin/comptes").await;
    assert!(list.body.contains(r#"href="/admin/comptes/paul/etat""#));
    assert!(!list.body.contains(r#"href="/admin/comptes/admin/etat""#), "no disabling oneself");
    let confirm = admin.get("/admin/comptes/paul/etat").await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
    assert!(confirm.body.contains("<title>Désactiver le compte paul — acta</title>"));
    assert!(confirm.body.contains("Paul Durand ne pourra plus se connecter à acta."), "{}", confirm.body);
    assert!(confirm.body.contains("est effacé : ses actes, ses projets"), "{}", confirm.body);
    assert!(confirm.body.contains(r#"<input type="hidden" name="action" value="desactiver">"#));
    let mut paul = Visitor::new(&app.base);
    assert_eq!(paul.login("paul", &password).await.status, StatusCode::SEE_OTHER, "the GET changed nothing");
    let done =
        admin.post("/admin/comptes/paul/etat", &[("csrf", &confirm.csrf()), ("action", "desactiver")]).await;
    assert_eq!((done.status, done.location()), (StatusCode::SEE_OTHER, "/admin/comptes?desactive=paul"));
    assert_eq!(admin.get("/admin/comptes/paul/etat").await.location(), "/admin/comptes", "already disabled");
    assert_eq!(admin.get("/admin/comptes/admin/etat").await.status, StatusCode::CONFLICT);
    assert_eq!(admin.get("/admin/comptes/nobody/etat").await.status, StatusCode::NOT_FOUND);
    // Not an administrator: no confirmation page either.
    let gina_password = cli_user(&app, "gina", "Gina", "gestionnaire", &[SIREN]);
    let mut gina = Visitor::new(&app.base);
    gina.login("gina", &gina_password).await;
    let refused = gina.get("/admin/comptes/paul/etat").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
}

#[tokio::test]
async fn the_public_verification_page_takes_a_pdf_as_large_as_the_api_does() {
    // A form is bounded by 2 MiB; a PDF to verify, by the longest act, on the
    // page as on `POST /api/v1/verify`.
    let app = spawn_app().await;
    let mut visitor = Visitor::new(&app.base);
    let csrf = visitor.get("/verifier").await.csrf();
    let boundary = "acta-verifier-3f1c";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"document\"; filename=\"annexes.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n%PDF-1.7\n"
    )
    .into_bytes();
    body.extend(std::iter::repeat_n(b'%', 3 << 20));
    body.extend(format!("\n%%EOF\r\n--{boundary}--\r\n").bytes());
    let page =
        visitor.post_body("/verifier", &format!("multipart/form-data; boundary={boundary}"), body).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("non authentique"), "{}", page.body);
}
