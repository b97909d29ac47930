//! The JSON shape of a profile, for any serde format (the `commons` binary reads it with
//! serde_json):
//!
//! ```json
//! {"candidates": ["Alice", "Bob", "Carol"], "seats": 1,
//!  "ballots": [{"weight": 3, "ranking": [[0], [2], [1]]},
//!              {"ranking": [[1, 2]]}]}
//! ```
//!
//! `seats` defaults to 1 and `weight` to 1. Each ballot has exactly one of `choice` (a
//! candidate), `approval` (candidates), `scores` (`[candidate, score]` pairs), `ranking`
//! (ranks of candidates, most preferred first), `proposal` (`"yes"`, `"no"`,
//! `"abstain"`, `"block"`), `consent` (`"consent"` or `{"object": {"resolved": false}}`)
//! or `availability` (`[slot, "yes" | "if_need_be" | "no"]` pairs). Candidates are
//! indexes into `candidates`.

use serde::{Deserialize, Serialize};

use crate::{Availability, Ballot, Candidate, ConsentStance, Profile, Stance, WeightedBallot};

/// A profile as JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonProfile {
    pub candidates: Vec<String>,
    #[serde(default = "one_seat")]
    pub seats: u32,
    pub ballots: Vec<JsonBallot>,
}

/// A ballot as JSON: a weight and exactly one kind.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonBallot {
    #[serde(default = "one_weight")]
    pub weight: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choice: Option<Candidate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<Vec<Candidate>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scores: Option<Vec<(Candidate, u32)>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranking: Option<Vec<Vec<Candidate>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposal: Option<Stance>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<ConsentStance>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability: Option<Vec<(Candidate, Availability)>>,
}

fn one_seat() -> u32 {
    1
}

fn one_weight() -> u64 {
    1
}

/// A JSON ballot without exactly one kind, naming it by index (from 0).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("ballot {ballot_index}: {message}")]
pub struct JsonError {
    pub ballot_index: usize,
    pub message: String,
}

impl JsonError {
    /// The stable code of every JSON shape error.
    pub fn code(&self) -> &'static str {
        "json_malformed"
    }
}

impl JsonProfile {
    /// The profile these ballots describe.
    pub fn into_profile(self) -> Result<Profile, JsonError> {
        let ballots = self
            .ballots
            .into_iter()
            .enumerate()
            .map(|(ballot_index, json)| {
                let weight = json.weight;
                let mut kinds: Vec<Ballot> = Vec::with_capacity(1);
                kinds.extend(json.choice.map(Ballot::Choice));
                kinds.extend(json.approval.map(Ballot::Approval));
                kinds.extend(json.scores.map(Ballot::Scores));
                kinds.extend(json.ranking.map(Ballot::Ranking));
                kinds.extend(json.proposal.map(Ballot::Proposal));
                kinds.extend(json.consent.map(Ballot::Consent));
                kinds.extend(json.availability.map(Ballot::Availability));
                match <[Ballot; 1]>::try_from(kinds) {
                    Ok([ballot]) => Ok(WeightedBallot { weight, ballot }),
                    Err(kinds) => Err(JsonError {
                        ballot_index,
                        message: format!(
                            "a ballot has exactly one kind, this one has {}",
                            kinds.len()
                        ),
                    }),
                }
            })
            .collect::<Result<_, _>>()?;
        Ok(Profile {
            candidates: self.candidates,
            seats: self.seats,
            ballots,
        })
    }

    /// The JSON shape of `profile`.
    pub fn from_profile(profile: &Profile) -> JsonProfile {
        JsonProfile {
            candidates: profile.candidates.clone(),
            seats: profile.seats,
            ballots: profile
                .ballots
                .iter()
                .map(|weighted| {
                    let mut json = JsonBallot {
                        weight: weighted.weight,
                        ..JsonBallot::default()
                    };
                    match &weighted.ballot {
                        Ballot::Choice(c) => json.choice = Some(*c),
                        Ballot::Approval(a) => json.approval = Some(a.clone()),
                        Ballot::Scores(s) => json.scores = Some(s.clone()),
                        Ballot::Ranking(r) => json.ranking = Some(r.clone()),
                        Ballot::Proposal(p) => json.proposal = Some(*p),
                        Ballot::Consent(c) => json.consent = Some(*c),
                        Ballot::Availability(a) => json.availability = Some(a.clone()),
                    }
                    json
                })
                .collect(),
        }
    }
}
