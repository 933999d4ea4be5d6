//! French labels of the member names the templates use, for schemas that
//! give no `title` (a schema's `title` always wins). A name missing here
//! is shown readable: `date_effet` → « Date effet ».

/// The label of member `key`.
pub fn label(key: &str) -> String {
    match LABELS.binary_search_by_key(&key, |(k, _)| k) {
        Ok(i) => LABELS[i].1.to_owned(),
        Err(_) => readable(key),
    }
}

/// An enum value of a schema as the form shows it: accents and the small
/// words the code leaves out (`mise_retraite_office` → « mise à la retraite
/// d'office »); a value missing here loses only its underscores.
pub fn choice(value: &str) -> String {
    match CHOICES.binary_search_by_key(&value, |(k, _)| k) {
        Ok(i) => CHOICES[i].1.to_owned(),
        Err(_) => value.replace('_', " "),
    }
}

/// Sorted by value (checked by a test).
const CHOICES: &[(&str, &str)] = &[
    ("abaissement_echelon", "abaissement d'échelon"),
    ("abandon_poste", "abandon de poste"),
    ("accident_service", "accident de service"),
    ("accident_trajet", "accident de trajet"),
    ("amelioration_sante", "amélioration de l'état de santé"),
    ("apres_avis", "après avis"),
    ("blame", "blâme"),
    ("citis", "CITIS (invalidité temporaire imputable au service)"),
    ("cld", "CLD (longue durée)"),
    ("clm", "CLM (longue maladie)"),
    ("cmo", "CMO (maladie ordinaire)"),
    ("cnracl", "CNRACL"),
    ("conges", "congés"),
    ("creation", "création"),
    ("creation_entreprise", "création d'entreprise"),
    ("deces", "décès"),
    ("defavorable", "défavorable"),
    ("demission", "démission"),
    ("donner_soins", "donner des soins"),
    ("elever_enfant", "élever un enfant"),
    ("etudes_recherches", "études ou recherches"),
    ("exclusion_1", "exclusion de 1 à 3 jours (1er groupe)"),
    ("exclusion_2", "exclusion de 4 à 15 jours (2e groupe)"),
    ("exclusion_3", "exclusion de 16 jours à 2 ans (3e groupe)"),
    ("invalidite", "invalidité"),
    ("limite_age", "limite d'âge"),
    ("mandat_elu", "mandat d'élu"),
    ("mise_retraite_office", "mise à la retraite d'office"),
    ("pleniere", "plénière"),
    ("presumee", "présumée"),
    ("radiation_tableau", "radiation du tableau d'avancement"),
    ("readaptation", "réadaptation"),
    ("refus_titularisation", "refus de titularisation"),
    ("regime_general", "régime général"),
    ("retrogradation", "rétrogradation"),
    ("revocation", "révocation"),
    ("suivre_conjoint", "suivre son conjoint"),
    ("tarifs_voirie_stationnement", "tarifs de voirie et de stationnement"),
    ("taux_promotion", "taux de promotion"),
    ("troisieme_concours", "troisième concours"),
];

fn readable(key: &str) -> String {
    let words = key.replace('_', " ");
    let mut c = words.chars();
    c.next().map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

/// Sorted by name (checked by a test).
const LABELS: &[(&str, &str)] = &[
    ("absents", "Absents"),
    ("abstentions", "Abstentions"),
    ("acte_qualite", "Qualité pour agir"),
    ("affaires", "Affaires"),
    ("agent", "Agent"),
    ("agent_remplace", "Agent remplacé"),
    ("ampliations", "Ampliations"),
    ("ancien", "Ancien échelon"),
    ("anciennete_conservee", "Ancienneté conservée"),
    ("annee", "Année"),
    ("annee_tableau", "Année du tableau d'avancement"),
    ("annees", "Années"),
    ("arrete_abroge", "Arrêté abrogé"),
    ("arrete_attribution", "Arrêté d'attribution"),
    ("arrete_precedent", "Arrêté précédent"),
    ("articles", "Articles"),
    ("attributions_l2122_22", "Attributions déléguées par le conseil (L. 2122-22)"),
    ("auteur", "Auteur"),
    ("autorite", "Autorité"),
    ("autorite_territoriale", "Autorité territoriale"),
    ("avis_cst", "Avis du comité social territorial"),
    ("base", "Base de rémunération"),
    ("caractere", "Caractère"),
    ("cas_l332_8", "Cas de recrutement (L. 332-8)"),
    ("categorie", "Catégorie"),
    ("cdi", "Contrat à durée indéterminée"),
    ("civilite", "Civilité"),
    ("classement", "Classement"),
    ("college", "Collège"),
    ("condition", "Condition"),
    ("conges_jours", "Congés (jours)"),
    ("conseillers", "Conseillers"),
    ("considerants", "Considérants"),
    ("consultation", "Consultation"),
    ("contractuel", "Emploi ouvert aux contractuels"),
    ("contre", "Contre"),
    ("date", "Date"),
    ("date_arrete", "Date de l'arrêté"),
    ("date_convocation", "Date de la convocation"),
    ("date_debut", "Date de début"),
    ("date_decision", "Date de la décision"),
    ("date_demande", "Date de la demande"),
    ("date_effet", "Date d'effet"),
    ("date_envoi", "Date d'envoi"),
    ("date_fin", "Date de fin"),
    ("date_saisine", "Date de saisine"),
    ("date_seance_initiale", "Date de la séance initiale"),
    ("debut", "Début"),
    ("decision", "Décision"),
    ("decisions_delegation", "Décisions prises par délégation"),
    ("declaration_vacance", "Déclaration de vacance"),
    ("delegataire", "Délégataire"),
    ("deliberation", "Délibération"),
    ("deliberation_emploi", "Délibération créant l'emploi"),
    ("deliberation_l2122_22", "Délibération portant délégation au maire (L. 2122-22)"),
    ("deliberation_ratios", "Délibération fixant les ratios"),
    ("deliberations", "Délibérations"),
    ("demande", "Demande"),
    ("demande_scrutin", "Demande de scrutin"),
    ("demandeur", "Demandeur"),
    ("derogations", "Dérogations"),
    ("deviation", "Déviation"),
    ("discussions", "Discussions"),
    ("duree_hebdomadaire", "Durée hebdomadaire"),
    ("duree_mois", "Durée (mois)"),
    ("duree_stage_mois", "Durée du stage (mois)"),
    ("echelon", "Échelon"),
    ("echelon_actuel", "Échelon actuel"),
    ("effectif", "Effectif"),
    ("emploi", "Emploi"),
    ("employeur", "Employeur"),
    ("enquete", "Enquête"),
    ("etablie_par", "Établie par"),
    ("examen_professionnel", "Examen professionnel"),
    ("exclusion", "Exclusion temporaire"),
    ("exclusions", "Exclusions"),
    ("excuse", "Excusé"),
    ("execution", "Exécution"),
    ("expose", "Exposé"),
    ("fin", "Fin"),
    ("fonction", "Fonction"),
    ("fondement", "Fondement du recrutement"),
    ("formation_integration", "Formation d'intégration"),
    ("fourriere", "Fourrière"),
    ("grade", "Grade"),
    ("grade_inferieur", "Grade inférieur"),
    ("grade_nouveau", "Nouveau grade"),
    ("grade_tableau", "Grade du tableau d'avancement"),
    ("heure", "Heure"),
    ("heure_cloture", "Heure de clôture"),
    ("heure_ouverture", "Heure d'ouverture"),
    ("heures", "Heures"),
    ("imputation", "Imputation budgétaire"),
    ("indice_brut", "Indice brut"),
    ("indice_majore", "Indice majoré"),
    ("instance", "Instance"),
    ("jours", "Jours"),
    ("lieu", "Lieu"),
    ("lignes_directrices", "Lignes directrices de gestion"),
    ("liste_aptitude", "Liste d'aptitude"),
    ("mandant", "Mandant"),
    ("mandataire", "Mandataire"),
    ("matiere", "Matière"),
    ("matieres", "Matières"),
    ("matricule", "Matricule"),
    ("maximum_statutaire_mois", "Durée maximale statutaire (mois)"),
    ("membres", "Membres"),
    ("membres_en_exercice", "Membres en exercice"),
    ("mention_delegation", "Mention de la délégation"),
    ("mesures", "Mesures"),
    ("minutes", "Minutes"),
    ("mois", "Mois"),
    ("montant_mensuel", "Montant mensuel"),
    ("motif", "Motif"),
    ("motif_droit", "Motif du temps partiel de droit"),
    ("motif_fin", "Motif de la fin du versement"),
    ("mouvements", "Mouvements"),
    ("nature", "Nature"),
    ("nature_conges", "Nature des congés"),
    ("ne_prennent_pas_part", "Ne prennent pas part au vote"),
    ("nom", "Nom"),
    ("nomination_stagiaire", "Nomination stagiaire"),
    ("noms", "Noms"),
    ("nouveau", "Nouvel échelon"),
    ("numero", "Numéro"),
    ("numero_ordre", "Numéro d'ordre"),
    ("objet", "Objet"),
    ("ordre_du_jour", "Ordre du jour"),
    ("organisateur", "Organisateur"),
    ("organisation", "Organisation"),
    ("periode", "Période"),
    ("point", "Point de l'ordre du jour"),
    ("pour", "Pour"),
    ("poursuite", "Poursuite"),
    ("pouvoirs", "Pouvoirs"),
    ("preavis_jours", "Préavis (jours)"),
    ("prenom", "Prénom"),
    ("presences", "Présences"),
    ("presents", "Présents"),
    ("president", "Président de séance"),
    ("projet", "Projet"),
    ("prolongation", "Prolongation"),
    ("publication", "Publication"),
    ("publicite", "Publicité"),
    ("publique", "Séance publique"),
    ("qualite", "Qualité"),
    ("questions_diverses", "Questions diverses"),
    ("quotite", "Quotité (%)"),
    ("radiation_complementaire", "Radiation complémentaire"),
    ("rapport", "Rapport"),
    ("rapport_fin_stage", "Rapport de fin de stage"),
    ("rapporteur", "Rapporteur"),
    ("reference", "Référence"),
    ("regime", "Régime"),
    ("representes", "Représentés"),
    ("responsable", "Responsable"),
    ("resultat", "Résultat"),
    ("retrait", "Retrait de l'ordre du jour"),
    ("sans_deliberation", "Sans délibération"),
    ("scrutin", "Scrutin"),
    ("seance", "Séance"),
    ("seconde_convocation", "Seconde convocation"),
    ("secretaire", "Secrétaire de séance"),
    ("secretaires", "Secrétaires"),
    ("section", "Section"),
    ("session", "Session"),
    ("siege", "Siège"),
    ("signalisation", "Signalisation"),
    ("signataire", "Signataire"),
    ("site_internet", "Site internet"),
    ("statut", "Statut"),
    ("statut_particulier", "Statut particulier"),
    ("subdelegation_autorisee", "Subdélégation autorisée"),
    ("suivi_par", "Dossier suivi par"),
    ("suppleant", "Suppléant"),
    ("tableau_avancement", "Tableau d'avancement"),
    ("taux", "Taux"),
    ("transmission_prefet", "Transmission au préfet"),
    ("urgence", "Urgence"),
    ("visas", "Visas complémentaires"),
    ("voie", "Voie"),
    ("voies", "Voies"),
    ("voix_preponderante", "Voix prépondérante"),
    ("vote", "Vote"),
];

#[cfg(test)]
mod tests {
    #[test]
    fn choices_are_sorted_and_read_in_french() {
        assert!(super::CHOICES.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(super::choice("troisieme_concours"), "troisième concours");
        assert_eq!(super::choice("concours_externe"), "concours externe");
        // Every value written here is one a schema offers (no stale entry).
        let all: String = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/schemas"))
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect();
        for (value, _) in super::CHOICES {
            assert!(all.contains(&format!("\"{value}\"")), "{value} is in no schema");
        }
    }

    #[test]
    fn labels_are_sorted_so_the_lookup_finds_them() {
        assert!(super::LABELS.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(super::label("date_effet"), "Date d'effet");
        assert_eq!(super::label("inconnu_ici"), "Inconnu ici");
    }

    /// A member the form shows without a schema `title` gets a French label
    /// written here (the readable fallback loses accents: « Autorite »).
    #[test]
    fn every_untitled_member_of_every_schema_has_a_french_label() {
        fn walk(s: &serde_json::Value, file: &str, missing: &mut Vec<String>) {
            let Some(o) = s.as_object() else { return };
            for (k, v) in o.get("properties").and_then(|p| p.as_object()).into_iter().flatten() {
                // `not: {}` forbids a member in a conditional branch: never a field.
                let shown = v.is_object() && v.get("title").is_none() && v.get("not").is_none();
                if shown && super::LABELS.binary_search_by_key(&k.as_str(), |(k, _)| k).is_err() {
                    missing.push(format!("{file}: {k}"));
                }
                walk(v, file, missing);
            }
            for (k, v) in o {
                match v {
                    serde_json::Value::Object(_) if k != "properties" => walk(v, file, missing),
                    serde_json::Value::Array(a) => a.iter().for_each(|v| walk(v, file, missing)),
                    _ => {}
                }
            }
        }
        let mut missing = Vec::new();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let schema: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            walk(&schema, &path.file_name().unwrap().to_string_lossy(), &mut missing);
        }
        assert!(missing.is_empty(), "members without a title nor a label: {missing:#?}");
    }
}
