//! Issue #13, the attacker's run before the independent one: what broke
//! when the release was attacked over HTTP like an outsider or a tenant
//! would, each fixed and kept fixed here.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use acta::auth::Role;

use crate::helpers::{client_with, fixture, spawn_app, stored_acts};
use crate::transfers::{post, sealed, stored};

const OWN: &str = "216295105";
const FOREIGN: &str = "216296202";

/// A body that names `collectivite` twice could be read one way by the
/// access gate (or a proxy) and another by the handler: it is refused,
/// naming the member, and nothing is stored, whichever comes first.
#[tokio::test]
async fn a_body_that_names_a_member_twice_is_refused_naming_it() {
    let app = spawn_app().await;
    let client = client_with(&app.token(Role::Gestionnaire, &[OWN]).await);
    let body = fixture("arrete-avancement-echelon").to_string();
    let rest = body.strip_prefix('{').unwrap();
    let bodies = [
        (format!(r#"{{"collectivite":"{FOREIGN}",{rest}"#), "/collectivite"),
        (format!(r#"{},"collectivite":"{FOREIGN}"}}"#, &body[..body.len() - 1]), "/collectivite"),
        (body.replacen(r#""data":{"#, r#""data":{"grade":"x","#, 1), "/data/grade"),
    ];
    for (body, path) in bodies {
        let r = client
            .post(app.url("/api/v1/acts"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let problem: Value = r.json().await.unwrap();
        assert_eq!(problem["code"], "duplicate_member", "{problem:#}");
        assert_eq!(problem["errors"][0]["path"], path, "{problem:#}");
    }
    assert!(stored_acts(app.data_dir.path()).is_empty(), "a refused body stored an act");
}

/// The request id a client sends is echoed, logged and written into the
/// audit trail: an oversized or odd one is replaced by a fresh UUID, a
/// plausible one is kept.
#[tokio::test]
async fn an_odd_request_id_is_replaced_not_echoed_or_audited() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    let health = app.url("/health");
    let id_of = |r: &reqwest::Response| r.headers()["x-request-id"].to_str().unwrap().to_owned();
    let r = client.get(&health).header("x-request-id", "req-42.a:b_c").send().await.unwrap();
    assert_eq!(id_of(&r), "req-42.a:b_c");
    for odd in ["a".repeat(20_000), "a".repeat(129), "x y".into(), "<script>".into(), "a\"b".into()] {
        let r = client.get(&health).header("x-request-id", &odd).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let id = id_of(&r);
        assert!(id.len() == 36 && id.parse::<uuid::Uuid>().is_ok(), "{odd:.40} echoed as {id:.40}");
    }
    let r =
        client.get(&health).header("x-request-id", "one").header("x-request-id", "two").send().await.unwrap();
    assert_eq!(id_of(&r).len(), 36);
    // What the audit trail records is the id the answer carries.
    let long = "b".repeat(10_000);
    let r = app
        .client
        .post(app.url("/api/v1/acts"))
        .header("x-request-id", &long)
        .json(&fixture("arrete-avancement-echelon"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let answered = id_of(&r);
    let (status, audit) = app.get_json("/api/v1/audit").await;
    assert_eq!(status, StatusCode::OK);
    let recorded: Vec<&str> =
        audit["entries"].as_array().unwrap().iter().filter_map(|e| e["request_id"].as_str()).collect();
    assert_eq!(recorded, [answered.as_str()], "{audit:#}");
}

/// `"acts": []` once fell through to the selection by dates, which without
/// dates is every sealed act of the collectivité; and a body mixing a list,
/// a séance and dates silently used one of them. Both are refused, naming
/// the member, and nothing is transferred.
#[tokio::test]
async fn an_empty_or_mixed_selection_transfers_nothing() {
    let app = spawn_app().await;
    let act = sealed(&app, &fixture("arrete-avancement-echelon")).await;
    let bodies = [
        (json!({"collectivite": OWN, "acts": []}), "/acts"),
        (json!({"collectivite": OWN, "acts": [act], "seance": "2026-03-12"}), "/seance"),
        (json!({"collectivite": OWN, "acts": [act], "kinds": ["ARR"]}), "/kinds"),
        (json!({"collectivite": OWN, "acts": [act], "to": "2099-12-31"}), "/to"),
        (json!({"collectivite": OWN, "seance": "2026-03-12", "from": "2026-01-01"}), "/from"),
    ];
    for (body, path) in bodies {
        let (status, problem) = post(&app.client, &app, "/api/v1/transfers", &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {problem:#}");
        assert_eq!(problem["code"], "validation_failed", "{problem:#}");
        assert_eq!(problem["errors"][0]["path"], path, "{body}: {problem:#}");
        // Not a sentence about generating an act: this is a transfer.
        assert_eq!(problem["detail"], "1 champ(s) à corriger ; rien n'a été enregistré", "{problem:#}");
    }
    assert!(stored(&app, "transfers").is_empty(), "a refused selection was transferred");
    // The list alone still works.
    let (status, t) =
        post(&app.client, &app, "/api/v1/transfers", &json!({"collectivite": OWN, "acts": [act]})).await;
    assert_eq!(status, StatusCode::CREATED, "{t:#}");
    assert_eq!(t["acts"], json!([act]));
}

/// A date typed with a wrong year (`0000`, `9999`) was accepted into an
/// act, then indexed under a wrapped date (the index counts nanoseconds in
/// an `i64`), out of reach of the search's date filters: such a date is
/// refused, naming the field.
#[tokio::test]
async fn a_date_of_an_impossible_year_is_refused_naming_the_field() {
    let app = spawn_app().await;
    for (day, pointer) in
        [("0000-01-01", "/date_debut"), ("9999-12-30", "/date_debut"), ("0026-04-01", "/date_demande")]
    {
        let mut body = fixture("arrete-disponibilite");
        body["data"][&pointer[1..]] = json!(day);
        let (status, problem) = app.post_act(&body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{day}: {problem:#}");
        let fields: Vec<&str> =
            problem["errors"].as_array().unwrap().iter().filter_map(|e| e["path"].as_str()).collect();
        assert!(fields.contains(&format!("/data{pointer}").as_str()), "{day}: {problem:#}");
    }
    assert!(stored_acts(app.data_dir.path()).is_empty());
}

/// Withdrawing a withdrawn act for another reason was answered 200 with the
/// first withdrawal, which the caller could take for the one asked: it is
/// 409 `act_withdrawn`, and the same request again still answers 200.
#[tokio::test]
async fn a_second_different_withdrawal_is_refused_not_answered_with_the_first() {
    let app = spawn_app().await;
    let act = sealed(&app, &fixture("arrete-avancement-echelon")).await;
    let other = sealed(&app, &fixture("arrete-avancement-echelon")).await;
    let url = format!("/api/v1/acts/{act}/withdraw");
    let (status, first) = post(&app.client, &app, &url, &json!({"motif": "error"})).await;
    assert_eq!(status, StatusCode::OK, "{first:#}");
    let (status, again) = post(&app.client, &app, &url, &json!({"motif": "error"})).await;
    assert_eq!((status, &again), (StatusCode::OK, &first));
    for body in [json!({"motif": "annulment"}), json!({"motif": "error", "remplacement": other})] {
        let (status, problem) = post(&app.client, &app, &url, &body).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}: {problem:#}");
        assert_eq!(problem["code"], "act_withdrawn", "{problem:#}");
    }
    let (_, view) = app.get_json(&format!("/api/v1/acts/{act}")).await;
    assert_eq!(view["retrait"]["reason"], "error", "{view:#}");
}

/// `max_connections` idle keep-alive connections, each pinged before its
/// idle timeout, kept every other client out for as long as the pinging
/// went on: at the cap, connections waiting without a request are closed
/// to make room, and a new client is served within seconds.
#[tokio::test]
async fn idle_keep_alive_connections_at_the_cap_make_room_for_new_clients() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let data_dir = tempfile::tempdir().unwrap();
    let mut settings = crate::helpers::test_settings(data_dir.path());
    settings.http.max_connections = 3;
    settings.http.idle_timeout_secs = 600;
    let base = crate::helpers::spawn_with(settings).await;
    let addr = base.strip_prefix("http://").unwrap().to_owned();
    let mut squatters = Vec::new();
    for _ in 0..3 {
        let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
        s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
        let mut buf = [0; 1024];
        let n = s.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&buf[..n]));
        squatters.push(s);
    }
    let started = std::time::Instant::now();
    let health =
        reqwest::Client::new().get(format!("{base}/health")).timeout(Duration::from_secs(10)).send().await;
    assert_eq!(health.expect("a new client was kept out by idle connections").status(), StatusCode::OK);
    assert!(started.elapsed() < Duration::from_secs(5), "served after {:?}", started.elapsed());
}

/// The font check let every Unicode space through, but the body font cannot
/// draw U+1680 (OGHAM SPACE MARK): the PDF/A export failed and the caller got
/// a 500. It is refused like any character the act cannot print, naming the
/// field and the code point, and nothing is stored.
#[tokio::test]
async fn a_space_the_act_cannot_print_is_refused_naming_the_field_not_answered_500() {
    let app = spawn_app().await;
    let mut body = fixture("arrete-avancement-echelon");
    body["data"]["agent"]["nom"] = json!("Cœur\u{1680}devey");
    let (status, problem) = app.post_act(&body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem:#}");
    assert_eq!(problem["errors"][0]["path"], "/data/agent/nom", "{problem:#}");
    assert!(problem["errors"][0]["message"].as_str().unwrap().contains("U+1680"), "{problem:#}");
    assert!(stored_acts(app.data_dir.path()).is_empty(), "a refused act was stored");
    // The spaces of French typography still pass.
    body["data"]["agent"]["nom"] = json!("Cœur\u{202F}devey");
    let (status, act) = app.post_act(&body).await;
    assert_eq!(status, StatusCode::CREATED, "{act:#}");
}

/// `limit=5&limit=6` answered six hits, `q=a&q=b` searched `b`: a search
/// parameter of one value given twice is refused naming it, as the audit
/// trail's parameters are; the filters that take several values still do.
#[tokio::test]
async fn a_search_parameter_of_one_value_given_twice_is_refused_naming_it() {
    let app = spawn_app().await;
    for query in ["limit=5&limit=6", "q=budget&q=voirie", "sort=date_asc&sort=date_desc", "page=1&page=2"] {
        let (status, problem) = app.get_json(&format!("/api/v1/search?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {problem:#}");
        assert_eq!(problem["code"], "invalid_query");
        let key = query.split('=').next().unwrap();
        assert!(problem["detail"].as_str().unwrap().contains(&format!("« {key} » est donné plusieurs fois")));
    }
    let (status, _) = app.get_json("/api/v1/search?kind=arrete&kind=deliberation").await;
    assert_eq!(status, StatusCode::OK);
}

/// The public « Vérifier un document » page took a PDF and a typed
/// empreinte, verified the file and ignored the empreinte: a person checking
/// a file against the empreinte of the register read « Document authentique »
/// for a file that is not the one they named. A crafted form with two files
/// got a verdict on the last one. Both are now refused, saying why.
#[tokio::test]
async fn the_verification_page_compares_a_typed_empreinte_with_the_file_and_takes_one_file() {
    use crate::web::Visitor;
    let app = spawn_app().await;
    let id = sealed(&app, &fixture("arrete-avancement-echelon")).await;
    let pdf = app.client.get(app.url(&format!("/api/v1/acts/{id}/pdf"))).send().await.unwrap();
    let pdf = pdf.bytes().await.unwrap().to_vec();
    let own = acta::domain::Sha256Digest::of(&pdf).to_string();
    let mut visitor = Visitor::new(&app.base);
    let csrf = visitor.get("/verifier").await.csrf();
    let boundary = "acta-attack-7e2d";
    let form = |parts: &[(&str, &[u8])]| {
        let mut body =
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n")
                .into_bytes();
        for (name, bytes) in parts {
            let file = if *name == "document" { "; filename=\"acte.pdf\"" } else { "" };
            body.extend(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"{file}\r\n\r\n")
                    .bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend(b"\r\n");
        }
        body.extend(format!("--{boundary}--\r\n").bytes());
        body
    };
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let other = "0".repeat(64);
    type Parts<'a> = &'a [(&'a str, &'a [u8])];
    let cases: [(Parts<'_>, &str); 3] = [
        (&[("document", &pdf), ("empreinte", other.as_bytes())], "pas celle du fichier choisi"),
        (&[("document", b"%PDF-1.7\n%%EOF"), ("document", &pdf)], "un seul fichier"),
        (&[("document", &pdf), ("empreinte", b"abc")], "64 chiffres"),
    ];
    for (parts, says) in cases {
        let page = visitor.post_body("/verifier", &content_type, form(parts)).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", page.body);
        assert!(page.body.contains(says), "{says}: {}", page.body);
        assert!(!page.body.contains("Document authentique"), "{}", page.body);
    }
    // The file with its own empreinte, in either case: authentic.
    let page = visitor
        .post_body(
            "/verifier",
            &content_type,
            form(&[("document", &pdf), ("empreinte", own.to_uppercase().as_bytes())]),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Document authentique"), "{}", page.body);
}

/// A parameter given twice or missing in an address read by axum's `Query`
/// was answered in English plain text (« Failed to deserialize query string:
/// duplicate field `collectivite` »): the API answers its problem, naming the
/// parameter in French; the pages their « Adresse invalide » page.
#[tokio::test]
async fn a_repeated_or_missing_address_parameter_is_named_in_french_by_the_api_and_the_pages() {
    use crate::web::Visitor;
    let app = spawn_app().await;
    let export = "/api/v1/campaigns/01a2496f-16e2-736c-bba5-9f2790622ec1/export";
    for (query, named) in [
        (
            "?collectivite=216295105&collectivite=216296202",
            "collectivite : le paramètre est donné plusieurs fois",
        ),
        ("", "collectivite : paramètre obligatoire manquant"),
    ] {
        let r = app.client.get(app.url(&format!("{export}{query}"))).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let problem: Value = r.json().await.unwrap();
        assert_eq!(problem["code"], "invalid_parameter", "{problem:#}");
        assert_eq!(problem["detail"], named, "{problem:#}");
    }
    let r = app
        .client
        .post(app.url("/api/v1/campaigns?dry_run=true&dry_run=false"))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.headers()["content-type"], "application/problem+json");

    let mut visitor = Visitor::new(&app.base);
    let page = visitor.get("/connexion?suite=/accueil&suite=/recherche").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.headers["content-type"].to_str().unwrap().starts_with("text/html"), "{:?}", page.headers);
    assert!(page.body.contains("Adresse invalide"), "{}", page.body);
    assert!(page.body.contains("suite : le paramètre est donné plusieurs fois"), "{}", page.body);
}

/// The search page named any collectivité whose SIREN was typed in its
/// address, in scope or not (« Commune de Marquenval-sur-Canche (0) » for a
/// gestionnaire of another commune): it told who this instance serves, which
/// the API never tells a caller outside the scope. Only SIRENs in scope are
/// named.
#[tokio::test]
async fn the_search_page_names_no_collectivite_outside_the_visitors_scope() {
    use crate::web::{Visitor, cli_user};
    let app = spawn_app().await;
    let password = cli_user(&app, "gaelle", "Gaëlle", "gestionnaire", &[OWN]);
    let mut visitor = Visitor::new(&app.base);
    visitor.login("gaelle", &password).await;
    let page = visitor.get(&format!("/recherche?collectivite={FOREIGN}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(!page.body.contains("Marquenval"), "{}", page.body);
    let page = visitor.get(&format!("/recherche?collectivite={OWN}")).await;
    assert!(page.body.contains("Aubrecourt-en-Artois"), "{}", page.body);
}

/// `POST /api/v1/campaigns?name=…` kept the name as given — a path, a line
/// feed, a right-to-left override (`evil\u{202E}gpj.csv` shows as
/// `evilvsc.jpg`) — and printed it on the campaign's pages and bordereau. It
/// is kept as the pages keep an uploaded file's name: its last segment,
/// without the characters the text policy refuses.
#[tokio::test]
async fn a_campaign_names_its_file_without_path_line_feed_or_bidi_control() {
    let app = spawn_app().await;
    let mapping =
        std::fs::read(crate::helpers::repo_path("fixtures/campaigns/arrete-reclassement.mapping.json"))
            .unwrap();
    let r = app
        .client
        .put(app.url("/api/v1/campaigns/mappings/arrete-reclassement"))
        .header("content-type", "application/json")
        .body(mapping)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // The sample's header and its first two rows of one commune.
    let sample =
        std::fs::read(crate::helpers::repo_path("fixtures/campaigns/arrete-reclassement.exemple.csv"))
            .unwrap();
    let lines: Vec<&[u8]> = sample.split(|b| *b == b'\n').collect();
    let own: Vec<&[u8]> =
        lines[1..].iter().copied().filter(|l| l.windows(11).any(|w| w == b"216 295 105")).take(2).collect();
    let csv = [&[lines[0]][..], &own].concat().join(&b'\n');
    let r = app
        .client
        .post(app.url("/api/v1/campaigns"))
        .query(&[("template", "arrete-reclassement"), ("name", "../RH/vague\u{202E}\nvsc.csv")])
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let created: Value = r.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{created:#}");
    assert_eq!(created["campagne"]["source"], "vaguevsc.csv", "{created:#}");
}

/// The reply form took the last of several `reponse` files of a crafted
/// form: one settled the transfer, the others were dropped without a word.
/// Two files are refused beside the field, and the transfer is unchanged.
#[tokio::test]
async fn the_transfer_page_takes_one_reply_file_at_a_time() {
    use crate::web::{Visitor, cli_user};
    let app = spawn_app().await;
    let act = sealed(&app, &fixture("arrete-avancement-echelon")).await;
    let (status, t) =
        post(&app.client, &app, "/api/v1/transfers", &json!({"collectivite": OWN, "acts": [act]})).await;
    assert_eq!(status, StatusCode::CREATED, "{t:#}");
    let transfer = t["id"].as_str().unwrap().to_owned();
    let password = cli_user(&app, "archives", "Archives", "archiviste", &[OWN]);
    let mut archives = Visitor::new(&app.base);
    archives.login("archives", &password).await;
    let csrf = archives.get(&format!("/transferts/{transfer}")).await.csrf();
    let xml = crate::transfers::vitam_ok(&transfer, &[&act]);
    let boundary = "acta-attack-reply";
    let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n");
    for name in ["a.xml", "b.xml"] {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"reponse\"; filename=\"{name}\"\r\n\
             Content-Type: application/xml\r\n\r\n{xml}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    let page = archives
        .post_body(
            &format!("/transferts/{transfer}/reponse"),
            &format!("multipart/form-data; boundary={boundary}"),
            body.into_bytes(),
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", page.body);
    assert!(page.body.contains("un seul fichier de réponse"), "{}", page.body);
    let (_, t) = app.get_json(&format!("/api/v1/transfers/{transfer}")).await;
    assert_eq!(t["status"], "sent", "{t:#}");
}
