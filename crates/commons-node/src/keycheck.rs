//! Which author keys may sign: a valid curve point that is not of small order. Checking
//! that decompresses the key, which costs about a fifth of verifying a signature in a
//! batch, and a busy author signs many events under one key. The answer for a key never
//! changes, so ingest checks each key once and remembers the keys that passed, up to
//! [`REGISTRABLE_KEYS_MAX`]; a key that failed is refused again, checked each time.

use commons_ledger::AuthorKey;
use commons_ledger::keys::KeyError;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

/// How many keys that passed the check are remembered. At the limit the set is emptied
/// and refills with the keys still signing: a simple bound that never refuses a key.
pub const REGISTRABLE_KEYS_MAX: usize = 65_536;

/// Keys found registrable.
#[derive(Default)]
pub(crate) struct RegistrableKeys {
    passed: Mutex<HashSet<AuthorKey>>,
}

impl RegistrableKeys {
    /// The check of each key, in the order of `keys`. Takes the lock twice whatever the
    /// number of keys, and checks each key it does not know once.
    pub fn check_all<'a>(
        &self,
        keys: impl Iterator<Item = &'a AuthorKey> + Clone,
    ) -> Vec<Result<(), KeyError>> {
        let mut unknown: HashMap<AuthorKey, Result<(), KeyError>> = HashMap::new();
        {
            let passed = crate::lock(&self.passed);
            for key in keys.clone() {
                if !passed.contains(key) {
                    unknown.insert(*key, Ok(()));
                }
            }
        }
        if !unknown.is_empty() {
            for (key, result) in &mut unknown {
                *result = key.check_registrable();
            }
            let mut passed = crate::lock(&self.passed);
            for (key, result) in &unknown {
                if result.is_ok() {
                    if passed.len() >= REGISTRABLE_KEYS_MAX {
                        passed.clear();
                    }
                    passed.insert(*key);
                }
            }
        }
        keys.map(|key| unknown.get(key).cloned().unwrap_or(Ok(())))
            .collect()
    }

    /// The check of one key.
    pub fn check(&self, key: &AuthorKey) -> Result<(), KeyError> {
        self.check_all(std::iter::once(key)).pop().unwrap_or(Ok(()))
    }

    /// How many keys are remembered.
    #[cfg(test)]
    fn len(&self) -> usize {
        crate::lock(&self.passed).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commons_ledger::SecretKey;

    fn key(n: u32) -> AuthorKey {
        let mut seed = [7u8; 32];
        seed[..4].copy_from_slice(&n.to_le_bytes());
        SecretKey::from_seed(seed).author_key()
    }

    #[test]
    fn small_order_and_invalid_keys_are_refused_every_time_and_never_remembered() {
        let keys = RegistrableKeys::default();
        let good = key(0);
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let small = AuthorKey(identity);
        // y = 2 is not the y of any curve point.
        let mut not_a_point = [0u8; 32];
        not_a_point[0] = 2;
        let invalid = AuthorKey(not_a_point);
        for _ in 0..2 {
            let results = keys.check_all([&good, &small, &invalid, &small].into_iter());
            assert_eq!(
                results,
                vec![
                    Ok(()),
                    Err(KeyError::SmallOrder),
                    Err(KeyError::InvalidPoint),
                    Err(KeyError::SmallOrder)
                ]
            );
            assert_eq!(keys.len(), 1, "only the good key is remembered");
        }
    }

    #[test]
    fn the_set_of_remembered_keys_stays_within_its_limit() {
        let keys = RegistrableKeys::default();
        let all: Vec<AuthorKey> = (0..=REGISTRABLE_KEYS_MAX as u32).map(key).collect();
        let (first, last) = all.split_at(REGISTRABLE_KEYS_MAX);
        assert!(keys.check_all(first.iter()).iter().all(Result::is_ok));
        assert_eq!(keys.len(), REGISTRABLE_KEYS_MAX);
        // Known keys are answered from the set, which does not grow.
        assert!(keys.check_all(first[..10].iter()).iter().all(Result::is_ok));
        assert_eq!(keys.len(), REGISTRABLE_KEYS_MAX);
        assert!(keys.check_all(last.iter()).iter().all(Result::is_ok));
        assert_eq!(keys.len(), 1, "a full set is emptied before the next key");
    }
}
