//! Unit tests of the search index: analysis, synonyms, exact identifiers,
//! filters, facets, and the access rules of [`Scope`].

use time::macros::{date, datetime};

use super::*;
use crate::domain::Siren;

const A: &str = "216295105";
const B: &str = "216296202";
const C: &str = "216297309";

fn entry(id: &str, siren: &str, title: &str, body: &str) -> Entry {
    Entry {
        id: id.into(),
        siren: siren.into(),
        collectivite: format!("Commune {siren}"),
        template: "deliberation".into(),
        kind: "deliberation".into(),
        nature: 1,
        matiere: "5.2".into(),
        status: "sealed".into(),
        number: None,
        title: title.into(),
        body: body.into(),
        person: None,
        dates: Dates {
            decision: Some(date!(2024 - 03 - 15)),
            effect: None,
            seance: None,
            publication: None,
            created: datetime!(2024-03-10 10:00 UTC),
            sealed: Some(datetime!(2024-03-16 10:00 UTC)),
        },
        year: 2024,
    }
}

fn individual(id: &str, siren: &str) -> Entry {
    Entry {
        template: "arrete-disponibilite".into(),
        kind: "arrete".into(),
        nature: 3,
        matiere: "4.1".into(),
        person: Some(Person {
            name: "Mme Eulalie Tronquoy".into(),
            matricule: Some("S-2207".into()),
            title: "Arrêté portant mise en disponibilité — Mme Eulalie Tronquoy".into(),
        }),
        ..entry(id, siren, "Arrêté portant mise en disponibilité", "convenances personnelles rédacteur")
    }
}

fn index(entries: &[Entry]) -> (tempfile::TempDir, SearchIndex) {
    let dir = tempfile::tempdir().unwrap();
    let idx = SearchIndex::open(dir.path(), Synonyms::builtin()).unwrap();
    idx.upsert(entries).unwrap();
    (dir, idx)
}

fn find(idx: &SearchIndex, q: &str) -> Results {
    idx.search(&SearchRequest::text(q), &Scope::all()).unwrap()
}

fn ids(r: &Results) -> Vec<&str> {
    r.hits.iter().map(|h| h.id.as_str()).collect()
}

fn sorted_ids(r: Results) -> Vec<String> {
    let mut v: Vec<String> = r.hits.into_iter().map(|h| h.id).collect();
    v.sort();
    v
}

fn siren(s: &str) -> Siren {
    s.parse().unwrap()
}

#[test]
fn accents_and_plurals_do_not_matter_and_reindexing_replaces() {
    let (_d, idx) = index(&[individual("a", A)]);
    idx.upsert(&[Entry {
        number: Some("2026_DEL_00001".into()),
        ..entry("b", A, "Délibération budgétaire", "")
    }])
    .unwrap();
    assert_eq!(ids(&find(&idx, "arrete disponibilites")), ["a"]);
    assert_eq!(ids(&find(&idx, "2026_DEL_00001")), ["b"]);
    idx.upsert(&[Entry { number: Some("2026_ARR_00001".into()), ..individual("a", A) }]).unwrap();
    assert_eq!(find(&idx, "").total, 2);
    assert_eq!(find(&idx, "2026_ARR_00001").hits[0].id, "a");
}

#[test]
fn an_abbreviation_finds_the_long_form_and_the_long_form_the_abbreviation() {
    let (_d, idx) = index(&[
        entry("cst", A, "Délibération", "Vu l'avis du CST en date du 3 mars"),
        entry("long", A, "Délibération", "après avis du comité social territorial"),
        entry("other", A, "Délibération", "comité des fêtes, territorial et social"),
    ]);
    assert_eq!(sorted_ids(find(&idx, "comité social territorial")), ["cst", "long"]);
    assert_eq!(sorted_ids(find(&idx, "cst")), ["cst", "long"]);
    assert!(find(&idx, "avis CST").hits[0].snippet.as_deref().unwrap().contains("<b>"));
}

#[test]
fn an_act_number_finds_that_act_only_not_the_acts_citing_it() {
    let (_d, idx) = index(&[
        Entry { number: Some("2024_ARR_00012".into()), ..individual("x", A) },
        entry("cites", A, "Arrêté", "abrogeant l'arrêté 2024_ARR_00012"),
    ]);
    let r = find(&idx, "2024_arr_00012");
    assert_eq!((r.total, ids(&r)), (1, vec!["x"]));
    let quoted = find(&idx, "\"2024_ARR_00012\"");
    assert!(ids(&quoted).contains(&"cites"), "{quoted:?}");
}

#[test]
fn filters_dates_sort_and_facets_work_together() {
    let mut old = entry("old", A, "Délibération budget primitif", "budget");
    old.year = 2019;
    old.dates.decision = Some(date!(2019 - 06 - 01));
    let mut draft = entry("draft", B, "Délibération budget supplémentaire", "budget");
    draft.status = "draft".into();
    let (_d, idx) = index(&[old, draft, entry("new", A, "Délibération budget", "budget")]);

    let req = |params: &[(&str, &str)]| SearchRequest::from_params(params.iter().copied()).unwrap();
    let r = idx.search(&req(&[("q", "budget"), ("year_from", "2020")]), &Scope::all()).unwrap();
    assert_eq!(r.total, 2);
    let r = idx.search(&req(&[("q", "budget"), ("to", "2019-06-01")]), &Scope::all()).unwrap();
    assert_eq!(ids(&r), ["old"]);
    let r = idx.search(&req(&[("status", "draft")]), &Scope::all()).unwrap();
    assert_eq!(ids(&r), ["draft"]);
    let r = idx.search(&req(&[("sort", "date_asc")]), &Scope::all()).unwrap();
    assert_eq!(ids(&r)[0], "old");
    assert_eq!(r.hits[0].date, "2019-06-01");
    let r =
        idx.search(&req(&[("sort", "date_desc"), ("limit", "1"), ("offset", "1")]), &Scope::all()).unwrap();
    assert_eq!((r.total, r.hits.len()), (3, 1));

    let r = find(&idx, "");
    let count =
        |facet: &str, value: &str| r.facets[facet].iter().find(|v| v.value == value).map_or(0, |v| v.count);
    assert_eq!((count("collectivite", A), count("collectivite", B)), (2, 1));
    assert_eq!((count("year", "2024"), count("year", "2019")), (2, 1));
    assert_eq!((count("status", "sealed"), count("status", "draft")), (2, 1));
    assert_eq!(count("matiere", "5.2"), 3);
}

#[test]
fn a_malformed_query_or_a_forbidden_field_is_an_invalid_query() {
    let (_d, idx) = index(&[individual("a", A)]);
    let err = |q: &str, scope: &Scope| match idx.search(&SearchRequest::text(q), scope) {
        Err(SearchError::InvalidQuery(m)) => m,
        other => panic!("{q}: expected an invalid query, got {other:?}"),
    };
    assert!(err("title:(", &Scope::all()).contains("syntaxe"));
    assert!(err("nimporte:quoi", &Scope::all()).contains("champ"));
    assert!(err("agent:tronquoy", &Scope::all().without_personal_data()).contains("champ"));
    assert_eq!(idx.search(&SearchRequest::text("agent:tronquoy"), &Scope::all()).unwrap().total, 1);
}

#[test]
fn personal_data_is_neither_searched_nor_returned_without_the_right() {
    let (_d, idx) = index(&[individual("a", A)]);
    let with = idx.search(&SearchRequest::text("Tronquoy"), &Scope::all()).unwrap();
    assert_eq!(with.total, 1);
    assert_eq!(with.hits[0].agent.as_ref().unwrap().matricule.as_deref(), Some("S-2207"));
    assert!(with.hits[0].title.contains("Tronquoy"));

    let without = Scope::all().without_personal_data();
    for q in ["Tronquoy", "Eulalie", "S-2207", "\"S-2207\""] {
        assert_eq!(idx.search(&SearchRequest::text(q), &without).unwrap().total, 0, "{q}");
    }
    let r = idx.search(&SearchRequest::text("disponibilité"), &without).unwrap();
    assert_eq!(r.total, 1);
    let shown = serde_json::to_string(&r).unwrap();
    assert!(!shown.contains("Tronquoy") && !shown.contains("S-2207"), "{shown}");
}

/// The acceptance rule of issue 6: a caller scoped to one collectivité gets
/// zero hits and zero facet counts from any other, whatever the query.
#[test]
fn a_scoped_caller_never_sees_hits_or_counts_of_another_collectivite() {
    let mut entries = Vec::new();
    for (n, s) in [A, B, C].into_iter().enumerate() {
        for k in 0..4 {
            let mut e = entry(&format!("{s}-{k}"), s, "Délibération budget primitif", "avis du CST, budget");
            e.number = Some(format!("2024_DEL_{:05}", n * 10 + k));
            e.year = 2020 + k as u64;
            entries.push(e);
        }
        entries
            .push(Entry { number: Some(format!("2024_ARR_{n:05}")), ..individual(&format!("{s}-ind"), s) });
    }
    let (_d, idx) = index(&entries);
    let queries = [
        "",
        "*",
        "budget",
        "budg*",
        "arr*",
        "comité social territorial",
        "2024_DEL_00010",
        "2024_ARR_00002",
        B,
        C,
        "siren:216296202",
        "collectivite:commune",
        "-budget",
        "NOT budget",
        "budget OR disponibilité",
        "\"budget primitif\"",
        "year:[2000 TO 2030]",
        "title:*",
        "Tronquoy",
    ];
    let filters: [&[(&str, &str)]; 4] = [
        &[],
        &[("collectivite", B)],
        &[("year_from", "2021"), ("sort", "date_desc")],
        &[("status", "sealed")],
    ];
    let mut tried = 0;
    for scope in [Scope::only([siren(A)], true), Scope::only([siren(A)], false)] {
        for q in queries {
            for extra in filters {
                let params = std::iter::once(("q", q)).chain(extra.iter().copied()).chain([("limit", "100")]);
                let req = SearchRequest::from_params(params).unwrap();
                let r = match idx.search(&req, &scope) {
                    Ok(r) => r,
                    Err(SearchError::InvalidQuery(_)) => continue,
                    Err(e) => panic!("{e}"),
                };
                tried += 1;
                assert!(r.hits.iter().all(|h| h.siren == A), "{q} {extra:?}: {r:?}");
                assert_eq!(r.hits.len(), r.total, "{q} {extra:?}");
                for (facet, values) in &r.facets {
                    let sum: u64 = values.iter().map(|v| v.count).sum();
                    assert!(sum <= r.total as u64 || *facet == "matiere", "{facet}");
                    if *facet == "collectivite" {
                        assert!(values.iter().all(|v| v.value == A), "{q} {extra:?}: {values:?}");
                    }
                    if matches!(*facet, "collectivite" | "status" | "year" | "kind") {
                        assert_eq!(sum, r.total as u64, "{q} {extra:?} {facet}");
                    }
                }
            }
        }
    }
    // Only `title:*` is refused; every other query ran.
    assert_eq!(tried, 2 * (queries.len() - 1) * filters.len());
    // The same scope does see its own acts, and an empty scope sees nothing.
    assert_eq!(idx.search(&SearchRequest::text(""), &Scope::only([siren(A)], true)).unwrap().total, 5);
    assert_eq!(idx.search(&SearchRequest::text(""), &Scope::only([], true)).unwrap().total, 0);
}

#[test]
fn clearing_and_restaging_gives_the_same_results() {
    let entries: Vec<Entry> = (0..30)
        .map(|k| entry(&format!("e{k}"), [A, B][k % 2], "Délibération budget", "budget CST"))
        .collect();
    let (_d, idx) = index(&entries);
    let before = find(&idx, "comité social territorial");
    idx.clear().unwrap();
    idx.stage(&entries).unwrap();
    idx.commit().unwrap();
    assert_eq!(find(&idx, "comité social territorial"), before);
    assert_eq!(idx.indexed().unwrap().len(), 30);
}

#[test]
fn sentences_find_acts_whatever_the_elisions_function_words_case_and_ordinals() {
    let (_d, idx) = index(&[
        entry(
            "echelon",
            A,
            "Arrêté portant avancement d’échelon",
            "adjoint technique principal de 1re classe",
        ),
        entry("discipline", A, "Convocation", "séance du conseil de discipline"),
        entry("other", A, "Délibération", "le conseil municipal et la discipline budgétaire"),
        individual("dispo", A),
    ]);
    for q in [
        "avancement d'échelon",
        "avancement d’échelon",
        "AVANCEMENT D'ECHELON",
        "l'avancement d'un échelon",
        "adjoint de première classe",
        "1ère classe",
        "arrêté portant avancement d'échelon d'un adjoint technique principal",
    ] {
        assert_eq!(ids(&find(&idx, q)).first(), Some(&"echelon"), "{q}");
    }
    // Both acts have the words; the one with the phrase comes first.
    assert_eq!(ids(&find(&idx, "conseil de discipline")), ["discipline", "other"]);
    assert_eq!(ids(&find(&idx, "mise en disponibilité")), ["dispo"]);
    assert_eq!(ids(&find(&idx, "Mise en Dispo")), ["dispo"], "synonym, and a prefix of the last word");
    // Only function words: like an empty query.
    assert_eq!(find(&idx, "de la").total, 4);
}

#[test]
fn the_last_word_is_a_prefix_and_partial_names_stay_within_the_access_rules() {
    let (_d, idx) = index(&[individual("a", A), entry("b", A, "Délibération", "subvention")]);
    assert_eq!(ids(&find(&idx, "Tronq")), ["a"]);
    assert_eq!(ids(&find(&idx, "disponibilité Eula")), ["a"]);
    assert_eq!(ids(&find(&idx, "subv")), ["b"]);
    let without = Scope::all().without_personal_data();
    for q in ["Tronq", "Tronquoy", "eulalie tronq"] {
        assert_eq!(idx.search(&SearchRequest::text(q), &without).unwrap().total, 0, "{q}");
    }
    // A finished word (followed by punctuation) is not a prefix.
    assert_eq!(find(&idx, "subv.").total, 0);
}

#[test]
fn whether_the_last_word_is_a_prefix_depends_only_on_the_acts_the_caller_may_see() {
    // A's act spells "dupontel"; "dupont" is, whole, only in B's act and in
    // the name of an agent of A. The last word typed, "Dupont", must find A's
    // act for a caller of A whatever B holds, and for a caller without
    // personal data whatever the agents are named: otherwise the answer
    // would tell whether some act elsewhere, or some agent, has the word.
    let ours = entry("a1", A, "Travaux de voirie", "devis de l'entreprise Dupontel");
    let agent = Entry {
        person: Some(Person {
            name: "M. Noé Dupont".into(),
            matricule: None,
            title: "Arrêté — M. Noé Dupont".into(),
        }),
        ..individual("a2", A)
    };
    let theirs = entry("b1", B, "Travaux de voirie", "devis de l'entreprise Dupont");
    let of_a = Scope::only([siren(A)], false);
    let typed = SearchRequest::text("Dupont");
    let (_d1, alone) = index(std::slice::from_ref(&ours));
    let (_d2, shared) = index(&[ours, agent, theirs]);
    let found = |idx: &SearchIndex| sorted_ids(idx.search(&typed, &of_a).unwrap());
    assert_eq!(found(&alone), ["a1"]);
    assert_eq!(found(&shared), ["a1"]);
    // Who sees every act finds the whole word only.
    assert_eq!(sorted_ids(find(&shared, "Dupont")), ["a2", "b1"]);
}

#[test]
fn a_title_match_ranks_before_a_content_match() {
    let (_d, idx) = index(&[
        entry("body", A, "Délibération", "rapport sur le temps partiel des agents"),
        entry("title", A, "Arrêté portant temps partiel", "quotité de 80 %"),
    ]);
    assert_eq!(ids(&find(&idx, "temps partiel")), ["title", "body"]);
}

#[test]
fn no_text_without_a_field_name_is_a_syntax_error() {
    let (_d, idx) = index(&[individual("a", A)]);
    let alphabet: Vec<char> = "aé’'()[]{}:!^~/\\-+*\"?.,; «»09_ANDORT".chars().collect();
    let mut state: u64 = 0x5eed;
    let mut tried = 0;
    for _ in 0..3_000 {
        let mut text = String::new();
        for _ in 0..1 + state % 12 {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            text.push(alphabet[(state >> 33) as usize % alphabet.len()]);
        }
        if query::names_a_field(&text) {
            continue;
        }
        tried += 1;
        for scope in [Scope::all(), Scope::all().without_personal_data()] {
            if let Err(e) = idx.search(&SearchRequest::text(text.as_str()), &scope) {
                panic!("« {text} »: {e}");
            }
        }
    }
    assert!(tried > 1_000, "{tried}");
}

#[test]
fn a_query_matching_thousands_of_acts_is_ranked_within_the_scope_with_the_title_phrase_first() {
    // More matches than `rank::PRUNE_FROM`: the two-pass ranking.
    let mut entries: Vec<Entry> = (0..12_000)
        .map(|i| {
            let siren = if i % 2 == 0 { A } else { B };
            entry(
                &format!("d{i}"),
                siren,
                "Délibération",
                &format!("réfection de la toiture {i} du grand gymnase"),
            )
        })
        .collect();
    entries.push(entry("phrase-b", B, "Toiture gymnase 2024", "toiture gymnase"));
    entries.push(entry("phrase-a", A, "Toiture gymnase 2024", "toiture gymnase"));
    entries.push(entry("reversed-a", A, "Gymnase et toiture 2024", "toiture gymnase"));
    let (_dir, idx) = index(&entries);
    let scope = Scope::only([siren(A)], false);
    let first = idx.search(&SearchRequest::from_params([("q", "toiture gymnase")]).unwrap(), &scope).unwrap();
    assert_eq!(first.total, 6_002);
    assert_eq!(ids(&first)[..2], ["phrase-a", "reversed-a"]);
    assert_eq!(first.facets["collectivite"], vec![FacetValue { value: A.into(), count: 6_002 }]);
    let second = idx
        .search(&SearchRequest::from_params([("q", "toiture gymnase"), ("offset", "20")]).unwrap(), &scope)
        .unwrap();
    let mut seen: Vec<&str> = ids(&first).into_iter().chain(ids(&second)).collect();
    assert!(first.hits.iter().chain(&second.hits).all(|h| h.siren == A));
    assert_eq!(seen.len(), 40);
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), 40, "pages overlap");
}

#[test]
fn a_selective_filter_leading_the_words_finds_the_same_acts_with_the_same_scores() {
    // Seeking the alternatives of each concept from the filter's acts
    // (`Seek::Lead`) must change the cost only, never the matches or scores.
    let texts = [
        "avis du comité social territorial sur la toiture",
        "délibération CST budget",
        "rapport du gymnase",
        "toiture gymn",
    ];
    let entries: Vec<Entry> = (0..600)
        .map(|i| {
            let siren = [A, B, C][i % 3];
            let title = if i % 7 == 0 { "Avis du CST" } else { "Délibération" };
            entry(&format!("d{i}"), siren, title, texts[i % texts.len()])
        })
        .collect();
    let (_dir, idx) = index(&entries);
    let searcher = idx.reader.searcher();
    let run = |req: &SearchRequest, scope: &Scope, seek| {
        let (q, _) =
            query::build(&searcher, &idx.index, &idx.fields, &idx.synonyms, req, scope, seek).unwrap();
        let mut top =
            searcher.search(&q, &tantivy::collector::TopDocs::with_limit(1_000).order_by_score()).unwrap();
        top.sort_by_key(|(_, a)| *a);
        top
    };
    for text in ["comité social territorial", "CST budget", "rapport gymnase", "Gymn", "avis toitu"] {
        let filtered = SearchRequest::from_params([("q", text), ("collectivite", B)]).unwrap();
        for (req, scope) in
            [(&filtered, Scope::all()), (&SearchRequest::text(text), Scope::only([siren(A)], false))]
        {
            let lead = run(req, &scope, natural::Seek::Lead);
            let walk = run(req, &scope, natural::Seek::Walk);
            assert!(!lead.is_empty(), "{text}");
            assert_eq!(lead.len(), walk.len(), "{text}");
            for ((a, da), (b, db)) in lead.iter().zip(&walk) {
                assert!(da == db && (a - b).abs() < 1e-4, "{text}: {da:?} {a} ≠ {db:?} {b}");
            }
        }
    }
}

mod as_typed;

#[test]
fn an_index_reopened_keeps_its_acts_and_a_damaged_one_is_rebuilt_empty() {
    let entries: Vec<Entry> =
        (0..5).map(|k| entry(&format!("e{k}"), A, "Délibération budget", "budget")).collect();
    let dir = tempfile::tempdir().unwrap();
    let idx = SearchIndex::open(dir.path(), Synonyms::builtin()).unwrap();
    idx.upsert(&entries).unwrap();
    drop(idx);
    // Unsynced writes are read back like synced ones.
    let idx = SearchIndex::open(dir.path(), Synonyms::builtin()).unwrap();
    assert_eq!(idx.len(), 5);
    drop(idx);
    // A segment cut short (a power cut before the kernel wrote it out).
    let segment_file = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "store"))
        .expect("a segment's store file");
    std::fs::write(&segment_file, b"").unwrap();
    let idx = SearchIndex::open(dir.path(), Synonyms::builtin()).unwrap();
    assert!(idx.is_empty(), "a damaged index is emptied, to be caught up from the store");
    idx.upsert(&entries[..2]).unwrap();
    drop(idx);
    // Its meta.json torn.
    std::fs::write(dir.path().join("meta.json"), b"{\"segments\": [").unwrap();
    let idx = SearchIndex::open(dir.path(), Synonyms::builtin()).unwrap();
    assert!(idx.is_empty());
}

#[test]
fn a_search_sees_what_was_staged_before_it_began_without_a_commit_by_the_writer() {
    let (_d, idx) = index(&[entry("e0", A, "Délibération voirie", "voirie")]);
    idx.stage(&[entry("e1", A, "Délibération budget", "budget")]).unwrap();
    assert!(idx.has_staged());
    assert_eq!(ids(&find(&idx, "budget")), ["e1"]);
    assert!(!idx.has_staged(), "the search committed it");
    idx.stage(&[entry("e2", B, "Délibération budget annexe", "budget")]).unwrap();
    assert_eq!(idx.len(), 3);
}
