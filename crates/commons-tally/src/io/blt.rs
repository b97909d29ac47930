//! The BLT format, read and written by OpenSTV, eSTV and most STV counting programs:
//!
//! ```text
//! 4 2            candidates and seats
//! -4             optional: withdrawn candidates, negated
//! 3 1 2 0        ballots: weight, preferences (1-based) most preferred first, 0
//! 1 2=3 4 0      `=` ranks candidates equal (read by Schulze, ranked pairs, Borda)
//! 2 0            a blank ballot
//! 0              end of ballots
//! "Alice"        one quoted name per candidate, in order
//! "Bob"
//! "Carol"
//! "Dave"
//! "Board 2026"   the title (optional when reading)
//! ```
//!
//! Blank lines are ignored. Names and titles cannot contain a double quote or a line
//! break, which the format has no way to escape.

use crate::io::NAME_BYTES_MAX;
use crate::{BALLOTS_MAX, Ballot, CANDIDATES_MAX, Candidate, Profile, WeightedBallot};

/// An election read from BLT: the profile (candidates numbered from 0), the withdrawn
/// candidates, and the title.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blt {
    pub profile: Profile,
    pub withdrawn: Vec<Candidate>,
    pub title: String,
}

/// Why a BLT text cannot be read or written, naming its line (1-based).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct BltError {
    pub line: usize,
    pub message: String,
}

impl BltError {
    /// The stable code of every BLT error.
    pub fn code(&self) -> &'static str {
        "blt_malformed"
    }
}

fn error(line: usize, message: impl Into<String>) -> BltError {
    BltError {
        line,
        message: message.into(),
    }
}

impl Blt {
    /// The profile to count: withdrawn candidates removed from the candidates and from
    /// every ballot (a rank left empty disappears), the others renumbered in order.
    pub fn profile_without_withdrawn(&self) -> Profile {
        if self.withdrawn.is_empty() {
            return self.profile.clone();
        }
        let mut renumbered: Vec<Option<Candidate>> = Vec::new();
        let mut candidates = Vec::new();
        for (candidate, name) in self.profile.candidates.iter().enumerate() {
            if self.withdrawn.contains(&candidate) {
                renumbered.push(None);
            } else {
                renumbered.push(Some(candidates.len()));
                candidates.push(name.clone());
            }
        }
        let ballots = self
            .profile
            .ballots
            .iter()
            .map(|weighted| {
                let ballot = match &weighted.ballot {
                    Ballot::Ranking(ranking) => Ballot::Ranking(
                        ranking
                            .iter()
                            .map(|rank| {
                                rank.iter()
                                    .filter_map(|c| renumbered.get(*c).copied().flatten())
                                    .collect::<Vec<_>>()
                            })
                            .filter(|rank| !rank.is_empty())
                            .collect(),
                    ),
                    other => other.clone(),
                };
                WeightedBallot {
                    weight: weighted.weight,
                    ballot,
                }
            })
            .collect();
        Profile {
            candidates,
            seats: self.profile.seats,
            ballots,
        }
    }
}

/// Reads a BLT text.
pub fn parse_blt(text: &str) -> Result<Blt, BltError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty());
    let last_line = text.lines().count().max(1);

    let Some((header_line, header)) = lines.next() else {
        return Err(error(
            1,
            "the file is empty; expected the numbers of candidates and seats",
        ));
    };
    let header: Vec<&str> = header.split_whitespace().collect();
    let [n_candidates, seats] = header[..] else {
        return Err(error(
            header_line,
            "expected two numbers: candidates and seats",
        ));
    };
    let n_candidates: usize = n_candidates.parse().map_err(|_| {
        error(
            header_line,
            format!("{n_candidates:?} is not a number of candidates"),
        )
    })?;
    let seats: u32 = seats
        .parse()
        .map_err(|_| error(header_line, format!("{seats:?} is not a number of seats")))?;
    if n_candidates == 0 || n_candidates > CANDIDATES_MAX {
        return Err(error(
            header_line,
            format!("{n_candidates} candidates; between 1 and {CANDIDATES_MAX} are allowed"),
        ));
    }

    let mut withdrawn: Vec<Candidate> = Vec::new();
    let mut ballots: Vec<WeightedBallot> = Vec::new();
    let mut ended = false;
    let mut seen = vec![false; n_candidates];
    let mut first_after_header = true;
    for (line_number, line) in lines.by_ref() {
        if line == "0" {
            ended = true;
            break;
        }
        if first_after_header && line.starts_with('-') {
            first_after_header = false;
            for token in line.split_whitespace() {
                let candidate = token
                    .strip_prefix('-')
                    .and_then(|number| number.parse::<usize>().ok())
                    .filter(|number| (1..=n_candidates).contains(number))
                    .ok_or_else(|| {
                        error(
                            line_number,
                            format!("{token:?} is not a withdrawn candidate -1..-{n_candidates}"),
                        )
                    })?;
                if withdrawn.contains(&(candidate - 1)) {
                    return Err(error(
                        line_number,
                        format!("candidate {candidate} is withdrawn twice"),
                    ));
                }
                withdrawn.push(candidate - 1);
            }
            continue;
        }
        first_after_header = false;
        if line.starts_with('"') {
            return Err(error(
                line_number,
                "the ballots do not end with a line holding 0 before the names",
            ));
        }
        if ballots.len() == BALLOTS_MAX {
            return Err(error(
                line_number,
                format!("more than {BALLOTS_MAX} ballot lines"),
            ));
        }
        ballots.push(parse_ballot(line_number, line, n_candidates, &mut seen)?);
    }
    if !ended {
        return Err(error(
            last_line,
            "the ballots do not end with a line holding 0",
        ));
    }

    let mut quoted: Vec<(usize, String)> = Vec::new();
    for (line_number, line) in lines {
        let mut rest = line;
        while !rest.is_empty() {
            let Some(inner) = rest.strip_prefix('"') else {
                return Err(error(
                    line_number,
                    format!("expected a quoted name, found {rest:?}"),
                ));
            };
            let Some(end) = inner.find('"') else {
                return Err(error(line_number, "a name has no closing quote"));
            };
            if end > NAME_BYTES_MAX {
                return Err(error(
                    line_number,
                    format!("a name is longer than {NAME_BYTES_MAX} bytes"),
                ));
            }
            quoted.push((line_number, inner[..end].to_string()));
            rest = inner[end + 1..].trim_start();
        }
    }
    if quoted.len() < n_candidates {
        return Err(error(
            last_line,
            format!(
                "expected {n_candidates} candidate names, found {}",
                quoted.len()
            ),
        ));
    }
    if quoted.len() > n_candidates + 1 {
        return Err(error(
            quoted[n_candidates + 1].0,
            "unexpected text after the title",
        ));
    }
    let title = quoted
        .get(n_candidates)
        .map(|(_, title)| title.clone())
        .unwrap_or_default();
    quoted.truncate(n_candidates);
    Ok(Blt {
        profile: Profile {
            candidates: quoted.into_iter().map(|(_, name)| name).collect(),
            seats,
            ballots,
        },
        withdrawn,
        title,
    })
}

/// One ballot line: weight, preferences, 0.
fn parse_ballot(
    line_number: usize,
    line: &str,
    n_candidates: usize,
    seen: &mut [bool],
) -> Result<WeightedBallot, BltError> {
    let mut tokens = line.split_whitespace();
    let weight_token = tokens.next().unwrap_or_default();
    let weight: u64 = weight_token.parse().map_err(|_| {
        error(
            line_number,
            format!("the weight {weight_token:?} is not a whole number"),
        )
    })?;
    seen.fill(false);
    let mut ranking: Vec<Vec<Candidate>> = Vec::new();
    let mut terminated = false;
    for token in tokens {
        if terminated {
            return Err(error(
                line_number,
                format!("{token:?} after the 0 that ends the ballot"),
            ));
        }
        if token == "0" {
            terminated = true;
            continue;
        }
        let mut rank = Vec::new();
        for part in token.split('=') {
            let candidate = part
                .parse::<usize>()
                .ok()
                .filter(|number| (1..=n_candidates).contains(number))
                .ok_or_else(|| {
                    error(
                        line_number,
                        format!("{part:?} is not a candidate 1..{n_candidates}"),
                    )
                })?;
            if std::mem::replace(&mut seen[candidate - 1], true) {
                return Err(error(
                    line_number,
                    format!("candidate {candidate} is ranked twice"),
                ));
            }
            rank.push(candidate - 1);
        }
        ranking.push(rank);
    }
    if !terminated {
        return Err(error(line_number, "the ballot does not end with 0"));
    }
    Ok(WeightedBallot {
        weight,
        ballot: Ballot::Ranking(ranking),
    })
}

/// Writes `blt` as BLT text. Every ballot must be a ranking without empty ranks, and no
/// name may contain a double quote or a line break; the error names the line that could
/// not be written.
pub fn write_blt(blt: &Blt) -> Result<String, BltError> {
    let profile = &blt.profile;
    let n_candidates = profile.candidates.len();
    let mut text = format!("{} {}\n", n_candidates, profile.seats);
    let mut line = 1;
    if !blt.withdrawn.is_empty() {
        line += 1;
        let negated: Vec<String> = blt
            .withdrawn
            .iter()
            .map(|c| format!("-{}", c + 1))
            .collect();
        text.push_str(&negated.join(" "));
        text.push('\n');
    }
    for weighted in &profile.ballots {
        line += 1;
        let Ballot::Ranking(ranking) = &weighted.ballot else {
            return Err(error(line, "BLT holds only rankings"));
        };
        text.push_str(&weighted.weight.to_string());
        for rank in ranking {
            if rank.is_empty() || rank.iter().any(|c| *c >= n_candidates) {
                return Err(error(line, "a rank is empty or names an unknown candidate"));
            }
            let numbers: Vec<String> = rank.iter().map(|c| (c + 1).to_string()).collect();
            text.push(' ');
            text.push_str(&numbers.join("="));
        }
        text.push_str(" 0\n");
    }
    text.push_str("0\n");
    line += 1;
    for name in profile.candidates.iter().chain(std::iter::once(&blt.title)) {
        line += 1;
        if name.contains(['"', '\n', '\r']) {
            return Err(error(line, "a name holds a double quote or a line break"));
        }
        text.push('"');
        text.push_str(name);
        text.push_str("\"\n");
    }
    Ok(text)
}
