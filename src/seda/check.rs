//! acta's own SIP checks: what archive systems verify and xmllint does not.
//!
//! The XSD says nothing of the zip around the manifest and xmllint ignores
//! ID/IDREF links, yet Vitam and As@lae reject a SIP where a file is missing or
//! extra, a digest or size is wrong, a reference dangles, a unit lacks Title or
//! DescriptionLevel, or a group has no single `BinaryMaster_1`. [`check_sip`]
//! reads any SIP (ours or not) and lists every such *problem*; an empty list
//! means the SIP passes.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::{BufReader, Read, Seek};

use sha2::{Digest, Sha256, Sha512};
use zip::ZipArchive;

use super::SedaError;
use super::model::SEDA_NAMESPACE;
use super::names::{CONTENT_DIR, MANIFEST_NAME};
use super::xmlwalk::{self, Visitor, attr, ends_with};

/// The result of checking a SIP.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Archive units in the manifest.
    pub units: usize,
    /// Binary data objects in the manifest.
    pub objects: usize,
    /// Everything wrong, in a stable order; empty when the SIP passes.
    pub problems: Vec<String>,
}

impl CheckReport {
    /// Whether the SIP passed every check.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} unités, {} objets, {} problème(s)", self.units, self.objects, self.problems.len())?;
        for p in &self.problems {
            write!(f, "\n- {p}")?;
        }
        Ok(())
    }
}

/// Check a SIP zip. Errors only when the zip or the manifest cannot be read at all.
pub fn check_sip<R: Read + Seek>(sip: R) -> Result<CheckReport, SedaError> {
    let mut zip = ZipArchive::new(sip)?;
    let mut problems = Vec::new();
    let mut entries: HashMap<String, u64> = HashMap::new();
    for i in 0..zip.len() {
        let file = zip.by_index(i)?;
        let name = file.name()?.into_owned();
        if file.is_dir() {
            if name != CONTENT_DIR {
                problems.push(format!("dossier inattendu : {name}"));
            }
            continue;
        }
        if name != MANIFEST_NAME && !name.starts_with(CONTENT_DIR) {
            problems.push(format!("fichier hors de content/ : {name}"));
        }
        if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-/".contains(&b)) || name.contains("..") {
            problems.push(format!("nom de fichier non sûr : {name:?}"));
        }
        entries.insert(name, file.size());
    }
    if !entries.contains_key(MANIFEST_NAME) {
        return Err(SedaError::MalformedManifest(format!("{MANIFEST_NAME} absent de la racine")));
    }
    let mut facts = Facts::default();
    let root = xmlwalk::walk(BufReader::new(zip.by_name(MANIFEST_NAME)?), &mut facts)
        .map_err(SedaError::MalformedManifest)?;
    if root.name != "ArchiveTransfer" || root.namespace != SEDA_NAMESPACE {
        problems
            .push(format!("racine {{{}}}{} au lieu de ArchiveTransfer SEDA 2.2", root.namespace, root.name));
    }
    facts.check_ids(&mut problems);
    facts.check_units(&mut problems);
    facts.check_groups(&mut problems);
    check_files(&mut zip, &facts, &entries, &mut problems)?;
    Ok(CheckReport { units: facts.units.len(), objects: facts.objects.len(), problems })
}

/// What the manifest says, as far as the checks need.
#[derive(Default)]
struct Facts {
    /// Every `id` attribute with its element name.
    ids: Vec<(String, String)>,
    /// IDREF values: (element, value).
    refs: Vec<(String, String)>,
    units: Vec<Unit>,
    open_units: Vec<usize>,
    objects: Vec<Object>,
    /// Group id of each object (None for a bare object).
    group_of_object: Vec<Option<String>>,
    groups: Vec<String>,
    open_group: Option<String>,
}

#[derive(Default)]
struct Unit {
    id: String,
    title: bool,
    level: bool,
}

#[derive(Default)]
struct Object {
    id: String,
    version: Option<String>,
    uri: Option<String>,
    algorithm: Option<String>,
    digest: Option<String>,
    size: Option<String>,
}

impl Visitor for Facts {
    fn start(&mut self, path: &[String], attrs: &[(String, String)]) {
        let name = path.last().map(String::as_str).unwrap_or_default();
        let id = attr(attrs, "id").unwrap_or_default().to_owned();
        if !id.is_empty() {
            self.ids.push((name.to_owned(), id.clone()));
        }
        match name {
            "ArchiveUnit" => {
                self.open_units.push(self.units.len());
                self.units.push(Unit { id, ..Unit::default() });
            }
            "DataObjectGroup" => {
                self.groups.push(id.clone());
                self.open_group = Some(id);
            }
            "BinaryDataObject" => {
                self.objects.push(Object { id, ..Object::default() });
                self.group_of_object.push(self.open_group.clone());
            }
            "MessageDigest" if ends_with(path, &["BinaryDataObject", "MessageDigest"]) => {
                if let Some(o) = self.objects.last_mut() {
                    o.algorithm = attr(attrs, "algorithm").map(str::to_owned);
                }
            }
            _ => {}
        }
    }

    fn end(&mut self, path: &[String], text: &str) {
        let name = path.last().map(String::as_str).unwrap_or_default();
        let text = text.trim();
        match name {
            "ArchiveUnit" => {
                self.open_units.pop();
            }
            "DataObjectGroup" => self.open_group = None,
            "DataObjectGroupReferenceId" | "DataObjectReferenceId" | "ArchiveUnitRefId" => {
                self.refs.push((name.to_owned(), text.to_owned()));
            }
            "Title" | "DescriptionLevel" if ends_with(path, &["ArchiveUnit", "Content", name]) => {
                if let Some(u) = self.open_units.last().and_then(|&i| self.units.get_mut(i)) {
                    let flag = if name == "Title" { &mut u.title } else { &mut u.level };
                    *flag |= !text.is_empty();
                }
            }
            "DataObjectVersion" | "Uri" | "MessageDigest" | "Size"
                if ends_with(path, &["BinaryDataObject", name]) =>
            {
                if let Some(o) = self.objects.last_mut() {
                    let field = match name {
                        "DataObjectVersion" => &mut o.version,
                        "Uri" => &mut o.uri,
                        "MessageDigest" => &mut o.digest,
                        _ => &mut o.size,
                    };
                    *field = Some(text.to_owned());
                }
            }
            _ => {}
        }
    }
}

impl Facts {
    fn check_ids(&self, problems: &mut Vec<String>) {
        let mut kinds: HashMap<&str, &str> = HashMap::new();
        for (element, id) in &self.ids {
            if kinds.insert(id, element).is_some() {
                problems.push(format!("identifiant en double : {id}"));
            }
        }
        for (element, value) in &self.refs {
            let expected = match element.as_str() {
                "DataObjectGroupReferenceId" => "DataObjectGroup",
                "DataObjectReferenceId" => "BinaryDataObject",
                _ => "ArchiveUnit",
            };
            if kinds.get(value.as_str()) != Some(&expected) {
                problems.push(format!("{element} {value:?} ne désigne aucun {expected}"));
            }
        }
    }

    fn check_units(&self, problems: &mut Vec<String>) {
        for u in &self.units {
            if !u.title {
                problems.push(format!("unité {} sans Title", u.id));
            }
            if !u.level {
                problems.push(format!("unité {} sans DescriptionLevel", u.id));
            }
        }
    }

    fn check_groups(&self, problems: &mut Vec<String>) {
        let referenced: HashSet<&str> = self
            .refs
            .iter()
            .filter(|(e, _)| e == "DataObjectGroupReferenceId")
            .map(|(_, v)| v.as_str())
            .collect();
        for group in &self.groups {
            let masters = self
                .objects
                .iter()
                .zip(&self.group_of_object)
                .filter(|(o, g)| {
                    g.as_deref() == Some(group) && o.version.as_deref() == Some("BinaryMaster_1")
                })
                .count();
            if masters != 1 {
                problems.push(format!("groupe {group} : {masters} BinaryMaster_1 au lieu d'un"));
            }
            if !referenced.contains(group.as_str()) {
                problems.push(format!("groupe {group} référencé par aucune unité"));
            }
        }
        for (o, g) in self.objects.iter().zip(&self.group_of_object) {
            if g.is_none() {
                problems.push(format!("objet {} hors de tout DataObjectGroup", o.id));
            }
        }
    }
}

fn check_files<R: Read + Seek>(
    zip: &mut ZipArchive<R>,
    facts: &Facts,
    entries: &HashMap<String, u64>,
    problems: &mut Vec<String>,
) -> Result<(), SedaError> {
    let mut uris = HashSet::new();
    for o in &facts.objects {
        let Some(uri) = &o.uri else {
            problems.push(format!("objet {} sans Uri", o.id));
            continue;
        };
        if !uris.insert(uri.as_str()) {
            problems.push(format!("Uri en double : {uri}"));
            continue;
        }
        let Some(&size) = entries.get(uri) else {
            problems.push(format!("objet {} : {uri} absent du SIP", o.id));
            continue;
        };
        if o.size.as_deref() != Some(size.to_string().as_str()) {
            problems.push(format!("objet {} : Size {:?} mais {size} octets", o.id, o.size));
        }
        let actual = match o.algorithm.as_deref() {
            Some("SHA-512" | "http://www.w3.org/2001/04/xmlenc#sha512") => hash_entry::<Sha512, R>(zip, uri)?,
            Some("SHA-256" | "http://www.w3.org/2001/04/xmlenc#sha256") => hash_entry::<Sha256, R>(zip, uri)?,
            other => {
                problems
                    .push(format!("objet {} : algorithme d'empreinte non pris en charge {other:?}", o.id));
                continue;
            }
        };
        if o.digest.as_deref() != Some(actual.as_str()) {
            problems.push(format!("objet {} : MessageDigest {:?} mais {actual} recalculé", o.id, o.digest));
        }
    }
    let mut unreferenced: Vec<&String> =
        entries.keys().filter(|n| *n != MANIFEST_NAME && !uris.contains(n.as_str())).collect();
    unreferenced.sort();
    for name in unreferenced {
        problems.push(format!("fichier non référencé par le bordereau : {name}"));
    }
    Ok(())
}

fn hash_entry<D: Digest, R: Read + Seek>(zip: &mut ZipArchive<R>, name: &str) -> Result<String, SedaError> {
    let mut file = zip.by_name(name)?;
    let mut hasher = D::new();
    let mut buf = vec![0; 256 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}
