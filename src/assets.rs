//! Assets: the template sources and JSON Schemas acta works from.
//!
//! They are built into the binary (so a deployed acta renders exactly what was
//! tested, whatever its working directory) and can be replaced by a directory on
//! disk for template authors (`templates_dir`, `schemas_dir`). Either way they
//! are read once, at start-up, into a map from a rooted path (`/lib/entete.typ`)
//! to bytes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");
static SCHEMAS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/schemas");
static LOGOS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/fixtures/logos");

/// A read-only tree of files keyed by rooted path (`/a/b.typ`).
#[derive(Debug, Clone, Default)]
pub struct FileTree(BTreeMap<String, Vec<u8>>);

/// Failure to read an asset directory.
#[derive(Debug, thiserror::Error)]
#[error("cannot read asset directory {path}")]
pub struct AssetError {
    path: PathBuf,
    source: std::io::Error,
}

impl FileTree {
    /// The built-in Typst templates.
    pub fn builtin_templates() -> Self {
        Self::from_embedded(&TEMPLATES)
    }

    /// The built-in JSON Schemas.
    pub fn builtin_schemas() -> Self {
        Self::from_embedded(&SCHEMAS)
    }

    /// The logos of the demo collectivités.
    pub fn builtin_logos() -> Self {
        Self::from_embedded(&LOGOS)
    }

    /// `dir` when given, else `builtin()`.
    pub fn from_dir_or(dir: Option<&Path>, builtin: fn() -> Self) -> Result<Self, AssetError> {
        match dir {
            Some(d) => Self::from_dir(d),
            None => Ok(builtin()),
        }
    }

    fn from_embedded(dir: &Dir<'static>) -> Self {
        let mut map = BTreeMap::new();
        let mut stack = vec![dir];
        while let Some(d) = stack.pop() {
            for f in d.files() {
                map.insert(rooted(f.path()), f.contents().to_vec());
            }
            stack.extend(d.dirs());
        }
        Self(map)
    }

    /// Every file below `root`, recursively.
    pub fn from_dir(root: &Path) -> Result<Self, AssetError> {
        let err = |source| AssetError { path: root.to_owned(), source };
        let mut map = BTreeMap::new();
        let mut stack = vec![root.to_owned()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).map_err(err)? {
                let path = entry.map_err(err)?.path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let bytes = std::fs::read(&path).map_err(err)?;
                    let rel = path.strip_prefix(root).unwrap_or(&path);
                    map.insert(rooted(rel), bytes);
                }
            }
        }
        Ok(Self(map))
    }

    /// The file at a rooted path.
    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.0.get(path).map(Vec::as_slice)
    }

    /// Every (rooted path, bytes) pair, ordered by path.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }
}

fn rooted(rel: &Path) -> String {
    let parts: Vec<_> = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect();
    format!("/{}", parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_trees_are_keyed_by_rooted_paths() {
        let t = FileTree::builtin_templates();
        assert!(t.get("/lib/acte.typ").is_some());
        assert!(t.iter().all(|(p, _)| p.starts_with('/') && !p.contains("..")));
    }
}
