//! The node's web secret: the one key behind session-independent CSRF tokens, link-key
//! challenges and the sealing of custodial signing keys. It never appears in logs or
//! `Debug` output.

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use hmac::{Hmac, KeyInit as _, Mac};
use sha2::{Digest, Sha256};

/// Bytes of a secret, and of every random token the web issues.
pub const SECRET_LEN: usize = 32;
/// Bytes of the random nonce in front of a sealed secret.
const NONCE_LEN: usize = 12;

/// A value shown as `[redacted]` by `Debug`, for anything secret in configuration.
#[derive(Clone, PartialEq, Eq)]
pub struct Redacted<T>(pub T);

impl<T> std::fmt::Debug for Redacted<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The node's web secret.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct WebSecret(Redacted<[u8; SECRET_LEN]>);

impl WebSecret {
    pub fn from_bytes(bytes: [u8; SECRET_LEN]) -> WebSecret {
        WebSecret(Redacted(bytes))
    }

    /// A fresh random secret (tests, and nodes that keep no web state across restarts).
    pub fn generate() -> WebSecret {
        WebSecret::from_bytes(random_bytes())
    }

    /// A key for one purpose, so that no two uses share key material.
    fn derive(&self, purpose: &str) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(b"commons web secret v1\0");
        hasher.update(purpose.as_bytes());
        hasher.update([0]);
        hasher.update(self.0.0);
        hasher.finalize().into()
    }

    /// HMAC-SHA-256 of `message` under the key for `purpose`, as hex.
    pub fn mac_hex(&self, purpose: &str, message: &[u8]) -> String {
        let mut mac = <Hmac<Sha256>>::new_from_slice(&self.derive(purpose))
            .expect("HMAC takes a key of any length");
        mac.update(message);
        hex::encode(mac.finalize().into_bytes())
    }

    /// Encrypts `plain` (a signing key's seed) so that only this node can open it:
    /// ChaCha20-Poly1305 with a random nonce, the nonce in front.
    pub fn seal(&self, plain: &[u8]) -> Vec<u8> {
        let cipher = ChaCha20Poly1305::new(&self.derive("seal").into());
        let nonce_bytes: [u8; NONCE_LEN] = random_bytes();
        let sealed = cipher
            .encrypt(Nonce::from_slice(&nonce_bytes), plain)
            .expect("encrypting in memory cannot fail");
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens what [`seal`](Self::seal) made; `None` if it was sealed under another secret
    /// or changed.
    pub fn open(&self, sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        ChaCha20Poly1305::new(&self.derive("seal").into())
            .decrypt(Nonce::from_slice(nonce), body)
            .ok()
    }
}

/// `N` bytes from the operating system's random source.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    bytes
}

/// A random token as hex: session ids, CSRF tokens.
pub fn random_token() -> String {
    hex::encode(random_bytes::<SECRET_LEN>())
}

/// SHA-256 of a token: what the store keeps instead of a session id.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Compares two strings in time independent of where they differ.
pub fn same(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_secret() {
        let secret = WebSecret::from_bytes([0xab; SECRET_LEN]);
        let shown = format!("{secret:?}");
        assert!(!shown.contains("ab"), "{shown}");
        assert!(shown.contains("[redacted]"));
    }

    #[test]
    fn sealed_keys_open_only_under_the_same_secret_and_unchanged() {
        let secret = WebSecret::generate();
        let sealed = secret.seal(b"seed bytes");
        assert_eq!(secret.open(&sealed).as_deref(), Some(&b"seed bytes"[..]));
        assert_eq!(WebSecret::generate().open(&sealed), None);
        let mut changed = sealed.clone();
        let last = changed.len() - 1;
        changed[last] ^= 1;
        assert_eq!(secret.open(&changed), None);
        assert_eq!(secret.open(&sealed[..4]), None);
    }

    #[test]
    fn macs_depend_on_purpose_and_message() {
        let secret = WebSecret::generate();
        assert_eq!(secret.mac_hex("a", b"m"), secret.mac_hex("a", b"m"));
        assert_ne!(secret.mac_hex("a", b"m"), secret.mac_hex("b", b"m"));
        assert_ne!(secret.mac_hex("a", b"m"), secret.mac_hex("a", b"n"));
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
