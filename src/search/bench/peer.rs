//! The PostgreSQL peer figure: the same corpus and the same typical queries,
//! exported as tab-separated files for `scripts/bench-postgres.sh`, which
//! loads them into PostgreSQL (full-text configuration `french`, GIN index)
//! and times the queries there.

use std::io::{BufWriter, Write};
use std::path::Path;

use super::data::{Rng, act, typical_params};
use super::{QUERY_SEED, WARM_UP};
use crate::search::SearchError;

/// Write `acts.tsv` (`count` acts, as `bench corpus --count` generates them)
/// and `queries.tsv` (the warm-up and the `queries` timed typical queries, as
/// `bench search --queries` draws them) into `dir`.
pub fn export(dir: &Path, count: usize, queries: usize) -> Result<(), SearchError> {
    let io = |e: std::io::Error| SearchError::Directory(format!("{}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut out = BufWriter::new(std::fs::File::create(dir.join("acts.tsv")).map_err(io)?);
    let mut rng = Rng(super::CORPUS_SEED);
    for k in 0..count {
        let e = act(&mut rng, k);
        let person = e.person.as_ref().map(|p| p.name.as_str()).unwrap_or_default();
        let fields = [
            e.id.as_str(),
            &e.siren,
            &e.collectivite,
            &e.template,
            &e.kind,
            &e.matiere,
            &e.status,
            e.number.as_deref().unwrap_or_default(),
            &e.title,
            &e.body,
            person,
            &e.year.to_string(),
        ];
        let line: Vec<String> = fields.iter().map(|f| clean(f)).collect();
        writeln!(out, "{}", line.join("\t")).map_err(io)?;
    }
    out.flush().map_err(io)?;
    let mut out = BufWriter::new(std::fs::File::create(dir.join("queries.tsv")).map_err(io)?);
    let mut rng = Rng(QUERY_SEED);
    let warm = queries.min(WARM_UP);
    for i in 0..warm + queries {
        let params = typical_params(&mut rng);
        let values: Vec<String> = params.iter().map(|(_, v)| clean(v)).collect();
        let phase = if i < warm { "warm" } else { "timed" };
        writeln!(out, "{phase}\t{}", values.join("\t")).map_err(io)?;
    }
    out.flush().map_err(io)
}

/// A value safe in PostgreSQL's COPY text format: no tab, newline or backslash.
fn clean(s: &str) -> String {
    s.replace(['\t', '\n', '\r', '\\'], " ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_export_has_every_act_and_the_warm_up_and_timed_queries() {
        let dir = tempfile::tempdir().unwrap();
        super::export(dir.path(), 100, 10).unwrap();
        let acts = std::fs::read_to_string(dir.path().join("acts.tsv")).unwrap();
        assert_eq!(acts.lines().count(), 100);
        assert!(acts.lines().all(|l| l.split('\t').count() == 12), "{acts}");
        let queries = std::fs::read_to_string(dir.path().join("queries.tsv")).unwrap();
        let phases: Vec<&str> = queries.lines().map(|l| l.split('\t').next().unwrap()).collect();
        assert_eq!(phases.iter().filter(|p| **p == "warm").count(), 10);
        assert_eq!(phases.iter().filter(|p| **p == "timed").count(), 10);
    }
}
