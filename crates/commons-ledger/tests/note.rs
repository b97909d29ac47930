//! Signed notes, checkpoints and cosignatures against published vectors: the PeterNeumann
//! and EnochRoot notes of golang.org/x/mod/sumdb/note, the example of c2sp.org/signed-note,
//! and the examples of c2sp.org/tlog-checkpoint and c2sp.org/tlog-cosignature.

// A test that meets an unexpected error should stop right there, loudly.
#![allow(clippy::unwrap_used)]

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use commons_ledger::note::{
    self, COSIGNATURE_V1_SIGNATURE_TYPE, Checkpoint, ED25519_SIGNATURE_TYPE, NOTE_SIGNATURES_MAX,
    Note, NoteError, NoteSignature, cosign_v1, cosignature_v1_message, key_id, origin_for,
    sign_ed25519,
};
use commons_ledger::{AuthorKey, CommonsId, Hash, SecretKey};

/// golang.org/x/mod/sumdb/note: the text both keys sign.
const PETER_TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                          then you don't know what your problem is.\n";
/// The verifier key `PeterNeumann+c74f20a3+<base64(0x01 || public key)>`.
const PETER_VERIFIER_KEY: &str =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
/// The signer key `PRIVATE+KEY+PeterNeumann+c74f20a3+<base64(0x01 || seed)>`.
const PETER_SIGNER_KEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const PETER_LINE: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
/// EnochRoot's key is the one derived from an all-zero seed.
const ENOCH_VERIFIER_KEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const ENOCH_LINE: &str = "\u{2014} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

/// c2sp.org/signed-note, "Verifier keys": the example key and note.
const EXAMPLE_VERIFIER_KEY: &str =
    "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
const EXAMPLE_NOTE: &str = "This is an example message.\n\n\u{2014} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";

/// c2sp.org/tlog-checkpoint and c2sp.org/tlog-cosignature: the example checkpoint with a
/// log signature and a witness cosignature (keys not published).
const SOFA_CHECKPOINT_TEXT: &str =
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
const SOFA_SIGNATURES: &str = "\u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n\
    \u{2014} witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n";

/// A verifier key `name+hex id+base64(type || key)`, split into name, id and key.
fn parse_verifier_key(verifier_key: &str) -> (String, [u8; 4], AuthorKey) {
    let mut parts = verifier_key.splitn(3, '+');
    let name = parts.next().unwrap().to_owned();
    let id: [u8; 4] = hex::decode(parts.next().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let material = BASE64.decode(parts.next().unwrap()).unwrap();
    assert_eq!(material[0], ED25519_SIGNATURE_TYPE);
    (name, id, AuthorKey(material[1..].try_into().unwrap()))
}

/// A signer key `PRIVATE+KEY+name+hex id+base64(type || seed)`.
fn parse_signer_key(signer_key: &str) -> (String, SecretKey) {
    let rest = signer_key.strip_prefix("PRIVATE+KEY+").unwrap();
    let mut parts = rest.splitn(3, '+');
    let name = parts.next().unwrap().to_owned();
    let _id = parts.next().unwrap();
    let material = BASE64.decode(parts.next().unwrap()).unwrap();
    assert_eq!(material[0], ED25519_SIGNATURE_TYPE);
    (
        name,
        SecretKey::from_seed(material[1..].try_into().unwrap()),
    )
}

fn peter_note() -> String {
    format!("{PETER_TEXT}\n{PETER_LINE}")
}

#[test]
fn key_ids_match_the_published_verifier_keys() {
    for verifier_key in [PETER_VERIFIER_KEY, ENOCH_VERIFIER_KEY, EXAMPLE_VERIFIER_KEY] {
        let (name, id, key) = parse_verifier_key(verifier_key);
        assert_eq!(
            key_id(&name, ED25519_SIGNATURE_TYPE, &key.0),
            id,
            "{verifier_key}"
        );
        // The same key under the cosignature type has another id, so the two never mix.
        assert_ne!(key_id(&name, COSIGNATURE_V1_SIGNATURE_TYPE, &key.0), id);
    }
}

#[test]
fn the_published_peter_neumann_note_verifies_and_is_reproduced_byte_for_byte() {
    let (name, _, key) = parse_verifier_key(PETER_VERIFIER_KEY);
    let note = Note::parse(&peter_note()).unwrap();
    assert_eq!(note.text, PETER_TEXT);
    assert_eq!(note.signatures.len(), 1);
    assert_eq!(note.signatures[0].key_name, "PeterNeumann");
    assert_eq!(note.signatures[0].key_id, [0xc7, 0x4f, 0x20, 0xa3]);
    note.verify(&name, &key).unwrap();
    assert_eq!(note.to_text(), peter_note());

    // Ed25519 is deterministic, so signing the text again gives the published line.
    let (signer_name, secret) = parse_signer_key(PETER_SIGNER_KEY);
    assert_eq!(secret.author_key(), key);
    let signature = sign_ed25519(PETER_TEXT, &signer_name, &secret).unwrap();
    assert_eq!(signature.to_line(), PETER_LINE);
}

#[test]
fn the_doubly_signed_note_verifies_for_each_key_and_enoch_is_the_zero_seed() {
    let (enoch_name, _, enoch_key) = parse_verifier_key(ENOCH_VERIFIER_KEY);
    let zero_seed = SecretKey::from_seed([0; 32]);
    assert_eq!(zero_seed.author_key(), enoch_key);
    assert_eq!(
        sign_ed25519(PETER_TEXT, &enoch_name, &zero_seed)
            .unwrap()
            .to_line(),
        ENOCH_LINE
    );

    let both = format!("{PETER_TEXT}\n{PETER_LINE}{ENOCH_LINE}");
    let note = Note::parse(&both).unwrap();
    let (peter_name, _, peter_key) = parse_verifier_key(PETER_VERIFIER_KEY);
    note.verify(&peter_name, &peter_key).unwrap();
    note.verify(&enoch_name, &enoch_key).unwrap();
    assert_eq!(note.to_string(), both);
    // A name that matches with the wrong key is not a signature from that key.
    assert_eq!(
        note.verify(&peter_name, &enoch_key),
        Err(NoteError::NoSignatureFromKey(peter_name.clone()))
    );
}

#[test]
fn the_signed_note_spec_example_verifies() {
    let (name, _, key) = parse_verifier_key(EXAMPLE_VERIFIER_KEY);
    let note = Note::parse(EXAMPLE_NOTE).unwrap();
    assert_eq!(note.text, "This is an example message.\n");
    note.verify(&name, &key).unwrap();
    assert_eq!(note.to_text(), EXAMPLE_NOTE);
}

#[test]
fn a_tampered_text_or_signature_does_not_verify() {
    let (name, _, key) = parse_verifier_key(PETER_VERIFIER_KEY);
    let tampered_text = peter_note().replace("cryptography", "cryptographY");
    assert_eq!(
        Note::parse(&tampered_text).unwrap().verify(&name, &key),
        Err(NoteError::BadSignature(name.clone()))
    );
    let mut note = Note::parse(&peter_note()).unwrap();
    note.signatures[0].signature_bytes[10] ^= 1;
    assert_eq!(
        note.verify(&name, &key),
        Err(NoteError::BadSignature(name.clone()))
    );
    // A truncated signature from a known key is a bad signature, not an ignored line.
    note.signatures[0].signature_bytes.truncate(63);
    assert_eq!(
        note.verify(&name, &key).unwrap_err().code(),
        "bad_signature"
    );
}

#[test]
fn a_bad_signature_from_a_known_key_rejects_the_note_even_beside_a_good_one() {
    let (name, _, key) = parse_verifier_key(PETER_VERIFIER_KEY);
    let mut note = Note::parse(&peter_note()).unwrap();
    let mut forged = note.signatures[0].clone();
    forged.signature_bytes[0] ^= 1;
    note.signatures.push(forged);
    assert_eq!(note.verify(&name, &key), Err(NoteError::BadSignature(name)));
}

#[test]
fn malformed_notes_are_rejected() {
    let cases: Vec<(&str, String)> = vec![
        ("no blank line", format!("{PETER_TEXT}{PETER_LINE}")),
        ("no signatures", format!("{PETER_TEXT}\n")),
        (
            "no final newline",
            peter_note().trim_end_matches('\n').to_owned(),
        ),
        ("trailing blank line", format!("{}\n", peter_note())),
        (
            "hyphen instead of em dash",
            peter_note().replace('\u{2014}', "-"),
        ),
        (
            "two spaces",
            peter_note().replace("PeterNeumann ", "PeterNeumann  "),
        ),
        (
            "no space",
            peter_note().replace("PeterNeumann ", "PeterNeumann"),
        ),
        ("carriage return", peter_note().replace('\n', "\r\n")),
        ("tab in text", peter_note().replace("If you", "If\tyou")),
        ("bad base64", peter_note().replace("x08go/", "x08go_")),
        (
            "base64 without padding",
            peter_note().replace("AM=\n", "AM\n"),
        ),
        (
            "signature of only a key id",
            format!("{PETER_TEXT}\n\u{2014} PeterNeumann x08gow==\n"),
        ),
    ];
    for (what, text) in cases {
        let result = Note::parse(&text);
        assert!(result.is_err(), "{what}: {result:?}");
        assert_eq!(result.unwrap_err().code(), "note_malformed", "{what}");
    }
    assert_eq!(
        Note::parse(&peter_note().replace("PeterNeumann", "Peter+Neumann")),
        Err(NoteError::KeyNameInvalid)
    );
}

#[test]
fn the_text_ends_at_the_last_blank_line() {
    let text = "first paragraph\n\nsecond paragraph\n";
    let secret = SecretKey::from_seed([3; 32]);
    let signature = sign_ed25519(text, "example.com/k", &secret).unwrap();
    let note = Note {
        text: text.to_owned(),
        signatures: vec![signature],
    };
    let parsed = Note::parse(&note.to_text()).unwrap();
    assert_eq!(parsed, note);
    parsed
        .verify("example.com/k", &secret.author_key())
        .unwrap();
}

/// A note with `n_signatures` signature lines from distinct keys.
fn note_with_signatures(n_signatures: usize) -> (String, Vec<SecretKey>) {
    let text = "many signers\n";
    let secrets: Vec<SecretKey> = (0..n_signatures)
        .map(|i| SecretKey::from_seed([(i % 251) as u8 + 1; 32]))
        .collect();
    let signatures: Vec<NoteSignature> = secrets
        .iter()
        .enumerate()
        .map(|(i, secret)| sign_ed25519(text, &format!("signer{i}"), secret).unwrap())
        .collect();
    let note = Note {
        text: text.to_owned(),
        signatures,
    };
    (note.to_text(), secrets)
}

#[test]
fn a_verifier_accepts_sixteen_signatures_and_up_to_the_limit_but_not_one_more() {
    for n_signatures in [16, NOTE_SIGNATURES_MAX] {
        let (text, secrets) = note_with_signatures(n_signatures);
        let note = Note::parse(&text).unwrap();
        assert_eq!(note.signatures.len(), n_signatures);
        let last = n_signatures - 1;
        note.verify(&format!("signer{last}"), &secrets[last].author_key())
            .unwrap();
    }
    let (text, _) = note_with_signatures(NOTE_SIGNATURES_MAX + 1);
    assert_eq!(Note::parse(&text), Err(NoteError::TooManySignatures));
    assert_eq!(
        Note::parse(&text).unwrap_err().code(),
        "note_too_many_signatures"
    );
}

#[test]
fn an_overlong_note_is_rejected_before_parsing() {
    let text = format!("{}\n\n{PETER_LINE}", "a".repeat(note::NOTE_LEN_MAX));
    assert_eq!(Note::parse(&text), Err(NoteError::TooLong));
}

#[test]
fn signing_refuses_bad_key_names_and_texts() {
    let secret = SecretKey::from_seed([5; 32]);
    assert_eq!(
        sign_ed25519("text\n", "a b", &secret),
        Err(NoteError::KeyNameInvalid)
    );
    assert_eq!(
        sign_ed25519("text\n", "", &secret),
        Err(NoteError::KeyNameInvalid)
    );
    assert!(sign_ed25519("no newline", "k", &secret).is_err());
    assert!(sign_ed25519("bell\u{7}\n", "k", &secret).is_err());
}

#[test]
fn the_spec_checkpoint_parses_and_is_written_back_byte_for_byte() {
    let checkpoint = Checkpoint::parse(SOFA_CHECKPOINT_TEXT).unwrap();
    assert_eq!(checkpoint.origin, "example.com/behind-the-sofa");
    assert_eq!(checkpoint.size, 20_852_163);
    assert_eq!(
        BASE64.encode(checkpoint.root.0),
        "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
    );
    assert!(checkpoint.extensions.is_empty());
    assert_eq!(checkpoint.to_text(), SOFA_CHECKPOINT_TEXT);

    let signed = format!("{SOFA_CHECKPOINT_TEXT}\n{SOFA_SIGNATURES}");
    let note = Note::parse(&signed).unwrap();
    assert_eq!(note.signatures.len(), 2);
    assert_eq!(note.to_text(), signed);
}

#[test]
fn the_spec_cosignature_line_carries_its_key_id_and_timestamp() {
    let note = Note::parse(&format!("{SOFA_CHECKPOINT_TEXT}\n{SOFA_SIGNATURES}")).unwrap();
    let witness = &note.signatures[1];
    assert_eq!(witness.key_name, "witness.example.com/w1");
    assert_eq!(witness.key_id, [0x8d, 0x66, 0xcf, 0x3f]);
    assert_eq!(witness.signature_bytes.len(), note::COSIGNATURE_V1_LEN);
    assert_eq!(witness.cosignature_timestamp(), Some(1_679_315_147));
    // The log's own line is a plain 64-byte Ed25519 signature, not a cosignature.
    assert_eq!(note.signatures[0].cosignature_timestamp(), None);
    // transparency-dev/formats note/note_cosigv1_test.go: a cosignature timestamped
    // 1727964367, and a plain Ed25519 signature that is not a cosignature.
    let line = |payload: &str| format!("{SOFA_CHECKPOINT_TEXT}\n\u{2014} w {payload}\n");
    let cosigned = Note::parse(&line(
        "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA==",
    ))
    .unwrap();
    assert_eq!(
        cosigned.signatures[0].cosignature_timestamp(),
        Some(1_727_964_367)
    );
    let plain = Note::parse(&line(
        "eQjRQm6eSKzFoiYalgwCPXu2y3ijtg68is9M46JKxuZB+dRfTmeQeDBoXnvxZx2ugnkyV+MUMLXpWs1hPb/W/4xkNQY=",
    ))
    .unwrap();
    assert_eq!(plain.signatures[0].cosignature_timestamp(), None);
    // tlog-cosignature's worked example of the signed message.
    assert_eq!(
        cosignature_v1_message(1_679_315_147, SOFA_CHECKPOINT_TEXT),
        b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    );
}

#[test]
fn a_cosignature_verifies_under_its_key_and_time_and_nowhere_else() {
    let sequencer = SecretKey::from_seed([1; 32]);
    let witness = SecretKey::from_seed([2; 32]);
    let checkpoint = Checkpoint {
        origin: "commons/00ff".to_owned(),
        size: 42,
        root: Hash::of(&[b"root"]),
        extensions: vec![],
    };
    let mut note = checkpoint.sign(&sequencer).unwrap();
    let cosignature = cosign_v1(&note.text, "witness.example/w1", &witness, 1_700_000_000).unwrap();
    assert_eq!(
        cosignature.key_id,
        key_id(
            "witness.example/w1",
            COSIGNATURE_V1_SIGNATURE_TYPE,
            &witness.author_key().0
        )
    );
    note.signatures.push(cosignature);
    let reparsed = Note::parse(&note.to_text()).unwrap();
    assert_eq!(
        reparsed.verify_cosignature_v1("witness.example/w1", &witness.author_key()),
        Ok(1_700_000_000)
    );
    // A cosignature is not a plain note signature, even from the same key and name.
    assert!(
        reparsed
            .verify("witness.example/w1", &witness.author_key())
            .is_err()
    );
    // Nor is the sequencer's plain signature a cosignature.
    assert!(
        reparsed
            .verify_cosignature_v1(&checkpoint.origin, &sequencer.author_key())
            .is_err()
    );
    // Changing the timestamp breaks the signature, which covers it.
    let mut shifted = reparsed.clone();
    shifted.signatures[1].signature_bytes[7] ^= 1;
    assert_eq!(
        shifted.verify_cosignature_v1("witness.example/w1", &witness.author_key()),
        Err(NoteError::BadSignature("witness.example/w1".to_owned()))
    );
    // So does changing the checkpoint.
    let mut moved = reparsed.clone();
    moved.text = moved.text.replace("\n42\n", "\n43\n");
    assert!(
        moved
            .verify_cosignature_v1("witness.example/w1", &witness.author_key())
            .is_err()
    );
    assert!(cosign_v1(&note.text, "w", &witness, 1 << 63).is_err());
}

#[test]
fn a_commons_checkpoint_round_trips_and_verifies_under_the_origin_name() {
    let commons = CommonsId([0xab; 32]);
    let origin = origin_for(&commons);
    assert_eq!(origin, format!("commons/{}", "ab".repeat(32)));
    let sequencer = SecretKey::from_seed([9; 32]);
    let checkpoint = Checkpoint {
        origin: origin.clone(),
        size: 7,
        root: Hash::of(&[b"seven"]),
        extensions: vec!["extension line".to_owned()],
    };
    let signed = checkpoint.sign(&sequencer).unwrap().to_text();
    let (parsed, note) =
        Checkpoint::parse_and_verify(&signed, &origin, &sequencer.author_key()).unwrap();
    assert_eq!(parsed, checkpoint);
    assert_eq!(note.signatures[0].key_name, origin);

    let other_origin = origin_for(&CommonsId([0xcd; 32]));
    assert_eq!(
        Checkpoint::parse_and_verify(&signed, &other_origin, &sequencer.author_key())
            .unwrap_err()
            .code(),
        "checkpoint_origin_mismatch"
    );
    let impostor = SecretKey::from_seed([10; 32]);
    assert_eq!(
        Checkpoint::parse_and_verify(&signed, &origin, &impostor.author_key())
            .unwrap_err()
            .code(),
        "note_not_signed_by_key"
    );
}

#[test]
fn malformed_checkpoints_are_rejected() {
    let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
    let cases = [
        ("two lines", "origin\n42\n".to_owned()),
        ("empty origin", format!("\n42\n{root}\n")),
        ("leading zero", format!("origin\n042\n{root}\n")),
        ("negative size", format!("origin\n-1\n{root}\n")),
        (
            "size past u64",
            format!("origin\n18446744073709551616\n{root}\n"),
        ),
        (
            "short root",
            "origin\n42\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2=\n".to_owned(),
        ),
        (
            "unpadded root",
            format!("origin\n42\n{}\n", root.trim_end_matches('=')),
        ),
        ("empty extension", format!("origin\n42\n{root}\n\next\n")),
        ("no final newline", format!("origin\n42\n{root}")),
    ];
    for (what, text) in cases {
        let result = Checkpoint::parse(&text);
        assert!(result.is_err(), "{what}: {result:?}");
        assert_eq!(result.unwrap_err().code(), "checkpoint_malformed", "{what}");
    }
    assert_eq!(
        Checkpoint::parse(&format!("origin\n0\n{root}\n"))
            .unwrap()
            .size,
        0
    );
}
