//! Forks (spec §9): a new commons whose ledger begins with another commons' first `size`
//! events, followed at index `size` by its own `commons.genesis`, whose `parent` names the
//! parent's signed checkpoint at that size.
//!
//! The fork's state is the parent's state after `size` events, transformed whole (so
//! every area, present and future, carries over without a rule here knowing it):
//!
//! - `commons` becomes the fork's id; events after the genesis name it.
//! - Governance is the fork genesis' (name, maintainers, threshold, sequencer, licence,
//!   parent). Its `version` continues from the parent's plus one: the genesis is a change
//!   of governance that takes effect, so the version keeps counting changes along the
//!   one ledger, and open proposals made under the parent's governance are marked stale.
//! - Agents, author chains, frozen authors, ledger time and everything else carry over
//!   unchanged. An author's first event in the fork continues its chain (next `seq`,
//!   `prev` naming its last prefix event).
//!
//! The genesis itself is `seq = 0` with no `prev` (spec §9), so its author must have no
//! chain in the prefix (`chain_broken` otherwise): a second seq-0 event of one author in
//! one ledger would contradict the chain it already has.
//!
//! The licence must be compatible with the parent's ([`licence_compatible`]).
//!
//! Core checks what the ledger alone shows: the parent is the commons being folded, the
//! genesis sits at index `size`, the checkpoint note's text names the parent's origin,
//! `size` and `root`. Whether the parent's sequencer signed that note, and whether `root`
//! is the ledger's root at `size`, needs keys and Merkle hashes: the node checks it on
//! ingest and the audit on verification.

use crate::network::{GENESIS, genesis_body_with_parent, read_genesis};
use crate::rejection::{Rejection, RejectionCode, reject};
use crate::state::{ChainHead, ForkParent, ProposalStatus, State};
use commons_ledger::cbor::Value;
use commons_ledger::note::{Checkpoint, Note, origin_for};
use commons_ledger::{AuthorKey, CommonsId, Event, Hash};

/// Licences whose terms let a fork choose any licence (the parent is permissive when one
/// of its alternatives requires only these).
pub const PERMISSIVE_LICENCES: &[&str] = &[
    "MIT",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "Apache-2.0",
    "ISC",
    "CC0-1.0",
    "Unlicense",
    "CC-BY-4.0",
    "Zlib",
];

/// The body of a fork's `commons.genesis`.
pub fn fork_genesis_body(
    name: &str,
    maintainers: &[AuthorKey],
    threshold: u64,
    sequencer: &AuthorKey,
    licence: &str,
    parent: &ForkParent,
) -> Value {
    let parent = Value::text_map([
        ("commons", Value::bytes(parent.commons.0.to_vec())),
        ("size", Value::Unsigned(parent.size)),
        ("root", Value::bytes(parent.root.to_vec())),
        ("checkpoint", Value::text(parent.checkpoint.clone())),
    ]);
    genesis_body_with_parent(name, maintainers, threshold, sequencer, licence, parent)
}

/// The state of the fork that `event` (a `commons.genesis` naming a parent) starts at
/// ledger `index`, from `parent`, the state of the ledger folded so far. `parent` is not
/// changed; on rejection nothing is.
pub fn fork(parent: &State, event: &Event, index: u64) -> Result<State, Rejection> {
    assert_eq!(index, parent.size, "events are folded in ledger order");
    let mut governance = read_genesis(event)?;
    let Some(fork_parent) = governance.parent.clone() else {
        return reject(
            RejectionCode::GenesisInvalid,
            format!("a {GENESIS} after leaf 0 must name the parent whose ledger it continues"),
        );
    };
    if fork_parent.commons != parent.commons || fork_parent.size != index {
        return reject(
            RejectionCode::GenesisInvalid,
            format!(
                "a fork at ledger index {index} must name parent commons {} at size {index}",
                parent.commons
            ),
        );
    }
    check_checkpoint_text(&fork_parent)?;
    let author = event.header.author;
    if parent.chains.contains_key(&author) {
        return reject(
            RejectionCode::ChainBroken,
            "the fork's genesis is seq 0, but its author already has a chain in the parent's prefix; sign it with another key",
        );
    }
    if !licence_compatible(&parent.governance.licence, &governance.licence) {
        return reject(
            RejectionCode::LicenceIncompatible,
            format!(
                "the fork's licence `{}` is not compatible with the parent's `{}`: keep it, choose among its OR alternatives, or fork a permissively licensed commons",
                governance.licence, parent.governance.licence
            ),
        );
    }
    governance.version = parent.governance.version + 1;

    let mut state = parent.clone();
    state.commons = CommonsId(event.id.0);
    state.size = index + 1;
    state.governance = governance;
    for proposal in state.proposals.values_mut() {
        if proposal.status == ProposalStatus::Open {
            proposal.status = ProposalStatus::Stale;
        }
    }
    state.chains.insert(
        author,
        ChainHead {
            seq: 0,
            id: event.id,
        },
    );
    Ok(state)
}

/// Checks that the parent checkpoint is a signed note whose text is the checkpoint of
/// the parent's origin at the fork's size and root.
fn check_checkpoint_text(parent: &ForkParent) -> Result<(), Rejection> {
    let invalid = |why: String| {
        Rejection::new(
            RejectionCode::GenesisInvalid,
            format!("the parent checkpoint {why}"),
        )
    };
    let note = Note::parse(&parent.checkpoint)
        .map_err(|e| invalid(format!("is not a signed note: {e}")))?;
    let checkpoint =
        Checkpoint::parse(&note.text).map_err(|e| invalid(format!("is not a checkpoint: {e}")))?;
    let origin = origin_for(&parent.commons);
    if checkpoint.origin != origin
        || checkpoint.size != parent.size
        || checkpoint.root != Hash(parent.root)
    {
        return Err(invalid(format!(
            "must be {origin} at size {} with the root the genesis names",
            parent.size
        )));
    }
    Ok(())
}

/// Whether a fork may take `fork` as its licence when its parent has `parent`: the same
/// expression; or one or more of the parent's top-level `OR` alternatives (the licensee
/// of an `OR` chooses); or anything at all when the parent is permissive (one of its
/// alternatives requires only [`PERMISSIVE_LICENCES`]). Expressions are compared as
/// tokens, bytewise, so spacing and redundant outer parentheses do not matter.
pub fn licence_compatible(parent: &str, fork: &str) -> bool {
    let (Some(parent_alternatives), Some(fork_alternatives)) =
        (alternatives(parent), alternatives(fork))
    else {
        return false;
    };
    if parent_alternatives == fork_alternatives {
        return true;
    }
    if fork_alternatives
        .iter()
        .all(|choice| parent_alternatives.contains(choice))
    {
        return true;
    }
    is_permissive(parent)
}

/// Whether the expression can be satisfied with permissive licences alone.
fn is_permissive(expression: &str) -> bool {
    let Ok(parsed) = spdx::Expression::parse(expression) else {
        return false;
    };
    parsed.evaluate(|requirement| {
        requirement.addition.is_none()
            && matches!(
                &requirement.license,
                spdx::LicenseItem::Spdx { id, .. } if PERMISSIVE_LICENCES.contains(&id.name)
            )
    })
}

/// The top-level `OR` alternatives of an SPDX expression, each as its tokens with
/// redundant outer parentheses removed; `None` if the parentheses do not balance.
fn alternatives(expression: &str) -> Option<Vec<Vec<&str>>> {
    let tokens = tokens(expression);
    let mut alternatives = Vec::new();
    let mut current = Vec::new();
    let mut depth: usize = 0;
    for token in strip_parentheses(&tokens) {
        match *token {
            "(" => depth += 1,
            ")" => depth = depth.checked_sub(1)?,
            "OR" if depth == 0 => {
                alternatives.push(strip_parentheses(&current).to_vec());
                current = Vec::new();
                continue;
            }
            _ => {}
        }
        current.push(*token);
    }
    if depth != 0 {
        return None;
    }
    alternatives.push(strip_parentheses(&current).to_vec());
    alternatives.sort();
    alternatives.dedup();
    Some(alternatives)
}

/// Words and parentheses of an expression.
fn tokens(expression: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let mut start = None;
    for (at, c) in expression.char_indices() {
        if c == '(' || c == ')' || c.is_whitespace() {
            if let Some(from) = start.take() {
                tokens.push(&expression[from..at]);
            }
            if !c.is_whitespace() {
                tokens.push(&expression[at..at + 1]);
            }
        } else if start.is_none() {
            start = Some(at);
        }
    }
    if let Some(from) = start {
        tokens.push(&expression[from..]);
    }
    tokens
}

/// The tokens without parentheses that enclose all of them.
fn strip_parentheses<'a, 'b>(mut tokens: &'b [&'a str]) -> &'b [&'a str] {
    while tokens.len() >= 2 && tokens[0] == "(" && tokens[tokens.len() - 1] == ")" {
        // Only when the first parenthesis closes at the very end: `(A) AND (B)` stays.
        let mut depth = 0usize;
        let mut closes_at_end = true;
        for (at, token) in tokens.iter().enumerate() {
            match *token {
                "(" => depth += 1,
                ")" => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 && at != tokens.len() - 1 {
                        closes_at_end = false;
                        break;
                    }
                }
                _ => {}
            }
        }
        if !closes_at_end {
            break;
        }
        tokens = &tokens[1..tokens.len() - 1];
    }
    tokens
}

#[cfg(test)]
#[path = "fork_tests.rs"]
mod tests;
