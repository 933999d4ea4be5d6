//! The fictitious corpus: deterministic acts drawn from the vocabulary of
//! real ones, and the typical queries timed on it (shared by the tantivy
//! benchmark and the PostgreSQL peer export, so both run the same queries).

use time::{Date, Month};

use super::super::{Dates, Entry, Person};
use super::COLLECTIVITES;

pub(super) const QUERIES: &[&str] = &[
    "arrêté disponibilité",
    "avancement échelon",
    "temps partiel",
    "budget primitif",
    "régime indemnitaire",
    "comité social territorial",
    "stationnement interdit",
    "nomination stagiaire",
    "tarifs cantine",
    "subvention association",
    "délégation signature",
    "travaux voirie",
];

/// Queries as people type them: function words, elisions with either
/// apostrophe, a sentence (what the word pairs above could not show).
pub(super) const NATURAL_QUERIES: &[&str] = &[
    "arrêté de mise en disponibilité",
    "avancement d'échelon",
    "avancement d’échelon d'un adjoint technique",
    "le régime indemnitaire des agents",
    "avis du comité social territorial",
    "délégation de signature",
    "tarifs de la cantine",
    "subvention à l'association",
    "travaux de voirie et stationnement",
    "nomination d'un stagiaire",
    "l'arrêté de temps partiel",
    "budget primitif de l’exercice",
];

/// One "typical" query (two words + collectivité + year range + facets):
/// its parameters as `GET /api/v1/search` takes them.
pub(super) fn typical_params(rng: &mut Rng) -> [(&'static str, String); 4] {
    let y = 2010 + rng.below(13);
    let (year_from, year_to) = (y.to_string(), (y + rng.below(4) + 1).to_string());
    [
        ("q", pick(rng, QUERIES).to_owned()),
        ("collectivite", siren(rng.below(COLLECTIVITES))),
        ("year_from", year_from),
        ("year_to", year_to),
    ]
}

/// A valid SIREN for collectivité `n` (Luhn check digit).
pub fn siren(n: u64) -> String {
    let base = format!("21{:06}", 100_000 + n);
    let digits: Vec<u32> = base.chars().filter_map(|c| c.to_digit(10)).collect();
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    format!("{base}{}", (10 - sum % 10) % 10)
}

const PLACES: &[&str] = &[
    "Aubre", "Marquen", "Ombel", "Hesdin", "Fressen", "Wimil", "Audres", "Bercq", "Canche", "Dunel",
    "Escaut", "Fruges", "Gravel", "Hucque", "Isber", "Lumbre",
];
const SUFFIXES: &[&str] = &[
    "court",
    "val-sur-Canche",
    "les-Dunes",
    "ville",
    "ghem",
    "bert",
    "sur-Authie",
    "en-Artois",
    "thun",
    "hove",
];
const FIRST: &[&str] = &[
    "Camille",
    "Léonie",
    "Eulalie",
    "Noé",
    "Théodric",
    "Aldric",
    "Bérengère",
    "Mélisande",
    "Gontran",
    "Apolline",
    "Sidoine",
    "Clothilde",
    "Hippolyte",
    "Ysaline",
    "Barnabé",
    "Philomène",
];
const LAST: &[&str] = &[
    "Durand",
    "Tronquoy",
    "Wattebled",
    "Cœurdevey",
    "Plouvenel",
    "Wimetz",
    "Caudrelier",
    "Pruvost",
    "Lefebvre",
    "Dezoteux",
    "Hocquinghem",
    "Tillequin",
    "Bracquemart",
    "Fouquerolle",
    "Amelinckx",
    "Dausseville",
];
const GRADES: &[&str] = &[
    "adjoint administratif principal de 2e classe",
    "rédacteur principal de 1re classe",
    "adjoint technique territorial",
    "agent de maîtrise principal",
    "attaché territorial",
    "technicien principal de 2e classe",
    "auxiliaire de puériculture",
    "agent territorial spécialisé des écoles maternelles",
];

/// (template, kind, series, nature, matière, title, individual, sentences)
type Model = (
    &'static str,
    &'static str,
    &'static str,
    u64,
    &'static str,
    &'static str,
    bool,
    &'static [&'static str],
);

const MODELS: &[Model] = &[
    (
        "arrete-disponibilite",
        "arrete",
        "ARR",
        3,
        "4.1",
        "Arrêté portant mise en disponibilité",
        true,
        &[
            "Vu la demande de l'agent tendant à être placé en disponibilité pour convenances personnelles",
            "Considérant que les nécessités du service ne s'opposent pas à cette mise en disponibilité",
            "L'agent est placé en disponibilité pour une durée d'un an renouvelable",
        ],
    ),
    (
        "arrete-avancement-echelon",
        "arrete",
        "ARR",
        3,
        "4.1",
        "Arrêté portant avancement d'échelon",
        true,
        &[
            "Vu le tableau d'avancement d'échelon établi au titre de l'année",
            "L'agent est promu à l'échelon supérieur de son grade avec une ancienneté conservée",
            "Le traitement sera calculé sur la base de l'indice brut correspondant",
        ],
    ),
    (
        "arrete-temps-partiel",
        "arrete",
        "ARR",
        3,
        "4.1",
        "Arrêté portant temps partiel",
        true,
        &[
            "Vu la demande d'exercice des fonctions à temps partiel sur autorisation",
            "L'agent est autorisé à exercer ses fonctions à temps partiel à quatre-vingts pour cent",
            "La rémunération est calculée au prorata de la durée de service accomplie",
        ],
    ),
    (
        "arrete-nomination-stagiaire",
        "arrete",
        "ARR",
        3,
        "4.1",
        "Arrêté portant nomination stagiaire",
        true,
        &[
            "Vu la déclaration de vacance d'emploi transmise au centre de gestion",
            "L'agent est nommé stagiaire pour une durée d'un an",
            "Le comité social territorial a été informé de cette nomination",
        ],
    ),
    (
        "deliberation",
        "deliberation",
        "DEL",
        1,
        "7.1",
        "Délibération du conseil municipal",
        false,
        &[
            "Le conseil municipal adopte le budget primitif de l'exercice à l'unanimité",
            "Après avis du CST, le régime indemnitaire tenant compte des fonctions est modifié",
            "Une subvention est attribuée à l'association sportive de la commune",
            "Les tarifs de la cantine scolaire et de la garderie périscolaire sont fixés",
            "Le maire est autorisé à signer la convention avec le centre de gestion",
        ],
    ),
    (
        "arrete-police-circulation",
        "arrete",
        "ARR",
        2,
        "6.1",
        "Arrêté de police de la circulation",
        false,
        &[
            "Pendant la durée des travaux de voirie, le stationnement est interdit rue de l'Église",
            "La circulation est alternée par feux tricolores au droit du chantier",
            "Une déviation est mise en place par la route départementale",
        ],
    ),
    (
        "convocation-conseil-municipal",
        "convocation",
        "CONV",
        6,
        "5.2",
        "Convocation du conseil municipal",
        false,
        &[
            "Les conseillers municipaux sont convoqués en séance publique à la salle du conseil",
            "Ordre du jour : approbation du procès-verbal, budget, tarifs, questions diverses",
        ],
    ),
    (
        "proces-verbal-seance",
        "proces-verbal",
        "PV",
        6,
        "5.2",
        "Procès-verbal de la séance",
        false,
        &[
            "La séance est ouverte sous la présidence du maire, le quorum étant atteint",
            "Le procès-verbal de la séance précédente est approuvé sans observation",
            "Les délibérations sont adoptées à la majorité des suffrages exprimés",
        ],
    ),
];

pub(super) fn act(rng: &mut Rng, k: usize) -> Entry {
    // Two thirds individual acts, as in a Centre de gestion's flow.
    let m = if rng.below(3) < 2 { rng.below(4) } else { 4 + rng.below(4) };
    let (template, kind, series, nature, matiere, title, individual, sentences) = MODELS[m as usize];
    let c = rng.below(COLLECTIVITES);
    let year = 2010 + rng.below(17);
    let day = Date::from_calendar_date(
        year as i32,
        Month::try_from(1 + rng.below(12) as u8).unwrap_or(Month::January),
        1 + rng.below(28) as u8,
    )
    .unwrap_or(Date::MIN);
    let created = day.midnight().assume_utc();
    let sealed = rng.below(20) != 0;
    let mut body = String::with_capacity(600);
    for _ in 0..3 + rng.below(3) {
        body.push_str(pick(rng, sentences));
        body.push_str(". ");
    }
    let person = individual.then(|| {
        body.push_str("Grade : ");
        body.push_str(pick(rng, GRADES));
        body.push_str(". ");
        let name = format!(
            "{} {} {}",
            if rng.below(2) == 0 { "Mme" } else { "M." },
            pick(rng, FIRST),
            pick(rng, LAST)
        );
        Person {
            title: format!("{title} — {name}"),
            name,
            matricule: Some(format!("M-{:05}", rng.below(99_999))),
        }
    });
    body.push_str("Le présent acte peut faire l'objet d'un recours devant le tribunal administratif de Lille dans un délai de deux mois.");
    Entry {
        id: format!("bench-{k:08}"),
        siren: siren(c),
        collectivite: format!(
            "Commune de {}{}",
            PLACES[(c % 16) as usize],
            SUFFIXES[((c / 16) % 10) as usize]
        ),
        template: template.into(),
        kind: kind.into(),
        nature,
        matiere: matiere.into(),
        status: if sealed { "sealed" } else { "draft" }.into(),
        number: sealed.then(|| format!("{year}_{series}_{:05}", k % 100_000)),
        title: title.into(),
        body,
        person,
        dates: Dates {
            decision: Some(day),
            effect: individual.then(|| day.next_day().unwrap_or(day)),
            seance: (kind == "deliberation").then_some(day),
            publication: (!individual && sealed).then(|| day.next_day().unwrap_or(day)),
            created,
            sealed: sealed.then(|| created + time::Duration::days(1)),
        },
        year,
    }
}

pub(super) fn pick<'a>(rng: &mut Rng, from: &[&'a str]) -> &'a str {
    from[rng.below(from.len() as u64) as usize]
}

/// SplitMix64: fast, deterministic, good enough for test data.
pub(super) struct Rng(pub(super) u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
