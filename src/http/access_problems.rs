//! The problems (RFC 9457) of the access gate and of the input limits: who is
//! refused and why, in French, each with its stable code (`docs/errors.md`).

use axum::http::StatusCode as S;

use super::error::{ApiError, Problem};
use super::input::{InputError, MAX_DEPTH, MAX_ITEMS, MAX_STRING_CHARS};
use crate::auth::AuthError;
use crate::catalog::FieldError;
use crate::store::StoreError;

/// 401 (with `WWW-Authenticate`, added by `ApiError`), 404, 422, 503 or 500.
pub(super) fn auth(e: AuthError) -> Problem {
    let unauthenticated = |detail: &str| {
        Problem::new(S::UNAUTHORIZED, "unauthenticated", "Authentification requise", detail.to_owned())
    };
    match e {
        AuthError::MissingToken => {
            unauthenticated("présentez un jeton d'accès : en-tête « Authorization: Bearer acta_… »")
        }
        AuthError::InvalidToken => unauthenticated("jeton d'accès invalide"),
        AuthError::Expired => unauthenticated("ce jeton d'accès a expiré ; demandez-en un nouveau"),
        AuthError::Revoked => unauthenticated("ce jeton d'accès a été révoqué"),
        AuthError::InvalidRequest(why) => Problem {
            errors: vec![FieldError { path: String::new(), message: why.clone() }],
            ..Problem::new(
                S::UNPROCESSABLE_ENTITY,
                "invalid_token_request",
                "Demande de jeton invalide",
                format!("le jeton ne peut pas être créé : {why}"),
            )
        },
        AuthError::UnknownToken(id) => Problem::new(
            S::NOT_FOUND,
            "token_not_found",
            "Jeton introuvable",
            format!("aucun jeton ne porte l'identifiant {id}"),
        ),
        AuthError::Store(StoreError::Backend(cause)) => {
            tracing::error!(error = %cause, "object store unavailable");
            Problem::new(
                S::SERVICE_UNAVAILABLE,
                "store_unavailable",
                "Stockage indisponible",
                "le stockage est momentanément indisponible ; réessayez plus tard".into(),
            )
        }
        other => {
            tracing::error!(error = %other, "internal error");
            internal()
        }
    }
}

/// 400 with the faulty member's pointer.
pub(super) fn input(e: InputError) -> Problem {
    let (code, title, path, detail) = match e {
        InputError::TooDeep => (
            "json_too_deep",
            "Corps de requête trop imbriqué",
            String::new(),
            format!("le corps de la requête dépasse {MAX_DEPTH} niveaux d'imbrication"),
        ),
        InputError::StringTooLong(path) => (
            "string_too_long",
            "Texte trop long",
            path,
            format!("un texte dépasse {MAX_STRING_CHARS} caractères"),
        ),
        InputError::TooManyItems(path) => (
            "too_many_items",
            "Trop d'éléments",
            path,
            format!("une liste ou un objet dépasse {MAX_ITEMS} éléments"),
        ),
        InputError::DuplicateMember(path) => (
            "duplicate_member",
            "Champ répété",
            path,
            "un objet donne deux fois le même champ : chaque champ ne peut figurer qu'une fois".into(),
        ),
    };
    Problem {
        errors: vec![FieldError { path, message: detail.clone() }],
        ..Problem::new(S::BAD_REQUEST, code, title, detail)
    }
}

/// 403: the role, not the resource, is refused (so nothing leaks).
pub(super) fn forbidden() -> Problem {
    Problem::new(
        S::FORBIDDEN,
        "forbidden",
        "Action non autorisée",
        "le rôle de votre jeton d'accès ne permet pas cette action".into(),
    )
}

/// 405.
pub(super) fn method_not_allowed() -> Problem {
    Problem::new(
        S::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "Méthode non autorisée",
        "cette ressource n'accepte pas cette méthode HTTP".into(),
    )
}

/// 400 naming the parameter.
pub(super) fn invalid_parameter(why: String) -> Problem {
    Problem::new(S::BAD_REQUEST, "invalid_parameter", "Paramètre invalide", why)
}

/// An error that should have been mapped elsewhere.
pub(super) fn unexpected(e: ApiError) -> Problem {
    tracing::error!(error = ?e, "unmapped API error");
    internal()
}

fn internal() -> Problem {
    Problem::new(
        S::INTERNAL_SERVER_ERROR,
        "internal_error",
        "Erreur interne",
        "une erreur inattendue s'est produite ; elle a été journalisée".into(),
    )
}
