//! Decisions on one proposal: consent (passes iff no objection is left open) and
//! yes/no/abstain/block (passes iff nobody blocks and yes outnumber no). They elect no
//! one, so `winners` is empty and the result is in [`Totals`]. Neither can tie: equal
//! yes and no fails the proposal, so no lot is ever drawn.

use crate::validate::for_each_valid;
use crate::{Ballot, ConsentStance, Method, Outcome, Profile, Round, Stance, TallyError, Totals};

pub(crate) fn count(
    method: &Method,
    profile: &Profile,
    seed: [u8; 32],
) -> Result<Outcome, TallyError> {
    let mut counted: u64 = 0;
    let mut by_kind = [0u64; 4];
    for_each_valid(method, profile, |weighted| {
        // Cannot overflow: check_profile proved all weights sum into a u64.
        counted += weighted.weight;
        let kind = match &weighted.ballot {
            Ballot::Proposal(Stance::Yes) | Ballot::Consent(ConsentStance::Consent) => 0,
            Ballot::Proposal(Stance::No)
            | Ballot::Consent(ConsentStance::Object { resolved: false }) => 1,
            Ballot::Proposal(Stance::Abstain)
            | Ballot::Consent(ConsentStance::Object { resolved: true }) => 2,
            Ballot::Proposal(Stance::Block) => 3,
            _ => unreachable!("validation admits only the method's ballot kinds"),
        };
        by_kind[kind] += weighted.weight;
    })?;
    let totals = if *method == Method::Consent {
        Totals::Consent {
            consent: by_kind[0],
            objections_open: by_kind[1],
            objections_resolved: by_kind[2],
            passed: by_kind[1] == 0,
        }
    } else {
        Totals::Proposal {
            yes: by_kind[0],
            no: by_kind[1],
            abstain: by_kind[2],
            block: by_kind[3],
            passed: by_kind[3] == 0 && by_kind[0] > by_kind[1],
        }
    };
    Ok(Outcome {
        method: method.name(),
        winners: Vec::new(),
        winners_before_tie_break: Vec::new(),
        rounds: vec![Round {
            round: 1,
            tallies: Vec::new(),
            elected: Vec::new(),
            eliminated: Vec::new(),
            surplus_of: None,
            transfers: Vec::new(),
            exhausted: "0".to_string(),
            lost_to_rounding: None,
            quota: None,
            iterations: None,
        }],
        tie_breaks: Vec::new(),
        seed,
        ballots_counted: counted,
        ballots_blank: 0,
        totals,
    })
}
