//! Ballot validation, shared by [`validate`] and [`crate::count`]: one pass per ballot
//! with a reused "seen" buffer, so validating a hundred thousand ballots allocates once,
//! fused with the counting pass of every method ([`for_each_valid`]).

use crate::{Ballot, BallotError, Candidate, Method, Profile, TallyError, WeightedBallot};

/// Checks one ballot against `method` and the candidates of `profile`.
pub fn validate(method: &Method, profile: &Profile, ballot: &Ballot) -> Result<(), BallotError> {
    let mut seen = Seen::new(profile.candidates.len());
    check(method, profile.candidates.len(), ballot, &mut seen)
}

/// Calls `visit` on every ballot of `profile` after validating it, and fails on the first
/// invalid one. Every method reads its ballots through this, so validation shares the one
/// pass over the ballots that counting makes (the ballots of a large profile do not fit
/// in the caches, so a separate pass would cost as much as the count).
pub(crate) fn for_each_valid(
    method: &Method,
    profile: &Profile,
    mut visit: impl FnMut(&WeightedBallot),
) -> Result<(), TallyError> {
    let mut seen = Seen::new(profile.candidates.len());
    for (ballot_index, weighted) in profile.ballots.iter().enumerate() {
        check(
            method,
            profile.candidates.len(),
            &weighted.ballot,
            &mut seen,
        )
        .map_err(|error| TallyError::InvalidBallot {
            ballot_index,
            error,
        })?;
        visit(weighted);
    }
    Ok(())
}

/// The name of a ballot's kind, for [`BallotError::BallotKind`].
pub(crate) fn kind_name(ballot: &Ballot) -> &'static str {
    match ballot {
        Ballot::Choice(_) => "choice",
        Ballot::Approval(_) => "approval",
        Ballot::Scores(_) => "scores",
        Ballot::Ranking(_) => "ranking",
        Ballot::Proposal(_) => "proposal",
        Ballot::Consent(_) => "consent",
        Ballot::Availability(_) => "availability",
    }
}

/// Which candidates the current ballot has named: a stamp per candidate, so starting a
/// new ballot is one increment instead of clearing the buffer.
struct Seen {
    stamps: Vec<u32>,
    stamp: u32,
    n_candidates: usize,
}

impl Seen {
    fn new(n_candidates: usize) -> Seen {
        Seen {
            stamps: vec![0; n_candidates],
            stamp: 0,
            n_candidates,
        }
    }

    fn start_ballot(&mut self) {
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.stamps.fill(0);
            self.stamp = 1;
        }
    }

    /// Checks that `candidate` exists; answers whether the ballot named it before.
    fn named_before(&mut self, candidate: Candidate) -> Result<bool, BallotError> {
        if candidate >= self.n_candidates {
            return Err(BallotError::UnknownCandidate {
                candidate,
                n_candidates: self.n_candidates,
            });
        }
        let before = self.stamps[candidate] == self.stamp;
        self.stamps[candidate] = self.stamp;
        Ok(before)
    }

    fn name_once(&mut self, candidate: Candidate) -> Result<(), BallotError> {
        if self.named_before(candidate)? {
            return Err(BallotError::DuplicateCandidate { candidate });
        }
        Ok(())
    }
}

fn check(
    method: &Method,
    n_candidates: usize,
    ballot: &Ballot,
    seen: &mut Seen,
) -> Result<(), BallotError> {
    debug_assert_eq!(seen.n_candidates, n_candidates);
    seen.start_ballot();
    match (method, ballot) {
        (Method::Plurality, Ballot::Choice(candidate)) => seen.name_once(*candidate),
        (Method::Plurality, Ballot::Ranking(ranking)) => {
            check_ranking(method, ranking, true, seen)?;
            match ranking.first() {
                Some(first) if first.len() > 1 => Err(BallotError::RankingTie {
                    method: method.name(),
                }),
                _ => Ok(()),
            }
        }
        (Method::Approval { min, max }, Ballot::Approval(approved)) => {
            for &candidate in approved {
                seen.name_once(candidate)?;
            }
            let n_approved = approved.len();
            if (n_approved as u64) < u64::from(*min) || (n_approved as u64) > u64::from(*max) {
                return Err(BallotError::ApprovalCount {
                    n_approved,
                    min: *min,
                    max: *max,
                });
            }
            Ok(())
        }
        (Method::Score { min, max }, Ballot::Scores(scores)) => {
            for &(candidate, score) in scores {
                seen.name_once(candidate)?;
                if score < *min || score > *max {
                    return Err(BallotError::ScoreOutOfRange {
                        candidate,
                        score,
                        min: *min,
                        max: *max,
                    });
                }
            }
            Ok(())
        }
        (Method::Dot { budget }, Ballot::Scores(dots)) => {
            let mut total: u64 = 0;
            for &(candidate, n_dots) in dots {
                seen.name_once(candidate)?;
                // Cannot overflow: at most CANDIDATES_MAX entries of at most 2^32 - 1.
                total += u64::from(n_dots);
            }
            if total > u64::from(*budget) {
                return Err(BallotError::TooManyDots {
                    dots: total,
                    budget: *budget,
                });
            }
            Ok(())
        }
        (
            Method::Borda | Method::BordaTruncated | Method::Schulze | Method::RankedPairs,
            Ballot::Ranking(ranking),
        ) => check_ranking(method, ranking, true, seen),
        (Method::Irv | Method::StvScottish | Method::StvMeek, Ballot::Ranking(ranking)) => {
            check_ranking(method, ranking, false, seen)
        }
        (Method::Consent, Ballot::Consent(_)) | (Method::Proposal, Ballot::Proposal(_)) => Ok(()),
        (Method::Time, Ballot::Availability(slots)) => {
            for &(slot, _) in slots {
                seen.name_once(slot)?;
            }
            Ok(())
        }
        _ => Err(BallotError::BallotKind {
            method: method.name(),
            found: kind_name(ballot),
        }),
    }
}

fn check_ranking(
    method: &Method,
    ranking: &[Vec<Candidate>],
    equal_ranks_allowed: bool,
    seen: &mut Seen,
) -> Result<(), BallotError> {
    for rank in ranking {
        if rank.is_empty() {
            return Err(BallotError::RankingEmptyRank);
        }
        if rank.len() > 1 && !equal_ranks_allowed {
            return Err(BallotError::RankingTie {
                method: method.name(),
            });
        }
        for &candidate in rank {
            if seen.named_before(candidate)? {
                return Err(BallotError::RankingDuplicate { candidate });
            }
        }
    }
    Ok(())
}
