//! C2SP signed notes, checkpoints and cosignatures (spec §7): the signed statements a
//! sequencer and its witnesses make about the ledger.
//!
//! A checkpoint is a signed note (c2sp.org/signed-note) whose text names the commons, the
//! tree size and the root (c2sp.org/tlog-checkpoint). Using the formats the transparency-log
//! ecosystem already speaks lets existing witnesses and monitors cosign and check a commons'
//! ledger without knowing anything else about it. Cosignatures follow
//! c2sp.org/tlog-cosignature (the timestamped Ed25519 `cosignature/v1`).
//!
//! Parsing is strict, because a note is only ever trusted after its signature checks and a
//! lenient parser is how two readers come to disagree about what was signed.

use crate::event::CommonsId;
use crate::hash::Hash;
use crate::keys::{AuthorKey, SecretKey, Signature};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

/// Signature type byte of a plain Ed25519 note signature (c2sp.org/signed-note).
pub const ED25519_SIGNATURE_TYPE: u8 = 0x01;
/// Signature type byte of a timestamped Ed25519 cosignature (c2sp.org/tlog-cosignature).
pub const COSIGNATURE_V1_SIGNATURE_TYPE: u8 = 0x04;
/// Most signature lines a note may carry. The signed-note spec asks verifiers to accept at
/// least 16; a hundred leaves room for many witnesses while bounding the work one note costs.
pub const NOTE_SIGNATURES_MAX: usize = 100;
/// Longest note, in bytes: a hundred signatures even of post-quantum size (about 5 kB of
/// base64 each) fit, and a hostile note cannot make a reader buffer more.
pub const NOTE_LEN_MAX: usize = 1 << 20;
/// Length of a key id.
pub const KEY_ID_LEN: usize = 4;
/// Length of an Ed25519 signature.
pub const ED25519_SIGNATURE_LEN: usize = 64;
/// Length of a `timestamped_signature` holding an Ed25519 signature: u64 time, signature.
pub const COSIGNATURE_V1_LEN: usize = 8 + ED25519_SIGNATURE_LEN;
/// The first line of the message a `cosignature/v1` signs.
pub const COSIGNATURE_V1_HEADER: &str = "cosignature/v1";
/// Largest timestamp a cosignature may carry (tlog-cosignature: at most 2^63 - 1).
pub const COSIGNATURE_TIMESTAMP_MAX: u64 = (1 << 63) - 1;
/// What starts every signature line: an em dash (U+2014) and a space.
const SIGNATURE_LINE_PREFIX: &str = "\u{2014} ";
/// The origin prefix of every commons ledger's checkpoints (spec §7).
pub const COMMONS_ORIGIN_PREFIX: &str = "commons/";

/// Why a note, a checkpoint or a cosignature is refused. Each variant has a stable code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("note is longer than {NOTE_LEN_MAX} bytes")]
    TooLong,
    #[error("note has more than {NOTE_SIGNATURES_MAX} signatures")]
    TooManySignatures,
    #[error("malformed note: {0}")]
    Malformed(&'static str),
    #[error("key name must be non-empty without spaces or '+'")]
    KeyNameInvalid,
    #[error("note has no signature from key {0}")]
    NoSignatureFromKey(String),
    #[error("note signature from key {0} does not verify")]
    BadSignature(String),
    #[error("malformed checkpoint: {0}")]
    CheckpointMalformed(&'static str),
    #[error("checkpoint origin is {found:?}, expected {expected:?}")]
    OriginMismatch { expected: String, found: String },
}

impl NoteError {
    /// The stable, machine-readable code of this rejection.
    pub fn code(&self) -> &'static str {
        match self {
            NoteError::TooLong => "note_too_long",
            NoteError::TooManySignatures => "note_too_many_signatures",
            NoteError::Malformed(_) => "note_malformed",
            NoteError::KeyNameInvalid => "note_key_name_invalid",
            NoteError::NoSignatureFromKey(_) => "note_not_signed_by_key",
            NoteError::BadSignature(_) => "bad_signature",
            NoteError::CheckpointMalformed(_) => "checkpoint_malformed",
            NoteError::OriginMismatch { .. } => "checkpoint_origin_mismatch",
        }
    }
}

/// The key id of a note key: `SHA-256(key name || 0x0A || signature type || public key)[0..4]`.
///
/// The id is a hint to find the right key, not a security property: a verifier always
/// knows the public key it expects, and only checks signatures whose name and id match it.
pub fn key_id(key_name: &str, signature_type: u8, public_key: &[u8]) -> [u8; KEY_ID_LEN] {
    let hash = Hash::of(&[key_name.as_bytes(), b"\n", &[signature_type], public_key]);
    let mut id = [0u8; KEY_ID_LEN];
    id.copy_from_slice(&hash.0[..KEY_ID_LEN]);
    id
}

/// Key names must be non-empty and contain no Unicode space and no `+` (signed-note), since
/// signature lines and verifier keys use both as separators.
pub fn check_key_name(key_name: &str) -> Result<(), NoteError> {
    if key_name.is_empty() || key_name.chars().any(|c| c.is_whitespace() || c == '+') {
        return Err(NoteError::KeyNameInvalid);
    }
    Ok(())
}

/// Notes are UTF-8 without ASCII control characters other than newline (signed-note).
fn check_note_characters(text: &str) -> Result<(), NoteError> {
    if text.chars().any(|c| c < ' ' && c != '\n') {
        return Err(NoteError::Malformed("control character other than newline"));
    }
    Ok(())
}

/// The text of a note must end in a newline and be free of control characters; it may not
/// be empty.
fn check_note_text(text: &str) -> Result<(), NoteError> {
    if text.len() > NOTE_LEN_MAX {
        return Err(NoteError::TooLong);
    }
    if !text.ends_with('\n') {
        return Err(NoteError::Malformed("text does not end with a newline"));
    }
    check_note_characters(text)
}

/// One signature line of a note: `— <key name> base64(key id || signature bytes)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    pub key_name: String,
    pub key_id: [u8; KEY_ID_LEN],
    /// The signature proper, whose layout depends on the key's signature type.
    pub signature_bytes: Vec<u8>,
}

impl NoteSignature {
    /// The signature line, with its final newline.
    pub fn to_line(&self) -> String {
        let mut payload = Vec::with_capacity(KEY_ID_LEN + self.signature_bytes.len());
        payload.extend_from_slice(&self.key_id);
        payload.extend_from_slice(&self.signature_bytes);
        format!(
            "{SIGNATURE_LINE_PREFIX}{} {}\n",
            self.key_name,
            BASE64.encode(payload)
        )
    }

    /// Parses one signature line, without its final newline.
    fn parse_line(line: &str) -> Result<NoteSignature, NoteError> {
        let rest = line
            .strip_prefix(SIGNATURE_LINE_PREFIX)
            .ok_or(NoteError::Malformed(
                "signature line does not start with an em dash and a space",
            ))?;
        let (key_name, encoded) = rest.split_once(' ').ok_or(NoteError::Malformed(
            "signature line has no space after the key name",
        ))?;
        check_key_name(key_name)?;
        let payload = BASE64
            .decode(encoded)
            .map_err(|_| NoteError::Malformed("signature is not canonical standard base64"))?;
        if payload.len() <= KEY_ID_LEN {
            return Err(NoteError::Malformed(
                "signature is shorter than a key id and one byte",
            ));
        }
        let mut key_id = [0u8; KEY_ID_LEN];
        key_id.copy_from_slice(&payload[..KEY_ID_LEN]);
        Ok(NoteSignature {
            key_name: key_name.to_owned(),
            key_id,
            signature_bytes: payload[KEY_ID_LEN..].to_vec(),
        })
    }

    /// The timestamp of a `cosignature/v1`, read without verifying it; `None` if the
    /// signature is not shaped like one.
    pub fn cosignature_timestamp(&self) -> Option<u64> {
        if self.signature_bytes.len() != COSIGNATURE_V1_LEN {
            return None;
        }
        let mut timestamp = [0u8; 8];
        timestamp.copy_from_slice(&self.signature_bytes[..8]);
        Some(u64::from_be_bytes(timestamp))
    }
}

/// A signed note: a text and the signatures over it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// The signed text, including its final newline.
    pub text: String,
    pub signatures: Vec<NoteSignature>,
}

impl Note {
    /// Parses a signed note strictly: a text ending in a newline, a blank line, then one to
    /// [`NOTE_SIGNATURES_MAX`] well-formed signature lines, each ending in a newline.
    ///
    /// The text may itself contain blank lines; it ends at the last one (signed-note).
    pub fn parse(note: &str) -> Result<Note, NoteError> {
        if note.len() > NOTE_LEN_MAX {
            return Err(NoteError::TooLong);
        }
        check_note_characters(note)?;
        let separator = note.rfind("\n\n").ok_or(NoteError::Malformed(
            "no blank line between text and signatures",
        ))?;
        let text = &note[..=separator];
        let signature_block = &note[separator + 2..];
        let signature_lines = signature_block
            .strip_suffix('\n')
            .ok_or(NoteError::Malformed(
                "note does not end with a signature line",
            ))?;
        let mut signatures = Vec::new();
        for line in signature_lines.split('\n') {
            if signatures.len() == NOTE_SIGNATURES_MAX {
                return Err(NoteError::TooManySignatures);
            }
            signatures.push(NoteSignature::parse_line(line)?);
        }
        Ok(Note {
            text: text.to_owned(),
            signatures,
        })
    }

    /// The note as text: the text, a blank line, one line per signature.
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(self.text.len() + 1 + 128 * self.signatures.len());
        out.push_str(&self.text);
        out.push('\n');
        for signature in &self.signatures {
            out.push_str(&signature.to_line());
        }
        out
    }

    /// The signatures whose key name and key id match a known key; the signed-note spec
    /// has verifiers ignore every other line.
    fn signatures_from<'a>(
        &'a self,
        key_name: &'a str,
        key_id: [u8; KEY_ID_LEN],
    ) -> impl Iterator<Item = &'a NoteSignature> + 'a {
        self.signatures
            .iter()
            .filter(move |s| s.key_name == key_name && s.key_id == key_id)
    }

    /// Checks that the note carries a valid Ed25519 signature by `key` under `key_name`.
    ///
    /// Every line with that name and key id must verify: a bad signature from a known key
    /// rejects the whole note rather than being skipped, as signed-note recommends.
    pub fn verify(&self, key_name: &str, key: &AuthorKey) -> Result<(), NoteError> {
        let id = key_id(key_name, ED25519_SIGNATURE_TYPE, &key.0);
        let mut n_verified = 0usize;
        for signature in self.signatures_from(key_name, id) {
            let signature_bytes = Signature::from_slice(&signature.signature_bytes)
                .ok_or_else(|| NoteError::BadSignature(key_name.to_owned()))?;
            key.verify(self.text.as_bytes(), &signature_bytes)
                .map_err(|_| NoteError::BadSignature(key_name.to_owned()))?;
            n_verified += 1;
        }
        if n_verified == 0 {
            return Err(NoteError::NoSignatureFromKey(key_name.to_owned()));
        }
        Ok(())
    }

    /// Checks that the note carries a valid `cosignature/v1` by `key` under `key_name`, and
    /// returns its timestamp (seconds since the Unix epoch). When a cosigner signed more
    /// than once, all must verify and the latest time is returned.
    pub fn verify_cosignature_v1(&self, key_name: &str, key: &AuthorKey) -> Result<u64, NoteError> {
        let id = key_id(key_name, COSIGNATURE_V1_SIGNATURE_TYPE, &key.0);
        let mut latest: Option<u64> = None;
        for signature in self.signatures_from(key_name, id) {
            let bad = || NoteError::BadSignature(key_name.to_owned());
            let timestamp = signature.cosignature_timestamp().ok_or_else(bad)?;
            if timestamp > COSIGNATURE_TIMESTAMP_MAX {
                return Err(bad());
            }
            let signature_bytes =
                Signature::from_slice(&signature.signature_bytes[8..]).ok_or_else(bad)?;
            key.verify(
                &cosignature_v1_message(timestamp, &self.text),
                &signature_bytes,
            )
            .map_err(|_| bad())?;
            latest = Some(latest.map_or(timestamp, |t| t.max(timestamp)));
        }
        latest.ok_or_else(|| NoteError::NoSignatureFromKey(key_name.to_owned()))
    }
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_text())
    }
}

/// Signs a note text with Ed25519 (signature type 0x01) under `key_name`.
pub fn sign_ed25519(
    text: &str,
    key_name: &str,
    secret: &SecretKey,
) -> Result<NoteSignature, NoteError> {
    check_key_name(key_name)?;
    check_note_text(text)?;
    let public = secret.author_key();
    Ok(NoteSignature {
        key_name: key_name.to_owned(),
        key_id: key_id(key_name, ED25519_SIGNATURE_TYPE, &public.0),
        signature_bytes: secret.sign(text.as_bytes()).0.to_vec(),
    })
}

/// The message a `cosignature/v1` signs: `cosignature/v1\ntime <t>\n` then the whole
/// checkpoint text (c2sp.org/tlog-cosignature, "Ed25519 signed message").
pub fn cosignature_v1_message(timestamp: u64, checkpoint_text: &str) -> Vec<u8> {
    format!("{COSIGNATURE_V1_HEADER}\ntime {timestamp}\n{checkpoint_text}").into_bytes()
}

/// Cosigns a checkpoint text as `key_name` at `timestamp` (seconds since the Unix epoch,
/// passed in because this crate has no clock).
pub fn cosign_v1(
    checkpoint_text: &str,
    key_name: &str,
    secret: &SecretKey,
    timestamp: u64,
) -> Result<NoteSignature, NoteError> {
    check_key_name(key_name)?;
    check_note_text(checkpoint_text)?;
    if timestamp > COSIGNATURE_TIMESTAMP_MAX {
        return Err(NoteError::Malformed(
            "cosignature timestamp exceeds 2^63 - 1",
        ));
    }
    let public = secret.author_key();
    let signature = secret.sign(&cosignature_v1_message(timestamp, checkpoint_text));
    let mut signature_bytes = Vec::with_capacity(COSIGNATURE_V1_LEN);
    signature_bytes.extend_from_slice(&timestamp.to_be_bytes());
    signature_bytes.extend_from_slice(&signature.0);
    Ok(NoteSignature {
        key_name: key_name.to_owned(),
        key_id: key_id(key_name, COSIGNATURE_V1_SIGNATURE_TYPE, &public.0),
        signature_bytes,
    })
}

/// The checkpoint origin of a commons: `commons/<commons id in lowercase hex>` (spec §7).
pub fn origin_for(commons: &CommonsId) -> String {
    format!("{COMMONS_ORIGIN_PREFIX}{}", commons.to_hex())
}

/// The text of a checkpoint (c2sp.org/tlog-checkpoint): which log, how big, which root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    /// Extension lines after the root, each non-empty, without their newlines.
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// The note text: origin, decimal size, base64 root, extension lines, each ending in a
    /// newline.
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            BASE64.encode(self.root.0)
        );
        for extension in &self.extensions {
            text.push_str(extension);
            text.push('\n');
        }
        text
    }

    /// Parses a checkpoint note text (without signatures), refusing anything that would not
    /// be written back byte for byte: a size with leading zeroes, a root in non-canonical
    /// base64, empty lines.
    pub fn parse(text: &str) -> Result<Checkpoint, NoteError> {
        check_note_text(text)
            .map_err(|_| NoteError::CheckpointMalformed("text is not a valid note text"))?;
        // `check_note_text` guarantees the final newline.
        let body = &text[..text.len() - 1];
        let mut lines = body.split('\n');
        let origin = lines.next().unwrap_or_default();
        if origin.is_empty() {
            return Err(NoteError::CheckpointMalformed("origin line is empty"));
        }
        let size_line = lines
            .next()
            .ok_or(NoteError::CheckpointMalformed("no tree size line"))?;
        let size = parse_decimal(size_line).ok_or(NoteError::CheckpointMalformed(
            "tree size is not a decimal without leading zeroes",
        ))?;
        let root_line = lines
            .next()
            .ok_or(NoteError::CheckpointMalformed("no root hash line"))?;
        let root = BASE64
            .decode(root_line)
            .ok()
            .and_then(|bytes| Hash::from_slice(&bytes))
            .ok_or(NoteError::CheckpointMalformed(
                "root hash is not 32 bytes in canonical standard base64",
            ))?;
        let mut extensions = Vec::new();
        for line in lines {
            if line.is_empty() {
                return Err(NoteError::CheckpointMalformed("extension line is empty"));
            }
            extensions.push(line.to_owned());
        }
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }

    /// The checkpoint signed by the sequencer, whose key name is the origin (spec §7).
    pub fn sign(&self, sequencer: &SecretKey) -> Result<Note, NoteError> {
        let text = self.to_text();
        let signature = sign_ed25519(&text, &self.origin, sequencer)?;
        Ok(Note {
            text,
            signatures: vec![signature],
        })
    }

    /// Parses a signed checkpoint note, checks that its origin is `origin` and that the
    /// sequencer's key signed it under that name, and returns the checkpoint and the note
    /// (whose other signatures, such as cosignatures, the caller may check).
    pub fn parse_and_verify(
        signed_note: &str,
        origin: &str,
        sequencer_key: &AuthorKey,
    ) -> Result<(Checkpoint, Note), NoteError> {
        let note = Note::parse(signed_note)?;
        let checkpoint = Checkpoint::parse(&note.text)?;
        if checkpoint.origin != origin {
            return Err(NoteError::OriginMismatch {
                expected: origin.to_owned(),
                found: checkpoint.origin,
            });
        }
        note.verify(origin, sequencer_key)?;
        Ok((checkpoint, note))
    }
}

/// An ASCII decimal with no leading zeroes (except `0` itself) that fits in a u64.
pub(crate) fn parse_decimal(text: &str) -> Option<u64> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if !canonical {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_must_be_canonical() {
        assert_eq!(parse_decimal("0"), Some(0));
        assert_eq!(parse_decimal("18446744073709551615"), Some(u64::MAX));
        for bad in [
            "",
            "00",
            "01",
            "+1",
            "-1",
            " 1",
            "1 ",
            "18446744073709551616",
            "1e3",
        ] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn key_names_with_spaces_or_plus_are_refused() {
        assert!(check_key_name("example.com/log").is_ok());
        for bad in ["", "a b", "a+b", "a\u{a0}b", "a\tb"] {
            assert_eq!(
                check_key_name(bad),
                Err(NoteError::KeyNameInvalid),
                "{bad:?}"
            );
        }
    }
}
