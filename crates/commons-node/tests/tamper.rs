//! The tamper law: flipping, inserting or deleting any single byte of an exported bundle
//! is always detected by reading and auditing it.
#![allow(clippy::unwrap_used)]

mod common;

use commons_node::audit::{NoProgress, audit_bundle};
use commons_node::bundle::{export, read_bundle};
use commons_testkit::TestNode;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};

/// The bytes of an exported bundle of a small ledger: genesis, three authors over seven
/// rounds with cross-author deps, a governance change, a tick and a checkpoint per round.
fn small_bundle_bytes() -> Vec<u8> {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let t = TestNode::start().await;
        let ledger = common::busy_ledger(&t, 3, 7).await;
        let mut bytes = Vec::new();
        let report = export(t.node.store(), &ledger.commons, &mut bytes, &NoProgress)
            .await
            .unwrap();
        assert!((25..=40).contains(&report.size), "{report:?}");
        assert!(report.n_checkpoints >= 5, "{report:?}");
        bytes
    })
}

#[derive(Clone, Debug)]
enum Mutation {
    Flip { position: usize, mask: u8 },
    Insert { position: usize, byte: u8 },
    Delete { position: usize },
}

impl Mutation {
    fn apply(&self, bytes: &[u8]) -> Vec<u8> {
        let mut out = bytes.to_vec();
        match *self {
            Mutation::Flip { position, mask } => out[position] ^= mask,
            Mutation::Insert { position, byte } => out.insert(position, byte),
            Mutation::Delete { position } => {
                out.remove(position);
            }
        }
        out
    }
}

fn mutation(len: usize) -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (0..len, 1..=255u8).prop_map(|(position, mask)| Mutation::Flip { position, mask }),
        (0..=len, any::<u8>()).prop_map(|(position, byte)| Mutation::Insert { position, byte }),
        (0..len).prop_map(|position| Mutation::Delete { position }),
    ]
}

fn detected(bytes: &[u8]) -> bool {
    match read_bundle(bytes) {
        Err(_) => true,
        Ok(bundle) => audit_bundle(&bundle, &NoProgress).is_err(),
    }
}

#[test]
fn any_single_byte_flipped_inserted_or_deleted_in_a_bundle_is_detected() {
    let bytes = small_bundle_bytes();
    let bundle = read_bundle(&bytes).unwrap();
    audit_bundle(&bundle, &NoProgress).unwrap();
    let config = Config {
        cases: 2_048,
        rng_seed: RngSeed::Fixed(0x7461_6d70_6572),
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    runner
        .run(&mutation(bytes.len()), |mutation| {
            let mutated = mutation.apply(&bytes);
            if detected(&mutated) {
                Ok(())
            } else {
                Err(TestCaseError::fail(format!("{mutation:?} went undetected")))
            }
        })
        .unwrap();
}

/// Insertions and deletions shift everything after them, so they are checked at every
/// position, not only sampled; so are single-bit flips of the bundle's first and last
/// items, where the structure is densest.
#[test]
fn every_single_byte_insertion_deletion_and_edge_flip_is_detected() {
    let bytes = small_bundle_bytes();
    let len = bytes.len();
    let mut undetected = Vec::new();
    for position in 0..len {
        let mut mutations = vec![
            Mutation::Delete { position },
            Mutation::Insert {
                position,
                byte: bytes[position],
            },
        ];
        if position < 128 || position + 512 >= len {
            mutations.extend((0..8).map(|bit| Mutation::Flip {
                position,
                mask: 1 << bit,
            }));
        }
        for mutation in mutations {
            if !detected(&mutation.apply(&bytes)) {
                undetected.push(mutation);
            }
        }
    }
    for byte in [0x00, 0x0a, 0xf6, 0xff] {
        let mutation = Mutation::Insert {
            position: len,
            byte,
        };
        if !detected(&mutation.apply(&bytes)) {
            undetected.push(mutation);
        }
    }
    assert!(undetected.is_empty(), "undetected: {undetected:?}");
}
