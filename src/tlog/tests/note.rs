//! Signed notes, keys and checkpoints.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::tlog::note::*;

const ORIGIN: &str = "actes.example.fr/registre/v1";

fn signer(byte: u8) -> NoteSigner {
    NoteSigner::from_seed(ORIGIN, [byte; 32]).unwrap()
}

fn checkpoint(size: u64) -> Checkpoint {
    Checkpoint { origin: ORIGIN.into(), size, root: [7; 32] }
}

#[test]
fn keys_round_trip_through_their_text_forms() {
    let s = signer(1);
    let again = NoteSigner::from_private_key(&s.private_key()).unwrap();
    assert_eq!(again.verifier(), s.verifier());
    let vkey = s.verifier().vkey();
    assert!(vkey.starts_with(&format!("{ORIGIN}+{:08x}+A", s.verifier().key_id())), "{vkey}");
    assert_eq!(NoteVerifier::from_vkey(&vkey).unwrap(), s.verifier());
    // A key id that does not match, a bad name, another algorithm.
    let wrong_id = vkey.replacen(&format!("{:08x}", s.verifier().key_id()), "00000000", 1);
    assert!(NoteVerifier::from_vkey(&wrong_id).is_err());
    assert!(NoteSigner::from_seed("a b", [1; 32]).is_err());
    assert!(NoteSigner::from_seed("a+b", [1; 32]).is_err());
    let other_alg = format!("{ORIGIN}+00000000+{}", BASE64.encode([2u8; 33]));
    assert!(NoteVerifier::from_vkey(&other_alg).is_err());
    assert!(!format!("{s:?}").contains(&s.private_key()[30..]));
}

#[test]
fn notes_and_keys_match_the_go_implementation() {
    // The example of golang.org/x/mod/sumdb/note: its keys, text and the
    // exact note Go signs (Ed25519 signatures are deterministic).
    let skey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    let vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    let text = "If you think cryptography is the answer to your problem,\n\
                then you don't know what your problem is.\n";
    let go_note = format!(
        "{text}\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    );
    let signer = NoteSigner::from_private_key(skey).unwrap();
    assert_eq!(signer.private_key(), skey);
    assert_eq!(signer.verifier().vkey(), vkey);
    assert_eq!(signer.verifier().key_id(), 0xc74f20a3);
    assert_eq!(signer.sign(text).unwrap(), go_note);
    assert_eq!(NoteVerifier::from_vkey(vkey).unwrap().verify(&go_note).unwrap(), text);
}

#[test]
fn a_signed_checkpoint_round_trips() {
    let s = signer(1);
    let note = checkpoint(42).sign(&s).unwrap();
    assert!(note.starts_with(&format!("{ORIGIN}\n42\n")), "{note}");
    assert_eq!(open_checkpoint(&note, &s.verifier()).unwrap(), checkpoint(42));
    assert_eq!(verify_checkpoint(&note, &s.verifier().vkey()).unwrap(), checkpoint(42));
    // Deterministic: two writers signing the same tree write the same bytes.
    assert_eq!(note, checkpoint(42).sign(&signer(1)).unwrap());
}

#[test]
fn forged_and_unknown_signatures_are_rejected() {
    let (s, other) = (signer(1), signer(2));
    let note = checkpoint(42).sign(&s).unwrap();
    // Signed by another key of the same name: unknown key (ids differ).
    let by_other = checkpoint(42).sign(&other).unwrap();
    assert!(matches!(open_checkpoint(&by_other, &s.verifier()), Err(NoteError::UnknownKey(_))));
    // Text altered after signing.
    let altered = note.replacen("\n42\n", "\n43\n", 1);
    assert!(matches!(open_checkpoint(&altered, &s.verifier()), Err(NoteError::BadSignature(_))));
    // A signature line copied under our name and id but over other text.
    let sig_line = by_other.rsplit_once("\n\n").unwrap().1.to_owned();
    let our_id = s.verifier().key_id().to_be_bytes();
    let (_, b64) = sig_line.trim_end().rsplit_once(' ').unwrap();
    let mut raw = BASE64.decode(b64).unwrap();
    raw[..4].copy_from_slice(&our_id);
    let forged = format!("{}\n\u{2014} {ORIGIN} {}\n", checkpoint(42).to_text(), BASE64.encode(raw));
    assert!(matches!(open_checkpoint(&forged, &s.verifier()), Err(NoteError::BadSignature(_))));
    // Unknown keys' lines (a witness) are ignored, before or after ours.
    let witness = NoteSigner::from_seed("witness.example/w1", [3; 32]).unwrap();
    let witness_line = witness.sign(&checkpoint(42).to_text()).unwrap();
    let witness_line = witness_line.rsplit_once("\n\n").unwrap().1;
    let cosigned = format!("{note}{witness_line}");
    assert_eq!(open_checkpoint(&cosigned, &s.verifier()).unwrap(), checkpoint(42));
    let first =
        format!("{}\n{witness_line}{}", checkpoint(42).to_text(), note.rsplit_once("\n\n").unwrap().1);
    assert_eq!(open_checkpoint(&first, &s.verifier()).unwrap(), checkpoint(42));
    // Control characters are not allowed in notes.
    assert!(open_checkpoint(&note.replacen('\n', "\t\n", 1), &s.verifier()).is_err());
    assert!(s.sign("tab\there\n").is_err());
    // Only unknown keys: rejected.
    let only_witness = format!("{}\n{witness_line}", checkpoint(42).to_text());
    assert!(matches!(open_checkpoint(&only_witness, &s.verifier()), Err(NoteError::UnknownKey(_))));
    // A checkpoint of another origin signed by a key of that name.
    let foreign = NoteSigner::from_seed("other.example/log", [1; 32]).unwrap();
    let note = Checkpoint { origin: "elsewhere".into(), ..checkpoint(1) }.sign(&foreign).unwrap();
    assert!(matches!(open_checkpoint(&note, &foreign.verifier()), Err(NoteError::Origin { .. })));
}

#[test]
fn checkpoint_text_must_be_canonical() {
    let text = checkpoint(5).to_text();
    assert_eq!(Checkpoint::parse(&text).unwrap(), checkpoint(5));
    let with_extension = format!("{text}ext\n");
    assert_eq!(Checkpoint::parse(&with_extension).unwrap(), checkpoint(5));
    for bad in [
        text.replacen("\n5\n", "\n05\n", 1),
        text.replacen("\n5\n", "\n+5\n", 1),
        text.trim_end().to_owned(),
        format!("\n5\n{}\n", BASE64.encode([7u8; 32])),
        format!("{ORIGIN}\n5\n{}\n", BASE64.encode([7u8; 31])),
        format!("{text}\n"),
    ] {
        assert!(Checkpoint::parse(&bad).is_err(), "{bad:?}");
    }
}
