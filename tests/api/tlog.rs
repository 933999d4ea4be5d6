//! The register log checked by an independent implementation: a log is built
//! with the library in a local store, then `tests/tools/tlog_check.py`
//! (Python standard library only, written from the RFCs and C2SP specs)
//! recomputes the root from the leaves and from the tiles, checks every tile,
//! entry bundle and kept checkpoint, and compares acta's proofs with its own.

use std::path::Path;
use std::process::{Command, Output};

use acta::store::Store;
use acta::tlog::{Log, NoteSigner, verify_checkpoint};
use serde_json::json;

fn run_checker(dir: &Path, proofs: &Path) -> Output {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/tlog_check.py");
    Command::new("python3").arg(script).arg(dir).arg(proofs).output().expect("python3 runs")
}

#[tokio::test]
async fn an_independent_implementation_agrees_with_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::local(dir.path()).unwrap();
    let signer = NoteSigner::from_seed("actes.example.fr/registre/v1", [5; 32]).unwrap();
    let vkey = signer.verifier().vkey();
    let log = Log::new(store, signer);
    // 700 leaves: two full tiles, a partial one, and a level-1 tile, with
    // checkpoints at sizes that end inside and on tile boundaries.
    let mut sizes = Vec::new();
    for i in 0..700u64 {
        log.append(format!("acte-test/v1\nn {i}\n").as_bytes()).await.unwrap();
        if [0, 6, 255, 256, 300, 511, 512, 699].contains(&i) {
            sizes.push(log.integrate().await.unwrap().size);
        }
    }
    let signed = log.checkpoint().await.unwrap().unwrap();
    assert_eq!(verify_checkpoint(&signed.note, &vkey).unwrap().size, 700);

    let mut inclusion = Vec::new();
    for (index, size) in
        [(0, 1), (3, 7), (255, 256), (256, 257), (100, 300), (511, 512), (0, 700), (699, 700), (345, 700)]
    {
        let proof = log.inclusion_proof(index, size).await.unwrap();
        inclusion.push(json!({ "index": index, "size": size, "proof": proof.iter().map(hex::encode).collect::<Vec<_>>() }));
    }
    let mut consistency = Vec::new();
    for (old, new) in
        [(1, 7), (7, 256), (256, 257), (300, 512), (257, 700), (512, 700), (1, 700), (699, 700), (700, 700)]
    {
        let proof = log.consistency_proof(old, new).await.unwrap();
        consistency.push(
            json!({ "old": old, "new": new, "proof": proof.iter().map(hex::encode).collect::<Vec<_>>() }),
        );
    }
    let proofs = dir.path().join("proofs.json");
    std::fs::write(&proofs, json!({ "inclusion": inclusion, "consistency": consistency }).to_string())
        .unwrap();

    let out = run_checker(dir.path(), &proofs);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("ok: 700 leaves"), "{stdout}");
    assert!(stdout.contains(&format!("ok: {} kept checkpoints", sizes.len())), "{stdout}");
    assert!(stdout.contains("ok: 9 inclusion and 9 consistency proofs"), "{stdout}");

    // The checker is not a rubber stamp: one altered leaf file fails it.
    std::fs::write(dir.path().join("log/leaves/000000000042"), b"acte-test/v1\nn 666\n").unwrap();
    let out = run_checker(dir.path(), &proofs);
    assert!(!out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}
