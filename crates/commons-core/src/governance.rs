//! Commons governance: who maintains the commons, how many of them must approve a change,
//! which key sequences its ledger, and under which licence its artifacts are shared.
//!
//! A maintainer proposes a change with `gov.update` (their approval counts); other
//! maintainers approve it with `gov.approve`. It takes effect when `threshold` current
//! maintainers have approved it. Taking effect makes every other open proposal stale, so
//! no approval given under old rules carries over to new ones.

use crate::body::BodyReader;
use crate::network::{COMMONS_NAME_LEN_MAX, LICENCE_LEN_MAX};
use crate::projection::RowKey;
use crate::rejection::{Rejection, RejectionCode, reject};
use crate::state::{
    Governance, GovernanceChange, MAINTAINERS_MAX, OPEN_PROPOSALS_MAX, Proposal, ProposalStatus,
    State,
};
use crate::{Applied, Input};
use commons_ledger::AuthorKey;
use commons_ledger::keys::KeyError;
use std::collections::BTreeSet;

pub const UPDATE: &str = "gov.update";
pub const APPROVE: &str = "gov.approve";

/// Longest reason attached to a change, in bytes.
pub const REASON_LEN_MAX: usize = 2_000;

/// Refuses an expression that is not valid SPDX (`LicenseRef-…` is allowed, e.g. for the
/// Peer Production License).
pub fn validate_licence(licence: &str) -> Result<(), Rejection> {
    match spdx::Expression::parse(licence) {
        Ok(_) => Ok(()),
        Err(e) => reject(
            RejectionCode::LicenceInvalid,
            format!(
                "`{licence}` is not a valid SPDX licence expression: {}",
                e.reason
            ),
        ),
    }
}

fn validate_key(key: &AuthorKey, role: &str) -> Result<(), Rejection> {
    match key.check_registrable() {
        Ok(()) => Ok(()),
        Err(KeyError::SmallOrder) => reject(
            RejectionCode::SmallOrderKey,
            format!("the {role} key {key} has small order"),
        ),
        Err(_) => reject(
            RejectionCode::KeyInvalid,
            format!("the {role} key {key} is not a valid key"),
        ),
    }
}

/// Checks the rules every governance must meet.
pub fn validate_governance(governance: &Governance) -> Result<(), Rejection> {
    let n = governance.maintainers.len();
    if n == 0 || n > MAINTAINERS_MAX {
        return reject(
            RejectionCode::GovernanceInvalid,
            format!("a commons has 1 to {MAINTAINERS_MAX} maintainers"),
        );
    }
    let unique: BTreeSet<_> = governance.maintainers.iter().collect();
    if unique.len() != n {
        return reject(
            RejectionCode::GovernanceInvalid,
            "a maintainer is listed twice",
        );
    }
    if governance.threshold == 0 || governance.threshold > n as u64 {
        return reject(
            RejectionCode::GovernanceInvalid,
            format!("the threshold must be between 1 and the number of maintainers ({n})"),
        );
    }
    for key in &governance.maintainers {
        validate_key(key, "maintainer")?;
    }
    validate_key(&governance.sequencer, "sequencer")
}

fn read_change(input: &Input<'_>) -> Result<GovernanceChange, Rejection> {
    let mut reader = BodyReader::new(UPDATE, input.body)?;
    let change = GovernanceChange {
        name: reader.optional_text("name", 1, COMMONS_NAME_LEN_MAX)?,
        maintainers: reader.optional_keys("maintainers", MAINTAINERS_MAX)?,
        threshold: reader.optional_uint("threshold")?,
        sequencer: reader.optional_key("sequencer")?,
        licence: reader.optional_text("licence", 1, LICENCE_LEN_MAX)?,
        unfreeze: reader
            .optional_keys("unfreeze", MAINTAINERS_MAX)?
            .unwrap_or_default(),
        reason: reader.optional_text("reason", 1, REASON_LEN_MAX)?,
    };
    reader.finish()?;
    let changes_nothing = change.name.is_none()
        && change.maintainers.is_none()
        && change.threshold.is_none()
        && change.sequencer.is_none()
        && change.licence.is_none()
        && change.unfreeze.is_empty();
    if changes_nothing {
        return reject(
            RejectionCode::BodyInvalid,
            "gov.update: the update changes nothing",
        );
    }
    Ok(change)
}

/// The governance `change` would produce.
fn changed(current: &Governance, change: &GovernanceChange) -> Governance {
    Governance {
        name: change.name.clone().unwrap_or_else(|| current.name.clone()),
        maintainers: change
            .maintainers
            .clone()
            .unwrap_or_else(|| current.maintainers.clone()),
        threshold: change.threshold.unwrap_or(current.threshold),
        sequencer: change.sequencer.unwrap_or(current.sequencer),
        licence: change
            .licence
            .clone()
            .unwrap_or_else(|| current.licence.clone()),
        parent: current.parent.clone(),
        version: current.version + 1,
    }
}

pub(crate) fn update(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = input.event.header.author;
    let change = read_change(input)?;
    if let Some(licence) = &change.licence {
        validate_licence(licence)?;
    }
    validate_governance(&changed(&state.governance, &change))?;
    for key in &change.unfreeze {
        if !state.frozen.contains_key(key) {
            return reject(
                RejectionCode::GovernanceInvalid,
                format!("{key} is not frozen"),
            );
        }
    }
    if state.n_open_proposals() >= OPEN_PROPOSALS_MAX {
        return reject(
            RejectionCode::ProposalsFull,
            format!(
                "{OPEN_PROPOSALS_MAX} proposals are already open; approve or supersede them first"
            ),
        );
    }
    let proposal_id = input.event.id;
    state.proposals.insert(
        proposal_id,
        Proposal {
            proposer: author,
            index: input.index,
            governance_version: state.governance.version,
            change,
            approvals: BTreeSet::from([author]),
            status: ProposalStatus::Open,
        },
    );
    let mut applied = Applied::default();
    applied.touch(RowKey::Proposal(proposal_id));
    take_effect_if_approved(state, proposal_id, input.index, &mut applied);
    Ok(applied)
}

pub(crate) fn approve(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = input.event.header.author;
    let mut reader = BodyReader::new(APPROVE, input.body)?;
    let proposal_id = reader.event_id("update")?;
    reader.finish()?;
    if !input.event.header.deps.contains(&proposal_id) {
        return reject(
            RejectionCode::BodyInvalid,
            "gov.approve: the approved update must also be listed in deps",
        );
    }
    let Some(proposal) = state.proposals.get_mut(&proposal_id) else {
        return reject(RejectionCode::ProposalUnknown, "no gov.update has that id");
    };
    match proposal.status {
        ProposalStatus::Open => {}
        ProposalStatus::Applied(_) => {
            return reject(
                RejectionCode::ProposalClosed,
                "that change already took effect",
            );
        }
        ProposalStatus::Stale => {
            return reject(
                RejectionCode::ProposalStale,
                "governance changed since that proposal; propose it again",
            );
        }
    }
    if !proposal.approvals.insert(author) {
        return reject(
            RejectionCode::AlreadyApproved,
            "you already approved this change",
        );
    }
    let mut applied = Applied::default();
    applied.touch(RowKey::Proposal(proposal_id));
    take_effect_if_approved(state, proposal_id, input.index, &mut applied);
    Ok(applied)
}

/// Applies the proposal if enough current maintainers approve it.
fn take_effect_if_approved(
    state: &mut State,
    proposal_id: commons_ledger::EventId,
    index: u64,
    applied: &mut Applied,
) {
    let Some(proposal) = state.proposals.get(&proposal_id) else {
        return;
    };
    let n_approvals = proposal
        .approvals
        .iter()
        .filter(|k| state.governance.maintainers.contains(k))
        .count() as u64;
    if n_approvals < state.governance.threshold {
        return;
    }
    let change = proposal.change.clone();
    state.governance = changed(&state.governance, &change);
    for key in &change.unfreeze {
        state.frozen.remove(key);
        applied.touch(RowKey::Frozen(*key));
    }
    for (id, other) in state.proposals.iter_mut() {
        if *id == proposal_id {
            other.status = ProposalStatus::Applied(index);
            applied.touch(RowKey::Proposal(*id));
        } else if other.status == ProposalStatus::Open {
            other.status = ProposalStatus::Stale;
            applied.touch(RowKey::Proposal(*id));
        }
    }
    applied.touch(RowKey::Commons);
}
