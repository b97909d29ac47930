//! Author keys and Ed25519 signatures, verified under ZIP-215 rules.
//!
//! ZIP-215 fixes which signatures are valid so that single and batch verification agree;
//! `ed25519-zebra` implements exactly those rules. Keys of small order are refused when
//! they are registered, because any message verifies under them for some signatures.

use crate::hash::Hash;
use curve25519_dalek::edwards::CompressedEdwardsY;
use ed25519_zebra::{SigningKey, VerificationKey, VerificationKeyBytes, batch};

/// The type byte of an Ed25519 author key in its 33-byte encoding.
pub const ED25519_KEY_TYPE: u8 = 0x01;
/// Length of an encoded author key.
pub const AUTHOR_KEY_LEN: usize = 33;

/// The public key of an author: Ed25519, written on the wire as `0x01 || key[32]`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AuthorKey(pub [u8; 32]);

/// An Ed25519 signature.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature(pub [u8; 64]);

/// Why an author key or signature is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("author key must be 33 bytes starting with 0x01")]
    Encoding,
    #[error("author key is not a valid curve point")]
    InvalidPoint,
    #[error("author key has small order")]
    SmallOrder,
    #[error("signature does not verify")]
    BadSignature,
}

impl AuthorKey {
    /// The 33-byte wire form.
    pub fn to_bytes(&self) -> [u8; AUTHOR_KEY_LEN] {
        let mut out = [0u8; AUTHOR_KEY_LEN];
        out[0] = ED25519_KEY_TYPE;
        out[1..].copy_from_slice(&self.0);
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<AuthorKey, KeyError> {
        match bytes {
            [ED25519_KEY_TYPE, rest @ ..] if rest.len() == 32 => {
                let mut key = [0u8; 32];
                key.copy_from_slice(rest);
                Ok(AuthorKey(key))
            }
            _ => Err(KeyError::Encoding),
        }
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.to_bytes())
    }

    pub fn from_hex(text: &str) -> Result<AuthorKey, KeyError> {
        let bytes = hex::decode(text.trim()).map_err(|_| KeyError::Encoding)?;
        AuthorKey::from_bytes(&bytes)
    }

    /// Refuses keys that are not curve points or that have small order (spec §1).
    pub fn check_registrable(&self) -> Result<(), KeyError> {
        let point = CompressedEdwardsY(self.0)
            .decompress()
            .ok_or(KeyError::InvalidPoint)?;
        if point.is_small_order() {
            return Err(KeyError::SmallOrder);
        }
        Ok(())
    }

    /// Verifies `signature` over `message` under ZIP-215 rules.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), KeyError> {
        let key = VerificationKey::try_from(self.0).map_err(|_| KeyError::InvalidPoint)?;
        key.verify(&ed25519_zebra::Signature::from_bytes(&signature.0), message)
            .map_err(|_| KeyError::BadSignature)
    }

    /// A short, stable, human-readable form for logs and pages: the first 8 hex digits of
    /// the key itself (after the type byte).
    pub fn short(&self) -> String {
        hex::encode(&self.0[..4])
    }
}

impl std::fmt::Debug for AuthorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuthorKey({})", self.to_hex())
    }
}

impl std::fmt::Display for AuthorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Signature {
    pub fn from_slice(bytes: &[u8]) -> Option<Signature> {
        <[u8; 64]>::try_from(bytes).ok().map(Signature)
    }
}

impl std::fmt::Debug for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signature({})", hex::encode(self.0))
    }
}

/// An Ed25519 secret key (the 32-byte seed of RFC 8032). Its `Debug` never shows the seed.
#[derive(Clone)]
pub struct SecretKey {
    seed: [u8; 32],
    signing: SigningKey,
}

impl SecretKey {
    pub fn from_seed(seed: [u8; 32]) -> SecretKey {
        SecretKey {
            seed,
            signing: SigningKey::from(seed),
        }
    }

    /// A key from caller-supplied randomness; callers pass the OS generator.
    pub fn generate(rng: &mut impl rand_core::CryptoRng) -> SecretKey {
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        SecretKey::from_seed(seed)
    }

    pub fn seed(&self) -> &[u8; 32] {
        &self.seed
    }

    pub fn author_key(&self) -> AuthorKey {
        AuthorKey(VerificationKeyBytes::from(&self.signing).into())
    }

    pub fn sign(&self, message: &[u8]) -> Signature {
        Signature(self.signing.sign(message).to_bytes())
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SecretKey({}, seed redacted)",
            self.author_key().to_hex()
        )
    }
}

/// Verifies many signatures at once. Returns `Ok` only if all are valid; on failure the
/// caller falls back to single verification to find the bad ones.
///
/// The randomness makes forged batches fail with overwhelming probability; it must come
/// from a generator the submitter cannot predict.
pub fn verify_batch<'a>(
    items: impl IntoIterator<Item = (&'a AuthorKey, &'a [u8], &'a Signature)>,
    rng: impl rand_core::CryptoRng,
) -> Result<(), KeyError> {
    let mut verifier = batch::Verifier::new();
    for (key, message, signature) in items {
        let signature = ed25519_zebra::Signature::from_bytes(&signature.0);
        verifier.queue((VerificationKeyBytes::from(key.0), signature, message));
    }
    verifier.verify(rng).map_err(|_| KeyError::BadSignature)
}

/// `SHA-256(message)` signed: a helper for proofs of possession in key rotation.
pub fn possession_message(context: &str, parts: &[&[u8]]) -> Vec<u8> {
    let mut message = context.as_bytes().to_vec();
    message.push(b'\n');
    let mut all: Vec<&[u8]> = Vec::with_capacity(parts.len());
    all.extend_from_slice(parts);
    message.extend_from_slice(&Hash::of(&all).0);
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8032 §7.1, tests 1 to 3 and the 1023-byte test 4 is covered by the file below.
    const RFC8032_VECTORS: &[(&str, &str, &str, &str)] = &[
        (
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            "",
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        ),
        (
            "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
            "72",
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
        ),
        (
            "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
            "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
            "af82",
            "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
        ),
        (
            "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
            "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
            "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704",
        ),
    ];

    #[test]
    fn rfc_8032_section_7_1_vectors_sign_and_verify() {
        for (seed, public, message, signature) in RFC8032_VECTORS {
            let seed: [u8; 32] = hex::decode(seed).unwrap().try_into().unwrap();
            let key = SecretKey::from_seed(seed);
            assert_eq!(hex::encode(key.author_key().0), *public);
            let message = hex::decode(message).unwrap();
            let produced = key.sign(&message);
            assert_eq!(hex::encode(produced.0), *signature);
            key.author_key().verify(&message, &produced).unwrap();
            let mut tampered = message.clone();
            tampered.push(0);
            assert_eq!(
                key.author_key().verify(&tampered, &produced),
                Err(KeyError::BadSignature)
            );
        }
    }

    #[test]
    fn batch_verification_agrees_with_single_verification() {
        let keys: Vec<SecretKey> = (0u8..8).map(|i| SecretKey::from_seed([i; 32])).collect();
        let messages: Vec<Vec<u8>> = (0u8..8).map(|i| vec![i; 10]).collect();
        let signed: Vec<(AuthorKey, Vec<u8>, Signature)> = keys
            .iter()
            .zip(&messages)
            .map(|(k, m)| (k.author_key(), m.clone(), k.sign(m)))
            .collect();
        let rng = rand_core::UnwrapErr(getrandom::SysRng);
        verify_batch(signed.iter().map(|(k, m, s)| (k, m.as_slice(), s)), rng).unwrap();
        let mut forged = signed.clone();
        forged[3].1.push(1);
        let rng = rand_core::UnwrapErr(getrandom::SysRng);
        assert!(verify_batch(forged.iter().map(|(k, m, s)| (k, m.as_slice(), s)), rng).is_err());
    }

    #[test]
    fn small_order_keys_are_refused() {
        // The identity point (y = 1) has order 1.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(
            AuthorKey(identity).check_registrable(),
            Err(KeyError::SmallOrder)
        );
        // A point of order 8 (from the ZIP-215 list of small-order encodings).
        let order_eight =
            hex::decode("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")
                .unwrap();
        assert_eq!(
            AuthorKey(order_eight.try_into().unwrap()).check_registrable(),
            Err(KeyError::SmallOrder)
        );
        assert!(
            SecretKey::from_seed([7; 32])
                .author_key()
                .check_registrable()
                .is_ok()
        );
    }

    #[test]
    fn key_encoding_requires_the_ed25519_type_byte() {
        let key = SecretKey::from_seed([1; 32]).author_key();
        assert_eq!(AuthorKey::from_bytes(&key.to_bytes()).unwrap(), key);
        let mut wrong = key.to_bytes();
        wrong[0] = 2;
        assert_eq!(AuthorKey::from_bytes(&wrong), Err(KeyError::Encoding));
        assert_eq!(AuthorKey::from_bytes(&wrong[..32]), Err(KeyError::Encoding));
    }
}
