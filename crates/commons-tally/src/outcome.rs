//! What a count returns: winners, the round-by-round sheet, every tie-break, and what
//! else the method shows. Fractional votes are exact decimal strings, never floats.

use serde::{Serialize, Serializer};

use crate::Candidate;

/// The result of [`crate::count`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// [`crate::Method::name`] of the method counted.
    pub method: &'static str,
    /// The winners, in order of election (for methods that rank by a total, from the
    /// highest). Empty for consent and proposals, whose result is in [`Totals`].
    pub winners: Vec<Candidate>,
    /// The winners as far as the count decided them without breaking a tie:
    ///
    /// - methods that rank by a total (plurality, approval, score, dot, Borda, time):
    ///   every candidate whose total is at least the last winner's, so the winners plus
    ///   anyone tied with the last of them, highest total first;
    /// - Schulze: every potential winner (unbeaten by strongest paths);
    /// - ranked pairs: every candidate that wins under some order of the equally strong
    ///   pairs, or, if there are more than [`crate::ranked_pairs::ORDERINGS_MAX`] such
    ///   orders, the Smith set, which contains all of them;
    /// - IRV and STV, where ties are broken during the count: the candidates elected
    ///   before the first tie-break (backwards or by lot), in order of election.
    ///
    /// When no tie-break was needed it holds the same candidates as `winners`.
    pub winners_before_tie_break: Vec<Candidate>,
    /// The count sheet. Methods without rounds have one round holding the totals.
    pub rounds: Vec<Round>,
    /// Every tie-break, in the order it was made.
    pub tie_breaks: Vec<TieBreak>,
    /// The seed of the lot, as lower-case hex in JSON.
    #[serde(serialize_with = "serialize_hex")]
    pub seed: [u8; 32],
    /// The total weight of the ballots that counted.
    pub ballots_counted: u64,
    /// The total weight of blank ballots (empty rankings), which count for no one and,
    /// in STV, are not valid votes for the quota.
    pub ballots_blank: u64,
    /// What else the method shows.
    pub totals: Totals,
}

/// One round (for STV, one stage) of the count sheet.
///
/// `tallies` are the votes at the start of the round; `elected` are the candidates this
/// round elects; then either `surplus_of` names the candidate whose surplus is
/// transferred or `eliminated` the candidates excluded, and `transfers` says where their
/// votes went, which the next round's tallies show. `exhausted` (and, for Scottish STV,
/// `lost_to_rounding`) are running totals at the start of the round, so in every round
/// tallies + exhausted + lost to rounding = the valid votes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Round {
    /// The round's number, from 1.
    pub round: u32,
    pub tallies: Vec<CandidateTally>,
    pub elected: Vec<Candidate>,
    pub eliminated: Vec<Candidate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub surplus_of: Option<Candidate>,
    pub transfers: Vec<Transfer>,
    pub exhausted: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lost_to_rounding: Option<String>,
    /// STV: the quota in force in this round.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quota: Option<String>,
    /// Meek STV: the iterations of keep values this round took.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iterations: Option<u32>,
}

/// A candidate's votes in a round: an integer, or a fixed-point decimal for STV.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CandidateTally {
    pub candidate: Candidate,
    pub votes: String,
    /// Meek STV: the fraction of each vote reaching the candidate that it keeps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep_value: Option<String>,
}

/// Votes moved from one candidate to another, or to exhausted (`to` is `None`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Transfer {
    pub from: Candidate,
    pub to: Option<Candidate>,
    pub votes: String,
}

/// One step of breaking a tie.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TieBreak {
    /// The round in which the tie arose, for methods with rounds.
    pub round: Option<u32>,
    pub purpose: TiePurpose,
    /// The tied candidates.
    pub among: Vec<Candidate>,
    pub rule: TieRule,
    /// Backwards: the earlier round whose tallies were compared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub looked_at_round: Option<u32>,
    /// Backwards: the candidates still tied after that comparison. Lot: all of `among`
    /// in lot order, the lot's favourite first.
    pub result: Vec<Candidate>,
    /// Lot: SHA-256(seed ‖ candidate as u32 big-endian) in hex, in the order of `result`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lot_keys: Vec<String>,
    /// The candidate the step picked for `purpose`, when the step settled the tie.
    pub chosen: Option<Candidate>,
}

/// What a tie-break decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TiePurpose {
    /// Which candidate to exclude (the chosen one is excluded).
    Exclude,
    /// In which order candidates elected in the same round are elected.
    ElectOrder,
    /// Whose equal surplus is transferred first.
    SurplusOrder,
    /// Who takes the last seat(s) among candidates tied on a total.
    Seat,
    /// Who wins among several potential winners.
    Winner,
    /// The order in which equally strong pairs are locked (ranked pairs); the lot order
    /// of the candidates orders the pairs.
    PairOrder,
}

impl TiePurpose {
    /// The snake_case name, as in JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            TiePurpose::Exclude => "exclude",
            TiePurpose::ElectOrder => "elect_order",
            TiePurpose::SurplusOrder => "surplus_order",
            TiePurpose::Seat => "seat",
            TiePurpose::Winner => "winner",
            TiePurpose::PairOrder => "pair_order",
        }
    }
}

/// How a tie was broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TieRule {
    /// By the tallies of an earlier round, the most recent one at which they differed.
    Backwards,
    /// By the seeded lot.
    Lot,
}

/// A pair of ranked pairs, in locking order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LockedPair {
    pub winner: Candidate,
    pub loser: Candidate,
    /// Voters preferring winner to loser minus voters preferring loser to winner.
    pub margin: u64,
    /// Whether it was locked; a pair that would close a cycle is skipped.
    pub locked: bool,
    /// Whether another pair had the same margin, so that the lot set its place.
    pub tied: bool,
}

/// Method-specific results.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Totals {
    /// The round's tallies are the whole result (plurality, approval, score, dot, Borda,
    /// IRV).
    Points,
    /// A time poll: per slot, the weight of yes, if-need-be and no (a slot a ballot left
    /// out counts as no).
    Time {
        yes: Vec<u64>,
        if_need_be: Vec<u64>,
        no: Vec<u64>,
    },
    /// Schulze: `pairwise[i][j]` voters prefer i to j; `strongest_paths[i][j]` is the
    /// strength of the strongest path from i to j (winning votes); `ranking` is the
    /// Schulze order, potential winners first, candidates in one rank unordered.
    Schulze {
        pairwise: Vec<Vec<u64>>,
        strongest_paths: Vec<Vec<u64>>,
        condorcet_winner: Option<Candidate>,
        smith_set: Vec<Candidate>,
        ranking: Vec<Vec<Candidate>>,
    },
    /// Ranked pairs: the pairs with a positive margin in locking order; `ranking` are
    /// the levels of the locked graph, sources first.
    RankedPairs {
        pairwise: Vec<Vec<u64>>,
        condorcet_winner: Option<Candidate>,
        smith_set: Vec<Candidate>,
        pairs: Vec<LockedPair>,
        ranking: Vec<Vec<Candidate>>,
    },
    /// Scottish STV: the quota and valid votes, and the decimals of every vote string.
    StvScottish {
        quota: String,
        valid_votes: String,
        decimals: u32,
    },
    /// Meek STV: the quota of the last round, the valid votes, the decimals of every vote
    /// and keep value string, and all iterations of all rounds.
    StvMeek {
        final_quota: String,
        valid_votes: String,
        decimals: u32,
        iterations: u64,
    },
    /// A proposal, by weight.
    Proposal {
        yes: u64,
        no: u64,
        abstain: u64,
        block: u64,
        passed: bool,
    },
    /// A consent decision, by weight.
    Consent {
        consent: u64,
        objections_open: u64,
        objections_resolved: u64,
        passed: bool,
    },
}

fn serialize_hex<S: Serializer>(bytes: &[u8; 32], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&crate::fixed::hex(bytes))
}
