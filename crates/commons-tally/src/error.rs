//! The two ways a count fails: a ballot that breaks the method's rules ([`BallotError`])
//! and a profile or method that cannot be counted ([`TallyError`]), each with stable codes.

use crate::Candidate;

/// Why a ballot is invalid for a method. [`BallotError::code`] is stable API.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BallotError {
    #[error("{method} does not read {found} ballots")]
    BallotKind {
        method: &'static str,
        found: &'static str,
    },
    #[error("candidate {candidate} is not one of the {n_candidates} candidates")]
    UnknownCandidate {
        candidate: Candidate,
        n_candidates: usize,
    },
    #[error("candidate {candidate} is ranked more than once")]
    RankingDuplicate { candidate: Candidate },
    #[error("a rank holds no candidate")]
    RankingEmptyRank,
    #[error("{method} does not accept equal ranks here")]
    RankingTie { method: &'static str },
    #[error("candidate {candidate} appears more than once")]
    DuplicateCandidate { candidate: Candidate },
    #[error("{n_approved} approvals, but a ballot must approve between {min} and {max}")]
    ApprovalCount {
        n_approved: usize,
        min: u32,
        max: u32,
    },
    #[error("candidate {candidate} scored {score}, outside {min}..={max}")]
    ScoreOutOfRange {
        candidate: Candidate,
        score: u32,
        min: u32,
        max: u32,
    },
    #[error("{dots} dots, but a ballot has {budget}")]
    TooManyDots { dots: u64, budget: u32 },
}

impl BallotError {
    /// The stable snake_case code of the error.
    pub fn code(&self) -> &'static str {
        match self {
            BallotError::BallotKind { .. } => "ballot_kind",
            BallotError::UnknownCandidate { .. } => "unknown_candidate",
            BallotError::RankingDuplicate { .. } => "ranking_duplicate",
            BallotError::RankingEmptyRank => "ranking_empty_rank",
            BallotError::RankingTie { .. } => "ranking_tie",
            BallotError::DuplicateCandidate { .. } => "duplicate_candidate",
            BallotError::ApprovalCount { .. } => "approval_count",
            BallotError::ScoreOutOfRange { .. } => "score_out_of_range",
            BallotError::TooManyDots { .. } => "too_many_dots",
        }
    }
}

/// Why a profile cannot be counted. [`TallyError::code`] is stable API.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TallyError {
    #[error("unknown method {name:?}")]
    UnknownMethod { name: String },
    #[error("invalid method parameters: {message}")]
    MethodParameters { message: String },
    #[error("there are no candidates")]
    NoCandidates,
    #[error("{n_candidates} candidates, more than the {max} allowed")]
    TooManyCandidates { n_candidates: usize, max: usize },
    #[error("{n_ballots} ballots, more than the {max} allowed")]
    TooManyBallots { n_ballots: usize, max: usize },
    #[error("{method} fills exactly one seat, not {seats}")]
    SeatsUnsupported { method: &'static str, seats: u32 },
    #[error("{seats} seats for {n_candidates} candidates")]
    SeatsOutOfRange { seats: u32, n_candidates: usize },
    #[error("the ballot weights sum to more than 2^64 - 1")]
    WeightOverflow,
    #[error("ballot {ballot_index}: {error}")]
    InvalidBallot {
        ballot_index: usize,
        error: BallotError,
    },
}

impl TallyError {
    /// The stable snake_case code of the error. An invalid ballot answers the ballot's own
    /// code, so a caller sees `score_out_of_range` rather than a generic failure.
    pub fn code(&self) -> &'static str {
        match self {
            TallyError::UnknownMethod { .. } => "unknown_method",
            TallyError::MethodParameters { .. } => "method_parameters",
            TallyError::NoCandidates => "no_candidates",
            TallyError::TooManyCandidates { .. } => "too_many_candidates",
            TallyError::TooManyBallots { .. } => "too_many_ballots",
            TallyError::SeatsUnsupported { .. } => "seats_unsupported",
            TallyError::SeatsOutOfRange { .. } => "seats_out_of_range",
            TallyError::WeightOverflow => "weight_overflow",
            TallyError::InvalidBallot { error, .. } => error.code(),
        }
    }
}
