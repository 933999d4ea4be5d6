//! « Vérifier un document »: public, no login. A PDF dropped in the form, or
//! a SHA-256 typed, gets the same verdict as `POST /api/v1/verify` and
//! `acta verify`, in French.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;

use crate::domain::Sha256Digest;
use crate::service::Verdict;
use crate::web::Web;
use crate::web::gate::Visit;

/// The page's address.
pub const PATH: &str = "/verifier";
use crate::web::page::{Field, Form, Layout, internal_error, render};

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    layout: Layout,
    form: Form,
    verdict: Option<Verdict>,
    sealed_on: String,
}

fn fields(hash: &str) -> Form {
    Form::new(vec![
        Field::text("empreinte", "Ou son empreinte SHA-256")
            .hint("64 chiffres et lettres de a à f, par exemple copiés depuis le registre des actes")
            .value(hash)
            .optional(),
    ])
}

fn page(visit: &Visit, form: Form, verdict: Option<Verdict>) -> VerifyPage {
    let title = match &verdict {
        Some(v) if v.authentique => "Document authentique — Vérifier un document",
        Some(_) => "Document non authentique — Vérifier un document",
        None => "Vérifier un document",
    };
    let mut layout = Layout::new(visit, title, PATH);
    layout.has_errors = !form.is_valid();
    let sealed_on = verdict
        .as_ref()
        .and_then(|v| v.acte.as_ref())
        .map(|a| crate::service::french_moment(a.scelle_le))
        .unwrap_or_default();
    VerifyPage { layout, form, verdict, sealed_on }
}

/// `GET /verifier`.
pub async fn form(Extension(visit): Extension<Visit>) -> Response {
    render(StatusCode::OK, &page(&visit, fields(""), None))
}

/// `POST /verifier` (multipart: `document`, `empreinte`).
pub async fn submit(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    mut posted: Multipart,
) -> Response {
    let (mut pdf, mut hash) = (Vec::new(), String::new());
    let mut documents = 0;
    while let Ok(Some(field)) = posted.next_field().await {
        let name = field.name().unwrap_or_default().to_owned();
        let Ok(bytes) = field.bytes().await else { break };
        match name.as_str() {
            "document" => {
                documents += 1;
                pdf = bytes.to_vec();
            }
            "empreinte" => hash = String::from_utf8_lossy(&bytes).trim().to_owned(),
            _ => {}
        }
    }
    let mut form = fields(&hash);
    // Several files (a crafted form): the verdict would be about one of them
    // while the person believes it is about another.
    if documents > 1 {
        form.error("document", "Choisissez un seul fichier PDF à la fois");
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page(&visit, form, None));
    }
    let verdict = if !pdf.is_empty() {
        if !pdf.starts_with(b"%PDF-") {
            form.error("document", "Le fichier choisi n'est pas un PDF");
            return render(StatusCode::UNPROCESSABLE_ENTITY, &page(&visit, form, None));
        }
        // A file and an empreinte: the person compares them (the empreinte
        // copied from the register); a verdict on the file alone would say
        // « authentique » for a document that is not the one they named.
        if !hash.is_empty() {
            let typed = hash.to_ascii_lowercase().parse::<Sha256Digest>();
            let actual = Sha256Digest::of(&pdf);
            match typed {
                Ok(typed) if typed == actual => {}
                Ok(_) => {
                    form.error(
                        "empreinte",
                        format!(
                            "Cette empreinte n'est pas celle du fichier choisi, dont l'empreinte est {actual}"
                        ),
                    );
                    return render(StatusCode::UNPROCESSABLE_ENTITY, &page(&visit, form, None));
                }
                Err(_) => {
                    form.error("empreinte", "L'empreinte doit comporter 64 chiffres ou lettres de a à f");
                    return render(StatusCode::UNPROCESSABLE_ENTITY, &page(&visit, form, None));
                }
            }
        }
        web.acta.verify_pdf(bytes::Bytes::from(pdf)).await
    } else if !hash.is_empty() {
        match hash.to_ascii_lowercase().parse::<Sha256Digest>() {
            Ok(digest) => web.acta.verify_hash(digest).await,
            Err(_) => {
                form.error("empreinte", "L'empreinte doit comporter 64 chiffres ou lettres de a à f");
                return render(StatusCode::UNPROCESSABLE_ENTITY, &page(&visit, form, None));
            }
        }
    } else {
        form.error("document", "Choisissez un fichier PDF, ou saisissez son empreinte SHA-256");
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page(&visit, form, None));
    };
    match verdict {
        Ok(v) => render(StatusCode::OK, &page(&visit, fields(""), Some(v))),
        Err(e) => internal_error(&visit, &e),
    }
}
